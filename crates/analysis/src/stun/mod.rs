//! STUN (RFC 8489/5389, classic RFC 3489) and TURN (RFC 8656), over UDP and TCP: state across packets and the report section.
//!
//! Placeholder until the stun analyzer lands: it claims nothing and reports nothing.

use serde::{Deserialize, Serialize};

use crate::protocols::{FinishContext, Segment, Shared};

/// The report section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StunReport {}

/// The analyzer's state.
#[derive(Debug, Default)]
pub struct StunAnalyzer {}

impl StunAnalyzer {
    /// Looks at a UDP datagram; returns a hierarchy name when it is this protocol's.
    pub fn udp(&mut self, _seg: &Segment<'_>, _shared: &mut Shared) -> Option<&'static str> {
        None
    }

    /// Builds the report section.
    pub fn finish(self, _ctx: &FinishContext) -> StunReport {
        StunReport::default()
    }
}

impl StunAnalyzer {
    /// Whether this analyzer wants a TCP stream, judged on its first payload.
    pub fn claims_tcp(&mut self, _seg: &Segment<'_>) -> bool {
        false
    }

    /// In-order bytes of a claimed TCP stream.
    pub fn tcp_bytes(&mut self, _seg: &Segment<'_>, _shared: &mut Shared) {}
}
