//! The JSON report exactly as `serde_json::to_writer_pretty` prints it, with the largest sections
//! (`rtp`, `rtcp`) serialized on a second thread meanwhile: on a capture with thousands of RTP
//! streams, printing the report is a tenth of the run. A test checks that the bytes are
//! serde_json's own.

use std::io::{self, Write};

use callscope_analysis::Report;
use serde::Serialize;

/// Writes `report` pretty-printed, followed by a newline.
pub fn write(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    std::thread::scope(|scope| {
        let media = scope.spawn(|| -> io::Result<(Vec<u8>, Vec<u8>)> {
            Ok((pretty(&report.rtp)?, pretty(&report.rtcp)?))
        });
        out.write_all(b"{")?;
        field(out, "schema", &pretty(&report.schema)?, true)?;
        field(out, "capture", &pretty(&report.capture)?, false)?;
        field(out, "hierarchy", &pretty(&report.hierarchy)?, false)?;
        field(out, "endpoints", &pretty(&report.endpoints)?, false)?;
        field(out, "conversations", &pretty(&report.conversations)?, false)?;
        field(out, "processes", &pretty(&report.processes)?, false)?;
        field(out, "ike", &pretty(&report.ike)?, false)?;
        field(out, "stun", &pretty(&report.stun)?, false)?;
        field(out, "sip", &pretty(&report.sip)?, false)?;
        let (rtp, rtcp) = media
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        field(out, "rtp", &rtp, false)?;
        field(out, "rtcp", &rtcp, false)?;
        field(out, "limits", &pretty(&report.limits)?, false)?;
        out.write_all(b"\n}\n")
    })
}

fn pretty<T: Serialize + ?Sized>(value: &T) -> io::Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(io::Error::other)
}

/// One member of the top-level object: its value was printed at depth 0 and sits at depth 1,
/// so every line after the first gets the two spaces serde_json indents by.
fn field(out: &mut dyn Write, name: &str, value: &[u8], first: bool) -> io::Result<()> {
    out.write_all(if first { b"\n  \"" } else { b",\n  \"" })?;
    out.write_all(name.as_bytes())?;
    out.write_all(b"\": ")?;
    for (i, line) in value.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n  ")?;
        }
        out.write_all(line)?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn same_as_serde_json(report: &Report) {
        let mut ours = Vec::new();
        write(&mut ours, report).unwrap();
        let mut theirs = serde_json::to_vec_pretty(report).unwrap();
        theirs.push(b'\n');
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs).unwrap()
        );
    }

    #[test]
    fn prints_what_serde_json_prints() {
        same_as_serde_json(&Report::default());
        let demo = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../static/demo.pcapng"
        ))
        .expect("the demo capture");
        let mut analyzer = callscope_analysis::Analyzer::new(Default::default());
        analyzer.feed(&demo).unwrap();
        let report = analyzer.finish();
        assert!(!report.rtp.streams.is_empty() && !report.sip.calls.is_empty());
        same_as_serde_json(&report);
    }
}
