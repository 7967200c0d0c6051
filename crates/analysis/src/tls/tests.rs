#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::flows::Transport;

/// A real ClientHello record from `openssl s_client -servername courier.push.apple.com -alpn
/// h2,http/1.1` and a TLS 1.2 server's flight up to ServerHelloDone (see the wire crate's
/// testdata README).
const CLIENT_HELLO_RECORD: &[u8] =
    include_bytes!("../../../wire/src/tls/testdata/openssl-client-hello.bin");
const TLS12_SERVER: &[u8] =
    include_bytes!("../../../wire/src/tls/testdata/openssl-tls12-server.bin");
const TLS13_SERVER_HELLO: &[u8] =
    include_bytes!("../../../wire/src/tls/testdata/openssl-tls13-server-hello.bin");

const CLIENT: &str = "192.0.2.10:50000";
const SERVER: &str = "17.57.146.20:5223";

fn seg<'a>(src: &str, dst: &str, payload: &'a [u8], frame: u64) -> Segment<'a> {
    Segment {
        frame,
        ts_ns: frame as i64 * 1_000_000_000,
        transport: Transport::Tcp,
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        payload,
        flow: 1,
    }
}

fn finish(a: TlsAnalyzer) -> crate::protocols::Sections {
    crate::registry::place([Box::new(a).finish(&FinishContext { start_ns: 0 })])
}

#[test]
fn a_hello_split_across_segments_and_a_tls12_certificate_name_the_server() {
    assert!(TlsAnalyzer::claims_stream(&seg(
        CLIENT,
        SERVER,
        CLIENT_HELLO_RECORD,
        1
    )));
    let mut a = TlsAnalyzer::default();
    let mut shared = Shared::default();
    let (first, rest) = CLIENT_HELLO_RECORD.split_at(3);
    a.stream_bytes(&seg(CLIENT, SERVER, first, 1), &mut shared);
    a.stream_bytes(&seg(CLIENT, SERVER, rest, 2), &mut shared);
    // The server's flight one byte at a time: the certificate is read once whole.
    for (i, b) in TLS12_SERVER.chunks(1).enumerate() {
        a.stream_bytes(&seg(SERVER, CLIENT, b, 3 + i as u64), &mut shared);
    }
    let s = finish(a);
    assert_eq!(s.tls.sessions.len(), 1);
    let t = &s.tls.sessions[0];
    assert_eq!(
        (t.client.to_string(), t.server.to_string()),
        (CLIENT.to_owned(), SERVER.to_owned())
    );
    assert_eq!(t.sni.as_deref(), Some("courier.push.apple.com"));
    assert_eq!(t.alpn_offered, ["h2", "http/1.1"]);
    assert_eq!(t.alpn.as_deref(), Some("h2"));
    assert_eq!(t.version, "TLS 1.2");
    assert_eq!(t.frame, 2);
    assert_eq!(t.start, 2.0);
    assert_eq!(
        t.certificate_subject.as_deref(),
        Some("C=US, O=Example Org, CN=epdg.example.net")
    );
    assert_eq!(t.certificate_names, ["epdg.example.net", "alt.example.net"]);
    let names: Vec<_> = s
        .names
        .iter()
        .map(|n| (n.name.as_str(), n.source))
        .collect();
    assert_eq!(
        names,
        [
            ("courier.push.apple.com", NameSource::Sni),
            ("epdg.example.net", NameSource::Certificate)
        ]
    );
    assert!(s.names.iter().all(|n| n.addr.to_string() == "17.57.146.20"));
}

#[test]
fn a_tls13_server_hello_ends_what_can_be_read() {
    let mut a = TlsAnalyzer::default();
    let mut shared = Shared::default();
    a.stream_bytes(&seg(CLIENT, SERVER, CLIENT_HELLO_RECORD, 1), &mut shared);
    a.stream_bytes(&seg(SERVER, CLIENT, TLS13_SERVER_HELLO, 2), &mut shared);
    // Encrypted records after it are not read (and not held).
    a.stream_bytes(
        &seg(SERVER, CLIENT, &[23, 3, 3, 0, 200, 1, 2], 3),
        &mut shared,
    );
    assert_eq!(a.records.held(), 0);
    let s = finish(a);
    assert_eq!(s.tls.sessions[0].version, "TLS 1.3");
    assert_eq!(s.tls.sessions[0].certificate_subject, None);
}

#[test]
fn a_stream_that_stops_being_tls_is_given_up() {
    let mut a = TlsAnalyzer::default();
    let mut shared = Shared::default();
    a.stream_bytes(&seg(CLIENT, SERVER, &[22, 3, 1, 0, 2, 1], 1), &mut shared);
    a.stream_bytes(
        &seg(CLIENT, SERVER, b"GET / HTTP/1.1\r\n\r\n", 2),
        &mut shared,
    );
    let s = finish(a);
    assert_eq!(s.tls.not_tls, 1);
    assert!(s.tls.sessions.is_empty());
    assert!(!TlsAnalyzer::claims_stream(&seg(
        CLIENT,
        SERVER,
        &[23, 3, 3, 0, 5],
        1
    )));
}

#[test]
fn sessions_beyond_the_table_are_counted() {
    let mut a = TlsAnalyzer::default();
    let mut shared = Shared::default();
    for i in 0..(crate::budget::TLS_SESSIONS.at_default + 2) {
        let client = format!("10.{}.{}.{}:40000", i >> 16, (i >> 8) & 0xff, i & 0xff);
        a.stream_bytes(&seg(&client, SERVER, CLIENT_HELLO_RECORD, 1), &mut shared);
        assert!(a.open.len() <= MAX_OPEN);
    }
    let s = finish(a);
    assert_eq!(s.tls.sessions.len(), crate::budget::TLS_SESSIONS.at_default);
    assert_eq!(s.tls_sessions_dropped, 2);
    assert_eq!(s.names.len(), crate::budget::TLS_SESSIONS.at_default);
}

#[test]
fn open_handshakes_are_bounded() {
    let mut a = TlsAnalyzer::default();
    let mut shared = Shared::default();
    // Half a hello on more connections than can be open at once.
    for i in 0..(MAX_OPEN + 10) {
        let client = format!("10.{}.{}.{}:40000", i >> 16, (i >> 8) & 0xff, i & 0xff);
        a.stream_bytes(
            &seg(&client, SERVER, &CLIENT_HELLO_RECORD[..20], 1),
            &mut shared,
        );
    }
    assert!(a.open.len() <= MAX_OPEN);
}

#[test]
fn a_quic_hello_in_frames_shuffled_across_initial_packets_is_read_whole() {
    use callscope_wire::testing::{quic_crypto_frame, quic_initial};
    // The handshake message of the recorded hello (after its 5-byte record header), in three
    // CRYPTO frames: the last two in the first packet, the first (with padding) in the second.
    let message = &CLIENT_HELLO_RECORD[5..];
    let (a, rest) = message.split_at(100);
    let (b, c) = rest.split_at(120);
    let dcid = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];
    let first = quic_initial(
        &dcid,
        0,
        &[quic_crypto_frame(220, c), quic_crypto_frame(100, b)].concat(),
    );
    let second = quic_initial(&dcid, 1, &[quic_crypto_frame(0, a), vec![0; 200]].concat());
    let server = "17.57.146.20:443";
    let mut tls = TlsAnalyzer::default();
    let mut shared = Shared::default();
    let mut udp = |payload: &[u8], frame| {
        let mut s = seg(CLIENT, server, payload, frame);
        s.transport = Transport::Udp;
        tls.udp(&s, &mut shared)
    };
    assert_eq!(udp(&first, 1), Some("quic"));
    assert_eq!(udp(&second, 2), Some("quic"));
    assert_eq!(udp(b"not quic at all, long enough to sample", 3), None);
    let s = finish(tls);
    assert_eq!(s.tls.sessions.len(), 1);
    let t = &s.tls.sessions[0];
    assert!(t.quic);
    assert_eq!(
        (t.sni.as_deref(), t.frame),
        (Some("courier.push.apple.com"), 2)
    );
    assert_eq!(t.alpn_offered, ["h2", "http/1.1"]);
}

#[test]
fn handshake_bytes_held_across_connections_stay_within_the_budget_share() {
    let mut a = <TlsAnalyzer as Protocol>::with_budget(1 << 16);
    assert_eq!(a.max_pending, 131_072, "the table's floor");
    let mut shared = Shared::default();
    // On each of 20 connections, a record carrying the first 16,000 bytes of a 61,440-byte
    // Certificate message: each waits for the rest, 320,000 bytes in all.
    let mut record = vec![22, 3, 3];
    record.extend_from_slice(&16_000u16.to_be_bytes());
    record.extend_from_slice(&[11, 0x00, 0xf0, 0x00]);
    record.resize(5 + 16_000, 0);
    for i in 0..20 {
        let client = format!("10.0.0.{i}:40000");
        a.stream_bytes(&seg(&client, SERVER, &record, 1), &mut shared);
        assert!(a.pending_held <= a.max_pending);
    }
    let held: usize = a
        .open
        .values()
        .map(|c| c.pending[0].len() + c.pending[1].len())
        .sum();
    assert_eq!(
        held, a.pending_held,
        "the running count is the buffers' sum"
    );
    assert_eq!(held, 131_072);
    assert_eq!(a.report.handshake_bytes_dropped, 20 * 16_000 - 131_072);
}
