//! One card per section with its headline ("1 IKE tunnel, NAT-T, 32 ESP packets, 0 lost"),
//! each a link to the section.

use callscope_view::headline;
use yew::prelude::*;

use crate::context::use_shown;
use crate::route::Route;

/// The section cards.
#[function_component(Cards)]
pub fn cards() -> Html {
    let Some(shown) = use_shown() else {
        return html! {};
    };
    let r = &shown.report;
    let mut cards = vec![
        (
            Route::Tunnels(None),
            "Tunnels",
            headline::tunnels(r),
            !r.ike.tunnels.is_empty() || r.ike.esp_packets > 0,
        ),
        (
            Route::Calls(None, None),
            "Calls",
            headline::calls(r),
            r.sip.messages > 0,
        ),
        (
            Route::Nat,
            "NAT traversal",
            headline::nat(r),
            r.stun.messages + r.stun.classic_messages + r.stun.channel_data > 0,
        ),
        (
            Route::Media(None),
            "Media",
            headline::media(r),
            !r.rtp.streams.is_empty() || r.rtcp.packets > 0,
        ),
        (Route::Network, "Network", headline::network(r), true),
    ];
    if !r.names.is_empty() || r.dns.messages > 0 {
        cards.push((Route::Names, "Names", headline::names(r), true));
    }
    if !r.processes.is_empty() {
        cards.push((
            Route::Processes(None),
            "Processes",
            headline::processes(r),
            true,
        ));
    }
    html! {
        <section class="cards" aria-label="Sections">
            { for cards.into_iter().map(|(route, title, line, active)| html! {
                <a class={classes!("card", "section-card", (!active).then_some("quiet"))} href={route.href()} data-testid={format!("card-{}", route.section())}>
                    <h2>{ title }</h2>
                    <p>{ line }</p>
                </a>
            }) }
        </section>
    }
}
