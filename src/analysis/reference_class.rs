//! The outside view: reference-class forecasting of cost overruns (Flyvbjerg 2006, "From Nobel
//! Prize to project management: getting risks right"; Flyvbjerg & COWI 2004, "Procedures for
//! dealing with optimism bias in transport planning"). Pure: no I/O. `docs/REFERENCE_CLASS.md`
//! is the contract this file implements.
//!
//! A reference class is either a sample of past projects' cost overruns (fractions: 0.27 = the
//! project cost 27 % more than its budget; always > −1) or the built-in class of IT projects,
//! a distribution reconstructed from published summary statistics ([`BuiltinClass`]).
//!
//! Definitions:
//! - **quantile** of a sample: Hyndman & Fan (1996) type 7, linear interpolation between order
//!   statistics: with h = (n − 1)q, Q(q) = x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎), 0-based
//!   ([`quantile_type7`]);
//! - **95 % interval** of a quantile: the distribution-free order-statistic interval
//!   [x₍l₎, x₍u₎] (1-based ranks) from the binomial B ~ Bin(n, q), l the largest rank with
//!   P(B ≤ l − 1) ≤ 2.5 %, u the smallest with P(B ≥ u) ≤ 2.5 %; its exact coverage
//!   P(l ≤ B ≤ u − 1) ≥ 95 % is reported ([`order_statistic_ranks`]);
//! - **required uplift** at level q (acceptable risk of overrun 1 − q): u_q = the q-quantile of
//!   the overrun distribution, so that a budget B·(1 + u_q) is exceeded with probability 1 − q;
//! - **blend** of an inside and an outside view: the mixture distribution in which a trial
//!   draws from the outside view with probability w ([`blended_quantile`]).

use crate::model::distribution::{standard_normal_cdf, standard_normal_inverse};
use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, DiscreteCDF};

/// The built-in reference class, `data/reference_class.toml`, embedded.
pub const BUILTIN_CLASS: &str = include_str!("../../data/reference_class.toml");
/// The levels of the uplift table unless asked otherwise: P50, P80, P90.
pub const DEFAULT_LEVELS: [f64; 3] = [0.5, 0.8, 0.9];
/// Confidence of every interval.
pub const CONFIDENCE: f64 = 0.95;
/// Flyvbjerg & Budzier's "one project in six": the share whose mean overrun is reported as the
/// worst-sixth ("black swan") mean.
pub const WORST_SHARE: f64 = 1.0 / 6.0;
/// A deviation from budget counted by the statistic `p_deviation_over_10pct`: |overrun| > 10 %.
pub const DEVIATION: f64 = 0.10;
const Z95: f64 = 1.959_963_984_540_054;

/// How each figure is defined, carried in the JSON record so that it describes itself.
pub const METHOD_QUANTILE: &str =
    "Hyndman-Fan type 7: linear interpolation between order statistics, h = (n-1)q (0-based)";
pub const METHOD_INTERVAL: &str = "distribution-free order-statistic interval [x(l), x(u)] from Binomial(n, q), at least 95 % (exact coverage reported)";
pub const METHOD_UPLIFT: &str = "Flyvbjerg (2006): the uplift at level q is the q-quantile of the overrun distribution; a budget B(1+u) is exceeded with probability 1-q";
pub const METHOD_LOGNORMAL: &str = "1 + overrun lognormal, maximum likelihood: mu = mean ln(1+x), sigma^2 = mean (ln(1+x) - mu)^2; quantile intervals by the delta method on the log scale";
pub const METHOD_BLEND: &str = "mixture: a trial draws from the outside view with probability w, from the inside view otherwise; each view is the continuous distribution whose quantile function is its type-7 quantile";

// ---------------------------------------------------------------------------------------------
// Quantiles, intervals, the blend

/// The type-7 q-quantile of an ascending, non-empty sample (NaN if empty or q ∉ [0, 1]).
pub fn quantile_type7(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q;
    let low = (h.floor() as usize).min(n - 1);
    let fraction = h - low as f64;
    if fraction <= 0.0 || low + 1 >= n {
        sorted[low]
    } else {
        sorted[low] + fraction * (sorted[low + 1] - sorted[low])
    }
}

/// The ranks (1-based) of the order statistics that bound the q-quantile with at least
/// `confidence`, and the exact coverage. A missing end means the sample is too small for it:
/// the interval is open on that side (beyond the smallest or largest value).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RankInterval {
    pub low_rank: Option<u64>,
    pub high_rank: Option<u64>,
    /// P(l ≤ B ≤ u − 1) with B ~ Bin(n, q); an open end counts as x₍₀₎ = −∞ or x₍ₙ₊₁₎ = +∞.
    pub coverage: f64,
}

/// The distribution-free interval of the q-quantile (see the module's definitions). For a
/// continuous distribution P(x₍l₎ ≤ ξ_q < x₍u₎) = P(l ≤ B ≤ u − 1), B ~ Bin(n, q), the number of
/// observations below ξ_q.
pub fn order_statistic_ranks(n: u64, q: f64, confidence: f64) -> RankInterval {
    let tail = (1.0 - confidence) / 2.0;
    let Ok(b) = Binomial::new(q.clamp(0.0, 1.0), n) else {
        return RankInterval {
            low_rank: None,
            high_rank: None,
            coverage: 1.0,
        };
    };
    if n == 0 {
        return RankInterval {
            low_rank: None,
            high_rank: None,
            coverage: 1.0,
        };
    }
    // Largest k = l − 1 in [0, n − 1] with P(B ≤ k) ≤ tail (P(B ≤ k) rises with k).
    let low_rank = if b.cdf(0) > tail {
        None
    } else {
        let (mut good, mut bad) = (0u64, n); // cdf(good) ≤ tail; cdf(n) = 1 > tail
        while bad - good > 1 {
            let mid = good + (bad - good) / 2;
            if b.cdf(mid) <= tail {
                good = mid;
            } else {
                bad = mid;
            }
        }
        Some(good + 1)
    };
    // Smallest u in [1, n] with P(B ≥ u) = sf(u − 1) ≤ tail (falls with u).
    let high_rank = if b.sf(n - 1) > tail {
        None
    } else {
        let (mut bad, mut good) = (0u64, n); // P(B ≥ 0) = 1 > tail; P(B ≥ n) ≤ tail
        while good - bad > 1 {
            let mid = bad + (good - bad) / 2;
            if b.sf(mid - 1) <= tail {
                good = mid;
            } else {
                bad = mid;
            }
        }
        Some(good)
    };
    let below = low_rank.map_or(0.0, |l| b.cdf(l - 1));
    let up_to = high_rank.map_or(1.0, |u| b.cdf(u - 1));
    RankInterval {
        low_rank,
        high_rank,
        coverage: up_to - below,
    }
}

/// The CDF of the continuous distribution whose quantile function is the type-7 quantile of
/// an ascending sample: F(x₍k₎) = k/(n − 1) (0-based k), linear in between, 0 below the
/// smallest value and 1 from the largest; at tied values it jumps. One value: a step.
pub fn smoothed_cdf(sorted: &[f64], x: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || x < sorted[0] {
        return 0.0;
    }
    if x >= sorted[n - 1] {
        return 1.0;
    }
    // sorted[0] ≤ x < sorted[n − 1]: j = the last index with sorted[j] ≤ x, j ≤ n − 2.
    let j = sorted.partition_point(|v| *v <= x) - 1;
    let fraction = (x - sorted[j]) / (sorted[j + 1] - sorted[j]);
    (j as f64 + fraction) / (n - 1) as f64
}

/// The left limit F(x−) of [`smoothed_cdf`].
fn smoothed_cdf_below(sorted: &[f64], x: f64) -> f64 {
    let n = sorted.len();
    let below = sorted.partition_point(|v| *v < x);
    if below == 0 {
        return 0.0;
    }
    if below == n {
        return 1.0;
    }
    let j = below - 1; // sorted[j] < x ≤ sorted[j + 1]
    let fraction = (x - sorted[j]) / (sorted[j + 1] - sorted[j]);
    (j as f64 + fraction) / (n - 1) as f64
}

/// The CDF of the blend at x: (1 − w)·F_inside(x) + w·F_outside(x), each F as
/// [`smoothed_cdf`].
pub fn blended_cdf(inside: &[f64], outside: &[f64], weight_outside: f64, x: f64) -> f64 {
    let w = weight_outside;
    let mut f = 0.0;
    if w < 1.0 {
        f += (1.0 - w) * smoothed_cdf(inside, x);
    }
    if w > 0.0 {
        f += w * smoothed_cdf(outside, x);
    }
    f
}

fn blended_cdf_below(inside: &[f64], outside: &[f64], w: f64, x: f64) -> f64 {
    let mut f = 0.0;
    if w < 1.0 {
        f += (1.0 - w) * smoothed_cdf_below(inside, x);
    }
    if w > 0.0 {
        f += w * smoothed_cdf_below(outside, x);
    }
    f
}

/// The q-quantile of the blend of an inside view (e.g. the factor model's simulated overruns)
/// and an outside view (a reference class), both ascending samples: the mixture in which a
/// trial draws from the outside view with probability `weight_outside` = w and from the inside
/// view otherwise. Each view is the continuous distribution whose quantile function is its
/// type-7 quantile ([`smoothed_cdf`]; a trial of that view is Q₇(U), U uniform), so
///
///   G(x) = (1 − w)·F_inside(x) + w·F_outside(x),  Q(q) = inf{x : G(x) ≥ q},
///
/// and Q(0) is the smallest value of a view with positive weight. At w = 0 (w = 1) it is the
/// type-7 quantile of the inside (outside) sample, which may then be empty. NaN when q or w is
/// not in [0, 1] or a view with positive weight is empty.
pub fn blended_quantile(inside: &[f64], outside: &[f64], weight_outside: f64, q: f64) -> f64 {
    let w = weight_outside;
    if !(0.0..=1.0).contains(&w) || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    let views: Vec<&[f64]> = [(inside, w < 1.0), (outside, w > 0.0)]
        .into_iter()
        .filter_map(|(v, used)| used.then_some(v))
        .collect();
    if views.iter().any(|v| v.is_empty()) {
        return f64::NAN;
    }
    debug_assert!(views.iter().all(|v| v.windows(2).all(|p| p[0] <= p[1])));
    let g = |x: f64| blended_cdf(inside, outside, w, x);
    // b: the smallest value of either view with G(b) ≥ q (G rises along each sorted view).
    let b = views
        .iter()
        .filter_map(|v| v.get(v.partition_point(|x| g(*x) < q)).copied())
        .fold(f64::INFINITY, f64::min);
    // a: the largest value below b; G is linear on [a, b) and may jump at b.
    let a = views
        .iter()
        .filter_map(|v| {
            let k = v.partition_point(|x| *x < b);
            (k > 0).then(|| v[k - 1])
        })
        .fold(f64::NEG_INFINITY, f64::max);
    if !a.is_finite() {
        return b;
    }
    let (ga, gb) = (g(a), blended_cdf_below(inside, outside, w, b));
    if gb < q || gb <= ga {
        return b;
    }
    (a + (q - ga) / (gb - ga) * (b - a)).clamp(a, b)
}

/// The Wilson score interval of a proportion k/n.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (n, p) = (n as f64, k as f64 / n as f64);
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The mean of the worst share f of an ascending sample (the largest n·f values, the value at
/// the edge counted pro rata; at least a fraction of the largest).
pub fn worst_share_mean(sorted: &[f64], f: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || f <= 0.0 {
        return f64::NAN;
    }
    let k = (f * n as f64).min(n as f64);
    let whole = k.floor() as usize;
    let mut sum: f64 = sorted[n - whole..].iter().sum();
    if whole < n {
        sum += (k - whole as f64) * sorted[n - 1 - whole];
    }
    sum / k
}

// ---------------------------------------------------------------------------------------------
// The lognormal fit

/// A lognormal fit of 1 + overrun: ln(1 + x) ~ N(mu, sigma²).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Lognormal {
    pub mu: f64,
    pub sigma: f64,
    /// The sample size the standard errors are for.
    pub n: u64,
}

impl Lognormal {
    /// Maximum likelihood: mu = mean of y = ln(1 + x), sigma² = mean of (y − mu)² (divisor n).
    /// None if fewer than two values or no spread.
    pub fn fit(overruns: &[f64]) -> Option<Lognormal> {
        let n = overruns.len();
        if n < 2 {
            return None;
        }
        let y: Vec<f64> = overruns.iter().map(|x| x.ln_1p()).collect();
        let mu = y.iter().sum::<f64>() / n as f64;
        let sigma = (y.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / n as f64).sqrt();
        // Equal values leave rounding noise of a few ulps, not a spread.
        (sigma > 1e-12 * (1.0 + mu.abs()) && sigma.is_finite()).then_some(Lognormal {
            mu,
            sigma,
            n: n as u64,
        })
    }
    /// Standard error of mu: sigma/√n (inverse Fisher information).
    pub fn se_mu(&self) -> f64 {
        self.sigma / (self.n as f64).sqrt()
    }
    /// Standard error of sigma: sigma/√(2n).
    pub fn se_sigma(&self) -> f64 {
        self.sigma / (2.0 * self.n as f64).sqrt()
    }
    /// The q-quantile of the overrun: exp(mu + sigma·Φ⁻¹(q)) − 1.
    pub fn quantile(&self, q: f64) -> f64 {
        (self.mu + self.sigma * standard_normal_inverse(q)).exp_m1()
    }
    /// 95 % interval of the q-quantile by the delta method on the log scale:
    /// exp(mu + z·sigma ± 1.96·sigma·√(1/n + z²/(2n))) − 1, z = Φ⁻¹(q) (mu and sigma
    /// estimates independent).
    pub fn quantile_interval(&self, q: f64) -> (f64, f64) {
        let z = standard_normal_inverse(q);
        let n = self.n as f64;
        let centre = self.mu + self.sigma * z;
        let half = Z95 * self.sigma * (1.0 / n + z * z / (2.0 * n)).sqrt();
        ((centre - half).exp_m1(), (centre + half).exp_m1())
    }
    /// P(overrun ≤ x).
    pub fn cdf(&self, x: f64) -> f64 {
        if x <= -1.0 {
            return 0.0;
        }
        standard_normal_cdf((x.ln_1p() - self.mu) / self.sigma)
    }
    pub fn mean(&self) -> f64 {
        (self.mu + 0.5 * self.sigma * self.sigma).exp_m1()
    }
    /// The log-likelihood of a sample of overruns (the density of x is that of 1 + x).
    pub fn log_likelihood(&self, overruns: &[f64]) -> f64 {
        let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        overruns
            .iter()
            .map(|x| {
                let y = x.ln_1p();
                let z = (y - self.mu) / self.sigma;
                -self.sigma.ln() - half_ln_2pi - 0.5 * z * z - y
            })
            .sum()
    }
    /// Kolmogorov–Smirnov distance between an ascending sample and the fit.
    pub fn ks_distance(&self, sorted: &[f64]) -> f64 {
        let n = sorted.len() as f64;
        sorted
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let f = self.cdf(*x);
                ((i + 1) as f64 / n - f).max(f - i as f64 / n)
            })
            .fold(0.0, f64::max)
    }
}

// ---------------------------------------------------------------------------------------------
// The built-in class

/// A two-part ("spliced") distribution of cost overruns: the lower 1 − f of projects follow a
/// lognormal of 1 + x (ln(1 + x) ~ N(mu, sigma²)) up to its (1 − f)-quantile t, the worst share
/// f (the black swans) a Pareto tail of 1 + x above 1 + t with exponent alpha:
///
///   Q(p) = exp(mu + sigma·Φ⁻¹(p)) − 1              for p ≤ 1 − f,
///   Q(p) = (1 + t)·(f/(1 − p))^(1/alpha) − 1        for p > 1 − f,   t = Q(1 − f).
///
/// It is a mixture with disjoint parts: the body truncated at t (weight 1 − f) and the tail
/// (weight f). The quantile function is continuous.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplicedClass {
    pub mu: f64,
    pub sigma: f64,
    pub tail_share: f64,
    pub alpha: f64,
}

impl SplicedClass {
    /// The splice point t: the overrun at which the tail begins.
    pub fn threshold(&self) -> f64 {
        (self.mu + self.sigma * standard_normal_inverse(1.0 - self.tail_share)).exp_m1()
    }
    pub fn quantile(&self, p: f64) -> f64 {
        let f = self.tail_share;
        if p <= 1.0 - f {
            (self.mu + self.sigma * standard_normal_inverse(p)).exp_m1()
        } else if p >= 1.0 {
            f64::INFINITY
        } else {
            (1.0 + self.threshold()) * (f / (1.0 - p)).powf(1.0 / self.alpha) - 1.0
        }
    }
    /// P(overrun ≤ x).
    pub fn cdf(&self, x: f64) -> f64 {
        if x <= -1.0 {
            return 0.0;
        }
        let t = self.threshold();
        if x <= t {
            standard_normal_cdf((x.ln_1p() - self.mu) / self.sigma).min(1.0 - self.tail_share)
        } else {
            1.0 - self.tail_share * ((1.0 + t) / (1.0 + x)).powf(self.alpha)
        }
    }
    /// ∫ (1 + Q(p)) dp over the body part p ∈ [p1, p2] ⊆ [0, 1 − f].
    fn body_integral(&self, p1: f64, p2: f64) -> f64 {
        let s = self.sigma;
        (self.mu + 0.5 * s * s).exp()
            * (standard_normal_cdf(standard_normal_inverse(p2) - s)
                - standard_normal_cdf(standard_normal_inverse(p1) - s))
    }
    /// The mean overrun (infinite if alpha ≤ 1).
    pub fn mean(&self) -> f64 {
        self.worst_share_mean(1.0)
    }
    /// The standard deviation; None when it does not exist (alpha ≤ 2: the tail's variance is
    /// infinite).
    pub fn sd(&self) -> Option<f64> {
        if self.alpha <= 2.0 {
            return None;
        }
        let f = self.tail_share;
        let s = self.sigma;
        let z = standard_normal_inverse(1.0 - f);
        let body = (2.0 * self.mu + 2.0 * s * s).exp() * standard_normal_cdf(z - 2.0 * s);
        let tail = f * (1.0 + self.threshold()).powi(2) * self.alpha / (self.alpha - 2.0);
        let m = 1.0 + self.mean();
        Some((body + tail - m * m).max(0.0).sqrt())
    }
    /// The mean overrun of the worst share `share` of projects (of all projects at 1).
    pub fn worst_share_mean(&self, share: f64) -> f64 {
        let f = self.tail_share;
        let a = self.alpha;
        if a <= 1.0 {
            return f64::INFINITY;
        }
        if share <= f {
            // Within the Pareto tail: the tail above Q(1 − share) is again Pareto(alpha).
            return (1.0 + self.quantile(1.0 - share)) * a / (a - 1.0) - 1.0;
        }
        let tail = f * (1.0 + self.threshold()) * a / (a - 1.0);
        let body = self.body_integral(1.0 - share, 1.0 - f);
        (tail + body) / share - 1.0
    }
    /// Mean and variance of ln(1 + overrun): body μ(1 − f) − σφ(z) and
    /// μ²(1 − f) − 2μσφ(z) + σ²((1 − f) − zφ(z)) over z = Φ⁻¹(1 − f); tail ln(1 + t) + E/alpha
    /// with E ~ Exp(1).
    pub fn log_moments(&self) -> (f64, f64) {
        let (mu, s, f, a) = (self.mu, self.sigma, self.tail_share, self.alpha);
        let z = standard_normal_inverse(1.0 - f);
        let phi = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let l = self.threshold().ln_1p();
        let m1 = mu * (1.0 - f) - s * phi + f * (l + 1.0 / a);
        let m2 = mu * mu * (1.0 - f) - 2.0 * mu * s * phi
            + s * s * ((1.0 - f) - z * phi)
            + f * ((l + 1.0 / a).powi(2) + 1.0 / (a * a));
        (m1, m2 - m1 * m1)
    }
    /// The value of a named statistic (the ids of `data/reference_class.toml`'s figures).
    pub fn statistic(&self, id: &str) -> Option<f64> {
        Some(match id {
            "median" => self.quantile(0.5),
            "mean" => self.mean(),
            "worst_sixth_mean" => self.worst_share_mean(WORST_SHARE),
            "tail_share" => self.tail_share,
            "p_deviation_over_10pct" => 1.0 - (self.cdf(DEVIATION) - self.cdf(-DEVIATION)),
            _ => return None,
        })
    }
    /// The class that meets four figures exactly: the median overrun fixes mu = ln(1 + median);
    /// P(|overrun| > 10 %) fixes sigma (by bisection; the body must contain ±10 %); the tail
    /// share is f; the worst share's mean overrun m fixes alpha = (1 + m)/((1 + m) − (1 + t)).
    pub fn solve(
        median: f64,
        p_deviation: f64,
        tail_share: f64,
        worst_mean: f64,
    ) -> Result<SplicedClass, String> {
        let mu = median.ln_1p();
        let (low, high) = ((-DEVIATION).ln_1p(), DEVIATION.ln_1p());
        if !(low < mu && mu < high) {
            return Err(format!(
                "a median overrun of {median} is not within ±{DEVIATION}"
            ));
        }
        let valid = 0.0 < tail_share && tail_share < 0.5 && 0.0 < p_deviation && p_deviation < 1.0;
        if !valid {
            return Err(
                "the tail share must be in (0, 0.5) and the deviation share in (0, 1)".into(),
            );
        }
        let inside =
            |s: f64| standard_normal_cdf((high - mu) / s) - standard_normal_cdf((low - mu) / s);
        let target = 1.0 - p_deviation;
        let (mut a, mut b) = (1e-6, 50.0);
        for _ in 0..200 {
            let m = 0.5 * (a + b);
            if inside(m) > target {
                a = m;
            } else {
                b = m;
            }
        }
        let sigma = 0.5 * (a + b);
        let mut class = SplicedClass {
            mu,
            sigma,
            tail_share,
            alpha: f64::NAN,
        };
        let t = class.threshold();
        if t <= DEVIATION {
            return Err(format!(
                "the tail would begin at {t:.3}, within ±10 %: the deviation share no longer fixes the body"
            ));
        }
        if worst_mean <= t {
            return Err(format!(
                "the worst share's mean {worst_mean} is not above the tail's start {t:.3}"
            ));
        }
        class.alpha = (1.0 + worst_mean) / (worst_mean - t);
        Ok(class)
    }
    /// n values standing for the class: its quantiles at (i − ½)/n, i = 1 … n, ascending (for
    /// [`blended_quantile`], whose outside view is a sample).
    pub fn representative_sample(&self, n: usize) -> Vec<f64> {
        (1..=n)
            .map(|i| self.quantile((i as f64 - 0.5) / n as f64))
            .collect()
    }
}

/// A published figure of the built-in class: what it is, its value, and whether the class was
/// fitted to it (`fit`) or only checked against it (`check`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub statistic: String,
    pub value: f64,
    pub tolerance: f64,
    pub role: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassMeta {
    pub id: String,
    pub name: String,
    /// The size of the sample the figures were published from.
    pub projects: u64,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BuiltinFile {
    class: ClassMeta,
    body: Body,
    tail: Tail,
    figures: Vec<Figure>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    mu: f64,
    sigma: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tail {
    share: f64,
    alpha: f64,
}

/// The built-in reference class: a [`SplicedClass`] reconstructed from published summary
/// statistics (not a raw sample), with the figures it was fitted to and checked against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuiltinClass {
    pub meta: ClassMeta,
    pub distribution: SplicedClass,
    pub figures: Vec<Figure>,
}

impl BuiltinClass {
    /// Parse and check a class file (the format of `data/reference_class.toml`).
    pub fn parse(text: &str) -> Result<BuiltinClass, String> {
        let file: BuiltinFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let distribution = SplicedClass {
            mu: file.body.mu,
            sigma: file.body.sigma,
            tail_share: file.tail.share,
            alpha: file.tail.alpha,
        };
        let d = &distribution;
        let valid = d.mu.is_finite()
            && d.sigma > 0.0
            && d.sigma.is_finite()
            && 0.0 < d.tail_share
            && d.tail_share < 0.5
            && d.alpha > 1.0
            && d.alpha.is_finite();
        if !valid {
            return Err("need a finite mu, sigma > 0, 0 < share < 0.5 and alpha > 1".into());
        }
        if file.class.projects < 2 {
            return Err("class.projects must be at least 2".into());
        }
        for f in &file.figures {
            if d.statistic(&f.statistic).is_none() {
                return Err(format!("unknown statistic `{}`", f.statistic));
            }
            if f.role != "fit" && f.role != "check" {
                return Err(format!("role `{}` is neither fit nor check", f.role));
            }
            if !(f.value.is_finite() && f.tolerance.is_finite() && f.tolerance > 0.0) {
                return Err(format!("figure `{}`: value and tolerance > 0", f.statistic));
            }
        }
        Ok(BuiltinClass {
            meta: file.class,
            distribution,
            figures: file.figures,
        })
    }
    /// The embedded `data/reference_class.toml`.
    pub fn builtin() -> BuiltinClass {
        // Checked by the tests; a broken embedded file is a bug, not bad input.
        BuiltinClass::parse(BUILTIN_CLASS).expect("data/reference_class.toml is valid")
    }
    /// The published value of a figure with this statistic.
    pub fn figure(&self, statistic: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.statistic == statistic)
    }
    /// Re-solve the class from its `fit` figures ([`SplicedClass::solve`]).
    pub fn refit(&self) -> Result<SplicedClass, String> {
        let value = |id: &str| {
            self.figures
                .iter()
                .find(|f| f.statistic == id && f.role == "fit")
                .map(|f| f.value)
                .ok_or_else(|| format!("no fit figure `{id}`"))
        };
        SplicedClass::solve(
            value("median")?,
            value("p_deviation_over_10pct")?,
            value("tail_share")?,
            value("worst_sixth_mean")?,
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The analysis

/// What the class is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassDescription {
    /// `sample` (the user's projects) or `reconstructed` (the built-in class).
    pub kind: String,
    pub name: String,
    /// The file, or the publication.
    pub source: String,
    /// Projects with an overrun (for a reconstructed class: the published sample size, which
    /// the indicative intervals are computed for).
    pub projects: u64,
    /// Rows without an overrun (left out and counted here).
    pub missing: u64,
    /// Their rows (file lines), at most the first 50.
    pub missing_rows: Vec<u64>,
    /// The column read (samples only).
    pub column: Option<String>,
}

/// A value with an optional 95 % interval; a missing value or end is null in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Statistic {
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl Statistic {
    const NONE: Statistic = Statistic {
        value: None,
        low: None,
        high: None,
    };
    fn plain(value: f64) -> Statistic {
        Statistic {
            value: value.is_finite().then_some(value),
            low: None,
            high: None,
        }
    }
    fn with(value: f64, low: f64, high: f64) -> Statistic {
        Statistic {
            value: value.is_finite().then_some(value),
            low: low.is_finite().then_some(low),
            high: high.is_finite().then_some(high),
        }
    }
}

/// The class's summary statistics (overruns as fractions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub projects: u64,
    /// Samples: ± 1.96·sd/√n (normal approximation).
    pub mean: Statistic,
    /// Order-statistic interval.
    pub median: Statistic,
    /// Null when it does not exist (a reconstructed class with a tail exponent ≤ 2).
    pub sd: Statistic,
    /// P(overrun > 0), Wilson interval.
    pub p_overrun: Statistic,
    /// P(overrun ≥ 100 %), Wilson interval.
    pub p_doubled: Statistic,
    /// Mean overrun of the worst sixth (Flyvbjerg & Budzier's black swans).
    pub worst_sixth_mean: Statistic,
    pub min: Statistic,
    pub max: Statistic,
}

/// The required uplift at one level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uplift {
    /// q: the budget B·(1 + uplift) is not exceeded with probability q.
    pub level: f64,
    /// 1 − q.
    pub risk_of_overrun: f64,
    /// The class's q-quantile (type 7 of a sample) with its order-statistic interval.
    pub uplift: Statistic,
    pub ranks: RankInterval,
    /// The lognormal fit's q-quantile with its delta-method interval.
    pub lognormal: Statistic,
    /// With a budget: B·(1 + uplift), its interval, and B·(1 + lognormal uplift).
    pub budget_needed: Option<BudgetNeeded>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BudgetNeeded {
    pub budget: f64,
    pub needed: Statistic,
    pub lognormal: Statistic,
}

/// The lognormal fit of 1 + overrun.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LognormalSummary {
    /// `maximum likelihood` (sample) or `log-moment projection` (reconstructed class: the
    /// large-sample limit of the ML fit, mu and sigma the mean and sd of ln(1 + overrun)).
    pub method: String,
    pub mu: Statistic,
    pub sigma: Statistic,
    pub log_likelihood: Option<f64>,
    /// sup |F_class − F_fit| (over the sample, or over a grid of 99,999 quantiles).
    pub ks_distance: f64,
    /// Lilliefors' 5 % critical value for D with estimated parameters, 0.886/√n, for samples
    /// of more than 30.
    pub lilliefors_critical_5pct: Option<f64>,
    pub mean: f64,
    pub median: f64,
    pub p_overrun: f64,
    pub p_doubled: f64,
    #[serde(skip)]
    pub fit: Lognormal,
}

/// A published figure beside the reconstructed class's value.
/// The budget uplift at each level: the class's quantile with its order-statistic ranks, and the
/// fitted lognormal's.
fn uplifts(
    levels: &[f64],
    quantile: impl Fn(f64) -> (Statistic, RankInterval),
    fit: &Lognormal,
) -> Vec<Uplift> {
    levels
        .iter()
        .map(|&q| {
            let (uplift, ranks) = quantile(q);
            Uplift {
                level: q,
                risk_of_overrun: 1.0 - q,
                uplift,
                ranks,
                lognormal: lognormal_uplift(fit, q),
                budget_needed: None,
            }
        })
        .collect()
}

/// A fitted lognormal as reported: its parameters with 95 % intervals and what it implies.
fn lognormal_summary(
    fit: Lognormal,
    method: &str,
    log_likelihood: Option<f64>,
    ks_distance: f64,
    lilliefors_critical_5pct: Option<f64>,
) -> LognormalSummary {
    LognormalSummary {
        method: method.into(),
        mu: Statistic::with(
            fit.mu,
            fit.mu - Z95 * fit.se_mu(),
            fit.mu + Z95 * fit.se_mu(),
        ),
        sigma: Statistic::with(
            fit.sigma,
            fit.sigma - Z95 * fit.se_sigma(),
            fit.sigma + Z95 * fit.se_sigma(),
        ),
        log_likelihood,
        ks_distance,
        lilliefors_critical_5pct,
        mean: fit.mean(),
        median: fit.quantile(0.5),
        p_overrun: 1.0 - fit.cdf(0.0),
        p_doubled: 1.0 - fit.cdf(1.0),
        fit,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureCheck {
    pub statistic: String,
    pub role: String,
    pub published: f64,
    pub class: f64,
    pub tolerance: f64,
    pub within_tolerance: bool,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Methods {
    pub quantile: &'static str,
    pub interval: &'static str,
    pub uplift: &'static str,
    pub lognormal: &'static str,
    pub blend: &'static str,
}

const METHODS: Methods = Methods {
    quantile: METHOD_QUANTILE,
    interval: METHOD_INTERVAL,
    uplift: METHOD_UPLIFT,
    lognormal: METHOD_LOGNORMAL,
    blend: METHOD_BLEND,
};

/// The result of `crmcast reference-class` (its JSON record).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceClassResult {
    pub class: ClassDescription,
    pub summary: Summary,
    pub uplifts: Vec<Uplift>,
    pub lognormal: LognormalSummary,
    /// The built-in class: the published figures beside the class's values (else empty).
    pub figures: Vec<FigureCheck>,
    /// The built-in class's parameters (else null).
    pub distribution: Option<SplicedClass>,
    pub methods: Methods,
}

impl ReferenceClassResult {
    /// Add "a budget of B needs B·(1 + u)" to every level.
    pub fn with_budget(mut self, budget: f64) -> ReferenceClassResult {
        let scale = |s: Statistic| Statistic {
            value: s.value.map(|u| budget * (1.0 + u)),
            low: s.low.map(|u| budget * (1.0 + u)),
            high: s.high.map(|u| budget * (1.0 + u)),
        };
        for u in &mut self.uplifts {
            u.budget_needed = Some(BudgetNeeded {
                budget,
                needed: scale(u.uplift),
                lognormal: scale(u.lognormal),
            });
        }
        self
    }
}

fn lognormal_uplift(fit: &Lognormal, q: f64) -> Statistic {
    let (low, high) = fit.quantile_interval(q);
    Statistic::with(fit.quantile(q), low, high)
}

fn lilliefors(n: u64) -> Option<f64> {
    (n > 30).then(|| 0.886 / (n as f64).sqrt())
}

/// Analyse a sample of overruns (finite, > −1; at least two). `levels` in (0, 1).
pub fn analyse_sample(
    class: ClassDescription,
    overruns: &[f64],
    levels: &[f64],
) -> Result<ReferenceClassResult, String> {
    if overruns.len() < 2 {
        return Err(format!(
            "{} overrun(s): a reference class needs at least two",
            overruns.len()
        ));
    }
    if let Some(bad) = overruns.iter().find(|x| !(x.is_finite() && **x > -1.0)) {
        return Err(format!("{bad} is not an overrun above -1"));
    }
    let mut sorted = overruns.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as u64;
    let nf = n as f64;
    let mean = sorted.iter().sum::<f64>() / nf;
    let sd = (sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0)).sqrt();
    let quantile = |q: f64| {
        let ranks = order_statistic_ranks(n, q, CONFIDENCE);
        let low = ranks
            .low_rank
            .map_or(f64::NEG_INFINITY, |l| sorted[l as usize - 1]);
        let high = ranks
            .high_rank
            .map_or(f64::INFINITY, |u| sorted[u as usize - 1]);
        (
            Statistic::with(quantile_type7(&sorted, q), low, high),
            ranks,
        )
    };
    let proportion = |k: usize| {
        let (low, high) = wilson(k as u64, n);
        Statistic::with(k as f64 / nf, low, high)
    };
    let over = sorted.iter().filter(|x| **x > 0.0).count();
    let doubled = sorted.iter().filter(|x| **x >= 1.0).count();
    let half = Z95 * sd / nf.sqrt();
    let summary = Summary {
        projects: n,
        mean: Statistic::with(mean, mean - half, mean + half),
        median: quantile(0.5).0,
        sd: Statistic::plain(sd),
        p_overrun: proportion(over),
        p_doubled: proportion(doubled),
        worst_sixth_mean: Statistic::plain(worst_share_mean(&sorted, WORST_SHARE)),
        min: Statistic::plain(sorted[0]),
        max: Statistic::plain(sorted[sorted.len() - 1]),
    };
    let fit = Lognormal::fit(&sorted)
        .ok_or("every overrun is the same: there is no spread to describe")?;
    let uplifts = uplifts(levels, quantile, &fit);
    let log_likelihood = fit.log_likelihood(&sorted);
    let ks_distance = fit.ks_distance(&sorted);
    let lognormal = lognormal_summary(
        fit,
        "maximum likelihood",
        Some(log_likelihood),
        ks_distance,
        lilliefors(n),
    );
    Ok(ReferenceClassResult {
        class,
        summary,
        uplifts,
        lognormal,
        figures: Vec::new(),
        distribution: None,
        methods: METHODS,
    })
}

/// Analyse the built-in (reconstructed) class. Its figures are exact properties of the
/// distribution; the intervals are indicative: the spread of the same statistics in a sample
/// of the published size N from the class (order statistics at the ranks of
/// [`order_statistic_ranks`], placed at the class's quantiles k/(N + 1); Wilson for shares;
/// ± 1.96·sd/√N for the mean, when the sd exists). They leave out the error of the
/// reconstruction itself.
pub fn analyse_builtin(builtin: &BuiltinClass, levels: &[f64]) -> ReferenceClassResult {
    let d = builtin.distribution;
    let n = builtin.meta.projects;
    let nf = n as f64;
    let quantile = |q: f64| {
        let ranks = order_statistic_ranks(n, q, CONFIDENCE);
        let at = |k: Option<u64>, open: f64| k.map_or(open, |k| d.quantile(k as f64 / (nf + 1.0)));
        let low = at(ranks.low_rank, f64::NEG_INFINITY);
        let high = at(ranks.high_rank, f64::INFINITY);
        (Statistic::with(d.quantile(q), low, high), ranks)
    };
    let proportion = |p: f64| {
        // Wilson at the nearest count: the indicative spread of a share in N projects.
        let (low, high) = wilson((p * nf).round() as u64, n);
        Statistic::with(p, low, high)
    };
    let mean = d.mean();
    let sd = d.sd();
    let summary = Summary {
        projects: n,
        mean: match sd {
            Some(sd) => {
                let half = Z95 * sd / nf.sqrt();
                Statistic::with(mean, mean - half, mean + half)
            }
            None => Statistic::plain(mean),
        },
        median: quantile(0.5).0,
        sd: Statistic {
            value: sd,
            low: None,
            high: None,
        },
        p_overrun: proportion(1.0 - d.cdf(0.0)),
        p_doubled: proportion(1.0 - d.cdf(1.0)),
        worst_sixth_mean: Statistic::plain(d.worst_share_mean(WORST_SHARE)),
        // A distribution, not a sample: no smallest or largest project.
        min: Statistic::NONE,
        max: Statistic::NONE,
    };
    let (m1, var) = d.log_moments();
    let fit = Lognormal {
        mu: m1,
        sigma: var.sqrt(),
        n,
    };
    let grid = 100_000;
    let ks = (1..grid)
        .map(|i| {
            let p = i as f64 / grid as f64;
            (p - fit.cdf(d.quantile(p))).abs()
        })
        .fold(0.0, f64::max);
    let uplifts = uplifts(levels, quantile, &fit);
    let lognormal = lognormal_summary(
        fit,
        "log-moment projection (the large-sample limit of the ML fit)",
        None,
        ks,
        None,
    );
    let figures = builtin
        .figures
        .iter()
        .map(|f| {
            let class = d.statistic(&f.statistic).unwrap_or(f64::NAN);
            FigureCheck {
                statistic: f.statistic.clone(),
                role: f.role.clone(),
                published: f.value,
                class,
                tolerance: f.tolerance,
                within_tolerance: (class - f.value).abs() <= f.tolerance,
                source: f.source.clone(),
            }
        })
        .collect();
    ReferenceClassResult {
        class: ClassDescription {
            kind: "reconstructed".into(),
            name: builtin.meta.name.clone(),
            source: builtin.meta.source.clone(),
            projects: n,
            missing: 0,
            missing_rows: Vec::new(),
            column: None,
        },
        summary,
        uplifts,
        lognormal,
        figures,
        distribution: Some(d),
        methods: METHODS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_distr::StandardNormal;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn one_to_hundred() -> Vec<f64> {
        (1..=100).map(f64::from).collect()
    }

    #[test]
    fn type7_quantiles_of_one_to_a_hundred() {
        let x = one_to_hundred();
        // h = 99q: Q = 1 + 99q.
        for (q, expected) in [
            (0.0, 1.0),
            (0.5, 50.5),
            (0.8, 80.2),
            (0.9, 90.1),
            (0.95, 95.05),
            (1.0, 100.0),
        ] {
            assert!((quantile_type7(&x, q) - expected).abs() < 1e-9, "q {q}");
        }
        assert_eq!(quantile_type7(&[3.0], 0.7), 3.0);
        assert!(quantile_type7(&[], 0.5).is_nan());
        // R: quantile(c(-0.2, 0, 0.1, 0.5, 2), c(0.5, 0.8, 0.9)) = 0.1, 0.8, 1.4
        let y = [-0.2, 0.0, 0.1, 0.5, 2.0];
        for (q, r) in [(0.5, 0.1), (0.8, 0.8), (0.9, 1.4)] {
            assert!((quantile_type7(&y, q) - r).abs() < 1e-12);
        }
    }

    #[test]
    fn order_statistic_ranks_of_the_median_of_a_hundred() {
        // Conover (1999), Practical Nonparametric Statistics, the median of n = 100: ranks 40
        // and 61; P(B ≤ 39) = 0.017600 for B ~ Bin(100, ½), so the coverage is 1 − 2·0.0176.
        let r = order_statistic_ranks(100, 0.5, 0.95);
        assert_eq!((r.low_rank, r.high_rank), (Some(40), Some(61)));
        assert!((r.coverage - (1.0 - 2.0 * 0.017_600_100_042_530_27)).abs() < 1e-9);
        // P90 of n = 20: 0.9^20 = 0.1216 > 2.5 %, so no upper end within the sample.
        let small = order_statistic_ranks(20, 0.9, 0.95);
        assert_eq!(small.high_rank, None);
        assert!(small.low_rank.is_some() && small.coverage >= 0.95);
        // The upper end appears once 0.9^n ≤ 2.5 %: n ≥ 36.
        assert_eq!(order_statistic_ranks(35, 0.9, 0.95).high_rank, None);
        assert_eq!(order_statistic_ranks(36, 0.9, 0.95).high_rank, Some(36));
    }

    /// Brute force: l and u by summing binomial probabilities term by term.
    #[test]
    fn ranks_agree_with_direct_binomial_sums() {
        for (n, q) in [
            (10u64, 0.5f64),
            (37, 0.8),
            (120, 0.9),
            (500, 0.2),
            (1471, 0.8),
        ] {
            let pmf: Vec<f64> = (0..=n)
                .map(|k| {
                    let ln_choose = statrs::function::gamma::ln_gamma(n as f64 + 1.0)
                        - statrs::function::gamma::ln_gamma(k as f64 + 1.0)
                        - statrs::function::gamma::ln_gamma((n - k) as f64 + 1.0);
                    (ln_choose + k as f64 * q.ln() + (n - k) as f64 * (1.0 - q).ln()).exp()
                })
                .collect();
            let cdf = |k: u64| pmf[..=k as usize].iter().sum::<f64>();
            let low = (1..=n).rev().find(|&l| cdf(l - 1) <= 0.025);
            let high = (1..=n).find(|&u| 1.0 - cdf(u - 1) <= 0.025);
            let r = order_statistic_ranks(n, q, 0.95);
            assert_eq!((r.low_rank, r.high_rank), (low, high), "n {n}, q {q}");
            assert!(r.coverage >= 0.95 - 1e-12);
        }
    }

    /// The interval covers the true quantile of U(0, 1) at least 95 % of the time (it is
    /// conservative: the coverage is the exact binomial coverage, here 96.5 %).
    #[test]
    fn order_statistic_interval_covers_at_its_exact_rate() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let (n, q, reps) = (60usize, 0.8, 4000);
        let ranks = order_statistic_ranks(n as u64, q, 0.95);
        let (l, u) = (
            ranks.low_rank.expect("low") as usize,
            ranks.high_rank.expect("high") as usize,
        );
        let mut covered = 0;
        for _ in 0..reps {
            let mut x: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
            x.sort_by(f64::total_cmp);
            covered += usize::from(x[l - 1] <= q && q < x[u - 1]);
        }
        let rate = covered as f64 / reps as f64;
        let se = (ranks.coverage * (1.0 - ranks.coverage) / reps as f64).sqrt();
        assert!(
            (rate - ranks.coverage).abs() < 4.0 * se,
            "{rate} vs {}",
            ranks.coverage
        );
    }

    #[test]
    fn lognormal_ml_recovers_known_parameters_within_four_standard_errors() {
        for (seed, mu, sigma, n) in [
            (1u64, 0.1, 0.5, 2000usize),
            (2, -0.2, 0.9, 300),
            (3, 0.0, 0.3, 50),
        ] {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let x: Vec<f64> = (0..n)
                .map(|_| (mu + sigma * rng.sample::<f64, _>(StandardNormal)).exp_m1())
                .collect();
            let fit = Lognormal::fit(&x).expect("fit");
            assert!((fit.mu - mu).abs() < 4.0 * fit.se_mu(), "{fit:?}");
            assert!((fit.sigma - sigma).abs() < 4.0 * fit.se_sigma(), "{fit:?}");
            // The ML estimates are the closed forms.
            let y: Vec<f64> = x.iter().map(|v| v.ln_1p()).collect();
            let m = y.iter().sum::<f64>() / n as f64;
            assert!((fit.mu - m).abs() < 1e-12);
        }
    }

    #[test]
    fn lognormal_quantile_and_interval() {
        let fit = Lognormal {
            mu: 0.0,
            sigma: 0.5,
            n: 100,
        };
        assert!(fit.quantile(0.5).abs() < 1e-12);
        let z = standard_normal_inverse(0.8);
        assert!((fit.quantile(0.8) - (0.5 * z).exp_m1()).abs() < 1e-12);
        let (low, high) = fit.quantile_interval(0.8);
        let half = Z95 * 0.5 * (0.01 + z * z / 200.0).sqrt();
        assert!((low - (0.5 * z - half).exp_m1()).abs() < 1e-12);
        assert!((high - (0.5 * z + half).exp_m1()).abs() < 1e-12);
        assert!((fit.cdf(fit.quantile(0.9)) - 0.9).abs() < 1e-9);
    }

    /// Inside U(0, 1) and outside U(0, 2), each as the sample whose type-7 CDF is exactly that
    /// uniform's: the blend's CDF is x(1 − w/2) on [0, 1] and (1 − w) + wx/2 on [1, 2], linear
    /// in w, so its quantile has a closed form.
    #[test]
    fn blend_of_two_uniforms_matches_the_closed_form() {
        let inside: Vec<f64> = (0..=1000).map(|i| i as f64 / 1000.0).collect();
        let outside: Vec<f64> = (0..=400).map(|i| i as f64 / 200.0).collect();
        for w in [0.0, 0.1, 0.25, 0.5, 0.8, 1.0] {
            for q in [0.0, 0.05, 0.3, 0.5, 0.8, 0.9, 0.97, 1.0] {
                let expected = if q <= 1.0 - w / 2.0 {
                    q / (1.0 - w / 2.0)
                } else {
                    2.0 * (q - 1.0 + w) / w
                };
                let got = blended_quantile(&inside, &outside, w, q);
                assert!(
                    (got - expected).abs() < 1e-9,
                    "w {w}, q {q}: {got} vs {expected}"
                );
                if q > 0.0 {
                    assert!((blended_cdf(&inside, &outside, w, got) - q).abs() < 1e-9);
                }
            }
            // The CDF is linear in w.
            for x in [0.2, 0.9, 1.3, 1.9] {
                let g = blended_cdf(&inside, &outside, w, x);
                let linear = (1.0 - w) * blended_cdf(&inside, &outside, 0.0, x)
                    + w * blended_cdf(&inside, &outside, 1.0, x);
                assert!((g - linear).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn blend_at_the_ends_is_each_views_type7_quantile() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut a: Vec<f64> = (0..57)
            .map(|_| (rng.random::<f64>() * 20.0).round() / 10.0)
            .collect();
        let mut b: Vec<f64> = (0..13).map(|_| rng.random::<f64>() * 3.0 - 0.5).collect();
        a.sort_by(f64::total_cmp); // with ties
        b.sort_by(f64::total_cmp);
        for q in [0.0, 0.01, 0.2, 0.5, 0.77, 0.8, 0.9, 0.999, 1.0] {
            assert!(
                (blended_quantile(&a, &b, 0.0, q) - quantile_type7(&a, q)).abs() < 1e-9,
                "q {q}"
            );
            assert!(
                (blended_quantile(&a, &b, 1.0, q) - quantile_type7(&b, q)).abs() < 1e-9,
                "q {q}"
            );
            assert!((blended_quantile(&a, &[], 0.0, q) - quantile_type7(&a, q)).abs() < 1e-9);
        }
        assert!(blended_quantile(&a, &[], 0.5, 0.5).is_nan());
        assert!(blended_quantile(&a, &b, 1.5, 0.5).is_nan());
        // Monotone in q.
        let mut last = f64::NEG_INFINITY;
        for i in 0..=200 {
            let v = blended_quantile(&a, &b, 0.3, i as f64 / 200.0);
            assert!(v >= last - 1e-12);
            last = v;
        }
    }

    /// The blend is what trials drawing from the outside view with probability w produce.
    #[test]
    fn blend_is_the_distribution_of_trials_that_pick_a_view() {
        let inside: Vec<f64> = (0..200).map(|i| (i as f64 / 199.0).powi(2)).collect();
        let outside: Vec<f64> = (0..50).map(|i| -0.3 + 3.0 * i as f64 / 49.0).collect();
        let (w, trials) = (0.3, 400_000);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let mut draws: Vec<f64> = (0..trials)
            .map(|_| {
                let view = if rng.random::<f64>() < w {
                    &outside
                } else {
                    &inside
                };
                quantile_type7(view, rng.random::<f64>())
            })
            .collect();
        draws.sort_by(f64::total_cmp);
        for q in [0.1, 0.5, 0.8, 0.9] {
            let simulated = quantile_type7(&draws, q);
            let blended = blended_quantile(&inside, &outside, w, q);
            // The empirical CDF at the blended quantile is within 4 binomial SEs of q.
            let below = draws.partition_point(|x| *x <= blended) as f64 / trials as f64;
            let se = (q * (1.0 - q) / trials as f64).sqrt();
            assert!(
                (below - q).abs() < 4.0 * se,
                "q {q}: {simulated} vs {blended}"
            );
        }
    }

    #[test]
    fn worst_share_mean_counts_the_edge_pro_rata() {
        let x = one_to_hundred();
        // n/6 = 16.67: the 16 largest (85…100) and 2/3 of 84.
        let expected =
            ((85..=100).sum::<i32>() as f64 + 84.0 * (100.0 / 6.0 - 16.0)) / (100.0 / 6.0);
        assert!((worst_share_mean(&x, WORST_SHARE) - expected).abs() < 1e-9);
        assert!((worst_share_mean(&x, 1.0) - 50.5).abs() < 1e-12);
    }

    #[test]
    fn wilson_interval_known_value() {
        // 10 of 100: Wilson 95 % interval [0.0552, 0.1744].
        let (low, high) = wilson(10, 100);
        assert!((low - 0.055_229).abs() < 1e-5 && (high - 0.174_366).abs() < 1e-5);
    }

    #[test]
    fn spliced_class_is_consistent() {
        let d = SplicedClass {
            mu: 0.05,
            sigma: 0.4,
            tail_share: 1.0 / 6.0,
            alpha: 2.5,
        };
        for p in [0.01, 0.3, 0.5, 0.8, 5.0 / 6.0, 0.9, 0.99] {
            assert!((d.cdf(d.quantile(p)) - p).abs() < 1e-9, "p {p}");
        }
        // Moments by the midpoint rule on the quantile function.
        let m = 2_000_000;
        let grid: Vec<f64> = (0..m)
            .map(|i| d.quantile((i as f64 + 0.5) / m as f64))
            .collect();
        let mean = grid.iter().sum::<f64>() / m as f64;
        assert!((mean - d.mean()).abs() < 2e-3, "{mean} vs {}", d.mean());
        let top = &grid[m - m / 6..];
        let worst = top.iter().sum::<f64>() / top.len() as f64;
        assert!((worst - d.worst_share_mean(1.0 / 6.0)).abs() < 5e-3);
        let worst_quarter = grid[m - m / 4..].iter().sum::<f64>() / (m / 4) as f64;
        assert!((worst_quarter - d.worst_share_mean(0.25)).abs() < 5e-3);
        let y: Vec<f64> = grid.iter().map(|v| v.ln_1p()).collect();
        let m1 = y.iter().sum::<f64>() / m as f64;
        let var = y.iter().map(|v| (v - m1).powi(2)).sum::<f64>() / m as f64;
        let (e1, evar) = d.log_moments();
        assert!((m1 - e1).abs() < 1e-4 && (var - evar).abs() < 1e-3);
        let sd = d.sd().expect("alpha > 2");
        let gsd = (grid.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m as f64).sqrt();
        assert!((gsd - sd).abs() / sd < 0.05, "{gsd} vs {sd}");
        assert_eq!(SplicedClass { alpha: 2.0, ..d }.sd(), None);
    }

    #[test]
    fn solve_meets_its_figures_exactly() {
        let d = SplicedClass::solve(0.0, 0.8, 1.0 / 6.0, 2.0).expect("solve");
        assert!(d.statistic("median").unwrap().abs() < 1e-12);
        assert!((d.statistic("p_deviation_over_10pct").unwrap() - 0.8).abs() < 1e-9);
        assert!((d.statistic("worst_sixth_mean").unwrap() - 2.0).abs() < 1e-9);
        assert!(SplicedClass::solve(0.5, 0.8, 1.0 / 6.0, 2.0).is_err());
        assert!(SplicedClass::solve(0.0, 0.8, 1.0 / 6.0, 0.2).is_err());
    }

    #[test]
    fn the_embedded_class_parses() {
        let class = BuiltinClass::builtin();
        assert_eq!(class.meta.projects, 1471);
        assert!(BuiltinClass::parse("x = 1").is_err());
        let r = analyse_builtin(&class, &DEFAULT_LEVELS);
        assert_eq!(r.uplifts.len(), 3);
        assert!(
            r.figures.iter().all(|f| f.within_tolerance),
            "{:?}",
            r.figures
        );
    }

    #[test]
    fn sample_analysis_of_a_known_sample() {
        let x: Vec<f64> = (1..=100).map(|i| f64::from(i) / 100.0 - 0.3).collect();
        let class = ClassDescription {
            kind: "sample".into(),
            name: "test".into(),
            source: "test".into(),
            projects: 100,
            missing: 0,
            missing_rows: vec![],
            column: None,
        };
        let r = analyse_sample(class, &x, &DEFAULT_LEVELS).expect("analyse");
        let p80 = &r.uplifts[1];
        assert!((p80.uplift.value.unwrap() - (0.802 - 0.3)).abs() < 1e-12);
        // The median's interval: ranks 40 and 61.
        assert!((r.summary.median.low.unwrap() - (0.40 - 0.3)).abs() < 1e-12);
        assert!((r.summary.median.high.unwrap() - (0.61 - 0.3)).abs() < 1e-12);
        assert_eq!(r.summary.p_overrun.value, Some(0.7));
        assert_eq!(r.summary.p_doubled.value, Some(0.0));
        assert!((r.summary.mean.value.unwrap() - 0.205).abs() < 1e-12);
        let with = r.with_budget(1000.0);
        let needed = with.uplifts[1].budget_needed.unwrap().needed.value.unwrap();
        assert!((needed - 1502.0).abs() < 1e-9);
    }
}
