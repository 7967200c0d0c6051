//! Network: the protocol hierarchy, conversations and endpoints (tshark's `io,phs`, `conv` and
//! `endpoints`), largest first.

pub mod conversations;
pub mod endpoints;
pub mod hierarchy;

use yew::prelude::*;

/// The network section.
#[function_component(Network)]
pub fn network() -> Html {
    html! {
        <div class="view" data-testid="view-network">
            <hierarchy::Hierarchy />
            <conversations::Conversations />
            <endpoints::Endpoints />
        </div>
    }
}
