//! The cargo-fuzz harnesses of `callscope_analysis::fuzzing`, run here on arbitrary bytes, on
//! inputs shaped to reach deep state, and on the reference captures: the fuzz targets (`fuzz/`)
//! call the same functions, so what these tests check is what the fuzzer checks, and the targets
//! always compile.

use callscope_analysis::fuzzing;
use proptest::prelude::*;

use crate::support;

/// RTP harness records (`[len][flags][bytes]`) that start like RTP/RTCP, so the generator
/// reaches the stream state.
fn media_records() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        (
            any::<u8>(),
            prop::sample::select(vec![0x80u8, 0x81, 0x90, 0xa0, 0xb1, 0x8f]),
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 0..40),
        ),
        0..60,
    )
    .prop_map(|recs| {
        let mut out = vec![0];
        for (flags, b0, b1, rest) in recs {
            let mut body = vec![b0, b1];
            body.extend(rest);
            out.push(body.len() as u8);
            out.push(flags);
            out.extend(body);
        }
        out
    })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn ike_harness(data in bytes(400)) {
        fuzzing::ike(&data);
    }

    #[test]
    fn stun_harness(data in bytes(400)) {
        fuzzing::stun(&data);
    }

    #[test]
    fn names_harness(data in bytes(600)) {
        fuzzing::names(&data);
    }

    #[test]
    fn sip_harness(data in bytes(600)) {
        fuzzing::sip(&data);
    }

    #[test]
    fn sip_harness_on_sip_like_text(
        cut in any::<u8>(),
        lines in prop::collection::vec(prop::sample::select(vec![
            "INVITE sip:a@b SIP/2.0\r\n", "SIP/2.0 200 OK\r\n", "Call-ID: x\r\n", "CSeq: 1 INVITE\r\n",
            "Content-Length: 12\r\n", "Content-Type: application/sdp\r\n", "\r\n", "v=0\r\nm=audio 4000 RTP/AVP 0\r\n",
            "\r\n\r\n", "Via: SIP/2.0/UDP 1.2.3.4\r\n", "l: 99999999\r\n",
        ]), 0..20),
    ) {
        let mut data = vec![cut];
        for l in lines {
            data.extend_from_slice(l.as_bytes());
        }
        fuzzing::sip(&data);
    }

    #[test]
    fn rtp_harness(data in bytes(600)) {
        fuzzing::rtp(&data);
    }

    #[test]
    fn rtp_harness_on_media_like_records(data in media_records()) {
        fuzzing::rtp(&data);
    }

    #[test]
    fn analyzer_harness(mode in any::<u8>(), data in bytes(800)) {
        let mut input = vec![mode];
        input.extend(data);
        fuzzing::analyzer(&input);
    }
}

/// The analyzer harness on the start of every reference capture, whole-file framing (bit 7) and
/// both threads compared (bit 5), with default and tiny limits (bit 6), intact and with one byte
/// changed in every 512.
#[test]
fn analyzer_harness_on_the_reference_captures() {
    for path in support::reference_captures() {
        let file = std::fs::read(&path).unwrap();
        let head = &file[..file.len().min(256 * 1024)];
        for mode in [0xa0u8, 0xe0] {
            let mut input = vec![mode];
            input.extend_from_slice(head);
            fuzzing::analyzer(&input);
            for i in (1..input.len()).step_by(512) {
                input[i] ^= 0x5a;
            }
            fuzzing::analyzer(&input);
        }
    }
}

/// The committed regression corpus (`fuzz/regressions/<target>/`: one small input per
/// adversarial class of issue 16 and per hostile file shape, written by `cargo xtask fuzz
/// --regressions`; a crash input goes there once fixed) through each target's harness.
#[test]
fn the_regression_corpus_replays() {
    let dir = support::root().join("fuzz/regressions");
    type Harness = fn(&[u8]);
    let harnesses: [(&str, Harness); 6] = [
        ("analyzer", fuzzing::analyzer),
        ("ike", fuzzing::ike),
        ("stun", fuzzing::stun),
        ("names", fuzzing::names),
        ("sip", fuzzing::sip),
        ("rtp", fuzzing::rtp),
    ];
    let mut ran = 0;
    for (target, harness) in harnesses {
        let Ok(entries) = std::fs::read_dir(dir.join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            harness(&std::fs::read(entry.path()).unwrap());
            // With the two-threaded comparison and tiny limits too (bits 5 and 6 of byte 0).
            if target == "analyzer" {
                let mut input = std::fs::read(entry.path()).unwrap();
                if let Some(mode) = input.first_mut() {
                    *mode |= 0x60;
                }
                harness(&input);
            }
            ran += 1;
        }
    }
    assert!(ran >= 15, "the regression corpus is missing ({ran} inputs)");
}
