//! The Gaussian linear model with some coefficients constrained to be non-negative (a factor's
//! cost or schedule impact can only add): maximum likelihood under the constraint, which is the
//! least-squares point nearest the unconstrained one in the metric of `XᵀX`, found exactly by a
//! primal active-set method (Nocedal and Wright, "Numerical Optimization", 2006, §16.5).
//!
//! Intervals: a free coefficient keeps its Student-t interval (with the constrained fit's
//! residual sd); a constrained one whose t interval would reach below 0, or that the constraint
//! holds at 0, gets the profile interval `{b ≥ 0 : (RSS(b) − RSS) / s² ≤ t²}`, RSS(b) the
//! constrained least squares with the coefficient held at b ([`super::profile`]). Away from the
//! bound that set is exactly the t interval, since RSS(b) − RSS_OLS = (b − β̂)² / (XᵀX)⁻¹_jj.

use super::linear::{LinearFit, linear, student_t_quantile};
use super::{FitError, IntervalMethod, gram, profile, with_intercept};
use nalgebra::{DMatrix, DVector};

/// Whether a fit works out boundary-aware intervals: a report does; a cross-validation refit,
/// which only predicts, does not need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intervals {
    /// Profile-likelihood intervals for constrained coefficients near their bound.
    Profile,
    /// The estimates only need to be right; intervals stay the unconstrained ones.
    EstimatesOnly,
}

/// [`linear`] with the coefficients of the columns marked `nonnegative` held at or above 0.
pub fn linear_bounded(
    x: &DMatrix<f64>,
    y: &[f64],
    names: &[String],
    nonnegative: &[bool],
    intervals: Intervals,
) -> Result<LinearFit, FitError> {
    let unconstrained = linear(x, y, names)?;
    if !nonnegative.iter().any(|&b| b) {
        return Ok(unconstrained);
    }
    let rows = x.nrows();
    let p = x.ncols() + 1;
    let design = with_intercept(x);
    let g = gram(&design, &design);
    let center = DVector::from_iterator(p, unconstrained.coefficients.iter().map(|c| c.estimate));
    // Position 0 is the intercept, never constrained.
    let bounded: Vec<bool> = std::iter::once(false)
        .chain(nonnegative.iter().copied())
        .collect();
    let singular = || FitError::Singular {
        columns: super::names_with_intercept(names),
    };
    let beta = nearest_feasible(&g, &center, &bounded, None).ok_or_else(singular)?;
    let distance = |b: &DVector<f64>| {
        let d = b - &center;
        d.dot(&(&g * &d))
    };
    let rss_ols = unconstrained.residuals.iter().map(|r| r * r).sum::<f64>();
    let extra = distance(&beta);
    let rss = rss_ols + extra;
    let degrees_of_freedom = (rows - p) as f64;
    let variance = rss / degrees_of_freedom;
    let ols_variance = unconstrained.residual_sd.powi(2);
    let covariance = if ols_variance > 0.0 {
        &unconstrained.covariance * (variance / ols_variance)
    } else {
        unconstrained.covariance.clone()
    };
    let outcome = DVector::from_column_slice(y);
    let residuals = &outcome - &design * &beta;
    let n = rows as f64;
    let log_likelihood = -0.5 * n * ((2.0 * std::f64::consts::PI * rss / n).ln() + 1.0);
    let held: Vec<bool> = (0..p).map(|j| bounded[j] && beta[j] <= 0.0).collect();
    let free = held.iter().filter(|&&h| !h).count();
    let mean = outcome.mean();
    let tss: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    let r_squared = if tss > 0.0 { 1.0 - rss / tss } else { f64::NAN };
    let t = student_t_quantile(rows - p);
    let cutoff = t * t;
    // D(b) = (RSS(b) − RSS)/s² = Δ(β − β̂)ᵀ(XᵀX/s²)(β − β̂).
    let precision = &g / variance;
    let mut coefficients = unconstrained.coefficients.clone();
    for (j, c) in coefficients.iter_mut().enumerate() {
        let se = covariance[(j, j)].max(0.0).sqrt();
        c.estimate = beta[j];
        c.standard_error = se;
        c.low = beta[j] - t * se;
        c.high = beta[j] + t * se;
        c.interval = IntervalMethod::StudentT;
        c.held_at_bound = held[j];
        if bounded[j] && intervals == Intervals::Profile && (held[j] || c.low < 0.0) {
            (c.low, c.high) = bounded_profile(&precision, &center, &bounded, &beta, j, se, cutoff);
            c.interval = IntervalMethod::ProfileLikelihood;
        } else if bounded[j] {
            c.low = c.low.max(0.0);
        }
    }
    Ok(LinearFit {
        coefficients,
        residual_sd: variance.sqrt(),
        log_likelihood,
        aic: 2.0 * (free + 1) as f64 - 2.0 * log_likelihood,
        r_squared,
        rows,
        covariance,
        residuals: residuals.iter().copied().collect(),
        unconstrained: Some((center, unconstrained.covariance)),
    })
}

/// The profile interval of coefficient `j` of a normal likelihood with mean `center` and
/// precision `P`, under the bounds `bounded` (β ≥ 0): `{b ≥ 0 : q(b) − q(β_c) ≤ cutoff}`, with
/// `q(β) = (β − center)ᵀP(β − center)`, q(b) its minimum under the bounds with β_j = b, and
/// `at` = β_c the constrained optimum. `se` sets the scale of the search.
pub(crate) fn bounded_profile(
    precision: &DMatrix<f64>,
    center: &DVector<f64>,
    bounded: &[bool],
    at: &DVector<f64>,
    j: usize,
    se: f64,
    cutoff: f64,
) -> (f64, f64) {
    let q = |b: &DVector<f64>| {
        let d = b - center;
        d.dot(&(precision * &d))
    };
    let minimum = q(at);
    let mut deviance = |b: f64| {
        nearest_feasible(precision, center, bounded, Some((j, b)))
            .map_or(f64::INFINITY, |point| q(&point) - minimum)
    };
    profile::interval(&mut deviance, at[j], se, (0.0, f64::INFINITY), cutoff)
}

/// The point minimising `(β − c)ᵀ G (β − c)` subject to `β_j ≥ 0` where `bounded[j]`, and to
/// `β_k = v` for `fixed = Some((k, v))` (with `v ≥ 0` when `k` is bounded). `G` must be
/// positive definite; `None` if a sub-matrix cannot be factored (rounding on a nearly singular
/// design). Primal active set: from a feasible point, solve with the working set's coordinates
/// on their bounds, step towards that solution until a bound blocks, and release the bound
/// whose multiplier has the wrong sign; each step lowers the objective, so no working set
/// repeats and the loop ends.
pub(crate) fn nearest_feasible(
    g: &DMatrix<f64>,
    center: &DVector<f64>,
    bounded: &[bool],
    fixed: Option<(usize, f64)>,
) -> Option<DVector<f64>> {
    let p = center.len();
    let mut x = center.clone();
    let mut working = vec![false; p];
    for j in 0..p {
        if bounded[j] && x[j] < 0.0 {
            x[j] = 0.0;
            working[j] = true;
        }
    }
    let is_fixed = |j: usize| fixed.is_some_and(|(k, _)| k == j);
    if let Some((k, v)) = fixed {
        x[k] = v;
        working[k] = true;
    }
    let scale = g.amax() * (1.0 + center.amax());
    let tolerance = 1e-12 * scale.max(f64::MIN_POSITIVE);
    for _ in 0..(10 * p + 10) {
        let free: Vec<usize> = (0..p).filter(|&j| !working[j]).collect();
        let held: Vec<usize> = (0..p).filter(|&j| working[j]).collect();
        // z_F = c_F − G_FF⁻¹ G_FW (x_W − c_W), z_W = x_W.
        let mut z = x.clone();
        if !free.is_empty() {
            let g_ff = DMatrix::from_fn(free.len(), free.len(), |a, b| g[(free[a], free[b])]);
            let shift = DVector::from_fn(free.len(), |a, _| {
                held.iter()
                    .map(|&w| g[(free[a], w)] * (x[w] - center[w]))
                    .sum::<f64>()
            });
            let solved = g_ff.cholesky()?.solve(&shift);
            for (a, &j) in free.iter().enumerate() {
                z[j] = center[j] - solved[a];
            }
        }
        let blocking = free
            .iter()
            .filter(|&&j| bounded[j] && z[j] < 0.0)
            .map(|&j| (j, x[j] / (x[j] - z[j])))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match blocking {
            Some((j, step)) => {
                x += (&z - &x) * step.clamp(0.0, 1.0);
                x[j] = 0.0;
                working[j] = true;
            }
            None => {
                x = z;
                // At a lower bound, optimality needs ∂/∂β_j ≥ 0 (the objective would fall
                // by moving inside); release the most negative.
                let gradient = g * (&x - center);
                let release = held
                    .iter()
                    .filter(|&&j| !is_fixed(j) && gradient[j] < -tolerance)
                    .min_by(|&&a, &&b| gradient[a].total_cmp(&gradient[b]));
                match release {
                    Some(&j) => working[j] = false,
                    None => return Some(x),
                }
            }
        }
    }
    Some(x)
}

#[cfg(test)]
#[path = "bounded_linear_tests.rs"]
mod tests;
