//! A waveform's outline for drawing: the smallest and largest sample of each of `columns`
//! equal slices, so a minute of audio draws as a thousand vertical strokes.

/// (min, max) per column; fewer columns when there are fewer samples.
pub fn peaks(samples: &[i16], columns: usize) -> Vec<(i16, i16)> {
    if samples.is_empty() || columns == 0 {
        return Vec::new();
    }
    let per = samples.len().div_ceil(columns);
    samples
        .chunks(per)
        .map(|c| {
            c.iter()
                .fold((i16::MAX, i16::MIN), |(lo, hi), &s| (lo.min(s), hi.max(s)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_hold_their_extremes() {
        let s = [0, 5, -3, 2, 9, -9, 1];
        assert_eq!(peaks(&s, 3), [(-3, 5), (-9, 9), (1, 1)]);
        assert_eq!(peaks(&s, 100).len(), 7);
        assert!(peaks(&[], 10).is_empty());
    }
}
