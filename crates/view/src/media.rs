//! RTP streams as the views name them: a stream's codec, its arrow label in a ladder, its
//! title.

use callscope_analysis::rtp::RtpStream;
use callscope_analysis::sip::report::Call;
use callscope_analysis::Report;

use crate::format;

/// Payload names that are not the voice or video itself.
fn is_side_payload(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "telephone-event" || n == "cn" || n == "comfort noise" || n.starts_with("rtpevent")
}

/// The stream's codec: the payload type that carried most packets, events and comfort noise
/// aside (tshark's joined `payload` list when the report has no per-type counts).
pub fn codec(s: &RtpStream) -> String {
    let main = s
        .payload_types
        .iter()
        .filter(|p| !is_side_payload(&p.name))
        .max_by_key(|p| p.packets)
        .or_else(|| s.payload_types.iter().max_by_key(|p| p.packets));
    match main {
        Some(p) if p.name.is_empty() => format!("PT {}", p.pt),
        Some(p) => p.name.clone(),
        None => s.payload.clone(),
    }
}

/// The label of a stream's arrow in a ladder: `PCMU 250 pkts, 0 lost`.
pub fn arrow_label(s: &RtpStream) -> String {
    format!("{} {} pkts, {} lost", codec(s), s.packets, s.lost)
}

/// A one-line title: `10.0.0.1:6000 → 10.0.0.2:6002 0x1234abcd PCMU`.
pub fn title(s: &RtpStream) -> String {
    format!("{} → {} {} {}", s.src, s.dst, s.ssrc, codec(s))
}

/// A call's worst (lowest) MOS among its streams.
pub fn call_mos(report: &Report, call: &Call) -> Option<f64> {
    call.media
        .iter()
        .filter_map(|&i| report.rtp.streams.get(i)?.mos)
        .min_by(f64::total_cmp)
}

/// Loss as the stream table shows it: `2 (0.8 %)`.
pub fn loss(s: &RtpStream) -> String {
    format!("{} ({})", format::signed(s.lost), format::pct(s.lost_pct))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use callscope_analysis::rtp::PayloadTypeCount;

    #[test]
    fn the_codec_is_the_busiest_voice_payload() {
        let s = RtpStream {
            payload: "g711U, telephone-event".into(),
            payload_types: vec![
                PayloadTypeCount {
                    pt: 101,
                    name: "telephone-event".into(),
                    clock: 8000,
                    packets: 900,
                },
                PayloadTypeCount {
                    pt: 0,
                    name: "g711U".into(),
                    clock: 8000,
                    packets: 100,
                },
            ],
            ..RtpStream::default()
        };
        assert_eq!(codec(&s), "g711U");
        assert_eq!(
            codec(&RtpStream {
                payload: "g729".into(),
                ..RtpStream::default()
            }),
            "g729"
        );
    }
}
