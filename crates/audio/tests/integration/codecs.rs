//! The generated G.729 and Opus tone calls of `tests/captures/audio` (see its README): the same
//! call as the G.711 and G.722 ones of `tones.rs` (a 440 Hz caller and a 660 Hz callee, packets
//! lost, late and replaced by DTMF at known places), through the two codecs that need more than
//! a table: G.729's CS-ACELP and Opus (SILK wideband, RTP clock 48 kHz, decoded at 16 kHz).

use crate::support::{assert_generated_damage, capture, decode, dominant, report, rms};
use callscope_audio::{codecs::OPUS_RATE, from_report};

/// Packets `from..to` of a channel (20 ms each), as samples.
fn packets(ch: &[i16], rate: u32, from: usize, to: usize) -> &[i16] {
    let n = rate as usize / 50;
    &ch[from * n..to * n]
}

const CALLER: &str = "0x11111111";

/// The two files, their call and the rate they decode at.
const FILES: [(&str, &str, u32); 2] = [
    ("tone-g729.pcap", "tone-g729@callscope.test", 8000),
    ("tone-opus.pcap", "tone-opus@callscope.test", OPUS_RATE),
];

#[test]
fn caller_stream_plays_as_heard_with_silence_where_packets_were_lost_late_or_dtmf() {
    for (file, _, rate) in FILES {
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
        let clean = packets(ch, rate, 5, 45);
        let (f, level) = (dominant(clean, rate), rms(clean));
        eprintln!("{file}: caller {f} Hz, RMS {level:.0}");
        assert!((f - 440.0).abs() <= 2.0, "{file}: {f} Hz");
        assert!(level > 4000.0, "{file}: {level}");
        assert_generated_damage(file, &audio);
    }
}

#[test]
fn a_call_is_stereo_caller_left_callee_right() {
    for (file, call_id, rate) in FILES {
        let bytes = capture(file);
        let r = report(&bytes);
        let audio = decode(&bytes, from_report::call(&r, call_id).unwrap());
        let s = &audio.summary;
        assert_eq!((s.sample_rate, audio.channels.len()), (rate, 2), "{file}");
        assert_eq!(s.channels[0].tracks[0].ssrc, CALLER, "{file}");
        assert_eq!(s.channels[1].tracks[0].ssrc, "0x22222222", "{file}");
        // The caller starts at 1.000 s, the callee at 1.010 s and ends at 3.990 + 0.020.
        assert_eq!(s.samples, u64::from(rate) * 3010 / 1000, "{file}");
        let (left, right) = (&audio.channels[0], &audio.channels[1]);
        let (lc, rc) = (packets(left, rate, 5, 45), packets(right, rate, 5, 45));
        let (fl, fr) = (dominant(lc, rate), dominant(rc, rate));
        eprintln!(
            "{file}: call left {fl} Hz RMS {:.0}, right {fr} Hz RMS {:.0}",
            rms(lc),
            rms(rc)
        );
        assert!((fl - 440.0).abs() <= 2.0, "{file}: {fl} Hz");
        assert!((fr - 660.0).abs() <= 2.0, "{file}: {fr} Hz");
        assert!(rms(rc) > 4000.0, "{file}: {}", rms(rc));
    }
}

/// The caller's key presses, as (key, start s, duration ms, ended).
fn presses(file: &str) -> Vec<(String, f64, f64, bool)> {
    let r = report(&capture(file));
    let s = &r.rtp.streams[from_report::stream_by_ssrc(&r, CALLER).unwrap()];
    assert_eq!(s.event_packets, 16, "{file}");
    s.dtmf
        .iter()
        .map(|p| (p.key.clone(), p.start, p.duration_ms, p.ended))
        .collect()
}

/// The same presses in both files; with Opus the events run on its 48 kHz clock
/// (`telephone-event/48000`, RFC 4733 §2.1), where 4800 ticks are still 100 ms.
#[test]
fn dtmf_digits_are_in_the_report_with_their_times() {
    for file in ["tone-g729.pcap", "tone-opus.pcap"] {
        let keys = presses(file);
        eprintln!("{file}: {keys:?}");
        assert_eq!(
            keys,
            [
                ("1".to_string(), 2.2, 100.0, true),
                ("#".to_string(), 2.7, 100.0, true)
            ],
            "{file}"
        );
    }
}
