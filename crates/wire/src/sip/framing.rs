//! Where SIP messages begin and end on a byte stream (RFC 3261 §18.3): a message is its header
//! section up to the empty line, then exactly `Content-Length` bytes of body. Streams also carry
//! keep-alives (RFC 5626 §3.5.1: CRLFCRLF pings, CRLF pongs) between messages, and a capture can
//! begin in the middle of a message, so the framer also says how much to skip.

use super::{first_line, is_start_line, MAX_START_LINE};

/// Bounds for one message on a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Longest header section (start line to the empty line).
    pub max_header: usize,
    /// Largest declared body.
    pub max_body: usize,
}

impl Default for FrameLimits {
    fn default() -> Self {
        FrameLimits {
            max_header: 64 * 1024,
            max_body: 1 << 20,
        }
    }
}

/// Why the front of a stream cannot be framed as a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// No empty line within [`FrameLimits::max_header`] bytes.
    #[error("SIP header section longer than {0} bytes")]
    HeaderTooLong(usize),
    /// `Content-Length` larger than [`FrameLimits::max_body`].
    #[error("SIP Content-Length {0} exceeds the limit")]
    BodyTooLong(usize),
}

/// What the front of a stream buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// A whole message: its first `len` bytes.
    Message {
        /// Header section plus body.
        len: usize,
    },
    /// Keep-alive line breaks: skip `len` bytes.
    KeepAlive {
        /// Bytes of CR/LF.
        len: usize,
    },
    /// Bytes that do not start a message (the capture began mid-message, or a message was lost):
    /// skip `len` bytes, up to the next line that is a start line.
    Garbage {
        /// Bytes to skip.
        len: usize,
    },
    /// The front is a start line but cannot be framed: skip `skip` bytes and resynchronise.
    Invalid {
        /// Bytes to skip (the header section, when it was found).
        skip: usize,
        /// Why.
        reason: FrameError,
    },
    /// More bytes are needed; `need` is the message's total length once the headers are in.
    Incomplete {
        /// Total length of the message at the front, when known.
        need: Option<usize>,
    },
}

/// Frames the message at the front of `buf` (RFC 3261 §18.3).
pub fn frame_stream(buf: &[u8], limits: FrameLimits) -> Framing {
    if buf.is_empty() {
        return Framing::Incomplete { need: None };
    }
    let breaks = buf
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    if breaks > 0 {
        return Framing::KeepAlive { len: breaks };
    }
    match first_line(buf) {
        Some(line) if is_start_line(line) => {}
        Some(_) => return garbage(buf),
        None if buf.len() >= MAX_START_LINE => return garbage(buf),
        None => return Framing::Incomplete { need: None },
    }
    let window = &buf[..buf.len().min(limits.max_header)];
    let Some(header_end) = header_end(window) else {
        return if buf.len() >= limits.max_header {
            Framing::Invalid {
                skip: first_line_len(buf),
                reason: FrameError::HeaderTooLong(limits.max_header),
            }
        } else {
            Framing::Incomplete { need: None }
        };
    };
    let body = content_length(&buf[..header_end]).unwrap_or(0);
    if body > limits.max_body {
        return Framing::Invalid {
            skip: header_end,
            reason: FrameError::BodyTooLong(body),
        };
    }
    let total = header_end + body;
    if buf.len() >= total {
        Framing::Message { len: total }
    } else {
        Framing::Incomplete { need: Some(total) }
    }
}

/// Offset just past the empty line that ends the header section (CRLFCRLF, or LFLF from lax
/// senders), if present: the first line feed that an empty line follows. One pass over the line
/// feeds (`memchr`); searching the whole message for each of the two endings was a fifth of
/// decoding it.
pub fn header_end(bytes: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'\n', bytes).find_map(|lf| match bytes.get(lf + 1) {
        Some(b'\n') => Some(lf + 2),
        Some(b'\r') if bytes.get(lf + 2) == Some(&b'\n') && lf > 0 && bytes[lf - 1] == b'\r' => {
            Some(lf + 3)
        }
        _ => None,
    })
}

/// The `Content-Length` (compact form `l`, §7.3.3) of a header section, when present and numeric.
pub fn content_length(headers: &[u8]) -> Option<usize> {
    headers.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        let name = line[..colon].trim_ascii();
        if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
            return None;
        }
        let value = std::str::from_utf8(line[colon + 1..].trim_ascii()).ok()?;
        value.parse().ok()
    })
}

fn first_line_len(buf: &[u8]) -> usize {
    buf.iter()
        .position(|&b| b == b'\n')
        .map_or(buf.len(), |p| p + 1)
}

/// Skip up to the next line that is a start line, or everything but a possibly partial last line.
fn garbage(buf: &[u8]) -> Framing {
    let mut last_break = None;
    for (i, _) in buf.iter().enumerate().filter(|(_, &b)| b == b'\n') {
        let next = &buf[i + 1..];
        if first_line(next).is_some_and(is_start_line) {
            return Framing::Garbage { len: i + 1 };
        }
        last_break = Some(i);
    }
    match last_break {
        Some(i) if buf.len() - (i + 1) < MAX_START_LINE => Framing::Garbage { len: i + 1 },
        _ => Framing::Garbage { len: buf.len() },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    static TWO_MESSAGES: &[u8] = b"SIP/2.0 100 Trying\r\nCall-ID: a\r\nContent-Length: 0\r\n\r\n\
BYE sip:b@h SIP/2.0\r\nl: 4\r\n\r\nbody";

    fn frame(buf: &[u8]) -> Framing {
        frame_stream(buf, FrameLimits::default())
    }

    #[test]
    fn a_message_ends_after_content_length_bytes() {
        assert_eq!(frame(TWO_MESSAGES), Framing::Message { len: 53 });
        assert_eq!(frame(&TWO_MESSAGES[53..]), Framing::Message { len: 33 });
    }

    #[test]
    fn a_partial_message_asks_for_more() {
        assert_eq!(
            frame(&TWO_MESSAGES[..20]),
            Framing::Incomplete { need: None }
        );
        assert_eq!(
            frame(&TWO_MESSAGES[53..84]),
            Framing::Incomplete { need: Some(33) }
        );
        assert_eq!(frame(b"SIP/2.0 1"), Framing::Incomplete { need: None });
    }

    #[test]
    fn keepalives_are_skipped() {
        assert_eq!(frame(b"\r\n\r\nSIP/2.0"), Framing::KeepAlive { len: 4 });
    }

    #[test]
    fn garbage_is_skipped_to_the_next_start_line() {
        let buf = b"o=- 1 1 IN IP4 h\r\nm=audio\r\nACK sip:b@h SIP/2.0\r\n";
        assert_eq!(frame(buf), Framing::Garbage { len: 27 });
        assert_eq!(frame(b"tail of a body\r\n"), Framing::Garbage { len: 16 });
        assert_eq!(frame(b"tail of a bo"), Framing::Incomplete { need: None });
    }

    #[test]
    fn missing_content_length_means_no_body() {
        assert_eq!(
            frame(b"OPTIONS sip:h SIP/2.0\r\nVia: x\r\n\r\nrest"),
            Framing::Message { len: 33 }
        );
    }

    #[test]
    fn oversized_bodies_and_headers_are_invalid() {
        let limits = FrameLimits {
            max_header: 64,
            max_body: 10,
        };
        assert_eq!(
            frame_stream(b"BYE sip:b SIP/2.0\r\nContent-Length: 11\r\n\r\n", limits),
            Framing::Invalid {
                skip: 41,
                reason: FrameError::BodyTooLong(11)
            }
        );
        let long = [b"BYE sip:b SIP/2.0\r\nX: ".as_slice(), &[b'a'; 80]].concat();
        assert_eq!(
            frame_stream(&long, limits),
            Framing::Invalid {
                skip: 19,
                reason: FrameError::HeaderTooLong(64)
            }
        );
    }

    #[test]
    fn lf_only_messages_frame_too() {
        assert_eq!(
            frame(b"SIP/2.0 200 OK\nContent-Length: 2\n\nokX"),
            Framing::Message { len: 36 }
        );
    }

    proptest::proptest! {
        /// The one-pass search ends where the nearer of the two endings, searched for apart,
        /// ends (the definition it replaced).
        #[test]
        fn the_header_section_ends_at_the_nearer_empty_line(
            bytes in proptest::collection::vec(proptest::sample::select(b"\r\na".to_vec()), 0..24)
        ) {
            let find = |needle: &[u8]| bytes.windows(needle.len()).position(|w| w == needle);
            let crlf = find(b"\r\n\r\n").map(|p| p + 4);
            let lf = find(b"\n\n").map(|p| p + 2);
            let expected = match (crlf, lf) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            proptest::prop_assert_eq!(header_end(&bytes), expected);
        }
    }
}
