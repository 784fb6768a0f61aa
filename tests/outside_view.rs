//! A scenario's `[outside_view]`: the blend of a reference class with the factor model's cost
//! overruns, against closed forms, and its handling of files, errors and shards.

mod common;

use assert_cmd::Command;
use common::controlled_text;
use crmcast::analysis::Report;
use crmcast::analysis::reference_class::BuiltinClass;
use crmcast::engine::sketch::RELATIVE_ERROR;
use crmcast::engine::{NoObserver, RunSettings, simulate};
use crmcast::scenario::Scenario;
use crmcast::scenario::source::Source;

const FACTOR: &str = "probability = 0.5\nseverity = { kind = \"fixed\", value = 1.0 }\nimpact = { benefit = 0.0, cost = 0.5, schedule = 0.0, runaway = 0.0 }";

fn report_with_weight(weight: f64) -> Report {
    let text = controlled_text(
        &[("poor_data_quality", FACTOR)],
        &format!("[outside_view]\nweight = {weight}\nclass = \"builtin\"\n"),
    );
    let scenario = Scenario::from_source(&Source::new("blend.toml", text)).expect("valid");
    let result = simulate(
        &scenario,
        &RunSettings {
            trials: 20_000,
            seed: 1,
            threads: 2,
            ..RunSettings::default()
        },
        &NoObserver,
    )
    .expect("run");
    Report::build(&scenario, &result)
}

fn blended(report: &Report, level: f64) -> f64 {
    let view = report.outside_view.as_ref().expect("outside view");
    view.rows
        .iter()
        .find(|r| r.level == level)
        .expect("level")
        .blended
}

#[test]
fn the_blend_is_the_mixture_of_the_two_distributions() {
    // The inside view is two points: 0 (half the trials) and j = e^0.5 − 1.
    let jump = 0.5f64.exp() - 1.0;
    let class = BuiltinClass::builtin().refit().expect("class");
    // Weight 0: the inside view's own quantile (to the sketch's bucket resolution).
    let inside_only = report_with_weight(0.0);
    assert!(((1.0 + blended(&inside_only, 0.8)) / (1.0 + jump) - 1.0).abs() < 2.0 * RELATIVE_ERROR);
    // Weight 1: the reference class's quantile.
    let outside_only = report_with_weight(1.0);
    for level in [0.5, 0.8, 0.9] {
        assert!((blended(&outside_only, level) - class.quantile(level)).abs() < 1e-6);
    }
    // Weight ½: G(x) = ½·F_in(x) + ½·F_out(x) reaches 0.8 exactly at the jump, because the
    // class's CDF there is above 0.6 and just below it G ≤ ¼ + ½.
    assert!(class.cdf(jump) > 0.6);
    let half = report_with_weight(0.5);
    assert!(((1.0 + blended(&half, 0.8)) / (1.0 + jump) - 1.0).abs() < 2.0 * RELATIVE_ERROR);
    // And the decision summary's P80 budget is the blend's.
    let p80_budget = half.decision.p80_budget.value;
    assert!((p80_budget / (1000.0 * (1.0 + blended(&half, 0.8))) - 1.0).abs() < 1e-12);
    assert!(
        half.decision
            .sentences
            .iter()
            .any(|s| s.contains("outside view at weight 0.50"))
    );
}

fn crmcast() -> Command {
    Command::cargo_bin("crmcast").expect("binary")
}

#[test]
fn a_data_class_next_to_the_scenario_is_read_and_carried_by_shards() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        "scenarios/calibration/overruns.csv",
        dir.path().join("past.csv"),
    )
    .expect("copy");
    let text = crmcast::scenario::BUILTIN_DEFAULT.replacen(
        "\n[simulation]\n",
        "\n[outside_view]\nweight = 0.3\ndata = \"past.csv\"\n\n[simulation]\n",
        1,
    );
    assert!(text.contains("[outside_view]"));
    let path = dir.path().join("project.toml");
    std::fs::write(&path, &text).expect("write");
    let single = crmcast()
        .args(["run", "--trials", "40000", "--format", "json", "-q"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(
        single.status.success(),
        "{}",
        String::from_utf8_lossy(&single.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&single.stdout).expect("json");
    assert_eq!(json["outside_view"]["weight"], 0.3);
    for k in 1..=2 {
        crmcast()
            .args([
                "run",
                "--trials",
                "40000",
                "-q",
                "--shard",
                &format!("{k}/2"),
                "--output",
            ])
            .arg(dir.path().join(format!("part-{k}.json")))
            .arg(&path)
            .assert()
            .success();
    }
    // Merged elsewhere, without the CSV: the shard files carry the class.
    std::fs::remove_file(dir.path().join("past.csv")).expect("remove");
    let merged = crmcast()
        .args(["merge", "--format", "json"])
        .arg(dir.path().join("part-1.json"))
        .arg(dir.path().join("part-2.json"))
        .output()
        .expect("merge");
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert_eq!(
        merged.stdout, single.stdout,
        "merge gives the single run, bit for bit"
    );
}

#[test]
fn bad_outside_views_exit_2_with_the_place_and_a_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("project.toml");
    for (table, message) in [
        ("weight = 1.5\nclass = \"builtin\"", "outside_view.weight"),
        (
            "weight = 0.5\nclass = \"railways\"",
            "unknown reference class \"railways\"",
        ),
        (
            "weight = 0.5\nclass = \"builtin\"\ndata = \"x.csv\"",
            "name exactly one of `class` or `data`",
        ),
        (
            "weight = 0.5\ndata = \"../x.csv\"",
            "not a path inside the scenario's folder",
        ),
        ("weight = 0.5\ndata = \"missing.csv\"", "missing.csv"),
    ] {
        let text = crmcast::scenario::BUILTIN_DEFAULT.replacen(
            "\n[simulation]\n",
            &format!("\n[outside_view]\n{table}\n\n[simulation]\n"),
            1,
        );
        std::fs::write(&path, text).expect("write");
        crmcast()
            .args(["run", "--trials", "1000", "-q"])
            .arg(&path)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(message))
            .stderr(predicates::str::contains("fix"));
    }
}
