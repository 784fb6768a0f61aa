//! The layout shared by the table and Markdown exporters: titled sections of rows of text,
//! with numbers formatted by unit.

use super::View;
use crate::analysis::presentation::survey_share;
use crate::analysis::report::{Estimate, Report, Unit};
use crate::engine::{Ending, Sampling};

pub struct Section {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A value in its unit: percentages with one decimal, money with thousands separators.
pub fn value(unit: Unit, x: f64) -> String {
    match unit {
        Unit::Probability | Unit::Fraction => format!("{:.1} %", 100.0 * x),
        Unit::Money => money(x),
        Unit::Years if x >= 1e3 => "never".into(),
        Unit::Years => format!("{x:.2} y"),
        Unit::Ratio => format!("{x:.2}"),
    }
}

/// A standard error in the value's unit (percentage points for shares).
pub fn error(unit: Unit, se: f64) -> String {
    match unit {
        Unit::Probability | Unit::Fraction => format!("{:.1}", 100.0 * se),
        Unit::Money => money(se),
        Unit::Years | Unit::Ratio => format!("{se:.2}"),
    }
}

pub fn money(x: f64) -> String {
    let rounded = x.round();
    let digits = format!("{:.0}", rounded.abs());
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if rounded < 0.0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

fn with_error(unit: Unit, e: &Estimate) -> String {
    format!("{} ± {}", value(unit, e.value), error(unit, e.se))
}

fn signed(unit: Unit, x: f64) -> String {
    let text = match unit {
        Unit::Probability | Unit::Fraction => format!("{:.1} pt", 100.0 * x),
        _ => value(unit, x),
    };
    if x > 0.0 { format!("+{text}") } else { text }
}

fn interval(unit: Unit, e: &Estimate) -> String {
    format!(
        "{} [{}, {}]",
        signed(unit, e.value),
        signed(unit, e.low),
        signed(unit, e.high)
    )
}

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

pub fn factor_sections(list: &super::FactorList) -> Vec<Section> {
    let s = list.scenario;
    let rows = list
        .factors
        .iter()
        .map(|f| {
            vec![
                f.id.clone(),
                s.categories[f.category].id.clone(),
                s.groups[f.cause_group].id.clone(),
                format!("{:.2}", f.probability),
                format!("{:.2}", f.severity.mean()),
                format!("{:.3}", f.impact.benefit),
                format!("{:.3}", f.impact.cost),
                format!("{:.3}", f.impact.schedule),
                format!("{:.3}", f.impact.runaway),
                crate::model::sources::citation_list(&f.sources),
            ]
        })
        .collect();
    vec![
        Section {
            title: format!(
                "Factor catalogue {} ({} factors; `crmcast sources` gives each source in full)",
                s.catalogue_version,
                list.factors.len()
            ),
            header: [
                "id",
                "category",
                "survey group",
                "probability",
                "mean severity",
                "benefit",
                "log cost",
                "log duration",
                "runaway (log hazard)",
                "sources",
            ]
            .iter()
            .map(|h| h.to_string())
            .collect(),
            rows,
        },
        estimate_section(s),
    ]
}

/// The estimating error and the runaway mechanism every trial shares (docs/MODEL.md §5, §5a).
fn estimate_section(s: &crate::scenario::Scenario) -> Section {
    let e = &s.project.estimate;
    let r = &s.project.runaway;
    let row = |name: &str, value: f64, meaning: &str| {
        vec![name.to_string(), format!("{value:.4}"), meaning.to_string()]
    };
    Section {
        title: "Estimating error and runaway (every trial, factors or not)".into(),
        header: ["parameter", "value", "meaning"].map(String::from).to_vec(),
        rows: vec![
            row(
                "log_cost_mean",
                e.log_cost_mean,
                "mean of the log cost ratio without trouble",
            ),
            row("log_cost_sd", e.log_cost_sd, "its standard deviation"),
            row(
                "log_schedule_mean",
                e.log_schedule_mean,
                "mean of the log duration ratio without trouble",
            ),
            row(
                "log_schedule_sd",
                e.log_schedule_sd,
                "its standard deviation",
            ),
            row(
                "cost_schedule_correlation",
                e.cost_schedule_correlation,
                "correlation of the two errors",
            ),
            row(
                "benefit_sd",
                e.benefit_sd,
                "sd of the log benefit noise (mean one)",
            ),
            row(
                "runaway base_probability",
                r.base_probability,
                "chance a project no factor strikes runs away",
            ),
            row(
                "runaway size_min",
                r.size_min,
                "smallest cost multiplier of a runaway (Pareto scale)",
            ),
            row(
                "runaway tail",
                r.tail,
                "Pareto tail index of the runaway's cost multiplier",
            ),
            row(
                "runaway schedule",
                r.schedule,
                "log duration grows by this times ln(multiplier)",
            ),
        ],
    }
}
