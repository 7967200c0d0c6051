//! A tunnel's exchanges on a time axis (SVG): one lane per exchange type in order of first
//! appearance (IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL, Main Mode…), a lane of
//! NAT-keepalives, and a lane per ESP SA spanning its first to last packet.

use callscope_analysis::ike::TunnelReport;
use yew::prelude::*;

const W: f64 = 800.0;
const LABEL: f64 = 150.0;
const LANE: f64 = 22.0;
const TOP: f64 = 8.0;
const AXIS: f64 = 26.0;

/// Props of [`TunnelAxis`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The tunnel.
    pub tunnel: TunnelReport,
}

/// The time axis.
#[function_component(TunnelAxis)]
pub fn tunnel_axis(props: &Props) -> Html {
    let t = &props.tunnel;
    let mut lanes: Vec<&str> = Vec::new();
    for x in &t.exchanges {
        if !lanes.contains(&x.kind.as_str()) {
            lanes.push(&x.kind);
        }
    }
    let ka_lane = lanes.len();
    let esp_first = ka_lane + usize::from(!t.keepalive_times.is_empty());
    let n_lanes = esp_first + t.esp.len().min(8);
    let (lo, hi) = (
        t.start,
        if t.end > t.start {
            t.end
        } else {
            t.start + 1.0
        },
    );
    let sx = |v: f64| LABEL + (v - lo) / (hi - lo) * (W - LABEL - 12.0);
    let y = |lane: usize| TOP + lane as f64 * LANE + LANE / 2.0;
    let h = TOP + n_lanes as f64 * LANE + AXIS;
    let labels = lanes
        .iter()
        .enumerate()
        .map(|(i, name)| (i, (*name).to_owned()))
        .chain(
            (!t.keepalive_times.is_empty())
                .then(|| (ka_lane, format!("keepalives ({})", t.keepalives))),
        )
        .chain(
            t.esp
                .iter()
                .take(8)
                .enumerate()
                .map(|(k, e)| (esp_first + k, format!("ESP {}", e.spi))),
        );
    let exchanges =
        t.exchanges.iter().map(|x| {
            let lane = lanes.iter().position(|l| *l == x.kind).unwrap_or(0);
            let title =
                format!(
            "{} message {} by the {}: {} request(s), {} response(s), frames {}{} at {:.3} s",
            x.kind,
            x.message_id,
            x.by,
            x.requests,
            x.responses,
            x.frames.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(", "),
            x.rtt_ms.map(|r| format!(", answered in {r:.1} ms")).unwrap_or_default(),
            x.start
        );
            html! {
                <g class={classes!("ex", x.meaning.as_ref().map(|_| "meant"))}>
                    <title>{ title }</title>
                    <circle cx={sx(x.start).to_string()} cy={y(lane).to_string()} r="5" />
                </g>
            }
        });
    let keepalives = t.keepalive_times.iter().map(|&k| {
        html! { <line class="ka" x1={sx(k).to_string()} x2={sx(k).to_string()} y1={(y(ka_lane) - 6.0).to_string()} y2={(y(ka_lane) + 6.0).to_string()}><title>{ format!("keepalive at {k:.3} s") }</title></line> }
    });
    let esp = t.esp.iter().take(8).enumerate().map(|(k, e)| {
        let (a, b) = (sx(e.first), sx(e.last).max(sx(e.first) + 2.0));
        html! {
            <rect class="esp" x={a.to_string()} y={(y(esp_first + k) - 5.0).to_string()} width={(b - a).to_string()} height="10">
                <title>{ format!("ESP {} {} → {}: {} packets, {} gaps, {:.3}–{:.3} s", e.spi, e.src, e.dst, e.packets, e.lost, e.first, e.last) }</title>
            </rect>
        }
    });
    let axis_y = h - AXIS + 4.0;
    html! {
        <figure class="axis-chart">
            <svg viewBox={format!("0 0 {W} {h}")} data-testid="tunnel-axis" role="img"
                aria-label={format!("{} exchanges and {} keepalives from {:.3} s to {:.3} s", t.exchanges.len(), t.keepalive_times.len(), t.start, t.end)}>
                { for labels.map(|(lane, text)| html! {
                    <g class="lane">
                        <line x1={LABEL.to_string()} x2={(W - 12.0).to_string()} y1={y(lane).to_string()} y2={y(lane).to_string()} />
                        <text x={(LABEL - 8.0).to_string()} y={(y(lane) + 4.0).to_string()} text-anchor="end">{ text }</text>
                    </g>
                }) }
                { for esp }
                { for keepalives }
                { for exchanges }
                <line class="axis" x1={LABEL.to_string()} x2={(W - 12.0).to_string()} y1={axis_y.to_string()} y2={axis_y.to_string()} />
                <text class="tick" x={LABEL.to_string()} y={(axis_y + 16.0).to_string()}>{ format!("{lo:.3} s") }</text>
                <text class="tick" x={(W - 12.0).to_string()} y={(axis_y + 16.0).to_string()} text-anchor="end">{ format!("{hi:.3} s") }</text>
            </svg>
        </figure>
    }
}
