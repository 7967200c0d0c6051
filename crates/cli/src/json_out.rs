//! The JSON report exactly as `serde_json::to_writer_pretty` prints it, with about half of it
//! (the media sections `rtp` and `rtcp`, and `ike`, `stun`, `tls`, `timeline`) serialized on a
//! second thread meanwhile: on a capture with thousands of RTP streams, printing the report is a
//! tenth of the run. Each section is printed already indented for its place in the top-level
//! object ([`Nested`]), so the pieces are only concatenated. A test checks that the bytes are
//! serde_json's own.

use std::io::{self, Write};
use std::sync::mpsc;

use callscope_analysis::Report;
use serde::Serialize;
use serde_json::ser::Formatter;

/// Writes `report` pretty-printed, followed by a newline.
pub fn write<W: Write>(out: &mut W, report: &Report) -> io::Result<()> {
    std::thread::scope(|scope| {
        // The second thread's pieces, in the order the output needs them. Its share (46 % of
        // the work on the benchmark's report, from callgrind's counts per section; 40 % with
        // the media sections alone) is chosen so that neither thread waits long for the other.
        let (send, pieces) = mpsc::channel::<io::Result<Vec<u8>>>();
        scope.spawn(move || {
            let piece = |members: &[(&str, &dyn erased::Member)]| -> io::Result<Vec<u8>> {
                let mut buf = Vec::new();
                for (name, value) in members {
                    value.write_member(&mut buf, name)?;
                }
                Ok(buf)
            };
            for members in [
                &[
                    ("ike", &report.ike as &dyn erased::Member),
                    ("stun", &report.stun),
                ][..],
                &[("rtp", &report.rtp), ("rtcp", &report.rtcp)],
                &[("tls", &report.tls)],
                &[("timeline", &report.timeline)],
            ] {
                // The receiver is gone only if writing failed: that error is reported there.
                if send.send(piece(members)).is_err() {
                    return;
                }
            }
        });
        let next = || -> io::Result<Vec<u8>> {
            pieces
                .recv()
                .map_err(|_| io::Error::other("the JSON thread stopped"))?
        };
        out.write_all(b"{")?;
        member(out, "schema", &report.schema, true)?;
        member(out, "capture", &report.capture, false)?;
        member(out, "hierarchy", &report.hierarchy, false)?;
        member(out, "endpoints", &report.endpoints, false)?;
        member(out, "conversations", &report.conversations, false)?;
        member(out, "processes", &report.processes, false)?;
        out.write_all(&next()?)?; // ike, stun
        member(out, "sip", &report.sip, false)?;
        out.write_all(&next()?)?; // rtp, rtcp
        member(out, "dns", &report.dns, false)?;
        out.write_all(&next()?)?; // tls
        member(out, "names", &report.names, false)?;
        member(out, "verdicts", &report.verdicts, false)?;
        out.write_all(&next()?)?; // timeline
        member(out, "limits", &report.limits, false)?;
        out.write_all(b"\n}\n")
    })
}

/// A report section whose type the second thread's list need not name.
mod erased {
    use std::io;

    /// [`super::member`] for any serializable section (never the first member).
    pub trait Member: Sync {
        fn write_member(&self, out: &mut Vec<u8>, name: &str) -> io::Result<()>;
    }

    impl<T: serde::Serialize + Sync> Member for T {
        fn write_member(&self, out: &mut Vec<u8>, name: &str) -> io::Result<()> {
            super::member(out, name, self, false)
        }
    }
}

/// One member of the top-level object, as serde_json's pretty printer writes it there.
fn member<W: Write, T: Serialize + ?Sized>(
    out: &mut W,
    name: &str,
    value: &T,
    first: bool,
) -> io::Result<()> {
    out.write_all(if first { b"\n  \"" } else { b",\n  \"" })?;
    out.write_all(name.as_bytes())?;
    out.write_all(b"\": ")?;
    let mut ser = serde_json::Serializer::with_formatter(out, Nested::default());
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// serde_json's `PrettyFormatter` (two-space indent) for a value that sits one level deep: it
/// cannot start at a depth other than 0, and re-indenting its output costs a second pass.
#[derive(Default)]
struct Nested {
    /// Open arrays and objects.
    depth: usize,
    /// The innermost open array or object has a value.
    has_value: bool,
}

impl Nested {
    fn newline<W: ?Sized + Write>(&self, out: &mut W, comma: bool) -> io::Result<()> {
        /// A comma, a newline and the indentation of up to 31 levels, written as one slice:
        /// a third of the benchmark report's bytes are these, one per value.
        const BREAK: &[u8; 66] =
            b",\n                                                                ";
        // One level for the top-level object, then one per open array or object.
        let indent = 2 * (self.depth + 1);
        let start = usize::from(!comma);
        let end = (2 + indent).min(BREAK.len());
        out.write_all(&BREAK[start..end])?;
        let mut left = 2 + indent - end;
        while left > 0 {
            let n = left.min(BREAK.len() - 2);
            out.write_all(&BREAK[2..2 + n])?;
            left -= n;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(out, false)?;
        }
        out.write_all(bracket)
    }
}

impl Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.newline(out, !first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.newline(out, !first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
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

    #[test]
    fn deep_values_are_indented_as_serde_json_indents_them() {
        // Deeper than the 64 spaces written at a time, with empty containers at every level.
        let mut value = serde_json::json!([]);
        for i in 0..40 {
            value = serde_json::json!({ "level": i, "empty": {}, "none": [], "inner": [value] });
        }
        let mut ours = Vec::new();
        member(&mut ours, "deep", &value, true).unwrap();
        let theirs = serde_json::to_vec_pretty(&serde_json::json!({ "deep": value })).unwrap();
        let mut expected = b"{".to_vec();
        expected.extend_from_slice(&ours);
        expected.extend_from_slice(b"\n}");
        assert_eq!(
            String::from_utf8(expected).unwrap(),
            String::from_utf8(theirs).unwrap()
        );
    }
}
