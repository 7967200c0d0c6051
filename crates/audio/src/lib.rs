//! # callscope-audio
//!
//! A call's or a stream's audio, decoded from the capture in a second pass (nothing is kept
//! from the first): the RTP packets of the requested streams are collected ([`collect`]),
//! scheduled as a listener's fixed jitter buffer would play them or as they were captured
//! ([`schedule`]), decoded and placed on one timeline per channel ([`render`]), and written as a
//! WAV file ([`wav`]). Both directions of a call become one stereo file, caller left, aligned on
//! capture time; lost and late packets are silence of their length, and marked.
//!
//! The CLI (`analyze --call ID --wav OUT`) and the page's worker run the same code, so their
//! files are equal byte for byte.

pub mod codecs;
pub mod collect;
pub mod from_report;
#[cfg(feature = "testing")]
pub mod fuzzing;
pub mod render;
pub mod request;
pub mod schedule;
pub mod wav;
pub mod waveform;

use serde::{Deserialize, Serialize};

use callscope_wire::capture::Ending;
use callscope_wire::ReadError;

pub use request::{Channel, Mode, PayloadType, Request, Track, DEFAULT_MAX_SECONDS};

/// What a mark on the timeline says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkKind {
    /// Packets that never arrived.
    Lost,
    /// A packet the jitter buffer discarded as late.
    Late,
    /// A packet with the marker bit (a talkspurt's start).
    Marker,
}

/// A mark on a channel's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// What happened.
    pub kind: MarkKind,
    /// Where, seconds from the audio's start.
    pub t: f64,
    /// For how long (seconds; 0 where nothing was silenced).
    pub duration: f64,
    /// Packets concerned.
    pub packets: u64,
}

/// One stream of a channel.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackSummary {
    /// Source address.
    pub src: String,
    /// Destination address.
    pub dst: String,
    /// SSRC, `0x` + 8 hex digits.
    pub ssrc: String,
    /// Payload type names seen.
    pub codecs: Vec<String>,
    /// Packets read from the capture.
    pub packets: u64,
    /// Packets decoded into the audio.
    pub played: u64,
    /// Packets the jitter buffer discarded as late.
    pub late: u64,
    /// Packets never received.
    pub lost: u64,
    /// Copies of a packet already received.
    pub duplicates: u64,
    /// Packets of types no decoder plays.
    pub unplayable: u64,
    /// Packets their decoder refused.
    pub undecodable: u64,
    /// Why nothing of the stream could be played, when nothing was.
    pub not_playable: Option<String>,
}

/// One channel's story.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelSummary {
    /// What it is (`caller → callee`).
    pub label: String,
    /// Its streams.
    pub tracks: Vec<TrackSummary>,
    /// Losses, late packets and markers, in time order (at most [`render::MAX_MARKS`]).
    pub marks: Vec<Mark>,
    /// Marks beyond that bound.
    pub marks_dropped: u64,
}

/// What was decoded, without the samples (the page draws from it; the CLI prints it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Samples per second.
    pub sample_rate: u32,
    /// Samples per channel.
    pub samples: u64,
    /// `samples / sample_rate`.
    pub duration: f64,
    /// Where the audio starts, seconds since the capture's first packet (the report's clock).
    pub start: f64,
    /// How packets became sound.
    pub mode: Mode,
    /// The bound on the audio (seconds).
    pub max_seconds: f64,
    /// Whether audio past the bound was cut.
    pub cut: bool,
    /// Why, in words, when it was.
    pub cut_why: Option<String>,
    /// The channels (left, right).
    pub channels: Vec<ChannelSummary>,
    /// Frames read.
    pub frames: u64,
    /// How reading ended, when not cleanly.
    pub reading: Option<String>,
}

/// Decoded audio.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// What it is.
    pub summary: Summary,
    /// The samples, one vector per channel, all of `summary.samples`.
    pub channels: Vec<Vec<i16>>,
}

impl Audio {
    /// The audio as a 16-bit PCM WAV file.
    pub fn wav(&self) -> Vec<u8> {
        wav::write(&self.channels, self.summary.sample_rate)
    }
}

/// Decodes a request's streams while the capture is fed in chunks.
pub struct Decoder {
    request: Request,
    collector: collect::Collector,
}

impl Decoder {
    /// A decoder for `request`.
    pub fn new(request: Request) -> Decoder {
        let collector = collect::Collector::new(&request);
        Decoder { request, collector }
    }

    /// Reads the next bytes of the capture. On an error, reading stops; [`Decoder::finish`]
    /// still gives the audio of what was read.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), ReadError> {
        self.collector.feed(chunk)
    }

    /// Frames read so far.
    pub fn frames(&self) -> u64 {
        self.collector.frames
    }

    /// Decodes what was collected.
    pub fn finish(mut self) -> Audio {
        let reading = match self.collector.finish() {
            Ending::Clean => None,
            Ending::Truncated { detail } => Some(format!("the capture is cut short: {detail}")),
            Ending::Stopped(e) => Some(format!("reading stopped: {e}")),
        };
        let request = &self.request;
        let received = &self.collector.received;
        let rate = render::output_rate(request, received);
        let (plans, start_ms) = render::plan_all(request, received);
        let start_ms = start_ms.unwrap_or(0.0);
        let cap = (request.max_seconds.max(0.0) * f64::from(rate)) as usize;
        let mut cut = self.collector.beyond_time > 0;
        let mut channels = Vec::new();
        let mut summaries = Vec::new();
        for ((ch, packets), plans) in request.channels.iter().zip(received).zip(&plans) {
            let (r, c) = render::channel(
                &ch.label,
                &ch.tracks,
                packets,
                plans,
                request.mode,
                (rate, start_ms, cap),
            );
            cut |= c;
            channels.push(r.samples);
            summaries.push(r.summary);
        }
        let cut_why = if self.collector.beyond_bytes > 0 {
            Some(format!(
                "{} packets past {} MB of RTP payload were not decoded",
                self.collector.beyond_bytes,
                collect::MAX_PAYLOAD_BYTES >> 20
            ))
        } else if cut {
            Some(format!("audio past {} s was cut", request.max_seconds))
        } else {
            None
        };
        let cut = cut_why.is_some();
        let n = channels.iter().map(Vec::len).max().unwrap_or(0);
        for c in &mut channels {
            c.resize(n, 0);
        }
        Audio {
            summary: Summary {
                sample_rate: rate,
                samples: n as u64,
                duration: n as f64 / f64::from(rate),
                start: start_ms / 1000.0,
                mode: request.mode,
                max_seconds: request.max_seconds,
                cut,
                cut_why,
                channels: summaries,
                frames: self.collector.frames,
                reading,
            },
            channels,
        }
    }
}
