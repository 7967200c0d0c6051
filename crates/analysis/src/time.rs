//! Differences of capture times without overflow: timestamps come from the file and may be
//! anywhere in `i64`'s range (pcapng's `if_tsoffset` alone moves them by ±2⁶³ s), so a plain
//! subtraction could wrap (or panic with overflow checks). These widen to `i128` first.

/// Nanoseconds from `from_ns` to `to_ns`, saturated to `i64`.
pub fn ns_between(from_ns: i64, to_ns: i64) -> i64 {
    let d = i128::from(to_ns) - i128::from(from_ns);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

/// Seconds from `from_ns` to `to_ns`.
pub fn secs_between(from_ns: i64, to_ns: i64) -> f64 {
    (i128::from(to_ns) - i128::from(from_ns)) as f64 / 1e9
}

/// Milliseconds from `from_ns` to `to_ns`.
pub fn ms_between(from_ns: i64, to_ns: i64) -> f64 {
    (i128::from(to_ns) - i128::from(from_ns)) as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_never_wrap() {
        assert_eq!(ns_between(i64::MIN, i64::MAX), i64::MAX);
        assert_eq!(ns_between(i64::MAX, i64::MIN), i64::MIN);
        assert_eq!(ns_between(5, 2), -3);
        assert!(secs_between(i64::MIN, i64::MAX) > 1.8e10);
        assert_eq!(secs_between(1_000_000_000, 3_500_000_000), 2.5);
        assert_eq!(ms_between(0, 1_500_000), 1.5);
    }
}
