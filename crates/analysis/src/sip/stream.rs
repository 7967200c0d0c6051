//! SIP over TCP: cutting each direction's in-order bytes (from [`crate::tcp`]) into messages by
//! `Content-Length` (RFC 3261 §18.3). Several messages in one segment come out one by one; a
//! message over several segments waits in a buffer until it is whole.
//!
//! Bounded: a partial message may hold at most `max_per_stream` bytes, all partial messages
//! together `max_total`, and at most `max_streams` directions may hold one. What does not fit is
//! discarded and counted in `dropped_bytes`; the stream then resynchronises on the next start
//! line.

use crate::FastMap;
use std::net::SocketAddr;

use callscope_wire::sip::framing::{FrameError, FrameLimits};
use callscope_wire::sip::{frame_stream, Framing};

/// What the framer found.
#[derive(Debug)]
pub enum Item<'a> {
    /// A whole message.
    Message(&'a [u8]),
    /// A keep-alive.
    KeepAlive,
    /// Bytes that are not a message (skipped).
    Garbage(usize),
    /// A start line whose message cannot be framed (skipped).
    Invalid(FrameError),
}

/// Partial messages per direction.
#[derive(Debug)]
pub struct Streams {
    partial: FastMap<(SocketAddr, SocketAddr), Vec<u8>>,
    held: usize,
    limits: FrameLimits,
    max_per_stream: usize,
    max_total: usize,
    max_streams: usize,
    /// Bytes discarded because a bound was reached.
    pub dropped_bytes: u64,
}

impl Streams {
    /// Empty buffers with these bounds.
    pub fn new(limits: FrameLimits, max_total: usize, max_streams: usize) -> Streams {
        Streams {
            partial: FastMap::default(),
            held: 0,
            limits,
            max_per_stream: limits.max_header + limits.max_body,
            max_total,
            max_streams,
            dropped_bytes: 0,
        }
    }

    /// Bytes held in partial messages.
    pub fn held(&self) -> usize {
        self.held
    }

    /// Appends in-order bytes sent `src`→`dst` and hands out every whole item.
    pub fn push(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        bytes: &[u8],
        on_item: &mut dyn FnMut(Item<'_>),
    ) {
        let key = (src, dst);
        let mut buffered = self.partial.remove(&key).unwrap_or_default();
        self.held -= buffered.len();
        let rest: Vec<u8>;
        let data: &[u8] = if buffered.is_empty() {
            bytes
        } else {
            buffered.extend_from_slice(bytes);
            rest = std::mem::take(&mut buffered);
            &rest
        };
        let mut at = 0;
        while at < data.len() {
            match frame_stream(&data[at..], self.limits) {
                Framing::Message { len } => {
                    on_item(Item::Message(&data[at..at + len]));
                    at += len;
                }
                Framing::KeepAlive { len } => {
                    on_item(Item::KeepAlive);
                    at += len;
                }
                Framing::Garbage { len } => {
                    on_item(Item::Garbage(len));
                    at += len;
                }
                Framing::Invalid { skip, reason } => {
                    on_item(Item::Invalid(reason));
                    at += skip.max(1);
                }
                Framing::Incomplete { .. } => break,
            }
        }
        let left = &data[at..];
        if left.is_empty() {
            return;
        }
        let fits = left.len() <= self.max_per_stream
            && self.held + left.len() <= self.max_total
            && self.partial.len() < self.max_streams;
        if fits {
            self.held += left.len();
            self.partial.insert(key, left.to_vec());
        } else {
            self.dropped_bytes += left.len() as u64;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn run(streams: &mut Streams, chunks: &[&[u8]]) -> Vec<String> {
        let (a, b) = (
            "10.0.0.1:5060".parse().unwrap(),
            "10.0.0.2:5060".parse().unwrap(),
        );
        let mut out = Vec::new();
        for chunk in chunks {
            streams.push(a, b, chunk, &mut |item| {
                out.push(match item {
                    Item::Message(m) => String::from_utf8_lossy(m)
                        .lines()
                        .next()
                        .unwrap_or("")
                        .to_owned(),
                    Item::KeepAlive => "keepalive".into(),
                    Item::Garbage(n) => format!("garbage {n}"),
                    Item::Invalid(e) => e.to_string(),
                })
            });
        }
        out
    }

    const BYE: &[u8] = b"BYE sip:b@h SIP/2.0\r\nContent-Length: 0\r\n\r\n";
    const OK: &[u8] = b"SIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nhi";

    #[test]
    fn two_messages_in_one_chunk_come_out_separately() {
        let mut s = Streams::new(FrameLimits::default(), 1 << 20, 8);
        let both = [BYE, OK].concat();
        assert_eq!(
            run(&mut s, &[&both]),
            ["BYE sip:b@h SIP/2.0", "SIP/2.0 200 OK"]
        );
        assert_eq!(s.held(), 0);
    }

    #[test]
    fn a_message_over_three_chunks_comes_out_once_whole() {
        let mut s = Streams::new(FrameLimits::default(), 1 << 20, 8);
        assert_eq!(
            run(&mut s, &[&OK[..5], &OK[5..30], &OK[30..]]),
            ["SIP/2.0 200 OK"]
        );
        assert_eq!(s.held(), 0);
    }

    #[test]
    fn keepalives_and_garbage_are_reported() {
        let mut s = Streams::new(FrameLimits::default(), 1 << 20, 8);
        let input = [b"\r\n\r\n".as_slice(), b"junk\r\n", BYE].concat();
        assert_eq!(
            run(&mut s, &[&input]),
            ["keepalive", "garbage 6", "BYE sip:b@h SIP/2.0"]
        );
    }

    #[test]
    fn a_partial_message_over_the_bound_is_dropped_and_counted() {
        let mut s = Streams::new(FrameLimits::default(), 10, 8);
        assert!(run(&mut s, &[&OK[..30]]).is_empty());
        assert_eq!(s.dropped_bytes, 30);
        assert_eq!(s.held(), 0);
    }
}
