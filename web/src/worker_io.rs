//! What the page's workers share: answering the page's first message, reading its file in
//! slices, and posting [`FromWorker`] messages. The decoding worker (`decoder.rs`:
//! reports and filtered captures) and the audio worker (`src/bin/audio.rs`, started on a first
//! playback so the page's first load carries no audio codecs) are built from it.

use std::collections::VecDeque;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent};

use callscope_analysis::Progress;

use crate::messages::{FromWorker, CHUNK_BYTES};

/// Minimum milliseconds between progress messages.
const PROGRESS_EVERY_MS: f64 = 100.0;

/// Makes `on_message` this worker's message handler (with the worker's scope, to answer on),
/// then tells the page it is ready: messages posted before this point were dropped (the loader
/// was still compiling the worker).
pub fn listen(on_message: impl Fn(&DedicatedWorkerGlobalScope, JsValue) + 'static) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        on_message(&reply_to, event.data());
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&scope, &FromWorker::Ready);
}

/// A job's file (`{ file, ... }`) and its string field `key`.
pub fn file_and(data: &JsValue, key: &str) -> (Option<Blob>, Option<String>) {
    let field = |k: &str| js_sys::Reflect::get(data, &k.into()).ok();
    (
        field("file").and_then(|f| f.dyn_into::<Blob>().ok()),
        field(key).and_then(|s| s.as_string()),
    )
}

/// Posts `message`; an `Audio` message's WAV travels beside it in a transferred buffer.
pub fn post(scope: &DedicatedWorkerGlobalScope, message: &FromWorker) {
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

/// Milliseconds since the epoch.
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// Bytes of this worker's wasm memory (it only grows, so this is the peak so far).
pub fn wasm_memory() -> f64 {
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
    /// Starts reading `blob`.
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

/// Reads the file slice by slice into `pass` with `feed` (which says whether to go on), posting
/// progress with `counts` (what the pass has found so far) after the first slice, so that the
/// page shows numbers early, then ten times a second.
pub async fn read_through<P>(
    scope: &DedicatedWorkerGlobalScope,
    blob: &Blob,
    pass: &mut P,
    feed: impl Fn(&mut P, &[u8]) -> bool,
    counts: impl Fn(&P) -> Progress,
) -> Result<(), FromWorker> {
    let started = now();
    let total = blob.size();
    let mut slices = Slices::new(blob);
    let mut last_progress = started - PROGRESS_EVERY_MS;
    while let Some(slice) = slices.next().await {
        if !feed(pass, slice?) {
            break;
        }
        if now() - last_progress >= PROGRESS_EVERY_MS {
            last_progress = now();
            let p = counts(pass);
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
    Ok(())
}
