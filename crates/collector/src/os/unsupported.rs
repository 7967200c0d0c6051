//! Platforms without a collector yet: facts say so, capture refuses.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use callscope_facts::{Host, Interface, Route, Socket};

use crate::capture::{Counts, Options};
use crate::Error;

/// The machine, as far as std can tell.
pub fn host() -> Host {
    Host {
        hostname: String::new(),
        os: std::env::consts::OS.to_owned(),
        release: None,
        collector: crate::collector_name(),
        privileged: false,
    }
}

/// Not available here.
pub fn interfaces() -> Result<Vec<Interface>, Error> {
    Err(Error::Unsupported("reading interfaces"))
}

/// Not available here.
pub fn interface_names() -> Result<Vec<String>, Error> {
    Err(Error::Unsupported("reading interfaces"))
}

/// Not available here.
pub fn routes() -> Result<Vec<Route>, Error> {
    Err(Error::Unsupported("reading routes"))
}

/// Not available here.
pub fn sockets(_notes: &mut Vec<String>) -> Result<Vec<Socket>, Error> {
    Err(Error::Unsupported("reading sockets"))
}

/// Not available here.
pub fn capture(
    _opts: &Options,
    _file: &Path,
    _stop: &AtomicBool,
    _started: &mut dyn FnMut() -> Result<(), Error>,
) -> Result<Counts, Error> {
    Err(Error::Unsupported("live capture"))
}

/// Makes the allocator give large freed blocks back to the system (only glibc needs telling).
pub fn return_freed_large_blocks() {}
