//! The text report's "SIP": counts, one line per call (time, caller → callee, state, setup ms,
//! duration, messages, Call-ID), then registrations, OPTIONS and the other exchanges.

use std::collections::BTreeMap;
use std::io::{self, Write};

use callscope_analysis::Report;

fn counts(map: &BTreeMap<String, u64>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn write(out: &mut dyn Write, r: &Report, top: usize) -> io::Result<()> {
    let s = &r.sip;
    if s.messages == 0 && s.malformed == 0 {
        return Ok(());
    }
    writeln!(
        out,
        "\nSIP: {} messages ({} resent, {} malformed{})",
        s.messages,
        s.resent,
        s.malformed,
        if s.keepalives > 0 {
            format!(", {} keep-alives", s.keepalives)
        } else {
            String::new()
        }
    )?;
    if !s.methods.is_empty() {
        writeln!(out, "  requests   {}", counts(&s.methods))?;
    }
    if !s.responses.is_empty() {
        writeln!(out, "  responses  {}", counts(&s.responses))?;
    }
    if s.megaco.messages > 0 {
        writeln!(
            out,
            "  H.248      {} messages, {} session descriptions (their media endpoints are used)",
            s.megaco.messages, s.megaco.session_descriptions
        )?;
    }
    for m in s.malformed_messages.iter().take(top) {
        writeln!(
            out,
            "  malformed  frame {} {} → {}: {}",
            m.frame, m.src, m.dst, m.reason
        )?;
    }
    super::more(out, s.malformed_messages.len(), top)?;

    if !s.calls.is_empty() {
        writeln!(out, "\nCalls ({})", s.calls.len())?;
        writeln!(
            out,
            "  {:>10}  {:<40} {:<16} {:>9} {:>10} {:>5}  Call-ID",
            "time", "from → to", "state", "setup ms", "duration", "msgs"
        )?;
        for c in s.calls.iter().take(top) {
            let parties = format!("{} → {}", c.caller, c.callee);
            let state = match c.status {
                Some(code) => format!("{} {code}", c.state),
                None => c.state.to_string(),
            };
            let setup = c
                .setup_ms
                .map(|m| format!("{m:.1}"))
                .unwrap_or_else(|| "-".into());
            let duration = c
                .duration
                .map(|d| format!("{d:.3}"))
                .unwrap_or_else(|| "-".into());
            writeln!(
                out,
                "  {:>10.6}  {:<40} {:<16} {:>9} {:>10} {:>5}  {}",
                c.start,
                parties,
                state,
                setup,
                duration,
                c.messages.len() as u64 + c.messages_dropped,
                c.call_id
            )?;
        }
        super::more(out, s.calls.len(), top)?;
        writeln!(
            out,
            "  (callscope analyze FILE --call CALL-ID shows a call's ladder)"
        )?;
    }

    if !s.registrations.is_empty() {
        writeln!(out, "\nRegistrations")?;
        for g in s.registrations.iter().take(top) {
            writeln!(
                out,
                "  {:<40} {} → {}  {} REGISTER, {} challenged, status {}, expires {}",
                g.aor,
                g.client,
                g.registrar,
                g.requests,
                g.challenges,
                g.status
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into()),
                g.expires
                    .map(|e| format!("{e} s"))
                    .unwrap_or_else(|| "-".into()),
            )?;
        }
        super::more(out, s.registrations.len(), top)?;
    }
    if !s.options.is_empty() {
        writeln!(out, "\nOPTIONS")?;
        for o in s.options.iter().take(top) {
            writeln!(
                out,
                "  {} → {}  {} requests, {} responses, last {}",
                o.src,
                o.dst,
                o.requests,
                o.responses,
                o.status
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into())
            )?;
        }
        super::more(out, s.options.len(), top)?;
    }
    let others: Vec<_> = s
        .exchanges
        .iter()
        .filter(|e| e.kind != "register" && e.kind != "options")
        .collect();
    if !others.is_empty() {
        writeln!(out, "\nOther SIP exchanges")?;
        for e in others.iter().take(top) {
            let mut what = e.kind.to_uppercase();
            if let Some(ev) = &e.event {
                what.push_str(&format!(" ({ev})"));
            }
            if let Some(ct) = &e.content_type {
                what.push_str(&format!(" [{ct}, {} bytes]", e.body_bytes));
            }
            writeln!(
                out,
                "  {:>10.6}  {:<30} {} → {}  status {}  {}",
                e.start,
                what,
                e.from,
                e.to,
                e.status
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into()),
                e.call_id
            )?;
        }
        super::more(out, others.len(), top)?;
    }
    if !s.user_agents.is_empty() {
        let uas: Vec<String> = s
            .user_agents
            .iter()
            .take(8)
            .map(|u| format!("{} ({})", u.name, u.messages))
            .collect();
        writeln!(out, "\nSIP user agents: {}", uas.join(", "))?;
    }
    // What SIP's bounds dropped is listed with the other limits at the end of the report.
    Ok(())
}
