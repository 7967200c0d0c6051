//! STUN, TURN ChannelData and TCP framing of arbitrary bytes, then the STUN analyzer on them.
//!
//! Input: byte 0 picks whether the rest goes as it is or behind a valid STUN header with the magic
//! cookie (so every attribute decoder sees arbitrary input) and where a TCP stream is cut; the
//! rest is the message: `stun::Message::decode`, `ChannelData::new_checked`, `tcp_frame_len`, then
//! `StunAnalyzer` on UDP (after a real Binding request, so the flow is demultiplexed) and on a TCP
//! stream in two pieces. Nothing may panic; attribute values stay within the input.
#![no_main]

use std::net::SocketAddr;

use callscope_analysis::flows::Transport;
use callscope_analysis::protocols::{FinishContext, Segment, Shared};
use callscope_analysis::stun::StunAnalyzer;
use callscope_wire::stun::{self, Attribute};
use libfuzzer_sys::fuzz_target;

fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    inner.is_empty() || (i >= o && i + inner.len() <= o + outer.len())
}

fn seg(payload: &[u8], src: SocketAddr, dst: SocketAddr, t: Transport) -> Segment<'_> {
    Segment {
        frame: 1,
        ts_ns: 0,
        transport: t,
        ip_protocol: if t == Transport::Udp { 17 } else { 6 },
        src,
        dst,
        payload,
        flow: 1,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let bytes: Vec<u8> = if pick & 1 == 0 {
        rest.to_vec()
    } else {
        let body = &rest[..rest.len() / 4 * 4];
        let mut m = vec![(pick >> 1) & 0x3f, rest.first().copied().unwrap_or(1)];
        m.extend_from_slice(&(body.len() as u16).to_be_bytes());
        m.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
        m.extend_from_slice(&[pick; 12]);
        m.extend_from_slice(body);
        m
    };
    if let Ok(msg) = stun::Message::decode(&bytes) {
        for a in &msg.attributes {
            match a {
                Attribute::Text { value, .. }
                | Attribute::Data(value)
                | Attribute::Other { value, .. } => {
                    assert!(within(&bytes, value), "attribute outside the message");
                }
                Attribute::ErrorCode { reason, .. } => assert!(within(&bytes, reason)),
                _ => {}
            }
        }
        let _ = msg.transaction_id.to_hex();
    }
    if let Ok(cd) = stun::ChannelData::new_checked(&bytes[..]) {
        assert!(within(&bytes, cd.data()));
    }
    if let stun::Framed::Complete(n) = stun::tcp_frame_len(&bytes) {
        assert!(n <= bytes.len());
    }
    let c: SocketAddr = "10.0.0.1:40000".parse().unwrap();
    let s: SocketAddr = "10.0.0.2:3478".parse().unwrap();
    let mut binding = vec![0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42];
    binding.extend_from_slice(&[9; 12]);
    let mut analyzer = StunAnalyzer::default();
    let mut shared = Shared::default();
    analyzer.udp(&seg(&binding, c, s, Transport::Udp), &mut shared);
    analyzer.udp(&seg(&bytes, s, c, Transport::Udp), &mut shared);
    let cut = usize::from(pick) % (bytes.len() + 1);
    let (x, y) = bytes.split_at(cut);
    let _ = StunAnalyzer::claims_tcp(&seg(&bytes, c, s, Transport::Tcp));
    analyzer.tcp_bytes(&seg(&binding, c, s, Transport::Tcp), &mut shared);
    analyzer.tcp_bytes(&seg(x, c, s, Transport::Tcp), &mut shared);
    analyzer.tcp_bytes(&seg(y, c, s, Transport::Tcp), &mut shared);
    let _ = analyzer.finish(&FinishContext { start_ns: 0 });
});
