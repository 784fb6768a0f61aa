//! Engine speed, per stage and end to end.
//!
//! `cargo bench --bench engine` (27 lines of 1 s warm-up and about 3 s of samples each: two to
//! three minutes on a quiet machine, more on a loaded one) — criterion reports time per
//! iteration and, through `Throughput::Elements`, trials per second. Groups, each selectable by a
//! filter after `--` (a regular expression on `group/function/scenario`):
//!
//! - `stage` — the lane core (eight trials per step) on one thread, cumulative on fresh trials:
//!   `uniforms`, then also `draw` (normals, correlation, severities), then also `evaluate`
//!   (every strategy), then also `accumulate` (a block at a time, as the engine does), and
//!   `batch` (one whole seeded batch through `Worker::run_batch`, the unit the threads share).
//!   A stage's own cost is the difference between its line and the one before.
//!   `one_trial_path` is the one-trial path (draw + evaluate_all), the lanes' reference.
//!   `-- stage/accumulate/retail_chain` runs one line.
//! - `simulate` — `simulate` end to end at 1 and 2 threads on every shipped scenario
//!   (`-- simulate/.*retail_chain` for the case).
//! - `sampling` — the three sampling designs end to end on `retail_chain`, 2 threads.
//!
//! The stages are plain functions over one shared [`Setup`], listed in [`STAGES`]: when the
//! trial core changes (a lane engine drawing and evaluating several trials per step), the
//! functions' bodies change and the group, the filters and the figures' meaning stay.

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use crmcast::engine::accumulate::{StrategyAccumulator, add_block};
use crmcast::engine::block::{BLOCK_TRIALS, OutcomeBlock};
use crmcast::engine::lane_rng::{LaneRng, TrialStream};
use crmcast::engine::trial::{CompiledScenario, LaneScratch, LaneStage, TrialScratch};
use crmcast::engine::{
    BATCH_TRIALS, NoObserver, RunSettings, Sampling, Worker, batch_seed, simulate,
};
use crmcast::model::vmath::LANES;
use crmcast::scenario::Scenario;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const SCENARIOS: [&str; 4] = ["default", "retail_chain", "small_business", "multinational"];

/// Trials per iteration of a stage: one batch, so `batch` and the others count the same work.
const STAGE_TRIALS: u64 = BATCH_TRIALS;
/// Trials per iteration end to end: 16 batches, 8 per thread at 2 threads.
const RUN_TRIALS: u64 = 16 * BATCH_TRIALS;

fn load(name: &str) -> Scenario {
    Scenario::load(Path::new(&format!("scenarios/{name}.toml"))).expect("shipped scenario")
}

/// Everything a stage needs, allocated once per scenario (as a worker allocates once per run).
struct Setup {
    compiled: CompiledScenario,
    lanes: LaneScratch,
    rng: LaneRng,
    /// The one-trial path's scratch and stream (the lane core's reference).
    scratch: TrialScratch,
    stream: TrialStream,
    /// Factor presence per strategy, as the engine's worker keeps it.
    presence: Vec<u64>,
    accumulators: Vec<StrategyAccumulator>,
    block: OutcomeBlock,
    worker: Worker,
    /// The next batch index for `batch`: every iteration a fresh batch, as in a run.
    next_batch: u64,
}

impl Setup {
    fn new(scenario: &Scenario) -> Self {
        let compiled = CompiledScenario::new(scenario);
        Setup {
            lanes: compiled.lane_scratch(),
            rng: LaneRng::new(batch_seed(1, 0)),
            scratch: compiled.scratch(),
            stream: TrialStream::new(batch_seed(1, 0), compiled.dimensions()),
            presence: vec![0; compiled.strategies * compiled.factors],
            accumulators: (0..compiled.strategies)
                .map(|_| {
                    StrategyAccumulator::with_strategies(compiled.factors, compiled.strategies)
                })
                .collect(),
            block: OutcomeBlock::new(compiled.strategies),
            worker: Worker::new(&compiled, Sampling::Random),
            next_batch: 0,
            compiled,
        }
    }

    fn chunks(trials: u64) -> usize {
        (trials as usize).div_ceil(LANES)
    }

    fn lane_stage(&mut self, stage: LaneStage, trials: u64) {
        self.compiled.run_lane_stage(
            stage,
            &mut self.lanes,
            &mut self.rng,
            Self::chunks(trials),
            &mut self.block,
            &mut self.presence,
        );
        self.block.clear();
    }
}

/// A stage: its name in the `stage` group and the function running `trials` trials of it.
/// Each draws fresh trials: evaluating one trial over and over would let the branch predictor
/// learn it and flatter the figure.
struct Stage {
    name: &'static str,
    run: fn(&mut Setup, u64),
}

const STAGES: [Stage; 6] = [
    Stage {
        name: "uniforms",
        run: stage_uniforms,
    },
    Stage {
        name: "draw",
        run: stage_draw,
    },
    Stage {
        name: "evaluate",
        run: stage_evaluate,
    },
    Stage {
        name: "accumulate",
        run: stage_accumulate,
    },
    Stage {
        name: "batch",
        run: stage_batch,
    },
    Stage {
        name: "one_trial_path",
        run: stage_one_trial_path,
    },
];

/// The uniforms of eight trials per step from the batch's eight xoshiro256++ streams.
fn stage_uniforms(s: &mut Setup, trials: u64) {
    s.lane_stage(LaneStage::Uniforms, trials);
    black_box(&s.lanes);
}

/// Uniforms, then the trials' random inputs: normals, correlation, severities, plan draws.
fn stage_draw(s: &mut Setup, trials: u64) {
    s.lane_stage(LaneStage::Draw, trials);
    black_box(&s.lanes);
}

/// Drawing, then evaluating every strategy on the trials (common random numbers).
fn stage_evaluate(s: &mut Setup, trials: u64) {
    s.lane_stage(LaneStage::Evaluate, trials);
    black_box(&s.block);
}

/// Drawing, evaluating, and accumulating the outcomes a block at a time (`add_block`), as
/// `Worker::run_batch` does, without its seeding.
fn stage_accumulate(s: &mut Setup, trials: u64) {
    let mut left = trials;
    while left > 0 {
        let size = left.min(BLOCK_TRIALS as u64);
        s.compiled.run_lane_stage(
            LaneStage::Evaluate,
            &mut s.lanes,
            &mut s.rng,
            Setup::chunks(size),
            &mut s.block,
            &mut s.presence,
        );
        add_block(
            &mut s.accumulators,
            &s.block,
            s.compiled.baseline,
            1.0 / s.compiled.budget,
            s.compiled.horizon_years,
        );
        s.block.clear();
        left -= size;
    }
    black_box(&s.accumulators);
}

/// Whole batches through the engine's worker: seeding included, exactly a run's inner loop.
fn stage_batch(s: &mut Setup, trials: u64) {
    let mut left = trials;
    while left > 0 {
        let size = left.min(BATCH_TRIALS);
        s.worker.run_batch(&s.compiled, 1, s.next_batch, size);
        s.next_batch += 1;
        left -= size;
    }
}

/// The one-trial path (`draw` + `evaluate_all`), the lane core's bit-for-bit reference that the
/// analyses evaluating one trial at a time use; for comparison with `evaluate`.
fn stage_one_trial_path(s: &mut Setup, trials: u64) {
    for _ in 0..trials {
        s.compiled.draw(&mut s.stream, &mut s.scratch);
        s.compiled.evaluate_all(&mut s.scratch, &mut s.presence);
    }
    black_box(&s.scratch.outcomes);
}

fn stages(c: &mut Criterion) {
    let mut group = c.benchmark_group("stage");
    group.throughput(Throughput::Elements(STAGE_TRIALS));
    // An iteration is a batch (milliseconds): flat sampling, 20 samples of equal iterations,
    // keeps each line near 4 s (linear sampling's 1 + 2 + … + 100 iterations would not).
    group.sample_size(20);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for name in SCENARIOS {
        let mut setup = Setup::new(&load(name));
        for stage in &STAGES {
            group.bench_function(BenchmarkId::new(stage.name, name), |b| {
                b.iter(|| (stage.run)(&mut setup, STAGE_TRIALS))
            });
        }
    }
    group.finish();
}

/// A group whose iterations take a good fraction of a second: flat sampling (the same number
/// of iterations in every sample) keeps ten samples to about ten iterations.
fn slow_group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(RUN_TRIALS));
    group
}

fn run(scenario: &Scenario, threads: usize, sampling: Sampling) {
    let settings = RunSettings {
        trials: RUN_TRIALS,
        seed: 3,
        threads,
        sampling,
        ..RunSettings::default()
    };
    black_box(simulate(scenario, &settings, &NoObserver).expect("run"));
}

fn end_to_end(c: &mut Criterion) {
    let mut group = slow_group(c, "simulate");
    for name in SCENARIOS {
        let scenario = load(name);
        // Threads named, not 0 (one per core): the figures mean the same on any machine.
        for threads in [1usize, 2] {
            group.bench_function(BenchmarkId::new(format!("{threads}_threads"), name), |b| {
                b.iter(|| run(&scenario, threads, Sampling::Random))
            });
        }
    }
    group.finish();
}

/// The structured sampling designs against pseudo-random sampling, end to end on 2 threads.
fn sampling_designs(c: &mut Criterion) {
    let mut group = slow_group(c, "sampling");
    let scenario = load("retail_chain");
    for sampling in [Sampling::Random, Sampling::Lhs, Sampling::Sobol] {
        group.bench_function(BenchmarkId::new(sampling.name(), "retail_chain"), |b| {
            b.iter(|| run(&scenario, 2, sampling))
        });
    }
    group.finish();
}

criterion_group!(benches, stages, end_to_end, sampling_designs);
criterion_main!(benches);
