//! Attribution of a report's flows to the processes that owned their sockets, from host facts
//! (`facts.json`; the model is `callscope-facts`, re-exported here).
//!
//! A capture rarely says which process sent a packet (only macOS PKTAP/pcapng captures do), so
//! [`attribute`] joins a finished [`Report`] with the facts' sockets by transport and local
//! address and port. What the capture itself says about processes always wins: attribution only
//! fills conversations that have none.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub use callscope_facts::*;

use crate::report::{Process, Report};

/// Which process the facts say owns a side of a flow.
#[derive(Debug, Clone, PartialEq)]
struct Owner {
    pid: u32,
    name: String,
    path: Option<String>,
}

/// The sockets bound to one (transport, local address): each one's remote, if connected, and owner.
type Bound = Vec<(Option<SocketAddr>, Owner)>;

/// Sockets with a known owner, indexed for lookup by (transport, local, remote).
struct Index {
    /// (transport, local) → sockets.
    by_local: HashMap<(String, SocketAddr), Bound>,
}

/// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a dual-stack socket shows for IPv4 peers)
/// as the IPv4 address the capture carries.
pub(crate) fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), v6.port()),
            None => SocketAddr::new(IpAddr::V6(*v6.ip()), v6.port()),
        },
        v4 => v4,
    }
}

/// Parses an address as the report and facts print them; zone ids are dropped.
pub fn parse_addr(s: &str) -> Option<SocketAddr> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(canonical(a));
    }
    // `[fe80::1%en0]:5060`: a zone name the standard parser refuses.
    let rest = s.strip_prefix('[')?;
    let (host, port) = rest.split_once("]:")?;
    let host = host.split('%').next()?;
    let ip: Ipv6Addr = host.parse().ok()?;
    Some(canonical(SocketAddr::new(
        IpAddr::V6(ip),
        port.parse().ok()?,
    )))
}

impl Index {
    fn new(facts: &Facts) -> Index {
        let mut by_local: HashMap<_, Vec<_>> = HashMap::new();
        for s in &facts.sockets {
            let (Some(pid), Some(name)) = (s.pid, s.process.as_ref()) else {
                continue;
            };
            let Some(local) = parse_addr(&s.local) else {
                continue;
            };
            let remote = s
                .remote
                .as_deref()
                .and_then(parse_addr)
                .filter(|r| !r.ip().is_unspecified() || r.port() != 0);
            by_local
                .entry((s.protocol.clone(), local))
                .or_default()
                .push((
                    remote,
                    Owner {
                        pid,
                        name: name.clone(),
                        path: s.path.clone(),
                    },
                ));
        }
        Index { by_local }
    }

    /// The socket bound to exactly `local` and connected to `remote`.
    fn connected(&self, transport: &str, local: SocketAddr, remote: SocketAddr) -> Option<&Owner> {
        self.by_local
            .get(&(transport.to_owned(), local))?
            .iter()
            .find(|(r, _)| *r == Some(remote))
            .map(|(_, o)| o)
    }

    /// A socket bound to exactly `local` and not connected elsewhere (a listener, an
    /// unconnected UDP socket).
    fn bound(&self, transport: &str, local: SocketAddr) -> Option<&Owner> {
        self.by_local
            .get(&(transport.to_owned(), local))?
            .iter()
            .find(|(r, _)| r.is_none())
            .map(|(_, o)| o)
    }

    /// A socket bound to the wildcard address (`0.0.0.0` or `::`, which on a dual-stack socket
    /// also receives IPv4) on `local`'s port and not connected elsewhere.
    fn wildcard(&self, transport: &str, local: SocketAddr) -> Option<&Owner> {
        let port = local.port();
        let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port);
        let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port);
        let candidates: &[SocketAddr] = if local.is_ipv4() { &[v4, v6] } else { &[v6] };
        candidates.iter().find_map(|w| self.bound(transport, *w))
    }

    /// The owner of a flow between `a` and `b`: a connected socket on either side first, then a
    /// bound one, then a wildcard one; the initiator's side before the responder's at each step.
    fn owner(&self, transport: &str, a: SocketAddr, b: SocketAddr) -> Option<&Owner> {
        self.connected(transport, a, b)
            .or_else(|| self.connected(transport, b, a))
            .or_else(|| self.bound(transport, a))
            .or_else(|| self.bound(transport, b))
            .or_else(|| self.wildcard(transport, a))
            .or_else(|| self.wildcard(transport, b))
    }
}

/// Attributes the report's conversations that have no process to the processes `facts` says own
/// their sockets, as "name (pid)" (the analyzer's own format), and adds or updates
/// `report.processes` with their flows, packets and bytes. Conversations that already name a
/// process (from the capture's own metadata) are left alone. The verdicts are judged again with
/// the facts (what an interface is, who owns a tunnel). Returns how many were attributed.
pub fn attribute(report: &mut Report, facts: &Facts) -> usize {
    let attributed = attribute_processes(report, facts);
    report.verdicts = crate::verdicts::judge(report, Some(facts));
    attributed
}

fn attribute_processes(report: &mut Report, facts: &Facts) -> usize {
    let index = Index::new(facts);
    if index.by_local.is_empty() {
        return 0;
    }
    let mut positions: HashMap<(u32, String), usize> = report
        .processes
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.pid, p.name.clone()), i))
        .collect();
    let mut attributed = 0;
    for c in report.conversations.iter_mut() {
        if c.process.is_some() {
            continue;
        }
        let (Some(a), Some(b)) = (parse_addr(&c.a), parse_addr(&c.b)) else {
            continue;
        };
        let Some(owner) = index.owner(&c.transport, a, b) else {
            continue;
        };
        c.process = Some(Process::label(&owner.name, owner.pid));
        attributed += 1;
        let i = *positions
            .entry((owner.pid, owner.name.clone()))
            .or_insert_with(|| {
                report.processes.push(Process {
                    pid: owner.pid,
                    name: owner.name.clone(),
                    path: owner.path.clone(),
                    flows: 0,
                    packets: 0,
                    bytes: 0,
                });
                report.processes.len() - 1
            });
        let p = &mut report.processes[i];
        p.flows += 1;
        p.packets += c.packets;
        p.bytes += c.bytes;
        if p.path.is_none() {
            p.path = owner.path.clone();
        }
    }
    attributed
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::report::Conversation;

    fn socket(protocol: &str, local: &str, remote: Option<&str>, pid: u32, name: &str) -> Socket {
        Socket {
            protocol: protocol.into(),
            local: local.into(),
            remote: remote.map(Into::into),
            state: String::new(),
            pid: Some(pid),
            process: Some(name.into()),
            path: Some(format!("/usr/bin/{name}")),
            ..Socket::default()
        }
    }

    fn conversation(transport: &str, a: &str, b: &str, packets: u64) -> Conversation {
        Conversation {
            transport: transport.into(),
            a: a.into(),
            b: b.into(),
            packets,
            bytes: packets * 100,
            ..Conversation::default()
        }
    }

    fn facts(sockets: Vec<Socket>) -> Facts {
        Facts {
            schema: SCHEMA.into(),
            sockets,
            ..Facts::default()
        }
    }

    #[test]
    fn connected_socket_names_the_flow_and_counts_the_process() {
        let mut report = Report {
            conversations: vec![
                conversation("udp", "10.0.0.2:4500", "203.0.113.9:4500", 10),
                conversation("tcp", "10.0.0.2:50000", "17.57.146.10:5223", 4),
            ],
            ..Report::default()
        };
        let f = facts(vec![
            socket(
                "udp",
                "10.0.0.2:4500",
                Some("203.0.113.9:4500"),
                88,
                "CommCenter",
            ),
            socket(
                "tcp",
                "10.0.0.2:50000",
                Some("17.57.146.10:5223"),
                99,
                "apsd",
            ),
        ]);
        assert_eq!(attribute(&mut report, &f), 2);
        assert_eq!(
            report.conversations[0].process.as_deref(),
            Some("CommCenter (88)")
        );
        assert_eq!(
            report.conversations[1].process.as_deref(),
            Some("apsd (99)")
        );
        assert_eq!(report.processes.len(), 2);
        assert_eq!(report.processes[0].pid, 88);
        assert_eq!(report.processes[0].flows, 1);
        assert_eq!(report.processes[0].packets, 10);
        assert_eq!(report.processes[0].bytes, 1000);
        assert_eq!(
            report.processes[0].path.as_deref(),
            Some("/usr/bin/CommCenter")
        );
    }

    #[test]
    fn responder_side_and_wildcard_listeners_match() {
        let mut report = Report {
            conversations: vec![
                conversation("udp", "192.0.2.7:5060", "10.0.0.2:5060", 3),
                conversation("tcp", "192.0.2.7:40000", "10.0.0.2:443", 5),
            ],
            ..Report::default()
        };
        let f = facts(vec![
            socket("udp", "0.0.0.0:5060", None, 1, "sipd"),
            // A dual-stack listener also takes IPv4 connections.
            socket("tcp", "[::]:443", Some("[::]:0"), 2, "httpd"),
        ]);
        assert_eq!(attribute(&mut report, &f), 2);
        assert_eq!(report.conversations[0].process.as_deref(), Some("sipd (1)"));
        assert_eq!(
            report.conversations[1].process.as_deref(),
            Some("httpd (2)")
        );
    }

    #[test]
    fn ipv4_mapped_and_ipv6_sockets_match() {
        let mut report = Report {
            conversations: vec![
                conversation("tcp", "127.0.0.1:5000", "127.0.0.1:6000", 1),
                conversation("udp", "[fd00::1]:500", "[fd00::2]:500", 1),
            ],
            ..Report::default()
        };
        let f = facts(vec![
            socket(
                "tcp",
                "[::ffff:127.0.0.1]:5000",
                Some("[::ffff:127.0.0.1]:6000"),
                3,
                "client",
            ),
            socket("udp", "[fd00::1]:500", None, 4, "racoon"),
        ]);
        assert_eq!(attribute(&mut report, &f), 2);
        assert_eq!(
            report.conversations[0].process.as_deref(),
            Some("client (3)")
        );
        assert_eq!(
            report.conversations[1].process.as_deref(),
            Some("racoon (4)")
        );
    }

    #[test]
    fn capture_metadata_wins_and_existing_processes_are_updated() {
        let mut report = Report {
            conversations: vec![
                {
                    let mut c = conversation("udp", "10.0.0.2:500", "203.0.113.9:500", 2);
                    c.process = Some("CommCenter (88)".into());
                    c
                },
                conversation("udp", "10.0.0.2:4500", "203.0.113.9:4500", 6),
            ],
            processes: vec![Process {
                pid: 88,
                name: "CommCenter".into(),
                path: None,
                flows: 1,
                packets: 2,
                bytes: 200,
            }],
            ..Report::default()
        };
        let f = facts(vec![
            socket("udp", "10.0.0.2:500", None, 1234, "other"),
            socket("udp", "10.0.0.2:4500", None, 88, "CommCenter"),
        ]);
        assert_eq!(attribute(&mut report, &f), 1);
        assert_eq!(
            report.conversations[0].process.as_deref(),
            Some("CommCenter (88)")
        );
        assert_eq!(
            report.conversations[1].process.as_deref(),
            Some("CommCenter (88)")
        );
        assert_eq!(report.processes.len(), 1);
        assert_eq!(report.processes[0].flows, 2);
        assert_eq!(report.processes[0].packets, 8);
        assert_eq!(
            report.processes[0].path.as_deref(),
            Some("/usr/bin/CommCenter")
        );
    }

    #[test]
    fn wrong_transport_port_or_unknown_owner_do_not_match() {
        let mut report = Report {
            conversations: vec![conversation("udp", "10.0.0.2:53000", "10.0.0.1:53", 2)],
            ..Report::default()
        };
        let mut unknown = socket("udp", "10.0.0.2:53000", None, 0, "x");
        unknown.pid = None;
        let f = facts(vec![
            socket("tcp", "10.0.0.2:53000", None, 5, "tcpthing"),
            socket("udp", "10.0.0.2:53001", None, 6, "neighbour"),
            unknown,
        ]);
        assert_eq!(attribute(&mut report, &f), 0);
        assert_eq!(report.conversations[0].process, None);
        assert!(report.processes.is_empty());
    }

    #[test]
    fn connected_socket_beats_listener_on_the_same_port() {
        let mut report = Report {
            conversations: vec![conversation("tcp", "192.0.2.7:40000", "10.0.0.2:22", 5)],
            ..Report::default()
        };
        let f = facts(vec![
            socket("tcp", "0.0.0.0:22", None, 1, "sshd"),
            socket(
                "tcp",
                "10.0.0.2:22",
                Some("192.0.2.7:40000"),
                77,
                "sshd-session",
            ),
        ]);
        attribute(&mut report, &f);
        assert_eq!(
            report.conversations[0].process.as_deref(),
            Some("sshd-session (77)")
        );
    }

    #[test]
    fn json_round_trip_and_schema_check() {
        let f = facts(vec![socket(
            "udp",
            "[fe80::1%en0]:5353",
            None,
            9,
            "mDNSResponder",
        )]);
        let text = serde_json::to_string(&f).unwrap();
        let back: Facts = serde_json::from_str(&text).unwrap();
        assert_eq!(back, f);
        assert_eq!(back.check(), Ok(()));
        let other: Facts =
            serde_json::from_str(&text.replace(SCHEMA, "callscope.facts/9")).unwrap();
        assert!(matches!(other.check(), Err(FactsError::Schema { .. })));
        assert!(serde_json::from_str::<Facts>("{}").is_err());
        assert_eq!(
            parse_addr("[fe80::1%en0]:5353"),
            Some("[fe80::1]:5353".parse().unwrap())
        );
    }

    #[test]
    fn merge_keeps_sockets_that_closed() {
        let start = Facts {
            time_unix: 100.0,
            ..facts(vec![
                socket("udp", "10.0.0.2:1", None, 1, "a"),
                socket("udp", "10.0.0.2:2", None, 2, "b"),
            ])
        };
        let mut end = Facts {
            time_unix: 110.0,
            ..facts(vec![
                socket("udp", "10.0.0.2:2", None, 2, "b"),
                socket("udp", "10.0.0.2:3", None, 3, "c"),
            ])
        };
        end.merge_earlier(&start);
        assert_eq!(end.sockets.len(), 3);
        assert_eq!(end.since_unix, Some(100.0));
    }
}
