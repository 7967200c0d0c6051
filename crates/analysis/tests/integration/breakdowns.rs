//! The report's breakdowns for the page (the timeline per protocol family, each RTP stream's
//! series, a tunnel's keepalive times, each interface's time span) agree, on every reference
//! capture, with the totals they break down.

use crate::support;

use callscope_analysis::timeline::FAMILIES;

/// Hierarchy leaves of each timeline family.
fn family_of_leaf(leaf: &str) -> Option<usize> {
    match leaf {
        "isakmp" | "esp" | "udpencap" => Some(0),
        "sip" | "megaco" => Some(1),
        "stun" | "classicstun" => Some(2),
        "rtp" | "rtcp" | "rtpevent" | "t38" | "zrtp" => Some(3),
        _ => None,
    }
}

#[test]
fn breakdowns_add_up_to_their_totals_on_every_reference_capture() {
    let captures = support::reference_captures();
    assert!(!captures.is_empty());
    let mut failures = Vec::new();
    for path in &captures {
        let r = support::analyze_file(path);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let mut fail = |what: String| failures.push(format!("{name}: {what}"));

        // Timeline: every frame the hierarchy counts, once, in its family.
        let t = &r.timeline;
        assert_eq!(t.families, FAMILIES.map(String::from));
        let mut packets = [0u64; 5];
        let mut bytes = 0u64;
        for p in &t.points {
            for (total, (n, b)) in packets.iter_mut().zip(p.packets.iter().zip(&p.bytes)) {
                *total += n;
                bytes += b;
            }
        }
        let roots: Vec<_> = r.hierarchy.iter().filter(|n| n.path.len() == 1).collect();
        let (root_frames, root_bytes) = roots
            .iter()
            .fold((0, 0), |a, n| (a.0 + n.frames, a.1 + n.bytes));
        if packets.iter().sum::<u64>() != root_frames || bytes != root_bytes {
            fail(format!(
                "timeline {packets:?} {bytes} B, hierarchy {root_frames} frames {root_bytes} B"
            ));
        }
        let mut by_leaf = [0u64; 5];
        for n in &r.hierarchy {
            // The outermost node of a family counts (`udpencap` holds its `esp` and `isakmp`).
            let parent = n.path.len().checked_sub(2).map(|i| n.path[i].as_str());
            if parent.and_then(family_of_leaf).is_some() {
                continue;
            }
            if let Some(f) = n.path.last().and_then(|l| family_of_leaf(l)) {
                by_leaf[f] += n.frames;
            }
        }
        if packets[..4] != by_leaf[..4] {
            fail(format!(
                "timeline families {:?}, hierarchy leaves {:?}",
                &packets[..4],
                &by_leaf[..4]
            ));
        }
        if t.points
            .windows(2)
            .any(|w| w[1].t - w[0].t < t.bucket_s - 1e-9)
        {
            fail("timeline points out of order or closer than a bucket".into());
        }

        // Stream series: packets add up; the largest delta is the stream's.
        for s in &r.rtp.streams {
            let n: u64 = s.series.iter().map(|p| u64::from(p.packets)).sum();
            if n != s.packets {
                fail(format!(
                    "stream {}: series {n} packets, stream {}",
                    s.ssrc, s.packets
                ));
            }
            let max = s.series.iter().map(|p| p.max_delta_ms).fold(0.0, f64::max);
            if s.max_delta_ms > 0.0 && (max - s.max_delta_ms).abs() > 1e-9 {
                fail(format!(
                    "stream {}: series max delta {max}, stream {}",
                    s.ssrc, s.max_delta_ms
                ));
            }
        }

        // Keepalive times: the first 256 of the count, in order, within the tunnel's time.
        for (i, tun) in r.ike.tunnels.iter().enumerate() {
            let k = &tun.keepalive_times;
            if k.len() as u64 != tun.keepalives.min(256)
                || k.windows(2).any(|w| w[0] > w[1])
                || k.iter().any(|&x| x < tun.start || x > tun.end)
            {
                fail(format!(
                    "tunnel {i}: {} keepalive times for {} keepalives",
                    k.len(),
                    tun.keepalives
                ));
            }
        }

        // Interface spans: present with packets, inside the capture.
        for iface in &r.capture.interfaces {
            match iface.span {
                Some([a, b])
                    if iface.packets > 0
                        && 0.0 <= a
                        && a <= b
                        && b <= r.capture.duration + 1e-9 => {}
                None if iface.packets == 0 => {}
                other => fail(format!(
                    "interface {}: span {other:?} with {} packets",
                    iface.index, iface.packets
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
