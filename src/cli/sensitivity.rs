//! `crmcast sensitivity`: what drives one output of one strategy — tornado, rank correlations
//! and contribution to variance, Sobol indices, Shapley effects and the worst-10 % tail —
//! rendered as table, Markdown, JSON or CSV.

use super::load;
use crate::analysis::report::Unit;
use crate::analysis::sensitivity::study::{self, OutputMetric, SensitivityStudy, StudySettings};
use crate::error::Error;
use crate::export::sections::{Section, value};
use crate::export::{self, Document, Format};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML); without it, the built-in default scenario.
    pub scenario: Option<PathBuf>,
    /// Catalogue file to use instead of the one the scenario names.
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// The output to explain.
    #[arg(long, value_enum, default_value_t = OutputMetric::Npv)]
    pub output_metric: OutputMetric,
    /// The strategy whose output is explained [default: the baseline].
    #[arg(long, value_name = "ID")]
    pub strategy: Option<String>,
    /// Trials for the tornado, the rank correlations and the tail analysis: 100 to 1000000.
    #[arg(long, default_value_t = 20_000, value_parser = super::limits::usize_in::<{ 100 }, { super::limits::MAX_STUDY_TRIALS }>)]
    pub trials: usize,
    /// Base rows of the Sobol design (cost: rows × (inputs + 2) trials), at most 65536; 0 skips
    /// the indices.
    #[arg(long, default_value_t = 4096, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_SOBOL_SAMPLES }>)]
    pub sobol_samples: usize,
    /// Bootstrap replicates for the Sobol indices' intervals, at most 2000.
    #[arg(long, default_value_t = 200, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_BOOTSTRAP }>)]
    pub bootstrap: usize,
    /// Random permutations of the Shapley estimator, at most 100000; 0 skips the Shapley
    /// effects.
    #[arg(long, default_value_t = 5_000, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_SHAPLEY_PERMUTATIONS }>)]
    pub shapley_permutations: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads; 0 = one per core, at most 256. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_THREADS }>)]
    pub threads: usize,
    #[command(flatten)]
    pub output: super::OutputArgs,
}

pub fn run(args: SensitivityArgs) -> Result<(), Error> {
    let scenario = load(args.scenario.as_ref(), args.catalogue.as_ref())?;
    crate::input::opened::check_outputs([(args.output.output.as_deref(), "--output")])?;
    let strategy = super::strategy_index(&scenario, args.strategy.as_deref())?;
    let settings = StudySettings {
        metric: args.output_metric,
        strategy,
        trials: args.trials,
        sobol_samples: args.sobol_samples,
        bootstrap: args.bootstrap.max(2),
        shapley_permutations: args.shapley_permutations,
        seed: args.seed,
    };
    let pool = super::worker_pool(args.threads)?;
    let result = pool.install(|| study::study(&scenario, &settings))?;
    let document = document(&result, &scenario.name);
    let exporter = export::exporter(args.output.format.unwrap_or(Format::Table));
    export::write_output(args.output.output.as_deref(), "--output", |out| {
        exporter.document(&document, out)
    })
}

fn unit(metric: OutputMetric) -> Unit {
    match metric {
        OutputMetric::Npv => Unit::Money,
        OutputMetric::PSuccess | OutputMetric::PFailed | OutputMetric::PNpvNegative => {
            Unit::Probability
        }
        _ => Unit::Fraction,
    }
}

fn document(study: &SensitivityStudy, scenario_name: &str) -> Document {
    let u = unit(study.settings.metric);
    let shown = |x: f64| value(u, x);
    let index = |x: f64| format!("{x:.3}");
    let mut sections = vec![Section {
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
                    shown(b.swing),
                ]
            })
            .collect(),
    }];
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
                    format!("{:+.3}", c.spearman),
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
                        index(s.estimate),
                        format!("[{}, {}]", index(s.low), index(s.high)),
                        index(t.estimate),
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
                        index(e.estimate),
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
                    format!("{:.1} %", 100.0 * t.share_all),
                    format!("{:.1} %", 100.0 * t.share_worst),
                    format!("{:.2}×", t.lift),
                    format!(
                        "{:+.1}",
                        (t.share_worst - t.share_all) / t.standard_error.max(1e-12)
                    ),
                ]
            })
            .collect(),
    });
    let mut csv_rows: Vec<Vec<String>> = Vec::new();
    for b in &study.tornado {
        csv_rows.push(row("tornado", &b.input, "low", b.low, None));
        csv_rows.push(row("tornado", &b.input, "high", b.high, None));
    }
    for c in &study.correlations {
        csv_rows.push(row("spearman", &c.input, "rho", c.spearman, None));
        csv_rows.push(row(
            "contribution",
            &c.input,
            "share",
            c.contribution_to_variance,
            None,
        ));
    }
    if let Some(sobol) = &study.sobol {
        for s in &sobol.first_order {
            csv_rows.push(row(
                "sobol_first",
                &s.name,
                "index",
                s.estimate,
                Some((s.low, s.high)),
            ));
        }
        for s in &sobol.total {
            csv_rows.push(row(
                "sobol_total",
                &s.name,
                "index",
                s.estimate,
                Some((s.low, s.high)),
            ));
        }
    }
    if let Some(shapley) = &study.shapley {
        for e in &shapley.effects {
            csv_rows.push(row(
                "shapley",
                &e.name,
                "effect",
                e.estimate,
                Some((e.low, e.high)),
            ));
        }
    }
    for t in &study.tail {
        csv_rows.push(row("tail", &t.factor, "share_all", t.share_all, None));
        csv_rows.push(row("tail", &t.factor, "share_worst", t.share_worst, None));
    }
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
        csv_rows,
    }
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
