//! The text report's "Media": RTP streams laid out like tshark's `rtp,streams` (same columns,
//! widths and order, newest stream first), then quality and RTCP.

use std::io::{self, Write};

use callscope_analysis::addr::ip_text;
use callscope_analysis::report::Socket;
use callscope_analysis::Report;

/// tshark prints `1.2.3.4 5060`: address and port in separate columns, IPv6 without brackets.
fn split(addr: Socket) -> (String, u16) {
    (ip_text(addr.ip()), addr.port())
}

pub fn write(out: &mut dyn Write, r: &Report, top: usize) -> io::Result<()> {
    let rtp = &r.rtp;
    if !rtp.streams.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "========================= RTP Streams ========================"
        )?;
        writeln!(
            out,
            "{:>13} {:>13} {:>15} {:>5} {:>15} {:>5} {:>10} {:>16} {:>5} {:>12} {:>15} {:>15} {:>15} {:>15} {:>15} {:>15} Problems?",
            "Start time", "End time", "Src IP addr", "Port", "Dest IP addr", "Port", "SSRC",
            "Payload", "Pkts", "Lost", "Min Delta(ms)", "Mean Delta(ms)", "Max Delta(ms)",
            "Min Jitter(ms)", "Mean Jitter(ms)", "Max Jitter(ms)"
        )?;
        for s in rtp.streams.iter().rev().take(top) {
            let (sip, sport) = split(s.src);
            let (dip, dport) = split(s.dst);
            let ssrc = format!("0x{:08X}", s.ssrc.0);
            writeln!(
                out,
                "{:>13.6} {:>13.6} {:>15} {:>5} {:>15} {:>5} {:>10} {:>16} {:>5} {:>5} ({:.1}%) {:>15.3} {:>15.3} {:>15.3} {:>15.3} {:>15.3} {:>15.3} {}",
                s.start,
                s.end,
                sip,
                sport,
                dip,
                dport,
                ssrc,
                s.payload,
                s.packets,
                s.lost,
                s.lost_pct,
                s.min_delta_ms,
                s.mean_delta_ms,
                s.max_delta_ms,
                s.min_jitter_ms,
                s.mean_jitter_ms,
                s.max_jitter_ms,
                if s.problem { "X" } else { "" }
            )?;
        }
        super::more(out, rtp.streams.len(), top)?;
        writeln!(
            out,
            "=============================================================="
        )?;

        writeln!(
            out,
            "\nMedia quality (E-model, {} ms fixed jitter buffer)",
            rtp.jitter_buffer_ms
        )?;
        writeln!(
            out,
            "  {:<10} {:>5} {:>6} {:>5} {:>5} {:>5} {:>9} {:>9} {:>8} {:>5}  call",
            "SSRC", "MOS", "R", "dup", "late", "seq!", "kbit/s", "RTT(ms)", "duration", "flags"
        )?;
        for s in rtp.streams.iter().take(top) {
            let mut flags = String::new();
            if s.sdp {
                flags.push('S');
            }
            if !s.confirmed {
                flags.push('?');
            }
            if s.srtp {
                flags.push('E');
            }
            writeln!(
                out,
                "  {:<10} {:>5} {:>6} {:>5} {:>5} {:>5} {:>9.1} {:>9} {:>8.3} {:>5}  {}",
                s.ssrc,
                s.mos.map_or("-".into(), |m| format!("{m:.2}")),
                s.r_factor.map_or("-".into(), |v| format!("{v:.1}")),
                s.duplicates,
                s.late_discards,
                s.sequence_errors,
                s.bitrate_kbps,
                s.rtt_ms.map_or("-".into(), |v| format!("{v:.3}")),
                s.duration,
                flags,
                s.call_id.as_deref().unwrap_or("")
            )?;
        }
        super::more(out, rtp.streams.len(), top)?;
        writeln!(
            out,
            "  flags: S announced by SDP, ? unconfirmed heuristic, E SRTP (ZRTP/DTLS keying)"
        )?;
        for c in rtp.calls.iter().take(top) {
            writeln!(
                out,
                "  call {}: {} streams, MOS {}",
                c.call_id,
                c.streams.len(),
                c.mos.map_or("-".into(), |m| format!("{m:.2}"))
            )?;
        }
        super::more(out, rtp.calls.len(), top)?;
        if rtp.streams_dropped > 0 {
            writeln!(
                out,
                "  {} streams ({} packets) not tracked: stream limit",
                rtp.streams_dropped, rtp.packets_dropped
            )?;
        }
    }

    let rtcp = &r.rtcp;
    if !rtcp.reports.is_empty() {
        writeln!(
            out,
            "\nRTCP ({} datagrams, {} SRTCP)",
            rtcp.packets, rtcp.srtcp_packets
        )?;
        writeln!(
            out,
            "  {:<46} {:<46} {:<10} {:>7} {:>9} {:>7} {:>9}  RTT(ms) / CNAME",
            "source", "destination", "SSRC", "packets", "lost(%)", "cum.lost", "jitter"
        )?;
        for s in rtcp.sources.iter().take(top) {
            let packets: u64 = s.packets.values().sum();
            let kinds: Vec<String> = s.packets.iter().map(|(k, n)| format!("{k}×{n}")).collect();
            writeln!(
                out,
                "  {:<46} {:<46} {:<10} {:>7} {:>9} {:>7} {:>9}  {} {}  [{}]",
                s.src,
                s.dst,
                s.ssrc,
                packets,
                s.last_fraction_lost_pct
                    .map_or("-".into(), |v| format!("{v:.1}")),
                s.max_cumulative_lost.map_or("-".into(), |v| v.to_string()),
                s.max_jitter_ms.map_or("-".into(), |v| format!("{v:.3}")),
                s.rtt_mean_ms.map_or("-".into(), |v| format!("{v:.3}")),
                s.cname.as_deref().unwrap_or(""),
                kinds.join(" ")
            )?;
        }
        super::more(out, rtcp.sources.len(), top)?;
    }
    Ok(())
}
