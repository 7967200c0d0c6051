//! RTCP across packets: every SR/RR/SDES/BYE/APP/feedback/XR packet as a report entry, a summary
//! per reporting source, and round-trip times from LSR/DLSR (RFC 3550 §6.4.1): when B's report
//! block about A carries LSR = the middle of A's SR NTP timestamp, the round trip seen from the
//! capture point is `arrival(B's report) − arrival(A's SR) − DLSR`.

use crate::addr::Socket;
use crate::report::Ssrc;
use crate::FastMap;
use std::net::SocketAddr;

use callscope_wire::rtcp::{self, Compound, Element, Repr};
use serde::{Deserialize, Serialize};

use crate::protocols::FinishContext;

/// Recent SRs remembered per source for matching LSR.
const SR_MEMORY: usize = 8;
/// Negative round trips down to this (ms) are DLSR rounding, reported as 0; below, dropped.
const RTT_SLACK_MS: f64 = 1.0;

/// One report block, as decoded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Block {
    /// The source reported on.
    pub ssrc: Ssrc,
    /// Fraction lost, raw (in 1/256, as tshark's `rtcp.ssrc.fraction`).
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed).
    pub cumulative_lost: i32,
    /// Extended highest sequence number.
    pub highest_seq: u32,
    /// Interarrival jitter in timestamp units (as tshark's `rtcp.ssrc.jitter`).
    pub jitter: u32,
    /// Jitter in ms, with the reported stream's clock when callscope saw that stream.
    pub jitter_ms: Option<f64>,
    /// Last SR timestamp (middle 32 bits of NTP).
    pub lsr: u32,
    /// Delay since last SR, seconds.
    pub dlsr: f64,
    /// Round trip from LSR/DLSR, ms (when the matching SR was captured).
    pub rtt_ms: Option<f64>,
}

/// One RTCP packet (an element of a compound datagram).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    /// Frame number.
    pub frame: u64,
    /// Seconds since the capture's first packet.
    pub time: f64,
    /// Sender.
    pub src: Socket,
    /// Receiver.
    pub dst: Socket,
    /// The packet's SSRC (sender's; for SDES the first chunk's; for BYE the first leaving).
    pub ssrc: Ssrc,
    /// `SR`, `RR`, `SDES`, `BYE`, `APP`, `RTPFB`, `PSFB`, `XR`, or `PT<n>`.
    pub kind: String,
    /// The first report block's fraction lost (raw 1/256).
    pub fraction_lost: Option<u8>,
    /// The first report block's cumulative lost.
    pub cumulative_lost: Option<i32>,
    /// The first report block's jitter (timestamp units).
    pub jitter: Option<u32>,
    /// The first report block's jitter in ms.
    pub jitter_ms: Option<f64>,
    /// The first report block's round trip, ms.
    pub rtt_ms: Option<f64>,
    /// All report blocks (SR/RR).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<Block>,
    /// SDES CNAME.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cname: Option<String>,
    /// BYE reason or APP name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// SRTCP: only the clear header was read.
    pub srtcp: bool,
}

/// Per reporting source (src, dst, SSRC).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Source {
    /// Sender.
    pub src: Socket,
    /// Receiver.
    pub dst: Socket,
    /// The reporting SSRC.
    pub ssrc: Ssrc,
    /// CNAME, when an SDES gave one.
    pub cname: Option<String>,
    /// RTCP packets by kind (`SR`: n, …).
    pub packets: std::collections::BTreeMap<String, u64>,
    /// Last reported fraction lost, as a percentage.
    pub last_fraction_lost_pct: Option<f64>,
    /// Largest cumulative lost reported.
    pub max_cumulative_lost: Option<i32>,
    /// Largest jitter reported, ms.
    pub max_jitter_ms: Option<f64>,
    /// Round trips measured from this source's reports, ms.
    pub rtt_min_ms: Option<f64>,
    /// Mean round trip, ms.
    pub rtt_mean_ms: Option<f64>,
    /// Largest round trip, ms.
    pub rtt_max_ms: Option<f64>,
    /// Sent SRTCP.
    pub srtcp: bool,
}

#[derive(Debug)]
struct SourceState {
    src: SocketAddr,
    dst: SocketAddr,
    ssrc: u32,
    cname: Option<String>,
    packets: std::collections::BTreeMap<String, u64>,
    last_fraction: Option<u8>,
    max_cum: Option<i32>,
    max_jitter: Option<(u32, u32)>,
    rtts: Vec<f64>,
    srtcp: bool,
}

/// A report block's reported SSRC and its jitter as sent (timestamp units).
pub(super) type RawJitter = (u32, u32);

/// The RTCP tables' bounds.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    /// Report entries kept.
    reports: usize,
    /// Reporting sources tracked.
    sources: usize,
}

impl Bounds {
    fn of(budget: usize) -> Self {
        Bounds {
            reports: crate::budget::RTCP_REPORTS.bound(budget),
            sources: crate::budget::RTCP_SOURCES.bound(budget),
        }
    }
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds::of(crate::DEFAULT_BUDGET)
    }
}

/// RTCP state.
#[derive(Debug, Default)]
pub struct RtcpState {
    bounds: Bounds,
    /// Entries with their blocks' (reported SSRC, raw jitter) and capture time.
    pub(super) reports: Vec<(Report, Vec<RawJitter>, i64)>,
    pub(super) dropped_reports: u64,
    sources: Vec<SourceState>,
    source_index: FastMap<(SocketAddr, SocketAddr, u32), usize>,
    pub(super) dropped_sources: u64,
    /// Recent SRs per sender SSRC: (NTP middle 32 bits, capture ns).
    srs: FastMap<u32, Vec<(u32, i64)>>,
    /// RTT samples per reported-on SSRC (for the E-model).
    pub(super) rtt_by_ssrc: FastMap<u32, (f64, u32)>,
    pub(super) packets: u64,
    pub(super) srtcp_packets: u64,
    pub(super) malformed: u64,
}

fn kind_name(pt: u8) -> String {
    match pt {
        rtcp::packet_type::SR => "SR".into(),
        rtcp::packet_type::RR => "RR".into(),
        rtcp::packet_type::SDES => "SDES".into(),
        rtcp::packet_type::BYE => "BYE".into(),
        rtcp::packet_type::APP => "APP".into(),
        rtcp::packet_type::RTPFB => "RTPFB".into(),
        rtcp::packet_type::PSFB => "PSFB".into(),
        rtcp::packet_type::XR => "XR".into(),
        other => format!("PT{other}"),
    }
}

impl RtcpState {
    /// Empty, with tables sized by `budget` bytes.
    pub fn with_budget(budget: usize) -> Self {
        RtcpState {
            bounds: Bounds::of(budget),
            ..RtcpState::default()
        }
    }

    /// Reads one RTCP datagram.
    pub fn datagram(
        &mut self,
        frame: u64,
        ts_ns: i64,
        src: SocketAddr,
        dst: SocketAddr,
        bytes: &[u8],
    ) {
        self.packets += 1;
        let elements: Vec<Element<'_>> = Compound::new(bytes).take(64).collect();
        let packets: Vec<_> = elements
            .iter()
            .filter_map(|e| match e {
                Element::Packet(p) => Some(*p),
                Element::Trailer(_) => None,
            })
            .collect();
        let trailer = elements.iter().find_map(|e| match e {
            Element::Trailer(t) => Some(t.len()),
            Element::Packet(_) => None,
        });
        // SRTCP: a first clear packet, then what does not parse (E-flag + index + tag).
        let srtcp = !packets.is_empty() && trailer.is_some_and(|n| n >= 4);
        if packets.is_empty() {
            self.malformed += 1;
            return;
        }
        if srtcp {
            self.srtcp_packets += 1;
            let p = packets[0];
            let ssrc = p.ssrc().unwrap_or(0);
            self.record(
                ts_ns,
                Report {
                    frame,
                    time: 0.0,
                    src: crate::addr::Socket(src),
                    dst: crate::addr::Socket(dst),
                    ssrc: Ssrc(ssrc),
                    kind: kind_name(p.packet_type()),
                    fraction_lost: None,
                    cumulative_lost: None,
                    jitter: None,
                    jitter_ms: None,
                    rtt_ms: None,
                    blocks: Vec::new(),
                    cname: None,
                    detail: None,
                    srtcp: true,
                },
                Vec::new(),
                src,
                dst,
                ssrc,
                |s| s.srtcp = true,
            );
            return;
        }
        for p in packets {
            let repr = match Repr::parse(&p) {
                Ok(r) => r,
                Err(_) => {
                    self.malformed += 1;
                    continue;
                }
            };
            self.packet(frame, ts_ns, src, dst, p.packet_type(), repr);
        }
    }

    fn packet(
        &mut self,
        frame: u64,
        ts_ns: i64,
        src: SocketAddr,
        dst: SocketAddr,
        pt: u8,
        repr: Repr,
    ) {
        let mut report = Report {
            frame,
            time: 0.0,
            src: crate::addr::Socket(src),
            dst: crate::addr::Socket(dst),
            ssrc: Ssrc::default(),
            kind: kind_name(pt),
            fraction_lost: None,
            cumulative_lost: None,
            jitter: None,
            jitter_ms: None,
            rtt_ms: None,
            blocks: Vec::new(),
            cname: None,
            detail: None,
            srtcp: false,
        };
        let mut raw_blocks = Vec::new();
        let (ssrc, blocks) = match repr {
            Repr::SenderReport {
                ssrc, ntp, blocks, ..
            } => {
                let middle = (ntp >> 16) as u32;
                let memory = self.srs.entry(ssrc).or_default();
                if memory.len() >= SR_MEMORY {
                    memory.remove(0);
                }
                memory.push((middle, ts_ns));
                if self.srs.len() > self.bounds.sources {
                    self.srs.clear();
                }
                (ssrc, blocks)
            }
            Repr::ReceiverReport { ssrc, blocks } => (ssrc, blocks),
            Repr::SourceDescription { chunks } => {
                report.cname = chunks.iter().find_map(|c| c.cname.clone());
                (chunks.first().map_or(0, |c| c.ssrc), Vec::new())
            }
            Repr::Goodbye { ssrcs, reason } => {
                report.detail = reason;
                (ssrcs.first().copied().unwrap_or(0), Vec::new())
            }
            Repr::App { ssrc, name, .. } => {
                report.detail = Some(String::from_utf8_lossy(&name).into_owned());
                (ssrc, Vec::new())
            }
            Repr::Feedback { ssrc, .. } | Repr::ExtendedReport { ssrc, .. } => (ssrc, Vec::new()),
            Repr::Other { ssrc, .. } => (ssrc.unwrap_or(0), Vec::new()),
        };
        report.ssrc = Ssrc(ssrc);
        for b in blocks {
            let dlsr = f64::from(b.dlsr) / 65536.0;
            let rtt_ms = if b.lsr == 0 {
                None
            } else {
                self.srs.get(&b.ssrc).and_then(|srs| {
                    srs.iter()
                        .rev()
                        .find(|(m, _)| *m == b.lsr)
                        .and_then(|(_, t)| {
                            let rtt = crate::time::ms_between(*t, ts_ns) - dlsr * 1000.0;
                            if rtt >= 0.0 {
                                Some(rtt)
                            } else if rtt > -RTT_SLACK_MS {
                                Some(0.0)
                            } else {
                                None
                            }
                        })
                })
            };
            if let Some(rtt) = rtt_ms {
                let e = self.rtt_by_ssrc.entry(b.ssrc).or_insert((0.0, 0));
                e.0 += rtt;
                e.1 += 1;
            }
            raw_blocks.push((b.ssrc, b.jitter));
            report.blocks.push(Block {
                ssrc: Ssrc(b.ssrc),
                fraction_lost: b.fraction_lost,
                cumulative_lost: b.cumulative_lost,
                highest_seq: b.highest_seq,
                jitter: b.jitter,
                jitter_ms: None,
                lsr: b.lsr,
                dlsr,
                rtt_ms,
            });
        }
        if let Some(first) = report.blocks.first() {
            report.fraction_lost = Some(first.fraction_lost);
            report.cumulative_lost = Some(first.cumulative_lost);
            report.jitter = Some(first.jitter);
            report.rtt_ms = first.rtt_ms;
        }
        let cname = report.cname.clone();
        let kind = report.kind.clone();
        let summary: Vec<(u8, i32, u32, u32, Option<f64>)> = report
            .blocks
            .iter()
            .zip(&raw_blocks)
            .map(|(b, &(about, j))| (b.fraction_lost, b.cumulative_lost, about, j, b.rtt_ms))
            .collect();
        self.record(ts_ns, report, raw_blocks, src, dst, ssrc, |s| {
            *s.packets.entry(kind).or_default() += 1;
            if cname.is_some() {
                s.cname = cname;
            }
            for (fraction, cum, about, jitter, rtt) in summary {
                s.last_fraction = Some(fraction);
                s.max_cum = Some(s.max_cum.map_or(cum, |m| m.max(cum)));
                if s.max_jitter.is_none_or(|(_, j)| jitter > j) {
                    s.max_jitter = Some((about, jitter));
                }
                if let Some(r) = rtt {
                    if s.rtts.len() < 4096 {
                        s.rtts.push(r);
                    }
                }
            }
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        ts_ns: i64,
        report: Report,
        raw_blocks: Vec<(u32, u32)>,
        src: SocketAddr,
        dst: SocketAddr,
        ssrc: u32,
        update: impl FnOnce(&mut SourceState),
    ) {
        let kind = report.kind.clone();
        let srtcp = report.srtcp;
        if self.reports.len() < self.bounds.reports {
            self.reports.push((report, raw_blocks, ts_ns));
        } else {
            self.dropped_reports += 1;
        }
        let idx = match self.source_index.get(&(src, dst, ssrc)) {
            Some(&i) => i,
            None if self.sources.len() < self.bounds.sources => {
                self.sources.push(SourceState::new(src, dst, ssrc));
                self.source_index
                    .insert((src, dst, ssrc), self.sources.len() - 1);
                self.sources.len() - 1
            }
            None => {
                self.dropped_sources += 1;
                return;
            }
        };
        let s = &mut self.sources[idx];
        if srtcp {
            *s.packets.entry(kind).or_default() += 1;
        }
        update(s);
    }

    /// Builds the section; `clock_of` gives the clock of a stream by SSRC (0: unknown).
    pub fn finish(
        self,
        ctx: &FinishContext,
        clock_of: impl Fn(u32) -> u32,
    ) -> (Vec<Report>, Vec<Source>) {
        let to_ms = |jitter: u32, about: u32| {
            let clock = clock_of(about);
            (clock != 0).then(|| f64::from(jitter) * 1000.0 / f64::from(clock))
        };
        let reports = self
            .reports
            .into_iter()
            .map(|(mut r, raw, ts_ns)| {
                r.time = ctx.rel(ts_ns);
                for (b, (about, jitter)) in r.blocks.iter_mut().zip(raw) {
                    b.jitter_ms = to_ms(jitter, about);
                }
                r.jitter_ms = r.blocks.first().and_then(|b| b.jitter_ms);
                r
            })
            .collect();
        let sources = self
            .sources
            .into_iter()
            .map(|s| {
                let n = s.rtts.len();
                Source {
                    src: crate::addr::Socket(s.src),
                    dst: crate::addr::Socket(s.dst),
                    ssrc: Ssrc(s.ssrc),
                    cname: s.cname,
                    packets: s.packets,
                    last_fraction_lost_pct: s.last_fraction.map(|f| f64::from(f) * 100.0 / 256.0),
                    max_cumulative_lost: s.max_cum,
                    max_jitter_ms: s.max_jitter.and_then(|(about, j)| to_ms(j, about)),
                    rtt_min_ms: s.rtts.iter().copied().reduce(f64::min),
                    rtt_mean_ms: (n > 0).then(|| s.rtts.iter().sum::<f64>() / n as f64),
                    rtt_max_ms: s.rtts.iter().copied().reduce(f64::max),
                    srtcp: s.srtcp,
                }
            })
            .collect();
        (reports, sources)
    }
}

impl SourceState {
    fn new(src: SocketAddr, dst: SocketAddr, ssrc: u32) -> Self {
        SourceState {
            src,
            dst,
            ssrc,
            cname: None,
            packets: Default::default(),
            last_fraction: None,
            max_cum: None,
            max_jitter: None,
            rtts: Vec::new(),
            srtcp: false,
        }
    }
}
