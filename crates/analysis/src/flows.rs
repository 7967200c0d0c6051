//! The flow table: one entry per unordered UDP/TCP 5-tuple, with the side that sent first as the
//! initiator. Bounded: when full, the least recently active eighth is evicted (and counted), so
//! eviction costs O(1) amortised per packet.
//!
//! Speed: every packet costs one hash of its 5-tuple here and none elsewhere if it can be
//! helped. Flows live in a slab the caller addresses by slot, each flow remembers its two
//! endpoint slots, and analyzers keep what they decided about a flow in a [`FlowMemo`] indexed
//! by flow id instead of hashing socket addresses again.

use crate::FastMap;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};

/// What carries a payload: UDP and TCP have ports and flows; another IP protocol (ESP is 50,
/// RFC 4303) has neither. The report writes it as text (`udp`, `tcp`, `ip/50`; serde in
/// `report`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// UDP.
    #[default]
    Udp,
    /// TCP.
    Tcp,
    /// Another IP protocol, by number.
    Ip(u8),
}

/// As the report spells it: `udp`, `tcp`, `ip/50`.
impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so the CLI's columns can give it a width.
        match self {
            Transport::Udp => f.pad("udp"),
            Transport::Tcp => f.pad("tcp"),
            Transport::Ip(p) => f.pad(&format!("ip/{p}")),
        }
    }
}

impl std::str::FromStr for Transport {
    type Err = String;
    /// Reads `udp`, `tcp` or `ip/N`.
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "udp" => Ok(Transport::Udp),
            "tcp" => Ok(Transport::Tcp),
            _ => text
                .strip_prefix("ip/")
                .and_then(|p| p.parse().ok())
                .map(Transport::Ip)
                .ok_or_else(|| format!("not a transport (udp, tcp or ip/N): {text:?}")),
        }
    }
}

impl Transport {
    /// Bits for [`PackedKey`]: bit 0 for TCP, bits 35–43 for another IP protocol.
    fn packed(self) -> u64 {
        match self {
            Transport::Udp => 0,
            Transport::Tcp => 1,
            Transport::Ip(p) => (1 << 43) | (u64::from(p) << 35),
        }
    }
}

/// An unordered 5-tuple: `lo` is the smaller (address, port) side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowKey {
    /// UDP or TCP.
    pub transport: Transport,
    /// The smaller side.
    pub lo: SocketAddr,
    /// The larger side.
    pub hi: SocketAddr,
}

impl FlowKey {
    /// The key of a packet from `src` to `dst`, and whether `src` is the `lo` side.
    pub fn new(transport: Transport, src: SocketAddr, dst: SocketAddr) -> (Self, bool) {
        let src_is_lo = Side::of(src) <= Side::of(dst);
        let (lo, hi) = if src_is_lo { (src, dst) } else { (dst, src) };
        (FlowKey { transport, lo, hi }, src_is_lo)
    }
}

/// One side of a flow as plain integers, ordered as `(IpAddr, port)` is (every IPv4 address
/// before every IPv6 one, then the address bits, then the port): comparing and hashing socket
/// address enums field by field costs more than the rest of a packet's flow lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Side {
    v6: bool,
    bits: u128,
    port: u16,
}

impl Side {
    fn of(a: SocketAddr) -> Side {
        match a.ip() {
            IpAddr::V4(ip) => Side {
                v6: false,
                bits: u128::from(ip.to_bits()),
                port: a.port(),
            },
            IpAddr::V6(ip) => Side {
                v6: true,
                bits: ip.to_bits(),
                port: a.port(),
            },
        }
    }
}

/// The flow table's index key: a [`FlowKey`] as integers (see [`Side`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackedKey {
    lo: u128,
    hi: u128,
    /// Ports, families and transport.
    rest: u64,
}

impl PackedKey {
    fn new(transport: Transport, lo: Side, hi: Side) -> Self {
        PackedKey {
            lo: lo.bits,
            hi: hi.bits,
            rest: (u64::from(lo.port) << 17)
                | (u64::from(hi.port) << 1)
                | transport.packed()
                | u64::from(lo.v6) << 33
                | u64::from(hi.v6) << 34,
        }
    }

    /// The key of a packet from `src` to `dst`, and whether `src` is the `lo` side.
    #[inline]
    fn of_packet(transport: Transport, src: SocketAddr, dst: SocketAddr) -> (Self, bool) {
        let (s, d) = (Side::of(src), Side::of(dst));
        if s <= d {
            (PackedKey::new(transport, s, d), true)
        } else {
            (PackedKey::new(transport, d, s), false)
        }
    }

    fn of(key: &FlowKey) -> Self {
        PackedKey::new(key.transport, Side::of(key.lo), Side::of(key.hi))
    }
}

/// Two or three words instead of the fields one by one: this hash runs once per packet.
impl Hash for PackedKey {
    fn hash<H: Hasher>(&self, h: &mut H) {
        if self.rest >> 33 == 0 {
            // Both IPv4: the addresses fit one word.
            h.write_u64(((self.lo as u64) << 32) | self.hi as u64);
        } else {
            h.write_u128(self.lo);
            h.write_u128(self.hi);
        }
        h.write_u64(self.rest);
    }
}

/// No endpoint slot (the endpoint table was full).
pub const NO_ENDPOINT: u32 = u32::MAX;

/// Counters of one flow.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Creation order, from 1; a flow evicted and seen again gets a new id.
    pub id: u64,
    /// The `lo` side sent the first packet.
    pub initiator_is_lo: bool,
    /// Packets from the initiator.
    pub packets_a_to_b: u64,
    /// Packets to the initiator.
    pub packets_b_to_a: u64,
    /// Bytes from the initiator.
    pub bytes_a_to_b: u64,
    /// Bytes to the initiator.
    pub bytes_b_to_a: u64,
    /// First packet, ns.
    pub first_ns: i64,
    /// Last packet, ns.
    pub last_ns: i64,
    /// Application protocol (the first name given).
    pub protocol: Option<&'static str>,
    /// Process (index into the analyzer's process list).
    pub process: Option<usize>,
    /// Endpoint-table slots of the `lo` and `hi` addresses ([`NO_ENDPOINT`] when not kept),
    /// filled by the caller when the flow is created.
    pub endpoints: [u32; 2],
    /// The interface (file order) of its first packet, filled by the caller when the flow is
    /// created: which link a conversation was on (`en0`, or the tunnel's `ipsec0`).
    pub interface: u32,
}

/// A packet's place in the table.
#[derive(Debug, Clone, Copy)]
pub struct FlowRef {
    /// Slab slot: valid until the next [`FlowTable::record`] (which may evict).
    pub slot: usize,
    /// The flow's id.
    pub id: u64,
    /// The packet created the flow.
    pub created: bool,
    /// The packet's source is the key's `lo` side.
    pub src_is_lo: bool,
}

#[derive(Debug)]
struct Entry {
    key: FlowKey,
    flow: Flow,
    live: bool,
}

/// Flows by 5-tuple, bounded.
#[derive(Debug)]
pub struct FlowTable {
    index: FastMap<PackedKey, u32>,
    slab: Vec<Entry>,
    free: Vec<u32>,
    max: usize,
    next_id: u64,
    /// Flows evicted to stay within bounds.
    pub evicted: u64,
}

impl FlowTable {
    /// A table holding at most `max` flows (at least 8).
    pub fn new(max: usize) -> Self {
        FlowTable {
            index: FastMap::default(),
            slab: Vec::new(),
            free: Vec::new(),
            max: max.max(8),
            next_id: 0,
            evicted: 0,
        }
    }

    /// Flows held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// No flows held.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Counts a packet from `src` to `dst` in its flow (creating it, evicting idle flows when
    /// full).
    pub fn record(
        &mut self,
        transport: Transport,
        src: SocketAddr,
        dst: SocketAddr,
        bytes: u64,
        ts_ns: i64,
    ) -> FlowRef {
        let (packed, src_is_lo) = PackedKey::of_packet(transport, src, dst);
        let (slot, created) = match self.index.get(&packed) {
            Some(&slot) => (slot as usize, false),
            None => {
                let (lo, hi) = if src_is_lo { (src, dst) } else { (dst, src) };
                let key = FlowKey { transport, lo, hi };
                (self.insert(packed, key, src_is_lo, ts_ns), true)
            }
        };
        let flow = &mut self.slab[slot].flow;
        if src_is_lo == flow.initiator_is_lo {
            flow.packets_a_to_b += 1;
            flow.bytes_a_to_b += bytes;
        } else {
            flow.packets_b_to_a += 1;
            flow.bytes_b_to_a += bytes;
        }
        flow.first_ns = flow.first_ns.min(ts_ns);
        flow.last_ns = flow.last_ns.max(ts_ns);
        FlowRef {
            slot,
            id: flow.id,
            created,
            src_is_lo,
        }
    }

    fn insert(&mut self, packed: PackedKey, key: FlowKey, src_is_lo: bool, ts_ns: i64) -> usize {
        if self.index.len() >= self.max {
            self.evict_idle();
        }
        self.next_id += 1;
        let entry = Entry {
            key,
            flow: Flow {
                id: self.next_id,
                initiator_is_lo: src_is_lo,
                packets_a_to_b: 0,
                packets_b_to_a: 0,
                bytes_a_to_b: 0,
                bytes_b_to_a: 0,
                first_ns: ts_ns,
                last_ns: ts_ns,
                protocol: None,
                process: None,
                endpoints: [NO_ENDPOINT; 2],
                interface: 0,
            },
            live: true,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = entry;
                slot as usize
            }
            None => {
                self.slab.push(entry);
                self.slab.len() - 1
            }
        };
        // The slab never holds more than `max` live entries, so slots fit in u32 for any
        // bound a u32 can express; beyond it the index saturates harmlessly at eviction.
        self.index
            .insert(packed, u32::try_from(slot).unwrap_or(u32::MAX));
        slot
    }

    /// The id of the flow between `src` and `dst`, if the table holds it (nothing is counted).
    pub fn find(&self, transport: Transport, src: SocketAddr, dst: SocketAddr) -> Option<u64> {
        let (packed, _) = PackedKey::of_packet(transport, src, dst);
        let slot = *self.index.get(&packed)?;
        self.slab.get(slot as usize).map(|e| e.flow.id)
    }

    /// The flow in `slot` (from [`FlowTable::record`]).
    pub fn at_mut(&mut self, slot: usize) -> Option<&mut Flow> {
        self.slab
            .get_mut(slot)
            .filter(|e| e.live)
            .map(|e| &mut e.flow)
    }

    fn evict_idle(&mut self) {
        let mut ages: Vec<i64> = self
            .slab
            .iter()
            .filter(|e| e.live)
            .map(|e| e.flow.last_ns)
            .collect();
        let cut = ages.len() / 8;
        let (_, threshold, _) = ages.select_nth_unstable(cut);
        let threshold = *threshold;
        // Strictly older flows go first; ties at the threshold fill the rest of the budget.
        let mut evicted = 0;
        for (i, e) in self.slab.iter_mut().enumerate() {
            if e.live && e.flow.last_ns < threshold {
                e.live = false;
                self.index.remove(&PackedKey::of(&e.key));
                self.free.push(i as u32);
                evicted += 1;
            }
        }
        let mut budget = cut.saturating_sub(evicted).max(usize::from(evicted == 0));
        for (i, e) in self.slab.iter_mut().enumerate() {
            if budget == 0 {
                break;
            }
            if e.live && e.flow.last_ns == threshold {
                e.live = false;
                self.index.remove(&PackedKey::of(&e.key));
                self.free.push(i as u32);
                budget -= 1;
                evicted += 1;
            }
        }
        self.evicted += evicted as u64;
    }

    /// The flows in order of creation, sorted where they lie: the index is freed first and the
    /// slab not copied, so that building the report does not hold the table twice over.
    pub fn into_sorted(self) -> impl Iterator<Item = (FlowKey, Flow)> {
        let FlowTable {
            index, mut slab, ..
        } = self;
        drop(index);
        slab.retain(|e| e.live);
        crate::order::sort_by_key(&mut slab, |e| e.flow.id);
        slab.into_iter().map(|e| (e.key, e.flow))
    }

    /// (initiator, responder) of a flow.
    pub fn sides(key: &FlowKey, flow: &Flow) -> (SocketAddr, SocketAddr) {
        if flow.initiator_is_lo {
            (key.lo, key.hi)
        } else {
            (key.hi, key.lo)
        }
    }
}

/// Per-IP counters.
#[derive(Debug, Clone, Default)]
pub struct EndpointCounters {
    /// Packets sent.
    pub tx_packets: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Packets received.
    pub rx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
}

/// Per-IP counters, bounded: addresses beyond `max` are not tracked (and counted). Addresses
/// live in slots that never move, so flows can keep theirs.
#[derive(Debug)]
pub struct EndpointTable {
    index: FastMap<IpAddr, u32>,
    entries: Vec<(IpAddr, EndpointCounters)>,
    max: usize,
    /// Packet sides not counted because the table was full.
    pub dropped: u64,
}

impl EndpointTable {
    /// A table of at most `max` addresses.
    pub fn new(max: usize) -> Self {
        EndpointTable {
            index: FastMap::default(),
            entries: Vec::new(),
            max,
            dropped: 0,
        }
    }

    /// Counts a packet from `src` to `dst`.
    pub fn record(&mut self, src: IpAddr, dst: IpAddr, bytes: u64) {
        let (s, d) = (self.slot(src), self.slot(dst));
        self.record_slots(s, d, bytes);
    }

    /// Counts a packet between two slots from [`EndpointTable::slot`] ([`NO_ENDPOINT`] = the
    /// address was not kept: counted as dropped).
    pub fn record_slots(&mut self, src: u32, dst: u32, bytes: u64) {
        match self.entries.get_mut(src as usize) {
            Some((_, e)) => {
                e.tx_packets += 1;
                e.tx_bytes += bytes;
            }
            None => self.dropped += 1,
        }
        match self.entries.get_mut(dst as usize) {
            Some((_, e)) => {
                e.rx_packets += 1;
                e.rx_bytes += bytes;
            }
            None => self.dropped += 1,
        }
    }

    /// The slot of `addr`, added if there is room; [`NO_ENDPOINT`] if not.
    pub fn slot(&mut self, addr: IpAddr) -> u32 {
        if let Some(&i) = self.index.get(&addr) {
            return i;
        }
        if self.entries.len() >= self.max || self.entries.len() >= NO_ENDPOINT as usize {
            return NO_ENDPOINT;
        }
        let i = self.entries.len() as u32;
        self.entries.push((addr, EndpointCounters::default()));
        self.index.insert(addr, i);
        i
    }

    /// Addresses tracked.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No address tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Each address with its counters, in order of first appearance.
    pub fn iter(&self) -> impl Iterator<Item = &(IpAddr, EndpointCounters)> {
        self.entries.iter()
    }
}

/// Entries of a [`FlowMemo`]: a power of two.
const MEMO_SLOTS: usize = 1 << 16;

/// What an analyzer decided about a flow, cached by flow id so the next packet of the flow need
/// not hash its addresses again. Direct-mapped and bounded (65,536 entries, allocated as
/// ids reach them): flow ids are sequential, so the live flows rarely share an entry, and an
/// entry holding another flow is simply a miss. Flow 0 (no flow) is never cached.
#[derive(Debug)]
pub struct FlowMemo<T> {
    entries: Vec<(u64, T)>,
}

impl<T> Default for FlowMemo<T> {
    fn default() -> Self {
        FlowMemo {
            entries: Vec::new(),
        }
    }
}

impl<T: Default> FlowMemo<T> {
    fn at(flow: u64) -> usize {
        (flow as usize) & (MEMO_SLOTS - 1)
    }

    /// The cached value of `flow`.
    pub fn get_mut(&mut self, flow: u64) -> Option<&mut T> {
        match self.entries.get_mut(Self::at(flow)) {
            Some((id, v)) if *id == flow && flow != 0 => Some(v),
            _ => None,
        }
    }

    /// Caches `value` for `flow` (replacing whatever shared its entry).
    pub fn put(&mut self, flow: u64, value: T) {
        if flow == 0 {
            return;
        }
        let at = Self::at(flow);
        if self.entries.len() <= at {
            self.entries.resize_with(at + 1, || (0, T::default()));
        }
        self.entries[at] = (flow, value);
    }
}

/// A cheap print of a socket address: not a hash, only enough to tell a memo entry's own flow
/// from another that a caller gave the same flow id, while keeping memo entries small (their
/// cache misses are what a memo costs).
pub fn print(a: SocketAddr) -> u64 {
    let ip = match a.ip() {
        IpAddr::V4(v4) => u64::from(v4.to_bits()),
        IpAddr::V6(v6) => {
            let bits = v6.to_bits();
            (bits as u64) ^ ((bits >> 64) as u64).rotate_left(32) ^ (1 << 63)
        }
    };
    ip.rotate_left(16) ^ u64::from(a.port())
}

/// Two sides of a flow, smaller first: the key of per-pair tables that do not care who sent.
pub fn unordered<T: Ord>(a: T, b: T) -> (T, T) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The print of a flow's two sides, either way round.
pub fn pair_print(a: SocketAddr, b: SocketAddr) -> u64 {
    print(a) ^ print(b)
}

/// Bits of a [`PairFilter`]: 64 Ki bits (8 KiB), so the filter stays in a core's cache.
const FILTER_BITS: usize = 1 << 16;

/// A set of unordered address pairs that answers "maybe" or "no" (a one-hash Bloom filter on
/// the pair's [`pair_print`]): an analyzer that keeps the pairs it has seen in a table asks
/// this first, so the datagrams of every other flow skip the table and its memo, which would
/// cost a cache miss each. Pairs cannot be removed.
#[derive(Debug, Clone)]
pub struct PairFilter {
    bits: Vec<u64>,
}

impl Default for PairFilter {
    fn default() -> Self {
        PairFilter {
            bits: vec![0; FILTER_BITS / 64],
        }
    }
}

impl PairFilter {
    fn bit(a: SocketAddr, b: SocketAddr) -> (usize, u64) {
        // SplitMix64's finalizer: prints of neighbouring addresses differ in a few middle bits,
        // which a single multiplication spreads badly.
        let mut h = pair_print(a, b);
        h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let h = (h ^ (h >> 31)) >> 48;
        ((h / 64) as usize, 1 << (h % 64))
    }

    /// Adds the pair `a`–`b` (either way round).
    pub fn insert(&mut self, a: SocketAddr, b: SocketAddr) {
        let (word, bit) = Self::bit(a, b);
        if let Some(w) = self.bits.get_mut(word) {
            *w |= bit;
        }
    }

    /// False only if the pair `a`–`b` was never inserted.
    pub fn may_contain(&self, a: SocketAddr, b: SocketAddr) -> bool {
        let (word, bit) = Self::bit(a, b);
        self.bits.get(word).is_some_and(|w| w & bit != 0)
    }
}

/// A per-flow lookup result that stays true while a table is unchanged: [`FlowMemo`] entries
/// that also carry their 5-tuple's [`pair_print`] (so they serve no other, whatever flow id a
/// caller passes) and the table's version when the result was found.
#[derive(Debug)]
pub struct LookupMemo<T> {
    memo: FlowMemo<Option<Remembered<T>>>,
}

#[derive(Debug, Clone, Copy)]
struct Remembered<T> {
    pair: u64,
    version: u64,
    value: T,
}

impl<T> Default for LookupMemo<T> {
    fn default() -> Self {
        LookupMemo {
            memo: FlowMemo::default(),
        }
    }
}

impl<T: Copy> LookupMemo<T> {
    /// The result remembered for the flow between `a` and `b` (either way) at `version`.
    pub fn get(&mut self, flow: u64, a: SocketAddr, b: SocketAddr, version: u64) -> Option<T> {
        match self.memo.get_mut(flow) {
            Some(Some(r)) if r.version == version && r.pair == pair_print(a, b) => Some(r.value),
            _ => None,
        }
    }

    /// Remembers `value` for the flow between `a` and `b` at `version`.
    pub fn put(&mut self, flow: u64, a: SocketAddr, b: SocketAddr, version: u64, value: T) {
        self.memo.put(
            flow,
            Some(Remembered {
                pair: pair_print(a, b),
                version,
                value,
            }),
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_transport_is_written_and_read_as_the_contracts_words() {
        for (t, text) in [
            (Transport::Udp, "\"udp\""),
            (Transport::Tcp, "\"tcp\""),
            (Transport::Ip(50), "\"ip/50\""),
        ] {
            assert_eq!(serde_json::to_string(&t).unwrap(), text);
            assert_eq!(serde_json::from_str::<Transport>(text).unwrap(), t);
        }
        for bad in ["\"UDP\"", "\"ip/300\"", "\"\"", "17"] {
            assert!(serde_json::from_str::<Transport>(bad).is_err(), "{bad}");
        }
        assert_eq!(format!("{:<5}|", Transport::Tcp), "tcp  |");
    }

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_pair_filter_never_forgets_a_pair_and_mostly_rejects_others() {
        let mut f = PairFilter::default();
        let pair = |i: u32| {
            let a = SocketAddr::new(IpAddr::from((0x0a00_0000 + i).to_be_bytes()), 3478);
            (a, sa("192.0.2.1:40000"))
        };
        for i in 0..1000 {
            let (a, b) = pair(i);
            f.insert(a, b);
        }
        for i in 0..1000 {
            let (a, b) = pair(i);
            assert!(f.may_contain(a, b) && f.may_contain(b, a));
        }
        let maybe = (1000..11_000)
            .filter(|&i| {
                let (a, b) = pair(i);
                f.may_contain(a, b)
            })
            .count();
        // 1000 of 65,536 bits set: about 1.5 % of other pairs say "maybe".
        assert!(maybe < 300, "{maybe} of 10,000 unknown pairs passed");
    }

    #[test]
    fn sides_order_as_socket_addresses_do() {
        let addrs = [
            "0.0.0.0:0",
            "10.0.0.1:5060",
            "10.0.0.1:5061",
            "10.0.0.2:1",
            "255.255.255.255:65535",
            "[::]:0",
            "[::10.0.0.1]:5060",
            "[::ffff:10.0.0.1]:5060",
            "[2001:db8::1]:5060",
            "[2001:db8::1]:4",
            "[ff02::1]:1",
        ]
        .map(sa);
        for a in addrs {
            for b in addrs {
                assert_eq!(
                    Side::of(a).cmp(&Side::of(b)),
                    (a.ip(), a.port()).cmp(&(b.ip(), b.port())),
                    "{a} vs {b}"
                );
                let (key, a_is_lo) = FlowKey::new(Transport::Udp, a, b);
                let (reversed, _) = FlowKey::new(Transport::Udp, b, a);
                assert_eq!(key, reversed);
                assert_eq!(PackedKey::of(&key), PackedKey::of(&reversed));
                assert_eq!(a_is_lo, key.lo == a);
                // Different keys never pack the same (IPv4 and IPv4-compatible IPv6 included).
                let (other, _) = FlowKey::new(Transport::Udp, addrs[1], addrs[6]);
                assert_eq!(PackedKey::of(&key) == PackedKey::of(&other), key == other);
                let (tcp, _) = FlowKey::new(Transport::Tcp, a, b);
                assert_ne!(PackedKey::of(&key), PackedKey::of(&tcp));
            }
        }
    }

    #[test]
    fn first_sender_is_the_initiator_whatever_the_order() {
        let mut t = FlowTable::new(100);
        t.record(
            Transport::Udp,
            sa("10.0.0.9:5060"),
            sa("10.0.0.1:5060"),
            100,
            1,
        );
        t.record(
            Transport::Udp,
            sa("10.0.0.1:5060"),
            sa("10.0.0.9:5060"),
            50,
            2,
        );
        t.record(
            Transport::Udp,
            sa("10.0.0.9:5060"),
            sa("10.0.0.1:5060"),
            100,
            3,
        );
        let flows: Vec<_> = t.into_sorted().collect();
        assert_eq!(flows.len(), 1);
        let (key, flow) = &flows[0];
        let (a, b) = FlowTable::sides(key, flow);
        assert_eq!((a, b), (sa("10.0.0.9:5060"), sa("10.0.0.1:5060")));
        assert_eq!(
            (
                flow.packets_a_to_b,
                flow.bytes_a_to_b,
                flow.packets_b_to_a,
                flow.bytes_b_to_a
            ),
            (2, 200, 1, 50)
        );
    }

    #[test]
    fn full_table_evicts_the_idlest_eighth() {
        let mut t = FlowTable::new(16);
        for port in 0..16u16 {
            t.record(
                Transport::Udp,
                sa(&format!("10.0.0.1:{}", 1000 + port)),
                sa("10.0.0.2:53"),
                1,
                i64::from(port),
            );
        }
        t.record(
            Transport::Udp,
            sa("10.0.0.1:9999"),
            sa("10.0.0.2:53"),
            1,
            100,
        );
        assert_eq!(t.evicted, 2);
        assert_eq!(t.len(), 15);
        let ports: Vec<u16> = t.into_sorted().map(|(k, _)| k.lo.port()).collect();
        assert!(
            !ports.contains(&1000) && !ports.contains(&1001),
            "{ports:?}"
        );
        assert!(ports.contains(&1002) && ports.contains(&9999));
    }

    #[test]
    fn endpoint_table_counts_drops_when_full() {
        let mut t = EndpointTable::new(2);
        t.record("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap(), 10);
        t.record("10.0.0.1".parse().unwrap(), "10.0.0.3".parse().unwrap(), 10);
        assert_eq!(t.dropped, 1);
        assert_eq!(t.len(), 2);
        let a = t.slot("10.0.0.1".parse().unwrap());
        assert_eq!(t.iter().nth(a as usize).unwrap().1.tx_packets, 2);
        assert_eq!(t.slot("10.0.0.3".parse().unwrap()), NO_ENDPOINT);
    }

    #[test]
    fn slots_are_reused_after_eviction_and_keys_hash_alike_both_ways() {
        let mut t = FlowTable::new(8);
        for port in 0..20u16 {
            t.record(
                Transport::Udp,
                sa(&format!("[2001:db8::1]:{}", 1000 + port)),
                sa("10.0.0.2:53"),
                1,
                i64::from(port),
            );
        }
        assert!(t.slab.len() <= 8, "slab grew to {}", t.slab.len());
        assert_eq!(t.len() as u64 + t.evicted, 20);
        let r = t.record(
            Transport::Udp,
            sa("10.0.0.2:53"),
            sa("[2001:db8::1]:1019"),
            1,
            30,
        );
        assert!(!r.created && r.src_is_lo);
        let f = t.at_mut(r.slot).unwrap();
        assert_eq!((f.packets_a_to_b, f.packets_b_to_a), (1, 1));
    }

    #[test]
    fn memo_hits_only_its_own_flow() {
        let mut m: FlowMemo<u8> = FlowMemo::default();
        m.put(0, 9);
        assert_eq!(m.get_mut(0), None);
        m.put(5, 1);
        assert_eq!(m.get_mut(5), Some(&mut 1));
        m.put(5 + MEMO_SLOTS as u64, 2);
        assert_eq!(m.get_mut(5), None, "evicted by a flow sharing the entry");
        assert_eq!(m.get_mut(5 + MEMO_SLOTS as u64), Some(&mut 2));
        assert_eq!(m.get_mut(6), None);

        let mut l: LookupMemo<bool> = LookupMemo::default();
        let (a, b, c) = (sa("10.0.0.1:1"), sa("10.0.0.2:2"), sa("10.0.0.3:3"));
        l.put(7, a, b, 1, true);
        assert_eq!(l.get(7, a, b, 1), Some(true));
        assert_eq!(l.get(7, b, a, 1), Some(true), "either direction");
        assert_eq!(l.get(7, a, b, 2), None, "the table changed");
        assert_eq!(l.get(7, a, c, 1), None, "another 5-tuple under the same id");
    }
}
