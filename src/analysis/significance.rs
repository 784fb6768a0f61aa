//! The one test of "significantly better", shared by `crmcast optimize` and the decision
//! summary of `run`, `compare` and `report`, so that the two can never disagree: a gain
//! measured on the same trials (common random numbers, paired per trial) is significant when
//! its 95 % interval lies wholly above zero (docs/MODEL.md §10a, docs/OPTIMIZE.md §4).

use super::optimize::stats::t95;
use super::report::Estimate;
use crate::engine::accumulate::Moments;

/// Whether `gain` (positive = better) is significantly better than no gain: its 95 % interval
/// lies above zero.
pub fn significantly_better(gain: &Estimate) -> bool {
    gain.low > 0.0
}

/// The mean of per-trial differences kept as exact moments, scaled by `scale` (the budget for
/// money kept in budget units), with the same Student-t interval on n − 1 degrees of freedom
/// as `optimize`'s paired mean ([`super::optimize::stats::paired_mean`]).
pub fn paired_gain(differences: &Moments, scale: f64) -> Estimate {
    let value = differences.mean() * scale;
    let se = differences.standard_error() * scale;
    let t = t95(differences.count.saturating_sub(1) as f64);
    Estimate {
        value,
        se,
        low: value - t * se,
        high: value + t * se,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::optimize::stats::paired_mean;

    /// The moments' interval is the optimiser's on the same differences (to rounding of the
    /// fixed-point sums), so both commands draw the line at the same place.
    #[test]
    fn moments_and_values_give_the_same_interval() {
        let a: Vec<f64> = (0..500).map(|i| ((i * 37) % 101) as f64 / 50.0).collect();
        let b: Vec<f64> = (0..500).map(|i| ((i * 53) % 97) as f64 / 50.0).collect();
        let mut m = Moments::default();
        for (x, y) in a.iter().zip(&b) {
            m.add(x - y);
        }
        let from_moments = paired_gain(&m, 1.0);
        let from_values = paired_mean(&a, &b);
        for (p, q) in [
            (from_moments.value, from_values.value),
            (from_moments.low, from_values.low),
            (from_moments.high, from_values.high),
        ] {
            assert!((p - q).abs() < 1e-9, "{from_moments:?} vs {from_values:?}");
        }
        assert_eq!(
            significantly_better(&from_moments),
            significantly_better(&from_values)
        );
    }

    #[test]
    fn only_an_interval_above_zero_is_significant() {
        assert!(significantly_better(&Estimate::normal(3.0, 1.0)));
        assert!(!significantly_better(&Estimate::normal(1.0, 1.0)));
        assert!(!significantly_better(&Estimate::normal(-3.0, 1.0)));
    }
}
