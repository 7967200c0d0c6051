//! UDP (RFC 768), TCP (RFC 9293 §3.1) and ICMP/ICMPv6 headers.

use etherparse::{TcpSlice, UdpSlice};

use super::proto;

/// TCP control bits (RFC 9293 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpFlags {
    /// SYN.
    pub syn: bool,
    /// ACK.
    pub ack: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// PSH.
    pub psh: bool,
}

/// A decoded transport header.
#[derive(Debug, Clone)]
pub enum Transport<'a> {
    /// UDP datagram.
    Udp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
        /// Payload (bounded by the UDP length field when it fits).
        payload: &'a [u8],
    },
    /// TCP segment.
    Tcp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
        /// Sequence number.
        seq: u32,
        /// Control bits.
        flags: TcpFlags,
        /// Payload.
        payload: &'a [u8],
    },
    /// ICMP (v4 or v6).
    Icmp {
        /// ICMPv6 rather than ICMP.
        v6: bool,
        /// Message type.
        kind: u8,
        /// The error and what it quotes, when the message is an error.
        error: Option<super::icmp::IcmpError>,
    },
    /// Any other IP protocol (ESP, GRE, …): the bytes after the IP header.
    Other {
        /// IP protocol number.
        protocol: u8,
        /// Its bytes.
        payload: &'a [u8],
    },
}

/// Why a transport header could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// Header truncated or inconsistent.
    #[error("{layer}: {detail}")]
    Bad {
        /// `udp`, `tcp`, `icmp`, `icmpv6`.
        layer: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// Decodes the transport header of an (unfragmented or reassembled) IP payload.
pub fn decode_transport(protocol: u8, bytes: &[u8]) -> Result<Transport<'_>, TransportError> {
    match protocol {
        proto::UDP => {
            let udp = UdpSlice::from_slice_lax(bytes).map_err(|e| TransportError::Bad {
                layer: "udp",
                detail: e.to_string(),
            })?;
            Ok(Transport::Udp {
                src_port: udp.source_port(),
                dst_port: udp.destination_port(),
                payload: udp.payload(),
            })
        }
        proto::TCP => {
            let tcp = TcpSlice::from_slice(bytes).map_err(|e| TransportError::Bad {
                layer: "tcp",
                detail: e.to_string(),
            })?;
            Ok(Transport::Tcp {
                src_port: tcp.source_port(),
                dst_port: tcp.destination_port(),
                seq: tcp.sequence_number(),
                flags: TcpFlags {
                    syn: tcp.syn(),
                    ack: tcp.ack(),
                    fin: tcp.fin(),
                    rst: tcp.rst(),
                    psh: tcp.psh(),
                },
                payload: tcp.payload(),
            })
        }
        proto::ICMP | proto::ICMPV6 => match bytes.first() {
            Some(&kind) => Ok(Transport::Icmp {
                v6: protocol == proto::ICMPV6,
                kind,
                error: super::icmp::error(protocol == proto::ICMPV6, bytes),
            }),
            None => Err(TransportError::Bad {
                layer: if protocol == proto::ICMP {
                    "icmp"
                } else {
                    "icmpv6"
                },
                detail: "empty".into(),
            }),
        },
        other => Ok(Transport::Other {
            protocol: other,
            payload: bytes,
        }),
    }
}
