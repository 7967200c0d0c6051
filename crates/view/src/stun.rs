//! STUN/TURN transactions grouped as a person reads them: one group per method, client, server
//! and transport, with outcomes, round trips and the public mapping learned. The CLI's "NAT
//! traversal" lines and the page's table are both these groups.

use std::collections::BTreeMap;

use callscope_analysis::report::{Socket, Transport};
use callscope_analysis::stun::{Outcome, StunReport};

/// Transactions of one method between one client and one server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    /// `Binding`, `Allocate`, …
    pub method: String,
    /// The requester.
    pub client: Socket,
    /// The responder.
    pub server: Socket,
    /// UDP or TCP.
    pub transport: Transport,
    /// Transactions.
    pub count: u64,
    /// Answered with success.
    pub success: u64,
    /// Error responses by code.
    pub errors: BTreeMap<u16, u64>,
    /// Never answered.
    pub unanswered: u64,
    /// Of which classic RFC 3489 STUN (no magic cookie).
    pub classic: u64,
    /// Mean round trip of the answered ones (ms).
    pub rtt_mean_ms: Option<f64>,
    /// Largest round trip (ms).
    pub rtt_max_ms: Option<f64>,
    /// Public mappings the responses gave, in order.
    pub mapped: Vec<Socket>,
    /// First message, seconds into the capture.
    pub first: f64,
    /// Indexes of its transactions in `stun.transactions`.
    pub transactions: Vec<usize>,
}

impl Group {
    /// `3 ok, 1×420, 2 unanswered`.
    pub fn outcome(&self) -> String {
        let mut parts = vec![format!("{} ok", self.success)];
        for (code, n) in &self.errors {
            parts.push(format!("{n}×{code}"));
        }
        if self.unanswered > 0 {
            parts.push(format!("{} unanswered", self.unanswered));
        }
        parts.join(", ")
    }
}

/// The groups in order of their first transaction.
pub fn groups(stun: &StunReport) -> Vec<Group> {
    let mut order: Vec<Group> = Vec::new();
    let mut index: BTreeMap<(&str, Socket, Socket, Transport), usize> = BTreeMap::new();
    let mut rtts: Vec<Vec<f64>> = Vec::new();
    for (i, t) in stun.transactions.iter().enumerate() {
        let key = (t.method.as_str(), t.client, t.server, t.transport);
        let g = *index.entry(key).or_insert_with(|| {
            order.push(Group {
                method: t.method.clone(),
                client: t.client,
                server: t.server,
                transport: t.transport,
                first: t.start,
                ..Group::default()
            });
            rtts.push(Vec::new());
            order.len() - 1
        });
        let group = &mut order[g];
        group.count += 1;
        group.transactions.push(i);
        group.classic += u64::from(t.classic);
        match t.class {
            Outcome::Success => group.success += 1,
            Outcome::Error => *group.errors.entry(t.error_code.unwrap_or(0)).or_default() += 1,
            Outcome::Unanswered => group.unanswered += 1,
        }
        if let Some(rtt) = t.rtt_ms {
            rtts[g].push(rtt);
        }
        if let Some(m) = t.mapped {
            if !group.mapped.contains(&m) {
                group.mapped.push(m);
            }
        }
    }
    for (group, rtts) in order.iter_mut().zip(rtts) {
        if !rtts.is_empty() {
            group.rtt_mean_ms = Some(rtts.iter().sum::<f64>() / rtts.len() as f64);
            group.rtt_max_ms = Some(rtts.iter().copied().fold(0.0, f64::max));
        }
    }
    order
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use callscope_analysis::stun::StunTransaction;

    fn t(method: &str, class: Outcome, rtt: Option<f64>, code: Option<u16>) -> StunTransaction {
        StunTransaction {
            method: method.into(),
            class,
            client: "10.0.0.1:5000".parse().unwrap(),
            server: "192.0.2.1:3478".parse().unwrap(),
            transport: callscope_analysis::report::Transport::Udp,
            rtt_ms: rtt,
            error_code: code,
            mapped: rtt.map(|_| "198.51.100.1:6000".parse().unwrap()),
            ..StunTransaction::default()
        }
    }

    #[test]
    fn transactions_group_by_method_and_pair_with_outcomes() {
        let stun = StunReport {
            transactions: vec![
                t("Binding", Outcome::Success, Some(2.0), None),
                t("Binding", Outcome::Error, None, Some(420)),
                t("Allocate", Outcome::Error, None, Some(401)),
                t("Binding", Outcome::Success, Some(4.0), None),
                StunTransaction {
                    classic: true,
                    ..t("Binding", Outcome::Unanswered, None, None)
                },
            ],
            ..StunReport::default()
        };
        let g = groups(&stun);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].method, "Binding");
        assert_eq!(g[0].count, 4);
        assert_eq!(g[0].outcome(), "2 ok, 1×420, 1 unanswered");
        assert_eq!(g[0].rtt_mean_ms, Some(3.0));
        assert_eq!(g[0].rtt_max_ms, Some(4.0));
        assert_eq!(g[0].mapped, ["198.51.100.1:6000".parse().unwrap()]);
        assert_eq!(g[0].transactions, [0, 1, 3, 4]);
        assert_eq!((g[0].classic, g[1].classic), (1, 0));
        assert_eq!(g[1].outcome(), "0 ok, 1×401");
    }
}
