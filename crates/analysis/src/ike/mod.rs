//! IKE (IKEv2 RFC 7296, IKEv1 RFC 2409) and ESP (RFC 4303) over UDP 500/4500, NAT-rewritten port
//! pairs and IP protocol 50: tunnels (one per IKE SA) with their exchanges, NAT traversal and the
//! ESP SAs that share their peers.
//!
//! Which datagrams are IKE: anything on UDP 500; on UDP 4500 (RFC 3948 §2) a keepalive, IKE after
//! the non-ESP marker, or ESP; on any other port pair once the flow is known to carry IKE, or when
//! the message names an IKE SA already seen (a NAT rewrote the ports). ESP on a flow or address
//! pair that carried IKE is attached to the most recent tunnel there.
//!
//! Bounded: tunnels, flows, address pairs and ESP SAs are capped; what does not fit is counted in
//! the report (`tunnels_dropped`, `esp_sas_dropped`).

mod esp;
pub mod natd;
mod report;
mod tunnel;

use crate::flows::{unordered, LookupMemo, Transport};
use crate::FastMap;
use std::net::{IpAddr, SocketAddr};

use callscope_wire::esp::{classify_udp_encap, EspPacket, UdpEncap};
use callscope_wire::ike::{Header, Message};
use callscope_wire::net::proto;

pub use self::esp::EspSa;
pub use report::{
    DeleteReport, EspEncap, EspReport, ExchangeReport, FloatReport, IkeReport, NatMismatch,
    NatReport, TunnelReport, TunnelState,
};
pub use tunnel::{Seen, Tunnel};

use crate::protocols::{FinishContext, Place, Protocol, Segment, Shared};
use crate::Found;

/// The tables' bounds, from the memory budget.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    /// IKE SAs tracked.
    tunnels: usize,
    /// ESP SAs tracked.
    esp_sas: usize,
    /// Flows and address pairs remembered as IKE's.
    flows: usize,
}

impl Bounds {
    fn of(budget: usize) -> Self {
        Bounds {
            tunnels: crate::budget::IKE_TUNNELS.bound(budget),
            esp_sas: crate::budget::ESP_SAS.bound(budget),
            flows: crate::budget::IKE_FLOWS.bound(budget),
        }
    }
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds::of(crate::DEFAULT_BUDGET)
    }
}

/// IKE's ports (RFC 7296 §2; RFC 3948 §2).
const IKE_PORT: u16 = 500;
const NAT_T_PORT: u16 = 4500;

/// Which of IKE's ports a port pair uses; 4500 first (a pair with both is NAT-T's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ports {
    NatT,
    Ike,
    Other,
}

impl Ports {
    fn of(a: SocketAddr, b: SocketAddr) -> Ports {
        let either = |p: u16| a.port() == p || b.port() == p;
        if either(NAT_T_PORT) {
            Ports::NatT
        } else if either(IKE_PORT) {
            Ports::Ike
        } else {
            Ports::Other
        }
    }
}

/// What is known about a UDP flow that carried IKE.
#[derive(Debug, Clone, Copy, Default)]
struct FlowInfo {
    tunnel: Option<usize>,
    /// Carries RFC 3948 encapsulation (marker before IKE, ESP, keepalives).
    encap: bool,
}

/// The analyzer's state.
#[derive(Debug, Default)]
pub struct IkeAnalyzer {
    bounds: Bounds,
    tunnels: Vec<Tunnel>,
    by_ispi: FastMap<u64, Vec<usize>>,
    flows: FastMap<(SocketAddr, SocketAddr), FlowInfo>,
    /// Changes whenever `flows` does.
    flows_version: u64,
    /// `flows` looked up per flow (the lookup runs on every UDP datagram that needs it).
    known: LookupMemo<Option<FlowInfo>>,
    /// `flows` holds a port pair without 500 or 4500 (a NAT rewrote both ends): only then can
    /// a datagram on such a pair be IKE's by its flow.
    rewritten_pairs: bool,
    /// `flows` holds an encapsulating pair on 500 (not 4500): only then can a datagram on 500
    /// be RFC 3948 encapsulation by its flow.
    encap_on_500: bool,
    ip_pairs: FastMap<(IpAddr, IpAddr), usize>,
    esp: Vec<EspSa>,
    esp_index: FastMap<(u32, SocketAddr, SocketAddr), usize>,
    messages: u64,
    malformed: u64,
    esp_packets: u64,
    keepalives_unattached: u64,
    tunnels_dropped: u64,
    esp_sas_dropped: u64,
}

impl IkeAnalyzer {
    /// Tunnels (IKE SAs) so far, for progress.
    pub fn tunnels_so_far(&self) -> usize {
        self.tunnels.len()
    }
}

impl IkeAnalyzer {
    /// Looks at a UDP datagram; returns a hierarchy name when it is IKE, ESP or a NAT-keepalive.
    ///
    /// Most datagrams (all of a call's media) are on other ports and end in a few checks of
    /// [`IkeAnalyzer::rewritten_pair`]; what IKE's ports and known flows lead to is out of line,
    /// so that those checks are all a datagram pays for.
    pub fn udp(&mut self, seg: &Segment<'_>, _shared: &mut Shared) -> Option<&'static str> {
        let ports = Ports::of(seg.src, seg.dst);
        // What the flow table says only matters in the cases it holds pairs for; most
        // datagrams are spared the lookup (and its cache miss).
        let matters = match ports {
            Ports::NatT => false,
            Ports::Ike => self.encap_on_500,
            Ports::Other => self.rewritten_pairs,
        };
        let known = if matters { self.known_flow(seg) } else { None };
        match (ports, known) {
            (Ports::NatT, _) | (_, Some(FlowInfo { encap: true, .. })) => {
                Some(self.encapsulated(seg, unordered(seg.src, seg.dst)))
            }
            (Ports::Ike, _) | (Ports::Other, Some(_)) => self.plain_ike(seg, ports == Ports::Ike),
            (Ports::Other, None) => self.rewritten_pair(seg),
        }
    }

    /// What `flows` holds for the datagram's pair, through the per-flow memo.
    fn known_flow(&mut self, seg: &Segment<'_>) -> Option<FlowInfo> {
        if let Some(known) = self
            .known
            .get(seg.flow, seg.src, seg.dst, self.flows_version)
        {
            return known;
        }
        let known = self.flows.get(&unordered(seg.src, seg.dst)).copied();
        self.known
            .put(seg.flow, seg.src, seg.dst, self.flows_version, known);
        known
    }

    /// IKE without a non-ESP marker: on port 500, or on a pair that carried IKE before.
    #[inline(never)]
    fn plain_ike(&mut self, seg: &Segment<'_>, on_500: bool) -> Option<&'static str> {
        match Message::parse(seg.payload) {
            Ok(msg) => {
                self.message(&msg, seg, false);
                Some("isakmp")
            }
            Err(_) if on_500 => {
                if !seg.payload.is_empty() {
                    self.malformed += 1;
                }
                Some("isakmp")
            }
            Err(_) => None,
        }
    }

    /// A port pair a NAT rewrote both ends of: IKE only for an SA already seen. Cheap checks
    /// first: this runs on every UDP datagram that no port explains.
    fn rewritten_pair(&mut self, seg: &Segment<'_>) -> Option<&'static str> {
        let (bytes, encap) = callscope_wire::esp::strip_non_esp_marker(seg.payload);
        let h = Header::new_checked(bytes).ok()?;
        if h.length() as usize != bytes.len() || !self.by_ispi.contains_key(&h.ispi()) {
            return None;
        }
        self.rewritten_ike(seg, bytes, encap)
    }

    /// The rest of [`IkeAnalyzer::rewritten_pair`], out of line.
    #[inline(never)]
    fn rewritten_ike(
        &mut self,
        seg: &Segment<'_>,
        bytes: &[u8],
        encap: bool,
    ) -> Option<&'static str> {
        let msg = Message::parse(bytes).ok()?;
        self.message(&msg, seg, encap);
        Some("isakmp")
    }

    /// Looks at an IP payload that is not UDP/TCP: ESP (protocol 50).
    pub fn ip(&mut self, seg: &Segment<'_>, _shared: &mut Shared) -> Option<&'static str> {
        if seg.transport != Transport::Ip(proto::ESP) {
            return None;
        }
        match EspPacket::new_checked(seg.payload) {
            Ok(esp) => self.esp(&esp, seg, false),
            Err(_) => self.malformed += 1,
        }
        Some("esp")
    }

    /// RFC 3948 encapsulation: named as tshark's hierarchy has it, IKE and ESP one level below
    /// `udpencap`.
    #[inline(never)]
    fn encapsulated(&mut self, seg: &Segment<'_>, key: (SocketAddr, SocketAddr)) -> &'static str {
        match classify_udp_encap(seg.payload) {
            UdpEncap::Keepalive => {
                let tunnel = self.flows.get(&key).and_then(|f| f.tunnel);
                match tunnel.and_then(|t| self.tunnels.get_mut(t)) {
                    Some(t) => t.keepalive(seg.ts_ns),
                    None => self.keepalives_unattached += 1,
                }
                "udpencap"
            }
            UdpEncap::Ike(bytes) => match Message::parse(bytes) {
                Ok(msg) => {
                    self.message(&msg, seg, true);
                    "udpencap/isakmp"
                }
                Err(_) => {
                    self.malformed += 1;
                    "udpencap"
                }
            },
            UdpEncap::Esp(esp) => {
                self.esp(&esp, seg, true);
                "udpencap/esp"
            }
            UdpEncap::Invalid => "udpencap",
        }
    }

    fn find_tunnel(&self, msg: &Message<'_>) -> Option<usize> {
        let h = &msg.header;
        let candidates = self.by_ispi.get(&h.ispi)?;
        candidates.iter().rev().copied().find(|&i| {
            let t = &self.tunnels[i];
            t.version == h.major_version && (t.rspi == h.rspi || t.rspi == 0 || h.rspi == 0)
        })
    }

    fn message(&mut self, msg: &Message<'_>, seg: &Segment<'_>, encap: bool) {
        self.messages += 1;
        let seen = Seen {
            frame: seg.frame,
            ts_ns: seg.ts_ns,
            src: seg.src,
            dst: seg.dst,
            encap,
        };
        let ix = match self.find_tunnel(msg) {
            Some(ix) => ix,
            None => {
                if self.tunnels.len() >= self.bounds.tunnels {
                    self.tunnels_dropped += 1;
                    return;
                }
                self.tunnels.push(Tunnel::new(msg, &seen));
                let ix = self.tunnels.len() - 1;
                self.by_ispi.entry(msg.header.ispi).or_default().push(ix);
                ix
            }
        };
        self.tunnels[ix].on_message(msg, &seen);
        let key = unordered(seg.src, seg.dst);
        if self.flows.len() < self.bounds.flows || self.flows.contains_key(&key) {
            self.flows_version += 1;
            let f = self.flows.entry(key).or_default();
            f.tunnel = Some(ix);
            f.encap |= encap;
            let encap = f.encap;
            self.note_pair(key, encap);
        }
        let ips = unordered(seg.src.ip(), seg.dst.ip());
        if self.ip_pairs.len() < self.bounds.flows || self.ip_pairs.contains_key(&ips) {
            self.ip_pairs.insert(ips, ix);
        }
    }

    fn esp(&mut self, esp: &EspPacket<&[u8]>, seg: &Segment<'_>, udp: bool) {
        self.esp_packets += 1;
        let key = (esp.spi(), seg.src, seg.dst);
        let ix = match self.esp_index.get(&key) {
            Some(&ix) => ix,
            None => {
                if self.esp.len() >= self.bounds.esp_sas {
                    self.esp_sas_dropped += 1;
                    return;
                }
                let mut sa = EspSa::new(esp.spi(), seg.src, seg.dst, udp);
                sa.tunnel = self.tunnel_for(seg.src, seg.dst, udp);
                self.esp.push(sa);
                self.esp_index.insert(key, self.esp.len() - 1);
                let key = unordered(seg.src, seg.dst);
                if udp && (self.flows.len() < self.bounds.flows || self.flows.contains_key(&key)) {
                    self.flows_version += 1;
                    self.flows.entry(key).or_default().encap = true;
                    self.note_pair(key, true);
                }
                self.esp.len() - 1
            }
        };
        let sa = &mut self.esp[ix];
        sa.record(esp.sequence(), esp.len(), seg.ts_ns, seg.frame);
        if let Some(t) = sa.tunnel.and_then(|t| self.tunnels.get_mut(t)) {
            t.touch(seg.ts_ns);
            t.esp_in_udp |= udp;
        }
    }

    /// Keeps `rewritten_pairs` and `encap_on_500` true to `flows` after a write to `key`.
    fn note_pair(&mut self, key: (SocketAddr, SocketAddr), encap: bool) {
        match Ports::of(key.0, key.1) {
            Ports::NatT => {}
            Ports::Ike => self.encap_on_500 |= encap,
            Ports::Other => self.rewritten_pairs = true,
        }
    }

    /// The tunnel most recently seen on this flow (UDP) or address pair (IP protocol 50).
    fn tunnel_for(&self, src: SocketAddr, dst: SocketAddr, udp: bool) -> Option<usize> {
        if udp {
            if let Some(t) = self.flows.get(&unordered(src, dst)).and_then(|f| f.tunnel) {
                return Some(t);
            }
        }
        self.ip_pairs.get(&unordered(src.ip(), dst.ip())).copied()
    }

    /// Builds the report section.
    pub fn finish(mut self, ctx: &FinishContext) -> IkeReport {
        // ESP seen before its tunnel's IKE (files not in time order): attach now.
        for i in 0..self.esp.len() {
            if self.esp[i].tunnel.is_none() {
                let (src, dst, udp) = (self.esp[i].src, self.esp[i].dst, self.esp[i].udp);
                self.esp[i].tunnel = self.tunnel_for(src, dst, udp);
                if let Some(t) = self.esp[i].tunnel.and_then(|t| self.tunnels.get_mut(t)) {
                    t.touch(self.esp[i].first_ns);
                    t.touch(self.esp[i].last_ns);
                    t.esp_in_udp |= udp;
                }
            }
        }
        let mut tunnels: Vec<TunnelReport> = self.tunnels.iter().map(|t| t.report(ctx)).collect();
        let mut unattached = Vec::new();
        let mut esp = self.esp;
        crate::order::sort_by_key(&mut esp, |sa| (sa.first_ns, sa.first_frame));
        for sa in esp {
            let r = EspReport {
                spi: format!("0x{:08x}", sa.spi),
                src: sa.src.into(),
                dst: sa.dst.into(),
                packets: sa.packets,
                bytes: sa.bytes,
                first: ctx.rel(sa.first_ns),
                last: ctx.rel(sa.last_ns),
                lost: sa.lost,
                replays: sa.replays,
                late: sa.late,
                encap: if sa.udp { EspEncap::Udp } else { EspEncap::Ip },
            };
            match sa.tunnel.and_then(|t| tunnels.get_mut(t)) {
                Some(t) => t.esp.push(r),
                None => unattached.push(r),
            }
        }
        crate::order::sort_by(&mut tunnels, |a, b| a.start.total_cmp(&b.start));
        IkeReport {
            messages: self.messages,
            malformed: self.malformed,
            tunnels,
            esp_unattached: unattached,
            esp_packets: self.esp_packets,
            keepalives_unattached: self.keepalives_unattached,
            tunnels_dropped: self.tunnels_dropped,
            esp_sas_dropped: self.esp_sas_dropped,
        }
    }
}

impl Protocol for IkeAnalyzer {
    fn with_budget(budget: usize) -> Self {
        IkeAnalyzer {
            bounds: Bounds::of(budget),
            ..IkeAnalyzer::default()
        }
    }

    fn udp(&mut self, seg: &Segment<'_>, shared: &mut Shared) -> Option<&'static str> {
        IkeAnalyzer::udp(self, seg, shared)
    }

    fn ip(&mut self, seg: &Segment<'_>, shared: &mut Shared) -> Option<&'static str> {
        IkeAnalyzer::ip(self, seg, shared)
    }

    fn found(&self, found: &mut Found) {
        found.tunnels += self.tunnels_so_far() as u64;
    }

    fn finish(self: Box<Self>, ctx: &FinishContext) -> Place {
        let ike = IkeAnalyzer::finish(*self, ctx);
        Box::new(move |s| s.ike = ike)
    }
}

#[cfg(test)]
mod tests;
