//! Money from now (docs/UPDATE.md): per trial and option, the final overrun and slip with what
//! is spent and elapsed as floors, the whole-life NPV (comparable with the prior forecast, all
//! costs at the start as in docs/MODEL.md §7), and the forward NPV the decision reads (sunk cost
//! excluded, discounted to now).

use super::compute::{NPV_FORWARD, NPV_TOTAL, OVERRUN, SLIP, SUCCESS};
use super::weights::PlanTrial;
use crate::engine::trial::{
    CompiledScenario, OutcomeClass, TrialScratch, broken_objectives, outcome_class,
};
use crate::model::economics::Discounting;
use crate::model::{FailureRule, Objectives};
use crate::scenario::Scenario;
use crate::scenario::status::Status;

/// The status's money, compiled once.
#[derive(Debug, Clone)]
pub struct Money {
    budget: f64,
    duration_months: f64,
    elapsed_months: f64,
    cost_to_date: Option<f64>,
    salvage: f64,
    /// What the mitigations bought cost (sunk).
    bought_cost: f64,
    failed_share: f64,
    objectives: Objectives,
    failure: FailureRule,
    discounting: Discounting,
}

impl Money {
    pub fn new(scenario: &Scenario, status: &Status) -> Money {
        let p = &scenario.project;
        Money {
            budget: p.budget,
            duration_months: p.duration_months,
            elapsed_months: status.elapsed_months,
            cost_to_date: status.cost_to_date,
            salvage: p.salvage_value,
            bought_cost: status.bought.iter().map(|b| b.cost).sum(),
            failed_share: p.failed_benefit_share,
            objectives: p.objectives,
            failure: p.failure,
            discounting: Discounting::new(p.discount_rate, p.horizon_years),
        }
    }

    /// Present value at now (`t` months) of `annual` a year from `start_years` to the horizon.
    pub fn present_value_now(&self, annual: f64, start_years: f64) -> f64 {
        let horizon = self.discounting.horizon_years;
        if start_years >= horizon || annual == 0.0 {
            return 0.0;
        }
        let now = self.elapsed_months / 12.0;
        let force = self.discounting.force;
        if force.abs() < 1e-12 {
            return annual * (horizon - start_years);
        }
        annual * ((-force * (start_years - now)).exp() - (-force * (horizon - now)).exp()) / force
    }

    /// The plan's fraction of work done at the status (`t/(D·T)`, at most 1).
    fn plan_done(&self, plan: &PlanTrial) -> f64 {
        (self.elapsed_months / (self.duration_months * plan.duration_ratio)).min(1.0)
    }

    /// Option `o`'s values in this evaluated trial: `trial` is the option's own cost, duration
    /// and realisation, `plan` the continue option's, `added` the mitigations the option buys
    /// now. Without `floors` (the prior) the figures are the engine's, and the forward NPV
    /// is read off them by the same formula.
    #[allow(clippy::too_many_arguments)]
    pub fn option(
        &self,
        scratch: &TrialScratch,
        compiled: &CompiledScenario,
        o: usize,
        added: &[usize],
        trial: &PlanTrial,
        plan: &PlanTrial,
        floors: bool,
        out: &mut [f64],
    ) {
        let outcome = &scratch.outcomes[o];
        let cost = self.budget * trial.cost_ratio;
        let duration = self.duration_months * trial.duration_ratio;
        let (final_cost, final_duration) = if floors {
            (
                self.cost_to_date.map_or(cost, |ac| cost.max(ac)),
                duration.max(self.elapsed_months),
            )
        } else {
            (cost, duration)
        };
        let added_cost: f64 = added.iter().map(|&m| scratch.mitigation_costs()[m]).sum();
        let (overrun, slip, npv_total, success, annual, go_live) = if final_cost == cost
            && final_duration == duration
        {
            (
                outcome.overrun,
                outcome.slip,
                outcome.npv,
                outcome.class == OutcomeClass::Success,
                outcome.annual_benefit,
                compiled.duration_years() * trial.duration_ratio,
            )
        } else {
            // A floor binds: money spent stays spent, time gone stays gone; the class and
            // the benefit follow the floored figures.
            let overrun = final_cost / self.budget - 1.0;
            let slip = final_duration / self.duration_months - 1.0;
            // The engine's rule, on the floored figures.
            let broken = broken_objectives(&self.objectives, trial.realisation, overrun, slip);
            let class = outcome_class(&self.failure, broken, trial.realisation, overrun);
            let realisation = if class == OutcomeClass::Failed {
                trial.realisation * self.failed_share
            } else {
                trial.realisation
            };
            let annual = compiled.annual_full(scratch) * realisation;
            let go_live = final_duration / 12.0;
            let mitigations = outcome.investment - cost;
            let npv = self.discounting.present_value(annual, go_live) - final_cost - mitigations;
            (
                overrun,
                slip,
                npv,
                class == OutcomeClass::Success,
                annual,
                go_live,
            )
        };
        let remaining = match self.cost_to_date {
            Some(ac) => final_cost - ac,
            None => cost * (1.0 - self.plan_done(plan)),
        };
        out[OVERRUN] = overrun;
        out[SLIP] = slip;
        out[NPV_TOTAL] = npv_total;
        out[NPV_FORWARD] = self.present_value_now(annual, go_live) - remaining - added_cost;
        out[SUCCESS] = f64::from(u8::from(success));
    }

    /// Stopping now: what is spent (the cost to date, else the plan's share of its cost done
    /// by now), no benefit, the salvage value.
    pub fn stop(&self, plan: &PlanTrial, out: &mut [f64]) {
        let spent = self
            .cost_to_date
            .unwrap_or_else(|| self.budget * plan.cost_ratio * self.plan_done(plan));
        out[OVERRUN] = spent / self.budget - 1.0;
        out[SLIP] = self.elapsed_months / self.duration_months - 1.0;
        out[NPV_TOTAL] = self.salvage - spent - self.bought_cost;
        out[NPV_FORWARD] = self.salvage;
        out[SUCCESS] = 0.0;
    }
}
