//! `callscope_wire::Reader` over arbitrary bytes in arbitrary chunks.
//!
//! Input: byte 0 sets the largest chunk (1 + 37·b0 bytes), byte 1 seeds the chunk sizes, the rest
//! is the file. Besides not panicking, the reader must not depend on chunking: the frames and the
//! ending from the chunked run must equal those of one push with the whole file.
#![no_main]

use callscope_wire::capture::Ending;
use callscope_wire::{Frame, ReadError, Reader};
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]

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

fuzz_target!(|data: &[u8]| {
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
    assert_eq!(a.1, b.1, "endings differ between chunked and whole-file reads");
});
