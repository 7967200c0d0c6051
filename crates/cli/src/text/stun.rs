//! The text report's "NAT traversal": STUN transactions grouped by method, client, server and
//! transport (one line each, with outcomes, RTT and the public mapping learned), then one line
//! per TURN allocation.

use std::collections::BTreeMap;
use std::io::{self, Write};

use callscope_analysis::stun::StunTransaction;
use callscope_analysis::Report;

/// Groups listed before "… and N more".
const MAX_LINES: usize = 100;

#[derive(Default)]
struct Group<'a> {
    count: u64,
    success: u64,
    errors: BTreeMap<u16, u64>,
    unanswered: u64,
    rtts: Vec<f64>,
    mapped: Vec<&'a str>,
    first: f64,
}

fn group_key(t: &StunTransaction) -> (String, String, String, String) {
    (
        t.method.clone(),
        t.client.clone(),
        t.server.clone(),
        t.transport.clone(),
    )
}

pub fn write(out: &mut dyn Write, r: &Report) -> io::Result<()> {
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
    let mut order = Vec::new();
    let mut groups: BTreeMap<(String, String, String, String), Group> = BTreeMap::new();
    for t in &s.transactions {
        let key = group_key(t);
        let g = groups.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            Group {
                first: t.start,
                ..Group::default()
            }
        });
        g.count += 1;
        match t.class.as_str() {
            "success" => g.success += 1,
            "error" => *g.errors.entry(t.error_code.unwrap_or(0)).or_default() += 1,
            _ => g.unanswered += 1,
        }
        if let Some(rtt) = t.rtt_ms {
            g.rtts.push(rtt);
        }
        if let Some(m) = t.mapped.as_deref() {
            if !g.mapped.contains(&m) {
                g.mapped.push(m);
            }
        }
    }
    for key in order.iter().take(MAX_LINES) {
        let g = &groups[key];
        let (method, client, server, transport) = key;
        let mut outcome = vec![format!("{} ok", g.success)];
        for (code, n) in &g.errors {
            outcome.push(format!("{n}×{code}"));
        }
        if g.unanswered > 0 {
            outcome.push(format!("{} unanswered", g.unanswered));
        }
        let mut line = format!(
            "  {method:<16} {client} → {server} {transport}  {} transaction{} ({})",
            g.count,
            if g.count == 1 { "" } else { "s" },
            outcome.join(", ")
        );
        if !g.rtts.is_empty() {
            let mean = g.rtts.iter().sum::<f64>() / g.rtts.len() as f64;
            let max = g.rtts.iter().copied().fold(0.0, f64::max);
            line.push_str(&format!("  rtt {mean:.1}/{max:.1} ms"));
        }
        if !g.mapped.is_empty() {
            line.push_str(&format!("  mapped {}", g.mapped.join(", ")));
        }
        line.push_str(&format!("  from {:.3} s", g.first));
        writeln!(out, "{line}")?;
    }
    if order.len() > MAX_LINES {
        writeln!(out, "  … and {} more", order.len() - MAX_LINES)?;
    }
    for a in &s.allocations {
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
            line.push_str(&format!("  permissions {}", a.permissions.join(", ")));
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
    if !s.software.is_empty() {
        writeln!(out, "  software: {}", s.software.join("; "))?;
    }
    Ok(())
}
