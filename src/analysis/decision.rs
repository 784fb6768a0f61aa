//! The executive's one screen: invest or not at the scenario's hurdle rate, the recommended
//! strategy, the expected NPV, the chance of a loss, the mean of the worst 10 % (CVaR), the P80
//! budget (the contingency to hold) and the factors that matter most — in plain words.
//!
//! Definitions (docs/MODEL.md §10a):
//! - the recommended strategy is the one with the highest expected NPV (mitigation costs
//!   included); ties go to the lower P(NPV < 0);
//! - the hurdle rate is the scenario's discount rate: NPV > 0 means the project clears it;
//! - the verdict is "invest" when the recommended strategy's 95 % interval of the expected NPV
//!   lies above 0, "do not invest" when it lies below, and "too close to call" otherwise;
//! - CVaR 10 % is the mean NPV of the worst 10 % of trials;
//! - the P80 budget is budget × (1 + P80 of the total outlay against the plan) of the
//!   recommended strategy: the project's cost and its mitigations together, so that buying
//!   mitigations never makes the budget to hold look smaller than it is;
//! - the factors that matter most are the three most frequent primary causes of missed
//!   objectives under the recommended strategy (MODEL.md §9);
//! - when the recommended strategy is not significantly better than a cheaper one (less
//!   expected spend on mitigations) by the test `optimize` uses ([`super::significance`]: the
//!   paired gain's 95 % interval on the same trials lies above zero), the summary says so and
//!   names the cheapest such strategy.

use super::amount::money;
use super::report::{Estimate, StrategyReport};
use crate::engine::SimulationResult;
use crate::scenario::Scenario;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Driver {
    pub factor: String,
    pub name: String,
    /// Share of the strategy's missed objectives whose primary cause it was.
    pub share_of_missed: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionSummary {
    pub hurdle_rate: f64,
    /// `invest`, `do not invest` or `too close to call`.
    pub verdict: &'static str,
    pub recommended: String,
    pub recommended_name: String,
    // The record's ids are the metric ids every command uses (`npv_mean`, …, issue #14).
    #[serde(rename = "npv_mean")]
    pub expected_npv: Estimate,
    pub p_npv_negative: Estimate,
    /// Mean NPV of the worst 10 % of trials.
    #[serde(rename = "npv_cvar10")]
    pub cvar10_npv: Estimate,
    /// Budget × (1 + P80 of the total outlay against the plan): project cost and mitigations.
    #[serde(rename = "budget_p80")]
    pub p80_budget: Estimate,
    /// `budget_p80 − budget`: the contingency to hold over the plan.
    pub contingency: f64,
    /// Budget × (1 + P80 overrun): the project's cost alone, mitigations left out.
    #[serde(rename = "project_cost_p80")]
    pub p80_project_cost: f64,
    pub drivers: Vec<Driver>,
    /// The cheapest strategy the recommended one is not significantly better than, if any.
    pub cheaper_within_noise: Option<CheaperAlternative>,
    /// The summary in plain sentences (what the table and Markdown show).
    pub sentences: Vec<String>,
}

/// A cheaper strategy the recommended one does not significantly beat.
#[derive(Debug, Clone, Serialize)]
pub struct CheaperAlternative {
    pub id: String,
    pub name: String,
    /// Expected spend on mitigations saved by choosing it instead, in the scenario's currency.
    pub saving: f64,
    /// The recommended strategy's expected NPV minus this one's, paired on the same trials.
    pub npv_gain: Estimate,
}

/// Expected spend on the mitigations of strategy `index` (as `optimize` counts spend).
pub fn strategy_spend(scenario: &Scenario, index: usize) -> f64 {
    scenario.strategies[index]
        .mitigations
        .iter()
        .map(|&m| scenario.mitigations[m].cost.mean())
        .sum()
}

/// The cheapest strategy that `best` is not significantly better than in expected NPV, by the
/// shared test of [`super::significance`]; `None` when `best` beats every cheaper one (or the
/// run kept no paired NPV differences).
fn cheaper_within_noise(
    scenario: &Scenario,
    result: &SimulationResult,
    best: usize,
) -> Option<CheaperAlternative> {
    let versus = &result.strategies[best].npv_versus;
    let spend_of_best = strategy_spend(scenario, best);
    (0..scenario.strategies.len())
        .filter(|&s| s != best && s < versus.len())
        .map(|s| (s, strategy_spend(scenario, s)))
        .filter(|&(_, spend)| spend < spend_of_best)
        .map(|(s, spend)| {
            let gain = super::significance::paired_gain(&versus[s], scenario.project.budget);
            (s, spend, gain)
        })
        .filter(|(_, _, gain)| !super::significance::significantly_better(gain))
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
        .map(|(s, spend, gain)| CheaperAlternative {
            id: scenario.strategies[s].id.clone(),
            name: scenario.strategies[s].name.clone(),
            saving: spend_of_best - spend,
            npv_gain: gain,
        })
}

fn metric(s: &StrategyReport, id: &str) -> Estimate {
    s.metric(id).copied().unwrap_or(Estimate {
        value: f64::NAN,
        se: f64::NAN,
        low: f64::NAN,
        high: f64::NAN,
    })
}

pub fn summarise(
    scenario: &Scenario,
    result: &SimulationResult,
    strategies: &[StrategyReport],
    outside: Option<&super::outside_view::OutsideViewReport>,
) -> DecisionSummary {
    let best = (0..strategies.len())
        .max_by(|&a, &b| {
            let (na, nb) = (
                metric(&strategies[a], "npv_mean").value,
                metric(&strategies[b], "npv_mean").value,
            );
            na.total_cmp(&nb).then(
                metric(&strategies[b], "p_npv_negative")
                    .value
                    .total_cmp(&metric(&strategies[a], "p_npv_negative").value),
            )
        })
        .unwrap_or(scenario.baseline);
    let chosen = &strategies[best];
    let budget = scenario.project.budget;
    let expected_npv = metric(chosen, "npv_mean");
    let p_npv_negative = metric(chosen, "p_npv_negative");
    let (tail_mean, tail_se) = result.strategies[best].npv_per_budget.lower_tail_mean(0.1);
    let cvar10_npv = Estimate::normal(tail_mean * budget, tail_se * budget);
    let overrun_p80 = metric(chosen, "overrun_p80");
    let mut outlay_p80 = metric(chosen, "outlay_p80");
    // With an outside view, the project's cost at P80 is the blend's (MODEL.md §10b) and the
    // mitigations' mean spend comes on top; the interval is the inside view's, shifted.
    let blended = outside.and_then(|o| {
        o.rows
            .iter()
            .find(|r| r.strategy == chosen.id && r.level == 0.8)
            .map(|r| (r.blended, o.weight))
    });
    let mut project_p80 = overrun_p80.value;
    if let Some((p80, _)) = blended {
        let mitigation_spend =
            metric(chosen, "outlay_mean").value - metric(chosen, "overrun_mean").value;
        let value = p80 + mitigation_spend;
        let shift = value - outlay_p80.value;
        outlay_p80 = Estimate {
            value,
            se: outlay_p80.se,
            low: outlay_p80.low + shift,
            high: outlay_p80.high + shift,
        };
        project_p80 = p80;
    }
    let p80_budget = Estimate {
        value: budget * (1.0 + outlay_p80.value),
        se: budget * outlay_p80.se,
        low: budget * (1.0 + outlay_p80.low),
        high: budget * (1.0 + outlay_p80.high),
    };
    let missed = chosen.causes.missed_objectives.max(1) as f64;
    let mut drivers: Vec<Driver> = chosen
        .causes
        .by_factor
        .iter()
        .map(|f| Driver {
            factor: f.id.clone(),
            name: f.name.clone(),
            share_of_missed: f.count as f64 / missed,
        })
        .collect();
    drivers.retain(|d| d.share_of_missed > 0.0);
    drivers.sort_by(|a, b| b.share_of_missed.total_cmp(&a.share_of_missed));
    drivers.truncate(3);
    let verdict = if expected_npv.low > 0.0 {
        "invest"
    } else if expected_npv.high < 0.0 {
        "do not invest"
    } else {
        "too close to call"
    };
    let currency = &scenario.project.currency;
    let amount = |x: f64| format!("{currency} {}", money(x));
    let rate = 100.0 * scenario.project.discount_rate;
    let mut sentences = vec![match verdict {
        "invest" => format!(
            "Invest, with strategy \"{}\": its expected NPV is {} (95 % interval {} to {}) at the {rate:.1} % hurdle rate.",
            chosen.id,
            amount(expected_npv.value),
            amount(expected_npv.low),
            amount(expected_npv.high)
        ),
        "do not invest" => format!(
            "Do not invest: even the best strategy, \"{}\", has an expected NPV of {} (95 % interval {} to {}) at the {rate:.1} % hurdle rate.",
            chosen.id,
            amount(expected_npv.value),
            amount(expected_npv.low),
            amount(expected_npv.high)
        ),
        _ => format!(
            "Too close to call: the best strategy, \"{}\", has an expected NPV of {} whose 95 % interval ({} to {}) straddles zero at the {rate:.1} % hurdle rate.",
            chosen.id,
            amount(expected_npv.value),
            amount(expected_npv.low),
            amount(expected_npv.high)
        ),
    }];
    sentences.push(format!(
        "The chance of losing money (NPV < 0) is {:.0} %; in the worst 10 % of outcomes the NPV averages {} (CVaR 10 %).",
        100.0 * p_npv_negative.value,
        amount(cvar10_npv.value)
    ));
    let cheaper = cheaper_within_noise(scenario, result, best);
    if let Some(c) = &cheaper {
        sentences.push(format!(
            "\"{}\" is not significantly better than the cheaper \"{}\": its expected NPV is higher by {} (95 % interval {} to {}, on the same trials), within noise, and \"{}\" spends {} less on mitigations.",
            chosen.id,
            c.id,
            amount(c.npv_gain.value),
            amount(c.npv_gain.low),
            amount(c.npv_gain.high),
            c.id,
            amount(c.saving)
        ));
    }
    let mitigated = !chosen.mitigations.is_empty();
    sentences.push(format!(
        "Hold a budget of {} to be 80 % sure of covering the {} (P80{}): a contingency of {} ({:+.0} %) over the {} plan{}.",
        amount(p80_budget.value),
        if mitigated {
            "total outlay, the project and its mitigations"
        } else {
            "project's cost"
        },
        blended.map_or(String::new(), |(_, w)| format!(
            ", blending in the outside view at weight {w:.2}"
        )),
        amount(p80_budget.value - budget),
        100.0 * outlay_p80.value,
        amount(budget),
        if mitigated {
            format!(
                "; the project alone needs {} at P80",
                amount(budget * (1.0 + project_p80))
            )
        } else {
            String::new()
        }
    ));
    if !drivers.is_empty() {
        let list: Vec<String> = drivers
            .iter()
            .map(|d| format!("{} ({:.0} % of misses)", d.name, 100.0 * d.share_of_missed))
            .collect();
        sentences.push(format!("What matters most: {}.", list.join("; ")));
    }
    if let (false, Some(gain), Some(beats)) = (
        chosen.baseline,
        chosen.difference("npv_mean"),
        chosen.p_beats_baseline,
    ) {
        sentences.push(format!(
            "Against \"{}\" it gains {} in expected NPV and does better in {:.0} % of trials.",
            scenario.baseline_strategy().id,
            amount(gain.value),
            100.0 * beats.value
        ));
    }
    DecisionSummary {
        hurdle_rate: scenario.project.discount_rate,
        verdict,
        recommended: chosen.id.clone(),
        recommended_name: chosen.name.clone(),
        expected_npv,
        p_npv_negative,
        cvar10_npv,
        p80_budget,
        contingency: p80_budget.value - budget,
        p80_project_cost: budget * (1.0 + project_p80),
        drivers,
        cheaper_within_noise: cheaper,
        sentences,
    }
}
