//! The workbook of `crmcast report --format xlsx`: the run's sheets (summary, comparison in
//! the compare view, causes) plus `sensitivity` (the tornado), `frontier` (mitigation spend
//! against the objective), `survey` (the CRM Forum shares beside the model's), `assumptions`
//! (the run's settings and the scenario file line by line) and, when asked, `trials` (one row
//! per trial and strategy, capped at Excel's rows with a note).

use super::report::{estimate_cells, estimate_header, report_sheets};
use super::{Book, Cell, EXCEL_ROWS, Style, money_header, unit_header};
use crate::analysis::presentation::Presentation;
use crate::analysis::report::Unit;
use crate::engine::records::TrialRecord;
use crate::error::Error;
use crate::export::View;
use std::borrow::Cow;
use std::io::Result;

/// Trial rows a sheet holds below its header; more are cut with a note.
pub const MAX_TRIAL_ROWS: usize = EXCEL_ROWS as usize - 1;

/// The workbook's bytes. `trials`: the severity column names (`records::factor_columns`) and
/// the records, for a `trials` sheet; `None` leaves the sheet out.
pub fn presentation_workbook(
    p: &Presentation,
    trials: Option<(&[String], &[TrialRecord])>,
) -> std::result::Result<Vec<u8>, Error> {
    let build = || -> Result<Vec<u8>> {
        let mut book = Book::new(&format!("crmcast report: {}", p.report.run.scenario))?;
        report_sheets(&mut book, &p.report, View::Compare)?;
        sensitivity_sheet(&mut book, p)?;
        frontier_sheet(&mut book, p)?;
        survey_sheet(&mut book, p)?;
        assumptions_sheet(&mut book, p)?;
        if let Some((columns, records)) = trials {
            trials_sheet(&mut book, p, columns, records)?;
        }
        book.finish()
    };
    build().map_err(|e| Error::Internal(format!("writing the Excel workbook failed: {e}")))
}

fn sensitivity_sheet(book: &mut Book, p: &Presentation) -> Result<()> {
    let currency = p.report.run.currency.as_str();
    let Some(t) = &p.tornado else {
        let mut sheet = book.sheet("sensitivity", None, &["input".to_string()])?;
        sheet.note("No input moves the output: there is no tornado to show.")?;
        return sheet.finish(false);
    };
    let label = unit_header(&t.metric_label, t.unit, currency);
    let header = [
        "input".to_string(),
        format!("{label} at the input's low setting"),
        format!("{label} at the input's high setting"),
        format!("swing: |high − low| {}", unit_suffix(t.unit, currency)),
        format!("{label} with every input free"),
    ];
    let style = Style::of(t.unit);
    let mut sheet = book.sheet("sensitivity", None, &header)?;
    for bar in &t.bars {
        sheet.row(&[
            Cell::text(bar.input.as_str()),
            Cell::number(bar.low, style),
            Cell::number(bar.high, style),
            Cell::number((bar.high - bar.low).abs(), style),
            Cell::number(t.base, style),
        ])?;
    }
    sheet.note(&format!(
        "Tornado of {} under strategy {}: low = the factor ruled out (or the input at its P10), high = the factor certain (or at its P90); largest swing first.",
        t.metric_label, t.strategy
    ))?;
    sheet.finish(true)
}

/// `(EUR)` for money, nothing for the rest.
fn unit_suffix(unit: Unit, currency: &str) -> String {
    match unit {
        Unit::Money => format!("({currency})"),
        _ => String::new(),
    }
}

fn frontier_sheet(book: &mut Book, p: &Presentation) -> Result<()> {
    let currency = p.report.run.currency.as_str();
    let Some(f) = &p.frontier else {
        let mut sheet = book.sheet("frontier", None, &["point".to_string()])?;
        sheet.note("No frontier: the scenario has no mitigations, or it was left out.")?;
        return sheet.finish(false);
    };
    // The report's frontier is of the expected NPV; a probability objective reads as a share.
    let unit = if f.objective_label.starts_with("P(") {
        Unit::Probability
    } else {
        Unit::Money
    };
    let mut header = vec![
        "point".to_string(),
        "strategy".to_string(),
        money_header("expected mitigation spend", currency),
    ];
    header.extend(estimate_header(&unit_header(
        &f.objective_label,
        unit,
        currency,
    )));
    header.push("mitigations".to_string());
    let mut sheet = book.sheet("frontier", None, &header)?;
    for point in &f.points {
        let mut row = vec![
            Cell::text("efficient subset"),
            Cell::Blank,
            Cell::number(point.spend, Style::Money),
        ];
        row.extend(estimate_cells(unit, &point.value));
        row.push(if point.mitigations.is_empty() {
            Cell::text("(none)")
        } else {
            Cell::text(point.mitigations.join(", "))
        });
        sheet.row(&row)?;
    }
    for s in &f.strategies {
        let mut row = vec![
            Cell::text("scenario strategy"),
            Cell::text(s.name.as_str()),
            Cell::number(s.spend, Style::Money),
        ];
        row.extend(estimate_cells(unit, &s.value));
        sheet.row(&row)?;
    }
    sheet.finish(true)
}

fn survey_sheet(book: &mut Book, p: &Presentation) -> Result<()> {
    let baseline = &p.report.run.baseline;
    let recommended = &p.report.decision.recommended;
    let mut header = vec![
        "cause group".to_string(),
        "label".to_string(),
        "CRM Forum 2001 share".to_string(),
    ];
    header.extend(estimate_header(&format!(
        "baseline \"{baseline}\": share of missed objectives"
    )));
    header.extend(estimate_header(&format!(
        "recommended \"{recommended}\": share of missed objectives"
    )));
    header.push("survey source".to_string());
    let mut sheet = book.sheet("survey", None, &header)?;
    for s in &p.survey {
        let mut row = vec![
            Cell::text(s.group.as_str()),
            Cell::text(s.label.as_str()),
            s.survey
                .map_or(Cell::Blank, |x| Cell::number(x, Style::Percent)),
        ];
        row.extend(estimate_cells(Unit::Probability, &s.baseline));
        row.extend(estimate_cells(Unit::Probability, &s.recommended));
        row.push(Cell::text(s.source.as_deref().unwrap_or_default()));
        sheet.row(&row)?;
    }
    sheet.finish(true)
}

fn assumptions_sheet(book: &mut Book, p: &Presentation) -> Result<()> {
    let a = &p.assumptions;
    let header = ["item", "value"].map(String::from);
    let mut sheet = book.sheet("assumptions", None, &header)?;
    let seed = if a.seed < (1 << 53) {
        Cell::number(a.seed as f64, Style::General)
    } else {
        Cell::text(a.seed.to_string())
    };
    let rows = [
        ("scenario", Cell::text(a.scenario.as_str())),
        ("scenario file", Cell::text(a.origin.as_str())),
        ("catalogue", Cell::text(a.catalogue.as_str())),
        (
            "catalogue version",
            Cell::text(a.catalogue_version.as_str()),
        ),
        ("seed", seed),
        ("trials", Cell::number(a.trials as f64, Style::Count)),
        ("sampling", Cell::text(a.sampling.as_str())),
        ("crmcast version", Cell::text(a.crmcast_version.as_str())),
    ];
    for (item, value) in rows {
        sheet.row(&[Cell::text(item), value])?;
    }
    // The scenario file one line a row: a cell holds 32,767 characters and shows one line.
    sheet.row(&[])?;
    sheet.row(&[Cell::text("scenario file as given, line by line")])?;
    for (n, line) in a.scenario_text.lines().enumerate() {
        sheet.row(&[
            Cell::number((n + 1) as f64, Style::Fixed(0)),
            Cell::text(line),
        ])?;
    }
    sheet.finish(false)
}

fn trials_sheet(
    book: &mut Book,
    p: &Presentation,
    columns: &[String],
    records: &[TrialRecord],
) -> Result<()> {
    let currency = p.report.run.currency.as_str();
    let mut header: Vec<String> = vec![
        "trial".into(),
        "strategy".into(),
        "outcome".into(),
        money_header("cost incl. mitigations", currency),
        "cost overrun".into(),
        "schedule slip".into(),
        "benefits realised".into(),
        money_header("annual benefit", currency),
        money_header("NPV", currency),
        "ROI".into(),
        "payback (years)".into(),
        "primary cause".into(),
        "runaway".into(),
    ];
    header.extend(columns.iter().cloned());
    let mut sheet = book.sheet("trials", None, &header)?;
    let shown = &records[..records.len().min(MAX_TRIAL_ROWS)];
    let mut row: Vec<Cell> = Vec::with_capacity(header.len());
    for r in shown {
        row.clear();
        row.extend([
            Cell::number(r.trial as f64, Style::General),
            Cell::Text(Cow::Borrowed(r.strategy.as_str())),
            Cell::text(r.outcome),
            Cell::number(r.cost, Style::Money),
            Cell::number(r.overrun, Style::Percent),
            Cell::number(r.slip, Style::Percent),
            Cell::number(r.benefit_realisation, Style::Percent),
            Cell::number(r.annual_benefit, Style::Money),
            Cell::number(r.npv, Style::Money),
            Cell::number(r.roi, Style::Percent),
            super::report::figure(Unit::Years, r.payback_years),
            Cell::Text(Cow::Borrowed(r.primary_cause.as_str())),
            Cell::text(if r.runaway { "yes" } else { "no" }),
        ]);
        row.extend(
            r.severities
                .iter()
                .map(|&x| Cell::number(x, Style::Fixed(3))),
        );
        sheet.row(&row)?;
    }
    if shown.len() < records.len() {
        sheet.note(&format!(
            "The first {} of {} rows: a sheet holds {} rows. Write every trial with --trials-output trials.csv.",
            shown.len(),
            records.len(),
            EXCEL_ROWS
        ))?;
    }
    sheet.finish(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Report;
    use crate::analysis::presentation::{
        self, Extras, FrontierChart, FrontierPoint, StrategyPoint, TornadoBar, TornadoChart,
    };
    use crate::analysis::report::Estimate;
    use crate::engine::{NoObserver, RunSettings, records};
    use crate::scenario::Scenario;
    use calamine::{Data, Reader, Xlsx};

    /// A short run of the default scenario, with a hand-made tornado and frontier, and its
    /// first trials.
    fn fixture() -> (Presentation, Vec<String>, Vec<TrialRecord>) {
        let scenario = Scenario::builtin_default().expect("built-in scenario");
        let settings = RunSettings {
            trials: 4_000,
            seed: 5,
            threads: 1,
            ..Default::default()
        };
        let result = crate::engine::simulate(&scenario, &settings, &NoObserver).expect("run");
        let report = Report::build(&scenario, &result);
        let sample = records::first_outcomes(&scenario, &settings, 200);
        let mut p = presentation::build(
            &scenario,
            &result,
            report,
            Extras::without_analyses(&sample),
        );
        p.tornado = Some(TornadoChart {
            strategy: "Baseline".into(),
            metric_label: "NPV, mean".into(),
            unit: Unit::Money,
            base: 1_000.0,
            bars: vec![TornadoBar {
                input: "politics".into(),
                low: 1_500.0,
                high: 400.0,
            }],
        });
        p.frontier = Some(FrontierChart {
            objective_label: "Expected NPV".into(),
            points: vec![FrontierPoint {
                spend: 20_000.0,
                value: Estimate::normal(250_000.0, 1_000.0),
                mitigations: vec!["Training".into(), "Sponsor".into()],
            }],
            strategies: vec![StrategyPoint {
                name: "Baseline".into(),
                spend: 0.0,
                value: Estimate::normal(200_000.0, 1_000.0),
            }],
        });
        let columns = records::factor_columns(&scenario);
        let trials = records::records(&scenario, &settings, 30);
        (p, columns, trials)
    }

    fn open(bytes: Vec<u8>) -> Xlsx<std::io::Cursor<Vec<u8>>> {
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a readable workbook")
    }

    fn float(cell: Option<&Data>) -> f64 {
        match cell {
            Some(Data::Float(x)) => *x,
            other => panic!("not a number: {other:?}"),
        }
    }

    #[test]
    fn every_sheet_is_there_with_numbers_as_numbers() {
        let (p, columns, trials) = fixture();
        let bytes = presentation_workbook(&p, Some((&columns, &trials))).expect("workbook");
        let mut book = open(bytes);
        assert_eq!(
            book.sheet_names(),
            [
                "summary",
                "comparison",
                "causes",
                "sensitivity",
                "frontier",
                "survey",
                "assumptions",
                "trials"
            ]
        );
        let tornado = book.worksheet_range("sensitivity").expect("sheet");
        assert_eq!(tornado.get((1, 0)), Some(&Data::String("politics".into())));
        assert_eq!(float(tornado.get((1, 3))), 1_100.0, "the swing");
        let frontier = book.worksheet_range("frontier").expect("sheet");
        assert_eq!(float(frontier.get((1, 2))), 20_000.0);
        assert_eq!(float(frontier.get((1, 3))), 250_000.0);
        assert_eq!(
            frontier.get((1, 6)),
            Some(&Data::String("Training, Sponsor".into()))
        );
        let survey = book.worksheet_range("survey").expect("sheet");
        assert_eq!(survey.height(), p.survey.len() + 1);
        let first = &p.survey[0];
        assert_eq!(float(survey.get((1, 3))), first.baseline.value);
        let assumptions = book.worksheet_range("assumptions").expect("sheet");
        let text_lines = p.assumptions.scenario_text.lines().count();
        assert_eq!(assumptions.height(), 1 + 8 + 2 + text_lines);
        let sheet = book.worksheet_range("trials").expect("sheet");
        assert_eq!(sheet.height(), trials.len() + 1);
        assert_eq!(sheet.width(), 13 + columns.len());
        for (i, r) in trials.iter().enumerate() {
            assert_eq!(float(sheet.get((i + 1, 8))), r.npv, "NPV of row {i}");
            assert_eq!(
                sheet.get((i + 1, 1)),
                Some(&Data::String(r.strategy.clone()))
            );
        }
    }

    #[test]
    fn without_tornado_frontier_or_trials_the_sheets_say_so() {
        let (mut p, _, _) = fixture();
        p.tornado = None;
        p.frontier = None;
        let mut book = open(presentation_workbook(&p, None).expect("workbook"));
        assert!(!book.sheet_names().contains(&"trials".to_string()));
        let tornado = book.worksheet_range("sensitivity").expect("sheet");
        assert_eq!(tornado.height(), 1, "a header and a note only");
        assert!(
            matches!(tornado.get((0, 2)), Some(Data::String(note)) if note.contains("No input"))
        );
    }

    #[test]
    fn the_same_presentation_gives_the_same_bytes() {
        let (p, columns, trials) = fixture();
        let a = presentation_workbook(&p, Some((&columns, &trials))).expect("workbook");
        let b = presentation_workbook(&p, Some((&columns, &trials))).expect("workbook");
        assert!(a == b, "two workbooks of one presentation differ");
    }
}
