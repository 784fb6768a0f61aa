//! The raw serde form of a scenario file, exactly as written. Unknown keys are refused so that
//! a typo never silently falls back to a default. `validate` turns this into a [`super::Scenario`].

use serde::Deserialize;
use std::collections::BTreeMap;

/// A distribution as written: its shape follows from which keys are given
/// (`value`; `min`+`max`; `min`+`mode`+`max`; `low`+`high` [+`confidence`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDistribution {
    pub value: Option<f64>,
    pub min: Option<f64>,
    pub mode: Option<f64>,
    pub max: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub confidence: Option<f64>,
}

/// A severity distribution on [0, 1], tagged by `kind`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSeverity {
    pub kind: String,
    pub value: Option<f64>,
    pub min: Option<f64>,
    pub mode: Option<f64>,
    pub max: Option<f64>,
    pub a: Option<f64>,
    pub b: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawImpact {
    pub benefit: Option<f64>,
    pub cost: Option<f64>,
    pub schedule: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawObjectives {
    pub min_benefit_realisation: Option<f64>,
    pub max_overrun: Option<f64>,
    pub max_slip: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFailure {
    pub benefit_realisation_below: Option<f64>,
    pub overrun_at_least: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEstimate {
    pub log_cost_mean: Option<f64>,
    pub log_cost_sd: Option<f64>,
    pub log_schedule_mean: Option<f64>,
    pub log_schedule_sd: Option<f64>,
    pub cost_schedule_correlation: Option<f64>,
    pub benefit_sd: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioMeta {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub sources: Vec<String>,
    /// A catalogue file to use instead of the built-in one (e.g. the output of
    /// `crmcast calibrate`), relative to the scenario file's folder.
    pub catalogue: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProject {
    pub currency: Option<String>,
    pub budget: f64,
    pub duration_months: f64,
    pub horizon_years: f64,
    pub discount_rate: f64,
    pub team_burn_share: Option<f64>,
    pub failed_benefit_share: Option<f64>,
    pub objectives: Option<RawObjectives>,
    pub failure: Option<RawFailure>,
    pub estimate: Option<RawEstimate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLevers {
    pub new_customers: Option<RawDistribution>,
    pub churn_reduction: Option<RawDistribution>,
    pub spend_per_customer: Option<RawDistribution>,
    pub items_per_purchase: Option<RawDistribution>,
    pub purchase_frequency: Option<RawDistribution>,
}

impl RawLevers {
    /// The five levers in the order of [`crate::model::LEVERS`].
    pub fn in_order(&self) -> [&Option<RawDistribution>; 5] {
        [
            &self.new_customers,
            &self.churn_reduction,
            &self.spend_per_customer,
            &self.items_per_purchase,
            &self.purchase_frequency,
        ]
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBenefits {
    pub model: String,
    pub annual: Option<RawDistribution>,
    pub baseline_revenue: Option<f64>,
    pub margin: Option<f64>,
    pub churn_rate: Option<f64>,
    pub levers: Option<RawLevers>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFactorOverride {
    pub probability: Option<f64>,
    pub severity: Option<RawSeverity>,
    pub impact: Option<RawImpact>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelation {
    pub factors: Vec<String>,
    pub rho: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEffect {
    pub factor: String,
    pub probability: Option<f64>,
    pub severity: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMitigation {
    pub id: String,
    pub name: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub sources: Vec<String>,
    pub cost: RawDistribution,
    #[serde(default)]
    pub effects: Vec<RawEffect>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStrategy {
    pub id: String,
    pub name: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub baseline: bool,
    #[serde(default)]
    pub mitigations: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    pub trials: Option<u64>,
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub scenario: ScenarioMeta,
    pub project: RawProject,
    pub benefits: RawBenefits,
    #[serde(default)]
    pub factors: BTreeMap<String, RawFactorOverride>,
    #[serde(default)]
    pub correlations: Vec<RawCorrelation>,
    #[serde(default)]
    pub mitigations: Vec<RawMitigation>,
    #[serde(default)]
    pub strategies: Vec<RawStrategy>,
    #[serde(default)]
    pub simulation: RawSimulation,
    pub outside_view: Option<RawOutsideView>,
}

/// `[outside_view]`: blend a reference class's cost overruns with the factor model's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutsideView {
    /// The outside view's share of the blend, 0 to 1.
    pub weight: f64,
    /// `"builtin"`: the built-in class of IT projects (data/reference_class.toml) …
    pub class: Option<String>,
    /// … or a CSV of past projects with an `overrun` column, next to the scenario.
    pub data: Option<String>,
}
