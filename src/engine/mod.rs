//! The Monte Carlo engine: trials in fixed batches, each batch drawing from its own RNG seeded
//! by (seed, batch index). Workers take batches in any order and add them into their own
//! accumulators; every accumulator is integer-valued (counts and fixed-point sums), so the
//! merged result is the same, bit for bit, at any thread count and for any split into shards.
//! The engine does no I/O: progress, cancellation and stopping rules come through an
//! [`Observer`] the caller passes in.

pub mod accumulate;
pub mod block;
pub mod condition;
pub mod lane_rng;
pub mod projects;
pub mod records;
pub mod sampling;
pub mod sketch;
pub mod trial;

use crate::error::Error;
use crate::model::vmath;
use crate::scenario::Scenario;
use accumulate::{Moments, StrategyAccumulator, add_block};
use block::OutcomeBlock;
use lane_rng::{LaneRng, TrialStream};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use sampling::BatchSampler;
pub use sampling::Sampling;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use trial::{Causes, CompiledScenario, LaneScratch, TrialScratch};

/// Trials per batch: the unit of seeding, parallelism and merging (part of the model contract,
/// since it fixes which random numbers each trial gets).
pub const BATCH_TRIALS: u64 = 16_384;
/// With a stopping rule, the rule is consulted after 8, 16, 32, 64 batches and then every 64
/// batches: a schedule fixed in batches, so a run stops at the same trial count on any machine.
pub const FIRST_CHECKPOINT_BATCHES: u64 = 8;
pub const CHECKPOINT_BATCHES: u64 = 64;

/// The K-th of N disjoint slices of a run's batches (`index` counts from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole run.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// The batches of this shard: `[⌊K·B/N⌋, ⌊(K+1)·B/N⌋)` of the run's `B` batches.
    pub fn batches(&self, total_batches: u64) -> std::ops::Range<u64> {
        let edge =
            |k: u64| ((k as u128 * total_batches as u128) / self.count.max(1) as u128) as u64;
        edge(self.index)..edge(self.index + 1)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RunSettings {
    /// Trials of the whole run (with a stopping rule: the most it may use).
    pub trials: u64,
    pub seed: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    pub sampling: Sampling,
    pub shard: Shard,
    /// Draw the catalogue's `[uncertainty]` parameters and the ranged effect multipliers once
    /// per trial (`docs/MODEL.md` §4b, §8). Off, the run is exactly what it was without the
    /// table and without the ranges.
    pub parameter_uncertainty: bool,
}

impl Default for RunSettings {
    /// 100,000 trials, seed 1, one thread per core, pseudo-random sampling, the whole run,
    /// fixed parameters.
    fn default() -> Self {
        RunSettings {
            trials: 100_000,
            seed: 1,
            threads: 0,
            sampling: Sampling::Random,
            shard: Shard::WHOLE,
            parameter_uncertainty: false,
        }
    }
}

/// Told about progress; asked whether to stop.
pub trait Observer: Sync {
    /// `trials` more trials are done (called from worker threads).
    fn advance(&self, _trials: u64) {}
    /// An interruption (Ctrl-C): the run ends as soon as possible, marked interrupted.
    fn should_stop(&self) -> bool {
        false
    }
    /// Whether [`Observer::checkpoint`] should be called.
    fn wants_checkpoints(&self) -> bool {
        false
    }
    /// Called with the results so far on the fixed checkpoint schedule; `true` ends the run
    /// there (a precision target met).
    fn checkpoint(&self, _partial: &SimulationResult) -> bool {
        false
    }
}

/// An observer that ignores everything.
pub struct NoObserver;
impl Observer for NoObserver {}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// All requested trials were run.
    Completed,
    /// The observer's stopping rule (a precision target) was met first.
    TargetMet,
    /// The observer interrupted the run; the result is partial and not reproducible.
    Interrupted,
}

/// Per-batch replicates of the report's figures, for batch-means standard errors under the
/// structured sampling designs (each batch is an independent randomisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchMoments {
    /// Full batches recorded (a short last batch is left out).
    pub batches: u64,
    /// One per figure, in the order of [`crate::analysis::report::batch_values`].
    pub figures: Vec<Moments>,
}

/// What a run produced: one accumulator per strategy, in the scenario's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationResult {
    /// Trials simulated.
    pub trials: u64,
    pub seed: u64,
    pub sampling: Sampling,
    /// Trials the run was asked for (all shards together).
    pub requested_trials: u64,
    pub shard: Shard,
    /// Batches simulated: `[first, end)`.
    pub batches: (u64, u64),
    pub ending: Ending,
    pub strategies: Vec<StrategyAccumulator>,
    /// Present for the structured designs (`lhs`, `sobol`).
    pub batch_moments: Option<BatchMoments>,
    /// Whether the parameters were drawn per trial (`--parameter-uncertainty`).
    #[serde(default)]
    pub parameter_uncertainty: bool,
}

impl SimulationResult {
    /// Add another slice of the same run. Exact: the sum of integer accumulators.
    pub fn absorb(&mut self, other: &SimulationResult) {
        self.trials += other.trials;
        self.batches = (
            self.batches.0.min(other.batches.0),
            self.batches.1.max(other.batches.1),
        );
        for (mine, theirs) in self.strategies.iter_mut().zip(&other.strategies) {
            mine.merge(theirs);
        }
        if let (Some(mine), Some(theirs)) = (&mut self.batch_moments, &other.batch_moments) {
            mine.batches += theirs.batches;
            for (a, b) in mine.figures.iter_mut().zip(&theirs.figures) {
                a.merge(b);
            }
        }
        if other.ending == Ending::Interrupted {
            self.ending = Ending::Interrupted;
        }
    }

    /// [`Self::absorb`] with checked arithmetic, for results read from files (`crmcast merge`):
    /// `None` on an overflow or on results of different shapes, never a wrapped sum.
    pub fn checked_absorb(&mut self, other: &SimulationResult) -> Option<()> {
        if self.strategies.len() != other.strategies.len() {
            return None;
        }
        self.trials = self.trials.checked_add(other.trials)?;
        self.batches = (
            self.batches.0.min(other.batches.0),
            self.batches.1.max(other.batches.1),
        );
        for (mine, theirs) in self.strategies.iter_mut().zip(&other.strategies) {
            mine.checked_merge(theirs)?;
        }
        match (&mut self.batch_moments, &other.batch_moments) {
            (Some(mine), Some(theirs)) => {
                // A shard without a full batch has no figures yet.
                if mine.figures.is_empty() {
                    mine.figures = vec![Moments::default(); theirs.figures.len()];
                }
                if !theirs.figures.is_empty() && mine.figures.len() != theirs.figures.len() {
                    return None;
                }
                mine.batches = mine.batches.checked_add(theirs.batches)?;
                for (a, b) in mine.figures.iter_mut().zip(&theirs.figures) {
                    a.checked_merge(b)?;
                }
            }
            (None, None) => {}
            _ => return None,
        }
        if other.ending == Ending::Interrupted {
            self.ending = Ending::Interrupted;
        }
        Some(())
    }

    /// The first moment that had values clamped to the fixed-point range, as (strategy index,
    /// metric name, clamped count): such a result must not be reported.
    pub fn clamped(&self) -> Option<(usize, &'static str, u64)> {
        self.strategies.iter().enumerate().find_map(|(s, acc)| {
            let moments = acc.moments.iter().zip(accumulate::MOMENT_METRICS);
            let paired = acc.paired.iter().zip(accumulate::PAIRED_METRICS);
            moments
                .chain(paired)
                .find(|(m, _)| m.clamped > 0)
                .map(|(m, name)| (s, name, m.clamped))
        })
    }

    pub fn stopped_early(&self) -> bool {
        self.ending != Ending::Completed
    }
}

/// SplitMix64's output function: decorrelates (seed, batch) into a 64-bit RNG seed.
pub fn batch_seed(seed: u64, batch: u64) -> u64 {
    let mut z = seed.wrapping_add(batch.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn new_accumulators(compiled: &CompiledScenario) -> Vec<StrategyAccumulator> {
    (0..compiled.strategies)
        .map(|_| StrategyAccumulator::with_strategies(compiled.factors, compiled.strategies))
        .collect()
}

/// One worker's state: allocated once per run, reused for every batch it takes.
pub struct Worker {
    accumulators: Vec<StrategyAccumulator>,
    /// Factor presence per strategy, `presence[s * factors + i]`.
    presence: Vec<u64>,
    scratch: TrialScratch,
    sampler: Option<BatchSampler>,
    /// For the structured designs: one batch's accumulators, merged after the batch.
    batch: Vec<StrategyAccumulator>,
    batch_moments: Vec<Moments>,
    batches_recorded: u64,
    values: Vec<f64>,
    /// Evaluated trials waiting to be accumulated, a block at a time.
    outcomes: OutcomeBlock,
    /// The lane core's scratch, for runs with fixed parameters.
    lanes: Option<LaneScratch>,
}

impl Worker {
    pub fn new(compiled: &CompiledScenario, sampling: Sampling) -> Self {
        let structured = sampling != Sampling::Random;
        Worker {
            accumulators: new_accumulators(compiled),
            presence: vec![0; compiled.strategies * compiled.factors],
            scratch: compiled.scratch(),
            sampler: structured.then(|| BatchSampler::new(sampling, compiled.dimensions())),
            batch: if structured {
                new_accumulators(compiled)
            } else {
                Vec::new()
            },
            batch_moments: Vec::new(),
            batches_recorded: 0,
            values: Vec::new(),
            outcomes: OutcomeBlock::new(compiled.strategies),
            lanes: compiled.lanes_supported().then(|| compiled.lane_scratch()),
        }
    }

    /// Run batch `batch` of a run with seed `seed` (`trials` ≤ [`BATCH_TRIALS`] trials).
    pub fn run_batch(&mut self, compiled: &CompiledScenario, seed: u64, batch: u64, trials: u64) {
        if self.lanes.is_some() {
            // Through pulp's runtime dispatch: `LaneBatch::with_simd` and everything it inlines
            // are compiled once per instruction set (AVX-512, AVX2+FMA, SSE, NEON, scalar) and
            // the best one the CPU has runs.
            pulp::Arch::new().dispatch(LaneBatch {
                worker: self,
                compiled,
                seed,
                batch,
                trials,
            });
            return;
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(batch_seed(seed, batch));
        let accumulate = |accumulators: &mut [StrategyAccumulator], block: &mut OutcomeBlock| {
            flush(compiled, accumulators, block)
        };
        let Some(sampler) = self.sampler.as_mut() else {
            let mut stream = TrialStream::new(batch_seed(seed, batch), compiled.dimensions());
            for _ in 0..trials {
                compiled.draw(&mut stream, &mut self.scratch);
                compiled.evaluate_all(&mut self.scratch, &mut self.presence);
                self.outcomes.push(&self.scratch.outcomes);
                if self.outcomes.is_full() {
                    accumulate(&mut self.accumulators, &mut self.outcomes);
                }
            }
            accumulate(&mut self.accumulators, &mut self.outcomes);
            return;
        };
        sampler.start_batch(&mut rng, trials as usize);
        for trial in 0..trials as usize {
            let uniforms = sampler.uniforms(&mut rng, trial);
            compiled.draw_from_uniforms(uniforms, &mut self.scratch);
            compiled.evaluate_all(&mut self.scratch, &mut self.presence);
            self.outcomes.push(&self.scratch.outcomes);
            if self.outcomes.is_full() {
                accumulate(&mut self.batch, &mut self.outcomes);
            }
        }
        accumulate(&mut self.batch, &mut self.outcomes);
        self.finish_structured_batch(compiled, trials);
    }

    /// After a structured design's batch: record its replicate of the report's figures (a full
    /// batch only) and add the batch into the worker's totals.
    fn finish_structured_batch(&mut self, compiled: &CompiledScenario, trials: u64) {
        if trials == BATCH_TRIALS {
            crate::analysis::report::batch_values(&self.batch, compiled.baseline, &mut self.values);
            if self.batch_moments.is_empty() {
                self.batch_moments = vec![Moments::default(); self.values.len()];
            }
            for (m, &v) in self.batch_moments.iter_mut().zip(&self.values) {
                m.add(v);
            }
            self.batches_recorded += 1;
        }
        for (total, part) in self.accumulators.iter_mut().zip(self.batch.iter_mut()) {
            total.merge(part);
            part.reset();
        }
    }
}

/// Add a block of evaluated trials into `accumulators` and empty it.
#[inline(always)]
fn flush(
    compiled: &CompiledScenario,
    accumulators: &mut [StrategyAccumulator],
    block: &mut OutcomeBlock,
) {
    add_block(
        accumulators,
        block,
        compiled.baseline,
        1.0 / compiled.budget,
        compiled.horizon_years,
    );
    block.clear();
}

/// One batch through the lane core, as pulp's unit of dispatch.
struct LaneBatch<'a> {
    worker: &'a mut Worker,
    compiled: &'a CompiledScenario,
    seed: u64,
    batch: u64,
    trials: u64,
}

impl pulp::WithSimd for LaneBatch<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        self.worker
            .run_batch_in_lanes(self.compiled, self.seed, self.batch, self.trials);
    }
}

impl Worker {
    /// [`Self::run_batch`] through the lane core: eight trials per step, their uniforms from the
    /// batch's eight streams ([`LaneRng`]) or, under a structured design, from the design.
    #[inline(always)]
    fn run_batch_in_lanes(
        &mut self,
        compiled: &CompiledScenario,
        seed: u64,
        batch: u64,
        trials: u64,
    ) {
        let Some(lanes) = self.lanes.as_mut() else {
            return;
        };
        let accumulate = |accumulators: &mut [StrategyAccumulator], block: &mut OutcomeBlock| {
            flush(compiled, accumulators, block)
        };
        let trials = trials as usize;
        let Some(sampler) = self.sampler.as_mut() else {
            let mut rng = LaneRng::new(batch_seed(seed, batch));
            for first in (0..trials).step_by(vmath::LANES) {
                rng.fill(&mut lanes.uniforms);
                let valid = vmath::LANES.min(trials - first);
                compiled.draw_lanes(lanes);
                compiled.evaluate_lanes(lanes, valid, &mut self.outcomes, Causes::Find);
                if self.outcomes.is_full() {
                    accumulate(&mut self.accumulators, &mut self.outcomes);
                }
            }
            accumulate(&mut self.accumulators, &mut self.outcomes);
            compiled.fold_presence(lanes, &mut self.presence);
            return;
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(batch_seed(seed, batch));
        sampler.start_batch(&mut rng, trials);
        for first in (0..trials).step_by(vmath::LANES) {
            let valid = vmath::LANES.min(trials - first);
            for slot in lanes.uniforms.iter_mut() {
                *slot = [0.5; vmath::LANES];
            }
            for k in 0..valid {
                let uniforms = sampler.uniforms(&mut rng, first + k);
                for (slot, &u) in lanes.uniforms.iter_mut().zip(uniforms) {
                    slot[k] = u;
                }
            }
            compiled.draw_lanes(lanes);
            compiled.evaluate_lanes(lanes, valid, &mut self.outcomes, Causes::Find);
            if self.outcomes.is_full() {
                accumulate(&mut self.batch, &mut self.outcomes);
            }
        }
        accumulate(&mut self.batch, &mut self.outcomes);
        compiled.fold_presence(lanes, &mut self.presence);
        self.finish_structured_batch(compiled, trials as u64);
    }
}

/// Sum the workers' states into one result.
fn combine(
    compiled: &CompiledScenario,
    workers: &[Worker],
    settings: &RunSettings,
    batches: (u64, u64),
    ending: Ending,
) -> SimulationResult {
    let mut strategies = new_accumulators(compiled);
    let mut batch_moments = (settings.sampling != Sampling::Random).then(|| BatchMoments {
        batches: 0,
        figures: Vec::new(),
    });
    for worker in workers {
        for (s, (total, part)) in strategies.iter_mut().zip(&worker.accumulators).enumerate() {
            total.merge(part);
            let row = &worker.presence[s * compiled.factors..(s + 1) * compiled.factors];
            for (a, b) in total.presence.iter_mut().zip(row) {
                *a += b;
            }
        }
        if let Some(moments) = batch_moments.as_mut() {
            moments.batches += worker.batches_recorded;
            if moments.figures.len() < worker.batch_moments.len() {
                moments
                    .figures
                    .resize(worker.batch_moments.len(), Moments::default());
            }
            for (a, b) in moments.figures.iter_mut().zip(&worker.batch_moments) {
                a.merge(b);
            }
        }
    }
    SimulationResult {
        trials: strategies[0].trials,
        seed: settings.seed,
        sampling: settings.sampling,
        requested_trials: settings.trials,
        shard: settings.shard,
        batches,
        ending,
        strategies,
        batch_moments,
        parameter_uncertainty: settings.parameter_uncertainty,
    }
}

/// A rayon pool of `threads` workers (0 = one per core): the one place the engine, the analyses
/// and the CLI start their worker threads.
pub fn worker_pool(threads: usize) -> Result<rayon::ThreadPool, Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Internal(format!("cannot start worker threads: {e}")))
}

/// The refusal of `--parameter-uncertainty` for a scenario with nothing uncertain: no
/// `[uncertainty]` table in its catalogue and no effect multiplier with a range.
pub fn nothing_uncertain(scenario: &Scenario) -> Error {
    let catalogue = scenario
        .catalogue_text
        .as_ref()
        .map_or("the built-in catalogue".to_string(), |c| c.origin.clone());
    Error::BadOption {
        option: "--parameter-uncertainty".into(),
        message: format!(
            "nothing in this scenario is uncertain: {catalogue} (version {}) has no [uncertainty] table, and no mitigation effect gives a `probability_range` or `severity_range`",
            scenario.catalogue_version
        ),
        fix: "drop --parameter-uncertainty; or give effects ranges (e.g. `probability = 0.5` with `probability_range = [0.3, 0.8]` in [[mitigations.effects]]); or use a catalogue with an [uncertainty] table (parameters and their covariance) through --catalogue FILE or the scenario's `catalogue = \"…\"`".into(),
    }
}

/// A result with values beyond the fixed-point range is refused, never reported: its sums
/// would be silently wrong (`docs/MODEL.md` §13).
fn refuse_clamped(
    scenario: &Scenario,
    result: SimulationResult,
) -> Result<SimulationResult, Error> {
    let Some((strategy, metric, count)) = result.clamped() else {
        return Ok(result);
    };
    let name = scenario
        .strategies
        .get(strategy)
        .map_or("?", |s| s.name.as_str());
    Err(Error::OutOfRange {
        origin: scenario.origin.clone(),
        message: format!(
            "in {count} of {} trials, strategy \"{name}\" gave a {metric} beyond ±{} (money in budgets), the range crmcast adds exactly",
            result.trials,
            accumulate::FIXED_POINT_LIMIT
        ),
        fix: "narrow the widest inputs (the [estimate] log_cost_sd and log_schedule_sd, the [runaway] size_min and tail, the benefit against the budget): see docs/MODEL.md §13".into(),
    })
}

/// Simulate every strategy of a scenario on common random numbers.
pub fn simulate(
    scenario: &Scenario,
    settings: &RunSettings,
    observer: &dyn Observer,
) -> Result<SimulationResult, Error> {
    if settings.parameter_uncertainty && !scenario.has_uncertainty() {
        return Err(nothing_uncertain(scenario));
    }
    let compiled = CompiledScenario::with_uncertainty(scenario, settings.parameter_uncertainty);
    let pool = worker_pool(settings.threads)?;
    let threads = pool.current_num_threads();
    let total_batches = settings.trials.div_ceil(BATCH_TRIALS);
    let range = settings.shard.batches(total_batches);
    let mut workers: Vec<Worker> = (0..threads)
        .map(|_| Worker::new(&compiled, settings.sampling))
        .collect();
    let interrupted = AtomicBool::new(false);
    let mut first = range.start;
    let mut ending = Ending::Completed;
    while first < range.end {
        let done = first - range.start;
        let round = if observer.wants_checkpoints() {
            done.clamp(FIRST_CHECKPOINT_BATCHES, CHECKPOINT_BATCHES)
        } else {
            range.end - first
        };
        let last = (first + round).min(range.end);
        let next = AtomicU64::new(first);
        pool.install(|| {
            workers.par_iter_mut().for_each(|worker| {
                loop {
                    if observer.should_stop() {
                        interrupted.store(true, Ordering::Relaxed);
                        return;
                    }
                    let batch = next.fetch_add(1, Ordering::Relaxed);
                    if batch >= last {
                        return;
                    }
                    let size = BATCH_TRIALS.min(settings.trials - batch * BATCH_TRIALS);
                    worker.run_batch(&compiled, settings.seed, batch, size);
                    observer.advance(size);
                }
            })
        });
        if interrupted.load(Ordering::Relaxed) {
            ending = Ending::Interrupted;
            break;
        }
        first = last;
        if observer.wants_checkpoints() && first < range.end {
            let partial = combine(
                &compiled,
                &workers,
                settings,
                (range.start, first),
                Ending::TargetMet,
            );
            if observer.checkpoint(&partial) {
                return refuse_clamped(scenario, partial);
            }
        }
    }
    refuse_clamped(
        scenario,
        combine(
            &compiled,
            &workers,
            settings,
            (range.start, first.min(range.end)),
            ending,
        ),
    )
}
