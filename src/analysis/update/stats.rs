//! Weighted statistics of the conditioned trials (docs/UPDATE.md): importance weights
//! normalised by their largest log weight (an order-free maximum) and summed in trial-index
//! order, so the figures are the same bit for bit at any thread count. Kish's effective sample
//! size `(Σw)²/Σw²` sets the standard errors of means and the intervals of quantiles.

use super::Distribution;
use crate::analysis::report::Estimate;

const Z95: f64 = 1.959_963_984_540_054;

/// Normalised weights of the trials, in trial order.
#[derive(Debug, Clone)]
pub struct Weights {
    pub w: Vec<f64>,
    pub sum: f64,
    pub sum_sq: f64,
}

impl Weights {
    /// From log weights (`−∞` for an impossible trial).
    pub fn from_logs(logs: impl Iterator<Item = f64> + Clone) -> Weights {
        let max = logs
            .clone()
            .filter(|l| !l.is_nan())
            .fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = if max == f64::NEG_INFINITY {
            logs.map(|_| 0.0).collect()
        } else {
            logs.map(|l| if l.is_nan() { 0.0 } else { (l - max).exp() })
                .collect()
        };
        Weights::new(w)
    }

    /// Every trial weighted 1 (the prior).
    pub fn unit(n: usize) -> Weights {
        Weights::new(vec![1.0; n])
    }

    fn new(w: Vec<f64>) -> Weights {
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        for &x in &w {
            sum += x;
            sum_sq += x * x;
        }
        Weights { w, sum, sum_sq }
    }

    /// Kish's effective sample size.
    pub fn effective(&self) -> f64 {
        if self.sum_sq > 0.0 {
            self.sum * self.sum / self.sum_sq
        } else {
            0.0
        }
    }

    /// The largest trial's share of the total weight.
    pub fn largest_share(&self) -> f64 {
        let max = self.w.iter().copied().fold(0.0, f64::max);
        if self.sum > 0.0 { max / self.sum } else { 1.0 }
    }

    /// The weighted mean of `x` with its standard error `√(Σw²(x − x̄)²)/Σw`.
    pub fn mean(&self, x: &[f64]) -> Estimate {
        if self.sum <= 0.0 {
            return Estimate::normal(f64::NAN, f64::NAN);
        }
        let mut total = 0.0;
        for (&w, &v) in self.w.iter().zip(x) {
            if w > 0.0 {
                total += w * v;
            }
        }
        let mean = total / self.sum;
        let mut spread = 0.0;
        for (&w, &v) in self.w.iter().zip(x) {
            if w > 0.0 {
                spread += (w * (v - mean)).powi(2);
            }
        }
        Estimate::normal(mean, spread.sqrt() / self.sum)
    }

    /// The weighted distribution of `x`, sorted once.
    pub fn sorted<'a>(&'a self, x: &'a [f64]) -> Sorted<'a> {
        let mut order: Vec<u32> = (0..x.len() as u32)
            .filter(|&k| self.w[k as usize] > 0.0)
            .collect();
        // Ties broken by trial index: the order, like the sums, is fixed.
        order.sort_unstable_by(|&a, &b| x[a as usize].total_cmp(&x[b as usize]).then(a.cmp(&b)));
        let mut cumulative = Vec::with_capacity(order.len());
        let mut running = 0.0;
        for &k in &order {
            running += self.w[k as usize];
            cumulative.push(running);
        }
        Sorted {
            x,
            order,
            cumulative,
            effective: self.effective(),
        }
    }

    /// Mean and quantiles of `x`.
    pub fn distribution(&self, x: &[f64]) -> Distribution {
        let sorted = self.sorted(x);
        Distribution {
            mean: self.mean(x),
            p10: sorted.estimate(0.10),
            p50: sorted.estimate(0.50),
            p80: sorted.estimate(0.80),
            p90: sorted.estimate(0.90),
        }
    }
}

/// A weighted sample in ascending order with its cumulative weights.
pub struct Sorted<'a> {
    x: &'a [f64],
    order: Vec<u32>,
    cumulative: Vec<f64>,
    effective: f64,
}

impl Sorted<'_> {
    /// The weighted `q`-quantile: the smallest value whose cumulative weight reaches `q·Σw`.
    pub fn quantile(&self, q: f64) -> f64 {
        let Some(&total) = self.cumulative.last() else {
            return f64::NAN;
        };
        let target = q.clamp(0.0, 1.0) * total;
        let k = self.cumulative.partition_point(|&c| c < target);
        let k = k.min(self.order.len() - 1);
        self.x[self.order[k] as usize]
    }

    /// The `q`-quantile with its 95 % interval: the quantiles at `q ± 1.96·√(q(1 − q)/ESS)`.
    pub fn estimate(&self, q: f64) -> Estimate {
        let half = Z95 * (q * (1.0 - q) / self.effective.max(1.0)).sqrt();
        let (low, high) = (self.quantile(q - half), self.quantile(q + half));
        Estimate {
            value: self.quantile(q),
            se: (high - low) / (2.0 * Z95),
            low,
            high,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_figures_match_their_definitions() {
        let x = [3.0, 1.0, 2.0, 5.0, 4.0];
        let w = Weights::from_logs([0.0, 2f64.ln(), f64::NEG_INFINITY, 0.0, 3f64.ln()].into_iter());
        // Weights normalised by the largest (3): 1/3, 2/3, 0, 1/3, 1.
        assert!((w.sum - 7.0 / 3.0).abs() < 1e-15);
        let mean = w.mean(&x);
        let expected = (3.0 + 2.0 + 5.0 + 12.0) / 7.0;
        assert!((mean.value - expected).abs() < 1e-12);
        let kish = 49.0 / 9.0 / ((1.0 + 4.0 + 1.0 + 9.0) / 9.0);
        assert!((w.effective() - kish).abs() < 1e-12);
        // Sorted with weights: 1 (2/7), 3 (1/7), 4 (3/7), 5 (1/7).
        let sorted = w.sorted(&x);
        assert_eq!(sorted.quantile(0.2), 1.0);
        assert_eq!(sorted.quantile(0.4), 3.0);
        assert_eq!(sorted.quantile(0.5), 4.0);
        assert_eq!(sorted.quantile(0.9), 5.0);
        // The zero-weight trial (value 2) is never a quantile.
        assert!((0..=100).all(|k| sorted.quantile(k as f64 / 100.0) != 2.0));
    }

    #[test]
    fn unit_weights_give_plain_order_statistics() {
        let x: Vec<f64> = (0..100).map(|k| ((k * 37) % 100) as f64).collect();
        let w = Weights::unit(100);
        assert_eq!(w.effective(), 100.0);
        let sorted = w.sorted(&x);
        assert_eq!(sorted.quantile(0.5), 49.0);
        assert_eq!(sorted.quantile(0.8), 79.0);
        let mean = w.mean(&x);
        assert_eq!(mean.value, 49.5);
    }
}
