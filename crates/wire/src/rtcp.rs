//! RTCP (RFC 3550 §6): compound packets, sender and receiver reports with their report blocks,
//! source descriptions (CNAME), BYE, APP, feedback (RFC 4585 §6.1) and extended reports
//! (RFC 3611 §3).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |V=2|P|    RC   |      PT       |  length (32-bit words - 1)    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! SRTCP (RFC 3711 §3.4) keeps the first packet's header and SSRC in the clear and appends an
//! E-flag/index word and an authentication tag; [`Compound`] reports such a trailer instead of
//! reading it as packets.

use crate::bytes::be32;
use thiserror::Error;

/// Packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611 §2).
pub mod packet_type {
    /// Sender report.
    pub const SR: u8 = 200;
    /// Receiver report.
    pub const RR: u8 = 201;
    /// Source description.
    pub const SDES: u8 = 202;
    /// Goodbye.
    pub const BYE: u8 = 203;
    /// Application-defined.
    pub const APP: u8 = 204;
    /// Transport-layer feedback.
    pub const RTPFB: u8 = 205;
    /// Payload-specific feedback.
    pub const PSFB: u8 = 206;
    /// Extended report.
    pub const XR: u8 = 207;
}

/// Byte offsets of the common header.
pub mod field {
    /// A field's byte range.
    pub type Field = std::ops::Range<usize>;
    /// Version, padding, count.
    pub const VPC: usize = 0;
    /// Packet type.
    pub const PT: usize = 1;
    /// Length in 32-bit words minus one.
    pub const LENGTH: Field = 2..4;
    /// Where the body (for most types, the sender's SSRC) starts.
    pub const BODY: usize = 4;
}

/// Length of the common header.
pub const HEADER_LEN: usize = field::BODY;
/// Length of one report block (RFC 3550 §6.4.1).
pub const REPORT_BLOCK_LEN: usize = 24;
/// Length of an SR's sender info, SSRC included.
const SENDER_INFO_LEN: usize = 24;

/// Why bytes are not an RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Error {
    /// Fewer bytes than the header or a count claims.
    #[error("RTCP truncated: need {need} bytes at offset {offset}, have {have}")]
    Truncated {
        /// Bytes needed from `offset`.
        need: usize,
        /// Bytes present from `offset`.
        have: usize,
        /// Offset within the packet (or compound, for [`Compound`]).
        offset: usize,
    },
    /// The version field is not 2.
    #[error("RTCP version {0}, not 2")]
    Version(u8),
}

/// A checked view of one RTCP packet (one element of a compound packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks the version and that the length field's words are present. The view then covers
    /// exactly `(length + 1) * 4` bytes of `buffer` (see [`Packet::total_len`]).
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated {
                need: HEADER_LEN,
                have: b.len(),
                offset: 0,
            });
        }
        let version = b[field::VPC] >> 6;
        if version != 2 {
            return Err(Error::Version(version));
        }
        let total = 4 * (usize::from(u16::from_be_bytes([b[2], b[3]])) + 1);
        if b.len() < total {
            return Err(Error::Truncated {
                need: total,
                have: b.len(),
                offset: 0,
            });
        }
        Ok(Packet { buffer })
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    /// `P`: padding at the end of this packet.
    pub fn padding(&self) -> bool {
        self.b()[field::VPC] & 0x20 != 0
    }
    /// Report count, source count, or (APP) subtype, or (feedback) FMT: the low five bits.
    pub fn count(&self) -> u8 {
        self.b()[field::VPC] & 0x1f
    }
    /// Packet type.
    pub fn packet_type(&self) -> u8 {
        self.b()[field::PT]
    }
    /// This packet's length in bytes, header included.
    pub fn total_len(&self) -> usize {
        let b = self.b();
        4 * (usize::from(u16::from_be_bytes([b[2], b[3]])) + 1)
    }
    /// The body after the common header, without padding when the padding count fits.
    pub fn body(&self) -> &[u8] {
        let whole = &self.b()[..self.total_len()];
        let mut end = whole.len();
        if self.padding() {
            let count = usize::from(whole[end - 1]);
            if count <= end - HEADER_LEN {
                end -= count;
            }
        }
        &whole[HEADER_LEN..end]
    }
    /// The first word of the body (the sender's or packet's SSRC for every type but SDES, where
    /// it is the first chunk's SSRC), when present.
    pub fn ssrc(&self) -> Option<u32> {
        be32(self.body(), 0)
    }
}

/// One reception report block (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed: negative with duplicates).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_seq: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received from `ssrc` (0: none).
    pub lsr: u32,
    /// Delay since that SR, in 1/65536 s.
    pub dlsr: u32,
}

impl ReportBlock {
    fn parse(b: &[u8]) -> Option<ReportBlock> {
        let lost = be32(b, 4)?;
        let cum = lost & 0x00ff_ffff;
        // Sign-extend the 24-bit count.
        let cumulative_lost = ((cum << 8) as i32) >> 8;
        Some(ReportBlock {
            ssrc: be32(b, 0)?,
            fraction_lost: (lost >> 24) as u8,
            cumulative_lost,
            highest_seq: be32(b, 8)?,
            jitter: be32(b, 12)?,
            lsr: be32(b, 16)?,
            dlsr: be32(b, 20)?,
        })
    }
}

/// One SDES chunk (RFC 3550 §6.5): a source and its canonical name, when it gives one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdesChunk {
    /// The source described.
    pub ssrc: u32,
    /// CNAME item (type 1), lossily decoded as UTF-8.
    pub cname: Option<String>,
}

/// The decoded meaning of one RTCP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repr {
    /// Sender report (RFC 3550 §6.4.1).
    SenderReport {
        /// Sender's SSRC.
        ssrc: u32,
        /// NTP timestamp (seconds in the high 32 bits).
        ntp: u64,
        /// RTP timestamp matching `ntp`.
        rtp_timestamp: u32,
        /// Packets sent.
        packet_count: u32,
        /// Payload octets sent.
        octet_count: u32,
        /// Reception reports.
        blocks: Vec<ReportBlock>,
    },
    /// Receiver report (RFC 3550 §6.4.2).
    ReceiverReport {
        /// Reporter's SSRC.
        ssrc: u32,
        /// Reception reports.
        blocks: Vec<ReportBlock>,
    },
    /// Source description (RFC 3550 §6.5).
    SourceDescription {
        /// Chunks.
        chunks: Vec<SdesChunk>,
    },
    /// Goodbye (RFC 3550 §6.6).
    Goodbye {
        /// Sources leaving.
        ssrcs: Vec<u32>,
        /// Reason, when given.
        reason: Option<String>,
    },
    /// Application-defined (RFC 3550 §6.7).
    App {
        /// Sender's SSRC.
        ssrc: u32,
        /// Subtype (5 bits).
        subtype: u8,
        /// Four ASCII characters.
        name: [u8; 4],
    },
    /// Transport-layer (205) or payload-specific (206) feedback (RFC 4585 §6.1).
    Feedback {
        /// 205 or 206.
        packet_type: u8,
        /// Feedback message type.
        fmt: u8,
        /// Sender's SSRC.
        ssrc: u32,
        /// The media source the feedback is about.
        media_ssrc: u32,
    },
    /// Extended report (RFC 3611 §2): the report block types it carries.
    ExtendedReport {
        /// Sender's SSRC.
        ssrc: u32,
        /// Block types (RFC 3611 §4), in order.
        block_types: Vec<u8>,
    },
    /// A packet type this crate does not decode further.
    Other {
        /// Packet type.
        packet_type: u8,
        /// First body word, when present.
        ssrc: Option<u32>,
    },
}

impl Repr {
    /// Decodes a checked packet. Counts that claim more blocks than the packet holds are an error;
    /// nothing is allocated beyond what the packet's bytes can hold.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr, Error> {
        let body = p.body();
        let need = |n: usize| Error::Truncated {
            need: n,
            have: body.len(),
            offset: HEADER_LEN,
        };
        let blocks = |from: usize| -> Result<Vec<ReportBlock>, Error> {
            let n = usize::from(p.count());
            let end = from + n * REPORT_BLOCK_LEN;
            if body.len() < end {
                return Err(need(end));
            }
            Ok(body[from..end]
                .chunks_exact(REPORT_BLOCK_LEN)
                .filter_map(ReportBlock::parse)
                .collect())
        };
        match p.packet_type() {
            packet_type::SR => {
                if body.len() < SENDER_INFO_LEN {
                    return Err(need(SENDER_INFO_LEN));
                }
                let word = |i: usize| be32(body, 4 * i).unwrap_or(0);
                Ok(Repr::SenderReport {
                    ssrc: word(0),
                    ntp: (u64::from(word(1)) << 32) | u64::from(word(2)),
                    rtp_timestamp: word(3),
                    packet_count: word(4),
                    octet_count: word(5),
                    blocks: blocks(SENDER_INFO_LEN)?,
                })
            }
            packet_type::RR => Ok(Repr::ReceiverReport {
                ssrc: be32(body, 0).ok_or_else(|| need(4))?,
                blocks: blocks(4)?,
            }),
            packet_type::SDES => Ok(Repr::SourceDescription {
                chunks: sdes_chunks(body, p.count()),
            }),
            packet_type::BYE => {
                let n = usize::from(p.count());
                if body.len() < 4 * n {
                    return Err(need(4 * n));
                }
                let ssrcs = (0..n).filter_map(|i| be32(body, 4 * i)).collect();
                let reason = body.get(4 * n).and_then(|&len| {
                    body.get(4 * n + 1..4 * n + 1 + usize::from(len))
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                });
                Ok(Repr::Goodbye { ssrcs, reason })
            }
            packet_type::APP => {
                if body.len() < 8 {
                    return Err(need(8));
                }
                Ok(Repr::App {
                    ssrc: be32(body, 0).unwrap_or(0),
                    subtype: p.count(),
                    name: [body[4], body[5], body[6], body[7]],
                })
            }
            t @ (packet_type::RTPFB | packet_type::PSFB) => {
                if body.len() < 8 {
                    return Err(need(8));
                }
                Ok(Repr::Feedback {
                    packet_type: t,
                    fmt: p.count(),
                    ssrc: be32(body, 0).unwrap_or(0),
                    media_ssrc: be32(body, 4).unwrap_or(0),
                })
            }
            packet_type::XR => {
                let ssrc = be32(body, 0).ok_or_else(|| need(4))?;
                let mut block_types = Vec::new();
                let mut at = 4;
                // RFC 3611 §3: block type, type-specific, 16-bit length in words minus one.
                while at + 4 <= body.len() && block_types.len() < 64 {
                    block_types.push(body[at]);
                    let words = usize::from(u16::from_be_bytes([body[at + 2], body[at + 3]]));
                    at += 4 + 4 * words;
                }
                Ok(Repr::ExtendedReport { ssrc, block_types })
            }
            t => Ok(Repr::Other {
                packet_type: t,
                ssrc: p.ssrc(),
            }),
        }
    }
}

/// SDES chunks: SSRC, then items (type, length, text) up to an END (0) item and padding to the next
/// 32-bit boundary. Decoding stops quietly at the first chunk that does not fit.
fn sdes_chunks(body: &[u8], count: u8) -> Vec<SdesChunk> {
    let mut out = Vec::new();
    let mut at = 0;
    for _ in 0..count {
        let Some(ssrc) = be32(body, at) else { break };
        at += 4;
        let mut cname = None;
        loop {
            let Some(&kind) = body.get(at) else {
                return out_with(out, ssrc, cname);
            };
            if kind == 0 {
                at += 1;
                at = (at + 3) & !3;
                break;
            }
            let Some(&len) = body.get(at + 1) else {
                return out_with(out, ssrc, cname);
            };
            let Some(text) = body.get(at + 2..at + 2 + usize::from(len)) else {
                return out_with(out, ssrc, cname);
            };
            if kind == 1 {
                cname = Some(String::from_utf8_lossy(text).into_owned());
            }
            at += 2 + usize::from(len);
        }
        out.push(SdesChunk { ssrc, cname });
    }
    out
}

fn out_with(mut out: Vec<SdesChunk>, ssrc: u32, cname: Option<String>) -> Vec<SdesChunk> {
    out.push(SdesChunk { ssrc, cname });
    out
}

/// The packets of a compound RTCP datagram (RFC 3550 §6.1), in order.
#[derive(Debug, Clone, Copy)]
pub struct Compound<'a> {
    bytes: &'a [u8],
    at: usize,
    done: bool,
}

/// One element of a compound datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element<'a> {
    /// An RTCP packet.
    Packet(Packet<&'a [u8]>),
    /// Bytes after the last whole packet that do not start another one. After a first packet,
    /// this is what SRTCP's E-flag/index word and authentication tag look like (RFC 3711 §3.4).
    Trailer(&'a [u8]),
}

impl<'a> Compound<'a> {
    /// Iterates the packets of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Compound {
            bytes,
            at: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for Compound<'a> {
    type Item = Element<'a>;

    fn next(&mut self) -> Option<Element<'a>> {
        if self.done || self.at >= self.bytes.len() {
            return None;
        }
        let rest = &self.bytes[self.at..];
        match Packet::new_checked(rest) {
            // RTCP packet types live in 192–223 (RFC 5761 §4); anything else, e.g. SRTCP's
            // E-flag/index word (which starts with a 1 bit too), ends the compound.
            Ok(p) if (192..=223).contains(&p.packet_type()) => {
                let len = p.total_len();
                self.at += len;
                Some(Element::Packet(Packet {
                    buffer: &rest[..len],
                }))
            }
            _ => {
                self.done = true;
                Some(Element::Trailer(rest))
            }
        }
    }
}

/// tshark 4.0's heuristic RTCP test: version 2, a first packet of type SR, RR, BYE, APP or PSFB,
/// and a length that is a multiple of four.
pub fn looks_like_rtcp(bytes: &[u8]) -> bool {
    bytes.len() >= 2
        && bytes[0] >> 6 == 2
        && matches!(
            bytes[1],
            packet_type::SR
                | packet_type::RR
                | packet_type::BYE
                | packet_type::APP
                | packet_type::PSFB
        )
        && bytes.len().is_multiple_of(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SR + SDES compound shaped like baresip's (sip-call-baresip-udp frame 507), values made
    /// up: SR from 0xbf9858e1 with one report block about 0x3460a615, then SDES CNAME "a@b".
    static SR_SDES: [u8; 68] = [
        0x81, 0xc8, 0x00, 0x0c, // SR, RC=1, length 12 words
        0xbf, 0x98, 0x58, 0xe1, // sender SSRC
        0xe9, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00, // NTP
        0x00, 0x00, 0x10, 0x00, // RTP timestamp
        0x00, 0x00, 0x00, 0xfa, // packets
        0x00, 0x00, 0x9c, 0x40, // octets
        0x34, 0x60, 0xa6, 0x15, // block: SSRC
        0x02, 0xff, 0xff, 0xfe, // fraction 2/256, cumulative -2
        0x00, 0x01, 0x00, 0x10, // highest seq
        0x00, 0x00, 0x00, 0x09, // jitter
        0x00, 0x01, 0x80, 0x00, // LSR
        0x00, 0x00, 0x80, 0x00, // DLSR 0.5 s
        0x81, 0xca, 0x00, 0x03, // SDES, 1 chunk, 3 words
        0xbf, 0x98, 0x58, 0xe1, // chunk SSRC
        0x01, 0x03, b'a', b'@', b'b', 0x00, 0x00, 0x00, // CNAME "a@b", END, pad
    ];

    fn compound_sr_sdes() -> Vec<u8> {
        SR_SDES.to_vec()
    }

    #[test]
    fn sender_report_with_block() {
        let bytes = compound_sr_sdes();
        let mut it = Compound::new(&bytes);
        let Some(Element::Packet(sr)) = it.next() else {
            panic!("no SR")
        };
        assert_eq!(sr.packet_type(), packet_type::SR);
        assert_eq!(sr.total_len(), 52);
        match Repr::parse(&sr).unwrap() {
            Repr::SenderReport {
                ssrc,
                ntp,
                packet_count,
                blocks,
                ..
            } => {
                assert_eq!(ssrc, 0xbf98_58e1);
                assert_eq!(ntp >> 16 & 0xffff_ffff, 0x0001_8000);
                assert_eq!(packet_count, 250);
                assert_eq!(blocks.len(), 1);
                let b = blocks[0];
                assert_eq!(b.ssrc, 0x3460_a615);
                assert_eq!(b.fraction_lost, 2);
                assert_eq!(b.cumulative_lost, -2);
                assert_eq!(b.jitter, 9);
                assert_eq!(b.lsr, 0x0001_8000);
                assert_eq!(b.dlsr, 0x8000);
            }
            other => panic!("{other:?}"),
        }
        let Some(Element::Packet(sdes)) = it.next() else {
            panic!("no SDES")
        };
        assert_eq!(
            Repr::parse(&sdes).unwrap(),
            Repr::SourceDescription {
                chunks: vec![SdesChunk {
                    ssrc: 0xbf98_58e1,
                    cname: Some("a@b".into())
                }]
            }
        );
        assert_eq!(it.next(), None);
    }

    #[test]
    fn sdes_cname_and_end() {
        // SDES with one chunk: SSRC, CNAME "ab", END, padded to 12 body bytes.
        let bytes = [
            0x81, 0xca, 0x00, 0x03, 0, 0, 0, 7, 0x01, 0x02, b'a', b'b', 0x00, 0, 0, 0,
        ];
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(
            Repr::parse(&p).unwrap(),
            Repr::SourceDescription {
                chunks: vec![SdesChunk {
                    ssrc: 7,
                    cname: Some("ab".into())
                }]
            }
        );
    }

    #[test]
    fn bye_with_reason_and_app() {
        let bye = [0x81, 0xcb, 0x00, 0x02, 0, 0, 0, 9, 0x02, b'o', b'k', 0];
        let p = Packet::new_checked(&bye[..]).unwrap();
        assert_eq!(
            Repr::parse(&p).unwrap(),
            Repr::Goodbye {
                ssrcs: vec![9],
                reason: Some("ok".into())
            }
        );
        let app = [0x80, 0xcc, 0x00, 0x02, 0, 0, 0, 9, b'P', b'o', b'C', b'1'];
        let p = Packet::new_checked(&app[..]).unwrap();
        assert_eq!(
            Repr::parse(&p).unwrap(),
            Repr::App {
                ssrc: 9,
                subtype: 0,
                name: *b"PoC1"
            }
        );
    }

    #[test]
    fn srtcp_trailer_is_not_a_packet() {
        // RR with no blocks, then E-flag/index and a 10-byte tag.
        let mut b = vec![0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 5];
        b.extend_from_slice(&[0x80, 0, 0, 1]);
        b.extend_from_slice(&[0x5a; 10]);
        let elems: Vec<_> = Compound::new(&b).collect();
        assert_eq!(elems.len(), 2);
        assert!(matches!(elems[1], Element::Trailer(t) if t.len() == 14));
    }

    #[test]
    fn counts_beyond_the_packet_are_errors() {
        // RR claiming 3 blocks in a 2-word packet.
        let rr = [0x83, 0xc9, 0x00, 0x01, 0, 0, 0, 5];
        let p = Packet::new_checked(&rr[..]).unwrap();
        assert!(matches!(Repr::parse(&p), Err(Error::Truncated { .. })));
        // Length beyond the buffer.
        let long = [0x80, 0xc9, 0x00, 0x09, 0, 0, 0, 5];
        assert!(matches!(
            Packet::new_checked(&long[..]),
            Err(Error::Truncated { need: 40, .. })
        ));
        assert_eq!(
            Packet::new_checked(&[0x40, 0xc9, 0, 0][..]),
            Err(Error::Version(1))
        );
    }

    #[test]
    fn heuristic_matches_tshark() {
        assert!(looks_like_rtcp(&[0x80, 0xc8, 0, 0]));
        assert!(looks_like_rtcp(&[0x80, 0xce, 0, 0]));
        // SDES alone, XR and RTPFB are not accepted by tshark's heuristic.
        assert!(!looks_like_rtcp(&[0x80, 0xca, 0, 0]));
        assert!(!looks_like_rtcp(&[0x80, 0xcf, 0, 0]));
        assert!(!looks_like_rtcp(&[0x80, 0xc8, 0, 0, 0]));
    }
}
