//! Shared helpers for capture tests: finding the reference captures and reading tshark's verdicts.
#![allow(dead_code)]

pub mod tshark;

use std::path::{Path, PathBuf};

use callscope_analysis::{Analyzer, Options, Report};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// `../shared/captures` beside the project, when present.
pub fn shared_captures() -> Option<PathBuf> {
    let dir = root().join("../shared/captures");
    dir.is_dir().then_some(dir)
}

fn is_capture(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("pcap" | "pcapng" | "cap" | "gz")
    )
}

/// Every capture that has a `.tshark.txt` beside it: the project's own under tests/captures, then
/// the reference set (public and generated). Prints a notice when ../shared is absent.
pub fn reference_captures() -> Vec<PathBuf> {
    let mut dirs = vec![root().join("tests/captures"), root().join("static")];
    match shared_captures() {
        Some(shared) => {
            dirs.push(shared.join("public"));
            dirs.push(shared.join("generated"));
        }
        None => eprintln!(
            "notice: ../shared/captures is absent; only the project's own captures are checked"
        ),
    }
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_capture(p))
            .collect();
        files.sort();
        out.extend(files.into_iter().filter(|p| tshark_file(p).is_file()));
    }
    out
}

/// The tshark reference of a capture: beside it, or (for the page's demo under static/, which
/// ships as it is) under tests/captures.
pub fn tshark_file(capture: &Path) -> PathBuf {
    let mut name = capture.as_os_str().to_owned();
    name.push(".tshark.txt");
    let beside = PathBuf::from(name);
    if beside.is_file() {
        return beside;
    }
    let file = beside.file_name().map(|n| n.to_owned()).unwrap_or_default();
    root().join("tests/captures").join(file)
}

/// Analyzes a whole byte buffer fed in chunks of `chunk` bytes.
pub fn analyze_bytes(bytes: &[u8], chunk: usize) -> Report {
    let mut a = Analyzer::new(Options::default());
    for piece in bytes.chunks(chunk.max(1)) {
        if a.feed(piece).is_err() {
            break;
        }
    }
    a.finish()
}

/// Analyzes a file in 64 KiB chunks.
pub fn analyze_file(path: &Path) -> Report {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    analyze_bytes(&bytes, 64 * 1024)
}
