//! Endpoints: one row per IP address, like tshark's `-z endpoints,ip`.

use std::rc::Rc;

use yew::prelude::*;

use super::report::SectionProps;
use crate::components::table::{Cell, Column, SortTable};

/// The endpoints section.
#[function_component(Endpoints)]
pub fn endpoints(props: &SectionProps) -> Html {
    let rows = use_memo(props.report.clone(), |r| {
        r.endpoints
            .iter()
            .map(|e| {
                vec![
                    Cell::text(&e.addr),
                    Cell::text(&e.class),
                    Cell::count(e.packets),
                    Cell::count(e.bytes),
                    Cell::count(e.tx_packets),
                    Cell::count(e.rx_packets),
                    Cell::text(e.name.clone().unwrap_or_default()),
                ]
            })
            .collect::<Vec<_>>()
    });
    let columns = vec![
        Column {
            title: "Address",
            numeric: false,
        },
        Column {
            title: "Class",
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
            title: "Tx packets",
            numeric: true,
        },
        Column {
            title: "Rx packets",
            numeric: true,
        },
        Column {
            title: "Name",
            numeric: false,
        },
    ];
    html! {
        <section>
            <h2>{ "Endpoints" }</h2>
            <SortTable {columns} rows={Rc::new((*rows).clone())} testid="endpoints-table" />
        </section>
    }
}
