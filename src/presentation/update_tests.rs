//! The update's document on hand-made results: what each section says, the warning on few
//! effective trials, the wording of a decision the evidence does not separate, and the CSV and
//! JSON records against their documentation.

use super::*;
use crate::analysis::update::{EvidenceCheck, ThenAndNow, UpdateDecision};
use crate::engine::Ending;
use crate::scenario::status::BoughtMitigation;

fn estimate(value: f64, se: f64) -> Estimate {
    Estimate::normal(value, se)
}

fn distribution(centre: f64, spread: f64) -> Distribution {
    Distribution {
        mean: estimate(centre, spread / 50.0),
        p10: estimate(centre - spread, spread / 40.0),
        p50: estimate(centre - 0.1 * spread, spread / 50.0),
        p80: estimate(centre + 0.5 * spread, spread / 40.0),
        p90: estimate(centre + spread, spread / 30.0),
    }
}

fn option(id: &str, kind: OptionKind, added: Vec<usize>, npv_forward: f64) -> OptionForecast {
    OptionForecast {
        id: id.into(),
        kind,
        added_mitigations: added,
        p_success: estimate(0.4, 0.002),
        overrun: distribution(0.3, 0.2),
        slip: distribution(0.15, 0.1),
        npv_total: distribution(100_000.0, 400_000.0),
        npv_forward: distribution(npv_forward, 300_000.0),
        p_forward_loss: estimate(0.25, 0.002),
        gain_over_continue: estimate(npv_forward - 500_000.0, 2_000.0),
    }
}

/// A result on the built-in scenario: continue, "people_first" (strategy 1) and stop.
fn fixture(effective: f64, significant: bool) -> (Scenario, Status, UpdateResult) {
    let scenario = Scenario::builtin_default().expect("built-in scenario");
    let mut status = Status::empty(scenario.factors.len());
    status.origin = "default-month-08.toml".into();
    status.date = Some("2026-08-31".into());
    status.elapsed_months = 8.0;
    status.cost_to_date = Some(610_000.0);
    status.progress = Some(0.55);
    status.bought = vec![BoughtMitigation {
        mitigation: 1,
        cost: 42_000.0,
    }];
    let mut prior = option("continue", OptionKind::Continue, vec![], 500_000.0);
    prior.p_success = estimate(0.51, 0.002);
    let options = vec![
        option("continue", OptionKind::Continue, vec![], 500_000.0),
        option(
            &scenario.strategies[1].id,
            OptionKind::Strategy { strategy: 1 },
            vec![0, 2],
            560_000.0,
        ),
        option("stop", OptionKind::Stop, vec![], 0.0),
    ];
    let gain = if significant {
        estimate(60_000.0, 5_000.0)
    } else {
        estimate(60_000.0, 50_000.0)
    };
    let result = UpdateResult {
        trials: 100_000,
        seed: 7,
        ending: Ending::Completed,
        effective_trials: effective,
        largest_weight_share: 0.0004,
        evidence: vec![
            EvidenceCheck {
                observation: "cost to date 610,000".into(),
                effective_trials: 40_000.0,
            },
            EvidenceCheck {
                observation: "change_resistance present".into(),
                effective_trials: 9_000.0,
            },
        ],
        prior,
        options,
        decision: UpdateDecision {
            best: 1,
            runner_up: Some(0),
            gain_over_runner_up: Some(gain),
            significant,
        },
        then_and_now: vec![ThenAndNow {
            quantity: "overrun".into(),
            levels: vec![0.1, 0.5, 0.9],
            then: vec![-0.1, 0.05, 0.6],
            now: vec![0.1, 0.3, 0.9],
        }],
    };
    (scenario, status, result)
}

fn text(document: &Document) -> String {
    let mut out = document.title.clone();
    for s in &document.sections {
        out.push('\n');
        out.push_str(&s.title);
        for row in &s.rows {
            out.push('\n');
            out.push_str(&row.join(" | "));
        }
    }
    out
}

#[test]
fn sections_say_the_status_the_recommendation_and_each_option() {
    let (scenario, status, result) = fixture(60_000.0, true);
    let d = document(&scenario, &status, &result, 1000.0);
    let titles: Vec<&str> = d.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles[0], "Status and evidence");
    assert_eq!(titles[1], "Recommendation");
    assert!(titles[2].starts_with("Then and now"), "{titles:?}");
    assert!(titles[3].starts_with("Options from now"), "{titles:?}");
    assert!(titles[4].starts_with("Evidence"), "{titles:?}");
    let all = text(&d);
    assert!(all.contains("8.0 of 12.0 planned months"), "{all}");
    assert!(all.contains("EUR 610,000 (61 % of the budget"), "{all}");
    assert!(all.contains("executive_sponsor (EUR 42,000)"), "{all}");
    assert!(all.contains("60,000 of 100,000 (60.0 %, Kish)"), "{all}");
    assert!(!all.contains("warning"), "{all}");
    // One row per option; the best one is marked, with what it buys now.
    let options = &d.sections[3];
    assert_eq!(options.rows.len(), 3);
    let name = &scenario.strategies[1].name;
    assert_eq!(options.rows[1][0], format!("Add {name} (recommended)"));
    assert_eq!(
        options.rows[1][1],
        "smart_goals, training_change_management"
    );
    assert_eq!(options.rows[0][0], "Continue as is");
    assert_eq!(options.rows[2][0], "Stop now");
    assert_eq!(options.rows[0][7], "–", "continue has no gain over itself");
    assert!(options.rows[1][7].starts_with("+EUR") || options.rows[1][7].starts_with("+60,000"));
    // The recommendation names the best option, beats the runner-up, and says what is sunk.
    let sentences = &d.sections[1].rows;
    assert!(
        sentences[0][0].contains(&format!("\"Add {name}\"")),
        "{sentences:?}"
    );
    assert!(sentences[1][0].starts_with("It beats the runner-up, \"Continue as is\""));
    assert!(all.contains("from 51 % to 40 %"), "{all}");
    assert!(all.contains("EUR 652,000 already spent"), "{all}");
    // Evidence: the least believable observation first.
    let evidence = &d.sections[4].rows;
    assert_eq!(evidence[0][0], "change_resistance present");
    assert_eq!(evidence[1][0], "cost to date 610,000");
}

#[test]
fn a_gain_within_noise_is_said_not_to_separate_the_options() {
    let (scenario, status, result) = fixture(60_000.0, false);
    let d = document(&scenario, &status, &result, 1000.0);
    let sentences = &d.sections[1].rows;
    assert!(
        sentences[1][0].starts_with("The evidence does not separate it from the runner-up"),
        "{sentences:?}"
    );
    assert!(sentences[1][0].contains("includes zero"));
}

#[test]
fn few_effective_trials_give_a_clear_warning_line() {
    // 10 % of the trials is the line: just above it no warning, below it one that names the
    // least believable observation and the fix.
    let (scenario, status, result) = fixture(10_001.0, true);
    assert!(low_effective_warning(&result).is_none());
    let (_, _, result) = fixture(4_000.0, true);
    let warning = low_effective_warning(&result).expect("a warning below 10 %");
    assert!(
        warning.contains("4,000 effective trials of 100,000 (4.0 %)"),
        "{warning}"
    );
    assert!(warning.contains("more --trials"), "{warning}");
    assert!(
        warning.contains("\"change_resistance present\""),
        "{warning}"
    );
    let d = document(&scenario, &status, &result, 1000.0);
    let header = &d.sections[0].rows;
    assert_eq!(header.last().expect("rows")[0], "warning");
}

#[test]
fn stopping_as_the_best_option_says_why() {
    let (scenario, status, mut result) = fixture(60_000.0, true);
    result.decision.best = 2;
    result.decision.runner_up = Some(0);
    let run = run_info(&scenario, &status, &result, 1000.0);
    let sentences = sentences(&scenario, &run, &result);
    assert!(sentences[0].contains("\"Stop now\""), "{sentences:?}");
    assert!(
        sentences
            .iter()
            .any(|s| s.starts_with("Stopping recovers the salvage value")),
        "{sentences:?}"
    );
}

#[test]
fn csv_rows_cover_every_option_and_figure_with_the_documented_columns() {
    let (scenario, status, result) = fixture(60_000.0, true);
    let rows = csv(&result);
    // 1 + 4 × 5 + 2 figures per option, for the prior and each of the 3 options.
    assert_eq!(rows.len(), 23 * 4);
    assert_eq!(rows.iter().filter(|r| r.forecast == "then").count(), 23);
    let gain = rows
        .iter()
        .find(|r| r.forecast == "now" && r.option == "stop" && r.figure == "gain_over_continue")
        .expect("the stop option's gain");
    assert_eq!(gain.value, -500_000.0);
    assert_eq!(gain.kind, "stop");
    // The header is the record's fields, in order.
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.serialize(&rows[0]).expect("serialise");
    let bytes = writer.into_inner().expect("flush");
    let header = String::from_utf8(bytes).expect("UTF-8");
    assert_eq!(
        header.lines().next().expect("a header"),
        CSV_COLUMNS.join(",")
    );
    let d = document(&scenario, &status, &result, 1000.0);
    assert_eq!(d.csv_header, CSV_COLUMNS.map(String::from).to_vec());
    assert!(d.csv_rows.iter().all(|r| r.len() == CSV_COLUMNS.len()));
}

#[test]
fn json_record_is_the_result_with_the_run_and_names_no_folder() {
    let (mut scenario, mut status, result) = fixture(60_000.0, true);
    scenario.origin = "/home/someone/projects/default.toml".into();
    status.origin = "/home/someone/status/default-month-08.toml".into();
    let d = document(&scenario, &status, &result, 1000.0);
    let record = &d.record;
    assert_eq!(record["run"]["scenario_file"], "default.toml");
    assert_eq!(record["run"]["status_file"], "default-month-08.toml");
    assert_eq!(
        record["run"]["bought"][0]["mitigation"],
        "executive_sponsor"
    );
    assert_eq!(
        record["run"]["options"][1]["added_mitigations"][0],
        "smart_goals"
    );
    assert_eq!(record["trials"], 100_000);
    assert_eq!(record["decision"]["best"], 1);
    assert_eq!(record["options"].as_array().map(Vec::len), Some(3));
    assert!(!record.to_string().contains("/home/someone"));
    assert!(!text(&d).contains("/home/someone"));
}

/// docs/OUTPUT.md's section on `crmcast update` names every CSV column and every JSON field.
#[test]
fn output_md_documents_the_update_records() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/OUTPUT.md"))
        .expect("docs/OUTPUT.md");
    let start = page
        .find("## `crmcast update`")
        .expect("a section on crmcast update");
    let end = page[start + 3..]
        .find("\n## ")
        .map_or(page.len(), |e| e + start + 3);
    let section = &page[start..end];
    let (scenario, status, result) = fixture(60_000.0, true);
    let d = document(&scenario, &status, &result, 1000.0);
    let mut missing = Vec::new();
    for column in CSV_COLUMNS {
        if !section.contains(&format!("`{column}`")) {
            missing.push(column.to_string());
        }
    }
    fn keys(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    out.push(k.clone());
                    keys(v, out);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let mut fields = Vec::new();
    keys(&d.record, &mut fields);
    for field in fields {
        if !section.contains(&format!("\"{field}\"")) && !missing.contains(&field) {
            missing.push(field);
        }
    }
    let figures: std::collections::BTreeSet<String> =
        csv(&result).into_iter().map(|r| r.figure).collect();
    for figure in figures {
        // Figures are documented as patterns (`overrun_p80` under `{quantity}_{statistic}`)
        // or by name.
        let (quantity, _) = figure.rsplit_once('_').unwrap_or((&figure, ""));
        if !section.contains(&format!("`{figure}`")) && !section.contains(&format!("`{quantity}`"))
        {
            missing.push(figure);
        }
    }
    assert!(
        missing.is_empty(),
        "docs/OUTPUT.md's update section misses {missing:?}"
    );
}
