//! Verdicts and names on whole captures: the generated reference captures, rewritten where a
//! verdict needs a global peer or a DNS answer (the rewriting is here, so no derived capture is
//! committed), and the public ones.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use callscope_analysis::verdicts::{Confidence, Verdict};
use callscope_analysis::Report;
use callscope_wire::net::{self, Network};
use callscope_wire::testing::{dns_exchange, ethernet, ip_udp, readdress_udp, Pcap};
use callscope_wire::Reader;

use crate::support::{analyze_bytes, analyze_file, shared_captures};

const EPDG: &str = "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org";
/// The rewritten responder: a global address (T-Mobile US announces 208.54.0.0/16).
const PEER: Ipv4Addr = Ipv4Addr::new(208, 54, 70, 10);
/// The rewritten initiator: a home network's private address.
const PHONE: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 20);
const RESOLVER: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);

/// Every frame of an Ethernet pcap: (time µs, bytes).
fn frames(path: &std::path::Path) -> Vec<(i64, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = Reader::new();
    let mut out = Vec::new();
    reader
        .push(&bytes, &mut |f| {
            out.push((f.ts_ns / 1_000, f.data.to_vec()))
        })
        .unwrap();
    reader.finish();
    out
}

/// The UDP ports of an Ethernet frame.
fn udp_ports(frame: &[u8]) -> Option<(u16, u16)> {
    let l = callscope_wire::link::decode(1, frame).ok()?;
    let Network::Ip(ip) = net::decode_network(l.next, l.payload).ok()? else {
        return None;
    };
    match net::decode_transport(ip.protocol, ip.payload).ok()? {
        net::Transport::Udp {
            src_port, dst_port, ..
        } => Some((src_port, dst_port)),
        _ => None,
    }
}

/// The strongSwan IKEv2 NAT-T capture with its initiator at a home address and its responder
/// at a global one, optionally preceded by a DNS answer naming the responder an ePDG (the
/// page's demo is made the same way by `cargo xtask demo`).
fn wifi_calling_capture(with_dns: bool) -> Option<Vec<u8>> {
    let path = shared_captures()?.join("generated/ikev2-natt.pcap");
    let frames = frames(&path);
    let mut pcap = Pcap::new(1);
    if with_dns {
        let (client, server) = (
            SocketAddr::from((PHONE, 53_111)),
            SocketAddr::from((RESOLVER, 53)),
        );
        let (query, answer) = dns_exchange(0x4242, EPDG, PEER);
        let t = frames.first()?.0;
        pcap.record(t - 100_000, &ethernet(&ip_udp(client, server, &query)));
        pcap.record(t - 90_000, &ethernet(&ip_udp(server, client, &answer)));
    }
    let map = |a: SocketAddr| match a.ip() {
        IpAddr::V4(ip) if ip == Ipv4Addr::new(10, 99, 1, 1) => SocketAddr::from((PHONE, a.port())),
        IpAddr::V4(ip) if ip == Ipv4Addr::new(10, 99, 2, 2) => SocketAddr::from((PEER, a.port())),
        _ => a,
    };
    for (ts, frame) in &frames {
        match readdress_udp(frame, map) {
            Some(moved) => pcap.record(*ts, &moved),
            None => pcap.record(*ts, frame),
        };
    }
    Some(pcap.into_bytes())
}

fn verdict<'r>(r: &'r Report, rule: &str) -> Option<&'r Verdict> {
    r.verdicts
        .iter()
        .find(|v| v.id == rule || v.id.starts_with(&format!("{rule}:")))
}

fn ids(r: &Report) -> Vec<&str> {
    r.verdicts.iter().map(|v| v.id.as_str()).collect()
}

#[test]
fn an_ike_tunnel_to_a_dns_named_epdg_is_wifi_calling_with_its_operator() {
    let Some(bytes) = wifi_calling_capture(true) else {
        return eprintln!("skipped: ../shared/captures is absent");
    };
    let r = analyze_bytes(&bytes, 1 << 16);
    let name = r.names.iter().find(|n| n.source == "dns").unwrap();
    assert_eq!(
        (name.addr.to_string().as_str(), name.name.as_str()),
        ("208.54.70.10", EPDG)
    );
    let net = name.network.as_ref().unwrap();
    assert_eq!(
        (net.role.as_str(), net.mcc.as_str(), net.mnc.as_str()),
        ("epdg", "310", "260")
    );
    assert!(
        net.operator.as_deref().unwrap().contains("T-Mobile"),
        "{net:?}"
    );
    let e = r
        .endpoints
        .iter()
        .find(|e| e.addr.to_string() == "208.54.70.10")
        .unwrap();
    assert_eq!(e.name.as_deref(), Some(EPDG));

    let v = verdict(&r, "wifi-calling").unwrap_or_else(|| panic!("{:?}", ids(&r)));
    assert_eq!(v.confidence, Confidence::Certain, "{v:?}");
    assert!(v.title.contains("T-Mobile"), "{}", v.title);
    assert!(
        v.evidence.names.iter().any(|n| n == EPDG),
        "{:?}",
        v.evidence
    );
    assert_eq!(v.evidence.tunnels, [0]);
    // The tunnel verdict it refines is there too, after it.
    let first = r
        .verdicts
        .iter()
        .position(|v| v.id.starts_with("wifi-calling"))
        .unwrap();
    let tunnel = r
        .verdicts
        .iter()
        .position(|v| v.id.starts_with("ipsec-tunnel"))
        .unwrap();
    assert!(first < tunnel, "{:?}", ids(&r));
}

#[test]
fn without_the_dns_answer_it_is_only_likely_and_names_no_operator() {
    let Some(bytes) = wifi_calling_capture(false) else {
        return eprintln!("skipped: ../shared/captures is absent");
    };
    let r = analyze_bytes(&bytes, 1 << 16);
    assert!(r.names.iter().all(|n| n.source == "port"), "{:?}", r.names);
    let v = verdict(&r, "wifi-calling").unwrap_or_else(|| panic!("{:?}", ids(&r)));
    assert_eq!(v.confidence, Confidence::Likely);
    assert!(!v.title.contains("T-Mobile"), "{}", v.title);
    assert!(
        v.certain_if.as_deref().unwrap_or("").contains("ePDG"),
        "{v:?}"
    );
}

#[test]
fn the_unrewritten_tunnel_between_private_addresses_is_an_ipsec_tunnel_only() {
    let Some(dir) = shared_captures() else {
        return eprintln!("skipped: ../shared/captures is absent");
    };
    let r = analyze_file(&dir.join("generated/ikev2-natt.pcap"));
    assert!(verdict(&r, "wifi-calling").is_none(), "{:?}", ids(&r));
    let v = verdict(&r, "ipsec-tunnel").unwrap();
    assert_eq!(v.confidence, Confidence::Certain);
    assert!(v.title.contains("IKEv2"), "{}", v.title);
}

#[test]
fn sip_on_a_tunnel_link_is_said_to_be_inside_the_tunnel() {
    let Some(dir) = shared_captures() else {
        return eprintln!("skipped: ../shared/captures is absent");
    };
    let r = analyze_file(&dir.join("generated/sip-call-udp.null.pcap"));
    assert_eq!(r.capture.link_types, ["NULL"]);
    let v = verdict(&r, "sip-in-tunnel").unwrap_or_else(|| panic!("{:?}", ids(&r)));
    assert!(v.detail.contains("INVITE"), "{}", v.detail);
    // The same call on Ethernet says nothing of a tunnel.
    let eth = analyze_file(&dir.join("generated/sip-call-udp.pcap"));
    assert!(verdict(&eth, "sip-in-tunnel").is_none(), "{:?}", ids(&eth));
}

#[test]
fn dns_and_tls_name_the_flows_and_a_refused_question_is_a_dns_failure() {
    let Some(dir) = shared_captures() else {
        return eprintln!("skipped: ../shared/captures is absent");
    };
    let r = analyze_file(&dir.join("generated/dns-tls.pcap"));
    let has = |addr: &str, name: &str, source: &str| {
        r.names
            .iter()
            .any(|n| n.addr.to_string() == addr && n.name == name && n.source == source)
    };
    assert!(has("10.99.9.1", "media.example.test", "dns"));
    assert!(has("10.99.9.1", "sip.example.test", "sni"));
    assert!(has("fd00:99:9::1", "media.example.test", "sni"));
    assert!(has("10.99.9.1", "media.example.test", "cert"));
    // tshark: SNI in frames 35, 54 and 71.
    let sni: Vec<(u64, &str)> = r
        .tls
        .sessions
        .iter()
        .map(|s| (s.frame, s.sni.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        sni,
        [
            (35, "media.example.test"),
            (54, "sip.example.test"),
            (71, "media.example.test")
        ]
    );
    // Each TLS conversation is named by its own server name.
    let named: Vec<_> = r
        .conversations
        .iter()
        .filter(|c| c.protocol.as_deref() == Some("tls"))
        .map(|c| c.b_name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(named.len(), 3);
    assert!(named.contains(&"sip.example.test"), "{named:?}");
    // tshark: frame 17 answers nonexistent.example.test with rcode 5.
    let q = r
        .dns
        .queries
        .iter()
        .find(|q| q.name == "nonexistent.example.test")
        .unwrap();
    assert_eq!(q.rcode.as_deref(), Some("REFUSED"));
    let v = verdict(&r, "dns-failures").unwrap_or_else(|| panic!("{:?}", ids(&r)));
    assert!(
        v.detail.contains("nonexistent.example.test"),
        "{}",
        v.detail
    );
}

#[test]
fn a_call_with_lost_media_gets_a_quality_verdict_naming_it() {
    let Some(dir) = shared_captures() else {
        return eprintln!("skipped: ../shared/captures is absent");
    };
    let path = dir.join("generated/sip-call-udp.pcap");
    let clean = analyze_file(&path);
    assert!(
        verdict(&clean, "media-quality").is_none(),
        "{:?}",
        ids(&clean)
    );
    // Drop every tenth RTP packet (port 6000 both ways): 10 % lost.
    let mut pcap = Pcap::new(1);
    let mut rtp = 0;
    for (ts, frame) in frames(&path) {
        if let Some((src, dst)) = udp_ports(&frame) {
            if src == 6000 && dst == 6000 {
                rtp += 1;
                if rtp % 10 == 0 {
                    continue;
                }
            }
        }
        pcap.record(ts, &frame);
    }
    let r = analyze_bytes(pcap.bytes(), 1 << 16);
    let call = &r.sip.calls[0];
    let v = verdict(&r, "media-quality").unwrap_or_else(|| panic!("{:?}", ids(&r)));
    assert_eq!(v.confidence, Confidence::Certain);
    assert_eq!(v.evidence.calls, std::slice::from_ref(&call.call_id));
    assert!(v.detail.contains('%'), "{}", v.detail);
}

#[test]
fn public_webrtc_captures_show_direct_and_relayed_media_after_nat_traversal() {
    let Some(dir) = shared_captures() else {
        return eprintln!("skipped: ../shared/captures is absent");
    };
    let r = analyze_file(&dir.join("public/stun__stun_dtls_rtp.pcapng"));
    let direct = verdict(&r, "direct-media").unwrap_or_else(|| panic!("{:?}", ids(&r)));
    assert_eq!(direct.confidence, Confidence::Certain);
    assert!(
        direct
            .title
            .contains("192.168.12.156:37967 ↔ 142.250.82.76:19305"),
        "{}",
        direct.title
    );
    assert!(!direct.evidence.streams.is_empty() && !direct.evidence.frames.is_empty());
    let relayed = verdict(&r, "relayed-media").unwrap_or_else(|| panic!("{:?}", ids(&r)));
    assert_eq!(relayed.confidence, Confidence::Certain);
    assert!(
        relayed.title.contains("142.250.82.249:3478"),
        "{}",
        relayed.title
    );

    let whatsapp = analyze_file(&dir.join("public/stun__whatsapp_call.pcapng"));
    assert!(
        verdict(&whatsapp, "direct-media").is_some(),
        "{:?}",
        ids(&whatsapp)
    );
    // STUN alone, no media after it: no media verdict.
    let zeek = analyze_file(&dir.join("public/stun__zeek_webrtc-stun.pcap"));
    assert!(zeek.verdicts.is_empty(), "{:?}", ids(&zeek));
}

#[test]
fn a_quic_client_initial_gives_its_server_name_as_tshark_does() {
    let Some(dir) = shared_captures() else {
        return eprintln!("skipped: ../shared/captures is absent");
    };
    // tshark: frame 1 is the client's Initial, SNI localhost, ALPN h3.
    let r = analyze_file(&dir.join("public/mac__dltnull_quic_handshake.pcap"));
    assert_eq!(r.tls.sessions.len(), 1, "{:?}", r.tls);
    let s = &r.tls.sessions[0];
    assert!(s.quic);
    assert_eq!((s.frame, s.sni.as_deref()), (1, Some("localhost")));
    assert_eq!(s.alpn_offered, ["h3"]);
    assert_eq!(s.version, "TLS 1.3");
    assert!(r
        .names
        .iter()
        .any(|n| n.name == "localhost" && n.source == "sni" && n.frame == 1));
}
