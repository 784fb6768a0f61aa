//! `crmcast update` on the command line: every format on the shipped statuses, the empty
//! status giving the plan's figures before and after alike (and `run`'s), refusals with the
//! file, line and fix, the HTML page with its charts and no folder, and outputs that are
//! atomic and never an input. Small trial counts: figures matter only where compared.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn crmcast() -> Command {
    let mut command = Command::cargo_bin("crmcast").expect("binary");
    command.env_remove("COLUMNS");
    command
}

fn shipped(month: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("scenarios/status/default-month-{month}.toml"))
}

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/default.toml")
}

fn json(stdout: &[u8]) -> serde_json::Value {
    serde_json::from_slice(stdout).expect("JSON output")
}

/// Every format on each shipped status: the table names the options, the JSON parses with its
/// run info, the CSV has the documented header, the Markdown has its sections.
#[test]
fn every_format_on_the_shipped_statuses() {
    for month in ["04", "08", "12"] {
        let status = shipped(month);
        for format in ["table", "markdown", "json", "csv", "html"] {
            let output = crmcast()
                .arg("update")
                .arg(scenario())
                .arg("--status")
                .arg(&status)
                .args(["--trials", "20000", "--format", format, "--quiet"])
                .output()
                .expect("run");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "month {month}, {format}: {stderr}");
            let stdout = String::from_utf8_lossy(&output.stdout);
            match format {
                "json" => {
                    let record = json(&output.stdout);
                    assert_eq!(
                        record["run"]["status_file"],
                        format!("default-month-{month}.toml")
                    );
                    assert_eq!(record["run"]["scenario_file"], "default.toml");
                    assert_eq!(record["trials"], 20_000);
                    let options = record["options"].as_array().expect("options");
                    assert_eq!(options[0]["id"], "continue");
                    assert_eq!(options[options.len() - 1]["id"], "stop");
                    assert!(record["effective_trials"].as_f64().expect("ESS") >= 1000.0);
                }
                "csv" => {
                    assert!(
                        stdout.starts_with("forecast,option,kind,figure,unit,value,se,low,high\n"),
                        "{stdout}"
                    );
                    assert!(stdout.contains("now,stop,stop,npv_forward_mean,money,"));
                }
                "html" => assert!(stdout.contains("data-chart=\"then_and_now_overrun\"")),
                _ => {
                    for heading in ["Status and evidence", "Recommendation", "Options from now"] {
                        assert!(stdout.contains(heading), "{format}: {stdout}");
                    }
                    assert!(stdout.contains("Continue as is") && stdout.contains("Stop now"));
                }
            }
        }
    }
}

/// A status that says nothing but the elapsed time zero: the plan after the evidence is the
/// plan before it, bit for bit, every trial keeps its weight, and the figures are `run`'s on
/// the same trials.
#[test]
fn the_empty_status_gives_the_same_then_and_now_as_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = dir.path().join("start.toml");
    std::fs::write(&status, "[status]\nelapsed_months = 0\n").expect("write status");
    let output = crmcast()
        .args(["update", "--status"])
        .arg(&status)
        .args([
            "--trials", "20000", "--seed", "11", "--format", "json", "-q",
        ])
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let record = json(&output.stdout);
    assert_eq!(record["effective_trials"], 20_000.0);
    let prior = &record["prior"];
    let now = &record["options"][0];
    for figure in ["p_success", "overrun", "slip", "npv_total"] {
        assert_eq!(prior[figure], now[figure], "{figure}");
    }
    for curve in record["then_and_now"].as_array().expect("curves") {
        assert_eq!(curve["then"], curve["now"], "{}", curve["quantity"]);
    }
    let run = crmcast()
        .args([
            "run", "--trials", "20000", "--seed", "11", "--format", "json", "-q",
        ])
        .output()
        .expect("run");
    assert!(run.status.success());
    let run = json(&run.stdout);
    let baseline = run["strategies"]
        .as_array()
        .expect("strategies")
        .iter()
        .find(|s| s["baseline"] == true)
        .expect("the baseline");
    let metric = |id: &str| {
        baseline["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .find(|m| m["id"] == id)
            .and_then(|m| m["value"].as_f64())
            .expect("metric")
    };
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    let p_success = prior["p_success"]["value"].as_f64().expect("p_success");
    assert!(close(p_success, metric("p_success")), "{p_success} vs run");
    let npv = prior["npv_total"]["mean"]["value"].as_f64().expect("npv");
    assert!(
        close(npv, metric("npv_mean")),
        "{npv} vs {}",
        metric("npv_mean")
    );
}

/// A status naming a factor the scenario lacks: exit 2, the file and line, and the fix; no
/// output file is left.
#[test]
fn a_bad_status_is_refused_with_its_line_and_the_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = dir.path().join("bad.toml");
    std::fs::write(
        &status,
        "[status]\nelapsed_months = 6\n\n[factors]\nno_executive_sponsr = \"present\"\n",
    )
    .expect("write status");
    let out = dir.path().join("update.json");
    let output = crmcast()
        .args(["update", "--status"])
        .arg(&status)
        .args(["--trials", "2000", "--format", "json", "--output"])
        .arg(&out)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.toml:5:"), "{stderr}");
    assert!(stderr.contains("fix:"), "{stderr}");
    assert!(
        stderr.contains("no_executive_sponsor"),
        "did-you-mean: {stderr}"
    );
    assert!(!out.exists());
}

/// Evidence the trials cannot carry is refused (exit 2) with the fix, never printed.
#[test]
fn too_few_effective_trials_are_refused_with_the_fix() {
    let output = crmcast()
        .arg("update")
        .arg(scenario())
        .arg("--status")
        .arg(shipped("08"))
        .args(["--trials", "2000", "--min-effective-trials", "1999"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--trials"), "{stderr}");
    assert!(stderr.contains("fix"), "{stderr}");
    assert!(output.stdout.is_empty());
}

/// The page: self-contained, the then-and-now charts, the status's words escaped, and no
/// folder of the machine that made it.
#[test]
fn the_html_page_has_the_chart_and_no_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = dir.path().join("month-6.toml");
    std::fs::write(
        &status,
        "[status]\ndate = \"<b>June</b>\"\nelapsed_months = 6\ncost_to_date = 520_000\npercent_complete = \"45%\"\n",
    )
    .expect("write status");
    let page = dir.path().join("update.html");
    let output = crmcast()
        .args(["update", "--status"])
        .arg(&status)
        .args(["--trials", "20000", "--format", "html", "--output"])
        .arg(&page)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("wrote "), "{stderr}");
    let html = std::fs::read_to_string(&page).expect("the page");
    for chart in ["then_and_now_overrun", "then_and_now_npv_total"] {
        assert!(html.contains(&format!("data-chart=\"{chart}\"")), "{chart}");
    }
    assert!(html.contains("Content-Security-Policy"));
    assert!(!html.contains("<script") && !html.contains("https://"));
    assert!(!html.contains("<b>June</b>") && html.contains("&lt;b&gt;June"));
    assert!(html.contains("month-6.toml"));
    let folder = dir.path().to_str().expect("UTF-8 path");
    assert!(!html.contains(folder), "the page names the folder {folder}");
    assert!(!html.contains(env!("CARGO_MANIFEST_DIR")));
}

/// `--output`: written whole through a temporary file (none left), announced unless --quiet,
/// and never over the status file.
#[test]
fn output_is_atomic_announced_and_never_an_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = dir.path().join("s.toml");
    let text = "[status]\nelapsed_months = 3\npercent_complete = \"25%\"\n";
    std::fs::write(&status, text).expect("write status");
    let out = dir.path().join("update.csv");
    let output = crmcast()
        .args(["update", "--status"])
        .arg(&status)
        .args(["--trials", "5000", "--format", "csv", "--output"])
        .arg(&out)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("wrote ") && stderr.contains("update.csv"),
        "{stderr}"
    );
    assert!(
        std::fs::read_to_string(&out)
            .expect("csv")
            .starts_with("forecast,")
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".crmcast-"))
        .collect();
    assert!(leftovers.is_empty());
    let output = crmcast()
        .args(["update", "--status"])
        .arg(&status)
        .args(["--trials", "5000", "--format", "csv", "--quiet", "--output"])
        .arg(&status)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&status).expect("status"), text);
    // --quiet: no "wrote" line.
    let output = crmcast()
        .args(["update", "--status"])
        .arg(&status)
        .args([
            "--trials", "5000", "--format", "json", "--quiet", "--output",
        ])
        .arg(dir.path().join("u.json"))
        .output()
        .expect("run");
    assert!(output.status.success());
    assert!(!String::from_utf8_lossy(&output.stderr).contains("wrote"));
}

#[test]
fn trials_beyond_the_memory_limit_are_refused_before_any_work() {
    let output = crmcast()
        .args(["update", "--status", "missing.toml", "--trials", "2000001"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("2000000"), "{stderr}");
}

/// docs/UPDATE.md §9 quotes earned value's estimate and the update's P50 and P80 on the shipped
/// status at month 12 (default trials and seed): the figures it prints must be the ones the
/// command gives, and the table shows the same estimate at completion.
#[test]
fn the_docs_figures_against_earned_value_are_the_commands() {
    let output = crmcast()
        .arg("update")
        .arg(scenario())
        .arg("--status")
        .arg(shipped("12"))
        .args(["--format", "json", "--quiet"])
        .output()
        .expect("run");
    assert!(output.status.success(), "{output:?}");
    let record = json(&output.stdout);
    let continuing = &record["options"][0];
    assert_eq!(continuing["id"], "continue");
    let percent = |x: &serde_json::Value| format!("{:+.1} %", 100.0 * x.as_f64().expect("number"));
    let p50 = percent(&continuing["overrun"]["p50"]["value"]);
    let p80 = format!(
        "{:+.0} %",
        100.0
            * continuing["overrun"]["p80"]["value"]
                .as_f64()
                .expect("number")
    );
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/UPDATE.md"))
            .expect("docs/UPDATE.md");
    let docs = docs.split_whitespace().collect::<Vec<_>>().join(" ");
    let sentence = format!("earned value gives +12.5 % and the update's P50 {p50} (P80 {p80})");
    assert!(
        docs.contains(&sentence),
        "docs/UPDATE.md should say: {sentence}"
    );
    let table = crmcast()
        .arg("update")
        .arg(scenario())
        .arg("--status")
        .arg(shipped("12"))
        .args(["--format", "markdown", "--quiet"])
        .output()
        .expect("run");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("EUR 1,125,000 (+12.5 % against the budget")
            && table.contains(&format!("the update's P50: {p50}")),
        "{table}"
    );
}

/// `update --record` appends one ledger row per option from now, the best one marked, and a
/// second recording appends rather than replaces.
#[test]
fn record_appends_the_options_to_the_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = dir.path().join("ledger.csv");
    for _ in 0..2 {
        let output = crmcast()
            .arg("update")
            .arg(scenario())
            .arg("--status")
            .arg(shipped("08"))
            .args([
                "--trials",
                "20000",
                "--quiet",
                "--record-date",
                "2026-08-31",
            ])
            .arg("--record")
            .arg(&ledger)
            .output()
            .expect("run");
        assert!(output.status.success(), "{output:?}");
    }
    let text = std::fs::read_to_string(&ledger).expect("ledger");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("recorded,scenario,"), "{text}");
    let rows = &lines[1..];
    assert_eq!(rows.len() % 2, 0, "{text}");
    let per_recording = rows.len() / 2;
    assert!(
        rows[0].contains(",continue,") && rows[per_recording - 1].contains(",stop,"),
        "{text}"
    );
    assert_eq!(
        rows[..per_recording],
        rows[per_recording..],
        "the same forecast twice"
    );
    let recommended = rows[..per_recording]
        .iter()
        .filter(|r| r.contains(",true,"))
        .count();
    assert_eq!(recommended, 1, "{text}");
}
