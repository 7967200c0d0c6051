//! STUN and TURN against tshark 4.0.17: every reference capture's `-Y stun` field dump
//! (`NAME.tshark.txt`) — the same number of STUN messages (rows with a message type; a TCP segment
//! with two messages is one row with two types) as `stun.messages`, the same number of ChannelData
//! frames (rows without a type) as `stun.channel_data`, the same transaction IDs, and the same
//! XOR-encoded IPv4 addresses per transaction. Captures without STUN must yield none. Then what
//! the coturn capture (`stun.pcap`) must show, and classic RFC 3489 STUN (tshark's `classicstun`).

use crate::support;
use callscope_analysis::report::Socket;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::path::Path;

use callscope_analysis::Report;
use support::tshark;

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// One `-Y stun` row: frame, ip.src, ipv6.src, udp.srcport, tcp.srcport, stun.type, stun.id,
/// stun.att.ipv4-xord, stun.att.port-xord, stun.att.error.
struct Row<'a> {
    f: Vec<&'a str>,
}

impl<'a> Row<'a> {
    fn list(&self, i: usize) -> Vec<&'a str> {
        self.f
            .get(i)
            .map(|s| s.split(',').filter(|v| !v.is_empty()).collect())
            .unwrap_or_default()
    }
    /// tshark also dissects the STUN message an ICMP error quotes: the row then has two source
    /// addresses (the ICMP sender's and the quoted packet's). That copy is not a message on the
    /// wire, so such rows are left out of the message comparison; callscope counts them as ICMP
    /// errors on the conversation they quote instead.
    fn icmp_quoted(&self) -> bool {
        self.f.get(1).is_some_and(|s| s.contains(','))
            || self.f.get(2).is_some_and(|s| s.contains(','))
    }
    /// The XOR addresses it shows, as `ip:port` when tshark lists as many ports as IPv4 addresses
    /// (IPv6 and RESPONSE-PORT also fill the port column), else as bare IPv4 addresses.
    fn xor_addresses(&self) -> BTreeSet<String> {
        let ips: Vec<Ipv4Addr> = self
            .list(7)
            .iter()
            .map(|h| Ipv4Addr::from(u32::from_str_radix(h, 16).unwrap() ^ 0x2112_a442))
            .collect();
        let ports: Vec<u16> = self
            .list(8)
            .iter()
            .map(|h| u16::from_str_radix(h, 16).unwrap() ^ 0x2112)
            .collect();
        if ips.len() == ports.len() {
            ips.iter()
                .zip(&ports)
                .map(|(ip, p)| format!("{ip}:{p}"))
                .collect()
        } else {
            ips.iter().map(|ip| ip.to_string()).collect()
        }
    }
}

fn rows(text: &str) -> Vec<Row<'_>> {
    tshark::section(text, "-Y stun -T fields")
        .unwrap_or_default()
        .into_iter()
        .map(|l| Row {
            f: l.split('\t').collect(),
        })
        .filter(|r| r.f.len() > 6 && r.f[0].parse::<u64>().is_ok())
        .collect()
}

/// Indications (class bits 0b01) are not transactions.
fn is_indication(t: &str) -> bool {
    u16::from_str_radix(t.trim_start_matches("0x"), 16).unwrap() & 0x0110 == 0x0010
}

/// Our XOR-encoded IPv4 addresses of a transaction, in both spellings.
fn our_xor(t: &callscope_analysis::stun::StunTransaction) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut all: Vec<&Socket> = t.peers.iter().collect();
    all.extend(t.relayed.iter());
    if t.mapped_from.as_deref() == Some("XOR-MAPPED-ADDRESS") {
        all.extend(t.mapped.iter());
    }
    let v4: Vec<&Socket> = all.into_iter().filter(|a| a.is_ipv4()).collect();
    let full = v4.iter().map(|a| a.to_string()).collect();
    let ips = v4.iter().map(|a| a.ip().to_string()).collect();
    (full, ips)
}

#[test]
fn every_reference_capture_matches_tshark_stun() {
    let captures = support::reference_captures();
    assert!(!captures.is_empty(), "no reference captures found");
    let mut failures = Vec::new();
    let (mut with_stun, mut total_messages, mut total_cd, mut icmp) = (0, 0u64, 0u64, 0);
    for path in &captures {
        let text = std::fs::read_to_string(support::tshark_file(path)).expect("tshark reference");
        let r: Report = support::analyze_file(path);
        let name = name(path);
        let mut fail = |what: String| failures.push(format!("{name}: {what}"));
        let all = rows(&text);
        let quoted = all.iter().filter(|r| r.icmp_quoted()).count();
        icmp += quoted;
        let rows: Vec<&Row> = all.iter().filter(|r| !r.icmp_quoted()).collect();
        // ... but each is an ICMP error on the STUN conversation it quotes (which may have more:
        // an error quoting its ChannelData or media is not a STUN message to tshark).
        let on_stun: u64 = r
            .conversations
            .iter()
            .filter(|c| matches!(c.protocol.as_deref(), Some("stun" | "classicstun")))
            .flat_map(|c| &c.icmp_errors)
            .map(|e| e.count)
            .sum();
        if on_stun < quoted as u64 {
            fail(format!(
                "{on_stun} ICMP errors on STUN conversations, tshark dissects {quoted} quoted STUN messages"
            ));
        }

        let messages: u64 = rows.iter().map(|r| r.list(5).len() as u64).sum();
        let channel_data = rows.iter().filter(|r| r.list(5).is_empty()).count() as u64;
        if r.stun.messages != messages {
            fail(format!(
                "{} STUN messages, tshark {messages}",
                r.stun.messages
            ));
        }
        if r.stun.channel_data != channel_data {
            fail(format!(
                "{} ChannelData, tshark {channel_data}",
                r.stun.channel_data
            ));
        }

        // Transaction IDs of requests and responses.
        let mut theirs: BTreeMap<String, (BTreeSet<String>, bool)> = BTreeMap::new();
        for row in &rows {
            let types = row.list(5);
            let ids = row.list(6);
            let single = ids.len() == 1;
            for (t, id) in types.iter().zip(&ids) {
                if is_indication(t) {
                    continue;
                }
                let e = theirs.entry(format!("0x{id}")).or_default();
                e.0.extend(row.xor_addresses());
                e.1 |= !single;
            }
        }
        let ours: BTreeMap<&String, &callscope_analysis::stun::StunTransaction> = r
            .stun
            .transactions
            .iter()
            .filter(|t| !t.classic)
            .map(|t| (&t.id, t))
            .collect();
        let their_ids: BTreeSet<&String> = theirs.keys().collect();
        let our_ids: BTreeSet<&String> = ours.keys().copied().collect();
        for id in their_ids.difference(&our_ids) {
            fail(format!("transaction {id} missing"));
        }
        for id in our_ids.difference(&their_ids) {
            fail(format!("transaction {id} not in tshark"));
        }
        // XOR addresses per transaction (rows with two messages share their addresses).
        for (id, (addrs, shared_row)) in &theirs {
            let Some(t) = ours.get(id) else { continue };
            let (full, ips) = our_xor(t);
            let exact = addrs.iter().all(|a| a.contains(':'));
            let mine = if exact { &full } else { &ips };
            let fits = if *shared_row {
                mine.is_subset(addrs)
            } else {
                mine == addrs
            };
            if !fits {
                fail(format!(
                    "{id}: XOR addresses ours {mine:?}, tshark {addrs:?}"
                ));
            }
        }
        if messages + channel_data > 0 {
            with_stun += 1;
        }
        total_messages += messages;
        total_cd += channel_data;
    }
    eprintln!(
        "checked {} captures ({with_stun} with STUN: {total_messages} messages, {total_cd} ChannelData; {icmp} ICMP-quoted rows left out) against tshark",
        captures.len()
    );
    assert!(with_stun >= 7, "only {with_stun} captures with STUN found");
    assert!(
        failures.is_empty(),
        "{} differences from tshark:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// coturn 4.6.1 (`stun.pcap` and `.pcapng`): Binding requests, RFC 5780 tests answered with 420,
/// TURN Allocate challenged with 401 then allocated, over UDP and TCP, with CreatePermission,
/// ChannelBind, ChannelData and Refresh.
#[test]
fn coturn_capture_shows_errors_allocations_and_channels() {
    let Some(shared) = support::shared_captures() else {
        eprintln!("notice: ../shared/captures is absent; skipped");
        return;
    };
    for file in ["stun.pcap", "stun.pcapng"] {
        let r = support::analyze_file(&shared.join("generated").join(file));
        let s = &r.stun;
        assert_eq!(s.errors.get("420"), Some(&1), "{file}: {:?}", s.errors);
        assert!(s.errors.get("401").is_some_and(|&n| n >= 5));
        let binding = s
            .transactions
            .iter()
            .find(|t| t.id == "0x2888a1a0834194ce50c190ab")
            .expect("first Binding");
        assert_eq!(binding.class, callscope_analysis::stun::Outcome::Success);
        assert_eq!(
            binding.mapped.map(|m| m.to_string()).as_deref(),
            Some("10.99.7.2:34829")
        );
        assert!(binding.rtt_ms.is_some());
        let e420 = s
            .transactions
            .iter()
            .find(|t| t.error_code == Some(420))
            .unwrap();
        assert_eq!(
            (e420.method.as_str(), e420.class.as_str()),
            ("Binding", "error")
        );

        let allocated: Vec<_> = s
            .allocations
            .iter()
            .filter(|a| a.relayed.is_some())
            .collect();
        assert_eq!(allocated.len(), 6, "{file}: {:#?}", s.allocations);
        assert!(allocated
            .iter()
            .all(|a| a.challenges == 1 && a.requests == 2));
        assert_eq!(
            allocated
                .iter()
                .filter(|a| a.transport == callscope_analysis::report::Transport::Tcp)
                .count(),
            3
        );
        let bound: Vec<_> = allocated
            .iter()
            .flat_map(|a| a.channels.iter())
            .filter(|c| c.bound_frame.is_some())
            .collect();
        assert!(!bound.is_empty());
        assert!(bound
            .iter()
            .all(|c| c.peer.is_some_and(|p| p.ip().to_string() == "10.99.7.3")));
        let cd: u64 = allocated
            .iter()
            .flat_map(|a| a.channels.iter())
            .map(|c| c.to_peer + c.from_peer)
            .sum();
        assert_eq!(cd, s.channel_data);
        assert!(allocated
            .iter()
            .any(|a| a.permissions == ["10.99.7.3".parse().unwrap()]));
        assert!(allocated.iter().any(|a| a.deleted_frame.is_some()));
        assert_eq!(s.software, ["Coturn-4.6.1 'Gorst'"]);
    }
}

/// RFC 3489 STUN (`stun__classic.pcap`): tshark names it `classicstun` (frames 1–2) and its
/// `-Y stun` dump is empty; callscope counts it apart, as `classic_messages`.
#[test]
fn classic_stun_is_counted_apart() {
    let Some(shared) = support::shared_captures() else {
        return;
    };
    let path = shared.join("public/stun__classic.pcap");
    let text = std::fs::read_to_string(support::tshark_file(&path)).unwrap();
    let classic = tshark::hierarchy(&text)
        .into_iter()
        .find(|(p, _, _)| p.last().map(String::as_str) == Some("classicstun"))
        .map(|(_, frames, _)| frames)
        .unwrap();
    let r = support::analyze_file(&path);
    assert_eq!((r.stun.messages, r.stun.classic_messages), (0, classic));
    let t = &r.stun.transactions[0];
    assert!(t.classic);
    assert_eq!(t.class, callscope_analysis::stun::Outcome::Success);
    assert_eq!(
        t.mapped.map(|m| m.to_string()).as_deref(),
        Some("172.16.63.224:55050")
    );
    assert_eq!(t.mapped_from.as_deref(), Some("MAPPED-ADDRESS"));
    assert!(r
        .hierarchy
        .iter()
        .any(|n| n.path.last().map(String::as_str) == Some("classicstun") && n.frames == classic));
}

/// WebRTC (`stun__stun_dtls_rtp`, `stun__google_meet`): STUN, DTLS and RTP share a port; after
/// STUN, DTLS records are named by their first byte (RFC 7983).
#[test]
fn webrtc_ports_are_demultiplexed() {
    let Some(shared) = support::shared_captures() else {
        return;
    };
    let r = support::analyze_file(&shared.join("public/stun__google_meet.pcapng"));
    assert!(
        r.stun.demux.stun > 0 && r.stun.demux.dtls > 0,
        "{:?}",
        r.stun.demux
    );
    assert!(r
        .hierarchy
        .iter()
        .any(|n| n.path.last().map(String::as_str) == Some("dtls")));
}

#[test]
fn icmp_errors_are_attached_to_the_stun_flows_they_quote() {
    let Some(shared) = support::shared_captures() else {
        eprintln!("notice: ../shared/captures is absent; skipped");
        return;
    };
    // tshark counts the STUN messages quoted by 53 ICMP errors as messages of their own.
    let r = support::analyze_file(&shared.join("public/stun__signal_call.pcapng"));
    let errors: Vec<_> = r
        .conversations
        .iter()
        .flat_map(|c| c.icmp_errors.iter().map(move |e| (c, e)))
        .collect();
    assert_eq!(errors.iter().map(|(_, e)| e.count).sum::<u64>(), 53);
    assert!(errors.iter().all(|(_, e)| e.error == "port unreachable"));
    // The servers refused their port 443 (6 flows, 47 errors from the servers themselves); the
    // host refused 3478 replies after its sockets closed (6 flows, 1 each, from the host).
    let (from_server, from_host): (Vec<_>, Vec<_>) = errors
        .iter()
        .partition(|(c, e)| c.b.to_string().starts_with(&format!("{}:", e.from)));
    assert_eq!(from_server.iter().map(|(_, e)| e.count).sum::<u64>(), 47);
    assert!(from_server
        .iter()
        .all(|(c, _)| c.b.to_string().ends_with(":443")));
    assert_eq!(from_server.len(), 6);
    assert_eq!(from_host.len(), 6);
    assert!(from_host.iter().all(|(_, e)| e.count == 1));
    assert!(from_host.iter().all(
        |(c, e)| c.a.to_string().starts_with(&format!("{}:", e.from))
            && c.b.to_string().ends_with(":3478")
    ));
    assert!(errors
        .iter()
        .all(|(c, _)| c.protocol.as_deref() == Some("stun")));
}
