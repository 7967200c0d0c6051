//! Reads the `NAME.tshark.txt` files that tshark 4.0.17 wrote beside each reference capture
//! (../shared/captures/generated/gen/oracle.sh): capinfos, endpoints, conversations, hierarchy.

use std::collections::BTreeMap;

/// One section of the file: the lines after `### tshark ... <title>` up to the next `###`.
pub fn section<'a>(text: &'a str, contains: &str) -> Option<Vec<&'a str>> {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("### ") && line.contains(contains) {
            return Some(lines.take_while(|l| !l.starts_with("### ")).collect());
        }
    }
    None
}

/// capinfos' "Number of packets".
pub fn packets(text: &str) -> Option<u64> {
    let capinfos = section(text, "capinfos")?;
    capinfos.iter().find_map(|l| {
        l.strip_prefix("Number of packets:")
            .map(|v| v.trim().replace(',', "").parse().ok())
    })?
}

/// An endpoint row: packets, bytes, tx packets, tx bytes, rx packets, rx bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EndpointRow {
    pub packets: u64,
    pub bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub rx_packets: u64,
    pub rx_bytes: u64,
}

/// `-z endpoints,ip` and `endpoints,ipv6` rows by address.
pub fn endpoints(text: &str) -> BTreeMap<String, EndpointRow> {
    let mut out = BTreeMap::new();
    for title in ["-z endpoints,ip\n", "-z endpoints,ipv6"] {
        let title = title.trim_end_matches('\n');
        let Some(lines) = section_exact(text, title) else {
            continue;
        };
        for line in lines {
            let t: Vec<&str> = line.split_whitespace().collect();
            if t.len() == 7 && t[1..].iter().all(|v| v.parse::<u64>().is_ok()) {
                let n: Vec<u64> = t[1..].iter().map(|v| v.parse().unwrap_or(0)).collect();
                out.insert(
                    t[0].to_owned(),
                    EndpointRow {
                        packets: n[0],
                        bytes: n[1],
                        tx_packets: n[2],
                        tx_bytes: n[3],
                        rx_packets: n[4],
                        rx_bytes: n[5],
                    },
                );
            }
        }
    }
    out
}

fn section_exact<'a>(text: &'a str, title_end: &str) -> Option<Vec<&'a str>> {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("### ") && line.trim_end().ends_with(title_end) {
            return Some(lines.take_while(|l| !l.starts_with("### ")).collect());
        }
    }
    None
}

/// A byte count as tshark prints it: exact ("1491 bytes") or rounded ("53 kB", "1 MB").
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bytes {
    Exact(u64),
    Approx { value: u64, unit: u64 },
}

impl Bytes {
    fn parse(value: &str, unit: &str) -> Option<Bytes> {
        let v: u64 = value.parse().ok()?;
        match unit {
            "bytes" => Some(Bytes::Exact(v)),
            "kB" => Some(Bytes::Approx {
                value: v,
                unit: 1000,
            }),
            "MB" => Some(Bytes::Approx {
                value: v,
                unit: 1_000_000,
            }),
            "GB" => Some(Bytes::Approx {
                value: v,
                unit: 1_000_000_000,
            }),
            _ => None,
        }
    }

    /// Whether `exact` prints as this value.
    pub fn matches(&self, exact: u64) -> bool {
        match *self {
            Bytes::Exact(v) => v == exact,
            Bytes::Approx { value, unit } => (exact / unit).abs_diff(value) <= 1,
        }
    }
}

/// A conversation row: A, B, frames B→A, bytes B→A, frames A→B, bytes A→B, total frames and bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvRow {
    pub a: String,
    pub b: String,
    pub frames_b_to_a: u64,
    pub frames_a_to_b: u64,
    pub frames: u64,
    pub bytes: Bytes,
}

/// `-z conv,udp` or `conv,tcp` rows.
pub fn conversations(text: &str, transport: &str) -> Vec<ConvRow> {
    let Some(lines) = section_exact(text, &format!("-z conv,{transport}")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in lines {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() != 14 || t[1] != "<->" {
            continue;
        }
        let num = |i: usize| t[i].parse::<u64>().ok();
        let (Some(f1), Some(f2), Some(f3), Some(bytes)) =
            (num(3), num(6), num(9), Bytes::parse(t[10], t[11]))
        else {
            continue;
        };
        out.push(ConvRow {
            a: t[0].to_owned(),
            b: t[2].to_owned(),
            frames_b_to_a: f1,
            frames_a_to_b: f2,
            frames: f3,
            bytes,
        });
    }
    out
}

/// `-z io,phs` (the first, non-heuristic one): (path, frames, bytes) in file order.
pub fn hierarchy(text: &str) -> Vec<(Vec<String>, u64, u64)> {
    let Some(lines) = section_exact(text, "-q -z io,phs") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    for line in lines {
        let Some(frames_at) = line.find("frames:") else {
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        let depth = indent / 2;
        let name = line.split_whitespace().next().unwrap_or("").to_owned();
        let rest: Vec<&str> = line[frames_at..].split_whitespace().collect();
        let frames = rest
            .first()
            .and_then(|v| v.strip_prefix("frames:"))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let bytes = rest
            .get(1)
            .and_then(|v| v.strip_prefix("bytes:"))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        stack.truncate(depth);
        stack.push(name);
        out.push((stack.clone(), frames, bytes));
    }
    out
}
