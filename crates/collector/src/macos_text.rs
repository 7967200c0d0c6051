//! Parsers for the macOS tools whose output the collector reads where no library call fits
//! without unsafe code: `netstat -rn` (the routing table; the sysctl `NET_RT_DUMP` alternative is
//! a raw `rt_msghdr` walk), `networksetup -listallhardwareports` (which `en` is Wi-Fi) and
//! `ps -o pid=,command=` (command lines; `KERN_PROCARGS2` would be another raw buffer walk).
//! `netstat -anv` has its own module, [`crate::macos_netstat`]. Platform-free so they are tested
//! on any machine, with recorded-format fixtures in `tests/fixtures/macos/`.

use std::collections::HashMap;
use std::net::IpAddr;

use callscope_facts::Route;

use crate::names;

/// Routes from `netstat -rn` (any macOS release: the column set is read from each header).
///
/// A current Mac lists several `default` lines per family: the primary one and one per
/// interface that has its own router, the latter interface-scoped (flag `I`, `RTF_IFSCOPE`: used
/// only by traffic already bound to that interface, such as `utun0`–`utun3` and `ipsec0`). Only
/// the unscoped one is the default in effect ([`Route::default`]); scoped ones are marked
/// [`Route::scoped`]. The kernel keeps one unscoped default per family (a second is the same
/// radix key), so should netstat ever print two, the first, which its tree walk reaches first,
/// is taken.
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
        let scoped = flags.iter().any(|f| f == "IFSCOPE");
        let Some((destination, prefix)) = destination(dest, family == "ipv6", host) else {
            continue;
        };
        routes.push(Route {
            family: family.into(),
            destination: format!("{destination}/{prefix}"),
            gateway: next_hop(gateway),
            interface: (*netif).to_owned(),
            default: false,
            flags,
            metric: None,
            scoped,
            table: None,
        });
    }
    mark_defaults(&mut routes);
    routes
}

/// Marks the first unscoped `/0` of each family as the default in effect.
fn mark_defaults(routes: &mut [Route]) {
    for family in ["ipv4", "ipv6"] {
        if let Some(r) = routes
            .iter_mut()
            .find(|r| r.family == family && r.destination.ends_with("/0") && !r.scoped)
        {
            r.default = true;
        }
    }
}

/// The Gateway column as a next hop: an IP address (zone dropped). `link#N` (directly
/// connected) and the link-layer addresses of ARP/NDP entries are not next hops.
fn next_hop(gateway: &str) -> Option<String> {
    let ip: IpAddr = strip_zone(gateway).parse().ok()?;
    Some(ip.to_string())
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

/// Command lines by pid from `ps -ww -o pid=,command= -p PID,…` (ps(1): `-ww` never truncates,
/// `=` drops the header). ps prints `(name)` for a process whose arguments it may not read
/// (another user's, without root: `KERN_PROCARGS2` refuses) and `<defunct>` for a zombie
/// (adv_cmds ps/print.c `getproclline`); neither is a command line, so both are left out.
pub fn parse_ps_commands(text: &str) -> HashMap<u32, String> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some((pid, command)) = line.split_once(char::is_whitespace) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        let command = command.trim();
        let unreadable = command.is_empty()
            || command == "<defunct>"
            || (command.starts_with('(') && command.ends_with(')'));
        if !unreadable {
            map.insert(pid, command.to_owned());
        }
    }
    map
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// `netstat -rn` of a Mac on Wi-Fi (`en0`) with Wi-Fi calling up (`ipsec0`), the four system
    /// `utun`s and a VPN (`utun4`) that claims no default of its own.
    const SEQUOIA: &str = include_str!("../tests/fixtures/macos/netstat-rn-sequoia.txt");

    fn pairs(routes: &[Route], pick: impl Fn(&Route) -> bool) -> Vec<(&str, &str)> {
        routes
            .iter()
            .filter(|r| pick(r))
            .map(|r| (r.family.as_str(), r.interface.as_str()))
            .collect()
    }

    #[test]
    fn only_the_unscoped_default_of_each_family_is_the_default() {
        let routes = parse_netstat_routes(SEQUOIA);
        assert_eq!(routes.len(), 25);
        assert_eq!(
            pairs(&routes, |r| r.default),
            [("ipv4", "en0"), ("ipv6", "en0")]
        );
        assert_eq!(
            pairs(&routes, |r| r.scoped && r.destination.ends_with("/0")),
            [
                ("ipv4", "utun4"),
                ("ipv6", "utun0"),
                ("ipv6", "utun1"),
                ("ipv6", "utun2"),
                ("ipv6", "utun3"),
                ("ipv6", "ipsec0"),
            ]
        );
        let v4 = &routes[0];
        assert_eq!(v4.destination, "0.0.0.0/0");
        assert_eq!(v4.gateway.as_deref(), Some("192.168.1.1"));
        assert_eq!(v4.flags, ["UP", "GATEWAY", "STATIC", "PRCLONING", "GLOBAL"]);
        assert!(!v4.scoped);
        let v6 = routes
            .iter()
            .find(|r| r.default && r.family == "ipv6")
            .unwrap();
        assert_eq!(v6.gateway.as_deref(), Some("fe80::a62b:b0ff:fec1:7e31"));
        let utun4 = &routes[1];
        assert_eq!((utun4.gateway.as_deref(), utun4.default), (None, false));
        assert!(utun4.flags.iter().any(|f| f == "IFSCOPE"));
    }

    #[test]
    fn abbreviated_destinations_and_link_layer_gateways() {
        let routes = parse_netstat_routes(SEQUOIA);
        let dest = |i: usize| routes[i].destination.as_str();
        assert_eq!(dest(2), "10.8.0.0/24");
        assert_eq!(dest(3), "127.0.0.0/8");
        assert_eq!(dest(4), "127.0.0.1/32");
        assert_eq!(dest(5), "169.254.0.0/16");
        assert_eq!(dest(6), "192.168.1.0/24");
        assert_eq!(dest(7), "192.168.1.1/32");
        // The ARP entry's gateway is the router's MAC: not a next hop.
        assert_eq!(dest(8), "192.168.1.1/32");
        assert_eq!(routes[8].gateway, None);
        assert_eq!(dest(9), "224.0.0.0/4");
        assert_eq!(dest(17), "::1/128");
        assert_eq!(dest(18), "2a01:cb00:1f2:9e00::/64");
        assert_eq!(dest(21), "fe80::/64");
        assert_eq!(routes[20].interface, "ipsec0");
        assert_eq!(dest(24), "ff02::/32");
    }

    #[test]
    fn a_family_with_only_scoped_defaults_has_no_default() {
        let text = "Internet6:\nDestination        Gateway            Flags               Netif Expire\ndefault            fe80::%utun0       UGcIg               utun0\ndefault            fe80::%utun1       UGcIg               utun1\n";
        let routes = parse_netstat_routes(text);
        assert_eq!(routes.len(), 2);
        assert!(routes.iter().all(|r| r.scoped && !r.default));
    }

    #[test]
    fn of_two_unscoped_defaults_the_first_listed_is_the_default() {
        let text = "Internet:\nDestination        Gateway            Flags               Netif Expire\ndefault            link#22            UCSg                utun3\ndefault            192.168.1.1        UGScg                 en0\n";
        let routes = parse_netstat_routes(text);
        assert_eq!(pairs(&routes, |r| r.default), [("ipv4", "utun3")]);
        assert!(routes.iter().all(|r| !r.scoped));
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

    #[test]
    fn ps_command_lines_without_the_unreadable_ones() {
        let text = "  412 /System/Library/Frameworks/CoreTelephony.framework/Support/CommCenter -L\n  190 (mDNSResponder)\n 9061 <defunct>\n  583 /System/Library/PrivateFrameworks/IDS.framework/identityservicesd.app/Contents/MacOS/identityservicesd\n";
        let commands = parse_ps_commands(text);
        assert_eq!(commands.len(), 2);
        assert_eq!(
            commands[&412],
            "/System/Library/Frameworks/CoreTelephony.framework/Support/CommCenter -L"
        );
        assert!(!commands.contains_key(&190));
        assert!(!commands.contains_key(&9061));
    }
}
