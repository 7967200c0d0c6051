//! First-pass classification of UDP and TCP payloads by well-known ports and cheap payload checks.
//! It names flows and the hierarchy's application layer; the protocol analyzers refine it.

use callscope_wire::sip::looks_like_sip;
use callscope_wire::{stun, tls};

/// Names a UDP payload's protocol, in tshark's spelling where tshark has one.
pub fn udp(src_port: u16, dst_port: u16, payload: &[u8]) -> Option<&'static str> {
    if payload.is_empty() {
        return None;
    }
    if looks_like_sip(payload) {
        return Some("sip");
    }
    if stun::looks_like(payload) {
        return Some("stun");
    }
    let either = |p: u16| src_port == p || dst_port == p;
    let name = if either(500) {
        "isakmp"
    } else if either(4500) {
        "udpencap"
    } else if either(53) {
        "dns"
    } else if either(5353) {
        "mdns"
    } else if either(5355) {
        "llmnr"
    } else if either(123) {
        "ntp"
    } else if either(67) || either(68) {
        "dhcp"
    } else if either(547) || either(546) {
        "dhcpv6"
    } else if either(137) {
        "nbns"
    } else if either(138) {
        "nbdgm"
    } else if either(1900) {
        "ssdp"
    } else if either(3478) || either(3479) {
        "stun"
    } else if either(443) {
        "quic"
    } else {
        return None;
    };
    Some(name)
}

/// Names a TCP payload's protocol.
pub fn tcp(src_port: u16, dst_port: u16, payload: &[u8]) -> Option<&'static str> {
    if payload.is_empty() {
        return None;
    }
    if looks_like_sip(payload) {
        return Some("sip");
    }
    let either = |p: u16| src_port == p || dst_port == p;
    let tls_record = tls::is_record(payload);
    if tls_record && (either(443) || either(5223) || either(5061) || either(993) || either(8443)) {
        return Some("tls");
    }
    let name = if either(53) {
        "dns"
    } else if either(80) || either(8080) {
        "http"
    } else if either(5060) {
        "sip"
    } else if tls_record {
        "tls"
    } else {
        return None;
    };
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_payloads_are_named_on_any_port() {
        assert_eq!(
            udp(40000, 40001, b"INVITE sip:bob@example.com SIP/2.0\r\n"),
            Some("sip")
        );
        assert_eq!(tcp(40000, 40001, b"SIP/2.0 200 OK\r\n"), Some("sip"));
        assert_eq!(udp(40000, 40001, b"GET / HTTP/1.1\r\n"), None);
    }

    #[test]
    fn stun_needs_cookie_and_consistent_length() {
        let mut m = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
        m.extend_from_slice(&[0; 12]);
        assert!(stun::looks_like(&m));
        m[3] = 4;
        assert!(!stun::looks_like(&m));
    }

    #[test]
    fn ports_name_the_rest() {
        assert_eq!(udp(40000, 500, b"x"), Some("isakmp"));
        assert_eq!(udp(53, 40000, b"x"), Some("dns"));
        assert_eq!(udp(40000, 40001, b"x"), None);
        assert_eq!(tcp(40000, 443, &[22, 3, 1, 0, 5]), Some("tls"));
        assert_eq!(tcp(40000, 443, b""), None);
    }
}
