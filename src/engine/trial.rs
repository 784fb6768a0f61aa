//! One trial: the random draws it consumes, and its evaluation under each strategy.
//!
//! Every strategy sees the same draws (common random numbers). A factor strikes when its
//! correlated normal falls below the strategy's threshold `Φ⁻¹(p·m)`; mitigations only lower
//! `p·m`, so they can only remove a factor from a trial, never add one.

use super::sampling::fast_normal_inverse;
use crate::model::distribution::{Continuous, Severity, standard_normal_inverse};
use crate::model::economics::{Discounting, payback_years};
use crate::model::{BenefitModel, CorrelationModel, Impact};
use crate::scenario::Scenario;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

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
    };
}

/// `ln(1 − benefit·severity)`, floored so that a total loss stays finite.
#[inline]
fn log_keep(benefit: f64, severity: f64) -> f64 {
    (1.0 - benefit * severity).max(1e-12).ln()
}

/// The scenario compiled for the trial loop: flat arrays, thresholds precomputed per strategy.
pub struct CompiledScenario {
    pub factors: usize,
    pub strategies: usize,
    pub baseline: usize,
    correlation: CorrelationModel,
    severity: Vec<Severity>,
    impact: Vec<Impact>,
    /// `threshold[s * factors + i] = Φ⁻¹(p_i · Π m)` for strategy `s`.
    threshold: Vec<f64>,
    /// Severity multiplier per strategy and factor.
    severity_scale: Vec<f64>,
    /// The largest threshold over strategies: severities are computed only below it.
    max_threshold: Vec<f64>,
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
}

/// Scratch space for one worker: allocated once per batch, reused for every trial.
pub struct TrialScratch {
    independent: Vec<f64>,
    correlated: Vec<f64>,
    severity_uniform: Vec<f64>,
    severity: Vec<f64>,
    /// `ln(1 − benefit·severity)` at the unmitigated severity, shared by every strategy that
    /// leaves the factor's severity alone.
    log_keep: Vec<f64>,
    benefit_uniform: [f64; 5],
    mitigation_cost: Vec<f64>,
    noise: [f64; 3],
    /// The factors present under the strategy being evaluated, in factor order, with their
    /// terms `[−ln keep, log cost, log duration]`: kept for the primary-cause search.
    present: Vec<(usize, [f64; 3])>,
    pub outcomes: Vec<Outcome>,
}

impl CompiledScenario {
    pub fn new(scenario: &Scenario) -> Self {
        let n = scenario.factors.len();
        let s = scenario.strategies.len();
        let mut threshold = vec![0.0; n * s];
        let mut severity_scale = vec![1.0; n * s];
        for (k, strategy) in scenario.strategies.iter().enumerate() {
            let mut probability_scale = vec![1.0; n];
            for &m in &strategy.mitigations {
                for effect in &scenario.mitigations[m].effects {
                    probability_scale[effect.factor] *= effect.probability;
                    severity_scale[k * n + effect.factor] *= effect.severity;
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
        let p = &scenario.project;
        let room = |x: f64| x.max(0.01);
        CompiledScenario {
            factors: n,
            strategies: s,
            baseline: scenario.baseline,
            correlation: scenario.correlation.clone(),
            severity: scenario.factors.iter().map(|f| f.severity).collect(),
            impact: scenario.factors.iter().map(|f| f.impact).collect(),
            threshold,
            severity_scale,
            max_threshold,
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
        }
    }

    pub fn scratch(&self) -> TrialScratch {
        TrialScratch {
            independent: vec![0.0; self.factors],
            correlated: vec![0.0; self.factors],
            severity_uniform: vec![0.0; self.factors],
            severity: vec![0.0; self.factors],
            log_keep: vec![0.0; self.factors],
            benefit_uniform: [0.0; 5],
            mitigation_cost: vec![0.0; self.mitigation_cost.len()],
            noise: [0.0; 3],
            present: Vec::with_capacity(self.factors),
            outcomes: vec![Outcome::EMPTY; self.strategies],
        }
    }

    /// Draw one trial's random numbers, in the documented order: factor normals, severity
    /// uniforms, three noise normals (cost, schedule, benefit), benefit uniforms, one uniform
    /// per mitigation cost.
    #[inline]
    pub fn draw<R: Rng>(&self, rng: &mut R, scratch: &mut TrialScratch) {
        for e in scratch.independent.iter_mut() {
            *e = rng.sample(StandardNormal);
        }
        for v in scratch.severity_uniform.iter_mut() {
            *v = rng.random::<f64>();
        }
        for eta in scratch.noise.iter_mut() {
            *eta = rng.sample(StandardNormal);
        }
        for u in scratch
            .benefit_uniform
            .iter_mut()
            .take(self.benefits.dimensions())
        {
            *u = rng.random::<f64>();
        }
        for (cost, distribution) in scratch
            .mitigation_cost
            .iter_mut()
            .zip(&self.mitigation_cost)
        {
            *cost = distribution.inverse_cdf(rng.random::<f64>());
        }
        self.finish_draw(scratch);
    }

    /// Uniforms per trial under the structured sampling designs: one per factor (its normal),
    /// one per factor (its severity), three noise normals, the benefit model's uniforms, one
    /// per mitigation cost — the same order as [`Self::draw`].
    pub fn dimensions(&self) -> usize {
        2 * self.factors + 3 + self.benefits.dimensions() + self.mitigation_cost.len()
    }

    /// Map one trial's uniforms (each in (0, 1), `self.dimensions()` of them) to its random
    /// inputs by inverse CDFs, then correlate and draw severities as [`Self::draw`] does.
    #[inline]
    pub fn draw_from_uniforms(&self, uniforms: &[f64], scratch: &mut TrialScratch) {
        let n = self.factors;
        let (normals, rest) = uniforms.split_at(n);
        let (severity, rest) = rest.split_at(n);
        let (noise, rest) = rest.split_at(3);
        let (benefit, mitigation) = rest.split_at(self.benefits.dimensions());
        for (e, &u) in scratch.independent.iter_mut().zip(normals) {
            *e = fast_normal_inverse(u);
        }
        scratch.severity_uniform.copy_from_slice(severity);
        for (eta, &u) in scratch.noise.iter_mut().zip(noise) {
            *eta = fast_normal_inverse(u);
        }
        scratch.benefit_uniform[..benefit.len()].copy_from_slice(benefit);
        for ((cost, distribution), &u) in scratch
            .mitigation_cost
            .iter_mut()
            .zip(&self.mitigation_cost)
            .zip(mitigation)
        {
            *cost = distribution.inverse_cdf(u);
        }
        self.finish_draw(scratch);
    }

    /// Correlate the factor normals and draw the severities of factors that can strike.
    #[inline]
    fn finish_draw(&self, scratch: &mut TrialScratch) {
        self.correlation
            .correlate(&scratch.independent, &mut scratch.correlated);
        for i in 0..self.factors {
            // Zero for a factor that strikes under no strategy, so the branch-free sums in
            // `evaluate_all` stay finite.
            if scratch.correlated[i] < self.max_threshold[i] {
                let severity = self.severity[i].inverse_cdf(scratch.severity_uniform[i]);
                scratch.severity[i] = severity;
                scratch.log_keep[i] = log_keep(self.impact[i].benefit, severity);
            } else {
                scratch.severity[i] = 0.0;
                scratch.log_keep[i] = 0.0;
            }
        }
    }

    /// Evaluate the drawn trial under every strategy into `scratch.outcomes`, counting factor
    /// presence per strategy into `presence[s * factors + i]`.
    #[inline]
    pub fn evaluate_all(&self, scratch: &mut TrialScratch, presence: &mut [u64]) {
        let estimate = &self.estimate;
        let [eta_cost, eta_schedule, eta_benefit] = scratch.noise;
        let log_cost_plan = estimate.log_cost_mean + estimate.log_cost_sd * eta_cost;
        let log_duration_plan = estimate.log_schedule_mean
            + estimate.log_schedule_sd
                * (estimate.cost_schedule_correlation * eta_cost
                    + self.cost_schedule_complement * eta_schedule);
        let benefit_noise = (estimate.benefit_sd * eta_benefit
            - 0.5 * estimate.benefit_sd * estimate.benefit_sd)
            .exp();
        let annual_full = self
            .benefits
            .annual_benefit(&scratch.benefit_uniform[..self.benefits.dimensions()]);
        for s in 0..self.strategies {
            let row = s * self.factors;
            let (mut log_benefit, mut log_cost, mut log_duration) = (0.0, 0.0, 0.0);
            let n = self.factors;
            let present_count = &mut presence[row..row + n];
            let rows = self.threshold[row..row + n]
                .iter()
                .zip(&self.severity_scale[row..row + n])
                .zip(present_count.iter_mut());
            scratch.present.clear();
            for (i, ((threshold, scale), count)) in rows.enumerate() {
                if scratch.correlated[i] < *threshold {
                    *count += 1;
                    let impact = &self.impact[i];
                    let (severity, keep) = if *scale == 1.0 {
                        (scratch.severity[i], scratch.log_keep[i])
                    } else {
                        let severity = scratch.severity[i] * scale;
                        (severity, log_keep(impact.benefit, severity))
                    };
                    let terms = [-keep, impact.cost * severity, impact.schedule * severity];
                    log_benefit += keep;
                    log_cost += terms[1];
                    log_duration += terms[2];
                    scratch.present.push((i, terms));
                }
            }
            let realisation = (benefit_noise * log_benefit.exp()).min(1.0);
            let duration_ratio = (log_duration_plan + log_duration).exp();
            let cost_ratio =
                (log_cost_plan + log_cost).exp() + self.burn * (duration_ratio - 1.0).max(0.0);
            let overrun = cost_ratio - 1.0;
            let slip = duration_ratio - 1.0;
            let broken = [
                realisation < self.objectives.min_benefit_realisation,
                overrun > self.objectives.max_overrun,
                slip > self.objectives.max_slip,
            ];
            let class = if !broken.iter().any(|&b| b) {
                OutcomeClass::Success
            } else if realisation < self.failure.benefit_realisation_below
                || overrun >= self.failure.overrun_at_least
            {
                OutcomeClass::Failed
            } else {
                OutcomeClass::Challenged
            };
            let benefit_realisation = if class == OutcomeClass::Failed {
                realisation * self.failed_share
            } else {
                realisation
            };
            let annual_benefit = annual_full * benefit_realisation;
            let mitigation: f64 = self.strategy_mitigations[s]
                .iter()
                .map(|&m| scratch.mitigation_cost[m])
                .sum();
            let investment = self.budget * cost_ratio + mitigation;
            let go_live = self.duration_years * duration_ratio;
            let npv = self.discounting.present_value(annual_benefit, go_live) - investment;
            let primary_cause = if class == OutcomeClass::Success {
                None
            } else {
                self.primary_cause(&scratch.present, broken)
            };
            scratch.outcomes[s] = Outcome {
                class,
                overrun,
                slip,
                benefit_realisation,
                annual_benefit,
                investment,
                npv,
                roi: npv / investment,
                payback_years: payback_years(investment, annual_benefit, go_live),
                primary_cause,
            };
        }
    }

    /// The present factor with the largest contribution to the broken objectives: its term in
    /// −log realisation, log cost and log duration, each divided by the log distance from plan
    /// to that objective, summed over the objectives the trial broke. Ties go to the factor
    /// listed first.
    #[inline]
    fn primary_cause(&self, present: &[(usize, [f64; 3])], broken: [bool; 3]) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        let weight: [f64; 3] = std::array::from_fn(|channel| {
            if broken[channel] {
                self.inverse_room[channel]
            } else {
                0.0
            }
        });
        for &(i, terms) in present {
            let contribution = terms[0] * weight[0] + terms[1] * weight[1] + terms[2] * weight[2];
            if contribution > 0.0 && best.is_none_or(|(_, c)| contribution > c) {
                best = Some((i, contribution));
            }
        }
        best.map(|(i, _)| i)
    }
}
