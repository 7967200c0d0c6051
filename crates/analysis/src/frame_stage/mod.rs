//! The frame stage of the per-frame pipeline: link → IP (defragmented) → UDP/TCP, feeding the
//! flow table, endpoints and process attribution and reassembling the TCP streams an analyzer
//! claims, then handing each frame to the protocol stage ([`crate::protocol_stage`]: the
//! analyzers), here or on its own thread, and counting it in the hierarchy and timeline
//! ([`counts`]) under the leaf that stage names. Its own report sections are built in [`report`].

mod counts;
mod icmp;
mod report;

use crate::{FastMap, FastSet};
use std::net::SocketAddr;

use callscope_wire::capture::{self, ReaderStats};
use callscope_wire::link::{self, LinkError};
use callscope_wire::net::{self, Network, Transport as Tp};
use callscope_wire::Frame;

use crate::defrag::Defragmenter;
use crate::flows::{EndpointTable, FlowRef, FlowTable, Transport};
use crate::hierarchy::{Path, Prefixes};
use crate::protocol_stage::{Back, Delivery, Handoff, Named, ProtocolStage, TcpDelivery};
use crate::protocols::Segment;
use crate::registry::{self, ProtocolId};
use crate::report::{self as report_types, Report};
use crate::tcp::{Close, TcpStreams};
use crate::{classify, Found, Options};

/// Distinct malformed-packet reasons kept for the report.
const MAX_REASONS: usize = 32;
/// Distinct processes tracked.
const MAX_PROCESSES: usize = 65_536;
/// (flow, process) pairs remembered for per-process flow counts.
const MAX_PROCESS_FLOWS: usize = 2_000_000;

#[derive(Debug, Default)]
struct ProcessEntry {
    pid: u32,
    name: String,
    path: Option<String>,
    flows: u64,
    packets: u64,
    bytes: u64,
}

/// Everything per-frame processing updates (apart from the reader).
pub(crate) struct FrameStage {
    first_ns: Option<i64>,
    last_ns: i64,
    packets: u64,
    bytes: u64,
    captured_bytes: u64,
    malformed: u64,
    reasons: Vec<report_types::Reason>,
    unknown_link_type: u64,
    interface_packets: Vec<u64>,
    /// First and last capture time per interface (by index, as `interface_packets`).
    interface_span: Vec<(i64, i64)>,
    link_types_seen: Vec<u32>,
    flows: FlowTable,
    endpoints: EndpointTable,
    defrag: Defragmenter,
    processes: Vec<ProcessEntry>,
    process_index: FastMap<(u32, String), usize>,
    /// (flow id, process) pairs seen, so a process counts every flow it took part in (on
    /// loopback both ends of a flow are processes of this host).
    process_flows: FastSet<(u64, usize)>,
    tcp: TcpStreams,
    /// ICMP errors by the flow they quote.
    icmp: icmp::IcmpByFlow,
    /// Which analyzer owns each TCP flow (decided on its first payload; None = nobody).
    tcp_owners: FastMap<u64, Option<ProtocolId>>,
    max_tcp_owners: usize,
    /// The bytes the current TCP segment released, and the length of each delivery (kept to
    /// reuse their allocations).
    tcp_released: Vec<u8>,
    tcp_pieces: Vec<u32>,
    /// Path prefixes handed to the protocol stage by number.
    prefixes: Prefixes,
    /// Every frame in the hierarchy and the timeline.
    counts: counts::FrameCounts,
    /// The last frame's layers and their prefix number.
    last_prefix: Option<(Layers, u32)>,
    /// The protocol stage, here or on its own thread.
    stage: ProtocolsOn,
    /// Use a second thread where one helps ([`Options::parallel`]).
    parallel: bool,
    /// [`Options::budget`], for the report's `limits.tables`.
    budget: usize,
}

/// A frame's layers up to the transport: its link layers, then up to two more names (network,
/// transport). Smaller than a [`Path`], and compared without looking at text, because it is
/// built for every frame.
#[derive(Clone, Copy)]
struct Layers {
    link: link::LinkPath,
    more: [&'static str; 2],
    len: u8,
}

impl Layers {
    fn new(link: link::LinkPath) -> Self {
        Layers {
            link,
            more: [""; 2],
            len: 0,
        }
    }

    fn push(&mut self, name: &'static str) {
        if let Some(slot) = self.more.get_mut(usize::from(self.len)) {
            *slot = name;
            self.len += 1;
        }
    }

    fn more(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.more[..usize::from(self.len)].iter().copied()
    }

    /// The same layers: every name is a literal, so the same text is at the same address (a
    /// literal repeated elsewhere only costs a second lookup).
    fn same(&self, other: &Layers) -> bool {
        self.link == other.link
            && self.len == other.len
            && self
                .more()
                .zip(other.more())
                .all(|(a, b)| std::ptr::eq(a, b))
    }
}

/// Where the protocol stage runs.
enum ProtocolsOn {
    /// On the caller's thread, frame by frame.
    ThisThread(Box<ProtocolStage>),
    /// On a second thread, in batches ([`crate::protocol_thread`]).
    #[cfg(not(target_arch = "wasm32"))]
    OwnThread(Box<crate::protocol_thread::Worker>),
}

/// The protocol stage for these options: on its own thread when asked for and possible.
fn protocols_on(options: &Options) -> ProtocolsOn {
    #[cfg(target_arch = "wasm32")]
    let _ = options.parallel;
    #[cfg(not(target_arch = "wasm32"))]
    if options.parallel {
        let stage = ProtocolStage::with_budget(options.budget);
        if let Some(worker) = crate::protocol_thread::Worker::spawn(stage) {
            return ProtocolsOn::OwnThread(Box::new(worker));
        }
    }
    ProtocolsOn::ThisThread(Box::new(ProtocolStage::with_budget(options.budget)))
}

impl FrameStage {
    /// A stage with the given bounds.
    pub(crate) fn new(options: &Options) -> Self {
        FrameStage {
            first_ns: None,
            last_ns: i64::MIN,
            packets: 0,
            bytes: 0,
            captured_bytes: 0,
            malformed: 0,
            reasons: Vec::new(),
            unknown_link_type: 0,
            interface_packets: Vec::new(),
            interface_span: Vec::new(),
            link_types_seen: Vec::new(),
            flows: FlowTable::new(options.max_flows),
            endpoints: EndpointTable::new(options.max_endpoints),
            defrag: Defragmenter::new(
                options.max_fragment_bytes,
                options.max_fragment_datagrams,
                options.fragment_timeout_ns,
            ),
            processes: Vec::new(),
            process_index: FastMap::default(),
            process_flows: FastSet::default(),
            tcp: TcpStreams::new(
                options.max_tcp_stream_bytes,
                options.max_tcp_bytes,
                options.max_tcp_streams,
            ),
            icmp: icmp::IcmpByFlow::new(crate::budget::ICMP_FLOWS.bound(options.budget)),
            tcp_owners: FastMap::default(),
            max_tcp_owners: options.max_flows,
            tcp_released: Vec::new(),
            tcp_pieces: Vec::new(),
            prefixes: Prefixes::default(),
            counts: counts::FrameCounts::default(),
            last_prefix: None,
            stage: protocols_on(options),
            parallel: options.parallel,
            budget: options.budget,
        }
    }

    /// Frames seen so far.
    pub(crate) fn packets(&self) -> u64 {
        self.packets
    }

    /// Flows held.
    pub(crate) fn flows(&self) -> usize {
        self.flows.len()
    }

    /// What the analyzers found so far, when they run on this thread.
    pub(crate) fn found(&self) -> Option<Found> {
        match &self.stage {
            ProtocolsOn::ThisThread(stage) => Some(stage.protocols.found()),
            #[cfg(not(target_arch = "wasm32"))]
            ProtocolsOn::OwnThread(_) => None,
        }
    }

    /// Ends the analysis: pending fragments dropped, the protocol stage joined, the report built.
    pub(crate) fn finish(mut self, stats: &ReaderStats, ending: capture::Ending) -> Report {
        self.defrag.finish();
        let stage =
            match std::mem::replace(&mut self.stage, ProtocolsOn::ThisThread(Box::default())) {
                ProtocolsOn::ThisThread(stage) => *stage,
                #[cfg(not(target_arch = "wasm32"))]
                ProtocolsOn::OwnThread(worker) => worker.finish(&mut Returned {
                    flows: &mut self.flows,
                    counts: &mut self.counts,
                }),
            };
        self.into_report(stage, stats, ending)
    }

    fn malformed(&mut self, frame: u64, reason: String) {
        self.malformed += 1;
        if let Some(r) = self.reasons.iter_mut().find(|r| r.reason == reason) {
            r.count += 1;
        } else if self.reasons.len() < MAX_REASONS {
            self.reasons.push(report_types::Reason {
                reason,
                count: 1,
                first_frame: frame,
            });
        }
    }

    fn process_for(&mut self, frame: &Frame<'_>, pktap: Option<&link::PktapMeta>) -> Option<usize> {
        let (pid, name, path) = if let Some(p) = frame.process {
            (p.pid, p.name.as_str(), p.path.as_deref())
        } else if let Some(meta) = pktap {
            (meta.pid?, meta.command.as_str(), None)
        } else {
            return None;
        };
        if let Some(&i) = self.process_index.get(&(pid, name.to_owned())) {
            return Some(i);
        }
        if self.processes.len() >= MAX_PROCESSES {
            return None;
        }
        let i = self.processes.len();
        self.processes.push(ProcessEntry {
            pid,
            name: name.to_owned(),
            path: path.map(str::to_owned),
            ..Default::default()
        });
        self.process_index.insert((pid, name.to_owned()), i);
        Some(i)
    }

    pub(crate) fn on_frame(&mut self, frame: Frame<'_>) {
        let bytes = u64::from(frame.orig_len);
        if frame.ts_ns == i64::MIN || frame.ts_ns == i64::MAX {
            // The reader saturates a time that nanoseconds since 1970 cannot hold: the frame is
            // read, and its time counted as a problem.
            self.malformed(
                frame.index,
                "timestamp outside the years 1677–2262 (held at the nearest end)".into(),
            );
        }
        self.packets += 1;
        self.bytes += bytes;
        self.captured_bytes += frame.data.len() as u64;
        self.first_ns = Some(self.first_ns.map_or(frame.ts_ns, |f| f.min(frame.ts_ns)));
        self.last_ns = self.last_ns.max(frame.ts_ns);
        let iface = frame.interface as usize;
        if iface < 65_536 {
            if self.interface_packets.len() <= iface {
                self.interface_packets.resize(iface + 1, 0);
                self.interface_span.resize(iface + 1, (i64::MAX, i64::MIN));
            }
            self.interface_packets[iface] += 1;
            let span = &mut self.interface_span[iface];
            *span = (span.0.min(frame.ts_ns), span.1.max(frame.ts_ns));
        }
        if !self.link_types_seen.contains(&frame.link_type) && self.link_types_seen.len() < 64 {
            self.link_types_seen.push(frame.link_type);
        }

        let link = match link::decode(frame.link_type, frame.data) {
            Ok(link) => link,
            Err(LinkError::Unsupported(_)) => {
                self.unknown_link_type += 1;
                return;
            }
            Err(e) => {
                self.malformed(frame.index, e.to_string());
                return;
            }
        };
        let mut path = Layers::new(link.path);
        let process = self.process_for(&frame, link.pktap.as_deref());
        if let Some(p) = process {
            let entry = &mut self.processes[p];
            entry.packets += 1;
            entry.bytes += bytes;
        }
        let ip = match net::decode_network(link.next, link.payload) {
            Ok(Network::Ip(ip)) => ip,
            Ok(Network::Arp) => {
                path.push("arp");
                return self.count_only(&path, bytes, frame.ts_ns);
            }
            Ok(Network::Other(_)) => return self.count_only(&path, bytes, frame.ts_ns),
            Err(e) => {
                self.malformed(frame.index, e.to_string());
                return self.count_only(&path, bytes, frame.ts_ns);
            }
        };
        path.push(if ip.version == 4 { "ip" } else { "ipv6" });
        let reassembled;
        let payload = match ip.fragment {
            None => ip.payload,
            Some(fragment) => match self.defrag.push(
                ip.src,
                ip.dst,
                ip.protocol,
                fragment,
                ip.payload,
                frame.ts_ns,
            ) {
                Some(whole) => {
                    reassembled = whole;
                    &reassembled[..]
                }
                None => {
                    self.endpoints.record(ip.src, ip.dst, bytes);
                    return self.count_only(&path, bytes, frame.ts_ns);
                }
            },
        };
        let segment = |transport, src, dst, payload, flow| Segment {
            frame: frame.index,
            ts_ns: frame.ts_ns,
            transport,
            src,
            dst,
            payload,
            flow,
        };
        let sockets = |src_port, dst_port| {
            (
                SocketAddr::new(ip.src, src_port),
                SocketAddr::new(ip.dst, dst_port),
            )
        };
        let work = match net::decode_transport(ip.protocol, payload) {
            Ok(Tp::Udp {
                src_port,
                dst_port,
                payload,
            }) => {
                path.push("udp");
                let (src, dst) = sockets(src_port, dst_port);
                let flow = self.flow(Transport::Udp, src, dst, bytes, &frame, process);
                Handoff {
                    job: Delivery::Udp(segment(Transport::Udp, src, dst, payload, flow.id)),
                    prefix: self.prefix(&path),
                    bytes,
                    ts_ns: frame.ts_ns,
                    slot: Some(flow.slot),
                }
            }
            Ok(Tp::Tcp {
                src_port,
                dst_port,
                seq,
                flags,
                payload,
            }) => {
                path.push("tcp");
                let (src, dst) = sockets(src_port, dst_port);
                let flow = self.flow(Transport::Tcp, src, dst, bytes, &frame, process);
                let seg = segment(Transport::Tcp, src, dst, payload, flow.id);
                let (mut released, mut pieces) = (
                    std::mem::take(&mut self.tcp_released),
                    std::mem::take(&mut self.tcp_pieces),
                );
                released.clear();
                pieces.clear();
                let (owner, app) = self.tcp_segment(
                    &seg,
                    seq,
                    flags.syn,
                    if flags.rst {
                        Close::Rst
                    } else if flags.fin {
                        Close::Fin
                    } else {
                        Close::No
                    },
                    &mut released,
                    &mut pieces,
                );
                let work = Handoff {
                    job: Delivery::Tcp(
                        Segment {
                            payload: &released,
                            ..seg
                        },
                        TcpDelivery {
                            owner,
                            app,
                            pieces: &pieces,
                        },
                    ),
                    prefix: self.prefix(&path),
                    bytes,
                    ts_ns: frame.ts_ns,
                    slot: Some(flow.slot),
                };
                self.hand_over(&work);
                (self.tcp_released, self.tcp_pieces) = (released, pieces);
                return;
            }
            Ok(Tp::Icmp { v6, error, .. }) => {
                self.endpoints.record(ip.src, ip.dst, bytes);
                if let Some(error) = error {
                    self.icmp.record(&self.flows, &error, ip.src, frame.ts_ns);
                }
                path.push(if v6 { "icmpv6" } else { "icmp" });
                return self.count_only(&path, bytes, frame.ts_ns);
            }
            Ok(Tp::Other { protocol, payload }) => {
                self.endpoints.record(ip.src, ip.dst, bytes);
                let (src, dst) = sockets(0, 0);
                Handoff {
                    job: Delivery::Ip(segment(Transport::Ip(protocol), src, dst, payload, 0)),
                    prefix: self.prefix(&path),
                    bytes,
                    ts_ns: frame.ts_ns,
                    slot: None,
                }
            }
            Err(e) => {
                self.endpoints.record(ip.src, ip.dst, bytes);
                self.malformed(frame.index, e.to_string());
                return self.count_only(&path, bytes, frame.ts_ns);
            }
        };
        self.hand_over(&work);
    }

    /// A TCP segment: the stream's owner (decided on its first payload), and for a claimed
    /// stream the in-order bytes the segment releases, appended to `released` with each
    /// delivery's length in `pieces`. Returns the owner and the frame's protocol name.
    fn tcp_segment(
        &mut self,
        seg: &Segment<'_>,
        seq: u32,
        syn: bool,
        close: Close,
        released: &mut Vec<u8>,
        pieces: &mut Vec<u32>,
    ) -> (Option<ProtocolId>, Option<&'static str>) {
        let flow = seg.flow;
        if syn && !self.tcp_owners.contains_key(&flow) {
            self.tcp.syn(seg.src, seg.dst, seq);
        }
        let owner = if seg.payload.is_empty() {
            self.tcp_owners.get(&flow).copied().flatten()
        } else {
            if self.tcp_owners.len() >= self.max_tcp_owners && !self.tcp_owners.contains_key(&flow)
            {
                // Bounded like the flow table: keep the streams being reassembled, forget the
                // rest (re-decided on their next payload).
                self.tcp_owners.retain(|_, owner| owner.is_some());
                if self.tcp_owners.len() >= self.max_tcp_owners {
                    self.tcp_owners.clear();
                }
            }
            *self
                .tcp_owners
                .entry(flow)
                .or_insert_with(|| registry::claim_stream(seg))
        };
        match owner {
            Some(owner) => {
                self.tcp.segment(
                    seg.src,
                    seg.dst,
                    seq,
                    syn,
                    close,
                    seg.payload,
                    &mut |bytes| {
                        pieces.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
                        released.extend_from_slice(bytes);
                    },
                );
                let name = match owner.stream_name() {
                    _ if seg.payload.is_empty() => None,
                    Some(name) => Some(name),
                    None => classify::tcp(seg.src.port(), seg.dst.port(), seg.payload),
                };
                (Some(owner), name)
            }
            None => (
                None,
                classify::tcp(seg.src.port(), seg.dst.port(), seg.payload),
            ),
        }
    }

    /// Hands over a frame that only counts (no analyzer looks at it).
    fn count_only(&mut self, path: &Layers, bytes: u64, ts_ns: i64) {
        let work = Handoff {
            job: Delivery::Count,
            prefix: self.prefix(path),
            bytes,
            ts_ns,
            slot: None,
        };
        self.hand_over(&work);
    }

    /// The number of a path prefix, defined in the hierarchy when new. Consecutive frames
    /// mostly share their layers, so the last answer is kept.
    fn prefix(&mut self, layers: &Layers) -> u32 {
        if let Some((last, id)) = &self.last_prefix {
            if last.same(layers) {
                return *id;
            }
        }
        let mut path = Path::default();
        for name in layers.link.iter().chain(layers.more()) {
            path.push(name);
        }
        let (id, new) = self.prefixes.id(&path);
        if let Some(path) = new {
            self.counts.define(id, path);
        }
        self.last_prefix = Some((*layers, id));
        id
    }

    /// Gives a frame to the protocol stage: at once, or queued for its thread. The frame is
    /// counted under the leaf that comes back, and names go to their flows.
    fn hand_over(&mut self, work: &Handoff<'_>) {
        let mut returned = Returned {
            flows: &mut self.flows,
            counts: &mut self.counts,
        };
        match &mut self.stage {
            ProtocolsOn::ThisThread(stage) => {
                let Named { leaf, app } = stage.run(work);
                returned.count(work.prefix, leaf, work.bytes, work.ts_ns);
                if let (Some(app), Some(slot)) = (app, work.slot) {
                    returned.name(slot, work.flow(), app);
                }
            }
            #[cfg(not(target_arch = "wasm32"))]
            ProtocolsOn::OwnThread(worker) => worker.push(work, &mut returned),
        }
    }

    /// Counts a packet of `frame` in its flow and in the endpoint table (through the flow's
    /// endpoint slots) and attributes the flow to a process.
    fn flow(
        &mut self,
        transport: Transport,
        src: SocketAddr,
        dst: SocketAddr,
        bytes: u64,
        frame: &Frame<'_>,
        process: Option<usize>,
    ) -> FlowRef {
        let r = self.flows.record(transport, src, dst, bytes, frame.ts_ns);
        let endpoints = &mut self.endpoints;
        let Some(flow) = self.flows.at_mut(r.slot) else {
            endpoints.record(src.ip(), dst.ip(), bytes);
            return r;
        };
        if r.created {
            let (lo, hi) = if r.src_is_lo { (src, dst) } else { (dst, src) };
            flow.endpoints = [endpoints.slot(lo.ip()), endpoints.slot(hi.ip())];
            flow.interface = frame.interface;
        }
        let [lo, hi] = flow.endpoints;
        if r.src_is_lo {
            endpoints.record_slots(lo, hi, bytes);
        } else {
            endpoints.record_slots(hi, lo, bytes);
        }
        if let Some(p) = process {
            if flow.process.is_none() {
                flow.process = Some(p);
            }
            if self.process_flows.len() < MAX_PROCESS_FLOWS
                && self.process_flows.insert((flow.id, p))
            {
                self.processes[p].flows += 1;
            }
        }
        r
    }
}

/// Where what the protocol stage says of a frame goes: its leaf to the counts, a flow's name
/// to the flow table.
struct Returned<'a> {
    flows: &'a mut FlowTable,
    counts: &'a mut counts::FrameCounts,
}

impl Back for Returned<'_> {
    /// Names a flow's application protocol, once (the first name sticks); `slot` and `id` from
    /// [`FlowTable::record`] (a flow evicted since is left alone).
    fn name(&mut self, slot: usize, id: u64, app: &'static str) {
        if let Some(flow) = self.flows.at_mut(slot).filter(|f| f.id == id) {
            if flow.protocol.is_none() {
                flow.protocol = Some(app);
            }
        }
    }

    fn count(&mut self, prefix: u32, leaf: Option<&'static str>, bytes: u64, ts_ns: i64) {
        self.counts.add(prefix, leaf, bytes, ts_ns);
    }
}
