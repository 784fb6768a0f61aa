//! Hostile cases: CSV injection. Names, labels and ids from a client's catalogue or scenario
//! that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return) reach
//! every CSV output neutralised with a leading `'` (OWASP); numbers stay numbers, and the JSON
//! output keeps the raw text.

use super::support::*;
use std::path::Path;

const GROUP_LABEL: &str = "=HYPERLINK(\"http://evil.example\",\"x\")";
const FACTOR_NAME: &str = "@SUM(1+1)*cmd";
const FACTOR_ID: &str = "-A1";
const STRATEGY_ID: &str = "-2-3";
const MITIGATION_ID: &str = "-cmd";
const MITIGATION_NAME: &str = "+1+1";

/// A scenario `s.toml` and catalogue `cat.toml` in `dir` whose names carry the payloads.
fn hostile_inputs(dir: &Path) {
    let rename = |text: String| {
        // Every mention (also `benefit:unclear_strategy` in [uncertainty]).
        text.replace("unclear_strategy", FACTOR_ID)
            .replace("people_first", STRATEGY_ID)
            .replace("smart_goals", MITIGATION_ID)
    };
    let catalogue = std::fs::read_to_string(repo("data/catalogue.toml")).expect("catalogue");
    let catalogue = rename(catalogue)
        .replacen(
            "label = \"Organisational change\"",
            &format!("label = {}", toml_string(GROUP_LABEL)),
            1,
        )
        .replacen(
            "name = \"No clear CRM strategy, vision or goals\"",
            &format!("name = {}", toml_string(FACTOR_NAME)),
            1,
        );
    std::fs::write(dir.join("cat.toml"), catalogue).expect("write catalogue");
    let scenario = std::fs::read_to_string(repo("scenarios/default.toml")).expect("scenario");
    let scenario = rename(scenario).replacen(
        "name = \"SMART CRM goals aligned with company strategy\"",
        &format!("name = {}", toml_string(MITIGATION_NAME)),
        1,
    );
    std::fs::write(dir.join("s.toml"), scenario).expect("write scenario");
}

fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\\\""))
}

/// Run in `dir`; the command must succeed; its stdout.
fn output_of(dir: &Path, args: &[&str]) -> String {
    let out = crmcast()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run crmcast");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Every cell of `csv` that a spreadsheet would evaluate is a number; returns all cells.
fn assert_safe(csv: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes());
    let mut cells = Vec::new();
    for record in reader.records() {
        for cell in record.expect("CSV record").iter() {
            if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                assert!(cell.parse::<f64>().is_ok(), "live formula cell: {cell:?}");
            }
            cells.push(cell.to_string());
        }
    }
    assert!(!cells.is_empty(), "empty CSV");
    cells
}

fn assert_neutralised(cells: &[String], payload: &str) {
    let quoted = format!("'{payload}");
    assert!(
        cells.iter().any(|c| c == &quoted || c.starts_with(&quoted)),
        "{payload:?} not found neutralised"
    );
}

/// Some negative number is in the CSV, as a number (no quote).
fn assert_negative_numbers_stay_numbers(cells: &[String]) {
    assert!(
        cells
            .iter()
            .any(|c| c.starts_with('-') && c.parse::<f64>().is_ok_and(|v| v < 0.0)),
        "no negative number left as a number"
    );
    assert!(
        !cells
            .iter()
            .any(|c| c.starts_with("'-") && c[1..].parse::<f64>().is_ok())
    );
}

const WITH_CATALOGUE: [&str; 3] = ["s.toml", "--catalogue", "cat.toml"];

#[test]
fn run_csv_neutralises_group_labels_and_strategy_ids() {
    let dir = scratch();
    hostile_inputs(dir.path());
    let mut args = vec!["compare"];
    args.extend(WITH_CATALOGUE);
    args.extend(["--trials", "2000", "-q", "--format", "csv"]);
    let cells = assert_safe(&output_of(dir.path(), &args));
    assert_neutralised(&cells, GROUP_LABEL);
    assert_neutralised(&cells, STRATEGY_ID);
    assert_neutralised(&cells, FACTOR_ID);
    assert_negative_numbers_stay_numbers(&cells);
}

#[test]
fn json_keeps_the_raw_names() {
    let dir = scratch();
    hostile_inputs(dir.path());
    let mut args = vec!["run"];
    args.extend(WITH_CATALOGUE);
    args.extend(["--trials", "2000", "-q", "--format", "json"]);
    let json = output_of(dir.path(), &args);
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let text = value.to_string();
    assert!(text.contains("\"=HYPERLINK("), "raw label missing");
    assert!(
        text.contains(&format!("\"{STRATEGY_ID}\"")),
        "raw id missing"
    );
    assert!(!text.contains("\"'="), "JSON was neutralised");
}

#[test]
fn factors_csv_neutralises_names_and_ids() {
    let dir = scratch();
    hostile_inputs(dir.path());
    let mut args = vec!["factors"];
    args.extend(WITH_CATALOGUE);
    args.extend(["--format", "csv"]);
    let cells = assert_safe(&output_of(dir.path(), &args));
    assert_neutralised(&cells, FACTOR_NAME);
    assert_neutralised(&cells, FACTOR_ID);
}

#[test]
fn trials_output_neutralises_ids_and_keeps_numbers() {
    let dir = scratch();
    hostile_inputs(dir.path());
    let mut args = vec!["run"];
    args.extend(WITH_CATALOGUE);
    args.extend([
        "--trials",
        "2000",
        "-q",
        "-o",
        "out.txt",
        "--trials-output",
        "-",
    ]);
    let cells = assert_safe(&output_of(dir.path(), &args));
    assert_neutralised(&cells, STRATEGY_ID);
    assert_neutralised(&cells, FACTOR_ID);
    assert_negative_numbers_stay_numbers(&cells);
}

#[test]
fn sensitivity_csv_neutralises_factor_ids() {
    let dir = scratch();
    hostile_inputs(dir.path());
    let mut args = vec!["sensitivity"];
    args.extend(WITH_CATALOGUE);
    args.extend(["--trials", "1000", "-q", "--format", "csv"]);
    let cells = assert_safe(&output_of(dir.path(), &args));
    assert_neutralised(&cells, FACTOR_ID);
    assert_negative_numbers_stay_numbers(&cells);
}

#[test]
fn voi_csv_is_safe() {
    let dir = scratch();
    hostile_inputs(dir.path());
    let mut args = vec!["voi"];
    args.extend(WITH_CATALOGUE);
    args.extend(["--trials", "2000", "-q", "--format", "csv"]);
    let cells = assert_safe(&output_of(dir.path(), &args));
    assert_neutralised(&cells, FACTOR_ID);
}

#[test]
fn optimize_csv_neutralises_mitigation_ids() {
    let dir = scratch();
    hostile_inputs(dir.path());
    let mut args = vec!["optimize"];
    args.extend(WITH_CATALOGUE);
    args.extend([
        "--budget",
        "200000",
        "--trials",
        "2000",
        "--confirm-trials",
        "2000",
        "-q",
        "--format",
        "csv",
    ]);
    let cells = assert_safe(&output_of(dir.path(), &args));
    assert!(
        cells
            .iter()
            .any(|c| c.starts_with(&format!("'{MITIGATION_ID}"))),
        "mitigation id not neutralised"
    );
}

#[test]
fn simulate_projects_header_is_safe_and_reads_back() {
    let dir = scratch();
    hostile_inputs(dir.path());
    let mut args = vec!["simulate-projects"];
    args.extend(WITH_CATALOGUE);
    args.extend(["--n", "300", "-o", "p.csv"]);
    output_of(dir.path(), &args);
    let text = std::fs::read_to_string(dir.path().join("p.csv")).expect("p.csv");
    let cells = assert_safe(&text);
    assert_neutralised(&cells, FACTOR_ID);
    // crmcast's own reader takes the neutralised header back as the id.
    let out = crmcast()
        .current_dir(dir.path())
        .args([
            "calibrate",
            "--data",
            "p.csv",
            "--catalogue",
            "cat.toml",
            "-o",
            "fitted.toml",
            "-q",
        ])
        .output()
        .expect("calibrate");
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "header not read back: {message}");
    assert!(dir.path().join("fitted.toml").exists());
}

#[test]
fn reference_class_csv_is_safe() {
    let dir = scratch();
    let cells = assert_safe(&output_of(
        dir.path(),
        &["reference-class", "--format", "csv", "-q"],
    ));
    assert!(cells.len() > 6);
}
