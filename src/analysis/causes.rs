//! The failure causes of a run in cuts finer than the CRM Forum survey's groups: by factor
//! category, and every group the survey gives no figure for (such as "Other") broken down into
//! its factors, so that a case-specific cause cannot hide under "Other". Pure.

use crate::analysis::presentation::SurveyComparison;
use crate::analysis::report::{Estimate, Report};
use serde::Serialize;

/// The model's failure causes in cuts finer than the survey's groups, so that a cause the
/// survey has no group for (data quality, ERP integration …) cannot hide under "Other".
#[derive(Debug, Clone, Serialize)]
pub struct CauseBreakdown {
    /// Shares by factor category, in the catalogue's order.
    pub by_category: Vec<CauseRow>,
    /// The parts of "Other" and of every survey group without a survey figure: its factors
    /// and, for "Other", the trials no factor explains; largest baseline share first within
    /// each group, groups in the survey table's order.
    pub unsurveyed: Vec<CauseRow>,
}

/// One cause's share of the trials that missed their objectives.
#[derive(Debug, Clone, Serialize)]
pub struct CauseRow {
    pub id: String,
    pub label: String,
    /// The survey group the cause counts in (its id); empty for a category.
    pub group: String,
    pub baseline: Estimate,
    pub recommended: Estimate,
}

pub fn breakdown(
    report: &Report,
    survey: &[SurveyComparison],
    baseline: usize,
    recommended: usize,
) -> CauseBreakdown {
    let (base, chosen) = (
        &report.strategies[baseline].causes,
        &report.strategies[recommended].causes,
    );
    let by_category = base
        .by_category
        .iter()
        .zip(&chosen.by_category)
        .map(|(b, r)| CauseRow {
            id: b.id.clone(),
            label: b.label.clone(),
            group: String::new(),
            baseline: b.share,
            recommended: r.share,
        })
        .collect();
    let mut unsurveyed = Vec::new();
    // "Other" is broken down even when the survey gives it a share: it is where a cause
    // particular to the case (data quality, ERP integration) lands.
    for row in survey
        .iter()
        .filter(|row| row.survey.is_none() || row.group == "other")
    {
        let mut parts: Vec<CauseRow> = base
            .by_factor
            .iter()
            .zip(&chosen.by_factor)
            .filter(|(b, _)| b.cause_group == row.group)
            .map(|(b, r)| CauseRow {
                id: b.id.clone(),
                label: b.name.clone(),
                group: row.group.clone(),
                baseline: b.share,
                recommended: r.share,
            })
            .collect();
        // The report counts the trials no factor explains in "other" (`Causes::by_group`).
        if row.group == "other" {
            parts.push(CauseRow {
                id: base.unattributed.id.clone(),
                label: base.unattributed.label.clone(),
                group: row.group.clone(),
                baseline: base.unattributed.share,
                recommended: chosen.unattributed.share,
            });
        }
        parts.sort_by(|a, b| b.baseline.value.total_cmp(&a.baseline.value));
        unsurveyed.extend(parts);
    }
    CauseBreakdown {
        by_category,
        unsurveyed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::presentation::{Extras, build};
    use crate::engine::{self, NoObserver, RunSettings};
    use crate::scenario::Scenario;
    use crate::scenario::source::Source;

    #[test]
    fn other_is_broken_down_into_its_factors_and_categories_sum_to_the_groups() {
        let scenario = Scenario::from_source(&Source::new(
            "retail_chain.toml",
            include_str!("../../scenarios/retail_chain.toml"),
        ))
        .unwrap();
        let settings = RunSettings {
            trials: 20_000,
            seed: 3,
            ..RunSettings::default()
        };
        let result = engine::simulate(&scenario, &settings, &NoObserver).unwrap();
        let report = Report::build(&scenario, &result);
        let sample = vec![vec![]; scenario.strategies.len()];
        let p = build(
            &scenario,
            &result,
            report,
            Extras::without_analyses(&sample),
        );
        // "Other" and every group without a survey figure is exactly the sum of its parts.
        let broken: Vec<_> = p
            .survey
            .iter()
            .filter(|row| row.survey.is_none() || row.group == "other")
            .collect();
        assert!(broken.iter().any(|row| row.group == "other"));
        for row in broken {
            let parts: Vec<_> = p
                .causes
                .unsurveyed
                .iter()
                .filter(|c| c.group == row.group)
                .collect();
            assert!(!parts.is_empty(), "{} has no parts", row.group);
            let sum: f64 = parts.iter().map(|c| c.baseline.value).sum();
            assert!(
                (sum - row.baseline.value).abs() < 1e-9,
                "{}: {sum} vs {}",
                row.group,
                row.baseline.value
            );
            let sum: f64 = parts.iter().map(|c| c.recommended.value).sum();
            assert!((sum - row.recommended.value).abs() < 1e-9, "{}", row.group);
            assert!(
                parts
                    .windows(2)
                    .all(|w| w[0].baseline.value >= w[1].baseline.value)
            );
        }
        assert!(p.causes.unsurveyed.iter().any(|c| c.id == "unattributed"));
        // Categories and groups partition the same attributed trials.
        let categories: f64 = p.causes.by_category.iter().map(|c| c.baseline.value).sum();
        let groups: f64 = p.survey.iter().map(|g| g.baseline.value).sum();
        let unattributed = p.report.baseline().causes.unattributed.share.value;
        assert!(
            (categories + unattributed - groups).abs() < 1e-9,
            "{categories} + {unattributed} vs {groups}"
        );
        assert_eq!(p.causes.by_category.len(), scenario.categories.len());
        // The case's own causes, which the survey has no group for, show by name under "Other".
        for id in ["poor_data_quality", "erp_integration"] {
            let part = p.causes.unsurveyed.iter().find(|c| c.id == id).unwrap();
            assert_eq!(part.group, "other");
            assert!(part.baseline.value > 0.0, "{id}");
        }
    }
}
