//! One stable sort for the report's and the views' rows. A slice's own `sort_by` builds the whole
//! sorting algorithm (several kB of wasm) for each element type and comparison; in the page's
//! module, which holds the decoder too, two dozen of those were a tenth of its code. These sort
//! the rows' indices with a `dyn` comparison instead, so the algorithm is built once, then move
//! the rows into place. The order is exactly `sort_by`'s: stable, equal rows keep their order.
//! Meant for tables (built once per report or per view), not for a per-packet path.

use std::cmp::Ordering;

/// Sorts `rows` as `rows.sort_by(compare)` would.
pub fn sort_by<T>(rows: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    let order = sorted_indices(rows.len(), &|a, b| compare(&rows[a], &rows[b]));
    permute(rows, order);
}

/// Sorts `rows` as `rows.sort_by_key(key)` would.
pub fn sort_by_key<T, K: Ord>(rows: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(rows, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `rows` as `rows.sort_by_cached_key(key)` would: each key computed once.
pub fn sort_by_cached_key<T, K: Ord>(rows: &mut [T], key: impl Fn(&T) -> K) {
    let keys: Vec<K> = rows.iter().map(key).collect();
    let order = sorted_indices(rows.len(), &|a, b| keys[a].cmp(&keys[b]));
    permute(rows, order);
}

/// `0..n` stably sorted by `compare` (which compares rows by their indices): the one
/// instantiation of the sorting algorithm, for views that keep their rows in place.
pub fn sorted_indices(n: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Moves the rows so that position `i` holds the row that was at `order[i]` (`order` is a
/// permutation), one cycle of the permutation at a time, with swaps.
fn permute<T>(rows: &mut [T], mut order: Vec<usize>) {
    for start in 0..rows.len() {
        let mut at = start;
        // Each position's row comes from `order[at]`; a position done points at itself.
        while order[at] != at {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            rows.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same order as the standard library's stable sorts, ties included (the rows carry
        /// their original position, the key looks at a few bits only).
        #[test]
        fn sorts_as_the_standard_sorts(keys in proptest::collection::vec(0u8..8, 0..200)) {
            let rows: Vec<(u8, usize)> = keys.into_iter().zip(0..).collect();
            let mut expected = rows.clone();
            expected.sort_by_key(|r| r.0);
            let mut by = rows.clone();
            sort_by(&mut by, |a, b| a.0.cmp(&b.0));
            prop_assert_eq!(&by, &expected);
            let mut by_key = rows.clone();
            sort_by_key(&mut by_key, |r| r.0);
            prop_assert_eq!(&by_key, &expected);
            let mut cached = rows.clone();
            sort_by_cached_key(&mut cached, |r| std::cmp::Reverse(r.0));
            expected.sort_by_key(|r| std::cmp::Reverse(r.0));
            prop_assert_eq!(&cached, &expected);
        }
    }

    #[test]
    fn moves_rows_that_are_not_copy() {
        let mut rows: Vec<String> = ["c", "a", "b", "a"].map(String::from).to_vec();
        sort_by(&mut rows, |a, b| a.cmp(b));
        assert_eq!(rows, ["a", "a", "b", "c"]);
    }
}
