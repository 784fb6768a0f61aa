//! Mitigation effects with evidence and uncertainty (docs/MODEL.md §4, §4a, §4b, §8, §8a):
//! every shipped effect cites its evidence and carries a range; the ranges change nothing
//! without `--parameter-uncertainty`, bit for bit; drawn multipliers have the triangular mean;
//! the nested gain interval collapses without uncertainty, widens with it and is the same at
//! any thread count; the command line shows it as its own table and refuses bad options.

use crmcast::analysis::Report;
use crmcast::analysis::gain_uncertainty::{GainSettings, GainUncertainty, gain_uncertainty};
use crmcast::engine::records::Replay;
use crmcast::engine::{NoObserver, RunSettings, Sampling, simulate};
use crmcast::model::Catalogue;
use crmcast::model::catalogue::BUILTIN_CATALOGUE;
use crmcast::scenario::source::Source;
use crmcast::scenario::{CatalogueText, Scenario};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn parse(text: &str) -> Scenario {
    Scenario::from_source(&Source::new("test scenario", text)).expect("valid test scenario")
}

/// The built-in catalogue without its `[uncertainty]` table (the calibration's Laplace
/// covariance, the last table of the file), with `table` in its place.
fn builtin_with(table: &str) -> CatalogueText {
    let start = BUILTIN_CATALOGUE
        .find("\n[uncertainty]\n")
        .expect("the built-in catalogue has an [uncertainty] table");
    // The table runs to the next table header (a `[` at the start of a line) or the end.
    let end = BUILTIN_CATALOGUE[start + 1..]
        .find("\n[")
        .map_or(BUILTIN_CATALOGUE.len(), |k| start + 1 + k);
    let text = format!(
        "{}{}\n{table}\n",
        &BUILTIN_CATALOGUE[..start + 1],
        &BUILTIN_CATALOGUE[end..]
    );
    assert_eq!(
        text.matches("[uncertainty]").count(),
        usize::from(!table.is_empty())
    );
    CatalogueText {
        origin: "test catalogue".into(),
        text,
    }
}

/// `text` on the built-in catalogue without its `[uncertainty]` table: only the effect
/// ranges can be drawn.
fn parse_without_table(text: &str) -> Scenario {
    Scenario::from_source_with(&Source::new("test scenario", text), Some(builtin_with("")))
        .expect("valid test scenario")
}

fn settings(trials: u64, seed: u64, flag: bool) -> RunSettings {
    RunSettings {
        trials,
        seed,
        threads: 2,
        parameter_uncertainty: flag,
        ..RunSettings::default()
    }
}

fn crmcast(args: &[&str]) -> std::process::Output {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("crmcast");
    cmd.current_dir(root());
    cmd.args(args).output().unwrap()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The effect lines of a scenario without its ranges (and evidence).
fn without_ranges(text: &str) -> String {
    text.lines()
        .filter(|l| {
            !(l.starts_with("probability_range")
                || l.starts_with("severity_range")
                || l.starts_with("evidence"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// --- the shipped scenarios ---------------------------------------------------------------------

/// Check one scenario text: every effect has `evidence`, and a range for each multiplier it
/// states; evidence that cites Prosci says that the comparison is observational and confounded.
fn check_shipped(name: &str, text: &str) {
    let raw: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mitigations = raw["mitigations"].as_array().expect("mitigations");
    let mut effects = 0;
    for m in mitigations {
        let id = m["id"].as_str().unwrap();
        for effect in m["effects"].as_array().unwrap() {
            effects += 1;
            let factor = effect["factor"].as_str().unwrap();
            let at = format!("{name}: {id} → {factor}");
            let evidence = effect
                .get("evidence")
                .and_then(|e| e.as_str())
                .unwrap_or_else(|| panic!("{at}: no evidence"));
            assert!(evidence.len() > 40, "{at}: evidence too short: {evidence}");
            assert!(
                evidence.starts_with("assumption") || evidence.contains("Prosci"),
                "{at}: neither a source nor an assumption: {evidence}"
            );
            assert!(
                evidence.contains("CRM adoption mistakes, n.d."),
                "{at}: the remedy's source is not cited: {evidence}"
            );
            if evidence.contains("Prosci") {
                for word in ["observational", "confounded", "upper"] {
                    let lower = evidence.to_lowercase();
                    assert!(lower.contains(word), "{at}: Prosci without {word:?}");
                }
            }
            for key in ["probability", "severity"] {
                if let Some(multiplier) = effect.get(key).and_then(|v| v.as_float()) {
                    let range = effect
                        .get(format!("{key}_range").as_str())
                        .and_then(|r| r.as_array())
                        .unwrap_or_else(|| panic!("{at}: `{key}` without `{key}_range`"));
                    let [low, high] = [0, 1].map(|k| range[k].as_float().unwrap());
                    assert!(low <= multiplier && multiplier <= high, "{at}: {key}");
                    assert!(high > low, "{at}: {key}_range has no width");
                }
            }
        }
    }
    assert!(effects > 0, "{name}: no effects");
    // And the validator accepts them, with the ranges carried into the model.
    let scenario = parse(text);
    let stated: usize = scenario
        .mitigations
        .iter()
        .flat_map(|m| &m.effects)
        .map(|e| {
            usize::from(e.probability_range.is_some()) + usize::from(e.severity_range.is_some())
        })
        .sum();
    assert_eq!(scenario.ranged_multipliers().len(), stated, "{name}");
    assert!(
        scenario
            .mitigations
            .iter()
            .flat_map(|m| &m.effects)
            .all(|e| e.evidence.is_some())
    );
}

#[test]
fn every_shipped_effect_cites_evidence_and_has_a_range() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        check_shipped(&path.display().to_string(), &text);
    }
    // The templates `crmcast init` writes.
    for template in ["default", "retail_chain", "small_business", "multinational"] {
        let output = crmcast(&["init", "--template", template, "-"]);
        assert!(output.status.success(), "{}", stderr(&output));
        let text = String::from_utf8(output.stdout).unwrap();
        check_shipped(&format!("init --template {template}"), &text);
    }
}

// --- the engine ---------------------------------------------------------------------------------

/// Without the flag, ranges change nothing: the run is the run of the same scenario without
/// them, bit for bit, under every sampling design.
#[test]
fn without_the_flag_ranges_change_nothing() {
    let text = std::fs::read_to_string(root().join("scenarios/retail_chain.toml")).unwrap();
    let ranged = parse(&text);
    let plain = parse(&without_ranges(&text));
    assert!(!ranged.ranged_multipliers().is_empty());
    assert!(plain.ranged_multipliers().is_empty());
    for sampling in [Sampling::Random, Sampling::Lhs, Sampling::Sobol] {
        let settings = RunSettings {
            sampling,
            ..settings(40_000, 5, false)
        };
        let a = simulate(&ranged, &settings, &NoObserver).unwrap();
        let b = simulate(&plain, &settings, &NoObserver).unwrap();
        assert!(a == b, "{sampling:?}: the ranges changed the run");
        let (ra, rb) = (Report::build(&ranged, &a), Report::build(&plain, &b));
        assert_eq!(
            serde_json::to_string(&ra).unwrap(),
            serde_json::to_string(&rb).unwrap()
        );
    }
    // With the flag, they are drawn: the run changes.
    let on = simulate(&ranged, &settings(40_000, 5, true), &NoObserver).unwrap();
    let off = simulate(&ranged, &settings(40_000, 5, false), &NoObserver).unwrap();
    assert!(on.parameter_uncertainty);
    assert_ne!(on.strategies, off.strategies);
}

/// A scenario where only `change_resistance` can strike (probability 0.5, severity fixed at 1),
/// no runaway (a zero base hazard: the known answers below are about the effects), and one
/// mitigation acts on it with the effect lines `effect`.
fn controlled(effect: &str) -> String {
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
[project.runaway]
base_probability = 0.0
[benefits]
model = "direct"
annual = { value = 500.0 }
"#,
    );
    for factor in &catalogue.factors {
        if factor.id == "change_resistance" {
            text.push_str(
                "[factors.change_resistance]\nprobability = 0.5\nseverity = { kind = \"fixed\", value = 1.0 }\nimpact = { benefit = 0.5, cost = 1.0, schedule = 0.5, runaway = 0.0 }\n",
            );
        } else {
            text.push_str(&format!("[factors.{}]\nprobability = 0.0\n", factor.id));
        }
    }
    text.push_str(&format!(
        "[[mitigations]]\nid = \"coaching\"\ncost = {{ value = 10.0 }}\n[[mitigations.effects]]\nfactor = \"change_resistance\"\n{effect}\n[[strategies]]\nid = \"base\"\nbaseline = true\n[[strategies]]\nid = \"coached\"\nmitigations = [\"coaching\"]\n"
    ));
    text
}

fn assert_within(what: &str, value: f64, expected: f64, se: f64) {
    assert!(se > 0.0, "{what}: no standard error");
    assert!(
        (value - expected).abs() <= 4.0 * se,
        "{what}: {value} vs expected {expected} (4 SE = {})",
        4.0 * se
    );
}

/// A drawn multiplier's mean is the triangular mean (low + mode + high)/3: seen through the
/// factor's presence rate (probability multiplier) and its mean severity when it strikes
/// (severity multiplier), each within 4 standard errors.
#[test]
fn drawn_multipliers_have_the_triangular_mean() {
    let scenario = parse_without_table(&controlled(
        "probability = 0.3\nprobability_range = [0.2, 0.9]\nseverity = 0.5\nseverity_range = [0.4, 1.0]",
    ));
    let i = scenario
        .factors
        .iter()
        .position(|f| f.id == "change_resistance")
        .unwrap();
    let n = 200_000u64;
    for (flag, probability, severity) in [
        (true, (0.2 + 0.3 + 0.9) / 3.0, (0.4 + 0.5 + 1.0) / 3.0),
        (false, 0.3, 0.5),
    ] {
        let run = settings(n, 17, flag);
        let result = simulate(&scenario, &run, &NoObserver).unwrap();
        let presence = result.strategies[1].presence[i] as f64 / n as f64;
        let expected = 0.5 * probability;
        let se = (expected * (1.0 - expected) / n as f64).sqrt();
        assert_within(&format!("presence (flag {flag})"), presence, expected, se);
        // Baseline: the factor's own probability.
        let base = result.strategies[0].presence[i] as f64 / n as f64;
        assert_within("baseline presence", base, 0.5, (0.25 / n as f64).sqrt());

        // The mean severity when the factor strikes under the mitigation.
        let replay = Replay::new(&scenario, &run);
        let mut severities = vec![0.0; replay.factors()];
        let (mut count, mut sum, mut squares) = (0.0, 0.0, 0.0);
        replay.replay(&mut replay.cursor(), 0..n, |view| {
            if view.present(1, i) {
                view.severities(1, &mut severities);
                count += 1.0;
                sum += severities[i];
                squares += severities[i] * severities[i];
            }
        });
        let mean = sum / count;
        let sd = (squares / count - mean * mean).max(0.0).sqrt();
        if flag {
            assert_within("mean severity", mean, severity, sd / count.sqrt());
        } else {
            assert_eq!(mean, severity, "a fixed multiplier");
        }
    }
}

/// `--parameter-uncertainty` on a scenario with ranges and no `[uncertainty]` table runs, as
/// does one without ranges on the built-in catalogue (its own table); on a scenario with
/// neither it is refused, saying that nothing is uncertain.
#[test]
fn the_flag_needs_something_uncertain() {
    let ranged = parse_without_table(&controlled(
        "probability = 0.5\nprobability_range = [0.3, 0.8]",
    ));
    assert!(simulate(&ranged, &settings(1_000, 1, true), &NoObserver).is_ok());
    let builtin = parse(&controlled("probability = 0.5"));
    assert!(simulate(&builtin, &settings(1_000, 1, true), &NoObserver).is_ok());
    let plain = parse_without_table(&controlled("probability = 0.5"));
    let error = simulate(&plain, &settings(1_000, 1, true), &NoObserver).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    let message = error.to_string();
    for wanted in [
        "--parameter-uncertainty",
        "nothing in this scenario is uncertain",
        "probability_range",
        "fix:",
    ] {
        assert!(message.contains(wanted), "{wanted:?}: {message}");
    }
    let gain = gain_uncertainty(&plain, &GainSettings::new(1), &NoObserver).unwrap_err();
    assert_eq!(gain.exit_code(), 2);
}

// --- the nested gain interval -------------------------------------------------------------------

fn nested(scenario: &Scenario, draws: usize, trials: u64, threads: usize) -> GainUncertainty {
    let settings = GainSettings {
        draws,
        trials,
        seed: 31,
        threads,
    };
    gain_uncertainty(scenario, &settings, &NoObserver).expect("nested simulation")
}

/// With zero-width ranges and no catalogue uncertainty, every draw is the same scenario on the
/// same trials: the interval collapses to a point, and that point is the plain run's expected
/// gain on those trials (within the report's fixed-point rounding) and the long run's within
/// Monte Carlo error.
#[test]
fn without_uncertainty_the_interval_collapses_to_the_point() {
    let scenario = parse_without_table(&controlled(
        "probability = 0.5\nprobability_range = [0.5, 0.5]\nseverity = 0.8\nseverity_range = [0.8, 0.8]",
    ));
    let (draws, trials) = (40, 4_000);
    let gain = nested(&scenario, draws, trials, 0);
    assert_eq!(gain.draws, draws);
    assert_eq!(gain.effect_multipliers, 2);
    assert!(gain.parameters.is_empty());
    assert_eq!(gain.strategies.len(), 1);
    let coached = &gain.strategies[0];
    assert_eq!(coached.id, "coached");
    // The same trials, fixed: the first `trials` trials of a plain run with the same seed.
    let short = simulate(&scenario, &settings(trials, 31, false), &NoObserver).unwrap();
    let short = Report::build(&scenario, &short);
    let long = simulate(&scenario, &settings(400_000, 99, false), &NoObserver).unwrap();
    let long = Report::build(&scenario, &long);
    for figure in &coached.figures {
        let tolerance = 1e-9 * figure.mean.abs().max(1.0);
        assert!(
            (figure.high - figure.low).abs() <= tolerance,
            "{}: [{}, {}]",
            figure.id,
            figure.low,
            figure.high
        );
        assert!(
            (figure.mean - figure.low).abs() <= tolerance,
            "{}",
            figure.id
        );
        assert!(figure.sd <= tolerance, "{}: sd {}", figure.id, figure.sd);
        assert!(figure.monte_carlo_se > 0.0, "{}", figure.id);
        let point = short.strategies[1].difference(figure.id).unwrap();
        assert!(
            (figure.mean - point.value).abs() <= 1e-6 * 1000.0,
            "{}: {} vs the plain run's {}",
            figure.id,
            figure.mean,
            point.value
        );
        assert!(
            (figure.monte_carlo_se - point.se).abs() <= 0.01 * point.se + 1e-6,
            "{}: SE {} vs {}",
            figure.id,
            figure.monte_carlo_se,
            point.se
        );
        let reference = long.strategies[1].difference(figure.id).unwrap();
        assert_within(
            &format!("{} vs the long run", figure.id),
            figure.mean,
            reference.value,
            figure.monte_carlo_se.hypot(reference.se),
        );
    }
    assert!([0.0, 1.0].contains(&coached.p_npv_gain_positive));
}

/// A wide range gives a wide interval: far wider than the Monte Carlo error, and wider than a
/// narrow range's. The mean gain of a linear effect follows the multiplier's mean.
#[test]
fn a_wide_range_widens_the_interval() {
    let width = |effect: &str| {
        let gain = nested(&parse_without_table(&controlled(effect)), 200, 2_000, 0);
        let figure = gain.strategies[0].figure("p_success").unwrap().clone();
        (figure.high - figure.low, figure)
    };
    let (narrow, _) = width("probability = 0.5\nprobability_range = [0.45, 0.55]");
    let (wide, figure) = width("probability = 0.5\nprobability_range = [0.0, 1.0]");
    assert!(narrow > 0.0, "a narrow range still varies the gain");
    assert!(wide > 5.0 * narrow, "wide {wide} vs narrow {narrow}");
    assert!(
        wide > 10.0 * figure.monte_carlo_se,
        "{wide} vs MC {}",
        figure.monte_carlo_se
    );
    // P(success) gains: the factor's 0.5 chance is cut to 0.5·m, so the gain at multiplier m
    // is 0.5·(1 − m) times the loss of success when it strikes: linear in m, so its 2.5 % and
    // 97.5 % quantiles are about 0.22 and 1.78 times the mean for m ~ triangular(0, 0.5, 1).
    assert!(figure.low < 0.4 * figure.mean, "{figure:?}");
    assert!(figure.high > 1.5 * figure.mean, "{figure:?}");
}

/// Catalogue uncertainty alone (no ranges) also gives an interval: a test table, and the
/// built-in catalogue's own (which draws, among others, change_resistance's benefit impact).
#[test]
fn catalogue_uncertainty_alone_gives_an_interval() {
    let catalogue = builtin_with(
        "[uncertainty]\nparameters = [\"probability:change_resistance\", \"cost:change_resistance\"]\ncovariance = [[0.01, 0.0], [0.0, 0.04]]",
    );
    let scenario = Scenario::from_source_with(
        &Source::new("scenario.toml", controlled("probability = 0.5")),
        Some(catalogue),
    )
    .unwrap();
    let gain = nested(&scenario, 60, 2_000, 0);
    assert_eq!(gain.effect_multipliers, 0);
    assert_eq!(
        gain.parameters,
        ["probability:change_resistance", "cost:change_resistance"]
    );
    let figure = gain.strategies[0].figure("npv_mean").unwrap();
    assert!(figure.high > figure.low, "{figure:?}");

    let builtin = parse(&controlled("probability = 0.5"));
    let table = builtin.uncertainty.as_ref().expect("the built-in table");
    assert!(table.len() > 2);
    let gain = nested(&builtin, 60, 2_000, 0);
    assert_eq!(gain.effect_multipliers, 0);
    assert_eq!(gain.parameters.len(), table.len());
    assert!(
        gain.parameters
            .iter()
            .any(|p| p == "benefit:change_resistance")
    );
    let figure = gain.strategies[0].figure("npv_mean").unwrap();
    assert!(figure.high > figure.low, "{figure:?}");
}

/// Same seed, same interval, whatever the thread count.
#[test]
fn the_interval_is_the_same_at_any_thread_count() {
    let text = std::fs::read_to_string(root().join("scenarios/small_business.toml")).unwrap();
    let scenario = parse(&text);
    let one = nested(&scenario, 40, 500, 1);
    let two = nested(&scenario, 40, 500, 2);
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&two).unwrap()
    );
    assert_eq!(one.strategies.len(), scenario.strategies.len() - 1);
    assert_eq!(one.effect_multipliers, scenario.ranged_multipliers().len());
}

// --- the command line ---------------------------------------------------------------------------

const FAST: [&str; 7] = [
    "--parameter-uncertainty",
    "--trials",
    "20000",
    "--uncertainty-draws",
    "40",
    "--uncertainty-trials",
    "500",
];

#[test]
fn run_and_compare_show_the_interval_apart_from_monte_carlo_error() {
    for command in ["run", "compare"] {
        for (format, heading) in [
            (
                "table",
                "parameter and effect uncertainty (not Monte Carlo error)",
            ),
            (
                "markdown",
                "## Gain over the baseline \"no_mitigation\" from parameter and effect uncertainty (not Monte Carlo error)",
            ),
        ] {
            let mut args = vec![
                command,
                "scenarios/default.toml",
                "--quiet",
                "--format",
                format,
            ];
            args.extend(FAST);
            let output = crmcast(&args);
            assert!(output.status.success(), "{}", stderr(&output));
            let text = String::from_utf8_lossy(&output.stdout);
            assert!(text.contains(heading), "{command} {format}:\n{text}");
            assert!(
                text.contains("Monte Carlo SE (not in the interval)"),
                "{text}"
            );
            assert!(text.contains("share of draws with an NPV gain"), "{text}");
        }
    }
    let mut args = vec![
        "run",
        "scenarios/default.toml",
        "--quiet",
        "--format",
        "json",
    ];
    args.extend(FAST);
    let output = crmcast(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let gain = &report["gain_uncertainty"];
    assert_eq!(gain["draws"], 40);
    assert_eq!(gain["trials_per_draw"], 500);
    assert_eq!(gain["effect_multipliers"], 39);
    let strategies = gain["strategies"].as_array().unwrap();
    assert_eq!(strategies.len(), 4);
    for s in strategies {
        let figures = s["figures"].as_array().unwrap();
        let ids: Vec<&str> = figures.iter().map(|f| f["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["npv_mean", "p_success", "overrun_mean"]);
        for f in figures {
            let (low, mean, high) = (
                f["low"].as_f64().unwrap(),
                f["mean"].as_f64().unwrap(),
                f["high"].as_f64().unwrap(),
            );
            assert!(
                low <= high && f["monte_carlo_se"].as_f64().unwrap() > 0.0,
                "{f}"
            );
            assert!(f["sd"].as_f64().unwrap() >= 0.0 && mean.is_finite(), "{f}");
        }
        let share = s["p_npv_gain_positive"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&share));
    }
    // CSV: the rows of section `parameter_gain`.
    let mut args = vec![
        "compare",
        "scenarios/default.toml",
        "--quiet",
        "--format",
        "csv",
    ];
    args.extend(FAST);
    let output = crmcast(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let csv = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        csv.lines()
            .filter(|l| l.starts_with("parameter_gain,"))
            .count(),
        4 * 4
    );
    // Without the flag: no interval.
    let output = crmcast(&[
        "run",
        "scenarios/default.toml",
        "--quiet",
        "--trials",
        "5000",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["gain_uncertainty"].is_null());
}

#[test]
fn bad_interval_options_are_refused() {
    for (option, value, wanted) in [
        (
            "--uncertainty-draws",
            "5",
            "5 draws is outside [40, 100000]",
        ),
        (
            "--uncertainty-trials",
            "10",
            "10 trials per draw is outside [100, 10000000]",
        ),
    ] {
        let output = crmcast(&[
            "run",
            "scenarios/default.toml",
            "--quiet",
            "--parameter-uncertainty",
            option,
            value,
        ]);
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{text}");
        assert!(text.contains(option) && text.contains(wanted), "{text}");
        assert!(text.contains("fix:"), "{text}");
    }
    // Only with --parameter-uncertainty.
    let output = crmcast(&["run", "--uncertainty-draws", "100", "--quiet"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--parameter-uncertainty"));
    // Nothing uncertain (no ranges, a catalogue without a table): refused before the run.
    let output = crmcast(&[
        "compare",
        "tests/catalogues/scenario.toml",
        "--catalogue",
        "tests/catalogues/no_uncertainty.toml",
        "--parameter-uncertainty",
        "--quiet",
    ]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains("nothing in this scenario is uncertain"),
        "{text}"
    );
}

#[test]
fn the_schema_documents_ranges_and_evidence() {
    let output = crmcast(&["schema"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let effect = &schema["$defs"]["RawEffect"]["properties"];
    for key in ["probability_range", "severity_range", "evidence"] {
        let description = effect[key]["description"].as_str().unwrap_or_default();
        assert!(!description.is_empty(), "{key}: {}", effect[key]);
    }
    assert!(
        effect["evidence"]["description"]
            .as_str()
            .unwrap()
            .contains("assumption")
    );
}
