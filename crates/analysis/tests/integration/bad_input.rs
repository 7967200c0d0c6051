//! Hostile and broken files through the whole `Analyzer`: each yields a report that keeps what was
//! read, says what went wrong, and never panics.

use std::io::Write;

use std::net::SocketAddr;

use callscope_analysis::{Analyzer, Options, ReadError, Report};
use callscope_wire::testing::{self, Ipv4, Pcap};
use flate2::write::GzEncoder;
use flate2::Compression;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Building files
// ---------------------------------------------------------------------------------------------

/// A little-endian µs pcap global header (pcap draft §4).
fn pcap_header(link_type: u32) -> Vec<u8> {
    Pcap::header(link_type)
}

/// A pcap record header at `secs` claiming `caplen` bytes.
fn record_header(secs: u32, caplen: u32, orig_len: u32) -> Vec<u8> {
    Pcap::record_header(i64::from(secs) * 1_000_000, caplen, orig_len)
}

fn record(secs: u32, data: &[u8]) -> Vec<u8> {
    let mut v = record_header(secs, data.len() as u32, data.len() as u32);
    v.extend_from_slice(data);
    v
}

/// An IPv4 header from 10.0.0.1 to 10.0.0.2 for `payload_len` bytes of `protocol` (the payload
/// itself is the caller's, possibly shorter or longer than announced).
fn ipv4_header(protocol: u8, flags_offset: u16, payload_len: usize) -> Vec<u8> {
    let mut h = Ipv4 {
        protocol,
        id: 0x0101,
        offset: usize::from(flags_offset & 0x1fff) * 8,
        more: flags_offset & 0x2000 != 0,
        dont_fragment: flags_offset & 0x4000 != 0,
        ..Ipv4::default()
    }
    .emit(&[]);
    h[2..4].copy_from_slice(&((20 + payload_len) as u16).to_be_bytes());
    h
}

/// Ethernet + IPv4 + UDP 40000 → 5060 with a 4-byte payload: 46 bytes.
fn eth_udp_packet() -> Vec<u8> {
    let (src, dst) = (
        SocketAddr::from(([10, 0, 0, 1], 40000)),
        SocketAddr::from(([10, 0, 0, 2], 5060)),
    );
    testing::ethernet(&testing::ip_udp(src, dst, b"ping"))
}

/// An Ethernet pcap with `n` copies of [`eth_udp_packet`], one second apart.
fn udp_pcap(n: u32) -> Vec<u8> {
    let mut f = Pcap::new(1);
    for i in 0..n {
        f.record(i64::from(1_700_000_000 + i) * 1_000_000, &eth_udp_packet());
    }
    f.into_bytes()
}

/// A pcapng block: type, length, body, length (little-endian).
fn ng_block(block_type: u32, body: &[u8]) -> Vec<u8> {
    let len = 12 + body.len() as u32;
    let mut v = Vec::new();
    v.extend(block_type.to_le_bytes()); // block type
    v.extend(len.to_le_bytes()); // total length
    v.extend_from_slice(body);
    v.extend(len.to_le_bytes()); // total length again
    v
}

/// Section header block and one interface of `link_type`.
fn pcapng_header(link_type: u16) -> Vec<u8> {
    let mut shb = Vec::new();
    shb.extend(0x1a2b_3c4du32.to_le_bytes()); // byte-order magic
    shb.extend(1u16.to_le_bytes()); // major version
    shb.extend(0u16.to_le_bytes()); // minor version
    shb.extend([0xff; 8]); // section length unknown
    let mut idb = Vec::new();
    idb.extend(link_type.to_le_bytes()); // link type
    idb.extend(0u16.to_le_bytes()); // reserved
    idb.extend(0u32.to_le_bytes()); // snaplen
    let mut f = ng_block(0x0a0d_0d0a, &shb);
    f.extend(ng_block(1, &idb));
    f
}

/// An enhanced packet block on interface 0 (data padded to 4 bytes).
fn ng_epb(ts_us: u64, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(0u32.to_le_bytes()); // interface id
    body.extend(((ts_us >> 32) as u32).to_le_bytes()); // timestamp upper
    body.extend((ts_us as u32).to_le_bytes()); // timestamp lower
    body.extend((data.len() as u32).to_le_bytes()); // captured length
    body.extend((data.len() as u32).to_le_bytes()); // original length
    body.extend_from_slice(data);
    while body.len() % 4 != 0 {
        body.push(0);
    }
    ng_block(6, &body)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Feeds `bytes` in one piece; returns the feed result and the report.
fn analyze(bytes: &[u8]) -> (Result<(), ReadError>, Report) {
    let mut a = Analyzer::new(Options::default());
    let fed = a.feed(bytes);
    (fed, a.finish())
}

fn error_of(report: &Report) -> &str {
    report
        .capture
        .error
        .as_deref()
        .expect("the report says what went wrong")
}

// ---------------------------------------------------------------------------------------------
// Unreadable files
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_file() {
    let report = Analyzer::new(Options::default()).finish();
    assert_eq!(report.capture.format, "");
    assert_eq!(report.capture.packets, 0);
    assert_eq!(error_of(&report), "the file is empty");
    assert!(!report.capture.truncated);
}

#[test]
fn bad_magic() {
    let (fed, report) = analyze(b"<!DOCTYPE html><html></html>");
    assert_eq!(
        fed,
        Err(ReadError::BadMagic {
            magic: "3c21444f".into()
        })
    );
    assert_eq!(report.capture.format, "");
    assert_eq!(report.capture.packets, 0);
    assert!(
        error_of(&report).starts_with("not a capture file"),
        "{}",
        error_of(&report)
    );
}

#[test]
fn truncated_global_header() {
    let (fed, report) = analyze(&pcap_header(1)[..20]);
    assert_eq!(fed, Ok(()));
    assert_eq!(report.capture.format, "pcap");
    assert_eq!(report.capture.packets, 0);
    assert_eq!(
        error_of(&report),
        "the file ends inside its pcap global header (20 of 24 bytes)"
    );
}

// ---------------------------------------------------------------------------------------------
// Files that break part way
// ---------------------------------------------------------------------------------------------

#[test]
fn truncated_last_record_keeps_the_earlier_packets() {
    let mut file = udp_pcap(3);
    file.truncate(file.len() - 10);
    let (fed, report) = analyze(&file);
    assert_eq!(fed, Ok(()));
    assert_eq!(report.capture.packets, 2);
    assert_eq!(report.capture.bytes, 2 * 46);
    assert!(report.capture.truncated);
    assert!(
        error_of(&report).contains("record 3"),
        "{}",
        error_of(&report)
    );
    assert_eq!(report.conversations.len(), 1);
    assert_eq!(report.conversations[0].packets, 2);
}

#[test]
fn four_gib_caplen_in_the_middle() {
    let mut file = udp_pcap(2);
    file.extend(record_header(1_700_000_002, 0xFFFF_FFFF, 0xFFFF_FFFF)); // claims 4 GiB
    file.extend(record(1_700_000_003, &eth_udp_packet())); // never reached
    let (fed, report) = analyze(&file);
    assert!(
        matches!(fed, Err(ReadError::BadRecord { record: 3, .. })),
        "{fed:?}"
    );
    assert_eq!(report.capture.packets, 2);
    assert!(!report.capture.truncated);
    assert!(
        error_of(&report).contains("caplen 4294967295"),
        "{}",
        error_of(&report)
    );
    assert_eq!(report.conversations[0].packets, 2);
}

#[test]
fn pcapng_bad_block_lengths() {
    for (len, says) in [
        (46u32, "not a multiple of 4"),
        (4, "shorter than 12"),
        (0x0100_0004, "exceeds the 16777216-byte limit"),
    ] {
        let mut file = pcapng_header(1);
        file.extend(ng_epb(1_700_000_000_000_000, &eth_udp_packet()));
        file.extend(6u32.to_le_bytes()); // block type EPB
        file.extend(len.to_le_bytes()); // bad total length
        file.extend([0u8; 40]);
        let (fed, report) = analyze(&file);
        assert!(
            matches!(fed, Err(ReadError::BadRecord { record: 4, .. })),
            "length {len}: {fed:?}"
        );
        assert_eq!(report.capture.format, "pcapng");
        assert_eq!(report.capture.packets, 1, "length {len}");
        assert!(
            error_of(&report).contains(says),
            "length {len}: {}",
            error_of(&report)
        );
    }
}

#[test]
fn corrupt_gzip() {
    let mut gz = gzip(&udp_pcap(3));
    gz[10] = 0xff; // first deflate block header: reserved block type
    let (fed, report) = analyze(&gz);
    assert!(matches!(fed, Err(ReadError::Gzip(_))), "{fed:?}");
    assert_eq!(report.capture.packets, 0);
    assert!(
        error_of(&report).starts_with("gzip: "),
        "{}",
        error_of(&report)
    );
}

#[test]
fn truncated_gzip_keeps_what_inflated() {
    let gz = gzip(&udp_pcap(3));
    let (fed, report) = analyze(&gz[..gz.len() - 8]); // CRC32 and ISIZE missing
    assert_eq!(fed, Ok(()));
    assert_eq!(report.capture.format, "pcap+gzip");
    assert_eq!(report.capture.packets, 3);
    assert!(report.capture.truncated);
    assert!(
        error_of(&report).starts_with("gzip stream"),
        "{}",
        error_of(&report)
    );
}

// ---------------------------------------------------------------------------------------------
// Packets that do not decode
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_link_type_is_counted_not_malformed() {
    let mut file = pcap_header(147); // LINKTYPE_USER0
    for i in 0..3 {
        file.extend(record(i, &eth_udp_packet()));
    }
    let (fed, report) = analyze(&file);
    assert_eq!(fed, Ok(()));
    assert_eq!(report.capture.packets, 3);
    assert_eq!(report.capture.unknown_link_type, 3);
    assert_eq!(report.capture.malformed, 0);
    assert_eq!(report.capture.link_types, vec!["LINKTYPE_147"]);
    assert!(report.conversations.is_empty());
    assert_eq!(report.capture.error, None);
}

#[test]
fn garbage_ip_header_is_malformed_with_a_reason() {
    let mut bad = eth_udp_packet();
    bad[14] = 0x42; // version 4, IHL 2: shorter than any IPv4 header
    let mut file = pcap_header(1);
    file.extend(record(1, &eth_udp_packet()));
    file.extend(record(2, &bad));
    file.extend(record(3, &eth_udp_packet()));
    let (fed, report) = analyze(&file);
    assert_eq!(fed, Ok(()));
    assert_eq!(report.capture.packets, 3);
    assert_eq!(report.capture.malformed, 1);
    let reasons = &report.capture.malformed_reasons;
    assert_eq!(reasons.len(), 1);
    assert_eq!((reasons[0].count, reasons[0].first_frame), (1, 2));
    assert!(
        reasons[0].reason.starts_with("ip: "),
        "{}",
        reasons[0].reason
    );
    assert_eq!(
        report.conversations[0].packets, 2,
        "the good packets still count"
    );
}

#[test]
fn truncated_link_header_is_malformed() {
    let mut file = pcap_header(1);
    file.extend(record(1, &eth_udp_packet()[..10])); // 10 bytes of a 14-byte Ethernet header
    let (_, report) = analyze(&file);
    assert_eq!(report.capture.malformed, 1);
    assert_eq!(
        report.capture.malformed_reasons[0].reason,
        "eth header truncated: need 14 bytes, have 10"
    );
}

// ---------------------------------------------------------------------------------------------
// Arbitrary bytes
// ---------------------------------------------------------------------------------------------

/// Every link type callscope decodes, and one it does not.
const LINK_TYPES: [u32; 13] = [0, 1, 12, 14, 101, 108, 113, 149, 228, 229, 258, 276, 147];

/// Feeds `bytes` in chunks of `chunk`, stopping at the first error, and returns the report.
fn analyze_chunked(bytes: &[u8], chunk: usize) -> Report {
    let mut a = Analyzer::new(Options::for_browser());
    for piece in bytes.chunks(chunk.max(1)) {
        if a.feed(piece).is_err() {
            break;
        }
    }
    let report = a.finish();
    serde_json::to_value(&report).expect("the report serializes");
    report
}

/// A link header of `link_type` announcing IPv4 (or IPv6), so that what follows reaches `decode_ip`.
fn link_prefix(link_type: u32, v6: bool) -> Vec<u8> {
    let ethertype: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
    match link_type {
        0 => vec![if v6 { 30 } else { 2 }, 0, 0, 0], // NULL, host order
        108 => vec![0, 0, 0, if v6 { 24 } else { 2 }], // LOOP, network order
        1 => [&[0u8; 12][..], &ethertype].concat(),  // Ethernet
        113 => [&[0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0][..], &ethertype].concat(), // SLL
        276 => [&ethertype[..], &[0u8; 6], &[0, 1], &[0u8; 10]].concat(), // SLL2
        149 | 258 => {
            let mut v = vec![0u8; 108]; // PKTAP header: length 108, inner DLT RAW, pid 1, "a"
            v[0] = 108;
            v[8] = 12;
            v[52] = 1;
            v[56] = b'a';
            v
        }
        _ => Vec::new(), // RAW, IPV4, IPV6, unknown
    }
}

/// One packet for the property tests: a link header (or none), an IP header (or none), then junk.
fn arbitrary_packet() -> impl Strategy<Value = (bool, Option<(u8, u16)>, Vec<u8>)> {
    (
        any::<bool>(),
        prop::option::of((
            prop::sample::select(vec![1u8, 6, 17, 50, 58, 41, 0]),
            any::<u16>(),
        )),
        prop::collection::vec(any::<u8>(), 0..120),
    )
}

fn build_packet(link_type: u32, with_link: bool, ip: Option<(u8, u16)>, junk: &[u8]) -> Vec<u8> {
    let mut v = if with_link {
        link_prefix(link_type, false)
    } else {
        Vec::new()
    };
    if let Some((protocol, flags_offset)) = ip {
        v.extend(ipv4_header(protocol, flags_offset & 0x2003, junk.len())); // MF and small offsets
    }
    v.extend_from_slice(junk);
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), chunk in 1usize..700) {
        prop_assume!(!bytes.starts_with(&[0x1f, 0x8b])); // gzip could inflate to more records
        let report = analyze_chunked(&bytes, chunk);
        prop_assert!(report.capture.packets <= bytes.len() as u64 / 16);
    }

    #[test]
    fn arbitrary_bytes_after_a_pcap_header(
        link_type in prop::sample::select(LINK_TYPES.to_vec()),
        tail in prop::collection::vec(any::<u8>(), 0..2048),
        chunk in 1usize..700,
    ) {
        let mut file = pcap_header(link_type);
        file.extend(&tail);
        let report = analyze_chunked(&file, chunk);
        prop_assert!(report.capture.packets <= tail.len() as u64 / 16);
    }

    #[test]
    fn arbitrary_bytes_after_a_pcapng_interface(
        link_type in prop::sample::select(LINK_TYPES.to_vec()),
        tail in prop::collection::vec(any::<u8>(), 0..2048),
        chunk in 1usize..700,
    ) {
        let mut file = pcapng_header(link_type as u16);
        file.extend(&tail);
        let report = analyze_chunked(&file, chunk);
        // The smallest packet block (a simple packet block) is 16 bytes.
        prop_assert!(report.capture.packets <= tail.len() as u64 / 16);
    }

    #[test]
    fn arbitrary_packets_in_pcap_records(
        link_type in prop::sample::select(LINK_TYPES.to_vec()),
        packets in prop::collection::vec(arbitrary_packet(), 0..24),
        chunk in 1usize..700,
    ) {
        let mut file = pcap_header(link_type);
        for (i, (with_link, ip, junk)) in packets.iter().enumerate() {
            file.extend(record(i as u32, &build_packet(link_type, *with_link, *ip, junk)));
        }
        let report = analyze_chunked(&file, chunk);
        prop_assert_eq!(report.capture.packets, packets.len() as u64);
        prop_assert_eq!(report.capture.error, None);
        prop_assert!(report.capture.malformed + report.capture.unknown_link_type <= packets.len() as u64);
        if link_type == 147 {
            prop_assert_eq!(report.capture.unknown_link_type, packets.len() as u64);
        }
    }

    #[test]
    fn arbitrary_packets_in_pcapng_blocks(
        link_type in prop::sample::select(LINK_TYPES.to_vec()),
        packets in prop::collection::vec(arbitrary_packet(), 0..24),
        chunk in 1usize..700,
    ) {
        let mut file = pcapng_header(link_type as u16);
        for (i, (with_link, ip, junk)) in packets.iter().enumerate() {
            file.extend(ng_epb(i as u64, &build_packet(link_type, *with_link, *ip, junk)));
        }
        let report = analyze_chunked(&file, chunk);
        prop_assert_eq!(report.capture.packets, packets.len() as u64);
        prop_assert_eq!(report.capture.error, None);
    }
}

/// A pcapng section with one Ethernet interface whose timestamps are whole seconds
/// (`if_tsresol` 0) moved by `offset_secs` (`if_tsoffset`), and a frame at each of `ts`.
fn pcapng_with_times(offset_secs: i64, ts: &[u64]) -> Vec<u8> {
    let mut shb = Vec::new();
    shb.extend(0x1a2b_3c4du32.to_le_bytes());
    shb.extend(1u16.to_le_bytes());
    shb.extend(0u16.to_le_bytes());
    shb.extend([0xff; 8]);
    let mut idb = Vec::new();
    idb.extend(1u16.to_le_bytes()); // Ethernet
    idb.extend(0u16.to_le_bytes());
    idb.extend(0u32.to_le_bytes());
    idb.extend([9, 0, 1, 0, 0, 0, 0, 0]); // if_tsresol = 10^0: seconds
    idb.extend([14, 0, 8, 0]); // if_tsoffset
    idb.extend(offset_secs.to_le_bytes());
    idb.extend([0, 0, 0, 0]); // opt_endofopt
    let mut f = ng_block(0x0a0d_0d0a, &shb);
    f.extend(ng_block(1, &idb));
    for &t in ts {
        f.extend(ng_epb(t, &eth_udp_packet()));
    }
    f
}

/// Timestamps at the ends of what the formats can say: durations are never negative, times
/// never wrap, and each absurd timestamp is a counted problem.
#[test]
fn extreme_timestamps_neither_wrap_nor_go_negative() {
    for (offset, ts) in [
        (i64::MIN, vec![0u64, 5]),
        (i64::MAX, vec![0, 5]),
        (0, vec![u64::MAX - 1, u64::MAX]),
        (-2_000_000_000, vec![0, 5]), // 1906, before the epoch
    ] {
        let (fed, r) = analyze(&pcapng_with_times(offset, &ts));
        assert!(fed.is_ok());
        assert_eq!(r.capture.packets, 2);
        let d = r.capture.duration;
        assert!(
            d.is_finite() && d >= 0.0,
            "offset {offset}, ts {ts:?}: duration {d}"
        );
        let c = &r.conversations[0];
        assert!(c.duration >= 0.0 && c.start >= 0.0, "{c:?}");
        if offset == -2_000_000_000 {
            assert_eq!(d, 5.0, "a capture before 1970 keeps its duration");
            assert_eq!(r.capture.malformed, 0);
        } else {
            assert_eq!(d, 0.0, "both saturate at the same end");
            assert_eq!(r.capture.malformed, 2, "{:?}", r.capture.malformed_reasons);
            assert!(r.capture.malformed_reasons[0].reason.contains("timestamp"));
        }
    }
}

/// The tables' bounds come from one budget: under 1 MiB, 3,000 distinct flows keep at most 256
/// (the idlest evicted and counted), the report still adds up, and `limits.tables` lists the
/// two tables that were full with their bounds.
#[test]
fn the_memory_budget_bounds_the_flow_and_endpoint_tables() {
    let options = Options::with_budget(1 << 20);
    assert_eq!((options.max_flows, options.max_endpoints), (256, 128));
    let mut file = Pcap::new(101);
    for i in 0..3000u32 {
        let src = SocketAddr::from((std::net::Ipv4Addr::from(0x0a00_0001 + i), 40000));
        let dst = SocketAddr::from(([192, 0, 2, 1], 9));
        file.record(i64::from(i) * 1000, &testing::ip_udp(src, dst, b"x"));
    }
    let mut a = Analyzer::new(options);
    a.feed(file.bytes()).expect("readable");
    let r = a.finish();
    assert!(r.conversations.len() <= 256, "{}", r.conversations.len());
    assert_eq!(r.conversations.len() as u64 + r.limits.flows_evicted, 3000);
    assert!(r.endpoints.len() <= 128);
    assert!(r.limits.endpoints_dropped > 0);
    assert_eq!(r.capture.packets, 3000);
    let tables: Vec<_> = r
        .limits
        .tables
        .iter()
        .map(|t| (t.table.as_str(), t.bound, t.dropped))
        .collect();
    assert_eq!(
        tables,
        [
            ("flows", 256, r.limits.flows_evicted),
            ("endpoints", 128, r.limits.endpoints_dropped)
        ]
    );
    let default = Options::default();
    assert_eq!(default.max_flows, 32_768, "128 MiB by default");
    assert_eq!(Options::for_browser().max_flows, default.max_flows);
}

/// The protocol analyzers' tables come from the same budget: under 1 MiB, 100 unanswered
/// INVITEs (24 Call-IDs fit), 100 RTP streams (32 fit) and 100 STUN transactions (32 fit) are
/// cut at their bounds, and each cut is in `limits.tables`.
#[test]
fn the_memory_budget_bounds_the_protocol_tables() {
    let budget = 1 << 20;
    let mut file = Pcap::new(101);
    let (a, b) = (
        SocketAddr::from(([10, 0, 0, 1], 5060)),
        SocketAddr::from(([192, 0, 2, 3], 5060)),
    );
    for i in 0..100u32 {
        let invite = testing::unanswered_invite(&format!("c{i}@x"), i);
        file.record(i64::from(i), &testing::ip_udp(a, b, invite.as_bytes()));
        let (m, n) = (
            SocketAddr::from(([10, 1, 0, 1], 10_000 + i as u16)),
            SocketAddr::from(([10, 2, 0, 1], 20_000)),
        );
        file.record(i64::from(i), &testing::ip_udp(m, n, &testing::rtp_pcmu(i)));
        let (s, t) = (
            SocketAddr::from(([10, 0, 0, 1], 50_000)),
            SocketAddr::from(([192, 0, 2, 4], 3478)),
        );
        let stun = testing::stun_binding_request(i);
        file.record(i64::from(i), &testing::ip_udp(s, t, &stun));
    }
    let mut analyzer = Analyzer::new(Options::with_budget(budget));
    analyzer.feed(file.bytes()).expect("readable");
    let r = analyzer.finish();
    use callscope_analysis::budget::{RTP_STREAMS, SIP_CALL_IDS, STUN_TRANSACTIONS};
    assert_eq!(
        (
            SIP_CALL_IDS.bound(budget),
            RTP_STREAMS.bound(budget),
            STUN_TRANSACTIONS.bound(budget)
        ),
        (24, 32, 32)
    );
    assert_eq!(r.sip.calls.len(), 24);
    assert_eq!(r.sip.dropped.untracked_messages, 76);
    assert_eq!(r.rtp.streams.len(), 32);
    assert_eq!(r.rtp.streams_dropped, 68);
    assert_eq!(r.stun.transactions.len(), 32);
    assert_eq!(r.stun.transactions_dropped, 68);
    let hit = |name: &str| {
        r.limits
            .tables
            .iter()
            .find(|t| t.table == name)
            .map(|t| (t.bound, t.dropped))
    };
    assert_eq!(hit("sip_call_ids"), Some((24, 76)));
    assert_eq!(hit("rtp_streams"), Some((32, 68)));
    assert_eq!(hit("stun_transactions"), Some((32, 68)));
}
