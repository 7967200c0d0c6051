//! `cargo xtask test`: every test, after installing what they need.
//!
//! 0. `cargo fmt --check` and `cargo clippy --workspace --all-targets -D warnings`.
//! 1. Rust unit, property and capture tests (`cargo test --workspace`), the capture tests reading
//!    ../shared/captures in place, and the page's own logic (route, state, table, chart) natively
//!    (`cargo test -p callscope-web --lib`).
//!    Then `cargo check --target aarch64-apple-darwin` of the collector and the CLI, so the macOS
//!    code always compiles (the collector's live tests need root, and libpcap's run-time library
//!    on Linux, which `callscope capture` loads when it starts).
//!    Then `cargo xtask build-cli --check`: the profile-guided CLI, and its JSON reports against
//!    the plain release build's on every reference capture.
//! 2. The page built with Trunk and driven in Debian's Chromium by playwright-core (node's test
//!    runner), comparing every view's numbers with `callscope analyze --json`.
//! 3. `bench-memory` at 1/100 scale and `bench-browser` on small files, so the benchmarks
//!    themselves are known to work (their goals are reported, not enforced).

use std::process::Command;

use anyhow::Result;

use crate::setup::{self, step};

pub fn run(_args: &[String]) -> Result<()> {
    setup::page_tools()?;
    setup::apt(&["chromium", "libpcap0.8"])?;
    setup::rust_target("aarch64-apple-darwin")?;
    setup::rust_component("clippy")?;
    setup::rust_component("rustfmt")?;
    setup::npm("tests/e2e")?;

    step("formatting and lints (cargo fmt --check, cargo clippy -D warnings)");
    setup::run(Command::new("cargo").args(["fmt", "--all", "--check"]))?;
    setup::run(Command::new("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("Rust tests");
    setup::run(Command::new("cargo").args(["test", "--workspace", "--exclude", "callscope-web"]))?;
    setup::run(Command::new("cargo").args(["test", "-p", "callscope-web", "--lib"]))?;

    step("the collector's macOS code compiles (cargo check for aarch64-apple-darwin)");
    setup::run(Command::new("cargo").args([
        "check",
        "--target",
        "aarch64-apple-darwin",
        "-p",
        "callscope-collector",
        "-p",
        "callscope",
    ]))?;

    step("release CLI for the browser test's reference numbers");
    setup::release_cli()?;
    setup::build_page()?;

    step("the profile-guided CLI and its reports (cargo xtask build-cli --check)");
    crate::build_cli::run(&["--check".into()])?;

    step("browser tests (Chromium + playwright-core)");
    setup::run(Command::new("node").args(["--test", "--test-concurrency=1", "tests/e2e/"]))?;

    step("the memory benchmark works (its adversarial captures at 1/100 of their size)");
    crate::bench_memory::run(&["--scale".into(), "100".into()])?;

    step("the browser benchmark works (small files: 100 MB at scale, 5 MB beside Wiregasm)");
    crate::bench_browser::run(&[
        "--size-mb".into(),
        "100".into(),
        "--compare-mb".into(),
        "5".into(),
    ])
}
