//! IKE/IPsec tunnels: what each IKE SA was (who started it, NAT traversal, its life, the ESP it
//! carried), and which of them are Wi-Fi calling: IKEv2 to an operator's ePDG (3GPP TS 24.302),
//! floated to UDP 4500 behind a NAT with ESP in UDP (RFC 3948), the way iPhones and Macs reach
//! their carrier's IMS over Wi-Fi.

use super::{
    class_of, count, flow, host, names_of, numbered, process_of, secs, Confidence, Evidence, Input,
    Verdict,
};
use crate::ike::{EspEncap, NatReport, TunnelReport, TunnelState};
use crate::report::{Name, ProcessRef, Report, Transport};

/// Gaps between NAT keepalives that Wi-Fi calling clients use (seconds, inclusive).
const KEEPALIVE_GAP: (f64, f64) = (20.0, 30.0);

/// What would make an unnamed Wi-Fi calling peer certain.
const EPDG_NAME_NEEDED: &str = "a DNS answer naming the peer as an operator's ePDG \
     (epdg.epc.mnc….mcc….pub.3gppnetwork.org)";

/// One verdict per IKE SA: version, initiator → responder, NAT traversal, life and ESP. It is
/// always certain: every part is read from the tunnel's own messages.
pub fn ipsec_tunnel(input: &Input<'_>) -> Vec<Verdict> {
    let report = input.report;
    report
        .ike
        .tunnels
        .iter()
        .enumerate()
        .enumerate()
        .map(|(n, (i, t))| Verdict {
            id: format!("ipsec-tunnel:{}", n + 1),
            title: format!(
                "IPsec tunnel ({}) {} → {}",
                version_name(t.version),
                host(t.initiator),
                host(t.responder)
            ),
            detail: tunnel_detail(t),
            confidence: Confidence::Certain,
            certain_if: None,
            evidence: tunnel_evidence(report, i, t),
        })
        .collect()
}

/// One verdict per IKEv2 tunnel that looks like Wi-Fi calling (see the module docs): certain
/// when a name ties the responder to an operator's ePDG, likely when the responder is an unnamed
/// global address, silent otherwise.
pub fn wifi_calling(input: &Input<'_>) -> Vec<Verdict> {
    let report = input.report;
    let verdicts = report
        .ike
        .tunnels
        .iter()
        .enumerate()
        .filter(|(_, t)| shaped_like_wifi_calling(t))
        .filter_map(|(i, t)| wifi_calling_one(report, i, t));
    numbered("wifi-calling", verdicts)
}

/// IKEv2, started on UDP 500 and floated to 4500 with NAT detection, then ESP in UDP: the shape
/// of a Wi-Fi calling tunnel, whoever the peer is.
fn shaped_like_wifi_calling(t: &TunnelReport) -> bool {
    t.version == 2
        && t.floated.is_some()
        && (t.nat.is_some() || t.nat_detected)
        && udp_esp_packets(t) > 0
}

/// ESP packets the tunnel carried in UDP.
fn udp_esp_packets(t: &TunnelReport) -> u64 {
    t.esp
        .iter()
        .filter(|e| e.encap == EspEncap::Udp)
        .map(|e| e.packets)
        .sum()
}

/// The Wi-Fi calling verdict of one tunnel already shaped like one, if its peer fits.
fn wifi_calling_one(report: &Report, i: usize, t: &TunnelReport) -> Option<Verdict> {
    let epdg = epdg_name(report, t);
    let unnamed_global = class_of(report, t.responder.host()) == "global"
        && !responder_names(report, t).any(|n| n.source != "port");
    if epdg.is_none() && !unnamed_global {
        return None;
    }
    let process = tunnel_process(report, t);
    let commcenter = process.filter(|p| p.name.contains("CommCenter"));
    let keepalive_gap = keepalive_gap(&t.keepalive_times)
        .filter(|g| (KEEPALIVE_GAP.0..=KEEPALIVE_GAP.1).contains(g));

    let mut detail = format!(
        "An IKEv2 tunnel from {} to {} started on UDP 500 and moved to UDP 4500{} after NAT \
         detection{}, then carried ESP in UDP: {}. That is how a phone or Mac reaches its \
         carrier's ePDG for Wi-Fi calling.",
        t.initiator,
        t.responder,
        t.floated
            .as_ref()
            .map(|f| format!(" at {}", secs(f.time)))
            .unwrap_or_default(),
        t.nat
            .as_ref()
            .and_then(nat_words)
            .map(|w| format!(" ({w})"))
            .unwrap_or_default(),
        esp_words(t),
    );
    match epdg {
        Some(name) => detail.push_str(&format!(
            " {} named the peer {}, {}.",
            source_words(&name.source),
            name.name,
            epdg_words(name)
        )),
        None => detail.push_str(&format!(
            " No name ties the peer to an operator; its address {} is global, which fits a \
             carrier's ePDG but also any IPsec VPN.",
            host(t.responder)
        )),
    }
    if let Some(p) = commcenter {
        detail.push_str(&format!(
            " The flow belongs to {p}, the telephony daemon that runs Wi-Fi calling."
        ));
    }
    if let Some(gap) = keepalive_gap {
        detail.push_str(&format!(
            " NAT keepalives came about every {} ({} in all), as Wi-Fi calling clients send them.",
            secs(gap),
            t.keepalives
        ));
    }

    let mut evidence = tunnel_evidence(report, i, t);
    evidence.names = epdg.map(|n| vec![n.name.clone()]).unwrap_or_default();
    Some(Verdict {
        id: String::new(),
        title: match epdg {
            Some(name) => wifi_calling_title(name),
            None => format!(
                "Wi-Fi calling tunnel to {} (no ePDG name seen)",
                host(t.responder)
            ),
        },
        detail,
        confidence: if epdg.is_some() {
            Confidence::Certain
        } else {
            Confidence::Likely
        },
        certain_if: epdg.is_none().then(|| EPDG_NAME_NEEDED.to_owned()),
        evidence,
    })
}

/// The first IKE tunnel of the capture whose responder a name calls an operator's ePDG, with
/// that name: what ties a host's `ipsec` interface to Wi-Fi calling.
pub(super) fn epdg_tunnel(report: &Report) -> Option<(usize, &Name)> {
    report
        .ike
        .tunnels
        .iter()
        .enumerate()
        .find_map(|(i, t)| epdg_name(report, t).map(|n| (i, n)))
}

/// The names of the responder, before and after the float.
fn responder_names<'a>(report: &'a Report, t: &'a TunnelReport) -> impl Iterator<Item = &'a Name> {
    let floated = t.floated.as_ref().map(|f| f.responder);
    std::iter::once(t.responder)
        .chain(floated)
        .flat_map(move |addr| names_of(report, addr.host()))
}

/// The first name that calls the responder (before or after the float) an operator's ePDG.
fn epdg_name<'a>(report: &'a Report, t: &'a TunnelReport) -> Option<&'a Name> {
    responder_names(report, t).find(|n| {
        n.network
            .as_ref()
            .is_some_and(|net| net.role.starts_with("epdg"))
    })
}

/// "Wi-Fi calling tunnel to T-Mobile US (United States)", from an ePDG name's network.
fn wifi_calling_title(name: &Name) -> String {
    let Some(net) = name.network.as_ref() else {
        return format!("Wi-Fi calling tunnel to {}", name.name);
    };
    let kind = if net.role == "epdg-sos" {
        "Emergency Wi-Fi calling tunnel"
    } else {
        "Wi-Fi calling tunnel"
    };
    let operator = net
        .operator
        .clone()
        .unwrap_or_else(|| format!("MCC {} MNC {}", net.mcc, net.mnc));
    match &net.country {
        Some(country) => format!("{kind} to {operator} ({country})"),
        None => format!("{kind} to {operator}"),
    }
}

/// "the ePDG of T-Mobile US in United States (MCC 310, MNC 260)".
pub(super) fn epdg_words(name: &Name) -> String {
    let Some(net) = name.network.as_ref() else {
        return "an ePDG".to_owned();
    };
    let what = if net.role == "epdg-sos" {
        "the emergency ePDG"
    } else {
        "the ePDG"
    };
    let operator = net
        .operator
        .as_ref()
        .map(|o| format!(" of {o}"))
        .unwrap_or_default();
    let country = net
        .country
        .as_ref()
        .map(|c| format!(" in {c}"))
        .unwrap_or_default();
    format!(
        "{what}{operator}{country} (MCC {}, MNC {})",
        net.mcc, net.mnc
    )
}

/// How a name was learned, to start a sentence.
fn source_words(source: &str) -> &'static str {
    match source {
        "dns" => "DNS",
        "sni" => "The TLS server name",
        "cert" => "A TLS certificate",
        _ => "A name",
    }
}

/// The typical gap between keepalives (the median), when at least two gaps were seen.
fn keepalive_gap(times: &[f64]) -> Option<f64> {
    let mut gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    if gaps.len() < 2 {
        return None;
    }
    crate::order::sort_by(&mut gaps, f64::total_cmp);
    gaps.get(gaps.len() / 2).copied()
}

/// `IKEv2`, `IKEv1`, or `IKE` for a version the report does not know.
fn version_name(version: u8) -> String {
    match version {
        1 | 2 => format!("IKEv{version}"),
        _ => "IKE".to_owned(),
    }
}

/// The paragraph of an IPsec tunnel verdict.
fn tunnel_detail(t: &TunnelReport) -> String {
    let mut parts = vec![format!(
        "{} started {} with {}.",
        t.initiator,
        version_name(t.version),
        t.responder
    )];
    parts.push(nat_traversal_words(t));
    parts.push(life_words(t));
    parts.push(if t.esp.is_empty() {
        "No ESP was captured for it.".to_owned()
    } else {
        format!("ESP: {}.", esp_words(t))
    });
    parts.retain(|p| !p.is_empty());
    parts.join(" ")
}

/// Whether and how the tunnel moved into UDP encapsulation, and who is behind a NAT.
fn nat_traversal_words(t: &TunnelReport) -> String {
    let mut s = match (&t.floated, t.nat_t) {
        (Some(f), _) => format!(
            "It moved to UDP 4500 at {} (frame {}), continuing as {} → {}.",
            secs(f.time),
            f.frame,
            f.initiator,
            f.responder
        ),
        (None, true) => "It ran in UDP encapsulation (NAT traversal).".to_owned(),
        (None, false) => "It did not use NAT traversal.".to_owned(),
    };
    if let Some(nat) = &t.nat {
        match nat_words(nat) {
            Some(words) => s.push_str(&format!(" NAT detection says {words}.")),
            None => s.push_str(" NAT detection found no NAT."),
        }
    }
    s
}

/// Which side NAT detection found behind a NAT, in words; None when it found none.
fn nat_words(nat: &NatReport) -> Option<&'static str> {
    match (nat.initiator_behind_nat, nat.responder_behind_nat) {
        (true, true) => Some("both sides are behind a NAT"),
        (true, false) => Some("the initiator is behind a NAT"),
        (false, true) => Some("the responder is behind a NAT"),
        (false, false) if nat.mismatched > 0 => Some("a NAT hash did not match"),
        (false, false) => None,
    }
}

/// When it came up, how long it lived and how it ended.
fn life_words(t: &TunnelReport) -> String {
    let phase = if t.version == 1 {
        "phase 1"
    } else {
        "IKE_SA_INIT to IKE_AUTH"
    };
    let up = t
        .established_ms
        .map(|ms| format!(" ({phase} took {ms:.0} ms)"))
        .unwrap_or_default();
    let ending = match t.state {
        TunnelState::Established => "was still up at its last packet".to_owned(),
        TunnelState::Deleted => {
            format!("was deleted ({})", count(t.deletes.len() as u64, "delete"))
        }
        TunnelState::Failed if t.errors.is_empty() => "failed".to_owned(),
        TunnelState::Failed => format!("failed ({})", t.errors.join(", ")),
        TunnelState::Negotiating => "never finished negotiating".to_owned(),
    };
    let rekeys = if t.rekeys > 0 {
        format!(", with {}", count(t.rekeys, "rekey"))
    } else {
        String::new()
    };
    let mut s = format!(
        "It began at {}{up} and lasted {} in the capture{rekeys}",
        secs(t.start),
        secs((t.end - t.start).max(0.0))
    );
    if !ending.is_empty() {
        s.push_str(&format!("; it {ending}"));
    }
    s.push('.');
    s
}

/// ESP packets and bytes per direction: "1200 packets (180000 bytes) initiator → responder,
/// 1100 packets (150000 bytes) back".
fn esp_words(t: &TunnelReport) -> String {
    let initiator = [
        Some(t.initiator.host()),
        t.floated.as_ref().map(|f| f.initiator.host()),
    ];
    let (mut out, mut back) = ((0u64, 0u64), (0u64, 0u64));
    for e in &t.esp {
        let from_initiator = initiator.contains(&Some(e.src.host()));
        let side = if from_initiator { &mut out } else { &mut back };
        side.0 += e.packets;
        side.1 += e.bytes;
    }
    format!(
        "{} ({}) initiator → responder, {} ({}) back",
        count(out.0, "packet"),
        count(out.1, "byte"),
        count(back.0, "packet"),
        count(back.1, "byte")
    )
}

/// The flows (before and after the float), frames (first message, float, deletes) and process
/// of a tunnel.
fn tunnel_evidence(report: &Report, i: usize, t: &TunnelReport) -> Evidence {
    let mut flows = vec![flow("udp", t.initiator, t.responder)];
    let mut frames: Vec<u64> = t
        .exchanges
        .first()
        .and_then(|x| x.frames.first())
        .copied()
        .into_iter()
        .collect();
    if let Some(f) = &t.floated {
        flows.push(flow("udp", f.initiator, f.responder));
        frames.push(f.frame);
    }
    frames.extend(t.deletes.iter().map(|d| d.frame));
    frames.retain(|&f| f > 0);
    crate::order::sort_by(&mut frames, Ord::cmp);
    frames.dedup();
    Evidence {
        flows,
        frames,
        tunnels: vec![i],
        processes: tunnel_process(report, t)
            .map(|p| vec![p.clone()])
            .unwrap_or_default(),
        ..Evidence::default()
    }
}

/// The process owning the tunnel's flow, before or after the float.
fn tunnel_process<'a>(report: &'a Report, t: &TunnelReport) -> Option<&'a ProcessRef> {
    process_of(report, Transport::Udp, t.initiator, t.responder).or_else(|| {
        t.floated
            .as_ref()
            .and_then(|f| process_of(report, Transport::Udp, f.initiator, f.responder))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ike::{DeleteReport, EspReport, ExchangeReport, FloatReport, IkeReport};
    use crate::report::{Conversation, Endpoint};
    use crate::verdicts::fixtures::epdg_name;

    const PHONE: &str = "192.168.1.20:500";
    const PHONE_4500: &str = "192.168.1.20:4500";
    const EPDG: &str = "208.54.35.10:500";
    const EPDG_4500: &str = "208.54.35.10:4500";

    fn esp(src: &str, dst: &str, packets: u64, encap: EspEncap) -> EspReport {
        EspReport {
            spi: "0x0000abcd".into(),
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            packets,
            bytes: packets * 150,
            encap,
            ..EspReport::default()
        }
    }

    /// An IKEv2 tunnel from a phone behind a home NAT to a global peer, floated to 4500 and
    /// carrying ESP in UDP both ways.
    fn wifi_tunnel() -> TunnelReport {
        TunnelReport {
            version: 2,
            initiator: PHONE.parse().unwrap(),
            responder: EPDG.parse().unwrap(),
            nat_t: true,
            nat_detected: true,
            nat: Some(NatReport {
                initiator_behind_nat: true,
                checked: 2,
                mismatched: 1,
                ..NatReport::default()
            }),
            floated: Some(FloatReport {
                initiator: PHONE_4500.parse().unwrap(),
                responder: EPDG_4500.parse().unwrap(),
                frame: 5,
                time: 0.4,
            }),
            start: 1.0,
            end: 121.0,
            established_ms: Some(312.0),
            state: TunnelState::Deleted,
            deletes: vec![DeleteReport {
                frame: 900,
                message_id: 7,
                what: "IKE_SA".into(),
            }],
            exchanges: vec![ExchangeReport {
                kind: "IKE_SA_INIT".into(),
                frames: vec![1, 2],
                ..ExchangeReport::default()
            }],
            esp: vec![
                esp(PHONE_4500, EPDG_4500, 1200, EspEncap::Udp),
                esp(EPDG_4500, PHONE_4500, 1100, EspEncap::Udp),
            ],
            ..TunnelReport::default()
        }
    }

    fn report(tunnel: TunnelReport) -> Report {
        Report {
            ike: IkeReport {
                tunnels: vec![tunnel],
                ..IkeReport::default()
            },
            endpoints: vec![
                Endpoint {
                    addr: "192.168.1.20".parse().unwrap(),
                    class: "private".into(),
                    ..Endpoint::default()
                },
                Endpoint {
                    addr: "208.54.35.10".parse().unwrap(),
                    class: "global".into(),
                    ..Endpoint::default()
                },
            ],
            ..Report::default()
        }
    }

    fn judge(report: &Report, rule: fn(&Input<'_>) -> Vec<Verdict>) -> Vec<Verdict> {
        rule(&Input {
            report,
            facts: None,
        })
    }

    #[test]
    fn ipsec_tunnel_tells_who_nat_life_and_esp() {
        let v = judge(&report(wifi_tunnel()), ipsec_tunnel);
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.id, "ipsec-tunnel:1");
        assert_eq!(v.confidence, Confidence::Certain);
        assert_eq!(v.title, "IPsec tunnel (IKEv2) 192.168.1.20 → 208.54.35.10");
        for words in [
            "192.168.1.20:500 started IKEv2 with 208.54.35.10:500",
            "moved to UDP 4500 at 0.4 s (frame 5)",
            "the initiator is behind a NAT",
            "took 312 ms",
            "lasted 120.0 s",
            "was deleted (1 delete)",
            "1200 packets (180000 bytes) initiator → responder",
            "1100 packets (165000 bytes) back",
        ] {
            assert!(v.detail.contains(words), "{words:?} not in {:?}", v.detail);
        }
        assert_eq!(v.evidence.tunnels, vec![0]);
        assert_eq!(
            v.evidence.flows,
            vec![
                "udp 192.168.1.20:500 208.54.35.10:500",
                "udp 192.168.1.20:4500 208.54.35.10:4500"
            ]
        );
        assert_eq!(v.evidence.frames, vec![1, 5, 900]);
    }

    #[test]
    fn ipsec_tunnel_speaks_for_ikev1_without_esp() {
        let r = report(TunnelReport {
            version: 1,
            initiator: "10.0.0.1:500".parse().unwrap(),
            responder: "10.0.0.2:500".parse().unwrap(),
            state: TunnelState::Negotiating,
            ..TunnelReport::default()
        });
        let v = judge(&r, ipsec_tunnel);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].title, "IPsec tunnel (IKEv1) 10.0.0.1 → 10.0.0.2");
        assert!(v[0].detail.contains("did not use NAT traversal"));
        assert!(v[0].detail.contains("never finished negotiating"));
        assert!(v[0].detail.contains("No ESP was captured"));
        assert!(judge(&Report::default(), ipsec_tunnel).is_empty());
    }

    #[test]
    fn epdg_name_makes_wifi_calling_certain() {
        let mut r = report(wifi_tunnel());
        r.names.push(epdg_name("208.54.35.10"));
        let v = judge(&r, wifi_calling);
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.id, "wifi-calling:1");
        assert_eq!(v.confidence, Confidence::Certain);
        assert_eq!(v.certain_if, None);
        assert_eq!(v.title, "Wi-Fi calling tunnel to T-Mobile (United States)");
        assert!(v
            .detail
            .contains("ePDG of T-Mobile in United States (MCC 310, MNC 260)"));
        assert!(v.detail.contains("1200 packets"));
        assert_eq!(
            v.evidence.names,
            vec!["epdg.epc.mnc260.mcc310.pub.3gppnetwork.org"]
        );
        assert_eq!(v.evidence.tunnels, vec![0]);
    }

    #[test]
    fn unnamed_global_peer_is_likely_and_says_what_would_make_it_certain() {
        let v = judge(&report(wifi_tunnel()), wifi_calling);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].confidence, Confidence::Likely);
        assert_eq!(
            v[0].title,
            "Wi-Fi calling tunnel to 208.54.35.10 (no ePDG name seen)"
        );
        assert!(v[0].certain_if.as_deref().unwrap().contains("ePDG"));
        assert!(v[0].evidence.names.is_empty());
    }

    #[test]
    fn commcenter_and_keepalives_strengthen_but_do_not_make_certain() {
        let mut t = wifi_tunnel();
        t.keepalives = 4;
        t.keepalive_times = vec![10.0, 30.0, 50.5, 70.0];
        let mut r = report(t);
        r.conversations.push(Conversation {
            transport: crate::report::Transport::Udp,
            a: PHONE_4500.parse().unwrap(),
            b: EPDG_4500.parse().unwrap(),
            process: Some("CommCenter (88)".parse().unwrap()),
            ..Conversation::default()
        });
        let v = judge(&r, wifi_calling);
        assert_eq!(v[0].confidence, Confidence::Likely);
        assert!(v[0].detail.contains("belongs to CommCenter (88)"));
        assert!(v[0].detail.contains("about every 20.0 s (4 in all)"));
        assert_eq!(
            v[0].evidence.processes,
            vec!["CommCenter (88)".parse().unwrap()]
        );
    }

    #[test]
    fn keepalives_far_apart_are_not_mentioned() {
        let mut t = wifi_tunnel();
        t.keepalive_times = vec![0.0, 90.0, 180.0];
        let v = judge(&report(t), wifi_calling);
        assert!(!v[0].detail.contains("keepalives"));
    }

    #[test]
    fn wifi_calling_is_silent_without_each_part() {
        let named = |t: TunnelReport| {
            let mut r = report(t);
            r.names.push(epdg_name("208.54.35.10"));
            r
        };
        assert_eq!(judge(&named(wifi_tunnel()), wifi_calling).len(), 1);

        let mut ikev1 = wifi_tunnel();
        ikev1.version = 1;
        let mut no_float = wifi_tunnel();
        no_float.floated = None;
        let mut no_udp_esp = wifi_tunnel();
        for e in &mut no_udp_esp.esp {
            e.encap = EspEncap::Ip;
        }
        let mut no_esp = wifi_tunnel();
        no_esp.esp.clear();
        let mut no_nat_detection = wifi_tunnel();
        no_nat_detection.nat = None;
        no_nat_detection.nat_detected = false;
        for t in [ikev1, no_float, no_udp_esp, no_esp, no_nat_detection] {
            let r = named(t);
            assert!(judge(&r, wifi_calling).is_empty());
            // The tunnel is still an IPsec tunnel.
            assert_eq!(judge(&r, ipsec_tunnel).len(), 1);
        }
    }

    #[test]
    fn a_global_peer_named_otherwise_is_silent_but_a_port_hint_is_no_name() {
        let named = |name: &str, source: &str| {
            let mut r = report(wifi_tunnel());
            r.names.push(Name {
                addr: "208.54.35.10".parse().unwrap(),
                name: name.into(),
                source: source.into(),
                ..Name::default()
            });
            r
        };
        assert!(judge(&named("vpn.example.com", "dns"), wifi_calling).is_empty());
        let v = judge(&named("IKE NAT-T", "port"), wifi_calling);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].confidence, Confidence::Likely);
    }

    #[test]
    fn unnamed_private_peer_is_silent() {
        let mut t = wifi_tunnel();
        t.responder = "10.1.1.1:500".parse().unwrap();
        if let Some(f) = &mut t.floated {
            f.responder = "10.1.1.1:4500".parse().unwrap();
        }
        assert!(judge(&report(t), wifi_calling).is_empty());
    }

    #[test]
    fn a_name_without_an_epdg_role_does_not_count() {
        let mut r = report(wifi_tunnel());
        r.endpoints[1].class = "documentation".into();
        let mut ims = epdg_name("208.54.35.10");
        if let Some(net) = &mut ims.network {
            net.role = "ims".into();
        }
        r.names.push(ims);
        assert!(judge(&r, wifi_calling).is_empty());
    }

    #[test]
    fn keepalive_gap_is_the_median_of_at_least_two_gaps() {
        assert_eq!(keepalive_gap(&[0.0, 20.0]), None);
        assert_eq!(keepalive_gap(&[0.0, 20.0, 45.0, 65.0]), Some(20.0));
        assert_eq!(keepalive_gap(&[0.0, 20.0, 45.0]), Some(25.0));
    }
}
