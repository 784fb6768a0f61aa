//! Missing values in project data (docs/CALIBRATION.md, "Missing values"): complete cases per
//! model, or multiple imputation by chained equations ([`crate::analysis::imputation`]) with
//! every model fitted on each completed data set and the results pooled by Rubin's rules
//! ([`crate::analysis::regression::rubin`]).
//!
//! Pooling, model by model:
//! - the cost and schedule models pool their *unconstrained* least-squares estimates (which are
//!   asymptotically normal), then apply the bounds c_i, d_i ≥ 0 to the pooled normal
//!   approximation N(Q̄, T): the constrained estimate is the point nearest Q̄ in the metric T⁻¹,
//!   and an impact on or near 0 gets the profile interval of that approximation (cutoff t²_ν);
//! - the other models pool their estimates as fitted (the benefit and runaway impacts already
//!   under their bounds) with Rubin's t_ν intervals, cut at the bounds — an approximation near a
//!   bound, where the mean of bounded estimates is pulled inwards;
//! - scores, likelihoods and R² are averaged over the imputations; the calibration table and
//!   residuals are the first imputation's.

use super::{FitOptions, ProjectData, ProjectFit, fit_complete_cases, pool::pool};
use crate::analysis::imputation::{self, ImputationSettings};
use crate::error::Error;
use crate::model::Catalogue;
use serde::Serialize;

/// What to do with missing values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MissingData {
    /// Each model on the rows where its outcome and every regressor are present.
    CompleteCases,
    /// Multiple imputation by chained equations, pooled by Rubin's rules.
    Impute(ImputationSettings),
}

/// How missing values were handled, and how many there were.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MissingDataSummary {
    /// `"complete cases"` or `"multiple imputation"`.
    pub method: String,
    /// Completed data sets, cycles and donors (multiple imputation only; `null` otherwise).
    pub imputations: Option<usize>,
    pub iterations: Option<usize>,
    pub donors: Option<usize>,
    /// Rows with at least one missing value among the columns the models use.
    pub rows_with_missing: usize,
    pub missing_values: usize,
    /// Per column with a missing value: its name and count.
    pub columns: Vec<MissingColumn>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MissingColumn {
    pub column: String,
    pub missing: usize,
}

/// A column of the data that imputation reads and fills.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Rating(usize),
    Covariate(usize),
    Class,
    Overrun,
    Slip,
    Benefit,
    Runaway,
}

/// The columns with at least one value present (a column the file does not have at all is left
/// alone), with their names and values.
fn columns(data: &ProjectData, catalogue: &Catalogue) -> Vec<(Slot, String, Vec<Option<f64>>)> {
    let rows = data.ratings.len();
    let mut out = Vec::new();
    for (k, &i) in data.factors.iter().enumerate() {
        out.push((
            Slot::Rating(k),
            catalogue.factors[i].id.clone(),
            (0..rows).map(|r| data.ratings[r][k]).collect(),
        ));
    }
    for (j, name) in data.covariate_names.iter().enumerate() {
        out.push((
            Slot::Covariate(j),
            name.clone(),
            (0..rows).map(|r| data.covariates[r][j]).collect(),
        ));
    }
    let outcome = |v: &[Option<f64>]| v.to_vec();
    out.push((
        Slot::Class,
        "outcome".into(),
        data.class.iter().map(|c| c.map(|c| c as f64)).collect(),
    ));
    out.push((Slot::Overrun, "overrun".into(), outcome(&data.overrun)));
    out.push((Slot::Slip, "slip".into(), outcome(&data.slip)));
    out.push((
        Slot::Benefit,
        "benefit_realisation".into(),
        outcome(&data.benefit_realisation),
    ));
    if data.runaway_recorded {
        out.push((
            Slot::Runaway,
            super::RUNAWAY_COLUMN.into(),
            data.runaway
                .iter()
                .map(|r| r.map(|r| f64::from(u8::from(r))))
                .collect(),
        ));
    }
    out.retain(|(_, _, values)| values.iter().any(Option::is_some));
    out
}

/// The counts of missing values, and the method.
pub(super) fn summary(
    data: &ProjectData,
    catalogue: &Catalogue,
    method: &MissingData,
) -> MissingDataSummary {
    let rows = data.ratings.len();
    let cols = columns(data, catalogue);
    let rows_with_missing = (0..rows)
        .filter(|&r| cols.iter().any(|(_, _, v)| v[r].is_none()))
        .count();
    let (method_name, imputations, iterations, donors) = match method {
        MissingData::Impute(s) if rows_with_missing > 0 => (
            "multiple imputation",
            Some(s.imputations),
            Some(s.iterations),
            Some(s.donors),
        ),
        _ => ("complete cases", None, None, None),
    };
    MissingDataSummary {
        method: method_name.into(),
        imputations,
        iterations,
        donors,
        rows_with_missing,
        missing_values: cols
            .iter()
            .map(|(_, _, v)| v.iter().filter(|x| x.is_none()).count())
            .sum(),
        columns: cols
            .iter()
            .map(|(_, name, v)| MissingColumn {
                column: name.clone(),
                missing: v.iter().filter(|x| x.is_none()).count(),
            })
            .filter(|c| c.missing > 0)
            .collect(),
    }
}

/// Imputes, fits every model on each completed data set, and pools.
pub(super) fn fit_imputed(
    data: &ProjectData,
    catalogue: &Catalogue,
    options: &FitOptions,
    settings: &ImputationSettings,
    summary: MissingDataSummary,
    fitted: &(dyn Fn() + Sync),
) -> Result<ProjectFit, Error> {
    use rayon::prelude::*;
    let cols = columns(data, catalogue);
    let values: Vec<Vec<Option<f64>>> = cols.iter().map(|(_, _, v)| v.clone()).collect();
    // One completed data set per task, dropped once fitted: memory holds a few at a time.
    let fits: Vec<ProjectFit> = (0..settings.imputations)
        .into_par_iter()
        .map(|m| {
            let filled = imputation::impute_one(&values, settings, m);
            let mut fit = fit_complete_cases(&fill(data, &cols, &filled), catalogue, options)?;
            if m > 0 {
                // The pooled fit reports the first imputation's residuals only.
                for model in [&mut fit.cost, &mut fit.schedule].into_iter().flatten() {
                    model.fit.residuals = Vec::new();
                }
            }
            fitted();
            Ok(fit)
        })
        .collect::<Result<_, Error>>()?;
    let mut pooled = pool(data, catalogue, &fits);
    pooled.missing_data = summary;
    Ok(pooled)
}

/// The data with every imputed column filled from `filled` (same order as `cols`).
fn fill(
    data: &ProjectData,
    cols: &[(Slot, String, Vec<Option<f64>>)],
    filled: &[Vec<f64>],
) -> ProjectData {
    let mut out = data.clone();
    for ((slot, _, _), values) in cols.iter().zip(filled) {
        for (r, &v) in values.iter().enumerate() {
            match *slot {
                Slot::Rating(k) => out.ratings[r][k] = Some(v),
                Slot::Covariate(j) => out.covariates[r][j] = Some(v),
                Slot::Class => out.class[r] = Some((v.round().clamp(0.0, 2.0)) as usize),
                Slot::Overrun => out.overrun[r] = Some(v),
                Slot::Slip => out.slip[r] = Some(v),
                Slot::Benefit => out.benefit_realisation[r] = Some(v),
                Slot::Runaway => out.runaway[r] = Some(v > 0.5),
            }
        }
    }
    out
}
