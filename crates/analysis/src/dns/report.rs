//! The `dns` section of the report: every name asked, with how it was answered.

use crate::addr::Socket;
use serde::{Deserialize, Serialize};

/// DNS, mDNS and LLMNR messages and the questions they asked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DnsReport {
    /// Messages decoded (queries and responses, UDP and TCP).
    pub messages: u64,
    /// Of which responses.
    pub responses: u64,
    /// Messages whose header decoded but whose sections did not.
    pub malformed: u64,
    /// One entry per name and record type asked, in order of the first question (at most
    /// 8,192; those not tracked are counted in `limits.dns_queries_dropped`, their messages
    /// here).
    pub queries: Vec<DnsQuery>,
}

/// A name and record type, and what the answers said.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DnsQuery {
    /// The name asked, as first written.
    pub name: String,
    /// Record type (`A`, `AAAA`, `SRV`, `NAPTR`, `PTR`, `HTTPS`, …).
    #[serde(rename = "type")]
    pub qtype: String,
    /// `dns`, `mdns` or `llmnr`.
    pub protocol: String,
    /// Who asked first.
    pub client: Socket,
    /// Whom it asked.
    pub server: Socket,
    /// Queries sent.
    pub queries: u64,
    /// Responses seen.
    pub responses: u64,
    /// The last response's code (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, …); None when
    /// no response was seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcode: Option<String>,
    /// What the answers said: addresses, aliases (`→ name`), services (`host:port`), at most
    /// [`MAX_ANSWERS`] distinct.
    pub answers: Vec<String>,
    /// First query (or response, when the query was not captured), seconds into the capture.
    pub first: f64,
    /// Its frame.
    pub frame: u64,
}

/// Distinct answers kept per query.
pub const MAX_ANSWERS: usize = 16;
