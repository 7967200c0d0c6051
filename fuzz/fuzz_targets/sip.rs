//! SIP framing and decoding: `sip::frame_stream` over the input as a byte stream, `sip::parse` of
//! every framed message (and of the whole input, as a UDP datagram would be), SDP in the bodies,
//! H.248 text descriptors (`megaco::session_descriptions`), and the SIP analyzer fed the input as
//! one UDP datagram (to SIP and to H.248 on port 2944) and as a TCP stream in two chunks.
//!
//! Input: byte 0 = where the stream is cut in two (as a share of the rest), the rest = the bytes.
#![no_main]

use callscope_analysis::flows::Transport;
use callscope_analysis::protocols::{FinishContext, Segment, Shared};
use callscope_analysis::sip::SipAnalyzer;
use callscope_wire::{megaco, sdp};
use callscope_wire::sip::{self, framing::FrameLimits, Framing};
use libfuzzer_sys::fuzz_target;

fn decode(message: &[u8]) {
    if let Ok(m) = sip::parse(message) {
        assert!(
            m.body.len() <= message.len(),
            "body longer than the message"
        );
        if let Some(body) = m.sdp() {
            let _ = sdp::parse(body);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, bytes)) = data.split_first() else {
        return;
    };
    let limits = FrameLimits {
        max_header: 4096,
        max_body: 8192,
    };

    // Framing: every step consumes bytes and stays inside the buffer.
    let mut at = 0;
    while at < bytes.len() {
        let step = match sip::frame_stream(&bytes[at..], limits) {
            Framing::Message { len } => {
                assert!(
                    len > 0 && at + len <= bytes.len(),
                    "message outside the buffer"
                );
                decode(&bytes[at..at + len]);
                len
            }
            Framing::KeepAlive { len } | Framing::Garbage { len } => len,
            Framing::Invalid { skip, .. } => skip.max(1),
            Framing::Incomplete { .. } => break,
        };
        assert!(step > 0, "framing made no progress");
        at += step;
    }
    decode(bytes);
    let _ = sip::looks_like_sip(bytes);
    for body in megaco::session_descriptions(bytes) {
        assert!(body.len() <= bytes.len(), "description outside the message");
        let _ = sdp::parse(body);
    }

    // The analyzer: as a datagram, then as a stream in two chunks.
    let mut analyzer = SipAnalyzer::default();
    let mut shared = Shared::default();
    fn seg(frame: u64, transport: Transport, payload: &[u8]) -> Segment<'_> {
        Segment {
            frame,
            ts_ns: frame as i64,
            transport,
            ip_protocol: if transport == Transport::Udp { 17 } else { 6 },
            src: "192.0.2.1:5060".parse().expect("address"),
            dst: "192.0.2.2:5060".parse().expect("address"),
            payload,
            flow: 1,
        }
    }
    let _ = analyzer.udp(&seg(1, Transport::Udp, bytes), &mut shared);
    let h248 = Segment {
        dst: "192.0.2.2:2944".parse().expect("address"),
        ..seg(1, Transport::Udp, bytes)
    };
    let _ = analyzer.megaco_udp(&h248, &mut shared);
    let split = bytes.len() * usize::from(cut) / 256;
    let (a, b) = bytes.split_at(split);
    if SipAnalyzer::claims_tcp(&seg(2, Transport::Tcp, bytes)) {
        analyzer.tcp_bytes(&seg(2, Transport::Tcp, a), &mut shared);
        analyzer.tcp_bytes(&seg(3, Transport::Tcp, b), &mut shared);
    }
    let report = analyzer.finish(&FinishContext { start_ns: 0 });
    serde_json::to_string(&report).expect("the SIP report serializes");
});
