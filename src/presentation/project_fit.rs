//! What `crmcast calibrate --data` shows: the fitted models' coefficients with their
//! intervals, the checks, and what is written to the catalogue.

use super::{Document, Section};
use crate::analysis::project_fit::{self, ProjectFit, coefficient_rows};

pub fn document(fit: &ProjectFit) -> Document {
    let f = |x: f64| format!("{x:.4}");
    let imputed = fit.missing_data.imputations.is_some();
    let mut coefficient_header = [
        "coefficient",
        "estimate",
        "se",
        "low 95 %",
        "high 95 %",
        "interval",
    ]
    .map(String::from)
    .to_vec();
    let mut probability_header = [
        "factor",
        "probability",
        "se",
        "low 95 %",
        "high 95 %",
        "rated projects",
    ]
    .map(String::from)
    .to_vec();
    if imputed {
        coefficient_header.push("missing info".into());
        probability_header.push("missing info".into());
    }
    let coefficient_rows =
        |list: &[crate::analysis::regression::Coefficient]| coefficient_rows(list, imputed);
    let mut sections = vec![
        missing_values(fit),
        Section {
            title: "Factor probabilities (share of rated projects where the factor struck)".into(),
            header: probability_header,
            rows: fit
                .probabilities
                .iter()
                .map(|p| {
                    let mut row = vec![
                        p.factor.clone(),
                        f(p.estimate),
                        f(p.standard_error),
                        f(p.low),
                        f(p.high),
                        p.rated_rows.to_string(),
                    ];
                    if let Some(fmi) = p.fraction_missing_information {
                        row.push(format!("{fmi:.3}"));
                    }
                    row
                })
                .collect(),
        },
    ];
    let left_out = if imputed {
        "imputed"
    } else {
        "left out: a missing value"
    };
    let mut fit_rows = Vec::new();
    for (title, model) in [
        ("Cost model: ln(cost before burn) on the ratings", &fit.cost),
        ("Schedule model: ln(1 + slip) on the ratings", &fit.schedule),
    ] {
        if let Some(m) = model {
            sections.push(Section {
                title: title.into(),
                header: coefficient_header.clone(),
                rows: coefficient_rows(&m.fit.coefficients),
            });
            fit_rows.push(vec![
                title.split(':').next().unwrap_or(title).to_string(),
                if fit.runaway.is_some() {
                    format!(
                        "{} rows ({} {left_out}; {} runaways excluded)",
                        m.rows_used, m.rows_left_out, m.runaways_excluded
                    )
                } else {
                    format!(
                        "{} rows ({} {left_out}; runaways not recorded)",
                        m.rows_used, m.rows_left_out
                    )
                },
                format!(
                    "log-likelihood {:.2}, AIC {:.2}, R² {:.3}, residual sd {:.4}",
                    m.fit.log_likelihood, m.fit.aic, m.fit.r_squared, m.fit.residual_sd
                ),
                m.cross_validated_rmse
                    .map_or(String::new(), |r| format!("RMSE {r:.4}")),
            ]);
        }
    }
    if let Some(m) = &fit.benefit {
        let mut rows = coefficient_rows(&m.fit.impacts);
        rows.extend(coefficient_rows(&[
            m.fit.intercept.clone(),
            m.fit.sigma.clone(),
        ]));
        sections.push(Section {
            title: "Benefit model: ln R = α + Σ ln(1 − b·s) + σε, capped at 1 (Tobit)".into(),
            header: coefficient_header.clone(),
            rows,
        });
        fit_rows.push(vec![
            "Benefit model".into(),
            format!(
                "{} rows ({} left out; {} at the cap)",
                m.rows_used, m.rows_left_out, m.fit.censored_rows
            ),
            format!(
                "log-likelihood {:.2}, AIC {:.2}",
                m.fit.log_likelihood, m.fit.aic
            ),
            String::new(),
        ]);
    }
    if let Some(m) = &fit.outcome {
        let mut rows = coefficient_rows(&m.fit.thresholds);
        rows.extend(coefficient_rows(&m.fit.coefficients));
        sections.push(Section {
            title: "Outcome model: proportional-odds logit of success < challenged < failed (positive = worse)".into(),
            header: coefficient_header.clone(),
            rows,
        });
        fit_rows.push(vec![
            "Outcome model".into(),
            format!("{} rows ({} left out)", m.rows_used, m.rows_left_out),
            format!(
                "log-likelihood {:.2} (null {:.2}), AIC {:.2}; P(missed): Brier {:.4}, AUC {:.3}",
                m.fit.log_likelihood,
                m.fit.null_log_likelihood,
                m.fit.aic,
                m.in_sample.brier,
                m.in_sample.auc
            ),
            format!(
                "Brier {:.4}, AUC {:.3}, log loss {:.4}",
                m.cross_validated.brier, m.cross_validated.auc, m.cross_validated.log_loss
            ),
        ]);
        sections.push(Section {
            title: "Calibration table: predicted against observed P(missed objectives), by decile"
                .into(),
            header: [
                "decile",
                "predicted from",
                "predicted to",
                "predicted mean",
                "observed share",
                "projects",
            ]
            .map(String::from)
            .to_vec(),
            rows: m
                .calibration
                .iter()
                .enumerate()
                .map(|(k, b)| {
                    vec![
                        (k + 1).to_string(),
                        f(b.predicted_low),
                        f(b.predicted_high),
                        f(b.predicted_mean),
                        f(b.observed_share),
                        b.rows.to_string(),
                    ]
                })
                .collect(),
        });
    }
    if let Some(m) = &fit.runaway {
        if let Some(cloglog) = &m.fit {
            let mut rows = coefficient_rows(&cloglog.coefficients);
            if let Some(first) = rows.first_mut() {
                first[0] = "ln λ0 (intercept)".into();
            }
            if let Some(b) = &m.base_probability {
                let mut row = coefficient_rows(std::slice::from_ref(b)).remove(0);
                row[0] = "base probability 1 − exp(−λ0)".into();
                rows.push(row);
            }
            sections.push(Section {
                title: "Runaway model: P(runaway) = 1 − exp(−exp(ln λ0 + Σ r·s)), complementary log-log (positive = more runaways)".into(),
                header: coefficient_header.clone(),
                rows,
            });
        }
        let scores = |s: &Option<project_fit::OutcomeScores>| {
            s.as_ref().map_or("not scored".into(), |s| {
                format!(
                    "Brier {:.4}, AUC {:.3}, log loss {:.4}",
                    s.brier, s.auc, s.log_loss
                )
            })
        };
        fit_rows.push(vec![
            "Runaway model".into(),
            format!(
                "{} rows ({} left out; {} runaways)",
                m.rows_used, m.rows_left_out, m.runaways
            ),
            match &m.fit {
                Some(c) => format!(
                    "log-likelihood {:.2} (null {:.2}), AIC {:.2}; P(runaway): {}",
                    c.log_likelihood,
                    c.null_log_likelihood,
                    c.aic,
                    scores(&m.in_sample)
                ),
                None => format!("not fitted: {}", m.note.as_deref().unwrap_or("")),
            },
            if m.fit.is_some() {
                scores(&m.cross_validated)
            } else {
                String::new()
            },
        ]);
    }
    sections.push(Section {
        title: format!(
            "Fit ({} projects; cross-validated scores from {}-fold splits)",
            fit.rows,
            fit.outcome.as_ref().map_or(5, |m| m.folds)
        ),
        header: ["model", "rows", "in sample", "cross-validated"]
            .map(String::from)
            .to_vec(),
        rows: fit_rows,
    });
    sections.push(Section {
        title: "Written to the catalogue (impacts per unit of severity)".into(),
        header: [
            "factor",
            "benefit",
            "cost",
            "schedule",
            "runaway",
            "rating scale",
        ]
        .map(String::from)
        .to_vec(),
        rows: written_rows(fit),
    });
    if !fit.warnings.is_empty() {
        sections.insert(
            0,
            Section {
                title: "Warnings".into(),
                header: vec!["warning".into()],
                rows: fit.warnings.iter().map(|w| vec![w.clone()]).collect(),
            },
        );
    }
    let mut csv_rows = Vec::new();
    let mut coefficients = |model: &str, list: &[crate::analysis::regression::Coefficient]| {
        for c in list {
            csv_rows.push(vec![
                model.to_string(),
                c.name.clone(),
                c.estimate.to_string(),
                c.standard_error.to_string(),
                c.low.to_string(),
                c.high.to_string(),
                c.interval.label().to_string(),
                c.held_at_bound.to_string(),
            ]);
        }
    };
    for p in &fit.probabilities {
        csv_rows_push(&mut coefficients, p);
    }
    if let Some(m) = &fit.cost {
        coefficients("cost", &m.fit.coefficients);
    }
    if let Some(m) = &fit.schedule {
        coefficients("schedule", &m.fit.coefficients);
    }
    if let Some(m) = &fit.benefit {
        coefficients("benefit", &m.fit.impacts);
        coefficients("benefit", &[m.fit.intercept.clone(), m.fit.sigma.clone()]);
    }
    if let Some(m) = &fit.outcome {
        coefficients("outcome", &m.fit.thresholds);
        coefficients("outcome", &m.fit.coefficients);
    }
    if let Some(m) = &fit.runaway {
        if let Some(c) = &m.fit {
            coefficients("runaway", &c.coefficients);
        }
        if let Some(b) = &m.base_probability {
            coefficients("runaway", std::slice::from_ref(b));
        }
    }
    Document {
        title: format!("crmcast calibrate --data {}", fit.origin),
        sections,
        record: serde_json::to_value(fit).unwrap_or(serde_json::Value::Null),
        csv_header: [
            "model",
            "coefficient",
            "estimate",
            "se",
            "low",
            "high",
            "interval",
            "held_at_bound",
        ]
        .map(String::from)
        .to_vec(),
        csv_rows,
    }
}

/// How missing values were handled: the method, the counts, and the columns with a missing
/// value.
fn missing_values(fit: &ProjectFit) -> Section {
    let m = &fit.missing_data;
    let method = match (m.imputations, m.iterations, m.donors) {
        (Some(imputations), Some(iterations), Some(donors)) => format!(
            "multiple imputation: chained equations, predictive mean matching ({donors} donors), {imputations} data sets after {iterations} cycles, pooled by Rubin's rules (\"missing info\": the fraction of missing information)"
        ),
        _ if m.rows_with_missing == 0 => "no missing values".into(),
        _ => "complete cases: each model on the rows where its values are all present".into(),
    };
    let mut rows = vec![
        vec!["method".into(), method],
        vec![
            "projects with a missing value".into(),
            format!("{} of {}", m.rows_with_missing, fit.rows),
        ],
        vec!["missing values".into(), m.missing_values.to_string()],
    ];
    rows.extend(m.columns.iter().map(|c| {
        vec![
            format!("missing in `{}`", c.column),
            format!(
                "{} ({:.1} %)",
                c.missing,
                100.0 * c.missing as f64 / fit.rows.max(1) as f64
            ),
        ]
    }));
    Section {
        title: "Missing values".into(),
        header: vec!["".into(), "".into()],
        rows,
    }
}

/// The "written to the catalogue" rows: one per rated factor, then the runaway base
/// probability.
fn written_rows(fit: &ProjectFit) -> Vec<Vec<String>> {
    let f = |x: f64| format!("{x:.4}");
    let o = |v: Option<f64>| v.map_or("(kept)".into(), f);
    let negative = |factor: &str| {
        fit.runaway
            .as_ref()
            .is_some_and(|m| m.negative.iter().any(|n| n == factor))
    };
    let mut rows: Vec<Vec<String>> = fit
        .impacts
        .iter()
        .map(|w| {
            vec![
                w.factor.clone(),
                o(w.benefit),
                o(w.cost),
                o(w.schedule),
                if negative(&w.factor) {
                    format!("{} (held at 0)", o(w.runaway))
                } else {
                    o(w.runaway)
                },
                if w.scale == 1.0 {
                    "severity".into()
                } else {
                    format!("presence (÷ {:.3})", w.scale)
                },
            ]
        })
        .collect();
    let base = fit
        .runaway
        .as_ref()
        .filter(|m| m.written)
        .and_then(|m| m.base_probability.as_ref())
        .map(|b| b.estimate.clamp(0.0, 0.5));
    rows.push(vec![
        "[runaway] base_probability".into(),
        String::new(),
        String::new(),
        String::new(),
        o(base),
        String::new(),
    ]);
    rows
}

fn csv_rows_push(
    coefficients: &mut impl FnMut(&str, &[crate::analysis::regression::Coefficient]),
    p: &crate::analysis::project_fit::ProbabilityEstimate,
) {
    coefficients(
        "probability",
        &[crate::analysis::regression::Coefficient {
            name: p.factor.clone(),
            estimate: p.estimate,
            standard_error: p.standard_error,
            low: p.low,
            high: p.high,
            interval: crate::analysis::regression::IntervalMethod::Wald,
            held_at_bound: false,
            fraction_missing_information: p.fraction_missing_information,
        }],
    );
}
