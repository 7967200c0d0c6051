//! The second half of the per-frame pipeline: protocol analyzers, TCP reassembly and the protocol
//! hierarchy.
//!
//! The first half ([`crate::analyzer`]: link → IP → UDP/TCP, flows, endpoints, processes) hands
//! every frame over as a [`Work`]. The halves share nothing else: the only thing that flows back
//! is the application protocol that names a flow. In the browser both run one after the other on
//! each frame; natively [`crate::pipeline`] runs this half on a second thread, in frame order, so
//! the report is the same either way.

use crate::FastMap;

use callscope_wire::net;

use crate::classify;
use crate::flows::Transport;
use crate::hierarchy::Hierarchy;
use crate::protocols::{Protocols, Segment, StreamOwner};
use crate::tcp::TcpStreams;
use crate::Options;

/// TCP header facts the reassembler needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpMeta {
    /// Sequence number.
    pub seq: u32,
    /// SYN set.
    pub syn: bool,
    /// FIN or RST set.
    pub fin: bool,
}

/// What a frame asks of this half.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Job<'a> {
    /// Only the hierarchy count (ARP, ICMP, fragments waiting for the rest, …).
    Count,
    /// A UDP datagram (reassembled if it was fragmented).
    Udp(Segment<'a>),
    /// A TCP segment.
    Tcp(Segment<'a>, TcpMeta),
    /// Another IP protocol (ESP); ports are 0 and the flow is 0.
    Ip(Segment<'a>),
}

/// One frame for this half.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Work<'a> {
    /// What to do.
    pub job: Job<'a>,
    /// The protocol path so far (link, network, transport), numbered by
    /// [`crate::hierarchy::Prefixes`] and defined in this half's hierarchy beforehand.
    pub prefix: u32,
    /// The frame's length on the wire.
    pub bytes: u64,
    /// The flow's slot in the flow table ([`NO_SLOT`] without a flow).
    pub slot: usize,
}

/// No flow-table slot.
pub(crate) const NO_SLOT: usize = usize::MAX;

impl Work<'_> {
    /// The flow id (0 without a flow).
    pub fn flow(&self) -> u64 {
        match self.job {
            Job::Udp(seg) | Job::Tcp(seg, _) => seg.flow,
            Job::Count | Job::Ip(_) => 0,
        }
    }
}

/// Protocol analyzers, TCP reassembly and the hierarchy.
pub(crate) struct Back {
    pub protocols: Protocols,
    pub tcp: TcpStreams,
    /// Which analyzer owns each TCP flow (decided on its first payload; None = nobody).
    tcp_owners: FastMap<u64, Option<StreamOwner>>,
    max_tcp_owners: usize,
    pub hierarchy: Hierarchy,
}

impl Default for Back {
    fn default() -> Self {
        Back::new(&Options::default())
    }
}

impl Back {
    pub fn new(options: &Options) -> Self {
        Back {
            protocols: Protocols::default(),
            tcp: TcpStreams::new(
                options.max_tcp_stream_bytes,
                options.max_tcp_bytes,
                options.max_tcp_streams,
            ),
            tcp_owners: FastMap::default(),
            max_tcp_owners: options.max_flows,
            hierarchy: Hierarchy::default(),
        }
    }

    /// Analyses one frame; returns the application protocol that names its flow, if any.
    pub fn run(&mut self, work: &Work<'_>) -> Option<&'static str> {
        let (leaf, app) = match work.job {
            Job::Count => (None, None),
            Job::Udp(seg) => {
                let app = self
                    .protocols
                    .udp(&seg)
                    .or_else(|| classify::udp(seg.src.port(), seg.dst.port(), seg.payload));
                (app, app)
            }
            Job::Tcp(seg, meta) => {
                let app = self.tcp(&seg, meta);
                (app, app)
            }
            Job::Ip(seg) => {
                let name = self
                    .protocols
                    .ip(&seg)
                    .or_else(|| ip_protocol_name(seg.ip_protocol));
                (name, None)
            }
        };
        self.hierarchy.add_to(work.prefix, leaf, work.bytes);
        app
    }

    fn tcp(&mut self, seg: &Segment<'_>, meta: TcpMeta) -> Option<&'static str> {
        debug_assert_eq!(seg.transport, Transport::Tcp);
        let flow = seg.flow;
        if meta.syn && !self.tcp_owners.contains_key(&flow) {
            self.tcp.syn(seg.src, seg.dst, meta.seq);
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
            let protocols = &mut self.protocols;
            *self
                .tcp_owners
                .entry(flow)
                .or_insert_with(|| protocols.claim_tcp(seg))
        };
        match owner {
            Some(owner) => {
                let protocols = &mut self.protocols;
                self.tcp.segment(
                    seg.src,
                    seg.dst,
                    meta.seq,
                    meta.syn,
                    meta.fin,
                    seg.payload,
                    &mut |bytes| {
                        protocols.tcp_bytes(
                            owner,
                            &Segment {
                                payload: bytes,
                                ..*seg
                            },
                        );
                    },
                );
                (!seg.payload.is_empty()).then(|| owner.name())
            }
            None => classify::tcp(seg.src.port(), seg.dst.port(), seg.payload),
        }
    }
}

/// tshark's names for IP protocols other than UDP/TCP/ICMP that show up in call captures.
fn ip_protocol_name(protocol: u8) -> Option<&'static str> {
    match protocol {
        net::proto::ESP => Some("esp"),
        2 => Some("igmp"),
        4 => Some("ip"),
        41 => Some("ipv6"),
        47 => Some("gre"),
        51 => Some("ah"),
        132 => Some("sctp"),
        _ => None,
    }
}
