//! What `crmcast calibrate --targets` shows: each target beside its fitted value, the
//! constraints, the free parameters with their uncertainty, and a summary.

use super::{Document, Section};
use crate::analysis::calibrate::Calibration;
use crate::analysis::targets;
use crate::export::catalogue::Provenance;

pub fn document(fit: &Calibration, provenance: &Provenance, targets_name: &str) -> Document {
    let number = |x: f64| format!("{x:.4}");
    let sd = |x: f64, at_bound: bool| {
        if at_bound {
            "at bound".to_string()
        } else if x.is_nan() {
            "not identified".to_string()
        } else {
            number(x)
        }
    };
    let targets = Section {
        title: "Targets: published figure ± tolerance (read as its standard deviation), fitted value ± Monte Carlo SE".into(),
        header: [
            "target",
            "figure",
            "value",
            "tolerance",
            "fitted",
            "MC se",
            "(fitted − value)/tolerance",
            "within",
            "source",
        ]
        .map(String::from)
        .to_vec(),
        rows: fit
            .targets
            .iter()
            .map(|t| {
                let c = &t.check;
                vec![
                    c.target.id.clone(),
                    c.target.figure.label(),
                    number(c.target.value),
                    number(c.target.tolerance),
                    number(c.fitted.value),
                    number(c.fitted.se),
                    format!("{:+.2}", t.standardised_residual),
                    if c.within_tolerance { "yes" } else { "NO" }.into(),
                    c.target.source.chars().take(60).collect(),
                ]
            })
            .collect(),
    };
    let constraints = Section {
        title: "Constraints: plausibility conditions the fit respects".into(),
        header: [
            "constraint",
            "on",
            "figure",
            "min",
            "max",
            "fitted",
            "MC se",
            "satisfied",
            "source",
        ]
        .map(String::from)
        .to_vec(),
        rows: fit
            .constraints
            .iter()
            .map(|c| {
                let bound = |b: Option<f64>| b.map_or("–".to_string(), number);
                vec![
                    c.constraint.id.clone(),
                    match c.constraint.on {
                        targets::Subject::Baseline => "baseline".into(),
                        targets::Subject::NoTrouble => "no trouble".into(),
                    },
                    c.constraint.figure.label(),
                    bound(c.constraint.min),
                    bound(c.constraint.max),
                    number(c.fitted.value),
                    number(c.fitted.se),
                    if c.satisfied { "yes" } else { "NO" }.into(),
                    c.constraint.source.chars().take(60).collect(),
                ]
            })
            .collect(),
    };
    let parameters = Section {
        title: "Free parameters at the fit: value, plausible range, sd from the evidence (tolerances as published sds), Monte Carlo SE (other random numbers)".into(),
        header: [
            "parameter",
            "value",
            "unit",
            "range",
            "sd from evidence",
            "MC se",
        ]
        .map(String::from)
        .to_vec(),
        rows: fit
            .parameters
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    number(p.value),
                    p.unit.into(),
                    format!("[{}, {}]", number(p.range.low), number(p.range.high)),
                    sd(p.evidence_sd, p.at_bound),
                    sd(p.monte_carlo_se, p.at_bound),
                ]
            })
            .collect(),
    };
    let mut verdict = vec![
        vec![
            "degrees of freedom".into(),
            format!(
                "{} free parameters against {} independent targets (and {} constraints)",
                fit.free_parameters,
                fit.independent_targets,
                fit.constraints.len()
            ),
        ],
        vec![
            "objective".into(),
            format!(
                "{:.3} at the start, {:.3} at the fit (sum of squared standardised residuals and constraint violations)",
                fit.initial_objective, fit.objective
            ),
        ],
        vec![
            "evaluations".into(),
            format!(
                "{} ({} trials each, seed {}; at most {} iterations)",
                fit.evaluations,
                fit.settings.trials,
                fit.settings.seed,
                fit.settings.max_iterations
            ),
        ],
        vec!["verdict".into(), fit.verdict()],
    ];
    for p in fit.parameters.iter().filter(|p| p.at_bound) {
        verdict.push(vec![
            "at its bound".into(),
            format!(
                "{} = {}: the targets push it to the end of its range ({}); it is held there, not fitted",
                p.name,
                number(p.value),
                p.range.why
            ),
        ]);
    }
    for u in &fit.unidentified {
        let list: Vec<String> = u
            .parameters
            .iter()
            .map(|(name, w)| format!("{w:+.2}·{name}"))
            .collect();
        verdict.push(vec![
            "not identified".into(),
            format!(
                "{}: no target moves this combination; fix one of them or add a target",
                list.join(" ")
            ),
        ]);
    }
    for id in &fit.unmovable {
        verdict.push(vec![
            "unmovable".into(),
            format!("{id}: no free parameter moves it; free one that does (see --free)"),
        ]);
    }
    for c in &fit.conflicts {
        verdict.push(vec![
            "pulls against".into(),
            format!(
                "improving {} worsens {} (gradient cosine {:.2})",
                c.target, c.against, c.cosine
            ),
        ]);
    }
    let summary = Section {
        title: "Fit".into(),
        header: ["item", "value"].map(String::from).to_vec(),
        rows: verdict,
    };
    let mut csv_rows: Vec<Vec<String>> = fit
        .targets
        .iter()
        .map(|t| {
            let c = &t.check;
            vec![
                "target".into(),
                c.target.id.clone(),
                c.target.value.to_string(),
                c.target.tolerance.to_string(),
                c.fitted.value.to_string(),
                c.fitted.se.to_string(),
                t.standardised_residual.to_string(),
                c.within_tolerance.to_string(),
                String::new(),
            ]
        })
        .collect();
    csv_rows.extend(fit.constraints.iter().map(|c| {
        vec![
            "constraint".into(),
            c.constraint.id.clone(),
            c.constraint.min.map_or(String::new(), |v| v.to_string()),
            c.constraint.max.map_or(String::new(), |v| v.to_string()),
            c.fitted.value.to_string(),
            c.fitted.se.to_string(),
            String::new(),
            c.satisfied.to_string(),
            String::new(),
        ]
    }));
    csv_rows.extend(fit.parameters.iter().map(|p| {
        vec![
            "parameter".into(),
            p.name.clone(),
            p.range.low.to_string(),
            p.range.high.to_string(),
            p.value.to_string(),
            p.monte_carlo_se.to_string(),
            String::new(),
            String::new(),
            p.evidence_sd.to_string(),
        ]
    }));
    Document {
        title: format!(
            "crmcast calibrate — {} targets, {} constraints, {} free parameters ({})",
            fit.targets.len(),
            fit.constraints.len(),
            fit.parameters.len(),
            targets_name
        ),
        sections: vec![targets, constraints, parameters, summary],
        record: serde_json::json!({ "provenance": provenance, "calibration": fit }),
        csv_header: [
            "kind",
            "id",
            "target_or_min_or_low",
            "tolerance_or_max_or_high",
            "fitted",
            "monte_carlo_se",
            "standardised_residual",
            "within_tolerance_or_satisfied",
            "evidence_sd",
        ]
        .map(String::from)
        .to_vec(),
        csv_rows,
    }
}
