//! What the worker tells the page (serialized with serde-wasm-bindgen, json-compatible). The
//! report itself travels as JSON text in UTF-8 bytes: serde_json on both sides is several times
//! faster than building and reading a JavaScript object graph field by field, and the page only
//! builds that graph (`window.callscopeReport`) when a script asks for it.

use serde::{Deserialize, Serialize};

/// Bytes read from the file per slice: big enough to amortise the copy into wasm memory, small
/// enough for progress about ten times a second.
pub const CHUNK_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// Progress and results, from the worker to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FromWorker {
    /// The worker's wasm is initialised and listening; the page sends the file after this.
    Ready,
    /// Sent about ten times a second while reading.
    Progress {
        /// Bytes of the file read so far.
        bytes: f64,
        /// Size of the file.
        total: f64,
        /// Packets decoded so far.
        packets: u64,
        /// Flows tracked so far.
        flows: u64,
        /// SIP calls found so far.
        #[serde(default)]
        calls: u64,
        /// RTP streams found so far.
        #[serde(default)]
        streams: u64,
        /// IKE tunnels found so far.
        #[serde(default)]
        tunnels: u64,
        /// Milliseconds since the start.
        ms: f64,
        /// Bytes of the worker's wasm memory (it never shrinks: this is its peak so far).
        #[serde(default)]
        memory: f64,
    },
    /// The whole file is read; the report is being built.
    Finishing {
        /// Packets decoded.
        packets: u64,
        /// Milliseconds since the start.
        ms: f64,
    },
    /// The finished report. Its JSON (the CLI's `--json` contract, compact) travels beside the
    /// message's fields as UTF-8 bytes in pieces of about a megabyte (property `json`, an array
    /// of `Uint8Array`s, their buffers transferred): no UTF-16 string in either JS heap, no copy
    /// in `postMessage`, and never the whole JSON in the decoder's wasm memory (`report_json`).
    Done {
        /// Where each top-level section's value lies in the JSON, for reading it back one
        /// section at a time.
        #[serde(default)]
        sections: Vec<crate::report_json::Section>,
        /// Bytes of the file.
        bytes: f64,
        /// Milliseconds the analysis took.
        ms: f64,
        /// Bytes of the worker's wasm memory at the end (its peak).
        #[serde(default)]
        memory: f64,
    },
    /// A filtered capture is written (its bytes came before, in `{type: "piece", data}`
    /// messages).
    Extracted {
        /// Frames read.
        read: u64,
        /// Frames written.
        kept: u64,
    },
    /// A call's or a stream's audio is decoded.
    Audio {
        /// What it holds (`callscope_audio::Summary` as JSON).
        summary: String,
        /// The WAV file; it travels beside the message's other fields in a transferred
        /// `ArrayBuffer` (property `wav`).
        #[serde(skip)]
        wav: std::rc::Rc<Vec<u8>>,
    },
    /// The file could not be read at all.
    Failed {
        /// Why, in one line.
        message: String,
    },
}
