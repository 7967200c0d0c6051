//! One SIP message (RFC 3261 §7): start line, header fields, body.
//!
//! The start line is split here: `rsip` knows fourteen methods and refuses the rest, while
//! tshark (and the network) carry any token as a method (§7.1). The header section is normalised
//! here (§7.3.1 folded lines unfolded, §7.3.3 compact names expanded, bare-LF line ends and bytes
//! that are not UTF-8 tolerated) and the values that matter are decoded with `rsip`'s typed
//! headers (`From`, `To`, `Contact`, `Via`, `CSeq`), falling back to a lax reading where `rsip` is
//! stricter than what phones send (`tel:` URIs, unknown CSeq methods). What could not be read is
//! listed in [`Message::problems`]; the message is still returned.

use std::borrow::Cow;
use std::sync::Arc;

use super::header::{cseq, first_value, name_addr, via, HeaderCache, Kind};
pub use super::header::{CSeq, NameAddr, Via};
use super::{body, framing::header_end, is_token_char};

/// Why bytes are not a SIP message at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SipError {
    /// The first line is neither a request line (§7.1) nor a status line (§7.2).
    #[error("SIP start line is not a request or status line")]
    BadStartLine,
    /// No line break at all.
    #[error("SIP message has no line break")]
    NoLineBreak,
}

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    /// §7.1 `Method SP Request-URI SP SIP-Version`.
    Request {
        /// The method token as written (upper case by convention; compared case-sensitively).
        method: String,
        /// The Request-URI as written.
        uri: String,
    },
    /// §7.2 `SIP-Version SP Status-Code SP Reason-Phrase`.
    Response {
        /// Status code (100–699).
        code: u16,
        /// Reason phrase as written (may be empty).
        reason: String,
    },
}

/// Header fields as (name, value) pairs.
pub type HeaderFields<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// One decoded SIP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// Request or status line.
    pub start: StartLine,
    /// All header fields in order, compact names expanded, values trimmed and unfolded;
    /// borrowed from the message unless unfolding or non-UTF-8 bytes made new text.
    pub headers: HeaderFields<'a>,
    /// The body (bounded by `Content-Length` when present).
    pub body: &'a [u8],
    /// `Call-ID` (§20.8).
    pub call_id: Option<String>,
    /// `CSeq`.
    pub cseq: Option<CSeq>,
    /// `From`. The decoded name-addr values are shared with the header cache
    /// ([`super::parse_cached`]): the messages of a dialog repeat them, and copying them on each
    /// cache hit cost about ten allocations per message.
    pub from: Option<Arc<NameAddr>>,
    /// `To`.
    pub to: Option<Arc<NameAddr>>,
    /// The top `Via`.
    pub via: Option<Via>,
    /// The first `Contact` (`None` for `*`).
    pub contact: Option<Arc<NameAddr>>,
    /// RFC 3325 `P-Asserted-Identity` (the first one).
    pub asserted_identity: Option<Arc<NameAddr>>,
    /// `User-Agent` (§20.41).
    pub user_agent: Option<String>,
    /// `Server` (§20.35).
    pub server: Option<String>,
    /// `Content-Type` media type, lower case, without parameters (§20.15).
    pub content_type: Option<String>,
    /// `Content-Length` (§20.14).
    pub content_length: Option<usize>,
    /// `Expires` (§20.19).
    pub expires: Option<u32>,
    /// What could not be read, or disagrees with the RFC, in words.
    pub problems: Vec<String>,
}

/// RFC 3261 §7.3.3 compact forms and the IANA registry's later ones.
fn expand_compact(name: &str) -> Option<&'static str> {
    let [letter] = name.as_bytes() else {
        return None;
    };
    let expanded = match letter.to_ascii_lowercase() {
        b'a' => "Accept-Contact",
        b'b' => "Referred-By",
        b'c' => "Content-Type",
        b'd' => "Request-Disposition",
        b'e' => "Content-Encoding",
        b'f' => "From",
        b'i' => "Call-ID",
        b'j' => "Reject-Contact",
        b'k' => "Supported",
        b'l' => "Content-Length",
        b'm' => "Contact",
        b'n' => "Identity-Info",
        b'o' => "Event",
        b'r' => "Refer-To",
        b's' => "Subject",
        b't' => "To",
        b'u' => "Allow-Events",
        b'v' => "Via",
        b'x' => "Session-Expires",
        b'y' => "Identity",
        _ => return None,
    };
    Some(expanded)
}

/// Decodes one message: a UDP datagram, or what [`super::frame_stream`] framed on a stream.
pub fn parse(bytes: &[u8]) -> Result<Message<'_>, SipError> {
    parse_inner(bytes, None)
}

/// [`parse`], reusing header values decoded for earlier messages (same result, less work on a
/// capture's worth of messages).
pub fn parse_cached<'a>(bytes: &'a [u8], cache: &mut HeaderCache) -> Result<Message<'a>, SipError> {
    parse_inner(bytes, Some(cache))
}

/// A name-addr header value, through the cache when there is one.
fn person(
    cache: &mut Option<&mut HeaderCache>,
    kind: Kind,
    value: &str,
    problems: &mut Vec<String>,
) -> Option<Arc<NameAddr>> {
    match cache.as_deref_mut() {
        Some(c) => c.name_addr(kind, value, problems),
        None => name_addr(kind, value, problems).map(Arc::new),
    }
}

/// A line without the CR of its CRLF.
fn strip_cr(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

/// The start line and the header fields of a header section (§7.3): folded lines unfolded,
/// compact names expanded, values trimmed; what is wrong with the lines that are not header
/// fields, in words.
fn split_header_section(text: &str) -> Result<(&str, HeaderFields<'_>, Vec<String>), SipError> {
    let mut problems = Vec::new();
    // Lines end at each LF byte (ASCII, so always a character boundary), found by `memchr`:
    // this runs on every line of every SIP message.
    let mut ends = memchr::memchr_iter(b'\n', text.as_bytes());
    let first_end = ends.next().ok_or(SipError::NoLineBreak)?;
    let first = strip_cr(&text[..first_end]);
    let mut headers: HeaderFields<'_> = Vec::with_capacity(16);
    let mut start = first_end + 1;
    // The last line runs to the end of the text (empty after a final LF).
    for (i, end) in ends.chain(std::iter::once(text.len())).enumerate() {
        let line = strip_cr(&text[start..end]);
        start = end + 1;
        let n = i + 2;
        if line.is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match headers.last_mut() {
                Some((_, value)) => {
                    let value = value.to_mut();
                    value.push(' ');
                    value.push_str(line.trim());
                }
                None => problems.push(format!("header line {n} continues nothing")),
            }
            continue;
        }
        let Some(colon) = memchr::memchr(b':', line.as_bytes()) else {
            problems.push(format!("header line {n} has no colon"));
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(is_token_char) {
            problems.push(format!("header line {n} has a bad name"));
            continue;
        }
        let name = expand_compact(name).unwrap_or(name);
        headers.push((Cow::Borrowed(name), Cow::Borrowed(value.trim())));
    }
    Ok((first, headers, problems))
}

fn parse_inner<'a>(
    bytes: &'a [u8],
    mut cache: Option<&mut HeaderCache>,
) -> Result<Message<'a>, SipError> {
    let (head, mut body, mut problems) = match header_end(bytes) {
        Some(end) => (&bytes[..end], &bytes[end..], Vec::new()),
        None => (
            bytes,
            &bytes[bytes.len()..],
            vec!["no empty line after the header section".to_owned()],
        ),
    };
    let text = crate::text::lossy(head);
    let (first, headers, header_problems) = match &text {
        // Valid UTF-8 (the rule): the header fields borrow from the message.
        Cow::Borrowed(text) => split_header_section(text)?,
        Cow::Owned(text) => {
            let (first, headers, header_problems) = split_header_section(text)?;
            let owned = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
            let headers = headers
                .into_iter()
                .map(|(n, v)| (owned(n), owned(v)))
                .collect();
            (first, headers, header_problems)
        }
    };
    let start = start_line(first).ok_or(SipError::BadStartLine)?;
    if let StartLine::Response { code: 700.., .. } = start {
        problems.push("status code outside 100–699".to_owned());
    }
    problems.extend(header_problems);

    let mut msg = Message {
        start,
        headers,
        body: &[],
        call_id: None,
        cseq: None,
        from: None,
        to: None,
        via: None,
        contact: None,
        asserted_identity: None,
        user_agent: None,
        server: None,
        content_type: None,
        content_length: None,
        expires: None,
        problems: Vec::new(),
    };
    msg.call_id = msg.header("Call-ID").map(str::to_owned);
    msg.cseq = msg.header("CSeq").and_then(|v| cseq(v, &mut problems));
    msg.from = msg
        .header("From")
        .and_then(|v| person(&mut cache, Kind::From, v, &mut problems));
    msg.to = msg
        .header("To")
        .and_then(|v| person(&mut cache, Kind::To, v, &mut problems));
    msg.via = msg.header("Via").and_then(|v| match cache.as_deref_mut() {
        Some(c) => c.via(first_value(v), &mut problems),
        None => via(first_value(v), &mut problems),
    });
    msg.contact = msg
        .header("Contact")
        .filter(|v| v.trim() != "*")
        .and_then(|v| person(&mut cache, Kind::Contact, first_value(v), &mut problems));
    msg.asserted_identity = msg
        .header("P-Asserted-Identity")
        .and_then(|v| person(&mut cache, Kind::From, first_value(v), &mut problems));
    msg.user_agent = msg.header("User-Agent").map(str::to_owned);
    msg.server = msg.header("Server").map(str::to_owned);
    msg.content_type = msg.header("Content-Type").map(|v| {
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    msg.expires = msg.header("Expires").and_then(|v| v.trim().parse().ok());
    if let Some(v) = msg.header("Content-Length") {
        match v.trim().parse::<usize>() {
            Ok(n) => {
                msg.content_length = Some(n);
                if n < body.len() {
                    body = &body[..n];
                } else if n > body.len() {
                    problems.push(format!(
                        "body is {} bytes, Content-Length says {n}",
                        body.len()
                    ));
                }
            }
            Err(_) => problems.push("Content-Length is not a number".to_owned()),
        }
    }
    for (name, value) in [
        ("Call-ID", msg.call_id.is_some()),
        ("CSeq", msg.cseq.is_some()),
        ("From", msg.from.is_some()),
        ("To", msg.to.is_some()),
        ("Via", msg.via.is_some()),
    ] {
        if !value && msg.header(name).is_none() {
            problems.push(format!("no {name} header"));
        }
    }
    msg.body = body;
    msg.problems = problems;
    Ok(msg)
}

impl<'a> Message<'a> {
    /// The first header with this name (case-insensitive; compact forms already expanded).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    /// Every value of a header, in order.
    pub fn headers_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }

    /// The request method, for a request.
    pub fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code, for a response.
    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    /// The SDP in the body, when the body is `application/sdp` (or a `multipart/*` body with an
    /// `application/sdp` part, RFC 5621).
    pub fn sdp(&self) -> Option<&'a [u8]> {
        let body = self.body;
        if body.is_empty() {
            return None;
        }
        let content_type = self.header("Content-Type")?;
        body::sdp_part(content_type, body)
    }
}

/// §7.1 / §7.2.
fn start_line(line: &str) -> Option<StartLine> {
    if line
        .get(..8)
        .is_some_and(|v| v.eq_ignore_ascii_case("SIP/2.0 "))
    {
        let rest = &line[8..];
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        // Any three digits: classes 7–9 are undefined (§21) but tshark counts them as responses.
        let code: u16 = code.parse().ok().filter(|c| (100..=999).contains(c))?;
        return Some(StartLine::Response {
            code,
            reason: reason.trim().to_owned(),
        });
    }
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let token = !method.is_empty() && method.bytes().all(is_token_char);
    (token && uri.contains(':') && version.eq_ignore_ascii_case("SIP/2.0")).then(|| {
        StartLine::Request {
            method: method.to_owned(),
            uri: uri.to_owned(),
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    static INVITE: &[u8] = b"INVITE sip:service@10.99.3.2:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.99.3.1:5060;branch=z9hG4bK-24702-1-0\r\n\
From: \"Alice A\" <sip:+15550100@10.99.3.1:5060>;tag=24702SIPpTag001\r\n\
To: <sip:service@10.99.3.2:5060>\r\n\
Call-ID: 1-24702@10.99.3.1\r\n\
CSeq: 1 INVITE\r\n\
Contact: sip:sipp@10.99.3.1:5060\r\n\
P-Asserted-Identity: <tel:+15550100>\r\n\
User-Agent: SIPp\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 10\r\n\r\n\
v=0\r\no=x\r\nEXTRA";

    #[test]
    fn a_request_decodes_with_its_headers() {
        let m = parse(INVITE).unwrap();
        assert_eq!(
            m.start,
            StartLine::Request {
                method: "INVITE".into(),
                uri: "sip:service@10.99.3.2:5060".into()
            }
        );
        assert_eq!(m.call_id.as_deref(), Some("1-24702@10.99.3.1"));
        assert_eq!(
            m.cseq,
            Some(CSeq {
                seq: 1,
                method: "INVITE".into()
            })
        );
        let from = m.from.as_ref().unwrap();
        assert_eq!(from.display.as_deref(), Some("Alice A"));
        assert_eq!(from.user.as_deref(), Some("+15550100"));
        assert_eq!(from.uri, "sip:+15550100@10.99.3.1:5060");
        assert_eq!(from.tag.as_deref(), Some("24702SIPpTag001"));
        assert_eq!(m.to.as_ref().unwrap().tag, None);
        let via = m.via.as_ref().unwrap();
        assert_eq!(via.transport, "UDP");
        assert_eq!(via.branch.as_deref(), Some("z9hG4bK-24702-1-0"));
        assert_eq!(via.sent_by, "10.99.3.1:5060");
        assert_eq!(m.contact.as_ref().unwrap().user.as_deref(), Some("sipp"));
        let pai = m.asserted_identity.as_ref().unwrap();
        assert_eq!(
            (pai.scheme.as_str(), pai.user.as_deref()),
            ("tel", Some("+15550100"))
        );
        assert_eq!(m.user_agent.as_deref(), Some("SIPp"));
        assert_eq!(m.content_type.as_deref(), Some("application/sdp"));
        assert_eq!(m.body, b"v=0\r\no=x\r\n", "body bounded by Content-Length");
        assert!(m.problems.is_empty(), "{:?}", m.problems);
    }

    #[test]
    fn a_response_decodes() {
        let m = parse(b"SIP/2.0 486 Busy Here\r\nCall-ID: x\r\nCSeq: 7 INVITE\r\n\r\n").unwrap();
        assert_eq!(m.status(), Some(486));
        assert_eq!(
            m.start,
            StartLine::Response {
                code: 486,
                reason: "Busy Here".into()
            }
        );
        assert!(m.problems.iter().any(|p| p == "no From header"));
    }

    #[test]
    fn compact_forms_and_folding_are_normalised() {
        let m = parse(
            b"BYE sip:b@h SIP/2.0\nv: SIP/2.0/TCP h:5060\n ;branch=z9hG4bKx\ni: abc\nf: <sip:a@h>;tag=1\nt: <sip:b@h>;tag=2\nCSeq: 2 BYE\nl: 0\n\n",
        )
        .unwrap();
        assert_eq!(m.call_id.as_deref(), Some("abc"));
        assert_eq!(m.via.unwrap().branch.as_deref(), Some("z9hG4bKx"));
        assert_eq!(m.from.unwrap().tag.as_deref(), Some("1"));
        assert_eq!(m.to.unwrap().tag.as_deref(), Some("2"));
        assert_eq!(m.content_length, Some(0));
    }

    #[test]
    fn unknown_methods_are_kept() {
        let m = parse(b"KDMQ sip:h SIP/2.0\r\nCSeq: 9 KDMQ\r\nCall-ID: q\r\n\r\n").unwrap();
        assert_eq!(m.method(), Some("KDMQ"));
        assert_eq!(m.cseq.unwrap().method, "KDMQ");
    }

    #[test]
    fn tel_uris_and_odd_values_fall_back_to_the_lax_reading() {
        let m = parse(b"SIP/2.0 200 OK\r\nFrom: tel:+4930123;tag=9\r\nTo: \"B\" <tel:+4930999;phone-context=x>\r\n\r\n").unwrap();
        let from = m.from.unwrap();
        assert_eq!(
            (from.user.as_deref(), from.tag.as_deref()),
            (Some("+4930123"), Some("9"))
        );
        assert_eq!(m.to.unwrap().uri, "tel:+4930999");
    }

    #[test]
    fn the_header_cache_changes_nothing_but_the_work() {
        let bad = b"OPTIONS sip:b@h SIP/2.0\r\nFrom: <>\r\nVia: nonsense\r\nTo: <sip:b@h>\r\n\r\n";
        let tel = b"SIP/2.0 200 OK\r\nFrom: tel:+4930123;tag=9\r\nTo: \"B\" <tel:+4930999>\r\n\r\n";
        let mut cache = HeaderCache::default();
        for _ in 0..3 {
            for msg in [INVITE, &bad[..], &tel[..]] {
                let (plain, cached) = (parse(msg).unwrap(), parse_cached(msg, &mut cache).unwrap());
                assert_eq!(format!("{plain:?}"), format!("{cached:?}"));
            }
        }
        // A problem found while decoding a cached value is reported again on each use.
        let m = parse_cached(bad, &mut cache).unwrap();
        assert_eq!(m.problems[0], "From header unreadable", "{:?}", m.problems);
    }

    #[test]
    fn a_short_body_is_a_problem() {
        let m = parse(b"MESSAGE sip:b@h SIP/2.0\r\nContent-Length: 99\r\n\r\nhi").unwrap();
        assert_eq!(m.body, b"hi");
        assert!(m
            .problems
            .iter()
            .any(|p| p.contains("Content-Length says 99")));
    }

    #[test]
    fn lines_that_are_not_header_fields_are_named_by_their_line_number() {
        let m = parse(
            b" folded before any field\r\n\
              INVITE sip:b@h SIP/2.0\r\n",
        );
        assert_eq!(m, Err(SipError::BadStartLine));
        let m = parse(
            b"INVITE sip:b@h SIP/2.0\n \tcontinues nothing\r\nno colon here\r\n\
              Bad Name: x\r\n\r\nCall-ID: in the body\r\n",
        )
        .unwrap();
        assert_eq!(
            m.problems[..3],
            [
                "header line 2 continues nothing",
                "header line 3 has no colon",
                "header line 4 has a bad name",
            ]
        );
        assert!(m.headers.is_empty() && m.call_id.is_none());
        let m = parse(b"SIP/2.0 200 OK\r\nTo: <sip:a@b>\r\n  ;tag=1\r\nXy:\r\n").unwrap();
        assert_eq!(m.header("To"), Some("<sip:a@b> ;tag=1"));
        assert_eq!(m.header("xY"), Some(""));
        assert_eq!(m.problems[0], "no empty line after the header section");
    }

    #[test]
    fn not_sip_is_an_error() {
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\n\r\n"),
            Err(SipError::BadStartLine)
        );
        assert_eq!(parse(b"SIP/2.0 200 OK"), Err(SipError::NoLineBreak));
        assert_eq!(
            parse(b"SIP/2.0 99 Huh\r\n\r\n"),
            Err(SipError::BadStartLine)
        );
        let odd = parse(b"SIP/2.0 999 Huh\r\n\r\n").unwrap();
        assert_eq!(odd.status(), Some(999));
        assert!(odd.problems.iter().any(|p| p.contains("outside 100")));
    }

    #[test]
    fn non_utf8_headers_do_not_stop_decoding() {
        let m =
            parse(b"SIP/2.0 200 OK\r\nFrom: \"J\xfcrgen\" <sip:j@h>;tag=a\r\nCall-ID: z\r\n\r\n")
                .unwrap();
        assert_eq!(m.from.unwrap().user.as_deref(), Some("j"));
    }
}
