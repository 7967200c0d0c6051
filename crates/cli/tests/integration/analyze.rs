//! `callscope analyze` as a user runs it: exit codes, one-line errors, JSON on stdout, stdin.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use callscope_wire::testing::Pcap;

fn callscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_callscope"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo() -> PathBuf {
    root().join("static/demo.pcapng")
}

fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = callscope()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    child.wait_with_output().expect("wait")
}

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("callscope-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write temp");
    path
}

/// Runs `callscope analyze PATH`, which must fail with exit 1, print nothing on standard output
/// and one line on standard error; returns that line.
fn one_line_error(path: &Path) -> String {
    let out = callscope().arg("analyze").arg(path).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
    err
}

/// A minimal little-endian pcap: global header and `records` Ethernet frames of 60 bytes (ARP
/// with a zero body), one second apart.
fn pcap(records: usize) -> Vec<u8> {
    let mut frame = vec![0xff; 12];
    frame.extend_from_slice(&[0x08, 0x06]);
    frame.extend_from_slice(&[0; 46]);
    let mut file = Pcap::new(1);
    for i in 0..records {
        file.record((1_700_000_000 + i as i64) * 1_000_000, &frame);
    }
    file.into_bytes()
}

#[test]
fn json_report_of_the_demo_follows_the_contract() {
    let out = callscope()
        .args(["analyze", "--json"])
        .arg(demo())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["schema"], "callscope.report/1");
    assert_eq!(v["capture"]["packets"], 2234);
    assert_eq!(v["capture"]["format"], "pcapng");
    for key in [
        "hierarchy",
        "endpoints",
        "conversations",
        "processes",
        "dns",
        "tls",
        "names",
        "verdicts",
        "limits",
    ] {
        assert!(!v[key].is_null(), "missing {key}");
    }
    // The demo's story: Wi-Fi calling to a DNS-named ePDG, SIP inside ipsec0.
    assert_eq!(v["verdicts"][0]["id"], "wifi-calling:1");
    assert_eq!(v["verdicts"][0]["confidence"], "certain");
    assert_eq!(v["verdicts"][1]["id"], "sip-in-tunnel");
    assert!(
        out.stderr.is_empty(),
        "no progress bar or warning when piped: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn text_report_names_the_sections() {
    let out = callscope()
        .arg("analyze")
        .arg(demo())
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Verdicts\n  [certain] Wi-Fi calling tunnel to T-Mobile"));
    for heading in [
        "Capture",
        "Protocol hierarchy",
        "Conversations (29 in all",
        "Endpoints (25 in all",
        "Names (8 learned)",
        "DNS (14 messages, 6 names asked, 1 failed or unanswered)",
        "TLS (3 handshakes)",
    ] {
        assert!(text.contains(heading), "missing {heading:?} in\n{text}");
    }
    assert!(text.contains("packets      2234"));
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let out = run_with_stdin(&["analyze", "--json", "-"], &pcap(3));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["capture"]["packets"], 3);
}

#[test]
fn a_missing_file_is_a_one_line_error_with_exit_1() {
    let err = one_line_error(Path::new("/nonexistent/capture.pcap"));
    assert!(
        err.starts_with("callscope: /nonexistent/capture.pcap: cannot open"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_a_capture_is_a_one_line_error_with_exit_1() {
    let path = temp("notes.txt", b"hello, this is text\n");
    let err = one_line_error(&path);
    assert!(
        err.contains("not a capture file: unknown magic 68656c6c"),
        "{err}"
    );
}

/// Reading `/proc/self/mem` at offset 0 fails with EIO on Linux: a real read error.
#[cfg(target_os = "linux")]
#[test]
fn a_read_error_is_a_one_line_error_naming_it() {
    let err = one_line_error(Path::new("/proc/self/mem"));
    assert!(
        err.starts_with("callscope: /proc/self/mem: read failed: Input/output error"),
        "{err}"
    );
}

#[test]
fn an_empty_file_says_so() {
    let path = temp("empty.pcap", b"");
    let out = callscope().arg("analyze").arg(&path).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the file is empty"));
}

#[test]
fn a_truncated_file_prints_the_report_and_warns_with_exit_0() {
    let mut bytes = pcap(5);
    bytes.truncate(bytes.len() - 10);
    let path = temp("cut.pcap", &bytes);
    let out = callscope()
        .args(["analyze", "--json"])
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["capture"]["packets"], 4);
    assert_eq!(v["capture"]["truncated"], true);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning") && err.contains("record 5"), "{err}");
}

#[test]
fn a_corrupt_record_stops_reading_with_exit_3_and_keeps_what_came_before() {
    let mut bytes = pcap(3);
    // Record 3's caplen (at 24 + 2 × 76 + 8) claims 4 GiB.
    let at = 24 + 2 * 76 + 8;
    bytes[at..at + 4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    let path = temp("corrupt.pcap", &bytes);
    let out = callscope()
        .args(["analyze", "--json"])
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["capture"]["packets"], 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("caplen 4294967280"));
}

#[test]
fn a_calls_ladder_has_an_arrow_per_message_and_per_stream_in_time_order() {
    // The demo's baresip call: INVITE, 180, 200, ACK, its two RTP streams, BYE, 200.
    let report: serde_json::Value = serde_json::from_slice(
        &callscope()
            .args(["analyze", "--json"])
            .arg(demo())
            .output()
            .expect("run")
            .stdout,
    )
    .expect("JSON");
    let call = &report["sip"]["calls"][0];
    let id = call["call_id"].as_str().expect("a call");
    let out = callscope()
        .args(["analyze", "--call", id])
        .arg(demo())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let arrows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains('|') && (l.contains("  frame ") || l.contains("  stream ")))
        .collect();
    let messages = call["messages"].as_array().expect("messages");
    let media = call["media"].as_array().expect("media");
    assert_eq!(arrows.len(), messages.len() + media.len(), "{text}");
    for (m, line) in messages
        .iter()
        .zip(arrows.iter().filter(|l| !l.contains("  stream ")))
    {
        let label = m["label"].as_str().expect("label");
        assert!(line.contains(label), "{line} shows {label}");
        assert!(
            line.trim_end().ends_with(&format!("frame {}", m["frame"])),
            "{line}"
        );
    }
    let streams: Vec<&&str> = arrows.iter().filter(|l| l.contains("  stream ")).collect();
    assert_eq!(streams.len(), 2);
    assert!(
        streams
            .iter()
            .all(|l| l.contains("==") && l.contains("g711U")),
        "{streams:?}"
    );
    // Time order: the streams start after the ACK and before the BYE.
    let at = |needle: &str| {
        arrows
            .iter()
            .position(|l| l.contains(needle))
            .expect(needle)
    };
    assert!(
        at(" ACK ") < at("  stream ") && at("  stream ") < at(" BYE "),
        "{text}"
    );
}

/// A SIP INVITE whose Call-ID clears the screen and whose User-Agent rings the bell and sets the
/// window title: the text report and the ladder show them escaped, the JSON exactly.
#[test]
fn control_characters_from_the_capture_never_reach_the_terminal() {
    let call_id = "evil\u{1b}[2J@x";
    let invite = format!(
        "INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n\
From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: {call_id}\r\n\
CSeq: 1 INVITE\r\nUser-Agent: bell\u{7}\u{1b}]0;pwned\u{7}\r\nContent-Length: 0\r\n\r\n"
    );
    let (a, b) = (
        std::net::SocketAddr::from(([10, 0, 0, 1], 5060)),
        std::net::SocketAddr::from(([10, 0, 0, 2], 5060)),
    );
    let mut file = Pcap::new(101);
    file.record(
        1_700_000_000_000_000,
        &callscope_wire::testing::ip_udp(a, b, invite.as_bytes()),
    );
    let path = temp("escapes.pcap", &file.into_bytes());
    for args in [vec!["analyze"], vec!["analyze", "--call", call_id]] {
        let out = callscope().args(&args).arg(&path).output().expect("run");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("text");
        assert!(
            !text.bytes().any(|c| c == 0x1b || c == 0x07),
            "{args:?}: raw control characters in\n{text}"
        );
        assert!(text.contains("evil\\x1b[2J@x"), "{args:?}: {text}");
    }
    let out = callscope()
        .args(["analyze", "--json"])
        .arg(&path)
        .output()
        .expect("run");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        report["sip"]["calls"][0]["call_id"], call_id,
        "JSON keeps it exact"
    );
}

/// A file that ends inside its file header holds no packet, whatever its length: one rule, one
/// exit code (1), one line saying why. A gzip inside a gzip is named as such.
#[test]
fn a_file_cut_inside_its_header_is_not_a_capture_at_any_length() {
    let pcap = Pcap::header(1);
    let pcapng = std::fs::read(demo()).expect("demo");
    for (name, whole, header) in [("pcap", &pcap[..], 24), ("pcapng", &pcapng[..], 28)] {
        for cut in 1..header {
            let path = temp(&format!("cut-{name}-{cut}"), &whole[..cut]);
            let err = one_line_error(&path);
            assert!(
                err.contains("ends inside its"),
                "{name} cut at {cut}: {err}"
            );
        }
    }
    let mut inner = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    inner.write_all(&pcap).expect("gzip");
    let mut outer = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    outer
        .write_all(&inner.finish().expect("gzip"))
        .expect("gzip");
    let err = one_line_error(&temp("nested.pcap.gz.gz", &outer.finish().expect("gzip")));
    assert!(err.contains("a gzip file inside a gzip file"), "{err}");
}

/// A capture of `n` unanswered INVITEs from 10.0.0.1 to `peer(i)`, a millisecond apart, with
/// Call-IDs `{prefix}{i}@x`.
fn unanswered_invites(name: &str, prefix: &str, n: u32, peer: impl Fn(u32) -> [u8; 4]) -> PathBuf {
    let mut file = Pcap::new(101);
    for i in 0..n {
        let (a, b) = (
            std::net::SocketAddr::from(([10, 0, 0, 1], 5060)),
            std::net::SocketAddr::from((peer(i), 5060)),
        );
        let invite = callscope_wire::testing::unanswered_invite(&format!("{prefix}{i}@x"), i);
        let t = 1_700_000_000_000_000 + i64::from(i) * 1000;
        file.record(t, &callscope_wire::testing::ip_udp(a, b, invite.as_bytes()));
    }
    temp(name, &file.into_bytes())
}

/// `--top` bounds every list of the text report, and each says how many it left out: fifty
/// unanswered INVITEs with their RTP give five calls, five streams and a line for the rest.
#[test]
fn top_bounds_every_list_of_the_text_report() {
    let path = unanswered_invites("many-invites.pcap", "many", 50, |i| {
        [10, 0, 1, (i % 200) as u8]
    });
    let out = callscope()
        .args(["analyze", "--top", "5"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("text");
    // The lists after the verdicts (whose evidence names calls too, six at most).
    let lists = |text: &str| text[text.find("\nCapture\n").expect("capture section")..].to_owned();
    let verdicts = &text[..text.find("\nCapture\n").expect("capture section")];
    assert!(verdicts.contains("… 44 more"), "{verdicts}");
    let text = lists(&text);
    assert_eq!(text.matches("many").count(), 5, "{text}");
    assert!(
        text.contains("… and 45 more (--top 50 shows them all)"),
        "{text}"
    );
    let all = callscope()
        .args(["analyze", "--top", "50"])
        .arg(&path)
        .output()
        .expect("run");
    let all = lists(&String::from_utf8(all.stdout).expect("text"));
    assert_eq!(all.matches("many").count(), 50);
    assert!(!all.contains("more (--top"), "{all}");
}

/// `--memory` sets the budget the tables share: 500 unanswered INVITEs fit the default's 3,072
/// Call-IDs, but under 16 MiB the SIP table holds 384, and the JSON and the text say which table
/// was full and what it dropped. Below 16 MiB is refused.
#[test]
fn memory_sets_the_budget_and_the_report_names_the_full_tables() {
    let path = unanswered_invites("budget-invites.pcap", "budget", 500, |_| [10, 0, 1, 1]);
    let json = |extra: &[&str]| -> serde_json::Value {
        let out = callscope()
            .args(["analyze", "--json"])
            .args(extra)
            .arg(&path)
            .output()
            .expect("run");
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let roomy = json(&[]);
    assert_eq!(roomy["sip"]["calls"].as_array().map(Vec::len), Some(500));
    assert!(
        roomy["limits"].get("tables").is_none(),
        "{}",
        roomy["limits"]
    );
    let tight = json(&["--memory", "16"]);
    assert_eq!(tight["sip"]["calls"].as_array().map(Vec::len), Some(384));
    assert_eq!(
        tight["limits"]["tables"],
        serde_json::json!([{"table": "sip_call_ids", "bound": 384, "dropped": 116}])
    );
    let text = callscope()
        .args(["analyze", "--memory", "16"])
        .arg(&path)
        .output()
        .expect("run");
    let text = String::from_utf8(text.stdout).expect("text");
    assert!(
        text.contains("116 SIP messages of untracked Call-IDs"),
        "{text}"
    );
    assert!(
        text.contains(
            "Full at their share of the memory budget: sip_call_ids (384); --memory MiB raises it."
        ),
        "{text}"
    );
    let refused = callscope()
        .args(["analyze", "--memory", "8"])
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("8 is not in 16..=65536"));
}
