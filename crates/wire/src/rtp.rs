//! RTP data packets (RFC 3550 §5.1) and the first-byte demultiplexing of media ports
//! (RFC 7983 §7, RFC 5761 §4).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           timestamp                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           synchronization source (SSRC) identifier            |
//! +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//! |            contributing source (CSRC) identifiers             |
//! |                             ....                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! SRTP (RFC 3711 §3.1) keeps this header in the clear, so the same view reads SRTP packets; the
//! payload it returns then holds the ciphertext and authentication tag.

use thiserror::Error;

/// Byte offsets and ranges of the fixed header's fields.
pub mod field {
    /// A field's byte range.
    pub type Field = std::ops::Range<usize>;
    /// Version (2 bits), padding, extension, CSRC count (4 bits).
    pub const VPXCC: usize = 0;
    /// Marker (1 bit) and payload type (7 bits).
    pub const MPT: usize = 1;
    /// Sequence number.
    pub const SEQUENCE: Field = 2..4;
    /// Timestamp.
    pub const TIMESTAMP: Field = 4..8;
    /// Synchronization source.
    pub const SSRC: Field = 8..12;
    /// Where the CSRC list starts.
    pub const CSRC: usize = 12;
}

/// Length of the fixed header.
pub const HEADER_LEN: usize = field::CSRC;

/// Why bytes are not an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Error {
    /// Fewer bytes than the header claims.
    #[error("RTP truncated: need {need} bytes at offset {offset}, have {have}")]
    Truncated {
        /// Bytes needed from `offset`.
        need: usize,
        /// Bytes present from `offset`.
        have: usize,
        /// Where the missing part starts.
        offset: usize,
    },
    /// The version field is not 2.
    #[error("RTP version {0}, not 2")]
    Version(u8),
    /// The padding count (last octet) is zero or longer than the payload (RFC 3550 §5.1 `P`).
    #[error("RTP padding of {count} bytes does not fit {available} bytes after the header")]
    Padding {
        /// The padding count.
        count: u8,
        /// Bytes after the header.
        available: usize,
    },
}

/// A checked view of an RTP packet: after [`Packet::new_checked`] no accessor can panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
    header_len: usize,
    padding_len: usize,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that `buffer` holds a version-2 header whose CSRC list and header extension fit, and
    /// whose padding (when the `P` bit is set) is non-zero and fits after the header. These are the
    /// structural checks of tshark 4.0's heuristic RTP dissector.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated {
                need: HEADER_LEN,
                have: b.len(),
                offset: 0,
            });
        }
        let version = b[field::VPXCC] >> 6;
        if version != 2 {
            return Err(Error::Version(version));
        }
        let mut header_len = HEADER_LEN + 4 * usize::from(b[field::VPXCC] & 0x0f);
        if b[field::VPXCC] & 0x10 != 0 {
            // RFC 3550 §5.3.1: 16-bit profile data, 16-bit length in 32-bit words.
            if b.len() < header_len + 4 {
                return Err(Error::Truncated {
                    need: 4,
                    have: b.len().saturating_sub(header_len),
                    offset: header_len,
                });
            }
            let words = usize::from(u16::from_be_bytes([b[header_len + 2], b[header_len + 3]]));
            header_len += 4 + 4 * words;
        }
        if b.len() < header_len {
            return Err(Error::Truncated {
                need: header_len,
                have: b.len(),
                offset: 0,
            });
        }
        let mut padding_len = 0;
        if b[field::VPXCC] & 0x20 != 0 {
            let count = b[b.len() - 1];
            let available = b.len() - header_len;
            if count == 0 || usize::from(count) > available {
                return Err(Error::Padding { count, available });
            }
            padding_len = usize::from(count);
        }
        Ok(Packet {
            buffer,
            header_len,
            padding_len,
        })
    }

    /// Checks only the fixed header (12 bytes, version 2), as tshark does for media that SDP
    /// announced: a CSRC list or extension that overruns the packet is cut at its end, and padding
    /// that does not fit is ignored.
    pub fn new_lax(buffer: T) -> Result<Self, Error> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated {
                need: HEADER_LEN,
                have: b.len(),
                offset: 0,
            });
        }
        let version = b[field::VPXCC] >> 6;
        if version != 2 {
            return Err(Error::Version(version));
        }
        let mut header_len = HEADER_LEN + 4 * usize::from(b[field::VPXCC] & 0x0f);
        if b[field::VPXCC] & 0x10 != 0 && b.len() >= header_len + 4 {
            let words = usize::from(u16::from_be_bytes([b[header_len + 2], b[header_len + 3]]));
            header_len += 4 + 4 * words;
        }
        let header_len = header_len.min(b.len());
        let mut padding_len = 0;
        if b[field::VPXCC] & 0x20 != 0 {
            let count = usize::from(b[b.len() - 1]);
            if count != 0 && count <= b.len() - header_len {
                padding_len = count;
            }
        }
        Ok(Packet {
            buffer,
            header_len,
            padding_len,
        })
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The version (always 2 for a checked packet).
    pub fn version(&self) -> u8 {
        self.b()[field::VPXCC] >> 6
    }
    /// `P`: the packet ends with padding whose length is its last octet.
    pub fn padding(&self) -> bool {
        self.b()[field::VPXCC] & 0x20 != 0
    }
    /// `X`: a header extension follows the CSRC list.
    pub fn extension(&self) -> bool {
        self.b()[field::VPXCC] & 0x10 != 0
    }
    /// Number of CSRC identifiers.
    pub fn csrc_count(&self) -> u8 {
        self.b()[field::VPXCC] & 0x0f
    }
    /// `M`: marker (profile-defined; talkspurt start for audio, frame end for video).
    pub fn marker(&self) -> bool {
        self.b()[field::MPT] & 0x80 != 0
    }
    /// Payload type (7 bits).
    pub fn payload_type(&self) -> u8 {
        self.b()[field::MPT] & 0x7f
    }
    /// Sequence number.
    pub fn sequence(&self) -> u16 {
        let b = self.b();
        u16::from_be_bytes([b[2], b[3]])
    }
    /// Media timestamp, in the payload's clock.
    pub fn timestamp(&self) -> u32 {
        let b = self.b();
        u32::from_be_bytes([b[4], b[5], b[6], b[7]])
    }
    /// Synchronization source.
    pub fn ssrc(&self) -> u32 {
        let b = self.b();
        u32::from_be_bytes([b[8], b[9], b[10], b[11]])
    }
    /// The `i`th contributing source, if present.
    pub fn csrc(&self, i: usize) -> Option<u32> {
        if i >= usize::from(self.csrc_count()) {
            return None;
        }
        let at = field::CSRC + 4 * i;
        let s = self.b().get(at..at + 4)?;
        Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    /// The header extension's profile-defined identifier (RFC 3550 §5.3.1), if present.
    pub fn extension_profile(&self) -> Option<u16> {
        if !self.extension() {
            return None;
        }
        let at = field::CSRC + 4 * usize::from(self.csrc_count());
        let s = self.b().get(at..at + 2)?;
        Some(u16::from_be_bytes([s[0], s[1]]))
    }
    /// Header length: fixed part, CSRC list and extension.
    pub fn header_len(&self) -> usize {
        self.header_len
    }
    /// Padding octets at the end (0 unless `P`).
    pub fn padding_len(&self) -> usize {
        self.padding_len
    }
    /// The payload, without header and padding.
    pub fn payload(&self) -> &[u8] {
        let b = self.b();
        &b[self.header_len..b.len() - self.padding_len]
    }
    /// Whole packet length.
    pub fn len(&self) -> usize {
        self.b().len()
    }
    /// Never true for a checked packet (it has at least a header); here for clippy's sake.
    pub fn is_empty(&self) -> bool {
        self.b().is_empty()
    }
}

/// The decoded meaning of an RTP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Marker bit.
    pub marker: bool,
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// Timestamp.
    pub timestamp: u32,
    /// Synchronization source.
    pub ssrc: u32,
    /// Contributing sources.
    pub csrc_count: u8,
    /// A header extension is present.
    pub extension: bool,
    /// Header length.
    pub header_len: usize,
    /// Payload length (without padding).
    pub payload_len: usize,
    /// Padding length.
    pub padding_len: usize,
}

impl Repr {
    /// Reads a checked packet.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Repr {
        Repr {
            marker: p.marker(),
            payload_type: p.payload_type(),
            sequence: p.sequence(),
            timestamp: p.timestamp(),
            ssrc: p.ssrc(),
            csrc_count: p.csrc_count(),
            extension: p.extension(),
            header_len: p.header_len(),
            payload_len: p.payload().len(),
            padding_len: p.padding_len(),
        }
    }
}

/// What the first octet of a datagram on a multiplexed media port says it is (RFC 7983 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demux {
    /// 0–3: STUN.
    Stun,
    /// 16–19: ZRTP.
    Zrtp,
    /// 20–63: DTLS.
    Dtls,
    /// 64–79: TURN ChannelData.
    TurnChannel,
    /// 128–191: RTP or RTCP.
    RtpRtcp,
    /// Anything else (4–15, 80–127, 192–255): not assigned.
    Unknown,
}

/// Classifies a datagram on a port shared by STUN, ZRTP, DTLS, TURN and RTP (RFC 7983 §7).
pub fn demux(first_octet: u8) -> Demux {
    match first_octet {
        0..=3 => Demux::Stun,
        16..=19 => Demux::Zrtp,
        20..=63 => Demux::Dtls,
        64..=79 => Demux::TurnChannel,
        128..=191 => Demux::RtpRtcp,
        _ => Demux::Unknown,
    }
}

/// RTCP packet types 192–223 read as an RTP marker bit plus payload type 64–95 (RFC 5761 §4), so
/// on a shared (rtcp-mux) port a second octet in that range is RTCP.
pub fn second_octet_is_rtcp(octet: u8) -> bool {
    (192..=223).contains(&octet)
}

/// ZRTP (RFC 6189 §5) puts the magic cookie `ZRTP` at octets 4–7 behind a 0x10 first octet.
pub fn looks_like_zrtp(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && bytes[0] & 0xf0 == 0x10 && &bytes[4..8] == b"ZRTP"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PCMU, seq 0x1234, ts 0x000000a0, SSRC 0xca110000, marker set, 4 payload bytes.
    static PCMU: [u8; 16] = [
        0x80, 0x80, 0x12, 0x34, 0x00, 0x00, 0x00, 0xa0, 0xca, 0x11, 0x00, 0x00, 0xff, 0xfe, 0xfd,
        0xfc,
    ];

    #[test]
    fn fixed_header_fields() {
        let p = Packet::new_checked(&PCMU[..]).unwrap();
        assert_eq!(p.version(), 2);
        assert!(p.marker());
        assert_eq!(p.payload_type(), 0);
        assert_eq!(p.sequence(), 0x1234);
        assert_eq!(p.timestamp(), 0xa0);
        assert_eq!(p.ssrc(), 0xca11_0000);
        assert_eq!(p.header_len(), 12);
        assert_eq!(p.payload(), &[0xff, 0xfe, 0xfd, 0xfc]);
        let r = Repr::parse(&p);
        assert_eq!(r.payload_len, 4);
        assert_eq!(r.padding_len, 0);
    }

    #[test]
    fn csrc_and_extension_lengthen_the_header() {
        // CC=1, X=1; extension profile 0xbede, 1 word.
        let bytes = [
            0x91, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, // fixed, PT 96
            0xaa, 0xbb, 0xcc, 0xdd, // CSRC
            0xbe, 0xde, 0x00, 0x01, 0x10, 0xff, 0, 0,    // extension
            0x42, // payload
        ];
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.csrc(0), Some(0xaabb_ccdd));
        assert_eq!(p.csrc(1), None);
        assert_eq!(p.extension_profile(), Some(0xbede));
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.payload(), &[0x42]);
    }

    #[test]
    fn padding_is_stripped_and_checked() {
        let mut bytes = PCMU.to_vec();
        bytes[0] |= 0x20;
        bytes[15] = 2; // two padding bytes
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.payload(), &[0xff, 0xfe]);
        bytes[15] = 0;
        assert_eq!(
            Packet::new_checked(&bytes[..]),
            Err(Error::Padding {
                count: 0,
                available: 4
            })
        );
        bytes[15] = 5;
        assert!(matches!(
            Packet::new_checked(&bytes[..]),
            Err(Error::Padding { count: 5, .. })
        ));
    }

    #[test]
    fn short_or_wrong_version_is_refused() {
        assert!(matches!(
            Packet::new_checked(&PCMU[..11]),
            Err(Error::Truncated { need: 12, .. })
        ));
        let mut v1 = PCMU;
        v1[0] = 0x40;
        assert_eq!(Packet::new_checked(&v1[..]), Err(Error::Version(1)));
        // CC=15 needs 72 header bytes.
        let mut cc = PCMU;
        cc[0] = 0x8f;
        assert!(matches!(
            Packet::new_checked(&cc[..]),
            Err(Error::Truncated { need: 72, .. })
        ));
        // X set but no room for the extension header.
        let mut x = [0u8; 14];
        x[0] = 0x90;
        assert!(matches!(
            Packet::new_checked(&x[..]),
            Err(Error::Truncated { offset: 12, .. })
        ));
    }

    #[test]
    fn lax_view_reads_what_sdp_announced() {
        let mut bytes = PCMU.to_vec();
        bytes[0] = 0xaf; // P set, CC=15 (overruns), last octet 0xfc
        assert!(Packet::new_checked(&bytes[..]).is_err());
        let p = Packet::new_lax(&bytes[..]).unwrap();
        assert_eq!(p.sequence(), 0x1234);
        assert_eq!(p.header_len(), 16);
        assert_eq!(p.payload(), &[] as &[u8]);
        assert_eq!(p.csrc(1), None);
        assert_eq!(
            Packet::new_lax(&bytes[..8]).map(|p| p.len()),
            Err(Error::Truncated {
                need: 12,
                have: 8,
                offset: 0
            })
        );
    }

    #[test]
    fn first_octet_demultiplexing() {
        assert_eq!(demux(0x00), Demux::Stun);
        assert_eq!(demux(0x01), Demux::Stun);
        assert_eq!(demux(0x10), Demux::Zrtp);
        assert_eq!(demux(0x16), Demux::Dtls);
        assert_eq!(demux(0x40), Demux::TurnChannel);
        assert_eq!(demux(0x80), Demux::RtpRtcp);
        assert_eq!(demux(0xbf), Demux::RtpRtcp);
        assert_eq!(demux(0xc0), Demux::Unknown);
        assert!(second_octet_is_rtcp(200));
        assert!(!second_octet_is_rtcp(0x80));
        let mut z = [0u8; 12];
        z[0] = 0x10;
        z[4..8].copy_from_slice(b"ZRTP");
        assert!(looks_like_zrtp(&z));
    }
}
