//! DNS (RFC 1035), mDNS (RFC 6762) and LLMNR (RFC 4795) over UDP and TCP: which names were
//! asked, how they were answered, and which addresses the answers named.
//!
//! An address answer (A/AAAA) names its address with the name that was *asked*, found by
//! following the response's CNAMEs back to its question (`www.example.com → edge.example.net →
//! 192.0.2.7` names 192.0.2.7 `www.example.com`, chain kept); a PTR answer names the address its
//! reverse name spells. Bounded by the memory budget ([`crate::budget::DNS_QUERIES`] names asked,
//! [`crate::budget::NAMES`] names learned); what does not fit is counted; TCP messages wait in
//! [`crate::partial`] buffers.

pub mod report;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use callscope_wire::dns::{self as wire_dns, AnswerData, Message};
use callscope_wire::{sip::looks_like_sip, stun};

use crate::partial::Partial;
use crate::protocols::{FinishContext, NameSeen, NameSource, Place, Protocol, Segment, Shared};
use crate::{FastMap, FastSet};
pub use report::DnsReport;
use report::{DnsQuery, MAX_ANSWERS};

/// CNAME links followed from an answer back to its question.
const MAX_CHAIN: usize = 8;

/// The DNS analyzer.
#[derive(Debug)]
pub struct DnsAnalyzer {
    /// Names and record types tracked.
    max_queries: usize,
    /// Address → name pairs learned.
    max_names: usize,
    report: DnsReport,
    /// Per (lower-case name, type): where its entry is in `report.queries`, with its first time.
    index: FastMap<(String, u16), usize>,
    first_ns: Vec<i64>,
    /// Address → name pairs, each once.
    seen: FastSet<(IpAddr, String)>,
    names: Vec<NameSeen>,
    names_dropped: u64,
    queries_dropped: u64,
    tcp: Partial,
}

impl Default for DnsAnalyzer {
    fn default() -> Self {
        DnsAnalyzer::with_budget(crate::DEFAULT_BUDGET)
    }
}

/// The protocol a port speaks, in tshark's names.
fn protocol_of(seg: &Segment<'_>) -> Option<&'static str> {
    // In this order of precedence; each port read once, as this runs on every datagram that no
    // analyzer before it claimed.
    let rank = |p: u16| match p {
        53 => 0,
        5353 => 1,
        5355 => 2,
        _ => 3,
    };
    ["dns", "mdns", "llmnr"]
        .get(rank(seg.src.port()).min(rank(seg.dst.port())))
        .copied()
}

impl DnsAnalyzer {
    fn message(&mut self, seg: &Segment<'_>, protocol: &'static str, message: &Message) {
        self.report.messages += 1;
        self.report.responses += u64::from(message.response);
        if !message.sections_decoded {
            self.report.malformed += 1;
            return;
        }
        for q in &message.questions {
            let Some(i) = self.query(seg, protocol, message, &q.name, q.qtype) else {
                continue;
            };
            let entry = &mut self.report.queries[i];
            if message.response {
                entry.responses += 1;
                entry.rcode = Some(wire_dns::rcode_name(message.rcode).to_owned());
                for a in &message.answers {
                    let text = answer_text(&a.data);
                    if entry.answers.len() < MAX_ANSWERS && !entry.answers.contains(&text) {
                        entry.answers.push(text);
                    }
                }
            } else {
                entry.queries += 1;
            }
        }
        if message.response {
            self.learn(seg, message);
        }
    }

    /// The entry of a name and type, made on first sight.
    fn query(
        &mut self,
        seg: &Segment<'_>,
        protocol: &'static str,
        message: &Message,
        name: &str,
        qtype: u16,
    ) -> Option<usize> {
        let key = (name.to_ascii_lowercase(), qtype);
        if let Some(&i) = self.index.get(&key) {
            return Some(i);
        }
        if self.report.queries.len() >= self.max_queries {
            self.queries_dropped += 1;
            return None;
        }
        let (client, server) = if message.response {
            (seg.dst, seg.src)
        } else {
            (seg.src, seg.dst)
        };
        let i = self.report.queries.len();
        self.index.insert(key, i);
        self.first_ns.push(seg.ts_ns);
        self.report.queries.push(DnsQuery {
            name: name.to_owned(),
            qtype: wire_dns::type_name(qtype).to_owned(),
            protocol: protocol.to_owned(),
            client: client.into(),
            server: server.into(),
            frame: seg.frame,
            ..DnsQuery::default()
        });
        Some(i)
    }

    /// Address → name pairs from a response's answers.
    fn learn(&mut self, seg: &Segment<'_>, message: &Message) {
        for a in &message.answers {
            let (addr, chain) = match &a.data {
                AnswerData::Address(addr) => (*addr, chain_to(message, &a.name)),
                AnswerData::Pointer(name) => match reverse_address(&a.name) {
                    Some(addr) => (addr, vec![name.clone()]),
                    None => continue,
                },
                _ => continue,
            };
            let Some(name) = chain.first().cloned() else {
                continue;
            };
            if self.seen.contains(&(addr, name.clone())) {
                continue;
            }
            if self.names.len() >= self.max_names {
                self.names_dropped += 1;
                continue;
            }
            self.seen.insert((addr, name.clone()));
            self.names.push(NameSeen {
                addr,
                name,
                source: NameSource::Dns,
                chain: if chain.len() > 1 { chain } else { Vec::new() },
                ts_ns: seg.ts_ns,
                frame: seg.frame,
            });
        }
    }
}

/// The names from the one asked to `owner`, following the message's CNAMEs backwards.
fn chain_to(message: &Message, owner: &str) -> Vec<String> {
    let mut chain = vec![owner.to_owned()];
    while chain.len() <= MAX_CHAIN {
        let current = chain[chain.len() - 1].as_str();
        let alias_of = message.answers.iter().find_map(|a| match &a.data {
            AnswerData::Alias(target) if target.eq_ignore_ascii_case(current) => Some(&a.name),
            _ => None,
        });
        match alias_of {
            Some(name) if !chain.iter().any(|c| c.eq_ignore_ascii_case(name)) => {
                chain.push(name.clone());
            }
            _ => break,
        }
    }
    chain.reverse();
    chain
}

/// What an answer says, in a word.
fn answer_text(data: &AnswerData) -> String {
    match data {
        AnswerData::Address(a) => a.to_string(),
        AnswerData::Alias(name) => format!("→ {name}"),
        AnswerData::Service { target, port } => format!("{target}:{port}"),
        AnswerData::Naptr {
            services,
            replacement,
        } => format!("{services} → {replacement}"),
        AnswerData::Pointer(name) => name.clone(),
    }
}

/// The address a reverse name spells (RFC 1035 §3.5 `in-addr.arpa`, RFC 3596 §2.5 `ip6.arpa`).
fn reverse_address(name: &str) -> Option<IpAddr> {
    let lower = name.to_ascii_lowercase();
    if let Some(rest) = lower.strip_suffix(".in-addr.arpa") {
        let octets: Vec<u8> = rest
            .split('.')
            .map(|o| o.parse().ok())
            .collect::<Option<_>>()?;
        let [d, c, b, a] = <[u8; 4]>::try_from(octets).ok()?;
        return Some(IpAddr::V4(Ipv4Addr::new(a, b, c, d)));
    }
    let rest = lower.strip_suffix(".ip6.arpa")?;
    let nibbles: Vec<u8> = rest
        .split('.')
        .map(|n| u8::from_str_radix(n, 16).ok().filter(|_| n.len() == 1))
        .collect::<Option<_>>()?;
    if nibbles.len() != 32 {
        return None;
    }
    let value = nibbles
        .iter()
        .rev()
        .fold(0u128, |acc, &n| (acc << 4) | u128::from(n));
    Some(IpAddr::V6(Ipv6Addr::from(value)))
}

impl Protocol for DnsAnalyzer {
    fn with_budget(budget: usize) -> Self {
        DnsAnalyzer {
            max_queries: crate::budget::DNS_QUERIES.bound(budget),
            max_names: crate::budget::NAMES.bound(budget),
            report: DnsReport::default(),
            index: FastMap::default(),
            first_ns: Vec::new(),
            seen: FastSet::default(),
            names: Vec::new(),
            names_dropped: 0,
            queries_dropped: 0,
            // A DNS message over TCP is at most 64 KiB (its length prefix).
            tcp: Partial::new(65_537, crate::budget::DNS_STREAM_BYTES.bound(budget), 1_024),
        }
    }

    fn udp(&mut self, seg: &Segment<'_>, _shared: &mut Shared) -> Option<&'static str> {
        let protocol = protocol_of(seg)?;
        // What the first-pass classification names SIP or STUN stays theirs.
        if looks_like_sip(seg.payload) || stun::looks_like(seg.payload) {
            return None;
        }
        let message = wire_dns::parse(seg.payload)?;
        self.message(seg, protocol, &message);
        Some(protocol)
    }

    fn claims_stream(first: &Segment<'_>) -> bool {
        first.src.port() == 53 || first.dst.port() == 53
    }

    fn stream_bytes(&mut self, seg: &Segment<'_>, _shared: &mut Shared) {
        let mut messages = Vec::new();
        self.tcp
            .push(seg.src, seg.dst, seg.payload, &mut |buffered| {
                let (found, used) = wire_dns::split_tcp(buffered);
                messages.extend(found.into_iter().filter_map(wire_dns::parse));
                Some(used)
            });
        for m in &messages {
            self.message(seg, "dns", m);
        }
    }

    fn finish(self: Box<Self>, ctx: &FinishContext) -> Place {
        let mut report = self.report;
        for (q, &ns) in report.queries.iter_mut().zip(&self.first_ns) {
            q.first = ctx.rel(ns);
        }
        let names = self.names;
        let dropped = self.names_dropped;
        let stream_bytes = self.tcp.dropped_bytes;
        let queries_dropped = self.queries_dropped;
        Box::new(move |s| {
            s.dns = report;
            s.dns_queries_dropped = queries_dropped;
            s.names.extend(names);
            s.names_dropped += dropped;
            s.stream_bytes_dropped += stream_bytes;
        })
    }
}

#[cfg(test)]
mod tests;
