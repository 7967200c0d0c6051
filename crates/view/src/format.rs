//! Numbers, sizes, durations and clock times as people read them on the page (and wherever
//! else a view wants the same rules).

/// The digit-group separator: U+202F NARROW NO-BREAK SPACE, as SI and ISO 80000-1 write large
/// numbers (a comma or a dot would be a decimal mark somewhere).
pub const GROUP: char = '\u{202f}';

/// A count with digit groups: `1 234 567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() * 2);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(GROUP);
        }
        out.push(ch);
    }
    out
}

/// A signed count with digit groups (RTP loss is negative with duplicates).
pub fn signed(n: i64) -> String {
    if n < 0 {
        format!("−{}", count(n.unsigned_abs()))
    } else {
        count(n.unsigned_abs())
    }
}

/// Bytes in SI units, as tshark prints them: `812 B`, `15.3 kB`, `1.2 MB`, `3.40 GB`.
pub fn bytes(b: u64) -> String {
    match b {
        0..=9_999 => format!("{b} B"),
        10_000..=9_999_999 => format!("{:.1} kB", b as f64 / 1e3),
        10_000_000..=9_999_999_999 => format!("{:.1} MB", b as f64 / 1e6),
        _ => format!("{:.2} GB", b as f64 / 1e9),
    }
}

/// A duration for people: `850 ms`, `12.4 s`, `3 min 05 s`, `2 h 07 min`, `113 d 5 h`.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "—".into();
    }
    if secs < 1.0 {
        return format!("{:.0} ms", secs * 1e3);
    }
    if secs < 60.0 {
        return format!("{secs:.1} s");
    }
    let s = secs.round() as u64;
    match s {
        0..=3_599 => format!("{} min {:02} s", s / 60, s % 60),
        3_600..=86_399 => format!("{} h {:02} min", s / 3_600, s % 3_600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3_600),
    }
}

/// Milliseconds with one decimal: `12.3 ms`.
pub fn ms(v: f64) -> String {
    format!("{v:.1} ms")
}

/// Seconds into the capture, to the microsecond as tshark shows relative times.
pub fn rel(secs: f64) -> String {
    format!("{secs:.6}")
}

/// A calendar date and clock time, `2026-11-22 14:03:21.123`, for `unix` seconds shifted by
/// `offset_min` minutes east of UTC (the viewer's zone; 0 for UTC).
pub fn clock(unix: f64, offset_min: i32) -> String {
    if !unix.is_finite() {
        return "—".into();
    }
    let ms_total = (unix * 1e3).round() as i64 + i64::from(offset_min) * 60_000;
    let days = ms_total.div_euclid(86_400_000);
    let in_day = ms_total.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1_000 % 60,
        in_day % 1_000
    )
}

/// The clock time alone (`14:03:21.123`) of [`clock`], for columns where the date is the
/// capture's own.
pub fn time_of_day(unix: f64, offset_min: i32) -> String {
    let full = clock(unix, offset_min);
    match full.split_once(' ') {
        Some((_, time)) => time.to_owned(),
        None => full,
    }
}

/// The zone's name for [`clock`]: `UTC`, `UTC+01:00`, `UTC−05:30`.
pub fn zone(offset_min: i32) -> String {
    if offset_min == 0 {
        return "UTC".into();
    }
    let sign = if offset_min > 0 { '+' } else { '−' };
    let a = offset_min.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", a / 60, a % 60)
}

/// Year, month, day of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`, proleptic
/// Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Percent with one decimal: `12.5 %`.
pub fn pct(v: f64) -> String {
    format!("{v:.1} %")
}

/// Items written one after another with `, ` between (addresses, names).
pub fn list<T: std::fmt::Display>(items: &[T]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&item.to_string());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_separated_by_commas() {
        assert_eq!(list::<u8>(&[]), "");
        assert_eq!(list(&[1, 2, 3]), "1, 2, 3");
    }

    #[test]
    fn counts_get_digit_groups() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1\u{202f}000");
        assert_eq!(count(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(signed(-12_345), "−12\u{202f}345");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(0.25), "250 ms");
        assert_eq!(duration(12.44), "12.4 s");
        assert_eq!(duration(185.0), "3 min 05 s");
        assert_eq!(duration(7_620.0), "2 h 07 min");
        assert_eq!(duration(9_783_934.0), "113 d 5 h");
    }

    #[test]
    fn clock_times_are_calendar_dates() {
        assert_eq!(clock(0.0, 0), "1970-01-01 00:00:00.000");
        // 2024-02-29 12:34:56.789 UTC (a leap day).
        assert_eq!(clock(1_709_210_096.789, 0), "2024-02-29 12:34:56.789");
        assert_eq!(clock(1_709_210_096.789, 60), "2024-02-29 13:34:56.789");
        assert_eq!(clock(1_709_164_800.0, -330), "2024-02-28 18:30:00.000");
        assert_eq!(time_of_day(1_709_210_096.789, 0), "12:34:56.789");
        assert_eq!(zone(-330), "UTC−05:30");
        assert_eq!(zone(60), "UTC+01:00");
    }
}
