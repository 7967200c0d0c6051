//! What to say about the capture itself beyond its numbers: the limits it hit (what bounded
//! memory made the analysis drop) and interfaces whose clocks disagree.

use callscope_analysis::Report;

use crate::format;

/// Every non-zero "dropped to stay bounded" counter of the report, in words, with its count.
pub fn limits_hit(r: &Report) -> Vec<(&'static str, u64)> {
    let d = &r.sip.dropped;
    [
        ("flows evicted from the flow table", r.limits.flows_evicted),
        ("endpoints not tracked", r.limits.endpoints_dropped),
        ("IP fragments dropped", r.limits.fragments_dropped),
        ("TCP bytes not reassembled", r.limits.tcp_bytes_dropped),
        (
            "ICMP errors not attached to their conversation",
            r.limits.icmp_errors_dropped,
        ),
        ("IKE SAs not tracked", r.ike.tunnels_dropped),
        ("ESP SAs not tracked", r.ike.esp_sas_dropped),
        ("STUN transactions not tracked", r.stun.transactions_dropped),
        ("TURN allocations not tracked", r.stun.allocations_dropped),
        ("SIP messages of untracked Call-IDs", d.untracked_messages),
        ("SIP stream bytes discarded", d.stream_bytes),
        ("SDP media endpoints not followed", d.media_expectations),
        ("SIP transactions not kept", d.transactions),
        ("SIP registrations/OPTIONS pairs not kept", d.summaries),
        (
            "SIP messages kept without header details",
            d.message_details,
        ),
        ("RTP streams not tracked", r.rtp.streams_dropped),
        ("RTCP reports not kept", r.rtcp.reports_dropped),
        ("DNS names asked not tracked", r.limits.dns_queries_dropped),
        ("TLS handshakes not tracked", r.limits.tls_sessions_dropped),
        ("names for addresses not kept", r.limits.names_dropped),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .collect()
}

/// Gaps between interfaces' packets longer than this suggest clocks that disagree.
pub const CLOCK_GAP_S: f64 = 3_600.0;

/// A warning when the interfaces' packets fall in periods more than [`CLOCK_GAP_S`] apart (two
/// interfaces whose clocks differ by months make a "duration" of months).
pub fn clock_warning(r: &Report) -> Option<String> {
    let mut spans: Vec<(f64, f64, String)> = r
        .capture
        .interfaces
        .iter()
        .filter_map(|i| {
            let [a, b] = i.span?;
            Some((
                a,
                b,
                i.name
                    .clone()
                    .unwrap_or_else(|| format!("interface {}", i.index)),
            ))
        })
        .collect();
    if spans.len() < 2 {
        return None;
    }
    callscope_analysis::order::sort_by(&mut spans, |a, b| a.0.total_cmp(&b.0));
    let mut end = spans[0].1;
    let mut before = spans[0].2.clone();
    for (start, stop, name) in spans.iter().skip(1) {
        if start - end > CLOCK_GAP_S {
            return Some(format!(
                "{name}'s packets start {} after {before}'s end: the two interfaces' clocks probably disagree, and the capture's duration ({}) spans the gap.",
                format::duration(start - end),
                format::duration(r.capture.duration)
            ));
        }
        if *stop > end {
            end = *stop;
            before = name.clone();
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use callscope_analysis::report::Interface;

    fn iface(name: &str, span: [f64; 2]) -> Interface {
        Interface {
            name: Some(name.into()),
            span: Some(span),
            ..Interface::default()
        }
    }

    #[test]
    fn interfaces_months_apart_are_called_out() {
        let mut r = Report::default();
        r.capture.duration = 9_783_934.0;
        r.capture.interfaces = vec![
            iface("en0", [0.0, 60.0]),
            iface("pdp_ip0", [9_783_874.0, 9_783_934.0]),
        ];
        let w = clock_warning(&r).unwrap();
        assert!(
            w.starts_with("pdp_ip0's packets start 113 d 5 h after en0's end"),
            "{w}"
        );
        r.capture.interfaces[1].span = Some([30.0, 90.0]);
        assert_eq!(clock_warning(&r), None);
    }

    #[test]
    fn only_nonzero_limits_are_listed() {
        let mut r = Report::default();
        assert!(limits_hit(&r).is_empty());
        r.limits.flows_evicted = 3;
        r.sip.dropped.message_details = 7;
        assert_eq!(
            limits_hit(&r),
            [
                ("flows evicted from the flow table", 3),
                ("SIP messages kept without header details", 7)
            ]
        );
    }
}
