//! Likely mistakes in a valid status file: values each within range that a reviewer would
//! question (a status for another scenario, cost in cents, time in days, a finished project).
//! Warnings, not errors, as [`crate::scenario::plausibility`]: the update runs. Pure: the same
//! status and scenario give the same warnings.

use super::Status;
use crate::scenario::Scenario;
use crate::scenario::plausibility::Warning;
use crate::scenario::source::{FieldPath, Source};
use crate::scenario::units::trimmed;

/// The longest time since the start accepted, in months (a century): beyond, surely a unit
/// mistake.
pub const MAX_ELAPSED_MONTHS: f64 = 1200.0;
/// Cost to date over this many budgets is likely in the wrong unit (cents) or project.
pub const MAX_COST_PER_BUDGET: f64 = 5.0;
/// Time elapsed over this many planned durations is likely in the wrong unit (days, weeks).
pub const MAX_ELAPSED_PER_DURATION: f64 = 5.0;

/// Every likely mistake in `status` (read against `scenario`), in file order.
pub fn warnings(status: &Status, scenario: &Scenario) -> Vec<Warning> {
    let root = FieldPath::root().key("status");
    let project = &scenario.project;
    let money = |x: f64| format!("{x:.0} {}", project.currency);
    let mut found: Vec<(FieldPath, String, String)> = Vec::new();

    if let Some(name) = &status.scenario
        && name.trim() != scenario.name.trim()
    {
        found.push((
            root.key("scenario"),
            format!(
                "the status is for scenario \"{}\", but the scenario read is \"{}\"",
                crate::terminal::escape_line(name),
                crate::terminal::escape_line(&scenario.name)
            ),
            "check that the status and scenario files belong together, or correct `scenario`"
                .into(),
        ));
    }
    if status.elapsed_months > MAX_ELAPSED_PER_DURATION * project.duration_months {
        found.push((
            root.key("elapsed_months"),
            format!(
                "{} months elapsed is over {} times the planned {} months: entered in days or weeks?",
                trimmed(status.elapsed_months),
                trimmed(MAX_ELAPSED_PER_DURATION),
                trimmed(project.duration_months)
            ),
            "give elapsed_months in months since the start (6 weeks = 1.4)".into(),
        ));
    }
    if let Some(cost) = status.cost_to_date
        && cost > MAX_COST_PER_BUDGET * project.budget
    {
        found.push((
            root.key("cost_to_date"),
            format!(
                "a cost to date of {} is over {} times the budget of {}: entered in cents, or another project's?",
                money(cost),
                trimmed(MAX_COST_PER_BUDGET),
                money(project.budget)
            ),
            "give the project cost spent so far in the currency unit itself, like the budget".into(),
        ));
    }
    let progress_key = progress_key(&status.source_text);
    if status.progress == Some(1.0) {
        found.push((
            root.key(progress_key),
            "100 % complete: the update still treats the project as running, with work left".into(),
            "give the progress as measured (below 100 %); a finished project's outcome belongs in the forecast ledger (crmcast score)".into(),
        ));
    }
    if status.progress == Some(0.0)
        && let Some(cost) = status.cost_to_date.filter(|&c| c > 0.0)
    {
        found.push((
            root.key(progress_key),
            format!(
                "no progress, yet {} spent: the progress model then reads the spend as waste",
                money(cost)
            ),
            "give the share of the work done (e.g. \"10%\"), or leave percent_complete out if it is not measured".into(),
        ));
    }

    let source = (!status.source_text.is_empty())
        .then(|| Source::new(status.origin.clone(), status.source_text.clone()));
    let mut warnings: Vec<Warning> = found
        .into_iter()
        .map(|(path, message, fix)| Warning {
            location: source.as_ref().map(|s| s.locate(&path)),
            key: path.to_string(),
            message,
            fix,
        })
        .collect();
    warnings.sort_by_key(|w| w.location.as_ref().map(|l| (l.line, l.column)));
    warnings
}

/// The key the progress was given by: `earned_value` when the text has it, else
/// `percent_complete`.
fn progress_key(text: &str) -> &'static str {
    let table: Option<toml::Table> = toml::from_str(text).ok();
    let earned = table
        .as_ref()
        .and_then(|t| t.get("status"))
        .and_then(|s| s.get("earned_value"))
        .is_some();
    if earned {
        "earned_value"
    } else {
        "percent_complete"
    }
}
