//! Batched accumulation: a block of evaluated trials ([`OutcomeBlock`], columns) recorded in
//! every strategy's accumulator one figure at a time. Each figure is a pass over a column that
//! LLVM vectorises, run under `pulp`'s run-time dispatch so that AVX2 is used where the CPU has
//! it (portable code otherwise; no `target-cpu` is built in). Fixed-point sums are exact in
//! 64-bit lanes for a block and folded into the 128-bit state once per block; sketch buckets are
//! computed in a pass, then counted. The state left is exactly the one adding the trials one by
//! one gives (`StrategyAccumulator::add` and `add_versus`; the test module checks it on random
//! and awkward blocks): integers, added in another order.

use super::super::block::{BLOCK_TRIALS, NO_CAUSE, OutcomeBlock};
use super::{FIXED_POINT_LIMIT, FIXED_SCALE, Moments, StrategyAccumulator, to_fixed_lanes};
use pulp::{Arch, Simd, WithSimd};

/// |q| ≤ 2⁴⁴ after clamping is split as `high·2²² + low` with `0 ≤ low < 2²²` and
/// `|high| ≤ 2²²` (arithmetic shift), so `q² = high²·2⁴⁴ + high·low·2²³ + low²` and each
/// product is a 32×32→64-bit multiply (one vector instruction). A block's sums of those products
/// stay below 2⁸·2⁴⁴ in magnitude: exact in 64 bits.
const SPLIT_BITS: u32 = 22;
const LOW_MASK: i64 = (1 << SPLIT_BITS) - 1;
const ROUNDER: f64 = 6_755_399_441_055_744.0;
const ROUNDER_BITS: i64 = ROUNDER.to_bits() as i64;
/// The fixed-point value of an indicator's 1 (`to_fixed(1.0)`).
const ONE: i128 = 1 << super::FIXED_POINT_BITS;

/// One block's contribution to a [`Moments`]: the same sums, in lanes that vectorise.
#[derive(Debug, Default, Clone, Copy)]
struct BlockMoments {
    count: u64,
    sum: i64,
    high: i64,
    cross: i64,
    low: i64,
    clamped: u64,
}

impl BlockMoments {
    /// The sums of `values`, as [`Moments::add`] would make them. A first pass assumes every
    /// value is a number within the clamp (the rule: the engine refuses runs with any beyond);
    /// it counts the values that are not, and only if there are any is the block summed again
    /// with the clamp and NaN handled (`to_fixed_lanes`).
    #[inline(always)]
    fn of(values: impl Iterator<Item = f64> + Clone) -> Self {
        let (sums, unusual) = Self::unclamped(values.clone());
        if unusual == 0 {
            sums
        } else {
            Self::clamped(values)
        }
    }

    /// Sums without the clamp: exact for numbers within ±[`FIXED_POINT_LIMIT`], wrapping
    /// garbage for others, which are counted (`!(|x| ≤ L)` also counts NaN) so that the caller
    /// can discard the sums. (Counting the values within instead, and comparing with the count,
    /// measured 30 % slower in `benches/accumulate.rs`, one run on a busy machine.)
    #[inline(always)]
    fn unclamped(values: impl Iterator<Item = f64>) -> (Self, u64) {
        let mut b = BlockMoments::default();
        let mut unusual = 0u64;
        for x in values {
            let q = ((x * FIXED_SCALE + ROUNDER).to_bits() as i64).wrapping_sub(ROUNDER_BITS);
            b.add_fixed_wrapping(q);
            #[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN must count as unusual
            {
                unusual += !(x.abs() <= FIXED_POINT_LIMIT) as u64;
            }
        }
        (b, unusual)
    }

    #[inline(always)]
    fn clamped(values: impl Iterator<Item = f64>) -> Self {
        let mut b = BlockMoments::default();
        for x in values {
            b.add_fixed_wrapping(to_fixed_lanes(x));
            b.clamped += (x.abs() > FIXED_POINT_LIMIT) as u64;
        }
        b
    }

    /// Wrapping only so that the unclamped pass may see garbage: for |q| ≤ 2⁴⁴ nothing wraps.
    #[inline(always)]
    fn add_fixed_wrapping(&mut self, q: i64) {
        // Truncations to 32 bits are lossless for |q| ≤ 2⁴⁴; they let LLVM use 32×32→64-bit
        // multiplies.
        let high = (q >> SPLIT_BITS) as i32 as i64;
        let low = (q & LOW_MASK) as i32 as i64;
        self.count += 1;
        self.sum = self.sum.wrapping_add(q);
        self.high = self.high.wrapping_add(high * high);
        self.cross = self.cross.wrapping_add(high * low);
        self.low = self.low.wrapping_add(low * low);
    }

    #[inline(always)]
    fn square_sum(&self) -> i128 {
        ((self.high as i128) << (2 * SPLIT_BITS))
            + ((self.cross as i128) << (SPLIT_BITS + 1))
            + self.low as i128
    }

    #[inline(always)]
    fn add_to(&self, m: &mut Moments) {
        m.count += self.count;
        m.sum += self.sum as i128;
        m.square_sum += self.square_sum();
        m.clamped += self.clamped;
    }

    /// The sums of the negated values: `to_fixed(−x) = −to_fixed(x)` (the clamp and the
    /// rounding to even are symmetric, NaN goes to 0 either way), so the squares and the clamped
    /// count are the same and the sum changes sign.
    #[inline(always)]
    fn add_negated_to(&self, m: &mut Moments) {
        m.count += self.count;
        m.sum -= self.sum as i128;
        m.square_sum += self.square_sum();
        m.clamped += self.clamped;
    }
}

/// The moments of a difference of two indicators (each 0 or 1, as `to_fixed` of 0.0 or 1.0):
/// the sum counts `a && !b` less `!a && b`, the square sum every trial where they differ.
#[inline(always)]
fn add_indicator_difference(m: &mut Moments, pairs: impl Iterator<Item = (bool, bool)>) {
    let (mut count, mut sum, mut differ) = (0u64, 0i64, 0u64);
    for (a, b) in pairs {
        let d = a as i64 - b as i64;
        count += 1;
        sum += d;
        differ += (d != 0) as u64;
    }
    m.count += count;
    m.sum += sum as i128 * ONE;
    m.square_sum += differ as i128 * ONE * ONE;
}

#[inline(always)]
fn count(flags: impl Iterator<Item = bool>) -> u64 {
    flags.map(|f| f as u64).sum()
}

/// One strategy's columns in a block, cut to the trials filled.
struct Columns<'a> {
    class: &'a [u8],
    overrun: &'a [f64],
    slip: &'a [f64],
    benefit_realisation: &'a [f64],
    annual_benefit: &'a [f64],
    investment: &'a [f64],
    npv: &'a [f64],
    roi: &'a [f64],
    payback_years: &'a [f64],
    primary_cause: &'a [u32],
    runaway: &'a [u8],
}

impl<'a> Columns<'a> {
    fn of(block: &'a OutcomeBlock, s: usize) -> Self {
        let range = s * BLOCK_TRIALS..s * BLOCK_TRIALS + block.len;
        Columns {
            class: &block.class[range.clone()],
            overrun: &block.overrun[range.clone()],
            slip: &block.slip[range.clone()],
            benefit_realisation: &block.benefit_realisation[range.clone()],
            annual_benefit: &block.annual_benefit[range.clone()],
            investment: &block.investment[range.clone()],
            npv: &block.npv[range.clone()],
            roi: &block.roi[range.clone()],
            payback_years: &block.payback_years[range.clone()],
            primary_cause: &block.primary_cause[range.clone()],
            runaway: &block.runaway[range],
        }
    }
}

/// Record a block of evaluated trials in every strategy's accumulator (`accumulators` in
/// scenario order): each strategy's outcome, its differences to the baseline's on the same trial
/// and its NPV against every strategy's (per unit of budget). The state it leaves is the one
/// adding the block's trials one by one gives.
pub fn add_block(
    accumulators: &mut [StrategyAccumulator],
    block: &OutcomeBlock,
    baseline: usize,
    per_budget: f64,
    horizon_years: f64,
) {
    if block.len == 0 {
        return;
    }
    debug_assert_eq!(accumulators.len(), block.strategies);
    Arch::new().dispatch(Pass {
        accumulators,
        block,
        baseline,
        per_budget,
        horizon_years,
    });
}

/// [`add_block`]'s work, compiled once per instruction set `pulp` dispatches to: everything it
/// calls is inlined, so that the passes are vectorised for that set.
struct Pass<'a> {
    accumulators: &'a mut [StrategyAccumulator],
    block: &'a OutcomeBlock,
    baseline: usize,
    per_budget: f64,
    horizon_years: f64,
}

impl WithSimd for Pass<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let Pass {
            accumulators,
            block,
            baseline,
            per_budget,
            horizon_years,
        } = self;
        let base = Columns::of(block, baseline);
        for (s, acc) in accumulators.iter_mut().enumerate() {
            let mine = Columns::of(block, s);
            add_counts(acc, &mine, horizon_years);
            add_moments(acc, &mine, per_budget);
            add_sketches(acc, &mine, per_budget);
            if s != baseline {
                add_paired(acc, &mine, &base, per_budget);
            }
        }
        add_versus(accumulators, block, baseline, per_budget);
    }
}

#[inline(always)]
fn add_counts(acc: &mut StrategyAccumulator, c: &Columns, horizon_years: f64) {
    let n = c.class.len() as u64;
    let success = count(c.class.iter().map(|&k| k == 0));
    let challenged = count(c.class.iter().map(|&k| k == 1));
    acc.trials += n;
    acc.class_counts[0] += success;
    acc.class_counts[1] += challenged;
    // `OutcomeBlock::outcome` reads every other class byte as failed.
    acc.class_counts[2] += n - success - challenged;
    acc.overrun_at_least_double += count(c.overrun.iter().map(|&x| x >= 1.0));
    acc.npv_negative += count(c.npv.iter().map(|&x| x < 0.0));
    acc.payback_within_horizon += count(c.payback_years.iter().map(|&x| x <= horizon_years));
    acc.runaways += count(c.runaway.iter().map(|&r| r != 0));
    let unattributed = acc.primary_cause.len() - 1;
    // Branch-free: a success adds 0 (whether a trial missed is a coin flip to the branch
    // predictor, and the mispredictions cost more than the stores).
    for (&class, &cause) in c.class.iter().zip(c.primary_cause) {
        let index = if cause == NO_CAUSE {
            unattributed
        } else {
            cause as usize
        };
        acc.primary_cause[index] += u64::from(class != 0);
    }
}

/// The eight [`super::MOMENT_METRICS`], as `moment_values` gives them.
#[inline(always)]
fn add_moments(acc: &mut StrategyAccumulator, c: &Columns, pb: f64) {
    let m = &mut acc.moments;
    BlockMoments::of(c.overrun.iter().copied()).add_to(&mut m[0]);
    BlockMoments::of(c.slip.iter().copied()).add_to(&mut m[1]);
    BlockMoments::of(c.benefit_realisation.iter().copied()).add_to(&mut m[2]);
    BlockMoments::of(c.annual_benefit.iter().map(|&x| x * pb)).add_to(&mut m[3]);
    BlockMoments::of(c.npv.iter().map(|&x| x * pb)).add_to(&mut m[4]);
    BlockMoments::of(c.roi.iter().copied()).add_to(&mut m[5]);
    BlockMoments::of(c.investment.iter().map(|&x| x * pb)).add_to(&mut m[6]);
    // The success indicator: `to_fixed(1.0)` per success, never clamped.
    let n = c.class.len() as u64;
    let success = count(c.class.iter().map(|&k| k == 0)) as i128;
    let m = &mut m[7];
    m.count += n;
    m.sum += success * ONE;
    m.square_sum += success * ONE * ONE;
}

/// The ten [`super::PAIRED_METRICS`] but the NPV difference (index 4), which is the same
/// expression as `npv_versus[baseline]` and is taken from [`add_versus`].
#[inline(always)]
fn add_paired(acc: &mut StrategyAccumulator, c: &Columns, base: &Columns, pb: f64) {
    let p = &mut acc.paired;
    let minus = |a: &[f64], b: &[f64]| -> BlockMoments {
        BlockMoments::of(a.iter().zip(b).map(|(&x, &y)| x - y))
    };
    minus(c.overrun, base.overrun).add_to(&mut p[0]);
    minus(c.slip, base.slip).add_to(&mut p[1]);
    minus(c.benefit_realisation, base.benefit_realisation).add_to(&mut p[2]);
    let money = |a: &[f64], b: &[f64]| -> BlockMoments {
        BlockMoments::of(a.iter().zip(b).map(|(&x, &y)| x * pb - y * pb))
    };
    money(c.annual_benefit, base.annual_benefit).add_to(&mut p[3]);
    minus(c.roi, base.roi).add_to(&mut p[5]);
    money(c.investment, base.investment).add_to(&mut p[6]);
    let classes = c.class.iter().zip(base.class);
    add_indicator_difference(&mut p[7], classes.clone().map(|(&a, &b)| (a == 0, b == 0)));
    add_indicator_difference(&mut p[8], classes.map(|(&a, &b)| (a >= 2, b >= 2)));
    let npvs = c.npv.iter().zip(base.npv);
    add_indicator_difference(&mut p[9], npvs.clone().map(|(&a, &b)| (a < 0.0, b < 0.0)));
    acc.beats_baseline += count(npvs.map(|(&a, &b)| a > b));
}

/// The seven sketches; derived values are formed in a buffer a column at a time.
#[inline(always)]
fn add_sketches(acc: &mut StrategyAccumulator, c: &Columns, pb: f64) {
    let n = c.class.len();
    let mut values = [0.0f64; BLOCK_TRIALS];
    for (v, &x) in values.iter_mut().zip(c.overrun) {
        *v = 1.0 + x;
    }
    acc.cost_ratio.add_slices(&values[..n], c.slip);
    for (v, &x) in values.iter_mut().zip(c.slip) {
        *v = 1.0 + x;
    }
    acc.duration_ratio.add_slice(&values[..n]);
    for (v, &x) in values.iter_mut().zip(c.investment) {
        *v = x * pb;
    }
    acc.outlay_ratio.add_slice(&values[..n]);
    for (v, &x) in values.iter_mut().zip(c.npv) {
        *v = x * pb;
    }
    acc.npv_per_budget.add_slice(&values[..n]);
    acc.roi.add_slice(c.roi);
    acc.benefit_realisation.add_slice(c.benefit_realisation);
    for (v, &x) in values.iter_mut().zip(c.payback_years) {
        *v = x.min(1e4);
    }
    acc.payback_years.add_slice(&values[..n]);
}

/// Every strategy's NPV against every strategy's, per unit of budget, and the paired NPV
/// difference to the baseline. `x_a − x_b` and `x_b − x_a` are exact negatives in IEEE-754
/// arithmetic, so each unordered pair is summed once and recorded both ways; the diagonal is
/// exactly 0 (`x − x` is +0, or NaN, which is also recorded as 0). Each accumulator's
/// `npv_versus` gets as many entries as it has room for, as `add_versus` does.
#[inline(always)]
fn add_versus(
    accumulators: &mut [StrategyAccumulator],
    block: &OutcomeBlock,
    baseline: usize,
    pb: f64,
) {
    let n = block.len;
    let npv = |s: usize| &block.npv[s * BLOCK_TRIALS..s * BLOCK_TRIALS + n];
    let strategies = accumulators.len();
    for a in 0..strategies {
        if let Some(m) = accumulators[a].npv_versus.get_mut(a) {
            m.count += n as u64;
        }
        for b in a + 1..strategies {
            let wanted = a == baseline
                || b == baseline
                || a < accumulators[b].npv_versus.len()
                || b < accumulators[a].npv_versus.len();
            if !wanted {
                continue;
            }
            let sums = BlockMoments::of(npv(a).iter().zip(npv(b)).map(|(&x, &y)| x * pb - y * pb));
            if let Some(m) = accumulators[a].npv_versus.get_mut(b) {
                sums.add_to(m);
            }
            if let Some(m) = accumulators[b].npv_versus.get_mut(a) {
                sums.add_negated_to(m);
            }
            if b == baseline {
                sums.add_to(&mut accumulators[a].paired[4]);
            } else if a == baseline {
                sums.add_negated_to(&mut accumulators[b].paired[4]);
            }
        }
    }
}

#[cfg(test)]
#[path = "accumulate_block_tests.rs"]
mod tests;
