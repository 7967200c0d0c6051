//! The decoding worker: receives a `File` (or `Blob`), reads it in slices with `FileReaderSync`,
//! feeds the `Analyzer`, posts progress about ten times a second and then the report.
//! The page cancels by terminating the worker.

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
        let message = match event.data().dyn_into::<Blob>() {
            Ok(blob) => analyze(&reply_to, &blob),
            Err(_) => FromWorker::Failed {
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
        if analyzer.feed(&bytes).is_err() {
            break;
        }
        if now() - last_progress >= PROGRESS_EVERY_MS {
            last_progress = now();
            let p = analyzer.snapshot();
            post(
                scope,
                &FromWorker::Progress {
                    bytes: offset,
                    total,
                    packets: p.packets,
                    flows: p.flows,
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
