//! # callscope-collector
//!
//! What the host itself knows and a capture file does not: which interfaces exist and what they
//! are (flags in `ifconfig`'s words, MTU, addresses with scope and RFC 6890 class), where the
//! default routes go (several when a VPN claims one), and which process owns each TCP and UDP
//! socket. [`collect`] gathers these as [`Facts`] (the `facts.json` model shared with the page)
//! and needs no privileges: what cannot be seen without them is said in [`Facts::notes`] and on
//! each socket, never silently left out. [`capture::run`] records a pcapng capture with a
//! `facts.json` beside it, so the page and `callscope analyze --facts` can name the process
//! behind each flow.
//!
//! This replaces `ifconfig`, `netstat -rn`, `lsof -i`, `ps` and `tcpdump -w` for one question.
//! It is not a decoder (that is `callscope-analysis`) and has no user interface (that is the
//! `callscope` binary).
//!
//! OS access lives in `os/{linux,macos,unsupported}.rs`, each exporting the same functions and
//! chosen by `cfg`; the parsers and tables they use ([`names`], [`procfs`], [`macos_text`],
//! [`pcapng`]) are platform-free and tested on every machine.

use std::time::{SystemTime, UNIX_EPOCH};

pub use callscope_facts::{self as facts, Facts};
/// The pcapng writer `capture` records with (shared with the page's filtered-capture exports).
pub use callscope_wire::capture::write as pcapng;

pub mod capture;
pub mod linux_policy_routes;
pub mod macos_netstat;
pub mod macos_sockets;
pub mod macos_text;
pub mod macos_tunnels;
pub mod names;
mod os;
pub mod procfs;

pub use os::return_freed_large_blocks;
pub mod sampler;

/// Why collecting or capturing failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The operation needs privileges this process lacks; the text says which and how.
    #[error("{0}")]
    Privileges(String),
    /// Capturing failed for another reason (no such interface, a bad filter, …).
    #[error("{0}")]
    Capture(String),
    /// Not available on this OS.
    #[error("{0} is not supported on this OS")]
    Unsupported(&'static str),
}

impl Error {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The collector's name and version, recorded in facts and captures.
pub fn collector_name() -> String {
    format!("callscope {}", env!("CARGO_PKG_VERSION"))
}

/// Reads interfaces, routes and sockets. Never fails as a whole: a part that could not be read
/// is left empty with a note saying why.
pub fn collect() -> Facts {
    let mut notes = Vec::new();
    let host = os::host();
    let mut interfaces = os::interfaces().unwrap_or_else(|e| {
        notes.push(format!("interfaces could not be read: {e}"));
        Vec::new()
    });
    let routes = os::routes().unwrap_or_else(|e| {
        notes.push(format!("routes could not be read: {e}"));
        Vec::new()
    });
    let sockets = os::sockets(&mut notes).unwrap_or_else(|e| {
        notes.push(format!("sockets could not be read: {e}"));
        Vec::new()
    });
    for i in interfaces.iter_mut() {
        i.default_route = routes.iter().any(|r| r.default && r.interface == i.name);
    }
    Facts {
        schema: facts::SCHEMA.to_owned(),
        host,
        time_unix: now_unix(),
        since_unix: None,
        interfaces,
        routes,
        sockets,
        notes,
    }
}
