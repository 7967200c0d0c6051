//! Tunnels: one card per IKE SA (version, peers, the move to 4500, NAT detection, time to
//! establish, exchanges on a time axis, rekeys and deletes, ESP SAs per SPI), then the ESP that
//! no captured IKE explains.

pub mod axis;
pub mod card;
pub mod esp;

use std::rc::Rc;

use callscope_view::{format, headline};
use yew::prelude::*;

use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::use_shown;
use crate::route::Route;
use crate::views::empty;

/// Tunnels shown as cards; more are listed in a table.
const MAX_CARDS: usize = 20;

/// The tunnels section.
#[function_component(Tunnels)]
pub fn tunnels() -> Html {
    let Some(shown) = use_shown() else {
        return html! {};
    };
    let ike = &shown.report.ike;
    let list = if ike.tunnels.len() <= MAX_CARDS {
        html! { <>{ for (0..ike.tunnels.len()).map(|i| html! { <card::TunnelCard index={i} full={false} /> }) }</> }
    } else {
        let rows: Vec<Row> = ike
            .tunnels
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Row::to(
                    vec![
                        Cell::id(i as u64 + 1),
                        Cell::text(format!("IKEv{}", t.version)),
                        Cell::addr(&t.initiator),
                        Cell::addr(&t.responder),
                        Cell::text(t.state.as_str()),
                        Cell::text(if t.nat_t { "yes" } else { "no" }),
                        Cell::count(t.messages),
                        Cell::count(t.esp.iter().map(|e| e.packets).sum()),
                        Cell::num(t.start, format!("{:.3}", t.start)),
                    ],
                    Route::Tunnels(Some(i)).href(),
                )
            })
            .collect();
        let columns = Rc::new(vec![
            Column::num("#"),
            Column::text("Version"),
            Column::text("Initiator"),
            Column::text("Responder"),
            Column::text("State"),
            Column::text("NAT-T"),
            Column::num("IKE msgs"),
            Column::num("ESP packets"),
            Column::num("Start (s)"),
        ]);
        html! { <section class="card"><SortTable {columns} rows={Rows::of(rows)} testid="tunnels-table" what="tunnels" /></section> }
    };
    html! {
        <div class="view" data-testid="view-tunnels">
            <p class="lede" data-testid="tunnels-headline">{ headline::tunnels(&shown.report) }</p>
            if ike.tunnels.is_empty() {
                { empty("No IKE exchange in this capture: no IPsec tunnel was set up while it ran (ESP below, if any, belongs to tunnels made earlier).") }
            }
            { list }
            if !ike.esp_unattached.is_empty() || ike.keepalives_unattached > 0 {
                <section class="card">
                    <h2>{ "ESP without a captured IKE exchange" }</h2>
                    if ike.keepalives_unattached > 0 {
                        <p>{ format!("{} NAT-keepalives on flows with no known tunnel.", format::count(ike.keepalives_unattached)) }</p>
                    }
                    <esp::EspTable sas={Rc::new(ike.esp_unattached.clone())} testid="esp-unattached" />
                </section>
            }
        </div>
    }
}
