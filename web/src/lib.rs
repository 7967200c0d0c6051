//! The callscope page: a Yew app (`src/bin/app.rs`) that renders reports, and a Web Worker
//! (`src/bin/worker.rs`) that owns the `Analyzer` and reads the dropped file in slices, so the page
//! stays responsive on captures of any size. Nothing is uploaded: the file never leaves the tab.
#![warn(missing_docs)]

pub mod components;
pub mod messages;
pub mod views;
