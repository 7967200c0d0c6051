//! The words the familiar tools use for numbers the OS gives: interface flags as `ifconfig`
//! prints them, route flags as `netstat -rn` prints them, interface kinds, address scopes.
//! Platform-free so every table is tested on any machine.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Interface flag bits (`IFF_*`) and the names net-tools `ifconfig` prints on Linux, in bit
/// order. net-tools reads the 16-bit `SIOCGIFFLAGS` value, so `LOWER_UP` and above never show.
const LINUX_IFF: [(u32, &str); 16] = [
    (0x1, "UP"),
    (0x2, "BROADCAST"),
    (0x4, "DEBUG"),
    (0x8, "LOOPBACK"),
    (0x10, "POINTOPOINT"),
    (0x20, "NOTRAILERS"),
    (0x40, "RUNNING"),
    (0x80, "NOARP"),
    (0x100, "PROMISC"),
    (0x200, "ALLMULTI"),
    (0x400, "MASTER"),
    (0x800, "SLAVE"),
    (0x1000, "MULTICAST"),
    (0x2000, "PORTSEL"),
    (0x4000, "AUTOMEDIA"),
    (0x8000, "DYNAMIC"),
];

/// The BSD/macOS `IFF_*` bits and the names macOS `ifconfig` prints (its `IFFBITS` string), so
/// `ipsec0` reads `flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST>` as it does in a terminal.
const BSD_IFF: [(u32, &str); 16] = [
    (0x1, "UP"),
    (0x2, "BROADCAST"),
    (0x4, "DEBUG"),
    (0x8, "LOOPBACK"),
    (0x10, "POINTOPOINT"),
    (0x20, "SMART"),
    (0x40, "RUNNING"),
    (0x80, "NOARP"),
    (0x100, "PROMISC"),
    (0x200, "ALLMULTI"),
    (0x400, "OACTIVE"),
    (0x800, "SIMPLEX"),
    (0x1000, "LINK0"),
    (0x2000, "LINK1"),
    (0x4000, "LINK2"),
    (0x8000, "MULTICAST"),
];

fn names(table: &[(u32, &str)], value: u32) -> Vec<String> {
    table
        .iter()
        .filter(|(bit, _)| value & bit != 0)
        .map(|(_, n)| (*n).to_owned())
        .collect()
}

/// Linux interface flags as ifconfig shows them: the 16-bit value and its names.
pub fn linux_interface_flags(value: u32) -> (u32, Vec<String>) {
    let shown = value & 0xffff;
    (shown, names(&LINUX_IFF, shown))
}

/// macOS/BSD interface flags as ifconfig shows them.
pub fn bsd_interface_flags(value: u32) -> (u32, Vec<String>) {
    let shown = value & 0xffff;
    (shown, names(&BSD_IFF, shown))
}

/// Linux route flags (`RTF_*` in `<linux/route.h>` and `<linux/ipv6_route.h>`) as words.
const LINUX_RTF: [(u32, &str); 16] = [
    (0x1, "UP"),
    (0x2, "GATEWAY"),
    (0x4, "HOST"),
    (0x8, "REINSTATE"),
    (0x10, "DYNAMIC"),
    (0x20, "MODIFIED"),
    (0x40, "MTU"),
    (0x80, "WINDOW"),
    (0x100, "IRTT"),
    (0x200, "REJECT"),
    (0x10000, "DEFAULT"),
    (0x20000, "ALLONLINK"),
    (0x40000, "ADDRCONF"),
    (0x80000, "PREFIX_RT"),
    (0x200000, "NONEXTHOP"),
    (0x80000000, "LOCAL"),
];

/// Linux `RTF_REJECT`: an unreachable route.
pub const LINUX_RTF_REJECT: u32 = 0x200;
/// Linux `RTF_LOCAL`: an entry of the local table (the host's own addresses), which `ip route`
/// does not show.
pub const LINUX_RTF_LOCAL: u32 = 0x8000_0000;

/// Linux route flags as words.
pub fn linux_route_flags(value: u32) -> Vec<String> {
    names(&LINUX_RTF, value)
}

/// The letters of BSD/macOS `netstat -rn`'s Flags column (netstat(1)) and the `RTF_*` flag each
/// stands for.
const BSD_ROUTE_LETTERS: [(char, &str); 23] = [
    ('U', "UP"),
    ('G', "GATEWAY"),
    ('H', "HOST"),
    ('S', "STATIC"),
    ('C', "CLONING"),
    ('c', "PRCLONING"),
    ('D', "DYNAMIC"),
    ('M', "MODIFIED"),
    ('R', "REJECT"),
    ('B', "BLACKHOLE"),
    ('b', "BROADCAST"),
    ('I', "IFSCOPE"),
    ('i', "IFREF"),
    ('L', "LLINFO"),
    ('m', "MULTICAST"),
    ('r', "ROUTER"),
    ('W', "WASCLONED"),
    ('X', "XRESOLVE"),
    ('Y', "PROXY"),
    ('g', "GLOBAL"),
    ('1', "PROTO1"),
    ('2', "PROTO2"),
    ('3', "PROTO3"),
];

/// Decodes netstat's Flags column (`UGScg`); unknown letters are kept as `?X`.
pub fn bsd_route_flags(letters: &str) -> Vec<String> {
    letters
        .chars()
        .map(|c| {
            BSD_ROUTE_LETTERS
                .iter()
                .find(|(l, _)| *l == c)
                .map(|(_, n)| (*n).to_owned())
                .unwrap_or_else(|| format!("?{c}"))
        })
        .collect()
}

/// The netstat letters for route flag words (the text view's Flags column).
pub fn route_flag_letters(flags: &[String]) -> String {
    flags
        .iter()
        .filter_map(|f| {
            BSD_ROUTE_LETTERS
                .iter()
                .find(|(_, n)| *n == f.as_str())
                .map(|(l, _)| *l)
                .or(match f.as_str() {
                    "REINSTATE" => Some('R'),
                    "ADDRCONF" => Some('A'),
                    "NONEXTHOP" => Some('n'),
                    "LOCAL" => Some('l'),
                    "DEFAULT" => Some('d'),
                    "ALLONLINK" => Some('a'),
                    "PREFIX_RT" => Some('p'),
                    _ => None,
                })
        })
        .collect()
}

/// The kind of an interface from its name alone, where names say it (macOS and common Linux
/// conventions): `lo0`, `utun3`, `ipsec0`, `pdp_ip0`, `bridge0`, `wlan0`, `wwan0`.
pub fn kind_from_name(name: &str) -> Option<&'static str> {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    Some(match stem {
        "lo" => "loopback",
        "utun" | "ipsec" | "gif" | "stf" | "tun" | "tap" | "wg" | "ppp" | "gre" | "sit"
        | "ip6tnl" | "ip_vti" | "vti" | "tailscale" | "zt" => "tunnel",
        "pdp_ip" | "wwan" | "rmnet" | "rmnet_data" | "ccmni" => "cellular",
        "bridge" | "br" | "virbr" | "docker" => "bridge",
        "wlan" | "wlp" | "wifi" | "ap" => "wifi",
        _ if name.starts_with("wlp") || name.starts_with("wlx") => "wifi",
        _ if name.starts_with("br-") => "bridge",
        _ if name.starts_with("enp") || name.starts_with("eno") || name.starts_with("ens") => {
            "ethernet"
        }
        _ => return None,
    })
}

/// Linux ARPHRD_* hardware types (`/sys/class/net/*/type`) that say what an interface is.
pub fn linux_kind(
    arphrd: u32,
    wireless: bool,
    bridge: bool,
    tun: bool,
    name: &str,
) -> &'static str {
    if wireless {
        return "wifi";
    }
    if bridge {
        return "bridge";
    }
    match arphrd {
        772 => "loopback",
        // NONE (tun, WireGuard), IPIP, TUNNEL6, SIT, IPGRE, IP6GRE
        65534 | 768 | 769 | 776 | 778 | 823 => "tunnel",
        // RAWIP: modems (rmnet, wwan)
        519 | 530 => "cellular",
        1 if tun => "tunnel",
        1 => kind_from_name(name)
            .filter(|k| *k != "tunnel")
            .unwrap_or("ethernet"),
        _ => kind_from_name(name).unwrap_or("other"),
    }
}

/// The scope of an address as `ip addr` words it: `host`, `link`, `site` or `global`; multicast
/// addresses by their scope field (RFC 4291 §2.7).
pub fn scope(addr: IpAddr) -> &'static str {
    match addr {
        IpAddr::V4(a) => {
            // 224.0.0.0/24 is link-local multicast (RFC 5771).
            let link_multicast = in_v4(a, Ipv4Addr::new(224, 0, 0, 0), 24);
            if a.is_loopback() {
                "host"
            } else if a.is_link_local() || link_multicast {
                "link"
            } else {
                "global"
            }
        }
        IpAddr::V6(a) => {
            let seg0 = a.segments()[0];
            if a.is_loopback() {
                "host"
            } else if a.is_multicast() {
                match seg0 & 0xf {
                    1 => "host",
                    2 => "link",
                    5 => "site",
                    8 => "organization",
                    _ => "global",
                }
            } else if seg0 & 0xffc0 == 0xfe80 {
                "link"
            } else if seg0 & 0xffc0 == 0xfec0 {
                "site"
            } else {
                "global"
            }
        }
    }
}

fn in_v4(a: Ipv4Addr, net: Ipv4Addr, prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(a) & mask == u32::from(net) & mask
}

/// Prefix length of a netmask (leading one bits).
pub fn prefix_len(mask: IpAddr) -> u8 {
    match mask {
        IpAddr::V4(m) => u32::from(m).leading_ones() as u8,
        IpAddr::V6(m) => u128::from(m).leading_ones() as u8,
    }
}

/// `aa:bb:cc:dd:ee:ff`, or `None` for the all-zero address a loopback or tunnel reports.
pub fn mac(bytes: [u8; 6]) -> Option<String> {
    if bytes == [0; 6] {
        return None;
    }
    Some(
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// `ipv4` or `ipv6`.
pub fn family(addr: IpAddr) -> &'static str {
    match addr {
        IpAddr::V4(_) => "ipv4",
        IpAddr::V6(_) => "ipv6",
    }
}

/// An address as a `facts.json` [`callscope_facts::Address`].
pub fn address(
    addr: IpAddr,
    prefix: u8,
    peer: Option<IpAddr>,
    broadcast: Option<IpAddr>,
) -> callscope_facts::Address {
    callscope_facts::Address {
        family: family(addr).into(),
        addr: addr.to_string(),
        prefix,
        scope: scope(addr).into(),
        class: callscope_facts::addr::class(addr).into(),
        peer: peer.map(|p| p.to_string()),
        broadcast: broadcast.map(|b| b.to_string()),
    }
}

/// The unspecified address of a family, for default routes.
pub fn any(v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn linux_loopback_flags_read_as_ifconfig_prints_them() {
        // getifaddrs on lo: UP|LOOPBACK|RUNNING|LOWER_UP; ifconfig prints flags=73<UP,LOOPBACK,RUNNING>.
        let (value, names) = linux_interface_flags(0x10049);
        assert_eq!(value, 73);
        assert_eq!(names, ["UP", "LOOPBACK", "RUNNING"]);
        assert_eq!(
            linux_interface_flags(0x1043).1,
            ["UP", "BROADCAST", "RUNNING", "MULTICAST"]
        );
    }

    #[test]
    fn macos_flags_read_as_macos_ifconfig_prints_them() {
        assert_eq!(
            bsd_interface_flags(0x8051).1,
            ["UP", "POINTOPOINT", "RUNNING", "MULTICAST"]
        );
        assert_eq!(
            bsd_interface_flags(0x8863).1,
            [
                "UP",
                "BROADCAST",
                "SMART",
                "RUNNING",
                "SIMPLEX",
                "MULTICAST"
            ]
        );
        assert_eq!(
            bsd_interface_flags(0x8049).1,
            ["UP", "LOOPBACK", "RUNNING", "MULTICAST"]
        );
    }

    #[test]
    fn netstat_flag_letters_decode_and_encode() {
        assert_eq!(
            bsd_route_flags("UGScg"),
            ["UP", "GATEWAY", "STATIC", "PRCLONING", "GLOBAL"]
        );
        assert_eq!(
            bsd_route_flags("UHLWIir"),
            [
                "UP",
                "HOST",
                "LLINFO",
                "WASCLONED",
                "IFSCOPE",
                "IFREF",
                "ROUTER"
            ]
        );
        assert_eq!(bsd_route_flags("U!"), ["UP", "?!"]);
        assert_eq!(route_flag_letters(&bsd_route_flags("UGScg")), "UGScg");
    }

    #[test]
    fn linux_route_flags_decode() {
        assert_eq!(linux_route_flags(0x3), ["UP", "GATEWAY"]);
        assert_eq!(linux_route_flags(0x80200001), ["UP", "NONEXTHOP", "LOCAL"]);
        assert_eq!(route_flag_letters(&linux_route_flags(0x3)), "UG");
    }

    #[test]
    fn kinds_by_name_and_type() {
        assert_eq!(kind_from_name("ipsec0"), Some("tunnel"));
        assert_eq!(kind_from_name("utun3"), Some("tunnel"));
        assert_eq!(kind_from_name("pdp_ip0"), Some("cellular"));
        assert_eq!(kind_from_name("lo0"), Some("loopback"));
        assert_eq!(kind_from_name("bridge100"), Some("bridge"));
        assert_eq!(kind_from_name("en0"), None);
        assert_eq!(linux_kind(772, false, false, false, "lo"), "loopback");
        assert_eq!(linux_kind(1, false, false, false, "eth0"), "ethernet");
        assert_eq!(linux_kind(1, true, false, false, "wlan0"), "wifi");
        assert_eq!(linux_kind(1, false, true, false, "br0"), "bridge");
        assert_eq!(linux_kind(65534, false, false, false, "wg0"), "tunnel");
        assert_eq!(linux_kind(1, false, false, true, "tap0"), "tunnel");
        assert_eq!(linux_kind(519, false, false, false, "rmnet0"), "cellular");
        assert_eq!(linux_kind(32, false, false, false, "ib0"), "other");
    }

    #[test]
    fn scopes_prefixes_and_macs() {
        let s = |a: &str| scope(a.parse().unwrap());
        assert_eq!(s("127.0.0.1"), "host");
        assert_eq!(s("169.254.3.4"), "link");
        assert_eq!(s("192.0.2.2"), "global");
        assert_eq!(s("::1"), "host");
        assert_eq!(s("fe80::1"), "link");
        assert_eq!(s("fd00::2"), "global");
        assert_eq!(s("ff02::1"), "link");
        assert_eq!(s("ff05::2"), "site");
        assert_eq!(prefix_len("255.255.255.0".parse().unwrap()), 24);
        assert_eq!(prefix_len("255.0.0.0".parse().unwrap()), 8);
        assert_eq!(prefix_len("ffff:ffff:ffff:ffff::".parse().unwrap()), 64);
        assert_eq!(
            mac([2, 0xfc, 0, 0, 0, 1]).as_deref(),
            Some("02:fc:00:00:00:01")
        );
        assert_eq!(mac([0; 6]), None);
    }
}
