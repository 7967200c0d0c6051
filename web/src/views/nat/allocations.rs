//! TURN allocations (RFC 8656): client and server, the relayed address the server gave, the 401
//! challenge before it, refreshes, permissions, channels with their ChannelData each way, and
//! Send/Data indications.

use callscope_view::format;
use yew::prelude::*;

use crate::context::use_shown;
use crate::views::fact;

/// The allocations.
#[function_component(Allocations)]
pub fn allocations() -> Html {
    let Some(shown) = use_shown() else {
        return html! {};
    };
    let s = &shown.report.stun;
    if s.allocations.is_empty() {
        return html! {};
    }
    html! {
        <section class="card">
            <h2>{ format!("TURN allocations ({})", s.allocations.len()) }</h2>
            { for s.allocations.iter().enumerate().map(|(i, a)| html! {
                <article class="allocation" data-testid="allocation">
                    <h3 class="mono">{ format!("{}. {} → {} over {}", i + 1, a.client, a.server, a.transport) }</h3>
                    <dl class="facts">
                        { fact("Relayed address", html! { <span class="mono" data-testid="allocation-relayed">{ a.relayed.map_or_else(|| if a.allocated_frame.is_some() { "not given".to_owned() } else { "not allocated".to_owned() }, |r| r.to_string()) }</span> }) }
                        { fact("Mapped address", a.mapped.map_or_else(|| "—".to_owned(), |m| m.to_string())) }
                        { fact("Allocate requests", format!("{} ({} challenged with 401{})", a.requests, a.challenges,
                            if a.errors.is_empty() { String::new() } else { format!("; errors {}", a.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")) })) }
                        { fact("Lifetime", a.lifetime.map_or_else(|| "—".into(), |l| format!("{l} s"))) }
                        { fact("Refreshes", a.refreshes.to_string()) }
                        { fact("Released", a.deleted_frame.map_or_else(|| "no".into(), |f| format!("yes, frame {f}"))) }
                        { fact("Permissions", if a.permissions.is_empty() { "none".to_owned() } else { callscope_view::format::list(&a.permissions) }) }
                        { fact("Send / Data indications", format!("{} / {}", format::count(a.send_indications), format::count(a.data_indications))) }
                    </dl>
                    if !a.channels.is_empty() {
                        <div class="scroll" tabindex="0" role="region" aria-label="channels table">
                            <table data-testid="channels">
                                <thead><tr><th scope="col">{ "Channel" }</th><th scope="col">{ "Peer" }</th><th class="num" scope="col">{ "To peer" }</th><th class="num" scope="col">{ "From peer" }</th><th class="num" scope="col">{ "Bytes" }</th></tr></thead>
                                <tbody>{ for a.channels.iter().map(|c| html! {
                                    <tr>
                                        <td class="mono">{ &c.number }</td>
                                        <td class="mono">{ c.peer.map_or_else(|| "—".to_owned(), |p| p.to_string()) }</td>
                                        <td class="num">{ format::count(c.to_peer) }</td>
                                        <td class="num">{ format::count(c.from_peer) }</td>
                                        <td class="num">{ format::count(c.bytes) }</td>
                                    </tr>
                                }) }</tbody>
                            </table>
                        </div>
                    }
                </article>
            }) }
        </section>
    }
}
