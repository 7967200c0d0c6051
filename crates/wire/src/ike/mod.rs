//! IKE: the ISAKMP header and payload chain of IKEv1 (RFC 2408, RFC 2409) and IKEv2 (RFC 7296),
//! as carried on UDP 500, or on UDP 4500 after the four-byte non-ESP marker (RFC 3948 §2.2; see
//! [`crate::esp::classify_udp_encap`], which strips it — `ipsec-parser`'s `parse_esp_encapsulated`
//! does not, one reason this decoder is our own).
//!
//! Two levels, as elsewhere in this crate: [`Header`] is a view checked once, and
//! [`Message::parse`] decodes the clear-text payloads into values. Encrypted payloads (IKEv2 `SK`,
//! `SKF`; IKEv1 messages with the `E` flag) are kept as [`Payload::Encrypted`] with the type of the
//! first inner payload, which IKEv2 leaves in the clear (RFC 7296 §3.14) and which tells a Delete
//! from a liveness check without any key.
//!
//! Decoding is lax: a payload chain that breaks keeps the payloads before the break and says where
//! and why it broke. Nothing here allocates by a size the input merely claims.

mod delete;
mod header;
mod notify;
mod payload;
mod sa;
mod vendor;

pub use delete::Delete;
pub use header::{field, Flags, Header, HeaderRepr, HEADER_LEN};
pub use notify::{Notify, NotifyType};
pub use payload::{Payloads, RawPayload};
pub use sa::{transform_name, Proposal, Transform};
pub use vendor::vendor_name;

/// Why bytes are not (or not entirely) an IKE message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Fewer bytes than a structure needs.
    #[error("ike: truncated at offset {offset}: need {need} bytes, have {have}")]
    Truncated {
        /// Bytes the structure needs.
        need: usize,
        /// Bytes available.
        have: usize,
        /// Offset of the structure in the message.
        offset: usize,
    },
    /// The version byte is neither 1.x nor 2.x.
    #[error("ike: unsupported version byte {0:#04x}")]
    BadVersion(u8),
    /// A length field is smaller than its own header.
    #[error("ike: bad length {length} at offset {offset}")]
    BadLength {
        /// The length field's value.
        length: u32,
        /// Offset of the length field in the message.
        offset: usize,
    },
}

/// Exchange types: IKEv1's (RFC 2408 §3.1, RFC 2409 §5) and IKEv2's (RFC 7296 §3.1 and IANA's
/// "IKEv2 Exchange Types"). The two ranges do not overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExchangeType {
    /// IKEv1 None (0).
    None,
    /// IKEv1 Base (1).
    Base,
    /// IKEv1 Identity Protection, "Main Mode" (2).
    MainMode,
    /// IKEv1 Authentication Only (3).
    AuthenticationOnly,
    /// IKEv1 Aggressive Mode (4).
    Aggressive,
    /// IKEv1 Informational (5).
    InformationalV1,
    /// IKEv1 Quick Mode (32).
    QuickMode,
    /// IKEv1 New Group Mode (33).
    NewGroupMode,
    /// IKEv2 IKE_SA_INIT (34).
    IkeSaInit,
    /// IKEv2 IKE_AUTH (35).
    IkeAuth,
    /// IKEv2 CREATE_CHILD_SA (36).
    CreateChildSa,
    /// IKEv2 INFORMATIONAL (37).
    Informational,
    /// IKEv2 IKE_SESSION_RESUME (38, RFC 5723).
    IkeSessionResume,
    /// IKEv2 IKE_INTERMEDIATE (43, RFC 9242).
    IkeIntermediate,
    /// IKEv2 IKE_FOLLOWUP_KE (44, RFC 9370).
    IkeFollowupKe,
    /// Anything else, kept.
    Unknown(u8),
}

impl From<u8> for ExchangeType {
    fn from(v: u8) -> Self {
        match v {
            0 => ExchangeType::None,
            1 => ExchangeType::Base,
            2 => ExchangeType::MainMode,
            3 => ExchangeType::AuthenticationOnly,
            4 => ExchangeType::Aggressive,
            5 => ExchangeType::InformationalV1,
            32 => ExchangeType::QuickMode,
            33 => ExchangeType::NewGroupMode,
            34 => ExchangeType::IkeSaInit,
            35 => ExchangeType::IkeAuth,
            36 => ExchangeType::CreateChildSa,
            37 => ExchangeType::Informational,
            38 => ExchangeType::IkeSessionResume,
            43 => ExchangeType::IkeIntermediate,
            44 => ExchangeType::IkeFollowupKe,
            other => ExchangeType::Unknown(other),
        }
    }
}

impl ExchangeType {
    /// The number on the wire.
    pub fn value(self) -> u8 {
        match self {
            ExchangeType::None => 0,
            ExchangeType::Base => 1,
            ExchangeType::MainMode => 2,
            ExchangeType::AuthenticationOnly => 3,
            ExchangeType::Aggressive => 4,
            ExchangeType::InformationalV1 => 5,
            ExchangeType::QuickMode => 32,
            ExchangeType::NewGroupMode => 33,
            ExchangeType::IkeSaInit => 34,
            ExchangeType::IkeAuth => 35,
            ExchangeType::CreateChildSa => 36,
            ExchangeType::Informational => 37,
            ExchangeType::IkeSessionResume => 38,
            ExchangeType::IkeIntermediate => 43,
            ExchangeType::IkeFollowupKe => 44,
            ExchangeType::Unknown(v) => v,
        }
    }

    /// The name RFCs (IKEv2) or tshark (IKEv1) use.
    pub fn name(self) -> String {
        let s = match self {
            ExchangeType::None => "None",
            ExchangeType::Base => "Base",
            ExchangeType::MainMode => "Main Mode",
            ExchangeType::AuthenticationOnly => "Authentication Only",
            ExchangeType::Aggressive => "Aggressive Mode",
            ExchangeType::InformationalV1 => "Informational",
            ExchangeType::QuickMode => "Quick Mode",
            ExchangeType::NewGroupMode => "New Group Mode",
            ExchangeType::IkeSaInit => "IKE_SA_INIT",
            ExchangeType::IkeAuth => "IKE_AUTH",
            ExchangeType::CreateChildSa => "CREATE_CHILD_SA",
            ExchangeType::Informational => "INFORMATIONAL",
            ExchangeType::IkeSessionResume => "IKE_SESSION_RESUME",
            ExchangeType::IkeIntermediate => "IKE_INTERMEDIATE",
            ExchangeType::IkeFollowupKe => "IKE_FOLLOWUP_KE",
            ExchangeType::Unknown(v) => return format!("exchange {v}"),
        };
        s.to_owned()
    }
}

/// Payload types: IKEv1's (RFC 2408 §3.1, RFC 3947 §3) and IKEv2's (RFC 7296 §3.2). The two
/// ranges do not overlap, so one enum serves both; IKEv1 variants carry a `V1` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadType {
    /// No next payload (0).
    None,
    /// IKEv1 Security Association (1).
    SecurityAssociationV1,
    /// IKEv1 Proposal (2).
    ProposalV1,
    /// IKEv1 Transform (3).
    TransformV1,
    /// IKEv1 Key Exchange (4).
    KeyExchangeV1,
    /// IKEv1 Identification (5).
    IdentificationV1,
    /// IKEv1 Certificate (6).
    CertificateV1,
    /// IKEv1 Certificate Request (7).
    CertificateRequestV1,
    /// IKEv1 Hash (8).
    HashV1,
    /// IKEv1 Signature (9).
    SignatureV1,
    /// IKEv1 Nonce (10).
    NonceV1,
    /// IKEv1 Notification (11).
    NotificationV1,
    /// IKEv1 Delete (12).
    DeleteV1,
    /// IKEv1 Vendor ID (13).
    VendorIdV1,
    /// IKEv1 NAT Discovery (20, RFC 3947).
    NatDiscoveryV1,
    /// IKEv1 NAT Original Address (21, RFC 3947).
    NatOriginalAddressV1,
    /// IKEv1 NAT Discovery, draft numbering (130).
    NatDiscoveryDraftV1,
    /// IKEv1 NAT Original Address, draft numbering (131).
    NatOriginalAddressDraftV1,
    /// IKEv2 Security Association (33).
    SecurityAssociation,
    /// IKEv2 Key Exchange (34).
    KeyExchange,
    /// IKEv2 Identification - Initiator (35).
    IdInitiator,
    /// IKEv2 Identification - Responder (36).
    IdResponder,
    /// IKEv2 Certificate (37).
    Certificate,
    /// IKEv2 Certificate Request (38).
    CertificateRequest,
    /// IKEv2 Authentication (39).
    Authentication,
    /// IKEv2 Nonce (40).
    Nonce,
    /// IKEv2 Notify (41).
    Notify,
    /// IKEv2 Delete (42).
    Delete,
    /// IKEv2 Vendor ID (43).
    VendorId,
    /// IKEv2 Traffic Selector - Initiator (44).
    TsInitiator,
    /// IKEv2 Traffic Selector - Responder (45).
    TsResponder,
    /// IKEv2 Encrypted and Authenticated, `SK` (46).
    Encrypted,
    /// IKEv2 Configuration (47).
    Configuration,
    /// IKEv2 Extensible Authentication (48).
    Eap,
    /// IKEv2 Encrypted and Authenticated Fragment, `SKF` (53, RFC 7383).
    EncryptedFragment,
    /// Anything else, kept.
    Unknown(u8),
}

impl From<u8> for PayloadType {
    fn from(v: u8) -> Self {
        use PayloadType::*;
        match v {
            0 => None,
            1 => SecurityAssociationV1,
            2 => ProposalV1,
            3 => TransformV1,
            4 => KeyExchangeV1,
            5 => IdentificationV1,
            6 => CertificateV1,
            7 => CertificateRequestV1,
            8 => HashV1,
            9 => SignatureV1,
            10 => NonceV1,
            11 => NotificationV1,
            12 => DeleteV1,
            13 => VendorIdV1,
            20 => NatDiscoveryV1,
            21 => NatOriginalAddressV1,
            130 => NatDiscoveryDraftV1,
            131 => NatOriginalAddressDraftV1,
            33 => SecurityAssociation,
            34 => KeyExchange,
            35 => IdInitiator,
            36 => IdResponder,
            37 => Certificate,
            38 => CertificateRequest,
            39 => Authentication,
            40 => Nonce,
            41 => Notify,
            42 => Delete,
            43 => VendorId,
            44 => TsInitiator,
            45 => TsResponder,
            46 => Encrypted,
            47 => Configuration,
            48 => Eap,
            53 => EncryptedFragment,
            other => Unknown(other),
        }
    }
}

impl PayloadType {
    /// The number on the wire.
    pub fn value(self) -> u8 {
        use PayloadType::*;
        match self {
            None => 0,
            SecurityAssociationV1 => 1,
            ProposalV1 => 2,
            TransformV1 => 3,
            KeyExchangeV1 => 4,
            IdentificationV1 => 5,
            CertificateV1 => 6,
            CertificateRequestV1 => 7,
            HashV1 => 8,
            SignatureV1 => 9,
            NonceV1 => 10,
            NotificationV1 => 11,
            DeleteV1 => 12,
            VendorIdV1 => 13,
            NatDiscoveryV1 => 20,
            NatOriginalAddressV1 => 21,
            NatDiscoveryDraftV1 => 130,
            NatOriginalAddressDraftV1 => 131,
            SecurityAssociation => 33,
            KeyExchange => 34,
            IdInitiator => 35,
            IdResponder => 36,
            Certificate => 37,
            CertificateRequest => 38,
            Authentication => 39,
            Nonce => 40,
            Notify => 41,
            Delete => 42,
            VendorId => 43,
            TsInitiator => 44,
            TsResponder => 45,
            Encrypted => 46,
            Configuration => 47,
            Eap => 48,
            EncryptedFragment => 53,
            Unknown(v) => v,
        }
    }

    /// The short notation of RFC 7296 §1.2 (IKEv2) or of tshark (IKEv1): `SA`, `KE`, `N`, `SK`…
    pub fn short(self) -> String {
        use PayloadType::*;
        let s = match self {
            None => "none",
            SecurityAssociationV1 | SecurityAssociation => "SA",
            ProposalV1 => "P",
            TransformV1 => "T",
            KeyExchangeV1 | KeyExchange => "KE",
            IdentificationV1 => "ID",
            CertificateV1 | Certificate => "CERT",
            CertificateRequestV1 | CertificateRequest => "CERTREQ",
            HashV1 => "HASH",
            SignatureV1 => "SIG",
            NonceV1 | Nonce => "Nonce",
            NotificationV1 | Notify => "N",
            DeleteV1 | Delete => "D",
            VendorIdV1 | VendorId => "V",
            NatDiscoveryV1 | NatDiscoveryDraftV1 => "NAT-D",
            NatOriginalAddressV1 | NatOriginalAddressDraftV1 => "NAT-OA",
            IdInitiator => "IDi",
            IdResponder => "IDr",
            Authentication => "AUTH",
            TsInitiator => "TSi",
            TsResponder => "TSr",
            Encrypted => "SK",
            Configuration => "CP",
            Eap => "EAP",
            EncryptedFragment => "SKF",
            Unknown(v) => return format!("payload {v}"),
        };
        s.to_owned()
    }
}

/// A decoded payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload<'a> {
    /// Security Association (RFC 7296 §3.3; RFC 2408 §3.4): its proposals.
    SecurityAssociation(Vec<Proposal<'a>>),
    /// Key Exchange (RFC 7296 §3.4; RFC 2408 §3.7); IKEv1 names the group in the SA instead.
    KeyExchange {
        /// Diffie-Hellman group (IKEv2 only).
        group: Option<u16>,
        /// Length of the public value.
        data_len: usize,
    },
    /// Nonce (RFC 7296 §3.9; RFC 2408 §3.13).
    Nonce(&'a [u8]),
    /// Notify (RFC 7296 §3.10; RFC 2408 §3.14).
    Notify(Notify<'a>),
    /// Delete (RFC 7296 §3.11; RFC 2408 §3.15).
    Delete(Delete<'a>),
    /// Vendor ID (RFC 7296 §3.12; RFC 2408 §3.16).
    VendorId(&'a [u8]),
    /// IKEv1 NAT-D (RFC 3947 §3.2): a hash of an address and port.
    NatDiscovery(&'a [u8]),
    /// Encrypted content: IKEv2 `SK`/`SKF` (RFC 7296 §3.14, RFC 7383 §2.5), or the body of an
    /// IKEv1 message with the `E` flag.
    Encrypted {
        /// Type of the first payload inside (left in the clear by IKEv2; IKEv1's header field).
        first_inner: PayloadType,
        /// Length of the encrypted body.
        len: usize,
        /// `SKF`: fragment number and total fragments.
        fragment: Option<(u16, u16)>,
    },
    /// Any other payload: its type and body length.
    Other {
        /// Payload type.
        kind: PayloadType,
        /// Body length.
        len: usize,
    },
}

/// A decoded IKE message: the header, the payloads that decoded, and why decoding stopped early
/// if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// The header.
    pub header: HeaderRepr,
    /// Payloads in order.
    pub payloads: Vec<Payload<'a>>,
    /// Why the payload chain (or a payload's body) could not be decoded to its end.
    pub error: Option<Error>,
    /// The header's length exceeds the bytes given.
    pub truncated: bool,
}

impl<'a> Message<'a> {
    /// Decodes a message: fails only when the header itself is not an ISAKMP header.
    pub fn parse(bytes: &'a [u8]) -> Result<Message<'a>, Error> {
        let h = Header::new_checked(bytes)?;
        let header = HeaderRepr::parse(&h);
        let end = (header.length as usize).min(bytes.len());
        let body: &'a [u8] = bytes.get(HEADER_LEN..end).unwrap_or(&[]);
        let mut msg = Message {
            header,
            payloads: Vec::new(),
            error: None,
            truncated: h.truncated(),
        };
        let v1 = header.major_version == 1;
        if v1 && header.flags.encrypted() {
            msg.payloads.push(Payload::Encrypted {
                first_inner: header.next_payload,
                len: body.len(),
                fragment: None,
            });
            return Ok(msg);
        }
        for raw in Payloads::new(body, header.next_payload, HEADER_LEN) {
            match raw {
                Ok(raw) => match payload::decode(&raw, v1) {
                    Ok(p) => msg.payloads.push(p),
                    Err(e) => {
                        msg.payloads.push(Payload::Other {
                            kind: raw.kind,
                            len: raw.body.len(),
                        });
                        msg.error.get_or_insert(e);
                    }
                },
                Err(e) => {
                    msg.error = Some(e);
                    break;
                }
            }
        }
        Ok(msg)
    }

    /// The Notify payloads.
    pub fn notifies(&self) -> impl Iterator<Item = &Notify<'a>> {
        self.payloads.iter().filter_map(|p| match p {
            Payload::Notify(n) => Some(n),
            _ => None,
        })
    }

    /// The first inner payload type of an encrypted payload, when there is one.
    pub fn encrypted_first_inner(&self) -> Option<PayloadType> {
        self.payloads.iter().find_map(|p| match p {
            Payload::Encrypted { first_inner, .. } => Some(*first_inner),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IKEv2 IKE_SA_INIT request: header, SA (one IKE proposal with one transform), KE (group 14,
    /// 4 bytes of public value), Ni, N(NAT_DETECTION_SOURCE_IP), V.
    fn sa_init() -> Vec<u8> {
        let mut m = vec![
            1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, // SPIs
            33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0,
            0, // SA, 2.0, IKE_SA_INIT, I, MID 0, length
        ];
        // SA: proposal 1, IKE, no SPI, 1 transform: ENCR AES_CBC (12) keylen 256.
        m.extend_from_slice(&[34, 0, 0, 24]);
        m.extend_from_slice(&[0, 0, 0, 20, 1, 1, 0, 1]);
        m.extend_from_slice(&[0, 0, 0, 12, 1, 0, 0, 12, 0x80, 14, 1, 0]);
        // KE: group 14.
        m.extend_from_slice(&[40, 0, 0, 12, 0, 14, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd]);
        // Ni: 4 bytes.
        m.extend_from_slice(&[41, 0, 0, 8, 9, 9, 9, 9]);
        // N(NAT_DETECTION_SOURCE_IP), 20-byte hash.
        m.extend_from_slice(&[43, 0, 0, 28, 0, 0, 0x40, 0x04]);
        m.extend_from_slice(&[0x11; 20]);
        // V: RFC 3947 NAT-T.
        m.extend_from_slice(&[0, 0, 0, 20]);
        m.extend_from_slice(&[
            0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95,
            0x45, 0x2f,
        ]);
        let len = m.len() as u32;
        m[24..28].copy_from_slice(&len.to_be_bytes());
        m
    }

    #[test]
    fn ike_sa_init_request_decodes_its_payload_chain() {
        let bytes = sa_init();
        let msg = Message::parse(&bytes).unwrap();
        assert_eq!(msg.error, None);
        assert_eq!(msg.header.exchange, ExchangeType::IkeSaInit);
        assert_eq!(msg.payloads.len(), 5);
        let Payload::SecurityAssociation(props) = &msg.payloads[0] else {
            panic!("{:?}", msg.payloads[0])
        };
        assert_eq!(props[0].protocol, 1);
        assert_eq!(props[0].transforms[0].key_length, Some(256));
        assert_eq!(
            msg.payloads[1],
            Payload::KeyExchange {
                group: Some(14),
                data_len: 4
            }
        );
        assert_eq!(msg.payloads[2], Payload::Nonce(&[9, 9, 9, 9]));
        let n = msg.notifies().next().unwrap();
        assert_eq!(n.kind, NotifyType::NAT_DETECTION_SOURCE_IP);
        assert_eq!(n.data, &[0x11; 20]);
        let Payload::VendorId(v) = msg.payloads[4] else {
            panic!()
        };
        assert_eq!(vendor_name(v), Some("RFC 3947 NAT-T"));
    }

    #[test]
    fn sk_payload_stops_the_chain_and_names_the_first_inner_payload() {
        let mut m = vec![0u8; 28];
        m[16] = 46;
        m[17] = 0x20;
        m[18] = 37;
        m[19] = 0x08;
        m.extend_from_slice(&[42, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8]);
        let len = m.len() as u32;
        m[24..28].copy_from_slice(&len.to_be_bytes());
        let msg = Message::parse(&m).unwrap();
        assert_eq!(msg.encrypted_first_inner(), Some(PayloadType::Delete));
        assert_eq!(msg.payloads.len(), 1);
    }

    #[test]
    fn ikev1_encrypted_message_is_one_encrypted_payload() {
        let mut m = vec![0u8; 28];
        m[16] = 8; // HASH
        m[17] = 0x10;
        m[18] = 32;
        m[19] = 0x01;
        m.extend_from_slice(&[0xde; 20]);
        let len = m.len() as u32;
        m[24..28].copy_from_slice(&len.to_be_bytes());
        let msg = Message::parse(&m).unwrap();
        assert_eq!(msg.header.exchange, ExchangeType::QuickMode);
        assert_eq!(
            msg.payloads,
            vec![Payload::Encrypted {
                first_inner: PayloadType::HashV1,
                len: 20,
                fragment: None
            }]
        );
    }

    #[test]
    fn a_broken_chain_keeps_what_decoded() {
        let mut bytes = sa_init();
        let n = bytes.len();
        bytes[n - 18] = 0xff; // the vendor ID's length now runs past the end
        bytes[n - 17] = 0xff;
        let msg = Message::parse(&bytes).unwrap();
        assert_eq!(msg.payloads.len(), 4);
        assert!(matches!(
            msg.error,
            Some(Error::BadLength { .. }) | Some(Error::Truncated { .. })
        ));
    }

    #[test]
    fn numbers_round_trip() {
        for v in 0..=255u8 {
            assert_eq!(ExchangeType::from(v).value(), v);
            assert_eq!(PayloadType::from(v).value(), v);
        }
        assert_eq!(ExchangeType::from(34).name(), "IKE_SA_INIT");
        assert_eq!(ExchangeType::from(2).name(), "Main Mode");
        assert_eq!(PayloadType::from(46).short(), "SK");
    }
}
