//! A sensitivity study of one scenario: which inputs drive one output of one strategy. It maps
//! the scenario onto the estimators of this module — every trial is a function of its uniforms
//! (`CompiledScenario::draw_from_uniforms`), so the same uniforms give common random numbers
//! across the study's variants — and adds the screening measures consultants expect:
//!
//! - an event-level **tornado**: each failure factor ruled out (probability 0) and certain
//!   (probability 1), and each continuous input held at its 10th and 90th percentile;
//! - **rank correlation** (Spearman) of every input with the output, and its **contribution to
//!   variance** ρ²/Σρ² (the convention of spreadsheet tools);
//! - **Sobol indices** of the independent inputs, and **Shapley effects**, which stay valid when
//!   the factors are correlated (see [`super::sobol`], [`super::shapley`]);
//! - a **tail analysis**: how much more often each factor strikes in the worst 10 % of trials.

use super::{ShapleyEffects, SobolIndices, shapley_effects, sobol_indices};
use crate::engine::batch_seed;
use crate::engine::trial::{CompiledScenario, Outcome, OutcomeClass};
use crate::error::Error;
use crate::model::BenefitModel;
use crate::model::distribution::standard_normal_cdf;
use crate::scenario::Scenario;
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::Serialize;

/// The output a study explains: a per-trial value and the statistic reported for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum OutputMetric {
    /// Net present value (mean).
    Npv,
    /// P(success): the success indicator's mean.
    PSuccess,
    /// P(failed).
    PFailed,
    /// P(NPV < 0).
    PNpvNegative,
    /// Cost overrun (mean).
    Overrun,
    /// Schedule slip (mean).
    Slip,
    /// Return on investment (mean).
    Roi,
    /// Share of the planned benefit realised (mean).
    BenefitRealisation,
}

impl OutputMetric {
    pub fn value(self, o: &Outcome) -> f64 {
        let indicator = |b: bool| if b { 1.0 } else { 0.0 };
        match self {
            OutputMetric::Npv => o.npv,
            OutputMetric::PSuccess => indicator(o.class == OutcomeClass::Success),
            OutputMetric::PFailed => indicator(o.class == OutcomeClass::Failed),
            OutputMetric::PNpvNegative => indicator(o.npv < 0.0),
            OutputMetric::Overrun => o.overrun,
            OutputMetric::Slip => o.slip,
            OutputMetric::Roi => o.roi,
            OutputMetric::BenefitRealisation => o.benefit_realisation,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OutputMetric::Npv => "NPV, mean",
            OutputMetric::PSuccess => "P(success)",
            OutputMetric::PFailed => "P(failed)",
            OutputMetric::PNpvNegative => "P(NPV < 0)",
            OutputMetric::Overrun => "Budget overrun, mean",
            OutputMetric::Slip => "Schedule slip, mean",
            OutputMetric::Roi => "ROI, mean",
            OutputMetric::BenefitRealisation => "Benefits realised, mean",
        }
    }

    /// The value by which trials are ranked worst first for the tail analysis: the output itself
    /// where more is worse or better; NPV for the indicators (an indicator has no "worst 10 %").
    fn badness(self, o: &Outcome) -> f64 {
        match self {
            OutputMetric::Overrun => o.overrun,
            OutputMetric::Slip => o.slip,
            OutputMetric::Roi => -o.roi,
            OutputMetric::BenefitRealisation => -o.benefit_realisation,
            _ => -o.npv,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StudySettings {
    pub metric: OutputMetric,
    pub strategy: usize,
    /// Trials for the tornado, the correlations and the tail analysis.
    pub trials: usize,
    /// Base rows of the Sobol design (0 = skip the Sobol indices).
    pub sobol_samples: usize,
    pub bootstrap: usize,
    /// Permutations of the Shapley estimator (0 = skip the Shapley effects).
    pub shapley_permutations: usize,
    pub seed: u64,
}

/// An input of the study: a failure factor (its strike draw and severity) or a continuous input.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    pub name: String,
    pub kind: &'static str,
    /// Its coordinates in a trial's uniforms.
    pub coordinates: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TornadoBar {
    pub input: String,
    pub kind: &'static str,
    /// The output statistic at the low setting (factor ruled out, or input at its P10) …
    pub low: f64,
    /// … and at the high setting (factor certain, or input at its P90).
    pub high: f64,
    pub swing: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RankCorrelation {
    pub input: String,
    pub spearman: f64,
    /// ρ²/Σρ², signed by ρ.
    pub contribution_to_variance: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TailLift {
    pub factor: String,
    /// Share of all trials where the factor struck, and of the worst 10 %.
    pub share_all: f64,
    pub share_worst: f64,
    /// share_worst / share_all.
    pub lift: f64,
    /// SE of share_worst − share_all (two proportions, the tail a subset of all trials).
    pub standard_error: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SensitivityStudy {
    pub settings: StudySettings,
    pub strategy_id: String,
    pub metric_label: &'static str,
    /// The output statistic with every input free.
    pub base: f64,
    pub inputs: Vec<Input>,
    pub tornado: Vec<TornadoBar>,
    pub correlations: Vec<RankCorrelation>,
    pub tail: Vec<TailLift>,
    pub sobol: Option<SobolIndices>,
    pub shapley: Option<ShapleyEffects>,
}

/// Uniforms kept inside (0, 1) so that inverse CDFs stay finite.
fn inside(u: f64) -> f64 {
    u.clamp(1e-16, 1.0 - 1e-16)
}

/// The inputs of a scenario with one strategy, in the order of its uniforms (MODEL.md §4a).
fn inputs(scenario: &Scenario) -> Vec<Input> {
    let n = scenario.factors.len();
    let mut list: Vec<Input> = scenario
        .factors
        .iter()
        .enumerate()
        .map(|(i, f)| Input {
            name: f.id.clone(),
            kind: "factor",
            coordinates: vec![i, n + i],
        })
        .collect();
    for (k, name) in [
        "estimating error: cost",
        "estimating error: schedule",
        "estimating error: benefit",
    ]
    .iter()
    .enumerate()
    {
        list.push(Input {
            name: (*name).into(),
            kind: "continuous",
            coordinates: vec![2 * n + k],
        });
    }
    // The runaway's two uniforms (MODEL.md §5a): whether it strikes, and how large it is.
    for (k, name) in ["runaway: trigger", "runaway: size"].iter().enumerate() {
        list.push(Input {
            name: (*name).into(),
            kind: "continuous",
            coordinates: vec![2 * n + 3 + k],
        });
    }
    let benefit_start = 2 * n + 5;
    match &scenario.benefits {
        BenefitModel::Direct { .. } => list.push(Input {
            name: "annual benefit".into(),
            kind: "continuous",
            coordinates: vec![benefit_start],
        }),
        BenefitModel::Levers { .. } => {
            for (k, lever) in crate::model::LEVERS.iter().enumerate() {
                list.push(Input {
                    name: format!("benefit lever: {lever}"),
                    kind: "continuous",
                    coordinates: vec![benefit_start + k],
                });
            }
        }
    }
    let mitigation_start = benefit_start + scenario.benefits.dimensions();
    // Only the costs the (single) strategy pays can move its output.
    let paid = &scenario.strategies[0].mitigations;
    for (k, m) in scenario
        .mitigations
        .iter()
        .enumerate()
        .filter(|(k, _)| paid.contains(k))
    {
        list.push(Input {
            name: format!("cost of {}", m.id),
            kind: "continuous",
            coordinates: vec![mitigation_start + k],
        });
    }
    list
}

/// One trial's outcome under one strategy, from its uniforms (allocates scratch: the study's
/// evaluations are few next to a run's).
fn outcome_at(compiled: &CompiledScenario, strategy: usize, uniforms: &[f64]) -> Outcome {
    let mut scratch = compiled.scratch();
    let mut presence = vec![0u64; compiled.strategies * compiled.factors];
    compiled.draw_from_uniforms(uniforms, &mut scratch);
    compiled.evaluate_all(&mut scratch, &mut presence);
    scratch.outcomes[strategy]
}

/// `trials` uniform vectors, seeded by (seed, chunk) like the engine's batches.
fn uniforms(dimensions: usize, trials: usize, seed: u64) -> Vec<Vec<f64>> {
    const CHUNK: usize = 1024;
    (0..trials.div_ceil(CHUNK))
        .into_par_iter()
        .flat_map_iter(|chunk| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(batch_seed(seed, chunk as u64));
            let rows = CHUNK.min(trials - chunk * CHUNK);
            (0..rows)
                .map(|_| {
                    (0..dimensions)
                        .map(|_| inside(rng.random::<f64>()))
                        .collect()
                })
                .collect::<Vec<Vec<f64>>>()
        })
        .collect()
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Average ranks (ties share their mean rank).
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut rank = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        let average = (start + end) as f64 / 2.0 + 1.0;
        for &i in &order[start..=end] {
            rank[i] = average;
        }
        start = end + 1;
    }
    rank
}

/// Spearman's ρ: Pearson's correlation of the average ranks; 0 when either side is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let (rx, ry) = (ranks(x), ranks(y));
    let (mx, my) = (mean(&rx), mean(&ry));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// The empirical CDF of a sample, at mid-ranks: `(#below + #equal/2) / n`, so ties share their
/// mean rank and a sample's own values map to its normalised mid-ranks.
pub struct EmpiricalCdf {
    sorted: Vec<f64>,
}

impl EmpiricalCdf {
    pub fn new(sample: &[f64]) -> Self {
        let mut sorted = sample.to_vec();
        sorted.sort_by(f64::total_cmp);
        EmpiricalCdf { sorted }
    }

    pub fn at(&self, x: f64) -> f64 {
        let n = self.sorted.len().max(1) as f64;
        let below = self.sorted.partition_point(|&v| v < x) as f64;
        let up_to = self.sorted.partition_point(|&v| v <= x) as f64;
        (below + 0.5 * (up_to - below)) / n
    }
}

/// Run the study.
pub fn study(scenario: &Scenario, settings: &StudySettings) -> Result<SensitivityStudy, Error> {
    // Only the studied strategy is evaluated: the others would cost time and change nothing.
    let mut scenario = scenario.clone();
    let strategy_id = scenario.strategies[settings.strategy].id.clone();
    let kept = scenario.strategies.swap_remove(settings.strategy);
    scenario.strategies = vec![kept];
    scenario.baseline = 0;
    let scenario = &scenario;
    let strategy = 0;
    let compiled = CompiledScenario::new(scenario);
    let dimensions = compiled.dimensions();
    let inputs = inputs(scenario);
    let metric = settings.metric;
    let points = uniforms(dimensions, settings.trials, settings.seed);
    let statistic = |compiled: &CompiledScenario, modify: &(dyn Fn(&mut [f64]) + Sync)| -> f64 {
        let values: Vec<f64> = points
            .par_iter()
            .map(|u| {
                let mut u = u.clone();
                modify(&mut u);
                metric.value(&outcome_at(compiled, strategy, &u))
            })
            .collect();
        mean(&values)
    };
    let outcomes: Vec<Outcome> = points
        .par_iter()
        .map(|u| outcome_at(&compiled, strategy, u))
        .collect();
    let output: Vec<f64> = outcomes.iter().map(|o| metric.value(o)).collect();
    let base = mean(&output);

    // Tornado: factors ruled out / certain on the same uniforms; continuous inputs at P10 / P90.
    let mut tornado = Vec::new();
    for input in &inputs {
        let (low, high) = if input.kind == "factor" {
            let i = input.coordinates[0];
            let at = |p: f64| {
                let mut variant = scenario.clone();
                variant.factors[i].probability = p;
                statistic(&CompiledScenario::new(&variant), &|_| {})
            };
            (at(0.0), at(1.0))
        } else {
            let k = input.coordinates[0];
            (
                statistic(&compiled, &|u| u[k] = 0.1),
                statistic(&compiled, &|u| u[k] = 0.9),
            )
        };
        tornado.push(TornadoBar {
            input: input.name.clone(),
            kind: input.kind,
            low,
            high,
            swing: high - low,
        });
    }
    tornado.sort_by(|a, b| b.swing.abs().total_cmp(&a.swing.abs()));

    // Rank correlations: a factor's value is its severity when it struck under the strategy
    // (0 otherwise); a continuous input's is its uniform (rank-equivalent to its value).
    let struck: Vec<Vec<f64>> = points
        .par_iter()
        .map(|u| {
            let mut scratch = compiled.scratch();
            let mut presence = vec![0u64; compiled.strategies * compiled.factors];
            compiled.draw_from_uniforms(u, &mut scratch);
            compiled.evaluate_all(&mut scratch, &mut presence);
            let mut severities = vec![0.0; compiled.factors];
            compiled.severities(&scratch, strategy, &mut severities);
            severities
        })
        .collect();
    let mut correlations: Vec<RankCorrelation> = inputs
        .iter()
        .enumerate()
        .map(|(k, input)| {
            let values: Vec<f64> = if input.kind == "factor" {
                struck.iter().map(|s| s[k]).collect()
            } else {
                points.iter().map(|u| u[input.coordinates[0]]).collect()
            };
            RankCorrelation {
                input: input.name.clone(),
                spearman: spearman(&values, &output),
                contribution_to_variance: 0.0,
            }
        })
        .collect();
    let total: f64 = correlations.iter().map(|c| c.spearman.powi(2)).sum();
    for c in &mut correlations {
        c.contribution_to_variance = if total > 0.0 {
            c.spearman.signum() * c.spearman.powi(2) / total
        } else {
            0.0
        };
    }
    correlations.sort_by(|a, b| b.spearman.abs().total_cmp(&a.spearman.abs()));

    // Tail: the worst 10 % of trials by the metric's badness (ties by trial index).
    let mut order: Vec<usize> = (0..outcomes.len()).collect();
    order.sort_by(|&a, &b| {
        metric
            .badness(&outcomes[b])
            .total_cmp(&metric.badness(&outcomes[a]))
            .then(a.cmp(&b))
    });
    let worst = &order[..(outcomes.len() / 10).max(1)];
    let n_all = outcomes.len() as f64;
    let n_worst = worst.len() as f64;
    let mut tail: Vec<TailLift> = scenario
        .factors
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let share_all = struck.iter().filter(|s| s[i] > 0.0).count() as f64 / n_all;
            let share_worst =
                worst.iter().filter(|&&t| struck[t][i] > 0.0).count() as f64 / n_worst;
            // The tail is part of all trials: Var(p_w − p_a) ≈ p(1 − p)(1/n_w − 1/n_a) under
            // the null of no association.
            let standard_error = (share_all * (1.0 - share_all) * (1.0 / n_worst - 1.0 / n_all))
                .max(0.0)
                .sqrt();
            TailLift {
                factor: f.id.clone(),
                share_all,
                share_worst,
                lift: if share_all > 0.0 {
                    share_worst / share_all
                } else {
                    f64::NAN
                },
                standard_error,
            }
        })
        .collect();
    tail.sort_by(|a, b| b.lift.total_cmp(&a.lift));

    let groups: Vec<(String, Vec<usize>)> = inputs
        .iter()
        .map(|i| (i.name.clone(), i.coordinates.clone()))
        .collect();
    // The variance-based measures work on the output's rank: its value under the base
    // sample's empirical CDF. With the runaway's tail index 2 (MODEL.md §5a) the variance of the
    // NPV, the ROI and the overrun does not exist, and their variance shares would be set by a
    // handful of trials; the rank's variance always exists, and a monotone transform keeps
    // which inputs move the output and how. For a 0/1 output the rank is affine in it.
    let rank = EmpiricalCdf::new(&output);
    let model = |u: &[f64]| rank.at(metric.value(&outcome_at(&compiled, strategy, u)));
    let failed = |e: super::SensitivityError| Error::BadOption {
        option: "sensitivity".into(),
        message: e.to_string(),
        fix: "choose another --output-metric or strategy, or more trials".into(),
    };
    let sobol = (settings.sobol_samples > 0)
        .then(|| {
            sobol_indices(
                model,
                dimensions,
                &groups,
                settings.sobol_samples,
                settings.seed,
                settings.bootstrap,
            )
        })
        .transpose()
        .map_err(failed)?;
    // Shapley effects share out the whole variance, so every coordinate needs a player: the
    // costs of mitigations the strategy does not buy form one (it gets ≈ 0).
    let mut players = groups.clone();
    let covered: Vec<usize> = groups.iter().flat_map(|g| g.1.iter().copied()).collect();
    let idle: Vec<usize> = (0..dimensions).filter(|k| !covered.contains(k)).collect();
    if !idle.is_empty() {
        players.push(("costs of mitigations not bought".into(), idle));
    }
    let shapley = (settings.shapley_permutations > 0)
        .then(|| {
            shapley(
                &compiled, scenario, metric, strategy, &players, settings, &rank,
            )
        })
        .transpose()
        .map_err(failed)?;
    Ok(SensitivityStudy {
        settings: settings.clone(),
        strategy_id,
        metric_label: metric.label(),
        base,
        inputs,
        tornado,
        correlations,
        tail,
        sobol,
        shapley,
    })
}

/// Shapley effects in normal space: the factors' latent normals z ~ N(0, R) (the copula's
/// correlation), every other input an independent standard normal. A point x maps back to the
/// trial's uniforms by e = L⁻¹z for the factor normals (so that the engine's L·e gives z back)
/// and u = Φ(·) for each coordinate.
fn shapley(
    compiled: &CompiledScenario,
    scenario: &Scenario,
    metric: OutputMetric,
    strategy: usize,
    groups: &[(String, Vec<usize>)],
    settings: &StudySettings,
    rank: &EmpiricalCdf,
) -> Result<ShapleyEffects, super::SensitivityError> {
    let n = scenario.factors.len();
    let dimensions = compiled.dimensions();
    let correlation = &scenario.correlation.matrix;
    let mut covariance = DMatrix::identity(dimensions, dimensions);
    covariance.view_mut((0, 0), (n, n)).copy_from(correlation);
    // The matrix was factored when the scenario was validated, so this cannot fail; an
    // identity fallback would only make the effects those of independent factors.
    let lower = correlation
        .clone()
        .cholesky()
        .map(|c| c.l())
        .unwrap_or_else(|| DMatrix::identity(n, n));
    let model = |x: &[f64]| {
        let z = nalgebra::DVector::from_column_slice(&x[..n]);
        let e = lower
            .solve_lower_triangular(&z)
            .unwrap_or_else(|| z.clone());
        let mut u = vec![0.0; dimensions];
        for (k, slot) in u.iter_mut().enumerate() {
            let value = if k < n { e[k] } else { x[k] };
            *slot = inside(standard_normal_cdf(value));
        }
        rank.at(metric.value(&outcome_at(compiled, strategy, &u)))
    };
    shapley_effects(
        model,
        &covariance,
        groups,
        settings.shapley_permutations,
        1,
        3,
        settings.seed,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empirical_cdf_is_at_mid_ranks() {
        let cdf = EmpiricalCdf::new(&[3.0, 1.0, 2.0, 2.0]);
        assert_eq!(cdf.at(0.0), 0.0);
        assert_eq!(cdf.at(1.0), 0.125);
        assert_eq!(cdf.at(2.0), 0.5);
        assert_eq!(cdf.at(2.5), 0.75);
        assert_eq!(cdf.at(9.0), 1.0);
    }

    #[test]
    fn spearman_of_known_cases() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert!((spearman(&x, &[2.0, 4.0, 6.0, 8.0, 10.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&x, &[5.0, 4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        // Ties share ranks: x ranks (1.5, 1.5, 3), y ranks (1, 2, 3): ρ = 0.866…
        let rho = spearman(&[0.0, 0.0, 1.0], &[1.0, 2.0, 3.0]);
        assert!((rho - 3f64.sqrt() / 2.0).abs() < 1e-12);
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), 0.0);
    }
}
