//! `cargo xtask bench-memory [--scale N] [--keep]`: the CLI on every adversarial capture
//! (`adversarial.rs`), each run under `/usr/bin/time` for its peak RSS, beside what its report says
//! it dropped. The promise is "memory stays bounded whatever the capture claims": the goal printed
//! is the 128 MiB per run. `--scale N` divides the packet counts (the test command uses a
//! small scale so the generators and this command are known to work; the figures that matter come
//! from scale 1). Files go to bench-out/adversarial/ and are deleted unless `--keep`.

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::adversarial;
use crate::setup::{self, step};

/// The budget a run must stay within, MiB.
const GOAL_MIB: f64 = 128.0;

pub fn run(args: &[String]) -> Result<()> {
    let mut scale = 1u32;
    let mut keep = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--scale" => {
                scale = it
                    .next()
                    .context("--scale needs a number")?
                    .parse()
                    .context("--scale needs a number")?
            }
            "--keep" => keep = true,
            other => bail!("bench-memory: unknown argument {other:?} (usage: cargo xtask bench-memory [--scale N] [--keep])"),
        }
    }
    let root = setup::root();
    setup::apt(&["time"])?;
    step("release CLI");
    let callscope = setup::release_cli()?;

    let dir = root.join("bench-out/adversarial");
    step(&format!(
        "writing the adversarial captures (scale 1/{scale})"
    ));
    let started = Instant::now();
    let cases = adversarial::write_all(&dir, scale)?;
    eprintln!("written in {:.1} s", started.elapsed().as_secs_f64());

    let mut rows = Vec::new();
    for case in &cases {
        step(&format!("{}: {}", case.name, case.what));
        let time_file = dir.join("time.txt");
        let json_file = dir.join("report.json");
        let started = Instant::now();
        let status = Command::new("/usr/bin/time")
            .args(["-f", "%M", "-o"])
            .arg(&time_file)
            .arg(&callscope)
            .args(["analyze", "--json", "--no-progress"])
            .arg(&case.path)
            .stdout(Stdio::from(std::fs::File::create(&json_file)?))
            .stderr(Stdio::null())
            .status()
            .context("running /usr/bin/time")?;
        let seconds = started.elapsed().as_secs_f64();
        let rss_mib = std::fs::read_to_string(&time_file)
            .ok()
            .and_then(|t| {
                t.trim()
                    .lines()
                    .last()
                    .and_then(|l| l.trim().parse::<f64>().ok())
            })
            .map_or(f64::NAN, |kib| kib / 1024.0);
        let bytes = std::fs::metadata(&case.path).map(|m| m.len()).unwrap_or(0);
        let dropped = dropped(&json_file);
        eprintln!(
            "exit {:?}, {seconds:.2} s, peak RSS {rss_mib:.1} MiB; {dropped}",
            status.code()
        );
        rows.push((case.name, bytes, seconds, rss_mib, dropped));
        let _ = std::fs::remove_file(&json_file);
    }

    println!();
    println!(
        "callscope on adversarial captures (scale 1/{scale}; goal: peak RSS ≤ {GOAL_MIB} MiB each)"
    );
    println!(
        "{:<12} {:>9} {:>9} {:>14} {:>5}  dropped (from the report)",
        "capture", "MB", "seconds", "peak RSS MiB", "goal"
    );
    for (name, bytes, seconds, rss, dropped) in &rows {
        println!(
            "{name:<12} {:>9.1} {seconds:>9.2} {rss:>14.1} {:>5}  {dropped}",
            *bytes as f64 / 1e6,
            if *rss <= GOAL_MIB { "met" } else { "NOT" }
        );
    }
    if keep {
        eprintln!("\nkept the captures in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// The report's non-zero drop counters, as `name=n` pairs.
fn dropped(json: &std::path::Path) -> String {
    let Ok(text) = std::fs::read_to_string(json) else {
        return "no report".into();
    };
    let mut out = Vec::new();
    // Counters named *dropped*, *evicted* or "malformed" anywhere in the report, by a small scan
    // (xtask does not depend on serde_json).
    for key in [
        "\"flows_evicted\"",
        "\"endpoints_dropped\"",
        "\"fragments_dropped\"",
        "\"tcp_bytes_dropped\"",
        "\"untracked_messages\"",
        "\"streams_dropped\"",
        "\"transactions_dropped\"",
        "\"malformed\"",
    ] {
        let mut total = 0u64;
        for (at, _) in text.match_indices(key) {
            let rest = text[at + key.len()..].trim_start_matches([':', ' ']);
            let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
            total += n.parse::<u64>().unwrap_or(0);
        }
        if total > 0 {
            out.push(format!("{}={total}", key.trim_matches('"')));
        }
    }
    if out.is_empty() {
        "nothing".into()
    } else {
        out.join(" ")
    }
}
