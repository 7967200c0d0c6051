//! The generated tone calls of `tests/captures/audio` (see its README): a 440 Hz caller and a
//! 660 Hz callee, with packets lost, late and replaced by DTMF at known places, decoded as a
//! listener heard them and checked sample by sample.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use callscope_analysis::{Analyzer, Options, Report};
use callscope_audio::{from_report, Audio, Decoder, MarkKind, Mode, Request};

fn capture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/captures/audio")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn report(bytes: &[u8]) -> Report {
    let mut a = Analyzer::new(Options::default());
    a.feed(bytes).unwrap();
    a.finish()
}

fn decode(bytes: &[u8], request: Request) -> Audio {
    let mut d = Decoder::new(request);
    for chunk in bytes.chunks(4096) {
        d.feed(chunk).unwrap();
    }
    d.finish()
}

/// The frequency (Hz, 0.1 Hz steps from 300 to 900) where `x` has the most energy (Goertzel).
fn dominant(x: &[i16], rate: u32) -> f64 {
    let power = |f: f64| {
        let w = 2.0 * std::f64::consts::PI * f / f64::from(rate);
        let (mut s1, mut s2) = (0.0, 0.0);
        for &v in x {
            let s = f64::from(v) + 2.0 * w.cos() * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2
    };
    (3000..9000)
        .map(|k| f64::from(k) / 10.0)
        .max_by(|a, b| power(*a).total_cmp(&power(*b)))
        .unwrap()
}

fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Packet `i` of a channel (20 ms each), as samples.
fn packet(ch: &[i16], rate: u32, i: usize) -> &[i16] {
    let n = rate as usize / 50;
    &ch[i * n..(i + 1) * n]
}

const CALLER: &str = "0x11111111";

#[test]
fn caller_stream_plays_as_heard_with_silence_where_packets_were_lost_late_or_dtmf() {
    for (file, rate) in [
        ("tone-pcmu.pcap", 8000),
        ("tone-pcma.pcap", 8000),
        ("tone-g722.pcap", 16000),
    ] {
        let bytes = capture(file);
        let r = report(&bytes);
        let i = from_report::stream_by_ssrc(&r, CALLER).unwrap();
        let audio = decode(&bytes, from_report::stream(&r, i).unwrap());
        let s = &audio.summary;
        assert_eq!((s.sample_rate, audio.channels.len()), (rate, 1), "{file}");
        // 150 packets expected (147 received + 3 lost), 20 ms each.
        assert_eq!(s.samples, 150 * u64::from(rate) / 50, "{file}");
        assert!((s.start - 1.0).abs() < 1e-9, "{file}: {}", s.start);
        let ch = &audio.channels[0];
        // The undamaged stretch before the first loss: 440 Hz.
        let clean = &ch[5 * rate as usize / 50..45 * rate as usize / 50];
        let f = dominant(clean, rate);
        assert!((f - 440.0).abs() <= 2.0, "{file}: {f} Hz");
        assert!(rms(clean) > 4000.0, "{file}: {}", rms(clean));
        // Lost (50, 51, 75), late past the 60 ms buffer (100, 120), DTMF (60–67, 85–92): silent.
        let silent: Vec<usize> = (0..150)
            .filter(|&k| packet(ch, rate, k).iter().all(|&v| v == 0))
            .collect();
        let mut expected = vec![50, 51, 75, 100, 120];
        expected.extend(60..=67);
        expected.extend(85..=92);
        expected.sort_unstable();
        assert_eq!(silent, expected, "{file}");
        let t = &s.channels[0].tracks[0];
        assert_eq!(
            (t.packets, t.lost, t.late, t.played),
            (147, 3, 2, 147 - 2 - 16),
            "{file}"
        );
        let marks: Vec<(MarkKind, i64, u64)> = s.channels[0]
            .marks
            .iter()
            .filter(|m| m.kind != MarkKind::Marker)
            .map(|m| (m.kind, (m.t * 1000.0).round() as i64, m.packets))
            .collect();
        assert_eq!(
            marks,
            [
                (MarkKind::Lost, 1000, 2),
                (MarkKind::Lost, 1500, 1),
                (MarkKind::Late, 2000, 1),
                (MarkKind::Late, 2400, 1)
            ],
            "{file}"
        );
    }
}

#[test]
fn a_call_is_stereo_caller_left_callee_right_aligned_on_capture_time() {
    let bytes = capture("tone-pcmu.pcap");
    let r = report(&bytes);
    let call_id = "tone-pcmu@callscope.test";
    let audio = decode(&bytes, from_report::call(&r, call_id).unwrap());
    let s = &audio.summary;
    assert_eq!(audio.channels.len(), 2);
    assert_eq!(s.channels[0].tracks[0].ssrc, CALLER);
    assert_eq!(s.channels[1].tracks[0].ssrc, "0x22222222");
    // The caller starts at 1.000 s, the callee at 1.010 s and ends at 3.990 + 0.020.
    assert!((s.start - 1.0).abs() < 1e-9);
    assert_eq!(s.samples, 8000 * 3010 / 1000);
    let (left, right) = (&audio.channels[0], &audio.channels[1]);
    assert!(right[..80].iter().all(|&v| v == 0));
    assert!(right[80..90].iter().any(|&v| v != 0));
    assert!((dominant(&left[400..3600], 8000) - 440.0).abs() <= 2.0);
    assert!((dominant(&right[400..3600], 8000) - 660.0).abs() <= 2.0);
    // The WAV says the same.
    let (rate, channels) = callscope_audio::wav::read(&audio.wav()).unwrap();
    assert_eq!((rate, channels.len(), channels[0].len()), (8000, 2, 24080));
    assert_eq!(channels, audio.channels);
}

#[test]
fn as_captured_every_packet_plays_in_arrival_order() {
    let bytes = capture("tone-pcmu.pcap");
    let r = report(&bytes);
    let i = from_report::stream_by_ssrc(&r, CALLER).unwrap();
    let mut request = from_report::stream(&r, i).unwrap();
    request.mode = Mode::Captured;
    let audio = decode(&bytes, request);
    let t = &audio.summary.channels[0].tracks[0];
    // Every audio packet is played, the late ones too (147 received, 16 of them DTMF).
    assert_eq!((t.played, t.late), (131, 2));
    // The late packet 100 plays at its arrival, 2.100 s into the stream, on top of... nothing:
    // the packets before it ended at 2.000 s, so it follows its arrival.
    let at = |ms: usize| &audio.channels[0][ms * 8..ms * 8 + 160];
    assert!(rms(at(2100)) > 4000.0);
}

#[test]
fn the_bound_cuts_and_says_so() {
    let bytes = capture("tone-pcmu.pcap");
    let r = report(&bytes);
    let mut request = from_report::call(&r, "tone-pcmu@callscope.test").unwrap();
    request.max_seconds = 1.0;
    let audio = decode(&bytes, request);
    assert_eq!(audio.summary.samples, 8000);
    assert!(audio.summary.cut);
    assert_eq!(
        audio.summary.cut_why.as_deref(),
        Some("audio past 1 s was cut")
    );
}

#[test]
fn dtmf_digits_are_in_the_report_with_their_times() {
    let r = report(&capture("tone-pcmu.pcap"));
    let s = r.rtp.streams.iter().find(|s| s.ssrc == CALLER).unwrap();
    let keys: Vec<_> = s
        .dtmf
        .iter()
        .map(|p| (p.key.as_str(), p.start, p.duration_ms, p.ended))
        .collect();
    assert_eq!(keys, [("1", 2.2, 100.0, true), ("#", 2.7, 100.0, true)]);
    assert_eq!(s.event_packets, 16);
}

#[test]
fn a_truncated_capture_still_gives_the_audio_before_the_cut() {
    let bytes = capture("tone-pcmu.pcap");
    let r = report(&bytes);
    let i = from_report::stream_by_ssrc(&r, CALLER).unwrap();
    let audio = decode(
        &bytes[..bytes.len() / 2 + 7],
        from_report::stream(&r, i).unwrap(),
    );
    assert!(audio
        .summary
        .reading
        .as_deref()
        .unwrap_or("")
        .contains("cut short"));
    assert!(audio.summary.samples > 8000);
}
