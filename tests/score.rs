//! The forecast ledger and its score from the command line: `run --record` appends and never
//! damages a ledger, `score` reads a filled ledger in every format, and bad cells are refused
//! with their line, column and the fix. The statistics are tested in the library
//! (`analysis::score`) against closed forms and simulated ledgers.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const HEADER: &str = "recorded,scenario,scenario_file,scenario_sha256,strategy,recommended,trials,seed,p_success,overrun_p50,overrun_p80,slip_p50,slip_p80,npv_mean,actual_success,actual_overrun,actual_slip,actual_npv";

fn crmcast() -> Command {
    let mut command = Command::cargo_bin("crmcast").expect("binary");
    command.env_remove("SOURCE_DATE_EPOCH");
    command
}

fn record(ledger: &Path, extra: &[&str]) -> std::process::Output {
    crmcast()
        .args(["run", "--trials", "1000", "--quiet", "--record"])
        .arg(ledger)
        .args(extra)
        .output()
        .expect("run")
}

#[test]
fn run_record_appends_one_row_per_strategy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = dir.path().join("ledger.csv");
    let first = record(&ledger, &["--record-date", "2026-03-31"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let once = std::fs::read_to_string(&ledger).expect("ledger");
    let lines: Vec<&str> = once.lines().collect();
    assert_eq!(lines[0], HEADER);
    // The built-in scenario has five strategies, one recommended.
    assert_eq!(lines.len(), 6, "{once}");
    assert!(lines[1..].iter().all(|l| l.starts_with("2026-03-31,")));
    assert_eq!(
        lines[1..]
            .iter()
            .filter(|l| l.contains(",true,1000,"))
            .count(),
        1,
        "{once}"
    );
    // A second run appends below, from SOURCE_DATE_EPOCH (1 Apr 2026 00:00 UTC), the old
    // rows kept byte for byte.
    let second = crmcast()
        .args(["compare", "--trials", "1000", "--quiet", "--record"])
        .arg(&ledger)
        .env("SOURCE_DATE_EPOCH", "1775001600")
        .output()
        .expect("run");
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let twice = std::fs::read_to_string(&ledger).expect("ledger");
    assert!(twice.starts_with(&once));
    assert_eq!(twice.lines().count(), 11);
    assert!(twice.lines().last().unwrap().starts_with("2026-04-01,"));
    // Every row parses as the documented record, outcome columns empty.
    let mut reader = csv::Reader::from_path(&ledger).expect("csv");
    for row in reader.deserialize::<crmcast::export::ledger::LedgerRecord>() {
        let row = row.expect("row");
        assert_eq!(row.scenario_file, "built-in");
        assert_eq!(row.scenario_sha256.len(), 12);
        assert!((0.0..=1.0).contains(&row.p_success));
        assert!(row.overrun_p50 <= row.overrun_p80 && row.slip_p50 <= row.slip_p80);
        assert!(row.actual_success.is_empty() && row.actual_overrun.is_empty());
    }
}

#[test]
fn a_file_that_is_not_a_ledger_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let other = dir.path().join("budget.csv");
    let text = "project,amount\n=cmd|' /C calc'!A0,100\n";
    std::fs::write(&other, text).expect("write");
    let output = record(&other, &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 1") && stderr.contains("not a crmcast forecast ledger"));
    assert!(stderr.contains("fix:"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&other).expect("read"), text);
    // A bad date is refused before anything is written.
    let ledger = dir.path().join("ledger.csv");
    let output = record(&ledger, &["--record-date", "2026-02-30"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!ledger.exists());
}

/// A filled ledger: twelve forecasts with outcomes, one without.
fn filled(dir: &Path) -> std::path::PathBuf {
    let mut text = format!("{HEADER}\n");
    let outcomes = [
        (0.2, "no", "0.1", "0.05"),
        (0.25, "no", "35%", "0.3"),
        (0.3, "yes", "0.05", "0.0"),
        (0.35, "no", "0.4", "0.2"),
        (0.5, "yes", "0.0", "0.1"),
        (0.55, "no", "0.2", "0.15"),
        (0.6, "yes", "-0.05", "0.0"),
        (0.65, "true", "0.1", "0.05"),
        (0.7, "1", "0.02", "0.1"),
        (0.75, "No", "0.5", "0.4"),
        (0.8, "yes", "0.08", "0.02"),
        (0.85, "yes", "0.01", "-0.02"),
    ];
    for (p, s, o, sl) in outcomes {
        text.push_str(&format!(
            "2026-01-15,\"Name, with comma\",a.toml,0123456789ab,s,true,1000,1,{p},0.05,0.3,0.05,0.2,1000,{s},{o},{sl},\n"
        ));
    }
    text.push_str(
        "2026-01-15,x,a.toml,0123456789ab,s,false,1000,1,0.4,0.05,0.3,0.05,0.2,1000,,,,\n",
    );
    let path = dir.join("filled.csv");
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn score_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = filled(dir.path());
    let json = crmcast()
        .arg("score")
        .arg(&ledger)
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert!(
        json.status.success(),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let v: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(v["rows"], 13);
    assert_eq!(v["skipped"], 1);
    let p = &v["probability"];
    assert_eq!(p["n"], 12);
    // The Brier score of the ledger above, by hand: mean of (p − o)².
    let pairs = [
        (0.2, 0.0),
        (0.25, 0.0),
        (0.3, 1.0),
        (0.35, 0.0),
        (0.5, 1.0),
        (0.55, 0.0),
        (0.6, 1.0),
        (0.65, 1.0),
        (0.7, 1.0),
        (0.75, 0.0),
        (0.8, 1.0),
        (0.85, 1.0),
    ];
    let brier: f64 = pairs.iter().map(|(p, o)| (p - o) * (p - o)).sum::<f64>() / 12.0;
    let got = p["brier"]["value"].as_f64().expect("brier");
    assert!((got - brier).abs() < 1e-12, "{got} vs {brier}");
    // Overrun at or below its P80 (0.3): all but 35 %, 0.4 and 0.5: 9 of 12.
    assert_eq!(v["coverage"][1]["share"]["count"], 9);
    assert_eq!(v["coverage"][1]["share"]["n"], 12);
    for format in ["table", "markdown", "csv"] {
        let output = crmcast()
            .arg("score")
            .arg(&ledger)
            .args(["--format", format])
            .output()
            .expect("run");
        assert!(output.status.success(), "{format}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("overrun"), "{format}: {text}");
    }
    let html = dir.path().join("score.html");
    let svg = dir.path().join("reliability.svg");
    let output = crmcast()
        .arg("score")
        .arg(&ledger)
        .args(["--format", "html", "--quiet", "--output"])
        .arg(&html)
        .arg("--svg")
        .arg(&svg)
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.contains("data-chart=\"reliability\"") && page.contains("Brier"));
    let drawing = std::fs::read_to_string(&svg).expect("svg");
    assert!(drawing.starts_with("<svg") && drawing.contains("Reliability"));
}

#[test]
fn bad_cells_are_refused_with_line_column_and_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = std::fs::read_to_string(filled(dir.path())).expect("read");
    let cases = [
        (
            ",0.85,0.05,0.3,0.05,0.2,1000,yes,",
            ",0.85,0.05,0.3,0.05,0.2,1000,maybe,",
            "actual_success",
        ),
        (",yes,0.01,", ",yes,lots,", "actual_overrun"),
        (",0.85,0.05,", ",1.85,0.05,", "p_success"),
    ];
    for (from, to, column) in cases {
        assert!(good.contains(from), "{from}");
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, good.replacen(from, to, 1)).expect("write");
        let output = crmcast().arg("score").arg(&path).output().expect("run");
        assert_eq!(output.status.code(), Some(2), "{column}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The 0.85 row is the 12th row, on line 13.
        assert!(
            stderr.contains("line 13 (row 12)")
                && stderr.contains(column)
                && stderr.contains("fix:"),
            "{stderr}"
        );
    }
    // Not a ledger at all.
    let path = dir.path().join("other.csv");
    std::fs::write(&path, "a,b\n1,2\n").expect("write");
    let output = crmcast().arg("score").arg(&path).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no `p_success` column"));
}

/// docs/SCORE.md restates the ledger's columns and the scores' settings: kept true here.
#[test]
fn the_docs_state_the_format_and_settings_in_force() {
    use crmcast::analysis::score;
    let doc = std::fs::read_to_string("docs/SCORE.md").expect("docs/SCORE.md");
    for column in crmcast::export::ledger::COLUMNS {
        assert!(
            doc.contains(&format!("| `{column}` |")),
            "docs/SCORE.md lacks {column}"
        );
    }
    assert_eq!(HEADER, crmcast::export::ledger::COLUMNS.join(","));
    assert!(doc.contains("into 10 equal bins") && score::BINS == 10);
    assert!(doc.contains("[1e-6, 1 − 1e-6]") && score::CLAMP == 1e-6);
    assert!(doc.contains(&format!("{} resamples", score::BOOTSTRAP_RESAMPLES)));
}
