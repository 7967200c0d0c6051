//! # callscope-view
//!
//! What the views show, computed once from a [`Report`](callscope_analysis::Report): a call's
//! ladder layout, STUN transactions grouped, which process owns which call or tunnel, one-line
//! headlines per section, and how numbers, sizes, durations and clock times are written.
//!
//! The page draws all of these as HTML and SVG; the CLI draws the ladder (`--call`), the STUN
//! groups and the limits as text from the same values, so the two show the same diagram and the
//! same words. Nothing here parses packets or keeps analysis state (that is
//! `callscope-analysis`), and nothing draws; it builds for `wasm32` and is tested natively.
#![warn(missing_docs)]

pub mod addr;
pub mod call_text;
pub mod capture;
pub mod export;
pub mod extract;
pub mod format;
pub mod headline;
pub mod icmp;
pub mod json;
pub mod ladder;
pub mod ladder_svg;
pub mod links;
pub mod media;
pub mod names;
pub mod share;
pub mod stun;
