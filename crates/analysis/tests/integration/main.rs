//! The integration tests of callscope-analysis, one target so the workspace links one test binary per
//! crate instead of one per file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod breakdowns;
mod captures;
mod chunking;
mod fuzz_harnesses;
mod golden_reports;
mod ike;
mod processes;
mod rtp;
mod sip;
mod stun;
mod support;
mod verdicts;
