//! The report's `names`: what the analyzers learned (DNS answers, TLS server names and
//! certificates) merged with port hints, 3GPP names decoded to their operator, and each address's
//! best name put on its endpoint and conversations.

use std::net::IpAddr;

use super::{ports, threegpp};
use crate::addr::Socket;
use crate::protocols::{NameSeen, NameSource};
use crate::report::{MobileNetwork, Name, Report};
use crate::time::secs_between;
use crate::{FastMap, FastSet};

/// Names kept in the report in all.
pub const MAX_NAMES: usize = 32_768;

/// Fills `report.names`, `endpoints[].name`, `conversations[].{a_name, b_name, service}` from
/// the names the analyzers saw (a TLS conversation's responder is named by its own server name);
/// returns how many were not kept.
pub fn attach(report: &mut Report, mut seen: Vec<NameSeen>, start_ns: i64) -> u64 {
    add_port_hints(report, &mut seen);
    crate::order::sort_by(&mut seen, |a, b| {
        (a.addr, a.source, a.ts_ns, &a.name).cmp(&(b.addr, b.source, b.ts_ns, &b.name))
    });
    seen.dedup_by(|later, first| {
        later.addr == first.addr
            && later.source == first.source
            && later.name.eq_ignore_ascii_case(&first.name)
    });
    let dropped = seen.len().saturating_sub(MAX_NAMES) as u64;
    seen.truncate(MAX_NAMES);

    // The best name of each address: DNS, then TLS server name, certificate, port hint; the
    // earliest of a kind (the list is sorted that way).
    let mut best: FastMap<IpAddr, &str> = FastMap::default();
    for s in &seen {
        best.entry(s.addr).or_insert(&s.name);
    }
    for e in &mut report.endpoints {
        e.name = best.get(&e.addr.0).map(|n| (*n).to_owned());
    }
    let name_of = |side: &Socket| best.get(&side.ip()).map(|n| (*n).to_owned());
    // A TLS connection names its own server (several names may share one address).
    let sni: FastMap<(Socket, Socket), &str> = report
        .tls
        .sessions
        .iter()
        .filter_map(|s| Some(((s.client, s.server), s.sni.as_deref()?)))
        .collect();
    let mut conversations = std::mem::take(&mut report.conversations);
    for c in &mut conversations {
        c.a_name = name_of(&c.a);
        c.b_name = sni
            .get(&(c.a, c.b))
            .map(|n| (*n).to_owned())
            .or_else(|| name_of(&c.b));
    }
    report.conversations = conversations;

    report.names = seen
        .iter()
        .map(|s| Name {
            addr: s.addr.into(),
            name: s.name.clone(),
            source: s.source.as_str().to_owned(),
            chain: s.chain.clone(),
            first: if s.source == NameSource::Port {
                0.0
            } else {
                secs_between(start_ns, s.ts_ns)
            },
            frame: s.frame,
            network: network(&s.name, &s.chain),
        })
        .collect();
    dropped
}

/// Port hints: each conversation's service, and a name for the address on the service side
/// (once per address and service: the copies would be merged after sorting anyway; the bench
/// file's 13,150 conversations, one hint each, made the sort a quarter of this step's work).
fn add_port_hints(report: &mut Report, seen: &mut Vec<NameSeen>) {
    let mut hinted: FastSet<(IpAddr, &'static str)> = FastSet::default();
    for c in &mut report.conversations {
        let (a, b) = (c.a.0, c.b.0);
        let Some((responder, service)) =
            ports::conversation_service(c.transport, a.port(), b.port())
        else {
            continue;
        };
        c.service = Some(service.to_owned());
        let side = if responder { b } else { a };
        if !hinted.insert((side.ip(), service)) {
            continue;
        }
        seen.push(NameSeen {
            addr: side.ip(),
            name: service.to_owned(),
            source: NameSource::Port,
            chain: Vec::new(),
            ts_ns: 0,
            frame: 0,
        });
    }
}

/// The mobile network a name or any name of its CNAME chain belongs to.
fn network(name: &str, chain: &[String]) -> Option<MobileNetwork> {
    std::iter::once(name)
        .chain(chain.iter().map(String::as_str))
        .find_map(threegpp::operator_of)
        .map(|c| MobileNetwork {
            role: role_name(c.role).to_owned(),
            mcc: c.mcc,
            mnc: c.mnc,
            operator: c.name.map(str::to_owned),
            country: c.country.map(str::to_owned),
        })
}

/// How the report spells a role.
pub fn role_name(role: threegpp::Role) -> &'static str {
    match role {
        threegpp::Role::Epdg => "epdg",
        threegpp::Role::EpdgEmergency => "epdg-sos",
        threegpp::Role::EpdgVariant => "epdg",
        threegpp::Role::Ims => "ims",
        threegpp::Role::Nai => "nai",
        threegpp::Role::Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Conversation, Endpoint};

    fn seen(addr: &str, name: &str, source: NameSource, ts_ns: i64) -> NameSeen {
        NameSeen {
            addr: addr.parse().unwrap(),
            name: name.into(),
            source,
            chain: Vec::new(),
            ts_ns,
            frame: 7,
        }
    }

    fn report() -> Report {
        Report {
            endpoints: vec![
                Endpoint {
                    addr: "192.0.2.1".parse().unwrap(),
                    ..Endpoint::default()
                },
                Endpoint {
                    addr: "198.51.100.9".parse().unwrap(),
                    ..Endpoint::default()
                },
            ],
            conversations: vec![Conversation {
                transport: crate::report::Transport::Udp,
                a: "192.0.2.1:4500".parse().unwrap(),
                b: "198.51.100.9:4500".parse().unwrap(),
                ..Conversation::default()
            }],
            ..Report::default()
        }
    }

    #[test]
    fn dns_names_beat_tls_and_port_hints_and_decode_their_operator() {
        let mut r = report();
        let names = vec![
            seen(
                "198.51.100.9",
                "server.example",
                NameSource::Sni,
                2_000_000_000,
            ),
            seen(
                "198.51.100.9",
                "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org",
                NameSource::Dns,
                3_000_000_000,
            ),
            seen(
                "198.51.100.9",
                "EPDG.epc.mnc260.mcc310.pub.3gppnetwork.org",
                NameSource::Dns,
                4_000_000_000,
            ),
        ];
        assert_eq!(attach(&mut r, names, 1_000_000_000), 0);
        assert_eq!(
            r.endpoints[1].name.as_deref(),
            Some("epdg.epc.mnc260.mcc310.pub.3gppnetwork.org")
        );
        assert_eq!(r.conversations[0].b_name, r.endpoints[1].name);
        assert_eq!(
            r.conversations[0].service.as_deref(),
            Some("IKE NAT-T / ESP in UDP")
        );
        // dns (once: the same name in another case is the same), sni, port.
        let sources: Vec<_> = r.names.iter().map(|n| n.source.as_str()).collect();
        assert_eq!(sources, ["dns", "sni", "port"]);
        assert_eq!(r.names[0].first, 2.0);
        let net = r.names[0].network.as_ref().unwrap();
        assert_eq!(
            (net.role.as_str(), net.mcc.as_str(), net.mnc.as_str()),
            ("epdg", "310", "260")
        );
        assert!(net.operator.as_deref().unwrap().contains("T-Mobile"));
        // The initiator's side gets no hint: its port says nothing about it.
        assert_eq!(r.endpoints[0].name, None);
    }

    #[test]
    fn names_beyond_the_bound_are_counted() {
        let mut r = Report::default();
        let names = (0..MAX_NAMES as u32 + 5)
            .map(|i| {
                seen(
                    &std::net::Ipv4Addr::from(i).to_string(),
                    "x",
                    NameSource::Dns,
                    0,
                )
            })
            .collect();
        assert_eq!(attach(&mut r, names, 0), 5);
        assert_eq!(r.names.len(), MAX_NAMES);
    }
}
