//! The audio crate's integration tests, one target: the generated tone calls decoded per codec.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod codecs;
mod fuzz;
mod support;
mod tones;
