//! The screening measures of a sensitivity study, all from one pass over the study's trials: the
//! event-level tornado, the rank correlations with their contribution to variance, and the tail
//! analysis (how much more often each factor strikes in the worst 10 %). Each trial is evaluated
//! once as drawn and once per tornado setting that can change it; every measure and its standard
//! error is read from those same evaluations.
//!
//! A factor's tornado needs one evaluation per trial, not two: ruling a factor out (probability 0)
//! changes nothing in a trial where it did not strike, and making it certain (probability 1) changes
//! nothing in a trial where it struck, because both keep the trial's latent normals and severity
//! draws and only move the factor's threshold (MODEL.md §4a). So a trial where the factor struck
//! is its own "certain" value and is re-evaluated only with the factor ruled out, and the other
//! way round (`tests::the_shortcut_is_the_full_tornado` checks this bit for bit).

use super::NORMAL_95;
use super::study::{Input, OutputMetric};
use crate::engine::Observer;
use crate::engine::block::OutcomeBlock;
use crate::engine::trial::{CompiledScenario, LaneScratch, Outcome};
use crate::model::vmath::LANES;
use crate::scenario::Scenario;
use rayon::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct TornadoBar {
    pub input: String,
    pub kind: &'static str,
    /// The output statistic at the low setting (factor ruled out, or input at its P10) …
    pub low: f64,
    /// … and at the high setting (factor certain, or input at its P90).
    pub high: f64,
    pub swing: f64,
    /// SE of the swing: the sd of the per-trial differences (high − low, on the same trial) / √n.
    pub standard_error: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RankCorrelation {
    pub input: String,
    pub spearman: f64,
    /// ρ²/Σρ², signed by ρ.
    pub contribution_to_variance: f64,
    /// 95 % interval of ρ by Fisher's z with Spearman's variance 1.06/(n − 3) (Fieller, Hartley
    /// & Pearson 1957).
    pub low: f64,
    pub high: f64,
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

/// What the pass leaves.
pub struct Screening {
    /// The per-trial output as drawn.
    pub output: Vec<f64>,
    pub base: f64,
    pub tornado: Vec<TornadoBar>,
    pub correlations: Vec<RankCorrelation>,
    pub tail: Vec<TailLift>,
}

/// Trials per task: fixed, so the work and its order do not depend on the threads.
const CHUNK: usize = 512;

/// Model evaluations per trial of the pass: one as drawn, one per factor, two per other input.
pub fn evaluations_per_trial(inputs: &[Input]) -> u64 {
    1 + inputs
        .iter()
        .map(|i| if i.kind == "factor" { 1 } else { 2 })
        .sum::<u64>()
}

/// One trial's evaluations: the output as drawn, at each input's low and high setting, each
/// factor's severity (0 when it did not strike) and whether it struck.
struct TrialValues {
    output: f64,
    low: Vec<f64>,
    high: Vec<f64>,
    severity: Vec<f64>,
    struck: Vec<bool>,
    outcome: Outcome,
}

/// Runs the pass. `compiled` is the scenario with its one strategy; `ruled_out[i]` and
/// `certain[i]` the same with factor `i` at probability 0 and 1. `None` when the observer asks
/// to stop.
pub fn screen(
    scenario: &Scenario,
    compiled: &CompiledScenario,
    inputs: &[Input],
    metric: OutputMetric,
    points: &[Vec<f64>],
    observer: &dyn Observer,
) -> Option<Screening> {
    let variants: Vec<(CompiledScenario, CompiledScenario)> = (0..scenario.factors.len())
        .into_par_iter()
        .map(|i| {
            let at = |p: f64| {
                let mut variant = scenario.clone();
                variant.factors[i].probability = p;
                CompiledScenario::new(&variant)
            };
            (at(0.0), at(1.0))
        })
        .collect();
    debug_assert!(
        variants
            .iter()
            .all(|(a, b)| compiled.shares_draws_with(a) && compiled.shares_draws_with(b))
    );
    let per_trial = evaluations_per_trial(inputs);
    let chunks: Vec<Option<Vec<TrialValues>>> = points
        .par_chunks(CHUNK)
        .map(|chunk| {
            if observer.should_stop() {
                return None;
            }
            let mut lanes = compiled.lane_scratch();
            let mut block = OutcomeBlock::new(1);
            let mut values = Vec::with_capacity(chunk.len());
            for group in chunk.chunks(LANES) {
                let valid = lanes.load_points(group.iter().map(Vec::as_slice));
                screen_lanes(
                    compiled,
                    &variants,
                    inputs,
                    metric,
                    (&mut lanes, &mut block, valid),
                    &mut values,
                );
            }
            observer.advance(per_trial * chunk.len() as u64);
            Some(values)
        })
        .collect();
    let mut trials = Vec::with_capacity(points.len());
    for chunk in chunks {
        trials.extend(chunk?);
    }
    Some(summarise(scenario, inputs, points, metric, &trials))
}

/// The screening evaluations of the (up to eight) trials loaded in `lanes`, appended to
/// `values` in trial order. A factor's variants only move its threshold, so they are evaluated
/// on the trials' own draws; a continuous input (a coordinate from `2·factors` on) is set in
/// every lane and only the shared draws are redrawn.
fn screen_lanes(
    compiled: &CompiledScenario,
    variants: &[(CompiledScenario, CompiledScenario)],
    inputs: &[Input],
    metric: OutputMetric,
    (lanes, block, valid): (&mut LaneScratch, &mut OutcomeBlock, usize),
    values: &mut Vec<TrialValues>,
) {
    // The metric in each valid lane of what was just evaluated into the (emptied) block.
    let read = |block: &mut OutcomeBlock| -> [f64; LANES] {
        let out = std::array::from_fn(|k| {
            if k < block.len {
                metric.value(&block.outcome(0, k))
            } else {
                0.0
            }
        });
        block.clear();
        out
    };
    block.clear();
    compiled.evaluate_points(lanes, valid, block);
    let outcomes: Vec<Outcome> = (0..valid).map(|k| block.outcome(0, k)).collect();
    let output = read(block);
    let factors = compiled.factors;
    let drawn: Vec<([bool; LANES], [f64; LANES])> = (0..factors)
        .map(|i| compiled.struck_lanes(lanes, 0, i))
        .collect();
    let (mut low, mut high) = (
        vec![[0.0; LANES]; inputs.len()],
        vec![[0.0; LANES]; inputs.len()],
    );
    for (k, input) in inputs
        .iter()
        .enumerate()
        .filter(|(_, i)| i.kind == "factor")
    {
        let i = input.coordinates[0];
        let struck = &drawn[i].0;
        let (ruled_out, certain) = &variants[i];
        // Where it struck, ruling it out is the only change; elsewhere, making it certain.
        let evaluate = |variant: &CompiledScenario, lanes: &mut LaneScratch, block: &mut _| {
            variant.evaluate_drawn(lanes, valid, block);
            read(block)
        };
        let without = if struck[..valid].iter().any(|&s| s) {
            evaluate(ruled_out, lanes, block)
        } else {
            output
        };
        let with = if struck[..valid].iter().any(|&s| !s) {
            evaluate(certain, lanes, block)
        } else {
            output
        };
        for lane in 0..valid {
            (low[k][lane], high[k][lane]) = if struck[lane] {
                (without[lane], output[lane])
            } else {
                (output[lane], with[lane])
            };
        }
    }
    for (k, input) in inputs
        .iter()
        .enumerate()
        .filter(|(_, i)| i.kind != "factor")
    {
        let c = input.coordinates[0];
        debug_assert!(
            c >= 2 * factors,
            "a continuous input is in the shared draws"
        );
        let drawn_here = lanes.replace_coordinate(c, [0.1; LANES]);
        compiled.evaluate_redrawn_shared(lanes, valid, block);
        low[k] = read(block);
        lanes.replace_coordinate(c, [0.9; LANES]);
        compiled.evaluate_redrawn_shared(lanes, valid, block);
        high[k] = read(block);
        lanes.replace_coordinate(c, drawn_here);
    }
    for (lane, outcome) in outcomes.into_iter().enumerate() {
        values.push(TrialValues {
            output: output[lane],
            low: low.iter().map(|l| l[lane]).collect(),
            high: high.iter().map(|h| h[lane]).collect(),
            severity: drawn.iter().map(|d| d.1[lane]).collect(),
            struck: drawn.iter().map(|d| d.0[lane]).collect(),
            outcome,
        });
    }
}

fn summarise(
    scenario: &Scenario,
    inputs: &[Input],
    points: &[Vec<f64>],
    metric: OutputMetric,
    trials: &[TrialValues],
) -> Screening {
    let n = trials.len() as f64;
    let output: Vec<f64> = trials.iter().map(|t| t.output).collect();
    let base = mean(&output);

    let mut tornado: Vec<TornadoBar> = inputs
        .iter()
        .enumerate()
        .map(|(k, input)| {
            let low = trials.iter().map(|t| t.low[k]).sum::<f64>() / n;
            let high = trials.iter().map(|t| t.high[k]).sum::<f64>() / n;
            let swing = high - low;
            let squares: f64 = trials
                .iter()
                .map(|t| (t.high[k] - t.low[k] - swing).powi(2))
                .sum();
            TornadoBar {
                input: input.name.clone(),
                kind: input.kind,
                low,
                high,
                swing,
                standard_error: (squares / (n - 1.0).max(1.0) / n).sqrt(),
            }
        })
        .collect();
    tornado.sort_by(|a, b| b.swing.abs().total_cmp(&a.swing.abs()));

    // Rank correlations: a factor's value is its severity when it struck under the strategy
    // (0 otherwise); a continuous input's is its uniform (rank-equivalent to its value).
    let half_width = NORMAL_95 * (1.06 / (n - 3.0).max(1.0)).sqrt();
    let mut correlations: Vec<RankCorrelation> = inputs
        .iter()
        .map(|input| {
            let c = input.coordinates[0];
            let values: Vec<f64> = if input.kind == "factor" {
                trials.iter().map(|t| t.severity[c]).collect()
            } else {
                points.iter().map(|u| u[c]).collect()
            };
            let spearman = spearman(&values, &output);
            let z = spearman.clamp(-0.999_999_999, 0.999_999_999).atanh();
            RankCorrelation {
                input: input.name.clone(),
                spearman,
                contribution_to_variance: 0.0,
                low: (z - half_width).tanh(),
                high: (z + half_width).tanh(),
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
    let mut order: Vec<usize> = (0..trials.len()).collect();
    order.sort_by(|&a, &b| {
        metric
            .badness(&trials[b].outcome)
            .total_cmp(&metric.badness(&trials[a].outcome))
            .then(a.cmp(&b))
    });
    let worst = &order[..(trials.len() / 10).max(1)];
    let n_worst = worst.len() as f64;
    let mut tail: Vec<TailLift> = scenario
        .factors
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let share_all = trials.iter().filter(|t| t.struck[i]).count() as f64 / n;
            let share_worst =
                worst.iter().filter(|&&t| trials[t].struck[i]).count() as f64 / n_worst;
            // The tail is part of all trials: Var(p_w − p_a) ≈ p(1 − p)(1/n_w − 1/n_a) under
            // the null of no association.
            let standard_error = (share_all * (1.0 - share_all) * (1.0 / n_worst - 1.0 / n))
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
    Screening {
        output,
        base,
        tornado,
        correlations,
        tail,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::sensitivity::study::{inputs_of, single_strategy_of, uniforms_of};
    use crate::engine::NoObserver;
    use crate::engine::trial::TrialScratch;

    /// A compiled scenario with its own scratch (a scratch belongs to the scenario that made it).
    struct Evaluator<'a> {
        compiled: &'a CompiledScenario,
        scratch: TrialScratch,
        presence: Vec<u64>,
    }

    impl<'a> Evaluator<'a> {
        fn new(compiled: &'a CompiledScenario) -> Self {
            Evaluator {
                compiled,
                scratch: compiled.scratch(),
                presence: vec![0; compiled.strategies * compiled.factors],
            }
        }

        /// The outcome of the (single) strategy at `uniforms`.
        fn outcome(&mut self, uniforms: &[f64]) -> Outcome {
            self.compiled
                .draw_from_uniforms(uniforms, &mut self.scratch);
            self.presence.fill(0);
            self.compiled
                .evaluate_all(&mut self.scratch, &mut self.presence);
            self.scratch.outcomes[0]
        }
    }

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

    /// The one-evaluation tornado of a factor equals evaluating every trial with the factor ruled
    /// out and certain, bit for bit: on the default scenario's baseline and on a strategy whose
    /// mitigations lower probabilities (where "certain" is p = 1 times the mitigation). The lane
    /// evaluation of the pass is the one-trial path's, continuous inputs included.
    #[test]
    fn the_shortcut_is_the_full_tornado() {
        let retail = Scenario::from_source_with(
            &crate::scenario::source::Source::new(
                "retail_chain.toml",
                include_str!("../../../scenarios/retail_chain.toml").to_string(),
            ),
            None,
        )
        .expect("retail chain");
        let cases = [
            (Scenario::builtin_default().expect("default"), 0),
            (retail, 2),
        ];
        for (scenario, strategy) in cases {
            let scenario = single_strategy_of(&scenario, strategy);
            let compiled = CompiledScenario::new(&scenario);
            let inputs = inputs_of(&scenario);
            let points = uniforms_of(compiled.dimensions(), 400, 3);
            for metric in [OutputMetric::Npv, OutputMetric::PSuccess] {
                let screened = screen(&scenario, &compiled, &inputs, metric, &points, &NoObserver)
                    .expect("not stopped");
                for input in inputs.iter().filter(|i| i.kind == "factor") {
                    let at = |p: f64| {
                        let mut variant = scenario.clone();
                        variant.factors[input.coordinates[0]].probability = p;
                        let compiled = CompiledScenario::new(&variant);
                        let mut evaluator = Evaluator::new(&compiled);
                        let sum: f64 = points
                            .iter()
                            .map(|u| metric.value(&evaluator.outcome(u)))
                            .sum();
                        sum / points.len() as f64
                    };
                    let bar = screened
                        .tornado
                        .iter()
                        .find(|b| b.input == input.name)
                        .expect("bar");
                    assert_eq!((bar.low, bar.high), (at(0.0), at(1.0)), "{}", input.name);
                }
                let mut evaluator = Evaluator::new(&compiled);
                for input in inputs.iter().filter(|i| i.kind != "factor") {
                    let c = input.coordinates[0];
                    let mut at = |u: f64| {
                        let sum: f64 = points
                            .iter()
                            .map(|point| {
                                let mut moved = point.clone();
                                moved[c] = u;
                                metric.value(&evaluator.outcome(&moved))
                            })
                            .sum();
                        sum / points.len() as f64
                    };
                    let expected = (at(0.1), at(0.9));
                    let bar = screened
                        .tornado
                        .iter()
                        .find(|b| b.input == input.name)
                        .expect("bar");
                    assert_eq!((bar.low, bar.high), expected, "{}", input.name);
                }
            }
        }
    }
}
