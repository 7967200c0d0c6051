//! What to decode: one or two channels (a call's two directions, caller left), each made of the
//! RTP streams heard on it. Built from the report by `callscope_view::audio`; serializable, since
//! the page hands it to its worker as JSON.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// How packets become sound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// As a listener heard it: the fixed jitter buffer of the quality estimate plays each
    /// packet at its media time; lost and late packets are silence of their length.
    #[default]
    Buffer,
    /// As captured: every packet, in arrival order, from its arrival time (or right after the
    /// previous one when they overlap).
    Captured,
}

impl Mode {
    /// The mode's name in text and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Buffer => "buffer",
            Mode::Captured => "captured",
        }
    }
}

/// One payload type of a stream, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadType {
    /// Number.
    pub pt: u8,
    /// Encoding name (`g711U`, `PCMA`, `G722`, `opus`, `telephone-event`, …).
    pub name: String,
    /// RTP clock (Hz; 0 when unknown).
    pub clock: u32,
}

/// One RTP stream to decode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track {
    /// Where it came from.
    pub src: SocketAddr,
    /// Where it went.
    pub dst: SocketAddr,
    /// Its SSRC.
    pub ssrc: u32,
    /// Its payload types.
    pub payload_types: Vec<PayloadType>,
    /// Encrypted (SRTP): listed, not played.
    #[serde(default)]
    pub srtp: bool,
}

/// One output channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// What it is (`caller → callee`, a stream's addresses).
    pub label: String,
    /// Its streams.
    pub tracks: Vec<Track>,
}

/// Default bound on the audio written: one hour.
pub const DEFAULT_MAX_SECONDS: f64 = 3600.0;

/// A decoding request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// One channel (a stream) or two (a call: caller left, callee right).
    pub channels: Vec<Channel>,
    /// How packets become sound.
    #[serde(default)]
    pub mode: Mode,
    /// Audio written at most (seconds); what follows is cut, and the summary says so.
    #[serde(default = "default_max")]
    pub max_seconds: f64,
}

fn default_max() -> f64 {
    DEFAULT_MAX_SECONDS
}

impl Request {
    /// A request for `channels` in the default mode and bound.
    pub fn new(channels: Vec<Channel>) -> Request {
        Request {
            channels,
            mode: Mode::default(),
            max_seconds: DEFAULT_MAX_SECONDS,
        }
    }

    /// Whether there is nothing to decode.
    pub fn is_empty(&self) -> bool {
        self.channels.iter().all(|c| c.tracks.is_empty())
    }
}
