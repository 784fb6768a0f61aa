//! The raw serde form of a scenario file, exactly as written. Unknown keys are refused so that
//! a typo never silently falls back to a default. `validate` turns this into a [`super::Scenario`].
//!
//! The same structs describe the file to editors: `crmcast schema` prints their JSON Schema
//! (schemars), with these doc comments as descriptions. Ranges given here with
//! `#[schemars(range(..))]` mirror fixed bounds of the validator, which stays the authority
//! (it also checks what a schema cannot: ids that must exist, orderings, matrix conditions).
//!
//! Fraction-valued keys (probabilities, shares, rates, overruns, effect multipliers) also take a
//! percentage in quotes, `"20%"` ([`super::fraction`]); a percentage written as a number
//! (`max_overrun = 20`) is refused with its fix before validation (`units`).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// An uncertain amount. Its shape follows from the keys given: `{ value = V }` (fixed),
/// `{ min = A, max = B }` (uniform), `{ min = A, mode = M, max = B }` (triangular) or
/// `{ low = L, high = H }` with optional `confidence` (lognormal: L and H are the bounds of a
/// central interval, 90 % by default). Bounds depend on the field: money amounts 0 to 1e13,
/// lever uplifts -0.99 to 10.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = distribution_shapes)]
pub struct RawDistribution {
    /// A fixed value (no uncertainty).
    pub value: Option<f64>,
    /// Lowest value (uniform, triangular).
    pub min: Option<f64>,
    /// Most likely value (triangular), between `min` and `max`.
    pub mode: Option<f64>,
    /// Highest value (uniform, triangular).
    pub max: Option<f64>,
    /// Lower bound of the central interval (lognormal), above 0.
    pub low: Option<f64>,
    /// Upper bound of the central interval (lognormal), above `low`.
    pub high: Option<f64>,
    /// How sure you are that the value lies between `low` and `high` (lognormal), 0.5 to 0.999;
    /// default 0.9.
    #[schemars(range(min = 0.5, max = 0.999))]
    pub confidence: Option<f64>,
}

/// The four shapes of [`RawDistribution`], for editors (the validator gives the same rule).
fn distribution_shapes(schema: &mut schemars::Schema) {
    let only = |keys: &[&str], required: &[&str]| {
        let properties: serde_json::Map<String, serde_json::Value> =
            keys.iter().map(|k| (k.to_string(), json!({}))).collect();
        json!({ "properties": properties, "required": required, "additionalProperties": false })
    };
    schema.insert(
        "anyOf".into(),
        json!([
            only(&["value"], &["value"]),
            only(&["min", "max"], &["min", "max"]),
            only(&["min", "mode", "max"], &["min", "mode", "max"]),
            only(&["low", "high", "confidence"], &["low", "high"]),
        ]),
    );
}

/// How hard a factor bites when it fires: a distribution on [0, 1] chosen by `kind`:
/// `fixed` (`value`), `uniform` (`min`, `max`), `triangular` (`min`, `mode`, `max`) or
/// `kumaraswamy` (shapes `a`, `b`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = severity_kinds)]
pub struct RawSeverity {
    /// The distribution: "fixed", "uniform", "triangular" or "kumaraswamy".
    #[schemars(extend("enum" = ["fixed", "uniform", "triangular", "kumaraswamy"]))]
    pub kind: String,
    /// The severity of a `fixed` kind, 0 to 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub value: Option<f64>,
    /// Lowest severity (`uniform`, `triangular`), 0 to 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub min: Option<f64>,
    /// Most likely severity (`triangular`), between `min` and `max`.
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub mode: Option<f64>,
    /// Highest severity (`uniform`, `triangular`), 0 to 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub max: Option<f64>,
    /// First shape of a `kumaraswamy` severity, 0.05 to 100 (a > b: skewed towards severe).
    #[schemars(range(min = 0.05, max = 100.0))]
    pub a: Option<f64>,
    /// Second shape of a `kumaraswamy` severity, 0.05 to 100.
    #[schemars(range(min = 0.05, max = 100.0))]
    pub b: Option<f64>,
}

/// The keys each severity `kind` takes, for editors (the validator gives the same rule).
fn severity_kinds(schema: &mut schemars::Schema) {
    let kind = |name: &str, keys: &[&str]| {
        let mut properties = serde_json::Map::new();
        properties.insert("kind".into(), json!({ "const": name }));
        for key in keys {
            properties.insert(key.to_string(), json!({}));
        }
        let mut required = vec!["kind"];
        required.extend_from_slice(keys);
        json!({ "properties": properties, "required": required, "additionalProperties": false })
    };
    schema.insert(
        "anyOf".into(),
        json!([
            kind("fixed", &["value"]),
            kind("uniform", &["min", "max"]),
            kind("triangular", &["min", "mode", "max"]),
            kind("kumaraswamy", &["a", "b"]),
        ]),
    );
}

/// What a factor does when it fires at full severity; keys not given keep the catalogue's.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawImpact {
    /// Share of the planned benefit lost, 0 to 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub benefit: Option<f64>,
    /// Cost overrun added, on the log scale (0.2 ≈ +22 %), 0 to 5.
    #[schemars(range(min = 0.0, max = 5.0))]
    pub cost: Option<f64>,
    /// Schedule slip added, on the log scale (0.2 ≈ +22 %), 0 to 5.
    #[schemars(range(min = 0.0, max = 5.0))]
    pub schedule: Option<f64>,
    /// Added to the log hazard of a runaway (0.7 ≈ doubles the chance), 0 to 10.
    #[schemars(range(min = 0.0, max = 10.0))]
    pub runaway: Option<f64>,
}

/// `[project.objectives]`: a project succeeds when all three are met. Keys not given keep
/// the defaults (data/defaults.toml: 0.75, 0.25, 0.25).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawObjectives {
    /// Least share of the planned benefit to realise, 0 to 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub min_benefit_realisation: Option<f64>,
    /// Largest cost overrun, as a share of the budget (0.25 or "25%" = 25 % over), 0 to
    /// under 5 (a number from 5 up is a percentage: write 0.20 for 20 %).
    #[schemars(range(min = 0.0), extend("exclusiveMaximum" = 5.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub max_overrun: Option<f64>,
    /// Largest schedule slip, as a share of the planned duration, 0 to under 5.
    #[schemars(range(min = 0.0), extend("exclusiveMaximum" = 5.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub max_slip: Option<f64>,
}

/// `[project.failure]`: a project fails when either threshold is crossed (otherwise it is
/// challenged, unless it succeeds). Keys not given keep the defaults (0.40, 1.50).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFailure {
    /// Fails below this share of the planned benefit, 0 to 1; at most
    /// `objectives.min_benefit_realisation`.
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub benefit_realisation_below: Option<f64>,
    /// Fails at this cost overrun or more (1.5 = 150 % over budget), 0 to under 5; at least
    /// `objectives.max_overrun`.
    #[schemars(range(min = 0.0), extend("exclusiveMaximum" = 5.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub overrun_at_least: Option<f64>,
}

/// `[project.estimate]`: the plain estimating error of every project, factors or not. Keys not
/// given keep the catalogue's `[estimate]`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEstimate {
    /// Mean of the log cost ratio (actual / budget), -3 to 3.
    #[schemars(range(min = -3.0, max = 3.0))]
    pub log_cost_mean: Option<f64>,
    /// Standard deviation of the log cost ratio, 0 to 3.
    #[schemars(range(min = 0.0, max = 3.0))]
    pub log_cost_sd: Option<f64>,
    /// Mean of the log schedule ratio (actual / planned duration), -3 to 3.
    #[schemars(range(min = -3.0, max = 3.0))]
    pub log_schedule_mean: Option<f64>,
    /// Standard deviation of the log schedule ratio, 0 to 3.
    #[schemars(range(min = 0.0, max = 3.0))]
    pub log_schedule_sd: Option<f64>,
    /// Correlation of the cost and schedule errors, -0.99 to 0.99.
    #[schemars(range(min = -0.99, max = 0.99))]
    pub cost_schedule_correlation: Option<f64>,
    /// Standard deviation of the benefit realised by a project that goes well, 0 to 2.
    #[schemars(range(min = 0.0, max = 2.0))]
    pub benefit_sd: Option<f64>,
}

/// `[project.runaway]` (or the catalogue's `[runaway]`): the rare runaway event whose chance
/// rises with the factors that strike and whose size is heavy-tailed (docs/MODEL.md §5a). Keys
/// not given keep the catalogue's.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRunaway {
    /// Chance that a project no factor strikes still runs away, 0 to 0.5.
    #[schemars(range(min = 0.0, max = 0.5))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub base_probability: Option<f64>,
    /// Smallest cost multiplier of a runaway (1.8 = at least 80 % over), 1 to 100.
    #[schemars(range(min = 1.0, max = 100.0))]
    pub size_min: Option<f64>,
    /// Tail index of the runaway's cost multiplier (2 = power law of Budzier & Flyvbjerg
    /// 2011), 1.5 to 20; smaller is heavier.
    #[schemars(range(min = 1.5, max = 20.0))]
    pub tail: Option<f64>,
    /// Growth of log duration per unit of log cost in a runaway, 0 to 2.
    #[schemars(range(min = 0.0, max = 2.0))]
    pub schedule: Option<f64>,
}

/// `[scenario]` (required): what the scenario is and where it comes from.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioMeta {
    /// The scenario's name, shown in every report.
    pub name: String,
    /// What the project is and why it is modelled this way.
    #[serde(default)]
    pub description: String,
    /// The sources the scenario's figures come from, by their short labels (`crmcast sources`
    /// lists them, e.g. "CRM Forum 2001"); describe any other source in `description`.
    #[serde(default)]
    pub sources: Vec<String>,
    /// A catalogue file to use instead of the built-in one (e.g. the output of
    /// `crmcast calibrate`), relative to the scenario file's folder.
    pub catalogue: Option<String>,
}

/// `[project]` (required): money and time.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProject {
    /// Label of the currency every amount in the file is in (default "EUR").
    pub currency: Option<String>,
    /// Planned project cost, 1 to 1e13.
    #[schemars(range(min = 1.0, max = 1e13))]
    pub budget: f64,
    /// Planned duration of the implementation in months, above 0 and at most 600.
    #[schemars(range(max = 600.0), extend("exclusiveMinimum" = 0.0))]
    pub duration_months: f64,
    /// Years over which benefits are counted, above 0 and at most 100.
    #[schemars(range(max = 100.0), extend("exclusiveMinimum" = 0.0))]
    pub horizon_years: f64,
    /// Annual discount rate for the net present value (0.08 = 8 %), -0.5 to 1.
    #[schemars(range(min = -0.5, max = 1.0))]
    #[serde(deserialize_with = "super::fraction::required")]
    #[schemars(with = "super::fraction::Fraction")]
    pub discount_rate: f64,
    /// Share of the budget that is team cost, charged again per planned duration of slip,
    /// 0 to 10 (default 0.5).
    #[schemars(range(min = 0.0, max = 10.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub team_burn_share: Option<f64>,
    /// Share of its realised benefit that a failed project keeps, 0 to 1 (default 0.1).
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub failed_benefit_share: Option<f64>,
    /// What stopping the project now would recover (resale of licences, reusable work), in
    /// the project currency, 0 to 1e13 (default 0): the value of the "stop" option of
    /// `crmcast update` (docs/STATUS.md).
    #[schemars(range(min = 0.0, max = 1e13))]
    pub salvage_value: Option<f64>,
    /// Success objectives for this project (default: data/defaults.toml).
    pub objectives: Option<RawObjectives>,
    /// Failure thresholds for this project (default: data/defaults.toml).
    pub failure: Option<RawFailure>,
    /// Estimating error for this project (default: the catalogue's).
    pub estimate: Option<RawEstimate>,
    /// The runaway mechanism for this project (default: the catalogue's).
    pub runaway: Option<RawRunaway>,
}

/// `[benefits.levers]`: relative uplifts of a fully successful CRM on the five revenue levers,
/// each a distribution from -0.99 to 10 (0.05 = +5 %). Levers not given keep the defaults of
/// data/defaults.toml.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLevers {
    /// More new customers (relative change).
    pub new_customers: Option<RawDistribution>,
    /// Less churn (relative cut in the churn rate).
    pub churn_reduction: Option<RawDistribution>,
    /// More spend per customer (relative change).
    pub spend_per_customer: Option<RawDistribution>,
    /// More items per purchase (relative change).
    pub items_per_purchase: Option<RawDistribution>,
    /// More frequent purchases (relative change).
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

/// `[benefits]` (required): what a fully successful CRM brings per year. `model = "direct"`
/// takes `annual`; `model = "levers"` takes `baseline_revenue`, `margin` and optionally
/// `churn_rate` and `[benefits.levers]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = benefit_models)]
pub struct RawBenefits {
    /// "direct" (a yearly amount) or "levers" (the margin on extra revenue from five levers).
    #[schemars(extend("enum" = ["direct", "levers"]))]
    pub model: String,
    /// `direct` model: the yearly benefit in the project currency, 0 to 1e13.
    pub annual: Option<RawDistribution>,
    /// `levers` model: annual revenue today, above 0 and at most 1e13.
    #[schemars(range(max = 1e13), extend("exclusiveMinimum" = 0.0))]
    pub baseline_revenue: Option<f64>,
    /// `levers` model: contribution margin on extra revenue, 0 to 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub margin: Option<f64>,
    /// `levers` model: yearly customer churn today, 0 to 1 (default 0.2).
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub churn_rate: Option<f64>,
    /// `levers` model: uplifts that replace the defaults.
    pub levers: Option<RawLevers>,
}

/// The keys each benefit `model` takes, for editors (the validator gives the same rule).
fn benefit_models(schema: &mut schemars::Schema) {
    let absent = |keys: &[&str]| {
        let any: Vec<serde_json::Value> = keys.iter().map(|k| json!({ "required": [k] })).collect();
        json!({ "anyOf": any })
    };
    schema.insert(
        "oneOf".into(),
        json!([
            {
                "properties": { "model": { "const": "direct" } },
                "required": ["annual"],
                "not": absent(&["baseline_revenue", "margin", "levers"]),
            },
            {
                "properties": { "model": { "const": "levers" } },
                "required": ["baseline_revenue", "margin"],
                "not": absent(&["annual"]),
            },
        ]),
    );
}

/// `[factors.ID]`: this scenario's changes to a catalogue factor (`crmcast factors` lists
/// them); keys not given keep the catalogue's values.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFactorOverride {
    /// Probability that the factor fires in a project, 0 to 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub probability: Option<f64>,
    /// How hard it bites when it fires.
    pub severity: Option<RawSeverity>,
    /// What it does at full severity; keys not given keep the catalogue's.
    pub impact: Option<RawImpact>,
}

/// `[[correlations]]`: the correlation of two factors, replacing the catalogue's.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCorrelation {
    /// The ids of two different factors.
    #[schemars(length(equal = 2))]
    pub factors: Vec<String>,
    /// Their correlation, -0.99 to 0.99.
    #[schemars(range(min = -0.99, max = 0.99))]
    pub rho: f64,
}

/// `[[mitigations.effects]]`: what a mitigation does to one factor.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEffect {
    /// The factor's id (`crmcast factors` lists them); once per mitigation.
    pub factor: String,
    /// Multiplier on the factor's probability, 0 to 1 (1 = no change).
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub probability: Option<f64>,
    /// Multiplier on its severity when it fires, 0 to 1 (1 = no change).
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub severity: Option<f64>,
    /// How uncertain the `probability` multiplier is: `[low, high]`, each 0 to 1, with
    /// low ≤ probability ≤ high (without `probability`, the multiplier 1 must lie inside).
    /// Under `--parameter-uncertainty` the multiplier is drawn per trial from the triangular
    /// law (low, probability, high); without the flag the range changes nothing.
    #[schemars(length(equal = 2), extend("items" = { "type": "number", "minimum": 0.0, "maximum": 1.0 }))]
    #[serde(default, deserialize_with = "super::fraction::optional_list")]
    pub probability_range: Option<Vec<f64>>,
    /// How uncertain the `severity` multiplier is: `[low, high]`, each 0 to 1, with
    /// low ≤ severity ≤ high (without `severity`, the multiplier 1 must lie inside). Drawn like
    /// `probability_range`.
    #[schemars(length(equal = 2), extend("items" = { "type": "number", "minimum": 0.0, "maximum": 1.0 }))]
    #[serde(default, deserialize_with = "super::fraction::optional_list")]
    pub severity_range: Option<Vec<f64>>,
    /// Where the effect size comes from: a source by author, title and year, or the word
    /// "assumption" followed by the reason (e.g. "assumption: the remedy the article names
    /// for this cause; no published effect size").
    #[schemars(length(min = 1, max = 1000))]
    pub evidence: Option<String>,
}

/// `[[mitigations]]`: something the project can do, and pay for, to lower risk.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = require_effects)]
pub struct RawMitigation {
    /// Unique id that strategies name: 1 to 64 letters, digits, '_' or '-'.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]{1,64}$"))]
    pub id: String,
    /// Name shown in reports (default: the id).
    pub name: Option<String>,
    /// What the mitigation is.
    #[serde(default)]
    pub description: String,
    /// The sources it comes from, by their short labels (`crmcast sources` lists them); describe
    /// any other source in the effects' `evidence`.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Its cost in the project currency, paid only in strategies that include it (0 to 1e13).
    pub cost: RawDistribution,
    /// The factors it acts on: at least one.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub effects: Vec<RawEffect>,
}

/// `[[strategies]]`: an alternative to compare, with the mitigations it buys.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStrategy {
    /// Unique id: 1 to 64 letters, digits, '_' or '-'.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]{1,64}$"))]
    pub id: String,
    /// Name shown in reports (default: the id).
    pub name: Option<String>,
    /// What the strategy is.
    #[serde(default)]
    pub description: String,
    /// `true` on exactly one strategy: the one the others are compared with.
    #[serde(default)]
    pub baseline: bool,
    /// Ids of the `[[mitigations]]` it buys, each once.
    #[serde(default)]
    #[schemars(extend("uniqueItems" = true))]
    pub mitigations: Vec<String>,
}

/// `[simulation]`: Monte Carlo settings; the command line can override both.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    /// Number of trials, 1 to 10_000_000_000 (default 100_000).
    #[schemars(range(min = 1, max = 10_000_000_000u64))]
    pub trials: Option<u64>,
    /// Random seed: the same seed gives the same results (default 20011).
    pub seed: Option<u64>,
}

/// A crmcast scenario: a CRM project, its benefits, its risks (the factor catalogue with this
/// scenario's overrides), the mitigations it can buy and the strategies to compare. Check a
/// file with `crmcast validate FILE`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "crmcast scenario", transform = require_strategies)]
pub struct ScenarioFile {
    /// What the scenario is and where it comes from.
    pub scenario: ScenarioMeta,
    /// Money and time.
    pub project: RawProject,
    /// What a fully successful CRM brings per year.
    pub benefits: RawBenefits,
    /// Changes to catalogue factors, by factor id (`crmcast factors` lists them).
    #[serde(default)]
    pub factors: BTreeMap<String, RawFactorOverride>,
    /// Pairwise factor correlations that replace the catalogue's.
    #[serde(default)]
    pub correlations: Vec<RawCorrelation>,
    /// What the project can do, and pay for, to lower risk (at most 64).
    #[serde(default)]
    #[schemars(length(max = 64))]
    pub mitigations: Vec<RawMitigation>,
    /// The alternatives to compare (1 to 64), exactly one with `baseline = true`.
    #[serde(default)]
    #[schemars(length(min = 1, max = 64))]
    pub strategies: Vec<RawStrategy>,
    /// Number of trials and random seed.
    #[serde(default)]
    pub simulation: RawSimulation,
    /// Blend a reference class's cost overruns with the factor model's.
    pub outside_view: Option<RawOutsideView>,
    /// The progress model `crmcast update` weighs a running project's status with (keys not
    /// given keep data/defaults.toml's `[progress]`).
    pub progress: Option<RawProgress>,
}

/// `[progress]`: how a running project's reported progress, cost to date and early benefit
/// signal relate to a trial's final outcome (docs/UPDATE.md). Every value is an assumption;
/// keys not given keep data/defaults.toml's.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProgress {
    /// Standard deviation of reported percent complete around the true fraction of work done,
    /// above 0 and at most 1 (default 0.10).
    #[schemars(range(max = 1.0), extend("exclusiveMinimum" = 0.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub progress_sd: Option<f64>,
    /// Concentration of the Beta law of cost to date as a share of the final project cost,
    /// 1 to 10_000 (default 30): larger means spend follows work more closely.
    #[schemars(range(min = 1.0, max = 10_000.0))]
    pub cost_concentration: Option<f64>,
    /// Standard deviation of an early benefit signal around the benefit realisation, above 0
    /// and at most 1 (default 0.15).
    #[schemars(range(max = 1.0), extend("exclusiveMinimum" = 0.0))]
    #[serde(default, deserialize_with = "super::fraction::optional")]
    #[schemars(with = "Option<super::fraction::Fraction>")]
    pub benefit_signal_sd: Option<f64>,
}

/// The parser lets `effects` default to empty, the validator refuses that: editors should too.
fn require_effects(schema: &mut schemars::Schema) {
    require(schema, "effects");
}

/// The parser lets `strategies` default to empty, the validator refuses that: editors should
/// too.
fn require_strategies(schema: &mut schemars::Schema) {
    require(schema, "strategies");
}

fn require(schema: &mut schemars::Schema, key: &str) {
    if let Some(serde_json::Value::Array(required)) = schema.get_mut("required") {
        if !required.iter().any(|k| k == key) {
            required.push(key.into());
        }
    } else {
        schema.insert("required".into(), json!([key]));
    }
}

/// `[outside_view]`: blend a reference class's cost overruns with the factor model's.
/// Name exactly one of `class` or `data`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [{ "required": ["class"] }, { "required": ["data"] }]))]
pub struct RawOutsideView {
    /// The outside view's share of the blend, 0 to 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(deserialize_with = "super::fraction::required")]
    #[schemars(with = "super::fraction::Fraction")]
    pub weight: f64,
    /// `"builtin"`: the built-in class of IT projects (data/reference_class.toml); give this or
    /// `data`.
    #[schemars(extend("enum" = ["builtin"]))]
    pub class: Option<String>,
    /// A CSV of past projects with an `overrun` column, next to the scenario; give this or
    /// `class`.
    pub data: Option<String>,
}
