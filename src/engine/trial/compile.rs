//! Compiling a scenario for the trial loop: thresholds per strategy and factor, the severity
//! variants the strategies share, and what parameter uncertainty draws per trial
//! ([`super::uncertain`]).

use super::uncertain::compressed;
use super::*;

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
}
