//! One trial: the random draws it consumes, and its evaluation under each strategy.
//!
//! Every strategy sees the same draws (common random numbers). A factor strikes when its
//! correlated normal falls below the strategy's threshold `Φ⁻¹(p·m)`; mitigations only lower
//! `p·m`, so they can only remove a factor from a trial, never add one.
//!
//! Under parameter uncertainty (`docs/MODEL.md` §4b) each trial also draws the uncertain
//! parameters once, after its other draws, and then the effect multipliers that have a range
//! (§8); every strategy uses that draw.

mod lane_analyses;
mod lane_stages;
mod lanes;

use super::lane_rng::TrialStream;
use super::sampling::fast_normal_inverse;
use crate::model::distribution::{Continuous, Severity, standard_normal_inverse};
use crate::model::economics::{Discounting, payback_years};
use crate::model::vmath;
use crate::model::{
    BenefitModel, CorrelationModel, Impact, MultiplierKind, Parameter, RangedMultiplier,
};
use crate::scenario::Scenario;
pub use lane_stages::LaneStage;
pub use lanes::{Causes, LaneScratch};

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

/// Parameter uncertainty compiled for the trial loop (only under `--parameter-uncertainty`).
struct CompiledUncertainty {
    table: crate::model::ParameterUncertainty,
    /// Each uncertain parameter with its value in the scenario (after overrides).
    targets: Vec<(Parameter, f64)>,
}

/// Effect multipliers drawn per trial (only under `--parameter-uncertainty`, for the effects
/// with a range).
struct CompiledEffects {
    /// The ranged multipliers, in draw order.
    multipliers: Vec<RangedMultiplier>,
    /// The severity variants whose multiplier is drawn; variant `drawn_variants[k]` is its
    /// fixed part (`variant_scale`) times the drawn multipliers
    /// `members[offset[k]..offset[k + 1]]`.
    drawn_variants: Vec<usize>,
    offset: Vec<usize>,
    members: Vec<usize>,
}

/// Thresholds recomputed every trial: for a factor whose probability is drawn, or on which a
/// mitigation acts with a drawn probability multiplier.
struct Retarget {
    /// Those factors, ascending.
    factors: Vec<usize>,
    /// The product of the fixed probability multipliers per strategy and factor,
    /// `fixed_scale[s * factors + i]`; the drawn ones acting there are
    /// `members[offset[s * factors + i]..offset[s * factors + i + 1]]`.
    fixed_scale: Vec<f64>,
    offset: Vec<usize>,
    members: Vec<usize>,
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
    /// The scenario with its parameters fixed (no parameter uncertainty).
    pub fn new(scenario: &Scenario) -> Self {
        CompiledScenario::with_uncertainty(scenario, false)
    }

    /// The scenario, drawing its catalogue's uncertain parameters per trial when
    /// `parameter_uncertainty` is set and the scenario has an `[uncertainty]` table.
    pub fn with_uncertainty(scenario: &Scenario, parameter_uncertainty: bool) -> Self {
        let n = scenario.factors.len();
        let s = scenario.strategies.len();
        // The multipliers drawn per trial (none without the flag: ranges then change nothing,
        // and every multiplier is fixed at its stated value).
        let ranged = if parameter_uncertainty {
            scenario.ranged_multipliers()
        } else {
            Vec::new()
        };
        // drawn[m][e] = the indices of effect e's drawn probability and severity multipliers.
        let mut drawn: Vec<Vec<[Option<usize>; 2]>> = scenario
            .mitigations
            .iter()
            .map(|m| vec![[None, None]; m.effects.len()])
            .collect();
        for (j, r) in ranged.iter().enumerate() {
            let kind = match r.kind {
                MultiplierKind::Probability => 0,
                MultiplierKind::Severity => 1,
            };
            drawn[r.mitigation][r.effect][kind] = Some(j);
        }
        let mut threshold = vec![0.0; n * s];
        // Per strategy and factor: the product of the fixed multipliers, and the drawn ones.
        let mut fixed_probability = vec![1.0; n * s];
        let mut probability_members: Vec<Vec<usize>> = vec![Vec::new(); n * s];
        let mut severity_scale = vec![1.0; n * s];
        let mut severity_members: Vec<Vec<usize>> = vec![Vec::new(); n * s];
        for (k, strategy) in scenario.strategies.iter().enumerate() {
            let mut probability_scale = vec![1.0; n];
            for &m in &strategy.mitigations {
                for (e, effect) in scenario.mitigations[m].effects.iter().enumerate() {
                    let slot = k * n + effect.factor;
                    probability_scale[effect.factor] *= effect.probability;
                    match drawn[m][e][0] {
                        Some(j) => probability_members[slot].push(j),
                        None => fixed_probability[slot] *= effect.probability,
                    }
                    match drawn[m][e][1] {
                        Some(j) => severity_members[slot].push(j),
                        None => severity_scale[slot] *= effect.severity,
                    }
                }
            }
            for (i, factor) in scenario.factors.iter().enumerate() {
                threshold[k * n + i] =
                    standard_normal_inverse(factor.probability * probability_scale[i]);
            }
        }
        let max_threshold = (0..n)
            .map(|i| {
                (0..s)
                    .map(|k| threshold[k * n + i])
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .collect();
        // Severity variants per factor: strategies share one when their fixed multipliers are
        // equal and the same drawn multipliers act (without drawn ones: equal multipliers).
        let mut variant_offset = vec![0];
        let mut variant_scale: Vec<f64> = Vec::new();
        let mut variant_members: Vec<Vec<usize>> = Vec::new();
        let mut variant_threshold: Vec<f64> = Vec::new();
        let mut strategy_variant = vec![0u8; n * s];
        for i in 0..n {
            let first = variant_scale.len();
            for k in 0..s {
                let slot = k * n + i;
                let scale = severity_scale[slot];
                severity_members[slot].sort_unstable();
                let members = &severity_members[slot];
                let found = (first..variant_scale.len())
                    .position(|v| variant_scale[v] == scale && variant_members[v] == *members);
                let local = found.unwrap_or_else(|| {
                    variant_scale.push(scale);
                    variant_members.push(members.clone());
                    variant_threshold.push(f64::NEG_INFINITY);
                    variant_scale.len() - 1 - first
                });
                // At most one variant per strategy, and strategies are limited to 64.
                strategy_variant[slot] = local as u8;
                let slot_threshold = &mut variant_threshold[first + local];
                *slot_threshold = slot_threshold.max(threshold[slot]);
            }
            variant_offset.push(variant_scale.len());
        }
        let p = &scenario.project;
        let room = |x: f64| x.max(0.01);
        let uncertainty = scenario
            .uncertainty
            .as_ref()
            .filter(|_| parameter_uncertainty)
            .map(|u| CompiledUncertainty {
                table: u.clone(),
                targets: u
                    .parameters
                    .iter()
                    .map(|&parameter| (parameter, scenario.parameter(parameter)))
                    .collect(),
            });
        let effects = (!ranged.is_empty()).then(|| {
            let drawn_variants: Vec<usize> = (0..variant_scale.len())
                .filter(|&v| !variant_members[v].is_empty())
                .collect();
            let (offset, members) = compressed(drawn_variants.iter().map(|&v| &variant_members[v]));
            CompiledEffects {
                multipliers: ranged.clone(),
                drawn_variants,
                offset,
                members,
            }
        });
        // Thresholds that move: factors with a drawn probability, or a drawn multiplier on it.
        let mut moving = vec![false; n];
        for (parameter, _) in uncertainty.iter().flat_map(|u| &u.targets) {
            if let Parameter::Probability(i) = parameter {
                moving[*i] = true;
            }
        }
        for r in ranged
            .iter()
            .filter(|r| r.kind == MultiplierKind::Probability)
        {
            moving[r.factor] = true;
        }
        let retarget = moving.iter().any(|&m| m).then(|| {
            // Drawn multipliers multiply in draw order, as the severity variants' do.
            for members in &mut probability_members {
                members.sort_unstable();
            }
            let (offset, members) = compressed(probability_members.iter());
            Retarget {
                factors: (0..n).filter(|&i| moving[i]).collect(),
                fixed_scale: fixed_probability,
                offset,
                members,
            }
        });
        let mut compiled = CompiledScenario {
            factors: n,
            strategies: s,
            baseline: scenario.baseline,
            correlation: scenario.correlation.clone(),
            severity: scenario.factors.iter().map(|f| f.severity).collect(),
            parameters: TrialParameters {
                impact: scenario.factors.iter().map(|f| f.impact).collect(),
                probability: scenario.factors.iter().map(|f| f.probability).collect(),
                threshold,
                max_threshold,
                variant_threshold,
                variant_scale: variant_scale.clone(),
                log_cost_mean: p.estimate.log_cost_mean,
                log_schedule_mean: p.estimate.log_schedule_mean,
                log_cost_sd: p.estimate.log_cost_sd,
                log_schedule_sd: p.estimate.log_schedule_sd,
                runaway: p.runaway,
            },
            uncertainty,
            effects,
            retarget,
            variant_offset,
            variant_scale,
            strategy_variant,
            strategy_mitigations: scenario
                .strategies
                .iter()
                .map(|s| s.mitigations.clone())
                .collect(),
            mitigation_cost: scenario.mitigations.iter().map(|m| m.cost).collect(),
            benefits: scenario.benefits.clone(),
            budget: p.budget,
            horizon_years: p.horizon_years,
            duration_years: p.duration_months / 12.0,
            estimate: p.estimate,
            cost_schedule_complement: (1.0 - p.estimate.cost_schedule_correlation.powi(2)).sqrt(),
            burn: p.team_burn_share,
            failed_share: p.failed_benefit_share,
            objectives: p.objectives,
            failure: p.failure,
            discounting: Discounting::new(p.discount_rate, p.horizon_years),
            inverse_room: [
                1.0 / room(-p.objectives.min_benefit_realisation.max(1e-9).ln()),
                1.0 / room(p.objectives.max_overrun.ln_1p()),
                1.0 / room(p.objectives.max_slip.ln_1p()),
            ],
            lane_factors: Vec::new(),
            lane_factor_offset: Vec::new(),
        };
        (compiled.lane_factors, compiled.lane_factor_offset) = compiled.plan_lane_factors();
        compiled
    }

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

    /// Under parameter uncertainty: this trial's parameters, `δ = R·e` added to the scenario's
    /// values and clamped to their ranges (a drawn probability moves the thresholds, see
    /// [`Self::retarget`]).
    #[inline]
    fn draw_parameters(&self, uncertainty: &CompiledUncertainty, scratch: &mut TrialScratch) {
        uncertainty
            .table
            .delta(&scratch.parameter_normal, &mut scratch.parameter_delta);
        let drawn = &mut scratch.parameters;
        for (&(parameter, base), &delta) in uncertainty.targets.iter().zip(&scratch.parameter_delta)
        {
            let value = parameter.drawn(base, delta);
            match parameter {
                Parameter::Benefit(i) => drawn.impact[i].benefit = value,
                Parameter::Cost(i) => drawn.impact[i].cost = value,
                Parameter::Schedule(i) => drawn.impact[i].schedule = value,
                Parameter::Runaway(i) => drawn.impact[i].runaway = value,
                Parameter::Probability(i) => drawn.probability[i] = value,
                Parameter::LogCostMean => drawn.log_cost_mean = value,
                Parameter::LogScheduleMean => drawn.log_schedule_mean = value,
                Parameter::LogCostSd => drawn.log_cost_sd = value,
                Parameter::LogScheduleSd => drawn.log_schedule_sd = value,
                Parameter::RunawayBase => drawn.runaway.base_probability = value,
                Parameter::RunawaySize => drawn.runaway.size_min = value,
                Parameter::RunawayTail => drawn.runaway.tail = value,
                Parameter::RunawaySchedule => drawn.runaway.schedule = value,
            }
        }
    }

    /// Under parameter uncertainty with ranged effects: this trial's multipliers (triangular
    /// inverse CDF of each uniform), and the multiplier of every severity variant they act on.
    #[inline]
    fn draw_effects(&self, effects: &CompiledEffects, scratch: &mut TrialScratch) {
        for ((value, &u), multiplier) in scratch
            .effect_value
            .iter_mut()
            .zip(&scratch.effect_uniform)
            .zip(&effects.multipliers)
        {
            *value = multiplier.inverse_cdf(u);
        }
        for (k, &v) in effects.drawn_variants.iter().enumerate() {
            let mut scale = self.variant_scale[v];
            for &j in &effects.members[effects.offset[k]..effects.offset[k + 1]] {
                scale *= scratch.effect_value[j];
            }
            scratch.parameters.variant_scale[v] = scale;
        }
    }

    /// The trial's thresholds `Φ⁻¹(p_i · Π m)` for every strategy (and the largest per variant
    /// and per factor) of the factors whose probability or probability multipliers are drawn:
    /// `p_i` as drawn (or fixed), times the fixed multipliers, times the drawn ones.
    #[inline]
    fn retarget(&self, retarget: &Retarget, effect_value: &[f64], drawn: &mut TrialParameters) {
        let n = self.factors;
        for &i in &retarget.factors {
            let probability = drawn.probability[i];
            let variants = self.variant_offset[i]..self.variant_offset[i + 1];
            drawn.variant_threshold[variants].fill(f64::NEG_INFINITY);
            let mut max = f64::NEG_INFINITY;
            for s in 0..self.strategies {
                let slot = s * n + i;
                let mut scale = retarget.fixed_scale[slot];
                for &j in &retarget.members[retarget.offset[slot]..retarget.offset[slot + 1]] {
                    scale *= effect_value[j];
                }
                let mitigated = probability * scale;
                let threshold = if mitigated <= 0.0 {
                    f64::NEG_INFINITY
                } else if mitigated >= 1.0 {
                    f64::INFINITY
                } else {
                    fast_normal_inverse(mitigated)
                };
                drawn.threshold[slot] = threshold;
                max = max.max(threshold);
                let v = self.variant_offset[i] + self.strategy_variant[slot] as usize;
                drawn.variant_threshold[v] = drawn.variant_threshold[v].max(threshold);
            }
            drawn.max_threshold[i] = max;
        }
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

/// Lists in compressed form: `members[offset[k]..offset[k + 1]]` is the k-th list.
fn compressed<'a>(lists: impl Iterator<Item = &'a Vec<usize>>) -> (Vec<usize>, Vec<usize>) {
    let mut offset = vec![0];
    let mut members = Vec::new();
    for list in lists {
        members.extend_from_slice(list);
        offset.push(members.len());
    }
    (offset, members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::source::Source;

    /// One factor that strikes often, three mitigations on its severity with the same stated
    /// multiplier 0.5 (two with a range, one without), a fourth on its probability, and a
    /// strategy per mitigation.
    fn scenario() -> Scenario {
        let mitigation = |id: &str, effect: &str| {
            format!(
                "[[mitigations]]\nid = \"{id}\"\ncost = {{ value = 1.0 }}\n[[mitigations.effects]]\nfactor = \"change_resistance\"\n{effect}\n"
            )
        };
        let text = format!(
            "[scenario]\nname = \"variants\"\n[project]\nbudget = 1000.0\nduration_months = 12.0\nhorizon_years = 5.0\ndiscount_rate = 0.1\n[benefits]\nmodel = \"direct\"\nannual = {{ value = 500.0 }}\n[factors.change_resistance]\nprobability = 0.9\n{}{}{}{}[[strategies]]\nid = \"base\"\nbaseline = true\n[[strategies]]\nid = \"a\"\nmitigations = [\"a\"]\n[[strategies]]\nid = \"b\"\nmitigations = [\"b\"]\n[[strategies]]\nid = \"c\"\nmitigations = [\"c\"]\n[[strategies]]\nid = \"ad\"\nmitigations = [\"a\", \"d\"]\n",
            mitigation("a", "severity = 0.5\nseverity_range = [0.2, 0.8]"),
            mitigation("b", "severity = 0.5\nseverity_range = [0.2, 0.8]"),
            mitigation("c", "severity = 0.5"),
            mitigation("d", "probability = 0.5\nprobability_range = [0.1, 1.0]"),
        );
        Scenario::from_source(&Source::new("variants.toml", text)).expect("valid")
    }

    #[test]
    fn without_the_flag_nothing_is_drawn() {
        let s = scenario();
        let (fixed, flagged) = (
            CompiledScenario::new(&s),
            CompiledScenario::with_uncertainty(&s, true),
        );
        assert_eq!(fixed.drawn_multipliers(), 0);
        assert_eq!(flagged.drawn_multipliers(), 3);
        // Flagged, the catalogue's uncertain parameters are drawn too.
        assert_eq!(
            flagged.dimensions(),
            fixed.dimensions() + 3 + flagged.uncertain_parameters()
        );
        assert!(fixed.effects.is_none() && fixed.retarget.is_none());
    }

    #[test]
    fn drawn_variants_are_keyed_by_the_mitigations_that_act() {
        let s = scenario();
        let i = s
            .factors
            .iter()
            .position(|f| f.id == "change_resistance")
            .unwrap();
        // Fixed: a, b, c and ad share the multiplier 0.5, so one variant besides the base's.
        let fixed = CompiledScenario::new(&s);
        assert_eq!(fixed.variant_offset[i + 1] - fixed.variant_offset[i], 2);
        // Drawn: a (and ad, the same drawn multiplier), b and c each their own.
        let compiled = CompiledScenario::with_uncertainty(&s, true);
        assert_eq!(
            compiled.variant_offset[i + 1] - compiled.variant_offset[i],
            4
        );
        let n = compiled.factors;
        let variant = |strategy: usize| compiled.strategy_variant[strategy * n + i];
        assert_eq!(
            variant(1),
            variant(4),
            "a and ad share a's drawn multiplier"
        );
        assert!(variant(1) != variant(2) && variant(2) != variant(3));

        let mut scratch = compiled.scratch();
        let mut presence = vec![0u64; compiled.strategies * n];
        let mut stream = TrialStream::new(7, compiled.dimensions());
        let mut severities = vec![vec![0.0; n]; compiled.strategies];
        let (mut differ, mut both) = (0, 0);
        for _ in 0..2_000 {
            compiled.draw(&mut stream, &mut scratch);
            compiled.evaluate_all(&mut scratch, &mut presence);
            for (strategy, out) in severities.iter_mut().enumerate() {
                compiled.severities(&scratch, strategy, out);
            }
            let [base, a, b, c, ad] = [0, 1, 2, 3, 4].map(|k| severities[k][i]);
            // The probability is not drawn for a, b, c: the factor strikes under all or none.
            assert!([a, b, c].iter().all(|&x| (x > 0.0) == (base > 0.0)));
            if base > 0.0 {
                both += 1;
                differ += usize::from(a != b);
                assert_eq!(c, base * 0.5, "c's multiplier is fixed");
                for x in [a, b] {
                    assert!(x >= 0.2 * base * (1.0 - 1e-12) && x <= 0.8 * base * (1.0 + 1e-12));
                }
                // Common random numbers: ad applies a's drawn multiplier when the factor strikes.
                assert!(ad == 0.0 || ad == a, "{ad} vs {a}");
            } else {
                assert_eq!(ad, 0.0, "a mitigation never adds a factor");
            }
        }
        assert!(both > 1_000 && differ == both, "{differ} of {both}");
    }
}
