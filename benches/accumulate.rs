//! Batched accumulation against trial-by-trial accumulation, per trial.
//!
//! `cargo bench --bench accumulate` — outcomes of a shipped scenario are drawn and evaluated
//! once with the engine's public API and put in blocks ([`OutcomeBlock`]); each iteration then
//! records the same 16 blocks (4,096 trials, every strategy) in the accumulators:
//! `add_block` (the engine's path) and `trial_by_trial` (each trial's outcome rebuilt and added
//! with `StrategyAccumulator::add` and `add_versus`, the engine's path before #16). Criterion's
//! throughput is in trials per second; the time per trial is the iteration time / 4,096.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crmcast::engine::accumulate::{StrategyAccumulator, add_block, paired_values};
use crmcast::engine::block::{BLOCK_TRIALS, OutcomeBlock};
use crmcast::engine::lane_rng::TrialStream;
use crmcast::engine::trial::CompiledScenario;
use crmcast::scenario::Scenario;
use std::hint::black_box;
use std::path::Path;

const SCENARIOS: [&str; 4] = ["retail_chain", "default", "small_business", "multinational"];
const BLOCKS: usize = 16;

fn blocks(compiled: &CompiledScenario) -> Vec<OutcomeBlock> {
    let mut scratch = compiled.scratch();
    let mut presence = vec![0u64; compiled.strategies * compiled.factors];
    let mut stream = TrialStream::new(1, compiled.dimensions());
    (0..BLOCKS)
        .map(|_| {
            let mut block = OutcomeBlock::new(compiled.strategies);
            while !block.is_full() {
                compiled.draw(&mut stream, &mut scratch);
                compiled.evaluate_all(&mut scratch, &mut presence);
                block.push(&scratch.outcomes);
            }
            block
        })
        .collect()
}

fn accumulate(c: &mut Criterion) {
    let mut group = c.benchmark_group("accumulate");
    group.throughput(Throughput::Elements((BLOCKS * BLOCK_TRIALS) as u64));
    for name in SCENARIOS {
        let scenario =
            Scenario::load(Path::new(&format!("scenarios/{name}.toml"))).expect("shipped scenario");
        let compiled = CompiledScenario::new(&scenario);
        let blocks = blocks(&compiled);
        let (baseline, per_budget, horizon) = (
            compiled.baseline,
            1.0 / compiled.budget,
            compiled.horizon_years,
        );
        let fresh = || -> Vec<StrategyAccumulator> {
            (0..compiled.strategies)
                .map(|_| {
                    StrategyAccumulator::with_strategies(compiled.factors, compiled.strategies)
                })
                .collect()
        };
        let mut accumulators = fresh();
        group.bench_function(BenchmarkId::new("add_block", name), |b| {
            b.iter(|| {
                for block in &blocks {
                    add_block(
                        &mut accumulators,
                        black_box(block),
                        baseline,
                        per_budget,
                        horizon,
                    );
                }
            })
        });
        let mut accumulators = fresh();
        let mut npvs = vec![0.0; compiled.strategies];
        group.bench_function(BenchmarkId::new("trial_by_trial", name), |b| {
            b.iter(|| {
                for block in &blocks {
                    let block = black_box(block);
                    for t in 0..block.len {
                        let base = block.outcome(baseline, t);
                        let base_values = paired_values(&base, per_budget);
                        for (s, x) in npvs.iter_mut().enumerate() {
                            *x = block.npv[s * BLOCK_TRIALS + t] * per_budget;
                        }
                        for (s, acc) in accumulators.iter_mut().enumerate() {
                            let paired = (s != baseline).then_some((&base, &base_values));
                            acc.add(&block.outcome(s, t), paired, per_budget, horizon);
                            acc.add_versus(npvs[s], &npvs);
                        }
                    }
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, accumulate);
criterion_main!(benches);
