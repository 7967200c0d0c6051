//! Parsers for the Linux `/proc` text formats the collector reads: `/proc/net/{tcp,tcp6,udp,udp6}`
//! (proc(5)), `/proc/net/route`, `/proc/net/ipv6_route`, `/proc/PID/status` and `/etc/passwd`.
//!
//! Written here rather than taken from a crate: `procfs` is large and its socket tables carry the
//! same fields; netstat2 needs bindgen. The formats are stable kernel ABI and a few lines each.
//! Platform-free (the files are only read on Linux, the parsers are tested everywhere).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// One row of `/proc/net/{tcp,udp}[6]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetRow {
    /// Local address and port.
    pub local: SocketAddr,
    /// Remote address and port (`0.0.0.0:0` when unconnected).
    pub remote: SocketAddr,
    /// Kernel state number (`TCP_ESTABLISHED` = 1, …; UDP uses 7 unconnected, 1 connected).
    pub state: u8,
    /// Owner of the socket.
    pub uid: u32,
    /// Socket inode; 0 for sockets no file refers to (TIME_WAIT, half-open).
    pub inode: u64,
}

/// TCP state names as `netstat`/`lsof` print them (`include/net/tcp_states.h`).
pub fn tcp_state(state: u8) -> &'static str {
    match state {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        12 => "NEW_SYN_RECV",
        _ => "UNKNOWN",
    }
}

/// UDP "state" as `ss` words it: connected sockets are `ESTABLISHED` to the kernel.
pub fn udp_state(state: u8) -> &'static str {
    if state == 1 {
        "CONNECTED"
    } else {
        "UNCONN"
    }
}

/// `0100007F:1F90` → 127.0.0.1:8080. Addresses are the kernel's in-memory words printed with
/// `%08X`, so each 32-bit word is turned back into bytes in this machine's byte order.
fn parse_endpoint(s: &str) -> Option<SocketAddr> {
    let (addr, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(
            u32::from_str_radix(addr, 16).ok()?.to_ne_bytes(),
        )),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                let word = u32::from_str_radix(addr.get(i * 8..i * 8 + 8)?, 16).ok()?;
                chunk.copy_from_slice(&word.to_ne_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Rows of a `/proc/net/{tcp,udp}[6]` file; malformed rows are skipped.
pub fn parse_net(text: &str) -> Vec<NetRow> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // sl local rem st tx:rx tr:when retrnsmt uid timeout inode …
            Some(NetRow {
                local: parse_endpoint(f.get(1)?)?,
                remote: parse_endpoint(f.get(2)?)?,
                state: u8::from_str_radix(f.get(3)?, 16).ok()?,
                uid: f.get(7)?.parse().ok()?,
                inode: f.get(9)?.parse().ok()?,
            })
        })
        .collect()
}

/// One row of `/proc/net/route` or `/proc/net/ipv6_route`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow {
    /// Destination network.
    pub destination: IpAddr,
    /// Prefix length.
    pub prefix: u8,
    /// Next hop, when not directly connected.
    pub gateway: Option<IpAddr>,
    /// `RTF_*` flags.
    pub flags: u32,
    /// Metric.
    pub metric: u32,
    /// Outgoing interface.
    pub interface: String,
}

/// `/proc/net/route` (IPv4 main table): Iface Destination Gateway Flags RefCnt Use Metric Mask …,
/// addresses as native-order hex words.
pub fn parse_route(text: &str) -> Vec<RouteRow> {
    let v4 = |s: &str| -> Option<Ipv4Addr> {
        Some(Ipv4Addr::from(
            u32::from_str_radix(s, 16).ok()?.to_ne_bytes(),
        ))
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let gateway = v4(f.get(2)?)?;
            Some(RouteRow {
                destination: IpAddr::V4(v4(f.get(1)?)?),
                prefix: u32::from(v4(f.get(7)?)?).leading_ones() as u8,
                gateway: (!gateway.is_unspecified()).then_some(IpAddr::V4(gateway)),
                flags: u32::from_str_radix(f.get(3)?, 16).ok()?,
                metric: f.get(6)?.parse().ok()?,
                interface: (*f.first()?).to_owned(),
            })
        })
        .collect()
}

/// `/proc/net/ipv6_route`: dest plen src splen nexthop metric refcnt use flags iface, addresses as
/// 32 hex digits in network order.
pub fn parse_ipv6_route(text: &str) -> Vec<RouteRow> {
    let v6 =
        |s: &str| -> Option<Ipv6Addr> { Some(Ipv6Addr::from(u128::from_str_radix(s, 16).ok()?)) };
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let gateway = v6(f.get(4)?)?;
            Some(RouteRow {
                destination: IpAddr::V6(v6(f.first()?)?),
                prefix: u8::from_str_radix(f.get(1)?, 16).ok()?,
                gateway: (!gateway.is_unspecified()).then_some(IpAddr::V6(gateway)),
                metric: u32::from_str_radix(f.get(5)?, 16).ok()?,
                flags: u32::from_str_radix(f.get(8)?, 16).ok()?,
                interface: (*f.get(9)?).to_owned(),
            })
        })
        .collect()
}

/// The real uid from a `/proc/PID/status` (`Uid:\treal\teffective\tsaved\tfs`).
pub fn status_uid(text: &str) -> Option<u32> {
    text.lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|u| u.parse().ok())
}

/// uid → user name from `/etc/passwd` (name:password:uid:…).
pub fn parse_passwd(text: &str) -> HashMap<u32, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let uid = f.nth(1)?.parse().ok()?;
            Some((uid, name.to_owned()))
        })
        .collect()
}

/// The inode of a `/proc/PID/fd/N` link target `socket:[12345]`.
pub fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// A process's command line from `/proc/PID/cmdline` (arguments separated by NULs, proc(5)),
/// joined by spaces and cut at `max` characters; `None` for a kernel thread (empty).
pub fn command_line(raw: &[u8], max: usize) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let joined = text
        .split('\0')
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if joined.is_empty() {
        return None;
    }
    Some(match joined.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    })
}

/// The name to show for a process: `comm` is cut to 15 bytes by the kernel, so when the
/// executable's file name starts with it, the full file name is the better name.
pub fn process_name(comm: &str, exe: Option<&str>) -> String {
    let comm = comm.trim_end_matches('\n');
    if comm.len() == 15 {
        if let Some(file) = exe
            .and_then(|e| e.rsplit('/').next())
            .map(|f| f.trim_end_matches(" (deleted)"))
        {
            if file.starts_with(comm) {
                return file.to_owned();
            }
        }
    }
    comm.to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_join_their_arguments() {
        assert_eq!(
            command_line(b"/usr/sbin/charon\0--debug\0\0", 100).as_deref(),
            Some("/usr/sbin/charon --debug")
        );
        assert_eq!(command_line(b"", 100), None);
        assert_eq!(command_line("aé\0b".as_bytes(), 2).as_deref(), Some("aé…"));
    }

    // Rows as a little-endian machine prints them (x86-64, aarch64 Linux).
    #[cfg(target_endian = "little")]
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0
   1: 0200C0C0:D431 0100007F:0050 01 00000000:00000000 00:00000000 00000000  1000        0 0 1 0000000000000000 20 4 30 10 -1
";

    #[cfg(target_endian = "little")]
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:A0A0 01 00000000:00000000 00:00000000 00000000     0        0 778 1 0000000000000000 100 0 0 10 0
";

    #[cfg(target_endian = "little")]
    #[test]
    fn tcp_rows_decode_addresses_state_uid_inode() {
        let rows = parse_net(TCP);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].local, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(rows[0].remote, "0.0.0.0:0".parse().unwrap());
        assert_eq!(tcp_state(rows[0].state), "LISTEN");
        assert_eq!(rows[0].inode, 123456);
        assert_eq!(rows[1].local, "192.192.0.2:54321".parse().unwrap());
        assert_eq!(rows[1].remote, "127.0.0.1:80".parse().unwrap());
        assert_eq!(rows[1].uid, 1000);
        assert_eq!(rows[1].inode, 0);
        assert_eq!(tcp_state(rows[1].state), "ESTABLISHED");
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn tcp6_rows_decode_loopback_and_mapped() {
        let rows = parse_net(TCP6);
        assert_eq!(rows[0].local, "[::1]:22".parse().unwrap());
        assert_eq!(rows[1].local, "[::ffff:127.0.0.1]:8080".parse().unwrap());
        assert_eq!(rows[1].remote.port(), 0xa0a0);
        assert_eq!(udp_state(7), "UNCONN");
        assert_eq!(udp_state(1), "CONNECTED");
    }

    #[test]
    fn malformed_rows_are_skipped() {
        assert!(parse_net("header\n   0: zz:1 00000000:0000 0A\n").is_empty());
        assert!(parse_net("").is_empty());
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn ipv4_route_table() {
        let text =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
";
        let rows = parse_route(text);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].destination, "0.0.0.0".parse::<IpAddr>().unwrap());
        assert_eq!(rows[0].prefix, 0);
        assert_eq!(rows[0].gateway, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(rows[0].flags, 3);
        assert_eq!(rows[1].destination, "192.0.2.0".parse::<IpAddr>().unwrap());
        assert_eq!(rows[1].prefix, 24);
        assert_eq!(rows[1].gateway, None);
        assert_eq!(rows[1].metric, 100);
    }

    #[test]
    fn ipv6_route_table() {
        let text = "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
";
        let rows = parse_ipv6_route(text);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].destination, "fd00::".parse::<IpAddr>().unwrap());
        assert_eq!(rows[0].prefix, 64);
        assert_eq!(rows[0].metric, 256);
        assert_eq!(rows[1].prefix, 0);
        assert_eq!(rows[1].gateway, Some("fd00::1".parse().unwrap()));
        assert_eq!(rows[1].metric, 1024);
        assert_eq!(rows[2].flags, 0x80200001);
        assert_eq!(rows[2].interface, "lo");
    }

    #[test]
    fn status_passwd_fd_links_and_names() {
        assert_eq!(
            status_uid("Name:\tx\nUid:\t1000\t1000\t1000\t1000\n"),
            Some(1000)
        );
        let users = parse_passwd(
            "root:x:0:0:root:/root:/bin/bash\n# c\nalice:x:1000:1000::/home/alice:/bin/sh\n",
        );
        assert_eq!(users.get(&0).map(String::as_str), Some("root"));
        assert_eq!(users.get(&1000).map(String::as_str), Some("alice"));
        assert_eq!(socket_inode("socket:[12345]"), Some(12345));
        assert_eq!(socket_inode("pipe:[1]"), None);
        assert_eq!(
            process_name("collect-1234567", Some("/t/collect-1234567890abcdef")),
            "collect-1234567890abcdef"
        );
        assert_eq!(process_name("sshd", Some("/usr/sbin/sshd")), "sshd");
        assert_eq!(process_name("Web Content\n", None), "Web Content");
    }
}
