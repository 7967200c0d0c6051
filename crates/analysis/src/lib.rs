//! # callscope-analysis
//!
//! The streaming [`Analyzer`]: capture bytes in (any chunking), a [`Report`] out. It turns frames
//! from `callscope-wire` into flows, reassembles IP fragments, classifies traffic and keeps the
//! per-protocol state the report needs, all with memory bounded by the number of flows and open
//! reassembly buffers, never by the number of packets.
//!
//! ```no_run
//! use callscope_analysis::{Analyzer, Options};
//! let mut analyzer = Analyzer::new(Options::default());
//! # let chunk = [0u8; 0];
//! analyzer.feed(&chunk)?;              // any chunk size
//! let progress = analyzer.snapshot();  // cheap, for progress display
//! let report = analyzer.finish();
//! # Ok::<(), callscope_analysis::ReadError>(())
//! ```
//!
//! It is not where bytes are parsed (that is `callscope-wire`) nor where reports are shown (the CLI
//! and the page); it has no I/O and no platform code, and builds for `wasm32`.
//!
//! ## How a frame flows
//!
//! 1. **Frames** ([`analyzer`](crate::Analyzer)): `callscope-wire` decodes link, IP and transport;
//!    IP fragments are reassembled ([`defrag`]); every UDP/TCP packet is counted once in the
//!    [`flows`] table, the endpoint table and its process; TCP streams an analyzer claimed are
//!    reassembled ([`tcp`]).
//! 2. **Protocols** (the protocol stage, on a thread of its own natively): each datagram is offered
//!    to the analyzers of the [`registry`] in order through the [`protocols::Protocol`] trait;
//!    the first that claims it names the flow and the hierarchy leaf. All that flows back to the
//!    frame stage is those names, in frame order; it counts each frame in the [`hierarchy`] and
//!    the [`timeline`] under its leaf (the protocol thread, which paces a native run, only
//!    analyses).
//! 3. **Report**: each analyzer builds its sections ([`protocols::Sections`]), calls are linked
//!    to their media, and the frame stage adds capture facts, endpoints, conversations and
//!    processes ([`report`]).
//!
//! The report keeps addresses, processes, transports, SSRCs and states typed
//! ([`report::Socket`], [`report::Ip`] from `callscope-facts`, [`report::ProcessRef`],
//! [`report::Transport`], [`report::Ssrc`], [`sip::report::CallState`], [`ike::TunnelState`]…):
//! they are written as the JSON contract's text (`192.0.2.1:5060`, `sipd (42)`, `udp`,
//! `0x5711bf84`, `in progress`) only when serialized, so verdicts, views, the audio and
//! extraction compare, sort and match them as values and nothing parses a report back.
//!
//! ## Adding a protocol
//!
//! 1. **Wire**: a module in `crates/wire/src/` that turns bytes into typed values (checked
//!    reads from `callscope_wire::bytes`), with a sniffer (`looks_like`, as
//!    `callscope_wire::stun::looks_like`) and tests. No state, no meaning.
//! 2. **Analysis**: a module here with an analyzer that implements [`protocols::Protocol`]:
//!    `with_budget` (each table that grows with the capture gets a [`budget::Table`] in
//!    [`budget`], its bound from the budget), `udp` for datagrams (return its hierarchy name when it claims one),
//!    `claims_stream` + `stream_bytes` for TCP, `ip` for another IP protocol, `found` for
//!    progress, and `finish`, which builds its report section and places it.
//! 3. **Registration**: one line in [`registry`]'s list, where its place decides which datagrams
//!    it sees before the others.
//! 4. **Report**: if it has a section of its own, a field in [`protocols::Sections`] and in
//!    [`Report`] (the CLI's `json_out` prints sections in order; its test fails until the new
//!    one is there). Addresses in it are [`report::Socket`] or [`report::Ip`], not text.
//! 5. **Views**: the CLI's text (`crates/cli/src/text/`) and the page (`web/src/views/`).
#![warn(missing_docs)]

pub use callscope_facts::addr;
mod analyzer;
pub mod budget;
pub mod classify;
mod correlate;
pub mod defrag;
pub mod dns;
pub mod extract;
pub mod facts;
pub mod flows;
mod frame_stage;
#[cfg(feature = "testing")]
pub mod fuzzing;
pub mod hierarchy;
pub mod ike;
pub mod mask;
pub mod names;
pub mod order;
pub mod partial;
mod protocol_stage;
#[cfg(not(target_arch = "wasm32"))]
mod protocol_thread;
pub mod protocols;
pub mod registry;
pub mod report;
pub mod rtp;
pub mod sip;
pub mod stun;
pub mod tcp;
pub mod time;
pub mod timeline;
pub mod tls;
pub mod verdicts;

pub use analyzer::{Analyzer, Found, Progress};
pub use callscope_wire::ReadError;
pub use report::Report;

/// The hash map for per-packet lookups: foldhash is several times faster than std's SipHash on
/// small keys, and its per-process random seed keeps crafted captures from forcing collisions.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// The set counterpart of [`FastMap`].
pub type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// Bounds and switches for one analysis.
///
/// Every table that grows with the capture is bounded by a share of one memory budget
/// ([`Options::with_budget`]; 128 MiB by default, natively and in the page): the shares and what
/// an entry costs are in [`budget`]. The frame stage's bounds are fields here; the protocol
/// analyzers derive theirs from [`Options::budget`].
#[derive(Debug, Clone)]
pub struct Options {
    /// The memory budget, bytes, that the bounds below and the protocol analyzers' come from.
    pub budget: usize,
    /// Flows tracked at once; the idlest are evicted (and counted) beyond this.
    pub max_flows: usize,
    /// IP addresses tracked in the endpoint table.
    pub max_endpoints: usize,
    /// Bytes held in IP fragment buffers across all datagrams.
    pub max_fragment_bytes: usize,
    /// Datagrams being reassembled at once.
    pub max_fragment_datagrams: usize,
    /// How long (capture time) a fragment waits for the rest of its datagram.
    pub fragment_timeout_ns: i64,
    /// Out-of-order TCP bytes held per stream while waiting for a gap to fill.
    pub max_tcp_stream_bytes: usize,
    /// Out-of-order TCP bytes held across all streams.
    pub max_tcp_bytes: usize,
    /// TCP streams reassembled at once.
    pub max_tcp_streams: usize,
    /// Run the protocol analyzers on a second thread (native builds; ignored on wasm32). The
    /// report is the same; large captures take about half the time on two cores.
    pub parallel: bool,
}

pub use budget::DEFAULT_BUDGET;

impl Default for Options {
    /// Limits for a native process: [`DEFAULT_BUDGET`], one thread.
    fn default() -> Self {
        Options::with_budget(DEFAULT_BUDGET)
    }
}

impl Options {
    /// Bounds derived from a memory budget in bytes (see [`budget`] for each table's share).
    pub fn with_budget(bytes: usize) -> Self {
        Options {
            budget: bytes,
            max_flows: budget::FLOWS.bound(bytes),
            max_endpoints: budget::ENDPOINTS.bound(bytes),
            max_fragment_bytes: budget::FRAGMENT_BYTES.bound(bytes),
            max_fragment_datagrams: budget::FRAGMENT_DATAGRAMS.bound(bytes),
            fragment_timeout_ns: 30_000_000_000,
            max_tcp_stream_bytes: (1 << 20).min(budget::TCP_BYTES.bound(bytes)),
            max_tcp_bytes: budget::TCP_BYTES.bound(bytes),
            max_tcp_streams: budget::TCP_STREAMS.bound(bytes),
            parallel: false,
        }
    }

    /// Limits for a browser tab: the same budget (the worker's memory is the tab's).
    pub fn for_browser() -> Self {
        Options::with_budget(DEFAULT_BUDGET)
    }
}
