//! The Notify payload (IKEv2: RFC 7296 §3.10; IKEv1: RFC 2408 §3.14) and its message types.
//!
//! ```text
//! IKEv2:  | Protocol ID | SPI Size | Notify Message Type (2) | SPI | Notification Data |
//! IKEv1:  | DOI (4) | Protocol ID | SPI Size | Notify Message Type (2) | SPI | Data |
//! ```

use super::Error;
use crate::bytes::be16;

/// Byte offsets inside the Notify body, after IKEv1's 4-byte DOI where present.
pub mod field {
    /// Protocol ID (1 IKE, 2 AH, 3 ESP).
    pub const PROTOCOL: usize = 0;
    /// SPI size.
    pub const SPI_SIZE: usize = 1;
    /// Notify message type.
    pub const TYPE: std::ops::Range<usize> = 2..4;
    /// Where the SPI starts.
    pub const SPI: usize = 4;
    /// IKEv1's Domain of Interpretation before the fields above.
    pub const DOI_LEN: usize = 4;
}

/// A Notify message type (IANA "IKEv2 Notify Message Types", with IKEv1's status types from RFC
/// 2407 §4.6.3 and RFC 3706). Unknown values are kept: this is the number itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NotifyType(pub u16);

impl NotifyType {
    /// INVALID_KE_PAYLOAD (17): the responder wants another Diffie-Hellman group.
    pub const INVALID_KE_PAYLOAD: NotifyType = NotifyType(17);
    /// NO_PROPOSAL_CHOSEN (14).
    pub const NO_PROPOSAL_CHOSEN: NotifyType = NotifyType(14);
    /// AUTHENTICATION_FAILED (24).
    pub const AUTHENTICATION_FAILED: NotifyType = NotifyType(24);
    /// INITIAL_CONTACT (16384).
    pub const INITIAL_CONTACT: NotifyType = NotifyType(16384);
    /// NAT_DETECTION_SOURCE_IP (16388, RFC 7296 §2.23).
    pub const NAT_DETECTION_SOURCE_IP: NotifyType = NotifyType(16388);
    /// NAT_DETECTION_DESTINATION_IP (16389, RFC 7296 §2.23).
    pub const NAT_DETECTION_DESTINATION_IP: NotifyType = NotifyType(16389);
    /// COOKIE (16390, RFC 7296 §2.6).
    pub const COOKIE: NotifyType = NotifyType(16390);
    /// REKEY_SA (16393, RFC 7296 §1.3.3).
    pub const REKEY_SA: NotifyType = NotifyType(16393);

    /// Types below 16384 are errors (RFC 7296 §3.10.1).
    pub fn is_error(self) -> bool {
        self.0 > 0 && self.0 < 16384
    }

    /// The registered name, when callscope knows it.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "UNSUPPORTED_CRITICAL_PAYLOAD",
            4 => "INVALID_IKE_SPI",
            5 => "INVALID_MAJOR_VERSION",
            7 => "INVALID_SYNTAX",
            9 => "INVALID_MESSAGE_ID",
            11 => "INVALID_SPI",
            14 => "NO_PROPOSAL_CHOSEN",
            17 => "INVALID_KE_PAYLOAD",
            24 => "AUTHENTICATION_FAILED",
            34 => "SINGLE_PAIR_REQUIRED",
            35 => "NO_ADDITIONAL_SAS",
            36 => "INTERNAL_ADDRESS_FAILURE",
            37 => "FAILED_CP_REQUIRED",
            38 => "TS_UNACCEPTABLE",
            39 => "INVALID_SELECTORS",
            43 => "TEMPORARY_FAILURE",
            44 => "CHILD_SA_NOT_FOUND",
            16384 => "INITIAL_CONTACT",
            16385 => "SET_WINDOW_SIZE",
            16386 => "ADDITIONAL_TS_POSSIBLE",
            16387 => "IPCOMP_SUPPORTED",
            16388 => "NAT_DETECTION_SOURCE_IP",
            16389 => "NAT_DETECTION_DESTINATION_IP",
            16390 => "COOKIE",
            16391 => "USE_TRANSPORT_MODE",
            16392 => "HTTP_CERT_LOOKUP_SUPPORTED",
            16393 => "REKEY_SA",
            16394 => "ESP_TFC_PADDING_NOT_SUPPORTED",
            16395 => "NON_FIRST_FRAGMENTS_ALSO",
            16396 => "MOBIKE_SUPPORTED",
            16397 => "ADDITIONAL_IP4_ADDRESS",
            16398 => "ADDITIONAL_IP6_ADDRESS",
            16399 => "NO_ADDITIONAL_ADDRESSES",
            16400 => "UPDATE_SA_ADDRESSES",
            16401 => "COOKIE2",
            16402 => "NO_NATS_ALLOWED",
            16403 => "AUTH_LIFETIME",
            16404 => "MULTIPLE_AUTH_SUPPORTED",
            16405 => "ANOTHER_AUTH_FOLLOWS",
            16406 => "REDIRECT_SUPPORTED",
            16407 => "REDIRECT",
            16408 => "REDIRECTED_FROM",
            16417 => "EAP_ONLY_AUTHENTICATION",
            16418 => "CHILDLESS_IKEV2_SUPPORTED",
            16419 => "QUICK_CRASH_DETECTION",
            16430 => "IKEV2_FRAGMENTATION_SUPPORTED",
            16431 => "SIGNATURE_HASH_ALGORITHMS",
            16441 => "INTERMEDIATE_EXCHANGE_SUPPORTED",
            24576 => "RESPONDER-LIFETIME",
            24577 => "REPLAY-STATUS",
            24578 => "INITIAL-CONTACT",
            36136 => "R-U-THERE",
            36137 => "R-U-THERE-ACK",
            _ => return None,
        })
    }

    /// The name, or the number when the name is not known.
    pub fn label(self) -> String {
        match self.name() {
            Some(n) => n.to_owned(),
            None => format!("NOTIFY_{}", self.0),
        }
    }
}

/// A decoded Notify payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notify<'a> {
    /// Protocol ID (0 or 1 IKE, 2 AH, 3 ESP).
    pub protocol: u8,
    /// The SPI the notification is about (often empty).
    pub spi: &'a [u8],
    /// Message type.
    pub kind: NotifyType,
    /// Notification data (for NAT_DETECTION_*: a SHA-1 hash).
    pub data: &'a [u8],
}

impl<'a> Notify<'a> {
    /// Decodes a Notify body; `offset` is the body's place in the message, for errors.
    pub fn parse(body: &'a [u8], v1: bool, offset: usize) -> Result<Notify<'a>, Error> {
        let skip = if v1 { field::DOI_LEN } else { 0 };
        let b = body.get(skip..).unwrap_or(&[]);
        if b.len() < field::SPI {
            return Err(Error::Truncated {
                need: skip + field::SPI,
                have: body.len(),
                offset,
            });
        }
        let spi_len = usize::from(b[field::SPI_SIZE]);
        let Some(spi) = b.get(field::SPI..field::SPI + spi_len) else {
            return Err(Error::Truncated {
                need: skip + field::SPI + spi_len,
                have: body.len(),
                offset,
            });
        };
        Ok(Notify {
            protocol: b[field::PROTOCOL],
            spi,
            kind: NotifyType(be16(b, field::TYPE.start).unwrap_or_default()),
            data: &b[field::SPI + spi_len..],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IKEv2 N(COOKIE) with 4 bytes of cookie.
    static COOKIE: [u8; 8] = [0, 0, 0x40, 0x06, 0xc0, 0x0c, 0x1e, 0x55];
    /// IKEv1 R-U-THERE (RFC 3706): DOI 1, ISAKMP, 16-byte SPI (cookies), 4-byte sequence.
    static DPD_V1: [u8; 28] = [
        0, 0, 0, 1, 1, 16, 0x8d, 0x28, // DOI, protocol, SPI size, type 36136
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, // SPI
        0, 0, 0, 7, // sequence
    ];

    #[test]
    fn ikev2_notify() {
        let n = Notify::parse(&COOKIE, false, 0).unwrap();
        assert_eq!(n.kind, NotifyType::COOKIE);
        assert_eq!(n.data, &[0xc0, 0x0c, 0x1e, 0x55]);
        assert!(n.spi.is_empty());
        assert!(!n.kind.is_error());
    }

    #[test]
    fn ikev1_notify_skips_the_doi() {
        let n = Notify::parse(&DPD_V1, true, 0).unwrap();
        assert_eq!(n.kind.name(), Some("R-U-THERE"));
        assert_eq!(n.spi.len(), 16);
        assert_eq!(n.data, &[0, 0, 0, 7]);
    }

    #[test]
    fn an_spi_longer_than_the_body_is_truncation() {
        let bytes = [3u8, 4, 0, 14, 1, 2];
        assert!(matches!(
            Notify::parse(&bytes, false, 40),
            Err(Error::Truncated {
                need: 8,
                have: 6,
                offset: 40
            })
        ));
        assert!(NotifyType::NO_PROPOSAL_CHOSEN.is_error());
        assert_eq!(NotifyType(60000).label(), "NOTIFY_60000");
    }
}
