//! `crmcast calibrate --data`: parameter recovery on project records drawn from a known truth
//! (the built-in catalogue), interval coverage over repeated draws, and the CLI's handling of
//! bad cells, missing values and unknown columns.

use assert_cmd::Command;
use crmcast::analysis::project_fit::{self, FitOptions, ProjectData};
use crmcast::engine::projects::simulate_projects;
use crmcast::scenario::Scenario;

fn crmcast() -> Command {
    Command::cargo_bin("crmcast").expect("binary")
}

/// Over repeated data sets drawn from the built-in catalogue, the 95 % intervals of the cost,
/// schedule and benefit impacts and of the probabilities cover the true values at the nominal
/// rate. Tolerance: 4 binomial standard errors of the pooled coverage, the intervals being
/// treated as independent (they are nearly so: the factors are rated independently of the
/// estimate noise).
#[test]
fn intervals_cover_the_true_weights_at_about_the_nominal_rate() {
    let scenario = Scenario::builtin_default().expect("default");
    let options = FitOptions {
        burn: scenario.project.team_burn_share,
        failed_share: scenario.project.failed_benefit_share,
        folds: 2,
        seed: 1,
    };
    let catalogue = crmcast::model::Catalogue::builtin().expect("catalogue");
    let (mut covered, mut intervals) = ([0usize; 4], [0usize; 4]);
    let replicates = 30;
    for replicate in 0..replicates {
        let records = simulate_projects(&scenario, scenario.baseline, 1500, 100 + replicate, 0.0);
        let data = ProjectData::from_records(&records, scenario.factors.len(), "simulated");
        let fit = project_fit::fit(&data, &catalogue, &options).expect("fit");
        for (k, factor) in scenario.factors.iter().enumerate() {
            let truth = factor.impact;
            let checks = [
                (
                    0,
                    &fit.cost.as_ref().expect("cost").fit.coefficients[k + 1],
                    truth.cost,
                ),
                (
                    1,
                    &fit.schedule.as_ref().expect("schedule").fit.coefficients[k + 1],
                    truth.schedule,
                ),
                (
                    2,
                    &fit.benefit.as_ref().expect("benefit").fit.impacts[k],
                    truth.benefit,
                ),
            ];
            for (channel, c, truth) in checks {
                intervals[channel] += 1;
                covered[channel] += usize::from(c.low <= truth && truth <= c.high);
            }
            let p = &fit.probabilities[k];
            intervals[3] += 1;
            covered[3] += usize::from(p.low <= factor.probability && factor.probability <= p.high);
        }
    }
    for (channel, name) in ["cost", "schedule", "benefit", "probability"]
        .iter()
        .enumerate()
    {
        let n = intervals[channel] as f64;
        let rate = covered[channel] as f64 / n;
        let se = (0.95 * 0.05 / n).sqrt();
        assert!(
            (rate - 0.95).abs() < 4.0 * se,
            "{name}: coverage {rate:.3} over {n} intervals (se {se:.4})"
        );
    }
}

/// The estimating error is recovered too: the cost model's intercept and residual sd are the
/// catalogue's log-cost mean and sd, the benefit noise's σ its benefit_sd.
#[test]
fn the_estimating_error_is_recovered() {
    let scenario = Scenario::builtin_default().expect("default");
    let catalogue = crmcast::model::Catalogue::builtin().expect("catalogue");
    let records = simulate_projects(&scenario, scenario.baseline, 20_000, 5, 0.0);
    let data = ProjectData::from_records(&records, scenario.factors.len(), "simulated");
    let options = FitOptions {
        burn: scenario.project.team_burn_share,
        failed_share: scenario.project.failed_benefit_share,
        folds: 2,
        seed: 1,
    };
    let fit = project_fit::fit(&data, &catalogue, &options).expect("fit");
    let estimate = scenario.project.estimate;
    let cost = &fit.cost.as_ref().expect("cost").fit;
    let intercept = &cost.coefficients[0];
    assert!((intercept.estimate - estimate.log_cost_mean).abs() < 4.0 * intercept.standard_error);
    // The sd of a normal sample's sd is σ/√(2n).
    let sd_se = estimate.log_cost_sd / (2.0 * cost.rows as f64).sqrt();
    assert!((cost.residual_sd - estimate.log_cost_sd).abs() < 4.0 * sd_se);
    let sigma = &fit.benefit.as_ref().expect("benefit").fit.sigma;
    assert!((sigma.estimate - estimate.benefit_sd).abs() < 4.0 * sigma.standard_error);
    let rho = fit.cost_schedule_correlation.expect("correlation");
    let rho_se = (1.0 - estimate.cost_schedule_correlation.powi(2)) / (cost.rows as f64).sqrt();
    assert!((rho - estimate.cost_schedule_correlation).abs() < 4.0 * rho_se);
    // The outcome model separates successes from misses far better than chance.
    let outcome = fit.outcome.as_ref().expect("outcome");
    assert!(
        outcome.cross_validated.auc > 0.7,
        "{:?}",
        outcome.cross_validated
    );
}

#[test]
fn the_cli_fits_simulated_projects_with_missing_values_and_writes_a_catalogue() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("projects.csv");
    crmcast()
        .args([
            "simulate-projects",
            "--n",
            "600",
            "--missing",
            "0.02",
            "--seed",
            "3",
            "--output",
        ])
        .arg(&data)
        .assert()
        .success();
    let fitted = dir.path().join("fitted.toml");
    let report = dir.path().join("report.json");
    crmcast()
        .args(["calibrate", "--format", "json", "--data"])
        .arg(&data)
        .arg("--output")
        .arg(&fitted)
        .arg("--report")
        .arg(&report)
        .assert()
        .success();
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    let cost = &record["cost"];
    assert_eq!(
        cost["rows_used"].as_u64().unwrap_or(0) + cost["rows_left_out"].as_u64().unwrap_or(0),
        600
    );
    assert!(
        cost["rows_left_out"].as_u64().unwrap_or(0) > 0,
        "missing ratings leave rows out, and say so"
    );
    let text = std::fs::read_to_string(&fitted).expect("catalogue");
    assert!(text.contains("[uncertainty]"));
    assert!(text.contains("# project data:"));
    // The fitted catalogue is a catalogue: a run can use it.
    crmcast()
        .args(["run", "--trials", "2000", "-q", "--catalogue"])
        .arg(&fitted)
        .assert()
        .success();
}

#[test]
fn bad_cells_are_reported_with_row_and_column_and_nothing_is_fitted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("bad.csv");
    std::fs::write(
        &data,
        "project,unclear_strategy,poor_data_quality,outcome,overrun\n\
         A,0.5,0,success,0.1\n\
         B,1.7,0,failed,0.9\n\
         C,0.2,,challenged,abc\n\
         D,present,0,exploded,0.2\n",
    )
    .expect("write");
    let out = dir.path().join("out.toml");
    crmcast()
        .args(["calibrate", "--data"])
        .arg(&data)
        .arg("--output")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("3 bad cell(s)"))
        .stderr(predicates::str::contains(
            "row 3, column `unclear_strategy`: \"1.7\"",
        ))
        .stderr(predicates::str::contains(
            "row 4, column `overrun`: \"abc\"",
        ))
        .stderr(predicates::str::contains(
            "row 5, column `outcome`: \"exploded\"",
        ))
        .stderr(predicates::str::contains("fix:"));
    assert!(!out.exists());
    std::fs::write(&data, "project,poor_data_qualty,overrun\nA,0.5,0.1\n").expect("write");
    crmcast()
        .args(["calibrate", "--data"])
        .arg(&data)
        .arg("--output")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "unknown column `poor_data_qualty`",
        ))
        .stderr(predicates::str::contains(
            "did you mean `poor_data_quality`?",
        ));
}

#[test]
fn covariates_are_coded_and_reported() {
    let scenario = Scenario::builtin_default().expect("default");
    let records = simulate_projects(&scenario, scenario.baseline, 400, 8, 0.0);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("projects.csv");
    let mut text =
        String::from("unclear_strategy,no_executive_sponsor,industry,size,overrun,slip\n");
    for (k, r) in records.iter().enumerate() {
        let industry = ["retail", "banking", "telecom"][k % 3];
        text.push_str(&format!(
            "{},{},{industry},{},{},{}\n",
            r.ratings[0].unwrap_or(0.0),
            r.ratings[1].unwrap_or(0.0),
            (k % 7) as f64,
            r.outcome.overrun,
            r.outcome.slip
        ));
    }
    std::fs::write(&data, text).expect("write");
    let out = dir.path().join("out.toml");
    crmcast()
        .args([
            "calibrate",
            "--covariates",
            "industry,size",
            "--format",
            "csv",
            "--data",
        ])
        .arg(&data)
        .arg("--output")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("cost,industry=retail,"))
        .stdout(predicates::str::contains("cost,industry=telecom,"))
        .stdout(predicates::str::contains("cost,size,"));
}

#[test]
fn simulate_projects_refuses_bad_options_with_a_fix() {
    for (args, message) in [
        (vec!["--n", "0"], "ask for 1 to 10,000,000 projects"),
        (vec!["--missing", "1.5"], "is not a share between 0 and 0.9"),
        (
            vec!["--strategy", "no_such"],
            "the scenario has no strategy \"no_such\"",
        ),
    ] {
        crmcast()
            .arg("simulate-projects")
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(message))
            .stderr(predicates::str::contains("fix:"));
    }
}

#[test]
fn simulated_projects_are_reproducible_and_rate_every_factor() {
    let run = || {
        crmcast()
            .args(["simulate-projects", "--n", "50", "--seed", "4"])
            .output()
            .expect("run")
            .stdout
    };
    let first = run();
    assert_eq!(first, run(), "same seed, same records");
    let text = String::from_utf8(first).expect("utf-8");
    let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
    let factors = crmcast::model::Catalogue::builtin_factor_ids().expect("ids");
    assert_eq!(header[0], "project");
    assert_eq!(&header[1..=factors.len()], factors.as_slice());
    assert_eq!(
        &header[factors.len() + 1..],
        ["outcome", "overrun", "slip", "benefit_realisation"]
    );
    assert_eq!(text.lines().count(), 51);
}
