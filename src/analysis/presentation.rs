//! What the HTML report and the workbook show beyond a run's [`Report`]: the distributions
//! behind the charts (histograms and S-curves read from the run's sketches, so from every
//! trial), a sample of trials for the cost-versus-schedule scatter, the tornado, the efficient
//! frontier, and the CRM Forum survey figures beside the model's failure causes. Built from
//! one run plus short seeded analyses; pure (no files, no terminal).

use super::optimize::Optimization;
use super::report::{Estimate, Report, Unit};
use super::sensitivity::study::SensitivityStudy;
use crate::engine::SimulationResult;
use crate::engine::sketch::Sketch;
use crate::engine::trial::Outcome;
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// Everything `crmcast report` shows. Strategy-indexed vectors follow the scenario's order.
#[derive(Debug, Clone, Serialize)]
pub struct Presentation {
    pub report: Report,
    pub distributions: Vec<StrategyDistributions>,
    pub scatter: Scatter,
    /// The tornado of the recommended strategy's NPV; `None` when nothing moves it.
    pub tornado: Option<TornadoChart>,
    /// The efficient frontier of mitigation spend against expected NPV; `None` without
    /// mitigations.
    pub frontier: Option<FrontierChart>,
    /// The survey's cause groups, each beside the model's share.
    pub survey: Vec<SurveyComparison>,
    /// The model's causes in finer cuts: by factor category, and the groups the survey gives
    /// no figure for broken down into their factors.
    pub causes: super::causes::CauseBreakdown,
    pub assumptions: Assumptions,
}

/// One strategy's distributions, on axes shared by every strategy.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyDistributions {
    pub id: String,
    pub name: String,
    pub baseline: bool,
    /// The decision summary's recommended strategy.
    pub recommended: bool,
    /// NPV in the scenario's currency.
    pub npv: Histogram,
    /// Return on investment as a fraction (0.5 = 50 %).
    pub roi: Histogram,
    /// Cost overrun as a fraction (0.27 = 27 % over budget).
    pub overrun: SCurve,
    /// Schedule slip as a fraction of the planned duration.
    pub slip: SCurve,
}

/// Shares of trials per bin. The bins are the same for every strategy, so histograms overlay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// Ascending bin edges, one more than `shares`.
    pub edges: Vec<f64>,
    /// Share of all trials in each bin; the first and the last bin also hold the trials beyond
    /// the edges, so the shares sum to 1.
    pub shares: Vec<f64>,
}

/// A cumulative distribution (S-curve) with its P50 and P80 marked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SCurve {
    /// `(x, P(X ≤ x))`, ascending in both coordinates.
    pub points: Vec<(f64, f64)>,
    pub p50: f64,
    pub p80: f64,
}

/// Cost overrun against schedule slip for a sample of trials, with the joint confidence level
/// (JCL): the share of trials within both the cost line and the schedule line.
#[derive(Debug, Clone, Serialize)]
pub struct Scatter {
    /// The points are the run's first `trials` trials.
    pub trials: u64,
    /// Per strategy, `(overrun, slip)` of each sampled trial.
    pub points: Vec<Vec<(f64, f64)>>,
    /// The recommended strategy's P80 overrun and P80 slip.
    pub cost_line: f64,
    pub schedule_line: f64,
    /// Per strategy, the share of the sampled trials with overrun ≤ `cost_line` and
    /// slip ≤ `schedule_line` (binomial standard error).
    pub joint_confidence: Vec<Estimate>,
}

/// The bars of a tornado: the output at the low and the high setting of each input.
#[derive(Debug, Clone, Serialize)]
pub struct TornadoChart {
    pub strategy: String,
    pub metric_label: String,
    pub unit: Unit,
    /// The output with every input free.
    pub base: f64,
    /// Largest swing first; at most [`TORNADO_BARS`].
    pub bars: Vec<TornadoBar>,
}

pub const TORNADO_BARS: usize = 12;

#[derive(Debug, Clone, Serialize)]
pub struct TornadoBar {
    pub input: String,
    /// The output with the factor ruled out (or the input at its P10) …
    pub low: f64,
    /// … and with the factor certain (or the input at its P90).
    pub high: f64,
}

/// Spend on mitigations against the expected NPV: the efficient subsets, and where each of the
/// scenario's strategies lies.
#[derive(Debug, Clone, Serialize)]
pub struct FrontierChart {
    pub objective_label: String,
    /// Ascending in spend.
    pub points: Vec<FrontierPoint>,
    /// The scenario's strategies on the same axes (from the run).
    pub strategies: Vec<StrategyPoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrontierPoint {
    /// Expected mitigation spend, in currency.
    pub spend: f64,
    pub value: Estimate,
    /// Names of the mitigations in the subset.
    pub mitigations: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StrategyPoint {
    pub name: String,
    pub spend: f64,
    pub value: Estimate,
}

/// One cause group of the CRM Forum survey (2001, N ≈ 700) beside the model's share of the
/// trials that missed their objectives with their primary cause in that group.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyComparison {
    pub group: String,
    pub label: String,
    /// The survey's share; `None` for a group the survey does not give.
    pub survey: Option<f64>,
    pub source: Option<String>,
    /// The baseline strategy's share …
    pub baseline: Estimate,
    /// … and the recommended strategy's.
    pub recommended: Estimate,
}

/// The appendix: what the figures rest on.
#[derive(Debug, Clone, Serialize)]
pub struct Assumptions {
    pub scenario: String,
    pub origin: String,
    pub catalogue: String,
    pub catalogue_version: String,
    pub seed: u64,
    pub trials: u64,
    pub sampling: String,
    pub crmcast_version: String,
    /// The scenario file as given (shown verbatim, escaped).
    pub scenario_text: String,
}

/// The short analyses a presentation adds to the run, computed by the caller (each is seeded
/// and pure; see `crmcast report`).
pub struct Extras<'a> {
    /// Outcomes of the run's first trials, `[strategy][trial]` (for the scatter).
    pub sample: &'a [Vec<Outcome>],
    /// The sensitivity study of the recommended strategy's NPV (tornado only is needed).
    pub tornado: Option<&'a SensitivityStudy>,
    /// The optimisation of the expected NPV over every subset of mitigations.
    pub optimization: Option<&'a Optimization>,
}

impl<'a> Extras<'a> {
    /// Only the run and its sample: no tornado, no frontier.
    pub fn without_analyses(sample: &'a [Vec<Outcome>]) -> Self {
        Extras {
            sample,
            tornado: None,
            optimization: None,
        }
    }
}

/// Bins of the histograms.
pub const HISTOGRAM_BINS: usize = 40;
/// The S-curves are drawn through the quantiles at 0.5 %, 1 %, …, 99.5 %.
const CURVE_STEP: f64 = 0.005;

/// The CRM Forum survey figures, from the calibration targets (the one place they are kept).
const PUBLISHED_TARGETS: &str = include_str!("../../scenarios/calibration/published.toml");

/// Assemble what the report shows from the run (its `result`, and `report` built from it) and
/// the extras.
pub fn build(
    scenario: &Scenario,
    result: &SimulationResult,
    report: Report,
    extras: Extras,
) -> Presentation {
    let budget = scenario.project.budget;
    let recommended = scenario
        .strategies
        .iter()
        .position(|s| s.id == report.decision.recommended)
        .unwrap_or(scenario.baseline);
    let npv_sketches: Vec<&Sketch> = result
        .strategies
        .iter()
        .map(|a| &a.npv_per_budget)
        .collect();
    let roi_sketches: Vec<&Sketch> = result.strategies.iter().map(|a| &a.roi).collect();
    let npv_edges = shared_edges(&npv_sketches, budget);
    let roi_edges = shared_edges(&roi_sketches, 1.0);
    let distributions = scenario
        .strategies
        .iter()
        .zip(&result.strategies)
        .enumerate()
        .map(|(s, (strategy, acc))| StrategyDistributions {
            id: strategy.id.clone(),
            name: strategy.name.clone(),
            baseline: s == scenario.baseline,
            recommended: s == recommended,
            npv: histogram(&acc.npv_per_budget, budget, &npv_edges),
            roi: histogram(&acc.roi, 1.0, &roi_edges),
            overrun: s_curve(&acc.cost_ratio.sketch),
            slip: s_curve(&acc.duration_ratio),
        })
        .collect::<Vec<_>>();
    let scatter = scatter(extras.sample, &distributions[recommended]);
    let tornado = extras.tornado.and_then(|study| tornado(study, scenario));
    let frontier = extras
        .optimization
        .map(|opt| frontier(opt, scenario, &report));
    let survey = survey(&report, scenario.baseline, recommended);
    let causes = super::causes::breakdown(&report, &survey, scenario.baseline, recommended);
    let assumptions = Assumptions {
        scenario: report.run.scenario.clone(),
        origin: report.run.origin.clone(),
        catalogue: scenario
            .catalogue_text
            .as_ref()
            .map_or("built-in catalogue".to_string(), |c| c.origin.clone()),
        catalogue_version: report.run.catalogue_version.clone(),
        seed: report.run.seed,
        trials: report.run.trials,
        sampling: report.run.sampling.name().to_string(),
        crmcast_version: report.run.crmcast_version.to_string(),
        scenario_text: scenario.source_text.clone(),
    };
    Presentation {
        report,
        distributions,
        scatter,
        tornado,
        frontier,
        survey,
        causes,
        assumptions,
    }
}

/// Bin edges covering every strategy's 1st to 99th percentile (in units of `scale`).
fn shared_edges(sketches: &[&Sketch], scale: f64) -> Vec<f64> {
    let low = sketches
        .iter()
        .map(|s| s.quantile(0.01).value)
        .fold(f64::INFINITY, f64::min);
    let high = sketches
        .iter()
        .map(|s| s.quantile(0.99).value)
        .fold(f64::NEG_INFINITY, f64::max);
    let (low, high) = if high > low {
        (low, high)
    } else {
        (low - 0.5, low + 0.5)
    };
    let width = (high - low) / HISTOGRAM_BINS as f64;
    (0..=HISTOGRAM_BINS)
        .map(|i| (low + width * i as f64) * scale)
        .collect()
}

/// Shares of the sketch's trials per bin; values beyond the edges fall in the end bins.
fn histogram(sketch: &Sketch, scale: f64, edges: &[f64]) -> Histogram {
    let bins = edges.len() - 1;
    let mut counts = vec![0u64; bins];
    for (value, count) in sketch.buckets() {
        let x = value * scale;
        // The first edge not below x, less one: the bin [edge_i, edge_i+1) holding x.
        let bin = edges[1..bins].partition_point(|&edge| edge <= x);
        counts[bin] += count;
    }
    let total = sketch.total().max(1) as f64;
    Histogram {
        edges: edges.to_vec(),
        shares: counts.iter().map(|&c| c as f64 / total).collect(),
    }
}

/// The cumulative distribution of `ratio − 1` (a cost or duration ratio as an overrun).
fn s_curve(ratio: &Sketch) -> SCurve {
    let steps = (1.0 / CURVE_STEP).round() as usize;
    let points = (1..steps)
        .map(|k| {
            let p = k as f64 * CURVE_STEP;
            (ratio.quantile(p).value - 1.0, p)
        })
        .collect();
    SCurve {
        points,
        p50: ratio.quantile(0.5).value - 1.0,
        p80: ratio.quantile(0.8).value - 1.0,
    }
}

fn scatter(sample: &[Vec<Outcome>], recommended: &StrategyDistributions) -> Scatter {
    let cost_line = recommended.overrun.p80;
    let schedule_line = recommended.slip.p80;
    let points: Vec<Vec<(f64, f64)>> = sample
        .iter()
        .map(|outcomes| outcomes.iter().map(|o| (o.overrun, o.slip)).collect())
        .collect();
    let joint_confidence = points
        .iter()
        .map(|pairs| {
            let n = pairs.len().max(1) as f64;
            let within = pairs
                .iter()
                .filter(|(cost, slip)| *cost <= cost_line && *slip <= schedule_line)
                .count() as f64;
            let p = within / n;
            Estimate::normal(p, (p * (1.0 - p) / n).sqrt())
        })
        .collect();
    Scatter {
        trials: sample.first().map_or(0, |s| s.len() as u64),
        points,
        cost_line,
        schedule_line,
        joint_confidence,
    }
}

fn tornado(study: &SensitivityStudy, scenario: &Scenario) -> Option<TornadoChart> {
    let mut bars: Vec<&super::sensitivity::study::TornadoBar> = study.tornado.iter().collect();
    bars.sort_by(|a, b| b.swing.abs().total_cmp(&a.swing.abs()));
    bars.retain(|b| b.swing.abs() > 0.0);
    if bars.is_empty() {
        return None;
    }
    let strategy = scenario
        .strategies
        .iter()
        .find(|s| s.id == study.strategy_id)
        .map_or(study.strategy_id.clone(), |s| s.name.clone());
    Some(TornadoChart {
        strategy,
        metric_label: study.metric_label.to_string(),
        unit: Unit::Money,
        base: study.base,
        bars: bars
            .into_iter()
            .take(TORNADO_BARS)
            .map(|b| TornadoBar {
                input: readable_input(scenario, b.kind, &b.input),
                low: b.low,
                high: b.high,
            })
            .collect(),
    })
}

/// A study input as a reader names it: a factor by its name, a lever without underscores.
fn readable_input(scenario: &Scenario, kind: &str, input: &str) -> String {
    let factor = (kind == "factor")
        .then(|| scenario.factors.iter().find(|f| f.id == input))
        .flatten();
    match factor {
        Some(f) => f.name.clone(),
        None => input.replace('_', " "),
    }
}

fn frontier(opt: &Optimization, scenario: &Scenario, report: &Report) -> FrontierChart {
    let name_of = |id: &String| {
        scenario
            .mitigations
            .iter()
            .find(|m| &m.id == id)
            .map_or(id.clone(), |m| m.name.clone())
    };
    let mask_of =
        |s: &crate::model::Strategy| s.mitigations.iter().fold(0u64, |mask, &m| mask | 1 << m);
    let table_value = |index: usize| {
        report.strategies[index]
            .metric("npv_mean")
            .copied()
            .unwrap_or(Estimate::normal(f64::NAN, f64::NAN))
    };
    // A frontier subset that is one of the strategies shows the strategy table's estimate:
    // `crmcast report` confirms the frontier on the run's own trials, so the two differ only by
    // the rounding of the sums, and the chart then agrees with the table to the last digit.
    let points = opt
        .frontier
        .iter()
        .map(|p| FrontierPoint {
            spend: p.candidate.spend,
            value: scenario
                .strategies
                .iter()
                .position(|s| mask_of(s) == p.candidate.mask)
                .filter(|&index| index < report.strategies.len())
                .map_or(p.candidate.objective, table_value),
            mitigations: p.candidate.mitigations.iter().map(name_of).collect(),
        })
        .collect();
    let strategies = scenario
        .strategies
        .iter()
        .enumerate()
        .take(report.strategies.len())
        .map(|(index, strategy)| StrategyPoint {
            name: strategy.name.clone(),
            spend: super::decision::strategy_spend(scenario, index),
            value: table_value(index),
        })
        .collect();
    FrontierChart {
        objective_label: opt.objective_label.clone(),
        points,
        strategies,
    }
}

#[derive(Deserialize)]
struct PublishedTargets {
    targets: Vec<super::targets::Target>,
}

/// The published targets: parsed once. The embedded file is part of the build and parsed by
/// tests (tests/calibration.rs), so an unreadable one cannot ship; it would only empty the
/// survey column, never stop a report.
fn published_targets() -> &'static [super::targets::Target] {
    static TARGETS: std::sync::LazyLock<Vec<super::targets::Target>> =
        std::sync::LazyLock::new(|| {
            toml::from_str::<PublishedTargets>(PUBLISHED_TARGETS)
                .map(|file| file.targets)
                .unwrap_or_default()
        });
    &TARGETS
}

/// The CRM Forum survey's share for a cause group (`scenarios/calibration/published.toml`, as
/// cited in "10 reasons for CRM failure, n.d."), with its source; `None` for a group it does
/// not give.
pub fn survey_share(group: &str) -> Option<(f64, &'static str)> {
    published_targets()
        .iter()
        .find(|t| t.figure.cause_group.as_deref() == Some(group))
        .map(|t| (t.value, t.source.as_str()))
}

fn survey(report: &Report, baseline: usize, recommended: usize) -> Vec<SurveyComparison> {
    let share = |s: usize, group: &str| {
        report.strategies[s]
            .causes
            .by_group
            .iter()
            .find(|c| c.id == group)
            .map_or(Estimate::normal(0.0, 0.0), |c| c.share)
    };
    report.strategies[baseline]
        .causes
        .by_group
        .iter()
        .map(|group| {
            let target = survey_share(&group.id);
            SurveyComparison {
                group: group.id.clone(),
                label: group.label.clone(),
                survey: target.map(|(value, _)| value),
                source: target.map(|(_, source)| source.to_string()),
                baseline: share(baseline, &group.id),
                recommended: share(recommended, &group.id),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{self, NoObserver, RunSettings};

    fn run() -> (Scenario, SimulationResult, Report) {
        let scenario = Scenario::builtin_default().expect("the built-in scenario is valid");
        let settings = RunSettings {
            trials: 40_000,
            seed: 3,
            ..RunSettings::default()
        };
        let result = engine::simulate(&scenario, &settings, &NoObserver).expect("runs");
        let report = Report::build(&scenario, &result);
        (scenario, result, report)
    }

    #[test]
    fn distributions_agree_with_the_report() {
        let (scenario, result, report) = run();
        let sample = vec![vec![]; scenario.strategies.len()];
        let p = build(
            &scenario,
            &result,
            report.clone(),
            Extras::without_analyses(&sample),
        );
        for (d, s) in p.distributions.iter().zip(&report.strategies) {
            // Every trial is in some bin.
            let total: f64 = d.npv.shares.iter().sum();
            assert!((total - 1.0).abs() < 1e-12, "{total}");
            assert_eq!(d.npv.edges.len(), HISTOGRAM_BINS + 1);
            assert_eq!(d.npv.edges, p.distributions[0].npv.edges, "shared bins");
            // The S-curves' P50 and P80 are the report's.
            let p80 = s.metric("overrun_p80").map(|e| e.value);
            assert!((Some(d.overrun.p80) == p80), "{:?} {p80:?}", d.overrun.p80);
            let p50 = s.metric("slip_p50").map(|e| e.value);
            assert!((Some(d.slip.p50) == p50), "{:?} {p50:?}", d.slip.p50);
            // Monotone in both coordinates.
            assert!(
                d.overrun
                    .points
                    .windows(2)
                    .all(|w| w[0].0 <= w[1].0 && w[0].1 < w[1].1)
            );
        }
        // The histogram brackets the report's P(NPV < 0): the bins wholly below zero hold at
        // most that share, the bins starting below zero at least (up to the sketch's
        // bucket resolution at the edge).
        for (d, s) in p.distributions.iter().zip(&report.strategies) {
            let below: f64 = (0..HISTOGRAM_BINS)
                .filter(|&i| d.npv.edges[i + 1] <= 0.0)
                .map(|i| d.npv.shares[i])
                .sum();
            let reaching: f64 = (0..HISTOGRAM_BINS)
                .filter(|&i| d.npv.edges[i] < 0.0)
                .map(|i| d.npv.shares[i])
                .sum();
            let p_loss = s.metric("p_npv_negative").map_or(f64::NAN, |e| e.value);
            assert!(
                below <= p_loss + 1e-3 && p_loss <= reaching + 1e-3,
                "{below} ≤ {p_loss} ≤ {reaching}"
            );
        }
    }

    #[test]
    fn joint_confidence_counts_the_trials_within_both_lines() {
        let (scenario, result, report) = run();
        let settings = RunSettings {
            trials: 40_000,
            seed: 3,
            ..RunSettings::default()
        };
        let sample = crate::engine::records::first_outcomes(&scenario, &settings, 5_000);
        let p = build(
            &scenario,
            &result,
            report,
            Extras::without_analyses(&sample),
        );
        let s = &p.scatter;
        assert_eq!(s.trials, 5_000);
        for (points, jcl) in s.points.iter().zip(&s.joint_confidence) {
            let within = points
                .iter()
                .filter(|(c, t)| *c <= s.cost_line && *t <= s.schedule_line)
                .count();
            assert_eq!(jcl.value, within as f64 / 5_000.0);
            assert!(jcl.se > 0.0 && jcl.se < 0.01);
        }
        // Under the recommended strategy each line alone holds 80 % of all trials, so both hold
        // between 60 % and 80 % (Fréchet bounds), within sampling error of 5,000 trials.
        let recommended = p
            .distributions
            .iter()
            .position(|d| d.recommended)
            .unwrap_or(0);
        let jcl = s.joint_confidence[recommended];
        assert!(
            jcl.value > 0.6 - 4.0 * jcl.se && jcl.value < 0.8 + 4.0 * jcl.se,
            "{jcl:?}"
        );
    }

    #[test]
    fn survey_figures_come_from_the_published_targets() {
        let (scenario, result, report) = run();
        let sample = vec![vec![]; scenario.strategies.len()];
        let p = build(
            &scenario,
            &result,
            report,
            Extras::without_analyses(&sample),
        );
        let organisational = p
            .survey
            .iter()
            .find(|row| row.group == "organisational_change")
            .and_then(|row| row.survey);
        assert_eq!(organisational, Some(0.29));
        let with_figure = p.survey.iter().filter(|row| row.survey.is_some()).count();
        assert!(
            with_figure >= 5,
            "{with_figure} groups with a survey figure"
        );
    }
}
