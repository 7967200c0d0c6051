//! Processes: who owned the traffic, from the capture's own process metadata (Apple pcapng
//! blocks, PKTAP) or a `facts.json` dropped beside it; each with its conversations, calls,
//! tunnels and streams.

pub mod process;

use std::rc::Rc;

use callscope_view::{format, headline};
use yew::prelude::*;

use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::use_shown;
use crate::route::Route;
use crate::views::empty;

const COLUMNS: [Column; 9] = [
    Column::num("PID"),
    Column::text("Process"),
    Column::num("Flows"),
    Column::num("Packets"),
    Column::num("Bytes"),
    Column::num("Calls"),
    Column::num("Tunnels"),
    Column::num("Streams"),
    Column::text("Path"),
];

/// The processes section.
#[function_component(Processes)]
pub fn processes() -> Html {
    let shown = use_shown();
    let rows = use_memo(shown.clone(), |shown| {
        let Some(shown) = shown else {
            return Rows::of(vec![]);
        };
        Rows::of(
            shown
                .report
                .processes
                .iter()
                .zip(&shown.processes)
                .map(|(p, l)| {
                    Row::to(
                        vec![
                            Cell::count(u64::from(p.pid)),
                            Cell::text(&p.name),
                            Cell::count(p.flows),
                            Cell::count(p.packets),
                            Cell::num(p.bytes as f64, format::count(p.bytes)),
                            Cell::count(l.calls.len() as u64),
                            Cell::count(l.tunnels.len() as u64),
                            Cell::count(l.streams.len() as u64),
                            Cell::opt(p.path.clone()).class("mono"),
                        ],
                        Route::Processes(Some(p.pid)).href(),
                    )
                })
                .collect(),
        )
    });
    let Some(shown) = shown else { return html! {} };
    html! {
        <div class="view" data-testid="view-processes">
            <p class="lede">{ headline::processes(&shown.report) }</p>
            if shown.report.processes.is_empty() {
                { empty("This capture does not say which process sent what. macOS captures made with `tcpdump -k` or on the pktap interface do; or drop the facts.json that `callscope capture` writes beside its capture.") }
            } else {
                <section class="card">
                    <SortTable columns={Rc::new(COLUMNS.to_vec())} rows={(*rows).clone()} testid="processes-table" what="processes" sort={Some((4, true))} />
                </section>
            }
        </div>
    }
}
