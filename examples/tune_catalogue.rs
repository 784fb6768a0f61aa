//! Maintainer's tool: tune the factor catalogue's numbers so that the built-in default scenario
//! reproduces the published figures of `scenarios/calibration/published.toml`.
//!
//! `cargo run --release --example tune_catalogue [TRIALS] [ITERATIONS]` prints, per factor, the
//! tuned `impact` (probabilities stay as the catalogue gives them), and the tuned
//! `[estimate].log_cost_mean`, to paste into
//! `data/catalogue.toml`. It is a damped fixed-point iteration on common random numbers:
//! each cause group's impact weight moves towards its survey share, a benefit scale towards the
//! 65 % miss rate, the log-cost mean and a cost scale towards the overrun mean and black-swan
//! tail, and a schedule scale towards the black-swan slip. (`crmcast calibrate` will replace it.)
use crmcast::engine::{NoObserver, RunSettings, simulate};
use crmcast::scenario::Scenario;

const GROUP_TARGETS: [(&str, f64); 9] = [
    ("organisational_change", 0.29),
    ("politics_inertia", 0.22),
    ("lack_of_understanding", 0.20),
    ("poor_planning", 0.12),
    ("lack_of_skills", 0.06),
    ("budget_problems", 0.04),
    ("software_problems", 0.02),
    ("bad_advice", 0.01),
    ("other", 0.04),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let trials = args.next().and_then(|t| t.parse().ok()).unwrap_or(100_000);
    let iterations = args.next().and_then(|t| t.parse().ok()).unwrap_or(40);
    let original = Scenario::builtin_default()?;
    let base: Vec<_> = original.factors.iter().map(|f| f.impact).collect();
    let mut weight = vec![1.0; original.groups.len()];
    let (mut benefit_scale, mut cost_scale, mut schedule_scale) = (1.0f64, 1.0f64, 1.0f64);
    let mut log_cost_mean = original.project.estimate.log_cost_mean;
    let log_schedule_mean = original.project.estimate.log_schedule_mean;
    let mut scenario = original.clone();
    for iteration in 0..iterations {
        scenario = original.clone();
        scenario.project.estimate.log_cost_mean = log_cost_mean;
        scenario.project.estimate.log_schedule_mean = log_schedule_mean;
        for (f, b) in scenario.factors.iter_mut().zip(&base) {
            let w = weight[f.cause_group];
            f.impact.benefit = (b.benefit * w * benefit_scale).min(0.95);
            f.impact.cost = b.cost * w * cost_scale;
            f.impact.schedule = b.schedule * w * schedule_scale;
        }
        let result = simulate(
            &scenario,
            &RunSettings {
                trials,
                seed: 99,
                threads: 0,
                ..RunSettings::default()
            },
            &NoObserver,
        )?;
        let report = crmcast::analysis::Report::build(&scenario, &result);
        let b = report.baseline();
        let get = |id: &str| b.metric(id).map(|e| e.value).unwrap_or(f64::NAN);
        let (missed, mean, tail, slip) = (
            get("p_missed_objectives"),
            get("overrun_mean"),
            get("black_swan_overrun"),
            get("black_swan_slip"),
        );
        let damp = 0.6;
        for (g, group) in scenario.groups.iter().enumerate() {
            let target = GROUP_TARGETS
                .iter()
                .find(|(id, _)| *id == group.id)
                .map(|t| t.1)
                .unwrap_or(0.0);
            let share = b.causes.by_group[g].share.value.max(1e-4);
            weight[g] *= (target / share).powf(0.5 * damp);
        }
        benefit_scale *= (1.0 + 2.0 * (0.65 - missed)).powf(damp);
        cost_scale *= ((1.0 + 2.0) / (1.0 + tail)).powf(damp);
        log_cost_mean += damp * ((1.0 + 0.27f64) / (1.0 + mean)).ln();
        schedule_scale *= ((1.0 + 0.7) / (1.0 + slip)).powf(damp);
        eprintln!(
            "{iteration:3} missed {missed:.3} mean {mean:.3} tail {tail:.3} slip {slip:.3} groups {:?}",
            b.causes
                .by_group
                .iter()
                .map(|g| (g.share.value * 1000.0).round() / 10.0)
                .collect::<Vec<_>>()
        );
    }
    // Print the last evaluated parameter set, not the update computed after it.
    let estimate = scenario.project.estimate;
    println!(
        "[estimate] log_cost_mean = {:.4}  log_schedule_mean = {:.4}",
        estimate.log_cost_mean, estimate.log_schedule_mean
    );
    for f in &scenario.factors {
        println!(
            "{} {:.4} {:.4} {:.4} {:.4}",
            f.id, f.probability, f.impact.benefit, f.impact.cost, f.impact.schedule
        );
    }
    Ok(())
}
