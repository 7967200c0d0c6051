//! # callscope-view
//!
//! What the views show, computed once from a [`Report`](callscope_analysis::Report): a call's
//! ladder layout, STUN transactions grouped, which process owns which call or tunnel, one-line
//! headlines per section, and how numbers, sizes, durations and clock times are written.
//!
//! The CLI draws these as text and the page as HTML and SVG, so the two always show the same
//! diagram and the same numbers. Nothing here parses packets or keeps analysis state (that is
//! `callscope-analysis`), and nothing draws (that is the CLI and `callscope-web`); it builds for
//! `wasm32` and is tested natively.
#![warn(missing_docs)]

pub mod addr;
pub mod capture;
pub mod format;
pub mod headline;
pub mod ladder;
pub mod links;
pub mod media;
pub mod stun;
