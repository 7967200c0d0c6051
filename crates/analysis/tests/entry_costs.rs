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
    // Bytes per entry of `table` when `packet(i)` for i below its default bound fill it, less
    // what each entry brings of the tables measured before (`besides`).
    let mut measured: Vec<Measured> = Vec::new();
    let mut per_entry =
        |table: &'static Table, besides: usize, packet: &dyn Fn(usize) -> Vec<Vec<u8>>| {
            let n = table.at_default;
            let bytes = held(&capture((0..n).flat_map(packet)));
            let bytes_each = (bytes.saturating_sub(base) / n).saturating_sub(besides);
            measured.push(Measured { table, bytes_each });
            bytes_each
        };

    // Flows: distinct 5-tuples between the same two hosts.
    let flow = per_entry(&budget::FLOWS, 0, &|i| {
        vec![testing::ip_udp(
            sock([10, 0, 0, 1], 1024 + (i % 60_000) as u16),
            sock([192, 0, 2, 1], 9 + (i / 60_000) as u16),
            b"ping",
        )]
    });
    // Endpoints: a flow from each of as many hosts.
    let endpoint = per_entry(&budget::ENDPOINTS, flow, &|i| {
        vec![testing::ip_udp(
            sock(host(i), 1024),
            sock([192, 0, 2, 1], 9),
            b"ping",
        )]
    });
    // RTP streams: one packet on each of as many port pairs (a flow each).
    per_entry(&budget::RTP_STREAMS, flow, &|i| {
        vec![testing::ip_udp(
            sock([10, 1, 0, 1], 10_000 + i as u16),
            sock([10, 2, 0, 1], 20_000 + i as u16),
            &testing::rtp_pcmu(i as u32),
        )]
    });
    // SIP Call-IDs: as many unanswered INVITEs on one flow.
    per_entry(&budget::SIP_CALL_IDS, 0, &|i| {
        let invite = testing::unanswered_invite(&format!("call{i}@example.com"), i as u32);
        vec![testing::ip_udp(
            sock([10, 0, 0, 1], 5060),
            sock([192, 0, 2, 3], 5060),
            invite.as_bytes(),
        )]
    });
    // STUN transactions: as many Binding requests on one flow.
    per_entry(&budget::STUN_TRANSACTIONS, 0, &|i| {
        vec![testing::ip_udp(
            sock([10, 0, 0, 1], 50_000),
            sock([192, 0, 2, 4], 3478),
            &testing::stun_binding_request(i as u32),
        )]
    });
    // TCP streams: SIP-over-TCP connections whose data waits behind a gap (a flow and an
    // endpoint each; the held bytes are the TCP byte table's, not the stream's).
    let data = testing::unanswered_invite("gap@example.com", 1);
    per_entry(&budget::TCP_STREAMS, flow + endpoint + data.len(), &|i| {
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
        [syn, first, late]
            .map(|t| testing::ip(a.ip(), b.ip(), 6, &t))
            .to_vec()
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
