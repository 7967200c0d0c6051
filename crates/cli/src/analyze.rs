//! `callscope analyze FILE|- [--json] [--facts facts.json] [--mask] [--call CALL-ID]
//! [--wav OUT.wav [--stream SSRC] [--playout buffer|captured] [--max-audio SECONDS]]`.
//!
//! `--mask` replaces phone numbers, SIP user parts and display names with stable pseudonyms in
//! the text and JSON output; `--call` prints one call's ladder (see `ladder.rs`); `--wav` writes
//! the call's or the stream's audio (see `audio.rs`).
//!
//! With `--facts`, conversations the capture does not attribute to a process are attributed by
//! the sockets that `callscope collect`/`capture` saw (the capture's own process metadata wins).
//!
//! Exit codes: 0 the whole file was read (or it was cut short mid-record, as a capture still being
//! written is: a warning says so); 1 the file cannot be read at all; 3 reading stopped at a corrupt
//! record or a read error, and the report covers what came before it.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use callscope_analysis::{Analyzer, Options, Report};

use crate::safe_text::SafeText;
use crate::{progress::ProgressBar, text};

/// Bytes read per call: large enough to keep syscalls rare, small enough to keep memory flat.
const CHUNK: usize = 1 << 20;

/// The report's output buffer: the benchmark's 26 MB JSON report took 2,579 `write` calls with
/// the default 8 KiB, 124 with this.
const OUT_BUFFER: usize = 256 << 10;

#[derive(clap::Args)]
pub struct Args {
    /// Capture file, or `-` for standard input.
    file: PathBuf,
    /// Print the JSON report (the public contract, schema "callscope.report/1").
    #[arg(long)]
    json: bool,
    /// Rows per list in the text report (each list says how many it left out).
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
    /// The analysis's memory budget in MiB, shared by every table that grows with the capture
    /// (flows, calls, streams…); beyond its share a table drops and counts, and the report's
    /// `limits.tables` lists it.
    #[arg(long, value_name = "MiB", default_value_t = 128, value_parser = clap::value_parser!(u64).range(16..=65_536))]
    memory: u64,
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
    /// Write the audio of --call (stereo: caller left, callee right) or --stream as a WAV file,
    /// and print what was decoded instead of the report.
    #[arg(long, value_name = "OUT.wav")]
    wav: Option<PathBuf>,
    /// With --wav: one RTP stream by its SSRC (0x1234abcd) instead of a call.
    #[arg(long, value_name = "SSRC", requires = "wav")]
    stream: Option<String>,
    /// With --wav: `buffer` plays what a 60 ms jitter buffer would have (late packets are
    /// silence, as the MOS assumes); `captured` plays every packet in arrival order.
    #[arg(long, value_name = "MODE", default_value = "buffer", value_parser = ["buffer", "captured"], requires = "wav")]
    playout: String,
    /// With --wav: the most audio to write, in seconds (the rest is cut, and the output says so).
    #[arg(long, value_name = "SECONDS", default_value_t = callscope_audio::DEFAULT_MAX_SECONDS, requires = "wav")]
    max_audio: f64,
}

impl Args {
    /// The audio wanted, when --wav is given.
    fn audio(&self) -> Option<crate::audio::Wanted<'_>> {
        Some(crate::audio::Wanted {
            file: &self.file,
            call: self.call.as_deref(),
            stream: self.stream.as_deref(),
            out: self.wav.as_deref()?,
            mode: if self.playout == "captured" {
                callscope_audio::Mode::Captured
            } else {
                callscope_audio::Mode::Buffer
            },
            max_seconds: self.max_audio,
        })
    }
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
    if let Some(wanted) = args.audio() {
        if let Err(e) = crate::audio::check(&wanted) {
            eprintln!("callscope: {e:#}");
            return ExitCode::from(2);
        }
    }
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
        Ok((mut report, stopped)) => {
            if let Some(facts) = &facts {
                callscope_analysis::facts::attribute(&mut report, facts);
            }
            if args.mask {
                callscope_analysis::mask::mask_report(&mut report);
            }
            if let Some(wanted) = args.audio().filter(|_| !report.capture.format.is_empty()) {
                return audio(&args, &wanted, &report, &name);
            }
            if let Some(id) = args.call.as_deref() {
                if !report.capture.format.is_empty() && crate::ladder::find(&report, id).is_none() {
                    eprintln!("callscope: {name}: no call with Call-ID {id}");
                    return ExitCode::from(1);
                }
            }
            // A file that ends inside its file header holds no packet, whatever its length: it
            // is not a capture (exit 1), like a file of unknown format. (Stops on a corrupt
            // record come through `stopped`; a header cut short only through the report.)
            let header_only = stopped.is_none()
                && report.capture.packets == 0
                && !report.capture.truncated
                && report.capture.error.is_some();
            if report.capture.format.is_empty() || header_only {
                let why = stopped
                    .clone()
                    .or_else(|| report.capture.error.clone())
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
            let code = match (&stopped, &report.capture.error) {
                (Some(why), _) => {
                    eprintln!("callscope: warning: {name}: stopped reading: {why}; the report covers the {} packets before it", report.capture.packets);
                    ExitCode::from(3)
                }
                (None, Some(why)) => {
                    eprintln!("callscope: warning: {name}: {why}; the report covers the {} complete packets", report.capture.packets);
                    ExitCode::SUCCESS
                }
                (None, None) => ExitCode::SUCCESS,
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

/// `--wav`: the second pass, the file, and what it holds on standard output.
fn audio(args: &Args, wanted: &crate::audio::Wanted<'_>, report: &Report, name: &str) -> ExitCode {
    let request = match crate::audio::request(wanted, report) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("callscope: {name}: {e:#}");
            return ExitCode::from(1);
        }
    };
    match crate::audio::write(wanted, request.clone()) {
        Ok(summary) => {
            let mut out = io::stdout().lock();
            let written = if args.json {
                serde_json::to_writer_pretty(&mut out, &summary)
                    .map_err(io::Error::from)
                    .and_then(|()| writeln!(out))
            } else {
                let text = crate::audio::text(&summary, &request, report, wanted.out);
                SafeText(&mut out).write_all(text.as_bytes())
            };
            match written {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                    eprintln!("callscope: writing the summary: {e}");
                    ExitCode::from(1)
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            eprintln!("callscope: {name}: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn print(args: &Args, report: &Report) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(OUT_BUFFER, stdout.lock());
    if args.json {
        match args.call.as_deref() {
            Some(id) => crate::ladder::write(&mut out, report, id, true)?,
            None => crate::json_out::write(&mut out, report)?,
        }
        return out.flush();
    }
    // Text shows strings from the capture: none may reach the terminal as a control character.
    let mut out = SafeText(out);
    match args.call.as_deref() {
        Some(id) => crate::ladder::write(&mut out, report, id, false)?,
        None => text::write(&mut out, report, args.top)?,
    }
    out.flush()
}

/// Reads the whole input through the analyzer; says why reading stopped early, if it did (a
/// corrupt record, or a read error: the report still covers what was read).
fn analyze(args: &Args) -> anyhow::Result<(Report, Option<String>)> {
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
        ..Options::with_budget(usize::try_from(args.memory << 20).unwrap_or(usize::MAX))
    });
    let stop = feed_all(&mut input, &mut analyzer, &mut |a| {
        bar.update(&a.snapshot())
    });
    bar.done();
    let report = analyzer.finish();
    let why = match stop {
        None => None,
        Some(Stop::Corrupt) => Some(report.capture.error.clone().unwrap_or_default()),
        Some(Stop::Io(e)) => Some(format!("read failed: {e}")),
    };
    Ok((report, why))
}

/// Why [`feed_all`] stopped before the end of its input.
#[derive(Debug)]
enum Stop {
    /// The capture's framing broke (the analyzer's report says how).
    Corrupt,
    /// Reading failed.
    Io(io::Error),
}

/// Feeds `input` to the analyzer to its end, calling `progress` after each chunk.
fn feed_all(
    input: &mut dyn Read,
    analyzer: &mut Analyzer,
    progress: &mut dyn FnMut(&Analyzer),
) -> Option<Stop> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Some(Stop::Io(e)),
        };
        if analyzer.feed(&buf[..n]).is_err() {
            return Some(Stop::Corrupt);
        }
        progress(analyzer);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Gives `bytes` in small reads, then fails as a disk or network file system can.
    struct FailingAfter<'a> {
        bytes: &'a [u8],
    }

    impl Read for FailingAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.bytes.is_empty() {
                return Err(io::Error::other("Input/output error"));
            }
            let n = buf.len().min(self.bytes.len()).min(1000);
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_read_error_keeps_the_report_of_what_was_read() {
        let demo = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../static/demo.pcapng"
        ))
        .unwrap();
        let whole = {
            let mut a = Analyzer::new(Options::default());
            a.feed(&demo).unwrap();
            a.finish()
        };
        let mut analyzer = Analyzer::new(Options::default());
        let mut calls = 0;
        let stop = feed_all(
            &mut FailingAfter { bytes: &demo },
            &mut analyzer,
            &mut |_| calls += 1,
        );
        assert!(matches!(stop, Some(Stop::Io(ref e)) if e.to_string() == "Input/output error"));
        assert_eq!(calls, demo.len().div_ceil(1000));
        let report = analyzer.finish();
        assert!(report.capture.packets > 0);
        assert_eq!(report.capture.packets, whole.capture.packets);
    }
}
