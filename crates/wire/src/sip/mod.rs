//! SIP (RFC 3261) messages: recognising them, framing them on a byte stream, and decoding one
//! message into a [`Message`] value.
//!
//! - [`looks_like_sip`]: the start-line check that decides whether a UDP payload or the first bytes
//!   of a TCP stream are SIP (RFC 3261 §7.1 request line, §7.2 status line).
//! - [`framing`]: where one message ends on a stream (§18.3: by `Content-Length`), with keep-alives
//!   (RFC 5626 §3.5.1 CRLF) and garbage skipped.
//! - [`message`]: one message: the start line, the header section (unfolded, compact names
//!   expanded, §7.3) and the body.
//! - [`header`]: the header values that matter, decoded with `rsip`'s typed headers, with a lax
//!   fallback where `rsip` is stricter than what phones send; values in the plain form most
//!   phones send (`plain`: IPv4, common parameters) are read the lax way directly, which
//!   differential tests hold to what `rsip` reads.
//! - [`body`]: the SDP part of a body, including `multipart/mixed` (RFC 2046 §5.1).
//!
//! Nothing here knows about transactions, dialogs or calls: that is `callscope-analysis`.

pub mod body;
pub mod framing;
pub mod header;
pub mod message;
mod plain;

pub use framing::{frame_stream, Framing};
pub use header::HeaderCache;
pub use message::{
    parse, parse_cached, CSeq, HeaderFields, Message, NameAddr, SipError, StartLine, Via,
};

/// Longest start line considered when sniffing (a request URI is rarely longer than a few hundred
/// bytes).
const MAX_START_LINE: usize = 2048;

/// RFC 3261 §25.1 `token` characters (a method is a token).
pub(crate) fn is_token_char(c: u8) -> bool {
    // A `match`, not `b"…".contains(&c)`: that is a `memchr` call, and this runs on the first
    // byte of every UDP datagram.
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// The first line of `bytes` (without its CRLF or LF), when one ends within [`MAX_START_LINE`].
pub(crate) fn first_line(bytes: &[u8]) -> Option<&[u8]> {
    let limit = bytes.len().min(MAX_START_LINE);
    let end = bytes[..limit].iter().position(|&b| b == b'\n')?;
    let line = &bytes[..end];
    Some(line.strip_suffix(b"\r").unwrap_or(line))
}

/// True when `line` is a SIP start line: `SIP/2.0 NNN reason` (§7.2) or
/// `METHOD request-uri SIP/2.0` (§7.1), any method token.
pub fn is_start_line(line: &[u8]) -> bool {
    if let Some(rest) = strip_prefix_ignore_case(line, b"SIP/2.0 ") {
        return rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit);
    }
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !method.is_empty()
        && method.iter().all(|&c| is_token_char(c))
        && method.iter().any(u8::is_ascii_alphabetic)
        && uri.contains(&b':')
        && version.eq_ignore_ascii_case(b"SIP/2.0")
}

/// True when `payload` starts with a SIP start line followed by a line break.
pub fn looks_like_sip(payload: &[u8]) -> bool {
    // Every start line begins with a token character (a method, or the S of SIP/2.0): checking
    // that first spares binary payloads (RTP, every datagram of a call) the search for a newline.
    payload.first().is_some_and(|&c| is_token_char(c))
        && token_then_space(payload)
        && first_line(payload).is_some_and(is_start_line)
}

/// Whether `bytes` begin as every start line does: a method token and a space (§7.1), or `SIP`
/// and the `/` of `SIP/2.0` (§7.2). A necessary condition of [`is_start_line`] that a binary
/// payload fails within a few bytes, before the search for a line break.
fn token_then_space(bytes: &[u8]) -> bool {
    let n = bytes.iter().take_while(|&&c| is_token_char(c)).count();
    match bytes.get(n) {
        Some(b' ') => true,
        Some(b'/') => bytes[..n].eq_ignore_ascii_case(b"SIP"),
        _ => false,
    }
}

/// True when `payload` is only line breaks and spaces: a keep-alive (RFC 5626 §3.5.1 sends
/// CRLFCRLF and answers CRLF; some phones send spaces), not a message.
pub fn is_keepalive(payload: &[u8]) -> bool {
    !payload.is_empty()
        && payload.len() <= 16
        && payload
            .iter()
            .all(|b| matches!(b, b' ' | b'\r' | b'\n' | 0))
}

fn strip_prefix_ignore_case<'a>(bytes: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    (bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &bytes[prefix.len()..])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_responses_are_recognised() {
        assert!(looks_like_sip(
            b"INVITE sip:bob@example.com SIP/2.0\r\nVia: x\r\n"
        ));
        assert!(looks_like_sip(b"SIP/2.0 180 Ringing\r\n"));
        assert!(looks_like_sip(b"KDMQ sip:10.0.0.1 SIP/2.0\n"));
        assert!(looks_like_sip(b"INVITE tel:+15550100 SIP/2.0\r\n"));
    }

    #[test]
    fn other_text_is_not_sip() {
        assert!(!looks_like_sip(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_sip(b"SIP/2.0 18 Ringing\r\n"));
        assert!(!looks_like_sip(b"INVITE sip:bob@example.com SIP/2.0"));
        assert!(!looks_like_sip(b"INVITE  sip:bob SIP/2.0\r\n"));
        assert!(!looks_like_sip(b"\r\n\r\n"));
        assert!(!looks_like_sip(b""));
    }

    proptest::proptest! {
        /// The quick test before the line search never refuses a start line.
        #[test]
        fn every_start_line_passes_the_quick_test(
            line in "([A-Za-z0-9!%*_+`'~.-]{1,9} [!-~]{0,12}:[!-~]{0,12} [sS][iI][pP]/2\\.0|[sS][iI][pP]/2\\.0 [0-9]{3}[ -~]{0,10})\r?\n"
        ) {
            proptest::prop_assume!(first_line(line.as_bytes()).is_some_and(is_start_line));
            proptest::prop_assert!(token_then_space(line.as_bytes()));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let _ = looks_like_sip(&bytes);
            let _ = frame_stream(&bytes, framing::FrameLimits::default());
            if let Ok(m) = parse(&bytes) {
                let _ = m.sdp().map(crate::sdp::parse);
            }
            let _ = crate::sdp::parse(&bytes);
            let _ = body::sdp_part("multipart/mixed;boundary=a", &bytes);
        }

        #[test]
        fn mangled_messages_never_panic(
            cut in 0usize..400,
            flips in proptest::collection::vec((0usize..400, proptest::num::u8::ANY), 0..8),
        ) {
            let mut bytes = b"INVITE sip:bob@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
    From: \"A\" <sip:a@h>;tag=1\r\nTo: <tel:+1555>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\
    Contact: <sip:a@h;transport=tcp>;expires=30\r\nContent-Type: multipart/mixed;boundary=b\r\n\
    Content-Length: 60\r\n\r\n--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 1 RTP/AVP 0\r\n--b--".to_vec();
            for (at, b) in flips {
                if at < bytes.len() {
                    bytes[at] = b;
                }
            }
            bytes.truncate(cut.max(1));
            if let Ok(m) = parse(&bytes) {
                let _ = m.sdp().map(crate::sdp::parse);
            }
            let _ = frame_stream(&bytes, framing::FrameLimits::default());
        }
    }

    #[test]
    fn keepalives_are_recognised() {
        assert!(is_keepalive(b"\r\n\r\n"));
        assert!(is_keepalive(b"     "));
        assert!(!is_keepalive(b""));
        assert!(!is_keepalive(b"\r\nX"));
    }
}
