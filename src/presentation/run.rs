//! What `run`, `compare` and `merge` show: the title line and the sections of a report
//! (decision summary, outcomes, differences to the baseline, failure causes).

use super::format::{error, interval, money, signed, value, with_error};
use super::{Section, View};
use crate::analysis::presentation::survey_share;
use crate::analysis::report::{Report, Unit};
use crate::engine::{Ending, Sampling};

pub fn title(report: &Report) -> String {
    let run = &report.run;
    let sampling = match run.sampling {
        Sampling::Random => String::new(),
        other => format!(", {} sampling", other.name()),
    };
    let uncertainty = if run.parameter_uncertainty {
        ", parameter uncertainty drawn per trial"
    } else {
        ""
    };
    let errors = if run.standard_errors == "batch_means" {
        " (batch means)"
    } else {
        ""
    };
    let ending = match run.ending {
        Ending::Completed => "",
        Ending::TargetMet => " — stopped when the precision target was met",
        Ending::Interrupted => " — interrupted",
    };
    format!(
        "{} — {} trials, seed {}{sampling}{uncertainty}, baseline \"{}\"; amounts in {}; ± is one Monte Carlo standard error{errors}{ending}",
        run.scenario,
        money(run.trials as f64),
        run.seed,
        run.baseline,
        run.currency,
    )
}

/// With `--precision`: each target, what was achieved, and where.
fn precision_section(report: &Report) -> Option<Section> {
    let checks = report.run.precision.as_ref()?;
    let rows = checks
        .iter()
        .map(|c| {
            vec![
                c.metric.clone(),
                format!("±{}", compact(c.target)),
                format!("±{}", compact(c.achieved)),
                c.worst_strategy.clone(),
                if c.met { "yes" } else { "no" }.to_string(),
            ]
        })
        .collect();
    Some(Section {
        title: format!(
            "Precision: 95 % half-widths after {} trials (of at most {})",
            money(report.run.trials as f64),
            money(report.run.requested_trials as f64)
        ),
        header: ["metric", "target", "achieved", "widest in", "met"]
            .map(String::from)
            .to_vec(),
        rows,
    })
}

/// A number with four significant digits, without scientific notation for everyday sizes.
fn compact(x: f64) -> String {
    if x.abs() >= 100.0 {
        money(x)
    } else {
        format!("{x:.4}")
    }
}

pub fn sections(report: &Report, view: View) -> Vec<Section> {
    let strategies = &report.strategies;
    let header = |first: &str| -> Vec<String> {
        std::iter::once(first.to_string())
            .chain(strategies.iter().map(|s| s.id.clone()))
            .collect()
    };
    let mut out = vec![Section {
        title: format!(
            "Decision summary: {} (hurdle rate {:.1} %)",
            report.decision.verdict,
            100.0 * report.decision.hurdle_rate
        ),
        header: vec!["in plain words".into()],
        rows: report
            .decision
            .sentences
            .iter()
            .map(|sentence| vec![sentence.clone()])
            .collect(),
    }];
    if let Some(view) = &report.outside_view {
        out.push(Section {
            title: format!(
                "Outside view blended in at weight {:.2} ({}): cost overrun quantiles",
                view.weight, view.class
            ),
            header: [
                "strategy",
                "level",
                "inside view (factor model)",
                "outside view (reference class)",
                "blended",
            ]
            .map(String::from)
            .to_vec(),
            rows: view
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.strategy.clone(),
                        format!("P{:.0}", 100.0 * r.level),
                        format!("{:+.1} %", 100.0 * r.inside),
                        format!("{:+.1} %", 100.0 * r.outside),
                        format!("{:+.1} %", 100.0 * r.blended),
                    ]
                })
                .collect(),
        });
    }
    out.extend(precision_section(report));

    let base = report.baseline();
    let outcome_rows = base
        .metrics
        .iter()
        .map(|m| {
            std::iter::once(m.label.to_string())
                .chain(strategies.iter().map(|s| {
                    s.metric(m.id)
                        .map(|e| with_error(m.unit, e))
                        .unwrap_or_default()
                }))
                .collect()
        })
        .collect();
    out.push(Section {
        title: "Outcomes by strategy".into(),
        header: header("metric"),
        rows: outcome_rows,
    });

    if view == View::Compare {
        let others: Vec<_> = strategies.iter().filter(|s| !s.baseline).collect();
        if let Some(first) = others.first() {
            let mut rows: Vec<Vec<String>> = first
                .versus_baseline
                .iter()
                .map(|d| {
                    std::iter::once(d.label.to_string())
                        .chain(others.iter().map(|s| {
                            s.difference(d.id)
                                .map(|e| interval(d.unit, e))
                                .unwrap_or_default()
                        }))
                        .collect()
                })
                .collect();
            rows.push(
                std::iter::once("P(NPV beats baseline)".to_string())
                    .chain(others.iter().map(|s| {
                        s.p_beats_baseline
                            .map(|e| with_error(Unit::Probability, &e))
                            .unwrap_or_default()
                    }))
                    .collect(),
            );
            out.push(Section {
                title: format!(
                    "Difference to the baseline \"{}\" (95 % interval, common random numbers)",
                    base.id
                ),
                header: std::iter::once("metric".to_string())
                    .chain(others.iter().map(|s| s.id.clone()))
                    .collect(),
                rows,
            });
        }
    }

    out.extend(gain_section(report));

    let group_rows = base
        .causes
        .by_group
        .iter()
        .enumerate()
        .map(|(g, group)| {
            let survey = survey_share(&group.id).map(|(s, _)| value(Unit::Probability, s));
            let mut row = vec![group.label.clone(), survey.unwrap_or_else(|| "–".into())];
            row.extend(
                strategies
                    .iter()
                    .map(|s| with_error(Unit::Probability, &s.causes.by_group[g].share)),
            );
            row
        })
        .collect();
    let mut group_header = vec![
        "primary cause group".to_string(),
        "CRM Forum 2001".to_string(),
    ];
    group_header.extend(strategies.iter().map(|s| s.id.clone()));
    out.push(Section {
        title: "Why projects miss their objectives: primary cause by survey group (share of missed trials)".into(),
        header: group_header,
        rows: group_rows,
    });

    let category_rows = base
        .causes
        .by_category
        .iter()
        .enumerate()
        .map(|(c, category)| {
            std::iter::once(category.label.clone())
                .chain(
                    strategies
                        .iter()
                        .map(|s| with_error(Unit::Probability, &s.causes.by_category[c].share)),
                )
                .collect()
        })
        .collect();
    out.push(Section {
        title: "Primary cause by factor category".into(),
        header: header("category"),
        rows: category_rows,
    });

    let mut factors: Vec<_> = base.causes.by_factor.iter().enumerate().collect();
    factors.sort_by_key(|(_, f)| std::cmp::Reverse(f.count));
    let factor_rows = factors
        .iter()
        .map(|(i, f)| {
            let mut row = vec![f.name.clone(), value(Unit::Probability, f.presence)];
            row.extend(
                strategies
                    .iter()
                    .map(|s| value(Unit::Probability, s.causes.by_factor[*i].share.value)),
            );
            row
        })
        .collect();
    let mut factor_header = vec!["factor".to_string(), "strikes (baseline)".to_string()];
    factor_header.extend(strategies.iter().map(|s| s.id.clone()));
    out.push(Section {
        title: "Primary cause by factor (share of missed trials)".into(),
        header: factor_header,
        rows: factor_rows,
    });
    out
}

/// With `--parameter-uncertainty`: each strategy's gain over the baseline across the draws of
/// the uncertain inputs (the mean, and the 2.5 %–97.5 % interval of the draws), with the Monte
/// Carlo standard error beside it, so that the two are read apart.
fn gain_section(report: &Report) -> Option<Section> {
    let gain = report.gain_uncertainty.as_ref()?;
    let first = gain.strategies.first()?;
    let mut rows = Vec::new();
    for figure in &first.figures {
        rows.push(
            std::iter::once(format!("{}: gain [2.5 %, 97.5 % of draws]", figure.label))
                .chain(gain.strategies.iter().map(|s| {
                    s.figure(figure.id)
                        .map(|f| {
                            format!(
                                "{} [{}, {}]",
                                signed(f.unit, f.mean),
                                signed(f.unit, f.low),
                                signed(f.unit, f.high)
                            )
                        })
                        .unwrap_or_default()
                }))
                .collect(),
        );
        rows.push(
            std::iter::once(format!(
                "{}: Monte Carlo SE (not in the interval)",
                figure.label
            ))
            .chain(gain.strategies.iter().map(|s| {
                s.figure(figure.id)
                    .map(|f| match f.unit {
                        Unit::Probability | Unit::Fraction => {
                            format!("± {:.1} pt", 100.0 * f.monte_carlo_se)
                        }
                        unit => format!("± {}", error(unit, f.monte_carlo_se)),
                    })
                    .unwrap_or_default()
            }))
            .collect(),
        );
    }
    rows.push(
        std::iter::once("share of draws with an NPV gain > 0".to_string())
            .chain(
                gain.strategies
                    .iter()
                    .map(|s| value(Unit::Probability, s.p_npv_gain_positive)),
            )
            .collect(),
    );
    let drawn = match (gain.parameters.len(), gain.effect_multipliers) {
        (0, e) => format!("{e} effect multipliers"),
        (k, 0) => format!("{k} catalogue parameters"),
        (k, e) => format!("{k} catalogue parameters and {e} effect multipliers"),
    };
    Some(Section {
        title: format!(
            "Gain over the baseline \"{}\" from parameter and effect uncertainty (not Monte Carlo error): {} draws of {drawn}, each on the same {} trials",
            report.run.baseline,
            money(gain.draws as f64),
            money(gain.trials_per_draw as f64)
        ),
        header: std::iter::once("metric".to_string())
            .chain(gain.strategies.iter().map(|s| s.id.clone()))
            .collect(),
        rows,
    })
}
