//! What the audio tests share: the generated captures, the first pass, the second pass, and
//! measures of the decoded samples.

use std::path::PathBuf;

use callscope_analysis::{Analyzer, Options, Report};
use callscope_audio::{Audio, Decoder, MarkKind, Request};

pub fn capture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/captures/audio")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn report(bytes: &[u8]) -> Report {
    let mut a = Analyzer::new(Options::default());
    a.feed(bytes).unwrap();
    a.finish()
}

pub fn decode(bytes: &[u8], request: Request) -> Audio {
    let mut d = Decoder::new(request);
    for chunk in bytes.chunks(4096) {
        d.feed(chunk).unwrap();
    }
    d.finish()
}

/// The frequency (Hz, 0.1 Hz steps from 300 to 900) where `x` has the most energy (Goertzel).
pub fn dominant(x: &[i16], rate: u32) -> f64 {
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

pub fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Packet `i` of a channel (20 ms each), as samples.
pub fn packet(ch: &[i16], rate: u32, i: usize) -> &[i16] {
    let n = rate as usize / 50;
    &ch[i * n..(i + 1) * n]
}

/// The caller's stream of a generated tone call, decoded as heard, has its damage where the
/// generator put it (see tests/captures/audio/README.md).
pub fn assert_generated_damage(file: &str, audio: &Audio) {
    let (s, ch) = (&audio.summary, &audio.channels[0]);
    let rate = s.sample_rate;
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
