//! Privacy: replacing phone numbers, SIP user parts and display names in a [`Report`] with stable
//! pseudonyms before it is shown or shared.
//!
//! The same value always becomes the same pseudonym within one report (`number-1`, `user-2`,
//! `name-1`, numbered in order of first appearance), so a masked call list still shows who called
//! whom how often. Hosts, addresses and Call-IDs are kept (`callscope analyze --call CALL-ID` must
//! still find a call); masking addresses belongs to the share link.

use std::collections::HashMap;

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

    /// A user part, a number or a URI (as a call's `caller`/`callee` may be).
    pub fn user_or_uri(&mut self, value: &str) -> String {
        if value.contains(':') {
            self.uri(value)
        } else {
            self.user(value)
        }
    }
}

/// Masks every phone number, user part and display name in the report's SIP section.
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
    }
    for ex in &mut sip.exchanges {
        ex.from = m.uri(&ex.from);
        ex.to = m.uri(&ex.to);
    }
    for reg in &mut sip.registrations {
        reg.aor = m.uri(&reg.aor);
        if let Some(c) = &reg.contact {
            reg.contact = Some(m.uri(c));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

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
    fn what_is_a_number() {
        assert!(is_number("+4930123456"));
        assert!(is_number("555-0100"));
        assert!(!is_number("alice"));
        assert!(!is_number("12"));
        assert!(!is_number("+"));
    }
}
