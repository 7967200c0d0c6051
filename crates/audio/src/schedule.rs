//! The order in which a stream's packets are decoded and where each plays. As a listener heard
//! it ([`Mode::Buffer`]): the quality estimate's fixed jitter buffer (`rtp::jitter`) places each
//! packet at its media time and discards the late ones; duplicates play once. As captured
//! ([`Mode::Captured`]): every packet, in arrival order, placed as it is decoded.

use std::collections::HashSet;

use callscope_analysis::rtp::jitter::JitterBuffer;
use callscope_analysis::rtp::stats::clock_for;

use crate::collect::Received;
use crate::request::{Mode, Track};

/// A stream's decoding plan.
#[derive(Debug, Default)]
pub struct Schedule {
    /// Packets to decode, in order: (index into the packets, where it plays in ms on the
    /// arrival clock; `None`: as captured, after the previous one).
    pub order: Vec<(usize, Option<f64>)>,
    /// Packets the buffer discarded: (index, where they would have played).
    pub late: Vec<(usize, f64)>,
    /// Each packet's extended sequence number (RFC 3550 Appendix A.1), by index.
    pub ext: Vec<i64>,
    /// Copies of a packet already received.
    pub duplicates: u64,
}

/// The RTP clock of a payload type of `track` (the report's, else the static table's).
pub fn clock(track: &Track, pt: u8) -> u32 {
    match track.payload_types.iter().find(|p| p.pt == pt) {
        Some(p) if p.clock != 0 => p.clock,
        Some(p) => clock_for(pt, Some(&p.name), 0),
        None => clock_for(pt, None, 0),
    }
}

/// Sequence numbers extended past their 16-bit wrap, relative to the highest so far.
fn extend(packets: &[Received]) -> Vec<i64> {
    let mut highest: Option<i64> = None;
    packets
        .iter()
        .map(|p| {
            let ext = match highest {
                None => i64::from(p.seq),
                Some(h) => h + i64::from(p.seq.wrapping_sub(h as u16) as i16),
            };
            highest = Some(highest.map_or(ext, |h| h.max(ext)));
            ext
        })
        .collect()
}

/// Plans the decoding of `packets` (in arrival order).
pub fn plan(track: &Track, packets: &[Received], mode: Mode) -> Schedule {
    let ext = extend(packets);
    let mut s = Schedule::default();
    let mut seen = HashSet::new();
    let mut jb = JitterBuffer::default();
    let mut kept = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        let first = seen.insert(ext[i]);
        if !first {
            s.duplicates += 1;
        }
        let play = jb.push(p.arrival_ms, p.timestamp, clock(track, p.pt), p.marker);
        match mode {
            Mode::Captured => {
                s.order.push((i, None));
                if let Some(play) = play.filter(|p| p.late) {
                    s.late.push((i, play.at_ms));
                }
            }
            Mode::Buffer if !first => {}
            Mode::Buffer => match play {
                Some(play) if play.late => s.late.push((i, play.at_ms)),
                Some(play) => kept.push((ext[i], i, play.at_ms)),
                // No clock (telephone-events, unknown types): nothing to place.
                None => {}
            },
        }
    }
    if mode == Mode::Buffer {
        kept.sort_by_key(|&(e, i, _)| (e, i));
        s.order = kept.into_iter().map(|(_, i, at)| (i, Some(at))).collect();
    }
    s.ext = ext;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::PayloadType;

    fn track() -> Track {
        Track {
            src: "10.0.0.1:4000"
                .parse()
                .unwrap_or(std::net::SocketAddr::from(([0; 4], 0))),
            dst: "10.0.0.2:4000"
                .parse()
                .unwrap_or(std::net::SocketAddr::from(([0; 4], 0))),
            ssrc: 1,
            payload_types: vec![PayloadType {
                pt: 0,
                name: "g711U".into(),
                clock: 8000,
            }],
            srtp: false,
        }
    }

    fn packet(arrival_ms: f64, seq: u16, timestamp: u32) -> Received {
        Received {
            arrival_ms,
            frame: 0,
            seq,
            timestamp,
            pt: 0,
            marker: false,
            payload: vec![0xff; 160],
        }
    }

    #[test]
    fn buffer_orders_by_sequence_drops_late_and_duplicates() {
        // seq 65534, 65535, 0 (wrap), 2 arrives before 1, 3 is 100 ms late, 2 is duplicated.
        let packets = [
            packet(0.0, 65534, 0),
            packet(20.0, 65535, 160),
            packet(40.0, 0, 320),
            packet(80.0, 2, 640),
            packet(85.0, 1, 480),
            packet(85.0, 2, 640),
            packet(200.0, 3, 800),
        ];
        let s = plan(&track(), &packets, Mode::Buffer);
        assert_eq!(s.ext, [65534, 65535, 65536, 65538, 65537, 65538, 65539]);
        let order: Vec<_> = s
            .order
            .iter()
            .map(|&(i, at)| (i, at.unwrap_or(-1.0)))
            .collect();
        assert_eq!(
            order,
            [(0, 0.0), (1, 20.0), (2, 40.0), (4, 60.0), (3, 80.0)]
        );
        assert_eq!(s.late, [(6, 100.0)]);
        assert_eq!(s.duplicates, 1);
        let c = plan(&track(), &packets, Mode::Captured);
        assert_eq!(c.order.len(), 7);
        assert!(c
            .order
            .iter()
            .enumerate()
            .all(|(n, &(i, at))| n == i && at.is_none()));
        assert_eq!(c.late.len(), 1);
    }
}
