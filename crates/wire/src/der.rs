//! A minimal DER reader (ITU-T X.690 §8.1: tag, length, value) and the names of an X.509
//! certificate (RFC 5280 §4.1): enough to say whom a TLS server claims to be.
//! Hand-written because the two names of one certificate do not justify x509-parser's dependency tree in a wasm page.
//!
//! ```text
//! Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] EXPLICIT version OPTIONAL,
//!     serialNumber INTEGER, signature AlgorithmIdentifier, issuer Name, validity Validity,
//!     subject Name, subjectPublicKeyInfo, …, extensions [3] EXPLICIT OPTIONAL }, … }
//! Name ::= SEQUENCE OF SET OF AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY }
//! ```
//! The walk follows that shape without recursion, so it never goes deeper than eight TLVs whatever
//! the bytes say; values are borrowed, so nothing is allocated by a claimed length.

/// One tag-length-value: its identifier octet and its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet: class, constructed bit and tag number (X.690 §8.1.2).
    pub tag: u8,
    /// The contents octets.
    pub value: &'a [u8],
}

/// Bytes that are not DER this reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("der: malformed tag or length")]
pub struct BadDer;

/// Identifier octets used here (X.690 §8.1.2, RFC 5280 §4.1).
pub mod tag {
    /// BOOLEAN.
    pub const BOOLEAN: u8 = 0x01;
    /// INTEGER.
    pub const INTEGER: u8 = 0x02;
    /// OCTET STRING.
    pub const OCTET_STRING: u8 = 0x04;
    /// OBJECT IDENTIFIER.
    pub const OID: u8 = 0x06;
    /// SEQUENCE (constructed).
    pub const SEQUENCE: u8 = 0x30;
    /// SET (constructed).
    pub const SET: u8 = 0x31;
    /// UTF8String.
    pub const UTF8_STRING: u8 = 0x0c;
    /// PrintableString.
    pub const PRINTABLE_STRING: u8 = 0x13;
    /// T61String (TeletexString), read as Latin-1.
    pub const T61_STRING: u8 = 0x14;
    /// IA5String.
    pub const IA5_STRING: u8 = 0x16;
    /// VisibleString.
    pub const VISIBLE_STRING: u8 = 0x1a;
    /// UniversalString (UCS-4, big-endian).
    pub const UNIVERSAL_STRING: u8 = 0x1c;
    /// BMPString (UCS-2, read as UTF-16BE).
    pub const BMP_STRING: u8 = 0x1e;
    /// tbsCertificate's `[0] EXPLICIT version`.
    pub const VERSION: u8 = 0xa0;
    /// tbsCertificate's `[3] EXPLICIT extensions`.
    pub const EXTENSIONS: u8 = 0xa3;
    /// GeneralName's `[2] IMPLICIT IA5String` dNSName (RFC 5280 §4.2.1.6).
    pub const DNS_NAME: u8 = 0x82;
}

/// Reads one TLV from the start of `buf` and returns it with the bytes after it. Definite lengths
/// only, short form or long form of up to four octets (X.690 §8.1.3); low tag numbers only
/// (§8.1.2.2: X.509 needs no others).
pub fn read_tlv(buf: &[u8]) -> Result<(Tlv<'_>, &[u8]), BadDer> {
    let (&tag, rest) = buf.split_first().ok_or(BadDer)?;
    if tag & 0x1f == 0x1f {
        return Err(BadDer);
    }
    let (&first, rest) = rest.split_first().ok_or(BadDer)?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7f);
            let bytes = rest.get(..n).ok_or(BadDer)?;
            let len = bytes.iter().fold(0u32, |a, &b| a << 8 | u32::from(b));
            (usize::try_from(len).map_err(|_| BadDer)?, &rest[n..])
        }
        _ => return Err(BadDer), // 0x80 indefinite, 0xff reserved, longer lengths
    };
    if len > rest.len() {
        return Err(BadDer);
    }
    let (value, after) = rest.split_at(len);
    Ok((Tlv { tag, value }, after))
}

/// The TLVs of a constructed value, in order. Yields one error where the bytes stop being TLVs,
/// then ends.
#[derive(Debug, Clone)]
pub struct Tlvs<'a> {
    rest: &'a [u8],
}

impl<'a> Tlvs<'a> {
    /// The TLVs in `value`, the contents of a SEQUENCE, SET or explicit tag.
    pub fn new(value: &'a [u8]) -> Self {
        Tlvs { rest: value }
    }

    /// The next TLV, which must have tag `tag`.
    fn expect(&mut self, tag: u8) -> Option<Tlv<'a>> {
        self.next()?.ok().filter(|t| t.tag == tag)
    }
}

impl<'a> Iterator for Tlvs<'a> {
    type Item = Result<Tlv<'a>, BadDer>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match read_tlv(self.rest) {
            Ok((tlv, rest)) => {
                self.rest = rest;
                Some(Ok(tlv))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// The most subjectAltName dNSNames kept.
pub const MAX_DNS_NAMES: usize = 32;

/// The names in a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertificateNames {
    /// The subject, e.g. `CN=courier.push.apple.com, O=Apple Inc., C=US`: see [`certificate_names`].
    pub subject: String,
    /// The issuer, rendered like the subject.
    pub issuer: String,
    /// The subject's commonName (the last, the most specific, if there are several), unescaped.
    pub subject_common_name: Option<String>,
    /// The subjectAltName extension's dNSNames (OID 2.5.29.17, RFC 5280 §4.2.1.6), at most
    /// [`MAX_DNS_NAMES`].
    pub dns_names: Vec<String>,
}

/// The attributes a rendered name shows (RFC 4514 §3 labels; OIDs 2.5.4.x, contents octets).
const ATTRIBUTES: [(&[u8], &str); 6] = [
    (&[0x55, 0x04, 0x03], "CN"),
    (&[0x55, 0x04, 0x0a], "O"),
    (&[0x55, 0x04, 0x0b], "OU"),
    (&[0x55, 0x04, 0x06], "C"),
    (&[0x55, 0x04, 0x07], "L"),
    (&[0x55, 0x04, 0x08], "ST"),
];

/// subjectAltName, 2.5.29.17 (contents octets).
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// The subject, issuer, common name and DNS names of a DER certificate. Names are rendered like
/// RFC 4514 — `LABEL=value`, special characters escaped with `\`, the values of a multi-valued
/// RDN joined by `+` — but in the order written and joined by `, `, with CN, O, OU, C, L and ST
/// shown and other attributes (or values of other string types) left out. `None` when the
/// certificate, tbsCertificate, issuer or subject is not DER of the right shape; malformed
/// extensions only leave `dns_names` short.
pub fn certificate_names(der: &[u8]) -> Option<CertificateNames> {
    let (cert, _) = read_tlv(der).ok()?;
    if cert.tag != tag::SEQUENCE {
        return None;
    }
    let tbs = Tlvs::new(cert.value).expect(tag::SEQUENCE)?;
    let mut fields = Tlvs::new(tbs.value);
    let mut field = fields.next()?.ok()?;
    if field.tag == tag::VERSION {
        field = fields.next()?.ok()?;
    }
    if field.tag != tag::INTEGER {
        return None; // serialNumber
    }
    fields.expect(tag::SEQUENCE)?; // signature
    let issuer = fields.expect(tag::SEQUENCE)?;
    fields.expect(tag::SEQUENCE)?; // validity
    let subject = fields.expect(tag::SEQUENCE)?;
    let mut names = CertificateNames {
        issuer: name(issuer.value, &mut None)?,
        ..CertificateNames::default()
    };
    names.subject = name(subject.value, &mut names.subject_common_name)?;
    // subjectPublicKeyInfo and the optional unique IDs come before the extensions.
    for field in fields.map_while(Result::ok) {
        if field.tag == tag::EXTENSIONS {
            // A malformed extension list only ends the list.
            let _ = dns_names(field.value, &mut names.dns_names);
        }
    }
    Some(names)
}

/// Renders a Name (RFC 5280 §4.1.2.4) from the contents of its SEQUENCE; sets `cn` to each
/// commonName in turn, so the last one stays.
fn name(value: &[u8], cn: &mut Option<String>) -> Option<String> {
    let mut out = String::new();
    for rdn in Tlvs::new(value) {
        let rdn = rdn.ok().filter(|r| r.tag == tag::SET)?;
        let mut first_in_rdn = true;
        for atv in Tlvs::new(rdn.value) {
            let atv = atv.ok().filter(|a| a.tag == tag::SEQUENCE)?;
            let mut parts = Tlvs::new(atv.value);
            let oid = parts.expect(tag::OID)?;
            let value = parts.next()?.ok()?;
            let label = ATTRIBUTES.iter().find(|(o, _)| *o == oid.value);
            let (Some((_, label)), Some(text)) = (label, string(value)) else {
                continue;
            };
            if !first_in_rdn {
                out.push('+');
            } else if !out.is_empty() {
                out.push_str(", ");
            }
            first_in_rdn = false;
            out.push_str(label);
            out.push('=');
            escape_into(&text, &mut out);
            if *label == "CN" {
                *cn = Some(text);
            }
        }
    }
    Some(out)
}

/// Adds the dNSNames of a subjectAltName in `extensions` (the contents of `[3]`: a SEQUENCE OF
/// Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }) to
/// `out`, up to [`MAX_DNS_NAMES`]. Stops quietly where the bytes stop making sense.
fn dns_names(extensions: &[u8], out: &mut Vec<String>) -> Option<()> {
    let list = Tlvs::new(extensions).expect(tag::SEQUENCE)?;
    for ext in Tlvs::new(list.value) {
        let ext = ext.ok().filter(|e| e.tag == tag::SEQUENCE)?;
        let mut parts = Tlvs::new(ext.value);
        if parts.expect(tag::OID)?.value != SUBJECT_ALT_NAME {
            continue;
        }
        let mut value = parts.next()?.ok()?;
        if value.tag == tag::BOOLEAN {
            value = parts.next()?.ok()?;
        }
        if value.tag != tag::OCTET_STRING {
            return None;
        }
        let general_names = Tlvs::new(value.value).expect(tag::SEQUENCE)?;
        for general_name in Tlvs::new(general_names.value) {
            let general_name = general_name.ok()?;
            if general_name.tag == tag::DNS_NAME && out.len() < MAX_DNS_NAMES {
                out.push(clean(String::from_utf8_lossy(general_name.value).chars()));
            }
        }
    }
    Some(())
}

/// A directory string's text, or `None` for a type not read here. ASCII types are read as UTF-8
/// (lossily), which keeps the non-ASCII that some issuers put in them anyway.
fn string(v: Tlv<'_>) -> Option<String> {
    let text = match v.tag {
        tag::UTF8_STRING | tag::PRINTABLE_STRING | tag::IA5_STRING | tag::VISIBLE_STRING => {
            clean(String::from_utf8_lossy(v.value).chars())
        }
        tag::T61_STRING => clean(v.value.iter().map(|&b| char::from(b))),
        tag::BMP_STRING => {
            let units = v.value.chunks(2).map(|c| match c {
                [hi, lo] => u16::from_be_bytes([*hi, *lo]),
                _ => 0xfffd, // an odd byte left over
            });
            clean(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)))
        }
        tag::UNIVERSAL_STRING => clean(v.value.chunks(4).map(|c| {
            match c {
                [a, b, c, d] => char::from_u32(u32::from_be_bytes([*a, *b, *c, *d]))
                    .unwrap_or(char::REPLACEMENT_CHARACTER),
                _ => char::REPLACEMENT_CHARACTER,
            }
        })),
        _ => return None,
    };
    Some(text)
}

/// Characters with control characters replaced by U+FFFD, so a name never breaks a line or a
/// terminal.
fn clean(chars: impl Iterator<Item = char>) -> String {
    chars
        .map(|c| {
            if c.is_control() {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

/// Appends `value` escaped as RFC 4514 §2.4 asks: `\` before `"+,;<>\`, a leading `#` or space
/// and a trailing space.
fn escape_into(value: &str, out: &mut String) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &[u8] = include_bytes!("tls/testdata/example-cert.der");

    /// A TLV with the shortest length encoding.
    fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
        let mut t = vec![tag];
        match value.len() {
            n @ 0..=0x7f => t.push(n as u8),
            n @ 0x80..=0xff => t.extend_from_slice(&[0x81, n as u8]),
            n => t.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
        }
        t.extend_from_slice(value);
        t
    }

    /// An AttributeTypeAndValue in a SET of its own, OID 2.5.4.`attr`.
    fn rdn(attr: u8, string_tag: u8, value: &[u8]) -> Vec<u8> {
        tlv(tag::SET, &atv(attr, string_tag, value))
    }

    fn atv(attr: u8, string_tag: u8, value: &[u8]) -> Vec<u8> {
        let mut a = tlv(tag::OID, &[0x55, 0x04, attr]);
        a.extend(tlv(string_tag, value));
        tlv(tag::SEQUENCE, &a)
    }

    /// A certificate with `subject` (the contents of a Name), issuer `CN=Issuer`, version 3 and
    /// `extensions` (the contents of `[3]`) when given.
    fn cert(subject: &[u8], extensions: Option<&[u8]>) -> Vec<u8> {
        let mut tbs = tlv(tag::VERSION, &tlv(tag::INTEGER, &[2]));
        tbs.extend(tlv(tag::INTEGER, &[1]));
        tbs.extend(tlv(tag::SEQUENCE, &tlv(tag::OID, &[0x2a, 0x03])));
        tbs.extend(tlv(tag::SEQUENCE, &rdn(3, tag::UTF8_STRING, b"Issuer")));
        tbs.extend(tlv(tag::SEQUENCE, &[]));
        tbs.extend(tlv(tag::SEQUENCE, subject));
        tbs.extend(tlv(tag::SEQUENCE, &[]));
        if let Some(e) = extensions {
            tbs.extend(tlv(tag::EXTENSIONS, e));
        }
        tlv(tag::SEQUENCE, &tlv(tag::SEQUENCE, &tbs))
    }

    /// The contents of `[3]` with one subjectAltName of dNSNames `names`.
    fn san(names: &[&str], critical: bool) -> Vec<u8> {
        let general_names: Vec<u8> = names
            .iter()
            .flat_map(|n| tlv(tag::DNS_NAME, n.as_bytes()))
            .collect();
        let mut ext = tlv(tag::OID, SUBJECT_ALT_NAME);
        if critical {
            ext.extend(tlv(tag::BOOLEAN, &[0xff]));
        }
        ext.extend(tlv(tag::OCTET_STRING, &tlv(tag::SEQUENCE, &general_names)));
        let mut other = tlv(tag::OID, &[0x55, 0x1d, 0x13]); // basicConstraints
        other.extend(tlv(tag::OCTET_STRING, &tlv(tag::SEQUENCE, &[])));
        let mut list = tlv(tag::SEQUENCE, &other);
        list.extend(tlv(tag::SEQUENCE, &ext));
        tlv(tag::SEQUENCE, &list)
    }

    #[test]
    fn an_openssl_certificate_names_its_subject_issuer_and_dns_names() {
        let names = certificate_names(CERT).unwrap();
        assert_eq!(
            names,
            CertificateNames {
                subject: "C=US, O=Example Org, CN=epdg.example.net".into(),
                issuer: "C=US, O=Example Org, CN=epdg.example.net".into(),
                subject_common_name: Some("epdg.example.net".into()),
                dns_names: vec!["epdg.example.net".into(), "alt.example.net".into()],
            }
        );
    }

    #[test]
    fn names_keep_their_order_and_show_six_attributes() {
        let mut subject = rdn(3, tag::PRINTABLE_STRING, b"courier.push.apple.com");
        subject.extend(rdn(10, tag::UTF8_STRING, b"Apple Inc."));
        subject.extend(rdn(5, tag::PRINTABLE_STRING, b"12345")); // serialNumber: not shown
        subject.extend(rdn(11, tag::T61_STRING, b"Caf\xe9"));
        subject.extend(rdn(7, tag::BMP_STRING, &[0, b'Z', 0, 0xfc, 0, b'r']));
        subject.extend(rdn(8, tag::IA5_STRING, b"CA"));
        subject.extend(rdn(6, tag::PRINTABLE_STRING, b"US"));
        let names = certificate_names(&cert(&subject, None)).unwrap();
        assert_eq!(
            names.subject,
            "CN=courier.push.apple.com, O=Apple Inc., OU=Caf\u{e9}, L=Z\u{fc}r, ST=CA, C=US"
        );
        assert_eq!(names.issuer, "CN=Issuer");
        assert_eq!(
            names.subject_common_name.as_deref(),
            Some("courier.push.apple.com")
        );
        assert!(names.dns_names.is_empty());
    }

    #[test]
    fn values_are_escaped_and_control_characters_replaced() {
        let mut both = atv(10, tag::UTF8_STRING, b"Example, Inc.");
        both.extend(atv(11, tag::UTF8_STRING, b" #1+2 "));
        let mut subject = tlv(tag::SET, &both);
        subject.extend(rdn(3, tag::UTF8_STRING, b"evil.com\0.example.net\x1b[2J"));
        subject.extend(rdn(3, tag::UTF8_STRING, b"last"));
        let names = certificate_names(&cert(&subject, None)).unwrap();
        assert_eq!(
            names.subject,
            "O=Example\\, Inc.+OU=\\ #1\\+2\\ , CN=evil.com\u{fffd}.example.net\u{fffd}[2J, CN=last"
        );
        assert_eq!(names.subject_common_name.as_deref(), Some("last"));
    }

    #[test]
    fn dns_names_are_read_after_a_critical_flag_and_capped() {
        let names =
            certificate_names(&cert(&[], Some(&san(&["a.example", "b.example"], true)))).unwrap();
        assert_eq!(names.dns_names, ["a.example", "b.example"]);
        assert_eq!(names.subject, "");
        let many: Vec<String> = (0..50).map(|i| format!("h{i}.example")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let names = certificate_names(&cert(&[], Some(&san(&many, false)))).unwrap();
        assert_eq!(names.dns_names.len(), MAX_DNS_NAMES);
        assert_eq!(names.dns_names[31], "h31.example");
    }

    #[test]
    fn broken_extensions_keep_the_names() {
        let subject = rdn(3, tag::UTF8_STRING, b"x");
        let names = certificate_names(&cert(&subject, Some(&[0x30, 0x05, 0x06]))).unwrap();
        assert_eq!(names.subject_common_name.as_deref(), Some("x"));
        assert!(names.dns_names.is_empty());
    }

    #[test]
    fn lengths_in_short_and_long_form() {
        assert_eq!(
            read_tlv(&[0x04, 0x02, 1, 2, 3]),
            Ok((
                Tlv {
                    tag: 4,
                    value: &[1, 2]
                },
                &[3][..]
            ))
        );
        let mut long = vec![0x04, 0x82, 0x01, 0x00];
        long.extend([7; 256]);
        assert_eq!(read_tlv(&long).unwrap().0.value.len(), 256);
        assert_eq!(
            read_tlv(&[0x04, 0x84, 0, 0, 0, 1, 9]).unwrap().0.value,
            &[9]
        );
        assert_eq!(read_tlv(&[0x30, 0x80, 0, 0]), Err(BadDer), "indefinite");
        assert_eq!(read_tlv(&[0x04, 0x85, 0, 0, 0, 0, 1, 9]), Err(BadDer));
        assert_eq!(read_tlv(&[0x04, 0x84, 0xff, 0xff, 0xff, 0xff]), Err(BadDer));
        assert_eq!(
            read_tlv(&[0x1f, 0x01, 0x00]),
            Err(BadDer),
            "high tag number"
        );
        assert_eq!(read_tlv(&[0x04, 0x82, 0x01]), Err(BadDer));
        assert_eq!(read_tlv(&[]), Err(BadDer));
    }

    #[test]
    fn a_damaged_certificate_never_panics() {
        for n in 0..CERT.len() {
            let _ = certificate_names(&CERT[..n]);
        }
        let mut bytes = CERT.to_vec();
        for i in 0..bytes.len() {
            let keep = bytes[i];
            for b in [0x00, 0x30, 0x80, 0x84, 0xff] {
                bytes[i] = b;
                let _ = certificate_names(&bytes);
            }
            bytes[i] = keep;
        }
    }

    #[test]
    fn not_a_certificate_is_none() {
        assert_eq!(certificate_names(b""), None);
        assert_eq!(certificate_names(&tlv(tag::SEQUENCE, &[])), None);
        assert_eq!(certificate_names(&tlv(tag::SET, &CERT[4..])), None);
    }
}
