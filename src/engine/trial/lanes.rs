//! The trial core in lanes: eight trials at a time, every quantity an `[f64; 8]` with one lane
//! per trial, so that the arithmetic compiles to vector instructions (AVX2, AVX-512 or NEON,
//! chosen at run time by [`crate::model::vmath::dispatch`]). It computes what
//! [`CompiledScenario::draw_from_uniforms`] followed by [`CompiledScenario::evaluate_all`]
//! computes for each lane's uniforms (docs/MODEL.md §2–§5), with three differences of form,
//! not of substance: every factor's severity is computed whether or not it strikes (a lane's
//! absent factor contributes an exact 0); strategies with the same present factors are
//! evaluated again rather than copied; `exp` and `ln` are the lane functions of `vmath`.
//!
//! The lane core covers runs with fixed parameters; a run that draws its parameters per trial
//! (`--parameter-uncertainty`) uses the one-trial path.

// Lane loops index several arrays by lane: the form LLVM vectorises.
#![allow(clippy::needless_range_loop)]

use super::{CompiledScenario, OutcomeClass};
use crate::engine::block::{BLOCK_TRIALS, NO_CAUSE, OutcomeBlock};
use crate::model::BenefitModel;
use crate::model::distribution::{Continuous, Severity};
use crate::model::vmath::{self, LANES, Lanes};

/// One worker's lane scratch: allocated once per run.
pub struct LaneScratch {
    /// The chunk's uniforms, `uniforms[d][lane]`, in the order of
    /// [`CompiledScenario::dimensions`].
    pub uniforms: Vec<Lanes>,
    independent: Vec<Lanes>,
    pub(super) correlated: Vec<Lanes>,
    /// Per severity variant: the mitigated severity and `ln(1 − benefit·severity)`.
    pub(super) variant_severity: Vec<Lanes>,
    variant_log_keep: Vec<Lanes>,
    mitigation_cost: Vec<Lanes>,
    plan: LanePlan,
    /// Factor presence per strategy and lane, `presence[s * factors + i][lane]` (valid lanes
    /// only), added into the worker's counts by [`CompiledScenario::fold_presence`].
    pub(super) presence: Vec<[u64; LANES]>,
}

/// The draws every strategy of a chunk shares.
#[derive(Debug, Clone, Copy, Default)]
struct LanePlan {
    log_cost: Lanes,
    log_duration: Lanes,
    benefit_noise: Lanes,
    annual_full: Lanes,
    runaway_threshold: Lanes,
    runaway_log_size: Lanes,
}

#[inline(always)]
fn splat(x: f64) -> Lanes {
    [x; LANES]
}

/// The first `valid` lanes of `lanes` to the start of `to`. A whole chunk (nearly every one)
/// is copied at a length known at compile time: a few vector stores instead of a call to
/// `memmove` per column.
#[inline(always)]
fn put<T: Copy>(to: &mut [T], lanes: &[T; LANES], valid: usize) {
    if valid == LANES {
        to[..LANES].copy_from_slice(lanes);
    } else {
        to[..valid].copy_from_slice(&lanes[..valid]);
    }
}

/// Lane-wise inverse CDF of a severity law (as [`Severity::inverse_cdf`]).
#[inline(always)]
fn severity_lanes(law: &Severity, u: Lanes) -> Lanes {
    match *law {
        Severity::Fixed { value } => splat(value),
        Severity::Uniform { min, max } => u.map(|u| min + u * (max - min)),
        Severity::Triangular { min, mode, max } => triangular_lanes(u, min, mode, max),
        Severity::Kumaraswamy { a, b } => {
            let inner = vmath::root(u.map(|u| 1.0 - u), b);
            vmath::root(inner.map(|x| 1.0 - x), a)
        }
    }
}

/// Lane-wise triangular inverse CDF, with the scalar function's operations per lane: each
/// lane's side chosen by selecting operands, so that the one square root serves both sides and
/// the loops stay vector code (written with the root inside an `if`, LLVM made it scalar code
/// with a branch per lane).
#[inline(always)]
fn triangular_lanes(u: Lanes, min: f64, mode: f64, max: f64) -> Lanes {
    let width = max - min;
    if width <= 0.0 {
        return splat(min);
    }
    let split = (mode - min) / width;
    let (below, above) = (mode - min, max - mode);
    let mut square = [0.0; LANES];
    for k in 0..LANES {
        let low = u[k] < split;
        let side = if low { u[k] } else { 1.0 - u[k] };
        let span = if low { below } else { above };
        square[k] = side * width * span;
    }
    let root = square.map(f64::sqrt);
    let mut out = [0.0; LANES];
    for k in 0..LANES {
        let low = u[k] < split;
        out[k] = if low { min + root[k] } else { max - root[k] };
    }
    out
}

/// Lane-wise inverse CDF of a continuous law (as [`Continuous::inverse_cdf`]).
#[inline(always)]
fn continuous_lanes(law: &Continuous, u: Lanes) -> Lanes {
    match *law {
        Continuous::Fixed { value } => splat(value),
        Continuous::Uniform { min, max } => u.map(|u| min + u * (max - min)),
        Continuous::Triangular { min, mode, max } => triangular_lanes(u, min, mode, max),
        Continuous::LogNormal { mu, sigma } => {
            let z = vmath::normal_inverse(u);
            vmath::exp(z.map(|z| mu + sigma * z))
        }
    }
}

/// Lane-wise annual benefit at full realisation (as [`BenefitModel::annual_benefit`]).
#[inline(always)]
fn annual_benefit_lanes(model: &BenefitModel, u: &[Lanes]) -> Lanes {
    match model {
        BenefitModel::Direct { annual } => continuous_lanes(annual, u[0]),
        BenefitModel::Levers {
            baseline_revenue,
            margin,
            churn_rate,
            uplifts,
        } => {
            let new_customers = continuous_lanes(&uplifts[0], u[0]);
            let churn_cut = continuous_lanes(&uplifts[1], u[1]);
            let spend = continuous_lanes(&uplifts[2], u[2]);
            let items = continuous_lanes(&uplifts[3], u[3]);
            let frequency = continuous_lanes(&uplifts[4], u[4]);
            let mut out = [0.0; LANES];
            for k in 0..LANES {
                let retained = churn_rate * churn_cut[k];
                let multiplier = (1.0 + new_customers[k])
                    * (1.0 + retained)
                    * (1.0 + spend[k])
                    * (1.0 + items[k])
                    * (1.0 + frequency[k]);
                out[k] = baseline_revenue * margin * (multiplier - 1.0);
            }
            out
        }
    }
}

impl CompiledScenario {
    /// [`LaneFactor`]s per strategy, in factor order, without the factors a strategy removes
    /// altogether (threshold −∞): what [`CompiledScenario::new`] stores for the lane core.
    pub(super) fn plan_lane_factors(&self) -> (Vec<LaneFactor>, Vec<usize>) {
        let n = self.factors;
        let mut factors = Vec::with_capacity(self.strategies * n);
        let mut offset = Vec::with_capacity(self.strategies + 1);
        offset.push(0);
        for s in 0..self.strategies {
            let row = s * n;
            for i in 0..n {
                let threshold = self.parameters.threshold[row + i];
                if threshold == f64::NEG_INFINITY {
                    continue;
                }
                factors.push(LaneFactor {
                    threshold,
                    impact: self.parameters.impact[i],
                    factor: i,
                    variant: self.variant_offset[i] + self.strategy_variant[row + i] as usize,
                    slot: row + i,
                });
            }
            offset.push(factors.len());
        }
        (factors, offset)
    }

    /// Whether the lane core can run this compiled scenario (fixed parameters).
    pub fn lanes_supported(&self) -> bool {
        self.uncertainty.is_none() && self.effects.is_none() && self.retarget.is_none()
    }

    /// Scratch space for the lane core.
    pub fn lane_scratch(&self) -> LaneScratch {
        LaneScratch {
            uniforms: vec![[0.0; LANES]; self.dimensions()],
            independent: vec![[0.0; LANES]; self.factors],
            correlated: vec![[0.0; LANES]; self.factors],
            variant_severity: vec![[0.0; LANES]; self.variant_scale.len()],
            variant_log_keep: vec![[0.0; LANES]; self.variant_scale.len()],
            mitigation_cost: vec![[0.0; LANES]; self.mitigation_cost.len()],
            plan: LanePlan::default(),
            presence: vec![[0; LANES]; self.strategies * self.factors],
        }
    }

    /// Map the eight trials' uniforms in `lanes.uniforms` to their random inputs: factor normals,
    /// correlated; every severity variant; the shared plan draws; the mitigation costs.
    #[inline(always)]
    pub fn draw_lanes(&self, lanes: &mut LaneScratch) {
        debug_assert!(self.lanes_supported());
        let n = self.factors;
        let parameters = &self.parameters;
        // Draws: factor normals, correlated; severities of every variant.
        vmath::normal_inverse_many(&lanes.uniforms[..n], &mut lanes.independent);
        self.correlation_lanes(&lanes.independent, &mut lanes.correlated);
        for i in 0..n {
            let severity = severity_lanes(&self.severity[i], lanes.uniforms[n + i]);
            let benefit = parameters.impact[i].benefit;
            for v in self.variant_offset[i]..self.variant_offset[i + 1] {
                let scale = parameters.variant_scale[v];
                let scaled = severity.map(|s| s * scale);
                lanes.variant_severity[v] = scaled;
                lanes.variant_log_keep[v] =
                    vmath::ln(scaled.map(|s| (1.0 - benefit * s).max(1e-12)));
            }
        }
        self.draw_shared_lanes(lanes);
    }

    /// The part of [`Self::draw_lanes`] that reads the uniforms from `2·factors` on: the plan
    /// draws every strategy shares and the mitigation costs.
    #[inline(always)]
    pub(super) fn draw_shared_lanes(&self, lanes: &mut LaneScratch) {
        lanes.plan = self.plan_lanes(&lanes.uniforms);
        let mitigation_base = 2 * self.factors + 5 + self.benefits.dimensions();
        for (m, law) in self.mitigation_cost.iter().enumerate() {
            lanes.mitigation_cost[m] = continuous_lanes(law, lanes.uniforms[mitigation_base + m]);
        }
    }

    /// Evaluate the eight trials drawn by [`Self::draw_lanes`] under every strategy, writing
    /// the first `valid` of them to `block` (trials `block.len ..`) and counting factor presence
    /// (valid lanes only) in `lanes`, for [`Self::fold_presence`].
    #[inline(always)]
    pub fn evaluate_lanes(
        &self,
        lanes: &mut LaneScratch,
        valid: usize,
        block: &mut OutcomeBlock,
        causes: Causes,
    ) {
        debug_assert!(self.lanes_supported() && valid <= LANES);
        debug_assert!(block.len + valid <= BLOCK_TRIALS);
        let valid_mask: [bool; LANES] = std::array::from_fn(|k| k < valid);
        for s in 0..self.strategies {
            self.strategy_lanes(lanes, s, (&valid_mask, valid), block, causes);
        }
        block.len += valid;
    }

    /// `z = L·e` in lanes (as [`crate::model::CorrelationModel::correlate`]).
    #[inline(always)]
    fn correlation_lanes(&self, independent: &[Lanes], correlated: &mut [Lanes]) {
        for (row, out) in correlated.iter_mut().enumerate() {
            let coefficients = self.correlation.lower_row(row);
            let mut sum = [0.0; LANES];
            for (&l, e) in coefficients.iter().zip(independent) {
                for k in 0..LANES {
                    sum[k] += l * e[k];
                }
            }
            *out = sum;
        }
    }

    /// The draws every strategy shares (as the start of [`CompiledScenario::evaluate_all`]).
    #[inline(always)]
    fn plan_lanes(&self, uniforms: &[Lanes]) -> LanePlan {
        let n = self.factors;
        let p = &self.parameters;
        let estimate = &self.estimate;
        // The three normals together: their tail values are gathered into one vector.
        let mut noise = [[0.0; LANES]; 3];
        vmath::normal_inverse_many(&uniforms[2 * n..2 * n + 3], &mut noise);
        // Unit exponentials by inversion, E = −ln(1 − u); 1 − u is exact for u ≥ ½ and within
        // half an ulp of 1 otherwise.
        let trigger = vmath::ln(uniforms[2 * n + 3].map(|u| 1.0 - u));
        let size = vmath::ln(uniforms[2 * n + 4].map(|u| 1.0 - u));
        let hazard = p.runaway.base_hazard();
        let sd = estimate.benefit_sd;
        let benefit_noise = vmath::exp(noise[2].map(|eta| sd * eta - 0.5 * sd * sd));
        // λ₀·e^L > E  ⇔  L > ln(E/λ₀); λ₀ = 0 gives +∞ (never).
        let runaway_threshold = vmath::ln(trigger.map(|t| -t / hazard));
        let log_size_min = p.runaway.size_min.ln();
        let mut plan = LanePlan {
            log_cost: [0.0; LANES],
            log_duration: [0.0; LANES],
            benefit_noise,
            annual_full: annual_benefit_lanes(&self.benefits, &uniforms[2 * n + 5..]),
            runaway_threshold,
            runaway_log_size: size.map(|e| log_size_min - e / p.runaway.tail),
        };
        for k in 0..LANES {
            plan.log_cost[k] = p.log_cost_mean + p.log_cost_sd * noise[0][k];
            plan.log_duration[k] = p.log_schedule_mean
                + p.log_schedule_sd
                    * (estimate.cost_schedule_correlation * noise[0][k]
                        + self.cost_schedule_complement * noise[1][k]);
        }
        plan
    }

    /// One strategy's outcomes in every lane (as [`CompiledScenario::evaluate_all`] and
    /// `physical` for one strategy). Written branch-free on lane values (selects, not jumps),
    /// so that the factor loop and the outcome arithmetic compile to vector code.
    #[inline(always)]
    fn strategy_lanes(
        &self,
        lanes: &mut LaneScratch,
        s: usize,
        (valid_mask, valid): (&[bool; LANES], usize),
        block: &mut OutcomeBlock,
        causes: Causes,
    ) {
        let p = &self.parameters;
        let plan = lanes.plan;
        let (mut log_benefit, mut log_cost, mut log_duration, mut load) =
            ([0.0; LANES], [0.0; LANES], [0.0; LANES], [0.0; LANES]);
        for f in self.strategy_lane_factors(s) {
            let (threshold, impact) = (f.threshold, f.impact);
            // Copies, not references: beside the mutable counts, references would have to be
            // assumed to alias them, and the loop would not be vectorised.
            let (z, severity, keep) = (
                lanes.correlated[f.factor],
                lanes.variant_severity[f.variant],
                lanes.variant_log_keep[f.variant],
            );
            let counts = &mut lanes.presence[f.slot];
            for k in 0..LANES {
                let present = z[k] < threshold;
                counts[k] += (present & valid_mask[k]) as u64;
                let sv = if present { severity[k] } else { 0.0 };
                log_benefit[k] += if present { keep[k] } else { 0.0 };
                log_cost[k] += impact.cost * sv;
                log_duration[k] += impact.schedule * sv;
                load[k] += impact.runaway * sv;
            }
        }
        let elasticity = p.runaway.schedule;
        let mut runaway_log_cost = [0.0; LANES];
        let mut duration_arg = [0.0; LANES];
        let mut cost_arg = [0.0; LANES];
        for k in 0..LANES {
            let runaway = load[k] > plan.runaway_threshold[k];
            runaway_log_cost[k] = if runaway {
                plan.runaway_log_size[k]
            } else {
                0.0
            };
            duration_arg[k] =
                plan.log_duration[k] + log_duration[k] + elasticity * runaway_log_cost[k];
            cost_arg[k] = plan.log_cost[k] + log_cost[k] + runaway_log_cost[k];
        }
        let duration_ratio = vmath::exp(duration_arg);
        let cost_exp = vmath::exp(cost_arg);
        let benefit_exp = vmath::exp(log_benefit);
        let discounting = &self.discounting;
        let force = discounting.force;
        let horizon = discounting.horizon_years;
        let horizon_factor = discounting.horizon_factor();
        let go_live = duration_ratio.map(|d| self.duration_years * d);
        let discount = vmath::exp(go_live.map(|t| -force * t));
        let mut mitigation = [0.0; LANES];
        for &m in &self.strategy_mitigations[s] {
            let cost = lanes.mitigation_cost[m];
            for k in 0..LANES {
                mitigation[k] += cost[k];
            }
        }
        let (objectives, failure) = (&self.objectives, &self.failure);
        let undiscounted = force.abs() < 1e-12;
        let mut out = LaneOutcomes::default();
        // Per objective and lane: the weight of a broken objective in the primary cause (its
        // `1 / room`), 0 for one kept; lanes in the inner index, so that it stays vector code.
        let mut weight = [[0.0; LANES]; 3];
        for k in 0..LANES {
            let realisation = (plan.benefit_noise[k] * benefit_exp[k]).min(1.0);
            let cost_ratio = cost_exp[k] + self.burn * (duration_ratio[k] - 1.0).max(0.0);
            let overrun = cost_ratio - 1.0;
            let slip = duration_ratio[k] - 1.0;
            // broken_objectives and outcome_class, as arithmetic on the lane's flags.
            let b = [
                realisation < objectives.min_benefit_realisation,
                overrun > objectives.max_overrun,
                slip > objectives.max_slip,
            ];
            let any = b[0] | b[1] | b[2];
            let fails = (realisation < failure.benefit_realisation_below)
                | (overrun >= failure.overrun_at_least);
            let class = any as u8 * (1 + fails as u8);
            let failed = any & fails;
            let benefit_realisation = if failed {
                realisation * self.failed_share
            } else {
                realisation
            };
            let annual = plan.annual_full[k] * benefit_realisation;
            let t = go_live[k];
            let value = if undiscounted {
                annual * (horizon - t)
            } else {
                annual * (discount[k] - horizon_factor) / force
            };
            let benefit_value = if (t >= horizon) | (annual == 0.0) {
                0.0
            } else {
                value
            };
            let investment = self.budget * cost_ratio + mitigation[k];
            let npv = benefit_value - investment;
            for channel in 0..3 {
                weight[channel][k] = if b[channel] {
                    self.inverse_room[channel]
                } else {
                    0.0
                };
            }
            out.class[k] = class;
            out.overrun[k] = overrun;
            out.slip[k] = slip;
            out.benefit_realisation[k] = benefit_realisation;
            out.annual_benefit[k] = annual;
            out.investment[k] = investment;
            out.npv[k] = npv;
            out.roi[k] = npv / investment;
            let payback = t + investment / annual;
            out.payback_years[k] = if annual <= 0.0 {
                f64::INFINITY
            } else {
                payback
            };
            out.runaway[k] = (load[k] > plan.runaway_threshold[k]) as u8;
        }
        let base = s * BLOCK_TRIALS + block.len;
        put(&mut block.class[base..], &out.class, valid);
        put(&mut block.overrun[base..], &out.overrun, valid);
        put(&mut block.slip[base..], &out.slip, valid);
        put(
            &mut block.benefit_realisation[base..],
            &out.benefit_realisation,
            valid,
        );
        put(
            &mut block.annual_benefit[base..],
            &out.annual_benefit,
            valid,
        );
        put(&mut block.investment[base..], &out.investment, valid);
        put(&mut block.npv[base..], &out.npv, valid);
        put(&mut block.roi[base..], &out.roi, valid);
        put(&mut block.payback_years[base..], &out.payback_years, valid);
        put(&mut block.runaway[base..], &out.runaway, valid);
        put(&mut block.primary_cause[base..], &[NO_CAUSE; LANES], valid);
        let any_miss = (0..valid).any(|k| out.class[k] != OutcomeClass::Success as u8);
        if !any_miss || causes == Causes::Skip {
            return;
        }
        let best = self.primary_cause_lanes(lanes, s, &weight, &load, &runaway_log_cost);
        for k in 0..valid {
            if out.class[k] != OutcomeClass::Success as u8 {
                block.primary_cause[base + k] = best[k];
            }
        }
    }

    /// Each lane's primary cause (as `primary_cause`): the present factor with the largest
    /// positive contribution to the broken objectives, ties to the first.
    #[inline(always)]
    fn primary_cause_lanes(
        &self,
        lanes: &LaneScratch,
        s: usize,
        weight: &[Lanes; 3],
        load: &Lanes,
        runaway_log_cost: &Lanes,
    ) -> [u32; LANES] {
        let p = &self.parameters;
        let elasticity = p.runaway.schedule;
        let (mut cost_share, mut duration_share) = ([0.0; LANES], [0.0; LANES]);
        for k in 0..LANES {
            let positive = load[k] > 0.0;
            let per_load = runaway_log_cost[k] / load[k];
            let per_load_duration = elasticity * runaway_log_cost[k] / load[k];
            cost_share[k] = if positive { per_load } else { 0.0 };
            duration_share[k] = if positive { per_load_duration } else { 0.0 };
        }
        let mut best = [NO_CAUSE as f64; LANES];
        let mut best_contribution = [0.0; LANES];
        for f in self.strategy_lane_factors(s) {
            let (threshold, impact) = (f.threshold, f.impact);
            let (z, severity, keep) = (
                &lanes.correlated[f.factor],
                &lanes.variant_severity[f.variant],
                &lanes.variant_log_keep[f.variant],
            );
            let index = f.factor as f64;
            for k in 0..LANES {
                let sv = severity[k];
                let terms = [
                    -keep[k],
                    impact.cost * sv,
                    impact.schedule * sv,
                    impact.runaway * sv,
                ];
                let cost = terms[1] + terms[3] * cost_share[k];
                let duration = terms[2] + terms[3] * duration_share[k];
                let contribution =
                    terms[0] * weight[0][k] + cost * weight[1][k] + duration * weight[2][k];
                let better = (z[k] < threshold) & (contribution > best_contribution[k]);
                best[k] = if better { index } else { best[k] };
                best_contribution[k] = if better {
                    contribution
                } else {
                    best_contribution[k]
                };
            }
        }
        best.map(|b| b as u32)
    }

    /// Strategy `s`'s [`LaneFactor`]s.
    #[inline(always)]
    fn strategy_lane_factors(&self, s: usize) -> &[LaneFactor] {
        &self.lane_factors[self.lane_factor_offset[s]..self.lane_factor_offset[s + 1]]
    }

    /// Add the lanes' presence counts into `presence[s * factors + i]` and zero them.
    pub fn fold_presence(&self, lanes: &mut LaneScratch, presence: &mut [u64]) {
        for (total, counts) in presence.iter_mut().zip(lanes.presence.iter_mut()) {
            *total += counts.iter().sum::<u64>();
            *counts = [0; LANES];
        }
    }
}

/// Whether [`CompiledScenario::evaluate_lanes`] finds each missed trial's primary cause (a run
/// reports causes) or leaves every `primary_cause` at [`NO_CAUSE`] (the analyses that read
/// only values: it spares a second pass over the factors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Causes {
    Find,
    Skip,
}

/// One factor as a strategy reads it, compiled once ([`CompiledScenario::plan_lane_factors`]),
/// so that the lane core's factor loops index no more than they must.
#[derive(Debug, Clone, Copy)]
pub struct LaneFactor {
    /// The strategy's threshold for the factor (never −∞: such factors are left out).
    threshold: f64,
    impact: crate::model::Impact,
    /// The factor's index: its correlated normals are `correlated[factor]`.
    factor: usize,
    /// The severity variant the strategy uses: `variant_severity[variant]`.
    variant: usize,
    /// `s * factors + factor`: the strategy's presence counts.
    slot: usize,
}

/// One strategy's outcomes in the eight lanes, before the valid ones are copied to the block.
#[derive(Default)]
struct LaneOutcomes {
    class: [u8; LANES],
    overrun: Lanes,
    slip: Lanes,
    benefit_realisation: Lanes,
    annual_benefit: Lanes,
    investment: Lanes,
    npv: Lanes,
    roi: Lanes,
    payback_years: Lanes,
    runaway: [u8; LANES],
}

#[cfg(test)]
#[path = "lanes_tests.rs"]
mod tests;
