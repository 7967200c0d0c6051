//! IKE (RFC 7296, IKEv1 RFC 2409) and ESP (RFC 4303), over UDP 500/4500 and IP protocol 50: state across packets and the report section.
//!
//! Placeholder until the ike analyzer lands: it claims nothing and reports nothing.

use serde::{Deserialize, Serialize};

use crate::protocols::{FinishContext, Segment, Shared};

/// The report section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IkeReport {}

/// The analyzer's state.
#[derive(Debug, Default)]
pub struct IkeAnalyzer {}

impl IkeAnalyzer {
    /// Looks at a UDP datagram; returns a hierarchy name when it is this protocol's.
    pub fn udp(&mut self, _seg: &Segment<'_>, _shared: &mut Shared) -> Option<&'static str> {
        None
    }

    /// Builds the report section.
    pub fn finish(self, _ctx: &FinishContext) -> IkeReport {
        IkeReport::default()
    }
}

impl IkeAnalyzer {
    /// Looks at an IP payload that is not UDP/TCP (ESP is protocol 50).
    pub fn ip(&mut self, _seg: &Segment<'_>, _shared: &mut Shared) -> Option<&'static str> {
        None
    }
}
