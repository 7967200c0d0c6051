//! macOS: interfaces from netdev (getifaddrs plus the MTU and the Wi-Fi/Ethernet type that
//! SystemConfiguration knows), point-to-point peers from nix's getifaddrs, routes from the system
//! `netstat -rn`, sockets and their processes from libproc (what `lsof -i` reads), live capture
//! through the system tcpdump on the `pktap` pseudo-interface, written as pcapng (`-P`) so each
//! packet carries the process that sent or received it.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use callscope_facts::{Host, Interface, Route, Socket};
use libproc::bsd_info::BSDInfo;
use libproc::file_info::{pidfdinfo, ListFDs, ProcFDType};
use libproc::net_info::{SocketFDInfo, SocketInfo, SocketInfoKind, TcpSIState};
use libproc::proc_pid::{listpidinfo, pidinfo, pidpath};
use libproc::processes::{pids_by_type, ProcFilter};

use crate::capture::{is_permission_error, privileges_message, Counts, Options};
use crate::{macos_text, names, Error};

const TCPDUMP: &str = "/usr/sbin/tcpdump";
const NETSTAT: &str = "/usr/sbin/netstat";
const NETWORKSETUP: &str = "/usr/sbin/networksetup";

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

/// Every interface, with flags as macOS ifconfig shows them and every address.
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
    Ok(list)
}

/// The routing tables as `netstat -rn` prints them (every default, a VPN's too).
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
/// (`soi_proto`, `insi_laddr`) as Rust unions, whose fields only unsafe code may read. This is the
/// one place that does: `soi_kind` says which member the kernel filled (checked before reading),
/// `insi_vflag` says which address form, and every member is plain integers, so any bit pattern
/// is a valid value. Ports are in network byte order, as lsof reads them (`ntohs(insi_lport)`).
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
    let port = |p: i32| u16::from_be(p as u16);
    Some(Inet {
        local: SocketAddr::new(local, port(ini.insi_lport)),
        remote: SocketAddr::new(remote, port(ini.insi_fport)),
        tcp_state,
    })
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

/// Every TCP and UDP socket of every process this user may inspect (all of them as root).
pub fn sockets(notes: &mut Vec<String>) -> Result<Vec<Socket>, Error> {
    let pids = pids_by_type(ProcFilter::All).map_err(|e| Error::io("listing processes", e))?;
    let mut users: HashMap<u32, Option<String>> = HashMap::new();
    let mut sockets = Vec::new();
    let mut hidden = 0usize;
    for pid in pids {
        let Ok(pid_i) = i32::try_from(pid) else {
            continue;
        };
        if pid == 0 {
            continue;
        }
        let Ok(info) = pidinfo::<BSDInfo>(pid_i, 0) else {
            hidden += 1;
            continue;
        };
        let Ok(fds) = listpidinfo::<ListFDs>(pid_i, info.pbi_nfiles as usize) else {
            hidden += 1;
            continue;
        };
        let uid = info.pbi_uid;
        let user = users
            .entry(uid)
            .or_insert_with(|| {
                nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                    .ok()
                    .flatten()
                    .map(|u| u.name)
            })
            .clone();
        let mut name: Option<String> = None;
        let mut path: Option<Option<String>> = None;
        for fd in fds {
            if !matches!(ProcFDType::from(fd.proc_fdtype), ProcFDType::Socket) {
                continue;
            }
            let Ok(sock) = pidfdinfo::<SocketFDInfo>(pid_i, fd.proc_fd) else {
                continue;
            };
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
            let name = name
                .get_or_insert_with(|| {
                    libproc::proc_pid::name(pid_i).unwrap_or_else(|_| {
                        let comm = info
                            .pbi_comm
                            .iter()
                            .take_while(|c| **c != 0)
                            .map(|c| *c as u8)
                            .collect::<Vec<u8>>();
                        String::from_utf8_lossy(&comm).into_owned()
                    })
                })
                .clone();
            let path = path.get_or_insert_with(|| pidpath(pid_i).ok()).clone();
            sockets.push(Socket {
                protocol: protocol.into(),
                local: inet.local.to_string(),
                remote: connected.then(|| inet.remote.to_string()),
                state: state.into(),
                pid: Some(pid),
                process: Some(name),
                path,
                user: user.clone(),
                uid: Some(uid),
                unknown: None,
                ..Socket::default()
            });
        }
    }
    if hidden > 0 && !privileged() {
        notes.push(format!(
            "{hidden} processes of other users could not be inspected without privileges, so their \
             sockets are not listed: run as root (sudo callscope collect) to see every socket"
        ));
    }
    Ok(sockets)
}

/// Captures with the system tcpdump on `pktap,IF1,IF2…` into pcapng (`-P`, Apple's option), so
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
    let mut args: Vec<&str> = vec![
        "-i", &interface, "-P", "-n", "-s", &snaplen, "-w", &file_arg,
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
    started()?;
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
    // SIGINT makes tcpdump flush and close the file (Ctrl-C in a terminal reaches it directly).
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGINT,
        );
    }
    let _ = child.wait();
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
