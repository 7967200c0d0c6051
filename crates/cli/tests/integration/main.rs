//! The integration tests of callscope (the CLI binary), one target so the workspace links one test binary per
//! crate instead of one per file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analyze;
mod audio;
mod collector;
