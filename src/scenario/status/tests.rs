//! Status files: the format as docs/STATUS.md gives it, every refusal with its place and fix,
//! the warnings, and the shipped statuses.

use super::*;
use crate::scenario::Scenario;
use crate::scenario::units::trimmed;
use std::path::Path;

pub(super) fn scenario() -> Scenario {
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

pub(super) fn with_status(status: &str) -> String {
    format!("[status]\n{status}\n")
}

/// The error message (with its place and fix) for `text`, which must be refused.
pub(super) fn refused(text: &str) -> String {
    match load_str(text, "status.toml", &scenario()) {
        Ok(status) => panic!("accepted:\n{text}\n{status:?}"),
        Err(error) => error.to_string(),
    }
}

/// `text` is refused at `line`, with every one of `expect` in the message and a fix.
pub(super) fn refused_at(text: &str, line: usize, expect: &[&str]) {
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
