//! `cargo xtask demo`: rebuilds `static/demo.pcapng`, the page's **Try the demo** capture, from
//! the captures made for this project in `../shared/captures/generated`. It tells the story
//! callscope exists for, one pcapng section per interface a Mac would show:
//!
//! 1. `en0`: a DNS answer naming an operator's ePDG (`epdg.epc.mnc260.mcc310.pub.3gppnetwork.org`
//!    → 208.54.70.10), then strongSwan's IKEv2 NAT-T tunnel (`ikev2-natt`) with its initiator
//!    moved to a home address (192.168.1.20) and its responder to that global address;
//! 2. `ipsec0`: a SIP call over DLT_NULL (`sip-call-udp.null`), as the tunnel interface shows it;
//! 3. then `sip-call-baresip-udp`, `stun` and `dns-tls` as they are (pcapng allows sections to
//!    be concatenated).
//!
//! The addresses are a test story, not a real operator's: 208.54.0.0/16 is T-Mobile US's, so
//! the DNS answer and the peer agree.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use anyhow::{bail, Context, Result};
use callscope_wire::capture::write::Writer;
use callscope_wire::testing::{dns_exchange, ethernet, ip_udp, readdress_udp};
use callscope_wire::Reader;

use crate::setup::root;

/// The ePDG name the demo's DNS answer gives.
const EPDG: &str = "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org";
/// The tunnel's peer: a global address.
const PEER: Ipv4Addr = Ipv4Addr::new(208, 54, 70, 10);
/// The Mac on a home network.
const MAC: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 20);
/// The home router, its resolver.
const ROUTER: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
/// The lab addresses of `ikev2-natt` (initiator, responder).
const LAB: [Ipv4Addr; 2] = [Ipv4Addr::new(10, 99, 1, 1), Ipv4Addr::new(10, 99, 2, 2)];

/// Captures appended as they are.
const AS_THEY_ARE: [&str; 3] = [
    "sip-call-baresip-udp.pcapng",
    "stun.pcapng",
    "dns-tls.pcapng",
];

pub fn run(_args: &[String]) -> Result<()> {
    let sources = root().join("../shared/captures/generated");
    if !sources.is_dir() {
        bail!(
            "{} is missing: the demo is made from its captures",
            sources.display()
        );
    }
    let mut out = Vec::new();
    out.extend(tunnel_section(&sources.join("ikev2-natt.pcapng"))?);
    out.extend(renamed_section(
        &sources.join("sip-call-udp.null.pcapng"),
        "ipsec0",
    )?);
    for name in AS_THEY_ARE {
        let path = sources.join(name);
        out.extend(std::fs::read(&path).with_context(|| path.display().to_string())?);
    }
    let target = root().join("static/demo.pcapng");
    std::fs::write(&target, &out).with_context(|| target.display().to_string())?;
    eprintln!("wrote {} ({} bytes)", target.display(), out.len());
    Ok(())
}

/// Every frame of a capture: (ns since the epoch, link type, bytes).
fn frames(path: &Path) -> Result<Vec<(i64, u32, Vec<u8>)>> {
    let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
    let mut reader = Reader::new();
    let mut out = Vec::new();
    reader
        .push(&bytes, &mut |f| {
            out.push((f.ts_ns, f.link_type, f.data.to_vec()))
        })
        .with_context(|| path.display().to_string())?;
    reader.finish();
    Ok(out)
}

/// Section 1: the DNS answer, then the tunnel between the home and global addresses.
fn tunnel_section(path: &Path) -> Result<Vec<u8>> {
    let frames = frames(path)?;
    let Some(&(start, _, _)) = frames.first() else {
        bail!("{} has no packet", path.display());
    };
    let mut w = Writer::new(Vec::new(), "callscope xtask demo", "Linux")?;
    let en0 = w.interface(1, 65_535, "en0", 9, None)?;
    let (client, server) = (
        SocketAddr::from((MAC, 53_111)),
        SocketAddr::from((ROUTER, 53)),
    );
    let (query, answer) = dns_exchange(0x4242, EPDG, PEER);
    for (at, frame) in [
        (
            start - 100_000_000,
            ethernet(&ip_udp(client, server, &query)),
        ),
        (
            start - 90_000_000,
            ethernet(&ip_udp(server, client, &answer)),
        ),
    ] {
        w.packet(en0, at as u64, &frame, frame.len() as u32)?;
    }
    let map = |a: SocketAddr| match a.ip() {
        IpAddr::V4(ip) if ip == LAB[0] => SocketAddr::from((MAC, a.port())),
        IpAddr::V4(ip) if ip == LAB[1] => SocketAddr::from((PEER, a.port())),
        _ => a,
    };
    for (ts, _, frame) in &frames {
        let frame = readdress_udp(frame, map).unwrap_or_else(|| frame.clone());
        w.packet(en0, *ts as u64, &frame, frame.len() as u32)?;
    }
    Ok(w.finish()?)
}

/// A capture's frames on one interface of another name (its link type kept).
fn renamed_section(path: &Path, name: &str) -> Result<Vec<u8>> {
    let frames = frames(path)?;
    let Some(&(_, link_type, _)) = frames.first() else {
        bail!("{} has no packet", path.display());
    };
    let mut w = Writer::new(Vec::new(), "callscope xtask demo", "Linux")?;
    let id = w.interface(u16::try_from(link_type)?, 65_535, name, 9, None)?;
    for (ts, _, frame) in &frames {
        w.packet(id, *ts as u64, frame, frame.len() as u32)?;
    }
    Ok(w.finish()?)
}
