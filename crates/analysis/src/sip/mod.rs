//! SIP (RFC 3261) over UDP and TCP, with SDP (RFC 8866) offers and answers: state across packets
//! and the report section.
//!
//! Messages arrive as UDP datagrams (already defragmented) whose first line is a SIP start line,
//! on any port, or as in-order bytes of claimed TCP streams, cut into messages by
//! `Content-Length` ([`stream`]). SIP over TLS (5061) is not claimed: the flow stays `tls`.
//!
//! Each message is counted as tshark's `-z sip,stat` counts it (per method, per status, and
//! resent per [`resend`]), then goes to its Call-ID: a call ([`call`]) when it belongs to an
//! INVITE dialog, else an exchange ([`summary`]); REGISTER and OPTIONS are also summarised per
//! address of record and per pair. SDP in calls is reported per offer/answer and its RTP
//! endpoints are published in [`Shared::media`] for the RTP analyzer ([`media`]).
//!
//! Bounded: Call-IDs tracked, ladder arrows per call and in all, transactions and dialogs per
//! call, retransmission keys, summaries, published media endpoints and TCP framing buffers all
//! have caps ([`SipLimits`]); what they drop is counted in `sip.dropped`.

pub mod call;
pub mod details;
pub mod ladder;
pub mod media;
pub mod megaco;
pub mod report;
pub mod resend;
pub mod stream;
pub mod summary;

use std::collections::BTreeMap;

use crate::FastMap;
use std::net::SocketAddr;

use callscope_wire::sdp::{self, Sdp};
use callscope_wire::sip::{self as wire_sip, framing::FrameLimits, Message};

use crate::flows::Transport;
use crate::protocols::{FinishContext, Place, Protocol, Segment, Shared};
use crate::Found;
pub use report::SipReport;

use call::{CallLimits, CallTracker};
use report::{Malformed, SetupTime, UserAgent};
use resend::{Observed, Resend};
use stream::{Item, Streams};
use summary::{ExchangeTracker, Summaries};

/// The SIP analyzer's bounds.
#[derive(Debug, Clone, Copy)]
pub struct SipLimits {
    /// Call-IDs tracked (calls plus exchanges).
    pub call_ids: usize,
    /// Ladder arrows kept over all calls and exchanges.
    pub arrows: usize,
    /// Per-call bounds.
    pub call: CallLimits,
    /// Ladder arrows per exchange.
    pub exchange_arrows: usize,
    /// Registrations and OPTIONS pairs.
    pub summaries: usize,
    /// Retransmission-detection keys.
    pub resend_keys: usize,
    /// Media endpoints in [`Shared::media`].
    pub media: usize,
    /// Malformed messages kept with their reason.
    pub malformed_kept: usize,
    /// Distinct User-Agent values.
    pub user_agents: usize,
    /// One message on a stream.
    pub frame: FrameLimits,
    /// Bytes of partial messages over all streams.
    pub stream_bytes: usize,
    /// Streams holding a partial message.
    pub streams: usize,
    /// Bytes of ladder message details (start lines and header fields) over all calls.
    pub details_bytes: usize,
}

impl Default for SipLimits {
    fn default() -> Self {
        SipLimits::with_budget(crate::DEFAULT_BUDGET)
    }
}

impl SipLimits {
    /// The tables sized by a memory budget of `budget` bytes ([`crate::budget`]); the per-call
    /// and per-message bounds are fixed.
    pub fn with_budget(budget: usize) -> Self {
        use crate::budget::*;
        SipLimits {
            call_ids: SIP_CALL_IDS.bound(budget),
            arrows: SIP_ARROWS.bound(budget),
            call: CallLimits {
                arrows: 2_000,
                transactions: 256,
                dialogs: 32,
                sdp: 64,
                user_agents: 8,
            },
            exchange_arrows: 200,
            summaries: SIP_SUMMARIES.bound(budget),
            resend_keys: SIP_RESEND_KEYS.bound(budget),
            media: SIP_MEDIA.bound(budget),
            malformed_kept: 64,
            user_agents: 256,
            frame: FrameLimits {
                max_header: 64 * 1024,
                max_body: 256 * 1024,
            },
            stream_bytes: SIP_STREAM_BYTES.bound(budget),
            streams: TCP_STREAMS.bound(budget),
            details_bytes: SIP_DETAILS.bound(budget),
        }
    }
}

/// A message as the trackers see it: where and when, and what the analyzer learned about it.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// Frame.
    pub frame: u64,
    /// Capture time, ns.
    pub ts_ns: i64,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// `udp` or `tcp`.
    pub transport: Transport,
    /// tshark would flag it as resent.
    pub resent: bool,
    /// Its SDP, decoded.
    pub sdp: Option<&'a Sdp>,
}

#[derive(Debug)]
enum Owner {
    Call(usize),
    Exchange(usize),
}

#[derive(Debug)]
struct MalformedSeen {
    frame: u64,
    ts_ns: i64,
    src: SocketAddr,
    dst: SocketAddr,
    reason: String,
}

/// The analyzer's state.
#[derive(Debug)]
pub struct SipAnalyzer {
    limits: SipLimits,
    messages: u64,
    methods: BTreeMap<String, u64>,
    responses: BTreeMap<String, u64>,
    transports: BTreeMap<String, u64>,
    resent: u64,
    keepalives: u64,
    malformed: u64,
    malformed_seen: Vec<MalformedSeen>,
    resend: Resend,
    owners: FastMap<String, Owner>,
    calls: Vec<CallTracker>,
    exchanges: Vec<ExchangeTracker>,
    arrows: usize,
    summaries: Summaries,
    user_agents: FastMap<String, u64>,
    setup: Vec<f64>,
    streams: Streams,
    dropped: report::SipDropped,
    megaco: report::MegacoSummary,
    /// Header values decoded for earlier messages.
    headers: wire_sip::HeaderCache,
    /// Bytes of message details kept so far.
    details_bytes: usize,
}

impl Default for SipAnalyzer {
    fn default() -> Self {
        SipAnalyzer::new(SipLimits::default())
    }
}

/// Methods whose Call-ID is a call's.
fn is_call_method(method: &str) -> bool {
    matches!(
        method,
        "INVITE" | "ACK" | "BYE" | "CANCEL" | "PRACK" | "UPDATE" | "INFO"
    )
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

impl SipAnalyzer {
    /// An analyzer with these bounds.
    pub fn new(limits: SipLimits) -> Self {
        SipAnalyzer {
            limits,
            messages: 0,
            methods: BTreeMap::new(),
            responses: BTreeMap::new(),
            transports: BTreeMap::new(),
            resent: 0,
            keepalives: 0,
            malformed: 0,
            malformed_seen: Vec::new(),
            resend: Resend::new(limits.resend_keys),
            owners: FastMap::default(),
            calls: Vec::new(),
            exchanges: Vec::new(),
            arrows: 0,
            summaries: Summaries::default(),
            user_agents: FastMap::default(),
            setup: Vec::new(),
            streams: Streams::new(limits.frame, limits.stream_bytes, limits.streams),
            dropped: report::SipDropped::default(),
            megaco: report::MegacoSummary::default(),
            headers: wire_sip::HeaderCache::default(),
            details_bytes: 0,
        }
    }

    /// Looks at a UDP datagram; returns a hierarchy name when it is this protocol's.
    pub fn udp(&mut self, seg: &Segment<'_>, shared: &mut Shared) -> Option<&'static str> {
        let payload = seg.payload;
        if wire_sip::is_keepalive(payload) {
            let sip_port = |p: u16| p == 5060 || p == 5061;
            if sip_port(seg.src.port()) || sip_port(seg.dst.port()) {
                self.keepalives += 1;
            }
            return None;
        }
        if !wire_sip::looks_like_sip(payload) {
            return None;
        }
        self.on_bytes(seg, Transport::Udp, payload, shared);
        Some("sip")
    }

    /// Whether this analyzer wants a TCP stream, judged on its first payload: a SIP start line,
    /// SIP headers (the capture began mid-message), or port 5060 unless the bytes are TLS.
    /// No analyzer state is involved: the frame stage decides it.
    pub fn claims_tcp(seg: &Segment<'_>) -> bool {
        let p = seg.payload;
        if wire_sip::looks_like_sip(p) {
            return true;
        }
        if callscope_wire::tls::is_record(p) {
            return false;
        }
        if seg.src.port() == 5060 || seg.dst.port() == 5060 {
            return true;
        }
        contains(p, b"SIP/2.0") && (contains(p, b"\nCall-ID:") || contains(p, b"\nCSeq:"))
    }

    /// In-order bytes of a claimed TCP stream.
    pub fn tcp_bytes(&mut self, seg: &Segment<'_>, shared: &mut Shared) {
        let mut items: Vec<Result<Vec<u8>, String>> = Vec::new();
        let mut keepalives = 0;
        self.streams
            .push(seg.src, seg.dst, seg.payload, &mut |item| match item {
                Item::Message(m) => items.push(Ok(m.to_vec())),
                Item::KeepAlive => keepalives += 1,
                Item::Garbage(n) => items.push(Err(format!(
                    "{n} bytes on a SIP stream that start no message"
                ))),
                Item::Invalid(e) => items.push(Err(e.to_string())),
            });
        self.keepalives += keepalives;
        for item in items {
            match item {
                Ok(bytes) => self.on_bytes(seg, Transport::Tcp, &bytes, shared),
                Err(reason) => self.malformed(seg, reason),
            }
        }
        self.dropped.stream_bytes = self.streams.dropped_bytes;
    }

    fn malformed(&mut self, seg: &Segment<'_>, reason: String) {
        self.malformed += 1;
        if self.malformed_seen.len() < self.limits.malformed_kept {
            self.malformed_seen.push(MalformedSeen {
                frame: seg.frame,
                ts_ns: seg.ts_ns,
                src: seg.src,
                dst: seg.dst,
                reason,
            });
        }
    }

    fn on_bytes(
        &mut self,
        seg: &Segment<'_>,
        transport: Transport,
        bytes: &[u8],
        shared: &mut Shared,
    ) {
        match wire_sip::parse_cached(bytes, &mut self.headers) {
            Ok(msg) => self.on_message(seg, transport, &msg, shared),
            Err(e) => self.malformed(seg, e.to_string()),
        }
    }

    fn on_message(
        &mut self,
        seg: &Segment<'_>,
        transport: Transport,
        msg: &Message<'_>,
        shared: &mut Shared,
    ) {
        self.messages += 1;
        *self.transports.entry(transport.to_string()).or_default() += 1;
        match (msg.method(), msg.status()) {
            (Some(m), _) => *self.methods.entry(m.to_owned()).or_default() += 1,
            (None, Some(code)) => *self.responses.entry(code.to_string()).or_default() += 1,
            _ => {}
        }
        for ua in [&msg.user_agent, &msg.server].into_iter().flatten() {
            if let Some(n) = self.user_agents.get_mut(ua) {
                *n += 1;
            } else if self.user_agents.len() < self.limits.user_agents {
                self.user_agents.insert(ua.clone(), 1);
            }
        }
        if !msg.problems.is_empty() {
            self.malformed(seg, format!("SIP: {}", msg.problems.join("; ")));
        }
        let resent = match (&msg.call_id, &msg.cseq) {
            (Some(call_id), Some(cseq)) if transport == Transport::Udp => {
                self.resend.observe(Observed {
                    call_id,
                    src: seg.src,
                    dst: seg.dst,
                    cseq: cseq.seq,
                    method: &cseq.method,
                    status: msg.status(),
                })
            }
            _ => false,
        };
        if resent {
            self.resent += 1;
        }
        self.dropped.resend_keys = self.resend.dropped;
        let sdp = msg.sdp().and_then(|body| sdp::parse(body).ok());
        let seen = Seen {
            frame: seg.frame,
            ts_ns: seg.ts_ns,
            src: seg.src,
            dst: seg.dst,
            transport,
            resent,
            sdp: sdp.as_ref(),
        };
        self.summaries.on_message(&seen, msg, self.limits.summaries);
        self.dropped.summaries = self.summaries.dropped;
        let Some(call_id) = msg.call_id.as_deref() else {
            return;
        };
        if !self.owners.contains_key(call_id) {
            if self.owners.len() >= self.limits.call_ids {
                self.dropped.untracked_messages += 1;
                return;
            }
            let method = msg
                .method()
                .or(msg.cseq.as_ref().map(|c| c.method.as_str()))
                .unwrap_or("");
            let owner = if is_call_method(method) {
                self.calls.push(CallTracker::new(call_id, &seen, msg));
                Owner::Call(self.calls.len() - 1)
            } else {
                self.exchanges
                    .push(ExchangeTracker::new(call_id, &seen, msg));
                Owner::Exchange(self.exchanges.len() - 1)
            };
            self.owners.insert(call_id.to_owned(), owner);
        }
        let room = self.arrows < self.limits.arrows;
        // Details only for an arrow its call or exchange will keep, while the budget lasts.
        let kept = room
            && match self.owners.get(call_id) {
                Some(Owner::Call(i)) => self.calls[*i].arrows() < self.limits.call.arrows,
                Some(Owner::Exchange(i)) => {
                    self.exchanges[*i].arrows() < self.limits.exchange_arrows
                }
                None => false,
            };
        let details = (kept && self.details_bytes < self.limits.details_bytes)
            .then(|| details::Details::of(msg));
        let arrows_before = self.arrows;
        match self.owners.get(call_id) {
            Some(Owner::Call(i)) => {
                let call = &mut self.calls[*i];
                let before = call.arrows();
                if let Some(ms) = call.on_message(&seen, msg, &self.limits.call, room) {
                    self.setup.push(ms);
                }
                self.arrows += call.arrows() - before;
                if let (Some(sdp), false) = (&sdp, resent) {
                    self.dropped.media_expectations +=
                        media::publish(sdp, Some(call_id), seg.frame, shared, self.limits.media);
                }
            }
            Some(Owner::Exchange(i)) => {
                let ex = &mut self.exchanges[*i];
                let before = ex.arrows();
                ex.on_message(&seen, msg, room && before < self.limits.exchange_arrows);
                self.arrows += ex.arrows() - before;
            }
            None => {}
        }
        if self.arrows > arrows_before {
            match (details, self.owners.get(call_id)) {
                (Some(d), Some(Owner::Call(i))) => {
                    self.details_bytes += d.size();
                    self.calls[*i].attach_details(d);
                }
                (Some(d), Some(Owner::Exchange(i))) => {
                    self.details_bytes += d.size();
                    self.exchanges[*i].attach_details(d);
                }
                _ => self.dropped.message_details += 1,
            }
        }
    }

    /// Calls (INVITE dialogs) so far, for progress.
    pub fn calls_so_far(&self) -> usize {
        self.calls.len()
    }

    /// Stream bytes the SIP-over-TCP framing had to discard (counted into `limits`).
    pub fn stream_bytes_dropped(&self) -> u64 {
        self.streams.dropped_bytes
    }

    /// Builds the report section.
    pub fn finish(self, ctx: &FinishContext) -> SipReport {
        let mut dropped = self.dropped;
        dropped.transactions = self.calls.iter().map(|c| c.transactions_dropped()).sum();
        dropped.stream_bytes = self.streams.dropped_bytes;
        let (registrations, options) = self.summaries.report(ctx);
        let mut user_agents: Vec<UserAgent> = self
            .user_agents
            .into_iter()
            .map(|(name, messages)| UserAgent { name, messages })
            .collect();
        crate::order::sort_by(&mut user_agents, |a, b| {
            b.messages
                .cmp(&a.messages)
                .then_with(|| a.name.cmp(&b.name))
        });
        let setup_time = (!self.setup.is_empty()).then(|| SetupTime {
            count: self.setup.len() as u64,
            min_ms: self.setup.iter().copied().fold(f64::INFINITY, f64::min),
            mean_ms: self.setup.iter().sum::<f64>() / self.setup.len() as f64,
            max_ms: self.setup.iter().copied().fold(0.0, f64::max),
        });
        SipReport {
            messages: self.messages,
            methods: self.methods,
            responses: self.responses,
            resent: self.resent,
            transports: self.transports,
            keepalives: self.keepalives,
            malformed: self.malformed,
            malformed_messages: self
                .malformed_seen
                .into_iter()
                .map(|m| Malformed {
                    frame: m.frame,
                    time: ctx.rel(m.ts_ns),
                    src: crate::addr::Socket(m.src),
                    dst: crate::addr::Socket(m.dst),
                    reason: m.reason,
                })
                .collect(),
            calls: self.calls.into_iter().map(|c| c.report(ctx)).collect(),
            exchanges: self.exchanges.into_iter().map(|e| e.report(ctx)).collect(),
            registrations,
            options,
            user_agents,
            setup_time,
            megaco: self.megaco,
            dropped,
        }
    }
}

impl Protocol for SipAnalyzer {
    fn with_budget(budget: usize) -> Self {
        SipAnalyzer::new(SipLimits::with_budget(budget))
    }

    /// SIP, then H.248 on its ports.
    fn udp(&mut self, seg: &Segment<'_>, shared: &mut Shared) -> Option<&'static str> {
        // A keep-alive, a SIP start line and a text H.248 message all begin with an ASCII byte;
        // RTP and RTCP (RFC 7983: 128–191), most of a call's datagrams, never do.
        if seg.payload.first().is_some_and(|&b| !b.is_ascii()) {
            return None;
        }
        SipAnalyzer::udp(self, seg, shared).or_else(|| self.megaco_udp(seg, shared))
    }

    fn claims_stream(first: &Segment<'_>) -> bool {
        SipAnalyzer::claims_tcp(first)
    }

    fn stream_bytes(&mut self, seg: &Segment<'_>, shared: &mut Shared) {
        self.tcp_bytes(seg, shared);
    }

    fn found(&self, found: &mut Found) {
        found.calls += self.calls_so_far() as u64;
    }

    fn finish(self: Box<Self>, ctx: &FinishContext) -> Place {
        let dropped = self.stream_bytes_dropped();
        let sip = SipAnalyzer::finish(*self, ctx);
        Box::new(move |s| {
            s.sip = sip;
            s.stream_bytes_dropped += dropped;
        })
    }
}
