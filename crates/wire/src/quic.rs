//! QUIC Initial packets (RFC 9000 §17.2.2), opened without any secret: their keys derive from
//! the Destination Connection ID the client chose, which travels in the clear (RFC 9001 §5.2),
//! so anyone on the path reads the client's first flight, as tshark does. What comes out is the
//! CRYPTO frames' data with its offsets (RFC 9000 §19.6): the TLS ClientHello, possibly split
//! over several frames and packets, which [`crate::tls::ClientHello::parse`] reads once whole.
//! QUIC v1 (RFC 9001) and v2 (RFC 9369). Later packets are protected with secret keys.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::bytes::be32;

/// QUIC version 1 (RFC 9000).
pub const V1: u32 = 0x0000_0001;
/// QUIC version 2 (RFC 9369).
pub const V2: u32 = 0x6b33_43cf;

/// The Initial salt of a version (RFC 9001 §5.2, RFC 9369 §3.3.1).
fn salt(version: u32) -> Option<[u8; 20]> {
    match version {
        V1 => Some([
            0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
            0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
        ]),
        V2 => Some([
            0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
            0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
        ]),
        _ => None,
    }
}

/// The long-header packet type of Initial: 0 in v1, 1 in v2 (RFC 9369 §3.2).
fn initial_type(version: u32) -> u8 {
    if version == V2 {
        1
    } else {
        0
    }
}

/// A client Initial packet's keys (RFC 9001 §5.2, §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// AEAD key (AES-128-GCM).
    pub key: [u8; 16],
    /// AEAD IV.
    pub iv: [u8; 12],
    /// Header protection key (AES-128).
    pub hp: [u8; 16],
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
fn expand_label(secret: &[u8], label: &str, out: &mut [u8]) -> Option<()> {
    let hk = Hkdf::<Sha256>::from_prk(secret).ok()?;
    let full = format!("tls13 {label}");
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&u16::try_from(out.len()).ok()?.to_be_bytes());
    info.push(u8::try_from(full.len()).ok()?);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    hk.expand(&info, out).ok()
}

/// The client's Initial keys for a connection whose first packet went to `dcid`.
pub fn client_keys(version: u32, dcid: &[u8]) -> Option<Keys> {
    let (initial, _) = Hkdf::<Sha256>::extract(Some(&salt(version)?), dcid);
    let mut client = [0u8; 32];
    expand_label(&initial, "client in", &mut client)?;
    let prefix = if version == V2 { "quicv2 " } else { "quic " };
    let mut keys = Keys {
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    expand_label(&client, &format!("{prefix}key"), &mut keys.key)?;
    expand_label(&client, &format!("{prefix}iv"), &mut keys.iv)?;
    expand_label(&client, &format!("{prefix}hp"), &mut keys.hp)?;
    Some(keys)
}

/// A variable-length integer (RFC 9000 §16) at `at`: its value and the bytes after it.
pub fn varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let first = *b.get(at)?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(at..at.checked_add(len)?)?;
    let mut v = u64::from(first & 0x3f);
    for &x in &bytes[1..] {
        v = (v << 8) | u64::from(x);
    }
    Some((v, at + len))
}

/// A client Initial packet's clear header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialHeader<'a> {
    /// Version.
    pub version: u32,
    /// Destination Connection ID: what the keys derive from.
    pub dcid: &'a [u8],
    /// Source Connection ID.
    pub scid: &'a [u8],
    /// Where the (protected) packet number starts.
    pub pn_offset: usize,
    /// Where the packet ends (Length covers the packet number and the payload).
    pub end: usize,
}

/// The header of a long-header Initial packet at the start of a datagram (RFC 9000 §17.2.2):
/// fixed bit set, a version this module knows, connection ids of at most 20 bytes.
pub fn initial_header(datagram: &[u8]) -> Option<InitialHeader<'_>> {
    let first = *datagram.first()?;
    if first & 0xc0 != 0xc0 {
        return None;
    }
    let version = be32(datagram, 1)?;
    salt(version)?;
    if (first >> 4) & 0x03 != initial_type(version) {
        return None;
    }
    let dcid_len = usize::from(*datagram.get(5)?);
    if dcid_len > 20 {
        return None;
    }
    let dcid = datagram.get(6..6 + dcid_len)?;
    let at = 6 + dcid_len;
    let scid_len = usize::from(*datagram.get(at)?);
    if scid_len > 20 {
        return None;
    }
    let scid = datagram.get(at + 1..at + 1 + scid_len)?;
    let (token_len, at) = varint(datagram, at + 1 + scid_len)?;
    let at = at.checked_add(usize::try_from(token_len).ok()?)?;
    let (length, pn_offset) = varint(datagram, at)?;
    let end = pn_offset.checked_add(usize::try_from(length).ok()?)?;
    if end > datagram.len() {
        return None;
    }
    Some(InitialHeader {
        version,
        dcid,
        scid,
        pn_offset,
        end,
    })
}

/// The plaintext of a client Initial packet: header protection removed (RFC 9001 §5.4) and the
/// payload opened (§5.3). None when it is not one, or does not open (a server's Initial, or
/// a damaged packet).
pub fn open_client_initial(datagram: &[u8]) -> Option<(InitialHeader<'_>, Vec<u8>)> {
    let h = initial_header(datagram)?;
    let keys = client_keys(h.version, h.dcid)?;
    let sample = datagram.get(h.pn_offset + 4..h.pn_offset + 20)?;
    let mut mask = aes::Block::clone_from_slice(sample);
    aes::Aes128::new_from_slice(&keys.hp)
        .ok()?
        .encrypt_block(&mut mask);
    let first = datagram[0] ^ (mask[0] & 0x0f);
    let pn_len = usize::from(first & 0x03) + 1;
    let mut header = datagram.get(..h.pn_offset + pn_len)?.to_vec();
    header[0] = first;
    let mut pn = 0u64;
    for i in 0..pn_len {
        header[h.pn_offset + i] ^= mask[1 + i];
        pn = (pn << 8) | u64::from(header[h.pn_offset + i]);
    }
    let mut nonce = keys.iv;
    for (n, p) in nonce[4..].iter_mut().zip(pn.to_be_bytes()) {
        *n ^= p;
    }
    let sealed = datagram.get(h.pn_offset + pn_len..h.end)?;
    let plain = Aes128Gcm::new_from_slice(&keys.key)
        .ok()?
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: sealed,
                aad: &header,
            },
        )
        .ok()?;
    Some((h, plain))
}

/// The CRYPTO frames of an Initial packet's plaintext, as (offset in the crypto stream, data).
/// The other frames an Initial may hold (PADDING, PING, ACK, CONNECTION_CLOSE; RFC 9000
/// §12.4) are skipped; anything else ends the walk.
pub fn crypto_frames(plain: &[u8]) -> Vec<(u64, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((kind, next)) = varint(plain, at) {
        at = next;
        let step = match kind {
            0x00 | 0x01 => Some(at),
            0x02 | 0x03 => ack_end(plain, at, kind == 0x03),
            0x06 => (|| {
                let (offset, a) = varint(plain, at)?;
                let (len, a) = varint(plain, a)?;
                let data = plain.get(a..a.checked_add(usize::try_from(len).ok()?)?)?;
                out.push((offset, data));
                Some(a + data.len())
            })(),
            0x1c => (|| {
                let (_, a) = varint(plain, at)?;
                let (_, a) = varint(plain, a)?;
                let (len, a) = varint(plain, a)?;
                a.checked_add(usize::try_from(len).ok()?)
            })(),
            _ => None,
        };
        match step {
            Some(next) if next <= plain.len() => at = next,
            _ => break,
        }
    }
    out
}

/// The end of an ACK frame's fields (RFC 9000 §19.3) starting at `at`.
fn ack_end(b: &[u8], at: usize, ecn: bool) -> Option<usize> {
    let (_, at) = varint(b, at)?; // largest acknowledged
    let (_, at) = varint(b, at)?; // delay
    let (ranges, at) = varint(b, at)?;
    let (_, mut at) = varint(b, at)?; // first range
    for _ in 0..ranges.min(b.len() as u64) {
        at = varint(b, at)?.1;
        at = varint(b, at)?.1;
    }
    if ecn {
        for _ in 0..3 {
            at = varint(b, at)?.1;
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn client_keys_are_rfc_9001_appendix_a1s() {
        let k = client_keys(V1, &hex("8394c8f03e515708")).unwrap();
        assert_eq!(k.key.to_vec(), hex("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(k.iv.to_vec(), hex("fa044b2f42a3fd3b46fb255c"));
        assert_eq!(k.hp.to_vec(), hex("9f50449e04a0e810283a1e9933adedd2"));
    }

    #[test]
    fn v2_client_keys_are_rfc_9369_appendix_as() {
        let k = client_keys(V2, &hex("8394c8f03e515708")).unwrap();
        assert_eq!(k.key.to_vec(), hex("8b1a0bc121284290a29e0971b5cd045d"));
        assert_eq!(k.iv.to_vec(), hex("91f73e2351d8fa91660e909f"));
        assert_eq!(k.hp.to_vec(), hex("45b95e15235d6f45a6b19cbcb0294ba9"));
    }

    #[test]
    fn varints_read_all_four_lengths() {
        // RFC 9000 §A.1's examples.
        assert_eq!(
            varint(&hex("c2197c5eff14e88c"), 0),
            Some((151_288_809_941_952_652, 8))
        );
        assert_eq!(varint(&hex("9d7f3e7d"), 0), Some((494_878_333, 4)));
        assert_eq!(varint(&hex("7bbd"), 0), Some((15_293, 2)));
        assert_eq!(varint(&hex("25"), 0), Some((37, 1)));
        assert_eq!(varint(&hex("7b"), 0), None);
    }

    #[test]
    fn crypto_frames_are_found_among_padding_and_acks() {
        // PING, ACK (largest 5, delay 0, 1 range, first 0, gap 0, len 1), CRYPTO at 7 "abc",
        // PADDING, then an unknown frame type that ends the walk.
        let plain = hex("01 02 05 00 01 00 00 01 06 07 03 616263 00 00 30 06 00 01 78");
        assert_eq!(crypto_frames(&plain), vec![(7, &b"abc"[..])]);
        assert!(crypto_frames(&hex("06 00 05 61")).is_empty(), "cut CRYPTO");
    }

    #[test]
    fn headers_that_are_not_a_known_initial_are_refused() {
        // A v1 Initial's header: type 0, DCID 8394c8f03e515708, no SCID, no token, length 2.
        let ok = hex("c0 00000001 08 8394c8f03e515708 00 00 02 0000");
        let h = initial_header(&ok).unwrap();
        assert_eq!(
            (h.version, h.dcid.len(), h.pn_offset, h.end),
            (V1, 8, 17, 19)
        );
        let mut handshake = ok.clone();
        handshake[0] = 0xe0; // type 2: Handshake
        assert!(initial_header(&handshake).is_none());
        let mut unknown = ok.clone();
        unknown[4] = 9;
        assert!(initial_header(&unknown).is_none());
        assert!(
            initial_header(&ok[..18]).is_none(),
            "length beyond the datagram"
        );
        assert!(open_client_initial(&ok).is_none(), "no room for a sample");
    }
}
