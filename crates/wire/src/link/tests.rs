//! Link-layer decoding: one link header in, the path, what follows and where the payload starts out.

use super::*;

/// The four bytes every test packet carries after its link header(s).
const IP: [u8; 4] = [0x45, 0x00, 0x00, 0x14];

/// Asserts that `layer.payload` is exactly `data[offset..]`, i.e. the header was `offset` bytes.
fn assert_payload_at(layer: &LinkLayer<'_>, data: &[u8], offset: usize) {
    assert_eq!(layer.payload.len(), data.len() - offset, "payload length");
    assert_eq!(
        layer.payload.as_ptr(),
        data[offset..].as_ptr(),
        "payload offset"
    );
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

// ---------------------------------------------------------------------------------------------
// EN10MB (1)
// ---------------------------------------------------------------------------------------------

/// Destination then source MAC address.
const MACS: [u8; 12] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
];

#[test]
fn ethernet_plain() {
    let data = cat(&[&MACS, &[0x08, 0x00], &IP]); // EtherType IPv4
    let layer = decode(1, &data).unwrap();
    assert_eq!(layer.path, vec!["eth"]);
    assert_eq!(layer.next, Next::EtherType(0x0800));
    assert_eq!(layer.pktap, None);
    assert_payload_at(&layer, &data, 14);
}

#[test]
fn ethernet_802_1q() {
    let data = cat(&[
        &MACS,
        &[0x81, 0x00], // TPID 802.1Q
        &[0x20, 0x64], // TCI: PCP 1, VID 100
        &[0x86, 0xdd], // inner EtherType IPv6
        &IP,
    ]);
    let layer = decode(1, &data).unwrap();
    assert_eq!(layer.path, vec!["eth", "vlan"]);
    assert_eq!(layer.next, Next::EtherType(0x86dd));
    assert_payload_at(&layer, &data, 18);
}

#[test]
fn ethernet_qinq() {
    let data = cat(&[
        &MACS,
        &[0x88, 0xa8], // TPID 802.1ad (service tag)
        &[0x00, 0x0a], // S-VID 10
        &[0x81, 0x00], // TPID 802.1Q (customer tag)
        &[0x00, 0x14], // C-VID 20
        &[0x08, 0x00], // EtherType IPv4
        &IP,
    ]);
    let layer = decode(1, &data).unwrap();
    assert_eq!(layer.path, vec!["eth", "vlan", "vlan"]);
    assert_eq!(layer.next, Next::EtherType(0x0800));
    assert_payload_at(&layer, &data, 22);
}

#[test]
fn ethernet_802_3_length_means_llc() {
    let data = cat(&[
        &MACS,
        &[0x00, 0x26],       // 802.3 length 38, not an EtherType
        &[0x42, 0x42, 0x03], // LLC: DSAP/SSAP STP, UI
    ]);
    let layer = decode(1, &data).unwrap();
    assert_eq!(layer.path, vec!["eth", "llc"]);
    assert_eq!(layer.next, Next::Other);
    assert_payload_at(&layer, &data, 14);
}

#[test]
fn ethernet_arp() {
    let data = cat(&[&MACS, &[0x08, 0x06], &[0; 28]]);
    let layer = decode(1, &data).unwrap();
    assert_eq!(layer.next, Next::EtherType(0x0806));
}

#[test]
fn ethernet_truncated() {
    let data = cat(&[&MACS, &[0x08]]);
    assert_eq!(
        decode(1, &data).unwrap_err(),
        LinkError::Truncated {
            layer: "eth",
            need: 14,
            have: 13
        }
    );
}

#[test]
fn ethernet_truncated_vlan_tag() {
    let data = cat(&[&MACS, &[0x81, 0x00], &[0x00, 0x64]]); // tag without its inner EtherType
    assert_eq!(
        decode(1, &data).unwrap_err(),
        LinkError::Truncated {
            layer: "vlan",
            need: 18,
            have: 16
        }
    );
}

// ---------------------------------------------------------------------------------------------
// NULL (0) and LOOP (108)
// ---------------------------------------------------------------------------------------------

#[test]
fn null_af_inet_little_endian() {
    let data = cat(&[&[0x02, 0x00, 0x00, 0x00], &IP]); // family 2, host (little-endian) order
    let layer = decode(0, &data).unwrap();
    assert_eq!(layer.path, vec!["null"]);
    assert_eq!(layer.next, Next::EtherType(0x0800));
    assert_payload_at(&layer, &data, 4);
}

#[test]
fn null_af_inet6_of_every_bsd() {
    for family in [24u8, 28, 30] {
        // NetBSD/OpenBSD, FreeBSD, macOS
        let data = cat(&[&[family, 0x00, 0x00, 0x00], &[0x60, 0, 0, 0]]);
        let layer = decode(0, &data).unwrap();
        assert_eq!(layer.next, Next::EtherType(0x86dd), "family {family}");
        assert_payload_at(&layer, &data, 4);
    }
}

#[test]
fn null_written_big_endian() {
    let v4 = cat(&[&[0x00, 0x00, 0x00, 0x02], &IP]); // AF_INET from a big-endian host
    assert_eq!(decode(0, &v4).unwrap().next, Next::EtherType(0x0800));
    let v6 = cat(&[&[0x00, 0x00, 0x00, 0x1e], &IP]); // AF_INET6 (30) from a big-endian host
    assert_eq!(decode(0, &v6).unwrap().next, Next::EtherType(0x86dd));
}

#[test]
fn null_unknown_family() {
    let data = cat(&[&[0x07, 0x00, 0x00, 0x00], &IP]); // AF_7: nothing we decode
    let layer = decode(0, &data).unwrap();
    assert_eq!(layer.next, Next::Other);
    assert_payload_at(&layer, &data, 4);
}

#[test]
fn null_truncated() {
    assert_eq!(
        decode(0, &[0x02, 0x00, 0x00]).unwrap_err(),
        LinkError::Truncated {
            layer: "null",
            need: 4,
            have: 3
        }
    );
}

#[test]
fn loop_is_network_order() {
    let v4 = cat(&[&[0x00, 0x00, 0x00, 0x02], &IP]); // AF_INET, big-endian
    let layer = decode(108, &v4).unwrap();
    assert_eq!(layer.path, vec!["null"]);
    assert_eq!(layer.next, Next::EtherType(0x0800));
    assert_payload_at(&layer, &v4, 4);
    let v6 = cat(&[&[0x00, 0x00, 0x00, 0x18], &IP]); // AF_INET6 (24), big-endian
    assert_eq!(decode(108, &v6).unwrap().next, Next::EtherType(0x86dd));
}

#[test]
fn loop_does_not_guess_little_endian() {
    let data = cat(&[&[0x02, 0x00, 0x00, 0x00], &IP]); // 0x02000000 in network order
    assert_eq!(decode(108, &data).unwrap().next, Next::Other);
}

// ---------------------------------------------------------------------------------------------
// RAW (12, 14, 101), IPV4 (228), IPV6 (229)
// ---------------------------------------------------------------------------------------------

#[test]
fn raw_link_types_hand_over_ip() {
    for link_type in [12, 14, 101] {
        let layer = decode(link_type, &IP).unwrap();
        assert_eq!(layer.path, vec!["raw"], "link type {link_type}");
        assert_eq!(layer.next, Next::Ip, "link type {link_type}");
        assert_payload_at(&layer, &IP, 0);
    }
}

#[test]
fn ipv4_link_type() {
    let layer = decode(228, &IP).unwrap();
    assert_eq!(layer.path, vec!["raw"]);
    assert_eq!(layer.next, Next::EtherType(0x0800));
    assert_payload_at(&layer, &IP, 0);
}

#[test]
fn ipv6_link_type() {
    let data = [0x60, 0, 0, 0];
    let layer = decode(229, &data).unwrap();
    assert_eq!(layer.path, vec!["raw"]);
    assert_eq!(layer.next, Next::EtherType(0x86dd));
    assert_payload_at(&layer, &data, 0);
}

// ---------------------------------------------------------------------------------------------
// LINUX_SLL (113) and LINUX_SLL2 (276)
// ---------------------------------------------------------------------------------------------

/// A cooked v1 header (16 bytes).
fn sll_v1(arphrd: u16, protocol: u16) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(0u16.to_be_bytes()); // packet type: to us
    v.extend(arphrd.to_be_bytes()); // ARPHRD type
    v.extend(6u16.to_be_bytes()); // link-layer address length
    v.extend([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x00]); // address, padded to 8
    v.extend(protocol.to_be_bytes()); // protocol (EtherType)
    v
}

#[test]
fn linux_sll() {
    let data = cat(&[&sll_v1(1, 0x0800), &IP]); // ARPHRD_ETHER, IPv4
    let layer = decode(113, &data).unwrap();
    assert_eq!(layer.path, vec!["sll"]);
    assert_eq!(layer.next, Next::EtherType(0x0800));
    assert_payload_at(&layer, &data, 16);
}

#[test]
fn linux_sll_netlink_is_not_an_ethertype() {
    let data = cat(&[&sll_v1(824, 0x0800), &IP]); // ARPHRD_NETLINK: protocol is a netlink family
    assert_eq!(decode(113, &data).unwrap().next, Next::Other);
}

#[test]
fn linux_sll_truncated() {
    let header = sll_v1(1, 0x0800);
    assert_eq!(
        decode(113, &header[..15]).unwrap_err(),
        LinkError::Truncated {
            layer: "sll",
            need: 16,
            have: 15
        }
    );
}

#[test]
fn linux_sll2() {
    let mut header = Vec::new();
    header.extend(0x86ddu16.to_be_bytes()); // protocol: IPv6
    header.extend(0u16.to_be_bytes()); // reserved
    header.extend(3u32.to_be_bytes()); // interface index
    header.extend(1u16.to_be_bytes()); // ARPHRD_ETHER
    header.push(4); // packet type: outgoing
    header.push(6); // address length
    header.extend([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x00]); // address, padded to 8
    let data = cat(&[&header, &[0x60, 0, 0, 0]]);
    let layer = decode(276, &data).unwrap();
    assert_eq!(layer.path, vec!["sll"]);
    assert_eq!(layer.next, Next::EtherType(0x86dd));
    assert_payload_at(&layer, &data, 20);
    assert_eq!(
        decode(276, &header[..19]).unwrap_err(),
        LinkError::Truncated {
            layer: "sll2",
            need: 20,
            have: 19
        }
    );
}

// ---------------------------------------------------------------------------------------------
// PKTAP (258, 149)
// ---------------------------------------------------------------------------------------------

/// A PKTAP header (xnu `bsd/net/pktap.h`, little-endian) of `length` bytes.
fn pktap(length: u32, inner_dlt: u32, ifname: &str, pid: i32, comm: &str) -> Vec<u8> {
    let mut v = vec![0u8; length as usize];
    v[0..4].copy_from_slice(&length.to_le_bytes()); // pth_length
    v[4..8].copy_from_slice(&1u32.to_le_bytes()); // pth_type_next: PTH_TYPE_PACKET
    v[8..12].copy_from_slice(&inner_dlt.to_le_bytes()); // pth_dlt
    v[12..12 + ifname.len()].copy_from_slice(ifname.as_bytes()); // pth_ifname[24]
    v[52..56].copy_from_slice(&pid.to_le_bytes()); // pth_pid
    v[56..56 + comm.len()].copy_from_slice(comm.as_bytes()); // pth_comm[17]
    v
}

#[test]
fn pktap_258_with_ethernet_inside() {
    let data = cat(&[
        &pktap(108, 1, "en0", 512, "mDNSResponder"),
        &MACS,
        &[0x08, 0x00],
        &IP,
    ]);
    let layer = decode(258, &data).unwrap();
    assert_eq!(layer.path, vec!["pktap", "eth"]);
    assert_eq!(layer.next, Next::EtherType(0x0800));
    assert_eq!(
        layer.pktap.as_deref(),
        Some(&PktapMeta {
            ifname: "en0".into(),
            pid: Some(512),
            command: "mDNSResponder".into()
        })
    );
    assert_payload_at(&layer, &data, 108 + 14);
}

#[test]
fn pktap_149_with_null_inside_and_a_longer_header() {
    let data = cat(&[
        &pktap(156, 0, "utun3", 70_000, "CommCenter"),
        &[0x1e, 0, 0, 0],
        &[0x60, 0, 0, 0],
    ]);
    let layer = decode(149, &data).unwrap();
    assert_eq!(layer.path, vec!["pktap", "null"]);
    assert_eq!(layer.next, Next::EtherType(0x86dd));
    assert_eq!(
        layer.pktap.as_deref(),
        Some(&PktapMeta {
            ifname: "utun3".into(),
            pid: Some(70_000),
            command: "CommCenter".into()
        })
    );
    assert_payload_at(&layer, &data, 156 + 4);
}

#[test]
fn pktap_command_fills_all_sixteen_characters() {
    let data = cat(&[&pktap(108, 12, "pdp_ip0", 1, "com.apple.WebKit"), &IP]); // 16 chars + NUL
    let layer = decode(258, &data).unwrap();
    assert_eq!(layer.path, vec!["pktap", "raw"]);
    assert_eq!(layer.pktap.unwrap().command, "com.apple.WebKit");
}

#[test]
fn pktap_unknown_pid() {
    for pid in [-1, 0] {
        let data = cat(&[&pktap(108, 1, "en0", pid, ""), &MACS, &[0x08, 0x00]]);
        let meta = decode(258, &data).unwrap().pktap.unwrap();
        assert_eq!(meta.pid, None, "pid {pid}");
        assert_eq!(meta.command, "");
    }
}

#[test]
fn pktap_shorter_than_its_fixed_fields() {
    let header = pktap(108, 1, "en0", 1, "a");
    assert_eq!(
        decode(258, &header[..72]).unwrap_err(),
        LinkError::Truncated {
            layer: "pktap",
            need: 73,
            have: 72
        }
    );
}

#[test]
fn pktap_shorter_than_pth_length() {
    let header = pktap(108, 1, "en0", 1, "a");
    assert_eq!(
        decode(258, &header[..100]).unwrap_err(),
        LinkError::Truncated {
            layer: "pktap",
            need: 108,
            have: 100
        }
    );
}

#[test]
fn pktap_inner_header_truncated() {
    let data = cat(&[&pktap(108, 1, "en0", 1, "a"), &MACS]); // Ethernet without its EtherType
    assert_eq!(
        decode(258, &data).unwrap_err(),
        LinkError::Truncated {
            layer: "eth",
            need: 14,
            have: 12
        }
    );
}

#[test]
fn pktap_length_below_the_header_is_rejected() {
    let mut data = pktap(108, 1, "en0", 1, "a");
    data[0..4].copy_from_slice(&40u32.to_le_bytes()); // pth_length 40 < 73
    assert!(matches!(decode(258, &data), Err(LinkError::BadPktap(_))));
}

#[test]
fn pktap_inside_pktap_is_rejected() {
    let data = cat(&[
        &pktap(108, 258, "en0", 1, "a"),
        &pktap(108, 1, "en0", 1, "a"),
    ]);
    assert!(matches!(decode(258, &data), Err(LinkError::BadPktap(_))));
}

#[test]
fn pktap_with_an_unknown_inner_link_type() {
    let data = cat(&[&pktap(108, 147, "en0", 1, "a"), &IP]);
    assert_eq!(decode(258, &data).unwrap_err(), LinkError::Unsupported(147));
}

// ---------------------------------------------------------------------------------------------
// Others
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_link_type_is_unsupported() {
    assert_eq!(decode(147, &IP).unwrap_err(), LinkError::Unsupported(147));
    assert_eq!(decode(105, &IP).unwrap_err(), LinkError::Unsupported(105)); // 802.11
}

#[test]
fn link_type_names() {
    let names: Vec<String> = [0, 1, 12, 108, 113, 149, 258, 228, 229, 276, 147]
        .into_iter()
        .map(|v| LinkType::from(v).name())
        .collect();
    assert_eq!(
        names,
        [
            "NULL",
            "EN10MB",
            "RAW",
            "LOOP",
            "LINUX_SLL",
            "PKTAP",
            "PKTAP",
            "IPV4",
            "IPV6",
            "LINUX_SLL2",
            "LINKTYPE_147"
        ]
    );
}
