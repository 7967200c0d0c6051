//! The macOS socket table put together from two views. libproc lists the descriptors of every
//! process this user may inspect (what `lsof -i` shows: the holders, with uid and path); the
//! kernel's socket lists, as `netstat -anv` prints them ([`crate::macos_netstat`]), hold every
//! TCP and UDP socket with the last process to use it (`so_last_pid`) and, for a delegated
//! socket, the app it acts for (`so_e_pid`), without privileges. So libproc's sockets are kept
//! as they are and given their effective process, and netstat adds the sockets of the processes
//! libproc could not inspect (other users' daemons: the IKE sockets on UDP 500/4500 among them).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use callscope_facts::{Holder, Socket};

use crate::macos_netstat::{Endpoint, InetSocket};

/// What macOS tells about any process by its pid without privileges: `proc_name`,
/// `proc_pidpath` and `sysctl kern.proc.pid` answer for every process (XNU `proc_info.c` exempts
/// `PROC_PIDT_SHORTBSDINFO` and `PROC_PIDPATHINFO` from its same-user check).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    /// `proc_name` (or `p_comm`).
    pub name: Option<String>,
    /// `proc_pidpath`.
    pub path: Option<String>,
    /// Effective uid.
    pub uid: Option<u32>,
    /// Its user name.
    pub user: Option<String>,
}

/// A socket as libproc lists it in one process, with `soi_so`: the kernel's address of the
/// socket (permuted by `VM_KERNEL_ADDRPERM`, but the same in every process holding it).
#[derive(Debug, Clone, PartialEq)]
pub struct HeldSocket {
    /// `soi_so`; 0 when unknown.
    pub so: u64,
    /// The socket, owned by the process it was found in.
    pub socket: Socket,
}

/// One entry per kernel socket: a descriptor held by several processes (inherited across fork,
/// passed over a Unix socket) is listed once, its first holder as owner and the others in
/// [`Socket::shared_with`], as `ss -p` lists them.
pub fn fold_shared(held: Vec<HeldSocket>) -> Vec<Socket> {
    let mut out: Vec<Socket> = Vec::with_capacity(held.len());
    let mut first: HashMap<u64, usize> = HashMap::new();
    for HeldSocket { so, socket } in held {
        if so != 0 {
            if let Some(&at) = first.get(&so) {
                let owner = &mut out[at];
                if let Some(pid) = socket.pid {
                    if owner.pid != Some(pid) && !owner.shared_with.iter().any(|h| h.pid == pid) {
                        owner.shared_with.push(Holder {
                            pid,
                            process: socket.process,
                            command: socket.command,
                        });
                    }
                }
                continue;
            }
            first.insert(so, out.len());
        }
        out.push(socket);
    }
    out
}

/// What [`complete`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completed {
    /// Sockets added from netstat (their processes could not be inspected).
    pub added: usize,
    /// libproc's sockets given an effective process.
    pub effective: usize,
    /// libproc's sockets given a further holder libproc could not see.
    pub shared: usize,
}

/// Completes libproc's `sockets` with netstat's rows. `inspected` holds the pids whose
/// descriptors libproc read: their sockets are all listed already, so their rows only add the
/// effective process (a row libproc does not have is a socket opened since, left to the next
/// look). A row of any other pid (another user's process, one started since, or 0 for the
/// kernel) is first matched to a listed socket of the same addresses not yet matched (the same
/// socket, last used by a process that also holds it), else added. `process` looks a pid up.
pub fn complete(
    sockets: &mut Vec<Socket>,
    netstat: &[InetSocket],
    inspected: &HashSet<u32>,
    process: &mut dyn FnMut(u32) -> Option<ProcessInfo>,
) -> Completed {
    let mut cache: HashMap<u32, Option<ProcessInfo>> = HashMap::new();
    let mut lookup = |pid: u32| -> Option<ProcessInfo> {
        cache.entry(pid).or_insert_with(|| process(pid)).clone()
    };
    let mut by_key: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, s) in sockets.iter().enumerate() {
        if let Some(k) = socket_key(s) {
            by_key.entry(k).or_default().push(i);
        }
    }
    let mut matched = vec![false; sockets.len()];
    let mut done = Completed::default();
    let (seen, unseen): (Vec<&InetSocket>, Vec<&InetSocket>) = netstat
        .iter()
        .partition(|r| r.owner.pid != 0 && inspected.contains(&r.owner.pid));
    for row in seen {
        let pid = row.owner.pid;
        let Some(candidates) = by_key.get(&row_key(row)) else {
            continue;
        };
        let Some(&i) = candidates
            .iter()
            .find(|&&i| !matched[i] && holds(&sockets[i], pid))
        else {
            continue;
        };
        matched[i] = true;
        if let Some(e) = effective(row) {
            if sockets[i].effective_pid.is_none() {
                sockets[i].effective_pid = Some(e);
                sockets[i].effective_process = lookup(e).and_then(|p| p.name);
                done.effective += 1;
            }
        }
    }
    for row in unseen {
        let pid = row.owner.pid;
        let same = by_key
            .get(&row_key(row))
            .and_then(|c| c.iter().copied().find(|&i| !matched[i]));
        if let (Some(i), true) = (same, pid != 0) {
            matched[i] = true;
            let s = &mut sockets[i];
            if !holds(s, pid) {
                s.shared_with.push(Holder {
                    pid,
                    process: lookup(pid)
                        .and_then(|p| p.name)
                        .or_else(|| row.owner.process.clone()),
                    command: None,
                });
                done.shared += 1;
            }
            if let (Some(e), None) = (effective(row), s.effective_pid) {
                s.effective_pid = Some(e);
                s.effective_process = lookup(e).and_then(|p| p.name);
                done.effective += 1;
            }
            continue;
        }
        let socket = from_netstat(row, &mut lookup);
        sockets.push(socket);
        done.added += 1;
    }
    done
}

/// A socket from a netstat row alone: the owner is the last process to use it.
fn from_netstat(row: &InetSocket, lookup: &mut dyn FnMut(u32) -> Option<ProcessInfo>) -> Socket {
    let pid = row.owner.pid;
    let info = if pid == 0 { None } else { lookup(pid) };
    let local = socket_addr(row.v6, row.local).to_string();
    let remote = row.remote.map(|e| socket_addr(row.v6, e).to_string());
    let state = match &row.state {
        Some(s) => s.clone(),
        None if remote.is_some() => "CONNECTED".into(),
        None => "UNCONN".into(),
    };
    let found = info.is_some();
    let info = info.unwrap_or_default();
    let process = info.name.or_else(|| row.owner.process.clone());
    let unknown = if pid == 0 {
        Some("no process: the kernel opened this socket (netstat -anv gives pid 0)".to_owned())
    } else if !found && process.is_none() {
        Some(format!("process {pid} ended before it could be named"))
    } else {
        None
    };
    let (effective_pid, effective_process) = match effective(row) {
        Some(e) => (Some(e), lookup(e).and_then(|p| p.name)),
        None => (None, None),
    };
    Socket {
        protocol: row.protocol.into(),
        local,
        remote,
        state,
        pid: (pid != 0).then_some(pid),
        process,
        path: info.path,
        user: info.user,
        uid: info.uid,
        unknown,
        effective_pid,
        effective_process,
        ..Socket::default()
    }
}

/// `so_e_pid` when it names another process than the owner (0 means not delegated).
fn effective(row: &InetSocket) -> Option<u32> {
    row.owner.epid.filter(|&e| e != 0 && e != row.owner.pid)
}

fn holds(s: &Socket, pid: u32) -> bool {
    s.pid == Some(pid) || s.shared_with.iter().any(|h| h.pid == pid)
}

/// Every pid a socket names (owner, further holders, effective process), for one `ps` call.
pub fn pids(sockets: &[Socket]) -> BTreeSet<u32> {
    let mut set = BTreeSet::new();
    for s in sockets {
        set.extend(s.pid);
        set.extend(s.shared_with.iter().map(|h| h.pid));
    }
    set
}

/// Sets each owner's and holder's command line from `ps` ([`crate::macos_text::parse_ps_commands`]).
pub fn fill_commands(sockets: &mut [Socket], commands: &HashMap<u32, String>) {
    for s in sockets {
        if let Some(c) = s.pid.and_then(|p| commands.get(&p)) {
            s.command = Some(c.clone());
        }
        for h in &mut s.shared_with {
            if let Some(c) = commands.get(&h.pid) {
                h.command = Some(c.clone());
            }
        }
    }
}

/// A netstat endpoint as the facts print addresses: the wildcard as `0.0.0.0` or `::` by the
/// socket's family (a dual-stack `udp46` socket is an IPv6 one, as libproc reports it).
pub fn socket_addr(v6: bool, e: Endpoint) -> SocketAddr {
    let ip = match e.addr {
        Some(IpAddr::V6(a)) => IpAddr::V6(unscoped(a)),
        Some(a) => a,
        None if v6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    SocketAddr::new(ip, e.port)
}

/// A link-local IPv6 address without the scope the BSD kernel embeds in its second 16-bit word
/// (KAME; netstat's `inet6name` clears it the same way, libproc passes it through): link-local
/// unicast and interface- or link-local multicast. Valid addresses of these kinds have zeros
/// there, so clearing is always safe.
pub fn unscoped(a: Ipv6Addr) -> Ipv6Addr {
    let mut s = a.segments();
    let link_local = s[0] & 0xffc0 == 0xfe80;
    let local_multicast = s[0] & 0xff0f == 0xff01 || s[0] & 0xff0f == 0xff02;
    if link_local || local_multicast {
        s[1] = 0;
    }
    Ipv6Addr::from(s)
}

/// Addresses compared across the two views: the wildcard as `None` whatever its family, an
/// IPv4-mapped address as IPv4, no embedded scope.
type Key = (
    &'static str,
    Option<IpAddr>,
    u16,
    Option<(Option<IpAddr>, u16)>,
);

fn same_ip(ip: IpAddr) -> Option<IpAddr> {
    let ip = match ip {
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(unscoped(a)),
        },
        a => a,
    };
    (!ip.is_unspecified()).then_some(ip)
}

fn socket_key(s: &Socket) -> Option<Key> {
    let protocol = match s.protocol.as_str() {
        "tcp" => "tcp",
        "udp" => "udp",
        _ => return None,
    };
    let local: SocketAddr = s.local.parse().ok()?;
    let remote = match &s.remote {
        Some(r) => {
            let r: SocketAddr = r.parse().ok()?;
            Some((same_ip(r.ip()), r.port()))
        }
        None => None,
    };
    Some((protocol, same_ip(local.ip()), local.port(), remote))
}

fn row_key(r: &InetSocket) -> Key {
    (
        r.protocol,
        r.local.addr.and_then(same_ip),
        r.local.port,
        r.remote.map(|e| (e.addr.and_then(same_ip), e.port)),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::macos_netstat::parse_netstat_anv;

    const UDP: &str = include_str!("../tests/fixtures/macos/netstat-anvl-udp-sequoia.txt");
    const TCP: &str = include_str!("../tests/fixtures/macos/netstat-anvl-tcp-sequoia.txt");

    /// What libproc shows a user who owns CommCenter (412), identityservicesd (583) and
    /// nsurlsessiond (132), written as macos.rs writes it.
    fn libproc_view() -> Vec<Socket> {
        let s = |pid: u32, name: &str, protocol: &str, local: &str, remote: Option<&str>| Socket {
            protocol: protocol.into(),
            local: local.into(),
            remote: remote.map(Into::into),
            state: if protocol == "tcp" {
                "ESTABLISHED"
            } else if remote.is_some() {
                "CONNECTED"
            } else {
                "UNCONN"
            }
            .into(),
            pid: Some(pid),
            process: Some(name.into()),
            uid: Some(501),
            user: Some("ana".into()),
            ..Socket::default()
        };
        vec![
            s(
                412,
                "CommCenter",
                "udp",
                "192.168.1.23:4500",
                Some("203.0.113.9:4500"),
            ),
            s(
                412,
                "CommCenter",
                "udp",
                "192.168.1.23:500",
                Some("203.0.113.9:500"),
            ),
            s(
                132,
                "nsurlsessiond",
                "udp",
                "192.168.1.23:61954",
                Some("17.253.53.207:443"),
            ),
            s(
                583,
                "identityservicesd",
                "udp",
                "[2a01:cb00:1f2:9e00:1c3a:5d7e:9b21:6c40]:16403",
                Some("[2a02:8400:1::77]:3478"),
            ),
            s(
                412,
                "CommCenter",
                "tcp",
                "192.168.1.23:50514",
                Some("17.57.146.20:5223"),
            ),
            s(
                132,
                "nsurlsessiond",
                "tcp",
                "[2a01:cb00:1f2:9e00:1c3a:5d7e:9b21:6c40]:50622",
                Some("[2a01:b740:a42:f00::10]:443"),
            ),
            s(
                583,
                "identityservicesd",
                "tcp",
                "192.168.1.23:50500",
                Some("203.0.113.80:443"),
            ),
        ]
    }

    fn names(pid: u32) -> Option<ProcessInfo> {
        let name = match pid {
            331 => "nesessionmanager",
            190 => "mDNSResponder",
            130 => "configd",
            583 => "identityservicesd",
            501 => "ControlCenter",
            1 => "launchd",
            _ => return None,
        };
        Some(ProcessInfo {
            name: Some(name.into()),
            path: Some(format!("/usr/libexec/{name}")),
            uid: Some(0),
            user: Some("root".into()),
        })
    }

    fn completed() -> (Vec<Socket>, Completed) {
        let mut rows = parse_netstat_anv(UDP).unwrap().inet;
        rows.extend(parse_netstat_anv(TCP).unwrap().inet);
        let mut sockets = libproc_view();
        let inspected: HashSet<u32> = [412, 583, 132].into();
        let done = complete(&mut sockets, &rows, &inspected, &mut names);
        (sockets, done)
    }

    #[test]
    fn other_users_ike_sockets_are_added_with_their_process() {
        let (sockets, done) = completed();
        assert_eq!(done.added, 7);
        assert_eq!(sockets.len(), 14);
        let ike: Vec<_> = sockets
            .iter()
            .filter(|s| s.local.ends_with(":500") || s.local.ends_with(":4500"))
            .map(|s| (s.local.as_str(), s.pid, s.process.as_deref()))
            .collect();
        assert_eq!(
            ike,
            [
                ("192.168.1.23:4500", Some(412), Some("CommCenter")),
                ("192.168.1.23:500", Some(412), Some("CommCenter")),
                ("0.0.0.0:4500", Some(331), Some("nesessionmanager")),
                ("0.0.0.0:500", Some(331), Some("nesessionmanager")),
            ]
        );
        let added = &sockets[7];
        assert_eq!(added.state, "UNCONN");
        assert_eq!(added.path.as_deref(), Some("/usr/libexec/nesessionmanager"));
        assert_eq!(added.user.as_deref(), Some("root"));
        assert_eq!(added.unknown, None);
    }

    #[test]
    fn delegated_sockets_name_the_app_behind_them() {
        let (sockets, done) = completed();
        assert_eq!(done.effective, 2);
        for i in [2, 5] {
            assert_eq!(sockets[i].pid, Some(132));
            assert_eq!(sockets[i].effective_pid, Some(583));
            assert_eq!(
                sockets[i].effective_process.as_deref(),
                Some("identityservicesd")
            );
        }
        assert!(sockets
            .iter()
            .filter(|s| s.pid != Some(132))
            .all(|s| s.effective_pid.is_none()));
    }

    #[test]
    fn dual_stack_kernel_and_vanished_owners() {
        let (sockets, _) = completed();
        let find = |local: &str| sockets.iter().find(|s| s.local == local).unwrap();
        assert_eq!(find("[::]:5353").process.as_deref(), Some("mDNSResponder"));
        let ntp = find("[fe80::1c3a:5d7e:9b21:6c40]:123");
        assert_eq!((ntp.pid, ntp.process.as_deref()), (None, None));
        assert!(ntp.unknown.as_deref().unwrap().contains("kernel"));
        let listen = find("[::]:7000");
        assert_eq!(
            (listen.state.as_str(), listen.remote.as_deref()),
            ("LISTEN", None)
        );
        assert_eq!(find("0.0.0.0:0").process.as_deref(), Some("configd"));
    }

    #[test]
    fn a_process_gone_before_it_is_named() {
        let rows = parse_netstat_anv(UDP).unwrap().inet;
        let mut sockets = Vec::new();
        complete(&mut sockets, &rows[2..3], &HashSet::new(), &mut |_| None);
        assert_eq!(sockets[0].pid, Some(331));
        assert_eq!(
            sockets[0].unknown.as_deref(),
            Some("process 331 ended before it could be named")
        );
    }

    #[test]
    fn an_inspected_process_adds_nothing() {
        let rows = parse_netstat_anv(UDP).unwrap().inet;
        let mut sockets = Vec::new();
        let inspected: HashSet<u32> = rows.iter().map(|r| r.owner.pid).collect();
        let done = complete(&mut sockets, &rows, &inspected, &mut names);
        assert_eq!(
            (done.added, sockets.len()),
            (1, 1),
            "only the kernel's socket"
        );
    }

    #[test]
    fn a_listed_socket_last_used_by_a_hidden_process_is_shared_not_doubled() {
        let rows = parse_netstat_anv(TCP).unwrap().inet;
        // launchd (1, root) bound 127.0.0.1:8021 for an agent of this user (900) that holds it.
        let mut sockets = vec![Socket {
            protocol: "tcp".into(),
            local: "127.0.0.1:8021".into(),
            state: "LISTEN".into(),
            pid: Some(900),
            process: Some("agent".into()),
            ..Socket::default()
        }];
        let inspected: HashSet<u32> = [900, 412, 132, 583].into();
        let done = complete(&mut sockets, &rows[3..4], &inspected, &mut names);
        assert_eq!((done.added, done.shared), (0, 1));
        assert_eq!(
            sockets[0].shared_with[0].process.as_deref(),
            Some("launchd")
        );
    }

    #[test]
    fn shared_descriptors_are_listed_once() {
        let sock = |pid: u32| Socket {
            protocol: "udp".into(),
            local: "0.0.0.0:5060".into(),
            state: "UNCONN".into(),
            pid: Some(pid),
            process: Some(format!("p{pid}")),
            ..Socket::default()
        };
        let held = vec![
            HeldSocket {
                so: 0xabc,
                socket: sock(10),
            },
            HeldSocket {
                so: 0xdef,
                socket: sock(11),
            },
            HeldSocket {
                so: 0xabc,
                socket: sock(12),
            },
            HeldSocket {
                so: 0,
                socket: sock(13),
            },
            HeldSocket {
                so: 0,
                socket: sock(14),
            },
        ];
        let sockets = fold_shared(held);
        assert_eq!(sockets.len(), 4);
        assert_eq!(sockets[0].shared_with.len(), 1);
        assert_eq!(sockets[0].shared_with[0].pid, 12);
        assert_eq!(sockets[0].shared_with[0].process.as_deref(), Some("p12"));
        let mut commands = HashMap::new();
        commands.insert(12, "/usr/bin/p12 -x".to_owned());
        commands.insert(10, "/usr/bin/p10".to_owned());
        let mut sockets = sockets;
        fill_commands(&mut sockets, &commands);
        assert_eq!(sockets[0].command.as_deref(), Some("/usr/bin/p10"));
        assert_eq!(
            sockets[0].shared_with[0].command.as_deref(),
            Some("/usr/bin/p12 -x")
        );
        assert_eq!(
            pids(&sockets).into_iter().collect::<Vec<_>>(),
            [10, 11, 12, 13, 14]
        );
    }

    #[test]
    fn embedded_scopes_are_cleared() {
        let a = |s: &str| s.parse::<Ipv6Addr>().unwrap();
        assert_eq!(
            unscoped(a("fe80:4::1c3a:5d7e:9b21:6c40")),
            a("fe80::1c3a:5d7e:9b21:6c40")
        );
        assert_eq!(unscoped(a("ff02:4::fb")), a("ff02::fb"));
        assert_eq!(unscoped(a("2001:db8::1")), a("2001:db8::1"));
        assert_eq!(unscoped(a("ff05:4::2")), a("ff05:4::2"));
        assert_eq!(
            socket_addr(
                true,
                Endpoint {
                    addr: None,
                    port: 500
                }
            )
            .to_string(),
            "[::]:500"
        );
        assert_eq!(
            socket_addr(
                false,
                Endpoint {
                    addr: None,
                    port: 500
                }
            )
            .to_string(),
            "0.0.0.0:500"
        );
    }
}
