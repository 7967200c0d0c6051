//! Decoding and placing: each channel's streams are decoded in their schedule's order and
//! written (mixed, if two overlap) at their place on one timeline shared by both channels, so
//! the caller and the callee line up as they did on the wire. Losses, late packets and marker
//! bits become marks at their place.

use std::collections::HashMap;

use crate::codecs::{self, Kind};
use crate::collect::Received;
use crate::request::{Mode, Request, Track};
use crate::schedule::{self, Schedule};
use crate::{ChannelSummary, Mark, MarkKind, TrackSummary};

/// Marks kept per channel (further ones are counted).
pub const MAX_MARKS: usize = 4096;

/// One channel's samples and what happened to it.
pub struct Rendered {
    pub samples: Vec<i16>,
    pub summary: ChannelSummary,
}

/// The output rate: the highest of the playable payload types (8 kHz when none is).
pub fn output_rate(request: &Request, received: &[Vec<Vec<Received>>]) -> u32 {
    let mut rate = 8000;
    for (ch, packets) in request.channels.iter().zip(received) {
        for (track, packets) in ch.tracks.iter().zip(packets) {
            for pt in track
                .payload_types
                .iter()
                .filter(|p| packets.iter().any(|r| r.pt == p.pt))
            {
                if let Some(r) = codecs::speech_rate(pt.pt, &pt.name) {
                    rate = rate.max(r);
                }
            }
        }
    }
    rate
}

/// Plans every stream; returns the plans and the earliest place any packet plays (ms).
pub fn plan_all(
    request: &Request,
    received: &[Vec<Vec<Received>>],
) -> (Vec<Vec<Schedule>>, Option<f64>) {
    let mut start: Option<f64> = None;
    let plans = request
        .channels
        .iter()
        .zip(received)
        .map(|(ch, packets)| {
            ch.tracks
                .iter()
                .zip(packets)
                .map(|(track, packets)| {
                    let s = schedule::plan(track, packets, request.mode);
                    let first = s
                        .order
                        .iter()
                        .map(|&(i, at)| at.unwrap_or(packets[i].arrival_ms));
                    for t in first.chain(s.late.iter().map(|&(_, at)| at)) {
                        start = Some(start.map_or(t, |s: f64| s.min(t)));
                    }
                    s
                })
                .collect()
        })
        .collect();
    (plans, start)
}

/// The timeline being written: samples from `start_ms` at `rate`, at most `cap` of them.
struct Timeline {
    samples: Vec<i16>,
    rate: u32,
    start_ms: f64,
    cap: usize,
    cut: bool,
}

impl Timeline {
    fn index(&self, at_ms: f64) -> usize {
        (((at_ms - self.start_ms) * f64::from(self.rate) / 1000.0).round()).max(0.0) as usize
    }

    /// Mixes `pcm` (already at the timeline's rate) in from `at_ms`.
    fn write(&mut self, at_ms: f64, pcm: &[i16]) {
        let from = self.index(at_ms);
        let end = from.saturating_add(pcm.len());
        let to = end.min(self.cap);
        if to < end {
            self.cut = true;
        }
        if to <= from {
            return;
        }
        if self.samples.len() < to {
            self.samples.resize(to, 0);
        }
        for (out, s) in self.samples[from..to].iter_mut().zip(pcm) {
            *out = out.saturating_add(*s);
        }
    }

    fn seconds(&self, at_ms: f64) -> f64 {
        (at_ms - self.start_ms) / 1000.0
    }
}

/// Linear interpolation from `from` Hz to `to` Hz (the rates here are 8 and 16 kHz).
fn resample(pcm: Vec<i16>, from: u32, to: u32) -> Vec<i16> {
    if from == to || from == 0 || pcm.is_empty() {
        return pcm;
    }
    let n = (pcm.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    (0..n)
        .map(|k| {
            let x = k as f64 * f64::from(from) / f64::from(to);
            let i = x.floor() as usize;
            let a = f64::from(pcm[i.min(pcm.len() - 1)]);
            let b = f64::from(pcm[(i + 1).min(pcm.len() - 1)]);
            (a + (b - a) * (x - i as f64)).round() as i16
        })
        .collect()
}

/// Decodes and places one channel.
pub fn channel(
    label: &str,
    tracks: &[Track],
    received: &[Vec<Received>],
    plans: &[Schedule],
    mode: Mode,
    (rate, start_ms, cap): (u32, f64, usize),
) -> (Rendered, bool) {
    let mut line = Timeline {
        samples: Vec::new(),
        rate,
        start_ms,
        cap,
        cut: false,
    };
    let mut marks = Vec::new();
    let mut summaries = Vec::new();
    for ((track, packets), plan) in tracks.iter().zip(received).zip(plans) {
        summaries.push(track_audio(
            track, packets, plan, mode, &mut line, &mut marks,
        ));
    }
    marks.sort_by(|a: &Mark, b| a.t.total_cmp(&b.t));
    let marks_dropped = marks.len().saturating_sub(MAX_MARKS) as u64;
    marks.truncate(MAX_MARKS);
    let cut = line.cut;
    (
        Rendered {
            samples: line.samples,
            summary: ChannelSummary {
                label: label.to_owned(),
                tracks: summaries,
                marks,
                marks_dropped,
            },
        },
        cut,
    )
}

fn track_audio(
    track: &Track,
    packets: &[Received],
    plan: &Schedule,
    mode: Mode,
    line: &mut Timeline,
    marks: &mut Vec<Mark>,
) -> TrackSummary {
    let mut summary = TrackSummary {
        src: track.src.to_string(),
        dst: track.dst.to_string(),
        ssrc: format!("0x{:08x}", track.ssrc),
        packets: packets.len() as u64,
        late: plan.late.len() as u64,
        duplicates: plan.duplicates,
        ..TrackSummary::default()
    };
    for pt in &track.payload_types {
        if packets.iter().any(|p| p.pt == pt.pt) {
            summary.codecs.push(pt.name.clone());
        }
    }
    if track.srtp {
        summary.not_playable = Some("encrypted (SRTP): the capture holds no keys".into());
        return summary;
    }
    let mut kinds: HashMap<u8, Kind> = HashMap::new();
    // Where each packet played (ms), by index, and the usual packet length.
    let mut placed: HashMap<usize, f64> = HashMap::new();
    let mut frame_ms: Option<f64> = None;
    let mut prev_end = f64::MIN;
    let mut unplayable: Option<String> = None;
    for &(i, at) in &plan.order {
        let p = &packets[i];
        let kind = kinds.entry(p.pt).or_insert_with(|| {
            let name = track
                .payload_types
                .iter()
                .find(|t| t.pt == p.pt)
                .map_or("", |t| t.name.as_str());
            codecs::for_payload(p.pt, name)
        });
        let at_ms = at.unwrap_or_else(|| p.arrival_ms.max(prev_end));
        match kind {
            Kind::Speech(decoder, from) => {
                let Some(pcm) = codecs::decode(decoder.as_mut(), &p.payload) else {
                    summary.undecodable += 1;
                    continue;
                };
                let ms = pcm.len() as f64 * 1000.0 / f64::from(*from);
                frame_ms.get_or_insert(ms);
                line.write(at_ms, &resample(pcm, *from, line.rate));
                placed.insert(i, at_ms);
                prev_end = at_ms + ms;
                summary.played += 1;
            }
            Kind::Silent => {}
            Kind::Unplayable(why) => {
                summary.unplayable += 1;
                unplayable.get_or_insert_with(|| why.clone());
            }
        }
        if p.marker {
            marks.push(Mark {
                kind: MarkKind::Marker,
                t: line.seconds(at_ms),
                duration: 0.0,
                packets: 1,
            });
        }
    }
    if summary.played == 0 {
        summary.not_playable = unplayable;
    }
    let frame_ms = frame_ms.unwrap_or(20.0);
    for &(i, at) in &plan.late {
        let at_ms = placed.get(&i).copied().unwrap_or(at);
        marks.push(Mark {
            kind: MarkKind::Late,
            t: line.seconds(at_ms),
            duration: if mode == Mode::Buffer { frame_ms } else { 0.0 } / 1000.0,
            packets: 1,
        });
    }
    summary.lost = losses(plan, &placed, frame_ms, mode, line, marks);
    summary
}

/// Marks each run of missing sequence numbers where its packets would have played (counted
/// back from the next packet that played, at the stream's packet length); returns how many.
fn losses(
    plan: &Schedule,
    placed: &HashMap<usize, f64>,
    frame_ms: f64,
    mode: Mode,
    line: &Timeline,
    marks: &mut Vec<Mark>,
) -> u64 {
    let mut by_ext: Vec<(i64, Option<f64>)> = plan
        .ext
        .iter()
        .enumerate()
        .map(|(i, &e)| (e, placed.get(&i).copied()))
        .collect();
    by_ext.sort_by_key(|&(e, _)| e);
    by_ext.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 = a.1.or(b.1);
            true
        } else {
            false
        }
    });
    // The nearest packet that played at or after each position, and at or before it (one pass
    // each way, so a stream of unplayable packets with many gaps costs no more than one).
    let placed_of = |&(e, at): &(i64, Option<f64>)| at.map(|at| (e, at));
    let mut next_placed = vec![None; by_ext.len()];
    let mut seen = None;
    for (k, p) in by_ext.iter().enumerate().rev() {
        seen = placed_of(p).or(seen);
        next_placed[k] = seen;
    }
    let mut prev_placed = None;
    let mut lost = 0;
    for (k, w) in by_ext.windows(2).enumerate() {
        prev_placed = placed_of(&w[0]).or(prev_placed);
        let missing = w[1].0 - w[0].0 - 1;
        if missing <= 0 {
            continue;
        }
        lost += missing as u64;
        let (after, before) = (next_placed[k + 1], prev_placed);
        let first_missing = w[0].0 + 1;
        let at_ms = match (after, before) {
            (Some((e, at)), _) => at - (e - first_missing) as f64 * frame_ms,
            (None, Some((e, at))) => at + (first_missing - e) as f64 * frame_ms,
            (None, None) => continue,
        };
        marks.push(Mark {
            kind: MarkKind::Lost,
            t: line.seconds(at_ms),
            duration: if mode == Mode::Buffer {
                missing as f64 * frame_ms / 1000.0
            } else {
                0.0
            },
            packets: missing as u64,
        });
    }
    lost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_doubles_with_interpolation() {
        assert_eq!(
            resample(vec![0, 100, 200], 8000, 16000),
            [0, 50, 100, 150, 200, 200]
        );
        assert_eq!(resample(vec![1, 2], 8000, 8000), [1, 2]);
    }
}
