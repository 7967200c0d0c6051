//! Proposals and transforms inside a Security Association payload (IKEv2: RFC 7296 §3.3.1–3.3.5;
//! IKEv1: RFC 2408 §3.5–3.6, attributes §3.3).
//!
//! ```text
//! Proposal:  | Last (0/2) | RESERVED | Length (2) | Num | Protocol | SPI Size | #Transforms | SPI |
//! Transform (IKEv2): | Last (0/3) | RESERVED | Length (2) | Type | RESERVED | Transform ID (2) | Attrs |
//! Transform (IKEv1): | Next (0/3) | RESERVED | Length (2) | Number | Transform ID | RESERVED (2) | Attrs |
//! ```

use super::Error;
use crate::bytes::be16;

/// Byte offsets of the proposal substructure.
pub mod field {
    /// 0 for the last proposal, 2 when more follow.
    pub const LAST: usize = 0;
    /// Length of the proposal, transforms included.
    pub const LENGTH: std::ops::Range<usize> = 2..4;
    /// Proposal number.
    pub const NUMBER: usize = 4;
    /// Protocol ID (1 IKE/ISAKMP, 2 AH, 3 ESP).
    pub const PROTOCOL: usize = 5;
    /// SPI size.
    pub const SPI_SIZE: usize = 6;
    /// Number of transforms.
    pub const TRANSFORMS: usize = 7;
    /// Where the SPI starts.
    pub const SPI: usize = 8;
    /// Transform: type (IKEv2) or number (IKEv1).
    pub const T_TYPE: usize = 4;
    /// Transform: IKEv2 transform ID (2 bytes).
    pub const T_ID_V2: std::ops::Range<usize> = 6..8;
    /// Transform: IKEv1 transform ID (1 byte).
    pub const T_ID_V1: usize = 5;
    /// Transform: where attributes start.
    pub const T_ATTRS: usize = 8;
}

/// Transform attribute type "Key Length" (RFC 7296 §3.3.5; RFC 2409 Appendix A, 14).
const KEY_LENGTH: u16 = 14;

/// One transform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    /// IKEv2 transform type (1 ENCR, 2 PRF, 3 INTEG, 4 DH, 5 ESN); IKEv1: the transform number.
    pub kind: u8,
    /// Transform ID.
    pub id: u16,
    /// The Key Length attribute, when present.
    pub key_length: Option<u16>,
    /// Attributes as (type, value) for values of at most four bytes.
    pub attributes: Vec<(u16, u32)>,
}

impl Transform {
    /// The value of an attribute.
    pub fn attribute(&self, kind: u16) -> Option<u32> {
        self.attributes
            .iter()
            .find(|(t, _)| *t == kind)
            .map(|&(_, v)| v)
    }
}

/// One proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal<'a> {
    /// Proposal number.
    pub number: u8,
    /// Protocol ID (1 IKE/ISAKMP, 2 AH, 3 ESP).
    pub protocol: u8,
    /// The SPI (empty for an initial IKE SA; 4 bytes for ESP/AH).
    pub spi: &'a [u8],
    /// Transforms.
    pub transforms: Vec<Transform>,
}

fn attributes(mut b: &[u8]) -> Vec<(u16, u32)> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let t = be16(b, 0).unwrap_or_default();
        if t & 0x8000 != 0 {
            out.push((t & 0x7fff, u32::from(be16(b, 2).unwrap_or_default())));
            b = &b[4..];
        } else {
            let len = usize::from(be16(b, 2).unwrap_or_default());
            let Some(v) = b.get(4..4 + len) else { break };
            if len <= 4 {
                let mut x = 0u32;
                for &byte in v {
                    x = (x << 8) | u32::from(byte);
                }
                out.push((t, x));
            }
            b = &b[4 + len..];
        }
    }
    out
}

impl<'a> Proposal<'a> {
    /// Decodes every proposal of an SA payload's body (after IKEv1's DOI and situation).
    pub fn parse_all(mut b: &'a [u8], v1: bool, mut offset: usize) -> Result<Vec<Self>, Error> {
        let mut out = Vec::new();
        while !b.is_empty() {
            if b.len() < field::SPI {
                return Err(Error::Truncated {
                    need: field::SPI,
                    have: b.len(),
                    offset,
                });
            }
            let len = usize::from(be16(b, field::LENGTH.start).unwrap_or_default());
            if len < field::SPI || len > b.len() {
                return Err(Error::BadLength {
                    length: len as u32,
                    offset: offset + field::LENGTH.start,
                });
            }
            let p = &b[..len];
            let spi_len = usize::from(p[field::SPI_SIZE]);
            let Some(spi) = p.get(field::SPI..field::SPI + spi_len) else {
                return Err(Error::Truncated {
                    need: field::SPI + spi_len,
                    have: len,
                    offset,
                });
            };
            let mut transforms = Vec::new();
            let mut t = &p[field::SPI + spi_len..];
            let count = usize::from(p[field::TRANSFORMS]);
            while t.len() >= field::T_ATTRS && transforms.len() < count {
                let tlen = usize::from(be16(t, field::LENGTH.start).unwrap_or_default());
                if tlen < field::T_ATTRS || tlen > t.len() {
                    break;
                }
                let attrs = attributes(&t[field::T_ATTRS..tlen]);
                let key_length = attrs
                    .iter()
                    .find(|(k, _)| *k == KEY_LENGTH)
                    .and_then(|&(_, v)| u16::try_from(v).ok());
                transforms.push(Transform {
                    kind: t[field::T_TYPE],
                    id: if v1 {
                        u16::from(t[field::T_ID_V1])
                    } else {
                        be16(t, field::T_ID_V2.start).unwrap_or_default()
                    },
                    key_length,
                    attributes: attrs,
                });
                let last = t[field::LAST] == 0;
                t = &t[tlen..];
                if last {
                    break;
                }
            }
            out.push(Proposal {
                number: p[field::NUMBER],
                protocol: p[field::PROTOCOL],
                spi,
                transforms,
            });
            let last = b[field::LAST] == 0;
            b = &b[len..];
            offset += len;
            if last {
                break;
            }
        }
        Ok(out)
    }
}

/// The IANA name of an IKEv2 transform (RFC 7296 §3.3.2 and the IKEv2 registries), for the ones
/// seen in practice.
pub fn transform_name(kind: u8, id: u16) -> Option<&'static str> {
    Some(match (kind, id) {
        (1, 3) => "3DES",
        (1, 12) => "AES_CBC",
        (1, 13) => "AES_CTR",
        (1, 18) => "AES_GCM_8",
        (1, 19) => "AES_GCM_12",
        (1, 20) => "AES_GCM_16",
        (1, 28) => "CHACHA20_POLY1305",
        (2, 1) => "PRF_HMAC_MD5",
        (2, 2) => "PRF_HMAC_SHA1",
        (2, 4) => "PRF_AES128_XCBC",
        (2, 5) => "PRF_HMAC_SHA2_256",
        (2, 6) => "PRF_HMAC_SHA2_384",
        (2, 7) => "PRF_HMAC_SHA2_512",
        (3, 1) => "HMAC_MD5_96",
        (3, 2) => "HMAC_SHA1_96",
        (3, 5) => "AES_XCBC_96",
        (3, 12) => "HMAC_SHA2_256_128",
        (3, 13) => "HMAC_SHA2_384_192",
        (3, 14) => "HMAC_SHA2_512_256",
        (4, 2) => "MODP_1024",
        (4, 5) => "MODP_1536",
        (4, 14) => "MODP_2048",
        (4, 15) => "MODP_3072",
        (4, 16) => "MODP_4096",
        (4, 19) => "ECP_256",
        (4, 20) => "ECP_384",
        (4, 21) => "ECP_521",
        (4, 31) => "CURVE25519",
        (4, 32) => "CURVE448",
        (5, 0) => "NO_ESN",
        (5, 1) => "ESN",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IKEv2: one IKE proposal: AES_CBC-256, PRF_HMAC_SHA2_256, MODP_2048.
    static PROPOSAL_V2: [u8; 36] = [
        0, 0, 0, 36, 1, 1, 0, 3, // last, length 36, #1, IKE, no SPI, 3 transforms
        3, 0, 0, 12, 1, 0, 0, 12, 0x80, 14, 1, 0, // ENCR AES_CBC, key length 256
        3, 0, 0, 8, 2, 0, 0, 5, // PRF_HMAC_SHA2_256
        0, 0, 0, 8, 4, 0, 0, 14, // DH MODP_2048 (last)
    ];

    /// IKEv1: ISAKMP proposal, transform KEY_IKE with enc 3DES (5), hash SHA (2), group 2.
    static PROPOSAL_V1: [u8; 28] = [
        0, 0, 0, 28, 1, 1, 0, 1, // last, length 28, #1, ISAKMP, no SPI, 1 transform
        0, 0, 0, 20, 1, 1, 0, 0, // last, length 20, transform #1, KEY_IKE
        0x80, 1, 0, 5, 0x80, 2, 0, 2, 0x80, 4, 0, 2,
    ];

    #[test]
    fn ikev2_proposal_with_key_length() {
        let p = Proposal::parse_all(&PROPOSAL_V2, false, 0).unwrap();
        assert_eq!(p.len(), 1);
        let names: Vec<_> = p[0]
            .transforms
            .iter()
            .map(|t| transform_name(t.kind, t.id).unwrap())
            .collect();
        assert_eq!(names, ["AES_CBC", "PRF_HMAC_SHA2_256", "MODP_2048"]);
        assert_eq!(p[0].transforms[0].key_length, Some(256));
    }

    #[test]
    fn ikev1_transform_attributes() {
        let p = Proposal::parse_all(&PROPOSAL_V1, true, 0).unwrap();
        let t = &p[0].transforms[0];
        assert_eq!(t.id, 1);
        assert_eq!(t.attribute(2), Some(2));
        assert_eq!(t.attribute(4), Some(2));
    }

    #[test]
    fn bad_proposal_length_is_an_error() {
        let mut b = PROPOSAL_V2;
        b[3] = 200;
        assert!(matches!(
            Proposal::parse_all(&b, false, 40),
            Err(Error::BadLength {
                length: 200,
                offset: 42
            })
        ));
    }
}
