//! RTP and RTCP decoding and stream state on arbitrary bytes: the wire views (`rtp::Packet`
//! checked and lax, `rtcp::Compound` and `Repr::parse`) must not panic, and neither may the RTP
//! analyzer fed a sequence of datagrams cut from the input.
//!
//! Input: a sequence of records `[len: u8][flags: u8][bytes; len]`. Flag bit 0 sends the datagram
//! to an SDP-announced port (so the lax path and rtcp-mux run), bit 1 to the port + 1 (RTCP), bit 2
//! swaps direction, bits 3–7 advance the clock; every record's bytes are also decoded on their own.
#![no_main]

use std::net::SocketAddr;

use callscope_analysis::flows::Transport;
use callscope_analysis::protocols::{FinishContext, MediaExpectation, RtpMap, Segment, Shared};
use callscope_analysis::rtp::RtpAnalyzer;
use callscope_wire::{rtcp, rtp};
use libfuzzer_sys::fuzz_target;

fn decode(bytes: &[u8]) {
    if let Ok(p) = rtp::Packet::new_checked(bytes) {
        let _ = rtp::Repr::parse(&p);
        let _ = (p.payload(), p.csrc(0), p.extension_profile());
    }
    if let Ok(p) = rtp::Packet::new_lax(bytes) {
        let _ = rtp::Repr::parse(&p);
        let _ = (p.payload(), p.csrc(14), p.extension_profile());
    }
    for e in rtcp::Compound::new(bytes) {
        if let rtcp::Element::Packet(p) = e {
            let _ = (p.body(), p.ssrc());
            let _ = rtcp::Repr::parse(&p);
        }
    }
    let _ = rtcp::looks_like_rtcp(bytes);
}

fuzz_target!(|data: &[u8]| {
    decode(data);
    let mut analyzer = RtpAnalyzer::default();
    let mut shared = Shared::default();
    let announced: SocketAddr = "10.0.0.2:4000".parse().unwrap();
    shared.media.insert(
        announced,
        MediaExpectation {
            call_id: "fuzz".into(),
            frame: 1,
            media: "audio".into(),
            rtpmap: vec![RtpMap { pt: 96, codec: "AMR-WB".into(), clock: 16000 }],
            rtcp_mux: data.first().is_some_and(|b| b & 1 != 0),
        },
    );
    let mut rest = data;
    let mut ts_ns = 1_700_000_000_000_000_000i64;
    let mut frame = 0;
    while let [len, flags, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (bytes, next) = tail.split_at(n);
        rest = next;
        decode(bytes);
        frame += 1;
        ts_ns += i64::from(flags >> 3) * 5_000_000 - 20_000_000;
        let mut src: SocketAddr = "10.0.0.1:40000".parse().unwrap();
        let mut dst: SocketAddr = match flags & 3 {
            1 => announced,
            2 => "10.0.0.2:4001".parse().unwrap(),
            _ => "10.0.0.9:40002".parse().unwrap(),
        };
        if flags & 4 != 0 {
            std::mem::swap(&mut src, &mut dst);
        }
        let seg = Segment {
            frame,
            ts_ns,
            transport: Transport::Udp,
            ip_protocol: 17,
            src,
            dst,
            payload: bytes,
            flow: 1,
        };
        let _ = analyzer.udp(&seg, &mut shared);
        let _ = analyzer.channel_data(&seg, bytes);
    }
    let (rtp, rtcp) = analyzer.finish(&FinishContext { start_ns: 1_700_000_000_000_000_000 });
    let _ = serde_json::to_string(&rtp);
    let _ = serde_json::to_string(&rtcp);
});
