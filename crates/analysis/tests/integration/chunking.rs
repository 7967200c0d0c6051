//! The report must not depend on how the file was cut into chunks (the page reads 4–8 MiB slices,
//! the CLI 64 KiB), nor on whether the file was gzip-compressed.

use crate::support;

use std::io::Write;
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;

fn json(report: &callscope_analysis::Report) -> serde_json::Value {
    serde_json::to_value(report).expect("the report serializes")
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn every_reference_capture_gives_the_same_report_in_any_chunking() {
    let captures = support::reference_captures();
    assert!(!captures.is_empty(), "no reference captures found");
    let mut differences = Vec::new();
    for path in &captures {
        let bytes = std::fs::read(path).expect("read capture");
        let reference = support::analyze_bytes(&bytes, 64 * 1024);
        assert!(reference.capture.packets > 0, "{}: no packets", name(path));
        let reference = json(&reference);
        for chunk in [1, 7, 4096, 1 << 20] {
            if json(&support::analyze_bytes(&bytes, chunk)) != reference {
                differences.push(format!("{} in chunks of {chunk}", name(path)));
            }
        }
    }
    eprintln!("checked {} captures in 5 chunkings", captures.len());
    assert!(
        differences.is_empty(),
        "reports differ from the 64 KiB one:\n{}",
        differences.join("\n")
    );
}

#[test]
fn a_gzip_compressed_capture_gives_the_same_report() {
    let captures = support::reference_captures();
    // The biggest pcapng of the set: enough compressed data for many inflate steps.
    let path = captures
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pcapng"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .or_else(|| captures.first())
        .expect("a reference capture");
    let plain_bytes = std::fs::read(path).expect("read capture");
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(&plain_bytes).expect("compress");
    let gz = encoder.finish().expect("compress");

    let plain = support::analyze_bytes(&plain_bytes, 64 * 1024);
    assert!(plain.capture.packets > 0);
    for chunk in [7, 64 * 1024] {
        let mut compressed = support::analyze_bytes(&gz, chunk);
        assert_eq!(
            compressed.capture.format,
            format!("{}+gzip", plain.capture.format),
            "{}",
            name(path)
        );
        compressed.capture.format = plain.capture.format.clone();
        assert_eq!(
            json(&compressed),
            json(&plain),
            "{} gzip-compressed, chunks of {chunk}",
            name(path)
        );
    }
}

fn analyze_with(bytes: &[u8], parallel: bool) -> callscope_analysis::Report {
    let mut analyzer = callscope_analysis::Analyzer::new(callscope_analysis::Options {
        parallel,
        ..Default::default()
    });
    for chunk in bytes.chunks(64 * 1024) {
        if analyzer.feed(chunk).is_err() {
            break;
        }
    }
    analyzer.finish()
}

/// The protocol analyzers on their own thread (what the CLI does) must give the report of the
/// single-threaded analyzer (what the page does): on every reference capture, and on one made
/// long enough for many batches to travel both ways.
#[test]
fn the_two_threaded_analyzer_gives_the_same_report() {
    let captures = support::reference_captures();
    assert!(!captures.is_empty(), "no reference captures found");
    let mut differences = Vec::new();
    for path in &captures {
        let bytes = std::fs::read(path).expect("read capture");
        if json(&analyze_with(&bytes, true)) != json(&analyze_with(&bytes, false)) {
            differences.push(name(path));
        }
    }
    // A classic pcap's records repeated: 24 bytes of file header, then records.
    let path = captures
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .expect("a pcap capture");
    let bytes = std::fs::read(path).expect("read capture");
    let mut long = bytes.clone();
    while long.len() < 24 << 20 {
        long.extend_from_slice(&bytes[24..]);
    }
    let serial = analyze_with(&long, false);
    assert!(
        serial.capture.packets > 5 * 4096,
        "{} packets",
        serial.capture.packets
    );
    if json(&analyze_with(&long, true)) != json(&serial) {
        differences.push(format!("{} repeated to {} bytes", name(path), long.len()));
    }
    assert!(
        differences.is_empty(),
        "two-threaded reports differ:\n{}",
        differences.join("\n")
    );
}

/// While a file is read, the page shows what was found so far: the progress counts calls,
/// streams and tunnels (on the analyzer's own thread) and ends at the report's numbers.
#[test]
fn progress_counts_calls_streams_and_tunnels_as_they_come() {
    use callscope_analysis::{Analyzer, Found, Options};
    let bytes = std::fs::read(support::root().join("static/demo.pcapng")).expect("demo");
    let mut a = Analyzer::new(Options::default());
    let mut seen = Vec::new();
    for chunk in bytes.chunks(4 * 1024) {
        a.feed(chunk).expect("feed");
        seen.push(a.snapshot().found.expect("counts on this thread"));
    }
    let first = seen[0];
    let last = *seen.last().expect("chunks");
    assert_eq!(first.tunnels, 1, "the IKE tunnel is the first section's");
    assert_eq!(first.calls, 0);
    let r = a.finish();
    assert_eq!(
        last,
        Found {
            calls: r.sip.calls.len() as u64,
            streams: r.rtp.streams.len() as u64,
            tunnels: r.ike.tunnels.len() as u64
        }
    );
    assert!(seen
        .windows(2)
        .all(|w| w[0].calls <= w[1].calls && w[0].streams <= w[1].streams));
    let threaded = Analyzer::new(Options {
        parallel: true,
        ..Options::default()
    });
    assert_eq!(
        threaded.snapshot().found,
        None,
        "the second thread's counts are not read"
    );
}
