//! A block of evaluated trials in columns (structure of arrays): what the trial stage hands the
//! accumulators. Columns let the accumulators work a whole block at a time (vectorised
//! fixed-point sums, one pass per figure) instead of one trial at a time; the state they end in
//! is exactly the state trial-by-trial accumulation gives (integers, added in any order).

use super::trial::{Outcome, OutcomeClass};

/// Trials per block: a divisor of [`super::BATCH_TRIALS`], so blocks never straddle batches.
pub const BLOCK_TRIALS: usize = 256;

/// `primary_cause` of a trial with no primary cause (a success, or a miss no factor explains).
pub const NO_CAUSE: u32 = u32::MAX;

/// Up to [`BLOCK_TRIALS`] trials' outcomes under every strategy, column by column: the value of
/// strategy `s` in trial `t` of the block is at `s * BLOCK_TRIALS + t` of each column.
#[derive(Debug, Clone)]
pub struct OutcomeBlock {
    pub strategies: usize,
    /// Trials filled, `0..=BLOCK_TRIALS`.
    pub len: usize,
    /// [`OutcomeClass`] as its `u8`.
    pub class: Vec<u8>,
    pub overrun: Vec<f64>,
    pub slip: Vec<f64>,
    pub benefit_realisation: Vec<f64>,
    pub annual_benefit: Vec<f64>,
    pub investment: Vec<f64>,
    pub npv: Vec<f64>,
    pub roi: Vec<f64>,
    pub payback_years: Vec<f64>,
    /// The factor index, or [`NO_CAUSE`].
    pub primary_cause: Vec<u32>,
    /// 1 when the project ran away.
    pub runaway: Vec<u8>,
}

impl OutcomeBlock {
    pub fn new(strategies: usize) -> Self {
        let n = strategies * BLOCK_TRIALS;
        OutcomeBlock {
            strategies,
            len: 0,
            class: vec![0; n],
            overrun: vec![0.0; n],
            slip: vec![0.0; n],
            benefit_realisation: vec![0.0; n],
            annual_benefit: vec![0.0; n],
            investment: vec![0.0; n],
            npv: vec![0.0; n],
            roi: vec![0.0; n],
            payback_years: vec![0.0; n],
            primary_cause: vec![NO_CAUSE; n],
            runaway: vec![0; n],
        }
    }

    pub fn is_full(&self) -> bool {
        self.len == BLOCK_TRIALS
    }

    /// Append one trial's outcomes (one per strategy, in scenario order).
    #[inline]
    pub fn push(&mut self, outcomes: &[Outcome]) {
        debug_assert!(self.len < BLOCK_TRIALS && outcomes.len() == self.strategies);
        let t = self.len;
        for (s, o) in outcomes.iter().enumerate() {
            self.set(s * BLOCK_TRIALS + t, o);
        }
        self.len += 1;
    }

    #[inline]
    fn set(&mut self, k: usize, o: &Outcome) {
        self.class[k] = o.class as u8;
        self.overrun[k] = o.overrun;
        self.slip[k] = o.slip;
        self.benefit_realisation[k] = o.benefit_realisation;
        self.annual_benefit[k] = o.annual_benefit;
        self.investment[k] = o.investment;
        self.npv[k] = o.npv;
        self.roi[k] = o.roi;
        self.payback_years[k] = o.payback_years;
        self.primary_cause[k] = o.primary_cause.map_or(NO_CAUSE, |i| i as u32);
        self.runaway[k] = o.runaway as u8;
    }

    /// Strategy `s`'s outcome in trial `t` of the block, as one [`Outcome`].
    #[inline]
    pub fn outcome(&self, s: usize, t: usize) -> Outcome {
        let k = s * BLOCK_TRIALS + t;
        Outcome {
            class: match self.class[k] {
                0 => OutcomeClass::Success,
                1 => OutcomeClass::Challenged,
                _ => OutcomeClass::Failed,
            },
            overrun: self.overrun[k],
            slip: self.slip[k],
            benefit_realisation: self.benefit_realisation[k],
            annual_benefit: self.annual_benefit[k],
            investment: self.investment[k],
            npv: self.npv[k],
            roi: self.roi[k],
            payback_years: self.payback_years[k],
            primary_cause: (self.primary_cause[k] != NO_CAUSE)
                .then_some(self.primary_cause[k] as usize),
            runaway: self.runaway[k] != 0,
        }
    }

    /// Empty again (the columns keep their allocation and stale values past `len`).
    pub fn clear(&mut self) {
        self.len = 0;
    }
}
