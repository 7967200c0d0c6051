//! The `tls` section of the report: what each TLS connection's handshake says in the clear.

use crate::addr::Socket;
use serde::{Deserialize, Serialize};

/// TLS connections whose handshake was seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsReport {
    /// Connections with a ClientHello, in order of it (bounded by the memory budget; those not
    /// tracked are counted in `limits.tls_sessions_dropped`).
    pub sessions: Vec<TlsSession>,
    /// Streams that stopped framing as TLS records before their handshake was read.
    pub not_tls: u64,
    /// Handshake bytes not kept because the handshakes being read held the budget's share.
    #[serde(skip_serializing_if = "is_zero")]
    pub handshake_bytes_dropped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One connection's handshake.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsSession {
    /// The side that sent the ClientHello.
    pub client: Socket,
    /// The other side.
    pub server: Socket,
    /// Server Name Indication (RFC 6066 §3), when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    /// ALPN protocols offered (RFC 7301), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alpn_offered: Vec<String>,
    /// ALPN protocol chosen by the server, when its hello was seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn: Option<String>,
    /// Version the server chose (`TLS 1.3`), when its hello was seen; else the highest offered.
    pub version: String,
    /// The handshake went over QUIC (read from the client's Initial packets, RFC 9001 §5).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub quic: bool,
    /// The server certificate's subject (TLS ≤ 1.2 only: 1.3 encrypts it), RFC 4514-like.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_subject: Option<String>,
    /// Its issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_issuer: Option<String>,
    /// Names the certificate is for (subject CN and DNS subjectAltNames).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certificate_names: Vec<String>,
    /// ClientHello time, seconds into the capture.
    pub start: f64,
    /// Its frame.
    pub frame: u64,
}
