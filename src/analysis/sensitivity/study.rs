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

use super::screening::{self, EmpiricalCdf};
use super::{
    Design, Permutations, SensitivityError, ShapleyEffects, SobolIndices, shapley_effects_with,
    sobol_indices_with,
};
use crate::engine::block::OutcomeBlock;
use crate::engine::trial::{CompiledScenario, LaneScratch, Outcome, OutcomeClass};
use crate::engine::{NoObserver, Observer, batch_seed};
use crate::error::Error;
use crate::model::BenefitModel;
use crate::model::distribution::standard_normal_cdf;
use crate::model::vmath::LANES;
use crate::scenario::Scenario;
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::Serialize;

pub use super::screening::{RankCorrelation, TailLift, TornadoBar, spearman};

/// The output a study explains: a per-trial value and the statistic reported for it. Its ids are
/// those of the report's metrics (`crmcast run --format json`); the older kebab-case spellings
/// stay accepted as hidden aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum OutputMetric {
    /// Net present value (mean).
    #[value(name = "npv_mean", alias = "npv")]
    #[serde(rename = "npv_mean")]
    Npv,
    /// P(success): the success indicator's mean.
    #[value(name = "p_success", alias = "p-success")]
    #[serde(rename = "p_success")]
    PSuccess,
    /// P(failed).
    #[value(name = "p_failed", alias = "p-failed")]
    #[serde(rename = "p_failed")]
    PFailed,
    /// P(NPV < 0).
    #[value(name = "p_npv_negative", alias = "p-npv-negative")]
    #[serde(rename = "p_npv_negative")]
    PNpvNegative,
    /// Cost overrun (mean).
    #[value(name = "overrun_mean", alias = "overrun")]
    #[serde(rename = "overrun_mean")]
    Overrun,
    /// Schedule slip (mean).
    #[value(name = "slip_mean", alias = "slip")]
    #[serde(rename = "slip_mean")]
    Slip,
    /// Return on investment (mean).
    #[value(name = "roi_mean", alias = "roi")]
    #[serde(rename = "roi_mean")]
    Roi,
    /// Share of the planned benefit realised (mean).
    #[value(name = "benefit_realisation_mean", alias = "benefit-realisation")]
    #[serde(rename = "benefit_realisation_mean")]
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
    pub(super) fn badness(self, o: &Outcome) -> f64 {
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
    /// One ranking of the inputs and where the measures disagree with it ([`super::summary`]).
    pub summary: Option<super::summary::Summary>,
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

/// Scratch of one task for the variance-based measures: the lanes its points are evaluated in.
struct Scratch {
    uniforms: Vec<f64>,
    /// The Shapley model's point in normal space, and the normals behind `uniforms` at its last
    /// evaluation: a coordinate whose normal did not change keeps its uniform (Φ of the same
    /// number), which spares most Φ evaluations of the inner conditional draws.
    normals: Vec<f64>,
    last_normals: Vec<f64>,
    /// The lane core's scratch and block, for models that evaluate points eight at a time.
    lanes: LaneScratch,
    block: OutcomeBlock,
}

impl Scratch {
    fn new(compiled: &CompiledScenario) -> Self {
        let dimensions = compiled.dimensions();
        Scratch {
            uniforms: vec![0.0; dimensions],
            normals: vec![0.0; dimensions],
            last_normals: vec![f64::NAN; dimensions],
            lanes: compiled.lane_scratch(),
            block: OutcomeBlock::new(compiled.strategies),
        }
    }
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

/// The study's inputs for `scenario` reduced to its one studied strategy.
fn single_strategy(scenario: &Scenario, strategy: usize) -> Scenario {
    let mut scenario = scenario.clone();
    let kept = scenario.strategies.swap_remove(strategy);
    scenario.strategies = vec![kept];
    scenario.baseline = 0;
    scenario
}

/// The Shapley players: the study's inputs, and the costs of the mitigations the strategy does
/// not buy as one more (Shapley effects share out the whole variance, so every coordinate needs a
/// player; this one gets ≈ 0).
fn players(inputs: &[Input], dimensions: usize) -> Vec<(String, Vec<usize>)> {
    let mut players: Vec<(String, Vec<usize>)> = inputs
        .iter()
        .map(|i| (i.name.clone(), i.coordinates.clone()))
        .collect();
    let covered: Vec<usize> = players.iter().flat_map(|g| g.1.iter().copied()).collect();
    let idle: Vec<usize> = (0..dimensions).filter(|k| !covered.contains(k)).collect();
    if !idle.is_empty() {
        players.push(("costs of mitigations not bought".into(), idle));
    }
    players
}

/// The model evaluations a study with `settings` makes: what its progress bar counts to.
pub fn planned_evaluations(scenario: &Scenario, settings: &StudySettings) -> u64 {
    let scenario = single_strategy(
        scenario,
        settings.strategy.min(scenario.strategies.len() - 1),
    );
    let inputs = inputs(&scenario);
    let dimensions = CompiledScenario::new(&scenario).dimensions();
    let sobol = if settings.sobol_samples > 0 {
        settings.sobol_samples as u64 * (inputs.len() as u64 + 2)
    } else {
        0
    };
    let shapley =
        settings.shapley_permutations as u64 * players(&inputs, dimensions).len() as u64 * 3;
    settings.trials as u64 * screening::evaluations_per_trial(&inputs) + sobol + shapley
}

/// Run the study.
pub fn study(scenario: &Scenario, settings: &StudySettings) -> Result<SensitivityStudy, Error> {
    study_observed(scenario, settings, &NoObserver)
}

/// Run the study, telling `observer` of every model evaluation done; it may stop the study
/// ([`Error::Interrupted`]).
pub fn study_observed(
    scenario: &Scenario,
    settings: &StudySettings,
    observer: &dyn Observer,
) -> Result<SensitivityStudy, Error> {
    // Only the studied strategy is evaluated: the others would cost time and change nothing.
    let strategy_id = scenario.strategies[settings.strategy].id.clone();
    let scenario = &single_strategy(scenario, settings.strategy);
    let compiled = CompiledScenario::new(scenario);
    let dimensions = compiled.dimensions();
    let inputs = inputs(scenario);
    let metric = settings.metric;
    let interrupted = || Error::Interrupted {
        done: "part of the sensitivity study".into(),
        fix: ", or use fewer --trials, --sobol-samples or --shapley-permutations",
    };
    let points = uniforms(dimensions, settings.trials, settings.seed);
    let screening = screening::screen(scenario, &compiled, &inputs, metric, &points, observer)
        .ok_or_else(interrupted)?;
    drop(points);

    let groups: Vec<(String, Vec<usize>)> = inputs
        .iter()
        .map(|i| (i.name.clone(), i.coordinates.clone()))
        .collect();
    // The variance-based measures work on the output's rank: its value under the base
    // sample's empirical CDF. With the runaway's tail index 2 (MODEL.md §5a) the variance of the
    // NPV, the ROI and the overrun does not exist, and their variance shares would be set by a
    // handful of trials; the rank's variance always exists, and a monotone transform keeps
    // which inputs move the output and how. For a 0/1 output the rank is affine in it.
    let rank = EmpiricalCdf::new(&screening.output);
    let failed = |e: SensitivityError| match e {
        SensitivityError::Interrupted => interrupted(),
        e => Error::BadOption {
            option: "sensitivity".into(),
            message: e.to_string(),
            fix: "choose another --output-metric or strategy, or more trials".into(),
        },
    };
    let sobol = (settings.sobol_samples > 0)
        .then(|| {
            // Points in lanes of eight, drawn and evaluated together by the lane core.
            let model = |scratch: &mut Scratch, points: &[f64], outputs: &mut [f64]| {
                for (group, outputs) in points
                    .chunks(dimensions * LANES)
                    .zip(outputs.chunks_mut(LANES))
                {
                    let valid = scratch.lanes.load_points(group.chunks(dimensions));
                    scratch.block.clear();
                    compiled.evaluate_points(&mut scratch.lanes, valid, &mut scratch.block);
                    for (k, output) in outputs.iter_mut().enumerate() {
                        *output = rank.at(metric.value(&scratch.block.outcome(0, k)));
                    }
                }
            };
            let design = Design {
                dimensions,
                groups: &groups,
                samples: settings.sobol_samples,
                seed: settings.seed,
                bootstrap: settings.bootstrap,
            };
            sobol_indices_with(|| Scratch::new(&compiled), model, &design, observer)
        })
        .transpose()
        .map_err(failed)?;
    let players = players(&inputs, dimensions);
    let shapley = (settings.shapley_permutations > 0)
        .then(|| {
            shapley(
                &compiled, scenario, metric, &players, settings, &rank, observer,
            )
        })
        .transpose()
        .map_err(failed)?;
    let mut study = SensitivityStudy {
        settings: settings.clone(),
        strategy_id,
        metric_label: metric.label(),
        base: screening.base,
        inputs,
        tornado: screening.tornado,
        correlations: screening.correlations,
        tail: screening.tail,
        sobol,
        shapley,
        summary: None,
    };
    study.summary = Some(super::summary::summarise(&study));
    Ok(study)
}

/// Shapley effects in normal space: the factors' latent normals z ~ N(0, R) (the copula's
/// correlation), every other input an independent standard normal. A point x maps back to the
/// trial's uniforms by e = L⁻¹z for the factor normals (so that the engine's L·e gives z back)
/// and u = Φ(·) for each coordinate.
fn shapley(
    compiled: &CompiledScenario,
    scenario: &Scenario,
    metric: OutputMetric,
    groups: &[(String, Vec<usize>)],
    settings: &StudySettings,
    rank: &EmpiricalCdf,
    observer: &dyn Observer,
) -> Result<ShapleyEffects, SensitivityError> {
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
    // Points in lanes of eight: each mapped to its uniforms (into its lane), then the eight
    // drawn and evaluated together by the lane core.
    let model = |scratch: &mut Scratch, points: &[f64], outputs: &mut [f64]| {
        for (group, outputs) in points
            .chunks(dimensions * LANES)
            .zip(outputs.chunks_mut(LANES))
        {
            for (lane, x) in group.chunks(dimensions).enumerate() {
                // e = L⁻¹z by forward substitution.
                for i in 0..n {
                    let known: f64 = (0..i).map(|j| lower[(i, j)] * scratch.normals[j]).sum();
                    scratch.normals[i] = (x[i] - known) / lower[(i, i)];
                }
                scratch.normals[n..].copy_from_slice(&x[n..]);
                for ((slot, last), &value) in scratch
                    .uniforms
                    .iter_mut()
                    .zip(scratch.last_normals.iter_mut())
                    .zip(&scratch.normals)
                {
                    // Bit for bit the same number gives the same uniform (NaN is always
                    // recomputed).
                    if value.to_bits() != last.to_bits() || value.is_nan() {
                        *last = value;
                        *slot = inside(standard_normal_cdf(value));
                    }
                }
                scratch.lanes.set_lane(lane, &scratch.uniforms);
            }
            let valid = outputs.len();
            scratch.lanes.pad_lanes(valid);
            scratch.block.clear();
            compiled.evaluate_points(&mut scratch.lanes, valid, &mut scratch.block);
            for (k, output) in outputs.iter_mut().enumerate() {
                *output = rank.at(metric.value(&scratch.block.outcome(0, k)));
            }
        }
    };
    let problem = Permutations {
        covariance: &covariance,
        groups,
        permutations: settings.shapley_permutations,
        outer: 1,
        inner: 3,
        seed: settings.seed,
    };
    shapley_effects_with(|| Scratch::new(compiled), model, &problem, observer)
}

/// For the tests of the screening pass: the study's pieces.
#[cfg(test)]
pub(super) fn inputs_of(scenario: &Scenario) -> Vec<Input> {
    inputs(scenario)
}
#[cfg(test)]
pub(super) fn single_strategy_of(scenario: &Scenario, strategy: usize) -> Scenario {
    single_strategy(scenario, strategy)
}
#[cfg(test)]
pub(super) fn uniforms_of(dimensions: usize, trials: usize, seed: u64) -> Vec<Vec<f64>> {
    uniforms(dimensions, trials, seed)
}
