//! Parameter uncertainty (`--parameter-uncertainty`, docs/MODEL.md §4b): without the flag a
//! catalogue's `[uncertainty]` table changes nothing, bit for bit; with it, known answers for
//! drawn log means, impacts and probabilities (tolerances of 4 standard errors); determinism
//! across threads and shards; and bad tables refused with exit code 2, the key and a fix
//! (tests/catalogues/).

use crmcast::analysis::Report;
use crmcast::engine::trial::CompiledScenario;
use crmcast::engine::{NoObserver, RunSettings, Sampling, Shard, SimulationResult, simulate};
use crmcast::model::Catalogue;
use crmcast::model::catalogue::BUILTIN_CATALOGUE;
use crmcast::scenario::source::Source;
use crmcast::scenario::{BUILTIN_DEFAULT, CatalogueText, Scenario};
use statrs::distribution::{Continuous, ContinuousCDF, Normal};
use std::path::{Path, PathBuf};

/// The built-in catalogue without its `[uncertainty]` table (the calibration's Laplace
/// covariance, the last table of the file).
fn builtin_without_table() -> String {
    let start = BUILTIN_CATALOGUE
        .find("\n[uncertainty]\n")
        .expect("the built-in catalogue has an [uncertainty] table");
    // The table runs to the next table header (a `[` at the start of a line) or the end.
    let end = BUILTIN_CATALOGUE[start + 1..]
        .find("\n[")
        .map_or(BUILTIN_CATALOGUE.len(), |k| start + 1 + k);
    let text = format!(
        "{}{}",
        &BUILTIN_CATALOGUE[..start + 1],
        &BUILTIN_CATALOGUE[end..]
    );
    assert!(!text.contains("[uncertainty]") && !text.contains("\ncovariance ="));
    text
}

/// The built-in catalogue with its `[uncertainty]` table replaced by `table` (empty: none).
fn builtin_with(table: &str) -> CatalogueText {
    CatalogueText {
        origin: "test catalogue".into(),
        text: format!("{}\n{table}\n", builtin_without_table()),
    }
}

/// A shipped scenario without its effect ranges: under the flag, only the catalogue's
/// `[uncertainty]` table is drawn (the ranges have their own tests, tests/effect_uncertainty.rs).
fn without_ranges(text: &str) -> String {
    text.lines()
        .filter(|l| !(l.starts_with("probability_range") || l.starts_with("severity_range")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn scenario(text: &str, catalogue: Option<CatalogueText>) -> Scenario {
    Scenario::from_source_with(&Source::new("test scenario", text), catalogue)
        .expect("valid test scenario")
}

/// A scenario with a fixed benefit, no burn, no runaway (a zero base hazard), every factor
/// switched off but those given, and the `[project.estimate]` lines given.
fn controlled(estimate: &str, active: &[(&str, &str)], extra: &str) -> String {
    with_runaway(estimate, "base_probability = 0.0", active, extra)
}

/// [`controlled`] with the `[project.runaway]` lines given.
fn with_runaway(estimate: &str, runaway: &str, active: &[(&str, &str)], extra: &str) -> String {
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
{estimate}
[project.runaway]
{runaway}
[benefits]
model = "direct"
annual = {{ value = 500.0 }}
"#
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
    text
}

fn settings(trials: u64, seed: u64, flag: bool) -> RunSettings {
    RunSettings {
        trials,
        seed,
        threads: 0,
        parameter_uncertainty: flag,
        ..RunSettings::default()
    }
}

fn run(scenario: &Scenario, settings: &RunSettings) -> (SimulationResult, Report) {
    let result = simulate(scenario, settings, &NoObserver).expect("run");
    let report = Report::build(scenario, &result);
    (result, report)
}

fn metric(report: &Report, strategy: usize, id: &str) -> (f64, f64) {
    let e = report.strategies[strategy].metric(id).expect("metric");
    (e.value, e.se)
}

fn assert_within(what: &str, value: f64, expected: f64, se: f64) {
    assert!(se > 0.0, "{what}: no standard error");
    assert!(
        (value - expected).abs() <= 4.0 * se,
        "{what}: {value} vs expected {expected} (4 SE = {})",
        4.0 * se
    );
}

fn phi(x: f64) -> f64 {
    Normal::standard().cdf(x)
}

/// A table touching every kind of parameter of the built-in catalogue.
const BROAD_TABLE: &str = r#"
[uncertainty]
source = "tests/uncertainty.rs"
parameters = ["probability:change_resistance", "cost:unclear_strategy", "schedule:unclear_strategy", "benefit:poor_data_quality", "probability:no_kpis_measurement", "log_cost_mean", "log_schedule_mean"]
covariance = [
    [0.0025, 0.0,   0.0,    0.0,    0.0010, 0.0,   0.0   ],
    [0.0,    0.010, 0.002,  0.0,    0.0,    0.001, 0.0   ],
    [0.0,    0.002, 0.0025, 0.0,    0.0,    0.0,   0.0005],
    [0.0,    0.0,   0.0,    0.0004, 0.0,    0.0,   0.0   ],
    [0.0010, 0.0,   0.0,    0.0,    0.0025, 0.0,   0.0   ],
    [0.0,    0.001, 0.0,    0.0,    0.0,    0.010, 0.002 ],
    [0.0,    0.0,   0.0005, 0.0,    0.0,    0.002, 0.004 ],
]
"#;

/// Without the flag, a catalogue with an `[uncertainty]` table (a test table, or the built-in
/// catalogue's own) gives, bit for bit, the run on the same catalogue without it: every
/// accumulator and the exported JSON, under every design.
#[test]
fn without_the_flag_the_table_changes_nothing() {
    let retail = std::fs::read_to_string("scenarios/retail_chain.toml").expect("retail_chain");
    let parameters = Catalogue::builtin()
        .expect("catalogue")
        .uncertainty
        .map(|u| u.len());
    assert!(parameters.is_some_and(|k| k > 7), "{parameters:?}");
    for text in [BUILTIN_DEFAULT, retail.as_str()] {
        let plain = scenario(text, Some(builtin_with("")));
        assert!(plain.uncertainty.is_none());
        for (with_table, k) in [
            (scenario(text, Some(builtin_with(BROAD_TABLE))), Some(7)),
            (scenario(text, None), parameters),
        ] {
            assert_eq!(with_table.uncertainty.as_ref().map(|u| u.len()), k);
            for sampling in [Sampling::Random, Sampling::Lhs, Sampling::Sobol] {
                let settings = RunSettings {
                    sampling,
                    ..settings(40_000, 17, false)
                };
                let (a, report_a) = run(&plain, &settings);
                let (b, report_b) = run(&with_table, &settings);
                assert_eq!(a, b, "{sampling:?}, {k:?} parameters: accumulators differ");
                assert_eq!(
                    serde_json::to_string(&report_a).unwrap(),
                    serde_json::to_string(&report_b).unwrap(),
                    "{sampling:?}, {k:?} parameters: exported JSON differs"
                );
                assert!(!report_b.run.parameter_uncertainty);
            }
        }
    }
}

/// With a zero covariance the drawn parameters are the scenario's: on the same uniforms, every
/// strategy's outcome of every trial is the one without the flag (the extra dimensions come
/// last, so the first ones are shared).
#[test]
fn a_zero_covariance_reproduces_every_trial() {
    let zeros = vec![format!("[{}]", ["0.0"; 7].join(", ")); 7].join(", ");
    let table = BROAD_TABLE.replace(
        &BROAD_TABLE[BROAD_TABLE.find("covariance").unwrap()..],
        &format!("covariance = [{zeros}]\n"),
    );
    let retail = without_ranges(&std::fs::read_to_string("scenarios/retail_chain.toml").unwrap());
    let scenario = scenario(&retail, Some(builtin_with(&table)));
    let fixed = CompiledScenario::new(&scenario);
    let drawn = CompiledScenario::with_uncertainty(&scenario, true);
    assert_eq!(drawn.dimensions(), fixed.dimensions() + 7);
    assert_eq!(drawn.uncertain_parameters(), 7);
    let (mut scratch_fixed, mut scratch_drawn) = (fixed.scratch(), drawn.scratch());
    let mut presence = vec![0u64; fixed.strategies * fixed.factors];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniforms = vec![0.0; drawn.dimensions()];
    for _ in 0..20_000 {
        for u in uniforms.iter_mut() {
            // xorshift64*: any uniforms in (0, 1) will do.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let bits = state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
            *u = (bits as f64 + 0.5) / (1u64 << 53) as f64;
        }
        fixed.draw_from_uniforms(&uniforms[..fixed.dimensions()], &mut scratch_fixed);
        fixed.evaluate_all(&mut scratch_fixed, &mut presence);
        drawn.draw_from_uniforms(&uniforms, &mut scratch_drawn);
        drawn.evaluate_all(&mut scratch_drawn, &mut presence);
        assert_eq!(scratch_fixed.outcomes, scratch_drawn.outcomes);
    }
}

/// With a zero covariance and the flag on, the run draws other random numbers (the extra
/// normals), so it is another sample of the same model: every mean agrees with the run without
/// the flag within 4 combined standard errors.
#[test]
fn a_zero_covariance_agrees_with_the_fixed_model() {
    let table = "[uncertainty]\nparameters = [\"probability:change_resistance\", \"cost:unclear_strategy\", \"log_cost_mean\"]\ncovariance = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]";
    let retail = without_ranges(&std::fs::read_to_string("scenarios/retail_chain.toml").unwrap());
    let scenario = scenario(&retail, Some(builtin_with(table)));
    let (_, off) = run(&scenario, &settings(100_000, 23, false));
    let (_, on) = run(&scenario, &settings(100_000, 23, true));
    assert!(on.run.parameter_uncertainty && !off.run.parameter_uncertainty);
    for s in 0..scenario.strategies.len() {
        for id in [
            "p_success",
            "p_failed",
            "overrun_mean",
            "slip_mean",
            "benefit_realisation_mean",
            "npv_mean",
        ] {
            let ((a, se_a), (b, se_b)) = (metric(&off, s, id), metric(&on, s, id));
            assert_within(
                &format!("strategy {s} {id}"),
                b,
                a,
                (se_a * se_a + se_b * se_b).sqrt(),
            );
        }
    }
}

/// Uncertainty on `log_cost_mean` alone (variance v), no factor and no burn: ln C is normal with
/// the scenario's mean and variance log_cost_sd² + v, so E[C] = exp(μ + (σ² + v)/2) and
/// P90(C) = exp(μ + z₀.₉·√(σ² + v)). The scenario's own log_cost_mean (0.1) is the centre.
#[test]
fn log_cost_mean_uncertainty_adds_its_variance() {
    let (mu, sigma2, v) = (0.1, 0.3f64.powi(2), 0.09);
    let text = controlled(
        "log_cost_mean = 0.1\nlog_cost_sd = 0.3\nlog_schedule_mean = 0.0\nlog_schedule_sd = 0.0\nbenefit_sd = 0.0",
        &[],
        "",
    );
    let table = format!("[uncertainty]\nparameters = [\"log_cost_mean\"]\ncovariance = [[{v}]]");
    let scenario = scenario(&text, Some(builtin_with(&table)));
    let (_, off) = run(&scenario, &settings(200_000, 5, false));
    let z90 = 1.2815515655446004;
    let (mean_off, se_off) = metric(&off, 0, "overrun_mean");
    assert_within(
        "fixed: mean overrun",
        mean_off,
        (mu + sigma2 / 2.0).exp() - 1.0,
        se_off,
    );
    for sampling in [Sampling::Random, Sampling::Sobol] {
        let (_, on) = run(
            &scenario,
            &RunSettings {
                sampling,
                ..settings(200_000, 5, true)
            },
        );
        let (mean, se) = metric(&on, 0, "overrun_mean");
        assert_within(
            &format!("{sampling:?}: mean overrun"),
            mean,
            (mu + (sigma2 + v) / 2.0).exp() - 1.0,
            se,
        );
        // Quantiles of C come from the sketch (relative resolution 2⁻⁸, MODEL.md §10): under
        // sobol every batch may put the median in the same bucket, so its batch-means SE can be
        // 0 and the resolution is the tolerance.
        for (id, expected) in [
            ("overrun_p90", (mu + z90 * (sigma2 + v).sqrt()).exp()),
            ("overrun_p50", mu.exp()),
        ] {
            let (value, se) = metric(&on, 0, id);
            let tolerance = 4.0 * se + expected / 256.0;
            assert!(
                (value + 1.0 - expected).abs() <= tolerance,
                "{sampling:?} {id}: {value} vs {} (± {tolerance})",
                expected - 1.0
            );
        }
        if sampling == Sampling::Random {
            // The extra variance shows in the spread of the cost, hence in the standard error.
            let ratio = se / se_off;
            let sd = |s2: f64| ((s2.exp() - 1.0) * (2.0 * mu + s2).exp()).sqrt();
            let expected = sd(sigma2 + v) / sd(sigma2);
            assert!(
                (ratio / expected - 1.0).abs() < 0.05,
                "SE ratio {ratio} vs {expected}"
            );
        }
    }
}

/// A drawn cost impact goes to its own factor and is clamped at 0: one factor always strikes at
/// severity 1 with cost impact c ± √w, so E[C] = e^{μ+σ²/2}·E[e^{max(c+δ, 0)}], with
/// E[e^{max(X,0)}] = Φ(−c/s) + e^{c+s²/2}·Φ((c+s²)/s) for X ~ N(c, s²).
#[test]
fn a_drawn_cost_impact_acts_on_its_factor_and_is_clamped() {
    let (mu, sigma, c, s) = (-0.2f64, 0.2f64, 0.1f64, 0.15f64);
    let text = controlled(
        &format!(
            "log_cost_mean = {mu}\nlog_cost_sd = {sigma}\nlog_schedule_mean = 0.0\nlog_schedule_sd = 0.0\nbenefit_sd = 0.0"
        ),
        &[(
            "no_executive_sponsor",
            &format!(
                "probability = 1.0\nseverity = {{ kind = \"fixed\", value = 1.0 }}\nimpact = {{ benefit = 0.0, cost = {c}, schedule = 0.0, runaway = 0.0 }}"
            ),
        )],
        "",
    );
    let w = s * s;
    // An uncertain impact of a factor that never strikes must not matter.
    let table = format!(
        "[uncertainty]\nparameters = [\"cost:unclear_strategy\", \"cost:no_executive_sponsor\"]\ncovariance = [[0.5, 0.0], [0.0, {w}]]"
    );
    let scenario = scenario(&text, Some(builtin_with(&table)));
    let (_, on) = run(&scenario, &settings(200_000, 9, true));
    let (mean, se) = metric(&on, 0, "overrun_mean");
    let clamped = phi(-c / s) + (c + w / 2.0).exp() * phi((c + w) / s);
    let expected = (mu + sigma * sigma / 2.0).exp() * clamped - 1.0;
    assert_within("mean overrun", mean, expected, se);
    // Without the clamp the answer would be e^{μ+σ²/2+c+w/2} − 1: far enough to tell apart.
    let unclamped = (mu + sigma * sigma / 2.0 + c + w / 2.0).exp() - 1.0;
    assert!((expected - unclamped).abs() > 8.0 * se);
}

/// A drawn probability: the factor strikes with probability E[clamp(p + δ)], here with heavy
/// clamping at 10⁻⁶ (p = 0.1, sd 0.2): μΦ(μ/σ) + σφ(μ/σ) ≈ 0.1396, not 0.1; a mitigation
/// halving the probability acts on top (half of it). A covariance between the probability and
/// log_cost_mean moves the mean cost by the known amount
/// E[C] = e^{μ+σ²/2+v/2}·(1 + (e^c − 1)(p + r)) (Stein's lemma, r = Cov(δ_p, δ_μ)).
#[test]
fn a_drawn_probability_strikes_at_its_mean_and_covaries() {
    let extra = r#"
[[mitigations]]
id = "halve"
cost = { value = 0.0 }
[[mitigations.effects]]
factor = "change_resistance"
probability = 0.5
[[strategies]]
id = "base"
baseline = true
[[strategies]]
id = "halved"
mitigations = ["halve"]
"#;
    let text = controlled(
        "log_cost_mean = 0.0\nlog_cost_sd = 0.0\nlog_schedule_mean = 0.0\nlog_schedule_sd = 0.0\nbenefit_sd = 0.0",
        &[("change_resistance", "probability = 0.1")],
        extra,
    );
    let index = scenario(&text, None)
        .factors
        .iter()
        .position(|f| f.id == "change_resistance")
        .unwrap();
    let table =
        "[uncertainty]\nparameters = [\"probability:change_resistance\"]\ncovariance = [[0.04]]";
    let heavy = scenario(&text, Some(builtin_with(table)));
    let trials = 200_000u64;
    let (result, _) = run(&heavy, &settings(trials, 31, true));
    let (m, sd) = (0.1, 0.2);
    let mean_p = m * phi(m / sd) + sd * Normal::standard().pdf(m / sd);
    for (s, scale) in [(0, 1.0), (1, 0.5)] {
        let p = result.strategies[s].presence[index] as f64 / trials as f64;
        let expected = scale * mean_p;
        let se = (expected * (1.0 - expected) / trials as f64).sqrt();
        assert_within(&format!("strategy {s}: presence"), p, expected, se);
        assert!((p - scale * m).abs() > 8.0 * se, "clamping must show");
    }

    // Probability 0.4 ± 0.1 and log_cost_mean ± 0.2 with correlation 0.8; the factor, at
    // severity 1, adds c = 1.5 to log cost.
    let text = controlled(
        "log_cost_mean = -0.5\nlog_cost_sd = 0.0\nlog_schedule_mean = 0.0\nlog_schedule_sd = 0.0\nbenefit_sd = 0.0",
        &[(
            "change_resistance",
            "probability = 0.4\nseverity = { kind = \"fixed\", value = 1.0 }\nimpact = { benefit = 0.0, cost = 1.5, schedule = 0.0, runaway = 0.0 }",
        )],
        "",
    );
    let (mu, p, c, w, v, rho) = (-0.5f64, 0.4, 1.5f64, 0.01f64, 0.04f64, 0.8);
    let r = rho * (w * v).sqrt();
    let table = format!(
        "[uncertainty]\nparameters = [\"probability:change_resistance\", \"log_cost_mean\"]\ncovariance = [[{w}, {r}], [{r}, {v}]]"
    );
    let joint = scenario(&text, Some(builtin_with(&table)));
    let (_, on) = run(&joint, &settings(300_000, 37, true));
    let (mean, se) = metric(&on, 0, "overrun_mean");
    let expected = (mu + v / 2.0).exp() * (1.0 + (c.exp() - 1.0) * (p + r)) - 1.0;
    assert_within("mean overrun with covarying parameters", mean, expected, se);
    let independent = (mu + v / 2.0).exp() * (1.0 + (c.exp() - 1.0) * p) - 1.0;
    assert!((expected - independent).abs() > 8.0 * se);
}

/// With the flag on, the result does not depend on the thread count or on a split into shards.
#[test]
fn drawn_parameters_are_deterministic_across_threads_and_shards() {
    let retail = std::fs::read_to_string("scenarios/retail_chain.toml").expect("retail_chain");
    let scenario = scenario(&retail, Some(builtin_with(BROAD_TABLE)));
    for sampling in [Sampling::Random, Sampling::Sobol] {
        let base = RunSettings {
            sampling,
            ..settings(70_000, 13, true)
        };
        let one = simulate(&scenario, &RunSettings { threads: 1, ..base }, &NoObserver).unwrap();
        let two = simulate(&scenario, &RunSettings { threads: 2, ..base }, &NoObserver).unwrap();
        assert_eq!(one, two, "{sampling:?}: 1 vs 2 threads");
        assert!(one.parameter_uncertainty);
        let part = |index| {
            simulate(
                &scenario,
                &RunSettings {
                    shard: Shard { index, count: 2 },
                    ..base
                },
                &NoObserver,
            )
            .unwrap()
        };
        let mut merged = part(0);
        merged.absorb(&part(1));
        merged.shard = Shard::WHOLE;
        assert_eq!(merged, one, "{sampling:?}: shards");
        // The flag changes the draws: the results are not those without it.
        let off = simulate(
            &scenario,
            &RunSettings {
                parameter_uncertainty: false,
                ..base
            },
            &NoObserver,
        )
        .unwrap();
        assert_ne!(off.strategies, one.strategies);
    }
}

#[test]
fn the_flag_without_a_table_is_refused() {
    // The shipped scenarios give their effects ranges, so they have something to draw: use a
    // scenario without ranges, on the built-in catalogue without its [uncertainty] table.
    let text = std::fs::read_to_string(catalogues().join("scenario.toml")).unwrap();
    // The built-in catalogue's own table is enough for the flag.
    assert!(
        simulate(
            &scenario(&text, None),
            &settings(1_000, 1, true),
            &NoObserver
        )
        .is_ok()
    );
    let scenario = scenario(&text, Some(builtin_with("")));
    let error = simulate(&scenario, &settings(1_000, 1, true), &NoObserver).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    let message = error.to_string();
    assert!(message.contains("--parameter-uncertainty"), "{message}");
    assert!(message.contains("no [uncertainty] table"), "{message}");
    assert!(message.contains("fix:"), "{message}");
}

/// E[f(X)] for X ~ N(mean, sd²), by Simpson's rule over ±10 sd (error far below the Monte
/// Carlo error of the tests).
fn normal_expectation(mean: f64, sd: f64, f: impl Fn(f64) -> f64) -> f64 {
    let (steps, width) = (4_000, 20.0);
    let h = width / steps as f64;
    let sum: f64 = (0..=steps)
        .map(|k| {
            let z = -width / 2.0 + k as f64 * h;
            let weight = if k == 0 || k == steps {
                1.0
            } else if k % 2 == 1 {
                4.0
            } else {
                2.0
            };
            weight * f(mean + sd * z) * Normal::standard().pdf(z)
        })
        .sum();
    sum * h / 3.0
}

/// The estimate with no noise (the runaway's closed forms need none).
const QUIET: &str = "log_cost_mean = 0.0\nlog_cost_sd = 0.0\nlog_schedule_mean = 0.0\nlog_schedule_sd = 0.0\nbenefit_sd = 0.0";

/// A factor that always strikes at severity 1 and acts only on the runaway hazard.
fn runaway_only(r: f64) -> String {
    format!(
        "probability = 1.0\nseverity = {{ kind = \"fixed\", value = 1.0 }}\nimpact = {{ benefit = 0.0, cost = 0.0, schedule = 0.0, runaway = {r} }}"
    )
}

/// The built-in catalogue with a diagonal `[uncertainty]` table of `(name, variance)`.
fn diagonal(parameters: &[(&str, f64)]) -> CatalogueText {
    let names: Vec<String> = parameters.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    let rows: Vec<String> = (0..parameters.len())
        .map(|i| {
            let row: Vec<String> = (0..parameters.len())
                .map(|j| if i == j { parameters[i].1 } else { 0.0 }.to_string())
                .collect();
            format!("[{}]", row.join(", "))
        })
        .collect();
    builtin_with(&format!(
        "[uncertainty]\nparameters = [{}]\ncovariance = [{}]",
        names.join(", "),
        rows.join(", ")
    ))
}

fn proportion_se(p: f64, n: u64) -> f64 {
    (p * (1.0 - p) / n as f64).sqrt()
}

/// Drawn hazard parameters. `runaway_base_probability` b̃ = clamp(b₀ + δ, 0, 0.5): with no
/// factor a trial runs away with probability b̃ exactly (1 − e^(−λ₀), λ₀ = −ln(1 − b̃)), so
/// P(runaway) = E[b̃], above b₀ because of the clamp at 0. `runaway:<factor>` r̃ = clamp(r + δ,
/// 0, 10) of a factor that always strikes at severity 1: P = E[1 − exp(−λ₀·e^r̃)], above the
/// fixed r's answer (convexity); the drawn impact of a factor that never strikes must not matter.
#[test]
fn drawn_runaway_hazard_parameters_have_known_answers() {
    let n = 300_000u64;
    let (b0, w) = (0.05f64, 0.05f64 * 0.05);
    let text = with_runaway(
        QUIET,
        &format!("base_probability = {b0}\nsize_min = 1.5\ntail = 3.0"),
        &[],
        "",
    );
    let base = scenario(&text, Some(diagonal(&[("runaway_base_probability", w)])));
    let (_, on) = run(&base, &settings(n, 41, true));
    let (p, _) = metric(&on, 0, "p_runaway");
    let expected = normal_expectation(b0, w.sqrt(), |b| b.clamp(0.0, 0.5));
    let se = proportion_se(expected, n);
    assert_within("P(runaway), drawn base", p, expected, se);
    assert!((expected - b0).abs() > 8.0 * se, "clamping must show");

    let (r, v) = (1.0f64, 0.64f64);
    let lambda = -(1.0 - b0).ln();
    let text = with_runaway(
        QUIET,
        &format!("base_probability = {b0}\nsize_min = 1.5\ntail = 3.0"),
        &[("poor_data_quality", &runaway_only(r))],
        "",
    );
    let impact = scenario(
        &text,
        Some(diagonal(&[
            ("runaway:unclear_strategy", 4.0),
            ("runaway:poor_data_quality", v),
        ])),
    );
    let (_, on) = run(&impact, &settings(n, 43, true));
    let (p, _) = metric(&on, 0, "p_runaway");
    let hazard = |load: f64| 1.0 - (-lambda * load.exp()).exp();
    let expected = normal_expectation(r, v.sqrt(), |x| hazard(x.clamp(0.0, 10.0)));
    let se = proportion_se(expected, n);
    assert_within("P(runaway), drawn runaway impact", p, expected, se);
    assert!((expected - hazard(r)).abs() > 8.0 * se);
}

/// Drawn size parameters, with every trial running away (base probability 0.5 and a factor
/// load of 4: λ₀·e⁴ ≈ 37.8 exceeds the largest unit exponential of a uniform, ≈ 36.7), no noise
/// and no burn, so that the cost ratio is the Pareto multiplier Y = x̃·e^(E′/α̃) and the duration
/// ratio Y^φ̃:
/// - `runaway_tail` α̃ = clamp(α + δ, 1.5, 20): P(Y ≥ 2) = E[(2/x_m)^(−α̃)];
/// - `runaway_size_min` x̃ = clamp(x_m + δ, 1, 100): P(Y ≥ 2) = E[min(1, (x̃/2)^α)];
/// - `runaway_schedule` φ̃ = clamp(φ + δ, 0, 2): E[T] = E[x_m^φ̃·α/(α − φ̃)] (finite variance:
///   α = 5 > 2φ̃).
///
/// Proportions have binomial standard errors; each answer is far from the undrawn one.
#[test]
fn drawn_runaway_size_parameters_have_known_answers() {
    let n = 300_000u64;
    let always = |xm: f64, alpha: f64, phi: f64, parameter: (&str, f64)| {
        let text = with_runaway(
            QUIET,
            &format!("base_probability = 0.5\nsize_min = {xm}\ntail = {alpha}\nschedule = {phi}"),
            &[("poor_data_quality", &runaway_only(4.0))],
            "",
        );
        let scenario = scenario(&text, Some(diagonal(&[parameter])));
        let (result, report) = run(&scenario, &settings(n, 47, true));
        assert_eq!(result.strategies[0].runaways, n, "every trial runs away");
        report
    };
    let (xm, alpha) = (1.5f64, 4.0f64);
    let report = always(xm, alpha, 0.5, ("runaway_tail", 1.0));
    let (p, _) = metric(&report, 0, "p_overrun_100");
    let expected = normal_expectation(alpha, 1.0, |a| (2.0 / xm).powf(-a.clamp(1.5, 20.0)));
    let se = proportion_se(expected, n);
    assert_within("P(Y ≥ 2), drawn tail", p, expected, se);
    assert!((expected - (2.0 / xm).powf(-alpha)).abs() > 8.0 * se);

    let report = always(xm, alpha, 0.5, ("runaway_size_min", 0.09));
    let (p, _) = metric(&report, 0, "p_overrun_100");
    let expected = normal_expectation(xm, 0.3, |x| {
        (x.clamp(1.0, 100.0) / 2.0).powf(alpha).min(1.0)
    });
    let se = proportion_se(expected, n);
    assert_within("P(Y ≥ 2), drawn size_min", p, expected, se);
    assert!((expected - (xm / 2.0).powf(alpha)).abs() > 8.0 * se);

    let (phi, alpha) = (0.5f64, 5.0f64);
    let report = always(xm, alpha, phi, ("runaway_schedule", 0.09));
    let (slip, se) = metric(&report, 0, "slip_mean");
    let mean_t = |p: f64| xm.powf(p) * alpha / (alpha - p);
    let expected = normal_expectation(phi, 0.3, |p| mean_t(p.clamp(0.0, 2.0))) - 1.0;
    assert_within("mean slip, drawn schedule elasticity", slip, expected, se);
    assert!((expected - (mean_t(phi) - 1.0)).abs() > 8.0 * se);
}

/// Drawn estimating spreads, no factor and no runaway: ln C = σ̃_c·η_c with σ̃_c =
/// clamp(σ_c + δ, 0, 3), so E[C] = E[exp(σ̃_c²/2)]; likewise E[T] = E[exp(σ̃_s²/2)] for
/// `log_schedule_sd` (its normal, ρ·η_c + √(1 − ρ²)·η_s, is standard whatever ρ).
#[test]
fn drawn_estimating_spreads_have_known_answers() {
    let n = 300_000u64;
    let (sc, vc, ss, vs) = (0.3f64, 0.0225f64, 0.2f64, 0.01f64);
    let text = controlled(
        &format!(
            "log_cost_mean = 0.0\nlog_cost_sd = {sc}\nlog_schedule_mean = 0.0\nlog_schedule_sd = {ss}\nbenefit_sd = 0.0"
        ),
        &[],
        "",
    );
    let scenario = scenario(
        &text,
        Some(diagonal(&[("log_cost_sd", vc), ("log_schedule_sd", vs)])),
    );
    let (_, on) = run(&scenario, &settings(n, 53, true));
    let spread = |s: f64| (0.5 * s.clamp(0.0, 3.0).powi(2)).exp();
    for (id, sd, v) in [("overrun_mean", sc, vc), ("slip_mean", ss, vs)] {
        let (mean, se) = metric(&on, 0, id);
        let expected = normal_expectation(sd, v.sqrt(), spread) - 1.0;
        assert_within(id, mean, expected, se);
        assert!((expected - (spread(sd) - 1.0)).abs() > 8.0 * se, "{id}");
    }
}

// --- the command line --------------------------------------------------------------------------

fn catalogues() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/catalogues")
}

fn crmcast(args: &[&str]) -> std::process::Output {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("crmcast");
    cmd.current_dir(catalogues());
    cmd.args(args).output().unwrap()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Each bad `[uncertainty]` table is refused by `validate` and by `run --parameter-uncertainty`
/// with exit code 2, the file and line, the key, the problem and a fix, and no panic.
#[test]
fn bad_tables_are_refused_with_the_key_and_a_fix() {
    let cases: &[(&str, usize, &[&str])] = &[
        (
            "bad_unknown_parameter.toml",
            85,
            &[
                "uncertainty.parameters[1]",
                "no factor \"unclear_stratgy\"",
                "did you mean \"cost:unclear_strategy\"",
            ],
        ),
        (
            "bad_unknown_kind.toml",
            85,
            &[
                "uncertainty.parameters[1]",
                "\"impact\" is not one of",
                "log_cost_mean",
                "runaway:<factor id>",
                "runaway_base_probability",
            ],
        ),
        (
            "bad_duplicate.toml",
            85,
            &["uncertainty.parameters[2]", "listed twice"],
        ),
        (
            "bad_wrong_size.toml",
            86,
            &["uncertainty.covariance", "2 rows for 3 parameters"],
        ),
        (
            "bad_short_row.toml",
            86,
            &["uncertainty.covariance[1]", "must be 2 × 2"],
        ),
        (
            "bad_asymmetric.toml",
            86,
            &["uncertainty.covariance[1][0]", "symmetric"],
        ),
        (
            "bad_not_psd.toml",
            86,
            &["uncertainty.covariance[1][0]", "not positive semi-definite"],
        ),
        (
            "bad_not_psd_triple.toml",
            86,
            &[
                "uncertainty.covariance",
                "not positive semi-definite (smallest eigenvalue -8.0000e-3)",
            ],
        ),
        (
            "bad_nan.toml",
            86,
            &["uncertainty.covariance[0][1]", "NaN is not a finite number"],
        ),
        (
            "bad_negative_variance.toml",
            86,
            &["uncertainty.covariance[1][1]", "outside [0, 36]"],
        ),
        (
            "bad_unknown_key.toml",
            86,
            &["covarance", "did you mean \"covariance\""],
        ),
    ];
    for &(file, line, expect) in cases {
        for args in [
            vec!["validate", "scenario.toml", "--catalogue", file],
            vec![
                "run",
                "scenario.toml",
                "--catalogue",
                file,
                "--parameter-uncertainty",
                "--trials",
                "1000",
                "--quiet",
            ],
        ] {
            let output = crmcast(&args);
            let text = stderr(&output);
            let context = format!("{args:?}\n--- stderr ---\n{text}");
            assert_eq!(output.status.code(), Some(2), "{context}");
            assert!(output.stdout.is_empty(), "{context}");
            assert!(
                text.contains(&format!("{file}:{line}:")),
                "place; {context}"
            );
            assert!(text.contains("fix:"), "{context}");
            assert!(!text.contains("panicked"), "{context}");
            for wanted in expect {
                assert!(text.contains(wanted), "missing {wanted:?}; {context}");
            }
        }
    }
}

#[test]
fn the_command_line_flag() {
    // Without a table (and no ranged effect): refused, with the fix.
    let output = crmcast(&[
        "run",
        "scenario.toml",
        "--catalogue",
        "no_uncertainty.toml",
        "--parameter-uncertainty",
        "--quiet",
    ]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("has no [uncertainty] table") && text.contains("fix:"),
        "{text}"
    );
    // With a table, the built-in catalogue's or one named by the scenario: the flag is shown
    // in the table title and in JSON.
    for scenario in ["scenario.toml", "scenario_names_catalogue.toml"] {
        let output = crmcast(&[
            "compare",
            scenario,
            "--parameter-uncertainty",
            "--trials",
            "20000",
            "--quiet",
        ]);
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{scenario}: {}", stderr(&output));
        assert!(
            text.lines()
                .next()
                .is_some_and(|l| l.contains("parameter uncertainty drawn per trial")),
            "{scenario}: {text}"
        );
    }
    for (flag, expected) in [(true, true), (false, false)] {
        let mut args = vec![
            "run",
            "scenario_names_catalogue.toml",
            "--trials",
            "20000",
            "--format",
            "json",
            "--quiet",
        ];
        if flag {
            args.push("--parameter-uncertainty");
        }
        let output = crmcast(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["run"]["parameter_uncertainty"], expected);
    }
    let output = crmcast(&["run", "scenario.toml", "--trials", "20000", "--quiet"]);
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("parameter uncertainty"),
        "the title mentions the flag only when it is on"
    );
}

/// Shards run with and without the flag are not merged; shards that agree merge into the run
/// (all but its nested gain interval, which only a whole run computes).
#[test]
fn shards_must_agree_on_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let shard = |k: &str, flag: bool, out: &str| {
        let mut args = vec![
            "run",
            "scenario.toml",
            "--catalogue",
            "uncertain.toml",
            "--trials",
            "40000",
            "--shard",
            k,
            "--output",
            out,
            "--quiet",
        ];
        if flag {
            args.push("--parameter-uncertainty");
        }
        let output = crmcast(&args);
        assert!(output.status.success(), "{}", stderr(&output));
    };
    let (on1, on2, off2) = (path("on-1.json"), path("on-2.json"), path("off-2.json"));
    shard("1/2", true, &on1);
    shard("2/2", true, &on2);
    shard("2/2", false, &off2);
    let output = crmcast(&["merge", &on1, &off2]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("--parameter-uncertainty is off") && text.contains("fix:"),
        "{text}"
    );
    let merged = crmcast(&["merge", &on1, &on2, "--format", "json"]);
    assert!(merged.status.success(), "{}", stderr(&merged));
    let whole = crmcast(&[
        "run",
        "scenario.toml",
        "--catalogue",
        "uncertain.toml",
        "--trials",
        "40000",
        "--parameter-uncertainty",
        "--format",
        "json",
        "--quiet",
    ]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    // The nested gain interval (MODEL.md §8a) is computed by a whole run, never for shards nor
    // by `merge`; everything else is the single run's.
    let json = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let (merged, mut whole) = (json(&merged), json(&whole));
    assert!(
        merged["gain_uncertainty"].is_null(),
        "merge has no interval"
    );
    assert!(
        whole["gain_uncertainty"]["strategies"].is_array(),
        "{whole}"
    );
    whole["gain_uncertainty"] = serde_json::Value::Null;
    assert_eq!(merged, whole);
}

/// A catalogue written before outcome model v2 (no `[runaway]` table, no `runaway` impacts) is
/// refused with exit code 2, the key and a fix, as is a factor without its `runaway` impact.
#[test]
fn catalogues_without_the_runaway_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let no_impact = dir.path().join("no_impact.toml");
    let text = std::fs::read_to_string(catalogues().join("no_uncertainty.toml")).unwrap();
    let edited = text.replacen(", runaway = 0.6 }", " }", 1);
    assert_ne!(edited, text);
    std::fs::write(&no_impact, edited).unwrap();
    let no_impact = no_impact.display().to_string();
    for (file, expect) in [
        (
            "bad_v1_no_runaway.toml",
            &[
                "bad_v1_no_runaway.toml:2:",
                "no [runaway] table",
                "add [runaway]",
            ][..],
        ),
        (
            no_impact.as_str(),
            &["factors[0].impact.runaway", "this impact is missing"][..],
        ),
    ] {
        let output = crmcast(&["validate", "scenario.toml", "--catalogue", file]);
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{text}");
        assert!(
            text.contains("fix:") && !text.contains("panicked"),
            "{text}"
        );
        for wanted in expect {
            assert!(text.contains(wanted), "missing {wanted:?}: {text}");
        }
    }
}
