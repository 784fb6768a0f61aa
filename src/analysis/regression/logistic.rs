//! Binary logistic regression `P(event | x) = σ(β₀ + xᵀβ)` by Newton–Raphson, which for the
//! canonical logit link is IRLS / Fisher scoring (observed = expected information). Used for
//! P(missed objectives) and as the two-class check of the ordinal model.
//!
//! Separation: when a column predicts the outcome perfectly the likelihood has no maximum and
//! the coefficient runs off to infinity; the fit then stops with [`FitError::Separation`]
//! naming that column rather than report a meaningless estimate.

use super::newton::{Derivatives, LogLikelihood, maximise};
use super::{
    Coefficient, FitError, Z95, check_design, check_rank, check_row_count, diverging_columns,
    inverse_information, log_sigmoid, names_with_intercept, serialize_matrix, sigmoid,
    standard_errors, with_intercept,
};
use nalgebra::{DMatrix, DVector};
use serde::Serialize;

/// Newton converges in well under 20 iterations on any data set with overlapping classes;
/// the cap is reached only under separation, by which time the diverging coefficient is
/// far past the separation limit.
const MAX_ITERATIONS: usize = 100;

/// A fitted logistic model. The coefficients start with the intercept; intervals are Wald.
#[derive(Debug, Clone, Serialize)]
pub struct LogisticFit {
    pub coefficients: Vec<Coefficient>,
    pub log_likelihood: f64,
    /// The intercept-only model's: `n₁ ln(n₁/n) + n₀ ln(n₀/n)`.
    pub null_log_likelihood: f64,
    /// `2(k + 1) − 2 ln L`.
    pub aic: f64,
    pub iterations: usize,
    pub rows: usize,
    pub events: usize,
    /// The covariance of the coefficients (intercept first): the inverse information.
    #[serde(serialize_with = "serialize_matrix")]
    pub covariance: DMatrix<f64>,
}

struct Likelihood<'a> {
    design: &'a DMatrix<f64>,
    outcome: &'a [bool],
}

impl LogLikelihood for Likelihood<'_> {
    fn value(&self, beta: &DVector<f64>) -> f64 {
        let eta = self.design * beta;
        eta.iter()
            .zip(self.outcome)
            .map(|(&e, &y)| if y { log_sigmoid(e) } else { log_sigmoid(-e) })
            .sum()
    }

    fn derivatives(&self, beta: &DVector<f64>) -> Derivatives {
        let eta = self.design * beta;
        let mean = eta.map(sigmoid);
        let response = DVector::from_iterator(
            mean.len(),
            self.outcome
                .iter()
                .zip(&mean)
                .map(|(&y, m)| f64::from(u8::from(y)) - m),
        );
        // Xᵀ W X as (√W X)ᵀ(√W X).
        let mut weighted = self.design.clone();
        for (mut row, m) in weighted.row_iter_mut().zip(&mean) {
            row *= (m * (1.0 - m)).sqrt();
        }
        Derivatives {
            value: self.value(beta),
            gradient: self.design.tr_mul(&response),
            hessian: -weighted.tr_mul(&weighted),
        }
    }
}

/// Fits `P(outcome | x)`; `x` has no intercept column (one named [`super::INTERCEPT`] is
/// added first).
pub fn logistic(
    x: &DMatrix<f64>,
    outcome: &[bool],
    names: &[String],
) -> Result<LogisticFit, FitError> {
    check_design(x, names, outcome.len())?;
    let (rows, coefficients) = (x.nrows(), x.ncols() + 1);
    check_row_count(rows, coefficients)?;
    let events = outcome.iter().filter(|&&y| y).count();
    for (class, count) in [(0, rows - events), (1, events)] {
        if count == 0 {
            return Err(FitError::EmptyClass {
                class,
                class_count: 2,
            });
        }
    }
    check_rank(x, names)?;

    let design = with_intercept(x);
    let share = events as f64 / rows as f64;
    let mut start = DVector::zeros(coefficients);
    start[0] = (share / (1.0 - share)).ln();
    let likelihood = Likelihood {
        design: &design,
        outcome,
    };
    let maximum = maximise(&likelihood, start, None, MAX_ITERATIONS);
    let beta = &maximum.parameters;

    let diverging = diverging_columns(x, &beta.as_slice()[1..], names);
    if !diverging.is_empty() {
        return Err(FitError::Separation { columns: diverging });
    }
    if !maximum.converged {
        return Err(FitError::NotConverged {
            iterations: maximum.iterations,
            last_step: maximum.last_step,
        });
    }
    let covariance = inverse_information(&maximum.at.hessian)?;
    let log_likelihood = maximum.at.value;
    let null_log_likelihood =
        events as f64 * share.ln() + (rows - events) as f64 * (1.0 - share).ln();
    Ok(LogisticFit {
        coefficients: names_with_intercept(names)
            .iter()
            .zip(beta.iter().zip(standard_errors(&covariance)))
            .map(|(name, (&estimate, se))| Coefficient::symmetric(name, estimate, se, Z95))
            .collect(),
        log_likelihood,
        null_log_likelihood,
        aic: 2.0 * coefficients as f64 - 2.0 * log_likelihood,
        iterations: maximum.iterations,
        rows,
        events,
        covariance,
    })
}

impl LogisticFit {
    /// The fitted probability of the event for one row of covariates.
    ///
    /// Panics if `row` does not have one value per covariate.
    pub fn probability(&self, row: &[f64]) -> f64 {
        sigmoid(super::linear_predictor(&self.coefficients, row))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    pub(in super::super) fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// A binary covariate and outcome laid out as the 2×2 table
    /// (x = 1, y = 1): a, (x = 1, y = 0): b, (x = 0, y = 1): c, (x = 0, y = 0): d.
    pub(in super::super) fn two_by_two(
        a: usize,
        b: usize,
        c: usize,
        d: usize,
    ) -> (DMatrix<f64>, Vec<bool>) {
        let cells = [
            (1.0, true, a),
            (1.0, false, b),
            (0.0, true, c),
            (0.0, false, d),
        ];
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for (x, y, count) in cells {
            xs.extend(std::iter::repeat_n(x, count));
            ys.extend(std::iter::repeat_n(y, count));
        }
        (DMatrix::from_column_slice(xs.len(), 1, &xs), ys)
    }

    #[test]
    fn a_two_by_two_table_gives_the_log_odds_ratio() {
        let (a, b, c, d): (f64, f64, f64, f64) = (23.0, 11.0, 9.0, 31.0);
        let (x, y) = two_by_two(23, 11, 9, 31);
        let fit = logistic(&x, &y, &names(&["exposed"])).unwrap();
        let slope = &fit.coefficients[1];
        assert!(
            (slope.estimate - (a * d / (b * c)).ln()).abs() < 1e-8,
            "{slope:?}"
        );
        let se = (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt();
        assert!((slope.standard_error - se).abs() < 1e-8);
        // The intercept is the log odds among the unexposed, SE √(1/c + 1/d).
        let intercept = &fit.coefficients[0];
        assert!((intercept.estimate - (c / d).ln()).abs() < 1e-8);
        assert!((intercept.standard_error - (1.0 / c + 1.0 / d).sqrt()).abs() < 1e-8);
        // The saturated model reproduces the cell shares.
        let log_likelihood = a * (a / (a + b)).ln()
            + b * (b / (a + b)).ln()
            + c * (c / (c + d)).ln()
            + d * (d / (c + d)).ln();
        assert!((fit.log_likelihood - log_likelihood).abs() < 1e-9);
        assert!((fit.aic - (4.0 - 2.0 * log_likelihood)).abs() < 1e-9);
        let n = a + b + c + d;
        let (events, rest) = (a + c, b + d);
        let null = events * (events / n).ln() + rest * (rest / n).ln();
        assert!((fit.null_log_likelihood - null).abs() < 1e-9);
        assert!((fit.probability(&[1.0]) - a / (a + b)).abs() < 1e-10);
    }

    /// Draws `rows` rows from known coefficients with two covariates.
    fn simulate(
        rng: &mut Xoshiro256PlusPlus,
        truth: &[f64; 3],
        rows: usize,
    ) -> (DMatrix<f64>, Vec<bool>) {
        let x = DMatrix::from_fn(rows, 2, |_, c| {
            if c == 0 {
                rng.random::<f64>() * 2.0 - 1.0
            } else {
                f64::from(u8::from(rng.random_bool(0.4)))
            }
        });
        let y = (0..rows)
            .map(|r| {
                let eta = truth[0] + truth[1] * x[(r, 0)] + truth[2] * x[(r, 1)];
                rng.random::<f64>() < sigmoid(eta)
            })
            .collect();
        (x, y)
    }

    #[test]
    fn known_coefficients_are_recovered() {
        let truth = [-0.5, 1.2, 0.8];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
        let (x, y) = simulate(&mut rng, &truth, 5000);
        let fit = logistic(&x, &y, &names(&["score", "flag"])).unwrap();
        for (c, t) in fit.coefficients.iter().zip(truth) {
            assert!(
                (c.estimate - t).abs() < 4.0 * c.standard_error,
                "{c:?} vs {t}"
            );
            assert!(c.standard_error < 0.1);
        }
        assert!(fit.iterations < 15);
    }

    #[test]
    fn intervals_cover_at_the_nominal_rate() {
        let truth = [0.3, -1.0, 0.7];
        let (replicates, rows) = (200, 400);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut covered = [0usize; 3];
        for _ in 0..replicates {
            let (x, y) = simulate(&mut rng, &truth, rows);
            let fit = logistic(&x, &y, &names(&["score", "flag"])).unwrap();
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
    fn separation_names_the_column() {
        // `perfect` is 1 exactly when the outcome is true; `noise` overlaps.
        let rows = 40;
        let y: Vec<bool> = (0..rows).map(|r| r % 3 == 0).collect();
        let x = DMatrix::from_fn(rows, 2, |r, c| match c {
            0 => ((r * 7) % 5) as f64,
            _ => f64::from(u8::from(y[r])),
        });
        let error = logistic(&x, &y, &names(&["noise", "perfect"])).unwrap_err();
        assert!(
            matches!(&error, FitError::Separation { columns } if columns == &names(&["perfect"])),
            "{error}"
        );
    }

    #[test]
    fn a_missing_class_is_refused() {
        let x = DMatrix::from_fn(10, 1, |r, _| r as f64);
        let error = logistic(&x, &[true; 10], &names(&["a"])).unwrap_err();
        assert!(
            matches!(
                error,
                FitError::EmptyClass {
                    class: 0,
                    class_count: 2
                }
            ),
            "{error}"
        );
    }
}
