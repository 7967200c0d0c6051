//! ESP (RFC 4303 §2) as far as it is readable without keys — the SPI and the sequence number —
//! and the UDP encapsulation of ESP and IKE on port 4500 (RFC 3948 §2).
//!
//! ```text
//! ESP:        | SPI (4) | Sequence Number (4) | Payload, padding, ICV ... |
//! UDP 4500:   0xFF alone                 NAT-keepalive (RFC 3948 §2.3)
//!             00 00 00 00 | IKE message  non-ESP marker, then IKE (RFC 3948 §2.2)
//!             SPI ≠ 0 | ...              ESP
//! ```

/// Byte ranges of the ESP header.
pub mod field {
    /// A field's byte range.
    pub type Field = std::ops::Range<usize>;
    /// Security Parameters Index.
    pub const SPI: Field = 0..4;
    /// Sequence number.
    pub const SEQUENCE: Field = 4..8;
    /// Where the (encrypted) payload starts.
    pub const PAYLOAD: usize = 8;
    /// The non-ESP marker before IKE on UDP 4500.
    pub const NON_ESP_MARKER: Field = 0..4;
}

/// Length of the clear-text ESP header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// Why bytes are not an ESP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Shorter than the 8-byte header.
    #[error("esp: truncated: need {need} bytes, have {have}")]
    Truncated {
        /// Bytes needed.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// SPI 0 is reserved (RFC 4303 §2.1); on UDP 4500 it is the non-ESP marker.
    #[error("esp: SPI 0 is reserved")]
    ZeroSpi,
}

/// A read-only view of an ESP packet, checked once by [`EspPacket::new_checked`].
#[derive(Debug, Clone, Copy)]
pub struct EspPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EspPacket<T> {
    /// Wraps `buffer` after checking it holds the 8-byte header with a non-zero SPI.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated {
                need: HEADER_LEN,
                have: b.len(),
            });
        }
        if b[field::SPI] == [0, 0, 0, 0] {
            return Err(Error::ZeroSpi);
        }
        Ok(EspPacket { buffer })
    }

    fn word(&self, at: usize) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    /// The SPI.
    pub fn spi(&self) -> u32 {
        self.word(field::SPI.start)
    }

    /// The (low 32 bits of the) sequence number.
    pub fn sequence(&self) -> u32 {
        self.word(field::SEQUENCE.start)
    }

    /// Length of the whole ESP packet.
    pub fn len(&self) -> usize {
        self.buffer.as_ref().len()
    }

    /// Never true for a checked packet (kept for clippy's `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encrypted payload, padding and ICV.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

/// What a UDP datagram on the NAT-T port carries (RFC 3948 §2).
#[derive(Debug, Clone, Copy)]
pub enum UdpEncap<'a> {
    /// A NAT-keepalive: one byte, 0xFF (§2.3).
    Keepalive,
    /// An IKE message after the non-ESP marker (§2.2).
    Ike(&'a [u8]),
    /// An ESP packet (§2.1).
    Esp(EspPacket<&'a [u8]>),
    /// Anything else (too short, or a zero marker with nothing after it).
    Invalid,
}

/// Classifies a UDP payload on the NAT-T port.
pub fn classify_udp_encap(payload: &[u8]) -> UdpEncap<'_> {
    if payload == [0xff] {
        return UdpEncap::Keepalive;
    }
    if payload.len() > field::NON_ESP_MARKER.end && payload[field::NON_ESP_MARKER] == [0, 0, 0, 0] {
        return UdpEncap::Ike(&payload[field::NON_ESP_MARKER.end..]);
    }
    match EspPacket::new_checked(payload) {
        Ok(esp) => UdpEncap::Esp(esp),
        Err(_) => UdpEncap::Invalid,
    }
}

/// A datagram on an IKE flow with the non-ESP marker (RFC 3948 §2.2) removed when it has one:
/// the IKE bytes and whether they were encapsulated. Unlike [`classify_udp_encap`], a marker with
/// nothing after it still counts as one.
pub fn strip_non_esp_marker(payload: &[u8]) -> (&[u8], bool) {
    match payload.get(field::NON_ESP_MARKER) {
        Some([0, 0, 0, 0]) => (&payload[field::NON_ESP_MARKER.end..], true),
        _ => (payload, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ESP SPI 0xdbe229d4, sequence 1, 4 bytes of ciphertext (ikev2-natt frame 9, shortened).
    static ESP_BYTES: [u8; 12] = [0xdb, 0xe2, 0x29, 0xd4, 0, 0, 0, 1, 0xa1, 0xa2, 0xa3, 0xa4];

    #[test]
    fn esp_header() {
        let esp = EspPacket::new_checked(&ESP_BYTES[..]).unwrap();
        assert_eq!(esp.spi(), 0xdbe229d4);
        assert_eq!(esp.sequence(), 1);
        assert_eq!(esp.payload(), &[0xa1, 0xa2, 0xa3, 0xa4]);
        assert_eq!(esp.len(), 12);
    }

    #[test]
    fn esp_rejects_short_and_zero_spi() {
        assert_eq!(
            EspPacket::new_checked(&ESP_BYTES[..7]).err(),
            Some(Error::Truncated { need: 8, have: 7 })
        );
        assert_eq!(
            EspPacket::new_checked(&[0u8, 0, 0, 0, 0, 0, 0, 1][..]).err(),
            Some(Error::ZeroSpi)
        );
    }

    #[test]
    fn udp_encap_keepalive_marker_and_esp() {
        assert!(matches!(classify_udp_encap(&[0xff]), UdpEncap::Keepalive));
        let ike = [0u8, 0, 0, 0, 1, 2, 3];
        assert!(matches!(
            classify_udp_encap(&ike),
            UdpEncap::Ike(&[1, 2, 3])
        ));
        assert!(
            matches!(classify_udp_encap(&ESP_BYTES), UdpEncap::Esp(e) if e.spi() == 0xdbe229d4)
        );
        assert!(matches!(
            classify_udp_encap(&[0, 0, 0, 0]),
            UdpEncap::Invalid
        ));
        assert!(matches!(
            classify_udp_encap(&[0xff, 0xff]),
            UdpEncap::Invalid
        ));
        assert!(matches!(classify_udp_encap(&[]), UdpEncap::Invalid));
    }
}
