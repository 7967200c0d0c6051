//! The protocol stage of the per-frame pipeline: the protocol analyzers, which name each frame's
//! hierarchy leaf.
//!
//! The frame stage ([`crate::frame_stage`]: link → IP → UDP/TCP, flows, endpoints, processes, TCP
//! reassembly for the streams an analyzer claims, and the hierarchy and timeline counts) hands
//! every frame over as a [`Handoff`]. The stages share nothing else: what flows back is each
//! frame's leaf ([`Named`]), for the frame stage to count, and the application protocol that
//! names a flow. In the browser both run one after the other on
//! each frame; natively [`crate::protocol_thread`] runs this stage on a second thread, in frame order, so
//! the report is the same either way.

use callscope_wire::net;

use crate::classify;
use crate::flows::Transport;
use crate::hierarchy;
use crate::protocols::{FinishContext, Sections, Segment};
use crate::registry::{self, ProtocolId, Protocols};

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
    /// Nothing but the counts (ARP, ICMP, fragments waiting for the rest, …).
    Count,
    /// A UDP datagram (reassembled if it was fragmented).
    Udp(Segment<'a>),
    /// A TCP segment; the segment's payload is the in-order bytes it released.
    Tcp(Segment<'a>, TcpDelivery<'a>),
    /// Another IP protocol (ESP); ports are 0 and the flow is 0.
    Ip(Segment<'a>),
}

/// Where what this stage says of each frame goes, in frame order (at once, or as batches come
/// back from its thread): the frame stage counts the frame under its leaf and names flows.
pub(crate) trait Back {
    /// Flow `id`, at flow-table slot `slot`, carries application protocol `app`.
    fn name(&mut self, slot: usize, id: u64, app: &'static str);
    /// A frame's hierarchy leaf, with its prefix, length and time.
    fn count(&mut self, prefix: u32, leaf: Option<&'static str>, bytes: u64, ts_ns: i64);
}

/// One frame for this stage.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Handoff<'a> {
    /// What to do.
    pub job: Delivery<'a>,
    /// The protocol path so far (link, network, transport), numbered by
    /// [`crate::hierarchy::Prefixes`].
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

/// The protocol analyzers.
#[derive(Default)]
pub(crate) struct ProtocolStage {
    pub protocols: Protocols,
    /// The last leaf (its address and length) and its innermost level: consecutive frames
    /// mostly share their leaf, and every leaf is a literal, so its address identifies it (as
    /// in `hierarchy::Path`). Splitting the name for every frame was 5 % of this stage's work.
    last_leaf: Option<((usize, usize), &'static str)>,
}

/// What [`ProtocolStage::run`] says of a frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Named {
    /// Its hierarchy leaf below the prefix (`rtp`, `udpencap/esp`), if an analyzer or the
    /// first-pass classification named one.
    pub leaf: Option<&'static str>,
    /// The application protocol that names its flow, if any.
    pub app: Option<&'static str>,
}

impl ProtocolStage {
    /// A stage whose analyzers' tables fit their shares of `budget` bytes.
    pub fn with_budget(budget: usize) -> Self {
        ProtocolStage {
            protocols: Protocols::with_budget(budget),
            ..ProtocolStage::default()
        }
    }

    /// Analyses one frame; says its hierarchy leaf and the application protocol that names its
    /// flow.
    pub fn run(&mut self, work: &Handoff<'_>) -> Named {
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
        let app = match work.job {
            Delivery::Udp(_) => self.innermost(leaf),
            _ => tcp_app,
        };
        Named { leaf, app }
    }

    /// The innermost level of `leaf`, from the last frame's when it is the same.
    fn innermost(&mut self, leaf: Option<&'static str>) -> Option<&'static str> {
        let leaf = leaf?;
        let id = (leaf.as_ptr() as usize, leaf.len());
        match self.last_leaf {
            Some((last, innermost)) if last == id => Some(innermost),
            _ => {
                let innermost = hierarchy::innermost(leaf);
                self.last_leaf = Some((id, innermost));
                Some(innermost)
            }
        }
    }
}

impl ProtocolStage {
    /// Ends the analysis: the protocol analyzers' sections (calls bound to their media), with
    /// `meanwhile` (the frame stage's own report sections) run on this thread too. With
    /// `parallel` (ignored on wasm32) the sections of analyzers that finish apart (RTP and
    /// RTCP, the largest) are built on a thread of their own at the same time: on a capture with
    /// thousands of streams this is a few percent of the run.
    pub fn finish<T>(
        self,
        ctx: &FinishContext,
        parallel: bool,
        meanwhile: impl FnOnce() -> T,
    ) -> (Sections, T) {
        let (here, apart) = self.protocols.into_finishing();
        let rest = move || {
            let early = meanwhile();
            (early, here.finish(ctx))
        };
        let ((early, places), apart) = finish_beside(parallel, rest, move || apart.finish(ctx));
        let mut sections = registry::place(places.into_iter().chain(apart));
        crate::correlate::calls_and_media(&mut sections.sip, &mut sections.rtp);
        (sections, early)
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
