//! The report as compact JSON, byte for byte `serde_json::to_writer`'s, written one top-level
//! section at a time and each section dropped once written. The decoder sends the bytes on as
//! they come (each piece copied out of its wasm memory), so it never holds a whole report and
//! its whole JSON at once: on a 10 GB capture the JSON alone is 67 MB, and a `Vec` growing to it
//! doubles to 128 MiB of wasm memory that is never given back.
//!
//! The writer also says where each section's value lies, so the page reads the report back one
//! section at a time ([`read_section`]), with the event loop free between them: read in one go,
//! the 10 GB capture's report held the page's main thread for 0.6 s.

use std::io::{self, Write};

use callscope_analysis::Report;
use serde::{Deserialize, Serialize};

/// Where one top-level member's value lies in the JSON: bytes `start..end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The member's name (`"rtp"`).
    pub name: String,
    /// Offset of its value's first byte.
    pub start: usize,
    /// Offset just past its value.
    pub end: usize,
}

/// The writer and the reader of the report's sections, from one list of [`Report`]'s fields in
/// their declared order (each function destructures `Report` without `..`, so neither compiles
/// when a field is added and not listed; the test compares the bytes with serde_json's).
macro_rules! sections {
    ($($field:ident),* $(,)?) => {
        /// Writes `report` as `serde_json::to_writer` would, consuming it section by section.
        /// Returns where each section's value was written.
        pub fn write_compact(report: Report, out: &mut impl Write) -> io::Result<Vec<Section>> {
            let Report { $($field),* } = report;
            let mut out = Counted { out, written: 0 };
            let mut sections = Vec::new();
            out.write_all(b"{")?;
            $(member(&mut out, &mut sections, stringify!($field), $field)?;)*
            out.write_all(b"}")?;
            Ok(sections)
        }

        /// Reads one section's JSON (`json[start..end]` of a [`Section`]) into its field of
        /// `report`; a name that is no field is an error.
        pub fn read_section(report: &mut Report, name: &str, json: &str) -> Result<(), String> {
            let Report { $($field),* } = report;
            let read = match name {
                $(stringify!($field) => into($field, json),)*
                other => return Err(format!("the report has no section {other:?}")),
            };
            read.map_err(|e| format!("{name}: {e}"))
        }
    };
}

sections!(
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
);

/// `"name":value` (after a comma unless first); the value is dropped when written.
fn member<W: Write, T: Serialize>(
    out: &mut Counted<W>,
    sections: &mut Vec<Section>,
    name: &str,
    value: T,
) -> io::Result<()> {
    if !sections.is_empty() {
        out.write_all(b",")?;
    }
    out.write_all(b"\"")?;
    out.write_all(name.as_bytes())?;
    out.write_all(b"\":")?;
    let start = out.written;
    // The page's one writer type, so the section serializers are the page's own too.
    callscope_view::json::to_writer(&mut *out, &value).map_err(io::Error::other)?;
    sections.push(Section {
        name: name.into(),
        start,
        end: out.written,
    });
    Ok(())
}

/// A writer that counts what went through it.
struct Counted<W> {
    out: W,
    written: usize,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.out.write(data)?;
        self.written += n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `*field = json`, read with `from_str` (the page's one serde_json reader: each reader type
/// compiles every `Deserialize` of the report once more).
fn into<T: for<'de> Deserialize<'de>>(field: &mut T, json: &str) -> serde_json::Result<()> {
    *field = serde_json::from_str(json)?;
    Ok(())
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
        let sections = write_compact(report.clone(), &mut written).unwrap();
        let written = String::from_utf8(written).unwrap();
        assert_eq!(written, String::from_utf8(expected).unwrap());
        let mut empty = Vec::new();
        write_compact(Report::default(), &mut empty).unwrap();
        assert_eq!(empty, serde_json::to_vec(&Report::default()).unwrap());

        // Read back section by section, the report is the one written.
        assert_eq!(sections.len(), 17);
        assert_eq!(
            &written[sections[0].start..sections[0].end],
            "\"callscope.report/1\""
        );
        let mut read = Report::default();
        for s in &sections {
            read_section(&mut read, &s.name, &written[s.start..s.end]).unwrap();
        }
        assert_eq!(read, report);
    }

    #[test]
    fn a_section_that_does_not_read_says_which() {
        let mut report = Report::default();
        assert_eq!(
            read_section(&mut report, "verdicts", "[").unwrap_err(),
            "verdicts: EOF while parsing a list at line 1 column 1"
        );
        assert!(read_section(&mut report, "rtp", "7")
            .unwrap_err()
            .starts_with("rtp: invalid type: integer `7`"));
        assert_eq!(
            read_section(&mut report, "nonsense", "1").unwrap_err(),
            "the report has no section \"nonsense\""
        );
    }
}
