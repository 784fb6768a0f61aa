//! Malformed scenario files (tests/bad_inputs/*.toml, each a small variation of
//! valid_minimal.toml) must be refused with exit code 2 and a message that names the file, the
//! line and column, the field, and the fix, without a panic.

mod status;
mod warnings;

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Where the message must place the problem.
#[derive(Debug, Clone, Copy)]
enum At {
    /// `file:LINE:column`, and the snippet shows that line.
    Line(usize),
    /// `file:LINE:COLUMN`.
    LineCol(usize, usize),
    /// Some `file:line:column` (the problem is about a whole table or list).
    Somewhere,
    /// No line and column: the file as a whole is wrong.
    Nowhere,
}

struct Case {
    file: &'static str,
    at: At,
    /// Substrings the message must contain.
    expect: &'static [&'static str],
    /// Also run `crmcast run FILE --trials 1000 --quiet` (and `compare`, `factors`).
    run: bool,
}

const fn case(file: &'static str, at: At, expect: &'static [&'static str], run: bool) -> Case {
    Case {
        file,
        at,
        expect,
        run,
    }
}

use At::*;

/// Line numbers refer to the files in tests/bad_inputs/ (see valid_minimal.toml).
const CASES: &[Case] = &[
    case(
        "syntax_error.toml",
        LineCol(6, 8),
        &["TOML syntax error", "expected `=`"],
        true,
    ),
    case(
        "budget_string.toml",
        LineCol(6, 10),
        &["invalid type", "expected f64"],
        true,
    ),
    case(
        "budget_nan.toml",
        Line(6),
        &["project.budget", "not a finite number"],
        false,
    ),
    case(
        "discount_rate_inf.toml",
        Line(9),
        &["project.discount_rate", "inf is not a finite number"],
        false,
    ),
    case(
        "budget_negative.toml",
        Line(6),
        &["project.budget", "outside the valid range"],
        true,
    ),
    case(
        "factor_probability_above_one.toml",
        Line(16),
        &[
            "factors.no_executive_sponsor.probability",
            "1.5 is outside the valid range [0, 1]",
        ],
        true,
    ),
    case(
        "factor_override_unknown.toml",
        LineCol(15, 10),
        &[
            "unknown factor \"no_exec_sponsor\"",
            "did you mean \"no_executive_sponsor\"",
        ],
        true,
    ),
    case(
        "effect_unknown_factor.toml",
        Line(26),
        &[
            "mitigations[0].effects[0].factor",
            "unknown factor \"no_executive_sponsr\"",
            "did you mean \"no_executive_sponsor\"",
        ],
        false,
    ),
    case(
        "strategy_unknown_mitigation.toml",
        LineCol(35, 16),
        &[
            "strategies[1].mitigations[0]",
            "unknown mitigation \"sponsr\"",
            "did you mean \"sponsor\"",
        ],
        true,
    ),
    case(
        "mitigation_duplicate_id.toml",
        Line(30),
        &["mitigations[1].id", "\"sponsor\" is used twice"],
        false,
    ),
    case(
        "strategy_duplicate_id.toml",
        Line(34),
        &["strategies[1].id", "\"baseline\" is used twice"],
        false,
    ),
    case(
        "no_baseline.toml",
        Somewhere,
        &["no strategy is marked as the baseline", "baseline = true"],
        true,
    ),
    case(
        "two_baselines.toml",
        Line(35),
        &["strategies[1].baseline", "more than one strategy"],
        false,
    ),
    case(
        "no_strategies.toml",
        Somewhere,
        &["no strategies", "[[strategies]]"],
        true,
    ),
    case(
        "strategy_empty_id.toml",
        Line(34),
        &["strategies[1].id", "\"\" is not a valid id"],
        false,
    ),
    case(
        "strategy_mitigation_twice.toml",
        LineCol(35, 27),
        &["strategies[1].mitigations[1]", "listed twice"],
        false,
    ),
    case(
        "mitigation_no_effects.toml",
        Line(22),
        &["mitigations[0]", "acts on no factor"],
        false,
    ),
    case(
        "effect_multiplier_above_one.toml",
        Line(27),
        &[
            "mitigations[0].effects[0].probability",
            "1.2 is outside the valid range [0, 1]",
        ],
        false,
    ),
    case(
        "cost_triangular_min_above_max.toml",
        LineCol(24, 47),
        &["mitigations[0].cost.max", "is below mode"],
        false,
    ),
    case(
        "cost_lognormal_low_above_high.toml",
        Line(24),
        &["mitigations[0].cost", "0 < low < high"],
        false,
    ),
    case(
        "severity_kind_unknown.toml",
        LineCol(17, 21),
        &[
            "unknown severity kind \"triangulr\"",
            "did you mean \"triangular\"",
        ],
        true,
    ),
    case(
        "severity_kumaraswamy_a_zero.toml",
        Line(19),
        &[
            "factors.no_executive_sponsor.severity.a",
            "outside the valid range",
        ],
        false,
    ),
    case(
        "impact_cost_50.toml",
        LineCol(17, 19),
        &[
            "factors.no_executive_sponsor.impact.cost",
            "50 is outside the valid range [0, 5]",
        ],
        false,
    ),
    case(
        "correlation_rho_above_one.toml",
        Line(20),
        &["correlations[0].rho", "outside the valid range"],
        false,
    ),
    case(
        "correlation_one_factor.toml",
        Line(19),
        &["correlations[0].factors", "exactly two"],
        false,
    ),
    case(
        "correlation_self.toml",
        Line(19),
        &["correlations[0].factors", "itself"],
        false,
    ),
    case(
        "correlation_pair_twice.toml",
        Line(22),
        &["correlations[1]", "given twice"],
        false,
    ),
    case(
        "correlation_not_positive_definite.toml",
        Somewhere,
        &["not positive-definite", "[[correlations]]"],
        true,
    ),
    case(
        "unknown_top_level_key.toml",
        Line(5),
        &["unknown field `projet`", "did you mean \"project\""],
        true,
    ),
    case(
        "project_unknown_key.toml",
        Line(6),
        &["unknown field `budgett`", "did you mean \"budget\""],
        false,
    ),
    case(
        "project_missing_budget.toml",
        Line(5),
        &["missing field `budget`"],
        false,
    ),
    case(
        "benefits_model_lever.toml",
        Line(12),
        &[
            "benefits.model",
            "unknown benefit model \"lever\"",
            "did you mean \"levers\"",
        ],
        true,
    ),
    case(
        "benefits_direct_without_annual.toml",
        Line(11),
        &["direct benefit model needs `annual`"],
        false,
    ),
    case(
        "benefits_levers_with_annual.toml",
        Line(15),
        &["benefits.annual", "does not belong to the \"levers\""],
        false,
    ),
    case(
        "simulation_trials_zero.toml",
        Line(38),
        &["simulation.trials", "0 trials is outside the valid range"],
        true,
    ),
    case(
        "simulation_trials_too_many.toml",
        Line(38),
        &["simulation.trials", "outside the valid range"],
        false,
    ),
    case(
        "simulation_trials_negative.toml",
        Line(38),
        &["-5", "u64"],
        false,
    ),
    case(
        "failure_thresholds_inconsistent.toml",
        Line(15),
        &[
            "project.failure.benefit_realisation_below",
            "could still meet the success objective",
        ],
        false,
    ),
    case(
        "effect_range_outside_multiplier.toml",
        Line(28),
        &[
            "mitigations[0].effects[0].probability_range",
            "the multiplier `probability = 0.5` lies outside [0.6, 0.9]",
            "widen the range",
        ],
        true,
    ),
    case(
        "effect_range_reversed.toml",
        Line(28),
        &[
            "mitigations[0].effects[0].probability_range",
            "low 0.8 is above high 0.3",
        ],
        false,
    ),
    case(
        "effect_range_one_number.toml",
        Line(28),
        &[
            "mitigations[0].effects[0].probability_range",
            "1 number given; a range is [low, high]",
        ],
        false,
    ),
    case(
        "effect_range_without_multiplier.toml",
        Line(28),
        &[
            "mitigations[0].effects[0].severity_range",
            "without `severity`, the multiplier is 1",
        ],
        false,
    ),
    case(
        "effect_evidence_bare_assumption.toml",
        Line(28),
        &[
            "mitigations[0].effects[0].evidence",
            "\"assumption\" needs its reason",
        ],
        true,
    ),
    case("empty.toml", Nowhere, &["missing field `scenario`"], true),
    case(
        "objectives_max_overrun_percent.toml",
        LineCol(11, 15),
        &[
            "project.objectives.max_overrun",
            "max_overrun = 20: write 0.20 for 20 %",
            "\"20%\"",
        ],
        true,
    ),
    case(
        "factor_probability_percent.toml",
        LineCol(16, 15),
        &[
            "factors.no_executive_sponsor.probability",
            "probability = 30: write 0.30 for 30 %",
        ],
        true,
    ),
    case(
        "discount_rate_percent.toml",
        LineCol(9, 17),
        &[
            "project.discount_rate",
            "discount_rate = 8: write 0.08 for 8 %",
        ],
        false,
    ),
    case(
        "effect_range_percent.toml",
        LineCol(28, 22),
        &[
            "mitigations[0].effects[0].probability_range[0]",
            "probability_range[0] = 20: write 0.20 for 20 %",
        ],
        false,
    ),
    case(
        "lever_uplift_percent.toml",
        Line(16),
        &[
            "benefits.levers.new_customers.max",
            "max = 30: write 0.30 for 30 %",
        ],
        false,
    ),
    case(
        "percentage_string_without_sign.toml",
        LineCol(9, 17),
        &[
            "project.discount_rate",
            "string \"8\"",
            "a percentage in quotes (\"20%\" or \"20 %\")",
        ],
        true,
    ),
];

fn crmcast() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("crmcast");
    cmd.current_dir(bad_inputs());
    cmd
}

fn bad_inputs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs")
}

/// `file:LINE:COL` right after the file name in `stderr`, if any.
fn location(stderr: &str, file: &str) -> Option<(usize, usize)> {
    let pattern = format!("{file}:");
    stderr.match_indices(&pattern).find_map(|(i, _)| {
        let rest = &stderr[i + pattern.len()..];
        let mut parts = rest.splitn(3, ':');
        let line = parts.next()?.parse().ok()?;
        let column = parts.next()?.parse().ok()?;
        Some((line, column))
    })
}

/// The checks every refusal must pass. Returns stderr.
fn assert_refused(output: &Output, file: &str, at: At, expect: &[&str], what: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let context = format!("{what}\n--- stderr ---\n{stderr}");
    assert_eq!(output.status.code(), Some(2), "exit code; {context}");
    assert!(output.stdout.is_empty(), "stdout not empty; {context}");
    assert!(
        stderr.starts_with("error:"),
        "no `error:` prefix; {context}"
    );
    assert_message(&stderr, file, at, expect, what);
    stderr
}

/// The checks on a refusal's message: the file, its place, the snippet, the fix, no panic.
fn assert_message(stderr: &str, file: &str, at: At, expect: &[&str], what: &str) {
    let context = format!("{what}\n--- message ---\n{stderr}");
    assert!(stderr.contains(file), "file name missing; {context}");
    assert!(stderr.contains("fix:"), "no fix; {context}");
    for bad in ["panicked", "RUST_BACKTRACE"] {
        assert!(!stderr.contains(bad), "{bad}; {context}");
    }
    for wanted in expect {
        assert!(stderr.contains(wanted), "{wanted:?} missing; {context}");
    }
    let found = location(stderr, file);
    let source = std::fs::read_to_string(bad_inputs().join(file)).unwrap_or_default();
    let check_line = |line: usize| {
        let (got, _) = found.unwrap_or_else(|| panic!("no file:line:column; {context}"));
        assert_eq!(got, line, "line number; {context}");
        // The snippet shows the offending line.
        let text = source.lines().nth(line - 1).unwrap();
        let snippet = format!("{line} | {text}");
        assert!(
            stderr.contains(&snippet),
            "snippet {snippet:?} missing; {context}"
        );
    };
    match at {
        Line(line) => check_line(line),
        LineCol(line, column) => {
            check_line(line);
            assert_eq!(found.unwrap().1, column, "column; {context}");
        }
        Somewhere => {
            let (line, column) = found.unwrap_or_else(|| panic!("no file:line:column; {context}"));
            assert!(line >= 1 && column >= 1, "{context}");
            assert!(
                line <= source.lines().count().max(1),
                "line beyond the end; {context}"
            );
        }
        Nowhere => {}
    }
}

fn run(args: &[&str]) -> Output {
    crmcast().args(args).output().unwrap()
}

#[test]
fn valid_minimal_scenario_validates_and_runs() {
    let output = run(&["validate", "valid_minimal.toml"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = run(&["run", "valid_minimal.toml", "--trials", "1000", "--quiet"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("with_sponsor"));
}

#[test]
fn every_bad_input_is_refused_with_place_and_fix() {
    for case in CASES {
        let output = run(&["validate", case.file]);
        assert_refused(
            &output,
            case.file,
            case.at,
            case.expect,
            &format!("crmcast validate {}", case.file),
        );
    }
}

#[test]
fn run_compare_and_factors_refuse_bad_inputs_like_validate() {
    for case in CASES.iter().filter(|c| c.run) {
        let validate = String::from_utf8_lossy(&run(&["validate", case.file]).stderr).into_owned();
        for command in [
            vec!["run", case.file, "--trials", "1000", "--quiet"],
            vec!["compare", case.file, "--trials", "1000", "-q"],
            vec!["factors", case.file],
        ] {
            let output = run(&command);
            let stderr = assert_refused(
                &output,
                case.file,
                case.at,
                case.expect,
                &format!("crmcast {}", command.join(" ")),
            );
            assert_eq!(stderr, validate, "crmcast {}", command.join(" "));
        }
    }
}

#[test]
fn every_file_in_bad_inputs_has_a_case() {
    let mut files: Vec<String> = std::fs::read_dir(bad_inputs())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml") && name != "valid_minimal.toml")
        .collect();
    files.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.file.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
    assert!(files.len() >= 30);
}

/// Each bad file differs from valid_minimal.toml in a few lines only, so that the test is about
/// the one mistake and not about an unrelated one.
#[test]
fn bad_inputs_are_small_variations_of_the_valid_one() {
    let valid = std::fs::read_to_string(bad_inputs().join("valid_minimal.toml")).unwrap();
    let valid: std::collections::HashSet<&str> = valid.lines().collect();
    let files = CASES
        .iter()
        .filter(|c| c.file != "empty.toml")
        .map(|c| c.file.to_string())
        .chain(
            warnings::WARNED
                .iter()
                .map(|c| format!("warnings/{}", c.file)),
        );
    for file in files {
        let text = std::fs::read_to_string(bad_inputs().join(&file)).unwrap();
        let new_lines = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty() && !valid.contains(l))
            .count();
        assert!(new_lines <= 12, "{file}: {new_lines} changed lines");
    }
}

// ---------------------------------------------------------------------------------------------
// Files that are wrong as a whole, written at runtime.
// ---------------------------------------------------------------------------------------------

fn in_temp_dir(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[test]
fn invalid_utf8_is_refused() {
    let valid = std::fs::read(bad_inputs().join("valid_minimal.toml")).unwrap();
    // The valid file with its name saved as Latin-1 ("Café" with é = 0xE9), then 0xFF.
    let at = valid.windows(7).position(|w| w == b"Minimal").unwrap();
    let mut bytes = valid[..at].to_vec();
    bytes.extend_from_slice(b"Caf\xE9\xFF");
    bytes.extend_from_slice(&valid[at + 7..]);
    let (_dir, path) = in_temp_dir("latin1.toml", &bytes);
    refused_by_validate_and_run(&path, "latin1.toml", &["UTF-8"]);
}

/// `validate` and a short `run` both refuse a file that is wrong as a whole (no line or column).
fn refused_by_validate_and_run(path: &std::path::Path, name: &str, expected: &[&str]) {
    let path = path.to_str().unwrap();
    for command in [
        vec!["validate", path],
        vec!["run", path, "--trials", "1000", "-q"],
    ] {
        let output = crmcast().args(&command).output().unwrap();
        assert_refused(&output, name, Nowhere, expected, &command.join(" "));
    }
}

#[test]
fn oversized_file_is_refused_before_reading() {
    // 2 MiB of comments: valid TOML, but far over the 1 MiB limit.
    let mut text = String::from("# padding\n");
    while text.len() < 2 * 1024 * 1024 {
        text.push_str(&"#".repeat(1023));
        text.push('\n');
    }
    let (_dir, path) = in_temp_dir("huge.toml", text.as_bytes());
    refused_by_validate_and_run(&path, "huge.toml", &["over the limit", "bytes"]);
}

#[test]
fn missing_file_is_refused() {
    let output = run(&["validate", "no_such_scenario.toml"]);
    assert_refused(
        &output,
        "no_such_scenario.toml",
        Nowhere,
        &["cannot read"],
        "validate missing",
    );
}

#[test]
fn folder_instead_of_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let output = run(&["validate", path]);
    assert_refused(&output, path, Nowhere, &["cannot read"], "validate folder");
}

// ---------------------------------------------------------------------------------------------
// Known problems in the messages (src/ bugs, not fixed here).
// ---------------------------------------------------------------------------------------------

/// A negative trial count is valid TOML with a value out of range: it must be reported like
/// `trials = 0` (field `simulation.trials`, the valid range, a value fix), not as a syntax error.
#[test]
fn negative_trials_is_a_range_error_not_a_syntax_error() {
    let output = run(&["validate", "simulation_trials_negative.toml"]);
    let stderr = assert_refused(
        &output,
        "simulation_trials_negative.toml",
        Line(38),
        &["trials"],
        "validate simulation_trials_negative.toml",
    );
    assert!(!stderr.contains("syntax"), "{stderr}");
    assert!(stderr.contains("simulation.trials"), "{stderr}");
}

/// Every message names the field it is about; an empty field name (`` `` ``) tells the user
/// nothing.
#[test]
fn messages_never_show_an_empty_field_name() {
    for case in CASES {
        let output = run(&["validate", case.file]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("``"), "{}:\n{stderr}", case.file);
    }
    // The type error names the field it is about.
    let output = run(&["validate", "budget_string.toml"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr
        .lines()
        .next()
        .unwrap()
        .replace("budget_string.toml", "");
    assert!(first.contains("budget"), "{stderr}");
}

/// The fix for an out-of-range `[simulation] trials` must not point to an option that does not
/// exist.
#[test]
fn trials_fix_names_no_missing_option() {
    for file in [
        "simulation_trials_zero.toml",
        "simulation_trials_too_many.toml",
    ] {
        let output = run(&["validate", file]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("--precision"), "{stderr}");
    }
}

/// `--output` into a missing folder names the path the user gave, not the temporary file.
#[test]
fn output_error_does_not_leak_the_temporary_file_name() {
    let output = crmcast()
        .args(["factors", "--output", "/nonexistent-dir/x.json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains(".tmp"), "{stderr}");
}
