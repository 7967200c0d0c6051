//! Network and transport layers: IPv4 (with options) and IPv6 (with extension headers) through
//! `etherparse`'s lax slicer, then UDP, TCP and ICMP (with the flow an ICMP error quotes).
//!
//! IP fragments are returned as fragments; reassembling them needs state and so happens in
//! `callscope-analysis`, which then calls [`decode_transport`] on the whole datagram.

pub mod icmp;
mod transport;

use std::net::IpAddr;

use etherparse::{Ipv6ExtensionSlice, LaxIpSlice};

pub use transport::{decode_transport, TcpFlags, Transport, TransportError};

use crate::link::Next;

/// IP protocol numbers callscope names (IANA "Assigned Internet Protocol Numbers").
pub mod proto {
    /// ICMP for IPv4.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// ESP (RFC 4303).
    pub const ESP: u8 = 50;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
}

/// EtherTypes callscope names.
pub mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// ARP.
    pub const ARP: u16 = 0x0806;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
}

/// Where an IP packet sits in a fragmented datagram (RFC 791 §3.2; RFC 8200 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// Identification (16 bits for IPv4, 32 for IPv6).
    pub id: u32,
    /// Offset of this fragment's payload in the datagram, in bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
}

/// A decoded IP header and what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPacket<'a> {
    /// 4 or 6.
    pub version: u8,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// The upper-layer protocol (after IPv6 extension headers).
    pub protocol: u8,
    /// Set when this packet is one fragment of a larger datagram.
    pub fragment: Option<Fragment>,
    /// The upper-layer bytes (the fragment's bytes when fragmented).
    pub payload: &'a [u8],
    /// The packet was cut short by the capture's snaplen (or claims more than it has).
    pub incomplete: bool,
}

/// The network layer of a frame.
#[derive(Debug, Clone)]
pub enum Network<'a> {
    /// IPv4 or IPv6.
    Ip(IpPacket<'a>),
    /// ARP (counted, not decoded).
    Arp,
    /// An EtherType or family callscope does not decode.
    Other(Option<u16>),
}

/// Why the network layer could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// The IP header itself is unreadable.
    #[error("ip: {0}")]
    Ip(String),
}

/// Decodes what follows a link header.
pub fn decode_network(next: Next, payload: &[u8]) -> Result<Network<'_>, NetError> {
    match next {
        Next::EtherType(ethertype::IPV4) | Next::EtherType(ethertype::IPV6) | Next::Ip => {
            decode_ip(payload).map(Network::Ip)
        }
        Next::EtherType(ethertype::ARP) => Ok(Network::Arp),
        Next::EtherType(other) => Ok(Network::Other(Some(other))),
        Next::Other => Ok(Network::Other(None)),
    }
}

/// Decodes an IPv4 or IPv6 packet, laxly: a payload shorter than the header claims is kept and
/// flagged `incomplete`.
pub fn decode_ip(bytes: &[u8]) -> Result<IpPacket<'_>, NetError> {
    match plain_ipv4(bytes) {
        Some(packet) => Ok(packet),
        None => decode_ip_lax(bytes),
    }
}

/// The common case read directly: an IPv4 header without options (RFC 791 §3.1: version 4,
/// IHL 5), not a fragment, not AH (which etherparse steps over), whole in `bytes`. This runs
/// once per packet, and etherparse's general slicer costs several times as much; a property
/// test checks that both agree wherever this one answers.
fn plain_ipv4(bytes: &[u8]) -> Option<IpPacket<'_>> {
    const AH: u8 = 51;
    let header: &[u8; 20] = bytes.get(..20)?.try_into().ok()?;
    let total = usize::from(u16::from_be_bytes([header[2], header[3]]));
    // Flags and fragment offset: only DF may be set (MF or an offset makes a fragment).
    let fragmented = u16::from_be_bytes([header[6], header[7]]) & 0x3fff != 0;
    if header[0] != 0x45 || total < 20 || total > bytes.len() || fragmented || header[9] == AH {
        return None;
    }
    let addr =
        |at: usize| IpAddr::from([header[at], header[at + 1], header[at + 2], header[at + 3]]);
    Some(IpPacket {
        version: 4,
        src: addr(12),
        dst: addr(16),
        protocol: header[9],
        fragment: None,
        payload: &bytes[20..total],
        incomplete: false,
    })
}

/// Any IP packet, through etherparse's lax slicer.
fn decode_ip_lax(bytes: &[u8]) -> Result<IpPacket<'_>, NetError> {
    let (ip, ext_error) = LaxIpSlice::from_slice(bytes).map_err(|e| NetError::Ip(e.to_string()))?;
    let payload = ip.payload();
    let (version, fragment) = match &ip {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            let offset = u32::from(h.fragments_offset().value()) * 8;
            let frag = (h.more_fragments() || offset != 0).then_some(Fragment {
                id: u32::from(h.identification()),
                offset,
                more: h.more_fragments(),
            });
            (4, frag)
        }
        LaxIpSlice::Ipv6(v6) => {
            let mut frag = None;
            // etherparse 0.21's extension iterator reads past the parsed headers when the chain
            // stopped on an error (found by fuzz/link_ip): only walk a chain that parsed whole.
            let chain = if ext_error.is_none() {
                Some(v6.extensions().clone())
            } else {
                None
            };
            for ext in chain.into_iter().flatten() {
                if let Ipv6ExtensionSlice::Fragment(f) = ext {
                    let offset = u32::from(f.fragment_offset().value()) * 8;
                    if f.more_fragments() || offset != 0 {
                        frag = Some(Fragment {
                            id: f.identification(),
                            offset,
                            more: f.more_fragments(),
                        });
                    }
                }
            }
            (6, frag)
        }
    };
    Ok(IpPacket {
        version,
        src: ip.source_addr(),
        dst: ip.destination_addr(),
        protocol: payload.ip_number.0,
        fragment,
        payload: payload.payload,
        incomplete: payload.incomplete,
    })
}

#[cfg(test)]
mod tests;
