//! CSV in long ("tidy") form: one row per strategy and figure, ready for pandas.
//! Columns: `section, strategy, baseline, id, label, unit, value, se, low, high, count`.
//! Sections: `metric`, `difference` (to the baseline), `parameter_gain` (with
//! `--parameter-uncertainty`: the gain's interval from the uncertain inputs), `p_beats_baseline`,
//! `decision` (the recommended strategy's summary figures), `cause_group`, `cause_category`,
//! `cause_factor`.
//!
//! Every CSV writer of crmcast passes its text cells through [`safe_text`] (OWASP's
//! CSV-injection rule, docs/OUTPUT.md): a name from a client's file must not become a formula
//! when the CSV is opened in a spreadsheet.

use super::{Exporter, FactorList, View};
use crate::analysis::report::{Estimate, Report};
use std::borrow::Cow;
use std::io::Write;

/// A text cell (name, label, id) safe to open in a spreadsheet: one that would begin with
/// `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so that Excel, LibreOffice
/// and Google Sheets show it as text instead of evaluating it (OWASP, "CSV Injection"). Only
/// for text: numbers are written as numbers (a negative value stays a number), and the JSON
/// output carries every text raw.
pub fn safe_text(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// A cell of a [`super::Document`]'s rows, which hold numbers as text too: a number (`-0.25`,
/// `1e-3`) is left as it is, any other text goes through [`safe_text`].
pub fn safe_cell(cell: &str) -> Cow<'_, str> {
    if cell.parse::<f64>().is_ok() {
        Cow::Borrowed(cell)
    } else {
        safe_text(cell)
    }
}

pub struct CsvExporter;

/// One CSV row (documented in docs/OUTPUT.md).
#[derive(serde::Serialize)]
pub struct CsvRecord<'a> {
    pub section: &'static str,
    pub strategy: Cow<'a, str>,
    pub baseline: bool,
    pub id: Cow<'a, str>,
    pub label: Cow<'a, str>,
    pub unit: &'static str,
    pub value: f64,
    pub se: f64,
    pub low: f64,
    pub high: f64,
    /// Trial count behind a cause share; empty for other rows.
    pub count: Option<u64>,
}

#[derive(serde::Serialize)]
struct FactorRecord<'a> {
    id: Cow<'a, str>,
    name: Cow<'a, str>,
    category: Cow<'a, str>,
    cause_group: Cow<'a, str>,
    probability: f64,
    mean_severity: f64,
    impact_benefit: f64,
    impact_cost: f64,
    impact_schedule: f64,
    sources: Cow<'a, str>,
}

fn unit_name(unit: crate::analysis::report::Unit) -> &'static str {
    use crate::analysis::report::Unit::*;
    match unit {
        Probability => "probability",
        Fraction => "fraction",
        Money => "money",
        Years => "years",
        Ratio => "ratio",
    }
}

impl Exporter for CsvExporter {
    fn report(&self, report: &Report, _view: View, out: &mut dyn Write) -> std::io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        for s in &report.strategies {
            let record = |section, id, label, unit, e: &Estimate, count| CsvRecord {
                section,
                strategy: safe_text(&s.id),
                baseline: s.baseline,
                id: safe_text(id),
                label: safe_text(label),
                unit,
                value: e.value,
                se: e.se,
                low: e.low,
                high: e.high,
                count,
            };
            for m in &s.metrics {
                writer.serialize(record(
                    "metric",
                    m.id,
                    m.label,
                    unit_name(m.unit),
                    &m.estimate,
                    None,
                ))?;
            }
            for d in &s.versus_baseline {
                writer.serialize(record(
                    "difference",
                    d.id,
                    d.label,
                    unit_name(d.unit),
                    &d.estimate,
                    None,
                ))?;
            }
            if s.id == report.decision.recommended {
                let d = &report.decision;
                for (id, label, unit, e) in [
                    (
                        "npv_mean",
                        "Expected NPV (recommended)",
                        "money",
                        &d.expected_npv,
                    ),
                    (
                        "p_npv_negative",
                        "P(NPV < 0) (recommended)",
                        "probability",
                        &d.p_npv_negative,
                    ),
                    (
                        "npv_cvar10",
                        "NPV, mean of the worst 10 % (CVaR)",
                        "money",
                        &d.cvar10_npv,
                    ),
                    ("budget_p80", "P80 budget", "money", &d.p80_budget),
                ] {
                    writer.serialize(record("decision", id, label, unit, e, None))?;
                }
            }
            let gain = report
                .gain_uncertainty
                .as_ref()
                .and_then(|g| g.strategies.iter().find(|g| g.id == s.id));
            if let Some(gain) = gain {
                // The spread across draws of the uncertain inputs: value = mean over draws,
                // low/high = their 2.5 % and 97.5 % quantiles, se = the Monte Carlo part.
                for f in &gain.figures {
                    let e = Estimate {
                        value: f.mean,
                        se: f.monte_carlo_se,
                        low: f.low,
                        high: f.high,
                    };
                    writer.serialize(record(
                        "parameter_gain",
                        f.id,
                        f.label,
                        unit_name(f.unit),
                        &e,
                        None,
                    ))?;
                }
                // A share of the draws: no interval of its own.
                let share = gain.p_npv_gain_positive;
                let e = Estimate {
                    value: share,
                    se: 0.0,
                    low: share,
                    high: share,
                };
                writer.serialize(record(
                    "parameter_gain",
                    "p_npv_gain_positive",
                    "Share of draws with an NPV gain > 0",
                    "probability",
                    &e,
                    None,
                ))?;
            }
            if let Some(p) = &s.p_beats_baseline {
                writer.serialize(record(
                    "p_beats_baseline",
                    "p_beats_baseline",
                    "P(NPV beats baseline)",
                    "probability",
                    p,
                    None,
                ))?;
            }
            for g in &s.causes.by_group {
                writer.serialize(record(
                    "cause_group",
                    &g.id,
                    &g.label,
                    "probability",
                    &g.share,
                    Some(g.count),
                ))?;
            }
            for c in &s.causes.by_category {
                writer.serialize(record(
                    "cause_category",
                    &c.id,
                    &c.label,
                    "probability",
                    &c.share,
                    Some(c.count),
                ))?;
            }
            for f in &s.causes.by_factor {
                writer.serialize(record(
                    "cause_factor",
                    &f.id,
                    &f.name,
                    "probability",
                    &f.share,
                    Some(f.count),
                ))?;
            }
        }
        writer.flush()
    }

    fn factors(&self, list: &FactorList, out: &mut dyn Write) -> std::io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        for f in list.factors {
            let sources = crate::model::sources::citation_list(&f.sources);
            writer.serialize(FactorRecord {
                id: safe_text(&f.id),
                name: safe_text(&f.name),
                category: safe_text(&list.scenario.categories[f.category].id),
                cause_group: safe_text(&list.scenario.groups[f.cause_group].id),
                probability: f.probability,
                mean_severity: f.severity.mean(),
                impact_benefit: f.impact.benefit,
                impact_cost: f.impact.cost,
                impact_schedule: f.impact.schedule,
                sources: safe_text(&sources),
            })?;
        }
        writer.flush()
    }
    fn document(&self, document: &super::Document, out: &mut dyn Write) -> std::io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(
            document
                .csv_header
                .iter()
                .map(|c| safe_cell(c).into_owned()),
        )?;
        for row in &document.csv_rows {
            writer.write_record(row.iter().map(|c| safe_cell(c).into_owned()))?;
        }
        writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::{safe_cell, safe_text};

    #[test]
    fn formula_starts_are_quoted_and_plain_text_is_not() {
        for payload in [
            "=1+1",
            "+1",
            "-2+3",
            "@SUM(1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"a\")",
        ] {
            assert_eq!(safe_text(payload), format!("'{payload}"));
        }
        for plain in ["people_first", "Budget problems", "", "1=1", "'=already"] {
            assert_eq!(safe_text(plain), plain);
        }
    }

    #[test]
    fn numbers_in_document_cells_stay_numbers() {
        for number in ["-0.25", "-1e-3", "+5", "42", "-inf"] {
            assert_eq!(safe_cell(number), number);
        }
        assert_eq!(safe_cell("-A1"), "'-A1");
        assert_eq!(safe_cell("-2+3"), "'-2+3");
    }
}
