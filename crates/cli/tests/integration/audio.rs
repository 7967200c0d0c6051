//! `callscope analyze FILE --call ID --wav OUT` and `--stream SSRC`: the files written, what is
//! printed, and the errors, on the generated tone calls (`tests/captures/audio`) and a public
//! G.711 call.

use std::path::PathBuf;
use std::process::{Command, Output};

use callscope_audio::wav;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tone(codec: &str) -> PathBuf {
    root().join(format!("tests/captures/audio/tone-{codec}.pcap"))
}

fn out_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callscope-wav-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn analyze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callscope"))
        .arg("analyze")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_call_becomes_a_stereo_wav_and_a_summary() {
    let out = out_dir().join("call.wav");
    let o = analyze(&[
        tone("pcma").to_str().unwrap(),
        "--call",
        "tone-pcma@callscope.test",
        "--wav",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("3.010 s stereo, 8000 Hz"), "{text}");
    assert!(text.contains("0x11111111 192.0.2.10:40000 → 198.51.100.20:50000 g711A, telephone-event: 147 packets, 129 played, 3 lost, 2 late"), "{text}");
    assert!(
        text.contains("DTMF 1 at 2.200 s (1.200 s into the audio), 100 ms"),
        "{text}"
    );
    assert!(text.contains("1.000 s into the audio: 2 lost"), "{text}");
    let (rate, channels) = wav::read(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!((rate, channels.len(), channels[0].len()), (8000, 2, 24080));
    // No temporary file is left beside it.
    assert!(!out.with_file_name("call.wav.part").exists());
}

#[test]
fn a_stream_as_json_in_either_playout() {
    let out = out_dir().join("stream.wav");
    for (mode, played) in [("buffer", 129), ("captured", 131)] {
        let o = analyze(&[
            tone("g722").to_str().unwrap(),
            "--stream",
            "0x11111111",
            "--playout",
            mode,
            "--json",
            "--wav",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(summary["sample_rate"], 16000);
        assert_eq!(summary["mode"], mode);
        assert_eq!(summary["channels"][0]["tracks"][0]["played"], played);
        let (rate, channels) = wav::read(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!((rate, channels.len()), (16000, 1));
        assert_eq!(
            channels[0].len() as u64,
            summary["samples"].as_u64().unwrap()
        );
    }
}

#[test]
fn mistakes_get_one_line_and_no_file() {
    let out = out_dir().join("never.wav");
    let o = out.to_str().unwrap();
    let pcmu = tone("pcmu");
    let pcmu = pcmu.to_str().unwrap();
    for (args, code, says) in [
        (
            vec!["-", "--call", "x", "--wav", o],
            2,
            "give a file, not standard input",
        ),
        (
            vec![pcmu, "--wav", o],
            2,
            "--wav needs --call CALL-ID or --stream SSRC",
        ),
        (
            vec![pcmu, "--call", "x", "--stream", "1", "--wav", o],
            2,
            "not both",
        ),
        (
            vec![pcmu, "--call", "x", "--wav", o, "--max-audio", "0"],
            2,
            "--max-audio",
        ),
        (
            vec![pcmu, "--call", "nope", "--wav", o],
            1,
            "no call with Call-ID nope",
        ),
        (
            vec![pcmu, "--stream", "0x12", "--wav", o],
            1,
            "no RTP stream with SSRC 0x00000012",
        ),
        (
            vec![pcmu, "--stream", "zz", "--wav", o],
            1,
            "is not an SSRC",
        ),
    ] {
        let r = analyze(&args);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(code), "{args:?}: {err}");
        assert!(
            err.contains(says) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
        assert!(r.stdout.is_empty(), "{args:?}");
        assert!(!out.exists(), "{args:?}");
    }
}

/// A public G.711 A-law call: both of its streams decode without error, and the audio spans
/// them (from the first packet to the last packet's end).
#[test]
fn a_public_g711_call_decodes_to_its_streams_length() {
    let capture = root().join("../shared/captures/public/sip__SIP_CALL_RTP_G711.pcap");
    if !capture.exists() {
        return;
    }
    let out = out_dir().join("g711.wav");
    let o = analyze(&[
        capture.to_str().unwrap(),
        "--call",
        "12013223@200.57.7.195",
        "--json",
        "--wav",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let tracks: Vec<&serde_json::Value> = s["channels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["tracks"].as_array().unwrap())
        .collect();
    assert_eq!(tracks.len(), 2);
    for t in &tracks {
        assert_eq!(t["packets"], t["played"], "{t}");
        assert_eq!(t["undecodable"], 0);
        assert!(t["not_playable"].is_null());
    }
    // The streams (tshark's rtp,streams): 8.479371–32.603426 and 8.529324–34.908735 s, 20 ms
    // packets: the audio runs from 8.479 s to 34.929 s.
    let start = s["start"].as_f64().unwrap();
    let duration = s["duration"].as_f64().unwrap();
    assert!((start - 8.479371).abs() < 0.001, "{start}");
    assert!(
        (start + duration - (34.908735 + 0.020)).abs() < 0.005,
        "{}",
        start + duration
    );
    let (rate, channels) = wav::read(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!((rate, channels.len()), (8000, 2));
    assert!(channels
        .iter()
        .all(|c| c.iter().any(|&v| v.unsigned_abs() > 1000)));
}

/// SRTP (keyed by ZRTP here) is listed as not playable with the reason; the call's plain
/// stream still plays.
#[test]
fn encrypted_media_is_listed_not_played() {
    let capture = root().join("../shared/captures/public/sip__Asterisk_ZFONE_XLITE.pcap");
    if !capture.exists() {
        return;
    }
    let out = out_dir().join("zfone.wav");
    let o = analyze(&[
        capture.to_str().unwrap(),
        "--call",
        "ZDYzOWVlNjEwM2NjZTBjNzliNmM1ZTNiOGZjNWFhN2E.",
        "--wav",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        text.matches("not playable: encrypted (SRTP): the capture holds no keys")
            .count(),
        2,
        "{text}"
    );
    assert!(
        text.contains(
            "0xbee0f2ed 192.168.10.41:64508 → 192.168.10.2:18874 g711U: 2 packets, 2 played"
        ),
        "{text}"
    );
}
