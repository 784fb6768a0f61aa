//! Keeping score of forecasts (`crmcast score`, docs/SCORE.md): how past forecasts of P(success)
//! and of the P50/P80 of overrun and slip fared against what happened. Pure: it takes the
//! forecasts and outcomes already read and checked (`export::ledger` reads the ledger file).
//!
//! - P(success): the Brier score (Brier 1950) with its generalised decomposition into
//!   reliability, resolution, uncertainty and the two within-bin terms (Stephenson, Coelho &
//!   Jolliffe 2008), the Brier skill score against the sample's climatology, the log score, and
//!   the calibration slope (Cox 1958), whose interval gives the over/underconfidence verdict;
//! - P50 and P80: the share of actuals at or below them, with exact (Clopper–Pearson)
//!   intervals, against the nominal 50 % and 80 %;
//! - a reliability diagram: per bin of forecast probability, the observed frequency with its
//!   exact interval.
//!
//! Intervals: the Brier and log scores are means over independent forecasts (normal interval
//! from the standard error of the mean); the skill score and the decomposition's terms from a
//! percentile bootstrap with a fixed seed (deterministic); coverages and bin frequencies exact.

use crate::analysis::report::Estimate;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use statrs::distribution::{Beta, ContinuousCDF};

#[cfg(test)]
mod tests;

/// Probabilities are clamped to [CLAMP, 1 − CLAMP] for the log score and the calibration
/// slope: a forecast of exactly 0 or 1 that misses would score infinity.
pub const CLAMP: f64 = 1e-6;
/// Equal-width bins of forecast probability for the decomposition and the diagram:
/// [0, 0.1), [0.1, 0.2), …, [0.9, 1].
pub const BINS: usize = 10;
/// Bootstrap resamples behind the intervals of the skill score and the decomposition.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;
/// The bootstrap's seed: the same ledger always gives the same intervals.
pub const BOOTSTRAP_SEED: u64 = 0x05C0_2E15;
/// Two-sided level of every interval.
const ALPHA: f64 = 0.05;

/// One recorded forecast and what became of it (`None`: not known yet, or not filled in).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Scored {
    pub p_success: f64,
    pub overrun_p50: f64,
    pub overrun_p80: f64,
    pub slip_p50: f64,
    pub slip_p80: f64,
    pub success: Option<bool>,
    pub overrun: Option<f64>,
    pub slip: Option<f64>,
}

/// A share with its exact (Clopper–Pearson) 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    pub count: u64,
    pub n: u64,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// The generalised Brier decomposition (Stephenson et al. 2008):
/// `brier = reliability − resolution + uncertainty + within_bin_variance − within_bin_covariance`,
/// exact for any forecasts; the classical one (Murphy 1973) drops the last two terms, which
/// vanish when the forecasts within each bin are equal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Decomposition {
    pub reliability: Estimate,
    pub resolution: Estimate,
    pub uncertainty: Estimate,
    pub within_bin_variance: f64,
    pub within_bin_covariance: f64,
}

/// The calibration slope `b` of `logit P(success) = a + b · logit p` (Cox 1958), fitted by
/// maximum likelihood, with its Wald 95 % interval: 1 is calibrated, below 1 the forecasts are
/// too extreme (overconfident), above 1 too timid (underconfident).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CalibrationSlope {
    pub intercept: f64,
    pub slope: Estimate,
}

/// One bin of the reliability diagram.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReliabilityBin {
    /// The bin's bounds of forecast probability.
    pub from: f64,
    pub to: f64,
    /// The mean forecast of the bin's forecasts.
    pub forecast: f64,
    /// The share that succeeded, with its exact interval.
    pub observed: Share,
}

/// What the P(success) forecasts scored (only rows with a known outcome).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbabilityScore {
    pub n: u64,
    /// Mean forecast and observed frequency (calibration in the large).
    pub mean_forecast: f64,
    pub base_rate: Share,
    /// Mean of (p − o)²: 0 is perfect, 0.25 is always saying 50 %.
    pub brier: Estimate,
    pub decomposition: Decomposition,
    /// 1 − brier / uncertainty: the share of the climatological forecast's Brier score removed
    /// (climatology = the sample's base rate, forecast for every project).
    pub brier_skill: Estimate,
    /// Mean of −ln(probability given to what happened), probabilities clamped to
    /// [1e-6, 1 − 1e-6]: 0 is perfect, ln 2 ≈ 0.693 is always saying 50 %.
    pub log_score: Estimate,
    /// `None` when it cannot be fitted (all outcomes alike, or all forecasts equal).
    pub calibration_slope: Option<CalibrationSlope>,
    /// `overconfident` or `underconfident` (the calibration slope's interval excludes 1), else
    /// `optimistic` or `pessimistic` (the mean forecast lies outside the observed rate's exact
    /// interval), else `consistent`, or `undetermined` when the slope cannot be fitted.
    pub verdict: &'static str,
    pub bins: Vec<ReliabilityBin>,
}

/// How often the actuals fell at or below a forecast quantile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Coverage {
    /// `overrun` or `slip`.
    pub quantity: &'static str,
    /// 0.5 or 0.8.
    pub nominal: f64,
    pub share: Share,
    /// Whether the nominal level lies inside the share's interval.
    pub nominal_inside: bool,
    /// In words: `consistent`; for P80 `overconfident` (too few at or below: the range was too
    /// narrow) or `underconfident`; for P50 `optimistic` (actuals mostly above the median) or
    /// `pessimistic`; `no data` without outcomes.
    pub verdict: &'static str,
}

/// The whole score of a ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// `None` without any known success outcome.
    pub probability: Option<ProbabilityScore>,
    /// Overrun P50, overrun P80, slip P50, slip P80.
    pub coverage: Vec<Coverage>,
}

/// Score the forecasts in `rows` against their outcomes; rows lacking an outcome count only
/// where they have one.
pub fn score(rows: &[Scored]) -> Score {
    let pairs: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|r| r.success.map(|s| (r.p_success, if s { 1.0 } else { 0.0 })))
        .collect();
    let coverage = vec![
        coverage(rows, "overrun", 0.5, |r| {
            r.overrun.map(|a| a <= r.overrun_p50)
        }),
        coverage(rows, "overrun", 0.8, |r| {
            r.overrun.map(|a| a <= r.overrun_p80)
        }),
        coverage(rows, "slip", 0.5, |r| r.slip.map(|a| a <= r.slip_p50)),
        coverage(rows, "slip", 0.8, |r| r.slip.map(|a| a <= r.slip_p80)),
    ];
    Score {
        probability: (!pairs.is_empty()).then(|| probability_score(&pairs)),
        coverage,
    }
}

fn coverage(
    rows: &[Scored],
    quantity: &'static str,
    nominal: f64,
    below: impl Fn(&Scored) -> Option<bool>,
) -> Coverage {
    let hits: Vec<bool> = rows.iter().filter_map(below).collect();
    let share = clopper_pearson(
        hits.iter().filter(|&&h| h).count() as u64,
        hits.len() as u64,
    );
    let inside = share.n > 0 && share.low <= nominal && nominal <= share.high;
    let verdict = match (share.n, inside, share.high < nominal, nominal < 0.6) {
        (0, ..) => "no data",
        (_, true, ..) => "consistent",
        (_, false, true, true) => "optimistic",
        (_, false, false, true) => "pessimistic",
        (_, false, true, false) => "overconfident",
        (_, false, false, false) => "underconfident",
    };
    Coverage {
        quantity,
        nominal,
        share,
        nominal_inside: inside,
        verdict,
    }
}

/// `count` of `n` with its exact 95 % interval (Clopper & Pearson 1934), from the Beta
/// quantiles. With `n = 0` every figure is NaN.
pub fn clopper_pearson(count: u64, n: u64) -> Share {
    if n == 0 {
        return Share {
            count,
            n,
            value: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    let (k, m) = (count as f64, n as f64);
    let low = if count == 0 {
        0.0
    } else {
        Beta::new(k, m - k + 1.0).map_or(0.0, |b| b.inverse_cdf(ALPHA / 2.0))
    };
    let high = if count == n {
        1.0
    } else {
        Beta::new(k + 1.0, m - k).map_or(1.0, |b| b.inverse_cdf(1.0 - ALPHA / 2.0))
    };
    Share {
        count,
        n,
        value: k / m,
        low,
        high,
    }
}

/// The bin of forecast `p` (the last bin is closed at 1).
fn bin_of(p: f64) -> usize {
    ((p * BINS as f64).floor().max(0.0) as usize).min(BINS - 1)
}

/// Mean and the standard error of the mean (n − 1 in the variance), as a normal interval.
fn mean_estimate(values: impl Iterator<Item = f64>) -> Estimate {
    let values: Vec<f64> = values.collect();
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        f64::NAN
    };
    Estimate::normal(mean, (var / n).sqrt())
}

/// The decomposition's point values: (reliability, resolution, uncertainty, within-bin
/// variance, within-bin covariance).
fn decompose(pairs: &[(f64, f64)]) -> [f64; 5] {
    let n = pairs.len() as f64;
    let base = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let mut count = [0.0; BINS];
    let mut sum_p = [0.0; BINS];
    let mut sum_o = [0.0; BINS];
    for &(p, o) in pairs {
        let k = bin_of(p);
        count[k] += 1.0;
        sum_p[k] += p;
        sum_o[k] += o;
    }
    let (mut rel, mut res) = (0.0, 0.0);
    for k in (0..BINS).filter(|&k| count[k] > 0.0) {
        let (pk, ok) = (sum_p[k] / count[k], sum_o[k] / count[k]);
        rel += count[k] * (pk - ok).powi(2);
        res += count[k] * (ok - base).powi(2);
    }
    let (mut wbv, mut wbc) = (0.0, 0.0);
    for &(p, o) in pairs {
        let k = bin_of(p);
        let (pk, ok) = (sum_p[k] / count[k], sum_o[k] / count[k]);
        wbv += (p - pk).powi(2);
        wbc += 2.0 * (o - ok) * (p - pk);
    }
    [rel / n, res / n, base * (1.0 - base), wbv / n, wbc / n]
}

fn brier(pairs: &[(f64, f64)]) -> f64 {
    pairs.iter().map(|(p, o)| (p - o).powi(2)).sum::<f64>() / pairs.len() as f64
}

/// 1 − BS / (ō(1 − ō)); NaN when every outcome is alike (climatology is then perfect).
fn skill(pairs: &[(f64, f64)]) -> f64 {
    let [_, _, unc, _, _] = decompose(pairs);
    if unc > 0.0 {
        1.0 - brier(pairs) / unc
    } else {
        f64::NAN
    }
}

/// Percentile-bootstrap 95 % intervals of the skill score, reliability, resolution and
/// uncertainty, with a fixed seed.
fn bootstrap(pairs: &[(f64, f64)]) -> [(f64, f64); 4] {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(BOOTSTRAP_SEED);
    let mut draws: [Vec<f64>; 4] = Default::default();
    let mut sample = Vec::with_capacity(pairs.len());
    for _ in 0..BOOTSTRAP_RESAMPLES {
        sample.clear();
        sample.extend((0..pairs.len()).map(|_| pairs[rng.random_range(0..pairs.len())]));
        let [rel, res, unc, _, _] = decompose(&sample);
        let values = [skill(&sample), rel, res, unc];
        for (d, v) in draws.iter_mut().zip(values) {
            if v.is_finite() {
                d.push(v);
            }
        }
    }
    draws.map(|mut d| {
        if d.is_empty() {
            return (f64::NAN, f64::NAN);
        }
        d.sort_by(f64::total_cmp);
        (
            percentile(&d, ALPHA / 2.0),
            percentile(&d, 1.0 - ALPHA / 2.0),
        )
    })
}

/// The `q` quantile of sorted values (linear interpolation between order statistics).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let h = q * (sorted.len() - 1) as f64;
    let (i, f) = (h.floor() as usize, h.fract());
    let next = sorted[(i + 1).min(sorted.len() - 1)];
    sorted[i] + f * (next - sorted[i])
}

/// An estimate whose interval came from elsewhere (the bootstrap): `se` is half the
/// interval's width over 1.96, for readers who want one number.
fn with_interval(value: f64, (low, high): (f64, f64)) -> Estimate {
    Estimate {
        value,
        se: (high - low) / (2.0 * 1.959_963_984_540_054),
        low,
        high,
    }
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(CLAMP, 1.0 - CLAMP);
    (p / (1.0 - p)).ln()
}

/// Logistic regression of the outcomes on logit(p) by Newton–Raphson; `None` when the fit does
/// not exist (no variation in x or in the outcomes, or perfect separation).
pub fn calibration_slope(pairs: &[(f64, f64)]) -> Option<CalibrationSlope> {
    let x: Vec<f64> = pairs.iter().map(|p| logit(p.0)).collect();
    let (a, b, info) = logistic_fit(&x, pairs.iter().map(|p| p.1))?;
    let det = info[0] * info[2] - info[1] * info[1];
    let var_b = info[0] / det;
    (det > 0.0 && var_b.is_finite() && var_b > 0.0).then(|| CalibrationSlope {
        intercept: a,
        slope: Estimate::normal(b, var_b.sqrt()),
    })
}

/// Returns (a, b, [I_aa, I_ab, I_bb]) of the fitted logistic regression.
fn logistic_fit(x: &[f64], o: impl Iterator<Item = f64>) -> Option<(f64, f64, [f64; 3])> {
    let o: Vec<f64> = o.collect();
    let successes = o.iter().sum::<f64>();
    let n = o.len() as f64;
    let mean_x = x.iter().sum::<f64>() / n;
    let spread = x.iter().map(|v| (v - mean_x).powi(2)).sum::<f64>();
    if successes == 0.0 || successes == n || spread < 1e-12 {
        return None;
    }
    // From the constant model (b = 0, a = logit of the base rate), with step halving on the
    // log-likelihood: plain Newton from b = 1 diverges when the forecasts are extreme.
    let log_likelihood = |a: f64, b: f64| -> f64 {
        x.iter()
            .zip(&o)
            .map(|(&xi, &oi)| {
                let eta = a + b * xi;
                // ln(1 + e^η) without overflow.
                let softplus = eta.max(0.0) + (-eta.abs()).exp().ln_1p();
                oi * eta - softplus
            })
            .sum()
    };
    let (mut a, mut b) = (logit(successes / n), 0.0);
    let mut current = log_likelihood(a, b);
    for _ in 0..200 {
        let (mut ga, mut gb, mut iaa, mut iab, mut ibb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&xi, &oi) in x.iter().zip(&o) {
            let m = 1.0 / (1.0 + (-(a + b * xi)).exp());
            let w = m * (1.0 - m);
            ga += oi - m;
            gb += (oi - m) * xi;
            iaa += w;
            iab += w * xi;
            ibb += w * xi * xi;
        }
        let det = iaa * ibb - iab * iab;
        if det.is_nan() || det <= 0.0 {
            return None;
        }
        let (da, db) = ((ibb * ga - iab * gb) / det, (iaa * gb - iab * ga) / det);
        if da.abs() < 1e-10 && db.abs() < 1e-10 {
            return Some((a, b, [iaa, iab, ibb]));
        }
        let mut step = 1.0;
        loop {
            let next = log_likelihood(a + step * da, b + step * db);
            if next >= current || step < 1e-6 {
                a += step * da;
                b += step * db;
                current = next;
                break;
            }
            step /= 2.0;
        }
        // A slope this steep means the outcomes are separated: no finite estimate.
        if !(a.is_finite() && b.is_finite()) || b.abs() > 1e3 {
            return None;
        }
    }
    None
}

fn probability_score(pairs: &[(f64, f64)]) -> ProbabilityScore {
    let n = pairs.len();
    let successes = pairs.iter().filter(|p| p.1 > 0.5).count() as u64;
    let [rel, res, unc, wbv, wbc] = decompose(pairs);
    let [skill_ci, rel_ci, res_ci, unc_ci] = bootstrap(pairs);
    let slope = calibration_slope(pairs);
    let base_rate = clopper_pearson(successes, n as u64);
    let mean_forecast = pairs.iter().map(|p| p.0).sum::<f64>() / n as f64;
    // The slope first (the spread of the forecasts), then calibration in the large (their level).
    let verdict = match slope {
        Some(s) if s.slope.high < 1.0 => "overconfident",
        Some(s) if s.slope.low > 1.0 => "underconfident",
        _ if mean_forecast > base_rate.high => "optimistic",
        _ if mean_forecast < base_rate.low => "pessimistic",
        None => "undetermined",
        Some(_) => "consistent",
    };
    let mut bins = Vec::new();
    for k in 0..BINS {
        let inside: Vec<&(f64, f64)> = pairs.iter().filter(|p| bin_of(p.0) == k).collect();
        if inside.is_empty() {
            continue;
        }
        let hits = inside.iter().filter(|p| p.1 > 0.5).count() as u64;
        bins.push(ReliabilityBin {
            from: k as f64 / BINS as f64,
            to: (k + 1) as f64 / BINS as f64,
            forecast: inside.iter().map(|p| p.0).sum::<f64>() / inside.len() as f64,
            observed: clopper_pearson(hits, inside.len() as u64),
        });
    }
    ProbabilityScore {
        n: n as u64,
        mean_forecast,
        base_rate,
        brier: mean_estimate(pairs.iter().map(|(p, o)| (p - o).powi(2))),
        decomposition: Decomposition {
            reliability: with_interval(rel, rel_ci),
            resolution: with_interval(res, res_ci),
            uncertainty: with_interval(unc, unc_ci),
            within_bin_variance: wbv,
            within_bin_covariance: wbc,
        },
        brier_skill: with_interval(skill(pairs), skill_ci),
        log_score: mean_estimate(pairs.iter().map(|&(p, o)| {
            let p = p.clamp(CLAMP, 1.0 - CLAMP);
            -(if o > 0.5 { p } else { 1.0 - p }).ln()
        })),
        calibration_slope: slope,
        verdict,
        bins,
    }
}
