//! The Delete payload (IKEv2: RFC 7296 §3.11; IKEv1: RFC 2408 §3.15).
//!
//! ```text
//! IKEv2:  | Protocol ID | SPI Size | Num of SPIs (2) | SPIs... |
//! IKEv1:  | DOI (4) | Protocol ID | SPI Size | Num of SPIs (2) | SPIs... |
//! ```

use super::Error;
use crate::bytes::be16;

/// Byte offsets inside the Delete body, after IKEv1's DOI where present.
pub mod field {
    /// Protocol ID (1 IKE SA, 2 AH, 3 ESP).
    pub const PROTOCOL: usize = 0;
    /// SPI size (0 for the IKE SA in IKEv2, 16 in IKEv1, 4 for ESP/AH).
    pub const SPI_SIZE: usize = 1;
    /// Number of SPIs.
    pub const COUNT: std::ops::Range<usize> = 2..4;
    /// Where the SPIs start.
    pub const SPIS: usize = 4;
    /// IKEv1's Domain of Interpretation.
    pub const DOI_LEN: usize = 4;
}

/// A decoded Delete payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delete<'a> {
    /// Protocol ID: 1 deletes the IKE SA, 2 AH and 3 ESP child SAs.
    pub protocol: u8,
    /// Size of each SPI.
    pub spi_size: u8,
    /// Number of SPIs the payload claims.
    pub count: u16,
    /// The SPI bytes present (at most `count × spi_size`).
    pub spis: &'a [u8],
}

impl<'a> Delete<'a> {
    /// Decodes a Delete body.
    pub fn parse(body: &'a [u8], v1: bool, offset: usize) -> Result<Delete<'a>, Error> {
        let skip = if v1 { field::DOI_LEN } else { 0 };
        let b = body.get(skip..).unwrap_or(&[]);
        if b.len() < field::SPIS {
            return Err(Error::Truncated {
                need: skip + field::SPIS,
                have: body.len(),
                offset,
            });
        }
        let spi_size = b[field::SPI_SIZE];
        let count = be16(b, field::COUNT.start).unwrap_or_default();
        let want = usize::from(spi_size) * usize::from(count);
        let spis = &b[field::SPIS..];
        let spis = &spis[..want.min(spis.len())];
        Ok(Delete {
            protocol: b[field::PROTOCOL],
            spi_size,
            count,
            spis,
        })
    }

    /// True when this deletes the IKE SA (protocol 1) rather than child SAs.
    pub fn is_ike_sa(&self) -> bool {
        self.protocol == 1
    }

    /// The 4-byte SPIs of deleted ESP/AH SAs.
    pub fn child_spis(&self) -> impl Iterator<Item = u32> + 'a {
        let size = usize::from(self.spi_size);
        let spis = if size == 4 { self.spis } else { &[][..] };
        spis.chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IKEv2 D(ESP, two SPIs).
    static DELETE_ESP: [u8; 12] = [3, 4, 0, 2, 0xdb, 0xe2, 0x29, 0xd4, 0x37, 0x5b, 0x67, 0xaf];
    /// IKEv2 D(IKE): no SPI.
    static DELETE_IKE: [u8; 4] = [1, 0, 0, 0];

    #[test]
    fn child_sa_delete_lists_spis() {
        let d = Delete::parse(&DELETE_ESP, false, 0).unwrap();
        assert!(!d.is_ike_sa());
        assert_eq!(
            d.child_spis().collect::<Vec<_>>(),
            vec![0xdbe229d4, 0x375b67af]
        );
    }

    #[test]
    fn ike_sa_delete() {
        let d = Delete::parse(&DELETE_IKE, false, 0).unwrap();
        assert!(d.is_ike_sa());
        assert_eq!(d.child_spis().count(), 0);
    }

    #[test]
    fn ikev1_delete_and_a_count_beyond_the_bytes() {
        let bytes = [0, 0, 0, 1, 3, 4, 0xff, 0xff, 1, 2, 3, 4];
        let d = Delete::parse(&bytes, true, 0).unwrap();
        assert_eq!(d.count, 0xffff);
        assert_eq!(d.child_spis().collect::<Vec<_>>(), vec![0x01020304]);
        assert!(Delete::parse(&bytes[..6], true, 0).is_err());
    }
}
