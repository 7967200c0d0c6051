//! Endpoints: one row per IP address, as tshark's `-z endpoints,ip`, with its RFC 6890 class.

use std::rc::Rc;

use callscope_view::format;
use yew::prelude::*;

use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::use_shown;

const COLUMNS: [Column; 7] = [
    Column::text("Address"),
    Column::text("Class").help("RFC 6890 special-purpose class"),
    Column::num("Packets"),
    Column::num("Bytes"),
    Column::num("Tx packets"),
    Column::num("Rx packets"),
    Column::text("Name"),
];

/// The endpoints table.
#[function_component(Endpoints)]
pub fn endpoints() -> Html {
    let shown = use_shown();
    let rows = use_memo(shown.clone(), |shown| {
        let Some(shown) = shown else {
            return Rows::of(Vec::new());
        };
        Rows::of(
            shown
                .report
                .endpoints
                .iter()
                .map(|e| {
                    Row::new(vec![
                        Cell::addr(&e.addr),
                        Cell::text(&e.class),
                        Cell::count(e.packets),
                        Cell::num(e.bytes as f64, format::count(e.bytes)),
                        Cell::count(e.tx_packets),
                        Cell::count(e.rx_packets),
                        Cell::opt(e.name.clone()),
                    ])
                })
                .collect(),
        )
    });
    html! {
        <section class="card">
            <h2>{ "Endpoints" }</h2>
            <SortTable columns={Rc::new(COLUMNS.to_vec())} rows={(*rows).clone()} testid="endpoints-table" what="endpoints" sort={Some((3, true))} />
        </section>
    }
}
