//! How far the evidence pins the fitted parameters down, apart from Monte Carlo noise.
//!
//! Each target's tolerance is read as the standard deviation of the published figure. With
//! `J = ∂r/∂x` the Jacobian of the standardised residuals `r = (model − target)/tolerance`
//! at the fit, `JᵀJ` is the Fisher information of a Gaussian likelihood of the published
//! figures. Each coordinate's plausible range enters as a weak normal prior, centred on the
//! fit with a standard deviation of a quarter of the range (the range is ±2 sd), so the
//! Laplace covariance is `(JᵀJ + P)⁻¹` with `P = diag(1/σ_j²)`: where the evidence says little,
//! the range bounds the uncertainty. Coordinates at a bound are held fixed. When `JᵀJ` alone
//! is singular (or nearly), some combination of the free parameters moves no target: it is not
//! identified, and the report names it.
//!
//! The coordinates' covariance is carried to the catalogue's own parameters (impacts,
//! probabilities, estimating error, runaway) through the Jacobian of [`super::apply`], so that
//! `--parameter-uncertainty` can draw them (docs/MODEL.md §4b).

use super::free::{FreeParameter, apply};
use crate::model::{Catalogue, Parameter};
use nalgebra::{DMatrix, DVector};
use serde::Serialize;

/// A combination of coordinates the targets do not pin down (an eigenvector of `JᵀJ` with a
/// negligible eigenvalue): its largest entries, by parameter name.
#[derive(Debug, Clone, Serialize)]
pub struct Unidentified {
    pub parameters: Vec<(String, f64)>,
}

/// The evidence's covariance of the free coordinates.
#[derive(Debug, Clone)]
pub struct CoordinateCovariance {
    /// `k × k`, zero rows and columns for coordinates held at a bound.
    pub covariance: DMatrix<f64>,
    /// The Monte Carlo sandwich covariance `(JᵀJ)⁻¹ Jᵀ D J (JᵀJ)⁻¹`, `D = diag((SE_i/tol_i)²)`.
    pub monte_carlo: DMatrix<f64>,
    pub unidentified: Vec<Unidentified>,
}

/// Eigenvalues below this share of the largest count as zero: not identified.
const RELATIVE_EIGENVALUE_FLOOR: f64 = 1e-8;

/// The covariance of the coordinates that are free (`free[j]`), from the Jacobian of the
/// standardised residuals, each residual's Monte Carlo noise (SE / tolerance) and each
/// coordinate's prior standard deviation (a quarter of its range; infinite for none).
pub fn coordinate_covariance(
    jacobian: &DMatrix<f64>,
    noise: &[f64],
    free: &[bool],
    prior_sd: &[f64],
    names: &[String],
) -> CoordinateCovariance {
    let k = jacobian.ncols();
    let active: Vec<usize> = (0..k).filter(|&j| free[j]).collect();
    let mut covariance = DMatrix::zeros(k, k);
    let mut monte_carlo = DMatrix::zeros(k, k);
    let mut unidentified = Vec::new();
    if active.is_empty() {
        return CoordinateCovariance {
            covariance,
            monte_carlo,
            unidentified,
        };
    }
    let j = jacobian.select_columns(&active);
    let information = j.transpose() * &j;
    let eigen = information.clone().symmetric_eigen();
    let largest = eigen.eigenvalues.iter().cloned().fold(0.0f64, f64::max);
    let floor = RELATIVE_EIGENVALUE_FLOOR * largest.max(f64::MIN_POSITIVE);
    for (index, &value) in eigen.eigenvalues.iter().enumerate() {
        if value <= floor {
            let vector = eigen.eigenvectors.column(index);
            let mut entries: Vec<(String, f64)> = active
                .iter()
                .zip(vector.iter())
                .filter(|(_, w)| w.abs() > 0.2)
                .map(|(&a, &w)| (names[a].clone(), w))
                .collect();
            entries.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
            unidentified.push(Unidentified {
                parameters: entries,
            });
        }
    }
    // A direction no target moves is still bounded by the coordinates' priors (a quarter of
    // each range): the posterior is proper unless a coordinate has no range at all.
    let proper = unidentified.is_empty()
        || active
            .iter()
            .all(|&a| prior_sd[a].is_finite() && prior_sd[a] > 0.0);
    if proper {
        let mut posterior = information.clone();
        for (a, &ra) in active.iter().enumerate() {
            let sd = prior_sd[ra];
            if sd.is_finite() && sd > 0.0 {
                posterior[(a, a)] += 1.0 / (sd * sd);
            }
        }
        // Invert through the eigen-decomposition (symmetric, well conditioned here).
        let eigen = posterior.symmetric_eigen();
        let inverse_values = eigen.eigenvalues.map(|v| 1.0 / v);
        let inverse = &eigen.eigenvectors
            * DMatrix::from_diagonal(&inverse_values)
            * eigen.eigenvectors.transpose();
        let d = DMatrix::from_diagonal(&DVector::from_iterator(
            noise.len(),
            noise.iter().map(|s| s * s),
        ));
        let sandwich = &inverse * j.transpose() * d * &j * &inverse;
        for (a, &ra) in active.iter().enumerate() {
            for (b, &rb) in active.iter().enumerate() {
                covariance[(ra, rb)] = inverse[(a, b)];
                monte_carlo[(ra, rb)] = sandwich[(a, b)];
            }
        }
    } else {
        covariance.fill(f64::NAN);
        monte_carlo.fill(f64::NAN);
    }
    CoordinateCovariance {
        covariance,
        monte_carlo,
        unidentified,
    }
}

/// Every catalogue parameter a calibration can move, with its value (the order the
/// `[uncertainty]` table lists them in).
fn catalogue_parameters(catalogue: &Catalogue) -> Vec<(Parameter, f64)> {
    let mut out = Vec::new();
    for (i, f) in catalogue.factors.iter().enumerate() {
        out.push((Parameter::Probability(i), f.probability));
        out.push((Parameter::Benefit(i), f.impact.benefit));
        out.push((Parameter::Cost(i), f.impact.cost));
        out.push((Parameter::Schedule(i), f.impact.schedule));
        out.push((Parameter::Runaway(i), f.impact.runaway));
    }
    let e = &catalogue.estimate;
    let r = &catalogue.runaway;
    out.extend([
        (Parameter::LogCostMean, e.log_cost_mean),
        (Parameter::LogCostSd, e.log_cost_sd),
        (Parameter::LogScheduleMean, e.log_schedule_mean),
        (Parameter::LogScheduleSd, e.log_schedule_sd),
        (Parameter::RunawayBase, r.base_probability),
        (Parameter::RunawaySize, r.size_min),
        (Parameter::RunawayTail, r.tail),
        (Parameter::RunawaySchedule, r.schedule),
    ]);
    out
}

/// The coordinates' covariance carried to the catalogue parameters they move:
/// `Σ_θ = G Σ_x Gᵀ` with `G = ∂θ/∂x` by central differences of [`apply`] (no simulation).
/// Only parameters that some coordinate moves are listed. `None` when the covariance is not
/// defined (parameters not identified) or nothing moves.
pub fn catalogue_covariance(
    base: &Catalogue,
    free: &[FreeParameter],
    x: &[f64],
    coordinates: &DMatrix<f64>,
) -> Option<(Vec<String>, DMatrix<f64>)> {
    if coordinates.iter().any(|v| !v.is_finite()) {
        return None;
    }
    const STEP: f64 = 1e-5;
    let k = x.len();
    let centre = catalogue_parameters(&apply(base, free, x));
    let mut gradient = DMatrix::zeros(centre.len(), k);
    for j in 0..k {
        let (mut up, mut down) = (x.to_vec(), x.to_vec());
        up[j] += STEP;
        down[j] -= STEP;
        let (a, b) = (
            catalogue_parameters(&apply(base, free, &up)),
            catalogue_parameters(&apply(base, free, &down)),
        );
        for row in 0..centre.len() {
            gradient[(row, j)] = (a[row].1 - b[row].1) / (2.0 * STEP);
        }
    }
    let moved: Vec<usize> = (0..centre.len())
        .filter(|&row| gradient.row(row).iter().any(|g| g.abs() > 1e-9))
        .collect();
    if moved.is_empty() {
        return None;
    }
    let g = gradient.select_rows(&moved);
    let mut covariance = &g * coordinates * g.transpose();
    // No parameter's sd beyond the width of its valid range (what the catalogue accepts):
    // shrink its row and column, which keeps the matrix positive semi-definite.
    let shrink: Vec<f64> = moved.iter().map(|&row| centre[row].0.max_sd()).collect();
    for a in 0..covariance.nrows() {
        let sd = covariance[(a, a)].max(0.0).sqrt();
        let factor = if sd > shrink[a] { shrink[a] / sd } else { 1.0 };
        if factor < 1.0 {
            for b in 0..covariance.ncols() {
                covariance[(a, b)] *= factor;
                covariance[(b, a)] *= factor;
            }
        }
    }
    // Exactly symmetric, as the catalogue's validation requires.
    let n = covariance.nrows();
    for a in 0..n {
        for b in 0..a {
            let mean = 0.5 * (covariance[(a, b)] + covariance[(b, a)]);
            covariance[(a, b)] = mean;
            covariance[(b, a)] = mean;
        }
    }
    let names = moved
        .iter()
        .map(|&row| centre[row].0.name(&base.factors))
        .collect();
    Some((names, covariance))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laplace_covariance_of_a_linear_model_is_the_inverse_information() {
        // r = A x − b with A known: (AᵀA)⁻¹ exactly.
        let a = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 0.0, 2.0, 1.0, 1.0]);
        let names = vec!["x".to_string(), "y".to_string()];
        let c = coordinate_covariance(
            &a,
            &[0.1, 0.1, 0.1],
            &[true, true],
            &[f64::INFINITY; 2],
            &names,
        );
        let expected = (a.transpose() * &a).try_inverse().expect("invertible");
        assert!((c.covariance - &expected).abs().max() < 1e-12);
        // Monte Carlo part with equal noise σ: σ²·(AᵀA)⁻¹.
        assert!((c.monte_carlo - expected * 0.01).abs().max() < 1e-12);
        assert!(c.unidentified.is_empty());
    }

    #[test]
    fn a_direction_no_target_moves_is_named() {
        // Both coordinates move the only target the same way: x − y is not identified.
        let a = DMatrix::from_row_slice(1, 2, &[1.0, 1.0]);
        let names = vec!["x".to_string(), "y".to_string()];
        let c = coordinate_covariance(&a, &[0.1], &[true, true], &[1.0; 2], &names);
        assert_eq!(c.unidentified.len(), 1);
        let named: Vec<&str> = c.unidentified[0]
            .parameters
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(named.len(), 2, "{named:?}");
        // The priors (sd 1) bound it: (AᵀA + I)⁻¹ = [[2, 1], [1, 2]]⁻¹, whose (0, 0) is 2/3.
        assert!((c.covariance[(0, 0)] - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.covariance[(0, 1)] + 1.0 / 3.0).abs() < 1e-12);
        // Without a prior the posterior is improper: no covariance.
        let c = coordinate_covariance(&a, &[0.1], &[true, true], &[f64::INFINITY; 2], &names);
        assert_eq!(c.unidentified.len(), 1);
        assert!(c.covariance[(0, 0)].is_nan());
    }

    #[test]
    fn a_coordinate_at_its_bound_is_held_fixed() {
        let a = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
        let names = vec!["x".to_string(), "y".to_string()];
        let c = coordinate_covariance(&a, &[0.1, 0.1], &[true, false], &[f64::INFINITY; 2], &names);
        assert!((c.covariance[(0, 0)] - 1.0).abs() < 1e-12);
        assert_eq!(c.covariance[(1, 1)], 0.0);
    }

    #[test]
    fn the_range_bounds_what_the_evidence_leaves_open() {
        // One weakly informative target (slope 0.01) and a prior sd of 0.5: the posterior
        // variance is 1/(0.0001 + 4), close to the prior's 0.25, not the evidence's 10⁴.
        let a = DMatrix::from_row_slice(1, 1, &[0.01]);
        let names = vec!["x".to_string()];
        let c = coordinate_covariance(&a, &[0.1], &[true], &[0.5], &names);
        assert!((c.covariance[(0, 0)] - 1.0 / (1e-4 + 4.0)).abs() < 1e-12);
    }

    #[test]
    fn catalogue_covariance_follows_the_delta_method() {
        let base = Catalogue::builtin().expect("catalogue");
        let free = super::super::parse_free("runaway_scale", &base).expect("free");
        let v = 0.04;
        let cov = DMatrix::from_element(1, 1, v);
        let (names, sigma) = catalogue_covariance(&base, &free, &[0.0], &cov).expect("moves");
        // r_i·e^x: ∂/∂x = r_i at 0, so var = r_i²·v for every factor with a runaway impact.
        for (k, name) in names.iter().enumerate() {
            let id = name
                .strip_prefix("runaway:")
                .expect("only runaway impacts move");
            let r = base
                .factors
                .iter()
                .find(|f| f.id == id)
                .expect("factor")
                .impact
                .runaway;
            assert!((sigma[(k, k)] - r * r * v).abs() < 1e-8, "{name}");
        }
    }
}
