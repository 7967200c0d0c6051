//! A small SVG chart, written here because the page allows no third-party script: lines or bars
//! (stacked when asked) over a numeric x axis, with vertical markers for events (a call's SIP
//! messages on a stream's plot) and a readout of the values under the pointer or the arrow keys.
//! Each data point is an element of its own (`.pt` for lines, `.bar` for bars), so a test can
//! count them.

use std::rc::Rc;

use yew::prelude::*;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A line through the points, each point a dot.
    Line,
    /// A bar per point.
    Bars,
}

/// One series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name in the legend and readout.
    pub name: String,
    /// CSS class giving its colour (`f-sip`, `s-jitter`, …).
    pub class: &'static str,
    /// Line or bars.
    pub kind: Kind,
    /// (x, y) points, x ascending.
    pub points: Vec<(f64, f64)>,
}

/// A vertical marker.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Where, in x units.
    pub x: f64,
    /// Its short label (`INVITE`).
    pub label: String,
}

/// Props of [`Chart`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The series.
    pub series: Rc<Vec<Series>>,
    /// Bars of all series stacked at each x.
    #[prop_or_default]
    pub stacked: bool,
    /// Width of a bar in x units.
    #[prop_or(1.0)]
    pub bar_width: f64,
    /// What x counts (`s since the capture's start`).
    pub x_label: AttrValue,
    /// What y counts (`packets`).
    pub y_label: AttrValue,
    /// Vertical markers.
    #[prop_or_default]
    pub markers: Rc<Vec<Marker>>,
    /// `data-testid` of the chart.
    pub testid: AttrValue,
    /// Height in units of the 800-wide drawing (the chart scales with its box).
    #[prop_or(220)]
    pub height: u32,
    /// Decimals in the readout's values.
    #[prop_or(0)]
    pub decimals: usize,
}

const W: f64 = 800.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 18.0;
const BOTTOM: f64 = 30.0;

/// A tick step near `span / n` of the form 1, 2 or 5 × 10^k.
pub fn nice_step(span: f64, n: f64) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / n;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn tick_text(v: f64, step: f64) -> String {
    // No "-0" for a tick that is zero up to rounding.
    let v = if v.abs() < step * 1e-6 { 0.0 } else { v };
    if step >= 1.0 || v == 0.0 {
        let v = v.round();
        if v.abs() >= 10_000.0 {
            format!("{:.0}k", v / 1000.0)
        } else {
            format!("{v:.0}")
        }
    } else {
        let decimals = (-step.log10().floor()) as usize;
        format!("{v:.decimals$}")
    }
}

/// The chart.
#[function_component(Chart)]
pub fn chart(props: &Props) -> Html {
    // The bucket under the pointer or chosen with the keys, and whether keys chose it (only
    // then is the readout announced to screen readers).
    let hover = use_state(|| None::<(usize, bool)>);
    let svg = use_node_ref();
    let h = f64::from(props.height);
    // Every x value, in order (the readout steps through them).
    let xs: Rc<Vec<f64>> = use_memo(props.series.clone(), |series| {
        let mut xs: Vec<f64> = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        callscope_analysis::order::sort_by(&mut xs, f64::total_cmp);
        xs.dedup();
        xs
    });
    let bar_w = if props.series.iter().any(|s| s.kind == Kind::Bars) {
        props.bar_width
    } else {
        0.0
    };
    let x_min = xs.first().copied().unwrap_or(0.0).min(
        props
            .markers
            .iter()
            .map(|m| m.x)
            .fold(f64::INFINITY, f64::min),
    );
    let x_max = xs.last().copied().unwrap_or(1.0).max(
        props
            .markers
            .iter()
            .map(|m| m.x)
            .fold(f64::NEG_INFINITY, f64::max),
    ) + bar_w;
    let (x_min, x_max) = if x_max > x_min {
        (x_min, x_max)
    } else {
        (x_min, x_min + 1.0)
    };
    let y_max = if props.stacked {
        xs.iter()
            .map(|x| {
                props
                    .series
                    .iter()
                    .filter_map(|s| s.points.iter().find(|p| p.0 == *x))
                    .map(|p| p.1)
                    .sum::<f64>()
            })
            .fold(0.0, f64::max)
    } else {
        props
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(0.0, f64::max)
    };
    // An empty or all-zero chart still gets a 0–1 axis.
    let y_step = if y_max > 0.0 {
        nice_step(y_max, 4.0)
    } else {
        1.0
    };
    let y_top = ((y_max / y_step).ceil() * y_step).max(y_step);
    let sx = move |x: f64| LEFT + (x - x_min) / (x_max - x_min) * (W - LEFT - RIGHT);
    let sy = move |y: f64| TOP + (1.0 - y / y_top) * (h - TOP - BOTTOM);
    let x_step = nice_step(x_max - x_min, 6.0);

    let grid = {
        let mut out = Vec::new();
        let mut y = 0.0;
        while y <= y_top + y_step / 2.0 {
            out.push(html! {
                <g class="tick">
                    <line x1={LEFT.to_string()} x2={(W - RIGHT).to_string()} y1={sy(y).to_string()} y2={sy(y).to_string()} />
                    <text x={(LEFT - 6.0).to_string()} y={(sy(y) + 4.0).to_string()} text-anchor="end">{ tick_text(y, y_step) }</text>
                </g>
            });
            y += y_step;
        }
        let mut x = (x_min / x_step).ceil() * x_step;
        while x <= x_max {
            out.push(html! {
                <text class="tick" x={sx(x).to_string()} y={(h - BOTTOM + 16.0).to_string()} text-anchor="middle">{ tick_text(x, x_step) }</text>
            });
            x += x_step;
        }
        out
    };

    let mut drawn = Vec::new();
    let mut base: Vec<(f64, f64)> = Vec::new();
    for s in props.series.iter() {
        match s.kind {
            Kind::Bars => {
                let px = ((sx(x_min + bar_w) - sx(x_min)) * 0.85).max(3.0);
                for &(x, y) in &s.points {
                    let under = if props.stacked {
                        base.iter().find(|b| b.0 == x).map_or(0.0, |b| b.1)
                    } else {
                        0.0
                    };
                    let (top, bottom) = (sy(under + y), sy(under));
                    drawn.push(html! {
                        <rect class={classes!("bar", s.class)} x={sx(x).to_string()} y={top.to_string()} width={px.to_string()} height={(bottom - top).max(0.0).to_string()} />
                    });
                    if props.stacked {
                        match base.iter_mut().find(|b| b.0 == x) {
                            Some(b) => b.1 += y,
                            None => base.push((x, y)),
                        }
                    }
                }
            }
            Kind::Line => {
                let path: Vec<String> = s
                    .points
                    .iter()
                    .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
                    .collect();
                drawn.push(html! { <polyline class={classes!("line", s.class)} points={path.join(" ")} /> });
                for &(x, y) in &s.points {
                    drawn.push(html! { <circle class={classes!("pt", s.class)} cx={sx(x).to_string()} cy={sy(y).to_string()} r="2.5" /> });
                }
            }
        }
    }

    // Markers closer than a label's width share one label ("INVITE +3"); the tooltip names all.
    let mut clusters: Vec<(f64, Vec<&Marker>)> = Vec::new();
    let mut sorted: Vec<&Marker> = props.markers.iter().collect();
    callscope_analysis::order::sort_by(&mut sorted, |a, b| a.x.total_cmp(&b.x));
    for m in sorted {
        match clusters.last_mut() {
            Some((x, members)) if sx(m.x) - sx(*x) < 70.0 => members.push(m),
            _ => clusters.push((m.x, vec![m])),
        }
    }
    let markers = clusters.into_iter().map(|(x0, members)| {
        let title: Vec<String> = members.iter().map(|m| format!("{} at {:.3}", m.label, m.x)).collect();
        let first: String = members[0].label.chars().take(14).collect();
        let label = if members.len() > 1 { format!("{first} +{}", members.len() - 1) } else { first };
        let lines = members.iter().map(|m| {
            let x = sx(m.x);
            html! { <line x1={x.to_string()} x2={x.to_string()} y1={TOP.to_string()} y2={(h - BOTTOM).to_string()} /> }
        });
        let x = sx(x0);
        let right = x > W - RIGHT - 90.0;
        html! {
            <g class="marker">
                <title>{ title.join("\n") }</title>
                { for lines }
                <text x={(if right { x - 3.0 } else { x + 3.0 }).to_string()} y={(TOP - 6.0).to_string()} text-anchor={if right { "end" } else { "start" }}>{ label }</text>
            </g>
        }
    });

    let onmousemove = {
        let hover = hover.clone();
        let xs = xs.clone();
        let svg = svg.clone();
        Callback::from(move |e: MouseEvent| {
            // Yew delegates events to its root, so the SVG is found through its ref.
            let Some(svg) = svg.cast::<web_sys::Element>() else {
                return;
            };
            let rect = svg.get_bounding_client_rect();
            let x = (f64::from(e.client_x()) - rect.left()) * W / rect.width().max(1.0);
            let at = x_min + (x - LEFT) / (W - LEFT - RIGHT) * (x_max - x_min);
            let nearest = xs
                .iter()
                .enumerate()
                .min_by(|a, b| {
                    (a.1 + bar_w / 2.0 - at)
                        .abs()
                        .total_cmp(&(b.1 + bar_w / 2.0 - at).abs())
                })
                .map(|(i, _)| i);
            hover.set(nearest.map(|i| (i, false)));
        })
    };
    let onkeydown = {
        let hover = hover.clone();
        let n = xs.len();
        Callback::from(move |e: KeyboardEvent| {
            let next = match (e.key().as_str(), hover.map(|(i, _)| i)) {
                ("ArrowRight", None) | ("Home", _) => Some(0),
                ("ArrowLeft", None) | ("End", _) => n.checked_sub(1),
                ("ArrowRight", Some(i)) => Some((i + 1).min(n.saturating_sub(1))),
                ("ArrowLeft", Some(i)) => Some(i.saturating_sub(1)),
                ("Escape", _) => None,
                _ => return,
            };
            e.prevent_default();
            hover.set(next.map(|i| (i, true)));
        })
    };
    let onmouseleave = {
        let hover = hover.clone();
        Callback::from(move |_: MouseEvent| hover.set(None))
    };
    let at = (*hover).and_then(|(i, _)| xs.get(i).copied());
    let announce = (*hover).is_some_and(|(_, keys)| keys);
    let cursor = at.map(|x| {
        let cx = sx(x + bar_w / 2.0);
        html! { <line class="cursor" x1={cx.to_string()} x2={cx.to_string()} y1={TOP.to_string()} y2={(h - BOTTOM).to_string()} /> }
    });
    let readout = match at {
        Some(x) => {
            let values: Vec<String> = props
                .series
                .iter()
                .map(|s| {
                    let v = s.points.iter().find(|p| p.0 == x).map_or(0.0, |p| p.1);
                    format!("{} {:.*}", s.name, props.decimals, v)
                })
                .collect();
            format!(
                "{} = {}: {}",
                props.x_label,
                tick_text(x, if x.fract() == 0.0 { 1.0 } else { 0.001 }),
                values.join(" · ")
            )
        }
        None => {
            "Point at the chart (or focus it and use the arrow keys) to read its values.".into()
        }
    };

    html! {
        <figure class="chart" data-testid={props.testid.clone()}>
            <svg ref={svg} viewBox={format!("0 0 {W} {h}")}
                role="group" aria-label={format!("{} over {}: focus it and use ← and → to read the values", props.y_label, props.x_label)} tabindex="0"
                {onmousemove} {onmouseleave} {onkeydown}>
                { for grid }
                <line class="axis" x1={LEFT.to_string()} x2={(W - RIGHT).to_string()} y1={sy(0.0).to_string()} y2={sy(0.0).to_string()} />
                { for drawn }
                { for markers }
                { for cursor }
            </svg>
            <figcaption>
                <span class="legend">
                    { for props.series.iter().map(|s| html! { <span class="key"><i class={s.class} aria-hidden="true"></i>{ &s.name }</span> }) }
                </span>
                <span class="axis-label">{ format!("{} over {}", props.y_label, props.x_label) }</span>
                <span class="readout" aria-live={if announce { "polite" } else { "off" }} data-testid={format!("{}-readout", props.testid)}>{ readout }</span>
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(nice_step(100.0, 4.0), 50.0);
        assert_eq!(nice_step(7.0, 4.0), 2.0);
        assert_eq!(nice_step(0.03, 6.0), 0.005);
        assert_eq!(tick_text(20_000.0, 10_000.0), "20k");
        assert_eq!(tick_text(0.015, 0.005), "0.015");
        assert_eq!(tick_text(-0.000_000_1, 5.0), "0");
    }
}
