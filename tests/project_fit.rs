//! `crmcast calibrate --data`: parameter recovery on project records drawn from a known truth
//! (the built-in catalogue), interval coverage over repeated draws, and the CLI's handling of
//! bad cells, missing values and unknown columns.
//!
//! Under outcome model v2 a runaway multiplies a project's cost by its size Y and its duration
//! by Y^φ: the records say which projects ran away, the cost and schedule models are fitted on
//! the others, and the runaway hazard is fitted on all of them.

use assert_cmd::Command;
use crmcast::analysis::imputation::ImputationSettings;
use crmcast::analysis::project_fit::{self, FitOptions, MissingData, ProjectData};
use crmcast::engine::projects::simulate_projects;
use crmcast::scenario::Scenario;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn crmcast() -> Command {
    Command::cargo_bin("crmcast").expect("binary")
}

/// Over repeated data sets drawn from the built-in catalogue, the 95 % intervals of the cost,
/// schedule and benefit impacts, of the probabilities and of the runaway hazard (ln λ₀ and the
/// r_i) cover the true values at the nominal rate, or above it for impacts near their bound.
/// Tolerance: 4 binomial standard errors of the pooled coverage, the intervals being treated
/// as independent (they are nearly so: the factors are rated independently of the estimate
/// noise).
#[test]
fn intervals_cover_the_true_weights_at_about_the_nominal_rate() {
    check_coverage(30, 1500, MissingData::CompleteCases, |_, _| {});
}

/// The same (15 data sets of 1,000 projects) with 10 % of the ratings missing completely at
/// random, multiply imputed (10 data sets, 5 cycles) and pooled by Rubin's rules.
#[test]
fn imputed_intervals_cover_at_the_nominal_rate_with_ratings_missing_completely_at_random() {
    check_coverage(15, 1000, imputation(), |data, rng| {
        for row in &mut data.ratings {
            for rating in row.iter_mut() {
                if rng.random_bool(0.1) {
                    *rating = None;
                }
            }
        }
    });
}

/// The same with 10 % of the ratings missing at random given an observed value: a rating of a
/// project whose overrun is above the median is missing with probability 0.15, otherwise 0.05.
/// Complete cases would lose about 85 % of the projects here (1 − 0.9¹⁸).
#[test]
fn imputed_intervals_cover_at_the_nominal_rate_with_ratings_missing_at_random() {
    check_coverage(15, 1000, imputation(), |data, rng| {
        let mut overruns: Vec<f64> = data.overrun.iter().flatten().copied().collect();
        overruns.sort_by(f64::total_cmp);
        let median = overruns[overruns.len() / 2];
        for (row, overrun) in data.ratings.iter_mut().zip(&data.overrun) {
            let p = if overrun.is_some_and(|o| o > median) {
                0.15
            } else {
                0.05
            };
            for rating in row.iter_mut() {
                if rng.random_bool(p) {
                    *rating = None;
                }
            }
        }
    });
}

fn imputation() -> MissingData {
    MissingData::Impute(ImputationSettings {
        imputations: 10,
        iterations: 5,
        donors: 5,
        seed: 3,
    })
}

fn check_coverage(
    replicates: u64,
    projects: usize,
    missing: MissingData,
    remove: impl Fn(&mut ProjectData, &mut Xoshiro256PlusPlus),
) {
    let scenario = Scenario::builtin_default().expect("default");
    let options = FitOptions {
        burn: scenario.project.team_burn_share,
        failed_share: scenario.project.failed_benefit_share,
        folds: 2,
        seed: 1,
        missing,
    };
    let catalogue = crmcast::model::Catalogue::builtin().expect("catalogue");
    let (mut covered, mut intervals) = ([0usize; 5], [0usize; 5]);
    let log_base_hazard = (-(-scenario.project.runaway.base_probability).ln_1p()).ln();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(17);
    for replicate in 0..replicates {
        let records =
            simulate_projects(&scenario, scenario.baseline, projects, 100 + replicate, 0.0);
        let mut data = ProjectData::from_records(&records, scenario.factors.len(), "simulated");
        remove(&mut data, &mut rng);
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
        let runaway = fit.runaway.as_ref().expect("runaway model");
        let hazard = runaway.fit.as_ref().expect("hazard fitted");
        let truths = std::iter::once(log_base_hazard)
            .chain(scenario.factors.iter().map(|f| f.impact.runaway));
        for (c, truth) in hazard.coefficients.iter().zip(truths) {
            intervals[4] += 1;
            covered[4] += usize::from(c.low <= truth && truth <= c.high);
        }
    }
    for (channel, name) in ["cost", "schedule", "benefit", "probability", "runaway"]
        .iter()
        .enumerate()
    {
        let n = intervals[channel] as f64;
        let rate = covered[channel] as f64 / n;
        let se = (0.95 * 0.05 / n).sqrt();
        eprintln!("{missing:?} {name}: coverage {rate:.3} over {n} intervals");
        // An impact fitted under its bound has a conservative interval near the bound (0.975
        // at a true 0, docs/CALIBRATION.md "Constraints"), and the catalogue's cost, schedule
        // and runaway impacts lie within an SE or two of 0: those channels must not fall
        // short of 0.95. The probabilities have no bound there: 0.95 both ways.
        if *name == "probability" {
            assert!(
                (rate - 0.95).abs() < 4.0 * se,
                "{name}: coverage {rate:.3} over {n} intervals (se {se:.4})"
            );
        } else {
            assert!(
                rate > 0.95 - 4.0 * se && rate < 1.0,
                "{name}: coverage {rate:.3} over {n} intervals (se {se:.4})"
            );
        }
    }
}

/// The estimating error is recovered too: the cost model's intercept and residual sd are the
/// catalogue's log-cost mean and sd, the benefit noise's σ its benefit_sd (the runaways left
/// out of the cost and schedule models, which the records mark).
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
        missing: MissingData::CompleteCases,
    };
    let fit = project_fit::fit(&data, &catalogue, &options).expect("fit");
    let estimate = scenario.project.estimate;
    let cost_model = fit.cost.as_ref().expect("cost");
    let runaways = records.iter().filter(|r| r.outcome.runaway).count();
    assert_eq!(cost_model.runaways_excluded, runaways);
    assert_eq!(cost_model.rows_used + cost_model.runaways_excluded, 20_000);
    // Only notes of bounds that bind (factors with no true cost impact are held at 0 about half
    // the time): nothing else to warn of.
    assert!(
        fit.warnings.iter().all(|w| w.contains("bounds bind")),
        "{:?}",
        fit.warnings
    );
    let cost = &cost_model.fit;
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
    let count = |v: &serde_json::Value| v.as_u64().expect("a count");
    let runaways = count(&cost["runaways_excluded"]);
    assert!(runaways >= 10, "about 9 % of projects run away");
    assert_eq!(
        count(&cost["rows_used"]) + count(&cost["rows_left_out"]) + runaways,
        600
    );
    // Missing ratings are imputed (the default), and the report says how many and pools.
    let missing = &record["missing_data"];
    assert_eq!(missing["method"], "multiple imputation");
    assert_eq!(missing["imputations"], 20);
    assert!(count(&missing["rows_with_missing"]) > 0);
    assert_eq!(count(&cost["rows_left_out"]), 0);
    for c in cost["fit"]["coefficients"]
        .as_array()
        .expect("coefficients")
    {
        let fmi = c["fraction_missing_information"].as_f64().expect("γ");
        assert!((0.0..1.0).contains(&fmi), "{c}");
    }
    let runaway = &record["runaway"];
    assert_eq!(runaway["written"], true, "{runaway}");
    assert!(count(&runaway["runaways"]) >= 10);
    assert!(
        runaway["fit"]["coefficients"]
            .as_array()
            .expect("list")
            .len()
            > 1
    );
    assert!(runaway["base_probability"]["estimate"].as_f64().expect("p") > 0.0);
    for scores in ["in_sample", "cross_validated"] {
        assert!(
            runaway[scores]["auc"].as_f64().expect("auc") > 0.5,
            "{scores}"
        );
    }
    assert!(record["impacts"][0]["runaway"].as_f64().is_some());
    let warnings = record["warnings"].as_array().expect("warnings");
    assert!(
        warnings
            .iter()
            .all(|w| w.as_str().is_some_and(|w| w.contains("bounds bind"))),
        "{warnings:?}"
    );
    let text = std::fs::read_to_string(&fitted).expect("catalogue");
    assert!(text.contains("[uncertainty]"));
    assert!(text.contains("# project data:"));
    assert!(text.contains("# runaway model: fitted on"));
    assert!(text.contains("\"runaway_base_probability\""));
    assert!(text.contains("\"runaway:unclear_strategy\""));
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
        [
            "outcome",
            "overrun",
            "slip",
            "benefit_realisation",
            "runaway"
        ]
    );
    assert_eq!(text.lines().count(), 51);
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.ends_with(",yes") || l.ends_with(",no"))
    );
}

fn options(scenario: &Scenario) -> FitOptions {
    FitOptions {
        burn: scenario.project.team_burn_share,
        failed_share: scenario.project.failed_benefit_share,
        folds: 2,
        seed: 1,
        missing: MissingData::CompleteCases,
    }
}

/// The runaway hazard is recovered from 20,000 simulated projects (about 1,700 runaways): each
/// r_i and the base probability within 4 SEs of the truth, and the fitted catalogue carries
/// them with their covariance (`runaway:<factor>`, `runaway_base_probability`).
#[test]
fn the_runaway_hazard_is_recovered_and_written() {
    let scenario = Scenario::builtin_default().expect("default");
    let catalogue = crmcast::model::Catalogue::builtin().expect("catalogue");
    let records = simulate_projects(&scenario, scenario.baseline, 20_000, 5, 0.0);
    let data = ProjectData::from_records(&records, scenario.factors.len(), "simulated");
    let fit = project_fit::fit(&data, &catalogue, &options(&scenario)).expect("fit");
    let model = fit.runaway.as_ref().expect("runaway model");
    assert!(model.written, "{:?}", model.note);
    assert_eq!(model.rows_used, 20_000);
    assert_eq!(
        model.runaways,
        records.iter().filter(|r| r.outcome.runaway).count()
    );
    let hazard = model.fit.as_ref().expect("fitted");
    for (k, factor) in scenario.factors.iter().enumerate() {
        let c = &hazard.coefficients[k + 1];
        assert_eq!(c.name, factor.id);
        assert!(
            (c.estimate - factor.impact.runaway).abs() < 4.0 * c.standard_error,
            "{}: {c:?} vs {}",
            factor.id,
            factor.impact.runaway
        );
        assert!(c.standard_error < 0.12, "{c:?}");
    }
    let truth = scenario.project.runaway.base_probability;
    let base = model.base_probability.as_ref().expect("base probability");
    assert!(
        (base.estimate - truth).abs() < 4.0 * base.standard_error,
        "{base:?} vs {truth}"
    );
    assert!(base.low < base.estimate && base.estimate < base.high);
    // The ratings predict runaways: better than chance, in sample and out of it.
    let cross_validated = model.cross_validated.as_ref().expect("scored");
    assert!(cross_validated.auc > 0.7, "{cross_validated:?}");

    let (fitted, names, covariance) = project_fit::fitted_catalogue(&catalogue, &data, &fit);
    assert!((fitted.runaway.base_probability - base.estimate).abs() < 1e-12);
    // Not fitted from the records: the runaway's size and schedule elasticity.
    assert_eq!(fitted.runaway.size_min, catalogue.runaway.size_min);
    assert_eq!(fitted.runaway.tail, catalogue.runaway.tail);
    assert_eq!(fitted.runaway.schedule, catalogue.runaway.schedule);
    let at = |name: &str| names.iter().position(|n| n == name).expect(name);
    let b = at("runaway_base_probability");
    assert!((covariance[(b, b)].sqrt() / base.standard_error - 1.0).abs() < 1e-9);
    for (k, factor) in fitted.factors.iter().enumerate() {
        let c = &hazard.coefficients[k + 1];
        assert!((factor.impact.runaway - c.estimate.max(0.0)).abs() < 1e-12);
        let i = at(&format!("runaway:{}", factor.id));
        assert!((covariance[(i, i)] - c.standard_error.powi(2)).abs() < 1e-15);
    }
}

/// Without a `runaway` column the cost and schedule models take the runaways in: the fit still
/// runs, warns, and its impacts come out biased upward (here by about 4 SEs on average).
#[test]
fn without_the_runaway_column_the_fit_warns_of_the_bias() {
    let scenario = Scenario::builtin_default().expect("default");
    let catalogue = crmcast::model::Catalogue::builtin().expect("catalogue");
    let records = simulate_projects(&scenario, scenario.baseline, 20_000, 5, 0.0);
    let data =
        ProjectData::from_records(&records, scenario.factors.len(), "simulated").without_runaways();
    let fit = project_fit::fit(&data, &catalogue, &options(&scenario)).expect("fit");
    assert!(fit.runaway.is_none());
    let others: Vec<&String> = fit
        .warnings
        .iter()
        .filter(|w| !w.contains("bounds bind"))
        .collect();
    assert_eq!(others.len(), 1, "{others:?}");
    assert!(others[0].contains("biased upward"), "{:?}", fit.warnings);
    let cost = fit.cost.as_ref().expect("cost");
    assert_eq!((cost.rows_used, cost.runaways_excluded), (20_000, 0));
    let mean_z = scenario
        .factors
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let c = &cost.fit.coefficients[k + 1];
            (c.estimate - f.impact.cost) / c.standard_error
        })
        .sum::<f64>()
        / scenario.factors.len() as f64;
    assert!(mean_z > 2.0, "mean standardised bias {mean_z}");
    assert!(cost.fit.residual_sd > 1.2 * scenario.project.estimate.log_cost_sd);
    let (fitted, names, _) = project_fit::fitted_catalogue(&catalogue, &data, &fit);
    assert!(!names.iter().any(|n| n.starts_with("runaway")));
    assert_eq!(
        fitted.runaway.base_probability,
        catalogue.runaway.base_probability
    );
    for (a, b) in fitted.factors.iter().zip(&catalogue.factors) {
        assert_eq!(a.impact.runaway, b.impact.runaway);
    }
}

/// Fewer than 10 runaways: the hazard is not fitted, the catalogue keeps the input's runaway
/// values, and the fit says so; the cost and schedule models still leave the runaways out.
#[test]
fn too_few_runaways_keep_the_input_hazard() {
    let scenario = Scenario::builtin_default().expect("default");
    let catalogue = crmcast::model::Catalogue::builtin().expect("catalogue");
    let records = simulate_projects(&scenario, scenario.baseline, 2_000, 6, 0.0);
    let mut data = ProjectData::from_records(&records, scenario.factors.len(), "simulated");
    // Keep 9 runaways on record; the status of the others is not recorded.
    let mut seen = 0;
    for status in &mut data.runaway {
        if *status == Some(true) {
            seen += 1;
            if seen > 9 {
                *status = None;
            }
        }
    }
    assert!(seen > 9, "the draw has enough runaways to thin");
    let fit = project_fit::fit(&data, &catalogue, &options(&scenario)).expect("fit");
    let model = fit.runaway.as_ref().expect("runaway model");
    assert_eq!(model.runaways, 9);
    assert!(!model.written && model.fit.is_none());
    assert!(
        model
            .note
            .as_deref()
            .unwrap_or("")
            .contains("fewer than 10"),
        "{:?}",
        model.note
    );
    assert!(fit.warnings.iter().any(|w| w.contains("not written")));
    let cost = fit.cost.as_ref().expect("cost");
    assert_eq!(cost.runaways_excluded, 9);
    assert_eq!(cost.rows_left_out, seen - 9, "unrecorded status: left out");
    let (fitted, names, _) = project_fit::fitted_catalogue(&catalogue, &data, &fit);
    assert!(!names.iter().any(|n| n.starts_with("runaway")));
    assert_eq!(fitted.runaway, catalogue.runaway);
    for (a, b) in fitted.factors.iter().zip(&catalogue.factors) {
        assert_eq!(a.impact.runaway, b.impact.runaway);
    }
}

/// A presence-only rating measures the hazard per presence; it is divided by the factor's mean
/// severity before it is written, as the other channels' coefficients are.
#[test]
fn presence_only_runaway_impacts_are_divided_by_the_mean_severity() {
    let scenario = Scenario::builtin_default().expect("default");
    let catalogue = crmcast::model::Catalogue::builtin().expect("catalogue");
    let records = simulate_projects(&scenario, scenario.baseline, 3_000, 7, 0.0);
    let mut data = ProjectData::from_records(&records, scenario.factors.len(), "simulated");
    for row in &mut data.ratings {
        for rating in row.iter_mut() {
            *rating = rating.map(|s| f64::from(u8::from(s > 0.0)));
        }
    }
    data.presence_only = vec![true; scenario.factors.len()];
    let fit = project_fit::fit(&data, &catalogue, &options(&scenario)).expect("fit");
    let model = fit.runaway.as_ref().expect("runaway model");
    assert!(model.written, "{:?}", model.note);
    let hazard = model.fit.as_ref().expect("fitted");
    let (_, names, covariance) = project_fit::fitted_catalogue(&catalogue, &data, &fit);
    for (k, factor) in catalogue.factors.iter().enumerate() {
        let scale = factor.severity.mean();
        assert!((fit.impacts[k].scale - scale).abs() < 1e-12);
        let c = &hazard.coefficients[k + 1];
        let written = fit.impacts[k].runaway.expect("written");
        assert!((written - (c.estimate / scale).clamp(0.0, 10.0)).abs() < 1e-12);
        let i = names
            .iter()
            .position(|n| *n == format!("runaway:{}", factor.id))
            .expect("listed");
        assert!((covariance[(i, i)] - (c.standard_error / scale).powi(2)).abs() < 1e-12);
    }
}

/// The `runaway` column is checked cell by cell like the others (yes/no, true/false, 1/0, any
/// case; empty or NA = not recorded), and nothing is fitted until a bad cell is fixed.
#[test]
fn bad_runaway_cells_are_reported_and_good_ones_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("bad.csv");
    std::fs::write(
        &data,
        "project,unclear_strategy,overrun,runaway\n\
         A,0.5,0.1,no\n\
         B,0.2,2.9,maybe\n\
         C,0,0.1,\n\
         D,1,4.0,2\n",
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
        .stderr(predicates::str::contains("2 bad cell(s)"))
        .stderr(predicates::str::contains(
            "row 3, column `runaway`: \"maybe\" — expected yes or no",
        ))
        .stderr(predicates::str::contains("row 5, column `runaway`: \"2\""))
        .stderr(predicates::str::contains("fix:"));
    assert!(!out.exists());

    // Every spelling read: 15 runaways, 15 not, 10 unrecorded; the cost model uses the 15 that
    // did not run away, and leaves the unrecorded out as missing values.
    let spellings = ["yes", "No", "TRUE", "false", "1", "0", "", "NA"];
    let mut text = String::from("unclear_strategy,overrun,runaway\n");
    for k in 0..40 {
        text.push_str(&format!(
            "{},{},{}\n",
            (k % 5) as f64 / 4.0,
            0.05 * (k % 7) as f64,
            spellings[k % spellings.len()]
        ));
    }
    std::fs::write(&data, text).expect("write");
    let report = dir.path().join("report.json");
    crmcast()
        .args([
            "calibrate",
            "--missing",
            "complete-cases",
            "--format",
            "json",
            "--data",
        ])
        .arg(&data)
        .arg("--output")
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .assert()
        .success();
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    let cost = &record["cost"];
    assert_eq!(
        [
            &cost["rows_used"],
            &cost["runaways_excluded"],
            &cost["rows_left_out"]
        ],
        [15, 15, 10]
    );
    let runaway = &record["runaway"];
    assert_eq!(
        [
            &runaway["rows_used"],
            &runaway["runaways"],
            &runaway["rows_left_out"]
        ],
        [30, 15, 10]
    );
}

/// Without the column the CLI fits as before, and warns on standard error and in the report.
#[test]
fn the_cli_warns_without_a_runaway_column() {
    let scenario = Scenario::builtin_default().expect("default");
    let records = simulate_projects(&scenario, scenario.baseline, 300, 9, 0.0);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("projects.csv");
    let mut text = String::from("unclear_strategy,no_executive_sponsor,overrun,slip\n");
    for r in &records {
        text.push_str(&format!(
            "{},{},{},{}\n",
            r.ratings[0].unwrap_or(0.0),
            r.ratings[1].unwrap_or(0.0),
            r.outcome.overrun,
            r.outcome.slip
        ));
    }
    std::fs::write(&data, text).expect("write");
    let out = dir.path().join("out.toml");
    for format in ["table", "markdown"] {
        crmcast()
            .args(["calibrate", "--format", format, "--data"])
            .arg(&data)
            .arg("--output")
            .arg(&out)
            .assert()
            .success()
            .stderr(predicates::str::contains(
                "warning: no `runaway` column: projects that ran away",
            ))
            .stdout(predicates::str::contains("Warnings"))
            .stdout(predicates::str::contains("biased upward"));
    }
    let text = std::fs::read_to_string(&out).expect("catalogue");
    assert!(text.contains("# runaway model: not fitted (no `runaway` column"));
}

/// `--imputations` outside 2..=200 is refused before anything is read, naming the range.
#[test]
fn imputations_out_of_range_are_refused() {
    for count in ["1", "201"] {
        crmcast()
            .args(["calibrate", "--data", "scenarios/calibration/projects.csv"])
            .args([
                "--imputations",
                count,
                "--output",
                "/nonexistent/never.toml",
            ])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("2..=200"));
    }
}
