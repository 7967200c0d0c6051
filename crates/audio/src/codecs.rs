//! Which payloads can be played, and their decoders: G.711 µ-law and A-law, G.722, G.729 and
//! Opus through the `audio-codec` crate (pure Rust, builds for wasm32). Comfort noise and
//! telephone-events carry no speech: they play as silence (the digits are shown apart).

use audio_codec::{CodecType, Decoder};

/// Opus is decoded at 16 kHz (wideband): speech needs no more, and an hour of 48 kHz stereo
/// would be 700 MB in a browser tab.
pub const OPUS_RATE: u32 = 16_000;

/// What a payload type is to the player.
pub enum Kind {
    /// Speech, decoded at this rate.
    Speech(Box<dyn Decoder>, u32),
    /// No sound of its own: comfort noise or telephone-event.
    Silent,
    /// Not playable, and why.
    Unplayable(String),
}

/// A decoder, before it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Table(CodecType),
    Opus,
}

impl Codec {
    /// The rate it decodes at (G.722 at 16 kHz, G.711 and G.729 at 8 kHz).
    fn rate(self) -> u32 {
        match self {
            Codec::Table(CodecType::G722) => 16_000,
            Codec::Table(_) => 8000,
            Codec::Opus => OPUS_RATE,
        }
    }

    fn decoder(self) -> Box<dyn Decoder> {
        match self {
            Codec::Table(t) => audio_codec::create_decoder(t),
            Codec::Opus => audio_codec::create_opus_decoder(OPUS_RATE, 1),
        }
    }
}

/// What a payload type named `name` is, without making its decoder: the codec, or `Err` with
/// no sound of its own (`None`: comfort noise, telephone-event) or why it cannot be played.
fn classify(pt: u8, name: &str) -> Result<Codec, Option<String>> {
    let lower = name.to_ascii_lowercase();
    Ok(match lower.as_str() {
        "g711u" | "pcmu" => Codec::Table(CodecType::PCMU),
        "g711a" | "pcma" => Codec::Table(CodecType::PCMA),
        "g722" => Codec::Table(CodecType::G722),
        "g729" | "g729a" => Codec::Table(CodecType::G729),
        "opus" => Codec::Opus,
        "cn" | "cn(old)" | "telephone-event" | "rtpevent" => return Err(None),
        _ if pt == 13 || pt == 19 => return Err(None),
        // tshark's placeholder for a dynamic type no SDP named.
        n if n.is_empty() || n.starts_with("rtptype-") => {
            return Err(Some(format!(
                "payload type {pt} is not named by any SDP in the capture, so its codec is unknown"
            )))
        }
        // The mobile codecs of VoLTE and Wi-Fi calling: their decoders are 3GPP's C code
        // (opencore-amr, the EVS reference); no maintained pure-Rust one builds for wasm32.
        "amr" | "amr-wb" | "evs" => {
            return Err(Some(format!(
                "no decoder for {name}: no maintained pure-Rust {name} decoder exists (3GPP's is C)"
            )))
        }
        _ => {
            return Err(Some(format!(
                "no decoder for {name} (callscope plays G.711, G.722, G.729 and Opus)"
            )))
        }
    })
}

/// The rate a payload type named `name` decodes at, when it is speech (no decoder is made).
pub fn speech_rate(pt: u8, name: &str) -> Option<u32> {
    classify(pt, name).ok().map(Codec::rate)
}

/// The decoder for a payload type named `name` (the report's name: tshark's for static types,
/// SDP's rtpmap for dynamic ones).
pub fn for_payload(pt: u8, name: &str) -> Kind {
    match classify(pt, name) {
        Ok(codec) => Kind::Speech(codec.decoder(), codec.rate()),
        Err(None) => Kind::Silent,
        Err(Some(why)) => Kind::Unplayable(why),
    }
}

/// Decodes one payload; `None` when the decoder refused it or failed on it (a payload from a
/// capture is untrusted input: a decoder's panic is caught where unwinding exists).
pub fn decode(decoder: &mut dyn Decoder, payload: &[u8]) -> Option<Vec<i16>> {
    let mut out = vec![0i16; decoder.max_decode_samples(payload.len()).min(1 << 16)];
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decoder.decode_into(payload, &mut out)
    }));
    match result {
        Ok(Ok(n)) => {
            out.truncate(n);
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_pick_decoders() {
        for (pt, name, rate) in [
            (0, "g711U", 8000),
            (8, "PCMA", 8000),
            (9, "g722", 16000),
            (18, "g729", 8000),
            (111, "opus", OPUS_RATE),
        ] {
            match for_payload(pt, name) {
                Kind::Speech(d, r) => {
                    assert_eq!(r, rate, "{name}");
                    assert_eq!(d.sample_rate(), rate, "{name}");
                    assert_eq!(speech_rate(pt, name), Some(rate), "{name}");
                }
                _ => panic!("{name} should be speech"),
            }
        }
        assert!(matches!(for_payload(101, "telephone-event"), Kind::Silent));
        assert!(matches!(for_payload(13, "CN"), Kind::Silent));
        match for_payload(118, "RTPType-118") {
            Kind::Unplayable(why) => assert!(why.contains("not named by any SDP"), "{why}"),
            _ => panic!("an unnamed type is not playable"),
        }
        match for_payload(104, "AMR-WB") {
            Kind::Unplayable(why) => {
                assert!(why.contains("no maintained pure-Rust AMR-WB"), "{why}")
            }
            _ => panic!("AMR-WB has no decoder"),
        }
        match for_payload(3, "GSM") {
            Kind::Unplayable(why) => assert!(why.contains("no decoder for GSM"), "{why}"),
            _ => panic!("GSM has no decoder"),
        }
    }

    #[test]
    fn g711_decodes_one_sample_per_byte() {
        let Kind::Speech(mut d, _) = for_payload(0, "PCMU") else {
            panic!()
        };
        // µ-law 0xFF and 0x7F are the two zeros (G.711 Table 2a).
        assert_eq!(decode(d.as_mut(), &[0xff, 0x7f]), Some(vec![0, 0]));
        assert_eq!(decode(d.as_mut(), &[0x00]).map(|s| s[0]), Some(-32124));
    }

    /// Payloads from a capture are arbitrary bytes: no decoder may take the process down.
    #[test]
    fn arbitrary_payloads_never_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (pt, name) in [
            (0, "PCMU"),
            (8, "PCMA"),
            (9, "G722"),
            (18, "G729"),
            (111, "opus"),
        ] {
            let Kind::Speech(mut d, _) = for_payload(pt, name) else {
                panic!()
            };
            for _ in 0..400 {
                let len = (next() % 400) as usize;
                let payload: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                // Straight to the decoder: a panic here fails the test (on wasm nothing
                // would catch it).
                let mut out = vec![0i16; d.max_decode_samples(payload.len())];
                let _ = d.decode_into(&payload, &mut out);
            }
        }
    }
}
