//! `add_block` against the trial-by-trial reference: identical accumulators, compared whole,
//! on random blocks with awkward values, and on blocks of a shipped scenario's trials.

use super::add_block;
use crate::engine::accumulate::{
    FIXED_POINT_LIMIT, StrategyAccumulator, paired_values, to_fixed, to_fixed_lanes,
};
use crate::engine::block::{BLOCK_TRIALS, OutcomeBlock};
use crate::engine::sketch::{bucket, bucket_lanes};
use crate::engine::trial::{CompiledScenario, Outcome, OutcomeClass};
use proptest::prelude::*;
use rand::{Rng, RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The reference: rebuild each trial's outcomes and add them one by one, as the engine did
/// before batched accumulation.
fn add_block_reference(
    accumulators: &mut [StrategyAccumulator],
    block: &OutcomeBlock,
    baseline: usize,
    per_budget: f64,
    horizon_years: f64,
) {
    let strategies = block.strategies;
    let mut npvs = vec![0.0f64; strategies];
    for t in 0..block.len {
        let base = block.outcome(baseline, t);
        let base_values = paired_values(&base, per_budget);
        for (s, x) in npvs.iter_mut().enumerate() {
            *x = block.npv[s * BLOCK_TRIALS + t] * per_budget;
        }
        for (s, acc) in accumulators.iter_mut().enumerate() {
            let outcome = block.outcome(s, t);
            let paired_with = (s != baseline).then_some((&base, &base_values));
            acc.add(&outcome, paired_with, per_budget, horizon_years);
            acc.add_versus(npvs[s], &npvs);
        }
    }
}

/// A value from the edges of the arithmetic: signed zeros, fixed-point rounding ties, the
/// clamp's edge and beyond, huge and infinite values, NaN, the sketch's zero bucket and its
/// edge, subnormals, the payback cap.
fn awkward(rng: &mut impl Rng) -> f64 {
    let tie = (rng.random_range(-(1i64 << 40)..(1i64 << 40)) as f64 + 0.5) / (1u64 << 24) as f64;
    let limit = FIXED_POINT_LIMIT;
    let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
    let choices = [
        0.0,
        -0.0,
        tie,
        tie / 1024.0,
        (rng.random_range(-64i64..64) as f64 + 0.5) / (1u64 << 24) as f64,
        sign * limit,
        sign * (limit + 0.5),
        sign * f64::from_bits(limit.to_bits() + 1),
        sign * f64::from_bits(limit.to_bits() - 1),
        sign * 1e300,
        sign * f64::INFINITY,
        f64::NAN,
        sign * 1e-10,
        sign * 2f64.powi(-16),
        sign * f64::from_bits(2f64.powi(-16).to_bits() - 1),
        sign * 5e-324,
        sign * f64::MIN_POSITIVE / 3.0,
        1e4,
        f64::from_bits(1e4f64.to_bits() + 1),
        f64::from_bits(1e4f64.to_bits() - 1),
        sign * 65536.0,
        sign,
        sign * 2.0,
    ];
    choices[rng.random_range(0..choices.len())]
}

/// A random block: `awkward_share` of its values from [`awkward`], the rest ordinary values at
/// a random scale; some NPVs copied from strategy 0's (exact ties between strategies).
fn random_block(rng: &mut impl Rng, strategies: usize, len: usize, factors: usize) -> OutcomeBlock {
    let awkward_share = [0.0, 0.05, 0.3, 1.0][rng.random_range(0..4)];
    let scale = 10f64.powi(rng.random_range(-3..7));
    let value = |rng: &mut Xoshiro256PlusPlus| -> f64 {
        if rng.random::<f64>() < awkward_share {
            awkward(rng)
        } else {
            (rng.random::<f64>() - 0.3) * scale
        }
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(rng.random());
    let mut block = OutcomeBlock::new(strategies);
    let mut outcomes = vec![Outcome::EMPTY; strategies];
    for _ in 0..len {
        for (s, o) in outcomes.iter_mut().enumerate() {
            o.class = [
                OutcomeClass::Success,
                OutcomeClass::Challenged,
                OutcomeClass::Failed,
            ][rng.random_range(0..3)];
            o.overrun = value(&mut rng);
            o.slip = value(&mut rng);
            o.benefit_realisation = value(&mut rng);
            o.annual_benefit = value(&mut rng);
            o.investment = value(&mut rng);
            o.npv = if s > 0 && rng.random::<f64>() < 0.2 {
                block.npv[block.len] // strategy 0's NPV in this trial
            } else {
                value(&mut rng)
            };
            o.roi = value(&mut rng);
            o.payback_years = match rng.random_range(0..4) {
                0 => f64::INFINITY,
                1 => 1e4,
                _ => value(&mut rng),
            };
            let cause = rng.random_range(0..=factors);
            o.primary_cause = (cause < factors).then_some(cause);
            o.runaway = rng.random::<bool>();
            if s == 0 {
                // Written at once so that later strategies can copy this NPV.
                block.npv[block.len] = o.npv;
            }
        }
        block.push(&outcomes);
    }
    block
}

fn accumulators(strategies: usize, factors: usize, versus: bool) -> Vec<StrategyAccumulator> {
    (0..strategies)
        .map(|_| {
            if versus {
                StrategyAccumulator::with_strategies(factors, strategies)
            } else {
                StrategyAccumulator::new(factors)
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Two random blocks in a row (the second added onto the first's state): the batched and
    /// the trial-by-trial accumulators are equal in every count, sum and sketch bucket.
    #[test]
    fn a_block_leaves_the_state_trial_by_trial_accumulation_leaves(
        seed in any::<u64>(),
        strategies in 1usize..=8,
        lengths in (0usize..=BLOCK_TRIALS, 0usize..=BLOCK_TRIALS),
        baseline in any::<prop::sample::Index>(),
        factors in 0usize..4,
        versus in prop::bool::weighted(0.8),
        budget in prop_oneof![Just(1.0), Just(7.0), Just(3.3e5), Just(1e-3)],
        horizon_years in prop_oneof![Just(5.0), Just(10.0), Just(1e4), Just(f64::INFINITY)],
    ) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let baseline = baseline.index(strategies);
        let per_budget = 1.0 / budget;
        let mut batched = accumulators(strategies, factors, versus);
        let mut reference = batched.clone();
        for len in [lengths.0, lengths.1] {
            let block = random_block(&mut rng, strategies, len, factors);
            add_block(&mut batched, &block, baseline, per_budget, horizon_years);
            add_block_reference(&mut reference, &block, baseline, per_budget, horizon_years);
        }
        prop_assert_eq!(batched, reference);
    }

    /// The vectorisable fixed-point conversion and bucket are the scalar ones, for every bit
    /// pattern (NaNs, infinities, subnormals included); negation commutes with the conversion.
    #[test]
    fn lane_forms_equal_the_scalar_ones(bits in any::<u64>(), pick in any::<bool>(), seed in any::<u64>()) {
        let x = if pick {
            f64::from_bits(bits)
        } else {
            awkward(&mut Xoshiro256PlusPlus::seed_from_u64(seed))
        };
        prop_assert_eq!(to_fixed_lanes(x), to_fixed(x));
        prop_assert_eq!(bucket_lanes(x) as usize, bucket(x));
        prop_assert_eq!(to_fixed(-x), -to_fixed(x));
    }
}

#[test]
fn lane_forms_on_the_edges() {
    let edges = [
        0.0,
        -0.0,
        0.5 / (1u64 << 24) as f64,
        1.5 / (1u64 << 24) as f64,
        -2.5 / (1u64 << 24) as f64,
        FIXED_POINT_LIMIT,
        -FIXED_POINT_LIMIT,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::NAN,
        f64::MAX,
        2f64.powi(-16),
        -2f64.powi(-16),
        f64::from_bits(2f64.powi(-16).to_bits() - 1),
        65536.0,
        -65536.0,
        f64::from_bits(65536f64.to_bits() - 1),
        // NaNs whose mantissa is non-zero in its low word only, and the largest finite value.
        f64::from_bits(0x7ff0_0000_0000_0001),
        f64::from_bits(0xfff0_0000_0000_0001),
        f64::from_bits(0x7ff0_0001_0000_0000),
        f64::from_bits(0x7fef_ffff_ffff_ffff),
    ];
    for x in edges {
        assert_eq!(to_fixed_lanes(x), to_fixed(x), "{x:e}");
        assert_eq!(bucket_lanes(x) as usize, bucket(x), "{x:e}");
    }
}

/// Blocks of a shipped scenario's trials, as the engine makes them (every strategy, the
/// scenario's baseline, budget and horizon).
#[test]
fn blocks_of_a_shipped_scenario_match_the_reference() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/retail_chain.toml");
    let scenario = crate::scenario::Scenario::load_with(&path, None).expect("shipped scenario");
    let compiled = CompiledScenario::new(&scenario);
    let mut scratch = compiled.scratch();
    let mut presence = vec![0u64; compiled.strategies * compiled.factors];
    let mut stream = crate::engine::lane_rng::TrialStream::new(5, compiled.dimensions());
    let (baseline, per_budget) = (compiled.baseline, 1.0 / compiled.budget);
    let mut batched = accumulators(compiled.strategies, compiled.factors, true);
    let mut reference = batched.clone();
    let mut block = OutcomeBlock::new(compiled.strategies);
    // Four full blocks and a short one.
    for trial in 0..4 * BLOCK_TRIALS + 100 {
        compiled.draw(&mut stream, &mut scratch);
        compiled.evaluate_all(&mut scratch, &mut presence);
        block.push(&scratch.outcomes);
        if block.is_full() || trial + 1 == 4 * BLOCK_TRIALS + 100 {
            add_block(
                &mut batched,
                &block,
                baseline,
                per_budget,
                compiled.horizon_years,
            );
            add_block_reference(
                &mut reference,
                &block,
                baseline,
                per_budget,
                compiled.horizon_years,
            );
            block.clear();
        }
    }
    assert_eq!(batched[0].trials, 4 * BLOCK_TRIALS as u64 + 100);
    assert!(
        batched == reference,
        "batched accumulation differs from the reference"
    );
}
