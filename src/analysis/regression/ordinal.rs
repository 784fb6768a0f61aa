//! Proportional-odds (cumulative logit) regression for ordered classes 0..K, here
//! success < challenged < failed:
//!
//! `P(Y ≤ j | x) = σ(θ_j − xᵀβ)`, j = 0..K−2, with increasing thresholds θ.
//!
//! A positive β_i moves projects towards the *higher* (worse) classes. With two classes this is
//! the logistic model of `Y = 1` with intercept `−θ₀` and the same β.
//!
//! Fitted by Newton–Raphson on the analytic gradient and observed information, with step
//! halving, from θ at the marginal cumulative logits and β = 0; the log-likelihood is concave
//! (Pratt 1981), so the step halving only guards the first steps. Under separation a slope
//! diverges and the fit stops with [`FitError::Separation`] naming its column.

use super::newton::{Derivatives, LogLikelihood, maximise};
use super::{
    Coefficient, FitError, Z95, check_design, check_rank, check_row_count, diverging_columns,
    inverse_information, log_sigmoid, serialize_matrix, sigmoid, standard_errors,
};
use nalgebra::{DMatrix, DVector};
use serde::Serialize;

const MAX_ITERATIONS: usize = 100;

/// A fitted proportional-odds model; intervals are Wald.
#[derive(Debug, Clone, Serialize)]
pub struct OrdinalFit {
    /// θ_j, named `"j|j+1"` (the cut between class j and class j + 1).
    pub thresholds: Vec<Coefficient>,
    /// β, named by column.
    pub coefficients: Vec<Coefficient>,
    pub log_likelihood: f64,
    /// The thresholds-only model's: `Σ n_j ln(n_j / n)`.
    pub null_log_likelihood: f64,
    /// `2(K − 1 + k) − 2 ln L`.
    pub aic: f64,
    pub iterations: usize,
    pub rows: usize,
    /// Observations per class.
    pub class_counts: Vec<usize>,
    /// The covariance of (θ₀..θ_{K−2}, β₁..β_k), in that order.
    #[serde(serialize_with = "serialize_matrix")]
    pub covariance: DMatrix<f64>,
}

struct Likelihood<'a> {
    x: &'a DMatrix<f64>,
    classes: &'a [usize],
    cuts: usize,
}

/// One row's class probability and its first and second derivatives with respect to the
/// linear predictors of the two cumulative probabilities bounding the class.
struct Band {
    probability: f64,
    /// `f(a)`, `f(b)` and `f'(a)`, `f'(b)` for the logistic density f at the upper cut
    /// `a = θ_j − η` and the lower cut `b = θ_{j−1} − η` (zero where the cut is ±∞).
    upper_density: f64,
    lower_density: f64,
    upper_slope: f64,
    lower_slope: f64,
}

/// The logistic density and its derivative at `t`.
fn density_and_slope(t: f64) -> (f64, f64) {
    let (up, down) = (sigmoid(t), sigmoid(-t));
    let density = up * down;
    (density, density * (down - up))
}

impl Likelihood<'_> {
    fn thresholds_increase(&self, parameters: &DVector<f64>) -> bool {
        (1..self.cuts).all(|j| parameters[j] > parameters[j - 1])
    }

    fn linear_predictor(&self, parameters: &DVector<f64>) -> DVector<f64> {
        self.x * parameters.rows(self.cuts, self.x.ncols())
    }

    /// `ln P(Y = class)`, computed from whichever tail keeps it accurate.
    fn log_probability(&self, parameters: &DVector<f64>, class: usize, eta: f64) -> f64 {
        let last = self.cuts;
        if class == 0 {
            log_sigmoid(parameters[0] - eta)
        } else if class == last {
            log_sigmoid(eta - parameters[last - 1])
        } else {
            let (a, b) = (parameters[class] - eta, parameters[class - 1] - eta);
            // σ(a) − σ(b) loses every digit when both are near 1; σ(−b) − σ(−a) does not.
            let difference = if b > 0.0 {
                sigmoid(-b) - sigmoid(-a)
            } else {
                sigmoid(a) - sigmoid(b)
            };
            difference.ln()
        }
    }

    fn band(&self, parameters: &DVector<f64>, class: usize, eta: f64) -> Band {
        let (mut upper_density, mut upper_slope, mut lower_density, mut lower_slope) =
            (0.0, 0.0, 0.0, 0.0);
        if class < self.cuts {
            (upper_density, upper_slope) = density_and_slope(parameters[class] - eta);
        }
        if class > 0 {
            (lower_density, lower_slope) = density_and_slope(parameters[class - 1] - eta);
        }
        Band {
            probability: self.log_probability(parameters, class, eta).exp(),
            upper_density,
            lower_density,
            upper_slope,
            lower_slope,
        }
    }
}

impl LogLikelihood for Likelihood<'_> {
    fn value(&self, parameters: &DVector<f64>) -> f64 {
        if !self.thresholds_increase(parameters) {
            return f64::NEG_INFINITY;
        }
        let eta = self.linear_predictor(parameters);
        self.classes
            .iter()
            .zip(&eta)
            .map(|(&class, &e)| self.log_probability(parameters, class, e))
            .sum()
    }

    /// With P = F(a) − F(b), a = θ_j − xᵀβ, b = θ_{j−1} − xᵀβ: ∇ln P = ∇P / P and
    /// ∇²ln P = ∇²P / P − ∇P ∇Pᵀ / P².
    ///
    /// Per row only scalars are formed (the cut terms, and the weights `w` and `d` of the
    /// covariate terms); the covariate blocks are then matrix products over all rows —
    /// `Xᵀ diag(w) X`, `Aᵀ X`, `Xᵀ d` — rather than a p² loop per row through strided rows of
    /// a column-major matrix (what made a 10⁶-row fit take minutes).
    fn derivatives(&self, parameters: &DVector<f64>) -> Derivatives {
        let size = parameters.len();
        let cuts = self.cuts;
        let rows = self.x.nrows();
        let mut gradient = DVector::zeros(size);
        let mut hessian = DMatrix::zeros(size, size);
        let eta = self.linear_predictor(parameters);
        // Per row: the covariate block's weight (slope − density²), the gradient's −density,
        // and each cut's coefficient on x.
        let mut weight = DVector::zeros(rows);
        let mut slope = DVector::zeros(rows);
        let mut cut_terms = DMatrix::zeros(rows, cuts);
        for (row, (&class, &e)) in self.classes.iter().zip(&eta).enumerate() {
            let band = self.band(parameters, class, e);
            let p = band.probability;
            let density_difference = (band.upper_density - band.lower_density) / p;
            let slope_difference = (band.upper_slope - band.lower_slope) / p;
            weight[row] = slope_difference - density_difference * density_difference;
            slope[row] = -density_difference;
            let upper = (class < cuts).then(|| band.upper_density / p);
            let lower = (class > 0).then(|| -band.lower_density / p);
            if let Some(f) = upper {
                gradient[class] += f;
                hessian[(class, class)] += band.upper_slope / p - f * f;
                cut_terms[(row, class)] = -band.upper_slope / p + f * density_difference;
            }
            if let Some(f) = lower {
                gradient[class - 1] += f;
                hessian[(class - 1, class - 1)] += -band.lower_slope / p - f * f;
                cut_terms[(row, class - 1)] = band.lower_slope / p + f * density_difference;
            }
            if let (Some(u), Some(l)) = (upper, lower) {
                hessian[(class - 1, class)] -= l * u;
            }
        }
        let columns = self.x.ncols();
        gradient
            .rows_mut(cuts, columns)
            .copy_from(&self.x.tr_mul(&slope));
        let mut weighted = self.x.clone();
        for mut column in weighted.column_iter_mut() {
            column.component_mul_assign(&weight);
        }
        hessian
            .view_mut((cuts, cuts), (columns, columns))
            .copy_from(&super::gram(self.x, &weighted));
        hessian
            .view_mut((0, cuts), (cuts, columns))
            .copy_from(&super::gram(&cut_terms, self.x));
        hessian.fill_lower_triangle_with_upper_triangle();
        Derivatives {
            value: self.value(parameters),
            gradient,
            hessian,
        }
    }
}

/// Fits ordered `classes` (each in `0..class_count`) on the columns of `x` (no intercept
/// column: the thresholds play its part).
pub fn ordinal_logistic(
    x: &DMatrix<f64>,
    classes: &[usize],
    class_count: usize,
    names: &[String],
) -> Result<OrdinalFit, FitError> {
    check_design(x, names, classes.len())?;
    if class_count < 2 {
        return Err(FitError::TooFewClasses { class_count });
    }
    let mut class_counts = vec![0usize; class_count];
    for (row, &class) in classes.iter().enumerate() {
        match class_counts.get_mut(class) {
            Some(count) => *count += 1,
            None => {
                return Err(FitError::ClassOutOfRange {
                    row,
                    class,
                    class_count,
                });
            }
        }
    }
    let (rows, cuts) = (x.nrows(), class_count - 1);
    let parameter_count = cuts + x.ncols();
    check_row_count(rows, parameter_count)?;
    if let Some(class) = class_counts.iter().position(|&c| c == 0) {
        return Err(FitError::EmptyClass { class, class_count });
    }
    check_rank(x, names)?;

    let n = rows as f64;
    let mut start = DVector::zeros(parameter_count);
    let mut cumulative = 0;
    for (j, count) in class_counts.iter().take(cuts).enumerate() {
        cumulative += count;
        let share = cumulative as f64 / n;
        start[j] = (share / (1.0 - share)).ln();
    }
    let likelihood = Likelihood { x, classes, cuts };
    let maximum = maximise(&likelihood, start, None, MAX_ITERATIONS);
    let parameters = &maximum.parameters;

    let diverging = diverging_columns(x, &parameters.as_slice()[cuts..], names);
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
    let errors = standard_errors(&covariance);
    let coefficient =
        |name: &str, i: usize| Coefficient::symmetric(name, parameters[i], errors[i], Z95);
    let log_likelihood = maximum.at.value;
    Ok(OrdinalFit {
        thresholds: (0..cuts)
            .map(|j| coefficient(&format!("{j}|{}", j + 1), j))
            .collect(),
        coefficients: names
            .iter()
            .enumerate()
            .map(|(i, name)| coefficient(name, cuts + i))
            .collect(),
        log_likelihood,
        null_log_likelihood: class_counts
            .iter()
            .map(|&c| c as f64 * (c as f64 / n).ln())
            .sum(),
        aic: 2.0 * parameter_count as f64 - 2.0 * log_likelihood,
        iterations: maximum.iterations,
        rows,
        class_counts,
        covariance,
    })
}

impl OrdinalFit {
    /// `P(Y = j | row)` for every class j, summing to 1.
    ///
    /// Panics if `row` does not have one value per covariate.
    pub fn class_probabilities(&self, row: &[f64]) -> Vec<f64> {
        assert_eq!(
            row.len(),
            self.coefficients.len(),
            "one value per covariate"
        );
        let eta: f64 = self
            .coefficients
            .iter()
            .zip(row)
            .map(|(c, v)| c.estimate * v)
            .sum();
        let mut below = 0.0;
        let mut probabilities: Vec<f64> = self
            .thresholds
            .iter()
            .map(|theta| {
                let cumulative = sigmoid(theta.estimate - eta);
                let p = cumulative - below;
                below = cumulative;
                p
            })
            .collect();
        probabilities.push(1.0 - below);
        probabilities
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::regression::logistic::logistic;
    use crate::analysis::regression::logistic::tests::{names, two_by_two};
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// The analytic gradient and Hessian agree with central differences of the value and of
    /// the gradient.
    #[test]
    fn derivatives_match_finite_differences() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let x = DMatrix::from_fn(60, 2, |_, _| rng.random::<f64>() * 2.0 - 1.0);
        let classes: Vec<usize> = (0..60).map(|r| r % 4).collect();
        let likelihood = Likelihood {
            x: &x,
            classes: &classes,
            cuts: 3,
        };
        let point = DVector::from_vec(vec![-1.0, 0.2, 1.5, 0.7, -0.4]);
        let at = likelihood.derivatives(&point);
        let h = 1e-5;
        for i in 0..point.len() {
            let mut up = point.clone();
            up[i] += h;
            let mut down = point.clone();
            down[i] -= h;
            let slope = (likelihood.value(&up) - likelihood.value(&down)) / (2.0 * h);
            assert!((slope - at.gradient[i]).abs() < 1e-6, "gradient {i}");
            let curvature = (likelihood.derivatives(&up).gradient
                - likelihood.derivatives(&down).gradient)
                / (2.0 * h);
            for j in 0..point.len() {
                assert!(
                    (curvature[j] - at.hessian[(j, i)]).abs() < 1e-6,
                    "hessian {j},{i}"
                );
            }
        }
    }

    #[test]
    fn two_classes_reproduce_the_logistic_fit() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let x = DMatrix::from_fn(300, 2, |_, _| rng.random::<f64>() * 2.0 - 1.0);
        let events: Vec<bool> = (0..300)
            .map(|r| rng.random::<f64>() < sigmoid(0.3 + 1.5 * x[(r, 0)] - 0.8 * x[(r, 1)]))
            .collect();
        let classes: Vec<usize> = events.iter().map(|&e| usize::from(e)).collect();
        let names = names(&["a", "b"]);
        let binary = logistic(&x, &events, &names).unwrap();
        let ordinal = ordinal_logistic(&x, &classes, 2, &names).unwrap();
        let (theta, intercept) = (&ordinal.thresholds[0], &binary.coefficients[0]);
        assert!((theta.estimate + intercept.estimate).abs() < 1e-8);
        assert!((theta.standard_error - intercept.standard_error).abs() < 1e-8);
        for (o, b) in ordinal.coefficients.iter().zip(&binary.coefficients[1..]) {
            assert!((o.estimate - b.estimate).abs() < 1e-8, "{o:?} vs {b:?}");
            assert!((o.standard_error - b.standard_error).abs() < 1e-8);
        }
        assert!((ordinal.log_likelihood - binary.log_likelihood).abs() < 1e-8);
        assert!((ordinal.null_log_likelihood - binary.null_log_likelihood).abs() < 1e-8);
        assert!((ordinal.aic - binary.aic).abs() < 1e-8);
        let p = ordinal.class_probabilities(&[0.4, -0.2]);
        assert!((p[1] - binary.probability(&[0.4, -0.2])).abs() < 1e-8);
    }

    #[test]
    fn two_classes_reproduce_the_two_by_two_odds_ratio() {
        let (x, y) = two_by_two(23, 11, 9, 31);
        let classes: Vec<usize> = y.iter().map(|&e| usize::from(e)).collect();
        let fit = ordinal_logistic(&x, &classes, 2, &names(&["exposed"])).unwrap();
        let slope = &fit.coefficients[0];
        assert!((slope.estimate - (23.0 * 31.0 / (11.0 * 9.0f64)).ln()).abs() < 1e-8);
        let se = (1.0 / 23.0 + 1.0 / 11.0 + 1.0 / 9.0 + 1.0 / 31.0f64).sqrt();
        assert!((slope.standard_error - se).abs() < 1e-8);
    }

    /// Draws three ordered classes from latent `xᵀβ + logistic noise` cut at θ.
    fn simulate(
        rng: &mut Xoshiro256PlusPlus,
        theta: [f64; 2],
        beta: [f64; 2],
        rows: usize,
    ) -> (DMatrix<f64>, Vec<usize>) {
        let x = DMatrix::from_fn(rows, 2, |_, c| {
            if c == 0 {
                rng.random::<f64>() * 2.0 - 1.0
            } else {
                f64::from(u8::from(rng.random_bool(0.3)))
            }
        });
        let classes = (0..rows)
            .map(|r| {
                let u: f64 = rng.random_range(1e-12..1.0);
                let latent = beta[0] * x[(r, 0)] + beta[1] * x[(r, 1)] + (u / (1.0 - u)).ln();
                theta.iter().filter(|&&t| latent > t).count()
            })
            .collect();
        (x, classes)
    }

    #[test]
    fn known_parameters_are_recovered() {
        let (theta, beta) = ([-0.4, 1.1], [1.3, -0.9]);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let (x, classes) = simulate(&mut rng, theta, beta, 2000);
        let fit = ordinal_logistic(&x, &classes, 3, &names(&["score", "flag"])).unwrap();
        let estimates = fit.thresholds.iter().chain(&fit.coefficients);
        for (c, t) in estimates.zip(theta.iter().chain(&beta)) {
            assert!(
                (c.estimate - t).abs() < 4.0 * c.standard_error,
                "{c:?} vs {t}"
            );
        }
        assert_eq!(fit.thresholds[1].name, "1|2");
        let p = fit.class_probabilities(&[0.2, 1.0]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12 && p.iter().all(|&v| v > 0.0));
        assert!(fit.log_likelihood > fit.null_log_likelihood);
    }

    #[test]
    fn intervals_cover_at_the_nominal_rate() {
        let (theta, beta) = ([-0.2, 1.0], [1.0, 0.6]);
        let (replicates, rows) = (200, 300);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(17);
        let mut covered = [0usize; 4];
        for _ in 0..replicates {
            let (x, classes) = simulate(&mut rng, theta, beta, rows);
            let fit = ordinal_logistic(&x, &classes, 3, &names(&["score", "flag"])).unwrap();
            let estimates = fit.thresholds.iter().chain(&fit.coefficients);
            for (count, (c, t)) in covered
                .iter_mut()
                .zip(estimates.zip(theta.iter().chain(&beta)))
            {
                *count += usize::from(c.low <= *t && *t <= c.high);
            }
        }
        let band = 3.0 * (0.95 * 0.05 / replicates as f64).sqrt();
        for count in covered {
            let rate = count as f64 / replicates as f64;
            assert!((rate - 0.95).abs() <= band, "coverage {rate}");
        }
    }

    #[test]
    fn bad_classes_are_refused() {
        let x = DMatrix::from_fn(12, 1, |r, _| (r % 5) as f64);
        let classes: Vec<usize> = (0..12).map(|r| if r % 2 == 0 { 0 } else { 2 }).collect();
        let error = ordinal_logistic(&x, &classes, 3, &names(&["a"])).unwrap_err();
        assert!(
            matches!(
                error,
                FitError::EmptyClass {
                    class: 1,
                    class_count: 3
                }
            ),
            "{error}"
        );
        let error = ordinal_logistic(&x, &classes, 2, &names(&["a"])).unwrap_err();
        assert!(matches!(
            error,
            FitError::ClassOutOfRange {
                row: 1,
                class: 2,
                class_count: 2
            }
        ));
        let error = ordinal_logistic(&x, &classes, 1, &names(&["a"])).unwrap_err();
        assert!(matches!(error, FitError::TooFewClasses { class_count: 1 }));
    }

    #[test]
    fn separation_names_the_column() {
        // `perfect` splits class 0 from classes 1 and 2 exactly.
        let classes: Vec<usize> = (0..30).map(|r| r % 3).collect();
        let x = DMatrix::from_fn(30, 2, |r, c| match c {
            0 => ((r * 7) % 5) as f64,
            _ => f64::from(u8::from(classes[r] > 0)),
        });
        let error = ordinal_logistic(&x, &classes, 3, &names(&["noise", "perfect"])).unwrap_err();
        assert!(
            matches!(&error, FitError::Separation { columns } if columns == &names(&["perfect"])),
            "{error}"
        );
    }
}
