//! The header that stays on top: the file with its start date and headline numbers, the mask
//! switch, a way to open another file, and the section tabs, each with its count.

use callscope_view::format;
use yew::prelude::*;

use crate::route::{Route, SECTIONS};
use crate::state::ShownRef;

/// Props of [`Header`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The report, once there is one.
    pub shown: Option<ShownRef>,
    /// The open view.
    pub route: Route,
    /// Masking is on.
    pub mask: bool,
    /// Sets masking.
    pub on_mask: Callback<bool>,
    /// Opens the file picker.
    pub on_pick: Callback<()>,
    /// Opens the Share panel.
    pub on_share: Callback<()>,
    /// Saves the report as JSON.
    pub on_json: Callback<()>,
    /// The viewer's zone, minutes east of UTC.
    pub tz: i32,
}

/// A section's count for its tab.
fn count(shown: &ShownRef, section: &str) -> Option<u64> {
    let r = &shown.report;
    Some(match section {
        "tunnels" => r.ike.tunnels.len() as u64,
        "calls" => r.sip.calls.len() as u64,
        "nat" => r.stun.transactions.len() as u64,
        "media" => r.rtp.streams.len() as u64,
        "network" => r.conversations.len() as u64,
        "processes" => r.processes.len() as u64,
        "names" => r.names.iter().filter(|n| n.source != "port").count() as u64,
        _ => return None,
    })
}

/// The header.
#[function_component(Header)]
pub fn header(props: &Props) -> Html {
    let on_mask = {
        let cb = props.on_mask.clone();
        Callback::from(move |e: Event| {
            cb.emit(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .checked(),
            )
        })
    };
    let pick = props.on_pick.reform(|_: MouseEvent| ());
    let tabs = props.shown.as_ref().map(|shown| {
        let current = props.route.section();
        html! {
            <nav class="tabs" aria-label="Sections" data-testid="tabs">
                { for SECTIONS.iter().filter(|(key, _)| match *key {
                    "processes" => !shown.report.processes.is_empty(),
                    "names" => !shown.report.names.is_empty() || shown.report.dns.messages > 0,
                    _ => true,
                }).map(|(key, title)| {
                    let n = count(shown, key);
                    html! {
                        <a href={Route::of_section(key).href()} aria-current={(current == *key).then_some("page")} data-testid={format!("tab-{key}")}>
                            { *title }
                            if let Some(n) = n { <span class={classes!("count", (n == 0).then_some("zero"))}>{ format::count(n) }</span> }
                        </a>
                    }
                }) }
            </nav>
        }
    });
    let file = props.shown.as_ref().map(|s| {
        let c = &s.report.capture;
        let start = format::clock(c.start_unix, props.tz);
        html! {
            <span class="file">
                <strong data-testid="header-file">{ &s.name }</strong>
                <span class="muted">{ format!(" · {} {} · {} · {} packets", start.split('.').next().unwrap_or(&start), format::zone(props.tz), format::duration(c.duration), format::count(c.packets)) }</span>
            </span>
        }
    });
    html! {
        <header class="top">
            <div class="bar">
                <a class="brand" href="#/">{ "callscope" }</a>
                { for file }
                <span class="spacer"></span>
                <label class="switch" title="Replace phone numbers, user names and display names with stable pseudonyms (as the CLI's --mask)">
                    <input type="checkbox" checked={props.mask} onchange={on_mask} data-testid="mask" />
                    <span>{ "Mask numbers" }</span>
                </label>
                if props.shown.is_some() {
                    <button type="button" onclick={props.on_share.reform(|_: MouseEvent| ())} data-testid="share">{ "Share…" }</button>
                    <button type="button" onclick={props.on_json.reform(|_: MouseEvent| ())} data-testid="save-json" title="The report as callscope analyze --json prints it">{ "JSON" }</button>
                    <button type="button" onclick={pick}>{ "Open…" }</button>
                }
            </div>
            { tabs.unwrap_or_else(|| html! { <div class="tabs placeholder" aria-hidden="true"></div> }) }
        </header>
    }
}
