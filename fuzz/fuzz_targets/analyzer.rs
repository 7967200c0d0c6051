//! The whole `callscope_analysis::Analyzer`: feed + finish, then the report as JSON.
//!
//! Input: byte 0 chooses the framing. Bit 7 clear: a valid pcap header for the link type
//! `LINK_TYPES[b0 & 0x3f % n]` is fed first and the rest are its records (past the magic checks
//! straight away). Bit 7 set: the rest is a whole file (pcapng, gzip…). Bit 6 set: tiny limits, so
//! that flow eviction and the fragment and TCP buffer limits are exercised too. Bit 5 set: the
//! input is also analysed with the protocol half on its own thread (`Options::parallel`), and
//! the two reports must be equal.
#![no_main]

use callscope_analysis::{Analyzer, Options};
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]

const LINK_TYPES: [u32; 13] = [0, 1, 12, 14, 101, 108, 113, 149, 258, 228, 229, 276, 147];

fn pcap_header(link_type: u32) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    h[16..20].copy_from_slice(&262_144u32.to_le_bytes());
    h[20..24].copy_from_slice(&link_type.to_le_bytes());
    h
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let options = if mode & 0x40 != 0 {
        Options {
            max_flows: 4,
            max_endpoints: 4,
            max_fragment_bytes: 2048,
            max_fragment_datagrams: 2,
            fragment_timeout_ns: 1_000_000_000,
            ..Options::default()
        }
    } else {
        Options::default()
    };
    let header = pcap_header(LINK_TYPES[usize::from(mode & 0x3f) % LINK_TYPES.len()]);
    let header: &[u8] = if mode & 0x80 == 0 { &header } else { &[] };
    let report = analyze(options.clone(), header, rest);
    let json = serde_json::to_string(&report);
    assert!(json.is_ok(), "report does not serialize: {json:?}");
    if mode & 0x20 != 0 {
        let parallel = analyze(
            Options {
                parallel: true,
                ..options
            },
            header,
            rest,
        );
        assert!(
            serde_json::to_string(&parallel).ok() == json.ok(),
            "the two-threaded report differs"
        );
    }
});

fn analyze(options: Options, header: &[u8], rest: &[u8]) -> callscope_analysis::Report {
    // Two chunks, split in the middle, so that records straddle a feed.
    let (a, b) = rest.split_at(rest.len() / 2);
    let mut analyzer = Analyzer::new(options);
    let _ = analyzer.feed(header);
    if analyzer.feed(a).is_ok() {
        let _ = analyzer.feed(b);
    }
    analyzer.finish()
}
