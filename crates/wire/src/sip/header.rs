//! Header values of SIP messages (RFC 3261 §20, RFC 3325): `From`/`To`/`Contact`/
//! `P-Asserted-Identity` name-addrs, the top `Via`, `CSeq`. Decoded with `rsip`'s typed headers,
//! falling back to a lax reading where `rsip` refuses what phones send (`tel:` URIs, unknown
//! transports and CSeq methods, white space around `;`).

use rsip::prelude::{ToTypedHeader, UntypedHeader};
use std::sync::Arc;

use super::is_token_char;

/// A `name-addr` or `addr-spec` header value (§20.10 Contact, §20.20 From, §20.39 To; RFC 3325
/// P-Asserted-Identity).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name, unquoted.
    pub display: Option<String>,
    /// The URI without URI parameters or headers: `sip:alice@10.0.0.1:5060`, `tel:+15550100`.
    pub uri: String,
    /// `sip`, `sips`, `tel`, …, lower case.
    pub scheme: String,
    /// User part (`alice`, `+15550100`; for `tel:` the number).
    pub user: Option<String>,
    /// Host and port (empty for `tel:`).
    pub host: String,
    /// The `tag` header parameter (§19.3).
    pub tag: Option<String>,
    /// The `expires` header parameter (Contact, §20.10).
    pub expires: Option<u32>,
}

/// The top `Via` (§20.42, §18.2.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Via {
    /// Transport: `UDP`, `TCP`, `TLS`, `WS`, …
    pub transport: String,
    /// `sent-by` host and port.
    pub sent_by: String,
    /// The transaction's `branch` (§8.1.1.7; RFC 3261 branches start with `z9hG4bK`).
    pub branch: Option<String>,
}

/// `CSeq` (§20.16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// Sequence number.
    pub seq: u32,
    /// Method.
    pub method: String,
}

/// The first of several comma-separated values (§7.3.1), commas inside `<>` or quotes kept.
pub(crate) fn first_value(value: &str) -> &str {
    let (mut quoted, mut angle) = (false, false);
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => return value[..i].trim(),
            _ => {}
        }
    }
    value.trim()
}

#[derive(Clone, Copy)]
pub(crate) enum Kind {
    From,
    To,
    Contact,
}

/// Drops the optional white space around `;` and `=` (§25.1 `SEMI`, `EQUAL`), which rsip does
/// not expect.
fn tighten(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut quoted = false;
    for c in value.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if !quoted && (c == ';' || c == '=') {
            while out.ends_with([' ', '\t']) {
                out.pop();
            }
        }
        if !quoted && (c == ' ' || c == '\t') && (out.ends_with(';') || out.ends_with('=')) {
            continue;
        }
        out.push(c);
    }
    out
}

pub(crate) fn name_addr(kind: Kind, value: &str, problems: &mut Vec<String>) -> Option<NameAddr> {
    if super::plain::is_plain_name_addr(value) {
        return lax_name_addr(value);
    }
    rsip_name_addr(kind, value, problems)
}

/// [`name_addr`] through `rsip`, with the lax reading where `rsip` refuses the value.
pub(crate) fn rsip_name_addr(
    kind: Kind,
    value: &str,
    problems: &mut Vec<String>,
) -> Option<NameAddr> {
    let tight = tighten(value);
    let value = tight.as_str();
    let typed = match kind {
        Kind::From => rsip::headers::From::new(value)
            .typed()
            .map(|t| (t.display_name, t.uri, t.params)),
        Kind::To => rsip::headers::To::new(value)
            .typed()
            .map(|t| (t.display_name, t.uri, t.params)),
        Kind::Contact => rsip::headers::Contact::new(value)
            .typed()
            .map(|t| (t.display_name, t.uri, t.params)),
    };
    let from_rsip = typed.ok().and_then(|(display, uri, params)| {
        let scheme = uri
            .scheme
            .as_ref()
            .map(|s| s.to_string().to_ascii_lowercase())?;
        let user = uri.auth.as_ref().map(|a| a.user.clone());
        let host = uri.host_with_port.to_string();
        let uri_text = match &user {
            Some(u) => format!("{scheme}:{u}@{host}"),
            None => format!("{scheme}:{host}"),
        };
        let mut tag = None;
        let mut expires = None;
        for p in &params {
            match p {
                rsip::Param::Tag(t) => tag = Some(t.value().to_owned()),
                rsip::Param::Expires(e) => expires = e.value().trim().parse().ok(),
                _ => {}
            }
        }
        Some(NameAddr {
            display: display
                .map(|d| d.trim().trim_matches('"').to_owned())
                .filter(|d| !d.is_empty()),
            uri: uri_text,
            scheme,
            user,
            host,
            tag,
            expires,
        })
    });
    let lax = || lax_name_addr(value);
    match from_rsip {
        // rsip reads `sip:host;user=phone` URIs fine but drops the tag when it is not the last
        // parameter on some inputs; the lax reading settles disagreements about the tag.
        Some(mut na) => {
            if na.tag.is_none() {
                na.tag = lax().and_then(|l| l.tag);
            }
            Some(na)
        }
        None => {
            let na = lax();
            if na.is_none() {
                let name = match kind {
                    Kind::From => "From",
                    Kind::To => "To",
                    Kind::Contact => "Contact",
                };
                problems.push(format!("{name} header unreadable"));
            }
            na
        }
    }
}

/// `[display] <uri>;params` or `uri;params`, read leniently.
pub(crate) fn lax_name_addr(value: &str) -> Option<NameAddr> {
    let value = value.trim();
    let (display, uri, params) = match (value.find('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => (
            Some(value[..open].trim().trim_matches('"').to_owned()).filter(|d| !d.is_empty()),
            &value[open + 1..close],
            &value[close + 1..],
        ),
        _ => {
            let (uri, params) = value.split_once(';').unwrap_or((value, ""));
            (None, uri, params)
        }
    };
    let (scheme, rest) = uri.split_once(':')?;
    let scheme = scheme.trim().to_ascii_lowercase();
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let rest = rest.split(['?']).next().unwrap_or("");
    let (user, host) = if scheme == "tel" {
        (
            Some(rest.split(';').next().unwrap_or("").to_owned()),
            String::new(),
        )
    } else {
        match rest.rsplit_once('@') {
            Some((user, host)) => (
                Some(user.split(':').next().unwrap_or("").to_owned()),
                host.split(';').next().unwrap_or("").to_owned(),
            ),
            None => (None, rest.split(';').next().unwrap_or("").to_owned()),
        }
    };
    let user = user.filter(|u| !u.is_empty());
    // `scheme:user@host`, `scheme:host`, or `tel:number` (concatenated: `format!` is several
    // times slower, and this runs for most name-addr values of a capture).
    let user_part = user.as_deref().unwrap_or("");
    let mut uri_text = String::with_capacity(scheme.len() + user_part.len() + host.len() + 2);
    uri_text.push_str(&scheme);
    uri_text.push(':');
    uri_text.push_str(user_part);
    if user.is_some() && scheme != "tel" {
        uri_text.push('@');
    }
    uri_text.push_str(&host);
    let param = |name: &str| {
        params.split(';').find_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    Some(NameAddr {
        display,
        uri: uri_text,
        scheme,
        user,
        host,
        tag: param("tag").filter(|t| !t.is_empty()),
        expires: param("expires").and_then(|e| e.parse().ok()),
    })
}

pub(crate) fn via(value: &str, problems: &mut Vec<String>) -> Option<Via> {
    super::plain::plain_via(value).or_else(|| rsip_via(value, problems))
}

/// [`via`] through `rsip`, with the lax reading where `rsip` refuses the value.
pub(crate) fn rsip_via(value: &str, problems: &mut Vec<String>) -> Option<Via> {
    let tight = tighten(value);
    let value = tight.as_str();
    if let Ok(v) = rsip::headers::Via::new(value).typed() {
        return Some(Via {
            transport: v.transport.to_string().to_ascii_uppercase(),
            sent_by: v.uri.host_with_port.to_string(),
            branch: v.branch().map(|b| b.value().to_owned()),
        });
    }
    lax_via(value, problems)
}

/// `SIP/2.0/UDP host:port;branch=…`, read leniently (rsip refuses unknown transports).
pub(crate) fn lax_via(value: &str, problems: &mut Vec<String>) -> Option<Via> {
    let (proto, rest) = value.trim().split_once(char::is_whitespace)?;
    let transport = proto.rsplit('/').next().unwrap_or("").to_ascii_uppercase();
    let mut params = rest.split(';');
    let sent_by = params.next().unwrap_or("").trim().to_owned();
    let branch = params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("branch")
            .then(|| v.trim().to_owned())
    });
    if transport.is_empty() || sent_by.is_empty() {
        problems.push("Via header unreadable".to_owned());
        return None;
    }
    Some(Via {
        transport,
        sent_by,
        branch,
    })
}

/// Decoded header values by their text, kept across the messages of a capture: a dialog's
/// messages and retransmissions repeat the same From, To, Contact and Via values, and decoding
/// them with `rsip` is most of what a message costs. A plain `Via` ([`super::plain`]) is read
/// without `rsip` and not kept (its branch makes each one new). Bounded: each table is emptied
/// when full.
#[derive(Debug, Default)]
pub struct HeaderCache {
    from: Table<Arc<NameAddr>>,
    to: Table<Arc<NameAddr>>,
    contact: Table<Arc<NameAddr>>,
    via: Table<Via>,
}

/// Decoded values by header value. foldhash, not std's SipHash: hashing a header value with
/// SipHash was a fifth of a cache hit; the random seed still keeps crafted values from colliding.
type Table<T> = std::collections::HashMap<String, Cached<T>, foldhash::fast::RandomState>;

/// A decoded value and the problem its decoding reported.
type Cached<T> = (Option<T>, Option<String>);

/// Values kept per table.
const MAX_CACHED: usize = 1024;

fn cached<T: Clone>(
    table: &mut Table<T>,
    value: &str,
    problems: &mut Vec<String>,
    decode: impl FnOnce(&str, &mut Vec<String>) -> Option<T>,
) -> Option<T> {
    if let Some((v, problem)) = table.get(value) {
        problems.extend(problem.iter().cloned());
        return v.clone();
    }
    let mut found = Vec::new();
    let v = decode(value, &mut found);
    if table.len() >= MAX_CACHED {
        table.clear();
    }
    table.insert(value.to_owned(), (v.clone(), found.first().cloned()));
    problems.extend(found);
    v
}

impl HeaderCache {
    pub(crate) fn name_addr(
        &mut self,
        kind: Kind,
        value: &str,
        problems: &mut Vec<String>,
    ) -> Option<Arc<NameAddr>> {
        let table = match kind {
            Kind::From => &mut self.from,
            Kind::To => &mut self.to,
            Kind::Contact => &mut self.contact,
        };
        cached(table, value, problems, |v, p| {
            name_addr(kind, v, p).map(Arc::new)
        })
    }

    pub(crate) fn via(&mut self, value: &str, problems: &mut Vec<String>) -> Option<Via> {
        if let Some(via) = super::plain::plain_via(value) {
            return Some(via);
        }
        cached(&mut self.via, value, problems, rsip_via)
    }
}

pub(crate) fn cseq(value: &str, problems: &mut Vec<String>) -> Option<CSeq> {
    if let Some((seq, method)) = super::plain::plain_cseq(value) {
        return Some(CSeq {
            seq,
            method: method.to_owned(),
        });
    }
    general_cseq(value, problems)
}

/// A `CSeq` through `rsip`, or read laxly where `rsip` refuses it.
pub(crate) fn general_cseq(value: &str, problems: &mut Vec<String>) -> Option<CSeq> {
    if let Ok(c) = rsip::headers::CSeq::new(value).typed() {
        return Some(CSeq {
            seq: c.seq,
            method: c.method.to_string(),
        });
    }
    // rsip knows fourteen methods; any token is a method (§20.16).
    let mut parts = value.split_whitespace();
    let parsed = match (parts.next(), parts.next(), parts.next()) {
        (Some(seq), Some(method), None) if method.bytes().all(is_token_char) => {
            seq.parse().ok().map(|seq| CSeq {
                seq,
                method: method.to_owned(),
            })
        }
        _ => None,
    };
    if parsed.is_none() {
        problems.push("CSeq header unreadable".to_owned());
    }
    parsed
}
