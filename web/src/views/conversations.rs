//! Conversations: one row per UDP/TCP 5-tuple, initiator first, like tshark's `-z conv,udp`.

use std::rc::Rc;

use yew::prelude::*;

use super::report::SectionProps;
use crate::components::table::{Cell, Column, SortTable};

/// The conversations section.
#[function_component(Conversations)]
pub fn conversations(props: &SectionProps) -> Html {
    let rows = use_memo(props.report.clone(), |r| {
        r.conversations
            .iter()
            .map(|c| {
                vec![
                    Cell::text(&c.transport),
                    Cell::text(&c.a),
                    Cell::text(&c.b),
                    Cell::count(c.packets),
                    Cell::count(c.bytes),
                    Cell::count(c.packets_a_to_b),
                    Cell::count(c.packets_b_to_a),
                    Cell::num(c.start, format!("{:.6}", c.start)),
                    Cell::num(c.duration, format!("{:.4}", c.duration)),
                    Cell::text(c.protocol.clone().unwrap_or_default()),
                    Cell::text(c.process.clone().unwrap_or_default()),
                ]
            })
            .collect::<Vec<_>>()
    });
    let columns = vec![
        Column {
            title: "Transport",
            numeric: false,
        },
        Column {
            title: "A (initiator)",
            numeric: false,
        },
        Column {
            title: "B",
            numeric: false,
        },
        Column {
            title: "Packets",
            numeric: true,
        },
        Column {
            title: "Bytes",
            numeric: true,
        },
        Column {
            title: "A→B",
            numeric: true,
        },
        Column {
            title: "B→A",
            numeric: true,
        },
        Column {
            title: "Start (s)",
            numeric: true,
        },
        Column {
            title: "Duration (s)",
            numeric: true,
        },
        Column {
            title: "Protocol",
            numeric: false,
        },
        Column {
            title: "Process",
            numeric: false,
        },
    ];
    html! {
        <section>
            <h2>{ "Conversations" }</h2>
            <SortTable {columns} rows={Rc::new((*rows).clone())} testid="conversations-table" />
        </section>
    }
}
