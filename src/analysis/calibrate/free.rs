//! The parameters a calibration may move ("free" parameters), how an optimiser coordinate maps
//! onto the catalogue, and each parameter's documented plausible range, which the fit respects.
//!
//! Multipliers and scales move on the log scale (they stay positive), probabilities on the
//! logit scale, log means additively. A coordinate of 0 is the input catalogue.

use crate::model::Catalogue;
use crate::model::catalogue::{MAX_LOG_IMPACT, MAX_RUNAWAY_IMPACT, RUNAWAY_TAIL_RANGE};
use serde::Serialize;

/// A parameter the calibration may move.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FreeParameter {
    /// Multiplies the benefit, cost, schedule and runaway impacts of every factor in a cause
    /// group.
    GroupWeight {
        group: usize,
        id: String,
    },
    /// Multiplies one impact channel of every factor.
    BenefitScale,
    CostScale,
    ScheduleScale,
    RunawayScale,
    /// Multiplies every factor's probability (on the odds scale).
    ProbabilityScale,
    /// One factor's probability (logit scale) or all four of its impacts (log scale).
    Probability {
        factor: usize,
        id: String,
    },
    Impact {
        factor: usize,
        id: String,
    },
    LogCostMean,
    LogCostSd,
    LogScheduleMean,
    LogScheduleSd,
    /// The runaway's base probability, smallest multiplier, tail index and schedule
    /// elasticity (each multiplied, on the log scale).
    RunawayBase,
    RunawaySize,
    RunawayTail,
    RunawaySchedule,
}

/// The `--free` set used when none is given: what the shipped catalogue is calibrated on.
pub const DEFAULT_FREE: &str =
    "group_weights,benefit_scale,runaway_scale,runaway_size,runaway_schedule,log_cost_sd";

/// The names `--free` accepts, for messages and help.
pub const FREE_NAMES: &str = "group_weights, group_weight:<group>, benefit_scale, cost_scale, schedule_scale, runaway_scale, probability_scale, probability:<factor>, impact:<factor>, log_cost_mean, log_cost_sd, log_schedule_mean, log_schedule_sd, runaway_base, runaway_size, runaway_tail, runaway_schedule";

/// A multiplier or scale may move the prior by at most this factor either way (assumption:
/// the published figures refine judgement, they do not overturn it by more than five-fold).
pub const MULTIPLIER_RANGE: f64 = 5.0;

/// The plausible range of a parameter's value, and why (docs/CALIBRATION.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Range {
    pub low: f64,
    pub high: f64,
    pub why: &'static str,
}

impl FreeParameter {
    pub fn name(&self) -> String {
        match self {
            FreeParameter::GroupWeight { id, .. } => format!("group_weight:{id}"),
            FreeParameter::BenefitScale => "benefit_scale".into(),
            FreeParameter::CostScale => "cost_scale".into(),
            FreeParameter::ScheduleScale => "schedule_scale".into(),
            FreeParameter::RunawayScale => "runaway_scale".into(),
            FreeParameter::ProbabilityScale => "probability_scale".into(),
            FreeParameter::Probability { id, .. } => format!("probability:{id}"),
            FreeParameter::Impact { id, .. } => format!("impact:{id}"),
            FreeParameter::LogCostMean => "log_cost_mean".into(),
            FreeParameter::LogCostSd => "log_cost_sd".into(),
            FreeParameter::LogScheduleMean => "log_schedule_mean".into(),
            FreeParameter::LogScheduleSd => "log_schedule_sd".into(),
            FreeParameter::RunawayBase => "runaway_base".into(),
            FreeParameter::RunawaySize => "runaway_size".into(),
            FreeParameter::RunawayTail => "runaway_tail".into(),
            FreeParameter::RunawaySchedule => "runaway_schedule".into(),
        }
    }

    /// Whether the coordinate shifts a value (log means) rather than multiplying it.
    fn is_shift(&self) -> bool {
        matches!(
            self,
            FreeParameter::LogCostMean | FreeParameter::LogScheduleMean
        )
    }

    /// The catalogue value the coordinate moves, for parameters that move one value.
    fn base_value(&self, base: &Catalogue) -> Option<f64> {
        let e = &base.estimate;
        let r = &base.runaway;
        Some(match self {
            FreeParameter::LogCostMean => e.log_cost_mean,
            FreeParameter::LogCostSd => e.log_cost_sd,
            FreeParameter::LogScheduleMean => e.log_schedule_mean,
            FreeParameter::LogScheduleSd => e.log_schedule_sd,
            FreeParameter::RunawayBase => r.base_probability,
            FreeParameter::RunawaySize => r.size_min,
            FreeParameter::RunawayTail => r.tail,
            FreeParameter::RunawaySchedule => r.schedule,
            _ => return None,
        })
    }

    /// What the fit reports for coordinate `x`: the parameter's value where it moves one
    /// value, else the multiplier (odds multiplier for probabilities).
    pub fn reported(&self, x: f64, base: &Catalogue) -> f64 {
        match self.base_value(base) {
            Some(v) if self.is_shift() => v + x,
            Some(v) => v * x.exp(),
            None => x.exp(),
        }
    }

    pub fn unit(&self) -> &'static str {
        match self {
            FreeParameter::Probability { .. } | FreeParameter::ProbabilityScale => {
                "odds multiplier"
            }
            FreeParameter::GroupWeight { .. }
            | FreeParameter::BenefitScale
            | FreeParameter::CostScale
            | FreeParameter::ScheduleScale
            | FreeParameter::RunawayScale
            | FreeParameter::Impact { .. } => "multiplier",
            _ => "value",
        }
    }

    /// The documented plausible range of the reported value (docs/CALIBRATION.md §1).
    pub fn range(&self) -> Range {
        let multiplier = Range {
            low: 1.0 / MULTIPLIER_RANGE,
            high: MULTIPLIER_RANGE,
            why: "within five-fold of the prior (assumption)",
        };
        match self {
            FreeParameter::LogCostMean => Range {
                low: (0.9f64).ln(),
                high: (1.05f64).ln(),
                why: "a project without trouble has its median within [-10 %, +5 %] of the budget",
            },
            FreeParameter::LogCostSd => Range {
                low: 0.08,
                high: 0.30,
                why: "AACE 18R-97 classes 3 to 4 read as P10-P90 ranges",
            },
            FreeParameter::LogScheduleMean => Range {
                low: -0.05,
                high: 0.05,
                why: "a project without trouble has its median slip within ±5 %",
            },
            FreeParameter::LogScheduleSd => Range {
                low: 0.05,
                high: 0.30,
                why: "no tighter than a fifth, no wider than the cost estimate's widest (assumption)",
            },
            FreeParameter::RunawayBase => Range {
                low: 0.001,
                high: 0.05,
                why: "a project without trouble rarely runs away (assumption)",
            },
            FreeParameter::RunawaySize => Range {
                low: 1.3,
                high: 4.0,
                why: "a runaway is a significant overrun, at least +30 % (Keil & Robey 1999; assumption)",
            },
            FreeParameter::RunawayTail => Range {
                low: RUNAWAY_TAIL_RANGE.0,
                high: 3.0,
                why: "IT cost tails: 2 in Budzier & Flyvbjerg (2011), heavier in Flyvbjerg et al. (2022)",
            },
            FreeParameter::RunawaySchedule => Range {
                low: 0.1,
                high: 1.5,
                why: "a runaway slips, but less in log terms than its cost grows (assumption)",
            },
            _ => multiplier,
        }
    }

    /// The coordinate interval that keeps the reported value in [`Self::range`].
    pub fn coordinate_bounds(&self, base: &Catalogue) -> (f64, f64) {
        let range = self.range();
        match self.base_value(base) {
            Some(v) if self.is_shift() => (range.low - v, range.high - v),
            Some(v) if v > 0.0 => ((range.low / v).ln(), (range.high / v).ln()),
            // A value of 0 cannot be multiplied away from 0: the coordinate does nothing.
            Some(_) => (-MULTIPLIER_RANGE.ln(), MULTIPLIER_RANGE.ln()),
            None => (range.low.ln(), range.high.ln()),
        }
    }
}

/// Parse a `--free` list against a catalogue. Errors say which token and what is known.
pub fn parse_free(spec: &str, catalogue: &Catalogue) -> Result<Vec<FreeParameter>, String> {
    let mut free = Vec::new();
    let factor = |id: &str| {
        catalogue
            .factors
            .iter()
            .position(|f| f.id == id)
            .ok_or_else(|| format!("unknown factor \"{id}\" (see `crmcast factors`)"))
    };
    for token in spec.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let parameter = match token {
            "group_weights" => {
                // The first group is the reference (weight 1): scaling every group up and the
                // channel scales down would otherwise leave every target unchanged.
                for (group, g) in catalogue.groups.iter().enumerate().skip(1) {
                    let parameter = FreeParameter::GroupWeight {
                        group,
                        id: g.id.clone(),
                    };
                    if free.contains(&parameter) {
                        return Err(format!("\"group_weight:{}\" is named twice", g.id));
                    }
                    free.push(parameter);
                }
                continue;
            }
            "benefit_scale" => FreeParameter::BenefitScale,
            "cost_scale" => FreeParameter::CostScale,
            "schedule_scale" => FreeParameter::ScheduleScale,
            "runaway_scale" => FreeParameter::RunawayScale,
            "probability_scale" => FreeParameter::ProbabilityScale,
            "log_cost_mean" => FreeParameter::LogCostMean,
            "log_cost_sd" => FreeParameter::LogCostSd,
            "log_schedule_mean" => FreeParameter::LogScheduleMean,
            "log_schedule_sd" => FreeParameter::LogScheduleSd,
            "runaway_base" => FreeParameter::RunawayBase,
            "runaway_size" => FreeParameter::RunawaySize,
            "runaway_tail" => FreeParameter::RunawayTail,
            "runaway_schedule" => FreeParameter::RunawaySchedule,
            _ => match token.split_once(':') {
                Some(("probability", id)) => FreeParameter::Probability {
                    factor: factor(id)?,
                    id: id.into(),
                },
                Some(("impact", id)) => FreeParameter::Impact {
                    factor: factor(id)?,
                    id: id.into(),
                },
                Some(("group_weight", id)) => FreeParameter::GroupWeight {
                    group: catalogue
                        .groups
                        .iter()
                        .position(|g| g.id == id)
                        .ok_or_else(|| format!("unknown cause group \"{id}\""))?,
                    id: id.into(),
                },
                _ => {
                    return Err(format!(
                        "unknown free parameter \"{token}\"; known: {FREE_NAMES}"
                    ));
                }
            },
        };
        if free.contains(&parameter) {
            return Err(format!("\"{token}\" is named twice"));
        }
        free.push(parameter);
    }
    if free.is_empty() {
        return Err("no free parameter named".into());
    }
    Ok(free)
}

/// Coordinates moved into each parameter's bounds.
pub fn clamp(base: &Catalogue, free: &[FreeParameter], x: &[f64]) -> Vec<f64> {
    free.iter()
        .zip(x)
        .map(|(p, &v)| {
            let (low, high) = p.coordinate_bounds(base);
            v.clamp(low.min(high), high.max(low))
        })
        .collect()
}

/// The catalogue at optimiser coordinates `x` (one per free parameter; all zero = `base`),
/// each first moved into its bounds. Values are also clamped to the ranges the catalogue
/// format accepts.
pub fn apply(base: &Catalogue, free: &[FreeParameter], x: &[f64]) -> Catalogue {
    let x = clamp(base, free, x);
    let mut catalogue = base.clone();
    let n = catalogue.factors.len();
    // Per factor: benefit, cost, schedule and runaway multipliers.
    let mut scale = vec![[1.0f64; 4]; n];
    let mut log_odds_shift = vec![0.0; n];
    for (parameter, &value) in free.iter().zip(&x) {
        let multiplier = value.exp();
        let mut scale_where = |channels: &[usize], pick: &dyn Fn(usize) -> bool| {
            for (i, s) in scale.iter_mut().enumerate() {
                if pick(i) {
                    for &c in channels {
                        s[c] *= multiplier;
                    }
                }
            }
        };
        let estimate = &mut catalogue.estimate;
        let runaway = &mut catalogue.runaway;
        match parameter {
            FreeParameter::GroupWeight { group, .. } => {
                scale_where(&[0, 1, 2, 3], &|i| base.factors[i].cause_group == *group)
            }
            FreeParameter::Impact { factor, .. } => scale_where(&[0, 1, 2, 3], &|i| i == *factor),
            FreeParameter::BenefitScale => scale_where(&[0], &|_| true),
            FreeParameter::CostScale => scale_where(&[1], &|_| true),
            FreeParameter::ScheduleScale => scale_where(&[2], &|_| true),
            FreeParameter::RunawayScale => scale_where(&[3], &|_| true),
            FreeParameter::ProbabilityScale => log_odds_shift.iter_mut().for_each(|s| *s += value),
            FreeParameter::Probability { factor, .. } => log_odds_shift[*factor] += value,
            FreeParameter::LogCostMean => estimate.log_cost_mean += value,
            FreeParameter::LogScheduleMean => estimate.log_schedule_mean += value,
            FreeParameter::LogCostSd => estimate.log_cost_sd *= multiplier,
            FreeParameter::LogScheduleSd => estimate.log_schedule_sd *= multiplier,
            FreeParameter::RunawayBase => runaway.base_probability *= multiplier,
            FreeParameter::RunawaySize => runaway.size_min *= multiplier,
            FreeParameter::RunawayTail => runaway.tail *= multiplier,
            FreeParameter::RunawaySchedule => runaway.schedule *= multiplier,
        }
    }
    let estimate = &mut catalogue.estimate;
    estimate.log_cost_mean = estimate.log_cost_mean.clamp(-3.0, 3.0);
    estimate.log_schedule_mean = estimate.log_schedule_mean.clamp(-3.0, 3.0);
    estimate.log_cost_sd = estimate.log_cost_sd.clamp(0.0, 3.0);
    estimate.log_schedule_sd = estimate.log_schedule_sd.clamp(0.0, 3.0);
    let runaway = &mut catalogue.runaway;
    runaway.base_probability = runaway.base_probability.clamp(0.0, 0.5);
    runaway.size_min = runaway.size_min.clamp(1.0, 100.0);
    runaway.tail = runaway
        .tail
        .clamp(RUNAWAY_TAIL_RANGE.0, RUNAWAY_TAIL_RANGE.1);
    runaway.schedule = runaway.schedule.clamp(0.0, 2.0);
    for (i, f) in catalogue.factors.iter_mut().enumerate() {
        let [b, c, d, r] = scale[i];
        f.impact.benefit = (f.impact.benefit * b).clamp(0.0, 0.95);
        f.impact.cost = (f.impact.cost * c).clamp(0.0, MAX_LOG_IMPACT);
        f.impact.schedule = (f.impact.schedule * d).clamp(0.0, MAX_LOG_IMPACT);
        f.impact.runaway = (f.impact.runaway * r).clamp(0.0, MAX_RUNAWAY_IMPACT);
        if log_odds_shift[i] != 0.0 {
            let p = f.probability.clamp(1e-6, 1.0 - 1e-6);
            let logit = (p / (1.0 - p)).ln() + log_odds_shift[i];
            f.probability = (1.0 / (1.0 + (-logit).exp())).clamp(1e-6, 1.0 - 1e-6);
        }
    }
    catalogue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_keep_values_in_their_documented_ranges() {
        let base = Catalogue::builtin().expect("catalogue");
        let free = parse_free(FREE_NAMES_FOR_TEST, &base).expect("free");
        // Far outside every bound, both ways.
        for push in [-50.0, 50.0] {
            let x = vec![push; free.len()];
            let fitted = apply(&base, &free, &x);
            for p in &free {
                let range = p.range();
                let (low, high) = p.coordinate_bounds(&base);
                let bounded = if push < 0.0 { low } else { high };
                let value = p.reported(bounded, &base);
                assert!(
                    value >= range.low - 1e-9 && value <= range.high + 1e-9,
                    "{}: {value} outside [{}, {}]",
                    p.name(),
                    range.low,
                    range.high
                );
            }
            let e = &fitted.estimate;
            assert!(e.log_cost_sd >= 0.08 - 1e-9 && e.log_cost_sd <= 0.30 + 1e-9);
            assert!(fitted.runaway.tail >= 1.5 - 1e-9 && fitted.runaway.tail <= 3.0 + 1e-9);
        }
    }

    const FREE_NAMES_FOR_TEST: &str = "benefit_scale,runaway_scale,log_cost_mean,log_cost_sd,runaway_base,runaway_size,runaway_tail,runaway_schedule,log_schedule_sd";

    #[test]
    fn group_weights_scale_every_channel_of_their_group() {
        let base = Catalogue::builtin().expect("catalogue");
        let free = parse_free("group_weight:politics_inertia", &base).expect("free");
        let fitted = apply(&base, &free, &[0.5]);
        for (a, b) in base.factors.iter().zip(&fitted.factors) {
            let m = if base.groups[a.cause_group].id == "politics_inertia" {
                0.5f64.exp()
            } else {
                1.0
            };
            assert!((b.impact.runaway - a.impact.runaway * m).abs() < 1e-12);
            assert!((b.impact.cost - a.impact.cost * m).abs() < 1e-12);
        }
        assert!(parse_free("group_weights,group_weight:other", &base).is_err());
        assert!(
            parse_free("nonsense", &base)
                .unwrap_err()
                .contains("known:")
        );
    }
}
