//! Fuzz harnesses for what the analysis reads from untrusted bytes, shared by the cargo-fuzz
//! targets (`fuzz/`, one line each) and the property tests (`tests/integration/fuzz_harnesses.rs`),
//! so the two never drift apart. Each takes the raw fuzz input and panics only on a broken
//! invariant. Built with the `testing` feature (the wire-level harnesses are
//! `callscope_wire::fuzzing`).

use std::net::SocketAddr;

use callscope_wire::esp::{self, UdpEncap};
use callscope_wire::fuzzing::within;
use callscope_wire::ike::{self as wire_ike, Payload};
use callscope_wire::sip::{self as wire_sip, framing::FrameLimits, Framing};
use callscope_wire::stun::{self as wire_stun, Attribute};
use callscope_wire::{dns as wire_dns, megaco, rtcp, rtp as wire_rtp, sdp};

use crate::dns::DnsAnalyzer;
use crate::flows::Transport;
use crate::ike::IkeAnalyzer;
use crate::protocols::{FinishContext, MediaExpectation, RtpMap, Segment, Shared};
use crate::rtp::RtpAnalyzer;
use crate::sip::SipAnalyzer;
use crate::stun::StunAnalyzer;
use crate::tls::TlsAnalyzer;
use crate::{Analyzer, Options, Report};

/// LINKTYPE_* values the analyzer harness puts in its pcap header (see `callscope_wire::fuzzing`).
use callscope_wire::fuzzing::LINK_TYPES;

fn at(a: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::from((a, port))
}

fn seg(
    frame: u64,
    transport: Transport,
    src: SocketAddr,
    dst: SocketAddr,
    payload: &[u8],
) -> Segment<'_> {
    Segment {
        frame,
        ts_ns: frame as i64,
        transport,
        src,
        dst,
        payload,
        flow: 1,
    }
}

fn serializes<T: serde::Serialize>(what: &str, value: &T) {
    assert!(
        serde_json::to_string(value).is_ok(),
        "the {what} does not serialize"
    );
}

/// IKE and ESP. Byte 0 picks where the rest goes: as it is, or behind a valid ISAKMP header of
/// either version (so the payload chain and every payload body see arbitrary input). Then
/// `ike::Message::parse`, `esp::classify_udp_encap` (and IKE after the non-ESP marker), and
/// `IkeAnalyzer` on UDP 500, UDP 4500, a NAT-rewritten port pair and IP protocol 50. Payloads
/// must lie inside the message.
pub fn ike(data: &[u8]) {
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
    if let Ok(msg) = wire_ike::Message::parse(&bytes) {
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
            let _ = wire_ike::Message::parse(b);
        }
        UdpEncap::Esp(e) => {
            let _ = (e.spi(), e.sequence(), e.payload());
        }
        UdpEncap::Keepalive | UdpEncap::Invalid => {}
    }
    let mut marked = vec![0, 0, 0, 0];
    marked.extend_from_slice(&bytes);
    let (a500, b500) = (at([10, 0, 0, 1], 500), at([10, 0, 0, 2], 500));
    let (a4500, b4500) = (at([10, 0, 0, 1], 4500), at([10, 0, 0, 2], 4500));
    let (ax, bx) = (at([10, 0, 0, 1], 40096), at([10, 0, 0, 2], 40500));
    let half = &bytes[..usize::from(pick).min(bytes.len())];
    let udp = Transport::Udp;
    let mut a = IkeAnalyzer::default();
    let mut shared = Shared::default();
    a.udp(&seg(1, udp, a500, b500, &bytes), &mut shared);
    a.udp(&seg(2, udp, b500, a500, half), &mut shared);
    a.udp(&seg(3, udp, a4500, b4500, &marked), &mut shared);
    a.udp(&seg(4, udp, b4500, a4500, &bytes), &mut shared);
    a.udp(&seg(5, udp, ax, bx, &marked), &mut shared);
    a.udp(&seg(6, udp, ax, bx, &bytes), &mut shared);
    a.ip(&seg(7, Transport::Ip(50), a500, b500, &bytes), &mut shared);
    serializes("IKE report", &a.finish(&FinishContext { start_ns: 0 }));
}

/// STUN, TURN ChannelData and STUN over TCP. Byte 0 picks whether the rest goes as it is or
/// behind a valid STUN header with the magic cookie (so every attribute decoder sees arbitrary
/// input), and where a TCP stream is cut. Then `stun::Message::decode`, `ChannelData`,
/// `tcp_frame_len`, and `StunAnalyzer` on UDP (after a real Binding request, so the flow is
/// demultiplexed) and on a TCP stream in two pieces. Attribute values and ChannelData must lie
/// inside the message; a complete TCP frame must fit the bytes.
pub fn stun(data: &[u8]) {
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
    if let Ok(msg) = wire_stun::Message::decode(&bytes) {
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
    if let Ok(cd) = wire_stun::ChannelData::new_checked(&bytes[..]) {
        assert!(within(&bytes, cd.data()));
    }
    if let wire_stun::Framed::Complete(n) = wire_stun::tcp_frame_len(&bytes) {
        assert!(n <= bytes.len());
    }
    if let Ok(p) = wire_stun::StunPacket::new_checked(&bytes[..]) {
        let _ = (p.fingerprint_ok(), p.is_plausible_classic());
    }
    let (c, s) = (at([10, 0, 0, 1], 40000), at([10, 0, 0, 2], 3478));
    let mut binding = vec![0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42];
    binding.extend_from_slice(&[9; 12]);
    let (udp, tcp) = (Transport::Udp, Transport::Tcp);
    let mut a = StunAnalyzer::default();
    let mut shared = Shared::default();
    a.udp(&seg(1, udp, c, s, &binding), &mut shared);
    a.udp(&seg(2, udp, s, c, &bytes), &mut shared);
    a.udp(&seg(3, udp, c, s, rest), &mut shared);
    let cut = usize::from(pick) % (bytes.len() + 1);
    let (x, y) = bytes.split_at(cut);
    let _ = StunAnalyzer::claims_tcp(&seg(4, tcp, c, s, &bytes));
    a.tcp_bytes(&seg(4, tcp, c, s, &binding), &mut shared);
    a.tcp_bytes(&seg(5, tcp, c, s, x), &mut shared);
    a.tcp_bytes(&seg(6, tcp, c, s, y), &mut shared);
    serializes("STUN report", &a.finish(&FinishContext { start_ns: 0 }));
}

/// The name sources: `dns::parse` and `dns::split_tcp` over the input (after byte 0), then the
/// DNS analyzer on it as a UDP datagram each way on port 53 and as a TCP stream cut at byte 0,
/// `quic::crypto_frames` and `quic::initial_header` over it, and the TLS analyzer on it as a
/// UDP datagram to port 443 (QUIC) and as both directions of a stream cut there; the names table and
/// verdicts over the resulting sections. Checks: TCP framing consumes only what it returns, and
/// no name holds a control character.
pub fn names(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    if let Some(m) = wire_dns::parse(rest) {
        let names = m
            .questions
            .iter()
            .map(|q| &q.name)
            .chain(m.answers.iter().map(|a| &a.name));
        for n in names {
            assert!(
                !n.chars().any(char::is_control),
                "control character in {n:?}"
            );
        }
    }
    let (messages, used) = wire_dns::split_tcp(rest);
    assert!(used <= rest.len(), "DNS framing past the input");
    assert_eq!(
        messages.iter().map(|m| m.len() + 2).sum::<usize>(),
        used,
        "DNS messages do not add up to what was consumed"
    );
    let (c, s) = (at([10, 0, 0, 1], 40000), at([10, 0, 0, 2], 53));
    let (udp, tcp) = (Transport::Udp, Transport::Tcp);
    let cut = usize::from(pick) % (rest.len() + 1);
    let (x, y) = rest.split_at(cut);
    let mut shared = Shared::default();
    let mut dns = DnsAnalyzer::default();
    let _ = crate::protocols::Protocol::udp(&mut dns, &seg(1, udp, c, s, rest), &mut shared);
    let _ = crate::protocols::Protocol::udp(&mut dns, &seg(2, udp, s, c, rest), &mut shared);
    crate::protocols::Protocol::stream_bytes(&mut dns, &seg(3, tcp, s, c, x), &mut shared);
    crate::protocols::Protocol::stream_bytes(&mut dns, &seg(4, tcp, s, c, y), &mut shared);
    for (_, data) in callscope_wire::quic::crypto_frames(rest) {
        assert!(within(rest, data), "CRYPTO frame outside the packet");
    }
    if let Some(h) = callscope_wire::quic::initial_header(rest) {
        assert!(
            h.end <= rest.len() && h.pn_offset <= h.end,
            "Initial past the datagram"
        );
    }
    let mut tls = TlsAnalyzer::default();
    let server = at([10, 0, 0, 2], 443);
    let _ = crate::protocols::Protocol::udp(&mut tls, &seg(9, udp, c, server, rest), &mut shared);
    for (i, piece) in [x, y].into_iter().enumerate() {
        let frame = 5 + 2 * i as u64;
        crate::protocols::Protocol::stream_bytes(
            &mut tls,
            &seg(frame, tcp, c, server, piece),
            &mut shared,
        );
        crate::protocols::Protocol::stream_bytes(
            &mut tls,
            &seg(frame + 1, tcp, server, c, piece),
            &mut shared,
        );
    }
    let ctx = FinishContext { start_ns: 0 };
    let sections = crate::registry::place([
        crate::protocols::Protocol::finish(Box::new(dns), &ctx),
        crate::protocols::Protocol::finish(Box::new(tls), &ctx),
    ]);
    for n in &sections.names {
        assert!(
            !n.name.chars().any(char::is_control),
            "control character in {:?}",
            n.name
        );
    }
    let mut report = Report {
        dns: sections.dns,
        tls: sections.tls,
        ..Report::default()
    };
    crate::names::table::attach(&mut report, sections.names, 0);
    report.verdicts = crate::verdicts::judge(&report, None);
    serializes("names report", &report);
}

fn sip_message(message: &[u8]) {
    if let Ok(m) = wire_sip::parse(message) {
        assert!(
            m.body.len() <= message.len(),
            "body longer than the message"
        );
        if let Some(body) = m.sdp() {
            let _ = sdp::parse(body);
        }
    }
}

/// SIP framing and decoding. Byte 0 is where the rest is cut in two (as a share of it).
/// `sip::frame_stream` over the rest as a byte stream, `sip::parse` of every framed message and of
/// the whole input, SDP in the bodies, H.248 text descriptors, then `SipAnalyzer` on the input as
/// one UDP datagram (SIP, and H.248 on port 2944) and as a TCP stream in two chunks. Framing must
/// always make progress inside the buffer; bodies and descriptors must lie inside the message.
pub fn sip(data: &[u8]) {
    let Some((&cut, bytes)) = data.split_first() else {
        return;
    };
    let limits = FrameLimits {
        max_header: 4096,
        max_body: 8192,
    };
    let mut start = 0;
    while start < bytes.len() {
        let step = match wire_sip::frame_stream(&bytes[start..], limits) {
            Framing::Message { len } => {
                assert!(
                    len > 0 && start + len <= bytes.len(),
                    "message outside the buffer"
                );
                sip_message(&bytes[start..start + len]);
                len
            }
            Framing::KeepAlive { len } | Framing::Garbage { len } => len,
            Framing::Invalid { skip, .. } => skip.max(1),
            Framing::Incomplete { .. } => break,
        };
        assert!(step > 0, "framing made no progress");
        start += step;
    }
    sip_message(bytes);
    let _ = wire_sip::looks_like_sip(bytes);
    for body in megaco::session_descriptions(bytes) {
        assert!(within(bytes, body), "description outside the message");
        let _ = sdp::parse(body);
    }
    let (a, b) = (at([192, 0, 2, 1], 5060), at([192, 0, 2, 2], 5060));
    let mut analyzer = SipAnalyzer::default();
    let mut shared = Shared::default();
    let _ = analyzer.udp(&seg(1, Transport::Udp, a, b, bytes), &mut shared);
    let h248 = at([192, 0, 2, 2], 2944);
    let _ = analyzer.megaco_udp(&seg(1, Transport::Udp, a, h248, bytes), &mut shared);
    let split = bytes.len() * usize::from(cut) / 256;
    let (x, y) = bytes.split_at(split);
    if SipAnalyzer::claims_tcp(&seg(2, Transport::Tcp, a, b, bytes)) {
        analyzer.tcp_bytes(&seg(2, Transport::Tcp, a, b, x), &mut shared);
        analyzer.tcp_bytes(&seg(3, Transport::Tcp, a, b, y), &mut shared);
    }
    serializes(
        "SIP report",
        &analyzer.finish(&FinishContext { start_ns: 0 }),
    );
}

fn rtp_datagram(bytes: &[u8]) {
    if let Ok(p) = wire_rtp::Packet::new_checked(bytes) {
        let _ = wire_rtp::Repr::parse(&p);
        let _ = (p.payload(), p.csrc(0), p.extension_profile());
    }
    if let Ok(p) = wire_rtp::Packet::new_lax(bytes) {
        let _ = wire_rtp::Repr::parse(&p);
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

/// RTP and RTCP. The input is a sequence of records `[len: u8][flags: u8][bytes; len]`, each
/// decoded on its own (`rtp::Packet` checked and lax, `rtcp::Compound`, `Repr::parse`) and sent as
/// a datagram to `RtpAnalyzer`: flag bit 0 to an SDP-announced port (the lax path and rtcp-mux),
/// bit 1 to the port + 1 (RTCP), bit 2 the other way, bits 3–7 move the clock (also backwards).
pub fn rtp(data: &[u8]) {
    rtp_datagram(data);
    let mut analyzer = RtpAnalyzer::default();
    let mut shared = Shared::default();
    let announced = at([10, 0, 0, 2], 4000);
    shared.media.insert(
        announced,
        MediaExpectation {
            call_id: "fuzz".into(),
            frame: 1,
            media: "audio".into(),
            rtpmap: vec![RtpMap {
                pt: 96,
                codec: "AMR-WB".into(),
                clock: 16000,
            }],
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
        rtp_datagram(bytes);
        frame += 1;
        ts_ns += i64::from(flags >> 3) * 5_000_000 - 20_000_000;
        let mut src = at([10, 0, 0, 1], 40000);
        let mut dst = match flags & 3 {
            1 => announced,
            2 => at([10, 0, 0, 2], 4001),
            _ => at([10, 0, 0, 9], 40002),
        };
        if flags & 4 != 0 {
            std::mem::swap(&mut src, &mut dst);
        }
        let s = Segment {
            ts_ns,
            ..seg(frame, Transport::Udp, src, dst, bytes)
        };
        let _ = analyzer.udp(&s, &mut shared);
        let _ = analyzer.channel_data(&s, bytes);
    }
    let (rtp, rtcp) = analyzer.finish(&FinishContext {
        start_ns: 1_700_000_000_000_000_000,
    });
    serializes("RTP report", &rtp);
    serializes("RTCP report", &rtcp);
}

fn pcap_header(link_type: u32) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    h[16..20].copy_from_slice(&262_144u32.to_le_bytes());
    h[20..24].copy_from_slice(&link_type.to_le_bytes());
    h
}

fn analyze(options: Options, header: &[u8], rest: &[u8]) -> Report {
    // Two chunks, split in the middle, so that records straddle a feed.
    let (a, b) = rest.split_at(rest.len() / 2);
    let mut analyzer = Analyzer::new(options);
    let _ = analyzer.feed(header);
    if analyzer.feed(a).is_ok() {
        let _ = analyzer.feed(b);
    }
    analyzer.finish()
}

/// The whole `Analyzer`: feed (two chunks) and finish, then the report as JSON. Byte 0 chooses the
/// framing: bit 7 clear, a valid pcap header for `LINK_TYPES[(b0 & 0x3f) % 13]` comes first and
/// the rest are its records; bit 7 set, the rest is a whole file (pcapng, gzip…). Bit 6: tiny
/// limits, so flow eviction, the fragment and TCP buffer limits and the protocol tables' bounds
/// run too. Bit 5: also analysed
/// with the protocol stage on its own thread, and the two reports must be equal.
pub fn analyzer(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let options = if mode & 0x40 != 0 {
        Options {
            max_flows: 4,
            max_endpoints: 4,
            max_fragment_bytes: 2048,
            max_fragment_datagrams: 2,
            fragment_timeout_ns: 1_000_000_000,
            // Every protocol table at its floor, so their bounds run too.
            ..Options::with_budget(1 << 16)
        }
    } else {
        Options::default()
    };
    let header = pcap_header(LINK_TYPES[usize::from(mode & 0x3f) % LINK_TYPES.len()]);
    let header: &[u8] = if mode & 0x80 == 0 { &header } else { &[] };
    let report = analyze(options.clone(), header, rest);
    let json = serde_json::to_string(&report);
    assert!(json.is_ok(), "report does not serialize: {json:?}");
    if mode & 0x20 != 0 {
        let parallel = analyze(
            Options {
                parallel: true,
                ..options
            },
            header,
            rest,
        );
        assert!(
            serde_json::to_string(&parallel).ok() == json.ok(),
            "the two-threaded report differs"
        );
    }
}
