//! `callscope capture`: a pcapng capture of one or more interfaces with `facts.json` written
//! beside it when the capture starts and again when it ends. Between the two the socket table
//! is sampled every second; the end facts list every socket seen, with when it was first and
//! last open, so every flow in the file can be attributed to the process that held its port at
//! the time, even one that closed before the end.
//!
//! Linux captures through libpcap (one thread per interface feeding one writer, one IDB per
//! interface); macOS runs the system tcpdump on the `pktap` pseudo-interface with `-P` so the
//! file carries Apple's per-packet process metadata, which wins over facts in attribution.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::sampler::Sampler;
use crate::{collect, os, Error, Facts};

/// The kernel buffer a capture asks for by default: tcpdump's is 2 MiB; a burst of 20,000 small
/// datagrams on `lo` needs about 10 MiB of ring.
pub const DEFAULT_BUFFER_MIB: u32 = 32;

/// Name of the capture file inside the output folder.
pub const CAPTURE_FILE: &str = "capture.pcapng";
/// Name of the facts file inside the output folder.
pub const FACTS_FILE: &str = "facts.json";

/// What to capture.
#[derive(Debug, Clone)]
pub struct Options {
    /// Interfaces (`lo`, `en0`, `ipsec0`, …).
    pub interfaces: Vec<String>,
    /// Stop after this long; `None` runs until stopped.
    pub duration: Option<Duration>,
    /// A libpcap filter expression.
    pub filter: Option<String>,
    /// Bytes kept per packet.
    pub snaplen: u32,
    /// The kernel's capture buffer per interface, MiB (tcpdump's `-B`, in MiB rather than KiB).
    pub buffer_mib: u32,
    /// Output folder (created when missing).
    pub dir: PathBuf,
}

/// What the capture produced.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The pcapng file.
    pub capture: PathBuf,
    /// The facts file.
    pub facts: PathBuf,
    /// Packets written.
    pub packets: u64,
    /// Packets the OS dropped (buffers full), when it says.
    pub dropped: Option<u64>,
    /// Seconds the capture ran.
    pub seconds: f64,
    /// How it was recorded (`libpcap`, `tcpdump -i pktap,…`).
    pub method: String,
}

/// What the OS capture reports back.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Packets written to the file.
    pub packets: u64,
    /// Packets dropped, when known.
    pub dropped: Option<u64>,
    /// How the capture was made.
    pub method: String,
}

/// Records until `opts.duration` passes or `stop` becomes true (Ctrl-C, SIGTERM, SIGHUP), then
/// flushes the file and writes the end facts. `started` is called once every interface is open
/// and the file's header is on disk. A capture that fails to open leaves nothing behind (the
/// files it made, and the folder if it made it, are removed); one that fails later keeps the
/// packets it wrote.
pub fn run(opts: &Options, stop: &AtomicBool, started: &mut dyn FnMut()) -> Result<Summary, Error> {
    check(opts)?;
    let made_dir = !opts.dir.exists();
    fs::create_dir_all(&opts.dir)
        .map_err(|e| Error::io(format!("creating {}", opts.dir.display()), e))?;
    let capture = opts.dir.join(CAPTURE_FILE);
    let facts_path = opts.dir.join(FACTS_FILE);
    let mut opened = false;
    let mut on_start = || {
        opened = true;
        started();
    };
    let result = record(opts, stop, &mut on_start, &capture, &facts_path);
    // A capture that never opened leaves nothing; one that failed later keeps what it recorded.
    if result.is_err() && !opened {
        let _ = fs::remove_file(&capture);
        let _ = fs::remove_file(&facts_path);
        if made_dir {
            let _ = fs::remove_dir(&opts.dir);
        }
    }
    result
}

/// The interfaces a capture may name besides the host's own (Linux's all-interfaces device).
const PSEUDO_INTERFACES: [&str; 1] = ["any"];

/// Refuses what cannot be captured before anything is made: no interface, one named twice, one
/// this host does not have.
fn check(opts: &Options) -> Result<(), Error> {
    if opts.interfaces.is_empty() {
        return Err(Error::Capture("name at least one interface (-i)".into()));
    }
    for (i, name) in opts.interfaces.iter().enumerate() {
        if opts.interfaces[..i].contains(name) {
            return Err(Error::Capture(format!(
                "-i {name} is given twice: each interface is captured once"
            )));
        }
    }
    if let Ok(have) = os::interface_names() {
        let names: Vec<&str> = have.iter().map(String::as_str).collect();
        if let Some(missing) = opts
            .interfaces
            .iter()
            .find(|n| !names.contains(&n.as_str()) && !PSEUDO_INTERFACES.contains(&n.as_str()))
        {
            return Err(Error::Capture(format!(
                "there is no interface {missing} on this host (it has {})",
                names.join(", ")
            )));
        }
    }
    Ok(())
}

/// How often the socket table is sampled while capturing.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);

fn record(
    opts: &Options,
    stop: &AtomicBool,
    started: &mut dyn FnMut(),
    capture: &Path,
    facts_path: &Path,
) -> Result<Summary, Error> {
    let sampler = Mutex::new(Sampler::default());
    let capturing = AtomicBool::new(true);
    let mut start: Option<Facts> = None;
    let mut started_at = None;
    let counts = std::thread::scope(|scope| {
        let counts = os::capture(opts, capture, stop, &mut || {
            let facts = collect();
            write_facts(facts_path, &facts)?;
            lock(&sampler).add(facts.sockets.clone(), facts.time_unix);
            start = Some(facts);
            started_at = Some(std::time::Instant::now());
            started();
            // Sockets that open and close during the capture: sampled until it ends.
            scope.spawn(|| sample(&sampler, &capturing));
            Ok(())
        });
        capturing.store(false, Ordering::Relaxed);
        counts
    })?;
    let seconds = started_at.map(|t| t.elapsed().as_secs_f64()).unwrap_or(0.0);
    let mut end = collect();
    let mut sampler = sampler.into_inner().unwrap_or_else(PoisonError::into_inner);
    sampler.add(std::mem::take(&mut end.sockets), end.time_unix);
    if sampler.dropped > 0 {
        end.notes.push(format!(
            "{} sockets seen during the capture were not kept (at most {} are)",
            sampler.dropped,
            crate::sampler::MAX_SOCKETS
        ));
    }
    end.sockets = sampler.into_sockets();
    end.since_unix = start.as_ref().map(|s| s.time_unix);
    write_facts(facts_path, &end)?;
    Ok(Summary {
        capture: capture.to_owned(),
        facts: facts_path.to_owned(),
        packets: counts.packets,
        dropped: counts.dropped,
        seconds,
        method: counts.method,
    })
}

fn lock(sampler: &Mutex<Sampler>) -> std::sync::MutexGuard<'_, Sampler> {
    sampler.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Adds the socket table to `sampler` every [`SAMPLE_EVERY`] while `capturing`.
fn sample(sampler: &Mutex<Sampler>, capturing: &AtomicBool) {
    let mut last = std::time::Instant::now();
    while capturing.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
        if last.elapsed() < SAMPLE_EVERY {
            continue;
        }
        last = std::time::Instant::now();
        let mut notes = Vec::new();
        if let Ok(sockets) = os::sockets(&mut notes) {
            lock(sampler).add(sockets, crate::now_unix());
        }
    }
}

/// Writes facts as pretty JSON (via a temporary file beside it, so a reader never sees half of
/// it; the temporary file never outlives a failure).
pub fn write_facts(path: &Path, facts: &Facts) -> Result<(), Error> {
    if path.is_dir() {
        return Err(Error::Capture(format!(
            "{} is a folder: name the file to write (e.g. {})",
            path.display(),
            path.join("facts.json").display()
        )));
    }
    let text = serde_json::to_string_pretty(facts)
        .map_err(|e| Error::io("serializing facts", e.into()))?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    let tmp = path.with_file_name(name);
    let written = fs::write(&tmp, text + "\n").and_then(|()| fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io(format!("writing {}", path.display()), e)
    })
}

/// The message for a capture refused for lack of privileges.
pub(crate) fn privileges_message(interface: &str, said: &str) -> String {
    format!(
        "capturing on {interface} needs privileges this process does not have: run it as root \
         (sudo callscope capture …){} ({said})",
        if cfg!(target_os = "linux") {
            ", or give the binary CAP_NET_RAW and CAP_NET_ADMIN \
             (sudo setcap cap_net_raw,cap_net_admin=eip \"$(command -v callscope)\")"
        } else {
            ""
        }
    )
}

/// Whether an error text from libpcap or tcpdump means "not allowed".
pub(crate) fn is_permission_error(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("permission") || t.contains("not permitted") || t.contains("operation not permitted")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn permission_errors_are_recognised() {
        assert!(is_permission_error(
            "lo: You don't have permission to perform this capture on that device (socket: Operation not permitted)"
        ));
        assert!(is_permission_error(
            "tcpdump: (cannot open BPF device) /dev/bpf0: Permission denied"
        ));
        assert!(!is_permission_error("No such device exists"));
        assert!(privileges_message("lo", "x").contains("root"));
    }

    #[test]
    fn no_interface_is_an_error() {
        let opts = Options {
            interfaces: vec![],
            duration: None,
            filter: None,
            snaplen: 65535,
            buffer_mib: DEFAULT_BUFFER_MIB,
            dir: std::env::temp_dir(),
        };
        assert!(matches!(
            run(&opts, &AtomicBool::new(false), &mut || {}),
            Err(Error::Capture(_))
        ));
    }
}
