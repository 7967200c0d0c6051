//! `callscope analyze FILE --call CALL-ID`: one call's ladder diagram in the terminal, one column
//! per address, one arrow per message (as sngrep's call flow), then its SDP offers and answers.
//! With `--json`, the call's object from the report instead.

use std::io::{self, Write};

use callscope_analysis::rtp::RtpStream;
use callscope_analysis::sip::report::{Call, Exchange, LadderMessage, SdpMessage};
use callscope_analysis::Report;
use callscope_view::ladder::Options;

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

/// Writes the ladder (or the JSON object) of `call_id`; the caller checked it exists.
pub fn write(out: &mut dyn Write, report: &Report, call_id: &str, json: bool) -> io::Result<()> {
    let Some(found) = find(report, call_id) else {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no call with Call-ID {call_id}"),
        ));
    };
    if json {
        match found {
            Found::Call(c) => serde_json::to_writer_pretty(&mut *out, c)?,
            Found::Exchange(e) => serde_json::to_writer_pretty(&mut *out, e)?,
        }
        return writeln!(out);
    }
    match found {
        Found::Call(c) => {
            writeln!(out, "Call {}", c.call_id)?;
            let mut summary = format!("  {} → {}  {}", c.caller, c.callee, c.state);
            if let Some(s) = c.status {
                summary.push_str(&format!(
                    " ({s}{})",
                    c.reason
                        .as_deref()
                        .map(|r| format!(" {r}"))
                        .unwrap_or_default()
                ));
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
            ladder(out, &c.messages, &streams)?;
            if c.messages_dropped > 0 {
                writeln!(out, "  … {} more messages not kept", c.messages_dropped)?;
            }
            sdp(out, &c.sdp)
        }
        Found::Exchange(e) => {
            writeln!(out, "{} {}", e.kind.to_uppercase(), e.call_id)?;
            writeln!(out, "  from {}  to {}\n", e.from, e.to)?;
            ladder(out, &e.messages, &[])
        }
    }
}

/// The arrows, laid out by `callscope_view::ladder` (the page draws the same layout as SVG):
/// time, columns, frame; the call's RTP streams as `===>` arrows between their hosts.
fn ladder(
    out: &mut dyn Write,
    messages: &[LadderMessage],
    streams: &[(usize, &RtpStream)],
) -> io::Result<()> {
    let layout = callscope_view::ladder::layout(messages, streams, Options::default());
    for line in callscope_view::ladder::text(&layout) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Offers and answers with their media.
fn sdp(out: &mut dyn Write, sdp: &[SdpMessage]) -> io::Result<()> {
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
