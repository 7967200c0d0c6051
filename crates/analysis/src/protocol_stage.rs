//! The protocol stage of the per-frame pipeline: the protocol analyzers, the protocol hierarchy
//! and the timeline.
//!
//! The frame stage ([`crate::analyzer`]: link → IP → UDP/TCP, flows, endpoints, processes, and TCP
//! reassembly for the streams an analyzer claims) hands every frame over as a [`Handoff`]. The stages
//! share nothing else: the only thing that flows back is the application protocol that names a
//! flow. In the browser both run one after the other on
//! each frame; natively [`crate::protocol_thread`] runs this stage on a second thread, in frame order, so
//! the report is the same either way.

use callscope_wire::net;

use crate::classify;
use crate::flows::Transport;
use crate::hierarchy::Hierarchy;
use crate::protocols::{FinishContext, Sections, Segment};
use crate::registry::{self, ProtocolId, Protocols};
use crate::report::HierarchyNode;
use crate::timeline::{self, Timeline, TimelineReport};

/// A TCP segment as the frame stage reassembled it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpDelivery<'a> {
    /// The analyzer that claimed the stream.
    pub owner: Option<ProtocolId>,
    /// The name of the frame's protocol (the owner's, or a port/payload guess).
    pub app: Option<&'static str>,
    /// The lengths of the in-order pieces the segment released (the segment's payload holds
    /// them one after the other); each goes to the owner as a delivery of its own.
    pub pieces: &'a [u32],
}

/// What a frame asks of this stage.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Delivery<'a> {
    /// Only the hierarchy count (ARP, ICMP, fragments waiting for the rest, …).
    Count,
    /// A UDP datagram (reassembled if it was fragmented).
    Udp(Segment<'a>),
    /// A TCP segment; the segment's payload is the in-order bytes it released.
    Tcp(Segment<'a>, TcpDelivery<'a>),
    /// Another IP protocol (ESP); ports are 0 and the flow is 0.
    Ip(Segment<'a>),
}

/// One frame for this stage.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Handoff<'a> {
    /// What to do.
    pub job: Delivery<'a>,
    /// The protocol path so far (link, network, transport), numbered by
    /// [`crate::hierarchy::Prefixes`] and defined in this stage's hierarchy beforehand.
    pub prefix: u32,
    /// The frame's length on the wire.
    pub bytes: u64,
    /// The frame's capture time, ns since the epoch.
    pub ts_ns: i64,
    /// The flow's slot in the flow table (None without a flow).
    pub slot: Option<usize>,
}

impl Handoff<'_> {
    /// The flow id (0 without a flow).
    pub fn flow(&self) -> u64 {
        match self.job {
            Delivery::Udp(seg) | Delivery::Tcp(seg, _) => seg.flow,
            Delivery::Count | Delivery::Ip(_) => 0,
        }
    }
}

/// Protocol analyzers, the hierarchy and the timeline.
#[derive(Default)]
pub(crate) struct ProtocolStage {
    pub protocols: Protocols,
    pub hierarchy: Hierarchy,
    pub timeline: Timeline,
    /// The last leaf, its innermost level and its family: consecutive frames mostly share
    /// their leaf, and every leaf is a literal, so its address identifies it (as in
    /// `hierarchy::Path`). Splitting the name for every frame was 5 % of this stage's work.
    last_leaf: Option<LeafFacts>,
}

/// What [`ProtocolStage::run`] derives from a hierarchy leaf.
#[derive(Debug, Clone, Copy)]
struct LeafFacts {
    /// The leaf's address and length.
    id: (usize, usize),
    /// Its innermost level (`esp` of `udpencap/esp`).
    innermost: Option<&'static str>,
    /// Its [`timeline::family`].
    family: usize,
}

impl ProtocolStage {
    /// A stage whose analyzers' tables fit their shares of `budget` bytes.
    pub fn with_budget(budget: usize) -> Self {
        ProtocolStage {
            protocols: Protocols::with_budget(budget),
            ..ProtocolStage::default()
        }
    }

    /// Analyses one frame; returns the application protocol that names its flow, if any.
    pub fn run(&mut self, work: &Handoff<'_>) -> Option<&'static str> {
        // The application name: the UDP leaf's innermost level, or the TCP stream's.
        let (leaf, tcp_app) = match work.job {
            Delivery::Count => (None, None),
            Delivery::Udp(seg) => {
                let leaf = self
                    .protocols
                    .udp(&seg)
                    .or_else(|| classify::udp(seg.src.port(), seg.dst.port(), seg.payload));
                (leaf, None)
            }
            Delivery::Tcp(seg, tcp) => {
                if let Some(owner) = tcp.owner {
                    let mut at = 0;
                    for &len in tcp.pieces {
                        let end = (at + len as usize).min(seg.payload.len());
                        let piece = Segment {
                            payload: &seg.payload[at..end],
                            ..seg
                        };
                        self.protocols.stream_bytes(owner, &piece);
                        at = end;
                    }
                }
                (tcp.app, tcp.app)
            }
            Delivery::Ip(seg) => {
                let name = self.protocols.ip(&seg).or_else(|| match seg.transport {
                    Transport::Ip(protocol) => ip_protocol_name(protocol),
                    Transport::Udp | Transport::Tcp => None,
                });
                (name, None)
            }
        };
        self.hierarchy.add_to(work.prefix, leaf, work.bytes);
        let facts = self.leaf_facts(leaf);
        self.timeline.add(work.ts_ns, facts.family, work.bytes);
        match work.job {
            Delivery::Udp(_) => facts.innermost,
            _ => tcp_app,
        }
    }

    /// The innermost level and family of `leaf`, from the last frame's when it is the same.
    fn leaf_facts(&mut self, leaf: Option<&'static str>) -> LeafFacts {
        let id = leaf.map_or((0, 0), |l| (l.as_ptr() as usize, l.len()));
        match self.last_leaf {
            Some(last) if last.id == id => last,
            _ => {
                let innermost = leaf.map(innermost);
                let facts = LeafFacts {
                    id,
                    innermost,
                    family: timeline::family(innermost),
                };
                self.last_leaf = Some(facts);
                facts
            }
        }
    }
}

/// The innermost level of a hierarchy name (`esp` of `udpencap/esp`).
fn innermost(name: &'static str) -> &'static str {
    name.rsplit('/').next().unwrap_or(name)
}

/// This stage's part of the report.
pub(crate) struct ProtocolStageReport {
    pub hierarchy: Vec<HierarchyNode>,
    /// The protocol analyzers' sections, calls bound to their media.
    pub sections: Sections,
    pub timeline: TimelineReport,
}

impl ProtocolStage {
    /// Ends the analysis: the protocol reports (calls bound to their media) and the hierarchy,
    /// with `meanwhile` (the frame stage's own report sections) run on this thread too. With
    /// `parallel` (ignored on wasm32) the sections of analyzers that finish apart (RTP and
    /// RTCP, the largest) are built on a thread of their own at the same time: on a capture with
    /// thousands of streams this is a few percent of the run.
    pub fn finish<T>(
        self,
        ctx: &FinishContext,
        parallel: bool,
        meanwhile: impl FnOnce() -> T,
    ) -> (ProtocolStageReport, T) {
        let (here, apart) = self.protocols.into_finishing();
        let hierarchy = self.hierarchy;
        let timeline = self.timeline.finish(ctx.start_ns);
        let rest = move || {
            let early = meanwhile();
            (early, here.finish(ctx), hierarchy.nodes())
        };
        let ((early, places, hierarchy), apart) =
            finish_beside(parallel, rest, move || apart.finish(ctx));
        let mut sections = registry::place(places.into_iter().chain(apart));
        crate::correlate::calls_and_media(&mut sections.sip, &mut sections.rtp);
        let report = ProtocolStageReport {
            hierarchy,
            sections,
            timeline,
        };
        (report, early)
    }
}

/// Runs `here` on this thread and `beside` on a scoped thread when `parallel` allows and a
/// thread can be started (else one after the other); a panic in either is this thread's.
fn finish_beside<A, B: Send + Default>(
    parallel: bool,
    here: impl FnOnce() -> A,
    beside: impl FnOnce() -> B + Send,
) -> (A, B) {
    #[cfg(not(target_arch = "wasm32"))]
    if parallel {
        // Whichever thread takes the job runs it: the new one, or this one if none could start.
        let job = std::sync::Mutex::new(Some(beside));
        let take = || job.lock().ok().and_then(|mut j| j.take()).map(|f| f());
        return std::thread::scope(|scope| {
            let spawned = std::thread::Builder::new().spawn_scoped(scope, take);
            let a = here();
            let b = match spawned {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(_) => take(),
            };
            // `None` only if neither ran it, which cannot happen.
            (a, b.unwrap_or_default())
        });
    }
    #[cfg(target_arch = "wasm32")]
    let _ = parallel;
    (here(), beside())
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
