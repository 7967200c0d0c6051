//! The generated tone calls of `tests/captures/audio` (see its README): a 440 Hz caller and a
//! 660 Hz callee, with packets lost, late and replaced by DTMF at known places, decoded as a
//! listener heard them and checked sample by sample.

use crate::support::{assert_generated_damage, capture, decode, dominant, report, rms};
use callscope_audio::{from_report, Mode};

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
        assert_generated_damage(file, &audio);
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
    let s = &r.rtp.streams[from_report::stream_by_ssrc(&r, CALLER).unwrap()];
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
