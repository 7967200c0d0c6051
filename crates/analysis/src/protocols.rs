//! What every protocol analyzer implements ([`Protocol`]) and what analyzers share ([`Segment`],
//! [`Shared`], [`FinishContext`], [`Sections`]). No analyzer is named here; the list of analyzers
//! is [`crate::registry`].
//!
//! The pipeline hands every UDP datagram (after IP reassembly) to the analyzers in registration
//! order, and the first that claims it names it in the hierarchy and the flow. A TCP stream is
//! claimed on its first payload by the first analyzer whose [`Protocol::claims_stream`] says so,
//! and then delivered to it as in-order bytes (see [`crate::tcp`]). Other IP payloads (ESP) go
//! through [`Protocol::ip`]. Each analyzer builds its own report sections in
//! [`Protocol::finish`].
//!
//! Analyzers talk to each other only through [`Shared`]: SIP publishes the media endpoints that
//! SDP announced, RTP binds streams to calls with them; STUN queues the media TURN relayed, which
//! every analyzer is then offered through [`Protocol::relayed`].

use crate::FastMap;
use std::net::{IpAddr, SocketAddr};

use crate::dns::DnsReport;
use crate::flows::Transport;
use crate::ike::IkeReport;
use crate::rtp::{RtcpReport, RtpReport};
use crate::sip::SipReport;
use crate::stun::StunReport;
use crate::tls::TlsReport;
use crate::Found;

/// A UDP datagram, a TCP segment's payload, or an IP payload (ESP), with where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// Frame number (1-based, as tshark's), of the frame that completed it.
    pub frame: u64,
    /// Capture time, ns since the epoch.
    pub ts_ns: i64,
    /// UDP, TCP, or another IP protocol (ESP over IP: `Ip(50)`, with ports 0).
    pub transport: Transport,
    /// Source address and port (port 0 for ESP over IP).
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// The payload.
    pub payload: &'a [u8],
    /// Flow id (see `flows::Flow::id`; 0 for ESP over IP).
    pub flow: u64,
}

/// A payload type announced by SDP (RFC 8866 §6.6 `a=rtpmap`, or RFC 3551's static table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// Payload type number.
    pub pt: u8,
    /// Encoding name as written (`PCMU`, `AMR-WB`, `telephone-event`).
    pub codec: String,
    /// Clock rate in Hz.
    pub clock: u32,
}

/// Media that an SDP offer or answer announced at an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaExpectation {
    /// Call-ID of the dialog whose SDP announced it; empty when no SIP call did (H.248).
    pub call_id: String,
    /// Frame of the SDP.
    pub frame: u64,
    /// `audio`, `video`, …
    pub media: String,
    /// Payload types with codec names and clock rates.
    pub rtpmap: Vec<RtpMap>,
    /// RTCP shares the RTP port (RFC 5761 `a=rtcp-mux`).
    pub rtcp_mux: bool,
}

/// Where a name for an address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NameSource {
    /// A DNS answer (A/AAAA after its CNAMEs, or PTR).
    Dns,
    /// A TLS ClientHello's server name.
    Sni,
    /// A TLS server certificate's subject or subjectAltName.
    Certificate,
    /// A well-known port: a hint, not a name.
    Port,
}

impl NameSource {
    /// As the report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            NameSource::Dns => "dns",
            NameSource::Sni => "sni",
            NameSource::Certificate => "cert",
            NameSource::Port => "port",
        }
    }
}

/// A name an analyzer learned for an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameSeen {
    /// The address named.
    pub addr: IpAddr,
    /// The name (for DNS, the one asked).
    pub name: String,
    /// Where it came from.
    pub source: NameSource,
    /// DNS: the names from the one asked to the one that had the address (CNAMEs); empty when
    /// the answer named the address directly.
    pub chain: Vec<String>,
    /// When it was learned (ns since the epoch).
    pub ts_ns: i64,
    /// Frame that said it.
    pub frame: u64,
}

/// What analyzers share.
#[derive(Debug, Default)]
pub struct Shared {
    /// Media endpoints announced by SDP (connection address + media port), newest wins. RTCP is
    /// expected at port + 1 unless `rtcp_mux`.
    pub media: MediaTable,
    /// Application data a relay carried (TURN ChannelData, Data indications) since the current
    /// datagram or delivery began; offered to every analyzer's [`Protocol::relayed`] once the
    /// analyzer that queued it returns. Bounded by the queueing analyzer.
    pub relayed: Vec<Vec<u8>>,
}

/// Media endpoints by address, with a version that changes on every write, so that analyzers
/// may cache what they concluded from the table per flow ([`crate::flows::FlowMemo`]), down to
/// an entry's position ([`MediaTable::position`], valid while the version is unchanged).
#[derive(Debug, Default)]
pub struct MediaTable {
    index: FastMap<SocketAddr, u32>,
    entries: Vec<MediaExpectation>,
    version: u64,
}

impl MediaTable {
    /// The expectation at `addr`.
    pub fn get(&self, addr: &SocketAddr) -> Option<&MediaExpectation> {
        self.position(addr).and_then(|i| self.at(i))
    }

    /// Where the expectation at `addr` is.
    pub fn position(&self, addr: &SocketAddr) -> Option<u32> {
        if self.entries.is_empty() {
            return None;
        }
        self.index.get(addr).copied()
    }

    /// The expectation at a position from [`MediaTable::position`].
    pub fn at(&self, position: u32) -> Option<&MediaExpectation> {
        self.entries.get(position as usize)
    }

    /// Whether `addr` has an expectation.
    pub fn contains_key(&self, addr: &SocketAddr) -> bool {
        self.position(addr).is_some()
    }

    /// Sets the expectation at `addr` (the newest wins).
    pub fn insert(&mut self, addr: SocketAddr, e: MediaExpectation) {
        self.version += 1;
        match self.index.get(&addr) {
            Some(&i) => self.entries[i as usize] = e,
            None => {
                self.index.insert(addr, self.entries.len() as u32);
                self.entries.push(e);
            }
        }
    }

    /// Endpoints held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No endpoint held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Changes with every write.
    pub fn version(&self) -> u64 {
        self.version
    }
}

impl std::ops::Index<&SocketAddr> for MediaTable {
    type Output = MediaExpectation;
    fn index(&self, addr: &SocketAddr) -> &MediaExpectation {
        &self.entries[self.index[addr] as usize]
    }
}

/// Context for building report sections.
#[derive(Debug, Clone, Copy)]
pub struct FinishContext {
    /// Time of the capture's first packet (ns since the epoch).
    pub start_ns: i64,
}

impl FinishContext {
    /// Seconds since the capture's first packet.
    pub fn rel(&self, ts_ns: i64) -> f64 {
        crate::time::secs_between(self.start_ns, ts_ns)
    }
}

/// The protocol sections of the report, each filled by the analyzer that owns it.
#[derive(Debug, Default)]
pub struct Sections {
    /// IKE and ESP.
    pub ike: IkeReport,
    /// STUN and TURN.
    pub stun: StunReport,
    /// SIP, SDP and H.248.
    pub sip: SipReport,
    /// RTP streams.
    pub rtp: RtpReport,
    /// RTCP.
    pub rtcp: RtcpReport,
    /// DNS.
    pub dns: DnsReport,
    /// TLS handshakes.
    pub tls: TlsReport,
    /// Names learned for addresses (DNS, TLS), in no particular order.
    pub names: Vec<NameSeen>,
    /// Names not kept (an analyzer's table full).
    pub names_dropped: u64,
    /// DNS names asked not tracked.
    pub dns_queries_dropped: u64,
    /// TLS connections not tracked.
    pub tls_sessions_dropped: u64,
    /// TCP stream bytes an analyzer's framing had to discard (added to `limits.tcp_bytes_dropped`).
    pub stream_bytes_dropped: u64,
}

/// An analyzer's finished sections, waiting to be put into [`Sections`]: built wherever
/// [`Protocol::finish`] ran (possibly another thread), then put in place; each writes only its own.
pub type Place = Box<dyn FnOnce(&mut Sections) + Send>;

/// A protocol analyzer. Every method but [`Protocol::finish`] has a default that ignores its
/// input, so an analyzer implements only what its protocol uses. To add a protocol, see the
/// steps in the crate docs.
pub trait Protocol: Send {
    /// A fresh analyzer whose tables fit their shares of a memory budget of `budget` bytes
    /// (each table's bound from [`crate::budget`]).
    fn with_budget(budget: usize) -> Self
    where
        Self: Sized;

    /// A UDP datagram (reassembled if it was fragmented): the hierarchy name when this analyzer
    /// claims it, else None and the next analyzer is asked. A name may have levels
    /// (`udpencap/esp`); the innermost names the flow.
    fn udp(&mut self, _seg: &Segment<'_>, _shared: &mut Shared) -> Option<&'static str> {
        None
    }

    /// Whether this analyzer wants a TCP stream, judged on its first payload alone (no analyzer
    /// state: the frame stage decides it, possibly on another thread).
    fn claims_stream(_first: &Segment<'_>) -> bool
    where
        Self: Sized,
    {
        false
    }

    /// In-order bytes of a TCP stream this analyzer claimed (`seg.frame` is the frame that
    /// delivered them).
    fn stream_bytes(&mut self, _seg: &Segment<'_>, _shared: &mut Shared) {}

    /// An IP payload that is neither UDP nor TCP (ESP): a hierarchy name when claimed.
    fn ip(&mut self, _seg: &Segment<'_>, _shared: &mut Shared) -> Option<&'static str> {
        None
    }

    /// Application data that another analyzer found relayed inside `seg` ([`Shared::relayed`]).
    fn relayed(&mut self, _seg: &Segment<'_>, _data: &[u8]) {}

    /// Adds what it has found so far to the progress counts.
    fn found(&self, _found: &mut Found) {}

    /// Whether [`Protocol::finish`] is worth a thread of its own when the analysis runs on two
    /// (the largest sections: RTP with thousands of streams).
    fn finishes_apart(&self) -> bool {
        false
    }

    /// Builds this analyzer's report sections.
    fn finish(self: Box<Self>, ctx: &FinishContext) -> Place;
}
