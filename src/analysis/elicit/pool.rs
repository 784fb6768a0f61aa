//! The linear opinion pool (Stone 1961; O'Hagan et al. 2006, *Uncertain Judgements*, §9.2;
//! SHELF's `linearpool`): the mixture f(x) = Σₑ wₑ fₑ(x) of the experts' fitted
//! distributions, with weights wₑ ≥ 0 that sum to 1 (equal, given, or Cooke's).
//!
//! Its mean is Σₑ wₑ μₑ; its quantiles invert the mixture CDF F(x) = Σₑ wₑ Fₑ(x) by bisection.
//! The p-quantile of a mixture lies between the smallest and the largest of the components'
//! p-quantiles (F is a weighted mean of the Fₑ, each ≥ p at the largest and ≤ p at the
//! smallest), so that bracket is exact and needs no search for bounds.

use super::fit::Distribution;
use serde::Serialize;

/// The levels the pooled distribution is summarised at.
pub const LEVELS: [f64; 5] = [0.05, 0.10, 0.50, 0.90, 0.95];

/// A weighted mixture of fitted distributions.
#[derive(Debug, Clone, Serialize)]
pub struct Mixture {
    pub components: Vec<Distribution>,
    /// Normalised: non-negative, summing to 1.
    pub weights: Vec<f64>,
}

/// Weights scaled to sum to 1; `None` when they are not all finite and non-negative, or sum to
/// 0.
pub fn normalised(weights: &[f64]) -> Option<Vec<f64>> {
    let total: f64 = weights.iter().sum();
    if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || !(total > 0.0 && total.is_finite())
    {
        return None;
    }
    Some(weights.iter().map(|w| w / total).collect())
}

impl Mixture {
    /// `weights` must be normalised (see [`normalised`]) and as many as the components.
    pub fn new(components: Vec<Distribution>, weights: Vec<f64>) -> Mixture {
        debug_assert_eq!(components.len(), weights.len());
        Mixture {
            components,
            weights,
        }
    }

    pub fn cdf(&self, x: f64) -> f64 {
        self.components
            .iter()
            .zip(&self.weights)
            .filter(|(_, w)| **w > 0.0)
            .map(|(d, w)| w * d.cdf(x))
            .sum()
    }

    pub fn mean(&self) -> f64 {
        self.components
            .iter()
            .zip(&self.weights)
            .filter(|(_, w)| **w > 0.0)
            .map(|(d, w)| w * d.mean())
            .sum()
    }

    /// The `p`-quantile, `p` in (0, 1): bisection inside the components' p-quantiles, to a
    /// relative width of 1e-12 (or 200 halvings).
    pub fn quantile(&self, p: f64) -> f64 {
        let (mut low, mut high) = self
            .components
            .iter()
            .zip(&self.weights)
            .filter(|(_, w)| **w > 0.0)
            .map(|(d, _)| d.quantile(p))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), q| {
                (l.min(q), h.max(q))
            });
        if !(low.is_finite() && high.is_finite()) {
            return f64::NAN;
        }
        for _ in 0..200 {
            if high - low <= 1e-12 * low.abs().max(high.abs()).max(1e-300) {
                break;
            }
            let middle = 0.5 * (low + high);
            if self.cdf(middle) < p {
                low = middle;
            } else {
                high = middle;
            }
        }
        0.5 * (low + high)
    }
}

/// The pooled distribution's summary: mean and the quantiles at [`LEVELS`].
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub mean: f64,
    /// (level, value) at each of [`LEVELS`].
    pub quantiles: Vec<(f64, f64)>,
}

impl Summary {
    pub fn of(mixture: &Mixture) -> Summary {
        Summary {
            mean: mixture.mean(),
            quantiles: LEVELS.iter().map(|&p| (p, mixture.quantile(p))).collect(),
        }
    }

    /// The value at `level` (one of [`LEVELS`]).
    pub fn at(&self, level: f64) -> f64 {
        self.quantiles
            .iter()
            .find(|(p, _)| (p - level).abs() < 1e-12)
            .map_or(f64::NAN, |(_, v)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fit::Family;
    use super::*;
    use statrs::distribution::{ContinuousCDF, Normal};

    fn two_normals() -> (Mixture, [(f64, f64, f64); 2]) {
        // (weight, mean, sd) of each component.
        let parts = [(0.3, 1.0, 0.5), (0.7, 3.0, 2.0)];
        let mixture = Mixture::new(
            parts
                .iter()
                .map(|&(_, m, s)| Distribution::new(Family::Normal, [m, s]))
                .collect(),
            parts.iter().map(|p| p.0).collect(),
        );
        (mixture, parts)
    }

    #[test]
    fn the_pool_of_two_normals_has_the_weighted_cdf_and_mean() {
        let (mixture, parts) = two_normals();
        for x in [-1.0, 0.5, 1.0, 2.0, 4.5, 9.0] {
            let closed: f64 = parts
                .iter()
                .map(|&(w, m, s)| w * Normal::new(m, s).unwrap().cdf(x))
                .sum();
            assert!((mixture.cdf(x) - closed).abs() < 1e-15, "x = {x}");
        }
        // 0.3·1 + 0.7·3.
        assert!((mixture.mean() - 2.4).abs() < 1e-15);
    }

    #[test]
    fn the_pooled_quantiles_invert_the_mixture_cdf() {
        let (mixture, _) = two_normals();
        for p in LEVELS {
            let q = mixture.quantile(p);
            // The bisection's width is 1e-12 relative; the CDF's slope is below 1 here.
            assert!((mixture.cdf(q) - p).abs() < 1e-11, "p = {p}: {q}");
        }
        // One component with all the weight: its own quantile.
        let single = Mixture::new(
            vec![
                Distribution::new(Family::Normal, [0.0, 1.0]),
                Distribution::new(Family::Normal, [10.0, 1.0]),
            ],
            vec![1.0, 0.0],
        );
        assert!((single.quantile(0.95) - 1.6448536269514722).abs() < 1e-9);
    }

    #[test]
    fn weights_are_normalised_or_refused() {
        assert_eq!(normalised(&[1.0, 3.0]), Some(vec![0.25, 0.75]));
        assert_eq!(normalised(&[0.0, 0.0]), None);
        assert_eq!(normalised(&[1.0, -1.0]), None);
        assert_eq!(normalised(&[f64::NAN, 1.0]), None);
    }
}
