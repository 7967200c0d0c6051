//! SIP (RFC 3261) over UDP and TCP, with SDP (RFC 8866) offers and answers: state across packets and the report section.
//!
//! Placeholder until the sip analyzer lands: it claims nothing and reports nothing.

use serde::{Deserialize, Serialize};

use crate::protocols::{FinishContext, Segment, Shared};

/// The report section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SipReport {}

/// The analyzer's state.
#[derive(Debug, Default)]
pub struct SipAnalyzer {}

impl SipAnalyzer {
    /// Looks at a UDP datagram; returns a hierarchy name when it is this protocol's.
    pub fn udp(&mut self, _seg: &Segment<'_>, _shared: &mut Shared) -> Option<&'static str> {
        None
    }

    /// Builds the report section.
    pub fn finish(self, _ctx: &FinishContext) -> SipReport {
        SipReport::default()
    }
}

impl SipAnalyzer {
    /// Whether this analyzer wants a TCP stream, judged on its first payload.
    pub fn claims_tcp(&mut self, _seg: &Segment<'_>) -> bool {
        false
    }

    /// In-order bytes of a claimed TCP stream.
    pub fn tcp_bytes(&mut self, _seg: &Segment<'_>, _shared: &mut Shared) {}
}
