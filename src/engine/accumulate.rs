//! Streaming accumulators: what the engine keeps per strategy while trials stream past.
//! Memory is fixed (counts, Welford moments, fixed-size sketches) whatever the trial count;
//! merging is exact for counts and sketches and done in batch order for floating sums, so a
//! result does not depend on the number of threads.

use super::sketch::{Sketch, TailSketch};
use super::trial::{Outcome, OutcomeClass};

/// Mean and variance by Welford's update, merged by Chan's formula.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    pub count: u64,
    pub mean: f64,
    m2: f64,
}

impl Moments {
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
    }

    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let n = (self.count + other.count) as f64;
        let delta = other.mean - self.mean;
        self.mean += delta * other.count as f64 / n;
        self.m2 += other.m2 + delta * delta * self.count as f64 * other.count as f64 / n;
        self.count += other.count;
    }

    pub fn variance(&self) -> f64 {
        if self.count < 2 {
            0.0
        } else {
            self.m2 / (self.count - 1) as f64
        }
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

#[inline]
fn moment_values(o: &Outcome) -> [f64; 8] {
    [
        o.overrun,
        o.slip,
        o.benefit_realisation,
        o.annual_benefit,
        o.npv,
        o.roi,
        o.investment,
        indicator(o.class == OutcomeClass::Success),
    ]
}

#[inline]
fn paired_values(o: &Outcome) -> [f64; 10] {
    let m = moment_values(o);
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
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyAccumulator {
    pub trials: u64,
    /// Success, challenged, failed.
    pub class_counts: [u64; 3],
    pub overrun_at_least_double: u64,
    pub npv_negative: u64,
    pub payback_within_horizon: u64,
    pub moments: [Moments; 8],
    /// Cost / budget, with schedule slip as companion (for the black-swan tail).
    pub cost_ratio: TailSketch,
    pub duration_ratio: Sketch,
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
}

impl StrategyAccumulator {
    pub fn new(factors: usize) -> Self {
        StrategyAccumulator {
            trials: 0,
            class_counts: [0; 3],
            overrun_at_least_double: 0,
            npv_negative: 0,
            payback_within_horizon: 0,
            moments: [Moments::default(); 8],
            cost_ratio: TailSketch::default(),
            duration_ratio: Sketch::default(),
            npv_per_budget: Sketch::default(),
            roi: Sketch::default(),
            benefit_realisation: Sketch::default(),
            payback_years: Sketch::default(),
            primary_cause: vec![0; factors + 1],
            presence: vec![0; factors],
            paired: [Moments::default(); 10],
            beats_baseline: 0,
        }
    }

    /// Record one trial's outcome, with the baseline's outcome on the same random numbers.
    #[inline]
    pub fn add(&mut self, o: &Outcome, baseline: &Outcome, budget: f64, horizon_years: f64) {
        self.trials += 1;
        self.class_counts[o.class as usize] += 1;
        self.overrun_at_least_double += (o.overrun >= 1.0) as u64;
        self.npv_negative += (o.npv < 0.0) as u64;
        self.payback_within_horizon += (o.payback_years <= horizon_years) as u64;
        for (m, x) in self.moments.iter_mut().zip(moment_values(o)) {
            m.add(x);
        }
        self.cost_ratio.add(1.0 + o.overrun, o.slip);
        self.duration_ratio.add(1.0 + o.slip);
        self.npv_per_budget.add(o.npv / budget);
        self.roi.add(o.roi);
        self.benefit_realisation.add(o.benefit_realisation);
        self.payback_years.add(o.payback_years.min(1e4));
        if o.class != OutcomeClass::Success {
            let index = o.primary_cause.unwrap_or(self.primary_cause.len() - 1);
            self.primary_cause[index] += 1;
        }
        let (mine, theirs) = (paired_values(o), paired_values(baseline));
        for ((m, a), b) in self.paired.iter_mut().zip(mine).zip(theirs) {
            m.add(a - b);
        }
        self.beats_baseline += (o.npv > baseline.npv) as u64;
    }

    pub fn merge(&mut self, other: &StrategyAccumulator) {
        self.trials += other.trials;
        for i in 0..3 {
            self.class_counts[i] += other.class_counts[i];
        }
        self.overrun_at_least_double += other.overrun_at_least_double;
        self.npv_negative += other.npv_negative;
        self.payback_within_horizon += other.payback_within_horizon;
        for (a, b) in self.moments.iter_mut().zip(&other.moments) {
            a.merge(b);
        }
        self.cost_ratio.merge(&other.cost_ratio);
        self.duration_ratio.merge(&other.duration_ratio);
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
        self.beats_baseline += other.beats_baseline;
    }
}

#[cfg(test)]
mod tests {
    use super::Moments;

    #[test]
    fn moments_match_two_pass_and_merge() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| (i as f64 * 1.3).cos() * 5.0 + 100.0)
            .collect();
        let mean = xs.iter().sum::<f64>() / 1000.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 999.0;
        let (mut a, mut b, mut all) = (Moments::default(), Moments::default(), Moments::default());
        for (i, &x) in xs.iter().enumerate() {
            if i < 300 {
                a.add(x)
            } else {
                b.add(x)
            }
            all.add(x);
        }
        a.merge(&b);
        assert!((all.mean - mean).abs() < 1e-10 && (all.variance() - var).abs() < 1e-9);
        assert!((a.mean - mean).abs() < 1e-10 && (a.variance() - var).abs() < 1e-9);
        assert!((all.standard_error() - (var / 1000.0).sqrt()).abs() < 1e-12);
    }
}
