//! The `ike` section of the report (DESIGN.md: `ike.tunnels[] { version, initiator, responder,
//! ispi, rspi, nat_t, keepalives, exchanges[] { type, message_id, frames[] }, esp[] { spi, src,
//! dst, packets, lost } }`), with the fields this analyzer adds.

use crate::addr::Socket;
use serde::{Deserialize, Serialize};

crate::report::report_words! {
    /// How ESP travelled.
    pub enum EspEncap {
        /// In UDP, port 4500 (RFC 3948).
        #[default]
        Udp = "udp",
        /// Directly over IP, protocol 50 (RFC 4303).
        Ip = "ip",
    }
}

crate::report::report_words! {
    /// Where an IKE SA got to.
    pub enum TunnelState {
        /// No established SA seen yet.
        #[default]
        Negotiating = "negotiating",
        /// Its exchanges completed.
        Established = "established",
        /// Its negotiation failed.
        Failed = "failed",
        /// An INFORMATIONAL Delete ended it.
        Deleted = "deleted",
    }
}

/// The IKE/ESP section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IkeReport {
    /// ISAKMP/IKE messages decoded (tshark's `isakmp` rows).
    pub messages: u64,
    /// Datagrams on IKE ports whose IKE header did not decode.
    pub malformed: u64,
    /// IKE SAs, in order of their first message.
    pub tunnels: Vec<TunnelReport>,
    /// ESP SAs that no tunnel in the capture explains (IKE not captured).
    pub esp_unattached: Vec<EspReport>,
    /// ESP packets in all (UDP-encapsulated and IP protocol 50).
    pub esp_packets: u64,
    /// NAT-keepalives (one 0xFF byte, RFC 3948 §2.3) on flows with no known tunnel.
    pub keepalives_unattached: u64,
    /// IKE SAs not tracked because the table was full.
    pub tunnels_dropped: u64,
    /// ESP SAs not tracked because the table was full (their packets are not counted per SA).
    pub esp_sas_dropped: u64,
}

/// One IKE SA and what it carried.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TunnelReport {
    /// IKE major version: 1 or 2.
    pub version: u8,
    /// The original initiator, as first seen (before any move to port 4500).
    pub initiator: Socket,
    /// The original responder, as first seen.
    pub responder: Socket,
    /// Initiator's SPI (IKEv1: cookie), `0x` and 16 hex digits.
    pub ispi: String,
    /// Responder's SPI; all zeros when the responder never answered with one.
    pub rspi: String,
    /// IKE (or ESP) moved into UDP encapsulation (RFC 3948, port 4500 after the non-ESP marker).
    pub nat_t: bool,
    /// A NAT was detected: a NAT detection hash did not match the addresses in the packets.
    pub nat_detected: bool,
    /// NAT detection details, when the exchange carried the hashes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nat: Option<NatReport>,
    /// Where the peers continued after moving to UDP encapsulation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floated: Option<FloatReport>,
    /// NAT-keepalives on the tunnel's flow.
    pub keepalives: u64,
    /// When the first keepalives came (at most 256), seconds into the capture.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keepalive_times: Vec<f64>,
    /// IKE messages.
    pub messages: u64,
    /// First packet (IKE, ESP or keepalive), seconds into the capture.
    pub start: f64,
    /// Last packet, seconds into the capture.
    pub end: f64,
    /// From the first IKE_SA_INIT (Main/Aggressive Mode) request to the IKE_AUTH response (end of
    /// phase 1), when both were captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub established_ms: Option<f64>,
    /// Where the SA got to.
    pub state: TunnelState,
    /// CREATE_CHILD_SA exchanges (IKEv2), or Quick Modes after the first (IKEv1).
    pub rekeys: u64,
    /// Deletes (IKEv2: an INFORMATIONAL whose encrypted payload starts with a Delete).
    pub deletes: Vec<DeleteReport>,
    /// Error notifications seen in the clear (`NO_PROPOSAL_CHOSEN`, `INVALID_KE_PAYLOAD`…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Vendor IDs, named when known, else hex.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vendors: Vec<String>,
    /// The IKE SA proposal the responder chose (or the initiator's first), e.g.
    /// `AES_CBC_256/PRF_HMAC_SHA2_256/HMAC_SHA2_256_128/MODP_2048`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal: Option<String>,
    /// Exchanges in order of their first message.
    pub exchanges: Vec<ExchangeReport>,
    /// Exchanges not kept (per-tunnel cap).
    pub exchanges_dropped: u64,
    /// ESP SAs that share the tunnel's peers.
    pub esp: Vec<EspReport>,
}

/// NAT detection (RFC 7296 §2.23; RFC 3947 §3.2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NatReport {
    /// The initiator's address was rewritten on the way.
    pub initiator_behind_nat: bool,
    /// The responder's address was rewritten on the way.
    pub responder_behind_nat: bool,
    /// Hash sets compared with an address.
    pub checked: u32,
    /// Of those, sets in which no hash matched.
    pub mismatched: u32,
    /// Hash sets of an unknown algorithm.
    pub unverifiable: u32,
    /// The hash sets that did not match, as evidence. A destination hash that does not match
    /// shows a real rewrite; a source hash alone may be a peer forcing UDP encapsulation (RFC 7296
    /// §2.23 lets it fake the hash; strongSwan's `encap = yes` does).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<NatMismatch>,
}

/// A NAT detection hash set that matched no address in the packet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NatMismatch {
    /// Frame of the message that carried it.
    pub frame: u64,
    /// Who sent it: `initiator` or `responder`.
    pub by: String,
    /// `source` (NAT_DETECTION_SOURCE_IP, the sender's own address) or `destination`
    /// (NAT_DETECTION_DESTINATION_IP, the receiver's address as the sender knows it).
    pub hash: String,
    /// The address the packet carried instead, where it was captured.
    pub captured: Socket,
}

/// The move to UDP encapsulation (RFC 7296 §2.23: "port floating" to 4500).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FloatReport {
    /// The initiator's address afterwards.
    pub initiator: Socket,
    /// The responder's address afterwards.
    pub responder: Socket,
    /// First encapsulated IKE message.
    pub frame: u64,
    /// Its time, seconds into the capture.
    pub time: f64,
}

/// A Delete.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeleteReport {
    /// Frame of the request.
    pub frame: u64,
    /// Message ID of the exchange.
    pub message_id: u32,
    /// `CHILD_SA` (the response deletes the paired SA), `IKE_SA` (empty response, RFC 7296
    /// §1.4.1), or `unknown` (no response captured).
    pub what: String,
}

/// One exchange: a request and its response (with retransmissions), or IKEv1's phase-1 messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExchangeReport {
    /// Exchange type name (`IKE_SA_INIT`, `Main Mode`…).
    #[serde(rename = "type")]
    pub kind: String,
    /// Exchange type number.
    pub type_id: u8,
    /// Message ID.
    pub message_id: u32,
    /// Who sent the request: `initiator` or `responder` (of the IKE SA).
    pub by: String,
    /// Frames of its messages.
    pub frames: Vec<u64>,
    /// Requests (with retransmissions); IKEv1: messages from the exchange's initiator.
    pub requests: u32,
    /// Responses; IKEv1: messages from the other side.
    pub responses: u32,
    /// First message, seconds into the capture.
    pub start: f64,
    /// First request to first response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    /// Notify types in the clear.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifies: Vec<String>,
    /// The first payload inside the request's encrypted payload (`D`, `N`, `SA`, `none`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<String>,
    /// What the exchange did, when its clear parts say: `rekey CHILD_SA`, `delete`, `liveness`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meaning: Option<String>,
}

/// One ESP SA (SPI and direction).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EspReport {
    /// SPI, `0x` and 8 hex digits.
    pub spi: String,
    /// Sender.
    pub src: Socket,
    /// Receiver.
    pub dst: Socket,
    /// Packets.
    pub packets: u64,
    /// ESP bytes.
    pub bytes: u64,
    /// First packet, seconds into the capture.
    pub first: f64,
    /// Last packet.
    pub last: f64,
    /// Sequence numbers skipped (after the first packet seen).
    pub lost: u64,
    /// Sequence numbers seen again.
    pub replays: u64,
    /// Packets that arrived after a higher sequence number.
    pub late: u64,
    /// How it travelled: `udp` (RFC 3948) or `ip` (protocol 50).
    pub encap: EspEncap,
}
