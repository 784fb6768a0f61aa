//! Scenario files: their TOML format ([`file`]), validation into a [`Scenario`] ([`validate`]),
//! and errors that point at the file, line and column ([`source`]).
//!
//! Validation happens once, here, at the edge: inside the engine nothing can fail.

pub mod checks;
pub mod data_file;
pub mod file;
pub mod fraction;
pub mod overruns;
pub mod plausibility;
mod ranges;
pub mod repair;
pub mod source;
pub mod status;
mod strings;
pub mod suggest;
mod units;
mod validate;

use crate::error::Error;
use crate::input;
use crate::model::{
    BenefitModel, Catalogue, Category, CorrelationModel, Factor, Group, Mitigation, MultiplierKind,
    Parameter, ParameterUncertainty, Project, RangedMultiplier, Strategy,
};
use serde::Serialize;
use source::{FieldPath, Problem, Source};
use std::path::Path;

/// The built-in default scenario (the calibration scenario), embedded from `scenarios/default.toml`.
pub const BUILTIN_DEFAULT: &str = include_str!("../../scenarios/default.toml");

/// Limits that keep a hostile or mistaken file from exhausting the machine.
pub mod limits {
    pub const MAX_FILE_BYTES: u64 = crate::input::MAX_TOML_BYTES;
    pub const MAX_FACTORS: usize = 256;
    pub const MAX_MITIGATIONS: usize = 64;
    pub const MAX_STRATEGIES: usize = 64;
    pub const MAX_TRIALS: u64 = 10_000_000_000;
    /// The largest annual benefit times the horizon's annuity factor, in budgets
    /// (`ranges::benefit_within_range`): 2¹⁸, a quarter of the 2²⁰ budgets the fixed-point
    /// accumulators hold exactly, leaving room for the investment in the NPV.
    pub const MAX_BENEFIT_PER_BUDGET: f64 = 262_144.0;
    pub const DEFAULT_TRIALS: u64 = 100_000;
    pub const DEFAULT_SEED: u64 = 20011;
}

#[derive(Debug, Clone, Serialize)]
pub struct SimulationSettings {
    pub trials: u64,
    pub seed: u64,
}

/// A validated scenario: the catalogue with the scenario's overrides applied, the project, the
/// mitigations and strategies by index, and the factored correlation matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub sources: Vec<String>,
    /// Where the scenario came from (a path, or "built-in default").
    pub origin: String,
    pub catalogue_version: String,
    pub project: Project,
    pub benefits: BenefitModel,
    pub groups: Vec<Group>,
    pub categories: Vec<Category>,
    pub factors: Vec<Factor>,
    #[serde(skip)]
    pub correlation: CorrelationModel,
    pub mitigations: Vec<Mitigation>,
    pub strategies: Vec<Strategy>,
    /// Index of the baseline strategy.
    pub baseline: usize,
    pub simulation: SimulationSettings,
    /// The text the scenario was read from (shard files carry it, so `merge` needs no paths).
    #[serde(skip)]
    pub source_text: String,
    /// The catalogue file the scenario used, when not the built-in one.
    #[serde(skip)]
    pub catalogue_text: Option<CatalogueText>,
    pub outside_view: Option<OutsideView>,
    /// The catalogue's `[uncertainty]` table, its factor indices valid for [`Self::factors`]
    /// (a scenario keeps the catalogue's factors in their order); drawn per trial only under
    /// `--parameter-uncertainty`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<ParameterUncertainty>,
    /// The progress model `crmcast update` conditions on (docs/UPDATE.md).
    pub progress: crate::model::progress::ProgressModel,
}

/// A scenario's outside view: a reference class of cost overruns blended with the factor
/// model's (MODEL.md §10b).
#[derive(Debug, Clone, Serialize)]
pub struct OutsideView {
    pub weight: f64,
    pub source: OutsideSource,
    /// The class's overruns, ascending, for a `data` class (read from the file next to the
    /// scenario, or carried by a shard file); `None` for the built-in class.
    #[serde(skip)]
    pub overruns: Option<Vec<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutsideSource {
    Builtin,
    Data(String),
}

/// A catalogue read from a file: where it came from and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CatalogueText {
    pub origin: String,
    pub text: String,
}

impl CatalogueText {
    pub fn read(path: &Path) -> Result<CatalogueText, Error> {
        Ok(CatalogueText {
            origin: path.display().to_string(),
            text: read_text(path)?,
        })
    }

    pub fn parse(&self) -> Result<Catalogue, Error> {
        Catalogue::parse(&Source::new(self.origin.clone(), self.text.clone()))
    }
}

/// Read a UTF-8 text file (scenario, catalogue, targets) of at most [`limits::MAX_FILE_BYTES`],
/// without its byte-order mark.
pub fn read_text(path: &Path) -> Result<String, Error> {
    input::read_text(path, input::Kind::Toml)
}

/// A file the scenario at `scenario_path` names at `key` (`catalogue`, `outside_view.data`):
/// a relative path that stays inside the scenario's folder once symbolic links are resolved
/// ([`input::named_by`]), so that a scenario cannot make crmcast read elsewhere. A refusal is
/// located at the key in the scenario, and says nothing of the named file's content.
fn named_file(
    source: &Source,
    scenario_path: &Path,
    named: &str,
    key: &[&str],
) -> Result<input::Named, Error> {
    use crate::terminal::escape_line;
    let field = key.iter().fold(FieldPath::root(), |path, k| path.key(k));
    let shown = escape_line(named);
    let problem = match input::named_by(scenario_path, named) {
        Ok(file) => return Ok(file),
        Err(input::Refusal::NotRelative) => Problem::new(
            &field,
            format!("\"{shown}\" is not a path inside the scenario's folder"),
            "name a file next to the scenario (e.g. \"calibrated.toml\" or \"past_projects.csv\")",
        ),
        Err(input::Refusal::Unreadable(error)) => Problem::new(
            &field,
            format!("cannot read \"{shown}\" (next to the scenario): {error}"),
            "check the name: the file must exist in the scenario's folder",
        ),
        Err(input::Refusal::Outside { resolved }) => Problem::new(
            &field,
            format!(
                "\"{shown}\" leads outside the scenario's folder through a symbolic link (to {}); it was not read",
                escape_line(&resolved.display().to_string())
            ),
            "copy the file into the scenario's folder instead of linking to it",
        ),
    };
    Err(source.problem(problem))
}

/// The catalogue the scenario `source`, read from `path`, is validated against: `catalogue`
/// when given, else the file the scenario names (`None`: the built-in one).
fn catalogue_for(
    source: &Source,
    path: &Path,
    catalogue: Option<&Path>,
) -> Result<Option<CatalogueText>, Error> {
    if let Some(file) = catalogue {
        return Ok(Some(CatalogueText::read(file)?));
    }
    let raw: file::ScenarioFile = source.parse()?;
    let Some(named) = raw.scenario.catalogue.as_deref() else {
        return Ok(None);
    };
    let file = named_file(source, path, named, &["scenario", "catalogue"])?;
    Ok(Some(CatalogueText {
        origin: file.shown.display().to_string(),
        text: read_text(&file.resolved).map_err(|e| input::renamed(e, &file.shown))?,
    }))
}

/// Parse a scenario file, then refuse numbers that read as percentages where a fraction is
/// meant ([`units`]): before validation, so the message is about the key the user wrote.
fn parse(source: &Source) -> Result<file::ScenarioFile, Error> {
    let raw: file::ScenarioFile = source.parse()?;
    let table: toml::Table = source.parse()?;
    units::check(&table).map_err(|problem| source.problem(problem))?;
    Ok(raw)
}

impl Scenario {
    /// Read, parse and validate a scenario file, with the catalogue it names (else the
    /// built-in one).
    pub fn load(path: &Path) -> Result<Scenario, Error> {
        Scenario::load_with(path, None)
    }

    /// Read a scenario file; `catalogue`, when given, replaces the catalogue the scenario names.
    pub fn load_with(path: &Path, catalogue: Option<&Path>) -> Result<Scenario, Error> {
        let source = Source::new(path.display().to_string(), read_text(path)?);
        let catalogue = catalogue_for(&source, path, catalogue)?;
        let mut scenario = Scenario::from_source_with(&source, catalogue)?;
        if let Some(view) = scenario.outside_view.as_mut()
            && let OutsideSource::Data(named) = &view.source
        {
            let file = named_file(&source, path, named, &["outside_view", "data"])?;
            let mut overruns = overruns::read_at(&file.resolved, &file.shown, "overrun")?.values;
            overruns.sort_by(f64::total_cmp);
            view.overruns = Some(overruns);
        }
        Ok(scenario)
    }

    /// Parse and validate scenario text against the built-in catalogue.
    pub fn from_source(source: &Source) -> Result<Scenario, Error> {
        Scenario::from_source_with(source, None)
    }

    /// Parse and validate scenario text against `catalogue` (the built-in one when `None`). A
    /// scenario that names a catalogue file needs it passed here: text has no folder to look in.
    pub fn from_source_with(
        source: &Source,
        catalogue: Option<CatalogueText>,
    ) -> Result<Scenario, Error> {
        let raw = parse(source)?;
        if raw.scenario.catalogue.is_some() && catalogue.is_none() {
            return Err(source.problem(Problem::new(
                &FieldPath::root().key("scenario").key("catalogue"),
                "a scenario read without its folder cannot name a catalogue file",
                "run it from its file, or pass the catalogue with --catalogue FILE",
            )));
        }
        let parsed = match &catalogue {
            Some(text) => text.parse()?,
            None => Catalogue::builtin()?,
        };
        let defaults = crate::model::Defaults::builtin()?;
        let mut scenario = validate::validate(raw, &parsed, &defaults, &source.name)
            .map_err(|problem| source.problem(problem))?;
        scenario.source_text = source.text.clone();
        scenario.catalogue_text = catalogue;
        Ok(scenario)
    }

    /// Validate scenario text against an in-memory catalogue, whatever catalogue the text
    /// names (calibration re-validates the scenario against each candidate catalogue).
    pub fn with_catalogue(source: &Source, catalogue: &Catalogue) -> Result<Scenario, Error> {
        let raw = parse(source)?;
        let defaults = crate::model::Defaults::builtin()?;
        let mut scenario = validate::validate(raw, catalogue, &defaults, &source.name)
            .map_err(|problem| source.problem(problem))?;
        scenario.source_text = source.text.clone();
        Ok(scenario)
    }

    /// The built-in default scenario.
    pub fn builtin_default() -> Result<Scenario, Error> {
        Scenario::from_source(&Source::new("built-in default scenario", BUILTIN_DEFAULT))
    }

    pub fn baseline_strategy(&self) -> &Strategy {
        &self.strategies[self.baseline]
    }

    /// The effect multipliers with a range, in the order a run draws them (`docs/MODEL.md` §8):
    /// drawn per trial under `--parameter-uncertainty`.
    pub fn ranged_multipliers(&self) -> Vec<RangedMultiplier> {
        crate::model::ranged_multipliers(&self.mitigations)
    }

    /// Whether `--parameter-uncertainty` has anything to draw: the catalogue's `[uncertainty]`
    /// table, or an effect multiplier with a range.
    pub fn has_uncertainty(&self) -> bool {
        self.uncertainty.is_some() || !self.ranged_multipliers().is_empty()
    }

    /// The value of an uncertain parameter in this scenario (after its overrides).
    pub fn parameter(&self, parameter: Parameter) -> f64 {
        let (f, e, r) = (&self.factors, &self.project.estimate, &self.project.runaway);
        match parameter {
            Parameter::Benefit(i) => f[i].impact.benefit,
            Parameter::Cost(i) => f[i].impact.cost,
            Parameter::Schedule(i) => f[i].impact.schedule,
            Parameter::Probability(i) => f[i].probability,
            Parameter::Runaway(i) => f[i].impact.runaway,
            Parameter::LogCostMean => e.log_cost_mean,
            Parameter::LogScheduleMean => e.log_schedule_mean,
            Parameter::LogCostSd => e.log_cost_sd,
            Parameter::LogScheduleSd => e.log_schedule_sd,
            Parameter::RunawayBase => r.base_probability,
            Parameter::RunawaySize => r.size_min,
            Parameter::RunawayTail => r.tail,
            Parameter::RunawaySchedule => r.schedule,
        }
    }

    /// Set an uncertain parameter (no range check: the caller clamps, as §4b does).
    pub fn set_parameter(&mut self, parameter: Parameter, value: f64) {
        let project = &mut self.project;
        let slot = match parameter {
            Parameter::Benefit(i) => &mut self.factors[i].impact.benefit,
            Parameter::Cost(i) => &mut self.factors[i].impact.cost,
            Parameter::Schedule(i) => &mut self.factors[i].impact.schedule,
            Parameter::Probability(i) => &mut self.factors[i].probability,
            Parameter::Runaway(i) => &mut self.factors[i].impact.runaway,
            Parameter::LogCostMean => &mut project.estimate.log_cost_mean,
            Parameter::LogScheduleMean => &mut project.estimate.log_schedule_mean,
            Parameter::LogCostSd => &mut project.estimate.log_cost_sd,
            Parameter::LogScheduleSd => &mut project.estimate.log_schedule_sd,
            Parameter::RunawayBase => &mut project.runaway.base_probability,
            Parameter::RunawaySize => &mut project.runaway.size_min,
            Parameter::RunawayTail => &mut project.runaway.tail,
            Parameter::RunawaySchedule => &mut project.runaway.schedule,
        };
        *slot = value;
    }

    /// This scenario with every uncertain quantity fixed at one draw: `parameters[k]` for the
    /// k-th parameter of the `[uncertainty]` table (already clamped), `multipliers[j]` for the
    /// j-th of [`Self::ranged_multipliers`]. The result has no `[uncertainty]` table and no
    /// ranges: a run of it draws nothing extra (the nested gain interval, `docs/MODEL.md` §8a).
    pub fn with_draw(&self, parameters: &[f64], multipliers: &[f64]) -> Scenario {
        let mut fixed = self.clone();
        if let Some(table) = fixed.uncertainty.take() {
            for (&parameter, &value) in table.parameters.iter().zip(parameters) {
                fixed.set_parameter(parameter, value);
            }
        }
        for (ranged, &value) in self.ranged_multipliers().iter().zip(multipliers) {
            let effect = &mut fixed.mitigations[ranged.mitigation].effects[ranged.effect];
            match ranged.kind {
                MultiplierKind::Probability => effect.probability = value,
                MultiplierKind::Severity => effect.severity = value,
            }
        }
        for mitigation in &mut fixed.mitigations {
            for effect in &mut mitigation.effects {
                effect.probability_range = None;
                effect.severity_range = None;
            }
        }
        fixed
    }
}
