//! # callscope-facts
//!
//! The host facts model (`facts.json`, schema "callscope.facts/1") and address classes: what the
//! collector writes, the analysis reads to attribute flows to processes, and the page reads from a
//! dropped file. Its own crate so that each of them shares these types without depending on the
//! others (the collector does not need the analyzer). Nothing here touches the OS, and it builds
//! for `wasm32`.
//!
//! `callscope collect` and `callscope capture` write a [`Facts`]: interfaces, routes and every
//! TCP/UDP socket with its owning process, as the host saw them.
#![warn(missing_docs)]

pub mod addr;

use serde::{Deserialize, Serialize};

/// Version of the `facts.json` contract; bumped on a breaking change.
pub const SCHEMA: &str = "callscope.facts/1";

/// What one host looked like at one moment (or, after a capture, over its duration).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The machine.
    pub host: Host,
    /// When the facts were read, seconds since the Unix epoch.
    pub time_unix: f64,
    /// For merged facts (a capture's start and end): when the first snapshot was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_unix: Option<f64>,
    /// Network interfaces, in index order.
    #[serde(default)]
    pub interfaces: Vec<Interface>,
    /// Routing table entries, IPv4 then IPv6.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// TCP and UDP sockets, with their owners where they could be seen.
    #[serde(default)]
    pub sockets: Vec<Socket>,
    /// What could not be seen, and why (e.g. other users' processes without privileges).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The machine the facts describe.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// Host name.
    pub hostname: String,
    /// `linux`, `macos`, …
    pub os: String,
    /// Kernel or OS release, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// The collector: `callscope VERSION`.
    pub collector: String,
    /// Whether the collector ran with privileges (root): without them, other users' sockets
    /// have no owner.
    pub privileged: bool,
}

/// One interface, in the words `ifconfig` uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interface {
    /// `en0`, `lo`, `ipsec0`, `pdp_ip0`, `utun3`.
    pub name: String,
    /// Interface index.
    pub index: u32,
    /// `ethernet`, `wifi`, `loopback`, `tunnel`, `cellular`, `bridge` or `other`.
    pub kind: String,
    /// Flag names as ifconfig prints them: `UP`, `POINTOPOINT`, `RUNNING`, `MULTICAST`.
    pub flags: Vec<String>,
    /// The flags' numeric value (the OS's own bit values).
    pub flags_value: u32,
    /// MTU, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    /// Hardware address `aa:bb:cc:dd:ee:ff`, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// IPv4 and IPv6 addresses.
    #[serde(default)]
    pub addresses: Vec<Address>,
    /// The default route in effect (for either family) leaves through this interface.
    pub default_route: bool,
    /// The process that holds the interface's kernel control socket (macOS: the
    /// `com.apple.net.ipsec_control` or `utun_control` unit behind `ipsecN`/`utunN`), that is,
    /// who made the tunnel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Holder>,
}

/// One address of an interface.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    /// `ipv4` or `ipv6`.
    pub family: String,
    /// The address, without prefix or zone.
    pub addr: String,
    /// Prefix length.
    pub prefix: u8,
    /// `host`, `link`, `site` or `global` (multicast: its own scope).
    pub scope: String,
    /// RFC 6890 class, as the report's endpoints: `private`, `cgnat`, `ula`, `global`, …
    pub class: String,
    /// The far end of a point-to-point link, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// Broadcast address (IPv4), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<String>,
}

/// One routing table entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// `ipv4` or `ipv6`.
    pub family: String,
    /// Destination with prefix, `0.0.0.0/0`, `192.0.2.0/24`, `::/0`.
    pub destination: String,
    /// Next hop, when the route has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// Outgoing interface.
    pub interface: String,
    /// Flag names (`UP`, `GATEWAY`, `HOST`, `STATIC`, …).
    pub flags: Vec<String>,
    /// Metric, when the OS has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<u32>,
    /// The default route in effect for its family (destination /0, unscoped, in the main
    /// table): at most one per family is marked.
    pub default: bool,
    /// Bound to its interface (macOS flag `I`: an interface-scoped route, used only by traffic
    /// already bound to that interface), so not the system's default even when it is a /0.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scoped: bool,
    /// The routing table it is in, when not the main one (Linux policy routing: `51820`, `local`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
}

/// One TCP or UDP socket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Socket {
    /// `tcp` or `udp`.
    pub protocol: String,
    /// Local address, `1.2.3.4:5060` / `[fd00::1]:5060` (as the report prints addresses).
    pub local: String,
    /// Remote address, when connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// TCP state (`LISTEN`, `ESTABLISHED`, …); UDP `UNCONN` or `CONNECTED`.
    pub state: String,
    /// Owning process id, when it could be seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Owning process name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// Its executable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The user owning the socket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Numeric user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Why the owner is unknown, when it is (e.g. "other user's process; needs root").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
    /// The owner's command line, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The process the socket acts for, when another one owns it (macOS `so_e_pid`: an app
    /// behind a daemon's delegated socket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_pid: Option<u32>,
    /// That process's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_process: Option<String>,
    /// Further processes holding the same socket (inherited descriptors), as `ss -p` lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_with: Vec<Holder>,
    /// When the socket was first seen open (Unix seconds), for sockets sampled during a
    /// capture; absent for a single snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<f64>,
    /// When it was last seen open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<f64>,
}

/// A process holding a socket or an interface.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Holder {
    /// Process id.
    pub pid: u32,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// Its command line, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// Why a `facts.json` could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FactsError {
    /// A facts file of another version (or not a facts file at all).
    #[error("facts schema {found:?} is not {SCHEMA:?}")]
    Schema {
        /// The schema the file names.
        found: String,
    },
}

impl Facts {
    /// Checks that deserialized facts are of this version (callers parse the JSON themselves
    /// with `serde_json`, which this crate does not depend on).
    pub fn check(&self) -> Result<(), FactsError> {
        if self.schema == SCHEMA {
            Ok(())
        } else {
            Err(FactsError::Schema {
                found: self.schema.clone(),
            })
        }
    }
}
