//! The workbook of `crmcast report --format xlsx`, in the order a client reads it: `Summary`
//! (the decision and the run), `Metrics` (metrics by strategy with intervals), `Charts` (native
//! Excel charts: S-curves, tornado, frontier, causes), `Causes`, `Inputs` (the scenario in
//! words and numbers), `Data` (the charts' figures), when asked `Trials` (one row per trial and
//! strategy, capped at Excel's rows with a note), and last `Scenario file` (the file as given).

use super::report::{cause_sheets, summary_sheet};
use super::{Book, Cell, EXCEL_ROWS, Style, money_header};
use crate::analysis::presentation::Presentation;
use crate::analysis::report::Unit;
use crate::engine::records::TrialRecord;
use crate::error::Error;
use crate::export::View;
use crate::presentation::inputs::Inputs;
use std::borrow::Cow;
use std::io::Result;

/// Trial rows a sheet holds below its header; more are cut with a note.
pub const MAX_TRIAL_ROWS: usize = EXCEL_ROWS as usize - 1;

/// The workbook's bytes. `inputs`: the scenario's input tables, for the `Inputs` sheet.
/// `trials`: the severity column names (`records::factor_columns`) and the records, for a
/// `Trials` sheet; `None` leaves the sheet out.
pub fn presentation_workbook(
    p: &Presentation,
    inputs: &Inputs,
    trials: Option<(&[String], &[TrialRecord])>,
) -> std::result::Result<Vec<u8>, Error> {
    let build = || -> Result<Vec<u8>> {
        let mut book = Book::new(&format!("crmcast report: {}", p.report.run.scenario))?;
        summary_sheet(&mut book, &p.report)?;
        super::grid::metrics_sheet(&mut book, &p.report, View::Compare)?;
        let data = super::charts::charts(&mut book, p)?;
        cause_sheets(&mut book, &p.report)?;
        super::inputs::inputs_sheet(&mut book, p, inputs)?;
        book.push(data);
        if let Some((columns, records)) = trials {
            trials_sheet(&mut book, p, columns, records)?;
        }
        scenario_file_sheet(&mut book, p)?;
        book.finish()
    };
    build().map_err(|e| Error::Internal(format!("writing the Excel workbook failed: {e}")))
}

/// The scenario file as given, one line a row (a cell holds 32,767 characters and shows one
/// line): the last sheet, for the record; the `Inputs` sheet says the same in words.
fn scenario_file_sheet(book: &mut Book, p: &Presentation) -> Result<()> {
    let header = ["line".to_string(), p.assumptions.origin.clone()];
    let mut sheet = book.sheet("Scenario file", None, &header)?;
    for (n, line) in p.assumptions.scenario_text.lines().enumerate() {
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
    let mut sheet = book.sheet("Trials", None, &header)?;
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
    use crate::presentation::inputs;
    use crate::scenario::Scenario;
    use calamine::{Data, Reader, Xlsx};

    /// A short run of the default scenario, with a hand-made tornado and frontier, and its
    /// first trials.
    fn fixture() -> (Presentation, Inputs, Vec<String>, Vec<TrialRecord>) {
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
        let reference = inputs::Reference::of(&scenario).expect("the built-in catalogue");
        let inputs = inputs::inputs(&scenario, &reference);
        (p, inputs, columns, trials)
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

    /// The first column of the `Data` block whose title starts with `title`.
    fn block(data: &calamine::Range<Data>, title: &str) -> usize {
        (0..data.width())
            .find(|&c| matches!(data.get((0, c)), Some(Data::String(t)) if t.starts_with(title)))
            .unwrap_or_else(|| panic!("no block {title:?}"))
    }

    /// The workbook's files: name and text, for the chart parts.
    fn parts(bytes: &[u8]) -> Vec<(String, String)> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        (0..zip.len())
            .map(|i| {
                let mut file = zip.by_index(i).expect("an entry");
                let name = file.name().map(|n| n.to_string()).unwrap_or_default();
                let mut text = String::new();
                std::io::Read::read_to_string(&mut file, &mut text).unwrap_or_default();
                (name, text)
            })
            .collect()
    }

    #[test]
    fn every_sheet_is_there_with_numbers_as_numbers() {
        let (p, inputs, columns, trials) = fixture();
        let bytes =
            presentation_workbook(&p, &inputs, Some((&columns, &trials))).expect("workbook");
        let mut book = open(bytes);
        assert_eq!(
            book.sheet_names(),
            [
                "Summary",
                "Metrics",
                "Charts",
                "Causes",
                "Inputs",
                "Data",
                "Trials",
                "Scenario file"
            ]
        );
        let data = book.worksheet_range("Data").expect("sheet");
        let tornado = block(&data, "Tornado");
        assert_eq!(
            data.get((2, tornado)),
            Some(&Data::String("politics".into()))
        );
        assert_eq!(float(data.get((2, tornado + 1))), 1_500.0, "low");
        assert_eq!(float(data.get((2, tornado + 3))), 1_100.0, "the swing");
        let frontier = block(&data, "Efficient frontier");
        assert_eq!(float(data.get((2, frontier))), 20_000.0);
        assert_eq!(float(data.get((2, frontier + 1))), 250_000.0);
        assert_eq!(
            data.get((2, frontier + 4)),
            Some(&Data::String("Training, Sponsor".into()))
        );
        let strategies = block(&data, "The scenario's strategies");
        assert_eq!(
            data.get((2, strategies)),
            Some(&Data::String("Baseline".into()))
        );
        assert_eq!(float(data.get((2, strategies + 2))), 200_000.0);
        // The S-curves: the first strategy's overrun at each level, as the presentation has it.
        let overrun = block(&data, "Cost overrun S-curves");
        for (r, &(x, level)) in p.distributions[0].overrun.points.iter().enumerate() {
            assert_eq!(float(data.get((r + 2, overrun))), level);
            assert_eq!(float(data.get((r + 2, overrun + 1))), x);
        }
        let npv = block(&data, "NPV cumulative");
        let last = p.distributions[1].npv.shares.len() - 2;
        let below: f64 = p.distributions[1].npv.shares[..=last].iter().sum();
        assert!((float(data.get((last + 2, npv + 2))) - below).abs() < 1e-12);
        assert_eq!(
            float(data.get((last + 2, npv))),
            p.distributions[1].npv.edges[last + 1]
        );
        let causes = block(&data, "Causes of missed objectives");
        assert_eq!(float(data.get((2, causes + 2))), p.survey[0].baseline.value);

        let file = book.worksheet_range("Scenario file").expect("sheet");
        let text_lines = p.assumptions.scenario_text.lines().count();
        assert_eq!(file.height(), 1 + text_lines);
        let sheet = book.worksheet_range("Trials").expect("sheet");
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
    fn the_charts_are_native_and_draw_from_the_data_sheet() {
        let (p, inputs, _, _) = fixture();
        let bytes = presentation_workbook(&p, &inputs, None).expect("workbook");
        let charts: Vec<String> = parts(&bytes)
            .into_iter()
            .filter(|(name, _)| name.starts_with("xl/charts/chart"))
            .map(|(_, xml)| xml)
            .collect();
        assert_eq!(charts.len(), 5, "S-curves ×2, tornado, frontier, causes");
        let scatter = charts
            .iter()
            .filter(|x| x.contains("<c:scatterChart>"))
            .count();
        let bar = charts.iter().filter(|x| x.contains("<c:barChart>")).count();
        assert_eq!((scatter, bar), (3, 2));
        for xml in &charts {
            // Every series refers to cells of the Data sheet, none holds literal numbers only.
            assert!(xml.contains("<c:f>Data!$"), "{xml}");
            assert!(!xml.contains("<c:numLit>"), "{xml}");
        }
        let series = |xml: &String| xml.matches("<c:ser>").count();
        let strategies = p.distributions.len();
        assert_eq!(
            series(&charts[0]),
            strategies,
            "an overrun curve per strategy"
        );
        assert_eq!(series(&charts[1]), strategies, "an NPV curve per strategy");
        assert_eq!(series(&charts[2]), 2, "tornado: low and high");
        assert!(
            charts[2].contains("<c:crossesAt val=\"1000\"/>"),
            "bars start at the base"
        );
        assert_eq!(series(&charts[3]), 2, "frontier and strategies");
    }

    #[test]
    fn without_tornado_frontier_or_trials_the_charts_say_so() {
        let (mut p, inputs, _, _) = fixture();
        p.tornado = None;
        p.frontier = None;
        let bytes = presentation_workbook(&p, &inputs, None).expect("workbook");
        let charts = parts(&bytes)
            .iter()
            .filter(|(name, _)| name.starts_with("xl/charts/chart"))
            .count();
        assert_eq!(charts, 3);
        let mut book = open(bytes);
        assert!(!book.sheet_names().contains(&"Trials".to_string()));
        let sheet = book.worksheet_range("Charts").expect("sheet");
        let notes: Vec<String> = (1..3)
            .filter_map(|r| match sheet.get((r, 0)) {
                Some(Data::String(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        assert!(notes[0].contains("No tornado"), "{notes:?}");
        assert!(notes[1].contains("No efficient frontier"), "{notes:?}");
    }

    #[test]
    fn the_same_presentation_gives_the_same_bytes() {
        let (p, inputs, columns, trials) = fixture();
        let a = presentation_workbook(&p, &inputs, Some((&columns, &trials))).expect("workbook");
        let b = presentation_workbook(&p, &inputs, Some((&columns, &trials))).expect("workbook");
        assert!(a == b, "two workbooks of one presentation differ");
    }
}
