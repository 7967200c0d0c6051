//! One process: its conversations, and the calls, tunnels and streams that travel on them.

use callscope_view::{format, media};
use yew::prelude::*;

use crate::context::use_shown;
use crate::route::Route;
use crate::views::{fact, link};

/// Props of [`ProcessPage`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Process id.
    pub pid: u32,
}

/// The process's page.
#[function_component(ProcessPage)]
pub fn process_page(props: &Props) -> Html {
    let page = crate::context::use_page();
    let Some(shown) = use_shown() else {
        return html! {};
    };
    let r = &shown.report;
    // A pid can name two processes (reused, or two names in the facts): show each.
    let found: Vec<_> = r
        .processes
        .iter()
        .zip(&shown.processes)
        .filter(|(p, _)| p.pid == props.pid)
        .collect();
    if found.is_empty() {
        return html! {
            <div class="view" data-testid="view-process">
                <p class="crumbs">{ link(&Route::Processes(None), "← All processes") }</p>
                <section class="card" data-testid="not-found"><p>{ format!("No process with pid {} in this report.", props.pid) }</p></section>
            </div>
        };
    }
    html! {
        <div class="view" data-testid="view-process">
            <p class="crumbs">{ link(&Route::Processes(None), "← All processes") }</p>
            { for found.into_iter().map(|(p, l)| html! { <>
            <section class="card">
                <div class="card-head">
                    <h2>{ l.label.to_string() }</h2>
                    <span class="spacer"></span>
                    if let Some(page) = &page {
                        { page.export_button(callscope_view::extract::process(r, &l.label),
                            crate::download::name(&shown.name, &format!("process-{}.pcapng", p.pid)), "save-process-pcapng") }
                    }
                </div>
                <dl class="facts">
                    if let Some(path) = &p.path { { fact("Path", html! { <span class="mono">{ path }</span> }) } }
                    { fact("Flows", format::count(p.flows)) }
                    { fact("Packets", format::count(p.packets)) }
                    { fact("Bytes", format::bytes(p.bytes)) }
                </dl>
            </section>
            <section class="card">
                <h2>{ format!("Conversations ({})", l.conversations.len()) }</h2>
                <ul class="links" data-testid="process-conversations">
                    { for l.conversations.iter().filter_map(|&i| r.conversations.get(i).map(|c| (i, c))).map(|(i, c)| html! {
                        <li class="mono">{ format!("{} {} → {}: {} packets, {}{} ", c.transport, c.a, c.b, format::count(c.packets), format::bytes(c.bytes),
                            c.protocol.as_ref().map(|p| format!(", {p}")).unwrap_or_default()) }
                            if let Some(page) = &page {
                                { page.export_button(callscope_view::extract::conversation(r, i),
                                    crate::download::name(&shown.name, &format!("flow-{}.pcapng", i + 1)), "save-flow-pcapng") }
                            }
                        </li>
                    }) }
                </ul>
            </section>
            if !l.calls.is_empty() || !l.tunnels.is_empty() || !l.streams.is_empty() {
                <section class="card">
                    <h2>{ "Calls, tunnels and streams" }</h2>
                    <ul class="links" data-testid="process-links">
                        { for l.calls.iter().filter_map(|&i| r.sip.calls.get(i)).map(|c| html! {
                            <li>{ link(&Route::Calls(Some(c.call_id.clone()), None), format!("Call {} → {} ({})", c.caller, c.callee, c.state)) }</li>
                        }) }
                        { for l.tunnels.iter().filter_map(|&i| r.ike.tunnels.get(i).map(|t| (i, t))).map(|(i, t)| html! {
                            <li>{ link(&Route::Tunnels(Some(i)), format!("Tunnel {}: IKEv{} {} → {} ({})", i + 1, t.version, t.initiator, t.responder, t.state)) }</li>
                        }) }
                        { for l.streams.iter().filter_map(|&i| r.rtp.streams.get(i).map(|s| (i, s))).map(|(i, s)| html! {
                            <li>{ link(&Route::Media(Some(i)), format!("Stream {}: {}", i + 1, media::title(s))) }</li>
                        }) }
                    </ul>
                </section>
            }
            </> }) }
        </div>
    }
}
