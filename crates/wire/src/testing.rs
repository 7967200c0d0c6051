//! Packet and capture builders for tests (the `testing` feature): a header's fields in, its bytes
//! out, as smoltcp's `Repr::emit`. Tests say what a packet is (`Ipv4 { protocol: 50, ..}`) instead
//! of spelling its bytes, and every test builds packets the same way. Checksums are computed
//! (RFC 1071), so tshark accepts a file written from them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::net::proto;

/// The Internet checksum (RFC 1071) over `chunks` as one byte string.
pub fn checksum(chunks: &[&[u8]]) -> u16 {
    let mut sum = 0u32;
    let mut odd: Option<u8> = None;
    for &b in chunks.iter().flat_map(|c| c.iter()) {
        match odd.take() {
            Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
            None => odd = Some(b),
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4 header (RFC 791 §3.1) without options.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4 {
    /// Source.
    pub src: Ipv4Addr,
    /// Destination.
    pub dst: Ipv4Addr,
    /// Protocol of the payload.
    pub protocol: u8,
    /// Identification.
    pub id: u16,
    /// Fragment offset in bytes (a multiple of 8).
    pub offset: usize,
    /// More fragments follow.
    pub more: bool,
    /// Don't fragment.
    pub dont_fragment: bool,
    /// Time to live.
    pub ttl: u8,
}

impl Default for Ipv4 {
    /// UDP from 10.0.0.1 to 10.0.0.2.
    fn default() -> Self {
        Ipv4 {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            protocol: proto::UDP,
            id: 0,
            offset: 0,
            more: false,
            dont_fragment: false,
            ttl: 64,
        }
    }
}

impl Ipv4 {
    /// The packet: this header (length and checksum filled in) and `payload`.
    pub fn emit(&self, payload: &[u8]) -> Vec<u8> {
        let mut h = vec![0x45, 0];
        h.extend(((20 + payload.len()) as u16).to_be_bytes());
        h.extend(self.id.to_be_bytes());
        let flags =
            if self.more { 0x2000 } else { 0 } | if self.dont_fragment { 0x4000 } else { 0 };
        h.extend((((self.offset / 8) as u16) | flags).to_be_bytes());
        h.extend([self.ttl, self.protocol, 0, 0]);
        h.extend(self.src.octets());
        h.extend(self.dst.octets());
        let c = checksum(&[&h]);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        h.extend_from_slice(payload);
        h
    }
}

/// An IPv6 header (RFC 8200 §3), with a fragment header (§4.5) when `fragment` is set.
#[derive(Debug, Clone, Copy)]
pub struct Ipv6 {
    /// Source.
    pub src: Ipv6Addr,
    /// Destination.
    pub dst: Ipv6Addr,
    /// Protocol of the payload (after any fragment header).
    pub next_header: u8,
    /// Hop limit.
    pub hop_limit: u8,
    /// (identification, offset in bytes, more fragments).
    pub fragment: Option<(u32, usize, bool)>,
}

impl Default for Ipv6 {
    /// UDP from 2001:db8::1 to 2001:db8::2.
    fn default() -> Self {
        Ipv6 {
            src: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
            dst: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2),
            next_header: proto::UDP,
            hop_limit: 64,
            fragment: None,
        }
    }
}

impl Ipv6 {
    /// The packet: this header (payload length filled in) and `payload`.
    pub fn emit(&self, payload: &[u8]) -> Vec<u8> {
        let mut ext = Vec::new();
        let next = match self.fragment {
            Some((id, offset, more)) => {
                ext.extend([self.next_header, 0]);
                ext.extend(((((offset / 8) as u16) << 3) | u16::from(more)).to_be_bytes());
                ext.extend(id.to_be_bytes());
                44
            }
            None => self.next_header,
        };
        let mut h = vec![0x60, 0, 0, 0];
        h.extend(((ext.len() + payload.len()) as u16).to_be_bytes());
        h.extend([next, self.hop_limit]);
        h.extend(self.src.octets());
        h.extend(self.dst.octets());
        h.extend(ext);
        h.extend_from_slice(payload);
        h
    }
}

/// An address as IPv6 (IPv4 as IPv4-mapped, RFC 4291 §2.5.5.2), for a packet of mixed families.
fn as_v6(a: IpAddr) -> Ipv6Addr {
    match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// The pseudo-header sum's part of a UDP/TCP checksum (RFC 768; RFC 8200 §8.1).
fn pseudo_header(src: IpAddr, dst: IpAddr, protocol: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::new();
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend(s.octets());
            p.extend(d.octets());
            p.extend([0, protocol]);
            p.extend((len as u16).to_be_bytes());
        }
        _ => {
            p.extend(as_v6(src).octets());
            p.extend(as_v6(dst).octets());
            p.extend((len as u32).to_be_bytes());
            p.extend([0, 0, 0, protocol]);
        }
    }
    p
}

/// A UDP datagram (RFC 768) from `src` to `dst` with its checksum.
pub fn udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut u = Vec::new();
    u.extend(src.port().to_be_bytes());
    u.extend(dst.port().to_be_bytes());
    u.extend((len as u16).to_be_bytes());
    u.extend([0, 0]);
    u.extend_from_slice(payload);
    let c = checksum(&[&pseudo_header(src.ip(), dst.ip(), proto::UDP, len), &u]);
    // A computed 0 is sent as all ones (0 means "no checksum").
    let c = if c == 0 { 0xffff } else { c };
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

/// TCP control bits (RFC 9293 §3.1).
pub mod tcp_flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// A TCP segment (RFC 9293 §3.1, a 20-byte header) from `src` to `dst` with its checksum.
pub fn tcp(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend(src.port().to_be_bytes());
    t.extend(dst.port().to_be_bytes());
    t.extend(seq.to_be_bytes());
    t.extend(ack.to_be_bytes());
    t.extend([0x50, flags]);
    t.extend(65_535u16.to_be_bytes());
    t.extend([0, 0, 0, 0]);
    t.extend_from_slice(payload);
    let c = checksum(&[&pseudo_header(src.ip(), dst.ip(), proto::TCP, t.len()), &t]);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

/// An IP packet carrying `transport` (protocol `protocol`) from `src` to `dst`: IPv4 or IPv6 as
/// the addresses are.
pub fn ip(src: IpAddr, dst: IpAddr, protocol: u8, transport: &[u8]) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => Ipv4 {
            src,
            dst,
            protocol,
            ..Ipv4::default()
        }
        .emit(transport),
        _ => Ipv6 {
            src: as_v6(src),
            dst: as_v6(dst),
            next_header: protocol,
            ..Ipv6::default()
        }
        .emit(transport),
    }
}

/// An IP packet with a UDP datagram from `src` to `dst`.
pub fn ip_udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    ip(src.ip(), dst.ip(), proto::UDP, &udp(src, dst, payload))
}

/// An Ethernet II frame (02:00:00:00:00:01 → 02:00:00:00:00:02) around an IP packet, the
/// EtherType taken from its version nibble.
pub fn ethernet(ip_packet: &[u8]) -> Vec<u8> {
    let ethertype: u16 = if ip_packet.first().is_some_and(|b| b >> 4 == 6) {
        0x86dd
    } else {
        0x0800
    };
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
    f.extend(ethertype.to_be_bytes());
    f.extend_from_slice(ip_packet);
    f
}

/// A classic pcap file being written (little-endian, microseconds, snap length 65,535).
#[derive(Debug, Clone)]
pub struct Pcap {
    bytes: Vec<u8>,
}

impl Pcap {
    /// A file of LINKTYPE `link_type` (1 Ethernet, 101 raw IP, …).
    pub fn new(link_type: u32) -> Pcap {
        Pcap {
            bytes: Pcap::header(link_type),
        }
    }

    /// The 24-byte global header alone.
    pub fn header(link_type: u32) -> Vec<u8> {
        let mut h = Vec::with_capacity(24);
        h.extend(0xa1b2_c3d4u32.to_le_bytes());
        h.extend(2u16.to_le_bytes());
        h.extend(4u16.to_le_bytes());
        h.extend([0; 8]);
        h.extend(65_535u32.to_le_bytes());
        h.extend(link_type.to_le_bytes());
        h
    }

    /// A 16-byte record header at `ts_us` µs since the epoch, claiming `caplen` and `orig_len`.
    pub fn record_header(ts_us: i64, caplen: u32, orig_len: u32) -> Vec<u8> {
        let mut h = Vec::with_capacity(16);
        h.extend((ts_us.div_euclid(1_000_000) as u32).to_le_bytes());
        h.extend((ts_us.rem_euclid(1_000_000) as u32).to_le_bytes());
        h.extend(caplen.to_le_bytes());
        h.extend(orig_len.to_le_bytes());
        h
    }

    /// Appends a record of `data` at `ts_us` µs since the epoch.
    pub fn record(&mut self, ts_us: i64, data: &[u8]) -> &mut Pcap {
        let len = data.len() as u32;
        self.bytes.extend(Pcap::record_header(ts_us, len, len));
        self.bytes.extend_from_slice(data);
        self
    }

    /// The file so far.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The file.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// An INVITE with no body (RFC 3261 §8.1.1), alice → bob, that nobody answers: one call per
/// distinct `call_id`; `branch` is both its Via branch and its From tag.
pub fn unanswered_invite(call_id: &str, branch: u32) -> String {
    format!(
        "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{branch}\r\n\
From: <sip:alice@example.com>;tag={branch}\r\nTo: <sip:bob@example.com>\r\nCall-ID: {call_id}\r\n\
CSeq: 1 INVITE\r\nContact: <sip:alice@10.0.0.1:5060>\r\nContent-Length: 0\r\n\r\n"
    )
}

/// An RTP packet (RFC 3550 §5.1: version 2, PCMU, sequence 1, timestamp 160) of source `ssrc`
/// with 20 bytes of µ-law silence.
pub fn rtp_pcmu(ssrc: u32) -> Vec<u8> {
    let mut rtp = vec![0x80, 0, 0, 1, 0, 0, 0, 160];
    rtp.extend_from_slice(&ssrc.to_be_bytes());
    rtp.extend_from_slice(&[0xd5; 20]);
    rtp
}

/// A STUN Binding request without attributes (RFC 8489 §5) whose transaction ID starts with `id`.
pub fn stun_binding_request(id: u32) -> Vec<u8> {
    let mut m = vec![0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[7; 8]);
    m
}

/// A DNS query for `name` (type A) and the response answering `addr` (RFC 1035 §4.1), as two
/// UDP payloads.
pub fn dns_exchange(id: u16, name: &str, addr: Ipv4Addr) -> (Vec<u8>, Vec<u8>) {
    use simple_dns::rdata::{RData, A};
    use simple_dns::{Name, Packet, Question, ResourceRecord, CLASS, QCLASS, QTYPE, TYPE};
    let question = || {
        Question::new(
            Name::new_unchecked(name),
            QTYPE::TYPE(TYPE::A),
            QCLASS::CLASS(CLASS::IN),
            false,
        )
    };
    let mut query = Packet::new_query(id);
    query.questions.push(question());
    let mut reply = Packet::new_reply(id);
    reply.questions.push(question());
    reply.answers.push(ResourceRecord::new(
        Name::new_unchecked(name),
        CLASS::IN,
        300,
        RData::A(A {
            address: u32::from(addr),
        }),
    ));
    let bytes = |p: &Packet<'_>| p.build_bytes_vec().unwrap_or_default();
    (bytes(&query), bytes(&reply))
}

/// An Ethernet frame of IPv4/UDP rebuilt with its addresses mapped by `map` (checksums
/// recomputed); None for any other frame. For captures made into other stories (a lab
/// peer given a public address).
pub fn readdress_udp(frame: &[u8], map: impl Fn(SocketAddr) -> SocketAddr) -> Option<Vec<u8>> {
    let l = crate::link::decode(1, frame).ok()?;
    let crate::net::Network::Ip(ip) = crate::net::decode_network(l.next, l.payload).ok()? else {
        return None;
    };
    if !ip.src.is_ipv4() || ip.fragment.is_some() {
        return None;
    }
    let crate::net::Transport::Udp {
        src_port,
        dst_port,
        payload,
    } = crate::net::decode_transport(ip.protocol, ip.payload).ok()?
    else {
        return None;
    };
    let src = map(SocketAddr::new(ip.src, src_port));
    let dst = map(SocketAddr::new(ip.dst, dst_port));
    Some(ethernet(&ip_udp(src, dst, payload)))
}

/// A QUIC v1 client Initial packet (RFC 9000 §17.2.2) to `dcid` carrying `plain` (frames),
/// sealed and header-protected with the keys anyone can derive (RFC 9001 §5): what a client's
/// first datagrams look like, for tests of the reading side.
pub fn quic_initial(dcid: &[u8], pn: u32, plain: &[u8]) -> Vec<u8> {
    use aes::cipher::{BlockEncrypt, KeyInit};
    use aes_gcm::aead::{Aead, Payload};
    let Some(keys) = crate::quic::client_keys(crate::quic::V1, dcid) else {
        return Vec::new();
    };
    // Type Initial, 4-byte packet number; no SCID, no token; Length as a 2-byte varint.
    let mut packet = vec![0xc3];
    packet.extend(crate::quic::V1.to_be_bytes());
    packet.push(dcid.len() as u8);
    packet.extend_from_slice(dcid);
    packet.extend([0, 0]);
    let length = 4 + plain.len() + 16;
    packet.extend((0x4000 | length as u16).to_be_bytes());
    let pn_offset = packet.len();
    packet.extend(pn.to_be_bytes());
    let mut nonce = keys.iv;
    for (n, p) in nonce[8..].iter_mut().zip(pn.to_be_bytes()) {
        *n ^= p;
    }
    let Ok(sealed) = aes_gcm::Aes128Gcm::new_from_slice(&keys.key).map(|aead| {
        aead.encrypt(
            aes_gcm::Nonce::from_slice(&nonce),
            Payload {
                msg: plain,
                aad: &packet,
            },
        )
    }) else {
        return Vec::new();
    };
    packet.extend(sealed.unwrap_or_default());
    let mut mask = aes::Block::clone_from_slice(&packet[pn_offset + 4..pn_offset + 20]);
    if let Ok(hp) = aes::Aes128::new_from_slice(&keys.hp) {
        hp.encrypt_block(&mut mask);
    }
    packet[0] ^= mask[0] & 0x0f;
    for i in 0..4 {
        packet[pn_offset + i] ^= mask[1 + i];
    }
    packet
}

/// A QUIC CRYPTO frame (RFC 9000 §19.6) at `offset` (both lengths as 2-byte varints).
pub fn quic_crypto_frame(offset: u16, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x06];
    f.extend((0x4000 | offset).to_be_bytes());
    f.extend((0x4000 | data.len() as u16).to_be_bytes());
    f.extend_from_slice(data);
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link;
    use crate::net::{self, Network, Transport};
    use crate::Reader;

    #[test]
    fn built_packets_decode_to_what_they_were_built_from() {
        let (a, b): (SocketAddr, SocketAddr) = (
            "[2001:db8::1]:5060".parse().unwrap(),
            "[2001:db8::2]:5062".parse().unwrap(),
        );
        for (src, dst) in [
            (a, b),
            (
                "10.0.0.1:40000".parse().unwrap(),
                "10.0.0.2:3478".parse().unwrap(),
            ),
        ] {
            let frame = ethernet(&ip_udp(src, dst, b"hello"));
            let l = link::decode(1, &frame).unwrap();
            let Ok(Network::Ip(ip)) = net::decode_network(l.next, l.payload) else {
                panic!("not IP");
            };
            assert_eq!((ip.src, ip.dst), (src.ip(), dst.ip()));
            let Ok(Transport::Udp {
                src_port,
                dst_port,
                payload,
            }) = net::decode_transport(ip.protocol, ip.payload)
            else {
                panic!("not UDP");
            };
            assert_eq!(
                (src_port, dst_port, payload),
                (src.port(), dst.port(), &b"hello"[..])
            );
            // A correct checksum sums (with the pseudo-header) to zero.
            let pseudo = pseudo_header(src.ip(), dst.ip(), 17, 13);
            let segment = &ip.payload[..13];
            assert_eq!(checksum(&[&pseudo, segment]), 0);
        }
        let v4 = Ipv4::default().emit(b"x");
        assert_eq!(checksum(&[&v4[..20]]), 0, "IPv4 header checksum");
    }

    #[test]
    fn a_readdressed_frame_keeps_its_payload_and_a_dns_exchange_decodes() {
        let (q, r) = dns_exchange(7, "epdg.example", Ipv4Addr::new(192, 0, 2, 9));
        let r = crate::dns::parse(&r).unwrap();
        assert_eq!(r.answers[0].name, "epdg.example");
        assert!(crate::dns::parse(&q).is_some_and(|q| !q.response));
        let (a, b): (SocketAddr, SocketAddr) = (
            "10.0.0.1:500".parse().unwrap(),
            "10.0.0.2:500".parse().unwrap(),
        );
        let frame = ethernet(&ip_udp(a, b, b"ike"));
        let moved = readdress_udp(&frame, |s| {
            if s == b {
                "203.0.113.7:500".parse().unwrap()
            } else {
                s
            }
        })
        .unwrap();
        assert_eq!(
            moved,
            ethernet(&ip_udp(a, "203.0.113.7:500".parse().unwrap(), b"ike"))
        );
        assert!(readdress_udp(&frame[..10], |s| s).is_none());
    }

    #[test]
    fn a_sealed_quic_initial_opens_to_its_frames() {
        let frames = [quic_crypto_frame(3, b"lo"), vec![0; 30]].concat();
        let packet = quic_initial(&[1, 2, 3, 4, 5, 6, 7, 8], 7, &frames);
        let (h, plain) = crate::quic::open_client_initial(&packet).unwrap();
        assert_eq!(
            (h.dcid, h.end),
            (&[1, 2, 3, 4, 5, 6, 7, 8][..], packet.len())
        );
        assert_eq!(plain, frames);
        assert_eq!(crate::quic::crypto_frames(&plain), vec![(3, &b"lo"[..])]);
        let mut damaged = packet.clone();
        damaged[30] ^= 1;
        assert!(crate::quic::open_client_initial(&damaged).is_none());
    }

    #[test]
    fn a_written_pcap_reads_back_frame_for_frame() {
        let mut p = Pcap::new(101);
        p.record(1_700_000_000_123_456, &Ipv4::default().emit(b"a"));
        let (a, b): (SocketAddr, SocketAddr) =
            ("10.0.0.1:1".parse().unwrap(), "10.0.0.2:2".parse().unwrap());
        let syn = tcp(a, b, 7, 0, tcp_flags::SYN, b"");
        p.record(1_700_000_001_000_000, &ip(a.ip(), b.ip(), proto::TCP, &syn));
        let mut frames = Vec::new();
        let mut r = Reader::new();
        r.push(p.bytes(), &mut |f| frames.push((f.ts_ns, f.data.len())))
            .unwrap();
        assert_eq!(
            frames,
            [
                (1_700_000_000_123_456_000, 21),
                (1_700_000_001_000_000_000, 40)
            ]
        );
    }
}
