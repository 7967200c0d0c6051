//! Verdicts: conclusions in plain words over a finished [`Report`] (and the host's facts when
//! given), each with how sure it is, what would make it certain, and the evidence a reader can
//! check (conversations, frames, calls, tunnels, streams, names).
//!
//! Each rule is a small pure function of its own file, `fn(&Input) -> Vec<Verdict>`, listed once
//! in [`RULES`]; a rule says nothing when part of its evidence is missing (its tests prove it).
//! More specific verdicts come first: a Wi-Fi calling tunnel before the IPsec tunnel it refines.

mod apple;
mod calls;
mod dns;
mod interfaces;
mod media;
mod nat;
mod tunnels;

/// What the rules' tests share.
#[cfg(test)]
mod fixtures {
    use crate::report::{MobileNetwork, Name};

    /// A DNS name calling `addr` T-Mobile US's ePDG.
    pub fn epdg_name(addr: &str) -> Name {
        Name {
            addr: addr.into(),
            name: "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org".into(),
            source: "dns".into(),
            frame: 3,
            network: Some(MobileNetwork {
                role: "epdg".into(),
                mcc: "310".into(),
                mnc: "260".into(),
                operator: Some("T-Mobile".into()),
                country: Some("United States".into()),
            }),
            ..Name::default()
        }
    }
}

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};

use crate::facts::Facts;
use crate::report::{Name, Report};

/// One conclusion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Verdict {
    /// Stable identifier of the rule (`wifi-calling`, `ipsec-tunnel`, …), with the thing it is
    /// about when a rule can say several (`ipsec-tunnel:1`).
    pub id: String,
    /// One line: what it is.
    pub title: String,
    /// One paragraph in plain words: why, with the numbers.
    pub detail: String,
    /// `certain`, `likely` or `possible`.
    pub confidence: Confidence,
    /// What would make it certain, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certain_if: Option<String>,
    /// What it rests on.
    pub evidence: Evidence,
}

/// How sure a verdict is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// The evidence admits no other reading.
    Certain,
    /// The evidence fits, and nothing contradicts it, but another reading remains.
    #[default]
    Likely,
    /// A hint worth checking.
    Possible,
}

impl Confidence {
    /// As the report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Certain => "certain",
            Confidence::Likely => "likely",
            Confidence::Possible => "possible",
        }
    }
}

/// What a verdict rests on; each list names things the report holds, so a view can link them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Evidence {
    /// Conversations, as `transport a b` with the report's spelling of `a` and `b`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<String>,
    /// Frame numbers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<u64>,
    /// SIP Call-IDs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<String>,
    /// Indexes into `ike.tunnels`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tunnels: Vec<usize>,
    /// Indexes into `rtp.streams`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<usize>,
    /// Names (`names[].name`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Interfaces (facts or capture).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<String>,
    /// Processes, as `name (pid)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<String>,
}

/// What rules read.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The finished report (names attached, processes attributed when facts were given).
    pub report: &'a Report,
    /// The host's facts, when given.
    pub facts: Option<&'a Facts>,
}

/// A rule.
pub type Rule = fn(&Input<'_>) -> Vec<Verdict>;

/// Every rule, most specific first.
pub const RULES: [Rule; 12] = [
    tunnels::wifi_calling,
    calls::sip_in_tunnel,
    tunnels::ipsec_tunnel,
    calls::call_failed,
    media::one_way_audio,
    media::quality,
    nat::direct_media,
    nat::relayed_media,
    apple::facetime_media,
    apple::push,
    dns::failures,
    interfaces::interfaces,
];

/// All verdicts of a report.
pub fn judge(report: &Report, facts: Option<&Facts>) -> Vec<Verdict> {
    let input = Input { report, facts };
    RULES.iter().flat_map(|rule| rule(&input)).collect()
}

/// Whether a verdict came from the host's facts, so that the report alone cannot give it again
/// (a share link carries only these, and [`rejudge`] adds the rest back).
pub fn needs_facts(v: &Verdict) -> bool {
    v.id.starts_with("interface:")
}

/// The verdicts of a report that carries only those [`needs_facts`] keeps: judged again from
/// the report (as it is now: masked, reduced), then the kept ones, in rule order (the facts'
/// rule is the last).
pub fn rejudge(report: &mut Report) {
    let kept: Vec<Verdict> = std::mem::take(&mut report.verdicts)
        .into_iter()
        .filter(needs_facts)
        .collect();
    let mut verdicts = judge(report, None);
    verdicts.extend(kept);
    report.verdicts = verdicts;
}

/// The verdicts of a rule that may say several, numbered `rule:1`, `rule:2`… in order.
pub fn numbered(rule: &str, verdicts: impl Iterator<Item = Verdict>) -> Vec<Verdict> {
    verdicts
        .enumerate()
        .map(|(n, mut v)| {
            v.id = format!("{rule}:{}", n + 1);
            v
        })
        .collect()
}

/// The evidence string of a conversation.
pub fn flow(transport: &str, a: &str, b: &str) -> String {
    format!("{transport} {a} {b}")
}

/// The IP address in an address as the report or the facts write it (`192.0.2.1:5060`,
/// `[2001:db8::1]:5060`, `[fe80::1%en0]:5060`, or a bare address), IPv4-mapped IPv6 read as the
/// IPv4 address the capture carries (the facts' own reading, [`crate::facts::parse_addr`], for
/// addresses with a port); rules compare hosts this way because sections spell ports (and their
/// absence) differently.
pub fn ip_of(text: &str) -> Option<IpAddr> {
    if let Some(addr) = crate::facts::parse_addr(text) {
        return Some(addr.ip());
    }
    // A bare address, bracketed or not, possibly with a zone.
    let host = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(text);
    let ip: IpAddr = host.split('%').next()?.parse().ok()?;
    Some(crate::facts::canonical(SocketAddr::new(ip, 0)).ip())
}

/// The port of an address as the report writes it (`192.0.2.1:5223`, `[2001:db8::1]:5223`).
pub fn port_of(text: &str) -> Option<u16> {
    let (_, port) = text.rsplit_once(':')?;
    if text.starts_with('[') && !text.contains("]:") {
        return None;
    }
    if !text.starts_with('[') && text.matches(':').count() > 1 {
        return None;
    }
    port.parse().ok()
}

/// The host part of an address, for titles (`192.0.2.1` for `192.0.2.1:500`); the text itself
/// when it is not an address.
pub fn host(text: &str) -> String {
    ip_of(text).map_or_else(|| text.to_owned(), |ip| ip.to_string())
}

/// The RFC 6890 class of an address's host: the report's endpoint class when it lists the host,
/// else computed the same way (the endpoint table may have dropped it).
pub fn class_of(report: &Report, addr: &str) -> Option<String> {
    let ip = ip_of(addr)?;
    let listed = report
        .endpoints
        .iter()
        .find(|e| ip_of(&e.addr) == Some(ip) && !e.class.is_empty())
        .map(|e| e.class.clone());
    Some(listed.unwrap_or_else(|| crate::addr::class(ip).to_owned()))
}

/// Whether `a`–`b` and `x`–`y` are the same two addresses, in either order.
pub fn same_pair(a: &str, b: &str, x: &str, y: &str) -> bool {
    (a == x && b == y) || (a == y && b == x)
}

/// The names the report holds for the host of `addr` (any spelling [`ip_of`] reads).
pub fn names_of<'a>(report: &'a Report, addr: &str) -> impl Iterator<Item = &'a Name> + 'a {
    let ip = ip_of(addr);
    report
        .names
        .iter()
        .filter(move |n| ip.is_some() && ip_of(&n.addr) == ip)
}

/// Indexes of the RTP streams with packets between two addresses (`rtp.streams`), either way.
pub fn streams_between(report: &Report, a: &str, b: &str) -> Vec<usize> {
    report
        .rtp
        .streams
        .iter()
        .enumerate()
        .filter(|(_, s)| s.packets > 0 && same_pair(&s.src, &s.dst, a, b))
        .map(|(j, _)| j)
        .collect()
}

/// The process the report attributes the conversation between `a` and `b` to, if any.
pub fn process_of<'a>(report: &'a Report, transport: &str, a: &str, b: &str) -> Option<&'a str> {
    report
        .conversations
        .iter()
        .find(|c| c.transport == transport && same_pair(&c.a, &c.b, a, b))
        .and_then(|c| c.process.as_deref())
}

/// `n` and the word, plural when `n` is not 1: `1 packet`, `3 packets`.
pub fn count(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Seconds as the details write them: `12.3 s`.
pub fn secs(s: f64) -> String {
    format!("{s:.1} s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_in_every_spelling() {
        let v4: IpAddr = "192.0.2.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(ip_of("192.0.2.1:500"), Some(v4));
        assert_eq!(ip_of("192.0.2.1"), Some(v4));
        assert_eq!(ip_of("[::ffff:192.0.2.1]:500"), Some(v4));
        assert_eq!(
            ip_of("[fe80::1%en0]:5060")
                .map(|ip| ip.to_string())
                .as_deref(),
            Some("fe80::1")
        );
        assert_eq!(
            ip_of("2001:db8::1").map(|ip| ip.to_string()).as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(ip_of(""), None);
        assert_eq!(ip_of("example.com:80"), None);
        assert_eq!(port_of("192.0.2.1:5223"), Some(5223));
        assert_eq!(port_of("[2001:db8::1]:5223"), Some(5223));
        assert_eq!(port_of("2001:db8::1"), None);
        assert_eq!(port_of("192.0.2.1"), None);
        assert_eq!(host("[2001:db8::1]:500"), "2001:db8::1");
        assert_eq!(host("not an address"), "not an address");
    }

    #[test]
    fn helpers_write_counts_and_pairs() {
        assert_eq!(count(1, "packet"), "1 packet");
        assert_eq!(count(0, "packet"), "0 packets");
        assert_eq!(secs(12.345), "12.3 s");
        assert!(same_pair("a", "b", "b", "a"));
        assert!(!same_pair("a", "b", "a", "c"));
        assert_eq!(flow("udp", "a", "b"), "udp a b");
    }

    #[test]
    fn every_rule_is_silent_on_an_empty_report() {
        assert!(judge(&Report::default(), None).is_empty());
        assert!(judge(&Report::default(), Some(&Facts::default())).is_empty());
    }
}
