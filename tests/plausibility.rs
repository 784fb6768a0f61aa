//! A project without trouble lands near its plan, and no strategy of a shipped scenario is
//! forecast far under budget (issue: outcome model v2). One test per condition, each on the
//! shipped no-trouble scenario (`scenarios/calibration/no_trouble.toml`: the default project
//! with every factor's probability 0) at 200,000 trials with a seed that is not the
//! calibration's; the inside view of the default scenario agrees with the built-in outside
//! view at P50, P80 and P90 within 15 points.

use crmcast::analysis::Report;
use crmcast::analysis::reference_class::BuiltinClass;
use crmcast::engine::{NoObserver, RunSettings, simulate};
use crmcast::model::Catalogue;
use crmcast::scenario::Scenario;
use std::sync::OnceLock;

const TRIALS: u64 = 200_000;
const SEED: u64 = 4242;

fn run(path: &str) -> Report {
    let scenario = Scenario::load(std::path::Path::new(path)).expect("scenario");
    report(&scenario)
}

fn report(scenario: &Scenario) -> Report {
    let result = simulate(
        scenario,
        &RunSettings {
            trials: TRIALS,
            seed: SEED,
            ..RunSettings::default()
        },
        &NoObserver,
    )
    .expect("run");
    Report::build(scenario, &result)
}

/// The no-trouble scenario's baseline figures: value and standard error.
fn no_trouble(metric: &str) -> (f64, f64) {
    static REPORT: OnceLock<Report> = OnceLock::new();
    let report = REPORT.get_or_init(|| run("scenarios/calibration/no_trouble.toml"));
    let estimate = report.baseline().metric(metric).expect("metric");
    (estimate.value, estimate.se)
}

#[test]
fn the_no_trouble_scenario_switches_off_every_factor() {
    let scenario = Scenario::load(std::path::Path::new(
        "scenarios/calibration/no_trouble.toml",
    ))
    .expect("scenario");
    let catalogue = Catalogue::builtin().expect("catalogue");
    assert_eq!(scenario.factors.len(), catalogue.factors.len());
    for factor in &scenario.factors {
        assert_eq!(factor.probability, 0.0, "{} can still strike", factor.id);
    }
}

#[test]
fn without_trouble_the_median_overrun_is_near_the_plan() {
    let (median, se) = no_trouble("overrun_p50");
    assert!(
        (-0.10 + 3.0 * se..=0.05 - 3.0 * se).contains(&median),
        "median overrun {median:.4} ± {se:.4} not within [-10 %, +5 %]"
    );
}

#[test]
fn without_trouble_the_mean_overrun_is_within_ten_percent() {
    let (mean, se) = no_trouble("overrun_mean");
    assert!(
        mean.abs() <= 0.10 - 3.0 * se,
        "mean overrun {mean:.4} ± {se:.4} not within ±10 %"
    );
}

#[test]
fn without_trouble_the_median_slip_is_within_five_percent() {
    let (median, se) = no_trouble("slip_p50");
    assert!(
        median.abs() <= 0.05 - 3.0 * se,
        "median slip {median:.4} ± {se:.4} not within ±5 %"
    );
}

#[test]
fn without_trouble_few_projects_double_their_cost() {
    let (p, se) = no_trouble("p_overrun_100");
    assert!(
        p <= 0.03 - 3.0 * se,
        "P(overrun ≥ 100 %) = {p:.4} ± {se:.4} above 3 %"
    );
}

#[test]
fn no_shipped_strategy_is_forecast_far_under_budget() {
    for name in ["default", "retail_chain", "small_business", "multinational"] {
        let report = run(&format!("scenarios/{name}.toml"));
        for strategy in &report.strategies {
            let median = strategy.metric("overrun_p50").expect("p50");
            let mean = strategy.metric("overrun_mean").expect("mean");
            assert!(
                median.value >= -0.10,
                "{name}/{}: median overrun {:.3}",
                strategy.id,
                median.value
            );
            assert!(
                mean.value >= -0.05,
                "{name}/{}: mean overrun {:.3}",
                strategy.id,
                mean.value
            );
            // Mitigations are paid on top: the total outlay's mean is never below the
            // project's own mean overrun.
            let outlay = strategy.metric("outlay_mean").expect("outlay");
            assert!(outlay.value >= mean.value - 1e-9, "{name}/{}", strategy.id);
        }
    }
}

#[test]
fn inside_and_outside_views_agree_within_fifteen_points() {
    let report = run("scenarios/default.toml");
    let class = BuiltinClass::builtin().distribution;
    for (metric, level) in [
        ("overrun_p50", 0.5),
        ("overrun_p80", 0.8),
        ("overrun_p90", 0.9),
    ] {
        let inside = report.baseline().metric(metric).expect("quantile").value;
        let outside = class.quantile(level);
        assert!(
            (inside - outside).abs() <= 0.15,
            "{metric}: inside {inside:.3}, outside {outside:.3}"
        );
    }
}
