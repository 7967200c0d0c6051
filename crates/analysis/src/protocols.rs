//! The protocol analyzers and what they share.
//!
//! The analyzer hands every UDP datagram (after IP reassembly) to the protocol analyzers in a fixed
//! order — IKE/ESP, STUN/TURN, SIP, RTP/RTCP — and the first that claims it names it in the
//! hierarchy and the flow. TCP streams are claimed on their first payload and then delivered as
//! in-order bytes (see [`crate::tcp`]). ESP straight over IP goes to the IKE analyzer. Each analyzer
//! builds its own report section in `finish`.
//!
//! Analyzers talk to each other only through [`Shared`]: SIP publishes the media endpoints that
//! SDP announced, RTP binds streams to calls with them.

use crate::FastMap;
use std::net::SocketAddr;

use crate::flows::Transport;
use crate::{ike, rtp, sip, stun};

/// A UDP datagram, a TCP segment's payload, or an IP payload (ESP), with where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// Frame number (1-based, as tshark's), of the frame that completed it.
    pub frame: u64,
    /// Capture time, ns since the epoch.
    pub ts_ns: i64,
    /// UDP or TCP (ESP over IP uses `Udp` with port 0; see `ip_protocol`).
    pub transport: Transport,
    /// IP protocol number (17 UDP, 6 TCP, 50 ESP).
    pub ip_protocol: u8,
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

/// What analyzers share.
#[derive(Debug, Default)]
pub struct Shared {
    /// Media endpoints announced by SDP (connection address + media port), newest wins. RTCP is
    /// expected at port + 1 unless `rtcp_mux`.
    pub media: MediaTable,
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
        (ts_ns - self.start_ns) as f64 / 1e9
    }
}

/// All protocol analyzers.
#[derive(Debug, Default)]
pub struct Protocols {
    /// IKE and ESP.
    pub ike: ike::IkeAnalyzer,
    /// STUN and TURN.
    pub stun: stun::StunAnalyzer,
    /// SIP and SDP.
    pub sip: sip::SipAnalyzer,
    /// RTP and RTCP.
    pub rtp: rtp::RtpAnalyzer,
    /// Cross-analyzer facts.
    pub shared: Shared,
}

/// Which analyzer owns a TCP stream's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamOwner {
    /// STUN/TURN over TCP (RFC 8489 §6.2.2 framing).
    Stun,
    /// SIP over TCP (RFC 3261 §18.3 framing by Content-Length).
    Sip,
}

impl StreamOwner {
    /// The hierarchy name.
    pub fn name(self) -> &'static str {
        match self {
            StreamOwner::Stun => "stun",
            StreamOwner::Sip => "sip",
        }
    }
}

impl Protocols {
    /// Offers a UDP datagram to each analyzer in turn; returns the name of the one that claimed it.
    pub fn udp(&mut self, seg: &Segment<'_>) -> Option<&'static str> {
        if let Some(name) = self.ike.udp(seg, &mut self.shared) {
            return Some(name);
        }
        if let Some(name) = self.stun.udp(seg, &mut self.shared) {
            self.relay_to_rtp(seg);
            return Some(name);
        }
        if let Some(name) = self.sip.udp(seg, &mut self.shared) {
            return Some(name);
        }
        if let Some(name) = self.sip.megaco_udp(seg, &mut self.shared) {
            return Some(name);
        }
        self.rtp.udp(seg, &mut self.shared)
    }

    /// Decides, on a TCP stream's first payload, which analyzer (if any) wants its bytes. No
    /// analyzer state is involved, so the first half of the pipeline decides it.
    pub fn claim_tcp(seg: &Segment<'_>) -> Option<StreamOwner> {
        if stun::StunAnalyzer::claims_tcp(seg) {
            return Some(StreamOwner::Stun);
        }
        if sip::SipAnalyzer::claims_tcp(seg) {
            return Some(StreamOwner::Sip);
        }
        None
    }

    /// In-order bytes of a claimed TCP stream (`seg.payload`), `seg.frame` being the frame that
    /// delivered them.
    pub fn tcp_bytes(&mut self, owner: StreamOwner, seg: &Segment<'_>) {
        match owner {
            StreamOwner::Stun => {
                self.stun.tcp_bytes(seg, &mut self.shared);
                self.relay_to_rtp(seg);
            }
            StreamOwner::Sip => self.sip.tcp_bytes(seg, &mut self.shared),
        }
    }

    /// Media that TURN relayed in ChannelData goes to the RTP analyzer, as tshark's STUN
    /// dissector offers it to the RTP heuristics.
    fn relay_to_rtp(&mut self, seg: &Segment<'_>) {
        for data in self.stun.take_relayed() {
            self.rtp.channel_data(seg, &data);
        }
    }

    /// An IP payload that is neither UDP nor TCP (ESP, protocol 50); returns a hierarchy name.
    pub fn ip(&mut self, seg: &Segment<'_>) -> Option<&'static str> {
        self.ike.ip(seg, &mut self.shared)
    }
}
