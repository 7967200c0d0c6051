//! Making a report small enough for a link, a step at a time, each step saying what it left out.
//! The order keeps what a person opens a shared link for: the calls (with their ladders),
//! tunnels and streams with their numbers stay longest; per-message details, per-second series
//! and long tables go first.

use std::collections::HashMap;

use callscope_analysis::Report;

use crate::format::count;

/// Rows kept of each long table, step by step.
const TOP: [usize; 3] = [50, 20, 5];

/// Reduces a report step by step and keeps one note per kind of thing left out.
#[derive(Debug, Default)]
pub struct Reducer {
    level: usize,
    /// (kind, note) in the order the kinds were first left out.
    notes: Vec<(String, String)>,
    /// A table's (or list's) size before any step, for the notes.
    totals: HashMap<&'static str, usize>,
}

impl Reducer {
    /// A reducer at its first step.
    pub fn new() -> Reducer {
        Reducer::default()
    }

    /// What was left out so far, in words.
    pub fn notes(&self) -> Vec<String> {
        self.notes.iter().map(|(_, n)| n.clone()).collect()
    }

    fn note(&mut self, kind: &str, text: String) {
        match self.notes.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n = text,
            None => self.notes.push((kind.to_owned(), text)),
        }
    }

    /// Keeps the `keep` largest items (by `by`) in their order; says so.
    fn top<T>(
        &mut self,
        items: &mut Vec<T>,
        keep: usize,
        what: &'static str,
        by: impl Fn(&T) -> u64,
    ) -> bool {
        let total = *self.totals.entry(what).or_insert(items.len());
        if items.len() <= keep {
            return false;
        }
        let order = callscope_analysis::order::sorted_indices(items.len(), &|a, b| {
            by(&items[b]).cmp(&by(&items[a]))
        });
        let mut chosen = vec![false; items.len()];
        for &i in &order[..keep] {
            chosen[i] = true;
        }
        let mut i = 0;
        items.retain(|_| {
            i += 1;
            chosen[i - 1]
        });
        self.note(
            what,
            format!(
                "{what} beyond the {keep} largest (of {})",
                count(total as u64)
            ),
        );
        true
    }

    /// Takes the next thing out; false when nothing is left to take out.
    pub fn step(&mut self, r: &mut Report) -> bool {
        loop {
            let level = self.level;
            self.level += 1;
            if self.apply(r, level) {
                return true;
            }
            if level > 7 {
                return false;
            }
        }
    }

    /// Step `level`; whether it changed anything.
    fn apply(&mut self, r: &mut Report, level: usize) -> bool {
        match level {
            0 => {
                let mut any = false;
                let calls = r.sip.calls.iter_mut().flat_map(|c| &mut c.messages);
                for m in calls.chain(r.sip.exchanges.iter_mut().flat_map(|e| &mut e.messages)) {
                    any |= !m.headers.is_empty() || !m.start_line.is_empty();
                    m.headers.clear();
                    m.start_line.clear();
                }
                if any {
                    self.note(
                        "details",
                        "SIP message start lines and header fields".into(),
                    );
                }
                any
            }
            1 => {
                let any = r.rtp.streams.iter().any(|s| !s.series.is_empty());
                r.rtp.streams.iter_mut().for_each(|s| s.series.clear());
                if any {
                    self.note(
                        "series",
                        "the per-second series of RTP streams (their plots)".into(),
                    );
                }
                any
            }
            2 => {
                let reports = r.rtcp.reports.len();
                let keepalives = r.ike.tunnels.iter().any(|t| !t.keepalive_times.is_empty());
                r.rtcp.reports.clear();
                r.ike
                    .tunnels
                    .iter_mut()
                    .for_each(|t| t.keepalive_times.clear());
                if reports > 0 {
                    self.note(
                        "rtcp",
                        format!(
                            "the {} RTCP reports (their sources are kept)",
                            count(reports as u64)
                        ),
                    );
                }
                if keepalives {
                    self.note(
                        "keepalives",
                        "keepalive times (their counts are kept)".into(),
                    );
                }
                reports > 0 || keepalives
            }
            3 => {
                let any = !r.timeline.points.is_empty();
                r.timeline.points.clear();
                if any {
                    self.note("timeline", "the timeline".into());
                }
                any
            }
            4..=6 => {
                let keep = TOP[level - 4];
                let mut any = self.top(&mut r.conversations, keep, "conversations", |c| c.bytes);
                any |= self.top(&mut r.endpoints, keep, "endpoints", |e| e.bytes);
                any |= self.top(&mut r.stun.transactions, keep, "STUN transactions", |t| {
                    u64::from(t.requests)
                });
                any |= self.top(&mut r.sip.exchanges, keep, "non-call SIP exchanges", |e| {
                    e.messages.len() as u64
                });
                any |= self.top(&mut r.rtcp.sources, keep, "RTCP sources", |s| {
                    s.packets.values().sum()
                });
                any |= self.top(&mut r.stun.mappings, keep, "public mappings", |m| {
                    m.responses
                });
                any |= self.top(&mut r.stun.allocations, keep, "TURN allocations", |a| {
                    u64::from(a.requests)
                });
                any |= self.top(&mut r.sip.registrations, keep, "registrations", |g| {
                    g.requests
                });
                any |= self.top(&mut r.sip.options, keep, "OPTIONS pairs", |o| o.requests);
                any |= self.top(
                    &mut r.ike.esp_unattached,
                    keep,
                    "ESP SAs without IKE",
                    |e| e.packets,
                );
                any |= self.top(&mut r.processes, keep, "processes", |p| p.bytes);
                // Names learned before port hints; verdicts are always kept whole.
                any |= self.top(&mut r.names, keep, "names", |n| {
                    u64::from(n.source != "port")
                });
                any |= self.top(&mut r.dns.queries, keep, "DNS questions", |q| {
                    q.queries + q.responses
                });
                any |= self.top(&mut r.tls.sessions, keep, "TLS handshakes", |_| 1);
                any
            }
            7 => {
                let ladders: usize = r.sip.calls.iter().map(|c| c.messages.len()).sum();
                let exchanges: usize = r.ike.tunnels.iter().map(|t| t.exchanges.len()).sum();
                for c in &mut r.sip.calls {
                    c.messages_dropped += c.messages.len() as u64;
                    c.messages.clear();
                    c.transactions.clear();
                    c.sdp.clear();
                }
                for t in &mut r.ike.tunnels {
                    t.exchanges_dropped += t.exchanges.len() as u64;
                    t.exchanges.clear();
                }
                if ladders > 0 {
                    self.note(
                        "ladders",
                        format!(
                            "the calls' ladders ({} messages), transactions and SDP",
                            count(ladders as u64)
                        ),
                    );
                }
                if exchanges > 0 {
                    self.note(
                        "exchanges",
                        format!(
                            "the tunnels' {} IKE exchanges (their counts are kept)",
                            count(exchanges as u64)
                        ),
                    );
                }
                ladders + exchanges > 0
            }
            _ => self.halve(r),
        }
    }

    /// Keeps the first half of the calls and tunnels, the streams of the calls kept and the first
    /// half of the streams of no kept call; every index between them is remapped.
    fn halve(&mut self, r: &mut Report) -> bool {
        let calls = *self.totals.entry("calls").or_insert(r.sip.calls.len());
        let streams = *self.totals.entry("streams").or_insert(r.rtp.streams.len());
        let tunnels = *self.totals.entry("tunnels").or_insert(r.ike.tunnels.len());
        if r.sip.calls.len() + r.rtp.streams.len() + r.ike.tunnels.len() <= 3 {
            return false;
        }
        let kept_calls = r.sip.calls.len().div_ceil(2);
        r.sip.calls.truncate(kept_calls);
        r.ike.tunnels.truncate(r.ike.tunnels.len().div_ceil(2));
        let of_kept_call =
            |s: &callscope_analysis::rtp::RtpStream| s.call.is_some_and(|c| c < kept_calls);
        let others = r.rtp.streams.iter().filter(|s| !of_kept_call(s)).count();
        let mut others_left = others / 2;
        // Old stream index → new, for the streams kept.
        let mut map: HashMap<usize, usize> = HashMap::new();
        let mut kept = Vec::new();
        for (i, s) in std::mem::take(&mut r.rtp.streams).into_iter().enumerate() {
            let mine = of_kept_call(&s);
            if mine || others_left > 0 {
                if !mine {
                    others_left -= 1;
                }
                map.insert(i, kept.len());
                kept.push(s);
            }
        }
        r.rtp.streams = kept;
        for c in &mut r.sip.calls {
            c.media = c.media.iter().filter_map(|i| map.get(i).copied()).collect();
        }
        for s in &mut r.rtp.streams {
            s.call = s.call.filter(|&c| c < kept_calls);
        }
        let kept_ids: std::collections::HashSet<String> =
            r.sip.calls.iter().map(|c| c.call_id.clone()).collect();
        r.rtp.calls.retain(|q| kept_ids.contains(&q.call_id));
        for q in &mut r.rtp.calls {
            q.streams = q
                .streams
                .iter()
                .filter_map(|i| map.get(i).copied())
                .collect();
        }
        self.note(
            "halve",
            format!(
                "calls after the first {} (of {}), tunnels after the first {} (of {}); {} of {} streams kept (those of the calls kept first)",
                count(kept_calls as u64),
                count(calls as u64),
                count(r.ike.tunnels.len() as u64),
                count(tunnels as u64),
                count(r.rtp.streams.len() as u64),
                count(streams as u64)
            ),
        );
        true
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::share::{make, open, Options};
    use callscope_analysis::report::{Conversation, Ssrc, SCHEMA};
    use callscope_analysis::rtp::{CallQuality, RtpStream};
    use callscope_analysis::sip::report::{Call, HeaderField, LadderMessage};

    /// A report far too big for a link: 5,000 conversations and 2,000 calls with ladders, each
    /// call with a stream, and 100 streams of no call.
    fn big() -> Report {
        let mut r = Report {
            schema: SCHEMA.into(),
            ..Report::default()
        };
        for i in 0..5_000u32 {
            r.conversations.push(Conversation {
                transport: callscope_analysis::report::Transport::Udp,
                a: format!("10.{}.{}.1:{}", i >> 8, i & 255, 10_000 + i)
                    .parse()
                    .unwrap(),
                b: "198.51.100.1:5060".parse().unwrap(),
                bytes: u64::from(i),
                ..Conversation::default()
            });
        }
        for i in 0..2_000 {
            r.sip.calls.push(Call {
                call_id: format!("call-{i}@example.net"),
                state: callscope_analysis::sip::report::CallState::Answered,
                messages: vec![
                    LadderMessage {
                        label: "INVITE".into(),
                        start_line: format!("INVITE sip:{i}@h SIP/2.0"),
                        headers: vec![HeaderField {
                            name: "Via".into(),
                            value: format!("SIP/2.0/UDP 10.0.{}.{}:5060", i / 256, i % 256)
                        }],
                        ..LadderMessage::default()
                    };
                    4
                ],
                media: vec![r.rtp.streams.len()],
                ..Call::default()
            });
            r.rtp.streams.push(RtpStream {
                ssrc: Ssrc(i as u32),
                call: Some(i),
                call_id: Some(format!("call-{i}@example.net")),
                ..RtpStream::default()
            });
            r.rtp.calls.push(CallQuality {
                call_id: format!("call-{i}@example.net"),
                streams: vec![i],
                ..CallQuality::default()
            });
        }
        for i in 0..100 {
            r.rtp.streams.push(RtpStream {
                ssrc: Ssrc(0xffff_0000 | i as u32),
                ..RtpStream::default()
            });
        }
        r
    }

    #[test]
    fn a_big_report_is_reduced_until_its_link_fits_and_says_what_went() {
        let (link, shared) = make(&big(), "big.pcap", 0.0, Options::default(), None).unwrap();
        assert!(
            link.len() <= crate::share::LINK_LIMIT,
            "{} characters",
            link.len()
        );
        assert!(
            shared
                .left_out
                .iter()
                .any(|l| l.starts_with("SIP message start lines")),
            "{:?}",
            shared.left_out
        );
        assert!(
            shared
                .left_out
                .iter()
                .any(|l| l.starts_with("conversations beyond the")),
            "{:?}",
            shared.left_out
        );
        let back = open(&link).unwrap();
        assert_eq!(back.left_out, shared.left_out);
        // What is kept is the largest, in its order.
        let bytes: Vec<u64> = back.report.conversations.iter().map(|c| c.bytes).collect();
        assert_eq!(bytes.iter().max(), Some(&4_999));
        assert!(bytes.windows(2).all(|w| w[0] < w[1]), "{bytes:?}");
        // Calls and their streams still point at each other.
        let (calls, streams) = (&back.report.sip.calls, &back.report.rtp.streams);
        assert!(
            !calls.is_empty() && calls.len() < 2_000,
            "{} calls",
            calls.len()
        );
        for (i, c) in calls.iter().enumerate() {
            assert_eq!(c.media.len(), 1, "call {i} keeps its stream");
            assert_eq!(streams[c.media[0]].call, Some(i));
            assert_eq!(streams[c.media[0]].ssrc, Ssrc(i as u32));
        }
        assert!(streams
            .iter()
            .all(|s| s.call.is_none_or(|c| c < calls.len())));
        for q in &back.report.rtp.calls {
            assert!(calls.iter().any(|c| c.call_id == q.call_id));
            assert!(q
                .streams
                .iter()
                .all(|&i| streams[i].call_id.as_deref() == Some(q.call_id.as_str())));
        }
    }

    #[test]
    fn a_small_report_is_shared_whole() {
        let mut r = big();
        r.conversations.truncate(3);
        r.sip.calls.truncate(2);
        r.rtp.streams.truncate(2);
        r.rtp.calls.truncate(2);
        let (_, shared) = make(
            &r,
            "small.pcap",
            0.0,
            Options {
                mask_addresses: false,
                mask_numbers: false,
                ..Options::default()
            },
            None,
        )
        .unwrap();
        assert!(shared.left_out.is_empty());
        assert_eq!(shared.report, r);
    }
}
