//! What the HTML report and the workbook show beyond a run's [`Report`]: the distributions
//! behind the charts (histograms and S-curves read from the run's sketches, so from every
//! trial), a sample of trials for the cost-versus-schedule scatter, the tornado, the efficient
//! frontier, and the CRM Forum survey figures beside the model's failure causes. Built from
//! one run plus short seeded analyses; pure (no files, no terminal).

use super::report::{Estimate, Report, Unit};
use serde::Serialize;

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
