//! The audio fuzz harness (`callscope_audio::fuzzing`, also the cargo-fuzz target `audio`) on
//! random inputs: arbitrary RTP headers and payloads for every decoder, times going backwards,
//! both playouts.

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_packets_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4000)) {
        callscope_audio::fuzzing::audio(&data);
    }

    /// Mostly valid RTP: version 2, SSRC 0, the payload types the harness names, sequence
    /// numbers and timestamps anywhere.
    #[test]
    fn mostly_valid_rtp_never_panics(
        mode in any::<u8>(),
        packets in proptest::collection::vec(
            (
                any::<u8>(),
                0u8..60,
                any::<u16>(),
                any::<u32>(),
                (prop::sample::select(vec![0u8, 8, 9, 13, 18, 96, 97, 101, 111, 127]), any::<bool>()),
                proptest::collection::vec(any::<u8>(), 0..200),
            ),
            0..120,
        ),
    ) {
        let mut data = vec![mode];
        for (flags, step, seq, ts, (pt, marker), payload) in packets {
            let mut rtp = vec![0x80, pt | if marker { 0x80 } else { 0 }];
            rtp.extend(seq.to_be_bytes());
            rtp.extend(ts.to_be_bytes());
            rtp.extend([0, 0, 0, 0]);
            rtp.extend(payload);
            rtp.truncate(255);
            data.extend([flags & 0x7f, step, rtp.len() as u8]);
            data.extend(rtp);
        }
        callscope_audio::fuzzing::audio(&data);
    }
}
