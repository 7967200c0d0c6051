//! Media: RTP streams with tshark's RTP Streams columns plus codec, MOS/R, RTT and the call they
//! belong to; a stream opens its plots. RTCP follows in its own tables.

pub mod rtcp;
pub mod stream;

use std::rc::Rc;

use callscope_view::{format, headline, media};
use yew::prelude::*;

use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::use_shown;
use crate::route::Route;
use crate::views::empty;

const COLUMNS: [Column; 19] = [
    Column::num("#"),
    Column::text("From"),
    Column::text("To"),
    Column::text("SSRC"),
    Column::text("Payload"),
    Column::num("Packets"),
    Column::num("Lost"),
    Column::num("Min Δ (ms)"),
    Column::num("Mean Δ (ms)"),
    Column::num("Max Δ (ms)"),
    Column::num("Min jitter (ms)"),
    Column::num("Mean jitter (ms)"),
    Column::num("Max jitter (ms)"),
    Column::text("Problems?").help("tshark's flag: a wrong sequence number or timestamp was seen"),
    Column::num("MOS")
        .help("Estimated with the E-model (ITU-T G.107) behind a fixed jitter buffer"),
    Column::num("R"),
    Column::num("RTT (ms)").help("From RTCP LSR/DLSR, when both sides reported"),
    Column::num("Start (s)"),
    Column::text("Call"),
];

/// Milliseconds with three decimals, as tshark prints them (−1 is tshark's "never set").
fn ms3(v: f64) -> Cell {
    Cell::num(v, format!("{v:.3}"))
}

/// The media section.
#[function_component(Media)]
pub fn media_view() -> Html {
    let shown = use_shown();
    let rows = use_memo(shown.clone(), |shown| {
        let Some(shown) = shown else {
            return Rows::of(vec![]);
        };
        let r = &shown.report;
        Rows::of(
            r.rtp
                .streams
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let call = s.call.and_then(|c| r.sip.calls.get(c)).map(|c| {
                        Cell::text(format!("{} → {}", c.caller, c.callee))
                            .link(Route::Calls(Some(c.call_id.clone()), None).href())
                    });
                    Row::to(
                        vec![
                            Cell::id(i as u64 + 1),
                            Cell::addr(&s.src),
                            Cell::addr(&s.dst),
                            Cell::text(s.ssrc.to_string()).class("mono"),
                            Cell::text(media::codec(s)).title(s.payload.clone()),
                            Cell::count(s.packets),
                            Cell::num(s.lost as f64, media::loss(s)).class(if s.lost > 0 {
                                "bad"
                            } else {
                                "good"
                            }),
                            ms3(s.min_delta_ms),
                            ms3(s.mean_delta_ms),
                            ms3(s.max_delta_ms),
                            ms3(s.min_jitter_ms),
                            ms3(s.mean_jitter_ms),
                            ms3(s.max_jitter_ms),
                            Cell::text(if s.problem { "X" } else { "" }),
                            Cell::opt_num(s.mos, |m| format!("{m:.2}")),
                            Cell::opt_num(s.r_factor, |m| format!("{m:.1}")),
                            Cell::opt_num(s.rtt_ms, |m| format!("{m:.1}")),
                            Cell::num(s.start, format!("{:.3}", s.start)),
                            call.unwrap_or_else(|| Cell::opt(s.call_id.clone())),
                        ],
                        Route::Media(Some(i)).href(),
                    )
                })
                .collect(),
        )
    });
    let Some(shown) = shown else { return html! {} };
    let rtp = &shown.report.rtp;
    html! {
        <div class="view" data-testid="view-media">
            <p class="lede" data-testid="media-headline">{ headline::media(&shown.report) }</p>
            if rtp.streams.is_empty() {
                { empty("No RTP streams in this capture: no audio or video flowed in the clear (encrypted media inside a tunnel shows as ESP).") }
            } else {
                <section class="card">
                    <h2>{ "RTP streams" }</h2>
                    <p class="muted small">{ format!(
                        "Columns as tshark's RTP Streams; MOS and R estimated behind a {} ms jitter buffer. {} packets in all{}.",
                        rtp.jitter_buffer_ms,
                        format::count(rtp.packets),
                        if rtp.srtp_packets > 0 { format!(", {} of them SRTP (counted from clear headers)", format::count(rtp.srtp_packets)) } else { String::new() }
                    ) }</p>
                    <SortTable columns={Rc::new(COLUMNS.to_vec())} rows={(*rows).clone()} testid="streams-table" what="streams" />
                    if rtp.streams_dropped > 0 {
                        <p class="warning">{ format!("{} more streams ({} packets) were not tracked (bound).", format::count(rtp.streams_dropped), format::count(rtp.packets_dropped)) }</p>
                    }
                </section>
            }
            <rtcp::Rtcp />
        </div>
    }
}
