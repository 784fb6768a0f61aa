//! One trial: the random draws it consumes, and its evaluation under each strategy.
//!
//! Every strategy sees the same draws (common random numbers). A factor strikes when its
//! correlated normal falls below the strategy's threshold `Φ⁻¹(p·m)`; mitigations only lower
//! `p·m`, so they can only remove a factor from a trial, never add one.
//!
//! Under parameter uncertainty (`docs/MODEL.md` §4b) each trial also draws the uncertain
//! parameters once, after its other draws, and then the effect multipliers that have a range
//! (§8); every strategy uses that draw.

mod compile;
mod lane_analyses;
mod lane_stages;
mod lanes;
mod uncertain;

use super::lane_rng::TrialStream;
use crate::model::distribution::{Continuous, Severity, standard_normal_inverse};
use crate::model::economics::{Discounting, payback_years};
use crate::model::vmath;
use crate::model::{BenefitModel, CorrelationModel, Impact, MultiplierKind, Parameter};
use crate::scenario::Scenario;
pub use lane_stages::LaneStage;
pub use lanes::{Causes, LaneScratch};
use uncertain::{CompiledEffects, CompiledUncertainty, Retarget};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum OutcomeClass {
    Success = 0,
    Challenged = 1,
    Failed = 2,
}

/// What one trial gives under one strategy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub class: OutcomeClass,
    /// Cost over budget as a fraction (0.27 = 27 % over; negative = under).
    pub overrun: f64,
    /// Duration over plan as a fraction.
    pub slip: f64,
    /// Share of the planned benefit realised (after the failed-project cut).
    pub benefit_realisation: f64,
    /// Benefit per year once live, in currency.
    pub annual_benefit: f64,
    /// Project cost plus mitigation cost, in currency.
    pub investment: f64,
    pub npv: f64,
    pub roi: f64,
    pub payback_years: f64,
    /// For a trial that missed its objectives: the factor that contributed most to the broken
    /// objectives, or `None` when no present factor contributed (estimating error alone).
    pub primary_cause: Option<usize>,
    /// Whether the project ran away (`docs/MODEL.md` §5a).
    pub runaway: bool,
}

impl Outcome {
    pub const EMPTY: Outcome = Outcome {
        class: OutcomeClass::Success,
        overrun: 0.0,
        slip: 0.0,
        benefit_realisation: 0.0,
        annual_benefit: 0.0,
        investment: 0.0,
        npv: 0.0,
        roi: 0.0,
        payback_years: 0.0,
        primary_cause: None,
        runaway: false,
    };
}

/// Which objectives a trial breaks: benefit, cost, schedule (docs/MODEL.md §5).
#[inline]
pub fn broken_objectives(
    objectives: &crate::model::Objectives,
    realisation: f64,
    overrun: f64,
    slip: f64,
) -> [bool; 3] {
    [
        realisation < objectives.min_benefit_realisation,
        overrun > objectives.max_overrun,
        slip > objectives.max_slip,
    ]
}

/// The outcome class of a trial that breaks `broken` objectives (docs/MODEL.md §5): success
/// when it breaks none, failed when it also crosses the failure rule, challenged otherwise.
#[inline]
pub fn outcome_class(
    failure: &crate::model::FailureRule,
    broken: [bool; 3],
    realisation: f64,
    overrun: f64,
) -> OutcomeClass {
    if !broken.iter().any(|&b| b) {
        OutcomeClass::Success
    } else if realisation < failure.benefit_realisation_below || overrun >= failure.overrun_at_least
    {
        OutcomeClass::Failed
    } else {
        OutcomeClass::Challenged
    }
}

/// One trial's draws that every strategy shares: the planned log cost and duration, the
/// benefit noise factor, the annual benefit at full realisation, and the runaway's trigger and
/// size.
struct Plan {
    log_cost: f64,
    log_duration: f64,
    benefit_noise: f64,
    annual_full: f64,
    /// The project runs away when its runaway load `Σ r_i s_i` exceeds this:
    /// `ln(E / λ₀)` with `E = −ln(1 − u)` a unit exponential.
    runaway_threshold: f64,
    /// `ln Y`, the log of the runaway's cost multiplier (Pareto: `ln size_min + E′/α`).
    runaway_log_size: f64,
}

/// `ln(1 − benefit·severity)`, floored so that a total loss stays finite.
#[inline]
fn log_keep(benefit: f64, severity: f64) -> f64 {
    vmath::ln1((1.0 - benefit * severity).max(1e-12))
}

/// The parameters one trial uses: the scenario's own, or, under parameter uncertainty, this
/// trial's draw of them. Each worker's scratch holds a copy, so the trial loop reads them in one
/// place whether or not they are drawn.
#[derive(Debug, Clone)]
struct TrialParameters {
    impact: Vec<Impact>,
    /// Each factor's probability `p_i`.
    probability: Vec<f64>,
    /// `threshold[s * factors + i] = Φ⁻¹(p_i · Π m)` for strategy `s`.
    threshold: Vec<f64>,
    /// The largest threshold over strategies: severities are computed only below it.
    max_threshold: Vec<f64>,
    /// The largest threshold among the strategies using a variant: it is computed only below.
    variant_threshold: Vec<f64>,
    /// Each severity variant's multiplier `Π m_sev` (drawn per trial when it has a range).
    variant_scale: Vec<f64>,
    log_cost_mean: f64,
    log_schedule_mean: f64,
    log_cost_sd: f64,
    log_schedule_sd: f64,
    runaway: crate::model::Runaway,
}

/// The scenario compiled for the trial loop: flat arrays, thresholds precomputed per strategy.
pub struct CompiledScenario {
    pub factors: usize,
    pub strategies: usize,
    pub baseline: usize,
    correlation: CorrelationModel,
    severity: Vec<Severity>,
    /// Impacts, thresholds and log means as the scenario gives them (copied into each scratch).
    parameters: TrialParameters,
    /// `Some` when the run draws the parameters per trial.
    uncertainty: Option<CompiledUncertainty>,
    /// `Some` when the run draws effect multipliers per trial.
    effects: Option<CompiledEffects>,
    /// `Some` when some thresholds change from trial to trial.
    retarget: Option<Retarget>,
    /// Severity variants: the distinct severity multipliers the strategies apply to each
    /// factor (keyed, when multipliers are drawn, by their fixed part and by which drawn
    /// multipliers act). Factor `i` owns variants `variant_offset[i]..variant_offset[i + 1]`.
    variant_offset: Vec<usize>,
    /// Each variant's fixed multiplier (all of it, unless multipliers are drawn).
    variant_scale: Vec<f64>,
    /// `strategy_variant[s * factors + i]`: which of factor `i`'s variants strategy `s` uses.
    strategy_variant: Vec<u8>,
    /// Mitigation indices per strategy.
    strategy_mitigations: Vec<Vec<usize>>,
    mitigation_cost: Vec<Continuous>,
    benefits: BenefitModel,
    pub budget: f64,
    pub horizon_years: f64,
    duration_years: f64,
    estimate: crate::model::Estimate,
    cost_schedule_complement: f64,
    burn: f64,
    failed_share: f64,
    objectives: crate::model::Objectives,
    failure: crate::model::FailureRule,
    discounting: Discounting,
    /// `1 / room` per channel: the log distance from plan to each success objective.
    inverse_room: [f64; 3],
    /// What the lane core reads of each factor per strategy, strategy `s`'s entries at
    /// `lane_factors[lane_factor_offset[s]..lane_factor_offset[s + 1]]`
    /// ([`lanes::LaneFactor`]).
    lane_factors: Vec<lanes::LaneFactor>,
    lane_factor_offset: Vec<usize>,
}

/// Scratch space for one worker: allocated once per run, reused for every trial.
pub struct TrialScratch {
    pub(super) independent: Vec<f64>,
    pub(super) correlated: Vec<f64>,
    pub(super) severity_uniform: Vec<f64>,
    /// The factors that strike under at least one strategy this trial, in factor order: the
    /// only ones the strategies need to look at.
    candidates: Vec<usize>,
    /// Per severity variant: the mitigated severity and `ln(1 − benefit·severity)`, shared by
    /// every strategy that applies the same multiplier (computed for candidates only).
    variant_severity: Vec<f64>,
    variant_log_keep: Vec<f64>,
    benefit_uniform: [f64; 5],
    pub(super) mitigation_cost: Vec<f64>,
    noise: [f64; 3],
    /// The runaway's two uniforms: its trigger and its size.
    runaway_uniform: [f64; 2],
    /// Under parameter uncertainty: the trial's `k` extra standard normals `e` and `δ = R·e`
    /// (empty otherwise).
    parameter_normal: Vec<f64>,
    parameter_delta: Vec<f64>,
    /// Under parameter uncertainty: one uniform per ranged effect multiplier, and the
    /// multiplier it gives (empty otherwise).
    effect_uniform: Vec<f64>,
    effect_value: Vec<f64>,
    /// The parameters this trial uses.
    parameters: TrialParameters,
    /// Per strategy, the factors present with their variant, `(factor << 8) | variant`, in
    /// factor order: `signature[s * factors ..][..signature_len[s]]`. Two strategies with the
    /// same signature have the same log sums, so the second copies the first's physical result.
    signature: Vec<u32>,
    signature_len: Vec<usize>,
    physical: Vec<Physical>,
    /// The factors present under the strategy being evaluated, in factor order, with their
    /// terms `[−ln keep, log cost, log duration, runaway load]`: kept for the primary-cause
    /// search.
    present: Vec<(usize, [f64; 4])>,
    pub outcomes: Vec<Outcome>,
}

/// The part of an outcome fixed by which factors struck and how hard: everything but the
/// mitigation spend.
#[derive(Debug, Clone, Copy)]
struct Physical {
    class: OutcomeClass,
    cost_ratio: f64,
    duration_ratio: f64,
    benefit_realisation: f64,
    annual_benefit: f64,
    go_live: f64,
    benefit_value: f64,
    primary_cause: Option<usize>,
    runaway: bool,
}

impl Physical {
    const EMPTY: Physical = Physical {
        class: OutcomeClass::Success,
        cost_ratio: 1.0,
        duration_ratio: 1.0,
        benefit_realisation: 0.0,
        annual_benefit: 0.0,
        go_live: 0.0,
        benefit_value: 0.0,
        primary_cause: None,
        runaway: false,
    };
}

impl TrialScratch {
    /// This trial's drawn cost of every mitigation (a bought one's: its fixed actual cost).
    pub(crate) fn mitigation_costs(&self) -> &[f64] {
        &self.mitigation_cost
    }
}

impl CompiledScenario {
    /// Scratch space for one worker. It holds a copy of this compiled scenario's parameters, so
    /// use it only with the compiled scenario that made it.
    pub fn scratch(&self) -> TrialScratch {
        TrialScratch {
            independent: vec![0.0; self.factors],
            correlated: vec![0.0; self.factors],
            severity_uniform: vec![0.0; self.factors],
            candidates: Vec::with_capacity(self.factors),
            variant_severity: vec![0.0; self.variant_scale.len()],
            variant_log_keep: vec![0.0; self.variant_scale.len()],
            benefit_uniform: [0.0; 5],
            mitigation_cost: vec![0.0; self.mitigation_cost.len()],
            noise: [0.0; 3],
            runaway_uniform: [0.0; 2],
            parameter_normal: vec![0.0; self.uncertain_parameters()],
            parameter_delta: vec![0.0; self.uncertain_parameters()],
            effect_uniform: vec![0.0; self.drawn_multipliers()],
            effect_value: vec![0.0; self.drawn_multipliers()],
            parameters: self.parameters.clone(),
            signature: vec![0; self.strategies * self.factors],
            signature_len: vec![0; self.strategies],
            physical: vec![Physical::EMPTY; self.strategies],
            present: Vec::with_capacity(self.factors),
            outcomes: vec![Outcome::EMPTY; self.strategies],
        }
    }

    /// Parameters drawn per trial: 0 without parameter uncertainty.
    pub fn uncertain_parameters(&self) -> usize {
        self.uncertainty.as_ref().map_or(0, |u| u.targets.len())
    }

    /// Effect multipliers drawn per trial: 0 without parameter uncertainty.
    pub fn drawn_multipliers(&self) -> usize {
        self.effects.as_ref().map_or(0, |e| e.multipliers.len())
    }

    /// Draw the next trial of `stream` (its uniforms, docs/MODEL.md §2) and prepare it for
    /// [`Self::evaluate_all`].
    #[inline]
    pub fn draw(&self, stream: &mut TrialStream, scratch: &mut TrialScratch) {
        self.draw_from_uniforms(stream.next_trial(), scratch);
    }

    /// Uniforms per trial: one per factor (its normal), one per factor (its severity), three
    /// noise normals (cost, schedule, benefit), two runaway uniforms (trigger, size), the
    /// benefit model's uniforms, one per mitigation cost, one per uncertain parameter, one per
    /// drawn effect multiplier. Every sampling design fills this vector; the trial maps it to
    /// its random inputs by inverse CDFs.
    pub fn dimensions(&self) -> usize {
        2 * self.factors
            + 3
            + 2
            + self.benefits.dimensions()
            + self.mitigation_cost.len()
            + self.uncertain_parameters()
            + self.drawn_multipliers()
    }

    /// Map one trial's uniforms (each in (0, 1), `self.dimensions()` of them) to its random
    /// inputs by inverse CDFs, then correlate and draw severities.
    #[inline]
    pub fn draw_from_uniforms(&self, uniforms: &[f64], scratch: &mut TrialScratch) {
        self.draw_raw(uniforms, scratch);
        self.finish_draw(scratch);
    }

    /// [`Self::draw_from_uniforms`] without its last step ([`Self::finish_draw`]): the trial's
    /// independent random inputs, before they are correlated. `crmcast update` conditions them
    /// (engine::condition) and then finishes the draw.
    #[inline]
    pub(crate) fn draw_raw(&self, uniforms: &[f64], scratch: &mut TrialScratch) {
        let n = self.factors;
        let (normals, rest) = uniforms.split_at(n);
        let (severity, rest) = rest.split_at(n);
        let (noise, rest) = rest.split_at(3);
        let (runaway, rest) = rest.split_at(2);
        let (benefit, rest) = rest.split_at(self.benefits.dimensions());
        let (mitigation, rest) = rest.split_at(self.mitigation_cost.len());
        let (parameter, effect) = rest.split_at(self.uncertain_parameters());
        for (e, &u) in scratch.independent.iter_mut().zip(normals) {
            *e = vmath::normal_inverse1(u);
        }
        scratch.severity_uniform.copy_from_slice(severity);
        for (eta, &u) in scratch.noise.iter_mut().zip(noise) {
            *eta = vmath::normal_inverse1(u);
        }
        scratch.runaway_uniform.copy_from_slice(runaway);
        scratch.benefit_uniform[..benefit.len()].copy_from_slice(benefit);
        for ((cost, distribution), &u) in scratch
            .mitigation_cost
            .iter_mut()
            .zip(&self.mitigation_cost)
            .zip(mitigation)
        {
            *cost = distribution.inverse_cdf(u);
        }
        for (e, &u) in scratch.parameter_normal.iter_mut().zip(parameter) {
            *e = vmath::normal_inverse1(u);
        }
        scratch.effect_uniform.copy_from_slice(effect);
    }

    /// Correlate the factor normals, list the factors that strike under some strategy, and
    /// draw their severities with the variants the strategies need.
    #[inline]
    pub(crate) fn finish_draw(&self, scratch: &mut TrialScratch) {
        if let Some(uncertainty) = &self.uncertainty {
            self.draw_parameters(uncertainty, scratch);
        }
        if let Some(effects) = &self.effects {
            self.draw_effects(effects, scratch);
        }
        if let Some(retarget) = &self.retarget {
            self.retarget(retarget, &scratch.effect_value, &mut scratch.parameters);
        }
        self.correlation
            .correlate(&scratch.independent, &mut scratch.correlated);
        scratch.candidates.clear();
        let parameters = &scratch.parameters;
        for i in 0..self.factors {
            let z = scratch.correlated[i];
            if z >= parameters.max_threshold[i] {
                continue;
            }
            scratch.candidates.push(i);
            let severity = self.severity[i].inverse_cdf(scratch.severity_uniform[i]);
            let benefit = parameters.impact[i].benefit;
            for v in self.variant_offset[i]..self.variant_offset[i + 1] {
                // A variant whose strategies all leave the factor out is never read.
                if z < parameters.variant_threshold[v] {
                    let scaled = severity * parameters.variant_scale[v];
                    scratch.variant_severity[v] = scaled;
                    scratch.variant_log_keep[v] = log_keep(benefit, scaled);
                }
            }
        }
    }

    /// Evaluate the drawn trial under every strategy into `scratch.outcomes`, counting factor
    /// presence per strategy into `presence[s * factors + i]`.
    #[inline]
    pub fn evaluate_all(&self, scratch: &mut TrialScratch, presence: &mut [u64]) {
        let n = self.factors;
        let estimate = &self.estimate;
        let [eta_cost, eta_schedule, eta_benefit] = scratch.noise;
        let parameters = &scratch.parameters;
        let runaway = &parameters.runaway;
        let [trigger, size] = scratch.runaway_uniform;
        // Unit exponentials by inversion: E = −ln(1 − u) (1 − u is exact for u ≥ ½, and within
        // half an ulp of 1 otherwise).
        let (trigger, size) = (-vmath::ln1(1.0 - trigger), -vmath::ln1(1.0 - size));
        let plan = Plan {
            log_cost: parameters.log_cost_mean + parameters.log_cost_sd * eta_cost,
            log_duration: parameters.log_schedule_mean
                + parameters.log_schedule_sd
                    * (estimate.cost_schedule_correlation * eta_cost
                        + self.cost_schedule_complement * eta_schedule),
            benefit_noise: vmath::exp1(
                estimate.benefit_sd * eta_benefit - 0.5 * estimate.benefit_sd * estimate.benefit_sd,
            ),
            annual_full: self
                .benefits
                .annual_benefit(&scratch.benefit_uniform[..self.benefits.dimensions()]),
            // λ₀·e^L > E  ⇔  L > ln(E/λ₀); λ₀ = 0 gives +∞ (never).
            runaway_threshold: vmath::ln1(trigger / runaway.base_hazard()),
            runaway_log_size: runaway.size_min.ln() + size / runaway.tail,
        };
        for s in 0..self.strategies {
            let row = s * n;
            let threshold = &scratch.parameters.threshold[row..row + n];
            let variant = &self.strategy_variant[row..row + n];
            let counts = &mut presence[row..row + n];
            let signature = &mut scratch.signature[row..row + n];
            // Branch-free compaction: whether a candidate strikes is a coin flip the branch
            // predictor cannot learn, so every candidate is written and the length advances
            // only for those present.
            let mut len = 0;
            for &i in &scratch.candidates {
                let present = scratch.correlated[i] < threshold[i];
                counts[i] += present as u64;
                signature[len] = ((i as u32) << 8) | variant[i] as u32;
                len += present as usize;
            }
            scratch.signature_len[s] = len;
            let twin = (0..s).find(|&t| {
                scratch.signature_len[t] == len
                    && scratch.signature[t * n..t * n + len] == scratch.signature[row..row + len]
            });
            let physical = match twin {
                Some(t) => scratch.physical[t],
                None => self.physical(scratch, row, len, &plan),
            };
            scratch.physical[s] = physical;
            let mitigation: f64 = self.strategy_mitigations[s]
                .iter()
                .map(|&m| scratch.mitigation_cost[m])
                .sum();
            let investment = self.budget * physical.cost_ratio + mitigation;
            let npv = physical.benefit_value - investment;
            scratch.outcomes[s] = Outcome {
                class: physical.class,
                overrun: physical.cost_ratio - 1.0,
                slip: physical.duration_ratio - 1.0,
                benefit_realisation: physical.benefit_realisation,
                annual_benefit: physical.annual_benefit,
                investment,
                npv,
                roi: npv / investment,
                payback_years: payback_years(investment, physical.annual_benefit, physical.go_live),
                primary_cause: physical.primary_cause,
                runaway: physical.runaway,
            };
        }
    }

    /// After [`Self::evaluate_all`]: each factor's severity under strategy `s` in this trial,
    /// 0 for a factor that did not strike (what a project record rates).
    pub fn severities(&self, scratch: &TrialScratch, s: usize, out: &mut [f64]) {
        out.fill(0.0);
        let row = s * self.factors;
        for &entry in &scratch.signature[row..row + scratch.signature_len[s]] {
            let i = (entry >> 8) as usize;
            out[i] = scratch.variant_severity[self.variant_offset[i] + (entry & 0xff) as usize];
        }
    }

    /// The physical outcome of one strategy from its present factors
    /// (`scratch.signature[row..row + len]`).
    #[inline]
    fn physical(
        &self,
        scratch: &mut TrialScratch,
        row: usize,
        len: usize,
        plan: &Plan,
    ) -> Physical {
        let (mut log_benefit, mut log_cost, mut log_duration, mut load) = (0.0, 0.0, 0.0, 0.0);
        scratch.present.clear();
        for &entry in &scratch.signature[row..row + len] {
            let i = (entry >> 8) as usize;
            let v = self.variant_offset[i] + (entry & 0xff) as usize;
            let impact = &scratch.parameters.impact[i];
            let (severity, keep) = (scratch.variant_severity[v], scratch.variant_log_keep[v]);
            let terms = [
                -keep,
                impact.cost * severity,
                impact.schedule * severity,
                impact.runaway * severity,
            ];
            log_benefit += keep;
            log_cost += terms[1];
            log_duration += terms[2];
            load += terms[3];
            scratch.present.push((i, terms));
        }
        // The runaway: a mitigated strategy's load is never above the baseline's on the same
        // trial, so it runs away only where the baseline does, by the same multiplier.
        let runaway = load > plan.runaway_threshold;
        let runaway_log_cost = if runaway { plan.runaway_log_size } else { 0.0 };
        let elasticity = scratch.parameters.runaway.schedule;
        let realisation = (plan.benefit_noise * vmath::exp1(log_benefit)).min(1.0);
        let duration_ratio =
            vmath::exp1(plan.log_duration + log_duration + elasticity * runaway_log_cost);
        let cost_ratio = vmath::exp1(plan.log_cost + log_cost + runaway_log_cost)
            + self.burn * (duration_ratio - 1.0).max(0.0);
        let overrun = cost_ratio - 1.0;
        let slip = duration_ratio - 1.0;
        let broken = broken_objectives(&self.objectives, realisation, overrun, slip);
        let class = outcome_class(&self.failure, broken, realisation, overrun);
        let benefit_realisation = if class == OutcomeClass::Failed {
            realisation * self.failed_share
        } else {
            realisation
        };
        let annual_benefit = plan.annual_full * benefit_realisation;
        let go_live = self.duration_years * duration_ratio;
        Physical {
            class,
            cost_ratio,
            duration_ratio,
            benefit_realisation,
            annual_benefit,
            go_live,
            benefit_value: self.discounting.present_value(annual_benefit, go_live),
            primary_cause: if class == OutcomeClass::Success {
                None
            } else {
                // A runaway's log cost (and its share of log duration) is shared among the
                // present factors in proportion to their runaway load.
                let runaway_terms = if load > 0.0 {
                    [
                        runaway_log_cost / load,
                        elasticity * runaway_log_cost / load,
                    ]
                } else {
                    [0.0, 0.0]
                };
                self.primary_cause(&scratch.present, broken, runaway_terms)
            },
            runaway,
        }
    }

    /// The present factor with the largest contribution to the broken objectives: its term in
    /// −log realisation, log cost and log duration (its own, plus its share of a runaway's:
    /// `runaway_terms` per unit of runaway load), each divided by the log distance from plan
    /// to that objective, summed over the objectives the trial broke. Ties go to the factor
    /// listed first.
    #[inline]
    fn primary_cause(
        &self,
        present: &[(usize, [f64; 4])],
        broken: [bool; 3],
        runaway_terms: [f64; 2],
    ) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        let weight: [f64; 3] = std::array::from_fn(|channel| {
            if broken[channel] {
                self.inverse_room[channel]
            } else {
                0.0
            }
        });
        for &(i, terms) in present {
            let cost = terms[1] + terms[3] * runaway_terms[0];
            let duration = terms[2] + terms[3] * runaway_terms[1];
            let contribution = terms[0] * weight[0] + cost * weight[1] + duration * weight[2];
            if contribution > 0.0 && best.is_none_or(|(_, c)| contribution > c) {
                best = Some((i, contribution));
            }
        }
        best.map(|(i, _)| i)
    }
}

/// Hooks for `crmcast update` ([`super::condition`], docs/UPDATE.md): read the compiled
/// thresholds and severity multipliers, and lock a struck factor to the plan's threshold and
/// severity for one trial. `run` never calls them, so they cost it nothing.
impl CompiledScenario {
    pub(crate) fn correlation(&self) -> &CorrelationModel {
        &self.correlation
    }

    /// `Φ⁻¹(p_i · Π m)` of `factor` under `strategy` (fixed parameters).
    pub(crate) fn threshold(&self, strategy: usize, factor: usize) -> f64 {
        self.parameters.threshold[strategy * self.factors + factor]
    }

    pub(crate) fn severity_law(&self, factor: usize) -> Severity {
        self.severity[factor]
    }

    /// The product of the severity multipliers `strategy` applies to `factor`.
    pub(crate) fn severity_scale(&self, strategy: usize, factor: usize) -> f64 {
        let v = self.variant_offset[factor]
            + self.strategy_variant[strategy * self.factors + factor] as usize;
        self.parameters.variant_scale[v]
    }

    /// For this trial, every strategy uses strategy `from`'s threshold and severity multiplier
    /// for `factor` (what has struck cannot be mitigated away). Call between
    /// [`Self::draw_raw`] and [`Self::finish_draw`]; undo with [`Self::unlock`] after the
    /// trial is evaluated.
    pub(crate) fn lock(&self, scratch: &mut TrialScratch, factor: usize, from: usize) {
        let n = self.factors;
        let threshold = self.threshold(from, factor);
        let scale = self.severity_scale(from, factor);
        for s in 0..self.strategies {
            scratch.parameters.threshold[s * n + factor] = threshold;
        }
        for v in self.variant_offset[factor]..self.variant_offset[factor + 1] {
            scratch.parameters.variant_scale[v] = scale;
            // Every variant now reads the locked threshold, which may be above the one the
            // variant was compiled for: compute its severity wherever the factor is a candidate.
            scratch.parameters.variant_threshold[v] = f64::INFINITY;
        }
    }

    /// Undo [`Self::lock`] of `factor`.
    pub(crate) fn unlock(&self, scratch: &mut TrialScratch, factor: usize) {
        let n = self.factors;
        for s in 0..self.strategies {
            let slot = s * n + factor;
            scratch.parameters.threshold[slot] = self.parameters.threshold[slot];
        }
        let variants = self.variant_offset[factor]..self.variant_offset[factor + 1];
        scratch.parameters.variant_scale[variants.clone()]
            .copy_from_slice(&self.parameters.variant_scale[variants.clone()]);
        scratch.parameters.variant_threshold[variants.clone()]
            .copy_from_slice(&self.parameters.variant_threshold[variants]);
    }

    /// After [`Self::evaluate_all`]: strategy `s`'s benefit realisation before the failed
    /// project's cut, computed as the trial computed it.
    pub(crate) fn realisation_before_cut(&self, scratch: &TrialScratch, s: usize) -> f64 {
        let row = s * self.factors;
        let mut log_benefit = 0.0;
        for &entry in &scratch.signature[row..row + scratch.signature_len[s]] {
            let i = (entry >> 8) as usize;
            log_benefit +=
                scratch.variant_log_keep[self.variant_offset[i] + (entry & 0xff) as usize];
        }
        let sd = self.estimate.benefit_sd;
        let noise = vmath::exp1(sd * scratch.noise[2] - 0.5 * sd * sd);
        (noise * vmath::exp1(log_benefit)).min(1.0)
    }

    /// The trial's annual benefit at full realisation.
    pub(crate) fn annual_full(&self, scratch: &TrialScratch) -> f64 {
        self.benefits
            .annual_benefit(&scratch.benefit_uniform[..self.benefits.dimensions()])
    }

    /// The project's planned duration in years, as the trial reads it.
    pub(crate) fn duration_years(&self) -> f64 {
        self.duration_years
    }
}

#[cfg(test)]
#[path = "trial_tests.rs"]
mod tests;
