//! Parameter uncertainty in the one-trial path (`--parameter-uncertainty`, docs/MODEL.md §4b
//! and §8): what `CompiledScenario::new` compiles of it, and the per-trial draws of the
//! uncertain parameters, the ranged effect multipliers and the thresholds they move.

use super::{CompiledScenario, TrialParameters, TrialScratch};
use crate::engine::sampling::fast_normal_inverse;
use crate::model::{Parameter, RangedMultiplier};

/// Parameter uncertainty compiled for the trial loop (only under `--parameter-uncertainty`).
pub(super) struct CompiledUncertainty {
    pub(super) table: crate::model::ParameterUncertainty,
    /// Each uncertain parameter with its value in the scenario (after overrides).
    pub(super) targets: Vec<(Parameter, f64)>,
}

/// Effect multipliers drawn per trial (only under `--parameter-uncertainty`, for the effects
/// with a range).
pub(super) struct CompiledEffects {
    /// The ranged multipliers, in draw order.
    pub(super) multipliers: Vec<RangedMultiplier>,
    /// The severity variants whose multiplier is drawn; variant `drawn_variants[k]` is its
    /// fixed part (`variant_scale`) times the drawn multipliers
    /// `members[offset[k]..offset[k + 1]]`.
    pub(super) drawn_variants: Vec<usize>,
    pub(super) offset: Vec<usize>,
    pub(super) members: Vec<usize>,
}

/// Thresholds recomputed every trial: for a factor whose probability is drawn, or on which a
/// mitigation acts with a drawn probability multiplier.
pub(super) struct Retarget {
    /// Those factors, ascending.
    pub(super) factors: Vec<usize>,
    /// The product of the fixed probability multipliers per strategy and factor,
    /// `fixed_scale[s * factors + i]`; the drawn ones acting there are
    /// `members[offset[s * factors + i]..offset[s * factors + i + 1]]`.
    pub(super) fixed_scale: Vec<f64>,
    pub(super) offset: Vec<usize>,
    pub(super) members: Vec<usize>,
}

impl CompiledScenario {
    /// Under parameter uncertainty: this trial's parameters, `δ = R·e` added to the scenario's
    /// values and clamped to their ranges (a drawn probability moves the thresholds, see
    /// [`Self::retarget`]).
    #[inline]
    pub(super) fn draw_parameters(
        &self,
        uncertainty: &CompiledUncertainty,
        scratch: &mut TrialScratch,
    ) {
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
    pub(super) fn draw_effects(&self, effects: &CompiledEffects, scratch: &mut TrialScratch) {
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
    pub(super) fn retarget(
        &self,
        retarget: &Retarget,
        effect_value: &[f64],
        drawn: &mut TrialParameters,
    ) {
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
}

/// Lists in compressed form: `members[offset[k]..offset[k + 1]]` is the k-th list.
pub(super) fn compressed<'a>(
    lists: impl Iterator<Item = &'a Vec<usize>>,
) -> (Vec<usize>, Vec<usize>) {
    let mut offset = vec![0];
    let mut members = Vec::new();
    for list in lists {
        members.extend_from_slice(list);
        offset.push(members.len());
    }
    (offset, members)
}
