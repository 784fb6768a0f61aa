//! End-to-end tests of `--trials-output FILE`: the file's columns and row order, and that its
//! rows are the run's trials — the outcome, primary-cause and presence counts per strategy
//! equal the run's own counts exactly, and the mean NPV equals the report's to the precision of
//! the run's fixed-point sums — under every design, for a shard and for a run stopped early;
//! the bytes do not depend on the thread count; bad paths fail cleanly, and a write that fails
//! half-way leaves no file. A `.parquet` name gives the same columns and values as Parquet.

mod common;

use assert_cmd::Command;
use crmcast::scenario::Scenario;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The columns before the severities (docs/OUTPUT.md).
const COLUMNS: [&str; 13] = [
    "trial",
    "strategy",
    "outcome",
    "cost",
    "overrun",
    "slip",
    "benefit_realisation",
    "annual_benefit",
    "npv",
    "roi",
    "payback_years",
    "primary_cause",
    "runaway",
];
const OUTCOMES: [&str; 3] = ["success", "challenged", "failed"];
const BATCH: u64 = 16_384;

fn crmcast() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("crmcast");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn scenario_path(name: &str) -> String {
    format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

fn scenario(path: &str) -> Scenario {
    Scenario::load_with(Path::new(path), None).expect("scenario loads")
}

/// Run `crmcast` with `args`, requiring success.
fn run(args: &[&str]) -> Vec<u8> {
    let output = crmcast().args(args).output().expect("crmcast runs");
    assert!(
        output.status.success(),
        "crmcast {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("report written")).expect("valid JSON")
}

/// What a run counted per strategy, to be found again in the trials file.
#[derive(Debug, PartialEq)]
struct Counts {
    /// Success, challenged, failed.
    classes: [u64; 3],
    /// Trials each factor struck in.
    presence: Vec<u64>,
    /// Missed trials by primary cause: one per factor, then "unattributed".
    causes: Vec<u64>,
}

/// The counts of a `--format json` report (shares times trials: the shares are count / trials).
fn report_counts(report: &Value, trials: u64) -> Vec<Counts> {
    let count = |share: &Value| (share.as_f64().expect("a share") * trials as f64).round() as u64;
    let strategies = report["strategies"].as_array().expect("strategies");
    strategies
        .iter()
        .map(|s| {
            let metric = |id: &str| {
                let metrics = s["metrics"].as_array().expect("metrics");
                let m = metrics.iter().find(|m| m["id"] == id).expect("metric");
                count(&m["value"])
            };
            let by_factor = s["causes"]["by_factor"].as_array().expect("by_factor");
            let mut causes: Vec<u64> = by_factor
                .iter()
                .map(|f| f["count"].as_u64().unwrap())
                .collect();
            causes.push(s["causes"]["unattributed"]["count"].as_u64().unwrap());
            Counts {
                classes: [
                    metric("p_success"),
                    metric("p_challenged"),
                    metric("p_failed"),
                ],
                presence: by_factor.iter().map(|f| count(&f["presence"])).collect(),
                causes,
            }
        })
        .collect()
}

/// The counts of a shard file's accumulators (exact integers), inside its digest envelope.
fn shard_counts(shard: &Value) -> Vec<Counts> {
    let numbers = |v: &Value| -> Vec<u64> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_u64().expect("count"))
            .collect()
    };
    let strategies = shard["content"]["result"]["strategies"]
        .as_array()
        .expect("strategies");
    strategies
        .iter()
        .map(|s| {
            let classes = numbers(&s["class_counts"]);
            Counts {
                classes: [classes[0], classes[1], classes[2]],
                presence: numbers(&s["presence"]),
                causes: numbers(&s["primary_cause"]),
            }
        })
        .collect()
}

/// A trials file, parsed and checked for shape: the header; rows trial-major from
/// `first_trial`, strategies in the scenario's order; a cause only for a miss.
struct Trials {
    counts: Vec<Counts>,
    npv_mean: Vec<f64>,
    trials: u64,
}

fn read_trials(bytes: &[u8], scenario: &Scenario, first_trial: u64) -> Trials {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let mut expected: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    expected.extend(
        scenario
            .factors
            .iter()
            .map(|f| format!("severity_{}", f.id)),
    );
    assert_eq!(header, expected);
    let factors: Vec<&str> = scenario.factors.iter().map(|f| f.id.as_str()).collect();
    let strategies = scenario.strategies.len();
    let mut counts: Vec<Counts> = (0..strategies)
        .map(|_| Counts {
            classes: [0; 3],
            presence: vec![0; factors.len()],
            causes: vec![0; factors.len() + 1],
        })
        .collect();
    let mut npv_sum = vec![0.0; strategies];
    let mut rows = 0u64;
    for record in reader.records() {
        let record = record.expect("a well-formed row");
        assert_eq!(record.len(), header.len());
        let (trial, s) = (
            first_trial + rows / strategies as u64,
            (rows % strategies as u64) as usize,
        );
        assert_eq!(
            record[0].parse::<u64>().expect("trial"),
            trial,
            "row {rows}"
        );
        assert_eq!(&record[1], scenario.strategies[s].id, "row {rows}");
        let class = OUTCOMES
            .iter()
            .position(|o| *o == &record[2])
            .expect("an outcome");
        let c = &mut counts[s];
        c.classes[class] += 1;
        let cause = &record[11];
        if class == 0 {
            assert_eq!(cause, "", "a success has no cause (row {rows})");
        } else {
            let index = factors
                .iter()
                .position(|f| *f == cause)
                .unwrap_or(factors.len());
            assert!(
                cause.is_empty() || index < factors.len(),
                "unknown cause {cause}"
            );
            c.causes[index] += 1;
        }
        for (i, severity) in record.iter().skip(COLUMNS.len()).enumerate() {
            let severity: f64 = severity.parse().expect("a severity");
            assert!((0.0..=1.0).contains(&severity), "severity {severity}");
            c.presence[i] += (severity > 0.0) as u64;
        }
        npv_sum[s] += record[8].parse::<f64>().expect("an NPV");
        rows += 1;
    }
    assert_eq!(rows % strategies as u64, 0, "whole trials only");
    let trials = rows / strategies as u64;
    Trials {
        counts,
        npv_mean: npv_sum.iter().map(|sum| sum / trials as f64).collect(),
        trials,
    }
}

/// Each strategy's mean NPV in the file against the report's `npv_mean`. The run sums NPVs in
/// fixed point, each rounded to 2⁻²⁴ of the budget, so the two means differ by at most half
/// that unit (plus the file's floating-point sum, far smaller).
fn assert_npv_means(trials: &Trials, report: &Value) {
    let budget = report["run"]["budget"].as_f64().expect("budget");
    let strategies = report["strategies"].as_array().expect("strategies");
    for (mean, s) in trials.npv_mean.iter().zip(strategies) {
        let metrics = s["metrics"].as_array().expect("metrics");
        let reported = metrics
            .iter()
            .find(|m| m["id"] == "npv_mean")
            .expect("npv_mean")["value"]
            .as_f64()
            .expect("a number");
        let difference = (mean - reported).abs();
        assert!(
            difference <= budget * 2f64.powi(-24),
            "{}: {mean} vs {reported}",
            s["id"]
        );
        assert!(
            difference <= 1e-6 * reported.abs(),
            "{}: {mean} vs {reported}",
            s["id"]
        );
    }
}

/// Run a scenario with a JSON report and a trials file; check the file against the report.
fn check_against_report(scenario_file: &str, extra: &[&str]) -> Vec<u8> {
    let folder = tempfile::tempdir().expect("temporary folder");
    let (report, trials) = (
        folder.path().join("run.json"),
        folder.path().join("trials.csv"),
    );
    let mut args = vec!["run", scenario_file, "--format", "json", "-q", "--output"];
    args.extend([
        report.to_str().unwrap(),
        "--trials-output",
        trials.to_str().unwrap(),
    ]);
    args.extend(extra);
    run(&args);
    let report = json(&report);
    let bytes = std::fs::read(&trials).expect("trials written");
    let parsed = read_trials(&bytes, &scenario(scenario_file), 0);
    let reported_trials = report["run"]["trials"].as_u64().expect("trials");
    assert_eq!(parsed.trials, reported_trials);
    assert_eq!(parsed.counts, report_counts(&report, reported_trials));
    assert_npv_means(&parsed, &report);
    bytes
}

#[test]
fn rows_are_the_runs_trials() {
    // Two full batches and a short one.
    let file = scenario_path("retail_chain");
    check_against_report(&file, &["--trials", "40000", "--seed", "5"]);
}

#[test]
fn sobol_rows_are_the_runs_trials() {
    let file = scenario_path("small_business");
    check_against_report(&file, &["--trials", "32768", "--sampling", "sobol"]);
}

#[test]
fn same_bytes_at_any_thread_count_and_on_standard_output() {
    let file = scenario_path("retail_chain");
    let args = ["--trials", "40000", "--sampling", "lhs"];
    let one = check_against_report(&file, &[&args[..], &["--threads", "1"]].concat());
    let two = check_against_report(&file, &[&args[..], &["--threads", "2"]].concat());
    assert!(one == two, "the trials file depends on the thread count");
    let folder = tempfile::tempdir().expect("temporary folder");
    let report = folder.path().join("run.json");
    let mut to_stdout = vec!["run", &file, "-q", "--trials-output", "-", "--output"];
    to_stdout.push(report.to_str().unwrap());
    to_stdout.extend(args);
    assert!(
        run(&to_stdout) == one,
        "standard output differs from the file"
    );
}

#[test]
fn a_shard_writes_only_its_trials() {
    let file = scenario_path("small_business");
    let folder = tempfile::tempdir().expect("temporary folder");
    let (part, trials) = (
        folder.path().join("part-2.json"),
        folder.path().join("trials.csv"),
    );
    run(&[
        "run",
        &file,
        "--trials",
        "49152",
        "--shard",
        "2/3",
        "-q",
        "--output",
        part.to_str().unwrap(),
        "--trials-output",
        trials.to_str().unwrap(),
    ]);
    // Three batches in three shards: the second is batch 1, trials 16,384 to 32,767.
    let bytes = std::fs::read(&trials).expect("trials written");
    let parsed = read_trials(&bytes, &scenario(&file), BATCH);
    assert_eq!(parsed.trials, BATCH);
    assert_eq!(parsed.counts, shard_counts(&json(&part)));
}

#[test]
fn a_precision_run_writes_the_trials_it_ran() {
    // One strategy and two uncertain factors keep the 131,072 rows small. A loose target is
    // met at the first checkpoint (8 batches), long before --max-trials.
    let text = common::controlled_text(
        &[
            ("change_resistance", "probability = 0.4"),
            ("poor_data_quality", "probability = 0.3"),
        ],
        "",
    )
    .replace("log_cost_sd = 0.0", "log_cost_sd = 0.2");
    let folder = tempfile::tempdir().expect("temporary folder");
    let file = folder.path().join("controlled.toml");
    std::fs::write(&file, text).expect("scenario written");
    let file = file.to_str().unwrap();
    let bytes = check_against_report(
        file,
        &["--precision", "p_success=0.5", "--max-trials", "400000"],
    );
    let rows = bytes.iter().filter(|&&b| b == b'\n').count() as u64 - 1;
    assert_eq!(rows, 8 * BATCH, "stopped at the first checkpoint");
}

#[test]
fn an_unwritable_path_fails_with_exit_code_2_and_leaves_nothing() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let report = folder.path().join("run.json");
    let missing = folder.path().join("no_such_folder").join("trials.csv");
    for target in [missing.clone(), folder.path().to_path_buf()] {
        let output = crmcast()
            .args(["run", "--trials", "20000", "-q", "--output"])
            .arg(&report)
            .arg("--trials-output")
            .arg(&target)
            .output()
            .expect("crmcast runs");
        assert_eq!(output.status.code(), Some(2), "{}", target.display());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("--trials-output") && stderr.contains("fix:"),
            "{stderr}"
        );
    }
    assert!(!missing.exists());
    let left: Vec<PathBuf> = std::fs::read_dir(folder.path())
        .expect("folder")
        .map(|e| e.expect("entry").path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_device_is_a_write_error() {
    let output = crmcast()
        .args([
            "run",
            "--trials",
            "20000",
            "-q",
            "--format",
            "json",
            "--trials-output",
            "/dev/full",
        ])
        .output()
        .expect("crmcast runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot write /dev/full"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "no report after a failed trials output"
    );
}

#[test]
fn the_report_file_is_refused_as_trials_output() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let same = folder.path().join("out.csv");
    let output = crmcast()
        .args([
            "run", "--trials", "20000", "-q", "--format", "csv", "--output",
        ])
        .arg(&same)
        .arg("--trials-output")
        .arg(folder.path().join(".").join("out.csv"))
        .output()
        .expect("crmcast runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad option --trials-output"), "{stderr}");
    assert!(!same.exists());
}

/// Whether a parquet value is the CSV's cell: the same number (bit for bit, the CSV's text is
/// a round-trip form), string or flag; a null is the empty cell.
fn same_value(field: &parquet::record::Field, cell: &str) -> bool {
    use parquet::record::Field;
    match field {
        Field::Null => cell.is_empty(),
        Field::Bool(b) => cell == b.to_string(),
        Field::Long(n) => cell == n.to_string(),
        Field::Double(x) => cell
            .parse::<f64>()
            .is_ok_and(|y| y.to_bits() == x.to_bits() || (x.is_nan() && y.is_nan())),
        Field::Str(s) => cell == s,
        _ => false,
    }
}

#[test]
fn parquet_holds_the_csvs_columns_and_values() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let folder = tempfile::tempdir().expect("temporary folder");
    let file = scenario_path("retail_chain");
    let write = |name: &str, threads: &str| {
        let path = folder.path().join(name);
        let args = ["run", &file, "-q", "--format", "json", "--trials", "20000"];
        let options = ["--seed", "11", "--threads", threads, "--trials-output"];
        run(&[&args[..], &options, &[path.to_str().unwrap()]].concat());
        path
    };
    let csv_path = write("t.csv", "2");
    // Any case of the extension asks for Parquet.
    let parquet_path = write("t.PARQUET", "2");
    let one_thread = write("one.parquet", "1");
    assert!(
        std::fs::read(&one_thread).ok() == std::fs::read(&parquet_path).ok(),
        "the parquet file depends on the thread count"
    );
    let mut csv = csv::Reader::from_path(&csv_path).expect("csv");
    let header: Vec<String> = csv
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let reader = SerializedFileReader::new(std::fs::File::open(&parquet_path).expect("open"))
        .expect("a parquet file");
    let metadata = reader.metadata();
    let schema = metadata.file_metadata().schema_descr();
    let names: Vec<&str> = schema.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, header, "the parquet columns are the csv's");
    assert_eq!(&names[..COLUMNS.len()], COLUMNS);
    let strategies = scenario(&file).strategies.len() as i64;
    assert_eq!(metadata.file_metadata().num_rows(), 20_000 * strategies);
    for group in metadata.row_groups() {
        for column in group.columns() {
            assert_eq!(column.compression(), parquet::basic::Compression::SNAPPY);
        }
    }
    let mut rows = 0;
    let mut records = csv.records();
    for row in reader.get_row_iter(None).expect("rows") {
        let row = row.expect("a row");
        let record = records.next().expect("as many csv rows").expect("csv row");
        assert_eq!(row.len(), record.len(), "row {rows}");
        for ((name, field), cell) in row.get_column_iter().zip(record.iter()) {
            assert!(
                same_value(field, cell),
                "row {rows}, {name}: {field:?} vs {cell:?}"
            );
        }
        rows += 1;
    }
    assert!(records.next().is_none(), "the csv has more rows");
    assert_eq!(rows, 20_000 * strategies);
    // Columnar and compressed: well under the CSV.
    let size = |p: &Path| std::fs::metadata(p).expect("size").len();
    assert!(size(&parquet_path) * 2 < size(&csv_path));
}

/// A write that fails half-way (the file-size limit, as a full disk would) leaves neither the
/// file nor its temporary behind, for either format.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_leaves_no_file() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let binary = assert_cmd::cargo::cargo_bin!("crmcast");
    for name in ["t.parquet", "t.csv"] {
        let target = folder.path().join(name);
        // 64 kB at most per file; SIGXFSZ ignored so the write fails with EFBIG instead.
        let output = std::process::Command::new("sh")
            .args(["-c", "trap '' XFSZ; ulimit -f 128; exec \"$0\" \"$@\""])
            .arg(binary)
            .args([
                "run",
                "-q",
                "--format",
                "json",
                "--trials",
                "20000",
                "--trials-output",
            ])
            .arg(&target)
            .output()
            .expect("sh runs");
        assert_eq!(output.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("cannot write"), "{name}: {stderr}");
        assert!(
            output.stdout.is_empty(),
            "no report after a failed trials output"
        );
        let left: Vec<PathBuf> = std::fs::read_dir(folder.path())
            .expect("folder")
            .map(|e| e.expect("entry").path())
            .collect();
        assert!(left.is_empty(), "{name} left behind: {left:?}");
    }
}

#[test]
fn standard_output_is_csv() {
    // `-` has no name to ask for Parquet: the trials go out as CSV.
    let folder = tempfile::tempdir().expect("temporary folder");
    let report = folder.path().join("run.json");
    let args = [
        "run",
        "-q",
        "--trials",
        "2000",
        "--trials-output",
        "-",
        "--output",
    ];
    let out = run(&[&args[..], &[report.to_str().unwrap()]].concat());
    assert!(out.starts_with(b"trial,strategy,outcome,"));
}
