//! Likely mistakes in a valid scenario: values each within its range whose combination (or
//! size) a demanding reviewer would question — a horizon that ends before the build does,
//! benefits entered in thousands, a discount rate of 45 %. They are warnings, not errors: the
//! scenario runs, every command that loads one prints them on stderr, `validate` lists them
//! and `validate --strict` refuses them. Pure: the same scenario gives the same warnings.

use super::Scenario;
use super::source::{FieldPath, Source};
use super::units::trimmed;
use crate::error::Location;
use crate::model::{BenefitModel, LEVERS};
use std::fmt;

/// Annual benefits under this share of the budget are likely in the wrong unit (thousands).
pub const BENEFIT_MIN_PER_BUDGET: f64 = 0.01;
/// Annual benefits over this many budgets are likely in the wrong unit (the budget in
/// thousands, or the benefit in cents).
pub const BENEFIT_MAX_PER_BUDGET: f64 = 10.0;
/// A discount rate above this is far over any company's cost of capital.
pub const MAX_DISCOUNT_RATE: f64 = 0.30;
/// A budget under this (in any currency) is likely given in thousands.
pub const MIN_BUDGET: f64 = 1_000.0;
/// A build longer than this many months is likely given in days or weeks.
pub const MAX_DURATION_MONTHS: f64 = 120.0;
/// A build shorter than this many months is likely given in years.
pub const MIN_DURATION_MONTHS: f64 = 1.0;
/// A horizon longer than this many years is likely given in months.
pub const MAX_HORIZON_YEARS: f64 = 30.0;
/// Benefits counted over less than this many years after the planned build.
pub const MIN_YEARS_OF_USE: f64 = 1.0;

/// A likely mistake: the key it is about, where the key is written (when the scenario's text
/// is known), what is odd, and the fix.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// The key's path in the file, e.g. `project.horizon_years`.
    pub key: String,
    pub location: Option<Location>,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.location {
            write!(f, "{location}: ")?;
        }
        write!(f, "`{}`: {}\n  fix: {}", self.key, self.message, self.fix)
    }
}

/// Every likely mistake in `scenario`, in file order of the keys concerned.
pub fn warnings(scenario: &Scenario) -> Vec<Warning> {
    let mut found = Vec::new();
    let mut warn = |path: FieldPath, message: String, fix: &str| {
        found.push((path, message, fix.to_string()));
    };
    let project = FieldPath::root().key("project");
    let p = &scenario.project;
    let money = |x: f64| format!("{x:.0}");

    if p.budget < MIN_BUDGET {
        warn(
            project.key("budget"),
            format!(
                "a budget of {} {} is small for a CRM project: entered in thousands?",
                money(p.budget),
                p.currency
            ),
            "give the budget in the currency unit itself (500_000.0, not 500), like every amount in the file",
        );
    }
    if p.duration_months < MIN_DURATION_MONTHS {
        warn(
            project.key("duration_months"),
            format!(
                "a build of {} months is under a month: entered in years?",
                trimmed(p.duration_months)
            ),
            "give duration_months in months (1.5 years = 18.0)",
        );
    } else if p.duration_months > MAX_DURATION_MONTHS {
        warn(
            project.key("duration_months"),
            format!(
                "a build of {} months is over {} years: entered in days or weeks?",
                trimmed(p.duration_months),
                trimmed(MAX_DURATION_MONTHS / 12.0)
            ),
            "give duration_months in months (40 weeks ≈ 9.2)",
        );
    }
    if p.horizon_years > MAX_HORIZON_YEARS {
        warn(
            project.key("horizon_years"),
            format!(
                "a horizon of {} years is over {MAX_HORIZON_YEARS} years: entered in months?",
                trimmed(p.horizon_years)
            ),
            "give horizon_years in years (60 months = 5.0)",
        );
    }
    let build_years = p.duration_months / 12.0;
    if p.horizon_years <= build_years {
        warn(
            project.key("horizon_years"),
            format!(
                "the horizon of {} years ({} months) ends before the planned build of {} months is done: no benefit is counted, so every strategy loses money (P(NPV < 0) = 100 %)",
                trimmed(p.horizon_years),
                trimmed(p.horizon_years * 12.0),
                trimmed(p.duration_months)
            ),
            "horizon_years counts from the project's start: give the build plus the years of use (e.g. 5.0)",
        );
    } else if p.horizon_years - build_years < MIN_YEARS_OF_USE {
        warn(
            project.key("horizon_years"),
            format!(
                "the horizon of {} years leaves less than a year of benefits after the planned build of {} months (and none after a late one)",
                trimmed(p.horizon_years),
                trimmed(p.duration_months)
            ),
            "horizon_years counts from the project's start: give the build plus the years of use (e.g. 5.0)",
        );
    }
    if p.discount_rate > MAX_DISCOUNT_RATE {
        warn(
            project.key("discount_rate"),
            format!(
                "a discount rate of {} % a year is over {} %: a rate for the whole horizon rather than a year?",
                trimmed(p.discount_rate * 100.0),
                trimmed(MAX_DISCOUNT_RATE * 100.0)
            ),
            "give the annual rate as a fraction, e.g. 0.08 for 8 % (a company's cost of capital)",
        );
    } else if p.discount_rate < 0.0 {
        warn(
            project.key("discount_rate"),
            format!(
                "a negative discount rate ({}) values future money above money today",
                trimmed(p.discount_rate)
            ),
            "give a positive annual rate, e.g. 0.08 for 8 %",
        );
    }
    for (key, value) in [
        ("max_overrun", p.objectives.max_overrun),
        ("max_slip", p.objectives.max_slip),
    ] {
        if value > 1.0 {
            warn(
                project.key("objectives").key(key),
                format!(
                    "a success limit of {value} means {} % over plan: a percentage written as a number?",
                    trimmed(value * 100.0)
                ),
                &format!(
                    "{key} is a fraction: write {} for {value} %, or \"{value}%\"",
                    super::units::as_fraction(value)
                ),
            );
        }
    }

    let benefits = FieldPath::root().key("benefits");
    let annual = mean_annual_benefit(&scenario.benefits);
    let per_budget = annual / p.budget;
    let where_benefit = match scenario.benefits {
        BenefitModel::Direct { .. } => benefits.key("annual"),
        BenefitModel::Levers { .. } => benefits.key("baseline_revenue"),
    };
    if per_budget < BENEFIT_MIN_PER_BUDGET {
        warn(
            where_benefit.clone(),
            format!(
                "the mean annual benefit ({} {}) is under {} % of the budget ({}): entered in thousands?",
                money(annual),
                p.currency,
                trimmed(BENEFIT_MIN_PER_BUDGET * 100.0),
                money(p.budget)
            ),
            "give benefits and budget in the same unit (the currency itself: 250_000.0, not 250)",
        );
    } else if per_budget > BENEFIT_MAX_PER_BUDGET {
        warn(
            where_benefit,
            format!(
                "the mean annual benefit ({} {}) is over {BENEFIT_MAX_PER_BUDGET} times the budget ({}): budget entered in thousands, or benefits in cents?",
                money(annual),
                p.currency,
                money(p.budget)
            ),
            "give benefits and budget in the same unit (the currency itself)",
        );
    }
    if let BenefitModel::Levers { uplifts, .. } = &scenario.benefits {
        for (lever, uplift) in LEVERS.iter().zip(uplifts) {
            let mean = uplift.mean();
            if mean > 1.0 {
                warn(
                    benefits.key("levers").key(lever),
                    format!(
                        "a mean uplift of {:.0} % more than doubles {lever}: a percentage written as a number?",
                        mean * 100.0
                    ),
                    "uplifts are fractions: 0.05 for +5 %",
                );
            }
        }
    }

    for (i, mitigation) in scenario.mitigations.iter().enumerate() {
        let cost = mitigation.cost.mean();
        if cost > p.budget {
            warn(
                FieldPath::root().key("mitigations").index(i).key("cost"),
                format!(
                    "mitigation \"{}\" costs {} {} on average, more than the whole budget of {}: entered in another unit?",
                    mitigation.id,
                    money(cost),
                    p.currency,
                    money(p.budget)
                ),
                "give its cost in the same unit as the budget",
            );
        }
    }

    for (i, strategy) in scenario.strategies.iter().enumerate() {
        let mut mine = strategy.mitigations.clone();
        mine.sort_unstable();
        let twin = scenario.strategies[..i].iter().find(|other| {
            let mut theirs = other.mitigations.clone();
            theirs.sort_unstable();
            theirs == mine
        });
        if let Some(twin) = twin {
            warn(
                FieldPath::root()
                    .key("strategies")
                    .index(i)
                    .key("mitigations"),
                format!(
                    "strategy \"{}\" buys the same mitigations as \"{}\": their results differ only by sampling noise",
                    strategy.id, twin.id
                ),
                "change its mitigations, or remove one of the two",
            );
        }
    }

    let source = (!scenario.source_text.is_empty())
        .then(|| Source::new(scenario.origin.clone(), scenario.source_text.clone()));
    let mut warnings: Vec<Warning> = found
        .into_iter()
        .map(|(path, message, fix)| Warning {
            key: path.to_string(),
            location: source.as_ref().map(|s| s.locate(&path)),
            message,
            fix,
        })
        .collect();
    warnings.sort_by_key(|w| w.location.as_ref().map(|l| (l.line, l.column)));
    warnings
}

/// The mean annual benefit at full realisation: the direct amount's mean, or the levers' margin
/// on the uplift of the mean uplifts (exact for the product of independent uplifts).
fn mean_annual_benefit(benefits: &BenefitModel) -> f64 {
    match benefits {
        BenefitModel::Direct { annual } => annual.mean(),
        BenefitModel::Levers {
            baseline_revenue,
            margin,
            churn_rate,
            uplifts,
        } => {
            let m = |i: usize| uplifts[i].mean();
            let multiplier = (1.0 + m(0))
                * (1.0 + churn_rate * m(1))
                * (1.0 + m(2))
                * (1.0 + m(3))
                * (1.0 + m(4));
            baseline_revenue * margin * (multiplier - 1.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The README's list of warnings states these thresholds.
    #[test]
    fn the_readme_states_the_thresholds() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
        for phrase in [
            format!(
                "a mean annual benefit under {} % or over {} times the budget",
                trimmed(BENEFIT_MIN_PER_BUDGET * 100.0),
                trimmed(BENEFIT_MAX_PER_BUDGET)
            ),
            format!("a budget under {}", trimmed(MIN_BUDGET)),
            format!(
                "a build under {} or over {} months",
                trimmed(MIN_DURATION_MONTHS),
                trimmed(MAX_DURATION_MONTHS)
            ),
            format!("a horizon over {} years", trimmed(MAX_HORIZON_YEARS)),
            format!(
                "a discount rate over {} % or below 0",
                trimmed(MAX_DISCOUNT_RATE * 100.0)
            ),
            format!(
                "leaves less than {} year of use",
                if MIN_YEARS_OF_USE == 1.0 { "a" } else { "?" }
            ),
        ] {
            assert!(readme.contains(&phrase), "README lacks {phrase:?}");
        }
    }

    /// Every shipped scenario, the calibration ones and the built-in default: no warning.
    #[test]
    fn shipped_scenarios_have_no_warning() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for folder in ["scenarios", "scenarios/calibration"] {
            for entry in std::fs::read_dir(root.join(folder)).unwrap() {
                let path = entry.unwrap().path();
                // Calibration targets (published.toml) live beside the scenarios.
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                if path.extension().is_some_and(|e| e == "toml")
                    && text.lines().any(|l| l.trim() == "[scenario]")
                {
                    files.push(path);
                }
            }
        }
        assert!(files.len() >= 5, "{files:?}");
        files.sort();
        for path in files {
            let scenario = Scenario::load(&path).unwrap();
            assert_eq!(warnings(&scenario), Vec::new(), "{}", path.display());
        }
        assert_eq!(warnings(&Scenario::builtin_default().unwrap()), Vec::new());
    }
}
