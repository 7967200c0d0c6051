//! RTP and RTCP against tshark 4.0.17 on every reference capture, and synthetic captures for the
//! corner cases (sequence wrap, reordering, duplicates, SSRC change, timestamp jumps).
//!
//! - `rtp,streams`: every stream of tshark's heuristic run (`-o rtp.heuristic_rtp:TRUE -z
//!   rtp,streams`) is in `rtp.streams` with the same source, destination and SSRC, the same packet
//!   and lost counts, and min/mean/max delta and jitter within 0.001 ms; and callscope finds no
//!   stream tshark does not.
//! - RTCP: every frame of tshark's `-Y rtcp` field dump has the same packet types, sender SSRCs
//!   and report blocks (fraction, cumulative lost, jitter) in `rtcp.reports`, except SRTCP, whose
//!   encrypted blocks tshark decodes as if they were clear (google_meet frames 143 and 167: the
//!   "fraction lost 72, cumulative 5411934" there is ciphertext); callscope reads only the clear
//!   header of SRTCP.
//!
//! Differences we believe are tshark's error (so callscope does not copy them):
//! - RTCP quoted inside ICMP port-unreachable errors is listed by `-Y rtcp` as if received
//!   ([`ICMP_QUOTED`]); it is a copy of a datagram that never arrived.
//! - SRTCP report blocks are ciphertext; tshark prints them as fractions and counts.
//! - On the benchmark's large capture (`bench-out/large.pcap`, 3044 tshark streams, all equal),
//!   callscope lists 4 more streams: RTP on UDP 6118 and 6160, which tshark gives to its TIPC and
//!   ECMP port dissectors before the RTP heuristic runs. They are 250-packet PCMU streams with
//!   consistent sequence numbers; callscope keeps the port-owned list to protocols that really
//!   own their ports (DNS, DHCP, NTP, ISAKMP, SIP, …), not every port tshark registers.

use crate::support;
use callscope_analysis::report::{Socket, Ssrc};

/// tshark's `-Y rtcp` also shows RTCP quoted inside ICMP port-unreachable errors: a datagram
/// that was never received. callscope does not count quoted packets; we believe tshark should
/// not list them as RTCP either.
const ICMP_QUOTED: [(&str, u64); 3] = [
    ("sip-call-baresip-udp.pcap", 1221),
    ("sip-call-baresip-udp.pcapng", 1221),
    // The baresip section ends the demo's third section: 56 + 509 + 1221.
    ("demo.pcapng", 1786),
];

use std::collections::BTreeMap;
use std::net::SocketAddr;

use callscope_analysis::Report;
use callscope_wire::testing::{self, Ipv4, Pcap};
use support::tshark;

/// One row of tshark's `rtp,streams`.
#[derive(Debug, Clone, PartialEq)]
struct StreamRow {
    src: String,
    dst: String,
    ssrc: String,
    payload: String,
    packets: u64,
    lost: i64,
    deltas: [f64; 3],
    jitters: [f64; 3],
    problem: bool,
}

fn stream_rows(text: &str) -> Option<Vec<StreamRow>> {
    let lines = tshark::section(text, "-o rtp.heuristic_rtp:TRUE -z rtp,streams")?;
    let mut out = Vec::new();
    for line in lines {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() < 17 || !t[6].starts_with("0x") {
            continue;
        }
        let problem = t.last() == Some(&"X");
        let end = if problem { t.len() - 1 } else { t.len() };
        let f = |i: usize| t[i].parse::<f64>().unwrap_or(f64::NAN);
        let n = end - 6;
        // … pkts lost (pct) min mean max min mean max
        let pkts_at = n - 3;
        out.push(StreamRow {
            src: format!("{} {}", t[2], t[3]),
            dst: format!("{} {}", t[4], t[5]),
            ssrc: t[6].to_ascii_lowercase(),
            payload: t[7..pkts_at].join(" "),
            packets: t[pkts_at].parse().unwrap_or(0),
            lost: t[pkts_at + 1].parse().unwrap_or(0),
            deltas: [f(n), f(n + 1), f(n + 2)],
            jitters: [f(n + 3), f(n + 4), f(n + 5)],
            problem,
        });
    }
    Some(out)
}

/// `1.2.3.4:5` / `[::1]:5` → tshark's `1.2.3.4 5` / `::1 5`.
fn tshark_endpoint(addr: &Socket) -> String {
    format!("{} {}", addr.ip(), addr.port())
}

fn close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= 0.001 + 1e-9
}

fn compare_streams(name: &str, report: &Report, theirs: &[StreamRow], failures: &mut Vec<String>) {
    let ours: BTreeMap<(String, String, String), &callscope_analysis::rtp::RtpStream> = report
        .rtp
        .streams
        .iter()
        .map(|s| {
            (
                (
                    tshark_endpoint(&s.src),
                    tshark_endpoint(&s.dst),
                    s.ssrc.to_string(),
                ),
                s,
            )
        })
        .collect();
    for row in theirs {
        let key = (row.src.clone(), row.dst.clone(), row.ssrc.clone());
        let Some(s) = ours.get(&key) else {
            failures.push(format!("{name}: stream {key:?} missing"));
            continue;
        };
        let mut diff = Vec::new();
        if s.packets != row.packets {
            diff.push(format!("packets {} vs {}", s.packets, row.packets));
        }
        if s.lost != row.lost {
            diff.push(format!("lost {} vs {}", s.lost, row.lost));
        }
        let ours_d = [s.min_delta_ms, s.mean_delta_ms, s.max_delta_ms];
        let ours_j = [s.min_jitter_ms, s.mean_jitter_ms, s.max_jitter_ms];
        for (what, o, t) in [
            ("delta", ours_d, row.deltas),
            ("jitter", ours_j, row.jitters),
        ] {
            for i in 0..3 {
                if !close(o[i], t[i]) {
                    diff.push(format!("{what}[{i}] {:.6} vs {:.3}", o[i], t[i]));
                }
            }
        }
        if s.problem != row.problem {
            diff.push(format!("problem {} vs {}", s.problem, row.problem));
        }
        if !diff.is_empty() {
            failures.push(format!("{name}: stream {key:?}: {}", diff.join(", ")));
        }
    }
    for key in ours.keys() {
        if !theirs.iter().any(|r| {
            (
                r.src.to_string().as_str(),
                r.dst.to_string().as_str(),
                r.ssrc.as_str(),
            ) == (&key.0, &key.1, &key.2)
        }) {
            failures.push(format!("{name}: stream {key:?} not in tshark"));
        }
    }
}

/// tshark's `-Y rtcp` rows: frame → (packet types, sender SSRCs, fractions, cumulative, jitter).
type RtcpRow = (Vec<u8>, Vec<String>, Vec<String>, Vec<String>, Vec<String>);

fn rtcp_rows(text: &str) -> BTreeMap<u64, RtcpRow> {
    let mut out = BTreeMap::new();
    let Some(lines) = tshark::section(text, "-Y rtcp -T fields") else {
        return out;
    };
    let list = |s: Option<&&str>| -> Vec<String> {
        s.map(|s| {
            s.split(',')
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
    };
    for line in lines {
        let t: Vec<&str> = line.split('\t').collect();
        let Ok(frame) = t[0].parse::<u64>() else {
            continue;
        };
        let pts = list(t.get(1))
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect();
        out.insert(
            frame,
            (
                pts,
                list(t.get(2)),
                list(t.get(3)),
                list(t.get(4)),
                list(t.get(5)),
            ),
        );
    }
    out
}

fn kind_pt(kind: &str) -> u8 {
    match kind {
        "SR" => 200,
        "RR" => 201,
        "SDES" => 202,
        "BYE" => 203,
        "APP" => 204,
        "RTPFB" => 205,
        "PSFB" => 206,
        "XR" => 207,
        k => k.trim_start_matches("PT").parse().unwrap_or(0),
    }
}

fn compare_rtcp(name: &str, report: &Report, text: &str, failures: &mut Vec<String>) -> usize {
    let mut checked = 0;
    for (frame, (pts, senders, fractions, cums, jitters)) in rtcp_rows(text) {
        let entries: Vec<_> = report
            .rtcp
            .reports
            .iter()
            .filter(|r| r.frame == frame)
            .collect();
        if entries.is_empty() {
            if !ICMP_QUOTED.contains(&(name, frame)) {
                failures.push(format!("{name}: RTCP frame {frame} missing"));
            }
            continue;
        }
        if entries.iter().any(|e| e.srtcp) {
            continue;
        }
        checked += 1;
        let our_pts: Vec<u8> = entries.iter().map(|e| kind_pt(&e.kind)).collect();
        let sr_rr: Vec<_> = entries
            .iter()
            .filter(|e| e.kind == "SR" || e.kind == "RR")
            .collect();
        let our_senders: Vec<String> = sr_rr.iter().map(|e| e.ssrc.to_string()).collect();
        let blocks: Vec<_> = sr_rr.iter().flat_map(|e| e.blocks.iter()).collect();
        let our_fractions: Vec<String> =
            blocks.iter().map(|b| b.fraction_lost.to_string()).collect();
        let our_cums: Vec<String> = blocks
            .iter()
            .map(|b| b.cumulative_lost.to_string())
            .collect();
        let our_jitters: Vec<String> = blocks.iter().map(|b| b.jitter.to_string()).collect();
        if our_pts != pts
            || our_senders != senders
            || our_fractions != fractions
            || our_cums != cums
            || our_jitters != jitters
        {
            failures.push(format!(
                "{name}: RTCP frame {frame}: ours {our_pts:?} {our_senders:?} {our_fractions:?} {our_cums:?} {our_jitters:?}, tshark {pts:?} {senders:?} {fractions:?} {cums:?} {jitters:?}"
            ));
        }
    }
    checked
}

#[test]
fn every_reference_capture_matches_tshark_rtp_streams() {
    let mut failures = Vec::new();
    let mut streams = 0;
    let mut rtcp_frames = 0;
    let mut captures = 0;
    for path in support::reference_captures() {
        let text = std::fs::read_to_string(support::tshark_file(&path)).expect("tshark reference");
        let Some(rows) = stream_rows(&text) else {
            continue;
        };
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let report = support::analyze_file(&path);
        compare_streams(&name, &report, &rows, &mut failures);
        rtcp_frames += compare_rtcp(&name, &report, &text, &mut failures);
        streams += rows.len();
        captures += 1;
    }
    eprintln!("{captures} captures: {streams} tshark streams, {rtcp_frames} RTCP frames compared");
    assert!(
        failures.is_empty(),
        "{} differences from tshark:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn shared_capture(rel: &str) -> Option<std::path::PathBuf> {
    let p = support::shared_captures()?.join(rel);
    p.is_file().then_some(p)
}

/// The generated SIP calls: every RTP stream is bound to its call, both ways.
#[test]
fn generated_sip_calls_bind_their_streams() {
    let mut checked = 0;
    for name in [
        "sip-call-udp.pcap",
        "sip-call-udp.pcapng",
        "sip-call-tcp.pcap",
        "sip-call-udp.null.pcap",
        "sip-call-udp.raw.pcap",
        "sip-call-baresip-udp.pcap",
    ] {
        let Some(path) = shared_capture(&format!("generated/{name}")) else {
            continue;
        };
        let r = support::analyze_file(&path);
        assert!(!r.rtp.streams.is_empty(), "{name}: no RTP");
        assert!(!r.sip.calls.is_empty(), "{name}: no SIP call");
        for (i, s) in r.rtp.streams.iter().enumerate() {
            let c = s
                .call
                .unwrap_or_else(|| panic!("{name}: stream {i} not bound"));
            let call = &r.sip.calls[c];
            assert_eq!(s.call_id.as_deref(), Some(call.call_id.as_str()), "{name}");
            assert!(
                call.media.contains(&i),
                "{name}: call does not list stream {i}"
            );
            assert!(s.sdp && s.confirmed, "{name}: stream {i}");
            assert_eq!(s.payload, "g711U", "{name}");
            let mos = s.mos.unwrap_or_else(|| panic!("{name}: no MOS"));
            assert!(mos > 4.0 && mos <= 4.41, "{name}: MOS {mos}");
            assert!(!s.series.is_empty());
        }
        let q = r
            .rtp
            .calls
            .iter()
            .find(|q| Some(&q.call_id) == r.rtp.streams[0].call_id.as_ref());
        assert!(
            q.is_some_and(|q| q.mos.is_some() && q.streams.len() == 2),
            "{name}"
        );
        checked += 1;
    }
    eprintln!("{checked} generated SIP captures checked");
}

/// baresip's RTCP: SRs with report blocks, SDES CNAMEs, APP and BYE, and round trips from
/// LSR/DLSR once both sides have sent an SR.
#[test]
fn baresip_rtcp_has_round_trips() {
    let Some(path) = shared_capture("generated/sip-call-baresip-udp.pcap") else {
        return;
    };
    let r = support::analyze_file(&path);
    let kinds: std::collections::BTreeSet<&str> =
        r.rtcp.reports.iter().map(|e| e.kind.as_str()).collect();
    for k in ["SR", "SDES", "APP", "BYE"] {
        assert!(kinds.contains(k), "no {k}: {kinds:?}");
    }
    let srs: Vec<_> = r.rtcp.reports.iter().filter(|e| e.kind == "SR").collect();
    assert_eq!(srs.len(), 4);
    // Frames 507/510 and 1013/1014: each SR's block answers the other side's previous SR.
    let with_rtt: Vec<_> = srs.iter().filter_map(|e| e.rtt_ms).collect();
    assert!(!with_rtt.is_empty(), "no RTT: {srs:#?}");
    assert!(
        with_rtt.iter().all(|&rtt| (0.0..50.0).contains(&rtt)),
        "{with_rtt:?}"
    );
    for e in &srs {
        assert_eq!(e.fraction_lost, Some(0));
        assert_eq!(e.cumulative_lost, Some(0));
        // Jitter in ms with the PCMU clock.
        let (j, jms) = (e.jitter.unwrap(), e.jitter_ms.unwrap());
        assert!((jms - f64::from(j) / 8.0).abs() < 1e-9);
    }
    assert!(r.rtcp.sources.iter().any(|s| s.cname.is_some()));
    assert!(r.rtcp.sources.iter().any(|s| s.rtt_mean_ms.is_some()));
    assert!(r.rtp.streams.iter().all(|s| s.rtt_ms.is_some()));
}

/// SIP_DTMF2: RFC 4733 events ride in the g711A stream; like tshark, event packets have no clock,
/// so they give deltas but no jitter, and the jitter after an event reflects the timestamp gap.
#[test]
fn dtmf_telephone_event_as_tshark() {
    let Some(path) = shared_capture("public/sip__SIP_DTMF2.cap") else {
        return;
    };
    let r = support::analyze_file(&path);
    let s = r
        .rtp
        .streams
        .iter()
        .find(|s| s.ssrc == Ssrc(0x5711bf84))
        .expect("DTMF stream");
    assert_eq!(s.payload, "g711A, telephone-event");
    assert_eq!(s.event_packets, 35);
    assert_eq!(s.clock, 8000);
    let ev = s
        .payload_types
        .iter()
        .find(|p| p.name == "telephone-event")
        .unwrap();
    assert_eq!((ev.pt, ev.clock, ev.packets), (96, 0, 35));
    assert!((s.max_jitter_ms - 15.767).abs() <= 0.001);
    let other = r
        .rtp
        .streams
        .iter()
        .find(|s| s.ssrc == Ssrc(0x9a7b5382))
        .unwrap();
    assert_eq!(other.lost, 2);
}

// ---- synthetic captures through the whole pipeline -------------------------------------------

/// A pcap (LINKTYPE_RAW) of IPv4/UDP datagrams from 10.0.0.1 to 10.0.0.2: (µs after
/// 2023-11-14 22:13:20 UTC, src port, dst port, payload).
fn pcap(packets: &[(i64, u16, u16, Vec<u8>)]) -> Vec<u8> {
    let mut file = Pcap::new(101);
    for (us, sport, dport, payload) in packets {
        let udp = testing::udp(
            SocketAddr::from(([10, 0, 0, 1], *sport)),
            SocketAddr::from(([10, 0, 0, 2], *dport)),
            payload,
        );
        let ip = Ipv4 {
            dont_fragment: true,
            ..Ipv4::default()
        }
        .emit(&udp);
        file.record(1_700_000_000_000_000 + us, &ip);
    }
    file.into_bytes()
}

fn rtp(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
    let mut b = vec![0x80, pt | if marker { 0x80 } else { 0 }];
    b.extend_from_slice(&seq.to_be_bytes());
    b.extend_from_slice(&ts.to_be_bytes());
    b.extend_from_slice(&ssrc.to_be_bytes());
    b.extend_from_slice(&[0xd5; 160]);
    b
}

/// PCMU every 20 ms from seq `first`, with `order` listing which packet (by index) is sent
/// when (so reordering, duplicates and gaps are edits of the list).
fn pcmu_stream(first: u16, order: &[u32], ssrc: u32) -> Vec<(i64, u16, u16, Vec<u8>)> {
    order
        .iter()
        .enumerate()
        .map(|(slot, &i)| {
            (
                slot as i64 * 20_000,
                40000,
                40002,
                rtp(0, false, first.wrapping_add(i as u16), i * 160, ssrc),
            )
        })
        .collect()
}

fn one_stream(bytes: &[u8]) -> callscope_analysis::rtp::RtpStream {
    let r = support::analyze_bytes(bytes, 4096);
    assert_eq!(r.rtp.streams.len(), 1, "{:#?}", r.rtp.streams);
    r.rtp.streams[0].clone()
}

#[test]
fn synthetic_sequence_wrap() {
    let order: Vec<u32> = (0..100).collect();
    let s = one_stream(&pcap(&pcmu_stream(65500, &order, 1)));
    assert_eq!(
        (s.packets, s.lost, s.wraps, s.sequence_errors),
        (100, 0, 1, 0)
    );
    assert_eq!((s.min_delta_ms, s.max_delta_ms), (20.0, 20.0));
    assert_eq!(s.max_jitter_ms, 0.0);
    assert!(s.confirmed && !s.problem);
}

#[test]
fn synthetic_reordering() {
    let mut order: Vec<u32> = (0..50).collect();
    order.swap(10, 11);
    order.swap(30, 32);
    let s = one_stream(&pcap(&pcmu_stream(100, &order, 1)));
    assert_eq!(s.lost, 0);
    assert_eq!(s.duplicates, 0);
    assert!(s.sequence_errors >= 2 && s.problem);
    assert!(s.max_jitter_ms > 0.0);
}

#[test]
fn synthetic_duplicates_and_loss() {
    let mut order: Vec<u32> = (0..50).filter(|i| *i != 20 && *i != 21).collect();
    order.insert(5, 4);
    order.insert(40, 38);
    let s = one_stream(&pcap(&pcmu_stream(7, &order, 1)));
    assert_eq!(s.packets, 50);
    // 2 lost, 2 duplicated: tshark's lost is expected − received = 0.
    assert_eq!(s.lost, 0);
    assert_eq!(s.duplicates, 2);
    assert_eq!(s.series.iter().map(|p| p.lost).sum::<u32>(), 2);
    assert!(s.mos.is_some());
}

#[test]
fn synthetic_ssrc_change_mid_flow() {
    let order: Vec<u32> = (0..30).collect();
    let mut packets = pcmu_stream(1, &order, 0xaaaa);
    let later: Vec<_> = pcmu_stream(5000, &order, 0xbbbb)
        .into_iter()
        .map(|(t, s, d, p)| (t + 600_000, s, d, p))
        .collect();
    packets.extend(later);
    let r = support::analyze_bytes(&pcap(&packets), 4096);
    let ssrcs: Vec<Ssrc> = r.rtp.streams.iter().map(|s| s.ssrc).collect();
    assert_eq!(ssrcs, [Ssrc(0xaaaa), Ssrc(0xbbbb)]);
    assert_eq!(ssrcs[0].to_string(), "0x0000aaaa");
    assert!(r.rtp.streams.iter().all(|s| s.lost == 0 && s.packets == 30));
}

#[test]
fn synthetic_timestamp_jump() {
    // After 20 packets the timestamp jumps by 10 s (a new talkspurt without marker): tshark's
    // jitter shows the jump; the jitter buffer resynchronises instead of discarding the rest.
    let mut packets = Vec::new();
    for i in 0..40u32 {
        let ts = i * 160 + if i >= 20 { 80_000 } else { 0 };
        packets.push((
            i64::from(i) * 20_000,
            40000,
            40002,
            rtp(0, false, i as u16, ts, 3),
        ));
    }
    let s = one_stream(&pcap(&packets));
    assert!(
        (s.max_jitter_ms - 10_000.0 / 16.0).abs() < 1e-6,
        "{}",
        s.max_jitter_ms
    );
    assert_eq!(s.late_discards, 0);
    // A timestamp before the first: "wrong timestamp", a problem.
    let mut back = packets.clone();
    back.push((41 * 20_000, 40000, 40002, rtp(0, false, 40, 0xffff_0000, 3)));
    let s = one_stream(&pcap(&back));
    assert!(s.problem);
}

/// sip__FAX-Call: the media gateway controller's H.248 Modify (frame 1434) gives the gateway's
/// port 16756 to T.38 while the far end stays audio. tshark looks conversations up by
/// destination first, so the 27 packets sent to 16756 after it are T.38 (malformed UDPTL) and
/// not RTP, and the replies stay RTP. Its `io,phs` counts for `megaco` and `t38` must be ours.
#[test]
fn fax_call_follows_the_gateway_controller_to_t38() {
    let Some(path) = shared_capture("public/sip__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap") else {
        eprintln!("notice: ../shared/captures is absent; FAX capture not checked");
        return;
    };
    let text = std::fs::read_to_string(support::tshark_file(&path)).expect("tshark reference");
    let phs = tshark::hierarchy(&text);
    let tshark_level = |name: &str| {
        phs.iter()
            .find(|(p, _, _)| p.last().is_some_and(|n| n == name))
            .map(|(_, f, b)| (*f, *b))
            .unwrap_or_else(|| panic!("tshark io,phs has no {name}"))
    };
    let r = support::analyze_file(&path);
    let ours = |name: &str| {
        r.hierarchy
            .iter()
            .find(|h| h.path.last().is_some_and(|n| n == name))
            .map(|h| (h.frames, h.bytes))
    };
    assert_eq!(ours("megaco"), Some(tshark_level("megaco")));
    assert_eq!(ours("t38"), Some(tshark_level("t38")));
    assert_eq!(r.sip.megaco.messages, tshark_level("megaco").0);
    assert!(r.sip.megaco.session_descriptions >= 2);
    let to_gateway = r
        .rtp
        .streams
        .iter()
        .find(|s| s.ssrc == Ssrc(0x0eaf0eaf))
        .expect("stream to the gateway");
    assert_eq!(to_gateway.packets, 132, "ends where T.38 starts");
    assert!(to_gateway.call.is_some(), "still bound to the SIP call");
}

/// RFC 4733 key presses against tshark 4.0.17's rtpevent dissector on the reference capture
/// `sip__SIP_DTMF2.cap` (`tshark -r … -Y rtpevent -T fields -e frame.number -e
/// frame.time_relative -e rtpevent.event_id -e rtpevent.end_of_event -e rtpevent.duration`):
/// seven presses, each five packets from its first frame, ended by packets of duration 960
/// (120 ms at 8 kHz).
#[test]
fn dtmf_presses_match_tshark_rtpevent() {
    let Some(dir) = support::shared_captures() else {
        return;
    };
    let r = support::analyze_file(&dir.join("public/sip__SIP_DTMF2.cap"));
    let s = r
        .rtp
        .streams
        .iter()
        .find(|s| s.ssrc == Ssrc(0x5711bf84))
        .unwrap();
    let got: Vec<(&str, u64, f64, f64, bool)> = s
        .dtmf
        .iter()
        .map(|p| {
            (
                p.key.as_str(),
                p.frame,
                (p.start * 1e6).round() / 1e6,
                p.duration_ms,
                p.ended,
            )
        })
        .collect();
    let tshark = [
        ("6", 339, 81.528601),
        ("7", 441, 83.058665),
        ("8", 473, 83.538694),
        ("9", 503, 83.988738),
        ("1", 543, 84.588733),
        ("2", 577, 85.098766),
        ("3", 615, 85.668781),
    ];
    let want: Vec<_> = tshark
        .iter()
        .map(|&(k, f, t)| (k, f, t, 120.0, true))
        .collect();
    assert_eq!(got, want);
    assert_eq!(s.event_packets, 35);
    assert_eq!(s.dtmf_dropped, 0);
}

/// The generated tone call (`tests/captures/audio/tone-pcmu.pcap`, see its README): "1" at 2.2 s
/// and "#" at 2.7 s, each 100 ms, on the caller's stream only.
#[test]
fn dtmf_presses_of_the_generated_call() {
    let r = support::analyze_file(&support::root().join("tests/captures/audio/tone-pcmu.pcap"));
    let presses: Vec<(Ssrc, &str, f64, f64)> = r
        .rtp
        .streams
        .iter()
        .flat_map(|s| {
            s.dtmf
                .iter()
                .map(move |p| (s.ssrc, p.key.as_str(), p.start, p.duration_ms))
        })
        .collect();
    assert_eq!(
        presses,
        [
            (Ssrc(0x11111111), "1", 2.2, 100.0),
            (Ssrc(0x11111111), "#", 2.7, 100.0)
        ]
    );
}
