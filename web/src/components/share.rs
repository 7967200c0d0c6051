//! The Share panel: makes a link that carries the report (masked by default) in its fragment,
//! says how long it is and, when it had to shrink the report to stay short enough for chat and
//! mail, what it left out. The link is made here, in the tab; nothing is uploaded.

use std::rc::Rc;

use callscope_analysis::Report;
use callscope_view::format;
use callscope_view::share::{self, Options, Shared};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Props of [`SharePanel`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The report to share (facts applied, not masked).
    pub report: Rc<Report>,
    /// The capture's file name.
    pub file: AttrValue,
    /// The shared report this one was opened from, if it was (what it masked and left out stays
    /// said).
    #[prop_or_default]
    pub prior: Option<Rc<Shared>>,
    /// Closes the panel.
    pub on_close: Callback<()>,
}

/// The page's address without its fragment, where a share link points.
fn page_address() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split('#').next().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

/// Waits until the browser has drawn a frame (so "Making the link…" shows before the work).
async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 30);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The panel.
#[function_component(SharePanel)]
pub fn share_panel(props: &Props) -> Html {
    let mask = use_state(|| true);
    let first = use_node_ref();
    {
        // The panel takes the focus when it opens.
        let first = first.clone();
        use_effect_with((), move |()| {
            if let Some(el) = first.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        });
    }
    let made = use_state(|| None::<Result<(String, Rc<Shared>), String>>);
    // Each making has a number; a result that is not the latest one's is dropped.
    let generation = use_mut_ref(|| 0u64);
    let copied = use_state(|| false);
    {
        // Made after the panel is drawn (a large report takes a moment), again when the mask
        // switch changes.
        let made = made.clone();
        let copied = copied.clone();
        let report = props.report.clone();
        let file = props.file.to_string();
        let prior = props.prior.clone();
        let generation = generation.clone();
        use_effect_with(*mask, move |&mask| {
            made.set(None);
            copied.set(false);
            *generation.borrow_mut() += 1;
            let mine = *generation.borrow();
            wasm_bindgen_futures::spawn_local(async move {
                next_frame().await;
                let options = Options {
                    mask_numbers: mask,
                    mask_addresses: mask,
                    ..Options::default()
                };
                let result = share::make(
                    &report,
                    &file,
                    js_sys::Date::now() / 1e3,
                    options,
                    prior.as_deref(),
                )
                .map(|(fragment, shared)| {
                    (format!("{}{fragment}", page_address()), Rc::new(shared))
                })
                .map_err(|e| e.to_string());
                if *generation.borrow() == mine {
                    made.set(Some(result));
                }
            });
        });
    }
    let on_mask = {
        let mask = mask.clone();
        Callback::from(move |e: Event| {
            mask.set(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .checked(),
            )
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    let onkeydown = {
        let on_close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.stop_propagation();
                on_close.emit(());
            }
        })
    };
    let body = match &*made {
        None => html! { <p aria-live="polite">{ "Making the link…" }</p> },
        Some(Err(e)) => {
            html! { <p class="error" data-testid="share-error">{ format!("No link: {e}.") }</p> }
        }
        Some(Ok((link, shared))) => {
            let copy = {
                let link = link.clone();
                let copied = copied.clone();
                Callback::from(move |_: MouseEvent| {
                    let link = link.clone();
                    let copied = copied.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let Some(window) = web_sys::window() else {
                            return;
                        };
                        let done = wasm_bindgen_futures::JsFuture::from(
                            window.navigator().clipboard().write_text(&link),
                        )
                        .await;
                        if done.is_err() {
                            // Without clipboard permission: select the link for Ctrl-C.
                            if let Some(area) = window
                                .document()
                                .and_then(|d| d.get_element_by_id("share-link"))
                                .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
                            {
                                area.select();
                            }
                        }
                        copied.set(done.is_ok());
                    });
                })
            };
            html! {
                <>
                    <p data-testid="share-length">
                        { format!("{} characters.", format::count(link.len() as u64)) }
                        { if shared.left_out.is_empty() { " The whole report." } else { "" } }
                    </p>
                    if !shared.left_out.is_empty() {
                        <div class="warning" data-testid="share-left-out">
                            <p>{ format!("A reduced report: the whole one would make a link longer than {} characters, which chat and mail cut. Left out:", format::count(share::LINK_LIMIT as u64)) }</p>
                            <ul>{ for shared.left_out.iter().map(|l| html! { <li>{ l }</li> }) }</ul>
                        </div>
                    }
                    <label class="visually-hidden" for="share-link">{ "The link" }</label>
                    if link.len() > share::LINK_LIMIT + page_address().len() {
                        <p class="warning" data-testid="share-too-long">{ "Even reduced, this link is longer than chat and mail carry safely; it works when pasted whole. The JSON export keeps everything." }</p>
                    }
                    <textarea id="share-link" readonly=true rows="4" data-testid="share-link" data-masked={shared.masked_numbers.to_string()} value={link.clone()} />
                    <p class="actions">
                        <button type="button" class="primary" onclick={copy}>{ if *copied { "Copied" } else { "Copy link" } }</button>
                        <a class="button" href={link.clone()} target="_blank" rel="noopener noreferrer" data-testid="share-open">{ "Open it in a new tab" }</a>
                    </p>
                </>
            }
        }
    };
    html! {
        <div class="dialog-backdrop">
            <section class="card dialog" role="dialog" aria-modal="true" aria-labelledby="share-title" data-testid="share-panel" {onkeydown}>
                <div class="card-head">
                    <h2 id="share-title">{ "Share this report" }</h2>
                    <span class="spacer"></span>
                    <button type="button" onclick={close} aria-label="Close (Escape)" data-testid="share-close">{ "✕" }</button>
                </div>
                <p class="muted small">{ "The link carries the report, never the packets, after its #, which browsers do not send to any server: whoever opens it sees these views with no file." }</p>
                <label class="check"><input ref={first} type="checkbox" checked={*mask} onchange={on_mask} data-testid="share-mask" />{ " Mask phone numbers, user and display names, IP addresses and the file name (stable pseudonyms; addresses keep their class)" }</label>
                { body }
            </section>
        </div>
    }
}
