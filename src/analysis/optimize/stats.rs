//! Statistics of one candidate's per-trial values, and of the paired differences between two
//! candidates evaluated on the same trials (`docs/OPTIMIZE.md` §4).
//!
//! Every function reads the values in trial order (or sorts a copy with `total_cmp`), so the
//! results depend only on the values, never on threads.

use crate::analysis::report::Estimate;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The 97.5 % point of the standard normal.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Groups of contiguous trials for batch-means standard errors of paired quantile and tail
/// differences.
pub const PAIRED_GROUPS: usize = 32;

/// The 97.5 % point of Student's t with `df` degrees of freedom (the normal's for huge `df`).
pub fn t95(df: f64) -> f64 {
    if df >= 1e7 {
        return Z95;
    }
    StudentsT::new(0.0, 1.0, df.max(1.0))
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(Z95)
}

/// The mean with its standard error `s/√n` and a Student-t interval (n − 1 degrees of freedom).
pub fn mean(values: &[f64]) -> Estimate {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let squares: f64 = values.iter().map(|x| (x - mean) * (x - mean)).sum();
    let se = if values.len() > 1 {
        (squares / (n - 1.0) / n).sqrt()
    } else {
        0.0
    };
    let t = t95(n - 1.0);
    Estimate {
        value: mean,
        se,
        low: mean - t * se,
        high: mean + t * se,
    }
}

/// A proportion `k/n` with its binomial standard error `√(p(1 − p)/n)` and the Wilson score
/// interval (which stays inside [0, 1] and is not empty at p = 0 or 1).
pub fn proportion(count: u64, n: u64) -> Estimate {
    let n = n.max(1) as f64;
    let p = count as f64 / n;
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Estimate {
        value: p,
        se: (p * (1.0 - p) / n).sqrt(),
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    }
}

/// `⌈x⌉` for a product `n·q` that should be an integer when it is one mathematically.
fn ceil_rank(x: f64) -> usize {
    (x - 1e-9).ceil().max(1.0) as usize
}

/// The q-quantile of ascending `sorted` values: the value at rank ⌈n·q⌉, with the
/// distribution-free order-statistic interval of `docs/MODEL.md` §10 (ranks
/// ⌊nq − h⌋ and ⌈nq + h⌉ + 1, h = 1.96·√(n q (1 − q))), on exact values (no sketch).
pub fn quantile(sorted: &[f64], q: f64) -> Estimate {
    let n = sorted.len();
    if n == 0 {
        return Estimate::normal(f64::NAN, f64::NAN);
    }
    let at = |rank: usize| sorted[rank - 1];
    let (low, value, high) = quantile_ranks(n, q);
    let (low, high) = (at(low), at(high));
    Estimate {
        value: at(value),
        se: (high - low) / (2.0 * Z95),
        low,
        high,
    }
}

/// The ranks (from 1, ascending, within `1..=n`) [`quantile`] reads for `n ≥ 1` values: the
/// interval's low end, the quantile, the interval's high end.
fn quantile_ranks(n: usize, q: f64) -> (usize, usize, usize) {
    let nq = n as f64 * q;
    let h = Z95 * (n as f64 * q * (1.0 - q)).sqrt();
    let clamp = |rank: usize| rank.clamp(1, n);
    (
        clamp((nq - h).floor().max(1.0) as usize),
        clamp(ceil_rank(nq)),
        clamp(((nq + h).ceil() as usize + 1).min(n)),
    )
}

/// [`quantile`] of values in any order: reorders them only as far as it reads them (linear
/// time rather than a sort), with the same result bit for bit.
pub fn quantile_of(values: &mut [f64], q: f64) -> Estimate {
    if !values.is_empty() {
        let (low, _, high) = quantile_ranks(values.len(), q);
        sort_range(values, low - 1..high);
    }
    quantile(values, q)
}

/// [`lower_tail_mean`] of values in any order: reorders them only as far as it reads them
/// (the tail, not the whole), with the same result bit for bit.
pub fn lower_tail_mean_of(values: &mut [f64], f: f64) -> Estimate {
    let n = values.len();
    if n > 0 {
        let (whole, _, edge) = tail_ranks(n, f);
        sort_range(values, 0..edge.max(whole + 1).min(n));
    }
    lower_tail_mean(values, f)
}

/// Reorder `values` so that `values[range]` holds, in order, what an ascending sort by
/// `total_cmp` puts there. Equal keys under `total_cmp` are equal bits, so the values read
/// there are those of the sorted slice exactly.
fn sort_range(values: &mut [f64], range: std::ops::Range<usize>) {
    if range.is_empty() {
        return;
    }
    let (start, len) = (range.start, range.end - range.start);
    if start > 0 {
        values.select_nth_unstable_by(start, f64::total_cmp);
    }
    let rest = &mut values[start..];
    if len < rest.len() {
        rest.select_nth_unstable_by(len, f64::total_cmp);
    }
    rest[..len].sort_unstable_by(f64::total_cmp);
}

/// For [`lower_tail_mean`] of `n ≥ 1` values: the whole values in the tail, the tail's size
/// `n·f` (at least 1), and the rank of its edge.
fn tail_ranks(n: usize, f: f64) -> (usize, f64, usize) {
    let k = (n as f64 * f).max(1.0).min(n as f64);
    let whole = (k + 1e-9).floor() as usize;
    (whole, k, ceil_rank(k).min(n))
}

/// The mean of the lowest share `f` of ascending `sorted` values (conditional value at risk
/// of the lower tail): the ⌊nf⌋ lowest values plus the next one pro rata. Its standard error is
/// the estimator's asymptotic one, √([Var_tail + (1 − f)(CVaR − VaR)²]/(n f)), with VaR the
/// value at the tail's edge (as for the black-swan tail, `docs/MODEL.md` §10); the interval is
/// ± 1.96 SE.
pub fn lower_tail_mean(sorted: &[f64], f: f64) -> Estimate {
    let n = sorted.len();
    if n == 0 {
        return Estimate::normal(f64::NAN, f64::NAN);
    }
    let (whole, k, edge) = tail_ranks(n, f);
    let fraction = (k - whole as f64).max(0.0);
    let mut sum: f64 = sorted[..whole].iter().sum();
    if whole < n && fraction > 0.0 {
        sum += fraction * sorted[whole];
    }
    let value = sum / k;
    let var_at_risk = sorted[edge - 1];
    let tail = &sorted[..edge];
    let tail_mean = tail.iter().sum::<f64>() / edge as f64;
    let tail_variance = if edge > 1 {
        tail.iter().map(|x| (x - tail_mean).powi(2)).sum::<f64>() / (edge - 1) as f64
    } else {
        0.0
    };
    let se = ((tail_variance + (1.0 - f) * (value - var_at_risk).powi(2)) / (n as f64 * f)).sqrt();
    Estimate::normal(value, se)
}

/// The mean of `a − b` over the same trials, with a Student-t interval on the per-trial
/// differences (the paired interval: common random numbers cancel most of the noise).
pub fn paired_mean(a: &[f64], b: &[f64]) -> Estimate {
    let differences: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    mean(&differences)
}

/// `statistic(a) − statistic(b)` on all trials, with a batch-means interval: the trials are cut
/// into [`PAIRED_GROUPS`] groups of contiguous trials (a short remainder counts in the value,
/// not in the SE), the difference is computed in each group, and SE = sd(group differences)/√G
/// with a Student-t interval on G − 1 degrees of freedom. For statistics that are not means
/// (quantiles, tail means).
pub fn paired_batch_means(a: &[f64], b: &[f64], statistic: impl Fn(&[f64]) -> f64) -> Estimate {
    let sorted = |values: &[f64]| {
        let mut copy = values.to_vec();
        copy.sort_unstable_by(f64::total_cmp);
        copy
    };
    let value = statistic(&sorted(a)) - statistic(&sorted(b));
    let groups = PAIRED_GROUPS.min(a.len() / 2).max(1);
    let size = a.len() / groups;
    if groups < 2 || size == 0 {
        return Estimate::normal(value, f64::NAN);
    }
    let differences: Vec<f64> = (0..groups)
        .map(|g| {
            let range = g * size..(g + 1) * size;
            statistic(&sorted(&a[range.clone()])) - statistic(&sorted(&b[range]))
        })
        .collect();
    let spread = mean(&differences);
    let t = t95((groups - 1) as f64);
    Estimate {
        value,
        se: spread.se,
        low: value - t * spread.se,
        high: value + t * spread.se,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;
    use rand::SeedableRng;
    use rand_distr::StandardNormal;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn normals(seed: u64, n: usize) -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n)
            .map(|_| rng.sample(StandardNormal))
            .collect::<Vec<f64>>()
    }

    #[test]
    fn mean_and_t_interval_of_known_values() {
        let e = mean(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(e.value, 2.5);
        // s² = 5/3, SE = √(5/12); t_{0.975, 3} = 3.182446.
        assert!((e.se - (5.0f64 / 12.0).sqrt()).abs() < 1e-12);
        assert!((e.high - 2.5 - 3.182_446_305_284_263 * e.se).abs() < 1e-6);
        let constant = mean(&[7.0; 10]);
        assert_eq!((constant.value, constant.se, constant.low), (7.0, 0.0, 7.0));
    }

    #[test]
    fn wilson_interval_stays_in_the_unit_interval() {
        let all = proportion(100, 100);
        assert_eq!(all.value, 1.0);
        assert_eq!(all.high, 1.0);
        // Wilson at p̂ = 1: n/(n + z²).
        assert!((all.low - 100.0 / (100.0 + Z95 * Z95)).abs() < 1e-12);
        let half = proportion(500, 1000);
        assert!((half.se - 0.5 / 1000f64.sqrt()).abs() < 1e-15);
        assert!((half.low - (0.5 - Z95 * half.se)).abs() < 1e-4);
    }

    #[test]
    fn quantile_takes_rank_ceil_nq() {
        let sorted: Vec<f64> = (1..=10).map(f64::from).collect();
        // ⌈10·0.8⌉ = 8 exactly, not 9 by a rounding error.
        assert_eq!(quantile(&sorted, 0.8).value, 8.0);
        assert_eq!(quantile(&sorted, 0.05).value, 1.0);
        let e = quantile(&sorted, 0.5);
        assert!(e.low <= e.value && e.value <= e.high);
    }

    #[test]
    fn tail_mean_is_pro_rata_at_the_edge() {
        let sorted: Vec<f64> = (1..=10).map(f64::from).collect();
        // 10 % of 10 values: exactly the lowest one.
        assert_eq!(lower_tail_mean(&sorted, 0.1).value, 1.0);
        // 25 % of 10 = 2.5 values: (1 + 2 + 0.5·3)/2.5.
        assert!((lower_tail_mean(&sorted, 0.25).value - 4.5 / 2.5).abs() < 1e-12);
    }

    /// Reading the order statistics off values in any order gives the sorted slice's figures
    /// bit for bit: sizes from 1 up, ties, signed zeros, and every share of the tail.
    #[test]
    fn unsorted_order_statistics_equal_the_sorted_ones() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        for n in [1usize, 2, 3, 7, 10, 64, 501, 4096] {
            for ties in [false, true] {
                let values: Vec<f64> = (0..n)
                    .map(|_| {
                        let x: f64 = rng.sample(StandardNormal);
                        if ties { (x * 2.0).round() * 0.5 } else { x }
                    })
                    .chain([0.0, -0.0])
                    .collect();
                let mut sorted = values.clone();
                sorted.sort_unstable_by(f64::total_cmp);
                for q in [0.05, 0.1, 0.5, 0.8, 0.99] {
                    let bits = |e: Estimate| [e.value, e.se, e.low, e.high].map(f64::to_bits);
                    let mut copy = values.clone();
                    assert_eq!(bits(quantile_of(&mut copy, q)), bits(quantile(&sorted, q)));
                    let mut copy = values.clone();
                    assert_eq!(
                        bits(lower_tail_mean_of(&mut copy, q)),
                        bits(lower_tail_mean(&sorted, q)),
                        "n {n}, ties {ties}, share {q}"
                    );
                }
            }
        }
    }

    /// The intervals cover the true value at about the nominal 95 %: 400 samples of 2,000
    /// standard normals; the count of misses is binomial(400, 0.05) (mean 20, sd 4.4), so a
    /// working interval misses between 5 and 40 times.
    #[test]
    fn intervals_cover_known_answers_at_the_nominal_rate() {
        use crate::model::distribution::standard_normal_inverse;
        let z10 = standard_normal_inverse(0.1);
        let phi = (-0.5 * z10 * z10).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let true_tail = -phi / 0.1; // E[X | X < z_0.1] = −φ(z)/0.1 ≈ −1.755
        let true_p80 = standard_normal_inverse(0.8);
        let (mut tail_miss, mut quantile_miss, mut mean_miss) = (0, 0, 0);
        for replication in 0..400 {
            let mut x = normals(1000 + replication, 2000);
            let m = mean(&x);
            mean_miss += usize::from(!(m.low..=m.high).contains(&0.0));
            x.sort_unstable_by(f64::total_cmp);
            let tail = lower_tail_mean(&x, 0.1);
            tail_miss += usize::from(!(tail.low..=tail.high).contains(&true_tail));
            let q = quantile(&x, 0.8);
            quantile_miss += usize::from(!(q.low..=q.high).contains(&true_p80));
        }
        for (name, misses) in [
            ("tail", tail_miss),
            ("quantile", quantile_miss),
            ("mean", mean_miss),
        ] {
            assert!((5..=40).contains(&misses), "{name}: {misses} misses of 400");
        }
    }

    #[test]
    fn paired_differences_cancel_common_noise() {
        let x = normals(7, 4096);
        let shifted: Vec<f64> = x.iter().map(|v| v + 0.25).collect();
        let d = paired_mean(&shifted, &x);
        assert!((d.value - 0.25).abs() < 1e-12 && d.se < 1e-12);
        let q = paired_batch_means(&shifted, &x, |s| quantile(s, 0.8).value);
        assert!((q.value - 0.25).abs() < 1e-12 && q.se < 1e-12, "{q:?}");
        // Independent samples: the batch-means SE is about √2 times one quantile's SE.
        let y = normals(8, 4096);
        let q = paired_batch_means(&x, &y, |s| quantile(s, 0.8).value);
        assert!(q.se > 0.02 && q.se < 0.08, "{q:?}");
    }
}
