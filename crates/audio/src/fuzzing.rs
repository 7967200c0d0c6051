//! The fuzz harness of the audio path, shared by the cargo-fuzz target (`fuzz/fuzz_targets/
//! audio.rs`) and the property test (`tests/integration/fuzz.rs`). Built with the `testing`
//! feature.
//!
//! The input is byte 0 (bit 0: playout as captured; bits 1–2: which payload type names the
//! tracks carry), then records `[flags][step][len][len bytes]`: each becomes an RTP packet (the
//! record's bytes as header and payload, its version bits forced to 2 when flag bit 7 is set) in
//! a UDP datagram from A to B (flag bit 0 clear) or B to A, `step` milliseconds after the
//! previous one (backwards when flag bit 1 is set). Both directions are requested, with at most
//! [`MAX_SECONDS`] of audio. What must hold: nothing panics, each channel has the summary's
//! sample count and no more than the bound allows, and the WAV reads back to the same samples.

use std::net::SocketAddr;

use callscope_wire::testing::{ip_udp, Pcap};

use crate::request::{Channel, Mode, PayloadType, Request, Track};
use crate::{wav, Decoder};

/// The bound on the audio of one run (keeps each run small).
pub const MAX_SECONDS: f64 = 4.0;

/// Payload type names by input bit: every decoder, events, comfort noise and unknown types.
const NAMES: [&[(u8, &str)]; 4] = [
    &[(0, "PCMU"), (8, "PCMA"), (101, "telephone-event")],
    &[(9, "G722"), (13, "CN"), (96, "")],
    &[(18, "G729"), (111, "opus"), (97, "AMR-WB")],
    &[(0, "g711U"), (9, "g722"), (111, "opus"), (18, "g729")],
];

fn track(src: SocketAddr, dst: SocketAddr, names: &[(u8, &str)]) -> Track {
    Track {
        src,
        dst,
        // The SSRC the records' bytes 8–11 give when they are zero: most records hit it.
        ssrc: 0,
        payload_types: names
            .iter()
            .map(|&(pt, name)| PayloadType {
                pt,
                name: name.into(),
                clock: if name == "opus" { 48_000 } else { 8000 },
            })
            .collect(),
        srtp: false,
    }
}

/// Runs the harness on one input.
pub fn audio(data: &[u8]) {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let a: SocketAddr = SocketAddr::from(([10, 0, 0, 1], 4000));
    let b: SocketAddr = SocketAddr::from(([10, 0, 0, 2], 5000));
    let names = NAMES[usize::from(mode >> 1) & 3];
    let mut pcap = Pcap::new(101);
    let mut t_us: i64 = 1_700_000_000_000_000;
    while let [flags, step, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let mut packet = tail[..n].to_vec();
        rest = &tail[n..];
        if flags & 0x80 != 0 {
            if let Some(first) = packet.first_mut() {
                *first = (*first & 0x3f) | 0x80;
            }
        }
        let ms = i64::from(*step);
        t_us += if flags & 2 != 0 {
            -ms * 1000
        } else {
            ms * 1000
        };
        let (src, dst) = if flags & 1 == 0 { (a, b) } else { (b, a) };
        pcap.record(t_us, &ip_udp(src, dst, &packet));
    }
    let mut request = Request::new(vec![
        Channel {
            label: "a → b".into(),
            tracks: vec![track(a, b, names)],
        },
        Channel {
            label: "b → a".into(),
            tracks: vec![track(b, a, names)],
        },
    ]);
    request.mode = if mode & 1 != 0 {
        Mode::Captured
    } else {
        Mode::Buffer
    };
    request.max_seconds = MAX_SECONDS;
    let bytes = pcap.into_bytes();
    let mut decoder = Decoder::new(request);
    let (x, y) = bytes.split_at(bytes.len() / 2);
    if decoder.feed(x).is_ok() {
        let _ = decoder.feed(y);
    }
    let audio = decoder.finish();
    let s = &audio.summary;
    let bound = (MAX_SECONDS * f64::from(s.sample_rate)) as u64;
    assert!(
        s.samples <= bound,
        "{} samples past the bound {bound}",
        s.samples
    );
    assert!(audio.channels.iter().all(|c| c.len() as u64 == s.samples));
    let back = wav::read(&audio.wav());
    assert_eq!(back, Some((s.sample_rate, audio.channels.clone())));
}
