//! `calibrate --data` at scale: the maximum-likelihood fit of every outcome model, with its
//! 5-fold cross-validation, on 10⁵ and 10⁶ simulated projects of the default scenario.
//!
//! `cargo bench --bench calibrate` — the fit is linear in rows per iteration (cross-validation
//! once searched each fold per row, quadratic: 200 000 rows took 23 s, 10⁶ never finished in
//! a minute). Ten samples of the 10⁶-row fit take a few minutes; `-- 100000` runs the small one.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crmcast::analysis::project_fit::{FitOptions, ProjectData, fit};
use crmcast::engine::projects::simulate_projects;
use crmcast::model::catalogue::Catalogue;
use crmcast::scenario::Scenario;
use std::hint::black_box;

fn project_fit(c: &mut Criterion) {
    let scenario = Scenario::builtin_default().expect("built-in scenario");
    let catalogue = Catalogue::builtin().expect("built-in catalogue");
    let options = FitOptions {
        burn: scenario.project.team_burn_share,
        failed_share: scenario.project.failed_benefit_share,
        folds: 5,
        seed: 1,
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

criterion_group!(benches, project_fit);
criterion_main!(benches);
