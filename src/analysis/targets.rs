//! Published figures as calibration targets (`scenarios/calibration/published.toml`), and the
//! check of a report against them.

use super::report::{Estimate, Report};
use crate::error::Error;
use crate::scenario::source::{FieldPath, Problem, Source};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub id: String,
    /// A metric id of the report (e.g. `p_missed_objectives`) …
    pub metric: Option<String>,
    /// … or a survey cause group whose primary-cause share is the target.
    pub cause_group: Option<String>,
    pub value: f64,
    pub tolerance: f64,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    targets: Vec<Target>,
}

/// A target next to the model's figure.
#[derive(Debug, Clone, Serialize)]
pub struct TargetCheck {
    pub target: Target,
    pub fitted: Estimate,
    pub within_tolerance: bool,
}

pub fn load(source: &Source) -> Result<Vec<Target>, Error> {
    let file: TargetsFile = source.parse()?;
    for (i, t) in file.targets.iter().enumerate() {
        let path = FieldPath::root().key("targets").index(i);
        if t.metric.is_some() == t.cause_group.is_some() {
            return Err(source.problem(Problem::new(
                &path,
                "a target names exactly one of `metric` or `cause_group`",
                "keep one of the two keys",
            )));
        }
        if !(t.tolerance.is_finite() && t.tolerance > 0.0 && t.value.is_finite()) {
            return Err(source.problem(Problem::new(
                &path.key("tolerance"),
                "value and tolerance must be finite, tolerance above 0",
                "give e.g. value = 0.65, tolerance = 0.03",
            )));
        }
    }
    Ok(file.targets)
}

/// Compare the baseline strategy of `report` with each target; `None` for a name the report
/// does not have.
pub fn check(report: &Report, targets: &[Target]) -> Vec<Option<TargetCheck>> {
    let base = report.baseline();
    targets
        .iter()
        .map(|t| {
            let fitted = match (&t.metric, &t.cause_group) {
                (Some(metric), _) => base.metric(metric).copied(),
                (_, Some(group)) => base
                    .causes
                    .by_group
                    .iter()
                    .find(|g| &g.id == group)
                    .map(|g| g.share),
                _ => None,
            }?;
            Some(TargetCheck {
                within_tolerance: (fitted.value - t.value).abs() <= t.tolerance,
                fitted,
                target: t.clone(),
            })
        })
        .collect()
}
