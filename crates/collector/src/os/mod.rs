//! The OS side: one module per platform, each exporting the same functions (`host`,
//! `interfaces`, `routes`, `sockets`, `capture`); `cfg` picks one, and nothing outside this
//! folder knows which.

#[cfg(target_os = "linux")]
mod libpcap;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
pub use macos::*;

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod unsupported;
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub use unsupported::*;
