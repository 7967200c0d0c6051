//! Gzip around a capture (RFC 1952), inflated as the bytes arrive.
//!
//! `flate2`'s write-side decoder is push-based, which is what a chunked reader needs; its pure-Rust
//! backend builds for wasm32.

use std::io::Write;

use flate2::write::MultiGzDecoder;

/// Compressed bytes inflated per step: deflate expands at most ~1032:1, so one step yields at most
/// a few MiB of plain text however hostile the file.
pub(super) const STEP: usize = 4096;

pub(super) struct Gunzip {
    decoder: MultiGzDecoder<Vec<u8>>,
}

impl Gunzip {
    pub(super) fn new() -> Self {
        Gunzip {
            decoder: MultiGzDecoder::new(Vec::new()),
        }
    }

    /// Inflates `piece` (at most [`STEP`] bytes): the plain text it produced, and the error that
    /// stopped it, if any. Text inflated before an error (a bad CRC, trailing garbage) is still
    /// returned, so how many records survive does not depend on how the input was chunked.
    pub(super) fn inflate(&mut self, piece: &[u8]) -> (Vec<u8>, Option<String>) {
        let written = self.decoder.write_all(piece);
        // The decoder keeps up to 32 KiB of output in its own buffer until flushed; without this
        // the end of the file (or all of a small one) would never reach the parser.
        let flushed = self.decoder.flush();
        let error = written.err().or(flushed.err()).map(|e| e.to_string());
        (std::mem::take(self.decoder.get_mut()), error)
    }

    /// Checks that the stream ended where a gzip member ends.
    pub(super) fn finish(&mut self) -> Result<(), String> {
        self.decoder
            .try_finish()
            .map_err(|e| format!("incomplete or corrupt: {e}"))
    }
}
