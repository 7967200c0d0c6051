//! macOS: interfaces from netdev (getifaddrs plus the MTU and the Wi-Fi/Ethernet type that
//! SystemConfiguration knows), point-to-point peers from nix's getifaddrs, routes from the system
//! `netstat -rn`, sockets and their processes from libproc (what `lsof -i` reads) completed by
//! `netstat -anv` (other users' sockets, effective processes), tunnel owners from the
//! kernel-control sockets behind `utunN`/`ipsecN`, live capture through the system tcpdump on the
//! `pktap` pseudo-interface, written as pcapng (`-P`) so each packet carries the process that
//! sent or received it. What the tools print is parsed, and the views merged, by the
//! platform-free `macos_*` modules; this file only asks the OS.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use callscope_facts::{Holder, Host, Interface, Route, Socket};
use libproc::bsd_info::BSDInfo;
use libproc::file_info::{pidfdinfo, ListFDs, ProcFDType};
use libproc::kinfo::KProcInfo;
use libproc::net_info::{SocketFDInfo, SocketInfo, SocketInfoKind, TcpSIState};
use libproc::proc_pid::{kproc_info_raw, listpidinfo, pidinfo, pidpath};
use libproc::processes::{pids_by_type, ProcFilter};

use crate::capture::{is_permission_error, privileges_message, Counts, Options};
use crate::macos_netstat::{self, Netstat};
use crate::macos_sockets::{self, HeldSocket, ProcessInfo};
use crate::macos_tunnels::{self, HeldControl};
use crate::{macos_text, names, Error};

const TCPDUMP: &str = "/usr/sbin/tcpdump";
const NETSTAT: &str = "/usr/sbin/netstat";
const NETWORKSETUP: &str = "/usr/sbin/networksetup";
const PS: &str = "/bin/ps";

fn privileged() -> bool {
    nix::unistd::geteuid().is_root()
}

fn run(program: &str, args: &[&str]) -> Result<String, Error> {
    let out = Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .map_err(|e| Error::io(format!("running {program}"), e))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `netstat ARGS`, parsed.
fn netstat(args: &[&str]) -> Result<Netstat, String> {
    let text = run(NETSTAT, args).map_err(|e| e.to_string())?;
    macos_netstat::parse_netstat_anv(&text).map_err(|e| e.to_string())
}

/// Host name, Darwin release, collector, privileges.
pub fn host() -> Host {
    Host {
        hostname: nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default(),
        os: "macos".into(),
        release: nix::sys::utsname::uname()
            .ok()
            .map(|u| u.release().to_string_lossy().into_owned()),
        collector: crate::collector_name(),
        privileged: privileged(),
    }
}

fn kind(iface: &netdev::Interface, ports: &HashMap<String, String>) -> &'static str {
    use netdev::interface::types::InterfaceType as T;
    if let Some(k) = names::kind_from_name(&iface.name) {
        return k;
    }
    if let Some(port) = ports.get(&iface.name) {
        return macos_text::kind_from_port(port);
    }
    match iface.if_type {
        T::Loopback => "loopback",
        T::Wireless80211 => "wifi",
        T::Tunnel | T::Ppp => "tunnel",
        T::Wwanpp | T::Wwanpp2 | T::Wman => "cellular",
        T::Ethernet | T::GigabitEthernet | T::FastEthernetT | T::FastEthernetFx => "ethernet",
        _ => "other",
    }
}

/// (interface, address) → (point-to-point peer, broadcast), which netdev does not carry.
fn peers() -> HashMap<(String, IpAddr), (Option<IpAddr>, Option<IpAddr>)> {
    let ip_of = |s: &nix::sys::socket::SockaddrStorage| -> Option<IpAddr> {
        s.as_sockaddr_in()
            .map(|a| IpAddr::V4(a.ip()))
            .or_else(|| s.as_sockaddr_in6().map(|a| IpAddr::V6(a.ip())))
    };
    let mut map = HashMap::new();
    if let Ok(addrs) = nix::ifaddrs::getifaddrs() {
        for ifa in addrs {
            if let Some(ip) = ifa.address.as_ref().and_then(ip_of) {
                let peer = ifa.destination.as_ref().and_then(ip_of);
                let broadcast = ifa.broadcast.as_ref().and_then(ip_of);
                map.insert((ifa.interface_name.clone(), ip), (peer, broadcast));
            }
        }
    }
    map
}

/// Every interface, with flags as macOS ifconfig shows them, every address, and for `utunN` and
/// The interfaces' names only (what `capture -i` is checked against), without the process scan
/// that names tunnel owners.
pub fn interface_names() -> Result<Vec<String>, Error> {
    Ok(netdev::get_interfaces()
        .into_iter()
        .map(|i| i.name)
        .collect())
}

/// `ipsecN` the process that made it.
pub fn interfaces() -> Result<Vec<Interface>, Error> {
    let ports = run(NETWORKSETUP, &["-listallhardwareports"])
        .map(|t| macos_text::parse_hardware_ports(&t))
        .unwrap_or_default();
    let peers = peers();
    let mut list: Vec<Interface> = netdev::get_interfaces()
        .into_iter()
        .map(|i| {
            let (flags_value, flags) = names::bsd_interface_flags(i.flags);
            let mut addresses = Vec::new();
            let v4 = i
                .ipv4
                .iter()
                .map(|n| (IpAddr::V4(n.addr()), n.prefix_len()));
            let v6 = i
                .ipv6
                .iter()
                .map(|n| (IpAddr::V6(n.addr()), n.prefix_len()));
            for (ip, prefix) in v4.chain(v6) {
                let (peer, broadcast) = peers
                    .get(&(i.name.clone(), ip))
                    .copied()
                    .unwrap_or((None, None));
                addresses.push(names::address(ip, prefix, peer, broadcast));
            }
            Interface {
                name: i.name.clone(),
                index: i.index,
                kind: kind(&i, &ports).into(),
                flags,
                flags_value,
                mtu: i.mtu,
                mac: i.mac_addr.and_then(|m| names::mac(m.octets())),
                addresses,
                default_route: false,
                owner: None,
            }
        })
        .collect();
    list.sort_by_key(|i| i.index);
    let tunnels = list
        .iter()
        .any(|i| i.name.starts_with("utun") || i.name.starts_with("ipsec"));
    if tunnels {
        let owners = tunnel_owners();
        let commands = commands(&owners.values().copied().collect());
        let mut users = HashMap::new();
        for i in &mut list {
            if let Some(&pid) = owners.get(&i.name) {
                i.owner = Some(Holder {
                    pid,
                    process: process_info(pid, &mut users).and_then(|p| p.name),
                    command: commands.get(&pid).cloned(),
                });
            }
        }
    }
    Ok(list)
}

/// Tunnel interface → owning pid: the holders of `utun_control`/`ipsec_control` sockets that
/// libproc shows, and for the rest the last users `netstat -anv -p kctl` names (from the
/// `net.systm.kctl.pcblist` sysctl, which shows other users' sockets too).
fn tunnel_owners() -> BTreeMap<String, u32> {
    let held = scan().map(|s| s.controls).unwrap_or_default();
    let listed = netstat(&["-anv", "-p", "kctl"])
        .map(|n| n.controls)
        .unwrap_or_default();
    macos_tunnels::tunnel_owners(&held, &listed)
}

/// The routing tables as `netstat -rn` prints them: every default, the one in effect per family
/// marked, interface-scoped ones (`utun`, `ipsec`) marked scoped.
pub fn routes() -> Result<Vec<Route>, Error> {
    Ok(macos_text::parse_netstat_routes(&run(NETSTAT, &["-rn"])?))
}

/// The internet part of a socket: local and remote address, TCP state.
struct Inet {
    local: SocketAddr,
    remote: SocketAddr,
    tcp_state: Option<i32>,
}

/// Reads the internet-socket member of libproc's `socket_fdinfo`. libproc exposes XNU's C unions
/// (`soi_proto`, `insi_laddr`) as Rust unions, whose fields only unsafe code may read. This and
/// [`kern_ctl`] are the only places that do: `soi_kind` says which member the kernel filled
/// (checked before reading), `insi_vflag` says which address form, and every member is plain
/// integers, so any bit pattern is a valid value. Ports are in network byte order, as lsof reads
/// them (`ntohs(insi_lport)`). Link-local IPv6 addresses may carry the kernel's embedded scope
/// (KAME), cleared here as netstat's `inet6name` clears it.
#[allow(unsafe_code)]
fn inet(si: &SocketInfo) -> Option<Inet> {
    const INI_IPV6: u8 = 0x2;
    let (ini, tcp_state) = match SocketInfoKind::from(si.soi_kind) {
        // SAFETY: soi_kind == SOCKINFO_TCP means pri_tcp is the member the kernel wrote.
        SocketInfoKind::Tcp => unsafe {
            let tcp = si.soi_proto.pri_tcp;
            (tcp.tcpsi_ini, Some(tcp.tcpsi_state))
        },
        // SAFETY: soi_kind == SOCKINFO_IN means pri_in is the member the kernel wrote.
        SocketInfoKind::In => unsafe { (si.soi_proto.pri_in, None) },
        _ => return None,
    };
    let v6 = ini.insi_vflag & INI_IPV6 != 0;
    // SAFETY: both union members are byte/integer arrays; insi_vflag selects the meaningful one.
    let (local, remote) = unsafe {
        if v6 {
            (
                IpAddr::V6(Ipv6Addr::from(ini.insi_laddr.ina_6.s6_addr)),
                IpAddr::V6(Ipv6Addr::from(ini.insi_faddr.ina_6.s6_addr)),
            )
        } else {
            (
                IpAddr::V4(Ipv4Addr::from(u32::from_be(
                    ini.insi_laddr.ina_46.i46a_addr4.s_addr,
                ))),
                IpAddr::V4(Ipv4Addr::from(u32::from_be(
                    ini.insi_faddr.ina_46.i46a_addr4.s_addr,
                ))),
            )
        }
    };
    let unscoped = |ip: IpAddr| match ip {
        IpAddr::V6(a) => IpAddr::V6(macos_sockets::unscoped(a)),
        a => a,
    };
    let port = |p: i32| u16::from_be(p as u16);
    Some(Inet {
        local: SocketAddr::new(unscoped(local), port(ini.insi_lport)),
        remote: SocketAddr::new(unscoped(remote), port(ini.insi_fport)),
        tcp_state,
    })
}

/// Reads the kernel-control member of libproc's `socket_fdinfo` (`soi_proto.pri_kern_ctl`,
/// filled by XNU `fill_kernctlinfo`): the control's name and the unit this socket is connected
/// to (`kcsi_unit`, the socket's `sc_unit`, which lsof prints; `kcsi_reg_unit` is the control's
/// own registration unit). Same rules as [`inet`].
#[allow(unsafe_code)]
fn kern_ctl(si: &SocketInfo) -> Option<(String, u32)> {
    if !matches!(SocketInfoKind::from(si.soi_kind), SocketInfoKind::KernCtl) {
        return None;
    }
    // SAFETY: soi_kind == SOCKINFO_KERN_CTL means pri_kern_ctl is the member the kernel wrote;
    // it is integers and a char array (copied out here), valid for any bits.
    let ctl = unsafe { si.soi_proto.pri_kern_ctl };
    let name: Vec<u8> = ctl
        .kcsi_name
        .iter()
        .take_while(|c| **c != 0)
        .map(|c| *c as u8)
        .collect();
    Some((String::from_utf8_lossy(&name).into_owned(), ctl.kcsi_unit))
}

/// TCP states as lsof prints them.
fn tcp_state(state: i32) -> &'static str {
    match TcpSIState::from(state) {
        TcpSIState::Closed => "CLOSED",
        TcpSIState::Listen => "LISTEN",
        TcpSIState::SynSent => "SYN_SENT",
        TcpSIState::SynReceived => "SYN_RECEIVED",
        TcpSIState::Established => "ESTABLISHED",
        TcpSIState::CloseWait => "CLOSE_WAIT",
        TcpSIState::FinWait1 => "FIN_WAIT_1",
        TcpSIState::Closing => "CLOSING",
        TcpSIState::LastAck => "LAST_ACK",
        TcpSIState::FinWait2 => "FIN_WAIT_2",
        TcpSIState::TimeWait => "TIME_WAIT",
        _ => "UNKNOWN",
    }
}

/// What one pass over the descriptors of every process found.
#[derive(Default)]
struct Scan {
    /// TCP and UDP sockets, one per descriptor.
    sockets: Vec<HeldSocket>,
    /// Kernel-control sockets (the tunnels' among them).
    controls: Vec<HeldControl>,
    /// Pids whose descriptors were read.
    inspected: HashSet<u32>,
    /// Processes whose descriptors could not be read (other users', without root).
    hidden: usize,
}

/// Reads the socket descriptors of every process this user may inspect (all of them as root),
/// as lsof does.
fn scan() -> Result<Scan, Error> {
    let pids = pids_by_type(ProcFilter::All).map_err(|e| Error::io("listing processes", e))?;
    let mut users: HashMap<u32, Option<String>> = HashMap::new();
    let mut scan = Scan::default();
    for pid in pids {
        let Ok(pid_i) = i32::try_from(pid) else {
            continue;
        };
        if pid == 0 {
            continue;
        }
        let Ok(info) = pidinfo::<BSDInfo>(pid_i, 0) else {
            scan.hidden += 1;
            continue;
        };
        let Ok(fds) = listpidinfo::<ListFDs>(pid_i, info.pbi_nfiles as usize) else {
            scan.hidden += 1;
            continue;
        };
        scan.inspected.insert(pid);
        let uid = info.pbi_uid;
        let mut owner: Option<(String, Option<String>)> = None;
        for fd in fds {
            if !matches!(ProcFDType::from(fd.proc_fdtype), ProcFDType::Socket) {
                continue;
            }
            let Ok(sock) = pidfdinfo::<SocketFDInfo>(pid_i, fd.proc_fd) else {
                continue;
            };
            if let Some((control, unit)) = kern_ctl(&sock.psi) {
                scan.controls.push(HeldControl { pid, control, unit });
                continue;
            }
            let protocol = match sock.psi.soi_protocol {
                6 => "tcp",
                17 => "udp",
                _ => continue,
            };
            let Some(inet) = inet(&sock.psi) else {
                continue;
            };
            let connected = !(inet.remote.ip().is_unspecified() && inet.remote.port() == 0);
            let state = match inet.tcp_state {
                Some(s) => tcp_state(s),
                None if connected => "CONNECTED",
                None => "UNCONN",
            };
            let (name, path) = owner
                .get_or_insert_with(|| {
                    let comm = info
                        .pbi_comm
                        .iter()
                        .take_while(|c| **c != 0)
                        .map(|c| *c as u8)
                        .collect::<Vec<u8>>();
                    let name = libproc::proc_pid::name(pid_i)
                        .unwrap_or_else(|_| String::from_utf8_lossy(&comm).into_owned());
                    (name, pidpath(pid_i).ok())
                })
                .clone();
            scan.sockets.push(HeldSocket {
                so: sock.psi.soi_so,
                socket: Socket {
                    protocol: protocol.into(),
                    local: inet.local.to_string(),
                    remote: connected.then(|| inet.remote.to_string()),
                    state: state.into(),
                    pid: Some(pid),
                    process: Some(name),
                    path,
                    user: user_name(uid, &mut users),
                    uid: Some(uid),
                    unknown: None,
                    ..Socket::default()
                },
            });
        }
    }
    Ok(scan)
}

fn user_name(uid: u32, users: &mut HashMap<u32, Option<String>>) -> Option<String> {
    users
        .entry(uid)
        .or_insert_with(|| {
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .clone()
}

/// Any process by pid, whoever owns it: `proc_name` and `proc_pidpath` answer for every process,
/// and `sysctl kern.proc.pid` (what ps reads) gives its effective uid. `None` once it has exited.
fn process_info(pid: u32, users: &mut HashMap<u32, Option<String>>) -> Option<ProcessInfo> {
    let pid_i = i32::try_from(pid).ok()?;
    let kinfo = kproc_info_raw(pid_i).ok();
    let name = libproc::proc_pid::name(pid_i)
        .ok()
        .filter(|n| !n.is_empty())
        .or_else(|| {
            kinfo
                .as_ref()
                .map(|k| KProcInfo::from(k).comm)
                .filter(|c| !c.is_empty())
        });
    if name.is_none() && kinfo.is_none() {
        return None;
    }
    let uid = kinfo.map(|k| k.kp_eproc.e_ucred.cr_uid);
    Some(ProcessInfo {
        name,
        path: pidpath(pid_i).ok(),
        uid,
        user: uid.and_then(|u| user_name(u, users)),
    })
}

/// Command lines of these processes, where ps may read them (this user's, or all as root).
fn commands(pids: &BTreeSet<u32>) -> HashMap<u32, String> {
    if pids.is_empty() {
        return HashMap::new();
    }
    let list = pids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    run(PS, &["-ww", "-o", "pid=,command=", "-p", &list])
        .map(|t| macos_text::parse_ps_commands(&t))
        .unwrap_or_default()
}

/// Every TCP and UDP socket: libproc's, of the processes this user may inspect (all as root),
/// completed by `netstat -anvl` with the sockets of the others and each socket's effective
/// process. Only what is still unknown after both is noted.
pub fn sockets(notes: &mut Vec<String>) -> Result<Vec<Socket>, Error> {
    let scan = scan()?;
    let mut sockets = macos_sockets::fold_shared(scan.sockets);
    let mut rows = Vec::new();
    let mut gaps = Vec::new();
    for proto in ["tcp", "udp"] {
        match netstat(&["-anvl", "-p", proto]) {
            Ok(n) if n.inet.is_empty() => {
                gaps.push(format!("netstat -anvl -p {proto} listed no sockets"));
            }
            Ok(n) => {
                if n.skipped > 0 {
                    gaps.push(format!(
                        "{} rows of netstat -anvl -p {proto} were not understood",
                        n.skipped
                    ));
                }
                rows.extend(n.inet);
            }
            Err(e) => gaps.push(format!("netstat -anvl -p {proto} could not be read ({e})")),
        }
    }
    let mut users = HashMap::new();
    macos_sockets::complete(&mut sockets, &rows, &scan.inspected, &mut |pid| {
        process_info(pid, &mut users)
    });
    let commands = commands(&macos_sockets::pids(&sockets));
    macos_sockets::fill_commands(&mut sockets, &commands);
    if scan.hidden > 0 && !gaps.is_empty() && !privileged() {
        notes.push(format!(
            "{} processes of other users could not be inspected without privileges and {}, so \
             some of their sockets may not be listed: run as root (sudo callscope collect) to \
             see every socket",
            scan.hidden,
            gaps.join("; ")
        ));
    }
    Ok(sockets)
}

/// Captures with the system tcpdump on `pktap,IF1,IF2…` into pcapng (`-P`, Apple's option), so
/// Stops tcpdump: SIGINT makes it flush and close the file (Ctrl-C in a terminal reaches it
/// directly; SIGTERM or SIGHUP sent to callscope alone do not, hence this); SIGKILL if it has
/// not exited two seconds later.
fn stop_tcpdump(child: &mut std::process::Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGINT,
        );
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// the file holds one interface block per interface and each packet's process.
pub fn capture(
    opts: &Options,
    file: &Path,
    stop: &AtomicBool,
    started: &mut dyn FnMut() -> Result<(), Error>,
) -> Result<Counts, Error> {
    let interface = format!("pktap,{}", opts.interfaces.join(","));
    let file_arg = file.to_string_lossy().into_owned();
    let snaplen = opts.snaplen.to_string();
    // tcpdump's -B is in KiB.
    let buffer_kib = (u64::from(opts.buffer_mib) * 1024).to_string();
    let mut args: Vec<&str> = vec![
        "-i",
        &interface,
        "-P",
        "-n",
        "-s",
        &snaplen,
        "-B",
        &buffer_kib,
        "-w",
        &file_arg,
    ];
    // Packet-buffered output, so a killed tcpdump still leaves every packet in the file.
    args.push("-U");
    if let Some(f) = &opts.filter {
        args.push(f);
    }
    let mut child = Command::new(TCPDUMP)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io(format!("starting {TCPDUMP}"), e))?;
    let (tx, rx) = mpsc::channel::<String>();
    if let Some(stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let mut said = Vec::new();
    // tcpdump says "listening on …" once the capture is open, or fails.
    let open_by = Instant::now() + Duration::from_secs(10);
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                let listening = line.contains("listening on");
                said.push(line);
                if listening {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if Instant::now() > open_by {
            break;
        }
    }
    if let Ok(Some(status)) = child.try_wait() {
        let text = said.join("; ");
        return Err(if is_permission_error(&text) {
            Error::Privileges(privileges_message(&opts.interfaces.join(","), &text))
        } else {
            Error::Capture(format!("tcpdump stopped ({status}): {text}"))
        });
    }
    if let Err(e) = started() {
        // Never leave tcpdump behind.
        stop_tcpdump(&mut child);
        return Err(e);
    }
    let began = Instant::now();
    loop {
        if stop.load(Ordering::Relaxed) || opts.duration.is_some_and(|d| began.elapsed() >= d) {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(Error::Capture(format!(
                "tcpdump stopped early ({status}): {}",
                rx.try_iter().collect::<Vec<_>>().join("; ")
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    stop_tcpdump(&mut child);
    Ok(Counts {
        packets: count_packets(file)?,
        dropped: None,
        method: format!("{TCPDUMP} -i {interface} -P"),
    })
}

/// Packets in the finished file, read back with the project's own reader.
fn count_packets(file: &Path) -> Result<u64, Error> {
    let mut f =
        fs::File::open(file).map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
    let mut reader = callscope_wire::Reader::new();
    let mut packets = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
        if n == 0 || reader.push(&buf[..n], &mut |_| packets += 1).is_err() {
            break;
        }
    }
    Ok(packets)
}

/// Makes the allocator give large freed blocks back to the system (only glibc needs telling).
pub fn return_freed_large_blocks() {}
