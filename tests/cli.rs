//! End-to-end tests of the `crmcast` binary: subcommands, formats, options, exit codes.
//!
//! Runs use small trial counts so the suite stays fast; the numbers themselves are tested in
//! the engine's own tests, here only the shape and the contract of the output.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

const TRIALS: &str = "20000";

/// The strategy ids of scenarios/default.toml, in file order.
const DEFAULT_STRATEGIES: [&str; 5] = [
    "no_mitigation",
    "people_first",
    "data_and_systems",
    "lean_governance",
    "full_programme",
];

/// The 18 factor ids of the built-in catalogue (data/catalogue.toml).
const FACTOR_IDS: [&str; 18] = [
    "unclear_strategy",
    "no_executive_sponsor",
    "technology_is_solution",
    "change_resistance",
    "insufficient_training",
    "culture_not_customer_centric",
    "poor_communication",
    "processes_not_redesigned",
    "poor_project_management",
    "no_kpis_measurement",
    "poor_data_quality",
    "little_analytical_crm",
    "ignoring_customer_voice",
    "unclear_roi_budget",
    "erp_integration",
    "wrong_or_complex_system",
    "software_defects",
    "immature_vendors",
];

/// The binary, run from the crate root so that `scenarios/...` paths resolve.
fn crmcast() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("crmcast");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    // Tables are fitted to $COLUMNS when it is set: a shell that exports it must not change
    // what these tests read. The width tests set it themselves.
    cmd.env_remove("COLUMNS");
    cmd
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}

/// Run and return stdout as a string, asserting exit code 0.
fn stdout_of(args: &[&str]) -> String {
    let output = crmcast().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "crmcast {args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("stdout is UTF-8")
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let text = stdout_of(args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"))
}

/// Files in `dir`, by name.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------------------------------------
// run / compare
// ---------------------------------------------------------------------------------------------

#[test]
fn run_without_arguments_uses_the_builtin_default() {
    // Deliberately no options at all: the scenario's own trials (100 000) and seed.
    let out = stdout_of(&["run"]);
    assert!(out.contains("P(success)"), "{out}");
    for id in DEFAULT_STRATEGIES {
        assert!(out.contains(id), "strategy {id} missing:\n{out}");
    }
}

#[test]
fn run_table_names_every_strategy_of_a_file() {
    let path = scenario("default");
    let out = stdout_of(&["run", path.to_str().unwrap(), "--trials", TRIALS, "-q"]);
    assert!(out.contains("P(success)"), "{out}");
    for id in DEFAULT_STRATEGIES {
        assert!(out.contains(id), "strategy {id} missing:\n{out}");
    }
}

#[test]
fn compare_shows_differences_to_the_baseline() {
    let out = stdout_of(&[
        "compare",
        "scenarios/retail_chain.toml",
        "--trials",
        TRIALS,
        "--quiet",
    ]);
    assert!(out.contains("Difference to the baseline"), "{out}");
    assert!(out.contains("P(NPV beats baseline)"), "{out}");
}

#[test]
fn json_output_has_run_info_and_metrics() {
    let json = json_of(&["run", "--trials", TRIALS, "-q", "--format", "json"]);
    assert_eq!(
        json["run"]["trials"].as_u64(),
        Some(20_000),
        "{}",
        json["run"]
    );
    let strategies = json["strategies"].as_array().expect("strategies array");
    let ids: Vec<&str> = strategies
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, DEFAULT_STRATEGIES);
    for strategy in strategies {
        let metrics = strategy["metrics"].as_array().expect("metrics array");
        for wanted in ["p_success", "overrun_p80", "npv_p10", "p_npv_negative"] {
            let metric = metrics
                .iter()
                .find(|m| m["id"] == wanted)
                .unwrap_or_else(|| panic!("{} has no metric {wanted}", strategy["id"]));
            for key in ["value", "se", "low", "high"] {
                let x = metric[key]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{wanted}.{key} is not a number: {metric}"));
                assert!(x.is_finite(), "{wanted}.{key} = {x}");
            }
            let (low, value, high) = (
                metric["low"].as_f64().unwrap(),
                metric["value"].as_f64().unwrap(),
                metric["high"].as_f64().unwrap(),
            );
            assert!(low <= value && value <= high, "{metric}");
        }
    }
}

#[test]
fn csv_output_has_the_documented_columns_and_sections() {
    let out = stdout_of(&[
        "compare",
        "scenarios/retail_chain.toml",
        "--trials",
        TRIALS,
        "-q",
        "--format",
        "csv",
    ]);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("section,strategy,baseline,id,label,unit,value,se,low,high,count")
    );
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let sections: std::collections::BTreeSet<String> = reader
        .records()
        .map(|r| {
            let r = r.expect("well-formed CSV record");
            assert_eq!(r.len(), 11, "{r:?}");
            r[0].to_string()
        })
        .collect();
    for wanted in ["metric", "difference", "cause_group"] {
        assert!(sections.contains(wanted), "no {wanted} rows: {sections:?}");
    }
}

#[test]
fn markdown_output_is_a_document_with_a_metric_table() {
    let out = stdout_of(&["run", "--trials", TRIALS, "-q", "--format", "markdown"]);
    assert!(out.starts_with("# "), "{}", &out[..out.len().min(200)]);
    assert!(out.contains("| metric |"), "{out}");
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let path = scenario("multinational");
    let path = path.to_str().unwrap();
    // 40 000 trials = three batches of 16 384, so threads really split the work.
    let run = |threads: &str| {
        stdout_of(&[
            "run",
            path,
            "--trials",
            "40000",
            "--seed",
            "7",
            "--threads",
            threads,
            "-q",
            "--format",
            "json",
        ])
    };
    let one = run("1");
    let two = run("2");
    assert!(one == two, "--threads 1 and --threads 2 differ");
    let all = run("0");
    assert!(one == all, "--threads 1 and --threads 0 differ");
}

#[test]
fn same_seed_same_output_different_seed_different_output() {
    let run = |seed: &str| {
        stdout_of(&[
            "run", "--trials", "5000", "--seed", seed, "-q", "--format", "json",
        ])
    };
    let a = run("1");
    assert_eq!(a, run("1"));
    assert_ne!(a, run("2"));
}

// ---------------------------------------------------------------------------------------------
// --output
// ---------------------------------------------------------------------------------------------

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.json");
    crmcast()
        .args([
            "run", "--trials", "2000", "-q", "--format", "json", "--output",
        ])
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    let text = std::fs::read_to_string(&file).expect("output file exists");
    let json: serde_json::Value = serde_json::from_str(&text).expect("file holds JSON");
    assert_eq!(json["run"]["trials"].as_u64(), Some(2000));
    // Written atomically: no temporary file left next to it.
    assert_eq!(files_in(dir.path()), vec!["run.json".to_string()]);
}

#[test]
fn output_file_replaces_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.csv");
    std::fs::write(
        &file,
        "old content that is much longer than nothing\n".repeat(1000),
    )
    .unwrap();
    crmcast()
        .args(["factors", "--format", "csv", "-o"])
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("id,name,"),
        "{}",
        &text[..100.min(text.len())]
    );
    assert!(!text.contains("old content"));
    assert_eq!(files_in(dir.path()), vec!["out.csv".to_string()]);
}

#[test]
fn output_dash_is_stdout() {
    let out = stdout_of(&[
        "run", "--trials", "2000", "-q", "--format", "json", "--output", "-",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("stdout holds JSON");
    assert_eq!(json["run"]["trials"].as_u64(), Some(2000));
    assert!(!Path::new(env!("CARGO_MANIFEST_DIR")).join("-").exists());
}

#[test]
fn output_into_a_missing_folder_is_bad_input() {
    crmcast()
        .args([
            "run",
            "--trials",
            "2000",
            "-q",
            "--format",
            "json",
            "--output",
            "/nonexistent-dir/x.json",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::starts_with("error:"))
        .stderr(predicate::str::contains("--output"))
        .stderr(predicate::str::contains("/nonexistent-dir/x.json"))
        .stderr(predicate::str::contains("fix:"));
}

#[test]
fn output_onto_a_folder_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    crmcast()
        .args(["factors", "--output"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--output"))
        .stderr(predicate::str::contains("folder"));
    assert!(files_in(dir.path()).is_empty());
}

// ---------------------------------------------------------------------------------------------
// factors / validate / help
// ---------------------------------------------------------------------------------------------

#[test]
fn factors_lists_the_whole_catalogue() {
    let out = stdout_of(&["factors"]);
    for id in FACTOR_IDS {
        assert!(out.contains(id), "factor {id} missing:\n{out}");
    }
}

#[test]
fn factors_as_csv() {
    let out = stdout_of(&["factors", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "id");
    let ids: Vec<String> = reader
        .records()
        .map(|r| r.expect("well-formed CSV")[0].to_string())
        .collect();
    assert_eq!(ids, FACTOR_IDS);
}

#[test]
fn factors_as_json() {
    let json = json_of(&["factors", "--format", "json"]);
    let factors = json["factors"].as_array().expect("factors array");
    let ids: Vec<&str> = factors.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, FACTOR_IDS);
}

#[test]
fn factors_of_a_scenario_show_its_overrides() {
    let out = stdout_of(&[
        "factors",
        "tests/bad_inputs/valid_minimal.toml",
        "--format",
        "csv",
    ]);
    let line = out
        .lines()
        .find(|l| l.starts_with("no_executive_sponsor,"))
        .expect("overridden factor listed");
    // valid_minimal.toml sets its probability to 0.3.
    assert!(line.contains(",0.3,"), "{line}");
}

#[test]
fn shipped_scenarios_validate() {
    for name in ["default", "retail_chain", "small_business", "multinational"] {
        let path = format!("scenarios/{name}.toml");
        crmcast()
            .args(["validate", &path])
            .assert()
            .success()
            .stderr(predicate::str::is_empty())
            .stdout(predicate::str::starts_with(format!("{path}: valid")))
            .stdout(predicate::str::ends_with("; no warning\n"));
    }
}

#[test]
fn help_has_examples() {
    crmcast()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"));
    for sub in ["run", "compare", "factors", "validate"] {
        crmcast()
            .args([sub, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples:"));
    }
}

#[test]
fn version_is_printed() {
    crmcast()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
}

// ---------------------------------------------------------------------------------------------
// bad options
// ---------------------------------------------------------------------------------------------

#[test]
fn zero_trials_is_bad_input() {
    crmcast()
        .args(["run", "--trials", "0"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::starts_with("error:"))
        .stderr(predicate::str::contains("--trials"))
        .stderr(predicate::str::contains("fix:"));
}

#[test]
fn too_many_trials_is_bad_input() {
    crmcast()
        .args(["compare", "--trials", "99999999999999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--trials"));
}

#[test]
fn too_many_threads_is_bad_input() {
    crmcast()
        .args(["run", "--threads", "100000", "--trials", "1000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--threads"));
}

#[test]
fn unknown_subcommand_and_format_are_usage_errors() {
    crmcast().arg("simulate").assert().code(2);
    crmcast()
        .args(["run", "--format", "xml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("xml"));
}

#[test]
fn missing_scenario_file_is_bad_input_and_named() {
    for sub in ["run", "compare", "validate", "factors"] {
        crmcast()
            .args([sub, "scenarios/does_not_exist.toml"])
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::starts_with("error:"))
            .stderr(predicate::str::contains("scenarios/does_not_exist.toml"))
            .stderr(predicate::str::contains("fix:"))
            .stderr(predicate::str::contains("panicked").not());
    }
}

/// An output that is a device or a pipe is written in place, never replaced by a rename: the
/// atomic writer once turned `/dev/null` into a regular file.
#[cfg(unix)]
#[test]
fn output_to_a_device_or_pipe_keeps_it_one() {
    use std::os::unix::fs::FileTypeExt;
    crmcast()
        .args([
            "run",
            "--trials",
            "1000",
            "--quiet",
            "--output",
            "/dev/null",
        ])
        .assert()
        .success();
    let null = std::fs::metadata("/dev/null").unwrap();
    assert!(null.file_type().is_char_device(), "/dev/null was replaced");
    // A named pipe, read by another thread.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    crmcast()
        .args(["run", "--trials", "1000", "--format", "json", "--output"])
        .arg(&fifo)
        .assert()
        .success();
    let text = reader.join().unwrap();
    assert!(text.contains("\"p_success\""));
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

// ---------------------------------------------------------------------------------------------
// sources
// ---------------------------------------------------------------------------------------------

#[test]
fn sources_lists_the_registry_in_every_format_and_one_source_in_full() {
    let table = stdout_of(&["sources"]);
    for label in [
        "CRM Forum 2001",
        "Wanfang Data 2009",
        "Budzier & Flyvbjerg 2011",
    ] {
        assert!(table.contains(label), "{label} missing:\n{table}");
    }
    let json = json_of(&["sources", "--format", "json"]);
    let sources = json["sources"].as_array().expect("a list of sources");
    assert!(
        sources
            .iter()
            .all(|s| s["title"].is_string() && s["year"].is_string())
    );
    let csv = stdout_of(&["sources", "--format", "csv"]);
    assert!(csv.starts_with("label,kind,title,original_title,language,author,publisher,year"));
    assert_eq!(csv.lines().count(), sources.len() + 1, "{csv}");
    let markdown = stdout_of(&["sources", "--format", "markdown"]);
    assert!(markdown.contains("| CRM Forum 2001 |"), "{markdown}");
    // One source in full: its original title, what it says, and the factors that cite it.
    let one = json_of(&["sources", "Wanfang Data 2009", "--format", "json"]);
    assert_eq!(one["original_title"], "CRM失败根源:忘了C代表的是客户");
    assert_eq!(one["year"], "2009");
    let citing = one["cited_by_factors"].as_array().expect("factors");
    assert!(citing.iter().any(|f| f == "no_executive_sponsor"), "{one}");
    // A mistyped label: exit 2 and the closest label.
    crmcast()
        .args(["sources", "CRM Forum 2010"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean \"CRM Forum 2001\""));
}

#[test]
fn a_citation_that_is_not_in_the_registry_is_refused_with_the_fix() {
    let text = std::fs::read_to_string(scenario("default")).unwrap();
    let cited = "sources = [\"CRM adoption mistakes, n.d.\"]";
    assert!(text.contains(cited));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old_citation.toml");
    // A citation by the article's old file name, as scenarios had before the registry.
    let old = text.replacen(cited, "sources = [\"002_db8d67a646b952d9.txt\"]", 1);
    std::fs::write(&path, old).unwrap();
    crmcast()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("mitigations[0].sources[0]"))
        .stderr(predicate::str::contains("is not a source crmcast knows"))
        .stderr(predicate::str::contains("crmcast sources"));
}

/// Every command's table output at `COLUMNS=80`: no line wider than 80 columns (columns wrap,
/// or each row becomes a small table); with `--wide`, the full table (wider lines).
#[test]
fn tables_fit_80_columns_and_wide_gives_the_full_table() {
    let retail = scenario("retail_chain");
    let retail = retail.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["run", retail, "--trials", "4000", "-q"],
        vec!["compare", retail, "--trials", "4000", "-q"],
        vec!["factors", retail],
        vec!["reference-class"],
        vec![
            "optimize",
            retail,
            "--budget",
            "200000",
            "--trials",
            "256",
            "--confirm-trials",
            "2000",
            "-q",
        ],
        vec!["voi", "--trials", "2000", "--bootstrap", "5", "-q"],
        vec![
            "sensitivity",
            "--trials",
            "500",
            "--sobol-samples",
            "64",
            "--shapley-permutations",
            "4",
            "-q",
        ],
    ];
    let widest = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    for args in &commands {
        let output = crmcast().env("COLUMNS", "80").args(args).output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            widest(&text) <= 80,
            "{args:?}: {} columns\n{text}",
            widest(&text)
        );
        let mut wide = args.clone();
        wide.push("--wide");
        let full = crmcast().env("COLUMNS", "80").args(&wide).output().unwrap();
        let full = String::from_utf8_lossy(&full.stdout);
        assert!(widest(&full) > 80, "{args:?} --wide: {}", widest(&full));
    }
    // The decision box and the causes table keep every word, wrapped.
    let run = crmcast()
        .env("COLUMNS", "80")
        .args(["run", retail, "--trials", "4000", "-q"])
        .output()
        .unwrap();
    let run = String::from_utf8_lossy(&run.stdout);
    assert!(run.contains("Decision summary"), "{run}");
    assert!(run.contains("P(success)"), "{run}");
    assert!(run.contains("What matters most"), "{run}");
}

/// A file written is announced on stderr with its size; `--quiet` keeps stderr empty.
#[test]
fn every_written_file_is_announced_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.json");
    let output = crmcast()
        .args(["run", "--trials", "2000", "--format", "json", "--output"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = format!("wrote {} (", out.display());
    assert!(stderr.contains(&line), "{stderr}");
    assert!(stderr.contains(" kB)"), "{stderr}");
    let output = crmcast()
        .args([
            "run", "--trials", "2000", "-q", "--format", "json", "--output",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // `report` says what it wrote instead of ending in silence.
    let html = dir.path().join("report.html");
    let output = crmcast()
        .args(["report", "--trials", "4000", "--output"])
        .arg(&html)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("wrote {} (", html.display())),
        "{stderr}"
    );
}

/// Markdown escapes with backslashes: "P(NPV < 0)" is never "P(NPV &lt; 0)".
#[test]
fn markdown_has_no_html_entities() {
    let text = stdout_of(&["compare", "--trials", "2000", "-q", "--format", "markdown"]);
    assert!(!text.contains("&lt;") && !text.contains("&gt;") && !text.contains("&amp;"));
    assert!(text.contains(r"P(NPV \< 0)"), "{text}");
}

/// One spelling of every metric id: the ids `run` prints in its records (JSON and CSV) and the
/// ids `optimize --objective` and `run --precision` accept are snake_case, and an objective
/// that is a `run` metric has that metric's id; the decision record and `sensitivity
/// --output-metric` use the same ids.
#[test]
fn metric_ids_have_one_spelling_across_commands() {
    let snake = |id: &str| {
        !id.is_empty()
            && id.split('_').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
    };
    let json = json_of(&["run", "--trials", "2000", "-q", "--format", "json"]);
    let mut run_ids: Vec<String> = json["strategies"][0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    let csv = stdout_of(&["run", "--trials", "2000", "-q", "--format", "csv"]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (section, id) = (column("section"), column("id"));
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        if matches!(cells[section], "metric" | "difference") {
            run_ids.push(cells[id].to_string());
        }
    }
    assert!(run_ids.len() > 20, "{run_ids:?}");
    // The decision record names its figures by the same ids.
    let decision = json["decision"].as_object().expect("decision record");
    for shared in ["npv_mean", "p_npv_negative", "npv_cvar10", "budget_p80"] {
        assert!(
            decision[shared]["value"].is_number(),
            "decision lacks {shared}"
        );
    }
    run_ids.extend(decision.keys().cloned());
    // `sensitivity --output-metric` takes the records' ids (its former kebab-case spellings
    // are hidden aliases).
    for id in ["npv_mean", "p_success", "overrun_mean"] {
        let sensitivity = json_of(&[
            "sensitivity",
            "--output-metric",
            id,
            "--trials",
            "500",
            "--sobol-samples",
            "32",
            "--shapley-permutations",
            "2",
            "-q",
            "--format",
            "json",
        ]);
        assert_eq!(sensitivity["settings"]["metric"], id, "{sensitivity}");
    }
    // The objectives, from the error that lists them.
    let refused = crmcast()
        .args(["optimize", "--budget", "1000", "--objective", "nonsense"])
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&refused.stderr).into_owned();
    let list = message
        .split("use one of: ")
        .nth(1)
        .unwrap_or_else(|| panic!("{message}"));
    let objectives: Vec<String> = list
        .lines()
        .next()
        .unwrap()
        .split(", ")
        .map(|s| s.trim().to_string())
        .collect();
    assert_eq!(objectives.len(), 4, "{message}");
    for id in run_ids.iter().chain(&objectives) {
        assert!(snake(id), "`{id}` is not a snake_case metric id");
    }
    for shared in ["npv_mean", "p_success", "overrun_p80"] {
        assert!(run_ids.iter().any(|id| id == shared), "run lacks {shared}");
        assert!(
            objectives.iter().any(|id| id == shared),
            "optimize lacks {shared}"
        );
    }
    // `run --precision` takes the same ids.
    stdout_of(&[
        "run",
        "--precision",
        "overrun_p80=0.5",
        "--max-trials",
        "40000",
        "-q",
    ]);
    // The old spellings stay accepted.
    let old = crmcast()
        .args([
            "optimize",
            "--budget",
            "100000",
            "--objective",
            "p80_overrun",
            "--trials",
            "256",
        ])
        .args(["--confirm-trials", "1000", "-q", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        old.status.success(),
        "{}",
        String::from_utf8_lossy(&old.stderr)
    );
    let record: serde_json::Value = serde_json::from_slice(&old.stdout).unwrap();
    assert_eq!(record["objective"], "overrun_p80");
}
