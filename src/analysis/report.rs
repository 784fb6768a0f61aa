//! From accumulators to a [`Report`]: every figure as an estimate with its Monte Carlo standard
//! error and 95 % interval, per strategy, with differences to the baseline and the failure
//! causes by factor, category and survey group. The report's serde form is the JSON contract
//! the notebooks read (see `docs/OUTPUT.md`).

use crate::engine::SimulationResult;
use crate::engine::accumulate::{Moments, StrategyAccumulator};
use crate::engine::sketch::{QuantileEstimate, RELATIVE_ERROR};
use crate::engine::{Ending, Sampling};
use crate::scenario::Scenario;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

const Z95: f64 = 1.959_963_984_540_054;
/// The "black swan" share of Flyvbjerg & Budzier (2011): one project in six.
pub const BLACK_SWAN_SHARE: f64 = 1.0 / 6.0;
/// The deviation of Budzier & Flyvbjerg (2011): "8 in 10 ICT projects deviate from their
/// initial cost estimate by more than 10 %".
pub const DEVIATION: f64 = 0.10;

/// How a metric's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A probability, shown as a percentage.
    Probability,
    /// A relative change (0.27 = +27 %), shown as a percentage.
    Fraction,
    /// An amount in the scenario's currency.
    Money,
    Years,
    /// A plain number (an exponent).
    Ratio,
}

/// A Monte Carlo estimate: value, standard error, and 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub se: f64,
    pub low: f64,
    pub high: f64,
}

impl Estimate {
    pub fn normal(value: f64, se: f64) -> Self {
        Estimate {
            value,
            se,
            low: value - Z95 * se,
            high: value + Z95 * se,
        }
    }

    /// A mean, scaled by `scale` (the budget for money kept in budget units).
    fn from_moments(m: &Moments, scale: f64) -> Self {
        Estimate::normal(m.mean() * scale, m.standard_error() * scale)
    }

    /// The same value with a batch-means standard error: `sd(batch values)/√B` and a Student-t
    /// interval with B − 1 degrees of freedom.
    fn with_batch_error(self, batches: &Moments, scale: f64) -> Self {
        let count = batches.count;
        let se = batches.standard_error() * scale;
        let t = StudentsT::new(0.0, 1.0, (count.max(2) - 1) as f64)
            .map(|t| t.inverse_cdf(0.975))
            .unwrap_or(Z95);
        Estimate {
            value: self.value,
            se,
            low: self.value - t * se,
            high: self.value + t * se,
        }
    }

    fn proportion(count: u64, n: u64) -> Self {
        Estimate::proportion_of(count as f64, n)
    }

    /// A proportion from a count that need not be whole (read off a sketch).
    fn proportion_of(count: f64, n: u64) -> Self {
        let n = n.max(1) as f64;
        let p = (count / n).clamp(0.0, 1.0);
        Estimate::normal(p, (p * (1.0 - p) / n).sqrt())
    }

    /// The same estimate moved by `by`.
    fn shifted(self, by: f64) -> Self {
        Estimate {
            value: self.value + by,
            se: self.se,
            low: self.low + by,
            high: self.high + by,
        }
    }

    /// A quantile with its order-statistic interval, mapped by an increasing function.
    fn quantile(q: QuantileEstimate, map: impl Fn(f64) -> f64) -> Self {
        let (value, low, high) = (map(q.value), map(q.low), map(q.high));
        Estimate {
            value,
            se: (high - low) / (2.0 * Z95),
            low,
            high,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Metric {
    pub id: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    #[serde(flatten)]
    pub estimate: Estimate,
}

/// A strategy's difference to the baseline on common random numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub id: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    #[serde(flatten)]
    pub estimate: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct CauseShare {
    pub id: String,
    pub label: String,
    /// Trials (among those that missed their objectives) with this primary cause.
    pub count: u64,
    /// Share of the trials that missed their objectives.
    #[serde(flatten)]
    pub share: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct FactorCause {
    pub id: String,
    pub name: String,
    pub category: String,
    pub cause_group: String,
    /// Share of all trials in which the factor struck.
    pub presence: f64,
    pub count: u64,
    #[serde(flatten)]
    pub share: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Causes {
    /// Trials that missed their objectives (challenged or failed).
    pub missed_objectives: u64,
    pub by_factor: Vec<FactorCause>,
    pub by_category: Vec<CauseShare>,
    pub by_group: Vec<CauseShare>,
    /// Missed objectives with no present factor behind them (estimating error alone).
    pub unattributed: CauseShare,
}

#[derive(Debug, Clone, Serialize)]
pub struct StrategyReport {
    pub id: String,
    pub name: String,
    pub baseline: bool,
    pub mitigations: Vec<String>,
    pub metrics: Vec<Metric>,
    /// Differences to the baseline (empty for the baseline itself).
    pub versus_baseline: Vec<Difference>,
    /// P(this strategy's NPV > the baseline's NPV on the same trial); absent for the baseline.
    pub p_beats_baseline: Option<Estimate>,
    pub causes: Causes,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub crmcast_version: &'static str,
    pub scenario: String,
    pub origin: String,
    pub catalogue_version: String,
    pub currency: String,
    pub budget: f64,
    pub seed: u64,
    pub trials: u64,
    /// Trials asked for (with `--precision`: the most the run could use).
    pub requested_trials: u64,
    pub sampling: Sampling,
    /// Whether the catalogue's uncertain parameters and the ranged effect multipliers were
    /// drawn per trial (`--parameter-uncertainty`, MODEL.md §4b, §8).
    pub parameter_uncertainty: bool,
    /// How standard errors were estimated: `iid` (binomial, sample variance, order
    /// statistics) or `batch_means` (independent batch replicates, structured designs).
    pub standard_errors: &'static str,
    pub ending: Ending,
    pub stopped_early: bool,
    pub baseline: String,
    /// With `--precision`: each target, the worst half-width over strategies, and whether met.
    pub precision: Option<Vec<super::precision::TargetCheck>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub run: RunInfo,
    /// The executive summary: invest or not, the recommended strategy, its risks.
    pub decision: super::decision::DecisionSummary,
    /// With a scenario's `[outside_view]`: overrun quantiles inside, outside and blended.
    pub outside_view: Option<super::outside_view::OutsideViewReport>,
    pub strategies: Vec<StrategyReport>,
    /// With `--parameter-uncertainty` (`run`, `compare`): each strategy's gain over the baseline
    /// under parameter and effect uncertainty alone, apart from Monte Carlo error (a nested
    /// simulation, MODEL.md §8a).
    pub gain_uncertainty: Option<super::gain_uncertainty::GainUncertainty>,
}

impl StrategyReport {
    pub fn metric(&self, id: &str) -> Option<&Estimate> {
        self.metrics
            .iter()
            .find(|m| m.id == id)
            .map(|m| &m.estimate)
    }
    pub fn difference(&self, id: &str) -> Option<&Estimate> {
        self.versus_baseline
            .iter()
            .find(|m| m.id == id)
            .map(|m| &m.estimate)
    }
}

impl Report {
    pub fn build(scenario: &Scenario, result: &SimulationResult) -> Report {
        let base = &result.strategies[scenario.baseline];
        let budget = scenario.project.budget;
        let mut strategies: Vec<StrategyReport> = scenario
            .strategies
            .iter()
            .zip(&result.strategies)
            .enumerate()
            .map(|(index, (strategy, acc))| {
                let is_baseline = index == scenario.baseline;
                StrategyReport {
                    id: strategy.id.clone(),
                    name: strategy.name.clone(),
                    baseline: is_baseline,
                    mitigations: strategy
                        .mitigations
                        .iter()
                        .map(|&m| scenario.mitigations[m].id.clone())
                        .collect(),
                    metrics: metrics(acc, budget),
                    versus_baseline: if is_baseline {
                        Vec::new()
                    } else {
                        differences(acc, base, budget)
                    },
                    p_beats_baseline: (!is_baseline)
                        .then(|| Estimate::proportion(acc.beats_baseline, acc.trials)),
                    causes: causes(scenario, acc),
                }
            })
            .collect();
        let batch_means = result
            .batch_moments
            .as_ref()
            .filter(|b| b.batches >= 2 && !b.figures.is_empty());
        if let Some(batches) = batch_means {
            apply_batch_errors(&mut strategies, &batches.figures, budget);
        }
        let outside = super::outside_view::outside_view(scenario, result, &strategies);
        Report {
            run: RunInfo {
                crmcast_version: env!("CARGO_PKG_VERSION"),
                scenario: scenario.name.clone(),
                origin: scenario.origin.clone(),
                catalogue_version: scenario.catalogue_version.clone(),
                currency: scenario.project.currency.clone(),
                budget,
                seed: result.seed,
                trials: result.trials,
                requested_trials: result.requested_trials,
                sampling: result.sampling,
                parameter_uncertainty: result.parameter_uncertainty,
                standard_errors: if batch_means.is_some() {
                    "batch_means"
                } else {
                    "iid"
                },
                ending: result.ending,
                stopped_early: result.stopped_early(),
                baseline: scenario.baseline_strategy().id.clone(),
                precision: None,
            },
            decision: super::decision::summarise(scenario, result, &strategies, outside.as_ref()),
            outside_view: outside,
            strategies,
            gain_uncertainty: None,
        }
    }

    pub fn baseline(&self) -> &StrategyReport {
        self.strategies
            .iter()
            .find(|s| s.baseline)
            .unwrap_or(&self.strategies[0])
    }
}

/// The ids of the per-strategy metrics, in report order.
pub fn metric_ids() -> Vec<&'static str> {
    metrics(&StrategyAccumulator::new(0), 1.0)
        .iter()
        .map(|m| m.id)
        .collect()
}

/// Every figure that carries an estimate, per strategy in order: its metrics, then (for the
/// other strategies) its differences to the baseline and P(beats baseline). Money is in units
/// of the budget. The engine records these per batch under the structured sampling designs.
pub fn batch_values(strategies: &[StrategyAccumulator], baseline: usize, out: &mut Vec<f64>) {
    out.clear();
    let base = &strategies[baseline];
    for (index, acc) in strategies.iter().enumerate() {
        out.extend(metrics(acc, 1.0).iter().map(|m| m.estimate.value));
        if index != baseline {
            out.extend(differences(acc, base, 1.0).iter().map(|d| d.estimate.value));
            out.push(acc.beats_baseline as f64 / acc.trials.max(1) as f64);
        }
    }
}

/// Metrics read off a quantile sketch (`npv_p50`, `overrun_p80`, …).
fn is_quantile(id: &str) -> bool {
    id.rsplit_once("_p")
        .is_some_and(|(_, q)| !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()))
}

/// Replace standard errors with batch-means ones, walking the figures in [`batch_values`] order.
fn apply_batch_errors(strategies: &mut [StrategyReport], figures: &[Moments], budget: f64) {
    let mut figures = figures.iter();
    let scale = |unit: Unit| if unit == Unit::Money { budget } else { 1.0 };
    for strategy in strategies {
        for metric in strategy.metrics.iter_mut() {
            if let Some(m) = figures.next() {
                metric.estimate = metric.estimate.with_batch_error(m, scale(metric.unit));
                if is_quantile(metric.id) {
                    // As for the order-statistic interval: never claim more than the sketch holds.
                    let e = &mut metric.estimate;
                    e.low -= e.low.abs() * RELATIVE_ERROR;
                    e.high += e.high.abs() * RELATIVE_ERROR;
                }
            }
        }
        for difference in strategy.versus_baseline.iter_mut() {
            if let Some(m) = figures.next() {
                difference.estimate = difference
                    .estimate
                    .with_batch_error(m, scale(difference.unit));
            }
        }
        if let Some(p) = strategy.p_beats_baseline.as_mut()
            && let Some(m) = figures.next()
        {
            *p = p.with_batch_error(m, 1.0);
        }
    }
}

/// The metrics of one strategy. Money figures are multiplied by `budget` (moments and the NPV
/// sketch hold money per unit of budget).
fn metrics(acc: &StrategyAccumulator, budget: f64) -> Vec<Metric> {
    let n = acc.trials;
    let m = |id, label, unit, estimate| Metric {
        id,
        label,
        unit,
        estimate,
    };
    let overrun = |q| Estimate::quantile(acc.cost_ratio.sketch.quantile(q), |x| x - 1.0);
    let slip = |q| Estimate::quantile(acc.duration_ratio.quantile(q), |x| x - 1.0);
    let npv = |q| Estimate::quantile(acc.npv_per_budget.quantile(q), |x| x * budget);
    let roi = |q| Estimate::quantile(acc.roi.quantile(q), |x| x);
    let outlay = |q| Estimate::quantile(acc.outlay_ratio.quantile(q), |x| x - 1.0);
    let tail = acc.cost_ratio.upper_tail(BLACK_SWAN_SHARE);
    let (tail_index, tail_index_se) = acc.cost_ratio.hill(BLACK_SWAN_SHARE);
    // Budzier & Flyvbjerg's "8 in 10 deviate by more than 10 %", either way.
    let cost = &acc.cost_ratio.sketch;
    let deviating =
        cost.count_above(1.0 + DEVIATION) + n as f64 - cost.count_above(1.0 - DEVIATION);
    use Unit::*;
    vec![
        m(
            "p_success",
            "P(success)",
            Probability,
            Estimate::proportion(acc.class_counts[0], n),
        ),
        m(
            "p_challenged",
            "P(challenged)",
            Probability,
            Estimate::proportion(acc.class_counts[1], n),
        ),
        m(
            "p_failed",
            "P(failed)",
            Probability,
            Estimate::proportion(acc.class_counts[2], n),
        ),
        m(
            "p_missed_objectives",
            "P(missed objectives)",
            Probability,
            Estimate::proportion(n - acc.class_counts[0], n),
        ),
        m(
            "overrun_mean",
            "Budget overrun, mean",
            Fraction,
            Estimate::from_moments(&acc.moments[0], 1.0),
        ),
        m("overrun_p50", "Budget overrun, P50", Fraction, overrun(0.5)),
        m("overrun_p80", "Budget overrun, P80", Fraction, overrun(0.8)),
        m("overrun_p90", "Budget overrun, P90", Fraction, overrun(0.9)),
        m(
            "p_overrun_100",
            "P(overrun ≥ 100 %)",
            Probability,
            Estimate::proportion(acc.overrun_at_least_double, n),
        ),
        m(
            "p_deviation_10",
            "P(|overrun| > 10 %)",
            Probability,
            Estimate::proportion_of(deviating, n),
        ),
        m(
            "p_runaway",
            "P(runaway)",
            Probability,
            Estimate::proportion(acc.runaways, n),
        ),
        m(
            "black_swan_overrun",
            "Overrun, worst sixth mean",
            Fraction,
            Estimate::normal(tail.mean - 1.0, tail.standard_error),
        ),
        m(
            "black_swan_slip",
            "Slip, worst-cost sixth mean",
            Fraction,
            Estimate::normal(tail.companion_mean, tail.companion_standard_error),
        ),
        m(
            "tail_index",
            "Tail index of cost, worst sixth (Hill)",
            Ratio,
            Estimate::normal(tail_index, tail_index_se),
        ),
        m(
            "slip_mean",
            "Schedule slip, mean",
            Fraction,
            Estimate::from_moments(&acc.moments[1], 1.0),
        ),
        m("slip_p50", "Schedule slip, P50", Fraction, slip(0.5)),
        m("slip_p80", "Schedule slip, P80", Fraction, slip(0.8)),
        m("slip_p90", "Schedule slip, P90", Fraction, slip(0.9)),
        m(
            "benefit_realisation_mean",
            "Benefits realised, mean",
            Probability,
            Estimate::from_moments(&acc.moments[2], 1.0),
        ),
        m(
            "annual_benefit_mean",
            "Annual benefit, mean",
            Money,
            Estimate::from_moments(&acc.moments[3], budget),
        ),
        m(
            "investment_mean",
            "Investment incl. mitigations, mean",
            Money,
            Estimate::from_moments(&acc.moments[6], budget),
        ),
        m(
            "outlay_mean",
            "Total outlay vs plan, mean",
            Fraction,
            Estimate::from_moments(&acc.moments[6], 1.0).shifted(-1.0),
        ),
        m(
            "outlay_p50",
            "Total outlay vs plan, P50",
            Fraction,
            outlay(0.5),
        ),
        m(
            "outlay_p80",
            "Total outlay vs plan, P80",
            Fraction,
            outlay(0.8),
        ),
        m(
            "outlay_p90",
            "Total outlay vs plan, P90",
            Fraction,
            outlay(0.9),
        ),
        m(
            "npv_mean",
            "NPV, mean",
            Money,
            Estimate::from_moments(&acc.moments[4], budget),
        ),
        m("npv_p10", "NPV, P10", Money, npv(0.1)),
        m("npv_p50", "NPV, P50", Money, npv(0.5)),
        m("npv_p90", "NPV, P90", Money, npv(0.9)),
        m(
            "p_npv_negative",
            "P(NPV < 0)",
            Probability,
            Estimate::proportion(acc.npv_negative, n),
        ),
        m(
            "roi_mean",
            "ROI, mean",
            Fraction,
            Estimate::from_moments(&acc.moments[5], 1.0),
        ),
        m("roi_p10", "ROI, P10", Fraction, roi(0.1)),
        m("roi_p50", "ROI, P50", Fraction, roi(0.5)),
        m("roi_p90", "ROI, P90", Fraction, roi(0.9)),
        m(
            "payback_p50",
            "Payback, P50 (years)",
            Years,
            Estimate::quantile(acc.payback_years.quantile(0.5), |x| x),
        ),
        m(
            "p_payback_in_horizon",
            "P(payback within horizon)",
            Probability,
            Estimate::proportion(acc.payback_within_horizon, n),
        ),
    ]
}

fn differences(
    acc: &StrategyAccumulator,
    base: &StrategyAccumulator,
    budget: f64,
) -> Vec<Difference> {
    let d = |id, label, unit, estimate| Difference {
        id,
        label,
        unit,
        estimate,
    };
    let paired = |k: usize| {
        let money = matches!(k, 3 | 4 | 6);
        Estimate::from_moments(&acc.paired[k], if money { budget } else { 1.0 })
    };
    let mine = metrics(acc, budget);
    let theirs = metrics(base, budget);
    // Quantile differences: the two order-statistic standard errors combined as if independent,
    // which overstates the error under common random numbers (conservative).
    let quantile_difference = |id: &str| {
        let a = mine.iter().find(|m| m.id == id).map(|m| m.estimate);
        let b = theirs.iter().find(|m| m.id == id).map(|m| m.estimate);
        match (a, b) {
            (Some(a), Some(b)) => Estimate::normal(a.value - b.value, a.se.hypot(b.se)),
            _ => Estimate::normal(f64::NAN, f64::NAN),
        }
    };
    use Unit::*;
    vec![
        d("p_success", "P(success)", Probability, paired(7)),
        d("p_failed", "P(failed)", Probability, paired(8)),
        d("overrun_mean", "Budget overrun, mean", Fraction, paired(0)),
        d(
            "overrun_p80",
            "Budget overrun, P80",
            Fraction,
            quantile_difference("overrun_p80"),
        ),
        d("slip_mean", "Schedule slip, mean", Fraction, paired(1)),
        d(
            "benefit_realisation_mean",
            "Benefits realised, mean",
            Probability,
            paired(2),
        ),
        d(
            "investment_mean",
            "Investment incl. mitigations, mean",
            Money,
            paired(6),
        ),
        d("npv_mean", "NPV, mean", Money, paired(4)),
        d("npv_p50", "NPV, P50", Money, quantile_difference("npv_p50")),
        d("p_npv_negative", "P(NPV < 0)", Probability, paired(9)),
        d("roi_mean", "ROI, mean", Fraction, paired(5)),
    ]
}

fn causes(scenario: &Scenario, acc: &StrategyAccumulator) -> Causes {
    let missed = acc.trials - acc.class_counts[0];
    let share = |count: u64| Estimate::proportion(count, missed);
    let factors = &scenario.factors;
    let by_factor = factors
        .iter()
        .enumerate()
        .map(|(i, f)| FactorCause {
            id: f.id.clone(),
            name: f.name.clone(),
            category: scenario.categories[f.category].id.clone(),
            cause_group: scenario.groups[f.cause_group].id.clone(),
            presence: acc.presence[i] as f64 / acc.trials.max(1) as f64,
            count: acc.primary_cause[i],
            share: share(acc.primary_cause[i]),
        })
        .collect();
    let unattributed_count = acc.primary_cause[factors.len()];
    let by_category = scenario
        .categories
        .iter()
        .enumerate()
        .map(|(c, category)| {
            let count = factors
                .iter()
                .enumerate()
                .filter(|(_, f)| f.category == c)
                .map(|(i, _)| acc.primary_cause[i])
                .sum();
            CauseShare {
                id: category.id.clone(),
                label: category.label.clone(),
                count,
                share: share(count),
            }
        })
        .collect();
    // Unattributed trials count in the survey's "other" group.
    let by_group = scenario
        .groups
        .iter()
        .enumerate()
        .map(|(g, group)| {
            let mut count: u64 = factors
                .iter()
                .enumerate()
                .filter(|(_, f)| f.cause_group == g)
                .map(|(i, _)| acc.primary_cause[i])
                .sum();
            if group.id == "other" {
                count += unattributed_count;
            }
            CauseShare {
                id: group.id.clone(),
                label: group.label.clone(),
                count,
                share: share(count),
            }
        })
        .collect();
    Causes {
        missed_objectives: missed,
        by_factor,
        by_category,
        by_group,
        unattributed: CauseShare {
            id: "unattributed".into(),
            label: "No factor (estimating error alone)".into(),
            count: unattributed_count,
            share: share(unattributed_count),
        },
    }
}
