//! The app shell: owns the state (idle → running → done / error), the worker, and the views.

use std::cell::RefCell;
use std::rc::Rc;

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
        /// The report.
        report: Rc<Report>,
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

/// Actions on the page state.
pub enum Action {
    /// A file was chosen.
    Start(String, f64),
    /// A message from the worker.
    Worker(FromWorker),
    /// The worker could not start or crashed.
    Crash(String),
}

impl Reducible for Phase {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let name = match &*self {
            Phase::Running { name, .. } | Phase::Done { name, .. } | Phase::Error { name, .. } => {
                name.clone()
            }
            Phase::Idle => String::new(),
        };
        Rc::new(match action {
            Action::Start(name, total) => Phase::Running {
                name,
                bytes: 0.0,
                total,
                packets: 0,
                ms: 0.0,
            },
            Action::Worker(FromWorker::Ready) => return self,
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
            Action::Worker(FromWorker::Done { report, bytes, ms }) => Phase::Done {
                name,
                report: Rc::new(*report),
                bytes,
                ms,
            },
            Action::Worker(FromWorker::Failed { message }) | Action::Crash(message) => {
                Phase::Error { name, message }
            }
        })
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

/// The page.
#[function_component(App)]
pub fn app() -> Html {
    let phase = use_reducer(Phase::default);
    let running: Rc<RefCell<Option<Running>>> = use_mut_ref(|| None);

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

    let body = match &*phase {
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
            bytes,
            ms,
        } => html! {
            <views::report::ReportView name={name.clone()} report={report.clone()} bytes={*bytes} ms={*ms} />
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
                <DropZone on_file={start} />
                { body }
            </main>
        </>
    }
}
