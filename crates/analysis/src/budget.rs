//! One memory budget, split between every table that grows with what a capture claims.
//!
//! A capture can make any table fill (two million 5-tuples, a million RTP port pairs, a hundred
//! thousand unanswered INVITEs), and a hostile one fills them all at once. So each table gets a
//! fixed share of [`Options::budget`](crate::Options::budget): its bound is the number of entries
//! it holds at [`DEFAULT_BUDGET`] ([`Table::at_default`]), scaled by the budget. An entry's cost
//! ([`Table::entry_bytes`]) is what one entry takes from the first packet to the built report
//! (its state, its report row and the strings in it), measured by the analysis crate's
//! `entry_costs` test, which fails when an entry outgrows the figure written here. The shares
//! ([`Table::share`]) add up to at most [`SHARED`] of the budget; the rest is the reader's
//! buffers, the process and the report's small sections.
//!
//! Beyond its bound a table drops (or evicts its idlest entry) and counts it; the report lists
//! every table that did in `limits.tables`.
//!
//! | table | entries at 128 MiB | bytes each | share |
//! |---|---:|---:|---:|
//! | flows | 32768 | 704 | 17.1 % |
//! | endpoints | 16384 | 256 | 3.1 % |
//! | fragment_bytes | 4194304 | 1 | 3.1 % |
//! | fragment_datagrams | 8192 | 160 | 0.9 % |
//! | tcp_bytes | 4194304 | 1 | 3.1 % |
//! | tcp_streams | 8192 | 1024 | 6.2 % |
//! | icmp_flows | 8192 | 96 | 0.5 % |
//! | sip_call_ids | 3072 | 4608 | 10.5 % |
//! | sip_details | 4194304 | 1 | 3.1 % |
//! | sip_stream_bytes | 4194304 | 1 | 3.1 % |
//! | sip_arrows | 32768 | 96 | 2.3 % |
//! | sip_resend_keys | 16384 | 128 | 1.5 % |
//! | sip_summaries | 8192 | 256 | 1.5 % |
//! | sip_media | 16384 | 64 | 0.7 % |
//! | rtp_streams | 4096 | 2048 | 6.2 % |
//! | rtp_keyed_flows | 16384 | 64 | 0.7 % |
//! | rtcp_reports | 16384 | 128 | 1.5 % |
//! | rtcp_sources | 4096 | 256 | 0.7 % |
//! | stun_transactions | 4096 | 1024 | 3.1 % |
//! | turn_allocations | 4096 | 512 | 1.5 % |
//! | stun_flows | 8192 | 96 | 0.5 % |
//! | stun_stream_bytes | 1048576 | 1 | 0.7 % |
//! | ike_tunnels | 1024 | 2048 | 1.5 % |
//! | esp_sas | 8192 | 96 | 0.5 % |
//! | ike_flows | 8192 | 96 | 0.5 % |
//! | dns_queries | 8192 | 384 | 2.3 % |
//! | dns_stream_bytes | 1048576 | 1 | 0.7 % |
//! | tls_sessions | 8192 | 384 | 2.3 % |
//! | tls_handshake_bytes | 2097152 | 2 | 3.1 % |
//! | names | 8192 | 192 | 1.1 % |
//!
//! Fixed bounds outside the budget, each small or set by something other than the capture's
//! traffic: the reader's 65,536 pcapng interfaces (names cut at 256 bytes; 16 MiB peak RSS for a
//! file of 2.6 M interface blocks), the per-call and per-message caps of SIP (2,000 arrows, 256
//! transactions, 32 dialogs, 64 KiB headers, 256 KiB bodies), 4,096 hierarchy prefixes, the
//! 65,536 processes a facts file may name, and the 65,536-entry flow memos.
//!
//! (Byte tables count bytes, so an entry is a byte. The `entry_costs` test prints what it
//! measured for the tables whose entries are structures; `the_table_above_is_the_constants`
//! checks this table against the constants.)

use crate::report::{Report, TableLimit};

/// The budget of [`crate::Options::default`] and [`crate::Options::for_browser`]: 128 MiB.
pub const DEFAULT_BUDGET: usize = 128 << 20;

/// The part of the budget the tables share, in percent: the rest is the reader, the process and
/// the report's small sections.
pub const SHARED: usize = 85;

/// A table bounded by the budget.
#[derive(Debug)]
pub struct Table {
    /// Its name in `limits.tables`.
    pub name: &'static str,
    /// Entries at [`DEFAULT_BUDGET`].
    pub at_default: usize,
    /// What one entry costs, bytes (measured; see the module docs).
    pub entry_bytes: usize,
    /// Entries whatever the budget, so a tiny budget still analyses something.
    pub floor: usize,
    /// How many entries (or bytes) the report says it dropped; None when nothing counts them.
    pub dropped: Option<fn(&Report) -> u64>,
}

impl Table {
    /// Entries it may hold within `budget` bytes.
    pub fn bound(&self, budget: usize) -> usize {
        let scaled = (self.at_default as u128 * budget as u128 / DEFAULT_BUDGET as u128)
            .min(usize::MAX as u128) as usize;
        scaled.max(self.floor)
    }

    /// Its share of the budget, in per mille.
    pub fn share(&self) -> usize {
        self.at_default * self.entry_bytes * 1000 / DEFAULT_BUDGET
    }
}

const fn table(
    name: &'static str,
    at_default: usize,
    entry_bytes: usize,
    floor: usize,
    dropped: Option<fn(&Report) -> u64>,
) -> Table {
    Table {
        name,
        at_default,
        entry_bytes,
        floor,
        dropped,
    }
}

/// Flows (5-tuples, or address pairs for other IP protocols); the idlest are evicted.
pub const FLOWS: Table = table("flows", 32_768, 704, 8, Some(|r| r.limits.flows_evicted));
/// IP addresses in the endpoint table.
pub const ENDPOINTS: Table = table(
    "endpoints",
    16_384,
    256,
    8,
    Some(|r| r.limits.endpoints_dropped),
);
/// Bytes held in IP fragment buffers (not listed apart: `limits.fragments_dropped` also counts
/// fragments that timed out or never completed).
pub const FRAGMENT_BYTES: Table = table("fragment_bytes", 4 << 20, 1, 2_048, None);
/// Datagrams being reassembled at once (their drops are counted with the bytes').
pub const FRAGMENT_DATAGRAMS: Table = table("fragment_datagrams", 8_192, 160, 2, None);
/// Out-of-order TCP bytes held across all streams (not listed apart: `limits.tcp_bytes_dropped`
/// also counts gaps that never filled).
pub const TCP_BYTES: Table = table("tcp_bytes", 4 << 20, 1, 4_096, None);
/// TCP stream directions reassembled at once (an evicted one's later bytes count as TCP bytes
/// dropped).
pub const TCP_STREAMS: Table = table("tcp_streams", 8_192, 1_024, 8, None);
/// Conversations with ICMP errors attached (its drops are counted in
/// `limits.icmp_errors_dropped` with those of the fixed eight kinds per conversation, so not
/// listed apart).
pub const ICMP_FLOWS: Table = table("icmp_flows", 8_192, 96, 8, None);
/// SIP Call-IDs tracked (calls and exchanges).
pub const SIP_CALL_IDS: Table = table(
    "sip_call_ids",
    3_072,
    4_608,
    8,
    Some(|r| r.sip.dropped.untracked_messages),
);
/// Bytes of ladder message details (start lines and header fields).
pub const SIP_DETAILS: Table = table(
    "sip_details",
    4 << 20,
    1,
    4_096,
    Some(|r| r.sip.dropped.message_details),
);
/// Bytes of partial SIP messages over all TCP streams.
pub const SIP_STREAM_BYTES: Table = table(
    "sip_stream_bytes",
    4 << 20,
    1,
    65_536,
    Some(|r| r.sip.dropped.stream_bytes),
);
/// Ladder arrows over all calls and exchanges.
pub const SIP_ARROWS: Table = table("sip_arrows", 32_768, 96, 64, None);
/// Retransmission-detection keys.
pub const SIP_RESEND_KEYS: Table = table(
    "sip_resend_keys",
    16_384,
    128,
    8,
    Some(|r| r.sip.dropped.resend_keys),
);
/// Registrations and OPTIONS pairs.
pub const SIP_SUMMARIES: Table = table(
    "sip_summaries",
    8_192,
    256,
    8,
    Some(|r| r.sip.dropped.summaries),
);
/// Media endpoints announced in SDP and handed to the RTP analyzer.
pub const SIP_MEDIA: Table = table(
    "sip_media",
    16_384,
    64,
    8,
    Some(|r| r.sip.dropped.media_expectations),
);
/// RTP streams.
pub const RTP_STREAMS: Table = table(
    "rtp_streams",
    4_096,
    2_048,
    8,
    Some(|r| r.rtp.streams_dropped),
);
/// Flows whose RTP is told apart by SSRC (the heuristic's memory).
pub const RTP_KEYED_FLOWS: Table = table("rtp_keyed_flows", 16_384, 64, 8, None);
/// RTCP reports kept for the report.
pub const RTCP_REPORTS: Table = table(
    "rtcp_reports",
    16_384,
    128,
    8,
    Some(|r| r.rtcp.reports_dropped),
);
/// RTCP sources.
pub const RTCP_SOURCES: Table = table(
    "rtcp_sources",
    4_096,
    256,
    8,
    Some(|r| r.rtcp.sources_dropped),
);
/// STUN transactions.
pub const STUN_TRANSACTIONS: Table = table(
    "stun_transactions",
    4_096,
    1_024,
    8,
    Some(|r| r.stun.transactions_dropped),
);
/// TURN allocations.
pub const TURN_ALLOCATIONS: Table = table(
    "turn_allocations",
    4_096,
    512,
    8,
    Some(|r| r.stun.allocations_dropped),
);
/// Flows STUN was seen on (the demultiplexer's memory).
pub const STUN_FLOWS: Table = table("stun_flows", 8_192, 96, 8, None);
/// Bytes buffered over all STUN-over-TCP streams while a message completes (broken streams
/// count in `stun.tcp_desync`).
pub const STUN_STREAM_BYTES: Table = table("stun_stream_bytes", 1 << 20, 1, 131_072, None);
/// IKE SAs (tunnels).
pub const IKE_TUNNELS: Table = table(
    "ike_tunnels",
    1_024,
    2_048,
    8,
    Some(|r| r.ike.tunnels_dropped),
);
/// ESP SAs.
pub const ESP_SAS: Table = table("esp_sas", 8_192, 96, 8, Some(|r| r.ike.esp_sas_dropped));
/// Flows and address pairs IKE was seen on.
pub const IKE_FLOWS: Table = table("ike_flows", 8_192, 96, 8, None);
/// DNS names asked.
pub const DNS_QUERIES: Table = table(
    "dns_queries",
    8_192,
    384,
    8,
    Some(|r| r.limits.dns_queries_dropped),
);
/// Bytes of partial DNS-over-TCP messages over all streams.
pub const DNS_STREAM_BYTES: Table = table("dns_stream_bytes", 1 << 20, 1, 131_072, None);
/// TLS handshakes reported.
pub const TLS_SESSIONS: Table = table(
    "tls_sessions",
    8_192,
    384,
    8,
    Some(|r| r.limits.tls_sessions_dropped),
);
/// Bytes of TLS handshake messages held over all connections (and as much again in partial
/// records).
pub const TLS_HANDSHAKE_BYTES: Table = table(
    "tls_handshake_bytes",
    2 << 20,
    2,
    131_072,
    Some(|r| r.tls.handshake_bytes_dropped),
);
/// Names for addresses (DNS answers, TLS server names).
pub const NAMES: Table = table("names", 8_192, 192, 8, Some(|r| r.limits.names_dropped));

/// Every table bounded by the budget.
pub const TABLES: [&Table; 30] = [
    &FLOWS,
    &ENDPOINTS,
    &FRAGMENT_BYTES,
    &FRAGMENT_DATAGRAMS,
    &TCP_BYTES,
    &TCP_STREAMS,
    &ICMP_FLOWS,
    &SIP_CALL_IDS,
    &SIP_DETAILS,
    &SIP_STREAM_BYTES,
    &SIP_ARROWS,
    &SIP_RESEND_KEYS,
    &SIP_SUMMARIES,
    &SIP_MEDIA,
    &RTP_STREAMS,
    &RTP_KEYED_FLOWS,
    &RTCP_REPORTS,
    &RTCP_SOURCES,
    &STUN_TRANSACTIONS,
    &TURN_ALLOCATIONS,
    &STUN_FLOWS,
    &STUN_STREAM_BYTES,
    &IKE_TUNNELS,
    &ESP_SAS,
    &IKE_FLOWS,
    &DNS_QUERIES,
    &DNS_STREAM_BYTES,
    &TLS_SESSIONS,
    &TLS_HANDSHAKE_BYTES,
    &NAMES,
];

/// The tables that dropped something in `report`, with their bound under `budget`.
pub fn tables_hit(report: &Report, budget: usize) -> Vec<TableLimit> {
    TABLES
        .iter()
        .filter_map(|t| {
            let dropped = (t.dropped?)(report);
            (dropped > 0).then(|| TableLimit {
                table: t.name.to_owned(),
                bound: t.bound(budget) as u64,
                dropped,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_fit_the_budget() {
        let total: usize = TABLES.iter().map(|t| t.share()).sum();
        assert!(
            total <= SHARED * 10,
            "the tables take {total}‰ of the budget, more than {SHARED} %"
        );
        let names: std::collections::HashSet<_> = TABLES.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), TABLES.len(), "a name twice");
    }

    #[test]
    fn the_table_above_is_the_constants() {
        let docs: Vec<Vec<String>> = include_str!("budget.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("//! | "))
            .skip(1)
            .map(|row| {
                row.split(" | ")
                    .map(|c| c.trim_end_matches(" |").to_owned())
                    .collect()
            })
            .collect();
        assert_eq!(docs.len(), TABLES.len());
        for (row, t) in docs.iter().zip(TABLES) {
            let expected = [
                t.name.to_owned(),
                t.at_default.to_string(),
                t.entry_bytes.to_string(),
                format!("{:.1} %", t.share() as f64 / 10.0),
            ];
            assert_eq!(row[..], expected[..], "the module docs' row of {}", t.name);
        }
    }

    #[test]
    fn bounds_scale_with_the_budget_down_to_a_floor() {
        assert_eq!(FLOWS.bound(DEFAULT_BUDGET), 32_768);
        assert_eq!(FLOWS.bound(DEFAULT_BUDGET * 2), 65_536);
        assert_eq!(FLOWS.bound(DEFAULT_BUDGET / 4), 8_192);
        assert_eq!(FLOWS.share(), 171, "per mille");
        assert_eq!(FLOWS.bound(0), 8);
        assert_eq!(SIP_STREAM_BYTES.bound(1), 65_536);
        assert!(FLOWS.bound(usize::MAX) > 1 << 40, "no overflow");
    }
}
