//! ICMP and ICMPv6 errors attached to the flow whose packet they quote: a "port unreachable" for a
//! STUN server or a SIP peer says nothing listens there (or a firewall says so for it), which the
//! flow's own counters never show. tshark instead dissects the quoted packet as that protocol and
//! counts it as a message of its own (so its STUN, SIP or RTP counts can exceed callscope's);
//! callscope counts the error on the flow and not as a message.

use std::net::{IpAddr, SocketAddr};

use callscope_wire::net::icmp::IcmpError;
use callscope_wire::net::proto;

use crate::flows::{FlowTable, Transport};
use crate::report::IcmpErrors;
use crate::FastMap;

/// Distinct (error, sender) pairs kept per flow.
const MAX_KINDS: usize = 8;

#[derive(Debug, Clone)]
struct Seen {
    what: &'static str,
    from: IpAddr,
    count: u64,
    first_ns: i64,
}

/// ICMP errors per flow id.
#[derive(Debug)]
pub(super) struct IcmpByFlow {
    /// Flows with errors kept ([`crate::budget::ICMP_FLOWS`]).
    max_flows: usize,
    by_flow: FastMap<u64, Vec<Seen>>,
    /// Errors not kept beyond the bounds.
    pub dropped: u64,
}

impl IcmpByFlow {
    /// Keeps errors for at most `max_flows` flows.
    pub fn new(max_flows: usize) -> Self {
        IcmpByFlow {
            max_flows,
            by_flow: FastMap::default(),
            dropped: 0,
        }
    }

    /// Counts `error`, sent by `from`, on the flow of the packet it quotes.
    pub fn record(&mut self, flows: &FlowTable, error: &IcmpError, from: IpAddr, ts_ns: i64) {
        let q = &error.quoted;
        let transport = match q.protocol {
            proto::UDP => Transport::Udp,
            proto::TCP => Transport::Tcp,
            _ => return,
        };
        let Some((src_port, dst_port)) = q.ports else {
            return;
        };
        let src = SocketAddr::new(q.src, src_port);
        let dst = SocketAddr::new(q.dst, dst_port);
        // An error about a flow this capture has (or still holds) no packets of stays unattached.
        let Some(flow) = flows.find(transport, src, dst) else {
            return;
        };
        if !self.by_flow.contains_key(&flow) && self.by_flow.len() >= self.max_flows {
            self.dropped += 1;
            return;
        }
        let what = error.describe();
        let seen = self.by_flow.entry(flow).or_default();
        if let Some(s) = seen.iter_mut().find(|s| s.what == what && s.from == from) {
            s.count += 1;
            s.first_ns = s.first_ns.min(ts_ns);
        } else if seen.len() < MAX_KINDS {
            seen.push(Seen {
                what,
                from,
                count: 1,
                first_ns: ts_ns,
            });
        } else {
            self.dropped += 1;
        }
    }

    /// The report's view of a flow's errors, `secs` turning capture times into report seconds.
    pub fn of(&self, flow: u64, secs: impl Fn(i64) -> f64) -> Vec<IcmpErrors> {
        self.by_flow.get(&flow).map_or_else(Vec::new, |seen| {
            seen.iter()
                .map(|s| IcmpErrors {
                    error: s.what.to_owned(),
                    from: crate::addr::Ip(s.from),
                    count: s.count,
                    first: secs(s.first_ns),
                })
                .collect()
        })
    }
}
