//! `crmcast calibrate` against published figures: the shipped catalogue is its output, it
//! recovers parameters from targets computed at known values, it names targets that pull
//! against each other, and a calibrated catalogue can be named by a scenario.

use assert_cmd::Command;
use crmcast::analysis::calibrate::{self, CalibrationSettings, FreeParameter};
use crmcast::analysis::targets::{Figure, Target, TargetSet};
use crmcast::model::Catalogue;
use crmcast::scenario::BUILTIN_DEFAULT;
use crmcast::scenario::source::Source;

fn crmcast() -> Command {
    Command::cargo_bin("crmcast").expect("binary")
}

/// The catalogue text without the provenance lines that name the date and the command line.
fn without_date_and_command(text: &str) -> String {
    text.lines()
        .enumerate()
        .filter(|(i, _)| *i != 1 && *i != 2)
        .map(|(_, l)| l)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_shipped_catalogue_is_the_output_of_calibrate_on_the_prior() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("catalogue.toml");
    crmcast()
        .args([
            "calibrate",
            "--catalogue",
            "data/catalogue-prior.toml",
            "-q",
        ])
        .arg("--output")
        .arg(&output)
        .assert()
        .success();
    let written = std::fs::read_to_string(&output).expect("written");
    let shipped = std::fs::read_to_string("data/catalogue.toml").expect("shipped");
    assert_eq!(
        without_date_and_command(&written),
        without_date_and_command(&shipped),
        "data/catalogue.toml is not what `crmcast calibrate --catalogue data/catalogue-prior.toml` writes: re-run it (see the file's header)"
    );
}

fn target(id: &str, metric: &str, value: f64, tolerance: f64) -> Target {
    Target {
        id: id.into(),
        figure: Figure {
            metric: Some(metric.into()),
            ..Figure::default()
        },
        value,
        tolerance,
        source: "test".into(),
    }
}

fn targets_only(targets: Vec<Target>) -> TargetSet {
    TargetSet {
        targets,
        constraints: Vec::new(),
    }
}

fn settings(trials: u64, seed: u64, max_iterations: u64) -> CalibrationSettings {
    CalibrationSettings {
        trials,
        seed,
        threads: 0,
        max_iterations,
        initial_step: 0.2,
        allow_underdetermined: false,
    }
}

/// Targets computed at known parameter values (the built-in catalogue) are fitted from a
/// perturbed start; the fitted values land on the truth within 4 Monte Carlo standard errors
/// (the fit's own delta-method SE, inflated for the targets' sampling error).
#[test]
fn aggregate_calibration_recovers_perturbed_parameters() {
    let mut truth = Catalogue::builtin().expect("catalogue");
    // A known truth inside log_cost_sd's range [0.08, 0.30]: the shipped fit sits near its
    // upper end (0.2994), where a fit from a perturbed start may stop on the bound and a
    // bound has no delta-method standard error.
    truth.estimate.log_cost_sd = 0.25;
    let scenario = Source::new("default", BUILTIN_DEFAULT);
    let metrics = [
        "p_missed_objectives",
        "black_swan_overrun",
        "p_deviation_10",
        "slip_mean",
    ];
    let (truth_trials, fit_trials) = (400_000u64, 40_000u64);
    let probe = targets_only(metrics.iter().map(|m| target(m, m, 0.0, 1.0)).collect());
    let at_truth = calibrate::evaluate(&scenario, &truth, &probe, truth_trials, 77, 0)
        .expect("simulate")
        .targets;
    let targets = targets_only(
        at_truth
            .iter()
            .map(|c| {
                let id = &c.target.id;
                // Tolerances of a few truth-run SEs: they weight the objective, nothing more.
                target(id, id, c.fitted.value, 0.02 * c.fitted.value.abs().max(0.1))
            })
            .collect(),
    );
    let free = calibrate::parse_free("benefit_scale,runaway_scale,log_cost_sd", &truth)
        .expect("free parameters");
    assert_eq!(free[0], FreeParameter::BenefitScale);
    // Perturb the truth: the fit must undo it.
    let perturbation = [0.25, -0.3, -0.2];
    let start = calibrate::apply(&truth, &free, &perturbation);
    struct Quiet;
    impl calibrate::CalibrationObserver for Quiet {}
    let fit = calibrate::calibrate(
        &scenario,
        &start,
        &free,
        &targets,
        &settings(fit_trials, 3, 300),
        &Quiet,
    )
    .expect("calibration");
    let inflation = (1.0 + fit_trials as f64 / truth_trials as f64).sqrt();
    // The truth in each parameter's reported unit: the multipliers that undo the
    // perturbation, and the truth's own estimating-error sd.
    let expected = [
        (-perturbation[0]).exp(),
        (-perturbation[1]).exp(),
        truth.estimate.log_cost_sd,
    ];
    for (parameter, &expected) in fit.parameters.iter().zip(&expected) {
        let se = parameter.monte_carlo_se * inflation;
        assert!(
            se.is_finite() && se > 0.0,
            "{}: no standard error",
            parameter.name
        );
        assert!(
            (parameter.value - expected).abs() < 4.0 * se.max(0.002),
            "{}: fitted {:.4}, truth {:.4}, se {:.4}",
            parameter.name,
            parameter.value,
            expected,
            se
        );
        assert!(
            parameter.evidence_sd.is_finite() && parameter.evidence_sd > 0.0,
            "{}: the evidence's sd is reported",
            parameter.name
        );
    }
    assert!(fit.all_within_tolerance, "{:?}", fit.targets);
    assert!(fit.unidentified.is_empty());
}

/// Two parameters that move the only target in the same way are not identified, and the
/// verdict says so even though the target is met.
#[test]
fn what_the_targets_cannot_identify_is_named() {
    let catalogue = Catalogue::builtin().expect("catalogue");
    let scenario = Source::new("default", BUILTIN_DEFAULT);
    let targets = targets_only(vec![target("missed", "p_missed_objectives", 0.65, 0.03)]);
    let free =
        calibrate::parse_free("benefit_scale,impact:change_resistance", &catalogue).expect("free");
    struct Quiet;
    impl calibrate::CalibrationObserver for Quiet {}
    // Two free parameters against one target: refused unless allowed.
    let refused = calibrate::calibrate(
        &scenario,
        &catalogue,
        &free,
        &targets,
        &settings(5_000, 1, 40),
        &Quiet,
    );
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("2 free parameters against 1 independent targets"),
        "{message}"
    );
    let mut allowed = settings(5_000, 1, 40);
    allowed.allow_underdetermined = true;
    let fit = calibrate::calibrate(&scenario, &catalogue, &free, &targets, &allowed, &Quiet)
        .expect("calibration");
    assert_eq!(fit.unidentified.len(), 1, "{:?}", fit.unidentified);
    assert!(!fit.clean());
    assert!(
        fit.verdict().contains("not identified"),
        "{}",
        fit.verdict()
    );
}

#[test]
fn targets_that_cannot_be_met_together_are_named() {
    let catalogue = Catalogue::builtin().expect("catalogue");
    let scenario = Source::new("default", BUILTIN_DEFAULT);
    // The same figure asked to be two things at once.
    let targets = vec![
        target("low_overrun", "overrun_mean", 0.05, 0.02),
        target("high_overrun", "overrun_mean", 0.60, 0.02),
    ];
    let free = calibrate::parse_free("runaway_scale,log_cost_mean", &catalogue).expect("free");
    struct Quiet;
    impl calibrate::CalibrationObserver for Quiet {}
    let fit = calibrate::calibrate(
        &scenario,
        &catalogue,
        &free,
        &targets_only(targets),
        &settings(5_000, 1, 60),
        &Quiet,
    )
    .expect("calibration");
    assert!(!fit.all_within_tolerance);
    assert!(
        fit.conflicts
            .iter()
            .any(|c| c.target == "low_overrun" && c.against == "high_overrun" && c.cosine < -0.9),
        "{:?}",
        fit.conflicts
    );
}

#[test]
fn the_cli_says_plainly_when_targets_pull_against_each_other() {
    let dir = tempfile::tempdir().expect("temp dir");
    let targets = dir.path().join("targets.toml");
    std::fs::write(
        &targets,
        "[[targets]]\nid = \"cheap\"\nmetric = \"overrun_mean\"\nvalue = 0.0\ntolerance = 0.02\nsource = \"a\"\n\n[[targets]]\nid = \"dear\"\nmetric = \"overrun_mean\"\nvalue = 0.8\ntolerance = 0.02\nsource = \"b\"\n",
    )
    .expect("write");
    crmcast()
        .args([
            "calibrate",
            "--free",
            "runaway_scale",
            "--trials",
            "3000",
            "--max-iterations",
            "30",
            "-q",
        ])
        .arg("--targets")
        .arg(&targets)
        .arg("--output")
        .arg(dir.path().join("out.toml"))
        .assert()
        .success()
        .stdout(predicates::str::contains("cannot all be met together"))
        .stdout(predicates::str::contains("improving cheap worsens dear"));
}

#[test]
fn bad_free_parameters_and_targets_exit_2_with_a_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.toml");
    crmcast()
        .args(["calibrate", "--free", "cost_scael", "--output"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unknown free parameter \"cost_scael\"",
        ))
        .stderr(predicates::str::contains("fix:"));
    crmcast()
        .args(["calibrate", "--free", "impact:no_such_factor", "--output"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unknown factor \"no_such_factor\"",
        ));
    // More free parameters than the published figures identify: refused before any run.
    crmcast()
        .args([
            "calibrate",
            "--free",
            "group_weights,benefit_scale,cost_scale,schedule_scale,runaway_scale,probability_scale,log_cost_mean,log_cost_sd",
            "--output",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "15 free parameters against 14 independent targets",
        ))
        .stderr(predicates::str::contains("--allow-underdetermined"));
    let targets = dir.path().join("targets.toml");
    std::fs::write(
        &targets,
        "[[targets]]\nid = \"x\"\nmetric = \"no_such_metric\"\nvalue = 0.5\ntolerance = 0.1\nsource = \"s\"\n",
    )
    .expect("write");
    crmcast()
        .args([
            "calibrate",
            "--free",
            "runaway_scale",
            "--trials",
            "2000",
            "--output",
        ])
        .arg(&out)
        .arg("--targets")
        .arg(&targets)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("names no figure of the report"));
    assert!(!out.exists(), "nothing written after an error");
}

#[test]
fn a_scenario_can_name_a_calibrated_catalogue_inside_its_folder_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A catalogue whose costs are twice the built-in ones' makes overruns larger.
    let calibrated = dir.path().join("calibrated.toml");
    crmcast()
        .args([
            "calibrate",
            "--free",
            "runaway_scale",
            "--trials",
            "2000",
            "--max-iterations",
            "10",
            "-q",
        ])
        .arg("--output")
        .arg(&calibrated)
        .assert()
        .success();
    let text = std::fs::read_to_string(&calibrated).expect("calibrated");
    assert!(text.starts_with("# --- crmcast calibrate: provenance ---"));
    assert!(text.contains("# seed: 1, 2000 trials per evaluation"));
    let scenario = BUILTIN_DEFAULT.replacen(
        "[scenario]\n",
        "[scenario]\ncatalogue = \"calibrated.toml\"\n",
        1,
    );
    assert_ne!(
        scenario, BUILTIN_DEFAULT,
        "the default scenario has a [scenario] table"
    );
    let path = dir.path().join("project.toml");
    std::fs::write(&path, &scenario).expect("write");
    crmcast()
        .args(["run", "--trials", "2000", "-q", "--format", "json"])
        .arg(&path)
        .assert()
        .success();
    for (named, why) in [
        (
            "../calibrated.toml",
            "not a path inside the scenario's folder",
        ),
        ("/etc/passwd", "not a path inside the scenario's folder"),
        ("missing.toml", "missing.toml"),
    ] {
        let text = BUILTIN_DEFAULT.replacen(
            "[scenario]\n",
            &format!("[scenario]\ncatalogue = \"{named}\"\n"),
            1,
        );
        std::fs::write(&path, text).expect("write");
        crmcast()
            .args(["run", "--trials", "2000", "-q"])
            .arg(&path)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(why));
    }
    // --catalogue replaces what the scenario names.
    crmcast()
        .args(["run", "--trials", "2000", "-q", "--catalogue"])
        .arg(&calibrated)
        .arg(&path)
        .assert()
        .success();
}
