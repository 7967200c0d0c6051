//! IP and transport decoding: header bytes in, addresses, fragments, ports and payloads out.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;

const SRC4: [u8; 4] = [192, 0, 2, 1];
const DST4: [u8; 4] = [198, 51, 100, 2];

/// An IPv4 header (RFC 791 §3.1). `options` must be a multiple of 4 bytes; checksum left zero.
fn ipv4(total_len: u16, id: u16, flags_offset: u16, protocol: u8, options: &[u8]) -> Vec<u8> {
    let ihl = 5 + options.len() / 4;
    let mut v = vec![
        0x40 | ihl as u8, // version 4, IHL
        0x00,             // DSCP/ECN
    ];
    v.extend(total_len.to_be_bytes()); // total length
    v.extend(id.to_be_bytes()); // identification
    v.extend(flags_offset.to_be_bytes()); // flags (bit 13 = MF) and fragment offset in 8-byte units
    v.push(64); // TTL
    v.push(protocol); // protocol
    v.extend([0, 0]); // header checksum (not checked)
    v.extend(SRC4);
    v.extend(DST4);
    v.extend_from_slice(options);
    v
}

/// A UDP header (RFC 768) and payload; checksum zero.
fn udp(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(src.to_be_bytes()); // source port
    v.extend(dst.to_be_bytes()); // destination port
    v.extend((8 + payload.len() as u16).to_be_bytes()); // length
    v.extend([0, 0]); // checksum
    v.extend_from_slice(payload);
    v
}

const MF: u16 = 0x2000;

// ---------------------------------------------------------------------------------------------
// IPv4
// ---------------------------------------------------------------------------------------------

#[test]
fn ipv4_with_options() {
    let payload = udp(5060, 5060, b"SIP!");
    let options = [0x01, 0x01, 0x01, 0x00]; // NOP, NOP, NOP, end of options list
    let mut packet = ipv4(24 + payload.len() as u16, 7, 0, 17, &options);
    packet.extend(&payload);
    let ip = decode_ip(&packet).unwrap();
    assert_eq!(ip.version, 4);
    assert_eq!(ip.src, IpAddr::V4(Ipv4Addr::from(SRC4)));
    assert_eq!(ip.dst, IpAddr::V4(Ipv4Addr::from(DST4)));
    assert_eq!(ip.protocol, proto::UDP);
    assert_eq!(ip.fragment, None);
    assert!(!ip.incomplete);
    assert_eq!(
        ip.payload,
        &packet[24..],
        "the payload starts after the 24-byte header"
    );
}

#[test]
fn ipv4_payload_ends_at_total_length() {
    // Ethernet pads short frames: the bytes after total_length are not IP payload.
    let payload = udp(53, 53, &[1, 2]);
    let mut packet = ipv4(20 + payload.len() as u16, 7, 0, 17, &[]);
    packet.extend(&payload);
    packet.extend([0u8; 6]); // Ethernet padding
    let ip = decode_ip(&packet).unwrap();
    assert_eq!(ip.payload, &payload[..]);
    assert!(!ip.incomplete);
}

#[test]
fn ipv4_first_fragment() {
    let data = [0xab; 16];
    let mut packet = ipv4(20 + 16, 0x1234, MF, 17, &[]); // offset 0, more fragments
    packet.extend(data);
    let ip = decode_ip(&packet).unwrap();
    assert_eq!(
        ip.fragment,
        Some(Fragment {
            id: 0x1234,
            offset: 0,
            more: true
        })
    );
    assert_eq!(ip.protocol, proto::UDP);
    assert_eq!(ip.payload, &data[..]);
}

#[test]
fn ipv4_middle_fragment() {
    let data = [0xcd; 8];
    let mut packet = ipv4(20 + 8, 0x1234, MF | 185, 17, &[]); // offset 185 × 8 = 1480
    packet.extend(data);
    let ip = decode_ip(&packet).unwrap();
    assert_eq!(
        ip.fragment,
        Some(Fragment {
            id: 0x1234,
            offset: 1480,
            more: true
        })
    );
    assert_eq!(ip.payload, &data[..]);
}

#[test]
fn ipv4_last_fragment() {
    let mut packet = ipv4(20 + 8, 0xbeef, 370, 17, &[]); // offset 2960, no MF
    packet.extend([0u8; 8]);
    let ip = decode_ip(&packet).unwrap();
    assert_eq!(
        ip.fragment,
        Some(Fragment {
            id: 0xbeef,
            offset: 2960,
            more: false
        })
    );
}

#[test]
fn ipv4_dont_fragment_is_not_a_fragment() {
    let mut packet = ipv4(20 + 8, 1, 0x4000, 17, &[]); // DF only
    packet.extend(udp(1, 2, &[]));
    assert_eq!(decode_ip(&packet).unwrap().fragment, None);
}

#[test]
fn ipv4_truncated_by_snaplen_is_incomplete() {
    let payload = udp(5060, 5060, &[0x55; 72]);
    let mut packet = ipv4(20 + payload.len() as u16, 9, 0, 17, &[]); // claims 100 bytes
    packet.extend(&payload[..8]); // only 28 captured
    let ip = decode_ip(&packet).unwrap();
    assert!(ip.incomplete);
    assert_eq!(ip.protocol, proto::UDP);
    assert_eq!(ip.payload, &payload[..8]);
}

#[test]
fn ipv4_header_longer_than_the_bytes_is_an_error() {
    let packet = ipv4(20, 1, 0, 17, &[]);
    assert!(decode_ip(&packet[..12]).is_err());
}

#[test]
fn garbage_is_an_error() {
    assert!(matches!(decode_ip(&[]), Err(NetError::Ip(_))));
    assert!(matches!(decode_ip(&[0x00; 40]), Err(NetError::Ip(_)))); // version 0
    assert!(matches!(decode_ip(&[0xff; 40]), Err(NetError::Ip(_)))); // version 15
    let mut short_ihl = ipv4(20, 1, 0, 17, &[]);
    short_ihl[0] = 0x44; // IHL 4: shorter than the fixed header
    assert!(matches!(decode_ip(&short_ihl), Err(NetError::Ip(_))));
}

// ---------------------------------------------------------------------------------------------
// IPv6
// ---------------------------------------------------------------------------------------------

fn v6(last: u16) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last)
}

/// An IPv6 header (RFC 8200 §3).
fn ipv6(payload_len: u16, next_header: u8) -> Vec<u8> {
    let mut v = vec![0x60, 0x00, 0x00, 0x00]; // version 6, traffic class, flow label
    v.extend(payload_len.to_be_bytes()); // payload length
    v.push(next_header); // next header
    v.push(64); // hop limit
    v.extend(v6(1).octets()); // source
    v.extend(v6(2).octets()); // destination
    v
}

/// A hop-by-hop options header (RFC 8200 §4.3) padded with PadN to 8 bytes.
fn hop_by_hop(next: u8) -> [u8; 8] {
    [next, 0, 0x01, 0x04, 0, 0, 0, 0] // next header, length 0 (8 bytes), PadN of 4 data bytes
}

/// A fragment header (RFC 8200 §4.5).
fn fragment_header(next: u8, offset_units: u16, more: bool, id: u32) -> [u8; 8] {
    let field = (offset_units << 3) | u16::from(more);
    let [a, b] = field.to_be_bytes();
    let [i0, i1, i2, i3] = id.to_be_bytes();
    [next, 0, a, b, i0, i1, i2, i3] // next header, reserved, offset/M, identification
}

#[test]
fn ipv6_with_hop_by_hop_and_fragment_headers() {
    let data = [0x77; 16];
    let mut packet = ipv6(8 + 8 + 16, 0); // next: hop-by-hop
    packet.extend(hop_by_hop(44)); // next: fragment
    packet.extend(fragment_header(17, 0, true, 0xdead_beef)); // next: UDP; first fragment
    packet.extend(data);
    let ip = decode_ip(&packet).unwrap();
    assert_eq!(ip.version, 6);
    assert_eq!(ip.src, IpAddr::V6(v6(1)));
    assert_eq!(ip.dst, IpAddr::V6(v6(2)));
    assert_eq!(ip.protocol, proto::UDP);
    assert_eq!(
        ip.fragment,
        Some(Fragment {
            id: 0xdead_beef,
            offset: 0,
            more: true
        })
    );
    assert_eq!(ip.payload, &packet[56..]);
    assert!(!ip.incomplete);
}

#[test]
fn ipv6_later_fragment() {
    let mut packet = ipv6(8 + 8, 44);
    packet.extend(fragment_header(17, 181, false, 42)); // offset 181 × 8 = 1448, last
    packet.extend([0u8; 8]);
    let ip = decode_ip(&packet).unwrap();
    assert_eq!(
        ip.fragment,
        Some(Fragment {
            id: 42,
            offset: 1448,
            more: false
        })
    );
}

#[test]
fn ipv6_atomic_fragment_is_whole() {
    // RFC 6946: a fragment header with offset 0 and M clear is a complete datagram.
    let payload = udp(1, 2, &[3]);
    let mut packet = ipv6(8 + payload.len() as u16, 44);
    packet.extend(fragment_header(17, 0, false, 1));
    packet.extend(&payload);
    let ip = decode_ip(&packet).unwrap();
    assert_eq!(ip.fragment, None);
    assert_eq!(ip.payload, &payload[..]);
}

#[test]
fn ipv6_truncated_payload_is_incomplete() {
    let mut packet = ipv6(100, 17);
    packet.extend(udp(1, 2, &[])); // 8 of the 100 claimed bytes
    let ip = decode_ip(&packet).unwrap();
    assert!(ip.incomplete);
    assert_eq!(ip.payload.len(), 8);
}

// ---------------------------------------------------------------------------------------------
// decode_network
// ---------------------------------------------------------------------------------------------

#[test]
fn network_dispatch() {
    let mut packet = ipv4(28, 1, 0, 17, &[]);
    packet.extend(udp(1, 2, &[]));
    assert!(
        matches!(decode_network(Next::EtherType(ethertype::IPV4), &packet), Ok(Network::Ip(ip)) if ip.version == 4)
    );
    assert!(matches!(
        decode_network(Next::Ip, &packet),
        Ok(Network::Ip(_))
    ));
    assert!(matches!(
        decode_network(Next::EtherType(ethertype::ARP), &[0; 28]),
        Ok(Network::Arp)
    ));
    assert!(matches!(
        decode_network(Next::EtherType(0x88cc), &[]),
        Ok(Network::Other(Some(0x88cc)))
    )); // LLDP
    assert!(matches!(
        decode_network(Next::Other, &[]),
        Ok(Network::Other(None))
    ));
    assert!(matches!(
        decode_network(Next::Ip, &[0x00; 20]),
        Err(NetError::Ip(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------------

#[test]
fn udp_ports_and_payload() {
    let bytes = udp(5060, 5061, b"INVITE");
    let Transport::Udp {
        src_port,
        dst_port,
        payload,
    } = decode_transport(proto::UDP, &bytes).unwrap()
    else {
        panic!("not UDP")
    };
    assert_eq!((src_port, dst_port), (5060, 5061));
    assert_eq!(payload, b"INVITE");
}

#[test]
fn udp_payload_is_bounded_by_its_length_field() {
    let mut bytes = udp(500, 500, &[1, 2, 3, 4]);
    bytes.extend([0xee; 6]); // trailing bytes beyond the UDP length
    let Transport::Udp { payload, .. } = decode_transport(proto::UDP, &bytes).unwrap() else {
        panic!("not UDP")
    };
    assert_eq!(payload, &[1, 2, 3, 4]);
}

#[test]
fn udp_truncated_header() {
    let err = decode_transport(proto::UDP, &[0x13, 0xc4, 0x13]).unwrap_err();
    assert!(
        matches!(err, TransportError::Bad { layer: "udp", .. }),
        "{err:?}"
    );
}

/// A TCP header (RFC 9293 §3.1) with `options` (a multiple of 4 bytes) and `flags`.
fn tcp(seq: u32, flags: u8, options: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(443u16.to_be_bytes()); // source port
    v.extend(51234u16.to_be_bytes()); // destination port
    v.extend(seq.to_be_bytes()); // sequence number
    v.extend(0x0a0b_0c0du32.to_be_bytes()); // acknowledgment number
    v.push(((5 + options.len() / 4) as u8) << 4); // data offset
    v.push(flags); // CWR ECE URG ACK PSH RST SYN FIN
    v.extend(65535u16.to_be_bytes()); // window
    v.extend([0, 0]); // checksum
    v.extend([0, 0]); // urgent pointer
    v.extend_from_slice(options);
    v.extend_from_slice(payload);
    v
}

#[test]
fn tcp_syn_ack() {
    let bytes = tcp(0x0102_0304, 0x12, &[], &[]); // SYN|ACK
    let Transport::Tcp {
        src_port,
        dst_port,
        seq,
        flags,
        payload,
    } = decode_transport(proto::TCP, &bytes).unwrap()
    else {
        panic!("not TCP")
    };
    assert_eq!((src_port, dst_port), (443, 51234));
    assert_eq!(seq, 0x0102_0304);
    assert_eq!(
        flags,
        TcpFlags {
            syn: true,
            ack: true,
            fin: false,
            rst: false,
            psh: false
        }
    );
    assert!(payload.is_empty());
}

#[test]
fn tcp_with_options_and_payload() {
    let options = [0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02]; // MSS 1460, NOP, NOP, SACK permitted
    let bytes = tcp(7, 0x19, &options, b"hello"); // FIN|PSH|ACK
    let Transport::Tcp {
        seq,
        flags,
        payload,
        ..
    } = decode_transport(proto::TCP, &bytes).unwrap()
    else {
        panic!("not TCP")
    };
    assert_eq!(seq, 7);
    assert_eq!(
        flags,
        TcpFlags {
            syn: false,
            ack: true,
            fin: true,
            rst: false,
            psh: true
        }
    );
    assert_eq!(payload, b"hello");
}

#[test]
fn tcp_rst() {
    let bytes = tcp(0, 0x04, &[], &[]);
    let Transport::Tcp { flags, .. } = decode_transport(proto::TCP, &bytes).unwrap() else {
        panic!("not TCP")
    };
    assert_eq!(
        flags,
        TcpFlags {
            rst: true,
            ..Default::default()
        }
    );
}

#[test]
fn tcp_truncated_header() {
    let bytes = tcp(0, 0x02, &[], &[]);
    let err = decode_transport(proto::TCP, &bytes[..10]).unwrap_err();
    assert!(
        matches!(err, TransportError::Bad { layer: "tcp", .. }),
        "{err:?}"
    );
}

#[test]
fn icmp_echo_request() {
    let bytes = [8, 0, 0xf7, 0xff, 0, 1, 0, 1]; // type 8 echo request, code, checksum, id, seq
    let Transport::Icmp { v6, kind, .. } = decode_transport(proto::ICMP, &bytes).unwrap() else {
        panic!("not ICMP")
    };
    assert!(!v6);
    assert_eq!(kind, 8);
}

#[test]
fn icmpv6_neighbor_solicitation() {
    let bytes = [135, 0, 0, 0, 0, 0, 0, 0]; // type 135, code, checksum, reserved
    let Transport::Icmp { v6, kind, .. } = decode_transport(proto::ICMPV6, &bytes).unwrap() else {
        panic!("not ICMPv6")
    };
    assert!(v6);
    assert_eq!(kind, 135);
}

#[test]
fn icmp_empty_is_an_error() {
    assert!(matches!(
        decode_transport(proto::ICMP, &[]),
        Err(TransportError::Bad { layer: "icmp", .. })
    ));
    assert!(matches!(
        decode_transport(proto::ICMPV6, &[]),
        Err(TransportError::Bad {
            layer: "icmpv6",
            ..
        })
    ));
}

#[test]
fn esp_is_other_with_its_bytes() {
    let bytes = [0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x01, 0xaa]; // SPI 0x1234, sequence 1, data
    let Transport::Other { protocol, payload } = decode_transport(proto::ESP, &bytes).unwrap()
    else {
        panic!("not Other")
    };
    assert_eq!(protocol, 50);
    assert_eq!(payload, &bytes[..]);
}

/// Found by fuzz/link_ip: an IPv6 header (next header 0, payload length 8) whose hop-by-hop
/// header names hop-by-hop again, which is invalid after the first. etherparse stops the chain
/// with an error; walking its extension iterator then read past the slice.
#[test]
fn ipv6_hop_by_hop_twice_is_decoded_without_walking_the_broken_chain() {
    let mut packet = vec![0x60, 0, 0, 0, 0x00, 0x08, 0x00, 0x40]; // v6, len 8, next 0 (HBH), hop 64
    packet.extend_from_slice(&[0; 15]);
    packet.push(1); // src ::1
    packet.extend_from_slice(&[0; 15]);
    packet.push(2); // dst ::2
    packet.extend_from_slice(&[0x00, 0, 0, 0, 0, 0, 0, 0]); // HBH: next header 0 again, len 0
    let ip = super::decode_ip(&packet).expect("the fixed header decodes");
    assert_eq!(ip.version, 6);
    assert_eq!(ip.fragment, None);
}

#[test]
fn plain_ipv4_takes_only_the_common_case() {
    let mut packet = ipv4(28, 7, 0x4000, proto::UDP, &[]); // DF only: not a fragment
    packet.extend_from_slice(&udp(5060, 5060, &[]));
    packet.extend_from_slice(&[0xee; 6]); // Ethernet padding past the total length
    let plain = super::plain_ipv4(&packet).expect("a plain IPv4 header");
    assert_eq!(plain.payload.len(), 8);
    assert_eq!(Ok(plain), super::decode_ip_lax(&packet));
    let with_options = ipv4(32, 7, 0, proto::UDP, &[1, 1, 1, 0]);
    let fragment = ipv4(28, 7, 0x2000, proto::UDP, &[]);
    let ah = ipv4(20, 7, 0, 51, &[]);
    let short = &ipv4(28, 7, 0, proto::UDP, &[])[..];
    for other in [&with_options[..], &fragment[..], &ah[..], short] {
        assert_eq!(super::plain_ipv4(other), None);
    }
}

proptest::proptest! {
    /// Wherever the direct IPv4 reader answers, etherparse gives the same packet.
    #[test]
    fn plain_ipv4_agrees_with_etherparse(
        header in proptest::collection::vec(proptest::num::u8::ANY, 20),
        total in 0u16..80,
        frag in proptest::sample::select(vec![0u16, 0x4000, 0x2000, 0x0001, 0x8000]),
        protocol in proptest::sample::select(vec![1u8, 6, 17, 50, 51]),
        extra in 0usize..80,
    ) {
        let mut bytes = header;
        bytes[0] = 0x45;
        bytes[2..4].copy_from_slice(&total.to_be_bytes());
        bytes[6..8].copy_from_slice(&frag.to_be_bytes());
        bytes[9] = protocol;
        bytes.extend((0..extra).map(|i| i as u8));
        if let Some(plain) = super::plain_ipv4(&bytes) {
            proptest::prop_assert_eq!(Ok(plain), super::decode_ip_lax(&bytes));
        }
    }
}
