//! Media announced by a media gateway controller in H.248/MEGACO text (RFC 3525): the session
//! descriptions of its Local and Remote descriptors are published as SIP's SDP is, so the RTP
//! analyzer sees the same ports move between RTP and T.38 that tshark sees. The messages are
//! counted; H.248 transactions and contexts are not analysed.

use callscope_wire::megaco as wire_megaco;
use callscope_wire::sdp;

use super::{media, SipAnalyzer};
use crate::protocols::{Segment, Shared};

/// tshark's registered ports for H.248 text (2944) and binary (2945) over UDP and TCP.
fn megaco_port(port: u16) -> bool {
    port == 2944 || port == 2945
}

impl SipAnalyzer {
    /// Looks at a UDP datagram on an H.248 port; returns `megaco` when it is a text message.
    pub fn megaco_udp(&mut self, seg: &Segment<'_>, shared: &mut Shared) -> Option<&'static str> {
        if !(megaco_port(seg.src.port()) || megaco_port(seg.dst.port()))
            || !wire_megaco::looks_like_megaco(seg.payload)
        {
            return None;
        }
        self.megaco.messages += 1;
        for body in wire_megaco::session_descriptions(seg.payload) {
            let Ok(s) = sdp::parse(body) else { continue };
            self.megaco.session_descriptions += 1;
            self.dropped.media_expectations +=
                media::publish(&s, None, seg.frame, shared, self.limits.media);
        }
        Some("megaco")
    }
}
