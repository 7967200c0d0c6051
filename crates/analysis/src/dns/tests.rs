#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use simple_dns::rdata::{RData, A, CNAME, PTR};
use simple_dns::{Name, Packet, Question, ResourceRecord, CLASS, QCLASS, QTYPE, RCODE, TYPE};

use super::*;
use crate::flows::Transport;

const CLIENT: &str = "192.0.2.10:53000";
const SERVER: &str = "192.0.2.53:53";

fn seg<'a>(src: &str, dst: &str, payload: &'a [u8], frame: u64) -> Segment<'a> {
    Segment {
        frame,
        ts_ns: frame as i64 * 1_000_000_000,
        transport: Transport::Udp,
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        payload,
        flow: 1,
    }
}

fn question(name: &str, ty: TYPE) -> Question<'_> {
    Question::new(
        Name::new_unchecked(name),
        QTYPE::TYPE(ty),
        QCLASS::CLASS(CLASS::IN),
        false,
    )
}

fn query(name: &str) -> Vec<u8> {
    let mut p = Packet::new_query(9);
    p.questions.push(question(name, TYPE::A));
    p.build_bytes_vec().unwrap()
}

fn answer(name: &str, answers: Vec<ResourceRecord<'static>>, rcode: RCODE) -> Vec<u8> {
    let mut p = Packet::new_reply(9);
    p.questions.push(question(name, TYPE::A));
    p.answers = answers;
    *p.rcode_mut() = rcode;
    p.build_bytes_vec().unwrap()
}

fn rr(name: &'static str, rdata: RData<'static>) -> ResourceRecord<'static> {
    ResourceRecord::new(Name::new_unchecked(name), CLASS::IN, 60, rdata)
}

fn finish(a: DnsAnalyzer) -> crate::protocols::Sections {
    let place = Box::new(a).finish(&FinishContext { start_ns: 0 });
    crate::registry::place([place])
}

#[test]
fn an_epdg_answer_names_the_address_with_the_name_asked() {
    let epdg = "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org";
    let q = query(epdg);
    let r = answer(
        epdg,
        vec![
            rr(
                "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org",
                RData::CNAME(CNAME(Name::new_unchecked("ss.epdg.example.net"))),
            ),
            rr(
                "ss.epdg.example.net",
                RData::A(A {
                    address: 0xcb00_7109,
                }),
            ),
        ],
        RCODE::NoError,
    );
    let mut a = DnsAnalyzer::default();
    let mut shared = Shared::default();
    assert_eq!(a.udp(&seg(CLIENT, SERVER, &q, 1), &mut shared), Some("dns"));
    assert_eq!(a.udp(&seg(SERVER, CLIENT, &r, 2), &mut shared), Some("dns"));
    let s = finish(a);
    assert_eq!((s.dns.messages, s.dns.responses), (2, 1));
    let entry = &s.dns.queries[0];
    assert_eq!(entry.name, epdg);
    assert_eq!((entry.queries, entry.responses), (1, 1));
    assert_eq!(entry.rcode.as_deref(), Some("NOERROR"));
    assert_eq!(entry.answers, ["→ ss.epdg.example.net", "203.0.113.9"]);
    assert_eq!(
        (entry.client.to_string(), entry.server.to_string()),
        (CLIENT.to_owned(), SERVER.to_owned())
    );
    assert_eq!((entry.first, entry.frame), (1.0, 1));
    assert_eq!(s.names.len(), 1);
    let n = &s.names[0];
    assert_eq!(n.addr, "203.0.113.9".parse::<std::net::IpAddr>().unwrap());
    assert_eq!(n.name, epdg);
    assert_eq!(n.chain, [epdg, "ss.epdg.example.net"]);
    assert_eq!((n.frame, n.source), (2, NameSource::Dns));
}

#[test]
fn errors_and_unanswered_questions_are_kept() {
    let mut a = DnsAnalyzer::default();
    let mut shared = Shared::default();
    let nx = answer("nope.example", Vec::new(), RCODE::NameError);
    a.udp(&seg(SERVER, CLIENT, &nx, 1), &mut shared);
    let q = query("silent.example");
    a.udp(&seg(CLIENT, SERVER, &q, 2), &mut shared);
    a.udp(&seg(CLIENT, SERVER, &q, 3), &mut shared);
    let s = finish(a);
    let nope = &s.dns.queries[0];
    assert_eq!(
        (nope.rcode.as_deref(), nope.queries, nope.responses),
        (Some("NXDOMAIN"), 0, 1)
    );
    // Seen only in a response: the client is the response's destination.
    assert_eq!(nope.client.to_string(), CLIENT);
    let silent = &s.dns.queries[1];
    assert_eq!(
        (silent.rcode.as_deref(), silent.queries, silent.responses),
        (None, 2, 0)
    );
    assert!(s.names.is_empty());
}

#[test]
fn a_ptr_answer_names_the_address_its_reverse_name_spells() {
    let r = answer(
        "9.113.0.203.in-addr.arpa",
        vec![rr(
            "9.113.0.203.in-addr.arpa",
            RData::PTR(PTR(Name::new_unchecked("gw.example.net"))),
        )],
        RCODE::NoError,
    );
    let mut a = DnsAnalyzer::default();
    a.udp(&seg(SERVER, CLIENT, &r, 1), &mut Shared::default());
    let s = finish(a);
    assert_eq!(s.names[0].addr.to_string(), "203.0.113.9");
    assert_eq!(s.names[0].name, "gw.example.net");
    assert_eq!(
        reverse_address("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"),
        Some("2001:db8::1".parse().unwrap())
    );
    assert_eq!(reverse_address("1.2.3.in-addr.arpa"), None);
    assert_eq!(reverse_address("x.2.3.4.in-addr.arpa"), None);
}

#[test]
fn other_ports_and_sip_are_not_claimed() {
    let mut a = DnsAnalyzer::default();
    let q = query("example.com");
    let mut shared = Shared::default();
    assert_eq!(
        a.udp(&seg("192.0.2.1:4000", "192.0.2.2:4001", &q, 1), &mut shared),
        None
    );
    let sip = b"OPTIONS sip:x@example.com SIP/2.0\r\n\r\n";
    assert_eq!(a.udp(&seg(CLIENT, SERVER, sip, 2), &mut shared), None);
    assert_eq!(
        a.udp(
            &seg("192.0.2.1:5353", "224.0.0.251:5353", &q, 3),
            &mut shared
        ),
        Some("mdns")
    );
    // Two named ports: DNS before mDNS before LLMNR, whichever side has it.
    for (src, dst, name) in [
        ("192.0.2.1:5355", "192.0.2.2:53", "dns"),
        ("192.0.2.1:5353", "192.0.2.2:5355", "mdns"),
        ("192.0.2.1:5355", "192.0.2.2:5353", "mdns"),
        ("192.0.2.1:5355", "192.0.2.2:4000", "llmnr"),
    ] {
        assert_eq!(a.udp(&seg(src, dst, &q, 4), &mut shared), Some(name));
    }
}

#[test]
fn tcp_messages_are_read_across_segments() {
    let r = answer(
        "a.example",
        vec![rr(
            "a.example",
            RData::A(A {
                address: 0xc000_0201,
            }),
        )],
        RCODE::NoError,
    );
    let mut framed = (r.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&r);
    let mut a = DnsAnalyzer::default();
    let mut shared = Shared::default();
    let (first, second) = framed.split_at(7);
    let mut s1 = seg(SERVER, CLIENT, first, 1);
    s1.transport = Transport::Tcp;
    a.stream_bytes(&s1, &mut shared);
    assert_eq!(a.report.messages, 0);
    let mut s2 = seg(SERVER, CLIENT, second, 2);
    s2.transport = Transport::Tcp;
    a.stream_bytes(&s2, &mut shared);
    let s = finish(a);
    assert_eq!(s.dns.messages, 1);
    assert_eq!(s.names[0].addr.to_string(), "192.0.2.1");
    let tcp: SocketAddr = SERVER.parse().unwrap();
    assert!(DnsAnalyzer::claims_stream(&seg(
        &tcp.to_string(),
        CLIENT,
        &framed,
        1
    )));
}

#[test]
fn tables_are_bounded_and_count_what_they_drop() {
    let mut a = DnsAnalyzer::default();
    let mut shared = Shared::default();
    for i in 0..(crate::budget::DNS_QUERIES.at_default + 3) {
        let q = query(&format!("n{i}.example"));
        a.udp(&seg(CLIENT, SERVER, &q, i as u64 + 1), &mut shared);
    }
    let s = finish(a);
    assert_eq!(s.dns.queries.len(), crate::budget::DNS_QUERIES.at_default);
    assert_eq!(s.dns_queries_dropped, 3);
    assert_eq!(
        s.dns.messages,
        crate::budget::DNS_QUERIES.at_default as u64 + 3
    );
}
