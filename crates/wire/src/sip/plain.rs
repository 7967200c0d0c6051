//! Header values in the plain form nearly every phone sends, which [`super::header`] reads
//! without `rsip`.
//!
//! `rsip`'s nom tokenizers cost about 10,000 instructions per `Via` or name-addr value, a third
//! of what a SIP message costs, and its cache ([`super::HeaderCache`]) rarely helps a `Via`:
//! each transaction has its own branch. In the plain forms below the plain and lax readings
//! (`plain_via`, `lax_name_addr`, `plain_cseq`) give exactly what `rsip` gives; the
//! differential tests at the end hold them to it. Anything else (IPv6, host names, escapes,
//! unusual spacing or case, `tel:` URIs, …) still goes through `rsip`.
//!
//! - `Via` (RFC 3261 §20.42): `SIP/2.0/UDP` (or `TCP`, `TLS`), one space, an IPv4 address with
//!   an optional port, then `;name` or `;name=value` parameters.
//! - name-addr (§20.10, §20.20, §20.39): an optional quoted display name and one space, then
//!   `<sip:user@address:port;uri-params>` and `;name=value` header parameters.
//! - `CSeq` (§20.16): up to nine digits, one space, an upper-case method.
//!
//! Names are lower-case letters, digits and `-`; values are letters, digits and `.-_+`; a user
//! part has no `.` (rsip would read it as the host).

use std::net::Ipv4Addr;

use super::header::Via;

/// A plain `Via`, read in the same pass that checks it is one: its transport, `sent-by` and
/// `branch`, as [`super::header::lax_via`] (and so `rsip`) reads them.
pub(crate) fn plain_via(value: &str) -> Option<Via> {
    let (transport, sent_by, params) = plain_via_parts(value)?;
    // Plain parameter names are lower case and values have no spaces: nothing to trim or fold.
    let branch = params.and_then(|p| p.split(';').find_map(|p| p.strip_prefix("branch=")));
    Some(Via {
        transport: transport.to_owned(),
        sent_by: sent_by.to_owned(),
        branch: branch.map(str::to_owned),
    })
}

/// A plain `Via`'s transport, `sent-by` and parameters.
fn plain_via_parts(value: &str) -> Option<(&str, &str, Option<&str>)> {
    let rest = value.strip_prefix("SIP/2.0/")?;
    let (transport, rest) = rest.split_once(' ')?;
    if !matches!(transport, "UDP" | "TCP" | "TLS") {
        return None;
    }
    let (sent_by, params) = split_params(rest);
    (is_plain_address(sent_by) && params.is_none_or(are_plain_params))
        .then_some((transport, sent_by, params))
}

/// Whether `value` is a plain name-addr.
pub(crate) fn is_plain_name_addr(value: &str) -> bool {
    let rest = match value.strip_prefix('"') {
        Some(quoted) => {
            let Some((display, rest)) = quoted.split_once('"') else {
                return false;
            };
            let Some(rest) = rest.strip_prefix(' ') else {
                return false;
            };
            if !display.bytes().all(is_plain_display_byte)
                || display.starts_with(' ')
                || display.ends_with(' ')
            {
                return false;
            }
            rest
        }
        None => value,
    };
    let Some((uri, header_params)) = rest.strip_prefix('<').and_then(|rest| rest.split_once('>'))
    else {
        return false;
    };
    let Some(uri) = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))
    else {
        return false;
    };
    let (user_host, uri_params) = split_params(uri);
    let host = match user_host.split_once('@') {
        Some((user, host)) => {
            // rsip ends a user part at its first `.` (and then reads it all as the host).
            if user.is_empty() || !user.bytes().all(|b| b != b'.' && is_plain_value_byte(b)) {
                return false;
            }
            host
        }
        None => user_host,
    };
    let header_params = match header_params {
        "" => None,
        params => match params.strip_prefix(';') {
            Some(params) => Some(params),
            None => return false,
        },
    };
    is_plain_address(host)
        && uri_params.is_none_or(are_plain_params)
        && header_params.is_none_or(are_plain_params)
}

/// A plain `CSeq`: its number and method. Nine digits at most, so that the number fits a `u32`
/// (longer ones, and anything else, go the general way).
pub(crate) fn plain_cseq(value: &str) -> Option<(u32, &str)> {
    let (seq, method) = value.split_once(' ')?;
    let digits = !seq.is_empty() && seq.len() <= 9 && seq.bytes().all(|b| b.is_ascii_digit());
    let upper = !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase());
    if !(digits && upper) {
        return None;
    }
    Some((seq.parse().ok()?, method))
}

/// `text` before its first `;`, and what follows (None without a `;`).
fn split_params(text: &str) -> (&str, Option<&str>) {
    match text.split_once(';') {
        Some((head, params)) => (head, Some(params)),
        None => (text, None),
    }
}

/// `a.b.c.d` or `a.b.c.d:port`, written as the address and port print (no leading zeros).
fn is_plain_address(text: &str) -> bool {
    let (ip, port) = match text.split_once(':') {
        Some((ip, port)) => (ip, Some(port)),
        None => (text, None),
    };
    // std's parser refuses leading zeros and values above 255.
    ip.parse::<Ipv4Addr>().is_ok()
        && port.is_none_or(|p| {
            !p.starts_with('0')
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok()
        })
}

/// `name` or `name=value` parameters separated by `;`, none empty.
fn are_plain_params(params: &str) -> bool {
    params.split(';').all(|param| {
        let (name, value) = match param.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (param, None),
        };
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && value.is_none_or(|v| !v.is_empty() && v.bytes().all(is_plain_value_byte))
    })
}

fn is_plain_value_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+')
}

fn is_plain_display_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b' ' | b'.' | b'-' | b'_' | b'+')
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::header::{
        general_cseq, lax_name_addr, lax_via, rsip_name_addr, rsip_via, CSeq, Kind,
    };
    use super::*;

    const PARAM: &str = "(;[a-z0-9-]{1,8}(=[A-Za-z0-9._+-]{1,12})?){0,4}";
    /// Plain values only: the tests below check that every one is taken as plain.
    const ADDRESS: &str = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?";

    fn via_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        let re = format!("SIP/2\\.0/(UDP|TCP|TLS) {ADDRESS}(;branch=z9hG4bK[A-Za-z0-9._+-]{{1,16}})?{PARAM}(;branch=[A-Za-z0-9._+-]{{1,8}})?");
        proptest::string::string_regex(&re).unwrap()
    }

    fn name_addr_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        let re = format!("(\"[A-Za-z0-9._+-]([A-Za-z0-9 ._+-]{{0,14}}[A-Za-z0-9._+-])?\" )?<sips?:([A-Za-z0-9_+-]{{1,12}}@)?{ADDRESS}{PARAM}>(;tag=[A-Za-z0-9._+-]{{1,12}})?(;expires=[0-9]{{1,6}})?{PARAM}");
        proptest::string::string_regex(&re).unwrap()
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        /// Plain Via values read as rsip reads them.
        #[test]
        fn plain_vias_read_as_rsip_reads_them(value in via_strategy()) {
            proptest::prop_assert!(plain_via(&value).is_some(), "not plain: {}", value);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            proptest::prop_assert_eq!(lax_via(&value, &mut a), rsip_via(&value, &mut b), "{}", value);
            proptest::prop_assert_eq!(&a, &b);
            proptest::prop_assert_eq!(plain_via(&value), lax_via(&value, &mut a), "{}", value);
        }

        /// Plain CSeq values read as the general way reads them (rsip, then the lax reading
        /// for methods rsip does not know): the known methods and any other upper-case token.
        #[test]
        fn plain_cseqs_read_as_the_general_way_reads_them(
            value in "[0-9]{1,9} (ACK|BYE|CANCEL|INFO|INVITE|MESSAGE|NOTIFY|OPTIONS|PRACK|PUBLISH|REFER|REGISTER|SUBSCRIBE|UPDATE|[A-Z]{1,12})"
        ) {
            let (seq, method) = plain_cseq(&value).expect("plain");
            let mut problems = Vec::new();
            let plain = CSeq { seq, method: method.to_owned() };
            proptest::prop_assert_eq!(Some(plain), general_cseq(&value, &mut problems), "{}", value);
            proptest::prop_assert!(problems.is_empty());
        }

        /// Plain name-addr values read as rsip reads them, for each header that has them.
        #[test]
        fn plain_name_addrs_read_as_rsip_reads_them(value in name_addr_strategy()) {
            proptest::prop_assert!(is_plain_name_addr(&value), "not plain: {}", value);
            for kind in [Kind::From, Kind::To, Kind::Contact] {
                let mut problems = Vec::new();
                proptest::prop_assert_eq!(lax_name_addr(&value), rsip_name_addr(kind, &value, &mut problems), "{}", value);
                proptest::prop_assert!(problems.is_empty());
            }
        }
    }

    #[test]
    fn common_values_are_plain_and_others_are_not() {
        assert!(plain_via("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds;rport").is_some());
        assert!(plain_via("SIP/2.0/TCP 192.0.2.4").is_some());
        assert!(plain_via("SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1").is_none());
        assert!(plain_via("SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1").is_none());
        assert!(plain_via("SIP/2.0/UDP 10.0.0.1:05060").is_none());
        assert!(plain_via("SIP/2.0/UDP 10.0.0.1 ;branch=z9hG4bK1").is_none());
        assert!(plain_via("SIP/2.0/UDP 10.0.0.1;Branch=z9hG4bK1").is_none());
        assert!(plain_via("SIP/2.0/SCTP 10.0.0.1").is_none());
        assert!(plain_via("SIP/2.0/UDP 10.0.0.1;").is_none());
        assert_eq!(plain_cseq("314159 INVITE"), Some((314159, "INVITE")));
        for odd in [
            "1  INVITE",
            "1 invite",
            " 1 INVITE",
            "1 INVITE ",
            "1234567890 BYE",
            "-1 BYE",
            "1",
        ] {
            assert_eq!(plain_cseq(odd), None, "{odd}");
        }
        assert!(is_plain_name_addr(
            "\"Alice\" <sip:alice@10.0.0.1:5060;transport=udp>;tag=1928301774"
        ));
        assert!(is_plain_name_addr("<sip:10.0.0.2>"));
        assert!(!is_plain_name_addr("Alice <sip:alice@10.0.0.1>"));
        assert!(!is_plain_name_addr("\"A \\\"B\\\"\" <sip:alice@10.0.0.1>"));
        assert!(!is_plain_name_addr("<tel:+15550100>"));
        assert!(!is_plain_name_addr("sip:alice@10.0.0.1;tag=1"));
        assert!(!is_plain_name_addr("<sip:alice@example.com>"));
        assert!(!is_plain_name_addr("<sip:alice@10.0.0.1>;TAG=1"));
        assert!(!is_plain_name_addr("<sip:alice@10.0.0.1?subject=x>"));
        // rsip ends the user part at a dot and reads `alice.smith@10.0.0.1` as the host: the
        // lax reading would disagree, so such values stay rsip's.
        assert!(!is_plain_name_addr("<sip:alice.smith@10.0.0.1>"));
        let rsip = rsip_name_addr(Kind::From, "<sip:alice.smith@10.0.0.1>", &mut Vec::new());
        assert_eq!(rsip.unwrap().user, None);
    }
}
