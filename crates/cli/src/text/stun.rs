//! The text report's "NAT traversal": STUN transactions grouped by method, client, server and
//! transport (one line each, with outcomes, RTT and the public mapping learned), then one line
//! per TURN allocation.

use std::io::{self, Write};

use callscope_analysis::Report;

pub fn write(out: &mut dyn Write, r: &Report, top: usize) -> io::Result<()> {
    let s = &r.stun;
    if s.messages + s.classic_messages + s.channel_data == 0 {
        return Ok(());
    }
    writeln!(
        out,
        "\nNAT traversal ({} STUN messages{}, {} ChannelData, {} transactions)",
        s.messages,
        if s.classic_messages > 0 {
            format!(" + {} classic", s.classic_messages)
        } else {
            String::new()
        },
        s.channel_data,
        s.transactions.len()
    )?;
    let groups = callscope_view::stun::groups(s);
    for g in groups.iter().take(top) {
        let mut line = format!(
            "  {:<16} {} → {} {}  {} transaction{} ({})",
            g.method,
            g.client,
            g.server,
            g.transport,
            g.count,
            if g.count == 1 { "" } else { "s" },
            g.outcome()
        );
        if let (Some(mean), Some(max)) = (g.rtt_mean_ms, g.rtt_max_ms) {
            line.push_str(&format!("  rtt {mean:.1}/{max:.1} ms"));
        }
        if !g.mapped.is_empty() {
            line.push_str(&format!(
                "  mapped {}",
                callscope_view::format::list(&g.mapped)
            ));
        }
        line.push_str(&format!("  from {:.3} s", g.first));
        writeln!(out, "{line}")?;
    }
    super::more(out, groups.len(), top)?;
    for a in s.allocations.iter().take(top) {
        let mut line = format!(
            "  TURN allocation  {} → {} {}",
            a.client, a.server, a.transport
        );
        match &a.relayed {
            Some(relayed) => line.push_str(&format!("  relayed {relayed}")),
            None if a.allocated_frame.is_none() => line.push_str("  not allocated"),
            None => {}
        }
        if a.challenges > 0 {
            line.push_str(&format!(" after {}×401", a.challenges));
        }
        if !a.errors.is_empty() {
            let e: Vec<String> = a.errors.iter().map(|c| c.to_string()).collect();
            line.push_str(&format!("  errors {}", e.join(",")));
        }
        if !a.permissions.is_empty() {
            line.push_str(&format!(
                "  permissions {}",
                callscope_view::format::list(&a.permissions)
            ));
        }
        for c in &a.channels {
            line.push_str(&format!(
                "  channel {}{} {}↑ {}↓",
                c.number,
                c.peer
                    .as_deref()
                    .map(|p| format!("→{p}"))
                    .unwrap_or_default(),
                c.to_peer,
                c.from_peer
            ));
        }
        if a.send_indications + a.data_indications > 0 {
            line.push_str(&format!(
                "  Send/Data indications {}/{}",
                a.send_indications, a.data_indications
            ));
        }
        if a.deleted_frame.is_some() {
            line.push_str("  released");
        }
        writeln!(out, "{line}")?;
    }
    super::more(out, s.allocations.len(), top)?;
    if !s.software.is_empty() {
        writeln!(out, "  software: {}", s.software.join("; "))?;
    }
    Ok(())
}
