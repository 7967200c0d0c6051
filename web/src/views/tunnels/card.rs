//! One IKE SA as a card: who, which version, its state, the move to 4500 and NAT detection, how
//! long it took to establish, its exchanges on a time axis and in a table, rekeys and deletes,
//! and the ESP SAs between its peers.

use std::rc::Rc;

use callscope_analysis::ike::TunnelReport;
use callscope_view::format;
use yew::prelude::*;

use super::axis::TunnelAxis;
use super::esp::EspTable;
use crate::components::table::{Cell, Column, Row, Rows, SortTable};
use crate::context::use_shown;
use crate::route::Route;
use crate::views::{fact, link};

/// Props of [`TunnelCard`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Index in `ike.tunnels`.
    pub index: usize,
    /// With the exchange table (the tunnel's own page).
    pub full: bool,
}

/// Who was behind a NAT, in words.
fn nat_words(t: &TunnelReport) -> String {
    match &t.nat {
        None if t.nat_t => "no NAT detection payloads captured; encapsulated anyway".into(),
        None => "not checked (no NAT detection payloads)".into(),
        Some(n) => {
            let mut who = Vec::new();
            if n.initiator_behind_nat {
                who.push("the initiator is behind a NAT");
            }
            if n.responder_behind_nat {
                who.push("the responder is behind a NAT");
            }
            if who.is_empty() {
                format!("no NAT: {} hash set(s) matched the addresses", n.checked)
            } else {
                format!(
                    "{} ({} of {} hash sets did not match)",
                    who.join("; "),
                    n.mismatched,
                    n.checked
                )
            }
        }
    }
}

fn exchange_rows(t: &TunnelReport) -> Rows {
    Rows::of(
        t.exchanges
            .iter()
            .map(|x| {
                Row::new(vec![
                    Cell::text(&x.kind),
                    Cell::num(f64::from(x.message_id), x.message_id.to_string()),
                    Cell::text(&x.by),
                    Cell::num(x.start, format!("{:.6}", x.start)),
                    Cell::opt_num(x.rtt_ms, format::ms),
                    Cell::count(u64::from(x.requests)),
                    Cell::count(u64::from(x.responses)),
                    Cell::text(
                        x.frames
                            .iter()
                            .map(|f| f.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    Cell::text(
                        [
                            x.meaning.clone(),
                            x.encrypted.as_ref().map(|e| format!("encrypted {e}")),
                        ]
                        .into_iter()
                        .flatten()
                        .chain(x.notifies.iter().cloned())
                        .collect::<Vec<_>>()
                        .join(", "),
                    ),
                ])
            })
            .collect(),
    )
}

/// A tunnel's card.
#[function_component(TunnelCard)]
pub fn tunnel_card(props: &Props) -> Html {
    let page = crate::context::use_page();
    let Some(shown) = use_shown() else {
        return html! {};
    };
    let Some(t) = shown.report.ike.tunnels.get(props.index) else {
        return html! { <section class="card" data-testid="not-found"><p>{ format!("This capture has no tunnel {}. ", props.index + 1) }{ link(&Route::Tunnels(None), "All tunnels") }</p></section> };
    };
    let process = shown.links.tunnel_process(&shown.report, props.index);
    let floated = match &t.floated {
        Some(f) => format!(
            "yes: {} → {} from frame {} ({:.3} s)",
            f.initiator, f.responder, f.frame, f.time
        ),
        None if t.nat_t => "ESP in UDP (RFC 3948)".into(),
        None => "no".into(),
    };
    let deletes = if t.deletes.is_empty() {
        "none".to_owned()
    } else {
        t.deletes
            .iter()
            .map(|d| format!("{} (frame {})", d.what, d.frame))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let esp_packets: u64 = t.esp.iter().map(|e| e.packets).sum();
    let esp_lost: u64 = t.esp.iter().map(|e| e.lost).sum();
    html! {
        <article class="card tunnel" data-testid="tunnel">
            <h2>
                { link(&Route::Tunnels(Some(props.index)), format!("Tunnel {}", props.index + 1)) }
                { format!(" · IKEv{} · ", t.version) }
                <span class={classes!("state", format!("state-{}", t.state))} data-testid="tunnel-state">{ t.state.as_str() }</span>
            </h2>
            <p class="sub mono">
                { format!("{} → {} ", t.initiator, t.responder) }
                if let Some(page) = &page {
                    { page.export_button(callscope_view::extract::tunnel(&shown.report, props.index),
                        crate::download::name(&shown.name, &format!("tunnel-{}.pcapng", props.index + 1)), "save-tunnel-pcapng") }
                }
            </p>
            <dl class="facts">
                if let Some(name) = callscope_view::names::of_address(&shown.report, t.responder.ip()) {
                    { fact("Responder's name", html! { <span data-testid="tunnel-responder-name">{ name }</span> }) }
                }
                { fact("Initiator SPI", html! { <span class="mono" data-testid="tunnel-ispi">{ &t.ispi }</span> }) }
                { fact("Responder SPI", html! { <span class="mono">{ &t.rspi }</span> }) }
                { fact("Moved to UDP 4500", floated) }
                { fact("NAT detection", nat_words(t)) }
                { fact("Established in", t.established_ms.map_or_else(|| "not captured".into(), format::ms)) }
                { fact("IKE messages", format::count(t.messages)) }
                { fact("Rekeys", format::count(t.rekeys)) }
                { fact("Deletes", deletes) }
                { fact("Keepalives", format::count(t.keepalives)) }
                { fact("ESP", html! { <span data-testid="tunnel-esp">{ format!("{} packets in {} SAs, {} gaps", format::count(esp_packets), t.esp.len(), format::count(esp_lost)) }</span> }) }
                if let Some(p) = &t.proposal { { fact("Proposal", html! { <span class="mono">{ p }</span> }) } }
                if !t.vendors.is_empty() { { fact("Vendor IDs", t.vendors.join(", ")) } }
                if !t.errors.is_empty() { { fact("Errors", html! { <span class="bad">{ t.errors.join(", ") }</span> }) } }
                { fact("Process", process.map_or_else(|| "unknown (no process metadata)".to_owned(), ToString::to_string)) }
                { fact("Time", format!("{:.3} – {:.3} s", t.start, t.end)) }
            </dl>
            <TunnelAxis tunnel={t.clone()} />
            if props.full {
                <h3>{ "Exchanges" }</h3>
                <SortTable columns={Rc::new(vec![
                    Column::text("Exchange"), Column::num("Message ID"), Column::text("Requested by"), Column::num("Start (s)"),
                    Column::num("Answered in"), Column::num("Requests"), Column::num("Responses"), Column::text("Frames"), Column::text("What it did"),
                ])} rows={exchange_rows(t)} testid="exchanges-table" what="exchanges" page_size={50} />
                if t.exchanges_dropped > 0 {
                    <p class="warning">{ format!("{} more exchanges were not kept (per-tunnel bound).", t.exchanges_dropped) }</p>
                }
            }
            <h3>{ "ESP SAs" }</h3>
            <EspTable sas={Rc::new(t.esp.clone())} testid={format!("esp-table-{}", props.index + 1)} />
        </article>
    }
}

/// Props of [`TunnelPage`].
#[derive(Properties, PartialEq)]
pub struct PageProps {
    /// Index in `ike.tunnels`.
    pub index: usize,
}

/// One tunnel's page.
#[function_component(TunnelPage)]
pub fn tunnel_page(props: &PageProps) -> Html {
    html! {
        <div class="view" data-testid="view-tunnel">
            <p class="crumbs">{ link(&Route::Tunnels(None), "← All tunnels") }</p>
            <TunnelCard index={props.index} full={true} />
        </div>
    }
}
