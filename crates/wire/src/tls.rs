//! TLS record framing (RFC 8446 §5.1, the same header in TLS 1.0–1.3): only what it takes to tell
//! a TLS stream from a plain-text one. Handshake contents (SNI, ALPN, certificates) are not
//! decoded yet.

/// A TLS record header: content type 20–23 (change_cipher_spec, alert, handshake,
/// application_data) and major version 3, with the five header bytes present.
pub fn is_record(payload: &[u8]) -> bool {
    matches!(payload, [20..=23, 3, _, _, _, ..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_header_needs_its_type_version_and_five_bytes() {
        assert!(is_record(&[22, 3, 1, 0, 5]));
        assert!(is_record(&[23, 3, 3, 0x40, 0, 1, 2]));
        assert!(!is_record(&[22, 3, 1, 0]), "four bytes");
        assert!(!is_record(&[24, 3, 1, 0, 5]), "content type 24");
        assert!(!is_record(&[22, 2, 0, 0, 5]), "SSL 2");
        assert!(!is_record(b"INVITE sip:"));
    }
}
