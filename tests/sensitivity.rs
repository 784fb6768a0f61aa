//! `crmcast sensitivity` against known answers: one binary factor with a fixed effect and no
//! other source of variance, so every measure has a closed form.

// Errors carry the file, place and fix; they are large but only travel on failure.
#![allow(clippy::result_large_err)]

use assert_cmd::Command;
use crmcast::analysis::sensitivity::study::{OutputMetric, StudySettings, study};
use crmcast::model::catalogue::BUILTIN_CATALOGUE;
use crmcast::scenario::source::Source;
use crmcast::scenario::{CatalogueText, Scenario};

/// The built-in catalogue with every correlation set to zero (so that a factor's latent draw is
/// its own and no other input shares its variance).
fn uncorrelated_catalogue() -> CatalogueText {
    let text: String = BUILTIN_CATALOGUE
        .lines()
        .map(|line| {
            let key = line.split('=').next().unwrap_or("").trim();
            if ["within_correlation", "default_between", "rho"].contains(&key) {
                format!("{key} = 0.0")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    CatalogueText {
        origin: "uncorrelated".into(),
        text,
    }
}

/// Only poor_data_quality can strike (probability 0.5, severity 1, log-cost impact 0.5); no
/// estimating noise, no runaway (a zero base hazard), no burn: the overrun is e^0.5 − 1 when
/// it strikes and 0 otherwise.
fn one_factor_scenario() -> Scenario {
    let catalogue = crmcast::model::Catalogue::builtin().expect("catalogue");
    let mut text = String::from(
        "[scenario]\nname = \"one factor\"\n[project]\nbudget = 1000.0\nduration_months = 12.0\nhorizon_years = 5.0\ndiscount_rate = 0.1\nteam_burn_share = 0.0\n[project.estimate]\nlog_cost_mean = 0.0\nlog_cost_sd = 0.0\nlog_schedule_mean = 0.0\nlog_schedule_sd = 0.0\nbenefit_sd = 0.0\n[project.runaway]\nbase_probability = 0.0\n[benefits]\nmodel = \"direct\"\nannual = { value = 500.0 }\n",
    );
    for factor in &catalogue.factors {
        if factor.id == "poor_data_quality" {
            text.push_str("[factors.poor_data_quality]\nprobability = 0.5\nseverity = { kind = \"fixed\", value = 1.0 }\nimpact = { benefit = 0.0, cost = 0.5, schedule = 0.0, runaway = 0.0 }\n");
        } else {
            text.push_str(&format!("[factors.{}]\nprobability = 0.0\n", factor.id));
        }
    }
    text.push_str("[[strategies]]\nid = \"base\"\nbaseline = true\n");
    Scenario::from_source_with(
        &Source::new("one.toml", text),
        Some(uncorrelated_catalogue()),
    )
    .expect("valid scenario")
}

fn settings(trials: usize) -> StudySettings {
    StudySettings {
        metric: OutputMetric::Overrun,
        strategy: 0,
        trials,
        sobol_samples: 2048,
        bootstrap: 100,
        shapley_permutations: 300,
        seed: 5,
    }
}

#[test]
fn one_binary_factor_explains_everything_by_every_measure() {
    let scenario = one_factor_scenario();
    let trials = 20_000;
    let result = study(&scenario, &settings(trials)).expect("study");
    let jump = 0.5f64.exp() - 1.0;
    // The mean overrun is p·jump, within 4 binomial SEs.
    let se = jump * (0.25 / trials as f64).sqrt();
    assert!(
        (result.base - 0.5 * jump).abs() < 4.0 * se,
        "base {}",
        result.base
    );
    // Tornado: ruled out gives exactly 0, certain exactly the jump, and it is the top bar.
    let bar = &result.tornado[0];
    assert_eq!(bar.input, "poor_data_quality");
    assert!(
        bar.low.abs() < 1e-12 && (bar.high - jump).abs() < 1e-12,
        "{bar:?}"
    );
    // Rank correlation: the output is a monotone function of the factor: ρ = 1. Other inputs
    // correlate only by chance (|ρ| ~ 1/√n), so the factor's contribution is nearly all.
    let top = &result.correlations[0];
    assert_eq!(top.input, "poor_data_quality");
    assert!((top.spearman - 1.0).abs() < 1e-9, "{top:?}");
    let chance = 4.0 / (trials as f64).sqrt();
    assert!(
        result.correlations[1..]
            .iter()
            .all(|c| c.spearman.abs() < chance)
    );
    assert!(
        top.contribution_to_variance > 1.0 - result.correlations.len() as f64 * chance * chance
    );
    // Sobol: S = ST = 1 for the factor, 0 for the rest, within 4 bootstrap SEs.
    let sobol = result.sobol.as_ref().expect("sobol");
    for (s, t) in sobol.first_order.iter().zip(&sobol.total) {
        let truth = if s.name == "poor_data_quality" {
            1.0
        } else {
            0.0
        };
        assert!(
            (s.estimate - truth).abs() <= 4.0 * s.standard_error.max(1e-9),
            "{s:?}"
        );
        assert!(
            (t.estimate - truth).abs() <= 4.0 * t.standard_error.max(1e-9),
            "{t:?}"
        );
    }
    // Shapley: the factor takes the whole variance.
    let shapley = result.shapley.as_ref().expect("shapley");
    for e in &shapley.effects {
        let truth = if e.name == "poor_data_quality" {
            1.0
        } else {
            0.0
        };
        assert!(
            (e.estimate - truth).abs() <= 4.0 * e.standard_error.max(1e-9),
            "{e:?}"
        );
    }
    // Tail: every one of the worst 10 % has the factor: lift = 1/share_all ≈ 2.
    let tail = result
        .tail
        .iter()
        .find(|t| t.factor == "poor_data_quality")
        .expect("tail");
    assert_eq!(tail.share_worst, 1.0);
    assert!((tail.lift - 1.0 / tail.share_all).abs() < 1e-12);
}

#[test]
fn the_study_does_not_depend_on_the_thread_count() {
    let scenario = Scenario::builtin_default().expect("default");
    let mut s = settings(2_000);
    s.metric = OutputMetric::Npv;
    s.sobol_samples = 256;
    s.shapley_permutations = 40;
    let at = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let result = pool.install(|| study(&scenario, &s)).expect("study");
        serde_json::to_string(&result).expect("json")
    };
    assert_eq!(at(1), at(2));
}

#[test]
fn the_cli_writes_every_format_and_refuses_bad_options() {
    for format in ["table", "markdown", "json", "csv"] {
        let output = Command::cargo_bin("crmcast")
            .expect("binary")
            .args([
                "sensitivity",
                "--trials",
                "500",
                "--sobol-samples",
                "64",
                "--shapley-permutations",
                "8",
                "-q",
                "--format",
                format,
            ])
            .output()
            .expect("run");
        assert!(
            output.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).expect("utf-8");
        assert!(text.contains("no_executive_sponsor"), "{format}");
    }
    Command::cargo_bin("crmcast")
        .expect("binary")
        .args(["sensitivity", "--strategy", "nope"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no strategy \"nope\""));
}
