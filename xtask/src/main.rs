//! The workspace's own tooling, run as `cargo xtask <command>`:
//!
//! - `serve`: install what the page needs, build it with Trunk, serve it on http://127.0.0.1:8080.
//! - `test`:  install what the tests need, run every test (Rust, capture, browser).
//! - `bench`: generate a large capture and time callscope against capinfos and tshark.
//! - `bench-browser`: the page's transfer size, the page beside Wiregasm, and a 10 GB capture in
//!   one tab (memory, progress, Cancel).
//! - `bench-memory`: the CLI's peak memory on captures made to exhaust each of its tables.
//! - `build-cli`: the `callscope` binary built with profile-guided optimization (the fast one).
//! - `dist`:  build the page into dist/ (no inline script, offline after one visit) to publish.
//! - `demo`:  rebuild static/demo.pcapng (the page's demo capture) from ../shared/captures.
//! - `audio-fixtures`: write tests/captures/audio/tone-*.pcap, generated calls for the audio tests.
//! - `fuzz`:  install nightly and cargo-fuzz, run every fuzz target for N seconds, print executions.
//!
//! Each install step checks first and skips what is present, so the commands are cheap to repeat.

mod adversarial;
mod audio_fixtures;
mod bench;
mod bench_browser;
mod bench_memory;
mod build_cli;
mod demo;
mod dist;
mod fuzz;
mod gen_capture;
mod serve;
mod setup;
mod test;

use anyhow::{bail, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = args
        .split_first()
        .map(|(c, r)| (c.as_str(), r))
        .unwrap_or(("help", &[]));
    match command {
        "serve" => serve::run(rest),
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "bench-browser" => bench_browser::run(rest),
        "bench-memory" => bench_memory::run(rest),
        "dist" => dist::run(rest),
        "demo" => demo::run(rest),
        "audio-fixtures" => audio_fixtures::run(rest),
        "fuzz" => fuzz::run(rest),
        "build-cli" => build_cli::run(rest),
        "build-page" => {
            setup::page_tools()?;
            setup::build_page()
        }
        "help" | "--help" | "-h" => {
            println!("usage: cargo xtask <serve [--port N] | test | bench [--size-mb N] [--keep] | bench-browser [--size-mb N] [--compare-mb M] [--keep] | bench-memory [--scale N] [--keep] | build-cli [--check] | build-page | dist | demo | audio-fixtures | fuzz [--seconds N] [TARGET…]>");
            Ok(())
        }
        other => bail!("unknown command {other:?}; try `cargo xtask help`"),
    }
}
