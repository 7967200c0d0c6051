//! SIP that is not a call: exchanges per Call-ID (REGISTER, OPTIONS, MESSAGE, SUBSCRIBE…),
//! registrations per address of record, OPTIONS per pair, user agents and malformed messages.

use std::rc::Rc;

use callscope_view::format;
use yew::prelude::*;

use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::use_shown;
use crate::route::Route;

/// The non-call SIP.
#[function_component(OtherSip)]
pub fn other_sip() -> Html {
    let shown = use_shown();
    let tables = use_memo(shown.clone(), |shown| {
        let Some(shown) = shown else {
            return (Rows::of(vec![]), Rows::of(vec![]), Rows::of(vec![]));
        };
        let sip = &shown.report.sip;
        let exchanges = sip
            .exchanges
            .iter()
            .map(|e| {
                let href = Route::Calls(Some(e.call_id.clone()), None).href();
                Row::to(
                    vec![
                        Cell::text(e.kind.to_uppercase()),
                        Cell::text(&e.from),
                        Cell::text(&e.to),
                        Cell::opt(e.status.map(|s| s.to_string())),
                        Cell::count(e.messages.len() as u64 + e.messages_dropped),
                        Cell::opt(e.event.clone().or_else(|| e.content_type.clone())),
                        Cell::num(e.start, format!("{:.3}", e.start)),
                        Cell::text(&e.call_id).class("mono").link(href.clone()),
                    ],
                    href,
                )
            })
            .collect();
        let registrations = sip
            .registrations
            .iter()
            .map(|g| {
                Row::new(vec![
                    Cell::text(&g.aor),
                    Cell::addr(&g.client),
                    Cell::addr(&g.registrar),
                    Cell::count(g.requests),
                    Cell::count(g.challenges),
                    Cell::opt(g.status.map(|s| s.to_string())),
                    Cell::opt_num(g.expires.map(f64::from), |v| format!("{v:.0} s")),
                    Cell::opt(g.user_agent.clone()),
                    Cell::num(g.start, format!("{:.3}", g.start)),
                ])
            })
            .collect();
        let options = sip
            .options
            .iter()
            .map(|o| {
                Row::new(vec![
                    Cell::addr(&o.src),
                    Cell::addr(&o.dst),
                    Cell::count(o.requests),
                    Cell::count(o.responses),
                    Cell::opt(o.status.map(|s| s.to_string())),
                    Cell::num(o.start, format!("{:.3}", o.start)),
                    Cell::num(o.end, format!("{:.3}", o.end)),
                ])
            })
            .collect();
        (
            Rows::of(exchanges),
            Rows::of(registrations),
            Rows::of(options),
        )
    });
    let Some(shown) = shown else { return html! {} };
    let sip = &shown.report.sip;
    let (exchanges, registrations, options) = (*tables).clone();
    html! {
        <>
            if !sip.exchanges.is_empty() {
                <section class="card">
                    <h2>{ "Other SIP" }</h2>
                    <SortTable columns={Rc::new(vec![
                        Column::text("Kind"), Column::text("From"), Column::text("To"), Column::num("Status"), Column::num("Msgs"),
                        Column::text("Event / content"), Column::num("Start (s)"), Column::text("Call-ID"),
                    ])} rows={exchanges} testid="exchanges-table" what="exchanges" />
                </section>
            }
            if !sip.registrations.is_empty() {
                <section class="card">
                    <h2>{ "Registrations" }</h2>
                    <SortTable columns={Rc::new(vec![
                        Column::text("Address of record"), Column::text("Client"), Column::text("Registrar"), Column::num("REGISTERs"),
                        Column::num("Challenges"), Column::num("Status"), Column::num("Expires"), Column::text("User agent"), Column::num("Start (s)"),
                    ])} rows={registrations} testid="registrations-table" what="registrations" />
                </section>
            }
            if !sip.options.is_empty() {
                <section class="card">
                    <h2>{ "OPTIONS" }</h2>
                    <SortTable columns={Rc::new(vec![
                        Column::text("From"), Column::text("To"), Column::num("Requests"), Column::num("Responses"),
                        Column::num("Status"), Column::num("First (s)"), Column::num("Last (s)"),
                    ])} rows={options} testid="options-table" what="OPTIONS pairs" />
                </section>
            }
            if !sip.user_agents.is_empty() || sip.malformed > 0 || sip.setup_time.is_some() {
                <section class="card">
                    <h2>{ "SIP details" }</h2>
                    <dl class="facts">
                        if let Some(s) = &sip.setup_time {
                            { crate::views::fact("INVITE → 200 OK", format!("{} answered: min {}, mean {}, max {}", format::count(s.count), format::ms(s.min_ms), format::ms(s.mean_ms), format::ms(s.max_ms))) }
                        }
                        { crate::views::fact("Transports", sip.transports.iter().map(|(t, n)| format!("{t} {}", format::count(*n))).collect::<Vec<_>>().join(", ")) }
                        { crate::views::fact("Keep-alives", format::count(sip.keepalives)) }
                        if sip.megaco.messages > 0 {
                            { crate::views::fact("H.248/MEGACO", format!("{} messages, {} session descriptions", format::count(sip.megaco.messages), format::count(sip.megaco.session_descriptions))) }
                        }
                        { crate::views::fact("User agents", sip.user_agents.iter().map(|u| format!("{} ({})", u.name, u.messages)).collect::<Vec<_>>().join("; ")) }
                        if sip.malformed > 0 {
                            { crate::views::fact("Malformed", html! { <span class="bad">{ format!("{} messages", format::count(sip.malformed)) }</span> }) }
                        }
                    </dl>
                    if !sip.malformed_messages.is_empty() {
                        <ul class="reasons">
                            { for sip.malformed_messages.iter().map(|m| html! { <li>{ format!("frame {} ({} → {}): {}", m.frame, m.src, m.dst, m.reason) }</li> }) }
                        </ul>
                    }
                </section>
            }
        </>
    }
}
