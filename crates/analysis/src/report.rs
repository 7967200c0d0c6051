//! The report: what callscope tells a person, a script or the page. Field names follow DESIGN.md's
//! JSON contract (`schema` "callscope.report/1"): add fields freely, rename none.

use serde::{Deserialize, Serialize};

pub use crate::addr::{Ip, Socket};
pub use crate::flows::Transport;

/// A closed set of states the report writes as words of the JSON contract (`answered`,
/// `in progress`): an enum in the code, its word in the JSON, `as_str` and `Display` for views.
macro_rules! report_words {
    ($(#[$meta:meta])* pub enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// The word the report writes.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}
pub(crate) use report_words;

/// Serialize and Deserialize for values the report writes as text: written with `Display`, read
/// back with `FromStr`, whose error (in words) becomes the deserializer's.
macro_rules! serde_as_text {
    ($($t:ty),+) => {$(
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?
                    .parse()
                    .map_err(serde::de::Error::custom)
            }
        }
    )+};
}

serde_as_text!(ProcessRef, Ssrc, Transport);

/// Version of the JSON contract; bumped on a breaking change.
pub const SCHEMA: &str = "callscope.report/1";

/// Everything the analyzer learned from one capture.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The file itself.
    pub capture: CaptureSummary,
    /// Frames and bytes per protocol path, as tshark's `-z io,phs`.
    pub hierarchy: Vec<HierarchyNode>,
    /// Per IP address, as tshark's `-z endpoints,ip` / `endpoints,ipv6`.
    pub endpoints: Vec<Endpoint>,
    /// Per unordered UDP/TCP 5-tuple, as tshark's `-z conv,udp` / `conv,tcp`.
    pub conversations: Vec<Conversation>,
    /// Processes the capture names (Apple pcapng process blocks, PKTAP headers).
    pub processes: Vec<Process>,
    /// IKE tunnels and ESP.
    pub ike: crate::ike::IkeReport,
    /// STUN and TURN.
    pub stun: crate::stun::StunReport,
    /// SIP messages and calls.
    pub sip: crate::sip::SipReport,
    /// RTP streams.
    pub rtp: crate::rtp::RtpReport,
    /// RTCP reports.
    pub rtcp: crate::rtp::RtcpReport,
    /// DNS questions and answers.
    pub dns: crate::dns::DnsReport,
    /// TLS handshakes.
    pub tls: crate::tls::TlsReport,
    /// Names for addresses, with where each came from, by address.
    pub names: Vec<Name>,
    /// Conclusions in plain words, each with its evidence, most specific first.
    pub verdicts: Vec<crate::verdicts::Verdict>,
    /// Packets and bytes per time bucket (one second, wider for long captures) per protocol
    /// family, for every frame the hierarchy counts (those whose link layer decoded).
    pub timeline: crate::timeline::TimelineReport,
    /// What was dropped to keep memory bounded.
    pub limits: Limits,
}

/// The `capture` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CaptureSummary {
    /// `pcap`, `pcap-ns` or `pcapng`, with `+gzip` when compressed; empty when unreadable.
    pub format: String,
    /// Link types present (tcpdump names: `EN10MB`, `NULL`, `PKTAP`, …), in order of appearance.
    pub link_types: Vec<String>,
    /// Interfaces the file describes.
    pub interfaces: Vec<Interface>,
    /// Packet records read.
    pub packets: u64,
    /// Sum of the packets' on-the-wire lengths.
    pub bytes: u64,
    /// Sum of the captured lengths.
    pub captured_bytes: u64,
    /// Time of the first packet, seconds since the Unix epoch.
    pub start_unix: f64,
    /// Seconds from the first to the last packet.
    pub duration: f64,
    /// Packets or records that could not be decoded as far as their headers claim.
    pub malformed: u64,
    /// Why packets were malformed, with counts (at most a few distinct reasons).
    pub malformed_reasons: Vec<Reason>,
    /// Packets on link types callscope does not decode.
    pub unknown_link_type: u64,
    /// The file ends inside a record.
    pub truncated: bool,
    /// Why reading stopped early, when it did (truncation or a corrupt record).
    pub error: Option<String>,
    /// Records whose captured length exceeds the interface's snaplen (kept, as tshark does).
    pub caplen_over_snaplen: u64,
}

/// An interface described by the file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Interface {
    /// Index in file order.
    pub index: u32,
    /// Name (`en0`, `pdp_ip0`), when recorded.
    pub name: Option<String>,
    /// Link type name.
    pub link_type: String,
    /// Packets seen on it.
    pub packets: u64,
    /// Its first and last packet, seconds since the capture's first packet (two interfaces
    /// whose spans are months apart have clocks that disagree).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<[f64; 2]>,
}

/// A reason and how often it happened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reason {
    /// What went wrong.
    pub reason: String,
    /// How often.
    pub count: u64,
    /// First frame it happened in.
    pub first_frame: u64,
}

/// One node of the protocol hierarchy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HierarchyNode {
    /// Protocols from the outermost, e.g. `["eth","ip","udp","sip"]`.
    pub path: Vec<String>,
    /// Frames that contain this path.
    pub frames: u64,
    /// Their bytes (on-the-wire lengths).
    pub bytes: u64,
}

/// An IP address's totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Endpoint {
    /// The address.
    pub addr: Ip,
    /// Packets sent or received.
    pub packets: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Packets received.
    pub rx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// RFC 6890 class: `global`, `private`, `cgnat`, `link-local`, `ula`, `loopback`, `multicast`, …
    pub class: String,
    /// Its best name ([`Name`]: DNS first, then TLS, then a port hint), once something named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A name for an address (DESIGN.md: `names[] { addr, name, source }`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Name {
    /// The address.
    pub addr: Ip,
    /// The name: for DNS the one asked, for TLS the server name or the certificate's; for a
    /// port hint the service the port usually carries.
    pub name: String,
    /// `dns`, `sni` (TLS server name), `cert` (TLS certificate) or `port` (a hint only).
    pub source: String,
    /// DNS: the names from the one asked to the one that had the address, when CNAMEs led there.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<String>,
    /// When it was learned, seconds into the capture.
    pub first: f64,
    /// The frame that said it (0 for a port hint).
    pub frame: u64,
    /// The mobile network a 3GPP name (or a carrier's own ePDG name) belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<MobileNetwork>,
}

/// A mobile network, from a 3GPP name (TS 23.003) or a listed carrier name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MobileNetwork {
    /// What the name is for: `epdg`, `epdg-sos`, `ims`, `nai`, `other`.
    pub role: String,
    /// Mobile country code.
    pub mcc: String,
    /// Mobile network code, as the name writes it.
    pub mnc: String,
    /// Operator, from the bundled table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// Country, from the bundled table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Totals for one unordered 5-tuple; `a` is the side that sent first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Conversation {
    /// UDP or TCP, written `udp` or `tcp`.
    pub transport: Transport,
    /// Initiator, `1.2.3.4:5060` or `[fd00::1]:5060`.
    pub a: Socket,
    /// Responder.
    pub b: Socket,
    /// Packets both ways.
    pub packets: u64,
    /// Bytes both ways.
    pub bytes: u64,
    /// Packets from a to b.
    pub packets_a_to_b: u64,
    /// Packets from b to a.
    pub packets_b_to_a: u64,
    /// Bytes from a to b.
    pub bytes_a_to_b: u64,
    /// Bytes from b to a.
    pub bytes_b_to_a: u64,
    /// First packet, seconds after the capture's first packet.
    pub start: f64,
    /// Seconds from first to last packet.
    pub duration: f64,
    /// Application protocol, when classified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Owning process, when the capture or the facts say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessRef>,
    /// The interface of its first packet (`capture.interfaces[].index`), when the file has
    /// more than one: which link carried it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<u32>,
    /// The initiator's name ([`Endpoint::name`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a_name: Option<String>,
    /// The responder's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b_name: Option<String>,
    /// What a well-known port on either side usually carries (`Apple push`, `IKE NAT-T`): a
    /// hint, not a finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// ICMP/ICMPv6 errors that quote this conversation's packets (not counted in its packets).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub icmp_errors: Vec<IcmpErrors>,
}

/// ICMP errors of one kind from one sender about a conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IcmpErrors {
    /// What the error says: `port unreachable`, `host unreachable`, `time exceeded`,
    /// `packet too big`, `administratively prohibited`, …
    pub error: String,
    /// The address that sent it: the peer itself, or a router or firewall on the way.
    pub from: Ip,
    /// How many.
    pub count: u64,
    /// The first, seconds after the capture's first packet.
    pub first: f64,
}

/// A process and its traffic.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Process {
    /// Process id.
    pub pid: u32,
    /// Command name.
    pub name: String,
    /// Executable path, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// UDP/TCP flows attributed to it.
    pub flows: u64,
    /// Packets attributed to it.
    pub packets: u64,
    /// Their bytes.
    pub bytes: u64,
}

impl Process {
    /// How a conversation names this process.
    pub fn reference(&self) -> ProcessRef {
        ProcessRef::new(&self.name, self.pid)
    }
}

/// A process as a conversation or a verdict names it: command name and pid, written
/// `name (pid)` (the JSON contract's text), so that views link it without parsing it back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessRef {
    /// Command name.
    pub name: String,
    /// Process id.
    pub pid: u32,
}

impl ProcessRef {
    /// The process `name` with id `pid`.
    pub fn new(name: &str, pid: u32) -> ProcessRef {
        ProcessRef {
            name: name.to_owned(),
            pid,
        }
    }
}

impl std::fmt::Display for ProcessRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&format!("{} ({})", self.name, self.pid))
    }
}

impl std::str::FromStr for ProcessRef {
    type Err = String;
    /// Reads `name (pid)`; the name may itself hold parentheses.
    fn from_str(text: &str) -> Result<Self, String> {
        let refused = || format!("not a process as `name (pid)`: {text:?}");
        let (name, rest) = text.rsplit_once(" (").ok_or_else(refused)?;
        let pid = rest
            .strip_suffix(')')
            .and_then(|p| p.parse().ok())
            .ok_or_else(refused)?;
        Ok(ProcessRef::new(name, pid))
    }
}

/// An RTP synchronization source (RFC 3550 §5.1), written `0x` and 8 lowercase hex digits (the
/// JSON contract's text, as tshark's `rtp.ssrc`), so that views, the audio and the CLI compare
/// and format it as a number without parsing it back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ssrc(pub u32);

impl std::fmt::Display for Ssrc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&format!("0x{:08x}", self.0))
    }
}

impl std::str::FromStr for Ssrc {
    type Err = String;
    /// Reads `0x` and 1 to 8 hex digits, either case.
    fn from_str(text: &str) -> Result<Self, String> {
        text.strip_prefix("0x")
            .filter(|hex| (1..=8).contains(&hex.len()))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .map(Ssrc)
            .ok_or_else(|| format!("not an SSRC as `0x` and hex digits: {text:?}"))
    }
}

/// Counters for what bounded memory made us drop.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Idle flows evicted from the flow table when it was full (their totals are lost).
    pub flows_evicted: u64,
    /// Endpoints not tracked because the endpoint table was full.
    pub endpoints_dropped: u64,
    /// IP fragments discarded (buffers full, too old, or never completed).
    pub fragments_dropped: u64,
    /// TCP payload bytes skipped by stream reassembly (gaps it could not wait for).
    pub tcp_bytes_dropped: u64,
    /// ICMP errors not attached to their conversation (too many flows or kinds with errors).
    #[serde(skip_serializing_if = "is_zero")]
    pub icmp_errors_dropped: u64,
    /// Names for addresses not kept (DNS answers or TLS names beyond their tables).
    #[serde(skip_serializing_if = "is_zero")]
    pub names_dropped: u64,
    /// DNS names asked that the `dns.queries` table had no room for.
    #[serde(skip_serializing_if = "is_zero")]
    pub dns_queries_dropped: u64,
    /// TLS connections that the `tls.sessions` table had no room for.
    #[serde(skip_serializing_if = "is_zero")]
    pub tls_sessions_dropped: u64,
    /// Every table that reached its bound and dropped something (the counters above and each
    /// section's own, in one place), with the bound the memory budget gave it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableLimit>,
}

/// A table that reached its bound (see `callscope_analysis::budget`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TableLimit {
    /// The table, e.g. `flows`, `rtp_streams`.
    pub table: String,
    /// Entries (or bytes, for the byte tables) it could hold.
    pub bound: u64,
    /// What it dropped or evicted, in the unit of the counter it mirrors.
    pub dropped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn an_ssrc_is_written_and_read_as_the_contracts_hex() {
        assert_eq!(
            serde_json::to_string(&Ssrc(0xbeef)).unwrap(),
            "\"0x0000beef\""
        );
        assert_eq!(
            serde_json::from_str::<Ssrc>("\"0x5711BF84\"").unwrap(),
            Ssrc(0x5711_bf84)
        );
        for bad in ["\"5711bf84\"", "\"0x\"", "\"0x123456789\"", "\"0xzz\"", "7"] {
            let e = serde_json::from_str::<Ssrc>(bad).unwrap_err().to_string();
            assert!(e.contains("SSRC") || e.contains("string"), "{bad}: {e}");
        }
        assert_eq!(format!("{:>12}", Ssrc(1)), "  0x00000001");
    }

    #[test]
    fn states_are_written_and_read_as_the_contracts_words() {
        use crate::ike::TunnelState;
        use crate::sip::report::CallState;
        let json = serde_json::to_string(&[CallState::InProgress, CallState::Answered]).unwrap();
        assert_eq!(json, r#"["in progress","answered"]"#);
        let back: Vec<CallState> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, [CallState::InProgress, CallState::Answered]);
        assert_eq!(format!("{:>9}", TunnelState::Deleted), "  deleted");
        assert!(serde_json::from_str::<CallState>(r#""ringing""#).is_err());
    }

    #[test]
    fn a_process_is_written_and_read_as_name_and_pid() {
        let p = ProcessRef::new("Google Chrome Helper (Renderer)", 512);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"Google Chrome Helper (Renderer) (512)\"");
        assert_eq!(serde_json::from_str::<ProcessRef>(&json).unwrap(), p);
        assert_eq!(
            format!("{:<12}|", ProcessRef::new("sipd", 1)),
            "sipd (1)    |"
        );
        for bad in ["sipd", "sipd (x)", "sipd (1"] {
            let err = serde_json::from_str::<ProcessRef>(&format!("\"{bad}\"")).unwrap_err();
            assert!(err.to_string().contains("not a process"), "{bad}: {err}");
        }
    }
}
