//! The benefit model: a censored, non-linear (Tobit-type) regression of a benefit realisation
//! capped at 1 on factor levels in [0, 1]:
//!
//! `L = α + Σ_i ln(1 − b_i x_i) + σε`, ε ~ N(0, 1); observed `ln y = min(L, 0)`.
//!
//! A row with y = 1 is censored and contributes `P(L ≥ 0) = Φ(m/σ)` (m the row's mean of L);
//! any other row contributes the normal density of `ln y` (the likelihood is that of ln y, so
//! it omits the constant Jacobian `−Σ ln y`).
//!
//! Fitted by Newton–Raphson on the analytic gradient and Hessian in (b, α, ln σ), with the
//! impacts held in [0, 0.99] by an active set and projection (an estimate on a bound keeps a
//! finite standard error, unlike a logistic reparameterisation of b, which would push it to
//! infinity). Standard errors come from the inverse observed information, by the delta method
//! for σ. An impact the bounds hold, or whose Wald interval would cross a bound, gets the
//! profile-likelihood interval instead (χ²₁ cutoff 3.84; [`super::profile`]).

use super::newton::{Bounds, Derivatives, LogLikelihood, maximise};
use super::{
    Coefficient, FitError, INTERCEPT, IntervalMethod, Z95, check_design, check_rank,
    check_row_count, inverse_information, log_normal_cdf_and_mills, profile, serialize_matrix,
    standard_errors,
};
use nalgebra::{DMatrix, DVector};
use serde::Serialize;
use statrs::function::erf::erfc;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// The largest impact: a factor at level 1 keeps at least 1 % of the benefit.
pub const MAX_IMPACT: f64 = 0.99;
const MAX_ITERATIONS: usize = 200;
/// A fitted benefit model.
#[derive(Debug, Clone, Serialize)]
pub struct CensoredFit {
    /// b_i, named by column; intervals are Wald, or profile likelihood for an impact on or
    /// near a bound of [0, `MAX_IMPACT`] (`interval`, `held_at_bound` say which).
    pub impacts: Vec<Coefficient>,
    /// α, named [`INTERCEPT`].
    pub intercept: Coefficient,
    /// σ, named `"sigma"`; SE by the delta method, interval `exp(ln σ̂ ± 1.96 SE(ln σ̂))`.
    pub sigma: Coefficient,
    pub log_likelihood: f64,
    /// `2(k + 2) − 2 ln L`.
    pub aic: f64,
    pub iterations: usize,
    pub rows: usize,
    pub censored_rows: usize,
    /// The covariance of (b_1..b_k).
    #[serde(serialize_with = "serialize_matrix")]
    pub covariance: DMatrix<f64>,
}

struct Likelihood<'a> {
    x: &'a DMatrix<f64>,
    /// ln y; `None` for a censored row.
    log_realisation: &'a [Option<f64>],
}

impl Likelihood<'_> {
    fn impacts(&self) -> usize {
        self.x.ncols()
    }

    /// m = α + Σ ln(1 − b_i x_i) for one row.
    fn mean(&self, parameters: &DVector<f64>, row: usize) -> f64 {
        let k = self.impacts();
        parameters[k]
            + (0..k)
                .map(|i| (-parameters[i] * self.x[(row, i)]).ln_1p())
                .sum::<f64>()
    }
}

impl LogLikelihood for Likelihood<'_> {
    fn value(&self, parameters: &DVector<f64>) -> f64 {
        let sigma = parameters[self.impacts() + 1].exp();
        self.log_realisation
            .iter()
            .enumerate()
            .map(|(row, observed)| {
                let m = self.mean(parameters, row);
                match observed {
                    Some(z) => {
                        let r = (z - m) / sigma;
                        -0.5 * r * r - sigma.ln() - 0.5 * (2.0 * PI).ln()
                    }
                    None => log_normal_cdf_and_mills(m / sigma).0,
                }
            })
            .sum()
    }

    /// Per row, the derivatives of ℓ in (m, s = ln σ), chained through
    /// ∂m/∂b_i = −x_i/(1 − b_i x_i), ∂²m/∂b_i² = −x_i²/(1 − b_i x_i)², ∂m/∂α = 1.
    fn derivatives(&self, parameters: &DVector<f64>) -> Derivatives {
        let k = self.impacts();
        let (alpha_index, s_index) = (k, k + 1);
        let size = k + 2;
        let sigma = parameters[s_index].exp();
        let mut gradient = DVector::zeros(size);
        let mut hessian = DMatrix::zeros(size, size);
        let mut mean_gradient = DVector::zeros(k + 1);
        let mut mean_curvature = vec![0.0; k];
        for (row, observed) in self.log_realisation.iter().enumerate() {
            for i in 0..k {
                let (b, x) = (parameters[i], self.x[(row, i)]);
                let slope = -x / (1.0 - b * x);
                mean_gradient[i] = slope;
                mean_curvature[i] = -slope * slope;
            }
            mean_gradient[alpha_index] = 1.0;
            let m = self.mean(parameters, row);
            // (ℓ_m, ℓ_s, ℓ_mm, ℓ_ms, ℓ_ss)
            let (d_m, d_s, d_mm, d_ms, d_ss) = match observed {
                Some(z) => {
                    let r = (z - m) / sigma;
                    (
                        r / sigma,
                        r * r - 1.0,
                        -1.0 / (sigma * sigma),
                        -2.0 * r / sigma,
                        -2.0 * r * r,
                    )
                }
                None => {
                    let t = m / sigma;
                    let mills = log_normal_cdf_and_mills(t).1;
                    let shrink = mills * (t + mills);
                    (
                        mills / sigma,
                        -mills * t,
                        -shrink / (sigma * sigma),
                        (t * shrink - mills) / sigma,
                        -shrink * t * t + mills * t,
                    )
                }
            };
            for p in 0..=alpha_index {
                gradient[p] += d_m * mean_gradient[p];
                for q in 0..=p {
                    hessian[(q, p)] += d_mm * mean_gradient[p] * mean_gradient[q];
                }
                hessian[(p, s_index)] += d_ms * mean_gradient[p];
            }
            for (i, curvature) in mean_curvature.iter().enumerate() {
                hessian[(i, i)] += d_m * curvature;
            }
            gradient[s_index] += d_s;
            hessian[(s_index, s_index)] += d_ss;
        }
        hessian.fill_lower_triangle_with_upper_triangle();
        Derivatives {
            value: self.value(parameters),
            gradient,
            hessian,
        }
    }
}

/// Fits the benefit model to `realisation` (each in (0, 1], 1 = at the cap) on factor levels
/// `x` (each in [0, 1], no intercept column).
pub fn censored_benefit(
    x: &DMatrix<f64>,
    realisation: &[f64],
    names: &[String],
) -> Result<CensoredFit, FitError> {
    check_design(x, names, realisation.len())?;
    for (column, name) in names.iter().enumerate() {
        let outside = x
            .column(column)
            .iter()
            .enumerate()
            .find(|(_, v)| !(0.0..=1.0).contains(*v))
            .map(|(row, &value)| (row, value));
        if let Some((row, value)) = outside {
            return Err(FitError::OutOfRange {
                row,
                column: name.clone(),
                value,
                expected: "[0, 1]",
            });
        }
    }
    let outside = realisation
        .iter()
        .enumerate()
        .find(|(_, y)| !(**y > 0.0 && **y <= 1.0));
    if let Some((row, &value)) = outside {
        return Err(FitError::OutOfRange {
            row,
            column: "benefit realisation".into(),
            value,
            expected: "(0, 1]",
        });
    }
    let (rows, k) = (x.nrows(), x.ncols());
    check_row_count(rows, k + 2)?;
    let log_realisation: Vec<Option<f64>> = realisation
        .iter()
        .map(|&y| (y < 1.0).then(|| y.ln()))
        .collect();
    let censored_rows = log_realisation.iter().filter(|z| z.is_none()).count();
    if censored_rows == rows {
        return Err(FitError::AllCensored { rows });
    }
    check_rank(x, names)?;

    // Start from no impacts and the moments of ln y (censored rows at 0).
    let n = rows as f64;
    let z: Vec<f64> = log_realisation.iter().map(|z| z.unwrap_or(0.0)).collect();
    let z_mean = z.iter().sum::<f64>() / n;
    let z_sd = (z.iter().map(|v| (v - z_mean).powi(2)).sum::<f64>() / n).sqrt();
    let mut start = DVector::zeros(k + 2);
    start[k] = z_mean;
    start[k + 1] = z_sd.max(1e-3).ln();
    let mut lower = DVector::from_element(k + 2, f64::NEG_INFINITY);
    let mut upper = DVector::from_element(k + 2, f64::INFINITY);
    lower.rows_mut(0, k).fill(0.0);
    upper.rows_mut(0, k).fill(MAX_IMPACT);
    let likelihood = Likelihood {
        x,
        log_realisation: &log_realisation,
    };
    let maximum = maximise(
        &likelihood,
        start,
        Some(&Bounds {
            lower: lower.clone(),
            upper: upper.clone(),
        }),
        MAX_ITERATIONS,
    );
    if !maximum.converged {
        return Err(FitError::NotConverged {
            iterations: maximum.iterations,
            last_step: maximum.last_step,
        });
    }
    let parameters = &maximum.parameters;
    let covariance = inverse_information(&maximum.at.hessian)?;
    let errors = standard_errors(&covariance);

    let log_likelihood = maximum.at.value;
    let impacts = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut impact = Coefficient::symmetric(name, parameters[i], errors[i], Z95);
            let slope = maximum.at.gradient[i];
            impact.held_at_bound = (parameters[i] <= 0.0 && slope <= 0.0)
                || (parameters[i] >= MAX_IMPACT && slope >= 0.0);
            if impact.held_at_bound || impact.low < 0.0 || impact.high > MAX_IMPACT {
                // Profile likelihood: the impact held at b, everything else re-maximised.
                let mut deviance = |b: f64| {
                    let mut held = Bounds {
                        lower: lower.clone(),
                        upper: upper.clone(),
                    };
                    held.lower[i] = b;
                    held.upper[i] = b;
                    let mut start = parameters.clone();
                    start[i] = b;
                    let at = maximise(&likelihood, start, Some(&held), MAX_ITERATIONS);
                    (2.0 * (log_likelihood - at.at.value)).max(0.0)
                };
                (impact.low, impact.high) = profile::interval(
                    &mut deviance,
                    parameters[i],
                    errors[i],
                    (0.0, MAX_IMPACT),
                    Z95 * Z95,
                );
                impact.interval = IntervalMethod::ProfileLikelihood;
            }
            impact
        })
        .collect();
    let (log_sigma, log_sigma_se) = (parameters[k + 1], errors[k + 1]);
    let sigma = log_sigma.exp();
    Ok(CensoredFit {
        impacts,
        intercept: Coefficient::symmetric(INTERCEPT, parameters[k], errors[k], Z95),
        sigma: Coefficient {
            name: "sigma".into(),
            estimate: sigma,
            standard_error: sigma * log_sigma_se,
            low: (log_sigma - Z95 * log_sigma_se).exp(),
            high: (log_sigma + Z95 * log_sigma_se).exp(),
            interval: IntervalMethod::Wald,
            held_at_bound: false,
            fraction_missing_information: None,
        },
        log_likelihood,
        aic: 2.0 * (k + 2) as f64 - 2.0 * log_likelihood,
        iterations: maximum.iterations,
        rows,
        censored_rows,
        covariance: covariance.view((0, 0), (k, k)).into_owned(),
    })
}

impl CensoredFit {
    /// m = α + Σ ln(1 − b_i x_i), the mean of the latent log benefit.
    ///
    /// Panics if `row` does not have one value per factor.
    fn latent_mean(&self, row: &[f64]) -> f64 {
        assert_eq!(row.len(), self.impacts.len(), "one value per factor");
        self.intercept.estimate
            + self
                .impacts
                .iter()
                .zip(row)
                .map(|(b, x)| (-b.estimate * x).ln_1p())
                .sum::<f64>()
    }

    /// The median benefit realisation for one row of factor levels: `exp(min(m, 0))`
    /// (capping is monotone, so it commutes with the median).
    pub fn predict_median(&self, row: &[f64]) -> f64 {
        self.latent_mean(row).min(0.0).exp()
    }

    /// The expected benefit realisation: `Φ(m/σ) + e^{m + σ²/2} Φ(−(m + σ²)/σ)`.
    pub fn predict_mean(&self, row: &[f64]) -> f64 {
        let (m, sigma) = (self.latent_mean(row), self.sigma.estimate);
        let cdf = |t: f64| 0.5 * erfc(-t * FRAC_1_SQRT_2);
        cdf(m / sigma) + (m + 0.5 * sigma * sigma).exp() * cdf(-(m + sigma * sigma) / sigma)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::regression::linear::linear;
    use crate::analysis::regression::logistic::tests::names;
    use rand::{RngExt, SeedableRng};
    use rand_distr::StandardNormal;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Draws `rows` projects with uniform factor levels and returns (x, y).
    fn simulate(
        rng: &mut Xoshiro256PlusPlus,
        impacts: &[f64],
        alpha: f64,
        sigma: f64,
        rows: usize,
    ) -> (DMatrix<f64>, Vec<f64>) {
        let x = DMatrix::from_fn(rows, impacts.len(), |_, _| rng.random::<f64>());
        let y = (0..rows)
            .map(|r| {
                let noise: f64 = rng.sample(StandardNormal);
                let m = alpha
                    + impacts
                        .iter()
                        .enumerate()
                        .map(|(i, b)| (-b * x[(r, i)]).ln_1p())
                        .sum::<f64>();
                (m + sigma * noise).min(0.0).exp()
            })
            .collect();
        (x, y)
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let (x, y) = simulate(&mut rng, &[0.4, 0.2], 0.1, 0.3, 80);
        let log_realisation: Vec<Option<f64>> =
            y.iter().map(|&y| (y < 1.0).then(|| y.ln())).collect();
        assert!(
            log_realisation.iter().any(Option::is_none)
                && log_realisation.iter().any(Option::is_some)
        );
        let likelihood = Likelihood {
            x: &x,
            log_realisation: &log_realisation,
        };
        let point = DVector::from_vec(vec![0.3, 0.5, 0.05, (0.4f64).ln()]);
        let at = likelihood.derivatives(&point);
        let h = 1e-6;
        for i in 0..point.len() {
            let (mut up, mut down) = (point.clone(), point.clone());
            up[i] += h;
            down[i] -= h;
            let slope = (likelihood.value(&up) - likelihood.value(&down)) / (2.0 * h);
            assert!(
                (slope - at.gradient[i]).abs() < 1e-5 * (1.0 + slope.abs()),
                "gradient {i}"
            );
            let curvature = (likelihood.derivatives(&up).gradient
                - likelihood.derivatives(&down).gradient)
                / (2.0 * h);
            for j in 0..point.len() {
                let expected = at.hessian[(j, i)];
                assert!(
                    (curvature[j] - expected).abs() < 1e-5 * (1.0 + expected.abs()),
                    "hessian {j},{i}"
                );
            }
        }
    }

    #[test]
    fn known_parameters_are_recovered() {
        let (impacts, alpha, sigma) = ([0.3, 0.5, 0.15, 0.6], 0.8, 0.3);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2718);
        let (x, y) = simulate(&mut rng, &impacts, alpha, sigma, 3000);
        let fit = censored_benefit(&x, &y, &names(&["a", "b", "c", "d"])).unwrap();
        let share = fit.censored_rows as f64 / fit.rows as f64;
        assert!((0.3..=0.4).contains(&share), "censored share {share}");
        for (b, truth) in fit.impacts.iter().zip(impacts) {
            assert!(
                (b.estimate - truth).abs() < 4.0 * b.standard_error,
                "{b:?} vs {truth}"
            );
            assert!(b.standard_error < 0.1);
        }
        assert!((fit.intercept.estimate - alpha).abs() < 4.0 * fit.intercept.standard_error);
        assert!((fit.sigma.estimate - sigma).abs() < 4.0 * fit.sigma.standard_error);
        assert!(fit.sigma.low < fit.sigma.estimate && fit.sigma.estimate < fit.sigma.high);
        assert_eq!(fit.covariance.shape(), (4, 4));
        for i in 0..4 {
            assert!((fit.covariance[(i, i)].sqrt() - fit.impacts[i].standard_error).abs() < 1e-15);
        }
        // The model's mean and median against the data of the rows at the lowest factor levels.
        let median = fit.predict_median(&[0.0; 4]);
        assert!(
            (median - 1.0).abs() < 1e-15,
            "α > 0 puts the median at the cap"
        );
        let mean = fit.predict_mean(&[1.0; 4]);
        assert!(
            mean > 0.0 && mean < fit.predict_mean(&[0.0; 4]) && fit.predict_mean(&[0.0; 4]) < 1.0
        );
    }

    /// The expected realisation formula against simulation from the fitted model's own terms.
    #[test]
    fn predicted_mean_matches_simulation() {
        let fit = CensoredFit {
            impacts: vec![Coefficient::symmetric("a", 0.4, 0.0, Z95)],
            intercept: Coefficient::symmetric(INTERCEPT, 0.1, 0.0, Z95),
            sigma: Coefficient::symmetric("sigma", 0.35, 0.0, Z95),
            log_likelihood: 0.0,
            aic: 0.0,
            iterations: 0,
            rows: 0,
            censored_rows: 0,
            covariance: DMatrix::zeros(1, 1),
        };
        let m = 0.1 + (-0.4f64 * 0.7).ln_1p();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let draws = 200_000;
        let values: Vec<f64> = (0..draws)
            .map(|_| {
                (m + 0.35 * rng.sample::<f64, _>(StandardNormal))
                    .min(0.0)
                    .exp()
            })
            .collect();
        let mean = values.iter().sum::<f64>() / draws as f64;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / draws as f64).sqrt();
        let se = sd / (draws as f64).sqrt();
        assert!((fit.predict_mean(&[0.7]) - mean).abs() < 4.0 * se);
        assert!((fit.predict_median(&[0.7]) - m.exp()).abs() < 1e-15);
    }

    /// Nothing censored: the fit is non-linear least squares, so at the optimum α̂ and σ̂ are
    /// the mean residual and root mean square given b̂; with small b it is close to OLS of ln y.
    #[test]
    fn uncensored_data_give_the_least_squares_fit() {
        let (impacts, alpha, sigma) = ([0.03, 0.06], -1.0, 0.1);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(31);
        let (x, y) = simulate(&mut rng, &impacts, alpha, sigma, 1000);
        let fit = censored_benefit(&x, &y, &names(&["a", "b"])).unwrap();
        assert_eq!(fit.censored_rows, 0);
        let offsets: Vec<f64> = (0..1000)
            .map(|r| {
                y[r].ln()
                    - fit
                        .impacts
                        .iter()
                        .enumerate()
                        .map(|(i, b)| (-b.estimate * x[(r, i)]).ln_1p())
                        .sum::<f64>()
            })
            .collect();
        let alpha_hat = offsets.iter().sum::<f64>() / 1000.0;
        let sigma_hat =
            (offsets.iter().map(|o| (o - alpha_hat).powi(2)).sum::<f64>() / 1000.0).sqrt();
        assert!((fit.intercept.estimate - alpha_hat).abs() < 1e-9);
        assert!((fit.sigma.estimate - sigma_hat).abs() < 1e-9);
        let log_likelihood = -500.0 * ((2.0 * PI * sigma_hat * sigma_hat).ln() + 1.0);
        assert!((fit.log_likelihood - log_likelihood).abs() < 1e-7);

        // ln(1 − bx) = −bx − b²x²/2 − O(b³), and the least-squares line through x² on
        // uniform x has slope 1: OLS of ln y on x estimates −(b + b²/2) up to O(b³).
        let log_y: Vec<f64> = y.iter().map(|v| v.ln()).collect();
        let ols = linear(&x, &log_y, &names(&["a", "b"])).unwrap();
        for (b, slope) in fit.impacts.iter().zip(&ols.coefficients[1..]) {
            let second_order = b.estimate + 0.5 * b.estimate * b.estimate;
            assert!(
                (second_order + slope.estimate).abs() < 0.05 * b.standard_error,
                "{b:?} vs {slope:?}"
            );
            assert!((b.standard_error / slope.standard_error - 1.0).abs() < 0.1);
        }
        // The same line puts b²/12 into the intercept.
        let shift: f64 = fit
            .impacts
            .iter()
            .map(|b| b.estimate * b.estimate / 12.0)
            .sum();
        let intercept_gap = fit.intercept.estimate + shift - ols.coefficients[0].estimate;
        assert!(intercept_gap.abs() < 0.05 * fit.intercept.standard_error);
    }

    /// Over 200 simulated data sets the 95 % intervals of each impact cover the truth at a
    /// rate within 3 binomial standard errors of 0.95.
    #[test]
    fn impact_intervals_cover_at_the_nominal_rate() {
        let (impacts, alpha, sigma) = ([0.3, 0.5, 0.2], 0.45, 0.25);
        let (replicates, rows) = (200, 1000);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        let mut covered = [0usize; 3];
        for _ in 0..replicates {
            let (x, y) = simulate(&mut rng, &impacts, alpha, sigma, rows);
            let fit = censored_benefit(&x, &y, &names(&["a", "b", "c"])).unwrap();
            for (count, (b, t)) in covered.iter_mut().zip(fit.impacts.iter().zip(impacts)) {
                *count += usize::from(b.low <= t && t <= b.high);
            }
        }
        let band = 3.0 * (0.95 * 0.05 / replicates as f64).sqrt();
        for count in covered {
            let rate = count as f64 / replicates as f64;
            assert!((rate - 0.95).abs() <= band, "coverage {rate}");
        }
    }

    /// An impact whose truth is the bound 0: held there about half the time, and its profile
    /// interval covers 0 at the known ½ + ½·0.95 = 0.975 (Self and Liang 1987); the others,
    /// inside, at 0.95. Within 3.5 binomial standard errors.
    #[test]
    fn intervals_cover_a_true_zero_impact_at_the_known_rate() {
        let (impacts, alpha, sigma) = ([0.0, 0.5, 0.3], 0.45, 0.25);
        let (replicates, rows) = (400, 300);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(21);
        let (mut covered, mut held) = ([0usize; 3], 0);
        for _ in 0..replicates {
            let (x, y) = simulate(&mut rng, &impacts, alpha, sigma, rows);
            let fit = censored_benefit(&x, &y, &names(&["a", "b", "c"])).unwrap();
            for (count, (b, t)) in covered.iter_mut().zip(fit.impacts.iter().zip(impacts)) {
                *count += usize::from(b.low <= t && t <= b.high);
            }
            held += usize::from(fit.impacts[0].held_at_bound);
        }
        let n = replicates as f64;
        let within = |count: usize, rate: f64| {
            ((count as f64 / n) - rate).abs() <= 3.5 * (rate * (1.0 - rate) / n).sqrt()
        };
        assert!(within(covered[0], 0.975), "true zero covered {covered:?}");
        assert!(
            within(covered[1], 0.95) && within(covered[2], 0.95),
            "{covered:?}"
        );
        assert!(within(held, 0.5), "held {held}");
    }

    #[test]
    fn an_impact_without_effect_stays_on_its_bound() {
        // y falls with `a` only; `b` raises it, which the model cannot express (b ≥ 0).
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
        let x = DMatrix::from_fn(400, 2, |_, _| rng.random::<f64>());
        let y: Vec<f64> = (0..400)
            .map(|r| {
                let noise: f64 = rng.sample(StandardNormal);
                ((-0.5 * x[(r, 0)]).ln_1p() + 0.3 * x[(r, 1)] - 0.4 + 0.1 * noise)
                    .min(0.0)
                    .exp()
            })
            .collect();
        let fit = censored_benefit(&x, &y, &names(&["a", "b"])).unwrap();
        assert_eq!(fit.impacts[1].estimate, 0.0);
        assert_eq!(fit.impacts[1].low, 0.0);
        assert!(fit.impacts[1].standard_error > 0.0 && fit.impacts[1].high > 0.0);
        assert!((fit.impacts[0].estimate - 0.5).abs() < 0.1);
    }

    #[test]
    fn bad_input_is_refused() {
        let x = DMatrix::from_fn(6, 1, |r, _| r as f64 / 5.0);
        let names = names(&["a"]);
        let error = censored_benefit(&x, &[0.5, 1.0, 0.0, 0.7, 0.9, 1.0], &names).unwrap_err();
        assert!(
            matches!(error, FitError::OutOfRange { row: 2, .. }),
            "{error}"
        );
        let error = censored_benefit(&x, &[1.0; 6], &names).unwrap_err();
        assert!(
            matches!(error, FitError::AllCensored { rows: 6 }),
            "{error}"
        );
        let error = censored_benefit(&(x * 2.0), &[0.5; 6], &names).unwrap_err();
        assert!(
            matches!(&error, FitError::OutOfRange { row: 3, column, .. } if column == "a"),
            "{error}"
        );
        let x = DMatrix::from_fn(3, 2, |r, _| r as f64 / 5.0);
        let error = censored_benefit(&x, &[0.5, 0.7, 1.0], &["a".into(), "b".into()]).unwrap_err();
        assert!(
            matches!(
                error,
                FitError::TooFewRows {
                    rows: 3,
                    coefficients: 4
                }
            ),
            "{error}"
        );
    }
}
