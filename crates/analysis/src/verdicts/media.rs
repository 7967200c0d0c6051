//! RTP media of calls: audio that flowed one way only on an answered call (the classic NAT or
//! firewall symptom: one side hears nothing), and streams whose measured loss, jitter or
//! estimated MOS is bad enough to hear.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::{count, flow, host, numbered, secs, Confidence, Evidence, Input, Verdict};
use crate::addr::Socket;
use crate::report::Report;
use crate::rtp::RtpStream;
use crate::sip::report::{Call, CallState};

/// Loss above which audio suffers audibly (%).
const MAX_LOST_PCT: f64 = 1.0;
/// Jitter above which a typical jitter buffer discards packets (ms).
const MAX_JITTER_MS: f64 = 30.0;
/// MOS below which most listeners are dissatisfied (ITU-T G.107's "some users dissatisfied").
const MIN_MOS: f64 = 3.6;

/// What would make one-way audio certain.
const BOTH_WAYS_SEEN: &str = "a capture taken where both directions pass (on the calling host \
     itself, say) that still shows no RTP coming back";

/// One verdict per answered call whose RTP streams all flow one way: every stream's source is
/// on one side and none comes back. Likely, since a capture point that sees one direction only
/// would show the same.
pub fn one_way_audio(input: &Input<'_>) -> Vec<Verdict> {
    let report = input.report;
    let verdicts = report
        .sip
        .calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.state == CallState::Answered && !on_hold(c))
        .filter_map(|(i, c)| one_way_call(report, i, c));
    numbered("one-way-audio", verdicts)
}

/// The one-way verdict of an answered call, if its streams flowed one way.
fn one_way_call(report: &Report, i: usize, c: &Call) -> Option<Verdict> {
    let streams = call_streams(report, i, c);
    let hosts = |side: fn(&RtpStream) -> Socket| -> BTreeSet<IpAddr> {
        streams
            .iter()
            .filter_map(|&j| report.rtp.streams.get(j))
            .map(|s| side(s).host())
            .collect()
    };
    let (senders, receivers) = (hosts(|s| s.src), hosts(|s| s.dst));
    if streams.is_empty() || senders.is_empty() || !senders.is_disjoint(&receivers) {
        return None;
    }
    let sent: Vec<&RtpStream> = streams
        .iter()
        .filter_map(|&j| report.rtp.streams.get(j))
        .collect();
    let packets: u64 = sent.iter().map(|s| s.packets).sum();
    let span = sent.iter().map(|s| s.duration).fold(0.0, f64::max);
    let senders_text: Vec<String> = senders.iter().map(IpAddr::to_string).collect();
    let receivers_text: Vec<String> = receivers.iter().map(IpAddr::to_string).collect();
    let side = sender_side(c, &senders);
    let detail = format!(
        "Call {} was answered{}, but its RTP flowed one way only: {} from {}{} to {} ({} over \
         {}), and no RTP came back from {}. One side of the call likely heard nothing; a NAT or \
         firewall dropping the return media, or SDP announcing an address the far end cannot \
         reach, are the usual causes.",
        call_name(c),
        c.talk_time
            .map(|t| format!(" and talked for {}", secs(t)))
            .unwrap_or_default(),
        count(sent.len() as u64, "stream"),
        senders_text.join(", "),
        side.map(|s| format!(" ({s})")).unwrap_or_default(),
        receivers_text.join(", "),
        count(packets, "packet"),
        secs(span),
        receivers_text.join(", "),
    );
    Some(Verdict {
        id: String::new(),
        title: format!(
            "One-way audio on call {}: RTP only from {}",
            call_name(c),
            senders_text.join(", ")
        ),
        detail,
        confidence: Confidence::Likely,
        certain_if: Some(BOTH_WAYS_SEEN.to_owned()),
        evidence: Evidence {
            flows: sent.iter().map(|s| flow("udp", s.src, s.dst)).collect(),
            calls: vec![c.call_id.clone()],
            streams,
            ..Evidence::default()
        },
    })
}

/// The streams of call `i` with packets: its `media`, the RTP section's entry for its Call-ID,
/// and streams pointing back at it; sorted, without repeats, all valid indexes.
fn call_streams(report: &Report, i: usize, c: &Call) -> Vec<usize> {
    let by_quality = report
        .rtp
        .calls
        .iter()
        .filter(|q| !c.call_id.is_empty() && q.call_id == c.call_id)
        .flat_map(|q| q.streams.iter().copied());
    let by_stream = report
        .rtp
        .streams
        .iter()
        .enumerate()
        .filter(|(_, s)| s.call == Some(i))
        .map(|(j, _)| j);
    let all: BTreeSet<usize> = c
        .media
        .iter()
        .copied()
        .chain(by_quality)
        .chain(by_stream)
        .filter(|&j| report.rtp.streams.get(j).is_some_and(|s| s.packets > 0))
        .collect();
    all.into_iter().collect()
}

/// The last SDP of the call put its audio on hold (`sendonly`, `recvonly`, `inactive`): one-way
/// media is then what was asked for.
fn on_hold(c: &Call) -> bool {
    c.sdp.last().is_some_and(|sdp| {
        let audio: Vec<&str> = sdp
            .media
            .iter()
            .filter(|m| m.media == "audio")
            .map(|m| m.direction.as_str())
            .collect();
        !audio.is_empty()
            && audio
                .iter()
                .all(|d| matches!(*d, "sendonly" | "recvonly" | "inactive"))
    })
}

/// "the caller's side" or "the callee's side", when the senders are one party's signalling host.
fn sender_side(c: &Call, senders: &BTreeSet<IpAddr>) -> Option<&'static str> {
    let is = |addr: Socket| senders.len() == 1 && senders.contains(&addr.host());
    if is(c.caller_addr) {
        Some("the caller's side")
    } else if is(c.callee_addr) {
        Some("the callee's side")
    } else {
        None
    }
}

/// "alice → bob": user parts, else URIs, else the Call-ID.
fn call_name(c: &Call) -> String {
    let pick = |user: &str, uri: &str| {
        [user, uri]
            .into_iter()
            .find(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match (pick(&c.caller, &c.from), pick(&c.callee, &c.to)) {
        (Some(a), Some(b)) => format!("{a} → {b}"),
        _ if !c.call_id.is_empty() => c.call_id.clone(),
        _ => "(unnamed)".to_owned(),
    }
}

/// One verdict per confirmed stream (announced by SDP or sequence-consistent: a heuristic
/// guess's "loss" may be another protocol's bytes) whose loss, jitter or MOS crosses its
/// threshold. Certain: the numbers are measured from the stream itself.
pub fn quality(input: &Input<'_>) -> Vec<Verdict> {
    let report = input.report;
    report
        .rtp
        .streams
        .iter()
        .enumerate()
        .filter(|(_, s)| s.packets > 0 && (s.confirmed || s.sdp) && !problems(s).is_empty())
        .enumerate()
        .map(|(n, (i, s))| poor_stream(report, n + 1, i, s))
        .collect()
}

/// The problems a person would hear, as the title writes them.
fn problems(s: &RtpStream) -> Vec<String> {
    let mut p = Vec::new();
    if s.lost_pct > MAX_LOST_PCT {
        p.push(format!("{:.1} % lost", s.lost_pct));
    }
    if s.max_jitter_ms > MAX_JITTER_MS {
        p.push(format!("jitter up to {:.0} ms", s.max_jitter_ms));
    }
    if let Some(mos) = s.mos.filter(|m| *m < MIN_MOS) {
        p.push(format!("MOS {mos:.1}"));
    }
    p
}

/// `video` for a 90 kHz media clock, `audio` for another known clock, else `media`: a title
/// should not call video (or a codec it does not know) audio.
fn media_kind(s: &RtpStream) -> &'static str {
    let video = s.clock == 90_000 || s.payload_types.iter().any(|p| p.clock == 90_000);
    if video {
        "video"
    } else if s.clock > 0 {
        "audio"
    } else {
        "media"
    }
}

/// The verdict of one poor stream.
fn poor_stream(report: &Report, n: usize, i: usize, s: &RtpStream) -> Verdict {
    let call = s.call.and_then(|c| report.sip.calls.get(c));
    let call_id = call
        .map(|c| c.call_id.as_str())
        .or(s.call_id.as_deref())
        .filter(|id| !id.is_empty());
    let subject = match (call, call_id) {
        (Some(c), _) => format!("call {}", call_name(c)),
        (None, Some(id)) => format!("call {id}"),
        (None, None) => format!("stream {} → {}", host(s.src), host(s.dst)),
    };
    let of_call = if call.is_some() || call_id.is_some() {
        format!(" of {subject}")
    } else {
        String::new()
    };
    let mut detail = format!(
        "The RTP stream {} → {} (SSRC {}{}){of_call} carried {} over {}: {} lost of {} \
         expected ({:.1} %)",
        s.src,
        s.dst,
        s.ssrc,
        if s.payload.is_empty() {
            String::new()
        } else {
            format!(", {}", s.payload)
        },
        count(s.packets, "packet"),
        secs(s.duration),
        s.lost.max(0),
        s.expected.max(0),
        s.lost_pct.max(0.0),
    );
    if s.max_jitter_ms >= 0.0 && s.clock > 0 {
        detail.push_str(&format!(
            ", jitter {:.1} ms on average and {:.1} ms at most",
            s.mean_jitter_ms.max(0.0),
            s.max_jitter_ms
        ));
    }
    if let Some(mos) = s.mos {
        detail.push_str(&format!(", estimated MOS {mos:.2}"));
        if let Some(r) = s.r_factor {
            detail.push_str(&format!(" (R {r:.0})"));
        }
    }
    detail.push('.');
    if s.late_discards > 0 {
        detail.push_str(&format!(
            " A {:.0} ms jitter buffer would have dropped {} more as late.",
            report.rtp.jitter_buffer_ms,
            count(s.late_discards, "packet")
        ));
    }
    detail.push_str(&format!(
        " Loss above {MAX_LOST_PCT:.0} %, jitter above {MAX_JITTER_MS:.0} ms or a MOS below \
         {MIN_MOS:.1} is audible."
    ));
    Verdict {
        id: format!("media-quality:{n}"),
        title: format!(
            "Poor {} on {subject}: {}",
            media_kind(s),
            problems(s).join(", ")
        ),
        detail,
        confidence: Confidence::Certain,
        certain_if: None,
        evidence: Evidence {
            flows: vec![flow("udp", s.src, s.dst)],
            frames: [s.first_frame].into_iter().filter(|&f| f > 0).collect(),
            calls: call_id.map(str::to_owned).into_iter().collect(),
            streams: vec![i],
            ..Evidence::default()
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::rtp::{CallQuality, RtpReport};
    use crate::sip::report::{SdpMedia, SdpMessage, SipReport};

    const ALICE: &str = "192.0.2.10:40000";
    const BOB: &str = "198.51.100.20:50000";

    fn judge(report: &Report, rule: fn(&Input<'_>) -> Vec<Verdict>) -> Vec<Verdict> {
        rule(&Input {
            report,
            facts: None,
        })
    }

    fn stream(src: &str, dst: &str, call: Option<usize>) -> RtpStream {
        RtpStream {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            ssrc: crate::report::Ssrc(0x1122_3344),
            payload: "g711U".into(),
            packets: 1500,
            expected: 1500,
            duration: 30.0,
            clock: 8000,
            mean_jitter_ms: 2.0,
            max_jitter_ms: 5.0,
            mos: Some(4.3),
            call,
            call_id: call.map(|_| "c1@host".to_owned()),
            first_frame: 40,
            confirmed: true,
            ..RtpStream::default()
        }
    }

    fn answered_call(media: Vec<usize>) -> Call {
        Call {
            call_id: "c1@host".into(),
            caller: "alice".into(),
            callee: "bob".into(),
            caller_addr: "192.0.2.10:5060".parse().unwrap(),
            callee_addr: "198.51.100.20:5060".parse().unwrap(),
            state: CallState::Answered,
            talk_time: Some(29.5),
            media,
            ..Call::default()
        }
    }

    fn report(call: Call, streams: Vec<RtpStream>) -> Report {
        Report {
            sip: SipReport {
                calls: vec![call],
                ..SipReport::default()
            },
            rtp: RtpReport {
                streams,
                jitter_buffer_ms: 60.0,
                ..RtpReport::default()
            },
            ..Report::default()
        }
    }

    #[test]
    fn answered_call_with_rtp_one_way_is_likely_one_way_audio() {
        let r = report(answered_call(vec![0]), vec![stream(ALICE, BOB, Some(0))]);
        let v = judge(&r, one_way_audio);
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.id, "one-way-audio:1");
        assert_eq!(v.confidence, Confidence::Likely);
        assert!(v.certain_if.is_some());
        assert_eq!(
            v.title,
            "One-way audio on call alice → bob: RTP only from 192.0.2.10"
        );
        for words in [
            "talked for 29.5 s",
            "1 stream from 192.0.2.10 (the caller's side) to 198.51.100.20",
            "1500 packets over 30.0 s",
            "no RTP came back from 198.51.100.20",
        ] {
            assert!(v.detail.contains(words), "{words:?} not in {:?}", v.detail);
        }
        assert_eq!(v.evidence.calls, vec!["c1@host"]);
        assert_eq!(v.evidence.streams, vec![0]);
        assert_eq!(
            v.evidence.flows,
            vec!["udp 192.0.2.10:40000 198.51.100.20:50000"]
        );
    }

    #[test]
    fn streams_are_found_through_the_rtp_calls_and_back_references() {
        // The call's media list is empty; the RTP section's call entry and the stream's own
        // index name it.
        let mut r = report(
            answered_call(Vec::new()),
            vec![stream(BOB, ALICE, None), stream(BOB, ALICE, Some(0))],
        );
        r.rtp.calls.push(CallQuality {
            call_id: "c1@host".into(),
            streams: vec![0, 7],
            ..CallQuality::default()
        });
        let v = judge(&r, one_way_audio);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].evidence.streams, vec![0, 1]);
        assert!(v[0].title.ends_with("RTP only from 198.51.100.20"));
        assert!(v[0].detail.contains("(the callee's side)"));
    }

    #[test]
    fn one_way_audio_is_silent_without_each_part() {
        let both_ways = report(
            answered_call(vec![0, 1]),
            vec![stream(ALICE, BOB, Some(0)), stream(BOB, ALICE, Some(0))],
        );
        let mut unanswered = report(answered_call(vec![0]), vec![stream(ALICE, BOB, Some(0))]);
        unanswered.sip.calls[0].state = CallState::Cancelled;
        let no_streams = report(answered_call(Vec::new()), Vec::new());
        let mut empty_stream = report(answered_call(vec![0]), vec![stream(ALICE, BOB, None)]);
        empty_stream.rtp.streams[0].packets = 0;
        let out_of_range = report(answered_call(vec![5]), Vec::new());
        let mut on_hold = report(answered_call(vec![0]), vec![stream(ALICE, BOB, Some(0))]);
        on_hold.sip.calls[0].sdp.push(SdpMessage {
            media: vec![SdpMedia {
                media: "audio".into(),
                direction: "sendonly".into(),
                ..SdpMedia::default()
            }],
            ..SdpMessage::default()
        });
        for r in [
            both_ways,
            unanswered,
            no_streams,
            empty_stream,
            out_of_range,
            on_hold,
        ] {
            assert!(judge(&r, one_way_audio).is_empty());
        }
    }

    #[test]
    fn a_lossy_stream_names_its_call_and_numbers() {
        let mut bad = stream(ALICE, BOB, Some(0));
        bad.expected = 1550;
        bad.lost = 50;
        bad.lost_pct = 3.2;
        bad.mos = Some(3.1);
        bad.r_factor = Some(62.0);
        bad.late_discards = 4;
        let r = report(
            answered_call(vec![0, 1]),
            vec![stream(BOB, ALICE, Some(0)), bad],
        );
        let v = judge(&r, quality);
        assert_eq!(v.len(), 1);
        let v = &v[0];
        assert_eq!(v.id, "media-quality:1");
        assert_eq!(v.confidence, Confidence::Certain);
        assert_eq!(
            v.title,
            "Poor audio on call alice → bob: 3.2 % lost, MOS 3.1"
        );
        for words in [
            "192.0.2.10:40000 → 198.51.100.20:50000 (SSRC 0x11223344, g711U)",
            "1500 packets over 30.0 s: 50 lost of 1550 expected (3.2 %)",
            "estimated MOS 3.10 (R 62)",
            "60 ms jitter buffer would have dropped 4 packets",
        ] {
            assert!(v.detail.contains(words), "{words:?} not in {:?}", v.detail);
        }
        assert_eq!(v.evidence.streams, vec![1]);
        assert_eq!(v.evidence.calls, vec!["c1@host"]);
        assert_eq!(v.evidence.frames, vec![40]);
    }

    #[test]
    fn jitter_alone_is_enough_and_unbound_streams_are_named_by_address() {
        let mut jittery = stream(ALICE, BOB, None);
        jittery.max_jitter_ms = 45.0;
        jittery.mos = None;
        let r = Report {
            rtp: RtpReport {
                streams: vec![jittery],
                ..RtpReport::default()
            },
            ..Report::default()
        };
        let v = judge(&r, quality);
        assert_eq!(
            v[0].title,
            "Poor audio on stream 192.0.2.10 → 198.51.100.20: jitter up to 45 ms"
        );
        assert!(v[0].evidence.calls.is_empty());
        assert!(v[0].detail.contains("45.0 ms at most"));
        assert!(!v[0].detail.contains(" of stream"));
    }

    #[test]
    fn the_title_says_video_or_media_when_the_clock_says_so() {
        let mut video = stream(ALICE, BOB, None);
        video.clock = 90_000;
        video.lost_pct = 5.0;
        let mut unknown = stream(BOB, ALICE, None);
        unknown.clock = 0;
        unknown.lost_pct = 5.0;
        let r = Report {
            rtp: RtpReport {
                streams: vec![video, unknown],
                ..RtpReport::default()
            },
            ..Report::default()
        };
        let v = judge(&r, quality);
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].id, "media-quality:2");
        assert!(
            v[0].title.starts_with("Poor video on stream"),
            "{}",
            v[0].title
        );
        assert!(
            v[1].title.starts_with("Poor media on stream"),
            "{}",
            v[1].title
        );
    }

    #[test]
    fn good_or_empty_streams_are_not_reported() {
        let mut at_limits = stream(ALICE, BOB, Some(3));
        at_limits.lost_pct = 1.0;
        at_limits.max_jitter_ms = 30.0;
        at_limits.mos = Some(3.6);
        let mut empty = stream(BOB, ALICE, None);
        empty.packets = 0;
        empty.lost_pct = 50.0;
        // A heuristic guess never confirmed by its sequence numbers: its "loss" means nothing.
        let mut guess = stream(BOB, ALICE, None);
        guess.confirmed = false;
        guess.lost_pct = 40.0;
        let r = report(answered_call(Vec::new()), vec![at_limits, empty, guess]);
        assert!(judge(&r, quality).is_empty());
    }
}
