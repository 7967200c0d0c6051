//! `cargo xtask audio-fixtures`: writes
//! `tests/captures/audio/tone-{pcmu,pcma,g722,g729,opus}.pcap`, the captures the audio-decoding tests read. Each is one SIP call over UDP (RFC 3261) whose two
//! RTP streams (RFC 3550) carry a known tone, so a test can decode the payload and compare it
//! with the sine it was made from, and check how losses, late packets and DTMF are handled:
//!
//! - caller 192.0.2.10 → callee 198.51.100.20: 440 Hz; packets 50, 51 and 75 lost, 100 arriving
//!   100 ms late and 120 arriving 80 ms late; DTMF "1" on packets 60–67 and "#" on 85–92
//!   (RFC 4733, payload type 101, on the audio's RTP clock);
//! - callee → caller: 660 Hz, all 150 packets, on time.
//!
//! The encoder sees the whole tone in order, as a sender's does: frames lost on the way or
//! replaced by DTMF events were still encoded (G.722's ADPCM state, G.729's and Opus's predictors
//! depend on every sample).
//! Generated, not captured: every byte follows from the constants below, so rerunning the
//! command gives identical files.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::{bail, Context, Result};
use audio_codec::opus::{OpusApplication, OpusEncoder};
use audio_codec::{create_encoder, CodecType, Encoder};
use callscope_wire::testing::{ethernet, ip_udp, Pcap};

use crate::setup::root;

/// 2026-01-01T00:00:00Z, the call's time zero, in µs since the epoch.
const T0_US: i64 = 1_767_225_600 * 1_000_000;
const CALLER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const CALLEE: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 20);
const SIP_PORT: u16 = 5060;
/// RTP packets per direction: 3 s of 20 ms frames.
const PACKETS: usize = 150;
/// One frame: 20 ms, 160 ticks of the 8 kHz RTP clock (G.722's too, RFC 3551 §4.5.2), 960 of
/// Opus's 48 kHz one (RFC 7587 §4.1).
const FRAME_US: i64 = 20_000;
/// Payload type of telephone-event (RFC 4733), as both offers say.
const EVENT_PT: u8 = 101;
/// Tone amplitude: about −12 dBFS, far from clipping in any of the codecs.
const AMPLITUDE: f64 = 8000.0;

/// One codec's call: file name part, RTP payload type, name and parameters (RFC 3551 §6, RFC
/// 8866 §6.6–6.15), its RTP clock rate (the telephone-events', too: RFC 4733 §2.1 wants them on
/// the audio's clock when they share its SSRC), encoder, and the rate its encoder samples at.
struct Codec {
    name: &'static str,
    pt: u8,
    /// `a=rtpmap` encoding name and parameters after the clock rate (Opus's channel count).
    rtpmap: &'static str,
    rtpmap_channels: &'static str,
    fmtp: Option<&'static str>,
    clock: u32,
    encoder: fn() -> Box<dyn Encoder>,
    rate: u32,
}

/// Opus's encoder input: mono at 16 kHz, the rate callscope decodes at. In the VoIP application
/// this is SILK-only wideband, the mode a telephony sender uses for speech; 32 kbit/s constant
/// bitrate, so every packet is 80 bytes. The RTP clock is 48 kHz regardless (RFC 7587 §4.1).
const OPUS_INPUT_RATE: u32 = 16_000;
const OPUS_BITRATE: i32 = 32_000;

fn opus_encoder() -> Box<dyn Encoder> {
    let mut e = OpusEncoder::new_with_application(OPUS_INPUT_RATE, 1, OpusApplication::Voip);
    e.set_bitrate(OPUS_BITRATE);
    e.set_cbr(true);
    Box::new(e)
}

const CODECS: [Codec; 5] = [
    Codec {
        name: "pcmu",
        pt: 0,
        rtpmap: "PCMU",
        rtpmap_channels: "",
        fmtp: None,
        clock: 8000,
        encoder: || create_encoder(CodecType::PCMU),
        rate: 8000,
    },
    Codec {
        name: "pcma",
        pt: 8,
        rtpmap: "PCMA",
        rtpmap_channels: "",
        fmtp: None,
        clock: 8000,
        encoder: || create_encoder(CodecType::PCMA),
        rate: 8000,
    },
    Codec {
        name: "g722",
        pt: 9,
        rtpmap: "G722",
        rtpmap_channels: "",
        fmtp: None,
        clock: 8000,
        encoder: || create_encoder(CodecType::G722),
        rate: 16_000,
    },
    // Two 10-byte frames per 20 ms packet (RFC 3551 §4.5.6); Annex B (VAD/DTX) off, as the
    // encoder is, and as the fmtp says (RFC 7655 §6.1).
    Codec {
        name: "g729",
        pt: 18,
        rtpmap: "G729",
        rtpmap_channels: "",
        fmtp: Some("annexb=no"),
        clock: 8000,
        encoder: || create_encoder(CodecType::G729),
        rate: 8000,
    },
    // Always `opus/48000/2` in SDP (RFC 7587 §7); the stream itself is mono.
    Codec {
        name: "opus",
        pt: 111,
        rtpmap: "opus",
        rtpmap_channels: "/2",
        fmtp: Some("minptime=20;useinbandfec=0"),
        clock: 48_000,
        encoder: opus_encoder,
        rate: OPUS_INPUT_RATE,
    },
];

/// One RTP direction and what happens to it on the way.
struct Direction {
    from: SocketAddr,
    to: SocketAddr,
    ssrc: u32,
    first_seq: u16,
    first_ts: u32,
    /// Send time of packet 0, µs after T0.
    start_us: i64,
    tone_hz: f64,
    /// Packets never delivered.
    lost: &'static [usize],
    /// (packet, delay µs): delivered that much after they were sent.
    late: &'static [(usize, i64)],
    /// (first packet, event code): 8 packets of an RFC 4733 event in place of audio.
    events: &'static [(usize, u8)],
}

const CALLER_TO_CALLEE: Direction = Direction {
    from: SocketAddr::new(IpAddr::V4(CALLER), 40_000),
    to: SocketAddr::new(IpAddr::V4(CALLEE), 50_000),
    ssrc: 0x1111_1111,
    first_seq: 1000,
    first_ts: 160_000,
    start_us: 1_000_000,
    tone_hz: 440.0,
    lost: &[50, 51, 75],
    late: &[(100, 100_000), (120, 80_000)],
    // Event codes (RFC 4733 §3.2): 1 is "1", 11 is "#".
    events: &[(60, 1), (85, 11)],
};

const CALLEE_TO_CALLER: Direction = Direction {
    from: SocketAddr::new(IpAddr::V4(CALLEE), 50_000),
    to: SocketAddr::new(IpAddr::V4(CALLER), 40_000),
    ssrc: 0x2222_2222,
    first_seq: 5000,
    first_ts: 320_000,
    start_us: 1_010_000,
    tone_hz: 660.0,
    lost: &[],
    late: &[],
    events: &[],
};

pub fn run(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("audio-fixtures takes no arguments, got {arg:?}");
    }
    let dir = root().join("tests/captures/audio");
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    for codec in &CODECS {
        let bytes = capture(codec);
        let path = dir.join(format!("tone-{}.pcap", codec.name));
        std::fs::write(&path, &bytes).with_context(|| path.display().to_string())?;
        eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
    }
    Ok(())
}

/// The whole capture for one codec: the call's SIP and both RTP streams, in arrival order.
fn capture(codec: &Codec) -> Vec<u8> {
    // (arrival µs after T0, UDP source, destination, payload)
    let mut records: Vec<(i64, SocketAddr, SocketAddr, Vec<u8>)> = Vec::new();
    let caller = SocketAddr::from((CALLER, SIP_PORT));
    let callee = SocketAddr::from((CALLEE, SIP_PORT));
    for (at, from_caller, message) in signalling(codec) {
        let (src, dst) = if from_caller {
            (caller, callee)
        } else {
            (callee, caller)
        };
        records.push((at, src, dst, message.into_bytes()));
    }
    for direction in [&CALLER_TO_CALLEE, &CALLEE_TO_CALLER] {
        records.extend(stream(codec, direction));
    }
    // Stable: a late packet arriving in the same µs as one sent after it stays before it
    // (caller packets 100 and 105 both at 3.100 s, 120 and 124 both at 3.480 s).
    records.sort_by_key(|r| r.0);
    let mut pcap = Pcap::new(1);
    for (at, src, dst, payload) in &records {
        pcap.record(T0_US + at, &ethernet(&ip_udp(*src, *dst, payload)));
    }
    pcap.into_bytes()
}

/// The call's SIP messages: (µs after T0, sent by the caller, text). INVITE with the offer,
/// 100, 180, 200 with the answer, ACK; later BYE and its 200.
fn signalling(codec: &Codec) -> Vec<(i64, bool, String)> {
    let n = codec.name;
    let call_id = format!("Call-ID: tone-{n}@callscope.test");
    let from = format!("From: <sip:caller@{CALLER}>;tag=caller-{n}");
    let to = format!("To: <sip:callee@{CALLEE}>");
    let to_tagged = format!("{to};tag=callee-{n}");
    let via =
        |branch: &str| format!("Via: SIP/2.0/UDP {CALLER}:{SIP_PORT};branch=z9hG4bK-{n}-{branch}");
    let (invite_via, ack_via, bye_via) = (via("invite"), via("ack"), via("bye"));
    let caller_contact = format!("Contact: <sip:caller@{CALLER}:{SIP_PORT}>");
    let callee_contact = format!("Contact: <sip:callee@{CALLEE}:{SIP_PORT}>");
    // The ACK for a 2xx and the BYE go to the callee's Contact (RFC 3261 §12.2.1.1), each in a
    // transaction of its own (new branch); the ACK keeps the INVITE's CSeq number (§13.2.2.4).
    let target = format!("sip:callee@{CALLEE}:{SIP_PORT}");
    vec![
        (
            0,
            true,
            sip(
                &format!("INVITE {target} SIP/2.0"),
                &[
                    &invite_via,
                    "Max-Forwards: 70",
                    &from,
                    &to,
                    &call_id,
                    "CSeq: 1 INVITE",
                    &caller_contact,
                ],
                &sdp(codec, "caller", CALLER, CALLER_TO_CALLEE.from.port()),
            ),
        ),
        (
            10_000,
            false,
            sip(
                "SIP/2.0 100 Trying",
                &[&invite_via, &from, &to, &call_id, "CSeq: 1 INVITE"],
                "",
            ),
        ),
        (
            200_000,
            false,
            sip(
                "SIP/2.0 180 Ringing",
                &[
                    &invite_via,
                    &from,
                    &to_tagged,
                    &call_id,
                    "CSeq: 1 INVITE",
                    &callee_contact,
                ],
                "",
            ),
        ),
        (
            500_000,
            false,
            sip(
                "SIP/2.0 200 OK",
                &[
                    &invite_via,
                    &from,
                    &to_tagged,
                    &call_id,
                    "CSeq: 1 INVITE",
                    &callee_contact,
                ],
                &sdp(codec, "callee", CALLEE, CALLEE_TO_CALLER.from.port()),
            ),
        ),
        (
            510_000,
            true,
            sip(
                &format!("ACK {target} SIP/2.0"),
                &[
                    &ack_via,
                    "Max-Forwards: 70",
                    &from,
                    &to_tagged,
                    &call_id,
                    "CSeq: 1 ACK",
                ],
                "",
            ),
        ),
        (
            4_200_000,
            true,
            sip(
                &format!("BYE {target} SIP/2.0"),
                &[
                    &bye_via,
                    "Max-Forwards: 70",
                    &from,
                    &to_tagged,
                    &call_id,
                    "CSeq: 2 BYE",
                ],
                "",
            ),
        ),
        (
            4_210_000,
            false,
            sip(
                "SIP/2.0 200 OK",
                &[&bye_via, &from, &to_tagged, &call_id, "CSeq: 2 BYE"],
                "",
            ),
        ),
    ]
}

/// A SIP message (RFC 3261 §7): start line, headers, Content-Type when there is a body, and
/// Content-Length counting the body's bytes (§20.14).
fn sip(start: &str, headers: &[&str], body: &str) -> String {
    let mut m = format!("{start}\r\n");
    for h in headers {
        m.push_str(&format!("{h}\r\n"));
    }
    if !body.is_empty() {
        m.push_str("Content-Type: application/sdp\r\n");
    }
    m.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    m
}

/// An SDP offer or answer (RFC 8866 §5) for audio on `port`: the codec and telephone-event.
fn sdp(codec: &Codec, user: &str, addr: Ipv4Addr, port: u16) -> String {
    let (pt, name, channels, clock) = (codec.pt, codec.rtpmap, codec.rtpmap_channels, codec.clock);
    let mut lines = vec![
        "v=0".to_string(),
        format!("o={user} 1 1 IN IP4 {addr}"),
        "s=callscope tone".to_string(),
        format!("c=IN IP4 {addr}"),
        "t=0 0".to_string(),
        format!("m=audio {port} RTP/AVP {pt} {EVENT_PT}"),
        format!("a=rtpmap:{pt} {name}/{clock}{channels}"),
    ];
    lines.extend(codec.fmtp.map(|f| format!("a=fmtp:{pt} {f}")));
    lines.extend([
        format!("a=rtpmap:{EVENT_PT} telephone-event/{clock}"),
        format!("a=fmtp:{EVENT_PT} 0-16"),
        "a=ptime:20".to_string(),
        "a=sendrecv".to_string(),
    ]);
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

/// One direction's RTP packets that arrive: (µs after T0, source, destination, RTP packet).
fn stream(codec: &Codec, d: &Direction) -> Vec<(i64, SocketAddr, SocketAddr, Vec<u8>)> {
    let mut encoder = (codec.encoder)();
    let samples = (codec.rate / 50) as usize; // 20 ms
    let frame_ticks = codec.clock / 50;
    let mut out = Vec::new();
    for i in 0..PACKETS {
        // Every frame is encoded, sent or not, so the encoder's state is the sender's.
        let audio = encoder.encode(&tone(d.tone_hz, codec.rate, i * samples, samples));
        if d.lost.contains(&i) {
            continue;
        }
        let seq = d.first_seq.wrapping_add(i as u16);
        let ts_of = |k: usize| d.first_ts.wrapping_add(frame_ticks * k as u32);
        let packet = match d.events.iter().find(|(s, _)| (*s..*s + 8).contains(&i)) {
            Some(&(start, event)) => {
                let k = i - start;
                let payload = telephone_event(event, k, frame_ticks);
                rtp(EVENT_PT, k == 0, seq, ts_of(start), d.ssrc, &payload)
            }
            None => rtp(codec.pt, i == 0, seq, ts_of(i), d.ssrc, &audio),
        };
        let delay = d
            .late
            .iter()
            .find(|(p, _)| *p == i)
            .map_or(0, |&(_, us)| us);
        let sent = d.start_us + FRAME_US * i as i64;
        out.push((sent + delay, d.from, d.to, packet));
    }
    out
}

/// An RTP packet (RFC 3550 §5.1): version 2, no padding, extension or CSRC.
fn rtp(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, u8::from(marker) << 7 | pt];
    p.extend(seq.to_be_bytes());
    p.extend(ts.to_be_bytes());
    p.extend(ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// The `k`-th packet (0–7) of a 100 ms telephone event (RFC 4733 §2.3): five updates whose
/// duration grows by one frame of `frame_ticks`, then the end packet sent three times
/// (§2.5.1.4), volume 10. 100 ms is 800 ticks at 8 kHz, 4800 at 48 kHz: both fit the field.
fn telephone_event(event: u8, k: usize, frame_ticks: u32) -> [u8; 4] {
    let frame = frame_ticks as u16;
    let (end, duration) = if k < 5 {
        (false, frame * (k as u16 + 1))
    } else {
        (true, frame * 5)
    };
    let [hi, lo] = duration.to_be_bytes();
    [event, u8::from(end) << 7 | 10, hi, lo]
}

/// `count` samples of a sine at `hz` sampled at `rate`, from sample `first` of the stream, so
/// the phase is continuous across frames and across frames not sent.
fn tone(hz: f64, rate: u32, first: usize, count: usize) -> Vec<i16> {
    (first..first + count)
        .map(|n| {
            let t = n as f64 / f64::from(rate);
            (AMPLITUDE * (2.0 * std::f64::consts::PI * hz * t).sin()).round() as i16
        })
        .collect()
}
