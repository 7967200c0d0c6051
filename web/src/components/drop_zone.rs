//! Where a capture comes in: drag and drop, a file picker, or the embedded demo capture. A
//! `facts.json` from `callscope capture`/`collect` may come with it (dropped or picked together)
//! or after it, and names the processes behind the flows.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DragEvent, FileList, HtmlInputElement, Response};
use yew::prelude::*;

/// The demo capture, relative to the page so that any sub-path works.
pub const DEMO_URL: &str = "static/demo.pcapng";

/// Props of [`DropZone`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// Called with the capture's name and contents.
    pub on_file: Callback<(String, Blob)>,
    /// Called with a facts file's name and contents (a `.json` file among those given).
    #[prop_or_default]
    pub on_facts: Callback<(String, Blob)>,
}

/// Whether a file is host facts (`facts.json`, any `*.json`) rather than a capture.
pub fn is_facts_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".json")
}

/// Hands the first capture and the first facts file among `files` to their callbacks (the
/// capture first, so facts dropped with it apply to it).
fn dispatch(
    files: &FileList,
    on_file: &Callback<(String, Blob)>,
    on_facts: &Callback<(String, Blob)>,
) {
    let all: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
    if let Some(capture) = all.iter().find(|f| !is_facts_name(&f.name())) {
        on_file.emit((capture.name(), capture.clone().into()));
    }
    if let Some(facts) = all.iter().find(|f| is_facts_name(&f.name())) {
        on_facts.emit((facts.name(), facts.clone().into()));
    }
}

/// The drop zone.
#[function_component(DropZone)]
pub fn drop_zone(props: &Props) -> Html {
    let over = use_state(|| false);
    let demo_error = use_state(|| None::<String>);

    let ondragover = {
        let over = over.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(true);
        })
    };
    let ondragleave = {
        let over = over.clone();
        Callback::from(move |_: DragEvent| over.set(false))
    };
    let ondrop = {
        let over = over.clone();
        let on_file = props.on_file.clone();
        let on_facts = props.on_facts.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(false);
            if let Some(files) = e.data_transfer().and_then(|dt| dt.files()) {
                dispatch(&files, &on_file, &on_facts);
            }
        })
    };
    let onchange = {
        let on_file = props.on_file.clone();
        let on_facts = props.on_facts.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(files) = input.files() {
                dispatch(&files, &on_file, &on_facts);
            }
            // Allow picking the same file again.
            input.set_value("");
        })
    };
    let demo = {
        let on_file = props.on_file.clone();
        let demo_error = demo_error.clone();
        Callback::from(move |_: MouseEvent| {
            let on_file = on_file.clone();
            let demo_error = demo_error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_blob(DEMO_URL).await {
                    Ok(blob) => {
                        demo_error.set(None);
                        on_file.emit(("demo.pcapng".into(), blob));
                    }
                    Err(e) => demo_error.set(Some(format!("could not load the demo capture: {e}"))),
                }
            });
        })
    };

    html! {
        <div class={classes!("drop", (*over).then_some("over"))} {ondragover} {ondragleave} {ondrop} data-testid="drop">
            <p><strong>{ "Drop a capture here" }</strong>{ " (pcap or pcapng from tcpdump on ipsec0, en0, utun*, pktap…, gzip is fine)" }</p>
            <p>{ "Add the facts.json that " }<code>{ "callscope capture" }</code>{ " writes beside it (together or afterwards) to name the process behind each flow." }</p>
            <p>
                <label class="button" for="file">{ "Choose a file…" }</label>
                <input id="file" type="file" multiple=true style="display:none" {onchange} />
                { " or " }
                <button class="primary" id="demo" onclick={demo}>{ "Try the demo" }</button>
            </p>
            if let Some(e) = &*demo_error {
                <p class="error">{ e }</p>
            }
        </div>
    }
}

async fn fetch_blob(url: &str) -> Result<Blob, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("{e:?}"))?;
    let response: Response = response.dyn_into().map_err(|_| "not a response")?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let blob = JsFuture::from(response.blob().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("{e:?}"))?;
    blob.dyn_into::<Blob>().map_err(|_| "not a blob".into())
}
