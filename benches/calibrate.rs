//! Calibration's costs: `calibrate --data` at scale, and the unit `calibrate --targets` repeats.
//!
//! `cargo bench --bench calibrate` — groups, each selectable by a filter after `--`:
//!
//! - `calibrate_data/ROWS`: the maximum-likelihood fit of every outcome model, with its 5-fold
//!   cross-validation, on 10⁵ and 10⁶ simulated projects of the default scenario (linear in
//!   rows: cross-validation once searched each fold per row, quadratic: 200 000 rows took 23 s,
//!   10⁶ never finished in a minute). Ten samples of the 10⁶-row fit take a few minutes;
//!   `-- calibrate_data/100000` runs the small one.
//! - `calibrate_targets/evaluation/THREADS`: one evaluation of the published targets at the
//!   command's defaults (built-in default scenario and catalogue, 40,000 trials, seed 1), on 1
//!   and 2 threads. The default `calibrate` is a Levenberg–Marquardt search over such
//!   evaluations (it prints how many; most on a quarter of the trials), so this line is the
//!   unit of its time.

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use crmcast::analysis::calibrate::evaluate;
use crmcast::analysis::project_fit::{FitOptions, ProjectData, fit};
use crmcast::analysis::targets::load_set;
use crmcast::engine::projects::simulate_projects;
use crmcast::model::catalogue::Catalogue;
use crmcast::scenario::source::Source;
use crmcast::scenario::{BUILTIN_DEFAULT, Scenario};
use std::hint::black_box;
use std::time::Duration;

/// `calibrate --targets`' default trials per evaluation.
const TARGET_TRIALS: u64 = 40_000;

fn project_fit(c: &mut Criterion) {
    let scenario = Scenario::builtin_default().expect("built-in scenario");
    let catalogue = Catalogue::builtin().expect("built-in catalogue");
    let options = FitOptions {
        burn: scenario.project.team_burn_share,
        failed_share: scenario.project.failed_benefit_share,
        folds: 5,
        seed: 1,
        // The fit itself; the simulated records have no missing values anyway.
        missing: crmcast::analysis::project_fit::MissingData::CompleteCases,
    };
    let mut group = c.benchmark_group("calibrate_data");
    group.sample_size(10);
    for rows in [100_000usize, 1_000_000] {
        let records = simulate_projects(&scenario, scenario.baseline, rows, 3, 0.0);
        let data = ProjectData::from_records(&records, scenario.factors.len(), "simulated");
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_with_input(BenchmarkId::from_parameter(rows), &data, |b, data| {
            b.iter(|| fit(black_box(data), &catalogue, &options).expect("fit"))
        });
    }
    group.finish();
}

fn target_evaluation(c: &mut Criterion) {
    let scenario = Source::new("built-in default scenario", BUILTIN_DEFAULT);
    let catalogue = Catalogue::builtin().expect("built-in catalogue");
    let targets = Source::new(
        "scenarios/calibration/published.toml",
        include_str!("../scenarios/calibration/published.toml"),
    );
    let set = load_set(&targets).expect("published targets");
    let mut group = c.benchmark_group("calibrate_targets");
    group.sample_size(20);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(TARGET_TRIALS));
    for threads in [1usize, 2] {
        group.bench_function(BenchmarkId::new("evaluation", threads), |b| {
            b.iter(|| {
                black_box(
                    evaluate(&scenario, &catalogue, &set, TARGET_TRIALS, 1, threads)
                        .expect("evaluation"),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, project_fit, target_evaluation);
criterion_main!(benches);
