//! Calls: the call list (Wireshark's VoIP Calls and sngrep's columns), then the SIP that is not a
//! call; a call opens its page with the ladder.

pub mod call;
pub mod ladder;
pub mod list;
pub mod message;
pub mod other;

use callscope_view::{format, headline};
use yew::prelude::*;

use crate::context::use_shown;
use crate::views::empty;

/// The calls section.
#[function_component(Calls)]
pub fn calls() -> Html {
    let Some(shown) = use_shown() else {
        return html! {};
    };
    let sip = &shown.report.sip;
    let methods: Vec<String> = sip
        .methods
        .iter()
        .map(|(m, n)| format!("{m} {}", format::count(*n)))
        .collect();
    let responses: Vec<String> = sip
        .responses
        .iter()
        .map(|(c, n)| format!("{c} {}", format::count(*n)))
        .collect();
    html! {
        <div class="view" data-testid="view-calls">
            <p class="lede" data-testid="calls-headline">{ headline::calls(&shown.report) }</p>
            if sip.messages == 0 {
                { empty("No SIP in this capture. (SIP over TLS, port 5061, cannot be read without keys and shows as TLS under Network.)") }
            } else {
                <p class="muted" data-testid="sip-counts">
                    { format!("{} SIP messages ({} resent): ", format::count(sip.messages), format::count(sip.resent)) }
                    { methods.join(", ") }{ if responses.is_empty() { String::new() } else { format!("; responses {}", responses.join(", ")) } }
                </p>
            }
            if !sip.calls.is_empty() {
                <list::CallList />
            }
            <other::OtherSip />
        </div>
    }
}
