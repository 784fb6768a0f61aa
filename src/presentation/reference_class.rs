//! What `crmcast reference-class` shows: the class, its overrun distribution, the budget
//! uplift at each level, and the published figures beside the data.

use super::format::money;
use super::{Document, Section};
use crate::analysis::reference_class::*;

pub fn percent_label(q: f64) -> String {
    let p = 100.0 * q;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}", p.round())
    } else {
        format!("{p}")
    }
}

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

fn opt_pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), pct)
}

/// "[low, high]" with open ends shown as beyond the sample.
fn interval(s: &Statistic, show: fn(f64) -> String) -> String {
    if s.low.is_none() && s.high.is_none() {
        return String::new();
    }
    format!(
        "[{}, {}]",
        s.low.map_or_else(|| "below the smallest".into(), show),
        s.high.map_or_else(|| "above the largest".into(), show)
    )
}

fn number(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| v.to_string())
}

pub fn document(r: &ReferenceClassResult) -> Document {
    let sample = r.class.kind == "sample";
    let mut sections = Vec::new();

    let mut class_rows = vec![
        vec![
            "class".to_string(),
            if sample {
                "a sample of past projects".into()
            } else {
                "reconstructed from published summary statistics — NOT a raw sample".into()
            },
        ],
        vec!["name".into(), r.class.name.clone()],
        vec!["source".into(), r.class.source.clone()],
        vec![
            "projects".into(),
            if sample {
                r.class.projects.to_string()
            } else {
                format!(
                    "{} published (the intervals are indicative: the spread in a sample of that size)",
                    r.class.projects
                )
            },
        ],
    ];
    if let Some(column) = &r.class.column {
        class_rows.push(vec!["column".into(), column.clone()]);
    }
    if sample {
        class_rows.push(vec![
            "missing".into(),
            if r.class.missing == 0 {
                "none".into()
            } else {
                format!(
                    "{} row(s) without an overrun, left out (rows {}{})",
                    r.class.missing,
                    r.class
                        .missing_rows
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    if r.class.missing as usize > r.class.missing_rows.len() {
                        ", …"
                    } else {
                        ""
                    }
                )
            },
        ]);
    }
    sections.push(Section {
        title: "Reference class".into(),
        header: ["item", "value"].map(String::from).to_vec(),
        rows: class_rows,
    });

    let s = &r.summary;
    let row = |label: &str, stat: &Statistic, method: &str| {
        vec![
            label.to_string(),
            opt_pct(stat.value),
            interval(stat, pct),
            method.to_string(),
        ]
    };
    let mut summary_rows = vec![
        row(
            "mean overrun",
            &s.mean,
            if s.mean.low.is_some() {
                "± 1.96·sd/√n (normal approximation)"
            } else {
                "no interval: the sd does not exist"
            },
        ),
        row("median overrun", &s.median, "order statistics"),
        row(
            "standard deviation",
            &s.sd,
            if s.sd.value.is_some() {
                ""
            } else {
                "does not exist (tail exponent ≤ 2)"
            },
        ),
        row("P(overrun > 0)", &s.p_overrun, "Wilson"),
        row("P(overrun ≥ 100 %)", &s.p_doubled, "Wilson"),
        row("worst sixth: mean overrun", &s.worst_sixth_mean, ""),
    ];
    if sample {
        summary_rows.push(row("smallest", &s.min, ""));
        summary_rows.push(row("largest", &s.max, ""));
    }
    sections.push(Section {
        title: format!(
            "Cost overrun of the class ({} projects; 95 % intervals)",
            s.projects
        ),
        header: ["statistic", "value", "95 % interval", "interval"]
            .map(String::from)
            .to_vec(),
        rows: summary_rows,
    });

    let budget = r
        .uplifts
        .first()
        .and_then(|u| u.budget_needed)
        .map(|b| b.budget);
    let mut header: Vec<String> = [
        "level",
        "risk of overrun",
        "uplift",
        "95 % interval",
        "ranks (coverage)",
        "lognormal fit",
        "lognormal 95 %",
    ]
    .map(String::from)
    .to_vec();
    if let Some(b) = budget {
        header.push(format!("budget {} needs", money(b)));
        header.push("95 % interval of it".into());
        header.push("lognormal".into());
    }
    let uplift_rows = r
        .uplifts
        .iter()
        .map(|u| {
            let ranks = format!(
                "{}–{} ({:.1} %)",
                u.ranks.low_rank.map_or("–".into(), |l| l.to_string()),
                u.ranks.high_rank.map_or("–".into(), |h| h.to_string()),
                100.0 * u.ranks.coverage
            );
            let mut row = vec![
                format!("P{}", percent_label(u.level)),
                pct(u.risk_of_overrun),
                opt_pct(u.uplift.value),
                interval(&u.uplift, pct),
                ranks,
                opt_pct(u.lognormal.value),
                interval(&u.lognormal, pct),
            ];
            if let Some(b) = &u.budget_needed {
                let m = |x: f64| money(x);
                row.push(b.needed.value.map_or("–".into(), m));
                row.push(interval(&b.needed, m));
                row.push(b.lognormal.value.map_or("–".into(), m));
            }
            row
        })
        .collect();
    sections.push(Section {
        title: format!(
            "Required uplift (Flyvbjerg): the budget increase that leaves the stated risk of overrun — {}",
            if sample {
                "type-7 quantile, order-statistic interval"
            } else {
                "the class's quantile; indicative interval for a sample of its published size"
            }
        ),
        header,
        rows: uplift_rows,
    });

    let l = &r.lognormal;
    let mut fit_rows = vec![
        vec![
            "mu (of ln(1 + overrun))".to_string(),
            format!("{:.4}", l.fit.mu),
            interval(&l.mu, |x| format!("{x:.4}")),
        ],
        vec![
            "sigma".into(),
            format!("{:.4}", l.fit.sigma),
            interval(&l.sigma, |x| format!("{x:.4}")),
        ],
        vec!["mean overrun".into(), pct(l.mean), String::new()],
        vec!["median overrun".into(), pct(l.median), String::new()],
        vec!["P(overrun > 0)".into(), pct(l.p_overrun), String::new()],
        vec!["P(overrun ≥ 100 %)".into(), pct(l.p_doubled), String::new()],
    ];
    if let Some(ll) = l.log_likelihood {
        fit_rows.push(vec![
            "log-likelihood".into(),
            format!("{ll:.3}"),
            String::new(),
        ]);
    }
    fit_rows.push(vec![
        "Kolmogorov–Smirnov distance D".into(),
        format!("{:.4}", l.ks_distance),
        match l.lilliefors_critical_5pct {
            Some(c) => format!(
                "Lilliefors 5 % critical value {c:.4}: {}",
                if l.ks_distance > c {
                    "the lognormal is rejected; prefer the class's own quantiles"
                } else {
                    "not rejected"
                }
            ),
            None if sample => "n ≤ 30: no critical value".into(),
            None => "distance from the class's distribution".into(),
        },
    ]);
    sections.push(Section {
        title: format!("Lognormal fit of 1 + overrun ({})", l.method),
        header: ["parameter", "value", "95 % interval / note"]
            .map(String::from)
            .to_vec(),
        rows: fit_rows,
    });

    if !r.figures.is_empty() {
        sections.push(Section {
            title:
                "Published figures the class reproduces (fit: used to build it; check: not used)"
                    .into(),
            header: [
                "figure",
                "published",
                "class",
                "tolerance",
                "role",
                "source",
            ]
            .map(String::from)
            .to_vec(),
            rows: r
                .figures
                .iter()
                .map(|f| {
                    vec![
                        f.statistic.clone(),
                        format!("{:.4}", f.published),
                        format!("{:.4}", f.class),
                        format!("± {}", f.tolerance),
                        format!(
                            "{}{}",
                            f.role,
                            if f.within_tolerance { "" } else { " (MISSED)" }
                        ),
                        f.source.chars().take(70).collect(),
                    ]
                })
                .collect(),
        });
    }

    Document {
        title: format!(
            "crmcast reference-class — {}: {} projects",
            r.class.name, r.class.projects
        ),
        sections,
        record: serde_json::to_value(r).unwrap_or(serde_json::Value::Null),
        csv_header: ["statistic", "level", "estimator", "value", "low", "high"]
            .map(String::from)
            .to_vec(),
        csv_rows: csv_rows(r),
    }
}

/// One tidy row per (statistic, level, estimator).
fn csv_rows(r: &ReferenceClassResult) -> Vec<Vec<String>> {
    let own = if r.class.kind == "sample" {
        "empirical"
    } else {
        "reconstructed"
    };
    let mut rows = Vec::new();
    let mut push = |statistic: &str, level: Option<f64>, estimator: &str, s: &Statistic| {
        rows.push(vec![
            statistic.to_string(),
            number(level),
            estimator.to_string(),
            number(s.value),
            number(s.low),
            number(s.high),
        ]);
    };
    let s = &r.summary;
    let count = |n: u64| Statistic {
        value: Some(n as f64),
        low: None,
        high: None,
    };
    push("projects", None, own, &count(s.projects));
    push("missing", None, own, &count(r.class.missing));
    for (name, stat) in [
        ("mean", &s.mean),
        ("median", &s.median),
        ("sd", &s.sd),
        ("p_overrun", &s.p_overrun),
        ("p_doubled", &s.p_doubled),
        ("worst_sixth_mean", &s.worst_sixth_mean),
        ("min", &s.min),
        ("max", &s.max),
    ] {
        push(name, None, own, stat);
    }
    for u in &r.uplifts {
        push("uplift", Some(u.level), own, &u.uplift);
        push("uplift", Some(u.level), "lognormal", &u.lognormal);
        if let Some(b) = &u.budget_needed {
            push("budget_needed", Some(u.level), own, &b.needed);
            push("budget_needed", Some(u.level), "lognormal", &b.lognormal);
        }
    }
    let l = &r.lognormal;
    let plain = |x: f64| Statistic {
        value: Some(x),
        low: None,
        high: None,
    };
    push("mu", None, "lognormal", &l.mu);
    push("sigma", None, "lognormal", &l.sigma);
    push("mean", None, "lognormal", &plain(l.mean));
    push("median", None, "lognormal", &plain(l.median));
    push("p_overrun", None, "lognormal", &plain(l.p_overrun));
    push("p_doubled", None, "lognormal", &plain(l.p_doubled));
    push("ks_distance", None, "lognormal", &plain(l.ks_distance));
    for f in &r.figures {
        push(
            &format!("published_{}", f.statistic),
            None,
            "published",
            &plain(f.published),
        );
    }
    rows
}
