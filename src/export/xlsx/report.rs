//! The sheets of a run's [`Report`]: `Summary` (the decision and the run), `Metrics` (metrics
//! as rows, strategies as columns: [`super::grid`]), `Causes` (long form: one row per strategy
//! and cause), and the optional `Outside view` and `Precision`; plus the `factors` sheet of
//! `crmcast factors`.
//!
//! The layouts differ from the text tables of `sections.rs` on purpose (one figure per cell,
//! intervals in their own cells), so they read the report directly; the labels, units and
//! survey shares are the report's and `sections.rs`'s.

use super::{Book, Cell, Style, money_header};
use crate::analysis::presentation::survey_share;
use crate::analysis::report::{Estimate, Report, Unit};
use crate::export::{FactorList, View};
use std::io::Result;

/// Payback beyond this many years means the project never pays back (as the text tables say).
pub(super) const NEVER_YEARS: f64 = 1e3;

pub(super) fn report_sheets(book: &mut Book, report: &Report, view: View) -> Result<()> {
    summary_sheet(book, report)?;
    super::grid::metrics_sheet(book, report, view)?;
    cause_sheets(book, report)
}

/// The sheets after the metrics: causes, then the outside view and precision when there.
pub(super) fn cause_sheets(book: &mut Book, report: &Report) -> Result<()> {
    causes_sheet(book, report)?;
    outside_view_sheet(book, report)?;
    precision_sheet(book, report)
}

fn yes(flag: bool) -> Cell<'static> {
    Cell::text(if flag { "yes" } else { "no" })
}

/// A value in its unit ("never" for a payback that does not happen).
pub(super) fn figure(unit: Unit, x: f64) -> Cell<'static> {
    if unit == Unit::Years && x >= NEVER_YEARS {
        Cell::text("never")
    } else {
        Cell::number(x, Style::of(unit))
    }
}

/// Value, 95 % low and 95 % high.
pub(super) fn estimate_cells(unit: Unit, e: &Estimate) -> [Cell<'static>; 3] {
    [
        figure(unit, e.value),
        figure(unit, e.low),
        figure(unit, e.high),
    ]
}

/// Header cells for an estimate: the figure, then its interval.
pub(super) fn estimate_header(label: &str) -> [String; 3] {
    [
        label.to_string(),
        format!("{label}: 95 % low"),
        format!("{label}: 95 % high"),
    ]
}

/// A seed as a number while Excel's doubles hold it exactly, else as text.
fn seed_cell(seed: u64) -> Cell<'static> {
    if seed < (1 << 53) {
        Cell::number(seed as f64, Style::General)
    } else {
        Cell::text(seed.to_string())
    }
}

pub(super) fn summary_sheet(book: &mut Book, report: &Report) -> Result<()> {
    let d = &report.decision;
    let run = &report.run;
    let currency = run.currency.as_str();
    let header = ["item", "value", "95 % low", "95 % high"].map(String::from);
    let mut sheet = book.sheet("Summary", None, &header)?;
    let line = |item: String, value: Cell<'static>| vec![Cell::text(item), value];
    let with_interval = |item: String, unit: Unit, e: &Estimate| {
        let mut row = vec![Cell::text(item)];
        row.extend(estimate_cells(unit, e));
        row
    };
    let mut rows = vec![
        line("verdict".into(), Cell::text(d.verdict)),
        line(
            "hurdle rate (the discount rate)".into(),
            Cell::number(d.hurdle_rate, Style::Percent),
        ),
        line(
            "recommended strategy".into(),
            Cell::text(d.recommended.clone()),
        ),
        line(
            "recommended strategy, name".into(),
            Cell::text(d.recommended_name.clone()),
        ),
        with_interval(
            money_header("expected NPV", currency),
            Unit::Money,
            &d.expected_npv,
        ),
        with_interval("P(NPV < 0)".into(), Unit::Probability, &d.p_npv_negative),
        with_interval(
            money_header("NPV, mean of the worst 10 % (CVaR 10 %)", currency),
            Unit::Money,
            &d.cvar10_npv,
        ),
        with_interval(
            money_header("P80 budget", currency),
            Unit::Money,
            &d.p80_budget,
        ),
        line(
            money_header("contingency over the budget", currency),
            Cell::number(d.contingency, Style::Money),
        ),
    ];
    for (k, driver) in d.drivers.iter().enumerate() {
        rows.push(line(
            format!(
                "driver {}: {} — share of missed objectives",
                k + 1,
                driver.name
            ),
            Cell::number(driver.share_of_missed, Style::Percent),
        ));
    }
    for sentence in &d.sentences {
        rows.push(line("in plain words".into(), Cell::text(sentence.clone())));
    }
    rows.push(Vec::new());
    let ending = match run.ending {
        crate::engine::Ending::Completed => "completed",
        crate::engine::Ending::TargetMet => "stopped: precision target met",
        crate::engine::Ending::Interrupted => "interrupted",
    };
    rows.extend([
        line("scenario".into(), Cell::text(run.scenario.clone())),
        line("scenario file".into(), Cell::text(run.origin.clone())),
        line("seed".into(), seed_cell(run.seed)),
        line(
            "trials".into(),
            Cell::number(run.trials as f64, Style::Count),
        ),
        line(
            "trials requested".into(),
            Cell::number(run.requested_trials as f64, Style::Count),
        ),
        line("sampling".into(), Cell::text(run.sampling.name())),
        line(
            "parameter uncertainty drawn per trial".into(),
            yes(run.parameter_uncertainty),
        ),
        line("standard errors".into(), Cell::text(run.standard_errors)),
        line("run ended".into(), Cell::text(ending)),
        line("baseline strategy".into(), Cell::text(run.baseline.clone())),
        line("currency".into(), Cell::text(run.currency.clone())),
        line(
            money_header("budget", currency),
            Cell::number(run.budget, Style::Money),
        ),
        line(
            "catalogue version".into(),
            Cell::text(run.catalogue_version.clone()),
        ),
        line("crmcast version".into(), Cell::text(run.crmcast_version)),
    ]);
    for row in &rows {
        sheet.row(row)?;
    }
    sheet.finish(false)
}

/// One row per strategy and cause: by survey group (with the CRM Forum 2001 share), by factor
/// category, and by factor (with how often it struck), each share of the missed objectives
/// with its interval. Long form, so the autofilter picks a strategy or a breakdown.
fn causes_sheet(book: &mut Book, report: &Report) -> Result<()> {
    let mut header: Vec<String> = [
        "strategy",
        "breakdown",
        "id",
        "cause",
        "category",
        "survey group",
        "missed objectives with this primary cause (trials)",
    ]
    .map(String::from)
    .to_vec();
    header.extend(estimate_header("share of missed objectives"));
    header.extend([
        "CRM Forum 2001 share".to_string(),
        "factor struck (share of all trials)".to_string(),
    ]);
    let mut sheet = book.sheet("Causes", None, &header)?;
    for s in &report.strategies {
        let cause = |breakdown: &'static str,
                     id: &str,
                     label: &str,
                     (category, group): (&str, &str),
                     count: u64,
                     share: &Estimate| {
            let mut row = vec![
                Cell::text(s.id.clone()),
                Cell::text(breakdown),
                Cell::text(id.to_string()),
                Cell::text(label.to_string()),
                Cell::text(category.to_string()),
                Cell::text(group.to_string()),
                Cell::number(count as f64, Style::Count),
            ];
            row.extend(estimate_cells(Unit::Probability, share));
            row
        };
        for g in &s.causes.by_group {
            let mut row = cause(
                "survey group",
                &g.id,
                &g.label,
                ("", &g.id),
                g.count,
                &g.share,
            );
            match survey_share(&g.id) {
                Some((survey, _)) => row.push(Cell::number(survey, Style::Percent)),
                None => row.push(Cell::Blank),
            }
            sheet.row(&row)?;
        }
        for c in &s.causes.by_category {
            sheet.row(&cause(
                "category",
                &c.id,
                &c.label,
                (&c.id, ""),
                c.count,
                &c.share,
            ))?;
        }
        for f in &s.causes.by_factor {
            let mut row = cause(
                "factor",
                &f.id,
                &f.name,
                (&f.category, &f.cause_group),
                f.count,
                &f.share,
            );
            row.extend([Cell::Blank, Cell::number(f.presence, Style::Percent)]);
            sheet.row(&row)?;
        }
        // Misses with no factor behind them, so that the factor shares add up to 100 %.
        let u = &s.causes.unattributed;
        sheet.row(&cause(
            "factor",
            &u.id,
            &u.label,
            ("", "other"),
            u.count,
            &u.share,
        ))?;
    }
    sheet.finish(true)
}

fn outside_view_sheet(book: &mut Book, report: &Report) -> Result<()> {
    let Some(view) = &report.outside_view else {
        return Ok(());
    };
    let header = [
        "strategy",
        "quantile level",
        "cost overrun, inside view (factor model)",
        "cost overrun, outside view (reference class)",
        "cost overrun, blended",
    ]
    .map(String::from);
    let title = format!(
        "Outside view blended in at weight {:.2} ({})",
        view.weight, view.class
    );
    let mut sheet = book.sheet("Outside view", None, &header)?;
    for r in &view.rows {
        sheet.row(&[
            Cell::text(r.strategy.as_str()),
            Cell::number(r.level, Style::Percent),
            Cell::number(r.inside, Style::SignedPercent),
            Cell::number(r.outside, Style::SignedPercent),
            Cell::number(r.blended, Style::SignedPercent),
        ])?;
    }
    sheet.note(&title)?;
    sheet.finish(true)
}

fn precision_sheet(book: &mut Book, report: &Report) -> Result<()> {
    let Some(checks) = &report.run.precision else {
        return Ok(());
    };
    let header = [
        "metric",
        "target 95 % half-width",
        "achieved 95 % half-width",
        "widest in strategy",
        "met",
    ]
    .map(String::from);
    let mut sheet = book.sheet("Precision", None, &header)?;
    for c in checks {
        sheet.row(&[
            Cell::text(c.metric.as_str()),
            Cell::number(c.target, Style::General),
            Cell::number(c.achieved, Style::General),
            Cell::text(c.worst_strategy.as_str()),
            yes(c.met),
        ])?;
    }
    sheet.finish(true)
}

/// `crmcast factors`: the catalogue as the scenario sees it.
pub(super) fn factor_sheet(book: &mut Book, list: &FactorList) -> Result<()> {
    let s = list.scenario;
    let header = [
        "id",
        "name",
        "category",
        "survey group",
        "probability",
        "mean severity",
        "impact on benefit",
        "impact on log cost",
        "impact on log duration",
        "impact on runaway log hazard",
        "sources",
    ]
    .map(String::from);
    let mut sheet = book.sheet("factors", None, &header)?;
    for f in list.factors {
        let category = s.categories.get(f.category).map(|c| c.id.clone());
        let group = s.groups.get(f.cause_group).map(|g| g.id.clone());
        sheet.row(&[
            Cell::text(f.id.as_str()),
            Cell::text(f.name.as_str()),
            Cell::text(category.unwrap_or_default()),
            Cell::text(group.unwrap_or_default()),
            Cell::number(f.probability, Style::Percent),
            Cell::number(f.severity.mean(), Style::Fixed(2)),
            Cell::number(f.impact.benefit, Style::Fixed(3)),
            Cell::number(f.impact.cost, Style::Fixed(3)),
            Cell::number(f.impact.schedule, Style::Fixed(3)),
            Cell::number(f.impact.runaway, Style::Fixed(3)),
            Cell::text(crate::model::sources::citation_list(&f.sources)),
        ])?;
    }
    let e = &s.project.estimate;
    let r = &s.project.runaway;
    sheet.note(&format!(
        "Every trial: log cost mean {:.4}, sd {:.4}; log schedule mean {:.4}, sd {:.4}; runaway base probability {:.4}, smallest multiplier {:.4}, tail index {:.4}, schedule elasticity {:.4} (docs/MODEL.md §5, §5a)",
        e.log_cost_mean,
        e.log_cost_sd,
        e.log_schedule_mean,
        e.log_schedule_sd,
        r.base_probability,
        r.size_min,
        r.tail,
        r.schedule
    ))?;
    sheet.note(&format!(
        "Factor catalogue {} ({} factors; `crmcast sources` gives each source in full)",
        s.catalogue_version,
        list.factors.len()
    ))?;
    sheet.finish(true)
}
