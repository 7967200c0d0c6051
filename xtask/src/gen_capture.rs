//! The benchmark's large capture: owned Ethernet captures multiplied into one pcap, deterministically.
//!
//! Every source capture is copied `rounds` times. Copy (k, s) of source s starts k seconds after the
//! first copy, and all copies are merged in time order, so time is monotonic across the file and
//! about two dozen rounds overlap at any moment. Each copy gets its own flows:
//!
//! - IPv4 addresses in 10/8: the second octet moves by k (within its digit count, so `10.99.x.y`
//!   stays 11 characters long), the third by a per-source offset that keeps sources that share
//!   addresses apart. Other IPv4 addresses are kept. IPv6 ULAs (fc00::/7): k·S + s is added to the
//!   fourth 16-bit group.
//! - Ports: client and media ports (≥ 1024 and not a known service port) move by k within their
//!   digit count; service ports (< 1024, 3478–3481, 4500, 5060, 5061, 5349, 8443, …) are kept, so
//!   the dissectors still recognise SIP, STUN, IKE, DNS and TLS.
//! - RTP/RTCP SSRCs move within their decimal digit count.
//! - SIP/SDP text (`c=`, `o=`, Via, Contact… addresses; `m=` and `a=rtcp:` ports; `a=ssrc:`) is
//!   rewritten the same way. Every mapping keeps the text's length, so Content-Length, IP and
//!   UDP/TCP lengths stay right and tshark still follows SDP to the RTP streams of every copy.
//! - IPv4 header, UDP, TCP and ICMPv6 checksums are recomputed (UDP in a fragmented IPv4 datagram
//!   gets checksum 0, which IPv4 allows).
//!
//! Not rewritten: MAC addresses, DNS answers, TLS names, STUN XOR-MAPPED-ADDRESS values, IKE
//! payloads. In 10/8 the second octet has 90 two-digit values, so after 90 rounds the addresses
//! repeat; flows on two service ports (SIP 5060↔5060, IKE 500/4500) then repeat too, while
//! every flow with a client or media port stays distinct.
//!
//! The file is cached: a stamp beside it records the inputs (names, lengths, FNV-1a hashes), the
//! generator version and the size; a file whose stamp and length match is reused.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Bumped whenever the output for the same inputs changes.
const GENERATOR_VERSION: u32 = 1;
/// Start of copy k relative to copy 0.
const ROUND_STEP_NS: i64 = 1_000_000_000;
/// Output snaplen.
const SNAPLEN: u32 = 262_144;
const LINKTYPE_ETHERNET: u32 = 1;

/// The generated capture.
pub struct Capture {
    /// Where it is.
    pub path: PathBuf,
    /// Its length in bytes.
    pub bytes: u64,
    /// Packet records.
    pub packets: u64,
    /// Copies of each source.
    pub rounds: u64,
    /// Source captures, by file name.
    pub sources: Vec<String>,
    /// First to last packet, seconds.
    pub duration_s: f64,
    /// Whether the cached file was reused.
    pub reused: bool,
}

impl Capture {
    /// Deletes the file and its stamp, unless this run found it already there: a file an earlier
    /// run kept (`--keep`) stays for the next one, whichever benchmark reads it now. Returns
    /// whether it was deleted.
    pub fn remove_if_made_now(&self) -> bool {
        if self.reused {
            return false;
        }
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_file(self.path.with_extension("pcap.stamp"));
        true
    }
}

struct Packet {
    /// Nanoseconds after the source's first packet (made non-decreasing).
    rel_ns: i64,
    orig_len: u32,
    data: Vec<u8>,
}

struct Source {
    name: String,
    packets: Vec<Packet>,
    /// Added to the third octet of 10/8 addresses so that sources sharing addresses stay apart.
    third_octet_offset: u8,
    first_ns: i64,
    len: u64,
    fnv: u64,
}

/// Generates `out` (at least `size_mb` MB) from the Ethernet pcaps in `sources_dir`, unless a
/// matching one is already there.
pub fn ensure(out: &Path, sources_dir: &Path, size_mb: u64) -> Result<Capture> {
    let sources = load_sources(sources_dir)?;
    let round_bytes: u64 = sources
        .iter()
        .flat_map(|s| &s.packets)
        .map(|p| 16 + p.data.len() as u64)
        .sum();
    let round_packets: u64 = sources.iter().map(|s| s.packets.len() as u64).sum();
    let target = size_mb * 1_000_000;
    let rounds = target.saturating_sub(24).div_ceil(round_bytes).max(1);
    let bytes = 24 + rounds * round_bytes;
    let packets = rounds * round_packets;
    let longest = sources
        .iter()
        .filter_map(|s| s.packets.last())
        .map(|p| p.rel_ns)
        .max()
        .unwrap_or(0);
    let duration_s = ((rounds as i64 - 1) * ROUND_STEP_NS + longest) as f64 / 1e9;

    let mut stamp = format!("callscope bench capture, generator v{GENERATOR_VERSION}\nsize_mb {size_mb}\nrounds {rounds}\n");
    for s in &sources {
        stamp += &format!("source {} {} {:016x}\n", s.name, s.len, s.fnv);
    }
    stamp += &format!("bytes {bytes}\npackets {packets}\n");

    let stamp_path = out.with_extension("pcap.stamp");
    let names = sources.iter().map(|s| s.name.clone()).collect();
    let reusable = std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp)
        && std::fs::metadata(out).is_ok_and(|m| m.len() == bytes);
    if reusable {
        return Ok(Capture {
            path: out.to_path_buf(),
            bytes,
            packets,
            rounds,
            sources: names,
            duration_s,
            reused: true,
        });
    }

    let _ = std::fs::remove_file(&stamp_path);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = out.with_extension("pcap.partial");
    let (written_bytes, written_packets) =
        write(&tmp, &sources, rounds).with_context(|| format!("writing {}", tmp.display()))?;
    if written_bytes != bytes || written_packets != packets {
        bail!("generator wrote {written_bytes} bytes / {written_packets} packets, expected {bytes} / {packets}");
    }
    std::fs::rename(&tmp, out).with_context(|| format!("renaming to {}", out.display()))?;
    std::fs::write(&stamp_path, stamp)
        .with_context(|| format!("writing {}", stamp_path.display()))?;
    Ok(Capture {
        path: out.to_path_buf(),
        bytes,
        packets,
        rounds,
        sources: names,
        duration_s,
        reused: false,
    })
}

fn load_sources(dir: &Path) -> Result<Vec<Source>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    paths.sort();
    let mut sources = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (link_type, records) =
            read_pcap(&bytes).with_context(|| format!("parsing {}", path.display()))?;
        if link_type != LINKTYPE_ETHERNET || records.is_empty() {
            continue;
        }
        let first_ns = records[0].0;
        let mut last = 0;
        let packets = records
            .into_iter()
            .map(|(ts, orig_len, data)| {
                last = (ts - first_ns).max(last);
                Packet {
                    rel_ns: last,
                    orig_len,
                    data,
                }
            })
            .collect();
        sources.push(Source {
            name,
            packets,
            third_octet_offset: 0,
            first_ns,
            len: bytes.len() as u64,
            fnv: fnv1a(&bytes),
        });
    }
    if sources.is_empty() {
        bail!("no Ethernet pcap in {}", dir.display());
    }
    assign_third_octet_offsets(&mut sources);
    Ok(sources)
}

/// Gives each source the smallest third-octet offset under which its 10/8 (second, third) octet
/// pairs meet no other source's.
fn assign_third_octet_offsets(sources: &mut [Source]) {
    let mut taken = std::collections::HashSet::new();
    for source in sources.iter_mut() {
        let mut pairs = std::collections::BTreeSet::new();
        for p in &source.packets {
            for a in ipv4_addresses(&p.data) {
                if a[0] == 10 {
                    pairs.insert((a[1], a[2]));
                }
            }
        }
        let offset = (0u8..=255)
            .find(|&off| {
                pairs.iter().all(|&(b, c)| {
                    !taken.contains(&(b, shift_digits(u64::from(c), u64::from(off), 0, 255) as u8))
                })
            })
            .unwrap_or(0);
        for &(b, c) in &pairs {
            taken.insert((
                b,
                shift_digits(u64::from(c), u64::from(offset), 0, 255) as u8,
            ));
        }
        source.third_octet_offset = offset;
    }
}

/// The IPv4 source and destination of an Ethernet frame, if it carries IPv4.
fn ipv4_addresses(frame: &[u8]) -> Vec<[u8; 4]> {
    let Some((ethertype, off)) = ethertype(frame) else {
        return Vec::new();
    };
    let p = &frame[off..];
    match ethertype {
        0x0800 if p.len() >= 20 && p[0] >> 4 == 4 => vec![addr4(p, 12), addr4(p, 16)],
        0x0806 if p.len() >= 28 && be16(p, 2) == 0x0800 && p[5] == 4 => {
            vec![addr4(p, 14), addr4(p, 24)]
        }
        _ => Vec::new(),
    }
}

/// A record: timestamp (ns), orig_len, captured bytes.
type Record = (i64, u32, Vec<u8>);

/// Reads a capture with the project's own reader: the link type of its first frame and its
/// records. A file the reader stops on, or one with a frame beyond the snap length, is refused:
/// the bench must copy whole sources.
fn read_pcap(b: &[u8]) -> Result<(u32, Vec<Record>)> {
    let mut reader = callscope_wire::Reader::new();
    let mut records = Vec::new();
    let mut link_type = None;
    let mut oversized = None;
    reader
        .push(b, &mut |f| {
            link_type.get_or_insert(f.link_type);
            if f.data.len() > SNAPLEN as usize {
                oversized.get_or_insert(f.index);
            }
            records.push((f.ts_ns, f.orig_len, f.data.to_vec()));
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match reader.finish() {
        callscope_wire::capture::Ending::Clean => {}
        callscope_wire::capture::Ending::Truncated { detail } => bail!("cut short: {detail}"),
        callscope_wire::capture::Ending::Stopped(e) => bail!("{e}"),
    }
    if let Some(frame) = oversized {
        bail!("frame {frame} is longer than the snap length {SNAPLEN}");
    }
    Ok((link_type.unwrap_or(LINKTYPE_ETHERNET), records))
}

/// Writes `rounds` copies of every source, merged by time. Returns (bytes, packets) written.
fn write(path: &Path, sources: &[Source], rounds: u64) -> Result<(u64, u64)> {
    let file = File::create(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&SNAPLEN.to_le_bytes());
    header.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    out.write_all(&header)?;

    // Copy k of every source starts at base + k·step; times are kept to the microsecond.
    let base = sources.iter().map(|s| s.first_ns).min().unwrap_or(0) / 1000 * 1000;
    let time_of =
        |k: u64, s: usize, i: usize| base + k as i64 * ROUND_STEP_NS + sources[s].packets[i].rel_ns;
    // (time, round, source, index): ties go to the earlier round, then source, then record.
    let mut heap = BinaryHeap::new();
    for k in 0..rounds {
        for s in 0..sources.len() {
            heap.push(Reverse((time_of(k, s, 0), k, s, 0usize)));
        }
    }
    let (mut bytes, mut packets) = (24u64, 0u64);
    let mut buf = Vec::with_capacity(SNAPLEN as usize);
    let n_sources = sources.len() as u64;
    while let Some(Reverse((t, k, s, i))) = heap.pop() {
        let source = &sources[s];
        let packet = &source.packets[i];
        buf.clear();
        buf.extend_from_slice(&packet.data);
        let slot = Slot {
            round: k,
            copy: k * n_sources + s as u64,
            third_octet_offset: source.third_octet_offset,
        };
        rewrite_frame(&mut buf, &slot);
        let (sec, usec) = (
            t.div_euclid(1_000_000_000),
            t.rem_euclid(1_000_000_000) / 1000,
        );
        let mut rec = [0u8; 16];
        rec[0..4].copy_from_slice(&(sec as u32).to_le_bytes());
        rec[4..8].copy_from_slice(&(usec as u32).to_le_bytes());
        rec[8..12].copy_from_slice(&(buf.len() as u32).to_le_bytes());
        rec[12..16].copy_from_slice(&packet.orig_len.max(buf.len() as u32).to_le_bytes());
        out.write_all(&rec)?;
        out.write_all(&buf)?;
        bytes += 16 + buf.len() as u64;
        packets += 1;
        if i + 1 < source.packets.len() {
            heap.push(Reverse((time_of(k, s, i + 1), k, s, i + 1)));
        }
    }
    out.flush()?;
    Ok((bytes, packets))
}

/// FNV-1a (64-bit): a quick fingerprint of a file's bytes.
pub(crate) fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ---- rewriting one frame ----

/// Which copy a packet belongs to.
struct Slot {
    /// k: the round.
    round: u64,
    /// k·S + s: unique per copy.
    copy: u64,
    third_octet_offset: u8,
}

impl Slot {
    fn v4(&self, a: [u8; 4]) -> [u8; 4] {
        if a[0] != 10 {
            return a;
        }
        [
            10,
            shift_digits(u64::from(a[1]), self.round, 0, 255) as u8,
            shift_digits(u64::from(a[2]), u64::from(self.third_octet_offset), 0, 255) as u8,
            a[3],
        ]
    }

    fn v6(&self, mut a: [u8; 16]) -> [u8; 16] {
        if a[0] & 0xfe == 0xfc {
            let g = u16::from_be_bytes([a[6], a[7]]).wrapping_add(self.copy as u16);
            a[6..8].copy_from_slice(&g.to_be_bytes());
        }
        a
    }

    fn port(&self, p: u16) -> u16 {
        if is_service_port(p) {
            p
        } else {
            shift_digits(u64::from(p), self.round, 1024, 65535) as u16
        }
    }

    fn ssrc(&self, x: u32) -> u32 {
        shift_digits(
            u64::from(x),
            self.copy.wrapping_mul(104_729),
            0,
            u64::from(u32::MAX),
        ) as u32
    }
}

/// Ports that name a service: kept so that dissectors still recognise the traffic.
fn is_service_port(p: u16) -> bool {
    p < 1024
        || matches!(
            p,
            1701 | 1723 | 1900 | 3478..=3481 | 4500 | 5060 | 5061 | 5349 | 5353 | 5355 | 8443
        )
}

/// Adds `by` to `x` modulo the range of numbers with as many decimal digits as `x` (clamped to
/// `min..=max`), so that its text keeps its length. `x` outside that range is returned as is.
fn shift_digits(x: u64, by: u64, min: u64, max: u64) -> u64 {
    let digits = x.checked_ilog10().unwrap_or(0) + 1;
    let lo = if digits == 1 {
        0
    } else {
        10u64.pow(digits - 1)
    }
    .max(min);
    let hi = (10u64.saturating_pow(digits) - 1).min(max);
    if x < lo || x > hi {
        return x;
    }
    lo + (x - lo + by % (hi - lo + 1)) % (hi - lo + 1)
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn addr4(b: &[u8], at: usize) -> [u8; 4] {
    [b[at], b[at + 1], b[at + 2], b[at + 3]]
}

/// The EtherType after any VLAN tags, and where its payload starts.
fn ethertype(f: &[u8]) -> Option<(u16, usize)> {
    if f.len() < 14 {
        return None;
    }
    let (mut et, mut off) = (be16(f, 12), 14);
    while matches!(et, 0x8100 | 0x88a8) && f.len() >= off + 4 {
        et = be16(f, off + 2);
        off += 4;
    }
    Some((et, off))
}

fn rewrite_frame(f: &mut [u8], slot: &Slot) {
    let Some((et, off)) = ethertype(f) else {
        return;
    };
    let p = &mut f[off..];
    match et {
        0x0800 => rewrite_ipv4(p, slot),
        0x86dd => rewrite_ipv6(p, slot),
        0x0806 if p.len() >= 28 && be16(p, 2) == 0x0800 && p[5] == 4 => {
            for at in [14, 24] {
                let a = slot.v4(addr4(p, at));
                p[at..at + 4].copy_from_slice(&a);
            }
        }
        _ => {}
    }
}

fn rewrite_ipv4(p: &mut [u8], slot: &Slot) {
    if p.len() < 20 || p[0] >> 4 != 4 {
        return;
    }
    let ihl = usize::from(p[0] & 0x0f) * 4;
    if ihl < 20 || ihl > p.len() {
        return;
    }
    for at in [12, 16] {
        let a = slot.v4(addr4(p, at));
        p[at..at + 4].copy_from_slice(&a);
    }
    p[10..12].fill(0);
    let sum = checksum(0, &p[..ihl]);
    p[10..12].copy_from_slice(&sum.to_be_bytes());

    let total = usize::from(be16(p, 2));
    let more_fragments = p[6] & 0x20 != 0;
    let frag_offset = be16(p, 6) & 0x1fff;
    if frag_offset != 0 || total < ihl {
        return;
    }
    let complete = total <= p.len() && !more_fragments;
    let end = total.min(p.len());
    let protocol = p[9];
    let mut pseudo = [0u8; 12];
    pseudo[0..8].copy_from_slice(&p[12..20]);
    pseudo[9] = protocol;
    pseudo[10..12].copy_from_slice(&((total - ihl) as u16).to_be_bytes());
    rewrite_transport(&mut p[ihl..end], protocol, complete, &pseudo, false, slot);
}

fn rewrite_ipv6(p: &mut [u8], slot: &Slot) {
    if p.len() < 40 || p[0] >> 4 != 6 {
        return;
    }
    for at in [8, 24] {
        let mut a = [0u8; 16];
        a.copy_from_slice(&p[at..at + 16]);
        p[at..at + 16].copy_from_slice(&slot.v6(a));
    }
    let payload_len = usize::from(be16(p, 4));
    let protocol = p[6];
    let complete = 40 + payload_len <= p.len();
    let end = (40 + payload_len).min(p.len());
    let mut pseudo = [0u8; 40];
    pseudo[0..32].copy_from_slice(&p[8..40]);
    pseudo[32..36].copy_from_slice(&(payload_len as u32).to_be_bytes());
    pseudo[39] = protocol;
    rewrite_transport(&mut p[40..end], protocol, complete, &pseudo, true, slot);
}

/// Rewrites ports, SSRCs and SIP text of a UDP or TCP segment (or only the checksum of ICMPv6)
/// and recomputes its checksum when the whole segment is present.
fn rewrite_transport(
    l4: &mut [u8],
    protocol: u8,
    complete: bool,
    pseudo: &[u8],
    v6: bool,
    slot: &Slot,
) {
    let checksum_at = match protocol {
        17 if l4.len() >= 8 => 6,
        6 if l4.len() >= 20 => 16,
        58 if v6 && l4.len() >= 4 => 2,
        _ => return,
    };
    if protocol != 58 {
        let (src, dst) = (be16(l4, 0), be16(l4, 2));
        l4[0..2].copy_from_slice(&slot.port(src).to_be_bytes());
        l4[2..4].copy_from_slice(&slot.port(dst).to_be_bytes());
        let payload_at = if protocol == 17 {
            8
        } else {
            (usize::from(l4[12] >> 4) * 4).clamp(20, l4.len())
        };
        let payload_end = if protocol == 17 {
            usize::from(be16(l4, 4)).clamp(8, l4.len())
        } else {
            l4.len()
        };
        let payload = &mut l4[payload_at..payload_end];
        if is_sip(payload) {
            rewrite_sip(payload, slot);
        } else if protocol == 17 && !is_service_port(src) && !is_service_port(dst) {
            rewrite_rtp(payload, slot);
        }
    }
    let original = be16(l4, checksum_at);
    if protocol == 17 && !v6 && (original == 0 || !complete) {
        // No checksum, or one over bytes we do not have: IPv4 allows none.
        l4[6..8].fill(0);
        return;
    }
    if !complete {
        return;
    }
    l4[checksum_at..checksum_at + 2].fill(0);
    let mut sum = checksum(checksum(0, pseudo) ^ 0xffff, l4);
    if protocol == 17 && sum == 0 {
        sum = 0xffff;
    }
    l4[checksum_at..checksum_at + 2].copy_from_slice(&sum.to_be_bytes());
}

/// Internet checksum (RFC 1071) of `data`, continuing from the partial (uncomplemented) `start`;
/// returns the complement.
fn checksum(start: u16, data: &[u8]) -> u16 {
    let mut sum = u32::from(start);
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn is_sip(payload: &[u8]) -> bool {
    let head = &payload[..payload.len().min(256)];
    head.windows(7).any(|w| w == b"SIP/2.0")
}

/// RTP: the SSRC and CSRCs; RTCP (compound): every SSRC field of SR, RR, SDES, BYE, APP and
/// feedback packets.
fn rewrite_rtp(p: &mut [u8], slot: &Slot) {
    if p.len() < 8 || p[0] & 0xc0 != 0x80 {
        return;
    }
    let map = |p: &mut [u8], at: usize, end: usize| {
        if at + 4 <= end {
            let x = u32::from_be_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]]);
            p[at..at + 4].copy_from_slice(&slot.ssrc(x).to_be_bytes());
        }
    };
    if !(200..=206).contains(&p[1]) {
        if p.len() >= 12 {
            map(p, 8, p.len());
            for i in 0..usize::from(p[0] & 0x0f) {
                map(p, 12 + 4 * i, p.len());
            }
        }
        return;
    }
    let mut off = 0;
    while off + 8 <= p.len() && p[off] & 0xc0 == 0x80 {
        let count = usize::from(p[off] & 0x1f);
        let end = (off + (usize::from(be16(p, off + 2)) + 1) * 4).min(p.len());
        match p[off + 1] {
            200 | 201 => {
                map(p, off + 4, end);
                let blocks = off + if p[off + 1] == 200 { 28 } else { 8 };
                for i in 0..count {
                    map(p, blocks + 24 * i, end);
                }
            }
            202 => {
                let mut at = off + 4;
                for _ in 0..count {
                    map(p, at, end);
                    at += 4;
                    while at < end && p[at] != 0 {
                        at += 2 + if at + 1 < end {
                            usize::from(p[at + 1])
                        } else {
                            0
                        };
                    }
                    at = (at + 4) & !3; // the end item, then padding to a 32-bit boundary
                }
            }
            203 => (0..count).for_each(|i| map(p, off + 4 + 4 * i, end)),
            204 => map(p, off + 4, end),
            205 | 206 => {
                map(p, off + 4, end);
                map(p, off + 8, end);
            }
            _ => {}
        }
        off = end;
    }
}

/// Same-length rewriting of SIP/SDP text: dotted IPv4 addresses, `m=` and `a=rtcp:` ports,
/// `a=ssrc:` values.
fn rewrite_sip(p: &mut [u8], slot: &Slot) {
    let mut i = 0;
    while i < p.len() {
        let boundary = i == 0 || !(p[i - 1].is_ascii_digit() || p[i - 1] == b'.');
        if boundary && p[i].is_ascii_digit() {
            if let Some((addr, len)) = parse_dotted(&p[i..]) {
                let text = Ipv4Addr::from(slot.v4(addr)).to_string();
                if text.len() == len {
                    p[i..i + len].copy_from_slice(text.as_bytes());
                }
                i += len;
                continue;
            }
        }
        if i == 0 || p[i - 1] == b'\n' {
            let line = &p[i..];
            let number_at = if line.starts_with(b"m=") {
                line.iter()
                    .take_while(|&&c| c != b'\r' && c != b'\n')
                    .position(|&c| c == b' ')
                    .map(|sp| sp + 1)
            } else if line.starts_with(b"a=rtcp:") || line.starts_with(b"a=ssrc:") {
                Some(7)
            } else {
                None
            };
            if let Some(at) = number_at {
                let digits = line[at..].iter().take_while(|c| c.is_ascii_digit()).count();
                let value = std::str::from_utf8(&line[at..at + digits])
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok());
                let mapped = match value {
                    Some(v) if line.starts_with(b"a=ssrc:") => {
                        u32::try_from(v).ok().map(|v| u64::from(slot.ssrc(v)))
                    }
                    Some(v) => u16::try_from(v).ok().map(|v| u64::from(slot.port(v))),
                    None => None,
                };
                if let Some(m) = mapped {
                    let text = m.to_string();
                    if text.len() == digits {
                        p[i + at..i + at + digits].copy_from_slice(text.as_bytes());
                    }
                }
            }
        }
        i += 1;
    }
}

/// A dotted quad at the start of `b` (not followed by more digits or dots-and-digits), and its
/// length.
fn parse_dotted(b: &[u8]) -> Option<([u8; 4], usize)> {
    let mut addr = [0u8; 4];
    let mut at = 0;
    for (n, octet) in addr.iter_mut().enumerate() {
        if n > 0 {
            if b.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
        let digits = b[at..]
            .iter()
            .take(4)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 3 {
            return None;
        }
        let v: u16 = std::str::from_utf8(&b[at..at + digits])
            .ok()?
            .parse()
            .ok()?;
        *octet = u8::try_from(v).ok()?;
        at += digits;
    }
    let continues = b.get(at) == Some(&b'.') && b.get(at + 1).is_some_and(u8::is_ascii_digit);
    (!continues).then_some((addr, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(round: u64) -> Slot {
        Slot {
            round,
            copy: round * 6 + 1,
            third_octet_offset: 1,
        }
    }

    #[test]
    fn digit_shift_keeps_length_and_range() {
        assert_eq!(shift_digits(99, 1, 0, 255), 10);
        assert_eq!(shift_digits(99, 0, 0, 255), 99);
        assert_eq!(shift_digits(3, 1, 0, 255), 4);
        assert_eq!(shift_digits(9, 1, 0, 255), 0);
        assert_eq!(shift_digits(255, 1, 0, 255), 100);
        assert_eq!(shift_digits(6000, 5, 1024, 65535), 6005);
        assert_eq!(shift_digits(9999, 1, 1024, 65535), 1024);
        assert_eq!(shift_digits(65535, 1, 1024, 65535), 10000);
        assert_eq!(
            shift_digits(u64::from(u32::MAX), 1, 0, u64::from(u32::MAX)),
            1_000_000_000
        );
    }

    #[test]
    fn sip_text_is_rewritten_in_place() {
        let mut text = b"INVITE sip:a@10.99.3.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.99.3.2:5060\r\nContent-Length: 3\r\n\r\nv=0\r\nc=IN IP4 10.99.3.1\r\nm=audio 6000 RTP/AVP 0\r\na=rtcp:6001\r\na=ssrc:878749205 cname:x\r\n".to_vec();
        let len = text.len();
        rewrite_sip(&mut text, &slot(2));
        let s = String::from_utf8(text).unwrap_or_default();
        assert_eq!(s.len(), len);
        assert!(s.contains("sip:a@10.11.4.1 SIP/2.0"), "{s}");
        assert!(s.contains("UDP 10.11.4.2:5060"), "{s}");
        assert!(s.contains("c=IN IP4 10.11.4.1\r\n"), "{s}");
        assert!(s.contains("m=audio 6002 RTP/AVP 0"), "{s}");
        assert!(s.contains("a=rtcp:6003"), "{s}");
        assert!(
            s.contains(&format!("a=ssrc:{} ", slot(2).ssrc(878_749_205))),
            "{s}"
        );
        assert!(s.contains("Content-Length: 3\r\n"), "{s}");
    }

    #[test]
    fn checksums_verify_after_rewrite() {
        // Ethernet + IPv4 + UDP with a payload, checksums computed by the rewrite of copy 0
        // (identity), then verified after the rewrite of copy 3.
        let mut f = vec![0u8; 14];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let payload = b"\x80\x00\x00\x01\x00\x00\x00\xa0\x12\x34\x56\x78abcd";
        let total = 20 + 8 + payload.len();
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 99, 3, 1, 10, 99, 3, 2,
        ];
        ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        f.extend_from_slice(&ip);
        f.extend_from_slice(&[
            0x17,
            0x70,
            0x17,
            0x70,
            0,
            (8 + payload.len()) as u8,
            0x12,
            0x34,
        ]);
        f.extend_from_slice(payload);
        rewrite_frame(
            &mut f,
            &Slot {
                round: 0,
                copy: 0,
                third_octet_offset: 0,
            },
        );
        rewrite_frame(&mut f, &slot(3));
        assert_eq!(checksum(0, &f[14..34]), 0);
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&f[26..34]);
        pseudo.extend_from_slice(&[0, 17, 0, (8 + payload.len()) as u8]);
        pseudo.extend_from_slice(&f[34..]);
        assert_eq!(checksum(0, &pseudo), 0);
        assert_eq!(&f[26..34], &[10, 12, 4, 1, 10, 12, 4, 2]);
        assert_eq!(be16(&f, 34), 6003);
        assert_ne!(&f[42 + 8..42 + 12], &[0x12, 0x34, 0x56, 0x78]);
    }
}
