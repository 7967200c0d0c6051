//! One IKE SA as a plain state machine: every message of the SA goes through
//! [`Tunnel::on_message`], which files it under its exchange and updates what the clear parts of
//! IKE say — peers before and after the move to UDP encapsulation, NAT detection, establishment,
//! rekeys, deletes. Interpretation of encrypted IKEv2 exchanges rests on the first inner payload
//! type, which RFC 7296 §3.14 leaves in the clear.

use std::net::SocketAddr;

use callscope_wire::ike::{
    transform_name, vendor_name, ExchangeType, Message, NotifyType, Payload, PayloadType, Proposal,
};

use super::natd::{self, Verdict};
use super::report::{
    DeleteReport, ExchangeReport, FloatReport, NatMismatch, NatReport, TunnelState,
};
use crate::protocols::FinishContext;

/// Exchanges kept per tunnel.
pub const MAX_EXCHANGES: usize = 512;
/// Frames kept per exchange.
pub const MAX_FRAMES: usize = 64;
/// Distinct notify names, errors or vendor IDs kept.
const MAX_NAMES: usize = 16;
/// Keepalive times kept per tunnel (the count goes on).
pub const MAX_KEEPALIVE_TIMES: usize = 256;

/// Where one IKE message came from, in the capture.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    /// Frame number.
    pub frame: u64,
    /// Capture time (ns).
    pub ts_ns: i64,
    /// Source as captured.
    pub src: SocketAddr,
    /// Destination as captured.
    pub dst: SocketAddr,
    /// After the non-ESP marker on a NAT-T flow.
    pub encap: bool,
}

/// One exchange.
#[derive(Debug, Clone)]
pub struct Exchange {
    kind: ExchangeType,
    message_id: u32,
    by_initiator: bool,
    frames: Vec<u64>,
    requests: u32,
    responses: u32,
    first_ns: i64,
    request_ns: Option<i64>,
    response_ns: Option<i64>,
    notifies: Vec<NotifyType>,
    request_inner: Option<PayloadType>,
    response_inner: Option<PayloadType>,
    delete: Option<usize>,
}

impl Exchange {
    fn meaning(&self) -> Option<String> {
        use ExchangeType as E;
        use PayloadType as P;
        let has = |n: NotifyType| self.notifies.contains(&n);
        let s = match (self.kind, self.request_inner) {
            (E::CreateChildSa, Some(P::Notify)) => "rekey CHILD_SA",
            (E::CreateChildSa, Some(P::SecurityAssociation)) => "new CHILD_SA or rekey IKE_SA",
            (E::Informational, Some(P::Delete)) => match (self.responses, self.response_inner) {
                (0, _) => "delete",
                (_, Some(P::Delete)) => "delete CHILD_SA",
                (_, Some(P::None)) => "delete IKE_SA",
                _ => "delete",
            },
            (E::Informational, Some(P::None)) => "liveness check",
            (E::Informational, Some(P::Notify)) => "notification",
            (E::Informational, Some(P::Configuration)) => "configuration",
            (E::IkeSaInit, _) if has(NotifyType::COOKIE) => "cookie challenge",
            (E::IkeSaInit, _) if has(NotifyType::INVALID_KE_PAYLOAD) => "DH group rejected",
            (E::IkeSaInit, _) if has(NotifyType::NO_PROPOSAL_CHOSEN) => "no proposal chosen",
            _ => return None,
        };
        Some(s.to_owned())
    }
}

/// One IKE SA.
#[derive(Debug, Clone)]
pub struct Tunnel {
    /// 1 or 2.
    pub version: u8,
    /// Initiator's SPI.
    pub ispi: u64,
    /// Responder's SPI (0 until learned).
    pub rspi: u64,
    first: (SocketAddr, SocketAddr),
    plain: Option<(SocketAddr, SocketAddr)>,
    encap: Option<(SocketAddr, SocketAddr, u64, i64)>,
    current: (SocketAddr, SocketAddr),
    /// IKE messages.
    pub messages: u64,
    /// NAT-keepalives on its flow.
    pub keepalives: u64,
    /// Times of the first [`MAX_KEEPALIVE_TIMES`] keepalives.
    keepalive_ns: Vec<i64>,
    /// ESP in UDP attached to it.
    pub esp_in_udp: bool,
    start_ns: i64,
    end_ns: i64,
    init_request_ns: Option<i64>,
    established_ns: Option<i64>,
    established: bool,
    failed: bool,
    deleted: bool,
    nat_seen: bool,
    nat: NatReport,
    errors: Vec<String>,
    vendors: Vec<String>,
    proposal: Option<String>,
    exchanges: Vec<Exchange>,
    exchanges_dropped: u64,
    deletes: Vec<DeleteReport>,
    phase1_messages: u32,
    quick_modes: u64,
    create_child_sas: u64,
}

fn push_name(list: &mut Vec<String>, name: String) {
    if list.len() < MAX_NAMES && !list.contains(&name) {
        list.push(name);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `AES_CBC_256/PRF_HMAC_SHA2_256/HMAC_SHA2_256_128/MODP_2048` for IKEv2; IKEv1's transform
/// attributes spelled the same way.
fn proposal_summary(p: &Proposal<'_>, v1: bool) -> String {
    let mut parts = Vec::new();
    for t in &p.transforms {
        if v1 {
            let enc = match t.attribute(1) {
                Some(1) => "DES".to_owned(),
                Some(5) => "3DES".to_owned(),
                Some(7) => format!("AES_CBC_{}", t.key_length.unwrap_or(128)),
                Some(x) => format!("ENCR_{x}"),
                None => continue,
            };
            let hash = match t.attribute(2) {
                Some(1) => "MD5".to_owned(),
                Some(2) => "SHA1".to_owned(),
                Some(4) => "SHA2_256".to_owned(),
                Some(5) => "SHA2_384".to_owned(),
                Some(6) => "SHA2_512".to_owned(),
                Some(x) => format!("HASH_{x}"),
                None => "?".to_owned(),
            };
            let group = t
                .attribute(4)
                .and_then(|g| transform_name(4, g as u16).map(str::to_owned))
                .unwrap_or_else(|| format!("GROUP_{}", t.attribute(4).unwrap_or(0)));
            parts.push(format!("{enc}/{hash}/{group}"));
            break; // the first transform is the one offered first (or chosen)
        }
        let name = transform_name(t.kind, t.id)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("T{}:{}", t.kind, t.id));
        parts.push(match t.key_length {
            Some(k) => format!("{name}_{k}"),
            None => name,
        });
    }
    parts.join("/")
}

impl Tunnel {
    /// A tunnel whose first captured message is `msg`.
    pub fn new(msg: &Message<'_>, seen: &Seen) -> Self {
        let h = &msg.header;
        Tunnel {
            version: h.major_version,
            ispi: h.ispi,
            rspi: h.rspi,
            first: (seen.src, seen.dst),
            plain: None,
            encap: None,
            current: (seen.src, seen.dst),
            messages: 0,
            keepalives: 0,
            keepalive_ns: Vec::new(),
            esp_in_udp: false,
            start_ns: seen.ts_ns,
            end_ns: seen.ts_ns,
            init_request_ns: None,
            established_ns: None,
            established: false,
            failed: false,
            deleted: false,
            nat_seen: false,
            nat: NatReport::default(),
            errors: Vec::new(),
            vendors: Vec::new(),
            proposal: None,
            exchanges: Vec::new(),
            exchanges_dropped: 0,
            deletes: Vec::new(),
            phase1_messages: 0,
            quick_modes: 0,
            create_child_sas: 0,
        }
    }

    /// Notes that the tunnel carried traffic at `ts_ns`.
    pub fn touch(&mut self, ts_ns: i64) {
        self.start_ns = self.start_ns.min(ts_ns);
        self.end_ns = self.end_ns.max(ts_ns);
    }

    /// A NAT-keepalive on the tunnel's flow (RFC 3948 §2.3).
    pub fn keepalive(&mut self, ts_ns: i64) {
        self.keepalives += 1;
        if self.keepalive_ns.len() < MAX_KEEPALIVE_TIMES {
            self.keepalive_ns.push(ts_ns);
        }
        self.touch(ts_ns);
    }

    /// Whether `src` is (now or at first) the initiator's address.
    fn sent_by_initiator(&self, msg: &Message<'_>, seen: &Seen) -> bool {
        if msg.header.major_version == 2 {
            return msg.header.flags.initiator();
        }
        if self.messages == 0 {
            return true;
        }
        let (i, r) = self.current;
        if seen.src == i || seen.dst == r {
            return true;
        }
        if seen.src == r || seen.dst == i {
            return false;
        }
        let (i0, _) = self.plain.map_or(self.first, |p| p);
        seen.src.ip() == i0.ip()
    }

    /// Files one message of this SA.
    pub fn on_message(&mut self, msg: &Message<'_>, seen: &Seen) {
        let h = &msg.header;
        let v1 = h.major_version == 1;
        let from_initiator = self.sent_by_initiator(msg, seen);
        self.messages += 1;
        self.touch(seen.ts_ns);
        let (i, r) = if from_initiator {
            (seen.src, seen.dst)
        } else {
            (seen.dst, seen.src)
        };
        if seen.encap {
            if self.encap.is_none() {
                self.encap = Some((i, r, seen.frame, seen.ts_ns));
            }
        } else if self.plain.is_none() {
            self.plain = Some((i, r));
        }
        self.current = (i, r);
        if self.rspi == 0 && h.rspi != 0 {
            self.rspi = h.rspi;
        }

        // The exchange this message belongs to, and whether it is the response.
        let (by_initiator, is_response, existing) = if v1 {
            let found = self
                .exchanges
                .iter()
                .rposition(|x| x.kind == h.exchange && x.message_id == h.message_id);
            match found {
                Some(ix) => {
                    let by = self.exchanges[ix].by_initiator;
                    (by, by != from_initiator, Some(ix))
                }
                None => (from_initiator, false, None),
            }
        } else {
            let is_response = h.flags.response();
            let by = from_initiator != is_response;
            let found = self.exchanges.iter().rposition(|x| {
                x.kind == h.exchange && x.message_id == h.message_id && x.by_initiator == by
            });
            (by, is_response, found)
        };
        let ix = match existing {
            Some(ix) => Some(ix),
            None if self.exchanges.len() < MAX_EXCHANGES => {
                self.exchanges.push(Exchange {
                    kind: h.exchange,
                    message_id: h.message_id,
                    by_initiator,
                    frames: Vec::new(),
                    requests: 0,
                    responses: 0,
                    first_ns: seen.ts_ns,
                    request_ns: None,
                    response_ns: None,
                    notifies: Vec::new(),
                    request_inner: None,
                    response_inner: None,
                    delete: None,
                });
                match h.exchange {
                    ExchangeType::QuickMode => self.quick_modes += 1,
                    ExchangeType::CreateChildSa => self.create_child_sas += 1,
                    _ => {}
                }
                Some(self.exchanges.len() - 1)
            }
            None => {
                self.exchanges_dropped += 1;
                None
            }
        };
        let inner = msg.encrypted_first_inner();
        if let Some(ix) = ix {
            let x = &mut self.exchanges[ix];
            if x.frames.len() < MAX_FRAMES {
                x.frames.push(seen.frame);
            }
            if is_response {
                x.responses += 1;
                x.response_ns.get_or_insert(seen.ts_ns);
                if x.response_inner.is_none() {
                    x.response_inner = inner;
                }
            } else {
                x.requests += 1;
                x.request_ns.get_or_insert(seen.ts_ns);
                if x.request_inner.is_none() {
                    x.request_inner = inner;
                }
            }
            for n in msg.notifies() {
                if x.notifies.len() < MAX_NAMES && !x.notifies.contains(&n.kind) {
                    x.notifies.push(n.kind);
                }
            }
        }

        self.clear_payloads(msg, seen, from_initiator);
        if v1 {
            self.lifecycle_v1(msg, seen, from_initiator);
        } else {
            self.lifecycle_v2(msg, seen, ix, is_response, inner);
        }
    }

    fn clear_payloads(&mut self, msg: &Message<'_>, seen: &Seen, from_initiator: bool) {
        let h = &msg.header;
        let v1 = h.major_version == 1;
        let mut src_hashes: Vec<&[u8]> = Vec::new();
        let mut dst_hashes: Vec<&[u8]> = Vec::new();
        let mut natd_v1 = 0;
        for p in &msg.payloads {
            match p {
                Payload::Notify(n) => {
                    if n.kind == NotifyType::NAT_DETECTION_SOURCE_IP {
                        src_hashes.push(n.data);
                    } else if n.kind == NotifyType::NAT_DETECTION_DESTINATION_IP {
                        dst_hashes.push(n.data);
                    } else if n.kind.is_error() {
                        push_name(&mut self.errors, n.kind.label());
                        let retry = n.kind == NotifyType::INVALID_KE_PAYLOAD;
                        let setup = matches!(
                            h.exchange,
                            ExchangeType::IkeSaInit
                                | ExchangeType::IkeAuth
                                | ExchangeType::MainMode
                                | ExchangeType::Aggressive
                                | ExchangeType::InformationalV1
                        );
                        if setup && !retry && !self.established {
                            self.failed = true;
                        }
                    }
                }
                // RFC 3947 §3.2: the first NAT-D is the destination, the others the source.
                Payload::NatDiscovery(hash) => {
                    if natd_v1 == 0 {
                        dst_hashes.push(hash);
                    } else {
                        src_hashes.push(hash);
                    }
                    natd_v1 += 1;
                }
                Payload::VendorId(v) => {
                    let name = vendor_name(v).map_or_else(|| hex(v), str::to_owned);
                    push_name(&mut self.vendors, name);
                }
                Payload::SecurityAssociation(props) => {
                    let phase1 = matches!(
                        h.exchange,
                        ExchangeType::IkeSaInit | ExchangeType::MainMode | ExchangeType::Aggressive
                    );
                    if phase1 && (!from_initiator || self.proposal.is_none()) {
                        if let Some(p) = props.first() {
                            let s = proposal_summary(p, v1);
                            if !s.is_empty() {
                                self.proposal = Some(s);
                            }
                        }
                    }
                }
                Payload::Delete(d) => {
                    let what = if d.is_ike_sa() { "IKE_SA" } else { "CHILD_SA" };
                    if d.is_ike_sa() {
                        self.deleted = true;
                    }
                    self.deletes.push(DeleteReport {
                        frame: seen.frame,
                        message_id: h.message_id,
                        what: what.to_owned(),
                    });
                }
                _ => {}
            }
        }
        let mut judge = |hashes: &[&[u8]], addr: SocketAddr, sender_side: bool| {
            if hashes.is_empty() {
                return;
            }
            self.nat_seen = true;
            match natd::check(h.ispi, h.rspi, addr, hashes) {
                Verdict::Matches => self.nat.checked += 1,
                Verdict::Unverifiable => self.nat.unverifiable += 1,
                Verdict::Mismatch => {
                    self.nat.checked += 1;
                    self.nat.mismatched += 1;
                    if self.nat.mismatches.len() < 8 {
                        self.nat.mismatches.push(NatMismatch {
                            frame: seen.frame,
                            by: if from_initiator {
                                "initiator"
                            } else {
                                "responder"
                            }
                            .to_owned(),
                            hash: if sender_side { "source" } else { "destination" }.to_owned(),
                            captured: addr.into(),
                        });
                    }
                    // The side whose address the hash describes is behind the NAT.
                    if sender_side == from_initiator {
                        self.nat.initiator_behind_nat = true;
                    } else {
                        self.nat.responder_behind_nat = true;
                    }
                }
            }
        };
        judge(&src_hashes, seen.src, true);
        judge(&dst_hashes, seen.dst, false);
    }

    fn lifecycle_v1(&mut self, msg: &Message<'_>, seen: &Seen, from_initiator: bool) {
        let h = &msg.header;
        match h.exchange {
            ExchangeType::MainMode | ExchangeType::Aggressive => {
                self.phase1_messages += 1;
                if from_initiator && h.rspi == 0 {
                    let t = self
                        .init_request_ns
                        .map_or(seen.ts_ns, |t| t.min(seen.ts_ns));
                    self.init_request_ns = Some(t);
                }
                let needed = if h.exchange == ExchangeType::MainMode {
                    6
                } else {
                    3
                };
                if self.phase1_messages >= needed && !self.failed {
                    self.established = true;
                    self.established_ns = Some(seen.ts_ns);
                }
            }
            ExchangeType::QuickMode => self.established = true,
            _ => {}
        }
    }

    fn lifecycle_v2(
        &mut self,
        msg: &Message<'_>,
        seen: &Seen,
        ix: Option<usize>,
        is_response: bool,
        inner: Option<PayloadType>,
    ) {
        let h = &msg.header;
        match h.exchange {
            ExchangeType::IkeSaInit if !is_response && h.flags.initiator() => {
                let t = self
                    .init_request_ns
                    .map_or(seen.ts_ns, |t| t.min(seen.ts_ns));
                self.init_request_ns = Some(t);
            }
            // An IKE_AUTH response whose encrypted part starts with anything but a Notify (an
            // error such as AUTHENTICATION_FAILED would) completes the IKE SA.
            ExchangeType::IkeAuth
                if is_response && inner.is_some() && inner != Some(PayloadType::Notify) =>
            {
                self.established = true;
                self.failed = false;
                self.established_ns = Some(seen.ts_ns);
            }
            ExchangeType::CreateChildSa | ExchangeType::Informational => {
                self.established = true;
                let Some(ix) = ix else { return };
                if h.exchange != ExchangeType::Informational {
                    return;
                }
                let x = &mut self.exchanges[ix];
                if !is_response && inner == Some(PayloadType::Delete) && x.delete.is_none() {
                    x.delete = Some(self.deletes.len());
                    self.deletes.push(DeleteReport {
                        frame: seen.frame,
                        message_id: h.message_id,
                        what: "unknown".to_owned(),
                    });
                }
                if is_response && x.request_inner == Some(PayloadType::Delete) {
                    if let Some(d) = x.delete {
                        let what = if inner == Some(PayloadType::Delete) {
                            "CHILD_SA"
                        } else {
                            self.deleted = true;
                            "IKE_SA"
                        };
                        if let Some(d) = self.deletes.get_mut(d) {
                            d.what = what.to_owned();
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Where the tunnel's messages now flow (for attaching ESP and keepalives).
    pub fn current(&self) -> (SocketAddr, SocketAddr) {
        self.current
    }

    /// The report entry (without ESP).
    pub fn report(&self, ctx: &FinishContext) -> super::report::TunnelReport {
        let (initiator, responder) = self
            .plain
            .or(self.encap.map(|(i, r, _, _)| (i, r)))
            .unwrap_or(self.first);
        let floated = match (self.plain, self.encap) {
            (Some(_), Some((i, r, frame, ts))) => Some(FloatReport {
                initiator: i.into(),
                responder: r.into(),
                frame,
                time: ctx.rel(ts),
            }),
            _ => None,
        };
        let nat_detected = self.nat.mismatched > 0;
        let established_ms = match (self.init_request_ns, self.established_ns) {
            (Some(a), Some(b)) if b >= a => Some((b - a) as f64 / 1e6),
            _ => None,
        };
        let state = if self.deleted {
            TunnelState::Deleted
        } else if self.established {
            TunnelState::Established
        } else if self.failed {
            TunnelState::Failed
        } else {
            TunnelState::Negotiating
        };
        let rekeys = if self.version == 1 {
            self.quick_modes.saturating_sub(1)
        } else {
            self.create_child_sas
        };
        let exchanges = self
            .exchanges
            .iter()
            .map(|x| ExchangeReport {
                kind: x.kind.name(),
                type_id: x.kind.value(),
                message_id: x.message_id,
                by: if x.by_initiator {
                    "initiator"
                } else {
                    "responder"
                }
                .to_owned(),
                frames: x.frames.clone(),
                requests: x.requests,
                responses: x.responses,
                start: ctx.rel(x.first_ns),
                rtt_ms: match (x.request_ns, x.response_ns) {
                    (Some(a), Some(b)) if b >= a => Some((b - a) as f64 / 1e6),
                    _ => None,
                },
                notifies: x.notifies.iter().map(|n| n.label()).collect(),
                encrypted: x.request_inner.or(x.response_inner).map(|p| p.short()),
                meaning: x.meaning(),
            })
            .collect();
        super::report::TunnelReport {
            version: self.version,
            initiator: initiator.into(),
            responder: responder.into(),
            ispi: format!("0x{:016x}", self.ispi),
            rspi: format!("0x{:016x}", self.rspi),
            nat_t: self.encap.is_some() || self.esp_in_udp,
            nat_detected,
            nat: self.nat_seen.then(|| self.nat.clone()),
            floated,
            keepalives: self.keepalives,
            keepalive_times: self.keepalive_ns.iter().map(|&ns| ctx.rel(ns)).collect(),
            messages: self.messages,
            start: ctx.rel(self.start_ns),
            end: ctx.rel(self.end_ns),
            established_ms,
            state,
            rekeys,
            deletes: self.deletes.clone(),
            errors: self.errors.clone(),
            vendors: self.vendors.clone(),
            proposal: self.proposal.clone(),
            exchanges,
            exchanges_dropped: self.exchanges_dropped,
            esp: Vec::new(),
        }
    }
}
