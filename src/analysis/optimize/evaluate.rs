//! Candidates evaluated on common random numbers, light-weight: a chunk of candidates becomes
//! the strategies of one compiled scenario, the engine draws each trial once and evaluates it
//! under every candidate of the chunk ([`CompiledScenario::draw`],
//! [`CompiledScenario::evaluate_all`]), and only the per-trial values the objective needs are
//! kept (no accumulators).
//!
//! Trial `t` of a stage lies in batch `first_batch + t / 16384` and is drawn from that batch's
//! generator exactly as `crmcast run` draws it, whatever the chunk: a candidate's values depend
//! only on the scenario, its mitigations, the seed and the trial, never on which candidates
//! share its chunk or on the thread that ran it. So chunks may be sized to the machine and the
//! results are still bit-identical at any thread count.

use super::OptimizeObserver;
use crate::engine::lane_rng::TrialStream;
use crate::engine::trial::{CompiledScenario, OutcomeClass};
use crate::engine::{BATCH_TRIALS, batch_seed};
use crate::error::Error;
use crate::model::Strategy;
use crate::scenario::Scenario;
use crate::scenario::limits::MAX_STRATEGIES;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Bytes of per-trial values one chunk may hold (several chunks run at once, one per thread).
const CHUNK_BYTES: u64 = 64 << 20;

/// Which trials a stage evaluates: `trials` trials from the start of batch `first_batch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trials {
    pub first_batch: u64,
    pub trials: u64,
}

impl Trials {
    /// The batches this stage uses.
    pub fn batches(&self) -> u64 {
        self.trials.div_ceil(BATCH_TRIALS)
    }
}

/// Which per-trial series to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Series {
    pub npv: bool,
    pub overrun: bool,
    pub success: bool,
}

impl Series {
    pub const ALL: Series = Series {
        npv: true,
        overrun: true,
        success: true,
    };

    fn count(&self) -> u64 {
        self.npv as u64 + self.overrun as u64 + self.success as u64
    }
}

/// One candidate's per-trial values, in trial order (empty when not asked for).
#[derive(Debug, Clone, Default)]
pub struct Values {
    /// NPV (currency; mitigation costs as drawn in the trial are in the investment).
    pub npv: Vec<f64>,
    /// Budget overrun (fraction; the project's, without mitigation costs).
    pub overrun: Vec<f64>,
    /// 1 for a success, else 0.
    pub success: Vec<f64>,
}

/// Evaluates candidates (bit masks over the scenario's mitigations) on common random numbers.
pub struct Evaluator<'a> {
    pub scenario: &'a Scenario,
    pub parameter_uncertainty: bool,
    pub seed: u64,
    /// Threads of the pool the evaluation runs in (for sizing chunks only).
    pub threads: usize,
    pub observer: &'a dyn OptimizeObserver,
    /// Candidate-trials evaluated so far.
    pub evaluated: AtomicU64,
    stop: AtomicBool,
}

/// The indices of the bits set in `mask`, ascending: a candidate's mitigations in file order.
pub fn members(mask: u64) -> impl Iterator<Item = usize> {
    (0..64).filter(move |&m| mask >> m & 1 == 1)
}

impl<'a> Evaluator<'a> {
    pub fn new(
        scenario: &'a Scenario,
        parameter_uncertainty: bool,
        seed: u64,
        threads: usize,
        observer: &'a dyn OptimizeObserver,
    ) -> Self {
        Evaluator {
            scenario,
            parameter_uncertainty,
            seed,
            threads: threads.max(1),
            observer,
            evaluated: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        }
    }

    fn interrupted(&self) -> Error {
        Error::Interrupted {
            done: format!(
                "{} candidate-trials of the optimiser",
                self.evaluated.load(Ordering::Relaxed)
            ),
            fix: ", or use fewer --trials / --confirm-trials",
        }
    }

    /// Most candidates per chunk: the validated strategy limit, and at most [`CHUNK_BYTES`] of
    /// values.
    fn capacity(&self, trials: Trials, series: Series) -> usize {
        let per_candidate = trials.trials.max(1) * 8 * series.count().max(1);
        ((CHUNK_BYTES / per_candidate) as usize).clamp(1, MAX_STRATEGIES)
    }

    /// Candidates per chunk for `len` candidates: enough chunks to keep every thread busy,
    /// few enough that the shared draws are amortised.
    fn chunk_size(&self, len: usize, trials: Trials, series: Series) -> usize {
        let capacity = self.capacity(trials, series);
        len.div_ceil(2 * self.threads).clamp(4, 32).min(capacity)
    }

    /// Evaluate every candidate and summarise each from its values (`summarise` may sort
    /// them in place). Results in the order of `masks`.
    pub fn each<T: Send>(
        &self,
        masks: &[u64],
        trials: Trials,
        series: Series,
        summarise: impl Fn(u64, &mut Values) -> T + Sync,
    ) -> Result<Vec<T>, Error> {
        let size = self.chunk_size(masks.len(), trials, series);
        let chunks: Vec<Vec<T>> = masks
            .par_chunks(size)
            .map(|chunk| {
                let mut values = self.run_chunk(chunk, trials, series)?;
                Ok(chunk
                    .iter()
                    .zip(values.iter_mut())
                    .map(|(&mask, v)| summarise(mask, v))
                    .collect())
            })
            .collect::<Result<_, Error>>()?;
        Ok(chunks.into_iter().flatten().collect())
    }

    /// For each group `(reference, others)`: `compare(reference values, other values)` for
    /// every other candidate, evaluated on the same trials. Results per group, in order.
    pub fn paired<T: Send>(
        &self,
        groups: &[(u64, Vec<u64>)],
        trials: Trials,
        series: Series,
        compare: impl Fn(&Values, &Values) -> T + Sync,
    ) -> Result<Vec<Vec<T>>, Error> {
        let room = self.capacity(trials, series).max(2) - 1;
        let jobs: Vec<(usize, Vec<u64>)> = groups
            .iter()
            .enumerate()
            .flat_map(|(g, (reference, others))| {
                others.chunks(room.max(1)).map(move |part| {
                    let mut chunk = vec![*reference];
                    chunk.extend_from_slice(part);
                    (g, chunk)
                })
            })
            .collect();
        let results: Vec<(usize, Vec<T>)> = jobs
            .par_iter()
            .map(|(g, chunk)| {
                let values = self.run_chunk(chunk, trials, series)?;
                let (reference, others) = values.split_first().expect("a reference");
                Ok((*g, others.iter().map(|v| compare(reference, v)).collect()))
            })
            .collect::<Result<_, Error>>()?;
        let mut out: Vec<Vec<T>> = groups.iter().map(|_| Vec::new()).collect();
        for (g, part) in results {
            out[g].extend(part);
        }
        Ok(out)
    }

    /// The scenario with one strategy per candidate of the chunk (mitigations in file order).
    fn chunk_scenario(&self, chunk: &[u64]) -> Scenario {
        let mut scenario = self.scenario.clone();
        scenario.strategies = chunk
            .iter()
            .map(|&mask| Strategy {
                id: format!("subset_{mask:x}"),
                name: String::new(),
                description: String::new(),
                mitigations: members(mask).collect(),
            })
            .collect();
        scenario.baseline = 0;
        scenario
    }

    /// Per-trial values of every candidate of `chunk` (at most 64), batch after batch.
    fn run_chunk(
        &self,
        chunk: &[u64],
        trials: Trials,
        series: Series,
    ) -> Result<Vec<Values>, Error> {
        debug_assert!(!chunk.is_empty() && chunk.len() <= MAX_STRATEGIES);
        if self.stop.load(Ordering::Relaxed) {
            return Err(self.interrupted());
        }
        let scenario = self.chunk_scenario(chunk);
        let compiled = CompiledScenario::with_uncertainty(&scenario, self.parameter_uncertainty);
        let mut scratch = compiled.scratch();
        let mut presence = vec![0u64; compiled.strategies * compiled.factors];
        let n = trials.trials as usize;
        let series_vec = |wanted: bool| {
            if wanted {
                Vec::with_capacity(n)
            } else {
                Vec::new()
            }
        };
        let mut values: Vec<Values> = chunk
            .iter()
            .map(|_| Values {
                npv: series_vec(series.npv),
                overrun: series_vec(series.overrun),
                success: series_vec(series.success),
            })
            .collect();
        for k in 0..trials.batches() {
            if self.observer.should_stop() {
                self.stop.store(true, Ordering::Relaxed);
            }
            if self.stop.load(Ordering::Relaxed) {
                return Err(self.interrupted());
            }
            let size = BATCH_TRIALS.min(trials.trials - k * BATCH_TRIALS);
            let mut stream = TrialStream::new(
                batch_seed(self.seed, trials.first_batch + k),
                compiled.dimensions(),
            );
            for _ in 0..size {
                compiled.draw(&mut stream, &mut scratch);
                compiled.evaluate_all(&mut scratch, &mut presence);
                for (v, outcome) in values.iter_mut().zip(&scratch.outcomes) {
                    if series.npv {
                        v.npv.push(outcome.npv);
                    }
                    if series.overrun {
                        v.overrun.push(outcome.overrun);
                    }
                    if series.success {
                        v.success
                            .push(f64::from(u8::from(outcome.class == OutcomeClass::Success)));
                    }
                }
            }
            let done = size * chunk.len() as u64;
            self.evaluated.fetch_add(done, Ordering::Relaxed);
            self.observer.advance(done);
        }
        Ok(values)
    }
}
