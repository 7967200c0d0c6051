//! STUN (RFC 8489, which obsoletes RFC 5389; classic RFC 3489) with the TURN (RFC 8656) and ICE
//! (RFC 8445) attributes, TURN ChannelData (RFC 8656 §12.4), the first-byte demultiplexing of a
//! port shared with DTLS and RTP (RFC 7983, RFC 9443), and the framing of STUN over TCP.
//!
//! Our own decoder rather than `stun_codec` or `stun-types`, deliberately: both build for wasm32,
//! but `stun_codec` decodes into owned values through an attribute-set type and stops at the first
//! attribute it cannot decode, and neither reads classic RFC 3489 messages (a 16-byte transaction
//! id where the cookie would be), ChannelData, or a TCP byte stream. Here decoding is zero-copy and
//! lax: every attribute that decodes is kept, with where and why the rest did not.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |0 0|     STUN Message Type     |         Message Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Magic Cookie                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Transaction ID (96 bits)                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

mod attr;
mod channel_data;
mod demux;

pub use attr::{Attribute, AttributeType, Attributes, RawAttribute};
pub use channel_data::{channel_number, data_lax as channel_data_lax, ChannelData};
pub use demux::{demux, tcp_frame_len, Demux, Framed};

use crate::bytes::{be16, be32};

/// Byte ranges of the header.
pub mod field {
    /// A field's byte range.
    pub type Field = std::ops::Range<usize>;
    /// Message type (class and method interleaved, §5).
    pub const TYPE: Field = 0..2;
    /// Length of the attributes, header excluded.
    pub const LENGTH: Field = 2..4;
    /// Magic cookie (RFC 5389 and later).
    pub const COOKIE: Field = 4..8;
    /// Transaction ID (96 bits).
    pub const TRANSACTION_ID: Field = 8..20;
    /// RFC 3489's 128-bit transaction ID, where the cookie now sits.
    pub const CLASSIC_TRANSACTION_ID: Field = 4..20;
    /// Where attributes start.
    pub const ATTRIBUTES: usize = 20;
}

/// Length of the header.
pub const HEADER_LEN: usize = field::ATTRIBUTES;

/// The magic cookie (RFC 8489 §5).
pub const MAGIC_COOKIE: u32 = 0x2112_a442;

/// A whole STUN message with the magic cookie that exactly fills a datagram (RFC 8489 §5: the
/// top two bits zero, the cookie, a length that counts the attributes): the test that names a
/// datagram STUN before any STUN analysis has seen its flow.
pub fn looks_like(payload: &[u8]) -> bool {
    payload.first().is_some_and(|b| b & 0xc0 == 0)
        && be32(payload, field::COOKIE.start) == Some(MAGIC_COOKIE)
        && be16(payload, field::LENGTH.start).map(|l| HEADER_LEN + usize::from(l))
            == Some(payload.len())
}

/// A TCP stream that starts with a STUN header (RFC 8489 §6.2.2; TURN over TCP starts with an
/// Allocate): the cookie and a length that is a multiple of four, the message itself possibly
/// still to come in later segments.
pub fn starts_stream(payload: &[u8]) -> bool {
    payload.first().is_some_and(|b| b & 0xc0 == 0)
        && be32(payload, field::COOKIE.start) == Some(MAGIC_COOKIE)
        && be16(payload, field::LENGTH.start).is_some_and(|l| l % 4 == 0)
}

/// XORed into a CRC-32 to make the FINGERPRINT attribute (RFC 8489 §14.7).
const FINGERPRINT_XOR: u32 = 0x5354_554e;

/// Why bytes are not (or not entirely) a STUN message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Fewer bytes than a structure needs.
    #[error("stun: truncated at offset {offset}: need {need} bytes, have {have}")]
    Truncated {
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
        /// Offset of the structure.
        offset: usize,
    },
    /// The two most significant bits of the type are not zero.
    #[error("stun: not a STUN message type")]
    NotStun,
    /// The message length is not a multiple of four.
    #[error("stun: length {0} is not a multiple of 4")]
    BadLength(u16),
    /// An attribute's value does not have the size its type requires.
    #[error("stun: attribute {kind:#06x} at offset {offset} has a bad value")]
    BadAttribute {
        /// Attribute type.
        kind: u16,
        /// Offset of the attribute.
        offset: usize,
    },
}

/// Message class (RFC 8489 §5: bits C1 and C0 of the type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Request (0b00).
    Request,
    /// Indication (0b01).
    Indication,
    /// Success response (0b10).
    SuccessResponse,
    /// Error response (0b11).
    ErrorResponse,
}

impl Class {
    /// Lower-case name: `request`, `indication`, `success`, `error`.
    pub fn name(self) -> &'static str {
        match self {
            Class::Request => "request",
            Class::Indication => "indication",
            Class::SuccessResponse => "success",
            Class::ErrorResponse => "error",
        }
    }

    /// A success or error response.
    pub fn is_response(self) -> bool {
        matches!(self, Class::SuccessResponse | Class::ErrorResponse)
    }
}

/// STUN methods (IANA "STUN Methods": RFC 8489, RFC 3489, RFC 8656, RFC 6062).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// Binding (0x001).
    Binding,
    /// Shared Secret (0x002, RFC 3489 only).
    SharedSecret,
    /// TURN Allocate (0x003).
    Allocate,
    /// TURN Refresh (0x004).
    Refresh,
    /// TURN Send (0x006).
    Send,
    /// TURN Data (0x007).
    Data,
    /// TURN CreatePermission (0x008).
    CreatePermission,
    /// TURN ChannelBind (0x009).
    ChannelBind,
    /// TURN-TCP Connect (0x00a, RFC 6062).
    Connect,
    /// TURN-TCP ConnectionBind (0x00b).
    ConnectionBind,
    /// TURN-TCP ConnectionAttempt (0x00c).
    ConnectionAttempt,
    /// Google's GOOG-PING (0x080).
    GoogPing,
    /// Anything else, kept.
    Unknown(u16),
}

impl From<u16> for Method {
    fn from(v: u16) -> Self {
        match v {
            0x001 => Method::Binding,
            0x002 => Method::SharedSecret,
            0x003 => Method::Allocate,
            0x004 => Method::Refresh,
            0x006 => Method::Send,
            0x007 => Method::Data,
            0x008 => Method::CreatePermission,
            0x009 => Method::ChannelBind,
            0x00a => Method::Connect,
            0x00b => Method::ConnectionBind,
            0x00c => Method::ConnectionAttempt,
            0x080 => Method::GoogPing,
            other => Method::Unknown(other),
        }
    }
}

impl Method {
    /// The 12-bit method number.
    pub fn value(self) -> u16 {
        match self {
            Method::Binding => 0x001,
            Method::SharedSecret => 0x002,
            Method::Allocate => 0x003,
            Method::Refresh => 0x004,
            Method::Send => 0x006,
            Method::Data => 0x007,
            Method::CreatePermission => 0x008,
            Method::ChannelBind => 0x009,
            Method::Connect => 0x00a,
            Method::ConnectionBind => 0x00b,
            Method::ConnectionAttempt => 0x00c,
            Method::GoogPing => 0x080,
            Method::Unknown(v) => v,
        }
    }

    /// The name as the RFCs write it.
    pub fn name(self) -> String {
        let s = match self {
            Method::Binding => "Binding",
            Method::SharedSecret => "SharedSecret",
            Method::Allocate => "Allocate",
            Method::Refresh => "Refresh",
            Method::Send => "Send",
            Method::Data => "Data",
            Method::CreatePermission => "CreatePermission",
            Method::ChannelBind => "ChannelBind",
            Method::Connect => "Connect",
            Method::ConnectionBind => "ConnectionBind",
            Method::ConnectionAttempt => "ConnectionAttempt",
            Method::GoogPing => "GOOG-PING",
            Method::Unknown(v) => return format!("method {v:#05x}"),
        };
        s.to_owned()
    }
}

/// A message type: class and method (RFC 8489 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageType {
    /// Class.
    pub class: Class,
    /// Method.
    pub method: Method,
}

impl MessageType {
    /// Splits the 14-bit type into class and method.
    pub fn from_u16(t: u16) -> Self {
        let class = match ((t >> 7) & 0b10) | ((t >> 4) & 0b01) {
            0 => Class::Request,
            1 => Class::Indication,
            2 => Class::SuccessResponse,
            _ => Class::ErrorResponse,
        };
        let method = (t & 0x000f) | ((t >> 1) & 0x0070) | ((t >> 2) & 0x0f80);
        MessageType {
            class,
            method: Method::from(method),
        }
    }

    /// The 14-bit type.
    pub fn to_u16(self) -> u16 {
        let m = self.method.value();
        let c: u16 = match self.class {
            Class::Request => 0,
            Class::Indication => 1,
            Class::SuccessResponse => 2,
            Class::ErrorResponse => 3,
        };
        (m & 0x000f) | ((m & 0x0070) << 1) | ((m & 0x0f80) << 2) | ((c & 1) << 4) | ((c & 2) << 7)
    }
}

/// A transaction ID: 96 bits (RFC 5389 and later) or 128 bits (RFC 3489).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId {
    bytes: [u8; 16],
    len: u8,
}

impl TransactionId {
    /// The ID's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Lower-case hex with `0x`.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(2 + 2 * usize::from(self.len));
        s.push_str("0x");
        for b in self.as_bytes() {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    fn from_slice(b: &[u8]) -> Self {
        let mut bytes = [0u8; 16];
        let len = b.len().min(16);
        bytes[..len].copy_from_slice(&b[..len]);
        TransactionId {
            bytes,
            len: len as u8,
        }
    }
}

/// A read-only view of a STUN message, checked once by [`StunPacket::new_checked`]: a whole header
/// with the two leading zero bits, a length that is a multiple of four and fits the buffer.
#[derive(Debug, Clone, Copy)]
pub struct StunPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> StunPacket<T> {
    /// Wraps `buffer`; bytes after the message (on TCP, the next message) are ignored.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated {
                need: HEADER_LEN,
                have: b.len(),
                offset: 0,
            });
        }
        if b[0] & 0xc0 != 0 {
            return Err(Error::NotStun);
        }
        let length = be16(b, field::LENGTH.start).unwrap_or_default();
        if !length.is_multiple_of(4) {
            return Err(Error::BadLength(length));
        }
        let total = HEADER_LEN + usize::from(length);
        if total > b.len() {
            return Err(Error::Truncated {
                need: total,
                have: b.len(),
                offset: 0,
            });
        }
        Ok(StunPacket { buffer })
    }

    fn bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The raw 14-bit message type.
    pub fn raw_type(&self) -> u16 {
        be16(self.bytes(), field::TYPE.start).unwrap_or_default()
    }
    /// Class and method.
    pub fn message_type(&self) -> MessageType {
        MessageType::from_u16(self.raw_type())
    }
    /// Length of the attributes.
    pub fn length(&self) -> u16 {
        be16(self.bytes(), field::LENGTH.start).unwrap_or_default()
    }
    /// Header plus attributes.
    pub fn total_len(&self) -> usize {
        HEADER_LEN + usize::from(self.length())
    }
    /// The magic cookie is present: RFC 5389/8489 rather than classic RFC 3489.
    pub fn has_magic_cookie(&self) -> bool {
        be32(self.bytes(), field::COOKIE.start).unwrap_or_default() == MAGIC_COOKIE
    }
    /// The transaction ID: 96 bits, or 128 for a classic message.
    pub fn transaction_id(&self) -> TransactionId {
        let range = if self.has_magic_cookie() {
            field::TRANSACTION_ID
        } else {
            field::CLASSIC_TRANSACTION_ID
        };
        TransactionId::from_slice(&self.bytes()[range])
    }
    /// The attribute TLVs.
    pub fn attributes(&self) -> Attributes<'_> {
        Attributes::new(
            &self.bytes()[field::ATTRIBUTES..self.total_len()],
            field::ATTRIBUTES,
        )
    }

    /// Checks a FINGERPRINT attribute (RFC 8489 §14.7) against the CRC-32 of the message before
    /// it: `None` when there is none.
    pub fn fingerprint_ok(&self) -> Option<bool> {
        for raw in self.attributes() {
            let Ok(raw) = raw else { return None };
            if raw.kind == AttributeType::Fingerprint {
                let stated = be32(raw.value, 0).unwrap_or_default();
                let crc = crc32fast::hash(&self.bytes()[..raw.offset]) ^ FINGERPRINT_XOR;
                return Some(raw.value.len() == 4 && stated == crc);
            }
        }
        None
    }

    /// Whether a message without the magic cookie is plausibly RFC 3489 STUN: a type that RFC
    /// 3489 §11.1 defines, and attributes of RFC 3489's types that fill the length exactly.
    pub fn is_plausible_classic(&self) -> bool {
        if self.has_magic_cookie() {
            return false;
        }
        if !matches!(
            self.raw_type(),
            0x0001 | 0x0101 | 0x0111 | 0x0002 | 0x0102 | 0x0112
        ) {
            return false;
        }
        self.attributes().all(|a| {
            a.map(|a| matches!(a.kind.value(), 0x0001..=0x000b | 0x8020 | 0x8022) && a.padded_ok)
                .unwrap_or(false)
        })
    }
}

/// A decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// Class and method.
    pub kind: MessageType,
    /// The raw 14-bit type.
    pub raw_type: u16,
    /// RFC 3489 (no magic cookie).
    pub classic: bool,
    /// Transaction ID.
    pub transaction_id: TransactionId,
    /// Header plus attributes, in bytes.
    pub len: usize,
    /// Attributes that decoded, in order.
    pub attributes: Vec<Attribute<'a>>,
    /// Why an attribute did not decode, if one did not.
    pub error: Option<Error>,
    /// FINGERPRINT check, when the message has one.
    pub fingerprint_ok: Option<bool>,
}

impl<'a> Message<'a> {
    /// Decodes a checked packet.
    pub fn parse(p: &StunPacket<&'a [u8]>) -> Message<'a> {
        let bytes: &'a [u8] = p.buffer;
        let key = &bytes[field::CLASSIC_TRANSACTION_ID];
        let mut attributes = Vec::new();
        let mut error = None;
        for raw in Attributes::new(&bytes[field::ATTRIBUTES..p.total_len()], field::ATTRIBUTES) {
            match raw.and_then(|raw| raw.decode(key)) {
                Ok(a) => attributes.push(a),
                Err(e) => {
                    error.get_or_insert(e);
                    if matches!(e, Error::Truncated { .. }) {
                        break;
                    }
                }
            }
        }
        Message {
            kind: p.message_type(),
            raw_type: p.raw_type(),
            classic: !p.has_magic_cookie(),
            transaction_id: p.transaction_id(),
            len: p.total_len(),
            attributes,
            error,
            fingerprint_ok: p.fingerprint_ok(),
        }
    }

    /// Checks and decodes `bytes` in one step.
    pub fn decode(bytes: &'a [u8]) -> Result<Message<'a>, Error> {
        Ok(Message::parse(&StunPacket::new_checked(bytes)?))
    }

    /// The first attribute of a type.
    pub fn attribute(&self, kind: AttributeType) -> Option<&Attribute<'a>> {
        self.attributes.iter().find(|a| a.kind() == kind)
    }

    /// The error code of an ERROR-CODE attribute.
    pub fn error_code(&self) -> Option<(u16, &'a [u8])> {
        self.attributes.iter().find_map(|a| match *a {
            Attribute::ErrorCode { code, reason } => Some((code, reason)),
            _ => None,
        })
    }

    /// Every address attribute of a type.
    pub fn addresses(
        &self,
        kind: AttributeType,
    ) -> impl Iterator<Item = std::net::SocketAddr> + '_ {
        self.attributes.iter().filter_map(move |a| match *a {
            Attribute::Address { kind: k, addr } if k == kind => Some(addr),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// coturn's Binding success response to 10.99.7.2:34829 (stun.pcap frame 2): XOR-MAPPED-ADDRESS,
    /// MAPPED-ADDRESS, RESPONSE-ORIGIN, SOFTWARE, FINGERPRINT.
    static BINDING_SUCCESS: &str =
        "010100442112a4422888a1a0834194ce50c190ab002000080001a91f2b71a340\
000100080001880d0a630702802b000800010d960a63070180220014436f7475726e2d342e362e312027476f72\
73742780280004fea99c7e";

    /// An Allocate error response 401 with NONCE, REALM, SOFTWARE (stun.pcap frame 11).
    static ALLOCATE_401: &str = "011300582112a442762145670f7d051f56acd2250009001000000401556e6175\
74686f72697a656400150010663434316633373931373336376532390014000a746573742e6c6f63616c00008022\
0014436f7475726e2d342e362e312027476f72737427802800042cf66b5a";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn binding_success_response() {
        let bytes = hex(BINDING_SUCCESS);
        let msg = Message::decode(&bytes).unwrap();
        assert_eq!(msg.error, None);
        assert_eq!(msg.kind.class, Class::SuccessResponse);
        assert_eq!(msg.kind.method, Method::Binding);
        assert!(!msg.classic);
        assert_eq!(msg.transaction_id.to_hex(), "0x2888a1a0834194ce50c190ab");
        let mapped: Vec<_> = msg.addresses(AttributeType::XorMappedAddress).collect();
        assert_eq!(mapped, vec!["10.99.7.2:34829".parse().unwrap()]);
        let plain: Vec<_> = msg.addresses(AttributeType::MappedAddress).collect();
        assert_eq!(plain, vec!["10.99.7.2:34829".parse().unwrap()]);
        assert!(matches!(
            msg.attribute(AttributeType::Software),
            Some(Attribute::Text {
                value: b"Coturn-4.6.1 'Gorst'",
                ..
            })
        ));
        assert_eq!(msg.fingerprint_ok, Some(true));
    }

    #[test]
    fn a_bad_fingerprint_is_reported() {
        let mut bytes = hex(BINDING_SUCCESS);
        let n = bytes.len();
        bytes[n - 1] ^= 1;
        assert_eq!(Message::decode(&bytes).unwrap().fingerprint_ok, Some(false));
    }

    #[test]
    fn allocate_401_error_response() {
        let bytes = hex(ALLOCATE_401);
        let msg = Message::decode(&bytes).unwrap();
        assert_eq!(msg.kind.class, Class::ErrorResponse);
        assert_eq!(msg.kind.method, Method::Allocate);
        assert_eq!(msg.error_code(), Some((401, &b"Unauthorized"[..])));
        assert!(matches!(
            msg.attribute(AttributeType::Realm),
            Some(Attribute::Text {
                value: b"test.local",
                ..
            })
        ));
        assert!(msg.attribute(AttributeType::Nonce).is_some());
        assert_eq!(msg.fingerprint_ok, Some(true));
    }

    #[test]
    fn message_types_split_into_class_and_method() {
        for (t, class, method) in [
            (0x0001, Class::Request, Method::Binding),
            (0x0111, Class::ErrorResponse, Method::Binding),
            (0x0113, Class::ErrorResponse, Method::Allocate),
            (0x0103, Class::SuccessResponse, Method::Allocate),
            (0x0016, Class::Indication, Method::Send),
            (0x0017, Class::Indication, Method::Data),
            (0x0109, Class::SuccessResponse, Method::ChannelBind),
            (0x0200, Class::Request, Method::GoogPing),
        ] {
            let mt = MessageType::from_u16(t);
            assert_eq!((mt.class, mt.method), (class, method), "{t:#06x}");
            assert_eq!(mt.to_u16(), t);
        }
        assert_eq!(MessageType::from_u16(0x3eef).method, Method::Unknown(0xfff));
    }

    #[test]
    fn classic_binding_request_has_a_128_bit_id() {
        // stun__classic.pcap frame 1: Binding Request with CHANGE-REQUEST.
        let bytes = hex("000100089429ef88294dd52632c72931cb8dbb4c0003000400000000");
        let p = StunPacket::new_checked(&bytes[..]).unwrap();
        assert!(p.is_plausible_classic());
        let msg = Message::parse(&p);
        assert!(msg.classic);
        assert_eq!(msg.transaction_id.as_bytes().len(), 16);
        assert_eq!(
            msg.attributes,
            vec![Attribute::ChangeRequest {
                ip: false,
                port: false
            }]
        );
    }

    #[test]
    fn classic_check_rejects_random_data() {
        // An RTP packet: not STUN at all.
        let rtp = hex("8092ae1504e9f9983aa6d92292d8852000fad4afbd2c19c8c2835fb215692dd6");
        assert_eq!(
            StunPacket::new_checked(&rtp[..]).err(),
            Some(Error::NotStun)
        );
        // Type 0x0001 but an attribute of a type RFC 3489 does not define.
        let odd = hex("0001000800112233445566778899aabbccddeeff0020000400000000");
        assert!(!StunPacket::new_checked(&odd[..])
            .unwrap()
            .is_plausible_classic());
    }

    #[test]
    fn header_checks() {
        let mut bytes = hex(BINDING_SUCCESS);
        assert!(matches!(
            StunPacket::new_checked(&bytes[..19]),
            Err(Error::Truncated { need: 20, .. })
        ));
        bytes[3] = 0x3d;
        assert_eq!(
            StunPacket::new_checked(&bytes[..]).err(),
            Some(Error::BadLength(0x3d))
        );
        bytes[3] = 0x48;
        assert!(matches!(
            StunPacket::new_checked(&bytes[..]),
            Err(Error::Truncated { .. })
        ));
    }
}
