//! The lane core for the analyses that keep per-trial values or evaluate variants of a trial,
//! rather than accumulate a run: `optimize`'s candidates (a batch's trials handed over a block
//! at a time), the sensitivity study's tornado (a trial's draws shared by the variants that
//! only move a factor's threshold; the shared plan draws redrawn for a continuous input's
//! setting) and its variance-based estimators (points given as uniforms).
//!
//! Every entry dispatches once to the CPU's best instruction set, as a run's batch does, and
//! gives each trial the outcome the one-trial path gives it, bit for bit (the lane core's
//! contract, `lanes::tests`); so an analysis moved onto these entries keeps its output.
//! The lanes' presence counters are not read here, and no primary cause is found
//! ([`Causes::Skip`]): every outcome's `primary_cause` is `None`.

use super::{Causes, CompiledScenario, LaneScratch};
use crate::engine::block::OutcomeBlock;
use crate::engine::lane_rng::LaneRng;
use crate::model::vmath::{self, LANES, Lanes};

impl LaneScratch {
    /// Load up to [`LANES`] points (each the trial's uniforms, in the order of
    /// [`CompiledScenario::dimensions`]) into the lanes, one per lane; lanes without a point get
    /// ½ everywhere (evaluated, never read). Returns how many were loaded.
    pub fn load_points<'p>(&mut self, points: impl IntoIterator<Item = &'p [f64]>) -> usize {
        let mut valid = 0;
        for (k, point) in points.into_iter().take(LANES).enumerate() {
            self.set_lane(k, point);
            valid = k + 1;
        }
        self.pad_lanes(valid);
        valid
    }

    /// Put one point (a trial's uniforms) in lane `k`.
    pub fn set_lane(&mut self, k: usize, point: &[f64]) {
        debug_assert_eq!(point.len(), self.uniforms.len());
        for (slot, &u) in self.uniforms.iter_mut().zip(point) {
            slot[k] = u;
        }
    }

    /// Fill the lanes from `valid` on with ½ everywhere (evaluated, never read).
    pub fn pad_lanes(&mut self, valid: usize) {
        for slot in self.uniforms.iter_mut() {
            slot[valid..].fill(0.5);
        }
    }

    /// Replace coordinate `d` of every lane by `values`; returns what it held.
    pub fn replace_coordinate(&mut self, d: usize, values: Lanes) -> Lanes {
        std::mem::replace(&mut self.uniforms[d], values)
    }
}

impl CompiledScenario {
    /// Trials `0..trials` of the batch whose seed is `seed` ([`crate::engine::batch_seed`]),
    /// drawn as `crmcast run` draws them and evaluated under every strategy; `sink(first, block)`
    /// gets each block of outcomes in turn, `first` the batch's index of the block's first trial.
    /// With [`Causes::Find`] the outcomes carry their primary cause, as a run's do.
    pub fn batch_in_blocks(
        &self,
        seed: u64,
        trials: usize,
        causes: Causes,
        lanes: &mut LaneScratch,
        block: &mut OutcomeBlock,
        mut sink: impl FnMut(usize, &OutcomeBlock),
    ) {
        debug_assert!(self.lanes_supported());
        let mut rng = LaneRng::new(seed);
        let mut first_of_block = 0;
        block.clear();
        vmath::dispatch(
            #[inline(always)]
            || {
                for first in (0..trials).step_by(LANES) {
                    rng.fill(&mut lanes.uniforms);
                    let valid = LANES.min(trials - first);
                    self.draw_lanes(lanes);
                    self.evaluate_lanes(lanes, valid, block, causes);
                    if block.is_full() || first + valid == trials {
                        sink(first_of_block, block);
                        first_of_block += block.len;
                        block.clear();
                    }
                }
            },
        );
    }

    /// As [`Self::batch_in_blocks`], a chunk of eight trials at a time: `sink(first, lanes,
    /// block)` after each chunk, with `block` holding just that chunk's trials and `lanes` its
    /// draws (for [`Self::struck_lanes`]).
    pub fn batch_in_chunks(
        &self,
        seed: u64,
        trials: usize,
        lanes: &mut LaneScratch,
        block: &mut OutcomeBlock,
        mut sink: impl FnMut(usize, &LaneScratch, &OutcomeBlock),
    ) {
        debug_assert!(self.lanes_supported());
        let mut rng = LaneRng::new(seed);
        vmath::dispatch(
            #[inline(always)]
            || {
                for first in (0..trials).step_by(LANES) {
                    rng.fill(&mut lanes.uniforms);
                    block.clear();
                    self.draw_lanes(lanes);
                    self.evaluate_lanes(lanes, LANES.min(trials - first), block, Causes::Skip);
                    sink(first, lanes, block);
                }
            },
        );
    }

    /// Draw the loaded points ([`LaneScratch::load_points`]) and evaluate the first `valid`
    /// under every strategy into `block` (appended at `block.len`).
    pub fn evaluate_points(&self, lanes: &mut LaneScratch, valid: usize, block: &mut OutcomeBlock) {
        debug_assert!(self.lanes_supported());
        vmath::dispatch(
            #[inline(always)]
            || {
                self.draw_lanes(lanes);
                self.evaluate_lanes(lanes, valid, block, Causes::Skip);
            },
        );
    }

    /// Evaluate lanes drawn by another compiled scenario under this one's strategies: right
    /// when the two differ only in factor probabilities (thresholds), which no draw reads
    /// ([`Self::shares_draws_with`]).
    pub fn evaluate_drawn(&self, lanes: &mut LaneScratch, valid: usize, block: &mut OutcomeBlock) {
        debug_assert!(self.lanes_supported());
        vmath::dispatch(
            #[inline(always)]
            || self.evaluate_lanes(lanes, valid, block, Causes::Skip),
        );
    }

    /// Redraw the shared part (the plan draws and the mitigation costs: every coordinate from
    /// `2·factors` on) after some of those coordinates changed, keep the factors' draws, and
    /// evaluate. Equal to [`Self::evaluate_points`] on the changed uniforms.
    pub fn evaluate_redrawn_shared(
        &self,
        lanes: &mut LaneScratch,
        valid: usize,
        block: &mut OutcomeBlock,
    ) {
        debug_assert!(self.lanes_supported());
        vmath::dispatch(
            #[inline(always)]
            || {
                self.draw_shared_lanes(lanes);
                self.evaluate_lanes(lanes, valid, block, Causes::Skip);
            },
        );
    }

    /// Per lane, as drawn: whether factor `i` strikes under strategy `s`, and its (mitigated)
    /// severity there, 0 where it does not strike (as [`Self::severities`]).
    pub fn struck_lanes(&self, lanes: &LaneScratch, s: usize, i: usize) -> ([bool; LANES], Lanes) {
        let row = s * self.factors;
        let threshold = self.parameters.threshold[row + i];
        let v = self.variant_offset[i] + self.strategy_variant[row + i] as usize;
        let (z, severity) = (lanes.correlated[i], lanes.variant_severity[v]);
        let struck: [bool; LANES] = std::array::from_fn(|k| z[k] < threshold);
        (
            struck,
            std::array::from_fn(|k| if struck[k] { severity[k] } else { 0.0 }),
        )
    }

    /// Whether `other`'s lanes, as drawn, are this scenario's: the same inputs and severity
    /// variants (a scenario and its copy with other factor probabilities).
    pub fn shares_draws_with(&self, other: &CompiledScenario) -> bool {
        self.factors == other.factors
            && self.strategies == other.strategies
            && self.dimensions() == other.dimensions()
            && self.variant_offset == other.variant_offset
            && self.strategy_variant == other.strategy_variant
            && self
                .variant_scale
                .iter()
                .zip(&other.variant_scale)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::lane_rng::TrialStream;
    use crate::scenario::Scenario;

    fn retail() -> Scenario {
        Scenario::load(std::path::Path::new("scenarios/retail_chain.toml")).expect("shipped")
    }

    /// A batch handed over in blocks, or in chunks of eight, is the one-trial path's trials, bit
    /// for bit, with the blocks' first trials where they belong (a short last block included),
    /// and the lanes' struck severities are the one-trial path's.
    #[test]
    fn batch_in_blocks_is_the_one_trial_path() {
        let scenario = retail();
        let compiled = CompiledScenario::new(&scenario);
        let (mut lanes, mut block) = (
            compiled.lane_scratch(),
            OutcomeBlock::new(compiled.strategies),
        );
        let trials = 700;
        let mut npv = vec![f64::NAN; trials * compiled.strategies];
        compiled.batch_in_blocks(
            99,
            trials,
            Causes::Skip,
            &mut lanes,
            &mut block,
            |first, block| {
                for s in 0..compiled.strategies {
                    for t in 0..block.len {
                        npv[(first + t) * compiled.strategies + s] = block.outcome(s, t).npv;
                    }
                }
            },
        );
        // The same batch a chunk at a time, with the baseline's struck severities.
        let mut chunked = vec![f64::NAN; trials * compiled.strategies];
        let mut severities = vec![0.0; trials * compiled.factors];
        compiled.batch_in_chunks(99, trials, &mut lanes, &mut block, |first, lanes, block| {
            for t in 0..block.len {
                for s in 0..compiled.strategies {
                    chunked[(first + t) * compiled.strategies + s] = block.outcome(s, t).npv;
                }
                for i in 0..compiled.factors {
                    severities[(first + t) * compiled.factors + i] =
                        compiled.struck_lanes(lanes, compiled.baseline, i).1[t];
                }
            }
        });
        let mut stream = TrialStream::new(99, compiled.dimensions());
        let mut scratch = compiled.scratch();
        let mut presence = vec![0; compiled.strategies * compiled.factors];
        let mut drawn = vec![0.0; compiled.factors];
        for t in 0..trials {
            compiled.draw(&mut stream, &mut scratch);
            compiled.evaluate_all(&mut scratch, &mut presence);
            for s in 0..compiled.strategies {
                let want = scratch.outcomes[s].npv.to_bits();
                let k = t * compiled.strategies + s;
                assert_eq!(npv[k].to_bits(), want, "trial {t}, strategy {s}");
                assert_eq!(
                    chunked[k].to_bits(),
                    want,
                    "trial {t}, strategy {s}, chunks"
                );
            }
            compiled.severities(&scratch, compiled.baseline, &mut drawn);
            let lanes_severity = &severities[t * compiled.factors..(t + 1) * compiled.factors];
            assert_eq!(lanes_severity, &drawn[..], "trial {t}: struck severities");
        }
    }

    /// Points, a variant with another probability evaluated on the shared draws, and a
    /// continuous input's setting redrawn in the shared part: each the one-trial path's value.
    #[test]
    fn variants_on_shared_draws_are_the_one_trial_path() {
        let scenario = retail();
        let compiled = CompiledScenario::new(&scenario);
        let mut certain = scenario.clone();
        certain.factors[2].probability = 1.0;
        let certain = CompiledScenario::new(&certain);
        assert!(compiled.shares_draws_with(&certain));
        let mut stream = TrialStream::new(7, compiled.dimensions());
        let points: Vec<Vec<f64>> = (0..5).map(|_| stream.next_trial().to_vec()).collect();
        let mut lanes = compiled.lane_scratch();
        let valid = lanes.load_points(points.iter().map(Vec::as_slice));
        assert_eq!(valid, 5);
        let s = compiled.strategies;
        let mut block = OutcomeBlock::new(s);
        compiled.evaluate_points(&mut lanes, valid, &mut block);
        certain.evaluate_drawn(&mut lanes, valid, &mut block);
        let d = 2 * compiled.factors + 1;
        lanes.replace_coordinate(d, [0.9; LANES]);
        compiled.evaluate_redrawn_shared(&mut lanes, valid, &mut block);
        let mut presence = vec![0; s * compiled.factors];
        // A scratch belongs to the scenario that made it (it holds its thresholds).
        let mut one = |c: &CompiledScenario, u: &[f64], strategy: usize| {
            let mut scratch = c.scratch();
            c.draw_from_uniforms(u, &mut scratch);
            c.evaluate_all(&mut scratch, &mut presence);
            (
                scratch.outcomes[strategy].npv.to_bits(),
                scratch.outcomes[strategy].class,
            )
        };
        for (k, point) in points.iter().enumerate() {
            let mut moved = point.clone();
            moved[d] = 0.9;
            for strategy in 0..s {
                for (offset, c, u) in [
                    (0, &compiled, point),
                    (valid, &certain, point),
                    (2 * valid, &compiled, &moved),
                ] {
                    let lane = block.outcome(strategy, offset + k);
                    assert_eq!(
                        (lane.npv.to_bits(), lane.class),
                        one(c, u, strategy),
                        "trial {k}, strategy {strategy}, block offset {offset}"
                    );
                }
            }
        }
    }
}
