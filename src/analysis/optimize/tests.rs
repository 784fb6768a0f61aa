//! Unit tests of the optimiser: the frontier and ranking rules, input checks, chunk
//! invariance, agreement with the engine, and known answers on a controlled scenario.

use super::evaluate::{Evaluator, Series, Trials, members};
use super::search::{frontier, rank};
use super::*;
use crate::engine::{NoObserver, RunSettings, simulate};
use crate::model::Catalogue;
use crate::scenario::source::Source;

/// A scenario with no noise and no runaway, a fixed benefit of 500 a year on a budget of 1000,
/// and every factor switched off but `poor_data_quality`, which strikes with `probability` at severity 1,
/// halves the benefit and doubles the cost. Mitigations: `fix` (removes it, costs 100),
/// `weaken` (severity × 0.6, costs 50), `useless` (acts on a factor that never strikes,
/// costs 30).
fn controlled(probability: f64) -> Scenario {
    let catalogue = Catalogue::builtin().expect("catalogue");
    let mut text = String::from(
        r#"
[scenario]
name = "controlled"
[project]
budget = 1000.0
duration_months = 12.0
horizon_years = 5.0
discount_rate = 0.1
team_burn_share = 0.0
[project.estimate]
log_cost_mean = 0.0
log_cost_sd = 0.0
log_schedule_mean = 0.0
log_schedule_sd = 0.0
benefit_sd = 0.0
[project.runaway]
base_probability = 0.0
[benefits]
model = "direct"
annual = { value = 500.0 }
"#,
    );
    for factor in &catalogue.factors {
        if factor.id == "poor_data_quality" {
            text.push_str(&format!(
                "[factors.poor_data_quality]\nprobability = {probability}\nseverity = {{ kind = \"fixed\", value = 1.0 }}\nimpact = {{ benefit = 0.5, cost = {}, schedule = 0.0, runaway = 0.0 }}\n",
                std::f64::consts::LN_2
            ));
        } else {
            text.push_str(&format!("[factors.{}]\nprobability = 0.0\n", factor.id));
        }
    }
    text.push_str(
        r#"
[[mitigations]]
id = "fix"
cost = { value = 100.0 }
[[mitigations.effects]]
factor = "poor_data_quality"
probability = 0.0
[[mitigations]]
id = "weaken"
cost = { value = 50.0 }
[[mitigations.effects]]
factor = "poor_data_quality"
severity = 0.6
[[mitigations]]
id = "useless"
cost = { value = 30.0 }
[[mitigations.effects]]
factor = "erp_integration"
probability = 0.5
[[strategies]]
id = "base"
baseline = true
"#,
    );
    Scenario::from_source(&Source::new("controlled.toml", text)).expect("valid scenario")
}

/// Present value of 500 × realisation a year from year 1 to year 5 at 10 % (continuous
/// discounting at ln 1.1), minus the investment.
fn npv(realisation: f64, cost_ratio: f64, mitigation: f64) -> f64 {
    let delta = 1.1f64.ln();
    let annuity = ((-delta).exp() - (-5.0 * delta).exp()) / delta;
    500.0 * realisation * annuity - 1000.0 * cost_ratio - mitigation
}

fn settings(objective: Objective, budget: f64) -> OptimizeSettings {
    OptimizeSettings {
        screening_trials: 512,
        confirm_trials: 2_000,
        threads: 1,
        ..OptimizeSettings::new(objective, budget)
    }
}

const FIX: u64 = 0b001;
const WEAKEN: u64 = 0b010;

#[test]
fn frontier_keeps_strict_improvements_by_spend() {
    // (mask, spend, score)
    let points = [
        (0, 0.0, 1.0),
        (1, 10.0, 0.5), // dearer and worse: dominated
        (2, 10.0, 2.0), // kept
        (3, 20.0, 2.0), // equal score for more: dominated
        (4, 5.0, 1.5),  // kept
        (5, 30.0, 3.0), // kept
        (6, 30.0, 3.0), // same spend and score, larger mask: dominated
    ];
    let kept: Vec<u64> = frontier(&points).iter().map(|&i| points[i].0).collect();
    assert_eq!(kept, vec![0, 4, 2, 5]);
    // Ranking: score first, then spend, then mask.
    assert_eq!(
        rank((2.0, 10.0, 2), (2.0, 20.0, 3)),
        std::cmp::Ordering::Less
    );
    assert_eq!(
        rank((3.0, 30.0, 6), (3.0, 30.0, 5)),
        std::cmp::Ordering::Greater
    );
    assert_eq!(members(0b1010_0001).collect::<Vec<_>>(), vec![0, 5, 7]);
}

#[test]
fn objectives_parse_and_refuse_with_a_suggestion() {
    for o in Objective::ALL {
        assert_eq!(Objective::parse(o.id()).unwrap(), o);
    }
    let error = Objective::parse("p_sucess").unwrap_err();
    let text = error.to_string();
    assert!(text.contains("did you mean p_success"), "{text}");
    assert_eq!(error.exit_code(), 2);
    assert!(Objective::P80Overrun.score(0.5) < Objective::P80Overrun.score(0.2));
}

#[test]
fn bad_settings_are_refused_with_a_fix() {
    let scenario = controlled(1.0);
    type Case = (fn(&mut OptimizeSettings), &'static str);
    let cases: [Case; 6] = [
        (|s| s.budget = -1.0, "--budget"),
        (|s| s.budget = f64::NAN, "--budget"),
        (|s| s.screening_trials = 10, "--trials"),
        (|s| s.confirm_trials = 10, "--confirm-trials"),
        (|s| s.shortlist = 0, "--shortlist"),
        (
            |s| s.parameter_uncertainty = true,
            "--parameter-uncertainty",
        ),
    ];
    // Nothing uncertain: a catalogue without [uncertainty] and no ranged effect.
    let mut scenario = scenario;
    scenario.uncertainty = None;
    for (change, option) in cases {
        let mut s = settings(Objective::ExpectedNpv, 100.0);
        change(&mut s);
        match check(&scenario, &s) {
            Err(Error::BadOption { option: o, fix, .. }) => {
                assert_eq!(o, option);
                assert!(!fix.is_empty());
            }
            other => panic!("{option}: {other:?}"),
        }
    }
    let mut bare = scenario.clone();
    bare.mitigations.clear();
    bare.strategies
        .iter_mut()
        .for_each(|s| s.mitigations.clear());
    let error = check(&bare, &settings(Objective::ExpectedNpv, 100.0)).unwrap_err();
    assert!(error.to_string().contains("no [[mitigations]]"), "{error}");
}

#[test]
fn known_answers_on_the_controlled_scenario() {
    let scenario = controlled(1.0);
    let weakened_cost = 2f64.powf(0.6);
    let expected = [
        (0u64, npv(0.5, 2.0, 0.0)),
        (WEAKEN, npv(0.7, weakened_cost, 50.0)),
        (FIX, npv(1.0, 1.0, 100.0)),
    ];
    for (budget, best) in [
        (0.0, 0),
        (60.0, WEAKEN),
        (99.0, WEAKEN),
        (100.0, FIX),
        (1e6, FIX),
    ] {
        let result = optimize(
            &scenario,
            &settings(Objective::ExpectedNpv, budget),
            &Silent,
        )
        .expect("optimize");
        assert_eq!(result.best.mask, best, "budget {budget}");
        let truth = expected.iter().find(|(m, _)| *m == best).unwrap().1;
        let value = result.best.objective;
        assert!((value.value - truth).abs() < 1e-6, "{value:?} vs {truth}");
        // No randomness left: the interval collapses onto the value.
        assert!(value.se < 1e-9 && value.high - value.low < 1e-6);
        // The frontier over all spends: nothing, weaken, fix.
        let frontier: Vec<u64> = result.frontier.iter().map(|p| p.candidate.mask).collect();
        assert_eq!(frontier, vec![0, WEAKEN, FIX]);
        for (point, (mask, truth)) in result.frontier.iter().zip(expected) {
            assert_eq!(point.candidate.mask, mask);
            assert!((point.candidate.objective.value - truth).abs() < 1e-6);
        }
        assert_eq!(result.never_pay, vec!["useless".to_string()]);
        let useless = &result.mitigations[2];
        assert_eq!(useless.verdict, Verdict::NeverOnFrontier);
        assert_eq!(result.mitigations[0].verdict, Verdict::Pays);
    }
    // P(success): only `fix` reaches the objectives; `weaken` never pays.
    let result = optimize(&scenario, &settings(Objective::PSuccess, 60.0), &Silent).unwrap();
    assert_eq!(result.best.mask, 0, "a tie at 0 goes to the cheaper set");
    let result = optimize(&scenario, &settings(Objective::PSuccess, 100.0), &Silent).unwrap();
    assert_eq!(result.best.mask, FIX);
    assert_eq!(result.best.objective.value, 1.0);
    assert_eq!(
        result.never_pay,
        vec!["weaken".to_string(), "useless".to_string()]
    );
    // P80 overrun: 100 % with nothing, 2^0.6 − 1 weakened, 0 fixed.
    let result = optimize(&scenario, &settings(Objective::P80Overrun, 60.0), &Silent).unwrap();
    assert_eq!(result.best.mask, WEAKEN);
    assert!((result.best.objective.value - (weakened_cost - 1.0)).abs() < 1e-12);
    let gain = result.best_versus_nothing.as_ref().unwrap();
    assert!((gain.gain.value - (2.0 - weakened_cost)).abs() < 1e-12 && gain.significant);
}

#[test]
fn known_answer_with_noise_is_within_its_standard_errors() {
    // The factor strikes half the time; `fix` removes it. Mean NPV of `fix` minus nothing is
    // 0.5 · (NPV clean − NPV struck) − 100, P(success) 1/2 against 1.
    let scenario = controlled(0.5);
    let result = optimize(&scenario, &settings(Objective::ExpectedNpv, 100.0), &Silent).unwrap();
    assert_eq!(result.best.mask, FIX);
    let nothing = result.frontier[0].candidate.clone();
    assert_eq!(nothing.mask, 0);
    let truth = 0.5 * (npv(1.0, 1.0, 0.0) + npv(0.5, 2.0, 0.0));
    let e = nothing.metrics.expected_npv;
    assert!((e.value - truth).abs() < 4.0 * e.se, "{e:?} vs {truth}");
    let p = nothing.metrics.p_success;
    assert!(
        (p.value - 0.5).abs() < 4.0 * p.se && p.low < 0.5 && 0.5 < p.high,
        "{p:?}"
    );
    let gain = result.best_versus_nothing.unwrap().gain;
    let truth_gain = 0.5 * (npv(1.0, 1.0, 0.0) - npv(0.5, 2.0, 0.0)) - 100.0;
    assert!(
        (gain.value - truth_gain).abs() < 4.0 * gain.se,
        "{gain:?} vs {truth_gain}"
    );
    // CVaR 10 %: the worst tenth of trials are struck ones.
    let tail = nothing.metrics.cvar10_npv;
    assert!((tail.value - npv(0.5, 2.0, 0.0)).abs() < 1e-6, "{tail:?}");
}

#[test]
fn values_do_not_depend_on_the_chunk_and_match_the_engine() {
    let scenario = Scenario::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/retail_chain.toml"
    )))
    .unwrap();
    let trials = Trials {
        first_batch: 0,
        trials: 20_000,
    };
    let evaluator = Evaluator::new(&scenario, false, 5, 1, &Silent);
    let collect = |masks: &[u64]| {
        evaluator
            .each(masks, trials, Series::ALL, |_, v| v.clone())
            .unwrap()
    };
    let target = 0b1001_0110u64;
    let alone = collect(&[target]);
    let crowded = collect(&[0, 3, 255, target, 17, 9]);
    assert_eq!(alone[0].npv, crowded[3].npv);
    assert_eq!(alone[0].overrun, crowded[3].overrun);
    assert_eq!(alone[0].success, crowded[3].success);
    // The engine, with the same subset as a strategy, sees the same trials.
    let mut engine_scenario = scenario.clone();
    engine_scenario.strategies.truncate(1);
    engine_scenario.strategies[0].mitigations = members(target).collect();
    let run = simulate(
        &engine_scenario,
        &RunSettings {
            trials: 20_000,
            seed: 5,
            threads: 1,
            ..RunSettings::default()
        },
        &NoObserver,
    )
    .unwrap();
    let report = crate::analysis::Report::build(&engine_scenario, &run);
    let mut values = alone[0].clone();
    let metrics = Metrics::from_values(&mut values);
    assert_eq!(
        report.baseline().metric("p_success").unwrap().value,
        metrics.p_success.value
    );
    // The engine keeps means in fixed point (2⁻²⁴ of the budget per trial).
    let quantum = scenario.project.budget / (1u64 << 24) as f64;
    assert!(
        (report.baseline().metric("npv_mean").unwrap().value - metrics.expected_npv.value).abs()
            <= quantum
    );
}

#[test]
fn the_search_is_thread_invariant() {
    let scenario = controlled(0.5);
    let mut one = settings(Objective::Cvar10Npv, 120.0);
    one.threads = 1;
    let mut two = one.clone();
    two.threads = 3;
    let a = serde_json::to_string(&optimize(&scenario, &one, &Silent).unwrap()).unwrap();
    let b = serde_json::to_string(&optimize(&scenario, &two, &Silent).unwrap()).unwrap();
    assert_eq!(a, b);
    // The heuristic too, on a scenario with noise in every channel.
    let retail = Scenario::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/retail_chain.toml"
    )))
    .unwrap();
    one.search = SearchChoice::Heuristic;
    one.budget = 300_000.0;
    two.search = SearchChoice::Heuristic;
    two.budget = 300_000.0;
    let a = serde_json::to_string(&optimize(&retail, &one, &Silent).unwrap()).unwrap();
    let b = serde_json::to_string(&optimize(&retail, &two, &Silent).unwrap()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn screening_and_confirmation_trials_are_disjoint() {
    let s = OptimizeSettings {
        screening_trials: 20_000,
        ..OptimizeSettings::new(Objective::ExpectedNpv, 0.0)
    };
    assert_eq!(s.screening().batches(), 2);
    assert_eq!(s.confirmation().first_batch, 2);
}

#[test]
fn verdicts_follow_the_definition() {
    let scenario = controlled(1.0);
    let estimate = |value: f64, half: f64| Estimate {
        value,
        se: half / 1.96,
        low: value - half,
        high: value + half,
    };
    let point = |mask: u64, gains: &[(usize, Estimate)]| FrontierPoint {
        candidate: Candidate {
            mitigations: Vec::new(),
            mask,
            spend: 0.0,
            within_budget: true,
            objective: estimate(0.0, 0.0),
            screening: estimate(0.0, 0.0),
            metrics: Metrics {
                expected_npv: estimate(0.0, 0.0),
                p_success: estimate(0.0, 0.0),
                p80_overrun: estimate(0.0, 0.0),
                cvar10_npv: estimate(0.0, 0.0),
            },
        },
        marginal: gains
            .iter()
            .map(|&(m, gain)| Marginal {
                mitigation: scenario.mitigations[m].id.clone(),
                gain,
                significant: gain.low > 0.0,
            })
            .collect(),
    };
    // `fix` pays at point 3 (significant there, not at point 2); `weaken` is on the frontier
    // but its gain always reaches 0; `useless` is on no point. (The verdict reads the
    // marginal gains, not the masks.)
    let frontier = vec![
        point(0, &[]),
        point(
            FIX | WEAKEN,
            &[(0, estimate(5.0, 6.0)), (1, estimate(1.0, 2.0))],
        ),
        point(
            FIX | WEAKEN,
            &[(0, estimate(9.0, 2.0)), (1, estimate(0.5, 1.0))],
        ),
    ];
    let v: Vec<MitigationVerdict> = (0..3)
        .map(|m| verdict(m, &scenario.mitigations[m], 1.0, &frontier, FIX))
        .collect();
    assert_eq!(v[0].verdict, Verdict::Pays);
    assert_eq!((v[0].at_point, v[0].gain.unwrap().value), (Some(3), 9.0));
    assert_eq!(v[0].frontier_points, vec![2, 3]);
    assert!(v[0].in_best && !v[1].in_best);
    assert_eq!(v[1].verdict, Verdict::WithinNoise);
    assert_eq!((v[1].at_point, v[1].gain.unwrap().value), (Some(2), 1.0));
    assert_eq!(v[2].verdict, Verdict::NeverOnFrontier);
    assert!(v[2].gain.is_none() && v[2].frontier_points.is_empty());
}
