//! Unit tests of the push-based [`Reader`]: capture bytes in (built field by field below), frames
//! and endings out.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

use super::*;

// ---------------------------------------------------------------------------------------------
// Reading helpers
// ---------------------------------------------------------------------------------------------

/// A frame copied out of the reader's callback, so that tests can compare them.
#[derive(Debug, Clone, PartialEq)]
struct Got {
    index: u64,
    ts_ns: i64,
    interface: u32,
    link_type: u32,
    data: Vec<u8>,
    orig_len: u32,
    process: Option<ProcessInfo>,
    effective_process: Option<ProcessInfo>,
    direction: Direction,
}

impl From<Frame<'_>> for Got {
    fn from(f: Frame<'_>) -> Self {
        Got {
            index: f.index,
            ts_ns: f.ts_ns,
            interface: f.interface,
            link_type: f.link_type,
            data: f.data.to_vec(),
            orig_len: f.orig_len,
            process: f.process.cloned(),
            effective_process: f.effective_process.cloned(),
            direction: f.direction,
        }
    }
}

/// Everything one read of a file produced.
struct Run {
    frames: Vec<Got>,
    /// The first error `push` returned, if any (pushing stops there).
    error: Option<ReadError>,
    ending: Ending,
    stats: ReaderStats,
}

fn read_chunked(bytes: &[u8], chunk: usize) -> Run {
    let mut reader = Reader::new();
    let mut frames = Vec::new();
    let mut error = None;
    for piece in bytes.chunks(chunk.max(1)) {
        if let Err(e) = reader.push(piece, &mut |f| frames.push(Got::from(f))) {
            error = Some(e);
            break;
        }
    }
    let ending = reader.finish();
    Run {
        frames,
        error,
        ending,
        stats: reader.stats().clone(),
    }
}

/// Reads a whole file pushed in one piece.
fn read(bytes: &[u8]) -> Run {
    read_chunked(bytes, bytes.len())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Writing helpers: pcap
// ---------------------------------------------------------------------------------------------

/// The byte order a file (or pcapng section) is written in.
#[derive(Debug, Clone, Copy)]
enum Order {
    Le,
    Be,
}

impl Order {
    fn u16(self, v: u16) -> [u8; 2] {
        match self {
            Order::Le => v.to_le_bytes(),
            Order::Be => v.to_be_bytes(),
        }
    }
    fn u32(self, v: u32) -> [u8; 4] {
        match self {
            Order::Le => v.to_le_bytes(),
            Order::Be => v.to_be_bytes(),
        }
    }
}

const LINKTYPE_NULL: u32 = 0;
const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;
/// LINKTYPE_USER0: no decoder knows it.
const LINKTYPE_USER0: u32 = 147;

/// A pcap global header (pcap draft §4).
fn pcap_header(o: Order, nanosecond: bool, snaplen: u32, link_type: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(o.u32(if nanosecond { 0xa1b2_3c4d } else { 0xa1b2_c3d4 })); // magic, in the file's order
    v.extend(o.u16(2)); // version major
    v.extend(o.u16(4)); // version minor
    v.extend(o.u32(0)); // thiszone
    v.extend(o.u32(0)); // sigfigs
    v.extend(o.u32(snaplen)); // snaplen
    v.extend(o.u32(link_type)); // link type
    v
}

/// A pcap record header (pcap draft §5) with an explicit caplen, without the packet bytes.
fn pcap_record_header(o: Order, secs: u32, frac: u32, caplen: u32, orig_len: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(o.u32(secs)); // ts seconds
    v.extend(o.u32(frac)); // ts µs or ns
    v.extend(o.u32(caplen)); // captured length
    v.extend(o.u32(orig_len)); // original length
    v
}

/// A whole pcap record: header, then `data`.
fn pcap_record(o: Order, secs: u32, frac: u32, data: &[u8], orig_len: u32) -> Vec<u8> {
    let mut v = pcap_record_header(o, secs, frac, data.len() as u32, orig_len);
    v.extend_from_slice(data);
    v
}

/// A little-endian µs Ethernet pcap with three records of 4, 5 and 6 bytes, one second apart.
fn three_record_pcap() -> Vec<u8> {
    let mut f = pcap_header(Order::Le, false, 65535, LINKTYPE_ETHERNET);
    f.extend(pcap_record(Order::Le, 1_700_000_000, 1, &[1, 2, 3, 4], 60));
    f.extend(pcap_record(
        Order::Le,
        1_700_000_001,
        2,
        &[5, 6, 7, 8, 9],
        61,
    ));
    f.extend(pcap_record(
        Order::Le,
        1_700_000_002,
        3,
        &[10, 11, 12, 13, 14, 15],
        62,
    ));
    f
}

// ---------------------------------------------------------------------------------------------
// Writing helpers: pcapng
// ---------------------------------------------------------------------------------------------

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

/// One option: code, length, value padded to 4 bytes (pcapng §3.5).
fn opt(o: Order, code: u16, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(o.u16(code)); // option code
    v.extend(o.u16(value.len() as u16)); // option length (unpadded)
    v.extend_from_slice(value);
    pad4(&mut v);
    v
}

/// Options followed by opt_endofopt, or nothing when there are none.
fn options(o: Order, opts: &[Vec<u8>]) -> Vec<u8> {
    if opts.is_empty() {
        return Vec::new();
    }
    let mut v: Vec<u8> = opts.concat();
    v.extend(o.u16(0)); // opt_endofopt code
    v.extend(o.u16(0)); // opt_endofopt length
    v
}

/// A block: type, total length, body (padded), total length again (pcapng §3.1).
fn block(o: Order, block_type: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    pad4(&mut body);
    let len = 12 + body.len() as u32;
    let mut v = Vec::new();
    v.extend(o.u32(block_type)); // block type
    v.extend(o.u32(len)); // block total length
    v.extend(body);
    v.extend(o.u32(len)); // block total length, repeated
    v
}

/// Section header block (pcapng §4.1), version 1.0, section length unknown.
fn shb(o: Order) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(o.u32(0x1a2b_3c4d)); // byte-order magic
    body.extend(o.u16(1)); // major version
    body.extend(o.u16(0)); // minor version
    body.extend([0xff; 8]); // section length: -1, unknown
    block(o, 0x0a0d_0d0a, &body)
}

/// Interface description block (pcapng §4.2).
fn idb(o: Order, link_type: u16, snaplen: u32, opts: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(o.u16(link_type)); // link type
    body.extend(o.u16(0)); // reserved
    body.extend(o.u32(snaplen)); // snaplen
    body.extend(options(o, opts));
    block(o, 1, &body)
}

/// Enhanced packet block (pcapng §4.3), timestamp in the interface's units.
fn epb(o: Order, if_id: u32, ts: u64, data: &[u8], orig_len: u32, opts: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(o.u32(if_id)); // interface id
    body.extend(o.u32((ts >> 32) as u32)); // timestamp (upper)
    body.extend(o.u32(ts as u32)); // timestamp (lower)
    body.extend(o.u32(data.len() as u32)); // captured length
    body.extend(o.u32(orig_len)); // original length
    body.extend_from_slice(data);
    pad4(&mut body);
    body.extend(options(o, opts));
    block(o, 6, &body)
}

/// Simple packet block (pcapng §4.4): original length, then the packet.
fn spb(o: Order, orig_len: u32, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(o.u32(orig_len)); // original length
    body.extend_from_slice(data);
    block(o, 3, &body)
}

/// Obsolete packet block (pcapng appendix A, type 2).
fn legacy_packet(o: Order, if_id: u16, ts: u64, data: &[u8], orig_len: u32) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(o.u16(if_id)); // interface id
    body.extend(o.u16(0)); // drops count
    body.extend(o.u32((ts >> 32) as u32)); // timestamp (upper)
    body.extend(o.u32(ts as u32)); // timestamp (lower)
    body.extend(o.u32(data.len() as u32)); // captured length
    body.extend(o.u32(orig_len)); // packet length
    body.extend_from_slice(data);
    block(o, 2, &body)
}

/// Apple process information block (type 0x80000001): pid, then options (2 name, 3 path, 4 uuid).
fn pib(o: Order, pid: u32, opts: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(o.u32(pid)); // process id
    body.extend(options(o, opts));
    block(o, 0x8000_0001, &body)
}

/// `epb_flags` (option 2) with the given direction bits.
fn epb_flags(o: Order, flags: u32) -> Vec<u8> {
    opt(o, 2, &o.u32(flags))
}

/// Apple EPB option 0x8001: index of the packet's process information block.
fn pib_index(o: Order, index: u32) -> Vec<u8> {
    opt(o, 0x8001, &o.u32(index))
}

/// Apple EPB option 0x8003: index of the effective process information block.
fn effective_pib_index(o: Order, index: u32) -> Vec<u8> {
    opt(o, 0x8003, &o.u32(index))
}

/// `if_tsresol` (IDB option 9).
fn if_tsresol(o: Order, value: u8) -> Vec<u8> {
    opt(o, 9, &[value])
}

const TS_SECS: u64 = 1_700_000_000;

/// A small little-endian pcapng: SHB, an Ethernet IDB, two EPBs.
fn small_pcapng() -> Vec<u8> {
    let o = Order::Le;
    let mut f = shb(o);
    f.extend(idb(o, 1, 0, &[]));
    f.extend(epb(o, 0, TS_SECS * 1_000_000, &[1, 2, 3, 4], 4, &[]));
    f.extend(epb(o, 0, TS_SECS * 1_000_000 + 1, &[5, 6, 7, 8, 9], 5, &[]));
    f
}

// ---------------------------------------------------------------------------------------------
// pcap
// ---------------------------------------------------------------------------------------------

#[test]
fn pcap_little_endian_microseconds() {
    let mut f = pcap_header(Order::Le, false, 65535, LINKTYPE_ETHERNET);
    f.extend(pcap_record(
        Order::Le,
        1_700_000_000,
        123_456,
        &[0xaa, 0xbb, 0xcc, 0xdd],
        60,
    ));
    let run = read(&f);
    assert_eq!(run.error, None);
    assert_eq!(run.ending, Ending::Clean);
    assert_eq!(
        run.stats.format,
        Some(CaptureFormat::Pcap {
            big_endian: false,
            nanosecond: false
        })
    );
    assert_eq!(
        run.frames,
        vec![Got {
            index: 1,
            ts_ns: 1_700_000_000_123_456_000,
            interface: 0,
            link_type: LINKTYPE_ETHERNET,
            data: vec![0xaa, 0xbb, 0xcc, 0xdd],
            orig_len: 60,
            process: None,
            effective_process: None,
            direction: Direction::Unknown,
        }]
    );
    assert_eq!(
        run.stats.interfaces,
        vec![InterfaceInfo {
            link_type: 1,
            name: None,
            snaplen: 65535
        }]
    );
    assert_eq!(run.stats.records, 1);
    assert_eq!(run.stats.bytes, 24 + 16 + 4);
}

#[test]
fn pcap_big_endian_microseconds() {
    let mut f = pcap_header(Order::Be, false, 65535, LINKTYPE_RAW);
    f.extend(pcap_record(
        Order::Be,
        1_600_000_000,
        999_999,
        &[0x45, 0, 0, 20],
        20,
    ));
    assert_eq!(&f[..4], &[0xa1, 0xb2, 0xc3, 0xd4]);
    let run = read(&f);
    assert_eq!(
        run.stats.format,
        Some(CaptureFormat::Pcap {
            big_endian: true,
            nanosecond: false
        })
    );
    assert_eq!(run.frames.len(), 1);
    assert_eq!(run.frames[0].ts_ns, 1_600_000_000_999_999_000);
    assert_eq!(run.frames[0].link_type, LINKTYPE_RAW);
    assert_eq!(run.frames[0].orig_len, 20);
    assert_eq!(run.frames[0].data, vec![0x45, 0, 0, 20]);
    assert_eq!(run.ending, Ending::Clean);
}

#[test]
fn pcap_little_endian_nanoseconds() {
    let mut f = pcap_header(Order::Le, true, 65535, LINKTYPE_ETHERNET);
    f.extend(pcap_record(
        Order::Le,
        1_700_000_000,
        123_456_789,
        &[1, 2],
        2,
    ));
    assert_eq!(&f[..4], &[0x4d, 0x3c, 0xb2, 0xa1]);
    let run = read(&f);
    assert_eq!(
        run.stats.format,
        Some(CaptureFormat::Pcap {
            big_endian: false,
            nanosecond: true
        })
    );
    assert_eq!(run.stats.format.map(|f| f.name()), Some("pcap-ns"));
    assert_eq!(run.frames[0].ts_ns, 1_700_000_000_123_456_789);
}

#[test]
fn pcap_big_endian_nanoseconds() {
    let mut f = pcap_header(Order::Be, true, 65535, LINKTYPE_ETHERNET);
    f.extend(pcap_record(
        Order::Be,
        1_700_000_000,
        999_999_999,
        &[1, 2, 3],
        3,
    ));
    assert_eq!(&f[..4], &[0xa1, 0xb2, 0x3c, 0x4d]);
    let run = read(&f);
    assert_eq!(
        run.stats.format,
        Some(CaptureFormat::Pcap {
            big_endian: true,
            nanosecond: true
        })
    );
    assert_eq!(run.frames[0].ts_ns, 1_700_000_000_999_999_999);
    assert_eq!(run.frames[0].data, vec![1, 2, 3]);
}

#[test]
fn pcap_link_type_ignores_the_fcs_bits() {
    // Bits 28–31 of the link-type field give an FCS length (pcap draft §4): Ethernet with a 4-byte FCS.
    let f = pcap_header(Order::Le, false, 65535, 0x3000_0000 | LINKTYPE_ETHERNET);
    let run = read(&f);
    assert_eq!(run.stats.interfaces[0].link_type, LINKTYPE_ETHERNET);
    assert_eq!(run.ending, Ending::Clean);
}

#[test]
fn pcap_caplen_over_snaplen_is_accepted_and_counted() {
    let mut f = pcap_header(Order::Le, false, 4, LINKTYPE_ETHERNET);
    f.extend(pcap_record(Order::Le, 1, 0, &[1, 2, 3, 4, 5, 6, 7, 8], 8)); // 8 > snaplen 4
    f.extend(pcap_record(Order::Le, 2, 0, &[1, 2, 3, 4], 4)); // exactly snaplen
    let run = read(&f);
    assert_eq!(run.frames.len(), 2);
    assert_eq!(run.frames[0].data.len(), 8);
    assert_eq!(run.stats.caplen_over_snaplen, 1);
    assert_eq!(run.ending, Ending::Clean);
}

#[test]
fn pcap_huge_caplen_is_an_error_not_an_allocation() {
    let mut f = pcap_header(Order::Le, false, 65535, LINKTYPE_ETHERNET);
    f.extend(pcap_record(Order::Le, 1, 0, &[1, 2, 3, 4], 4));
    f.extend(pcap_record_header(
        Order::Le,
        2,
        0,
        0xFFFF_FFF0,
        0xFFFF_FFF0,
    )); // claims ~4 GiB
    f.extend([0u8; 32]); // a few bytes of what would follow
    let run = read(&f);
    assert_eq!(
        run.frames.len(),
        1,
        "the record before the bad one is delivered"
    );
    let Some(ReadError::BadRecord {
        record,
        offset,
        reason,
    }) = &run.error
    else {
        panic!("expected BadRecord, got {:?}", run.error)
    };
    assert_eq!(*record, 2);
    assert_eq!(*offset, 24 + 16 + 4);
    assert!(reason.contains("caplen 4294967280"), "{reason}");
    assert_eq!(run.ending, Ending::Stopped(run.error.clone().unwrap()));
}

#[test]
fn pcap_caplen_just_over_the_limit_is_an_error() {
    let mut f = pcap_header(Order::Le, false, 0, LINKTYPE_ETHERNET);
    f.extend(pcap_record_header(
        Order::Le,
        1,
        0,
        MAX_PACKET_LEN + 1,
        MAX_PACKET_LEN + 1,
    ));
    let run = read(&f);
    assert!(run.frames.is_empty());
    assert!(
        matches!(
            run.error,
            Some(ReadError::BadRecord {
                record: 1,
                offset: 24,
                ..
            })
        ),
        "{:?}",
        run.error
    );
}

#[test]
fn pcap_errors_are_sticky() {
    let mut reader = Reader::new();
    let mut frames = 0;
    let first = reader.push(b"not a capture", &mut |_| frames += 1);
    let again = reader.push(&three_record_pcap(), &mut |_| frames += 1);
    assert!(first.is_err());
    assert_eq!(first, again);
    assert_eq!(frames, 0);
}

#[test]
fn pcap_truncated_record_delivers_the_earlier_ones() {
    let mut f = three_record_pcap();
    f.truncate(f.len() - 3); // the third record loses 3 of its 6 bytes
    let run = read(&f);
    assert_eq!(run.error, None);
    assert_eq!(run.frames.len(), 2);
    assert_eq!(run.frames[1].data, vec![5, 6, 7, 8, 9]);
    let Ending::Truncated { detail } = &run.ending else {
        panic!("expected Truncated, got {:?}", run.ending)
    };
    assert!(detail.contains("record 3"), "{detail}");
    assert!(detail.contains("19 bytes"), "{detail}"); // 16-byte header + 3 bytes
}

#[test]
fn pcap_truncated_record_header() {
    let mut f = three_record_pcap();
    f.truncate(24 + 16 + 4 + 10); // one whole record, then 10 of the next 16-byte header
    let run = read(&f);
    assert_eq!(run.frames.len(), 1);
    assert!(
        matches!(run.ending, Ending::Truncated { .. }),
        "{:?}",
        run.ending
    );
}

#[test]
fn pcap_truncated_global_header() {
    let f = pcap_header(Order::Le, false, 65535, LINKTYPE_ETHERNET);
    let run = read(&f[..20]);
    assert_eq!(run.error, None);
    assert!(run.frames.is_empty());
    assert_eq!(
        run.ending,
        Ending::Stopped(ReadError::ShortHeader {
            what: "pcap global",
            have: 20,
            need: 24
        })
    );
}

// ---------------------------------------------------------------------------------------------
// Sniffing and hopeless input
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_input_is_stopped_empty() {
    let mut reader = Reader::new();
    assert_eq!(reader.finish(), Ending::Stopped(ReadError::Empty));
}

#[test]
fn empty_chunks_count_as_no_input() {
    let mut reader = Reader::new();
    assert_eq!(reader.push(&[], &mut |_| {}), Ok(()));
    assert_eq!(reader.finish(), Ending::Stopped(ReadError::Empty));
    assert_eq!(ReadError::Empty.to_string(), "the file is empty");
}

#[test]
fn bad_magic_is_an_error_with_a_readable_message() {
    let run = read(b"GET / HTTP/1.1\r\n");
    let err = run.error.expect("an error");
    assert_eq!(
        err,
        ReadError::BadMagic {
            magic: "47455420".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "not a capture file: unknown magic 47455420 (expected pcap, pcapng or gzip)"
    );
    assert_eq!(run.ending, Ending::Stopped(err));
    assert_eq!(run.stats.format, None);
}

#[test]
fn input_shorter_than_a_magic() {
    let run = read(&[0xd4, 0xc3, 0xb2]);
    assert_eq!(run.error, None);
    assert_eq!(
        run.ending,
        Ending::Stopped(ReadError::ShortHeader {
            what: "file",
            have: 3,
            need: 4
        })
    );
}

#[test]
fn unknown_link_type_passes_through_untouched() {
    let mut f = pcap_header(Order::Le, false, 65535, LINKTYPE_USER0);
    f.extend(pcap_record(Order::Le, 1, 0, &[0xde, 0xad, 0xbe, 0xef], 4));
    let run = read(&f);
    assert_eq!(run.frames.len(), 1);
    assert_eq!(run.frames[0].link_type, LINKTYPE_USER0);
    assert_eq!(run.frames[0].data, vec![0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(run.stats.malformed_records, 0);
    assert_eq!(run.ending, Ending::Clean);
}

// ---------------------------------------------------------------------------------------------
// pcapng
// ---------------------------------------------------------------------------------------------

#[test]
fn pcapng_little_endian_section() {
    let o = Order::Le;
    let mut f = shb(o);
    f.extend(idb(o, 1, 65535, &[opt(o, 2, b"en0")])); // if_name "en0"
    f.extend(epb(
        o,
        0,
        TS_SECS * 1_000_000 + 250_000,
        &[1, 2, 3, 4, 5],
        100,
        &[epb_flags(o, 0b01)],
    ));
    let run = read(&f);
    assert_eq!(run.error, None);
    assert_eq!(run.ending, Ending::Clean);
    assert_eq!(run.stats.format, Some(CaptureFormat::Pcapng));
    assert_eq!(
        run.stats.interfaces,
        vec![InterfaceInfo {
            link_type: 1,
            name: Some("en0".into()),
            snaplen: 65535
        }]
    );
    assert_eq!(
        run.frames,
        vec![Got {
            index: 1,
            ts_ns: 1_700_000_000_250_000_000, // default if_tsresol: microseconds
            interface: 0,
            link_type: 1,
            data: vec![1, 2, 3, 4, 5],
            orig_len: 100,
            process: None,
            effective_process: None,
            direction: Direction::Inbound,
        }]
    );
}

#[test]
fn pcapng_interface_name_drops_its_nul_terminator() {
    // Apple's tcpdump writes if_name with its C terminator counted in the option length.
    let o = Order::Le;
    let mut f = shb(o);
    f.extend(idb(o, 1, 0, &[opt(o, 2, b"en0\0")]));
    let run = read(&f);
    assert_eq!(run.stats.interfaces[0].name.as_deref(), Some("en0"));
}

#[test]
fn pcapng_big_endian_section_decodes_apple_options_big_endian() {
    let o = Order::Be;
    let uuid: Vec<u8> = (0x10..0x20).collect();
    let mut f = shb(o);
    f.extend(idb(o, 1, 0, &[]));
    f.extend(pib(
        o,
        0x0001_2345,
        &[
            opt(o, 2, b"nsurlsessiond"),
            opt(o, 3, b"/usr/libexec/nsurlsessiond"),
            opt(o, 4, &uuid),
        ],
    ));
    f.extend(pib(o, 0x0000_0102, &[opt(o, 2, b"Safari")]));
    // If read little-endian, flags 2 would be 0x02000000 (no direction) and index 1 would be 2^24.
    f.extend(epb(
        o,
        0,
        TS_SECS * 1_000_000,
        &[9, 9, 9, 9],
        4,
        &[
            epb_flags(o, 0b10),
            pib_index(o, 1),
            effective_pib_index(o, 0),
        ],
    ));
    let run = read(&f);
    assert_eq!(run.error, None);
    assert_eq!(run.ending, Ending::Clean);
    assert_eq!(run.frames.len(), 1);
    let frame = &run.frames[0];
    assert_eq!(frame.ts_ns, 1_700_000_000_000_000_000);
    assert_eq!(frame.direction, Direction::Outbound);
    assert_eq!(
        frame.process,
        Some(ProcessInfo {
            pid: 0x0102,
            name: "Safari".into(),
            path: None,
            uuid: None
        })
    );
    assert_eq!(
        frame.effective_process,
        Some(ProcessInfo {
            pid: 0x0001_2345,
            name: "nsurlsessiond".into(),
            path: Some("/usr/libexec/nsurlsessiond".into()),
            uuid: Some("101112131415161718191a1b1c1d1e1f".into()),
        })
    );
}

#[test]
fn pcapng_two_sections_with_mixed_link_types() {
    let mut f = shb(Order::Le);
    f.extend(idb(Order::Le, 1, 0, &[])); // global interface 0: Ethernet
    f.extend(idb(Order::Le, 0, 0, &[])); // global interface 1: NULL
    f.extend(epb(
        Order::Le,
        1,
        TS_SECS * 1_000_000,
        &[2, 0, 0, 0],
        4,
        &[],
    )); // on NULL
    f.extend(epb(Order::Le, 0, TS_SECS * 1_000_000, &[0xee; 14], 14, &[])); // on Ethernet
    f.extend(shb(Order::Be));
    f.extend(idb(Order::Be, LINKTYPE_RAW as u16, 0, &[])); // global interface 2: RAW
    f.extend(idb(Order::Be, LINKTYPE_NULL as u16, 0, &[])); // global interface 3: NULL
    f.extend(epb(Order::Be, 0, TS_SECS * 1_000_000, &[0x45], 1, &[])); // if_id 0 of this section
    f.extend(epb(
        Order::Be,
        1,
        TS_SECS * 1_000_000,
        &[0, 0, 0, 2],
        4,
        &[],
    ));
    let run = read(&f);
    assert_eq!(run.error, None);
    assert_eq!(run.ending, Ending::Clean);
    let seen: Vec<(u32, u32)> = run
        .frames
        .iter()
        .map(|f| (f.interface, f.link_type))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, LINKTYPE_NULL),
            (0, LINKTYPE_ETHERNET),
            (2, LINKTYPE_RAW),
            (3, LINKTYPE_NULL)
        ]
    );
    let links: Vec<u32> = run.stats.interfaces.iter().map(|i| i.link_type).collect();
    assert_eq!(
        links,
        vec![
            LINKTYPE_ETHERNET,
            LINKTYPE_NULL,
            LINKTYPE_RAW,
            LINKTYPE_NULL
        ]
    );
    let indexes: Vec<u64> = run.frames.iter().map(|f| f.index).collect();
    assert_eq!(indexes, vec![1, 2, 3, 4]);
}

#[test]
fn pcapng_interface_ids_do_not_reach_into_earlier_sections() {
    let mut f = shb(Order::Le);
    f.extend(idb(Order::Le, 1, 0, &[]));
    f.extend(idb(Order::Le, 0, 0, &[]));
    f.extend(shb(Order::Le));
    f.extend(idb(Order::Le, 101, 0, &[]));
    f.extend(epb(Order::Le, 1, 0, &[1], 1, &[])); // section 2 has only if_id 0
    f.extend(epb(Order::Le, 0, 0, &[2], 1, &[]));
    let run = read(&f);
    assert_eq!(run.frames.len(), 1);
    assert_eq!(
        (
            run.frames[0].interface,
            run.frames[0].link_type,
            run.frames[0].data[0]
        ),
        (2, 101, 2)
    );
    assert_eq!(run.stats.malformed_records, 1);
    assert_eq!(run.ending, Ending::Clean);
}

#[test]
fn pcapng_process_index_counts_within_its_section() {
    let o = Order::Le;
    let mut f = shb(o);
    f.extend(idb(o, 0, 0, &[]));
    f.extend(pib(o, 100, &[opt(o, 2, b"first")]));
    f.extend(epb(o, 0, 0, &[1], 1, &[pib_index(o, 0)]));
    f.extend(shb(o));
    f.extend(idb(o, 0, 0, &[]));
    f.extend(pib(o, 200, &[opt(o, 2, b"second")]));
    f.extend(epb(o, 0, 0, &[2], 1, &[pib_index(o, 0)]));
    f.extend(epb(o, 0, 0, &[3], 1, &[pib_index(o, 1)])); // index 1 would be "second" only if PIBs leaked across sections
    let run = read(&f);
    let procs: Vec<Option<(u32, String)>> = run
        .frames
        .iter()
        .map(|f| f.process.as_ref().map(|p| (p.pid, p.name.clone())))
        .collect();
    assert_eq!(
        procs,
        vec![
            Some((100, "first".into())),
            Some((200, "second".into())),
            None
        ]
    );
}

#[test]
fn pcapng_apple_process_information_block() {
    let o = Order::Le;
    let uuid: Vec<u8> = (0..16).collect();
    let mut f = shb(o);
    f.extend(idb(o, 0, 0, &[]));
    f.extend(pib(
        o,
        4242,
        &[
            opt(o, 2, b"iperf\0"),
            opt(o, 3, b"/usr/local/bin/iperf"),
            opt(o, 4, &uuid),
        ],
    ));
    f.extend(epb(o, 0, 0, &[2, 0, 0, 0], 4, &[pib_index(o, 0)]));
    f.extend(epb(o, 0, 0, &[2, 0, 0, 0], 4, &[])); // no process option
    f.extend(epb(o, 0, 0, &[2, 0, 0, 0], 4, &[pib_index(o, 5)])); // no such block
    let run = read(&f);
    assert_eq!(run.frames.len(), 3);
    assert_eq!(
        run.frames[0].process,
        Some(ProcessInfo {
            pid: 4242,
            name: "iperf".into(),
            path: Some("/usr/local/bin/iperf".into()),
            uuid: Some("000102030405060708090a0b0c0d0e0f".into()),
        })
    );
    assert_eq!(run.frames[0].effective_process, None);
    assert_eq!(run.frames[1].process, None);
    assert_eq!(run.frames[2].process, None);
}

#[test]
fn pcapng_tsresol_nanoseconds() {
    let o = Order::Le;
    let mut f = shb(o);
    f.extend(idb(o, 1, 0, &[if_tsresol(o, 9)])); // 10^-9
    f.extend(epb(o, 0, 1_700_000_000_123_456_789, &[1], 1, &[]));
    let run = read(&f);
    assert_eq!(run.frames[0].ts_ns, 1_700_000_000_123_456_789);
}

#[test]
fn pcapng_tsresol_power_of_two() {
    let o = Order::Le;
    let mut f = shb(o);
    f.extend(idb(o, 1, 0, &[if_tsresol(o, 0x80 | 20)])); // 2^-20 s units
    let ts = (TS_SECS << 20) | (1 << 19); // TS_SECS and a half
    f.extend(epb(o, 0, ts, &[1], 1, &[]));
    f.extend(epb(o, 0, (TS_SECS << 20) | 1, &[1], 1, &[])); // one unit: 953.674… ns
    let run = read(&f);
    assert_eq!(run.frames[0].ts_ns, 1_700_000_000_500_000_000);
    assert_eq!(run.frames[1].ts_ns, 1_700_000_000_000_000_953);
}

#[test]
fn pcapng_tsoffset_in_a_big_endian_section() {
    let o = Order::Be;
    let mut f = shb(o);
    f.extend(idb(o, 1, 0, &[opt(o, 14, &100i64.to_be_bytes())])); // if_tsoffset: +100 s
    f.extend(epb(o, 0, TS_SECS * 1_000_000, &[1], 1, &[]));
    let run = read(&f);
    assert_eq!(run.frames[0].ts_ns, 1_700_000_100_000_000_000);
}

#[test]
fn pcapng_simple_packet_block() {
    let o = Order::Le;
    let mut f = shb(o);
    f.extend(idb(o, 1, 0, &[]));
    f.extend(spb(o, 5, &[1, 2, 3, 4, 5])); // padded to 8 in the block
    let run = read(&f);
    assert_eq!(run.ending, Ending::Clean);
    assert_eq!(run.frames.len(), 1);
    assert_eq!(
        run.frames[0].data,
        vec![1, 2, 3, 4, 5],
        "padding is not packet data"
    );
    assert_eq!(run.frames[0].orig_len, 5);
    assert_eq!(run.frames[0].ts_ns, 0);
    assert_eq!(run.frames[0].link_type, 1);
}

#[test]
fn pcapng_simple_packet_block_is_cut_at_snaplen() {
    let o = Order::Be;
    let mut f = shb(o);
    f.extend(idb(o, 1, 4, &[])); // snaplen 4
    f.extend(spb(o, 100, &[1, 2, 3, 4, 5, 6, 7, 8]));
    let run = read(&f);
    assert_eq!(run.frames[0].data, vec![1, 2, 3, 4]);
    assert_eq!(run.frames[0].orig_len, 100);
}

#[test]
fn pcapng_legacy_packet_block() {
    let o = Order::Le;
    let mut f = shb(o);
    f.extend(idb(o, 1, 0, &[]));
    f.extend(idb(o, 0, 0, &[]));
    f.extend(legacy_packet(
        o,
        1,
        TS_SECS * 1_000_000 + 7,
        &[2, 0, 0, 0, 0x45],
        64,
    ));
    let run = read(&f);
    assert_eq!(run.ending, Ending::Clean);
    assert_eq!(
        run.frames,
        vec![Got {
            index: 1,
            ts_ns: 1_700_000_000_000_007_000,
            interface: 1,
            link_type: LINKTYPE_NULL,
            data: vec![2, 0, 0, 0, 0x45],
            orig_len: 64,
            process: None,
            effective_process: None,
            direction: Direction::Unknown,
        }]
    );
}

/// A valid pcapng with one packet, then a block whose header claims `len` (padded with zeros to 16
/// bytes so the header is complete).
fn pcapng_with_bad_block_length(len: u32) -> Vec<u8> {
    let mut f = small_pcapng();
    f.extend(Order::Le.u32(6)); // block type: EPB
    f.extend(Order::Le.u32(len)); // block total length
    f.extend([0u8; 8]);
    f
}

fn bad_record_reason(run: &Run) -> String {
    match &run.error {
        Some(ReadError::BadRecord { reason, .. }) => reason.clone(),
        other => panic!("expected BadRecord, got {other:?}"),
    }
}

#[test]
fn pcapng_block_length_not_a_multiple_of_four() {
    let run = read(&pcapng_with_bad_block_length(34));
    assert_eq!(run.frames.len(), 2, "earlier packets are delivered");
    assert_eq!(
        bad_record_reason(&run),
        "block length 34 is not a multiple of 4"
    );
    assert!(
        matches!(run.error, Some(ReadError::BadRecord { record: 5, .. })),
        "{:?}",
        run.error
    );
    assert!(matches!(
        run.ending,
        Ending::Stopped(ReadError::BadRecord { .. })
    ));
}

#[test]
fn pcapng_block_length_shorter_than_twelve() {
    let run = read(&pcapng_with_bad_block_length(8));
    assert_eq!(run.frames.len(), 2);
    assert_eq!(bad_record_reason(&run), "block length 8 is shorter than 12");
}

#[test]
fn pcapng_block_length_over_sixteen_mib() {
    let run = read(&pcapng_with_bad_block_length(MAX_BLOCK_LEN + 4));
    assert_eq!(run.frames.len(), 2);
    assert_eq!(
        bad_record_reason(&run),
        format!(
            "block length {} exceeds the {MAX_BLOCK_LEN}-byte limit",
            MAX_BLOCK_LEN + 4
        )
    );
}

#[test]
fn pcapng_trailing_length_must_match() {
    let mut f = small_pcapng();
    let last = f.len() - 4;
    f[last..].copy_from_slice(&Order::Le.u32(64)); // the last EPB's trailing length
    let run = read(&f);
    assert_eq!(run.frames.len(), 1);
    assert_eq!(
        bad_record_reason(&run),
        "block's trailing length differs from its leading length"
    );
}

#[test]
fn pcapng_truncated_block() {
    let mut f = small_pcapng();
    f.truncate(f.len() - 6);
    let run = read(&f);
    assert_eq!(run.error, None);
    assert_eq!(run.frames.len(), 1);
    let Ending::Truncated { detail } = &run.ending else {
        panic!("expected Truncated, got {:?}", run.ending)
    };
    assert!(detail.contains("block 4"), "{detail}");
}

#[test]
fn pcapng_truncated_section_header() {
    let f = small_pcapng();
    let run = read(&f[..20]);
    assert!(run.frames.is_empty());
    assert_eq!(
        run.ending,
        Ending::Stopped(ReadError::ShortHeader {
            what: "pcapng section",
            have: 20,
            need: 28
        })
    );
}

// ---------------------------------------------------------------------------------------------
// gzip
// ---------------------------------------------------------------------------------------------

#[test]
fn gzip_compressed_pcap() {
    let plain = three_record_pcap();
    let run = read(&gzip(&plain));
    assert!(run.stats.gzip);
    assert_eq!(run.error, None);
    assert_eq!(run.ending, Ending::Clean);
    assert_eq!(run.frames, read(&plain).frames);
    assert_eq!(run.frames.len(), 3);
    assert_eq!(
        run.stats.bytes,
        plain.len() as u64,
        "bytes count the decompressed file"
    );
}

#[test]
fn gzip_with_several_members() {
    let plain = small_pcapng();
    let (head, tail) = plain.split_at(37); // splits a block across the two members
    let mut gz = gzip(head);
    gz.extend(gzip(tail));
    let run = read(&gz);
    assert_eq!(run.error, None);
    assert_eq!(run.ending, Ending::Clean);
    assert_eq!(run.frames, read(&plain).frames);
    assert_eq!(run.frames.len(), 2);
}

#[test]
fn corrupt_gzip_is_an_error() {
    let mut gz = gzip(&three_record_pcap());
    gz[10] = 0xff; // first deflate block: BFINAL=1, BTYPE=11 (reserved)
    let run = read(&gz);
    assert!(
        matches!(run.error, Some(ReadError::Gzip(_))),
        "{:?}",
        run.error
    );
    assert!(run
        .error
        .as_ref()
        .unwrap()
        .to_string()
        .starts_with("gzip: "));
    assert!(matches!(run.ending, Ending::Stopped(ReadError::Gzip(_))));
    assert!(run.frames.is_empty());
}

/// A pcap of 50 records of 64 poorly compressible bytes each.
fn fifty_record_pcap() -> Vec<u8> {
    let mut f = pcap_header(Order::Le, false, 65535, LINKTYPE_ETHERNET);
    let mut x: u32 = 12345;
    for i in 0..50 {
        let data: Vec<u8> = (0..64)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345); // a small LCG
                (x >> 16) as u8
            })
            .collect();
        f.extend(pcap_record(Order::Le, i, 0, &data, 64));
    }
    f
}

#[test]
fn truncated_gzip_is_truncated_after_the_records_it_holds() {
    let gz = gzip(&fifty_record_pcap());
    let run = read(&gz[..gz.len() / 2]);
    assert_eq!(run.error, None);
    assert!(
        matches!(run.ending, Ending::Truncated { .. }),
        "{:?}",
        run.ending
    );
    assert!(
        run.frames.len() > 10 && run.frames.len() < 40,
        "{} frames",
        run.frames.len()
    );
    assert_eq!(
        run.frames,
        read(&fifty_record_pcap()).frames[..run.frames.len()]
    );
}

#[test]
fn gzip_without_its_trailer_is_truncated_after_all_records() {
    let gz = gzip(&three_record_pcap());
    let run = read(&gz[..gz.len() - 8]); // no CRC32 / ISIZE
    assert_eq!(run.error, None);
    assert_eq!(run.frames.len(), 3);
    let Ending::Truncated { detail } = &run.ending else {
        panic!("expected Truncated, got {:?}", run.ending)
    };
    assert!(detail.starts_with("gzip stream"), "{detail}");
}

// ---------------------------------------------------------------------------------------------
// Chunking
// ---------------------------------------------------------------------------------------------

/// A pcapng exercising most block kinds: two sections of either byte order, PIBs, SPB, legacy.
fn mixed_pcapng() -> Vec<u8> {
    let mut f = small_pcapng();
    let o = Order::Be;
    f.extend(shb(o));
    f.extend(idb(o, 0, 0, &[if_tsresol(o, 9), opt(o, 2, b"utun3")]));
    f.extend(pib(o, 554, &[opt(o, 2, b"packetdrill")]));
    f.extend(epb(
        o,
        0,
        1_700_000_000_000_000_001,
        &[0, 0, 0, 2, 0x45, 0],
        6,
        &[epb_flags(o, 1), pib_index(o, 0)],
    ));
    f.extend(spb(o, 3, &[7, 7, 7]));
    f.extend(legacy_packet(o, 0, 5, &[0, 0, 0, 30], 4));
    f
}

#[test]
fn chunk_size_does_not_change_frames() {
    let files = [
        ("pcap", three_record_pcap()),
        ("pcapng", mixed_pcapng()),
        ("gzip", gzip(&mixed_pcapng())),
    ];
    for (name, file) in &files {
        let whole = read(file);
        assert!(whole.frames.len() >= 3, "{name}");
        assert_eq!(whole.ending, Ending::Clean, "{name}");
        for chunk in [1, 7, 4096] {
            let run = read_chunked(file, chunk);
            assert_eq!(run.frames, whole.frames, "{name} in chunks of {chunk}");
            assert_eq!(run.ending, whole.ending, "{name} in chunks of {chunk}");
            assert_eq!(
                run.stats.bytes, whole.stats.bytes,
                "{name} in chunks of {chunk}"
            );
        }
    }
}

#[test]
fn chunk_size_does_not_change_errors() {
    let mut file = three_record_pcap();
    file.extend(pcap_record_header(Order::Le, 4, 0, 0xFFFF_FFF0, 1));
    let whole = read(&file);
    assert_eq!(whole.frames.len(), 3);
    for chunk in [1, 7, 4096] {
        let run = read_chunked(&file, chunk);
        assert_eq!(run.frames, whole.frames, "chunks of {chunk}");
        assert_eq!(run.error, whole.error, "chunks of {chunk}");
    }
}

/// Found by fuzz/reader: a gzip'd one-record pcap whose CRC is wrong, followed by the start of
/// another member. The record inflated before the CRC error must be delivered whatever the
/// chunking (it used to survive only 1- and 7-byte chunks).
#[test]
fn gzip_error_keeps_what_was_inflated_before_it_in_any_chunking() {
    let hex = "1f8b0800000000000203bb7278d3422606160618f8ff9f818191018241800f8a51010074957028360000001f8b";
    let file: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    for chunk in [1, 7, 64, 4096, file.len()] {
        let mut reader = Reader::new();
        let mut frames = 0;
        let mut failed = false;
        for piece in file.chunks(chunk) {
            if reader.push(piece, &mut |_| frames += 1).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed, "chunk {chunk}: the CRC error is reported");
        assert_eq!(frames, 1, "chunk {chunk}");
        assert!(
            matches!(reader.finish(), Ending::Stopped(ReadError::Gzip(_))),
            "chunk {chunk}"
        );
    }
}

// ---- hostile pcapng structure: bounded, skipped or counted with a reason -----------------------

fn reasons(run: &Run) -> Vec<(String, u64)> {
    run.stats
        .malformed_reasons
        .iter()
        .map(|(r, n, _)| (r.clone(), *n))
        .collect()
}

/// A section header of another major version (pcapng §4.1): the whole section is skipped, each
/// block counted, and the next 1.x section read.
#[test]
fn a_section_of_another_major_version_is_skipped() {
    let o = Order::Le;
    let mut v2 = shb(o);
    v2[12..14].copy_from_slice(&o.u16(2));
    let mut f = shb(o);
    f.extend(idb(o, 1, 0, &[]));
    f.extend(epb(o, 0, 1, &[1; 20], 20, &[]));
    f.extend(v2);
    f.extend(idb(o, 1, 0, &[]));
    f.extend(epb(o, 0, 2, &[2; 20], 20, &[]));
    f.extend(shb(o));
    f.extend(idb(o, 1, 0, &[]));
    f.extend(epb(o, 0, 3, &[3; 20], 20, &[]));
    let run = read(&f);
    assert_eq!(run.ending, Ending::Clean);
    let data: Vec<u8> = run.frames.iter().map(|g| g.data[0]).collect();
    assert_eq!(data, [1, 3]);
    assert_eq!(
        reasons(&run),
        [(
            "pcapng section of version 2.0 skipped (only 1.x is defined)".to_owned(),
            3
        )]
    );
}

/// Interfaces are bounded across the file, not per section: sections of many interfaces each
/// keep at most 65,536 in all, and the rest are counted.
#[test]
fn interfaces_are_bounded_across_sections() {
    let o = Order::Le;
    let mut f = Vec::new();
    for _ in 0..3 {
        f.extend(shb(o));
        for _ in 0..30_000 {
            f.extend(idb(o, 1, 0, &[]));
        }
    }
    let run = read(&f);
    assert_eq!(run.stats.interfaces.len(), 65_536);
    assert_eq!(run.stats.malformed_records, 90_000 - 65_536);
    assert_eq!(
        reasons(&run),
        [(
            "interface beyond the first 65536 of the file".to_owned(),
            90_000 - 65_536
        )]
    );
}

/// A packet on an interface its section does not describe, and an if_tsresol that is no
/// resolution, each say why they are counted.
#[test]
fn an_unknown_interface_and_a_bad_resolution_are_counted_with_a_reason() {
    let o = Order::Le;
    let mut f = shb(o);
    f.extend(idb(o, 1, 0, &[if_tsresol(o, 0xff)]));
    f.extend(epb(o, 0, 1_000_000, &[1; 20], 20, &[]));
    f.extend(epb(o, 7, 1, &[2; 20], 20, &[]));
    let run = read(&f);
    assert_eq!(run.frames.len(), 1);
    assert_eq!(run.frames[0].ts_ns, 1_000_000_000, "microseconds assumed");
    assert_eq!(
        reasons(&run),
        [
            (
                "if_tsresol 0xff is no resolution; microseconds assumed".to_owned(),
                1
            ),
            (
                "packet on interface 7, which its section does not describe (or beyond the limit)"
                    .to_owned(),
                1
            )
        ]
    );
    assert_eq!(run.stats.malformed_records, 2);
}
