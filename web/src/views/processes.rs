//! Processes the capture names (Apple pcapng process blocks, PKTAP headers).

use std::rc::Rc;

use yew::prelude::*;

use super::report::SectionProps;
use crate::components::table::{Cell, Column, SortTable};

/// The processes section.
#[function_component(Processes)]
pub fn processes(props: &SectionProps) -> Html {
    let rows: Vec<Vec<Cell>> = props
        .report
        .processes
        .iter()
        .map(|p| {
            vec![
                Cell::count(u64::from(p.pid)),
                Cell::text(&p.name),
                Cell::count(p.flows),
                Cell::count(p.packets),
                Cell::count(p.bytes),
                Cell::text(p.path.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let columns = vec![
        Column {
            title: "PID",
            numeric: true,
        },
        Column {
            title: "Process",
            numeric: false,
        },
        Column {
            title: "Flows",
            numeric: true,
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
            title: "Path",
            numeric: false,
        },
    ];
    html! {
        <section>
            <h2>{ "Processes" }</h2>
            <SortTable {columns} rows={Rc::new(rows)} testid="processes-table" />
        </section>
    }
}
