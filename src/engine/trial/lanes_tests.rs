//! The lane core against the one-trial path, bit for bit (kept apart from `lanes.rs` for its
//! length).

use super::*;
use crate::engine::lane_rng::LaneRng;
use crate::engine::lane_rng::TrialStream;
use crate::scenario::Scenario;

/// The lane core and the one-trial path ([`CompiledScenario::draw`] +
/// [`CompiledScenario::evaluate_all`]) give the same trials the same outcomes, bit for bit,
/// on every shipped scenario: the one-trial path is the lane core's reference, and every
/// analysis that evaluates a trial at a time sees `run`'s trials.
#[test]
fn lanes_equal_the_one_trial_path_bit_for_bit() {
    for name in ["default", "retail_chain", "small_business", "multinational"] {
        let scenario = Scenario::load(std::path::Path::new(&format!("scenarios/{name}.toml")))
            .expect("shipped scenario");
        let compiled = CompiledScenario::new(&scenario);
        assert!(compiled.lanes_supported());
        let (s, n) = (compiled.strategies, compiled.factors);
        let mut lanes = compiled.lane_scratch();
        let mut scratch = compiled.scratch();
        let (mut lane_block, mut trial_block) = (OutcomeBlock::new(s), OutcomeBlock::new(s));
        let (mut lane_presence, mut trial_presence) = (vec![0u64; s * n], vec![0u64; s * n]);
        // 1,003 trials: whole blocks, and a last chunk with 3 valid lanes of 8.
        let trials = 1_003;
        let seed = 0xC0FFEE;
        let mut rng = LaneRng::new(seed);
        let mut stream = TrialStream::new(seed, compiled.dimensions());
        let mut checked = 0;
        for first in (0..trials).step_by(LANES) {
            let valid = LANES.min(trials - first);
            rng.fill(&mut lanes.uniforms);
            compiled.draw_lanes(&mut lanes);
            compiled.evaluate_lanes(&mut lanes, valid, &mut lane_block, Causes::Find);
            for _ in 0..valid {
                compiled.draw(&mut stream, &mut scratch);
                compiled.evaluate_all(&mut scratch, &mut trial_presence);
                trial_block.push(&scratch.outcomes);
            }
            if lane_block.is_full() || first + valid == trials {
                assert_eq!(lane_block.len, trial_block.len);
                for strategy in 0..s {
                    for t in 0..lane_block.len {
                        let (a, b) = (
                            lane_block.outcome(strategy, t),
                            trial_block.outcome(strategy, t),
                        );
                        assert!(
                            a.class == b.class
                                && a.primary_cause == b.primary_cause
                                && a.runaway == b.runaway
                                && [a.overrun, a.slip, a.benefit_realisation, a.annual_benefit]
                                    .map(f64::to_bits)
                                    == [b.overrun, b.slip, b.benefit_realisation, b.annual_benefit]
                                        .map(f64::to_bits)
                                && [a.investment, a.npv, a.roi, a.payback_years].map(f64::to_bits)
                                    == [b.investment, b.npv, b.roi, b.payback_years]
                                        .map(f64::to_bits),
                            "{name}, strategy {strategy}, trial {t}: {a:?} against {b:?}"
                        );
                        checked += 1;
                    }
                }
                lane_block.clear();
                trial_block.clear();
            }
        }
        compiled.fold_presence(&mut lanes, &mut lane_presence);
        assert_eq!(lane_presence, trial_presence, "{name}: presence counts");
        assert_eq!(checked, trials * s);
    }
}
