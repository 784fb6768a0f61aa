//! CSV in long ("tidy") form: one row per strategy and figure, ready for pandas.
//! Columns: `section, strategy, baseline, id, label, unit, value, se, low, high, count`.
//! Sections: `metric`, `difference` (to the baseline), `parameter_gain` (with
//! `--parameter-uncertainty`: the gain's interval from the uncertain inputs), `p_beats_baseline`,
//! `decision` (the recommended strategy's summary figures), `cause_group`, `cause_category`,
//! `cause_factor`.

use super::{Exporter, FactorList, View};
use crate::analysis::report::{Estimate, Report};
use std::io::Write;

pub struct CsvExporter;

/// One CSV row (documented in docs/OUTPUT.md).
#[derive(serde::Serialize)]
pub struct CsvRecord<'a> {
    pub section: &'static str,
    pub strategy: &'a str,
    pub baseline: bool,
    pub id: &'a str,
    pub label: &'a str,
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
    id: &'a str,
    name: &'a str,
    category: &'a str,
    cause_group: &'a str,
    probability: f64,
    mean_severity: f64,
    impact_benefit: f64,
    impact_cost: f64,
    impact_schedule: f64,
    sources: String,
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
                strategy: &s.id,
                baseline: s.baseline,
                id,
                label,
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
                        "expected_npv",
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
                        "cvar10_npv",
                        "NPV, mean of the worst 10 % (CVaR)",
                        "money",
                        &d.cvar10_npv,
                    ),
                    ("p80_budget", "P80 budget", "money", &d.p80_budget),
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
            writer.serialize(FactorRecord {
                id: &f.id,
                name: &f.name,
                category: &list.scenario.categories[f.category].id,
                cause_group: &list.scenario.groups[f.cause_group].id,
                probability: f.probability,
                mean_severity: f.severity.mean(),
                impact_benefit: f.impact.benefit,
                impact_cost: f.impact.cost,
                impact_schedule: f.impact.schedule,
                sources: f.sources.join(" "),
            })?;
        }
        writer.flush()
    }
    fn document(&self, document: &super::Document, out: &mut dyn Write) -> std::io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(&document.csv_header)?;
        for row in &document.csv_rows {
            writer.write_record(row)?;
        }
        writer.flush()
    }
}
