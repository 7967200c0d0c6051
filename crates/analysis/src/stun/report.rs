//! The `stun` section of the report (DESIGN.md: `stun.messages`, `stun.channel_data`,
//! `stun.transactions[] { id, method, class, client, server, rtt_ms?, mapped? }`), with the fields
//! this analyzer adds: TURN allocations, errors by code, public mappings, demultiplexing counts.

use crate::addr::{Ip, Socket};
use crate::flows::Transport;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

crate::report::report_words! {
    /// How a STUN transaction ended (RFC 8489 §6.3: the response's class, or none captured).
    pub enum Outcome {
        /// A success response.
        Success = "success",
        /// An error response.
        Error = "error",
        /// No response captured.
        #[default]
        Unanswered = "unanswered",
    }
}

/// The STUN/TURN section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StunReport {
    /// RFC 5389/8489 messages (with the magic cookie), not ChannelData: tshark's `stun` messages.
    pub messages: u64,
    /// Classic RFC 3489 messages (no magic cookie): tshark's `classicstun`.
    pub classic_messages: u64,
    /// TURN ChannelData messages (RFC 8656 §12.4).
    pub channel_data: u64,
    /// Indications (TURN Send/Data, ICE keepalives).
    pub indications: u64,
    /// Messages whose attributes did not all decode.
    pub malformed: u64,
    /// Messages whose FINGERPRINT did not match.
    pub fingerprint_bad: u64,
    /// Per method: messages by class.
    pub methods: BTreeMap<String, ClassCounts>,
    /// Error responses by code (`"401"`, `"420"`, `"438"`…).
    pub errors: BTreeMap<String, u64>,
    /// SOFTWARE values seen.
    pub software: Vec<String>,
    /// Request/response transactions, in order of their first message.
    pub transactions: Vec<StunTransaction>,
    /// Transactions not tracked (table full).
    pub transactions_dropped: u64,
    /// Public mappings learned: a client's address as a server saw it.
    pub mappings: Vec<Mapping>,
    /// TURN allocations.
    pub allocations: Vec<Allocation>,
    /// Allocations not tracked (table full).
    pub allocations_dropped: u64,
    /// What shared the flows that carried STUN (RFC 7983 first-byte demultiplexing).
    pub demux: DemuxCounts,
    /// TCP streams abandoned because the bytes stopped framing as STUN/ChannelData.
    pub tcp_desync: u64,
}

/// Messages of one method by class.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClassCounts {
    /// Requests.
    pub request: u64,
    /// Indications.
    pub indication: u64,
    /// Success responses.
    pub success: u64,
    /// Error responses.
    pub error: u64,
}

/// One transaction: a request and its response (RFC 8489 §6.3).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StunTransaction {
    /// Transaction ID, `0x` and 24 hex digits (32 for classic STUN).
    pub id: String,
    /// Method (`Binding`, `Allocate`…).
    pub method: String,
    /// How it ended: `success`, `error`, or `unanswered`.
    pub class: Outcome,
    /// The requester.
    pub client: Socket,
    /// The responder.
    pub server: Socket,
    /// UDP or TCP, written `udp` or `tcp`.
    pub transport: Transport,
    /// RFC 3489 (no magic cookie).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub classic: bool,
    /// First message, seconds into the capture.
    pub start: f64,
    /// Frame of the first request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_frame: Option<u64>,
    /// Frame of the first response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_frame: Option<u64>,
    /// Requests sent (more than one: retransmissions).
    pub requests: u32,
    /// First request to first response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    /// The client's address as the server saw it (XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapped: Option<Socket>,
    /// Which attribute `mapped` came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapped_from: Option<String>,
    /// XOR-RELAYED-ADDRESS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relayed: Option<Socket>,
    /// XOR-PEER-ADDRESS values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<Socket>,
    /// ERROR-CODE of the error response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u16>,
    /// Its reason phrase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_reason: Option<String>,
    /// LIFETIME (TURN), from the response or else the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<u32>,
    /// CHANNEL-NUMBER (ChannelBind).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<u16>,
    /// USERNAME.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// REALM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// ICE PRIORITY.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// ICE USE-CANDIDATE (nomination).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub use_candidate: bool,
    /// ICE role: `controlling` or `controlled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ice_role: Option<String>,
}

/// A public mapping learned from a response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Mapping {
    /// The client's address in the capture.
    pub local: Socket,
    /// Its address as the server saw it.
    pub mapped: Socket,
    /// The server that said so.
    pub server: Socket,
    /// Responses that said so.
    pub responses: u64,
    /// First such response.
    pub first_frame: u64,
}

/// A TURN allocation (RFC 8656 §7): client, server, what was relayed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Allocation {
    /// The client.
    pub client: Socket,
    /// The TURN server.
    pub server: Socket,
    /// UDP or TCP between client and server, written `udp` or `tcp`.
    pub transport: Transport,
    /// First Allocate request (or first message), seconds into the capture.
    pub start: f64,
    /// Allocate requests (including the ones challenged).
    pub requests: u32,
    /// 401 challenges before success (long-term credentials, RFC 8489 §9.2).
    pub challenges: u32,
    /// Other error codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<u16>,
    /// Frame of the success response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocated_frame: Option<u64>,
    /// XOR-RELAYED-ADDRESS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relayed: Option<Socket>,
    /// XOR-MAPPED-ADDRESS in the success response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapped: Option<Socket>,
    /// LIFETIME granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<u32>,
    /// Successful Refreshes with a non-zero lifetime.
    pub refreshes: u32,
    /// Frame of the Refresh (lifetime 0) success that deleted it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_frame: Option<u64>,
    /// Peer addresses with a permission (CreatePermission or ChannelBind success).
    pub permissions: Vec<Ip>,
    /// Channels.
    pub channels: Vec<Channel>,
    /// Send indications (client to peer).
    pub send_indications: u64,
    /// Data indications (peer to client).
    pub data_indications: u64,
}

/// A TURN channel and its ChannelData.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Channel {
    /// Channel number, `0x4000`–`0x4fff`.
    pub number: String,
    /// The peer it is bound to, when the ChannelBind was captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<Socket>,
    /// Frame of the ChannelBind success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_frame: Option<u64>,
    /// ChannelData from the client (to the peer).
    pub to_peer: u64,
    /// ChannelData to the client (from the peer).
    pub from_peer: u64,
    /// Application bytes both ways.
    pub bytes: u64,
}

/// First-byte classes of datagrams on flows that carried STUN (RFC 7983 §7).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DemuxCounts {
    /// STUN with the magic cookie.
    pub stun: u64,
    /// Classic STUN.
    pub classic: u64,
    /// TURN ChannelData.
    pub channel_data: u64,
    /// DTLS (20–63).
    pub dtls: u64,
    /// RTP/RTCP (128–191).
    pub rtp: u64,
    /// ZRTP (16–19).
    pub zrtp: u64,
    /// QUIC (RFC 9443) or unassigned.
    pub other: u64,
}
