//! The IKE analyzer on hand-made datagrams: one IKEv2 tunnel through a NAT, from IKE_SA_INIT on
//! 500 to the delete on 4500, with ESP and keepalives.

use std::net::SocketAddr;

use super::natd;
use super::*;
use crate::flows::Transport;

const ISPI: u64 = 0xfaea_f8b3_d39a_2b78;
const RSPI: u64 = 0xe0b3_c37c_bb34_990a;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// An IKEv2 message: header plus `body` (already chained), first payload `first`.
fn ike(exchange: u8, flags: u8, mid: u32, rspi: u64, first: u8, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&ISPI.to_be_bytes());
    m.extend_from_slice(&rspi.to_be_bytes());
    m.extend_from_slice(&[first, 0x20, exchange, flags]);
    m.extend_from_slice(&mid.to_be_bytes());
    m.extend_from_slice(&((28 + body.len()) as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// N(NAT_DETECTION_SOURCE_IP) then N(NAT_DETECTION_DESTINATION_IP) with the hashes of `src` and
/// `dst` under `rspi`.
fn nat_notifies(rspi: u64, src: SocketAddr, dst: SocketAddr) -> Vec<u8> {
    let mut b = vec![41, 0, 0, 28, 0, 0, 0x40, 0x04];
    b.extend(natd::expected(ISPI, rspi, src, 20).unwrap());
    b.extend_from_slice(&[0, 0, 0, 28, 0, 0, 0x40, 0x05]);
    b.extend(natd::expected(ISPI, rspi, dst, 20).unwrap());
    b
}

/// An SK payload whose first inner payload is `inner`.
fn sk(inner: u8) -> Vec<u8> {
    vec![inner, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8]
}

fn marker(m: Vec<u8>) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 0];
    v.extend(m);
    v
}

fn esp(spi: u32, seq: u32) -> Vec<u8> {
    let mut v = spi.to_be_bytes().to_vec();
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&[0xaa; 16]);
    v
}

struct Feed {
    ike: IkeAnalyzer,
    shared: Shared,
    frame: u64,
}

impl Feed {
    fn udp(&mut self, src: &str, dst: &str, payload: &[u8]) -> Option<&'static str> {
        self.frame += 1;
        let seg = Segment {
            frame: self.frame,
            ts_ns: self.frame as i64 * 1_000_000,
            transport: Transport::Udp,
            src: addr(src),
            dst: addr(dst),
            payload,
            flow: 1,
        };
        self.ike.udp(&seg, &mut self.shared)
    }
}

#[test]
fn ikev2_through_a_nat_from_sa_init_to_delete() {
    let mut f = Feed {
        ike: IkeAnalyzer::default(),
        shared: Shared::default(),
        frame: 0,
    };
    let (i500, r500) = ("10.99.1.1:500", "10.99.2.2:500");
    let (i4500, r4500) = ("10.99.1.1:4500", "10.99.2.2:4500");
    // The initiator's hashes match what the capture shows; the responder saw the NAT's address.
    let req = ike(34, 0x08, 0, 0, 41, &nat_notifies(0, addr(i500), addr(r500)));
    assert_eq!(f.udp(i500, r500, &req), Some("isakmp"));
    let resp = ike(
        34,
        0x20,
        0,
        RSPI,
        41,
        &nat_notifies(RSPI, addr(r500), addr("10.99.2.254:40801")),
    );
    assert_eq!(f.udp(r500, i500, &resp), Some("isakmp"));
    f.udp(i4500, r4500, &marker(ike(35, 0x08, 1, RSPI, 46, &sk(35))));
    f.udp(r4500, i4500, &marker(ike(35, 0x20, 1, RSPI, 46, &sk(36))));
    for seq in 1..=3 {
        assert_eq!(
            f.udp(i4500, r4500, &esp(0xdbe229d4, seq)),
            Some("udpencap/esp")
        );
        f.udp(r4500, i4500, &esp(0x375b67af, seq));
    }
    f.udp(i4500, r4500, &esp(0xdbe229d4, 5)); // 4 lost
    f.udp(i4500, r4500, &marker(ike(36, 0x08, 2, RSPI, 46, &sk(41))));
    f.udp(r4500, i4500, &marker(ike(36, 0x20, 2, RSPI, 46, &sk(33))));
    assert_eq!(f.udp(i4500, r4500, &[0xff]), Some("udpencap"));
    f.udp(i4500, r4500, &[0xff]);
    f.udp(i4500, r4500, &marker(ike(37, 0x08, 3, RSPI, 46, &sk(42))));
    f.udp(r4500, i4500, &marker(ike(37, 0x20, 3, RSPI, 46, &sk(42))));
    f.udp(i4500, r4500, &marker(ike(37, 0x08, 4, RSPI, 46, &sk(42))));
    f.udp(r4500, i4500, &marker(ike(37, 0x20, 4, RSPI, 46, &sk(0))));
    let r = f.ike.finish(&FinishContext {
        start_ns: 1_000_000,
    });

    assert_eq!(r.messages, 10);
    assert_eq!(r.tunnels.len(), 1);
    let t = &r.tunnels[0];
    assert_eq!(t.version, 2);
    assert_eq!(
        (t.initiator.to_string(), t.responder.to_string()),
        (i500.to_owned(), r500.to_owned())
    );
    assert_eq!(t.ispi, "0xfaeaf8b3d39a2b78");
    assert_eq!(t.rspi, "0xe0b3c37cbb34990a");
    assert!(t.nat_t && t.nat_detected);
    let nat = t.nat.as_ref().unwrap();
    assert!(nat.initiator_behind_nat && !nat.responder_behind_nat);
    assert_eq!((nat.checked, nat.mismatched), (4, 1));
    let fl = t.floated.as_ref().unwrap();
    assert_eq!(
        (fl.initiator.to_string(), fl.responder.to_string(), fl.frame),
        (i4500.to_owned(), r4500.to_owned(), 3)
    );
    assert_eq!(t.established_ms, Some(3.0));
    assert_eq!(t.keepalives, 2);
    assert_eq!(t.rekeys, 1);
    let deletes: Vec<_> = t.deletes.iter().map(|d| d.what.as_str()).collect();
    assert_eq!(deletes, ["CHILD_SA", "IKE_SA"]);
    assert_eq!(t.state.as_str(), "deleted");
    let kinds: Vec<_> = t.exchanges.iter().map(|x| x.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "IKE_SA_INIT",
            "IKE_AUTH",
            "CREATE_CHILD_SA",
            "INFORMATIONAL",
            "INFORMATIONAL"
        ]
    );
    assert_eq!(t.exchanges[2].meaning.as_deref(), Some("rekey CHILD_SA"));
    assert_eq!(t.exchanges[0].frames, [1, 2]);
    assert_eq!(t.esp.len(), 2);
    assert_eq!(
        (t.esp[0].spi.as_str(), t.esp[0].packets, t.esp[0].lost),
        ("0xdbe229d4", 4, 1)
    );
    assert_eq!(t.esp[1].packets, 3);
    assert!(r.esp_unattached.is_empty());
}

#[test]
fn raw_esp_attaches_by_address_pair_and_unknown_esp_is_unattached() {
    let mut a = IkeAnalyzer::default();
    let mut shared = Shared::default();
    let req = ike(34, 0x08, 0, 0, 0, &[]);
    let seg = |payload: &'static [u8], src: &str, dst: &str, proto: u8| Segment {
        frame: 1,
        ts_ns: 0,
        transport: if proto == 17 {
            Transport::Udp
        } else {
            Transport::Ip(proto)
        },
        src: addr(src),
        dst: addr(dst),
        payload,
        flow: 0,
    };
    let req: &'static [u8] = Box::leak(req.into_boxed_slice());
    a.udp(&seg(req, "192.0.2.1:500", "192.0.2.2:500", 17), &mut shared);
    let e: &'static [u8] = Box::leak(esp(0x1000, 1).into_boxed_slice());
    assert_eq!(
        a.ip(&seg(e, "192.0.2.1:0", "192.0.2.2:0", 50), &mut shared),
        Some("esp")
    );
    assert_eq!(
        a.ip(&seg(e, "198.51.100.1:0", "198.51.100.2:0", 50), &mut shared),
        Some("esp")
    );
    assert_eq!(
        a.ip(
            &seg(&[1, 2, 3], "198.51.100.1:0", "198.51.100.2:0", 50),
            &mut shared
        ),
        Some("esp")
    );
    assert_eq!(
        a.ip(&seg(e, "198.51.100.1:0", "198.51.100.2:0", 47), &mut shared),
        None
    );
    let r = a.finish(&FinishContext { start_ns: 0 });
    assert_eq!(r.tunnels[0].esp.len(), 1);
    assert_eq!(r.tunnels[0].esp[0].encap, EspEncap::Ip);
    assert_eq!(r.esp_unattached.len(), 1);
    assert_eq!(r.malformed, 1);
    assert_eq!(r.esp_packets, 2);
}

#[test]
fn other_udp_is_left_alone_and_rewritten_ports_need_a_known_sa() {
    let mut f = Feed {
        ike: IkeAnalyzer::default(),
        shared: Shared::default(),
        frame: 0,
    };
    let auth = marker(ike(35, 0x08, 1, RSPI, 46, &sk(35)));
    assert_eq!(f.udp("10.0.0.1:40096", "10.0.0.2:40500", &auth), None);
    assert_eq!(
        f.udp("10.0.0.1:5060", "10.0.0.2:5060", b"OPTIONS sip:x SIP/2.0"),
        None
    );
    let req = ike(34, 0x08, 0, 0, 0, &[]);
    assert_eq!(
        f.udp("10.0.0.1:40801", "10.0.0.2:500", &req),
        Some("isakmp")
    );
    assert_eq!(
        f.udp("10.0.0.1:40096", "10.0.0.2:40500", &auth),
        Some("isakmp")
    );
    assert_eq!(
        f.udp("10.0.0.1:40096", "10.0.0.2:40500", &esp(7, 1)),
        Some("udpencap/esp")
    );
    assert_eq!(
        f.udp("10.0.0.1:1", "10.0.0.2:500", &[1, 2, 3]),
        Some("isakmp")
    );
    let r = f.ike.finish(&FinishContext { start_ns: 0 });
    assert_eq!(r.messages, 2);
    assert_eq!(r.malformed, 1);
    assert_eq!(r.tunnels[0].esp.len(), 1);
}
