//! Capture files, read push-style: hand the [`Reader`] bytes in chunks of any size (down to one
//! byte) and it calls back once per complete packet record.
//!
//! The format is sniffed from the first bytes: pcap (either byte order, µs or ns timestamps), pcapng
//! (any number of sections and interfaces), and either of those inside gzip. Memory stays bounded by
//! the largest record the limits allow, whatever sizes the file claims.

mod gzip;
mod pcap;
mod pcapng;
pub mod write;

use gzip::Gunzip;

/// Largest packet record we accept (tshark's `WTAP_MAX_PACKET_SIZE_STANDARD`). A record claiming
/// more is an error for that record, never an allocation.
pub const MAX_PACKET_LEN: u32 = 262_144;
/// Bytes copied at a time while completing a record that straddles two chunks.
const STRADDLE_PIECE: usize = 64 * 1024;
/// Largest pcapng block we accept: a packet at [`MAX_PACKET_LEN`] plus generous room for options.
pub const MAX_BLOCK_LEN: u32 = 16 * 1024 * 1024;

/// The container the packets came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap file (`tcpdump -w`).
    Pcap {
        /// The file was written big-endian.
        big_endian: bool,
        /// Timestamps carry nanoseconds (magic 0xa1b23c4d) rather than microseconds.
        nanosecond: bool,
    },
    /// pcapng (`tcpdump -w` on macOS, Wireshark, `editcap -F pcapng`).
    Pcapng,
}

impl CaptureFormat {
    /// A short name for reports: `pcap`, `pcap-ns`, `pcapng`.
    pub fn name(&self) -> &'static str {
        match self {
            CaptureFormat::Pcap {
                nanosecond: false, ..
            } => "pcap",
            CaptureFormat::Pcap {
                nanosecond: true, ..
            } => "pcap-ns",
            CaptureFormat::Pcapng => "pcapng",
        }
    }
}

/// Which way a packet went, when the capture says (pcapng `epb_flags` bits 0–1, or PKTAP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Not recorded.
    #[default]
    Unknown,
    /// Received by the capturing host.
    Inbound,
    /// Sent by the capturing host.
    Outbound,
}

/// A process named by the capture itself: an Apple process information block (pcapng block type
/// 0x80000001) or a PKTAP header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: u32,
    /// Command name (PIB option 2, PKTAP `pth_comm`).
    pub name: String,
    /// Executable path (PIB option 3), when recorded.
    pub path: Option<String>,
    /// Executable UUID (PIB option 4), lowercase hex, when recorded.
    pub uuid: Option<String>,
}

/// One packet record, borrowed from the reader's buffer for the duration of the callback.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// 1-based record number, as tshark numbers frames.
    pub index: u64,
    /// Capture time in nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// Interface number within the file (pcapng IDB order across all sections; 0 for pcap).
    pub interface: u32,
    /// The interface's link type (LINKTYPE_* value).
    pub link_type: u32,
    /// Captured bytes (`caplen` of them).
    pub data: &'a [u8],
    /// Length of the packet on the wire.
    pub orig_len: u32,
    /// Process that sent or received the packet (Apple EPB option 0x8001).
    pub process: Option<&'a ProcessInfo>,
    /// Effective process (Apple EPB option 0x8003), e.g. the app a daemon acted for.
    pub effective_process: Option<&'a ProcessInfo>,
    /// Direction, when recorded.
    pub direction: Direction,
}

/// An interface as the capture describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// LINKTYPE_* value.
    pub link_type: u32,
    /// `if_name`, when recorded.
    pub name: Option<String>,
    /// Snapshot length (0 = unlimited).
    pub snaplen: u32,
}

/// Why the file cannot be read at all (or any further).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// No input at all.
    #[error("the file is empty")]
    Empty,
    /// The first bytes are no capture format we know.
    #[error("not a capture file: unknown magic {magic} (expected pcap, pcapng or gzip)")]
    BadMagic {
        /// The first bytes, as hex.
        magic: String,
    },
    /// The file ends before its header is complete.
    #[error("the file ends inside its {what} header ({have} of {need} bytes)")]
    ShortHeader {
        /// Which header.
        what: &'static str,
        /// Bytes present.
        have: usize,
        /// Bytes required.
        need: usize,
    },
    /// A record's framing is broken beyond recovery; records before it were read.
    #[error("record {record} at byte {offset}: {reason}")]
    BadRecord {
        /// 1-based record (pcap) or block (pcapng) number.
        record: u64,
        /// Byte offset in the (decompressed) file.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The gzip stream is corrupt.
    #[error("gzip: {0}")]
    Gzip(String),
    /// A gzip file inside a gzip file: only one layer is decompressed.
    #[error("not a capture file: a gzip file inside a gzip file (decompress the outer one first)")]
    NestedGzip,
}

/// What the reader saw, for the report's `capture` section.
#[derive(Debug, Clone, Default)]
pub struct ReaderStats {
    /// Format, once sniffed.
    pub format: Option<CaptureFormat>,
    /// Whether the file was gzip-compressed.
    pub gzip: bool,
    /// Packet records delivered.
    pub records: u64,
    /// Records or blocks that were malformed but skippable (counted, not delivered).
    pub malformed_records: u64,
    /// Why, by distinct reason (at most [`MAX_REASONS`]): (reason, count, and the frame number
    /// the first one would have had).
    pub malformed_reasons: Vec<(String, u64, u64)>,
    /// Interfaces in file order (pcapng IDBs across sections; one for pcap).
    pub interfaces: Vec<InterfaceInfo>,
    /// Records whose caplen exceeded the interface's snaplen (accepted, as tshark does).
    pub caplen_over_snaplen: u64,
    /// Bytes of (decompressed) input consumed.
    pub bytes: u64,
}

/// Distinct malformed-record reasons kept.
pub const MAX_REASONS: usize = 16;

impl ReaderStats {
    /// Counts a malformed record or block and why.
    pub(crate) fn malformed(&mut self, reason: &str) {
        self.malformed_records += 1;
        let at = self.records + 1;
        if let Some(r) = self.malformed_reasons.iter_mut().find(|r| r.0 == reason) {
            r.1 += 1;
        } else if self.malformed_reasons.len() < MAX_REASONS {
            self.malformed_reasons.push((reason.to_owned(), 1, at));
        }
    }
}

/// How reading ended, from [`Reader::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The file ended on a record boundary.
    Clean,
    /// The file ended inside a record: everything before it was delivered.
    Truncated {
        /// What was incomplete.
        detail: String,
    },
    /// Reading stopped earlier on an error (see [`Reader::push`]); records before it were delivered.
    Stopped(ReadError),
}

enum Format {
    Sniffing,
    Pcap(pcap::PcapState),
    Pcapng(pcapng::PcapngState),
    Failed(ReadError),
}

/// The push-based capture reader. Feed it with [`Reader::push`], end with [`Reader::finish`].
pub struct Reader {
    gunzip: Option<Gunzip>,
    sniffed_gzip: bool,
    format: Format,
    /// Bytes received but not yet consumed; `buf[start..]` is live.
    buf: Vec<u8>,
    start: usize,
    stats: ReaderStats,
    any_input: bool,
}

impl Default for Reader {
    fn default() -> Self {
        Self::new()
    }
}

impl Reader {
    /// A reader waiting for its first bytes.
    pub fn new() -> Self {
        Reader {
            gunzip: None,
            sniffed_gzip: false,
            format: Format::Sniffing,
            buf: Vec::new(),
            start: 0,
            stats: ReaderStats::default(),
            any_input: false,
        }
    }

    /// What the reader has seen so far.
    pub fn stats(&self) -> &ReaderStats {
        &self.stats
    }

    /// Feeds the next bytes of the file; `sink` is called once per complete packet record.
    ///
    /// An error means no further records can be read (the file is not a capture, or its framing is
    /// broken); records before it were delivered. Later calls return the same error.
    pub fn push(&mut self, chunk: &[u8], sink: &mut dyn FnMut(Frame<'_>)) -> Result<(), ReadError> {
        if let Format::Failed(e) = &self.format {
            return Err(e.clone());
        }
        if chunk.is_empty() {
            return Ok(());
        }
        self.any_input = true;
        if !self.sniffed_gzip {
            // Gzip is recognised by its two magic bytes (RFC 1952 §2.3.1); wait for both.
            self.buf.extend_from_slice(chunk);
            if self.buf.len() < 2 {
                return Ok(());
            }
            self.sniffed_gzip = true;
            self.stats.gzip = self.buf[0] == 0x1f && self.buf[1] == 0x8b;
            let first = std::mem::take(&mut self.buf);
            if self.stats.gzip {
                self.gunzip = Some(Gunzip::new());
            }
            return self.push_after_sniff(&first, sink);
        }
        self.push_after_sniff(chunk, sink)
    }

    fn push_after_sniff(
        &mut self,
        chunk: &[u8],
        sink: &mut dyn FnMut(Frame<'_>),
    ) -> Result<(), ReadError> {
        match self.gunzip.take() {
            None => self.push_plain(chunk, sink),
            Some(mut gz) => {
                // Inflate in small steps so that a compression bomb never needs more than a few
                // MiB of plain text in memory at once.
                let mut result = Ok(());
                for piece in chunk.chunks(gzip::STEP) {
                    let (plain, error) = gz.inflate(piece);
                    if let Err(e) = self.push_plain(&plain, sink) {
                        result = Err(e);
                        break;
                    }
                    if let Some(e) = error {
                        let err = ReadError::Gzip(e);
                        self.format = Format::Failed(err.clone());
                        result = Err(err);
                        break;
                    }
                }
                self.gunzip = Some(gz);
                result
            }
        }
    }

    fn push_plain(
        &mut self,
        chunk: &[u8],
        sink: &mut dyn FnMut(Frame<'_>),
    ) -> Result<(), ReadError> {
        // Whole records are parsed straight from the caller's chunk; only a record that straddles
        // two chunks is copied, so the bytes of a capture are copied about once per chunk edge.
        let mut pos = 0;
        let result = loop {
            if self.start == self.buf.len() {
                self.buf.clear();
                self.start = 0;
                let (consumed, result) =
                    parse(&mut self.format, &mut self.stats, &chunk[pos..], sink);
                self.buf.extend_from_slice(&chunk[pos + consumed..]);
                break result;
            }
            // A record is pending in the buffer: append the next piece of the chunk and parse.
            let take = (chunk.len() - pos).min(STRADDLE_PIECE);
            self.buf.extend_from_slice(&chunk[pos..pos + take]);
            pos += take;
            let buf = std::mem::take(&mut self.buf);
            let (consumed, result) =
                parse(&mut self.format, &mut self.stats, &buf[self.start..], sink);
            self.buf = buf;
            self.start += consumed;
            if result.is_err() || pos == chunk.len() {
                break result;
            }
            // The pending record is done when what is left began inside this piece: hand those
            // bytes back to the chunk and carry on without copying.
            let left = self.buf.len() - self.start;
            if left <= take {
                self.buf.truncate(self.start);
                pos -= left;
            }
        };
        // Compact: drop what was consumed once it is most of the buffer.
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        if let Err(e) = &result {
            self.format = Format::Failed(e.clone());
        }
        result
    }

    /// Ends the input: says whether the file ended cleanly, inside a record, or had stopped earlier.
    pub fn finish(&mut self) -> Ending {
        if let Format::Failed(e) = &self.format {
            return Ending::Stopped(e.clone());
        }
        if !self.any_input {
            return Ending::Stopped(ReadError::Empty);
        }
        let mut gzip_problem = None;
        if let Some(gz) = self.gunzip.as_mut() {
            if let Err(e) = gz.finish() {
                gzip_problem = Some(e);
            }
        }
        let left = self.buf.len() - self.start;
        let ending = match &self.format {
            // A gzip stream that broke before its first bytes of capture says why.
            Format::Sniffing if gzip_problem.is_some() => {
                Ending::Stopped(ReadError::Gzip(gzip_problem.take().unwrap_or_default()))
            }
            Format::Sniffing => Ending::Stopped(ReadError::ShortHeader {
                what: "file",
                have: left,
                need: 4,
            }),
            Format::Pcap(state) => state.ending(left, &self.stats),
            Format::Pcapng(state) => state.ending(left, &self.stats),
            Format::Failed(e) => Ending::Stopped(e.clone()),
        };
        match (ending, gzip_problem) {
            (Ending::Clean, Some(problem)) => Ending::Truncated {
                detail: format!("gzip stream: {problem}"),
            },
            (ending, _) => ending,
        }
    }
}

/// Parses as many whole records of `data` as there are; returns the bytes consumed.
fn parse(
    format: &mut Format,
    stats: &mut ReaderStats,
    data: &[u8],
    sink: &mut dyn FnMut(Frame<'_>),
) -> (usize, Result<(), ReadError>) {
    let mut start = 0;
    loop {
        let live = &data[start..];
        let step = match format {
            Format::Failed(e) => Err(e.clone()),
            Format::Sniffing => {
                if live.len() < 4 {
                    return (start, Ok(()));
                }
                let magic = [live[0], live[1], live[2], live[3]];
                if let Some(f) = pcap::sniff(magic) {
                    *format = Format::Pcap(pcap::PcapState::new(f));
                    stats.format = Some(f);
                } else if magic == pcapng::SHB_MAGIC_BYTES {
                    *format = Format::Pcapng(pcapng::PcapngState::new());
                    stats.format = Some(CaptureFormat::Pcapng);
                } else if stats.gzip && magic[..2] == [0x1f, 0x8b] {
                    return (start, Err(ReadError::NestedGzip));
                } else {
                    return (start, Err(ReadError::BadMagic { magic: hex(&magic) }));
                }
                continue;
            }
            Format::Pcap(state) => state.step(live, stats, sink),
            Format::Pcapng(state) => state.step(live, stats, sink),
        };
        match step {
            Err(e) => return (start, Err(e)),
            Ok(0) => return (start, Ok(())),
            Ok(n) => {
                start += n;
                stats.bytes += n as u64;
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a u32 in the given byte order from the first four bytes of `b` (caller checked the length).
fn u32_at(b: &[u8], at: usize, big_endian: bool) -> u32 {
    let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if big_endian {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    }
}

#[cfg(test)]
mod tests;
