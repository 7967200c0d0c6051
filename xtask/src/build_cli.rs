//! `cargo xtask build-cli`: the `callscope` binary built with profile-guided optimization (PGO),
//! the build to use for large captures.
//!
//! The steps of rustc's PGO guide (<https://doc.rust-lang.org/rustc/profile-guided-optimization.html>):
//! 1. an instrumented build (`-Cprofile-generate`) in `target/pgo/instrumented`;
//! 2. a training run: `analyze` (text, `--json`, `--mask --json`) over the page's demo capture,
//!    the audio fixtures and, when present, `../shared/captures/public`. Not over
//!    `../shared/captures/generated`: the benchmark's file is made from those, and a binary trained
//!    on its own benchmark would be measured on what it was taught;
//! 3. `llvm-profdata merge` (rustup's `llvm-tools` component, added when missing), then the
//!    optimized build (`-Cprofile-use`) in `target/pgo/optimized`.
//!
//! Both builds use fat LTO and one codegen unit (set here, not in `[profile.release]`, so that
//! the tests' release builds stay quick). The code is the same as a plain `cargo build
//! --release`, so is every report (`cargo xtask test` compares them on every reference capture);
//! branch layout and inlining follow the measured profile instead of guesses. The flags apply to
//! the host target only (`--target`), so build scripts and proc macros are not instrumented.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::setup::{self, step};

/// `cargo xtask build-cli [--check]`: builds, then prints where the binary is; with `--check`,
/// also builds the plain release CLI and compares their reports ([`same_reports`]).
pub fn run(args: &[String]) -> Result<()> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => bail!(
            "build-cli: unexpected arguments {args:?} (usage: cargo xtask build-cli [--check])"
        ),
    };
    let binary = build()?;
    if check {
        step("the plain release CLI, to compare reports with");
        let plain = setup::release_cli()?;
        let compared = same_reports(&plain, &binary)?;
        eprintln!("{compared} captures: identical reports, exit codes and messages");
    }
    println!("{}", binary.display());
    Ok(())
}

/// Builds the profile-guided `callscope` and returns its path.
pub fn build() -> Result<PathBuf> {
    setup::rust_component("llvm-tools")?;
    let root = setup::root();
    let host = host_triple()?;
    let profdata_tool = llvm_profdata(&host)?;
    let pgo = root.join("target/pgo");
    let raw = pgo.join("profiles");

    step("profile-guided CLI, 1 of 3: instrumented build");
    let instrumented = cargo_build(
        &pgo.join("instrumented"),
        &host,
        &format!("-Cprofile-generate={}", raw.display()),
    )?;

    step("profile-guided CLI, 2 of 3: training run");
    if raw.exists() {
        std::fs::remove_dir_all(&raw).with_context(|| format!("clearing {}", raw.display()))?;
    }
    std::fs::create_dir_all(&raw)?;
    let inputs = training_inputs(&root);
    for input in &inputs {
        for mode in [&[][..], &["--json"], &["--mask", "--json"]] {
            let status = Command::new(&instrumented)
                .arg("analyze")
                .args(mode)
                .arg("--no-progress")
                .arg(input)
                // `%m` without `%p`: every run merges into one file as it exits.
                .env("LLVM_PROFILE_FILE", raw.join("callscope-%m.profraw"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .with_context(|| format!("running {}", instrumented.display()))?;
            // Exit 3 is a capture that stops at a corrupt record: still a useful run.
            if !matches!(status.code(), Some(0 | 3)) {
                bail!(
                    "training: `callscope analyze {mode:?} {}` failed with {status}",
                    input.display()
                );
            }
        }
    }
    eprintln!("trained on {} captures", inputs.len());

    step("profile-guided CLI, 3 of 3: merged profile, optimized build");
    let merged = pgo.join("merged.profdata");
    setup::run(
        Command::new(&profdata_tool)
            .arg("merge")
            .arg("-o")
            .arg(&merged)
            .arg(&raw),
    )?;
    // Named by content: `-Cprofile-use`'s path is part of cargo's fingerprint, the file's bytes
    // are not, so a new profile needs a new name to rebuild what it changes.
    let bytes = std::fs::read(&merged).with_context(|| format!("reading {}", merged.display()))?;
    let profile = pgo.join(format!(
        "callscope-{:016x}.profdata",
        crate::gen_capture::fnv1a(&bytes)
    ));
    for old in std::fs::read_dir(&pgo)?.flatten() {
        let name = old.file_name().to_string_lossy().into_owned();
        if name.starts_with("callscope-") && name.ends_with(".profdata") {
            let _ = std::fs::remove_file(old.path());
        }
    }
    std::fs::rename(&merged, &profile)?;
    std::fs::remove_dir_all(&raw).with_context(|| format!("removing {}", raw.display()))?;
    cargo_build(
        &pgo.join("optimized"),
        &host,
        &format!("-Cprofile-use={}", profile.display()),
    )
}

/// `cargo build --release -p callscope` for `host` into `target_dir` with one extra rustc flag;
/// the binary's path.
fn cargo_build(target_dir: &Path, host: &str, rustflags: &str) -> Result<PathBuf> {
    setup::run(
        Command::new("cargo")
            .args(["build", "--release", "-p", "callscope", "--target", host])
            .arg("--target-dir")
            .arg(target_dir)
            // The encoded form takes one flag as it is, so a path with spaces stays whole.
            .env("CARGO_ENCODED_RUSTFLAGS", rustflags)
            .env("CARGO_PROFILE_RELEASE_LTO", "fat")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1"),
    )?;
    let binary = target_dir.join(host).join("release/callscope");
    if !binary.is_file() {
        bail!("the build finished but {} is missing", binary.display());
    }
    Ok(binary)
}

/// The captures the instrumented binary runs on (see the module doc).
fn training_inputs(root: &Path) -> Vec<PathBuf> {
    let mut inputs = vec![root.join("static/demo.pcapng")];
    inputs.extend(captures_in(&root.join("tests/captures/audio")));
    inputs.extend(captures_in(&root.join("../shared/captures/public")));
    inputs
}

/// The pcap and pcapng files in `dir`, sorted; none (and a line saying so) when it is absent.
fn captures_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("{} is absent; skipped", dir.display());
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    found.sort();
    found
}

/// This machine's target triple (`rustc -vV`'s `host:` line).
fn host_triple() -> Result<String> {
    let out = setup::output(Command::new("rustc").arg("-vV")).context("cannot run rustc -vV")?;
    out.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|h| h.trim().to_owned())
        .context("rustc -vV printed no host line")
}

/// `llvm-profdata` of the `llvm-tools` component, for the active toolchain.
fn llvm_profdata(host: &str) -> Result<PathBuf> {
    let sysroot = setup::output(Command::new("rustc").args(["--print", "sysroot"]))
        .context("cannot run rustc --print sysroot")?;
    let tool = Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(host)
        .join("bin/llvm-profdata");
    if !tool.is_file() {
        bail!(
            "{} is missing although rustup lists llvm-tools; try `rustup component add llvm-tools`",
            tool.display()
        );
    }
    Ok(tool)
}

/// Runs `analyze --json` of `plain` and of `optimized` on every reference capture (both folders
/// of `../shared/captures`, the demo, the audio fixtures) and fails on the first report, exit
/// status or message that differs; returns how many captures were compared.
pub fn same_reports(plain: &Path, optimized: &Path) -> Result<usize> {
    let root = setup::root();
    let mut inputs = training_inputs(&root);
    inputs.extend(captures_in(&root.join("../shared/captures/generated")));
    let run = |binary: &Path, input: &Path| -> Result<std::process::Output> {
        Command::new(binary)
            .args(["analyze", "--json", "--no-progress"])
            .arg(input)
            .output()
            .with_context(|| format!("running {}", binary.display()))
    };
    for input in &inputs {
        let (a, b) = (run(plain, input)?, run(optimized, input)?);
        if a.stdout != b.stdout || a.status.code() != b.status.code() || a.stderr != b.stderr {
            bail!(
                "{}: the profile-guided build's report differs from the plain build's",
                input.display()
            );
        }
    }
    Ok(inputs.len())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The comparison fails on any difference: `echo` prints its arguments, `true` nothing.
    #[test]
    fn reports_that_differ_fail_the_check() {
        let (quiet, echo) = (Path::new("/bin/true"), Path::new("/bin/echo"));
        assert!(same_reports(quiet, quiet).unwrap() >= 1);
        let err = same_reports(quiet, echo).unwrap_err().to_string();
        assert!(err.contains("demo.pcapng"), "{err}");
    }
}
