//! The text report's first section: the verdicts, each with its confidence, its explanation and
//! what it rests on.

use std::io::{self, Write};

use callscope_analysis::verdicts::{Confidence, Evidence};
use callscope_analysis::Report;

pub fn write(out: &mut dyn Write, r: &Report, top: usize) -> io::Result<()> {
    if r.verdicts.is_empty() {
        return Ok(());
    }
    writeln!(out, "Verdicts")?;
    for v in r.verdicts.iter().take(top) {
        writeln!(out, "  [{}] {}", v.confidence.as_str(), v.title)?;
        writeln!(out, "      {}", v.detail)?;
        if v.confidence != Confidence::Certain {
            if let Some(c) = &v.certain_if {
                writeln!(out, "      certain if: {c}")?;
            }
        }
        let evidence = evidence(&v.evidence);
        if !evidence.is_empty() {
            writeln!(out, "      evidence: {evidence}")?;
        }
    }
    super::more(out, r.verdicts.len(), top)?;
    writeln!(out)
}

/// The evidence on one line: `frames 1, 4; tunnel 1; call abc@host`.
fn evidence(e: &Evidence) -> String {
    const SHOWN: usize = 6;
    fn list<T: ToString>(label: &str, items: &[T]) -> Option<String> {
        if items.is_empty() {
            return None;
        }
        let mut text: Vec<String> = items.iter().take(SHOWN).map(T::to_string).collect();
        if items.len() > SHOWN {
            text.push(format!("… {} more", items.len() - SHOWN));
        }
        Some(format!("{label} {}", text.join(", ")))
    }
    let one_based = |v: &[usize]| v.iter().map(|i| i + 1).collect::<Vec<_>>();
    [
        list("tunnel", &one_based(&e.tunnels)),
        list("call", &e.calls),
        list("stream", &one_based(&e.streams)),
        list("flow", &e.flows),
        list("name", &e.names),
        list("interface", &e.interfaces),
        list("process", &e.processes),
        list("frame", &e.frames),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_lists_are_one_based_and_cut() {
        let e = Evidence {
            tunnels: vec![0],
            frames: (1..=8).collect(),
            names: vec!["epdg.example".into()],
            ..Evidence::default()
        };
        assert_eq!(
            evidence(&e),
            "tunnel 1; name epdg.example; frame 1, 2, 3, 4, 5, 6, … 2 more"
        );
    }
}
