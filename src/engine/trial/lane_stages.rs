//! The lane core run a stage at a time, for `benches/engine.rs`: uniforms only, then drawing,
//! then evaluating, dispatched to the CPU's best instruction set as a run is.

use super::{
    CompiledScenario,
    lanes::{Causes, LaneScratch},
};
use crate::engine::block::OutcomeBlock;
use crate::engine::lane_rng::LaneRng;
use crate::model::vmath::LANES;

/// A stage of the lane core, for benchmarks ([`CompiledScenario::run_lane_stage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneStage {
    /// Drawing the uniforms only.
    Uniforms,
    /// Uniforms, then [`CompiledScenario::draw_lanes`].
    Draw,
    /// Uniforms, draw, then [`CompiledScenario::evaluate_lanes`] into the block (emptied,
    /// without accumulating, when a chunk finds it full).
    Evaluate,
}

struct StageRun<'a> {
    compiled: &'a CompiledScenario,
    stage: LaneStage,
    lanes: &'a mut LaneScratch,
    rng: &'a mut LaneRng,
    chunks: usize,
    block: &'a mut OutcomeBlock,
    presence: &'a mut [u64],
}

impl pulp::WithSimd for StageRun<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let compiled = self.compiled;
        for _ in 0..self.chunks {
            self.rng.fill(&mut self.lanes.uniforms);
            if self.stage == LaneStage::Uniforms {
                continue;
            }
            compiled.draw_lanes(self.lanes);
            if self.stage == LaneStage::Draw {
                continue;
            }
            if self.block.is_full() {
                self.block.clear();
            }
            compiled.evaluate_lanes(self.lanes, LANES, self.block, Causes::Find);
        }
        compiled.fold_presence(self.lanes, self.presence);
    }
}

impl CompiledScenario {
    /// Run `chunks` chunks of eight trials through one `stage` of the lane core, dispatched to
    /// the CPU's best instruction set as a run is: what `benches/engine.rs` times per stage.
    #[allow(clippy::too_many_arguments)]
    pub fn run_lane_stage(
        &self,
        stage: LaneStage,
        lanes: &mut LaneScratch,
        rng: &mut LaneRng,
        chunks: usize,
        block: &mut OutcomeBlock,
        presence: &mut [u64],
    ) {
        pulp::Arch::new().dispatch(StageRun {
            compiled: self,
            stage,
            lanes,
            rng,
            chunks,
            block,
            presence,
        });
    }
}
