//! ICMP (RFC 792) and ICMPv6 (RFC 4443) error messages and the packet each quotes.
//!
//! An error message carries, after its 8-byte header, the start of the packet that caused it: at
//! least that packet's IP header and the first 8 bytes of its payload (RFC 792; RFC 4443 §2.4 asks
//! for as much as fits), which is where UDP and TCP keep their ports. That is enough to tell which
//! flow a "port unreachable" is about.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::proto;
use crate::bytes::be16;

/// The ICMP header before the quoted packet (type, code, checksum, 4 unused or type-specific).
const HEADER: usize = 8;

/// An ICMP or ICMPv6 error and what it quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpError {
    /// ICMPv6 rather than ICMP.
    pub v6: bool,
    /// Message type.
    pub kind: u8,
    /// Code.
    pub code: u8,
    /// The packet that caused it.
    pub quoted: Quoted,
}

/// The start of the packet an error quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted {
    /// Its source address.
    pub src: IpAddr,
    /// Its destination address.
    pub dst: IpAddr,
    /// Its IP protocol (the first header after IPv6's fixed one).
    pub protocol: u8,
    /// Source and destination port, when it is UDP or TCP and the ports are quoted.
    pub ports: Option<(u16, u16)>,
}

/// The error in an ICMP (`v6` false) or ICMPv6 message, if it is an error message with a
/// readable quote; informational messages (echo, neighbour discovery, …) are None.
pub fn error(v6: bool, bytes: &[u8]) -> Option<IcmpError> {
    let (&kind, &code) = (bytes.first()?, bytes.get(1)?);
    let is_error = if v6 {
        (1..=4).contains(&kind)
    } else {
        matches!(kind, 3 | 4 | 5 | 11 | 12)
    };
    if !is_error {
        return None;
    }
    let quote = bytes.get(HEADER..)?;
    let quoted = if v6 {
        quoted_v6(quote)?
    } else {
        quoted_v4(quote)?
    };
    Some(IcmpError {
        v6,
        kind,
        code,
        quoted,
    })
}

/// The quoted IPv4 header (RFC 791 §3.1) and the ports after it.
fn quoted_v4(b: &[u8]) -> Option<Quoted> {
    let first = *b.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let header_len = usize::from(first & 0x0f) * 4;
    let protocol = *b.get(9)?;
    let addr = |at: usize| -> Option<IpAddr> {
        let o: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(IpAddr::V4(Ipv4Addr::from(o)))
    };
    // A fragment other than the first quotes no ports.
    let first_fragment = be16(b, 6).is_some_and(|f| f & 0x1fff == 0);
    Some(Quoted {
        src: addr(12)?,
        dst: addr(16)?,
        protocol,
        ports: ports(protocol, b, header_len).filter(|_| first_fragment && header_len >= 20),
    })
}

/// The quoted IPv6 header (RFC 8200 §3) and the ports after it (when no extension header
/// comes first).
fn quoted_v6(b: &[u8]) -> Option<Quoted> {
    if b.first()? >> 4 != 6 {
        return None;
    }
    let protocol = *b.get(6)?;
    let addr = |at: usize| -> Option<IpAddr> {
        let o: [u8; 16] = b.get(at..at + 16)?.try_into().ok()?;
        Some(IpAddr::V6(Ipv6Addr::from(o)))
    };
    Some(Quoted {
        src: addr(8)?,
        dst: addr(24)?,
        protocol,
        ports: ports(protocol, b, 40),
    })
}

fn ports(protocol: u8, b: &[u8], at: usize) -> Option<(u16, u16)> {
    if protocol != proto::UDP && protocol != proto::TCP {
        return None;
    }
    Some((be16(b, at)?, be16(b, at + 2)?))
}

impl IcmpError {
    /// What the error says, in words (RFC 792, RFC 1812 §5.2.7.1, RFC 4443 §3).
    pub fn describe(&self) -> &'static str {
        match (self.v6, self.kind, self.code) {
            (false, 3, 0) => "network unreachable",
            (false, 3, 1) | (true, 1, 3) => "host unreachable",
            (false, 3, 2) => "protocol unreachable",
            (false, 3, 3) | (true, 1, 4) => "port unreachable",
            (false, 3, 4) => "fragmentation needed",
            (false, 3, 9 | 10 | 13) | (true, 1, 1) => "administratively prohibited",
            (true, 1, 0) => "no route",
            (false, 3, _) | (true, 1, _) => "destination unreachable",
            (false, 4, _) => "source quench",
            (false, 5, _) => "redirect",
            (false, 11, _) | (true, 3, _) => "time exceeded",
            (true, 2, _) => "packet too big",
            _ => "parameter problem",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Port unreachable for UDP 192.0.2.1:40000 → 198.51.100.7:3478 (IHL 5).
    fn port_unreachable_v4() -> Vec<u8> {
        let mut b = vec![3, 3, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(&[0x45, 0, 0, 48, 0, 1, 0, 0, 64, 17, 0, 0]);
        b.extend_from_slice(&[192, 0, 2, 1, 198, 51, 100, 7]);
        b.extend_from_slice(&[0x9c, 0x40, 0x0d, 0x96, 0, 28, 0, 0]);
        b
    }

    #[test]
    fn a_port_unreachable_names_the_quoted_udp_flow() {
        let e = error(false, &port_unreachable_v4()).unwrap();
        assert_eq!(e.describe(), "port unreachable");
        assert_eq!(e.quoted.src, "192.0.2.1".parse::<IpAddr>().unwrap());
        assert_eq!(e.quoted.dst, "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(
            (e.quoted.protocol, e.quoted.ports),
            (17, Some((40000, 3478)))
        );
    }

    #[test]
    fn icmpv6_errors_quote_the_ipv6_header() {
        let mut b = vec![1, 4, 0, 0, 0, 0, 0, 0];
        let mut ip = vec![0x60, 0, 0, 0, 0, 16, 17, 64];
        ip.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        ip.extend_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
        b.extend_from_slice(&ip);
        b.extend_from_slice(&[0x13, 0xc4, 0x13, 0xc4, 0, 16, 0, 0]);
        let e = error(true, &b).unwrap();
        assert_eq!(e.describe(), "port unreachable");
        assert_eq!(e.quoted.ports, Some((5060, 5060)));
    }

    #[test]
    fn informational_messages_and_short_quotes_are_not_errors() {
        assert_eq!(
            error(false, &[8, 0, 0, 0, 0, 1, 0, 1]),
            None,
            "echo request"
        );
        assert_eq!(error(true, &[135, 0, 0, 0]), None, "neighbour solicitation");
        let full = port_unreachable_v4();
        assert_eq!(error(false, &full[..20]), None, "addresses cut off");
        let no_ports = error(false, &full[..28]).unwrap();
        assert_eq!(no_ports.quoted.ports, None, "ports cut off");
        for n in 0..full.len() {
            let _ = error(false, &full[..n]);
        }
    }
}
