//! The audio worker: given `{ file, audio }`, reads the file a second time and decodes a call's or
//! a stream's audio (`callscope_audio`), posting the WAV file and what it holds. It is a worker
//! of its own, started on the first playback, so that the page's first load (the app and the
//! decoding worker) carries none of the audio codecs (Opus and G.729 are about a seventh of the
//! decoding worker's code).
//!
//! Cancelled like the decoding worker, by terminating it; it awaits every slice of the file.

use callscope_analysis::Progress;
use callscope_audio::Decoder;
use callscope_web::messages::FromWorker;
use callscope_web::worker_io::{file_and, listen, post, read_through};
use web_sys::{Blob, DedicatedWorkerGlobalScope};

fn main() {
    listen(|scope, data| {
        let scope = scope.clone();
        let request = match file_and(&data, "audio") {
            (Some(blob), Some(audio)) => serde_json::from_str::<callscope_audio::Request>(&audio)
                .map(|request| (blob, request))
                .map_err(|_| "the audio request cannot be read"),
            (Some(_), None) => Err("expected an audio request"),
            (None, _) => Err("expected a file"),
        };
        wasm_bindgen_futures::spawn_local(async move {
            let message = match request {
                Ok((blob, request)) => audio(&scope, &blob, request).await,
                Err(message) => FromWorker::Failed {
                    message: message.into(),
                },
            };
            post(&scope, &message);
        });
    });
}

/// Reads the file a second time for a call's or a stream's audio; the WAV and what it holds.
async fn audio(
    scope: &DedicatedWorkerGlobalScope,
    blob: &Blob,
    request: callscope_audio::Request,
) -> FromWorker {
    let mut decoder = Decoder::new(request);
    let feed = |d: &mut Decoder, bytes: &[u8]| d.feed(bytes).is_ok();
    let counts = |d: &Decoder| Progress {
        packets: d.frames(),
        ..Progress::default()
    };
    if let Err(failed) = read_through(scope, blob, &mut decoder, feed, counts).await {
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
