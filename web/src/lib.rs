//! The callscope page: a Yew app (`src/bin/app.rs`) that renders reports, a Web Worker
//! ([`decoder`]) that owns the `Analyzer` and reads the dropped file in slices, so the page
//! stays responsive on captures of any size, and a second worker (`src/bin/audio.rs`) that decodes
//! audio, started on the first playback ([`worker_io`] is what they share). The page and the
//! decoder are one wasm module (app.rs's `main` runs the decoder when it finds no window), so
//! the code they share is sent once; the decoder's crates keep O3 inside it (Cargo.toml). Nothing is uploaded:
//! the file never leaves the tab.
//!
//! Data flows one way: the worker's report → [`state`] (facts applied, masked when asked) →
//! [`context`] → [`views`]. The address ([`route`]) is state too.
#![warn(missing_docs)]

pub mod bridge;
pub mod components;
pub mod context;
pub mod decoder;
pub mod download;
pub mod messages;
pub mod report_json;
pub mod route;
pub mod state;
pub mod views;
pub mod worker_io;
