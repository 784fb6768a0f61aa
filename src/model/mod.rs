//! The outcome model: failure factors, their correlation, mitigations and the economics of a
//! trial. Everything here is validated data; `docs/MODEL.md` is the contract it implements.

pub mod catalogue;
pub mod correlation;
pub mod correlation_repair;
pub mod distribution;
pub mod economics;
pub mod progress;
pub mod sources;
pub mod uncertainty;
pub mod vmath;

pub use catalogue::{Catalogue, Category, Defaults, Group};
pub use correlation::CorrelationModel;
pub use distribution::{Continuous, Severity};
pub use uncertainty::{Parameter, ParameterUncertainty};

use serde::Serialize;

/// How strongly a factor at severity 1 acts on the three outcome channels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Impact {
    /// Share of the benefits lost at severity 1: realisation is multiplied by `1 − benefit·s`.
    pub benefit: f64,
    /// Added to log cost at severity 1.
    pub cost: f64,
    /// Added to log duration at severity 1.
    pub schedule: f64,
    /// Added to the log hazard of a runaway at severity 1: the factor multiplies the hazard by
    /// `e^{runaway·s}` (`docs/MODEL.md` §5a).
    pub runaway: f64,
}

/// The runaway ("black swan") mechanism: a rare event whose hazard rises with the factors that
/// strike, and whose size is heavy-tailed (`docs/MODEL.md` §5a).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Runaway {
    /// Probability that a project struck by no factor runs away.
    pub base_probability: f64,
    /// Smallest cost multiplier of a runaway: the scale of its Pareto law.
    pub size_min: f64,
    /// Tail index α of the runaway's cost multiplier: P(Y > y) = (y / size_min)^(−α).
    pub tail: f64,
    /// Elasticity of duration to the runaway's cost multiplier: log duration grows by
    /// `schedule · ln Y`.
    pub schedule: f64,
}

impl Runaway {
    /// The hazard of a project struck by no factor: `−ln(1 − base_probability)`.
    pub fn base_hazard(&self) -> f64 {
        -(-self.base_probability).ln_1p()
    }
}

/// A failure factor after catalogue loading and scenario overrides.
#[derive(Debug, Clone, Serialize)]
pub struct Factor {
    pub id: String,
    pub name: String,
    /// Index into the catalogue's categories.
    pub category: usize,
    /// Index into the catalogue's survey cause groups.
    pub cause_group: usize,
    pub description: String,
    pub sources: Vec<String>,
    pub probability: f64,
    pub severity: Severity,
    pub impact: Impact,
}

/// The plain estimating error present in every trial, factors or not.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub log_cost_mean: f64,
    pub log_cost_sd: f64,
    pub log_schedule_mean: f64,
    pub log_schedule_sd: f64,
    pub cost_schedule_correlation: f64,
    /// Sd of the log of the benefit-realisation noise (mean-one lognormal).
    pub benefit_sd: f64,
}

/// Success: every objective met.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Objectives {
    pub min_benefit_realisation: f64,
    pub max_overrun: f64,
    pub max_slip: f64,
}

/// Failed: either condition; challenged: neither failed nor successful.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FailureRule {
    pub benefit_realisation_below: f64,
    pub overrun_at_least: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Project {
    pub currency: String,
    pub budget: f64,
    /// What stopping the project now recovers, in currency (`crmcast update`'s "stop" option;
    /// default 0).
    pub salvage_value: f64,
    pub duration_months: f64,
    pub horizon_years: f64,
    pub discount_rate: f64,
    pub team_burn_share: f64,
    pub failed_benefit_share: f64,
    pub objectives: Objectives,
    pub failure: FailureRule,
    pub estimate: Estimate,
    pub runaway: Runaway,
}

/// The five revenue levers of "Shibuya, n.d." (`crmcast sources`), in a fixed order.
pub const LEVERS: [&str; 5] = [
    "new_customers",
    "churn_reduction",
    "spend_per_customer",
    "items_per_purchase",
    "purchase_frequency",
];

/// Where the annual benefit at full realisation comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum BenefitModel {
    /// A distribution of the annual benefit (currency per year).
    Direct { annual: Continuous },
    /// The five levers of "Shibuya, n.d." on a baseline revenue and margin.
    Levers {
        baseline_revenue: f64,
        margin: f64,
        churn_rate: f64,
        /// Relative uplifts, in the order of [`LEVERS`].
        uplifts: [Continuous; 5],
    },
}

impl BenefitModel {
    /// Number of uniforms one trial draws for the benefit.
    pub fn dimensions(&self) -> usize {
        match self {
            BenefitModel::Direct { .. } => 1,
            BenefitModel::Levers { .. } => 5,
        }
    }

    /// Annual benefit at full realisation from `dimensions()` uniforms.
    #[inline]
    pub fn annual_benefit(&self, uniforms: &[f64]) -> f64 {
        match self {
            BenefitModel::Direct { annual } => annual.inverse_cdf(uniforms[0]),
            BenefitModel::Levers {
                baseline_revenue,
                margin,
                churn_rate,
                uplifts,
            } => {
                let new_customers = uplifts[0].inverse_cdf(uniforms[0]);
                // A relative cut in churn keeps that share of the revenue that would have left.
                let retained = churn_rate * uplifts[1].inverse_cdf(uniforms[1]);
                let spend = uplifts[2].inverse_cdf(uniforms[2]);
                let items = uplifts[3].inverse_cdf(uniforms[3]);
                let frequency = uplifts[4].inverse_cdf(uniforms[4]);
                let multiplier = (1.0 + new_customers)
                    * (1.0 + retained)
                    * (1.0 + spend)
                    * (1.0 + items)
                    * (1.0 + frequency);
                baseline_revenue * margin * (multiplier - 1.0)
            }
        }
    }
}

/// A mitigation's effect on one factor: multipliers in [0, 1], each optionally uncertain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effect {
    pub factor: usize,
    /// Multiplier on the factor's probability (1 = no change).
    pub probability: f64,
    /// Multiplier on its severity when it strikes (1 = no change).
    pub severity: f64,
    /// `[low, high]` of the probability multiplier, with `low ≤ probability ≤ high`: under
    /// `--parameter-uncertainty` the multiplier is drawn per trial from the triangular law
    /// (low, probability, high) (`docs/MODEL.md` §8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability_range: Option<[f64; 2]>,
    /// `[low, high]` of the severity multiplier, as `probability_range`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity_range: Option<[f64; 2]>,
    /// Where the effect size comes from: a source, or "assumption" with a reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

impl Effect {
    /// An effect with fixed multipliers and no evidence given.
    pub fn fixed(factor: usize, probability: f64, severity: f64) -> Effect {
        Effect {
            factor,
            probability,
            severity,
            probability_range: None,
            severity_range: None,
            evidence: None,
        }
    }
}

/// Which multiplier of an effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MultiplierKind {
    Probability,
    Severity,
}

/// An effect multiplier with a range: drawn under `--parameter-uncertainty` from the
/// triangular law (low, mode = the stated multiplier, high) by the inverse CDF of one uniform.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RangedMultiplier {
    /// Index of the mitigation in the scenario, and of the effect in the mitigation.
    pub mitigation: usize,
    pub effect: usize,
    /// The factor the effect acts on.
    pub factor: usize,
    pub kind: MultiplierKind,
    pub low: f64,
    pub mode: f64,
    pub high: f64,
}

impl RangedMultiplier {
    /// The multiplier at cumulative probability `u` ∈ [0, 1): the triangular inverse CDF of
    /// `docs/MODEL.md` §2, kept inside `[low, high]` against rounding.
    #[inline]
    pub fn inverse_cdf(&self, u: f64) -> f64 {
        Continuous::Triangular {
            min: self.low,
            mode: self.mode,
            max: self.high,
        }
        .inverse_cdf(u)
        .clamp(self.low, self.high)
    }

    /// The mean of the drawn multiplier: `(low + mode + high) / 3`.
    pub fn mean(&self) -> f64 {
        (self.low + self.mode + self.high) / 3.0
    }
}

/// Every ranged multiplier of `mitigations`, in the order they are drawn: file order of the
/// mitigations, then of their effects, the probability multiplier before the severity one.
pub fn ranged_multipliers(mitigations: &[Mitigation]) -> Vec<RangedMultiplier> {
    let mut out = Vec::new();
    for (m, mitigation) in mitigations.iter().enumerate() {
        for (e, effect) in mitigation.effects.iter().enumerate() {
            let ranges = [
                (
                    MultiplierKind::Probability,
                    effect.probability,
                    effect.probability_range,
                ),
                (
                    MultiplierKind::Severity,
                    effect.severity,
                    effect.severity_range,
                ),
            ];
            for (kind, mode, range) in ranges {
                if let Some([low, high]) = range {
                    out.push(RangedMultiplier {
                        mitigation: m,
                        effect: e,
                        factor: effect.factor,
                        kind,
                        low,
                        mode,
                        high,
                    });
                }
            }
        }
    }
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct Mitigation {
    pub id: String,
    pub name: String,
    pub description: String,
    pub sources: Vec<String>,
    pub cost: Continuous,
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Strategy {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Indices into the scenario's mitigations.
    pub mitigations: Vec<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levers_multiply_into_extra_margin() {
        let fixed = |value| Continuous::Fixed { value };
        let model = BenefitModel::Levers {
            baseline_revenue: 1_000.0,
            margin: 0.5,
            churn_rate: 0.2,
            uplifts: [fixed(0.1), fixed(0.5), fixed(0.0), fixed(0.0), fixed(0.0)],
        };
        // (1 + 0.1)(1 + 0.2·0.5) − 1 = 0.21 extra revenue, at a 50 % margin.
        let annual = model.annual_benefit(&[0.5; 5]);
        assert!((annual - 1_000.0 * 0.5 * 0.21).abs() < 1e-9);
        assert_eq!(model.dimensions(), 5);
        let direct = BenefitModel::Direct {
            annual: Continuous::Uniform {
                min: 0.0,
                max: 10.0,
            },
        };
        assert_eq!(direct.annual_benefit(&[0.3]), 3.0);
        assert_eq!(direct.dimensions(), 1);
    }

    #[test]
    fn ranged_multipliers_come_in_file_order_probability_first() {
        let ranged = |factor, p: Option<[f64; 2]>, s: Option<[f64; 2]>| Effect {
            probability_range: p,
            severity_range: s,
            ..Effect::fixed(factor, 0.5, 0.6)
        };
        let mitigation = |effects| Mitigation {
            id: String::new(),
            name: String::new(),
            description: String::new(),
            sources: Vec::new(),
            cost: Continuous::Fixed { value: 0.0 },
            effects,
        };
        let mitigations = [
            mitigation(vec![
                ranged(3, None, Some([0.5, 0.9])),
                ranged(1, Some([0.2, 0.7]), Some([0.4, 0.6])),
            ]),
            mitigation(vec![Effect::fixed(2, 0.5, 1.0)]),
            mitigation(vec![ranged(0, Some([0.5, 0.5]), None)]),
        ];
        let found: Vec<(usize, usize, usize, MultiplierKind, f64)> =
            ranged_multipliers(&mitigations)
                .iter()
                .map(|r| (r.mitigation, r.effect, r.factor, r.kind, r.mode))
                .collect();
        use MultiplierKind::*;
        assert_eq!(
            found,
            [
                (0, 0, 3, Severity, 0.6),
                (0, 1, 1, Probability, 0.5),
                (0, 1, 1, Severity, 0.6),
                (2, 0, 0, Probability, 0.5),
            ]
        );
    }

    #[test]
    fn a_drawn_multiplier_stays_in_its_range_with_the_triangular_mean() {
        let r = RangedMultiplier {
            mitigation: 0,
            effect: 0,
            factor: 0,
            kind: MultiplierKind::Probability,
            low: 0.2,
            mode: 0.3,
            high: 0.9,
        };
        let n = 100_000;
        let values: Vec<f64> = (0..n)
            .map(|k| r.inverse_cdf((k as f64 + 0.5) / n as f64))
            .collect();
        assert!(values.iter().all(|&v| (0.2..=0.9).contains(&v)));
        let mean = values.iter().sum::<f64>() / n as f64;
        assert!((mean - r.mean()).abs() < 1e-6, "{mean} vs {}", r.mean());
        assert_eq!(r.inverse_cdf(0.0), 0.2);
        // A zero-width range is its multiplier.
        let point = RangedMultiplier {
            low: 0.3,
            high: 0.3,
            ..r
        };
        assert_eq!(point.inverse_cdf(0.77), 0.3);
    }
}
