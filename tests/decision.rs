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

/// Three strategies: the base, `fixed` (removes the factor for 100) and `polished` (also buys a
/// mitigation that lowers a second factor's probability a little, for about what it is
/// worth). `polished` has the highest mean NPV on these trials, but not significantly above
/// the cheaper `fixed`.
fn within_noise_scenario() -> Scenario {
    let second = "probability = 0.5\nseverity = { kind = \"fixed\", value = 1.0 }\nimpact = { benefit = 0.0, cost = 0.5, schedule = 0.0, runaway = 0.0 }";
    let extra = "[[mitigations]]\nid = \"fix\"\ncost = { value = 100.0 }\n[[mitigations.effects]]\nfactor = \"poor_data_quality\"\nprobability = 0.0\n[[mitigations]]\nid = \"polish\"\ncost = { value = 6.4 }\n[[mitigations.effects]]\nfactor = \"insufficient_training\"\nprobability = 0.98\n[[strategies]]\nid = \"base\"\nbaseline = true\n[[strategies]]\nid = \"fixed\"\nmitigations = [\"fix\"]\n[[strategies]]\nid = \"polished\"\nmitigations = [\"fix\", \"polish\"]\n";
    controlled(
        &[
            ("poor_data_quality", FACTOR),
            ("insufficient_training", second),
        ],
        extra,
    )
}

fn run_settings() -> RunSettings {
    RunSettings {
        trials: 40_000,
        seed: 3,
        threads: 2,
        ..RunSettings::default()
    }
}

/// The issue's disagreement: the summary recommended a strategy that `optimize` called "not
/// significantly better" than a cheaper one. Now the summary says so, and its test is
/// optimize's: the same paired gain, on the same trials, gives the same verdict.
#[test]
fn the_summary_names_a_cheaper_strategy_within_noise_as_optimize_would() {
    use crmcast::analysis::optimize::evaluate::{Evaluator, Series, Trials};
    use crmcast::analysis::optimize::{OptimizeObserver, stats};
    use crmcast::analysis::significance::significantly_better;
    struct Silent;
    impl OptimizeObserver for Silent {}
    let scenario = within_noise_scenario();
    let settings = run_settings();
    let result = simulate(&scenario, &settings, &NoObserver).expect("run");
    let decision = Report::build(&scenario, &result).decision;
    assert_eq!(decision.recommended, "polished");
    let cheaper = decision
        .cheaper_within_noise
        .as_ref()
        .expect("polished is within noise of fixed");
    assert_eq!(cheaper.id, "fixed");
    assert!((cheaper.saving - 6.4).abs() < 1e-9, "{cheaper:?}");
    assert!(
        decision
            .sentences
            .iter()
            .any(|s| s
                .contains("\"polished\" is not significantly better than the cheaper \"fixed\"")),
        "{:?}",
        decision.sentences
    );
    // optimize's paired gain of {fix, polish} over {fix} on the run's trials.
    let evaluator = Evaluator::new(&scenario, false, settings.seed, 2, &Silent);
    let gains = evaluator
        .paired(
            &[(0b11, vec![0b01])],
            Trials {
                first_batch: 0,
                trials: settings.trials,
            },
            Series::ALL,
            |a, b| stats::paired_mean(&a.npv, &b.npv),
        )
        .expect("paired");
    let optimize_gain = gains[0][0];
    for (mine, theirs) in [
        (cheaper.npv_gain.value, optimize_gain.value),
        (cheaper.npv_gain.low, optimize_gain.low),
        (cheaper.npv_gain.high, optimize_gain.high),
    ] {
        // The run keeps its sums in fixed point (2⁻²⁴ of a budget per trial, MODEL.md §10).
        assert!(
            (mine - theirs).abs() < 1000.0 * 2f64.powi(-24),
            "{cheaper:?} vs {optimize_gain:?}"
        );
    }
    assert!(!significantly_better(&optimize_gain));
    assert!(cheaper.npv_gain.value > 0.0 && cheaper.npv_gain.low < 0.0);
}

/// With a clear winner nothing is said: `fixed` beats the base by about 224 per project.
#[test]
fn a_significant_winner_has_no_cheaper_alternative() {
    let strategies = "[[mitigations]]\nid = \"fix\"\ncost = { value = 100.0 }\n[[mitigations.effects]]\nfactor = \"poor_data_quality\"\nprobability = 0.0\n[[strategies]]\nid = \"base\"\nbaseline = true\n[[strategies]]\nid = \"fixed\"\nmitigations = [\"fix\"]\n";
    let decision = report(strategies).decision;
    assert_eq!(decision.recommended, "fixed");
    assert!(decision.cheaper_within_noise.is_none());
    assert!(
        !decision
            .sentences
            .iter()
            .any(|s| s.contains("not significantly"))
    );
}

/// The report's frontier is confirmed on the run's own trials: each strategy on the frontier
/// shows the strategy table's estimate exactly (and optimize's own value of that subset agrees
/// to the rounding of the sums), and no strategy sits above the frontier beyond its interval.
#[test]
fn the_frontier_and_the_strategy_table_agree() {
    use crmcast::analysis::optimize::{self, OptimizeObserver};
    use crmcast::analysis::presentation::{self, Extras};
    struct Silent;
    impl OptimizeObserver for Silent {}
    let scenario = within_noise_scenario();
    let settings = run_settings();
    let result = simulate(&scenario, &settings, &NoObserver).expect("run");
    let report = Report::build(&scenario, &result);
    let frontier_settings = optimize::frontier_settings(&scenario, &settings, &result);
    assert!(frontier_settings.confirm_on_run_trials);
    let optimization =
        optimize::optimize(&scenario, &frontier_settings, &Silent).expect("optimize");
    let table: Vec<f64> = report
        .strategies
        .iter()
        .map(|s| s.metric("npv_mean").expect("npv_mean").value)
        .collect();
    let mask = |i: usize| {
        scenario.strategies[i]
            .mitigations
            .iter()
            .fold(0u64, |m, &k| m | 1 << k)
    };
    let mut on_frontier = 0;
    for point in &optimization.frontier {
        if let Some(i) = (0..table.len()).find(|&i| mask(i) == point.candidate.mask) {
            let own = point.candidate.objective.value;
            assert!(
                (own - table[i]).abs() < 1e-6 * table[i].abs().max(1.0),
                "{own} vs {}",
                table[i]
            );
            on_frontier += 1;
        }
    }
    assert!(on_frontier >= 1, "no strategy on the frontier");
    let sample: Vec<Vec<crmcast::engine::trial::Outcome>> = vec![Vec::new(); table.len()];
    let shown = presentation::build(
        &scenario,
        &result,
        report,
        Extras {
            optimization: Some(&optimization),
            ..Extras::without_analyses(&sample)
        },
    );
    let chart = shown.frontier.expect("a frontier");
    for (i, strategy) in chart.strategies.iter().enumerate() {
        assert_eq!(strategy.value.value, table[i], "{}", strategy.name);
        if let Some(point) = chart.points.iter().find(|p| {
            (p.spend - strategy.spend).abs() < 1e-9
                && p.mitigations.len() == scenario.strategies[i].mitigations.len()
        }) {
            assert_eq!(point.value, strategy.value, "{}", strategy.name);
        }
        // The best the frontier reaches at this spend or less.
        let reach = chart
            .points
            .iter()
            .filter(|p| p.spend <= strategy.spend + 1e-9)
            .map(|p| p.value.value)
            .fold(f64::NEG_INFINITY, f64::max);
        let half_width = strategy.value.value - strategy.value.low;
        assert!(
            strategy.value.value <= reach + half_width,
            "{} above the frontier: {} > {reach}",
            strategy.name,
            strategy.value.value
        );
    }
}

/// The binned quantiles: two strategies printed the same NPV P50 and interval (a bucket
/// midpoint). Read inside their buckets, the strategies of a shipped scenario, whose
/// distributions differ, print different quantiles and intervals.
#[test]
fn strategies_with_different_distributions_print_different_quantiles() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/retail_chain.toml");
    let scenario = Scenario::load(&path).expect("shipped scenario");
    let result = simulate(&scenario, &run_settings(), &NoObserver).expect("run");
    let report = Report::build(&scenario, &result);
    for id in ["npv_p50", "npv_p10", "overrun_p80", "roi_p50"] {
        let shown: Vec<_> = report
            .strategies
            .iter()
            .map(|s| *s.metric(id).expect("metric"))
            .collect();
        for (i, a) in shown.iter().enumerate() {
            for b in &shown[i + 1..] {
                assert!(
                    a.value != b.value && (a.low, a.high) != (b.low, b.high),
                    "{id}: {a:?} and {b:?}"
                );
            }
        }
    }
}
