//! The Gaussian linear model `y = β₀ + xᵀβ + σε`. Maximum likelihood is ordinary least
//! squares, solved by a QR factorisation of the design (never the normal equations' inverse);
//! intervals use Student's t with `n − k − 1` degrees of freedom, exact under normal errors.

use super::{
    Coefficient, FitError, IntervalMethod, check_design, check_rank, check_row_count,
    names_with_intercept, serialize_matrix, standard_errors, with_intercept,
};
use nalgebra::{DMatrix, DVector};
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A fitted linear model. The coefficients start with the intercept.
#[derive(Debug, Clone, Serialize)]
pub struct LinearFit {
    pub coefficients: Vec<Coefficient>,
    /// `√(RSS / (n − k − 1))`, the unbiased estimate of σ.
    pub residual_sd: f64,
    /// At the maximum-likelihood estimate (σ̂² = RSS / n); `+∞` for a perfect fit.
    pub log_likelihood: f64,
    /// `2(k + 2) − 2 ln L`: the k + 1 coefficients and σ.
    pub aic: f64,
    /// `1 − RSS / TSS`; NaN when the outcome is constant.
    pub r_squared: f64,
    pub rows: usize,
    /// The covariance of the coefficients (intercept first): `s² (XᵀX)⁻¹`.
    #[serde(serialize_with = "serialize_matrix")]
    pub covariance: DMatrix<f64>,
    /// `y − ŷ`, one per row.
    pub residuals: Vec<f64>,
    /// For a fit under bounds ([`super::linear_bounded`]): the unconstrained least-squares
    /// estimates and their covariance, which multiple imputation pools before it applies the
    /// bounds; `None` for an unconstrained fit (the coefficients are those).
    #[serde(skip)]
    pub unconstrained: Option<(nalgebra::DVector<f64>, DMatrix<f64>)>,
}

/// Fits `y` on the columns of `x` (no intercept column: one named [`super::INTERCEPT`] is
/// added first).
pub fn linear(x: &DMatrix<f64>, y: &[f64], names: &[String]) -> Result<LinearFit, FitError> {
    check_design(x, names, y.len())?;
    if let Some((row, &value)) = y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(FitError::NonFinite {
            row,
            column: "outcome".into(),
            value,
        });
    }
    let (rows, coefficients) = (x.nrows(), x.ncols() + 1);
    check_row_count(rows, coefficients)?;
    check_rank(x, names)?;

    let design = with_intercept(x);
    let outcome = DVector::from_column_slice(y);
    let qr = design.clone().qr();
    let r = qr.r();
    let rotated = qr.q().tr_mul(&outcome);
    let singular = || FitError::Singular {
        columns: names_with_intercept(names),
    };
    let beta = r.solve_upper_triangular(&rotated).ok_or_else(singular)?;
    // (XᵀX)⁻¹ = R⁻¹R⁻ᵀ: R is triangular, so its inverse is a back substitution.
    let r_inverse = r
        .solve_upper_triangular(&DMatrix::identity(coefficients, coefficients))
        .ok_or_else(singular)?;

    let residuals = &outcome - &design * &beta;
    let rss = residuals.norm_squared();
    let degrees_of_freedom = rows - coefficients;
    let variance = rss / degrees_of_freedom as f64;
    let covariance = &r_inverse * r_inverse.transpose() * variance;

    let mean = outcome.mean();
    let tss: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    let n = rows as f64;
    let log_likelihood = -0.5 * n * ((2.0 * std::f64::consts::PI * rss / n).ln() + 1.0);

    let quantile = student_t_quantile(degrees_of_freedom);
    let coefficients_out = names_with_intercept(names)
        .iter()
        .zip(beta.iter().zip(standard_errors(&covariance)))
        .map(|(name, (&estimate, se))| {
            Coefficient::symmetric(name, estimate, se, quantile)
                .with_interval(IntervalMethod::StudentT)
        })
        .collect();
    Ok(LinearFit {
        coefficients: coefficients_out,
        residual_sd: variance.sqrt(),
        log_likelihood,
        aic: 2.0 * (coefficients + 1) as f64 - 2.0 * log_likelihood,
        r_squared: if tss > 0.0 { 1.0 - rss / tss } else { f64::NAN },
        rows,
        covariance,
        residuals: residuals.iter().copied().collect(),
        unconstrained: None,
    })
}

/// The 0.975 quantile of Student's t with `degrees_of_freedom` (≥ 1) degrees of freedom.
pub(super) fn student_t_quantile(degrees_of_freedom: usize) -> f64 {
    StudentsT::new(0.0, 1.0, degrees_of_freedom as f64)
        .map(|t| t.inverse_cdf(0.975))
        // Unreachable: check_row_count guarantees at least one degree of freedom.
        .unwrap_or(f64::NAN)
}

impl LinearFit {
    /// The fitted mean for one row of covariates (in the column order of the fit).
    ///
    /// Panics if `row` does not have one value per covariate.
    pub fn predict(&self, row: &[f64]) -> f64 {
        super::linear_predictor(&self.coefficients, row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_distr::StandardNormal;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn noiseless_data_are_recovered_exactly() {
        let x = DMatrix::from_fn(12, 2, |r, c| ((r * 7 + c * 3) % 5) as f64 + 0.1 * r as f64);
        let y: Vec<f64> = (0..12)
            .map(|r| 1.5 - 2.0 * x[(r, 0)] + 0.25 * x[(r, 1)])
            .collect();
        let fit = linear(&x, &y, &names(&["a", "b"])).unwrap();
        for (c, truth) in fit.coefficients.iter().zip([1.5, -2.0, 0.25]) {
            assert!((c.estimate - truth).abs() < 1e-12, "{c:?}");
            assert!(c.standard_error < 1e-12);
        }
        assert_eq!(fit.coefficients[0].name, "intercept");
        assert!((fit.r_squared - 1.0).abs() < 1e-12);
        assert!((fit.predict(&[2.0, 4.0]) - (1.5 - 4.0 + 1.0)).abs() < 1e-12);
    }

    /// Simple regression against the closed forms slope = Sxy/Sxx, SE(slope) = s/√Sxx,
    /// SE(intercept) = s √(1/n + x̄²/Sxx), on x = 1..6, y = (2, 4, 5, 4, 5, 7).
    #[test]
    fn simple_regression_matches_the_closed_form() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let y = [2.0, 4.0, 5.0, 4.0, 5.0, 7.0];
        let fit = linear(&DMatrix::from_column_slice(6, 1, &xs), &y, &names(&["x"])).unwrap();

        let n = 6.0;
        let (x_mean, y_mean) = (xs.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        let sxx: f64 = xs.iter().map(|x| (x - x_mean).powi(2)).sum();
        let sxy: f64 = xs
            .iter()
            .zip(&y)
            .map(|(x, y)| (x - x_mean) * (y - y_mean))
            .sum();
        let syy: f64 = y.iter().map(|y| (y - y_mean).powi(2)).sum();
        assert_eq!((sxx, sxy, syy), (17.5, 13.5, 13.5));
        let slope = sxy / sxx;
        let intercept = y_mean - slope * x_mean;
        let rss = syy - sxy * sxy / sxx;
        let s = (rss / (n - 2.0)).sqrt();

        let [c0, c1] = [&fit.coefficients[0], &fit.coefficients[1]];
        assert!((c1.estimate - slope).abs() < 1e-12);
        assert!((c0.estimate - intercept).abs() < 1e-12);
        assert!((c1.standard_error - s / sxx.sqrt()).abs() < 1e-12);
        let se_intercept = s * (1.0 / n + x_mean * x_mean / sxx).sqrt();
        assert!((c0.standard_error - se_intercept).abs() < 1e-12);
        assert!((fit.residual_sd - s).abs() < 1e-12);
        // t(0.975; 4 dof) = 2.776445105 (tables).
        assert!(((c1.high - c1.estimate) / c1.standard_error - 2.776_445_105).abs() < 1e-8);
        assert!(((c1.estimate - c1.low) / c1.standard_error - 2.776_445_105).abs() < 1e-8);

        let log_likelihood = -0.5 * n * ((2.0 * std::f64::consts::PI * rss / n).ln() + 1.0);
        assert!((fit.log_likelihood - log_likelihood).abs() < 1e-10);
        assert!((fit.aic - (6.0 - 2.0 * log_likelihood)).abs() < 1e-10);
        assert!((fit.r_squared - (1.0 - rss / syy)).abs() < 1e-12);
        for ((residual, x), y) in fit.residuals.iter().zip(xs).zip(y) {
            assert!((residual - (y - intercept - slope * x)).abs() < 1e-12);
        }
    }

    /// Over 400 simulated data sets the 95 % intervals of each coefficient cover the truth at a
    /// rate within 3 binomial standard errors of 0.95.
    #[test]
    fn intervals_cover_at_the_nominal_rate() {
        let truth = [0.5, 1.0, -0.7];
        let (replicates, rows) = (400, 25);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
        let mut covered = [0usize; 3];
        for _ in 0..replicates {
            let x = DMatrix::from_fn(rows, 2, |_, _| rng.random::<f64>() * 2.0);
            let y: Vec<f64> = (0..rows)
                .map(|r| {
                    let noise: f64 = rng.sample(StandardNormal);
                    truth[0] + truth[1] * x[(r, 0)] + truth[2] * x[(r, 1)] + 0.8 * noise
                })
                .collect();
            let fit = linear(&x, &y, &names(&["a", "b"])).unwrap();
            for (count, (c, t)) in covered.iter_mut().zip(fit.coefficients.iter().zip(truth)) {
                *count += usize::from(c.low <= t && t <= c.high);
            }
        }
        let band = 3.0 * (0.95 * 0.05 / replicates as f64).sqrt();
        for count in covered {
            let rate = count as f64 / replicates as f64;
            assert!((rate - 0.95).abs() <= band, "coverage {rate}");
        }
    }

    #[test]
    fn serialises_the_covariance_as_rows() {
        let x = DMatrix::from_column_slice(5, 1, &[1.0, 2.0, 3.0, 4.0, 6.0]);
        let fit = linear(&x, &[1.0, 3.0, 2.0, 5.0, 4.0], &names(&["x"])).unwrap();
        let json = serde_json::to_value(&fit).unwrap();
        let rows = json["covariance"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][1].as_f64(), Some(fit.covariance[(0, 1)]));
        assert_eq!(json["coefficients"][1]["name"], "x");
    }

    #[test]
    fn a_duplicate_column_is_named() {
        let x = DMatrix::from_fn(10, 3, |r, c| match c {
            1 => ((r * 3) % 7) as f64,
            _ => r as f64,
        });
        let y: Vec<f64> = (0..10).map(|r| (r * r) as f64).collect();
        let error = linear(&x, &y, &names(&["a", "b", "a again"])).unwrap_err();
        assert!(
            matches!(&error, FitError::Singular { columns } if columns == &names(&["a again"])),
            "{error}"
        );
        assert!(error.to_string().contains("`a again`"));
    }

    #[test]
    fn too_few_rows_are_refused() {
        let x = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        let error = linear(&x, &[1.0, 2.0, 3.0], &names(&["a", "b"])).unwrap_err();
        assert!(
            matches!(
                error,
                FitError::TooFewRows {
                    rows: 3,
                    coefficients: 3
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("at least 4 rows"));
    }

    #[test]
    fn bad_input_is_located() {
        let x = DMatrix::from_row_slice(4, 1, &[1.0, f64::NAN, 2.0, 3.0]);
        let error = linear(&x, &[1.0, 2.0, 3.0, 4.0], &names(&["a"])).unwrap_err();
        assert!(matches!(&error, FitError::NonFinite { row: 1, column, .. } if column == "a"));
        let x = DMatrix::from_row_slice(4, 1, &[1.0, 5.0, 2.0, 3.0]);
        assert!(matches!(
            linear(&x, &[1.0, 2.0, 3.0], &names(&["a"])),
            Err(FitError::RowCount {
                design: 4,
                outcome: 3
            })
        ));
        assert!(matches!(
            linear(&x, &[1.0, 2.0, 3.0, 4.0], &names(&["a", "b"])),
            Err(FitError::NameCount {
                columns: 1,
                names: 2
            })
        ));
    }
}
