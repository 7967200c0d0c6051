//! The timeline: packets (or bytes) per second per protocol family (IKE/ESP, SIP, STUN/TURN,
//! RTP/RTCP, other) as stacked bars, and the protocol mix over the capture (of the packets whose
//! link layer decoded, as the hierarchy counts them; the rest are said).

use std::rc::Rc;

use callscope_view::format;
use yew::prelude::*;

use crate::components::chart::{Chart, Kind, Series};
use crate::context::use_shown;

/// Family names as people read them, and their colour classes, in the report's order.
const FAMILIES: [(&str, &str); 5] = [
    ("IKE/ESP", "f-ike"),
    ("SIP", "f-sip"),
    ("STUN/TURN", "f-stun"),
    ("RTP/RTCP", "f-rtp"),
    ("other", "f-other"),
];

/// The timeline card.
#[function_component(Timeline)]
pub fn timeline() -> Html {
    let shown = use_shown();
    let bytes = use_state(|| false);
    let series = use_memo((shown.clone(), *bytes), |(shown, bytes)| {
        let Some(shown) = shown else {
            return Rc::new(vec![]);
        };
        let t = &shown.report.timeline;
        Rc::new(
            FAMILIES
                .iter()
                .enumerate()
                .map(|(f, (name, class))| Series {
                    name: (*name).into(),
                    class,
                    kind: Kind::Bars,
                    points: t
                        .points
                        .iter()
                        .map(|p| {
                            let v = if *bytes {
                                p.bytes.get(f)
                            } else {
                                p.packets.get(f)
                            };
                            (p.t, v.copied().unwrap_or(0) as f64)
                        })
                        .collect(),
                })
                .collect::<Vec<_>>(),
        )
    });
    let Some(shown) = shown else { return html! {} };
    let t = &shown.report.timeline;
    if t.points.is_empty() && shown.report.capture.packets > 0 {
        return html! {
            <section class="card">
                <h2>{ "Timeline" }</h2>
                <p class="muted" data-testid="no-timeline">{ "This report has no timeline (a shared report leaves it out when the link must stay short)." }</p>
            </section>
        };
    }
    let mut totals = [(0u64, 0u64); 5];
    for p in &t.points {
        for (f, total) in totals.iter_mut().enumerate() {
            total.0 += p.packets.get(f).copied().unwrap_or(0);
            total.1 += p.bytes.get(f).copied().unwrap_or(0);
        }
    }
    let all_packets: u64 = totals.iter().map(|t| t.0).sum();
    let all = all_packets.max(1);
    let toggle = |on: bool, text: &'static str| {
        let bytes = bytes.clone();
        html! {
            <button type="button" class={classes!((*bytes == on).then_some("on"))} aria-pressed={(*bytes == on).to_string()}
                onclick={Callback::from(move |_: MouseEvent| bytes.set(on))}>{ text }</button>
        }
    };
    html! {
        <section class="card">
            <div class="card-head">
                <h2>{ "Timeline" }</h2>
                <span class="spacer"></span>
                <span class="segmented" role="group" aria-label="Count">{ toggle(false, "Packets") }{ toggle(true, "Bytes") }</span>
            </div>
            <Chart series={(*series).clone()} stacked={true} bar_width={t.bucket_s.max(1e-9)}
                x_label={if t.bucket_s == 1.0 { "seconds since the first packet".to_owned() } else { format!("seconds since the first packet ({} s per bar)", t.bucket_s) }}
                y_label={if *bytes { "bytes" } else { "packets" }} testid="timeline" />
            <h3>{ "Protocol mix" }</h3>
            if shown.report.capture.packets > all_packets {
                <p class="muted small" data-testid="mix-missing">{ format!(
                    "{} of the {} packets are not in the timeline or the mix: their link layer could not be decoded.",
                    format::count(shown.report.capture.packets - all_packets),
                    format::count(shown.report.capture.packets)
                ) }</p>
            }
            <ul class="mix" data-testid="mix">
                { for FAMILIES.iter().zip(totals).map(|((name, class), (packets, bytes))| {
                    let share = packets as f64 * 100.0 / all as f64;
                    html! {
                        <li class={classes!(*class, (packets == 0).then_some("quiet"))}>
                            <span class="name">{ *name }</span>
                            <span class="meter"><i style={format!("width:{share:.1}%")}></i></span>
                            <span class="num">{ format!("{} packets ({share:.1} %), {}", format::count(packets), format::bytes(bytes)) }</span>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
