//! RTP and RTCP (RFC 3550) media streams: which datagrams are media, state across packets, and the
//! `rtp` and `rtcp` report sections.
//!
//! ## Which datagrams are RTP
//! callscope follows tshark 4.0 with `rtp.heuristic_rtp:TRUE`, because the numbers must equal
//! tshark's `-z rtp,streams`:
//! 1. **Announced by SDP.** A datagram from or to an address and port that an SDP offer or answer
//!    announced ([`Shared::media`], looked up by source first, as tshark's conversation lookup
//!    does) is media of that call: RTP when it has a version-2 fixed header, RTCP when rtcp-mux
//!    puts an RTCP packet type (192–223) in the second octet; nothing when the SDP said `image`
//!    (T.38). A datagram at the announced port + 1 (without rtcp-mux) is RTCP.
//! 2. **Heuristic.** Otherwise, on ports no tshark dissector owns outright: RTCP when tshark's RTCP
//!    heuristic accepts it (version 2, first packet SR/RR/BYE/APP/PSFB, length a multiple of 4);
//!    RTP when the header passes tshark's RTP heuristic (version 2, payload type not 72–76, CSRC
//!    list and extension inside the datagram, padding count non-zero and inside it). With the
//!    marker bit and a payload type of 64–95 such a datagram is RTCP (RFC 5761 §4).
//!
//! Like tshark, one packet makes a stream. Because a lone datagram that happens to start with
//! 0b10 is not much evidence, each stream also says whether it is `confirmed` (announced by SDP, or
//! at least two packets following their predecessor's sequence number); views can hide the rest.
//! The first octet also demultiplexes ports shared with STUN, ZRTP, DTLS and TURN (RFC 7983): ZRTP
//! and DTLS on a flow mark its streams as SRTP, whose clear headers give the same statistics.
//!
//! ## Streams
//! Keyed by source, destination and SSRC (several SSRCs on one port pair are separate streams),
//! with tshark's statistics ([`stats`]), callscope's own counters (duplicates, wraps, markers,
//! comfort noise and event packets, bitrate), a quality estimate ([`codec`]) and a bounded
//! per-second series. At most [`budget::RTP_STREAMS`](crate::budget::RTP_STREAMS) streams are tracked; packets of further streams are
//! counted in `packets_dropped`.

mod codec;
pub mod dtmf;
pub mod jitter;
mod rtcp;
pub mod stats;
mod stream;

use crate::addr::Socket;
use crate::report::Ssrc;
use crate::{FastMap, FastSet};
use std::net::SocketAddr;

use callscope_wire::rtcp as wire_rtcp;
use callscope_wire::rtp::{self as wire_rtp, Demux};
use serde::{Deserialize, Serialize};

use crate::flows::{self, FlowMemo, Transport};
use crate::protocols::{FinishContext, MediaExpectation, Place, Protocol, Segment, Shared};
use crate::Found;

pub use codec::{emodel, impairment, mos_from_r, Impairment, Quality, JITTER_BUFFER_MS};
pub use dtmf::DtmfPress;
pub use rtcp::{Block as RtcpBlock, Report as RtcpEntry, Source as RtcpSource};
pub use stream::{PayloadTypeCount, SeriesPoint, MAX_POINTS};

/// UDP ports whose tshark dissector takes a datagram by port before any heuristic runs, so media
/// heuristics never see them (DNS, DHCP, TFTP, Kerberos, NTP, NetBIOS, SNMP, CLDAP, ISAKMP and
/// NAT-T, syslog, RIP, DHCPv6, L2TP, RADIUS, SSDP, GTP, VXLAN, SIP, mDNS, LLMNR).
const PORT_OWNED: [u16; 27] = [
    53, 67, 68, 69, 88, 123, 137, 138, 161, 162, 389, 500, 514, 520, 546, 547, 1701, 1812, 1813,
    1900, 2123, 2152, 4500, 4789, 5060, 5353, 5355,
];

/// The `rtp` report section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RtpReport {
    /// Streams, in order of their first packet.
    pub streams: Vec<RtpStream>,
    /// Quality per call (streams bound to a SIP call by SDP).
    pub calls: Vec<CallQuality>,
    /// RTP packets analysed.
    pub packets: u64,
    /// Of which on flows that carried ZRTP or DTLS keying (SRTP).
    pub srtp_packets: u64,
    /// ZRTP packets (RFC 6189) seen on media ports.
    pub zrtp_packets: u64,
    /// Streams not tracked because the stream table was full.
    pub streams_dropped: u64,
    /// Packets of those streams.
    pub packets_dropped: u64,
    /// The simulated jitter buffer behind `late_discards` and `mos` (ms).
    pub jitter_buffer_ms: f64,
}

/// One RTP stream. Delta and jitter fields are tshark's: −1 for a minimum that was never set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RtpStream {
    /// Source address and port.
    pub src: Socket,
    /// Destination address and port.
    pub dst: Socket,
    /// Synchronization source, written `0x` + 8 lowercase hex digits.
    pub ssrc: Ssrc,
    /// Payload type names as tshark lists them (by number, joined by ", ").
    pub payload: String,
    /// Packets per payload type, with names and clock rates.
    pub payload_types: Vec<PayloadTypeCount>,
    /// Packets received.
    pub packets: u64,
    /// Packets expected from the first to the last sequence number (tshark's rule).
    pub expected: i64,
    /// `expected − packets` (negative with duplicates).
    pub lost: i64,
    /// `lost · 100 / expected`.
    pub lost_pct: f64,
    /// Smallest delta between consecutive packets (ms).
    pub min_delta_ms: f64,
    /// Mean delta (ms).
    pub mean_delta_ms: f64,
    /// Largest delta (ms).
    pub max_delta_ms: f64,
    /// Smallest jitter (ms).
    pub min_jitter_ms: f64,
    /// Mean jitter (ms).
    pub mean_jitter_ms: f64,
    /// Largest jitter (ms).
    pub max_jitter_ms: f64,
    /// Largest drift between media clock and arrival (ms, signed).
    pub max_skew_ms: f64,
    /// Estimated MOS (see the quality docs), when the codec is known.
    pub mos: Option<f64>,
    /// The E-model's R factor behind `mos`.
    pub r_factor: Option<f64>,
    /// Index into `sip.calls` (set when the SIP section has the call).
    pub call: Option<usize>,
    /// Call-ID of the SIP dialog whose SDP announced the stream.
    pub call_id: Option<String>,
    /// Frame of that SDP.
    pub setup_frame: Option<u64>,
    /// Found through SDP rather than heuristics.
    pub sdp: bool,
    /// Announced by SDP or sequence-consistent over several packets.
    pub confirmed: bool,
    /// Carried on a flow with ZRTP or DTLS keying: SRTP, counted from its clear headers.
    pub srtp: bool,
    /// tshark's "Problems?": a wrong sequence number or timestamp was seen.
    pub problem: bool,
    /// Packets whose sequence number was not the expected one (tshark's count).
    pub sequence_errors: u64,
    /// Packets whose sequence number was seen within the last 128.
    pub duplicates: u64,
    /// Sequence number wraps.
    pub wraps: u64,
    /// Sequence restarts (jumps of 3000 or more).
    pub seq_jumps: u64,
    /// Packets with the marker bit.
    pub markers: u64,
    /// Comfort noise packets (PT 13, 19).
    pub cn_packets: u64,
    /// RFC 4733 event packets (telephone-event).
    pub event_packets: u64,
    /// The keys those events pressed, in order (at most [`dtmf::MAX_PRESSES`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dtmf: Vec<DtmfPress>,
    /// Presses beyond that bound.
    #[serde(skip_serializing_if = "is_zero")]
    pub dtmf_dropped: u64,
    /// Packets a fixed jitter buffer would have discarded as late.
    pub late_discards: u64,
    /// Media clock (Hz) used for jitter; 0 when unknown (no jitter, as tshark).
    pub clock: u32,
    /// Mean bitrate with IP and UDP headers, kbit/s (tshark counts 28 or 48 header bytes).
    pub bitrate_kbps: f64,
    /// IP + UDP + RTP bytes.
    pub bytes: u64,
    /// First packet, seconds since the capture's first packet.
    pub start: f64,
    /// Last packet, seconds since the capture's first packet.
    pub end: f64,
    /// `end − start`, seconds.
    pub duration: f64,
    /// First frame.
    pub first_frame: u64,
    /// Last frame.
    pub last_frame: u64,
    /// Round trip from RTCP (ms), when both sides reported.
    pub rtt_ms: Option<f64>,
    /// Per-second packets, loss and jitter (at most [`MAX_POINTS`] points; wider buckets for
    /// long streams).
    pub series: Vec<SeriesPoint>,
}

/// The quality of one call's media.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallQuality {
    /// SIP Call-ID.
    pub call_id: String,
    /// Indexes into `rtp.streams`.
    pub streams: Vec<usize>,
    /// The worst stream's MOS.
    pub mos: Option<f64>,
    /// The worst stream's R factor.
    pub r_factor: Option<f64>,
}

/// The `rtcp` report section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RtcpReport {
    /// RTCP packets (elements of compound datagrams), in capture order.
    pub reports: Vec<RtcpEntry>,
    /// Per reporting source.
    pub sources: Vec<RtcpSource>,
    /// RTCP datagrams.
    pub packets: u64,
    /// Of which SRTCP (only the clear header read).
    pub srtcp_packets: u64,
    /// Datagrams or packets that did not decode.
    pub malformed: u64,
    /// Entries not kept beyond the cap.
    pub reports_dropped: u64,
    /// Sources not tracked beyond the cap.
    pub sources_dropped: u64,
}

/// The analyzer's state.
#[derive(Debug)]
pub struct RtpAnalyzer {
    /// RTP streams tracked at once.
    max_streams: usize,
    /// Flows remembered as carrying ZRTP or DTLS keying.
    max_keyed_flows: usize,
    origin_ns: Option<i64>,
    streams: Vec<stream::Stream>,
    index: FastMap<(SocketAddr, SocketAddr, u32), usize>,
    keyed_flows: FastSet<u64>,
    rtcp: rtcp::RtcpState,
    packets: u64,
    srtp_packets: u64,
    zrtp_packets: u64,
    streams_dropped: u64,
    packets_dropped: u64,
    memo: FlowMemo<FlowRoute>,
}

/// What the RTP analyzer concluded about a flow: how its datagrams are routed (valid while the
/// media table's version is unchanged) and the last stream each direction fed.
#[derive(Debug, Clone, Copy)]
struct FlowRoute {
    /// The flow's [`flows::pair_print`] and the [`flows::print`] of the side that sent first:
    /// a memo entry only serves its own 5-tuple, whatever flow ids a caller passes.
    pair: u64,
    first_sender: u64,
    media_version: u64,
    /// Per direction (0: as first seen): routes depend on which end sends.
    routes: [Route; 2],
    /// Per direction, the last SSRC and its stream.
    streams: [Option<(u32, u32)>; 2],
}

impl Default for FlowRoute {
    fn default() -> Self {
        FlowRoute {
            pair: 0,
            first_sender: 0,
            media_version: 0,
            routes: [Route::Unknown; 2],
            streams: [None; 2],
        }
    }
}

impl FlowRoute {
    /// The direction of `seg` in this flow (0: as first seen), if it is this flow's.
    fn direction(&self, seg: &Segment<'_>) -> Option<usize> {
        let (src, dst) = (flows::print(seg.src), flows::print(seg.dst));
        if src ^ dst != self.pair {
            None
        } else if src == self.first_sender {
            Some(0)
        } else {
            Some(1)
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Not decided yet.
    #[default]
    Unknown,
    /// SDP announced the destination, at this position of the media table.
    Destination(u32),
    /// SDP announced the source, at this position.
    Source(u32),
    /// An announced RTP port + 1.
    Rtcp,
    /// SDP announced T.38 (`m=image`) at the destination, or at the source with nothing
    /// announced at the destination. Decided with the route, so that a media packet need not
    /// read its expectation's text.
    Image,
    /// A port owned by another protocol.
    PortOwned,
    /// tshark's heuristics.
    Heuristic,
}

/// An RTCP endpoint announced as the RTP port + 1 (no rtcp-mux).
fn rtcp_expected(shared: &Shared, addr: SocketAddr) -> bool {
    addr.port() > 0
        && shared
            .media
            .get(&SocketAddr::new(addr.ip(), addr.port() - 1))
            .is_some_and(|e| !e.rtcp_mux && e.media != "image")
}

impl RtpAnalyzer {
    /// Streams so far, for progress.
    pub fn streams_so_far(&self) -> usize {
        self.streams.len()
    }
}

impl RtpAnalyzer {
    /// Looks at a UDP datagram; returns a hierarchy name when it is this protocol's.
    pub fn udp(&mut self, seg: &Segment<'_>, shared: &mut Shared) -> Option<&'static str> {
        let p = seg.payload;
        if seg.transport != Transport::Udp || p.len() < 2 {
            return None;
        }
        match wire_rtp::demux(p[0]) {
            Demux::RtpRtcp => {}
            Demux::TurnChannel if seg.transport == Transport::Udp => {
                // Until the STUN analyzer claims ChannelData (and hands its data to
                // `channel_data` itself), look inside; the datagram stays unclaimed.
                if let Some(data) = callscope_wire::stun::channel_data_lax(p) {
                    self.channel_data(seg, data);
                }
                return None;
            }
            Demux::Zrtp if wire_rtp::looks_like_zrtp(p) => {
                self.zrtp_packets += 1;
                self.mark_keyed(seg.flow);
                return Some("zrtp");
            }
            Demux::Dtls if p.len() >= 13 && p[1] == 0xfe => {
                // DTLS record (RFC 6347 §4.1, version 0xfeff/0xfefd): DTLS-SRTP keying. Not ours
                // to name.
                self.mark_keyed(seg.flow);
                return None;
            }
            _ => return None,
        }
        let route = self.route(shared, seg);
        if route == Route::Image {
            // T.38 over UDPTL (RFC 3362 `m=image … udptl t38`): not media we analyse, but named
            // as tshark names it.
            return Some("t38");
        }
        let exp = match route {
            Route::Destination(at) | Route::Source(at) => shared.media.at(at),
            _ => None,
        };
        if let Some(e) = exp {
            if wire_rtp::second_octet_is_rtcp(p[1]) {
                self.rtcp_datagram(seg);
                return Some("rtcp");
            }
            let pkt = wire_rtp::Packet::new_lax(p).ok()?;
            self.rtp(seg, &pkt, Some(e));
            return Some("rtp");
        }
        match route {
            Route::Rtcp => {
                if wire_rtcp::Packet::new_checked(p).is_ok() {
                    self.rtcp_datagram(seg);
                    return Some("rtcp");
                }
                None
            }
            Route::PortOwned => None,
            _ => self.heuristic(seg, p),
        }
    }

    /// How a datagram of this flow is routed, from the flow's memo while the media table is
    /// unchanged. An SDP expectation at the destination wins over one at the source: tshark's
    /// UDP dissector looks conversations up with the destination as the first address, so when
    /// a gateway moved one end to T.38 (`image`) and the other is still audio, packets *to* the
    /// T.38 end are not RTP while the replies are.
    fn route(&mut self, shared: &Shared, seg: &Segment<'_>) -> Route {
        let version = shared.media.version();
        let memo = self
            .memo
            .get_mut(seg.flow)
            .and_then(|m| m.direction(seg).map(|dir| (m, dir)));
        let dir = match memo {
            Some((m, dir)) if m.media_version == version => {
                if m.routes[dir] != Route::Unknown {
                    return m.routes[dir];
                }
                Some(dir)
            }
            Some((m, dir)) => {
                m.media_version = version;
                m.routes = [Route::Unknown; 2];
                Some(dir)
            }
            None => None,
        };
        let announced = |at: u32, route: Route| match shared.media.at(at) {
            Some(e) if e.media == "image" => Route::Image,
            _ => route,
        };
        let route = if let Some(at) = shared.media.position(&seg.dst) {
            announced(at, Route::Destination(at))
        } else if let Some(at) = shared.media.position(&seg.src) {
            announced(at, Route::Source(at))
        } else if rtcp_expected(shared, seg.src) || rtcp_expected(shared, seg.dst) {
            Route::Rtcp
        } else if PORT_OWNED.contains(&seg.src.port()) || PORT_OWNED.contains(&seg.dst.port()) {
            Route::PortOwned
        } else {
            Route::Heuristic
        };
        match (dir, self.memo.get_mut(seg.flow)) {
            (Some(dir), Some(m)) => m.routes[dir] = route,
            _ => self.memo.put(
                seg.flow,
                FlowRoute {
                    pair: flows::pair_print(seg.src, seg.dst),
                    first_sender: flows::print(seg.src),
                    media_version: version,
                    routes: [route, Route::Unknown],
                    streams: [None; 2],
                },
            ),
        }
        route
    }

    /// Media inside a TURN ChannelData message (RFC 8656 §12.4), over UDP or TCP: `data` is the
    /// application data after the 4-byte ChannelData header, `seg` the datagram or segment that
    /// carried it. tshark's STUN dissector offers such data to the RTP and RTCP heuristics, so
    /// streams inside TURN relays are listed with the relay's outer addresses; the STUN analyzer
    /// hands ChannelData here to do the same. Returns the protocol found.
    pub fn channel_data(&mut self, seg: &Segment<'_>, data: &[u8]) -> Option<&'static str> {
        if data.len() < 2 || wire_rtp::demux(data[0]) != Demux::RtpRtcp {
            return None;
        }
        let inner = Segment {
            payload: data,
            ..*seg
        };
        self.heuristic(&inner, data)
    }

    /// tshark's RTCP and RTP heuristics (see the module docs).
    fn heuristic(&mut self, seg: &Segment<'_>, p: &[u8]) -> Option<&'static str> {
        if wire_rtcp::looks_like_rtcp(p) {
            self.rtcp_datagram(seg);
            return Some("rtcp");
        }
        let pkt = wire_rtp::Packet::new_checked(p).ok()?;
        let pt = pkt.payload_type();
        if (72..=76).contains(&pt) {
            return None;
        }
        if pkt.marker() && (64..=95).contains(&pt) {
            self.rtcp_datagram(seg);
            return Some("rtcp");
        }
        self.rtp(seg, &pkt, None);
        Some("rtp")
    }

    fn mark_keyed(&mut self, flow: u64) {
        if self.keyed_flows.len() < self.max_keyed_flows {
            self.keyed_flows.insert(flow);
        }
    }

    fn arrival_ms(&mut self, ts_ns: i64) -> f64 {
        let origin = *self.origin_ns.get_or_insert(ts_ns);
        crate::time::ms_between(origin, ts_ns)
    }

    fn rtcp_datagram(&mut self, seg: &Segment<'_>) {
        self.rtcp
            .datagram(seg.frame, seg.ts_ns, seg.src, seg.dst, seg.payload);
    }

    fn rtp(
        &mut self,
        seg: &Segment<'_>,
        pkt: &wire_rtp::Packet<&[u8]>,
        exp: Option<&MediaExpectation>,
    ) {
        self.packets += 1;
        let Some(idx) = self.stream_index(seg, pkt.ssrc()) else {
            self.streams_dropped += 1;
            self.packets_dropped += 1;
            return;
        };
        let arrival_ms = self.arrival_ms(seg.ts_ns);
        let keyed = !self.keyed_flows.is_empty() && self.keyed_flows.contains(&seg.flow);
        let pt = pkt.payload_type();
        // tshark: SDP's rtpmap names dynamic types on SDP conversations; without SDP, the
        // dissectors its preferences tie to a dynamic type name it.
        let (name, rate) = match exp {
            Some(e) if pt >= 96 => e
                .rtpmap
                .iter()
                .find(|m| m.pt == pt)
                .map_or((None, 0), |m| (Some(m.codec.as_str()), m.clock)),
            Some(_) => (None, 0),
            None if pt >= 96 => (codec::heuristic_dynamic_name(pt), 0),
            None => (None, 0),
        };
        let s = &mut self.streams[idx];
        if s.call_id.is_none() {
            if let Some(e) = exp.filter(|e| !e.call_id.is_empty()) {
                s.call_id = Some(e.call_id.clone());
                s.setup_frame = Some(e.frame);
            }
        }
        if keyed && !s.srtp {
            s.srtp = true;
        }
        if s.srtp {
            self.srtp_packets += 1;
        }
        s.push(&stream::Arrival {
            frame: seg.frame,
            ts_ns: seg.ts_ns,
            arrival_ms,
            marker: pkt.marker(),
            pt,
            seq: pkt.sequence(),
            timestamp: pkt.timestamp(),
            data_len: pkt.len(),
            ipv6: seg.src.is_ipv6(),
            name,
            rtpmap_rate: rate,
            via_sdp: exp.is_some(),
            payload: pkt.payload(),
        });
    }

    /// The stream of (source, destination, SSRC), created if there is room; the flow's memo
    /// remembers each direction's last one, so a steady stream is found without hashing.
    fn stream_index(&mut self, seg: &Segment<'_>, ssrc: u32) -> Option<usize> {
        if let Some(m) = self.memo.get_mut(seg.flow) {
            if let Some((s, i)) = m.direction(seg).and_then(|dir| m.streams[dir]) {
                if s == ssrc {
                    return Some(i as usize);
                }
            }
        }
        let key = (seg.src, seg.dst, ssrc);
        let idx = match self.index.get(&key) {
            Some(&i) => i,
            None if self.streams.len() < self.max_streams => {
                self.streams
                    .push(stream::Stream::new(seg.src, seg.dst, ssrc));
                self.index.insert(key, self.streams.len() - 1);
                self.streams.len() - 1
            }
            None => return None,
        };
        if let Some(m) = self.memo.get_mut(seg.flow) {
            if let Some(dir) = m.direction(seg) {
                m.streams[dir] = Some((ssrc, idx as u32));
            }
        }
        Some(idx)
    }

    /// Builds the report sections.
    pub fn finish(self, ctx: &FinishContext) -> (RtpReport, RtcpReport) {
        let mut clocks: FastMap<u32, u32> = FastMap::default();
        for s in &self.streams {
            if s.stats.clock != 0 {
                clocks.entry(s.ssrc).or_insert(s.stats.clock);
            }
        }
        let rtt_of = |ssrc: u32| {
            self.rtcp
                .rtt_by_ssrc
                .get(&ssrc)
                .filter(|(_, n)| *n > 0)
                .map(|(sum, n)| sum / f64::from(*n))
        };
        let mut pair_rtt: FastMap<(SocketAddr, SocketAddr), f64> = FastMap::default();
        for s in &self.streams {
            if let Some(r) = rtt_of(s.ssrc) {
                pair_rtt.insert((s.src, s.dst), r);
            }
        }
        let streams: Vec<RtpStream> = self
            .streams
            .iter()
            .map(|s| {
                let rtt = rtt_of(s.ssrc).or_else(|| pair_rtt.get(&(s.dst, s.src)).copied());
                report_stream(s, ctx, rtt)
            })
            .collect();
        let mut calls: Vec<CallQuality> = Vec::new();
        for (i, s) in streams.iter().enumerate() {
            let Some(id) = &s.call_id else { continue };
            let at = match calls.iter().position(|c| &c.call_id == id) {
                Some(at) => at,
                None => {
                    calls.push(CallQuality {
                        call_id: id.clone(),
                        ..CallQuality::default()
                    });
                    calls.len() - 1
                }
            };
            let c = &mut calls[at];
            c.streams.push(i);
            if let (Some(m), Some(r)) = (s.mos, s.r_factor) {
                if c.mos.is_none_or(|cm| m < cm) {
                    c.mos = Some(m);
                    c.r_factor = Some(r);
                }
            }
        }
        let rtp = RtpReport {
            streams,
            calls,
            packets: self.packets,
            srtp_packets: self.srtp_packets,
            zrtp_packets: self.zrtp_packets,
            streams_dropped: self.streams_dropped,
            packets_dropped: self.packets_dropped,
            jitter_buffer_ms: JITTER_BUFFER_MS,
        };
        let packets = self.rtcp.packets;
        let srtcp_packets = self.rtcp.srtcp_packets;
        let malformed = self.rtcp.malformed;
        let reports_dropped = self.rtcp.dropped_reports;
        let sources_dropped = self.rtcp.dropped_sources;
        let (reports, sources) = self
            .rtcp
            .finish(ctx, |ssrc| clocks.get(&ssrc).copied().unwrap_or(0));
        (
            rtp,
            RtcpReport {
                reports,
                sources,
                packets,
                srtcp_packets,
                malformed,
                reports_dropped,
                sources_dropped,
            },
        )
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The report entry of one stream, with its quality estimate.
fn report_stream(s: &stream::Stream, ctx: &FinishContext, rtt: Option<f64>) -> RtpStream {
    let st = &s.stats;
    let expected = st.expected();
    let duration = crate::time::secs_between(s.first_ns, s.last_ns);
    // The main payload: most packets, not comfort noise or events.
    let main = s
        .payload_types
        .iter()
        .filter(|p| p.pt != 13 && p.pt != 19 && !stats::is_telephone_event(&p.name))
        .max_by_key(|p| p.packets);
    let quality = main
        .and_then(|p| codec::impairment(p.pt, Some(&p.name)))
        .filter(|_| s.packets() >= 2 && expected > 0)
        .map(|imp| {
            let lost = st.lost().max(0) as f64 + s.late_discards() as f64;
            let loss_pct = 100.0 * lost / expected.max(1) as f64;
            let delay = rtt.unwrap_or(0.0) / 2.0 + s.frame_ms() + JITTER_BUFFER_MS;
            codec::emodel(imp, loss_pct, delay)
        });
    RtpStream {
        src: crate::addr::Socket(s.src),
        dst: crate::addr::Socket(s.dst),
        ssrc: Ssrc(s.ssrc),
        payload: s.payload_names(),
        payload_types: {
            let mut v = s.payload_types.clone();
            crate::order::sort_by_key(&mut v, |p| p.pt);
            v
        },
        packets: s.packets(),
        expected,
        lost: st.lost(),
        lost_pct: st.lost_percent(),
        min_delta_ms: st.min_delta,
        mean_delta_ms: st.mean_delta,
        max_delta_ms: st.max_delta,
        min_jitter_ms: st.min_jitter,
        mean_jitter_ms: st.mean_jitter,
        max_jitter_ms: st.max_jitter,
        max_skew_ms: st.max_skew,
        mos: quality.map(|q| q.mos),
        r_factor: quality.map(|q| q.r),
        call: None,
        call_id: s.call_id.clone(),
        setup_frame: s.setup_frame,
        sdp: s.via_sdp,
        confirmed: s.confirmed(),
        srtp: s.srtp,
        problem: st.problem,
        sequence_errors: st.sequence_errors,
        duplicates: s.duplicates(),
        wraps: s.wraps(),
        seq_jumps: s.seq_jumps(),
        markers: s.markers,
        cn_packets: s.cn_packets,
        event_packets: s.event_packets,
        dtmf: s.presses.report(s.event_clock, |ns| ctx.rel(ns)),
        dtmf_dropped: s.presses.dropped,
        late_discards: s.late_discards(),
        clock: st.clock,
        bitrate_kbps: if duration > 0.0 {
            s.bytes as f64 * 8.0 / duration / 1000.0
        } else {
            0.0
        },
        bytes: s.bytes,
        start: ctx.rel(s.first_ns),
        end: ctx.rel(s.last_ns),
        duration,
        first_frame: s.first_frame,
        last_frame: s.last_frame,
        rtt_ms: rtt,
        series: s.series(),
    }
}

impl Default for RtpAnalyzer {
    fn default() -> Self {
        RtpAnalyzer::with_budget(crate::DEFAULT_BUDGET)
    }
}

impl Protocol for RtpAnalyzer {
    fn with_budget(budget: usize) -> Self {
        RtpAnalyzer {
            max_streams: crate::budget::RTP_STREAMS.bound(budget),
            max_keyed_flows: crate::budget::RTP_KEYED_FLOWS.bound(budget),
            origin_ns: None,
            streams: Vec::new(),
            index: FastMap::default(),
            keyed_flows: FastSet::default(),
            rtcp: rtcp::RtcpState::with_budget(budget),
            packets: 0,
            srtp_packets: 0,
            zrtp_packets: 0,
            streams_dropped: 0,
            packets_dropped: 0,
            memo: FlowMemo::default(),
        }
    }

    fn udp(&mut self, seg: &Segment<'_>, shared: &mut Shared) -> Option<&'static str> {
        RtpAnalyzer::udp(self, seg, shared)
    }

    fn relayed(&mut self, seg: &Segment<'_>, data: &[u8]) {
        self.channel_data(seg, data);
    }

    fn found(&self, found: &mut Found) {
        found.streams += self.streams_so_far() as u64;
    }

    fn finishes_apart(&self) -> bool {
        true
    }

    fn finish(self: Box<Self>, ctx: &FinishContext) -> Place {
        let (rtp, rtcp) = RtpAnalyzer::finish(*self, ctx);
        Box::new(move |s| {
            s.rtp = rtp;
            s.rtcp = rtcp;
        })
    }
}

#[cfg(test)]
mod tests;
