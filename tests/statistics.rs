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
// Re-pinned once more when quantiles came to be read inside their sketch bucket (issue #14),
// which re-fitted the shipped catalogue (its P90 constraint binds): was
// ([7023, 11785, 1192], 1679, 6752). Sanity check: 64.1 % missed objectives (target 65 %),
// 5.7 % failed, 7.8 % at least double the budget, 32.6 % with a negative NPV; the same run
// reports a mean overrun of 31.4 %, median +4.0 %, worst sixth +199 % and P(runaway) 6.9 %.
// Re-pinned for the lane engine (issue #16): eight xoshiro256++ streams per batch and normals
// by AS 241 instead of one stream with ziggurat normals, and the catalogue re-fitted on those
// random numbers: was ([7171, 11694, 1135], 1551, 6527). Sanity check: 65.0 % missed objectives
// (target 65 %), 5.2 % failed, 7.3 % at least double the budget, 32.9 % with a negative NPV.
// Re-pinned when Levenberg–Marquardt replaced Nelder–Mead in `crmcast calibrate` (issue #16,
// the default calibrate within 2 s) and the shipped catalogue was re-fitted with it (S 0.977 →
// 0.930): was ([7006, 11961, 1033], 1462, 6577). Sanity check: 64.7 % missed objectives
// (target 65 %), 5.2 % failed, 7.3 % at least double the budget, 32.7 % with a negative NPV.
const PINNED: ([u64; 3], u64, u64) = ([7051, 11905, 1044], 1467, 6546);

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

// --- the runaway (outcome model v2) -------------------------------------------------------------

/// `[project.runaway]` lines: base probability `b0`, Pareto(`size_min`, `tail`) cost multiplier,
/// log duration growing by `schedule`·ln Y.
fn runaway_table(b0: f64, size_min: f64, tail: f64, schedule: f64) -> String {
    format!("base_probability = {b0}\nsize_min = {size_min}\ntail = {tail}\nschedule = {schedule}")
}

/// A factor that always strikes at severity 1 and acts only on the runaway hazard (impact `r`).
fn runaway_only(r: f64) -> String {
    format!(
        "probability = 1.0\nseverity = {{ kind = \"fixed\", value = 1.0 }}\nimpact = {{ benefit = 0.0, cost = 0.0, schedule = 0.0, runaway = {r} }}"
    )
}

fn assert_within(what: &str, value: f64, expected: f64, se: f64) {
    assert!(se > 0.0, "{what}: no standard error");
    assert!(
        (value - expected).abs() <= 4.0 * se,
        "{what}: {value} vs expected {expected} (4 SE = {})",
        4.0 * se
    );
}

/// The hazard of a runaway is λ₀·e^L with λ₀ = −ln(1 − b₀) and L = Σ r_i s_i over the factors
/// that strike, so P(runaway) = 1 − exp(−λ₀·e^L): b₀ with no factor, and mitigations lower it
/// through the factor's presence (a mixture) or its severity (a smaller load). On common random
/// numbers a mitigated strategy runs away only in trials where the baseline does, by the same
/// cost multiplier.
#[test]
fn the_runaway_hazard_rises_with_the_factors_that_strike() {
    let (b0, r) = (0.05f64, 1.5f64);
    let lambda = -(1.0 - b0).ln();
    let hazard = |load: f64| 1.0 - (-lambda * load.exp()).exp();
    let extra = r#"
[[mitigations]]
id = "halve"
cost = { value = 0.0 }
[[mitigations.effects]]
factor = "poor_data_quality"
probability = 0.5
[[mitigations]]
id = "weaken"
cost = { value = 0.0 }
[[mitigations.effects]]
factor = "poor_data_quality"
severity = 0.4
[[mitigations]]
id = "fix"
cost = { value = 0.0 }
[[mitigations.effects]]
factor = "poor_data_quality"
probability = 0.0
[[strategies]]
id = "base"
baseline = true
[[strategies]]
id = "halved"
mitigations = ["halve"]
[[strategies]]
id = "weakened"
mitigations = ["weaken"]
[[strategies]]
id = "fixed"
mitigations = ["fix"]
"#;
    let scenario = controlled_with(
        &runaway_table(b0, 2.0, 3.0, 0.5),
        &[("poor_data_quality", &runaway_only(r))],
        extra,
    );
    let n = 200_000u64;
    let report = run(&scenario, n, 0);
    for (s, expected) in [
        (0, hazard(r)),
        (1, 0.5 * hazard(r) + 0.5 * b0),
        (2, hazard(0.4 * r)),
        (3, b0),
    ] {
        let p = report.strategies[s].metric("p_runaway").unwrap().value;
        let se = (expected * (1.0 - expected) / n as f64).sqrt();
        assert_within(&format!("strategy {s}: P(runaway)"), p, expected, se);
    }
    // The answers are far apart: the test tells the load's effect from none.
    assert!(hazard(r) - hazard(0.4 * r) > 0.1 && hazard(0.4 * r) - b0 > 0.03);

    // Trial by trial: a mitigated strategy never runs away where the baseline does not, and a
    // runaway costs the same multiplier under every strategy (no other cost in this scenario).
    let settings = RunSettings {
        trials: 50_000,
        seed: 11,
        threads: 1,
        ..RunSettings::default()
    };
    let replay = crmcast::engine::records::Replay::new(&scenario, &settings);
    let mut runaways = [0u64; 4];
    replay.replay(&mut replay.cursor(), 0..settings.trials, |view| {
        let base = view.outcome(0);
        for (s, count) in runaways.iter_mut().enumerate() {
            let o = view.outcome(s);
            *count += o.runaway as u64;
            if o.runaway {
                assert!(base.runaway, "trial {}: strategy {s} alone", view.trial);
                assert_eq!(o.overrun, base.overrun, "trial {}", view.trial);
                assert!(o.overrun >= 1.0, "at least size_min = 2 times the budget");
            } else {
                assert_eq!(o.overrun, 0.0, "trial {}", view.trial);
            }
        }
    });
    assert!(runaways.iter().all(|&c| c > 1_000), "{runaways:?}");
}

/// With every trial running away (base probability 0.5 and a factor load of 4: λ₀·e⁴ ≈ 37.8
/// exceeds the largest unit exponential a uniform below 1 − 2⁻⁵³ gives, ≈ 36.7), no noise and
/// no burn, the cost ratio is the Pareto(x_m, α) multiplier Y itself and the duration ratio
/// Y^φ: known means, quantiles, worst-sixth means and tail index.
#[test]
fn a_runaway_costs_a_pareto_multiplier() {
    let (xm, alpha, phi) = (1.5f64, 4.0f64, 0.5f64);
    let scenario = controlled_with(
        &runaway_table(0.5, xm, alpha, phi),
        &[("poor_data_quality", &runaway_only(4.0))],
        "",
    );
    let n = 200_000u64;
    let report = run(&scenario, n, 0);
    let base = report.baseline();
    let get = |id: &str| {
        let e = base.metric(id).unwrap();
        (e.value, e.se)
    };
    assert_eq!(get("p_runaway").0, 1.0, "every trial runs away");
    // E[Y] = x_m·α/(α − 1); E[Y^φ] = x_m^φ·α/(α − φ) (finite variances: α > 2, α > 2φ).
    let (mean, se) = get("overrun_mean");
    assert_within("mean overrun", mean, xm * alpha / (alpha - 1.0) - 1.0, se);
    let (slip, se) = get("slip_mean");
    assert_within(
        "mean slip",
        slip,
        xm.powf(phi) * alpha / (alpha - phi) - 1.0,
        se,
    );
    // Quantiles: Q(q) = x_m·(1 − q)^(−1/α), to the sketch's resolution (2⁻⁸, MODEL.md §10).
    for (id, q) in [("overrun_p50", 0.5), ("overrun_p90", 0.9)] {
        let expected = xm * (1.0f64 - q).powf(-1.0 / alpha);
        let (value, se) = get(id);
        let tolerance = 4.0 * se + expected / 256.0;
        assert!(
            (value + 1.0 - expected).abs() <= tolerance,
            "{id}: {value} vs {} (± {tolerance})",
            expected - 1.0
        );
    }
    // P(Y ≥ 2) = (2/x_m)^(−α).
    let p = (2.0 / xm).powf(-alpha);
    let (double, _) = get("p_overrun_100");
    assert_within(
        "P(overrun ≥ 100 %)",
        double,
        p,
        (p * (1.0 - p) / n as f64).sqrt(),
    );
    // The worst sixth of a Pareto is Pareto(x_m·6^(1/α), α): its mean cost and mean slip.
    let edge = xm * 6f64.powf(1.0 / alpha);
    let (tail, se) = get("black_swan_overrun");
    assert_within(
        "worst-sixth overrun",
        tail,
        edge * alpha / (alpha - 1.0) - 1.0,
        se,
    );
    let (tail_slip, se) = get("black_swan_slip");
    assert_within(
        "worst-sixth slip",
        tail_slip,
        edge.powf(phi) * alpha / (alpha - phi) - 1.0,
        se,
    );
    // Hill's estimator over the worst sixth recovers α.
    let (index, se) = get("tail_index");
    assert_within("tail index", index, alpha, se);
}

/// A runaway's cost and slip are shared among the factors that strike in proportion to their
/// runaway load r_i·s_i, so the larger load is the primary cause even when it is listed later;
/// a runaway without any factor (load 0) is unattributed, and happens with probability b₀.
#[test]
fn a_runaway_is_blamed_on_the_largest_load_or_on_nothing() {
    // Loads 2 + 3 = 5: λ₀·e⁵ ≈ 103 with b₀ = 0.5, so every trial runs away; size_min 1.5
    // breaks the 25 % cost objective in every trial.
    let runaway = runaway_table(0.5, 1.5, 3.0, 0.5);
    let scenario = controlled_with(
        &runaway,
        &[
            ("change_resistance", &runaway_only(2.0)),
            ("poor_data_quality", &runaway_only(3.0)),
        ],
        "",
    );
    let n = 20_000u64;
    let report = run(&scenario, n, 1);
    let causes = &report.baseline().causes;
    assert_eq!(causes.missed_objectives, n);
    let count = |id: &str| causes.by_factor.iter().find(|f| f.id == id).unwrap().count;
    assert_eq!(count("poor_data_quality"), n);
    assert_eq!(count("change_resistance"), 0);

    // No factor: a runaway (probability b₀ = 1 − e^(−λ₀)) misses the cost objective, nothing
    // else does, and nobody is to blame.
    let b0 = 0.3;
    let scenario = controlled_with(&runaway_table(b0, 1.5, 3.0, 0.5), &[], "");
    let n = 100_000u64;
    let report = run(&scenario, n, 0);
    let base = report.baseline();
    let causes = &base.causes;
    let runaways = base.metric("p_runaway").unwrap().value;
    assert_within(
        "P(runaway)",
        runaways,
        b0,
        (b0 * (1.0 - b0) / n as f64).sqrt(),
    );
    let missed = base.metric("p_missed_objectives").unwrap().value;
    assert_eq!(missed, runaways);
    assert_eq!(causes.unattributed.count, causes.missed_objectives);
}
