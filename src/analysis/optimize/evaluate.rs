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
use crate::engine::block::{BLOCK_TRIALS, OutcomeBlock};
use crate::engine::lane_rng::TrialStream;
use crate::engine::trial::{Causes, CompiledScenario, OutcomeClass};
use crate::engine::{BATCH_TRIALS, batch_seed};
use crate::error::Error;
use crate::model::Strategy;
use crate::scenario::Scenario;
use crate::scenario::limits::MAX_STRATEGIES;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Bytes of per-trial values one chunk may hold. A chunk with batches enough for the threads
/// runs alone (its batches in parallel); smaller ones run side by side but hold little.
const CHUNK_BYTES: u64 = 32 << 20;

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

    /// Candidates per chunk for `len` candidates. A chunk draws each trial once for all its
    /// candidates and runs its batches in parallel, so chunks are as large as the capacity
    /// allows; only a stage with too few batches to keep every thread busy splits its
    /// candidates into more chunks (about two tasks per thread in all).
    fn chunk_size(&self, len: usize, trials: Trials, series: Series) -> usize {
        let capacity = self.capacity(trials, series);
        let batches = trials.batches().max(1) as usize;
        let wanted_chunks = (2 * self.threads).div_ceil(batches).max(1);
        len.div_ceil(wanted_chunks)
            .clamp(4, MAX_STRATEGIES)
            .min(capacity)
    }

    /// Whether the chunks of a stage run one after another (each with its batches in
    /// parallel): when there are batches enough for every thread. Then at most one chunk of
    /// values ([`CHUNK_BYTES`]) is held at a time.
    fn chunks_in_turn(&self, trials: Trials) -> bool {
        trials.batches() >= 2 * self.threads as u64
    }

    /// `work` over `jobs`, in parallel or in turn (see [`Self::chunks_in_turn`]), results in
    /// the order of `jobs`.
    fn over<J: Sync, T: Send>(
        &self,
        jobs: &[J],
        trials: Trials,
        work: impl Fn(&J) -> Result<T, Error> + Sync,
    ) -> Result<Vec<T>, Error> {
        if self.chunks_in_turn(trials) {
            jobs.iter().map(work).collect()
        } else {
            jobs.par_iter().map(&work).collect()
        }
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
        let chunks: Vec<&[u64]> = masks.chunks(size).collect();
        let done: Vec<Vec<T>> = self.over(&chunks, trials, |chunk| {
            let mut values = self.run_chunk(chunk, trials, series)?;
            // Summaries sort their values: in parallel too, since chunks may run in turn.
            Ok(chunk
                .par_iter()
                .zip(values.par_iter_mut())
                .map(|(&mask, v)| summarise(mask, v))
                .collect())
        })?;
        Ok(done.into_iter().flatten().collect())
    }

    /// For each group `(reference, others)`: `compare(reference values, other values)` for
    /// every other candidate, evaluated on the same trials. Results per group, in order.
    ///
    /// The groups share their trials' draws: a group too large for one chunk is cut into
    /// parts (its reference with some of the others), and the parts are packed into chunks of
    /// distinct candidates, so a candidate several groups name (the best subset, the empty
    /// set, a frontier point and its neighbours) is evaluated once per chunk, and each trial
    /// is drawn once per chunk rather than once per group. The values of a candidate do not
    /// depend on its chunk, so the comparisons are those of evaluating each group alone.
    pub fn paired<T: Send>(
        &self,
        groups: &[(u64, Vec<u64>)],
        trials: Trials,
        series: Series,
        compare: impl Fn(&Values, &Values) -> T + Sync,
    ) -> Result<Vec<Vec<T>>, Error> {
        let capacity = self.capacity(trials, series).max(2);
        let parts = paired_parts(groups, capacity);
        let packs = pack(&parts, capacity);
        let results: Vec<Vec<(usize, Vec<T>)>> = self.over(&packs, trials, |pack| {
            let values = self.run_chunk(&pack.masks, trials, series)?;
            let at = |mask: u64| {
                let i = pack
                    .masks
                    .iter()
                    .position(|&m| m == mask)
                    .expect("every mask of a part is in its pack");
                &values[i]
            };
            Ok(pack
                .parts
                .par_iter()
                .map(|&p| {
                    let (g, chunk) = &parts[p];
                    let reference = at(chunk[0]);
                    let compared = chunk[1..].iter().map(|&m| compare(reference, at(m)));
                    (*g, compared.collect())
                })
                .collect())
        })?;
        let mut out: Vec<Vec<T>> = groups.iter().map(|_| Vec::new()).collect();
        // Parts in their original order (packs keep it), so each group's results follow its
        // `others`.
        let mut done: Vec<(usize, usize, Vec<T>)> = Vec::new();
        for (pack, results) in packs.iter().zip(results) {
            for (&p, (g, part)) in pack.parts.iter().zip(results) {
                done.push((p, g, part));
            }
        }
        done.sort_by_key(|(p, _, _)| *p);
        for (_, g, part) in done {
            out[g].extend(part);
        }
        Ok(out)
    }

    /// Candidate-trials [`Self::paired`] evaluates for `groups` (the progress bar's total).
    pub fn paired_work(&self, groups: &[(u64, Vec<u64>)], trials: Trials, series: Series) -> u64 {
        let capacity = self.capacity(trials, series).max(2);
        let parts = paired_parts(groups, capacity);
        let candidates: u64 = pack(&parts, capacity)
            .iter()
            .map(|p| p.masks.len() as u64)
            .sum();
        candidates * trials.trials
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

    /// Per-trial values of every candidate of `chunk` (at most 64): every trial drawn once
    /// and evaluated under all of them, the stage's batches in parallel, each writing its own
    /// stretch of the values.
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
        let n = trials.trials as usize;
        let series_vec = |wanted: bool| if wanted { vec![0.0; n] } else { Vec::new() };
        let mut values: Vec<Values> = chunk
            .iter()
            .map(|_| Values {
                npv: series_vec(series.npv),
                overrun: series_vec(series.overrun),
                success: series_vec(series.success),
            })
            .collect();
        // Per batch, its stretch of every kept series: `[candidate][series]`.
        let batches = trials.batches() as usize;
        let mut stretches: Vec<Vec<[&mut [f64]; 3]>> = (0..batches)
            .map(|_| Vec::with_capacity(chunk.len()))
            .collect();
        for v in values.iter_mut() {
            let (npv, overrun, success) = (
                cut(&mut v.npv, batches),
                cut(&mut v.overrun, batches),
                cut(&mut v.success, batches),
            );
            for (k, ((a, b), c)) in npv.into_iter().zip(overrun).zip(success).enumerate() {
                stretches[k].push([a, b, c]);
            }
        }
        let compiled = &compiled;
        stretches
            .into_par_iter()
            .enumerate()
            .try_for_each(|(k, mut stretch)| {
                self.run_batch(compiled, trials, k as u64, &mut stretch, series)
            })?;
        Ok(values)
    }

    /// Batch `k` of the stage: each trial drawn as `crmcast run` draws it, its values written
    /// at its place in `stretch` (`[candidate][npv, overrun, success]`).
    fn run_batch(
        &self,
        compiled: &CompiledScenario,
        trials: Trials,
        k: u64,
        stretch: &mut [[&mut [f64]; 3]],
        series: Series,
    ) -> Result<(), Error> {
        if self.observer.should_stop() {
            self.stop.store(true, Ordering::Relaxed);
        }
        if self.stop.load(Ordering::Relaxed) {
            return Err(self.interrupted());
        }
        let size = BATCH_TRIALS.min(trials.trials - k * BATCH_TRIALS) as usize;
        let seed = batch_seed(self.seed, trials.first_batch + k);
        if compiled.lanes_supported() {
            let mut lanes = compiled.lane_scratch();
            let mut block = OutcomeBlock::new(compiled.strategies);
            compiled.batch_in_blocks(
                seed,
                size,
                Causes::Skip,
                &mut lanes,
                &mut block,
                |first, block| {
                    let at = first..first + block.len;
                    for (s, slots) in stretch.iter_mut().enumerate() {
                        let column = s * BLOCK_TRIALS..s * BLOCK_TRIALS + block.len;
                        if series.npv {
                            slots[0][at.clone()].copy_from_slice(&block.npv[column.clone()]);
                        }
                        if series.overrun {
                            slots[1][at.clone()].copy_from_slice(&block.overrun[column.clone()]);
                        }
                        if series.success {
                            for (slot, &class) in
                                slots[2][at.clone()].iter_mut().zip(&block.class[column])
                            {
                                *slot = f64::from(u8::from(class == OutcomeClass::Success as u8));
                            }
                        }
                    }
                },
            );
            self.evaluated_batch(size, stretch.len());
            return Ok(());
        }
        let mut scratch = compiled.scratch();
        let mut presence = vec![0u64; compiled.strategies * compiled.factors];
        let mut stream = TrialStream::new(seed, compiled.dimensions());
        for t in 0..size {
            compiled.draw(&mut stream, &mut scratch);
            compiled.evaluate_all(&mut scratch, &mut presence);
            for (slots, outcome) in stretch.iter_mut().zip(&scratch.outcomes) {
                if series.npv {
                    slots[0][t] = outcome.npv;
                }
                if series.overrun {
                    slots[1][t] = outcome.overrun;
                }
                if series.success {
                    slots[2][t] = f64::from(u8::from(outcome.class == OutcomeClass::Success));
                }
            }
        }
        self.evaluated_batch(size, stretch.len());
        Ok(())
    }

    /// Count a batch of `size` trials under `candidates` candidates as evaluated.
    fn evaluated_batch(&self, size: usize, candidates: usize) {
        let done = size as u64 * candidates as u64;
        self.evaluated.fetch_add(done, Ordering::Relaxed);
        self.observer.advance(done);
    }
}

/// A series cut into its batches' stretches (an empty series into empty stretches).
fn cut(series: &mut [f64], batches: usize) -> Vec<&mut [f64]> {
    if series.is_empty() {
        (0..batches).map(|_| &mut [][..]).collect()
    } else {
        series.chunks_mut(BATCH_TRIALS as usize).collect()
    }
}

/// Parts of the paired comparisons packed into one chunk: their distinct candidates.
struct Pack {
    masks: Vec<u64>,
    /// Indices of the parts it holds, ascending.
    parts: Vec<usize>,
}

/// Packs `parts` (each at most `capacity` distinct candidates), in order, greedily: a part
/// joins the current pack while the pack's distinct candidates stay within `capacity`.
fn pack(parts: &[(usize, Vec<u64>)], capacity: usize) -> Vec<Pack> {
    let mut packs: Vec<Pack> = Vec::new();
    for (p, (_, chunk)) in parts.iter().enumerate() {
        let fits = packs.last().is_some_and(|last| {
            let new = chunk.iter().filter(|m| !last.masks.contains(m)).count();
            last.masks.len() + new <= capacity
        });
        if !fits {
            packs.push(Pack {
                masks: Vec::new(),
                parts: Vec::new(),
            });
        }
        let last = packs.last_mut().expect("a pack");
        for &m in chunk {
            if !last.masks.contains(&m) {
                last.masks.push(m);
            }
        }
        last.parts.push(p);
    }
    packs
}

/// `groups` (a reference and the candidates compared with it) cut into chunks of at most
/// `capacity` candidates, each led by its group's reference: what [`Evaluator::paired`] evaluates
/// and [`Evaluator::paired_work`] counts.
fn paired_parts(groups: &[(u64, Vec<u64>)], capacity: usize) -> Vec<(usize, Vec<u64>)> {
    groups
        .iter()
        .enumerate()
        .flat_map(|(g, (reference, others))| {
            others.chunks((capacity - 1).max(1)).map(move |part| {
                let mut chunk = vec![*reference];
                chunk.extend_from_slice(part);
                (g, chunk)
            })
        })
        .collect()
}
