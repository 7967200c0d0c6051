//! Address classes from the special-purpose registries (RFC 6890 and the IANA registries it
//! created), so a report can say "CGNAT" or "link-local" instead of leaving the reader to know.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The class of an address, as a short stable word for the report.
pub fn class(addr: IpAddr) -> &'static str {
    match addr {
        IpAddr::V4(a) => class_v4(a),
        IpAddr::V6(a) => class_v6(a),
    }
}

fn in_v4(a: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(a) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn class_v4(a: Ipv4Addr) -> &'static str {
    let table: [([u8; 4], u32, &'static str); 14] = [
        ([0, 0, 0, 0], 8, "this-network"),
        ([10, 0, 0, 0], 8, "private"),
        ([100, 64, 0, 0], 10, "cgnat"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([169, 254, 0, 0], 16, "link-local"),
        ([172, 16, 0, 0], 12, "private"),
        ([192, 0, 0, 0], 24, "ietf-protocol"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([192, 88, 99, 0], 24, "6to4-relay"),
        ([192, 168, 0, 0], 16, "private"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([224, 0, 0, 0], 4, "multicast"),
    ];
    if a.is_broadcast() {
        return "broadcast";
    }
    for (net, prefix, name) in table {
        if in_v4(a, net, prefix) {
            return name;
        }
    }
    if in_v4(a, [240, 0, 0, 0], 4) {
        return "reserved";
    }
    "global"
}

fn in_v6(a: Ipv6Addr, net: [u16; 8], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    };
    u128::from(a) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

fn class_v6(a: Ipv6Addr) -> &'static str {
    if a.is_unspecified() {
        return "unspecified";
    }
    if a.is_loopback() {
        return "loopback";
    }
    if let Some(v4) = a.to_ipv4_mapped() {
        return class_v4(v4);
    }
    let table: [([u16; 8], u32, &'static str); 9] = [
        ([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, "nat64"),
        ([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard"),
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "teredo"),
        ([0x2001, 0x2, 0, 0, 0, 0, 0, 0], 48, "benchmarking"),
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation"),
        ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4"),
        ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "ula"),
        ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local"),
        ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast"),
    ];
    for (net, prefix, name) in table {
        if in_v6(a, net, prefix) {
            return name;
        }
    }
    "global"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> &'static str {
        class(s.parse().unwrap())
    }

    #[test]
    fn classes_follow_rfc_6890() {
        assert_eq!(c("10.1.2.3"), "private");
        assert_eq!(c("100.64.0.1"), "cgnat");
        assert_eq!(c("100.128.0.1"), "global");
        assert_eq!(c("169.254.1.1"), "link-local");
        assert_eq!(c("127.0.0.1"), "loopback");
        assert_eq!(c("224.0.0.251"), "multicast");
        assert_eq!(c("255.255.255.255"), "broadcast");
        assert_eq!(c("8.8.8.8"), "global");
        assert_eq!(c("fe80::1"), "link-local");
        assert_eq!(c("fd00::1"), "ula");
        assert_eq!(c("ff02::2"), "multicast");
        assert_eq!(c("2001:db8::1"), "documentation");
        assert_eq!(c("2a00:1450::1"), "global");
        assert_eq!(c("::1"), "loopback");
        assert_eq!(c("::ffff:192.168.1.1"), "private");
    }
}
