//! Which flows make up a call, a tunnel, a conversation or a process, as the selection a filtered
//! capture keeps (`callscope_analysis::extract`).

use std::net::SocketAddr;

use callscope_analysis::extract::Selection;
use callscope_analysis::report::{ProcessRef, Socket};
use callscope_analysis::Report;

fn add(sel: &mut Selection, a: Socket, b: Socket) {
    sel.flow(a.0, b.0);
}

/// A call's SIP (every message's pair) and media: its RTP streams and the RTCP beside them (the
/// next port up, RFC 3550 §11, or the same ports with rtcp-mux).
pub fn call(report: &Report, call_id: &str) -> Selection {
    let mut sel = Selection::default();
    let messages = report
        .sip
        .calls
        .iter()
        .find(|c| c.call_id == call_id)
        .map(|c| (&c.messages, c.media.as_slice()))
        .or_else(|| {
            report
                .sip
                .exchanges
                .iter()
                .find(|e| e.call_id == call_id)
                .map(|e| (&e.messages, &[][..]))
        });
    let Some((messages, media)) = messages else {
        return sel;
    };
    for m in messages {
        add(&mut sel, m.src, m.dst);
    }
    for s in media.iter().filter_map(|&i| report.rtp.streams.get(i)) {
        add(&mut sel, s.src, s.dst);
        if let (Some(pa), Some(pb)) = (s.src.port().checked_add(1), s.dst.port().checked_add(1)) {
            sel.flow(
                SocketAddr::new(s.src.ip(), pa),
                SocketAddr::new(s.dst.ip(), pb),
            );
        }
    }
    sel
}

/// A tunnel's IKE (before and after the move to 4500) and its ESP (in UDP, or IP protocol 50).
pub fn tunnel(report: &Report, index: usize) -> Selection {
    let mut sel = Selection::default();
    let Some(t) = report.ike.tunnels.get(index) else {
        return sel;
    };
    add(&mut sel, t.initiator, t.responder);
    if let Some(f) = &t.floated {
        add(&mut sel, f.initiator, f.responder);
    }
    for e in &t.esp {
        if e.encap == callscope_analysis::ike::EspEncap::Ip {
            sel.ip_flow(e.src.ip(), e.dst.ip(), 50);
        } else {
            add(&mut sel, e.src, e.dst);
        }
    }
    sel
}

/// One conversation.
pub fn conversation(report: &Report, index: usize) -> Selection {
    let mut sel = Selection::default();
    if let Some(c) = report.conversations.get(index) {
        add(&mut sel, c.a, c.b);
    }
    sel
}

/// Every conversation a process owns.
pub fn process(report: &Report, label: &ProcessRef) -> Selection {
    let mut sel = Selection::default();
    for c in report
        .conversations
        .iter()
        .filter(|c| c.process.as_ref() == Some(label))
    {
        add(&mut sel, c.a, c.b);
    }
    sel
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use callscope_analysis::rtp::RtpStream;
    use callscope_analysis::sip::report::{Call, LadderMessage};

    #[test]
    fn a_call_is_its_signalling_its_streams_and_their_rtcp() {
        let mut r = Report::default();
        r.rtp.streams.push(RtpStream {
            src: "10.0.0.1:6000".parse().unwrap(),
            dst: "10.0.0.2:6002".parse().unwrap(),
            ..RtpStream::default()
        });
        r.sip.calls.push(Call {
            call_id: "x".into(),
            messages: vec![
                LadderMessage {
                    src: "10.0.0.1:5060".parse().unwrap(),
                    dst: "10.0.0.2:5060".parse().unwrap(),
                    ..LadderMessage::default()
                },
                LadderMessage {
                    src: "10.0.0.2:5060".parse().unwrap(),
                    dst: "10.0.0.1:5060".parse().unwrap(),
                    ..LadderMessage::default()
                },
            ],
            media: vec![0],
            ..Call::default()
        });
        assert_eq!(call(&r, "x").len(), 3, "SIP, RTP and RTCP pairs");
        assert!(call(&r, "nope").is_empty());
    }
}
