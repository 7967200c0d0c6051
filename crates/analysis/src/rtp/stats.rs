//! Per-stream statistics computed exactly as tshark 4.0's RTP stream analysis
//! (`ui/tap-rtp-analysis.c`, `rtppacket_analyse`, and `rtpstream_info_calculate` for lost), so
//! that callscope's numbers equal `tshark -z rtp,streams` to the last printed digit.
//!
//! The rules, in tshark's words and ours:
//! - Arrival time is the capture time in milliseconds (a double).
//! - The first packet only initialises: it has no delta and no jitter.
//! - A packet is *in time sequence* when its RTP timestamp is not before the stream's first one
//!   (modulo 2³², within half the range). Only such packets move the sequence state and the
//!   reference arrival time.
//! - Jitter (RFC 3550 §6.4.1 in milliseconds): `D = |arrival − (prev_arrival + (ts − prev_ts) /
//!   (clock / 1000))|`, `J += (D − J) / 16`; `clock / 1000` is an integer division (44100 → 44).
//!   The clock comes from the static payload-type table, or for dynamic types from the SDP
//!   `rtpmap` or the encoding name; `telephone-event` and unknown types have no clock and so no
//!   jitter, only deltas.
//! - Min/mean/max delta and jitter skip the first packet and packets with the marker bit, comfort
//!   noise (PT 13 or 19), a packet following comfort noise, or a timestamp before the first one.
//!   The "means" divide the running sum by the number of packets before this one — tshark's
//!   formula — so skipped packets still weigh in the denominator.
//! - Min delta and min jitter stay −1 until a packet counts (tshark prints −1.000).
//! - Lost: `expected = (last_seq + 65536·cycles) − first_seq + 1`, `lost = expected − received`
//!   (negative with duplicates), where `last_seq` is the sequence number of the last packet
//!   received, in any order.

/// Clock rates of static payload types (tshark's `clock_map`, from IANA's RTP parameters).
pub fn static_clock(pt: u8) -> u32 {
    match pt {
        0..=5 | 7..=9 | 12 | 13 | 15 | 18 | 19 => 8000,
        6 => 16000,
        10 | 11 => 44100,
        14 | 25 | 26 | 28 | 31..=34 => 90000,
        16 => 11025,
        17 => 22050,
        _ => 0,
    }
}

/// Clock rate by encoding name for dynamic payload types (tshark's `mimetype_and_clock_map`):
/// the table entry that is a case-insensitive prefix of `name`, searched from the end. tshark 4.0
/// has no `opus` entry, so opus gets its clock only from an SDP `rtpmap`.
pub fn dynamic_clock(name: &str) -> u32 {
    const TABLE: [(&str, u32); 37] = [
        ("AMR", 8000),
        ("AMR-WB", 16000),
        ("BMPEG", 90000),
        ("BT656", 90000),
        ("DV", 90000),
        ("EVRC", 8000),
        ("EVRC0", 8000),
        ("EVRC1", 8000),
        ("EVRCB", 8000),
        ("EVRCB0", 8000),
        ("EVRCB1", 8000),
        ("EVRCWB", 16000),
        ("EVRCWB0", 16000),
        ("EVRCWB1", 16000),
        ("EVS", 16000),
        ("G7221", 16000),
        ("G726-16", 8000),
        ("G726-24", 8000),
        ("G726-32", 8000),
        ("G726-40", 8000),
        ("G729D", 8000),
        ("G729E", 8000),
        ("GSM-EFR", 8000),
        ("H263-1998", 90000),
        ("H263-2000", 90000),
        ("H264", 90000),
        ("MP1S", 90000),
        ("MP2P", 90000),
        ("MP4V-ES", 90000),
        ("mpa-robust", 90000),
        ("pointer", 90000),
        ("raw", 90000),
        ("red", 1000),
        ("SMV", 8000),
        ("SMV0", 8000),
        ("t140", 1000),
        ("telephone-event", 8000),
    ];
    let name = name.as_bytes();
    TABLE
        .iter()
        .rev()
        .find(|(entry, _)| {
            name.len() >= entry.len() && name[..entry.len()].eq_ignore_ascii_case(entry.as_bytes())
        })
        .map_or(0, |&(_, clock)| clock)
}

/// True for names tshark treats as RFC 4733 events (a case-insensitive `telephone-event` prefix).
pub fn is_telephone_event(name: &str) -> bool {
    let n = name.as_bytes();
    n.len() >= 15 && n[..15].eq_ignore_ascii_case(b"telephone-event")
}

/// The clock tshark uses for a packet: static table below 96; for dynamic types, none for
/// telephone-event, the `rtpmap` rate when known, else the name table; none without a name.
pub fn clock_for(pt: u8, name: Option<&str>, rtpmap_rate: u32) -> u32 {
    if pt < 96 {
        return static_clock(pt);
    }
    match name {
        Some(n) if is_telephone_event(n) => 0,
        Some(_) if rtpmap_rate != 0 => rtpmap_rate,
        Some(n) => dynamic_clock(n),
        None => 0,
    }
}

/// What one packet contributes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Arrival, milliseconds (any fixed origin).
    pub arrival_ms: f64,
    /// Sequence number.
    pub seq: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Payload type.
    pub pt: u8,
    /// Marker bit.
    pub marker: bool,
    /// Clock rate for this packet per [`clock_for`] (0: none).
    pub clock: u32,
}

/// What [`TsharkStats::push`] learned about one packet.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Outcome {
    /// The packet's sequence number was not the expected successor (tshark's "wrong sequence").
    pub wrong_seq: bool,
    /// The timestamp is before the stream's first (tshark's "wrong timestamp").
    pub wrong_timestamp: bool,
    /// The packet counted for delta (and jitter, with a clock).
    pub regular: bool,
    /// Jitter after this packet (ms), when it has a clock and is in time sequence.
    pub jitter_ms: Option<f64>,
    /// Delta to the previous in-sequence packet (ms), when computed for this packet.
    pub delta_ms: Option<f64>,
}

/// tshark's `tap_rtp_stat_t`, the parts that reach `-z rtp,streams` and a few more.
#[derive(Debug, Clone, PartialEq)]
pub struct TsharkStats {
    first: bool,
    seq_num: u16,
    start_seq: u16,
    stop_seq: u16,
    first_timestamp: u32,
    time: f64,
    start_time: f64,
    last_nominal: f64,
    pt: u8,
    delta: f64,
    jitter: f64,
    under: bool,
    /// Sequence wraps as tshark counts them.
    pub cycles: i64,
    /// Packets counted (`total_nr`).
    pub total: u64,
    /// Sequence errors (tshark's `sequence`).
    pub sequence_errors: u64,
    /// −1 until set.
    pub min_delta: f64,
    /// Mean delta, tshark's formula.
    pub mean_delta: f64,
    /// Max delta.
    pub max_delta: f64,
    /// −1 until set.
    pub min_jitter: f64,
    /// Mean jitter, tshark's formula.
    pub mean_jitter: f64,
    /// Max jitter.
    pub max_jitter: f64,
    /// Largest |nominal − arrival| drift, signed (tshark's `max_skew`).
    pub max_skew: f64,
    /// Last non-zero clock used.
    pub clock: u32,
    /// A wrong sequence or timestamp was seen (tshark's "Problems?" X).
    pub problem: bool,
}

impl Default for TsharkStats {
    fn default() -> Self {
        TsharkStats {
            first: true,
            seq_num: 0,
            start_seq: 0,
            stop_seq: 0,
            first_timestamp: 0,
            time: 0.0,
            start_time: 0.0,
            last_nominal: 0.0,
            pt: 0,
            delta: 0.0,
            jitter: 0.0,
            under: false,
            cycles: 0,
            total: 0,
            sequence_errors: 0,
            min_delta: -1.0,
            mean_delta: 0.0,
            max_delta: 0.0,
            min_jitter: -1.0,
            mean_jitter: 0.0,
            max_jitter: 0.0,
            max_skew: 0.0,
            clock: 0,
            problem: false,
        }
    }
}

/// `higher − lower` modulo 2³² (tshark's `guint32_wraparound_diff`).
fn wrap_diff(higher: u32, lower: u32) -> u32 {
    higher.wrapping_sub(lower)
}

impl TsharkStats {
    /// Adds one packet, in capture order.
    pub fn push(&mut self, s: Sample) -> Outcome {
        let now = s.arrival_ms;
        if self.first {
            self.first = false;
            self.start_seq = s.seq;
            self.stop_seq = s.seq;
            self.seq_num = s.seq;
            self.start_time = now;
            self.first_timestamp = s.timestamp;
            self.time = now;
            self.last_nominal = 0.0;
            self.pt = s.pt;
            self.total = 1;
            return Outcome::default();
        }
        let mut out = Outcome::default();

        // In time sequence: not before the first timestamp, within half the 32-bit range.
        let first_ts = i64::from(self.first_timestamp);
        let ts = i64::from(s.timestamp);
        let in_time = if first_ts <= ts {
            ts - first_ts < 0x8000_0000
        } else {
            (0xffff_ffff - first_ts) + ts < 0x8000_0000
        };
        out.wrong_timestamp = !in_time;

        // Sequence cycles.
        // Below the first sequence number, or 65535 → 0: a new cycle (once per excursion).
        let wrapped = s.seq < self.start_seq || (s.seq == 0 && self.stop_seq == 65535);
        if in_time && wrapped && !self.under {
            self.cycles += 1;
            self.under = true;
        } else if in_time && s.seq > self.start_seq && self.under {
            self.under = false;
        }

        // Sequence errors (u16 fields promoted to int in C: no wrap in `seq_num + 1`).
        let last = i32::from(self.seq_num);
        let cur = i32::from(s.seq);
        if in_time && (last + 1 == cur || (last == 65535 && cur == 0)) {
            self.seq_num = s.seq;
        } else if in_time && (last + 1 < cur || last - cur > 0xff00) {
            self.seq_num = s.seq;
            self.sequence_errors += 1;
            out.wrong_seq = true;
        } else if last + 1 > cur {
            self.sequence_errors += 1;
            out.wrong_seq = true;
        }

        let cn = s.pt == 13 || s.pt == 19;
        let follows_cn = self.pt == 13 || self.pt == 19;
        self.pt = s.pt;

        let mut current_jitter = 0.0;
        if in_time {
            let arrival = now - self.start_time;
            let mut nominal = f64::from(wrap_diff(s.timestamp, self.first_timestamp));
            if s.clock != 0 {
                self.clock = s.clock;
                nominal /= f64::from(s.clock / 1000);
                let expected = self.time + (nominal - self.last_nominal);
                let diff = (now - expected).abs();
                current_jitter = (15.0 * self.jitter + diff) / 16.0;
                self.delta = now - self.time;
                self.jitter = current_jitter;
                self.last_nominal = nominal;
                let skew = nominal - arrival;
                if skew.abs() > self.max_skew.abs() {
                    self.max_skew = skew;
                }
                out.jitter_ms = Some(current_jitter);
            } else {
                self.delta = now - self.time;
            }
            out.delta_ms = Some(self.delta);
        }

        if !s.marker && !cn && in_time && !follows_cn {
            out.regular = true;
            if self.delta > self.max_delta {
                self.max_delta = self.delta;
            }
            if self.min_delta == -1.0 || self.delta < self.min_delta {
                self.min_delta = self.delta;
            }
            let n = self.total as f64;
            self.mean_delta = (self.mean_delta * (n - 1.0) + self.delta) / n;
            if s.clock != 0 {
                if self.jitter > self.max_jitter {
                    self.max_jitter = self.jitter;
                }
                self.mean_jitter = (self.mean_jitter * (n - 1.0) + current_jitter) / n;
                if self.min_jitter == -1.0 || self.jitter < self.min_jitter {
                    self.min_jitter = self.jitter;
                }
            }
        }

        if in_time {
            self.time = now;
        }
        self.stop_seq = s.seq;
        self.total += 1;
        if out.wrong_seq || out.wrong_timestamp {
            self.problem = true;
        }
        out
    }

    /// Packets expected from the first to the last sequence number received, with tshark's cycles.
    pub fn expected(&self) -> i64 {
        if self.total == 0 {
            return 0;
        }
        (i64::from(self.stop_seq) + self.cycles * 65536) - i64::from(self.start_seq) + 1
    }

    /// `expected − received` (negative with duplicates).
    pub fn lost(&self) -> i64 {
        self.expected() - self.total as i64
    }

    /// `lost · 100 / expected` (0 when nothing is expected).
    pub fn lost_percent(&self) -> f64 {
        let e = self.expected();
        if e == 0 {
            0.0
        } else {
            (self.lost() * 100) as f64 / e as f64
        }
    }

    /// First sequence number.
    pub fn first_seq(&self) -> u16 {
        self.start_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcmu(arrival_ms: f64, seq: u16, timestamp: u32) -> Sample {
        Sample {
            arrival_ms,
            seq,
            timestamp,
            pt: 0,
            marker: false,
            clock: 8000,
        }
    }

    /// A stream with perfectly regular 20 ms packets has 20 ms deltas and no jitter.
    #[test]
    fn regular_stream() {
        let mut s = TsharkStats::default();
        for i in 0..50u16 {
            s.push(pcmu(f64::from(i) * 20.0, 1000 + i, 160 * u32::from(i)));
        }
        assert_eq!(s.total, 50);
        assert_eq!(s.lost(), 0);
        assert_eq!(s.min_delta, 20.0);
        assert_eq!(s.max_delta, 20.0);
        assert!((s.mean_delta - 20.0).abs() < 1e-9);
        assert_eq!(s.max_jitter, 0.0);
        assert_eq!(s.min_jitter, 0.0);
        assert!(!s.problem);
    }

    /// One late packet: D = 5 ms, J = 5/16; the next packet, early by the same amount, D = 5 again.
    #[test]
    fn jitter_follows_rfc3550_in_ms() {
        let mut s = TsharkStats::default();
        s.push(pcmu(0.0, 1, 0));
        let o = s.push(pcmu(25.0, 2, 160));
        assert_eq!(o.jitter_ms, Some(5.0 / 16.0));
        let o = s.push(pcmu(40.0, 3, 320));
        let j2 = (15.0 * (5.0 / 16.0) + 5.0) / 16.0;
        assert!((o.jitter_ms.unwrap() - j2).abs() < 1e-12);
        assert_eq!(s.max_delta, 25.0);
        assert_eq!(s.min_delta, 15.0);
        // Means divide by packets-before-this-one: (0·0 + 25)/1, then (25·1 + 15)/2.
        assert_eq!(s.mean_delta, 20.0);
    }

    /// Sequence numbers wrap from 65535 to 0: no loss, one cycle.
    #[test]
    fn sequence_wrap() {
        let mut s = TsharkStats::default();
        for (i, seq) in (65530u16..=65535).chain(0..10).enumerate() {
            s.push(pcmu(i as f64 * 20.0, seq, 160 * i as u32));
        }
        assert_eq!(s.cycles, 1);
        assert_eq!(s.total, 16);
        assert_eq!(s.lost(), 0);
        assert_eq!(s.sequence_errors, 0);
    }

    /// A gap of two packets: lost 2, one sequence error, the delta across the gap counts.
    #[test]
    fn gap_is_lost() {
        let mut s = TsharkStats::default();
        for (i, seq) in [1u16, 2, 3, 6, 7].iter().enumerate() {
            let t = if *seq >= 6 { i + 2 } else { i };
            s.push(pcmu(t as f64 * 20.0, *seq, 160 * u32::from(*seq)));
        }
        assert_eq!(s.lost(), 2);
        assert_eq!(s.sequence_errors, 1);
        assert_eq!(s.max_delta, 60.0);
        assert!(s.problem);
    }

    /// Reordering: 1 2 4 3 5 — nothing lost, two sequence errors (tshark counts the jump to 4 and
    /// the late 3), and the expected count uses the last packet received.
    #[test]
    fn reordering() {
        let mut s = TsharkStats::default();
        for (i, seq) in [1u16, 2, 4, 3, 5].iter().enumerate() {
            s.push(pcmu(i as f64 * 20.0, *seq, 160 * u32::from(*seq)));
        }
        assert_eq!(s.lost(), 0);
        assert_eq!(s.sequence_errors, 2);
    }

    /// Duplicates make `lost` negative, as in tshark.
    #[test]
    fn duplicates_make_lost_negative() {
        let mut s = TsharkStats::default();
        for (i, seq) in [1u16, 2, 2, 3, 3, 4].iter().enumerate() {
            s.push(pcmu(i as f64 * 20.0, *seq, 160 * u32::from(*seq)));
        }
        assert_eq!(s.total, 6);
        assert_eq!(s.lost(), -2);
        assert_eq!(s.sequence_errors, 2);
    }

    /// A timestamp before the first packet's is "wrong": it counts as received but neither for
    /// delta/jitter nor as the reference time.
    #[test]
    fn timestamp_before_first_is_skipped() {
        let mut s = TsharkStats::default();
        s.push(pcmu(0.0, 1, 16000));
        let o = s.push(pcmu(20.0, 2, 100));
        assert!(o.wrong_timestamp);
        assert!(!o.regular);
        let o = s.push(pcmu(40.0, 3, 16320));
        assert!(o.regular);
        // Reference time stayed at 0 ms: delta 40.
        assert_eq!(s.max_delta, 40.0);
        assert!(s.problem);
    }

    /// A forward timestamp jump (a new talkspurt without marker) shows up as jitter, as in tshark.
    #[test]
    fn timestamp_jump_forward() {
        let mut s = TsharkStats::default();
        s.push(pcmu(0.0, 1, 0));
        s.push(pcmu(20.0, 2, 160));
        let o = s.push(pcmu(40.0, 3, 160 + 8000));
        // Expected at 20 + 1000 ms, arrived at 40: D = 980.
        assert!((o.jitter_ms.unwrap() - (15.0 * 0.0 + 980.0) / 16.0).abs() < 1e-9);
    }

    /// Marker, comfort noise and the packet after comfort noise are skipped for min/max/mean.
    #[test]
    fn marker_and_comfort_noise_are_skipped() {
        let mut s = TsharkStats::default();
        s.push(pcmu(0.0, 1, 0));
        let mut m = pcmu(100.0, 2, 160);
        m.marker = true;
        assert!(!s.push(m).regular);
        let mut cn = pcmu(120.0, 3, 320);
        cn.pt = 13;
        assert!(!s.push(cn).regular);
        assert!(!s.push(pcmu(300.0, 4, 480)).regular);
        assert!(s.push(pcmu(320.0, 5, 640)).regular);
        assert_eq!(s.max_delta, 20.0);
        assert_eq!(s.min_delta, 20.0);
    }

    /// telephone-event has no clock: deltas, no jitter (min jitter stays −1).
    #[test]
    fn telephone_event_has_no_jitter() {
        assert_eq!(clock_for(101, Some("telephone-event"), 8000), 0);
        let mut s = TsharkStats::default();
        for i in 0..5u16 {
            s.push(Sample {
                arrival_ms: f64::from(i) * 50.0,
                seq: i,
                timestamp: 1234,
                pt: 101,
                marker: i == 0,
                clock: 0,
            });
        }
        assert_eq!(s.min_jitter, -1.0);
        assert_eq!(s.max_jitter, 0.0);
        assert_eq!(s.min_delta, 50.0);
    }

    #[test]
    fn clock_tables() {
        assert_eq!(clock_for(0, None, 0), 8000);
        assert_eq!(clock_for(9, None, 0), 8000); // G.722's RTP clock
        assert_eq!(clock_for(10, None, 0), 44100);
        assert_eq!(clock_for(96, None, 0), 0);
        assert_eq!(clock_for(96, Some("AMR-WB"), 0), 16000);
        assert_eq!(clock_for(96, Some("amr"), 0), 8000);
        assert_eq!(clock_for(111, Some("opus"), 48000), 48000);
        assert_eq!(clock_for(111, Some("opus"), 0), 0);
        assert_eq!(dynamic_clock("EVS"), 16000);
        assert_eq!(dynamic_clock("rtpevent"), 0);
    }

    /// 44.1 kHz: tshark divides by the integer 44, not 44.1.
    #[test]
    fn integer_khz_division() {
        let mut s = TsharkStats::default();
        let l16 = |t: f64, seq: u16, ts: u32| Sample {
            arrival_ms: t,
            seq,
            timestamp: ts,
            pt: 11,
            marker: false,
            clock: 44100,
        };
        s.push(l16(0.0, 1, 0));
        let o = s.push(l16(10.0, 2, 441));
        // 441 / 44 = 10.0227… ms nominal.
        assert!((o.jitter_ms.unwrap() - (441.0 / 44.0 - 10.0) / 16.0).abs() < 1e-12);
    }
}
