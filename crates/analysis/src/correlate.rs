//! Cross-section links built after every section is: calls ↔ media. A stream bound by SDP carries
//! its dialog's Call-ID (`rtp.streams[].call_id`); here it gets the index of that call
//! (`rtp.streams[].call`) and the call lists its streams (`sip.calls[].media`).

use crate::FastMap;

use crate::rtp::RtpReport;
use crate::sip::SipReport;

/// Links `sip.calls[].media` and `rtp.streams[].call` by Call-ID.
pub fn calls_and_media(sip: &mut SipReport, rtp: &mut RtpReport) {
    let by_id: FastMap<&str, usize> = sip
        .calls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.call_id.as_str(), i))
        .collect();
    let links: Vec<(usize, usize)> = rtp
        .streams
        .iter()
        .enumerate()
        .filter_map(|(s, stream)| {
            let id = stream.call_id.as_deref()?;
            by_id.get(id).map(|&c| (s, c))
        })
        .collect();
    for (s, c) in links {
        rtp.streams[s].call = Some(c);
        if !sip.calls[c].media.contains(&s) {
            sip.calls[c].media.push(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::RtpStream;
    use crate::sip::report::Call;

    #[test]
    fn streams_and_calls_point_at_each_other() {
        let mut sip = SipReport::default();
        for id in ["a@x", "b@x"] {
            sip.calls.push(Call {
                call_id: id.into(),
                ..Call::default()
            });
        }
        let mut rtp = RtpReport::default();
        for id in [Some("b@x"), None, Some("b@x"), Some("gone@x")] {
            rtp.streams.push(RtpStream {
                call_id: id.map(str::to_owned),
                ..RtpStream::default()
            });
        }
        calls_and_media(&mut sip, &mut rtp);
        assert_eq!(sip.calls[0].media, Vec::<usize>::new());
        assert_eq!(sip.calls[1].media, vec![0, 2]);
        let calls: Vec<_> = rtp.streams.iter().map(|s| s.call).collect();
        assert_eq!(calls, [Some(1), None, Some(1), None]);
    }
}
