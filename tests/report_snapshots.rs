//! The charts of the default scenario's report for a fixed seed, pinned: any change to the
//! engine, the presentation or the chart code that moves a drawn figure shows up here as a
//! reviewable diff (`INSTA_UPDATE=always cargo test --test report_snapshots` accepts it).

use assert_cmd::Command;

use crmcast::export::charts::IDS as CHARTS;

#[test]
fn charts_of_the_default_scenario_for_a_fixed_seed() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let charts = dir.path().join("charts");
    Command::cargo_bin("crmcast")
        .expect("the crmcast binary is built")
        .args(["report", "--trials", "20000", "--seed", "7"])
        .args(["--sensitivity-trials", "2000", "--scatter-trials", "2000"])
        .args(["--threads", "2", "-q", "--output"])
        .arg(dir.path().join("report.html"))
        .arg("--charts")
        .arg(&charts)
        .assert()
        .success();
    for id in CHARTS {
        let svg = std::fs::read_to_string(charts.join(format!("{id}.svg")))
            .unwrap_or_else(|e| panic!("{id}.svg: {e}"));
        // One element per line, so that a change reads as a small diff.
        insta::assert_snapshot!(id, svg.replace("><", ">\n<"));
    }
}
