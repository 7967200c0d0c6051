//! NAT traversal: STUN/TURN transactions grouped as the CLI groups them (method, client →
//! server, transport, outcomes, round trips, the public mapping), the public mappings learned,
//! TURN allocations with their relayed address, permissions and channels, and errors by code.

pub mod allocations;

use std::rc::Rc;

use callscope_view::{format, headline};
use yew::prelude::*;

use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::use_shown;
use crate::views::{empty, fact};

/// The NAT traversal section.
#[function_component(Nat)]
pub fn nat() -> Html {
    let shown = use_shown();
    let tables = use_memo(shown.clone(), |shown| {
        let Some(shown) = shown else {
            return (Rows::of(vec![]), Rows::of(vec![]));
        };
        let stun = &shown.report.stun;
        let groups = callscope_view::stun::groups(stun)
            .into_iter()
            .map(|g| {
                Row::new(vec![
                    Cell::text(if g.classic > 0 {
                        format!("{} (classic RFC 3489: {})", g.method, g.classic)
                    } else {
                        g.method.clone()
                    }),
                    Cell::addr(&g.client),
                    Cell::addr(&g.server),
                    Cell::text(g.transport.to_string()),
                    Cell::count(g.count),
                    Cell::text(g.outcome()).class(if g.success == g.count {
                        "good"
                    } else {
                        "warn"
                    }),
                    Cell::opt_num(g.rtt_mean_ms, format::ms),
                    Cell::opt_num(g.rtt_max_ms, format::ms),
                    Cell::opt(
                        (!g.mapped.is_empty()).then(|| callscope_view::format::list(&g.mapped)),
                    )
                    .class("mono"),
                    Cell::num(g.first, format!("{:.3}", g.first)),
                ])
            })
            .collect();
        let mappings = stun
            .mappings
            .iter()
            .map(|m| {
                Row::new(vec![
                    Cell::addr(&m.local),
                    Cell::addr(&m.mapped),
                    Cell::addr(&m.server),
                    Cell::count(m.responses),
                    Cell::id(m.first_frame),
                ])
            })
            .collect();
        (Rows::of(groups), Rows::of(mappings))
    });
    let Some(shown) = shown else { return html! {} };
    let s = &shown.report.stun;
    let (groups, mappings) = (*tables).clone();
    let errors: Vec<String> = s
        .errors
        .iter()
        .map(|(code, n)| format!("{code} ×{n}"))
        .collect();
    let d = &s.demux;
    html! {
        <div class="view" data-testid="view-nat">
            <p class="lede" data-testid="nat-headline">{ headline::nat(&shown.report) }</p>
            if s.messages + s.classic_messages + s.channel_data == 0 {
                { empty("No STUN or TURN in this capture: nothing here was finding its public address or relaying media.") }
            } else {
                <section class="card">
                    <h2>{ "STUN and TURN" }</h2>
                    <dl class="facts">
                        { fact("Messages", html! { <span data-testid="stun-messages">{ format::count(s.messages) }</span> }) }
                        if s.classic_messages > 0 { { fact("Classic STUN (RFC 3489)", format::count(s.classic_messages)) } }
                        { fact("ChannelData", html! { <span data-testid="stun-channel-data">{ format::count(s.channel_data) }</span> }) }
                        { fact("Indications", format::count(s.indications)) }
                        { fact("Transactions", html! { <span data-testid="stun-transactions">{ format::count(s.transactions.len() as u64) }</span> }) }
                        { fact("Errors by code", if errors.is_empty() { "none".to_owned() } else { errors.join(", ") }) }
                        if !s.software.is_empty() { { fact("Software", s.software.join("; ")) } }
                        { fact("Sharing the ports (RFC 7983)", format!("STUN {}, classic {}, ChannelData {}, DTLS {}, RTP/RTCP {}, ZRTP {}, other {}", d.stun, d.classic, d.channel_data, d.dtls, d.rtp, d.zrtp, d.other)) }
                        if s.malformed + s.fingerprint_bad > 0 { { fact("Malformed", format!("{} (bad FINGERPRINT {})", s.malformed, s.fingerprint_bad)) } }
                        if s.transactions_dropped > 0 { { fact("Not tracked", format!("{} transactions (bound)", s.transactions_dropped)) } }
                    </dl>
                    <h3>{ "Messages by method" }</h3>
                    <div class="scroll" tabindex="0" role="region" aria-label="messages by method">
                        <table data-testid="stun-methods">
                            <thead><tr>
                                <th scope="col">{ "Method" }</th><th class="num" scope="col">{ "Requests" }</th><th class="num" scope="col">{ "Success" }</th>
                                <th class="num" scope="col">{ "Errors" }</th><th class="num" scope="col">{ "Indications" }</th>
                            </tr></thead>
                            <tbody>{ for s.methods.iter().map(|(m, c)| html! {
                                <tr><td>{ m }</td><td class="num">{ format::count(c.request) }</td><td class="num">{ format::count(c.success) }</td>
                                <td class="num">{ format::count(c.error) }</td><td class="num">{ format::count(c.indication) }</td></tr>
                            }) }</tbody>
                        </table>
                    </div>
                </section>
                <section class="card">
                    <h2>{ "Transactions" }</h2>
                    <SortTable columns={Rc::new(vec![
                        Column::text("Method"), Column::text("Client"), Column::text("Server"), Column::text("Transport"), Column::num("Transactions"),
                        Column::text("Outcome"), Column::num("Mean RTT"), Column::num("Max RTT"), Column::text("Mapped (public) address"), Column::num("First (s)"),
                    ])} rows={groups} testid="stun-groups" what="transaction groups" />
                </section>
                if !s.mappings.is_empty() {
                    <section class="card">
                        <h2>{ "Public mappings" }</h2>
                        <SortTable columns={Rc::new(vec![
                            Column::text("Local address"), Column::text("As the server saw it"), Column::text("Server"), Column::num("Responses"), Column::num("First frame"),
                        ])} rows={mappings} testid="stun-mappings" what="mappings" />
                    </section>
                }
                <allocations::Allocations />
            }
        </div>
    }
}
