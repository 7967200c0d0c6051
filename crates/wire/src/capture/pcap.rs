//! Classic libpcap files: a 24-byte global header, then records of a 16-byte header and `caplen`
//! bytes (see the pcap draft, draft-ietf-opsawg-pcap §4–5).
//!
//! Written by hand rather than with `pcap-parser`'s `parse_pcap_frame`: we must check a record's
//! claimed `caplen` against our limit *before* waiting for that many bytes, and the format is two
//! fixed headers.

use super::{
    u32_at, CaptureFormat, Ending, Frame, InterfaceInfo, ReadError, ReaderStats, MAX_PACKET_LEN,
};

const GLOBAL_HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;

/// Recognises the four pcap magics (µs/ns × little/big endian).
pub(super) fn sniff(magic: [u8; 4]) -> Option<CaptureFormat> {
    match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => Some(CaptureFormat::Pcap {
            big_endian: false,
            nanosecond: false,
        }),
        [0xa1, 0xb2, 0xc3, 0xd4] => Some(CaptureFormat::Pcap {
            big_endian: true,
            nanosecond: false,
        }),
        [0x4d, 0x3c, 0xb2, 0xa1] => Some(CaptureFormat::Pcap {
            big_endian: false,
            nanosecond: true,
        }),
        [0xa1, 0xb2, 0x3c, 0x4d] => Some(CaptureFormat::Pcap {
            big_endian: true,
            nanosecond: true,
        }),
        _ => None,
    }
}

pub(super) struct PcapState {
    big_endian: bool,
    nanosecond: bool,
    header: Option<(u32, u32)>, // (link type, snaplen)
    records: u64,
}

impl PcapState {
    pub(super) fn new(format: CaptureFormat) -> Self {
        let (big_endian, nanosecond) = match format {
            CaptureFormat::Pcap {
                big_endian,
                nanosecond,
            } => (big_endian, nanosecond),
            CaptureFormat::Pcapng => (false, false),
        };
        PcapState {
            big_endian,
            nanosecond,
            header: None,
            records: 0,
        }
    }

    /// Consumes at most one header or record from `live`; returns the bytes consumed (0 = need more).
    pub(super) fn step(
        &mut self,
        live: &[u8],
        stats: &mut ReaderStats,
        sink: &mut dyn FnMut(Frame<'_>),
    ) -> Result<usize, ReadError> {
        let Some((link_type, snaplen)) = self.header else {
            if live.len() < GLOBAL_HEADER_LEN {
                return Ok(0);
            }
            // The upper 16 bits of the link-type field carry FCS information (pcap draft §4).
            let link_type = u32_at(live, 20, self.big_endian) & 0xffff;
            let snaplen = u32_at(live, 16, self.big_endian);
            self.header = Some((link_type, snaplen));
            stats.interfaces.push(InterfaceInfo {
                link_type,
                name: None,
                snaplen,
            });
            return Ok(GLOBAL_HEADER_LEN);
        };
        if live.len() < RECORD_HEADER_LEN {
            return Ok(0);
        }
        let caplen = u32_at(live, 8, self.big_endian);
        if caplen > MAX_PACKET_LEN {
            return Err(ReadError::BadRecord {
                record: self.records + 1,
                offset: stats.bytes,
                reason: format!("caplen {caplen} exceeds the {MAX_PACKET_LEN}-byte limit; the file is corrupt from here"),
            });
        }
        let total = RECORD_HEADER_LEN + caplen as usize;
        if live.len() < total {
            return Ok(0);
        }
        let secs = i64::from(u32_at(live, 0, self.big_endian));
        let frac = i64::from(u32_at(live, 4, self.big_endian));
        let orig_len = u32_at(live, 12, self.big_endian);
        let ts_ns = secs * 1_000_000_000 + if self.nanosecond { frac } else { frac * 1_000 };
        if snaplen != 0 && caplen > snaplen {
            stats.caplen_over_snaplen += 1;
        }
        self.records += 1;
        stats.records += 1;
        sink(Frame {
            index: stats.records,
            ts_ns,
            interface: 0,
            link_type,
            data: &live[RECORD_HEADER_LEN..total],
            orig_len: orig_len.max(caplen),
            process: None,
            effective_process: None,
            direction: Default::default(),
        });
        Ok(total)
    }

    pub(super) fn ending(&self, left: usize, _stats: &ReaderStats) -> Ending {
        if self.header.is_none() {
            return Ending::Stopped(ReadError::ShortHeader {
                what: "pcap global",
                have: left,
                need: GLOBAL_HEADER_LEN,
            });
        }
        if left == 0 {
            return Ending::Clean;
        }
        Ending::Truncated {
            detail: format!(
                "the file ends inside record {} ({left} bytes of it present)",
                self.records + 1
            ),
        }
    }
}
