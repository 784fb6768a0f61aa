//! How many trials each sampling design needs for the same precision, on every shipped
//! scenario: R independent replicates (different seeds) of n trials per design, the empirical
//! variance of each estimator over the replicates, and the efficiency var(random)/var(design) —
//! how many random-sampling trials one trial of the design is worth. Prints Markdown for
//! docs/SAMPLING.md.
//!
//! `cargo run --release --example sampling_efficiency [REPLICATES] [BATCHES]`

use crmcast::analysis::Report;
use crmcast::engine::{BATCH_TRIALS, NoObserver, RunSettings, Sampling, simulate};
use crmcast::scenario::Scenario;
use std::path::Path;

const METRICS: [&str; 6] = [
    "p_success",
    "p_failed",
    "overrun_mean",
    "npv_mean",
    "overrun_p80",
    "npv_p50",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let replicates: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(16);
    let batches: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(8);
    let trials = batches * BATCH_TRIALS;
    println!(
        "Efficiency = var(random) / var(design) over {replicates} replicates of {trials} trials \
         (baseline strategy; for `npv_mean`, also the paired difference of the last strategy).\n"
    );
    let mut header = "| scenario | design |".to_string();
    for m in METRICS {
        header.push_str(&format!(" {m} |"));
    }
    header.push_str(" Δnpv_mean (last vs baseline) | time per trial (× random) |");
    println!("{header}");
    println!("|{}", "---|".repeat(METRICS.len() + 4));
    for name in ["default", "retail_chain", "small_business", "multinational"] {
        let scenario = Scenario::load(Path::new(&format!("scenarios/{name}.toml")))?;
        let last = scenario.strategies.len() - 1;
        let mut variances: Vec<Vec<f64>> = Vec::new();
        let mut seconds = Vec::new();
        for sampling in [Sampling::Random, Sampling::Lhs, Sampling::Sobol] {
            let started = std::time::Instant::now();
            let mut samples: Vec<Vec<f64>> = vec![Vec::new(); METRICS.len() + 1];
            for seed in 0..replicates {
                let settings = RunSettings {
                    trials,
                    seed: 7_000 + seed,
                    sampling,
                    ..RunSettings::default()
                };
                let report =
                    Report::build(&scenario, &simulate(&scenario, &settings, &NoObserver)?);
                let base = report.baseline();
                for (k, id) in METRICS.iter().enumerate() {
                    samples[k].push(base.metric(id).map_or(f64::NAN, |e| e.value));
                }
                let difference = report.strategies[last].difference("npv_mean");
                samples[METRICS.len()].push(difference.map_or(f64::NAN, |e| e.value));
            }
            seconds.push(started.elapsed().as_secs_f64());
            variances.push(samples.iter().map(|s| variance(s)).collect());
        }
        for (d, design) in ["random", "lhs", "sobol"].iter().enumerate() {
            let mut row = format!("| {name} | {design} |");
            for (k, &design_variance) in variances[d].iter().enumerate() {
                if design_variance == 0.0 {
                    // Every replicate landed in the same sketch bucket: the estimate is limited by
                    // the sketch's 0.39 % resolution, not by sampling.
                    row.push_str(" res. |");
                } else {
                    let efficiency = variances[0][k] / design_variance;
                    row.push_str(&format!(" {efficiency:.1} |"));
                }
            }
            row.push_str(&format!(" {:.2} |", seconds[d] / seconds[0]));
            println!("{row}");
        }
    }
    Ok(())
}

fn variance(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
}
