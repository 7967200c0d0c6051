//! SIP calls against tshark 4.0.17 and hand-built captures.
//!
//! - Every capture with a `.tshark.txt` (public `sip__*`, generated `sip-call-*` in every link and
//!   file variant, the demo, and every other capture, which must show no SIP): `sip.messages`,
//!   `sip.resent`, `sip.methods`, `sip.responses` equal `-z sip,stat`; the frames, methods,
//!   statuses, Call-IDs, CSeqs and SDP (`c=` addresses, `m=` lines) of every message equal the
//!   `-Y sip -T fields` dump.
//! - `sip-call-tcp` and `sip-call-udp` give the same call, ladder and SDP.
//! - Hand-built captures: an INVITE over three TCP segments out of order, two messages in one
//!   segment, IP-fragmented INVITEs (v4 and v6), a retransmitted INVITE, a CANCELled call, a 486
//!   call, an answered call's timings, SIP on an odd port, TLS on 5061, malformed SIP, masking.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use callscope_analysis::sip::report::{Call, LadderMessage};
use callscope_analysis::{Analyzer, Options, Report};
use callscope_wire::testing::{self, tcp_flags, Ipv4, Ipv6};
use support::tshark;

// ---------------------------------------------------------------------------------------------
// tshark's SIP sections
// ---------------------------------------------------------------------------------------------

/// `-z sip,stat`: total, resent, per status code, per method.
#[derive(Debug, Default, PartialEq)]
struct SipStat {
    messages: u64,
    resent: u64,
    responses: BTreeMap<String, u64>,
    methods: BTreeMap<String, u64>,
}

fn sip_stat(text: &str) -> Option<SipStat> {
    let lines = tshark::section(text, "-z sip,stat")?;
    let mut stat = SipStat::default();
    let mut in_methods = false;
    for line in lines {
        let t = line.trim();
        if let Some(n) = t.strip_prefix("Number of SIP messages:") {
            stat.messages = n.trim().parse().ok()?;
        } else if let Some(n) = t.strip_prefix("Number of resent SIP messages:") {
            stat.resent = n.trim().parse().ok()?;
        } else if t.starts_with("* List of SIP Request methods") {
            in_methods = true;
        } else if t.starts_with("* ") {
            in_methods = false;
        } else if let Some((name, count)) = t.split_once(':') {
            let count: u64 = match count.trim().strip_suffix("Packets") {
                Some(c) => c.trim().parse().ok()?,
                None => continue,
            };
            if in_methods {
                stat.methods.insert(name.trim().to_owned(), count);
            } else if let Some(rest) = name.trim().strip_prefix("SIP ") {
                let code = rest.split_whitespace().next()?.to_owned();
                stat.responses.insert(code, count);
            }
        }
    }
    Some(stat)
}

/// One row of `-Y sip -T fields -e frame.number -e sip.Method -e sip.Status-Code -e sip.Call-ID
/// -e sip.CSeq -e sdp.connection_info -e sdp.media`.
#[derive(Debug, Default, Clone, PartialEq)]
struct Row {
    frame: u64,
    method: String,
    status: String,
    call_id: String,
    cseq: String,
    /// `c=` addresses, sorted, deduplicated.
    connections: Vec<String>,
    /// `m=` lines.
    media: Vec<String>,
}

fn sip_rows(text: &str) -> Vec<Row> {
    let Some(lines) = tshark::section(text, "-Y sip -T fields") else {
        return Vec::new();
    };
    lines
        .iter()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let frame = f.first()?.parse().ok()?;
            let get = |i: usize| f.get(i).copied().unwrap_or("").to_owned();
            let mut connections: Vec<String> = get(5)
                .split(',')
                .filter_map(|c| c.split_whitespace().nth(2).map(str::to_owned))
                .collect();
            connections.sort();
            connections.dedup();
            Some(Row {
                frame,
                method: get(1),
                status: get(2),
                call_id: get(3),
                cseq: get(4),
                connections,
                media: get(6)
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .collect()
}

/// Every message the report holds (calls and exchanges), with its Call-ID, in frame order.
fn all_messages(r: &Report) -> Vec<(String, LadderMessage)> {
    let mut out: Vec<(String, LadderMessage)> = Vec::new();
    for c in &r.sip.calls {
        out.extend(c.messages.iter().map(|m| (c.call_id.clone(), m.clone())));
    }
    for e in &r.sip.exchanges {
        out.extend(e.messages.iter().map(|m| (e.call_id.clone(), m.clone())));
    }
    out.sort_by_key(|(_, m)| m.frame);
    out
}

/// Our rows, built like tshark's: one per frame, several messages joined with commas.
fn our_rows(r: &Report) -> Vec<Row> {
    let mut sdp_by_frame: BTreeMap<u64, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for c in &r.sip.calls {
        for s in &c.sdp {
            let e = sdp_by_frame.entry(s.frame).or_default();
            e.0.extend(s.connection.iter().cloned());
            for m in &s.media {
                e.0.extend(m.address.iter().cloned());
                let port = match m.port_count {
                    Some(n) => format!("{}/{n}", m.port),
                    None => m.port.to_string(),
                };
                let mut line = format!("{} {port} {}", m.media, m.proto);
                for f in &m.formats {
                    line.push(' ');
                    line.push_str(f);
                }
                e.1.push(line);
            }
        }
    }
    let mut rows: Vec<Row> = Vec::new();
    for (call_id, m) in all_messages(r) {
        let join = |a: &mut String, b: &str| {
            if !b.is_empty() {
                if !a.is_empty() {
                    a.push(',');
                }
                a.push_str(b);
            }
        };
        if rows.last().map(|row| row.frame) != Some(m.frame) {
            let (mut connections, media) = sdp_by_frame.get(&m.frame).cloned().unwrap_or_default();
            connections.sort();
            connections.dedup();
            rows.push(Row {
                frame: m.frame,
                connections,
                media,
                ..Row::default()
            });
        }
        let row = rows.last_mut().expect("pushed");
        join(&mut row.method, m.method.as_deref().unwrap_or(""));
        join(
            &mut row.status,
            &m.status.map(|s| s.to_string()).unwrap_or_default(),
        );
        join(&mut row.call_id, &call_id);
        join(&mut row.cseq, &m.cseq);
    }
    rows
}

fn ladder_has_sdp(r: &Report) -> BTreeMap<u64, bool> {
    all_messages(r)
        .into_iter()
        .map(|(_, m)| (m.frame, m.sdp))
        .collect()
}

#[test]
fn every_reference_capture_matches_tsharks_sip_statistics_and_field_dump() {
    let captures = support::reference_captures();
    assert!(!captures.is_empty(), "no reference captures found");
    let mut failures = Vec::new();
    let mut with_sip = 0;
    for path in &captures {
        let text = std::fs::read_to_string(support::tshark_file(path)).expect("tshark reference");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let report = support::analyze_file(path);
        let sip = &report.sip;
        let mut fail = |what: String| failures.push(format!("{name}: {what}"));

        let Some(stat) = sip_stat(&text) else {
            fail("no sip,stat section".into());
            continue;
        };
        if stat.messages > 0 {
            with_sip += 1;
        }
        let ours = SipStat {
            messages: sip.messages,
            resent: sip.resent,
            responses: sip.responses.clone(),
            methods: sip.methods.clone(),
        };
        if ours != stat {
            fail(format!("sip,stat: ours {ours:?}\n  tshark {stat:?}"));
        }

        let theirs = sip_rows(&text);
        let mine = our_rows(&report);
        let has_sdp = ladder_has_sdp(&report);
        if theirs.len() != mine.len() {
            fail(format!(
                "{} SIP frames, tshark {}",
                mine.len(),
                theirs.len()
            ));
        }
        for (t, o) in theirs.iter().zip(&mine) {
            let same_message = (t.frame, &t.method, &t.status, &t.call_id, &t.cseq)
                == (o.frame, &o.method, &o.status, &o.call_id, &o.cseq);
            if !same_message {
                fail(format!("frame {}: ours {o:?}\n  tshark {t:?}", t.frame));
                continue;
            }
            // Retransmitted SDP is not repeated in the offer/answer list; the ladder says it
            // was there.
            let sdp_listed = !o.media.is_empty() || !o.connections.is_empty();
            if sdp_listed {
                if (&t.connections, &t.media) != (&o.connections, &o.media) {
                    fail(format!("frame {} SDP: ours {o:?}\n  tshark {t:?}", t.frame));
                }
            } else if !t.media.is_empty() && has_sdp.get(&t.frame) != Some(&true) {
                fail(format!(
                    "frame {}: SDP missing (tshark {:?})",
                    t.frame, t.media
                ));
            }
        }
    }
    eprintln!(
        "checked {} captures ({with_sip} with SIP) against tshark's SIP",
        captures.len()
    );
    assert!(
        with_sip >= 9,
        "expected the SIP reference captures, found {with_sip}"
    );
    assert!(
        failures.is_empty(),
        "{} differences from tshark:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn generated(name: &str) -> Option<Report> {
    let path = support::shared_captures()?.join("generated").join(name);
    path.is_file().then(|| support::analyze_file(&path))
}

/// What must agree between two transports: everything but frames, times, `transport`, and the
/// identifiers SIPp derives from its process id (Call-ID, tags, branches).
fn shape(call: &Call) -> serde_json::Value {
    let mut v = serde_json::to_value(call).expect("json");
    let o = v.as_object_mut().expect("object");
    for key in [
        "start",
        "end",
        "setup_ms",
        "post_dial_delay_ms",
        "talk_time",
        "duration",
        "transport",
        "call_id",
    ] {
        o.remove(key);
    }
    for list in ["messages", "sdp", "transactions", "dialogs"] {
        if let Some(items) = o.get_mut(list).and_then(|l| l.as_array_mut()) {
            for item in items {
                if let Some(item) = item.as_object_mut() {
                    for key in [
                        "frame",
                        "time",
                        "transport",
                        "response_ms",
                        "branch",
                        "from_tag",
                        "to_tag",
                        // Header fields name the transport (Via) and the Call-ID.
                        "headers",
                    ] {
                        item.remove(key);
                    }
                }
            }
        }
    }
    v
}

#[test]
fn sip_call_tcp_gives_the_same_call_ladder_and_sdp_as_sip_call_udp() {
    let (Some(udp), Some(tcp)) = (
        generated("sip-call-udp.pcap"),
        generated("sip-call-tcp.pcap"),
    ) else {
        eprintln!("notice: ../shared/captures absent; skipped");
        return;
    };
    assert_eq!(udp.sip.calls.len(), 1);
    assert_eq!(tcp.sip.calls.len(), 1);
    let (u, t) = (&udp.sip.calls[0], &tcp.sip.calls[0]);
    assert_eq!(
        (u.transport, t.transport),
        (
            callscope_analysis::report::Transport::Udp,
            callscope_analysis::report::Transport::Tcp
        )
    );
    let labels = |c: &Call| {
        c.messages
            .iter()
            .map(|m| m.label.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        labels(t),
        [
            "INVITE (SDP)",
            "100 Trying",
            "180 Ringing",
            "200 OK (SDP)",
            "ACK",
            "BYE",
            "200 OK"
        ]
    );
    assert_eq!(shape(u), shape(t));
    assert_eq!(t.state.as_str(), "answered");
    assert_eq!(t.sdp.len(), 2);
    assert_eq!(
        (t.sdp[0].kind.as_str(), t.sdp[1].kind.as_str()),
        ("offer", "answer")
    );
    assert_eq!(t.sdp[0].media[0].codecs[0].name, "PCMU");
    // tshark's sip,stat: setup time 307 ms over UDP (it prints whole ms).
    let setup = u.setup_ms.expect("setup time");
    assert_eq!(setup.trunc(), 307.0, "{setup}");
}

#[test]
fn generated_calls_have_media_endpoints_and_timings() {
    let Some(r) = generated("sip-call-baresip-udp.pcap") else {
        return;
    };
    let c = &r.sip.calls[0];
    assert_eq!(c.state.as_str(), "answered");
    assert_eq!(c.hangup_by.as_deref(), Some("caller"));
    assert!(c.talk_time.unwrap() > 1.0);
    let offer = &c.sdp[0];
    assert_eq!(offer.media[0].port, 20060);
    assert_eq!(
        offer.media[0]
            .codecs
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["PCMU", "telephone-event"]
    );
}

fn public(name: &str) -> Option<Report> {
    let path = support::shared_captures()?.join("public").join(name);
    path.is_file().then(|| support::analyze_file(&path))
}

fn sdp_roles(c: &Call) -> Vec<(u64, &str)> {
    c.sdp.iter().map(|s| (s.frame, s.kind.as_str())).collect()
}

#[test]
fn public_calls_have_their_states_and_offer_answer_roles() {
    let Some(zfone) = public("sip__Asterisk_ZFONE_XLITE.pcap") else {
        return;
    };
    let c = &zfone.sip.calls[0];
    assert_eq!((c.state.as_str(), c.auth_challenges), ("answered", 1));
    // 401 to the first INVITE, the retry answered, then a re-INVITE from the other side.
    assert_eq!(
        sdp_roles(c),
        [
            (15, "offer"),
            (18, "offer"),
            (23, "answer"),
            (1036, "offer"),
            (1039, "answer")
        ]
    );
    let kinds: Vec<(&str, Option<&str>, Option<u16>)> = zfone
        .sip
        .exchanges
        .iter()
        .map(|e| (e.kind.as_str(), e.event.as_deref(), e.status))
        .collect();
    assert_eq!(
        kinds,
        [
            ("register", None, Some(200)),
            ("options", None, Some(200)),
            ("subscribe", Some("message-summary"), Some(404)),
            ("subscribe", Some("presence"), Some(404))
        ]
    );

    let dtmf = public("sip__SIP_DTMF2.cap").expect("beside the other");
    let states: Vec<(&str, Option<u16>)> = dtmf
        .sip
        .calls
        .iter()
        .map(|c| (c.state.as_str(), c.status))
        .collect();
    assert_eq!(states, [("rejected", Some(603)), ("answered", None)]);
    // An offerless INVITE through a proxy that loops back to the same host: two 200 OKs offer,
    // two ACKs answer.
    assert_eq!(
        sdp_roles(&dtmf.sip.calls[1]),
        [(20, "offer"), (21, "offer"), (22, "answer"), (23, "answer")]
    );

    let aaa = public("sip__aaa.pcap").expect("beside the other");
    let states: Vec<(&str, Option<u16>)> = aaa
        .sip
        .calls
        .iter()
        .map(|c| (c.state.as_str(), c.status))
        .collect();
    assert_eq!(
        states,
        [
            ("cancelled", Some(408)),
            ("rejected", Some(403)),
            ("rejected", Some(403)),
            ("rejected", Some(480))
        ]
    );
    assert_eq!(
        aaa.sip.calls[1].auth_challenges, 1,
        "407, then a new INVITE with credentials"
    );
    assert_eq!(aaa.sip.keepalives, 21, "tshark's 21 `data` frames on 5060");

    let g711 = public("sip__SIP_CALL_RTP_G711.pcap").expect("beside the other");
    assert_eq!(g711.sip.calls[1].state.as_str(), "in progress");
    assert_eq!(
        g711.sip.calls[0].messages[0].dst.to_string(),
        "200.57.7.204:5061",
        "SIP over UDP 5061 is SIP"
    );
}

// ---------------------------------------------------------------------------------------------
// Hand-built captures
// ---------------------------------------------------------------------------------------------

/// A pcap file being written: Ethernet, each frame some milliseconds after the one before.
struct Pcap {
    file: testing::Pcap,
    t_us: i64,
}

impl Pcap {
    fn new() -> Pcap {
        Pcap {
            file: testing::Pcap::new(1),
            t_us: 1_700_000_000_000_000,
        }
    }

    /// An IP packet `ms` milliseconds after the previous frame.
    fn frame(&mut self, ms: u64, ip_packet: &[u8]) {
        self.t_us += ms as i64 * 1000;
        self.file.record(self.t_us, &testing::ethernet(ip_packet));
    }

    /// A TCP segment `ms` milliseconds after the previous frame, from `from` to `to` (IPv4 address
    /// and port), with (sequence number, acknowledgement, flags).
    fn tcp(
        &mut self,
        ms: u64,
        from: ([u8; 4], u16),
        to: ([u8; 4], u16),
        (seq, ack, flags): (u32, u32, u8),
        payload: &[u8],
    ) {
        let (from, to) = (SocketAddr::from(from), SocketAddr::from(to));
        let segment = testing::tcp(from, to, seq, ack, flags, payload);
        self.frame(ms, &testing::ip(from.ip(), to.ip(), 6, &segment));
    }

    /// Analyzes the file; with `SIP_TEST_PCAP_DIR` set, also writes it there (named after the
    /// test) so tshark can be asked about it.
    fn analyze(&self) -> Report {
        if let Ok(dir) = std::env::var("SIP_TEST_PCAP_DIR") {
            let name = std::thread::current()
                .name()
                .unwrap_or("capture")
                .replace("::", "_");
            let n = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
            let _ = std::fs::write(format!("{dir}/{name}-{n}.pcap"), self.file.bytes());
        }
        let mut a = Analyzer::new(Options::default());
        a.feed(self.file.bytes()).expect("readable");
        a.finish()
    }
}

/// An IPv4 packet; `offset` in bytes (a multiple of 8).
fn ipv4(
    src: [u8; 4],
    dst: [u8; 4],
    protocol: u8,
    id: u16,
    offset: usize,
    more: bool,
    payload: &[u8],
) -> Vec<u8> {
    Ipv4 {
        src: src.into(),
        dst: dst.into(),
        protocol,
        id,
        offset,
        more,
        ..Ipv4::default()
    }
    .emit(payload)
}

/// An IPv6 packet, with a fragment header when `fragment` is (id, offset, more).
fn ipv6(
    src: [u8; 16],
    dst: [u8; 16],
    next_header: u8,
    fragment: Option<(u32, usize, bool)>,
    payload: &[u8],
) -> Vec<u8> {
    Ipv6 {
        src: src.into(),
        dst: dst.into(),
        next_header,
        fragment,
        ..Ipv6::default()
    }
    .emit(payload)
}

/// A UDP datagram (header + payload) with its checksum.
fn udp(src: IpAddr, sport: u16, dst: IpAddr, dport: u16, payload: &[u8]) -> Vec<u8> {
    testing::udp(
        SocketAddr::new(src, sport),
        SocketAddr::new(dst, dport),
        payload,
    )
}

const SYN: u8 = tcp_flags::SYN;
const ACK: u8 = tcp_flags::ACK;
const PSH_ACK: u8 = tcp_flags::PSH | tcp_flags::ACK;

const A4: [u8; 4] = [192, 0, 2, 10];
const B4: [u8; 4] = [198, 51, 100, 20];

/// A UDP datagram between A4 and B4 (from A4 when `from_a`), `ms` after the previous frame.
fn v4_udp(pcap: &mut Pcap, ms: u64, from_a: bool, sport: u16, dport: u16, msg: &str) {
    let (s, d) = if from_a { (A4, B4) } else { (B4, A4) };
    let (from, to) = (SocketAddr::from((s, sport)), SocketAddr::from((d, dport)));
    pcap.frame(ms, &testing::ip_udp(from, to, msg.as_bytes()));
}

fn sdp(addr: &str, port: u16) -> String {
    let ip = if addr.contains(':') { "IP6" } else { "IP4" };
    format!(
        "v=0\r\no=- 1 1 IN {ip} {addr}\r\ns=-\r\nc=IN {ip} {addr}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    )
}

/// A SIP message with the usual headers; `to_tag` and `body` optional.
fn sip(
    start: &str,
    call_id: &str,
    cseq: &str,
    to_tag: Option<&str>,
    extra: &str,
    body: &str,
) -> String {
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    let content_type = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    format!(
        "{start}\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-{cseq_n}\r\n\
From: \"Alice\" <sip:+15550100@example.com>;tag=caller1\r\n\
To: <sip:+15550199@example.com>{to_tag}\r\nCall-ID: {call_id}\r\nCSeq: {cseq}\r\n\
Contact: <sip:alice@192.0.2.10:5060>\r\n{extra}{content_type}Content-Length: {}\r\n\r\n{body}",
        body.len(),
        cseq_n = cseq.split(' ').next().unwrap_or("0"),
    )
}

fn invite(call_id: &str, body: &str) -> String {
    sip(
        "INVITE sip:+15550199@example.com SIP/2.0",
        call_id,
        "1 INVITE",
        None,
        "User-Agent: TestPhone/1.0\r\nP-Asserted-Identity: <tel:+15550100>\r\n",
        body,
    )
}

fn response(
    code_reason: &str,
    call_id: &str,
    cseq: &str,
    to_tag: Option<&str>,
    body: &str,
) -> String {
    sip(
        &format!("SIP/2.0 {code_reason}"),
        call_id,
        cseq,
        to_tag,
        "Server: TestPBX\r\n",
        body,
    )
}

fn call<'a>(r: &'a Report, call_id: &str) -> &'a Call {
    r.sip
        .calls
        .iter()
        .find(|c| c.call_id == call_id)
        .unwrap_or_else(|| panic!("no call {call_id} in {:#?}", r.sip))
}

fn labels(c: &Call) -> Vec<&str> {
    c.messages.iter().map(|m| m.label.as_str()).collect()
}

#[test]
fn an_answered_call_has_its_ladder_timings_parties_and_media() {
    let mut p = Pcap::new();
    let id = "answered@192.0.2.10";
    v4_udp(
        &mut p,
        0,
        true,
        5060,
        5060,
        &invite(id, &sdp("192.0.2.10", 40000)),
    );
    v4_udp(
        &mut p,
        10,
        false,
        5060,
        5060,
        &response("100 Trying", id, "1 INVITE", None, ""),
    );
    v4_udp(
        &mut p,
        240,
        false,
        5060,
        5060,
        &response("180 Ringing", id, "1 INVITE", Some("callee9"), ""),
    );
    v4_udp(
        &mut p,
        2000,
        false,
        5060,
        5060,
        &response(
            "200 OK",
            id,
            "1 INVITE",
            Some("callee9"),
            &sdp("198.51.100.20", 50000),
        ),
    );
    v4_udp(
        &mut p,
        5,
        true,
        5060,
        5060,
        &sip(
            "ACK sip:+15550199@198.51.100.20 SIP/2.0",
            id,
            "1 ACK",
            Some("callee9"),
            "",
            "",
        ),
    );
    let bye = sip(
        "BYE sip:alice@192.0.2.10 SIP/2.0",
        id,
        "1 BYE",
        None,
        "",
        "",
    )
    .replace("tag=caller1", "tag=callee9")
    .replace(
        "To: <sip:+15550199@example.com>",
        "To: <sip:+15550100@example.com>;tag=caller1",
    );
    v4_udp(&mut p, 30_000, false, 5060, 5060, &bye);
    v4_udp(
        &mut p,
        3,
        true,
        5060,
        5060,
        &response("200 OK", id, "1 BYE", Some("callee9"), ""),
    );
    let r = p.analyze();
    assert_eq!(r.sip.messages, 7);
    let c = call(&r, id);
    assert_eq!(
        labels(c),
        [
            "INVITE (SDP)",
            "100 Trying",
            "180 Ringing",
            "200 OK (SDP)",
            "ACK",
            "BYE",
            "200 OK"
        ]
    );
    assert_eq!(c.messages[0].src.to_string(), "192.0.2.10:5060");
    assert_eq!(c.messages[0].dst.to_string(), "198.51.100.20:5060");
    assert_eq!(c.state.as_str(), "answered");
    assert_eq!(
        (c.caller.as_str(), c.callee.as_str()),
        ("+15550100", "+15550199")
    );
    assert_eq!(c.caller_name.as_deref(), Some("Alice"));
    assert_eq!(c.asserted_identity.as_deref(), Some("tel:+15550100"));
    assert_eq!(c.contact.as_deref(), Some("sip:alice@192.0.2.10:5060"));
    assert_eq!(c.post_dial_delay_ms.map(f64::round), Some(250.0));
    assert_eq!(c.setup_ms.map(f64::round), Some(2250.0));
    assert_eq!(c.talk_time.map(f64::round), Some(30.0));
    assert_eq!(c.hangup_by.as_deref(), Some("callee"));
    assert_eq!(c.dialogs.len(), 1);
    assert_eq!(c.dialogs[0].state.as_str(), "terminated");
    assert_eq!(c.user_agents, ["TestPhone/1.0", "TestPBX"]);
    assert_eq!(c.transactions.len(), 2);
    assert_eq!(c.transactions[0].responses, [100, 180, 200]);
    let kinds: Vec<&str> = c.sdp.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, ["offer", "answer"]);
    assert_eq!(c.sdp[1].media[0].address.as_deref(), Some("198.51.100.20"));
    assert_eq!(c.sdp[1].media[0].direction, "sendrecv");
    assert_eq!(r.sip.setup_time.as_ref().map(|s| s.count), Some(1));
}

#[test]
fn a_retransmitted_invite_is_recognised() {
    let mut p = Pcap::new();
    let id = "retrans@192.0.2.10";
    let inv = invite(id, &sdp("192.0.2.10", 40000));
    v4_udp(&mut p, 0, true, 5060, 5060, &inv);
    v4_udp(&mut p, 500, true, 5060, 5060, &inv);
    v4_udp(&mut p, 1000, true, 5060, 5060, &inv);
    v4_udp(
        &mut p,
        10,
        false,
        5060,
        5060,
        &response("100 Trying", id, "1 INVITE", None, ""),
    );
    let r = p.analyze();
    assert_eq!(r.sip.messages, 4);
    assert_eq!(r.sip.resent, 2);
    assert_eq!(r.sip.methods["INVITE"], 3);
    let c = call(&r, id);
    assert_eq!(c.retransmissions, 2);
    assert_eq!(c.transactions.len(), 1);
    assert_eq!(c.transactions[0].retransmissions, 2);
    let flags: Vec<bool> = c.messages.iter().map(|m| m.retransmission).collect();
    assert_eq!(flags, [false, true, true, false]);
    assert_eq!(c.sdp.len(), 1, "the offer is listed once");
    assert_eq!(c.state.as_str(), "in progress");
}

#[test]
fn a_cancelled_call_is_cancelled() {
    let mut p = Pcap::new();
    let id = "cancel@192.0.2.10";
    v4_udp(
        &mut p,
        0,
        true,
        5060,
        5060,
        &invite(id, &sdp("192.0.2.10", 40000)),
    );
    v4_udp(
        &mut p,
        10,
        false,
        5060,
        5060,
        &response("100 Trying", id, "1 INVITE", None, ""),
    );
    v4_udp(
        &mut p,
        100,
        false,
        5060,
        5060,
        &response("180 Ringing", id, "1 INVITE", Some("t"), ""),
    );
    v4_udp(
        &mut p,
        4000,
        true,
        5060,
        5060,
        &sip(
            "CANCEL sip:+15550199@example.com SIP/2.0",
            id,
            "1 CANCEL",
            None,
            "",
            "",
        ),
    );
    v4_udp(
        &mut p,
        10,
        false,
        5060,
        5060,
        &response("200 OK", id, "1 CANCEL", Some("t"), ""),
    );
    v4_udp(
        &mut p,
        1,
        false,
        5060,
        5060,
        &response("487 Request Terminated", id, "1 INVITE", Some("t"), ""),
    );
    v4_udp(
        &mut p,
        1,
        true,
        5060,
        5060,
        &sip(
            "ACK sip:+15550199@example.com SIP/2.0",
            id,
            "1 ACK",
            Some("t"),
            "",
            "",
        ),
    );
    let r = p.analyze();
    let c = call(&r, id);
    assert_eq!(c.state.as_str(), "cancelled");
    assert_eq!(c.status, Some(487));
    assert_eq!(c.reason.as_deref(), Some("Request Terminated"));
    assert_eq!(c.setup_ms, None);
    assert_eq!(c.talk_time, None);
    assert_eq!(
        labels(c),
        [
            "INVITE (SDP)",
            "100 Trying",
            "180 Ringing",
            "CANCEL",
            "200 OK",
            "487 Request Terminated",
            "ACK"
        ]
    );
    let cancel = c
        .transactions
        .iter()
        .find(|t| t.method == "CANCEL")
        .expect("CANCEL transaction");
    assert_eq!(cancel.final_status, Some(200));
    let inv = c
        .transactions
        .iter()
        .find(|t| t.method == "INVITE")
        .expect("INVITE transaction");
    assert_eq!(inv.final_status, Some(487));
    assert_eq!(r.sip.responses["487"], 1);
    assert_eq!(r.sip.methods["CANCEL"], 1);
}

#[test]
fn a_busy_call_is_rejected_with_486() {
    let mut p = Pcap::new();
    let id = "busy@192.0.2.10";
    v4_udp(
        &mut p,
        0,
        true,
        5060,
        5060,
        &invite(id, &sdp("192.0.2.10", 40000)),
    );
    v4_udp(
        &mut p,
        10,
        false,
        5060,
        5060,
        &response("100 Trying", id, "1 INVITE", None, ""),
    );
    v4_udp(
        &mut p,
        300,
        false,
        5060,
        5060,
        &response("486 Busy Here", id, "1 INVITE", Some("t"), ""),
    );
    v4_udp(
        &mut p,
        1,
        true,
        5060,
        5060,
        &sip(
            "ACK sip:+15550199@example.com SIP/2.0",
            id,
            "1 ACK",
            Some("t"),
            "",
            "",
        ),
    );
    let r = p.analyze();
    let c = call(&r, id);
    assert_eq!((c.state.as_str(), c.status), ("rejected", Some(486)));
    assert_eq!(c.reason.as_deref(), Some("Busy Here"));
    assert_eq!(c.dialogs.len(), 0, "a failure response makes no dialog");
    assert_eq!(c.duration.map(|d| (d * 1000.0).round()), Some(311.0));
}

/// The TCP handshake from A:40123 to B:5060; returns the next sequence numbers (A, B).
fn tcp_handshake(p: &mut Pcap, sport: u16, dport: u16) -> (u32, u32) {
    let (a, b) = (1000u32, 5000u32);
    p.tcp(0, (A4, sport), (B4, dport), (a, 0, SYN), b"");
    p.tcp(1, (B4, dport), (A4, sport), (b, a + 1, SYN | ACK), b"");
    p.tcp(1, (A4, sport), (B4, dport), (a + 1, b + 1, ACK), b"");
    (a + 1, b + 1)
}

/// Short SIP-over-TCP connections, many more than the reassembly's stream limit: each direction
/// is released at its FIN (or RST), so every message of every connection is read. Before, the
/// streams stayed until the end and the limit dropped every later connection's bytes.
#[test]
fn short_tcp_connections_never_use_up_the_stream_limit() {
    let mut p = Pcap::new();
    let fin_ack = tcp_flags::FIN | tcp_flags::ACK;
    for i in 0..300u16 {
        let id = format!("short{i}@192.0.2.10");
        let sport = 20_000 + i;
        let (a, b) = tcp_handshake(&mut p, sport, 5060);
        let inv = invite(&id, "").replace("SIP/2.0/UDP", "SIP/2.0/TCP");
        let trying = response("100 Trying", &id, "1 INVITE", None, "");
        let a2 = a + inv.len() as u32;
        let b2 = b + trying.len() as u32;
        p.tcp(1, (A4, sport), (B4, 5060), (a, b, PSH_ACK), inv.as_bytes());
        p.tcp(
            1,
            (B4, 5060),
            (A4, sport),
            (b, a2, PSH_ACK),
            trying.as_bytes(),
        );
        if i % 2 == 0 {
            p.tcp(1, (A4, sport), (B4, 5060), (a2, b2, fin_ack), b"");
            p.tcp(1, (B4, 5060), (A4, sport), (b2, a2 + 1, fin_ack), b"");
        } else {
            p.tcp(1, (A4, sport), (B4, 5060), (a2, b2, tcp_flags::RST), b"");
        }
    }
    let mut analyzer = Analyzer::new(Options {
        max_tcp_streams: 100,
        ..Options::default()
    });
    analyzer.feed(p.file.bytes()).expect("readable");
    let r = analyzer.finish();
    assert_eq!(r.sip.messages, 600, "{:?}", r.sip.dropped);
    assert_eq!(r.limits.tcp_bytes_dropped, 0);
    assert_eq!(r.sip.calls.len(), 300);
}

/// tshark 4.0 finds this INVITE (at frame 6, on 5060 and on 15060) only with
/// `-o tcp.reassemble_out_of_order:TRUE`; by default it does not reassemble out-of-order segments
/// and reports no SIP at all. We reassemble them.
#[test]
fn an_invite_over_three_tcp_segments_out_of_order_is_one_message() {
    for (sport, dport) in [(40123, 5060), (40123, 15060)] {
        let mut p = Pcap::new();
        let id = "tcp3@192.0.2.10";
        let msg = invite(id, &sdp("192.0.2.10", 40000)).replace("SIP/2.0/UDP", "SIP/2.0/TCP");
        let bytes = msg.as_bytes();
        let (a, b) = tcp_handshake(&mut p, sport, dport);
        let (one, two) = (bytes.len() / 3, 2 * bytes.len() / 3);
        let seg = |p: &mut Pcap, from: usize, to: usize| {
            let seq = a + from as u32;
            p.tcp(
                1,
                (A4, sport),
                (B4, dport),
                (seq, b, PSH_ACK),
                &bytes[from..to],
            );
        };
        seg(&mut p, 0, one);
        seg(&mut p, two, bytes.len());
        seg(&mut p, one, two);
        // A retransmission of the middle piece changes nothing.
        seg(&mut p, one, two);
        let r = p.analyze();
        assert_eq!(r.sip.messages, 1, "port {dport}: {:#?}", r.sip);
        assert_eq!(r.sip.transports["tcp"], 1);
        let c = call(&r, id);
        assert_eq!(labels(c), ["INVITE (SDP)"]);
        assert_eq!(c.messages[0].frame, 6, "the frame that completed it");
        assert_eq!(c.transport, callscope_analysis::report::Transport::Tcp);
        assert_eq!(c.sdp[0].media[0].port, 40000);
        assert_eq!(r.sip.malformed, 0, "{:?}", r.sip.malformed_messages);
    }
}

#[test]
fn two_messages_in_one_tcp_segment_are_two_messages() {
    let mut p = Pcap::new();
    let id = "tcp2@192.0.2.10";
    let (a, b) = tcp_handshake(&mut p, 40124, 5060);
    let inv = invite(id, "");
    p.tcp(1, (A4, 40124), (B4, 5060), (a, b, PSH_ACK), inv.as_bytes());
    let both = [
        response("100 Trying", id, "1 INVITE", None, ""),
        response("180 Ringing", id, "1 INVITE", Some("x"), ""),
    ]
    .concat();
    p.tcp(
        5,
        (B4, 5060),
        (A4, 40124),
        (b, a + inv.len() as u32, PSH_ACK),
        both.as_bytes(),
    );
    let r = p.analyze();
    assert_eq!(r.sip.messages, 3);
    let c = call(&r, id);
    assert_eq!(labels(c), ["INVITE", "100 Trying", "180 Ringing"]);
    assert_eq!(c.messages[1].frame, c.messages[2].frame);
    assert_eq!(c.messages[1].src.to_string(), "198.51.100.20:5060");
}

#[test]
fn fragmented_udp_invites_are_reassembled_v4_and_v6() {
    let big_sdp =
        sdp("192.0.2.10", 40000) + &"a=x-padding:0123456789abcdef0123456789abcdef\r\n".repeat(60);
    // IPv4: three fragments of a ~3 kB INVITE.
    let mut p = Pcap::new();
    let id = "frag4@192.0.2.10";
    let datagram = udp(
        IpAddr::from(A4),
        5060,
        IpAddr::from(B4),
        5060,
        invite(id, &big_sdp).as_bytes(),
    );
    assert!(datagram.len() > 2800);
    let pieces = [(0, 1480), (1480, 2960), (2960, datagram.len())];
    for (i, &(from, to)) in pieces.iter().enumerate() {
        let more = i + 1 < pieces.len();
        p.frame(1, &ipv4(A4, B4, 17, 77, from, more, &datagram[from..to]));
    }
    let r = p.analyze();
    assert_eq!(r.sip.messages, 1, "{:#?}", r.sip);
    let c = call(&r, id);
    assert_eq!(c.messages[0].frame, 3);
    assert_eq!(c.messages[0].label, "INVITE (SDP)");
    assert_eq!(c.sdp[0].media[0].port, 40000);

    // IPv6: two fragments, out of order.
    let (a6, b6): ([u8; 16], [u8; 16]) = (
        "2001:db8::a"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
        "2001:db8::b"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    let mut p = Pcap::new();
    let id = "frag6@[2001:db8::a]";
    let body =
        sdp("2001:db8::a", 40002) + &"a=x-padding:0123456789abcdef0123456789abcdef\r\n".repeat(40);
    let datagram = udp(
        IpAddr::from(a6),
        5060,
        IpAddr::from(b6),
        5060,
        invite(id, &body).as_bytes(),
    );
    let cut = 1232;
    p.frame(
        1,
        &ipv6(a6, b6, 17, Some((9, cut, false)), &datagram[cut..]),
    );
    p.frame(1, &ipv6(a6, b6, 17, Some((9, 0, true)), &datagram[..cut]));
    let r = p.analyze();
    assert_eq!(r.sip.messages, 1, "{:#?}", r.sip);
    let c = call(&r, id);
    assert_eq!(c.messages[0].src.to_string(), "[2001:db8::a]:5060");
    assert_eq!(c.sdp[0].media[0].address.as_deref(), Some("2001:db8::a"));
}

#[test]
fn sip_on_an_odd_udp_port_is_found_and_tls_on_5061_is_left_alone() {
    let mut p = Pcap::new();
    let id = "odd@192.0.2.10";
    v4_udp(&mut p, 0, true, 35000, 15060, &invite(id, ""));
    let (a, b) = tcp_handshake(&mut p, 40200, 5061);
    let client_hello = [22u8, 3, 1, 0, 5, 1, 0, 0, 1, 0];
    p.tcp(1, (A4, 40200), (B4, 5061), (a, b, PSH_ACK), &client_hello);
    let r = p.analyze();
    assert_eq!(r.sip.messages, 1);
    assert_eq!(
        call(&r, id).messages[0].dst.to_string(),
        "198.51.100.20:15060"
    );
    let tls = r
        .conversations
        .iter()
        .find(|c| c.b.to_string().ends_with(":5061"))
        .expect("the TLS conversation");
    assert_eq!(tls.protocol.as_deref(), Some("tls"));
}

#[test]
fn malformed_sip_is_counted_with_a_reason() {
    let mut p = Pcap::new();
    v4_udp(
        &mut p,
        0,
        true,
        5060,
        5060,
        "INVITE sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n",
    );
    v4_udp(&mut p, 0, true, 5060, 5060, "SIP/2.0 999 Odd\r\n\r\n");
    v4_udp(&mut p, 0, true, 5060, 5060, "\r\n\r\n");
    v4_udp(&mut p, 0, true, 5060, 5060, "SIP/2.0 200OK\r\n\r\n");
    v4_udp(&mut p, 0, true, 5060, 5060, "SIP/2.0 99 Short\r\n\r\n");
    let r = p.analyze();
    // tshark counts the first two as SIP messages (the second as "999 Unknown response"); a
    // two-digit status is not SIP at all.
    assert_eq!(r.sip.messages, 2);
    assert_eq!(r.sip.responses["999"], 1);
    assert_eq!(r.sip.malformed, 3);
    assert_eq!(r.sip.keepalives, 1);
    let reasons: Vec<&str> = r
        .sip
        .malformed_messages
        .iter()
        .map(|m| m.reason.as_str())
        .collect();
    assert!(reasons[0].contains("no Call-ID header"), "{reasons:?}");
    assert!(reasons[1].contains("outside 100–699"), "{reasons:?}");
    assert!(reasons[2].contains("start line"), "{reasons:?}");
}

#[test]
fn registrations_options_and_messages_are_summarised() {
    let mut p = Pcap::new();
    let reg = |cseq: &str, auth: &str| {
        sip(
            "REGISTER sip:example.com SIP/2.0",
            "reg@h",
            cseq,
            None,
            auth,
            "",
        )
        .replace(
            "To: <sip:+15550199@example.com>",
            "To: <sip:+15550100@example.com>",
        )
        .replace(
            "Contact: <sip:alice@192.0.2.10:5060>",
            "Contact: <sip:alice@192.0.2.10:5060>;expires=3600",
        )
    };
    v4_udp(&mut p, 0, true, 5060, 5060, &reg("1 REGISTER", ""));
    let challenge = sip(
        "SIP/2.0 401 Unauthorized",
        "reg@h",
        "1 REGISTER",
        Some("r"),
        "WWW-Authenticate: Digest realm=\"x\", nonce=\"n\"\r\n",
        "",
    )
    .replace(
        "To: <sip:+15550199@example.com>",
        "To: <sip:+15550100@example.com>",
    );
    v4_udp(&mut p, 5, false, 5060, 5060, &challenge);
    v4_udp(
        &mut p,
        5,
        true,
        5060,
        5060,
        &reg("2 REGISTER", "Authorization: Digest username=\"alice\"\r\n"),
    );
    let ok = response("200 OK", "reg@h", "2 REGISTER", Some("r"), "")
        .replace(
            "To: <sip:+15550199@example.com>",
            "To: <sip:+15550100@example.com>",
        )
        .replace(
            "Contact: <sip:alice@192.0.2.10:5060>",
            "Contact: <sip:alice@192.0.2.10:5060>;expires=600",
        );
    v4_udp(&mut p, 5, false, 5060, 5060, &ok);
    v4_udp(
        &mut p,
        5,
        true,
        5060,
        5060,
        &sip(
            "OPTIONS sip:example.com SIP/2.0",
            "opt@h",
            "1 OPTIONS",
            None,
            "",
            "",
        ),
    );
    v4_udp(
        &mut p,
        5,
        false,
        5060,
        5060,
        &response("200 OK", "opt@h", "1 OPTIONS", Some("o"), ""),
    );
    let sms = sip(
        "MESSAGE sip:+15550199@example.com SIP/2.0",
        "sms@h",
        "1 MESSAGE",
        None,
        "",
        "",
    )
    .replace(
        "Content-Length: 0\r\n\r\n",
        "Content-Type: application/vnd.3gpp.sms\r\nContent-Length: 4\r\n\r\n\x00\x01\x02\x03",
    );
    v4_udp(&mut p, 5, true, 5060, 5060, &sms);
    v4_udp(
        &mut p,
        5,
        false,
        5060,
        5060,
        &response("202 Accepted", "sms@h", "1 MESSAGE", Some("m"), ""),
    );
    let r = p.analyze();
    assert!(r.sip.calls.is_empty());
    let reg = &r.sip.registrations[0];
    assert_eq!(reg.aor, "sip:+15550100@example.com");
    assert_eq!(
        (reg.requests, reg.challenges, reg.with_credentials),
        (2, 1, 1)
    );
    assert_eq!((reg.status, reg.expires), (Some(200), Some(600)));
    assert_eq!(r.sip.options[0].requests, 1);
    assert_eq!(r.sip.options[0].status, Some(200));
    let kinds: Vec<&str> = r.sip.exchanges.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["register", "options", "message"]);
    let sms = &r.sip.exchanges[2];
    assert_eq!(
        sms.content_type.as_deref(),
        Some("application/vnd.3gpp.sms")
    );
    assert_eq!((sms.body_bytes, sms.status), (4, Some(202)));
}

#[test]
fn sdp_publishes_media_endpoints_for_the_rtp_analyzer() {
    use callscope_analysis::flows::Transport;
    use callscope_analysis::protocols::{FinishContext, Segment, Shared};
    use callscope_analysis::sip::SipAnalyzer;
    let mut sip_analyzer = SipAnalyzer::default();
    let mut shared = Shared::default();
    let msg = invite(
        "pub@h",
        &sdp("192.0.2.10", 40000).replace("a=sendrecv\r\n", "a=sendrecv\r\na=rtcp-mux\r\n"),
    );
    let seg = Segment {
        frame: 1,
        ts_ns: 0,
        transport: Transport::Udp,
        src: "192.0.2.10:5060".parse().unwrap(),
        dst: "198.51.100.20:5060".parse().unwrap(),
        payload: msg.as_bytes(),
        flow: 1,
    };
    assert_eq!(sip_analyzer.udp(&seg, &mut shared), Some("sip"));
    let e = &shared.media[&"192.0.2.10:40000".parse().unwrap()];
    assert_eq!(e.call_id, "pub@h");
    assert_eq!(e.media, "audio");
    assert!(e.rtcp_mux);
    let codecs: Vec<(u8, &str, u32)> = e
        .rtpmap
        .iter()
        .map(|m| (m.pt, m.codec.as_str(), m.clock))
        .collect();
    assert_eq!(
        codecs,
        [
            (0, "PCMU", 8000),
            (8, "PCMA", 8000),
            (101, "telephone-event", 8000)
        ]
    );
    let report = sip_analyzer.finish(&FinishContext { start_ns: 0 });
    assert_eq!(report.calls[0].media, Vec::<usize>::new());
}

#[test]
fn tcp_framing_is_bounded_and_counts_what_it_drops() {
    use callscope_analysis::flows::Transport;
    use callscope_analysis::protocols::{FinishContext, Segment, Shared};
    use callscope_analysis::sip::{SipAnalyzer, SipLimits};
    let mut sip_analyzer = SipAnalyzer::new(SipLimits {
        stream_bytes: 64,
        ..SipLimits::default()
    });
    let mut shared = Shared::default();
    let msg = invite("bounded@h", &sdp("192.0.2.10", 40000));
    let seg = |payload| Segment {
        frame: 1,
        ts_ns: 0,
        transport: Transport::Tcp,
        src: "192.0.2.10:40000".parse().unwrap(),
        dst: "198.51.100.20:5060".parse().unwrap(),
        payload,
        flow: 1,
    };
    let half = msg.len() / 2;
    assert!(SipAnalyzer::claims_tcp(&seg(&msg.as_bytes()[..half])));
    sip_analyzer.tcp_bytes(&seg(&msg.as_bytes()[..half]), &mut shared);
    sip_analyzer.tcp_bytes(&seg(&msg.as_bytes()[half..]), &mut shared);
    // The first half could not be held: dropped and counted; the second half is not a message.
    assert_eq!(sip_analyzer.stream_bytes_dropped(), half as u64);
    let report = sip_analyzer.finish(&FinishContext { start_ns: 0 });
    assert_eq!(report.dropped.stream_bytes, half as u64);
    assert_eq!(report.messages, 0);
    assert!(report.malformed >= 1);
}

#[test]
fn masking_replaces_numbers_and_users_with_stable_pseudonyms() {
    let mut p = Pcap::new();
    v4_udp(&mut p, 0, true, 5060, 5060, &invite("m1@192.0.2.10", ""));
    v4_udp(&mut p, 0, true, 5060, 5060, &invite("m2@192.0.2.10", ""));
    let mut r = p.analyze();
    callscope_analysis::mask::mask_report(&mut r);
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("15550100"), "{json}");
    assert!(!json.contains("15550199"));
    assert!(!json.contains("Alice"));
    assert!(!json.contains("sip:alice@"), "Contact user parts too");
    let (c1, c2) = (&r.sip.calls[0], &r.sip.calls[1]);
    assert_eq!(
        c1.caller, c2.caller,
        "the same number gets the same pseudonym"
    );
    assert_ne!(c1.caller, c1.callee);
    assert!(
        c1.from.starts_with("sip:") && c1.from.ends_with("@example.com"),
        "{}",
        c1.from
    );
    assert_eq!(
        c1.call_id, "m1@192.0.2.10",
        "Call-IDs stay so --call can find them"
    );
}

#[test]
fn hostile_sip_payloads_never_panic() {
    use proptest::prelude::*;
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(&proptest::collection::vec(any::<u8>(), 0..400), |tail| {
            let mut p = Pcap::new();
            let mut payload = b"INVITE sip:a@b SIP/2.0\r\n".to_vec();
            payload.extend(&tail);
            let (from, to) = (SocketAddr::from((A4, 5060)), SocketAddr::from((B4, 5060)));
            p.frame(1, &testing::ip_udp(from, to, &payload));
            let (a, b) = tcp_handshake(&mut p, 40000, 5060);
            p.tcp(1, (A4, 40000), (B4, 5060), (a, b, PSH_ACK), &payload);
            p.tcp(
                1,
                (A4, 40000),
                (B4, 5060),
                (a + payload.len() as u32, b, PSH_ACK),
                &tail,
            );
            let _ = p.analyze();
            Ok(())
        })
        .unwrap();
}
