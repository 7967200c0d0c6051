//! `callscope analyze FILE --call CALL-ID`: one call's ladder diagram in the terminal, one column
//! per address, one arrow per message (as sngrep's call flow), then its SDP offers and answers.
//! With `--json`, the call's object from the report instead.

use std::io::{self, Write};

use callscope_analysis::sip::report::{Call, Exchange, LadderMessage, SdpMessage};
use callscope_analysis::Report;

/// Columns per address.
const COLUMN: usize = 30;

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
            ladder(out, &c.messages)?;
            if c.messages_dropped > 0 {
                writeln!(out, "  … {} more messages not kept", c.messages_dropped)?;
            }
            sdp(out, &c.sdp)
        }
        Found::Exchange(e) => {
            writeln!(out, "{} {}", e.kind.to_uppercase(), e.call_id)?;
            writeln!(out, "  from {}  to {}\n", e.from, e.to)?;
            ladder(out, &e.messages)
        }
    }
}

/// The arrows: time, columns, frame.
pub fn ladder(out: &mut dyn Write, messages: &[LadderMessage]) -> io::Result<()> {
    let mut columns: Vec<&str> = Vec::new();
    for m in messages {
        for addr in [m.src.as_str(), m.dst.as_str()] {
            if !columns.contains(&addr) {
                columns.push(addr);
            }
        }
    }
    let x = |i: usize| i * COLUMN + COLUMN / 2;
    let width = columns.len() * COLUMN;
    let mut header = vec![' '; width];
    for (i, name) in columns.iter().enumerate() {
        let name: Vec<char> = name.chars().take(COLUMN - 2).collect();
        let start = x(i).saturating_sub(name.len() / 2);
        for (k, ch) in name.into_iter().enumerate() {
            if let Some(slot) = header.get_mut(start + k) {
                *slot = ch;
            }
        }
    }
    writeln!(
        out,
        "{:>12} {}",
        "",
        header.iter().collect::<String>().trim_end()
    )?;
    let mut rail = vec![' '; width];
    for i in 0..columns.len() {
        rail[x(i)] = '|';
    }
    writeln!(
        out,
        "{:>12} {}",
        "",
        rail.iter().collect::<String>().trim_end()
    )?;
    for m in messages {
        let (Some(s), Some(d)) = (
            columns.iter().position(|c| *c == m.src),
            columns.iter().position(|c| *c == m.dst),
        ) else {
            continue;
        };
        let mut line = rail.clone();
        let (lo, hi) = (x(s.min(d)), x(s.max(d)));
        if lo == hi {
            // Sent to itself: a short hook beside the rail.
            for (k, ch) in format!("-> {}", m.label).chars().enumerate() {
                if let Some(slot) = line.get_mut(lo + 1 + k) {
                    *slot = ch;
                }
            }
        } else {
            for slot in &mut line[lo + 1..hi] {
                *slot = '-';
            }
            if d > s {
                line[hi - 1] = '>';
            } else {
                line[lo + 1] = '<';
            }
            let span = hi - lo - 3;
            let mut label: Vec<char> = format!(" {} ", m.label).chars().collect();
            if label.len() > span {
                // Keep the arrow visible: cut the label and say so.
                label.truncate(span - 4);
                label.extend("… ".chars());
            }
            let start = lo + 2 + (span - label.len()) / 2;
            for (k, ch) in label.into_iter().enumerate() {
                line[start + k] = ch;
            }
        }
        let mut note = format!("  frame {}", m.frame);
        if m.retransmission {
            note.push_str(" (retransmission)");
        }
        writeln!(
            out,
            "{:>12.6} {}{note}",
            m.time,
            line.iter().collect::<String>().trim_end()
        )?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn msg(frame: u64, src: &str, dst: &str, label: &str) -> LadderMessage {
        LadderMessage {
            frame,
            time: frame as f64 / 10.0,
            src: src.into(),
            dst: dst.into(),
            label: label.into(),
            ..LadderMessage::default()
        }
    }

    #[test]
    fn arrows_point_from_sender_to_receiver() {
        let mut out = Vec::new();
        ladder(
            &mut out,
            &[
                msg(1, "10.0.0.1:5060", "10.0.0.2:5060", "INVITE (SDP)"),
                msg(2, "10.0.0.2:5060", "10.0.0.1:5060", "180 Ringing"),
            ],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("10.0.0.1:5060") && lines[0].contains("10.0.0.2:5060"));
        assert!(
            lines[2].contains("|------- INVITE (SDP) ------->|"),
            "{text}"
        );
        assert!(lines[2].ends_with("frame 1"));
        assert!(
            lines[3].contains("|<------- 180 Ringing --------|"),
            "{text}"
        );
    }
}
