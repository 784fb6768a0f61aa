//! Out-of-sample checks of fitted probabilities: proper scores (Brier, log loss), the AUC,
//! calibration tables, and the deterministic k-fold split that cross-validation runs on.
//!
//! The score functions take one predicted probability and one observed outcome per row and
//! panic if the two slices differ in length (a programming error, not a data error).

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;

/// Log loss clamps predictions into `[ε, 1 − ε]`, so one confident miss costs ln(1/ε) ≈ 34.5
/// rather than infinity.
const LOG_LOSS_EPSILON: f64 = 1e-15;

fn check_lengths(p: &[f64], y: &[bool]) {
    assert_eq!(
        p.len(),
        y.len(),
        "one predicted probability per observed outcome"
    );
}

/// The mean squared difference between the predicted probability and the 0/1 outcome; NaN
/// when there are no rows.
pub fn brier(p: &[f64], y: &[bool]) -> f64 {
    check_lengths(p, y);
    let total: f64 = p
        .iter()
        .zip(y)
        .map(|(&p, &y)| (p - f64::from(u8::from(y))).powi(2))
        .sum();
    total / p.len() as f64
}

/// The mean negative log-likelihood of the outcomes, `−mean(y ln p + (1 − y) ln(1 − p))`, with
/// p clamped into `[1e-15, 1 − 1e-15]`; NaN when there are no rows.
pub fn log_loss(p: &[f64], y: &[bool]) -> f64 {
    check_lengths(p, y);
    let total: f64 = p
        .iter()
        .zip(y)
        .map(|(&p, &y)| {
            let p = p.clamp(LOG_LOSS_EPSILON, 1.0 - LOG_LOSS_EPSILON);
            -(if y { p.ln() } else { (1.0 - p).ln() })
        })
        .sum();
    total / p.len() as f64
}

/// The area under the ROC curve: the probability that a random event row has a higher
/// prediction than a random non-event row, ties counting ½ (the Mann–Whitney statistic from
/// mid-ranks). NaN if either class is absent.
pub fn auc(p: &[f64], y: &[bool]) -> f64 {
    check_lengths(p, y);
    let events = y.iter().filter(|&&y| y).count();
    let non_events = y.len() - events;
    if events == 0 || non_events == 0 {
        return f64::NAN;
    }
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut event_rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && p[order[end]] == p[order[start]] {
            end += 1;
        }
        // Ranks start+1..=end share their mid-rank.
        let mid_rank = (start + 1 + end) as f64 / 2.0;
        event_rank_sum += mid_rank * order[start..end].iter().filter(|&&i| y[i]).count() as f64;
        start = end;
    }
    let (events, non_events) = (events as f64, non_events as f64);
    (event_rank_sum - events * (events + 1.0) / 2.0) / (events * non_events)
}

/// One bin of a calibration table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// The smallest and largest prediction in the bin.
    pub predicted_low: f64,
    pub predicted_high: f64,
    pub predicted_mean: f64,
    /// The share of rows in the bin where the event happened.
    pub observed_share: f64,
    pub rows: usize,
}

/// Sorts rows by predicted probability and cuts them into `bins` groups of equal count (sizes
/// differ by at most one, the larger ones first; deciles when `bins` = 10). Tied predictions
/// are ordered by row index, so a tie may straddle two bins but the table is deterministic.
/// With fewer rows than bins, every row gets its own bin; with no rows or `bins` = 0 the
/// table is empty.
pub fn calibration_table(p: &[f64], y: &[bool], bins: usize) -> Vec<CalibrationBin> {
    check_lengths(p, y);
    let bins = bins.min(p.len());
    if bins == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..p.len()).collect();
    // A stable sort keeps tied rows in index order.
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let (base, larger) = (p.len() / bins, p.len() % bins);
    let mut start = 0;
    (0..bins)
        .map(|bin| {
            let size = base + usize::from(bin < larger);
            let members = &order[start..start + size];
            start += size;
            let predictions = members.iter().map(|&i| p[i]);
            let count = size as f64;
            CalibrationBin {
                predicted_low: predictions.clone().fold(f64::INFINITY, f64::min),
                predicted_high: predictions.clone().fold(f64::NEG_INFINITY, f64::max),
                predicted_mean: predictions.sum::<f64>() / count,
                observed_share: members.iter().filter(|&&i| y[i]).count() as f64 / count,
                rows: size,
            }
        })
        .collect()
}

/// The rows of `0..rows` outside `held_out` (a fold from [`folds`]), in increasing order.
/// A mask, not a search of the fold per row: linear in the rows, where `contains` on the fold
/// made cross-validation quadratic (10⁶ rows never finished).
pub fn training_rows(rows: usize, held_out: &[usize]) -> Vec<usize> {
    let mut held = vec![false; rows];
    for &i in held_out {
        if let Some(slot) = held.get_mut(i) {
            *slot = true;
        }
    }
    (0..rows).filter(|&i| !held[i]).collect()
}

/// Splits rows `0..rows` into `k` folds: a Fisher–Yates shuffle seeded by `seed`
/// (Xoshiro256++), cut into consecutive pieces whose sizes differ by at most one. Every row
/// lands in exactly one fold; each fold lists its rows in increasing order. With `k > rows`
/// the last folds are empty.
///
/// Panics if `k` is 0.
pub fn folds(rows: usize, k: usize, seed: u64) -> Vec<Vec<usize>> {
    assert!(k > 0, "at least one fold");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut shuffled: Vec<usize> = (0..rows).collect();
    for i in (1..rows).rev() {
        let j = rng.random_range(0..=i);
        shuffled.swap(i, j);
    }
    let (base, larger) = (rows / k, rows % k);
    let mut start = 0;
    (0..k)
        .map(|fold| {
            let size = base + usize::from(fold < larger);
            let mut members = shuffled[start..start + size].to_vec();
            start += size;
            members.sort_unstable();
            members
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brier_and_log_loss_of_small_cases() {
        let (p, y) = ([0.9, 0.2, 0.6, 0.5], [true, false, false, true]);
        // (0.1² + 0.2² + 0.6² + 0.5²) / 4 = 0.66 / 4.
        assert!((brier(&p, &y) - 0.165).abs() < 1e-15);
        let expected = -(0.9f64.ln() + 0.8f64.ln() + 0.4f64.ln() + 0.5f64.ln()) / 4.0;
        assert!((log_loss(&p, &y) - expected).abs() < 1e-15);
        assert_eq!(brier(&[1.0, 0.0], &[true, false]), 0.0);
        // A certain miss is clamped, not infinite.
        assert!((log_loss(&[0.0], &[true]) + LOG_LOSS_EPSILON.ln()).abs() < 1e-12);
        assert!(brier(&[], &[]).is_nan());
    }

    #[test]
    fn auc_of_known_cases() {
        let y = [false, false, true, true];
        assert_eq!(auc(&[0.1, 0.2, 0.3, 0.4], &y), 1.0);
        assert_eq!(auc(&[0.4, 0.3, 0.2, 0.1], &y), 0.0);
        assert_eq!(auc(&[0.5; 4], &y), 0.5);
        // Pairs (event, non-event): (0.3, 0.1) ✓, (0.3, 0.3) ½, (0.8, 0.1) ✓, (0.8, 0.3) ✓ → 3.5/4.
        assert_eq!(auc(&[0.1, 0.3, 0.3, 0.8], &y), 0.875);
        // Three events, two non-events, one tie across classes at 0.5:
        // 0.9 beats both (2), 0.5 beats 0.2 and ties 0.5 (1.5), 0.1 beats neither → 3.5/6.
        let (p, y) = ([0.9, 0.5, 0.1, 0.5, 0.2], [true, true, true, false, false]);
        assert!((auc(&p, &y) - 3.5 / 6.0).abs() < 1e-15);
        assert!(auc(&[0.2, 0.4], &[true, true]).is_nan());
    }

    #[test]
    fn calibration_bins_have_equal_counts_and_their_means() {
        let p: Vec<f64> = (0..23).map(|i| ((i * 7) % 23) as f64 / 23.0).collect();
        let y: Vec<bool> = p.iter().map(|&p| p > 0.5).collect();
        let table = calibration_table(&p, &y, 5);
        assert_eq!(
            table.iter().map(|b| b.rows).collect::<Vec<_>>(),
            [5, 5, 5, 4, 4]
        );
        // Sorted, the predictions are 0/23..22/23: the first bin holds 0..4, the last 19..22.
        assert!((table[0].predicted_mean - 2.0 / 23.0).abs() < 1e-15);
        assert_eq!(
            (table[0].predicted_low, table[0].predicted_high),
            (0.0, 4.0 / 23.0)
        );
        assert!((table[4].predicted_mean - 20.5 / 23.0).abs() < 1e-15);
        assert_eq!(table[0].observed_share, 0.0);
        assert_eq!(table[4].observed_share, 1.0);
        // 10..14 holds 12/23 .. 14/23 above one half: 3 of 5.
        assert!((table[2].observed_share - 0.6).abs() < 1e-15);
        assert!(
            table
                .windows(2)
                .all(|w| w[0].predicted_high <= w[1].predicted_low)
        );
        assert_eq!(calibration_table(&p[..3], &y[..3], 10).len(), 3);
        assert!(calibration_table(&p, &y, 0).is_empty());
    }

    #[test]
    fn calibration_ties_are_split_by_row_index() {
        let p = [0.5, 0.5, 0.5, 0.5, 0.1, 0.9];
        let y = [true, false, false, false, false, true];
        let table = calibration_table(&p, &y, 2);
        // Sorted: 0.1 (row 4), 0.5 (rows 0, 1, 2, 3), 0.9 (row 5); the first bin takes rows 4, 0, 1.
        assert!((table[0].observed_share - 1.0 / 3.0).abs() < 1e-15);
        assert!((table[1].observed_share - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(table, calibration_table(&p, &y, 2));
    }

    #[test]
    fn folds_partition_the_rows() {
        for (rows, k) in [(103, 10), (10, 10), (7, 3), (3, 5), (0, 4)] {
            let split = folds(rows, k, 42);
            assert_eq!(split.len(), k);
            let sizes: Vec<usize> = split.iter().map(Vec::len).collect();
            let (smallest, largest) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(largest - smallest <= 1, "{sizes:?}");
            let mut all: Vec<usize> = split.concat();
            all.sort_unstable();
            assert_eq!(all, (0..rows).collect::<Vec<_>>());
        }
        assert_eq!(folds(50, 5, 1), folds(50, 5, 1));
        assert_ne!(folds(50, 5, 1), folds(50, 5, 2));
        // Shuffled, not consecutive blocks.
        assert_ne!(folds(50, 5, 1)[0], (0..10).collect::<Vec<_>>());
    }
}
