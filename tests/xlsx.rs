//! `--format xlsx`: the workbooks of `run`, `compare`, `merge`, `report`, `factors` and an
//! analysis command, read back with calamine (and the report's as the zip it is, for its
//! charts) and checked against the same command's JSON (or CSV): the sheets and their names,
//! the metrics grid, figures as numeric cells in their number formats, native charts that draw
//! from the Data sheet, identical bytes for the same seed, and no workbook on a terminal.

use assert_cmd::Command;
use calamine::{Data, Range, Reader, Xlsx};
use crmcast::export::Format;
use serde_json::Value;
use std::io::Cursor;
use std::path::Path;

/// A fixed creation date, so that two runs on either side of midnight still match.
const EPOCH: &str = "1700000000";

fn crmcast() -> Command {
    let mut command = Command::cargo_bin("crmcast").expect("binary");
    command.env("SOURCE_DATE_EPOCH", EPOCH);
    command
}

/// Standard output of a successful command (a pipe here, so a workbook is allowed).
fn output(args: &[&str]) -> Vec<u8> {
    let out = crmcast().args(args).output().expect("run");
    assert!(
        out.status.success(),
        "crmcast {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_slice(&output(&all)).expect("JSON")
}

fn workbook(args: &[&str]) -> (Vec<u8>, Xlsx<Cursor<Vec<u8>>>) {
    let mut all = args.to_vec();
    all.extend(["--format", "xlsx"]);
    let bytes = output(&all);
    let book = calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).expect("an xlsx");
    (bytes, book)
}

fn sheet(book: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Range<Data> {
    book.worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"))
}

/// The column whose header (row `header_row`) is `name`.
fn column(range: &Range<Data>, header_row: usize, name: &str) -> usize {
    (0..range.width())
        .find(|&c| range.get((header_row, c)) == Some(&Data::String(name.into())))
        .unwrap_or_else(|| panic!("no column {name:?}"))
}

/// The row whose first cell is `key`.
fn row(range: &Range<Data>, key: &str) -> usize {
    (0..range.height())
        .find(|&r| range.get((r, 0)) == Some(&Data::String(key.into())))
        .unwrap_or_else(|| panic!("no row {key:?}"))
}

fn float(range: &Range<Data>, at: (usize, usize)) -> f64 {
    match range.get(at) {
        Some(Data::Float(x)) => *x,
        other => panic!("cell {at:?} is not a number: {other:?}"),
    }
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

/// The number format of a cell.
fn format_code(book: &mut Xlsx<Cursor<Vec<u8>>>, name: &str, at: (usize, usize)) -> String {
    let styles = book.worksheet_style(name).expect("styles");
    styles
        .get((at.0 as u32, at.1 as u32))
        .and_then(|s| s.number_format.as_ref())
        .map(|f| f.format_code.clone())
        .unwrap_or_else(|| "General".into())
}

/// The Metrics grid: metrics as rows (the interval in the two rows below), strategies as
/// columns (their names in row 1).
const NAMES_ROW: usize = 1;

/// Every strategy's metric `id` (value, low, high) in the Metrics grid, on the row `label`,
/// equals the JSON's; `None` for an empty cell (the baseline's difference to itself).
fn assert_grid(grid: &Range<Data>, report: &Value, key: &str, id: &str, label: &str) {
    let r = row(grid, label);
    assert_eq!(grid.get((r + 1, 0)), Some(&Data::String("95 % low".into())));
    assert_eq!(
        grid.get((r + 2, 0)),
        Some(&Data::String("95 % high".into()))
    );
    let strategies = report["strategies"].as_array().expect("strategies");
    assert_eq!(
        grid.width(),
        strategies.len() + 1,
        "one column per strategy"
    );
    for s in strategies {
        let col = column(grid, NAMES_ROW, s["name"].as_str().expect("name"));
        let figure = match key {
            "p_beats_baseline" => Some(&s[key]).filter(|v| !v.is_null()),
            _ => s[key]
                .as_array()
                .and_then(|m| m.iter().find(|m| m["id"] == id)),
        };
        let Some(figure) = figure else {
            assert_eq!(grid.get((r, col)), Some(&Data::Empty), "{id}: empty");
            continue;
        };
        for (offset, field) in [(0, "value"), (1, "low"), (2, "high")] {
            assert_eq!(
                float(grid, (r + offset, col)),
                number(&figure[field]),
                "{id} {field} of {}",
                s["name"]
            );
        }
    }
}

const RUN: [&str; 6] = ["run", "--trials", "20000", "--seed", "11", "-q"];

#[test]
fn run_workbook_matches_the_json_report() {
    let report = json(&RUN);
    let (_, mut book) = workbook(&RUN);
    assert_eq!(book.sheet_names(), ["Summary", "Metrics", "Causes"]);
    let currency = report["run"]["currency"].as_str().expect("currency");
    let grid = sheet(&mut book, "Metrics");
    let npv_label = format!("NPV, mean ({currency})");
    assert_grid(&grid, &report, "metrics", "p_success", "P(success)");
    assert_grid(&grid, &report, "metrics", "npv_mean", &npv_label);
    // Every metric of the JSON has its row (value, low, high).
    let metrics = report["strategies"][0]["metrics"]
        .as_array()
        .expect("metrics");
    let figures = (0..grid.height())
        .filter(|&r| matches!(grid.get((r + 1, 0)), Some(Data::String(l)) if l == "95 % low"))
        .count();
    assert_eq!(figures, metrics.len());
    // Shares as percentages, money with thousands separators.
    let p_success = row(&grid, "P(success)");
    let npv = row(&grid, &npv_label);
    assert_eq!(format_code(&mut book, "Metrics", (p_success, 1)), "0.0%");
    assert_eq!(
        format_code(&mut book, "Metrics", (p_success + 1, 1)),
        "0.0%"
    );
    assert_eq!(format_code(&mut book, "Metrics", (npv, 1)), "#,##0");
    // The run view has no differences to the baseline.
    assert!(
        (0..grid.height()).all(|r| !matches!(
            grid.get((r, 0)),
            Some(Data::String(h)) if h.contains("beats baseline")
        )),
        "differences in the run view"
    );

    let summary = sheet(&mut book, "Summary");
    let decision = &report["decision"];
    let verdict = row(&summary, "verdict");
    assert_eq!(
        summary.get((verdict, 1)),
        Some(&Data::String(
            decision["verdict"].as_str().expect("verdict").into()
        ))
    );
    let npv_row = row(&summary, &format!("expected NPV ({currency})"));
    for (col, key) in [(1, "value"), (2, "low"), (3, "high")] {
        assert_eq!(
            float(&summary, (npv_row, col)),
            number(&decision["npv_mean"][key])
        );
    }
    let loss = row(&summary, "P(NPV < 0)");
    assert_eq!(
        float(&summary, (loss, 1)),
        number(&decision["p_npv_negative"]["value"])
    );
    assert_eq!(format_code(&mut book, "Summary", (loss, 1)), "0.0%");
    assert_eq!(float(&summary, (row(&summary, "seed"), 1)), 11.0);
    assert_eq!(float(&summary, (row(&summary, "trials"), 1)), 20_000.0);
    let sentences = decision["sentences"].as_array().expect("sentences");
    let plain = (0..summary.height())
        .filter(|&r| summary.get((r, 0)) == Some(&Data::String("in plain words".into())))
        .count();
    assert_eq!(plain, sentences.len());

    let causes = sheet(&mut book, "Causes");
    let strategies = report["strategies"].as_array().expect("strategies");
    let per_strategy = |s: &Value| {
        let c = &s["causes"];
        let len = |k: &str| c[k].as_array().map_or(0, Vec::len);
        len("by_group") + len("by_category") + len("by_factor") + 1
    };
    let rows: usize = strategies.iter().map(per_strategy).sum();
    assert_eq!(causes.height(), rows + 1);
    // The baseline's first survey group, share and interval.
    let base = &strategies[0];
    let group = &base["causes"]["by_group"][0];
    let share = column(&causes, 0, "share of missed objectives");
    assert_eq!(
        causes.get((1, 0)),
        Some(&Data::String(base["id"].as_str().unwrap_or("").into()))
    );
    assert_eq!(
        causes.get((1, 2)),
        Some(&Data::String(group["id"].as_str().unwrap_or("").into()))
    );
    assert_eq!(float(&causes, (1, share)), number(&group["value"]));
    assert_eq!(float(&causes, (1, share + 2)), number(&group["high"]));
}

#[test]
fn compare_workbook_has_the_differences_to_the_baseline() {
    let args = ["compare", "--trials", "20000", "--seed", "3", "-q"];
    let report = json(&args);
    let (_, mut book) = workbook(&args);
    let grid = sheet(&mut book, "Metrics");
    let currency = report["run"]["currency"].as_str().expect("currency");
    assert_grid(
        &grid,
        &report,
        "p_beats_baseline",
        "",
        "P(NPV beats baseline)",
    );
    assert_grid(
        &grid,
        &report,
        "versus_baseline",
        "npv_mean",
        &format!("Δ NPV, mean ({currency}) vs baseline"),
    );
    let gain = row(&grid, &format!("Δ NPV, mean ({currency}) vs baseline"));
    assert_eq!(
        format_code(&mut book, "Metrics", (gain, 2)),
        "+#,##0;-#,##0;0"
    );
    let others = report["strategies"]
        .as_array()
        .map_or(0, |s| s.iter().filter(|s| s["baseline"] == false).count());
    assert!(others > 0, "the default scenario compares strategies");
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let (a, _) = workbook(&RUN);
    let (b, _) = workbook(&RUN);
    assert!(a == b, "two workbooks of one seed differ");
    let mut other = RUN.to_vec();
    other[4] = "12";
    let (c, _) = workbook(&other);
    assert!(a != c, "another seed, the same workbook");
}

#[test]
fn a_workbook_written_to_a_file_is_the_one_on_a_pipe() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let path = folder.path().join("run.xlsx");
    let path_text = path.to_str().expect("UTF-8 path");
    let mut args = RUN.to_vec();
    args.extend(["--format", "xlsx", "--output", path_text]);
    assert!(output(&args).is_empty(), "nothing on standard output");
    let written = std::fs::read(&path).expect("the workbook");
    let (piped, _) = workbook(&RUN);
    assert_eq!(written, piped);
    let mut dash = RUN.to_vec();
    dash.extend(["--format", "xlsx", "--output", "-"]);
    assert_eq!(output(&dash), piped, "`-` is standard output");
}

#[test]
fn merged_shards_give_the_workbook_of_the_merged_report() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let mut parts = Vec::new();
    for k in 1..=2 {
        let part = folder.path().join(format!("part-{k}.json"));
        let shard = format!("{k}/2");
        let part_text = part.to_str().expect("UTF-8 path").to_string();
        output(&[
            "run", "--trials", "40000", "--seed", "5", "-q", "--shard", &shard, "--output",
            &part_text,
        ]);
        parts.push(part_text);
    }
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(String::as_str));
    let report = json(&args);
    let (_, mut book) = workbook(&args);
    let grid = sheet(&mut book, "Metrics");
    assert_grid(&grid, &report, "metrics", "p_success", "P(success)");
}

/// The workbook's chart parts (`xl/charts/chart*.xml`), in order.
fn chart_parts(bytes: &[u8]) -> Vec<String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("an xlsx is a zip");
    let mut names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.to_string()))
        .filter(|n| n.starts_with("xl/charts/chart"))
        .collect();
    // chart2 before chart10.
    names.sort_by_key(|n| (n.len(), n.clone()));
    names
        .iter()
        .map(|name| {
            let mut text = String::new();
            let mut file = zip.by_name(name).expect("a chart part");
            std::io::Read::read_to_string(&mut file, &mut text).expect("UTF-8 XML");
            text
        })
        .collect()
}

#[test]
fn report_workbook_has_native_charts_the_metrics_grid_and_numbers_as_numbers() {
    let run = ["--trials", "20000", "--seed", "3", "-q"];
    let mut args = vec!["report"];
    args.extend(run);
    args.extend([
        "--sensitivity-trials",
        "2000",
        "--format",
        "xlsx",
        "--output",
        "-",
    ]);
    let bytes = output(&args);
    let mut compare = vec!["compare"];
    compare.extend(run);
    let report = json(&compare);
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).expect("an xlsx");
    assert_eq!(
        book.sheet_names(),
        [
            "Summary",
            "Metrics",
            "Charts",
            "Causes",
            "Inputs",
            "Data",
            "Scenario file"
        ]
    );

    // The same seed and trials: the grid's figures are the compare run's JSON.
    let grid = sheet(&mut book, "Metrics");
    let currency = report["run"]["currency"].as_str().expect("currency");
    assert_grid(
        &grid,
        &report,
        "metrics",
        "npv_mean",
        &format!("NPV, mean ({currency})"),
    );
    assert_grid(&grid, &report, "metrics", "p_success", "P(success)");
    assert_grid(
        &grid,
        &report,
        "p_beats_baseline",
        "",
        "P(NPV beats baseline)",
    );

    // Native charts: two S-curves and the frontier are scatter charts, the tornado and the
    // causes bar charts; every series reads its cells on the Data sheet.
    let charts = chart_parts(&bytes);
    assert_eq!(charts.len(), 5);
    let kinds: Vec<&str> = charts
        .iter()
        .map(|xml| {
            if xml.contains("<c:scatterChart>") {
                "scatter"
            } else if xml.contains("<c:barChart>") {
                "bar"
            } else {
                "other"
            }
        })
        .collect();
    assert_eq!(kinds, ["scatter", "scatter", "bar", "scatter", "bar"]);
    let strategies = report["strategies"].as_array().map_or(0, Vec::len);
    for (k, xml) in charts.iter().enumerate() {
        assert!(
            xml.contains("<c:f>Data!$"),
            "chart {k} without Data references"
        );
        let series = xml.matches("<c:ser>").count();
        let want = match k {
            0 | 1 => strategies,
            2 | 3 => 2,
            _ => 3,
        };
        assert_eq!(series, want, "series of chart {k}");
    }
    // The Data sheet holds the numbers the charts draw: the overrun S-curve's levels.
    let data = sheet(&mut book, "Data");
    assert_eq!(float(&data, (2, 0)), 0.005);
    assert_eq!(float(&data, (200, 0)), 0.995);
    assert_eq!(format_code(&mut book, "Data", (2, 0)), "0.0%");

    // Numbers stay numbers: no text cell reads as a number or a percentage, on any sheet but
    // the scenario file as given.
    for name in book.sheet_names() {
        if name == "Scenario file" {
            continue;
        }
        let range = sheet(&mut book, &name);
        for (r, c, cell) in range.cells() {
            if let Data::String(text) = cell {
                let plain = text.trim().trim_end_matches('%').trim().replace(',', "");
                assert!(
                    plain.parse::<f64>().is_err(),
                    "{name} ({r}, {c}): the number {text:?} written as text"
                );
            }
        }
    }
    // The inputs in words and numbers: every table, the budget a number in money format, and
    // one row per strategy.
    let inputs = sheet(&mut book, "Inputs");
    for title in [
        "The project",
        "The benefits",
        "Factors this scenario changes",
        "Mitigations",
        "Effects of the mitigations",
        "Strategies",
    ] {
        row(&inputs, title);
    }
    let budget = row(&inputs, "Budget");
    assert_eq!(
        float(&inputs, (budget, 1)),
        number(&report["run"]["budget"])
    );
    assert_eq!(format_code(&mut book, "Inputs", (budget, 1)), "#,##0");
    let listed = row(&inputs, "Strategies") + 3;
    for (k, s) in report["strategies"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(Data::String(name)) = inputs.get((listed + k, 0)) else {
            panic!("strategy {k} not listed");
        };
        let want = s["name"].as_str().expect("name");
        assert!(name.starts_with(want), "{name} for {want}");
    }
    // The raw file is the last sheet, not the inputs.
    let file = sheet(&mut book, "Scenario file");
    assert!(file.height() > 10);
}

#[test]
fn factors_workbook_lists_the_catalogue() {
    let list = json(&["factors"]);
    let (_, mut book) = workbook(&["factors"]);
    assert_eq!(book.sheet_names(), ["factors"]);
    let factors = sheet(&mut book, "factors");
    let expected = list["factors"].as_array().expect("factors");
    assert_eq!(factors.height(), expected.len() + 1);
    let probability = column(&factors, 0, "probability");
    for (i, f) in expected.iter().enumerate() {
        assert_eq!(
            factors.get((i + 1, 0)),
            Some(&Data::String(f["id"].as_str().expect("id").into()))
        );
        assert_eq!(
            float(&factors, (i + 1, probability)),
            number(&f["probability"])
        );
    }
    assert_eq!(format_code(&mut book, "factors", (1, probability)), "0.0%");
}

#[test]
fn an_analysis_document_becomes_one_sheet_per_section_and_its_data() {
    let (_, mut book) = workbook(&["reference-class"]);
    let names = book.sheet_names();
    let markdown =
        String::from_utf8(output(&["reference-class", "--format", "markdown"])).expect("UTF-8");
    let sections = markdown.lines().filter(|l| l.starts_with("## ")).count();
    assert_eq!(names.len(), sections + 1, "{names:?}");
    assert_eq!(names.first().map(String::as_str), Some("Reference class"));
    assert_eq!(names.last().map(String::as_str), Some("data"));

    // The tidy table, numbers as numbers at full precision, as in the CSV.
    let csv = String::from_utf8(output(&["reference-class", "--format", "csv"])).expect("UTF-8");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let data = sheet(&mut book, "data");
    let value = column(&data, 0, "value");
    let csv_value = header
        .iter()
        .position(|h| *h == "value")
        .expect("value column");
    let mut checked = 0;
    for (r, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        if let Ok(x) = cells[csv_value].parse::<f64>() {
            assert_eq!(float(&data, (r + 1, value)), x, "row {r}: {line}");
            checked += 1;
        }
    }
    assert!(checked > 5, "only {checked} numbers compared");

    // A formatted section: `27.5 %` is the number 0.275 shown as a percentage.
    let cost = names
        .iter()
        .find(|n| n.starts_with("Cost overrun of the class"))
        .expect("the cost overrun section")
        .clone();
    let section = sheet(&mut book, &cost);
    let mean = row(&section, "mean overrun");
    let x = float(&section, (mean, 1));
    assert!((0.0..2.0).contains(&x), "mean overrun {x}");
    assert_eq!(format_code(&mut book, &cost, (mean, 1)), "0.0%");
    assert_eq!(
        section.get((mean, 3)),
        Some(&Data::String("no interval: the sd does not exist".into()))
    );
}

#[test]
fn a_workbook_is_refused_on_a_terminal_and_allowed_elsewhere() {
    use crmcast::export::xlsx::refuse_terminal;
    let file = Some(Path::new("report.xlsx"));
    let refused = refuse_terminal(Format::Xlsx, None, true);
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("add --output file.xlsx"), "{message}");
    assert!(refuse_terminal(Format::Xlsx, Some(Path::new("-")), true).is_err());
    assert!(refuse_terminal(Format::Xlsx, file, true).is_ok());
    assert!(refuse_terminal(Format::Xlsx, None, false).is_ok());
    assert!(refuse_terminal(Format::Json, None, true).is_ok());
}
