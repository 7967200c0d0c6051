//! The analyzer on hand-made datagrams: SDP binding, RTCP ports, T.38, heuristics, caps.

use super::*;
use crate::protocols::RtpMap;

fn rtp_bytes(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
    let mut b = vec![0x80, pt | if marker { 0x80 } else { 0 }];
    b.extend_from_slice(&seq.to_be_bytes());
    b.extend_from_slice(&ts.to_be_bytes());
    b.extend_from_slice(&ssrc.to_be_bytes());
    b.extend_from_slice(&[0xd5; 160]);
    b
}

fn seg<'a>(frame: u64, ms: i64, src: &str, dst: &str, payload: &'a [u8]) -> Segment<'a> {
    Segment {
        frame,
        ts_ns: 1_700_000_000_000_000_000 + ms * 1_000_000,
        transport: Transport::Udp,
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        payload,
        flow: 1,
    }
}

fn expect(shared: &mut Shared, at: &str, media: &str, mux: bool) {
    shared.media.insert(
        at.parse().unwrap(),
        MediaExpectation {
            call_id: "call-1@host".into(),
            frame: 3,
            media: media.into(),
            rtpmap: vec![
                RtpMap {
                    pt: 0,
                    codec: "PCMU".into(),
                    clock: 8000,
                },
                RtpMap {
                    pt: 101,
                    codec: "telephone-event".into(),
                    clock: 8000,
                },
                RtpMap {
                    pt: 96,
                    codec: "AMR-WB".into(),
                    clock: 16000,
                },
            ],
            rtcp_mux: mux,
        },
    );
}

fn ctx() -> FinishContext {
    FinishContext {
        start_ns: 1_700_000_000_000_000_000,
    }
}

#[test]
fn sdp_binds_streams_to_the_call_and_names_dynamic_types() {
    let mut a = RtpAnalyzer::default();
    let mut shared = Shared::default();
    expect(&mut shared, "10.0.0.2:4000", "audio", false);
    for i in 0..10u16 {
        let b = rtp_bytes(96, i == 0, i, u32::from(i) * 320, 0x1111);
        let s = seg(
            u64::from(i),
            i64::from(i) * 20,
            "10.0.0.1:5000",
            "10.0.0.2:4000",
            &b,
        );
        assert_eq!(a.udp(&s, &mut shared), Some("rtp"));
    }
    // A packet with a payload type 72–76 is RTP on an SDP port (no heuristic there).
    let b = rtp_bytes(72, false, 10, 3200, 0x1111);
    let s = seg(10, 200, "10.0.0.1:5000", "10.0.0.2:4000", &b);
    assert_eq!(a.udp(&s, &mut shared), Some("rtp"));
    let (rtp, _) = a.finish(&ctx());
    let st = &rtp.streams[0];
    assert_eq!(st.call_id.as_deref(), Some("call-1@host"));
    assert_eq!(st.setup_frame, Some(3));
    assert!(st.sdp && st.confirmed);
    assert_eq!(st.clock, 16000);
    assert!(st
        .payload
        .starts_with("Reserved for RTCP conflict avoidance, AMR-WB"));
    assert_eq!(rtp.calls.len(), 1);
    assert_eq!(rtp.calls[0].streams, vec![0]);
}

#[test]
fn rtcp_at_port_plus_one_and_with_mux() {
    let mut a = RtpAnalyzer::default();
    let mut shared = Shared::default();
    expect(&mut shared, "10.0.0.2:4000", "audio", false);
    expect(&mut shared, "10.0.0.3:6000", "audio", true);
    // SDES alone: no heuristic accepts it, the SDP port + 1 does.
    let sdes = [0x81, 0xca, 0x00, 0x02, 0, 0, 0, 7, 0x00, 0, 0, 0];
    let s = seg(1, 0, "10.0.0.1:5001", "10.0.0.2:4001", &sdes);
    assert_eq!(a.udp(&s, &mut shared), Some("rtcp"));
    // XR on the muxed port.
    let xr = [0x80, 0xcf, 0x00, 0x01, 0, 0, 0, 7];
    let s = seg(2, 0, "10.0.0.1:5000", "10.0.0.3:6000", &xr);
    assert_eq!(a.udp(&s, &mut shared), Some("rtcp"));
    let (_, rtcp) = a.finish(&ctx());
    let kinds: Vec<_> = rtcp.reports.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["SDES", "XR"]);
}

#[test]
fn t38_ports_are_not_rtp_and_the_destination_decides() {
    let mut a = RtpAnalyzer::default();
    let mut shared = Shared::default();
    expect(&mut shared, "10.0.0.2:4000", "image", false);
    let b = rtp_bytes(8, false, 1, 0, 0x2222);
    let s = seg(1, 0, "10.0.0.1:5000", "10.0.0.2:4000", &b);
    assert_eq!(a.udp(&s, &mut shared), Some("t38"));
    // The other end still announced audio: the destination decides, as in tshark.
    expect(&mut shared, "10.0.0.1:5000", "audio", false);
    assert_eq!(a.udp(&s, &mut shared), Some("t38"));
    let back = seg(2, 0, "10.0.0.2:4000", "10.0.0.1:5000", &b);
    assert_eq!(a.udp(&back, &mut shared), Some("rtp"));
    let (rtp, _) = a.finish(&ctx());
    assert_eq!(rtp.streams.len(), 1);
    assert_eq!(rtp.streams[0].src.to_string(), "10.0.0.2:4000");
}

#[test]
fn heuristics_follow_tshark() {
    let mut a = RtpAnalyzer::default();
    let mut shared = Shared::default();
    // DNS owns port 53 even when the first octet looks like RTP.
    let b = rtp_bytes(0, false, 1, 0, 1);
    assert_eq!(
        a.udp(&seg(1, 0, "10.0.0.1:40000", "10.0.0.9:53", &b), &mut shared),
        None
    );
    // Payload types 72–76 are refused; with the marker and 77–95 it is RTCP (RFC 5761).
    let b = rtp_bytes(74, false, 1, 0, 1);
    assert_eq!(
        a.udp(
            &seg(2, 0, "10.0.0.1:40000", "10.0.0.9:40002", &b),
            &mut shared
        ),
        None
    );
    let xr = [
        0x80, 0xcf, 0x00, 0x03, 0, 0, 0, 7, 0x04, 0, 0x00, 0x01, 0, 0, 0, 0,
    ];
    assert_eq!(
        a.udp(
            &seg(3, 0, "10.0.0.1:40000", "10.0.0.9:40002", &xr),
            &mut shared
        ),
        Some("rtcp")
    );
    // Shorter than an RTP header, an XR is taken by neither heuristic (as in tshark).
    assert_eq!(
        a.udp(
            &seg(3, 0, "10.0.0.1:40000", "10.0.0.9:40002", &xr[..8]),
            &mut shared
        ),
        None
    );
    // Short datagrams and other versions are not RTP.
    assert_eq!(
        a.udp(
            &seg(4, 0, "10.0.0.1:1", "10.0.0.9:2", &[0x80, 0, 1, 2]),
            &mut shared
        ),
        None
    );
    let mut v1 = rtp_bytes(0, false, 1, 0, 1);
    v1[0] = 0x40;
    assert_eq!(
        a.udp(&seg(5, 0, "10.0.0.1:1", "10.0.0.9:2", &v1), &mut shared),
        None
    );
    // ZRTP marks the flow: its RTP streams are SRTP.
    let mut z = vec![0x10, 0, 0, 1];
    z.extend_from_slice(b"ZRTP");
    z.extend_from_slice(&[0; 8]);
    assert_eq!(
        a.udp(
            &seg(6, 0, "10.0.0.1:7000", "10.0.0.9:7002", &z),
            &mut shared
        ),
        Some("zrtp")
    );
    let b = rtp_bytes(0, false, 1, 0, 9);
    assert_eq!(
        a.udp(
            &seg(7, 0, "10.0.0.1:7000", "10.0.0.9:7002", &b),
            &mut shared
        ),
        Some("rtp")
    );
    let (rtp, _) = a.finish(&ctx());
    assert_eq!(rtp.streams.len(), 1);
    assert!(rtp.streams[0].srtp);
    assert!(!rtp.streams[0].confirmed);
    assert_eq!(rtp.zrtp_packets, 1);
}

#[test]
fn several_ssrcs_on_one_port_pair_are_separate_streams() {
    let mut a = RtpAnalyzer::default();
    let mut shared = Shared::default();
    for i in 0..20u16 {
        // The SSRC changes mid-flow after 10 packets (a new call on SIPp's shared ports).
        let ssrc = if i < 10 { 0xaaaa } else { 0xbbbb };
        let b = rtp_bytes(0, false, i, u32::from(i) * 160, ssrc);
        let s = seg(
            u64::from(i),
            i64::from(i) * 20,
            "10.0.0.1:6000",
            "10.0.0.2:6000",
            &b,
        );
        a.udp(&s, &mut shared);
    }
    let (rtp, _) = a.finish(&ctx());
    assert_eq!(rtp.streams.len(), 2);
    assert_eq!(rtp.streams[0].packets, 10);
    assert_eq!(rtp.streams[1].packets, 10);
    assert_eq!(rtp.streams[1].lost, 0);
    assert!(rtp.streams.iter().all(|s| s.mos.is_some()));
}

#[test]
fn stream_cap_counts_drops() {
    let mut a = RtpAnalyzer::default();
    let mut shared = Shared::default();
    for i in 0..(crate::budget::RTP_STREAMS.at_default as u32 + 5) {
        let b = rtp_bytes(0, false, 1, 0, i);
        a.udp(
            &seg(1, 0, "10.0.0.1:6000", "10.0.0.2:6000", &b),
            &mut shared,
        );
    }
    let (rtp, _) = a.finish(&ctx());
    assert_eq!(rtp.streams.len(), crate::budget::RTP_STREAMS.at_default);
    assert_eq!(rtp.streams_dropped, 5);
    assert_eq!(rtp.packets_dropped, 5);
}

#[test]
fn turn_channel_data_is_looked_into() {
    let mut a = RtpAnalyzer::default();
    let mut shared = Shared::default();
    let inner = rtp_bytes(111, false, 5, 960, 0x77);
    let mut cd = vec![0x40, 0x00];
    cd.extend_from_slice(&(inner.len() as u16).to_be_bytes());
    cd.extend_from_slice(&inner);
    let s = seg(1, 0, "10.0.0.1:3478", "10.0.0.2:50000", &cd);
    assert_eq!(a.udp(&s, &mut shared), None);
    let (rtp, _) = a.finish(&ctx());
    assert_eq!(rtp.streams.len(), 1);
    assert_eq!(rtp.streams[0].src.to_string(), "10.0.0.1:3478");
    assert_eq!(rtp.streams[0].payload, "RTPType-111");
}

/// SDP announced only one end: datagrams to it are routed by their destination, the replies by
/// their source, and a flow's memo keeps the two directions apart.
#[test]
fn one_announced_end_routes_both_directions() {
    let mut a = RtpAnalyzer::default();
    let mut shared = Shared::default();
    expect(&mut shared, "10.0.0.2:4000", "audio", false);
    for i in 0..3u16 {
        let out = rtp_bytes(0, false, i, u32::from(i) * 160, 0x1111);
        let back = rtp_bytes(0, false, i, u32::from(i) * 160, 0x2222);
        let t = i64::from(i) * 20;
        let s = seg(1, t, "10.0.0.1:5000", "10.0.0.2:4000", &out);
        assert_eq!(a.udp(&s, &mut shared), Some("rtp"));
        let s = seg(2, t, "10.0.0.2:4000", "10.0.0.1:5000", &back);
        assert_eq!(a.udp(&s, &mut shared), Some("rtp"));
    }
    let (rtp, _) = a.finish(&ctx());
    assert_eq!(rtp.streams.len(), 2);
    for s in &rtp.streams {
        assert!(s.sdp, "{} → {} not from SDP", s.src, s.dst);
        assert_eq!(s.call_id.as_deref(), Some("call-1@host"));
    }
}
