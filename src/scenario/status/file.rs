//! The raw serde form of a status file, exactly as written (docs/STATUS.md). Unknown keys and
//! tables are refused with "did you mean", so that a typo never silently drops evidence.
//! Fractions (`percent_complete`, `benefit_signal`, a factor's `severity`) also take a
//! percentage in quotes ("40%", "40 %"); a percentage written as a number (`40`) is refused with
//! its fix before validation, as in scenarios.

use crate::error::Error;
use crate::scenario::source::{FieldPath, Problem, Source};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A status file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusFile {
    /// `[status]` (required): when, how far, how much.
    pub status: RawStatus,
    /// `[[bought]]`: mitigations already in place.
    #[serde(default)]
    pub bought: Vec<RawBought>,
    /// `[factors]`: per factor id, "present", "absent", "unknown" or
    /// `{ state = "present", severity = 0.6 }`. Read as plain TOML values and checked one by one
    /// ([`super::validate`]), so that every mistake is named at its key.
    #[serde(default)]
    pub factors: BTreeMap<String, toml::Value>,
}

/// `[status]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStatus {
    /// The scenario's name, as a check that the right files are paired.
    pub scenario: Option<String>,
    /// The status date: free text in quotes (a bare TOML date is accepted too).
    pub date: Option<toml::Value>,
    /// Months since the start, ≥ 0 (required).
    pub elapsed_months: f64,
    /// Project cost spent so far, in currency, mitigations excluded.
    pub cost_to_date: Option<f64>,
    /// Fraction of the work done: 0.40, "40%" or "40 %".
    #[serde(default, deserialize_with = "crate::scenario::fraction::optional")]
    pub percent_complete: Option<f64>,
    /// Earned value in currency (progress = earned value / budget); not with
    /// `percent_complete`.
    pub earned_value: Option<f64>,
    /// An early reading of the benefit realisation (adoption), a fraction.
    #[serde(default, deserialize_with = "crate::scenario::fraction::optional")]
    pub benefit_signal: Option<f64>,
}

/// `[[bought]]`: one mitigation in place and what it cost.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBought {
    /// A mitigation id of the scenario.
    pub mitigation: String,
    /// What it cost (sunk), in currency.
    pub cost: f64,
}

/// Every key a status file may hold, as `table.key` (docs/STATUS.md documents each; a test
/// keeps the two in step).
pub const KEYS: &[&str] = &[
    "status.scenario",
    "status.date",
    "status.elapsed_months",
    "status.cost_to_date",
    "status.percent_complete",
    "status.earned_value",
    "status.benefit_signal",
    "bought.mitigation",
    "bought.cost",
    "factors.state",
    "factors.severity",
];

/// Parse a status file: syntax, control characters, types and unknown keys (with their place
/// and "did you mean"), then percentages written as numbers.
pub fn parse(source: &Source) -> Result<StatusFile, Error> {
    let raw: StatusFile = source.parse()?;
    let table: toml::Table = source.parse()?;
    percentages(&table).map_err(|problem| source.problem(problem))?;
    Ok(raw)
}

/// A fraction above this and at most 100, written as a number, is a percentage (1.5 is more
/// likely a slip of the finger, and gets the range error).
const PERCENT_FROM: f64 = 2.0 - 1e-9;

/// The first fraction-valued number that reads as a percentage (`percent_complete = 40`), as a
/// problem at its place. A percentage string ("40%") says what it means and is not looked at.
fn percentages(table: &toml::Table) -> Result<(), Problem> {
    let root = FieldPath::root();
    let mut found: Vec<(FieldPath, &str, &toml::Value)> = Vec::new();
    if let Some(toml::Value::Table(status)) = table.get("status") {
        for key in ["percent_complete", "benefit_signal"] {
            if let Some(value) = status.get(key) {
                found.push((root.key("status").key(key), key, value));
            }
        }
    }
    if let Some(toml::Value::Table(factors)) = table.get("factors") {
        for (id, value) in factors {
            if let Some(severity) = value.as_table().and_then(|t| t.get("severity")) {
                found.push((
                    root.key("factors").key(id).key("severity"),
                    "severity",
                    severity,
                ));
            }
        }
    }
    for (path, shown, value) in found {
        let number = match value {
            toml::Value::Float(x) => *x,
            toml::Value::Integer(i) => *i as f64,
            _ => continue,
        };
        if number.is_finite() && number > PERCENT_FROM && number <= 100.0 {
            return Err(crate::scenario::units::percentage(&path, shown, number));
        }
    }
    Ok(())
}
