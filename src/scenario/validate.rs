//! From the raw [`ScenarioFile`] to a validated [`Scenario`]: defaults filled in, names
//! resolved to indices, every number range-checked, the correlation matrix factored.

use super::checks::{self, Check};
use super::file::{RawDistribution, RawEffect, ScenarioFile};
use super::limits;
use super::source::{FieldPath, Problem};
use super::{Scenario, SimulationSettings};
use crate::model::catalogue::{self, resolve, unique};
use crate::model::correlation::CorrelationError;
use crate::model::{
    BenefitModel, Catalogue, CorrelationModel, Defaults, Effect, LEVERS, Mitigation, Project,
    Strategy,
};
use nalgebra::DMatrix;

/// Largest money amount accepted anywhere (10 trillion).
const MAX_MONEY: f64 = 1e13;

pub fn validate(
    raw: ScenarioFile,
    catalogue: &Catalogue,
    defaults: &Defaults,
    origin: &str,
) -> Check<Scenario> {
    let root = FieldPath::root();
    // Citations are labels of the built-in source registry (tested valid), so a reader can
    // follow every one.
    let registry = crate::model::sources::Registry::builtin().map_err(|e| {
        Problem::new(
            &root,
            e.to_string(),
            "this is a bug in crmcast's built-in data: please report it",
        )
    })?;
    registry.check_citations(&root.key("scenario").key("sources"), &raw.scenario.sources)?;
    let project = project(&raw, catalogue, defaults)?;
    let benefits = benefits(&raw, defaults)?;
    super::ranges::benefit_within_range(&project, &benefits)?;

    // Catalogue factors with the scenario's overrides.
    let mut factors = catalogue.factors.clone();
    if factors.len() > limits::MAX_FACTORS {
        return Err(Problem::new(
            &root,
            format!(
                "{} factors exceed the limit of {}",
                factors.len(),
                limits::MAX_FACTORS
            ),
            "use fewer factors",
        ));
    }
    let factor_ids = || catalogue.factors.iter().map(|f| f.id.as_str());
    for (name, over) in &raw.factors {
        let path = root.key("factors").key(name);
        let index = resolve(&path, "factor", name, factor_ids())?;
        let factor = &mut factors[index];
        if let Some(p) = over.probability {
            factor.probability = checks::probability(&path.key("probability"), p)?;
        }
        if let Some(severity) = &over.severity {
            factor.severity = checks::severity(&path.key("severity"), severity)?;
        }
        if let Some(impact) = &over.impact {
            factor.impact = catalogue::impact(&path.key("impact"), impact, Some(factor.impact))?;
        }
    }

    let correlation = correlation(&raw, catalogue, &factors)?;
    let mitigations = mitigations(&raw, &factors, &registry)?;
    let (strategies, baseline) = strategies(&raw, &mitigations)?;

    let simulation = SimulationSettings {
        trials: match raw.simulation.trials {
            Some(t) if t == 0 || t > limits::MAX_TRIALS => {
                return Err(Problem::new(
                    &root.key("simulation").key("trials"),
                    format!(
                        "{t} trials is outside the valid range [1, {}]",
                        limits::MAX_TRIALS
                    ),
                    "give a whole number of trials between 1 and 10_000_000_000, e.g. 100_000",
                ));
            }
            Some(t) => t,
            None => limits::DEFAULT_TRIALS,
        },
        seed: raw.simulation.seed.unwrap_or(limits::DEFAULT_SEED),
    };

    let outside_view = outside_view(&raw.outside_view)?;
    Ok(Scenario {
        name: raw.scenario.name,
        description: raw.scenario.description,
        sources: raw.scenario.sources,
        origin: origin.to_string(),
        catalogue_version: catalogue.version.clone(),
        project,
        benefits,
        groups: catalogue.groups.clone(),
        categories: catalogue.categories.clone(),
        factors,
        correlation,
        mitigations,
        strategies,
        baseline,
        simulation,
        source_text: String::new(),
        catalogue_text: None,
        // The scenario keeps the catalogue's factors in catalogue order (overrides change
        // values, not the list), so the table's factor indices carry over unchanged.
        uncertainty: catalogue.uncertainty.clone(),
        outside_view,
        progress: catalogue::progress(
            &root.key("progress"),
            &raw.progress.clone().unwrap_or_default(),
            Some(defaults.progress),
        )?,
    })
}

fn outside_view(raw: &Option<super::file::RawOutsideView>) -> Check<Option<super::OutsideView>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let path = FieldPath::root().key("outside_view");
    let weight = checks::in_range(&path.key("weight"), raw.weight, 0.0, 1.0)?;
    let source = match (&raw.class, &raw.data) {
        (Some(class), None) if class == "builtin" => super::OutsideSource::Builtin,
        (Some(class), None) => {
            return Err(Problem::new(
                &path.key("class"),
                format!("unknown reference class \"{class}\""),
                "write class = \"builtin\" (IT projects, data/reference_class.toml), or data = \"past_projects.csv\"",
            ));
        }
        (None, Some(file)) => super::OutsideSource::Data(file.clone()),
        _ => {
            return Err(Problem::new(
                &path,
                "name exactly one of `class` or `data`",
                "write class = \"builtin\", or data = \"past_projects.csv\" (a CSV next to the scenario)",
            ));
        }
    };
    Ok(Some(super::OutsideView {
        weight,
        source,
        overruns: None,
    }))
}

fn project(raw: &ScenarioFile, catalogue: &Catalogue, defaults: &Defaults) -> Check<Project> {
    let path = FieldPath::root().key("project");
    let p = &raw.project;
    let objectives = catalogue::objectives(
        &path.key("objectives"),
        &p.objectives.clone().unwrap_or_default(),
        Some(defaults.objectives),
    )?;
    let failure = catalogue::failure(
        &path.key("failure"),
        &p.failure.clone().unwrap_or_default(),
        Some(defaults.failure),
    )?;
    if failure.benefit_realisation_below > objectives.min_benefit_realisation {
        return Err(Problem::new(
            &path.key("failure").key("benefit_realisation_below"),
            format!(
                "a project failing below {} realisation could still meet the success objective of {}",
                failure.benefit_realisation_below, objectives.min_benefit_realisation
            ),
            "keep failure.benefit_realisation_below at or under objectives.min_benefit_realisation",
        ));
    }
    if failure.overrun_at_least < objectives.max_overrun {
        return Err(Problem::new(
            &path.key("failure").key("overrun_at_least"),
            format!(
                "a failing overrun of {} is below the success limit of {}",
                failure.overrun_at_least, objectives.max_overrun
            ),
            if objectives.max_overrun > 1.0 {
                format!(
                    "keep failure.overrun_at_least at or above objectives.max_overrun; if max_overrun = {} was meant as {} %, write {}",
                    objectives.max_overrun,
                    objectives.max_overrun,
                    super::units::as_fraction(objectives.max_overrun)
                )
            } else {
                "keep failure.overrun_at_least at or above objectives.max_overrun".into()
            },
        ));
    }
    Ok(Project {
        currency: p.currency.clone().unwrap_or_else(|| "EUR".into()),
        salvage_value: checks::in_range(
            &path.key("salvage_value"),
            p.salvage_value.unwrap_or(0.0),
            0.0,
            MAX_MONEY,
        )?,
        budget: checks::in_range(&path.key("budget"), p.budget, 1.0, MAX_MONEY)?,
        duration_months: checks::positive(&path.key("duration_months"), p.duration_months, 600.0)?,
        horizon_years: checks::positive(&path.key("horizon_years"), p.horizon_years, 100.0)?,
        discount_rate: checks::in_range(&path.key("discount_rate"), p.discount_rate, -0.5, 1.0)?,
        team_burn_share: checks::in_range(
            &path.key("team_burn_share"),
            p.team_burn_share.unwrap_or(defaults.team_burn_share),
            0.0,
            10.0,
        )?,
        failed_benefit_share: checks::probability(
            &path.key("failed_benefit_share"),
            p.failed_benefit_share
                .unwrap_or(defaults.failed_benefit_share),
        )?,
        objectives,
        failure,
        estimate: catalogue::estimate(
            &path.key("estimate"),
            &p.estimate.clone().unwrap_or_default(),
            Some(catalogue.estimate),
        )?,
        runaway: catalogue::runaway(
            &path.key("runaway"),
            &p.runaway.clone().unwrap_or_default(),
            Some(catalogue.runaway),
        )?,
    })
}

fn benefits(raw: &ScenarioFile, defaults: &Defaults) -> Check<BenefitModel> {
    let path = FieldPath::root().key("benefits");
    let b = &raw.benefits;
    match b.model.as_str() {
        "direct" => {
            let annual = b.annual.as_ref().ok_or_else(|| {
                Problem::new(
                    &path,
                    "the direct benefit model needs `annual`",
                    "add `annual = { min = 100_000.0, mode = 250_000.0, max = 400_000.0 }`",
                )
            })?;
            refuse_keys(
                &path,
                &[
                    ("baseline_revenue", b.baseline_revenue.is_some()),
                    ("margin", b.margin.is_some()),
                    ("levers", b.levers.is_some()),
                ],
                "direct",
            )?;
            Ok(BenefitModel::Direct {
                annual: checks::distribution(&path.key("annual"), annual, 0.0, MAX_MONEY)?,
            })
        }
        "levers" => {
            refuse_keys(&path, &[("annual", b.annual.is_some())], "levers")?;
            let revenue = checks::required(
                &path.key("baseline_revenue"),
                b.baseline_revenue,
                "baseline_revenue = 50_000_000.0",
            )?;
            let margin = checks::required(&path.key("margin"), b.margin, "margin = 0.25")?;
            let given = b.levers.clone().unwrap_or_default();
            let lever_path = path.key("levers");
            let mut uplifts = defaults.levers;
            for (i, raw_lever) in given.in_order().into_iter().enumerate() {
                if let Some(raw_lever) = raw_lever {
                    uplifts[i] = lever(&lever_path.key(LEVERS[i]), raw_lever)?;
                }
            }
            Ok(BenefitModel::Levers {
                baseline_revenue: checks::positive(
                    &path.key("baseline_revenue"),
                    revenue,
                    MAX_MONEY,
                )?,
                margin: checks::probability(&path.key("margin"), margin)?,
                churn_rate: checks::probability(
                    &path.key("churn_rate"),
                    b.churn_rate.unwrap_or(defaults.churn_rate),
                )?,
                uplifts,
            })
        }
        other => {
            let hint = super::suggest::closest(other, ["direct", "levers"])
                .map(|m| format!("did you mean \"{m}\"? "))
                .unwrap_or_default();
            Err(Problem::new(
                &path.key("model"),
                format!("unknown benefit model \"{other}\""),
                format!("{hint}use \"direct\" or \"levers\""),
            ))
        }
    }
}

fn lever(path: &FieldPath, raw: &RawDistribution) -> Check<crate::model::Continuous> {
    checks::distribution(path, raw, -0.99, 10.0)
}

fn refuse_keys(path: &FieldPath, keys: &[(&str, bool)], model: &str) -> Check<()> {
    match keys.iter().find(|(_, present)| *present) {
        Some((key, _)) => Err(Problem::new(
            &path.key(key),
            format!("`{key}` does not belong to the \"{model}\" benefit model"),
            "remove it, or change `model`",
        )),
        None => Ok(()),
    }
}

/// The factor correlation matrix before its check: the catalogue's own (category structure)
/// and the scenario's `[[correlations]]` entries, each checked and resolved to a pair.
pub struct CorrelationParts {
    /// From the catalogue's categories alone.
    pub catalogue: DMatrix<f64>,
    /// `(entry, i, j, rho)`: the k-th `[[correlations]]` entry sets ρ_ij.
    pub overrides: Vec<(usize, usize, usize, f64)>,
}

impl CorrelationParts {
    /// The catalogue's matrix with the overrides written over it.
    pub fn matrix(&self) -> DMatrix<f64> {
        let mut matrix = self.catalogue.clone();
        for &(_, a, b, rho) in &self.overrides {
            matrix[(a, b)] = rho;
            matrix[(b, a)] = rho;
        }
        matrix
    }
}

/// The parts of the correlation matrix `raw` and `catalogue` give (`factors` in catalogue
/// order), every `[[correlations]]` entry checked.
pub fn correlation_parts(
    raw: &ScenarioFile,
    catalogue: &Catalogue,
    factors: &[crate::model::Factor],
) -> Check<CorrelationParts> {
    let n = factors.len();
    let mut matrix = DMatrix::<f64>::identity(n, n);
    for i in 0..n {
        for j in 0..i {
            let rho = catalogue.factor_correlation(&factors[i], &factors[j]);
            matrix[(i, j)] = rho;
            matrix[(j, i)] = rho;
        }
    }
    let ids = || factors.iter().map(|f| f.id.as_str());
    let mut seen = std::collections::BTreeSet::new();
    let mut overrides = Vec::with_capacity(raw.correlations.len());
    for (k, pair) in raw.correlations.iter().enumerate() {
        let path = FieldPath::root().key("correlations").index(k);
        if pair.factors.len() != 2 {
            return Err(Problem::new(
                &path.key("factors"),
                format!(
                    "{} factors given; a correlation joins exactly two",
                    pair.factors.len()
                ),
                "write `factors = [\"a\", \"b\"]`",
            ));
        }
        let a = resolve(
            &path.key("factors").index(0),
            "factor",
            &pair.factors[0],
            ids(),
        )?;
        let b = resolve(
            &path.key("factors").index(1),
            "factor",
            &pair.factors[1],
            ids(),
        )?;
        if a == b {
            return Err(Problem::new(
                &path.key("factors"),
                "a factor is always perfectly correlated with itself",
                "name two different factors",
            ));
        }
        if !seen.insert((a.min(b), a.max(b))) {
            return Err(Problem::new(
                &path,
                "this pair is given twice",
                "keep one entry per pair",
            ));
        }
        let rho = checks::in_range(&path.key("rho"), pair.rho, -0.99, 0.99)?;
        overrides.push((k, a, b, rho));
    }
    Ok(CorrelationParts {
        catalogue: matrix,
        overrides,
    })
}

fn correlation(
    raw: &ScenarioFile,
    catalogue: &Catalogue,
    factors: &[crate::model::Factor],
) -> Check<CorrelationModel> {
    let matrix = correlation_parts(raw, catalogue, factors)?.matrix();
    CorrelationModel::new(matrix).map_err(|CorrelationError::NotPositiveDefinite { smallest_eigenvalue }| {
        let path = if raw.correlations.is_empty() { FieldPath::root() } else { FieldPath::root().key("correlations") };
        Problem::new(
            &path,
            format!("the factor correlation matrix is not positive-definite (smallest eigenvalue {smallest_eigenvalue:.4}): these correlations cannot hold together"),
            "run `crmcast validate SCENARIO --repair-correlations OUT.toml` to write the scenario with the nearest valid correlations (only the [[correlations]] entries change); or weaken the strongest entries yourself, or make the signs consistent (if a~b and b~c are strongly positive, a~c cannot be strongly negative)",
        )
    })
}

fn mitigations(
    raw: &ScenarioFile,
    factors: &[crate::model::Factor],
    registry: &crate::model::sources::Registry,
) -> Check<Vec<Mitigation>> {
    let root = FieldPath::root().key("mitigations");
    if raw.mitigations.len() > limits::MAX_MITIGATIONS {
        return Err(Problem::new(
            &root,
            format!(
                "{} mitigations exceed the limit of {}",
                raw.mitigations.len(),
                limits::MAX_MITIGATIONS
            ),
            "merge or drop mitigations",
        ));
    }
    unique(&root, raw.mitigations.iter().map(|m| m.id.as_str()))?;
    let ids = || factors.iter().map(|f| f.id.as_str());
    let mut out = Vec::new();
    for (k, m) in raw.mitigations.iter().enumerate() {
        let path = root.index(k);
        valid_id(&path.key("id"), &m.id)?;
        registry.check_citations(&path.key("sources"), &m.sources)?;
        if m.effects.is_empty() {
            return Err(Problem::new(
                &path,
                format!("mitigation \"{}\" acts on no factor", m.id),
                "add a [[mitigations.effects]] entry with `factor` and `probability` and/or `severity`",
            ));
        }
        let mut effects = Vec::new();
        for (e, raw_effect) in m.effects.iter().enumerate() {
            let effect_path = path.key("effects").index(e);
            let factor = resolve(
                &effect_path.key("factor"),
                "factor",
                &raw_effect.factor,
                ids(),
            )?;
            if effects.iter().any(|x: &Effect| x.factor == factor) {
                return Err(Problem::new(
                    &effect_path.key("factor"),
                    format!(
                        "factor \"{}\" appears twice in this mitigation",
                        raw_effect.factor
                    ),
                    "combine the two effects into one",
                ));
            }
            effects.push(effect(&effect_path, raw_effect, factor)?);
        }
        out.push(Mitigation {
            id: m.id.clone(),
            name: m.name.clone().unwrap_or_else(|| m.id.clone()),
            description: m.description.clone(),
            sources: m.sources.clone(),
            cost: checks::distribution(&path.key("cost"), &m.cost, 0.0, MAX_MONEY)?,
            effects,
        });
    }
    Ok(out)
}

/// Longest `evidence` text accepted.
pub const MAX_EVIDENCE_CHARS: usize = 1000;

/// One `[[mitigations.effects]]` entry at `path`, its factor resolved to `factor`: the two
/// multipliers, their optional ranges and the evidence.
fn effect(path: &FieldPath, raw: &RawEffect, factor: usize) -> Check<Effect> {
    let (given_range, given_multiplier) = (
        raw.probability_range.is_some() || raw.severity_range.is_some(),
        raw.probability.is_some() || raw.severity.is_some(),
    );
    if !given_multiplier && !given_range {
        return Err(Problem::new(
            path,
            "this effect changes nothing",
            "give `probability` and/or `severity` multipliers in [0, 1]",
        ));
    }
    let probability =
        checks::probability(&path.key("probability"), raw.probability.unwrap_or(1.0))?;
    let severity = checks::probability(&path.key("severity"), raw.severity.unwrap_or(1.0))?;
    Ok(Effect {
        factor,
        probability,
        severity,
        probability_range: multiplier_range(
            path,
            "probability",
            raw.probability.is_some(),
            probability,
            raw.probability_range.as_deref(),
        )?,
        severity_range: multiplier_range(
            path,
            "severity",
            raw.severity.is_some(),
            severity,
            raw.severity_range.as_deref(),
        )?,
        evidence: raw
            .evidence
            .as_deref()
            .map(|text| evidence(&path.key("evidence"), text))
            .transpose()?,
    })
}

/// The range `<key>_range = [low, high]` of the multiplier `key` (its value `multiplier`,
/// the default 1 when the key is not `given`): two numbers in [0, 1] around the multiplier.
fn multiplier_range(
    path: &FieldPath,
    key: &str,
    given: bool,
    multiplier: f64,
    range: Option<&[f64]>,
) -> Check<Option<[f64; 2]>> {
    let Some(range) = range else {
        return Ok(None);
    };
    let range_key = format!("{key}_range");
    let at = path.key(&range_key);
    let [low, high] = range else {
        return Err(Problem::new(
            &at,
            format!(
                "{} number{} given; a range is [low, high], two numbers",
                range.len(),
                if range.len() == 1 { "" } else { "s" }
            ),
            format!(
                "write `{range_key} = [low, high]` with 0 ≤ low ≤ {key} ≤ high ≤ 1, e.g. [{}, {}]",
                short((multiplier - 0.2).max(0.0)),
                short((multiplier + 0.2).min(1.0))
            ),
        ));
    };
    let low = checks::probability(&at.index(0), *low)?;
    let high = checks::probability(&at.index(1), *high)?;
    if low > high {
        return Err(Problem::new(
            &at,
            format!("low {low} is above high {high}"),
            format!("write the range as [low, high]: `{range_key} = [{high}, {low}]`"),
        ));
    }
    if !(low..=high).contains(&multiplier) {
        let what = if given {
            format!("the multiplier `{key} = {multiplier}`")
        } else {
            format!("without `{key}`, the multiplier is 1 (no change), which")
        };
        let fix = if given {
            format!(
                "widen the range to hold {multiplier} (e.g. [{}, {}]), or change `{key}`: the stated multiplier is the most likely value of the range",
                short(low.min(multiplier)),
                short(high.max(multiplier))
            )
        } else {
            format!(
                "add `{key} = …` (the most likely multiplier) inside the range, or end the range at 1"
            )
        };
        return Err(Problem::new(
            &at,
            format!("{what} lies outside [{low}, {high}]"),
            fix,
        ));
    }
    Ok(Some([low, high]))
}

/// `evidence`: a source, or "assumption" with its reason; not blank, at most
/// [`MAX_EVIDENCE_CHARS`] characters.
fn evidence(path: &FieldPath, text: &str) -> Check<String> {
    let trimmed = text.trim();
    let example = "e.g. \"Prosci, Best Practices in Change Management (2023)\" or \"assumption: the remedy the article names for this cause; no published effect size\"";
    if trimmed.is_empty() {
        return Err(Problem::new(
            path,
            "the evidence is empty",
            format!("say where the effect size comes from, {example}; or remove the key"),
        ));
    }
    let chars = trimmed.chars().count();
    if chars > MAX_EVIDENCE_CHARS {
        return Err(Problem::new(
            path,
            format!("the evidence is {chars} characters long, more than {MAX_EVIDENCE_CHARS}"),
            "cite the source briefly (author, title, year) and keep the discussion in a comment",
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Problem::new(
            path,
            "the evidence contains control characters",
            "write plain text",
        ));
    }
    let bare = trimmed
        .trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
        .eq_ignore_ascii_case("assumption");
    if bare {
        return Err(Problem::new(
            path,
            "\"assumption\" needs its reason",
            "write \"assumption: …\" with why the number is what it is (e.g. \"assumption: the remedy the article names for this cause; no published effect size\")",
        ));
    }
    Ok(trimmed.to_string())
}

/// A number as written in a message, rounded to two decimals.
fn short(x: f64) -> String {
    let rounded = (x * 100.0).round() / 100.0;
    format!("{rounded}")
}

fn strategies(raw: &ScenarioFile, mitigations: &[Mitigation]) -> Check<(Vec<Strategy>, usize)> {
    let root = FieldPath::root().key("strategies");
    if raw.strategies.is_empty() {
        return Err(Problem::new(
            &FieldPath::root(),
            "the scenario has no strategies",
            "add [[strategies]] with id = \"baseline\", baseline = true, mitigations = []",
        ));
    }
    if raw.strategies.len() > limits::MAX_STRATEGIES {
        return Err(Problem::new(
            &root,
            format!(
                "{} strategies exceed the limit of {}",
                raw.strategies.len(),
                limits::MAX_STRATEGIES
            ),
            "split the comparison into several files",
        ));
    }
    unique(&root, raw.strategies.iter().map(|s| s.id.as_str()))?;
    let baselines: Vec<usize> = raw
        .strategies
        .iter()
        .enumerate()
        .filter(|(_, s)| s.baseline)
        .map(|(i, _)| i)
        .collect();
    let baseline = match baselines.as_slice() {
        [one] => *one,
        [] => {
            return Err(Problem::new(
                &root,
                "no strategy is marked as the baseline",
                "add `baseline = true` to the strategy the others are compared with (usually the one without mitigations)",
            ));
        }
        [_, second, ..] => {
            return Err(Problem::new(
                &root.index(*second).key("baseline"),
                "more than one strategy is marked as the baseline",
                "keep `baseline = true` on one strategy only",
            ));
        }
    };
    let ids = || mitigations.iter().map(|m| m.id.as_str());
    let mut out = Vec::new();
    for (k, s) in raw.strategies.iter().enumerate() {
        let path = root.index(k);
        valid_id(&path.key("id"), &s.id)?;
        let mut chosen = Vec::new();
        for (j, name) in s.mitigations.iter().enumerate() {
            let index = resolve(&path.key("mitigations").index(j), "mitigation", name, ids())?;
            if chosen.contains(&index) {
                return Err(Problem::new(
                    &path.key("mitigations").index(j),
                    format!("mitigation \"{name}\" is listed twice"),
                    "list each mitigation once",
                ));
            }
            chosen.push(index);
        }
        out.push(Strategy {
            id: s.id.clone(),
            name: s.name.clone().unwrap_or_else(|| s.id.clone()),
            description: s.description.clone(),
            mitigations: chosen,
        });
    }
    Ok((out, baseline))
}

/// Ids appear in tables, CSV headers and file names: keep them plain.
fn valid_id(path: &FieldPath, id: &str) -> Check<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Problem::new(
            path,
            format!(
                "\"{}\" is not a valid id",
                id.chars().take(80).collect::<String>()
            ),
            "use 1 to 64 letters, digits, '_' or '-' (e.g. \"people_first\")",
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::Scenario;
    use crate::scenario::source::Source;

    /// A small scenario whose one mitigation has the effect lines `effect`.
    fn with_effect(effect: &str) -> Result<Scenario, String> {
        let text = format!(
            r#"[scenario]
name = "effects"
[project]
budget = 100_000.0
duration_months = 6.0
horizon_years = 3.0
discount_rate = 0.08
[benefits]
model = "direct"
annual = {{ value = 50_000.0 }}
[[mitigations]]
id = "coaching"
cost = {{ value = 1_000.0 }}
[[mitigations.effects]]
factor = "change_resistance"
{effect}
[[strategies]]
id = "base"
baseline = true
[[strategies]]
id = "coached"
mitigations = ["coaching"]
"#
        );
        Scenario::from_source(&Source::new("effects.toml", text)).map_err(|e| e.to_string())
    }

    fn refused(effect: &str, expect: &[&str]) {
        let message = with_effect(effect).expect_err(effect);
        for wanted in expect.iter().chain(&["fix:"]) {
            assert!(message.contains(wanted), "{wanted:?} missing:\n{message}");
        }
    }

    /// The small scenario of [`with_effect`] with `project` lines added to `[project]` and
    /// `tables` at the end.
    fn with_inputs(project: &str, tables: &str) -> Result<Scenario, String> {
        let text = format!(
            "[scenario]\nname = \"inputs\"\n[project]\nbudget = 100_000.0\nduration_months = 6.0\nhorizon_years = 3.0\ndiscount_rate = 0.08\n{project}\n[benefits]\nmodel = \"direct\"\nannual = {{ value = 50_000.0 }}\n[[strategies]]\nid = \"base\"\nbaseline = true\n{tables}\n"
        );
        Scenario::from_source(&Source::new("inputs.toml", text)).map_err(|e| e.to_string())
    }

    #[test]
    fn the_progress_defaults_are_data_defaults_toml() {
        use crate::model::progress::ProgressModel;
        let defaults = crate::model::Defaults::builtin().unwrap();
        assert_eq!(defaults.progress, ProgressModel::default());
        let scenario = with_inputs("", "").unwrap();
        assert_eq!(scenario.progress, ProgressModel::default());
        assert_eq!(scenario.project.salvage_value, 0.0);
        // Every shipped scenario keeps them (none has a [progress] table).
        assert_eq!(
            Scenario::builtin_default().unwrap().progress,
            ProgressModel::default()
        );
    }

    #[test]
    fn salvage_value_and_progress_are_read_and_checked() {
        let scenario = with_inputs(
            "salvage_value = 25_000.0",
            "[progress]\nprogress_sd = \"5%\"\ncost_concentration = 100",
        )
        .unwrap();
        assert_eq!(scenario.project.salvage_value, 25_000.0);
        assert_eq!(scenario.progress.progress_sd, 0.05);
        assert_eq!(scenario.progress.cost_concentration, 100.0);
        assert_eq!(
            scenario.progress.benefit_signal_sd,
            crate::model::progress::ProgressModel::default().benefit_signal_sd
        );
        let refused = |project: &str, tables: &str, expect: &[&str]| {
            let message = with_inputs(project, tables).expect_err(tables);
            for wanted in expect.iter().chain(&["fix:"]) {
                assert!(message.contains(wanted), "{wanted:?} missing:\n{message}");
            }
        };
        refused(
            "salvage_value = -1.0",
            "",
            &[
                "inputs.toml:8:",
                "project.salvage_value",
                "outside the valid range",
            ],
        );
        refused("salvage_value = nan", "", &["not a finite number"]);
        refused(
            "",
            "[progress]\nprogress_sd = 0",
            &["progress.progress_sd", "0 is not positive"],
        );
        refused(
            "",
            "[progress]\nprogress_sd = 10",
            &["progress.progress_sd", "write 0.10 for 10 %"],
        );
        refused(
            "",
            "[progress]\nbenefit_signal_sd = 1.5",
            &[
                "progress.benefit_signal_sd",
                "outside the valid range [0, 1]",
            ],
        );
        refused(
            "",
            "[progress]\ncost_concentration = 0.5",
            &["progress.cost_concentration", "[1, 10000]"],
        );
        refused(
            "",
            "[progress]\ncost_concentraton = 5",
            &["did you mean \"cost_concentration\""],
        );
    }

    #[test]
    fn ranges_and_evidence_are_carried_into_the_effect() {
        let scenario = with_effect(
            "probability = 0.5\nprobability_range = [0.3, 0.8]\nseverity = 0.9\nseverity_range = [0.7, 1.0]\nevidence = \"  assumption: no published effect size \"",
        )
        .unwrap();
        let effect = &scenario.mitigations[0].effects[0];
        assert_eq!(effect.probability_range, Some([0.3, 0.8]));
        assert_eq!(effect.severity_range, Some([0.7, 1.0]));
        assert_eq!(
            effect.evidence.as_deref(),
            Some("assumption: no published effect size")
        );
        // A range without its multiplier is around the default 1 (no change).
        let scenario = with_effect("severity_range = [0.6, 1.0]").unwrap();
        let effect = &scenario.mitigations[0].effects[0];
        assert_eq!((effect.probability, effect.severity), (1.0, 1.0));
        assert_eq!(effect.severity_range, Some([0.6, 1.0]));
        assert_eq!(effect.probability_range, None);
        // Degenerate ranges are fine: the multiplier is then fixed even when drawn.
        assert!(with_effect("probability = 0.5\nprobability_range = [0.5, 0.5]").is_ok());
        assert_eq!(scenario.ranged_multipliers().len(), 1);
    }

    #[test]
    fn bad_ranges_are_refused_with_the_key_and_a_fix() {
        refused(
            "probability = 0.5\nprobability_range = [0.3]",
            &[
                "mitigations[0].effects[0].probability_range",
                "1 number given",
                "[low, high]",
            ],
        );
        refused(
            "probability = 0.5\nprobability_range = [0.3, 0.5, 0.8]",
            &["probability_range", "3 numbers given"],
        );
        refused(
            "probability = 0.5\nprobability_range = [0.8, 0.3]",
            &[
                "probability_range",
                "low 0.8 is above high 0.3",
                "[0.3, 0.8]",
            ],
        );
        refused(
            "probability = 0.5\nprobability_range = [0.6, 0.9]",
            &[
                "probability_range",
                "the multiplier `probability = 0.5` lies outside [0.6, 0.9]",
                "widen the range",
            ],
        );
        refused(
            "severity = 0.5\nseverity_range = [-0.1, 0.8]",
            &[
                "mitigations[0].effects[0].severity_range[0]",
                "-0.1 is outside the valid range [0, 1]",
            ],
        );
        refused(
            "severity = 0.5\nseverity_range = [0.2, 1.5]",
            &["severity_range[1]", "1.5 is outside the valid range [0, 1]"],
        );
        refused(
            "severity = 0.5\nseverity_range = [0.2, nan]",
            &["severity_range[1]", "not a finite number"],
        );
        refused(
            "probability = 0.5\nseverity_range = [0.2, 0.8]",
            &[
                "severity_range",
                "without `severity`, the multiplier is 1",
                "add `severity = …`",
            ],
        );
    }

    #[test]
    fn bad_evidence_is_refused_with_the_key_and_a_fix() {
        refused(
            "probability = 0.5\nevidence = \"   \"",
            &[
                "mitigations[0].effects[0].evidence",
                "the evidence is empty",
            ],
        );
        refused(
            "probability = 0.5\nevidence = \"Assumption.\"",
            &["evidence", "needs its reason", "assumption: …"],
        );
        let long = "x".repeat(super::MAX_EVIDENCE_CHARS + 1);
        refused(
            &format!("probability = 0.5\nevidence = \"{long}\""),
            &["evidence", "1001 characters long"],
        );
        refused(
            "probability = 0.5\nevidence = \"a\\u0007b\"",
            &["evidence", "control characters"],
        );
        // Still refused: an effect that changes nothing.
        refused(
            "evidence = \"assumption: nothing\"",
            &["this effect changes nothing"],
        );
    }
}
