//! Conversations: one row per UDP/TCP 5-tuple, initiator first, as tshark's `-z conv`, largest
//! first (as the CLI lists them).

use std::rc::Rc;

use callscope_view::format;
use yew::prelude::*;

use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::use_shown;

const COLUMNS: [Column; 14] = [
    Column::text("Transport"),
    Column::text("A (initiator)"),
    Column::text("B"),
    Column::text("B's name")
        .help("From DNS answers and TLS handshakes (see Names); a well-known port is only a hint"),
    Column::num("Packets"),
    Column::num("Bytes"),
    Column::num("A→B"),
    Column::num("B→A"),
    Column::num("Start (s)").help("Seconds after the capture's first packet"),
    Column::num("Duration (s)"),
    Column::text("Protocol"),
    Column::text("Process"),
    Column::text("ICMP errors")
        .help("ICMP errors that quote this conversation's packets: who refused it, and how"),
    Column::text("Capture")
        .help("A pcapng file of this conversation alone, read again from the capture"),
];

/// The conversations table.
#[function_component(Conversations)]
pub fn conversations() -> Html {
    let shown = use_shown();
    let extract = crate::context::use_page().and_then(|p| p.extract);
    let rows = use_memo((shown.clone(), extract), |(shown, extract)| {
        let Some(shown) = shown else {
            return Rows::of(Vec::new());
        };
        Rows::of(
            shown
                .report
                .conversations
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let capture = match extract {
                        Some(extract) => {
                            let extract = extract.clone();
                            let selection = callscope_view::extract::conversation(&shown.report, i);
                            let name = crate::download::name(
                                &shown.name,
                                &format!("flow-{}.pcapng", i + 1),
                            );
                            Cell::button(
                                "pcapng",
                                Callback::from(move |_: MouseEvent| {
                                    extract.emit((selection.clone(), name.clone()))
                                }),
                            )
                        }
                        None => Cell::opt(None::<String>),
                    };
                    Row::new(vec![
                        Cell::text(c.transport.to_string()),
                        Cell::addr(&c.a),
                        Cell::addr(&c.b),
                        Cell::opt(c.b_name.clone()),
                        Cell::count(c.packets),
                        Cell::num(c.bytes as f64, format::count(c.bytes)),
                        Cell::count(c.packets_a_to_b),
                        Cell::count(c.packets_b_to_a),
                        Cell::num(c.start, format!("{:.6}", c.start)),
                        Cell::num(c.duration, format!("{:.4}", c.duration)),
                        match (&c.protocol, &c.service) {
                            (Some(p), Some(hint)) => {
                                Cell::text(p).title(format!("port hint: {hint}"))
                            }
                            (Some(p), None) => Cell::text(p),
                            (None, Some(hint)) => Cell::text(format!("{hint}?"))
                                .class("muted")
                                .title("port hint only"),
                            (None, None) => Cell::opt(None::<String>),
                        },
                        Cell::opt(c.process.as_ref().map(ToString::to_string)),
                        Cell::opt(callscope_view::icmp::describe(&c.icmp_errors)),
                        capture,
                    ])
                })
                .collect(),
        )
    });
    html! {
        <section class="card">
            <h2>{ "Conversations" }</h2>
            <SortTable columns={Rc::new(COLUMNS.to_vec())} rows={(*rows).clone()} testid="conversations-table" what="conversations" sort={Some((5, true))} />
        </section>
    }
}
