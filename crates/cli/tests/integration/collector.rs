//! `callscope collect`, `capture` and `analyze --facts` as a user runs them, against this
//! machine's real sockets and loopback interface (Linux), and attribution of a capture written
//! here to processes named by a facts.json written here (any platform).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use callscope_analysis::facts::{self, Facts, Socket};
use callscope_analysis::{Analyzer, Options, Report};
use callscope_collector::pcapng;
use callscope_wire::testing;

fn callscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_callscope"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("callscope-collector-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn facts_of(out: &Output) -> Facts {
    assert!(
        out.status.success(),
        "collect failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let facts: Facts = serde_json::from_slice(&out.stdout).expect("collect --json prints facts");
    facts.check().expect("schema");
    facts
}

fn report_of(path: &Path) -> Report {
    let mut a = Analyzer::new(Options::default());
    a.feed(&std::fs::read(path).expect("read capture"))
        .expect("readable capture");
    a.finish()
}

/// This test process as collect should name it: executable file name and path.
fn me() -> (u32, String, String) {
    let exe = std::fs::canonicalize(std::env::current_exe().expect("exe")).expect("canonical exe");
    let name = exe
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned();
    (std::process::id(), name, exe.to_string_lossy().into_owned())
}

fn find<'a>(
    facts: &'a Facts,
    protocol: &str,
    local: SocketAddr,
    remote: Option<SocketAddr>,
) -> &'a Socket {
    facts
        .sockets
        .iter()
        .find(|s| {
            s.protocol == protocol
                && s.local == local.to_string()
                && s.remote == remote.map(|r| r.to_string())
        })
        .unwrap_or_else(|| {
            panic!(
                "no {protocol} socket {local} → {remote:?} in {:#?}",
                facts.sockets
            )
        })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

#[cfg(target_os = "linux")]
#[test]
fn collect_lists_this_tests_sockets_with_its_pid_name_and_path() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let server_addr = listener.local_addr().expect("addr");
    let client = TcpStream::connect(server_addr).expect("connect");
    let (accepted, _) = listener.accept().expect("accept");
    let client_addr = client.local_addr().expect("addr");
    let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
    let udp_addr = udp.local_addr().expect("addr");

    let facts = facts_of(
        &callscope()
            .args(["collect", "--json"])
            .output()
            .expect("run"),
    );
    let (pid, name, path) = me();
    let listening = find(&facts, "tcp", server_addr, None);
    let outgoing = find(&facts, "tcp", client_addr, Some(server_addr));
    let incoming = find(&facts, "tcp", server_addr, Some(client_addr));
    let unconnected = find(&facts, "udp", udp_addr, None);
    assert_eq!(listening.state.as_str(), "LISTEN");
    assert_eq!(outgoing.state.as_str(), "ESTABLISHED");
    assert_eq!(incoming.state.as_str(), "ESTABLISHED");
    assert_eq!(unconnected.state.as_str(), "UNCONN");
    for s in [listening, outgoing, incoming, unconnected] {
        assert_eq!(s.pid, Some(pid), "{s:?}");
        assert_eq!(s.process.as_deref(), Some(name.as_str()), "{s:?}");
        assert_eq!(s.path.as_deref(), Some(path.as_str()), "{s:?}");
        assert!(s.user.is_some(), "{s:?}");
    }
    drop((accepted, client, udp));

    let lo = facts
        .interfaces
        .iter()
        .find(|i| i.name == "lo")
        .expect("lo");
    assert_eq!(lo.kind, "loopback");
    assert_eq!(lo.flags, ["UP", "LOOPBACK", "RUNNING"]);
    assert_eq!(lo.flags_value, 73);
    let addrs: Vec<String> = lo
        .addresses
        .iter()
        .map(|a| format!("{}/{}", a.addr, a.prefix))
        .collect();
    assert!(addrs.contains(&"127.0.0.1/8".to_owned()), "{addrs:?}");
    assert!(addrs.contains(&"::1/128".to_owned()), "{addrs:?}");
    assert!(lo
        .addresses
        .iter()
        .all(|a| a.scope == "host" && a.class == "loopback"));
}

/// `ip route show default` → (gateway, device) of the first default route, if any.
#[cfg(target_os = "linux")]
fn ip_default(family: &str) -> Option<Option<(Option<String>, String)>> {
    let out = Command::new("ip")
        .args([family, "route", "show", "default"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let Some(line) = text.lines().find(|l| l.starts_with("default")) else {
        return Some(None);
    };
    let words: Vec<&str> = line.split_whitespace().collect();
    let after = |key: &str| {
        words
            .iter()
            .position(|w| *w == key)
            .and_then(|i| words.get(i + 1))
            .map(|w| (*w).to_owned())
    };
    Some(Some((after("via"), after("dev")?)))
}

#[cfg(target_os = "linux")]
#[test]
fn default_routes_match_ip_route() {
    let facts = facts_of(
        &callscope()
            .args(["collect", "--json"])
            .output()
            .expect("run"),
    );
    for (flag, family) in [("-4", "ipv4"), ("-6", "ipv6")] {
        let Some(expected) = ip_default(flag) else {
            eprintln!("notice: `ip` is not installed; not comparing default routes");
            return;
        };
        let ours: Vec<(Option<String>, String)> = facts
            .routes
            .iter()
            .filter(|r| r.family == family && r.default)
            .map(|r| (r.gateway.clone(), r.interface.clone()))
            .collect();
        match expected {
            Some(route) => {
                assert!(
                    ours.contains(&route),
                    "{family}: ip route says {route:?}, collect says {ours:?}"
                );
                let iface = facts
                    .interfaces
                    .iter()
                    .find(|i| i.name == route.1)
                    .expect("interface");
                assert!(iface.default_route);
            }
            None => assert!(
                ours.is_empty(),
                "{family}: ip route has no default, collect says {ours:?}"
            ),
        }
    }
}

/// Policy routing, in a network namespace made for the test: two defaults in the main table
/// (metrics 0 and 50) and one in table 51820 as wg-quick adds. Only the main table's lowest
/// metric is *the* default; the table's is listed with its table.
#[cfg(target_os = "linux")]
#[test]
fn defaults_of_other_tables_are_listed_with_their_table() {
    if !is_root() {
        eprintln!("notice: namespaces need root; skipping defaults_of_other_tables");
        return;
    }
    let ns = format!("callscope-{}", std::process::id());
    let ip = |args: &[&str]| {
        Command::new("ip")
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ip(&["netns", "add", &ns]) {
        eprintln!("notice: cannot create a network namespace here; skipping");
        return;
    }
    let inside = |args: &[&str]| {
        let mut all = vec!["netns", "exec", &ns, "ip"];
        all.extend_from_slice(args);
        assert!(ip(&all), "ip {args:?}");
    };
    inside(&["link", "set", "lo", "up"]);
    inside(&["addr", "add", "10.9.0.2/24", "dev", "lo"]);
    inside(&[
        "route", "add", "default", "via", "10.9.0.3", "dev", "lo", "metric", "50",
    ]);
    inside(&["route", "add", "default", "via", "10.9.0.1", "dev", "lo"]);
    inside(&["route", "add", "default", "dev", "lo", "table", "51820"]);
    let out = Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(env!("CARGO_BIN_EXE_callscope"))
        .args(["collect", "--json"])
        .output()
        .expect("collect in the namespace");
    let text = Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(env!("CARGO_BIN_EXE_callscope"))
        .arg("collect")
        .output()
        .expect("collect text");
    ip(&["netns", "del", &ns]);
    let facts = facts_of(&out);
    let defaults: Vec<_> = facts
        .routes
        .iter()
        .filter(|r| r.family == "ipv4" && r.destination == "0.0.0.0/0")
        .map(|r| {
            (
                r.gateway.as_deref(),
                r.metric,
                r.default,
                r.table.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        defaults,
        [
            (Some("10.9.0.1"), Some(0), true, None),
            (Some("10.9.0.3"), Some(50), false, None),
            (None, None, false, Some("51820")),
        ]
    );
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("table 51820"), "{text}");
}

#[cfg(target_os = "linux")]
#[test]
fn collect_text_reads_like_ifconfig_netstat_and_lsof() {
    let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
    let out = callscope().arg("collect").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("lo: flags=73<UP,LOOPBACK,RUNNING> mtu "),
        "{text}"
    );
    assert!(
        text.contains("\tinet 127.0.0.1/8 scope host class loopback"),
        "{text}"
    );
    assert!(text.contains("Destination"), "{text}");
    assert!(text.contains("COMMAND"), "{text}");
    let local = udp.local_addr().expect("addr").to_string();
    let row = text
        .lines()
        .find(|l| l.contains(&local))
        .expect("our socket's row");
    assert!(row.contains(&std::process::id().to_string()), "{row}");
    assert!(row.contains("UDP") && row.contains("UNCONN"), "{row}");
}

/// Runs a command as the unprivileged user `nobody` (setpriv from util-linux), when this test
/// runs as root and setpriv exists.
#[cfg(target_os = "linux")]
fn as_nobody(args: &[&str]) -> Option<Output> {
    if !is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("notice: not root or no setpriv; skipping the unprivileged run");
        return None;
    }
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_callscope"))
        .args(args)
        .output()
        .ok()
}

#[cfg(target_os = "linux")]
#[test]
fn unprivileged_collect_reports_other_users_sockets_as_unseen() {
    let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
    let Some(out) = as_nobody(&["collect", "--json"]) else {
        return;
    };
    let facts = facts_of(&out);
    assert!(!facts.host.privileged);
    let s = find(&facts, "udp", udp.local_addr().expect("addr"), None);
    assert_eq!(s.pid, None);
    assert!(
        s.unknown
            .as_deref()
            .is_some_and(|u| u.contains("privileges")),
        "{s:?}"
    );
    assert_eq!(s.user.as_deref(), Some("root"));
    assert!(
        facts.notes.iter().any(|n| n.contains("run as root")),
        "{:?}",
        facts.notes
    );
}

#[cfg(target_os = "linux")]
#[test]
fn unprivileged_capture_says_what_is_needed() {
    let dir = temp_dir("nopriv");
    // nobody must be able to create the output folder.
    let _ = Command::new("chmod")
        .args(["777", &dir.to_string_lossy()])
        .status();
    let out_dir = dir.join("out");
    let Some(out) = as_nobody(&[
        "capture",
        "-i",
        "lo",
        "--seconds",
        "1",
        "-o",
        &out_dir.to_string_lossy(),
    ]) else {
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("needs privileges") && stderr.contains("root"),
        "{stderr}"
    );
    assert!(stderr.contains("CAP_NET_RAW"), "{stderr}");
    assert!(
        !out_dir.exists(),
        "a failed capture leaves no folder behind"
    );
    assert!(
        !stderr.contains("Ctrl-C stops"),
        "nothing is announced: {stderr}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn capture_on_lo_holds_the_packets_and_facts_name_the_sender() {
    if !is_root() {
        eprintln!(
            "notice: live capture needs root; skipping capture_on_lo (run the tests as root)"
        );
        return;
    }
    let dir = temp_dir("capture");
    let sender = UdpSocket::bind("127.0.0.1:0").expect("udp");
    let sender_addr = sender.local_addr().expect("addr");
    // A port nobody listens on: only the sender owns a socket in this flow.
    let target = UdpSocket::bind("127.0.0.1:0")
        .expect("udp")
        .local_addr()
        .expect("addr");
    let filter = format!("udp and port {}", target.port());
    let mut child = callscope()
        .args([
            "capture",
            "-i",
            "lo",
            "--seconds",
            "2",
            "--filter",
            &filter,
            "-o",
        ])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn capture");
    let started = Instant::now();
    let mut sent = 0u32;
    while child.try_wait().expect("wait").is_none() && started.elapsed() < Duration::from_secs(20) {
        sender.send_to(b"callscope test", target).expect("send");
        sent += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("capture output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.join("capture.pcapng");
    assert!(stdout.contains(&file.display().to_string()), "{stdout}");
    assert!(stdout.contains("facts.json"), "{stdout}");

    let report = report_of(&file);
    assert_eq!(report.capture.format, "pcapng");
    assert_eq!(report.capture.interfaces.len(), 1);
    assert_eq!(report.capture.interfaces[0].name.as_deref(), Some("lo"));
    assert!(
        report.capture.packets >= 10,
        "only {} of {sent} packets",
        report.capture.packets
    );
    assert!(report.capture.packets <= u64::from(sent));
    assert!(
        stdout.contains(&format!("({} packets", report.capture.packets)),
        "{stdout}"
    );
    assert!(
        (1.5..3.5).contains(&report.capture.duration),
        "{}",
        report.capture.duration
    );
    let conv = &report.conversations[0];
    assert_eq!(report.conversations.len(), 1);
    assert_eq!(
        (conv.a.to_string().as_str(), conv.b.to_string().as_str()),
        (
            sender_addr.to_string().as_str(),
            target.to_string().as_str()
        )
    );
    assert_eq!(conv.packets, report.capture.packets);

    let facts_path = dir.join("facts.json");
    let facts: Facts =
        serde_json::from_str(&std::fs::read_to_string(&facts_path).expect("facts.json"))
            .expect("facts");
    facts.check().expect("schema");
    assert!(
        facts.since_unix.is_some(),
        "the end facts merge the start facts"
    );
    let (pid, name, _) = me();
    let s = find(&facts, "udp", sender_addr, None);
    assert_eq!(
        (s.pid, s.process.as_deref()),
        (Some(pid), Some(name.as_str()))
    );

    // The CLI attributes the flow to this test process.
    let out = callscope()
        .arg("analyze")
        .arg(&file)
        .arg("--facts")
        .arg(&facts_path)
        .arg("--json")
        .output()
        .expect("analyze");
    assert!(out.status.success());
    let attributed: Report = serde_json::from_slice(&out.stdout).expect("report");
    let expected = format!("{name} ({pid})");
    assert_eq!(
        attributed.conversations[0]
            .process
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some(expected.as_str())
    );
    assert_eq!(attributed.processes.len(), 1);
    assert_eq!(attributed.processes[0].pid, pid);
    assert_eq!(attributed.processes[0].packets, report.capture.packets);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_stops_a_capture_cleanly() {
    if !is_root() {
        eprintln!("notice: live capture needs root; skipping ctrl_c_stops_a_capture_cleanly");
        return;
    }
    let dir = temp_dir("ctrl-c");
    // Once the capture is open, send what Ctrl-C sends.
    let child = start_capture(&dir, "udp port 9");
    let sender = UdpSocket::bind("127.0.0.1:0").expect("udp");
    for _ in 0..3 {
        sender.send_to(b"x", "127.0.0.1:9").expect("send");
    }
    std::thread::sleep(Duration::from_millis(300));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("capture output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("(3 packets"), "{stdout}");
    assert_eq!(report_of(&dir.join("capture.pcapng")).capture.packets, 3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A socket held by two processes (a descriptor inherited by a child, as after fork) lists
/// both, with their command lines, as `ss -p` does.
#[cfg(target_os = "linux")]
#[test]
fn a_shared_socket_lists_every_holder() {
    use nix::fcntl::{fcntl, FcntlArg, FdFlag};
    let socket = UdpSocket::bind("127.0.0.1:0").expect("udp");
    let local = socket.local_addr().expect("addr");
    // Let the child inherit it.
    fcntl(&socket, FcntlArg::F_SETFD(FdFlag::empty())).expect("fcntl");
    let mut child = Command::new("sleep").arg("5").spawn().expect("sleep");
    // But not callscope itself.
    fcntl(&socket, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).expect("fcntl");
    let out = callscope()
        .args(["collect", "--json"])
        .output()
        .expect("run");
    let _ = child.kill();
    let _ = child.wait();
    let facts = facts_of(&out);
    let s = find(&facts, "udp", local, None);
    let (pid, _, _) = me();
    assert_eq!(s.pid, Some(pid));
    assert!(s.command.as_deref().is_some_and(|c| !c.is_empty()), "{s:?}");
    let holders: Vec<_> = s
        .shared_with
        .iter()
        .map(|h| (h.pid, h.process.as_deref(), h.command.as_deref()))
        .collect();
    assert_eq!(holders, [(child.id(), Some("sleep"), Some("sleep 5"))]);
}

/// The binary does not link libpcap (`capture` loads it when it starts), so building and
/// installing callscope needs no libpcap development files.
#[cfg(target_os = "linux")]
#[test]
fn the_binary_does_not_link_libpcap() {
    let Ok(out) = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_callscope"))
        .output()
    else {
        eprintln!("notice: ldd is missing; not checking the binary's libraries");
        return;
    };
    let libs = String::from_utf8_lossy(&out.stdout);
    assert!(libs.contains("libc.so"), "{libs}");
    assert!(!libs.contains("libpcap"), "{libs}");
}

/// Mistakes on the command line: one clear line each, nothing announced, nothing left behind.
#[test]
fn capture_mistakes_are_one_line_and_leave_nothing() {
    let dir = temp_dir("mistakes");
    let out_dir = dir.join("out");
    let o = out_dir.to_str().unwrap();
    for (args, says) in [
        (
            vec!["-i", "no-such-if0", "--seconds", "1"],
            "there is no interface no-such-if0 on this host",
        ),
        (
            vec!["-i", "lo", "--seconds", "1e20"],
            "--seconds 100000000000000000000: expected a number of seconds above 0",
        ),
        (
            vec!["-i", "lo", "--seconds", "0"],
            "--seconds 0: expected a number of seconds above 0",
        ),
        (
            vec!["-i", "lo", "--seconds", "NaN"],
            "expected a number of seconds",
        ),
        (
            vec!["-i", "lo", "-i", "lo", "--seconds", "1"],
            "-i lo is given twice",
        ),
    ] {
        let out = callscope()
            .arg("capture")
            .args(&args)
            .args(["-o", o])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(says) && stderr.lines().count() == 1,
            "{args:?}: {stderr}"
        );
        assert!(!out_dir.exists(), "{args:?} left {}", out_dir.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `collect -o` onto a folder: refused with the folder's name, and no temporary file left.
#[test]
fn collect_onto_a_folder_is_refused_cleanly() {
    let dir = temp_dir("collect-onto-dir");
    let out = callscope()
        .args(["collect", "-o"])
        .arg(&dir)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is a folder: name the file to write"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(".part") && !stderr.contains(".tmp"),
        "{stderr}"
    );
    let parent = dir.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(parent)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with(dir.file_name().unwrap().to_str().unwrap())
                && n != dir.file_name().unwrap().to_str().unwrap()
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts `capture` on lo with `filter` into `dir` and waits until it is open.
#[cfg(target_os = "linux")]
fn start_capture(dir: &Path, filter: &str) -> std::process::Child {
    let child = callscope()
        .args(["capture", "-i", "lo", "--filter", filter, "-o"])
        .arg(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn capture");
    let started = Instant::now();
    while !dir.join("facts.json").exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// A burst of 20,000 datagrams sent as fast as one socket can: every one is in the file, and
/// SIGTERM ends the capture as Ctrl-C does (summary, flushed file, end facts).
#[cfg(target_os = "linux")]
#[test]
fn a_burst_loses_nothing_and_sigterm_stops_cleanly() {
    if !is_root() {
        eprintln!("notice: live capture needs root; skipping a_burst_loses_nothing");
        return;
    }
    const BURST: u32 = 20_000;
    let dir = temp_dir("burst");
    let child = start_capture(&dir, "udp port 5998");
    let sender = UdpSocket::bind("127.0.0.1:0").expect("udp");
    let datagram = [0x55u8; 200];
    let mut sent = 0;
    for _ in 0..BURST {
        if sender.send_to(&datagram, "127.0.0.1:5998").is_ok() {
            sent += 1;
        }
    }
    assert_eq!(sent, BURST);
    std::thread::sleep(Duration::from_millis(800));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("capture output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&format!("({BURST} packets")), "{stdout}");
    assert!(!stdout.contains("dropped"), "{stdout}");
    assert_eq!(
        report_of(&dir.join("capture.pcapng")).capture.packets,
        u64::from(BURST)
    );
    let facts: Facts =
        serde_json::from_str(&std::fs::read_to_string(dir.join("facts.json")).unwrap()).unwrap();
    assert!(facts.since_unix.is_some(), "the end facts were written");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A socket that opens and closes in the middle of a capture is in neither the start nor the end
/// snapshot; the sampling in between sees it, with when it was open, and its flow is attributed.
#[cfg(target_os = "linux")]
#[test]
fn a_short_lived_socket_is_sampled_and_its_flow_attributed() {
    if !is_root() {
        eprintln!("notice: live capture needs root; skipping a_short_lived_socket_is_sampled");
        return;
    }
    let dir = temp_dir("short-lived");
    let child = start_capture(&dir, "udp port 5996");
    std::thread::sleep(Duration::from_millis(300));
    let local = {
        let sender = UdpSocket::bind("127.0.0.1:0").expect("udp");
        for _ in 0..5 {
            sender.send_to(b"hello", "127.0.0.1:5996").expect("send");
        }
        // Open long enough for a sample (one a second) to see it.
        std::thread::sleep(Duration::from_millis(2200));
        sender.local_addr().expect("addr")
    };
    std::thread::sleep(Duration::from_millis(1500));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    let out = child.wait_with_output().expect("capture output");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let facts_path = dir.join("facts.json");
    let facts: Facts =
        serde_json::from_str(&std::fs::read_to_string(&facts_path).unwrap()).unwrap();
    let (pid, name, _) = me();
    let s = find(&facts, "udp", local, None);
    assert_eq!(s.pid, Some(pid));
    let (first, last) = (s.first_seen.unwrap(), s.last_seen.unwrap());
    assert!(
        first > facts.since_unix.unwrap() && last < facts.time_unix,
        "{first} {last}"
    );
    let report: Report = serde_json::from_slice(
        &callscope()
            .arg("analyze")
            .arg(dir.join("capture.pcapng"))
            .arg("--facts")
            .arg(&facts_path)
            .arg("--json")
            .output()
            .expect("analyze")
            .stdout,
    )
    .expect("report");
    assert_eq!(
        report.conversations[0]
            .process
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some(format!("{name} ({pid})").as_str())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGHUP (the terminal closing) stops a capture as cleanly.
#[cfg(target_os = "linux")]
#[test]
fn sighup_stops_a_capture_cleanly() {
    if !is_root() {
        eprintln!("notice: live capture needs root; skipping sighup_stops_a_capture_cleanly");
        return;
    }
    let dir = temp_dir("sighup");
    let child = start_capture(&dir, "udp port 5997");
    let sender = UdpSocket::bind("127.0.0.1:0").expect("udp");
    for _ in 0..20 {
        sender.send_to(b"x", "127.0.0.1:5997").expect("send");
    }
    std::thread::sleep(Duration::from_millis(300));
    Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .expect("kill");
    let out = child.wait_with_output().expect("capture output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("(20 packets"), "{stdout}");
    assert_eq!(report_of(&dir.join("capture.pcapng")).capture.packets, 20);
    let _ = std::fs::remove_dir_all(&dir);
}

/// An Ethernet frame with IP and UDP ("ping") or a TCP SYN between two addresses.
fn frame(src: SocketAddr, dst: SocketAddr, tcp: bool) -> Vec<u8> {
    let ip = if tcp {
        let syn = testing::tcp(src, dst, 1, 0, testing::tcp_flags::SYN, b"");
        testing::ip(src.ip(), dst.ip(), 6, &syn)
    } else {
        testing::ip_udp(src, dst, b"ping")
    };
    testing::ethernet(&ip)
}

fn socket(protocol: &str, local: &str, remote: Option<&str>, pid: u32, name: &str) -> Socket {
    Socket {
        protocol: protocol.into(),
        local: local.into(),
        remote: remote.map(Into::into),
        state: "x".into(),
        pid: Some(pid),
        process: Some(name.into()),
        path: Some(format!("/usr/libexec/{name}")),
        ..Socket::default()
    }
}

#[test]
fn analyze_with_facts_names_the_process_of_each_flow() {
    let dir = temp_dir("attribution");
    let a = |s: &str| -> SocketAddr { s.parse().expect("addr") };
    let mut w = pcapng::Writer::new(Vec::new(), "test", "test").expect("shb");
    w.interface(1, 65535, "en0", 6, None).expect("idb");
    let packets = [
        (a("192.168.1.20:4500"), a("203.0.113.5:4500"), false),
        (a("203.0.113.5:4500"), a("192.168.1.20:4500"), false),
        (a("192.168.1.20:5060"), a("198.51.100.7:5060"), false),
        (a("192.168.1.20:50123"), a("17.57.146.52:5223"), true),
        (a("192.168.1.20:53000"), a("192.168.1.1:53"), false),
    ];
    for (i, (s, d, tcp)) in packets.iter().enumerate() {
        let f = frame(*s, *d, *tcp);
        w.packet(
            0,
            1_700_000_000_000_000 + i as u64 * 1000,
            &f,
            f.len() as u32,
        )
        .expect("epb");
    }
    let capture = dir.join("call.pcapng");
    std::fs::write(&capture, w.finish().expect("finish")).expect("write");
    let facts = Facts {
        schema: facts::SCHEMA.into(),
        sockets: vec![
            socket(
                "udp",
                "192.168.1.20:4500",
                Some("203.0.113.5:4500"),
                88,
                "CommCenter",
            ),
            socket("udp", "0.0.0.0:5060", None, 88, "CommCenter"),
            socket(
                "tcp",
                "192.168.1.20:50123",
                Some("17.57.146.52:5223"),
                120,
                "apsd",
            ),
        ],
        // The host's address: the side of a flow a wildcard socket can own.
        interfaces: vec![facts::Interface {
            name: "en0".into(),
            addresses: vec![facts::Address {
                family: "ipv4".into(),
                addr: "192.168.1.20".into(),
                prefix: 24,
                ..facts::Address::default()
            }],
            ..facts::Interface::default()
        }],
        ..Facts::default()
    };
    let facts_path = dir.join("facts.json");
    std::fs::write(&facts_path, serde_json::to_string(&facts).expect("json")).expect("write");

    let out = callscope()
        .arg("analyze")
        .arg(&capture)
        .arg("--json")
        .arg("--facts")
        .arg(&facts_path)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Report = serde_json::from_slice(&out.stdout).expect("report");
    let process_of = |a: &str, b: &str| {
        report
            .conversations
            .iter()
            .find(|c| c.a.to_string() == a && c.b.to_string() == b)
            .unwrap_or_else(|| panic!("no {a} ↔ {b}"))
            .process
            .clone()
    };
    assert_eq!(
        process_of("192.168.1.20:4500", "203.0.113.5:4500")
            .map(|p| p.to_string())
            .as_deref(),
        Some("CommCenter (88)")
    );
    assert_eq!(
        process_of("192.168.1.20:5060", "198.51.100.7:5060")
            .map(|p| p.to_string())
            .as_deref(),
        Some("CommCenter (88)")
    );
    assert_eq!(
        process_of("192.168.1.20:50123", "17.57.146.52:5223")
            .map(|p| p.to_string())
            .as_deref(),
        Some("apsd (120)")
    );
    assert_eq!(process_of("192.168.1.20:53000", "192.168.1.1:53"), None);
    let comm = report
        .processes
        .iter()
        .find(|p| p.pid == 88)
        .expect("CommCenter");
    assert_eq!((comm.flows, comm.packets), (2, 3));
    assert_eq!(comm.path.as_deref(), Some("/usr/libexec/CommCenter"));

    // Without --facts nothing is attributed; a bad facts file is a one-line error.
    let plain = callscope()
        .arg("analyze")
        .arg(&capture)
        .arg("--json")
        .output()
        .expect("run");
    let plain: Report = serde_json::from_slice(&plain.stdout).expect("report");
    assert!(plain.conversations.iter().all(|c| c.process.is_none()));
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"schema\":\"other\"}").expect("write");
    let out = callscope()
        .arg("analyze")
        .arg(&capture)
        .arg("--facts")
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
    let _ = std::fs::remove_dir_all(&dir);
}
