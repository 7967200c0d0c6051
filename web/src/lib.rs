//! The callscope page: a Yew app (`src/bin/app.rs`) that renders reports, a Web Worker
//! (`src/bin/worker.rs`) that owns the `Analyzer` and reads the dropped file in slices, so the page
//! stays responsive on captures of any size, and a second worker (`src/bin/audio.rs`) that decodes
//! audio, started on the first playback ([`worker_io`] is what they share). Nothing is uploaded:
//! the file never leaves the tab.
//!
//! Data flows one way: the worker's report → [`state`] (facts applied, masked when asked) →
//! [`context`] → [`views`]. The address ([`route`]) is state too.
#![warn(missing_docs)]

pub mod bridge;
pub mod components;
pub mod context;
pub mod download;
pub mod messages;
pub mod report_json;
pub mod route;
pub mod state;
pub mod views;
pub mod worker_io;
