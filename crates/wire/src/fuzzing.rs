//! Fuzz harnesses for what `callscope-wire` reads from untrusted bytes, shared by the cargo-fuzz
//! targets (`fuzz/`, one line each) and the property tests (`tests/fuzz_harnesses.rs`), so the two
//! never drift apart. Each takes the raw fuzz input and panics only on a broken invariant.
//! Built with the `testing` feature.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::capture::Ending;
use crate::link;
use crate::net::{self, Network, Transport};
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
