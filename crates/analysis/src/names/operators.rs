//! Mobile network codes (MCC + MNC) to the operator and country that use them.
//!
//! The table is `operators.tsv` beside this file, generated from the npm package `mcc-mnc-list`
//! (data from Wikipedia, CC BY-SA 4.0; see `DATA.md`). It is compiled in and parsed on first use,
//! so the page needs no fetch and the lookup no I/O.

use std::sync::OnceLock;

/// The generated table: `mcc<TAB>mnc<TAB>operator<TAB>country_code<TAB>country_name`, `#` comments.
const TABLE: &str = include_str!("operators.tsv");

/// A mobile network: who runs the code and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// Mobile country code, three digits.
    pub mcc: String,
    /// Mobile network code as the operator writes it: two or three digits, leading zeros kept.
    pub mnc: String,
    /// The name people know: the brand when there is one (`T-Mobile`), else the company.
    pub name: String,
    /// ISO 3166 alpha-2 code (`US`), sometimes several (`BL/GF/GP/MF/MQ`); empty for
    /// international codes (MCC 901) and test networks.
    pub country_code: String,
    /// Country or territory name as Wikipedia gives it (`United States of America`);
    /// `International` for MCC 901, empty for test networks.
    pub country: String,
}

/// Every operator in the table, sorted by MCC then MNC.
pub fn all() -> &'static [Operator] {
    static OPERATORS: OnceLock<Vec<Operator>> = OnceLock::new();
    OPERATORS.get_or_init(|| parse(TABLE))
}

/// The operator of `mcc` and `mnc`.
///
/// `mnc` may be three digits zero-padded, as 3GPP domain names write it (`mnc026`): it is tried
/// as given, then without one leading zero, so `026` finds MNC `26` of a two-digit country and
/// `026` of a three-digit one. Anything but 3 digits for `mcc` and 2–3 for `mnc` gives `None`.
pub fn lookup(mcc: &str, mnc: &str) -> Option<&'static Operator> {
    if !digits(mcc, 3, 3) || !digits(mnc, 2, 3) {
        return None;
    }
    let exact = find(mcc, mnc);
    if exact.is_some() {
        return exact;
    }
    match mnc.strip_prefix('0') {
        Some(short) if short.len() == 2 => find(mcc, short),
        _ => None,
    }
}

fn find(mcc: &str, mnc: &str) -> Option<&'static Operator> {
    let table = all();
    table
        .binary_search_by(|o| (o.mcc.as_str(), o.mnc.as_str()).cmp(&(mcc, mnc)))
        .ok()
        .and_then(|i| table.get(i))
}

/// True when `s` is `min..=max` ASCII digits.
pub(super) fn digits(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// The rows of a table; malformed lines are skipped (the generator never writes one).
fn parse(table: &str) -> Vec<Operator> {
    let mut rows: Vec<Operator> = table
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let row = Operator {
                mcc: fields.next()?.to_owned(),
                mnc: fields.next()?.to_owned(),
                name: fields.next()?.to_owned(),
                country_code: fields.next()?.to_owned(),
                country: fields.next()?.to_owned(),
            };
            let well_formed = fields.next().is_none()
                && digits(&row.mcc, 3, 3)
                && digits(&row.mnc, 2, 3)
                && !row.name.is_empty();
            well_formed.then_some(row)
        })
        .collect();
    crate::order::sort_by(&mut rows, |a, b| (&a.mcc, &a.mnc).cmp(&(&b.mcc, &b.mnc)));
    rows.dedup_by(|b, a| a.mcc == b.mcc && a.mnc == b.mnc);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_every_row() {
        let data_lines = TABLE
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .count();
        assert_eq!(all().len(), data_lines);
        assert!(all().len() > 1000);
    }

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(all()
            .windows(2)
            .all(|w| (&w[0].mcc, &w[0].mnc) < (&w[1].mcc, &w[1].mnc)));
    }

    #[test]
    fn t_mobile_us() {
        let op = lookup("310", "260").unwrap();
        assert!(op.name.contains("T-Mobile"), "{op:?}");
        assert_eq!(op.country_code, "US");
        assert!(op.country.contains("United States"));
    }

    #[test]
    fn vodafone_uk() {
        let op = lookup("234", "15").unwrap();
        assert!(op.name.contains("Vodafone"), "{op:?}");
        assert_eq!(op.country_code, "GB");
    }

    #[test]
    fn padded_mnc_falls_back_to_two_digits() {
        assert!(lookup("234", "015").is_some());
        assert_eq!(lookup("234", "015"), lookup("234", "15"));
        assert_eq!(lookup("234", "030").unwrap().mnc, "30");
    }

    #[test]
    fn three_digit_mnc_is_tried_first() {
        // 310 has three-digit MNCs; "032" is one of them, not MNC "32".
        assert_eq!(lookup("310", "032").unwrap().mnc, "032");
        assert!(lookup("310", "410").unwrap().name.contains("AT&T"));
    }

    #[test]
    fn bad_input_is_none() {
        for (mcc, mnc) in [
            ("", ""),
            ("31", "260"),
            ("3100", "260"),
            ("310", "2"),
            ("310", "2600"),
            ("31x", "260"),
            ("310", "26x"),
            ("３１０", "260"),
            ("310", "-26"),
            ("999", "98"),
        ] {
            assert_eq!(lookup(mcc, mnc), None, "{mcc}/{mnc}");
        }
    }
}
