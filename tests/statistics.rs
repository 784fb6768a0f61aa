//! Statistical tests with known answers, determinism across threads, and pinned values.

use crmcast::analysis::Report;
use crmcast::engine::{NoObserver, RunSettings, simulate};
use crmcast::model::Catalogue;
use crmcast::scenario::Scenario;
use crmcast::scenario::source::Source;

/// A scenario with no noise, no runaway, a fixed benefit, and every factor switched off but
/// those given.
fn controlled(active: &[(&str, &str)], extra: &str) -> Scenario {
    controlled_with("base_probability = 0.0", active, extra)
}

/// [`controlled`] with the body of its `[project.runaway]` table given: with
/// `base_probability = 0.0` the base hazard is 0 and no factor load can trigger a runaway.
fn controlled_with(runaway: &str, active: &[(&str, &str)], extra: &str) -> Scenario {
    let catalogue = Catalogue::builtin().expect("catalogue");
    let mut text = format!(
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
{runaway}
[benefits]
model = "direct"
annual = {{ value = 500.0 }}
"#,
    );
    for factor in &catalogue.factors {
        match active.iter().find(|(id, _)| *id == factor.id) {
            Some((id, body)) => text.push_str(&format!("[factors.{id}]\n{body}\n")),
            None => text.push_str(&format!("[factors.{}]\nprobability = 0.0\n", factor.id)),
        }
    }
    text.push_str(extra);
    if !extra.contains("[[strategies]]") {
        text.push_str("[[strategies]]\nid = \"base\"\nbaseline = true\n");
    }
    Scenario::from_source(&Source::new("controlled.toml", text)).expect("valid controlled scenario")
}

fn run(scenario: &Scenario, trials: u64, threads: usize) -> Report {
    let result = simulate(
        scenario,
        &RunSettings {
            trials,
            seed: 11,
            threads,
            ..RunSettings::default()
        },
        &NoObserver,
    )
    .expect("run");
    Report::build(scenario, &result)
}

/// Half a step of the fixed-point accumulators (values are rounded to 2⁻²⁴ of a unit, money
/// to 2⁻²⁴ of the budget).
const QUANTUM: f64 = 0.5 / (1u64 << 24) as f64;

#[test]
fn no_factors_gives_the_deterministic_npv() {
    let scenario = controlled(&[], "");
    let report = run(&scenario, 5_000, 1);
    let base = report.baseline();
    // Go-live after one year, 500 a year until year 5, continuous discounting at ln(1.1).
    let delta = 1.1f64.ln();
    let expected = 500.0 * ((-delta).exp() - (-5.0 * delta).exp()) / delta - 1000.0;
    let npv = base.metric("npv_mean").unwrap();
    // Means are kept in fixed point, 2⁻²⁴ of the budget (1000 here): within half a step.
    assert!(
        (npv.value - expected).abs() <= QUANTUM * 1000.0,
        "npv {} expected {expected}",
        npv.value
    );
    assert!(npv.se < 1e-9);
    assert_eq!(base.metric("p_success").unwrap().value, 1.0);
    assert!((base.metric("roi_mean").unwrap().value - expected / 1000.0).abs() <= QUANTUM);
    assert!(
        (base.metric("payback_p50").unwrap().value - 3.0).abs() < 3.0 * 0.004,
        "payback = 1 + 1000/500"
    );
}

#[test]
fn one_factor_with_probability_p_fails_a_share_p_of_trials() {
    let p = 0.3;
    let body = format!(
        "probability = {p}\nseverity = {{ kind = \"fixed\", value = 1.0 }}\nimpact = {{ benefit = 0.9, cost = 0.0, schedule = 0.0, runaway = 0.0 }}"
    );
    let scenario = controlled(&[("poor_data_quality", &body)], "");
    let n = 200_000;
    let report = run(&scenario, n, 0);
    let failed = report.baseline().metric("p_failed").unwrap().value;
    let se = (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (failed - p).abs() < 4.0 * se,
        "failed {failed} vs p {p} (se {se})"
    );
    // Every failure is caused by that factor.
    let causes = &report.baseline().causes;
    let data = causes
        .by_factor
        .iter()
        .find(|f| f.id == "poor_data_quality")
        .unwrap();
    assert_eq!(data.count, causes.missed_objectives);
}

#[test]
fn a_mitigation_halving_the_probability_halves_the_failure_rate_and_costs_its_price() {
    let body = "probability = 0.4\nseverity = { kind = \"fixed\", value = 1.0 }\nimpact = { benefit = 0.9, cost = 0.0, schedule = 0.0, runaway = 0.0 }";
    let extra = r#"
[[mitigations]]
id = "cleanse"
cost = { value = 100.0 }
[[mitigations.effects]]
factor = "poor_data_quality"
probability = 0.5
[[strategies]]
id = "base"
baseline = true
[[strategies]]
id = "with_cleansing"
mitigations = ["cleanse"]
"#;
    let scenario = controlled(&[("poor_data_quality", body)], extra);
    let n = 200_000;
    let report = run(&scenario, n, 0);
    let mitigated = &report.strategies[1];
    let failed = mitigated.metric("p_failed").unwrap().value;
    let se = (0.2 * 0.8 / n as f64).sqrt();
    assert!((failed - 0.2).abs() < 4.0 * se, "failed {failed}");
    // Common random numbers: the difference is exactly the removed failures, measured on pairs.
    let diff = mitigated.difference("p_failed").unwrap();
    assert!((diff.value + 0.2).abs() < 4.0 * diff.se.max(se));
    let investment = mitigated.difference("investment_mean").unwrap().value;
    assert!(
        (investment - 100.0).abs() <= QUANTUM * 1000.0,
        "{investment}"
    );
}

#[test]
fn results_are_identical_at_any_thread_count() {
    let scenario = Scenario::load(std::path::Path::new("scenarios/retail_chain.toml")).unwrap();
    let settings = |threads| RunSettings {
        trials: 70_000,
        seed: 5,
        threads,
        ..RunSettings::default()
    };
    let one = simulate(&scenario, &settings(1), &NoObserver).unwrap();
    let two = simulate(&scenario, &settings(2), &NoObserver).unwrap();
    let three = simulate(&scenario, &settings(3), &NoObserver).unwrap();
    assert_eq!(one.strategies, two.strategies);
    assert_eq!(one.strategies, three.strategies);
}

#[test]
fn mitigations_never_lower_the_success_rate_on_common_random_numbers() {
    for path in [
        "scenarios/default.toml",
        "scenarios/retail_chain.toml",
        "scenarios/small_business.toml",
        "scenarios/multinational.toml",
    ] {
        let scenario = Scenario::load(std::path::Path::new(path)).unwrap();
        let report = run(&scenario, 30_000, 0);
        let base = report.baseline().metric("p_success").unwrap().value;
        for s in &report.strategies {
            assert!(
                s.metric("p_success").unwrap().value >= base,
                "{path}: {} lowers P(success)",
                s.id
            );
            for m in &s.metrics {
                assert!(
                    m.estimate.value.is_finite() && m.estimate.se.is_finite(),
                    "{path}: {} {} not finite",
                    s.id,
                    m.id
                );
            }
        }
    }
}

/// Pinned values for a fixed seed: a change here means the random streams or the model changed,
/// which must go with a note in docs/MODEL.md.
#[test]
fn values_are_stable_for_a_fixed_seed() {
    let scenario = Scenario::builtin_default().unwrap();
    let result = simulate(
        &scenario,
        &RunSettings {
            trials: 20_000,
            seed: 42,
            threads: 2,
            ..RunSettings::default()
        },
        &NoObserver,
    )
    .unwrap();
    let base = &result.strategies[scenario.baseline];
    let pinned = (
        base.class_counts,
        base.overrun_at_least_double,
        base.npv_negative,
    );
    assert_eq!(pinned, PINNED, "pinned values changed: {pinned:?}");
}

// Re-pinned when `crmcast calibrate` replaced the hand-tuned catalogue (issue #4), and again
// for outcome model v2 (two runaway uniforms per trial, the re-calibrated catalogue): was
// ([6984, 11133, 1883], 3183, 7260). Sanity check of the new values: 64.9 % missed
// objectives (target 65 %), 6.0 % failed, 8.4 % at least double the budget (the runaways
// carry the tail now, with fewer middling failures), 33.8 % with a negative NPV; the same run
// reports a mean overrun of 30.9 %, median +5.1 %, worst sixth +190 % and P(runaway) 8.9 %.
const PINNED: ([u64; 3], u64, u64) = ([7023, 11785, 1192], 1679, 6752);

#[test]
fn primary_cause_is_the_largest_contribution_to_the_broken_objective() {
    // Both factors always strike at severity 1; only benefit is hurt, and the larger benefit
    // impact must be the primary cause of every (benefit-broken) miss.
    let small = "probability = 1.0\nseverity = { kind = \"fixed\", value = 1.0 }\nimpact = { benefit = 0.2, cost = 0.0, schedule = 0.0, runaway = 0.0 }";
    let large = "probability = 1.0\nseverity = { kind = \"fixed\", value = 1.0 }\nimpact = { benefit = 0.5, cost = 0.0, schedule = 0.0, runaway = 0.0 }";
    let scenario = controlled(
        &[("poor_data_quality", small), ("change_resistance", large)],
        "",
    );
    let report = run(&scenario, 2_000, 1);
    let causes = &report.baseline().causes;
    assert_eq!(
        causes.missed_objectives, 2_000,
        "realisation 0.8 × 0.5 = 0.4 misses the 0.75 objective"
    );
    let primary = causes
        .by_factor
        .iter()
        .find(|f| f.id == "change_resistance")
        .unwrap();
    assert_eq!(primary.count, 2_000);
    // A cost-only factor does not take the blame for a benefit miss.
    let cost_only = "probability = 1.0\nseverity = { kind = \"fixed\", value = 1.0 }\nimpact = { benefit = 0.0, cost = 0.1, schedule = 0.0, runaway = 0.0 }";
    let scenario = controlled(
        &[
            ("change_resistance", large),
            ("unclear_roi_budget", cost_only),
        ],
        "",
    );
    let report = run(&scenario, 2_000, 1);
    let blamed = report
        .baseline()
        .causes
        .by_factor
        .iter()
        .find(|f| f.id == "unclear_roi_budget")
        .unwrap();
    assert_eq!(blamed.count, 0);
}

#[test]
fn misses_without_any_factor_are_unattributed_and_count_as_other() {
    // No factor; a 40 % planned overrun breaks the 25 % cost objective in every trial.
    let extra = "";
    let mut scenario = controlled(&[], extra);
    scenario.project.estimate.log_cost_mean = 1.4f64.ln();
    let report = run(&scenario, 3_000, 1);
    let causes = &report.baseline().causes;
    assert_eq!(causes.missed_objectives, 3_000);
    assert_eq!(causes.unattributed.count, 3_000);
    let other = causes.by_group.iter().find(|g| g.id == "other").unwrap();
    assert_eq!(other.count, 3_000);
    let overrun = report.baseline().metric("overrun_mean").unwrap();
    assert!((overrun.value - 0.4).abs() <= QUANTUM);
}
