//! Where a capture comes in before there is a report: drop it anywhere on the page, choose it,
//! or try the embedded demo. A `facts.json` from `callscope capture`/`collect` may come with the
//! capture, before it or after it, and names the processes behind the flows.

use yew::prelude::*;

/// Props of [`Landing`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Opens the file picker.
    pub on_pick: Callback<()>,
    /// Loads the demo capture.
    pub on_demo: Callback<()>,
    /// Why the demo could not load.
    #[prop_or_default]
    pub demo_error: Option<AttrValue>,
}

/// The landing area.
#[function_component(Landing)]
pub fn landing(props: &Props) -> Html {
    let pick = props.on_pick.reform(|_: MouseEvent| ());
    let demo = props.on_demo.reform(|_: MouseEvent| ());
    html! {
        <section class="landing card" data-testid="drop-zone">
            <h2>{ "Drop a capture anywhere on this page" }</h2>
            <p>{ "pcap or pcapng from tcpdump on ipsec0, en0, utun*, pktap…; gzip is fine. It is decoded here, in this tab: nothing is uploaded." }</p>
            <p class="actions">
                <button type="button" class="primary" id="pick" onclick={pick}>{ "Choose a file…" }</button>
                <button type="button" id="demo" onclick={demo}>{ "Try the demo" }</button>
            </p>
            <p class="muted small">{ "Add the facts.json that " }<code>{ "callscope capture" }</code>{ " writes beside its capture (before, with or after it) to name the process behind each flow." }</p>
            if let Some(e) = &props.demo_error {
                <p class="error">{ e }</p>
            }
        </section>
    }
}
