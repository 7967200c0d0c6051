//! The decoding worker, run by the page's own module in a module worker (`src/bin/app.rs`'s
//! `main` calls [`run`] when it finds no window; `decoder.js`, written by `cargo xtask`, starts
//! it). It receives a `File` (or `Blob`), reads it in slices (`worker_io`),
//! feeds the `Analyzer`, posts progress about ten times a second and then the report. Given
//! `{ file, selection }` instead, it reads the file a second time and writes the selected flows
//! as pcapng (`callscope_analysis::extract`), posting the output in pieces as it grows, so neither
//! side holds the packets. (Audio has a worker of its own, `audio.rs`.)
//!
//! The page cancels by terminating the worker. Chromium only stops a worker at once when it is
//! back in its event loop (a worker busy in one long task is stopped about two seconds later), so
//! the work runs as an async task that awaits every slice: it is back in the event loop at least
//! once per slice (~20 ms), and Cancel takes effect within a slice.

use crate::messages::{FromWorker, CHUNK_BYTES};
use crate::report_json::write_compact;
use crate::worker_io::{file_and, listen, now, post, read_through, wasm_memory};
use callscope_analysis::extract::{Extractor, Selection};
use callscope_analysis::{Analyzer, Options, Progress};
use serde::Serialize;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DedicatedWorkerGlobalScope};

/// Runs this worker: answers the page's requests until it is terminated.
pub fn run() {
    warm_up();
    listen(|scope, data| {
        let scope = scope.clone();
        let request = match (
            data.clone().dyn_into::<Blob>(),
            file_and(&data, "selection"),
        ) {
            (Ok(blob), _) => Ok((blob, Job::Analyze)),
            (Err(_), (Some(blob), Some(selection))) => {
                serde_json::from_str::<Selection>(&selection)
                    .map(|s| (blob, Job::Extract(s)))
                    .map_err(|_| "the export names no flows")
            }
            (Err(_), (Some(_), None)) => Err("expected a selection"),
            _ => Err("expected a file"),
        };
        wasm_bindgen_futures::spawn_local(async move {
            let message = match request {
                // The report goes out in pieces as it is written (`post_report`).
                Ok((blob, Job::Analyze)) => analyze(&scope, &blob).await,
                Ok((blob, Job::Extract(selection))) => {
                    Some(extract(&scope, &blob, selection).await)
                }
                Err(message) => Some(FromWorker::Failed {
                    message: message.into(),
                }),
            };
            if let Some(message) = message {
                post(&scope, &message);
            }
        });
    });
}

/// The first 16 KiB of the demo capture (`build.rs`).
const WARM_UP: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/warm-up.pcapng"));

/// Times [`warm_up`] decodes [`WARM_UP`]: enough for V8 to optimize the busiest functions.
const WARM_UP_ROUNDS: usize = 8;

/// Decodes [`WARM_UP`] a few times and writes its report to nowhere, before the worker says it
/// is ready (it is started as the page's spare, well before a file comes). V8 compiles a
/// module's functions into baseline code as they are first called and optimizes the busy ones
/// later; without this, a first visit's first capture paid for both. Headless Chromium, a fresh
/// profile each run: the demo decoded in 76–106 ms (median 94 of 6) without this, 28–76 ms
/// (median 48 of 18) with it, 18–26 ms once the browser has the optimized code cached.
fn warm_up() {
    for _ in 0..WARM_UP_ROUNDS {
        let _ = write_compact(warm_up_report(), &mut std::io::sink());
    }
}

/// The report of [`WARM_UP`].
fn warm_up_report() -> callscope_analysis::Report {
    let mut analyzer = Analyzer::new(Options::for_browser());
    // The excerpt ends inside a block, which the reader reports: that path is exercised too.
    let _ = analyzer.feed(WARM_UP);
    analyzer.finish()
}

/// What the page asked for.
enum Job {
    Analyze,
    Extract(Selection),
}

/// Analyzes the file; posts the report itself (None) or says what went wrong.
async fn analyze(scope: &DedicatedWorkerGlobalScope, blob: &Blob) -> Option<FromWorker> {
    let started = now();
    let total = blob.size();
    let mut analyzer = Analyzer::new(Options::for_browser());
    let feed = |a: &mut Analyzer, bytes: &[u8]| a.feed(bytes).is_ok();
    let read = read_through(scope, blob, &mut analyzer, feed, Analyzer::snapshot).await;
    if let Err(failed) = read {
        return Some(failed);
    }
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
    let feed = |x: &mut Extractor<_>, bytes: &[u8]| x.feed(bytes).is_ok();
    let counts = |_: &Extractor<_>| Progress::default();
    if let Err(failed) = read_through(scope, blob, &mut extractor, feed, counts).await {
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The warm-up reaches the code a call capture needs: if the demo changed so that its first
    /// 16 KiB lost one of these, the first visit would be slow there again.
    #[test]
    fn the_warm_up_decodes_each_kind_of_traffic_the_demo_starts_with() {
        let report = warm_up_report();
        let frames = |leaf: &str| -> u64 {
            report
                .hierarchy
                .iter()
                .filter(|h| h.path.last().map(String::as_str) == Some(leaf))
                .map(|h| h.frames)
                .sum()
        };
        for leaf in ["dns", "isakmp", "esp", "sip", "rtp"] {
            assert!(
                frames(leaf) > 0,
                "no {leaf} in the warm-up: {:?}",
                report.hierarchy
            );
        }
        assert_eq!(report.sip.calls.len(), 1);
        assert!(!report.rtp.streams.is_empty() && !report.ike.tunnels.is_empty());
        assert!(report.capture.truncated, "{:?}", report.capture);
        let sections = write_compact(report, &mut std::io::sink()).unwrap();
        assert!(sections.len() > 10, "{} sections", sections.len());
    }
}
