//! The frame stage's own report sections (capture facts, endpoints, conversations, processes,
//! limits) and the whole report put together with the protocol stage's.

use callscope_wire::capture::{self, ReaderStats};
use callscope_wire::LinkType;

use super::FrameStage;
use crate::addr;
use crate::flows::FlowTable;
use crate::protocol_stage::ProtocolStage;
use crate::protocols::FinishContext;
use crate::report::{self, Report};

/// The report sections the frame stage builds itself.
struct FrameSections {
    capture: report::CaptureSummary,
    hierarchy: Vec<report::HierarchyNode>,
    timeline: crate::timeline::TimelineReport,
    endpoints: Vec<report::Endpoint>,
    conversations: Vec<report::Conversation>,
    processes: Vec<report::Process>,
    /// Without the protocol stage's dropped stream bytes.
    limits: report::Limits,
}

impl FrameStage {
    pub(super) fn into_report(
        self,
        stage: ProtocolStage,
        stats: &ReaderStats,
        ending: capture::Ending,
    ) -> Report {
        let ctx = FinishContext {
            start_ns: self.first_ns.unwrap_or(0),
        };
        let parallel = self.parallel;
        let budget = self.budget;
        let (sections, own) =
            stage.finish(&ctx, parallel, move || self.own_sections(stats, ending));
        let mut report = Report {
            schema: report::SCHEMA.to_owned(),
            capture: own.capture,
            hierarchy: own.hierarchy,
            endpoints: own.endpoints,
            conversations: own.conversations,
            processes: own.processes,
            ike: sections.ike,
            stun: sections.stun,
            sip: sections.sip,
            rtp: sections.rtp,
            rtcp: sections.rtcp,
            dns: sections.dns,
            tls: sections.tls,
            names: Vec::new(),
            verdicts: Vec::new(),
            timeline: own.timeline,
            limits: report::Limits {
                tcp_bytes_dropped: own.limits.tcp_bytes_dropped + sections.stream_bytes_dropped,
                ..own.limits
            },
        };
        let dropped = crate::names::table::attach(&mut report, sections.names, ctx.start_ns);
        report.limits.names_dropped = sections.names_dropped + dropped;
        report.limits.dns_queries_dropped = sections.dns_queries_dropped;
        report.limits.tls_sessions_dropped = sections.tls_sessions_dropped;
        report.limits.tables = crate::budget::tables_hit(&report, budget);
        report.verdicts = crate::verdicts::judge(&report, None);
        report
    }

    fn own_sections(self, stats: &ReaderStats, ending: capture::Ending) -> FrameSections {
        let start_ns = self.first_ns.unwrap_or(0);
        let secs = |ns: i64| crate::time::secs_between(start_ns, ns);
        let (truncated, error) = match ending {
            capture::Ending::Clean => (false, None),
            capture::Ending::Truncated { detail } => (true, Some(detail)),
            capture::Ending::Stopped(e) => (false, Some(e.to_string())),
        };
        let mut format = stats
            .format
            .map(|f| f.name().to_owned())
            .unwrap_or_default();
        if stats.gzip && !format.is_empty() {
            format.push_str("+gzip");
        }
        let capture = report::CaptureSummary {
            format,
            link_types: self
                .link_types_seen
                .iter()
                .map(|&l| LinkType::from(l).name())
                .collect(),
            interfaces: stats
                .interfaces
                .iter()
                .enumerate()
                .map(|(i, iface)| report::Interface {
                    index: i as u32,
                    name: iface.name.clone(),
                    link_type: LinkType::from(iface.link_type).name(),
                    packets: self.interface_packets.get(i).copied().unwrap_or(0),
                    span: self
                        .interface_span
                        .get(i)
                        .filter(|s| s.0 <= s.1)
                        .map(|&(first, last)| [secs(first), secs(last)]),
                })
                .collect(),
            packets: self.packets,
            bytes: self.bytes,
            captured_bytes: self.captured_bytes,
            start_unix: start_ns as f64 / 1e9,
            duration: secs(self.last_ns.max(start_ns)),
            malformed: self.malformed + stats.malformed_records,
            malformed_reasons: self
                .reasons
                .into_iter()
                .chain(
                    stats
                        .malformed_reasons
                        .iter()
                        .map(|(reason, count, first)| report::Reason {
                            reason: reason.clone(),
                            count: *count,
                            first_frame: *first,
                        }),
                )
                .collect(),
            unknown_link_type: self.unknown_link_type,
            truncated,
            error,
            caplen_over_snaplen: stats.caplen_over_snaplen,
        };
        let mut endpoints: Vec<report::Endpoint> = self
            .endpoints
            .iter()
            .map(|(ip, c)| report::Endpoint {
                addr: addr::Ip(*ip),
                packets: c.tx_packets + c.rx_packets,
                bytes: c.tx_bytes + c.rx_bytes,
                tx_packets: c.tx_packets,
                tx_bytes: c.tx_bytes,
                rx_packets: c.rx_packets,
                rx_bytes: c.rx_bytes,
                class: addr::class(*ip).to_owned(),
                name: None,
            })
            .collect();
        // Busiest first, ties in the order of the addresses' text (the contract's order since
        // addresses were text; a numeric order would move rows of every report).
        crate::order::sort_by_cached_key(&mut endpoints, |e| {
            (std::cmp::Reverse(e.packets), e.addr.to_string())
        });
        let processes_named: Vec<report::ProcessRef> = self
            .processes
            .iter()
            .map(|p| report::ProcessRef::new(&p.name, p.pid))
            .collect();
        let flows_evicted = self.flows.evicted;
        let several_interfaces = stats.interfaces.len() > 1;
        let conversations = self
            .flows
            .into_sorted()
            .map(|(key, flow)| {
                let (a, b) = FlowTable::sides(&key, &flow);
                report::Conversation {
                    transport: key.transport,
                    a: addr::Socket(a),
                    b: addr::Socket(b),
                    packets: flow.packets_a_to_b + flow.packets_b_to_a,
                    bytes: flow.bytes_a_to_b + flow.bytes_b_to_a,
                    packets_a_to_b: flow.packets_a_to_b,
                    packets_b_to_a: flow.packets_b_to_a,
                    bytes_a_to_b: flow.bytes_a_to_b,
                    bytes_b_to_a: flow.bytes_b_to_a,
                    start: secs(flow.first_ns),
                    duration: crate::time::secs_between(flow.first_ns, flow.last_ns),
                    protocol: flow.protocol.map(str::to_owned),
                    process: flow.process.and_then(|p| processes_named.get(p).cloned()),
                    icmp_errors: self.icmp.of(flow.id, secs),
                    interface: several_interfaces.then_some(flow.interface),
                    ..report::Conversation::default()
                }
            })
            .collect();
        let processes = self
            .processes
            .into_iter()
            .map(|p| report::Process {
                pid: p.pid,
                name: p.name,
                path: p.path,
                flows: p.flows,
                packets: p.packets,
                bytes: p.bytes,
            })
            .collect();
        let limits = report::Limits {
            flows_evicted,
            endpoints_dropped: self.endpoints.dropped,
            fragments_dropped: self.defrag.dropped,
            tcp_bytes_dropped: self.tcp.dropped_bytes,
            icmp_errors_dropped: self.icmp.dropped,
            names_dropped: 0,
            dns_queries_dropped: 0,
            tls_sessions_dropped: 0,
            tables: Vec::new(),
        };
        let (hierarchy, timeline) = self.counts.finish(start_ns);
        FrameSections {
            capture,
            hierarchy,
            timeline,
            endpoints,
            conversations,
            processes,
            limits,
        }
    }
}
