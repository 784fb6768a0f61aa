//! Value of information on a scenario with a closed form: one factor decides everything.

mod common;

use assert_cmd::Command;
use common::controlled;
use crmcast::analysis::value_of_information::value_of_information;

#[test]
fn evpi_and_evppi_of_the_only_factor_match_the_closed_form() {
    // The factor strikes with p = 0.5 and then costs e^0.5 × budget; without it the project
    // gains. All uncertainty is the factor, so EVPPI(factor) = EVPI = E[max(NPV, 0)] − max(E NPV, 0).
    let factor = "probability = 0.5\nseverity = { kind = \"fixed\", value = 1.0 }\nimpact = { benefit = 0.0, cost = 0.5, schedule = 0.0, runaway = 0.0 }";
    let scenario = controlled(&[("poor_data_quality", factor)], "");
    let d = crmcast::model::economics::Discounting::new(0.1, 5.0);
    let value = d.present_value(500.0, 1.0);
    let (absent, present) = (value - 1000.0, value - 1000.0 * 0.5f64.exp());
    let result =
        value_of_information(&scenario, 50_000, 9, 50, &crmcast::engine::NoObserver).expect("voi");
    let share = result
        .factors
        .iter()
        .find(|f| f.factor == "poor_data_quality")
        .expect("factor")
        .probability;
    // Exact for the realised share of trials in which the factor struck.
    let mean = share * present + (1.0 - share) * absent;
    let exact = (1.0 - share) * absent.max(0.0) + share * present.max(0.0) - mean.max(0.0);
    assert!(
        (result.evpi.value - exact).abs() < 1e-6 * absent.abs(),
        "{:?} vs {exact}",
        result.evpi
    );
    let top = &result.factors[0];
    assert_eq!(top.factor, "poor_data_quality");
    assert!((top.evppi.value - exact).abs() < 1e-6 * absent.abs());
    assert_eq!(top.decision_if_present, "do not invest");
    assert_eq!(top.decision_if_absent, "base");
    // No other factor can strike: their information is worth nothing.
    assert!(
        result.factors[1..]
            .iter()
            .all(|f| f.evppi.value.abs() < 1e-9)
    );
}

#[test]
fn the_cli_writes_every_format() {
    for format in ["table", "markdown", "json", "csv"] {
        let output = Command::cargo_bin("crmcast")
            .expect("binary")
            .args([
                "voi",
                "--trials",
                "2000",
                "--bootstrap",
                "5",
                "--format",
                format,
            ])
            .output()
            .expect("run");
        assert!(output.status.success(), "{format}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("unclear_strategy"));
    }
    Command::cargo_bin("crmcast")
        .expect("binary")
        .args(["voi", "--trials", "10"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("use 1,000 to 20,000,000 trials"));
}
