//! ESP security associations as a passive observer sees them: per SPI and direction, packets,
//! bytes, first/last time, and the sequence numbers (clear text, RFC 4303 §2.2) checked with a
//! 64-packet window like the receiver's anti-replay window (§3.4.3).
//!
//! Gaps count as lost until a late packet fills them; a sequence number seen again is a replay.
//! The first packet seen starts the count: loss before it is not knowable.

use std::net::SocketAddr;

/// Width of the sliding window.
const WINDOW: u32 = 64;

/// One SA (SPI, source, destination).
#[derive(Debug, Clone)]
pub struct EspSa {
    /// SPI.
    pub spi: u32,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Carried in UDP (RFC 3948) rather than IP protocol 50.
    pub udp: bool,
    /// The tunnel it belongs to.
    pub tunnel: Option<usize>,
    /// Packets.
    pub packets: u64,
    /// ESP bytes (header, ciphertext, ICV).
    pub bytes: u64,
    /// First packet (ns).
    pub first_ns: i64,
    /// Last packet (ns).
    pub last_ns: i64,
    /// First frame.
    pub first_frame: u64,
    highest: u32,
    window: u64,
    /// Sequence numbers skipped and not (yet) seen.
    pub lost: u64,
    /// Sequence numbers seen twice.
    pub replays: u64,
    /// Packets older than the highest seen (filled a gap, or too old to tell).
    pub late: u64,
}

impl EspSa {
    /// A new SA, before its first packet.
    pub fn new(spi: u32, src: SocketAddr, dst: SocketAddr, udp: bool) -> Self {
        EspSa {
            spi,
            src,
            dst,
            udp,
            tunnel: None,
            packets: 0,
            bytes: 0,
            first_ns: 0,
            last_ns: 0,
            first_frame: 0,
            highest: 0,
            window: 0,
            lost: 0,
            replays: 0,
            late: 0,
        }
    }

    /// Counts a packet with sequence number `seq` and `len` bytes.
    pub fn record(&mut self, seq: u32, len: usize, ts_ns: i64, frame: u64) {
        self.bytes += len as u64;
        if self.packets == 0 {
            self.packets = 1;
            self.first_ns = ts_ns;
            self.last_ns = ts_ns;
            self.first_frame = frame;
            self.highest = seq;
            self.window = 1;
            return;
        }
        self.packets += 1;
        self.first_ns = self.first_ns.min(ts_ns);
        self.last_ns = self.last_ns.max(ts_ns);
        if seq > self.highest {
            let gap = seq - self.highest;
            self.lost += u64::from(gap - 1);
            self.window = if gap >= WINDOW {
                1
            } else {
                (self.window << gap) | 1
            };
            self.highest = seq;
        } else {
            let back = self.highest - seq;
            if back >= WINDOW {
                self.late += 1;
            } else if self.window & (1 << back) != 0 {
                self.replays += 1;
            } else {
                self.window |= 1 << back;
                self.late += 1;
                self.lost = self.lost.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa() -> EspSa {
        EspSa::new(
            0x1234,
            "10.0.0.1:4500".parse().unwrap(),
            "10.0.0.2:4500".parse().unwrap(),
            true,
        )
    }

    #[test]
    fn in_order_has_no_loss() {
        let mut s = sa();
        for seq in 1..=10 {
            s.record(seq, 100, i64::from(seq), u64::from(seq));
        }
        assert_eq!(
            (s.packets, s.bytes, s.lost, s.replays, s.late),
            (10, 1000, 0, 0, 0)
        );
        assert_eq!((s.first_ns, s.last_ns), (1, 10));
    }

    #[test]
    fn a_gap_is_lost_until_filled() {
        let mut s = sa();
        for seq in [1, 2, 5, 6] {
            s.record(seq, 10, 0, 0);
        }
        assert_eq!(s.lost, 2);
        s.record(3, 10, 0, 0);
        assert_eq!((s.lost, s.late), (1, 1));
    }

    #[test]
    fn a_repeated_sequence_number_is_a_replay() {
        let mut s = sa();
        for seq in [7, 8, 8, 7] {
            s.record(seq, 10, 0, 0);
        }
        assert_eq!((s.lost, s.replays), (0, 2));
    }

    #[test]
    fn far_jumps_and_very_old_packets() {
        let mut s = sa();
        s.record(1, 10, 0, 0);
        s.record(1001, 10, 0, 0);
        assert_eq!(s.lost, 999);
        s.record(2, 10, 0, 0);
        assert_eq!(s.late, 1);
        s.record(u32::MAX, 10, 0, 0);
        assert_eq!(s.packets, 4);
    }
}
