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
            .args(["+nightly", "fuzz", "run", t, "--"])
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
