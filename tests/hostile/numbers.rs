//! Hostile cases: numbers at the documented input limits (docs/MODEL.md §13). Inside the
//! limits a run gives the right figures — checked against the closed form
//! `annual benefit = A × benefit realisation` of a fixed direct benefit `A`, which holds trial
//! by trial — and past them it is refused up front with exit 2 and the limit stated; a run
//! whose trials leave the accumulators' exact range is refused, never clamped.

use super::support::*;
use std::path::{Path, PathBuf};

/// The default scenario with `project` keys and a fixed direct benefit of `annual` per year.
fn scenario(dir: &Path, project: &[(&str, &str)], annual: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo("scenarios/default.toml")).expect("default");
    let mut lines = Vec::new();
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        if let Some((_, value)) = project.iter().find(|(k, _)| *k == key) {
            lines.push(format!("{key} = {value}"));
        } else if line.starts_with("model = \"levers\"") {
            lines.push(format!(
                "model = \"direct\"\nannual = {{ value = {annual} }}"
            ));
        } else if !(line.starts_with("baseline_revenue =") || line.starts_with("margin =")) {
            lines.push(line.to_string());
        }
    }
    let path = dir.join("limits.toml");
    std::fs::write(&path, lines.join("\n")).expect("write scenario");
    path
}

/// A metric of the baseline strategy from `crmcast run --format json`.
fn metric(json: &serde_json::Value, id: &str) -> f64 {
    let metrics = json["strategies"][0]["metrics"]
        .as_array()
        .expect("metrics");
    metrics
        .iter()
        .find(|m| m["id"] == id)
        .and_then(|m| m["value"].as_f64())
        .unwrap_or_else(|| panic!("no metric {id}"))
}

fn run_json(path: &Path) -> serde_json::Value {
    let output = crmcast()
        .args(["run", "--trials", "4000", "--quiet", "--format", "json"])
        .arg(path)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    serde_json::from_slice(&output.stdout).expect("json")
}

fn run_refused(path: &Path) -> String {
    let output = crmcast()
        .args(["run", "--trials", "4000", "--quiet", "--format", "json"])
        .arg(path)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty(), "figures were printed: {stderr}");
    stderr
}

/// The annual benefit mean is `annual` × the benefit realisation mean, to fixed-point precision.
fn check_closed_form(path: &Path, annual: f64, budget: f64) {
    let json = run_json(path);
    let mean = metric(&json, "annual_benefit_mean");
    let realisation = metric(&json, "benefit_realisation_mean");
    let expected = annual * realisation;
    assert!(
        ((mean - expected) / expected).abs() < 1e-6,
        "annual benefit mean {mean} vs closed form {expected} (budget {budget})"
    );
}

#[test]
fn a_benefit_at_the_limit_on_the_default_budget_gives_the_right_mean() {
    // Annuity factor of 5 years at 8 %: (1 − 1.08⁻⁵)/ln 1.08 ≈ 4.1; 6.3·10¹⁰ × 4.1 / 10⁶ < 2¹⁸.
    let dir = scratch();
    let path = scenario(dir.path(), &[], "63_000_000_000.0");
    check_closed_form(&path, 63e9, 1e6);
}

#[test]
fn a_benefit_seven_times_the_old_clamp_is_refused_with_the_limit() {
    // The case: 7 × 2²⁰ budgets a year was clamped to 2²⁰ silently.
    let dir = scratch();
    let path = scenario(dir.path(), &[], "7_340_032_000_000.0");
    let stderr = run_refused(&path);
    assert!(stderr.contains("262144 times the budget"), "{stderr}");
    assert!(stderr.contains("benefits"), "{stderr}");
}

#[test]
fn just_past_the_benefit_limit_is_refused() {
    let dir = scratch();
    let path = scenario(dir.path(), &[], "64_000_000_000.0");
    let stderr = run_refused(&path);
    assert!(stderr.contains("262144"), "{stderr}");
}

#[test]
fn the_smallest_budget_with_the_largest_benefit_it_allows_is_right() {
    let dir = scratch();
    let path = scenario(dir.path(), &[("budget", "1.0")], "63_000.0");
    check_closed_form(&path, 63e3, 1.0);
}

#[test]
fn the_longest_horizon_at_the_lowest_discount_rate_is_refused_up_front() {
    // 100 years at −50 %: the annuity factor is about 1.8·10³⁰; no benefit fits.
    let dir = scratch();
    let path = scenario(
        dir.path(),
        &[("horizon_years", "100.0"), ("discount_rate", "-0.5")],
        "1.0",
    );
    let stderr = run_refused(&path);
    assert!(stderr.contains("annuity factor"), "{stderr}");
}

#[test]
fn a_negative_rate_inside_the_limit_gives_the_right_mean() {
    // 10 years at −50 %: annuity factor (2¹⁰ − 1)/ln 2 ≈ 1476; 10⁸ × 1476 / 10⁶ < 2¹⁸.
    let dir = scratch();
    let path = scenario(
        dir.path(),
        &[("horizon_years", "10.0"), ("discount_rate", "-0.5")],
        "100_000_000.0",
    );
    check_closed_form(&path, 1e8, 1e6);
}

#[test]
fn the_largest_money_amounts_on_the_largest_budget_are_right() {
    // Every amount at its documented maximum, 10¹³: the ratio is the annuity factor only.
    let dir = scratch();
    let path = scenario(
        dir.path(),
        &[
            ("budget", "10_000_000_000_000.0"),
            ("horizon_years", "100.0"),
        ],
        "10_000_000_000_000.0",
    );
    check_closed_form(&path, 1e13, 1e13);
}

#[test]
fn levers_at_their_maximum_on_a_small_budget_are_refused() {
    let dir = scratch();
    let text = std::fs::read_to_string(repo("scenarios/default.toml"))
        .expect("default")
        .replace("budget = 1_000_000.0", "budget = 1.0");
    let path = dir.path().join("levers.toml");
    std::fs::write(&path, text).expect("write");
    let stderr = run_refused(&path);
    assert!(stderr.contains("times the budget"), "{stderr}");
}

#[test]
fn trials_beyond_the_exact_range_are_refused_not_clamped() {
    // The widest documented cost estimate: e^(3 + 3η) passes 2²⁰ budgets in about 1 trial in
    // 6 000 — a run refuses rather than report a clamped overrun mean.
    let dir = scratch();
    let path = scenario(dir.path(), &[], "250_000.0");
    let mut text = std::fs::read_to_string(&path).expect("read");
    text = text.replace(
        "# [project.estimate]        # any key of the catalogue's [estimate]\n# log_cost_sd = 0.35",
        "[project.estimate]\nlog_cost_mean = 3.0\nlog_cost_sd = 3.0",
    );
    std::fs::write(&path, text).expect("write");
    let output = crmcast()
        .args(["run", "--trials", "40000", "--quiet", "--format", "json"])
        .arg(&path)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("beyond ±1048576"), "{stderr}");
    assert!(output.stdout.is_empty());
}
