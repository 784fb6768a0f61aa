//! The default catalogue on the built-in default scenario reproduces the published figures of
//! `scenarios/calibration/published.toml`, each within its tolerance, and every tolerance is
//! wider than 4 Monte Carlo standard errors at the trial count used here.

use crmcast::analysis::{Report, targets};
use crmcast::engine::{NoObserver, RunSettings, simulate};
use crmcast::scenario::Scenario;
use crmcast::scenario::source::Source;

const TRIALS: u64 = 300_000;

#[test]
fn default_scenario_reproduces_the_published_figures() {
    let text =
        std::fs::read_to_string("scenarios/calibration/published.toml").expect("published.toml");
    let targets = targets::load(&Source::new("published.toml", text)).expect("valid targets");
    assert!(targets.len() >= 13, "every published figure is a target");
    let scenario = Scenario::builtin_default().expect("default scenario");
    assert!(
        scenario.baseline_strategy().mitigations.is_empty(),
        "calibration runs without mitigations"
    );
    let result = simulate(
        &scenario,
        &RunSettings {
            trials: TRIALS,
            seed: 2026,
            threads: 0,
            ..RunSettings::default()
        },
        &NoObserver,
    )
    .expect("run");
    let report = Report::build(&scenario, &result);
    let mut failures = Vec::new();
    for (target, check) in targets.iter().zip(targets::check(&report, &targets)) {
        let check =
            check.unwrap_or_else(|| panic!("target {} names nothing in the report", target.id));
        assert!(
            target.tolerance > 4.0 * check.fitted.se,
            "target {}: tolerance {} is not above 4 standard errors ({})",
            target.id,
            target.tolerance,
            check.fitted.se
        );
        if !check.within_tolerance {
            failures.push(format!(
                "{}: target {} ± {}, model {:.4} ± {:.4}",
                target.id, target.value, target.tolerance, check.fitted.value, check.fitted.se
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "outside tolerance:\n{}",
        failures.join("\n")
    );
    // Seed 003's reading of the survey: organisational causes ≥ 41 %, software ≤ 4 %.
    let groups = &report.baseline().causes.by_group;
    let share = |id: &str| {
        groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.share.value)
            .unwrap_or(f64::NAN)
    };
    assert!(share("organisational_change") + share("politics_inertia") >= 0.41 - 0.03);
    assert!(share("software_problems") <= 0.04);
}
