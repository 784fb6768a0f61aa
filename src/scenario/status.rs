//! Status files: what has happened so far on a running project (docs/STATUS.md, docs/UPDATE.md).
//! This module owns the validated [`Status`] type; the TOML format ([`file`]) and its validation
//! against the scenario it describes ([`validate`]: file, line, the fix) turn a raw file into
//! one, and [`warnings`] lists the likely mistakes of a valid one. `crmcast update` conditions
//! the engine's trials on it.

mod file;
mod validate;
mod warnings;

#[cfg(test)]
mod tests;

pub use file::KEYS;
pub use warnings::{MAX_COST_PER_BUDGET, MAX_ELAPSED_MONTHS, MAX_ELAPSED_PER_DURATION, warnings};

use super::source::Source;
use crate::error::Error;
use serde::Serialize;

/// What has been observed of one factor by the time of the status.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FactorObservation {
    /// Nothing is known (the default for a factor the file does not list).
    Unknown,
    /// Not struck so far. It may still strike later: factors strike at a time uniform over the
    /// planned duration (assumption, docs/UPDATE.md).
    AbsentSoFar,
    /// Has struck. `severity` is the observed severity in [0, 1] under the mitigations in
    /// place, when one was rated.
    Present { severity: Option<f64> },
}

/// A mitigation already bought: its index into the scenario's mitigations and what it cost
/// (sunk, in currency).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BoughtMitigation {
    pub mitigation: usize,
    pub cost: f64,
}

/// A validated status of a running project. Every field is optional evidence: the empty status
/// ([`Status::empty`]) says nothing, and updating on it gives the prior forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// Where the status came from (a file name, never a folder), for the output.
    pub origin: String,
    /// The name of the scenario the status says it is for (`[status] scenario`), as written;
    /// a mismatch with the scenario's name is a warning ([`warnings`]).
    pub scenario: Option<String>,
    /// The status date as written (free text, e.g. "2026-11-30"), for the output and ledger.
    pub date: Option<String>,
    /// Months since the project started (≥ 0).
    pub elapsed_months: f64,
    /// Actual project cost to date, in currency, excluding the mitigations bought (their cost
    /// is in [`Self::bought`]). `None`: not reported.
    pub cost_to_date: Option<f64>,
    /// Fraction of the work complete in [0, 1] (from `percent_complete`, or `earned_value`
    /// divided by the budget). `None`: not reported.
    pub progress: Option<f64>,
    /// Mitigations already in place, with what they cost.
    pub bought: Vec<BoughtMitigation>,
    /// One observation per factor of the scenario, in catalogue order.
    pub factors: Vec<FactorObservation>,
    /// An early reading of the benefit realisation in [0, 1] (adoption, realisation to date).
    pub benefit_signal: Option<f64>,
    /// The text the status was read from, to place warnings at their line (empty for a status
    /// built in code).
    #[serde(skip)]
    pub source_text: String,
}

impl Status {
    /// The status that says nothing: time zero, no cost, no progress, nothing bought or seen.
    pub fn empty(factors: usize) -> Status {
        Status {
            origin: String::new(),
            scenario: None,
            date: None,
            elapsed_months: 0.0,
            cost_to_date: None,
            progress: None,
            bought: Vec::new(),
            factors: vec![FactorObservation::Unknown; factors],
            benefit_signal: None,
            source_text: String::new(),
        }
    }
}

/// Read and validate a status file against the scenario it describes (its factor and
/// mitigation ids), with errors that give the file, line and the fix. The file is read through
/// the input layer (a regular file, at most 1 MiB, UTF-8, byte-order mark dropped); the status
/// keeps only the file's name as its origin, never its folder.
pub fn load(path: &std::path::Path, scenario: &super::Scenario) -> Result<Status, Error> {
    let text = super::read_text(path)?;
    let mut status = load_str(&text, &path.display().to_string(), scenario)?;
    status.origin = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(status)
}

/// Parse and validate status text against `scenario`; `origin` names the text in messages
/// (a path, or e.g. "status.toml") and becomes [`Status::origin`].
pub fn load_str(text: &str, origin: &str, scenario: &super::Scenario) -> Result<Status, Error> {
    let source = Source::new(origin, text);
    let raw = file::parse(&source)?;
    let mut status =
        validate::validate(raw, scenario).map_err(|problem| source.problem(problem))?;
    status.origin = origin.to_string();
    status.source_text = text.to_string();
    Ok(status)
}
