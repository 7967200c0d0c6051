//! The generic payload header and the payload chain (RFC 7296 §3.2; RFC 2408 §3.2).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//! Each payload names the type of the one after it; the header names the first. An `SK` or `SKF`
//! payload ends the chain: its Next Payload field names the first payload *inside* it.

use super::{Error, Payload, PayloadType, Proposal};
use crate::bytes::be16;

/// Byte ranges of the generic payload header.
pub mod field {
    /// Type of the next payload.
    pub const NEXT: usize = 0;
    /// Critical bit (IKEv2) and reserved bits.
    pub const FLAGS: usize = 1;
    /// Length of the payload, header included.
    pub const LENGTH: std::ops::Range<usize> = 2..4;
    /// Where the body starts.
    pub const BODY: usize = 4;
}

/// One payload of the chain, not yet interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPayload<'a> {
    /// This payload's type (named by the previous payload or the header).
    pub kind: PayloadType,
    /// The Next Payload field (for `SK`/`SKF`: the first inner payload's type).
    pub next: PayloadType,
    /// IKEv2 critical bit.
    pub critical: bool,
    /// The body after the generic header.
    pub body: &'a [u8],
    /// Offset of the payload in the message.
    pub offset: usize,
}

/// Iterates over a payload chain; yields an error (once) where the chain breaks.
#[derive(Debug, Clone)]
pub struct Payloads<'a> {
    bytes: &'a [u8],
    next: PayloadType,
    pos: usize,
    base: usize,
    done: bool,
}

impl<'a> Payloads<'a> {
    /// A chain starting with a payload of type `first` at the start of `bytes`, which sit at
    /// `base` in the message (for error offsets).
    pub fn new(bytes: &'a [u8], first: PayloadType, base: usize) -> Self {
        Payloads {
            bytes,
            next: first,
            pos: 0,
            base,
            done: false,
        }
    }
}

impl<'a> Iterator for Payloads<'a> {
    type Item = Result<RawPayload<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.next == PayloadType::None {
            return None;
        }
        let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
        let offset = self.base + self.pos;
        if rest.len() < field::BODY {
            self.done = true;
            return Some(Err(Error::Truncated {
                need: field::BODY,
                have: rest.len(),
                offset,
            }));
        }
        let length = usize::from(be16(rest, field::LENGTH.start).unwrap_or_default());
        if length < field::BODY {
            self.done = true;
            return Some(Err(Error::BadLength {
                length: length as u32,
                offset: offset + field::LENGTH.start,
            }));
        }
        if length > rest.len() {
            self.done = true;
            return Some(Err(Error::Truncated {
                need: length,
                have: rest.len(),
                offset,
            }));
        }
        let raw = RawPayload {
            kind: self.next,
            next: PayloadType::from(rest[field::NEXT]),
            critical: rest[field::FLAGS] & 0x80 != 0,
            body: &rest[field::BODY..length],
            offset,
        };
        self.pos += length;
        self.next = raw.next;
        if matches!(
            raw.kind,
            PayloadType::Encrypted | PayloadType::EncryptedFragment
        ) {
            self.done = true;
        }
        Some(Ok(raw))
    }
}

/// Interprets one payload's body.
pub(super) fn decode<'a>(raw: &RawPayload<'a>, v1: bool) -> Result<Payload<'a>, Error> {
    use PayloadType as P;
    let body = raw.body;
    let at = raw.offset + field::BODY;
    Ok(match raw.kind {
        P::SecurityAssociation => {
            Payload::SecurityAssociation(Proposal::parse_all(body, false, at)?)
        }
        P::SecurityAssociationV1 => {
            // DOI (4) and Situation (4, for the IPsec DOI) precede the proposals (RFC 2408 §3.4,
            // RFC 2407 §4.6.1).
            let proposals = body.get(8..).unwrap_or(&[]);
            Payload::SecurityAssociation(Proposal::parse_all(proposals, true, at + 8)?)
        }
        P::KeyExchange => {
            if body.len() < 4 {
                return Err(Error::Truncated {
                    need: 4,
                    have: body.len(),
                    offset: at,
                });
            }
            Payload::KeyExchange {
                group: Some(be16(body, 0).unwrap_or_default()),
                data_len: body.len() - 4,
            }
        }
        P::KeyExchangeV1 => Payload::KeyExchange {
            group: None,
            data_len: body.len(),
        },
        P::Nonce | P::NonceV1 => Payload::Nonce(body),
        P::Notify | P::NotificationV1 => Payload::Notify(super::Notify::parse(body, v1, at)?),
        P::Delete | P::DeleteV1 => Payload::Delete(super::Delete::parse(body, v1, at)?),
        P::VendorId | P::VendorIdV1 => Payload::VendorId(body),
        P::NatDiscoveryV1 | P::NatDiscoveryDraftV1 => Payload::NatDiscovery(body),
        P::Encrypted => Payload::Encrypted {
            first_inner: raw.next,
            len: body.len(),
            fragment: None,
        },
        P::EncryptedFragment => {
            if body.len() < 4 {
                return Err(Error::Truncated {
                    need: 4,
                    have: body.len(),
                    offset: at,
                });
            }
            Payload::Encrypted {
                first_inner: raw.next,
                len: body.len() - 4,
                fragment: Some((
                    be16(body, 0).unwrap_or_default(),
                    be16(body, 2).unwrap_or_default(),
                )),
            }
        }
        kind => Payload::Other {
            kind,
            len: body.len(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nonce (4 bytes) → Notify header only → end.
    static CHAIN: [u8; 16] = [
        41, 0, 0, 8, 1, 2, 3, 4, // Nonce, next N
        0, 0x80, 0, 8, 0, 0, 0x40, 0x06, // N (critical), next none
    ];

    #[test]
    fn walks_the_chain() {
        let all: Vec<_> = Payloads::new(&CHAIN, PayloadType::Nonce, 28)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].kind, PayloadType::Nonce);
        assert_eq!(all[0].body, &[1, 2, 3, 4]);
        assert_eq!(all[1].kind, PayloadType::Notify);
        assert!(all[1].critical);
        assert_eq!(all[1].offset, 36);
    }

    #[test]
    fn a_length_below_four_is_an_error_not_a_loop() {
        let bytes = [0u8, 0, 0, 2];
        let got: Vec<_> = Payloads::new(&bytes, PayloadType::Nonce, 0).collect();
        assert_eq!(
            got,
            vec![Err(Error::BadLength {
                length: 2,
                offset: 2
            })]
        );
    }

    #[test]
    fn a_chain_that_names_a_payload_past_the_end_is_truncated() {
        let bytes = [41u8, 0, 0, 4];
        let got: Vec<_> = Payloads::new(&bytes, PayloadType::Nonce, 0).collect();
        assert!(got[0].is_ok());
        assert_eq!(
            got[1],
            Err(Error::Truncated {
                need: 4,
                have: 0,
                offset: 4
            })
        );
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn skf_carries_fragment_numbers() {
        let bytes = [33u8, 0, 0, 12, 0, 1, 0, 3, 0xee, 0xee, 0xee, 0xee];
        let raw = Payloads::new(&bytes, PayloadType::EncryptedFragment, 28)
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(
            decode(&raw, false).unwrap(),
            Payload::Encrypted {
                first_inner: PayloadType::SecurityAssociation,
                len: 4,
                fragment: Some((1, 3))
            }
        );
    }
}
