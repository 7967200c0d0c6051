//! The ISAKMP/IKE header shared by IKEv1 (RFC 2408 §3.1) and IKEv2 (RFC 7296 §3.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       IKE SA Initiator's SPI                  |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       IKE SA Responder's SPI                  |
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          Message ID                           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                            Length                             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::{Error, ExchangeType, PayloadType};
use crate::bytes::{be32, be64};

/// Byte ranges of the header's fields.
pub mod field {
    /// A field's byte range.
    pub type Field = std::ops::Range<usize>;
    /// Initiator's SPI (IKEv1: initiator cookie).
    pub const ISPI: Field = 0..8;
    /// Responder's SPI (IKEv1: responder cookie); zero in the first message.
    pub const RSPI: Field = 8..16;
    /// Type of the first payload.
    pub const NEXT_PAYLOAD: usize = 16;
    /// Major version (high nibble) and minor version (low nibble).
    pub const VERSION: usize = 17;
    /// Exchange type.
    pub const EXCHANGE: usize = 18;
    /// Flags.
    pub const FLAGS: usize = 19;
    /// Message ID.
    pub const MESSAGE_ID: Field = 20..24;
    /// Length of the whole message, header included.
    pub const LENGTH: Field = 24..28;
    /// Where the first payload starts.
    pub const PAYLOAD: usize = 28;
}

/// Length of the fixed header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// Header flags. IKEv2 (RFC 7296 §3.1) uses Initiator, Version and Response; IKEv1 (RFC 2408 §3.1)
/// uses Encryption, Commit and Authentication-only. Both sets are decoded from the same byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(pub u8);

impl Flags {
    /// IKEv2 `I`: the sender is the original initiator of the IKE SA.
    pub fn initiator(self) -> bool {
        self.0 & 0x08 != 0
    }
    /// IKEv2 `V`: the sender can speak a higher major version.
    pub fn higher_version(self) -> bool {
        self.0 & 0x10 != 0
    }
    /// IKEv2 `R`: this message is a response.
    pub fn response(self) -> bool {
        self.0 & 0x20 != 0
    }
    /// IKEv1 `E`: the payloads after the header are encrypted.
    pub fn encrypted(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// IKEv1 `C`: commit.
    pub fn commit(self) -> bool {
        self.0 & 0x02 != 0
    }
    /// IKEv1 `A`: authentication only.
    pub fn auth_only(self) -> bool {
        self.0 & 0x04 != 0
    }
}

/// A read-only view of an ISAKMP header, checked once by [`Header::new_checked`]; accessors
/// cannot panic after that.
#[derive(Debug, Clone, Copy)]
pub struct Header<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Header<T> {
    /// Wraps `buffer` after checking that it holds a whole header with version 1.x or 2.x and a
    /// length field of at least the header's size.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let bytes = buffer.as_ref();
        if bytes.len() < HEADER_LEN {
            return Err(Error::Truncated {
                need: HEADER_LEN,
                have: bytes.len(),
                offset: 0,
            });
        }
        let major = bytes[field::VERSION] >> 4;
        if major != 1 && major != 2 {
            return Err(Error::BadVersion(bytes[field::VERSION]));
        }
        let header = Header { buffer };
        if (header.length() as usize) < HEADER_LEN {
            return Err(Error::BadLength {
                length: header.length(),
                offset: field::LENGTH.start,
            });
        }
        Ok(header)
    }

    fn bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Initiator's SPI.
    pub fn ispi(&self) -> u64 {
        be64(self.bytes(), field::ISPI.start).unwrap_or_default()
    }
    /// Responder's SPI (zero in an IKE_SA_INIT request or a Main Mode's first message).
    pub fn rspi(&self) -> u64 {
        be64(self.bytes(), field::RSPI.start).unwrap_or_default()
    }
    /// Type of the first payload.
    pub fn next_payload(&self) -> PayloadType {
        PayloadType::from(self.bytes()[field::NEXT_PAYLOAD])
    }
    /// Major version: 1 (ISAKMP/IKEv1) or 2 (IKEv2).
    pub fn major_version(&self) -> u8 {
        self.bytes()[field::VERSION] >> 4
    }
    /// Minor version.
    pub fn minor_version(&self) -> u8 {
        self.bytes()[field::VERSION] & 0x0f
    }
    /// Exchange type, interpreted for this header's major version.
    pub fn exchange(&self) -> ExchangeType {
        ExchangeType::from(self.bytes()[field::EXCHANGE])
    }
    /// Flags.
    pub fn flags(&self) -> Flags {
        Flags(self.bytes()[field::FLAGS])
    }
    /// Message ID.
    pub fn message_id(&self) -> u32 {
        be32(self.bytes(), field::MESSAGE_ID.start).unwrap_or_default()
    }
    /// Length of the message as the header states it.
    pub fn length(&self) -> u32 {
        be32(self.bytes(), field::LENGTH.start).unwrap_or_default()
    }
    /// The bytes after the header, up to the stated length or the end of the buffer.
    pub fn payload(&self) -> &[u8] {
        let end = (self.length() as usize).min(self.bytes().len());
        self.bytes().get(HEADER_LEN..end).unwrap_or(&[])
    }
    /// The stated length exceeds the buffer (the message was cut short).
    pub fn truncated(&self) -> bool {
        self.length() as usize > self.bytes().len()
    }
}

/// The decoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderRepr {
    /// Initiator's SPI.
    pub ispi: u64,
    /// Responder's SPI.
    pub rspi: u64,
    /// First payload's type.
    pub next_payload: PayloadType,
    /// Major version (1 or 2).
    pub major_version: u8,
    /// Minor version.
    pub minor_version: u8,
    /// Exchange type.
    pub exchange: ExchangeType,
    /// Flags.
    pub flags: Flags,
    /// Message ID.
    pub message_id: u32,
    /// Stated length.
    pub length: u32,
}

impl HeaderRepr {
    /// Decodes a checked header.
    pub fn parse<T: AsRef<[u8]>>(h: &Header<T>) -> Self {
        HeaderRepr {
            ispi: h.ispi(),
            rspi: h.rspi(),
            next_payload: h.next_payload(),
            major_version: h.major_version(),
            minor_version: h.minor_version(),
            exchange: h.exchange(),
            flags: h.flags(),
            message_id: h.message_id(),
            length: h.length(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IKE_SA_INIT request header (ikev2pI2 from tcpdump's tests), length 28 for the test.
    static HEADER_BYTES: [u8; 28] = [
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, // SPIi
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // SPIr
        0x21, 0x20, 0x22, 0x08, // SA, 2.0, IKE_SA_INIT, Initiator
        0x00, 0x00, 0x00, 0x00, // Message ID
        0x00, 0x00, 0x00, 0x1c, // Length 28
    ];

    #[test]
    fn decodes_every_field() {
        let h = Header::new_checked(&HEADER_BYTES[..]).unwrap();
        let r = HeaderRepr::parse(&h);
        assert_eq!(r.ispi, 0x0001020304050607);
        assert_eq!(r.rspi, 0);
        assert_eq!(r.next_payload, PayloadType::SecurityAssociation);
        assert_eq!((r.major_version, r.minor_version), (2, 0));
        assert_eq!(r.exchange, ExchangeType::IkeSaInit);
        assert!(r.flags.initiator() && !r.flags.response());
        assert_eq!(r.length, 28);
        assert!(h.payload().is_empty());
        assert!(!h.truncated());
    }

    #[test]
    fn rejects_short_buffers_bad_versions_and_lengths() {
        assert!(matches!(
            Header::new_checked(&HEADER_BYTES[..27]),
            Err(Error::Truncated {
                need: 28,
                have: 27,
                ..
            })
        ));
        let mut b = HEADER_BYTES;
        b[17] = 0x30;
        assert_eq!(
            Header::new_checked(&b[..]).err(),
            Some(Error::BadVersion(0x30))
        );
        let mut b = HEADER_BYTES;
        b[27] = 10;
        assert!(matches!(
            Header::new_checked(&b[..]),
            Err(Error::BadLength { length: 10, .. })
        ));
    }

    #[test]
    fn a_length_beyond_the_buffer_is_truncation_not_a_panic() {
        let mut b = HEADER_BYTES;
        b[26] = 0x10;
        let h = Header::new_checked(&b[..]).unwrap();
        assert!(h.truncated());
        assert!(h.payload().is_empty());
    }

    #[test]
    fn ikev1_flags() {
        let f = Flags(0x01);
        assert!(f.encrypted() && !f.commit() && !f.auth_only());
        assert!(Flags(0x20).response() && Flags(0x10).higher_version());
    }
}
