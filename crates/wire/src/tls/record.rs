//! TLS record framing (RFC 8446 §5.1; the same five-byte header in TLS 1.0–1.2, RFC 5246 §6.2.1):
//!
//! ```text
//! | type (1) | legacy_record_version (2) | length (2) | fragment (length bytes) ...
//! ```
//! Records follow each other on the stream with nothing between them, so lengths alone cut it; a
//! header that is not a record header means the stream is not (or is no longer) TLS.

use super::is_record;
use crate::bytes::be16;

/// Byte ranges of the record header.
pub mod field {
    /// Content type.
    pub const TYPE: usize = 0;
    /// legacy_record_version.
    pub const VERSION: std::ops::Range<usize> = 1..3;
    /// Length of the fragment.
    pub const LENGTH: std::ops::Range<usize> = 3..5;
    /// Where the fragment starts.
    pub const FRAGMENT: usize = 5;
}

/// Length of a record header.
pub const RECORD_HEADER_LEN: usize = field::FRAGMENT;

/// The longest fragment accepted: 2^14 + 2048, TLS 1.2's ciphertext limit (RFC 5246 §6.2.3; TLS
/// 1.3 allows 2^14 + 256, RFC 8446 §5.2). A longer one is not TLS.
pub const MAX_FRAGMENT_LEN: usize = (1 << 14) + 2048;

/// Content types (RFC 8446 §5.1, RFC 5246 §6.2.1): the four [`is_record`] accepts.
pub mod content_type {
    /// change_cipher_spec: in TLS ≤ 1.2, what follows is encrypted.
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    /// alert.
    pub const ALERT: u8 = 21;
    /// handshake: fragments of handshake messages.
    pub const HANDSHAKE: u8 = 22;
    /// application_data (and, in TLS 1.3, everything encrypted).
    pub const APPLICATION_DATA: u8 = 23;
}

/// One record: its header fields and its fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Content type (see [`content_type`]).
    pub content_type: u8,
    /// legacy_record_version: 0x0300–0x0303; not the negotiated version.
    pub version: u16,
    /// The fragment, exactly as long as the header says.
    pub fragment: &'a [u8],
}

/// Why framing stopped on bytes that cannot be TLS: the caller gives up on the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotTls {
    /// The header's type or major version is not a TLS record's (see [`is_record`]).
    #[error("tls: no record header at offset {offset}")]
    BadHeader {
        /// Offset of the header in the buffer.
        offset: usize,
    },
    /// The header claims more than [`MAX_FRAGMENT_LEN`] bytes.
    #[error("tls: record at offset {offset} claims {length} bytes, more than 2^14 + 2048")]
    TooLong {
        /// The length field.
        length: usize,
        /// Offset of the header in the buffer.
        offset: usize,
    },
}

/// What [`split_records`] found: the complete records, in order, and where it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSplit<'a> {
    /// The complete records before the stop.
    pub records: Vec<Record<'a>>,
    /// Bytes the records take, headers included: the caller drops these and keeps the rest.
    pub consumed: usize,
    /// Set when framing stopped at bytes that are not TLS rather than at an incomplete record.
    pub error: Option<NotTls>,
}

/// Cuts `buf`, the start of a TLS stream, into complete records. Stops at the first record whose
/// header or fragment is not all there yet (more bytes may complete it) or whose header is not
/// TLS (then `error` says why; what came before is kept).
pub fn split_records(buf: &[u8]) -> RecordSplit<'_> {
    let mut split = RecordSplit {
        records: Vec::new(),
        consumed: 0,
        error: None,
    };
    while let Some(rest) = buf.get(split.consumed..).filter(|r| !r.is_empty()) {
        let offset = split.consumed;
        // A partial header is judged on the bytes it has, so a stream that is not TLS is told
        // at once rather than after four more bytes.
        let starts_right = matches!(rest, [20..=23] | [20..=23, 3, ..]);
        if !starts_right || (rest.len() >= RECORD_HEADER_LEN && !is_record(rest)) {
            split.error = Some(NotTls::BadHeader { offset });
            break;
        }
        let (Some(version), Some(length)) = (
            be16(rest, field::VERSION.start),
            be16(rest, field::LENGTH.start),
        ) else {
            break;
        };
        let length = usize::from(length);
        if length > MAX_FRAGMENT_LEN {
            split.error = Some(NotTls::TooLong { length, offset });
            break;
        }
        let Some(fragment) = rest.get(field::FRAGMENT..field::FRAGMENT + length) else {
            break;
        };
        split.records.push(Record {
            content_type: rest[field::TYPE],
            version,
            fragment,
        });
        split.consumed += RECORD_HEADER_LEN + length;
    }
    split
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_records_are_split_and_a_partial_one_waits() {
        let buf = [
            22, 3, 1, 0, 2, 0xaa, 0xbb, // handshake, 2 bytes
            23, 3, 3, 0, 0, // application data, empty
            21, 3, 3, 0, 2, 2, // alert, 1 of 2 bytes
        ];
        let split = split_records(&buf);
        assert_eq!(
            split.records,
            vec![
                Record {
                    content_type: content_type::HANDSHAKE,
                    version: 0x0301,
                    fragment: &[0xaa, 0xbb]
                },
                Record {
                    content_type: content_type::APPLICATION_DATA,
                    version: 0x0303,
                    fragment: &[]
                },
            ]
        );
        assert_eq!(split.consumed, 12);
        assert_eq!(split.error, None);
    }

    #[test]
    fn a_partial_header_waits_if_what_is_there_fits() {
        for cut in 0..5 {
            let split = split_records(&[22, 3, 3, 0, 1][..cut]);
            assert_eq!((split.records.len(), split.consumed), (0, 0));
            assert_eq!(split.error, None, "cut at {cut}");
        }
    }

    #[test]
    fn a_header_that_is_not_tls_stops_with_an_error_after_what_decoded() {
        let mut buf = vec![22, 3, 3, 0, 1, 0xff];
        buf.extend_from_slice(b"GET / HTTP/1.1\r\n");
        let split = split_records(&buf);
        assert_eq!(split.records.len(), 1);
        assert_eq!(split.consumed, 6);
        assert_eq!(split.error, Some(NotTls::BadHeader { offset: 6 }));
        assert_eq!(
            split_records(b"G").error,
            Some(NotTls::BadHeader { offset: 0 }),
            "one byte is enough to tell"
        );
        assert_eq!(
            split_records(&[22, 2]).error,
            Some(NotTls::BadHeader { offset: 0 })
        );
    }

    #[test]
    fn a_length_over_the_limit_is_not_tls() {
        let [hi, lo] = ((MAX_FRAGMENT_LEN + 1) as u16).to_be_bytes();
        assert_eq!(
            split_records(&[23, 3, 3, hi, lo, 0]).error,
            Some(NotTls::TooLong {
                length: MAX_FRAGMENT_LEN + 1,
                offset: 0
            })
        );
        let [hi, lo] = (MAX_FRAGMENT_LEN as u16).to_be_bytes();
        assert_eq!(split_records(&[23, 3, 3, hi, lo, 0]).error, None);
    }
}
