//! The human-readable report: verdicts first, then summary, protocol hierarchy, top
//! conversations, top endpoints (with their names), processes, names, and the protocol sections.
//! Layout follows tshark's `-z` tables so the two can be compared by eye.

use std::io::{self, Write};

use callscope_analysis::Report;

mod ike;
mod names;
mod rtp;
mod sip;
mod stun;
mod verdicts;

pub fn write(out: &mut dyn Write, r: &Report, top: usize) -> io::Result<()> {
    verdicts::write(out, r, top)?;
    let c = &r.capture;
    writeln!(out, "Capture")?;
    writeln!(out, "  format       {}", c.format)?;
    writeln!(out, "  link types   {}", c.link_types.join(", "))?;
    for iface in &c.interfaces {
        writeln!(
            out,
            "  interface {}  {} {} ({} packets)",
            iface.index,
            iface.name.as_deref().unwrap_or("-"),
            iface.link_type,
            iface.packets
        )?;
    }
    writeln!(out, "  packets      {}", c.packets)?;
    writeln!(out, "  bytes        {}", c.bytes)?;
    writeln!(out, "  duration     {:.6} s", c.duration)?;
    if c.malformed > 0 {
        writeln!(out, "  malformed    {}", c.malformed)?;
        for reason in &c.malformed_reasons {
            writeln!(
                out,
                "    {} × {} (first in frame {})",
                reason.count, reason.reason, reason.first_frame
            )?;
        }
    }
    if c.unknown_link_type > 0 {
        writeln!(out, "  unknown link type  {} packets", c.unknown_link_type)?;
    }
    if let Some(err) = &c.error {
        writeln!(
            out,
            "  {}  {err}",
            if c.truncated {
                "truncated"
            } else {
                "stopped  "
            }
        )?;
    }

    writeln!(out, "\nProtocol hierarchy")?;
    for node in &r.hierarchy {
        let indent = "  ".repeat(node.path.len());
        let name = node.path.last().map(String::as_str).unwrap_or("");
        writeln!(
            out,
            "{indent}{name:<width$} frames:{:<8} bytes:{}",
            node.frames,
            node.bytes,
            width = 30usize.saturating_sub(indent.len())
        )?;
    }

    let mut convs: Vec<_> = r.conversations.iter().collect();
    convs.sort_by_key(|c| std::cmp::Reverse(c.bytes));
    writeln!(
        out,
        "\nConversations ({} in all, top {} by bytes)",
        convs.len(),
        top.min(convs.len())
    )?;
    writeln!(
        out,
        "  {:<4} {:<46} {:<46} {:>8} {:>12} {:>10} {:>10}  protocol / process / name of B",
        "", "A", "B", "packets", "bytes", "start", "duration"
    )?;
    for cv in convs.iter().take(top) {
        let process = cv.process.as_ref().map(ToString::to_string);
        let label = [&cv.protocol, &process, &cv.b_name]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" / ");
        let line = format!(
            "  {:<4} {:<46} {:<46} {:>8} {:>12} {:>10.6} {:>10.4}  {label}",
            cv.transport, cv.a, cv.b, cv.packets, cv.bytes, cv.start, cv.duration
        );
        writeln!(out, "{}", line.trim_end())?;
    }

    if let Some(summary) = callscope_view::icmp::summary(r) {
        writeln!(out, "\n{summary}")?;
        for cv in convs.iter().filter(|c| !c.icmp_errors.is_empty()).take(top) {
            let what = callscope_view::icmp::describe(&cv.icmp_errors).unwrap_or_default();
            let protocol = cv.protocol.as_deref().unwrap_or("");
            writeln!(
                out,
                "  {:<4} {} → {}  {protocol}  {what}",
                cv.transport, cv.a, cv.b
            )?;
        }
    }

    writeln!(
        out,
        "\nEndpoints ({} in all, top {} by packets)",
        r.endpoints.len(),
        top.min(r.endpoints.len())
    )?;
    writeln!(
        out,
        "  {:<40} {:>8} {:>12} {:>8} {:>8}  {:<12} name",
        "address", "packets", "bytes", "tx", "rx", "class"
    )?;
    for e in r.endpoints.iter().take(top) {
        let line = format!(
            "  {:<40} {:>8} {:>12} {:>8} {:>8}  {:<12} {}",
            e.addr,
            e.packets,
            e.bytes,
            e.tx_packets,
            e.rx_packets,
            e.class,
            e.name.as_deref().unwrap_or("")
        );
        writeln!(out, "{}", line.trim_end())?;
    }

    if !r.processes.is_empty() {
        writeln!(out, "\nProcesses")?;
        writeln!(
            out,
            "  {:>7} {:<24} {:>6} {:>8} {:>12}  path",
            "pid", "name", "flows", "packets", "bytes"
        )?;
        for p in r.processes.iter().take(top) {
            writeln!(
                out,
                "  {:>7} {:<24} {:>6} {:>8} {:>12}  {}",
                p.pid,
                p.name,
                p.flows,
                p.packets,
                p.bytes,
                p.path.as_deref().unwrap_or("")
            )?;
        }
        more(out, r.processes.len(), top)?;
    }
    names::write(out, r, top)?;
    ike::write(out, r, top)?;
    stun::write(out, r, top)?;
    sip::write(out, r, top)?;
    rtp::write(out, r, top)?;

    // The same list, in the same words, as the page's overview.
    let limits = callscope_view::capture::limits_hit(r);
    if !limits.is_empty() {
        writeln!(out, "\nLimits hit (dropped to keep memory bounded)")?;
        for (what, n) in limits {
            writeln!(out, "  {n} {what}")?;
        }
        if !r.limits.tables.is_empty() {
            let full: Vec<String> = r
                .limits
                .tables
                .iter()
                .map(|t| format!("{} ({})", t.table, t.bound))
                .collect();
            writeln!(
                out,
                "  Full at their share of the memory budget: {}; --memory MiB raises it.",
                full.join(", ")
            )?;
        }
    }
    Ok(())
}

/// Says how many rows of a list `--top` left out, if any.
pub(crate) fn more(out: &mut dyn Write, total: usize, top: usize) -> io::Result<()> {
    if total > top {
        writeln!(
            out,
            "  … and {} more (--top {total} shows them all)",
            total - top
        )?;
    }
    Ok(())
}
