//! ESP SAs per SPI and direction: packets, bytes, sequence gaps, replays, late packets.

use std::rc::Rc;

use callscope_analysis::ike::EspReport;
use callscope_view::format;
use yew::prelude::*;

use crate::components::table::{Cell, Column, Row, Rows, SortTable};

/// Props of [`EspTable`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The SAs.
    pub sas: Rc<Vec<EspReport>>,
    /// `data-testid`.
    pub testid: AttrValue,
}

/// The ESP table.
#[function_component(EspTable)]
pub fn esp_table(props: &Props) -> Html {
    let rows = use_memo(props.sas.clone(), |sas| {
        Rows::of(
            sas.iter()
                .map(|e| {
                    Row::new(vec![
                        Cell::text(&e.spi).class("mono"),
                        Cell::addr(&e.src),
                        Cell::addr(&e.dst),
                        Cell::text(e.encap.as_str()),
                        Cell::count(e.packets),
                        Cell::num(e.bytes as f64, format::count(e.bytes)),
                        Cell::count(e.lost).class(if e.lost > 0 { "bad" } else { "good" }),
                        Cell::count(e.replays),
                        Cell::count(e.late),
                        Cell::num(e.first, format!("{:.3}", e.first)),
                        Cell::num(e.last, format!("{:.3}", e.last)),
                    ])
                })
                .collect(),
        )
    });
    let columns = Rc::new(vec![
        Column::text("SPI"),
        Column::text("From"),
        Column::text("To"),
        Column::text("Encap").help("udp: RFC 3948 ESP-in-UDP; ip: IP protocol 50"),
        Column::num("Packets"),
        Column::num("Bytes"),
        Column::num("Gaps").help("Sequence numbers skipped after the first packet seen"),
        Column::num("Replays"),
        Column::num("Late"),
        Column::num("First (s)"),
        Column::num("Last (s)"),
    ]);
    html! { <SortTable {columns} rows={(*rows).clone()} testid={props.testid.clone()} what="ESP SAs" page_size={50} /> }
}
