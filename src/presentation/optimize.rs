//! What `crmcast optimize` shows: the best subset within the budget, the frontier, the
//! ranking of the confirmed subsets and each mitigation's verdict, with the CSV rows.

use super::format::money;
use super::{Document, Section};
use crate::analysis::optimize::{
    Candidate, Comparison, Objective, Optimization, SearchMethod, Verdict,
};
use crate::analysis::report::Estimate;

/// A value of `objective`'s kind: money, or a percentage.
fn shown(objective: Objective, x: f64) -> String {
    if objective.is_money() {
        money(x)
    } else {
        format!("{:.1} %", 100.0 * x)
    }
}

fn with_interval(objective: Objective, e: &Estimate) -> String {
    format!(
        "{} [{}, {}]",
        shown(objective, e.value),
        shown(objective, e.low),
        shown(objective, e.high)
    )
}

/// A gain: signed money, or signed percentage points.
fn signed(objective: Objective, x: f64) -> String {
    let text = if objective.is_money() {
        money(x)
    } else {
        format!("{:.2} pt", 100.0 * x)
    };
    if x > 0.0 && !text.starts_with('-') {
        format!("+{text}")
    } else {
        text
    }
}

fn gain_interval(objective: Objective, e: &Estimate) -> String {
    format!(
        "{} [{}, {}]",
        signed(objective, e.value),
        signed(objective, e.low),
        signed(objective, e.high)
    )
}

fn subset(ids: &[String]) -> String {
    if ids.is_empty() {
        "none (buy nothing)".into()
    } else {
        ids.join(", ")
    }
}

fn comparison_text(objective: Objective, c: &Comparison) -> String {
    format!(
        "{} — {}",
        gain_interval(objective, &c.gain),
        if c.significant {
            "significantly better"
        } else {
            "not significantly better (within noise)"
        }
    )
}

pub fn document(r: &Optimization) -> Document {
    let o = r.objective;
    let best = &r.best;
    let mut rows = vec![
        vec!["mitigations".into(), subset(&best.mitigations)],
        vec![
            "expected spend".into(),
            format!(
                "{} of {} {}",
                money(best.spend),
                money(r.settings.budget),
                r.currency
            ),
        ],
        vec![
            format!("{} (objective)", o.label()),
            with_interval(o, &best.objective),
        ],
    ];
    if let (Some(runner), Some(c)) = (&r.runner_up, &r.best_versus_runner_up) {
        rows.push(vec![
            format!("gain over the runner-up ({})", subset(&runner.mitigations)),
            comparison_text(o, c),
        ]);
    }
    if let Some(c) = &r.best_versus_nothing {
        rows.push(vec![
            "gain over buying nothing".into(),
            comparison_text(o, c),
        ]);
    }
    for marginal in &r.best_marginal {
        rows.push(vec![
            format!("gain from {}", marginal.mitigation),
            format!(
                "{}{}",
                gain_interval(o, &marginal.gain),
                if marginal.significant {
                    ""
                } else {
                    " (within noise)"
                }
            ),
        ]);
    }
    for other in Objective::ALL.into_iter().filter(|&x| x != o) {
        rows.push(vec![
            other.label().into(),
            with_interval(other, &best.metrics.get(other)),
        ]);
    }
    let method = match r.method {
        SearchMethod::Exhaustive => format!("exhaustive: all {} subsets", money(r.subsets)),
        SearchMethod::Heuristic => format!(
            "heuristic (greedy paths and local search): {} of {} subsets",
            money(r.screened as f64),
            if r.subsets < 1e15 {
                money(r.subsets)
            } else {
                format!("{:.2e}", r.subsets)
            }
        ),
    };
    rows.push(vec![
        "search".into(),
        format!(
            "{method} ({} within the budget) on {} screening trials; {} confirmed on {} fresh trials",
            money(r.screened_within_budget as f64),
            money(r.settings.screening_trials as f64),
            r.confirmed,
            money(r.settings.confirm_trials as f64),
        ),
    ]);
    if let Some(s) = &r.screening_best {
        rows.push(vec![
            "best on the screening trials".into(),
            format!(
                "{} ({} on screening, {} confirmed)",
                subset(&s.mitigations),
                shown(o, s.screening.value),
                with_interval(o, &s.objective)
            ),
        ]);
    }
    let summary = Section {
        title: "Best set of mitigations within the budget".into(),
        header: ["item", "value"].map(String::from).to_vec(),
        rows,
    };
    let others: Vec<Objective> = Objective::ALL.into_iter().filter(|&x| x != o).collect();
    let mut header = vec![
        "point".to_string(),
        "spend".into(),
        format!("{} [95 % interval]", o.label()),
    ];
    header.extend(others.iter().map(|x| x.label().to_string()));
    header.extend(["in budget".to_string(), "mitigations".into()]);
    let frontier = Section {
        title: format!(
            "Efficient frontier: the best {} at or below each expected spend",
            o.label()
        ),
        header,
        rows: r
            .frontier
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let c = &p.candidate;
                let mut row = vec![
                    (k + 1).to_string(),
                    money(c.spend),
                    with_interval(o, &c.objective),
                ];
                row.extend(others.iter().map(|&x| shown(x, c.metrics.get(x).value)));
                row.push(if c.within_budget { "yes" } else { "no" }.into());
                row.push(subset(&c.mitigations));
                row
            })
            .collect(),
    };
    let ranking = Section {
        title: format!(
            "Ranking within the budget ({} best confirmed subsets)",
            r.ranking.len()
        ),
        header: vec![
            "rank".into(),
            format!("{} [95 % interval]", o.label()),
            "spend".into(),
            "mitigations".into(),
        ],
        rows: r
            .ranking
            .iter()
            .enumerate()
            .map(|(k, c)| {
                vec![
                    (k + 1).to_string(),
                    with_interval(o, &c.objective),
                    money(c.spend),
                    subset(&c.mitigations),
                ]
            })
            .collect(),
    };
    let never = if r.never_pay.is_empty() {
        "every mitigation pays somewhere on the frontier".to_string()
    } else {
        format!("never pay: {}", r.never_pay.join(", "))
    };
    let mitigations = Section {
        title: format!("Mitigations — {never}"),
        header: [
            "mitigation",
            "expected cost",
            "verdict",
            "evidence",
            "in best",
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .mitigations
            .iter()
            .map(|v| {
                let evidence = match (&v.gain, v.at_point) {
                    (Some(g), Some(k)) => {
                        format!("gain {} at frontier point {k}", gain_interval(o, g))
                    }
                    _ => "on no frontier point".into(),
                };
                vec![
                    v.id.clone(),
                    money(v.expected_cost),
                    match v.verdict {
                        Verdict::Pays => "pays",
                        Verdict::WithinNoise => "never pays (within noise)",
                        Verdict::NeverOnFrontier => "never pays (not on the frontier)",
                    }
                    .into(),
                    evidence,
                    if v.in_best { "yes" } else { "" }.into(),
                ]
            })
            .collect(),
    };
    let mut record = serde_json::to_value(r).unwrap_or(serde_json::Value::Null);
    if let Some(map) = record.as_object_mut() {
        map.insert("crmcast_version".into(), env!("CARGO_PKG_VERSION").into());
    }
    Document {
        title: format!(
            "crmcast optimize — {}: the best mitigations for at most {} {} of expected spend; objective {} ({}d); seed {}; [ ] are 95 % intervals on {} fresh trials",
            r.scenario,
            money(r.settings.budget),
            r.currency,
            o.label(),
            r.direction,
            r.settings.seed,
            money(r.settings.confirm_trials as f64),
        ),
        sections: vec![summary, frontier, ranking, mitigations],
        record,
        csv_header: [
            "section",
            "item",
            "mitigations",
            "spend",
            "within_budget",
            "metric",
            "value",
            "se",
            "low",
            "high",
            "objective",
            "note",
        ]
        .map(String::from)
        .to_vec(),
        csv_rows: csv_rows(r),
    }
}

/// One CSV row: `head` is section, item, mitigations, spend and within_budget.
fn estimate_row(
    head: [String; 5],
    metric: &str,
    e: &Estimate,
    objective: bool,
    note: String,
) -> Vec<String> {
    let mut row = head.to_vec();
    row.extend([
        metric.into(),
        e.value.to_string(),
        e.se.to_string(),
        e.low.to_string(),
        e.high.to_string(),
        objective.to_string(),
        note,
    ]);
    row
}

/// The tidy CSV: one row per (section, item, metric); documented in docs/OPTIMIZE.md §7.
fn csv_rows(r: &Optimization) -> Vec<Vec<String>> {
    let o = r.objective;
    let mut rows = Vec::new();
    let mut candidate = |section: &str, item: String, c: &Candidate| {
        for metric in Objective::ALL {
            rows.push(estimate_row(
                [
                    section.into(),
                    item.clone(),
                    c.mitigations.join("+"),
                    c.spend.to_string(),
                    c.within_budget.to_string(),
                ],
                metric.id(),
                &c.metrics.get(metric),
                metric == o,
                String::new(),
            ));
        }
    };
    candidate("best", "1".into(), &r.best);
    if let Some(c) = &r.runner_up {
        candidate("runner_up", "2".into(), c);
    }
    for (k, p) in r.frontier.iter().enumerate() {
        candidate("frontier", (k + 1).to_string(), &p.candidate);
    }
    for (k, c) in r.ranking.iter().enumerate() {
        candidate("ranking", (k + 1).to_string(), c);
    }
    let significance = |s: bool| if s { "significant" } else { "within_noise" }.to_string();
    for (item, c) in [
        ("best_vs_runner_up", &r.best_versus_runner_up),
        ("best_vs_nothing", &r.best_versus_nothing),
    ] {
        if let Some(c) = c {
            rows.push(estimate_row(
                [
                    "difference".into(),
                    item.into(),
                    c.against.join("+"),
                    String::new(),
                    String::new(),
                ],
                o.id(),
                &c.gain,
                true,
                significance(c.significant),
            ));
        }
    }
    for (k, p) in r.frontier.iter().enumerate() {
        for m in &p.marginal {
            rows.push(estimate_row(
                [
                    "marginal".into(),
                    (k + 1).to_string(),
                    m.mitigation.clone(),
                    p.candidate.spend.to_string(),
                    p.candidate.within_budget.to_string(),
                ],
                o.id(),
                &m.gain,
                true,
                significance(m.significant),
            ));
        }
    }
    for v in &r.mitigations {
        let empty = Estimate {
            value: f64::NAN,
            se: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
        };
        let mut row = estimate_row(
            [
                "mitigation".into(),
                v.at_point.map(|k| k.to_string()).unwrap_or_default(),
                v.id.clone(),
                v.expected_cost.to_string(),
                String::new(),
            ],
            o.id(),
            v.gain.as_ref().unwrap_or(&empty),
            true,
            format!(
                "{}{}",
                match v.verdict {
                    Verdict::Pays => "pays",
                    Verdict::WithinNoise => "within_noise",
                    Verdict::NeverOnFrontier => "never_on_frontier",
                },
                if v.in_best { ";in_best" } else { "" },
            ),
        );
        if v.gain.is_none() {
            for cell in &mut row[6..10] {
                cell.clear();
            }
        }
        rows.push(row);
    }
    rows
}
