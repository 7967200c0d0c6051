//! The decoding worker: receives a `File` (or `Blob`), reads it in slices ([`READ_AHEAD`] slices
//! requested ahead, with `Blob.arrayBuffer()`), feeds the `Analyzer`, posts progress about ten times a second and then
//! the report. Given `{ file, selection }` instead, it reads the file a second time and writes the
//! selected flows as pcapng (`callscope_analysis::extract`), posting the output in pieces as it
//! grows, so neither side holds the packets. Given `{ file, audio }`, it reads the file a second
//! time and decodes a call's or a stream's audio (`callscope_audio`), posting the WAV file and
//! what it holds.
//!
//! The page cancels by terminating the worker. Chromium only stops a worker at once when it is
//! back in its event loop (a worker busy in one long task is stopped about two seconds later), so
//! the work runs as an async task that awaits every slice: it is back in the event loop at least
//! once per slice (~20 ms), and Cancel takes effect within a slice.

use std::collections::VecDeque;

use callscope_analysis::extract::{Extractor, Selection};
use callscope_analysis::{Analyzer, Options};
use callscope_web::messages::{FromWorker, CHUNK_BYTES};
use callscope_web::report_json::write_compact;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent};

/// Minimum milliseconds between progress messages.
const PROGRESS_EVERY_MS: f64 = 100.0;

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let file = js_sys::Reflect::get(&data, &"file".into()).ok();
        let scope = reply_to.clone();
        let text = |key: &str| {
            js_sys::Reflect::get(&data, &key.into())
                .ok()
                .and_then(|s| s.as_string())
        };
        let request = match (
            data.clone().dyn_into::<Blob>(),
            file.and_then(|f| f.dyn_into::<Blob>().ok()),
        ) {
            (Ok(blob), _) => Ok((blob, Job::Analyze)),
            (Err(_), Some(blob)) => match (text("selection"), text("audio")) {
                (Some(s), _) => serde_json::from_str::<Selection>(&s)
                    .map(|s| (blob, Job::Extract(s)))
                    .map_err(|_| "the export names no flows"),
                (None, Some(a)) => serde_json::from_str::<callscope_audio::Request>(&a)
                    .map(|a| (blob, Job::Audio(a)))
                    .map_err(|_| "the audio request cannot be read"),
                (None, None) => Err("expected a selection or an audio request"),
            },
            _ => Err("expected a file"),
        };
        wasm_bindgen_futures::spawn_local(async move {
            let message = match request {
                // The report goes out in pieces as it is written (`post_report`).
                Ok((blob, Job::Analyze)) => analyze(&scope, &blob).await,
                Ok((blob, Job::Extract(selection))) => {
                    Some(extract(&scope, &blob, selection).await)
                }
                Ok((blob, Job::Audio(request))) => Some(audio(&scope, &blob, request).await),
                Err(message) => Some(FromWorker::Failed {
                    message: message.into(),
                }),
            };
            if let Some(message) = message {
                post(&scope, &message);
            }
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Messages posted before this point were dropped (the loader was still compiling us): say so.
    post(&scope, &FromWorker::Ready);
}

/// What the page asked for.
enum Job {
    Analyze,
    Extract(Selection),
    Audio(callscope_audio::Request),
}

fn post(scope: &DedicatedWorkerGlobalScope, message: &FromWorker) {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    match message.serialize(&serializer) {
        Ok(value) => match message {
            FromWorker::Audio { wav, .. } => {
                let bytes = js_sys::Uint8Array::from(wav.as_slice());
                let _ = js_sys::Reflect::set(&value, &"wav".into(), &bytes);
                let _ =
                    scope.post_message_with_transfer(&value, &js_sys::Array::of1(&bytes.buffer()));
            }
            _ => {
                let _ = scope.post_message(&value);
            }
        },
        Err(e) => {
            let _ = scope.post_message(&JsValue::from_str(&format!(
                "callscope worker: cannot serialize: {e}"
            )));
        }
    }
}

use serde::Serialize;

fn now() -> f64 {
    js_sys::Date::now()
}

/// Bytes of this worker's wasm memory (it only grows, so this is the peak so far).
fn wasm_memory() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

/// Slices requested ahead of the one being decoded. Chromium reads a file's slices at once, but
/// each one takes a while to start: on the development machine a 320 MB file read slice after
/// slice arrives at 280–380 MB/s, with four requested ahead at 630–690 MB/s (eight add nothing),
/// and the decoder, which needs 200 MB/s, waited 0.6–0.9 s for its slices instead of 1–1.8 s.
/// They cost `READ_AHEAD × CHUNK_BYTES` (16 MiB) of the renderer's memory outside wasm.
const READ_AHEAD: usize = 4;

/// A file read in slices of [`CHUNK_BYTES`], the next [`READ_AHEAD`] requested while the
/// current one is decoded.
struct Slices {
    blob: Blob,
    total: f64,
    /// Where the last requested slice ends.
    requested: f64,
    /// The requested slices, in file order.
    pending: VecDeque<JsFuture>,
    /// The current slice (reused: reading allocates one slice's worth of wasm memory).
    bytes: Vec<u8>,
    /// Bytes handed out so far.
    read: f64,
}

impl Slices {
    fn new(blob: &Blob) -> Slices {
        let mut slices = Slices {
            blob: blob.clone(),
            total: blob.size(),
            requested: 0.0,
            pending: VecDeque::with_capacity(READ_AHEAD),
            bytes: Vec::new(),
            read: 0.0,
        };
        slices.request_ahead();
        slices
    }

    /// Requests slices until [`READ_AHEAD`] are pending or the file is all requested.
    fn request_ahead(&mut self) {
        while self.pending.len() < READ_AHEAD && self.requested < self.total {
            let end = (self.requested + CHUNK_BYTES).min(self.total);
            let Ok(slice) = self.blob.slice_with_f64_and_f64(self.requested, end) else {
                return;
            };
            self.requested = end;
            self.pending.push_back(JsFuture::from(slice.array_buffer()));
        }
    }

    /// The next slice; None at the end of the file.
    async fn next(&mut self) -> Option<Result<&[u8], FromWorker>> {
        let pending = self.pending.pop_front()?;
        let result = pending.await;
        self.request_ahead();
        Some(match result {
            Ok(buffer) => {
                let view = js_sys::Uint8Array::new(&buffer);
                self.bytes.resize(view.length() as usize, 0);
                view.copy_to(&mut self.bytes);
                self.read += self.bytes.len() as f64;
                Ok(&self.bytes)
            }
            Err(e) => Err(FromWorker::Failed {
                message: format!(
                    "reading the file failed: {}",
                    e.as_string()
                        .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| e.message().into()))
                        .unwrap_or_else(|| format!("{e:?}"))
                ),
            }),
        })
    }
}

/// Analyzes the file; posts the report itself (None) or says what went wrong.
async fn analyze(scope: &DedicatedWorkerGlobalScope, blob: &Blob) -> Option<FromWorker> {
    let started = now();
    let total = blob.size();
    let mut analyzer = Analyzer::new(Options::for_browser());
    let mut slices = Slices::new(blob);
    // The first slice's counts go out at once (the page shows numbers early), then ten a second.
    let mut last_progress = started - PROGRESS_EVERY_MS;
    while let Some(slice) = slices.next().await {
        let bytes = match slice {
            Ok(bytes) => bytes,
            Err(failed) => return Some(failed),
        };
        if analyzer.feed(bytes).is_err() {
            break;
        }
        if now() - last_progress >= PROGRESS_EVERY_MS {
            last_progress = now();
            let p = analyzer.snapshot();
            let found = p.found.unwrap_or_default();
            post(
                scope,
                &FromWorker::Progress {
                    bytes: slices.read,
                    total,
                    packets: p.packets,
                    flows: p.flows,
                    calls: found.calls,
                    streams: found.streams,
                    tunnels: found.tunnels,
                    ms: last_progress - started,
                    memory: wasm_memory(),
                },
            );
        }
    }
    drop(slices);
    post(
        scope,
        &FromWorker::Finishing {
            packets: analyzer.snapshot().packets,
            ms: now() - started,
        },
    );
    let report = analyzer.finish();
    if report.capture.format.is_empty() {
        return Some(FromWorker::Failed {
            message: report
                .capture
                .error
                .unwrap_or_else(|| "not a capture file".into()),
        });
    }
    let mut json = Vec::new();
    let mut pieces = Pieces::new(PIECE_BYTES, |piece| json.push(piece));
    let written = write_compact(report, &mut pieces)
        .and_then(|sections| std::io::Write::flush(&mut pieces).map(|()| sections));
    drop(pieces);
    match written {
        Ok(sections) => {
            post_report(
                scope,
                &json,
                &FromWorker::Done {
                    sections,
                    bytes: total,
                    ms: now() - started,
                    memory: wasm_memory(),
                },
            );
            None
        }
        Err(e) => Some(FromWorker::Failed {
            message: format!("cannot hand the report over: {e}"),
        }),
    }
}

/// Bytes of the report's JSON a piece holds before it is copied out of wasm memory.
const PIECE_BYTES: usize = 1 << 20;

/// Bytes written in pieces of about `size` bytes, each copied out of wasm memory into a JS
/// buffer as soon as it fills and handed to `take`: only one piece is ever in this worker's
/// wasm memory.
struct Pieces<F: FnMut(js_sys::Uint8Array)> {
    buffer: Vec<u8>,
    size: usize,
    take: F,
}

impl<F: FnMut(js_sys::Uint8Array)> Pieces<F> {
    fn new(size: usize, take: F) -> Self {
        Pieces {
            buffer: Vec::new(),
            size,
            take,
        }
    }
}

impl<F: FnMut(js_sys::Uint8Array)> std::io::Write for Pieces<F> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= self.size {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buffer.is_empty() {
            (self.take)(js_sys::Uint8Array::from(self.buffer.as_slice()));
            self.buffer.clear();
        }
        Ok(())
    }
}

/// Posts `done` with the report's pieces as its `json` property (an array of `Uint8Array`s),
/// their buffers transferred.
fn post_report(
    scope: &DedicatedWorkerGlobalScope,
    pieces: &[js_sys::Uint8Array],
    done: &FromWorker,
) {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let Ok(value) = done.serialize(&serializer) else {
        return;
    };
    let json = js_sys::Array::new();
    let transfer = js_sys::Array::new();
    for piece in pieces {
        json.push(piece);
        transfer.push(&piece.buffer());
    }
    let _ = js_sys::Reflect::set(&value, &"json".into(), &json);
    let _ = scope.post_message_with_transfer(&value, &transfer);
}

/// Posts a piece of an extraction's output (`{type: "piece", data}`), its buffer transferred.
fn post_piece(scope: &DedicatedWorkerGlobalScope, piece: js_sys::Uint8Array) {
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"type".into(), &"piece".into());
    let _ = js_sys::Reflect::set(&message, &"data".into(), &piece);
    let _ = scope.post_message_with_transfer(&message, &js_sys::Array::of1(&piece.buffer()));
}

/// Reads the file again for a job, slice by slice, into `feed` (which says whether to go on and
/// how many frames it has read), posting progress ten times a second.
async fn reread(
    scope: &DedicatedWorkerGlobalScope,
    blob: &Blob,
    mut feed: impl FnMut(&[u8]) -> (bool, u64),
) -> Result<(), FromWorker> {
    let started = now();
    let total = blob.size();
    let mut slices = Slices::new(blob);
    let mut last_progress = started;
    while let Some(slice) = slices.next().await {
        let (go_on, packets) = feed(slice?);
        if !go_on {
            break;
        }
        if now() - last_progress >= PROGRESS_EVERY_MS {
            last_progress = now();
            post(
                scope,
                &FromWorker::Progress {
                    bytes: slices.read,
                    total,
                    packets,
                    flows: 0,
                    calls: 0,
                    streams: 0,
                    tunnels: 0,
                    ms: last_progress - started,
                    memory: wasm_memory(),
                },
            );
        }
    }
    Ok(())
}

async fn extract(
    scope: &DedicatedWorkerGlobalScope,
    blob: &Blob,
    selection: Selection,
) -> FromWorker {
    // The output goes to the page in pieces of CHUNK_BYTES as it grows.
    let reply_to = scope.clone();
    let pieces = Pieces::new(CHUNK_BYTES as usize, move |piece| {
        post_piece(&reply_to, piece)
    });
    let mut extractor = match Extractor::new(selection, pieces) {
        Ok(x) => x,
        Err(e) => {
            return FromWorker::Failed {
                message: e.to_string(),
            }
        }
    };
    if let Err(failed) = reread(scope, blob, |bytes| (extractor.feed(bytes).is_ok(), 0)).await {
        return failed;
    }
    match extractor.finish() {
        Ok((_, summary)) => FromWorker::Extracted {
            read: summary.read,
            kept: summary.kept,
        },
        Err(e) => FromWorker::Failed {
            message: e.to_string(),
        },
    }
}

/// Reads the file a second time for a call's or a stream's audio; posts the WAV and what it
/// holds.
async fn audio(
    scope: &DedicatedWorkerGlobalScope,
    blob: &Blob,
    request: callscope_audio::Request,
) -> FromWorker {
    let mut decoder = callscope_audio::Decoder::new(request);
    let feed = |bytes: &[u8]| (decoder.feed(bytes).is_ok(), decoder.frames());
    if let Err(failed) = reread(scope, blob, feed).await {
        return failed;
    }
    let audio = decoder.finish();
    match serde_json::to_string(&audio.summary) {
        Ok(summary) => FromWorker::Audio {
            summary,
            wav: std::rc::Rc::new(audio.wav()),
        },
        Err(e) => FromWorker::Failed {
            message: e.to_string(),
        },
    }
}
