//! Malformed status files (tests/bad_inputs/status/*.toml, each a small variation of
//! status/valid.toml, a status of ../valid_minimal.toml) must be refused with the file, the line
//! and column, the field and the fix, without a panic: by the library's reader now, and by
//! `crmcast update SCENARIO --status FILE` (exit 2) once that command is merged.

use super::At::{self, *};
use super::{assert_message, assert_refused, bad_inputs, in_temp_dir, run};
use crmcast::scenario::Scenario;
use crmcast::scenario::status;

struct Case {
    file: &'static str,
    at: At,
    expect: &'static [&'static str],
}

const fn case(file: &'static str, at: At, expect: &'static [&'static str]) -> Case {
    Case { file, at, expect }
}

/// Line numbers refer to the files in tests/bad_inputs/status/ (see valid.toml).
const CASES: &[Case] = &[
    case(
        "syntax_error.toml",
        Line(5),
        &["TOML syntax error", "expected `=`"],
    ),
    case(
        "percent_as_number.toml",
        LineCol(7, 20),
        &[
            "status.percent_complete",
            "percent_complete = 45: write 0.45 for 45 %",
            "\"45%\"",
        ],
    ),
    case(
        "unknown_factor.toml",
        Line(15),
        &[
            "unknown factor \"no_exec_sponsor\"",
            "did you mean \"no_executive_sponsor\"",
        ],
    ),
    case(
        "unknown_mitigation.toml",
        LineCol(11, 14),
        &[
            "bought[0].mitigation",
            "unknown mitigation \"sponsr\"",
            "did you mean \"sponsor\"",
        ],
    ),
    case(
        "unknown_key.toml",
        LineCol(6, 1),
        &[
            "unknown field `cost_todate`",
            "did you mean \"cost_to_date\"",
        ],
    ),
    case(
        "unknown_table.toml",
        Line(14),
        &["unknown field `factor`", "did you mean \"factors\""],
    ),
    case(
        "unknown_state.toml",
        LineCol(17, 21),
        &[
            "factors.poor_data_quality",
            "unknown state \"unknwn\"",
            "did you mean \"unknown\"",
        ],
    ),
    case(
        "bought_twice.toml",
        LineCol(14, 14),
        &[
            "bought[1].mitigation",
            "mitigation \"sponsor\" is bought twice",
            "list each mitigation once",
        ],
    ),
    case(
        "progress_and_earned_value.toml",
        LineCol(8, 16),
        &[
            "status.earned_value",
            "both percent_complete and earned_value",
            "keep one",
        ],
    ),
    case(
        "earned_value_over_budget.toml",
        LineCol(7, 16),
        &["status.earned_value", "above the budget of 100000 EUR"],
    ),
    case(
        "severity_on_absent.toml",
        Line(15),
        &[
            "factors.no_executive_sponsor.severity",
            "a factor seen \"absent\"",
            "remove the severity",
        ],
    ),
    case(
        "severity_above_one.toml",
        Line(16),
        &[
            "factors.change_resistance.severity",
            "1.4 is outside the valid range [0, 1]",
        ],
    ),
    case(
        "elapsed_negative.toml",
        LineCol(5, 18),
        &["status.elapsed_months", "-3 is outside the valid range"],
    ),
    case(
        "cost_nan.toml",
        LineCol(6, 16),
        &["status.cost_to_date", "NaN is not a finite number"],
    ),
    case(
        "elapsed_missing.toml",
        Somewhere,
        &["missing field `elapsed_months`", "add the field"],
    ),
    case(
        "present_at_start.toml",
        Line(16),
        &[
            "factors.change_resistance",
            "seen present at 0 months elapsed",
        ],
    ),
];

fn scenario() -> Scenario {
    Scenario::load(&bad_inputs().join("valid_minimal.toml")).expect("valid_minimal.toml")
}

fn path(file: &str) -> String {
    format!("status/{file}")
}

#[test]
fn the_valid_status_is_read_without_warnings() {
    let scenario = scenario();
    let status = status::load(&bad_inputs().join(path("valid.toml")), &scenario).unwrap();
    assert_eq!(status.origin, "valid.toml");
    assert_eq!(status.progress, Some(0.45));
    assert_eq!(status::warnings(&status, &scenario), Vec::new());
}

#[test]
fn every_bad_status_is_refused_by_the_reader_with_place_and_fix() {
    let scenario = scenario();
    for case in CASES {
        let file = path(case.file);
        let error = status::load(&bad_inputs().join(&file), &scenario)
            .expect_err(case.file)
            .to_string();
        assert_message(
            &error,
            &file,
            case.at,
            case.expect,
            &format!("status::load {file}"),
        );
    }
}

#[test]
fn the_warned_status_names_its_line() {
    let scenario = scenario();
    let status = status::load(
        &bad_inputs().join(path("warned_other_scenario.toml")),
        &scenario,
    )
    .unwrap();
    let warnings = status::warnings(&status, &scenario);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let shown = warnings[0].to_string();
    assert!(
        shown.starts_with("warned_other_scenario.toml:3:"),
        "{shown}"
    );
    assert!(
        shown.contains("\"Maximal\"") && shown.contains("fix:"),
        "{shown}"
    );
}

#[test]
fn every_file_in_bad_inputs_status_has_a_case() {
    let mut files: Vec<String> = std::fs::read_dir(bad_inputs().join("status"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| {
            name.ends_with(".toml") && name != "valid.toml" && !name.starts_with("warned_")
        })
        .collect();
    files.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.file.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
}

/// Each bad status differs from valid.toml in a line or three, so that the test is about the
/// one mistake.
#[test]
fn bad_statuses_are_small_variations_of_the_valid_one() {
    use std::collections::HashSet;
    let valid = std::fs::read_to_string(bad_inputs().join("status/valid.toml")).unwrap();
    let valid: HashSet<&str> = valid.lines().collect();
    for file in CASES
        .iter()
        .map(|c| c.file)
        .chain(["warned_other_scenario.toml"])
    {
        let text = std::fs::read_to_string(bad_inputs().join(path(file))).unwrap();
        let lines: HashSet<&str> = text.lines().collect();
        let changed = lines.symmetric_difference(&valid).count();
        assert!((1..=4).contains(&changed), "{file}: {changed} lines differ");
    }
}

#[test]
fn an_oversized_status_is_refused_before_reading() {
    let scenario = scenario();
    let mut text = std::fs::read(bad_inputs().join("status/valid.toml")).unwrap();
    text.extend(b"# padding\n".repeat(210_000));
    let (_dir, file) = in_temp_dir("huge_status.toml", &text);
    let error = status::load(&file, &scenario).unwrap_err().to_string();
    assert!(error.contains("huge_status.toml"), "{error}");
    assert!(error.contains("over the limit"), "{error}");
    assert!(error.contains("fix:"), "{error}");
    assert!(!error.contains("padding"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// The same files through the command line: `crmcast update` is built on another branch.
// ---------------------------------------------------------------------------------------------

fn update(status_file: &str) -> std::process::Output {
    run(&[
        "update",
        "valid_minimal.toml",
        "--status",
        status_file,
        "--trials",
        "20000",
        "--quiet",
    ])
}

#[test]
fn update_refuses_every_bad_status_with_place_and_fix() {
    for case in CASES {
        let file = path(case.file);
        let output = update(&file);
        assert_refused(
            &output,
            &file,
            case.at,
            case.expect,
            &format!("crmcast update valid_minimal.toml --status {file}"),
        );
    }
}

#[test]
fn update_reads_the_valid_status_and_warns_about_the_odd_one() {
    let output = update(&path("valid.toml"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let output = update(&path("warned_other_scenario.toml"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("warned_other_scenario.toml:3:"), "{stderr}");
    assert!(stderr.contains("\"Maximal\""), "{stderr}");
}

#[test]
fn update_refuses_an_oversized_or_missing_status() {
    let mut text = std::fs::read(bad_inputs().join("status/valid.toml")).unwrap();
    text.extend(b"# padding\n".repeat(210_000));
    let (_dir, file) = in_temp_dir("huge_status.toml", &text);
    let output = update(file.to_str().unwrap());
    assert_refused(
        &output,
        "huge_status.toml",
        Nowhere,
        &["over the limit", "bytes"],
        "oversized status",
    );
    let output = update("status/no_such_status.toml");
    assert_refused(
        &output,
        "no_such_status.toml",
        Nowhere,
        &["cannot read"],
        "missing status",
    );
}
