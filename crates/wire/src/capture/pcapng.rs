//! pcapng files (draft-ietf-opsawg-pcapng): sections, interfaces, packet blocks, and Apple's process
//! information blocks and packet options.
//!
//! We frame blocks ourselves (type and length checked before any waiting or allocating) and hand
//! each complete block to `pcap-parser`'s block parsers, which decode its fields and options.

use pcap_parser::pcapng::{parse_block_be, parse_block_le, Block, EnhancedPacketBlock};
use pcap_parser::PcapNGOption;

use super::{
    u32_at, Direction, Ending, Frame, InterfaceInfo, ProcessInfo, ReadError, ReaderStats,
    MAX_BLOCK_LEN,
};

/// Section header block type, the same in either byte order (pcapng §4.1).
pub(super) const SHB_MAGIC_BYTES: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// Obsolete packet block (pcapng appendix A); `pcap-parser` does not decode it.
const LEGACY_PACKET_BLOCK: u32 = 0x0000_0002;
/// Process blocks kept per section, and interfaces kept in the whole file (its sections
/// together: a limit per section let 40 sections of 65,536 interfaces take 335 MB); a file
/// claiming more is hostile.
const MAX_PER_SECTION: usize = 65_536;
const MAX_INTERFACES: usize = 65_536;
/// Characters of an interface name kept.
const MAX_NAME: usize = 256;

/// `epb_flags` (pcapng §4.3.1): bits 0–1 give the direction.
const OPT_EPB_FLAGS: u16 = 2;
/// Apple EPB options (libpcap `pcap/pcap-ng.h`): index of the process information block.
const OPT_APPLE_PIB_INDEX: u16 = 0x8001;
/// Apple EPB option: index of the effective process information block.
const OPT_APPLE_EFFECTIVE_PIB_INDEX: u16 = 0x8003;
/// PIB options: process name, executable path, executable UUID.
const OPT_PIB_NAME: u16 = 2;
const OPT_PIB_PATH: u16 = 3;
const OPT_PIB_UUID: u16 = 4;

struct SectionInterface {
    link_type: u32,
    snaplen: u32,
    /// Timestamp units per second (`if_tsresol`, default 10^6).
    units_per_sec: u64,
    /// `if_tsoffset` in seconds.
    offset_secs: i64,
    /// Global interface number (across sections).
    global: u32,
}

pub(super) struct PcapngState {
    big_endian: bool,
    in_section: bool,
    interfaces: Vec<SectionInterface>,
    processes: Vec<ProcessInfo>,
    blocks: u64,
    /// The current section is of a version we do not read (pcapng §4.1: skip it).
    skipping: Option<(u16, u16)>,
}

impl PcapngState {
    pub(super) fn new() -> Self {
        PcapngState {
            big_endian: false,
            in_section: false,
            interfaces: Vec::new(),
            processes: Vec::new(),
            blocks: 0,
            skipping: None,
        }
    }

    /// Consumes at most one block from `live`; returns the bytes consumed (0 = need more).
    pub(super) fn step(
        &mut self,
        live: &[u8],
        stats: &mut ReaderStats,
        sink: &mut dyn FnMut(Frame<'_>),
    ) -> Result<usize, ReadError> {
        if live.len() < 12 {
            return Ok(0);
        }
        let bad = |reason: String| ReadError::BadRecord {
            record: self.blocks + 1,
            offset: stats.bytes,
            reason,
        };
        let is_shb = live[..4] == SHB_MAGIC_BYTES;
        if is_shb {
            // The byte-order magic decides how to read everything in this section, its length too.
            self.big_endian = match live[8..12] {
                [0x1a, 0x2b, 0x3c, 0x4d] => true,
                [0x4d, 0x3c, 0x2b, 0x1a] => false,
                _ => return Err(bad("section header with an unknown byte-order magic".into())),
            };
            self.in_section = true;
        } else if !self.in_section {
            return Err(bad("pcapng block before any section header".into()));
        }
        let block_type = u32_at(live, 0, self.big_endian);
        let len = u32_at(live, 4, self.big_endian);
        if len < 12 || !len.is_multiple_of(4) {
            return Err(bad(format!(
                "block length {len} is {}",
                if len < 12 {
                    "shorter than 12"
                } else {
                    "not a multiple of 4"
                }
            )));
        }
        if len > MAX_BLOCK_LEN {
            return Err(bad(format!(
                "block length {len} exceeds the {MAX_BLOCK_LEN}-byte limit"
            )));
        }
        let len = len as usize;
        if live.len() < len {
            return Ok(0);
        }
        let block = &live[..len];
        if u32_at(block, len - 4, self.big_endian) != len as u32 {
            return Err(bad(
                "block's trailing length differs from its leading length".into(),
            ));
        }
        self.blocks += 1;
        if is_shb {
            self.interfaces.clear();
            self.processes.clear();
            // Version (pcapng §4.1), read here: a section of another major version is skipped
            // whether or not its header decodes as a 1.x one.
            let u16_at = |at: usize| {
                let b = [
                    block.get(at).copied().unwrap_or(0),
                    block.get(at + 1).copied().unwrap_or(0),
                ];
                if self.big_endian {
                    u16::from_be_bytes(b)
                } else {
                    u16::from_le_bytes(b)
                }
            };
            let (major, minor) = (u16_at(12), u16_at(14));
            self.skipping = (major != 1).then_some((major, minor));
        }
        if let Some((major, minor)) = self.skipping {
            stats.malformed(&format!(
                "pcapng section of version {major}.{minor} skipped (only 1.x is defined)"
            ));
            return Ok(len);
        }
        if block_type == LEGACY_PACKET_BLOCK {
            self.legacy_packet(block, stats, sink);
            return Ok(len);
        }
        let parsed = if self.big_endian {
            parse_block_be(block)
        } else {
            parse_block_le(block)
        };
        let Ok((_, parsed)) = parsed else {
            // The framing is sound, only the content is not: count it and go on with the next block.
            stats.malformed(&format!(
                "pcapng block of type 0x{block_type:08x} whose content does not decode"
            ));
            return Ok(len);
        };
        match parsed {
            Block::SectionHeader(_) => {}
            Block::InterfaceDescription(_) if stats.interfaces.len() >= MAX_INTERFACES => {
                // More than any real capture has: keep memory bounded, count the block.
                stats.malformed(&format!(
                    "interface beyond the first {MAX_INTERFACES} of the file"
                ));
            }
            Block::ProcessInformation(_) if self.processes.len() >= MAX_PER_SECTION => {
                stats.malformed(&format!(
                    "process block beyond the first {MAX_PER_SECTION} of a section"
                ));
            }
            Block::InterfaceDescription(idb) => {
                // Apple's tcpdump counts the C string's NUL in the option length.
                let name = idb.if_name().and_then(|r| r.ok()).map(|n| {
                    n.trim_end_matches('\0')
                        .chars()
                        .take(MAX_NAME)
                        .collect::<String>()
                });
                let units = units_per_sec(idb.if_tsresol);
                if units.is_none() {
                    stats.malformed(&format!(
                        "if_tsresol 0x{:02x} is no resolution; microseconds assumed",
                        idb.if_tsresol
                    ));
                }
                let link_type = u32::from(idb.linktype.0 as u16);
                let global = stats.interfaces.len() as u32;
                stats.interfaces.push(InterfaceInfo {
                    link_type,
                    name,
                    snaplen: idb.snaplen,
                });
                self.interfaces.push(SectionInterface {
                    link_type,
                    snaplen: idb.snaplen,
                    units_per_sec: units.unwrap_or(1_000_000),
                    offset_secs: tsoffset(&idb.options, self.big_endian),
                    global,
                });
            }
            Block::EnhancedPacket(epb) => self.enhanced_packet(&epb, stats, sink),
            Block::SimplePacket(spb) => {
                let Some(iface) = self.interfaces.first() else {
                    stats.malformed("simple packet block in a section without an interface");
                    return Ok(len);
                };
                // A simple packet block's caplen is implied: the lesser of the packet's length, the
                // snaplen and the bytes present (pcapng §4.4).
                let mut caplen = spb.data.len().min(spb.origlen as usize);
                if iface.snaplen != 0 {
                    caplen = caplen.min(iface.snaplen as usize);
                }
                stats.records += 1;
                sink(Frame {
                    index: stats.records,
                    ts_ns: 0,
                    interface: iface.global,
                    link_type: iface.link_type,
                    data: &spb.data[..caplen],
                    orig_len: spb.origlen,
                    process: None,
                    effective_process: None,
                    direction: Direction::Unknown,
                });
            }
            Block::ProcessInformation(pib) if self.processes.len() < MAX_PER_SECTION => {
                self.processes
                    .push(process_info(pib.process_id, &pib.options));
            }
            _ => {}
        }
        Ok(len)
    }

    fn enhanced_packet(
        &self,
        epb: &EnhancedPacketBlock<'_>,
        stats: &mut ReaderStats,
        sink: &mut dyn FnMut(Frame<'_>),
    ) {
        let Some(iface) = self.interfaces.get(epb.if_id as usize) else {
            stats.malformed(&format!(
                "packet on interface {}, which its section does not describe (or beyond the limit)",
                epb.if_id
            ));
            return;
        };
        let data = &epb.data[..(epb.caplen as usize).min(epb.data.len())];
        if iface.snaplen != 0 && epb.caplen > iface.snaplen {
            stats.caplen_over_snaplen += 1;
        }
        let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
        let mut direction = Direction::Unknown;
        let mut process = None;
        let mut effective_process = None;
        for opt in &epb.options {
            let value = opt.value();
            match opt.code.0 {
                OPT_EPB_FLAGS if value.len() >= 4 => {
                    direction = match u32_at(value, 0, self.big_endian) & 0b11 {
                        1 => Direction::Inbound,
                        2 => Direction::Outbound,
                        _ => Direction::Unknown,
                    };
                }
                OPT_APPLE_PIB_INDEX if value.len() >= 4 => {
                    process = self
                        .processes
                        .get(u32_at(value, 0, self.big_endian) as usize);
                }
                OPT_APPLE_EFFECTIVE_PIB_INDEX if value.len() >= 4 => {
                    effective_process = self
                        .processes
                        .get(u32_at(value, 0, self.big_endian) as usize);
                }
                _ => {}
            }
        }
        stats.records += 1;
        sink(Frame {
            index: stats.records,
            ts_ns: timestamp_ns(ts, iface),
            interface: iface.global,
            link_type: iface.link_type,
            data,
            orig_len: epb.origlen,
            process,
            effective_process,
            direction,
        });
    }

    /// Obsolete packet block: interface id (u16), drops (u16), timestamp (2×u32), caplen, len, data.
    fn legacy_packet(
        &self,
        block: &[u8],
        stats: &mut ReaderStats,
        sink: &mut dyn FnMut(Frame<'_>),
    ) {
        let body = &block[8..block.len() - 4];
        if body.len() < 20 {
            stats.malformed("obsolete packet block shorter than its header");
            return;
        }
        let if_id = if self.big_endian {
            u16::from_be_bytes([body[0], body[1]])
        } else {
            u16::from_le_bytes([body[0], body[1]])
        };
        let ts = (u64::from(u32_at(body, 4, self.big_endian)) << 32)
            | u64::from(u32_at(body, 8, self.big_endian));
        let caplen = u32_at(body, 12, self.big_endian) as usize;
        let orig_len = u32_at(body, 16, self.big_endian);
        let (Some(iface), Some(data)) = (
            self.interfaces.get(usize::from(if_id)),
            body.get(20..20 + caplen),
        ) else {
            stats.malformed(
                "obsolete packet block on an undescribed interface, or shorter than its caplen",
            );
            return;
        };
        stats.records += 1;
        sink(Frame {
            index: stats.records,
            ts_ns: timestamp_ns(ts, iface),
            interface: iface.global,
            link_type: iface.link_type,
            data,
            orig_len,
            process: None,
            effective_process: None,
            direction: Direction::Unknown,
        });
    }

    pub(super) fn ending(&self, left: usize, stats: &ReaderStats) -> Ending {
        if self.blocks == 0 && stats.records == 0 && left > 0 {
            return Ending::Stopped(ReadError::ShortHeader {
                what: "pcapng section",
                have: left,
                need: 28,
            });
        }
        if left == 0 {
            return Ending::Clean;
        }
        Ending::Truncated {
            detail: format!(
                "the file ends inside block {} ({left} bytes of it present)",
                self.blocks + 1
            ),
        }
    }
}

/// Converts a timestamp in the interface's units to nanoseconds since the epoch, without overflow
/// for any resolution (`if_tsresol` may be a power of 2 or of 10).
fn timestamp_ns(ts: u64, iface: &SectionInterface) -> i64 {
    let units = iface.units_per_sec;
    let secs = ts / units;
    let frac = ts % units;
    let frac_ns = (u128::from(frac) * 1_000_000_000 / u128::from(units)) as i64;
    i64::try_from(secs)
        .unwrap_or(i64::MAX)
        .saturating_add(iface.offset_secs)
        .saturating_mul(1_000_000_000)
        .saturating_add(frac_ns)
}

/// `if_tsresol` (pcapng §4.2): bit 7 clear, 10^-n seconds; set, 2^-n. `pcap-parser` 0.17 rejects
/// every power of two (it compares the whole byte, flag included, against 63), so we decode it here.
fn units_per_sec(tsresol: u8) -> Option<u64> {
    let exponent = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u64.checked_pow(exponent)
    } else {
        1u64.checked_shl(exponent)
    }
}

/// `if_tsoffset` (IDB option 14, seconds) in the section's byte order; `pcap-parser` 0.17 always
/// reads it little-endian.
fn tsoffset(options: &[PcapNGOption<'_>], big_endian: bool) -> i64 {
    const OPT_IF_TSOFFSET: u16 = 14;
    let Some(value) = options
        .iter()
        .find(|o| o.code.0 == OPT_IF_TSOFFSET)
        .and_then(|o| o.value().get(..8))
    else {
        return 0;
    };
    let mut raw = [0u8; 8];
    raw.copy_from_slice(value);
    if big_endian {
        i64::from_be_bytes(raw)
    } else {
        i64::from_le_bytes(raw)
    }
}

fn process_info(pid: u32, options: &[PcapNGOption<'_>]) -> ProcessInfo {
    let mut info = ProcessInfo {
        pid,
        ..Default::default()
    };
    for opt in options {
        let text = || {
            String::from_utf8_lossy(opt.value())
                .trim_end_matches('\0')
                .to_owned()
        };
        match opt.code.0 {
            OPT_PIB_NAME => info.name = text(),
            OPT_PIB_PATH => info.path = Some(text()),
            OPT_PIB_UUID => {
                info.uuid = Some(opt.value().iter().map(|b| format!("{b:02x}")).collect())
            }
            _ => {}
        }
    }
    info
}
