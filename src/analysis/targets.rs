//! Calibration targets and constraints (`scenarios/calibration/published.toml`), and the check
//! of a simulated baseline against them.
//!
//! A target names one figure of the baseline and the value it should take, within a tolerance
//! (read as the published figure's standard deviation, docs/CALIBRATION.md §1). A figure is a
//! metric of the report, a cause group's share, or a statistic of a distribution read off the
//! run's sketches: an exceedance, a two-sided deviation, a quantile, a conditional tail mean, a
//! bin share, a tail exponent, or the chance of payback within some years. A constraint bounds
//! a figure from below and/or above, on the baseline or on the same project with no trouble
//! (every factor's probability 0): a plausibility condition the fit must respect.

use super::report::{BLACK_SWAN_SHARE, Estimate, Report};
use crate::engine::accumulate::StrategyAccumulator;
use crate::engine::sketch::Sketch;
use crate::error::Error;
use crate::scenario::source::{FieldPath, Problem, Source};
use serde::{Deserialize, Serialize};

const Z95: f64 = 1.959_963_984_540_054;

/// The variable a statistic describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Variable {
    /// Cost over budget as a fraction (actual / budget − 1).
    Overrun,
    /// Duration over plan as a fraction.
    Slip,
}

/// A statistic of a distribution, computed from the run's sketches.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Statistic {
    /// P(x ≥ at).
    Exceedance { of: Variable, at: f64 },
    /// P(|x| > beyond): deviation either way.
    Deviation { of: Variable, beyond: f64 },
    /// The `level`-quantile of x.
    Quantile { of: Variable, level: f64 },
    /// E[x | x ≥ at].
    TailMean { of: Variable, at: f64 },
    /// P(from ≤ x < to): the share of one bin.
    Bin { of: Variable, from: f64, to: f64 },
    /// Hill's estimate of the tail index α of the ratio 1 + x over its largest `share`
    /// (default 1/6, the black swans): P(1 + x > y) ∝ y^(−α) there.
    TailExponent {
        of: Variable,
        #[serde(default = "black_swan_share")]
        share: f64,
    },
    /// P(payback within `years`).
    PaybackWithin { years: f64 },
}

fn black_swan_share() -> f64 {
    BLACK_SWAN_SHARE
}

impl Statistic {
    /// A short label, e.g. `P(|overrun| > 0.1)`.
    pub fn label(&self) -> String {
        let name = |v: &Variable| match v {
            Variable::Overrun => "overrun",
            Variable::Slip => "slip",
        };
        match self {
            Statistic::Exceedance { of, at } => format!("P({} ≥ {at})", name(of)),
            Statistic::Deviation { of, beyond } => format!("P(|{}| > {beyond})", name(of)),
            Statistic::Quantile { of, level } => format!("{} quantile {level}", name(of)),
            Statistic::TailMean { of, at } => format!("E[{0} | {0} ≥ {at}]", name(of)),
            Statistic::Bin { of, from, to } => format!("P({from} ≤ {} < {to})", name(of)),
            Statistic::TailExponent { of, share } => {
                format!("tail index of 1 + {} (worst {:.3})", name(of), share)
            }
            Statistic::PaybackWithin { years } => format!("P(payback ≤ {years} y)"),
        }
    }

    fn check(&self, path: &FieldPath) -> Result<(), Problem> {
        let finite = |key: &str, x: f64| {
            if x.is_finite() {
                Ok(())
            } else {
                Err(Problem::new(
                    &path.key(key),
                    "must be a finite number",
                    "give a number",
                ))
            }
        };
        match self {
            Statistic::Exceedance { at, .. } | Statistic::TailMean { at, .. } => finite("at", *at),
            Statistic::Deviation { beyond, .. } => {
                finite("beyond", *beyond)?;
                if *beyond < 0.0 {
                    return Err(Problem::new(
                        &path.key("beyond"),
                        "a deviation is at least 0",
                        "give e.g. beyond = 0.10",
                    ));
                }
                Ok(())
            }
            Statistic::Quantile { level, .. } => {
                if !(*level > 0.0 && *level < 1.0) {
                    return Err(Problem::new(
                        &path.key("level"),
                        "a quantile level lies strictly between 0 and 1",
                        "give e.g. level = 0.8",
                    ));
                }
                Ok(())
            }
            Statistic::Bin { from, to, .. } => {
                finite("from", *from)?;
                finite("to", *to)?;
                if from >= to {
                    return Err(Problem::new(
                        &path.key("to"),
                        "a bin needs from < to",
                        "give e.g. from = 0.0, to = 0.5",
                    ));
                }
                Ok(())
            }
            Statistic::TailExponent { share, .. } => {
                if !(*share > 0.0 && *share <= 0.5) {
                    return Err(Problem::new(
                        &path.key("share"),
                        "the tail share lies in (0, 0.5]",
                        "leave it out for the worst sixth, or give e.g. share = 0.1",
                    ));
                }
                Ok(())
            }
            Statistic::PaybackWithin { years } => {
                if !(*years > 0.0 && years.is_finite()) {
                    return Err(Problem::new(
                        &path.key("years"),
                        "years must be above 0",
                        "give e.g. years = 3",
                    ));
                }
                Ok(())
            }
        }
    }

    /// The statistic on one strategy's accumulators, with its Monte Carlo standard error.
    pub fn estimate(&self, acc: &StrategyAccumulator) -> Estimate {
        let n = acc.trials;
        let ratio = |v: &Variable| -> &Sketch {
            match v {
                Variable::Overrun => &acc.cost_ratio.sketch,
                Variable::Slip => &acc.duration_ratio,
            }
        };
        let share = |count: f64| proportion(count, n);
        match self {
            Statistic::Exceedance { of, at } => {
                // x ≥ at: the sketch counts above, the boundary having no mass.
                share(ratio(of).count_above(1.0 + at))
            }
            Statistic::Deviation { of, beyond } => {
                let s = ratio(of);
                share(s.count_above(1.0 + beyond) + n as f64 - s.count_above(1.0 - beyond))
            }
            Statistic::Bin { of, from, to } => {
                let s = ratio(of);
                share(s.count_above(1.0 + from) - s.count_above(1.0 + to))
            }
            Statistic::Quantile { of, level } => {
                let q = ratio(of).quantile(*level);
                let (value, low, high) = (q.value - 1.0, q.low - 1.0, q.high - 1.0);
                Estimate {
                    value,
                    se: (high - low) / (2.0 * Z95),
                    low,
                    high,
                }
            }
            Statistic::TailMean { of, at } => {
                let (mean, se) = match of {
                    Variable::Overrun => acc.cost_ratio.mean_at_least(1.0 + at),
                    Variable::Slip => acc.duration_ratio.mean_at_least(1.0 + at),
                };
                Estimate::normal(mean - 1.0, se)
            }
            Statistic::TailExponent { of, share } => {
                let (alpha, se) = match of {
                    Variable::Overrun => acc.cost_ratio.hill(*share),
                    Variable::Slip => acc.duration_ratio.hill(*share),
                };
                Estimate::normal(alpha, se)
            }
            Statistic::PaybackWithin { years } => {
                share(n as f64 - acc.payback_years.count_above(*years))
            }
        }
    }
}

fn proportion(count: f64, n: u64) -> Estimate {
    let n = n.max(1) as f64;
    let p = (count / n).clamp(0.0, 1.0);
    Estimate::normal(p, (p * (1.0 - p) / n).sqrt())
}

/// Which figure of the baseline a target or constraint names: exactly one of the three.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Figure {
    /// A metric id of the report (e.g. `p_missed_objectives`) …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// … or a survey cause group whose primary-cause share is the target …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause_group: Option<String>,
    /// … or a statistic of the overrun or slip distribution, or of the payback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<Statistic>,
}

impl Figure {
    pub fn label(&self) -> String {
        match (&self.metric, &self.cause_group, &self.statistic) {
            (Some(m), _, _) => m.clone(),
            (_, Some(g), _) => format!("cause share: {g}"),
            (_, _, Some(s)) => s.label(),
            _ => String::new(),
        }
    }

    fn check(&self, path: &FieldPath) -> Result<(), Problem> {
        let named = [
            self.metric.is_some(),
            self.cause_group.is_some(),
            self.statistic.is_some(),
        ];
        if named.iter().filter(|&&b| b).count() != 1 {
            return Err(Problem::new(
                path,
                "name exactly one of `metric`, `cause_group` or `statistic`",
                "keep one of the three keys, e.g. statistic = { kind = \"deviation\", of = \"overrun\", beyond = 0.10 }",
            ));
        }
        if let Some(s) = &self.statistic {
            s.check(&path.key("statistic"))?;
        }
        Ok(())
    }

    /// The figure on one strategy, `None` for a metric or group the report does not have.
    pub fn estimate(
        &self,
        strategy: usize,
        report: &Report,
        acc: &StrategyAccumulator,
    ) -> Option<Estimate> {
        let s = &report.strategies[strategy];
        match (&self.metric, &self.cause_group, &self.statistic) {
            (Some(metric), _, _) => s.metric(metric).copied(),
            (_, Some(group), _) => s
                .causes
                .by_group
                .iter()
                .find(|g| &g.id == group)
                .map(|g| g.share),
            (_, _, Some(statistic)) => Some(statistic.estimate(acc)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub id: String,
    #[serde(flatten)]
    pub figure: Figure,
    pub value: f64,
    /// Half-width the model must land within; also read as the published figure's standard
    /// deviation (the weight of the target, and the source of the parameters' uncertainty).
    pub tolerance: f64,
    pub source: String,
}

/// Which project a constraint is evaluated on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// The scenario's baseline, as for targets.
    #[default]
    Baseline,
    /// The baseline with every factor's probability set to 0: a project without trouble.
    NoTrouble,
}

/// A bound the fit must respect: `min ≤ figure ≤ max` (either may be left out).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Constraint {
    pub id: String,
    #[serde(default)]
    pub on: Subject,
    #[serde(flatten)]
    pub figure: Figure,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The violation that counts as one standardised unit in the objective.
    pub scale: f64,
    pub source: String,
}

impl Constraint {
    /// How far `value` lies outside `[min, max]` (0 inside).
    pub fn violation(&self, value: f64) -> f64 {
        if value.is_nan() {
            return f64::INFINITY;
        }
        let below = self.min.map_or(0.0, |m| (m - value).max(0.0));
        let above = self.max.map_or(0.0, |m| (value - m).max(0.0));
        below + above
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    targets: Vec<Target>,
    #[serde(default)]
    constraints: Vec<Constraint>,
}

/// A targets file: the targets and the constraints.
#[derive(Debug, Clone, Default)]
pub struct TargetSet {
    pub targets: Vec<Target>,
    pub constraints: Vec<Constraint>,
}

impl TargetSet {
    /// Whether any constraint is evaluated on the project without trouble.
    pub fn needs_no_trouble(&self) -> bool {
        self.constraints.iter().any(|c| c.on == Subject::NoTrouble)
    }
}

/// A target next to the model's figure.
#[derive(Debug, Clone, Serialize)]
pub struct TargetCheck {
    pub target: Target,
    pub fitted: Estimate,
    pub within_tolerance: bool,
}

/// A constraint next to the model's figure.
#[derive(Debug, Clone, Serialize)]
pub struct ConstraintCheck {
    pub constraint: Constraint,
    pub fitted: Estimate,
    /// How far the figure lies outside the bounds (0 when satisfied).
    pub violation: f64,
    pub satisfied: bool,
}

pub fn load(source: &Source) -> Result<Vec<Target>, Error> {
    Ok(load_set(source)?.targets)
}

/// Read and check a targets file (targets and constraints).
pub fn load_set(source: &Source) -> Result<TargetSet, Error> {
    let file: TargetsFile = source.parse()?;
    if file.targets.is_empty() {
        return Err(source.problem(Problem::new(
            &FieldPath::root().key("targets"),
            "the file has no [[targets]]",
            "add at least one target, e.g. [[targets]] id = \"missed\", metric = \"p_missed_objectives\", value = 0.65, tolerance = 0.03, source = \"…\"",
        )));
    }
    let mut ids = std::collections::BTreeSet::new();
    for (i, t) in file.targets.iter().enumerate() {
        let path = FieldPath::root().key("targets").index(i);
        t.figure.check(&path).map_err(|p| source.problem(p))?;
        if !(t.tolerance.is_finite() && t.tolerance > 0.0 && t.value.is_finite()) {
            return Err(source.problem(Problem::new(
                &path.key("tolerance"),
                "value and tolerance must be finite, tolerance above 0",
                "give e.g. value = 0.65, tolerance = 0.03",
            )));
        }
        if !ids.insert(t.id.clone()) {
            return Err(source.problem(Problem::new(
                &path.key("id"),
                format!("the id \"{}\" is used twice", t.id),
                "give every target and constraint its own id",
            )));
        }
    }
    for (i, c) in file.constraints.iter().enumerate() {
        let path = FieldPath::root().key("constraints").index(i);
        c.figure.check(&path).map_err(|p| source.problem(p))?;
        let finite = |x: Option<f64>| x.is_none_or(f64::is_finite);
        if (c.min.is_none() && c.max.is_none()) || !finite(c.min) || !finite(c.max) {
            return Err(source.problem(Problem::new(
                &path,
                "a constraint needs a finite `min`, `max` or both",
                "give e.g. min = -0.10, max = 0.05",
            )));
        }
        if let (Some(low), Some(high)) = (c.min, c.max)
            && low > high
        {
            return Err(source.problem(Problem::new(
                &path.key("max"),
                format!("max {high} is below min {low}"),
                "give min ≤ max",
            )));
        }
        if !(c.scale.is_finite() && c.scale > 0.0) {
            return Err(source.problem(Problem::new(
                &path.key("scale"),
                "the scale must be finite and above 0",
                "give e.g. scale = 0.01 (a violation of 0.01 counts as one standardised unit)",
            )));
        }
        if !ids.insert(c.id.clone()) {
            return Err(source.problem(Problem::new(
                &path.key("id"),
                format!("the id \"{}\" is used twice", c.id),
                "give every target and constraint its own id",
            )));
        }
    }
    Ok(TargetSet {
        targets: file.targets,
        constraints: file.constraints,
    })
}

/// Compare the baseline strategy of `report` (whose accumulators are `acc`) with each target;
/// `None` for a name the report does not have.
pub fn check(
    report: &Report,
    acc: &StrategyAccumulator,
    targets: &[Target],
) -> Vec<Option<TargetCheck>> {
    let baseline = report
        .strategies
        .iter()
        .position(|s| s.baseline)
        .unwrap_or(0);
    targets
        .iter()
        .map(|t| {
            let fitted = t.figure.estimate(baseline, report, acc)?;
            Some(TargetCheck {
                within_tolerance: (fitted.value - t.value).abs() <= t.tolerance,
                fitted,
                target: t.clone(),
            })
        })
        .collect()
}

/// Check constraints on the baseline of `report` (accumulators `acc`): the caller passes the
/// report of the subject each constraint names.
pub fn check_constraint(
    constraint: &Constraint,
    report: &Report,
    acc: &StrategyAccumulator,
) -> Option<ConstraintCheck> {
    let baseline = report
        .strategies
        .iter()
        .position(|s| s.baseline)
        .unwrap_or(0);
    let fitted = constraint.figure.estimate(baseline, report, acc)?;
    let violation = constraint.violation(fitted.value);
    Some(ConstraintCheck {
        constraint: constraint.clone(),
        fitted,
        violation,
        satisfied: violation == 0.0,
    })
}

/// How many of `targets` are independent: one less when the cause-group targets name every
/// group of the catalogue (their shares sum to one), and one less for each exact identity
/// among the outcome-class metrics (P(success) + P(challenged) + P(failed) = 1 and
/// P(missed objectives) = 1 − P(success)).
pub fn independent_count(targets: &[Target], groups: &[String]) -> usize {
    let mut count = targets.len();
    let named_groups: std::collections::BTreeSet<&str> = targets
        .iter()
        .filter_map(|t| t.figure.cause_group.as_deref())
        .collect();
    if !groups.is_empty() && groups.iter().all(|g| named_groups.contains(g.as_str())) {
        count -= 1;
    }
    let has = |id: &str| {
        targets
            .iter()
            .any(|t| t.figure.metric.as_deref() == Some(id))
    };
    let classes = ["p_success", "p_challenged", "p_failed"]
        .iter()
        .filter(|id| has(id))
        .count();
    if classes == 3 {
        count -= 1;
    }
    if has("p_missed_objectives") && has("p_success") {
        count -= 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(figure: Figure) -> Target {
        Target {
            id: "t".into(),
            figure,
            value: 0.5,
            tolerance: 0.1,
            source: String::new(),
        }
    }

    #[test]
    fn statistics_of_a_known_sample() {
        // Cost ratios 0.5, 0.6, …, 2.4 (20 values): overruns −0.5 … 1.4.
        let mut acc = StrategyAccumulator::new(0);
        for k in 0..20 {
            let c = 0.5 + 0.1 * k as f64;
            acc.trials += 1;
            acc.cost_ratio.add(c, 0.0);
            acc.duration_ratio.add(1.0);
            acc.payback_years.add(k as f64);
        }
        let at = |s: Statistic| s.estimate(&acc).value;
        let overrun = Variable::Overrun;
        // P(overrun ≥ 0.45): ratios 1.5 … 2.4 lie above 1.45: 10 of 20.
        assert!(
            (at(Statistic::Exceedance {
                of: overrun,
                at: 0.45
            }) - 0.5)
                .abs()
                < 0.01
        );
        // |overrun| > 0.25: ratios ≤ 0.75 (0.5, 0.6, 0.7) and ≥ 1.25 (1.3 … 2.4): 3 + 12.
        assert!(
            (at(Statistic::Deviation {
                of: overrun,
                beyond: 0.25
            }) - 0.75)
                .abs()
                < 0.01
        );
        // 0 ≤ overrun < 0.45: ratios 1.0 … 1.4: 5 of 20.
        let bin = at(Statistic::Bin {
            of: overrun,
            from: -0.001,
            to: 0.449,
        });
        assert!((bin - 0.25).abs() < 0.01, "{bin}");
        // Mean overrun of the ratios ≥ 2.0: 2.0 … 2.4 → 2.2 − 1 = 1.2.
        let tail = at(Statistic::TailMean {
            of: overrun,
            at: 0.995,
        });
        assert!((tail - 1.2).abs() < 0.01, "{tail}");
        // Payback ≤ 4.5 years: 0 … 4 → 5 of 20.
        assert!((at(Statistic::PaybackWithin { years: 4.5 }) - 0.25).abs() < 0.01);
    }

    #[test]
    fn hill_recovers_a_pareto_index() {
        // Deterministic Pareto quantiles y = (1 − u)^(−1/2) at u = (k − 0.5)/n: the Hill
        // estimate over the top sixth is close to α = 2 (statistical error only from the grid).
        let n = 60_000;
        let mut acc = StrategyAccumulator::new(0);
        for k in 1..=n {
            let u = (k as f64 - 0.5) / n as f64;
            acc.trials += 1;
            acc.cost_ratio.add((1.0 - u).powf(-0.5), 0.0);
        }
        let alpha = Statistic::TailExponent {
            of: Variable::Overrun,
            share: 1.0 / 6.0,
        }
        .estimate(&acc);
        assert!((alpha.value - 2.0).abs() < 0.03, "{alpha:?}");
        assert!((alpha.se - 2.0 / (n as f64 / 6.0).sqrt()).abs() < 0.002);
    }

    #[test]
    fn independent_targets_drop_the_identities() {
        let groups: Vec<String> = vec!["a".into(), "b".into()];
        let group = |g: &str| {
            target(Figure {
                cause_group: Some(g.into()),
                ..Figure::default()
            })
        };
        let metric = |m: &str| {
            target(Figure {
                metric: Some(m.into()),
                ..Figure::default()
            })
        };
        assert_eq!(independent_count(&[group("a"), group("b")], &groups), 1);
        assert_eq!(independent_count(&[group("a")], &groups), 1);
        let classes = [
            metric("p_success"),
            metric("p_challenged"),
            metric("p_failed"),
        ];
        assert_eq!(independent_count(&classes, &groups), 2);
        assert_eq!(
            independent_count(
                &[metric("p_success"), metric("p_missed_objectives")],
                &groups
            ),
            1
        );
    }

    #[test]
    fn files_are_checked() {
        let bad = |text: &str| {
            load_set(&Source::new("t.toml", text))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let base = "[[targets]]\nid = \"a\"\nvalue = 0.5\ntolerance = 0.1\nsource = \"s\"\n";
        assert!(bad(base).contains("exactly one"));
        assert!(
            bad(&format!(
                "{base}statistic = {{ kind = \"quantile\", of = \"overrun\", level = 1.5 }}\n"
            ))
            .contains("strictly between 0 and 1")
        );
        let ok = format!("{base}metric = \"p_failed\"\n");
        assert!(load_set(&Source::new("t.toml", ok.clone())).is_ok());
        let constraint = format!(
            "{ok}[[constraints]]\nid = \"c\"\non = \"no_trouble\"\nmetric = \"overrun_p50\"\nmin = 0.1\nmax = -0.1\nscale = 0.01\nsource = \"s\"\n"
        );
        assert!(bad(&constraint).contains("below min"));
        let twice = format!(
            "{ok}[[constraints]]\nid = \"a\"\nmetric = \"overrun_p50\"\nmax = 0.1\nscale = 0.01\nsource = \"s\"\n"
        );
        assert!(bad(&twice).contains("used twice"));
    }

    #[test]
    fn violations_measure_the_distance_outside() {
        let c = Constraint {
            id: "c".into(),
            on: Subject::NoTrouble,
            figure: Figure::default(),
            min: Some(-0.1),
            max: Some(0.05),
            scale: 0.01,
            source: String::new(),
        };
        assert_eq!(c.violation(0.0), 0.0);
        assert!((c.violation(0.08) - 0.03).abs() < 1e-12);
        assert!((c.violation(-0.2) - 0.1).abs() < 1e-12);
        assert!(c.violation(f64::NAN).is_infinite());
    }
}
