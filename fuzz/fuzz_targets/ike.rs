//! IKE and ESP decoding of arbitrary bytes, then the IKE analyzer on them.
//!
//! Input: byte 0 picks where the rest goes — as it is, or behind a valid ISAKMP header (so the
//! payload chain and every payload body see arbitrary input) — and the rest is the datagram:
//! `ike::Message::parse`, `esp::classify_udp_encap` (and IKE after the non-ESP marker), then
//! `IkeAnalyzer` on UDP 500, UDP 4500 and IP protocol 50. Nothing may panic; payloads stay within
//! the input.
#![no_main]

use std::net::SocketAddr;

use callscope_analysis::flows::Transport;
use callscope_analysis::ike::IkeAnalyzer;
use callscope_analysis::protocols::{FinishContext, Segment, Shared};
use callscope_wire::esp::{self, UdpEncap};
use callscope_wire::ike::{self, Payload};
use libfuzzer_sys::fuzz_target;

fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    inner.is_empty() || (i >= o && i + inner.len() <= o + outer.len())
}

fn seg(payload: &[u8], src: SocketAddr, dst: SocketAddr, proto: u8) -> Segment<'_> {
    Segment {
        frame: 1,
        ts_ns: 0,
        transport: Transport::Udp,
        ip_protocol: proto,
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
        let mut m = vec![1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&[
            rest.first().copied().unwrap_or(0),
            if pick & 2 == 0 { 0x20 } else { 0x10 },
        ]);
        m.extend_from_slice(&[rest.get(1).copied().unwrap_or(34), pick & 0x3f, 0, 0, 0, 0]);
        m.extend_from_slice(&((28 + rest.len()) as u32).to_be_bytes());
        m.extend_from_slice(rest);
        m
    };
    if let Ok(msg) = ike::Message::parse(&bytes) {
        for p in &msg.payloads {
            match p {
                Payload::Nonce(b) | Payload::VendorId(b) | Payload::NatDiscovery(b) => {
                    assert!(within(&bytes, b), "payload outside the message");
                }
                Payload::Notify(n) => assert!(within(&bytes, n.data) && within(&bytes, n.spi)),
                Payload::Delete(d) => {
                    assert!(within(&bytes, d.spis));
                    let _ = d.child_spis().count();
                }
                _ => {}
            }
        }
        let _ = msg.encrypted_first_inner();
    }
    match esp::classify_udp_encap(&bytes) {
        UdpEncap::Ike(b) => {
            assert!(within(&bytes, b));
            let _ = ike::Message::parse(b);
        }
        UdpEncap::Esp(e) => {
            let _ = (e.spi(), e.sequence(), e.payload());
        }
        UdpEncap::Keepalive | UdpEncap::Invalid => {}
    }
    let mut marked = vec![0, 0, 0, 0];
    marked.extend_from_slice(&bytes);
    let a500: SocketAddr = "10.0.0.1:500".parse().unwrap();
    let b500: SocketAddr = "10.0.0.2:500".parse().unwrap();
    let a4500: SocketAddr = "10.0.0.1:4500".parse().unwrap();
    let b4500: SocketAddr = "10.0.0.2:4500".parse().unwrap();
    let mut analyzer = IkeAnalyzer::default();
    let mut shared = Shared::default();
    analyzer.udp(&seg(&bytes, a500, b500, 17), &mut shared);
    analyzer.udp(&seg(&marked, a4500, b4500, 17), &mut shared);
    analyzer.udp(&seg(&bytes, b4500, a4500, 17), &mut shared);
    analyzer.ip(&seg(&bytes, a500, b500, 50), &mut shared);
    let _ = analyzer.finish(&FinishContext { start_ns: 0 });
});
