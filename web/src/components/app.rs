//! The app shell: owns the state (idle → running → done / error, plus any host facts), the
//! worker, and the views.

use std::cell::RefCell;
use std::rc::Rc;

use callscope_analysis::facts::{attribute, Facts};
use callscope_analysis::Report;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, MessageEvent, Worker};
use yew::prelude::*;

use crate::components::drop_zone::DropZone;
use crate::messages::FromWorker;
use crate::views;

/// Where the page is.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Phase {
    /// Waiting for a file.
    #[default]
    Idle,
    /// The worker is reading.
    Running {
        /// File name.
        name: String,
        /// Bytes read.
        bytes: f64,
        /// File size.
        total: f64,
        /// Packets so far.
        packets: u64,
        /// Milliseconds so far.
        ms: f64,
    },
    /// The report is ready.
    Done {
        /// File name.
        name: String,
        /// The report as shown: the worker's, with flows attributed from facts when given.
        report: Rc<Report>,
        /// The worker's report, before facts.
        raw: Rc<Report>,
        /// Conversations the facts attributed.
        attributed: usize,
        /// File size.
        bytes: f64,
        /// Milliseconds taken.
        ms: f64,
    },
    /// The file could not be read.
    Error {
        /// File name.
        name: String,
        /// Why.
        message: String,
    },
}

/// Host facts (`facts.json`) given beside the capture.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedFacts {
    /// File name.
    pub name: String,
    /// The facts.
    pub facts: Rc<Facts>,
}

/// The page's whole state: where the capture is, and the facts that name its processes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// The capture's progress or report.
    pub phase: Phase,
    /// Facts to attribute flows with, once given.
    pub facts: Option<LoadedFacts>,
    /// Why the last facts file could not be used.
    pub facts_error: Option<String>,
}

/// Actions on the page state.
pub enum Action {
    /// A file was chosen.
    Start(String, f64),
    /// A message from the worker.
    Worker(FromWorker),
    /// The worker could not start or crashed.
    Crash(String),
    /// A facts.json was read (dropped with the capture or after it).
    Facts(LoadedFacts),
    /// A file given as facts could not be used.
    FactsFailed(String),
}

/// The report to show: `raw` with flows attributed from `facts`, and how many were.
fn with_facts(raw: &Rc<Report>, facts: Option<&LoadedFacts>) -> (Rc<Report>, usize) {
    match facts {
        Some(f) => {
            let mut report = (**raw).clone();
            let n = attribute(&mut report, &f.facts);
            (Rc::new(report), n)
        }
        None => (raw.clone(), 0),
    }
}

impl Reducible for Page {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        match action {
            Action::Facts(loaded) => {
                let phase = match &self.phase {
                    Phase::Done {
                        name,
                        raw,
                        bytes,
                        ms,
                        ..
                    } => {
                        let (report, attributed) = with_facts(raw, Some(&loaded));
                        Phase::Done {
                            name: name.clone(),
                            report,
                            raw: raw.clone(),
                            attributed,
                            bytes: *bytes,
                            ms: *ms,
                        }
                    }
                    other => other.clone(),
                };
                return Rc::new(Page {
                    phase,
                    facts: Some(loaded),
                    facts_error: None,
                });
            }
            Action::FactsFailed(message) => {
                return Rc::new(Page {
                    facts_error: Some(message),
                    ..(*self).clone()
                });
            }
            _ => {}
        }
        // A new capture forgets the facts of the previous one (facts given with it arrive after).
        let facts = match action {
            Action::Start(..) => None,
            _ => self.facts.clone(),
        };
        let facts_error = match action {
            Action::Start(..) => None,
            _ => self.facts_error.clone(),
        };
        let phase = Rc::new(self.phase.clone()).reduce_phase(action, facts.as_ref());
        Rc::new(Page {
            phase,
            facts,
            facts_error,
        })
    }
}

impl Phase {
    fn reduce_phase(self: Rc<Self>, action: Action, facts: Option<&LoadedFacts>) -> Phase {
        let name = match &*self {
            Phase::Running { name, .. } | Phase::Done { name, .. } | Phase::Error { name, .. } => {
                name.clone()
            }
            Phase::Idle => String::new(),
        };
        match action {
            Action::Start(name, total) => Phase::Running {
                name,
                bytes: 0.0,
                total,
                packets: 0,
                ms: 0.0,
            },
            Action::Worker(FromWorker::Ready) | Action::Facts(_) | Action::FactsFailed(_) => {
                (*self).clone()
            }
            Action::Worker(FromWorker::Progress {
                bytes,
                total,
                packets,
                ms,
                ..
            }) => Phase::Running {
                name,
                bytes,
                total,
                packets,
                ms,
            },
            Action::Worker(FromWorker::Done { report, bytes, ms }) => {
                let raw = Rc::new(*report);
                let (report, attributed) = with_facts(&raw, facts);
                Phase::Done {
                    name,
                    report,
                    raw,
                    attributed,
                    bytes,
                    ms,
                }
            }
            Action::Worker(FromWorker::Failed { message }) | Action::Crash(message) => {
                Phase::Error { name, message }
            }
        }
    }
}

/// The running worker and the closures it calls back into.
struct Running {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// Marks the page's state on `<body data-state>` and exposes the last report and timing on
/// `window` (for scripts and the browser tests).
fn publish(phase: &str, raw: Option<&JsValue>, stats: Option<(f64, f64)>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(body) = window.document().and_then(|d| d.body()) {
        let _ = body.set_attribute("data-state", phase);
    }
    if let Some(report) = raw {
        let _ = js_sys::Reflect::set(&window, &"callscopeReport".into(), report);
    }
    if let Some((bytes, ms)) = stats {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"bytes".into(), &bytes.into());
        let _ = js_sys::Reflect::set(&o, &"ms".into(), &ms.into());
        let _ = js_sys::Reflect::set(
            &o,
            &"mbps".into(),
            &(bytes / 1e6 / (ms / 1e3).max(1e-6)).into(),
        );
        let _ = js_sys::Reflect::set(&window, &"callscopeStats".into(), &o);
    }
}

/// Publishes the attributed report and the facts file's name on `window`.
fn publish_facts(report: &Report, facts_name: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    if let Ok(value) = serde::Serialize::serialize(report, &serializer) {
        let _ = js_sys::Reflect::set(&window, &"callscopeReport".into(), &value);
    }
    let _ = js_sys::Reflect::set(&window, &"callscopeFacts".into(), &facts_name.into());
}

/// The page.
#[function_component(App)]
pub fn app() -> Html {
    let phase = use_reducer(Page::default);
    let running: Rc<RefCell<Option<Running>>> = use_mut_ref(|| None);

    // A facts.json: read it, check its schema, and hand it to the state (which attributes the
    // current report's flows, or the next one's when the capture is still decoding).
    let load_facts = {
        let phase = phase.clone();
        Callback::from(move |(name, blob): (String, Blob)| {
            let phase = phase.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let text = match wasm_bindgen_futures::JsFuture::from(blob.text()).await {
                    Ok(t) => t.as_string().unwrap_or_default(),
                    Err(e) => {
                        phase.dispatch(Action::FactsFailed(format!("{name}: cannot read: {e:?}")));
                        return;
                    }
                };
                let parsed = serde_json::from_str::<Facts>(&text)
                    .map_err(|e| format!("not a facts.json: {e}"))
                    .and_then(|f| f.check().map(|()| f).map_err(|e| e.to_string()));
                match parsed {
                    Ok(facts) => phase.dispatch(Action::Facts(LoadedFacts {
                        name,
                        facts: Rc::new(facts),
                    })),
                    Err(e) => phase.dispatch(Action::FactsFailed(format!("{name}: {e}"))),
                }
            });
        })
    };

    // With facts applied, `window.callscopeReport` is the attributed report (what
    // `callscope analyze --facts` prints) and `window.callscopeFacts` names the facts file.
    {
        let shown = match &phase.phase {
            Phase::Done { report, .. } => Some(report.clone()),
            _ => None,
        };
        let facts_name = phase.facts.as_ref().map(|f| f.name.clone());
        let key = (
            shown.as_ref().map(|r| Rc::as_ptr(r) as usize),
            facts_name.clone(),
        );
        use_effect_with(key, move |_| {
            if let (Some(report), Some(name)) = (shown, facts_name) {
                publish_facts(&report, &name);
            }
        });
    }

    let start = {
        let phase = phase.clone();
        let running = running.clone();
        Callback::from(move |(name, blob): (String, Blob)| {
            // A new file replaces the current one: dropping the old worker terminates it.
            running.borrow_mut().take();
            publish("running", None, None);
            phase.dispatch(Action::Start(name, blob.size()));
            let worker = match Worker::new("./worker_loader.js") {
                Ok(w) => w,
                Err(e) => {
                    publish("error", None, None);
                    phase.dispatch(Action::Crash(format!("cannot start the decoder: {e:?}")));
                    return;
                }
            };
            let on_message = {
                let phase = phase.clone();
                let running = running.clone();
                let worker = worker.clone();
                Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                    let data = event.data();
                    match serde_wasm_bindgen::from_value::<FromWorker>(data.clone()) {
                        Ok(message) => {
                            match &message {
                                FromWorker::Ready => {
                                    if let Err(e) = worker.post_message(&blob) {
                                        publish("error", None, None);
                                        phase.dispatch(Action::Crash(format!(
                                            "cannot hand the file to the decoder: {e:?}"
                                        )));
                                    }
                                    return;
                                }
                                FromWorker::Done { bytes, ms, .. } => {
                                    let raw = js_sys::Reflect::get(&data, &"report".into()).ok();
                                    publish("done", raw.as_ref(), Some((*bytes, *ms)));
                                }
                                FromWorker::Failed { .. } => publish("error", None, None),
                                FromWorker::Progress { .. } => {}
                            }
                            let finished =
                                !matches!(message, FromWorker::Progress { .. } | FromWorker::Ready);
                            phase.dispatch(Action::Worker(message));
                            if finished {
                                running.borrow_mut().take();
                            }
                        }
                        Err(e) => {
                            publish("error", None, None);
                            phase.dispatch(Action::Crash(format!(
                                "unexpected message from the decoder: {e}"
                            )));
                        }
                    }
                })
            };
            let on_error = {
                let phase = phase.clone();
                Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                    publish("error", None, None);
                    phase.dispatch(Action::Crash(format!(
                        "the decoder crashed: {}",
                        e.message()
                    )));
                })
            };
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            *running.borrow_mut() = Some(Running {
                worker,
                _on_message: on_message,
                _on_error: on_error,
            });
        })
    };

    let cancel = {
        let phase = phase.clone();
        let running = running.clone();
        Callback::from(move |_| {
            running.borrow_mut().take();
            publish("error", None, None);
            phase.dispatch(Action::Crash("cancelled".into()));
        })
    };

    let body = match &phase.phase {
        Phase::Idle => html! {},
        Phase::Running {
            name,
            bytes,
            total,
            packets,
            ms,
        } => {
            let pct = if *total > 0.0 {
                bytes / total * 100.0
            } else {
                0.0
            };
            let mbps = bytes / 1e6 / (ms / 1e3).max(1e-3);
            html! {
                <div class="progress" data-testid="progress">
                    <p>{ format!("Decoding {name}: {:.0} of {:.1} MB, {packets} packets, {mbps:.0} MB/s", bytes / 1e6, total / 1e6) }</p>
                    <div class="bar"><div style={format!("width:{pct:.1}%")}></div></div>
                    <p><button onclick={cancel}>{ "Cancel" }</button></p>
                </div>
            }
        }
        Phase::Done {
            name,
            report,
            attributed,
            bytes,
            ms,
            ..
        } => html! {
            <>
                if let Some(f) = &phase.facts {
                    <p class="facts" data-testid="facts">
                        { format!(
                            "Processes from {} ({}{}, {} sockets): {attributed} conversations attributed.",
                            f.name,
                            if f.facts.host.hostname.is_empty() { "unknown host" } else { f.facts.host.hostname.as_str() },
                            if f.facts.host.os.is_empty() { String::new() } else { format!(", {}", f.facts.host.os) },
                            f.facts.sockets.len(),
                        ) }
                    </p>
                }
                <views::report::ReportView name={name.clone()} report={report.clone()} bytes={*bytes} ms={*ms} />
            </>
        },
        Phase::Error { name, message } => html! {
            <div class="error" data-testid="error">{ if name.is_empty() { message.clone() } else { format!("{name}: {message}") } }</div>
        },
    };

    html! {
        <>
            <header>
                <h1>{ "callscope" }</h1>
                <p>{ "What is this host doing on the network when it makes calls and tunnels? Decoded in your browser; nothing is uploaded." }</p>
            </header>
            <main>
                <DropZone on_file={start} on_facts={load_facts} />
                if let Some(e) = &phase.facts_error {
                    <div class="error" data-testid="facts-error">{ e.clone() }</div>
                }
                if let (Some(f), false) = (&phase.facts, matches!(phase.phase, Phase::Done { .. })) {
                    <p class="facts muted" data-testid="facts-pending">{ format!("{} loaded: it will name the processes of the capture once it is decoded.", f.name) }</p>
                }
                { body }
            </main>
        </>
    }
}
