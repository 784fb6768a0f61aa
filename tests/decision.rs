//! The decision summary of `run`/`compare` against closed forms: one factor that strikes half
//! the time with a fixed effect, and a mitigation that removes it (no estimating noise and no
//! runaway: tests/common).

mod common;

use common::{controlled, controlled_text};
use crmcast::analysis::Report;
use crmcast::engine::{NoObserver, RunSettings, simulate};
use crmcast::scenario::Scenario;
use crmcast::scenario::source::Source;

const FACTOR: &str = "probability = 0.5\nseverity = { kind = \"fixed\", value = 1.0 }\nimpact = { benefit = 0.0, cost = 0.5, schedule = 0.0, runaway = 0.0 }";

fn report(extra: &str) -> Report {
    let scenario = controlled(&[("poor_data_quality", FACTOR)], extra);
    let result = simulate(
        &scenario,
        &RunSettings {
            trials: 40_000,
            seed: 3,
            threads: 2,
            ..RunSettings::default()
        },
        &NoObserver,
    )
    .expect("run");
    Report::build(&scenario, &result)
}

/// NPV without the factor: the benefit's present value minus the budget; with it, the cost is
/// e^0.5 × budget.
fn npvs() -> (f64, f64) {
    let d = crmcast::model::economics::Discounting::new(0.1, 5.0);
    let value = d.present_value(500.0, 1.0);
    (value - 1000.0, value - 1000.0 * 0.5f64.exp())
}

#[test]
fn the_summary_matches_closed_forms() {
    let report = report("");
    let decision = &report.decision;
    let (absent, present) = npvs();
    assert!(
        absent > 0.0 && present < 0.0,
        "the factor turns a gain into a loss"
    );
    // Expected NPV = (absent + present)/2 within 4 SE; its sign decides the verdict.
    let expected = 0.5 * (absent + present);
    let e = decision.expected_npv;
    assert!(
        (e.value - expected).abs() < 4.0 * e.se,
        "{e:?} vs {expected}"
    );
    assert_eq!(
        decision.verdict,
        if e.low > 0.0 {
            "invest"
        } else if e.high < 0.0 {
            "do not invest"
        } else {
            "too close to call"
        }
    );
    // A loss exactly when the factor strikes: P(NPV < 0) = 1/2.
    assert!((decision.p_npv_negative.value - 0.5).abs() < 4.0 * decision.p_npv_negative.se);
    // The worst 10 % all have the factor: CVaR = the loss, to the sketch's 0.39 %.
    let cvar = decision.cvar10_npv.value;
    assert!(
        (cvar - present).abs() <= present.abs() * 2.0 * crmcast::engine::sketch::RELATIVE_ERROR,
        "{cvar} vs {present}"
    );
    // P80 of the cost is the struck cost e^0.5 × budget.
    let p80 = decision.p80_budget.value;
    assert!(
        (p80 - 1000.0 * 0.5f64.exp()).abs()
            < 1000.0 * 0.5f64.exp() * 2.0 * crmcast::engine::sketch::RELATIVE_ERROR,
        "{p80}"
    );
    // The only factor is the only driver.
    assert_eq!(decision.drivers.len(), 1);
    assert_eq!(decision.drivers[0].factor, "poor_data_quality");
    assert!((decision.drivers[0].share_of_missed - 1.0).abs() < 1e-12);
}

#[test]
fn the_strategy_with_the_highest_expected_npv_is_recommended() {
    // Removing the factor is worth (absent − present)/2 ≈ 324 per project on average; a cost of
    // 100 makes it pay, a cost of 600 does not.
    let strategies = |cost: f64| {
        format!(
            "[[mitigations]]\nid = \"fix\"\ncost = {{ value = {cost} }}\n[[mitigations.effects]]\nfactor = \"poor_data_quality\"\nprobability = 0.0\n[[strategies]]\nid = \"base\"\nbaseline = true\n[[strategies]]\nid = \"fixed\"\nmitigations = [\"fix\"]\n"
        )
    };
    let cheap = report(&strategies(100.0));
    assert_eq!(cheap.decision.recommended, "fixed");
    let (absent, _) = npvs();
    let gap = cheap.decision.expected_npv.value - (absent - 100.0);
    // Means are kept in fixed point (2⁻²⁴ of a budget per trial, MODEL.md §10).
    assert!(gap.abs() < 1000.0 * 2f64.powi(-24), "{gap}");
    assert_eq!(cheap.decision.verdict, "invest");
    assert!(
        cheap
            .decision
            .sentences
            .iter()
            .any(|s| s.contains("Against \"base\""))
    );
    let dear = report(&strategies(600.0));
    assert_eq!(dear.decision.recommended, "base");
}

/// No factor, only the runaway: with probability b₀ = 0.3 the cost is a Pareto(2, 4) multiple
/// Y of the budget, else exactly the budget; the duration does not move (schedule = 0). A
/// runaway with Y ≥ 2.5 (an overrun of at least 150 %, MODEL.md §5) fails and keeps 10 % of
/// its benefit. Every runaway loses money (Y ≥ 2 exceeds the benefit's present value, 1.51
/// budgets), so P(NPV < 0) = b₀; the P80 cost solves 1 − b₀·(y/x_m)^(−α) = 0.8; the worst 10 %
/// are the worst third of the runaways, Pareto(x_m·3^(1/α), α), all failed.
#[test]
fn the_summary_reads_the_runaway() {
    let (b0, xm, alpha) = (0.3f64, 2.0f64, 4.0f64);
    let (failed_at, failed_share) = (2.5f64, 0.1f64);
    let text = controlled_text(&[], "").replace(
        "base_probability = 0.0",
        &format!("base_probability = {b0}\nsize_min = {xm}\ntail = {alpha}\nschedule = 0.0"),
    );
    let scenario = Scenario::from_source(&Source::new("runaway.toml", text)).expect("valid");
    let result = simulate(
        &scenario,
        &RunSettings {
            trials: 200_000,
            seed: 3,
            threads: 2,
            ..RunSettings::default()
        },
        &NoObserver,
    )
    .expect("run");
    let decision = Report::build(&scenario, &result).decision;
    let value = crmcast::model::economics::Discounting::new(0.1, 5.0).present_value(500.0, 1.0);
    assert!(value < 1000.0 * xm, "every runaway loses money");
    let pareto_mean = |scale: f64| scale * alpha / (alpha - 1.0);
    let within = |what: &str, e: crmcast::analysis::report::Estimate, expected: f64, slack: f64| {
        assert!(
            (e.value - expected).abs() <= 4.0 * e.se + slack,
            "{what}: {e:?} vs {expected}"
        );
    };
    let p_failed = (failed_at / xm).powf(-alpha);
    let runaway_npv = value * (1.0 - (1.0 - failed_share) * p_failed) - 1000.0 * pareto_mean(xm);
    let expected = (1.0 - b0) * (value - 1000.0) + b0 * runaway_npv;
    within("expected NPV", decision.expected_npv, expected, 0.0);
    within("P(NPV < 0)", decision.p_npv_negative, b0, 0.0);
    let resolution = 2.0 * crmcast::engine::sketch::RELATIVE_ERROR;
    let p80 = 1000.0 * xm * (b0 / 0.2).powf(1.0 / alpha);
    within("P80 budget", decision.p80_budget, p80, p80 * resolution);
    let edge = xm * 3f64.powf(1.0 / alpha);
    assert!(edge > failed_at, "the worst tenth all failed");
    let cvar = failed_share * value - 1000.0 * pareto_mean(edge);
    within(
        "CVaR 10 %",
        decision.cvar10_npv,
        cvar,
        cvar.abs() * resolution,
    );
    assert!(decision.drivers.is_empty(), "no factor to blame");
}
