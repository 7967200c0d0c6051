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
    wide_difference(from_ns, to_ns) / 1e9
}

/// Milliseconds from `from_ns` to `to_ns`.
pub fn ms_between(from_ns: i64, to_ns: i64) -> f64 {
    wide_difference(from_ns, to_ns) / 1e6
}

/// `to_ns - from_ns` as the nearest `f64`. Converting an `i128` is a library call (a fifth of
/// an RTP packet's arrival bookkeeping); a difference that fits `i64`, as every real one does,
/// converts in one instruction to the same nearest value.
fn wide_difference(from_ns: i64, to_ns: i64) -> f64 {
    match to_ns.checked_sub(from_ns) {
        Some(d) => d as f64,
        None => (i128::from(to_ns) - i128::from(from_ns)) as f64,
    }
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
        // Near i64's limits both paths round to the same nearest f64.
        for (a, b) in [
            (0, i64::MAX),
            (-1, i64::MAX),
            (i64::MIN, 0),
            (i64::MIN, -1),
            (3, (1 << 53) + 1),
        ] {
            let exact = (i128::from(b) - i128::from(a)) as f64;
            assert_eq!(ms_between(a, b), exact / 1e6);
            assert_eq!(secs_between(a, b), exact / 1e9);
        }
    }
}
