//! The decoding worker: receives a `File` (or `Blob`), reads it in slices with `FileReaderSync`,
//! feeds the `Analyzer`, posts progress about ten times a second and then the report. Given
//! `{ file, selection }` instead, it reads the file a second time and writes the selected flows
//! as pcapng (`callscope_analysis::extract`), posting the output in pieces as it grows, so
//! neither side holds the packets. The page cancels by terminating the worker.

use callscope_analysis::extract::{Extractor, Selection};
use callscope_analysis::{Analyzer, Options};
use callscope_web::messages::{FromWorker, CHUNK_BYTES};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DedicatedWorkerGlobalScope, FileReaderSync, MessageEvent};

/// Minimum milliseconds between progress messages.
const PROGRESS_EVERY_MS: f64 = 100.0;

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let file = js_sys::Reflect::get(&data, &"file".into()).ok();
        let message = match (
            data.dyn_into::<Blob>(),
            file.and_then(|f| f.dyn_into::<Blob>().ok()),
        ) {
            (Ok(blob), _) => analyze(&reply_to, &blob),
            (Err(data), Some(blob)) => {
                let selection = js_sys::Reflect::get(&data, &"selection".into())
                    .ok()
                    .and_then(|s| s.as_string())
                    .and_then(|s| serde_json::from_str::<Selection>(&s).ok());
                match selection {
                    Some(selection) => extract(&reply_to, &blob, selection),
                    None => FromWorker::Failed {
                        message: "the export names no flows".into(),
                    },
                }
            }
            _ => FromWorker::Failed {
                message: "expected a file".into(),
            },
        };
        post(&reply_to, &message);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Messages posted before this point were dropped (the loader was still compiling us): say so.
    post(&scope, &FromWorker::Ready);
}

fn post(scope: &DedicatedWorkerGlobalScope, message: &FromWorker) {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    match message.serialize(&serializer) {
        Ok(value) => {
            let _ = scope.post_message(&value);
        }
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

fn analyze(scope: &DedicatedWorkerGlobalScope, blob: &Blob) -> FromWorker {
    let started = now();
    let total = blob.size();
    let reader = match FileReaderSync::new() {
        Ok(r) => r,
        Err(_) => {
            return FromWorker::Failed {
                message: "this browser cannot read files in a worker".into(),
            }
        }
    };
    let mut analyzer = Analyzer::new(Options::for_browser());
    let mut offset = 0.0;
    // The first slice's counts go out at once (the page shows numbers early), then ten a second.
    let mut last_progress = started - PROGRESS_EVERY_MS;
    while offset < total {
        let end = (offset + CHUNK_BYTES).min(total);
        let bytes = match blob
            .slice_with_f64_and_f64(offset, end)
            .and_then(|s| reader.read_as_array_buffer(&s))
        {
            Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
            Err(e) => {
                return FromWorker::Failed {
                    message: format!(
                        "reading the file failed: {}",
                        e.as_string().unwrap_or_else(|| format!("{e:?}"))
                    ),
                }
            }
        };
        offset = end;
        if analyzer.feed(&bytes).is_err() {
            break;
        }
        if now() - last_progress >= PROGRESS_EVERY_MS {
            last_progress = now();
            let p = analyzer.snapshot();
            let found = p.found.unwrap_or_default();
            post(
                scope,
                &FromWorker::Progress {
                    bytes: offset,
                    total,
                    packets: p.packets,
                    flows: p.flows,
                    calls: found.calls,
                    streams: found.streams,
                    tunnels: found.tunnels,
                    ms: last_progress - started,
                },
            );
        }
    }
    let report = analyzer.finish();
    if report.capture.format.is_empty() {
        return FromWorker::Failed {
            message: report
                .capture
                .error
                .unwrap_or_else(|| "not a capture file".into()),
        };
    }
    match serde_json::to_string(&report) {
        Ok(json) => FromWorker::Done {
            json,
            bytes: total,
            ms: now() - started,
        },
        Err(e) => FromWorker::Failed {
            message: format!("cannot hand the report over: {e}"),
        },
    }
}

/// The output of an extraction, posted to the page in pieces of [`CHUNK_BYTES`] (transferred,
/// not copied) as it grows.
struct Poster {
    scope: DedicatedWorkerGlobalScope,
    buffer: Vec<u8>,
}

impl Poster {
    fn post_buffer(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let piece = js_sys::Uint8Array::from(self.buffer.as_slice());
        let message = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&message, &"type".into(), &"piece".into());
        let _ = js_sys::Reflect::set(&message, &"data".into(), &piece);
        let _ = self
            .scope
            .post_message_with_transfer(&message, &js_sys::Array::of1(&piece.buffer()));
        self.buffer.clear();
    }
}

impl std::io::Write for Poster {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() as f64 >= CHUNK_BYTES {
            self.post_buffer();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.post_buffer();
        Ok(())
    }
}

fn extract(scope: &DedicatedWorkerGlobalScope, blob: &Blob, selection: Selection) -> FromWorker {
    let started = now();
    let total = blob.size();
    let Ok(reader) = FileReaderSync::new() else {
        return FromWorker::Failed {
            message: "this browser cannot read files in a worker".into(),
        };
    };
    let poster = Poster {
        scope: scope.clone(),
        buffer: Vec::new(),
    };
    let mut extractor = match Extractor::new(selection, poster) {
        Ok(x) => x,
        Err(e) => {
            return FromWorker::Failed {
                message: e.to_string(),
            }
        }
    };
    let mut offset = 0.0;
    let mut last_progress = started;
    while offset < total {
        let end = (offset + CHUNK_BYTES).min(total);
        let bytes = match blob
            .slice_with_f64_and_f64(offset, end)
            .and_then(|s| reader.read_as_array_buffer(&s))
        {
            Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
            Err(e) => {
                return FromWorker::Failed {
                    message: format!(
                        "reading the file failed: {}",
                        e.as_string().unwrap_or_else(|| format!("{e:?}"))
                    ),
                }
            }
        };
        offset = end;
        if extractor.feed(&bytes).is_err() {
            break;
        }
        if now() - last_progress >= PROGRESS_EVERY_MS {
            last_progress = now();
            post(
                scope,
                &FromWorker::Progress {
                    bytes: offset,
                    total,
                    packets: 0,
                    flows: 0,
                    calls: 0,
                    streams: 0,
                    tunnels: 0,
                    ms: last_progress - started,
                },
            );
        }
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
