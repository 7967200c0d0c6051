//! Views of a report: one file per section.

pub mod conversations;
pub mod endpoints;
pub mod hierarchy;
pub mod processes;
pub mod report;
pub mod summary;

/// Bytes in human units (SI, as tshark prints them).
pub fn human_bytes(b: u64) -> String {
    match b {
        0..=9_999 => format!("{b} B"),
        10_000..=9_999_999 => format!("{:.1} kB", b as f64 / 1e3),
        10_000_000..=9_999_999_999 => format!("{:.1} MB", b as f64 / 1e6),
        _ => format!("{:.2} GB", b as f64 / 1e9),
    }
}
