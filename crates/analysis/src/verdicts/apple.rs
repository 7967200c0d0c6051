//! Apple services a Mac or iPhone keeps talking to during calls: FaceTime's media (UDP on
//! FaceTime's ports, handled by `avconferenced`) and the Apple Push Notification service
//! connection (`apsd` to `*.push.apple.com`, TCP 5223 or 443), which is how an incoming FaceTime
//! or iMessage reaches the device.

use std::collections::HashMap;
use std::net::IpAddr;

use super::{
    count, flow, same_pair, streams_between, unique, Confidence, Evidence, Input, Verdict,
};
use crate::addr::Socket;
use crate::report::{Conversation, ProcessRef, Report, Transport};

/// The service hint `names::ports` gives FaceTime's UDP ports (16384–16387, 16393–16402).
const FACETIME_SERVICE: &str = "FaceTime media";
/// The daemon that runs FaceTime audio and video.
const FACETIME_DAEMON: &str = "avconferenced";
/// The service hint for TCP 5223.
const PUSH_SERVICE: &str = "Apple push";
/// The APNs port.
const PUSH_PORT: u16 = 5223;

/// One conversation and how sure it is FaceTime media.
struct Media<'a> {
    conversation: &'a Conversation,
    streams: Vec<usize>,
    confidence: Confidence,
}

/// FaceTime media: UDP conversations on FaceTime's ports or owned by `avconferenced`. Possible
/// by ports alone, likely when RTP is seen on them, certain when the process is `avconferenced`.
/// The evidence holds the conversations at the verdict's confidence; the others are counted.
pub fn facetime_media(input: &Input<'_>) -> Vec<Verdict> {
    let report = input.report;
    let media: Vec<Media<'_>> = report
        .conversations
        .iter()
        .filter(|c| c.transport == Transport::Udp)
        .filter(|c| c.service.as_deref() == Some(FACETIME_SERVICE) || by_daemon(c))
        .map(|c| {
            let streams = streams_between(report, c.a, c.b);
            let confidence = if by_daemon(c) {
                Confidence::Certain
            } else if !streams.is_empty() {
                Confidence::Likely
            } else {
                Confidence::Possible
            };
            Media {
                conversation: c,
                streams,
                confidence,
            }
        })
        .collect();
    let Some(confidence) = media.iter().map(|m| m.confidence).min() else {
        return Vec::new();
    };
    let best: Vec<&Media<'_>> = media
        .iter()
        .filter(|m| m.confidence == confidence)
        .collect();
    let weaker = media.len() - best.len();
    let title = match best.as_slice() {
        [one] => format!(
            "FaceTime media: {} ↔ {}",
            one.conversation.a, one.conversation.b
        ),
        many => format!("FaceTime media on {} UDP conversations", many.len()),
    };
    let mut detail = best
        .iter()
        .map(|m| media_words(report, m))
        .collect::<Vec<_>>()
        .join(" ");
    if weaker > 0 {
        detail.push_str(&format!(
            " {} on FaceTime's ports {} weaker evidence.",
            count(weaker as u64, "other conversation"),
            if weaker == 1 { "has" } else { "have" }
        ));
    }
    let processes = unique(best.iter().filter_map(|m| m.conversation.process.clone()));
    vec![Verdict {
        id: "facetime-media".to_owned(),
        title,
        detail,
        confidence,
        certain_if: (confidence != Confidence::Certain).then(|| {
            "the flows attributed to avconferenced (a PKTAP capture, or host facts taken \
             during the call)"
                .to_owned()
        }),
        evidence: Evidence {
            flows: best
                .iter()
                .map(|m| flow("udp", m.conversation.a, m.conversation.b))
                .collect(),
            streams: best.iter().flat_map(|m| m.streams.clone()).collect(),
            processes,
            ..Evidence::default()
        },
    }]
}

/// The conversation is owned by `avconferenced`.
fn by_daemon(c: &Conversation) -> bool {
    c.process
        .as_ref()
        .is_some_and(|p| p.name.contains(FACETIME_DAEMON))
}

/// One conversation in words, with what makes it FaceTime.
fn media_words(report: &Report, m: &Media<'_>) -> String {
    let c = m.conversation;
    let packets: u64 = m
        .streams
        .iter()
        .filter_map(|&j| report.rtp.streams.get(j))
        .map(|s| s.packets)
        .sum();
    let why = match m.confidence {
        Confidence::Certain => format!(
            "is owned by {}",
            c.process
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        ),
        Confidence::Likely => format!(
            "is on FaceTime's ports and carried RTP ({}, {})",
            count(m.streams.len() as u64, "stream"),
            count(packets, "packet")
        ),
        Confidence::Possible => {
            "is on FaceTime's ports, but nothing else ties it to FaceTime".to_owned()
        }
    };
    format!(
        "UDP {} ↔ {} ({} both ways over {:.1} s) {why}.",
        c.a,
        c.b,
        count(c.packets, "packet"),
        c.duration
    )
}

/// Apple Push Notification service connections: TCP to port 5223, or to an address or TLS
/// server named `*.push.apple.com`. Certain when a name ties it to APNs, likely by port alone;
/// silent when only a DNS lookup shows the name (no connection seen).
pub fn push(input: &Input<'_>) -> Vec<Verdict> {
    let report = input.report;
    let names = PushNames::of(report);
    let mut found: Vec<Push<'_>> = report
        .conversations
        .iter()
        .filter(|c| c.transport == Transport::Tcp)
        .filter_map(|c| push_conversation(&names, c))
        .collect();
    // TLS sessions to APNs whose conversation the table did not keep.
    for s in &report.tls.sessions {
        let covered = found
            .iter()
            .any(|p| same_pair(&p.a, &p.b, &s.client, &s.server));
        if let Some(name) = names.tls(s.client, s.server).filter(|_| !covered) {
            found.push(Push {
                a: s.client,
                b: s.server,
                name: Some(name.to_owned()),
                process: None,
                packets: None,
            });
        }
    }
    let named = found.iter().any(|p| p.name.is_some());
    let best: Vec<&Push<'_>> = found.iter().filter(|p| p.name.is_some() == named).collect();
    let Some(first) = best.first() else {
        return Vec::new();
    };
    let title = match (&first.name, best.len()) {
        (Some(name), 1) => format!("Apple push notification connection to {name}"),
        (None, 1) => format!(
            "Apple push notification connection to {} (port {PUSH_PORT})",
            first.b
        ),
        (_, n) => format!("Apple push notification connections ({n})"),
    };
    let detail = best
        .iter()
        .map(|p| push_words(p))
        .collect::<Vec<_>>()
        .join(" ");
    let detail = format!(
        "{detail} This is the Apple Push Notification service link (apsd) that wakes the \
         device for incoming FaceTime, iMessage and app notifications."
    );
    vec![Verdict {
        id: "apple-push".to_owned(),
        title,
        detail,
        confidence: if named {
            Confidence::Certain
        } else {
            Confidence::Likely
        },
        certain_if: (!named).then(|| {
            "a DNS answer, TLS server name or certificate naming the server *.push.apple.com"
                .to_owned()
        }),
        evidence: Evidence {
            flows: best.iter().map(|p| flow("tcp", p.a, p.b)).collect(),
            names: unique(best.iter().filter_map(|p| p.name.clone())),
            processes: unique(best.iter().filter_map(|p| p.process.cloned())),
            ..Evidence::default()
        },
    }]
}

/// One connection to APNs.
struct Push<'a> {
    /// Client.
    a: Socket,
    /// Server.
    b: Socket,
    /// The push name that ties it to APNs, when one does.
    name: Option<String>,
    /// Owning process.
    process: Option<&'a ProcessRef>,
    /// Packets both ways, when the conversation is known.
    packets: Option<u64>,
}

/// The push names of a report, looked up once (a capture has thousands of conversations and
/// names): by address (names other than port hints) and by TLS client and server.
struct PushNames<'a> {
    by_host: HashMap<IpAddr, &'a str>,
    by_tls: HashMap<(Socket, Socket), &'a str>,
}

impl<'a> PushNames<'a> {
    fn of(report: &'a Report) -> PushNames<'a> {
        let mut by_host = HashMap::new();
        for n in report.names.iter().filter(|n| n.source != "port") {
            if is_push_name(&n.name) {
                by_host.entry(n.addr.host()).or_insert(n.name.as_str());
            }
        }
        let mut by_tls = HashMap::new();
        for s in &report.tls.sessions {
            let name = s
                .sni
                .iter()
                .chain(&s.certificate_names)
                .find(|n| is_push_name(n));
            if let Some(name) = name {
                by_tls.entry((s.client, s.server)).or_insert(name.as_str());
                by_tls.entry((s.server, s.client)).or_insert(name.as_str());
            }
        }
        PushNames { by_host, by_tls }
    }

    /// The push name of a TLS session between the two addresses (SNI or certificate).
    fn tls(&self, a: Socket, b: Socket) -> Option<&'a str> {
        self.by_tls.get(&(a, b)).copied()
    }
}

/// The conversation as an APNs connection, if its port or a name says it is one.
fn push_conversation<'a>(names: &PushNames<'_>, c: &'a Conversation) -> Option<Push<'a>> {
    let name = names
        .by_host
        .get(&c.b.host())
        .copied()
        .or_else(|| names.tls(c.a, c.b))
        .map(str::to_owned);
    let by_port = c.service.as_deref() == Some(PUSH_SERVICE) || c.b.port() == PUSH_PORT;
    (by_port || name.is_some()).then_some(Push {
        a: c.a,
        b: c.b,
        name,
        process: c.process.as_ref(),
        packets: Some(c.packets),
    })
}

/// `courier.push.apple.com`, `1-courier.push.apple.com`, `*.push.apple.com`…
fn is_push_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.ends_with(".push.apple.com")
}

/// One connection in words.
fn push_words(p: &Push<'_>) -> String {
    let why = match &p.name {
        Some(name) => format!("to {name}"),
        None => format!("to port {PUSH_PORT}, APNs' port (no name seen)"),
    };
    let packets = p
        .packets
        .map(|n| format!(", {}", count(n, "packet")))
        .unwrap_or_default();
    let process = p.process.map(|p| format!(", by {p}")).unwrap_or_default();
    format!("TCP {} → {} {why}{packets}{process}.", p.a, p.b)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::report::Name;
    use crate::rtp::{RtpReport, RtpStream};
    use crate::tls::report::TlsSession;

    const MAC_FT: &str = "192.168.1.20:16393";
    const PEER_FT: &str = "17.252.1.9:16393";
    const MAC_TLS: &str = "192.168.1.20:50123";
    const APNS: &str = "17.57.146.10:5223";

    fn judge(report: &Report, rule: fn(&Input<'_>) -> Vec<Verdict>) -> Vec<Verdict> {
        rule(&Input {
            report,
            facts: None,
        })
    }

    fn conversation(transport: &str, a: &str, b: &str, service: Option<&str>) -> Conversation {
        Conversation {
            transport: transport.parse().unwrap(),
            a: a.parse().unwrap(),
            b: b.parse().unwrap(),
            packets: 900,
            duration: 42.0,
            service: service.map(Into::into),
            ..Conversation::default()
        }
    }

    fn facetime(process: Option<&str>, rtp: bool) -> Report {
        let mut c = conversation("udp", MAC_FT, PEER_FT, Some(FACETIME_SERVICE));
        c.process = process.map(|p| p.parse().unwrap());
        Report {
            conversations: vec![c],
            rtp: RtpReport {
                streams: if rtp {
                    vec![RtpStream {
                        src: PEER_FT.parse().unwrap(),
                        dst: MAC_FT.parse().unwrap(),
                        packets: 450,
                        ..RtpStream::default()
                    }]
                } else {
                    Vec::new()
                },
                ..RtpReport::default()
            },
            ..Report::default()
        }
    }

    #[test]
    fn avconferenced_makes_facetime_media_certain() {
        let v = judge(&facetime(Some("avconferenced (312)"), true), facetime_media);
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.id, "facetime-media");
        assert_eq!(v.confidence, Confidence::Certain);
        assert_eq!(
            v.title,
            "FaceTime media: 192.168.1.20:16393 ↔ 17.252.1.9:16393"
        );
        assert!(v
            .detail
            .contains("900 packets both ways over 42.0 s) is owned by avconferenced (312)"));
        assert_eq!(
            v.evidence.processes,
            vec!["avconferenced (312)".parse().unwrap()]
        );
        assert_eq!(v.evidence.streams, vec![0]);
        assert_eq!(
            v.evidence.flows,
            vec!["udp 192.168.1.20:16393 17.252.1.9:16393"]
        );
        assert_eq!(v.certain_if, None);
    }

    #[test]
    fn rtp_on_facetime_ports_is_likely_and_ports_alone_possible() {
        let v = judge(&facetime(None, true), facetime_media);
        assert_eq!(v[0].confidence, Confidence::Likely);
        assert!(v[0].detail.contains("carried RTP (1 stream, 450 packets)"));
        assert!(v[0]
            .certain_if
            .as_deref()
            .unwrap()
            .contains("avconferenced"));
        let v = judge(&facetime(None, false), facetime_media);
        assert_eq!(v[0].confidence, Confidence::Possible);
        assert!(v[0].evidence.streams.is_empty());
    }

    #[test]
    fn the_strongest_conversations_are_the_evidence_and_the_rest_counted() {
        let mut r = facetime(None, true);
        r.conversations.push(conversation(
            "udp",
            "192.168.1.20:16394",
            "17.252.1.9:16394",
            Some(FACETIME_SERVICE),
        ));
        let v = judge(&r, facetime_media);
        assert_eq!(v[0].confidence, Confidence::Likely);
        assert_eq!(v[0].evidence.flows.len(), 1);
        assert!(v[0]
            .detail
            .contains("1 other conversation on FaceTime's ports has weaker evidence"));
    }

    #[test]
    fn facetime_media_is_silent_without_its_ports_or_daemon() {
        let mut other = facetime(None, true);
        other.conversations[0].service = None;
        let mut tcp = facetime(Some("avconferenced (312)"), true);
        tcp.conversations[0].transport = Transport::Tcp;
        for r in [other, tcp, Report::default()] {
            assert!(judge(&r, facetime_media).is_empty());
        }
    }

    fn push_report(name: Option<&str>) -> Report {
        let mut c = conversation("tcp", MAC_TLS, APNS, Some(PUSH_SERVICE));
        c.process = Some("apsd (140)".parse().unwrap());
        Report {
            conversations: vec![c],
            names: name
                .map(|n| Name {
                    addr: "17.57.146.10".parse().unwrap(),
                    name: n.into(),
                    source: "dns".into(),
                    ..Name::default()
                })
                .into_iter()
                .collect(),
            ..Report::default()
        }
    }

    #[test]
    fn a_push_name_makes_apns_certain() {
        let v = judge(&push_report(Some("1-courier.push.apple.com")), push);
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.id, "apple-push");
        assert_eq!(v.confidence, Confidence::Certain);
        assert_eq!(
            v.title,
            "Apple push notification connection to 1-courier.push.apple.com"
        );
        assert!(v.detail.contains(
            "TCP 192.168.1.20:50123 → 17.57.146.10:5223 to 1-courier.push.apple.com, \
             900 packets, by apsd (140)"
        ));
        assert_eq!(v.evidence.names, vec!["1-courier.push.apple.com"]);
        assert_eq!(v.evidence.processes, vec!["apsd (140)".parse().unwrap()]);
        assert_eq!(
            v.evidence.flows,
            vec!["tcp 192.168.1.20:50123 17.57.146.10:5223"]
        );
    }

    #[test]
    fn port_5223_alone_is_likely() {
        let v = judge(&push_report(None), push);
        assert_eq!(v[0].confidence, Confidence::Likely);
        assert_eq!(
            v[0].title,
            "Apple push notification connection to 17.57.146.10:5223 (port 5223)"
        );
        assert!(v[0].certain_if.is_some());
        assert!(v[0].evidence.names.is_empty());
    }

    #[test]
    fn a_tls_server_name_on_443_is_enough() {
        let server = "17.57.146.10:443";
        let mut r = Report {
            conversations: vec![conversation("tcp", MAC_TLS, server, None)],
            ..Report::default()
        };
        r.tls.sessions.push(TlsSession {
            client: MAC_TLS.parse().unwrap(),
            server: server.parse().unwrap(),
            sni: Some("courier.push.apple.com".into()),
            ..TlsSession::default()
        });
        let v = judge(&r, push);
        assert_eq!(v[0].confidence, Confidence::Certain);
        assert_eq!(v[0].evidence.names, vec!["courier.push.apple.com"]);
        assert_eq!(
            v[0].evidence.flows,
            vec!["tcp 192.168.1.20:50123 17.57.146.10:443"]
        );
        // The session without its conversation still shows the connection.
        r.conversations.clear();
        let v = judge(&r, push);
        assert_eq!(v[0].confidence, Confidence::Certain);
        assert!(!v[0].detail.contains("packets"));
    }

    #[test]
    fn push_is_silent_without_a_connection() {
        // A DNS answer alone: no connection was seen.
        let mut lookup_only = push_report(Some("courier.push.apple.com"));
        lookup_only.conversations.clear();
        // Another port with no name, a UDP flow on 5223, a name that only looks similar.
        let other_port = Report {
            conversations: vec![conversation("tcp", MAC_TLS, "17.57.146.10:443", None)],
            ..Report::default()
        };
        let udp = Report {
            conversations: vec![conversation("udp", MAC_TLS, APNS, None)],
            ..Report::default()
        };
        let mut lookalike = other_port.clone();
        lookalike.names.push(Name {
            addr: "17.57.146.10".parse().unwrap(),
            name: "push.apple.com.example.net".into(),
            source: "dns".into(),
            ..Name::default()
        });
        for r in [lookup_only, other_port, udp, lookalike] {
            assert!(judge(&r, push).is_empty());
        }
    }
}
