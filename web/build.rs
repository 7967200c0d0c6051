//! Puts the first 16 KiB of the demo capture where `src/decoder.rs` includes them: the decoding
//! worker's warm-up input (DNS, IKE and ESP, SIP and RTP, ICMPv6 and ARP, and a cut-off block),
//! taken from the demo so that it needs no file of its own.

use std::path::PathBuf;

/// Bytes of the demo the warm-up decodes.
const WARM_UP_BYTES: usize = 16 << 10;

fn main() -> Result<(), String> {
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../static/demo.pcapng");
    println!("cargo:rerun-if-changed={}", demo.display());
    let bytes = std::fs::read(&demo).map_err(|e| format!("{}: {e}", demo.display()))?;
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("cargo did not set OUT_DIR")?)
        .join("warm-up.pcapng");
    std::fs::write(&out, &bytes[..WARM_UP_BYTES.min(bytes.len())])
        .map_err(|e| format!("{}: {e}", out.display()))
}
