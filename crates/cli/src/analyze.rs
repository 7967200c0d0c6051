//! `callscope analyze FILE|- [--json] [--facts facts.json] [--mask] [--call CALL-ID]`.
//!
//! `--mask` replaces phone numbers, SIP user parts and display names with stable pseudonyms in
//! the text and JSON output; `--call` prints one call's ladder (see `ladder.rs`).
//!
//! With `--facts`, conversations the capture does not attribute to a process are attributed by
//! the sockets that `callscope collect`/`capture` saw (the capture's own process metadata wins).
//!
//! Exit codes: 0 the whole file was read (or it was cut short mid-record, as a capture still being
//! written is: a warning says so); 1 the file cannot be read at all; 3 reading stopped at a corrupt
//! record, and the report covers what came before it.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use callscope_analysis::{Analyzer, Options, Report};

use crate::{progress::ProgressBar, text};

/// Bytes read per call: large enough to keep syscalls rare, small enough to keep memory flat.
const CHUNK: usize = 1 << 20;

#[derive(clap::Args)]
pub struct Args {
    /// Capture file, or `-` for standard input.
    file: PathBuf,
    /// Print the JSON report (the public contract, schema "callscope.report/1").
    #[arg(long)]
    json: bool,
    /// Rows per table in the text report.
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
    /// A facts.json from `callscope collect --json` or `callscope capture`: names the process
    /// behind each flow by its local address and port.
    #[arg(long, value_name = "FILE")]
    facts: Option<PathBuf>,
    /// Replace phone numbers, SIP user parts and display names with stable pseudonyms.
    #[arg(long)]
    mask: bool,
    /// Print only this call's ladder (a Call-ID from the call list; with --json, its object).
    #[arg(long, value_name = "CALL-ID")]
    call: Option<String>,
}

/// Reads and checks a facts.json.
fn load_facts(path: &std::path::Path) -> anyhow::Result<callscope_analysis::facts::Facts> {
    let text = std::fs::read_to_string(path).context("cannot open")?;
    let facts: callscope_analysis::facts::Facts =
        serde_json::from_str(&text).context("not a facts.json")?;
    facts.check()?;
    Ok(facts)
}

pub fn run(args: Args) -> ExitCode {
    let name = args.file.display().to_string();
    let facts = match args.facts.as_deref().map(load_facts).transpose() {
        Ok(f) => f,
        Err(e) => {
            let file = args
                .facts
                .as_deref()
                .unwrap_or(std::path::Path::new(""))
                .display();
            eprintln!("callscope: {file}: {e:#}");
            return ExitCode::from(1);
        }
    };
    match analyze(&args) {
        Ok((mut report, read_error)) => {
            if let Some(facts) = &facts {
                callscope_analysis::facts::attribute(&mut report, facts);
            }
            if args.mask {
                callscope_analysis::mask::mask_report(&mut report);
            }
            if let Some(id) = args.call.as_deref() {
                if !report.capture.format.is_empty() && crate::ladder::find(&report, id).is_none() {
                    eprintln!("callscope: {name}: no call with Call-ID {id}");
                    return ExitCode::from(1);
                }
            }
            if report.capture.format.is_empty() {
                let why = report
                    .capture
                    .error
                    .clone()
                    .unwrap_or_else(|| "unreadable".into());
                eprintln!("callscope: {name}: {why}");
                return ExitCode::from(1);
            }
            if let Err(e) = print(&args, &report) {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    eprintln!("callscope: writing the report: {e}");
                    return ExitCode::from(1);
                }
            }
            let code = match (&report.capture.error, read_error) {
                (Some(why), true) => {
                    eprintln!("callscope: warning: {name}: stopped reading: {why}; the report covers the {} packets before it", report.capture.packets);
                    ExitCode::from(3)
                }
                (Some(why), false) => {
                    eprintln!("callscope: warning: {name}: {why}; the report covers the {} complete packets", report.capture.packets);
                    ExitCode::SUCCESS
                }
                (None, _) => ExitCode::SUCCESS,
            };
            // The process ends here: freeing a report of thousands of flows and streams one
            // allocation at a time would only delay the exit (by ~10 ms on the benchmark).
            std::mem::forget(report);
            code
        }
        Err(e) => {
            eprintln!("callscope: {name}: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn print(args: &Args, report: &Report) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if let Some(id) = args.call.as_deref() {
        crate::ladder::write(&mut out, report, id, args.json)?;
    } else if args.json {
        crate::json_out::write(&mut out, report)?;
    } else {
        text::write(&mut out, report, args.top)?;
    }
    out.flush()
}

/// Reads the whole input through the analyzer; says whether reading stopped on a read error.
fn analyze(args: &Args) -> anyhow::Result<(Report, bool)> {
    let (mut input, total): (Box<dyn Read>, Option<u64>) = if args.file.as_os_str() == "-" {
        (Box::new(io::stdin().lock()), None)
    } else {
        let file = File::open(&args.file).context("cannot open")?;
        let len = file.metadata().ok().map(|m| m.len());
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            anyhow::bail!("is a directory");
        }
        (Box::new(file), len)
    };
    let show = !args.no_progress && io::stderr().is_terminal();
    let mut bar = ProgressBar::new(total, show);
    let mut analyzer = Analyzer::new(Options {
        parallel: true,
        ..Options::default()
    });
    let mut buf = vec![0u8; CHUNK];
    let mut stopped = false;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("read failed"),
        };
        if analyzer.feed(&buf[..n]).is_err() {
            stopped = true;
            break;
        }
        bar.update(&analyzer.snapshot());
    }
    bar.done();
    let report = analyzer.finish();
    Ok((report, stopped))
}
