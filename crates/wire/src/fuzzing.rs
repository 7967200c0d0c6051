//! Fuzz harnesses for what `callscope-wire` reads from untrusted bytes, shared by the cargo-fuzz
//! targets (`fuzz/`, one line each) and the property tests (`tests/fuzz_harnesses.rs`), so the two
//! never drift apart. Each takes the raw fuzz input and panics only on a broken invariant.
//! Built with the `testing` feature.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::capture::Ending;
use crate::net::{self, Network, Transport};
use crate::{der, link, tls};
use crate::{Frame, Reader};

/// LINKTYPE_* values: NULL, EN10MB, RAW (12, 14, 101), LOOP, LINUX_SLL, PKTAP (149, 258), IPV4,
/// IPV6, LINUX_SLL2, and 147 (unsupported).
pub const LINK_TYPES: [u32; 13] = [0, 1, 12, 14, 101, 108, 113, 149, 258, 228, 229, 276, 147];

/// Whether `inner` lies inside `outer` (an empty slice anywhere).
pub fn within(outer: &[u8], inner: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    inner.is_empty() || (i >= o && i + inner.len() <= o + outer.len())
}

#[derive(Debug, PartialEq, Eq)]
struct Seen {
    index: u64,
    ts_ns: i64,
    interface: u32,
    link_type: u32,
    orig_len: u32,
    data: Vec<u8>,
    process: Option<(u32, String)>,
    direction: String,
}

fn seen(f: Frame<'_>) -> Seen {
    Seen {
        index: f.index,
        ts_ns: f.ts_ns,
        interface: f.interface,
        link_type: f.link_type,
        orig_len: f.orig_len,
        data: f.data.to_vec(),
        process: f.process.map(|p| (p.pid, p.name.clone())),
        direction: format!("{:?}", f.direction),
    }
}

fn read(chunks: &mut dyn Iterator<Item = &[u8]>) -> (Vec<Seen>, Ending, u64) {
    let mut reader = Reader::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        if reader.push(chunk, &mut |f| frames.push(seen(f))).is_err() {
            break;
        }
    }
    let ending = reader.finish();
    let records = reader.stats().records;
    (frames, ending, records)
}

/// `Reader` over arbitrary bytes in arbitrary chunks. Byte 0 sets the largest chunk
/// (1 + 37·b0 bytes), byte 1 seeds the chunk sizes, the rest is the file. The frames and the
/// ending of the chunked run must equal those of one push with the whole file, and every record
/// counted must be a frame delivered.
pub fn reader(data: &[u8]) {
    let [max, seed, file @ ..] = data else { return };
    let max = 1 + usize::from(*max) * 37;
    let mut state = u32::from(*seed) | 0x9e37_7900;
    let mut sizes = std::iter::from_fn(move || {
        // xorshift32
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        Some(1 + state as usize % max)
    });
    let mut rest = file;
    let mut chunked = std::iter::from_fn(|| {
        if rest.is_empty() {
            return None;
        }
        let n = sizes.next().unwrap_or(1).min(rest.len());
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Some(head)
    });
    let a = read(&mut chunked);
    let b = read(&mut std::iter::once(file));
    assert_eq!(a.0.len() as u64, a.2, "records counted != frames delivered");
    if a.0 != b.0 {
        let first = a.0.iter().zip(&b.0).position(|(x, y)| x != y);
        panic!(
            "frames differ between chunked and whole-file reads: {} vs {} frames, first difference at {first:?}; endings {:?} vs {:?}",
            a.0.len(),
            b.0.len(),
            a.1,
            b.1
        );
    }
    assert_eq!(
        a.1, b.1,
        "endings differ between chunked and whole-file reads"
    );
}

/// One frame through `link::decode` → `net::decode_network` → `net::decode_transport`. Byte 0
/// picks a link type from [`LINK_TYPES`]; each layer's payload must lie inside the bytes it came
/// from.
pub fn link_ip(data: &[u8]) {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let link_type = LINK_TYPES[usize::from(pick) % LINK_TYPES.len()];
    let Ok(layer) = link::decode(link_type, frame) else {
        return;
    };
    assert!(
        within(frame, layer.payload),
        "link payload outside the frame"
    );
    let Ok(Network::Ip(ip)) = net::decode_network(layer.next, layer.payload) else {
        return;
    };
    assert!(
        within(layer.payload, ip.payload),
        "IP payload outside the link payload"
    );
    if let Ok(t) = net::decode_transport(ip.protocol, ip.payload) {
        match t {
            Transport::Udp { payload, .. }
            | Transport::Tcp { payload, .. }
            | Transport::Other { payload, .. } => {
                assert!(
                    within(ip.payload, payload),
                    "transport payload outside the IP payload"
                );
            }
            Transport::Icmp { .. } => {}
        }
    }
}

/// TLS over arbitrary bytes: `tls::split_records` → `tls::split_handshakes` over the handshake
/// fragments → `ClientHello`, `ServerHello`, `first_certificate` → `der::certificate_names`; then
/// the same from `split_handshakes` on the raw input, and each message parser on it directly, so
/// every layer is reached without the fuzzer building the ones above it. Records, messages and
/// the certificate lie inside the bytes they came from; framing consumes exactly the units it
/// returns and stops with an error only where it stopped; the caps hold (16 ALPN names, 32 DNS
/// names) and no decoded name holds a control character.
pub fn tls_handshake(data: &[u8]) {
    let split = tls::split_records(data);
    let mut framed = 0;
    let mut fragments = Vec::new();
    for r in &split.records {
        assert!(within(data, r.fragment), "record outside the input");
        assert!(
            r.fragment.len() <= tls::MAX_FRAGMENT_LEN,
            "record over the limit"
        );
        framed += tls::RECORD_HEADER_LEN + r.fragment.len();
        if r.content_type == tls::content_type::HANDSHAKE {
            fragments.extend_from_slice(r.fragment);
        }
    }
    assert_eq!(
        framed, split.consumed,
        "records do not add up to what was consumed"
    );
    if let Some(tls::NotTls::BadHeader { offset } | tls::NotTls::TooLong { offset, .. }) =
        split.error
    {
        assert_eq!(
            offset, split.consumed,
            "framing stopped elsewhere than its error"
        );
    }
    for stream in [&fragments[..], data] {
        let (messages, consumed) = tls::split_handshakes(stream);
        let mut framed = 0;
        for (msg_type, body) in messages {
            assert!(within(stream, body), "handshake body outside its stream");
            framed += tls::HANDSHAKE_HEADER_LEN + body.len();
            tls_message(msg_type, body);
        }
        assert_eq!(
            framed, consumed,
            "messages do not add up to what was consumed"
        );
    }
    for msg_type in [tls::CLIENT_HELLO, tls::SERVER_HELLO, tls::CERTIFICATE] {
        tls_message(msg_type, data);
    }
    certificate_names(data);
}

fn tls_message(msg_type: u8, body: &[u8]) {
    match msg_type {
        tls::CLIENT_HELLO => {
            if let Some(hello) = tls::ClientHello::parse(body) {
                assert!(hello.alpn.len() <= tls::MAX_ALPN, "ALPN over the cap");
                assert!(hello
                    .server_name
                    .iter()
                    .chain(&hello.alpn)
                    .all(|s| printable(s)));
            }
        }
        tls::SERVER_HELLO => {
            if let Some(hello) = tls::ServerHello::parse(body) {
                assert!(hello.alpn.iter().all(|s| printable(s)));
            }
        }
        tls::CERTIFICATE => {
            if let Some(cert) = tls::first_certificate(body) {
                assert!(within(body, cert), "certificate outside its message");
                certificate_names(cert);
            }
        }
        _ => {}
    }
}

fn certificate_names(der: &[u8]) {
    if let Some(names) = der::certificate_names(der) {
        assert!(
            names.dns_names.len() <= der::MAX_DNS_NAMES,
            "dNSNames over the cap"
        );
        let mut strings = [&names.subject, &names.issuer]
            .into_iter()
            .chain(&names.subject_common_name)
            .chain(&names.dns_names);
        assert!(strings.all(|s| printable(s)), "control character in a name");
    }
}

/// No control characters: what a peer names is shown, never a line break or an escape.
fn printable(s: &str) -> bool {
    !s.chars().any(char::is_control)
}
