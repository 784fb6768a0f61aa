//! Replaying a run's trials one at a time, for the outputs that need single trials rather than
//! the accumulators: `--trials-output` (every trial as CSV), the HTML report's scatter chart and
//! the workbook's trials sheet.
//!
//! A replay redraws trial `t` of a run exactly as [`super::simulate`] drew it: batch
//! `t / BATCH_TRIALS` from the same seed, at the batch's size in the run (a structured design
//! depends on it), position `t % BATCH_TRIALS` in that batch, with the same sampling design and
//! parameter uncertainty. So a replayed trial is the trial the run counted, bit for bit; the
//! tests below check that by rebuilding the run's accumulators from a replay.
//!
//! Pure like the rest of the engine: no files, no terminal; the caller passes the settings.

use super::block::OutcomeBlock;
use super::lane_rng::TrialStream;
use super::sampling::BatchSampler;
use super::trial::{Causes, CompiledScenario, Outcome, OutcomeClass, TrialScratch};
use super::{BATCH_TRIALS, RunSettings, Sampling, batch_seed};
use crate::scenario::Scenario;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use std::ops::Range;

/// A run's trials, ready to be replayed: the compiled scenario and what fixes the draws.
/// Shared (`Sync`) between threads; each thread replays with its own [`Cursor`].
pub struct Replay {
    compiled: CompiledScenario,
    settings: RunSettings,
}

/// One thread's working state for a replay: allocated once, reused for every batch, so that
/// replaying allocates nothing per trial.
pub struct Cursor {
    scratch: TrialScratch,
    /// Factor presence of the current trial, `presence[s * factors + i]` (0 or 1).
    presence: Vec<u64>,
    sampler: Option<BatchSampler>,
}

/// One evaluated trial, lent to the visitor: every strategy's outcome and the factors behind it.
pub struct TrialView<'a> {
    /// The trial's index in the run (0-based, counted over the whole run, not the shard).
    pub trial: u64,
    compiled: &'a CompiledScenario,
    scratch: &'a TrialScratch,
    presence: &'a [u64],
}

impl TrialView<'_> {
    /// Every strategy's outcome, in the scenario's order.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.scratch.outcomes
    }

    pub fn outcome(&self, strategy: usize) -> &Outcome {
        &self.scratch.outcomes[strategy]
    }

    /// Whether `factor` struck under `strategy` in this trial.
    pub fn present(&self, strategy: usize, factor: usize) -> bool {
        self.presence[strategy * self.compiled.factors + factor] != 0
    }

    /// Each factor's severity under `strategy` (after the strategy's severity multipliers),
    /// 0 for a factor that did not strike. `out` has one slot per factor.
    pub fn severities(&self, strategy: usize, out: &mut [f64]) {
        self.compiled.severities(self.scratch, strategy, out);
    }
}

impl Replay {
    /// The run `settings` describes. Parameter uncertainty is drawn only when the settings ask
    /// for it and the scenario has an `[uncertainty]` table, as in the run (which refuses the
    /// first without the second).
    pub fn new(scenario: &Scenario, settings: &RunSettings) -> Self {
        Replay {
            compiled: CompiledScenario::with_uncertainty(scenario, settings.parameter_uncertainty),
            settings: *settings,
        }
    }

    pub fn strategies(&self) -> usize {
        self.compiled.strategies
    }

    pub fn factors(&self) -> usize {
        self.compiled.factors
    }

    /// The run's trials in batches `batches` (clamped to the run's end), as trial indices.
    pub fn batch_trials(&self, batches: Range<u64>) -> Range<u64> {
        let end = |b: u64| b.saturating_mul(BATCH_TRIALS).min(self.settings.trials);
        end(batches.start)..end(batches.end)
    }

    /// The trials the settings' shard simulates (all of them for the whole run).
    pub fn shard_trials(&self) -> Range<u64> {
        let total_batches = self.settings.trials.div_ceil(BATCH_TRIALS);
        self.batch_trials(self.settings.shard.batches(total_batches))
    }

    /// Fresh working state for one thread.
    pub fn cursor(&self) -> Cursor {
        let structured = self.settings.sampling != Sampling::Random;
        Cursor {
            scratch: self.compiled.scratch(),
            presence: vec![0; self.compiled.strategies * self.compiled.factors],
            sampler: structured
                .then(|| BatchSampler::new(self.settings.sampling, self.compiled.dimensions())),
        }
    }

    /// Replay the run's trials `trials` (indices in the run, clamped to its end) in order,
    /// handing each evaluated trial to `visit`. Trials before `trials.start` in its batch are
    /// drawn but not evaluated: a batch's random stream can only be entered at its start.
    pub fn replay(
        &self,
        cursor: &mut Cursor,
        trials: Range<u64>,
        mut visit: impl FnMut(&TrialView<'_>),
    ) {
        let end = trials.end.min(self.settings.trials);
        if trials.start >= end {
            return;
        }
        let mut batch = trials.start / BATCH_TRIALS;
        while batch * BATCH_TRIALS < end {
            let first = batch * BATCH_TRIALS;
            let skip = trials.start.saturating_sub(first);
            let take = (end - first).min(BATCH_TRIALS);
            self.replay_batch(cursor, batch, skip..take, &mut visit);
            batch += 1;
        }
    }

    /// Trials `positions` (within the batch) of batch `batch`.
    fn replay_batch(
        &self,
        cursor: &mut Cursor,
        batch: u64,
        positions: Range<u64>,
        visit: &mut impl FnMut(&TrialView<'_>),
    ) {
        let compiled = &self.compiled;
        let size = BATCH_TRIALS.min(self.settings.trials - batch * BATCH_TRIALS);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(batch_seed(self.settings.seed, batch));
        let mut stream =
            TrialStream::new(batch_seed(self.settings.seed, batch), compiled.dimensions());
        let Cursor {
            scratch,
            presence,
            sampler,
        } = cursor;
        // The same sequence of calls as `Worker::run_batch`, so that the RNG is in the same
        // state at every trial.
        if let Some(sampler) = sampler.as_mut() {
            sampler.start_batch(&mut rng, size as usize);
        }
        for position in 0..positions.end {
            match sampler.as_mut() {
                None => compiled.draw(&mut stream, scratch),
                Some(sampler) => {
                    let uniforms = sampler.uniforms(&mut rng, position as usize);
                    // Mapping the uniforms consumes no random numbers: skipped trials need
                    // only advance the stream.
                    if position < positions.start {
                        continue;
                    }
                    compiled.draw_from_uniforms(uniforms, scratch);
                }
            }
            if position < positions.start {
                continue;
            }
            // The engine counts presence over a run; zeroed here, it is this trial's.
            presence.fill(0);
            compiled.evaluate_all(scratch, presence);
            visit(&TrialView {
                trial: batch * BATCH_TRIALS + position,
                compiled,
                scratch,
                presence,
            });
        }
    }
}

/// The outcome class as the outputs spell it.
pub fn outcome_name(class: OutcomeClass) -> &'static str {
    match class {
        OutcomeClass::Success => "success",
        OutcomeClass::Challenged => "challenged",
        OutcomeClass::Failed => "failed",
    }
}

/// Every strategy's outcomes in the first `trials` trials of the settings' shard (the run's first
/// trials for the whole run), indexed `[strategy][trial]`.
pub fn first_outcomes(
    scenario: &Scenario,
    settings: &RunSettings,
    trials: u64,
) -> Vec<Vec<Outcome>> {
    let replay = Replay::new(scenario, settings);
    let range = first_trials(&replay, trials);
    let count = (range.end - range.start) as usize;
    let mut outcomes: Vec<Vec<Outcome>> = (0..replay.strategies())
        .map(|_| Vec::with_capacity(count))
        .collect();
    let compiled = &replay.compiled;
    if settings.sampling == Sampling::Random && compiled.lanes_supported() {
        // The run's own path, eight trials at a time: the same outcomes, bit for bit, causes
        // included (`the_lane_path_is_the_replay`). A shard starts at a batch.
        let (mut lanes, mut block) = (
            compiled.lane_scratch(),
            OutcomeBlock::new(compiled.strategies),
        );
        debug_assert_eq!(range.start % BATCH_TRIALS, 0, "a shard starts at a batch");
        let mut start = range.start;
        while start < range.end {
            let batch = start / BATCH_TRIALS;
            let take = (range.end - start).min(BATCH_TRIALS) as usize;
            let seed = batch_seed(settings.seed, batch);
            compiled.batch_in_blocks(
                seed,
                take,
                Causes::Find,
                &mut lanes,
                &mut block,
                |_, block| {
                    for (s, column) in outcomes.iter_mut().enumerate() {
                        column.extend((0..block.len).map(|t| block.outcome(s, t)));
                    }
                },
            );
            start += take as u64;
        }
        return outcomes;
    }
    replay.replay(&mut replay.cursor(), range, |view| {
        for (column, outcome) in outcomes.iter_mut().zip(view.outcomes()) {
            column.push(*outcome);
        }
    });
    outcomes
}

/// The first `trials` trials of the settings' shard.
fn first_trials(replay: &Replay, trials: u64) -> Range<u64> {
    let shard = replay.shard_trials();
    shard.start..shard.end.min(shard.start.saturating_add(trials))
}

/// One trial under one strategy, as `--trials-output` writes it (docs/OUTPUT.md).
#[derive(Debug, Clone, Serialize)]
pub struct TrialRecord {
    pub trial: u64,
    /// Strategy id.
    pub strategy: String,
    /// `success`, `challenged` or `failed`.
    pub outcome: &'static str,
    /// Investment: project cost plus mitigation cost, in currency.
    pub cost: f64,
    pub overrun: f64,
    pub slip: f64,
    pub benefit_realisation: f64,
    pub annual_benefit: f64,
    pub npv: f64,
    pub roi: f64,
    pub payback_years: f64,
    /// Factor id of the primary cause; empty for a success or an unattributed miss.
    pub primary_cause: String,
    /// Whether the project ran away (docs/MODEL.md §5a).
    pub runaway: bool,
    /// Per factor in catalogue order ([`factor_columns`]): its severity, 0 when it did not strike.
    pub severities: Vec<f64>,
}

/// The per-factor column names of the trials output: `severity_<factor id>`, catalogue order.
pub fn factor_columns(scenario: &Scenario) -> Vec<String> {
    scenario
        .factors
        .iter()
        .map(|f| format!("severity_{}", f.id))
        .collect()
}

/// The record of strategy `s` in a replayed trial.
pub fn record(scenario: &Scenario, view: &TrialView<'_>, s: usize) -> TrialRecord {
    let o = view.outcome(s);
    let mut severities = vec![0.0; scenario.factors.len()];
    view.severities(s, &mut severities);
    TrialRecord {
        trial: view.trial,
        strategy: scenario.strategies[s].id.clone(),
        outcome: outcome_name(o.class),
        cost: o.investment,
        overrun: o.overrun,
        slip: o.slip,
        benefit_realisation: o.benefit_realisation,
        annual_benefit: o.annual_benefit,
        npv: o.npv,
        roi: o.roi,
        payback_years: o.payback_years,
        primary_cause: o
            .primary_cause
            .map_or_else(String::new, |i| scenario.factors[i].id.clone()),
        runaway: o.runaway,
        severities,
    }
}

/// The first `trials` trials of the settings' shard as records: trial-major, strategies in the
/// scenario's order.
pub fn records(scenario: &Scenario, settings: &RunSettings, trials: u64) -> Vec<TrialRecord> {
    let replay = Replay::new(scenario, settings);
    let range = first_trials(&replay, trials);
    let mut out = Vec::with_capacity((range.end - range.start) as usize * replay.strategies());
    replay.replay(&mut replay.cursor(), range, |view| {
        out.extend((0..replay.strategies()).map(|s| record(scenario, view, s)));
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::accumulate::{StrategyAccumulator, paired_values};
    use crate::engine::{NoObserver, Shard, simulate};

    fn scenario(name: &str) -> Scenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(format!("{name}.toml"));
        Scenario::load_with(&path, None).expect("shipped scenario loads")
    }

    fn settings(trials: u64, sampling: Sampling, shard: Shard) -> RunSettings {
        RunSettings {
            trials,
            seed: 11,
            threads: 2,
            sampling,
            shard,
            parameter_uncertainty: false,
        }
    }

    /// Rebuild the run's accumulators from a replay of its trials, as the engine's
    /// `add_trial` does, and require them equal to the run's: every count, every fixed-point
    /// sum and every sketch bin. Equal only if every replayed trial is the run's trial.
    fn assert_replay_is_the_run(scenario: &Scenario, settings: &RunSettings) {
        let result = simulate(scenario, settings, &NoObserver).expect("run");
        let replay = Replay::new(scenario, settings);
        let (factors, baseline) = (replay.factors(), scenario.baseline);
        let per_budget = 1.0 / scenario.project.budget;
        let mut rebuilt: Vec<StrategyAccumulator> = (0..replay.strategies())
            .map(|_| StrategyAccumulator::with_strategies(factors, replay.strategies()))
            .collect();
        let mut expected_trial = replay.shard_trials().start;
        replay.replay(&mut replay.cursor(), replay.shard_trials(), |view| {
            assert_eq!(view.trial, expected_trial);
            expected_trial += 1;
            let base = view.outcome(baseline);
            let base_values = paired_values(base, per_budget);
            let npvs: Vec<f64> = (0..rebuilt.len())
                .map(|s| view.outcome(s).npv * per_budget)
                .collect();
            for (s, acc) in rebuilt.iter_mut().enumerate() {
                let paired = (s != baseline).then_some((base, &base_values));
                acc.add(
                    view.outcome(s),
                    paired,
                    per_budget,
                    scenario.project.horizon_years,
                );
                acc.add_versus(npvs[s], &npvs);
                for (i, count) in acc.presence.iter_mut().enumerate() {
                    *count += view.present(s, i) as u64;
                }
            }
        });
        assert_eq!(expected_trial - replay.shard_trials().start, result.trials);
        for (s, (mine, theirs)) in rebuilt.iter().zip(&result.strategies).enumerate() {
            assert!(
                mine == theirs,
                "strategy {s}: the replay differs from the run"
            );
        }
    }

    #[test]
    fn replay_is_the_run_random() {
        // 40,000 trials: two full batches and a short last one.
        let s = scenario("retail_chain");
        assert_replay_is_the_run(&s, &settings(40_000, Sampling::Random, Shard::WHOLE));
    }

    #[test]
    fn replay_is_the_run_structured_and_sharded() {
        let s = scenario("small_business");
        assert_replay_is_the_run(&s, &settings(40_000, Sampling::Sobol, Shard::WHOLE));
        assert_replay_is_the_run(&s, &settings(40_000, Sampling::Lhs, Shard::WHOLE));
        let shard = Shard { index: 1, count: 3 };
        assert_replay_is_the_run(&s, &settings(40_000, Sampling::Lhs, shard));
    }

    #[test]
    fn a_range_inside_a_batch_is_those_trials() {
        // Entering a batch part-way must not change the trials: compare with a full replay.
        for sampling in [Sampling::Random, Sampling::Lhs] {
            let s = scenario("default");
            let replay = Replay::new(&s, &settings(40_000, sampling, Shard::WHOLE));
            let mut all = Vec::new();
            replay.replay(&mut replay.cursor(), 0..20_000, |v| {
                all.push((v.trial, *v.outcome(0)))
            });
            let mut part = Vec::new();
            replay.replay(&mut replay.cursor(), 16_000..17_000, |v| {
                part.push((v.trial, *v.outcome(0)))
            });
            assert_eq!(part.len(), 1_000);
            assert_eq!(part[..], all[16_000..17_000]);
        }
    }

    /// `first_outcomes` takes the lane path for a plain run: every field of every outcome is the
    /// one-trial replay's, bit for bit (Debug prints the shortest round-trip digits), causes
    /// included, across a batch boundary and a short last chunk.
    #[test]
    fn the_lane_path_is_the_replay() {
        for name in ["default", "retail_chain"] {
            let s = scenario(name);
            let run = settings(40_000, Sampling::Random, Shard::WHOLE);
            let trials = BATCH_TRIALS + 1_003;
            let lanes = first_outcomes(&s, &run, trials);
            let replay = Replay::new(&s, &run);
            let mut replayed: Vec<Vec<Outcome>> = vec![Vec::new(); s.strategies.len()];
            replay.replay(&mut replay.cursor(), 0..trials, |view| {
                for (column, outcome) in replayed.iter_mut().zip(view.outcomes()) {
                    column.push(*outcome);
                }
            });
            assert_eq!(lanes[0].len(), trials as usize);
            assert_eq!(format!("{lanes:?}"), format!("{replayed:?}"), "{name}");
        }
    }

    #[test]
    fn first_outcomes_agree_with_records() {
        let s = scenario("retail_chain");
        let run = settings(40_000, Sampling::Random, Shard::WHOLE);
        let outcomes = first_outcomes(&s, &run, 500);
        let records = records(&s, &run, 500);
        let strategies = s.strategies.len();
        assert_eq!(outcomes.len(), strategies);
        assert!(outcomes.iter().all(|column| column.len() == 500));
        assert_eq!(records.len(), 500 * strategies);
        for (k, r) in records.iter().enumerate() {
            let (t, strategy) = (k / strategies, k % strategies);
            let o = &outcomes[strategy][t];
            assert_eq!(r.trial, t as u64);
            assert_eq!(r.strategy, s.strategies[strategy].id);
            assert_eq!(r.outcome, outcome_name(o.class));
            assert_eq!(r.npv.to_bits(), o.npv.to_bits());
            assert_eq!(r.cost.to_bits(), o.investment.to_bits());
            assert_eq!(r.severities.len(), s.factors.len());
            let cause = o.primary_cause.map(|i| s.factors[i].id.as_str());
            assert_eq!(cause.unwrap_or(""), r.primary_cause);
        }
        // Asking past the run's end gives the run's trials only.
        assert_eq!(first_outcomes(&s, &run, 1_000_000)[0].len(), 40_000);
    }

    #[test]
    fn first_outcomes_of_a_shard_start_at_the_shard() {
        let s = scenario("small_business");
        let whole = settings(40_000, Sampling::Random, Shard::WHOLE);
        let shard = settings(40_000, Sampling::Random, Shard { index: 1, count: 3 });
        // Shard 2 of 3 of three batches is batch 1: trials 16,384 onwards.
        let records = records(&s, &shard, 3);
        assert_eq!(records[0].trial, BATCH_TRIALS);
        let from_whole = first_outcomes(&s, &whole, BATCH_TRIALS + 3);
        let from_shard = first_outcomes(&s, &shard, 3);
        assert_eq!(from_shard[0][..], from_whole[0][BATCH_TRIALS as usize..]);
    }

    #[test]
    fn severities_are_zero_exactly_when_the_factor_is_absent() {
        // No shipped mitigation scales a severity to 0 and the severity distributions are
        // positive inside (0, 1), so a present factor has a positive severity.
        let s = scenario("retail_chain");
        let replay = Replay::new(&s, &settings(20_000, Sampling::Random, Shard::WHOLE));
        let mut severities = vec![f64::NAN; replay.factors()];
        let (mut present, mut absent) = (0u64, 0u64);
        replay.replay(&mut replay.cursor(), 0..20_000, |view| {
            for strategy in 0..replay.strategies() {
                view.severities(strategy, &mut severities);
                for (i, &severity) in severities.iter().enumerate() {
                    if view.present(strategy, i) {
                        assert!(severity > 0.0, "trial {} factor {i}", view.trial);
                        present += 1;
                    } else {
                        assert_eq!(severity, 0.0, "trial {} factor {i}", view.trial);
                        absent += 1;
                    }
                }
            }
        });
        // Both branches were exercised.
        assert!(present > 1_000 && absent > 1_000, "{present} {absent}");
    }
}
