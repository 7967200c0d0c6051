//! STUN (RFC 8489/5389, classic RFC 3489) and TURN (RFC 8656) over UDP and TCP: transactions
//! matched by ID with their RTT and the public mapping they reveal, errors by code, TURN
//! allocations with permissions, channels and ChannelData, and RFC 7983 demultiplexing of the
//! flows STUN shares with DTLS and RTP.
//!
//! Recognition: on UDP, a message with the magic cookie whose length fills the datagram; a classic
//! message only when its type and every attribute are RFC 3489's and fill the datagram exactly
//! (there is no cookie to go by); ChannelData only on a flow that already carried STUN. Once a flow
//! carried STUN its other datagrams are classified by their first byte: DTLS is named here, RTP is
//! left for the RTP analyzer. On TCP, a stream whose first bytes are a STUN header with the cookie
//! is cut into messages by RFC 8489 §6.2.2 / RFC 8656 §12.5 framing.
//!
//! Bounded: transactions, allocations, flows and stream buffers are capped; what does not fit is
//! counted in the report.

mod report;
mod transaction;
mod turn;

use std::collections::BTreeMap;

use crate::{FastMap, FastSet};
use std::net::SocketAddr;

use callscope_wire::stun::{
    self as wire_stun, demux, tcp_frame_len, Attribute, AttributeType, ChannelData, Class, Demux,
    Framed, Message, Method, StunPacket, TransactionId, HEADER_LEN,
};

pub use report::{
    Allocation, Channel, ClassCounts, DemuxCounts, Mapping, Outcome, StunReport, StunTransaction,
};

use self::transaction::Transaction;
use self::turn::Alloc;
use crate::flows::{unordered, LookupMemo, PairFilter, Transport};
use crate::protocols::{FinishContext, Place, Protocol, Segment, Shared};

/// Distinct public mappings kept.
const MAX_MAPPINGS: usize = 1_024;
/// Distinct SOFTWARE values kept.
const MAX_SOFTWARE: usize = 32;
/// ChannelData payloads held between two hand-overs to the RTP analyzer.
const MAX_RELAYED: usize = 1_024;
/// Bytes buffered per TCP stream direction while a message is incomplete.
const MAX_STREAM_BUFFER: usize = HEADER_LEN + 65_536;
/// Channel numbers a ChannelBind may name (0x4000–0x7FFF, RFC 8656 §12): the set of those seen
/// is bounded by the protocol itself.
const CHANNEL_NUMBERS: usize = 16_384;

/// The tables' bounds, from the memory budget.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    /// Transactions tracked.
    transactions: usize,
    /// Allocations tracked.
    allocations: usize,
    /// Flows remembered as carrying STUN; also the TCP stream directions buffered.
    flows: usize,
    /// Bytes buffered over all TCP stream directions while their messages are incomplete.
    stream_bytes: usize,
}

impl Bounds {
    fn of(budget: usize) -> Self {
        Bounds {
            transactions: crate::budget::STUN_TRANSACTIONS.bound(budget),
            allocations: crate::budget::TURN_ALLOCATIONS.bound(budget),
            flows: crate::budget::STUN_FLOWS.bound(budget),
            stream_bytes: crate::budget::STUN_STREAM_BYTES.bound(budget),
        }
    }
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds::of(crate::DEFAULT_BUDGET)
    }
}

/// One direction of a TCP stream carrying STUN/TURN.
#[derive(Debug, Default)]
struct StreamBuf {
    buf: Vec<u8>,
    broken: bool,
}

/// Where one message was seen.
#[derive(Debug, Clone, Copy)]
struct At {
    frame: u64,
    ts_ns: i64,
    src: SocketAddr,
    dst: SocketAddr,
    transport: Transport,
}

/// The analyzer's state.
#[derive(Debug, Default)]
pub struct StunAnalyzer {
    bounds: Bounds,
    messages: u64,
    classic_messages: u64,
    channel_data: u64,
    /// Relayed media waiting for the RTP analyzer (drained after every datagram or segment).
    relayed: Vec<Vec<u8>>,
    indications: u64,
    malformed: u64,
    fingerprint_bad: u64,
    methods: BTreeMap<String, ClassCounts>,
    errors: BTreeMap<u16, u64>,
    software: Vec<String>,
    txs: Vec<Transaction>,
    tx_index: FastMap<TransactionId, usize>,
    transactions_dropped: u64,
    mappings: Vec<Mapping>,
    mapping_index: FastMap<(SocketAddr, SocketAddr, SocketAddr), usize>,
    allocs: Vec<Alloc>,
    alloc_index: FastMap<(SocketAddr, SocketAddr, Transport), usize>,
    allocations_dropped: u64,
    flows: FastMap<(SocketAddr, SocketAddr), ()>,
    /// `flows` looked up per flow (the lookup runs on every UDP datagram); `flows` only grows,
    /// so its length is its version.
    known: LookupMemo<bool>,
    /// The pairs of `flows`, asked before `known`.
    maybe_known: PairFilter,
    demux: DemuxCounts,
    streams: FastMap<(SocketAddr, SocketAddr), StreamBuf>,
    tcp_desync: u64,
    /// Bytes in `streams`' buffers.
    stream_held: usize,
    /// Channel numbers that ChannelBind requests named.
    bound_channels: FastSet<u16>,
}

impl StunAnalyzer {
    /// Looks at a UDP datagram; returns a hierarchy name when it is STUN, ChannelData or (on a
    /// STUN flow) DTLS.
    pub fn udp(&mut self, seg: &Segment<'_>, _shared: &mut Shared) -> Option<&'static str> {
        let first = *seg.payload.first()?;
        let version = self.flows.len() as u64;
        let known = if !self.maybe_known.may_contain(seg.src, seg.dst) {
            false
        } else if let Some(known) = self.known.get(seg.flow, seg.src, seg.dst, version) {
            known
        } else {
            let known = self.flows.contains_key(&unordered(seg.src, seg.dst));
            self.known.put(seg.flow, seg.src, seg.dst, version, known);
            known
        };
        // Built only for what is STUN or ChannelData: most datagrams here are RTP.
        let at = || At {
            frame: seg.frame,
            ts_ns: seg.ts_ns,
            src: seg.src,
            dst: seg.dst,
            transport: Transport::Udp,
        };
        match demux(first) {
            Demux::Stun => {
                let p = StunPacket::new_checked(seg.payload).ok()?;
                if p.total_len() != seg.payload.len() {
                    return None;
                }
                let name = if p.has_magic_cookie() {
                    self.demux.stun += 1;
                    "stun"
                } else if p.is_plausible_classic() {
                    self.demux.classic += 1;
                    "classicstun"
                } else {
                    return None;
                };
                self.remember(unordered(seg.src, seg.dst));
                self.on_message(&Message::parse(&p), &at());
                Some(name)
            }
            // ChannelData: RFC 7983's 64–79, or RFC 5766's wider channel range (first byte up to
            // 0x7f, which RFC 9443 gives to QUIC) on a flow that carried STUN.
            Demux::TurnChannel | Demux::Quic if known && first < 0x80 => {
                match ChannelData::new_checked(seg.payload) {
                    // UDP may carry the padding (RFC 8656 §12.5) but nothing more.
                    Ok(cd) if seg.payload.len() - (4 + usize::from(cd.length())) < 4 => {
                        self.on_channel_data(cd.channel(), cd.length().into(), &at());
                        self.relay(cd.data());
                        Some("stun")
                    }
                    _ => {
                        self.demux.other += 1;
                        None
                    }
                }
            }
            Demux::Dtls if known => {
                self.demux.dtls += 1;
                Some("dtls")
            }
            Demux::Rtp if known => {
                self.demux.rtp += 1;
                None
            }
            Demux::Zrtp if known => {
                self.demux.zrtp += 1;
                None
            }
            _ if known => {
                self.demux.other += 1;
                None
            }
            _ => None,
        }
    }

    /// Whether this analyzer wants a TCP stream, judged on its first payload: a STUN header with
    /// the magic cookie (RFC 8489 §6.2.2; TURN over TCP starts with an Allocate).
    /// No analyzer state is involved: the frame stage decides it.
    pub fn claims_tcp(seg: &Segment<'_>) -> bool {
        wire_stun::starts_stream(seg.payload)
    }

    /// In-order bytes of a claimed TCP stream: cut into STUN and ChannelData messages.
    pub fn tcp_bytes(&mut self, seg: &Segment<'_>, _shared: &mut Shared) {
        let key = (seg.src, seg.dst);
        if !self.streams.contains_key(&key) && self.streams.len() >= self.bounds.flows {
            return;
        }
        let mut stream = self.streams.remove(&key).unwrap_or_default();
        if stream.broken {
            self.streams.insert(key, stream);
            return;
        }
        let before = stream.buf.len();
        if self.stream_held + seg.payload.len() > self.bounds.stream_bytes {
            // Every stream's partial messages together may not outgrow the budget's share.
            self.stream_held -= before;
            stream = StreamBuf {
                broken: true,
                ..StreamBuf::default()
            };
            self.tcp_desync += 1;
            self.streams.insert(key, stream);
            return;
        }
        stream.buf.extend_from_slice(seg.payload);
        let at = At {
            frame: seg.frame,
            ts_ns: seg.ts_ns,
            src: seg.src,
            dst: seg.dst,
            transport: Transport::Tcp,
        };
        let mut used = 0;
        loop {
            let rest = &stream.buf[used..];
            // ChannelData beyond RFC 8656's 0x4FFF only for a channel a ChannelBind named: text
            // or noise would otherwise frame as RFC 5766 ChannelData and swallow the stream.
            if let Some(channel) = wire_stun::channel_number(rest) {
                if channel > 0x4fff && !self.bound_channels.contains(&channel) {
                    stream.broken = true;
                    self.tcp_desync += 1;
                    break;
                }
            }
            match tcp_frame_len(rest) {
                Framed::Complete(n) => {
                    let bytes = &rest[..n];
                    if bytes[0] & 0xc0 == 0 {
                        match StunPacket::new_checked(bytes) {
                            Ok(p) => {
                                self.remember(unordered(seg.src, seg.dst));
                                self.on_message(&Message::parse(&p), &at);
                            }
                            Err(_) => self.malformed += 1,
                        }
                    } else if let Ok(cd) = ChannelData::new_checked(bytes) {
                        self.on_channel_data(cd.channel(), cd.length().into(), &at);
                        self.relay(cd.data());
                    }
                    used += n;
                }
                Framed::Incomplete(need) => {
                    if need > MAX_STREAM_BUFFER {
                        stream.broken = true;
                        self.tcp_desync += 1;
                    }
                    break;
                }
                Framed::Invalid => {
                    stream.broken = true;
                    self.tcp_desync += 1;
                    break;
                }
            }
        }
        stream.buf.drain(..used);
        if stream.broken {
            stream.buf = Vec::new();
        }
        self.stream_held = self.stream_held - before + stream.buf.len();
        self.streams.insert(key, stream);
    }

    fn remember(&mut self, key: (SocketAddr, SocketAddr)) {
        if self.flows.len() < self.bounds.flows {
            self.flows.insert(key, ());
            self.maybe_known.insert(key.0, key.1);
        }
    }

    fn alloc(
        &mut self,
        client: SocketAddr,
        server: SocketAddr,
        t: Transport,
        ts: i64,
    ) -> Option<usize> {
        if let Some(&i) = self.alloc_index.get(&(client, server, t)) {
            return Some(i);
        }
        if self.allocs.len() >= self.bounds.allocations {
            self.allocations_dropped += 1;
            return None;
        }
        self.allocs.push(Alloc::new(client, server, t, ts));
        self.alloc_index
            .insert((client, server, t), self.allocs.len() - 1);
        Some(self.allocs.len() - 1)
    }

    /// Moves the relayed media this datagram or delivery queued to [`Shared::relayed`]. Most
    /// relay nothing, and `append` of an empty queue is not free.
    fn hand_relayed(&mut self, shared: &mut Shared) {
        if !self.relayed.is_empty() {
            shared.relayed.append(&mut self.relayed);
        }
    }

    /// Keeps relayed application data (ChannelData, DATA attributes) that may be RTP or RTCP (RFC 7983: first byte
    /// 128–191) for the RTP analyzer, which [`crate::registry::Protocols`] hands it to.
    fn relay(&mut self, data: &[u8]) {
        if matches!(data.first(), Some(128..=191)) && self.relayed.len() < MAX_RELAYED {
            self.relayed.push(data.to_vec());
        }
    }

    fn on_channel_data(&mut self, channel: u16, len: usize, at: &At) {
        self.channel_data += 1;
        self.demux.channel_data += 1;
        let (ix, from_client) =
            if let Some(&i) = self.alloc_index.get(&(at.src, at.dst, at.transport)) {
                (Some(i), true)
            } else if let Some(&i) = self.alloc_index.get(&(at.dst, at.src, at.transport)) {
                (Some(i), false)
            } else {
                (self.alloc(at.src, at.dst, at.transport, at.ts_ns), true)
            };
        if let Some(i) = ix {
            self.allocs[i].channel_data(channel, len, from_client);
        }
    }

    fn on_message(&mut self, msg: &Message<'_>, at: &At) {
        if msg.classic {
            self.classic_messages += 1;
        } else {
            self.messages += 1;
        }
        if msg.error.is_some() {
            self.malformed += 1;
        }
        if msg.fingerprint_ok == Some(false) {
            self.fingerprint_bad += 1;
        }
        let counts = self.methods.entry(msg.kind.method.name()).or_default();
        match msg.kind.class {
            Class::Request => counts.request += 1,
            Class::Indication => counts.indication += 1,
            Class::SuccessResponse => counts.success += 1,
            Class::ErrorResponse => counts.error += 1,
        }
        if let Some(Attribute::Text { value, .. }) = msg.attribute(AttributeType::Software) {
            let s = String::from_utf8_lossy(&value[..value.len().min(128)]).into_owned();
            if self.software.len() < MAX_SOFTWARE && !self.software.contains(&s) {
                self.software.push(s);
            }
        }
        if msg.kind.class == Class::Indication {
            self.indications += 1;
            // Send and Data indications carry relayed media in DATA (RFC 8656 §10–11).
            if let Some(Attribute::Data(data)) = msg.attribute(AttributeType::Data) {
                self.relay(data);
            }
            self.on_indication(msg, at);
            return;
        }
        if let (Class::ErrorResponse, Some((code, _))) = (msg.kind.class, msg.error_code()) {
            *self.errors.entry(code).or_default() += 1;
        }
        let ix = match self.tx_index.get(&msg.transaction_id) {
            Some(&ix) => ix,
            None => {
                if self.txs.len() >= self.bounds.transactions {
                    self.transactions_dropped += 1;
                    return;
                }
                self.txs.push(Transaction::new(
                    msg,
                    at.src,
                    at.dst,
                    at.transport,
                    at.ts_ns,
                ));
                self.tx_index.insert(msg.transaction_id, self.txs.len() - 1);
                self.txs.len() - 1
            }
        };
        if let (Method::ChannelBind, Some(Attribute::ChannelNumber(c))) =
            (msg.kind.method, msg.attribute(AttributeType::ChannelNumber))
        {
            if self.bound_channels.len() < CHANNEL_NUMBERS {
                self.bound_channels.insert(*c);
            }
        }
        let first_response = msg.kind.class.is_response() && self.txs[ix].response_frame.is_none();
        self.txs[ix].on_message(msg, at.frame, at.ts_ns);
        let tx = self.txs[ix].clone();
        if msg.kind.class == Class::Request {
            if tx.method == Method::Allocate && tx.requests == 1 {
                if let Some(a) = self.alloc(tx.client, tx.server, tx.transport, at.ts_ns) {
                    self.allocs[a].requests += 1;
                }
            }
            return;
        }
        if !first_response {
            return;
        }
        if let (Some((mapped, _)), Some(_)) = (tx.mapped, tx.response_frame) {
            self.mapping(tx.client, mapped, tx.server, at.frame);
        }
        self.turn_response(&tx, msg.kind.class, at);
    }

    fn mapping(&mut self, local: SocketAddr, mapped: SocketAddr, server: SocketAddr, frame: u64) {
        let key = (local, mapped, server);
        if let Some(&i) = self.mapping_index.get(&key) {
            self.mappings[i].responses += 1;
        } else if self.mappings.len() < MAX_MAPPINGS {
            self.mappings.push(Mapping {
                local: local.into(),
                mapped: mapped.into(),
                server: server.into(),
                responses: 1,
                first_frame: frame,
            });
            self.mapping_index.insert(key, self.mappings.len() - 1);
        }
    }

    fn turn_response(&mut self, tx: &Transaction, class: Class, at: &At) {
        let turn = matches!(
            tx.method,
            Method::Allocate | Method::Refresh | Method::CreatePermission | Method::ChannelBind
        );
        if !turn {
            return;
        }
        let Some(a) = self.alloc(tx.client, tx.server, tx.transport, at.ts_ns) else {
            return;
        };
        let alloc = &mut self.allocs[a];
        match (tx.method, class) {
            (Method::Allocate, Class::SuccessResponse) => {
                alloc.allocated_frame.get_or_insert(at.frame);
                alloc.relayed = tx.relayed.or(alloc.relayed);
                alloc.mapped = tx.mapped.map(|m| m.0).or(alloc.mapped);
                alloc.lifetime = tx.lifetime.or(alloc.lifetime);
            }
            (Method::Allocate, _) => match tx.error.as_ref().map(|e| e.0) {
                Some(401) => alloc.challenges += 1,
                Some(code) => alloc.errors.push(code),
                None => {}
            },
            (Method::Refresh, Class::SuccessResponse) => {
                if tx.lifetime == Some(0) {
                    alloc.deleted_frame.get_or_insert(at.frame);
                } else {
                    alloc.refreshes += 1;
                    alloc.lifetime = tx.lifetime.or(alloc.lifetime);
                }
            }
            (Method::CreatePermission, Class::SuccessResponse) => {
                for &p in &tx.peers {
                    alloc.permit(p);
                }
            }
            (Method::ChannelBind, Class::SuccessResponse) => {
                if let Some(c) = tx.channel {
                    alloc.bind(c, tx.peers.first().copied(), at.frame);
                }
            }
            (_, Class::ErrorResponse) => {
                if let Some((code, _)) = tx.error {
                    if code != 401 && alloc.errors.len() < 64 {
                        alloc.errors.push(code);
                    }
                }
            }
            _ => {}
        }
    }

    /// TURN Send (client to server) and Data (server to client) indications.
    fn on_indication(&mut self, msg: &Message<'_>, at: &At) {
        match msg.kind.method {
            Method::Send => {
                if let Some(a) = self.alloc(at.src, at.dst, at.transport, at.ts_ns) {
                    self.allocs[a].send_indications += 1;
                }
            }
            Method::Data => {
                if let Some(a) = self.alloc(at.dst, at.src, at.transport, at.ts_ns) {
                    self.allocs[a].data_indications += 1;
                }
            }
            _ => {}
        }
    }

    /// Builds the report section.
    pub fn finish(self, ctx: &FinishContext) -> StunReport {
        let mut txs = self.txs;
        crate::order::sort_by_key(&mut txs, |t| t.first_ns);
        let mut allocs = self.allocs;
        crate::order::sort_by_key(&mut allocs, |a| a.first_ns);
        StunReport {
            messages: self.messages,
            classic_messages: self.classic_messages,
            channel_data: self.channel_data,
            indications: self.indications,
            malformed: self.malformed,
            fingerprint_bad: self.fingerprint_bad,
            methods: self.methods,
            errors: self
                .errors
                .iter()
                .map(|(code, n)| (code.to_string(), *n))
                .collect(),
            software: self.software,
            transactions: txs.iter().map(|t| t.report(ctx)).collect(),
            transactions_dropped: self.transactions_dropped,
            mappings: self.mappings,
            allocations: allocs.iter().map(|a| a.report(ctx)).collect(),
            allocations_dropped: self.allocations_dropped,
            demux: self.demux,
            tcp_desync: self.tcp_desync,
        }
    }
}

/// Relayed media is queued in [`Shared::relayed`] for whichever analyzer wants it (RTP).
impl Protocol for StunAnalyzer {
    fn with_budget(budget: usize) -> Self {
        StunAnalyzer {
            bounds: Bounds::of(budget),
            ..StunAnalyzer::default()
        }
    }

    fn udp(&mut self, seg: &Segment<'_>, shared: &mut Shared) -> Option<&'static str> {
        let name = StunAnalyzer::udp(self, seg, shared);
        self.hand_relayed(shared);
        name
    }

    fn claims_stream(first: &Segment<'_>) -> bool {
        StunAnalyzer::claims_tcp(first)
    }

    fn stream_bytes(&mut self, seg: &Segment<'_>, shared: &mut Shared) {
        self.tcp_bytes(seg, shared);
        self.hand_relayed(shared);
    }

    fn finish(self: Box<Self>, ctx: &FinishContext) -> Place {
        let stun = StunAnalyzer::finish(*self, ctx);
        Box::new(move |s| s.stun = stun)
    }
}

#[cfg(test)]
mod tests;
