//! TLS (RFC 8446 for 1.3, RFC 5246 for 1.2 and earlier): record framing, handshake framing, and
//! the few clear-text handshake fields that name a connection — the client's SNI and ALPN offer,
//! the version and ALPN the server chose, and the server's certificate (TLS ≤ 1.2 only; TLS 1.3
//! encrypts it).
//!
//! Three layers, each over complete units of the one below: [`split_records`] cuts a byte stream
//! into records, [`split_handshakes`] cuts the concatenated fragments of handshake records into
//! messages (one may span records), and [`ClientHello::parse`], [`ServerHello::parse`] and
//! [`first_certificate`] read message bodies. Names inside a certificate come from
//! [`crate::der::certificate_names`]. Which direction a record travels and when to stop feeding
//! (encrypted data follows a ChangeCipherSpec) is the caller's business.

mod certificate;
mod handshake;
mod hello;
mod record;

pub use certificate::first_certificate;
pub use handshake::{
    split_handshakes, CERTIFICATE, CLIENT_HELLO, HANDSHAKE_HEADER_LEN, SERVER_HELLO,
};
pub use hello::{version_name, ClientHello, ServerHello, MAX_ALPN};
pub use record::{
    content_type, split_records, NotTls, Record, RecordSplit, MAX_FRAGMENT_LEN, RECORD_HEADER_LEN,
};

/// A TLS record header: content type 20–23 (change_cipher_spec, alert, handshake,
/// application_data) and major version 3, with the five header bytes present.
pub fn is_record(payload: &[u8]) -> bool {
    matches!(payload, [20..=23, 3, _, _, _, ..])
}

/// Builders of the bytes tests need: a hello from its extensions, a message, a record.
#[cfg(test)]
mod build {
    fn vec16(data: &[u8]) -> Vec<u8> {
        let mut v = (data.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(data);
        v
    }

    /// An extension: type, length, data.
    pub fn ext(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut e = kind.to_be_bytes().to_vec();
        e.extend(vec16(data));
        e
    }

    /// server_name with one host_name (RFC 6066 §3).
    pub fn sni(host: &str) -> Vec<u8> {
        let mut entry = vec![0];
        entry.extend(vec16(host.as_bytes()));
        ext(0, &vec16(&entry))
    }

    /// application_layer_protocol_negotiation (RFC 7301 §3.1).
    pub fn alpn(names: &[&str]) -> Vec<u8> {
        let mut list = Vec::new();
        for n in names {
            list.push(n.len() as u8);
            list.extend_from_slice(n.as_bytes());
        }
        ext(16, &vec16(&list))
    }

    /// A ClientHello's supported_versions (RFC 8446 §4.2.1).
    pub fn versions(vs: &[u16]) -> Vec<u8> {
        let mut list = vec![(vs.len() * 2) as u8];
        for v in vs {
            list.extend_from_slice(&v.to_be_bytes());
        }
        ext(43, &list)
    }

    /// A client_hello body: TLS 1.2 legacy version, a random of 0x11s, no session id, cipher
    /// suites TLS_AES_128_GCM_SHA256 and TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, null compression,
    /// then `exts` in an extension list (an empty one when `exts` is empty).
    pub fn client_hello(exts: &[Vec<u8>]) -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend_from_slice(&[0x11; 32]);
        b.push(0);
        b.extend(vec16(&[0x13, 0x01, 0xc0, 0x2f]));
        b.extend_from_slice(&[1, 0]);
        b.extend(vec16(&exts.concat()));
        b
    }

    /// A server_hello body: `version`, a random of 0x22s, no session id, TLS_AES_128_GCM_SHA256,
    /// null compression, then `exts` in an extension list (none at all when `exts` is empty).
    pub fn server_hello(version: u16, exts: &[Vec<u8>]) -> Vec<u8> {
        let mut b = version.to_be_bytes().to_vec();
        b.extend_from_slice(&[0x22; 32]);
        b.extend_from_slice(&[0, 0x13, 0x01, 0]);
        if !exts.is_empty() {
            b.extend(vec16(&exts.concat()));
        }
        b
    }

    /// A handshake message: type, 24-bit length, body.
    pub fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![msg_type];
        m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        m.extend_from_slice(body);
        m
    }

    /// A TLS 1.2 record of `content_type` around `fragment`.
    pub fn record(content_type: u8, fragment: &[u8]) -> Vec<u8> {
        let mut r = vec![content_type, 3, 3];
        r.extend(vec16(fragment));
        r
    }
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

    #[test]
    fn a_client_hello_split_across_two_records_is_one_message() {
        let body = build::client_hello(&[
            build::sni("courier.push.apple.com"),
            build::alpn(&["h2", "http/1.1"]),
        ]);
        let message = build::handshake(CLIENT_HELLO, &body);
        let (a, b) = message.split_at(50);
        let mut stream = build::record(content_type::HANDSHAKE, a);
        stream.extend(build::record(content_type::HANDSHAKE, b));

        let split = split_records(&stream);
        assert_eq!((split.records.len(), split.consumed), (2, stream.len()));
        let fragments: Vec<u8> = split
            .records
            .iter()
            .flat_map(|r| r.fragment)
            .copied()
            .collect();
        // The first record alone holds no complete message.
        assert_eq!(split_handshakes(split.records[0].fragment), (vec![], 0));
        let (messages, consumed) = split_handshakes(&fragments);
        assert_eq!(consumed, fragments.len());
        assert_eq!(messages, vec![(CLIENT_HELLO, &body[..])]);
        let hello = ClientHello::parse(messages[0].1).unwrap();
        assert_eq!(hello.server_name.as_deref(), Some("courier.push.apple.com"));
        assert_eq!(hello.alpn, ["h2", "http/1.1"]);
    }

    #[test]
    fn a_server_flight_names_version_and_certificate() {
        let cert = include_bytes!("testdata/example-cert.der");
        let mut list = (cert.len() as u32).to_be_bytes()[1..].to_vec();
        list.extend_from_slice(cert);
        let mut certificate = (list.len() as u32).to_be_bytes()[1..].to_vec();
        certificate.extend(list);
        let mut flight = build::handshake(SERVER_HELLO, &build::server_hello(0x0303, &[]));
        flight.extend(build::handshake(CERTIFICATE, &certificate));
        flight.extend(build::handshake(14, &[])); // server_hello_done
        let mut stream = Vec::new();
        for chunk in flight.chunks(300) {
            stream.extend(build::record(content_type::HANDSHAKE, chunk));
        }

        let split = split_records(&stream);
        let fragments: Vec<u8> = split
            .records
            .iter()
            .flat_map(|r| r.fragment)
            .copied()
            .collect();
        let (messages, _) = split_handshakes(&fragments);
        let types: Vec<u8> = messages.iter().map(|m| m.0).collect();
        assert_eq!(types, [SERVER_HELLO, CERTIFICATE, 14]);
        assert_eq!(
            version_name(ServerHello::parse(messages[0].1).unwrap().version),
            "TLS 1.2"
        );
        let der = first_certificate(messages[1].1).unwrap();
        assert_eq!(der, &cert[..]);
        let names = crate::der::certificate_names(der).unwrap();
        assert_eq!(
            names.subject_common_name.as_deref(),
            Some("epdg.example.net")
        );
    }

    /// The messages of a stream of handshake records.
    fn messages(stream: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let split = split_records(stream);
        assert_eq!((split.consumed, split.error), (stream.len(), None));
        let fragments: Vec<u8> = split
            .records
            .iter()
            .flat_map(|r| r.fragment)
            .copied()
            .collect();
        let (messages, consumed) = split_handshakes(&fragments);
        assert_eq!(consumed, fragments.len());
        messages.into_iter().map(|(t, b)| (t, b.to_vec())).collect()
    }

    #[test]
    fn an_openssl_client_hello_names_server_protocols_and_versions() {
        let m = messages(include_bytes!("testdata/openssl-client-hello.bin"));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].0, CLIENT_HELLO);
        assert_eq!(
            ClientHello::parse(&m[0].1).unwrap(),
            ClientHello {
                legacy_version: 0x0303,
                versions: vec![0x0304, 0x0303, 0x0302, 0x0301],
                server_name: Some("courier.push.apple.com".into()),
                alpn: vec!["h2".into(), "http/1.1".into()],
            }
        );
    }

    #[test]
    fn an_openssl_tls_1_2_server_names_version_protocol_and_certificate() {
        let m = messages(include_bytes!("testdata/openssl-tls12-server.bin"));
        let types: Vec<u8> = m.iter().map(|(t, _)| *t).collect();
        assert_eq!(types, [SERVER_HELLO, CERTIFICATE, 12, 14]);
        assert_eq!(
            ServerHello::parse(&m[0].1).unwrap(),
            ServerHello {
                version: 0x0303,
                alpn: Some("h2".into())
            }
        );
        let der = first_certificate(&m[1].1).unwrap();
        assert_eq!(der, include_bytes!("testdata/example-cert.der"));
        let names = crate::der::certificate_names(der).unwrap();
        assert_eq!(names.subject, "C=US, O=Example Org, CN=epdg.example.net");
        assert_eq!(names.dns_names, ["epdg.example.net", "alt.example.net"]);
    }

    #[test]
    fn an_openssl_tls_1_3_server_hello_says_tls_1_3() {
        let m = messages(include_bytes!("testdata/openssl-tls13-server-hello.bin"));
        assert_eq!(m[0].0, SERVER_HELLO);
        let hello = ServerHello::parse(&m[0].1).unwrap();
        assert_eq!(version_name(hello.version), "TLS 1.3");
        assert_eq!(
            hello.alpn, None,
            "TLS 1.3 sends ALPN in EncryptedExtensions"
        );
    }

    /// The fuzz harness, deterministically: a client hello and a server flight as one stream (built
    /// here, and openssl's), cut at every length and with every byte overwritten by 0x00 and 0xff.
    #[cfg(feature = "testing")]
    #[test]
    fn the_fuzz_harness_holds_on_an_exchange_cut_or_damaged_anywhere() {
        let hello = build::client_hello(&[
            build::sni("courier.push.apple.com"),
            build::alpn(&["h2", "http/1.1"]),
            build::versions(&[0x0304, 0x0303]),
        ]);
        let cert = include_bytes!("testdata/example-cert.der");
        let mut certificate = (cert.len() as u32 + 3).to_be_bytes()[1..].to_vec();
        certificate.extend_from_slice(&(cert.len() as u32).to_be_bytes()[1..]);
        certificate.extend_from_slice(cert);
        let mut stream = build::record(22, &build::handshake(CLIENT_HELLO, &hello));
        let mut flight = build::handshake(SERVER_HELLO, &build::server_hello(0x0303, &[]));
        flight.extend(build::handshake(CERTIFICATE, &certificate));
        for chunk in flight.chunks(500) {
            stream.extend(build::record(22, chunk));
        }
        let openssl = [
            &include_bytes!("testdata/openssl-client-hello.bin")[..],
            include_bytes!("testdata/openssl-tls12-server.bin"),
        ]
        .concat();
        for stream in [stream, openssl] {
            for n in 0..=stream.len() {
                crate::fuzzing::tls_handshake(&stream[..n]);
            }
            for i in 0..stream.len() {
                for b in [0x00, 0xff] {
                    let mut damaged = stream.clone();
                    damaged[i] = b;
                    crate::fuzzing::tls_handshake(&damaged);
                }
            }
        }
    }
}
