//! How media crossed NATs: directly between the peers after ICE connectivity checks (STUN
//! Binding on the very 5-tuple the RTP then used, RFC 8445), or relayed by a TURN server
//! (RFC 8656) whose channels or indications carried the data.

use super::{count, flow, same_pair, streams_between, Confidence, Evidence, Input, Verdict};
use crate::addr::Socket;
use crate::report::Report;
use crate::stun::{Allocation, Outcome, StunTransaction};

/// What would make direct media certain when the checks carried no ICE attributes.
const ICE_ATTRIBUTES: &str = "ICE attributes (PRIORITY, USE-CANDIDATE, ICE-CONTROLLING) in the \
     Binding checks, which set a check between peers apart from a query to a STUN server";

/// What would make relayed media certain.
const RTP_IN_CHANNELS: &str = "RTP recognized inside the relayed data (streams between the \
     client and the TURN server)";

/// Binding checks and the RTP that followed on one address pair.
struct DirectPair<'a> {
    /// The first check.
    first: &'a StunTransaction,
    /// How many checks.
    checks: u64,
    /// Checks that carried ICE attributes.
    ice: u64,
    /// Checks that nominated the pair.
    nominated: u64,
    /// RTP streams on the pair.
    streams: Vec<usize>,
}

/// Media straight between two addresses (peers, or a peer and a conferencing server) that STUN
/// Binding checks connected: certain when the
/// checks are ICE checks and the RTP used their exact 5-tuple, likely when the checks carried no
/// ICE attributes. Pairs with a TURN allocation are left to [`relayed_media`].
pub fn direct_media(input: &Input<'_>) -> Vec<Verdict> {
    let report = input.report;
    let pairs = direct_pairs(report);
    let Some(first) = pairs.first() else {
        return Vec::new();
    };
    let certain = pairs.iter().all(|p| p.ice > 0);
    let title = if pairs.len() == 1 {
        format!(
            "Direct media after ICE checks: {} ↔ {}",
            first.first.client, first.first.server
        )
    } else {
        format!(
            "Direct media on {} address pairs after ICE checks",
            pairs.len()
        )
    };
    let mut sentences: Vec<String> = pairs.iter().map(|p| pair_words(report, p)).collect();
    sentences.push(
        "No TURN server relayed it: the media went straight to the address the checks \
         reached (the other peer, or a conferencing server), through whatever NAT they opened."
            .to_owned(),
    );
    vec![Verdict {
        id: "direct-media".to_owned(),
        title,
        detail: sentences.join(" "),
        confidence: if certain {
            Confidence::Certain
        } else {
            Confidence::Likely
        },
        certain_if: (!certain).then(|| ICE_ATTRIBUTES.to_owned()),
        evidence: Evidence {
            flows: pairs
                .iter()
                .map(|p| flow(p.first.transport, p.first.client, p.first.server))
                .collect(),
            frames: pairs
                .iter()
                .flat_map(|p| [p.first.request_frame, p.first.response_frame])
                .flatten()
                .collect(),
            streams: pairs.iter().flat_map(|p| p.streams.clone()).collect(),
            ..Evidence::default()
        },
    }]
}

/// Binding checks grouped by address pair (first check's order), keeping pairs with RTP on the
/// same addresses and ports and no TURN allocation.
fn direct_pairs(report: &Report) -> Vec<DirectPair<'_>> {
    let turn = |t: &StunTransaction| {
        report
            .stun
            .allocations
            .iter()
            .any(|a| same_pair(&a.client, &a.server, &t.client, &t.server))
    };
    let mut pairs: Vec<DirectPair<'_>> = Vec::new();
    for t in report
        .stun
        .transactions
        .iter()
        .filter(|t| is_check(t) && !turn(t))
    {
        let ice = u64::from(has_ice_attributes(t));
        let nominated = u64::from(t.use_candidate);
        match pairs
            .iter_mut()
            .find(|p| same_pair(&p.first.client, &p.first.server, &t.client, &t.server))
        {
            Some(p) => {
                p.checks += 1;
                p.ice += ice;
                p.nominated += nominated;
            }
            None => pairs.push(DirectPair {
                first: t,
                checks: 1,
                ice,
                nominated,
                streams: streams_between(report, t.client, t.server),
            }),
        }
    }
    pairs.retain(|p| !p.streams.is_empty());
    pairs
}

/// A Binding that got through (success) or that is an ICE check (its attributes say so).
fn is_check(t: &StunTransaction) -> bool {
    t.method == "Binding" && (t.class == Outcome::Success || has_ice_attributes(t))
}

/// PRIORITY, USE-CANDIDATE or an ICE role: only ICE agents send these.
fn has_ice_attributes(t: &StunTransaction) -> bool {
    t.priority.is_some() || t.use_candidate || t.ice_role.is_some()
}

/// One pair in words: the checks, the mapping they learned, the RTP that followed.
fn pair_words(report: &Report, p: &DirectPair<'_>) -> String {
    let t = p.first;
    let mut s = format!(
        "{} between {} and {}",
        count(p.checks, "Binding check"),
        t.client,
        t.server
    );
    let mut notes = Vec::new();
    if p.ice > 0 {
        notes.push(format!("{} with ICE attributes", p.ice));
    }
    if p.nominated > 0 {
        notes.push(format!("{} nominating the pair", p.nominated));
    }
    if let Some(mapped) = t.mapped.filter(|m| *m != t.client) {
        notes.push(format!(
            "the far end saw {} as {mapped}, so a NAT is between",
            t.client
        ));
    }
    if !notes.is_empty() {
        s.push_str(&format!(" ({})", notes.join("; ")));
    }
    let streams: Vec<_> = p
        .streams
        .iter()
        .filter_map(|&j| report.rtp.streams.get(j))
        .collect();
    let packets: u64 = streams.iter().map(|s| s.packets).sum();
    let srtp = streams.iter().filter(|s| s.srtp).count() as u64;
    s.push_str(&format!(
        " {} followed by {} on the same addresses and ports ({}{}).",
        if p.checks == 1 { "was" } else { "were" },
        count(streams.len() as u64, "RTP stream"),
        count(packets, "packet"),
        if srtp > 0 {
            format!(", {srtp} of them SRTP")
        } else {
            String::new()
        }
    ));
    s
}

/// Media relayed by TURN: allocations whose channels or Send/Data indications carried data.
/// Certain when RTP was recognized inside every such allocation's ChannelData (the RTP analyzer
/// lists those streams with the client's and the server's addresses), else likely.
pub fn relayed_media(input: &Input<'_>) -> Vec<Verdict> {
    let report = input.report;
    let streams = StreamPairs::of(report);
    let active: Vec<(&Allocation, Vec<usize>)> = report
        .stun
        .allocations
        .iter()
        .filter(|a| carried_data(a))
        .map(|a| (a, streams.between(a.client, a.server)))
        .collect();
    let Some((first, _)) = active.first() else {
        return Vec::new();
    };
    let certain = active.iter().all(|(_, s)| !s.is_empty());
    let title = match (active.len(), first.relayed.as_deref()) {
        (1, Some(relayed)) => format!(
            "Media relayed by TURN server {} (relayed address {relayed})",
            first.server
        ),
        (1, None) => format!("Media relayed by TURN server {}", first.server),
        (n, _) => format!("Media relayed by TURN ({n} allocations)"),
    };
    // The first allocations in words, the rest as a sum: a paragraph, not a list.
    let mut detail = active
        .iter()
        .take(DESCRIBED)
        .map(|(a, streams)| allocation_words(report, a, streams))
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(rest) = active.get(DESCRIBED..).filter(|r| !r.is_empty()) {
        let messages: u64 = rest
            .iter()
            .flat_map(|(a, _)| &a.channels)
            .map(|c| c.to_peer + c.from_peer)
            .sum();
        let indications: u64 = rest
            .iter()
            .map(|(a, _)| a.send_indications + a.data_indications)
            .sum();
        detail.push_str(&format!(
            " {} more {} carried {} and {}.",
            rest.len(),
            if rest.len() == 1 {
                "allocation"
            } else {
                "allocations"
            },
            count(messages, "ChannelData message"),
            count(indications, "Send/Data indication")
        ));
    }
    if active.iter().all(|(_, s)| s.is_empty()) {
        detail.push_str(" No RTP was recognized inside the relayed data.");
    }
    vec![Verdict {
        id: "relayed-media".to_owned(),
        title,
        detail,
        confidence: if certain {
            Confidence::Certain
        } else {
            Confidence::Likely
        },
        certain_if: (!certain).then(|| RTP_IN_CHANNELS.to_owned()),
        evidence: Evidence {
            flows: active
                .iter()
                .map(|(a, _)| flow(a.transport, a.client, a.server))
                .collect(),
            frames: active
                .iter()
                .flat_map(|(a, _)| {
                    a.allocated_frame
                        .into_iter()
                        .chain(a.channels.iter().filter_map(|c| c.bound_frame))
                })
                .collect(),
            streams: active.iter().flat_map(|(_, s)| s.clone()).collect(),
            ..Evidence::default()
        },
    }]
}

/// The RTP streams with packets by their unordered address pair, indexed once (a capture may
/// hold thousands of streams and of allocations).
struct StreamPairs(std::collections::HashMap<(Socket, Socket), Vec<usize>>);

impl StreamPairs {
    fn of(report: &Report) -> StreamPairs {
        let mut pairs = std::collections::HashMap::<_, Vec<usize>>::new();
        for (j, s) in report
            .rtp
            .streams
            .iter()
            .enumerate()
            .filter(|(_, s)| s.packets > 0)
        {
            let key = if s.src <= s.dst {
                (s.src, s.dst)
            } else {
                (s.dst, s.src)
            };
            pairs.entry(key).or_default().push(j);
        }
        StreamPairs(pairs)
    }

    /// What [`streams_between`] gives, from the index.
    fn between(&self, a: Socket, b: Socket) -> Vec<usize> {
        let key = if a <= b { (a, b) } else { (b, a) };
        self.0.get(&key).cloned().unwrap_or_default()
    }
}

/// Allocations described one by one in a verdict; the rest are summed.
const DESCRIBED: usize = 2;

/// ChannelData either way, or Send/Data indications.
fn carried_data(a: &Allocation) -> bool {
    a.channels.iter().any(|c| c.to_peer + c.from_peer > 0)
        || a.send_indications + a.data_indications > 0
}

/// One allocation in words: who, where, which peers, how much, and whether RTP was inside.
fn allocation_words(report: &Report, a: &Allocation, streams: &[usize]) -> String {
    let mut peers: Vec<String> = a
        .channels
        .iter()
        .filter_map(|c| c.peer.map(|p| p.to_string()))
        .chain(a.permissions.iter().map(|p| p.to_string()))
        .collect();
    let mut seen = Vec::new();
    peers.retain(|p| {
        let new = !seen.contains(p);
        seen.push(p.clone());
        new
    });
    let to_peer: u64 = a.channels.iter().map(|c| c.to_peer).sum();
    let from_peer: u64 = a.channels.iter().map(|c| c.from_peer).sum();
    let mut s = format!(
        "{} holds {} on TURN server {} over {}",
        a.client,
        a.relayed.map_or_else(
            || "an allocation".to_owned(),
            |r| format!("relayed address {r}")
        ),
        a.server,
        a.transport.to_string().to_uppercase()
    );
    if !peers.is_empty() {
        s.push_str(&format!(" for {}", peers.join(", ")));
    }
    if !a.channels.is_empty() {
        s.push_str(&format!(
            "; {} carried {} to the peers and {} back",
            count(a.channels.len() as u64, "channel"),
            count(to_peer, "ChannelData message"),
            from_peer
        ));
    }
    if a.send_indications + a.data_indications > 0 {
        s.push_str(&format!(
            "; {} and {} went through",
            count(a.send_indications, "Send indication"),
            count(a.data_indications, "Data indication")
        ));
    }
    let packets: u64 = streams
        .iter()
        .filter_map(|&j| report.rtp.streams.get(j))
        .map(|s| s.packets)
        .sum();
    if streams.is_empty() {
        s.push('.');
    } else {
        s.push_str(&format!(
            ". Inside it ran {} ({}), so the call's media went through the relay.",
            count(streams.len() as u64, "RTP stream"),
            count(packets, "packet")
        ));
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::rtp::{RtpReport, RtpStream};
    use crate::stun::{Channel, StunReport};

    const LOCAL: &str = "192.168.1.20:55000";
    const PEER: &str = "203.0.113.5:61000";
    const TURN: &str = "198.51.100.3:3478";

    fn judge(report: &Report, rule: fn(&Input<'_>) -> Vec<Verdict>) -> Vec<Verdict> {
        rule(&Input {
            report,
            facts: None,
        })
    }

    fn check(client: &str, server: &str) -> StunTransaction {
        StunTransaction {
            method: "Binding".into(),
            class: Outcome::Success,
            client: client.parse().unwrap(),
            server: server.parse().unwrap(),
            transport: crate::report::Transport::Udp,
            request_frame: Some(10),
            response_frame: Some(11),
            mapped: Some("198.51.100.77:40001".parse().unwrap()),
            priority: Some(1_853_824_767),
            use_candidate: true,
            ice_role: Some("controlling".into()),
            ..StunTransaction::default()
        }
    }

    fn rtp(src: &str, dst: &str, srtp: bool) -> RtpStream {
        RtpStream {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            packets: 500,
            srtp,
            ..RtpStream::default()
        }
    }

    fn report(transactions: Vec<StunTransaction>, streams: Vec<RtpStream>) -> Report {
        Report {
            stun: StunReport {
                transactions,
                ..StunReport::default()
            },
            rtp: RtpReport {
                streams,
                ..RtpReport::default()
            },
            ..Report::default()
        }
    }

    #[test]
    fn ice_checks_then_srtp_on_the_same_five_tuple_is_certain_direct_media() {
        let r = report(
            vec![check(LOCAL, PEER), check(PEER, LOCAL)],
            vec![rtp(LOCAL, PEER, true), rtp(PEER, LOCAL, true)],
        );
        let v = judge(&r, direct_media);
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.id, "direct-media");
        assert_eq!(v.confidence, Confidence::Certain);
        assert_eq!(
            v.title,
            "Direct media after ICE checks: 192.168.1.20:55000 ↔ 203.0.113.5:61000"
        );
        for words in [
            "2 Binding checks between 192.168.1.20:55000 and 203.0.113.5:61000",
            "2 with ICE attributes; 2 nominating the pair",
            "saw 192.168.1.20:55000 as 198.51.100.77:40001",
            "2 RTP streams on the same addresses and ports (1000 packets, 2 of them SRTP)",
        ] {
            assert!(v.detail.contains(words), "{words:?} not in {:?}", v.detail);
        }
        assert_eq!(v.evidence.streams, vec![0, 1]);
        assert_eq!(v.evidence.frames, vec![10, 11]);
        assert_eq!(
            v.evidence.flows,
            vec!["udp 192.168.1.20:55000 203.0.113.5:61000"]
        );
    }

    #[test]
    fn a_plain_binding_success_is_only_likely() {
        let plain = StunTransaction {
            priority: None,
            use_candidate: false,
            ice_role: None,
            ..check(LOCAL, PEER)
        };
        let v = judge(
            &report(vec![plain], vec![rtp(PEER, LOCAL, false)]),
            direct_media,
        );
        assert_eq!(v[0].confidence, Confidence::Likely);
        assert!(v[0].certain_if.as_deref().unwrap().contains("PRIORITY"));
        assert!(v[0].detail.contains("1 Binding check between"));
        assert!(v[0].detail.contains("was followed by 1 RTP stream"));
    }

    #[test]
    fn direct_media_is_silent_without_each_part() {
        let other_port = report(
            vec![check(LOCAL, PEER)],
            vec![rtp(LOCAL, "203.0.113.5:61002", false)],
        );
        let no_rtp = report(vec![check(LOCAL, PEER)], Vec::new());
        let no_checks = report(Vec::new(), vec![rtp(LOCAL, PEER, false)]);
        let unanswered_plain = report(
            vec![StunTransaction {
                class: Outcome::Unanswered,
                priority: None,
                use_candidate: false,
                ice_role: None,
                ..check(LOCAL, PEER)
            }],
            vec![rtp(LOCAL, PEER, false)],
        );
        let not_binding = report(
            vec![StunTransaction {
                method: "Allocate".into(),
                ..check(LOCAL, PEER)
            }],
            vec![rtp(LOCAL, PEER, false)],
        );
        // A Binding to a TURN server whose ChannelData carried RTP is relayed, not direct.
        let mut to_turn = report(vec![check(LOCAL, TURN)], vec![rtp(LOCAL, TURN, false)]);
        to_turn.stun.allocations.push(allocation());
        for r in [
            other_port,
            no_rtp,
            no_checks,
            unanswered_plain,
            not_binding,
            to_turn,
        ] {
            assert!(judge(&r, direct_media).is_empty());
        }
    }

    fn allocation() -> Allocation {
        Allocation {
            client: LOCAL.parse().unwrap(),
            server: TURN.parse().unwrap(),
            transport: crate::report::Transport::Udp,
            allocated_frame: Some(20),
            relayed: Some("198.51.100.3:50500".parse().unwrap()),
            permissions: vec!["203.0.113.5".parse().unwrap()],
            channels: vec![Channel {
                number: "0x4000".into(),
                peer: Some("203.0.113.5:61000".parse().unwrap()),
                bound_frame: Some(24),
                to_peer: 700,
                from_peer: 650,
                bytes: 230_000,
            }],
            ..Allocation::default()
        }
    }

    fn turn_report(streams: Vec<RtpStream>) -> Report {
        let mut r = report(Vec::new(), streams);
        r.stun.allocations.push(allocation());
        r
    }

    #[test]
    fn rtp_inside_channel_data_is_certain_relayed_media() {
        let r = turn_report(vec![rtp(LOCAL, TURN, false), rtp(TURN, LOCAL, false)]);
        let v = judge(&r, relayed_media);
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.id, "relayed-media");
        assert_eq!(v.confidence, Confidence::Certain);
        assert_eq!(
            v.title,
            "Media relayed by TURN server 198.51.100.3:3478 (relayed address 198.51.100.3:50500)"
        );
        for words in [
            "192.168.1.20:55000 holds relayed address 198.51.100.3:50500",
            "over UDP for 203.0.113.5:61000",
            "1 channel carried 700 ChannelData messages to the peers and 650 back",
            "2 RTP streams (1000 packets)",
        ] {
            assert!(v.detail.contains(words), "{words:?} not in {:?}", v.detail);
        }
        assert_eq!(v.evidence.streams, vec![0, 1]);
        assert_eq!(v.evidence.frames, vec![20, 24]);
        assert_eq!(
            v.evidence.flows,
            vec!["udp 192.168.1.20:55000 198.51.100.3:3478"]
        );
    }

    #[test]
    fn indications_without_recognized_rtp_are_likely() {
        let mut r = turn_report(Vec::new());
        r.stun.allocations[0].channels.clear();
        r.stun.allocations[0].send_indications = 30;
        r.stun.allocations[0].data_indications = 28;
        let v = judge(&r, relayed_media);
        assert_eq!(v[0].confidence, Confidence::Likely);
        assert!(v[0].certain_if.is_some());
        assert!(v[0]
            .detail
            .contains("30 Send indications and 28 Data indications"));
        assert!(v[0]
            .detail
            .contains("No RTP was recognized inside the relayed data"));
        assert!(!v[0].detail.contains("channel"));
    }

    #[test]
    fn allocations_beyond_two_are_summed_in_one_sentence() {
        let mut r = report(Vec::new(), Vec::new());
        for i in 0..4 {
            r.stun.allocations.push(Allocation {
                client: format!("192.168.1.20:{}", 55_000 + i).parse().unwrap(),
                ..allocation()
            });
        }
        let v = &judge(&r, relayed_media)[0];
        assert_eq!(v.title, "Media relayed by TURN (4 allocations)");
        assert_eq!(v.detail.matches(" holds ").count(), 2, "{}", v.detail);
        assert!(
            v.detail.contains(
                " 2 more allocations carried 2700 ChannelData messages and 0 Send/Data indications."
            ),
            "{}",
            v.detail
        );
        assert!(v
            .detail
            .ends_with("No RTP was recognized inside the relayed data."));
        assert_eq!(v.evidence.flows.len(), 4);
    }

    #[test]
    fn allocations_that_carried_nothing_are_silent() {
        let mut idle = turn_report(vec![rtp(LOCAL, TURN, false)]);
        for c in &mut idle.stun.allocations[0].channels {
            c.to_peer = 0;
            c.from_peer = 0;
        }
        assert!(judge(&idle, relayed_media).is_empty());
        assert!(judge(&Report::default(), relayed_media).is_empty());
    }
}
