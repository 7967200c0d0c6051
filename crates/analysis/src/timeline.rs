//! Packets and bytes over time per protocol family (IKE/ESP, SIP, STUN/TURN, RTP/RTCP, other):
//! the page's overview chart. It counts the frames the hierarchy counts: frames on a link type
//! callscope does not decode, or whose link header is malformed, are in neither. Buckets start one second wide; when a capture spans more than
//! [`MAX_BUCKETS`] of them, neighbours merge and the width doubles, so memory stays bounded
//! whatever the timestamps say (two interfaces whose clocks differ by months included).

use serde::{Deserialize, Serialize};

/// The families, in the order of the counts in each point.
pub const FAMILIES: [&str; 5] = ["ike", "sip", "stun", "rtp", "other"];

/// Buckets kept at most.
pub const MAX_BUCKETS: usize = 600;

/// The family of a frame from the innermost protocol the hierarchy names it by.
pub fn family(leaf: Option<&str>) -> usize {
    match leaf {
        Some("isakmp" | "esp" | "udpencap") => 0,
        Some("sip" | "megaco") => 1,
        Some("stun" | "classicstun") => 2,
        Some("rtp" | "rtcp" | "rtpevent" | "t38" | "zrtp") => 3,
        _ => 4,
    }
}

/// The `timeline` section of the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimelineReport {
    /// Width of a bucket, seconds (1, or a power of two above it for long captures).
    pub bucket_s: f64,
    /// Family names, in the order of `packets` and `bytes` in every point.
    pub families: Vec<String>,
    /// Buckets with at least one packet, in time order.
    pub points: Vec<TimelinePoint>,
}

/// One bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimelinePoint {
    /// Start of the bucket, seconds since the capture's first packet.
    pub t: f64,
    /// Frames per family.
    pub packets: Vec<u64>,
    /// Bytes (on the wire) per family.
    pub bytes: Vec<u64>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    packets: [u64; 5],
    bytes: [u64; 5],
}

impl Bucket {
    fn merge(&mut self, other: &Bucket) {
        for f in 0..FAMILIES.len() {
            self.packets[f] += other.packets[f];
            self.bytes[f] += other.bytes[f];
        }
    }
}

/// The timeline being built.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Bucket 0 starts at the first frame's time.
    origin_ns: Option<i64>,
    width_ns: i64,
    /// Bucket number of `buckets[0]` (negative for frames before the first one's time).
    first: i64,
    buckets: Vec<Bucket>,
    /// The last frame's bucket, for the usual case of the next frame in the same one.
    last: Option<(i64, i64, usize)>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            origin_ns: None,
            width_ns: 1_000_000_000,
            first: 0,
            buckets: Vec::new(),
            last: None,
        }
    }
}

impl Timeline {
    /// Counts a frame.
    #[inline]
    pub fn add(&mut self, ts_ns: i64, family: usize, bytes: u64) {
        let slot = match self.last {
            Some((lo, hi, slot)) if ts_ns >= lo && ts_ns < hi => slot,
            _ => self.slot(ts_ns),
        };
        if let Some(b) = self.buckets.get_mut(slot) {
            let f = family.min(FAMILIES.len() - 1);
            b.packets[f] += 1;
            b.bytes[f] = b.bytes[f].saturating_add(bytes);
        }
    }

    /// The index in `buckets` of the bucket holding `ts_ns`, made (and widened) as needed;
    /// kept out of line so that [`Timeline::add`]'s usual path stays short.
    #[cold]
    #[inline(never)]
    fn slot(&mut self, ts_ns: i64) -> usize {
        let origin = *self.origin_ns.get_or_insert(ts_ns);
        loop {
            let n = (i128::from(ts_ns) - i128::from(origin)).div_euclid(i128::from(self.width_ns));
            let n = i64::try_from(n).unwrap_or(if ts_ns < origin {
                i64::MIN / 2
            } else {
                i64::MAX / 2
            });
            if self.buckets.is_empty() {
                self.first = n;
                self.buckets.push(Bucket::default());
            }
            let last = self.first + self.buckets.len() as i64 - 1;
            let (lo, hi) = (self.first.min(n), last.max(n));
            if (hi as i128 - lo as i128) < MAX_BUCKETS as i128 {
                if n < self.first {
                    let mut grown = vec![Bucket::default(); (self.first - n) as usize];
                    grown.append(&mut self.buckets);
                    self.buckets = grown;
                    self.first = n;
                } else if n > last {
                    self.buckets
                        .resize((n - self.first + 1) as usize, Bucket::default());
                }
                let slot = (n - self.first) as usize;
                let start = i128::from(origin) + i128::from(n) * i128::from(self.width_ns);
                self.last = i64::try_from(start)
                    .ok()
                    .map(|s| (s, s.saturating_add(self.width_ns), slot));
                return slot;
            }
            self.widen();
        }
    }

    /// Doubles the bucket width, merging neighbours (bucket n goes to n div 2).
    fn widen(&mut self) {
        let first = self.first.div_euclid(2);
        let mut merged: Vec<Bucket> = Vec::with_capacity(self.buckets.len() / 2 + 1);
        for (i, b) in self.buckets.iter().enumerate() {
            let n = (self.first + i as i64).div_euclid(2);
            let at = (n - first) as usize;
            if merged.len() <= at {
                merged.resize(at + 1, Bucket::default());
            }
            merged[at].merge(b);
        }
        self.first = first;
        self.buckets = merged;
        self.width_ns = self.width_ns.saturating_mul(2);
        self.last = None;
    }

    /// The report section; times are made relative to `start_ns` (the capture's first packet).
    pub fn finish(&self, start_ns: i64) -> TimelineReport {
        let origin = self.origin_ns.unwrap_or(start_ns);
        let points = self
            .buckets
            .iter()
            .enumerate()
            .filter(|(_, b)| b.packets.iter().any(|&p| p > 0))
            .map(|(i, b)| {
                let n = self.first + i as i64;
                let start = i128::from(origin) + i128::from(n) * i128::from(self.width_ns);
                TimelinePoint {
                    t: (start - i128::from(start_ns)) as f64 / 1e9,
                    packets: b.packets.to_vec(),
                    bytes: b.bytes.to_vec(),
                }
            })
            .collect();
        TimelineReport {
            bucket_s: self.width_ns as f64 / 1e9,
            families: FAMILIES.iter().map(|f| (*f).to_owned()).collect(),
            points,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn frames_land_in_their_second_and_family() {
        let mut t = Timeline::default();
        let t0 = 1_700_000_000 * S;
        t.add(t0, family(Some("sip")), 500);
        t.add(t0 + S / 2, family(Some("rtp")), 200);
        t.add(t0 + 3 * S, family(Some("esp")), 100);
        t.add(t0 + 3 * S + 1, family(None), 60);
        let r = t.finish(t0);
        assert_eq!(r.bucket_s, 1.0);
        assert_eq!(r.points.len(), 2, "empty seconds are left out");
        assert_eq!(r.points[0].t, 0.0);
        assert_eq!(r.points[0].packets, [0, 1, 0, 1, 0]);
        assert_eq!(r.points[0].bytes, [0, 500, 0, 200, 0]);
        assert_eq!(r.points[1].t, 3.0);
        assert_eq!(r.points[1].packets, [1, 0, 0, 0, 1]);
    }

    #[test]
    fn earlier_frames_are_kept_and_times_follow_the_capture_start() {
        let mut t = Timeline::default();
        t.add(10 * S, 4, 1);
        t.add(7 * S + S / 2, 4, 1);
        let r = t.finish(7 * S + S / 2);
        let times: Vec<f64> = r.points.iter().map(|p| p.t).collect();
        assert_eq!(
            times,
            [-0.5, 2.5],
            "buckets stay aligned on the first frame's time"
        );
        assert_eq!(r.points.iter().map(|p| p.packets[4]).sum::<u64>(), 2);
    }

    #[test]
    fn months_between_clocks_stay_bounded_and_keep_every_packet() {
        let mut t = Timeline::default();
        for i in 0..100 {
            t.add(i * S, 1, 10);
        }
        let later = 9_783_934 * S;
        for i in 0..100 {
            t.add(later + i * S, 3, 10);
        }
        assert!(t.buckets.len() <= MAX_BUCKETS);
        let r = t.finish(0);
        assert!(
            r.bucket_s >= 9_783_934.0 / MAX_BUCKETS as f64,
            "{}",
            r.bucket_s
        );
        let total: u64 = r.points.iter().flat_map(|p| &p.packets).sum();
        assert_eq!(total, 200);
        assert_eq!(r.points.len(), 2);
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let mut t = Timeline::default();
        t.add(i64::MAX, 0, u64::MAX);
        t.add(i64::MIN, 0, u64::MAX);
        t.add(0, 0, 1);
        let r = t.finish(i64::MIN);
        assert_eq!(r.points.iter().flat_map(|p| &p.packets).sum::<u64>(), 3);
    }
}
