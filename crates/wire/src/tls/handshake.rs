//! Handshake message framing (RFC 8446 §4; RFC 5246 §7.4): a type byte and a 24-bit length, then
//! the body.
//!
//! ```text
//! | msg_type (1) | length (3) | body (length bytes) ...
//! ```
//! Handshake records carry these back to back, and one message may span several records (RFC 8446
//! §5.1: a certificate chain usually does), so framing works over the concatenated fragments of
//! one direction's handshake records, not over a single record.

/// Length of a handshake message header.
pub const HANDSHAKE_HEADER_LEN: usize = 4;
/// msg_type client_hello (RFC 8446 §4).
pub const CLIENT_HELLO: u8 = 1;
/// msg_type server_hello (RFC 8446 §4).
pub const SERVER_HELLO: u8 = 2;
/// msg_type certificate (RFC 8446 §4).
pub const CERTIFICATE: u8 = 11;

/// Cuts the concatenated handshake-record fragments `buf` into complete messages, `(msg_type,
/// body)`, and says how many bytes they take. Stops at the first message not all there yet. A
/// length may claim up to 16 MiB: nothing is allocated for it here, but a caller that buffers
/// until the message completes should set its own limit. Once a TLS ≤ 1.2 ChangeCipherSpec has
/// gone by, handshake records are encrypted and framing them yields nonsense: stop feeding then.
pub fn split_handshakes(buf: &[u8]) -> (Vec<(u8, &[u8])>, usize) {
    let mut messages = Vec::new();
    let mut consumed = 0;
    while let Some(rest) = buf.get(consumed..) {
        let (Some(&msg_type), Some(length)) = (rest.first(), be24(rest, 1)) else {
            break;
        };
        let Some(body) = rest.get(HANDSHAKE_HEADER_LEN..HANDSHAKE_HEADER_LEN + length) else {
            break;
        };
        messages.push((msg_type, body));
        consumed += HANDSHAKE_HEADER_LEN + length;
    }
    (messages, consumed)
}

/// The 24-bit big-endian number at `at` (handshake lengths, certificate list lengths).
pub(super) fn be24(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at.checked_add(3)?)?;
    Some(usize::from(s[0]) << 16 | usize::from(s[1]) << 8 | usize::from(s[2]))
}

/// A reader over a handshake body, for its fixed fields and its length-prefixed vectors (RFC 8446
/// §3.4). Every read checks the bytes are there and returns `None` when they are not.
pub(super) struct Body<'a> {
    rest: &'a [u8],
}

impl<'a> Body<'a> {
    pub(super) fn new(body: &'a [u8]) -> Self {
        Body { rest: body }
    }

    /// The next `n` bytes.
    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    pub(super) fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    pub(super) fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A vector with a one-byte length.
    pub(super) fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    /// A vector with a two-byte length.
    pub(super) fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    /// What has not been read.
    pub(super) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_split_and_a_partial_one_waits() {
        let buf = [
            2, 0, 0, 2, 0xaa, 0xbb, // server_hello, 2 bytes
            14, 0, 0, 0, // server_hello_done, empty
            11, 0, 1, 0, 0x30, // certificate, 1 of 256 bytes
        ];
        let (messages, consumed) = split_handshakes(&buf);
        assert_eq!(
            messages,
            vec![(SERVER_HELLO, &[0xaa, 0xbb][..]), (14, &[][..])]
        );
        assert_eq!(consumed, 10);
    }

    #[test]
    fn a_partial_header_yields_nothing() {
        for cut in 0..4 {
            assert_eq!(split_handshakes(&[1, 0, 0, 0][..cut]), (vec![], 0));
        }
        assert_eq!(split_handshakes(&[0xff, 0xff, 0xff, 0xff, 0]), (vec![], 0));
    }

    #[test]
    fn body_reads_vectors_and_refuses_short_ones() {
        let mut b = Body::new(&[1, 2, 0xaa, 0xbb, 0, 1, 0xcc, 3, 0xdd]);
        assert_eq!(b.u8(), Some(1));
        assert_eq!(b.vec8(), Some(&[0xaa, 0xbb][..]));
        assert_eq!(b.vec16(), Some(&[0xcc][..]));
        assert_eq!(b.vec8(), None);
        assert_eq!(be24(&[0, 1, 2, 3], 1), Some(0x010203));
        assert_eq!(be24(&[1, 2], 0), None);
        assert_eq!(be24(&[1, 2, 3], usize::MAX), None);
    }
}
