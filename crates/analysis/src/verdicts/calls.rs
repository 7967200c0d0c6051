//! SIP: signalling carried inside a tunnel interface (a carrier's IMS over Wi-Fi calling reaches
//! the P-CSCF through the ePDG tunnel, so a capture of `utun`/`ipsec` shows it in the clear), and
//! calls that did not connect, with the final response that ended them.

use super::{class_of, count, flow, same_pair, secs, unique, Confidence, Evidence, Input, Verdict};
use crate::addr::Socket;
use crate::names::{table::role_name, threegpp};
use crate::report::{Conversation, Report};
use crate::sip::report::{Call, CallState, LadderMessage};

/// Link types (as `capture.link_types` spells them) that tunnel interfaces use: macOS `utun` and
/// `ipsec` are `NULL`, Linux `tun` is `RAW`; none of them has a link-layer header.
const TUNNEL_LINKS: [&str; 5] = ["NULL", "LOOP", "RAW", "IPV4", "IPV6"];

/// What would make a mixed capture's verdict certain.
const TUNNEL_ONLY: &str = "a capture of the tunnel interface alone (or per-packet interface \
     metadata) showing the SIP on it";

/// SIP seen on a capture of a tunnel link: certain that SIP was inside the tunnel when every
/// link of the capture is a tunnel link, likely when other links may have carried it. Names the
/// SIP peer (the P-CSCF, when this is IMS) and the IMS domain when a name shows one.
pub fn sip_in_tunnel(input: &Input<'_>) -> Vec<Verdict> {
    let report = input.report;
    if report.sip.messages == 0 {
        return Vec::new();
    }
    // A file with several interfaces says which carried each conversation: only the SIP on a
    // tunnel link counts then, and it is certain. With one interface the link types decide.
    let scoped = tunnel_sip(report).map(|convs| scoped_report(report, &convs));
    if scoped.as_ref().is_some_and(|s| s.conversations.is_empty()) {
        return Vec::new();
    }
    let report = scoped.as_ref().unwrap_or(report);
    let capture = &report.capture;
    let tunnel_links: Vec<&str> = capture
        .link_types
        .iter()
        .map(String::as_str)
        .filter(|l| TUNNEL_LINKS.contains(l))
        .collect();
    if tunnel_links.is_empty() {
        return Vec::new();
    }
    let interfaces = tunnel_interfaces(report);
    // Named interfaces that are all loopbacks: the NULL link is lo0's, not a tunnel's.
    if interfaces.iter().all(|i| i.starts_with("lo")) && !interfaces.is_empty() {
        return Vec::new();
    }
    let peer = sip_peer(report);
    if peer.is_some_and(|p| class_of(report, p.host()) == "loopback") {
        return Vec::new();
    }
    let only_tunnels = scoped.is_some() || tunnel_links.len() == capture.link_types.len();
    let ims = ims_domain(report);

    let title = match (&ims, &peer) {
        (Some(_), Some(p)) => format!("IMS signalling (SIP) inside a tunnel, to P-CSCF {p}"),
        (Some(_), None) => "IMS signalling (SIP) inside a tunnel".to_owned(),
        (None, Some(p)) => format!("SIP inside a tunnel interface, to {p}"),
        (None, None) => "SIP inside a tunnel interface".to_owned(),
    };
    let (link_words, verb) = if tunnel_links.len() == 1 {
        ("link type", "is")
    } else {
        ("link types", "are")
    };
    let on = if interfaces.is_empty() {
        String::new()
    } else {
        format!(" on {}", interfaces.join(", "))
    };
    let mut detail = format!(
        "The capture's {link_words} {} (without a link-layer header) {verb} what tunnel \
         interfaces (utun, ipsec) use, and it holds {}{on}.",
        tunnel_links.join(", "),
        count(report.sip.messages, "SIP message"),
    );
    if !only_tunnels {
        let others: Vec<&str> = capture
            .link_types
            .iter()
            .map(String::as_str)
            .filter(|l| !TUNNEL_LINKS.contains(l))
            .collect();
        detail.push_str(&format!(
            " It also holds {} links, which may have carried some of the SIP.",
            others.join(", ")
        ));
    }
    if let Some(p) = &peer {
        detail.push_str(&format!(
            " Most requests went to {p}: the P-CSCF, if this is the carrier's IMS."
        ));
    }
    detail.push_str(&format!(" {}", sip_summary(report)));
    match &ims {
        Some(d) => detail.push_str(&format!(" {}", d.words)),
        None => detail.push_str(
            " No IMS name was seen, so that this is the carrier's IMS (Wi-Fi calling) is \
             likely, not certain.",
        ),
    }

    vec![Verdict {
        id: "sip-in-tunnel".to_owned(),
        title,
        detail,
        confidence: if only_tunnels {
            Confidence::Certain
        } else {
            Confidence::Likely
        },
        certain_if: (!only_tunnels).then(|| TUNNEL_ONLY.to_owned()),
        evidence: Evidence {
            flows: report
                .conversations
                .iter()
                .filter(|c| c.protocol.as_deref() == Some("sip"))
                .map(|c| flow(c.transport, c.a, c.b))
                .collect(),
            calls: report.sip.calls.iter().map(|c| c.call_id.clone()).collect(),
            names: ims.and_then(|d| d.name).into_iter().collect(),
            interfaces: interfaces.iter().map(|s| (*s).to_owned()).collect(),
            ..Evidence::default()
        },
    }]
}

/// Names of the capture's interfaces on tunnel links, in file order.
/// The SIP conversations whose interface is a tunnel link, when conversations say which
/// interface carried them (None: the file has one interface).
fn tunnel_sip(report: &Report) -> Option<Vec<&Conversation>> {
    if report.conversations.iter().all(|c| c.interface.is_none()) {
        return None;
    }
    let on_tunnel = |c: &Conversation| {
        let i = c.interface?;
        let iface = report.capture.interfaces.iter().find(|f| f.index == i)?;
        Some(TUNNEL_LINKS.contains(&iface.link_type.as_str()))
    };
    Some(
        report
            .conversations
            .iter()
            .filter(|c| c.protocol.as_deref() == Some("sip") && on_tunnel(c) == Some(true))
            .collect(),
    )
}

/// The report as far as the tunnel's SIP conversations go: their interfaces and link types,
/// and the calls, exchanges and registrations between their addresses (methods counted again
/// from those ladders).
fn scoped_report(report: &Report, convs: &[&Conversation]) -> Report {
    let pair = |a: &Socket, b: &Socket| convs.iter().any(|c| same_pair(&c.a, &c.b, a, b));
    let interfaces: Vec<_> = report
        .capture
        .interfaces
        .iter()
        .filter(|i| convs.iter().any(|c| c.interface == Some(i.index)))
        .cloned()
        .collect();
    let link_types = unique(interfaces.iter().map(|i| i.link_type.clone()));
    let sip = &report.sip;
    let calls: Vec<Call> = sip
        .calls
        .iter()
        .filter(|c| {
            pair(&c.caller_addr, &c.callee_addr) || c.messages.iter().any(|m| pair(&m.src, &m.dst))
        })
        .cloned()
        .collect();
    let exchanges: Vec<_> = sip
        .exchanges
        .iter()
        .filter(|x| x.messages.iter().any(|m| pair(&m.src, &m.dst)))
        .cloned()
        .collect();
    let mut methods = std::collections::BTreeMap::new();
    let ladders = calls.iter().flat_map(|c| &c.messages);
    for m in ladders.chain(exchanges.iter().flat_map(|x| &x.messages)) {
        if let (Some(method), false) = (&m.method, m.retransmission) {
            *methods.entry(method.clone()).or_insert(0) += 1;
        }
    }
    Report {
        capture: crate::report::CaptureSummary {
            link_types,
            interfaces,
            ..report.capture.clone()
        },
        conversations: convs.iter().map(|c| (*c).clone()).collect(),
        endpoints: report.endpoints.clone(),
        names: report.names.clone(),
        sip: crate::sip::SipReport {
            messages: convs.iter().map(|c| c.packets).sum(),
            methods,
            registrations: sip
                .registrations
                .iter()
                .filter(|r| pair(&r.client, &r.registrar))
                .cloned()
                .collect(),
            calls,
            exchanges,
            ..crate::sip::SipReport::default()
        },
        ..Report::default()
    }
}

fn tunnel_interfaces(report: &Report) -> Vec<&str> {
    report
        .capture
        .interfaces
        .iter()
        .filter(|i| TUNNEL_LINKS.contains(&i.link_type.as_str()))
        .filter_map(|i| i.name.as_deref())
        .filter(|n| !n.is_empty())
        .collect()
}

/// The SIP peer most requests went to: the registrar with the most REGISTERs, else the most
/// frequent destination of requests in the ladders, else the responder of the busiest SIP
/// conversation.
fn sip_peer(report: &Report) -> Option<Socket> {
    let registrar = most(
        report
            .sip
            .registrations
            .iter()
            .map(|r| (r.registrar, r.requests.max(1))),
    );
    let requests = || {
        let calls = report.sip.calls.iter().flat_map(|c| &c.messages);
        let others = report.sip.exchanges.iter().flat_map(|x| &x.messages);
        most(
            calls
                .chain(others)
                .filter(|m| m.method.is_some())
                .map(|m| (m.dst, 1)),
        )
    };
    let conversation = || {
        most(
            report
                .conversations
                .iter()
                .filter(|c| c.protocol.as_deref() == Some("sip"))
                .map(|c| (c.b, c.packets.max(1))),
        )
    };
    registrar.or_else(requests).or_else(conversation)
}

/// The key with the largest total weight; the first seen wins a tie.
fn most<K: PartialEq + Copy>(items: impl Iterator<Item = (K, u64)>) -> Option<K> {
    let mut totals: Vec<(K, u64)> = Vec::new();
    for (key, weight) in items {
        match totals.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 += weight,
            None => totals.push((key, weight)),
        }
    }
    let best = totals.iter().map(|(_, w)| *w).max()?;
    totals.iter().find(|(_, w)| *w == best).map(|(k, _)| *k)
}

/// REGISTERs (with the last status) and INVITEs.
fn sip_summary(report: &Report) -> String {
    let sip = &report.sip;
    let registers = sip.methods.get("REGISTER").copied().unwrap_or(0);
    let invites = sip.methods.get("INVITE").copied().unwrap_or(0);
    let register_status = sip
        .registrations
        .iter()
        .max_by(|a, b| a.end.total_cmp(&b.end))
        .and_then(|r| r.status);
    let mut parts = Vec::new();
    if registers > 0 {
        parts.push(match register_status {
            Some(s) => format!("{} (last answered {s})", count(registers, "REGISTER")),
            None => format!("{} (no final answer seen)", count(registers, "REGISTER")),
        });
    }
    if invites > 0 {
        parts.push(format!(
            "{} in {}",
            count(invites, "INVITE"),
            count(sip.calls.len() as u64, "call")
        ));
    }
    if parts.is_empty() {
        "Neither REGISTER nor INVITE was seen.".to_owned()
    } else {
        format!("It saw {}.", parts.join(" and "))
    }
}

/// An IMS domain and how it was learned.
struct ImsDomain {
    /// A `names[]` entry, for the evidence, when one showed it.
    name: Option<String>,
    /// The sentence saying so.
    words: String,
}

/// The IMS domain: a name with the `ims` role, else the host of a SIP URI (address of record,
/// From, To) that decodes as a 3GPP IMS name.
fn ims_domain(report: &Report) -> Option<ImsDomain> {
    if let Some(n) = report
        .names
        .iter()
        .find(|n| n.network.as_ref().is_some_and(|net| net.role == "ims"))
    {
        let operator = n
            .network
            .as_ref()
            .and_then(|net| net.operator.as_ref())
            .map(|o| format!(" of {o}"))
            .unwrap_or_default();
        return Some(ImsDomain {
            name: Some(n.name.clone()),
            words: format!(
                "The name {} (for {}) is the IMS{operator}, so this is the carrier's IMS \
                 signalling.",
                n.name, n.addr
            ),
        });
    }
    let sip = &report.sip;
    let uris = sip
        .registrations
        .iter()
        .map(|r| r.aor.as_str())
        .chain(
            sip.calls
                .iter()
                .flat_map(|c| [c.from.as_str(), c.to.as_str()]),
        )
        .chain(
            sip.exchanges
                .iter()
                .flat_map(|x| [x.from.as_str(), x.to.as_str()]),
        );
    for uri in uris {
        let Some(domain) = uri_host(uri) else {
            continue;
        };
        let Some(carrier) = threegpp::operator_of(&domain) else {
            continue;
        };
        if role_name(carrier.role) != "ims" {
            continue;
        }
        let operator = carrier.name.map(|o| format!(" of {o}")).unwrap_or_default();
        return Some(ImsDomain {
            name: None,
            words: format!(
                "The SIP identity {uri} is in the IMS domain {domain}{operator}, so this is the \
                 carrier's IMS signalling."
            ),
        });
    }
    None
}

/// The host of a SIP URI (`sip:+1555@ims.mnc260.mcc310.3gppnetwork.org;user=phone`), lowercased.
fn uri_host(uri: &str) -> Option<String> {
    let uri = uri.trim().trim_start_matches('<');
    let rest = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))?;
    let after_user = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = after_user
        .split([';', '>', ':', '?'])
        .next()
        .filter(|h| !h.is_empty())?;
    Some(host.to_ascii_lowercase())
}

/// One verdict per call that ended without being answered: rejected, failed or cancelled, with
/// the final status and the frame that carried it.
pub fn call_failed(input: &Input<'_>) -> Vec<Verdict> {
    input
        .report
        .sip
        .calls
        .iter()
        .filter(|c| is_unsuccessful(c))
        .enumerate()
        .map(|(n, c)| failed_call(n + 1, c))
        .collect()
}

/// Rejected, failed or cancelled, or ended by a final status of 400 or more.
fn is_unsuccessful(c: &Call) -> bool {
    matches!(
        c.state,
        CallState::Rejected | CallState::Failed | CallState::Cancelled
    ) || c.status.is_some_and(|s| s >= 400)
}

/// The verdict of one unsuccessful call.
fn failed_call(n: usize, c: &Call) -> Verdict {
    let final_msg = c.status.and_then(|s| final_response(c, s));
    let status = c.status.map(|s| {
        let phrase = c
            .reason
            .clone()
            .or_else(|| final_msg.and_then(|m| reason_from_label(&m.label, s)));
        match phrase {
            Some(p) => format!("{s} {p}"),
            None => s.to_string(),
        }
    });
    let (who, whom) = (
        party(&c.caller, &c.from, c.caller_addr),
        party(&c.callee, &c.to, c.callee_addr),
    );
    let title = match (c.state, &status) {
        (CallState::Cancelled, Some(s)) => {
            format!("Call from {who} to {whom} was cancelled: {s}")
        }
        (CallState::Cancelled, None) => format!("Call from {who} to {whom} was cancelled"),
        (_, Some(s)) => format!("Call from {who} to {whom} failed: {s}"),
        (_, None) => format!("Call from {who} to {whom} failed"),
    };
    let mut detail = format!(
        "The INVITE from {} to {} at {} {}",
        c.caller_addr,
        c.callee_addr,
        secs(c.start),
        match c.state {
            CallState::Rejected => "was rejected",
            CallState::Cancelled => "was cancelled",
            CallState::Failed => "failed",
            CallState::Answered | CallState::InProgress => "did not connect",
        }
    );
    if let Some(s) = &status {
        detail.push_str(&format!(" with {s}"));
    }
    if let Some(m) = final_msg {
        detail.push_str(&format!(" (frame {}, from {})", m.frame, m.src));
    }
    if let Some(d) = c.duration {
        detail.push_str(&format!(", {} after it began", secs(d)));
    }
    detail.push('.');
    if let Some(meaning) = c.status.and_then(status_meaning) {
        detail.push_str(&format!(" {meaning}"));
    }
    if c.auth_challenges > 0 {
        detail.push_str(&format!(
            " The caller answered {} first.",
            count(u64::from(c.auth_challenges), "authentication challenge")
        ));
    }
    if c.retransmissions > 0 {
        detail.push_str(&format!(
            " {} were resent.",
            count(c.retransmissions, "message")
        ));
    }
    Verdict {
        id: format!("call-failed:{n}"),
        title,
        detail,
        confidence: Confidence::Certain,
        certain_if: None,
        evidence: Evidence {
            flows: vec![flow(c.transport, c.caller_addr, c.callee_addr)],
            frames: final_msg.map(|m| m.frame).into_iter().collect(),
            calls: vec![c.call_id.clone()],
            ..Evidence::default()
        },
    }
}

/// The ladder's first transmission of the final response to the INVITE, else any message with
/// that status.
fn final_response(c: &Call, status: u16) -> Option<&LadderMessage> {
    let with_status = |m: &&LadderMessage| m.status == Some(status);
    c.messages
        .iter()
        .filter(with_status)
        .find(|m| m.cseq.ends_with("INVITE") && !m.retransmission)
        .or_else(|| c.messages.iter().find(with_status))
}

/// "Busy Here" from the label "486 Busy Here (SDP)".
fn reason_from_label(label: &str, status: u16) -> Option<String> {
    let rest = label.strip_prefix(&status.to_string())?.trim();
    let rest = rest.strip_suffix("(SDP)").unwrap_or(rest).trim();
    (!rest.is_empty()).then(|| rest.to_owned())
}

/// A party as people know it: the user part (the number), else the URI, else the address.
fn party(user: &str, uri: &str, addr: Socket) -> String {
    [user, uri]
        .into_iter()
        .find(|s| !s.is_empty())
        .map_or_else(|| addr.to_string(), str::to_owned)
}

/// What a common final status means to a person (RFC 3261 §21).
fn status_meaning(status: u16) -> Option<&'static str> {
    Some(match status {
        401 | 407 => "The server asked for credentials and the call was not retried with them.",
        403 => "The server refused the call (forbidden).",
        404 => "The callee was not found.",
        408 => "No final answer came in time (request timeout).",
        480 => "The callee was temporarily unavailable (not registered or not reachable).",
        484 => "The dialled number was incomplete.",
        486 | 600 => "The callee was busy.",
        487 => "The INVITE was withdrawn before an answer (the caller hung up or a CANCEL).",
        488 | 606 => "The other side accepted none of the offered media (no codec in common).",
        500..=599 => "A server on the path failed or could not serve the call.",
        603 => "The callee declined the call.",
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::report::{CaptureSummary, Conversation, Interface, MobileNetwork, Name};
    use crate::sip::report::{Registration, SipReport};

    const PCSCF: &str = "10.200.0.1:5060";
    const UE: &str = "10.45.3.7:5060";
    const IMS_URI: &str = "sip:+15551234567@ims.mnc260.mcc310.3gppnetwork.org";

    fn judge(report: &Report, rule: fn(&Input<'_>) -> Vec<Verdict>) -> Vec<Verdict> {
        rule(&Input {
            report,
            facts: None,
        })
    }

    /// A utun capture with three REGISTERs to the P-CSCF and one INVITE, identities in the IMS
    /// domain but no IMS name in `names`.
    fn tunnel_sip() -> Report {
        let mut sip = SipReport {
            messages: 12,
            registrations: vec![Registration {
                aor: IMS_URI.into(),
                client: UE.parse().unwrap(),
                registrar: PCSCF.parse().unwrap(),
                requests: 3,
                status: Some(200),
                ..Registration::default()
            }],
            calls: vec![Call {
                call_id: "abc@10.45.3.7".into(),
                ..Call::default()
            }],
            ..SipReport::default()
        };
        sip.methods.insert("REGISTER".into(), 3);
        sip.methods.insert("INVITE".into(), 1);
        Report {
            capture: CaptureSummary {
                link_types: vec!["NULL".into()],
                interfaces: vec![Interface {
                    name: Some("utun3".into()),
                    link_type: "NULL".into(),
                    ..Interface::default()
                }],
                ..CaptureSummary::default()
            },
            conversations: vec![Conversation {
                transport: crate::report::Transport::Udp,
                a: UE.parse().unwrap(),
                b: PCSCF.parse().unwrap(),
                packets: 12,
                protocol: Some("sip".into()),
                ..Conversation::default()
            }],
            sip,
            ..Report::default()
        }
    }

    fn ims_name() -> Name {
        Name {
            addr: "10.200.0.1".parse().unwrap(),
            name: "pcscf.ims.mnc260.mcc310.3gppnetwork.org".into(),
            source: "dns".into(),
            network: Some(MobileNetwork {
                role: "ims".into(),
                mcc: "310".into(),
                mnc: "260".into(),
                operator: Some("T-Mobile".into()),
                country: Some("United States".into()),
            }),
            ..Name::default()
        }
    }

    #[test]
    fn sip_in_a_utun_capture_with_an_ims_name_is_certain_ims() {
        let mut r = tunnel_sip();
        r.names.push(ims_name());
        let v = judge(&r, sip_in_tunnel);
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.id, "sip-in-tunnel");
        assert_eq!(v.confidence, Confidence::Certain);
        assert_eq!(
            v.title,
            "IMS signalling (SIP) inside a tunnel, to P-CSCF 10.200.0.1:5060"
        );
        for words in [
            "link type NULL",
            "12 SIP messages on utun3",
            "3 REGISTERs (last answered 200)",
            "1 INVITE in 1 call",
            "the IMS of T-Mobile",
        ] {
            assert!(v.detail.contains(words), "{words:?} not in {:?}", v.detail);
        }
        assert_eq!(v.evidence.interfaces, vec!["utun3"]);
        assert_eq!(
            v.evidence.names,
            vec!["pcscf.ims.mnc260.mcc310.3gppnetwork.org"]
        );
        assert_eq!(v.evidence.calls, vec!["abc@10.45.3.7"]);
        assert_eq!(v.evidence.flows, vec!["udp 10.45.3.7:5060 10.200.0.1:5060"]);
    }

    #[test]
    fn an_ims_domain_in_the_sip_identities_also_shows_ims() {
        let v = judge(&tunnel_sip(), sip_in_tunnel);
        assert!(v[0].title.starts_with("IMS signalling"));
        assert!(v[0]
            .detail
            .contains("IMS domain ims.mnc260.mcc310.3gppnetwork.org of T-Mobile"));
        assert!(v[0].evidence.names.is_empty());
    }

    #[test]
    fn without_an_ims_name_carrier_ims_is_only_likely() {
        let mut r = tunnel_sip();
        r.sip.registrations[0].aor = "sip:alice@example.com".into();
        let v = judge(&r, sip_in_tunnel);
        assert_eq!(v[0].confidence, Confidence::Certain);
        assert_eq!(
            v[0].title,
            "SIP inside a tunnel interface, to 10.200.0.1:5060"
        );
        assert!(v[0].detail.contains("likely, not certain"));
    }

    #[test]
    fn other_links_beside_the_tunnel_make_it_likely() {
        let mut r = tunnel_sip();
        r.capture.link_types = vec!["EN10MB".into(), "NULL".into()];
        let v = judge(&r, sip_in_tunnel);
        assert_eq!(v[0].confidence, Confidence::Likely);
        assert!(v[0].certain_if.is_some());
        assert!(v[0].detail.contains("also holds EN10MB links"));
    }

    /// The same SIP on interface 1 (utun3, NULL) of a file whose interface 0 is Ethernet, with
    /// another call on the Ethernet.
    fn two_interfaces() -> Report {
        let mut r = tunnel_sip();
        r.capture.link_types = vec!["EN10MB".into(), "NULL".into()];
        r.capture.interfaces[0].index = 1;
        r.capture.interfaces.insert(
            0,
            Interface {
                index: 0,
                name: Some("en0".into()),
                link_type: "EN10MB".into(),
                ..Interface::default()
            },
        );
        r.conversations[0].interface = Some(1);
        r.conversations.push(Conversation {
            transport: crate::report::Transport::Udp,
            a: "192.168.1.20:5060".parse().unwrap(),
            b: "198.51.100.7:5060".parse().unwrap(),
            packets: 30,
            protocol: Some("sip".into()),
            interface: Some(0),
            ..Conversation::default()
        });
        r.sip.calls[0].caller_addr = UE.parse().unwrap();
        r.sip.calls[0].callee_addr = PCSCF.parse().unwrap();
        r.sip.calls.push(Call {
            call_id: "on-ethernet".into(),
            caller_addr: "192.168.1.20:5060".parse().unwrap(),
            callee_addr: "198.51.100.7:5060".parse().unwrap(),
            ..Call::default()
        });
        r
    }

    #[test]
    fn with_several_interfaces_only_the_sip_on_the_tunnel_counts_and_is_certain() {
        let r = two_interfaces();
        let v = &judge(&r, sip_in_tunnel)[0];
        assert_eq!(v.confidence, Confidence::Certain, "{v:?}");
        assert_eq!(v.evidence.calls, vec!["abc@10.45.3.7"]);
        assert_eq!(v.evidence.flows, vec!["udp 10.45.3.7:5060 10.200.0.1:5060"]);
        assert_eq!(v.evidence.interfaces, vec!["utun3"]);
        assert!(
            v.detail.contains("12 SIP messages on utun3"),
            "{}",
            v.detail
        );
        assert!(!v.detail.contains("EN10MB"), "{}", v.detail);
        // SIP on the Ethernet only: nothing inside a tunnel.
        let mut ethernet_only = two_interfaces();
        ethernet_only.conversations.remove(0);
        assert!(judge(&ethernet_only, sip_in_tunnel).is_empty());
    }

    #[test]
    fn sip_in_tunnel_is_silent_without_each_part() {
        let mut ethernet = tunnel_sip();
        ethernet.capture.link_types = vec!["EN10MB".into()];
        let mut no_sip = tunnel_sip();
        no_sip.sip.messages = 0;
        let mut loopback = tunnel_sip();
        loopback.capture.interfaces[0].name = Some("lo0".into());
        let mut local_peer = tunnel_sip();
        local_peer.sip.registrations[0].registrar = "127.0.0.1:5060".parse().unwrap();
        for r in [ethernet, no_sip, loopback, local_peer] {
            assert!(judge(&r, sip_in_tunnel).is_empty());
        }
    }

    #[test]
    fn sip_peer_falls_back_to_request_destinations_then_conversations() {
        let mut r = tunnel_sip();
        r.sip.registrations.clear();
        let request = |dst: &str| LadderMessage {
            dst: dst.parse().unwrap(),
            method: Some("INVITE".into()),
            ..LadderMessage::default()
        };
        let response = LadderMessage {
            dst: UE.parse().unwrap(),
            status: Some(200),
            ..LadderMessage::default()
        };
        r.sip.calls[0].messages = vec![
            request("10.9.9.9:5060"),
            request(PCSCF),
            response.clone(),
            response,
            request(PCSCF),
        ];
        assert_eq!(sip_peer(&r), PCSCF.parse().ok());
        r.sip.calls[0].messages.clear();
        assert_eq!(sip_peer(&r), PCSCF.parse().ok());
        r.conversations.clear();
        assert_eq!(sip_peer(&r), None);
        assert_eq!(most([("a", 1), ("b", 1)].into_iter()), Some("a"));
    }

    #[test]
    fn uri_hosts_are_read_from_sip_uris_only() {
        assert_eq!(
            uri_host("<sip:+1555@IMS.mnc260.mcc310.3gppnetwork.org;user=phone>").as_deref(),
            Some("ims.mnc260.mcc310.3gppnetwork.org")
        );
        assert_eq!(
            uri_host("sip:example.com:5060").as_deref(),
            Some("example.com")
        );
        assert_eq!(uri_host("tel:+1555"), None);
        assert_eq!(uri_host(""), None);
        assert_eq!(uri_host("sip:"), None);
    }

    fn busy_call() -> Call {
        Call {
            call_id: "c1@host".into(),
            from: "sip:alice@example.com".into(),
            to: "sip:bob@example.com".into(),
            caller: "alice".into(),
            callee: "bob".into(),
            caller_addr: "192.0.2.10:5060".parse().unwrap(),
            callee_addr: "198.51.100.20:5060".parse().unwrap(),
            transport: crate::report::Transport::Udp,
            state: CallState::Rejected,
            status: Some(486),
            reason: Some("Busy Here".into()),
            start: 2.0,
            duration: Some(3.5),
            messages: vec![
                LadderMessage {
                    frame: 10,
                    method: Some("INVITE".into()),
                    cseq: "1 INVITE".into(),
                    label: "INVITE (SDP)".into(),
                    ..LadderMessage::default()
                },
                LadderMessage {
                    frame: 14,
                    src: "198.51.100.20:5060".parse().unwrap(),
                    status: Some(486),
                    cseq: "1 INVITE".into(),
                    label: "486 Busy Here".into(),
                    ..LadderMessage::default()
                },
            ],
            ..Call::default()
        }
    }

    fn calls(calls: Vec<Call>) -> Report {
        Report {
            sip: SipReport {
                calls,
                ..SipReport::default()
            },
            ..Report::default()
        }
    }

    #[test]
    fn a_busy_call_failed_with_its_final_response() {
        let answered = Call {
            state: CallState::Answered,
            ..Call::default()
        };
        let v = judge(&calls(vec![answered, busy_call()]), call_failed);
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.id, "call-failed:1");
        assert_eq!(v.confidence, Confidence::Certain);
        assert_eq!(v.title, "Call from alice to bob failed: 486 Busy Here");
        assert!(v.detail.contains(
            "was rejected with 486 Busy Here (frame 14, from 198.51.100.20:5060), \
             3.5 s after it began"
        ));
        assert!(v.detail.contains("busy"));
        assert_eq!(v.evidence.calls, vec!["c1@host"]);
        assert_eq!(v.evidence.frames, vec![14]);
        assert_eq!(
            v.evidence.flows,
            vec!["udp 192.0.2.10:5060 198.51.100.20:5060"]
        );
    }

    #[test]
    fn the_reason_comes_from_the_ladder_when_the_call_lacks_it() {
        let mut c = busy_call();
        c.reason = None;
        c.caller.clear();
        let v = judge(&calls(vec![c]), call_failed);
        assert_eq!(
            v[0].title,
            "Call from sip:alice@example.com to bob failed: 486 Busy Here"
        );
    }

    #[test]
    fn cancelled_and_failed_calls_are_numbered_in_order() {
        let mut cancelled = busy_call();
        cancelled.state = CallState::Cancelled;
        cancelled.status = Some(487);
        cancelled.reason = Some("Request Terminated".into());
        let mut timeout = busy_call();
        timeout.state = CallState::Failed;
        timeout.status = Some(408);
        timeout.reason = None;
        timeout.messages.clear();
        let v = judge(&calls(vec![cancelled, timeout]), call_failed);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].id, "call-failed:1");
        assert_eq!(
            v[0].title,
            "Call from alice to bob was cancelled: 487 Request Terminated"
        );
        assert_eq!(v[1].id, "call-failed:2");
        assert_eq!(v[1].title, "Call from alice to bob failed: 408");
        assert!(v[1].evidence.frames.is_empty());
        assert!(v[1].detail.contains("request timeout"));
    }

    #[test]
    fn answered_and_ongoing_calls_are_not_failures() {
        let answered = Call {
            state: CallState::Answered,
            ..busy_call()
        };
        let answered = Call {
            status: None,
            ..answered
        };
        let ringing = Call {
            state: CallState::InProgress,
            status: None,
            ..busy_call()
        };
        assert!(judge(&calls(vec![answered, ringing]), call_failed).is_empty());
        assert!(judge(&Report::default(), call_failed).is_empty());
    }
}
