//! The Monte Carlo engine: trials in fixed batches, each batch drawing from its own RNG seeded
//! by (seed, batch index), batches run in parallel and merged in batch order. The same seed
//! therefore gives bit-identical results at any thread count. The engine does no I/O: progress
//! and cancellation come through an [`Observer`] the caller passes in.

pub mod accumulate;
pub mod sketch;
pub mod trial;

use crate::error::Error;
use crate::scenario::Scenario;
use accumulate::StrategyAccumulator;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use trial::CompiledScenario;

/// Trials per batch: the unit of seeding, parallelism and merging (part of the model contract,
/// since it fixes which random numbers each trial gets).
pub const BATCH_TRIALS: u64 = 16_384;

#[derive(Debug, Clone, Copy)]
pub struct RunSettings {
    pub trials: u64,
    pub seed: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
}

impl Default for RunSettings {
    /// 100,000 trials, seed 1, one thread per core.
    fn default() -> Self {
        RunSettings {
            trials: 100_000,
            seed: 1,
            threads: 0,
        }
    }
}

/// Told about progress; asked whether to stop. Called between batches only.
pub trait Observer: Sync {
    fn advance(&self, _trials: u64) {}
    fn should_stop(&self) -> bool {
        false
    }
}

/// An observer that ignores everything.
pub struct NoObserver;
impl Observer for NoObserver {}

/// What a run produced: one accumulator per strategy, in the scenario's order.
#[derive(Debug, Clone)]
pub struct SimulationResult {
    pub trials: u64,
    pub seed: u64,
    pub strategies: Vec<StrategyAccumulator>,
    /// True when the observer stopped the run early; `trials` then counts the batches done.
    pub stopped_early: bool,
}

/// SplitMix64's output function: decorrelates (seed, batch) into a 64-bit RNG seed.
pub fn batch_seed(seed: u64, batch: u64) -> u64 {
    let mut z = seed.wrapping_add(batch.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Run `trials` trials of batch `batch` (the last batch may be short).
pub fn run_batch(
    compiled: &CompiledScenario,
    seed: u64,
    batch: u64,
    trials: u64,
) -> Vec<StrategyAccumulator> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(batch_seed(seed, batch));
    let mut scratch = compiled.scratch();
    let mut accumulators: Vec<StrategyAccumulator> = (0..compiled.strategies)
        .map(|_| StrategyAccumulator::new(compiled.factors))
        .collect();
    let mut presence = vec![0u64; compiled.strategies * compiled.factors];
    for _ in 0..trials {
        compiled.draw(&mut rng, &mut scratch);
        compiled.evaluate_all(&mut scratch, &mut presence);
        let baseline = scratch.outcomes[compiled.baseline];
        for (accumulator, outcome) in accumulators.iter_mut().zip(&scratch.outcomes) {
            accumulator.add(outcome, &baseline, compiled.budget, compiled.horizon_years);
        }
    }
    for (s, accumulator) in accumulators.iter_mut().enumerate() {
        accumulator
            .presence
            .copy_from_slice(&presence[s * compiled.factors..(s + 1) * compiled.factors]);
    }
    accumulators
}

/// Simulate every strategy of a scenario on common random numbers.
pub fn simulate(
    scenario: &Scenario,
    settings: &RunSettings,
    observer: &dyn Observer,
) -> Result<SimulationResult, Error> {
    let compiled = CompiledScenario::new(scenario);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        .build()
        .map_err(|e| Error::Internal(format!("cannot start worker threads: {e}")))?;
    let threads = pool.current_num_threads() as u64;
    let batches = settings.trials.div_ceil(BATCH_TRIALS);
    // A round holds a few batches per thread: enough to keep every core busy, few enough that
    // the accumulators waiting to be merged stay small.
    let round = (threads * 4).max(1);
    let mut total: Vec<StrategyAccumulator> = (0..compiled.strategies)
        .map(|_| StrategyAccumulator::new(compiled.factors))
        .collect();
    let mut stopped_early = false;
    let mut first = 0;
    while first < batches {
        if observer.should_stop() {
            stopped_early = true;
            break;
        }
        let last = (first + round).min(batches);
        let parts: Vec<Vec<StrategyAccumulator>> = pool.install(|| {
            (first..last)
                .into_par_iter()
                .map(|batch| {
                    let size = BATCH_TRIALS.min(settings.trials - batch * BATCH_TRIALS);
                    let part = run_batch(&compiled, settings.seed, batch, size);
                    observer.advance(size);
                    part
                })
                .collect()
        });
        for part in parts {
            for (accumulator, piece) in total.iter_mut().zip(&part) {
                accumulator.merge(piece);
            }
        }
        first = last;
    }
    Ok(SimulationResult {
        trials: total[0].trials,
        seed: settings.seed,
        strategies: total,
        stopped_early,
    })
}
