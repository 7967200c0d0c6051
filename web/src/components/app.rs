//! The app shell: owns the page state (`crate::state`), the decoding worker (`crate::bridge`)
//! and the address (`crate::route`); takes files dropped anywhere on the page or picked; shows
//! the header, progress, errors and notices, and the routed view with the report in context.

use std::rc::Rc;

use callscope_analysis::facts::Facts;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DragEvent, FileList, HtmlInputElement, Response};
use yew::prelude::*;

use crate::bridge::{
    now_ms, publish, publish_memory_probe, publish_report, publish_state, publish_stats,
    use_decoder,
};
use crate::components::header::Header;
use crate::components::landing::Landing;
use crate::components::table::go;
use crate::context::PageCtx;
use crate::route::Route;
use crate::state::{Action, LoadedFacts, Page, Phase, ShownRef};
use crate::views::Routed;

/// The demo capture, relative to the page so that any sub-path works.
pub const DEMO_URL: &str = "static/demo.pcapng";

/// Whether a file is host facts (`facts.json`, any `*.json`) rather than a capture.
pub fn is_facts_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".json")
}

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The viewer's zone at `unix` seconds, minutes east of UTC.
fn zone_at(unix: f64) -> i32 {
    -(js_sys::Date::new(&JsValue::from_f64(unix * 1e3))
        .get_timezone_offset()
        .round() as i32)
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

/// Reads a facts.json and hands it to the page.
fn load_facts(page: UseReducerDispatcher<Page>, name: String, blob: Blob) {
    wasm_bindgen_futures::spawn_local(async move {
        let text = match JsFuture::from(blob.text()).await {
            Ok(t) => t.as_string().unwrap_or_default(),
            Err(e) => {
                page.dispatch(Action::FactsFailed(format!("{name}: cannot read: {e:?}")));
                return;
            }
        };
        let parsed = serde_json::from_str::<Facts>(&text)
            .map_err(|e| format!("not a facts.json: {e}"))
            .and_then(|f| f.check().map(|()| f).map_err(|e| e.to_string()));
        match parsed {
            Ok(facts) => page.dispatch(Action::Facts(LoadedFacts {
                name,
                facts: Rc::new(facts),
            })),
            Err(e) => page.dispatch(Action::FactsFailed(format!("{name}: {e}"))),
        }
    });
}

/// Where a tab keeps the share link it opened, so that a reload (on any view) opens it again.
const SHARED_KEY: &str = "callscope.shared";

fn session() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

/// Opens a share link's fragment: its report replaces the page's, the address becomes `view`
/// (the overview when the link was just followed), and the tab remembers the link.
fn open_shared(dispatch: &UseReducerDispatcher<Page>, fragment: &str, view: Route) {
    match callscope_view::share::open(fragment) {
        Ok(shared) => {
            // Remembered once it is drawn (a link that breaks the page is not reopened on reload).
            PENDING_SHARED.with(|p| *p.borrow_mut() = Some(fragment.to_owned()));
            dispatch.dispatch(Action::OpenShared(Box::new(shared)));
        }
        Err(e) => {
            forget_shared();
            dispatch.dispatch(Action::SharedFailed(e.to_string()));
        }
    }
    // The long fragment leaves the address bar (the tab keeps it); the views use their own.
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&view.href()));
    }
    dispatch.dispatch(Action::Navigate(view));
}

thread_local! {
    /// A share link opened but not yet drawn.
    static PENDING_SHARED: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Keeps the share link just drawn for reloads of this tab.
fn remember_shared() {
    if let Some(fragment) = PENDING_SHARED.with(|p| p.borrow_mut().take()) {
        if let Some(s) = session() {
            let _ = s.set_item(SHARED_KEY, &fragment);
        }
    }
}

/// Forgets the share link this tab opened (a file of the user's own replaces it).
pub fn forget_shared() {
    if let Some(s) = session() {
        let _ = s.remove_item(SHARED_KEY);
    }
}

/// The page.
#[function_component(App)]
pub fn app() -> Html {
    let page = use_reducer(|| Page {
        route: Route::parse(&current_hash()),
        ..Page::default()
    });
    let decoder = use_decoder(page.dispatcher());
    let dragging = use_state(|| false);
    // The report the Share panel shares, while it is open.
    let sharing = use_state(|| None::<Rc<callscope_analysis::Report>>);
    // Whether the service worker (dist/sw.js) has the page's files: then it works offline.
    let offline = use_state(|| false);
    {
        let offline = offline.clone();
        use_effect_with((), move |()| {
            let Some(container) = web_sys::window().map(|w| w.navigator().service_worker()) else {
                return;
            };
            wasm_bindgen_futures::spawn_local(async move {
                // Without sw.js (a dev server) the page simply stays online-only.
                if JsFuture::from(container.register("./sw.js")).await.is_err() {
                    return;
                }
                if let Ok(ready) = container.ready() {
                    if JsFuture::from(ready).await.is_ok() {
                        offline.set(true);
                    }
                }
            });
        });
    }
    let demo_error = use_state(|| None::<AttrValue>);
    let input = use_node_ref();
    use_effect_with((), |()| publish_memory_probe());

    // The address is the route: follow it (links, back/forward, typed URLs).
    {
        let dispatch = page.dispatcher();
        use_effect_with((), move |()| {
            // A share link in the address when the page opens, or one remembered by this tab.
            let hash = current_hash();
            if hash.starts_with(callscope_view::share::PREFIX) {
                open_shared(&dispatch, &hash, Route::Overview);
            } else if let Some(fragment) =
                session().and_then(|s| s.get_item(SHARED_KEY).ok().flatten())
            {
                open_shared(&dispatch, &fragment, Route::parse(&hash));
            }
            let on_hash = Closure::<dyn FnMut()>::new(move || {
                let hash = current_hash();
                if hash.starts_with(callscope_view::share::PREFIX) {
                    open_shared(&dispatch, &hash, Route::Overview);
                    return;
                }
                let route = Route::parse(&hash);
                // A new view starts at its top; choosing a message keeps the ladder in place.
                if !matches!(route, Route::Calls(_, Some(_))) {
                    if let Some(w) = web_sys::window() {
                        w.scroll_to_with_x_and_y(0.0, 0.0);
                    }
                }
                dispatch.dispatch(Action::Navigate(route));
            });
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback(
                    "hashchange",
                    on_hash.as_ref().unchecked_ref(),
                );
            }
            move || {
                if let Some(w) = window {
                    let _ = w.remove_event_listener_with_callback(
                        "hashchange",
                        on_hash.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }

    // Escape closes a detail (a message, a call, a stream…), unless typing in a field.
    {
        let route = page.route.clone();
        use_effect_with(route, move |route| {
            let up = route.up();
            let on_key = Closure::<dyn FnMut(KeyboardEvent)>::new(move |e: KeyboardEvent| {
                // Escape in a text field clears the field instead (checkboxes do not count).
                let typing = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| match el.tag_name().as_str() {
                        "TEXTAREA" | "SELECT" => true,
                        "INPUT" => !matches!(
                            el.get_attribute("type").as_deref(),
                            Some("checkbox" | "radio" | "button")
                        ),
                        _ => false,
                    });
                if e.key() == "Escape" && !typing {
                    if let Some(up) = &up {
                        go(&up.href());
                    }
                }
            });
            let document = web_sys::window().and_then(|w| w.document());
            if let Some(d) = &document {
                let _ =
                    d.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref());
            }
            move || {
                if let Some(d) = document {
                    let _ = d.remove_event_listener_with_callback(
                        "keydown",
                        on_key.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }

    // `window.callscopeReport` is the report as shown: the worker's own JSON when neither facts
    // nor the mask changed it, else the changed report.
    {
        let shown = page.shown.clone();
        let raw = decoder.raw.clone();
        let facts = page.facts.as_ref().map(|f| f.name.clone());
        let key = (
            shown.as_ref().map(|s| Rc::as_ptr(&s.0) as usize),
            facts.clone(),
        );
        let timing = decoder.timing.clone();
        let dispatch = page.dispatcher();
        use_effect_with(key, move |_| {
            if let Some(shown) = shown {
                if shown.shared {
                    remember_shared();
                }
                // A decoded file's report is on screen now: the page's own figure counts from the
                // file being given to here.
                let started = timing.borrow_mut().started.take();
                if let (Some(started), false) = (started, shown.shared) {
                    let ms = now_ms() - started;
                    publish_stats(shown.bytes, ms, &timing.borrow());
                    dispatch.dispatch(Action::Drawn(ms));
                }
                let json = match raw.borrow().as_ref() {
                    Some(text) if facts.is_none() && !shown.masked => Some(text.clone()),
                    _ => callscope_view::json::to_string(&*shown.report)
                        .ok()
                        .map(Rc::new),
                };
                if let Some(json) = json {
                    publish_report(json);
                }
                publish_state("done");
            }
            publish(
                "callscopeFacts",
                &facts.map_or(JsValue::NULL, |f| JsValue::from_str(&f)),
            );
        });
    }

    let take_files = {
        let start = decoder.start.clone();
        let dispatch = page.dispatcher();
        Callback::from(move |files: FileList| {
            let all: Vec<web_sys::File> =
                (0..files.length()).filter_map(|i| files.get(i)).collect();
            // The capture first, so that facts given with it apply to it.
            if let Some(capture) = all.iter().find(|f| !is_facts_name(&f.name())) {
                start.emit((capture.name(), capture.clone().into()));
            }
            if let Some(facts) = all.iter().find(|f| is_facts_name(&f.name())) {
                load_facts(dispatch.clone(), facts.name(), facts.clone().into());
            }
        })
    };
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Leaving the window (not just moving between elements).
            if e.related_target().is_none() {
                dragging.set(false);
            }
        })
    };
    let ondrop = {
        let dragging = dragging.clone();
        let take_files = take_files.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if let Some(files) = e.data_transfer().and_then(|dt| dt.files()) {
                take_files.emit(files);
            }
        })
    };
    let onchange = {
        let take_files = take_files.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(files) = input.files() {
                take_files.emit(files);
            }
            // Allow picking the same file again.
            input.set_value("");
        })
    };
    let pick = {
        let input = input.clone();
        Callback::from(move |()| {
            if let Some(i) = input.cast::<HtmlInputElement>() {
                i.click();
            }
        })
    };
    let demo = {
        let start = decoder.start.clone();
        let demo_error = demo_error.clone();
        Callback::from(move |()| {
            let start = start.clone();
            let demo_error = demo_error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match fetch_blob(DEMO_URL).await {
                    Ok(blob) => {
                        demo_error.set(None);
                        start.emit(("demo.pcapng".into(), blob));
                    }
                    Err(e) => {
                        demo_error.set(Some(format!("Could not load the demo capture: {e}").into()))
                    }
                }
            });
        })
    };
    let on_mask = {
        let dispatch = page.dispatcher();
        Callback::from(move |on: bool| dispatch.dispatch(Action::Mask(on)))
    };
    let clear_facts = {
        let dispatch = page.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::ClearFacts))
    };
    let cancel = decoder.cancel.reform(|_: MouseEvent| ());
    let on_share = {
        let sharing = sharing.clone();
        let page = page.clone();
        Callback::from(move |()| sharing.set(page.report_to_share().map(Rc::new)))
    };
    let close_share = {
        let sharing = sharing.clone();
        Callback::from(move |()| sharing.set(None))
    };
    let on_json = {
        let shown = page.shown.clone();
        Callback::from(move |()| {
            if let Some(s) = &shown {
                let text = callscope_view::export::report_json(&s.report);
                let _ = crate::download::save(
                    &crate::download::name(&s.name, "report.json"),
                    "application/json",
                    &text,
                );
            }
        })
    };
    let share_panel = match (&*sharing, page.file_name()) {
        (Some(report), Some(file)) => html! {
            <crate::components::share::SharePanel report={report.clone()} file={file.to_owned()} prior={page.shared.clone()} on_close={close_share} />
        },
        _ => html! {},
    };
    let shared_banner = page.shared.as_ref().map(|s| {
        let mut masked = Vec::new();
        if s.masked_numbers {
            masked.push("numbers and names");
        }
        if s.masked_addresses {
            masked.push("IP addresses");
        }
        html! {
            <div class="notice" data-testid="shared-banner">
                <p>
                    <strong>{ "A shared report" }</strong>
                    { format!(
                        " of {}, made {} with callscope {}{}. No capture was opened: these views show what the link carries.",
                        s.file,
                        callscope_view::format::clock(s.made_unix, zone_at(s.made_unix)),
                        s.callscope,
                        if masked.is_empty() { String::new() } else { format!("; {} masked", masked.join(" and ")) }
                    ) }
                </p>
                if !s.left_out.is_empty() {
                    <p>{ format!("Left out to keep the link short: {}.", s.left_out.join("; ")) }</p>
                }
            </div>
        }
    });

    let tz = page
        .shown
        .as_ref()
        .map_or(0, |s| zone_at(s.report.capture.start_unix));
    let ctx = PageCtx {
        route: page.route.clone(),
        ladder: page.ladder,
        tz,
        dispatch: page.dispatcher(),
        extract: (decoder.has_file && page.shared.is_none()).then(|| decoder.extract.clone()),
        file: decoder.file.clone().filter(|_| page.shared.is_none()),
        drawn_ms: page.drawn_ms,
    };

    let status = match &page.phase {
        Phase::Running {
            name,
            bytes,
            total,
            packets,
            found,
            ms,
            finishing,
            read,
        } => {
            let pct = if *total > 0.0 {
                bytes / total * 100.0
            } else {
                0.0
            };
            let mbps = bytes / 1e6 / (ms / 1e3).max(1e-3);
            html! {
                <section class="card progress" data-testid="progress" aria-live="polite">
                    // The clocks tick on the page's own timer: while the decoder waits for the
                    // disk, or builds the report, it sends nothing, and the line still shows the
                    // page is alive.
                    if *finishing {
                        <p data-testid="progress-read">
                            { format!("Read all of {name} ({:.1} MB, {} packets) in {:.1} s; building the report: ", total / 1e6, callscope_view::format::count(*packets), ms / 1e3) }
                            <crate::components::elapsed::Elapsed key="building" />
                            if let Some((done, of)) = read {
                                { format!("; reading it into the page: {done} of {of} sections") }
                            }
                        </p>
                    } else {
                        <p data-testid="progress-read">
                            { format!("Decoding {name}: {:.0} of {:.1} MB, {} packets, {mbps:.0} MB/s, ", bytes / 1e6, total / 1e6, callscope_view::format::count(*packets)) }
                            <crate::components::elapsed::Elapsed key="decoding" />
                        </p>
                    }
                    <p class="muted" data-testid="progress-found">{ format!(
                        "So far: {} call{}, {} RTP stream{}, {} IKE tunnel{}.",
                        callscope_view::format::count(found.calls), if found.calls == 1 { "" } else { "s" },
                        callscope_view::format::count(found.streams), if found.streams == 1 { "" } else { "s" },
                        callscope_view::format::count(found.tunnels), if found.tunnels == 1 { "" } else { "s" },
                    ) }</p>
                    <div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow={format!("{pct:.0}")}><div style={format!("width:{pct:.1}%")}></div></div>
                    <p><button type="button" onclick={cancel}>{ "Cancel" }</button></p>
                </section>
            }
        }
        Phase::Error { name, message } => html! {
            <div class="error" data-testid="error" role="alert">{ if name.is_empty() { message.clone() } else { format!("{name}: {message}") } }</div>
        },
        _ => html! {},
    };
    let facts_line = page.facts.as_ref().map(|f| {
        let text = match &page.shown {
            Some(shown) => format!(
                "Processes from {} ({}{}, {} sockets): {} conversations attributed.",
                f.name,
                if f.facts.host.hostname.is_empty() { "unknown host" } else { f.facts.host.hostname.as_str() },
                if f.facts.host.os.is_empty() { String::new() } else { format!(", {}", f.facts.host.os) },
                f.facts.sockets.len(),
                shown.attributed
            ),
            None => format!("{} loaded: it will name the processes of the capture once it is decoded.", f.name),
        };
        let testid = if page.shown.is_some() { "facts" } else { "facts-pending" };
        html! { <p class="facts-line" data-testid={testid}>{ text }{ " " }<button type="button" class="link" onclick={clear_facts.clone()}>{ "Remove" }</button></p> }
    });
    let capture_problem = page.shown.as_ref().and_then(|s| {
        let c = &s.report.capture;
        let clock = callscope_view::capture::clock_warning(&s.report);
        let mut lines = Vec::new();
        if let Some(err) = &c.error {
            lines.push(html! {
                <p class={if c.truncated { "warning" } else { "error" }} data-testid="capture-error">
                    { if c.truncated { "Truncated: " } else { "Stopped: " } }{ err }{ ". The report covers what was read before." }
                </p>
            });
        }
        if let Some(w) = clock {
            lines.push(html! { <p class="warning" data-testid="clock-warning">{ w }</p> });
        }
        (!lines.is_empty()).then(|| html! { <>{ for lines }</> })
    });
    let body = match &page.shown {
        Some(shown) => html! {
            <ContextProvider<ShownRef> context={shown.clone()}>
                <ContextProvider<PageCtx> context={ctx}>
                    <div data-testid="report">
                        <Routed route={page.route.clone()} />
                    </div>
                </ContextProvider<PageCtx>>
            </ContextProvider<ShownRef>>
        },
        None if !matches!(page.phase, Phase::Running { .. }) => html! {
            <>
                if !matches!(page.route, Route::Overview) {
                    <p class="muted" data-testid="route-pending">{ format!("Drop the capture to open {}.", page.route.href()) }</p>
                }
                <Landing on_pick={pick.clone()} on_demo={demo} demo_error={(*demo_error).clone()} />
            </>
        },
        None => html! {},
    };
    html! {
        <div class={classes!("app", dragging.then_some("dragging"))} data-testid="drop" {ondragover} {ondragleave} {ondrop}>
            <a class="skip" href="#main" onclick={Callback::from(|e: MouseEvent| {
                e.prevent_default();
                if let Some(m) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("main")) {
                    if let Ok(m) = m.dyn_into::<web_sys::HtmlElement>() { let _ = m.focus(); }
                }
            })}>{ "Skip to the report" }</a>
            <Header shown={page.shown.clone()} route={page.route.clone()} mask={page.mask} {on_mask} on_pick={pick} {on_share} {on_json} {tz} />
            <input ref={input} id="file" type="file" multiple=true class="visually-hidden" tabindex="-1" aria-hidden="true" {onchange} />
            <main id="main" tabindex="-1">
                if let Some(n) = &page.notice {
                    <p class="notice" data-testid="notice" role="status">{ n }</p>
                }
                if let Some(e) = &page.facts_error {
                    <div class="error" data-testid="facts-error">{ e.clone() }</div>
                }
                { for shared_banner }
                if let Some(status) = &decoder.export_status {
                    <p class="notice" data-testid="export-status" role="status">{ status.clone() }</p>
                }
                { for facts_line }
                { for capture_problem }
                { status }
                { body }
            </main>
            { share_panel }
            <footer class="muted small">
                { "callscope decodes in this tab; nothing is uploaded." }
                if *offline {
                    <span data-testid="offline">{ " Saved in this browser: it works offline too." }</span>
                }
            </footer>
            <div class="drop-overlay" aria-hidden="true"><p>{ "Drop the capture (and its facts.json) to decode it here" }</p></div>
        </div>
    }
}
