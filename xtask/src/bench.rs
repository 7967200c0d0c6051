//! `cargo xtask bench [--size-mb N] [--keep]`: callscope against capinfos and tshark on one large
//! capture, in one run.
//!
//! 1. Builds the profile-guided CLI (`cargo xtask build-cli`) and the plain release CLI, and
//!    generates bench-out/large.pcap (see `gen_capture`; at least N MB, default 320; reused when
//!    its stamp matches).
//! 2. Reads the file once to warm the page cache, then times, each with `/usr/bin/time` for its
//!    CPU time and peak RSS, in five interleaved rounds: `callscope analyze --json` (the
//!    profile-guided build, against which the ratios are taken), `capinfos`, `tshark` with the
//!    statistics callscope's report covers (and with RTP stream analysis), and the plain
//!    `cargo build --release` CLI. The median run of each counts, with its median CPU time
//!    (user + system).
//! 3. When dist/index.html exists, drops the file on the page in headless Chromium
//!    (tests/e2e/bench-browser.mjs) and reports the MB/s the page measured, then does the same
//!    with fifty thousand short SIP calls (tests/e2e/captures.mjs) and reports how long the
//!    overview, calls, media and network views take to draw, and a filter and a sort of the calls.
//!
//! MB here is 10⁶ bytes; RSS is in MiB. The file is deleted afterwards unless `--keep` (or it was
//! there before the run: a kept file stays kept).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::gen_capture;
use crate::setup::{self, step};

/// Timed runs of each tool. They are interleaved (a round runs every tool once), so the load of
/// this shared host, which drifts within minutes, touches every tool alike; the median counts.
const RUNS: usize = 5;

#[derive(Debug, Clone, Copy)]
struct Timing {
    seconds: f64,
    /// User plus system CPU time: unlike wall time, it barely moves with the host's load, and
    /// divided by the cores it bounds how fast the same work can run on this machine.
    cpu_seconds: f64,
    rss_kib: u64,
}

/// A timed command; `<FILE>` in `args` stands for the capture.
struct Tool {
    name: String,
    program: PathBuf,
    args: Vec<String>,
    stdout: Option<PathBuf>,
}

struct Row {
    tool: String,
    command: String,
    /// The median run's wall time, and the highest peak RSS of all runs.
    timing: Timing,
    /// Every run's wall time, in order.
    runs: Vec<f64>,
}

/// The median wall time and the median CPU time of `runs` (the lower middle one for an even
/// count), with the highest peak RSS among them.
fn median(runs: &[Timing]) -> Timing {
    let middle = |of: fn(&Timing) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(of).collect();
        values.sort_by(f64::total_cmp);
        values
            .get(values.len().saturating_sub(1) / 2)
            .copied()
            .unwrap_or(0.0)
    };
    Timing {
        seconds: middle(|t| t.seconds),
        cpu_seconds: middle(|t| t.cpu_seconds),
        rss_kib: runs.iter().map(|t| t.rss_kib).max().unwrap_or(0),
    }
}

pub fn run(args: &[String]) -> Result<()> {
    let mut size_mb = 320u64;
    let mut keep = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--size-mb" => size_mb = it.next().context("--size-mb needs a number")?.parse().context("--size-mb needs a number")?,
            "--keep" => keep = true,
            other => bail!("bench: unknown argument {other:?} (usage: cargo xtask bench [--size-mb N] [--keep])"),
        }
    }
    if size_mb == 0 {
        bail!("--size-mb must be at least 1");
    }
    let root = setup::root();

    step("tools");
    setup::apt(&["tshark", "wireshark-common", "time"])?;

    step("building callscope (release, then profile-guided)");
    let plain = setup::release_cli()?;
    let callscope = crate::build_cli::build()?;

    step(&format!("generating bench-out/large.pcap (≥ {size_mb} MB)"));
    let sources_dir = std::env::var_os("CALLSCOPE_BENCH_SOURCES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/captures/generated"));
    let out_dir = root.join("bench-out");
    let started = Instant::now();
    let capture = gen_capture::ensure(&out_dir.join("large.pcap"), &sources_dir, size_mb)?;
    eprintln!(
        "{} {}: {} bytes, {} packets, {} copies of {} ({}), {:.0} s of capture time{}",
        if capture.reused {
            "reused"
        } else {
            "generated"
        },
        rel(&capture.path),
        capture.bytes,
        capture.packets,
        capture.rounds,
        capture.sources.len(),
        capture.sources.join(", "),
        capture.duration_s,
        if capture.reused {
            String::new()
        } else {
            format!(" in {:.1} s", started.elapsed().as_secs_f64())
        },
    );
    let file = rel(&capture.path);

    step("warming the page cache (one read of the whole file)");
    let warm = Instant::now();
    let read = warm_cache(&capture.path)?;
    eprintln!("read {read} bytes in {:.2} s", warm.elapsed().as_secs_f64());

    // The timed tools: callscope, capinfos, and tshark twice (the statistics callscope's report
    // covers, then RTP stream analysis, which callscope always does in the same pass).
    let tools: Vec<Tool> = vec![
        Tool {
            name: "callscope".into(),
            program: callscope.clone(),
            args: vec!["analyze".into(), "--json".into(), "<FILE>".into()],
            stdout: None,
        },
        Tool {
            name: "capinfos".into(),
            program: "capinfos".into(),
            args: vec!["<FILE>".into()],
            stdout: Some(out_dir.join("capinfos.txt")),
        },
        Tool {
            name: "tshark".into(),
            program: "tshark".into(),
            args: [
                "-n", "-q", "-r", "<FILE>", "-z", "io,phs", "-z", "conv,udp", "-z", "conv,tcp",
            ]
            .map(String::from)
            .to_vec(),
            stdout: None,
        },
        Tool {
            name: "tshark rtp,streams".into(),
            program: "tshark".into(),
            args: [
                "-n",
                "-q",
                "-r",
                "<FILE>",
                "-o",
                "rtp.heuristic_rtp:TRUE",
                "-z",
                "rtp,streams",
            ]
            .map(String::from)
            .to_vec(),
            stdout: None,
        },
        Tool {
            name: "callscope, plain build".into(),
            program: plain.clone(),
            args: vec!["analyze".into(), "--json".into(), "<FILE>".into()],
            stdout: None,
        },
    ];
    let mut runs: Vec<Vec<Timing>> = tools.iter().map(|_| Vec::new()).collect();
    for round in 1..=RUNS {
        step(&format!("round {round} of {RUNS}: each tool once"));
        for (tool, times) in tools.iter().zip(&mut runs) {
            let mut cmd = Command::new(&tool.program);
            for a in &tool.args {
                if a == "<FILE>" {
                    cmd.arg(&capture.path);
                } else {
                    cmd.arg(a);
                }
            }
            let t = timed(&mut cmd, tool.stdout.as_deref(), &out_dir)?;
            eprintln!(
                "{:<20} {:.3} s, peak RSS {:.1} MiB",
                tool.name,
                t.seconds,
                mib(t.rss_kib)
            );
            times.push(t);
        }
    }
    let rows: Vec<Row> = tools
        .iter()
        .zip(runs)
        .map(|(tool, times)| {
            let shown = tool
                .args
                .iter()
                .map(|a| if a == "<FILE>" { file.as_str() } else { a })
                .collect::<Vec<_>>()
                .join(" ");
            let program = rel(&tool.program);
            let out = tool.stdout.as_deref().map_or("/dev/null".to_string(), rel);
            Row {
                tool: tool.name.clone(),
                command: format!("{program} {shown} > {out}"),
                timing: median(&times),
                runs: times.iter().map(|t| t.seconds).collect(),
            }
        })
        .collect();

    step("the report, against its pinned digest (a change not meant to move a number keeps it)");
    let report_check = check_report(&callscope, &capture, size_mb, &out_dir)?;
    eprintln!("{report_check}");

    // The exact count, untimed (plain `capinfos` rounds it to thousands).
    let capinfos_packets = setup::output(
        Command::new("capinfos")
            .args(["-M", "-c"])
            .arg(&capture.path),
    )
    .and_then(|s| {
        s.split_whitespace()
            .last()
            .and_then(|n| n.parse::<u64>().ok())
    });

    let browser = browser_bench(&capture.path, &file)?;
    let calls_file = out_dir.join("calls-50000.pcap");
    let many_calls = if browser.is_some() {
        setup::run(
            Command::new("node")
                .args(["tests/e2e/captures.mjs", "calls", "50000"])
                .arg(&calls_file),
        )?;
        let stats = browser_bench(&calls_file, &rel(&calls_file))?;
        let _ = std::fs::remove_file(&calls_file);
        stats
    } else {
        None
    };

    // ---- the table ----
    let versions = [
        (
            "callscope",
            setup::output(Command::new(&callscope).arg("--version")),
        ),
        (
            "capinfos",
            setup::output(Command::new("capinfos").arg("--version"))
                .map(|s| s.lines().next().unwrap_or("").to_owned()),
        ),
        (
            "tshark",
            setup::output(Command::new("tshark").arg("--version"))
                .map(|s| s.lines().next().unwrap_or("").to_owned()),
        ),
    ];
    let mb = capture.bytes as f64 / 1e6;
    let base = rows[0].timing.seconds;
    println!();
    println!("callscope benchmark");
    println!(
        "file: {file}  {mb:.1} MB ({} bytes), {} packets{}, {} copies of {} captures, {:.0} s of capture time",
        capture.bytes,
        capture.packets,
        match &capinfos_packets {
            Some(n) if *n == capture.packets => " (capinfos -M -c agrees)".to_string(),
            Some(n) => format!(" (but capinfos -M -c says {n})"),
            None => String::new(),
        },
        capture.rounds,
        capture.sources.len(),
        capture.duration_s,
    );
    println!(
        "machine: {} cores, page cache warm (file read once before timing); each tool run {RUNS} times, rounds interleaved; seconds are the median run, RSS the highest",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    for (name, v) in &versions {
        println!(
            "{name}: {}",
            v.as_deref().map(str::trim).unwrap_or("version unknown")
        );
    }
    println!();
    println!(
        "{:<26} {:>9} {:>9} {:>9} {:>14} {:>13}",
        "tool", "seconds", "CPU s", "MB/s", "peak RSS MiB", "× callscope"
    );
    for r in &rows {
        println!(
            "{:<26} {:>9.3} {:>9.3} {:>9.1} {:>14.1} {:>13.2}",
            r.tool,
            r.timing.seconds,
            r.timing.cpu_seconds,
            mb / r.timing.seconds,
            mib(r.timing.rss_kib),
            r.timing.seconds / base
        );
    }
    match &browser {
        Some(b) => println!(
            "{:<26} {:>9.3} {:>9} {:>9.1} {:>14} {:>13.2}",
            "page (headless Chromium)",
            b.ms / 1000.0,
            "-",
            b.mbps,
            "-",
            b.ms / 1000.0 / base
        ),
        None => println!(
            "{:<26} (not run: dist/index.html is missing; `cargo xtask build-page` builds it)",
            "page (Chromium)"
        ),
    }
    println!();
    println!("ratios: capinfos/callscope = {:.2}, tshark/callscope = {:.2}, tshark rtp,streams/callscope = {:.2} (wall time; > 1 means callscope is faster)", rows[1].timing.seconds / base, rows[2].timing.seconds / base, rows[3].timing.seconds / base);
    println!("callscope is the profile-guided build (`cargo xtask build-cli`); the plain `cargo build --release` takes {:.2}× its time", rows[4].timing.seconds / base);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = rows[0].timing.cpu_seconds;
    println!(
        "callscope used {cpu:.3} s of CPU in {base:.3} s ({:.2} cores busy on average); spread perfectly over this machine's {cores} cores, the same work would still take {:.3} s",
        cpu / base,
        cpu / cores as f64
    );
    for r in &rows {
        let runs: Vec<String> = r.runs.iter().map(|s| format!("{s:.3}")).collect();
        println!("{} runs: {} s", r.tool, runs.join(", "));
    }
    println!("{report_check}");
    println!();
    println!(
        "commands timed (wall clock around the process; CPU (user + system) and peak RSS from /usr/bin/time -f \"%M %U %S\"), in {}:",
        root.display()
    );
    for r in &rows {
        println!("  {:<26} {}", r.tool, r.command);
    }
    if let Some(b) = &browser {
        println!(
            "  {:<26} node tests/e2e/bench-browser.mjs {file}  (seconds are the page's own window.callscopeStats: {} bytes on screen in {:.0} ms, of which the worker's decoding {:.0} ms; {:.0} ms from setInputFiles to data-state=done)",
            "page",
            b.bytes,
            b.ms,
            b.decode_ms,
            b.wall_ms
        );
        println!("  {:<26} {}", "", b.views);
    }
    if let Some(c) = &many_calls {
        println!();
        println!(
            "page, 50000 short SIP calls (tests/e2e/captures.mjs, {:.1} MB): on screen in {:.0} ms ({:.1} MB/s; decoding {:.0} ms), {:.0} ms from setInputFiles to data-state=done",
            c.bytes as f64 / 1e6,
            c.ms,
            c.mbps,
            c.decode_ms,
            c.wall_ms
        );
        println!("  {}", c.views);
    }

    if keep {
        eprintln!("\nkept {file} (and its stamp) for the next run");
    } else if capture.remove_if_made_now() {
        eprintln!("\nremoved {file} (pass --keep to keep it and skip generation next time)");
    } else {
        eprintln!("\nleft {file} in place: it was there before this run");
    }
    Ok(())
}

/// The path relative to the workspace root when it is inside it.
fn rel(p: &Path) -> String {
    let root = setup::root();
    p.strip_prefix(&root)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.display().to_string())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Reads the whole file once, so that the runs timed after it find it in the page cache.
pub fn warm_cache(path: &Path) -> Result<u64> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
    }
}

/// Runs `cmd` under `/usr/bin/time -f %M` in the workspace root, stdout to `stdout` (or
/// /dev/null), and returns its wall time and peak RSS. Fails when the command does.
fn timed(cmd: &mut Command, stdout: Option<&Path>, out_dir: &Path) -> Result<Timing> {
    let time_file = out_dir.join("time.txt");
    let stderr_file = out_dir.join("stderr.txt");
    let mut full = Command::new("/usr/bin/time");
    full.arg("-f")
        .arg("%M %U %S")
        .arg("-o")
        .arg(&time_file)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    full.current_dir(setup::root());
    full.stdin(Stdio::null());
    full.stdout(match stdout {
        Some(p) => Stdio::from(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        ),
        None => Stdio::null(),
    });
    full.stderr(Stdio::from(std::fs::File::create(&stderr_file)?));
    let shown = format!(
        "{:?} {:?}",
        cmd.get_program(),
        cmd.get_args().collect::<Vec<_>>()
    );
    let started = Instant::now();
    let status = full
        .status()
        .with_context(|| format!("cannot start /usr/bin/time for {shown}"))?;
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        let err = std::fs::read_to_string(&stderr_file).unwrap_or_default();
        bail!("{shown} failed with {status}:\n{err}");
    }
    let measured = std::fs::read_to_string(&time_file)
        .with_context(|| format!("reading {}", time_file.display()))?;
    let (rss_kib, cpu_seconds) = parse_time(&measured)
        .with_context(|| format!("no \"%M %U %S\" line in /usr/bin/time's output: {measured:?}"))?;
    Ok(Timing {
        seconds,
        cpu_seconds,
        rss_kib,
    })
}

/// Peak RSS (KiB) and user + system seconds from `/usr/bin/time -f "%M %U %S"`: its last line
/// (a line before it may say that the command was killed or exited non-zero).
fn parse_time(text: &str) -> Option<(u64, f64)> {
    text.lines().rev().find_map(|line| {
        let mut fields = line.split_whitespace();
        let rss = fields.next()?.parse::<u64>().ok()?;
        let user = fields.next()?.parse::<f64>().ok()?;
        let system = fields.next()?.parse::<f64>().ok()?;
        fields.next().is_none().then_some((rss, user + system))
    })
}

struct BrowserStats {
    bytes: u64,
    ms: f64,
    mbps: f64,
    decode_ms: f64,
    wall_ms: f64,
    /// The script's `page: first numbers …` and `page views (N calls): …` lines.
    views: String,
}

/// Runs tests/e2e/bench-browser.mjs when the page is built; None when it is not.
fn browser_bench(path: &Path, shown: &str) -> Result<Option<BrowserStats>> {
    let root = setup::root();
    if !root.join("dist/index.html").is_file() {
        eprintln!("\ndist/index.html is missing: skipping the browser benchmark (`cargo xtask build-page` builds the page)");
        return Ok(None);
    }
    step("page in headless Chromium");
    setup::apt(&["chromium"])?;
    setup::npm("tests/e2e")?;
    eprintln!("$ node tests/e2e/bench-browser.mjs {shown}");
    let out = Command::new("node")
        .arg("tests/e2e/bench-browser.mjs")
        .arg(path)
        .current_dir(&root)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot start node")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprint!("{stdout}");
    if !out.status.success() {
        bail!("the browser benchmark failed with {}", out.status);
    }
    // The script ends with one line: `callscope-browser-bench bytes=N ms=X mbps=Y`.
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("callscope-browser-bench "))
        .context("no result line from bench-browser.mjs")?;
    let field = |name: &str| -> Result<f64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .with_context(|| format!("no {name}= in {line:?}"))?
            .parse::<f64>()
            .with_context(|| format!("bad {name} in {line:?}"))
    };
    Ok(Some(BrowserStats {
        bytes: field("bytes")? as u64,
        ms: field("ms")?,
        mbps: field("mbps")?,
        decode_ms: field("decode_ms")?,
        wall_ms: field("wall_ms")?,
        views: stdout
            .lines()
            .filter(|l| l.starts_with("page views") || l.starts_with("page: first numbers"))
            .collect::<Vec<_>>()
            .join("\n                             "),
    }))
}

/// Where the bench report's digest is pinned, one line per file size: the JSON report of the
/// bench file is a regression check as the reference captures' are (tests/golden_reports.rs).
const PINNED_REPORT: &str = "tests/bench/report.sha256";

/// Runs `callscope analyze --json` once more (untimed) and compares the SHA-256 of its output
/// with the digest pinned for this size; pins it when none is. Returns a line for the table.
fn check_report(
    callscope: &Path,
    capture: &gen_capture::Capture,
    size_mb: u64,
    out_dir: &Path,
) -> Result<String> {
    let json = out_dir.join("report.json");
    let mut cmd = Command::new(callscope);
    cmd.args(["analyze", "--json"]).arg(&capture.path);
    timed(&mut cmd, Some(&json), out_dir)?;
    let sum = setup::output(Command::new("sha256sum").arg(&json)).context("sha256sum")?;
    let digest = sum.split_whitespace().next().unwrap_or_default().to_owned();
    let key = format!("{size_mb} MB, {} bytes", capture.bytes);
    let pinned_path = setup::root().join(PINNED_REPORT);
    let pinned = std::fs::read_to_string(&pinned_path).unwrap_or_default();
    let found = pinned
        .lines()
        .filter_map(|l| l.split_once("  "))
        .find(|(_, k)| *k == key)
        .map(|(d, _)| d.to_owned());
    let _ = std::fs::remove_file(&json);
    Ok(match found {
        Some(d) if d == digest => format!("report: sha256 {digest}, identical to {PINNED_REPORT} ({key})"),
        Some(d) => format!("report: sha256 {digest} CHANGED from the pinned {d} ({key}); if intended, replace the line in {PINNED_REPORT} and say why"),
        None => {
            let mut text = pinned;
            text.push_str(&format!("{digest}  {key}\n"));
            std::fs::write(&pinned_path, text)?;
            format!("report: sha256 {digest}, pinned now in {PINNED_REPORT} ({key})")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: f64, rss_kib: u64) -> Timing {
        Timing {
            seconds,
            cpu_seconds: seconds * 2.0,
            rss_kib,
        }
    }

    #[test]
    fn the_median_run_counts_with_the_highest_rss() {
        let m = median(&[t(0.5, 10), t(0.3, 40), t(0.9, 20), t(0.4, 5), t(0.35, 30)]);
        assert_eq!((m.seconds, m.rss_kib), (0.4, 40));
        assert_eq!(m.cpu_seconds, 0.8);
        // CPU time has its own median: the run with the median wall time need not be it.
        let cpu = |seconds, cpu_seconds| Timing {
            seconds,
            cpu_seconds,
            rss_kib: 0,
        };
        let m = median(&[cpu(1.0, 0.5), cpu(2.0, 0.1), cpu(3.0, 0.3)]);
        assert_eq!((m.seconds, m.cpu_seconds), (2.0, 0.3));
        // An even count takes the lower middle run.
        let m = median(&[t(2.0, 1), t(1.0, 2), t(4.0, 3), t(3.0, 4)]);
        assert_eq!((m.seconds, m.rss_kib), (2.0, 4));
        let m = median(&[]);
        assert_eq!((m.seconds, m.rss_kib), (0.0, 0));
    }

    #[test]
    fn time_output_gives_rss_and_cpu() {
        assert_eq!(parse_time("45468 0.54 0.15\n"), Some((45468, 0.54 + 0.15)));
        // GNU time puts a note before its figures when the command fails.
        assert_eq!(
            parse_time("Command exited with non-zero status 1\n9216 1.24 0.12\n"),
            Some((9216, 1.24 + 0.12))
        );
        assert_eq!(parse_time("45468\n"), None);
        assert_eq!(parse_time("45468 0.54 0.15 extra\n"), None);
        assert_eq!(parse_time(""), None);
    }
}
