//! What a ladder keeps of each message for its detail view: the start line and the header
//! fields a person reads to follow a call (RFC 3261 §20), in the order they came, each value cut
//! at [`MAX_VALUE`] characters. Credentials (Authorization, WWW-Authenticate…), bodies, headers
//! that locate the user (P-Access-Network-Info) and capability lists (Allow, Supported) are not
//! kept.

use callscope_wire::sip::{Message, StartLine};

use super::report::HeaderField;
use crate::mask::PERSONAL_HEADERS;

/// Header fields kept (compact forms arrive expanded), compared without case. Call-ID and CSeq
/// are not among them: every message of a call has its Call-ID, and the ladder keeps the CSeq.
pub const KEPT: [&str; 21] = [
    "Via",
    "Route",
    "Record-Route",
    "From",
    "To",
    "Contact",
    "P-Asserted-Identity",
    "P-Preferred-Identity",
    "Privacy",
    "Refer-To",
    "Referred-By",
    "Reason",
    "Warning",
    "Retry-After",
    "User-Agent",
    "Server",
    "Expires",
    "Session-Expires",
    "Require",
    "Event",
    "Subscription-State",
];

/// Header fields kept per message.
pub const MAX_HEADERS: usize = 32;
/// Characters kept per value.
pub const MAX_VALUE: usize = 256;
/// Characters of a value that names people (a Request-URI, From, To, Contact,
/// P-Asserted-Identity…): such values are kept whole or not at all, so that masking always sees
/// whole URIs and display names (a value cut inside a user part could not be masked).
pub const MAX_PERSONAL: usize = 1024;

/// A message's start line and kept header fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    /// `INVITE sip:bob@example.com SIP/2.0` or `SIP/2.0 180 Ringing`.
    pub start_line: String,
    /// Kept header fields, in message order.
    pub headers: Vec<HeaderField>,
}

fn cut(value: &str) -> String {
    // No more bytes than the limit means no more characters either: no need to count them.
    if value.len() <= MAX_VALUE {
        return value.to_owned();
    }
    match value.char_indices().nth(MAX_VALUE) {
        Some((at, _)) => format!("{}…", &value[..at]),
        None => value.to_owned(),
    }
}

/// A value that names people: whole, or a note of its length.
fn whole(value: &str) -> String {
    if value.len() <= MAX_PERSONAL {
        return value.to_owned();
    }
    let n = value.chars().count();
    if n <= MAX_PERSONAL {
        value.to_owned()
    } else {
        format!("({n} characters, not kept)")
    }
}

impl Details {
    /// The details of a decoded message.
    pub fn of(msg: &Message<'_>) -> Details {
        let start_line = match &msg.start {
            StartLine::Request { method, uri } => {
                let uri = whole(uri);
                let mut line = String::with_capacity(method.len() + uri.len() + 9);
                for part in [method.as_str(), " ", &uri, " SIP/2.0"] {
                    line.push_str(part);
                }
                line
            }
            StartLine::Response { code, reason } => format!("SIP/2.0 {code} {}", cut(reason)),
        };
        let headers = msg
            .headers
            .iter()
            .filter_map(|(name, value)| {
                let kept = KEPT.iter().find(|k| k.eq_ignore_ascii_case(name))?;
                Some((*kept, value))
            })
            .take(MAX_HEADERS)
            .map(|(name, value)| {
                let personal = PERSONAL_HEADERS
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(name));
                HeaderField {
                    name: name.to_owned(),
                    value: if personal { whole(value) } else { cut(value) },
                }
            })
            .collect();
        Details {
            start_line,
            headers,
        }
    }

    /// Bytes it holds, for the analyzer's budget.
    pub fn size(&self) -> usize {
        self.start_line.len()
            + self
                .headers
                .iter()
                .map(|h| h.name.len() + h.value.len() + 2 * std::mem::size_of::<String>())
                .sum::<usize>()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn details_keep_the_start_line_and_the_main_headers_in_order() {
        // In JSON a field is one line, as people read it.
        let h = HeaderField {
            name: "To".into(),
            value: "<sip:b@h>".into(),
        };
        assert_eq!(serde_json::to_string(&h).unwrap(), "\"To: <sip:b@h>\"");
        assert_eq!(
            serde_json::from_str::<HeaderField>("\"To: <sip:b@h>\"").unwrap(),
            h
        );
        let m = callscope_wire::sip::parse(
            b"INVITE sip:+15550100@ims.example.net;user=phone SIP/2.0\r\n\
              v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n\
              f: \"Alice\" <sip:alice@example.com>;tag=1\r\n\
              t: <sip:+15550100@ims.example.net>\r\n\
              i: abc@10.0.0.1\r\n\
              CSeq: 1 INVITE\r\n\
              Authorization: Digest username=\"alice\", response=\"secret\"\r\n\
              P-Access-Network-Info: IEEE-802.11;i-wlan-node-id=aabbccddeeff\r\n\
              Max-Forwards: 70\r\n\
              l: 0\r\n\r\n",
        )
        .unwrap();
        let d = Details::of(&m);
        assert_eq!(
            d.start_line,
            "INVITE sip:+15550100@ims.example.net;user=phone SIP/2.0"
        );
        let names: Vec<&str> = d.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            ["Via", "From", "To"],
            "Call-ID, CSeq and lengths are the call's"
        );
        assert_eq!(
            d.headers[1].value,
            "\"Alice\" <sip:alice@example.com>;tag=1"
        );
        assert!(d.size() > 100);
    }

    #[test]
    fn values_that_name_people_are_kept_whole_or_not_at_all() {
        let many = (0..60)
            .map(|i| format!("<sip:+1555010{i:04}@ims.example.net>"))
            .collect::<Vec<_>>();
        let text = format!(
            "SIP/2.0 200 OK\r\nP-Asserted-Identity: {}\r\nContact: {}\r\n\r\n",
            many[..20].join(", "),
            many.join(", ")
        );
        let m = callscope_wire::sip::parse(text.as_bytes()).unwrap();
        let d = Details::of(&m);
        assert_eq!(
            d.headers[0].value,
            many[..20].join(", "),
            "kept whole beyond 256 characters"
        );
        assert_eq!(
            d.headers[1].value,
            format!("({} characters, not kept)", many.join(", ").len())
        );
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(1000);
        let text = format!("SIP/2.0 200 OK\r\nUser-Agent: {long}\r\n\r\n");
        let m = callscope_wire::sip::parse(text.as_bytes()).unwrap();
        let d = Details::of(&m);
        assert_eq!(d.start_line, "SIP/2.0 200 OK");
        assert_eq!(d.headers[0].value.chars().count(), MAX_VALUE + 1);
        assert!(d.headers[0].value.ends_with('…'));
        // The limit counts characters, not bytes: 200 two-byte characters stay whole.
        for (n, kept) in [(200, 200), (300, MAX_VALUE + 1)] {
            let text = format!("SIP/2.0 200 OK\r\nServer: {}\r\n\r\n", "é".repeat(n));
            let d = Details::of(&callscope_wire::sip::parse(text.as_bytes()).unwrap());
            assert_eq!(d.headers[0].value.chars().count(), kept);
        }
    }
}
