//! Checks shared by the fuzz targets: a scenario text is either refused with an error that
//! renders, or it runs, and then nothing in its trials or its report is NaN or infinite, and
//! mitigation never hurts on common random numbers.

use crmcast::analysis::Report;
use crmcast::engine::lane_rng::TrialStream;
use crmcast::engine::trial::CompiledScenario;
use crmcast::engine::{NoObserver, RunSettings, Sampling, simulate};
use crmcast::scenario::Scenario;
use crmcast::scenario::source::Source;

/// Trials per run: enough to reach the tails of the distributions, few enough for speed.
pub const MAX_TRIALS: u64 = 1_000;
/// Trials evaluated one by one (outcomes checked, strategies compared).
pub const CHECKED_TRIALS: u64 = 256;

pub fn check_text(text: &str) {
    let scenario = match Scenario::from_source(&Source::new("fuzz.toml", text)) {
        Ok(scenario) => scenario,
        Err(error) => {
            // Rendering the message (line, column, snippet) must not panic either.
            assert!(!error.to_string().is_empty());
            return;
        }
    };
    check_trials(&scenario);
    check_run(&scenario);
}

/// The checks of [`check_text`] on a scenario already built (from a catalogue file, a shard).
#[allow(dead_code)] // used by the catalogue target and the regression tests
pub fn check_scenario(scenario: &Scenario) {
    check_trials(scenario);
    check_run(scenario);
}

/// Run the engine briefly and check the report.
fn check_run(scenario: &Scenario) {
    // The seed stays below 2⁶³ so that the report's TOML form can hold it.
    let seed = scenario.simulation.seed & (i64::MAX as u64);
    let sampling = [Sampling::Random, Sampling::Lhs, Sampling::Sobol][(seed % 3) as usize];
    let settings = RunSettings {
        trials: scenario.simulation.trials.min(MAX_TRIALS),
        seed,
        threads: 1,
        sampling,
        ..RunSettings::default()
    };
    let result = simulate(scenario, &settings, &NoObserver).expect("simulate failed");
    let report = Report::build(scenario, &result);
    for strategy in &report.strategies {
        for metric in &strategy.metrics {
            let e = &metric.estimate;
            for (what, x) in [
                ("value", e.value),
                ("se", e.se),
                ("low", e.low),
                ("high", e.high),
            ] {
                assert!(x.is_finite(), "{}.{} {what} = {x}", strategy.id, metric.id);
            }
            if metric.id.starts_with("p_") {
                assert!(
                    (0.0..=1.0).contains(&e.value),
                    "{}.{} = {}",
                    strategy.id,
                    metric.id,
                    e.value
                );
            }
        }
    }
    // serde_json writes NaN and ±∞ as `null`, like an absent Option; the TOML form keeps
    // non-finite floats and leaves out absent values. Walk both side by side.
    let json = serde_json::to_value(&report).expect("report serialises to JSON");
    let toml = toml::Value::try_from(&report).expect("report serialises to TOML");
    check_finite(&json, Some(&toml), &mut String::from("report"));
    serde_json::to_string(&report).expect("report serialises");
}

/// Evaluate a few trials directly: every outcome finite (payback may be +∞ by design: no
/// benefit, no payback), and a strategy whose mitigations include another's never worse.
fn check_trials(scenario: &Scenario) {
    let compiled = CompiledScenario::new(scenario);
    let mut scratch = compiled.scratch();
    let mut presence = vec![0u64; compiled.strategies * compiled.factors];
    let mut stream = TrialStream::new(scenario.simulation.seed, compiled.dimensions());
    let sets: Vec<&Vec<usize>> = scenario.strategies.iter().map(|s| &s.mitigations).collect();
    let mut pairs = Vec::new();
    for (a, sa) in sets.iter().enumerate() {
        for (b, sb) in sets.iter().enumerate() {
            if a != b && sb.iter().all(|m| sa.contains(m)) {
                pairs.push((a, b));
            }
        }
    }
    for trial in 0..CHECKED_TRIALS.min(scenario.simulation.trials) {
        compiled.draw(&mut stream, &mut scratch);
        compiled.evaluate_all(&mut scratch, &mut presence);
        for (s, o) in scratch.outcomes.iter().enumerate() {
            for (what, x) in [
                ("overrun", o.overrun),
                ("slip", o.slip),
                ("benefit_realisation", o.benefit_realisation),
                ("annual_benefit", o.annual_benefit),
                ("investment", o.investment),
                ("npv", o.npv),
                ("roi", o.roi),
            ] {
                assert!(
                    x.is_finite(),
                    "trial {trial}, strategy {s}: {what} = {x}\n{o:?}"
                );
            }
            assert!(
                !o.payback_years.is_nan(),
                "trial {trial}, strategy {s}: payback NaN"
            );
            assert!((0.0..=1.0).contains(&o.benefit_realisation), "{o:?}");
        }
        for &(a, b) in &pairs {
            let (x, y) = (&scratch.outcomes[a], &scratch.outcomes[b]);
            assert!(
                x.class as u8 <= y.class as u8
                    && x.overrun <= y.overrun
                    && x.slip <= y.slip
                    && x.benefit_realisation >= y.benefit_realisation,
                "trial {trial}: strategy {a} (mitigations {:?}) worse than {b} ({:?})\n{x:?}\n{y:?}",
                sets[a],
                sets[b]
            );
        }
    }
}

fn check_finite(json: &serde_json::Value, toml: Option<&toml::Value>, path: &mut String) {
    if let Some(toml::Value::Float(x)) = toml {
        assert!(x.is_finite(), "{x} at {path}");
    }
    match json {
        serde_json::Value::Null => {
            assert!(
                toml.is_none(),
                "null at {path} is {toml:?} (NaN or infinity)"
            )
        }
        serde_json::Value::Number(n) => {
            assert!(n.as_f64().is_some_and(f64::is_finite), "{n} at {path}")
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let t = toml.and_then(|t| t.as_array()).and_then(|a| a.get(i));
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_finite(item, t, path);
                path.truncate(len);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let t = toml.and_then(|t| t.as_table()).and_then(|t| t.get(key));
                let len = path.len();
                path.push('.');
                path.push_str(key);
                check_finite(item, t, path);
                path.truncate(len);
            }
        }
        _ => {}
    }
}
