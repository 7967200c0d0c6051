//! `cargo xtask fuzz --regressions` writes the committed regression corpus instead (see
//! [`write_regressions`]); the normal tests replay it.
//!
//! `cargo xtask fuzz [--seconds N] [TARGET…]`: runs every cargo-fuzz target of `fuzz/` (or the
//! ones named) for N seconds each (default 60), one after the other, with overflow checks and
//! debug assertions on (cargo-fuzz's default build), after installing what that needs: a nightly
//! toolchain through rustup and cargo-fuzz at a pinned version. An empty corpus is seeded first
//! from the reference captures (`fuzz/seed-corpus.py`). Prints, per target, the executions, the
//! rate and the corpus size, and fails when a target crashed (its input is in
//! `fuzz/artifacts/<target>/`).

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::setup::{self, root, step};

/// cargo-fuzz's version (its libFuzzer comes with libfuzzer-sys in fuzz/Cargo.lock).
const CARGO_FUZZ_VERSION: &str = "0.13.2";

pub fn run(args: &[String]) -> Result<()> {
    let mut seconds = 60u64;
    let mut only = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--regressions" => return write_regressions(),
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .filter(|&s| s > 0)
                    .context("--seconds takes a number of seconds above 0")?;
            }
            name => only.push(name.to_owned()),
        }
    }
    let fuzz = root().join("fuzz");
    let mut targets = targets(&fuzz)?;
    if !only.is_empty() {
        if let Some(unknown) = only.iter().find(|n| !targets.contains(n)) {
            bail!(
                "no fuzz target {unknown:?} (there are: {})",
                targets.join(", ")
            );
        }
        targets.retain(|t| only.contains(t));
    }

    step("tools (a nightly toolchain, cargo-fuzz)");
    let toolchains =
        setup::output(Command::new("rustup").args(["toolchain", "list"])).unwrap_or_default();
    if !toolchains.lines().any(|l| l.starts_with("nightly")) {
        setup::run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
    }
    let have =
        setup::output(Command::new(setup::tool("cargo-fuzz")).arg("--version")).unwrap_or_default();
    if !have.contains(CARGO_FUZZ_VERSION) {
        setup::run(Command::new("cargo").args([
            "install",
            "cargo-fuzz",
            "--version",
            CARGO_FUZZ_VERSION,
            "--locked",
        ]))?;
    }

    step("seed corpus");
    let empty = |t: &str| {
        std::fs::read_dir(fuzz.join("corpus").join(t)).map_or(true, |mut d| d.next().is_none())
    };
    if targets.iter().any(|t| empty(t)) {
        setup::run(Command::new("python3").arg(fuzz.join("seed-corpus.py")))?;
    }

    let mut rows = Vec::new();
    let mut crashed = Vec::new();
    for t in &targets {
        step(&format!("fuzz {t} for {seconds} s"));
        let out = Command::new("cargo")
            .current_dir(&fuzz)
            // -a: debug assertions and overflow checks (cargo-fuzz's release default has
            // neither). -s none: no AddressSanitizer, which costs four fifths of the executions
            // and finds nothing here: the code under test has no unsafe (the workspace forbids
            // it; only the collector's OS modules, not fuzzed, allow it).
            .args(["+nightly", "fuzz", "run", "-a", "-s", "none", t, "--"])
            .args([
                format!("-max_total_time={seconds}"),
                "-print_final_stats=1".into(),
            ])
            .output()
            .with_context(|| format!("running cargo fuzz run {t}"))?;
        let log = String::from_utf8_lossy(&out.stderr);
        let stat = |name: &str| {
            log.lines()
                .find_map(|l| l.strip_prefix(&format!("stat::{name}:")))
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let runs = stat("number_of_executed_units").unwrap_or(0);
        let corpus = std::fs::read_dir(fuzz.join("corpus").join(t)).map_or(0, |d| d.count());
        let rate = stat("average_exec_per_sec").unwrap_or(0);
        if !out.status.success() {
            crashed.push(t.clone());
            eprintln!(
                "{}",
                log.lines()
                    .rev()
                    .take(30)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        rows.push((t.clone(), runs, rate, corpus, out.status.success()));
    }
    println!(
        "\n{:<14} {:>14} {:>10} {:>8}  result",
        "target", "executions", "per s", "corpus"
    );
    for (t, runs, rate, corpus, ok) in &rows {
        println!(
            "{t:<14} {runs:>14} {rate:>10} {corpus:>8}  {}",
            if *ok {
                "no crash"
            } else {
                "CRASHED (see fuzz/artifacts)"
            }
        );
    }
    if !crashed.is_empty() {
        bail!("crashed: {}", crashed.join(", "));
    }
    Ok(())
}

/// The targets of `fuzz/fuzz_targets/`, by file name.
fn targets(fuzz: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(fuzz.join("fuzz_targets"))
        .context("reading fuzz/fuzz_targets")?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    names.sort();
    Ok(names)
}

/// The largest regression input kept (the corpus stays small enough to commit and replay).
const MAX_REGRESSION_BYTES: u64 = 64 << 10;

/// Writes `fuzz/regressions/analyzer/`: one small input per adversarial class of issue 16 (the
/// memory benchmark's generators at 1/20,000 scale: distinct flows, RTP port pairs, TCP gaps,
/// unanswered INVITEs, STUN flows, tiny fragments, short TCP connections, all of them together)
/// and per hostile file shape (a header cut short, gzip inside gzip, two sections of 65,536
/// interface blocks gzipped), each in the analyzer
/// harness's layout (`0x80` + a whole file). Re-running gives the same files.
fn write_regressions() -> Result<()> {
    let out = root().join("fuzz/regressions/analyzer");
    std::fs::create_dir_all(&out)?;
    let scratch = root().join("target/fuzz-regressions");
    let cases = crate::adversarial::write_all(&scratch, 20_000)?;
    let mut written = 0;
    let mut put = |name: &str, file: &[u8]| -> Result<()> {
        let mut data = vec![0x80];
        data.extend_from_slice(file);
        std::fs::write(out.join(name), data)?;
        written += 1;
        Ok(())
    };
    let gzip = |b: &[u8]| -> Result<Vec<u8>> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut e, b)?;
        Ok(e.finish()?)
    };
    let mut sample = Vec::new();
    for case in &cases {
        let bytes = std::fs::read(&case.path)?;
        if bytes.len() as u64 > MAX_REGRESSION_BYTES {
            eprintln!("skipping {} ({} bytes)", case.name, bytes.len());
            continue;
        }
        if case.name == "invites" {
            sample = bytes.clone();
        }
        put(case.name, &bytes)?;
    }
    for cut in [1, 3, 20, 27] {
        put(
            &format!("header-cut-{cut}"),
            &sample[..cut.min(sample.len())],
        )?;
    }
    // Two sections of interface blocks (beyond the file's 65,536-interface bound), gzipped: 2.6 MB
    // of blocks in a few KB.
    let mut storm = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    crate::adversarial::write_interface_storm(&mut storm, 2)?;
    let storm = storm.finish()?;
    anyhow::ensure!(
        storm.len() as u64 <= MAX_REGRESSION_BYTES,
        "interface storm too large"
    );
    put("interfaces.gz", &storm)?;
    put("gzip-in-gzip", &gzip(&gzip(&sample)?)?)?;
    let gz = gzip(&sample)?;
    put("gzip-cut", &gz[..gz.len() / 2])?;
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!("wrote {written} files to {}", out.display());
    Ok(())
}
