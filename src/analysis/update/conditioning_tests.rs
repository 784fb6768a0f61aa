//! The conditioning against closed forms and numerical integrals: one factor absent so far,
//! two correlated factors with one present (bivariate normal by quadrature), the posterior mean
//! of cost and duration against a 1-D integration of prior × likelihood; the severity
//! override, the locks and the coupling of the options. The figures are printed for
//! docs/UPDATE.md (`-- --nocapture`).
#![allow(clippy::print_stderr)]

use super::compute::{self, NPV_TOTAL, OVERRUN, SLIP, Setup};
use super::stats::Weights;
use super::tests::{records, settings, shipped};
use crate::engine::trial::{CompiledScenario, TrialScratch};
use crate::scenario::Scenario;
use crate::scenario::status::{BoughtMitigation, FactorObservation, Status};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use statrs::distribution::{Beta, Continuous, ContinuousCDF, Normal};

fn factor(scenario: &Scenario, id: &str) -> usize {
    scenario
        .factors
        .iter()
        .position(|f| f.id == id)
        .expect("factor")
}

/// Every conditioned trial of `setup` (no progress terms), lent to `visit` with its presence
/// per strategy, the factors locked and its log weight from the factors.
fn each_trial(
    setup: &Setup,
    trials: usize,
    mut visit: impl FnMut(&CompiledScenario, &TrialScratch, &[u64], &[usize], f64),
) {
    let (compiled, conditioning) = (&setup.compiled, &setup.conditioning);
    let mut scratch = compiled.scratch();
    let mut presence = vec![0u64; compiled.strategies * compiled.factors];
    let mut terms = vec![0.0; setup.observations];
    let mut locked = Vec::new();
    let mut stream = crate::engine::lane_rng::TrialStream::new(29, compiled.dimensions());
    let mut side = Xoshiro256PlusPlus::seed_from_u64(31);
    for _ in 0..trials {
        compiled.draw_raw(stream.next_trial(), &mut scratch);
        conditioning.locks(&mut side, &mut locked);
        let log_weight = conditioning.condition(compiled, &mut scratch, &mut terms);
        conditioning.lock(compiled, &mut scratch, &locked);
        compiled.finish_draw(&mut scratch);
        presence.fill(0);
        compiled.evaluate_all(&mut scratch, &mut presence);
        conditioning.unlock(compiled, &mut scratch, &locked);
        visit(compiled, &scratch, &presence, &locked, log_weight);
    }
}

/// Weighted P(factor `i` present under the plan) and the weights' plain mean (the marginal
/// likelihood), each with its standard error.
fn presence_posterior(setup: &Setup, i: usize, trials: usize) -> ((f64, f64), (f64, f64)) {
    let n = setup.compiled.factors;
    let (mut logs, mut present) = (Vec::new(), Vec::new());
    each_trial(setup, trials, |_, _, presence, _, log_weight| {
        logs.push(log_weight);
        present.push(presence[i] as f64);
        assert!(presence.len() >= n);
    });
    let weights = Weights::from_logs(logs.iter().copied());
    let p = weights.mean(&present);
    let raw: Vec<f64> = logs.iter().map(|l| l.exp()).collect();
    let mean = raw.iter().sum::<f64>() / raw.len() as f64;
    let sd = (raw.iter().map(|w| (w - mean).powi(2)).sum::<f64>() / raw.len() as f64).sqrt();
    ((p.value, p.se), (mean, sd / (raw.len() as f64).sqrt()))
}

/// Proof 2a: one factor absent so far at f: P(present | obs) = p(1 − f)/(1 − pf), and the
/// weights average the observation's probability 1 − pf.
#[test]
fn absent_so_far_matches_the_closed_form() {
    let scenario = shipped("retail_chain");
    let i = factor(&scenario, "poor_data_quality");
    let mut status = Status::empty(scenario.factors.len());
    let f = 0.4;
    status.elapsed_months = f * scenario.project.duration_months;
    status.factors[i] = FactorObservation::AbsentSoFar;
    let setup = Setup::new(&scenario, &status).expect("setup");
    let p = scenario.factors[i].probability;
    let ((posterior, se), (evidence, evidence_se)) = presence_posterior(&setup, i, 100_000);
    let expected = p * (1.0 - f) / (1.0 - p * f);
    eprintln!(
        "absent so far: p {p}, f {f}: posterior {posterior:.4} ± {se:.4}, closed form {expected:.4}"
    );
    assert!(
        (posterior - expected).abs() < 4.0 * se,
        "{posterior} ± {se} vs {expected}"
    );
    assert!((evidence - (1.0 - p * f)).abs() < 4.0 * evidence_se + 1e-12);
}

/// `Φ₂(a, b; ρ)` by Simpson's rule on `∫_{−∞}^{a} φ(x) Φ((b − ρx)/√(1 − ρ²)) dx`.
fn bivariate_normal_cdf(a: f64, b: f64, rho: f64) -> f64 {
    let normal = Normal::standard();
    let (low, steps) = (-12.0f64, 40_000);
    let h = (a - low) / steps as f64;
    let s = (1.0 - rho * rho).sqrt();
    let g = |x: f64| normal.pdf(x) * normal.cdf((b - rho * x) / s);
    let mut total = g(low) + g(a);
    for k in 1..steps {
        total += g(low + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
    }
    total * h / 3.0
}

/// Proof 2b: two correlated factors, one observed present: the other's posterior is
/// `Φ₂(t₁, t₂; ρ)/p₁`, whichever of the two comes first in the catalogue.
#[test]
fn a_present_factor_updates_a_correlated_one() {
    let scenario = shipped("retail_chain");
    let r = &scenario.correlation.matrix;
    let n = scenario.factors.len();
    // The most correlated pair.
    let (mut best, mut pair) = (0.0, (0, 1));
    for i in 0..n {
        for j in i + 1..n {
            if r[(i, j)].abs() > best {
                best = r[(i, j)].abs();
                pair = (i, j);
            }
        }
    }
    let (i, j) = pair;
    assert!(best > 0.1, "a correlated pair: {best}");
    let normal = Normal::standard();
    let threshold = |k: usize| normal.inverse_cdf(scenario.factors[k].probability);
    for (seen, other) in [(i, j), (j, i)] {
        let mut status = Status::empty(n);
        status.elapsed_months = 0.5 * scenario.project.duration_months;
        status.factors[seen] = FactorObservation::Present { severity: None };
        let setup = Setup::new(&scenario, &status).expect("setup");
        let ((posterior, se), _) = presence_posterior(&setup, other, 100_000);
        let joint = bivariate_normal_cdf(threshold(seen), threshold(other), r[(i, j)]);
        let expected = joint / scenario.factors[seen].probability;
        let prior = scenario.factors[other].probability;
        eprintln!(
            "present pair (rho {:.3}): P(other) {posterior:.4} ± {se:.4}, closed form {expected:.4}, prior {prior}",
            r[(i, j)]
        );
        assert!(
            (posterior - expected).abs() < 4.0 * se,
            "{posterior} ± {se} vs {expected} (prior {prior})"
        );
        // The copula at work: a positive correlation raises the other's chance.
        assert!((expected - prior) * r[(i, j)] > 0.0);
    }
}

/// No factor can strike and nothing runs away, so cost and duration are the plain estimating
/// error: the posterior means of `C` given a cost to date, and of `T` given progress, against
/// a 1-D integration of prior × likelihood.
#[test]
fn cost_and_progress_match_a_numerical_posterior() {
    let mut scenario = shipped("small_business");
    for f in scenario.factors.iter_mut() {
        f.probability = 0.0;
    }
    let project = &mut scenario.project;
    project.runaway.base_probability = 0.0;
    project.team_burn_share = 0.0;
    let (budget, months) = (project.budget, project.duration_months);
    let model = scenario.progress;
    let normal = Normal::standard();
    let simpson = |g: &dyn Fn(f64) -> f64| {
        let (low, high, steps) = (-10.0f64, 10.0f64, 20_000);
        let h = (high - low) / steps as f64;
        let mut total = g(low) + g(high);
        for k in 1..steps {
            total += g(low + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
        }
        total * h / 3.0
    };

    // Cost: duration fixed at plan × e^μ_s, so φ is known; C = e^{μ_c + σ_c η}.
    let mut fixed = scenario.clone();
    fixed.project.estimate.log_schedule_sd = 0.0;
    let e = fixed.project.estimate;
    let duration_ratio = e.log_schedule_mean.exp();
    let mut status = Status::empty(fixed.factors.len());
    status.elapsed_months = 0.5 * months * duration_ratio;
    let spent = 0.55 * budget * e.log_cost_mean.exp();
    status.cost_to_date = Some(spent);
    let (_, recs) = records(&fixed, &status, &settings(60_000, 17, 2));
    let weights = Weights::from_logs(recs.log_weights());
    let c: Vec<f64> = recs.column(0, OVERRUN).iter().map(|x| 1.0 + x).collect();
    let posterior = weights.mean(&c);
    let k = model.cost_concentration;
    let beta = Beta::new(0.5 * k, 0.5 * k).unwrap();
    let cost = |eta: f64| (e.log_cost_mean + e.log_cost_sd * eta).exp();
    let like = |eta: f64| {
        let share = spent / (budget * cost(eta));
        if share >= 1.0 {
            0.0
        } else {
            beta.pdf(share) / (budget * cost(eta))
        }
    };
    let expected =
        simpson(&|x| normal.pdf(x) * like(x) * cost(x)) / simpson(&|x| normal.pdf(x) * like(x));
    eprintln!(
        "E[C | AC] {:.5} ± {:.5}, integral {expected:.5}",
        posterior.value, posterior.se
    );
    assert!(
        (posterior.value - expected).abs() < 4.0 * posterior.se,
        "E[C | AC] {} ± {} vs {expected}",
        posterior.value,
        posterior.se
    );

    // Duration: T = e^{μ_s + σ_s η} (its marginal whatever the cost–schedule correlation);
    // progress π ~ N(t/(D·T), sd²) and still running (T > t/D).
    let e = scenario.project.estimate;
    let mut status = Status::empty(scenario.factors.len());
    status.elapsed_months = 0.6 * months;
    status.progress = Some(0.5);
    let (_, recs) = records(&scenario, &status, &settings(60_000, 19, 2));
    let weights = Weights::from_logs(recs.log_weights());
    let t: Vec<f64> = recs.column(0, SLIP).iter().map(|x| 1.0 + x).collect();
    let posterior = weights.mean(&t);
    let ratio = |eta: f64| (e.log_schedule_mean + e.log_schedule_sd * eta).exp();
    let like = |eta: f64| {
        let phi = 0.6 / ratio(eta);
        if phi >= 1.0 {
            0.0
        } else {
            Normal::new(phi, model.progress_sd).unwrap().pdf(0.5)
        }
    };
    let expected =
        simpson(&|x| normal.pdf(x) * like(x) * ratio(x)) / simpson(&|x| normal.pdf(x) * like(x));
    eprintln!(
        "E[T | progress] {:.5} ± {:.5}, integral {expected:.5}",
        posterior.value, posterior.se
    );
    assert!(
        (posterior.value - expected).abs() < 4.0 * posterior.se,
        "E[T | π] {} ± {} vs {expected}",
        posterior.value,
        posterior.se
    );
}

/// A present factor with an observed severity: under every option it is present with that
/// severity (locked to the plan's threshold and severity, a bought mitigation's severity
/// multiplier included); an unknown factor struck before now (locked) is the plan's under every
/// option; and no option ever has a factor the plan lacks.
#[test]
fn severity_locks_and_coupling() {
    let scenario = shipped("retail_chain");
    let i = factor(&scenario, "no_executive_sponsor");
    let sponsor = scenario
        .mitigations
        .iter()
        .position(|m| m.id == "executive_sponsor")
        .expect("mitigation");
    let mut status = Status::empty(scenario.factors.len());
    status.elapsed_months = 0.5 * scenario.project.duration_months;
    status.factors[i] = FactorObservation::Present {
        severity: Some(0.3),
    };
    status.bought = vec![BoughtMitigation {
        mitigation: sponsor,
        cost: 50_000.0,
    }];
    let setup = Setup::new(&scenario, &status).expect("setup");
    let scale = setup.compiled.severity_scale(0, i);
    assert!(
        scale < 1.0,
        "the bought mitigation softens the factor: {scale}"
    );
    let n = setup.compiled.factors;
    let strategies = setup.compiled.strategies;
    assert!(strategies >= 3);
    let mut severities = vec![vec![0.0; n]; strategies];
    let (mut locked_unknown, mut weighted) = (0, 0);
    each_trial(
        &setup,
        20_000,
        |compiled, scratch, presence, locked, log_weight| {
            for (s, out) in severities.iter_mut().enumerate() {
                compiled.severities(scratch, s, out);
            }
            if log_weight > f64::NEG_INFINITY {
                weighted += 1;
                for s in 0..strategies {
                    assert_eq!(presence[s * n + i], 1, "present under option {s}");
                    assert!(
                        (severities[s][i] - 0.3).abs() < 1e-12,
                        "{}",
                        severities[s][i]
                    );
                }
            }
            for s in 1..strategies {
                for k in 0..n {
                    // The coupling: an option only removes factors.
                    assert!(
                        presence[s * n + k] <= presence[k],
                        "option {s} adds factor {k}"
                    );
                }
            }
            for &k in locked.iter().filter(|&&k| k != i) {
                locked_unknown += usize::from(presence[k] == 1);
                for s in 1..strategies {
                    assert_eq!(presence[s * n + k], presence[k]);
                    assert_eq!(severities[s][k].to_bits(), severities[0][k].to_bits());
                }
            }
        },
    );
    assert!(
        weighted > 10_000 && locked_unknown > 1_000,
        "{weighted} {locked_unknown}"
    );
    // The whole update: every option's whole-life NPV pays the sunk mitigation.
    let (_, recs) = records(&scenario, &status, &settings(20_000, 3, 2));
    let stop = setup.options.len() - 1;
    let total = recs.column(stop, NPV_TOTAL);
    assert!(total.iter().all(|&x| x <= -50_000.0));
    let _ = compute::VALUES;
}
