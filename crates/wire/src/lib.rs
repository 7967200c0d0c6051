//! # callscope-wire
//!
//! Bytes in, typed values out. This crate knows the capture file formats (pcap, pcapng, gzip around
//! either), the link layers a Mac or Linux tcpdump writes (Ethernet, NULL/LOOP, RAW, SLL, SLL2,
//! PKTAP) and the IP and transport headers underneath them.
//!
//! It is **not** where meaning lives: it keeps no state between packets (apart from the capture
//! reader's own buffering), does no I/O and has no platform code, so it builds for `wasm32`. Flows,
//! reassembly, statistics and verdicts belong to `callscope-analysis`.
//!
//! Decoding is lax: every layer that decoded is kept, together with where and why decoding stopped.
//! Nothing here panics on any input, and nothing allocates by a size that the input merely claims.
#![warn(missing_docs)]

pub mod bytes;
pub mod capture;
pub mod der;
pub mod dns;
pub mod esp;
#[cfg(feature = "testing")]
pub mod fuzzing;
pub mod ike;
pub mod link;
pub mod megaco;
pub mod net;
pub mod quic;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod sip;
pub mod stun;
pub mod telephone_event;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text;
pub mod tls;

pub use capture::{CaptureFormat, Direction, Frame, ProcessInfo, ReadError, Reader};
pub use link::{LinkLayer, LinkType};
