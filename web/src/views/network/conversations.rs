//! Conversations: one row per UDP/TCP 5-tuple, initiator first, as tshark's `-z conv`, largest
//! first (as the CLI lists them).

use std::rc::Rc;

use callscope_view::format;
use yew::prelude::*;

use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::use_shown;

const COLUMNS: [Column; 11] = [
    Column::text("Transport"),
    Column::text("A (initiator)"),
    Column::text("B"),
    Column::num("Packets"),
    Column::num("Bytes"),
    Column::num("A→B"),
    Column::num("B→A"),
    Column::num("Start (s)").help("Seconds after the capture's first packet"),
    Column::num("Duration (s)"),
    Column::text("Protocol"),
    Column::text("Process"),
];

/// The conversations table.
#[function_component(Conversations)]
pub fn conversations() -> Html {
    let shown = use_shown();
    let rows = use_memo(shown.clone(), |shown| {
        let Some(shown) = shown else {
            return Rows::of(Vec::new());
        };
        Rows::of(
            shown
                .report
                .conversations
                .iter()
                .map(|c| {
                    Row::new(vec![
                        Cell::text(&c.transport),
                        Cell::addr(&c.a),
                        Cell::addr(&c.b),
                        Cell::count(c.packets),
                        Cell::num(c.bytes as f64, format::count(c.bytes)),
                        Cell::count(c.packets_a_to_b),
                        Cell::count(c.packets_b_to_a),
                        Cell::num(c.start, format!("{:.6}", c.start)),
                        Cell::num(c.duration, format!("{:.4}", c.duration)),
                        Cell::opt(c.protocol.clone()),
                        Cell::opt(c.process.clone()),
                    ])
                })
                .collect(),
        )
    });
    html! {
        <section class="card">
            <h2>{ "Conversations" }</h2>
            <SortTable columns={Rc::new(COLUMNS.to_vec())} rows={(*rows).clone()} testid="conversations-table" what="conversations" sort={Some((4, true))} />
        </section>
    }
}
