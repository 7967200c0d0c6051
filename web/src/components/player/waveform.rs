//! The decoded audio drawn as SVG: one lane per channel (its waveform, with losses, late
//! packets, marker bits and key presses marked where they happened), the call's SIP messages on
//! the same time axis below (click one to move there), and the playhead. Clicking a lane moves
//! the playhead too.

use std::fmt::Write as _;
use std::rc::Rc;

use callscope_audio::{Mark, MarkKind};
use yew::prelude::*;

/// SVG units across.
const W: f64 = 1000.0;
/// One lane's height.
const LANE: f64 = 74.0;
/// The SIP events' rows.
const EVENTS: f64 = 50.0;
/// Rows of event labels.
const EVENT_ROWS: usize = 3;
/// A label character's width in SVG units (11-unit sans-serif, generously).
const CHAR_W: f64 = 6.4;
/// The time axis.
const AXIS: f64 = 18.0;

/// One channel to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// `left: caller → callee`.
    pub label: String,
    /// (min, max) per column, left to right across the whole duration.
    pub peaks: Vec<(i16, i16)>,
    /// Its marks (seconds into the audio).
    pub marks: Vec<Mark>,
    /// Key presses: (seconds into the audio, key).
    pub dtmf: Vec<(f64, String)>,
}

/// A SIP message on the time axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    /// Seconds into the audio (may be before 0 or past the end: not drawn then).
    pub t: f64,
    /// `INVITE`, `200 OK`, `BYE`.
    pub label: String,
}

/// Props of [`Waveform`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The channels.
    pub lanes: Rc<Vec<Lane>>,
    /// The SIP messages.
    pub events: Rc<Vec<Moment>>,
    /// Seconds of audio.
    pub duration: f64,
    /// The axis: from `from` (≤ 0) to `to` (≥ `duration`) seconds of the audio's clock, so
    /// messages before and after the media are on it too.
    pub from: f64,
    /// See `from`.
    pub to: f64,
    /// The playhead (seconds).
    pub position: f64,
    /// Asked to move the playhead (seconds).
    pub on_seek: Callback<f64>,
}

/// `m:ss.s` for a time axis and readouts.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0);
    let minutes = (s / 60.0).floor();
    format!("{}:{:04.1}", minutes as u64, s - minutes * 60.0)
}

/// [`clock`] with a minus sign before the audio's start.
fn signed(t: f64) -> String {
    if t < 0.0 {
        format!("−{}", clock(-t))
    } else {
        clock(t)
    }
}

/// A tick spacing giving about eight ticks.
fn tick_step(duration: f64) -> f64 {
    let raw = duration / 8.0;
    [
        0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
    ]
    .into_iter()
    .find(|&s| s >= raw)
    .unwrap_or(3600.0)
}

/// The waveform of one lane as one path: a vertical stroke per column.
fn outline(peaks: &[(i16, i16)], top: f64, left: f64, right: f64) -> String {
    let mid = top + LANE / 2.0 + 6.0;
    let half = LANE / 2.0 - 12.0;
    let n = peaks.len().max(1) as f64;
    let mut d = String::with_capacity(peaks.len() * 16);
    for (i, &(lo, hi)) in peaks.iter().enumerate() {
        let x = left + (i as f64 + 0.5) * (right - left) / n;
        let y1 = mid - f64::from(hi) / 32768.0 * half;
        let y2 = (mid - f64::from(lo) / 32768.0 * half).max(y1 + 0.6);
        let _ = write!(d, "M{x:.1} {y1:.1}V{y2:.1}");
    }
    d
}

/// The drawing.
#[function_component(Waveform)]
pub fn waveform(props: &Props) -> Html {
    let duration = props.duration.max(1e-6);
    let (from, to) = (props.from.min(0.0), props.to.max(duration));
    let span = (to - from).max(1e-6);
    let x = |t: f64| ((t - from) / span * W).clamp(0.0, W);
    let height = props.lanes.len() as f64 * LANE + EVENTS + AXIS;
    let on_seek = props.on_seek.clone();
    let onclick = Callback::from(move |e: MouseEvent| {
        let Some(svg) = e
            .current_target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        else {
            return;
        };
        let rect = svg.get_bounding_client_rect();
        if rect.width() > 0.0 {
            let f = (f64::from(e.client_x()) - rect.left()) / rect.width();
            on_seek.emit((from + f.clamp(0.0, 1.0) * span).clamp(0.0, duration));
        }
    });
    let lanes = props.lanes.iter().enumerate().map(|(c, lane)| {
        let top = c as f64 * LANE;
        let marks = lane.marks.iter().map(|m| {
            let (class, what) = match m.kind {
                MarkKind::Lost => ("mk-lost", format!("{} lost", m.packets)),
                MarkKind::Late => ("mk-late", "late packet".to_owned()),
                MarkKind::Marker => ("mk-marker", "marker bit".to_owned()),
            };
            let title = format!("{what} at {}", clock(m.t));
            if m.kind == MarkKind::Marker {
                html! {
                    <path class={class} d={format!("M{:.1} {:.1}l-4 -6h8z", x(m.t), top + 22.0)}><title>{ title }</title></path>
                }
            } else {
                let w = (m.duration / span * W).max(2.0);
                html! {
                    <rect class={class} x={format!("{:.1}", x(m.t))} y={format!("{:.1}", top + 18.0)} width={format!("{w:.1}")} height={format!("{:.1}", LANE - 22.0)}
                        data-testid={format!("audio-{}", class.trim_start_matches("mk-"))}><title>{ title }</title></rect>
                }
            }
        });
        let dtmf = lane.dtmf.iter().map(|(t, key)| html! {
            <g class="mk-dtmf" data-testid="audio-dtmf">
                <line x1={format!("{:.1}", x(*t))} x2={format!("{:.1}", x(*t))} y1={format!("{:.1}", top + 16.0)} y2={format!("{:.1}", top + LANE - 4.0)} />
                <text x={format!("{:.1}", x(*t) + 3.0)} y={format!("{:.1}", top + 30.0)}>{ key.clone() }</text>
                <title>{ format!("DTMF {key} at {}", clock(*t)) }</title>
            </g>
        });
        html! {
            <g class="lane" data-testid="audio-lane">
                <text class="lane-label" x="4" y={format!("{:.1}", top + 12.0)}>{ lane.label.clone() }</text>
                <line class="lane-mid" x1="0" x2={W.to_string()} y1={format!("{:.1}", top + LANE / 2.0 + 6.0)} y2={format!("{:.1}", top + LANE / 2.0 + 6.0)} />
                { for marks }
                <path class="wave" d={outline(&lane.peaks, top, x(0.0), x(duration))} />
                { for dtmf }
            </g>
        }
    });
    let events_top = props.lanes.len() as f64 * LANE;
    let shown: Vec<&Moment> = props
        .events
        .iter()
        .filter(|e| e.t >= from && e.t <= to)
        .collect();
    // Labels go to the first row where they do not overlap the previous one (else the row that
    // ends first); near the right edge they sit left of their line.
    let mut row_ends = [f64::MIN; EVENT_ROWS];
    let placed: Vec<(usize, bool)> = shown
        .iter()
        .map(|e| {
            let width = 6.0 + CHAR_W * e.label.chars().count() as f64;
            let left_side = x(e.t) + width > W;
            let (start, end) = if left_side {
                (x(e.t) - width, x(e.t))
            } else {
                (x(e.t), x(e.t) + width)
            };
            let row = row_ends.iter().position(|&r| r < start).unwrap_or_else(|| {
                (0..EVENT_ROWS)
                    .min_by(|&a, &b| row_ends[a].total_cmp(&row_ends[b]))
                    .unwrap_or(0)
            });
            row_ends[row] = end;
            (row, left_side)
        })
        .collect();
    let events = shown.iter().zip(placed).map(|(e, (row, left_side))| {
        let t = e.t;
        let to_audio = t.clamp(0.0, duration);
        let on_seek = props.on_seek.clone();
        let onclick = Callback::from(move |ev: MouseEvent| {
            ev.stop_propagation();
            on_seek.emit(to_audio);
        });
        let on_seek = props.on_seek.clone();
        let onkeydown = Callback::from(move |ev: KeyboardEvent| {
            if ev.key() == "Enter" || ev.key() == " " {
                ev.prevent_default();
                on_seek.emit(to_audio);
            }
        });
        let y = events_top + 14.0 + row as f64 * 15.0;
        let width = 6.0 + CHAR_W * e.label.chars().count() as f64;
        let (text_x, anchor, hit_x) = if left_side {
            (x(t) - 2.0, "end", x(t) - width)
        } else {
            (x(t) + 2.0, "start", x(t) - 2.0)
        };
        html! {
            <g class="sip-ev" role="button" tabindex="0" {onclick} {onkeydown} data-testid="audio-event" data-t={format!("{t:.3}")}>
                <line x1={format!("{:.1}", x(t))} x2={format!("{:.1}", x(t))} y1="0" y2={format!("{:.1}", y - 9.0)} />
                <rect class="hit" x={format!("{hit_x:.1}")} y={format!("{:.1}", y - 11.0)} width={format!("{:.1}", width + 2.0)} height="14" />
                <text x={format!("{text_x:.1}")} y={format!("{y:.1}")} text-anchor={anchor}>{ e.label.clone() }</text>
                <title>{ format!("{} at {} — click to play from here", e.label, signed(t)) }</title>
            </g>
        }
    });
    let step = tick_step(span);
    let first = (from / step).ceil() as i64;
    let ticks = (first..=((to / step).floor() as i64)).map(|k| {
        let t = k as f64 * step;
        html! {
            <text class="tick" x={format!("{:.1}", x(t))} y={format!("{:.1}", height - 4.0)}
                text-anchor={if x(t) < 24.0 { "start" } else if x(t) > W - 24.0 { "end" } else { "middle" }}>{ signed(t) }</text>
        }
    });
    html! {
        <svg class="waveform" viewBox={format!("0 0 {W} {height:.0}")}
            role="img" aria-label="The call's audio: one lane per direction, SIP messages below" data-testid="audio-waveform" {onclick}>
            { for lanes }
            { for events }
            { for ticks }
            <line class="playhead" data-testid="audio-playhead" x1={format!("{:.1}", x(props.position))} x2={format!("{:.1}", x(props.position))} y1="0" y2={format!("{:.1}", height - AXIS)} />
        </svg>
    }
}
