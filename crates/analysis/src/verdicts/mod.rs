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
            addr: addr.parse().unwrap_or_default(),
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

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::addr::Socket;
use crate::facts::Facts;
use crate::report::{Name, ProcessRef, Report, Transport};

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
    /// Processes (`name (pid)`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<ProcessRef>,
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
pub fn flow(
    transport: impl std::fmt::Display,
    a: impl std::fmt::Display,
    b: impl std::fmt::Display,
) -> String {
    format!("{transport} {a} {b}")
}

/// The host part of an address, for titles (`192.0.2.1` for `192.0.2.1:500`).
pub fn host(addr: Socket) -> String {
    crate::addr::ip_text(addr.host())
}

/// The RFC 6890 class of a host: the report's endpoint class when it lists the host, else
/// computed the same way (the endpoint table may have dropped it).
pub fn class_of(report: &Report, ip: IpAddr) -> String {
    let listed = report
        .endpoints
        .iter()
        .find(|e| e.addr.host() == ip && !e.class.is_empty())
        .map(|e| e.class.clone());
    listed.unwrap_or_else(|| crate::addr::class(ip).to_owned())
}

/// Whether `a`–`b` and `x`–`y` are the same two addresses, in either order.
pub fn same_pair<T: PartialEq>(a: &T, b: &T, x: &T, y: &T) -> bool {
    (a == x && b == y) || (a == y && b == x)
}

/// The names the report holds for a host.
pub fn names_of(report: &Report, ip: IpAddr) -> impl Iterator<Item = &Name> + '_ {
    report.names.iter().filter(move |n| n.addr.host() == ip)
}

/// Indexes of the RTP streams with packets between two addresses (`rtp.streams`), either way.
pub fn streams_between(report: &Report, a: Socket, b: Socket) -> Vec<usize> {
    report
        .rtp
        .streams
        .iter()
        .enumerate()
        .filter(|(_, s)| s.packets > 0 && same_pair(&s.src, &s.dst, &a, &b))
        .map(|(j, _)| j)
        .collect()
}

/// The process the report attributes the conversation between `a` and `b` to, if any.
pub fn process_of(
    report: &Report,
    transport: Transport,
    a: Socket,
    b: Socket,
) -> Option<&ProcessRef> {
    report
        .conversations
        .iter()
        .find(|c| c.transport == transport && same_pair(&c.a, &c.b, &a, &b))
        .and_then(|c| c.process.as_ref())
}

/// The items once each, in first-seen order.
fn unique<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
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
    fn hosts_are_written_without_port() {
        let v6: Socket = "[2001:db8::1]:500".parse().expect("address");
        assert_eq!(host(v6), "2001:db8::1");
        let mapped: Socket = "[::ffff:192.0.2.1]:500".parse().expect("address");
        assert_eq!(host(mapped), "192.0.2.1");
    }

    #[test]
    fn helpers_write_counts_and_pairs() {
        assert_eq!(count(1, "packet"), "1 packet");
        assert_eq!(count(0, "packet"), "0 packets");
        assert_eq!(secs(12.345), "12.3 s");
        assert!(same_pair(&"a", &"b", &"b", &"a"));
        assert!(!same_pair(&"a", &"b", &"a", &"c"));
        assert_eq!(flow("udp", "a", "b"), "udp a b");
    }

    #[test]
    fn every_rule_is_silent_on_an_empty_report() {
        assert!(judge(&Report::default(), None).is_empty());
        assert!(judge(&Report::default(), Some(&Facts::default())).is_empty());
    }
}
