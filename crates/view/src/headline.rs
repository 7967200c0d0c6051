//! One line per report section, for the overview's cards and the sections' first line: what a
//! person wants to know first ("1 IKE tunnel, NAT-T, 32 ESP packets, 0 lost").

use std::collections::BTreeMap;

use callscope_analysis::Report;

use crate::format::count;

pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// The worst (lowest) MOS among the report's streams.
pub fn worst_mos(report: &Report) -> Option<f64> {
    report
        .rtp
        .streams
        .iter()
        .filter_map(|s| s.mos)
        .min_by(f64::total_cmp)
}

/// Tunnels: `1 IKE tunnel, NAT-T, 32 ESP packets, 0 lost`.
pub fn tunnels(r: &Report) -> String {
    let ike = &r.ike;
    let mut parts = vec![plural(
        ike.tunnels.len() as u64,
        "IKE tunnel",
        "IKE tunnels",
    )];
    if ike.tunnels.iter().any(|t| t.nat_t) {
        parts.push("NAT-T".into());
    }
    let lost: u64 = ike
        .tunnels
        .iter()
        .flat_map(|t| &t.esp)
        .chain(&ike.esp_unattached)
        .map(|e| e.lost)
        .sum();
    parts.push(plural(ike.esp_packets, "ESP packet", "ESP packets"));
    parts.push(format!("{} lost", count(lost)));
    parts.join(", ")
}

/// Calls: `4 calls, 3 answered, 1 rejected, worst MOS 3.87`.
pub fn calls(r: &Report) -> String {
    let sip = &r.sip;
    let mut parts = vec![plural(sip.calls.len() as u64, "call", "calls")];
    let mut states: BTreeMap<&str, u64> = BTreeMap::new();
    for c in &sip.calls {
        *states.entry(c.state.as_str()).or_default() += 1;
    }
    for state in ["answered", "rejected", "cancelled", "failed", "in progress"] {
        if let Some(n) = states.remove(state) {
            parts.push(format!("{} {state}", count(n)));
        }
    }
    for (state, n) in states {
        parts.push(format!("{} {state}", count(n)));
    }
    let worst = sip
        .calls
        .iter()
        .filter_map(|c| crate::media::call_mos(r, c))
        .min_by(f64::total_cmp);
    if let Some(m) = worst {
        parts.push(format!("worst MOS {m:.2}"));
    }
    let others = sip.exchanges.len() as u64;
    if others > 0 {
        parts.push(format!("{} other SIP", count(others)));
    }
    parts.join(", ")
}

/// NAT traversal: `12 STUN transactions, 1 TURN allocation, 40 ChannelData`.
pub fn nat(r: &Report) -> String {
    let s = &r.stun;
    let mut parts = vec![plural(
        s.transactions.len() as u64,
        "STUN transaction",
        "STUN transactions",
    )];
    if !s.allocations.is_empty() {
        parts.push(plural(
            s.allocations.len() as u64,
            "TURN allocation",
            "TURN allocations",
        ));
    }
    if s.channel_data > 0 {
        parts.push(format!("{} ChannelData", count(s.channel_data)));
    }
    let errors: u64 = s.errors.values().sum();
    if errors > 0 {
        parts.push(plural(errors, "error", "errors"));
    }
    parts.join(", ")
}

/// Media: `2 RTP streams, 1 000 packets, 2 lost, worst MOS 4.31`.
pub fn media(r: &Report) -> String {
    let rtp = &r.rtp;
    let mut parts = vec![plural(
        rtp.streams.len() as u64,
        "RTP stream",
        "RTP streams",
    )];
    parts.push(plural(rtp.packets, "packet", "packets"));
    let lost: i64 = rtp.streams.iter().map(|s| s.lost.max(0)).sum();
    parts.push(format!("{} lost", count(lost.unsigned_abs())));
    if let Some(m) = worst_mos(r) {
        parts.push(format!("worst MOS {m:.2}"));
    }
    if r.rtcp.packets > 0 {
        parts.push(format!("{} RTCP", count(r.rtcp.packets)));
    }
    parts.join(", ")
}

/// Network: `14 conversations, 9 endpoints`, and the ICMP errors about them when there are any
/// (`, 53 ICMP errors`).
pub fn network(r: &Report) -> String {
    let icmp = crate::icmp::total(r);
    let mut line = format!(
        "{}, {}",
        plural(
            r.conversations.len() as u64,
            "conversation",
            "conversations"
        ),
        plural(r.endpoints.len() as u64, "endpoint", "endpoints")
    );
    if icmp > 0 {
        line.push_str(&format!(", {}", plural(icmp, "ICMP error", "ICMP errors")));
    }
    line
}

/// Names: `7 names learned, 5 DNS questions (1 failed or unanswered), 3 TLS handshakes`; port
/// hints are not names learned.
pub fn names(r: &Report) -> String {
    let learned = r.names.iter().filter(|n| n.source != "port").count() as u64;
    let mut parts = vec![format!("{} learned", plural(learned, "name", "names"))];
    if r.dns.messages > 0 {
        let failed = r
            .dns
            .queries
            .iter()
            .filter(|q| q.responses == 0 || q.rcode.as_deref().is_some_and(|c| c != "NOERROR"))
            .count() as u64;
        parts.push(format!(
            "{} ({failed} failed or unanswered)",
            plural(r.dns.queries.len() as u64, "DNS question", "DNS questions")
        ));
    }
    if !r.tls.sessions.is_empty() {
        parts.push(plural(
            r.tls.sessions.len() as u64,
            "TLS handshake",
            "TLS handshakes",
        ));
    }
    parts.join(", ")
}

/// Verdicts: `2 verdicts: Wi-Fi calling tunnel to T-Mobile…` (the first's title).
pub fn verdicts(r: &Report) -> String {
    match r.verdicts.first() {
        None => "No verdict: nothing here matched a rule.".to_owned(),
        Some(v) => format!(
            "{}: {}",
            plural(r.verdicts.len() as u64, "verdict", "verdicts"),
            v.title
        ),
    }
}

/// Processes: `3 processes`.
pub fn processes(r: &Report) -> String {
    plural(r.processes.len() as u64, "process", "processes")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use callscope_analysis::ike::{EspReport, TunnelReport};
    use callscope_analysis::sip::report::{Call, CallState};

    #[test]
    fn headlines_say_the_numbers_first() {
        let mut r = Report::default();
        r.ike.tunnels.push(TunnelReport {
            nat_t: true,
            esp: vec![EspReport {
                packets: 32,
                lost: 0,
                ..EspReport::default()
            }],
            ..TunnelReport::default()
        });
        r.ike.esp_packets = 32;
        assert_eq!(tunnels(&r), "1 IKE tunnel, NAT-T, 32 ESP packets, 0 lost");
        for state in [
            CallState::Answered,
            CallState::Answered,
            CallState::Rejected,
        ] {
            r.sip.calls.push(Call {
                state,
                ..Call::default()
            });
        }
        assert_eq!(calls(&r), "3 calls, 2 answered, 1 rejected");
        assert_eq!(network(&r), "0 conversations, 0 endpoints");
        assert_eq!(names(&r), "0 names learned");
        r.dns.messages = 3;
        r.dns
            .queries
            .push(callscope_analysis::dns::report::DnsQuery {
                queries: 1,
                ..Default::default()
            });
        assert_eq!(
            names(&r),
            "0 names learned, 1 DNS question (1 failed or unanswered)"
        );
    }
}
