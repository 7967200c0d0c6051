//! Payload type names (as tshark prints them) and the voice quality estimate: a simplified
//! ITU-T G.107 E-model with the codec impairments of ITU-T G.113 Appendix I.
//!
//! ## The estimate
//! ```text
//! R   = 93.2 − Id − Ie,eff                               (G.107 defaults: R0 − Is = 93.2, A = 0)
//! Id  = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3)           (Cole & Rosenbluth's fit of G.107's Id)
//! d   = RTT/2 (from RTCP LSR/DLSR when known, else 0) + packetization + jitter buffer (ms)
//! Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl + Bpl)             (G.107 §7.4 with BurstR = 1)
//! Ppl = 100 · (lost in the network + discarded late by the jitter buffer) / expected
//! MOS = 1 + 0.035·R + 7·10⁻⁶·R·(R − 60)·(100 − R), R clamped to 0…100 (G.107 Annex B)
//! ```
//! The jitter buffer is simulated as a fixed buffer of [`JITTER_BUFFER_MS`]: a packet whose
//! transit time (arrival − RTP timestamp in ms) exceeds the smallest transit seen since the last
//! resynchronisation by more than the buffer is discarded. A marker bit or a transit step of more
//! than a second resynchronises (a new talkspurt or a timestamp jump, not late packets).
//! Wideband codecs are scored on the narrowband scale with narrowband-equivalent impairments, so
//! scores top out at 4.41 for every codec; codecs without published impairments get no score.

use serde::{Deserialize, Serialize};

/// The simulated fixed jitter buffer.
pub const JITTER_BUFFER_MS: f64 = 60.0;

/// tshark's short payload type names (`rtp_payload_type_short_vals`).
pub fn static_name(pt: u8) -> String {
    let name = match pt {
        0 => "g711U",
        1 => "fs-1016",
        2 => "g721",
        3 => "GSM",
        4 => "g723",
        5 => "DVI4 8k",
        6 => "DVI4 16k",
        7 => "Exp. from Xerox PARC",
        8 => "g711A",
        9 => "g722",
        10 => "16-bit audio, stereo",
        11 => "16-bit audio, monaural",
        12 => "Qualcomm",
        13 => "CN",
        14 => "MPEG-I/II Audio",
        15 => "g728",
        16 => "DVI4 11k",
        17 => "DVI4 22k",
        18 => "g729",
        19 => "CN(old)",
        25 => "CellB",
        26 => "JPEG",
        28 => "NV",
        31 => "h261",
        32 => "MPEG-I/II Video",
        33 => "MPEG-II streams",
        34 => "h263",
        72..=76 => "Reserved for RTCP conflict avoidance",
        96..=127 => return format!("RTPType-{pt}"),
        _ => "Unassigned",
    };
    name.to_owned()
}

/// The name tshark gives a dynamic payload type it found without SDP: the dissector its default
/// preferences tie to the type (`rtp.pt` table: 99 RFC 2198 redundancy, 100 and 101 RFC 4733
/// events), else none.
pub fn heuristic_dynamic_name(pt: u8) -> Option<&'static str> {
    match pt {
        99 => Some("rtp.rfc2198"),
        100 | 101 => Some("rtpevent"),
        _ => None,
    }
}

/// A codec's E-model parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impairment {
    /// Equipment impairment factor Ie.
    pub ie: f64,
    /// Packet-loss robustness factor Bpl.
    pub bpl: f64,
}

/// Ie and Bpl by codec (ITU-T G.113 Appendix I; G.711 with packet loss concealment).
/// `name` is the SDP encoding name or tshark's short name; static types are also looked up by
/// number.
pub fn impairment(pt: u8, name: Option<&str>) -> Option<Impairment> {
    let by_name = name.map(str::to_ascii_uppercase);
    let key = match (pt, by_name.as_deref()) {
        (0 | 8, _) | (_, Some("PCMU" | "PCMA" | "G711U" | "G711A")) => "G711",
        (18, _) | (_, Some("G729" | "G729A")) => "G729",
        (4, _) | (_, Some("G723" | "G7231")) => "G723",
        (3, _) | (_, Some("GSM")) => "GSM",
        (9, _) | (_, Some("G722")) => "G722",
        (15, _) | (_, Some("G728")) => "G728",
        (2, _) | (_, Some("G726-32" | "G721")) => "G726",
        (_, Some("GSM-EFR")) => "GSM-EFR",
        (_, Some("AMR")) => "AMR",
        (_, Some("AMR-WB" | "EVS")) => "AMR-WB",
        (_, Some("ILBC")) => "ILBC",
        (_, Some("OPUS")) => "OPUS",
        _ => return None,
    };
    let (ie, bpl) = match key {
        "G711" => (0.0, 25.1),
        "G729" => (11.0, 19.0),
        "G723" => (15.0, 16.1),
        "GSM" => (20.0, 10.0),
        "G722" => (0.0, 25.1),
        "G728" => (7.0, 10.0),
        "G726" => (7.0, 10.0),
        "GSM-EFR" => (5.0, 10.0),
        "AMR" => (5.0, 10.0),
        "AMR-WB" => (0.0, 10.0),
        "ILBC" => (11.0, 32.0),
        _ => (0.0, 20.0), // OPUS: robust concealment; narrowband-equivalent estimate
    };
    Some(Impairment { ie, bpl })
}

/// One E-model evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Transmission rating R (0–100).
    pub r: f64,
    /// Estimated MOS-CQE (1–4.5).
    pub mos: f64,
    /// Effective loss used (%), network and jitter buffer together.
    pub loss_pct: f64,
    /// One-way delay used (ms).
    pub delay_ms: f64,
}

/// Evaluates the E-model (see the module docs).
pub fn emodel(imp: Impairment, loss_pct: f64, delay_ms: f64) -> Quality {
    let ppl = loss_pct.clamp(0.0, 100.0);
    let d = delay_ms.max(0.0);
    let id = 0.024 * d + if d > 177.3 { 0.11 * (d - 177.3) } else { 0.0 };
    let ie_eff = imp.ie + (95.0 - imp.ie) * ppl / (ppl + imp.bpl);
    let r = (93.2 - id - ie_eff).clamp(0.0, 100.0);
    Quality {
        r,
        mos: mos_from_r(r),
        loss_pct: ppl,
        delay_ms: d,
    }
}

/// G.107 Annex B: MOS from R.
pub fn mos_from_r(r: f64) -> f64 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_tshark() {
        assert_eq!(static_name(0), "g711U");
        assert_eq!(static_name(8), "g711A");
        assert_eq!(static_name(18), "g729");
        assert_eq!(static_name(13), "CN");
        assert_eq!(static_name(111), "RTPType-111");
        assert_eq!(heuristic_dynamic_name(101), Some("rtpevent"));
    }

    #[test]
    fn perfect_g711_scores_4_41() {
        let q = emodel(impairment(0, None).unwrap(), 0.0, 0.0);
        assert!((q.r - 93.2).abs() < 1e-9);
        assert!((q.mos - 4.41).abs() < 0.01);
    }

    #[test]
    fn loss_and_delay_lower_the_score() {
        let g711 = impairment(8, None).unwrap();
        let lossy = emodel(g711, 5.0, 0.0);
        // Ie,eff = 95·5/30.1 = 15.78 → R = 77.4 → MOS ≈ 3.88.
        assert!((lossy.r - (93.2 - 95.0 * 5.0 / 30.1)).abs() < 1e-9);
        assert!(lossy.mos < 4.0 && lossy.mos > 3.8);
        let late = emodel(g711, 0.0, 300.0);
        assert!(late.mos < emodel(g711, 0.0, 100.0).mos);
        assert_eq!(emodel(g711, 100.0, 1000.0).mos, 1.0);
        let g729 = impairment(18, None).unwrap();
        assert!(emodel(g729, 0.0, 0.0).mos < 4.2);
        assert!(impairment(96, Some("AMR-WB")).is_some());
        assert!(impairment(96, None).is_none());
    }
}
