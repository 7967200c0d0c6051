//! A call's ladder as SVG, drawn from `callscope_view::ladder`'s layout (the CLI's `--call` text
//! draws the same one): a column per host with its header kept in view while the diagram
//! scrolls, one arrow per SIP message (SDP and retransmissions marked) and per RTP stream, and
//! a time column that counts relative, absolute or delta time. An arrow is a button: click it,
//! or Tab to the ladder and press Enter, to open the message; ↑/↓ (Home/End) move between
//! arrows, and the ladder is a single Tab stop however many messages it has.

use callscope_view::format;
use callscope_view::ladder::{Ladder, RowKind};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::table::go;
use crate::route::Route;
use crate::state::TimeMode;

/// Width of the time column.
const TIME_W: f64 = 132.0;
/// Width of a host column.
const COL_W: f64 = 196.0;
/// Height of a row.
const ROW_H: f64 = 30.0;
/// Space above the first row.
const PAD: f64 = 10.0;

/// Props of [`LadderSvg`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The layout.
    pub ladder: std::rc::Rc<Ladder>,
    /// The call's (or exchange's) Call-ID, for the message links.
    pub call_id: AttrValue,
    /// The selected message (index in the call's messages).
    pub selected: Option<usize>,
    /// How the time column counts.
    pub time: TimeMode,
    /// The capture's start, seconds since the epoch.
    pub start_unix: f64,
    /// The viewer's zone, minutes east of UTC.
    pub tz: i32,
}

fn x(col: usize) -> f64 {
    TIME_W + col as f64 * COL_W + COL_W / 2.0
}

/// Moves focus from one arrow to another (`delta` rows away, or the first/last), and makes the
/// new one the ladder's single Tab stop (a roving tabindex: Tab leaves the ladder, ↑/↓ move in it).
fn move_focus(from: &web_sys::Element, to: Focus) {
    let target = match to {
        Focus::Next => from.next_element_sibling(),
        Focus::Previous => from.previous_element_sibling(),
        Focus::First | Focus::Last => from.parent_element().and_then(|svg| {
            let arrows = svg.query_selector_all("g.arrow").ok()?;
            let i = if matches!(to, Focus::First) {
                0
            } else {
                arrows.length().checked_sub(1)?
            };
            arrows
                .get(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        }),
    };
    if let Some(el) = target.and_then(|s| s.dyn_into::<web_sys::SvgElement>().ok()) {
        if el.class_list().contains("arrow") {
            let _ = from.set_attribute("tabindex", "-1");
            let _ = el.set_attribute("tabindex", "0");
            let _ = el.focus();
        }
    }
}

/// Where the arrow keys move.
#[derive(Clone, Copy)]
enum Focus {
    Next,
    Previous,
    First,
    Last,
}

/// The ladder.
#[function_component(LadderSvg)]
pub fn ladder_svg(props: &Props) -> Html {
    let l = &props.ladder;
    let width = TIME_W + l.columns.len() as f64 * COL_W;
    let height = PAD * 2.0 + l.rows.len() as f64 * ROW_H;
    let heads = l.columns.iter().enumerate().map(|(i, c)| {
        let title = callscope_view::format::list(&c.addrs);
        html! {
            <div class={classes!("col-head", c.media_only.then_some("media"))} style={format!("left:{}px;width:{}px", x(i) - COL_W / 2.0, COL_W)} {title}>
                { &c.label }
            </div>
        }
    });
    let rails = (0..l.columns.len()).map(|i| {
        html! { <line class="rail" x1={x(i).to_string()} x2={x(i).to_string()} y1="0" y2={height.to_string()} /> }
    });
    // One Tab stop in the ladder: the selected message's arrow, else the first.
    let tab_stop = props
        .selected
        .and_then(|m| l.rows.iter().position(|r| r.kind == RowKind::Message(m)))
        .unwrap_or(0);
    let mut prev: Option<f64> = None;
    let rows = l.rows.iter().enumerate().map(|(n, row)| {
        let y = PAD + n as f64 * ROW_H + ROW_H * 0.62;
        let time = match props.time {
            TimeMode::Relative => format!("{:.6}", row.time),
            TimeMode::Absolute => format::time_of_day(props.start_unix + row.time, props.tz),
            TimeMode::Delta => format!("+{:.6}", prev.map_or(0.0, |p| row.time - p)),
        };
        prev = Some(row.time);
        let (x1, x2) = (x(row.from), x(row.to));
        let media = matches!(row.kind, RowKind::Media(_) | RowKind::Dtmf(..));
        let href = match row.kind {
            RowKind::Message(i) => Route::Calls(Some(props.call_id.to_string()), Some(i)).href(),
            RowKind::Media(i) | RowKind::Dtmf(i, _) => Route::Media(Some(i)).href(),
        };
        let selected = matches!(row.kind, RowKind::Message(i) if Some(i) == props.selected);
        let class = classes!(
            "arrow",
            if media { "media" } else { "msg" },
            row.retransmission.then_some("retrans"),
            row.sdp.then_some("sdp"),
            selected.then_some("selected")
        );
        let label = format!(
            "{}{}: {} → {}, frame {}, {}",
            row.label,
            if row.retransmission { " (retransmission)" } else { "" },
            l.columns[row.from].label,
            l.columns[row.to].label,
            row.frame,
            time
        );
        let onclick = {
            let href = href.clone();
            Callback::from(move |_: MouseEvent| go(&href))
        };
        let onkeydown = {
            let href = href.clone();
            Callback::from(move |e: KeyboardEvent| {
                // Yew delegates events to its root: find the arrow from the event's target.
                let here = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|el| el.closest("g.arrow").ok().flatten());
                match e.key().as_str() {
                    "Enter" | " " => {
                        e.prevent_default();
                        go(&href);
                    }
                    key @ ("ArrowDown" | "ArrowUp" | "Home" | "End") => {
                        e.prevent_default();
                        let to = match key {
                            "ArrowDown" => Focus::Next,
                            "ArrowUp" => Focus::Previous,
                            "Home" => Focus::First,
                            _ => Focus::Last,
                        };
                        if let Some(el) = here {
                            move_focus(&el, to);
                        }
                    }
                    _ => {}
                }
            })
        };
        let line_y = y + 4.0;
        let arrow = if row.from == row.to {
            // To itself: a loop beside the rail.
            html! { <path class="line" d={format!("M{x1},{} h40 v10 h-34", line_y - 6.0)} /> }
        } else {
            let dir = if x2 > x1 { 1.0 } else { -1.0 };
            let tip = x2 - dir * 2.0;
            html! {
                <>
                    <line class="line" x1={x1.to_string()} x2={(tip - dir * 6.0).to_string()} y1={line_y.to_string()} y2={line_y.to_string()} />
                    <polygon class="head" points={format!("{tip},{line_y} {},{} {},{}", tip - dir * 9.0, line_y - 4.5, tip - dir * 9.0, line_y + 4.5)} />
                </>
            }
        };
        let mid = if row.from == row.to { x1 + 46.0 } else { (x1 + x2) / 2.0 };
        // A label longer than its arrow is cut (about 6.6 px a character); the tooltip has it all.
        let room = if row.from == row.to { COL_W - 50.0 } else { (x2 - x1).abs() - 12.0 };
        let fits = (room / 6.6).max(4.0) as usize;
        let shown_label = if row.label.chars().count() > fits {
            format!("{}…", row.label.chars().take(fits - 1).collect::<String>())
        } else {
            row.label.clone()
        };
        html! {
            <g {class} tabindex={if n == tab_stop { "0" } else { "-1" }} role="button" aria-label={label.clone()} data-frame={row.frame.to_string()} data-label={row.label.clone()} {onclick} {onkeydown}>
                <title>{ label }</title>
                <rect class="hit" x="0" y={(PAD + n as f64 * ROW_H).to_string()} width={width.to_string()} height={ROW_H.to_string()} />
                <text class="time" x="8" y={(line_y + 4.0).to_string()}>{ time }</text>
                { arrow }
                <text class="label" x={mid.to_string()} y={(line_y - 5.0).to_string()} text-anchor={if row.from == row.to { "start" } else { "middle" }}>
                    { shown_label }{ if row.retransmission { " ↻" } else { "" } }
                </text>
            </g>
        }
    });
    html! {
        <div class="ladder-scroll" tabindex="-1" data-testid="ladder-scroll">
            <div class="ladder-head" style={format!("width:{width}px")}>
                <div class="time-head" style={format!("width:{TIME_W}px")}>{ match props.time { TimeMode::Relative => "Time (s)", TimeMode::Absolute => "Clock", TimeMode::Delta => "Δ time (s)" } }</div>
                { for heads }
            </div>
            <svg class="ladder" data-testid="ladder" width={width.to_string()} height={height.to_string()} viewBox={format!("0 0 {width} {height}")}
                role="group" aria-label={format!("Ladder: {} columns, {} arrows", l.columns.len(), l.rows.len())}>
                { for rails }
                { for rows }
            </svg>
        </div>
    }
}
