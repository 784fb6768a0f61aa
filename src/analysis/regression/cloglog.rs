//! Binary regression with the complementary log-log link,
//! `P(event | x) = 1 − exp(−exp(β₀ + xᵀβ))`: the probability that a Poisson process of hazard
//! `exp(β₀ + xᵀβ)` fires at least once. It is the runaway model of outcome model v2 exactly
//! (`docs/MODEL.md` §5a): with `β₀ = ln λ₀` and `β_i = r_i`, `1 − exp(−λ₀·e^{Σ r_i s_i})`.
//!
//! Fitted by Newton–Raphson on the analytic gradient and observed Hessian (the link is not the
//! canonical one, so the observed information differs from the expected one that IRLS / Fisher
//! scoring uses; both reach the same maximum, and the Wald standard errors here come from the
//! observed information). The log-likelihood is concave in β, so the maximum is unique when it
//! exists.
//!
//! Separation: when a column predicts the outcome perfectly (for rare events, typically a
//! column that is never positive where the event happened) the likelihood has no maximum and
//! the coefficient runs off to infinity; the fit then stops with [`FitError::Separation`]
//! naming that column rather than report a meaningless estimate.

use super::bounded_linear::Intervals;
use super::newton::{Bounds, Derivatives, LogLikelihood, maximise};
use super::{
    Coefficient, FitError, IntervalMethod, Z95, check_design, check_rank, check_row_count,
    diverging_columns, inverse_information, names_with_intercept, profile, serialize_matrix,
    standard_errors, with_intercept,
};
use nalgebra::{DMatrix, DVector};
use serde::Serialize;

/// As for the logistic fit: well under 20 iterations on data with overlapping classes; the cap
/// is reached only under separation, where a diverging coefficient moves by about one over its
/// column's scale per iteration, far past the separation limit by then.
const MAX_ITERATIONS: usize = 100;
/// The linear predictor is held inside ±`ETA_LIMIT` when evaluated: `exp(700)` is near the
/// largest finite double, and beyond ±700 the probability is 0 or 1 to double precision anyway.
const ETA_LIMIT: f64 = 700.0;
/// Below this hazard `t`, `t/(1 − e^{−t})` comes from its series (the subtraction in
/// `1 − t/(1 − e^{−t})` would lose the digits that matter).
const SMALL_HAZARD: f64 = 1e-4;

/// A fitted complementary log-log model. The coefficients start with the intercept (the log
/// hazard at x = 0); intervals are Wald.
#[derive(Debug, Clone, Serialize)]
pub struct CloglogFit {
    pub coefficients: Vec<Coefficient>,
    pub log_likelihood: f64,
    /// The intercept-only model's, `n₁ ln(n₁/n) + n₀ ln(n₀/n)` (its fitted probability is the
    /// event share, whatever the link).
    pub null_log_likelihood: f64,
    /// `2(k + 1) − 2 ln L`.
    pub aic: f64,
    pub iterations: usize,
    pub rows: usize,
    pub events: usize,
    /// The covariance of the coefficients (intercept first): the inverse observed information.
    #[serde(serialize_with = "serialize_matrix")]
    pub covariance: DMatrix<f64>,
}

/// `P = 1 − exp(−e^η)`, accurate for rare events (small P) as for near-certain ones.
pub fn cloglog_probability(eta: f64) -> f64 {
    -(-eta.clamp(-ETA_LIMIT, ETA_LIMIT).exp()).exp_m1()
}

/// Per row, the log-likelihood and its first two derivatives in the linear predictor η.
/// With `t = e^η`: a non-event contributes `−t` (all three terms); an event contributes
/// `ln(1 − e^{−t})`, with first derivative `g = t/(e^t − 1)` and second `g·(1 − t/(1 − e^{−t}))`.
fn row_terms(eta: f64, event: bool) -> (f64, f64, f64) {
    let t = eta.clamp(-ETA_LIMIT, ETA_LIMIT).exp();
    if !event {
        return (-t, -t, -t);
    }
    // ln(1 − e^{−t}): ln(−expm1(−t)) keeps small t; ln1p(−e^{−t}) keeps large t.
    let value = if t < std::f64::consts::LN_2 {
        (-(-t).exp_m1()).ln()
    } else {
        (-(-t).exp()).ln_1p()
    };
    let g = if t < SMALL_HAZARD {
        1.0 - t / 2.0 + t * t / 12.0
    } else {
        t / t.exp_m1()
    };
    // 1 − t/(1 − e^{−t}) = −(t/2 + t²/12 − t⁴/720 + …).
    let shortfall = if t < SMALL_HAZARD {
        -(t / 2.0 + t * t / 12.0)
    } else {
        1.0 - t / -(-t).exp_m1()
    };
    (value, g, g * shortfall)
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
            .map(|(&e, &y)| row_terms(e, y).0)
            .sum()
    }

    fn derivatives(&self, beta: &DVector<f64>) -> Derivatives {
        let eta = self.design * beta;
        let mut value = 0.0;
        let mut slope = DVector::zeros(eta.len());
        // Xᵀ W X with W = −ℓ'' ≥ 0 (the log-likelihood is concave in η), as (√W X)ᵀ(√W X).
        // The weights first, then one contiguous pass per column: scaling row by row walks a
        // column-major matrix with a stride of the row count (slow at 10⁶ rows).
        let mut root_weight = DVector::zeros(eta.len());
        for (r, (&e, &y)) in eta.iter().zip(self.outcome).enumerate() {
            let (v, d1, d2) = row_terms(e, y);
            value += v;
            slope[r] = d1;
            root_weight[r] = (-d2).max(0.0).sqrt();
        }
        let mut weighted = self.design.clone();
        for mut column in weighted.column_iter_mut() {
            column.component_mul_assign(&root_weight);
        }
        Derivatives {
            value,
            gradient: self.design.tr_mul(&slope),
            hessian: -super::gram(&weighted, &weighted),
        }
    }
}

/// Fits `P(outcome | x) = 1 − exp(−exp(β₀ + xᵀβ))`; `x` has no intercept column (one named
/// [`super::INTERCEPT`] is added first).
pub fn cloglog(
    x: &DMatrix<f64>,
    outcome: &[bool],
    names: &[String],
) -> Result<CloglogFit, FitError> {
    cloglog_bounded(
        x,
        outcome,
        names,
        &vec![false; x.ncols()],
        Intervals::EstimatesOnly,
    )
}

/// [`cloglog`] with the coefficients of the columns marked `nonnegative` held at or above 0
/// (maximum likelihood under the constraint: a factor can only raise the hazard). The
/// standard errors come from the whole observed information at the constrained maximum. With
/// [`Intervals::Profile`], a constrained coefficient held at 0, or whose Wald interval would
/// reach below 0, gets the profile-likelihood interval ([`super::profile`]); otherwise a
/// constrained coefficient's Wald interval is cut at 0.
pub fn cloglog_bounded(
    x: &DMatrix<f64>,
    outcome: &[bool],
    names: &[String],
    nonnegative: &[bool],
    intervals: Intervals,
) -> Result<CloglogFit, FitError> {
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
    // Start at the intercept-only maximum: 1 − exp(−e^β₀) = share.
    let mut start = DVector::zeros(coefficients);
    start[0] = (-(-share).ln_1p()).ln();
    let likelihood = Likelihood {
        design: &design,
        outcome,
    };
    let bounds = nonnegative.iter().any(|&b| b).then(|| Bounds {
        lower: DVector::from_iterator(
            coefficients,
            std::iter::once(f64::NEG_INFINITY).chain(
                nonnegative
                    .iter()
                    .map(|&b| if b { 0.0 } else { f64::NEG_INFINITY }),
            ),
        ),
        upper: DVector::from_element(coefficients, f64::INFINITY),
    });
    let maximum = maximise(&likelihood, start, bounds.as_ref(), MAX_ITERATIONS);
    let beta = &maximum.parameters;
    // Coefficients held at their bound (0, with the likelihood pushing them below).
    let held: Vec<bool> = (0..coefficients)
        .map(|k| k > 0 && nonnegative[k - 1] && beta[k] <= 0.0 && maximum.at.gradient[k] <= 0.0)
        .collect();

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
    let free = (0..coefficients).filter(|&k| !held[k]).count();
    let log_likelihood = maximum.at.value;
    let null_log_likelihood =
        events as f64 * share.ln() + (rows - events) as f64 * (1.0 - share).ln();
    Ok(CloglogFit {
        coefficients: names_with_intercept(names)
            .iter()
            .zip(beta.iter().zip(standard_errors(&covariance)))
            .enumerate()
            .map(|(k, (name, (&estimate, se)))| {
                let mut c = Coefficient::symmetric(name, estimate, se, Z95);
                c.held_at_bound = held[k];
                if k > 0 && nonnegative[k - 1] {
                    if intervals == Intervals::Profile && (held[k] || c.low < 0.0) {
                        let lower = bounds.as_ref().map(|b| b.lower.clone());
                        let mut deviance = |b: f64| {
                            let mut fixed = Bounds {
                                lower: lower.clone().unwrap_or_else(|| {
                                    DVector::from_element(coefficients, f64::NEG_INFINITY)
                                }),
                                upper: DVector::from_element(coefficients, f64::INFINITY),
                            };
                            fixed.lower[k] = b;
                            fixed.upper[k] = b;
                            let mut start = beta.clone();
                            start[k] = b;
                            let at = maximise(&likelihood, start, Some(&fixed), MAX_ITERATIONS);
                            (2.0 * (log_likelihood - at.at.value)).max(0.0)
                        };
                        (c.low, c.high) = profile::interval(
                            &mut deviance,
                            estimate,
                            se,
                            (0.0, f64::INFINITY),
                            Z95 * Z95,
                        );
                        c.interval = IntervalMethod::ProfileLikelihood;
                    } else {
                        c.low = c.low.max(0.0);
                    }
                }
                c
            })
            .collect(),
        log_likelihood,
        null_log_likelihood,
        aic: 2.0 * free as f64 - 2.0 * log_likelihood,
        iterations: maximum.iterations,
        rows,
        events,
        covariance,
    })
}

impl CloglogFit {
    /// The linear predictor (log hazard) for one row of covariates.
    ///
    /// Panics if `row` does not have one value per covariate.
    pub fn log_hazard(&self, row: &[f64]) -> f64 {
        super::linear_predictor(&self.coefficients, row)
    }

    /// The fitted probability of the event for one row of covariates.
    ///
    /// Panics if `row` does not have one value per covariate.
    pub fn probability(&self, row: &[f64]) -> f64 {
        cloglog_probability(self.log_hazard(row))
    }
}

#[cfg(test)]
mod tests {
    use super::super::logistic::tests::{names, two_by_two};
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn row_terms_match_finite_differences_and_the_tails() {
        for y in [false, true] {
            for eta in [-30.0, -12.0, -9.3, -4.0, -1.0, 0.0, 0.5, 1.5, 3.0] {
                let (v, d1, d2) = row_terms(eta, y);
                let h = 1e-5;
                let (up, down) = (row_terms(eta + h, y), row_terms(eta - h, y));
                let numeric_d1 = (up.0 - down.0) / (2.0 * h);
                let numeric_d2 = (up.1 - down.1) / (2.0 * h);
                // Central differences: error h²·f''' plus rounding |f|·1e-16/h.
                assert!(
                    (numeric_d1 - d1).abs() <= 1e-7 * d1.abs() + 1e-9,
                    "{y} {eta}: {d1} vs {numeric_d1}"
                );
                assert!(
                    (numeric_d2 - d2).abs() <= 1e-6 * d2.abs() + 1e-9,
                    "{y} {eta}: {d2} vs {numeric_d2}"
                );
                let p = cloglog_probability(eta);
                let direct = if y { p.ln() } else { -eta.exp() };
                assert!(
                    (v - direct).abs() <= 1e-12 * direct.abs() + 1e-15,
                    "{y} {eta}"
                );
            }
        }
        // Rare events: ln P ≈ η − e^η/2, curvature ≈ −e^η/2, neither lost to rounding.
        let (v, d1, d2) = row_terms(-40.0, true);
        let t = (-40.0f64).exp();
        assert!((v - (-40.0 - t / 2.0)).abs() < 1e-12);
        assert!((d1 - (1.0 - t / 2.0)).abs() < 1e-15);
        assert!((d2 / (-t / 2.0) - 1.0).abs() < 1e-9, "{d2}");
        // Near-certain events: P = 1 to double precision, finite derivatives.
        let (v, d1, d2) = row_terms(800.0, true);
        assert_eq!((v, d1, d2), (0.0, 0.0, 0.0));
        assert_eq!(cloglog_probability(800.0), 1.0);
        assert!(cloglog_probability(-800.0) > 0.0);
    }

    /// With one 0/1 regressor the model is saturated: the fit reproduces the two groups' event
    /// shares, `1 − exp(−e^{β₀}) = c/(c + d)`, `1 − exp(−e^{β₀ + β₁}) = a/(a + b)`, and the
    /// Wald variance of each group's log hazard is `p / (n (1 − p) ln(1 − p)²)` (the binomial
    /// variance of the share through the link's derivative).
    #[test]
    fn a_binary_regressor_reproduces_the_two_group_shares() {
        let (a, b, c, d): (f64, f64, f64, f64) = (23.0, 61.0, 9.0, 131.0);
        let (x, y) = two_by_two(23, 61, 9, 131);
        let fit = cloglog(&x, &y, &names(&["exposed"])).unwrap();
        let (p1, p0) = (a / (a + b), c / (c + d));
        let link = |p: f64| (-(1.0 - p).ln()).ln();
        let variance = |p: f64, n: f64| p / (n * (1.0 - p) * (1.0 - p).ln().powi(2));
        let (intercept, slope) = (&fit.coefficients[0], &fit.coefficients[1]);
        assert!(
            (intercept.estimate - link(p0)).abs() < 1e-9,
            "{intercept:?}"
        );
        assert!(
            (slope.estimate - (link(p1) - link(p0))).abs() < 1e-9,
            "{slope:?}"
        );
        let (v0, v1) = (variance(p0, c + d), variance(p1, a + b));
        assert!((intercept.standard_error - v0.sqrt()).abs() < 1e-9);
        assert!((slope.standard_error - (v0 + v1).sqrt()).abs() < 1e-9);
        // Cov(β₀, β₁) = −Var(β₀): the groups are independent.
        assert!((fit.covariance[(0, 1)] + v0).abs() < 1e-9);
        assert!((fit.probability(&[1.0]) - p1).abs() < 1e-12);
        assert!((fit.probability(&[0.0]) - p0).abs() < 1e-12);
        let log_likelihood = a * p1.ln() + b * (1.0 - p1).ln() + c * p0.ln() + d * (1.0 - p0).ln();
        assert!((fit.log_likelihood - log_likelihood).abs() < 1e-9);
        assert!((fit.aic - (4.0 - 2.0 * log_likelihood)).abs() < 1e-9);
        let n = a + b + c + d;
        let share = (a + c) / n;
        let null = (a + c) * share.ln() + (b + d) * (1.0 - share).ln();
        assert!((fit.null_log_likelihood - null).abs() < 1e-9);
        assert_eq!((fit.rows, fit.events), (224, 32));
        assert!(fit.iterations < 15);
    }

    /// Draws `rows` rows of two covariates — a severity-like level in [0, 1], zero in 60 % of
    /// rows, and a 0/1 flag — and rare events from known coefficients.
    fn simulate(
        rng: &mut Xoshiro256PlusPlus,
        truth: &[f64; 3],
        rows: usize,
    ) -> (DMatrix<f64>, Vec<bool>) {
        let x = DMatrix::from_fn(rows, 2, |_, c| {
            if c == 0 {
                if rng.random_bool(0.4) {
                    rng.random::<f64>()
                } else {
                    0.0
                }
            } else {
                f64::from(u8::from(rng.random_bool(0.3)))
            }
        });
        let y = (0..rows)
            .map(|r| {
                let eta = truth[0] + truth[1] * x[(r, 0)] + truth[2] * x[(r, 1)];
                rng.random::<f64>() < cloglog_probability(eta)
            })
            .collect();
        (x, y)
    }

    #[test]
    fn known_coefficients_are_recovered() {
        // A base probability of 3 %, raised by both columns.
        let truth = [(-(0.97f64).ln()).ln(), 1.5, 0.8];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let (x, y) = simulate(&mut rng, &truth, 20_000);
        let fit = cloglog(&x, &y, &names(&["level", "flag"])).unwrap();
        for (c, t) in fit.coefficients.iter().zip(truth) {
            assert!(
                (c.estimate - t).abs() < 4.0 * c.standard_error,
                "{c:?} vs {t}"
            );
            assert!(c.standard_error < 0.15, "{c:?}");
        }
        assert!(fit.iterations < 15);
    }

    #[test]
    fn intervals_cover_at_the_nominal_rate() {
        let truth = [-2.5, 1.0, 0.5];
        let (replicates, rows) = (200, 1000);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        let mut covered = [0usize; 3];
        for _ in 0..replicates {
            let (x, y) = simulate(&mut rng, &truth, rows);
            let fit = cloglog(&x, &y, &names(&["level", "flag"])).unwrap();
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

    /// A hazard coefficient whose truth is the bound 0, fitted under r ≥ 0: its profile
    /// interval covers 0 at the known ½ + ½·0.95 = 0.975 (Self and Liang 1987), the free one
    /// at 0.95; within 3.5 binomial standard errors.
    #[test]
    fn a_true_zero_under_its_constraint_is_covered_at_the_known_rate() {
        let truth = [-2.0, 0.0, 0.5];
        let (replicates, rows) = (400, 800);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let (mut covered, mut held) = ([0usize; 3], 0);
        for _ in 0..replicates {
            let (x, y) = simulate(&mut rng, &truth, rows);
            let fit = cloglog_bounded(
                &x,
                &y,
                &names(&["level", "flag"]),
                &[true, false],
                Intervals::Profile,
            )
            .unwrap();
            for (count, (c, t)) in covered.iter_mut().zip(fit.coefficients.iter().zip(truth)) {
                *count += usize::from(c.low <= t && t <= c.high);
            }
            held += usize::from(fit.coefficients[1].held_at_bound);
        }
        let n = replicates as f64;
        let within = |count: usize, rate: f64| {
            ((count as f64 / n) - rate).abs() <= 3.5 * (rate * (1.0 - rate) / n).sqrt()
        };
        assert!(within(covered[1], 0.975), "true zero covered {covered:?}");
        assert!(
            within(covered[0], 0.95) && within(covered[2], 0.95),
            "{covered:?}"
        );
        assert!(within(held, 0.5), "held {held}");
    }

    #[test]
    fn a_column_never_positive_among_the_events_is_separation() {
        // `never` is positive only where no event happened: its coefficient runs to −∞.
        let rows = 300;
        let y: Vec<bool> = (0..rows).map(|r| r % 10 == 0).collect();
        let x = DMatrix::from_fn(rows, 2, |r, c| match c {
            0 => ((r * 7) % 11) as f64 / 10.0,
            _ => f64::from(u8::from(!y[r] && r % 3 == 0)),
        });
        let error = cloglog(&x, &y, &names(&["noise", "never"])).unwrap_err();
        assert!(
            matches!(&error, FitError::Separation { columns } if columns == &names(&["never"])),
            "{error}"
        );
    }

    #[test]
    fn no_event_is_refused() {
        let x = DMatrix::from_fn(10, 1, |r, _| r as f64);
        let error = cloglog(&x, &[false; 10], &names(&["a"])).unwrap_err();
        assert!(
            matches!(
                error,
                FitError::EmptyClass {
                    class: 1,
                    class_count: 2
                }
            ),
            "{error}"
        );
    }
}
