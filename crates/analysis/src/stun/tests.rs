//! The STUN analyzer on hand-made datagrams and streams.

use std::net::SocketAddr;

use super::*;
use callscope_wire::stun::MAGIC_COOKIE;

const CLIENT: &str = "10.99.7.2:34990";
const SERVER: &str = "10.99.7.1:3478";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A STUN message with the cookie: `typ`, transaction id byte `id`, attributes `attrs`.
fn stun(typ: u16, id: u8, attrs: &[u8]) -> Vec<u8> {
    let mut m = typ.to_be_bytes().to_vec();
    m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    m.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
    m.extend_from_slice(&[id; 12]);
    m.extend_from_slice(attrs);
    m
}

/// An XOR address attribute of type `t` for `a` (IPv4).
fn xor_addr(t: u16, a: &str) -> Vec<u8> {
    let a = addr(a);
    let std::net::IpAddr::V4(ip) = a.ip() else {
        panic!()
    };
    let mut v = t.to_be_bytes().to_vec();
    v.extend_from_slice(&[0, 8, 0, 1]);
    v.extend_from_slice(&(a.port() ^ 0x2112).to_be_bytes());
    let c = MAGIC_COOKIE.to_be_bytes();
    for (i, b) in ip.octets().iter().enumerate() {
        v.push(b ^ c[i]);
    }
    v
}

fn error(code: u16) -> Vec<u8> {
    vec![0, 9, 0, 4, 0, 0, (code / 100) as u8, (code % 100) as u8]
}

struct Feed {
    stun: StunAnalyzer,
    shared: Shared,
    frame: u64,
}

impl Feed {
    fn new() -> Self {
        Feed {
            stun: StunAnalyzer::default(),
            shared: Shared::default(),
            frame: 0,
        }
    }

    fn seg<'a>(&mut self, src: &str, dst: &str, payload: &'a [u8], t: Transport) -> Segment<'a> {
        self.frame += 1;
        Segment {
            frame: self.frame,
            ts_ns: self.frame as i64 * 1_000_000,
            transport: t,
            src: addr(src),
            dst: addr(dst),
            payload,
            flow: 1,
        }
    }

    fn udp(&mut self, src: &str, dst: &str, payload: &[u8]) -> Option<&'static str> {
        let seg = self.seg(src, dst, payload, Transport::Udp);
        self.stun.udp(&seg, &mut self.shared)
    }

    fn tcp(&mut self, src: &str, dst: &str, payload: &[u8]) {
        let seg = self.seg(src, dst, payload, Transport::Tcp);
        self.stun.tcp_bytes(&seg, &mut self.shared);
    }
}

#[test]
fn binding_transaction_with_rtt_and_mapping() {
    let mut f = Feed::new();
    assert_eq!(f.udp(CLIENT, SERVER, &stun(0x0001, 1, &[])), Some("stun"));
    let resp = stun(0x0101, 1, &xor_addr(0x0020, "203.0.113.9:61000"));
    assert_eq!(f.udp(SERVER, CLIENT, &resp), Some("stun"));
    let r = f.stun.finish(&FinishContext { start_ns: 0 });
    assert_eq!(r.messages, 2);
    let t = &r.transactions[0];
    assert_eq!(t.id, format!("0x{}", "01".repeat(12)));
    assert_eq!(
        (t.method.as_str(), t.class.as_str()),
        ("Binding", "success")
    );
    assert_eq!(
        (t.client.to_string(), t.server.to_string()),
        (CLIENT.to_owned(), SERVER.to_owned())
    );
    assert_eq!(t.rtt_ms, Some(1.0));
    assert_eq!(
        t.mapped.map(|m| m.to_string()).as_deref(),
        Some("203.0.113.9:61000")
    );
    assert_eq!(r.mappings[0].mapped.to_string(), "203.0.113.9:61000");
    assert_eq!(r.methods["Binding"].success, 1);
}

#[test]
fn turn_allocation_401_then_success_permission_channel_and_channel_data() {
    let mut f = Feed::new();
    f.udp(CLIENT, SERVER, &stun(0x0003, 1, &[]));
    f.udp(SERVER, CLIENT, &stun(0x0113, 1, &error(401)));
    f.udp(CLIENT, SERVER, &stun(0x0003, 2, &[]));
    let mut ok = xor_addr(0x0016, "10.99.7.1:49163");
    ok.extend(xor_addr(0x0020, "10.99.7.2:34990"));
    ok.extend_from_slice(&[0, 0x0d, 0, 4, 0, 0, 2, 0x58]);
    f.udp(SERVER, CLIENT, &stun(0x0103, 2, &ok));
    f.udp(
        CLIENT,
        SERVER,
        &stun(0x0008, 3, &xor_addr(0x0012, "10.99.7.3:3480")),
    );
    f.udp(SERVER, CLIENT, &stun(0x0108, 3, &[]));
    let mut bind = vec![0, 0x0c, 0, 4, 0x40, 0x00, 0, 0];
    bind.extend(xor_addr(0x0012, "10.99.7.3:3480"));
    f.udp(CLIENT, SERVER, &stun(0x0009, 4, &bind));
    f.udp(SERVER, CLIENT, &stun(0x0109, 4, &[]));
    let cd = [0x40, 0x00, 0x00, 0x03, 1, 2, 3, 0];
    assert_eq!(f.udp(CLIENT, SERVER, &cd), Some("stun"));
    assert_eq!(f.udp(SERVER, CLIENT, &cd), Some("stun"));
    // The same bytes on a flow that never carried STUN are not ChannelData.
    assert_eq!(f.udp("192.0.2.1:1000", "192.0.2.2:2000", &cd), None);
    f.udp(
        CLIENT,
        SERVER,
        &stun(0x0004, 5, &[0, 0x0d, 0, 4, 0, 0, 0, 0]),
    );
    f.udp(SERVER, CLIENT, &stun(0x0104, 5, &[]));
    let r = f.stun.finish(&FinishContext { start_ns: 0 });
    assert_eq!((r.messages, r.channel_data), (10, 2));
    assert_eq!(r.errors["401"], 1);
    assert_eq!(r.allocations.len(), 1);
    let a = &r.allocations[0];
    assert_eq!((a.requests, a.challenges), (2, 1));
    assert_eq!(
        a.relayed.map(|m| m.to_string()).as_deref(),
        Some("10.99.7.1:49163")
    );
    assert_eq!(a.lifetime, Some(600));
    assert_eq!(a.permissions, ["10.99.7.3".parse().unwrap()]);
    assert_eq!(a.channels[0].number, "0x4000");
    assert_eq!(
        a.channels[0].peer.map(|m| m.to_string()).as_deref(),
        Some("10.99.7.3:3480")
    );
    assert_eq!((a.channels[0].to_peer, a.channels[0].from_peer), (1, 1));
    assert_eq!(a.deleted_frame, Some(13));
    assert_eq!(
        r.transactions[1].relayed.map(|m| m.to_string()).as_deref(),
        Some("10.99.7.1:49163")
    );
}

#[test]
fn demultiplexes_a_shared_port_by_first_byte() {
    let mut f = Feed::new();
    assert_eq!(f.udp(CLIENT, SERVER, &[0x16, 0xfe, 0xfd, 0, 0]), None);
    f.udp(CLIENT, SERVER, &stun(0x0001, 1, &[]));
    assert_eq!(
        f.udp(CLIENT, SERVER, &[0x16, 0xfe, 0xfd, 0, 0]),
        Some("dtls")
    );
    assert_eq!(f.udp(CLIENT, SERVER, &[0x80, 0x00, 0, 1]), None);
    assert_eq!(f.udp(CLIENT, SERVER, &[0x10, 0, 0, 1]), None);
    let r = f.stun.finish(&FinishContext { start_ns: 0 });
    assert_eq!(
        (r.demux.stun, r.demux.dtls, r.demux.rtp, r.demux.zrtp),
        (1, 1, 1, 1)
    );
}

#[test]
fn classic_stun_and_what_is_not_stun() {
    let mut f = Feed::new();
    let mut classic = vec![0x00, 0x01, 0x00, 0x08];
    classic.extend_from_slice(&[0x94; 16]);
    classic.extend_from_slice(&[0x00, 0x03, 0x00, 0x04, 0, 0, 0, 0]);
    assert_eq!(f.udp(CLIENT, SERVER, &classic), Some("classicstun"));
    // Cookie present but length does not fill the datagram.
    let mut long = stun(0x0001, 2, &[]);
    long.push(0);
    assert_eq!(f.udp(CLIENT, SERVER, &long), None);
    assert_eq!(f.udp(CLIENT, SERVER, &[]), None);
    let r = f.stun.finish(&FinishContext { start_ns: 0 });
    assert_eq!((r.messages, r.classic_messages), (0, 1));
    assert!(r.transactions[0].classic);
    assert_eq!(r.transactions[0].id.len(), 2 + 32);
}

#[test]
fn tcp_stream_split_across_segments_and_two_messages_in_one() {
    let mut f = Feed::new();
    let a = stun(0x0003, 1, &[0, 0x19, 0, 4, 17, 0, 0, 0]);
    let b = stun(0x0113, 1, &error(401));
    let seg = f.seg(CLIENT, SERVER, &a, Transport::Tcp);
    assert!(StunAnalyzer::claims_tcp(&seg));
    f.tcp(CLIENT, SERVER, &a[..10]);
    f.tcp(CLIENT, SERVER, &a[10..]);
    let mut two = b.clone();
    two.extend(stun(0x0101, 9, &[]));
    f.tcp(SERVER, CLIENT, &two);
    f.tcp(CLIENT, SERVER, &[0x40, 0x00, 0x00, 0x02, 7, 7, 0, 0]);
    // RFC 5766's channel range needs a ChannelBind first: text does not frame as ChannelData.
    f.tcp(CLIENT, SERVER, b"garbage!");
    f.tcp(CLIENT, SERVER, &stun(0x0001, 3, &[]));
    let r = f.stun.finish(&FinishContext { start_ns: 0 });
    assert_eq!(r.messages, 3);
    assert_eq!(r.channel_data, 1);
    assert_eq!(r.tcp_desync, 1);
    assert_eq!(r.transactions[0].transport, crate::report::Transport::Tcp);
    assert_eq!(r.transactions[0].response_frame, Some(4));
    assert_eq!(r.allocations[0].challenges, 1);
    let not = f_seg_not_stun();
    assert!(!StunAnalyzer::claims_tcp(&not));
}

fn f_seg_not_stun() -> Segment<'static> {
    Segment {
        frame: 1,
        ts_ns: 0,
        transport: Transport::Tcp,
        src: addr(CLIENT),
        dst: addr(SERVER),
        payload: b"INVITE sip:bob@example.com SIP/2.0\r\n",
        flow: 1,
    }
}

#[test]
fn partial_messages_across_tcp_streams_stay_within_the_budget_share() {
    let mut f = Feed::new();
    f.stun = <StunAnalyzer as Protocol>::with_budget(1 << 20);
    assert_eq!(f.stun.bounds.stream_bytes, 131_072, "the table's floor");
    // On each of 20 streams, the first 10,020 bytes of a Binding request claiming 60,000 bytes of
    // attributes: each waits for the rest.
    let mut partial = vec![0, 1];
    partial.extend_from_slice(&60_000u16.to_be_bytes());
    partial.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
    partial.resize(10_020, 0);
    for i in 0..20 {
        f.tcp(&format!("10.0.0.{i}:40000"), "192.0.2.4:3478", &partial);
        assert!(f.stun.stream_held <= f.stun.bounds.stream_bytes);
    }
    let held: usize = f.stun.streams.values().map(|s| s.buf.len()).sum();
    assert_eq!(
        held, f.stun.stream_held,
        "the running count is the buffers' sum"
    );
    assert_eq!(held, 13 * 10_020, "13 streams fit");
    assert_eq!(f.stun.tcp_desync, 7, "the other 7 are given up and counted");
}
