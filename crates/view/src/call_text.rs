//! A call as text, exactly as `callscope analyze FILE --call CALL-ID` prints it: a summary, the
//! ladder ([`crate::ladder::text`], with the call's RTP streams), then its SDP offers and
//! answers. The page's "ladder as text" export is this same text.

use std::fmt::Write;

use callscope_analysis::rtp::RtpStream;
use callscope_analysis::sip::report::{Call, Exchange, LadderMessage, SdpMessage};
use callscope_analysis::Report;

use crate::ladder::{layout, text, Options};

/// A call or, failing that, a non-call exchange with this Call-ID.
pub enum Found<'a> {
    /// An INVITE dialog.
    Call(&'a Call),
    /// REGISTER, OPTIONS, MESSAGE, SUBSCRIBE, …
    Exchange(&'a Exchange),
}

/// Looks a Call-ID up in the report.
pub fn find<'a>(report: &'a Report, call_id: &str) -> Option<Found<'a>> {
    let sip = &report.sip;
    sip.calls
        .iter()
        .find(|c| c.call_id == call_id)
        .map(Found::Call)
        .or_else(|| {
            sip.exchanges
                .iter()
                .find(|e| e.call_id == call_id)
                .map(Found::Exchange)
        })
}

/// The text of `call_id`'s call or exchange, when the report has it.
pub fn call_text(report: &Report, call_id: &str) -> Option<String> {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = match find(report, call_id)? {
        Found::Call(c) => write_call(&mut out, report, c),
        Found::Exchange(e) => {
            let _ = writeln!(out, "{} {}", e.kind.to_uppercase(), e.call_id);
            let _ = writeln!(out, "  from {}  to {}\n", e.from, e.to);
            write_ladder(&mut out, &e.messages, &[])
        }
    };
    Some(out)
}

fn write_call(out: &mut String, report: &Report, c: &Call) -> std::fmt::Result {
    writeln!(out, "Call {}", c.call_id)?;
    let mut summary = format!("  {} → {}  {}", c.caller, c.callee, c.state);
    if let Some(s) = c.status {
        let reason = c
            .reason
            .as_deref()
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        summary.push_str(&format!(" ({s}{reason})"));
    }
    if let Some(ms) = c.post_dial_delay_ms {
        summary.push_str(&format!("  post-dial delay {ms:.1} ms"));
    }
    if let Some(ms) = c.setup_ms {
        summary.push_str(&format!("  setup {ms:.1} ms"));
    }
    if let Some(t) = c.talk_time {
        summary.push_str(&format!("  talk {t:.3} s"));
    }
    if let Some(who) = &c.hangup_by {
        summary.push_str(&format!("  hung up by {who}"));
    }
    writeln!(out, "{summary}")?;
    writeln!(out, "  from {}  to {}  over {}", c.from, c.to, c.transport)?;
    if let Some(pai) = &c.asserted_identity {
        writeln!(out, "  P-Asserted-Identity {pai}")?;
    }
    if !c.user_agents.is_empty() {
        writeln!(out, "  user agents: {}", c.user_agents.join(", "))?;
    }
    writeln!(out)?;
    let streams: Vec<(usize, &RtpStream)> = c
        .media
        .iter()
        .filter_map(|&i| report.rtp.streams.get(i).map(|s| (i, s)))
        .collect();
    write_ladder(out, &c.messages, &streams)?;
    if c.messages_dropped > 0 {
        writeln!(out, "  … {} more messages not kept", c.messages_dropped)?;
    }
    write_sdp(out, &c.sdp)
}

fn write_ladder(
    out: &mut String,
    messages: &[LadderMessage],
    streams: &[(usize, &RtpStream)],
) -> std::fmt::Result {
    for line in text(&layout(messages, streams, Options::default())) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Offers and answers with their media.
fn write_sdp(out: &mut String, sdp: &[SdpMessage]) -> std::fmt::Result {
    if sdp.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n  SDP")?;
    for s in sdp {
        writeln!(
            out,
            "    frame {:<7} {:<6} in {:<16} {} → {}",
            s.frame, s.kind, s.message, s.src, s.dst
        )?;
        for m in &s.media {
            let codecs: Vec<String> = m
                .codecs
                .iter()
                .map(|c| format!("{} {}/{}", c.pt, c.name, c.clock))
                .collect();
            let formats = if codecs.is_empty() {
                m.formats.join(" ")
            } else {
                codecs.join(", ")
            };
            writeln!(
                out,
                "      {} {}:{} {} [{}] {}{}",
                m.media,
                m.address.as_deref().unwrap_or("?"),
                m.port,
                m.proto,
                formats,
                m.direction,
                if m.rtcp_mux { " rtcp-mux" } else { "" }
            )?;
        }
    }
    Ok(())
}
