//! Telling apart what shares one UDP port in WebRTC and TURN (RFC 7983 §7, updated by RFC 9443
//! for QUIC), and cutting a TCP byte stream into STUN and ChannelData messages (RFC 8489 §6.2.2,
//! RFC 8656 §12.5).

use super::{HEADER_LEN, MAGIC_COOKIE};
use crate::bytes::{be16, be32};

/// What the first byte of a datagram says it is (RFC 7983 §7; RFC 9443 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Demux {
    /// 0–3: STUN.
    Stun,
    /// 16–19: ZRTP.
    Zrtp,
    /// 20–63: DTLS.
    Dtls,
    /// 64–79: TURN ChannelData.
    TurnChannel,
    /// 80–127 and 192–255: QUIC.
    Quic,
    /// 128–191: RTP or RTCP.
    Rtp,
    /// 4–15: nothing assigned.
    Unknown,
}

/// Classifies a datagram by its first byte.
pub fn demux(first: u8) -> Demux {
    match first {
        0..=3 => Demux::Stun,
        16..=19 => Demux::Zrtp,
        20..=63 => Demux::Dtls,
        64..=79 => Demux::TurnChannel,
        128..=191 => Demux::Rtp,
        80..=127 | 192..=255 => Demux::Quic,
        _ => Demux::Unknown,
    }
}

/// Where the next message on a STUN/TURN TCP stream ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framed {
    /// A whole message of this many bytes is at the start of the buffer.
    Complete(usize),
    /// The message needs this many bytes in all; feed more.
    Incomplete(usize),
    /// The bytes start neither a STUN message (with the magic cookie) nor ChannelData.
    Invalid,
}

/// Frames the next message of a TCP stream: a STUN message is 20 bytes plus its length; a
/// ChannelData message 4 bytes plus its length, padded to four.
pub fn tcp_frame_len(buf: &[u8]) -> Framed {
    let Some(&first) = buf.first() else {
        return Framed::Incomplete(4);
    };
    match first >> 6 {
        0 => {
            if buf.len() < 8 {
                return Framed::Incomplete(HEADER_LEN);
            }
            let len = be16(buf, 2).unwrap_or_default();
            if !len.is_multiple_of(4) || be32(buf, 4).unwrap_or_default() != MAGIC_COOKIE {
                return Framed::Invalid;
            }
            done(buf, HEADER_LEN + usize::from(len))
        }
        1 => {
            if buf.len() < 4 {
                return Framed::Incomplete(4);
            }
            // RFC 5766's channel range (RFC 8656 narrowed it to 0x4FFF; see `ChannelData`).
            if !(0x4000..=0x7ffe).contains(&be16(buf, 0).unwrap_or_default()) {
                return Framed::Invalid;
            }
            done(
                buf,
                4 + usize::from(be16(buf, 2).unwrap_or_default()).div_ceil(4) * 4,
            )
        }
        _ => Framed::Invalid,
    }
}

fn done(buf: &[u8], need: usize) -> Framed {
    if buf.len() >= need {
        Framed::Complete(need)
    } else {
        Framed::Incomplete(need)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_byte_ranges() {
        assert_eq!(demux(0x00), Demux::Stun);
        assert_eq!(demux(0x01), Demux::Stun);
        assert_eq!(demux(0x16), Demux::Dtls);
        assert_eq!(demux(0x40), Demux::TurnChannel);
        assert_eq!(demux(0x80), Demux::Rtp);
        assert_eq!(demux(0xbf), Demux::Rtp);
        assert_eq!(demux(0x10), Demux::Zrtp);
        assert_eq!(demux(0x50), Demux::Quic);
        assert_eq!(demux(0xc3), Demux::Quic);
        assert_eq!(demux(0x05), Demux::Unknown);
    }

    #[test]
    fn frames_stun_then_channel_data() {
        let mut stream = vec![0x00, 0x03, 0x00, 0x04, 0x21, 0x12, 0xa4, 0x42];
        stream.extend_from_slice(&[7; 12]);
        stream.extend_from_slice(&[0, 0x19, 0, 0]);
        assert_eq!(tcp_frame_len(&stream[..10]), Framed::Incomplete(24));
        assert_eq!(tcp_frame_len(&stream), Framed::Complete(24));
        let cd = [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0];
        assert_eq!(tcp_frame_len(&cd[..9]), Framed::Incomplete(12));
        assert_eq!(tcp_frame_len(&cd), Framed::Complete(12));
    }

    #[test]
    fn anything_else_is_invalid() {
        assert_eq!(tcp_frame_len(b"\x80\x00\x00\x01 RTP"), Framed::Invalid);
        assert_eq!(
            tcp_frame_len(&[0x16, 3, 1, 0, 0x2f, 1, 0, 0]),
            Framed::Invalid
        );
        assert_eq!(tcp_frame_len(&[0, 1, 0, 0, 1, 2, 3, 4]), Framed::Invalid);
        assert_eq!(tcp_frame_len(&[0x7f, 0xff, 0, 0]), Framed::Invalid);
        assert_eq!(tcp_frame_len(&[0x5a, 0x25, 0, 0]), Framed::Complete(4));
        assert_eq!(tcp_frame_len(&[]), Framed::Incomplete(4));
    }
}
