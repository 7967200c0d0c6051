//! The call list: start, stop, from, to, state with its code, duration, setup and post-dial
//! delay, messages, Call-ID, user agent, the worst MOS of its streams and its process. Every
//! row opens the call's ladder.

use std::rc::Rc;

use callscope_analysis::sip::report::{Call, CallState};
use callscope_view::{format, media};
use yew::prelude::*;

use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::{use_page, use_shown};
use crate::route::Route;

const COLUMNS: [Column; 14] = [
    Column::num("#"),
    Column::num("Start"),
    Column::num("Stop"),
    Column::text("From"),
    Column::text("To"),
    Column::text("State"),
    Column::num("Duration").help("First to last message"),
    Column::num("Setup").help("INVITE to the first 2xx"),
    Column::num("PDD").help("Post-dial delay: INVITE to the first 180/183 (RFC 6076 §4.1)"),
    Column::num("Msgs"),
    Column::text("Call-ID"),
    Column::text("User agent"),
    Column::num("MOS").help("Worst estimated MOS of the call's streams (E-model)"),
    Column::text("Process"),
];

/// A call's state with its status: `rejected (486 Busy Here)`.
pub fn state_text(c: &Call) -> String {
    match (c.status, &c.reason) {
        (Some(code), Some(reason)) => format!("{} ({code} {reason})", c.state),
        (Some(code), None) => format!("{} ({code})", c.state),
        _ => c.state.to_string(),
    }
}

/// Who, as a person reads it: the display name and the user part.
pub fn party(name: Option<&str>, user: &str) -> String {
    match name {
        Some(n) if !n.is_empty() => format!("{n} <{user}>"),
        _ => user.to_owned(),
    }
}

/// The list.
#[function_component(CallList)]
pub fn call_list() -> Html {
    let shown = use_shown();
    let tz = use_page().map_or(0, |p| p.tz);
    let rows = use_memo((shown.clone(), tz), |(shown, tz)| {
        let Some(shown) = shown else {
            return Rows::of(Vec::new());
        };
        let r = &shown.report;
        let time = |rel: f64| {
            let clock = format::clock(r.capture.start_unix + rel, *tz);
            Cell::num(rel, format::time_of_day(r.capture.start_unix + rel, *tz)).title(format!(
                "{clock} ({}), {rel:.6} s into the capture",
                format::zone(*tz)
            ))
        };
        Rows::of(
            r.sip
                .calls
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let href = Route::Calls(Some(c.call_id.clone()), None).href();
                    let state_class = match c.state {
                        CallState::Answered => "good",
                        CallState::Rejected | CallState::Failed => "bad",
                        CallState::Cancelled | CallState::InProgress => "warn",
                    };
                    Row::to(
                        vec![
                            Cell::id(i as u64 + 1),
                            time(c.start),
                            time(c.end),
                            Cell::text(party(c.caller_name.as_deref(), &c.caller)),
                            Cell::text(&c.callee),
                            Cell::text(state_text(c)).class(state_class),
                            Cell::opt_num(c.duration, format::duration),
                            Cell::opt_num(c.setup_ms, format::ms),
                            Cell::opt_num(c.post_dial_delay_ms, format::ms),
                            Cell::count(c.messages.len() as u64 + c.messages_dropped),
                            Cell::text(&c.call_id).class("mono").link(href.clone()),
                            Cell::opt(
                                (!c.user_agents.is_empty()).then(|| c.user_agents.join(", ")),
                            ),
                            Cell::opt_num(media::call_mos(r, c), |m| format!("{m:.2}")),
                            Cell::opt(shown.links.call_process(r, i).map(ToString::to_string)),
                        ],
                        href,
                    )
                })
                .collect(),
        )
    });
    html! {
        <section class="card">
            <h2>{ "Calls" }</h2>
            <SortTable columns={Rc::new(COLUMNS.to_vec())} rows={(*rows).clone()} testid="calls-table" what="calls" />
        </section>
    }
}
