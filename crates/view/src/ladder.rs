//! A call's ladder (sequence diagram) laid out once: columns (one per `ip:port`, or per address
//! when merged), rows in time order (one per SIP message, plus one per RTP stream of the call, as
//! sngrep draws them), each row an arrow from one column to another. The page draws it as SVG,
//! the CLI's `--call` as text ([`text`]); both read this layout, so they draw the same diagram.

use callscope_analysis::addr::ip_text;
use callscope_analysis::report::Socket;
use callscope_analysis::rtp::RtpStream;
use callscope_analysis::sip::report::LadderMessage;

use crate::media;

/// How to lay a ladder out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// One column per address instead of per `ip:port` (a host's ports side by side merge).
    pub merge_hosts: bool,
}

/// A column of the ladder: a host.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// What its header says: `ip:port`, or the address when merged.
    pub label: String,
    /// The addresses it stands for, in order of appearance.
    pub addrs: Vec<Socket>,
    /// Only media reaches it (no SIP message was sent to or from it).
    pub media_only: bool,
}

/// What a row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A SIP message: its index in the call's `messages`.
    Message(usize),
    /// An RTP stream: its index in the report's `rtp.streams`.
    Media(usize),
    /// A key pressed as RFC 4733 telephone-events: the stream's index and the press's.
    Dtmf(usize, usize),
}

/// One arrow.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What it is.
    pub kind: RowKind,
    /// Seconds into the capture (a stream's row: its first packet).
    pub time: f64,
    /// Column of the sender.
    pub from: usize,
    /// Column of the receiver.
    pub to: usize,
    /// `INVITE (SDP)`, `200 OK`, or `PCMU 250 pkts, 0 lost`.
    pub label: String,
    /// The frame (a stream: its first).
    pub frame: u64,
    /// A resent message (tshark's "resent").
    pub retransmission: bool,
    /// The message carries SDP.
    pub sdp: bool,
}

/// The whole diagram.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ladder {
    /// Columns, left to right.
    pub columns: Vec<Column>,
    /// Rows, top to bottom (time order; messages keep capture order).
    pub rows: Vec<Row>,
}

/// Column bookkeeping while laying out.
struct Columns {
    merge: bool,
    columns: Vec<Column>,
}

impl Columns {
    /// A column's header: `ip:port`, or the address when merged.
    fn key(&self, address: Socket) -> String {
        if self.merge {
            ip_text(address.ip())
        } else {
            address.to_string()
        }
    }

    /// The column of a SIP endpoint, made when new.
    fn signalling(&mut self, address: Socket) -> usize {
        let found = self.columns.iter().position(|c| {
            if self.merge {
                c.addrs.iter().any(|a| a.ip() == address.ip())
            } else {
                c.addrs.contains(&address)
            }
        });
        let i = found.unwrap_or_else(|| {
            self.columns.push(Column {
                label: self.key(address),
                addrs: Vec::new(),
                media_only: false,
            });
            self.columns.len() - 1
        });
        let column = &mut self.columns[i];
        column.media_only = false;
        if !column.addrs.contains(&address) {
            column.addrs.push(address);
        }
        i
    }

    /// The column of a media endpoint: the host's signalling column when there is one (as
    /// sngrep draws RTP between the hosts of the call), else a column of its own (one per host
    /// when merged).
    fn media(&mut self, address: Socket) -> usize {
        let found = self.columns.iter().position(|c| {
            c.addrs.contains(&address)
                || ((!c.media_only || self.merge) && c.addrs.iter().any(|a| a.ip() == address.ip()))
        });
        let i = found.unwrap_or_else(|| {
            self.columns.push(Column {
                label: self.key(address),
                addrs: Vec::new(),
                media_only: true,
            });
            self.columns.len() - 1
        });
        let column = &mut self.columns[i];
        if column.media_only && !column.addrs.contains(&address) {
            column.addrs.push(address);
        }
        i
    }
}

/// Lays out the messages of a call (or exchange) and the streams given as (index in
/// `rtp.streams`, stream).
pub fn layout(
    messages: &[LadderMessage],
    streams: &[(usize, &RtpStream)],
    options: Options,
) -> Ladder {
    let mut columns = Columns {
        merge: options.merge_hosts,
        columns: Vec::new(),
    };
    let mut rows: Vec<Row> = Vec::with_capacity(messages.len() + streams.len());
    for (i, m) in messages.iter().enumerate() {
        let from = columns.signalling(m.src);
        let to = columns.signalling(m.dst);
        rows.push(Row {
            kind: RowKind::Message(i),
            time: m.time,
            from,
            to,
            label: m.label.clone(),
            frame: m.frame,
            retransmission: m.retransmission,
            sdp: m.sdp,
        });
    }
    let mut media_rows: Vec<Row> = streams
        .iter()
        .map(|&(index, s)| Row {
            kind: RowKind::Media(index),
            time: s.start,
            from: columns.media(s.src),
            to: columns.media(s.dst),
            label: media::arrow_label(s),
            frame: s.first_frame,
            retransmission: false,
            sdp: false,
        })
        .collect();
    // Each key press of a stream, where it was pressed.
    for &(index, s) in streams {
        let (from, to) = (columns.media(s.src), columns.media(s.dst));
        for (k, p) in s.dtmf.iter().enumerate() {
            media_rows.push(Row {
                kind: RowKind::Dtmf(index, k),
                time: p.start,
                from,
                to,
                label: format!("DTMF {} ({:.0} ms)", p.key, p.duration_ms),
                frame: p.frame,
                retransmission: false,
                sdp: false,
            });
        }
    }
    callscope_analysis::order::sort_by(&mut media_rows, |a, b| a.time.total_cmp(&b.time));
    // Merge by time; a stream goes after the messages of its instant (its SDP answer first).
    let mut out = Vec::with_capacity(rows.len() + media_rows.len());
    let mut media_rows = media_rows.into_iter().peekable();
    for row in rows {
        while let Some(m) = media_rows.next_if(|m| m.time < row.time) {
            out.push(m);
        }
        out.push(row);
    }
    out.extend(media_rows);
    Ladder {
        columns: columns.columns,
        rows: out,
    }
}

/// Characters per column in [`text`].
pub const TEXT_COLUMN: usize = 30;

/// The ladder as text lines: a header of column names, the rails, then one line per row with its
/// time (seconds into the capture) and a note (`frame 12`, `(retransmission)`, `stream 3`).
/// Messages are drawn `--->`, media `===>`.
pub fn text(ladder: &Ladder) -> Vec<String> {
    let w = TEXT_COLUMN;
    let x = |i: usize| i * w + w / 2;
    let width = ladder.columns.len() * w;
    let mut lines = Vec::with_capacity(ladder.rows.len() + 2);
    let mut header = vec![' '; width];
    for (i, c) in ladder.columns.iter().enumerate() {
        let name: Vec<char> = c.label.chars().take(w - 2).collect();
        let start = x(i).saturating_sub(name.len() / 2);
        for (k, ch) in name.into_iter().enumerate() {
            if let Some(slot) = header.get_mut(start + k) {
                *slot = ch;
            }
        }
    }
    lines.push(format!(
        "{:>12} {}",
        "",
        header.iter().collect::<String>().trim_end()
    ));
    let mut rail = vec![' '; width];
    for i in 0..ladder.columns.len() {
        rail[x(i)] = '|';
    }
    lines.push(format!(
        "{:>12} {}",
        "",
        rail.iter().collect::<String>().trim_end()
    ));
    for row in &ladder.rows {
        let media = matches!(row.kind, RowKind::Media(_) | RowKind::Dtmf(..));
        let mut line = rail.clone();
        let (lo, hi) = (x(row.from.min(row.to)), x(row.from.max(row.to)));
        if lo == hi {
            // Sent to itself: a short hook beside the rail.
            for (k, ch) in format!("-> {}", row.label).chars().enumerate() {
                if let Some(slot) = line.get_mut(lo + 1 + k) {
                    *slot = ch;
                }
            }
        } else {
            for slot in &mut line[lo + 1..hi] {
                *slot = if media { '=' } else { '-' };
            }
            if row.to > row.from {
                line[hi - 1] = '>';
            } else {
                line[lo + 1] = '<';
            }
            let span = hi - lo - 3;
            let mut label: Vec<char> = format!(" {} ", row.label).chars().collect();
            if label.len() > span {
                // Keep the arrow visible: cut the label and say so.
                label.truncate(span - 4);
                label.extend("… ".chars());
            }
            let start = lo + 2 + (span - label.len()) / 2;
            for (k, ch) in label.into_iter().enumerate() {
                line[start + k] = ch;
            }
        }
        let note = match row.kind {
            RowKind::Media(i) => format!("  stream {} from frame {}", i + 1, row.frame),
            RowKind::Dtmf(i, _) => format!("  stream {} frame {}", i + 1, row.frame),
            RowKind::Message(_) if row.retransmission => {
                format!("  frame {} (retransmission)", row.frame)
            }
            RowKind::Message(_) => format!("  frame {}", row.frame),
        };
        lines.push(format!(
            "{:>12.6} {}{note}",
            row.time,
            line.iter().collect::<String>().trim_end()
        ));
    }
    lines
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::format::list;

    fn msg(frame: u64, src: &str, dst: &str, label: &str) -> LadderMessage {
        LadderMessage {
            frame,
            time: frame as f64 / 10.0,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            label: label.into(),
            ..LadderMessage::default()
        }
    }

    fn stream(src: &str, dst: &str, start: f64) -> RtpStream {
        RtpStream {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            payload: "g711U".into(),
            packets: 250,
            lost: 2,
            start,
            first_frame: 9,
            ..RtpStream::default()
        }
    }

    fn call() -> Vec<LadderMessage> {
        vec![
            msg(1, "10.0.0.1:5060", "10.0.0.2:5060", "INVITE (SDP)"),
            msg(2, "10.0.0.2:5060", "10.0.0.1:5060", "180 Ringing"),
            msg(3, "10.0.0.2:5060", "10.0.0.1:5060", "200 OK (SDP)"),
            msg(4, "10.0.0.1:5060", "10.0.0.2:5062", "ACK"),
        ]
    }

    #[test]
    fn one_column_per_host_port_and_one_row_per_message() {
        let l = layout(&call(), &[], Options::default());
        let labels: Vec<&str> = l.columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["10.0.0.1:5060", "10.0.0.2:5060", "10.0.0.2:5062"]);
        assert_eq!(l.rows.len(), 4);
        assert_eq!((l.rows[0].from, l.rows[0].to), (0, 1));
        assert_eq!((l.rows[1].from, l.rows[1].to), (1, 0));
        assert_eq!((l.rows[3].from, l.rows[3].to), (0, 2));
    }

    #[test]
    fn merging_puts_a_hosts_ports_in_one_column() {
        let l = layout(&call(), &[], Options { merge_hosts: true });
        let labels: Vec<&str> = l.columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(list(&l.columns[1].addrs), "10.0.0.2:5060, 10.0.0.2:5062");
        assert_eq!((l.rows[3].from, l.rows[3].to), (0, 1));
    }

    #[test]
    fn streams_run_between_their_hosts_after_the_answer() {
        let a = stream("10.0.0.1:6000", "10.0.0.2:6002", 0.3);
        let b = stream("10.0.0.2:6002", "192.0.2.9:7000", 0.35);
        let l = layout(&call(), &[(4, &a), (7, &b)], Options::default());
        assert_eq!(l.columns.len(), 4, "{:?}", l.columns);
        assert!(l.columns[3].media_only);
        assert_eq!(l.columns[3].label, "192.0.2.9:7000");
        let kinds: Vec<RowKind> = l.rows.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                RowKind::Message(0),
                RowKind::Message(1),
                RowKind::Message(2),
                RowKind::Media(4),
                RowKind::Media(7),
                RowKind::Message(3)
            ]
        );
        assert_eq!((l.rows[3].from, l.rows[3].to), (0, 1));
        assert_eq!(l.rows[3].label, "g711U 250 pkts, 2 lost");
    }

    #[test]
    fn key_presses_are_rows_at_their_time() {
        let mut a = stream("10.0.0.1:6000", "10.0.0.2:6002", 0.3);
        a.dtmf = vec![callscope_analysis::rtp::DtmfPress {
            key: "#".into(),
            start: 0.32,
            duration_ms: 100.0,
            frame: 11,
            ended: true,
            volume: 10,
        }];
        let l = layout(&call(), &[(4, &a)], Options::default());
        let row = l
            .rows
            .iter()
            .find(|r| r.kind == RowKind::Dtmf(4, 0))
            .unwrap();
        assert_eq!(
            (row.label.as_str(), row.from, row.to, row.frame),
            ("DTMF # (100 ms)", 0, 1, 11)
        );
        let lines = text(&l);
        assert!(
            lines.iter().any(|l| l.contains("DTMF # (100 ms)")
                && l.contains("==>")
                && l.ends_with("stream 5 frame 11")),
            "{lines:#?}"
        );
    }

    #[test]
    fn a_media_only_host_is_one_column_when_merged() {
        let a = stream("192.0.2.9:7000", "10.0.0.1:6000", 0.3);
        let b = stream("192.0.2.9:7002", "10.0.0.1:6002", 0.4);
        let merged = layout(&call(), &[(0, &a), (1, &b)], Options { merge_hosts: true });
        let labels: Vec<&str> = merged.columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["10.0.0.1", "10.0.0.2", "192.0.2.9"]);
        assert_eq!(
            list(&merged.columns[2].addrs),
            "192.0.2.9:7000, 192.0.2.9:7002"
        );
        let apart = layout(&call(), &[(0, &a), (1, &b)], Options::default());
        assert_eq!(
            apart.columns.len(),
            5,
            "per ip:port, each media port has its column"
        );
    }

    #[test]
    fn text_arrows_point_from_sender_to_receiver() {
        let a = stream("10.0.0.1:6000", "10.0.0.2:6002", 0.3);
        let lines = text(&layout(&call()[..3], &[(0, &a)], Options::default()));
        assert!(lines[0].contains("10.0.0.1:5060") && lines[0].contains("10.0.0.2:5060"));
        assert!(
            lines[2].contains("|------- INVITE (SDP) ------->|"),
            "{lines:#?}"
        );
        assert!(lines[2].ends_with("frame 1"));
        assert!(
            lines[3].contains("|<------- 180 Ringing --------|"),
            "{lines:#?}"
        );
        assert!(
            lines[5].contains("|== g711U 250 pkts, 2 lost ==>|"),
            "{lines:#?}"
        );
        assert!(lines[5].ends_with("stream 1 from frame 9"));
    }
}
