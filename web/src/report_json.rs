//! The report as compact JSON, byte for byte `serde_json::to_writer`'s, written one top-level
//! section at a time and each section dropped once written. The decoder sends the bytes on as
//! they come (each piece copied out of its wasm memory), so it never holds a whole report and
//! its whole JSON at once: on a 10 GB capture the JSON alone is 67 MB, and a `Vec` growing to it
//! doubles to 128 MiB of wasm memory that is never given back.

use std::io::{self, Write};

use callscope_analysis::Report;
use serde::Serialize;

/// Writes `report` as `serde_json::to_writer` would, consuming it section by section (every
/// field of [`Report`] in its declared order: the destructuring fails to compile when a field is
/// added, and the test compares the bytes with serde_json's).
pub fn write_compact(report: Report, out: &mut impl Write) -> io::Result<()> {
    let Report {
        schema,
        capture,
        hierarchy,
        endpoints,
        conversations,
        processes,
        ike,
        stun,
        sip,
        rtp,
        rtcp,
        dns,
        tls,
        names,
        verdicts,
        timeline,
        limits,
    } = report;
    out.write_all(b"{")?;
    member(out, "schema", schema, true)?;
    member(out, "capture", capture, false)?;
    member(out, "hierarchy", hierarchy, false)?;
    member(out, "endpoints", endpoints, false)?;
    member(out, "conversations", conversations, false)?;
    member(out, "processes", processes, false)?;
    member(out, "ike", ike, false)?;
    member(out, "stun", stun, false)?;
    member(out, "sip", sip, false)?;
    member(out, "rtp", rtp, false)?;
    member(out, "rtcp", rtcp, false)?;
    member(out, "dns", dns, false)?;
    member(out, "tls", tls, false)?;
    member(out, "names", names, false)?;
    member(out, "verdicts", verdicts, false)?;
    member(out, "timeline", timeline, false)?;
    member(out, "limits", limits, false)?;
    out.write_all(b"}")
}

/// `"name":value` (after a comma unless first); the value is dropped when written.
fn member<T: Serialize>(out: &mut impl Write, name: &str, value: T, first: bool) -> io::Result<()> {
    if !first {
        out.write_all(b",")?;
    }
    out.write_all(b"\"")?;
    out.write_all(name.as_bytes())?;
    out.write_all(b"\":")?;
    serde_json::to_writer(&mut *out, &value).map_err(io::Error::other)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use callscope_analysis::{Analyzer, Options};

    #[test]
    fn the_bytes_are_serde_jsons_own() {
        let demo = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../static/demo.pcapng"
        ))
        .expect("the page's demo capture");
        let mut analyzer = Analyzer::new(Options::default());
        analyzer.feed(&demo).unwrap();
        let report = analyzer.finish();
        assert!(report.sip.calls.len() + report.rtp.streams.len() > 0);
        let expected = serde_json::to_vec(&report).unwrap();
        let mut written = Vec::new();
        write_compact(report, &mut written).unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        let mut empty = Vec::new();
        write_compact(Report::default(), &mut empty).unwrap();
        assert_eq!(empty, serde_json::to_vec(&Report::default()).unwrap());
    }
}
