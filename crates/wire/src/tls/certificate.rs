//! The Certificate message of TLS ≤ 1.2 (RFC 5246 §7.4.2): the server's chain, its own
//! certificate first.
//!
//! ```text
//! certificate_list length (3) | { cert length (3) | DER (cert length bytes) } ...
//! ```
//! TLS 1.3 sends its Certificate encrypted, with a request context and per-entry extensions
//! (RFC 8446 §4.4.2); that shape is not read here.

use super::handshake::be24;

/// The first certificate of a certificate body (without the handshake header): the server's
/// own, as DER. `None` when the list is empty or a length disagrees with the bytes it frames.
pub fn first_certificate(body: &[u8]) -> Option<&[u8]> {
    let list_len = be24(body, 0)?;
    let list = body.get(3..)?;
    if list_len != list.len() {
        return None;
    }
    let cert_len = be24(list, 0)?;
    list.get(3..3 + cert_len).filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der::certificate_names;

    const CERT: &[u8] = include_bytes!("testdata/example-cert.der");

    /// A certificate body with `certs` in order.
    fn certificate(certs: &[&[u8]]) -> Vec<u8> {
        let mut list = Vec::new();
        for c in certs {
            list.extend_from_slice(&(c.len() as u32).to_be_bytes()[1..]);
            list.extend_from_slice(c);
        }
        let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
        body.extend(list);
        body
    }

    #[test]
    fn the_first_certificate_names_the_server() {
        let body = certificate(&[CERT, b"\x30\x00"]);
        let der = first_certificate(&body).unwrap();
        assert_eq!(der, CERT);
        let names = certificate_names(der).unwrap();
        assert_eq!(names.subject, "C=US, O=Example Org, CN=epdg.example.net");
        assert_eq!(names.issuer, "C=US, O=Example Org, CN=epdg.example.net");
        assert_eq!(
            names.subject_common_name.as_deref(),
            Some("epdg.example.net")
        );
        assert_eq!(names.dns_names, ["epdg.example.net", "alt.example.net"]);
    }

    #[test]
    fn an_empty_list_or_a_wrong_length_has_no_certificate() {
        assert_eq!(first_certificate(&certificate(&[])), None);
        let mut body = certificate(&[CERT]);
        body.push(0);
        assert_eq!(first_certificate(&body), None, "list shorter than the body");
        let mut body = certificate(&[CERT]);
        body[5] += 1;
        assert_eq!(
            first_certificate(&body),
            None,
            "certificate longer than the list"
        );
    }

    #[test]
    fn a_truncated_message_never_panics() {
        let body = certificate(&[CERT]);
        for n in 0..body.len() {
            assert_eq!(first_certificate(&body[..n]), None, "cut at {n}");
        }
    }
}
