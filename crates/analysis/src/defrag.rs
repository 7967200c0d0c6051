//! IP fragment reassembly (RFC 791 §3.2, RFC 8200 §4.5), bounded: a datagram is at most 64 KiB,
//! buffers are held for a limited capture time, and the bytes held across all datagrams are capped.
//! Whatever cannot be held is counted as dropped, never allocated.
//!
//! Expiry and eviction take the oldest datagram from an ordered index (by first fragment's time,
//! then arrival), so a fragment costs O(log n) whatever is pending: a scan of every pending
//! datagram per fragment made two million unfinished datagrams take a minute.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::FastMap;

use callscope_wire::net::Fragment;

/// Largest datagram we rebuild (IPv4's limit; IPv6 jumbograms are not fragmented).
const MAX_DATAGRAM: u32 = 65_535;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    id: u32,
}

#[derive(Debug)]
struct Pending {
    /// (offset, bytes), kept sorted by offset.
    parts: Vec<(u32, Vec<u8>)>,
    /// Known once the last fragment (MF = 0) arrived.
    total: Option<u32>,
    held: usize,
    first_ns: i64,
    /// Arrival order, for the index's ties.
    seq: u64,
    fragments: u64,
}

/// Bounded reassembly buffers.
#[derive(Debug)]
pub struct Defragmenter {
    pending: FastMap<Key, Pending>,
    /// The pending datagrams, oldest first: (first fragment's time, arrival) → key.
    by_age: BTreeMap<(i64, u64), Key>,
    next_seq: u64,
    /// Pending datagrams looked at by expiry and eviction (for the complexity test).
    #[cfg(test)]
    visits: u64,
    held: usize,
    max_bytes: usize,
    max_datagrams: usize,
    max_age_ns: i64,
    /// Fragments thrown away.
    pub dropped: u64,
}

impl Defragmenter {
    /// Holds at most `max_bytes` across at most `max_datagrams` datagrams, each for `max_age_ns`.
    pub fn new(max_bytes: usize, max_datagrams: usize, max_age_ns: i64) -> Self {
        Defragmenter {
            pending: FastMap::default(),
            by_age: BTreeMap::new(),
            next_seq: 0,
            #[cfg(test)]
            visits: 0,
            held: 0,
            max_bytes,
            max_datagrams,
            max_age_ns,
            dropped: 0,
        }
    }

    /// Adds a fragment; returns the whole datagram's payload when this fragment completes it.
    pub fn push(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        protocol: u8,
        frag: Fragment,
        data: &[u8],
        ts_ns: i64,
    ) -> Option<Vec<u8>> {
        let end = frag.offset.saturating_add(data.len() as u32);
        if end > MAX_DATAGRAM || (frag.more && !data.len().is_multiple_of(8)) {
            self.dropped += 1;
            return None;
        }
        self.expire(ts_ns);
        let key = Key {
            src,
            dst,
            protocol,
            id: frag.id,
        };
        if !self.pending.contains_key(&key) && self.pending.len() >= self.max_datagrams {
            self.evict_oldest();
        }
        while self.held + data.len() > self.max_bytes && !self.pending.is_empty() {
            self.evict_oldest();
        }
        if self.held + data.len() > self.max_bytes {
            self.dropped += 1;
            return None;
        }
        let entry = match self.pending.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                self.next_seq += 1;
                self.by_age.insert((ts_ns, self.next_seq), key);
                e.insert(Pending {
                    parts: Vec::new(),
                    total: None,
                    held: 0,
                    first_ns: ts_ns,
                    seq: self.next_seq,
                    fragments: 0,
                })
            }
        };
        if !frag.more {
            entry.total = Some(end);
        }
        let at = entry.parts.partition_point(|(o, _)| *o < frag.offset);
        entry.parts.insert(at, (frag.offset, data.to_vec()));
        entry.held += data.len();
        entry.fragments += 1;
        self.held += data.len();
        let total = entry.total?;
        // Complete when the parts cover 0..total without a gap (overlaps: first bytes win).
        let mut covered = 0u32;
        for (offset, bytes) in &entry.parts {
            if *offset > covered {
                return None;
            }
            covered = covered.max(offset + bytes.len() as u32);
        }
        if covered < total {
            return None;
        }
        let done = self.pending.remove(&key)?;
        self.by_age.remove(&(done.first_ns, done.seq));
        self.held -= done.held;
        let mut out = vec![0u8; total as usize];
        let mut filled = 0usize;
        for (offset, bytes) in &done.parts {
            let start = (*offset as usize).max(filled);
            let end = (*offset as usize + bytes.len()).min(total as usize);
            if end > start {
                out[start..end]
                    .copy_from_slice(&bytes[start - *offset as usize..end - *offset as usize]);
                filled = end;
            }
        }
        Some(out)
    }

    /// Drops the datagrams whose first fragment is older than the timeout.
    fn expire(&mut self, now_ns: i64) {
        while let Some((&(first_ns, _), _)) = self.by_age.first_key_value() {
            #[cfg(test)]
            {
                self.visits += 1;
            }
            if now_ns.saturating_sub(first_ns) <= self.max_age_ns {
                break;
            }
            self.evict_oldest();
        }
    }

    /// Drops the datagram whose first fragment came first.
    fn evict_oldest(&mut self) {
        let Some((_, key)) = self.by_age.pop_first() else {
            return;
        };
        if let Some(p) = self.pending.remove(&key) {
            self.held -= p.held;
            self.dropped += p.fragments;
        }
    }

    /// Counts what is still waiting at the end of the capture as dropped.
    pub fn finish(&mut self) {
        self.dropped += self.pending.values().map(|p| p.fragments).sum::<u64>();
        self.pending.clear();
        self.by_age.clear();
        self.held = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(offset: u32, more: bool) -> Fragment {
        Fragment {
            id: 7,
            offset,
            more,
        }
    }

    fn addrs() -> (IpAddr, IpAddr) {
        ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap())
    }

    #[test]
    fn reassembles_out_of_order() {
        let (s, d) = addrs();
        let mut dg = Defragmenter::new(1 << 20, 16, 30_000_000_000);
        assert_eq!(dg.push(s, d, 17, f(16, false), b"tail", 0), None);
        assert_eq!(dg.push(s, d, 17, f(8, true), b"01234567", 1), None);
        let whole = dg.push(s, d, 17, f(0, true), b"abcdefgh", 2).unwrap();
        assert_eq!(whole, b"abcdefgh01234567tail");
        assert_eq!(dg.dropped, 0);
    }

    #[test]
    fn byte_cap_drops_instead_of_growing() {
        let (s, d) = addrs();
        let mut dg = Defragmenter::new(16, 16, 30_000_000_000);
        assert_eq!(dg.push(s, d, 17, f(0, true), &[0; 16], 0), None);
        // A second datagram needs room: the first is evicted and counted.
        let other = Fragment {
            id: 8,
            offset: 0,
            more: true,
        };
        assert_eq!(dg.push(s, d, 17, other, &[0; 8], 1), None);
        assert_eq!(dg.dropped, 1);
        assert!(dg.held <= 16);
    }

    #[test]
    fn old_fragments_expire() {
        let (s, d) = addrs();
        let mut dg = Defragmenter::new(1 << 20, 16, 1_000);
        dg.push(s, d, 17, f(0, true), &[1; 8], 0);
        assert_eq!(dg.push(s, d, 17, f(8, false), &[2; 4], 5_000), None);
        assert_eq!(dg.dropped, 1);
        dg.finish();
        assert_eq!(dg.dropped, 2);
    }

    #[test]
    fn oversized_datagram_is_refused() {
        let (s, d) = addrs();
        let mut dg = Defragmenter::new(1 << 20, 16, 1_000);
        assert_eq!(dg.push(s, d, 17, f(65_528, false), &[0; 16], 0), None);
        assert_eq!(dg.dropped, 1);
    }

    /// Unfinished datagrams (a first fragment each, distinct ids), then one more fragment each:
    /// the work per fragment must not grow with what is pending.
    fn visits_for(n: u32) -> u64 {
        let (s, d) = addrs();
        let mut dg = Defragmenter::new(usize::MAX, usize::MAX, i64::MAX);
        let data = [0u8; 8];
        for id in 0..n {
            let frag = Fragment {
                id,
                offset: 0,
                more: true,
            };
            assert!(dg.push(s, d, 17, frag, &data, i64::from(id)).is_none());
        }
        assert_eq!(dg.pending.len(), n as usize);
        dg.visits
    }

    #[test]
    fn pending_datagrams_cost_each_fragment_the_same() {
        let (small, large) = (visits_for(20_000), visits_for(40_000));
        assert!(
            large <= small * 2 + 10,
            "doubling the fragments took {large} visits instead of about {}",
            small * 2
        );
        assert!(large <= 40_000 * 2, "{large} visits for 40,000 fragments");
    }

    #[test]
    fn the_oldest_datagram_is_evicted_first_and_expired_ones_go() {
        let (s, d) = addrs();
        let mut dg = Defragmenter::new(1 << 20, 2, 10);
        let frag = |id| Fragment {
            id,
            offset: 0,
            more: true,
        };
        dg.push(s, d, 17, frag(1), b"aaaaaaaa", 5);
        dg.push(s, d, 17, frag(2), b"bbbbbbbb", 3);
        dg.push(s, d, 17, frag(3), b"cccccccc", 6); // full: datagram 2 (t = 3) goes
        assert_eq!(dg.dropped, 1);
        assert!(dg.pending.keys().all(|k| k.id != 2));
        dg.push(s, d, 17, frag(4), b"dddddddd", 16); // 16 - 5 > 10: datagram 1 expires
        assert_eq!(dg.dropped, 2);
        assert_eq!(dg.pending.len(), 2);
        assert_eq!(dg.by_age.len(), 2);
        assert_eq!(dg.held, 16);
    }
}
