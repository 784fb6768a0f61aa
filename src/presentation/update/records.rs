//! The CSV rows of `crmcast update` (docs/OUTPUT.md): one row per option, the plan before the
//! evidence included, and figure.

use crate::analysis::report::Estimate;
use crate::analysis::update::{OptionForecast, OptionKind, UpdateResult};
use serde::Serialize;

/// One CSV row: one option (or the plan before the evidence) and one figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateCsvRecord {
    /// `then` (the plan before the evidence, every trial weighted 1) or `now` (after it).
    pub forecast: &'static str,
    /// `continue`, a strategy id, or `stop`.
    pub option: String,
    /// `continue`, `strategy` or `stop`.
    pub kind: &'static str,
    /// The figure's id, e.g. `npv_forward_mean`, `overrun_p80`, `p_success`.
    pub figure: String,
    /// `probability`, `fraction` (overrun, slip: relative to plan) or `money`.
    pub unit: &'static str,
    pub value: f64,
    pub se: f64,
    pub low: f64,
    pub high: f64,
}

/// The CSV header: the fields of [`UpdateCsvRecord`], in order (a test keeps them equal).
pub const CSV_COLUMNS: [&str; 9] = [
    "forecast", "option", "kind", "figure", "unit", "value", "se", "low", "high",
];

fn kind_name(kind: &OptionKind) -> &'static str {
    match kind {
        OptionKind::Continue => "continue",
        OptionKind::Strategy { .. } => "strategy",
        OptionKind::Stop => "stop",
    }
}

/// Every figure of one option, as CSV rows.
fn csv_records(forecast: &'static str, o: &OptionForecast) -> Vec<UpdateCsvRecord> {
    let row = |figure: String, unit: &'static str, e: &Estimate| UpdateCsvRecord {
        forecast,
        option: o.id.clone(),
        kind: kind_name(&o.kind),
        figure,
        unit,
        value: e.value,
        se: e.se,
        low: e.low,
        high: e.high,
    };
    let mut rows = vec![row("p_success".into(), "probability", &o.p_success)];
    for (name, unit, d) in [
        ("overrun", "fraction", &o.overrun),
        ("slip", "fraction", &o.slip),
        ("npv_total", "money", &o.npv_total),
        ("npv_forward", "money", &o.npv_forward),
    ] {
        for (statistic, e) in [
            ("mean", &d.mean),
            ("p10", &d.p10),
            ("p50", &d.p50),
            ("p80", &d.p80),
            ("p90", &d.p90),
        ] {
            rows.push(row(format!("{name}_{statistic}"), unit, e));
        }
    }
    rows.push(row(
        "p_forward_loss".into(),
        "probability",
        &o.p_forward_loss,
    ));
    rows.push(row(
        "gain_over_continue".into(),
        "money",
        &o.gain_over_continue,
    ));
    rows
}

/// The CSV rows: the plan before the evidence (`then`), then every option after it (`now`).
pub fn csv(result: &UpdateResult) -> Vec<UpdateCsvRecord> {
    let mut rows = csv_records("then", &result.prior);
    for o in &result.options {
        rows.extend(csv_records("now", o));
    }
    rows
}

pub(super) fn csv_cells(r: &UpdateCsvRecord) -> Vec<String> {
    vec![
        r.forecast.to_string(),
        r.option.clone(),
        r.kind.to_string(),
        r.figure.clone(),
        r.unit.to_string(),
        r.value.to_string(),
        r.se.to_string(),
        r.low.to_string(),
        r.high.to_string(),
    ]
}
