//! Linux: interfaces from `getifaddrs` (nix) and `/sys/class/net`, routes from
//! `/proc/net/{route,ipv6_route}`, sockets from `/proc/net/{tcp,tcp6,udp,udp6}` joined with the
//! socket inodes in `/proc/*/fd`, live capture through libpcap (the `pcap` crate).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::BufWriter;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use callscope_facts::{Holder, Host, Interface, Route, Socket};

use super::libpcap::{Capture as PcapCapture, Lib};
use crate::capture::{is_permission_error, privileges_message, Counts, Options};
use crate::{linux_policy_routes, names, pcapng, procfs, Error};

fn read(path: &str) -> Option<String> {
    fs::read_to_string(path).ok()
}

fn read_trimmed(path: &str) -> Option<String> {
    read(path).map(|s| s.trim().to_owned())
}

fn privileged() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Host name, kernel release, collector, privileges.
pub fn host() -> Host {
    Host {
        hostname: read_trimmed("/proc/sys/kernel/hostname").unwrap_or_default(),
        os: "linux".into(),
        release: read_trimmed("/proc/sys/kernel/osrelease"),
        collector: crate::collector_name(),
        privileged: privileged(),
    }
}

fn new_interface(name: &str) -> Interface {
    let sys = |f: &str| read_trimmed(&format!("/sys/class/net/{name}/{f}"));
    let exists = |f: &str| Path::new(&format!("/sys/class/net/{name}/{f}")).exists();
    let arphrd = sys("type").and_then(|t| t.parse().ok()).unwrap_or(0);
    let raw_flags = sys("flags")
        .and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0);
    let (flags_value, flags) = names::linux_interface_flags(raw_flags);
    Interface {
        name: name.to_owned(),
        index: sys("ifindex").and_then(|i| i.parse().ok()).unwrap_or(0),
        kind: names::linux_kind(
            arphrd,
            exists("wireless"),
            exists("bridge"),
            exists("tun_flags"),
            name,
        )
        .to_owned(),
        flags,
        flags_value,
        mtu: sys("mtu").and_then(|m| m.parse().ok()),
        mac: None,
        addresses: Vec::new(),
        default_route: false,
        owner: None,
    }
}

/// The interfaces' names only (what `capture -i` is checked against).
pub fn interface_names() -> Result<Vec<String>, Error> {
    Ok(interfaces()?.into_iter().map(|i| i.name).collect())
}

/// Every interface, with flags as ifconfig shows them and every address.
pub fn interfaces() -> Result<Vec<Interface>, Error> {
    let mut by_name: BTreeMap<String, Interface> = BTreeMap::new();
    let addrs =
        nix::ifaddrs::getifaddrs().map_err(|e| Error::io("getifaddrs", std::io::Error::from(e)))?;
    for ifa in addrs {
        let entry = by_name
            .entry(ifa.interface_name.clone())
            .or_insert_with(|| new_interface(&ifa.interface_name));
        // getifaddrs' flags include RUNNING, which /sys/class/net/*/flags lacks.
        let (value, flags) = names::linux_interface_flags(ifa.flags.bits() as u32);
        entry.flags_value = value;
        entry.flags = flags;
        let Some(addr) = ifa.address else { continue };
        let ip_of = |s: &nix::sys::socket::SockaddrStorage| -> Option<IpAddr> {
            s.as_sockaddr_in()
                .map(|a| IpAddr::V4(a.ip()))
                .or_else(|| s.as_sockaddr_in6().map(|a| IpAddr::V6(a.ip())))
        };
        if let Some(ip) = ip_of(&addr) {
            let prefix = ifa
                .netmask
                .as_ref()
                .and_then(ip_of)
                .map(names::prefix_len)
                .unwrap_or(if ip.is_ipv4() { 32 } else { 128 });
            let peer = ifa.destination.as_ref().and_then(ip_of);
            let broadcast = ifa.broadcast.as_ref().and_then(ip_of);
            entry
                .addresses
                .push(names::address(ip, prefix, peer, broadcast));
        } else if let Some(link) = addr.as_link_addr() {
            if let Some(mac) = link.addr().and_then(names::mac) {
                entry.mac = Some(mac);
            }
        }
    }
    // Interfaces getifaddrs left out (it lists every one with AF_PACKET, but be sure).
    if let Ok(dir) = fs::read_dir("/sys/class/net") {
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            by_name
                .entry(name.clone())
                .or_insert_with(|| new_interface(&name));
        }
    }
    let mut list: Vec<Interface> = by_name.into_values().collect();
    list.sort_by_key(|i| i.index);
    Ok(list)
}

/// The IPv4 main table and the IPv6 routes, as `ip route` / `ip -6 route` show them, with the
/// default routes of other tables (policy routing) listed with their table.
pub fn routes() -> Result<Vec<Route>, Error> {
    let v4 = fs::read_to_string("/proc/net/route")
        .map_err(|e| Error::io("reading /proc/net/route", e))?;
    let mut rows: Vec<(&str, procfs::RouteRow)> = procfs::parse_route(&v4)
        .into_iter()
        .map(|r| ("ipv4", r))
        .collect();
    // No IPv6 at all when the kernel has it disabled.
    let v6 = read("/proc/net/ipv6_route").unwrap_or_default();
    rows.extend(
        procfs::parse_ipv6_route(&v6)
            .into_iter()
            // The local table (the host's own addresses), the "null" reject entry on lo and the
            // multicast route are not what `ip -6 route` lists.
            .filter(|r| r.flags & names::LINUX_RTF_LOCAL == 0)
            .filter(|r| !(r.flags & names::LINUX_RTF_REJECT != 0 && r.interface == "lo"))
            .filter(|r| !matches!(r.destination, IpAddr::V6(d) if d.is_multicast()))
            .map(|r| ("ipv6", r)),
    );
    let mut routes: Vec<Route> = rows
        .into_iter()
        .map(|(family, r)| Route {
            family: family.into(),
            destination: format!("{}/{}", r.destination, r.prefix),
            gateway: r.gateway.map(|g| g.to_string()),
            interface: r.interface,
            flags: names::linux_route_flags(r.flags),
            metric: Some(r.metric),
            default: r.prefix == 0 && r.flags & names::LINUX_RTF_REJECT == 0,
            scoped: false,
            table: None,
        })
        .collect();
    // Defaults in other tables (policy routing), listed with their table; `ip` is iproute2,
    // present wherever policy routing is configured. Without it, the main table is all there is.
    for (flag, family) in [("-4", "ipv4"), ("-6", "ipv6")] {
        if let Ok(out) = std::process::Command::new("ip")
            .args([flag, "-j", "route", "show", "table", "all"])
            .output()
        {
            let json = String::from_utf8_lossy(&out.stdout);
            routes.extend(linux_policy_routes::other_table_defaults(&json, family));
        }
    }
    linux_policy_routes::mark_the_default(&mut routes);
    Ok(routes)
}

/// A process as a socket's owner.
#[derive(Clone)]
struct Proc {
    name: String,
    path: Option<String>,
    command: Option<String>,
}

/// The longest command line kept (a JVM's can run to pages).
const MAX_COMMAND: usize = 4096;

fn proc_info(pid: u32) -> Proc {
    let path = fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .map(|p| p.to_string_lossy().into_owned());
    let comm = read(&format!("/proc/{pid}/comm")).unwrap_or_default();
    let command = fs::read(format!("/proc/{pid}/cmdline"))
        .ok()
        .and_then(|raw| procfs::command_line(&raw, MAX_COMMAND));
    Proc {
        name: procfs::process_name(&comm, path.as_deref()),
        path,
        command,
    }
}

/// Socket inode → the pids holding it (ascending: the first is named its owner, the others
/// share it after a fork or a passed descriptor, as `ss -p` lists them), and how many
/// processes' descriptors could not be read.
fn socket_owners() -> (HashMap<u64, Vec<u32>>, usize) {
    let mut pids: Vec<u32> = fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
                .collect()
        })
        .unwrap_or_default();
    pids.sort_unstable();
    let mut owners: HashMap<u64, Vec<u32>> = HashMap::new();
    let mut unreadable = 0;
    for pid in pids {
        let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
            unreadable += 1;
            continue;
        };
        for fd in fds.flatten() {
            if let Some(inode) = fs::read_link(fd.path())
                .ok()
                .and_then(|l| procfs::socket_inode(&l.to_string_lossy()))
            {
                let holders = owners.entry(inode).or_default();
                if holders.last() != Some(&pid) {
                    holders.push(pid);
                }
            }
        }
    }
    (owners, unreadable)
}

/// Every TCP and UDP socket (listening, connected, unconnected), with owner where visible.
pub fn sockets(notes: &mut Vec<String>) -> Result<Vec<Socket>, Error> {
    let users = procfs::parse_passwd(&read("/etc/passwd").unwrap_or_default());
    let me = nix::unistd::geteuid().as_raw();
    let root = privileged();
    let (owners, unreadable) = socket_owners();
    let mut procs: HashMap<u32, Proc> = HashMap::new();
    let mut sockets = Vec::new();
    let mut hidden = 0usize;
    let mut read_any = false;
    for (file, protocol) in [
        ("tcp", "tcp"),
        ("tcp6", "tcp"),
        ("udp", "udp"),
        ("udp6", "udp"),
    ] {
        let Some(text) = read(&format!("/proc/net/{file}")) else {
            continue;
        };
        read_any = true;
        for row in procfs::parse_net(&text) {
            let state = if protocol == "tcp" {
                procfs::tcp_state(row.state)
            } else {
                procfs::udp_state(row.state)
            };
            let connected = !(row.remote.ip().is_unspecified() && row.remote.port() == 0);
            let mut s = Socket {
                protocol: protocol.into(),
                local: row.local.to_string(),
                remote: connected.then(|| row.remote.to_string()),
                state: state.into(),
                user: users.get(&row.uid).cloned(),
                uid: Some(row.uid),
                ..Socket::default()
            };
            match owners.get(&row.inode).and_then(|h| h.split_first()) {
                Some((&pid, others)) if row.inode != 0 => {
                    let p = procs.entry(pid).or_insert_with(|| proc_info(pid));
                    s.pid = Some(pid);
                    s.process = Some(p.name.clone());
                    s.path = p.path.clone();
                    s.command = p.command.clone();
                    for &other in others {
                        let p = procs.entry(other).or_insert_with(|| proc_info(other));
                        s.shared_with.push(Holder {
                            pid: other,
                            process: Some(p.name.clone()),
                            command: p.command.clone(),
                        });
                    }
                }
                _ if row.inode == 0 => {
                    s.unknown = Some("no process holds it (TIME_WAIT or closing)".into());
                }
                _ if !root && row.uid != me => {
                    hidden += 1;
                    s.unknown = Some(
                        "another user's process: its owner cannot be seen without privileges (run as root)"
                            .into(),
                    );
                }
                _ => s.unknown = Some("no process found (it may have just exited)".into()),
            }
            sockets.push(s);
        }
    }
    if !read_any {
        return Err(Error::Unsupported("/proc/net (no socket tables)"));
    }
    if hidden > 0 {
        notes.push(format!(
            "{hidden} sockets belong to other users' processes ({unreadable} processes unreadable); \
             their owners need privileges to see: run as root"
        ));
    }
    Ok(sockets)
}

/// What a capture thread hands the writer.
enum Msg {
    Packet {
        interface: u32,
        ts_ns: u64,
        data: Vec<u8>,
        orig_len: u32,
    },
    Failed(String),
}

fn open<'lib>(lib: &'lib Lib, name: &str, opts: &Options) -> Result<PcapCapture<'lib>, Error> {
    let fail = |said: String| {
        if is_permission_error(&said) {
            Error::Privileges(privileges_message(name, &said))
        } else {
            Error::Capture(format!("cannot capture on {name}: {said}"))
        }
    };
    // As tcpdump does: a large kernel buffer, and the ring handed over a block at a time (full,
    // or after READ_TIMEOUT_MS), not immediate mode, where every packet wakes the reader and a
    // burst overflows the ring. Reads are non-blocking and the reader waits in poll(2) with a
    // timeout: libpcap's own blocking read on Linux can wait past its timeout when nothing
    // arrives, and an idle interface must not keep the capture from stopping.
    let snaplen = i32::try_from(opts.snaplen).unwrap_or(i32::MAX);
    let buffer = i32::try_from(u64::from(opts.buffer_mib) << 20).unwrap_or(i32::MAX);
    let cap = PcapCapture::open(lib, name, snaplen, buffer, READ_TIMEOUT_MS).map_err(fail)?;
    if let Some(filter) = &opts.filter {
        cap.filter(filter)
            .map_err(|e| Error::Capture(format!("bad filter {filter:?}: {e}")))?;
    }
    cap.set_nonblocking().map_err(fail)?;
    Ok(cap)
}

/// Whether `name` is a loopback device (ARPHRD_LOOPBACK, 772).
fn is_loopback(name: &str) -> bool {
    read_trimmed(&format!("/sys/class/net/{name}/type")).as_deref() == Some("772")
}

/// Waits until `cap` has packets to read, or READ_TIMEOUT_MS.
fn wait_readable(cap: &PcapCapture<'_>) {
    match cap.fd() {
        Some(fd) => {
            let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
            let _ = poll(&mut fds, PollTimeout::from(READ_TIMEOUT_MS as u16));
        }
        None => std::thread::sleep(Duration::from_millis(5)),
    }
}

/// The longest a read waits for packets before the capture looks at its stop flag.
const READ_TIMEOUT_MS: i32 = 100;

/// Captures on every interface at once (a thread each, one pcapng writer), calling `started`
/// once all are open and the file's header is written.
pub fn capture(
    opts: &Options,
    file: &Path,
    stop: &AtomicBool,
    started: &mut dyn FnMut() -> Result<(), Error>,
) -> Result<Counts, Error> {
    let lib = Lib::load().map_err(Error::Capture)?;
    let mut caps = Vec::new();
    for name in &opts.interfaces {
        caps.push((name.clone(), open(&lib, name, opts)?));
    }
    let out =
        fs::File::create(file).map_err(|e| Error::io(format!("creating {}", file.display()), e))?;
    let io = |e| Error::io(format!("writing {}", file.display()), e);
    let os = format!(
        "Linux {}",
        read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_default()
    );
    let mut writer =
        pcapng::Writer::new(BufWriter::new(out), &crate::collector_name(), &os).map_err(io)?;
    for (name, cap) in &caps {
        let link_type = u16::try_from(cap.datalink().map_err(Error::Capture)?).unwrap_or(0);
        writer
            .interface(link_type, opts.snaplen, name, 9, opts.filter.as_deref())
            .map_err(io)?;
    }
    // The header on disk now: the file is readable however the capture ends.
    writer.flush().map_err(io)?;
    started()?;
    let halt = AtomicBool::new(false);
    let began = Instant::now();
    let (tx, rx) = mpsc::sync_channel::<Msg>(8192);
    let mut packets = 0u64;
    let mut dropped = 0u64;
    let mut failure: Option<Error> = None;
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (i, (name, mut cap)) in caps.into_iter().enumerate() {
            let tx = tx.clone();
            let halt = &halt;
            handles.push(scope.spawn(move || {
                while !halt.load(Ordering::Relaxed) {
                    match cap.next() {
                        Ok(Some(p)) => {
                            let msg = Msg::Packet {
                                interface: i as u32,
                                ts_ns: p.ts_ns,
                                data: p.data.to_vec(),
                                orig_len: p.len,
                            };
                            if tx.send(msg).is_err() {
                                break;
                            }
                        }
                        // Nothing waiting: sleep until something is, or the timeout.
                        Ok(None) => wait_readable(&cap),
                        Err(e) => {
                            let _ = tx.send(Msg::Failed(format!("capture on {name} failed: {e}")));
                            break;
                        }
                    }
                }
                let dropped = cap.dropped();
                // On a loopback device the kernel hands the capture socket each packet twice
                // (leaving and arriving) and counts both copies when its ring is full; libpcap
                // keeps only the arriving one, so half the kernel's count is what was lost.
                if is_loopback(&name) {
                    dropped.div_ceil(2)
                } else {
                    dropped
                }
            }));
        }
        drop(tx);
        let mut flushed = Instant::now();
        loop {
            if flushed.elapsed() >= Duration::from_secs(1) {
                flushed = Instant::now();
                if let Err(e) = writer.flush() {
                    failure.get_or_insert(io(e));
                }
            }
            let out_of_time = opts.duration.is_some_and(|d| began.elapsed() >= d);
            if (out_of_time || stop.load(Ordering::Relaxed) || failure.is_some())
                && !halt.load(Ordering::Relaxed)
            {
                halt.store(true, Ordering::Relaxed);
            }
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(Msg::Packet {
                    interface,
                    ts_ns,
                    data,
                    orig_len,
                }) => {
                    if let Err(e) = writer.packet(interface, ts_ns, &data, orig_len) {
                        failure.get_or_insert(io(e));
                    } else {
                        packets += 1;
                    }
                }
                Ok(Msg::Failed(why)) => {
                    failure.get_or_insert(Error::Capture(why));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        for h in handles {
            dropped += h.join().unwrap_or(0);
        }
    });
    let out = writer.finish().map_err(io)?;
    out.into_inner()
        .map_err(|e| io(e.into_error()))?
        .sync_all()
        .map_err(io)?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Counts {
        packets,
        dropped: Some(dropped),
        method: format!("libpcap on {}", opts.interfaces.join(", ")),
    })
}

/// Makes the allocator give large freed blocks back to the system. glibc raises its mmap
/// threshold each time a large block is freed, so the analysis's grown-and-freed table buffers
/// end up in the heap and stay resident after use (8 MiB of the 320 MB bench file's 55 MiB peak
/// RSS); fixing the threshold at glibc's default, 128 KiB, turns that off (mallopt(3)).
#[cfg(target_env = "gnu")]
#[allow(unsafe_code)]
pub fn return_freed_large_blocks() {
    // SAFETY: mallopt only sets an allocator parameter; the CLI calls this first thing in main,
    // before any other thread exists.
    unsafe {
        nix::libc::mallopt(nix::libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Makes the allocator give large freed blocks back to the system (nothing to do beside glibc).
#[cfg(not(target_env = "gnu"))]
pub fn return_freed_large_blocks() {}
