//! Status files refused: every mistake with its place (file, line) and its fix.

use super::tests::{refused, refused_at, scenario, with_status};
use super::*;
use crate::scenario::Scenario;

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
