//! Streaming accumulators: what the engine keeps per strategy while trials stream past.
//! Memory is fixed (counts, fixed-point sums, fixed-size sketches) whatever the trial count.
//! Everything is an integer, so merging is exact and order-free: a result does not depend on
//! the number of threads, on which thread ran which batch, or on how a run was split into
//! shards.

use super::sketch::{Sketch, TailSketch};
use super::trial::{Outcome, OutcomeClass};
use serde::{Deserialize, Serialize};

#[path = "accumulate_block.rs"]
mod block_pass;
pub use block_pass::add_block;

/// Fractional bits of the fixed-point sums: values are kept as integers in units of 2⁻²⁴.
pub const FIXED_POINT_BITS: i32 = 24;
const FIXED_SCALE: f64 = (1u64 << FIXED_POINT_BITS) as f64;
/// Values are clamped to ±2²⁰ before quantisation, so that squares summed over the largest
/// allowed run (10¹⁰ trials) cannot overflow 128 bits. Money is kept in units of the budget.
pub const FIXED_POINT_LIMIT: f64 = (1u64 << 20) as f64;

/// A value as a fixed-point integer, rounded to nearest (ties to even). Adding and then
/// subtracting 1.5·2⁵² rounds without a libm call; exact for |scaled| < 2⁵¹.
#[inline]
pub fn to_fixed(x: f64) -> i64 {
    const ROUNDER: f64 = 6_755_399_441_055_744.0;
    let scaled = x.clamp(-FIXED_POINT_LIMIT, FIXED_POINT_LIMIT) * FIXED_SCALE;
    ((scaled + ROUNDER) - ROUNDER) as i64
}

/// [`to_fixed`] in a form that vectorises (x86-64 before AVX-512 has no vector conversion to
/// 64-bit integers): after adding 1.5·2⁵² the rounded value is in the low bits of the sum (one
/// binade, `[2⁵², 2⁵³)`, where the spacing is 1), so subtracting the bits of 1.5·2⁵² gives it;
/// the rounder is even, so ties still go to even. NaN, which the conversion sends to 0, is
/// replaced by 0 first. Equal to [`to_fixed`] for every `f64` (tested).
#[inline(always)]
pub fn to_fixed_lanes(x: f64) -> i64 {
    const ROUNDER: f64 = 6_755_399_441_055_744.0;
    let clamped = x.clamp(-FIXED_POINT_LIMIT, FIXED_POINT_LIMIT);
    let clamped = if clamped.is_nan() { 0.0 } else { clamped };
    (clamped * FIXED_SCALE + ROUNDER).to_bits() as i64 - ROUNDER.to_bits() as i64
}

/// Back from fixed point.
#[inline]
pub fn from_fixed(q: i128) -> f64 {
    q as f64 / FIXED_SCALE
}

/// A sum of squared fixed-point values back to units² (it carries the scale twice).
#[inline]
pub fn from_fixed_square(q: i128) -> f64 {
    q as f64 / (FIXED_SCALE * FIXED_SCALE)
}

/// Whether a sum `Σq` and a sum of squares `Σq²` of `count` fixed-point values, each in
/// `[low, high]` (in units), are possible: `count·low ≤ Σq ≤ count·high`,
/// `0 ≤ Σq² ≤ count·max(low², high²)` and `(Σq)² ≤ count·Σq²`. Exact in integers where they
/// fit; the last inequality falls back to floating point (with a relative slack of 10⁻⁹) when
/// `(Σq)²` passes 2¹²⁷.
pub fn check_sums(
    count: u64,
    sum: i128,
    square_sum: i128,
    low: f64,
    high: f64,
) -> Result<(), String> {
    let n = count as i128;
    let (low_q, high_q) = (to_fixed(low) as i128, to_fixed(high) as i128);
    // |q| ≤ 2⁴⁴ and n < 2⁶⁴: both products fit in 128 bits.
    if sum < n * low_q || sum > n * high_q {
        return Err(format!(
            "a sum of {count} values is {}, outside [{}, {}]",
            from_fixed(sum),
            count as f64 * low,
            count as f64 * high
        ));
    }
    if square_sum < 0 {
        return Err(format!("a sum of squares is negative ({square_sum})"));
    }
    let largest = low_q.abs().max(high_q.abs());
    if let Some(bound) = largest.checked_mul(largest).and_then(|l| l.checked_mul(n))
        && square_sum > bound
    {
        return Err(format!(
            "a sum of squares of {count} values is {}, above their largest possible {}",
            from_fixed_square(square_sum),
            from_fixed_square(bound)
        ));
    }
    let a = sum.unsigned_abs();
    let consistent = match (
        a.checked_mul(a),
        (square_sum as u128).checked_mul(count as u128),
    ) {
        (Some(left), Some(right)) => left <= right,
        (Some(_), None) => true,
        _ => {
            let (a, s, n) = (a as f64, square_sum as f64, count as f64);
            a * a <= n * s * (1.0 + 1e-9)
        }
    };
    if !consistent {
        return Err(format!(
            "a sum of squares of {count} values ({}) is below (sum)²/count ({}): no values have these sums",
            from_fixed_square(square_sum),
            from_fixed(sum).powi(2) / count.max(1) as f64
        ));
    }
    Ok(())
}

/// Count, sum and sum of squares in exact fixed-point integers. Integer sums are associative,
/// so merging in any order — threads, shards — gives bit-identical results; the mean and
/// variance are derived from the exact sums only when asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moments {
    pub count: u64,
    pub sum: i128,
    pub square_sum: i128,
    /// Values beyond ±[`FIXED_POINT_LIMIT`], clamped on the way in: a run with any is refused
    /// ([`crate::engine::SimulationResult::clamped`]), so no clamped sum is ever reported.
    #[serde(default)]
    pub clamped: u64,
}

impl Moments {
    #[inline]
    pub fn add(&mut self, x: f64) {
        let q = to_fixed(x) as i128;
        self.clamped += (x.abs() > FIXED_POINT_LIMIT) as u64;
        self.count += 1;
        self.sum += q;
        self.square_sum += q * q;
    }

    pub fn merge(&mut self, other: &Moments) {
        self.count += other.count;
        self.sum += other.sum;
        self.square_sum += other.square_sum;
        self.clamped += other.clamped;
    }

    /// [`Self::merge`] with checked arithmetic, for states read from files (which may hold
    /// anything): `None` on overflow, never a wrapped sum.
    pub fn checked_merge(&mut self, other: &Moments) -> Option<()> {
        self.count = self.count.checked_add(other.count)?;
        self.sum = self.sum.checked_add(other.sum)?;
        self.square_sum = self.square_sum.checked_add(other.square_sum)?;
        self.clamped = self.clamped.checked_add(other.clamped)?;
        Some(())
    }

    /// Whether this state could come from `count` values each within ±[`FIXED_POINT_LIMIT`]:
    /// `|Σq| ≤ n·L`, `0 ≤ Σq² ≤ n·L²` and `(Σq)² ≤ n·Σq²` (Cauchy–Schwarz). `Err` says which
    /// bound is broken.
    pub fn check_bounds(&self) -> Result<(), String> {
        if self.clamped > 0 {
            return Err(format!(
                "{} values were beyond ±{FIXED_POINT_LIMIT} (a run refuses those)",
                self.clamped
            ));
        }
        check_sums(
            self.count,
            self.sum,
            self.square_sum,
            -FIXED_POINT_LIMIT,
            FIXED_POINT_LIMIT,
        )
    }

    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            from_fixed(self.sum) / self.count as f64
        }
    }

    /// Sample variance. The sum of squared deviations is formed exactly in integers about the
    /// truncated integer mean `m`: Σ(q−m)² = Σq² − 2mΣq + n·m², less the remainder term r²/n
    /// for r = Σq − n·m; so no cancellation is lost to rounding.
    pub fn variance(&self) -> f64 {
        if self.count < 2 {
            return 0.0;
        }
        let n = self.count as i128;
        let m = self.sum / n;
        let r = self.sum - n * m;
        let centred = (2 * m)
            .checked_mul(self.sum)
            .and_then(|cross| self.square_sum.checked_sub(cross))
            .and_then(|c| m.checked_mul(m)?.checked_mul(n)?.checked_add(c));
        let deviations = match centred {
            Some(c) => c as f64 - (r as f64) * (r as f64) / n as f64,
            // Unreachable inside the documented limits; fall back to floating point.
            None => {
                let (s, n) = (self.sum as f64, n as f64);
                self.square_sum as f64 - s * s / n
            }
        };
        (deviations.max(0.0) / (self.count - 1) as f64) / (FIXED_SCALE * FIXED_SCALE)
    }

    /// Standard error of the mean.
    pub fn standard_error(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            (self.variance() / self.count as f64).sqrt()
        }
    }
}

/// The per-trial outcome variables that get moments, in this order.
pub const MOMENT_METRICS: [&str; 8] = [
    "overrun",
    "slip",
    "benefit_realisation",
    "annual_benefit",
    "npv",
    "roi",
    "investment",
    "success",
];
/// Paired differences to the baseline, in this order (indicators are 0/1).
pub const PAIRED_METRICS: [&str; 10] = [
    "overrun",
    "slip",
    "benefit_realisation",
    "annual_benefit",
    "npv",
    "roi",
    "investment",
    "success",
    "failed",
    "npv_negative",
];

#[inline]
fn indicator(condition: bool) -> f64 {
    if condition { 1.0 } else { 0.0 }
}

/// Money (annual benefit, NPV, investment) is recorded per unit of budget.
#[inline]
fn moment_values(o: &Outcome, per_budget: f64) -> [f64; 8] {
    [
        o.overrun,
        o.slip,
        o.benefit_realisation,
        o.annual_benefit * per_budget,
        o.npv * per_budget,
        o.roi,
        o.investment * per_budget,
        indicator(o.class == OutcomeClass::Success),
    ]
}

/// The values whose differences to the baseline are kept, in [`PAIRED_METRICS`] order;
/// computed once per trial for the baseline and passed to every other strategy's
/// [`StrategyAccumulator::add`].
#[inline]
pub fn paired_values(o: &Outcome, per_budget: f64) -> [f64; 10] {
    let m = moment_values(o, per_budget);
    [
        m[0],
        m[1],
        m[2],
        m[3],
        m[4],
        m[5],
        m[6],
        m[7],
        indicator(o.class == OutcomeClass::Failed),
        indicator(o.npv < 0.0),
    ]
}

/// Everything kept about one strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyAccumulator {
    pub trials: u64,
    /// Success, challenged, failed.
    pub class_counts: [u64; 3],
    pub overrun_at_least_double: u64,
    pub npv_negative: u64,
    pub payback_within_horizon: u64,
    /// Trials in which the project ran away (`docs/MODEL.md` §5a).
    pub runaways: u64,
    pub moments: [Moments; 8],
    /// Cost / budget, with schedule slip as companion (for the black-swan tail).
    pub cost_ratio: TailSketch,
    pub duration_ratio: Sketch,
    /// Total outlay (project cost plus mitigations) / budget.
    pub outlay_ratio: Sketch,
    /// NPV / budget.
    pub npv_per_budget: Sketch,
    pub roi: Sketch,
    pub benefit_realisation: Sketch,
    pub payback_years: Sketch,
    /// Primary cause of each trial that missed its objectives: one count per factor, then
    /// one for "unattributed" (no present factor contributed to a broken objective).
    pub primary_cause: Vec<u64>,
    /// How often each factor struck.
    pub presence: Vec<u64>,
    /// Differences to the baseline on the same trial (common random numbers).
    pub paired: [Moments; 10],
    /// Trials where this strategy's NPV beats the baseline's.
    pub beats_baseline: u64,
    /// Per strategy of the run (in scenario order), this strategy's NPV minus that one's on the
    /// same trial, per unit of budget: the paired test of "significantly better" between any
    /// two strategies (`analysis::significance`). Empty in states written before it existed.
    #[serde(default)]
    pub npv_versus: Vec<Moments>,
}

impl StrategyAccumulator {
    pub fn new(factors: usize) -> Self {
        StrategyAccumulator {
            trials: 0,
            class_counts: [0; 3],
            overrun_at_least_double: 0,
            npv_negative: 0,
            payback_within_horizon: 0,
            runaways: 0,
            moments: [Moments::default(); 8],
            cost_ratio: TailSketch::default(),
            duration_ratio: Sketch::default(),
            outlay_ratio: Sketch::default(),
            npv_per_budget: Sketch::default(),
            roi: Sketch::default(),
            benefit_realisation: Sketch::default(),
            payback_years: Sketch::default(),
            primary_cause: vec![0; factors + 1],
            presence: vec![0; factors],
            paired: [Moments::default(); 10],
            beats_baseline: 0,
            npv_versus: Vec::new(),
        }
    }

    /// Room for the paired NPV differences against each of `strategies` strategies.
    pub fn with_strategies(factors: usize, strategies: usize) -> Self {
        let mut acc = StrategyAccumulator::new(factors);
        acc.npv_versus = vec![Moments::default(); strategies];
        acc
    }

    /// Record this strategy's NPV against every strategy's NPV on the same trial (`npvs` in
    /// scenario order, per unit of budget), after [`Self::add`].
    #[inline]
    pub fn add_versus(&mut self, npv: f64, npvs: &[f64]) {
        for (m, other) in self.npv_versus.iter_mut().zip(npvs) {
            m.add(npv - other);
        }
    }

    /// Record one trial's outcome, with the baseline's outcome on the same random numbers and
    /// its [`paired_values`] (`None` for the baseline itself, whose paired differences would
    /// all be zero). `per_budget` is 1 / budget: money moments are kept in units of the budget.
    #[inline]
    pub fn add(
        &mut self,
        o: &Outcome,
        baseline: Option<(&Outcome, &[f64; 10])>,
        per_budget: f64,
        horizon_years: f64,
    ) {
        self.trials += 1;
        self.class_counts[o.class as usize] += 1;
        self.overrun_at_least_double += (o.overrun >= 1.0) as u64;
        self.npv_negative += (o.npv < 0.0) as u64;
        self.payback_within_horizon += (o.payback_years <= horizon_years) as u64;
        self.runaways += o.runaway as u64;
        for (m, x) in self.moments.iter_mut().zip(moment_values(o, per_budget)) {
            m.add(x);
        }
        self.cost_ratio.add(1.0 + o.overrun, o.slip);
        self.duration_ratio.add(1.0 + o.slip);
        self.outlay_ratio.add(o.investment * per_budget);
        self.npv_per_budget.add(o.npv * per_budget);
        self.roi.add(o.roi);
        self.benefit_realisation.add(o.benefit_realisation);
        self.payback_years.add(o.payback_years.min(1e4));
        if o.class != OutcomeClass::Success {
            let index = o.primary_cause.unwrap_or(self.primary_cause.len() - 1);
            self.primary_cause[index] += 1;
        }
        let Some((baseline, theirs)) = baseline else {
            return;
        };
        let mine = paired_values(o, per_budget);
        for ((m, a), b) in self.paired.iter_mut().zip(mine).zip(theirs) {
            m.add(a - b);
        }
        self.beats_baseline += (o.npv > baseline.npv) as u64;
    }

    /// Back to the empty state, keeping the allocations.
    pub fn reset(&mut self) {
        self.trials = 0;
        self.class_counts = [0; 3];
        self.overrun_at_least_double = 0;
        self.npv_negative = 0;
        self.payback_within_horizon = 0;
        self.runaways = 0;
        self.moments = [Moments::default(); 8];
        self.cost_ratio.reset();
        self.duration_ratio.reset();
        self.outlay_ratio.reset();
        self.npv_per_budget.reset();
        self.roi.reset();
        self.benefit_realisation.reset();
        self.payback_years.reset();
        self.primary_cause.fill(0);
        self.presence.fill(0);
        self.paired = [Moments::default(); 10];
        self.beats_baseline = 0;
        self.npv_versus.fill(Moments::default());
    }

    /// [`Self::merge`] with checked arithmetic, for states read from files: `None` on an
    /// overflow or on vectors of different lengths, never a wrapped count.
    pub fn checked_merge(&mut self, other: &StrategyAccumulator) -> Option<()> {
        fn add(a: &mut u64, b: u64) -> Option<()> {
            *a = a.checked_add(b)?;
            Some(())
        }
        if self.primary_cause.len() != other.primary_cause.len()
            || self.presence.len() != other.presence.len()
            || self.npv_versus.len() != other.npv_versus.len()
        {
            return None;
        }
        add(&mut self.trials, other.trials)?;
        for i in 0..3 {
            add(&mut self.class_counts[i], other.class_counts[i])?;
        }
        add(
            &mut self.overrun_at_least_double,
            other.overrun_at_least_double,
        )?;
        add(&mut self.npv_negative, other.npv_negative)?;
        add(
            &mut self.payback_within_horizon,
            other.payback_within_horizon,
        )?;
        add(&mut self.runaways, other.runaways)?;
        for (a, b) in self.moments.iter_mut().zip(&other.moments) {
            a.checked_merge(b)?;
        }
        self.cost_ratio.checked_merge(&other.cost_ratio)?;
        for (a, b) in [
            (&mut self.duration_ratio, &other.duration_ratio),
            (&mut self.outlay_ratio, &other.outlay_ratio),
            (&mut self.npv_per_budget, &other.npv_per_budget),
            (&mut self.roi, &other.roi),
            (&mut self.benefit_realisation, &other.benefit_realisation),
            (&mut self.payback_years, &other.payback_years),
        ] {
            a.checked_merge(b)?;
        }
        for (a, b) in self.primary_cause.iter_mut().zip(&other.primary_cause) {
            add(a, *b)?;
        }
        for (a, b) in self.presence.iter_mut().zip(&other.presence) {
            add(a, *b)?;
        }
        for (a, b) in self.paired.iter_mut().zip(&other.paired) {
            a.checked_merge(b)?;
        }
        for (a, b) in self.npv_versus.iter_mut().zip(&other.npv_versus) {
            a.checked_merge(b)?;
        }
        add(&mut self.beats_baseline, other.beats_baseline)
    }

    pub fn merge(&mut self, other: &StrategyAccumulator) {
        self.trials += other.trials;
        for i in 0..3 {
            self.class_counts[i] += other.class_counts[i];
        }
        self.overrun_at_least_double += other.overrun_at_least_double;
        self.npv_negative += other.npv_negative;
        self.payback_within_horizon += other.payback_within_horizon;
        self.runaways += other.runaways;
        for (a, b) in self.moments.iter_mut().zip(&other.moments) {
            a.merge(b);
        }
        self.cost_ratio.merge(&other.cost_ratio);
        self.duration_ratio.merge(&other.duration_ratio);
        self.outlay_ratio.merge(&other.outlay_ratio);
        self.npv_per_budget.merge(&other.npv_per_budget);
        self.roi.merge(&other.roi);
        self.benefit_realisation.merge(&other.benefit_realisation);
        self.payback_years.merge(&other.payback_years);
        for (a, b) in self.primary_cause.iter_mut().zip(&other.primary_cause) {
            *a += b;
        }
        for (a, b) in self.presence.iter_mut().zip(&other.presence) {
            *a += b;
        }
        for (a, b) in self.paired.iter_mut().zip(&other.paired) {
            a.merge(b);
        }
        for (a, b) in self.npv_versus.iter_mut().zip(&other.npv_versus) {
            a.merge(b);
        }
        self.beats_baseline += other.beats_baseline;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_match_two_pass_and_merge_exactly() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| (i as f64 * 1.3).cos() * 5.0 + 100.0)
            .collect();
        let mean = xs.iter().sum::<f64>() / 1000.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 999.0;
        let (mut a, mut b, mut all) = (Moments::default(), Moments::default(), Moments::default());
        for (i, &x) in xs.iter().enumerate() {
            if i % 3 == 0 {
                a.add(x)
            } else {
                b.add(x)
            }
            all.add(x);
        }
        let mut ba = b;
        a.merge(&b);
        ba.merge(&{
            let mut first = Moments::default();
            for &x in xs.iter().step_by(3) {
                first.add(x);
            }
            first
        });
        // Integer sums: any split and any merge order gives the identical state.
        assert_eq!(a, all);
        assert_eq!(ba, all);
        // Quantisation error is at most 2⁻²⁵ per value.
        assert!((all.mean() - mean).abs() < 1e-7, "{} {mean}", all.mean());
        assert!((all.variance() - var).abs() < 1e-6 * var);
        assert!((all.standard_error() - (var / 1000.0).sqrt()).abs() < 1e-9);
    }

    #[test]
    fn variance_survives_a_large_mean() {
        // Mean 10⁵ times the standard deviation: a naive Σx² − (Σx)²/n loses every digit.
        let mut m = Moments::default();
        for i in 0..10_000 {
            m.add(1e5 + if i % 2 == 0 { 1.0 } else { -1.0 });
        }
        assert!((m.variance() - 10_000.0 / 9_999.0).abs() < 1e-9);
    }

    #[test]
    fn fixed_point_rounds_to_nearest_and_saturates() {
        assert_eq!(to_fixed(1.0), 1 << FIXED_POINT_BITS);
        assert_eq!(to_fixed(-0.5), -(1 << (FIXED_POINT_BITS - 1)));
        assert_eq!(to_fixed(1e300), to_fixed(FIXED_POINT_LIMIT));
        assert_eq!(to_fixed(f64::NAN), 0);
        let x = 0.123_456_789_f64;
        assert!((from_fixed(to_fixed(x) as i128) - x).abs() <= 0.5 / FIXED_SCALE);
    }
}
