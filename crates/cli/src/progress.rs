//! A one-line progress bar on standard error, for terminals only and only for inputs large enough
//! to wait on.

use std::io::Write;
use std::time::{Duration, Instant};

use callscope_analysis::Progress;

/// Inputs smaller than this finish before a bar would help.
const MIN_SIZE: u64 = 32 << 20;

pub struct ProgressBar {
    total: Option<u64>,
    enabled: bool,
    started: Instant,
    last: Instant,
    drawn: bool,
}

impl ProgressBar {
    pub fn new(total: Option<u64>, terminal: bool) -> Self {
        let enabled = terminal && total.is_none_or(|t| t >= MIN_SIZE);
        let now = Instant::now();
        ProgressBar {
            total,
            enabled,
            started: now,
            last: now,
            drawn: false,
        }
    }

    pub fn update(&mut self, p: &Progress) {
        if !self.enabled || self.last.elapsed() < Duration::from_millis(100) {
            return;
        }
        self.last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let mb = p.bytes_fed as f64 / 1e6;
        let line = match self.total {
            Some(total) if total > 0 => {
                let frac = (p.bytes_fed as f64 / total as f64).min(1.0);
                let filled = (frac * 30.0) as usize;
                format!(
                    "[{}{}] {:5.1}% {mb:.0}/{:.0} MB {:.0} MB/s {} packets {} flows",
                    "#".repeat(filled),
                    " ".repeat(30 - filled),
                    frac * 100.0,
                    total as f64 / 1e6,
                    mb / secs,
                    p.packets,
                    p.flows
                )
            }
            _ => format!(
                "{mb:.0} MB {:.0} MB/s {} packets {} flows",
                mb / secs,
                p.packets,
                p.flows
            ),
        };
        eprint!("\r{line}\x1b[K");
        let _ = std::io::stderr().flush();
        self.drawn = true;
    }

    pub fn done(&mut self) {
        if self.drawn {
            eprint!("\r\x1b[K");
            let _ = std::io::stderr().flush();
        }
    }
}
