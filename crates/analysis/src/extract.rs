//! A filtered capture: reads a capture a second time and writes, as pcapng, only the frames of
//! chosen flows (a call's SIP and RTP/RTCP, a tunnel's IKE and ESP, a conversation, a process's
//! conversations), with their interfaces' link types and names and their timestamps to the
//! nanosecond. Frames are read, tested and written one chunk at a time; none is kept.
//!
//! A frame belongs to a flow by its addresses and ports, in either direction, or, for protocols
//! without ports (ESP over IP), by its addresses and IP protocol. IP fragments follow their
//! datagram's first fragment (a later fragment that arrives before the first is missed).

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};

use callscope_wire::capture::write::Writer;
use callscope_wire::capture::Ending;
use callscope_wire::link;
use callscope_wire::net::{self, Network, Transport};
use callscope_wire::{ReadError, Reader};

use crate::{FastMap, FastSet};

/// Fragments remembered at most (their datagrams' later fragments are kept).
const MAX_FRAGMENTS: usize = 65_536;

fn unordered<T: Ord>(a: T, b: T) -> (T, T) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The flows to keep (serializable: the page hands it to its worker as JSON).
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Selection {
    pairs: FastSet<(SocketAddr, SocketAddr)>,
    ip_pairs: FastSet<(IpAddr, IpAddr, u8)>,
}

impl Selection {
    /// Keeps the UDP/TCP flow between two socket addresses (either direction).
    pub fn flow(&mut self, a: SocketAddr, b: SocketAddr) {
        self.pairs.insert(unordered(a, b));
    }

    /// Keeps the packets of IP protocol `protocol` (50 for ESP) between two addresses.
    pub fn ip_flow(&mut self, a: IpAddr, b: IpAddr, protocol: u8) {
        let (a, b) = unordered(a, b);
        self.ip_pairs.insert((a, b, protocol));
    }

    /// Nothing to keep.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty() && self.ip_pairs.is_empty()
    }

    /// Flows chosen (both kinds).
    pub fn len(&self) -> usize {
        self.pairs.len() + self.ip_pairs.len()
    }

    fn has(&self, src: SocketAddr, dst: SocketAddr) -> bool {
        self.pairs.contains(&unordered(src, dst))
    }

    fn has_ip(&self, src: IpAddr, dst: IpAddr, protocol: u8) -> bool {
        let (a, b) = unordered(src, dst);
        self.ip_pairs.contains(&(a, b, protocol))
    }
}

/// A kept frame, held until its chunk is done (the reader lends frames only inside `push`).
struct Kept {
    interface: u32,
    link_type: u32,
    ts_ns: i64,
    orig_len: u32,
    data: Vec<u8>,
}

/// What an extraction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Frames read.
    pub read: u64,
    /// Frames written.
    pub kept: u64,
    /// How reading ended.
    pub ending: Ending,
}

/// Writes the frames of a [`Selection`] as pcapng while the capture is fed in chunks.
pub struct Extractor<W: Write> {
    selection: Selection,
    reader: Reader,
    writer: Writer<W>,
    /// The file's interface → the output's.
    interfaces: FastMap<u32, u32>,
    /// First fragments kept: (source, destination, protocol, identification).
    fragments: FastSet<(IpAddr, IpAddr, u8, u32)>,
    pending: Vec<Kept>,
    read: u64,
    kept: u64,
}

impl<W: Write> Extractor<W> {
    /// An extractor writing to `out`.
    pub fn new(selection: Selection, out: W) -> io::Result<Self> {
        Ok(Extractor {
            selection,
            reader: Reader::new(),
            writer: Writer::new(out, "callscope (filtered capture)", "")?,
            interfaces: FastMap::default(),
            fragments: FastSet::default(),
            pending: Vec::new(),
            read: 0,
            kept: 0,
        })
    }

    /// Reads the next bytes of the capture; writes what they complete that is selected.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let (selection, fragments, pending, read) = (
            &self.selection,
            &mut self.fragments,
            &mut self.pending,
            &mut self.read,
        );
        self.reader.push(chunk, &mut |frame| {
            *read += 1;
            if wanted(selection, fragments, frame.link_type, frame.data) {
                pending.push(Kept {
                    interface: frame.interface,
                    link_type: frame.link_type,
                    ts_ns: frame.ts_ns,
                    orig_len: frame.orig_len,
                    data: frame.data.to_vec(),
                });
            }
        })?;
        self.write_pending()
    }

    fn write_pending(&mut self) -> Result<(), Error> {
        for k in std::mem::take(&mut self.pending) {
            let id = match self.interfaces.get(&k.interface) {
                Some(&id) => id,
                None => {
                    let info = self.reader.stats().interfaces.get(k.interface as usize);
                    let name = info
                        .and_then(|i| i.name.clone())
                        .unwrap_or_else(|| format!("interface {}", k.interface));
                    let snaplen = info.map_or(0, |i| i.snaplen);
                    let link_type = u16::try_from(k.link_type).unwrap_or(u16::MAX);
                    let id = self.writer.interface(link_type, snaplen, &name, 9, None)?;
                    self.interfaces.insert(k.interface, id);
                    id
                }
            };
            self.writer
                .packet(id, u64::try_from(k.ts_ns).unwrap_or(0), &k.data, k.orig_len)?;
            self.kept += 1;
        }
        Ok(())
    }

    /// Ends the capture; returns the output and what was done.
    pub fn finish(mut self) -> Result<(W, Summary), Error> {
        let ending = self.reader.finish();
        self.write_pending()?;
        let out = self.writer.finish()?;
        Ok((
            out,
            Summary {
                read: self.read,
                kept: self.kept,
                ending,
            },
        ))
    }
}

/// Whether a frame is one of the selection's flows.
fn wanted(
    selection: &Selection,
    fragments: &mut FastSet<(IpAddr, IpAddr, u8, u32)>,
    link_type: u32,
    data: &[u8],
) -> bool {
    let Ok(link) = link::decode(link_type, data) else {
        return false;
    };
    let Ok(Network::Ip(ip)) = net::decode_network(link.next, link.payload) else {
        return false;
    };
    if let Some(f) = ip.fragment {
        let key = (ip.src, ip.dst, ip.protocol, f.id);
        if f.offset > 0 {
            return fragments.contains(&key);
        }
        let keep = flow_wanted(selection, ip.src, ip.dst, ip.protocol, ip.payload);
        if keep {
            if fragments.len() >= MAX_FRAGMENTS {
                fragments.clear();
            }
            fragments.insert(key);
        }
        return keep;
    }
    flow_wanted(selection, ip.src, ip.dst, ip.protocol, ip.payload)
}

fn flow_wanted(
    selection: &Selection,
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    payload: &[u8],
) -> bool {
    match net::decode_transport(protocol, payload) {
        Ok(
            Transport::Udp {
                src_port, dst_port, ..
            }
            | Transport::Tcp {
                src_port, dst_port, ..
            },
        ) => selection.has(
            SocketAddr::new(src, src_port),
            SocketAddr::new(dst, dst_port),
        ),
        _ => selection.has_ip(src, dst, protocol),
    }
}

/// Why an extraction stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The capture could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The output could not be written.
    #[error("writing the filtered capture: {0}")]
    Write(#[from] io::Error),
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::{Analyzer, Options};

    /// An Ethernet/IPv4/UDP frame.
    fn udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        let len = (20 + 8 + payload.len()) as u16;
        f.extend_from_slice(&[
            0x45,
            0,
            (len >> 8) as u8,
            len as u8,
            0,
            1,
            0,
            0,
            64,
            17,
            0,
            0,
        ]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&dst);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn only_the_selected_flows_are_written_with_their_times() {
        let mut w = Writer::new(Vec::new(), "test", "test").unwrap();
        let eth = w.interface(1, 65535, "en0", 6, None).unwrap();
        let frames = [
            udp([10, 0, 0, 1], 5060, [10, 0, 0, 2], 5060, b"INVITE"),
            udp([10, 0, 0, 3], 1000, [10, 0, 0, 4], 2000, b"other"),
            udp([10, 0, 0, 2], 5060, [10, 0, 0, 1], 5060, b"SIP/2.0 200 OK"),
            udp([10, 0, 0, 1], 6000, [10, 0, 0, 2], 6002, b"rtp"),
        ];
        for (i, f) in frames.iter().enumerate() {
            w.packet(
                eth,
                1_700_000_000_000_000 + i as u64 * 1_000,
                f,
                f.len() as u32,
            )
            .unwrap();
        }
        let capture = w.finish().unwrap();
        let mut selection = Selection::default();
        selection.flow(
            "10.0.0.2:5060".parse().unwrap(),
            "10.0.0.1:5060".parse().unwrap(),
        );
        selection.flow(
            "10.0.0.1:6000".parse().unwrap(),
            "10.0.0.2:6002".parse().unwrap(),
        );
        let mut x = Extractor::new(selection, Vec::new()).unwrap();
        for chunk in capture.chunks(7) {
            x.feed(chunk).unwrap();
        }
        let (out, summary) = x.finish().unwrap();
        assert_eq!(
            (summary.read, summary.kept, summary.ending),
            (4, 3, Ending::Clean)
        );
        let mut a = Analyzer::new(Options::default());
        a.feed(&out).unwrap();
        let r = a.finish();
        assert_eq!(r.capture.packets, 3);
        assert_eq!(r.capture.interfaces[0].name.as_deref(), Some("en0"));
        assert_eq!(r.capture.link_types, ["EN10MB"]);
        assert!((r.capture.start_unix - 1_700_000_000.0).abs() < 1e-9);
        assert!(
            (r.capture.duration - 0.003).abs() < 1e-9,
            "{}",
            r.capture.duration
        );
        assert!(r
            .conversations
            .iter()
            .all(|c| ["10.0.0.1", "10.0.0.2"].contains(&c.a.ip().to_string().as_str())));
    }

    #[test]
    fn a_selection_travels_as_json() {
        let mut s = Selection::default();
        s.flow(
            "10.0.0.1:5060".parse().unwrap(),
            "[fd00::1]:5060".parse().unwrap(),
        );
        s.ip_flow("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap(), 50);
        let back: Selection = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back.len(), 2);
        assert!(back.has(
            "[fd00::1]:5060".parse().unwrap(),
            "10.0.0.1:5060".parse().unwrap()
        ));
        assert!(back.has_ip("10.0.0.2".parse().unwrap(), "10.0.0.1".parse().unwrap(), 50));
    }
}
