//! DNS lookups that failed: names the resolver said do not exist (NXDOMAIN), could not resolve
//! (SERVFAIL) or would not answer (REFUSED), and questions no answer came back to. A failed
//! lookup of an ePDG or IMS name stops Wi-Fi calling before any packet reaches the carrier.

use super::{count, flow, same_pair, Confidence, Evidence, Input, Verdict};
use crate::dns::report::DnsQuery;
use crate::report::Report;

/// Response codes that mean the lookup failed.
const FAILURE_RCODES: [&str; 3] = ["NXDOMAIN", "SERVFAIL", "REFUSED"];
/// Failed names the detail lists one by one.
const LISTED: usize = 5;

/// One verdict for all unicast DNS lookups that failed or went unanswered (mDNS and LLMNR
/// questions are left out: going unanswered is normal for them). Certain: the responses (or their
/// absence) are in the capture. Silent when every lookup was answered without error.
pub fn failures(input: &Input<'_>) -> Vec<Verdict> {
    let report = input.report;
    let failed: Vec<(&DnsQuery, String)> = report
        .dns
        .queries
        .iter()
        .filter(|q| q.protocol == "dns" || q.protocol.is_empty())
        .filter_map(|q| failure(q).map(|f| (q, f)))
        .collect();
    if failed.is_empty() {
        return Vec::new();
    }
    let mut kinds: Vec<(&str, u64)> = Vec::new();
    for (q, _) in &failed {
        let kind = q
            .rcode
            .as_deref()
            .filter(|r| FAILURE_RCODES.contains(r))
            .unwrap_or("unanswered");
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some(entry) => entry.1 += 1,
            None => kinds.push((kind, 1)),
        }
    }
    let kinds_text: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let listed = &failed[..failed.len().min(LISTED)];
    let mut detail = format!(
        "{}: {}",
        if failed.len() == 1 {
            "One DNS lookup failed"
        } else {
            "DNS lookups failed"
        },
        listed
            .iter()
            .map(|(q, why)| format!("{} ({}) {why}", q.name, q.qtype))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let rest = failed.len() - listed.len();
    if rest > 0 {
        detail.push_str(&format!("; and {rest} more"));
    }
    detail.push_str(
        ". A service whose name does not resolve is never contacted, whatever else works.",
    );
    let mut flows: Vec<String> = Vec::new();
    for (q, _) in listed {
        if let Some(f) = query_flow(report, q).filter(|f| !flows.contains(f)) {
            flows.push(f);
        }
    }
    vec![Verdict {
        id: "dns-failures".to_owned(),
        title: format!(
            "{} failed ({})",
            count(failed.len() as u64, "DNS lookup"),
            kinds_text.join(", ")
        ),
        detail,
        confidence: Confidence::Certain,
        certain_if: None,
        evidence: Evidence {
            flows,
            frames: listed
                .iter()
                .map(|(q, _)| q.frame)
                .filter(|&f| f > 0)
                .collect(),
            ..Evidence::default()
        },
    }]
}

/// Why a lookup failed, in words (`NXDOMAIN from 192.168.1.1:53`, `no answer to 3 queries`),
/// or None when it did not.
fn failure(q: &DnsQuery) -> Option<String> {
    let from = format!(" from {}", q.server);
    match q.rcode.as_deref() {
        Some(r) if FAILURE_RCODES.contains(&r) => Some(format!("{r}{from}")),
        None if q.responses == 0 && q.queries > 0 => {
            let to = format!(" sent to {}", q.server);
            let queries = if q.queries == 1 {
                "1 query".to_owned()
            } else {
                format!("{} queries", q.queries)
            };
            Some(format!("no answer to {queries}{to}"))
        }
        _ => None,
    }
}

/// The conversation that carried a lookup, spelled as the report spells it.
fn query_flow(report: &Report, q: &DnsQuery) -> Option<String> {
    report
        .conversations
        .iter()
        .find(|c| same_pair(&c.a, &c.b, &q.client, &q.server))
        .map(|c| flow(c.transport, c.a, c.b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::DnsReport;
    use crate::report::Conversation;

    const CLIENT: &str = "192.168.1.20:53000";
    const RESOLVER: &str = "192.168.1.1:53";

    fn judge(report: &Report) -> Vec<Verdict> {
        failures(&Input {
            report,
            facts: None,
        })
    }

    fn query(name: &str, rcode: Option<&str>, responses: u64, frame: u64) -> DnsQuery {
        DnsQuery {
            name: name.into(),
            qtype: "A".into(),
            protocol: "dns".into(),
            client: CLIENT.parse().unwrap(),
            server: RESOLVER.parse().unwrap(),
            queries: if responses == 0 { 3 } else { 1 },
            responses,
            rcode: rcode.map(Into::into),
            frame,
            ..DnsQuery::default()
        }
    }

    fn report(queries: Vec<DnsQuery>) -> Report {
        Report {
            dns: DnsReport {
                queries,
                ..DnsReport::default()
            },
            conversations: vec![Conversation {
                transport: crate::report::Transport::Udp,
                a: CLIENT.parse().unwrap(),
                b: RESOLVER.parse().unwrap(),
                ..Conversation::default()
            }],
            ..Report::default()
        }
    }

    #[test]
    fn errors_and_silence_are_listed_with_counts() {
        let r = report(vec![
            query("ok.example.com", Some("NOERROR"), 1, 1),
            query(
                "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org",
                Some("NXDOMAIN"),
                1,
                3,
            ),
            query("broken.example.com", Some("SERVFAIL"), 1, 5),
            query("silent.example.com", None, 0, 7),
        ]);
        let v = judge(&r);
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.id, "dns-failures");
        assert_eq!(v.confidence, Confidence::Certain);
        assert_eq!(
            v.title,
            "3 DNS lookups failed (1 NXDOMAIN, 1 SERVFAIL, 1 unanswered)"
        );
        for words in [
            "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org (A) NXDOMAIN from 192.168.1.1:53",
            "broken.example.com (A) SERVFAIL from 192.168.1.1:53",
            "silent.example.com (A) no answer to 3 queries sent to 192.168.1.1:53",
        ] {
            assert!(v.detail.contains(words), "{words:?} not in {:?}", v.detail);
        }
        assert!(!v.detail.contains("ok.example.com"));
        assert_eq!(v.evidence.frames, vec![3, 5, 7]);
        assert_eq!(
            v.evidence.flows,
            vec!["udp 192.168.1.20:53000 192.168.1.1:53"]
        );
    }

    #[test]
    fn only_five_names_are_listed_and_the_rest_counted() {
        let queries = (0..8)
            .map(|i| query(&format!("n{i}.example.com"), Some("REFUSED"), 1, i + 1))
            .collect();
        let v = judge(&report(queries));
        assert_eq!(v[0].title, "8 DNS lookups failed (8 REFUSED)");
        assert!(v[0].detail.contains("n4.example.com"));
        assert!(!v[0].detail.contains("n5.example.com"));
        assert!(v[0].detail.contains("; and 3 more."));
        assert_eq!(v[0].evidence.frames, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn answered_lookups_and_multicast_questions_are_silent() {
        let mut mdns = query("printer.local", None, 0, 2);
        mdns.protocol = "mdns".into();
        let mut llmnr = query("host", None, 0, 4);
        llmnr.protocol = "llmnr".into();
        let r = report(vec![
            query("ok.example.com", Some("NOERROR"), 1, 1),
            mdns,
            llmnr,
            // A response without a captured query is not a failure.
            DnsQuery {
                queries: 0,
                ..query("late.example.com", None, 0, 6)
            },
        ]);
        assert!(judge(&r).is_empty());
        assert!(judge(&Report::default()).is_empty());
    }
}
