//! Status files: the format as docs/STATUS.md gives it, every refusal with its place and fix,
//! the warnings, and the shipped statuses.

use super::*;
use crate::scenario::Scenario;
use crate::scenario::units::trimmed;
use std::path::Path;

fn scenario() -> Scenario {
    Scenario::builtin_default().expect("the built-in scenario")
}

fn factor(scenario: &Scenario, id: &str) -> usize {
    scenario.factors.iter().position(|f| f.id == id).unwrap()
}

fn mitigation(scenario: &Scenario, id: &str) -> usize {
    scenario
        .mitigations
        .iter()
        .position(|m| m.id == id)
        .unwrap()
}

/// The example of the brief and docs/STATUS.md.
const EXAMPLE: &str = r#"# Status of the project at month 8
[status]
scenario = "Generic mid-size company"
date = "2026-08-31"
elapsed_months = 8
cost_to_date = 310_000
percent_complete = "40%"
benefit_signal = "55%"

[[bought]]
mitigation = "executive_sponsor"
cost = 42_000

[factors]
no_executive_sponsor = "present"
change_resistance = { state = "present", severity = 0.6 }
poor_data_quality = "absent"
erp_integration = "unknown"
"#;

fn with_status(status: &str) -> String {
    format!("[status]\n{status}\n")
}

/// The error message (with its place and fix) for `text`, which must be refused.
fn refused(text: &str) -> String {
    match load_str(text, "status.toml", &scenario()) {
        Ok(status) => panic!("accepted:\n{text}\n{status:?}"),
        Err(error) => error.to_string(),
    }
}

/// `text` is refused at `line`, with every one of `expect` in the message and a fix.
fn refused_at(text: &str, line: usize, expect: &[&str]) {
    let message = refused(text);
    assert!(
        message.contains(&format!("status.toml:{line}:")),
        "not at line {line}:\n{message}"
    );
    for wanted in expect.iter().chain(&["fix:"]) {
        assert!(message.contains(wanted), "{wanted:?} missing:\n{message}");
    }
}

#[test]
fn the_example_reads_as_documented() {
    let scenario = scenario();
    let status = load_str(EXAMPLE, "month-08.toml", &scenario).unwrap();
    assert_eq!(status.origin, "month-08.toml");
    assert_eq!(status.scenario.as_deref(), Some("Generic mid-size company"));
    assert_eq!(status.date.as_deref(), Some("2026-08-31"));
    assert_eq!(status.elapsed_months, 8.0);
    assert_eq!(status.cost_to_date, Some(310_000.0));
    assert_eq!(status.progress, Some(0.4));
    assert_eq!(status.benefit_signal, Some(0.55));
    assert_eq!(
        status.bought,
        vec![BoughtMitigation {
            mitigation: mitigation(&scenario, "executive_sponsor"),
            cost: 42_000.0
        }]
    );
    assert_eq!(status.factors.len(), scenario.factors.len());
    let seen = |id: &str| status.factors[factor(&scenario, id)];
    assert_eq!(
        seen("no_executive_sponsor"),
        FactorObservation::Present { severity: None }
    );
    assert_eq!(
        seen("change_resistance"),
        FactorObservation::Present {
            severity: Some(0.6)
        }
    );
    assert_eq!(seen("poor_data_quality"), FactorObservation::AbsentSoFar);
    assert_eq!(seen("erp_integration"), FactorObservation::Unknown);
    assert_eq!(seen("software_defects"), FactorObservation::Unknown);
    assert_eq!(warnings(&status, &scenario), Vec::new());
}

#[test]
fn the_smallest_status_says_only_the_time() {
    let scenario = scenario();
    let status = load_str("[status]\nelapsed_months = 0", "s.toml", &scenario).unwrap();
    let mut empty = Status::empty(scenario.factors.len());
    empty.origin = "s.toml".into();
    empty.source_text = "[status]\nelapsed_months = 0".into();
    assert_eq!(status, empty);
}

#[test]
fn fractions_take_numbers_and_percentage_strings_alike() {
    let scenario = scenario();
    let read = |value: &str| {
        let text = with_status(&format!(
            "elapsed_months = 3.5\npercent_complete = {value}\nbenefit_signal = {value}"
        ));
        let status = load_str(&text, "s.toml", &scenario).unwrap();
        (status.progress.unwrap(), status.benefit_signal.unwrap())
    };
    for value in ["0.4", "\"40%\"", "\"40 %\""] {
        assert_eq!(read(value), (0.4, 0.4), "{value}");
    }
    assert_eq!(read("1"), (1.0, 1.0));
    assert_eq!(read("0"), (0.0, 0.0));
    let text = "[status]\nelapsed_months = 1\n[factors]\nchange_resistance = { state = \"present\", severity = \"35%\" }";
    let status = load_str(text, "s.toml", &scenario).unwrap();
    assert_eq!(
        status.factors[factor(&scenario, "change_resistance")],
        FactorObservation::Present {
            severity: Some(0.35)
        }
    );
}

#[test]
fn percentages_written_as_numbers_are_refused_with_the_fix() {
    refused_at(
        &with_status("elapsed_months = 8\npercent_complete = 40"),
        3,
        &[
            "status.percent_complete",
            "percent_complete = 40: write 0.40 for 40 %",
            "\"40%\"",
        ],
    );
    refused_at(
        &with_status("elapsed_months = 8\nbenefit_signal = 55.5"),
        3,
        &["status.benefit_signal", "write 0.555 for 55.5 %"],
    );
    refused_at(
        "[status]\nelapsed_months = 8\n[factors]\nchange_resistance = { state = \"present\", severity = 60 }",
        4,
        &["factors.change_resistance.severity", "write 0.60 for 60 %"],
    );
    // 1.5 is out of range, not a percentage.
    refused_at(
        &with_status("elapsed_months = 8\npercent_complete = 1.5"),
        3,
        &["1.5 is outside the valid range [0, 1]"],
    );
    refused_at(
        &with_status("elapsed_months = 8\npercent_complete = \"40\""),
        3,
        &["a percentage in quotes"],
    );
}

#[test]
fn earned_value_gives_progress_over_the_budget_and_not_with_percent_complete() {
    let scenario = scenario();
    let text = with_status("elapsed_months = 6\nearned_value = 250_000");
    let status = load_str(&text, "s.toml", &scenario).unwrap();
    assert_eq!(status.progress, Some(250_000.0 / scenario.project.budget));
    refused_at(
        &with_status("elapsed_months = 6\npercent_complete = 0.3\nearned_value = 250_000"),
        4,
        &[
            "status.earned_value",
            "both percent_complete and earned_value",
        ],
    );
    refused_at(
        &with_status("elapsed_months = 6\nearned_value = 1_200_000"),
        3,
        &["above the budget", "more than 100 %", "cost_to_date"],
    );
}

#[test]
fn negative_and_non_finite_numbers_are_refused() {
    for (line, value, expect) in [
        ("elapsed_months = -1", 2, "-1 is outside the valid range"),
        ("elapsed_months = nan", 2, "NaN is not a finite number"),
        ("elapsed_months = inf", 2, "inf is not a finite number"),
        (
            "elapsed_months = 2000",
            2,
            "outside the valid range [0, 1200]",
        ),
    ] {
        refused_at(
            &with_status(line),
            value,
            &["status.elapsed_months", expect],
        );
    }
    refused_at(
        &with_status("elapsed_months = 1\ncost_to_date = -5"),
        3,
        &["status.cost_to_date", "-5 is outside the valid range"],
    );
    refused_at(
        &with_status("elapsed_months = 1\ncost_to_date = -inf"),
        3,
        &["status.cost_to_date", "-inf is not a finite number"],
    );
    refused_at(
        &with_status("elapsed_months = 1\nbenefit_signal = -0.1"),
        3,
        &["status.benefit_signal", "outside the valid range [0, 1]"],
    );
    refused_at(
        "[status]\nelapsed_months = 1\n[[bought]]\nmitigation = \"smart_goals\"\ncost = -1",
        5,
        &["bought[0].cost", "outside the valid range"],
    );
    refused_at(
        "[status]\nelapsed_months = 1\n[factors]\nchange_resistance = { state = \"present\", severity = -0.2 }",
        4,
        &[
            "factors.change_resistance.severity",
            "outside the valid range [0, 1]",
        ],
    );
}

#[test]
fn unknown_names_get_did_you_mean() {
    refused_at(
        "[status]\nelapsed_months = 1\n[factors]\nno_exec_sponsor = \"present\"",
        4,
        &[
            "unknown factor \"no_exec_sponsor\"",
            "did you mean \"no_executive_sponsor\"",
        ],
    );
    refused_at(
        "[status]\nelapsed_months = 1\n[[bought]]\nmitigation = \"executive_sponsr\"\ncost = 1",
        4,
        &[
            "bought[0].mitigation",
            "unknown mitigation \"executive_sponsr\"",
            "did you mean \"executive_sponsor\"",
        ],
    );
    refused_at(
        &with_status("elapsed_months = 1\ncost_todate = 5"),
        3,
        &[
            "unknown field `cost_todate`",
            "did you mean \"cost_to_date\"",
        ],
    );
    refused_at(
        "[status]\nelapsed_months = 1\n[factors]\nchange_resistance = \"presnt\"",
        4,
        &["unknown state \"presnt\"", "did you mean \"present\""],
    );
    refused_at(
        "[status]\nelapsed_months = 1\n[factors]\nchange_resistance = { state = \"present\", severty = 0.2 }",
        4,
        &["unknown key `severty`", "did you mean \"severity\""],
    );
    refused_at(
        "[status]\nelapsed_months = 1\n[[bought]]\nmitigation = \"smart_goals\"\ncost = 1\nprice = 2",
        6,
        &["unknown field `price`", "use one of: mitigation, cost"],
    );
}

#[test]
fn unknown_tables_and_missing_keys_are_refused() {
    refused_at(
        "[status]\nelapsed_months = 1\n[factor]\nchange_resistance = \"present\"",
        3,
        &["unknown field `factor`", "did you mean \"factors\""],
    );
    refused_at(
        "[status]\nelapsed_months = 1\n[progress]\nprogress_sd = 0.1",
        3,
        &["unknown field `progress`", "status, bought, factors"],
    );
    let message = refused("[status]\ncost_to_date = 5");
    assert!(
        message.contains("missing field `elapsed_months`"),
        "{message}"
    );
    let message = refused("elapsed_months = 5");
    assert!(
        message.contains("unknown field `elapsed_months`"),
        "{message}"
    );
    let message = refused("");
    assert!(message.contains("missing field `status`"), "{message}");
}

#[test]
fn malformed_observations_are_refused_at_their_key() {
    refused_at(
        "[status]\nelapsed_months = 1\n[factors]\nchange_resistance = 1",
        4,
        &[
            "a word or a table, not a integer",
            "\"present\", \"absent\"",
        ],
    );
    refused_at(
        "[status]\nelapsed_months = 1\n[factors]\nchange_resistance = { severity = 0.5 }",
        4,
        &["no `state`", "state = \"present\""],
    );
    refused_at(
        "[status]\nelapsed_months = 1\n[factors]\nchange_resistance = { state = true }",
        4,
        &["factors.change_resistance.state", "a word in quotes"],
    );
    refused_at(
        "[status]\nelapsed_months = 1\n[factors]\nchange_resistance = { state = \"present\", severity = \"much\" }",
        4,
        &["\"much\" is not a severity"],
    );
}

#[test]
fn a_severity_goes_only_with_a_factor_that_struck() {
    for state in ["absent", "unknown"] {
        refused_at(
            &format!(
                "[status]\nelapsed_months = 1\n[factors]\nchange_resistance = {{ state = \"{state}\", severity = 0.5 }}"
            ),
            4,
            &[
                "factors.change_resistance.severity",
                &format!("a factor seen \"{state}\""),
                "remove the severity",
            ],
        );
    }
}

#[test]
fn a_mitigation_bought_twice_is_refused() {
    refused_at(
        "[status]\nelapsed_months = 1\n[[bought]]\nmitigation = \"smart_goals\"\ncost = 1\n[[bought]]\nmitigation = \"smart_goals\"\ncost = 2",
        7,
        &[
            "bought[1].mitigation",
            "bought twice (also in [[bought]] entry 0",
        ],
    );
}

#[test]
fn a_severity_the_mitigations_in_place_rule_out_is_refused() {
    // The executive sponsor's severity multiplier on no_executive_sponsor is 0.8: a
    // Kumaraswamy severity on [0, 1] then reaches 0.8 at most.
    let text = |severity: f64, bought: bool| {
        format!(
            "[status]\nelapsed_months = 4\n{}[factors]\nno_executive_sponsor = {{ state = \"present\", severity = {severity} }}",
            if bought {
                "[[bought]]\nmitigation = \"executive_sponsor\"\ncost = 40_000\n"
            } else {
                ""
            }
        )
    };
    let scenario = scenario();
    assert!(load_str(&text(0.9, false), "s.toml", &scenario).is_ok());
    assert!(load_str(&text(0.8, true), "s.toml", &scenario).is_ok());
    refused_at(
        &text(0.9, true),
        7,
        &[
            "factors.no_executive_sponsor.severity",
            "0.9 is outside what \"no_executive_sponsor\" can reach",
            "severity multiplier 0.8",
            "[0, 0.8]",
        ],
    );
}

/// A small scenario with one factor of fixed severity and a mitigation that removes
/// another entirely, for the checks on what the plan cannot produce.
fn small_scenario() -> Scenario {
    let text = r#"[scenario]
name = "small"
[project]
budget = 100_000.0
duration_months = 6.0
horizon_years = 3.0
discount_rate = 0.08
[benefits]
model = "direct"
annual = { value = 50_000.0 }
[factors.change_resistance]
severity = { kind = "fixed", value = 0.5 }
[factors.poor_data_quality]
probability = 1.0
[[mitigations]]
id = "remove"
cost = { value = 1_000.0 }
[[mitigations.effects]]
factor = "erp_integration"
probability = 0.0
[[strategies]]
id = "base"
baseline = true
[[strategies]]
id = "removed"
mitigations = ["remove"]
"#;
    Scenario::from_source(&crate::scenario::source::Source::new("small.toml", text)).unwrap()
}

#[test]
fn observations_the_plan_cannot_produce_are_refused() {
    let scenario = small_scenario();
    let check = |factors: &str, bought: bool, elapsed: f64| {
        let text = format!(
            "[status]\nelapsed_months = {elapsed}\n{}[factors]\n{factors}",
            if bought {
                "[[bought]]\nmitigation = \"remove\"\ncost = 900\n"
            } else {
                ""
            }
        );
        load_str(&text, "s.toml", &scenario).map_err(|e| e.to_string())
    };
    // A fixed severity: only its value is possible.
    assert!(
        check(
            "change_resistance = { state = \"present\", severity = 0.5 }",
            false,
            2.0
        )
        .is_ok()
    );
    let message = check(
        "change_resistance = { state = \"present\", severity = 0.6 }",
        false,
        2.0,
    )
    .unwrap_err();
    assert!(message.contains("fixed severity of 0.5"), "{message}");
    assert!(message.contains("write severity = 0.5"), "{message}");
    // A factor the bought mitigation removes cannot be present.
    assert!(check("erp_integration = \"present\"", false, 2.0).is_ok());
    let message = check("erp_integration = \"present\"", true, 2.0).unwrap_err();
    assert!(message.contains("gives it no chance"), "{message}");
    assert!(message.contains("factors.erp_integration"), "{message}");
    // A certain factor cannot be absent at the planned end; before it, it may strike later.
    assert!(check("poor_data_quality = \"absent\"", false, 5.0).is_ok());
    let message = check("poor_data_quality = \"absent\"", false, 6.0).unwrap_err();
    assert!(message.contains("makes it certain"), "{message}");
}

#[test]
fn nothing_struck_or_spent_is_refused_after_the_start_only() {
    let scenario = scenario();
    refused_at(
        "[status]\nelapsed_months = 0\n[factors]\nchange_resistance = \"present\"",
        4,
        &["seen present at 0 months elapsed", "elapsed_months"],
    );
    let text = "[status]\nelapsed_months = 0\n[factors]\nchange_resistance = \"absent\"";
    assert!(load_str(text, "s.toml", &scenario).is_ok());
    refused_at(
        &with_status("elapsed_months = 2\ncost_to_date = 0"),
        3,
        &["status.cost_to_date", "a cost to date of 0 after 2 months"],
    );
    let text = with_status("elapsed_months = 0\ncost_to_date = 0");
    assert!(load_str(&text, "s.toml", &scenario).is_ok());
}

#[test]
fn dates_are_text_or_toml_dates() {
    let scenario = scenario();
    let read = |date: &str| {
        load_str(
            &with_status(&format!("elapsed_months = 1\ndate = {date}")),
            "s.toml",
            &scenario,
        )
        .map(|s| s.date)
        .map_err(|e| e.to_string())
    };
    assert_eq!(read("\"end of Q3\"").unwrap().as_deref(), Some("end of Q3"));
    assert_eq!(read("2026-08-31").unwrap().as_deref(), Some("2026-08-31"));
    assert!(
        read("20260831")
            .unwrap_err()
            .contains("write the date in quotes")
    );
    assert!(read("\"  \"").unwrap_err().contains("this text is empty"));
    assert!(
        read("\"a\\u0007b\"")
            .unwrap_err()
            .contains("control character")
    );
}

#[test]
fn warnings_name_the_likely_mistake_at_its_line() {
    let scenario = scenario();
    let warned = |status: &str| {
        let status = load_str(&with_status(status), "s.toml", &scenario).unwrap();
        warnings(&status, &scenario)
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
    };
    let got = warned("scenario = \"Another project\"\nelapsed_months = 1");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("s.toml:2:"), "{got:?}");
    assert!(got[0].contains("\"Another project\""), "{got:?}");
    assert!(got[0].contains("\"Generic mid-size company\""), "{got:?}");
    let got = warned("elapsed_months = 61");
    assert!(
        got[0].contains("over 5 times the planned 12 months"),
        "{got:?}"
    );
    assert!(warned("elapsed_months = 60").is_empty());
    let got = warned("elapsed_months = 6\ncost_to_date = 5_000_001");
    assert!(got[0].starts_with("s.toml:3:"), "{got:?}");
    assert!(got[0].contains("over 5 times the budget"), "{got:?}");
    assert!(warned("elapsed_months = 6\ncost_to_date = 5_000_000").is_empty());
    let got = warned("elapsed_months = 6\npercent_complete = \"100%\"");
    assert!(
        got[0].contains("still treats the project as running"),
        "{got:?}"
    );
    let got = warned("elapsed_months = 6\nearned_value = 1_000_000");
    assert!(got[0].starts_with("s.toml:3:"), "{got:?}");
    assert!(got[0].contains("`status.earned_value`"), "{got:?}");
    let got = warned("elapsed_months = 6\ncost_to_date = 1000\npercent_complete = 0");
    assert!(got[0].starts_with("s.toml:4:"), "{got:?}");
    assert!(
        got[0].contains("no progress, yet 1000 EUR spent"),
        "{got:?}"
    );
    assert!(warned("elapsed_months = 0\ncost_to_date = 0\npercent_complete = 0").is_empty());
    // In file order, all of them at once.
    let got = warned(
        "elapsed_months = 100\ncost_to_date = 9_000_000\npercent_complete = 0\nscenario = \"x\"",
    );
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got[3].contains("\"x\""), "{got:?}");
}

#[test]
fn a_status_file_is_read_through_the_input_layer() {
    let scenario = scenario();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("month-08.toml");
    // A byte-order mark is dropped; the origin is the file's name, never its folder.
    std::fs::write(&path, format!("\u{feff}{EXAMPLE}")).unwrap();
    let status = load(&path, &scenario).unwrap();
    assert_eq!(status.origin, "month-08.toml");
    assert_eq!(status.progress, Some(0.4));
    let big = folder.path().join("big.toml");
    let padding = "# padding\n".repeat(120_000);
    std::fs::write(&big, format!("{EXAMPLE}{padding}")).unwrap();
    let message = load(&big, &scenario).unwrap_err().to_string();
    assert!(
        message.contains("1048576") || message.contains("1 MiB"),
        "{message}"
    );
    let message = load(folder.path(), &scenario).unwrap_err().to_string();
    assert!(!message.is_empty());
    let missing = load(&folder.path().join("none.toml"), &scenario).unwrap_err();
    assert!(missing.to_string().contains("none.toml"), "{missing}");
}

/// Every shipped status validates against the scenario it tracks, with no warning.
#[test]
fn shipped_statuses_are_valid_without_warnings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = Scenario::load(&root.join("scenarios/default.toml")).unwrap();
    let mut seen = 0;
    for month in ["04", "08", "12"] {
        let path = root.join(format!("scenarios/status/default-month-{month}.toml"));
        let status = load(&path, &scenario).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(warnings(&status, &scenario), Vec::new(), "{month}");
        assert_eq!(status.elapsed_months, month.parse::<f64>().unwrap());
        seen += 1;
    }
    assert_eq!(seen, 3);
}

/// docs/STATUS.md documents every key of the format.
#[test]
fn the_docs_name_every_key() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("docs/STATUS.md")).unwrap();
    for key in file::KEYS {
        let (table, name) = key.split_once('.').unwrap();
        assert!(
            page.contains(&format!("`{name}`")),
            "docs/STATUS.md lacks `{name}`"
        );
        let header = match table {
            "bought" => "`[[bought]]`".to_string(),
            other => format!("`[{other}]`"),
        };
        assert!(page.contains(&header), "docs/STATUS.md lacks {header}");
    }
    for state in ["present", "absent", "unknown"] {
        assert!(page.contains(&format!("\"{state}\"")), "{state}");
    }
    // The limits, warning thresholds and progress defaults it states are the code's.
    let page = page.split_whitespace().collect::<Vec<_>>().join(" ");
    let defaults = crate::model::progress::ProgressModel::default();
    for phrase in [
        format!("0 to {}", trimmed(MAX_ELAPSED_MONTHS)),
        format!("over {} times the budget", trimmed(MAX_COST_PER_BUDGET)),
        format!(
            "over {} times the planned duration",
            trimmed(MAX_ELAPSED_PER_DURATION)
        ),
        format!(
            "`[progress] progress_sd` | fraction, above 0 and at most 1, default {:.2}",
            defaults.progress_sd
        ),
        format!(
            "`[progress] cost_concentration` | 1 to 10,000, default {}",
            trimmed(defaults.cost_concentration)
        ),
        format!(
            "`[progress] benefit_signal_sd` | fraction, above 0 and at most 1, default {:.2}",
            defaults.benefit_signal_sd
        ),
    ] {
        assert!(page.contains(&phrase), "docs/STATUS.md lacks {phrase:?}");
    }
}

/// [`file::KEYS`] lists exactly the keys the parser takes: serde names them all when it
/// refuses an unknown one.
#[test]
fn the_key_list_is_the_parsers() {
    let valid = |text: &str| -> Vec<String> {
        let message = refused(text);
        let list = message
            .split("unknown field `zzz`, expected")
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .unwrap_or_default();
        list.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    let listed = |table: &str| -> Vec<String> {
        file::KEYS
            .iter()
            .filter_map(|k| k.strip_prefix(&format!("{table}.")))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        valid("[status]\nelapsed_months = 1\nzzz = 1"),
        listed("status")
    );
    assert_eq!(
        valid("[status]\nelapsed_months = 1\n[[bought]]\nzzz = 1"),
        listed("bought")
    );
    assert_eq!(listed("factors"), ["state", "severity"]);
}

/// Damaged files never panic: the example cut short at every character, and with every
/// character replaced by one that breaks the syntax or a value, is read or refused.
#[test]
fn damaged_files_are_refused_never_a_panic() {
    let scenario = scenario();
    let chars: Vec<(usize, char)> = EXAMPLE.char_indices().collect();
    let mut refused = 0;
    for &(at, original) in &chars {
        let mut texts = vec![EXAMPLE[..at].to_string()];
        for replacement in ['"', '=', '[', '-', '9', 'x', '\n', '{', '%'] {
            if replacement != original {
                let end = at + original.len_utf8();
                texts.push(format!(
                    "{}{replacement}{}",
                    &EXAMPLE[..at],
                    &EXAMPLE[end..]
                ));
            }
        }
        for text in texts {
            if let Err(error) = load_str(&text, "s.toml", &scenario) {
                let message = error.to_string();
                assert!(message.contains("s.toml"), "{message}\n{text}");
                refused += 1;
            }
        }
    }
    assert!(refused > chars.len(), "{refused}");
}
