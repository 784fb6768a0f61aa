//! Distributions used by the model, each sampled by the inverse of its CDF applied to a
//! uniform number in [0, 1). Inverse CDFs keep the hot loop cheap (no Beta draws) and let the
//! same uniforms drive every strategy (common random numbers).

use statrs::distribution::{ContinuousCDF, Normal};

/// A continuous input in the scenario's units (money, uplift fractions …).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Continuous {
    Fixed {
        value: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Lognormal: `ln X ~ N(mu, sigma²)`. Scenario files give it as a central interval
    /// ("80k to 120k, 90 % sure"), see [`Continuous::lognormal_from_interval`].
    LogNormal {
        mu: f64,
        sigma: f64,
    },
}

impl Continuous {
    /// Quantile function: the value at cumulative probability `u` in [0, 1).
    #[inline]
    pub fn inverse_cdf(&self, u: f64) -> f64 {
        match *self {
            Continuous::Fixed { value } => value,
            Continuous::Uniform { min, max } => min + u * (max - min),
            Continuous::Triangular { min, mode, max } => triangular_inverse(u, min, mode, max),
            Continuous::LogNormal { mu, sigma } => {
                super::vmath::exp1(mu + sigma * super::vmath::normal_inverse1(u))
            }
        }
    }

    /// The mean of the distribution (closed form).
    pub fn mean(&self) -> f64 {
        match *self {
            Continuous::Fixed { value } => value,
            Continuous::Uniform { min, max } => 0.5 * (min + max),
            Continuous::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Continuous::LogNormal { mu, sigma } => (mu + 0.5 * sigma * sigma).exp(),
        }
    }
}

impl Continuous {
    /// The lognormal whose central `confidence` interval is `[low, high]`: `low` and `high` are
    /// its `(1 − confidence)/2` and `(1 + confidence)/2` quantiles.
    pub fn lognormal_from_interval(low: f64, high: f64, confidence: f64) -> Continuous {
        let z = standard_normal_inverse(0.5 + 0.5 * confidence);
        let mu = 0.5 * (low.ln() + high.ln());
        let sigma = (high.ln() - low.ln()) / (2.0 * z);
        Continuous::LogNormal { mu, sigma }
    }
}

/// Φ⁻¹(p) for the standard normal; ±∞ at 0 and 1.
pub fn standard_normal_inverse(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    // statrs: Normal(0, 1) never fails to construct.
    Normal::standard().inverse_cdf(p)
}

/// Φ(x) for the standard normal.
pub fn standard_normal_cdf(x: f64) -> f64 {
    Normal::standard().cdf(x)
}

#[inline]
fn triangular_inverse(u: f64, min: f64, mode: f64, max: f64) -> f64 {
    let width = max - min;
    if width <= 0.0 {
        return min;
    }
    let split = (mode - min) / width;
    if u < split {
        min + (u * width * (mode - min)).sqrt()
    } else {
        max - ((1.0 - u) * width * (max - mode)).sqrt()
    }
}

/// `x^(1/n)`, with the common shapes (n = 1, 2) spared a `powf` in the trial loop.
#[inline]
fn root(x: f64, n: f64) -> f64 {
    super::vmath::root1(x, n)
}

/// How hard a factor strikes when present, on [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Severity {
    Fixed {
        value: f64,
    },
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Kumaraswamy(a, b): CDF `1 − (1 − x^a)^b`, a Beta-like shape with a closed-form inverse.
    Kumaraswamy {
        a: f64,
        b: f64,
    },
}

impl Severity {
    #[inline]
    pub fn inverse_cdf(&self, u: f64) -> f64 {
        match *self {
            Severity::Fixed { value } => value,
            Severity::Uniform { min, max } => min + u * (max - min),
            Severity::Triangular { min, mode, max } => triangular_inverse(u, min, mode, max),
            Severity::Kumaraswamy { a, b } => root(1.0 - root(1.0 - u, b), a),
        }
    }

    /// The mean severity (closed form; Kumaraswamy via the Beta function).
    pub fn mean(&self) -> f64 {
        match *self {
            Severity::Fixed { value } => value,
            Severity::Uniform { min, max } => 0.5 * (min + max),
            Severity::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Severity::Kumaraswamy { a, b } => b * statrs::function::beta::beta(1.0 + 1.0 / a, b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean of the inverse CDF over a fine midpoint grid: a deterministic check of the quantile
    /// function against the closed-form mean.
    fn grid_mean(f: impl Fn(f64) -> f64) -> f64 {
        let n = 200_000;
        (0..n).map(|i| f((i as f64 + 0.5) / n as f64)).sum::<f64>() / n as f64
    }

    #[test]
    fn triangular_quantiles_and_mean() {
        let d = Continuous::Triangular {
            min: 1.0,
            mode: 2.0,
            max: 4.0,
        };
        assert_eq!(d.inverse_cdf(0.0), 1.0);
        assert!((d.inverse_cdf(1.0 / 3.0) - 2.0).abs() < 1e-12); // mode at F = (mode-min)/(max-min)
        assert!((grid_mean(|u| d.inverse_cdf(u)) - 7.0 / 3.0).abs() < 1e-6);
    }

    #[test]
    fn uniform_and_fixed() {
        let d = Continuous::Uniform {
            min: -1.0,
            max: 3.0,
        };
        assert_eq!(d.inverse_cdf(0.25), 0.0);
        assert_eq!(d.mean(), 1.0);
        assert_eq!(Continuous::Fixed { value: 5.0 }.inverse_cdf(0.9), 5.0);
    }

    #[test]
    fn lognormal_interval_is_honoured() {
        let d = Continuous::lognormal_from_interval(80.0, 120.0, 0.9);
        assert!((d.inverse_cdf(0.05) - 80.0).abs() < 1e-9);
        assert!((d.inverse_cdf(0.95) - 120.0).abs() < 1e-9);
        assert!((d.inverse_cdf(0.5) - (80.0f64 * 120.0).sqrt()).abs() < 1e-9);
        assert!((grid_mean(|u| d.inverse_cdf(u)) - d.mean()).abs() / d.mean() < 1e-4);
    }

    #[test]
    fn kumaraswamy_cdf_inverts_and_mean_matches() {
        let (a, b) = (2.0, 3.0);
        let s = Severity::Kumaraswamy { a, b };
        for &u in &[0.01, 0.3, 0.5, 0.9] {
            let x = s.inverse_cdf(u);
            let cdf = 1.0 - (1.0 - x.powf(a)).powf(b);
            assert!((cdf - u).abs() < 1e-12);
        }
        assert!((grid_mean(|u| s.inverse_cdf(u)) - s.mean()).abs() < 1e-6);
        // Kumaraswamy(1, 1) is the uniform distribution.
        let unit = Severity::Kumaraswamy { a: 1.0, b: 1.0 };
        assert!((unit.inverse_cdf(0.37) - 0.37).abs() < 1e-12);
        assert!((unit.mean() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn normal_inverse_round_trips() {
        for &p in &[1e-6, 0.025, 0.5, 0.8, 0.999] {
            assert!((standard_normal_cdf(standard_normal_inverse(p)) - p).abs() < 1e-10);
        }
        assert!((standard_normal_inverse(0.975) - 1.959963984540054).abs() < 1e-9);
        assert_eq!(standard_normal_inverse(0.0), f64::NEG_INFINITY);
        assert_eq!(standard_normal_inverse(1.0), f64::INFINITY);
    }
}
