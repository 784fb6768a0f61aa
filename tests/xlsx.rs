//! `--format xlsx`: the workbooks of `run`, `compare`, `merge`, `factors` and an analysis
//! command, read back with calamine and checked against the same command's JSON (or CSV): the
//! sheets and their names, figures as numeric cells in their number formats, identical bytes for
//! the same seed, and no workbook on a terminal.

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

/// Every strategy's metric `id` (value, low, high) in the comparison sheet equals the JSON's.
fn assert_metric(comparison: &Range<Data>, report: &Value, id: &str, header: &str) {
    let value = column(comparison, 0, header);
    let low = column(comparison, 0, &format!("{header}: 95 % low"));
    let high = column(comparison, 0, &format!("{header}: 95 % high"));
    let strategies = report["strategies"].as_array().expect("strategies");
    assert_eq!(comparison.height(), strategies.len() + 1);
    for s in strategies {
        let r = row(comparison, s["id"].as_str().expect("id"));
        let metric = s["metrics"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["id"] == id))
            .unwrap_or_else(|| panic!("no metric {id}"));
        assert_eq!(
            float(comparison, (r, value)),
            number(&metric["value"]),
            "{id}"
        );
        assert_eq!(
            float(comparison, (r, low)),
            number(&metric["low"]),
            "{id} low"
        );
        assert_eq!(
            float(comparison, (r, high)),
            number(&metric["high"]),
            "{id} high"
        );
    }
}

const RUN: [&str; 6] = ["run", "--trials", "20000", "--seed", "11", "-q"];

#[test]
fn run_workbook_matches_the_json_report() {
    let report = json(&RUN);
    let (_, mut book) = workbook(&RUN);
    assert_eq!(book.sheet_names(), ["summary", "comparison", "causes"]);
    let currency = report["run"]["currency"].as_str().expect("currency");
    let comparison = sheet(&mut book, "comparison");
    assert_metric(&comparison, &report, "p_success", "P(success)");
    assert_metric(
        &comparison,
        &report,
        "npv_mean",
        &format!("NPV, mean ({currency})"),
    );
    // Shares as percentages, money with thousands separators, headers as text.
    let p_success = column(&comparison, 0, "P(success)");
    let npv = column(&comparison, 0, &format!("NPV, mean ({currency})"));
    assert_eq!(format_code(&mut book, "comparison", (1, p_success)), "0.0%");
    assert_eq!(format_code(&mut book, "comparison", (1, npv)), "#,##0");
    // The run view has no differences to the baseline.
    assert!(
        (0..comparison.width()).all(|c| !matches!(
            comparison.get((0, c)),
            Some(Data::String(h)) if h.contains("beats baseline")
        )),
        "differences in the run view"
    );

    let summary = sheet(&mut book, "summary");
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
            number(&decision["expected_npv"][key])
        );
    }
    let loss = row(&summary, "P(NPV < 0)");
    assert_eq!(
        float(&summary, (loss, 1)),
        number(&decision["p_npv_negative"]["value"])
    );
    assert_eq!(format_code(&mut book, "summary", (loss, 1)), "0.0%");
    assert_eq!(float(&summary, (row(&summary, "seed"), 1)), 11.0);
    assert_eq!(float(&summary, (row(&summary, "trials"), 1)), 20_000.0);
    let sentences = decision["sentences"].as_array().expect("sentences");
    let plain = (0..summary.height())
        .filter(|&r| summary.get((r, 0)) == Some(&Data::String("in plain words".into())))
        .count();
    assert_eq!(plain, sentences.len());

    let causes = sheet(&mut book, "causes");
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
    let comparison = sheet(&mut book, "comparison");
    let beats = column(&comparison, 0, "P(NPV beats baseline)");
    let currency = report["run"]["currency"].as_str().expect("currency");
    let gain = column(
        &comparison,
        0,
        &format!("Δ NPV, mean ({currency}) vs baseline"),
    );
    let mut others = 0;
    for s in report["strategies"].as_array().expect("strategies") {
        let r = row(&comparison, s["id"].as_str().expect("id"));
        if s["baseline"] == true {
            assert_eq!(comparison.get((r, beats)), Some(&Data::Empty));
            continue;
        }
        others += 1;
        assert_eq!(
            float(&comparison, (r, beats)),
            number(&s["p_beats_baseline"]["value"])
        );
        let difference = s["versus_baseline"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["id"] == "npv_mean"))
            .expect("npv difference");
        assert_eq!(float(&comparison, (r, gain)), number(&difference["value"]));
    }
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
    let comparison = sheet(&mut book, "comparison");
    assert_metric(&comparison, &report, "p_success", "P(success)");
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
