//! Privacy: replacing phone numbers, SIP user parts and display names in a [`Report`] with stable
//! pseudonyms before it is shown or shared.
//!
//! The same value always becomes the same pseudonym within one report (`number-1`, `user-2`,
//! `name-1`, numbered in order of first appearance), so a masked call list still shows who called
//! whom how often. Beyond SIP: STUN/TURN usernames, the user of an RTCP CNAME (`user@host`) and
//! of a home directory in a process's path. Hosts, addresses and Call-IDs are kept (`callscope
//! analyze --call CALL-ID` must still find a call); masking addresses belongs to the share link.

use std::collections::HashMap;

use crate::sip::report::LadderMessage;
use crate::Report;

/// Pseudonyms handed out so far.
#[derive(Debug, Default)]
pub struct Masker {
    users: HashMap<String, String>,
    names: HashMap<String, String>,
    numbers: usize,
    others: usize,
}

/// True for a telephone number: an optional `+`, then at least three digits, with the visual
/// separators of RFC 3966 §5.1.1 (`-`, `.`, `(`, `)`, space) allowed.
pub fn is_number(user: &str) -> bool {
    let digits = user.strip_prefix('+').unwrap_or(user);
    let mut count = 0;
    for c in digits.chars() {
        match c {
            '0'..='9' => count += 1,
            '-' | '.' | '(' | ')' | ' ' => {}
            _ => return false,
        }
    }
    count >= 3
}

impl Masker {
    /// The pseudonym of a user part or number.
    pub fn user(&mut self, user: &str) -> String {
        if user.is_empty() {
            return String::new();
        }
        if let Some(p) = self.users.get(user) {
            return p.clone();
        }
        let p = if is_number(user) {
            self.numbers += 1;
            format!("number-{}", self.numbers)
        } else {
            self.others += 1;
            format!("user-{}", self.others)
        };
        self.users.insert(user.to_owned(), p.clone());
        p
    }

    /// The pseudonym of a display name.
    pub fn name(&mut self, name: &str) -> String {
        let n = self.names.len() + 1;
        self.names
            .entry(name.to_owned())
            .or_insert_with(|| format!("name-{n}"))
            .clone()
    }

    /// A URI with its user part masked: `sip:alice@host` → `sip:user-1@host`, `tel:+1555…` →
    /// `tel:number-1`. URIs without a user part are kept.
    pub fn uri(&mut self, uri: &str) -> String {
        let Some((scheme, rest)) = uri.split_once(':') else {
            return self.user(uri);
        };
        if scheme.eq_ignore_ascii_case("tel") {
            let (number, params) = rest
                .split_once(';')
                .map_or((rest, None), |(n, p)| (n, Some(p)));
            let masked = self.user(number);
            return match params {
                Some(p) => format!("{scheme}:{masked};{p}"),
                None => format!("{scheme}:{masked}"),
            };
        }
        match rest.rsplit_once('@') {
            Some((user, host)) => {
                // A password in a URI (`user:secret@host`) is dropped, not masked.
                let user = user.split(':').next().unwrap_or(user);
                format!("{scheme}:{}@{host}", self.user(user))
            }
            None => uri.to_owned(),
        }
    }

    /// A header value of name-addrs (RFC 3261 §20.10: `"Alice" <sip:alice@host>;tag=1`,
    /// `sip:alice@host`, or several separated by commas): display names and user parts masked,
    /// everything else kept.
    pub fn name_addrs(&mut self, value: &str) -> String {
        split_top_level(value)
            .into_iter()
            .map(|part| self.name_addr(part))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn name_addr(&mut self, part: &str) -> String {
        let trimmed = part.trim_start();
        let lead = &part[..part.len() - trimmed.len()];
        let open = Quotes::default()
            .outside(trimmed)
            .find(|&(_, c)| c == '<')
            .map(|(i, _)| i);
        match open.map(|lt| {
            (
                lt,
                trimmed[lt..].find('>').map_or(trimmed.len(), |gt| lt + gt),
            )
        }) {
            Some((lt, gt)) => {
                let display = trimmed[..lt].trim().trim_matches('"');
                let display = if display.is_empty() {
                    String::new()
                } else {
                    format!("\"{}\" ", self.name(display))
                };
                let uri = self.uri(&trimmed[lt + 1..gt]);
                // An unclosed `<` (a mangled value) still has its URI masked.
                let rest = trimmed.get(gt + 1..).unwrap_or("");
                let close = if gt < trimmed.len() { ">" } else { "" };
                format!("{lead}{display}<{uri}{close}{rest}")
            }
            None if trimmed.trim() == "*" => part.to_owned(),
            None => {
                let (uri, params) = trimmed
                    .split_once(';')
                    .map_or((trimmed, None), |(u, p)| (u, Some(p)));
                let uri = self.uri(uri.trim_end());
                match params {
                    Some(p) => format!("{lead}{uri};{p}"),
                    None => format!("{lead}{uri}"),
                }
            }
        }
    }

    /// A SIP start line: the Request-URI of a request masked (`INVITE sip:number-1@host
    /// SIP/2.0`); a status line is kept.
    pub fn start_line(&mut self, line: &str) -> String {
        let mut words = line.splitn(3, ' ');
        match (words.next(), words.next(), words.next()) {
            (Some(method), Some(uri), Some(version)) if !method.starts_with("SIP/") => {
                format!("{method} {} {version}", self.uri(uri))
            }
            _ => line.to_owned(),
        }
    }

    /// A path with the user of a home directory (`/Users/<user>/`, `/home/<user>/`) masked.
    pub fn home(&mut self, path: &str) -> String {
        for root in [
            "/Users/",
            "/home/",
            "/var/mobile/Containers/Data/Application/",
        ] {
            if let Some(rest) = path.strip_prefix(root) {
                let (user, tail) = rest
                    .split_once('/')
                    .map_or((rest, None), |(u, t)| (u, Some(t)));
                if root.ends_with("Application/") || user.is_empty() || user == "Shared" {
                    return path.to_owned();
                }
                let masked = self.user(user);
                return match tail {
                    Some(t) => format!("{root}{masked}/{t}"),
                    None => format!("{root}{masked}"),
                };
            }
        }
        path.to_owned()
    }

    /// A user part, a number or a URI (as a call's `caller`/`callee` may be).
    pub fn user_or_uri(&mut self, value: &str) -> String {
        if value.contains(':') {
            self.uri(value)
        } else {
            self.user(value)
        }
    }
}

/// Header fields whose values name people (name-addrs), masked by [`Masker::name_addrs`].
pub const PERSONAL_HEADERS: [&str; 7] = [
    "From",
    "To",
    "Contact",
    "P-Asserted-Identity",
    "P-Preferred-Identity",
    "Refer-To",
    "Referred-By",
];

/// Walks a header value and yields the characters outside quoted strings (RFC 3261 §25.1:
/// `"…"` with `\` escapes), with their byte offsets.
#[derive(Default)]
struct Quotes {
    quoted: bool,
    escaped: bool,
}

impl Quotes {
    fn outside<'v>(mut self, value: &'v str) -> impl Iterator<Item = (usize, char)> + 'v {
        value.char_indices().filter(move |&(_, c)| {
            if self.escaped {
                self.escaped = false;
                return false;
            }
            match c {
                '\\' if self.quoted => {
                    self.escaped = true;
                    false
                }
                '"' => {
                    self.quoted = !self.quoted;
                    false
                }
                _ => !self.quoted,
            }
        })
    }
}

/// Splits a header value at the commas between its elements (not inside quotes or `<…>`).
fn split_top_level(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut angle, mut start) = (false, 0);
    for (i, c) in Quotes::default().outside(value) {
        match c {
            '<' => angle = true,
            '>' => angle = false,
            ',' if !angle => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
}

/// Masks a ladder's messages: Request-URIs and the header fields that name people.
fn mask_messages(m: &mut Masker, messages: &mut [LadderMessage]) {
    for msg in messages {
        if !msg.start_line.is_empty() {
            msg.start_line = m.start_line(&msg.start_line);
        }
        for h in &mut msg.headers {
            if PERSONAL_HEADERS
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&h.name))
            {
                h.value = m.name_addrs(&h.value);
            }
        }
    }
}

impl Masker {
    /// Free text (a verdict's words) with every value masked so far replaced by its pseudonym
    /// where it stands as a word of its own (a user `s` leaves "calls" alone), the longest
    /// first so that a number inside another is not half replaced.
    pub fn text(&self, text: &str) -> String {
        let mut pairs: Vec<(&String, &String)> = self.users.iter().chain(&self.names).collect();
        crate::order::sort_by(&mut pairs, |a, b| {
            b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(b.0))
        });
        let mut out = text.to_owned();
        for (value, pseudonym) in pairs {
            if !value.is_empty() && out.contains(value.as_str()) {
                out = replace_words(&out, value, pseudonym);
            }
        }
        out
    }
}

/// `text` with each occurrence of `value` not inside a longer word replaced by `with`.
fn replace_words(text: &str, value: &str, with: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(value) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + value.len()..].chars().next();
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(value);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + value.len()..];
    }
    out.push_str(rest);
    out
}

/// Masks every phone number, user part and display name in the report's SIP section, and the
/// same values wherever a verdict quotes them.
pub fn mask_report(report: &mut Report) {
    let mut m = Masker::default();
    let sip = &mut report.sip;
    for call in &mut sip.calls {
        call.caller = m.user_or_uri(&call.caller);
        call.callee = m.user_or_uri(&call.callee);
        call.from = m.uri(&call.from);
        call.to = m.uri(&call.to);
        if let Some(name) = &call.caller_name {
            call.caller_name = Some(m.name(name));
        }
        if let Some(pai) = &call.asserted_identity {
            call.asserted_identity = Some(m.uri(pai));
        }
        if let Some(contact) = &call.contact {
            call.contact = Some(m.uri(contact));
        }
        mask_messages(&mut m, &mut call.messages);
    }
    for ex in &mut sip.exchanges {
        ex.from = m.uri(&ex.from);
        ex.to = m.uri(&ex.to);
        mask_messages(&mut m, &mut ex.messages);
    }
    for reg in &mut sip.registrations {
        reg.aor = m.uri(&reg.aor);
        if let Some(c) = &reg.contact {
            reg.contact = Some(m.uri(c));
        }
    }
    // A STUN/TURN USERNAME can be a person's account (TURN long-term credentials).
    for t in &mut report.stun.transactions {
        if let Some(u) = &t.username {
            t.username = Some(m.user(u));
        }
    }
    // An RTCP CNAME is often user@host (RFC 3550 §6.5.1).
    let cname = |m: &mut Masker, c: &mut Option<String>| {
        if let Some((user, host)) = c.as_deref().and_then(|c| c.split_once('@')) {
            *c = Some(format!("{}@{host}", m.user(user)));
        }
    };
    for r in &mut report.rtcp.reports {
        cname(&mut m, &mut r.cname);
    }
    for s in &mut report.rtcp.sources {
        cname(&mut m, &mut s.cname);
    }
    // A process's path can name its user's home (`/Users/alice/…`, `/home/alice/…`).
    for p in &mut report.processes {
        if let Some(path) = &p.path {
            p.path = Some(m.home(path));
        }
    }
    for v in &mut report.verdicts {
        v.title = m.text(&v.title);
        v.detail = m.text(&v.detail);
        if let Some(c) = &v.certain_if {
            v.certain_if = Some(m.text(c));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn verdict_text_gets_the_same_pseudonyms_as_whole_words() {
        let mut m = Masker::default();
        m.uri("sip:+15550100@example.com");
        m.uri("sip:s@example.com");
        m.name("Alice Smith");
        assert_eq!(
            m.text("Call from +15550100 (Alice Smith) to s failed; s calls +155501009"),
            "Call from number-1 (name-1) to user-1 failed; user-1 calls +155501009"
        );
    }

    #[test]
    fn numbers_and_users_get_stable_pseudonyms() {
        let mut m = Masker::default();
        assert_eq!(
            m.uri("sip:+15550100@example.com"),
            "sip:number-1@example.com"
        );
        assert_eq!(
            m.uri("tel:+15550100;phone-context=x"),
            "tel:number-1;phone-context=x"
        );
        assert_eq!(
            m.uri("sip:alice@example.com:5060"),
            "sip:user-1@example.com:5060"
        );
        assert_eq!(m.user("alice"), "user-1");
        assert_eq!(m.user("(555) 010-0199"), "number-2");
        assert_eq!(m.uri("sip:example.com"), "sip:example.com");
        assert_eq!(m.name("Alice"), "name-1");
        assert_eq!(m.name("Alice"), "name-1");
        assert_eq!(m.name("Bob"), "name-2");
    }

    #[test]
    fn header_values_keep_their_shape_and_lose_their_people() {
        let mut m = Masker::default();
        assert_eq!(
            m.name_addrs("\"Alice Smith\" <sip:+15550100@example.com;user=phone>;tag=9"),
            "\"name-1\" <sip:number-1@example.com;user=phone>;tag=9"
        );
        assert_eq!(
            m.name_addrs("<sip:+15550100@ims.example>, <tel:+15550100>"),
            "<sip:number-1@ims.example>, <tel:number-1>"
        );
        assert_eq!(
            m.name_addrs("sip:bob@example.com;tag=x"),
            "sip:user-1@example.com;tag=x"
        );
        assert_eq!(m.name_addrs("Bob <sip:bob@h>"), "\"name-2\" <sip:user-1@h>");
        assert_eq!(m.name_addrs("*"), "*");
        // An escaped quote does not end the display name; an unclosed `<` still masks the URI.
        assert_eq!(
            m.name_addrs("\"Al\\\"ice, <x>\" <sip:alice@h>;tag=1"),
            "\"name-3\" <sip:user-2@h>;tag=1"
        );
        assert_eq!(m.name_addrs("<sip:+15550100@h"), "<sip:number-1@h");
        assert_eq!(
            m.start_line("INVITE sip:+15550100@ims.example;user=phone SIP/2.0"),
            "INVITE sip:number-1@ims.example;user=phone SIP/2.0"
        );
        assert_eq!(m.start_line("SIP/2.0 180 Ringing"), "SIP/2.0 180 Ringing");
    }

    #[test]
    fn stun_users_rtcp_cnames_and_home_directories_are_masked() {
        let mut r = Report::default();
        r.stun.transactions.push(crate::stun::StunTransaction {
            username: Some("alice".into()),
            ..Default::default()
        });
        r.rtcp.reports.push(crate::rtp::RtcpEntry {
            cname: Some("alice@laptop.example".into()),
            ..Default::default()
        });
        r.processes.push(crate::report::Process {
            path: Some("/Users/alice/bin/softphone".into()),
            ..Default::default()
        });
        mask_report(&mut r);
        assert_eq!(r.stun.transactions[0].username.as_deref(), Some("user-1"));
        assert_eq!(
            r.rtcp.reports[0].cname.as_deref(),
            Some("user-1@laptop.example")
        );
        assert_eq!(
            r.processes[0].path.as_deref(),
            Some("/Users/user-1/bin/softphone")
        );
        let mut m = Masker::default();
        assert_eq!(m.home("/usr/libexec/CommCenter"), "/usr/libexec/CommCenter");
        assert_eq!(m.home("/Users/Shared/x"), "/Users/Shared/x");
    }

    #[test]
    fn what_is_a_number() {
        assert!(is_number("+4930123456"));
        assert!(is_number("555-0100"));
        assert!(!is_number("alice"));
        assert!(!is_number("12"));
        assert!(!is_number("+"));
    }

    proptest::proptest! {
        /// Whatever the header value looks like, masking never panics, and a number in a
        /// name-addr's URI or display name does not survive.
        #[test]
        fn numbers_never_survive_in_name_addrs(
            number in "\\+?[1-9][0-9]{5,12}",
            display in proptest::option::of("[A-Za-z ]{1,12}"),
            params in "(;[a-z]{1,5}=[a-z0-9]{1,5}){0,2}",
            junk in "\\PC{0,40}",
        ) {
            let mut m = Masker::default();
            let _ = m.name_addrs(&junk);
            let _ = m.start_line(&junk);
            let shown = display.map(|d| format!("\"{d}\" ")).unwrap_or_default();
            for value in [
                format!("{shown}<sip:{number}@ims.example.net;user=phone>{params}"),
                format!("sip:{number}@ims.example.net{params}"),
                format!("<tel:{number}>{params}, {shown}<sip:{number}@h>"),
            ] {
                let masked = m.name_addrs(&value);
                proptest::prop_assert!(!masked.contains(number.trim_start_matches('+')), "{value} → {masked}");
            }
            let line = m.start_line(&format!("INVITE sip:{number}@h SIP/2.0"));
            proptest::prop_assert!(!line.contains(number.trim_start_matches('+')), "{line}");
        }
    }
}
