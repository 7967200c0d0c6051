//! `netstat -anv` on macOS: every TCP and UDP socket of the host with the process that last used
//! it (`so_last_pid`) and the one it acts for (`so_e_pid`), and every kernel-control socket with
//! its unit. netstat reads them from the `net.inet.{tcp,udp}.pcblist_n` and
//! `net.systm.kctl.pcblist` sysctls, which need no privileges, whereas libproc shows another
//! user's descriptors only to root. Parsing stops at values; what they mean for the facts is
//! decided in [`crate::macos_sockets`] and [`crate::macos_tunnels`].
//!
//! The columns changed between releases, so each section's header line says which are there
//! (network_cmds `netstat.tproj/inet.c` `protopr` and `systm.c` `systmpr`):
//! - up to macOS 14 (network_cmds-669): `… (state) rhiwat shiwat pid epid state options gencnt
//!   flags flags1 usscnt rtncnt fltrs`; older releases stop after `pid epid`;
//! - macOS 15 (network_cmds-696): `rxbytes txbytes` after `(state)`, `usecnt`;
//! - macOS 26: `process:pid` in place of `pid epid`, the name possibly with spaces (no source is
//!   published; the layout is the output quoted in sindresorhus/pid-port#14).
//!
//! Rows print addresses as `ADDR.PORT`, `*` for any address or port; UDP rows leave `(state)`
//! blank. IPv6 addresses are cut at 16 characters unless `-l` is given, so the collector runs
//! `netstat -anvl`.

use std::net::IpAddr;

/// One end of a socket: `None` is the wildcard address (`*`), port 0 the wildcard port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// The address, `None` for any.
    pub addr: Option<IpAddr>,
    /// The port, 0 for any.
    pub port: u16,
}

/// Who the kernel says used a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// `so_last_pid`: the last process to use the socket; 0 for a socket the kernel opened
    /// (`sock_socket` leaves it zero, XNU `so_update_last_owner_locked`).
    pub pid: u32,
    /// The name netstat prints beside the pid (macOS 26 only).
    pub process: Option<String>,
    /// `so_e_pid`: the process a delegated socket acts for, 0 when not delegated; `None` when
    /// this netstat does not print it.
    pub epid: Option<u32>,
}

/// One TCP or UDP socket row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InetSocket {
    /// `tcp` or `udp`.
    pub protocol: &'static str,
    /// An IPv6 socket (`tcp6`, `udp46`): its wildcard address is `::`.
    pub v6: bool,
    /// Local end.
    pub local: Endpoint,
    /// Remote end, `None` when unconnected (`*.*`).
    pub remote: Option<Endpoint>,
    /// TCP state as netstat words it (`ESTABLISHED`); `None` for UDP.
    pub state: Option<String>,
    /// Its process.
    pub owner: Owner,
}

/// One kernel-control socket row (`lsof` type `systm`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlSocket {
    /// The control's name, `com.apple.net.ipsec_control`.
    pub control: String,
    /// The unit the socket is connected to (`sc_unit`), 0 when not connected.
    pub unit: u32,
    /// Its process.
    pub owner: Owner,
}

/// What one `netstat -anv` output held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Netstat {
    /// TCP and UDP sockets, in netstat's order.
    pub inet: Vec<InetSocket>,
    /// Kernel-control sockets.
    pub controls: Vec<ControlSocket>,
    /// Rows of a known section that did not fit their header (counted, not fatal).
    pub skipped: usize,
}

/// Why `netstat -anv` output could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetstatError {
    /// A section's header names no process column: not `-v` output, or a new layout.
    #[error("netstat header on line {line} has no pid or process:pid column: {header:?}")]
    NoPidColumn {
        /// 1-based line number of the header.
        line: usize,
        /// The header as printed.
        header: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Inet,
    Control,
    Other,
}

/// A section's columns, named as its header line names them (lower case, `local address` and
/// `foreign address` as one name each).
struct Columns(Vec<String>);

impl Columns {
    fn from_header(line: &str) -> Columns {
        let mut names = Vec::new();
        let mut words = line.split_whitespace().peekable();
        while let Some(w) = words.next() {
            let w = w.to_ascii_lowercase();
            if (w == "local" || w == "foreign") && words.peek() == Some(&"Address") {
                words.next();
                names.push(format!("{w} address"));
            } else {
                names.push(w);
            }
        }
        Columns(names)
    }

    fn at(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|n| n == name)
    }

    /// Splits a row into one cell per column. A blank `(state)` (UDP) becomes an empty cell; the
    /// only column whose value may hold spaces, `process:pid` (or else a trailing `name`), takes
    /// the words left over. `None` when the row does not fit.
    fn cells(&self, line: &str, blank_state: bool) -> Option<Vec<String>> {
        let mut cells: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        if blank_state {
            let at = self.at("(state)")?;
            if at > cells.len() {
                return None;
            }
            cells.insert(at, String::new());
        }
        let extra = cells.len().checked_sub(self.0.len())?;
        if extra > 0 {
            let at = match self.at("process:pid") {
                Some(at) => at,
                None if self.0.last().map(String::as_str) == Some("name") => self.0.len() - 1,
                None => return None,
            };
            let joined = cells[at..=at + extra].join(" ");
            cells.splice(at..=at + extra, [joined]);
        }
        Some(cells)
    }

    fn owner(&self, cells: &[String]) -> Option<Owner> {
        if let Some(at) = self.at("pid") {
            let epid = match self.at("epid") {
                Some(e) => Some(cells.get(e)?.parse().ok()?),
                None => None,
            };
            return Some(Owner {
                pid: cells.get(at)?.parse().ok()?,
                process: None,
                epid,
            });
        }
        let cell = cells.get(self.at("process:pid")?)?;
        let (name, pid) = match cell.rsplit_once(':') {
            Some((name, pid)) => (Some(name).filter(|n| !n.is_empty()), pid),
            None => (None, cell.as_str()),
        };
        Some(Owner {
            pid: pid.parse().ok()?,
            process: name.map(str::to_owned),
            epid: None,
        })
    }

    fn has_owner(&self) -> bool {
        self.at("pid").is_some() || self.at("process:pid").is_some()
    }
}

/// Parses `netstat -anv[l] [-p tcp|udp|kctl]` output (one or several sections).
pub fn parse_netstat_anv(text: &str) -> Result<Netstat, NetstatError> {
    let mut out = Netstat::default();
    let mut section = Section::Other;
    let mut columns: Option<Columns> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("Active Internet connections") {
            (section, columns) = (Section::Inet, None);
            continue;
        }
        if trimmed.starts_with("Active kernel control sockets") {
            (section, columns) = (Section::Control, None);
            continue;
        }
        if trimmed.starts_with("Active ") || trimmed.starts_with("Registered ") {
            (section, columns) = (Section::Other, None);
            continue;
        }
        if section == Section::Other || trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with("Proto ") {
            let c = Columns::from_header(trimmed);
            if !c.has_owner() {
                return Err(NetstatError::NoPidColumn {
                    line: n + 1,
                    header: trimmed.to_owned(),
                });
            }
            columns = Some(c);
            continue;
        }
        let Some(c) = &columns else {
            continue;
        };
        let parsed = match section {
            Section::Inet => inet_row(c, trimmed).map(|s| out.inet.push(s)),
            Section::Control => control_row(c, trimmed).map(|s| out.controls.push(s)),
            Section::Other => Some(()),
        };
        // "Some udp sockets may have been created." and the like are not rows.
        if parsed.is_none()
            && (trimmed.starts_with("tcp")
                || trimmed.starts_with("udp")
                || trimmed.starts_with("kctl"))
        {
            out.skipped += 1;
        }
    }
    Ok(out)
}

fn inet_row(c: &Columns, line: &str) -> Option<InetSocket> {
    let proto = line.split_whitespace().next()?;
    let protocol = if proto.starts_with("tcp") {
        "tcp"
    } else if proto.starts_with("udp") {
        "udp"
    } else {
        return None;
    };
    let cells = c.cells(line, protocol == "udp")?;
    let remote = endpoint(cells.get(c.at("foreign address")?)?)?;
    let state = match c.at("(state)") {
        Some(at) if protocol == "tcp" => Some(cells.get(at)?.clone()),
        _ => None,
    };
    Some(InetSocket {
        protocol,
        v6: proto.contains('6'),
        local: endpoint(cells.get(c.at("local address")?)?)?,
        remote: (remote.addr.is_some() || remote.port != 0).then_some(remote),
        state,
        owner: c.owner(&cells)?,
    })
}

fn control_row(c: &Columns, line: &str) -> Option<ControlSocket> {
    let cells = c.cells(line, false)?;
    Some(ControlSocket {
        control: cells.get(c.at("name")?)?.clone(),
        unit: cells.get(c.at("unit")?)?.parse().ok()?,
        owner: c.owner(&cells)?,
    })
}

/// `192.0.2.1.4500`, `*.500`, `*.*`, `2001:db8::1.4500`, `fe80::1%en0.123` (the zone is dropped:
/// facts print addresses without it).
pub fn endpoint(text: &str) -> Option<Endpoint> {
    let (host, port) = text.rsplit_once('.')?;
    let port = match port {
        "*" => 0,
        p => p.parse().ok()?,
    };
    let addr = match host {
        "*" => None,
        h => Some(h.split('%').next()?.parse().ok()?),
    };
    Some(Endpoint { addr, port })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const UDP_SONOMA: &str = include_str!("../tests/fixtures/macos/netstat-anvl-udp-sonoma.txt");
    const UDP_SEQUOIA: &str = include_str!("../tests/fixtures/macos/netstat-anvl-udp-sequoia.txt");
    const UDP_TAHOE: &str = include_str!("../tests/fixtures/macos/netstat-anvl-udp-tahoe.txt");
    const TCP_SEQUOIA: &str = include_str!("../tests/fixtures/macos/netstat-anvl-tcp-sequoia.txt");
    const KCTL_SONOMA: &str = include_str!("../tests/fixtures/macos/netstat-anv-kctl-sonoma.txt");
    const KCTL_SEQUOIA: &str = include_str!("../tests/fixtures/macos/netstat-anv-kctl-sequoia.txt");

    fn ep(text: &str) -> Endpoint {
        endpoint(text).unwrap()
    }

    #[test]
    fn udp_ike_sockets_with_their_pids() {
        let n = parse_netstat_anv(UDP_SEQUOIA).unwrap();
        assert_eq!((n.inet.len(), n.skipped), (9, 0));
        let nat_t = &n.inet[0];
        assert_eq!(nat_t.protocol, "udp");
        assert!(!nat_t.v6);
        assert_eq!(nat_t.local, ep("192.168.1.23.4500"));
        assert_eq!(nat_t.remote, Some(ep("203.0.113.9.4500")));
        assert_eq!(nat_t.state, None);
        assert_eq!(
            nat_t.owner,
            Owner {
                pid: 412,
                process: None,
                epid: Some(0)
            }
        );
        let listening = &n.inet[3];
        assert_eq!(
            listening.local,
            Endpoint {
                addr: None,
                port: 500
            }
        );
        assert_eq!((listening.remote, listening.owner.pid), (None, 331));
    }

    #[test]
    fn a_delegated_socket_names_the_app_it_acts_for() {
        let n = parse_netstat_anv(UDP_SEQUOIA).unwrap();
        let delegated = &n.inet[5];
        assert_eq!(delegated.owner.pid, 132);
        assert_eq!(delegated.owner.epid, Some(583));
    }

    #[test]
    fn ipv6_dual_stack_link_local_and_unbound_rows() {
        let n = parse_netstat_anv(UDP_SEQUOIA).unwrap();
        let mdns = &n.inet[4];
        assert!(mdns.v6);
        assert_eq!(
            mdns.local,
            Endpoint {
                addr: None,
                port: 5353
            }
        );
        let stun = &n.inet[6];
        assert_eq!(
            stun.local.addr,
            Some("2a01:cb00:1f2:9e00:1c3a:5d7e:9b21:6c40".parse().unwrap())
        );
        assert_eq!(stun.remote, Some(ep("2a02:8400:1::77.3478")));
        let ntp = &n.inet[7];
        assert_eq!(ntp.local, ep("fe80::1c3a:5d7e:9b21:6c40.123"));
        assert_eq!(ntp.owner.pid, 0);
        let unbound = &n.inet[8];
        assert_eq!(
            unbound.local,
            Endpoint {
                addr: None,
                port: 0
            }
        );
        assert_eq!(unbound.remote, None);
    }

    #[test]
    fn sonoma_columns_give_the_same_sockets() {
        let sonoma = parse_netstat_anv(UDP_SONOMA).unwrap();
        let sequoia = parse_netstat_anv(UDP_SEQUOIA).unwrap();
        assert_eq!(sonoma, sequoia);
    }

    #[test]
    fn tahoe_process_names_beside_the_pid() {
        let n = parse_netstat_anv(UDP_TAHOE).unwrap();
        let sequoia = parse_netstat_anv(UDP_SEQUOIA).unwrap();
        assert_eq!(n.inet.len(), sequoia.inet.len());
        for (t, s) in n.inet.iter().zip(&sequoia.inet) {
            assert_eq!(
                (t.local, t.remote, t.owner.pid),
                (s.local, s.remote, s.owner.pid)
            );
            assert_eq!(t.owner.epid, None);
        }
        assert_eq!(n.inet[0].owner.process.as_deref(), Some("CommCenter"));
        assert_eq!(n.inet[7].owner.process, None);
    }

    #[test]
    fn a_process_name_with_spaces_stays_whole() {
        let header = "Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)          rxbytes      txbytes  rhiwat  shiwat          process:pid    state  options           gencnt    flags   flags1 usecnt rtncnt fltrs";
        let row = "tcp4       0      0  127.0.0.1.49515        127.0.0.1.49472        ESTABLISHED       118268        40208  408008  146988  Autodesk Fusion:22712  00002 00000000 000000000025c5ff 00000081 04000800      3      0 000000";
        let text = format!("Active Internet connections (including servers)\n{header}\n{row}\n");
        let n = parse_netstat_anv(&text).unwrap();
        let s = &n.inet[0];
        assert_eq!(s.state.as_deref(), Some("ESTABLISHED"));
        assert_eq!(s.owner.process.as_deref(), Some("Autodesk Fusion"));
        assert_eq!(s.owner.pid, 22712);
    }

    #[test]
    fn tcp_states() {
        let n = parse_netstat_anv(TCP_SEQUOIA).unwrap();
        let states: Vec<_> = n.inet.iter().map(|s| s.state.as_deref().unwrap()).collect();
        assert_eq!(
            states,
            [
                "ESTABLISHED",
                "ESTABLISHED",
                "LISTEN",
                "LISTEN",
                "TIME_WAIT"
            ]
        );
        assert_eq!(n.inet[1].owner.epid, Some(583));
        assert!(n.inet[2].v6);
        assert_eq!(n.inet[3].local, ep("127.0.0.1.8021"));
    }

    #[test]
    fn kernel_control_sockets_with_units() {
        for text in [KCTL_SONOMA, KCTL_SEQUOIA] {
            let n = parse_netstat_anv(text).unwrap();
            assert_eq!((n.controls.len(), n.skipped), (9, 0));
            let ipsec = &n.controls[0];
            assert_eq!(ipsec.control, "com.apple.net.ipsec_control");
            assert_eq!((ipsec.unit, ipsec.owner.pid), (1, 412));
            assert_eq!(n.controls[5].unit, 5);
            assert_eq!(n.controls[5].owner.pid, 1204);
        }
    }

    #[test]
    fn oldest_columns_stop_after_epid() {
        let text = "Active Internet connections (including servers)\nProto Recv-Q Send-Q  Local Address          Foreign Address        (state)     rhiwat shiwat    pid   epid\nudp4       0      0  192.168.11.160.57110   172.217.12.232.443                 1048576  29040    505      0\n";
        let n = parse_netstat_anv(text).unwrap();
        assert_eq!(n.inet[0].owner.pid, 505);
        assert_eq!(n.inet[0].remote, Some(ep("172.217.12.232.443")));
    }

    #[test]
    fn output_without_process_columns_is_refused() {
        let text = "Active Internet connections (including servers)\nProto Recv-Q Send-Q  Local Address          Foreign Address        (state)\nudp4       0      0  *.500                  *.*\n";
        assert!(matches!(
            parse_netstat_anv(text),
            Err(NetstatError::NoPidColumn { line: 2, .. })
        ));
    }

    #[test]
    fn rows_that_do_not_fit_are_counted_and_other_sections_ignored() {
        let text = format!(
            "{UDP_SEQUOIA}udp4       0      0  *.500\nSome udp sockets may have been created.\nActive LOCAL (UNIX) domain sockets\nAddress          Type   Recv-Q Send-Q            Inode             Conn             Refs          Nextref Addr\n4f1eb4c58685585f stream      0      0                0 4f1eb4c5868572ef                0                0 /var/run/mDNSResponder\n"
        );
        let n = parse_netstat_anv(&text).unwrap();
        assert_eq!((n.inet.len(), n.skipped), (9, 1));
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            ep("*.*"),
            Endpoint {
                addr: None,
                port: 0
            }
        );
        assert_eq!(
            ep("::ffff:192.0.2.1.80").addr,
            Some("::ffff:192.0.2.1".parse().unwrap())
        );
        // An address without its port (or cut short) is not an endpoint.
        assert_eq!(endpoint("192.0.2.1"), None);
        assert_eq!(endpoint("nonsense"), None);
        assert_eq!(endpoint("*.http"), None);
    }
}
