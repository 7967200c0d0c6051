//! The worker bridge: a hook that starts the decoding worker for a file, turns its messages into
//! page actions, cancels it, and publishes the page's state for scripts, tests and benchmarks
//! (`<body data-state>`, `window.callscopeReport`, `window.callscopeStats`,
//! `window.callscopeProgress`, `window.callscopeMemory()`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, MessageEvent, Worker, WorkerOptions, WorkerType};
use yew::prelude::*;

use callscope_analysis::extract::Selection;
use callscope_analysis::Report;

use crate::messages::FromWorker;
use crate::report_json::{read_section, Section};
use crate::state::{Action, Page};

/// The page's workers.
#[derive(Clone, Copy)]
enum WorkerKind {
    /// Decodings and filtered captures: the page's own module (app.rs runs `decoder::run` when
    /// it finds no window), started as a module worker by `decoder.js`, which `cargo xtask`
    /// writes (xtask/src/dist.rs) since only the build knows the module's hashed name.
    Decoder,
    /// Audio: a module of its own (src/bin/audio.rs), loaded on the first playback.
    Audio,
}

impl WorkerKind {
    /// Starts a worker of this kind.
    fn start(self) -> Result<Worker, JsValue> {
        match self {
            WorkerKind::Decoder => {
                let options = WorkerOptions::new();
                options.set_type(WorkerType::Module);
                Worker::new_with_options("./decoder.js", &options)
            }
            WorkerKind::Audio => Worker::new("./audio_loader.js"),
        }
    }
}

/// The running worker and the closures it calls back into; dropping it terminates the worker.
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

/// Ends the running worker after the current callback returns (its closures must not be freed
/// while one of them runs).
/// The bytes of an array of `Uint8Array` pieces, copied once into one buffer; None when an
/// element is no `Uint8Array`.
fn joined(pieces: &js_sys::Array) -> Option<Vec<u8>> {
    let pieces: Vec<js_sys::Uint8Array> = pieces
        .iter()
        .map(|p| p.dyn_into::<js_sys::Uint8Array>().ok())
        .collect::<Option<_>>()?;
    let total = pieces.iter().map(|p| p.length() as usize).sum();
    let mut bytes = vec![0; total];
    let mut at = 0;
    for piece in &pieces {
        let end = at + piece.length() as usize;
        piece.copy_to(&mut bytes[at..end]);
        at = end;
    }
    Some(bytes)
}

fn finish_later(running: &Rc<RefCell<Option<Running>>>) {
    let running = running.clone();
    wasm_bindgen_futures::spawn_local(async move {
        running.borrow_mut().take();
        prepare_decoder();
    });
}

/// A decoding worker started ahead of the next file, so that a file given does not wait for the
/// module's start-up in a new worker (fetching, compiling and instantiating it: most of the time
/// to the first numbers of a small capture). It is started when the page loads and again when a
/// decoding ends, never during one (its start-up would take a core from it).
struct Spare {
    worker: Worker,
    /// It said `Ready` (it listens; a file can be posted at once).
    ready: Rc<Cell<bool>>,
    _on_ready: Closure<dyn FnMut(MessageEvent)>,
}

thread_local! {
    static SPARE: RefCell<Option<Spare>> = const { RefCell::new(None) };
}

/// Starts the spare decoding worker, if there is none.
fn prepare_decoder() {
    SPARE.with(|spare| {
        if spare.borrow().is_some() {
            return;
        }
        let Ok(worker) = WorkerKind::Decoder.start() else {
            return;
        };
        let ready = Rc::new(Cell::new(false));
        let said = ready.clone();
        let on_ready = Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
            said.set(true);
        });
        worker.set_onmessage(Some(on_ready.as_ref().unchecked_ref()));
        *spare.borrow_mut() = Some(Spare {
            worker,
            ready,
            _on_ready: on_ready,
        });
    });
}

/// The spare decoding worker and whether it is ready, or a new one (not ready). The caller sets
/// its handlers before returning to the event loop, so no message reaches the spare's.
fn take_decoder() -> Result<(Worker, bool), JsValue> {
    match SPARE.with(|spare| spare.borrow_mut().take()) {
        Some(spare) => Ok((spare.worker.clone(), spare.ready.get())),
        None => WorkerKind::Decoder.start().map(|worker| (worker, false)),
    }
}

/// What the hook gives the page.
#[derive(Clone)]
pub struct Decoder {
    /// Decodes a file (name, contents); a running decoding is replaced.
    pub start: Callback<(String, Blob)>,
    /// Stops the running decoding.
    pub cancel: Callback<()>,
    /// The worker's report as the JSON it posted (published as is when nothing changed it).
    pub raw: Rc<RefCell<Option<Rc<String>>>>,
    /// Writes a filtered capture of the decoded file: the flows, and a name for the file.
    pub extract: Callback<(Selection, String)>,
    /// Whether there is a file to export from (a shared report has none).
    pub has_file: bool,
    /// The file being shown, for views that read it again (a call's audio).
    pub file: Option<Blob>,
    /// What the last export did, in words.
    pub export_status: Option<AttrValue>,
    /// When the file being decoded was given ([`now_ms`]) and how long the worker took, until
    /// the page has drawn its report and taken them.
    pub timing: Rc<RefCell<Timing>>,
}

/// The times behind `window.callscopeStats`.
#[derive(Debug, Default)]
pub struct Timing {
    /// When the file was given.
    pub started: Option<f64>,
    /// The worker's own milliseconds.
    pub decode_ms: f64,
    /// The worker's wasm memory at the end (its peak).
    pub worker_memory: f64,
}

/// Marks the page's state on `<body data-state>`.
pub fn publish_state(state: &str) {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-state", state);
    }
}

/// Sets `window[name]`.
pub fn publish(name: &str, value: &JsValue) {
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &name.into(), value);
    }
}

thread_local! {
    /// The getter behind `window.callscopeReport` (with the JSON it reads), kept until the next
    /// report replaces it.
    static REPORT_GETTER: RefCell<Option<Closure<dyn Fn() -> JsValue>>> = const { RefCell::new(None) };
}

/// Makes `window.callscopeReport` the report whose JSON is `json`, parsed on first read (a
/// large report's object graph is only built when a script asks for it). The previous report's
/// getter, and the text it held, are freed.
pub fn publish_report(json: Rc<String>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let cache: RefCell<Option<JsValue>> = RefCell::new(None);
    let getter = Closure::<dyn Fn() -> JsValue>::new(move || {
        cache
            .borrow_mut()
            .get_or_insert_with(|| js_sys::JSON::parse(&json).unwrap_or(JsValue::NULL))
            .clone()
    });
    let descriptor = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&descriptor, &"get".into(), getter.as_ref());
    let _ = js_sys::Reflect::set(&descriptor, &"configurable".into(), &JsValue::TRUE);
    let _ = js_sys::Reflect::delete_property(&window, &"callscopeReport".into());
    js_sys::Object::define_property(&window, &"callscopeReport".into(), &descriptor);
    // The old getter is no longer reachable from the window: drop it now.
    REPORT_GETTER.with(|g| *g.borrow_mut() = Some(getter));
}

/// A plain object of number fields.
fn numbers(fields: &[(&str, f64)]) -> js_sys::Object {
    let o = js_sys::Object::new();
    for (k, v) in fields {
        let _ = js_sys::Reflect::set(&o, &(*k).into(), &(*v).into());
    }
    o
}

/// Milliseconds on the page's monotonic clock.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Bytes of the page's own wasm memory.
fn page_memory() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

thread_local! {
    /// The worker's wasm memory as last reported (0 once no worker runs).
    static WORKER_MEMORY: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// Publishes `window.callscopeMemory()`: `{ page, worker }`, the bytes of the page's and the
/// running decoder's wasm memory (for the scale benchmark; JS heaps it reads itself).
pub fn publish_memory_probe() {
    let probe = Closure::<dyn Fn() -> JsValue>::new(|| {
        numbers(&[
            ("page", page_memory()),
            ("worker", WORKER_MEMORY.with(std::cell::Cell::get)),
        ])
        .into()
    });
    publish("callscopeMemory", probe.as_ref());
    probe.forget();
}

/// `window.callscopeStats` once the report is drawn: `ms` from the file being given to its
/// report on screen, `decodeMs` the worker's part of it, `mbps` over the whole, and the
/// worker's peak wasm memory.
pub fn publish_stats(bytes: f64, ms: f64, timing: &Timing) {
    let mbps = bytes / 1e6 / (ms / 1e3).max(1e-6);
    publish(
        "callscopeStats",
        &numbers(&[
            ("bytes", bytes),
            ("ms", ms),
            ("decodeMs", timing.decode_ms),
            ("mbps", mbps),
            ("workerMemory", timing.worker_memory),
        ]),
    );
}

/// Milliseconds of reading the report back before the page lets its event loop run (its clock,
/// input, painting) again.
const READ_SLICE_MS: f64 = 40.0;

/// Reads the decoder's report back section by section, yielding to the event loop whenever
/// [`READ_SLICE_MS`] have passed, then hands it to the page; gives up quietly when `current`
/// says the page moved on (another file, Cancel).
async fn read_report(
    page: UseReducerDispatcher<Page>,
    json: Rc<String>,
    sections: Vec<Section>,
    (bytes, ms): (f64, f64),
    current: impl Fn() -> bool,
) {
    let mut report = Report::default();
    let mut since = now_ms();
    let mut read = if sections.is_empty() {
        Err("it has no sections".to_owned())
    } else {
        Ok(())
    };
    for (done, section) in sections.iter().enumerate() {
        if now_ms() - since > READ_SLICE_MS {
            // The progress line says so: it changes with each step, even when the page's clock
            // timer waits behind them.
            page.dispatch(Action::ReadingReport(done, sections.len()));
            next_task().await;
            if !current() {
                return;
            }
            since = now_ms();
        }
        read = json
            .get(section.start..section.end)
            .ok_or_else(|| format!("{} lies outside it", section.name))
            .and_then(|text| read_section(&mut report, &section.name, text));
        if read.is_err() {
            break;
        }
    }
    if !current() {
        return;
    }
    match read {
        Ok(()) => page.dispatch(Action::Report(Box::new(report), bytes, ms)),
        Err(e) => {
            publish_state("error");
            page.dispatch(Action::Worker(FromWorker::Failed {
                message: format!("the decoder's report does not read back: {e}"),
            }));
        }
    }
}

/// Resolves in a later task of the event loop (a zero-delay timer).
async fn next_task() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let scheduled = web_sys::window()
            .map(|w| w.set_timeout_with_callback(&resolve).is_ok())
            .unwrap_or(false);
        if !scheduled {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The decoding worker as a hook.
#[hook]
pub fn use_decoder(page: UseReducerDispatcher<Page>) -> Decoder {
    let running: Rc<RefCell<Option<Running>>> = use_mut_ref(|| None);
    let raw: Rc<RefCell<Option<Rc<String>>>> = use_mut_ref(|| None);
    // The file being shown, for filtered-capture exports (it is read again, never kept in memory).
    let file: Rc<RefCell<Option<Blob>>> = use_mut_ref(|| None);
    let has_file = use_state(|| false);
    let exporting: Rc<RefCell<Option<Job>>> = use_mut_ref(|| None);
    let export_status = use_state(|| None::<AttrValue>);
    let timing: Rc<RefCell<Timing>> = use_mut_ref(Timing::default);
    // Counts the files given and the cancels: a report still being read back when another file
    // is given, or Cancel pressed, is dropped.
    let generation: Rc<Cell<u64>> = use_memo((), |()| Cell::new(0));
    use_effect_with((), |()| prepare_decoder());

    let start = {
        let page = page.clone();
        let running = running.clone();
        let raw = raw.clone();
        let file = file.clone();
        let has_file = has_file.clone();
        let timing = timing.clone();
        let generation = generation.clone();
        use_callback((), move |(name, blob): (String, Blob), ()| {
            generation.set(generation.get() + 1);
            *timing.borrow_mut() = Timing {
                started: Some(now_ms()),
                ..Timing::default()
            };
            WORKER_MEMORY.with(|m| m.set(0.0));
            *file.borrow_mut() = Some(blob.clone());
            has_file.set(true);
            // A new file replaces the current one: dropping the old worker terminates it, and a
            // share link this tab opened is forgotten.
            running.borrow_mut().take();
            crate::components::app::forget_shared();
            raw.borrow_mut().take();
            publish_state("running");
            page.dispatch(Action::Start(name, blob.size()));
            let (worker, ready) = match take_decoder() {
                Ok(w) => w,
                Err(e) => {
                    publish_state("error");
                    page.dispatch(Action::Crash(format!("cannot start the decoder: {e:?}")));
                    return;
                }
            };
            let on_message = {
                let page = page.clone();
                let running = running.clone();
                let raw = raw.clone();
                let worker = worker.clone();
                let timing = timing.clone();
                let generation = generation.clone();
                let this_file = generation.get();
                let blob = blob.clone();
                Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                    let data = event.data();
                    let message = match serde_wasm_bindgen::from_value::<FromWorker>(data.clone()) {
                        Ok(m) => m,
                        Err(e) => {
                            publish_state("error");
                            page.dispatch(Action::Crash(format!(
                                "unexpected message from the decoder: {e}"
                            )));
                            finish_later(&running);
                            return;
                        }
                    };
                    if let FromWorker::Done {
                        sections,
                        bytes,
                        ms,
                        memory,
                    } = message
                    {
                        {
                            let mut timing = timing.borrow_mut();
                            timing.decode_ms = ms;
                            timing.worker_memory = memory;
                        }
                        // The worker ends now, and its memory with it.
                        WORKER_MEMORY.with(|m| m.set(0.0));
                        finish_later(&running);
                        // The report's UTF-8 bytes, in pieces transferred beside the other fields.
                        let json = js_sys::Reflect::get(&data, &"json".into())
                            .ok()
                            .and_then(|j| j.dyn_into::<js_sys::Array>().ok())
                            .and_then(|pieces| joined(&pieces))
                            .and_then(|bytes| String::from_utf8(bytes).ok())
                            // `Rc::new`, not `Rc<str>`, which would copy it (67 MB for a 10 GB
                            // capture).
                            .map(Rc::new);
                        let Some(json) = json else {
                            publish_state("error");
                            page.dispatch(Action::Worker(FromWorker::Failed {
                                message: "the decoder's report did not arrive as UTF-8 JSON".into(),
                            }));
                            return;
                        };
                        *raw.borrow_mut() = Some(json.clone());
                        let generation = generation.clone();
                        wasm_bindgen_futures::spawn_local(read_report(
                            page.clone(),
                            json,
                            sections,
                            (bytes, ms),
                            move || generation.get() == this_file,
                        ));
                        return;
                    }
                    match &message {
                        FromWorker::Ready => {
                            if let Err(e) = worker.post_message(&blob) {
                                publish_state("error");
                                page.dispatch(Action::Crash(format!(
                                    "cannot hand the file to the decoder: {e:?}"
                                )));
                            }
                            return;
                        }
                        FromWorker::Failed { .. } => publish_state("error"),
                        FromWorker::Progress {
                            bytes,
                            total,
                            packets,
                            ms,
                            memory,
                            ..
                        } => {
                            WORKER_MEMORY.with(|m| m.set(*memory));
                            publish(
                                "callscopeProgress",
                                &numbers(&[
                                    ("bytes", *bytes),
                                    ("total", *total),
                                    ("packets", *packets as f64),
                                    ("ms", *ms),
                                    ("at", now_ms()),
                                ]),
                            );
                        }
                        FromWorker::Finishing { .. }
                        | FromWorker::Done { .. }
                        | FromWorker::Extracted { .. }
                        | FromWorker::Audio { .. } => {}
                    }
                    let finished = !matches!(
                        message,
                        FromWorker::Progress { .. } | FromWorker::Finishing { .. }
                    );
                    if finished {
                        // The worker ends now, and its memory with it.
                        WORKER_MEMORY.with(|m| m.set(0.0));
                    }
                    page.dispatch(Action::Worker(message));
                    if finished {
                        finish_later(&running);
                    }
                })
            };
            let on_error = {
                let page = page.clone();
                let running = running.clone();
                Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                    publish_state("error");
                    page.dispatch(Action::Crash(format!(
                        "the decoder crashed: {}",
                        e.message()
                    )));
                    finish_later(&running);
                })
            };
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            // A spare that said Ready already takes the file now; another says Ready to the
            // handler above.
            if ready {
                if let Err(e) = worker.post_message(&blob) {
                    publish_state("error");
                    page.dispatch(Action::Crash(format!(
                        "cannot hand the file to the decoder: {e:?}"
                    )));
                }
            }
            *running.borrow_mut() = Some(Running {
                worker,
                _on_message: on_message,
                _on_error: on_error,
            });
        })
    };

    let cancel = {
        let running = running.clone();
        let timing = timing.clone();
        use_callback((), move |(), ()| {
            generation.set(generation.get() + 1);
            running.borrow_mut().take();
            timing.borrow_mut().started = None;
            WORKER_MEMORY.with(|m| m.set(0.0));
            publish_state("idle");
            page.dispatch(Action::Cancel);
        })
    };

    let extract = {
        let file = file.clone();
        let exporting = exporting.clone();
        let export_status = export_status.clone();
        use_callback((), move |(selection, name): (Selection, String), ()| {
            let Some(blob) = file.borrow().clone() else {
                export_status.set(Some(
                    "There is no capture to export from: a shared report carries no packets."
                        .into(),
                ));
                return;
            };
            start_export(&exporting, &export_status, blob, selection, name);
        })
    };

    let current_file = file.borrow().clone();
    Decoder {
        start,
        cancel,
        raw,
        extract,
        has_file: *has_file,
        file: current_file,
        export_status: (*export_status).clone(),
        timing,
    }
}

/// What a job's worker (an export, an audio decoding) reports.
pub enum JobEvent {
    /// Reading goes on.
    Progress {
        /// Bytes of the file read so far.
        bytes: f64,
        /// Bytes of the file.
        total: f64,
    },
    /// A piece of an export's output.
    Piece(JsValue),
    /// The last message (`Extracted`, `Audio` or `Failed`), with the message's raw object (for
    /// the buffers that travel beside its fields).
    Finished(FromWorker, JsValue),
}

/// A job running in a worker of its own; dropping it terminates the worker.
pub struct Job(#[allow(dead_code)] Running);

/// What a job's worker is asked for, as JSON.
pub enum JobRequest {
    /// A filtered capture (a `Selection`), written by the decoding worker.
    Export(String),
    /// A call's or a stream's audio (a `callscope_audio::Request`), decoded by the audio worker.
    Audio(String),
}

impl JobRequest {
    /// The worker that does it, and the request's field name.
    fn worker_and_key(&self) -> (WorkerKind, &'static str) {
        match self {
            JobRequest::Export(_) => (WorkerKind::Decoder, "selection"),
            JobRequest::Audio(_) => (WorkerKind::Audio, "audio"),
        }
    }
}

/// Starts a worker that reads `blob` again for a job: the request `{file, selection}` or
/// `{file, audio}`. `on_event` gets its progress and its end; after the end the worker has
/// nothing more to say.
pub fn start_job(
    blob: Blob,
    request: JobRequest,
    on_event: impl FnMut(JobEvent) + 'static,
) -> Result<Job, String> {
    let (kind, key) = request.worker_and_key();
    let (JobRequest::Export(value) | JobRequest::Audio(value)) = request;
    let worker = kind.start().map_err(|e| format!("{e:?}"))?;
    // Both the messages and a crash (a decoder's panic ends the worker) end the job.
    let on_event = Rc::new(RefCell::new(on_event));
    let on_message = {
        let worker = worker.clone();
        let on_event = on_event.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            if js_sys::Reflect::get(&data, &"type".into())
                .ok()
                .and_then(|t| t.as_string())
                .as_deref()
                == Some("piece")
            {
                if let Ok(piece) = js_sys::Reflect::get(&data, &"data".into()) {
                    (on_event.borrow_mut())(JobEvent::Piece(piece));
                }
                return;
            }
            match serde_wasm_bindgen::from_value::<FromWorker>(data.clone()) {
                Ok(FromWorker::Ready) => {
                    let request = js_sys::Object::new();
                    let _ = js_sys::Reflect::set(&request, &"file".into(), &blob);
                    let _ = js_sys::Reflect::set(&request, &key.into(), &value.clone().into());
                    let _ = worker.post_message(&request);
                }
                Ok(FromWorker::Progress { bytes, total, .. }) => {
                    (on_event.borrow_mut())(JobEvent::Progress { bytes, total });
                }
                Ok(
                    m @ (FromWorker::Extracted { .. }
                    | FromWorker::Audio { .. }
                    | FromWorker::Failed { .. }),
                ) => (on_event.borrow_mut())(JobEvent::Finished(m, data)),
                Ok(FromWorker::Finishing { .. } | FromWorker::Done { .. }) | Err(_) => {}
            }
        })
    };
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        let message = format!("the worker stopped: {}", e.message());
        if let Ok(mut f) = on_event.try_borrow_mut() {
            f(JobEvent::Finished(
                FromWorker::Failed { message },
                JsValue::NULL,
            ));
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Job(Running {
        worker,
        _on_message: on_message,
        _on_error: on_error,
    }))
}

/// Runs a filtered-capture export in a worker of its own; its pieces become one Blob, saved.
fn start_export(
    exporting: &Rc<RefCell<Option<Job>>>,
    status: &UseStateHandle<Option<AttrValue>>,
    blob: Blob,
    selection: Selection,
    name: String,
) {
    exporting.borrow_mut().take();
    status.set(Some(format!("Writing {name}…").into()));
    let pieces = js_sys::Array::new();
    let on_event = {
        let status = status.clone();
        let exporting = exporting.clone();
        let name = name.clone();
        move |event: JobEvent| match event {
            JobEvent::Piece(piece) => {
                pieces.push(&piece);
            }
            JobEvent::Progress { bytes, total } => {
                status.set(Some(
                    format!(
                        "Writing {name}: {:.0} of {:.0} MB read…",
                        bytes / 1e6,
                        total / 1e6
                    )
                    .into(),
                ));
            }
            JobEvent::Finished(FromWorker::Extracted { read, kept }, _) => {
                let saved = web_sys::BlobPropertyBag::new();
                saved.set_type("application/vnd.tcpdump.pcap");
                let result = Blob::new_with_u8_array_sequence_and_options(&pieces, &saved)
                    .map_err(|e| format!("{e:?}"))
                    .and_then(|b| crate::download::save_blob(&name, &b));
                status.set(Some(match result {
                    Ok(()) => format!("{name}: {kept} of {read} packets, saved.").into(),
                    Err(e) => format!("{name} could not be saved: {e}").into(),
                }));
                finish_job_later(&exporting);
            }
            JobEvent::Finished(FromWorker::Failed { message }, _) => {
                status.set(Some(
                    format!("{name} could not be written: {message}").into(),
                ));
                finish_job_later(&exporting);
            }
            JobEvent::Finished(..) => {}
        }
    };
    let selection = serde_json::to_string(&selection).unwrap_or_default();
    match start_job(blob, JobRequest::Export(selection), on_event) {
        Ok(job) => *exporting.borrow_mut() = Some(job),
        Err(e) => status.set(Some(format!("Cannot start the export: {e}").into())),
    }
}

/// Ends a job after the current callback returns (its closures must not be freed while one of
/// them runs).
pub fn finish_job_later(job: &Rc<RefCell<Option<Job>>>) {
    let job = job.clone();
    wasm_bindgen_futures::spawn_local(async move {
        job.borrow_mut().take();
    });
}
