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
