//! The update against what it must equal: the engine's own trials at an empty status, closed
//! forms of the copula conditioning, a 1-D integration of prior × likelihood, and the locks and
//! coupling of the options.

use super::compute::{self, NPV_FORWARD, NPV_TOTAL, OVERRUN, Records, SLIP, SUCCESS, Setup};
use super::*;
use crate::engine::records::first_outcomes;
use crate::engine::trial::OutcomeClass;
use crate::engine::{NoObserver, RunSettings, Sampling, Shard};
use crate::scenario::Scenario;
use crate::scenario::status::{BoughtMitigation, FactorObservation, Status};

pub(crate) fn shipped(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"));
    Scenario::load_with(&path, None).expect("shipped scenario loads")
}

pub(super) fn settings(trials: u64, seed: u64, threads: usize) -> UpdateSettings {
    UpdateSettings {
        run: RunSettings {
            trials,
            seed,
            threads,
            sampling: Sampling::Random,
            shard: Shard::WHOLE,
            parameter_uncertainty: false,
        },
        min_effective_trials: 1.0,
    }
}

pub(super) fn records(
    scenario: &Scenario,
    status: &Status,
    s: &UpdateSettings,
) -> (Setup, Records) {
    let setup = Setup::new(scenario, status).expect("setup");
    let records = compute::run(&setup, s, &NoObserver)
        .unwrap_or_else(|_| panic!("the run was not interrupted"));
    (setup, records)
}

fn factor(scenario: &Scenario, id: &str) -> usize {
    scenario
        .factors
        .iter()
        .position(|f| f.id == id)
        .expect("factor")
}

/// Proof 1: at the empty status every option's per-trial figures are `crmcast run`'s per-trial
/// outcomes of the same strategy, bit for bit; every weight is 1; the posterior is the prior.
#[test]
fn empty_status_is_the_run_bit_for_bit() {
    let scenario = shipped("retail_chain");
    let s = settings(20_000, 11, 2);
    let status = Status::empty(scenario.factors.len());
    let (setup, records) = records(&scenario, &status, &s);
    assert!(records.log_weights().all(|l| l == 0.0));
    let outcomes = first_outcomes(&scenario, &s.run, s.run.trials);
    for (o, spec) in setup.options.iter().enumerate() {
        let strategy = match spec.kind {
            OptionKind::Continue => scenario.baseline,
            OptionKind::Strategy { strategy } => strategy,
            OptionKind::Stop => continue,
        };
        let column = |v| records.column(o, v);
        let (overrun, slip, npv, forward, success) = (
            column(OVERRUN),
            column(SLIP),
            column(NPV_TOTAL),
            column(NPV_FORWARD),
            column(SUCCESS),
        );
        for (t, outcome) in outcomes[strategy].iter().enumerate() {
            assert_eq!(overrun[t].to_bits(), outcome.overrun.to_bits(), "{o} {t}");
            assert_eq!(slip[t].to_bits(), outcome.slip.to_bits());
            assert_eq!(npv[t].to_bits(), outcome.npv.to_bits());
            assert_eq!(success[t] == 1.0, outcome.class == OutcomeClass::Success);
            // Forward NPV at time zero is the whole-life NPV, to rounding.
            let scale = outcome.npv.abs().max(scenario.project.budget);
            assert!((forward[t] - outcome.npv).abs() <= 1e-9 * scale, "{o} {t}");
        }
    }
    assert_eq!(setup.options.len(), scenario.strategies.len() + 1);
    let result = update(&scenario, &status, &s, &NoObserver).expect("update");
    assert_eq!(result.effective_trials, 20_000.0);
    assert_eq!(result.prior, result.options[0]);
    for curve in &result.then_and_now {
        assert_eq!(curve.then, curve.now, "{}", curve.quantity);
    }
    assert!(result.evidence.is_empty());
}

/// The prior column is the run's baseline trial by trial even when the status moves the
/// trials (the unconditioned trial is evaluated before conditioning), and the thread count
/// changes nothing, bit for bit.
#[test]
fn the_prior_is_the_run_and_threads_change_nothing() {
    let scenario = shipped("retail_chain");
    let mut status = Status::empty(scenario.factors.len());
    status.elapsed_months = 6.0;
    status.factors[factor(&scenario, "no_executive_sponsor")] =
        FactorObservation::Present { severity: None };
    status.factors[factor(&scenario, "poor_data_quality")] = FactorObservation::AbsentSoFar;
    status.progress = Some(0.4);
    status.cost_to_date = Some(0.45 * scenario.project.budget);
    let one = settings(20_000, 5, 1);
    let outcomes = first_outcomes(&scenario, &one.run, one.run.trials);
    // With factors observed (the prior evaluated apart) and without (read off the same
    // evaluation, the locks acting only on the other options).
    let mut unobserved = status.clone();
    unobserved.factors = vec![FactorObservation::Unknown; scenario.factors.len()];
    for status in [&unobserved, &status] {
        let (setup, records) = records(&scenario, status, &one);
        let prior = setup.options.len();
        let overrun = records.column(prior, OVERRUN);
        let npv = records.column(prior, NPV_TOTAL);
        let slip = records.column(prior, SLIP);
        for (t, outcome) in outcomes[scenario.baseline].iter().enumerate() {
            assert_eq!(overrun[t].to_bits(), outcome.overrun.to_bits(), "{t}");
            assert_eq!(slip[t].to_bits(), outcome.slip.to_bits(), "{t}");
            assert_eq!(npv[t].to_bits(), outcome.npv.to_bits(), "{t}");
        }
    }
    let (_, records_one) = records(&scenario, &status, &one);
    let (_, records_two) = records(&scenario, &status, &settings(20_000, 5, 2));
    assert!(
        records_one
            .values
            .iter()
            .zip(&records_two.values)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
    let a = update(&scenario, &status, &one, &NoObserver).expect("update");
    let b = update(&scenario, &status, &settings(20_000, 5, 2), &NoObserver).expect("update");
    assert_eq!(a, b);
}

/// Refusals: too many trials, parameter uncertainty, structured sampling, too few effective
/// trials (with the per-observation list and the fix).
#[test]
fn refusals_say_what_and_the_fix() {
    let scenario = shipped("small_business");
    let status = Status::empty(scenario.factors.len());
    let mut s = settings(MAX_UPDATE_TRIALS + 1, 1, 1);
    let text = |e: crate::error::Error| e.to_string();
    assert!(text(update(&scenario, &status, &s, &NoObserver).unwrap_err()).contains("--trials"));
    s.run.trials = 1_000;
    s.run.parameter_uncertainty = true;
    assert!(
        text(update(&scenario, &status, &s, &NoObserver).unwrap_err())
            .contains("--parameter-uncertainty")
    );
    s.run.parameter_uncertainty = false;
    s.run.sampling = Sampling::Sobol;
    assert!(text(update(&scenario, &status, &s, &NoObserver).unwrap_err()).contains("--sampling"));
    s.run.sampling = Sampling::Random;
    // Progress reported at 95 % after a tenth of the plan: hardly any trial agrees.
    let mut odd = status.clone();
    odd.elapsed_months = 0.1 * scenario.project.duration_months;
    odd.progress = Some(0.95);
    s.min_effective_trials = 200.0;
    let error = update(&scenario, &odd, &s, &NoObserver).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    let message = error.to_string();
    assert!(message.contains("progress 95 %"), "{message}");
    assert!(message.contains("raise --trials"), "{message}");
}

/// The decision reads the weighted forward NPVs: stop's is the salvage value, and the best has
/// the highest mean.
#[test]
fn stop_and_the_decision() {
    let mut scenario = shipped("retail_chain");
    scenario.project.salvage_value = 12_345.0;
    let mut status = Status::empty(scenario.factors.len());
    status.elapsed_months = 0.5 * scenario.project.duration_months;
    status.cost_to_date = Some(0.6 * scenario.project.budget);
    status.progress = Some(0.45);
    status.bought = vec![BoughtMitigation {
        mitigation: 0,
        cost: 1_000.0,
    }];
    let result = update(&scenario, &status, &settings(30_000, 3, 2), &NoObserver).expect("update");
    let stop = result.options.last().expect("stop");
    assert_eq!(stop.kind, OptionKind::Stop);
    assert!((stop.npv_forward.mean.value - 12_345.0).abs() < 1e-6);
    assert_eq!(stop.npv_forward.p50.value, 12_345.0);
    assert_eq!(stop.p_success.value, 0.0);
    let expected_total = 12_345.0 - 0.6 * scenario.project.budget - 1_000.0;
    assert!((stop.npv_total.mean.value - expected_total).abs() < 1e-6);
    assert!((stop.overrun.p50.value - (0.6 - 1.0)).abs() < 1e-12);
    let best = &result.options[result.decision.best];
    assert!(
        result
            .options
            .iter()
            .all(|o| o.npv_forward.mean.value <= best.npv_forward.mean.value)
    );
    // No strategy repeats the bought mitigation alone.
    assert!(
        result.options[1..result.options.len() - 1]
            .iter()
            .all(|o| !o.added_mitigations.is_empty() && !o.added_mitigations.contains(&0))
    );
}
