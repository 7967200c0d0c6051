//! The `sip` section of the report (DESIGN.md's contract: `sip.messages`, `sip.methods`,
//! `sip.responses`, `sip.calls[] { call_id, from, to, state, setup_ms?, duration?, messages[] {
//! frame, time, src, dst, label }, media[] }`), and the fields added beside it.

use crate::addr::Socket;
use crate::flows::Transport;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

crate::report::report_words! {
    /// How a call ended (its INVITE's outcome), or that it had not.
    pub enum CallState {
        /// Answered (2xx), whether or not its BYE was captured.
        Answered = "answered",
        /// Refused with a 4xx–6xx final response (`status` says which).
        Rejected = "rejected",
        /// The caller cancelled it.
        Cancelled = "cancelled",
        /// No final response but a failure (timeout 408, server error…).
        Failed = "failed",
        /// No final response captured yet.
        #[default]
        InProgress = "in progress",
    }
}

crate::report::report_words! {
    /// RFC 3261 §12 dialog states.
    pub enum DialogState {
        /// Created by a provisional response with a To tag.
        #[default]
        Early = "early",
        /// Confirmed by a 2xx.
        Confirmed = "confirmed",
        /// Ended by BYE (or a failed re-INVITE's end).
        Terminated = "terminated",
    }
}

/// SIP traffic: counts as tshark's `-z sip,stat`, calls with their ladders, and summaries of
/// everything that is not a call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SipReport {
    /// SIP messages (requests and responses, retransmissions included).
    pub messages: u64,
    /// Requests per method.
    pub methods: BTreeMap<String, u64>,
    /// Responses per status code.
    pub responses: BTreeMap<String, u64>,
    /// Messages tshark would flag as resent (same Call-ID, addresses, ports and CSeq as the
    /// previous request, or the same final response again; UDP only).
    pub resent: u64,
    /// Messages per transport (`udp`, `tcp`).
    pub transports: BTreeMap<String, u64>,
    /// Keep-alive datagrams and stream pings (CRLF, spaces) on SIP flows.
    pub keepalives: u64,
    /// Payloads that start like SIP but could not be decoded, plus decoded messages missing
    /// mandatory headers.
    pub malformed: u64,
    /// The first malformed messages, with the reason.
    pub malformed_messages: Vec<Malformed>,
    /// INVITE dialogs, in order of their first message.
    pub calls: Vec<Call>,
    /// Everything else, per Call-ID (REGISTER, OPTIONS, MESSAGE, SUBSCRIBE/NOTIFY, …).
    pub exchanges: Vec<Exchange>,
    /// Registrations per address of record.
    pub registrations: Vec<Registration>,
    /// OPTIONS per client/server pair (keep-alives and probes).
    pub options: Vec<OptionsSummary>,
    /// User-Agent and Server values with the messages that carried them.
    pub user_agents: Vec<UserAgent>,
    /// INVITE → 200 OK times over all answered INVITE transactions (tshark's "setup time").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_time: Option<SetupTime>,
    /// H.248/MEGACO text messages, read for the media their session descriptions announce.
    pub megaco: MegacoSummary,
    /// What the bounds made us drop.
    pub dropped: SipDropped,
}

/// A message that is not (well-formed) SIP.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Malformed {
    /// Frame.
    pub frame: u64,
    /// Seconds since the capture's start.
    pub time: f64,
    /// Sender.
    pub src: Socket,
    /// Receiver.
    pub dst: Socket,
    /// What is wrong.
    pub reason: String,
}

/// One arrow of a ladder diagram.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LadderMessage {
    /// Frame (for TCP, the frame that completed the message).
    pub frame: u64,
    /// Seconds since the capture's start.
    pub time: f64,
    /// Sender, `1.2.3.4:5060`.
    pub src: Socket,
    /// Receiver.
    pub dst: Socket,
    /// `INVITE (SDP)`, `180 Ringing`, `200 OK (SDP)`, `ACK`, `BYE`.
    pub label: String,
    /// Request method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Response status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `CSeq` as `1 INVITE`.
    pub cseq: String,
    /// UDP or TCP, written `udp` or `tcp`.
    pub transport: Transport,
    /// tshark would flag it as resent.
    pub retransmission: bool,
    /// Carries SDP.
    pub sdp: bool,
    /// The request or status line (absent when the details budget was spent; see
    /// `sip.dropped.message_details`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub start_line: String,
    /// The main header fields in message order (Via, From, To, Contact, P-Asserted-Identity,
    /// User-Agent, Reason…; the Call-ID is the call's and the CSeq is `cseq`), as `"Name: value"`,
    /// values cut at 256 characters (those naming people kept whole up to 1,024 or not at all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderField>,
}

/// A header field as the message carried it (compact names expanded). In JSON it is one string,
/// `"Name: value"`, which is how people read header fields and keeps the report small.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(from = "String")]
pub struct HeaderField {
    /// Its name, canonically written (`From`, `P-Asserted-Identity`).
    pub name: String,
    /// Its value.
    pub value: String,
}

impl Serialize for HeaderField {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written in place: going through a `String` cloned both parts and formatted a third
        // for each of the tens of thousands of header fields a ladder-heavy report holds.
        s.collect_str(&format_args!("{}: {}", self.name, self.value))
    }
}

impl From<String> for HeaderField {
    fn from(line: String) -> HeaderField {
        match line.split_once(": ") {
            Some((name, value)) => HeaderField {
                name: name.to_owned(),
                value: value.to_owned(),
            },
            None => HeaderField {
                name: line,
                value: String::new(),
            },
        }
    }
}

/// A call: the INVITE dialogs sharing one Call-ID.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Call {
    /// Call-ID.
    pub call_id: String,
    /// From URI of the first INVITE (`sip:alice@example.com`).
    pub from: String,
    /// To URI of the first INVITE.
    pub to: String,
    /// Caller: From's user part (the number, for phones).
    pub caller: String,
    /// Callee: To's user part (or the Request-URI's).
    pub callee: String,
    /// From's display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_name: Option<String>,
    /// RFC 3325 P-Asserted-Identity of the caller, when the INVITE carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asserted_identity: Option<String>,
    /// Contact of the first INVITE (where the caller takes in-dialog requests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Where the first INVITE came from.
    pub caller_addr: Socket,
    /// Where it went.
    pub callee_addr: Socket,
    /// UDP or TCP, written `udp` or `tcp`.
    pub transport: Transport,
    /// How it ended, or that it had not.
    pub state: CallState,
    /// The final status behind `rejected`, `failed` or `cancelled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Its reason phrase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// First message, seconds since the capture's start.
    pub start: f64,
    /// Last message.
    pub end: f64,
    /// INVITE → first 180/183 of the same transaction, ms (post-dial delay, RFC 6076 §4.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_dial_delay_ms: Option<f64>,
    /// INVITE → first 2xx of the same transaction, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_ms: Option<f64>,
    /// ACK of the answer (or the answer itself) → first BYE, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub talk_time: Option<f64>,
    /// First → last message, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// Who sent the first BYE: `caller` or `callee`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hangup_by: Option<String>,
    /// User-Agent / Server values seen in the call.
    pub user_agents: Vec<String>,
    /// 401/407 challenges answered by a new INVITE.
    pub auth_challenges: u32,
    /// Retransmitted messages (tshark's resent).
    pub retransmissions: u64,
    /// Dialogs (one per To tag: forking makes several).
    pub dialogs: Vec<Dialog>,
    /// Transactions, requests matched to responses by Via branch and CSeq method.
    pub transactions: Vec<Transaction>,
    /// SDP offers and answers in order.
    pub sdp: Vec<SdpMessage>,
    /// The ladder: every message, in capture order.
    pub messages: Vec<LadderMessage>,
    /// Messages not kept in `messages` (per-call bound).
    pub messages_dropped: u64,
    /// Indexes into `rtp.streams` (filled by the RTP correlation).
    pub media: Vec<usize>,
}

/// A dialog (RFC 3261 §12): Call-ID plus the two tags.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Dialog {
    /// The caller's tag.
    pub from_tag: String,
    /// The callee's tag.
    pub to_tag: String,
    /// Where the dialog got to.
    pub state: DialogState,
    /// Frame of the response that created it.
    pub frame: u64,
    /// Where its responses came from.
    pub peer: Socket,
}

/// A transaction (RFC 3261 §17): a request, its retransmissions and its responses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Transaction {
    /// Method.
    pub method: String,
    /// CSeq number.
    pub cseq: u32,
    /// Top Via branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Frame of the first transmission.
    pub frame: u64,
    /// Its time.
    pub time: f64,
    /// Further transmissions of the request.
    pub retransmissions: u32,
    /// Distinct response codes in order of arrival.
    pub responses: Vec<u16>,
    /// Final response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_status: Option<u16>,
    /// Request → final response, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_ms: Option<f64>,
}

/// An SDP body, as offer or answer (RFC 3264).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SdpMessage {
    /// Frame of the message carrying it.
    pub frame: u64,
    /// Time.
    pub time: f64,
    /// Sender.
    pub src: Socket,
    /// Receiver.
    pub dst: Socket,
    /// `offer` or `answer`.
    pub kind: String,
    /// The carrying message (`INVITE`, `200 OK`).
    pub message: String,
    /// `o=` session version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Session-level `c=` address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// `m=` sections.
    pub media: Vec<SdpMedia>,
}

/// One `m=` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SdpMedia {
    /// `audio`, `video`, `image`, …
    pub media: String,
    /// Address media is expected at (media-level `c=`, else session-level).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Port (0: disabled).
    pub port: u16,
    /// Port count, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `udptl`, …
    pub proto: String,
    /// Formats as written (payload types for RTP).
    pub formats: Vec<String>,
    /// Payload types with codec names and clock rates (rtpmap, else RFC 3551's table).
    pub codecs: Vec<Codec>,
    /// RFC 3605 `a=rtcp` port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtcp_port: Option<u16>,
    /// RFC 5761 `a=rtcp-mux`.
    pub rtcp_mux: bool,
    /// Effective direction (`sendrecv`, `sendonly`, `recvonly`, `inactive`).
    pub direction: String,
    /// `a=ptime`, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ptime: Option<u32>,
}

/// A payload type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Codec {
    /// Payload type.
    pub pt: u8,
    /// Encoding name (`PCMU`, `telephone-event`).
    pub name: String,
    /// Clock rate, Hz.
    pub clock: u32,
    /// Channels, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<u8>,
}

/// Non-call SIP traffic of one Call-ID.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Exchange {
    /// Call-ID.
    pub call_id: String,
    /// `register`, `options`, `message`, `subscribe`, `publish`, `refer`, `other`.
    pub kind: String,
    /// From URI of the first request.
    pub from: String,
    /// To URI.
    pub to: String,
    /// First message.
    pub start: f64,
    /// Last message.
    pub end: f64,
    /// Last final response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `Event` of a SUBSCRIBE/NOTIFY/PUBLISH (RFC 6665).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Content-Type of the first request with a body (MESSAGE: `text/plain`,
    /// `application/vnd.3gpp.sms` for SMS over IMS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Body bytes of the requests.
    pub body_bytes: u64,
    /// The ladder.
    pub messages: Vec<LadderMessage>,
    /// Messages not kept in `messages`.
    pub messages_dropped: u64,
}

/// REGISTER traffic for one address of record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Registration {
    /// Address of record (the To URI).
    pub aor: String,
    /// Contact of the last REGISTER.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Who registered.
    pub client: Socket,
    /// The registrar.
    pub registrar: Socket,
    /// REGISTER requests (with retransmissions).
    pub requests: u64,
    /// 401/407 challenges.
    pub challenges: u64,
    /// REGISTERs carrying credentials (Authorization / Proxy-Authorization).
    pub with_credentials: u64,
    /// Last final status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Expiry granted by the last 2xx (Contact `expires`, else `Expires`), else requested; s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<u32>,
    /// User-Agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// First message.
    pub start: f64,
    /// Last message.
    pub end: f64,
}

/// OPTIONS between two addresses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptionsSummary {
    /// Who asked.
    pub src: Socket,
    /// Who was asked.
    pub dst: Socket,
    /// Requests.
    pub requests: u64,
    /// Responses.
    pub responses: u64,
    /// Last status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// First request.
    pub start: f64,
    /// Last message.
    pub end: f64,
}

/// A User-Agent or Server value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserAgent {
    /// The value.
    pub name: String,
    /// Messages carrying it.
    pub messages: u64,
}

/// INVITE → 200 OK statistics (ms).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SetupTime {
    /// Answered INVITE transactions.
    pub count: u64,
    /// Minimum.
    pub min_ms: f64,
    /// Mean.
    pub mean_ms: f64,
    /// Maximum.
    pub max_ms: f64,
}

/// H.248/MEGACO text messages seen (RFC 3525), read only for their session descriptions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MegacoSummary {
    /// Messages on the H.248 ports in the text encoding.
    pub messages: u64,
    /// Session descriptions read from their Local and Remote descriptors; their media
    /// endpoints are published as SIP's SDP are.
    pub session_descriptions: u64,
}

/// What the bounds made the SIP analyzer drop.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SipDropped {
    /// Messages of Call-IDs not tracked because too many were tracked already (still counted
    /// in `messages`, `methods`, `responses`).
    pub untracked_messages: u64,
    /// Stream bytes discarded by SIP-over-TCP framing (over-long messages, full buffers).
    pub stream_bytes: u64,
    /// Media endpoints not published to the RTP analyzer (table full).
    pub media_expectations: u64,
    /// Retransmission-detection entries not kept (detection is off for those).
    pub resend_keys: u64,
    /// Transactions not kept per call.
    pub transactions: u64,
    /// Registrations / OPTIONS pairs not kept.
    pub summaries: u64,
    /// Ladder messages kept without their start line and header fields (details budget spent).
    pub message_details: u64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::HeaderField;

    proptest::proptest! {
        /// A header field is written as the JSON string of `"Name: value"`, escapes included,
        /// and read back whole.
        #[test]
        fn a_header_field_is_its_line_in_json(name in "[A-Za-z-]{0,12}", value in "\\PC{0,40}|[\"\\\\\\x00-\\x1f\\u{e9}]{0,8}") {
            let h = HeaderField { name: name.clone(), value: value.clone() };
            let json = serde_json::to_string(&h).unwrap();
            proptest::prop_assert_eq!(&json, &serde_json::to_string(&format!("{name}: {value}")).unwrap());
            proptest::prop_assert_eq!(serde_json::from_str::<HeaderField>(&json).unwrap(), h);
        }
    }
}
