//! The flow table: one entry per unordered UDP/TCP 5-tuple, with the side that sent first as the
//! initiator. Bounded: when full, the least recently active eighth is evicted (and counted), so
//! eviction costs O(1) amortised per packet.

use crate::FastMap;
use std::net::{IpAddr, SocketAddr};

/// The transport of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
}

/// An unordered 5-tuple: `lo` sorts before `hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// UDP or TCP.
    pub transport: Transport,
    /// The lesser endpoint.
    pub lo: SocketAddr,
    /// The greater endpoint.
    pub hi: SocketAddr,
}

impl FlowKey {
    /// The key for a packet from `src` to `dst`, and whether `src` is `lo`.
    pub fn new(transport: Transport, src: SocketAddr, dst: SocketAddr) -> (Self, bool) {
        if (src.ip(), src.port()) <= (dst.ip(), dst.port()) {
            (
                FlowKey {
                    transport,
                    lo: src,
                    hi: dst,
                },
                true,
            )
        } else {
            (
                FlowKey {
                    transport,
                    lo: dst,
                    hi: src,
                },
                false,
            )
        }
    }
}

/// Counters for one flow.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Order of creation (stable id for evidence).
    pub id: u64,
    /// The initiator (first sender) is `lo`.
    pub initiator_is_lo: bool,
    /// Packets from the initiator.
    pub packets_a_to_b: u64,
    /// Packets to the initiator.
    pub packets_b_to_a: u64,
    /// Bytes from the initiator.
    pub bytes_a_to_b: u64,
    /// Bytes to the initiator.
    pub bytes_b_to_a: u64,
    /// First packet time (ns since the epoch).
    pub first_ns: i64,
    /// Last packet time.
    pub last_ns: i64,
    /// Application protocol, once classified.
    pub protocol: Option<&'static str>,
    /// Index into the analyzer's process table.
    pub process: Option<usize>,
}

/// The bounded table.
#[derive(Debug)]
pub struct FlowTable {
    flows: FastMap<FlowKey, Flow>,
    max: usize,
    next_id: u64,
    /// Flows evicted to stay within the bound.
    pub evicted: u64,
}

impl FlowTable {
    /// A table holding at most `max` flows.
    pub fn new(max: usize) -> Self {
        FlowTable {
            flows: FastMap::default(),
            max: max.max(8),
            next_id: 0,
            evicted: 0,
        }
    }

    /// Number of live flows.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// True when no flow is tracked.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// Counts a packet of `bytes` from `src` to `dst`; returns the flow and whether it is new.
    pub fn record(
        &mut self,
        transport: Transport,
        src: SocketAddr,
        dst: SocketAddr,
        bytes: u64,
        ts_ns: i64,
    ) -> (&mut Flow, bool) {
        let (key, src_is_lo) = FlowKey::new(transport, src, dst);
        if !self.flows.contains_key(&key) && self.flows.len() >= self.max {
            self.evict_idle();
        }
        let mut created = false;
        let next_id = &mut self.next_id;
        let flow = self.flows.entry(key).or_insert_with(|| {
            created = true;
            *next_id += 1;
            Flow {
                id: *next_id,
                initiator_is_lo: src_is_lo,
                packets_a_to_b: 0,
                packets_b_to_a: 0,
                bytes_a_to_b: 0,
                bytes_b_to_a: 0,
                first_ns: ts_ns,
                last_ns: ts_ns,
                protocol: None,
                process: None,
            }
        });
        if src_is_lo == flow.initiator_is_lo {
            flow.packets_a_to_b += 1;
            flow.bytes_a_to_b += bytes;
        } else {
            flow.packets_b_to_a += 1;
            flow.bytes_b_to_a += bytes;
        }
        flow.first_ns = flow.first_ns.min(ts_ns);
        flow.last_ns = flow.last_ns.max(ts_ns);
        (flow, created)
    }

    /// The flow of a packet from `src` to `dst`, if tracked.
    pub fn get_mut(
        &mut self,
        transport: Transport,
        src: SocketAddr,
        dst: SocketAddr,
    ) -> Option<&mut Flow> {
        self.flows.get_mut(&FlowKey::new(transport, src, dst).0)
    }

    fn evict_idle(&mut self) {
        let mut ages: Vec<i64> = self.flows.values().map(|f| f.last_ns).collect();
        let cut = ages.len() / 8;
        let (_, threshold, _) = ages.select_nth_unstable(cut);
        let threshold = *threshold;
        let before = self.flows.len();
        // Strictly older flows go first; ties at the threshold fill the rest of the budget.
        self.flows.retain(|_, f| f.last_ns >= threshold);
        let mut budget = cut
            .saturating_sub(before - self.flows.len())
            .max(usize::from(before == self.flows.len()));
        self.flows.retain(|_, f| {
            if budget > 0 && f.last_ns == threshold {
                budget -= 1;
                false
            } else {
                true
            }
        });
        self.evicted += (before - self.flows.len()) as u64;
    }

    /// All flows with their keys, in creation order.
    pub fn into_sorted(self) -> Vec<(FlowKey, Flow)> {
        let mut v: Vec<(FlowKey, Flow)> = self.flows.into_iter().collect();
        v.sort_by_key(|(_, f)| f.id);
        v
    }

    /// The initiator and responder of a flow.
    pub fn sides(key: &FlowKey, flow: &Flow) -> (SocketAddr, SocketAddr) {
        if flow.initiator_is_lo {
            (key.lo, key.hi)
        } else {
            (key.hi, key.lo)
        }
    }
}

/// Per-address totals.
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

/// The bounded endpoint table.
#[derive(Debug)]
pub struct EndpointTable {
    /// Totals per address.
    pub map: FastMap<IpAddr, EndpointCounters>,
    max: usize,
    /// Updates not recorded because the table was full.
    pub dropped: u64,
}

impl EndpointTable {
    /// A table of at most `max` addresses.
    pub fn new(max: usize) -> Self {
        EndpointTable {
            map: FastMap::default(),
            max,
            dropped: 0,
        }
    }

    /// Counts a packet from `src` to `dst` (tshark counts both sides, even when they are equal).
    pub fn record(&mut self, src: IpAddr, dst: IpAddr, bytes: u64) {
        if let Some(e) = self.slot(src) {
            e.tx_packets += 1;
            e.tx_bytes += bytes;
        }
        if let Some(e) = self.slot(dst) {
            e.rx_packets += 1;
            e.rx_bytes += bytes;
        }
    }

    fn slot(&mut self, addr: IpAddr) -> Option<&mut EndpointCounters> {
        if !self.map.contains_key(&addr) && self.map.len() >= self.max {
            self.dropped += 1;
            return None;
        }
        Some(self.map.entry(addr).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
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
        let flows = t.into_sorted();
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
        let ports: Vec<u16> = t.into_sorted().iter().map(|(k, _)| k.lo.port()).collect();
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
        assert_eq!(t.map.len(), 2);
        assert_eq!(t.map[&"10.0.0.1".parse::<IpAddr>().unwrap()].tx_packets, 2);
    }
}
