//! Files the page offers for download, written here so their content is tested natively: the
//! report as the CLI's `--json` prints it, CSV lines (RFC 4180), a stream's series as CSV.

use callscope_analysis::rtp::RtpStream;
use callscope_analysis::Report;

/// The report exactly as `callscope analyze --json` prints it (pretty, two-space indent, one
/// final newline).
pub fn report_json(report: &Report) -> String {
    let mut text = pretty(&crate::json::to_string(report).unwrap_or_default());
    text.push('\n');
    text
}

/// Compact JSON (no space outside strings, as `serde_json::to_string` writes it) indented as
/// `serde_json::to_string_pretty` would: one pass over the text. The page's wasm then holds one
/// serializer of the report (the compact one, which share links and the decoder use too), not a
/// second, pretty one of 30 kB.
pub fn pretty(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = compact.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', 2 * depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '[' | '{' => {
                out.push(c);
                // An empty array or object stays `[]` / `{}`.
                if let Some(&close @ (']' | '}')) = chars.peek() {
                    out.push(close);
                    chars.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            ']' | '}' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// One CSV line (RFC 4180 §2: fields with a comma, quote or line break are quoted, quotes
/// doubled), ending in CRLF.
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = String::new();
    for (i, f) in fields.iter().enumerate() {
        let f = f.as_ref();
        if i > 0 {
            line.push(',');
        }
        if f.contains([',', '"', '\r', '\n']) {
            line.push('"');
            line.push_str(&f.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(f);
        }
    }
    line.push_str("\r\n");
    line
}

/// A text field made inert for spreadsheets: one that starts with `=`, `+`, `-`, `@`, a tab or
/// a carriage return would be read as a formula (a captured display name could be
/// `=HYPERLINK(…)`), so it gets a leading `'`, as OWASP's CSV-injection advice says.
pub fn csv_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A stream's per-second series: bucket start (seconds since its first packet and since the
/// capture's), packets, lost, largest jitter and delta (ms).
pub fn series_csv(s: &RtpStream) -> String {
    let mut out = csv_line(&[
        "t_stream_s",
        "t_capture_s",
        "packets",
        "lost",
        "max_jitter_ms",
        "max_delta_ms",
    ]);
    for p in &s.series {
        out.push_str(&csv_line(&[
            format!("{}", p.t),
            format!("{:.6}", s.start + p.t),
            p.packets.to_string(),
            p.lost.to_string(),
            format!("{}", p.jitter_ms),
            format!("{}", p.max_delta_ms),
        ]));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use callscope_analysis::rtp::SeriesPoint;

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        assert_eq!(
            csv_line(&["a", "b,c", "say \"hi\"", ""]),
            "a,\"b,c\",\"say \"\"hi\"\"\",\r\n"
        );
    }

    #[test]
    fn formulas_in_text_are_made_inert() {
        assert_eq!(csv_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_text("alice"), "alice");
    }

    #[test]
    fn the_series_csv_has_a_line_per_point() {
        let s = RtpStream {
            start: 2.5,
            series: vec![
                SeriesPoint {
                    t: 0.0,
                    packets: 50,
                    lost: 0,
                    jitter_ms: 1.25,
                    max_delta_ms: 20.5,
                },
                SeriesPoint {
                    t: 1.0,
                    packets: 48,
                    lost: 2,
                    jitter_ms: 2.0,
                    max_delta_ms: 60.0,
                },
            ],
            ..RtpStream::default()
        };
        let csv = series_csv(&s);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2], "1,3.500000,48,2,2,60");
    }

    #[test]
    fn the_json_export_is_the_clis() {
        let r = Report {
            schema: "callscope.report/1".into(),
            ..Report::default()
        };
        let text = report_json(&r);
        assert!(text.starts_with("{\n  \"schema\": \"callscope.report/1\",\n"));
        assert!(text.ends_with("}\n"));
        assert_eq!(text, serde_json::to_string_pretty(&r).unwrap() + "\n");
    }

    #[test]
    fn pretty_is_serde_jsons_pretty_printer() {
        let value = serde_json::json!({
            "empty": [], "none": {}, "nested": [[], {}, [1, [2, {"a": null}]], {"b": [true, false]}],
            "text": "a \"quoted\" [bracket], {brace}: colon \\ back\\\"slash\n tab\t é ☎",
            "numbers": [-1.5e-7, 0, 18446744073709551615u64, 3.0],
            "": "",
        });
        let compact = serde_json::to_string(&value).unwrap();
        assert_eq!(
            pretty(&compact),
            serde_json::to_string_pretty(&value).unwrap()
        );
        // The demo capture's report: every section, escapes, empty tables.
        let mut analyzer =
            callscope_analysis::Analyzer::new(callscope_analysis::Options::default());
        analyzer
            .feed(include_bytes!("../../../static/demo.pcapng"))
            .unwrap();
        let demo = analyzer.finish();
        assert!(!demo.sip.calls.is_empty() && !demo.verdicts.is_empty());
        assert_eq!(
            report_json(&demo),
            serde_json::to_string_pretty(&demo).unwrap() + "\n"
        );
    }
}
