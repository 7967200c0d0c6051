//! The text report's names: each address's names with where they came from (and the mobile
//! network a 3GPP name belongs to), DNS questions that failed or went unanswered, and the TLS
//! handshakes.

use std::io::{self, Write};

use callscope_analysis::Report;
use callscope_view::names;

pub fn write(out: &mut dyn Write, r: &Report, top: usize) -> io::Result<()> {
    let learned: Vec<_> = r.names.iter().filter(|n| n.source != "port").collect();
    if !learned.is_empty() {
        writeln!(out, "\nNames ({} learned)", learned.len())?;
        for n in learned.iter().take(top) {
            writeln!(
                out,
                "  {:<40} {:<44} {} (frame {})",
                n.addr,
                names::with_chain(n),
                names::source(&n.source),
                n.frame
            )?;
            if let Some(net) = &n.network {
                writeln!(out, "  {:<40} {}", "", names::network(net))?;
            }
        }
        super::more(out, learned.len(), top)?;
    }

    let d = &r.dns;
    if d.messages > 0 {
        let failed: Vec<_> = d
            .queries
            .iter()
            .filter(|q| q.responses == 0 || q.rcode.as_deref().is_some_and(|c| c != "NOERROR"))
            .collect();
        writeln!(
            out,
            "\nDNS ({} messages, {} names asked, {} failed or unanswered)",
            d.messages,
            d.queries.len(),
            failed.len()
        )?;
        for q in failed.iter().take(top) {
            writeln!(
                out,
                "  {:<48} {:<6} {}  {} → {}",
                q.name,
                q.qtype,
                q.rcode.as_deref().unwrap_or("no answer"),
                q.client,
                q.server
            )?;
        }
        super::more(out, failed.len(), top)?;
    }

    let t = &r.tls;
    if !t.sessions.is_empty() {
        writeln!(out, "\nTLS ({} handshakes)", t.sessions.len())?;
        for s in t.sessions.iter().take(top) {
            let mut line = format!(
                "  {} → {}  {}  {}{}",
                s.client,
                s.server,
                s.sni.as_deref().unwrap_or("(no server name)"),
                s.version,
                if s.quic { " over QUIC" } else { "" }
            );
            if let Some(alpn) = &s.alpn {
                line.push_str(&format!("  alpn {alpn}"));
            } else if !s.alpn_offered.is_empty() {
                line.push_str(&format!("  alpn offered {}", s.alpn_offered.join(",")));
            }
            if let Some(subject) = &s.certificate_subject {
                line.push_str(&format!("  cert {subject}"));
            }
            writeln!(out, "{line}")?;
        }
        super::more(out, t.sessions.len(), top)?;
    }
    Ok(())
}
