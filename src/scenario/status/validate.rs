//! From a raw [`StatusFile`] to a validated [`Status`], against the scenario it describes:
//! ids resolved (with "did you mean"), every number range-checked, and observations the plan as
//! it stands cannot produce refused here rather than left to give every trial weight zero.

use super::file::{RawStatus, StatusFile};
use super::{BoughtMitigation, FactorObservation, Status};
use crate::model::Severity;
use crate::model::catalogue::resolve;
use crate::scenario::Scenario;
use crate::scenario::checks::{self, Check};
use crate::scenario::source::{FieldPath, Problem};
use crate::scenario::units::trimmed;

/// Largest money amount accepted (as in scenarios: 10 trillion).
const MAX_MONEY: f64 = 1e13;
/// Longest free text accepted for `date` and `scenario`.
const MAX_TEXT_CHARS: usize = 500;
/// Slack on the bounds of an observed severity, for multipliers that do not multiply exactly
/// in binary (0.7 × 0.5 written as 0.35).
const SEVERITY_SLACK: f64 = 1e-9;

const STATES: [&str; 3] = ["present", "absent", "unknown"];
const STATE_FIX: &str = "write \"present\", \"absent\" (not struck so far) or \"unknown\", or { state = \"present\", severity = 0.6 }";

pub fn validate(raw: StatusFile, scenario: &Scenario) -> Check<Status> {
    let root = FieldPath::root();
    let status_path = root.key("status");
    let s = &raw.status;
    let elapsed_months = checks::in_range(
        &status_path.key("elapsed_months"),
        s.elapsed_months,
        0.0,
        super::MAX_ELAPSED_MONTHS,
    )?;
    let cost_to_date = s
        .cost_to_date
        .map(|x| checks::in_range(&status_path.key("cost_to_date"), x, 0.0, MAX_MONEY))
        .transpose()?;
    // The progress model reads cost to date as a share of the final cost: after the start
    // a running project has spent something (a share of 0 has no density to weigh).
    if elapsed_months > 0.0 && cost_to_date == Some(0.0) {
        return Err(Problem::new(
            &status_path.key("cost_to_date"),
            format!(
                "a cost to date of 0 after {} months: a running project has spent something",
                trimmed(elapsed_months)
            ),
            "give the project cost spent so far, or leave cost_to_date out if it is not known",
        ));
    }
    let progress = progress(s, scenario)?;
    let benefit_signal = s
        .benefit_signal
        .map(|x| checks::probability(&status_path.key("benefit_signal"), x))
        .transpose()?;
    let bought = bought(&raw, scenario)?;
    let factors = factors(&raw, scenario, &bought, elapsed_months)?;
    Ok(Status {
        origin: String::new(),
        scenario: s
            .scenario
            .as_deref()
            .map(|name| text(&status_path.key("scenario"), name))
            .transpose()?,
        date: date(&status_path.key("date"), s.date.as_ref())?,
        elapsed_months,
        cost_to_date,
        progress,
        bought,
        factors,
        benefit_signal,
        source_text: String::new(),
    })
}

/// A short free text: not blank, at most [`MAX_TEXT_CHARS`] characters (control characters
/// are refused for every string by the parser).
fn text(path: &FieldPath, value: &str) -> Check<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Problem::new(
            path,
            "this text is empty",
            "write it, or remove the key",
        ));
    }
    let chars = trimmed.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(Problem::new(
            path,
            format!("{chars} characters is more than {MAX_TEXT_CHARS}"),
            "keep it short (a date such as \"2026-08-31\", or the scenario's name)",
        ));
    }
    Ok(trimmed.to_string())
}

/// `date`: free text in quotes; a bare TOML date (`date = 2026-08-31`) is taken as written.
fn date(path: &FieldPath, value: Option<&toml::Value>) -> Check<Option<String>> {
    match value {
        None => Ok(None),
        Some(toml::Value::String(written)) => text(path, written).map(Some),
        Some(toml::Value::Datetime(datetime)) => Ok(Some(datetime.to_string())),
        Some(other) => Err(Problem::new(
            path,
            format!("a date is text, not a {}", other.type_str()),
            "write the date in quotes, e.g. date = \"2026-08-31\"",
        )),
    }
}

/// Progress from `percent_complete`, or `earned_value` over the budget; not both.
fn progress(s: &RawStatus, scenario: &Scenario) -> Check<Option<f64>> {
    let path = FieldPath::root().key("status");
    let budget = scenario.project.budget;
    match (s.percent_complete, s.earned_value) {
        (Some(_), Some(_)) => Err(Problem::new(
            &path.key("earned_value"),
            "both percent_complete and earned_value are given: they say the same thing twice",
            "keep one: percent_complete (a fraction, or \"40%\") or earned_value (the budgeted cost of the work done)",
        )),
        (Some(p), None) => checks::probability(&path.key("percent_complete"), p).map(Some),
        (None, Some(ev)) => {
            let ev = checks::in_range(&path.key("earned_value"), ev, 0.0, MAX_MONEY)?;
            if ev > budget {
                return Err(Problem::new(
                    &path.key("earned_value"),
                    format!(
                        "an earned value of {} is above the budget of {} {}: more than 100 % of the work done",
                        trimmed(ev),
                        trimmed(budget),
                        scenario.project.currency
                    ),
                    "earned value is the budgeted cost of the work done, at most the budget; for cost spent, use cost_to_date",
                ));
            }
            Ok(Some(ev / budget))
        }
        (None, None) => Ok(None),
    }
}

fn bought(raw: &StatusFile, scenario: &Scenario) -> Check<Vec<BoughtMitigation>> {
    let root = FieldPath::root().key("bought");
    let ids = || scenario.mitigations.iter().map(|m| m.id.as_str());
    let mut out: Vec<BoughtMitigation> = Vec::new();
    for (k, entry) in raw.bought.iter().enumerate() {
        let path = root.index(k);
        if scenario.mitigations.is_empty() {
            return Err(Problem::new(
                &path.key("mitigation"),
                format!(
                    "the scenario has no mitigations, so \"{}\" cannot be bought",
                    entry.mitigation
                ),
                "remove the [[bought]] entry, or add the mitigation to the scenario's [[mitigations]]",
            ));
        }
        let mitigation = resolve(
            &path.key("mitigation"),
            "mitigation",
            &entry.mitigation,
            ids(),
        )?;
        if let Some(first) = out.iter().position(|b| b.mitigation == mitigation) {
            return Err(Problem::new(
                &path.key("mitigation"),
                format!(
                    "mitigation \"{}\" is bought twice (also in [[bought]] entry {first}, counting from 0)",
                    entry.mitigation
                ),
                "list each mitigation once, with what it cost in all",
            ));
        }
        let cost = checks::in_range(&path.key("cost"), entry.cost, 0.0, MAX_MONEY)?;
        out.push(BoughtMitigation { mitigation, cost });
    }
    Ok(out)
}

/// The plan as it stands for factor `i`: its probability and severity multipliers under the
/// baseline strategy's mitigations and those bought (each mitigation once).
fn plan_multipliers(scenario: &Scenario, bought: &[BoughtMitigation], i: usize) -> (f64, f64) {
    let mut in_place: Vec<usize> = scenario.baseline_strategy().mitigations.clone();
    for b in bought {
        if !in_place.contains(&b.mitigation) {
            in_place.push(b.mitigation);
        }
    }
    let (mut probability, mut severity) = (1.0, 1.0);
    for m in in_place {
        for effect in scenario.mitigations[m]
            .effects
            .iter()
            .filter(|e| e.factor == i)
        {
            probability *= effect.probability;
            severity *= effect.severity;
        }
    }
    (probability, severity)
}

fn factors(
    raw: &StatusFile,
    scenario: &Scenario,
    bought: &[BoughtMitigation],
    elapsed: f64,
) -> Check<Vec<FactorObservation>> {
    let root = FieldPath::root().key("factors");
    let ids = || scenario.factors.iter().map(|f| f.id.as_str());
    let mut out = vec![FactorObservation::Unknown; scenario.factors.len()];
    // Past the planned end every factor that will strike has struck (strike times are uniform
    // over the plan: an assumption, docs/UPDATE.md).
    let plan_over = elapsed >= scenario.project.duration_months;
    for (id, value) in &raw.factors {
        let path = root.key(id);
        let i = resolve(&path, "factor", id, ids())?;
        let observation = observation(&path, value)?;
        let (p, g) = plan_multipliers(scenario, bought, i);
        let factor = &scenario.factors[i];
        let chance = factor.probability * p;
        match observation {
            FactorObservation::Present { severity } => {
                if elapsed <= 0.0 {
                    return Err(Problem::new(
                        &path,
                        format!(
                            "\"{id}\" is seen present at 0 months elapsed: nothing can have struck yet"
                        ),
                        "give the months since the start (elapsed_months), or mark the factor \"unknown\"",
                    ));
                }
                if chance <= 0.0 {
                    return Err(Problem::new(
                        &path,
                        format!(
                            "\"{id}\" is seen present, but the plan as it stands gives it no chance (probability {} × mitigation multipliers {} = 0)",
                            trimmed(factor.probability),
                            trimmed(p)
                        ),
                        "check the observation; or the scenario: a probability multiplier of 0 on a mitigation in place removes the factor entirely",
                    ));
                }
                if let Some(observed) = severity {
                    possible_severity(&path.key("severity"), id, factor.severity, g, observed)?;
                }
            }
            FactorObservation::AbsentSoFar if plan_over && chance >= 1.0 => {
                return Err(Problem::new(
                    &path,
                    format!(
                        "\"{id}\" is seen absent at the planned end, but the plan as it stands makes it certain (probability {})",
                        trimmed(chance)
                    ),
                    "check the observation, or lower the factor's probability in the scenario",
                ));
            }
            _ => {}
        }
        out[i] = observation;
    }
    Ok(out)
}

/// One `[factors]` value: a state word, or a table `{ state, severity }`.
fn observation(path: &FieldPath, value: &toml::Value) -> Check<FactorObservation> {
    match value {
        toml::Value::String(word) => state(path, word, None),
        toml::Value::Table(table) => {
            if let Some(key) = table
                .keys()
                .find(|k| !["state", "severity"].contains(&k.as_str()))
            {
                let hint = crate::scenario::suggest::closest(key, ["state", "severity"])
                    .map(|m| format!("did you mean \"{m}\"? "))
                    .unwrap_or_default();
                return Err(Problem::new(
                    &path.key(key),
                    format!("unknown key `{key}` in a factor's observation"),
                    format!("{hint}an observation takes `state` and, when present, `severity`"),
                ));
            }
            let word = match table.get("state") {
                Some(toml::Value::String(word)) => word,
                Some(_) => {
                    return Err(Problem::new(
                        &path.key("state"),
                        "the state is a word in quotes",
                        STATE_FIX,
                    ));
                }
                None => {
                    return Err(Problem::new(
                        path,
                        "this observation has no `state`",
                        "add state = \"present\" (a severity goes with a factor that has struck)",
                    ));
                }
            };
            let severity = table
                .get("severity")
                .map(|v| severity(&path.key("severity"), v))
                .transpose()?;
            state(&path.key("state"), word, severity)
        }
        other => Err(Problem::new(
            path,
            format!(
                "a factor's observation is a word or a table, not a {}",
                other.type_str()
            ),
            STATE_FIX,
        )),
    }
}

fn state(path: &FieldPath, word: &str, severity: Option<f64>) -> Check<FactorObservation> {
    let observation = match word {
        "present" => return Ok(FactorObservation::Present { severity }),
        "absent" => FactorObservation::AbsentSoFar,
        "unknown" => FactorObservation::Unknown,
        other => {
            let hint = crate::scenario::suggest::closest(other, STATES)
                .map(|m| format!("did you mean \"{m}\"? "))
                .unwrap_or_default();
            return Err(Problem::new(
                path,
                format!("unknown state \"{other}\""),
                format!("{hint}{STATE_FIX}"),
            ));
        }
    };
    if severity.is_some() {
        let parent = FieldPath(path.0[..path.0.len().saturating_sub(1)].to_vec());
        return Err(Problem::new(
            &parent.key("severity"),
            format!(
                "a severity is given for a factor seen \"{word}\": only a factor that has struck has one"
            ),
            "remove the severity, or set state = \"present\" if the factor has struck",
        ));
    }
    Ok(observation)
}

/// An observed severity: a fraction in [0, 1], as a number or a percentage string.
fn severity(path: &FieldPath, value: &toml::Value) -> Check<f64> {
    let number = match value {
        toml::Value::Float(x) => *x,
        toml::Value::Integer(i) => *i as f64,
        toml::Value::String(s) => match crate::scenario::fraction::parse_percentage(s) {
            Some(x) => x,
            None => {
                return Err(Problem::new(
                    path,
                    format!("\"{}\" is not a severity", crate::terminal::escape_line(s)),
                    "write a fraction (0.6) or a percentage in quotes (\"60%\")",
                ));
            }
        },
        other => {
            return Err(Problem::new(
                path,
                format!("a severity is a number, not a {}", other.type_str()),
                "write a fraction (0.6) or a percentage in quotes (\"60%\")",
            ));
        }
    };
    checks::probability(path, number)
}

/// An observed severity must be one the factor's severity law can give under the mitigations
/// in place: between F⁻¹(0)·g and F⁻¹(1)·g (exactly F⁻¹·g for a fixed severity), `g` the
/// product of their severity multipliers. Otherwise no trial could match it.
fn possible_severity(
    path: &FieldPath,
    id: &str,
    law: Severity,
    g: f64,
    observed: f64,
) -> Check<()> {
    let (low, high) = (law.inverse_cdf(0.0) * g, law.inverse_cdf(1.0) * g);
    if observed >= low - SEVERITY_SLACK && observed <= high + SEVERITY_SLACK {
        return Ok(());
    }
    let under = if g < 1.0 {
        format!(
            " under the mitigations in place (severity multiplier {})",
            trimmed(g)
        )
    } else {
        String::new()
    };
    let (message, fix) = if matches!(law, Severity::Fixed { .. }) {
        (
            format!(
                "\"{id}\" has a fixed severity of {}{under}: an observed {} cannot occur",
                trimmed(high),
                trimmed(observed)
            ),
            format!(
                "write severity = {}, or leave the severity out; or give the factor a severity range in the scenario",
                trimmed(high)
            ),
        )
    } else {
        (
            format!(
                "an observed severity of {} is outside what \"{id}\" can reach{under}: [{}, {}]",
                trimmed(observed),
                trimmed(low),
                trimmed(high)
            ),
            format!(
                "rate the severity within [{}, {}] (1 = the factor's full impact), or leave it out",
                trimmed(low),
                trimmed(high)
            ),
        )
    };
    Err(Problem::new(path, message, fix))
}
