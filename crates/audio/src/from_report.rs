//! Requests made from a report: a call's streams as two channels (caller left, callee right),
//! or one stream alone.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};

use callscope_analysis::report::Ssrc;
use callscope_analysis::rtp::RtpStream;
use callscope_analysis::sip::report::Call;
use callscope_analysis::Report;

use crate::request::{Channel, PayloadType, Request, Track};

fn track(s: &RtpStream) -> Option<Track> {
    Some(Track {
        src: s.src.0,
        dst: s.dst.0,
        ssrc: s.ssrc.0,
        payload_types: s
            .payload_types
            .iter()
            .map(|p| PayloadType {
                pt: p.pt,
                name: p.name.clone(),
                clock: p.clock,
            })
            .collect(),
        srtp: s.srtp,
    })
}

/// The media addresses each side announced in its SDP (caller's, callee's).
fn announced(call: &Call) -> (HashSet<SocketAddr>, HashSet<SocketAddr>) {
    let (mut caller, mut callee) = (HashSet::new(), HashSet::new());
    for sdp in &call.sdp {
        let side = if sdp.src == call.caller_addr {
            &mut caller
        } else {
            &mut callee
        };
        for m in &sdp.media {
            let ip = m
                .address
                .as_deref()
                .or(sdp.connection.as_deref())
                .and_then(|a| a.parse::<IpAddr>().ok());
            if let Some(ip) = ip {
                side.insert(SocketAddr::new(ip, m.port));
            }
        }
    }
    (caller, callee)
}

/// Whether a stream of `call` is sent by the callee (right channel): it goes to where the caller
/// asked for media, or comes from where the callee said it sends; failing SDP, it does not come
/// from the caller's signalling address.
fn from_callee(
    call: &Call,
    t: &Track,
    caller: &HashSet<SocketAddr>,
    callee: &HashSet<SocketAddr>,
) -> bool {
    if caller.contains(&t.dst) || callee.contains(&t.src) {
        return true;
    }
    if caller.contains(&t.src) || callee.contains(&t.dst) {
        return false;
    }
    call.caller_addr.ip() != t.src.ip()
}

/// Both directions of the call with Call-ID `call_id` (caller left, callee right); `None` when
/// the report has no such call or it has no stream.
pub fn call(report: &Report, call_id: &str) -> Option<Request> {
    let call = report.sip.calls.iter().find(|c| c.call_id == call_id)?;
    let (caller_media, callee_media) = announced(call);
    let who = |s: &str| {
        if s.is_empty() {
            "?".to_owned()
        } else {
            s.to_owned()
        }
    };
    let mut left = Channel {
        label: format!("{} → {}", who(&call.caller), who(&call.callee)),
        tracks: Vec::new(),
    };
    let mut right = Channel {
        label: format!("{} → {}", who(&call.callee), who(&call.caller)),
        tracks: Vec::new(),
    };
    for t in call
        .media
        .iter()
        .filter_map(|&i| report.rtp.streams.get(i))
        .filter_map(track)
    {
        if from_callee(call, &t, &caller_media, &callee_media) {
            right.tracks.push(t);
        } else {
            left.tracks.push(t);
        }
    }
    if left.tracks.is_empty() && right.tracks.is_empty() {
        return None;
    }
    Some(Request::new(vec![left, right]))
}

/// The report's stream a request's track was made from (same SSRC, source and destination).
pub fn stream_of<'r>(report: &'r Report, track: &Track) -> Option<&'r RtpStream> {
    report
        .rtp
        .streams
        .iter()
        .find(|s| s.ssrc.0 == track.ssrc && s.src.0 == track.src && s.dst.0 == track.dst)
}

/// One stream (index into `rtp.streams`) as one channel.
pub fn stream(report: &Report, index: usize) -> Option<Request> {
    let s = report.rtp.streams.get(index)?;
    Some(Request::new(vec![Channel {
        label: format!("{} → {} ({})", s.src, s.dst, s.ssrc),
        tracks: vec![track(s)?],
    }]))
}

/// The stream whose SSRC is `ssrc` (`0x1234abcd`, `1234abcd` or decimal), if exactly one has it.
pub fn stream_by_ssrc(report: &Report, ssrc: &str) -> Result<usize, String> {
    let wanted = ssrc
        .strip_prefix("0x")
        .or_else(|| ssrc.strip_prefix("0X"))
        .map_or_else(
            || {
                ssrc.parse::<u32>()
                    .ok()
                    .filter(|_| !ssrc.chars().any(|c| c.is_ascii_alphabetic()))
                    .or_else(|| u32::from_str_radix(ssrc, 16).ok())
            },
            |hex| u32::from_str_radix(hex, 16).ok(),
        )
        .ok_or_else(|| format!("{ssrc:?} is not an SSRC (hex like 0x1234abcd, or decimal)"))?;
    let wanted = Ssrc(wanted);
    let found: Vec<usize> = (0..report.rtp.streams.len())
        .filter(|&i| report.rtp.streams[i].ssrc == wanted)
        .collect();
    match found.as_slice() {
        [i] => Ok(*i),
        [] => Err(format!("no RTP stream with SSRC {wanted}")),
        _ => Err(format!(
            "{} streams have SSRC {wanted}; decode the call instead (--call)",
            found.len()
        )),
    }
}
