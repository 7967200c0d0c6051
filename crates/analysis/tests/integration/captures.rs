//! Every reference capture against tshark 4.0.17's verdict on it (`NAME.tshark.txt`): packet count
//! (capinfos), endpoints (`-z endpoints,ip/ipv6`), conversations (`-z conv,udp/tcp`, compared on
//! totals per unordered 5-tuple because tshark splits SDP-created conversations into one-way rows),
//! and the link/network/transport levels of the protocol hierarchy (`-z io,phs`), with RFC 3948's
//! `udpencap` level and the ESP and IKE inside it.

use crate::support;

use std::collections::BTreeMap;

use support::tshark;

/// tshark prints IPv6 socket addresses without brackets (`::1:443`); the report uses `[::1]:443`.
fn tshark_style(addr: &str) -> String {
    addr.replacen('[', "", 1).replacen(']', "", 1)
}

fn unordered(a: &str, b: &str) -> (String, String) {
    let (a, b) = (tshark_style(a), tshark_style(b));
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

#[test]
fn every_reference_capture_matches_tshark() {
    let captures = support::reference_captures();
    assert!(!captures.is_empty(), "no reference captures found");
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in &captures {
        let text = std::fs::read_to_string(support::tshark_file(path)).expect("tshark reference");
        let report = support::analyze_file(path);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let mut fail = |what: String| failures.push(format!("{name}: {what}"));

        // capinfos
        let expected = tshark::packets(&text).expect("capinfos packet count");
        if report.capture.packets != expected {
            fail(format!(
                "packets {} != capinfos {expected}",
                report.capture.packets
            ));
        }

        // endpoints
        let theirs = tshark::endpoints(&text);
        let ours: BTreeMap<String, tshark::EndpointRow> = report
            .endpoints
            .iter()
            .map(|e| {
                (
                    e.addr.to_string(),
                    tshark::EndpointRow {
                        packets: e.packets,
                        bytes: e.bytes,
                        tx_packets: e.tx_packets,
                        tx_bytes: e.tx_bytes,
                        rx_packets: e.rx_packets,
                        rx_bytes: e.rx_bytes,
                    },
                )
            })
            .collect();
        for (addr, row) in &theirs {
            match ours.get(addr) {
                Some(o) if o == row => {}
                Some(o) => fail(format!("endpoint {addr}: ours {o:?} tshark {row:?}")),
                None => fail(format!("endpoint {addr} missing")),
            }
        }
        for addr in ours.keys().filter(|a| !theirs.contains_key(*a)) {
            fail(format!("endpoint {addr} not in tshark"));
        }

        // conversations, summed per unordered pair
        for transport in ["udp", "tcp"] {
            let mut theirs: BTreeMap<(String, String), (u64, Vec<tshark::Bytes>)> = BTreeMap::new();
            for row in tshark::conversations(&text, transport) {
                let e = theirs.entry(unordered(&row.a, &row.b)).or_default();
                e.0 += row.frames;
                e.1.push(row.bytes);
            }
            let ours: BTreeMap<(String, String), (u64, u64)> = report
                .conversations
                .iter()
                .filter(|c| c.transport.to_string() == transport)
                .map(|c| {
                    let pair = unordered(&c.a.to_string(), &c.b.to_string());
                    (pair, (c.packets, c.bytes))
                })
                .collect();
            for (pair, (frames, bytes)) in &theirs {
                match ours.get(pair) {
                    None => fail(format!("{transport} conversation {pair:?} missing")),
                    Some((p, b)) => {
                        if p != frames {
                            fail(format!(
                                "{transport} {pair:?}: {p} packets, tshark {frames}"
                            ));
                        }
                        // Exact when tshark printed exact bytes for a single row.
                        if let [only] = bytes.as_slice() {
                            if !only.matches(*b) {
                                fail(format!("{transport} {pair:?}: {b} bytes, tshark {only:?}"));
                            }
                        }
                    }
                }
            }
            for pair in ours.keys().filter(|p| !theirs.contains_key(*p)) {
                fail(format!("{transport} conversation {pair:?} not in tshark"));
            }
        }

        // hierarchy: the link, network and transport levels
        const LOWER: [&str; 13] = [
            "eth", "vlan", "null", "sll", "raw", "pktap", "ip", "ipv6", "udp", "tcp", "arp",
            "icmp", "icmpv6",
        ];
        let ours: BTreeMap<Vec<String>, (u64, u64)> = report
            .hierarchy
            .iter()
            .map(|n| (n.path.clone(), (n.frames, n.bytes)))
            .collect();
        // ... and RFC 3948's UDP encapsulation with what it carries.
        const ENCAP: [&str; 3] = ["udpencap", "esp", "isakmp"];
        for (path, frames, bytes) in tshark::hierarchy(&text) {
            let lower = path.iter().all(|p| LOWER.contains(&p.as_str()));
            let encap = path.iter().any(|p| p == "udpencap")
                && path
                    .iter()
                    .all(|p| LOWER.contains(&p.as_str()) || ENCAP.contains(&p.as_str()));
            if !lower && !encap {
                continue;
            }
            match ours.get(&path) {
                Some(&(f, b)) if (f, b) == (frames, bytes) => {}
                other => fail(format!(
                    "hierarchy {}: ours {other:?} tshark ({frames}, {bytes})",
                    path.join("/")
                )),
            }
        }
        checked += 1;
    }
    eprintln!("checked {checked} captures against tshark");
    assert!(
        failures.is_empty(),
        "{} differences from tshark:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The page reads back the report the worker serialized: every report must deserialize to itself
/// (a field skipped when empty needs a default, or the page fails on that capture).
#[test]
fn every_report_round_trips_through_json() {
    for path in support::reference_captures() {
        let report = support::analyze_file(&path);
        let json = serde_json::to_string(&report).expect("serialize");
        let back: callscope_analysis::Report =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            back == report,
            "{}: the report changed on its way through JSON",
            path.display()
        );
    }
}
