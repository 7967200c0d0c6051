//! TLS inside QUIC: the client's ClientHello read from its Initial packets (whose keys anyone
//! can derive, RFC 9001 §5.2). The hello travels in CRYPTO frames that may be split, repeated
//! and out of order across packets (browsers shuffle them on purpose), so each connection's
//! frames are kept by offset until the bytes from 0 hold the whole message.
//!
//! Bounded: [`MAX_CRYPTO_BYTES`] of CRYPTO data per connection, [`super::MAX_OPEN`] connections
//! at once.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use callscope_wire::quic;
use callscope_wire::tls::{split_handshakes, ClientHello, CLIENT_HELLO};

use super::TlsAnalyzer;
use crate::protocols::Segment;

/// CRYPTO bytes kept per connection while its ClientHello completes (one is a few KiB, with
/// post-quantum key shares under 2).
pub const MAX_CRYPTO_BYTES: usize = 64 << 10;

/// One connection's CRYPTO data so far.
#[derive(Debug, Default)]
pub(super) struct Hello {
    /// Frames by offset (a later copy of an offset keeps the longer).
    frames: BTreeMap<u64, Vec<u8>>,
    held: usize,
    /// Its ClientHello was read (or cannot be).
    done: bool,
}

impl Hello {
    fn add(&mut self, offset: u64, data: &[u8]) {
        let fits = offset < MAX_CRYPTO_BYTES as u64 && self.held + data.len() <= MAX_CRYPTO_BYTES;
        let longer = self
            .frames
            .get(&offset)
            .is_none_or(|d| d.len() < data.len());
        if fits && longer {
            self.held += data.len();
            if let Some(old) = self.frames.insert(offset, data.to_vec()) {
                self.held -= old.len();
            }
        }
    }

    /// The crypto stream's bytes from offset 0 as far as they run without a gap.
    fn contiguous(&self) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        for (&offset, data) in &self.frames {
            let Ok(offset) = usize::try_from(offset) else {
                break;
            };
            if offset > out.len() {
                break;
            }
            let skip = out.len() - offset;
            out.extend_from_slice(data.get(skip..).unwrap_or_default());
        }
        out
    }
}

impl TlsAnalyzer {
    /// A UDP datagram to or from port 443: a client Initial packet is read for its CRYPTO
    /// frames; returns whether it was one.
    pub(super) fn quic(&mut self, seg: &Segment<'_>) -> bool {
        let Some((_, plain)) = quic::open_client_initial(seg.payload) else {
            return false;
        };
        let k: (SocketAddr, SocketAddr) = (seg.src, seg.dst);
        if !self.quic_open.contains_key(&k) && self.quic_open.len() >= super::MAX_OPEN {
            self.quic_open.retain(|_, h| !h.done);
            if self.quic_open.len() >= super::MAX_OPEN {
                self.quic_open.clear();
            }
        }
        let hello = self.quic_open.entry(k).or_default();
        if hello.done {
            return true;
        }
        for (offset, data) in quic::crypto_frames(&plain) {
            hello.add(offset, data);
        }
        let stream = hello.contiguous();
        let (messages, _) = split_handshakes(&stream);
        let Some(&(msg_type, body)) = messages.first() else {
            return true;
        };
        hello.done = true;
        hello.frames.clear();
        hello.held = 0;
        if msg_type == CLIENT_HELLO {
            if let Some(parsed) = ClientHello::parse(body) {
                self.session(seg, parsed, true);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_out_of_order_and_repeated_make_one_stream() {
        let mut h = Hello::default();
        h.add(4, b"efgh");
        assert_eq!(h.contiguous(), b"");
        h.add(0, b"abc");
        assert_eq!(h.contiguous(), b"abc", "a gap at 3");
        h.add(2, b"cde");
        h.add(2, b"cd");
        assert_eq!(h.contiguous(), b"abcdefgh");
        assert_eq!(h.held, 10);
        h.add(MAX_CRYPTO_BYTES as u64, b"x");
        h.add(8, &vec![0; MAX_CRYPTO_BYTES]);
        assert_eq!(h.held, 10, "beyond the bound");
    }
}
