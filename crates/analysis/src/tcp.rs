//! TCP stream reassembly (RFC 9293 §3.4 sequence numbers), for the protocols that frame messages
//! over a byte stream (SIP, STUN over TCP). Each direction of a connection is a stream; bytes are
//! delivered in order, once: retransmissions and overlaps are trimmed, out-of-order segments wait.
//!
//! Bounded: out-of-order bytes per stream and in total are capped. When a gap cannot be waited
//! for, the stream skips it (counted in `dropped_bytes`) and carries on with what it holds, so a
//! lost segment costs one message, not the rest of the connection. A direction is released when it
//! ends (FIN, or RST) and holds nothing: only where it ended is remembered, so that a late
//! retransmission is not delivered twice and short connections never use up the stream limit.

use std::collections::BTreeMap;

use crate::FastMap;
use std::net::SocketAddr;

/// One direction of a connection.
#[derive(Debug, Default)]
struct Stream {
    /// Sequence number of the next byte to deliver; unknown until the SYN or first data.
    next: Option<u32>,
    /// Segments ahead of `next`, by their offset from `next` at insertion time (re-keyed by seq).
    pending: BTreeMap<u64, Vec<u8>>,
    /// `pending` keys are sequence numbers unwrapped relative to this base.
    base: u32,
    held: usize,
    /// A FIN arrived while segments were still waiting for a gap: released once they drain.
    closed: bool,
    /// The connection's first sequence number (after the SYN), kept across a release and a
    /// resumption so that a replay of the same connection is known as one.
    start: Option<u32>,
    /// When a segment last came ([`TcpStreams::tick`]), for evicting the idlest.
    touched: u64,
}

/// How a segment ends its direction of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// It does not.
    No,
    /// FIN: no data after this segment's; retransmissions may still fill earlier gaps.
    Fin,
    /// RST: nothing more at all.
    Rst,
}

/// All reassembled streams.
#[derive(Debug)]
pub struct TcpStreams {
    streams: FastMap<(SocketAddr, SocketAddr), Stream>,
    held: usize,
    max_per_stream: usize,
    max_total: usize,
    max_streams: usize,
    /// Initial sequence numbers from SYNs of streams nobody has claimed yet, so that a stream
    /// claimed on a later segment still knows where its bytes start.
    syns: FastMap<(SocketAddr, SocketAddr), u32>,
    /// Where released directions began and ended (first and next sequence numbers), bounded
    /// like `syns`.
    ended: FastMap<(SocketAddr, SocketAddr), (u32, u32)>,
    /// Bytes skipped because a gap could not be waited for.
    pub dropped_bytes: u64,
    /// Segments seen: the clock of [`Stream::touched`].
    tick: u64,
}

/// Offset of `seq` from `base`, allowing for wrap-around (RFC 9293 §3.4 modular arithmetic).
fn ahead(seq: u32, base: u32) -> i64 {
    i64::from(seq.wrapping_sub(base) as i32)
}

impl TcpStreams {
    /// Streams with the given bounds (bytes held out of order per stream and in total, streams).
    pub fn new(max_per_stream: usize, max_total: usize, max_streams: usize) -> Self {
        TcpStreams {
            streams: FastMap::default(),
            held: 0,
            max_per_stream,
            max_total,
            max_streams,
            syns: FastMap::default(),
            ended: FastMap::default(),
            dropped_bytes: 0,
            tick: 0,
        }
    }

    /// Notes a SYN's sequence number for a stream that is not being reassembled (yet). Bounded:
    /// the notes are forgotten wholesale when there are more than the stream limit.
    pub fn syn(&mut self, src: SocketAddr, dst: SocketAddr, seq: u32) {
        if self.streams.contains_key(&(src, dst)) {
            return;
        }
        if self.syns.len() >= self.max_streams {
            self.syns.clear();
        }
        self.syns.insert((src, dst), seq);
    }

    /// Adds a segment from `src` to `dst`; `deliver` receives the newly in-order bytes.
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        syn: bool,
        close: Close,
        payload: &[u8],
        deliver: &mut dyn FnMut(&[u8]),
    ) {
        let key = (src, dst);
        self.tick += 1;
        if !self.streams.contains_key(&key) && self.streams.len() >= self.max_streams {
            // Full: the idlest eighth goes (their waiting bytes counted as dropped), so that
            // connections that never ended cannot shut out the ones that follow.
            self.evict_idle();
        }
        let noted_syn = self.syns.remove(&key);
        // A released direction resumes where it ended (a retransmission is trimmed away), unless
        // a SYN starts a new connection on the same addresses: one with another initial sequence
        // number (the same one is the old connection replayed, which tshark too sees as
        // retransmissions).
        let ended = self
            .ended
            .remove(&key)
            .filter(|&(start, _)| !syn || seq.wrapping_add(1) == start);
        let stream = self.streams.entry(key).or_insert_with(|| {
            let mut stream = Stream::default();
            if let Some(isn) = noted_syn {
                let first = isn.wrapping_add(1);
                (stream.next, stream.base, stream.start) = (Some(first), first, Some(first));
            } else if let Some((start, next)) = ended {
                (stream.next, stream.base, stream.start) = (Some(next), next, Some(start));
            }
            stream
        });
        stream.touched = self.tick;
        // A SYN consumes one sequence number (RFC 9293 §3.4).
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        let next = match stream.next {
            Some(n) => n,
            None => {
                stream.base = data_seq;
                stream.start = Some(data_seq);
                data_seq
            }
        };
        if syn && stream.next.is_none() {
            stream.next = Some(data_seq);
        }
        if !payload.is_empty() {
            let offset = ahead(data_seq, next);
            if offset <= 0 {
                // In order, a retransmission or an overlap: deliver only the new tail.
                let skip = offset.unsigned_abs() as usize;
                if skip < payload.len() {
                    deliver(&payload[skip..]);
                    stream.next = Some(next.wrapping_add((payload.len() - skip) as u32));
                } else {
                    stream.next = Some(next);
                }
            } else {
                stream.next = Some(next);
                let key = (ahead(data_seq, stream.base) + (1i64 << 32)) as u64;
                let fits = stream.held + payload.len() <= self.max_per_stream
                    && self.held + payload.len() <= self.max_total;
                if fits {
                    if !stream.pending.contains_key(&key) {
                        stream.held += payload.len();
                        self.held += payload.len();
                        stream.pending.insert(key, payload.to_vec());
                    }
                } else {
                    // Cannot wait any longer: skip the gap, deliver what is held, keep this one.
                    Self::flush_gap(stream, &mut self.held, &mut self.dropped_bytes, deliver);
                    let n = stream.next.unwrap_or(next);
                    let o = ahead(data_seq, n);
                    if o > 0 {
                        self.dropped_bytes += o as u64;
                    }
                    let skip = if o < 0 { o.unsigned_abs() as usize } else { 0 };
                    if skip < payload.len() {
                        deliver(&payload[skip..]);
                        stream.next = Some(data_seq.wrapping_add(payload.len() as u32));
                    }
                }
            }
            self.held -= Self::drain(stream, deliver);
        }
        match close {
            Close::No => {}
            Close::Fin => stream.closed = true,
            Close::Rst => {
                // Nothing will fill the gaps: deliver what is held after them.
                Self::flush_gap(stream, &mut self.held, &mut self.dropped_bytes, deliver);
                stream.closed = true;
            }
        }
        if stream.closed && stream.pending.is_empty() {
            self.release(key);
        }
        if close == Close::Rst {
            // A reset ends the connection: the other direction too.
            let back = (dst, src);
            if let Some(other) = self.streams.get_mut(&back) {
                Self::flush_gap(other, &mut self.held, &mut self.dropped_bytes, deliver);
                self.release(back);
            }
        }
    }

    /// Releases the least recently used eighth of the directions (at least one), dropping (and
    /// counting) the bytes they held out of order: amortised O(1) per new direction.
    fn evict_idle(&mut self) {
        let mut ages: Vec<u64> = self.streams.values().map(|s| s.touched).collect();
        if ages.is_empty() {
            return;
        }
        let cut = ages.len() / 8;
        let (_, &mut threshold, _) = ages.select_nth_unstable(cut);
        let idle: Vec<_> = self
            .streams
            .iter()
            .filter(|(_, s)| s.touched <= threshold)
            .map(|(k, _)| *k)
            .take(cut.max(1))
            .collect();
        for key in idle {
            // What it held out of order is lost with it (`release` frees it from the total).
            self.dropped_bytes += self.streams.get(&key).map_or(0, |s| s.held as u64);
            self.release(key);
        }
    }

    /// Forgets a direction, remembering where it ended.
    fn release(&mut self, key: (SocketAddr, SocketAddr)) {
        if let Some(stream) = self.streams.remove(&key) {
            self.held -= stream.held;
            if let Some(next) = stream.next {
                if self.ended.len() >= self.max_streams {
                    self.ended.clear();
                }
                self.ended
                    .insert(key, (stream.start.unwrap_or(stream.base), next));
            }
        }
    }

    /// Directions being reassembled.
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    /// No direction is being reassembled.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// Delivers pending segments that are now in order; returns the bytes freed.
    fn drain(stream: &mut Stream, deliver: &mut dyn FnMut(&[u8])) -> usize {
        let mut freed = 0;
        while let Some((&key, _)) = stream.pending.iter().next() {
            let Some(next) = stream.next else { break };
            let seq = stream.base.wrapping_add((key as i64 - (1i64 << 32)) as u32);
            let offset = ahead(seq, next);
            if offset > 0 {
                break;
            }
            let Some(bytes) = stream.pending.remove(&key) else {
                break;
            };
            freed += bytes.len();
            stream.held -= bytes.len();
            let skip = offset.unsigned_abs() as usize;
            if skip < bytes.len() {
                deliver(&bytes[skip..]);
                stream.next = Some(next.wrapping_add((bytes.len() - skip) as u32));
            }
        }
        freed
    }

    /// Gives up on the gaps before the pending segments, delivering them: the bytes freed come
    /// off `held` (the total over all streams), the bytes skipped go to `dropped`.
    fn flush_gap(
        stream: &mut Stream,
        held: &mut usize,
        dropped: &mut u64,
        deliver: &mut dyn FnMut(&[u8]),
    ) {
        let mut freed = 0;
        let mut skipped = 0u64;
        while let Some((&key, _)) = stream.pending.iter().next() {
            let seq = stream.base.wrapping_add((key as i64 - (1i64 << 32)) as u32);
            if let Some(next) = stream.next {
                let gap = ahead(seq, next);
                if gap > 0 {
                    skipped += gap as u64;
                    stream.next = Some(seq);
                }
            }
            freed += Self::drain(stream, deliver);
        }
        *held -= freed;
        *dropped += skipped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs() -> (SocketAddr, SocketAddr) {
        (
            "10.0.0.1:5060".parse().unwrap(),
            "10.0.0.2:5060".parse().unwrap(),
        )
    }

    fn run(streams: &mut TcpStreams, segments: &[(u32, bool, &[u8])]) -> Vec<u8> {
        let (a, b) = addrs();
        let mut out = Vec::new();
        for (seq, syn, data) in segments {
            streams.segment(a, b, *seq, *syn, Close::No, data, &mut |bytes| {
                out.extend_from_slice(bytes)
            });
        }
        out
    }

    #[test]
    fn in_order_bytes_pass_through() {
        let mut s = TcpStreams::new(1 << 16, 1 << 20, 16);
        assert_eq!(
            run(
                &mut s,
                &[
                    (99, true, b""),
                    (100, false, b"INVITE "),
                    (107, false, b"sip:bob")
                ]
            ),
            b"INVITE sip:bob"
        );
    }

    #[test]
    fn out_of_order_segments_wait_for_the_gap() {
        let mut s = TcpStreams::new(1 << 16, 1 << 20, 16);
        let out = run(
            &mut s,
            &[
                (999, true, b""),
                (1008, false, b"cc"),
                (1004, false, b"bbbb"),
                (1000, false, b"aaaa"),
            ],
        );
        assert_eq!(out, b"aaaabbbbcc");
        assert_eq!(s.held, 0);
    }

    #[test]
    fn retransmissions_and_overlaps_are_delivered_once() {
        let mut s = TcpStreams::new(1 << 16, 1 << 20, 16);
        let out = run(
            &mut s,
            &[
                (0, true, b""),
                (1, false, b"abcd"),
                (1, false, b"abcd"),
                (3, false, b"cdef"),
            ],
        );
        assert_eq!(out, b"abcdef");
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut s = TcpStreams::new(1 << 16, 1 << 20, 16);
        let out = run(
            &mut s,
            &[
                (u32::MAX - 2, false, b"xyz"),
                (1, false, b"2"),
                (0, false, b"1"),
            ],
        );
        assert_eq!(out, b"xyz12");
    }

    #[test]
    fn a_syn_noted_before_the_claim_anchors_the_stream() {
        let mut s = TcpStreams::new(1 << 16, 1 << 20, 16);
        let (a, b) = addrs();
        s.syn(a, b, 99);
        let mut out = Vec::new();
        // The second data segment arrives first and is the one that gets the stream claimed.
        s.segment(a, b, 104, false, Close::No, b"BBBB", &mut |x| {
            out.extend_from_slice(x)
        });
        s.segment(a, b, 100, false, Close::No, b"AAAA", &mut |x| {
            out.extend_from_slice(x)
        });
        assert_eq!(out, b"AAAABBBB");
    }

    #[test]
    fn a_gap_too_long_to_wait_for_is_skipped_and_counted() {
        let mut s = TcpStreams::new(8, 1 << 20, 16);
        let out = run(
            &mut s,
            &[
                (0, true, b""),
                (1, false, b"aa"),
                (13, false, b"cccccc"),
                (19, false, b"dddddd"),
            ],
        );
        // 10 bytes (3..13) never arrived; the held segment and the new one follow.
        assert_eq!(out, b"aaccccccdddddd");
        assert_eq!(s.dropped_bytes, 10);
        assert_eq!(s.held, 0);
    }

    #[test]
    fn ended_directions_are_released_and_their_retransmissions_not_delivered_again() {
        let (a, b) = addrs();
        let mut s = TcpStreams::new(1 << 16, 1 << 20, 2);
        let mut out = Vec::new();
        let mut seg = |s: &mut TcpStreams, seq, syn, close, data: &[u8]| {
            s.segment(a, b, seq, syn, close, data, &mut |x| {
                out.extend_from_slice(x)
            });
        };
        seg(&mut s, 99, true, Close::No, b"");
        seg(&mut s, 100, false, Close::No, b"INVITE");
        seg(&mut s, 106, false, Close::Fin, b"!");
        assert!(s.is_empty(), "released at FIN");
        seg(&mut s, 100, false, Close::No, b"INVITE"); // a late retransmission
        assert!(!s.is_empty());
        seg(&mut s, 106, false, Close::Fin, b"!"); // and of the FIN
        assert!(s.is_empty());
        seg(&mut s, 5000, true, Close::No, b""); // a new connection on the same ports
        seg(&mut s, 5001, false, Close::Rst, b"BYE");
        assert!(s.is_empty(), "released at RST");
        assert_eq!(out, b"INVITE!BYE");
        assert_eq!(s.dropped_bytes, 0);
    }

    #[test]
    fn a_fin_before_a_gap_fills_waits_for_it_and_a_rst_gives_up() {
        let (a, b) = addrs();
        let mut s = TcpStreams::new(1 << 16, 1 << 20, 8);
        let mut out = Vec::new();
        let mut seg = |s: &mut TcpStreams, seq, syn, close, data: &[u8]| {
            s.segment(a, b, seq, syn, close, data, &mut |x| {
                out.extend_from_slice(x)
            });
        };
        seg(&mut s, 100, false, Close::No, b"AA");
        seg(&mut s, 104, false, Close::Fin, b"CC");
        assert_eq!(s.len(), 1, "waiting for bytes 102..104");
        seg(&mut s, 102, false, Close::No, b"BB");
        assert!(s.is_empty(), "released once drained");
        seg(&mut s, 899, true, Close::No, b"xx"); // a new connection on the same ports
        seg(&mut s, 910, false, Close::Rst, b"yy");
        assert!(s.is_empty());
        assert_eq!(out, b"AABBCCxxyy");
        assert_eq!(s.dropped_bytes, 8, "the gap 902..910");
    }

    /// The same connection replayed (same addresses, same initial sequence number), as a capture
    /// merged with itself has it: tshark sees retransmissions, and so do we, however often.
    #[test]
    fn a_replayed_connection_is_not_delivered_again() {
        let (a, b) = addrs();
        let mut s = TcpStreams::new(1 << 16, 1 << 20, 8);
        let mut out = Vec::new();
        for isn in [99, 99, 99, 500] {
            let mut seg = |s: &mut TcpStreams, seq, syn, close, data: &[u8]| {
                s.segment(a, b, seq, syn, close, data, &mut |x| {
                    out.extend_from_slice(x)
                });
            };
            seg(&mut s, isn, true, Close::No, b"");
            seg(&mut s, isn + 1, false, Close::No, b"INVITE");
            seg(&mut s, isn + 7, false, Close::Fin, b"");
            assert!(s.is_empty());
        }
        assert_eq!(
            out, b"INVITEINVITE",
            "the first and the new connection (ISN 500)"
        );
    }

    /// Connections that never end do not shut out the ones that follow: when the table is full,
    /// the idlest are let go (what they held out of order counted as dropped).
    #[test]
    fn the_idlest_directions_make_room_for_new_ones() {
        let mut s = TcpStreams::new(1 << 16, 1 << 20, 8);
        let b: SocketAddr = "10.0.0.2:5060".parse().unwrap();
        let mut out = Vec::new();
        for port in 0..40u16 {
            let a = SocketAddr::from(([10, 0, 0, 1], 40_000 + port));
            let mut deliver = |x: &[u8]| out.extend_from_slice(x);
            s.segment(a, b, 100, true, Close::No, b"", &mut deliver);
            s.segment(a, b, 101, false, Close::No, b"hi", &mut deliver);
            s.segment(a, b, 110, false, Close::No, b"late", &mut deliver); // waits for 103..110
        }
        assert!(s.len() <= 8);
        assert_eq!(
            out.len(),
            40 * 2,
            "every connection's in-order bytes were read"
        );
        assert_eq!(
            s.dropped_bytes,
            (40 - s.len() as u64) * 4,
            "the evicted ones' waiting bytes"
        );
    }
}
