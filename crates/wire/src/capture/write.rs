//! A pcapng writer: one Section Header Block, one Interface Description Block per interface, then
//! Enhanced Packet Blocks (draft-ietf-opsawg-pcapng §4.1–4.3), for the collector's live captures
//! and for the page's filtered-capture exports. Written here because it is three small blocks
//! (the reading side is [`super::Reader`]); it writes to any `std::io::Write` and does no I/O of
//! its own.
//!
//! Blocks are written in this machine's byte order, as the format allows (the byte-order magic
//! tells readers which).

use std::io::{self, Write};

/// Block types (§11.1).
mod block {
    pub const SECTION_HEADER: u32 = 0x0A0D_0D0A;
    pub const INTERFACE_DESCRIPTION: u32 = 0x0000_0001;
    pub const ENHANCED_PACKET: u32 = 0x0000_0006;
}

/// Option codes (§4.1, §4.2).
mod opt {
    pub const END: u16 = 0;
    pub const SHB_OS: u16 = 3;
    pub const SHB_USERAPPL: u16 = 4;
    pub const IF_NAME: u16 = 2;
    pub const IF_TSRESOL: u16 = 9;
    pub const IF_FILTER: u16 = 11;
}

const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// Options of one block, encoded as code, length, value padded to 32 bits (§3.5).
#[derive(Default)]
struct Options(Vec<u8>);

impl Options {
    fn add(&mut self, code: u16, value: &[u8]) {
        let len = value.len().min(usize::from(u16::MAX));
        self.0.extend_from_slice(&code.to_ne_bytes());
        self.0.extend_from_slice(&(len as u16).to_ne_bytes());
        self.0.extend_from_slice(&value[..len]);
        self.0.resize(self.0.len() + pad(len), 0);
    }

    fn finish(mut self) -> Vec<u8> {
        if !self.0.is_empty() {
            self.0.extend_from_slice(&opt::END.to_ne_bytes());
            self.0.extend_from_slice(&0u16.to_ne_bytes());
        }
        self.0
    }
}

fn pad(len: usize) -> usize {
    (4 - len % 4) % 4
}

/// Writes a pcapng file.
pub struct Writer<W: Write> {
    out: W,
    interfaces: u32,
}

impl<W: Write> Writer<W> {
    /// Starts a section; `application` and `os` go into its options.
    pub fn new(mut out: W, application: &str, os: &str) -> io::Result<Self> {
        let mut options = Options::default();
        options.add(opt::SHB_OS, os.as_bytes());
        options.add(opt::SHB_USERAPPL, application.as_bytes());
        let mut body = Vec::new();
        body.extend_from_slice(&BYTE_ORDER_MAGIC.to_ne_bytes());
        body.extend_from_slice(&1u16.to_ne_bytes()); // major version
        body.extend_from_slice(&0u16.to_ne_bytes()); // minor version
        body.extend_from_slice(&(-1i64).to_ne_bytes()); // section length: not given
        body.extend_from_slice(&options.finish());
        write_block(&mut out, block::SECTION_HEADER, &body)?;
        Ok(Writer { out, interfaces: 0 })
    }

    /// Describes an interface; returns its id for [`Writer::packet`]. Timestamps on it are in
    /// units of 10^-`tsresol` seconds (6 = µs, 9 = ns).
    pub fn interface(
        &mut self,
        link_type: u16,
        snaplen: u32,
        name: &str,
        tsresol: u8,
        filter: Option<&str>,
    ) -> io::Result<u32> {
        let mut options = Options::default();
        options.add(opt::IF_NAME, name.as_bytes());
        options.add(opt::IF_TSRESOL, &[tsresol]);
        if let Some(f) = filter {
            // if_filter: first byte 0 = libpcap filter string.
            let mut v = vec![0u8];
            v.extend_from_slice(f.as_bytes());
            options.add(opt::IF_FILTER, &v);
        }
        let mut body = Vec::new();
        body.extend_from_slice(&link_type.to_ne_bytes());
        body.extend_from_slice(&0u16.to_ne_bytes()); // reserved
        body.extend_from_slice(&snaplen.to_ne_bytes());
        body.extend_from_slice(&options.finish());
        write_block(&mut self.out, block::INTERFACE_DESCRIPTION, &body)?;
        self.interfaces += 1;
        Ok(self.interfaces - 1)
    }

    /// Writes one packet seen on `interface` at `ts` (in that interface's units).
    pub fn packet(
        &mut self,
        interface: u32,
        ts: u64,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        let mut body = Vec::with_capacity(20 + data.len() + 3);
        body.extend_from_slice(&interface.to_ne_bytes());
        body.extend_from_slice(&((ts >> 32) as u32).to_ne_bytes());
        body.extend_from_slice(&(ts as u32).to_ne_bytes());
        body.extend_from_slice(&(data.len() as u32).to_ne_bytes());
        body.extend_from_slice(&orig_len.max(data.len() as u32).to_ne_bytes());
        body.extend_from_slice(data);
        body.resize(body.len() + pad(data.len()), 0);
        write_block(&mut self.out, block::ENHANCED_PACKET, &body)
    }

    /// Pushes buffered blocks to the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Block type, total length, body, total length again (§3.1).
fn write_block<W: Write>(out: &mut W, kind: u32, body: &[u8]) -> io::Result<()> {
    let total = (12 + body.len()) as u32;
    out.write_all(&kind.to_ne_bytes())?;
    out.write_all(&total.to_ne_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_ne_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::capture::{Frame, Reader};

    #[test]
    fn shb_layout_is_as_the_draft_says() {
        let bytes = Writer::new(Vec::new(), "x", "y").unwrap().finish().unwrap();
        assert_eq!(bytes.len() % 4, 0);
        assert_eq!(
            u32::from_ne_bytes(bytes[0..4].try_into().unwrap()),
            0x0A0D0D0A
        );
        let total = u32::from_ne_bytes(bytes[4..8].try_into().unwrap()) as usize;
        assert_eq!(total, bytes.len());
        assert_eq!(
            u32::from_ne_bytes(bytes[8..12].try_into().unwrap()),
            BYTE_ORDER_MAGIC
        );
        assert_eq!(&bytes[total - 4..], &bytes[4..8]);
    }

    #[test]
    fn written_file_reads_back_with_two_interfaces() {
        let mut w = Writer::new(Vec::new(), "callscope test", "linux").unwrap();
        let lo = w.interface(1, 262144, "lo", 9, Some("udp")).unwrap();
        let other = w.interface(113, 262144, "eth0", 6, None).unwrap();
        assert_eq!((lo, other), (0, 1));
        let frame = [7u8; 42];
        w.packet(lo, 1_700_000_000_123_456_789, &frame, 60).unwrap();
        w.packet(other, 1_700_000_000_323_456, &frame[..20], 42)
            .unwrap();
        let bytes = w.finish().unwrap();
        let mut reader = Reader::new();
        let mut seen = Vec::new();
        reader
            .push(&bytes, &mut |f: Frame<'_>| {
                seen.push((f.interface, f.link_type, f.ts_ns, f.data.len(), f.orig_len))
            })
            .unwrap();
        assert_eq!(
            seen,
            [
                (0, 1, 1_700_000_000_123_456_789, 42, 60),
                (1, 113, 1_700_000_000_323_456_000, 20, 42)
            ]
        );
        let names: Vec<_> = reader
            .stats()
            .interfaces
            .iter()
            .map(|i| i.name.clone())
            .collect();
        assert_eq!(names, [Some("lo".to_owned()), Some("eth0".to_owned())]);
    }
}
