//! STUN attributes (RFC 8489 §14, §18.3; TURN RFC 8656 §18; ICE RFC 8445 §16.1; NAT behaviour
//! discovery RFC 5780 §7; classic RFC 3489 §11.2).
//!
//! ```text
//! |         Type (2)              |            Length (2)         |
//! |                 Value (variable, padded to 4 bytes)        ....
//! ```
//! Address values (§14.1–14.2): `| 0 | Family (1 v4, 2 v6) | Port (2) | Address (4 or 16) |`;
//! the XOR forms XOR the port with the cookie's top 16 bits and the address with the cookie (IPv4)
//! or the cookie and transaction ID (IPv6).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::Error;
use crate::bytes::{be16, be32};

/// Byte ranges of an attribute header and of an address value.
pub mod field {
    /// Attribute type.
    pub const TYPE: std::ops::Range<usize> = 0..2;
    /// Value length (before padding).
    pub const LENGTH: std::ops::Range<usize> = 2..4;
    /// Where the value starts.
    pub const VALUE: usize = 4;
    /// Address value: family.
    pub const FAMILY: usize = 1;
    /// Address value: port.
    pub const PORT: std::ops::Range<usize> = 2..4;
    /// Address value: where the address starts.
    pub const ADDRESS: usize = 4;
    /// ERROR-CODE value: class (low three bits).
    pub const ERROR_CLASS: usize = 2;
    /// ERROR-CODE value: number (0–99).
    pub const ERROR_NUMBER: usize = 3;
    /// ERROR-CODE value: where the reason phrase starts.
    pub const ERROR_REASON: usize = 4;
}

macro_rules! attribute_types {
    ($($(#[$doc:meta])* $name:ident = $value:expr, $text:expr;)*) => {
        /// Attribute types callscope names (IANA "STUN Attributes"); others are kept as `Unknown`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AttributeType {
            $($(#[$doc])* $name,)*
            /// Anything else, kept.
            Unknown(u16),
        }

        impl From<u16> for AttributeType {
            fn from(v: u16) -> Self {
                match v {
                    $($value => AttributeType::$name,)*
                    other => AttributeType::Unknown(other),
                }
            }
        }

        impl AttributeType {
            /// The number on the wire.
            pub fn value(self) -> u16 {
                match self {
                    $(AttributeType::$name => $value,)*
                    AttributeType::Unknown(v) => v,
                }
            }

            /// The registered name.
            pub fn name(self) -> String {
                match self {
                    $(AttributeType::$name => $text.to_owned(),)*
                    AttributeType::Unknown(v) => format!("attribute {v:#06x}"),
                }
            }
        }
    };
}

attribute_types! {
    /// MAPPED-ADDRESS (0x0001).
    MappedAddress = 0x0001, "MAPPED-ADDRESS";
    /// RESPONSE-ADDRESS (0x0002, RFC 3489).
    ResponseAddress = 0x0002, "RESPONSE-ADDRESS";
    /// CHANGE-REQUEST (0x0003, RFC 3489 / RFC 5780).
    ChangeRequest = 0x0003, "CHANGE-REQUEST";
    /// SOURCE-ADDRESS (0x0004, RFC 3489).
    SourceAddress = 0x0004, "SOURCE-ADDRESS";
    /// CHANGED-ADDRESS (0x0005, RFC 3489).
    ChangedAddress = 0x0005, "CHANGED-ADDRESS";
    /// USERNAME (0x0006).
    Username = 0x0006, "USERNAME";
    /// PASSWORD (0x0007, RFC 3489).
    Password = 0x0007, "PASSWORD";
    /// MESSAGE-INTEGRITY (0x0008).
    MessageIntegrity = 0x0008, "MESSAGE-INTEGRITY";
    /// ERROR-CODE (0x0009).
    ErrorCode = 0x0009, "ERROR-CODE";
    /// UNKNOWN-ATTRIBUTES (0x000A).
    UnknownAttributes = 0x000a, "UNKNOWN-ATTRIBUTES";
    /// REFLECTED-FROM (0x000B, RFC 3489).
    ReflectedFrom = 0x000b, "REFLECTED-FROM";
    /// CHANNEL-NUMBER (0x000C, TURN).
    ChannelNumber = 0x000c, "CHANNEL-NUMBER";
    /// LIFETIME (0x000D, TURN).
    Lifetime = 0x000d, "LIFETIME";
    /// XOR-PEER-ADDRESS (0x0012, TURN).
    XorPeerAddress = 0x0012, "XOR-PEER-ADDRESS";
    /// DATA (0x0013, TURN).
    Data = 0x0013, "DATA";
    /// REALM (0x0014).
    Realm = 0x0014, "REALM";
    /// NONCE (0x0015).
    Nonce = 0x0015, "NONCE";
    /// XOR-RELAYED-ADDRESS (0x0016, TURN).
    XorRelayedAddress = 0x0016, "XOR-RELAYED-ADDRESS";
    /// REQUESTED-ADDRESS-FAMILY (0x0017, TURN).
    RequestedAddressFamily = 0x0017, "REQUESTED-ADDRESS-FAMILY";
    /// EVEN-PORT (0x0018, TURN).
    EvenPort = 0x0018, "EVEN-PORT";
    /// REQUESTED-TRANSPORT (0x0019, TURN).
    RequestedTransport = 0x0019, "REQUESTED-TRANSPORT";
    /// DONT-FRAGMENT (0x001A, TURN).
    DontFragment = 0x001a, "DONT-FRAGMENT";
    /// MESSAGE-INTEGRITY-SHA256 (0x001C).
    MessageIntegritySha256 = 0x001c, "MESSAGE-INTEGRITY-SHA256";
    /// PASSWORD-ALGORITHM (0x001D).
    PasswordAlgorithm = 0x001d, "PASSWORD-ALGORITHM";
    /// USERHASH (0x001E).
    Userhash = 0x001e, "USERHASH";
    /// XOR-MAPPED-ADDRESS (0x0020).
    XorMappedAddress = 0x0020, "XOR-MAPPED-ADDRESS";
    /// RESERVATION-TOKEN (0x0022, TURN).
    ReservationToken = 0x0022, "RESERVATION-TOKEN";
    /// PRIORITY (0x0024, ICE).
    Priority = 0x0024, "PRIORITY";
    /// USE-CANDIDATE (0x0025, ICE).
    UseCandidate = 0x0025, "USE-CANDIDATE";
    /// PADDING (0x0026, RFC 5780).
    Padding = 0x0026, "PADDING";
    /// RESPONSE-PORT (0x0027, RFC 5780).
    ResponsePort = 0x0027, "RESPONSE-PORT";
    /// CONNECTION-ID (0x002A, RFC 6062).
    ConnectionId = 0x002a, "CONNECTION-ID";
    /// ADDITIONAL-ADDRESS-FAMILY (0x8000, TURN).
    AdditionalAddressFamily = 0x8000, "ADDITIONAL-ADDRESS-FAMILY";
    /// ADDRESS-ERROR-CODE (0x8001, TURN).
    AddressErrorCode = 0x8001, "ADDRESS-ERROR-CODE";
    /// PASSWORD-ALGORITHMS (0x8002).
    PasswordAlgorithms = 0x8002, "PASSWORD-ALGORITHMS";
    /// ALTERNATE-DOMAIN (0x8003).
    AlternateDomain = 0x8003, "ALTERNATE-DOMAIN";
    /// ICMP (0x8004, TURN).
    Icmp = 0x8004, "ICMP";
    /// XOR-MAPPED-ADDRESS as pre-RFC 5389 implementations numbered it (0x8020).
    XorMappedAddressOld = 0x8020, "XOR-MAPPED-ADDRESS (0x8020)";
    /// SOFTWARE (0x8022; SERVER in RFC 3489).
    Software = 0x8022, "SOFTWARE";
    /// ALTERNATE-SERVER (0x8023).
    AlternateServer = 0x8023, "ALTERNATE-SERVER";
    /// TRANSACTION_TRANSMIT_COUNTER (0x8025, RFC 7982).
    TransactionTransmitCounter = 0x8025, "TRANSACTION-TRANSMIT-COUNTER";
    /// CACHE-TIMEOUT (0x8027, RFC 5780).
    CacheTimeout = 0x8027, "CACHE-TIMEOUT";
    /// FINGERPRINT (0x8028).
    Fingerprint = 0x8028, "FINGERPRINT";
    /// ICE-CONTROLLED (0x8029, ICE).
    IceControlled = 0x8029, "ICE-CONTROLLED";
    /// ICE-CONTROLLING (0x802A, ICE).
    IceControlling = 0x802a, "ICE-CONTROLLING";
    /// RESPONSE-ORIGIN (0x802B, RFC 5780).
    ResponseOrigin = 0x802b, "RESPONSE-ORIGIN";
    /// OTHER-ADDRESS (0x802C, RFC 5780).
    OtherAddress = 0x802c, "OTHER-ADDRESS";
    /// ECN-CHECK (0x802D, RFC 6679).
    EcnCheck = 0x802d, "ECN-CHECK STUN";
    /// THIRD-PARTY-AUTHORIZATION (0x802E, RFC 7635).
    ThirdPartyAuthorization = 0x802e, "THIRD-PARTY-AUTHORIZATION";
    /// MOBILITY-TICKET (0x8030, RFC 8016).
    MobilityTicket = 0x8030, "MOBILITY-TICKET";
}

impl AttributeType {
    /// Types whose value is an address XORed with the cookie (and transaction ID).
    pub fn is_xor_address(self) -> bool {
        matches!(
            self,
            AttributeType::XorMappedAddress
                | AttributeType::XorMappedAddressOld
                | AttributeType::XorPeerAddress
                | AttributeType::XorRelayedAddress
        )
    }

    /// Types whose value is a plain address.
    pub fn is_plain_address(self) -> bool {
        matches!(
            self,
            AttributeType::MappedAddress
                | AttributeType::ResponseAddress
                | AttributeType::SourceAddress
                | AttributeType::ChangedAddress
                | AttributeType::ReflectedFrom
                | AttributeType::AlternateServer
                | AttributeType::ResponseOrigin
                | AttributeType::OtherAddress
        )
    }
}

/// One attribute TLV, not yet interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// Attribute type.
    pub kind: AttributeType,
    /// The value (without padding).
    pub value: &'a [u8],
    /// Offset of the attribute in the message.
    pub offset: usize,
    /// The padding to four bytes is present (RFC 3489 had none to add; a last attribute missing
    /// its padding is kept, with this false).
    pub padded_ok: bool,
}

/// Iterates over attribute TLVs; yields one error where they stop fitting.
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: usize,
    done: bool,
}

impl<'a> Attributes<'a> {
    /// TLVs in `bytes`, which start at `base` in the message.
    pub fn new(bytes: &'a [u8], base: usize) -> Self {
        Attributes {
            bytes,
            pos: 0,
            base,
            done: false,
        }
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<RawAttribute<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
        if rest.is_empty() {
            return None;
        }
        let offset = self.base + self.pos;
        if rest.len() < field::VALUE {
            self.done = true;
            return Some(Err(Error::Truncated {
                need: field::VALUE,
                have: rest.len(),
                offset,
            }));
        }
        let len = usize::from(be16(rest, field::LENGTH.start).unwrap_or_default());
        let Some(value) = rest.get(field::VALUE..field::VALUE + len) else {
            self.done = true;
            return Some(Err(Error::Truncated {
                need: field::VALUE + len,
                have: rest.len(),
                offset,
            }));
        };
        let padded = field::VALUE + len.div_ceil(4) * 4;
        let padded_ok = padded <= rest.len();
        self.pos += padded.min(rest.len());
        Some(Ok(RawAttribute {
            kind: AttributeType::from(be16(rest, field::TYPE.start).unwrap_or_default()),
            value,
            offset,
            padded_ok,
        }))
    }
}

/// A decoded attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute<'a> {
    /// An address attribute (plain or XOR-encoded; the XOR already undone).
    Address {
        /// Which attribute.
        kind: AttributeType,
        /// The address.
        addr: SocketAddr,
    },
    /// A text attribute: USERNAME, PASSWORD, REALM, NONCE, SOFTWARE, ALTERNATE-DOMAIN (UTF-8 by
    /// the RFC, kept as bytes).
    Text {
        /// Which attribute.
        kind: AttributeType,
        /// Its bytes.
        value: &'a [u8],
    },
    /// ERROR-CODE (§14.8): class × 100 + number, and the reason phrase.
    ErrorCode {
        /// 300–699.
        code: u16,
        /// Reason phrase.
        reason: &'a [u8],
    },
    /// MESSAGE-INTEGRITY (HMAC-SHA1, §14.5) or MESSAGE-INTEGRITY-SHA256 (§14.6).
    Integrity {
        /// Which attribute.
        kind: AttributeType,
        /// The HMAC.
        hmac: &'a [u8],
    },
    /// FINGERPRINT (§14.7).
    Fingerprint(u32),
    /// PRIORITY (RFC 8445 §16.1).
    Priority(u32),
    /// USE-CANDIDATE (RFC 8445 §16.1).
    UseCandidate,
    /// ICE-CONTROLLED with its tie-breaker.
    IceControlled(u64),
    /// ICE-CONTROLLING with its tie-breaker.
    IceControlling(u64),
    /// LIFETIME in seconds (RFC 8656 §18.2).
    Lifetime(u32),
    /// CHANNEL-NUMBER (RFC 8656 §18.1).
    ChannelNumber(u16),
    /// REQUESTED-TRANSPORT protocol number (RFC 8656 §18.6; 17 = UDP).
    RequestedTransport(u8),
    /// CHANGE-REQUEST flags (RFC 5780 §7.2).
    ChangeRequest {
        /// Change IP.
        ip: bool,
        /// Change port.
        port: bool,
    },
    /// DATA (RFC 8656 §18.4).
    Data(&'a [u8]),
    /// Any other attribute.
    Other {
        /// Its type.
        kind: AttributeType,
        /// Its value.
        value: &'a [u8],
    },
}

impl Attribute<'_> {
    /// The attribute's type.
    pub fn kind(&self) -> AttributeType {
        match *self {
            Attribute::Address { kind, .. }
            | Attribute::Text { kind, .. }
            | Attribute::Integrity { kind, .. }
            | Attribute::Other { kind, .. } => kind,
            Attribute::ErrorCode { .. } => AttributeType::ErrorCode,
            Attribute::Fingerprint(_) => AttributeType::Fingerprint,
            Attribute::Priority(_) => AttributeType::Priority,
            Attribute::UseCandidate => AttributeType::UseCandidate,
            Attribute::IceControlled(_) => AttributeType::IceControlled,
            Attribute::IceControlling(_) => AttributeType::IceControlling,
            Attribute::Lifetime(_) => AttributeType::Lifetime,
            Attribute::ChannelNumber(_) => AttributeType::ChannelNumber,
            Attribute::RequestedTransport(_) => AttributeType::RequestedTransport,
            Attribute::ChangeRequest { .. } => AttributeType::ChangeRequest,
            Attribute::Data(_) => AttributeType::Data,
        }
    }
}

fn address(value: &[u8], xor_key: Option<&[u8]>) -> Option<SocketAddr> {
    let family = *value.get(field::FAMILY)?;
    let mut port = be16(value, field::PORT.start).unwrap_or_default();
    let raw = value.get(field::ADDRESS..)?;
    let key = |i: usize| xor_key.and_then(|k| k.get(i)).copied().unwrap_or(0);
    if let Some(k) = xor_key {
        port ^= be16(k, 0).unwrap_or_default();
    }
    let ip = match (family, raw.len()) {
        (1, 4) => {
            let mut b = [0u8; 4];
            for (i, x) in b.iter_mut().enumerate() {
                *x = raw[i] ^ key(i);
            }
            IpAddr::V4(Ipv4Addr::from(b))
        }
        (2, 16) => {
            let mut b = [0u8; 16];
            for (i, x) in b.iter_mut().enumerate() {
                *x = raw[i] ^ key(i);
            }
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

impl<'a> RawAttribute<'a> {
    /// Interprets the value; `xor_key` is the 16 bytes after the header's type and length (cookie
    /// and transaction ID).
    pub fn decode(&self, xor_key: &[u8]) -> Result<Attribute<'a>, Error> {
        use AttributeType as T;
        let v = self.value;
        let bad = Error::BadAttribute {
            kind: self.kind.value(),
            offset: self.offset,
        };
        let exact = |n: usize| if v.len() == n { Ok(()) } else { Err(bad) };
        Ok(match self.kind {
            k if k.is_xor_address() => Attribute::Address {
                kind: k,
                addr: address(v, Some(xor_key)).ok_or(bad)?,
            },
            k if k.is_plain_address() => Attribute::Address {
                kind: k,
                addr: address(v, None).ok_or(bad)?,
            },
            k @ (T::Username
            | T::Password
            | T::Realm
            | T::Nonce
            | T::Software
            | T::AlternateDomain) => Attribute::Text { kind: k, value: v },
            T::ErrorCode => {
                if v.len() < field::ERROR_REASON {
                    return Err(bad);
                }
                Attribute::ErrorCode {
                    code: u16::from(v[field::ERROR_CLASS] & 0x07) * 100
                        + u16::from(v[field::ERROR_NUMBER]),
                    reason: &v[field::ERROR_REASON..],
                }
            }
            k @ (T::MessageIntegrity | T::MessageIntegritySha256) => {
                Attribute::Integrity { kind: k, hmac: v }
            }
            T::Fingerprint => {
                exact(4)?;
                Attribute::Fingerprint(be32(v, 0).unwrap_or_default())
            }
            T::Priority => {
                exact(4)?;
                Attribute::Priority(be32(v, 0).unwrap_or_default())
            }
            T::Lifetime => {
                exact(4)?;
                Attribute::Lifetime(be32(v, 0).unwrap_or_default())
            }
            T::UseCandidate => Attribute::UseCandidate,
            k @ (T::IceControlled | T::IceControlling) => {
                exact(8)?;
                let x = (u64::from(be32(v, 0).unwrap_or_default()) << 32)
                    | u64::from(be32(v, 4).unwrap_or_default());
                if k == T::IceControlled {
                    Attribute::IceControlled(x)
                } else {
                    Attribute::IceControlling(x)
                }
            }
            T::ChannelNumber => {
                exact(4)?;
                Attribute::ChannelNumber(be16(v, 0).unwrap_or_default())
            }
            T::RequestedTransport => {
                exact(4)?;
                Attribute::RequestedTransport(v[0])
            }
            T::ChangeRequest => {
                exact(4)?;
                Attribute::ChangeRequest {
                    ip: v[3] & 0x04 != 0,
                    port: v[3] & 0x02 != 0,
                }
            }
            T::Data => Attribute::Data(v),
            kind => Attribute::Other { kind, value: v },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cookie 2112a442 and a transaction ID, as XOR key.
    static KEY: [u8; 16] = [
        0x21, 0x12, 0xa4, 0x42, 0x55, 0xaa, 0x24, 0x80, 0x81, 0x18, 0x9c, 0xd9, 0x65, 0x27, 0xeb,
        0x8d,
    ];

    /// XOR-RELAYED-ADDRESS 10.99.7.1:49162 then XOR-MAPPED-ADDRESS 10.99.7.2:42999, LIFETIME 600
    /// (stun.pcap frame 13).
    static ALLOCATE_SUCCESS_ATTRS: [u8; 32] = [
        0x00, 0x16, 0x00, 0x08, 0x00, 0x01, 0xe1, 0x18, 0x2b, 0x71, 0xa3, 0x43, // relayed
        0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0x86, 0xe5, 0x2b, 0x71, 0xa3, 0x40, // mapped
        0x00, 0x0d, 0x00, 0x04, 0x00, 0x00, 0x02, 0x58, // lifetime
    ];

    fn decode_all(bytes: &[u8]) -> Vec<Attribute<'_>> {
        Attributes::new(bytes, 20)
            .map(|a| a.and_then(|a| a.decode(&KEY)).unwrap())
            .collect()
    }

    #[test]
    fn xor_addresses_and_lifetime() {
        assert_eq!(
            decode_all(&ALLOCATE_SUCCESS_ATTRS),
            vec![
                Attribute::Address {
                    kind: AttributeType::XorRelayedAddress,
                    addr: "10.99.7.1:49162".parse().unwrap()
                },
                Attribute::Address {
                    kind: AttributeType::XorMappedAddress,
                    addr: "10.99.7.2:42999".parse().unwrap()
                },
                Attribute::Lifetime(600),
            ]
        );
    }

    #[test]
    fn xor_ipv6_uses_the_transaction_id() {
        let mut v = vec![0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0x21, 0x12];
        let ip: Ipv6Addr = "fd00::1".parse().unwrap();
        for (i, b) in ip.octets().iter().enumerate() {
            v.push(b ^ KEY[i]);
        }
        assert_eq!(
            decode_all(&v),
            vec![Attribute::Address {
                kind: AttributeType::XorMappedAddress,
                addr: "[fd00::1]:0".parse().unwrap()
            }]
        );
    }

    #[test]
    fn ice_attributes() {
        let bytes = [
            0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x1e, 0xff, // PRIORITY
            0x00, 0x25, 0x00, 0x00, // USE-CANDIDATE
            0x80, 0x2a, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 7, // ICE-CONTROLLING
        ];
        assert_eq!(
            decode_all(&bytes),
            vec![
                Attribute::Priority(0x6e001eff),
                Attribute::UseCandidate,
                Attribute::IceControlling(7)
            ]
        );
    }

    #[test]
    fn error_code_channel_number_and_change_request() {
        let bytes = [
            0x00, 0x09, 0x00, 0x06, 0, 0, 4, 38, b'S', b't', 0, 0, // 438 "St"
            0x00, 0x0c, 0x00, 0x04, 0x40, 0x00, 0, 0, // CHANNEL-NUMBER 0x4000
            0x00, 0x03, 0x00, 0x04, 0, 0, 0, 6, // CHANGE-REQUEST ip+port
        ];
        assert_eq!(
            decode_all(&bytes),
            vec![
                Attribute::ErrorCode {
                    code: 438,
                    reason: b"St"
                },
                Attribute::ChannelNumber(0x4000),
                Attribute::ChangeRequest {
                    ip: true,
                    port: true
                }
            ]
        );
    }

    #[test]
    fn bad_values_and_truncation_are_errors() {
        // A 4-byte XOR-MAPPED-ADDRESS (RESPONSE-PORT-like) has no address.
        let short = [0x00, 0x20, 0x00, 0x04, 0x82, 0x0f, 0, 0];
        let raw = Attributes::new(&short, 20).next().unwrap().unwrap();
        assert_eq!(
            raw.decode(&KEY),
            Err(Error::BadAttribute {
                kind: 0x0020,
                offset: 20
            })
        );
        let cut = [0x00, 0x06, 0x00, 0x09, b'a'];
        assert!(matches!(
            Attributes::new(&cut, 20).next(),
            Some(Err(Error::Truncated { need: 13, .. }))
        ));
        // A last attribute without its padding is kept.
        let unpadded = [0x00, 0x06, 0x00, 0x01, b'a'];
        let raw = Attributes::new(&unpadded, 20).next().unwrap().unwrap();
        assert!(!raw.padded_ok);
        assert_eq!(raw.value, b"a");
    }

    #[test]
    fn names_and_numbers_round_trip() {
        for v in [0x0001u16, 0x0020, 0x8022, 0x8028, 0xc057] {
            assert_eq!(AttributeType::from(v).value(), v);
        }
        assert_eq!(AttributeType::from(0x0016).name(), "XOR-RELAYED-ADDRESS");
    }
}
