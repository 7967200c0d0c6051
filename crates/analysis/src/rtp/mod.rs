//! RTP and RTCP (RFC 3550) media streams: state across packets and the report section.
//!
//! Placeholder until the rtp analyzer lands: it claims nothing and reports nothing.

use serde::{Deserialize, Serialize};

use crate::protocols::{FinishContext, Segment, Shared};

/// The report section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RtpReport {}

/// The `rtcp` report section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RtcpReport {}

/// The analyzer's state.
#[derive(Debug, Default)]
pub struct RtpAnalyzer {}

impl RtpAnalyzer {
    /// Looks at a UDP datagram; returns a hierarchy name when it is this protocol's.
    pub fn udp(&mut self, _seg: &Segment<'_>, _shared: &mut Shared) -> Option<&'static str> {
        None
    }

    /// Builds the report section.
    pub fn finish(self, _ctx: &FinishContext) -> (RtpReport, RtcpReport) {
        (RtpReport::default(), RtcpReport::default())
    }
}
