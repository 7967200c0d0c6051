//! The streaming [`Analyzer`]: capture bytes through the reader into the frame stage
//! ([`crate::frame_stage`]), and the report out.

use callscope_wire::{ReadError, Reader};

use crate::frame_stage::FrameStage;
use crate::report::Report;
use crate::Options;

/// A cheap summary of progress so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes fed (compressed, if the file is).
    pub bytes_fed: u64,
    /// Packets read.
    pub packets: u64,
    /// Flows tracked.
    pub flows: u64,
    /// Calls, RTP streams and IKE tunnels so far, when the protocol stage runs on this thread
    /// (the page's worker); None when it runs on its own.
    pub found: Option<Found>,
}

/// What the protocol analyzers have found so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Found {
    /// SIP calls.
    pub calls: u64,
    /// RTP streams.
    pub streams: u64,
    /// IKE tunnels.
    pub tunnels: u64,
}

/// The streaming analyzer. See the crate docs.
pub struct Analyzer {
    reader: Reader,
    state: FrameStage,
    bytes_fed: u64,
}

impl Analyzer {
    /// A new analysis with the given bounds.
    pub fn new(options: Options) -> Self {
        Analyzer {
            reader: Reader::new(),
            state: FrameStage::new(&options),
            bytes_fed: 0,
        }
    }

    /// Feeds the next bytes of the capture file, in chunks of any size.
    ///
    /// An error means the file cannot be read (any further): not a capture, or framing broken
    /// beyond recovery. What was read before still makes it into [`Analyzer::finish`]'s report.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), ReadError> {
        self.bytes_fed += chunk.len() as u64;
        let state = &mut self.state;
        self.reader.push(chunk, &mut |frame| state.on_frame(frame))
    }

    /// Progress so far.
    pub fn snapshot(&self) -> Progress {
        Progress {
            bytes_fed: self.bytes_fed,
            packets: self.state.packets(),
            flows: self.state.flows() as u64,
            found: self.state.found(),
        }
    }

    /// Ends the input and builds the report.
    pub fn finish(mut self) -> Report {
        let ending = self.reader.finish();
        self.state.finish(self.reader.stats(), ending)
    }
}
