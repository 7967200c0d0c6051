//! ClientHello and ServerHello (RFC 8446 §4.1.2, §4.1.3; RFC 5246 §7.4.1.2, §7.4.1.3): the
//! fields that name a connection — the server the client asks for (SNI), the application
//! protocols it offers and the one the server picks (ALPN), and the versions on both sides.
//!
//! ```text
//! ClientHello: legacy_version (2) | random (32) | session_id <0..32> | cipher_suites <2..2^16-2>
//!              | compression_methods <1..2^8-1> | extensions <8..2^16-1> (absent before TLS 1.2)
//! ServerHello: legacy_version (2) | random (32) | session_id <0..32> | cipher_suite (2)
//!              | compression_method (1) | extensions <6..2^16-1> (may be absent)
//! ```
//! Names are decoded as UTF-8, lossily (invalid bytes become U+FFFD), and control characters are
//! replaced by U+FFFD as well: what a peer sent is shown, but never as a line break or an escape
//! sequence on the page.

use super::handshake::Body;

/// The most ALPN protocol names kept from a ClientHello; the rest are read over but not kept.
pub const MAX_ALPN: usize = 16;

/// Extension types (IANA "TLS ExtensionType Values").
mod ext {
    /// server_name (RFC 6066 §3).
    pub const SERVER_NAME: u16 = 0;
    /// application_layer_protocol_negotiation (RFC 7301 §3.1).
    pub const ALPN: u16 = 16;
    /// supported_versions (RFC 8446 §4.2.1).
    pub const SUPPORTED_VERSIONS: u16 = 43;
}

/// The SNI name_type of a DNS host name (RFC 6066 §3).
const HOST_NAME: u8 = 0;

/// What a ClientHello says about the connection it opens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientHello {
    /// legacy_version: the highest version before TLS 1.3; 0x0303 in a TLS 1.3 hello.
    pub legacy_version: u16,
    /// The supported_versions extension (RFC 8446 §4.2.1), in the client's order, GREASE values
    /// (RFC 8701) included; empty when absent.
    pub versions: Vec<u16>,
    /// The first host_name of the server_name extension (RFC 6066 §3).
    pub server_name: Option<String>,
    /// The protocols offered in the ALPN extension (RFC 7301 §3.1), at most [`MAX_ALPN`].
    pub alpn: Vec<String>,
}

impl ClientHello {
    /// Decodes a client_hello body (without the handshake header). A hello without extensions
    /// (SSL 3.0, TLS 1.0 clients) is fine; a length that disagrees with the bytes it frames, in
    /// the fixed part, the extension list, or an extension read here, is `None`.
    pub fn parse(body: &[u8]) -> Option<ClientHello> {
        let mut b = Body::new(body);
        let legacy_version = b.u16()?;
        b.take(32)?; // random
        if b.vec8()?.len() > 32 {
            return None; // session_id
        }
        let suites = b.vec16()?;
        if suites.is_empty() || suites.len() % 2 != 0 {
            return None;
        }
        if b.vec8()?.is_empty() {
            return None; // compression_methods
        }
        let mut hello = ClientHello {
            legacy_version,
            ..ClientHello::default()
        };
        for_each_extension(b.rest(), |kind, data| {
            match kind {
                ext::SERVER_NAME if hello.server_name.is_none() => {
                    hello.server_name = server_name(data)?;
                }
                ext::ALPN if hello.alpn.is_empty() => {
                    hello.alpn = protocol_names(data)?;
                }
                ext::SUPPORTED_VERSIONS if hello.versions.is_empty() => {
                    let mut d = Body::new(data);
                    let list = d.vec8()?;
                    if !d.is_empty() || list.len() % 2 != 0 {
                        return None;
                    }
                    hello.versions = list
                        .chunks_exact(2)
                        .map(|v| u16::from_be_bytes([v[0], v[1]]))
                        .collect();
                }
                _ => {}
            }
            Some(())
        })?;
        Some(hello)
    }
}

/// What a ServerHello says about the connection: the version and protocol chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// The negotiated version: supported_versions' selected_version when present (TLS 1.3,
    /// RFC 8446 §4.2.1), legacy_version otherwise. A HelloRetryRequest (RFC 8446 §4.1.4) has the
    /// same shape and decodes as a ServerHello too.
    pub version: u16,
    /// The protocol the server selected by ALPN (RFC 7301 §3.1).
    pub alpn: Option<String>,
}

impl ServerHello {
    /// Decodes a server_hello body (without the handshake header); a length that disagrees with
    /// the bytes it frames is `None`, as in [`ClientHello::parse`].
    pub fn parse(body: &[u8]) -> Option<ServerHello> {
        let mut b = Body::new(body);
        let legacy_version = b.u16()?;
        b.take(32)?; // random
        if b.vec8()?.len() > 32 {
            return None; // session_id
        }
        b.take(3)?; // cipher_suite, compression_method
        let mut hello = ServerHello {
            version: legacy_version,
            alpn: None,
        };
        let mut selected = None;
        for_each_extension(b.rest(), |kind, data| {
            match kind {
                ext::SUPPORTED_VERSIONS => {
                    let mut d = Body::new(data);
                    selected = Some(d.u16()?);
                    if !d.is_empty() {
                        return None;
                    }
                }
                ext::ALPN => {
                    // Exactly one name in a ServerHello (RFC 7301 §3.1).
                    let mut names = protocol_names(data)?;
                    if names.len() != 1 {
                        return None;
                    }
                    hello.alpn = names.pop();
                }
                _ => {}
            }
            Some(())
        })?;
        hello.version = selected.unwrap_or(legacy_version);
        Some(hello)
    }
}

/// The name of a protocol version number as TLS uses it (RFC 8446 §4.2.1; RFC 6101 for SSL 3.0).
pub fn version_name(v: u16) -> &'static str {
    match v {
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        _ => "unknown",
    }
}

/// Calls `f` with each extension's type and data. `rest` is what follows the fixed part: empty
/// (no extensions) or exactly one extension list, whose entries fill it to the byte.
fn for_each_extension(rest: &[u8], mut f: impl FnMut(u16, &[u8]) -> Option<()>) -> Option<()> {
    if rest.is_empty() {
        return Some(());
    }
    let mut outer = Body::new(rest);
    let list = outer.vec16()?;
    if !outer.is_empty() {
        return None;
    }
    let mut b = Body::new(list);
    while !b.is_empty() {
        let kind = b.u16()?;
        let data = b.vec16()?;
        f(kind, data)?;
    }
    Some(())
}

/// The first host_name of a server_name extension (RFC 6066 §3): a ServerNameList of
/// `name_type (1) | HostName <1..2^16-1>`. Other name types are read over.
fn server_name(data: &[u8]) -> Option<Option<String>> {
    let mut d = Body::new(data);
    let list = d.vec16()?;
    if !d.is_empty() {
        return None;
    }
    let mut b = Body::new(list);
    let mut name = None;
    while !b.is_empty() {
        let name_type = b.u8()?;
        let host = b.vec16()?;
        if name_type == HOST_NAME && name.is_none() {
            name = Some(text(host));
        }
    }
    Some(name)
}

/// A ProtocolNameList (RFC 7301 §3.1): `ProtocolName <1..2^8-1>` each, at most [`MAX_ALPN`]
/// kept. An empty name breaks the grammar and the list.
fn protocol_names(data: &[u8]) -> Option<Vec<String>> {
    let mut d = Body::new(data);
    let list = d.vec16()?;
    if !d.is_empty() {
        return None;
    }
    let mut b = Body::new(list);
    let mut names = Vec::new();
    while !b.is_empty() {
        let name = b.vec8()?;
        if name.is_empty() {
            return None;
        }
        if names.len() < MAX_ALPN {
            names.push(text(name));
        }
    }
    Some(names)
}

/// Bytes a peer sent as a name: UTF-8, lossily, with control characters replaced by U+FFFD.
fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .chars()
        .map(|c| {
            if c.is_control() {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::build::{alpn, client_hello, ext, server_hello, sni, versions};
    use super::*;

    fn apple_hello() -> Vec<u8> {
        client_hello(&[
            sni("courier.push.apple.com"),
            alpn(&["h2", "http/1.1"]),
            versions(&[0x0304, 0x0303]),
        ])
    }

    #[test]
    fn a_client_hello_names_server_protocols_and_versions() {
        let hello = ClientHello::parse(&apple_hello()).unwrap();
        assert_eq!(
            hello,
            ClientHello {
                legacy_version: 0x0303,
                versions: vec![0x0304, 0x0303],
                server_name: Some("courier.push.apple.com".into()),
                alpn: vec!["h2".into(), "http/1.1".into()],
            }
        );
        assert_eq!(version_name(hello.versions[0]), "TLS 1.3");
    }

    #[test]
    fn a_client_hello_without_extensions_has_only_its_version() {
        let hello = ClientHello::parse(&client_hello(&[])[..FIXED_LEN]).unwrap();
        assert_eq!(
            hello,
            ClientHello {
                legacy_version: 0x0303,
                ..ClientHello::default()
            }
        );
    }

    /// Bytes before the extension list in `build::client_hello`: version, random, an empty
    /// session id, two cipher suites, one compression method.
    const FIXED_LEN: usize = 2 + 32 + 1 + 2 + 4 + 2;

    #[test]
    fn a_truncated_client_hello_is_none_except_where_extensions_may_end() {
        let body = apple_hello();
        for n in 0..body.len() {
            match ClientHello::parse(&body[..n]) {
                None => {}
                Some(h) => {
                    assert_eq!(n, FIXED_LEN, "parsed when cut at {n}");
                    assert_eq!(h.server_name, None);
                }
            }
        }
    }

    #[test]
    fn inconsistent_lengths_are_rejected() {
        let good = apple_hello();
        // The extension list claims one byte more than there is.
        let mut b = good.clone();
        b[FIXED_LEN + 1] += 1;
        assert_eq!(ClientHello::parse(&b), None);
        // A byte after the extension list.
        let mut b = good.clone();
        b.push(0);
        assert_eq!(ClientHello::parse(&b), None);
        // An odd cipher suite length.
        let mut b = good.clone();
        b[2 + 32 + 1 + 1] = 3;
        assert_eq!(ClientHello::parse(&b), None);
        // An SNI list one byte short of its extension.
        let mut b = client_hello(&[ext(0, &[0, 4, 0, 0, 1, b'x', 0])]);
        assert_eq!(ClientHello::parse(&b), None);
        b = client_hello(&[ext(0, &[0, 4, 0, 0, 1, b'x'])]);
        assert_eq!(
            ClientHello::parse(&b).unwrap().server_name.as_deref(),
            Some("x")
        );
        // An empty ALPN name.
        assert_eq!(
            ClientHello::parse(&client_hello(&[ext(16, &[0, 1, 0])])),
            None
        );
    }

    #[test]
    fn names_are_lossy_utf8_without_control_characters() {
        let b = client_hello(&[
            sni("bad\nname\u{7f}.\u{e9}"),
            ext(16, &[0, 3, 2, 0xff, b'2']),
        ]);
        let hello = ClientHello::parse(&b).unwrap();
        assert_eq!(
            hello.server_name.as_deref(),
            Some("bad\u{fffd}name\u{fffd}.\u{e9}")
        );
        assert_eq!(hello.alpn, vec!["\u{fffd}2".to_string()]);
    }

    #[test]
    fn alpn_keeps_at_most_sixteen_names() {
        let names: Vec<String> = (0..40).map(|i| format!("p{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let hello = ClientHello::parse(&client_hello(&[alpn(&names)])).unwrap();
        assert_eq!(hello.alpn.len(), MAX_ALPN);
        assert_eq!(hello.alpn[15], "p15");
    }

    #[test]
    fn a_server_hello_with_supported_versions_is_tls_1_3() {
        let b = server_hello(0x0303, &[versions_selected(0x0304), alpn(&["h2"])]);
        let hello = ServerHello::parse(&b).unwrap();
        assert_eq!(
            hello,
            ServerHello {
                version: 0x0304,
                alpn: Some("h2".into())
            }
        );
        assert_eq!(version_name(hello.version), "TLS 1.3");
    }

    fn versions_selected(v: u16) -> Vec<u8> {
        ext(43, &v.to_be_bytes())
    }

    #[test]
    fn a_server_hello_without_extensions_keeps_its_legacy_version() {
        let hello = ServerHello::parse(&server_hello(0x0301, &[])).unwrap();
        assert_eq!(
            hello,
            ServerHello {
                version: 0x0301,
                alpn: None
            }
        );
    }

    #[test]
    fn a_server_hello_must_select_one_protocol() {
        assert_eq!(
            ServerHello::parse(&server_hello(0x0303, &[alpn(&["h2", "http/1.1"])])),
            None
        );
        let body = server_hello(0x0303, &[versions_selected(0x0304)]);
        for n in 0..body.len() {
            let parsed = ServerHello::parse(&body[..n]);
            assert!(parsed.is_none() || n == 2 + 32 + 1 + 3, "cut at {n}");
        }
    }

    #[test]
    fn versions_have_names() {
        assert_eq!(version_name(0x0300), "SSL 3.0");
        assert_eq!(version_name(0x0301), "TLS 1.0");
        assert_eq!(version_name(0x0302), "TLS 1.1");
        assert_eq!(version_name(0x0303), "TLS 1.2");
        assert_eq!(version_name(0x0a0a), "unknown");
    }
}
