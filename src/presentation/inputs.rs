//! The scenario's inputs as tables a client can read: the project, the benefits, every factor
//! the scenario changes beside its catalogue value, every mitigation (its cost distribution and
//! its effects in words), and every strategy as its mitigations.
//!
//! Pure: built from a validated [`Scenario`] and the catalogue and defaults it was validated
//! against. Cells are typed (text, or a number with its unit) so that the HTML report prints
//! them formatted and the workbook writes real numbers.

use crate::error::Error;
use crate::model::{
    BenefitModel, Catalogue, Continuous, Defaults, Effect, Factor, LEVERS, Severity,
};
use crate::presentation::format::money;
use crate::scenario::Scenario;
use serde::Serialize;

/// The unit of a number in a cell: how the page formats it, and which number format a
/// workbook gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// An amount in the scenario's currency ([`Inputs::currency`]).
    Money,
    /// A share or rate, stored as a fraction (0.25 = 25 %).
    Share,
    Months,
    Years,
    /// A factor applied to a quantity (0.5 = halved, 1.35 = 35 % more).
    Multiplier,
    /// A plain number (a count, a shape parameter).
    Number,
}

/// One cell of an inputs table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cell {
    Empty,
    Text { text: String },
    Number { value: f64, unit: Unit },
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell::Text { text: text.into() }
    }

    pub fn number(value: f64, unit: Unit) -> Cell {
        Cell::Number { value, unit }
    }

    /// The cell as the page prints it (money without the currency, which the tables' notes
    /// name once).
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text { text } => text.clone(),
            Cell::Number { value, unit } => format_number(*value, *unit),
        }
    }
}

/// A number in its unit, as the page prints it.
pub fn format_number(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Money => money(value),
        Unit::Share => percent(value),
        Unit::Months => format!("{} months", trim(value, 1)),
        Unit::Years => format!("{} years", trim(value, 1)),
        Unit::Multiplier => format!("× {value:.2}"),
        Unit::Number => trim(value, 3),
    }
}

/// A titled table: `columns` names each column; every row has one cell per column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// A stable id (`project`, `benefits`, `factors`, `mitigations`, `effects`, `strategies`)
    /// for anchors and sheet names.
    pub id: &'static str,
    pub title: String,
    /// One sentence on how to read the table.
    pub note: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Every input table of a scenario, in the order the report shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inputs {
    pub currency: String,
    pub project: Table,
    pub benefits: Table,
    /// The factors the scenario changes, one row per changed value, beside the catalogue's.
    pub factors: Table,
    /// One row per mitigation: cost distribution, expected cost, effects in words.
    pub mitigations: Table,
    /// One row per effect of a mitigation on a factor, with the multipliers as numbers.
    pub effects: Table,
    /// One row per strategy: the mitigations it buys and their expected cost.
    pub strategies: Table,
    /// The sources the scenario, its mitigations and its factors cite: label and full
    /// reference from the registry.
    pub sources: Table,
    /// The scenario's plausibility warnings (`scenario::plausibility`), each as "key: what looks
    /// wrong (fix: …)", without the file's place (a report shows no paths): shown as a
    /// list beside the tables when not empty.
    pub warnings: Vec<String>,
}

impl Inputs {
    /// The tables in the order the report shows them.
    pub fn tables(&self) -> [&Table; 7] {
        [
            &self.project,
            &self.benefits,
            &self.factors,
            &self.mitigations,
            &self.effects,
            &self.strategies,
            &self.sources,
        ]
    }
}

/// What a scenario's values are compared with: the catalogue it was validated against and the
/// built-in project defaults, and the source registry its citations resolve in.
#[derive(Debug, Clone)]
pub struct Reference {
    pub catalogue: Catalogue,
    pub defaults: Defaults,
    pub sources: crate::model::sources::Registry,
}

impl Reference {
    /// The catalogue the scenario used (its catalogue file, else the built-in one) and the
    /// built-in defaults.
    pub fn of(scenario: &Scenario) -> Result<Reference, Error> {
        let catalogue = match &scenario.catalogue_text {
            Some(text) => text.parse()?,
            None => Catalogue::builtin()?,
        };
        Ok(Reference {
            catalogue,
            defaults: Defaults::builtin()?,
            sources: crate::model::sources::Registry::builtin()?,
        })
    }
}

/// The reference list: every source the scenario cites, in the registry's order.
fn sources(scenario: &Scenario, registry: &crate::model::sources::Registry) -> Table {
    let cited = super::sources::cited_by(scenario, registry);
    Table {
        id: "sources",
        title: "Sources cited".into(),
        note: "Every source the scenario, its mitigations and its factors cite, by the short \
               label used elsewhere in this report."
            .into(),
        columns: cited.header,
        rows: cited
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(Cell::text).collect())
            .collect(),
    }
}

/// The input tables of `scenario`, its values beside those of `reference`.
pub fn inputs(scenario: &Scenario, reference: &Reference) -> Inputs {
    let currency = scenario.project.currency.clone();
    Inputs {
        project: project(scenario, reference),
        benefits: benefits(scenario, &reference.defaults),
        factors: factors(scenario, &reference.catalogue),
        mitigations: mitigations(scenario),
        effects: effects(scenario),
        strategies: strategies(scenario),
        sources: sources(scenario, &reference.sources),
        warnings: crate::scenario::plausibility::warnings(scenario)
            .into_iter()
            .map(|w| format!("{}: {} (fix: {})", w.key, w.message, w.fix))
            .collect(),
        currency,
    }
}

/// A strategy's name as every table shows it: the baseline marked once, even when its name
/// already says so ("No mitigation (baseline)").
pub fn strategy_name(name: &str, baseline: bool) -> String {
    if baseline && !name.to_lowercase().contains("baseline") {
        format!("{name} (baseline)")
    } else {
        name.to_string()
    }
}

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn project(scenario: &Scenario, reference: &Reference) -> Table {
    let p = &scenario.project;
    let d = &reference.defaults;
    let c = &reference.catalogue;
    let share = |x| Cell::number(x, Unit::Share);
    let mut rows = vec![
        vec![Cell::text("Currency"), Cell::text(&p.currency), Cell::Empty],
        vec![
            Cell::text("Budget"),
            Cell::number(p.budget, Unit::Money),
            Cell::Empty,
        ],
        vec![
            Cell::text("Planned duration"),
            Cell::number(p.duration_months, Unit::Months),
            Cell::Empty,
        ],
        vec![
            Cell::text("Horizon of the benefits"),
            Cell::number(p.horizon_years, Unit::Years),
            Cell::Empty,
        ],
        vec![
            Cell::text("Discount rate"),
            share(p.discount_rate),
            Cell::Empty,
        ],
    ];
    let o = &p.objectives;
    let f = &p.failure;
    let with_default = [
        (
            "Success: benefit realised at least",
            o.min_benefit_realisation,
            d.objectives.min_benefit_realisation,
        ),
        (
            "Success: cost overrun at most",
            o.max_overrun,
            d.objectives.max_overrun,
        ),
        (
            "Success: schedule slip at most",
            o.max_slip,
            d.objectives.max_slip,
        ),
        (
            "Failure: benefit realised below",
            f.benefit_realisation_below,
            d.failure.benefit_realisation_below,
        ),
        (
            "Failure: cost overrun of at least",
            f.overrun_at_least,
            d.failure.overrun_at_least,
        ),
        (
            "Team cost, as a share of the budget",
            p.team_burn_share,
            d.team_burn_share,
        ),
        (
            "Benefit a failed project keeps",
            p.failed_benefit_share,
            d.failed_benefit_share,
        ),
    ];
    for (label, value, default) in with_default {
        rows.push(vec![Cell::text(label), share(value), share(default)]);
    }
    // The estimating error and the runaway come from the catalogue; a scenario may change
    // them, and then the page shows both values.
    let (e, ce) = (&p.estimate, &c.estimate);
    let (r, cr) = (&p.runaway, &c.runaway);
    let changed = [
        (
            "Estimating error of cost (sd of log cost)",
            e.log_cost_sd,
            ce.log_cost_sd,
            Unit::Number,
        ),
        (
            "Estimating bias of cost (mean of log cost)",
            e.log_cost_mean,
            ce.log_cost_mean,
            Unit::Number,
        ),
        (
            "Estimating error of duration (sd of log duration)",
            e.log_schedule_sd,
            ce.log_schedule_sd,
            Unit::Number,
        ),
        (
            "Estimating bias of duration (mean of log duration)",
            e.log_schedule_mean,
            ce.log_schedule_mean,
            Unit::Number,
        ),
        (
            "Benefit noise (sd of log benefit)",
            e.benefit_sd,
            ce.benefit_sd,
            Unit::Number,
        ),
        (
            "Chance of a runaway with no factor striking",
            r.base_probability,
            cr.base_probability,
            Unit::Share,
        ),
        (
            "Smallest runaway cost multiple",
            r.size_min,
            cr.size_min,
            Unit::Multiplier,
        ),
        ("Runaway tail index", r.tail, cr.tail, Unit::Number),
    ];
    for (label, value, default, unit) in changed {
        if value != default {
            rows.push(vec![
                Cell::text(label),
                Cell::number(value, unit),
                Cell::number(default, unit),
            ]);
        }
    }
    Table {
        id: "project",
        title: "The project".into(),
        note: format!(
            "Amounts in {}. The last column gives crmcast's default where the scenario could have left the value out.",
            p.currency
        ),
        columns: columns(&["item", "value", "default"]),
        rows,
    }
}

/// A distribution in words, its values formatted by `unit`.
pub fn distribution(d: &Continuous, unit: Unit) -> String {
    let f = |x: f64| format_number(x, unit);
    match *d {
        Continuous::Fixed { value } => format!("fixed at {}", f(value)),
        Continuous::Uniform { min, max } => {
            format!("uniform from {} to {}", f(min), f(max))
        }
        Continuous::Triangular { min, mode, max } => format!(
            "triangular: lowest {}, most likely {}, highest {}",
            f(min),
            f(mode),
            f(max)
        ),
        Continuous::LogNormal { .. } => format!(
            "lognormal: 90 % between {} and {}, median {}",
            f(d.inverse_cdf(0.05)),
            f(d.inverse_cdf(0.95)),
            f(d.inverse_cdf(0.5))
        ),
    }
}

/// A severity distribution in words (severity runs from 0, harmless, to 1, full impact).
pub fn severity(s: &Severity) -> String {
    let f = |x: f64| trim(x, 2);
    match *s {
        Severity::Fixed { value } => format!("always {}", f(value)),
        Severity::Uniform { min, max } => format!("uniform from {} to {}", f(min), f(max)),
        Severity::Triangular { min, mode, max } => format!(
            "triangular: lowest {}, most likely {}, highest {}",
            f(min),
            f(mode),
            f(max)
        ),
        Severity::Kumaraswamy { a, b } => format!(
            "Kumaraswamy (a = {}, b = {}), mean {}",
            f(a),
            f(b),
            f(s.mean())
        ),
    }
}

fn benefits(scenario: &Scenario, defaults: &Defaults) -> Table {
    let money_cell = |x| Cell::number(x, Unit::Money);
    let share = |x| Cell::number(x, Unit::Share);
    let (rows, note) = match &scenario.benefits {
        BenefitModel::Direct { annual } => (
            vec![vec![
                Cell::text("Annual benefit at full realisation"),
                Cell::text(distribution(annual, Unit::Money)),
                money_cell(annual.mean()),
                Cell::Empty,
            ]],
            format!(
                "Amounts in {} per year, before the factors reduce them.",
                scenario.project.currency
            ),
        ),
        BenefitModel::Levers {
            baseline_revenue,
            margin,
            churn_rate,
            uplifts,
        } => {
            let mut rows = vec![
                vec![
                    Cell::text("Baseline revenue per year"),
                    Cell::Empty,
                    money_cell(*baseline_revenue),
                    Cell::Empty,
                ],
                vec![
                    Cell::text("Margin on extra revenue"),
                    Cell::Empty,
                    share(*margin),
                    Cell::Empty,
                ],
                vec![
                    Cell::text("Yearly churn"),
                    Cell::Empty,
                    share(*churn_rate),
                    share(defaults.churn_rate),
                ],
            ];
            for (k, uplift) in uplifts.iter().enumerate() {
                let default = &defaults.levers[k];
                rows.push(vec![
                    Cell::text(lever_label(LEVERS[k])),
                    Cell::text(distribution(uplift, Unit::Share)),
                    share(uplift.mean()),
                    if uplift == default {
                        Cell::text("default")
                    } else {
                        Cell::text(distribution(default, Unit::Share))
                    },
                ]);
            }
            (
                rows,
                format!(
                    "The benefit is the margin on the extra revenue of five levers, each a relative uplift at full realisation; amounts in {}.",
                    scenario.project.currency
                ),
            )
        }
    };
    Table {
        id: "benefits",
        title: "The benefits".into(),
        note,
        columns: columns(&["item", "distribution", "value or mean", "default"]),
        rows,
    }
}

fn lever_label(id: &str) -> &'static str {
    match id {
        "new_customers" => "Uplift: new customers",
        "churn_reduction" => "Uplift: relative cut in churn",
        "spend_per_customer" => "Uplift: spend per customer",
        "items_per_purchase" => "Uplift: items per purchase",
        "purchase_frequency" => "Uplift: purchase frequency",
        _ => "Uplift",
    }
}

fn factors(scenario: &Scenario, catalogue: &Catalogue) -> Table {
    let mut rows = Vec::new();
    for factor in &scenario.factors {
        let Some(original) = catalogue.factors.iter().find(|f| f.id == factor.id) else {
            continue;
        };
        let category = scenario
            .categories
            .get(factor.category)
            .map(|c| c.label.clone())
            .unwrap_or_default();
        for (what, value, default) in changes(factor, original) {
            rows.push(vec![
                Cell::text(&factor.name),
                Cell::text(&category),
                Cell::text(what),
                default,
                value,
            ]);
        }
    }
    Table {
        id: "factors",
        title: "Factors this scenario changes".into(),
        note: if rows.is_empty() {
            "The scenario keeps every factor at its catalogue value.".into()
        } else {
            "Every value the scenario sets differently from the catalogue; all other factors keep their catalogue values. Impacts are those of the factor at full severity.".into()
        },
        columns: columns(&["factor", "category", "value", "catalogue", "this scenario"]),
        rows,
    }
}

/// The values of `factor` that differ from `original`: (what, scenario value, catalogue value).
fn changes(factor: &Factor, original: &Factor) -> Vec<(&'static str, Cell, Cell)> {
    let mut out = Vec::new();
    let share = |x| Cell::number(x, Unit::Share);
    if factor.probability != original.probability {
        out.push((
            "chance it strikes",
            share(factor.probability),
            share(original.probability),
        ));
    }
    if factor.severity != original.severity {
        out.push((
            "severity when it strikes",
            Cell::text(severity(&factor.severity)),
            Cell::text(severity(&original.severity)),
        ));
    }
    let (i, o) = (&factor.impact, &original.impact);
    if i.benefit != o.benefit {
        out.push((
            "share of the benefit lost",
            share(i.benefit),
            share(o.benefit),
        ));
    }
    // Cost, schedule and runaway impacts are added to logarithms: their exponentials are the
    // multipliers a reader can take in.
    let multiplier = |x: f64| Cell::number(x.exp(), Unit::Multiplier);
    if i.cost != o.cost {
        out.push(("cost multiplied by", multiplier(i.cost), multiplier(o.cost)));
    }
    if i.schedule != o.schedule {
        out.push((
            "duration multiplied by",
            multiplier(i.schedule),
            multiplier(o.schedule),
        ));
    }
    if i.runaway != o.runaway {
        out.push((
            "chance of a runaway multiplied by",
            multiplier(i.runaway),
            multiplier(o.runaway),
        ));
    }
    out
}

fn factor_name(scenario: &Scenario, index: usize) -> String {
    scenario
        .factors
        .get(index)
        .map(|f| f.name.clone())
        .unwrap_or_default()
}

/// A multiplier in words: "50 % less likely (between 20 % and 70 % less)".
fn change_in_words(multiplier: f64, range: Option<[f64; 2]>, what: &str) -> Option<String> {
    if multiplier == 1.0 && range.is_none() {
        return None;
    }
    // Validation keeps multipliers in [0, 1]: each is a cut.
    let cut = |m: f64| percent(1.0 - m);
    let mut text = format!("{} {what}", cut(multiplier));
    if let Some([low, high]) = range {
        // The largest multiplier is the smallest cut.
        text.push_str(&format!(" (uncertain: {} to {})", cut(high), cut(low)));
    }
    Some(text)
}

/// An effect in words: "Unclear strategy: 50 % less likely (…); 20 % less severe (…)".
pub fn effect_in_words(scenario: &Scenario, effect: &Effect) -> String {
    let parts: Vec<String> = [
        change_in_words(effect.probability, effect.probability_range, "less likely"),
        change_in_words(
            effect.severity,
            effect.severity_range,
            "less severe when it strikes",
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let change = if parts.is_empty() {
        "no change".to_string()
    } else {
        parts.join("; ")
    };
    format!("{}: {change}", factor_name(scenario, effect.factor))
}

fn mitigations(scenario: &Scenario) -> Table {
    let rows = scenario
        .mitigations
        .iter()
        .map(|m| {
            vec![
                Cell::text(&m.name),
                Cell::text(distribution(&m.cost, Unit::Money)),
                Cell::number(m.cost.mean(), Unit::Money),
                Cell::text(
                    m.effects
                        .iter()
                        .map(|e| effect_in_words(scenario, e))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
            ]
        })
        .collect();
    Table {
        id: "mitigations",
        title: "Mitigations".into(),
        note: format!(
            "What each mitigation costs (in {}, paid only by the strategies that buy it) and how it changes the factors it addresses; a factor addressed by several mitigations of one strategy gets all their changes.",
            scenario.project.currency
        ),
        columns: columns(&["mitigation", "cost", "expected cost", "effects"]),
        rows,
    }
}

fn effects(scenario: &Scenario) -> Table {
    let mut rows = Vec::new();
    let range = |r: Option<[f64; 2]>, k: usize| match r {
        Some(bounds) => Cell::number(bounds[k], Unit::Multiplier),
        None => Cell::Empty,
    };
    for m in &scenario.mitigations {
        for e in &m.effects {
            rows.push(vec![
                Cell::text(&m.name),
                Cell::text(factor_name(scenario, e.factor)),
                Cell::number(e.probability, Unit::Multiplier),
                range(e.probability_range, 0),
                range(e.probability_range, 1),
                Cell::number(e.severity, Unit::Multiplier),
                range(e.severity_range, 0),
                range(e.severity_range, 1),
            ]);
        }
    }
    Table {
        id: "effects",
        title: "Effects of the mitigations".into(),
        note: "Multipliers on a factor's chance of striking and on its severity (× 1 = no change); the ranges, when given, are drawn per trial under parameter uncertainty.".into(),
        columns: columns(&[
            "mitigation",
            "factor",
            "chance ×",
            "chance × from",
            "chance × to",
            "severity ×",
            "severity × from",
            "severity × to",
        ]),
        rows,
    }
}

fn strategies(scenario: &Scenario) -> Table {
    let rows = scenario
        .strategies
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let names: Vec<&str> = s
                .mitigations
                .iter()
                .filter_map(|&m| scenario.mitigations.get(m).map(|m| m.name.as_str()))
                .collect();
            let cost: f64 = s
                .mitigations
                .iter()
                .filter_map(|&m| scenario.mitigations.get(m).map(|m| m.cost.mean()))
                .sum();
            vec![
                Cell::text(strategy_name(&s.name, k == scenario.baseline)),
                Cell::text(if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join("\n")
                }),
                Cell::number(names.len() as f64, Unit::Number),
                Cell::number(cost, Unit::Money),
            ]
        })
        .collect();
    Table {
        id: "strategies",
        title: "Strategies".into(),
        note: format!(
            "Each strategy buys the mitigations listed; expected cost in {}.",
            scenario.project.currency
        ),
        columns: columns(&["strategy", "mitigations", "count", "expected cost"]),
        rows,
    }
}

/// A share as a percentage with at most one decimal ("25 %", "2.5 %").
fn percent(x: f64) -> String {
    format!("{} %", trim(100.0 * x, 1))
}

/// `x` with at most `decimals` decimals, trailing zeros dropped.
fn trim(x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        let text = text.trim_end_matches('0').trim_end_matches('.');
        if text == "-0" {
            "0".into()
        } else {
            text.into()
        }
    } else {
        text
    }
}

#[cfg(test)]
#[path = "inputs_tests.rs"]
mod tests;
