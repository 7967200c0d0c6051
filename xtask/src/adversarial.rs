//! Captures made to exhaust the analyzer's tables, one per kind of state it keeps: what an
//! attacker (or any website visitor, on the page) could feed it. Written with the project's own
//! packet builders into bench-out/adversarial/; `cargo xtask bench-memory` runs the CLI on each
//! and prints its peak memory, time and what the report says it dropped.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use callscope_wire::testing::{self, tcp_flags, Ipv4, Pcap};

/// One generated capture.
pub struct Case {
    /// Short name.
    pub name: &'static str,
    /// What it holds.
    pub what: String,
    /// Where it was written.
    pub path: PathBuf,
}

/// Streams records into a raw-IP (LINKTYPE_RAW) pcap file without holding it in memory.
struct Writer {
    out: BufWriter<File>,
    t_us: i64,
}

impl Writer {
    fn create(path: &Path, link_type: u32) -> Result<Writer> {
        let mut out = BufWriter::with_capacity(
            1 << 20,
            File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        out.write_all(&Pcap::header(link_type))?;
        Ok(Writer {
            out,
            t_us: 1_700_000_000_000_000,
        })
    }

    fn packet(&mut self, data: &[u8]) -> Result<()> {
        self.t_us += 10;
        let len = data.len() as u32;
        self.out
            .write_all(&Pcap::record_header(self.t_us, len, len))?;
        self.out.write_all(data)?;
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush()?;
        Ok(())
    }
}

/// The `i`th address of 10.0.0.0/8 (skipping .0).
fn host(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0001 + i)
}

fn sock(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::from((ip, port))
}

/// Writes pcapng sections of 65,536 interface blocks each (little-endian, Ethernet, no options):
/// the interface list that once grew without bound.
pub fn write_interface_storm(out: &mut impl Write, sections: u32) -> std::io::Result<()> {
    let block = |block_type: u32, body: &[u8]| {
        let len = 12 + body.len() as u32;
        let mut v = block_type.to_le_bytes().to_vec();
        v.extend(len.to_le_bytes());
        v.extend_from_slice(body);
        v.extend(len.to_le_bytes());
        v
    };
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend([1, 0, 0, 0]);
    shb.extend([0xff; 8]);
    let idb = block(1, &[1, 0, 0, 0, 0, 0, 0, 0]);
    for _ in 0..sections {
        out.write_all(&block(0x0a0d_0d0a, &shb))?;
        for _ in 0..65_536 {
            out.write_all(&idb)?;
        }
    }
    Ok(())
}

/// Writes every case into `dir` (each takes a few seconds); `scale` divides the packet counts
/// (1 = the sizes the issue measured).
pub fn write_all(dir: &Path, scale: u32) -> Result<Vec<Case>> {
    std::fs::create_dir_all(dir)?;
    let n = |count: u32| (count / scale.max(1)).max(1);
    let mut cases = Vec::new();
    let mut case = |name: &'static str, what: String| {
        let path = dir.join(format!("{name}.pcap"));
        cases.push(Case {
            name,
            what,
            path: path.clone(),
        });
        path
    };

    // Distinct UDP 5-tuples: the flow and endpoint tables.
    let count = n(2_000_000);
    let path = case(
        "udp-flows",
        format!("{count} UDP datagrams, each its own 5-tuple"),
    );
    let mut w = Writer::create(&path, 101)?;
    for i in 0..count {
        let src = sock(host(i), 1024 + (i % 50_000) as u16);
        let dst = sock(Ipv4Addr::new(192, 0, 2, 1), 9);
        w.packet(&testing::ip_udp(src, dst, b"ping"))?;
    }
    w.finish()?;

    // RTP on distinct port pairs: RTP streams and their flows.
    let count = n(1_000_000);
    let path = case(
        "rtp-pairs",
        format!("{count} RTP packets, each on its own port pair"),
    );
    let mut w = Writer::create(&path, 101)?;
    for i in 0..count {
        let src = sock(Ipv4Addr::new(10, 1, 0, 1), 10_000 + (i % 50_000) as u16);
        let dst = sock(host(i / 50_000 + 65_536), 20_000 + (i % 40_000) as u16);
        w.packet(&testing::ip_udp(src, dst, &testing::rtp_pcmu(i)))?;
    }
    w.finish()?;

    // SIP over TCP with a gap in every stream: reassembly buffers held out of order.
    let count = n(200_000);
    let path = case(
        "tcp-gaps",
        format!("{count} SIP-over-TCP connections, each with a gap before its data"),
    );
    let mut w = Writer::create(&path, 101)?;
    let body = testing::unanswered_invite("gap@x", 1);
    for i in 0..count {
        let (a, b) = (
            sock(host(i), 40_000),
            sock(Ipv4Addr::new(192, 0, 2, 2), 5060),
        );
        let syn = testing::tcp(a, b, 1000, 0, tcp_flags::SYN, b"");
        w.packet(&testing::ip(a.ip(), b.ip(), 6, &syn))?;
        let first = testing::tcp(a, b, 1001, 1, tcp_flags::PSH | tcp_flags::ACK, b"INVITE ");
        w.packet(&testing::ip(a.ip(), b.ip(), 6, &first))?;
        // 100 bytes never arrive; the rest waits for them.
        let late = testing::tcp(
            a,
            b,
            1108,
            1,
            tcp_flags::PSH | tcp_flags::ACK,
            body.as_bytes(),
        );
        w.packet(&testing::ip(a.ip(), b.ip(), 6, &late))?;
    }
    w.finish()?;

    // Unanswered INVITEs: SIP calls and transactions.
    let count = n(100_000);
    let path = case(
        "invites",
        format!("{count} unanswered INVITEs, each its own call"),
    );
    let mut w = Writer::create(&path, 101)?;
    for i in 0..count {
        let (a, b) = (
            sock(host(i % 60_000), 5060),
            sock(Ipv4Addr::new(192, 0, 2, 3), 5060),
        );
        let msg = testing::unanswered_invite(&format!("call{i}@attacker"), i);
        w.packet(&testing::ip_udp(a, b, msg.as_bytes()))?;
    }
    w.finish()?;

    // STUN Binding requests on distinct flows: STUN transactions and flows.
    let count = n(300_000);
    let path = case(
        "stun-flows",
        format!("{count} STUN Binding requests, each its own flow"),
    );
    let mut w = Writer::create(&path, 101)?;
    for i in 0..count {
        let (a, b) = (
            sock(host(i), 50_000),
            sock(Ipv4Addr::new(192, 0, 2, 4), 3478),
        );
        w.packet(&testing::ip_udp(a, b, &testing::stun_binding_request(i)))?;
    }
    w.finish()?;

    // First fragments that never complete: the reassembly buffers (and, before, a scan each).
    let count = n(2_000_000);
    let path = case(
        "fragments",
        format!("{count} first IPv4 fragments whose datagrams never complete"),
    );
    let mut w = Writer::create(&path, 101)?;
    for i in 0..count {
        let ip = Ipv4 {
            id: i as u16,
            src: host(i / 65_536),
            more: true,
            ..Ipv4::default()
        }
        .emit(&[0x42; 8]);
        w.packet(&ip)?;
    }
    w.finish()?;

    // Short SIP-over-TCP connections: before, every direction was kept to the end.
    let count = n(60_000);
    let path = case(
        "short-tcp",
        format!("{count} SIP-over-TCP connections of one INVITE and its 100 each way"),
    );
    let mut w = Writer::create(&path, 101)?;
    for i in 0..count {
        let (a, b) = (
            sock(host(i), 41_000),
            sock(Ipv4Addr::new(192, 0, 2, 5), 5060),
        );
        let inv = testing::unanswered_invite(&format!("short{i}@x"), i);
        let trying = format!(
            "SIP/2.0 100 Trying\r\nVia: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK{i}\r\n\
From: <sip:alice@example.com>;tag={i}\r\nTo: <sip:bob@example.com>\r\nCall-ID: short{i}@x\r\n\
CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        );
        let ack = tcp_flags::ACK;
        let (ia, ib) = (1000u32, 5000u32);
        let seg = |from: SocketAddr, to: SocketAddr, seq, an, flags, data: &[u8]| {
            testing::ip(
                from.ip(),
                to.ip(),
                6,
                &testing::tcp(from, to, seq, an, flags, data),
            )
        };
        w.packet(&seg(a, b, ia, 0, tcp_flags::SYN, b""))?;
        w.packet(&seg(b, a, ib, ia + 1, tcp_flags::SYN | ack, b""))?;
        w.packet(&seg(
            a,
            b,
            ia + 1,
            ib + 1,
            tcp_flags::PSH | ack,
            inv.as_bytes(),
        ))?;
        let ia2 = ia + 1 + inv.len() as u32;
        w.packet(&seg(
            b,
            a,
            ib + 1,
            ia2,
            tcp_flags::PSH | ack,
            trying.as_bytes(),
        ))?;
        let ib2 = ib + 1 + trying.len() as u32;
        w.packet(&seg(a, b, ia2, ib2, tcp_flags::FIN | ack, b""))?;
        w.packet(&seg(b, a, ib2, ia2 + 1, tcp_flags::FIN | ack, b""))?;
    }
    w.finish()?;

    // pcapng sections of many interface blocks (little-endian, Ethernet, no options).
    let sections = n(40);
    let path = case(
        "interfaces",
        format!("{sections} pcapng sections of 65,536 interface blocks"),
    );
    let mut out = BufWriter::new(File::create(&path)?);
    write_interface_storm(&mut out, sections)?;
    out.flush()?;
    // Every raw-IP case in one file, one after the other: the tables fill together.
    let raw: Vec<PathBuf> = cases
        .iter()
        .filter(|c| c.name != "interfaces")
        .map(|c| c.path.clone())
        .collect();
    let path = dir.join("all.pcap");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
    out.write_all(&Pcap::header(101))?;
    for part in &raw {
        let mut f = std::io::BufReader::new(File::open(part)?);
        let mut header = [0u8; 24];
        std::io::Read::read_exact(&mut f, &mut header)?;
        std::io::copy(&mut f, &mut out)?;
    }
    out.flush()?;
    cases.push(Case {
        name: "all",
        what: "all of the above in one file".into(),
        path,
    });

    Ok(cases)
}
