//! What `crmcast elicit` shows (each expert's fits and fit errors, Cooke's scores, the pooled
//! distribution) and the TOML it writes: the pooled value in the place a scenario reads it,
//! with the provenance (experts, date, method, weights) as comments.

use super::{Document, Section};
use crate::analysis::elicit::{Elicitation, Kind, PoolMethod, Target};
use crate::terminal::escape_line;

/// Where and when the elicitation was run: values from the CLI (the clock is read there).
pub struct Provenance {
    /// The judgements file as named on the command line.
    pub file: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// The command line as run.
    pub command: String,
}

/// Four significant digits, without exponent for ordinary magnitudes.
pub fn number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-5..=9).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - magnitude).clamp(0, 12) as usize;
    format!("{x:.decimals$}")
}

/// The method in words: "linear pool, equal weights" etc.
pub fn method(e: &Elicitation) -> String {
    let fit = "SHELF least-squares fit of each expert (best family)";
    match e.method {
        PoolMethod::Linear if e.weights_given => format!("{fit}; linear pool, given weights"),
        PoolMethod::Linear => format!("{fit}; linear pool, equal weights"),
        PoolMethod::Cooke => {
            let (alpha, how) = e.cooke.as_ref().map_or((0.0, ""), |c| {
                (c.alpha, if c.alpha_optimised { ", optimised" } else { "" })
            });
            format!(
                "{fit}; linear pool with Cooke's classical-model weights (α = {}{how}; {} seed questions)",
                number(alpha),
                e.seed_questions
            )
        }
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Probability => "probability (in [0, 1])",
        Kind::Positive => "positive",
        Kind::Real => "real",
    }
}

/// What the written file sets, in words.
pub fn written(e: &Elicitation) -> String {
    match &e.quantity.target {
        Some(Target::FactorProbability { factor }) => format!(
            "[factors.{factor}] probability = {} (the pooled mean)",
            rounded(e.pooled.mean)
        ),
        Some(Target::MitigationEffect {
            mitigation,
            factor,
            field,
        }) => {
            let (low, high) = range(e);
            format!(
                "[[mitigations.effects]] of \"{mitigation}\": factor = \"{factor}\", {field} = {} (the pooled mean), {field}_range = [{low}, {high}] (pooled P5, P95)",
                rounded(e.pooled.mean)
            )
        }
        None => "[elicited]: the pooled mean and quantiles (no factor or mitigation named)".into(),
    }
}

/// A probability as written: four decimals.
fn rounded(x: f64) -> String {
    format!("{x:.4}")
}

/// The written range: pooled P5 and P95 at four decimals, widened to hold the written mean.
fn range(e: &Elicitation) -> (String, String) {
    let mean = (e.pooled.mean * 1e4).round() / 1e4;
    let low = ((e.pooled.at(0.05) * 1e4).floor() / 1e4).min(mean);
    let high = ((e.pooled.at(0.95) * 1e4).ceil() / 1e4).max(mean).min(1.0);
    (rounded(low.max(0.0)), rounded(high))
}

fn parameters(d: &crate::analysis::elicit::fit::Distribution) -> String {
    let names = d.family.parameter_names();
    format!(
        "{} {}, {} {}",
        names[0],
        number(d.parameters[0]),
        names[1],
        number(d.parameters[1])
    )
}

pub fn document(e: &Elicitation, provenance: &Provenance) -> Document {
    let mut sections = Vec::new();
    let names: Vec<&str> = e.experts.iter().map(|x| x.name.as_str()).collect();
    let mut quantity = vec![
        vec!["quantity".to_string(), e.quantity.id.clone()],
        vec!["kind".into(), kind_name(e.quantity.kind).into()],
    ];
    if let Some(d) = &e.quantity.description {
        quantity.push(vec!["description".into(), d.clone()]);
    }
    quantity.extend([
        vec!["experts".into(), names.join(", ")],
        vec!["seed questions".into(), e.seed_questions.to_string()],
        vec!["method".into(), method(e)],
        vec!["file".into(), provenance.file.clone()],
    ]);
    sections.push(Section {
        title: "Elicitation".into(),
        header: vec!["item".into(), "value".into()],
        rows: quantity,
    });

    sections.push(Section {
        title: "Each expert's fit: least squares of the CDF at the elicited values (fit error = Σ (F(x) − p)²)".into(),
        header: [
            "expert",
            "judgement",
            "best family",
            "parameters",
            "fit error",
            "other families (fit error)",
            "pool weight",
        ]
        .map(String::from)
        .to_vec(),
        rows: e
            .experts
            .iter()
            .map(|x| {
                let best = x.fit.best_fit();
                let others: Vec<String> = x
                    .fit
                    .fits
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != x.fit.best)
                    .map(|(_, f)| {
                        format!(
                            "{} ({})",
                            f.distribution.family.name(),
                            number(f.sum_of_squares)
                        )
                    })
                    .collect();
                vec![
                    x.name.clone(),
                    x.judgement.describe(),
                    best.distribution.family.name().into(),
                    parameters(&best.distribution),
                    number(best.sum_of_squares),
                    if others.is_empty() {
                        "–".into()
                    } else {
                        others.join(", ")
                    },
                    number(x.weight),
                ]
            })
            .collect(),
    });

    if let Some(c) = &e.cooke {
        let used = if e.method == PoolMethod::Cooke {
            "the pool's weights"
        } else {
            "shown, not used: --pool linear"
        };
        sections.push(Section {
            title: format!(
                "Cooke's classical model on {} seed questions (α = {}{}; {used})",
                c.questions,
                number(c.alpha),
                if c.alpha_optimised { ", optimised" } else { "" }
            ),
            header: [
                "expert",
                "answers ≤P5 / ≤P50 / ≤P95 / >P95",
                "calibration",
                "information",
                "calibration × information",
                "Cooke weight",
            ]
            .map(String::from)
            .to_vec(),
            rows: e
                .experts
                .iter()
                .zip(&c.experts)
                .map(|(x, s)| {
                    vec![
                        x.name.clone(),
                        s.bins.map(|b| b.to_string()).join(" / "),
                        number(s.calibration),
                        number(s.information),
                        number(s.unnormalised_weight),
                        number(s.weight),
                    ]
                })
                .collect(),
        });
    }

    let mut pooled = vec![vec!["mean".to_string(), number(e.pooled.mean)]];
    pooled.extend(
        e.pooled
            .quantiles
            .iter()
            .map(|(p, v)| vec![format!("P{}", (p * 100.0).round()), number(*v)]),
    );
    sections.push(Section {
        title: "Pooled distribution (the weighted mixture of the experts' best fits)".into(),
        header: vec!["statistic".into(), "value".into()],
        rows: pooled,
    });
    sections.push(Section {
        title: "Written with --output".into(),
        header: vec!["sets".into()],
        rows: vec![vec![written(e)]],
    });

    let mut csv_rows = Vec::new();
    for x in &e.experts {
        let best = x.fit.best_fit();
        let names = best.distribution.family.parameter_names();
        csv_rows.push(vec![
            x.name.clone(),
            "family".into(),
            best.distribution.family.name().into(),
        ]);
        for (n, v) in names.iter().zip(best.distribution.parameters) {
            csv_rows.push(vec![x.name.clone(), n.to_string(), v.to_string()]);
        }
        csv_rows.push(vec![
            x.name.clone(),
            "fit_error".into(),
            best.sum_of_squares.to_string(),
        ]);
        csv_rows.push(vec![x.name.clone(), "weight".into(), x.weight.to_string()]);
    }
    if let Some(c) = &e.cooke {
        for (x, s) in e.experts.iter().zip(&c.experts) {
            csv_rows.push(vec![
                x.name.clone(),
                "calibration".into(),
                s.calibration.to_string(),
            ]);
            csv_rows.push(vec![
                x.name.clone(),
                "information".into(),
                s.information.to_string(),
            ]);
        }
    }
    csv_rows.push(vec![
        "pool".into(),
        "mean".into(),
        e.pooled.mean.to_string(),
    ]);
    for (p, v) in &e.pooled.quantiles {
        csv_rows.push(vec![
            "pool".into(),
            format!("p{}", (p * 100.0).round()),
            v.to_string(),
        ]);
    }
    Document {
        title: format!("Expert judgement: {}", e.quantity.id),
        sections,
        record: serde_json::json!({
            "elicitation": e,
            "method": method(e),
            "written": written(e),
            "provenance": { "file": provenance.file, "date": provenance.date, "command": provenance.command },
        }),
        csv_header: ["item", "statistic", "value"].map(String::from).to_vec(),
        csv_rows,
    }
}

/// A TOML basic string holding `text` (names are one line without controls, checked at input).
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// The TOML `crmcast elicit --output` writes: provenance comments, then the pooled value where
/// a scenario reads it (module docs).
pub fn toml_text(e: &Elicitation, provenance: &Provenance) -> String {
    // Comments are one line each: every text is escaped onto one line.
    let line = |text: &str| escape_line(text).into_owned();
    let weights: Vec<String> = e
        .experts
        .iter()
        .map(|x| format!("{} {}", x.name, number(x.weight)))
        .collect();
    let quantiles: Vec<String> = e
        .pooled
        .quantiles
        .iter()
        .map(|(p, v)| format!("P{} {}", (p * 100.0).round(), number(*v)))
        .collect();
    let mut text = String::new();
    text.push_str(&format!(
        "# Elicited with crmcast elicit ({}) on {} from {}\n",
        env!("CARGO_PKG_VERSION"),
        provenance.date,
        line(&provenance.file)
    ));
    text.push_str(&format!("# command: {}\n", line(&provenance.command)));
    text.push_str(&format!(
        "# quantity: {}, kind {}\n",
        e.quantity.id,
        kind_name(e.quantity.kind)
    ));
    text.push_str(&format!(
        "# experts: {}\n",
        e.experts
            .iter()
            .map(|x| x.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    text.push_str(&format!("# method: {}\n", method(e)));
    text.push_str(&format!("# weights: {}\n", weights.join(", ")));
    if let Some(c) = &e.cooke {
        let scores: Vec<String> = e
            .experts
            .iter()
            .zip(&c.experts)
            .map(|(x, s)| {
                format!(
                    "{} calibration {} information {}",
                    x.name,
                    number(s.calibration),
                    number(s.information)
                )
            })
            .collect();
        text.push_str(&format!("# Cooke scores: {}\n", scores.join("; ")));
    }
    text.push_str(&format!(
        "# pooled: mean {}, {}\n",
        number(e.pooled.mean),
        quantiles.join(", ")
    ));
    match &e.quantity.target {
        Some(Target::FactorProbability { factor }) => {
            text.push_str(&format!(
                "# A scenario's factor override: paste into the scenario (or merge the table).\n[factors.{}]\nprobability = {}   # the pooled mean\n",
                quoted_key(factor),
                rounded(e.pooled.mean)
            ));
        }
        Some(Target::MitigationEffect {
            mitigation,
            factor,
            field,
        }) => {
            let (low, high) = range(e);
            let experts = e
                .experts
                .iter()
                .map(|x| x.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let experts = if experts.chars().count() > 400 {
                format!("{} experts (named above)", e.experts.len())
            } else {
                experts
            };
            let evidence = format!(
                "expert judgement elicited on {} from {} experts ({experts}): {}; {field} is the pooled mean, the range the pooled P5 and P95 (crmcast elicit)",
                provenance.date,
                e.experts.len(),
                method(e)
            );
            text.push_str(&format!(
                "# An effect of the mitigation {}: paste under its [[mitigations]] table, replacing its effect on {}.\n[[mitigations.effects]]\nfactor = {}\n{field} = {}\n{field}_range = [{low}, {high}]\nevidence = {}\n",
                quoted(mitigation),
                quoted(factor),
                quoted(factor),
                rounded(e.pooled.mean),
                quoted(&evidence)
            ));
        }
        None => {
            text.push_str(&format!(
                "# No factor or mitigation named: the pooled distribution's summary.\n[elicited]\nid = {}\nmean = {}\n",
                quoted(&e.quantity.id),
                e.pooled.mean
            ));
            for (p, v) in &e.pooled.quantiles {
                text.push_str(&format!("p{} = {v}\n", (p * 100.0).round()));
            }
        }
    }
    text
}

/// A bare key when it is one, else a quoted one.
fn quoted_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        quoted(key)
    }
}
