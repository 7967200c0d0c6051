//! The text report's "Tunnels": one line per IKE tunnel (version, peers and the move to 4500, NAT,
//! state and timing, exchanges, rekeys, deletes, keepalives) with its ESP SPIs, then ESP that no
//! captured IKE explains.

use std::io::{self, Write};

use callscope_analysis::ike::{EspReport, TunnelReport, TunnelState};
use callscope_analysis::Report;

/// ESP SAs named on a tunnel's line before "+N".
const MAX_SPIS: usize = 4;

fn esp_summary(esp: &[EspReport]) -> String {
    if esp.is_empty() {
        return "no ESP".to_owned();
    }
    let packets: u64 = esp.iter().map(|e| e.packets).sum();
    let lost: u64 = esp.iter().map(|e| e.lost).sum();
    let mut spis: Vec<String> = esp
        .iter()
        .take(MAX_SPIS)
        .map(|e| format!("{} {}", e.spi, e.packets))
        .collect();
    if esp.len() > MAX_SPIS {
        spis.push(format!("+{}", esp.len() - MAX_SPIS));
    }
    format!("ESP {packets} packets, {lost} lost ({})", spis.join(", "))
}

fn line(t: &TunnelReport) -> String {
    let mut parts = vec![format!(
        "IKEv{} {} → {}",
        t.version, t.initiator, t.responder
    )];
    if let Some(f) = &t.floated {
        parts.push(format!("then {} → {}", f.initiator, f.responder));
    } else if t.nat_t {
        parts.push("UDP-encapsulated".to_owned());
    }
    if let Some(nat) = &t.nat {
        // A destination hash that does not match shows a real rewrite of that side's address; a
        // source hash alone may also be a peer forcing encapsulation (RFC 7296 §2.23).
        let side = |who: &str, behind: bool| -> Option<String> {
            if !behind {
                return None;
            }
            let seen_by_peer = nat
                .mismatches
                .iter()
                .any(|m| m.hash == "destination" && m.by != who);
            Some(if seen_by_peer {
                format!("{who} behind NAT")
            } else {
                format!("{who}'s source hash differs (NAT or forced NAT-T)")
            })
        };
        let found: Vec<String> = [
            side("initiator", nat.initiator_behind_nat),
            side("responder", nat.responder_behind_nat),
        ]
        .into_iter()
        .flatten()
        .collect();
        parts.push(if found.is_empty() {
            "no NAT".to_owned()
        } else {
            found.join(", ")
        });
    }
    parts.push(match t.established_ms {
        Some(ms) if t.state == TunnelState::Established => format!("established in {ms:.1} ms"),
        Some(ms) => format!("established in {ms:.1} ms, {}", t.state),
        None => t.state.to_string(),
    });
    let mut counts = vec![format!("{} exchanges", t.exchanges.len())];
    if t.rekeys > 0 {
        counts.push(format!(
            "{} rekey{}",
            t.rekeys,
            if t.rekeys == 1 { "" } else { "s" }
        ));
    }
    if !t.deletes.is_empty() {
        let what: Vec<&str> = t.deletes.iter().map(|d| d.what.as_str()).collect();
        counts.push(format!("deletes {}", what.join("+")));
    }
    if t.keepalives > 0 {
        counts.push(format!("{} keepalives", t.keepalives));
    }
    parts.push(counts.join(", "));
    if !t.errors.is_empty() {
        parts.push(t.errors.join(" "));
    }
    parts.push(format!("SPIs {}/{}", t.ispi, t.rspi));
    parts.push(esp_summary(&t.esp));
    parts.join("  ")
}

pub fn write(out: &mut dyn Write, r: &Report, top: usize) -> io::Result<()> {
    let ike = &r.ike;
    if ike.tunnels.is_empty() && ike.esp_unattached.is_empty() && ike.messages == 0 {
        return Ok(());
    }
    writeln!(
        out,
        "\nTunnels ({} IKE SAs, {} IKE messages, {} ESP packets)",
        ike.tunnels.len(),
        ike.messages,
        ike.esp_packets
    )?;
    for t in ike.tunnels.iter().take(top) {
        writeln!(out, "  {}", line(t))?;
        if let Some(name) = callscope_view::names::of_address(r, t.responder.ip()) {
            writeln!(out, "    responder: {name}")?;
        }
    }
    super::more(out, ike.tunnels.len(), top)?;
    for e in ike.esp_unattached.iter().take(top) {
        writeln!(
            out,
            "  ESP {} {} → {} ({}): {} packets, {} lost, {} replays, no IKE captured",
            e.spi, e.src, e.dst, e.encap, e.packets, e.lost, e.replays
        )?;
    }
    super::more(out, ike.esp_unattached.len(), top)?;
    if ike.keepalives_unattached > 0 {
        writeln!(
            out,
            "  {} NAT-keepalives with no IKE captured",
            ike.keepalives_unattached
        )?;
    }
    if ike.tunnels_dropped + ike.esp_sas_dropped > 0 {
        writeln!(
            out,
            "  (not tracked: {} IKE SAs, {} ESP SAs)",
            ike.tunnels_dropped, ike.esp_sas_dropped
        )?;
    }
    Ok(())
}
