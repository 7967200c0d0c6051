//! One RTP stream (source, destination, SSRC): tshark's statistics plus callscope's own counters,
//! a simulated jitter buffer and a bounded per-second time series.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::codec;
use super::stats::{Sample, TsharkStats};

/// Points kept per stream in the time series; longer streams are downsampled by merging
/// neighbouring buckets (the bucket width doubles).
pub const MAX_POINTS: usize = 120;
/// Distinct payload types tracked per stream.
const MAX_PAYLOAD_TYPES: usize = 16;

/// What one RTP packet brings, beyond the stream key.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    /// Frame number.
    pub frame: u64,
    /// Capture time, ns.
    pub ts_ns: i64,
    /// Arrival in ms from the analyzer's origin (tshark's `rel_ts`, in ms).
    pub arrival_ms: f64,
    /// Header fields.
    pub marker: bool,
    /// Payload type.
    pub pt: u8,
    /// Sequence number.
    pub seq: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// RTP header + payload bytes (tshark's `info_data_len`).
    pub data_len: usize,
    /// IPv6 (tshark adds 48 header bytes for the bitrate, 28 for IPv4).
    pub ipv6: bool,
    /// The encoding name for this payload type (SDP or, without SDP, tshark's default).
    pub name: Option<&'a str>,
    /// The SDP `rtpmap` rate for this payload type (0: none).
    pub rtpmap_rate: u32,
    /// Found through SDP (tshark's conversation with `rtp_dyn_payload`).
    pub via_sdp: bool,
    /// The RTP payload (after CSRCs, extension and padding).
    pub payload: &'a [u8],
}

/// Packets of one payload type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayloadTypeCount {
    /// Payload type number.
    pub pt: u8,
    /// Name as tshark shows it (SDP encoding name for dynamic types announced by SDP).
    pub name: String,
    /// Clock rate used for jitter (0: none, as tshark).
    pub clock: u32,
    /// Packets.
    pub packets: u64,
}

/// The sequence number extended to 64 bits (RFC 3550 Appendix A.1), with a 128-packet window
/// for spotting duplicates.
#[derive(Debug, Clone, Default)]
struct ExtSeq {
    started: bool,
    max: i64,
    window: u128,
    cycles: u64,
    duplicates: u64,
    jumps: u64,
}

impl ExtSeq {
    /// Returns the packet's extended sequence number.
    fn push(&mut self, seq: u16) -> i64 {
        if !self.started {
            self.started = true;
            self.max = i64::from(seq);
            self.window = 1;
            return self.max;
        }
        let max16 = (self.max & 0xffff) as u16;
        let udelta = seq.wrapping_sub(max16);
        if udelta == 0 {
            self.duplicates += 1;
            return self.max;
        }
        if udelta < 3000 {
            if seq < max16 {
                self.cycles += 1;
            }
            let shift = u32::from(udelta);
            self.window = if shift >= 128 {
                0
            } else {
                self.window << shift
            } | 1;
            self.max += i64::from(udelta);
            return self.max;
        }
        if udelta > u16::MAX - 1000 {
            // Late or duplicate.
            let back = i64::from(65536 - u32::from(udelta));
            let ext = self.max - back;
            if back < 128 {
                let bit = 1u128 << back;
                if self.window & bit != 0 {
                    self.duplicates += 1;
                } else {
                    self.window |= bit;
                }
            }
            return ext;
        }
        // A jump: the source restarted its sequence.
        self.jumps += 1;
        self.max += i64::from(udelta);
        self.window = 1;
        self.max
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    packets: u32,
    unique: u32,
    max_ext_seq: i64,
    jitter_max: f64,
    delta_max: f64,
}

/// Per-second packets, loss and jitter, at most [`MAX_POINTS`] buckets.
#[derive(Debug, Clone, Default)]
struct Series {
    width_ns: i64,
    buckets: Vec<Bucket>,
}

impl Series {
    #[inline]
    fn push(
        &mut self,
        offset_ns: i64,
        ext_seq: i64,
        jitter: Option<f64>,
        delta: Option<f64>,
        duplicate: bool,
    ) {
        if self.width_ns == 0 {
            self.width_ns = 1_000_000_000;
        }
        let mut idx = (offset_ns.max(0) / self.width_ns) as usize;
        while idx >= MAX_POINTS {
            self.downsample();
            idx = (offset_ns.max(0) / self.width_ns) as usize;
        }
        if self.buckets.len() <= idx {
            self.buckets.resize(idx + 1, Bucket::default());
        }
        let b = &mut self.buckets[idx];
        if b.packets == 0 || ext_seq > b.max_ext_seq {
            b.max_ext_seq = ext_seq;
        }
        b.packets += 1;
        if !duplicate {
            b.unique += 1;
        }
        if let Some(j) = jitter {
            b.jitter_max = b.jitter_max.max(j);
        }
        if let Some(d) = delta {
            b.delta_max = b.delta_max.max(d);
        }
    }

    fn downsample(&mut self) {
        let merged = self
            .buckets
            .chunks(2)
            .map(|pair| {
                let mut m = pair[0];
                if let Some(b) = pair.get(1) {
                    if b.packets > 0 && (m.packets == 0 || b.max_ext_seq > m.max_ext_seq) {
                        m.max_ext_seq = b.max_ext_seq;
                    }
                    m.packets += b.packets;
                    m.unique += b.unique;
                    m.jitter_max = m.jitter_max.max(b.jitter_max);
                    m.delta_max = m.delta_max.max(b.delta_max);
                }
                m
            })
            .collect();
        self.buckets = merged;
        self.width_ns *= 2;
    }
}

/// One point of a stream's time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Start of the bucket, seconds since the stream's first packet.
    pub t: f64,
    /// Packets received.
    pub packets: u32,
    /// Packets lost in the bucket (sequence advance minus distinct packets received, not below 0).
    pub lost: u32,
    /// Largest jitter (ms) in the bucket.
    pub jitter_ms: f64,
    /// Largest delta between consecutive packets (ms) in the bucket, counted as the stream's
    /// `max_delta_ms` is (0 when none was).
    #[serde(default)]
    pub max_delta_ms: f64,
}

/// A stream's state.
#[derive(Debug, Clone)]
pub struct Stream {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub ssrc: u32,
    pub call_id: Option<String>,
    pub setup_frame: Option<u64>,
    pub via_sdp: bool,
    pub srtp: bool,
    pub stats: TsharkStats,
    pub payload_types: Vec<PayloadTypeCount>,
    pub first_ns: i64,
    pub last_ns: i64,
    pub first_frame: u64,
    pub last_frame: u64,
    pub start_ms: f64,
    pub end_ms: f64,
    /// IP + UDP + RTP bytes, as tshark's bandwidth counts them.
    pub bytes: u64,
    pub markers: u64,
    pub cn_packets: u64,
    pub event_packets: u64,
    /// Key presses of its telephone-events, and their clock.
    pub presses: super::dtmf::Presses,
    pub event_clock: u32,
    pub in_order: u64,
    seq: ExtSeq,
    first_ext_seq: i64,
    jb: super::jitter::JitterBuffer,
    series: Series,
    frame_ms: f64,
    last_seq_ts: Option<(u16, u32)>,
}

impl Stream {
    pub fn new(src: SocketAddr, dst: SocketAddr, ssrc: u32) -> Self {
        Stream {
            src,
            dst,
            ssrc,
            call_id: None,
            setup_frame: None,
            via_sdp: false,
            srtp: false,
            stats: TsharkStats::default(),
            payload_types: Vec::new(),
            first_ns: 0,
            last_ns: 0,
            first_frame: 0,
            last_frame: 0,
            start_ms: 0.0,
            end_ms: 0.0,
            bytes: 0,
            markers: 0,
            cn_packets: 0,
            event_packets: 0,
            presses: super::dtmf::Presses::default(),
            event_clock: 0,
            in_order: 0,
            seq: ExtSeq::default(),
            first_ext_seq: 0,
            jb: super::jitter::JitterBuffer::default(),
            series: Series::default(),
            frame_ms: 0.0,
            last_seq_ts: None,
        }
    }

    /// Adds a packet.
    #[inline]
    pub fn push(&mut self, a: &Arrival<'_>) {
        let first = self.stats.total == 0;
        if first {
            self.first_ns = a.ts_ns;
            self.first_frame = a.frame;
            self.start_ms = a.arrival_ms;
        }
        self.last_ns = a.ts_ns;
        self.last_frame = a.frame;
        self.end_ms = a.arrival_ms;
        self.via_sdp |= a.via_sdp;
        let clock = super::stats::clock_for(a.pt, a.name, a.rtpmap_rate);
        let out = self.stats.push(Sample {
            arrival_ms: a.arrival_ms,
            seq: a.seq,
            timestamp: a.timestamp,
            pt: a.pt,
            marker: a.marker,
            clock,
        });
        self.bytes += a.data_len as u64 + if a.ipv6 { 48 } else { 28 };
        if a.marker {
            self.markers += 1;
        }
        if a.pt == 13 || a.pt == 19 {
            self.cn_packets += 1;
        }
        if a.name.is_some_and(super::stats::is_telephone_event) || a.name == Some("rtpevent") {
            self.event_packets += 1;
            if let Some(event) = callscope_wire::telephone_event::Event::parse(a.payload) {
                // tshark gives events no clock; their durations count in the rtpmap's rate
                // (RFC 4733 §2.1: the audio's when they share an SSRC), 8 kHz without one.
                self.event_clock = if a.rtpmap_rate != 0 {
                    a.rtpmap_rate
                } else {
                    clock
                };
                self.presses.push(event, a.timestamp, a.ts_ns, a.frame);
            }
        }
        let known = self.payload_types.len();
        match self.payload_types.iter_mut().find(|p| p.pt == a.pt) {
            Some(p) => {
                p.packets += 1;
                if clock != 0 {
                    p.clock = clock;
                }
            }
            None if known < MAX_PAYLOAD_TYPES => {
                self.payload_types.push(PayloadTypeCount {
                    pt: a.pt,
                    name: a
                        .name
                        .map_or_else(|| codec::static_name(a.pt), str::to_owned),
                    clock,
                    packets: 1,
                });
            }
            None => {}
        }
        let dups = self.seq.duplicates;
        let ext = self.seq.push(a.seq);
        let duplicate = self.seq.duplicates != dups;
        if first {
            self.first_ext_seq = ext;
        }
        if let Some((s, ts)) = self.last_seq_ts {
            if s.wrapping_add(1) == a.seq {
                self.in_order += 1;
                if clock != 0 && !a.marker {
                    let step = a.timestamp.wrapping_sub(ts);
                    if step > 0 && step < clock {
                        self.frame_ms = f64::from(step) * 1000.0 / f64::from(clock);
                    }
                }
            }
        }
        self.last_seq_ts = Some((a.seq, a.timestamp));
        self.jb.push(a.arrival_ms, a.timestamp, clock, a.marker);
        self.series.push(
            crate::time::ns_between(self.first_ns, a.ts_ns),
            ext,
            out.jitter_ms.filter(|_| out.regular),
            out.delta_ms.filter(|_| out.regular),
            duplicate,
        );
    }

    /// Packets received.
    pub fn packets(&self) -> u64 {
        self.stats.total
    }

    /// Duplicates seen within the last 128 sequence numbers.
    pub fn duplicates(&self) -> u64 {
        self.seq.duplicates
    }

    /// Sequence number wraps (RFC 3550 A.1 cycles).
    pub fn wraps(&self) -> u64 {
        self.seq.cycles
    }

    /// Sequence restarts (jumps of more than 3000 forward).
    pub fn seq_jumps(&self) -> u64 {
        self.seq.jumps
    }

    /// Packets the simulated jitter buffer discarded as late.
    pub fn late_discards(&self) -> u64 {
        self.jb.late()
    }

    /// Packetization interval estimate (ms), 0 when unknown.
    pub fn frame_ms(&self) -> f64 {
        self.frame_ms
    }

    /// Like a stream tshark would list, and more than a coincidence: announced by SDP, or at least
    /// two packets that followed their predecessor's sequence number.
    pub fn confirmed(&self) -> bool {
        self.via_sdp || self.in_order >= 2
    }

    /// tshark's payload column: names of the payload types seen, by number, joined by ", ".
    pub fn payload_names(&self) -> String {
        let mut pts: Vec<&PayloadTypeCount> = self.payload_types.iter().collect();
        crate::order::sort_by_key(&mut pts, |p| p.pt);
        pts.iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The time series.
    pub fn series(&self) -> Vec<SeriesPoint> {
        let width = self.series.width_ns.max(1) as f64 / 1e9;
        let mut prev_max = self.first_ext_seq - 1;
        self.series
            .buckets
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let lost = if b.packets == 0 {
                    0
                } else {
                    let advance = b.max_ext_seq - prev_max;
                    prev_max = prev_max.max(b.max_ext_seq);
                    (advance - i64::from(b.unique)).clamp(0, i64::from(u32::MAX)) as u32
                };
                SeriesPoint {
                    t: i as f64 * width,
                    packets: b.packets,
                    lost,
                    jitter_ms: b.jitter_max,
                    max_delta_ms: b.delta_max,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_sequence_wraps_and_spots_duplicates() {
        let mut s = ExtSeq::default();
        assert_eq!(s.push(65534), 65534);
        assert_eq!(s.push(65535), 65535);
        assert_eq!(s.push(0), 65536);
        assert_eq!(s.cycles, 1);
        assert_eq!(s.push(0), 65536);
        assert_eq!(s.duplicates, 1);
        assert_eq!(s.push(2), 65538);
        // Late 1 is not a duplicate; a second 1 is.
        assert_eq!(s.push(1), 65537);
        assert_eq!(s.duplicates, 1);
        s.push(1);
        assert_eq!(s.duplicates, 2);
        // A restart far away.
        s.push(30000);
        assert_eq!(s.jumps, 1);
    }

    #[test]
    fn series_downsamples_and_counts_loss() {
        let mut s = Series::default();
        // 300 s of one packet per second with every 10th missing.
        let mut seq = 0;
        for t in 0..300i64 {
            seq += 1;
            if t % 10 == 9 {
                continue;
            }
            s.push(t * 1_000_000_000, seq, Some(1.0), Some(20.0), false);
        }
        assert!(s.buckets.len() <= MAX_POINTS);
        assert_eq!(s.width_ns, 4_000_000_000);
        let total: u32 = s.buckets.iter().map(|b| b.packets).sum();
        assert_eq!(total, 270);
    }
}
