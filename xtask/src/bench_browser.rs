//! `cargo xtask bench-browser [--size-mb N] [--compare-mb M] [--keep]`: the page in a browser tab,
//! at scale and beside Wiregasm, in one run.
//!
//! 1. **Transfer size**: the built page's files (wasm, JS, CSS, HTML) gzipped (level 9), as built
//!    and with binaryen's wasm-opt (npm `binaryen`; `-Oz` for the page, which holds the decoder too,
//!    `-O3` for the audio worker),
//!    against the goal of 1 MB. The audio worker's files (`audio*`), loaded on the first
//!    playback, are listed and summed apart.
//! 2. **Beside Wiregasm**: one capture of M MB (default 320, the `bench` file) loaded by the page
//!    in headless Chromium (tests/e2e/bench-scale.mjs: from the file given to its report on
//!    screen, the tab's memory over its idle baseline) and by Wiregasm, Wireshark compiled to wasm
//!    (tests/bench/wiregasm.cjs under Node: loading dissects every packet, then the conv:UDP,
//!    conv:TCP and endpt:IPv4 taps); both wall times, both memories and the ratios.
//! 3. **Scale**: one capture of N MB (default 10,000: 10 GB) loaded by the page, its memory
//!    sampled every 100 ms, the longest gap between progress updates and main-thread task, and a
//!    second load cancelled, against the goals (tab memory +128 MiB at most, progress every
//!    250 ms, Cancel within a second).
//!
//! Captures come from the bench generator (`gen_capture`) and are deleted afterwards unless
//! `--keep` (one that was there before the run, as `cargo xtask bench --keep` leaves the 320 MB
//! file, stays). CI runs this with small sizes to prove it works; the goals are reported, not
//! enforced (a missed goal prints NOT MET and still exits 0; a run that fails exits 1).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::gen_capture;
use crate::setup::{self, step};

/// The page's transfer-size goal, bytes gzipped.
const TRANSFER_GOAL: u64 = 1_000_000;
/// The tab's memory goal over its idle baseline, MiB.
const MEMORY_GOAL_MIB: f64 = 128.0;
/// The longest wait between progress updates, ms.
const PROGRESS_GOAL_MS: f64 = 250.0;
/// How soon Cancel must stop the decoder, ms.
const CANCEL_GOAL_MS: f64 = 1000.0;
/// wasm-opt must be told the features rustc's wasm32 target uses (the stripped files do not say).
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

pub fn run(args: &[String]) -> Result<()> {
    let mut size_mb = 10_000u64;
    let mut compare_mb = 320u64;
    let mut keep = false;
    let mut it = args.iter();
    let number = |v: Option<&String>, flag: &str| -> Result<u64> {
        let n: u64 = v
            .with_context(|| format!("{flag} needs a number"))?
            .parse()
            .with_context(|| format!("{flag} needs a number"))?;
        if n == 0 {
            bail!("{flag} must be at least 1");
        }
        Ok(n)
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--size-mb" => size_mb = number(it.next(), "--size-mb")?,
            "--compare-mb" => compare_mb = number(it.next(), "--compare-mb")?,
            "--keep" => keep = true,
            other => bail!("bench-browser: unknown argument {other:?} (usage: cargo xtask bench-browser [--size-mb N] [--compare-mb M] [--keep])"),
        }
    }
    let root = setup::root();

    step("tools");
    setup::page_tools()?;
    setup::apt(&["chromium"])?;
    setup::npm("tests/e2e")?;
    setup::npm("tests/bench")?;
    setup::build_page()?;

    step("transfer size (gzip -9), as built and with wasm-opt");
    let transfer = transfer_size(&root.join("dist"), &root.join("bench-out"))?;

    let sources_dir = std::env::var_os("CALLSCOPE_BENCH_SOURCES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/captures/generated"));
    let out = root.join("bench-out");

    step(&format!("the page beside Wiregasm on {compare_mb} MB"));
    // At the default size this is the `bench` command's file, generated once for both.
    let compare_name = if compare_mb == 320 {
        "large.pcap".to_owned()
    } else {
        format!("compare-{compare_mb}.pcap")
    };
    let compare = gen_capture::ensure(&out.join(compare_name), &sources_dir, compare_mb)?;
    eprintln!(
        "{}: {} bytes, {} packets",
        rel(&compare.path),
        compare.bytes,
        compare.packets
    );
    // Both read a cached file (the scale file read last may have pushed it out of the cache).
    let warm = std::time::Instant::now();
    let read = crate::bench::warm_cache(&compare.path)?;
    eprintln!(
        "warmed the page cache: read {read} bytes in {:.2} s",
        warm.elapsed().as_secs_f64()
    );
    let page_small = script(
        &["tests/e2e/bench-scale.mjs"],
        &compare.path,
        "callscope-scale-bench",
    )?;
    let wiregasm = script(
        &["tests/bench/wiregasm.cjs"],
        &compare.path,
        "wiregasm-bench",
    )?;

    step(&format!("the page at scale: {size_mb} MB, then cancelled"));
    let scale_capture = gen_capture::ensure(
        &out.join(format!("scale-{size_mb}.pcap")),
        &sources_dir,
        size_mb,
    )?;
    eprintln!(
        "{}: {} bytes, {} packets",
        rel(&scale_capture.path),
        scale_capture.bytes,
        scale_capture.packets
    );
    let scale = script(
        &["tests/e2e/bench-scale.mjs", "--cancel"],
        &scale_capture.path,
        "callscope-scale-bench",
    )?;

    // ---- the summary ----
    println!();
    println!("callscope in the browser");
    println!(
        "chromium: {}; node: {}",
        setup::output(Command::new("chromium").arg("--version"))
            .unwrap_or_default()
            .trim(),
        setup::output(Command::new("node").arg("--version"))
            .unwrap_or_default()
            .trim()
    );
    println!();
    println!(
        "transfer size, gzip -9 (goal ≤ {:.1} MB):",
        TRANSFER_GOAL as f64 / 1e6
    );
    for line in &transfer.lines {
        println!("  {line}");
    }
    println!(
        "  total as built {:.3} MB {}, with wasm-opt {:.3} MB; the audio worker on the first playback: {:.3} MB, with wasm-opt {:.3} MB",
        transfer.built as f64 / 1e6,
        met(transfer.built <= TRANSFER_GOAL),
        transfer.optimized as f64 / 1e6,
        transfer.on_demand as f64 / 1e6,
        transfer.on_demand_optimized as f64 / 1e6
    );

    println!();
    println!(
        "{} ({:.1} MB, {} packets): the page beside Wiregasm",
        rel(&compare.path),
        compare.bytes as f64 / 1e6,
        compare.packets
    );
    let page_ms = page_small.num("ms")?;
    let page_mem = page_small.num("tab_growth_mib")?;
    let page_rss = page_small.num("renderer_growth_mib")?;
    let wg_ms = wiregasm.num("ms")?;
    let wg_mem = wiregasm.num("rss_growth_mib")?;
    println!(
        "  {:<44} {:>10} {:>22} {:>20}",
        "", "seconds", "memory growth, MiB", "peak, MiB"
    );
    println!(
        "  {:<44} {:>10.2} {:>22.1} {:>20.0}",
        "callscope page (headless Chromium)",
        page_ms / 1e3,
        page_mem,
        page_small.num("renderer_peak_mib")?
    );
    println!(
        "  {:<44} {:>10.2} {:>22.1} {:>20.0}",
        format!("Wiregasm {} (Node)", wiregasm.text("wiregasm")),
        wg_ms / 1e3,
        wg_mem,
        wiregasm.num("rss_peak_mib")?
    );
    println!(
        "  ratios: Wiregasm/callscope time {:.1}× (goal ≥ 100×) {}, memory {:.1}× (goal ≥ 10×) {}",
        wg_ms / page_ms,
        met(wg_ms / page_ms >= 100.0),
        wg_mem / page_mem.max(0.1),
        met(wg_mem / page_mem.max(0.1) >= 10.0)
    );
    println!(
        "  callscope: seconds from the file given to its report on screen (decoding alone {:.2} s); memory = the tab's JS heap + the page's and the decoder's wasm memory over the idle tab (the renderer processes' resident set grew {page_rss:.0} MiB)",
        page_small.num("decode_ms")? / 1e3
    );
    println!(
        "  Wiregasm: seconds to load (dissect) the file and run conv:UDP, conv:TCP, endpt:IPv4 ({} UDP and {} TCP conversations, {} IPv4 endpoints; start-up {:.1} s not counted); memory = the Node process's peak resident set over the ready process",
        wiregasm.text("udp_conversations"),
        wiregasm.text("tcp_conversations"),
        wiregasm.text("ipv4_endpoints"),
        wiregasm.num("init_ms")? / 1e3
    );

    println!();
    println!(
        "{} ({:.1} MB, {} packets): the page at scale, state {}",
        rel(&scale_capture.path),
        scale_capture.bytes as f64 / 1e6,
        scale_capture.packets,
        scale.text("state")
    );
    if scale.text("state") == "done" {
        let growth = scale.num("tab_growth_mib")?;
        let gap = scale.num("progress_max_gap_ms")?;
        println!(
            "  on screen in {:.1} s ({:.0} MB/s; decoding {:.1} s)",
            scale.num("ms")? / 1e3,
            scale.num("mbps")?,
            scale.num("decode_ms")? / 1e3
        );
        println!(
            "  tab memory +{growth:.1} MiB over idle (JS heap +{:.1}, page wasm +{:.1}, decoder wasm peak {:.1}) {}; renderers {:.0} → {:.0} MiB resident",
            scale.num("js_growth_mib")?,
            scale.num("page_wasm_growth_mib")?,
            scale.num("worker_wasm_peak_mib")?,
            goal(growth <= MEMORY_GOAL_MIB, &format!("≤ {MEMORY_GOAL_MIB} MiB")),
            scale.num("renderer_base_mib")?,
            scale.num("renderer_peak_mib")?
        );
        println!(
            "  progress: {} updates, longest gap {gap:.0} ms {}; longest main-thread task {:.0} ms",
            scale.text("progress_updates"),
            goal(gap <= PROGRESS_GOAL_MS, &format!("≤ {PROGRESS_GOAL_MS} ms")),
            scale.num("longest_task_ms")?
        );
    } else {
        println!("  the page did not finish: see the output above");
    }
    match scale.get("cancel_ms") {
        Some(ms) => {
            let ms: f64 = ms.parse().unwrap_or(f64::INFINITY);
            println!(
                "  cancel: decoder stopped {ms:.0} ms after the click (the page said so after {} ms) {}",
                scale.text("cancel_idle_ms"),
                goal(ms <= CANCEL_GOAL_MS, &format!("≤ {CANCEL_GOAL_MS} ms"))
            );
        }
        None => println!("  cancel: not measured (the file was read before it could be cancelled)"),
    }

    if keep {
        eprintln!(
            "\nkept {} and {}",
            rel(&compare.path),
            rel(&scale_capture.path)
        );
    } else {
        eprintln!();
        for c in [&compare, &scale_capture] {
            if c.remove_if_made_now() {
                eprintln!("removed {} (pass --keep to keep it)", rel(&c.path));
            } else {
                eprintln!(
                    "left {} in place: it was there before this run",
                    rel(&c.path)
                );
            }
        }
    }
    if scale.text("state") != "done" {
        bail!("the page did not load {}", rel(&scale_capture.path));
    }
    Ok(())
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT MET"
    }
}

fn goal(ok: bool, what: &str) -> String {
    format!("(goal {what}: {})", met(ok))
}

fn rel(p: &Path) -> String {
    let root = setup::root();
    p.strip_prefix(&root)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.display().to_string())
}

/// The `key=value` fields of a script's last line.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self, key: &str) -> &str {
        self.get(key).unwrap_or("?")
    }

    fn num(&self, key: &str) -> Result<f64> {
        self.get(key)
            .with_context(|| format!("no {key}= in the script's result"))?
            .parse()
            .with_context(|| format!("{key}= is not a number"))
    }
}

/// Runs `node SCRIPT… FILE`, showing its output, and parses its last `PREFIX k=v …` line (present
/// even when the script failed, when it got that far).
fn script(script: &[&str], file: &Path, prefix: &str) -> Result<Fields> {
    eprintln!("$ node {} {}", script.join(" "), rel(file));
    let out = Command::new("node")
        .args(script)
        .arg(file)
        .current_dir(setup::root())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot start node")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprint!("{stdout}");
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(prefix).map(str::trim))
        .with_context(|| format!("{} gave no result ({})", script[0], out.status))?;
    Ok(Fields(
        line.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    ))
}

struct Transfer {
    lines: Vec<String>,
    /// The page's first load, as built and with wasm-opt.
    built: u64,
    optimized: u64,
    /// The audio worker's files (loaded on the first playback), as built and with wasm-opt.
    on_demand: u64,
    on_demand_optimized: u64,
}

fn gzip_len(bytes: &[u8]) -> Result<u64> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?.len() as u64)
}

/// Gzipped sizes of the page's files, and of its wasm after wasm-opt (in `scratch`).
fn transfer_size(dist: &Path, scratch: &Path) -> Result<Transfer> {
    std::fs::create_dir_all(scratch)?;
    let wasm_opt = setup::root().join("tests/bench/node_modules/.bin/wasm-opt");
    let mut names: Vec<String> = std::fs::read_dir(dist)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            [".wasm", ".js", ".css", ".html"]
                .iter()
                .any(|x| n.ends_with(x))
        })
        .collect();
    names.sort();
    let (mut built, mut optimized, mut on_demand, mut on_demand_optimized) = (0, 0, 0, 0);
    let mut lines = Vec::new();
    for name in names {
        let bytes = std::fs::read(dist.join(&name))?;
        let gz = gzip_len(&bytes)?;
        let first_load = !name.starts_with("audio");
        let opt = if name.ends_with(".wasm") {
            // The page's module holds the decoder too (at O3 for its crates: Cargo.toml).
            let level = if name.starts_with("audio") {
                "-O3"
            } else {
                "-Oz"
            };
            let out = scratch.join(format!("opt-{name}"));
            let result = Command::new(&wasm_opt)
                .arg(level)
                .args(WASM_FEATURES)
                .arg(dist.join(&name))
                .arg("-o")
                .arg(&out)
                .output()
                .with_context(|| format!("cannot start {}", wasm_opt.display()))?;
            if !result.status.success() {
                let err = String::from_utf8_lossy(&result.stderr);
                bail!(
                    "wasm-opt {level} {name} failed: {}",
                    err.lines().rev().take(3).collect::<Vec<_>>().join(" / ")
                );
            }
            let opt_bytes = std::fs::read(&out)?;
            let _ = std::fs::remove_file(&out);
            Some((level, opt_bytes.len() as u64, gzip_len(&opt_bytes)?))
        } else {
            None
        };
        let gz_opt = opt.map_or(gz, |(_, _, g)| g);
        if first_load {
            built += gz;
            optimized += gz_opt;
        } else {
            on_demand += gz;
            on_demand_optimized += gz_opt;
        }
        lines.push(match opt {
            Some((level, raw, g)) => format!(
                "{name:<36} {:>10} bytes, {:>8} gzipped; wasm-opt {level}: {raw:>10} bytes, {g:>8} gzipped",
                bytes.len(),
                gz
            ),
            None => format!("{name:<36} {:>10} bytes, {:>8} gzipped", bytes.len(), gz),
        });
    }
    Ok(Transfer {
        lines,
        built,
        optimized,
        on_demand,
        on_demand_optimized,
    })
}
