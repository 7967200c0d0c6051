//! One STUN transaction (RFC 8489 §6.3): the request (with retransmissions), the response, and
//! what their attributes say.

use std::net::SocketAddr;

use callscope_wire::stun::{Attribute, AttributeType, Class, Message, Method, TransactionId};

use super::report::{Outcome, StunTransaction};
use crate::flows::Transport;
use crate::protocols::FinishContext;

/// XOR-PEER-ADDRESS values kept per transaction.
const MAX_PEERS: usize = 16;

/// A transaction's state.
#[derive(Debug, Clone)]
pub struct Transaction {
    pub id: TransactionId,
    pub method: Method,
    pub classic: bool,
    pub transport: Transport,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub first_ns: i64,
    pub request_frame: Option<u64>,
    pub request_ns: Option<i64>,
    pub response_frame: Option<u64>,
    pub response_ns: Option<i64>,
    pub requests: u32,
    pub class: Option<Class>,
    pub error: Option<(u16, String)>,
    pub mapped: Option<(SocketAddr, &'static str)>,
    pub relayed: Option<SocketAddr>,
    pub peers: Vec<SocketAddr>,
    pub lifetime: Option<u32>,
    pub channel: Option<u16>,
    pub username: Option<String>,
    pub realm: Option<String>,
    pub priority: Option<u32>,
    pub use_candidate: bool,
    pub ice_role: Option<&'static str>,
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(&v[..v.len().min(256)]).into_owned()
}

impl Transaction {
    /// A transaction first seen in `msg`, sent from `src` to `dst`.
    pub fn new(
        msg: &Message<'_>,
        src: SocketAddr,
        dst: SocketAddr,
        transport: Transport,
        ts_ns: i64,
    ) -> Self {
        let (client, server) = if msg.kind.class.is_response() {
            (dst, src)
        } else {
            (src, dst)
        };
        Transaction {
            id: msg.transaction_id,
            method: msg.kind.method,
            classic: msg.classic,
            transport,
            client,
            server,
            first_ns: ts_ns,
            request_frame: None,
            request_ns: None,
            response_frame: None,
            response_ns: None,
            requests: 0,
            class: None,
            error: None,
            mapped: None,
            relayed: None,
            peers: Vec::new(),
            lifetime: None,
            channel: None,
            username: None,
            realm: None,
            priority: None,
            use_candidate: false,
            ice_role: None,
        }
    }

    /// Files a request or response of this transaction.
    pub fn on_message(&mut self, msg: &Message<'_>, frame: u64, ts_ns: i64) {
        let response = msg.kind.class.is_response();
        if response {
            if self.response_frame.is_none() {
                self.response_frame = Some(frame);
                self.response_ns = Some(ts_ns);
                self.class = Some(msg.kind.class);
            }
        } else {
            self.requests += 1;
            if self.request_frame.is_none() {
                self.request_frame = Some(frame);
                self.request_ns = Some(ts_ns);
            }
        }
        for a in &msg.attributes {
            match *a {
                Attribute::Address { kind, addr } => match kind {
                    AttributeType::XorMappedAddress | AttributeType::XorMappedAddressOld => {
                        self.mapped = Some((addr, "XOR-MAPPED-ADDRESS"));
                    }
                    AttributeType::MappedAddress if self.mapped.is_none() => {
                        self.mapped = Some((addr, "MAPPED-ADDRESS"));
                    }
                    AttributeType::XorRelayedAddress => self.relayed = Some(addr),
                    AttributeType::XorPeerAddress
                        if self.peers.len() < MAX_PEERS && !self.peers.contains(&addr) =>
                    {
                        self.peers.push(addr);
                    }
                    _ => {}
                },
                Attribute::ErrorCode { code, reason } if response => {
                    self.error = Some((code, text(reason)));
                }
                Attribute::Lifetime(l) if response || self.lifetime.is_none() => {
                    self.lifetime = Some(l);
                }
                Attribute::ChannelNumber(c) => self.channel = Some(c),
                Attribute::Text { kind, value } => match kind {
                    AttributeType::Username => self.username = Some(text(value)),
                    AttributeType::Realm => self.realm = Some(text(value)),
                    _ => {}
                },
                Attribute::Priority(p) => self.priority = Some(p),
                Attribute::UseCandidate => self.use_candidate = true,
                Attribute::IceControlling(_) => self.ice_role = Some("controlling"),
                Attribute::IceControlled(_) => self.ice_role = Some("controlled"),
                _ => {}
            }
        }
    }

    /// The report entry.
    pub fn report(&self, ctx: &FinishContext) -> StunTransaction {
        StunTransaction {
            id: self.id.to_hex(),
            method: self.method.name(),
            class: match self.class {
                Some(Class::SuccessResponse) => Outcome::Success,
                Some(Class::ErrorResponse) => Outcome::Error,
                _ => Outcome::Unanswered,
            },
            client: self.client.into(),
            server: self.server.into(),
            transport: self.transport,
            classic: self.classic,
            start: ctx.rel(self.first_ns),
            request_frame: self.request_frame,
            response_frame: self.response_frame,
            requests: self.requests,
            rtt_ms: match (self.request_ns, self.response_ns) {
                (Some(a), Some(b)) if b >= a => Some((b - a) as f64 / 1e6),
                _ => None,
            },
            mapped: self.mapped.map(|(a, _)| a.into()),
            mapped_from: self.mapped.map(|(_, f)| f.to_owned()),
            relayed: self.relayed.map(Into::into),
            peers: self.peers.iter().map(|&a| a.into()).collect(),
            error_code: self.error.as_ref().map(|e| e.0),
            error_reason: self.error.as_ref().map(|e| e.1.clone()),
            lifetime: self.lifetime,
            channel: self.channel,
            username: self.username.clone(),
            realm: self.realm.clone(),
            priority: self.priority,
            use_candidate: self.use_candidate,
            ice_role: self.ice_role.map(str::to_owned),
        }
    }
}
