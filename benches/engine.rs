//! Engine speed, per stage and end to end, on every shipped scenario.
//!
//! `cargo bench --bench engine` — criterion reports time per iteration and, through
//! `Throughput::Elements`, trials per second. Stages, cumulative on fresh trials: drawing one
//! trial's random numbers, then also evaluating it under every strategy, then also accumulating
//! the outcomes; end to end: `simulate` on one thread and on all cores; and the three sampling
//! designs end to end.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crmcast::engine::accumulate::{StrategyAccumulator, paired_values};
use crmcast::engine::trial::CompiledScenario;
use crmcast::engine::{NoObserver, RunSettings, Sampling, simulate};
use crmcast::scenario::Scenario;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use std::path::Path;

const SCENARIOS: [&str; 4] = ["default", "retail_chain", "small_business", "multinational"];

fn load(name: &str) -> Scenario {
    Scenario::load(Path::new(&format!("scenarios/{name}.toml"))).expect("shipped scenario")
}

fn stages(c: &mut Criterion) {
    let mut group = c.benchmark_group("stage");
    let trials = 4096u64;
    group.throughput(Throughput::Elements(trials));
    for name in SCENARIOS {
        let scenario = load(name);
        let compiled = CompiledScenario::new(&scenario);
        let mut scratch = compiled.scratch();
        let mut presence = vec![0u64; compiled.strategies * compiled.factors];
        let mut accumulators: Vec<StrategyAccumulator> = (0..compiled.strategies)
            .map(|_| StrategyAccumulator::new(compiled.factors))
            .collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let per_budget = 1.0 / compiled.budget;
        // The stages are cumulative, each on freshly drawn trials: evaluating one trial over
        // and over would let the branch predictor learn it and flatter the figure. A stage's
        // own cost is the difference between its line and the one before.
        group.bench_function(BenchmarkId::new("draw", name), |b| {
            b.iter(|| {
                for _ in 0..trials {
                    compiled.draw(&mut rng, &mut scratch);
                }
                black_box(&scratch.outcomes);
            })
        });
        group.bench_function(BenchmarkId::new("draw+evaluate", name), |b| {
            b.iter(|| {
                for _ in 0..trials {
                    compiled.draw(&mut rng, &mut scratch);
                    compiled.evaluate_all(&mut scratch, &mut presence);
                }
                black_box(&scratch.outcomes);
            })
        });
        group.bench_function(BenchmarkId::new("draw+evaluate+accumulate", name), |b| {
            b.iter(|| {
                for _ in 0..trials {
                    compiled.draw(&mut rng, &mut scratch);
                    compiled.evaluate_all(&mut scratch, &mut presence);
                    let baseline = scratch.outcomes[compiled.baseline];
                    let base_values = paired_values(&baseline, per_budget);
                    for (s, (a, o)) in accumulators.iter_mut().zip(&scratch.outcomes).enumerate() {
                        let paired = (s != compiled.baseline).then_some((&baseline, &base_values));
                        a.add(o, paired, per_budget, compiled.horizon_years);
                    }
                }
            })
        });
    }
    group.finish();
}

fn end_to_end(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    let trials = 262_144u64;
    group.throughput(Throughput::Elements(trials));
    for name in SCENARIOS {
        let scenario = load(name);
        for threads in [1usize, 0] {
            let label = if threads == 1 {
                "1_thread"
            } else {
                "all_threads"
            };
            group.bench_function(BenchmarkId::new(label, name), |b| {
                b.iter(|| {
                    let settings = RunSettings {
                        trials,
                        seed: 3,
                        threads,
                        ..RunSettings::default()
                    };
                    black_box(simulate(&scenario, &settings, &NoObserver).expect("run"))
                })
            });
        }
    }
    group.finish();
}

/// The structured sampling designs against pseudo-random sampling, end to end on all cores.
fn sampling_designs(c: &mut Criterion) {
    let mut group = c.benchmark_group("sampling");
    group.sample_size(10);
    let trials = 262_144u64;
    group.throughput(Throughput::Elements(trials));
    let scenario = load("retail_chain");
    for sampling in [Sampling::Random, Sampling::Lhs, Sampling::Sobol] {
        group.bench_function(BenchmarkId::new(sampling.name(), "retail_chain"), |b| {
            b.iter(|| {
                let settings = RunSettings {
                    trials,
                    seed: 3,
                    sampling,
                    ..RunSettings::default()
                };
                black_box(simulate(&scenario, &settings, &NoObserver).expect("run"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, stages, end_to_end, sampling_designs);
criterion_main!(benches);
