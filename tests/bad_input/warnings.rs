//! Valid scenario files with a likely mistake (tests/bad_inputs/warnings/*.toml, each a small
//! variation of valid_minimal.toml): `validate` accepts them and lists the warning on stdout,
//! `validate --strict` refuses them (exit code 2), and `run` prints the warning on stderr. Also:
//! fractions written as percentage strings.

use super::{bad_inputs, in_temp_dir, location, run};
use std::process::Output;

/// Valid files with a likely mistake (tests/bad_inputs/warnings/*.toml): `validate` accepts
/// them and lists the warning on stdout, `validate --strict` refuses them (exit code 2), and
/// `run` prints the warning on stderr.
pub struct Warned {
    pub file: &'static str,
    /// The line of the key the (first) warning is about.
    line: usize,
    count: usize,
    expect: &'static [&'static str],
}

const fn warned(
    file: &'static str,
    line: usize,
    count: usize,
    expect: &'static [&'static str],
) -> Warned {
    Warned {
        file,
        line,
        count,
        expect,
    }
}

pub const WARNED: &[Warned] = &[
    warned(
        "horizon_shorter_than_build.toml",
        8,
        1,
        &[
            "project.horizon_years",
            "ends before the planned build of 9 months",
            "P(NPV < 0) = 100 %",
        ],
    ),
    warned(
        "horizon_leaves_little_use.toml",
        8,
        1,
        &["project.horizon_years", "less than a year of benefits"],
    ),
    warned(
        "benefits_in_thousands.toml",
        13,
        1,
        &["benefits.annual", "under 1 % of the budget", "thousands"],
    ),
    warned(
        "benefits_over_ten_budgets.toml",
        13,
        1,
        &["benefits.annual", "over 10 times the budget"],
    ),
    warned(
        "budget_in_thousands.toml",
        6,
        1,
        &["project.budget", "entered in thousands"],
    ),
    warned(
        "discount_rate_high.toml",
        9,
        1,
        &["project.discount_rate", "45 % a year is over 30 %"],
    ),
    warned(
        "discount_rate_negative.toml",
        9,
        1,
        &["project.discount_rate", "negative discount rate"],
    ),
    warned(
        "duration_in_years.toml",
        7,
        1,
        &["project.duration_months", "entered in years"],
    ),
    warned(
        "duration_in_weeks.toml",
        7,
        1,
        &["project.duration_months", "entered in days or weeks"],
    ),
    warned(
        "horizon_in_months.toml",
        8,
        1,
        &["project.horizon_years", "entered in months"],
    ),
    warned(
        "max_slip_percent.toml",
        11,
        1,
        &[
            "project.objectives.max_slip",
            "300 % over plan",
            "write 0.03 for 3 %",
        ],
    ),
    warned(
        "lever_uplift_doubles.toml",
        16,
        1,
        &["benefits.levers.new_customers", "200 % more than doubles"],
    ),
    warned(
        "mitigation_cost_over_budget.toml",
        24,
        1,
        &["mitigations[0].cost", "more than the whole budget"],
    ),
    warned(
        "strategies_twins.toml",
        39,
        1,
        &[
            "strategies[2].mitigations",
            "the same mitigations as \"with_sponsor\"",
        ],
    ),
];

#[test]
fn likely_mistakes_are_warned_at_their_place_and_refused_under_strict() {
    for case in WARNED {
        let file = format!("warnings/{}", case.file);
        let context = |what: &str, output: &Output| {
            format!(
                "{what} {file}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        };
        let plural = if case.count == 1 { "" } else { "s" };
        let output = run(&["validate", &file]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let what = context("crmcast validate", &output);
        assert!(output.status.success(), "{what}");
        assert!(output.stderr.is_empty(), "{what}");
        assert!(stdout.starts_with(&format!("{file}: valid")), "{what}");
        assert!(
            stdout.contains(&format!("; {} warning{plural}\n", case.count)),
            "{what}"
        );
        assert_eq!(
            location(&stdout, &file).map(|l| l.0),
            Some(case.line),
            "{what}"
        );
        assert!(
            stdout.contains("warning: ") && stdout.contains("fix:"),
            "{what}"
        );
        for wanted in case.expect {
            assert!(stdout.contains(wanted), "{wanted:?} missing; {what}");
        }

        let output = run(&["validate", "--strict", &file]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let what = context("crmcast validate --strict", &output);
        assert_eq!(output.status.code(), Some(2), "{what}");
        assert!(output.stdout.is_empty(), "{what}");
        assert!(stderr.starts_with("error:"), "{what}");
        assert!(stderr.contains("refused under --strict"), "{what}");
        for wanted in case.expect {
            assert!(stderr.contains(wanted), "{wanted:?} missing; {what}");
        }

        let output = run(&["run", &file, "--trials", "2000", "--quiet"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let what = context("crmcast run", &output);
        assert!(output.status.success(), "{what}");
        assert!(stderr.starts_with("warning: "), "{what}");
        for wanted in case.expect {
            assert!(stderr.contains(wanted), "{wanted:?} missing; {what}");
        }
    }
}

#[test]
fn the_valid_scenario_has_no_warning_and_validate_reports_on_stdout() {
    let output = run(&["validate", "valid_minimal.toml"]);
    assert!(output.status.success());
    assert!(output.stderr.is_empty());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("valid_minimal.toml: valid — \"Minimal\"")
            && stdout.ends_with("; no warning\n"),
        "{stdout}"
    );
    let output = run(&["validate", "--strict", "valid_minimal.toml"]);
    assert!(output.status.success());
    let output = run(&["run", "valid_minimal.toml", "--trials", "2000", "--quiet"]);
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Fractions may be written as percentage strings: "8%" and "30 %" are 0.08 and 0.3, and the
/// run is the same as with the numbers.
#[test]
fn percentage_strings_are_read_as_fractions() {
    let valid = std::fs::read_to_string(bad_inputs().join("valid_minimal.toml")).unwrap();
    let text = valid
        .replacen("discount_rate = 0.08", "discount_rate = \"8%\"", 1)
        .replacen("probability = 0.3", "probability = \"30 %\"", 1)
        .replacen("probability = 0.5", "probability = \"50%\"", 1);
    assert_ne!(text, valid);
    let (_dir, path) = in_temp_dir("percent.toml", text.as_bytes());
    let path = path.to_str().unwrap();
    let output = run(&["validate", "--strict", path]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let numbers = run(&["run", "valid_minimal.toml", "--trials", "2000", "--quiet"]);
    let percentages = run(&["run", path, "--trials", "2000", "--quiet"]);
    assert!(percentages.status.success());
    assert_eq!(
        String::from_utf8_lossy(&percentages.stdout).replace(path, "valid_minimal.toml"),
        String::from_utf8_lossy(&numbers.stdout)
    );
}

#[test]
fn every_file_in_warnings_has_a_case() {
    let mut files: Vec<String> = std::fs::read_dir(bad_inputs().join("warnings"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut listed: Vec<String> = WARNED.iter().map(|c| c.file.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
}
