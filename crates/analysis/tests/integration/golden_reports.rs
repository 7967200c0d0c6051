//! The JSON report of every reference capture, pinned by its SHA-256: a change that is not meant to
//! move a number must leave every report byte-identical. `CALLSCOPE_BLESS=1 cargo test -p
//! callscope-analysis --test integration golden` rewrites the list after an intended change (say which
//! in the commit message). Captures absent on this machine (../shared) are skipped by name.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

const GOLDEN: &str = "tests/golden/reports.sha256";

/// `dir/file` of a capture: enough to tell the reference sets apart.
fn name(path: &Path) -> String {
    let dir = path
        .parent()
        .and_then(|d| d.file_name())
        .unwrap_or_default();
    let file = path.file_name().unwrap_or_default();
    format!("{}/{}", dir.to_string_lossy(), file.to_string_lossy())
}

fn digest(path: &Path) -> String {
    let report = support::analyze_file(path);
    let json = serde_json::to_string(&report).expect("report serializes");
    Sha256::digest(json.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn every_reference_report_is_byte_identical_to_its_pinned_digest() {
    let golden_path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN);
    let text = std::fs::read_to_string(&golden_path).unwrap_or_default();
    let pinned: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(d, n)| (n.to_owned(), d.to_owned()))
        .collect();
    let now: BTreeMap<String, String> = support::reference_captures()
        .iter()
        .map(|p| (name(p), digest(p)))
        .collect();
    assert!(!now.is_empty(), "no reference captures found");
    if std::env::var_os("CALLSCOPE_BLESS").is_some() {
        // Keep the digests of captures absent here, so a machine without ../shared cannot drop them.
        let mut all = pinned.clone();
        all.extend(now.clone());
        let body: String = all.iter().map(|(n, d)| format!("{d}  {n}\n")).collect();
        std::fs::write(&golden_path, body).expect("write golden digests");
        eprintln!("blessed {} digests into {GOLDEN}", all.len());
        return;
    }
    let mut changed = Vec::new();
    for (name, digest) in &now {
        match pinned.get(name) {
            Some(d) if d == digest => {}
            Some(_) => changed.push(format!("{name}: report changed")),
            None => changed.push(format!("{name}: no pinned digest")),
        }
    }
    assert!(
        changed.is_empty(),
        "{} of {} reports differ from {GOLDEN} (if intended, rerun with CALLSCOPE_BLESS=1 and say why in the commit):\n{}",
        changed.len(),
        now.len(),
        changed.join("\n")
    );
}
