//! The overview: the verdicts first, each linking to its evidence; one card per section with its
//! headline, each leading to the section; then the timeline and protocol mix; then the capture's
//! facts.

pub mod cards;
pub mod facts;
pub mod timeline;
pub mod verdicts;

use yew::prelude::*;

/// The overview.
#[function_component(Overview)]
pub fn overview() -> Html {
    html! {
        <div class="view" data-testid="view-overview">
            <verdicts::Verdicts />
            <cards::Cards />
            <timeline::Timeline />
            <facts::Facts />
        </div>
    }
}
