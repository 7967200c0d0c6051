//! Attribution of a report's flows to the processes that owned their sockets, from host facts
//! (`facts.json`; the model is `callscope-facts`, re-exported here).
//!
//! A capture rarely says which process sent a packet (only macOS PKTAP/pcapng captures do), so
//! [`attribute`] joins a finished [`Report`] with the facts' sockets by transport and local
//! address and port. What the capture itself says about processes always wins: attribution only
//! fills conversations that have none.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub use callscope_facts::*;

use crate::report::{Process, ProcessRef, Report};

/// Which process the facts say owns a side of a flow.
#[derive(Debug, Clone, PartialEq)]
struct Owner {
    pid: u32,
    name: String,
    path: Option<String>,
}

/// When a socket was seen open (Unix seconds), widened by [`SAMPLE_SLACK`]; `None` for a
/// socket of a single snapshot (taken as open throughout).
type Alive = Option<(f64, f64)>;

/// How far before its first sighting and after its last a sampled socket may have been open:
/// the collector samples about once a second.
const SAMPLE_SLACK: f64 = 1.5;

/// The sockets bound to one (transport, local address): each one's remote, if connected, when it
/// was open, and its owner.
type Bound = Vec<(Option<SocketAddr>, Alive, Owner)>;

/// Sockets with a known owner, indexed for lookup by (transport, local, remote).
struct Index {
    /// (transport, local) → sockets.
    by_local: HashMap<(String, SocketAddr), Bound>,
    /// The host's own addresses (its interfaces' and loopback): only a side with one of them
    /// can be the local end of a wildcard socket.
    own: HashSet<IpAddr>,
}

/// A conversation's span, Unix seconds.
type Span = (f64, f64);

fn alive(window: Alive, span: Span) -> bool {
    window
        .is_none_or(|(first, last)| span.0 <= last + SAMPLE_SLACK && span.1 >= first - SAMPLE_SLACK)
}

/// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a dual-stack socket shows for IPv4 peers)
/// as the IPv4 address the capture carries.
pub(crate) fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// The IP address in an address as the facts write it (`192.0.2.1:5060`, `[2001:db8::1]:5060`,
/// `[fe80::1%en0]:5060`, or a bare address, bracketed or not, possibly with a zone),
/// IPv4-mapped IPv6 read as the IPv4 address a capture carries.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    if let Some(addr) = parse_addr(text) {
        return Some(addr.ip());
    }
    let host = text
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(text);
    let ip: IpAddr = host.split('%').next()?.parse().ok()?;
    Some(ip.to_canonical())
}

/// Parses a socket address as the facts write them; zone ids are dropped.
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
            let window = match (s.first_seen, s.last_seen) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            };
            by_local
                .entry((s.protocol.clone(), local))
                .or_default()
                .push((
                    remote,
                    window,
                    Owner {
                        pid,
                        name: name.clone(),
                        path: s.path.clone(),
                    },
                ));
        }
        let own = facts
            .interfaces
            .iter()
            .flat_map(|i| &i.addresses)
            .filter_map(|a| a.addr.parse::<IpAddr>().ok())
            .map(|ip| canonical(SocketAddr::new(ip, 0)).ip())
            .collect();
        Index { by_local, own }
    }

    /// Whether `ip` is one of the host's (loopback always is).
    fn is_own(&self, ip: IpAddr) -> bool {
        ip.is_loopback() || self.own.contains(&ip)
    }

    fn sockets(
        &self,
        transport: &str,
        local: SocketAddr,
    ) -> impl Iterator<Item = &(Option<SocketAddr>, Alive, Owner)> {
        self.by_local
            .get(&(transport.to_owned(), local))
            .into_iter()
            .flatten()
    }

    /// The socket bound to exactly `local` and connected to `remote`, open during `span`.
    fn connected(
        &self,
        transport: &str,
        local: SocketAddr,
        remote: SocketAddr,
        span: Span,
    ) -> Option<&Owner> {
        self.sockets(transport, local)
            .find(|(r, w, _)| *r == Some(remote) && alive(*w, span))
            .map(|(_, _, o)| o)
    }

    /// A socket bound to exactly `local` and not connected elsewhere (a listener, an
    /// unconnected UDP socket), open during `span`.
    fn bound(&self, transport: &str, local: SocketAddr, span: Span) -> Option<&Owner> {
        self.sockets(transport, local)
            .find(|(r, w, _)| r.is_none() && alive(*w, span))
            .map(|(_, _, o)| o)
    }

    /// A socket bound to the wildcard address (`0.0.0.0` or `::`, which on a dual-stack socket
    /// also receives IPv4) on `local`'s port and not connected elsewhere, when `local` is one of
    /// the host's own addresses: the far end of a flow may use the same port (IKE and SIP do) and
    /// must not be credited to the local listener.
    fn wildcard(&self, transport: &str, local: SocketAddr, span: Span) -> Option<&Owner> {
        if !self.is_own(local.ip()) {
            return None;
        }
        let port = local.port();
        let v4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port);
        let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port);
        let candidates: &[SocketAddr] = if local.is_ipv4() { &[v4, v6] } else { &[v6] };
        candidates
            .iter()
            .find_map(|w| self.bound(transport, *w, span))
    }

    /// The owner of a flow between `a` and `b` during `span`: a connected socket on either side
    /// first, then a bound one, then a wildcard one; the initiator's side before the
    /// responder's at each step.
    fn owner(&self, transport: &str, a: SocketAddr, b: SocketAddr, span: Span) -> Option<&Owner> {
        self.connected(transport, a, b, span)
            .or_else(|| self.connected(transport, b, a, span))
            .or_else(|| self.bound(transport, a, span))
            .or_else(|| self.bound(transport, b, span))
            .or_else(|| self.wildcard(transport, a, span))
            .or_else(|| self.wildcard(transport, b, span))
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
        let (a, b) = (canonical(c.a.0), canonical(c.b.0));
        let start = report.capture.start_unix + c.start;
        let span = (start, start + c.duration.max(0.0));
        // facts.json names a socket's protocol in the same words (`udp`, `tcp`).
        let Some(owner) = index.owner(&c.transport.to_string(), a, b, span) else {
            continue;
        };
        c.process = Some(ProcessRef::new(&owner.name, owner.pid));
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

    /// The owner of the report's `i`th conversation, as the report writes it.
    fn owner(report: &Report, i: usize) -> Option<String> {
        report.conversations[i]
            .process
            .as_ref()
            .map(ToString::to_string)
    }

    #[test]
    fn fact_addresses_are_read_in_every_spelling() {
        let v4: IpAddr = Ipv4Addr::new(192, 0, 2, 1).into();
        assert_eq!(parse_ip("192.0.2.1:500"), Some(v4));
        assert_eq!(parse_ip("192.0.2.1"), Some(v4));
        assert_eq!(parse_ip("[::ffff:192.0.2.1]:500"), Some(v4));
        assert_eq!(parse_ip("::ffff:192.0.2.1"), Some(v4));
        let zoned = parse_ip("[fe80::1%en0]:5060").map(|ip| ip.to_string());
        assert_eq!(zoned.as_deref(), Some("fe80::1"));
        assert_eq!(
            parse_ip("[2001:db8::1]")
                .map(|ip| ip.to_string())
                .as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(parse_ip(""), None);
        assert_eq!(parse_ip("example.com:80"), None);
    }

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
            transport: transport.parse().unwrap(),
            a: a.parse().unwrap(),
            b: b.parse().unwrap(),
            packets,
            bytes: packets * 100,
            ..Conversation::default()
        }
    }

    /// An interface with the host's address `ip`.
    fn own(ip: &str) -> Interface {
        Interface {
            name: "en0".into(),
            addresses: vec![Address {
                addr: ip.into(),
                ..Address::default()
            }],
            ..Interface::default()
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
        assert_eq!(owner(&report, 0).as_deref(), Some("CommCenter (88)"));
        assert_eq!(owner(&report, 1).as_deref(), Some("apsd (99)"));
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
        let mut f = facts(vec![
            socket("udp", "0.0.0.0:5060", None, 1, "sipd"),
            // A dual-stack listener also takes IPv4 connections.
            socket("tcp", "[::]:443", Some("[::]:0"), 2, "httpd"),
        ]);
        f.interfaces = vec![own("10.0.0.2")];
        assert_eq!(attribute(&mut report, &f), 2);
        assert_eq!(owner(&report, 0).as_deref(), Some("sipd (1)"));
        assert_eq!(owner(&report, 1).as_deref(), Some("httpd (2)"));
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
        assert_eq!(owner(&report, 0).as_deref(), Some("client (3)"));
        assert_eq!(owner(&report, 1).as_deref(), Some("racoon (4)"));
    }

    #[test]
    fn capture_metadata_wins_and_existing_processes_are_updated() {
        let mut report = Report {
            conversations: vec![
                {
                    let mut c = conversation("udp", "10.0.0.2:500", "203.0.113.9:500", 2);
                    c.process = Some("CommCenter (88)".parse().unwrap());
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
        assert_eq!(owner(&report, 0).as_deref(), Some("CommCenter (88)"));
        assert_eq!(owner(&report, 1).as_deref(), Some("CommCenter (88)"));
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
        assert_eq!(owner(&report, 0).as_deref(), Some("sshd-session (77)"));
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

    /// Issue 15: the far end's port is not the host's. With pid 1 on `0.0.0.0:5060` and pid 2 on
    /// `[::]:5062`, neither a flow to a remote 5060 nor one from a remote 5062 is theirs; the
    /// flow that reaches the host's own 5060 is pid 1's.
    #[test]
    fn wildcard_sockets_own_only_the_hosts_side() {
        let mut report = Report {
            conversations: vec![
                conversation("udp", "192.0.2.2:54000", "198.51.100.7:5060", 3),
                conversation("udp", "198.51.100.7:5062", "192.0.2.2:5070", 3),
                conversation("udp", "198.51.100.7:5062", "192.0.2.2:5060", 3),
            ],
            ..Report::default()
        };
        let mut f = facts(vec![
            socket("udp", "0.0.0.0:5060", None, 1, "sipd"),
            socket("udp", "[::]:5062", None, 2, "other"),
        ]);
        f.interfaces = vec![own("192.0.2.2")];
        assert_eq!(attribute(&mut report, &f), 1);
        let got: Vec<_> = report
            .conversations
            .iter()
            .map(|c| c.process.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(got, [None, None, Some("sipd (1)".to_owned())]);
        // Without the host's addresses nothing says which side is local: no wildcard match.
        let mut report = Report {
            conversations: vec![conversation(
                "udp",
                "198.51.100.7:5062",
                "192.0.2.2:5060",
                3,
            )],
            ..Report::default()
        };
        f.interfaces.clear();
        assert_eq!(attribute(&mut report, &f), 0);
    }

    /// Sockets sampled during a capture own the flows of their lifetime only: the same port,
    /// reused by another process later, goes to that process.
    #[test]
    fn sampled_sockets_own_the_flows_of_their_lifetime() {
        let mut report = Report {
            conversations: vec![
                {
                    let mut c = conversation("udp", "10.0.0.2:40000", "203.0.113.9:3478", 2);
                    c.start = 1.0;
                    c.duration = 2.0;
                    c
                },
                {
                    let mut c = conversation("udp", "10.0.0.2:40000", "203.0.113.9:3478", 2);
                    c.start = 30.0;
                    c.duration = 1.0;
                    c
                },
                {
                    let mut c = conversation("udp", "10.0.0.2:40000", "203.0.113.9:3478", 2);
                    c.start = 100.0;
                    c
                },
            ],
            ..Report::default()
        };
        report.capture.start_unix = 1_000.0;
        let sampled = |pid, name: &str, first: f64, last: f64| {
            let mut s = socket("udp", "10.0.0.2:40000", None, pid, name);
            s.first_seen = Some(first);
            s.last_seen = Some(last);
            s
        };
        let f = facts(vec![
            sampled(1, "early", 1_000.5, 1_004.0),
            sampled(2, "later", 1_029.6, 1_031.0),
        ]);
        assert_eq!(attribute(&mut report, &f), 2);
        let got: Vec<_> = report
            .conversations
            .iter()
            .map(|c| c.process.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(
            got,
            [
                Some("early (1)".to_owned()),
                Some("later (2)".to_owned()),
                None
            ]
        );
    }
}
