//! A ladder as a standalone SVG file (the page's "ladder as SVG" export): the same layout as the
//! page and the CLI draw ([`crate::ladder`]), with host names on top, times (seconds into the
//! capture) on the left, and its own styles, so it opens in any browser or drawing program.

use std::fmt::Write;

use crate::ladder::{Ladder, RowKind};

const TIME_W: f64 = 110.0;
const COL_W: f64 = 196.0;
const ROW_H: f64 = 28.0;
const HEAD_H: f64 = 40.0;

/// Text made safe for XML (&, <, >, quotes).
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// The SVG document of a ladder, titled `title`.
pub fn svg(ladder: &Ladder, title: &str) -> String {
    let x = |col: usize| TIME_W + col as f64 * COL_W + COL_W / 2.0;
    let width = TIME_W + ladder.columns.len() as f64 * COL_W;
    let height = HEAD_H + 10.0 + ladder.rows.len() as f64 * ROW_H + 10.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Menlo, Consolas, monospace" font-size="12">"#
    );
    let _ = writeln!(s, "<title>{}</title>", xml(title));
    let _ = writeln!(
        s,
        "<style>.rail{{stroke:#ccc;stroke-width:2}} .msg line{{stroke:#1f6fd1;stroke-width:1.5}} .msg polygon{{fill:#1f6fd1}} \
         .media line{{stroke:#2e9d57;stroke-width:4;stroke-dasharray:8 4}} .media polygon{{fill:#2e9d57}} \
         .retrans line{{stroke-dasharray:3 3}} .sdp .label{{font-weight:bold}} text{{fill:#1d1d1f}} .time{{fill:#666}}</style>"
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#fff"/>"##);
    for (i, c) in ladder.columns.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" font-weight="bold">{}</text>"#,
            x(i),
            HEAD_H / 2.0 + 4.0,
            xml(&c.label)
        );
        let _ = writeln!(
            s,
            r#"<line class="rail" x1="{0}" x2="{0}" y1="{1}" y2="{height}"/>"#,
            x(i),
            HEAD_H
        );
    }
    for (n, row) in ladder.rows.iter().enumerate() {
        let y = HEAD_H + 10.0 + n as f64 * ROW_H + ROW_H * 0.7;
        let kind = match row.kind {
            RowKind::Message(_) => "msg",
            RowKind::Media(_) => "media",
            RowKind::Dtmf(..) => "media dtmf",
        };
        let mut class = kind.to_owned();
        if row.retransmission {
            class.push_str(" retrans");
        }
        if row.sdp {
            class.push_str(" sdp");
        }
        let _ = writeln!(s, r#"<g class="arrow {class}" data-frame="{}">"#, row.frame);
        let _ = writeln!(
            s,
            r#"<text class="time" x="6" y="{}">{:.6}</text>"#,
            y + 4.0,
            row.time
        );
        let (x1, x2) = (x(row.from), x(row.to));
        if row.from == row.to {
            let _ = writeln!(
                s,
                r#"<line x1="{x1}" x2="{}" y1="{y}" y2="{y}"/>"#,
                x1 + 40.0
            );
        } else {
            let dir = if x2 > x1 { 1.0 } else { -1.0 };
            let tip = x2 - dir * 2.0;
            let _ = writeln!(
                s,
                r#"<line x1="{x1}" x2="{}" y1="{y}" y2="{y}"/>"#,
                tip - dir * 6.0
            );
            let _ = writeln!(
                s,
                r#"<polygon points="{tip},{y} {},{} {},{}"/>"#,
                tip - dir * 9.0,
                y - 4.5,
                tip - dir * 9.0,
                y + 4.5
            );
        }
        let mid = if row.from == row.to {
            x1 + 46.0
        } else {
            (x1 + x2) / 2.0
        };
        let _ = writeln!(
            s,
            r#"<text class="label" x="{mid}" y="{}" text-anchor="{}">{}{}</text>"#,
            y - 5.0,
            if row.from == row.to {
                "start"
            } else {
                "middle"
            },
            xml(&row.label),
            if row.retransmission { " ↻" } else { "" }
        );
        let _ = writeln!(s, "</g>");
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::ladder::{layout, Options};
    use callscope_analysis::sip::report::LadderMessage;

    #[test]
    fn the_svg_has_an_arrow_per_row_and_escapes_its_text() {
        let messages: Vec<LadderMessage> = ["INVITE (SDP)", "<script>alert(1)</script>", "200 OK"]
            .iter()
            .enumerate()
            .map(|(i, label)| LadderMessage {
                frame: i as u64 + 1,
                src: if i % 2 == 0 {
                    "10.0.0.1:5060"
                } else {
                    "10.0.0.2:5060"
                }
                .parse()
                .unwrap(),
                dst: if i % 2 == 0 {
                    "10.0.0.2:5060"
                } else {
                    "10.0.0.1:5060"
                }
                .parse()
                .unwrap(),
                label: (*label).into(),
                ..LadderMessage::default()
            })
            .collect();
        let doc = svg(&layout(&messages, &[], Options::default()), "Call <x> & y");
        assert_eq!(doc.matches(r#"<g class="arrow msg""#).count(), 3);
        assert!(!doc.contains("<script>"));
        assert!(doc.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(doc.contains("<title>Call &lt;x&gt; &amp; y</title>"));
        assert!(doc.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    }
}
