//! One RTP stream: its numbers, and its per-second series as plots (jitter and delta over time,
//! packets and loss per bucket) with the call's SIP messages marked on the same time axis.

use std::rc::Rc;

use callscope_analysis::rtp::RtpStream;
use callscope_view::{format, media};
use yew::prelude::*;

use crate::components::chart::{Chart, Kind, Marker, Series};
use crate::components::player::{AudioPlayer, Inputs};
use crate::context::{use_page, use_shown};
use crate::route::Route;
use crate::views::{fact, link};

/// Props of [`StreamPage`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Index in `rtp.streams`.
    pub index: usize,
}

fn line(
    name: &str,
    class: &'static str,
    s: &RtpStream,
    y: impl Fn(&callscope_analysis::rtp::SeriesPoint) -> f64,
) -> Series {
    Series {
        name: name.into(),
        class,
        kind: Kind::Line,
        points: s.series.iter().map(|p| (p.t, y(p))).collect(),
    }
}

fn bars(
    name: &str,
    class: &'static str,
    s: &RtpStream,
    y: impl Fn(&callscope_analysis::rtp::SeriesPoint) -> f64,
) -> Series {
    Series {
        name: name.into(),
        class,
        kind: Kind::Bars,
        points: s.series.iter().map(|p| (p.t, y(p))).collect(),
    }
}

/// The time axis of the stream's series plots.
const SERIES_AXIS: &str = "seconds since the stream's first packet";

/// The stream's page.
#[function_component(StreamPage)]
pub fn stream_page(props: &Props) -> Html {
    let shown = use_shown();
    let page = use_page();
    let plots = use_memo((shown.clone(), props.index), |(shown, index)| {
        let empty = (
            Rc::new(vec![]),
            Rc::new(vec![]),
            Rc::new(vec![]),
            Rc::new(vec![]),
            1.0,
        );
        let Some(shown) = shown else { return empty };
        let r = &shown.report;
        let Some(s) = r.rtp.streams.get(*index) else {
            return empty;
        };
        let width = match s.series.as_slice() {
            [a, b, ..] => b.t - a.t,
            _ => 1.0,
        };
        // The call's SIP messages, on the stream's time axis (seconds since its first packet).
        let markers: Vec<Marker> = s
            .call
            .and_then(|c| r.sip.calls.get(c))
            .map(|c| {
                c.messages
                    .iter()
                    .filter(|m| !m.retransmission)
                    .map(|m| Marker {
                        x: m.time - s.start,
                        label: m.label.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        (
            Rc::new(vec![line("max jitter (ms)", "s-jitter", s, |p| {
                p.jitter_ms
            })]),
            Rc::new(vec![line("max delta (ms)", "s-delta", s, |p| {
                p.max_delta_ms
            })]),
            Rc::new(vec![
                bars("packets", "s-packets", s, |p| f64::from(p.packets)),
                bars("lost", "s-lost", s, |p| f64::from(p.lost)),
            ]),
            Rc::new(markers),
            width,
        )
    });
    let audio = use_memo((shown.clone(), props.index), |(shown, index)| {
        let r = &shown.as_ref()?.report;
        let s = r.rtp.streams.get(*index)?;
        let request = callscope_audio::from_report::stream(r, *index)?;
        Some(Inputs::new(
            r,
            request,
            s.call.and_then(|c| r.sip.calls.get(c)),
        ))
    });
    let (Some(shown), Some(page)) = (shown, page) else {
        return html! {};
    };
    let r = &shown.report;
    let Some(s) = r.rtp.streams.get(props.index) else {
        return html! {
            <div class="view" data-testid="view-stream">
                <p class="crumbs">{ link(&Route::Media(None), "← All streams") }</p>
                <section class="card" data-testid="not-found"><p>{ format!("This capture has no stream {}.", props.index + 1) }</p></section>
            </div>
        };
    };
    let (jitter, delta, loss, markers, width) = (*plots).clone();
    let call = s.call.and_then(|c| r.sip.calls.get(c));
    let save_series = {
        let csv = callscope_view::export::series_csv(s);
        let name = crate::download::name(
            &shown.name,
            &format!("stream-{}-series.csv", props.index + 1),
        );
        Callback::from(move |_: MouseEvent| {
            let _ = crate::download::save(&name, "text/csv", &csv);
        })
    };
    html! {
        <div class="view" data-testid="view-stream">
            <p class="crumbs">{ link(&Route::Media(None), "← All streams") }</p>
            <section class="card">
                <h2 class="mono">{ format!("Stream {}: {}", props.index + 1, media::title(s)) }</h2>
                <dl class="facts">
                    { fact("Packets", html! { <span data-testid="stream-packets">{ format::count(s.packets) }</span> }) }
                    { fact("Lost", html! { <span data-testid="stream-lost" class={classes!((s.lost > 0).then_some("bad"))}>{ media::loss(s) }</span> }) }
                    { fact("Payload", s.payload.clone()) }
                    { fact("Delta min / mean / max", format!("{:.3} / {:.3} / {:.3} ms", s.min_delta_ms, s.mean_delta_ms, s.max_delta_ms)) }
                    { fact("Jitter min / mean / max", html! { <span data-testid="stream-jitter">{ format!("{:.3} / {:.3} / {:.3} ms", s.min_jitter_ms, s.mean_jitter_ms, s.max_jitter_ms) }</span> }) }
                    { fact("MOS / R", match (s.mos, s.r_factor) { (Some(m), Some(rf)) => format!("{m:.2} / {rf:.1}"), _ => "not estimated (codec unknown)".into() }) }
                    { fact("Round trip (RTCP)", s.rtt_ms.map_or_else(|| "—".into(), |v| format!("{v:.1} ms"))) }
                    { fact("Bitrate", format!("{:.1} kbit/s", s.bitrate_kbps)) }
                    { fact("Sequence errors / duplicates / late", format!("{} / {} / {}", s.sequence_errors, s.duplicates, s.late_discards)) }
                    { fact("Marker / comfort noise / events", format!("{} / {} / {}", s.markers, s.cn_packets, s.event_packets)) }
                    { fact("Time", format!("{} for {}", page.clock(&shown, s.start), format::duration(s.duration))) }
                    { fact("Frames", format!("{} – {}", s.first_frame, s.last_frame)) }
                    { fact("Found by", if s.sdp { "SDP" } else { "heuristics (no SDP announced it)" }) }
                    if s.srtp { { fact("Encryption", "SRTP: only the clear headers were counted") } }
                    { fact("Call", match call {
                        Some(c) => link(&Route::Calls(Some(c.call_id.clone()), None), format!("{} → {} ({})", c.caller, c.callee, c.call_id)),
                        None => html! { "none found" },
                    }) }
                    { fact("Process", shown.links.stream_process(r, props.index).map_or_else(|| "unknown".to_owned(), ToString::to_string)) }
                </dl>
            </section>
            if let Some(inputs) = audio.as_ref() {
                // Keyed by the stream: another stream's page starts with its own player.
                <AudioPlayer key={props.index} request={inputs.request.clone()} events={inputs.events.clone()} dtmf={inputs.dtmf.clone()}
                    name={AttrValue::from(crate::download::name(&shown.name, &format!("stream-{}.wav", props.index + 1)))} />
            }
            <section class="card plots">
                <div class="card-head">
                    <h2>{ "Over time" }</h2>
                    <span class="spacer"></span>
                    <button type="button" onclick={save_series} data-testid="save-series" title="The per-second series as CSV">{ "CSV" }</button>
                </div>
                <p class="muted small">{ format!(
                    "{} points, one per {} s since the stream's first packet{}.",
                    s.series.len(), width, if markers.is_empty() { String::new() } else { "; dashed lines are the call's SIP messages".into() }
                ) }</p>
                <Chart series={jitter} markers={markers.clone()} x_label={SERIES_AXIS} y_label="jitter (ms)" testid="plot-jitter" decimals={3} height={200} />
                <Chart series={delta} markers={markers.clone()} x_label={SERIES_AXIS} y_label="delta (ms)" testid="plot-delta" decimals={3} height={200} />
                <Chart series={loss} markers={markers} x_label={SERIES_AXIS} y_label="packets" testid="plot-loss" bar_width={width} height={200} />
            </section>
        </div>
    }
}
