//! TURN ChannelData (RFC 8656 §12.4): application data relayed over a bound channel, with a
//! four-byte header instead of a STUN Send/Data indication.
//!
//! ```text
//! |         Channel Number (2)    |            Length (2)         |
//! |                     Application Data (Length bytes)        ....
//! ```
//! Over TCP the message is padded to a multiple of four bytes (§12.5); over UDP it may be.

use super::Error;
use crate::bytes::be16;

/// Byte ranges of the header.
pub mod field {
    /// Channel number.
    pub const CHANNEL: std::ops::Range<usize> = 0..2;
    /// Length of the application data.
    pub const LENGTH: std::ops::Range<usize> = 2..4;
    /// Where the data starts.
    pub const DATA: usize = 4;
}

/// The channel number of bytes that start like ChannelData (first two bits 01, RFC 8656 §12.4),
/// without checking the rest: a TCP stream reader asks it before framing a message.
pub fn channel_number(b: &[u8]) -> Option<u16> {
    be16(b, field::CHANNEL.start).filter(|c| c >> 14 == 1)
}

/// The application data of ChannelData as far as the buffer holds it (up to the stated length):
/// what tshark's heuristics look into even when a relay's datagram was cut short.
pub fn data_lax(b: &[u8]) -> Option<&[u8]> {
    let len = usize::from(be16(b, field::LENGTH.start)?);
    b.get(field::DATA..b.len().min(field::DATA + len))
}

/// A read-only view of a ChannelData message, checked once by [`ChannelData::new_checked`].
#[derive(Debug, Clone, Copy)]
pub struct ChannelData<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ChannelData<T> {
    /// Wraps `buffer` after checking the channel number is a channel number and the data the
    /// length claims is present. RFC 8656 §12 narrowed channels to 0x4000–0x4FFF (so that RFC
    /// 7983's first byte 64–79 finds them), but RFC 5766 §11 allowed up to 0x7FFE and servers
    /// such as coturn still hand those out: both are accepted.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let b = buffer.as_ref();
        if b.len() < field::DATA {
            return Err(Error::Truncated {
                need: field::DATA,
                have: b.len(),
                offset: 0,
            });
        }
        let channel = be16(b, field::CHANNEL.start).unwrap_or_default();
        if !(0x4000..=0x7ffe).contains(&channel) {
            return Err(Error::NotStun);
        }
        let need = field::DATA + usize::from(be16(b, field::LENGTH.start).unwrap_or_default());
        if need > b.len() {
            return Err(Error::Truncated {
                need,
                have: b.len(),
                offset: 0,
            });
        }
        Ok(ChannelData { buffer })
    }

    /// The channel number.
    pub fn channel(&self) -> u16 {
        be16(self.buffer.as_ref(), field::CHANNEL.start).unwrap_or_default()
    }

    /// Length of the application data.
    pub fn length(&self) -> u16 {
        be16(self.buffer.as_ref(), field::LENGTH.start).unwrap_or_default()
    }

    /// The application data.
    pub fn data(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        &b[field::DATA..field::DATA + usize::from(self.length())]
    }

    /// Header plus data, padded to four bytes (its size on a TCP stream).
    pub fn padded_len(&self) -> usize {
        field::DATA + usize::from(self.length()).div_ceil(4) * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Channel 0x4844, 5 bytes of data, then 3 bytes of padding.
    static CHANNEL_DATA: [u8; 12] = [0x48, 0x44, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0];

    #[test]
    fn header_and_data() {
        let cd = ChannelData::new_checked(&CHANNEL_DATA[..]).unwrap();
        assert_eq!(cd.channel(), 0x4844);
        assert_eq!(cd.data(), &[1, 2, 3, 4, 5]);
        assert_eq!(cd.padded_len(), 12);
    }

    #[test]
    fn rejects_other_channels_and_short_data() {
        let mut b = CHANNEL_DATA;
        b[0] = 0x5a; // RFC 5766's wider range
        assert!(ChannelData::new_checked(&b[..]).is_ok());
        b[0] = 0x7f;
        b[1] = 0xff;
        assert_eq!(ChannelData::new_checked(&b[..]).err(), Some(Error::NotStun));
        b[0] = 0x80;
        assert_eq!(ChannelData::new_checked(&b[..]).err(), Some(Error::NotStun));
        assert!(matches!(
            ChannelData::new_checked(&CHANNEL_DATA[..8]),
            Err(Error::Truncated {
                need: 9,
                have: 8,
                ..
            })
        ));
        assert!(ChannelData::new_checked(&CHANNEL_DATA[..3]).is_err());
    }
}
