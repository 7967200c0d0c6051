//! Parsers for the macOS tools whose output the collector reads where no library call fits
//! without unsafe code: `netstat -rn` (the routing table; the sysctl `NET_RT_DUMP` alternative is
//! a raw `rt_msghdr` walk) and `networksetup -listallhardwareports` (which `en` is Wi-Fi).
//! Platform-free so they are tested on any machine.

use std::collections::HashMap;
use std::net::IpAddr;

use callscope_facts::Route;

use crate::names;

/// Routes from `netstat -rn` (any macOS release: the column set is read from each header).
pub fn parse_netstat_routes(text: &str) -> Vec<Route> {
    let mut routes = Vec::new();
    let mut family: Option<&str> = None;
    let mut netif_col: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        match trimmed {
            "Internet:" => {
                family = Some("ipv4");
                netif_col = None;
                continue;
            }
            "Internet6:" => {
                family = Some("ipv6");
                netif_col = None;
                continue;
            }
            "" => continue,
            _ => {}
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        if fields.first() == Some(&"Destination") {
            netif_col = fields.iter().position(|f| *f == "Netif");
            continue;
        }
        let (Some(family), Some(col)) = (family, netif_col) else {
            continue;
        };
        let (Some(dest), Some(gateway), Some(flags), Some(netif)) = (
            fields.first(),
            fields.get(1),
            fields.get(2),
            fields.get(col),
        ) else {
            continue;
        };
        let flags = names::bsd_route_flags(flags);
        let host = flags.iter().any(|f| f == "HOST");
        let Some((destination, prefix)) = destination(dest, family == "ipv6", host) else {
            continue;
        };
        let gateway = (!gateway.starts_with("link#")).then(|| strip_zone(gateway).to_owned());
        routes.push(Route {
            family: family.into(),
            destination: format!("{destination}/{prefix}"),
            gateway,
            interface: (*netif).to_owned(),
            default: prefix == 0,
            flags,
            metric: None,
            scoped: false,
            table: None,
        });
    }
    routes
}

fn strip_zone(s: &str) -> &str {
    s.split('%').next().unwrap_or(s)
}

/// netstat's destinations: `default`, `127` (= 127.0.0.0/8), `192.168.1` (/24),
/// `192.168.1.1/32`, `fe80::%lo0/64`, host routes without a prefix.
fn destination(dest: &str, v6: bool, host: bool) -> Option<(IpAddr, u8)> {
    if dest == "default" {
        return Some((names::any(v6), 0));
    }
    let (addr, prefix) = match dest.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (dest, None),
    };
    let addr = strip_zone(addr);
    if v6 {
        let ip: IpAddr = addr.parse().ok()?;
        return Some((ip, prefix.unwrap_or(if host { 128 } else { 64 })));
    }
    // BSD abbreviates IPv4 networks to their significant octets.
    let octets: Vec<u8> = addr
        .split('.')
        .map(|o| o.parse().ok())
        .collect::<Option<_>>()?;
    if octets.is_empty() || octets.len() > 4 {
        return None;
    }
    let mut full = [0u8; 4];
    full[..octets.len()].copy_from_slice(&octets);
    let implied = if host { 32 } else { (octets.len() * 8) as u8 };
    Some((IpAddr::from(full), prefix.unwrap_or(implied)))
}

/// Device → hardware port from `networksetup -listallhardwareports` (`Wi-Fi`, `Ethernet`,
/// `Thunderbolt Bridge`, `iPhone USB`).
pub fn parse_hardware_ports(text: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let mut port: Option<String> = None;
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("Hardware Port: ") {
            port = Some(p.trim().to_owned());
        } else if let Some(d) = line.strip_prefix("Device: ") {
            if let Some(p) = port.take() {
                map.insert(d.trim().to_owned(), p);
            }
        }
    }
    map
}

/// The kind for a hardware port name.
pub fn kind_from_port(port: &str) -> &'static str {
    let p = port.to_ascii_lowercase();
    if p.contains("wi-fi") || p.contains("airport") {
        "wifi"
    } else if p.contains("bridge") {
        "bridge"
    } else if p.contains("iphone") || p.contains("modem") || p.contains("cellular") {
        "cellular"
    } else if p.contains("ethernet") || p.contains("thunderbolt") || p.contains("lan") {
        "ethernet"
    } else {
        "other"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const NETSTAT: &str = "Routing tables

Internet:
Destination        Gateway            Flags               Netif Expire
default            192.168.1.1        UGScg                 en0       
default            link#22            UCSIg               utun3
127                127.0.0.1          UCS                   lo0       
127.0.0.1          127.0.0.1          UH                    lo0       
169.254            link#6             UCS                   en0      !
192.168.1          link#6             UCS                   en0      !
192.168.1.1/32     link#6             UCS                   en0      !

Internet6:
Destination                             Gateway                                 Flags               Netif Expire
default                                 fe80::%utun0                            UGcIg               utun0       
::1                                     ::1                                     UHL                   lo0       
fe80::%lo0/64                           fe80::1%lo0                             UcI                   lo0       
2a01:cb00:1::/64                        link#14                                 UC                 ipsec0
";

    #[test]
    fn netstat_routes_with_a_vpn_default_too() {
        let routes = parse_netstat_routes(NETSTAT);
        assert_eq!(routes.len(), 11);
        let defaults: Vec<(&str, &str)> = routes
            .iter()
            .filter(|r| r.default)
            .map(|r| (r.family.as_str(), r.interface.as_str()))
            .collect();
        assert_eq!(
            defaults,
            [("ipv4", "en0"), ("ipv4", "utun3"), ("ipv6", "utun0")]
        );
        assert_eq!(routes[0].destination, "0.0.0.0/0");
        assert_eq!(routes[0].gateway.as_deref(), Some("192.168.1.1"));
        assert_eq!(
            routes[0].flags,
            ["UP", "GATEWAY", "STATIC", "PRCLONING", "GLOBAL"]
        );
        assert_eq!(routes[1].gateway, None);
        assert_eq!(routes[2].destination, "127.0.0.0/8");
        assert_eq!(routes[3].destination, "127.0.0.1/32");
        assert_eq!(routes[4].destination, "169.254.0.0/16");
        assert_eq!(routes[5].destination, "192.168.1.0/24");
        assert_eq!(routes[6].destination, "192.168.1.1/32");
        assert_eq!(routes[7].destination, "::/0");
        assert_eq!(routes[7].gateway.as_deref(), Some("fe80::"));
        assert_eq!(routes[8].destination, "::1/128");
        assert_eq!(routes[9].destination, "fe80::/64");
        assert_eq!(routes[10].interface, "ipsec0");
    }

    #[test]
    fn older_netstat_with_refs_and_use_columns() {
        let text = "Internet:\nDestination        Gateway            Flags        Refs      Use   Netif Expire\ndefault            10.0.0.1           UGSc           12        0     en1\n";
        let routes = parse_netstat_routes(text);
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].interface, "en1");
        assert!(routes[0].default);
    }

    #[test]
    fn hardware_ports_name_wifi() {
        let text = "\nHardware Port: Ethernet\nDevice: en0\nEthernet Address: aa\n\nHardware Port: Wi-Fi\nDevice: en1\nEthernet Address: bb\n\nHardware Port: Thunderbolt Bridge\nDevice: bridge0\n";
        let ports = parse_hardware_ports(text);
        assert_eq!(ports.get("en1").map(String::as_str), Some("Wi-Fi"));
        assert_eq!(kind_from_port(&ports["en1"]), "wifi");
        assert_eq!(kind_from_port(&ports["en0"]), "ethernet");
        assert_eq!(kind_from_port(&ports["bridge0"]), "bridge");
    }
}
