//! `callscope capture -i IFACE [-i IFACE…] [--seconds N] [--filter BPF] -o DIR`: a pcapng capture
//! (one interface block per interface) with `facts.json` beside it, written at the start and
//! again at the end. Stops after N seconds or on Ctrl-C (or SIGTERM, SIGHUP), flushes, and says
//! where the files are.
//!
//! Exit codes: 0 captured; 1 failed; 2 not allowed (needs root or capture capabilities).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use callscope_collector::capture::{self, Options};
use callscope_collector::Error;

#[derive(clap::Args)]
pub struct Args {
    /// Interface to capture on (repeat for several: -i en0 -i ipsec0).
    #[arg(short, long = "interface", value_name = "IFACE", required = true)]
    interfaces: Vec<String>,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long, value_name = "N")]
    seconds: Option<f64>,
    /// Capture filter in libpcap syntax, e.g. "udp port 500 or udp port 4500".
    #[arg(long, value_name = "BPF")]
    filter: Option<String>,
    /// Bytes kept per packet.
    #[arg(long, default_value_t = 262_144)]
    snaplen: u32,
    /// The kernel's capture buffer per interface, MiB (larger rides out longer bursts).
    #[arg(long, value_name = "MiB", default_value_t = capture::DEFAULT_BUFFER_MIB,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    buffer: u32,
    /// Folder for capture.pcapng and facts.json (created when missing).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

/// The longest capture `--seconds` asks for: a year.
const MAX_SECONDS: f64 = 366.0 * 86_400.0;

pub fn run(args: Args) -> ExitCode {
    let duration = match args.seconds {
        Some(s) if s.is_finite() && s > 0.0 && s <= MAX_SECONDS => Some(Duration::from_secs_f64(s)),
        Some(s) => {
            eprintln!(
                "callscope: --seconds {s}: expected a number of seconds above 0 and at most {MAX_SECONDS} (a year)"
            );
            return ExitCode::from(1);
        }
        None => None,
    };
    // Ctrl-C, SIGTERM and SIGHUP all stop the capture the same way: the file is flushed, the
    // end facts written, the summary printed.
    let stop = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    {
        let stop = stop.clone();
        if let Err(e) =
            ctrlc::set_handler(move || stop.store(true, std::sync::atomic::Ordering::Relaxed))
        {
            eprintln!("callscope: warning: Ctrl-C will not stop the capture cleanly: {e}");
        }
    }
    let opts = Options {
        interfaces: args.interfaces,
        duration,
        filter: args.filter,
        snaplen: args.snaplen,
        buffer_mib: args.buffer,
        dir: args.output,
    };
    let mut started = || {
        eprintln!(
            "callscope: capturing on {}{} into {} (Ctrl-C stops)",
            opts.interfaces.join(", "),
            duration
                .map(|d| format!(" for {:.1} s", d.as_secs_f64()))
                .unwrap_or_default(),
            opts.dir.display()
        );
    };
    match capture::run(&opts, &stop, &mut started) {
        Ok(summary) => {
            println!(
                "capture: {} ({} packets in {:.1} s{}; {})",
                summary.capture.display(),
                summary.packets,
                summary.seconds,
                summary
                    .dropped
                    .filter(|d| *d > 0)
                    .map(|d| format!(", {d} dropped by the OS"))
                    .unwrap_or_default(),
                summary.method
            );
            println!("facts:   {}", summary.facts.display());
            println!(
                "open both: callscope analyze {} --facts {}  (or drop both files on the page)",
                summary.capture.display(),
                summary.facts.display()
            );
            ExitCode::SUCCESS
        }
        Err(Error::Privileges(why)) => {
            eprintln!("callscope: {why}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("callscope: {e}");
            ExitCode::from(1)
        }
    }
}
