//! What `crmcast sensitivity` shows: first one ranked "what drives the outcome" summary and the
//! sentences on where the measures disagree and why, generated from the study's numbers; then the
//! tornado, rank correlations, Sobol indices, Shapley effects and the worst-10 % tail. An estimate
//! whose 95 % interval covers 0 is shown as that interval, "not distinguishable from 0", never as
//! a bare negative share.

use crate::analysis::report::Unit;
use crate::analysis::sensitivity::study::{OutputMetric, SensitivityStudy};
use crate::analysis::sensitivity::summary::{Disagreement, Driver, Measure, Summary};
use crate::presentation::Document;
use crate::presentation::Section;
use crate::presentation::format::value;

/// The unit an output metric is shown in.
pub fn unit(metric: OutputMetric) -> Unit {
    match metric {
        OutputMetric::Npv => Unit::Money,
        OutputMetric::PSuccess | OutputMetric::PFailed | OutputMetric::PNpvNegative => {
            Unit::Probability
        }
        _ => Unit::Fraction,
    }
}

/// An estimate, or its interval when the interval covers 0 (a sign the data cannot tell).
pub fn estimate_or_interval(
    estimate: f64,
    low: f64,
    high: f64,
    shown: &dyn Fn(f64) -> String,
) -> String {
    if low <= 0.0 && high >= 0.0 {
        format!(
            "{} to {} (not distinguishable from 0)",
            shown(low),
            shown(high)
        )
    } else {
        shown(estimate)
    }
}

fn index(x: f64) -> String {
    format!("{x:.3}")
}

/// A measure as a reader names it, in a column header or a sentence.
pub fn measure_name(measure: Measure) -> &'static str {
    match measure {
        Measure::Shapley => "Shapley effect",
        Measure::SobolTotal => "total Sobol index",
        Measure::Tornado => "tornado swing",
        Measure::RankCorrelation => "rank correlation",
        Measure::Tail => "worst-10 % lift",
    }
}

fn measure_column(measure: Measure) -> &'static str {
    match measure {
        Measure::Shapley => "# Shapley",
        Measure::SobolTotal => "# Sobol total",
        Measure::Tornado => "# tornado",
        Measure::RankCorrelation => "# rank corr.",
        Measure::Tail => "# worst 10 %",
    }
}

fn percent(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

/// The summary table: one row per input in rank order, its ranking estimate (or interval) and
/// its rank by every other measure.
fn summary_section(study: &SensitivityStudy, summary: &Summary) -> Section {
    let u = unit(study.settings.metric);
    let shown = |x: f64| match summary.measure {
        Measure::Tornado => value(u, x),
        _ => index(x),
    };
    let others: Vec<Measure> = summary
        .drivers
        .first()
        .map(|d| d.ranks.iter().map(|r| r.0).collect())
        .unwrap_or_default();
    let mut header = vec![
        "rank".to_string(),
        "input".into(),
        format!(
            "{} (95 % interval if it covers 0)",
            measure_name(summary.measure)
        ),
    ];
    header.extend(
        others
            .iter()
            .filter(|m| **m != summary.measure)
            .map(|m| measure_column(*m).to_string()),
    );
    let rows = summary
        .drivers
        .iter()
        .enumerate()
        .map(|(place, d)| {
            let mut row = vec![
                (place + 1).to_string(),
                d.input.clone(),
                estimate_or_interval(d.estimate, d.low, d.high, &shown),
            ];
            row.extend(
                d.ranks
                    .iter()
                    .filter(|r| r.0 != summary.measure)
                    .map(|r| r.1.map_or("–".into(), |r| r.to_string())),
            );
            row
        })
        .collect();
    Section {
        title: format!(
            "What drives the outcome: {} of strategy \"{}\", inputs ranked by their {} (equal printed values ordered by the tornado's swing, then by |rank correlation|); the other columns give each input's rank by the other measures",
            study.metric_label,
            study.strategy_id,
            measure_name(summary.measure)
        ),
        header,
        rows,
    }
}

/// The sentences on how to read the measures together, from the numbers.
pub fn reading(study: &SensitivityStudy, summary: &Summary) -> Vec<String> {
    let mut sentences = Vec::new();
    let driver = |name: &str| summary.drivers.iter().find(|d| d.input == name);
    let top: Vec<&str> = summary
        .drivers
        .iter()
        .take(3)
        .map(|d| d.input.as_str())
        .collect();
    sentences.push(format!(
        "The ranking is by the {}: {}. The first three are {}.",
        measure_name(summary.measure),
        match summary.measure {
            Measure::Shapley | Measure::SobolTotal =>
                "each input's share of the variation of the output across trials (contribution: how likely × how large)",
            _ => "the change of the output between an input's two settings (event level)",
        },
        top.join(", ")
    ));
    if summary.disagreements.is_empty() {
        sentences.push(format!(
            "The measures agree: no input some measure puts in its top five is more than {} places apart between measures.",
            crate::analysis::sensitivity::summary::MIN_GAP - 1
        ));
    }
    for d in &summary.disagreements {
        if let Some(driver) = driver(&d.input) {
            sentences.push(disagreement(study, d, driver));
        }
    }
    let unclear: Vec<&str> = summary
        .drivers
        .iter()
        .filter(|d| d.low <= 0.0 && d.high >= 0.0)
        .map(|d| d.input.as_str())
        .collect();
    if !unclear.is_empty() {
        sentences.push(format!(
            "{} of {} inputs have a {} whose 95 % interval covers 0: the study cannot tell them from inputs with no effect, and their order among themselves is noise.",
            unclear.len(),
            summary.drivers.len(),
            measure_name(summary.measure)
        ));
    }
    sentences
}

/// One disagreement, and why the two measures differ for this input.
fn disagreement(study: &SensitivityStudy, d: &Disagreement, driver: &Driver) -> String {
    let higher = d.rank < d.summary_rank;
    let lead = format!(
        "{} is #{} by the {} but #{} in this ranking",
        d.input,
        d.rank,
        measure_name(d.measure),
        d.summary_rank
    );
    let share = driver.strike_share.map(percent);
    let lift = study
        .tail
        .iter()
        .find(|t| t.factor == d.input)
        .map(|t| t.lift);
    let why = match (d.measure, driver.kind == "factor", higher) {
        (Measure::Tornado, true, true) => format!(
            "event level versus contribution: the tornado sets the factor ruled out and certain whatever its likelihood, and it strikes in only {} of trials, so it adds little to the variation across trials",
            share.unwrap_or_default()
        ),
        (Measure::Tornado, true, false) => format!(
            "event level versus contribution: its impact when it strikes is moderate, but it strikes in {} of trials, so it adds much of the variation across trials",
            share.unwrap_or_default()
        ),
        (Measure::Tornado, false, true) => "event level versus contribution: the tornado moves it between its P10 and P90, while its share of the variation also counts how it combines with the other inputs".into(),
        (Measure::Tornado, false, false) => "event level versus contribution: the tornado holds it at its P10 and P90 only, and its effect sits in the extremes of its range beyond them".into(),
        (Measure::Tail, true, false) => format!(
            "tail versus mean: it strikes in {} of all trials, so it cannot be much more frequent in the worst 10 % (lift {:.2}×, at most {:.1}×); it moves the typical outcome, not the tail",
            share.unwrap_or_default(),
            lift.unwrap_or(f64::NAN),
            driver.strike_share.map_or(f64::NAN, |s| 1.0 / s.max(0.1))
        ),
        (Measure::Tail, true, true) => format!(
            "tail versus mean: it strikes in only {} of trials but is {:.2}× as frequent in the worst 10 %: a tail risk more than a driver of the typical outcome",
            share.unwrap_or_default(),
            lift.unwrap_or(f64::NAN)
        ),
        (Measure::RankCorrelation, _, true) => "rank correlation counts a monotone association alone, part of which it shares with correlated inputs; the ranking shares that part out".into(),
        (Measure::RankCorrelation, _, false) => "its effect is not monotone or acts with other inputs, which rank correlation misses and the ranking counts".into(),
        (Measure::SobolTotal, _, _) => "the Sobol index is of its independent part only: with correlated factors it moves variance between them, and the ranking's Shapley effect shares it out".into(),
        _ => "the two measures answer different questions".into(),
    };
    format!("{lead} — {why}.")
}

pub fn document(study: &SensitivityStudy, scenario_name: &str) -> Document {
    let u = unit(study.settings.metric);
    let shown = |x: f64| value(u, x);
    let mut sections = Vec::new();
    if let Some(summary) = &study.summary {
        sections.push(summary_section(study, summary));
        sections.push(Section {
            title: "How to read the measures together".into(),
            header: vec!["reading".into()],
            rows: reading(study, summary)
                .into_iter()
                .map(|s| vec![s])
                .collect(),
        });
    }
    sections.push(Section {
        title: format!(
            "Tornado: {} when each factor is ruled out / certain, and each continuous input at its P10 / P90 (base {})",
            study.metric_label,
            shown(study.base)
        ),
        header: ["input", "kind", "low", "high", "swing"]
            .map(String::from)
            .to_vec(),
        rows: study
            .tornado
            .iter()
            .map(|b| {
                let half = crate::analysis::sensitivity::NORMAL_95 * b.standard_error;
                vec![
                    b.input.clone(),
                    if b.kind == "factor" {
                        "ruled out / certain"
                    } else {
                        "P10 / P90"
                    }
                    .into(),
                    shown(b.low),
                    shown(b.high),
                    estimate_or_interval(b.swing, b.swing - half, b.swing + half, &shown),
                ]
            })
            .collect(),
    });
    sections.push(Section {
        title: "Rank correlation with the output (Spearman) and contribution to variance (ρ²/Σρ²)"
            .into(),
        header: ["input", "rank correlation", "contribution to variance"]
            .map(String::from)
            .to_vec(),
        rows: study
            .correlations
            .iter()
            .map(|c| {
                vec![
                    c.input.clone(),
                    estimate_or_interval(c.spearman, c.low, c.high, &|x| format!("{x:+.3}")),
                    format!("{:+.1} %", 100.0 * c.contribution_to_variance),
                ]
            })
            .collect(),
    });
    if let Some(sobol) = &study.sobol {
        let mut rows: Vec<(f64, Vec<String>)> = sobol
            .first_order
            .iter()
            .zip(&sobol.total)
            .map(|(s, t)| {
                (
                    t.estimate,
                    vec![
                        s.name.clone(),
                        estimate_or_interval(s.estimate, s.low, s.high, &index),
                        format!("[{}, {}]", index(s.low), index(s.high)),
                        estimate_or_interval(t.estimate, t.low, t.high, &index),
                        format!("[{}, {}]", index(t.low), index(t.high)),
                    ],
                )
            })
            .collect();
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        sections.push(Section {
            title: format!(
                "Sobol indices of the independent inputs, on the output's rank (Saltelli/Jansen, {} base rows, {} trials; bootstrap 95 % intervals)",
                sobol.samples, sobol.evaluations
            ),
            header: ["input", "first order", "95 % interval", "total", "95 % interval"]
                .map(String::from)
                .to_vec(),
            rows: rows.into_iter().map(|r| r.1).collect(),
        });
    }
    if let Some(shapley) = &study.shapley {
        let mut effects = shapley.effects.clone();
        effects.sort_by(|a, b| b.estimate.total_cmp(&a.estimate));
        sections.push(Section {
            title: format!(
                "Shapley effects: shares of the variance of the output's rank, valid with correlated factors ({} permutations, {} trials)",
                shapley.permutations, shapley.evaluations
            ),
            header: ["input", "effect", "95 % interval"].map(String::from).to_vec(),
            rows: effects
                .iter()
                .map(|e| {
                    vec![
                        e.name.clone(),
                        estimate_or_interval(e.estimate, e.low, e.high, &index),
                        format!("[{}, {}]", index(e.low), index(e.high)),
                    ]
                })
                .collect(),
        });
    }
    sections.push(Section {
        title:
            "Tail: how often each factor strikes in the worst 10 % of trials, against all trials"
                .into(),
        header: ["factor", "all trials", "worst 10 %", "lift", "z"]
            .map(String::from)
            .to_vec(),
        rows: study
            .tail
            .iter()
            .map(|t| {
                vec![
                    t.factor.clone(),
                    percent(t.share_all),
                    percent(t.share_worst),
                    format!("{:.2}×", t.lift),
                    format!(
                        "{:+.1}",
                        (t.share_worst - t.share_all) / t.standard_error.max(1e-12)
                    ),
                ]
            })
            .collect(),
    });
    Document {
        title: format!(
            "crmcast sensitivity — {scenario_name} — {} of strategy \"{}\"; {} trials, seed {}",
            study.metric_label, study.strategy_id, study.settings.trials, study.settings.seed
        ),
        sections,
        record: serde_json::to_value(study).unwrap_or(serde_json::Value::Null),
        csv_header: ["analysis", "input", "measure", "value", "low", "high"]
            .map(String::from)
            .to_vec(),
        csv_rows: csv_rows(study),
    }
}

fn csv_rows(study: &SensitivityStudy) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    if let Some(summary) = &study.summary {
        let measure = serde_json::to_value(summary.measure)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        for (place, d) in summary.drivers.iter().enumerate() {
            rows.push(row("summary", &d.input, "rank", (place + 1) as f64, None));
            rows.push(row(
                "summary",
                &d.input,
                &measure,
                d.estimate,
                Some((d.low, d.high)),
            ));
        }
    }
    for b in &study.tornado {
        let half = crate::analysis::sensitivity::NORMAL_95 * b.standard_error;
        rows.push(row("tornado", &b.input, "low", b.low, None));
        rows.push(row("tornado", &b.input, "high", b.high, None));
        rows.push(row(
            "tornado",
            &b.input,
            "swing",
            b.swing,
            Some((b.swing - half, b.swing + half)),
        ));
    }
    for c in &study.correlations {
        rows.push(row(
            "spearman",
            &c.input,
            "rho",
            c.spearman,
            Some((c.low, c.high)),
        ));
        rows.push(row(
            "contribution",
            &c.input,
            "share",
            c.contribution_to_variance,
            None,
        ));
    }
    if let Some(sobol) = &study.sobol {
        for (analysis, indices) in [
            ("sobol_first", &sobol.first_order),
            ("sobol_total", &sobol.total),
        ] {
            for s in indices {
                rows.push(row(
                    analysis,
                    &s.name,
                    "index",
                    s.estimate,
                    Some((s.low, s.high)),
                ));
            }
        }
    }
    if let Some(shapley) = &study.shapley {
        for e in &shapley.effects {
            rows.push(row(
                "shapley",
                &e.name,
                "effect",
                e.estimate,
                Some((e.low, e.high)),
            ));
        }
    }
    for t in &study.tail {
        rows.push(row("tail", &t.factor, "share_all", t.share_all, None));
        rows.push(row("tail", &t.factor, "share_worst", t.share_worst, None));
    }
    rows
}

fn row(
    analysis: &str,
    input: &str,
    measure: &str,
    x: f64,
    interval: Option<(f64, f64)>,
) -> Vec<String> {
    let (low, high) = interval.map_or((String::new(), String::new()), |(l, h)| {
        (l.to_string(), h.to_string())
    });
    vec![
        analysis.into(),
        input.into(),
        measure.into(),
        x.to_string(),
        low,
        high,
    ]
}
