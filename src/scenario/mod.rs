//! Scenario files: their TOML format ([`file`]), validation into a [`Scenario`] ([`validate`]),
//! and errors that point at the file, line and column ([`source`]).
//!
//! Validation happens once, here, at the edge: inside the engine nothing can fail.

pub mod checks;
pub mod file;
pub mod source;
pub mod suggest;
mod validate;

use crate::error::Error;
use crate::model::{
    BenefitModel, Catalogue, Category, CorrelationModel, Factor, Group, Mitigation, Project,
    Strategy,
};
use serde::Serialize;
use source::Source;
use std::path::Path;

/// The built-in default scenario (the calibration scenario), embedded from `scenarios/default.toml`.
pub const BUILTIN_DEFAULT: &str = include_str!("../../scenarios/default.toml");

/// Limits that keep a hostile or mistaken file from exhausting the machine.
pub mod limits {
    pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
    pub const MAX_FACTORS: usize = 256;
    pub const MAX_MITIGATIONS: usize = 64;
    pub const MAX_STRATEGIES: usize = 64;
    pub const MAX_TRIALS: u64 = 10_000_000_000;
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
}

impl Scenario {
    /// Read, parse and validate a scenario file against the built-in catalogue.
    pub fn load(path: &Path) -> Result<Scenario, Error> {
        let name = path.display().to_string();
        let metadata = std::fs::metadata(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if metadata.len() > limits::MAX_FILE_BYTES {
            return Err(Error::TooLarge {
                path: name,
                size: metadata.len(),
                limit: limits::MAX_FILE_BYTES,
            });
        }
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
            path: name.clone(),
            offset: e.utf8_error().valid_up_to(),
        })?;
        Scenario::from_source(&Source::new(name, text))
    }

    /// Parse and validate scenario text.
    pub fn from_source(source: &Source) -> Result<Scenario, Error> {
        let raw: file::ScenarioFile = source.parse()?;
        let catalogue = Catalogue::builtin()?;
        let defaults = crate::model::Defaults::builtin()?;
        let mut scenario = validate::validate(raw, &catalogue, &defaults, &source.name)
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
}
