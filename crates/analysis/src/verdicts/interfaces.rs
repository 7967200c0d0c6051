//! The host's tunnel and cellular interfaces, from its facts: what each `ipsecN`, `utunN` and
//! `pdp_ipN` is for, its addresses and MTU, whether the default route leaves through it, and
//! which processes have sockets on it. A capture of the Wi-Fi link shows only the encrypted
//! outside of these; the facts say what lives inside.

use std::net::IpAddr;

use super::tunnels::{epdg_tunnel, epdg_words};
use super::{unique, Confidence, Evidence, Input, Verdict};
use crate::facts::parse_ip;
use crate::facts::{Facts, Interface};
use crate::report::{Name, ProcessRef};

/// The iOS and macOS telephony daemon: it brings up the carrier's IPsec tunnel for Wi-Fi calling.
const TELEPHONY_DAEMON: &str = "CommCenter";

/// What kind of interface a name or kind shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `ipsecN`: the kernel's IPsec interface.
    Ipsec,
    /// `utunN`: a user-space tunnel.
    Utun,
    /// `pdp_ipN`: a cellular data context.
    Cellular,
    /// Another interface the OS calls a tunnel.
    Tunnel,
}

/// One verdict per tunnel or cellular interface of the facts (`interface:<name>`). Likely,
/// since names are conventions; certain for an `ipsec` interface when it is the host's only one
/// and the capture has an IKE tunnel to a peer named as an operator's ePDG. Silent without facts.
pub fn interfaces(input: &Input<'_>) -> Vec<Verdict> {
    let Some(facts) = input.facts else {
        return Vec::new();
    };
    let epdg = epdg_tunnel(input.report);
    let ipsec_count = facts
        .interfaces
        .iter()
        .filter(|i| kind_of(i) == Some(Kind::Ipsec))
        .count();
    facts
        .interfaces
        .iter()
        .filter(|i| !i.name.is_empty())
        .filter_map(|i| kind_of(i).map(|k| (i, k)))
        .map(|(i, kind)| {
            let tie = epdg.filter(|_| kind == Kind::Ipsec && ipsec_count == 1);
            interface_verdict(facts, i, kind, tie)
        })
        .collect()
}

/// The kind by name first (`ipsec`, `utun`, `pdp_ip`), then by the OS's kind.
fn kind_of(i: &Interface) -> Option<Kind> {
    let name = i.name.as_str();
    if name.starts_with("ipsec") {
        Some(Kind::Ipsec)
    } else if name.starts_with("utun") {
        Some(Kind::Utun)
    } else if name.starts_with("pdp_ip") || i.kind == "cellular" {
        Some(Kind::Cellular)
    } else if i.kind == "tunnel" {
        Some(Kind::Tunnel)
    } else {
        None
    }
}

/// The verdict of one interface; `tie` is the IKE tunnel and ePDG name that explain it.
fn interface_verdict(
    facts: &Facts,
    i: &Interface,
    kind: Kind,
    tie: Option<(usize, &Name)>,
) -> Verdict {
    let (what, title_what) = match kind {
        Kind::Ipsec => (
            "an IPsec tunnel interface; on a Mac or iPhone usually the carrier's Wi-Fi calling \
             tunnel when an IKE tunnel goes to an ePDG",
            "IPsec tunnel interface",
        ),
        Kind::Utun => (
            "a user tunnel interface, used by VPNs, iCloud Private Relay and system services",
            "user tunnel interface",
        ),
        Kind::Cellular => ("the cellular data interface", "cellular data interface"),
        Kind::Tunnel => ("a tunnel interface", "tunnel interface"),
    };
    // The process holding the interface's kernel control socket made it (macOS facts).
    let owner = i.owner.as_ref().map(|o| {
        (
            o,
            ProcessRef::new(o.process.as_deref().unwrap_or("?"), o.pid),
        )
    });
    let telephony = kind == Kind::Ipsec
        && owner
            .as_ref()
            .is_some_and(|(o, _)| o.process.as_deref() == Some(TELEPHONY_DAEMON));
    let title = match (tie, &owner) {
        (Some(_), _) => format!("{}: {title_what} of the Wi-Fi calling tunnel", i.name),
        (None, _) if telephony => format!(
            "{}: {title_what} of the carrier's Wi-Fi calling tunnel",
            i.name
        ),
        (None, Some((_, label))) => format!("{}: {title_what} made by {label}", i.name),
        (None, None) => format!("{}: {title_what}", i.name),
    };
    let mut detail = format!("{} is {what}.", i.name);
    if !i.flags.is_empty() && !i.flags.iter().any(|f| f == "UP") {
        detail.push_str(" It is down.");
    }
    detail.push_str(&format!(" {}", addresses_words(i)));
    if let Some(mtu) = i.mtu {
        detail.push_str(&format!(" Its MTU is {mtu}."));
    }
    if has_default_route(facts, i) {
        detail.push_str(
            " A default route leaves through it, so traffic without a more specific route \
             goes there.",
        );
    }
    if let Some((_, label)) = &owner {
        detail.push_str(&format!(
            " It was made by {label}, the process holding its kernel control socket{}.",
            if telephony {
                " (the telephony daemon, which brings up the carrier's Wi-Fi calling tunnel)"
            } else {
                ""
            }
        ));
    }
    let mut processes = socket_owners(facts, i);
    if let Some((_, label)) = &owner {
        if !processes.contains(label) {
            processes.insert(0, label.clone());
        }
    }
    if !processes.is_empty() {
        detail.push_str(&format!(
            " Processes with sockets on its addresses: {}.",
            processes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some((t, name)) = tie {
        detail.push_str(&format!(
            " The capture's IKE tunnel {} goes to {}, {}, and this is the host's only ipsec \
             interface, so it carries that tunnel.",
            t + 1,
            name.name,
            epdg_words(name)
        ));
    }
    // Certain: the capture ties it to an ePDG tunnel, or the facts name who made it (what a
    // utun is for is its owner's business; an ipsec made by the telephony daemon is Wi-Fi
    // calling's).
    let certain = tie.is_some()
        || telephony
        || (owner.is_some() && matches!(kind, Kind::Utun | Kind::Tunnel));
    Verdict {
        id: format!("interface:{}", i.name),
        title,
        detail,
        confidence: if certain {
            Confidence::Certain
        } else {
            Confidence::Likely
        },
        certain_if: (!certain).then(|| certain_if(kind).to_owned()),
        evidence: Evidence {
            tunnels: tie.map(|(t, _)| t).into_iter().collect(),
            names: tie.map(|(_, n)| n.name.clone()).into_iter().collect(),
            interfaces: vec![i.name.clone()],
            processes,
            ..Evidence::default()
        },
    }
}

/// What would make an interface's verdict certain.
fn certain_if(kind: Kind) -> &'static str {
    match kind {
        Kind::Ipsec => {
            "an IKE tunnel in the capture to a peer named as an operator's ePDG, with this the \
             host's only ipsec interface, or facts collected on the Mac naming CommCenter as the \
             process that made it"
        }
        Kind::Utun => {
            "the process that owns the tunnel (a VPN client, networkserviceproxy for Private \
             Relay) named in the facts, or a capture of the interface itself"
        }
        Kind::Cellular | Kind::Tunnel => "a capture of the interface itself",
    }
}

/// "Addresses: 10.45.3.7/32 (private), 2607:fb90::1/64 (global)." or "It has no addresses."
fn addresses_words(i: &Interface) -> String {
    if i.addresses.is_empty() {
        return "It has no addresses.".to_owned();
    }
    let list: Vec<String> = i
        .addresses
        .iter()
        .map(|a| {
            let class = if a.class.is_empty() {
                a.addr
                    .parse::<IpAddr>()
                    .map(|ip| crate::addr::class(ip).to_owned())
                    .unwrap_or_default()
            } else {
                a.class.clone()
            };
            let peer = a
                .peer
                .as_ref()
                .map(|p| format!(", peer {p}"))
                .unwrap_or_default();
            if class.is_empty() {
                format!("{}/{}{peer}", a.addr, a.prefix)
            } else {
                format!("{}/{} ({class}{peer})", a.addr, a.prefix)
            }
        })
        .collect();
    format!("Addresses: {}.", list.join(", "))
}

/// The interface's own flag, or a default route in the routing table that leaves through it.
fn has_default_route(facts: &Facts, i: &Interface) -> bool {
    i.default_route
        || facts
            .routes
            .iter()
            .any(|r| r.default && r.interface == i.name)
}

/// The processes owning sockets bound to one of the interface's addresses, in the facts' order,
/// once each.
fn socket_owners(facts: &Facts, i: &Interface) -> Vec<ProcessRef> {
    let mine: Vec<IpAddr> = i
        .addresses
        .iter()
        .filter_map(|a| parse_ip(&a.addr))
        .collect();
    unique(facts.sockets.iter().filter_map(|s| {
        let (Some(pid), Some(name)) = (s.pid, s.process.as_deref()) else {
            return None;
        };
        parse_ip(&s.local)
            .is_some_and(|ip| mine.contains(&ip))
            .then(|| ProcessRef::new(name, pid))
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::facts::{Address, Route, Socket};
    use crate::ike::{IkeReport, TunnelReport};
    use crate::report::Report;

    fn judge(report: &Report, facts: Option<&Facts>) -> Vec<Verdict> {
        interfaces(&Input { report, facts })
    }

    fn address(addr: &str, prefix: u8, class: &str) -> Address {
        Address {
            family: if addr.contains(':') { "ipv6" } else { "ipv4" }.into(),
            addr: addr.into(),
            prefix,
            class: class.into(),
            ..Address::default()
        }
    }

    fn interface(name: &str, kind: &str, addresses: Vec<Address>) -> Interface {
        Interface {
            name: name.into(),
            kind: kind.into(),
            flags: vec!["UP".into(), "POINTOPOINT".into(), "RUNNING".into()],
            mtu: Some(1280),
            addresses,
            ..Interface::default()
        }
    }

    fn socket(local: &str, pid: u32, process: &str) -> Socket {
        Socket {
            protocol: "udp".into(),
            local: local.into(),
            pid: Some(pid),
            process: Some(process.into()),
            ..Socket::default()
        }
    }

    fn facts() -> Facts {
        Facts {
            interfaces: vec![
                interface("en0", "wifi", vec![address("192.168.1.20", 24, "private")]),
                interface(
                    "ipsec0",
                    "tunnel",
                    vec![address("2607:fb90:1:2::3", 64, "global")],
                ),
                interface("utun3", "tunnel", vec![address("10.8.0.2", 32, "")]),
                interface("pdp_ip0", "cellular", Vec::new()),
            ],
            routes: vec![Route {
                family: "ipv4".into(),
                destination: "0.0.0.0/0".into(),
                interface: "utun3".into(),
                default: true,
                ..Route::default()
            }],
            sockets: vec![
                socket("[2607:fb90:1:2::3]:5060", 88, "CommCenter"),
                socket("[2607:fb90:1:2::3]:5061", 88, "CommCenter"),
                socket("10.8.0.2:51820", 501, "WireGuard"),
                socket("192.168.1.20:4500", 88, "CommCenter"),
            ],
            ..Facts::default()
        }
    }

    fn epdg_capture() -> Report {
        Report {
            ike: IkeReport {
                tunnels: vec![TunnelReport {
                    version: 2,
                    initiator: "192.168.1.20:500".parse().unwrap(),
                    responder: "208.54.35.10:500".parse().unwrap(),
                    ..TunnelReport::default()
                }],
                ..IkeReport::default()
            },
            names: vec![crate::verdicts::fixtures::epdg_name("208.54.35.10")],
            ..Report::default()
        }
    }

    #[test]
    fn tunnel_and_cellular_interfaces_are_described_and_others_skipped() {
        let f = facts();
        let v = judge(&Report::default(), Some(&f));
        let ids: Vec<&str> = v.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(
            ids,
            ["interface:ipsec0", "interface:utun3", "interface:pdp_ip0"]
        );
        assert!(v.iter().all(|v| v.confidence == Confidence::Likely));

        let ipsec = &v[0];
        assert_eq!(ipsec.title, "ipsec0: IPsec tunnel interface");
        assert!(ipsec.detail.contains("2607:fb90:1:2::3/64 (global)"));
        assert!(ipsec.detail.contains("MTU is 1280"));
        assert!(!ipsec.detail.contains("default route"));
        assert_eq!(
            ipsec.evidence.processes,
            vec!["CommCenter (88)".parse().unwrap()]
        );
        assert!(ipsec.certain_if.as_deref().unwrap().contains("ePDG"));

        let utun = &v[1];
        assert_eq!(utun.title, "utun3: user tunnel interface");
        // The class is computed when the facts leave it empty.
        assert!(utun.detail.contains("10.8.0.2/32 (private)"));
        assert!(utun.detail.contains("A default route leaves through it"));
        assert_eq!(
            utun.evidence.processes,
            vec!["WireGuard (501)".parse().unwrap()]
        );

        let cellular = &v[2];
        assert_eq!(cellular.title, "pdp_ip0: cellular data interface");
        assert!(cellular.detail.contains("no addresses"));
        assert!(cellular.evidence.processes.is_empty());
        assert_eq!(cellular.evidence.interfaces, vec!["pdp_ip0"]);
    }

    #[test]
    fn an_ike_tunnel_to_an_epdg_makes_the_only_ipsec_interface_certain() {
        let f = facts();
        let v = judge(&epdg_capture(), Some(&f));
        let ipsec = &v[0];
        assert_eq!(ipsec.confidence, Confidence::Certain);
        assert_eq!(ipsec.certain_if, None);
        assert_eq!(
            ipsec.title,
            "ipsec0: IPsec tunnel interface of the Wi-Fi calling tunnel"
        );
        assert!(ipsec
            .detail
            .contains("IKE tunnel 1 goes to epdg.epc.mnc260.mcc310.pub.3gppnetwork.org"));
        assert!(ipsec.detail.contains("T-Mobile"));
        assert_eq!(ipsec.evidence.tunnels, vec![0]);
        assert_eq!(
            ipsec.evidence.names,
            vec!["epdg.epc.mnc260.mcc310.pub.3gppnetwork.org"]
        );
        // The tie is about ipsec interfaces only.
        assert_eq!(v[1].confidence, Confidence::Likely);
    }

    #[test]
    fn two_ipsec_interfaces_leave_the_tie_open() {
        let mut f = facts();
        f.interfaces.push(interface("ipsec1", "tunnel", Vec::new()));
        let v = judge(&epdg_capture(), Some(&f));
        assert!(v
            .iter()
            .filter(|v| v.id.starts_with("interface:ipsec"))
            .all(|v| v.confidence == Confidence::Likely));
    }

    #[test]
    fn a_down_interface_says_so() {
        let mut f = facts();
        f.interfaces[3].flags = vec!["POINTOPOINT".into()];
        let v = judge(&Report::default(), Some(&f));
        assert!(v[2].detail.contains("It is down."));
        assert!(!v[0].detail.contains("down"));
    }

    #[test]
    fn silent_without_facts_or_without_such_interfaces() {
        assert!(judge(&epdg_capture(), None).is_empty());
        let only_wifi = Facts {
            interfaces: vec![interface("en0", "wifi", Vec::new())],
            ..Facts::default()
        };
        assert!(judge(&epdg_capture(), Some(&only_wifi)).is_empty());
        let unnamed = Facts {
            interfaces: vec![interface("", "tunnel", Vec::new())],
            ..Facts::default()
        };
        assert!(judge(&Report::default(), Some(&unnamed)).is_empty());
    }

    /// macOS facts name who made a tunnel: CommCenter's ipsec0 is the Wi-Fi calling tunnel
    /// (certain, without a capture), and a utun made by a VPN client says so.
    #[test]
    fn an_owner_named_by_the_facts_makes_it_certain() {
        let mut f = facts();
        f.interfaces[1].owner = Some(crate::facts::Holder {
            pid: 88,
            process: Some("CommCenter".into()),
            command: None,
        });
        f.interfaces[2].owner = Some(crate::facts::Holder {
            pid: 501,
            process: Some("WireGuard".into()),
            command: None,
        });
        let v = judge(&Report::default(), Some(&f));
        assert_eq!(
            v[0].title,
            "ipsec0: IPsec tunnel interface of the carrier's Wi-Fi calling tunnel"
        );
        assert_eq!(v[0].confidence, Confidence::Certain);
        assert!(v[0]
            .detail
            .contains("made by CommCenter (88), the process holding its kernel control socket"));
        assert_eq!(
            v[1].title,
            "utun3: user tunnel interface made by WireGuard (501)"
        );
        assert_eq!(v[1].confidence, Confidence::Certain);
        assert_eq!(v[1].certain_if, None);
        // Another owner of an ipsec interface does not say what it is for.
        f.interfaces[1].owner.as_mut().unwrap().process = Some("racoon".into());
        let v = judge(&Report::default(), Some(&f));
        assert_eq!(v[0].confidence, Confidence::Likely);
        assert_eq!(
            v[0].title,
            "ipsec0: IPsec tunnel interface made by racoon (88)"
        );
    }
}
