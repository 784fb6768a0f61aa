//! Multiple imputation by chained equations with predictive mean matching (van Buuren,
//! "Flexible Imputation of Missing Data", 2nd ed., 2018, §4.5 and Algorithm 3.3; the method
//! `mice` uses by default for numeric columns). Pure: the random numbers come from a seed.
//!
//! Each column with missing values is imputed in turn from every other column (their current
//! values): a ridge-stabilised linear regression on the rows where the column is observed, its
//! coefficients drawn from their posterior (σ*² = RSS/g with g ~ χ²(n_obs − q), β* ~ N(β̂,
//! σ*²(XᵀX + κI)⁻¹)), and each missing value replaced by the observed value of one of the
//! `donors` rows whose prediction under β̂ is nearest the missing row's under β* (type-1
//! matching). Matching keeps every imputed value one that was observed, so a severity stays in
//! [0, 1] with its mass at 0, a class stays 0, 1 or 2 and a flag 0 or 1. The cycle over columns
//! runs `iterations` times from a start drawn from each column's observed values; each of the
//! `imputations` completed data sets has its own random stream (the seed and the imputation's
//! number), so the result does not depend on the threads.

use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_distr::{ChiSquared, Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// How to impute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImputationSettings {
    /// Completed data sets, M (at least 2; `project_fit` raises fewer to 2).
    pub imputations: usize,
    /// Cycles of the chained equations.
    pub iterations: usize,
    /// Candidate donors per missing value.
    pub donors: usize,
    pub seed: u64,
}

impl Default for ImputationSettings {
    /// M = 20, 10 cycles, 5 donors (van Buuren 2018: 5 donors; 20 imputations keep the Monte
    /// Carlo error of the pooled estimates small against their SE at fractions of missing
    /// information up to about 0.2).
    fn default() -> Self {
        ImputationSettings {
            imputations: 20,
            iterations: 10,
            donors: 5,
            seed: 1,
        }
    }
}

/// The ridge penalty relative to the mean diagonal of XᵀX (`mice` uses 10⁻⁵): keeps nearly
/// collinear predictors (one-hot codes, a flag that equals a rating) from breaking the solve.
const RIDGE: f64 = 1e-5;

/// `columns[j][row]`, `None` where missing. Returns `imputations` completed copies, every
/// column complete; a column with no observed value, or one used by no model, should not be
/// passed (it cannot be imputed and would predict nothing). Columns without missing values are
/// predictors only.
pub fn impute(columns: &[Vec<Option<f64>>], settings: &ImputationSettings) -> Vec<Vec<Vec<f64>>> {
    use rayon::prelude::*;
    (0..settings.imputations)
        .into_par_iter()
        .map(|m| impute_one(columns, settings, m))
        .collect()
}

/// The `m`-th completed data set of [`impute`] alone (its own random stream), so that a caller
/// can analyse each one and drop it before the next.
pub fn impute_one(
    columns: &[Vec<Option<f64>>],
    settings: &ImputationSettings,
    m: usize,
) -> Vec<Vec<f64>> {
    let seed = settings
        .seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(m as u64);
    one_imputation(
        columns,
        settings,
        &mut Xoshiro256PlusPlus::seed_from_u64(seed),
    )
}

fn one_imputation(
    columns: &[Vec<Option<f64>>],
    settings: &ImputationSettings,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<Vec<f64>> {
    let rows = columns.first().map_or(0, Vec::len);
    let observed: Vec<Vec<usize>> = columns
        .iter()
        .map(|c| (0..rows).filter(|&r| c[r].is_some()).collect())
        .collect();
    // Start: each missing value drawn from its column's observed values.
    let mut completed: Vec<Vec<f64>> = columns
        .iter()
        .zip(&observed)
        .map(|(column, seen)| {
            column
                .iter()
                .map(|v| match v {
                    Some(v) => *v,
                    None if seen.is_empty() => 0.0,
                    None => {
                        let donor = seen[rng.random_range(0..seen.len())];
                        column[donor].unwrap_or(0.0)
                    }
                })
                .collect()
        })
        .collect();
    let incomplete: Vec<usize> = (0..columns.len())
        .filter(|&j| observed[j].len() < rows && !observed[j].is_empty())
        .collect();
    for _ in 0..settings.iterations {
        for &j in &incomplete {
            impute_column(
                columns,
                &observed[j],
                j,
                &mut completed,
                settings.donors,
                rng,
            );
        }
    }
    completed
}

/// One step of the chained equations: column `j` re-imputed from the others.
fn impute_column(
    columns: &[Vec<Option<f64>>],
    observed: &[usize],
    j: usize,
    completed: &mut [Vec<f64>],
    donors: usize,
    rng: &mut Xoshiro256PlusPlus,
) {
    let rows = completed[j].len();
    let predictors: Vec<usize> = (0..completed.len()).filter(|&k| k != j).collect();
    let q = predictors.len() + 1;
    let x_of = |r: usize, c: usize| {
        if c == 0 {
            1.0
        } else {
            completed[predictors[c - 1]][r]
        }
    };
    let n = observed.len();
    let x = DMatrix::from_fn(n, q, |i, c| x_of(observed[i], c));
    let y = DVector::from_fn(n, |i, _| completed[j][observed[i]]);
    let mut xtx = x.tr_mul(&x);
    let ridge = RIDGE * (xtx.trace() / q as f64).max(f64::MIN_POSITIVE);
    for c in 0..q {
        xtx[(c, c)] += ridge;
    }
    let Some(cholesky) = xtx.cholesky() else {
        return; // Not positive definite even with the ridge: keep the current values.
    };
    let beta = cholesky.solve(&x.tr_mul(&y));
    let residuals = &y - &x * &beta;
    let degrees_of_freedom = (n as f64 - q as f64).max(1.0);
    let chi = ChiSquared::new(degrees_of_freedom).map_or(degrees_of_freedom, |d| d.sample(rng));
    let sigma = (residuals.norm_squared() / chi.max(f64::MIN_POSITIVE)).sqrt();
    // β* = β̂ + σ*·L⁻ᵀz, so that cov(β*) = σ*²(XᵀX + κI)⁻¹ = σ*²(LLᵀ)⁻¹.
    let z = DVector::from_fn(q, |_, _| rng.sample::<f64, _>(StandardNormal));
    let lower = cholesky.l();
    let draw = lower
        .transpose()
        .solve_upper_triangular(&z)
        .unwrap_or_else(|| DVector::zeros(q));
    let beta_star = &beta + draw * sigma;
    // Donors: the observed rows sorted by their prediction under β̂.
    let fitted = &x * &beta;
    let mut predicted: Vec<(f64, f64)> = fitted.iter().copied().zip(y.iter().copied()).collect();
    predicted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let donors = donors.clamp(1, n);
    let is_observed = |r: usize| columns[j][r].is_some();
    let mut new_values = Vec::new();
    for r in 0..rows {
        if is_observed(r) {
            continue;
        }
        let target: f64 = (0..q).map(|c| x_of(r, c) * beta_star[c]).sum();
        // The `donors` nearest predictions: a window around the insertion point.
        let at = predicted.partition_point(|p| p.0 < target);
        let (mut low, mut high) = (at, at);
        while high - low < donors {
            let take_low = low > 0
                && (high >= n || (target - predicted[low - 1].0) <= (predicted[high].0 - target));
            if take_low {
                low -= 1;
            } else {
                high += 1;
            }
        }
        let chosen = low + rng.random_range(0..donors);
        new_values.push((r, predicted[chosen].1));
    }
    for (r, value) in new_values {
        completed[j][r] = value;
    }
}

#[cfg(test)]
#[path = "imputation_tests.rs"]
mod tests;
