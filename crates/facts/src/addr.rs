//! Address classes from the special-purpose registries (RFC 6890 and the IANA registries it
//! created), so a report can say "CGNAT" or "link-local" instead of leaving the reader to know.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An IP address in a report: kept as an address, so nothing parses the report's text back, and
/// written as [`ip_text`] (`192.0.2.1`, `2001:db8::1`), the JSON contract's form. Ordered as
/// numbers, IPv4 before IPv6. `0.0.0.0` by default (a report field not yet filled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ip(pub IpAddr);

/// A transport address (IP and port) in a report, written as [`socket_text`] (`192.0.2.1:5060`,
/// `[2001:db8::1]:5060`). Ordered by address, then port. `0.0.0.0:0` by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Socket(pub SocketAddr);

impl Default for Ip {
    fn default() -> Self {
        Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }
}

impl Default for Socket {
    fn default() -> Self {
        Socket(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0))
    }
}

impl Deref for Ip {
    type Target = IpAddr;
    fn deref(&self) -> &IpAddr {
        &self.0
    }
}

impl Deref for Socket {
    type Target = SocketAddr;
    fn deref(&self) -> &SocketAddr {
        &self.0
    }
}

impl Ip {
    /// The address, an IPv4-mapped IPv6 address read as the IPv4 address it carries (sections
    /// and facts may spell one host either way).
    pub fn host(self) -> IpAddr {
        self.0.to_canonical()
    }
}

impl Socket {
    /// The host part, as [`Ip::host`] reads it.
    pub fn host(self) -> IpAddr {
        self.0.ip().to_canonical()
    }
}

impl From<IpAddr> for Ip {
    fn from(ip: IpAddr) -> Self {
        Ip(ip)
    }
}

impl From<SocketAddr> for Socket {
    fn from(addr: SocketAddr) -> Self {
        Socket(addr)
    }
}

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(a) => f.pad(V4Text::ip(a).as_str()),
            // std's own, which pads as `pad` does, without a `String` when there is no width.
            IpAddr::V6(a) => a.fmt(f),
        }
    }
}

impl fmt::Display for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SocketAddr::V4(a) => f.pad(V4Text::socket(a).as_str()),
            SocketAddr::V6(a) => a.fmt(f),
        }
    }
}

// Written without a `String` each: a report holds tens of thousands of addresses, and
// allocating their text was a tenth of printing the benchmark's JSON report. IPv6 text is
// `Display`'s, as `ip_text` and `socket_text` write it.
impl Serialize for Ip {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            IpAddr::V4(a) => s.serialize_str(V4Text::ip(a).as_str()),
            IpAddr::V6(a) => s.collect_str(&a),
        }
    }
}

impl Serialize for Socket {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            SocketAddr::V4(a) => s.serialize_str(V4Text::socket(a).as_str()),
            SocketAddr::V6(a) => s.collect_str(&a),
        }
    }
}

impl std::str::FromStr for Ip {
    type Err = std::net::AddrParseError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(Ip)
    }
}

impl std::str::FromStr for Socket {
    type Err = std::net::AddrParseError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(Socket)
    }
}

impl<'de> Deserialize<'de> for Ip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|_| serde::de::Error::custom(format!("not an IP address: {text:?}")))
    }
}

impl<'de> Deserialize<'de> for Socket {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|_| serde::de::Error::custom(format!("not an address and port: {text:?}")))
    }
}

/// `addr` as its `Display` writes it (`192.0.2.1:5060`, `[2001:db8::1]:5060`). IPv4 is written
/// here digit by digit: a report holds tens of thousands of addresses, and `Display` sends each
/// octet through the formatting machinery (a third of building the RTP section). IPv6 keeps
/// `Display`'s rules (zero compression, embedded IPv4, scope).
pub fn socket_text(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => V4Text::socket(a).as_str().to_owned(),
        SocketAddr::V6(_) => addr.to_string(),
    }
}

/// `ip` as its `Display` writes it; see [`socket_text`].
pub fn ip_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => V4Text::ip(a).as_str().to_owned(),
        IpAddr::V6(_) => ip.to_string(),
    }
}

/// An IPv4 address or socket address as text (`192.0.2.1`, `192.0.2.1:5060`), built on the
/// stack: as `Display` writes it, without going through the formatter.
struct V4Text {
    /// Long enough for `255.255.255.255:65535`.
    bytes: [u8; 21],
    len: usize,
}

impl V4Text {
    fn ip(a: Ipv4Addr) -> Self {
        let mut t = V4Text {
            bytes: [0; 21],
            len: 0,
        };
        for (i, octet) in a.octets().into_iter().enumerate() {
            if i > 0 {
                t.push(b'.');
            }
            t.push_decimal(u16::from(octet));
        }
        t
    }

    fn socket(a: SocketAddrV4) -> Self {
        let mut t = V4Text::ip(*a.ip());
        t.push(b':');
        t.push_decimal(a.port());
        t
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn push_decimal(&mut self, n: u16) {
        let mut digits = [0u8; 5];
        let mut at = digits.len();
        let mut n = n;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[at..] {
            self.push(d);
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits, dots and a colon were pushed.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

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
    fn addresses_are_written_as_display_writes_them() {
        for text in [
            "0.0.0.0:0",
            "9.99.100.255:65535",
            "192.0.2.1:5060",
            "[::1]:1",
            "[::ffff:10.0.0.1]:5060",
            "[2001:db8::1%7]:5060",
        ] {
            let a: SocketAddr = text.parse().unwrap();
            assert_eq!(socket_text(a), text);
            assert_eq!(ip_text(a.ip()), a.ip().to_string());
        }
    }

    #[test]
    fn report_addresses_are_written_and_read_as_their_text() {
        for text in [
            "192.0.2.1:5060",
            "[2001:db8::1]:5060",
            "[::ffff:10.0.0.1]:1",
        ] {
            let json = format!("\"{text}\"");
            let a: Socket = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&a).unwrap(), json);
            assert_eq!(a.to_string(), text);
        }
        for text in ["192.0.2.1", "2001:db8::1"] {
            let json = format!("\"{text}\"");
            let ip: Ip = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&ip).unwrap(), json);
        }
        let a: Socket = "10.0.0.1:5".parse().unwrap();
        assert_eq!(
            format!("[{a:<12}] [{a:>12}]"),
            "[10.0.0.1:5  ] [  10.0.0.1:5]"
        );
        let mapped: Socket = "[::ffff:192.0.2.1]:5060".parse().unwrap();
        assert_eq!(mapped.host(), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
    }

    #[test]
    fn a_report_address_that_is_no_address_is_refused_in_words() {
        let err = serde_json::from_str::<Socket>("\"sip:alice\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("not an address and port: \"sip:alice\""),
            "{err}"
        );
        let err = serde_json::from_str::<Ip>("\"192.0.2.1:5060\"").unwrap_err();
        assert!(err.to_string().contains("not an IP address"), "{err}");
        assert!(serde_json::from_str::<Socket>("5060").is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_ipv4_socket_address_is_written_as_display_writes_it(bits: u32, port: u16) {
            let a = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(bits)), port);
            proptest::prop_assert_eq!(socket_text(a), a.to_string());
            proptest::prop_assert_eq!(ip_text(a.ip()), a.ip().to_string());
        }

        #[test]
        fn any_address_is_serialized_and_padded_as_its_display_text(
            v4: u32,
            v6: u128,
            port: u16,
            scope: u32,
        ) {
            let v6 = std::net::SocketAddrV6::new(Ipv6Addr::from(v6), port, 0, scope);
            for a in [SocketAddr::new(IpAddr::V4(Ipv4Addr::from(v4)), port), SocketAddr::V6(v6)] {
                let json = |text: String| serde_json::to_string(&text).unwrap();
                proptest::prop_assert_eq!(
                    serde_json::to_string(&Socket(a)).unwrap(),
                    json(a.to_string())
                );
                proptest::prop_assert_eq!(
                    serde_json::to_string(&Ip(a.ip())).unwrap(),
                    json(a.ip().to_string())
                );
                proptest::prop_assert_eq!(format!("{:>48}", Socket(a)), format!("{:>48}", a.to_string()));
                proptest::prop_assert_eq!(format!("{:<20}|", Ip(a.ip())), format!("{:<20}|", a.ip().to_string()));
            }
        }
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
