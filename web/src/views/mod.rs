//! The views of a report, one folder per section, one component per file. Each reads the shown
//! report and the page from context ([`crate::context`]); none parses packets, so every number
//! on the page is the report's (the CLI's `--json` for the same file).

pub mod calls;
pub mod media;
pub mod names;
pub mod nat;
pub mod network;
pub mod overview;
pub mod processes;
pub mod tunnels;

use yew::prelude::*;

use crate::route::Route;

/// One fact: a label and a value, for a `<dl class="facts">`.
pub fn fact(label: &str, value: impl Into<Html>) -> Html {
    html! { <div><dt>{ label }</dt><dd>{ value.into() }</dd></div> }
}

/// A fact with a `data-testid` on its value.
pub fn fact_id(label: &str, value: String, testid: &str) -> Html {
    html! { <div><dt>{ label }</dt><dd data-testid={testid.to_owned()}>{ value }</dd></div> }
}

/// A link to a route.
pub fn link(route: &Route, text: impl Into<Html>) -> Html {
    html! { <a href={route.href()}>{ text.into() }</a> }
}

/// A short paragraph saying a section is empty, and why that is worth knowing.
pub fn empty(text: &str) -> Html {
    html! { <p class="empty muted" data-testid="empty">{ text }</p> }
}

/// Props of [`Routed`].
#[derive(Properties, PartialEq)]
pub struct RoutedProps {
    /// The view to show.
    pub route: Route,
}

/// The view of a route. A detail view is keyed by what it shows, so moving from one call (or
/// stream, tunnel, process) to another starts its tables afresh.
#[function_component(Routed)]
pub fn routed(props: &RoutedProps) -> Html {
    match &props.route {
        Route::Overview => html! { <overview::Overview /> },
        Route::Tunnels(None) => html! { <tunnels::Tunnels /> },
        Route::Tunnels(Some(i)) => {
            html! { <tunnels::card::TunnelPage key={format!("t{i}")} index={*i} /> }
        }
        Route::Calls(None, _) => html! { <calls::Calls /> },
        Route::Calls(Some(id), message) => {
            html! { <calls::call::CallPage key={format!("c{id}")} id={id.clone()} message={*message} /> }
        }
        Route::Nat => html! { <nat::Nat /> },
        Route::Media(None) => html! { <media::Media /> },
        Route::Media(Some(i)) => {
            html! { <media::stream::StreamPage key={format!("s{i}")} index={*i} /> }
        }
        Route::Network => html! { <network::Network /> },
        Route::Names => html! { <names::Names /> },
        Route::Processes(None) => html! { <processes::Processes /> },
        Route::Processes(Some(pid)) => {
            html! { <processes::process::ProcessPage key={format!("p{pid}")} pid={*pid} /> }
        }
        Route::NotFound(hash) => html! {
            <section class="card" data-testid="not-found">
                <h2>{ "No such view" }</h2>
                <p>{ format!("The address {hash} names no view of this report. ") }{ link(&Route::Overview, "Go to the overview.") }</p>
            </section>
        },
    }
}
