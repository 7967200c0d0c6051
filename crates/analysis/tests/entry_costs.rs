//! What one entry of each budgeted table costs, measured: a capture that fills one table with
//! exactly its bound at the default budget is analysed under a counting allocator, and the
//! bytes held (the analysis state when the last packet is in, plus the report it builds) are
//! divided by the entries. Each figure must stay within the `entry_bytes` that
//! `callscope_analysis::budget` charges the table, or the budget's shares are wrong.
//!
//! A target of its own (not in `tests/integration`): the global allocator counts every thread of
//! the binary, so nothing else may run beside it; it is one `#[test]`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use callscope_analysis::budget::{self, Table};
use callscope_analysis::{Analyzer, Options};
use callscope_wire::testing::{self, tcp_flags, Pcap};

#[global_allocator]
static ALLOCATOR: cap::Cap<System> = cap::Cap::new(System, usize::MAX);

const RAW_IP: u32 = 101;

fn sock(a: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(a), port))
}

/// The `i`th of many distinct host addresses (10.128.0.0/9).
fn host(i: usize) -> [u8; 4] {
    let n = 0x0a80_0000u32 + i as u32;
    n.to_be_bytes()
}

/// Bytes held by analysing `capture`: the state after the last packet plus the report.
fn held(capture: &[u8]) -> usize {
    let before = ALLOCATOR.allocated();
    let mut analyzer = Analyzer::new(Options::default());
    analyzer.feed(capture).unwrap();
    let state = ALLOCATOR.allocated() - before;
    let report = analyzer.finish();
    let report_bytes = ALLOCATOR.allocated() - before;
    drop(report);
    state + report_bytes
}

fn capture(packets: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut pcap = Pcap::new(RAW_IP);
    for (i, p) in packets.enumerate() {
        pcap.record(1_000_000 + i as i64 * 10, &p);
    }
    pcap.into_bytes()
}

fn invite(call_id: &str, branch: usize) -> String {
    format!(
        "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{branch}\r\n\
From: <sip:alice@example.com>;tag={branch}\r\nTo: <sip:bob@example.com>\r\nCall-ID: {call_id}\r\n\
CSeq: 1 INVITE\r\nContact: <sip:alice@10.0.0.1:5060>\r\nContent-Length: 0\r\n\r\n"
    )
}

/// One case: the table it fills, and what each entry brings besides (tables measured before).
struct Measured {
    table: &'static Table,
    bytes_each: usize,
}

#[test]
fn each_entry_costs_no_more_than_the_budget_charges() {
    let base = held(&capture(std::iter::once(testing::ip_udp(
        sock([10, 0, 0, 1], 1),
        sock([192, 0, 2, 1], 9),
        b"ping",
    ))));
    let per = |bytes: usize, n: usize| bytes.saturating_sub(base) / n;
    let mut measured = Vec::new();

    // Flows: distinct 5-tuples between the same two hosts.
    let n = budget::FLOWS.at_default;
    let flow = per(
        held(&capture((0..n).map(|i| {
            testing::ip_udp(
                sock([10, 0, 0, 1], 1024 + (i % 60_000) as u16),
                sock([192, 0, 2, 1], 9 + (i / 60_000) as u16),
                b"ping",
            )
        }))),
        n,
    );
    measured.push(Measured {
        table: &budget::FLOWS,
        bytes_each: flow,
    });

    // Endpoints: a flow from each of as many hosts.
    let n = budget::ENDPOINTS.at_default;
    let endpoint = per(
        held(&capture((0..n).map(|i| {
            testing::ip_udp(sock(host(i), 1024), sock([192, 0, 2, 1], 9), b"ping")
        }))),
        n,
    )
    .saturating_sub(flow);
    measured.push(Measured {
        table: &budget::ENDPOINTS,
        bytes_each: endpoint,
    });

    // RTP streams: one packet on each of as many port pairs (a flow each).
    let n = budget::RTP_STREAMS.at_default;
    let stream = per(
        held(&capture((0..n).map(|i| {
            let mut rtp = vec![0x80, 0, 0, 1, 0, 0, 0, 160];
            rtp.extend_from_slice(&(i as u32).to_be_bytes());
            rtp.extend_from_slice(&[0xd5; 20]);
            testing::ip_udp(
                sock([10, 1, 0, 1], 10_000 + i as u16),
                sock([10, 2, 0, 1], 20_000 + i as u16),
                &rtp,
            )
        }))),
        n,
    )
    .saturating_sub(flow);
    measured.push(Measured {
        table: &budget::RTP_STREAMS,
        bytes_each: stream,
    });

    // SIP Call-IDs: as many unanswered INVITEs on one flow.
    let n = budget::SIP_CALL_IDS.at_default;
    let call = per(
        held(&capture((0..n).map(|i| {
            testing::ip_udp(
                sock([10, 0, 0, 1], 5060),
                sock([192, 0, 2, 3], 5060),
                invite(&format!("call{i}@example.com"), i).as_bytes(),
            )
        }))),
        n,
    );
    measured.push(Measured {
        table: &budget::SIP_CALL_IDS,
        bytes_each: call,
    });

    // STUN transactions: as many Binding requests on one flow.
    let n = budget::STUN_TRANSACTIONS.at_default;
    let transaction = per(
        held(&capture((0..n).map(|i| {
            let mut m = vec![0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42];
            m.extend_from_slice(&(i as u32).to_be_bytes());
            m.extend_from_slice(&[7; 8]);
            testing::ip_udp(sock([10, 0, 0, 1], 50_000), sock([192, 0, 2, 4], 3478), &m)
        }))),
        n,
    );
    measured.push(Measured {
        table: &budget::STUN_TRANSACTIONS,
        bytes_each: transaction,
    });

    // TCP streams: SIP-over-TCP connections whose data waits behind a gap (a flow each; the
    // held bytes are the TCP byte table's, not the stream's).
    let n = budget::TCP_STREAMS.at_default;
    let data = invite("gap@example.com", 1);
    let stream_capture = capture((0..n).flat_map(|i| {
        let (a, b) = (
            sock([10, 3, (i >> 8) as u8, i as u8], 40_000),
            sock([192, 0, 2, 2], 5060),
        );
        let syn = testing::tcp(a, b, 1000, 0, tcp_flags::SYN, b"");
        let first = testing::tcp(a, b, 1001, 1, tcp_flags::PSH | tcp_flags::ACK, b"INVITE ");
        let late = testing::tcp(
            a,
            b,
            1108,
            1,
            tcp_flags::PSH | tcp_flags::ACK,
            data.as_bytes(),
        );
        [syn, first, late].map(|t| testing::ip(a.ip(), b.ip(), 6, &t))
    }));
    let tcp_stream = per(held(&stream_capture), n).saturating_sub(flow + endpoint + data.len());
    measured.push(Measured {
        table: &budget::TCP_STREAMS,
        bytes_each: tcp_stream,
    });

    let mut over = Vec::new();
    for m in &measured {
        eprintln!(
            "{:<18} {:>6} entries: {:>5} bytes each (the budget charges {})",
            m.table.name, m.table.at_default, m.bytes_each, m.table.entry_bytes
        );
        if m.bytes_each > m.table.entry_bytes {
            over.push(m.table.name);
        }
        assert!(m.bytes_each > 0, "{}: nothing measured", m.table.name);
    }
    assert!(
        over.is_empty(),
        "entries cost more than budget.rs says: {over:?}"
    );
}
