//! The factor catalogue and project defaults: data in `data/catalogue.toml` and
//! `data/defaults.toml`, embedded at build time and validated like any input file.

use super::progress::ProgressModel;
use super::{Estimate, Factor, FailureRule, Impact, Objectives, Runaway};
use crate::error::Error;
use crate::model::Continuous;
use crate::scenario::checks::{self, Check};
use crate::scenario::file::{
    RawDistribution, RawEstimate, RawFailure, RawImpact, RawObjectives, RawProgress, RawRunaway,
    RawSeverity,
};
use crate::scenario::source::{FieldPath, Problem, Source};
use serde::{Deserialize, Serialize};

pub const BUILTIN_CATALOGUE: &str = include_str!("../../data/catalogue.toml");
pub const BUILTIN_DEFAULTS: &str = include_str!("../../data/defaults.toml");

/// A CRM Forum 2001 survey cause group.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub id: String,
    pub label: String,
    pub description: String,
    pub within_correlation: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Catalogue {
    pub version: String,
    pub estimate: Estimate,
    pub runaway: Runaway,
    pub default_between: f64,
    pub groups: Vec<Group>,
    pub categories: Vec<Category>,
    /// Between-category correlations `(a, b, rho)` by category index.
    pub category_correlations: Vec<(usize, usize, f64)>,
    pub factors: Vec<Factor>,
    /// The optional `[uncertainty]` table: joint normal uncertainty of some parameters, drawn
    /// per trial under `--parameter-uncertainty` (`docs/MODEL.md` §4b).
    pub uncertainty: Option<super::ParameterUncertainty>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    version: String,
    estimate: RawEstimate,
    runaway: Option<RawRunaway>,
    correlation: RawCorrelationDefaults,
    groups: Vec<RawGroup>,
    categories: Vec<RawCategory>,
    #[serde(default)]
    category_correlations: Vec<RawCategoryCorrelation>,
    factors: Vec<RawFactor>,
    #[serde(default)]
    uncertainty: Option<super::uncertainty::RawUncertainty>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCorrelationDefaults {
    default_between: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: String,
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: String,
    label: String,
    #[serde(default)]
    description: String,
    within_correlation: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategoryCorrelation {
    a: String,
    b: String,
    rho: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactor {
    id: String,
    name: String,
    category: String,
    cause_group: String,
    description: String,
    sources: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    // documentation for readers of the catalogue; kept for `factors --format json`
    evidence: String,
    probability: f64,
    severity: RawSeverity,
    impact: RawImpact,
}

/// Largest log-cost or log-duration impact a factor may have (e^5 ≈ 148 times the plan).
pub const MAX_LOG_IMPACT: f64 = 5.0;
/// Largest runaway impact (log hazard) a factor may have: e^10 ≈ 22,000 times the hazard.
pub const MAX_RUNAWAY_IMPACT: f64 = 10.0;
/// Range of the runaway's tail index: below 1.5 its mean is dominated by draws beyond what the
/// accumulators hold (`docs/MODEL.md` §5a).
pub const RUNAWAY_TAIL_RANGE: (f64, f64) = (1.5, 20.0);

/// Look a name up among ids, with "did you mean".
pub fn resolve<'a>(
    path: &FieldPath,
    kind: &str,
    name: &str,
    ids: impl Iterator<Item = &'a str> + Clone,
) -> Check<usize> {
    if let Some(index) = ids.clone().position(|id| id == name) {
        return Ok(index);
    }
    let hint = crate::scenario::suggest::closest(name, ids.clone())
        .map(|best| format!("did you mean \"{best}\"? "))
        .unwrap_or_default();
    let all: Vec<&str> = ids.collect();
    Err(Problem::new(
        path,
        format!("unknown {kind} \"{name}\""),
        format!("{hint}known {kind}s: {}", all.join(", ")),
    ))
}

/// Unit check for an impact triple, falling back to `base` for missing keys.
pub fn impact(path: &FieldPath, raw: &RawImpact, base: Option<Impact>) -> Check<Impact> {
    let pick = |value: Option<f64>, fallback: Option<f64>, key: &str| -> Check<f64> {
        match value.or(fallback) {
            Some(v) => Ok(v),
            None => Err(Problem::new(
                &path.key(key),
                "this impact is missing",
                format!("add `{key} = 0.2`"),
            )),
        }
    };
    let benefit = pick(raw.benefit, base.map(|b| b.benefit), "benefit")?;
    let cost = pick(raw.cost, base.map(|b| b.cost), "cost")?;
    let schedule = pick(raw.schedule, base.map(|b| b.schedule), "schedule")?;
    let runaway = pick(raw.runaway, base.map(|b| b.runaway), "runaway")?;
    Ok(Impact {
        benefit: checks::in_range(&path.key("benefit"), benefit, 0.0, 1.0)?,
        cost: checks::in_range(&path.key("cost"), cost, 0.0, MAX_LOG_IMPACT)?,
        schedule: checks::in_range(&path.key("schedule"), schedule, 0.0, MAX_LOG_IMPACT)?,
        runaway: checks::in_range(&path.key("runaway"), runaway, 0.0, MAX_RUNAWAY_IMPACT)?,
    })
}

/// A runaway block, each key falling back to `base` (`None`: the catalogue's own table, where
/// every key is required).
pub fn runaway(path: &FieldPath, raw: &RawRunaway, base: Option<Runaway>) -> Check<Runaway> {
    let get = |value: Option<f64>, fallback: Option<f64>, key: &str, example: &str| {
        checks::required(&path.key(key), value.or(fallback), example)
    };
    let base_probability = get(
        raw.base_probability,
        base.map(|b| b.base_probability),
        "base_probability",
        "base_probability = 0.01",
    )?;
    let size_min = get(
        raw.size_min,
        base.map(|b| b.size_min),
        "size_min",
        "size_min = 1.8",
    )?;
    let tail = get(raw.tail, base.map(|b| b.tail), "tail", "tail = 2.0")?;
    let schedule = get(
        raw.schedule,
        base.map(|b| b.schedule),
        "schedule",
        "schedule = 0.5",
    )?;
    Ok(Runaway {
        base_probability: checks::in_range(
            &path.key("base_probability"),
            base_probability,
            0.0,
            0.5,
        )?,
        size_min: checks::in_range(&path.key("size_min"), size_min, 1.0, 100.0)?,
        tail: checks::in_range(
            &path.key("tail"),
            tail,
            RUNAWAY_TAIL_RANGE.0,
            RUNAWAY_TAIL_RANGE.1,
        )?,
        schedule: checks::in_range(&path.key("schedule"), schedule, 0.0, 2.0)?,
    })
}

/// An estimating-error block, each key falling back to `base`.
pub fn estimate(path: &FieldPath, raw: &RawEstimate, base: Option<Estimate>) -> Check<Estimate> {
    let get =
        |value: Option<f64>, fallback: Option<f64>, key: &str, low: f64, high: f64| -> Check<f64> {
            let v = checks::required(&path.key(key), value.or(fallback), &format!("{key} = 0.3"))?;
            checks::in_range(&path.key(key), v, low, high)
        };
    Ok(Estimate {
        log_cost_mean: get(
            raw.log_cost_mean,
            base.map(|b| b.log_cost_mean),
            "log_cost_mean",
            -3.0,
            3.0,
        )?,
        log_cost_sd: get(
            raw.log_cost_sd,
            base.map(|b| b.log_cost_sd),
            "log_cost_sd",
            0.0,
            3.0,
        )?,
        log_schedule_mean: get(
            raw.log_schedule_mean,
            base.map(|b| b.log_schedule_mean),
            "log_schedule_mean",
            -3.0,
            3.0,
        )?,
        log_schedule_sd: get(
            raw.log_schedule_sd,
            base.map(|b| b.log_schedule_sd),
            "log_schedule_sd",
            0.0,
            3.0,
        )?,
        cost_schedule_correlation: get(
            raw.cost_schedule_correlation,
            base.map(|b| b.cost_schedule_correlation),
            "cost_schedule_correlation",
            -0.99,
            0.99,
        )?,
        benefit_sd: get(
            raw.benefit_sd,
            base.map(|b| b.benefit_sd),
            "benefit_sd",
            0.0,
            2.0,
        )?,
    })
}

impl Catalogue {
    /// The catalogue shipped with crmcast.
    /// The ids of the built-in catalogue's factors, in catalogue order.
    pub fn builtin_factor_ids() -> Result<Vec<String>, Error> {
        Ok(Catalogue::builtin()?
            .factors
            .into_iter()
            .map(|f| f.id)
            .collect())
    }

    pub fn builtin() -> Result<Catalogue, Error> {
        Catalogue::parse(&Source::new(
            "data/catalogue.toml (built in)",
            BUILTIN_CATALOGUE,
        ))
    }

    pub fn parse(source: &Source) -> Result<Catalogue, Error> {
        let raw: CatalogueFile = source.parse()?;
        let registry = super::sources::Registry::builtin()?;
        Catalogue::validate(raw, &registry).map_err(|problem| source.problem(problem))
    }

    fn validate(raw: CatalogueFile, registry: &super::sources::Registry) -> Check<Catalogue> {
        let root = FieldPath::root();
        // Checked here, in the catalogue, before the correlation matrix (n²) is built.
        let limit = crate::scenario::limits::MAX_FACTORS;
        if raw.factors.len() > limit {
            return Err(Problem::new(
                &root.key("factors"),
                format!("{} factors exceed the limit of {limit}", raw.factors.len()),
                "use fewer factors",
            ));
        }
        let estimate = estimate(&root.key("estimate"), &raw.estimate, None)?;
        let Some(raw_runaway) = &raw.runaway else {
            return Err(Problem::new(
                &root.key("runaway"),
                "the catalogue has no [runaway] table (catalogues written before crmcast's outcome model v2 lack it)",
                "add [runaway] with base_probability, size_min, tail and schedule, and a `runaway` impact to every factor (see `crmcast factors --format json` for the built-in values), or re-run `crmcast calibrate`",
            ));
        };
        let runaway = runaway(&root.key("runaway"), raw_runaway, None)?;
        let default_between = checks::in_range(
            &root.key("correlation").key("default_between"),
            raw.correlation.default_between,
            -0.99,
            0.99,
        )?;
        let groups: Vec<Group> = raw
            .groups
            .into_iter()
            .map(|g| Group {
                id: g.id,
                label: g.label,
            })
            .collect();
        unique(&root.key("groups"), groups.iter().map(|g| g.id.as_str()))?;
        let mut categories = Vec::new();
        for (i, c) in raw.categories.into_iter().enumerate() {
            let path = root.key("categories").index(i).key("within_correlation");
            let within_correlation = checks::in_range(&path, c.within_correlation, -0.99, 0.99)?;
            categories.push(Category {
                id: c.id,
                label: c.label,
                description: c.description,
                within_correlation,
            });
        }
        unique(
            &root.key("categories"),
            categories.iter().map(|c| c.id.as_str()),
        )?;
        let category_ids = || categories.iter().map(|c| c.id.as_str());
        let mut category_correlations = Vec::new();
        for (i, pair) in raw.category_correlations.iter().enumerate() {
            let path = root.key("category_correlations").index(i);
            let a = resolve(&path.key("a"), "category", &pair.a, category_ids())?;
            let b = resolve(&path.key("b"), "category", &pair.b, category_ids())?;
            let rho = checks::in_range(&path.key("rho"), pair.rho, -0.99, 0.99)?;
            category_correlations.push((a, b, rho));
        }
        let mut factors = Vec::new();
        for (i, f) in raw.factors.into_iter().enumerate() {
            let path = root.key("factors").index(i);
            // A citation is a label of the source registry, so a reader can follow it.
            registry.check_citations(&path.key("sources"), &f.sources)?;
            factors.push(Factor {
                category: resolve(
                    &path.key("category"),
                    "category",
                    &f.category,
                    category_ids(),
                )?,
                cause_group: resolve(
                    &path.key("cause_group"),
                    "cause group",
                    &f.cause_group,
                    groups.iter().map(|g| g.id.as_str()),
                )?,
                probability: checks::probability(&path.key("probability"), f.probability)?,
                severity: checks::severity(&path.key("severity"), &f.severity)?,
                impact: impact(&path.key("impact"), &f.impact, None)?,
                id: f.id,
                name: f.name,
                description: f.description,
                sources: f.sources,
            });
        }
        unique(&root.key("factors"), factors.iter().map(|f| f.id.as_str()))?;
        let uncertainty = raw
            .uncertainty
            .as_ref()
            .map(|u| super::uncertainty::validate(&root.key("uncertainty"), u, &factors))
            .transpose()?;
        let catalogue = Catalogue {
            version: raw.version,
            estimate,
            runaway,
            default_between,
            groups,
            categories,
            category_correlations,
            factors,
            uncertainty,
        };
        catalogue.check_correlations()?;
        Ok(catalogue)
    }

    /// The factor correlations the catalogue implies must hold together on their own, so that
    /// a catalogue whose category correlations cannot is blamed itself, not the scenario that
    /// uses it.
    fn check_correlations(&self) -> Check<()> {
        let n = self.factors.len();
        let matrix = nalgebra::DMatrix::from_fn(n, n, |i, j| {
            if i == j {
                1.0
            } else {
                self.factor_correlation(&self.factors[i], &self.factors[j])
            }
        });
        match super::CorrelationModel::new(matrix) {
            Ok(_) => Ok(()),
            Err(super::correlation::CorrelationError::NotPositiveDefinite {
                smallest_eigenvalue,
            }) => {
                let root = FieldPath::root();
                let path = if self.category_correlations.is_empty() {
                    root.key("correlation").key("default_between")
                } else {
                    root.key("category_correlations")
                };
                Err(Problem::new(
                    &path,
                    format!(
                        "the factor correlations these category correlations imply are not positive-definite (smallest eigenvalue {smallest_eigenvalue:.4}): they cannot hold together"
                    ),
                    "weaken the strongest [[category_correlations]] or within_correlation values, or make their signs consistent",
                ))
            }
        }
    }

    /// Correlation between two factors from the category structure.
    pub fn factor_correlation(&self, a: &Factor, b: &Factor) -> f64 {
        if a.category == b.category {
            return self.categories[a.category].within_correlation;
        }
        self.category_correlations
            .iter()
            .find(|(x, y, _)| {
                (*x == a.category && *y == b.category) || (*x == b.category && *y == a.category)
            })
            .map(|(_, _, rho)| *rho)
            .unwrap_or(self.default_between)
    }
}

/// Refuse duplicate ids in a list.
pub fn unique<'a>(path: &FieldPath, ids: impl Iterator<Item = &'a str>) -> Check<()> {
    let mut seen = std::collections::BTreeMap::new();
    for (i, id) in ids.enumerate() {
        if let Some(first) = seen.insert(id, i) {
            return Err(Problem::new(
                &path.index(i).key("id"),
                format!("the id \"{id}\" is used twice (entries {first} and {i}, counting from 0)"),
                "give every entry its own id",
            ));
        }
    }
    Ok(())
}

/// Project defaults used when a scenario leaves a value out.
#[derive(Debug, Clone, Serialize)]
pub struct Defaults {
    pub team_burn_share: f64,
    pub failed_benefit_share: f64,
    pub objectives: Objectives,
    pub failure: FailureRule,
    pub churn_rate: f64,
    /// Lever uplifts in the order of [`super::LEVERS`].
    pub levers: [Continuous; 5],
    /// The progress model `crmcast update` uses when a scenario has no `[progress]` table.
    pub progress: super::progress::ProgressModel,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsFile {
    team_burn_share: f64,
    failed_benefit_share: f64,
    objectives: RawObjectives,
    failure: RawFailure,
    levers: RawDefaultLevers,
    progress: RawProgress,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaultLevers {
    churn_rate: f64,
    new_customers: RawDistribution,
    churn_reduction: RawDistribution,
    spend_per_customer: RawDistribution,
    items_per_purchase: RawDistribution,
    purchase_frequency: RawDistribution,
}

impl Defaults {
    pub fn builtin() -> Result<Defaults, Error> {
        let source = Source::new("data/defaults.toml (built in)", BUILTIN_DEFAULTS);
        let raw: DefaultsFile = source.parse()?;
        Defaults::validate(raw).map_err(|problem| source.problem(problem))
    }

    fn validate(raw: DefaultsFile) -> Check<Defaults> {
        let root = FieldPath::root();
        let levers_path = root.key("levers");
        let lever = |raw: &RawDistribution, key: &str| {
            checks::distribution(&levers_path.key(key), raw, -0.99, 10.0)
        };
        Ok(Defaults {
            team_burn_share: checks::in_range(
                &root.key("team_burn_share"),
                raw.team_burn_share,
                0.0,
                10.0,
            )?,
            failed_benefit_share: checks::probability(
                &root.key("failed_benefit_share"),
                raw.failed_benefit_share,
            )?,
            objectives: objectives(&root.key("objectives"), &raw.objectives, None)?,
            failure: failure(&root.key("failure"), &raw.failure, None)?,
            churn_rate: checks::probability(&levers_path.key("churn_rate"), raw.levers.churn_rate)?,
            levers: [
                lever(&raw.levers.new_customers, "new_customers")?,
                lever(&raw.levers.churn_reduction, "churn_reduction")?,
                lever(&raw.levers.spend_per_customer, "spend_per_customer")?,
                lever(&raw.levers.items_per_purchase, "items_per_purchase")?,
                lever(&raw.levers.purchase_frequency, "purchase_frequency")?,
            ],
            progress: progress(&root.key("progress"), &raw.progress, None)?,
        })
    }
}

/// The progress model (`[progress]`, docs/UPDATE.md), keys not given taken from `base`.
pub fn progress(
    path: &FieldPath,
    raw: &RawProgress,
    base: Option<ProgressModel>,
) -> Check<ProgressModel> {
    let get = |v: Option<f64>, b: Option<f64>, key: &str, example: &str| {
        checks::required(&path.key(key), v.or(b), example)
    };
    Ok(ProgressModel {
        progress_sd: checks::positive(
            &path.key("progress_sd"),
            get(
                raw.progress_sd,
                base.map(|b| b.progress_sd),
                "progress_sd",
                "progress_sd = 0.10",
            )?,
            1.0,
        )?,
        cost_concentration: checks::in_range(
            &path.key("cost_concentration"),
            get(
                raw.cost_concentration,
                base.map(|b| b.cost_concentration),
                "cost_concentration",
                "cost_concentration = 30.0",
            )?,
            1.0,
            10_000.0,
        )?,
        benefit_signal_sd: checks::positive(
            &path.key("benefit_signal_sd"),
            get(
                raw.benefit_signal_sd,
                base.map(|b| b.benefit_signal_sd),
                "benefit_signal_sd",
                "benefit_signal_sd = 0.15",
            )?,
            1.0,
        )?,
    })
}

pub fn objectives(
    path: &FieldPath,
    raw: &RawObjectives,
    base: Option<Objectives>,
) -> Check<Objectives> {
    let get = |v: Option<f64>, b: Option<f64>, key: &str, high: f64| -> Check<f64> {
        let v = checks::required(&path.key(key), v.or(b), &format!("{key} = 0.25"))?;
        checks::in_range(&path.key(key), v, 0.0, high)
    };
    Ok(Objectives {
        min_benefit_realisation: get(
            raw.min_benefit_realisation,
            base.map(|b| b.min_benefit_realisation),
            "min_benefit_realisation",
            1.0,
        )?,
        max_overrun: get(
            raw.max_overrun,
            base.map(|b| b.max_overrun),
            "max_overrun",
            100.0,
        )?,
        max_slip: get(raw.max_slip, base.map(|b| b.max_slip), "max_slip", 100.0)?,
    })
}

pub fn failure(
    path: &FieldPath,
    raw: &RawFailure,
    base: Option<FailureRule>,
) -> Check<FailureRule> {
    let below = checks::required(
        &path.key("benefit_realisation_below"),
        raw.benefit_realisation_below
            .or(base.map(|b| b.benefit_realisation_below)),
        "benefit_realisation_below = 0.4",
    )?;
    let overrun = checks::required(
        &path.key("overrun_at_least"),
        raw.overrun_at_least.or(base.map(|b| b.overrun_at_least)),
        "overrun_at_least = 1.5",
    )?;
    Ok(FailureRule {
        benefit_realisation_below: checks::probability(
            &path.key("benefit_realisation_below"),
            below,
        )?,
        overrun_at_least: checks::in_range(&path.key("overrun_at_least"), overrun, 0.0, 100.0)?,
    })
}
