//! The cargo-fuzz harnesses of `callscope_wire::fuzzing`, run on arbitrary and on damaged inputs:
//! the fuzz targets (`fuzz/`) call the same functions, so what the property tests check is what
//! the fuzzer checks, and both always compile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use callscope_wire::fuzzing;
use proptest::prelude::*;

/// A small pcap with two Ethernet/IPv4/UDP records, the start of the damaged inputs below.
fn pcap_seed() -> Vec<u8> {
    let mut f = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    f.extend_from_slice(&65_535u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    for i in 0..2u8 {
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00]);
        frame.extend_from_slice(&[
            0x45, 0, 0, 32, 0, i, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ]);
        frame.extend_from_slice(&[0x13, 0xc4, 0x13, 0xc4, 0, 12, 0, 0, b'a', b'b', b'c', b'd']);
        f.extend_from_slice(&u32::from(i).to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&frame);
    }
    f
}

/// A TLS 1.2 exchange as one stream of records: a ClientHello (SNI, ALPN), then a ServerHello and
/// a Certificate with a real certificate, cut into records of 400 bytes.
fn tls_seed() -> Vec<u8> {
    fn prefixed(len_bytes: usize, data: &[u8]) -> Vec<u8> {
        let mut v = (data.len() as u32).to_be_bytes()[4 - len_bytes..].to_vec();
        v.extend_from_slice(data);
        v
    }
    let ext = |kind: u16, data: Vec<u8>| [kind.to_be_bytes().to_vec(), prefixed(2, &data)].concat();
    let mut sni = vec![0];
    sni.extend(prefixed(2, b"courier.push.apple.com"));
    let alpn = [prefixed(1, b"h2"), prefixed(1, b"http/1.1")].concat();
    let extensions = [
        ext(0, prefixed(2, &sni)),
        ext(16, prefixed(2, &alpn)),
        ext(43, vec![4, 3, 4, 3, 3]),
    ]
    .concat();
    let mut client_hello = vec![3, 3];
    client_hello.extend_from_slice(&[0x11; 32]);
    client_hello.extend_from_slice(&[0, 0, 2, 0xc0, 0x2f, 1, 0]);
    client_hello.extend(prefixed(2, &extensions));
    let mut server_hello = vec![3, 3];
    server_hello.extend_from_slice(&[0x22; 32]);
    server_hello.extend_from_slice(&[0, 0xc0, 0x2f, 0]);
    server_hello.extend(prefixed(2, &ext(16, prefixed(2, &prefixed(1, b"h2")))));
    let cert = include_bytes!("../src/tls/testdata/example-cert.der");
    let certificate = prefixed(3, &prefixed(3, cert));

    let record = |fragment: &[u8]| [vec![22, 3, 3], prefixed(2, fragment)].concat();
    let mut stream = record(&[vec![1], prefixed(3, &client_hello)].concat());
    let flight = [
        vec![2],
        prefixed(3, &server_hello),
        vec![11],
        prefixed(3, &certificate),
    ]
    .concat();
    for chunk in flight.chunks(400) {
        stream.extend(record(chunk));
    }
    stream
}

proptest! {
    #[test]
    fn reader_survives_any_bytes_in_any_chunks(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        fuzzing::reader(&data);
    }

    #[test]
    fn reader_survives_a_damaged_capture(
        max in any::<u8>(),
        seed in any::<u8>(),
        at in 0usize..200,
        byte in any::<u8>(),
        cut in 0usize..200,
    ) {
        let mut file = pcap_seed();
        let n = file.len();
        file[at % n] = byte;
        file.truncate(n - cut % n);
        let mut input = vec![max, seed];
        input.extend_from_slice(&file);
        fuzzing::reader(&input);
    }

    #[test]
    fn tls_handshake_survives_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        fuzzing::tls_handshake(&data);
    }

    #[test]
    fn tls_handshake_survives_a_damaged_exchange(
        at in 0usize..1400,
        byte in any::<u8>(),
        cut in 0usize..1400,
    ) {
        let mut stream = tls_seed();
        let n = stream.len();
        stream[at % n] = byte;
        stream.truncate(n - cut % n);
        fuzzing::tls_handshake(&stream);
    }

    #[test]
    fn link_ip_survives_any_frame(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        fuzzing::link_ip(&data);
    }
}

#[test]
fn the_seed_is_read_whole_in_any_chunking() {
    for max in [0u8, 1, 7, 255] {
        let mut input = vec![max, 3];
        input.extend_from_slice(&pcap_seed());
        fuzzing::reader(&input);
    }
    // An Ethernet frame (link type index 1) with IPv4 and UDP inside.
    let seed = pcap_seed();
    let mut frame = vec![1u8];
    frame.extend_from_slice(&seed[24 + 16..24 + 16 + 46]);
    fuzzing::link_ip(&frame);
}

#[test]
fn the_tls_seed_passes_the_harness_whole_and_cut_anywhere() {
    let stream = tls_seed();
    let split = callscope_wire::tls::split_records(&stream);
    assert_eq!((split.records.len(), split.consumed), (4, stream.len()));
    for n in 0..=stream.len() {
        fuzzing::tls_handshake(&stream[..n]);
    }
}
