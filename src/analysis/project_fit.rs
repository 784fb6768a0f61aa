//! Calibration to project-level data: the model's own structure, fitted by maximum likelihood
//! to records of past projects (docs/CALIBRATION.md, "Project data").
//!
//! - probability of each factor: the share of projects where it struck (binomial);
//! - cost impacts: `ln(cost before burn) = μ_c + Σ c_i s_i + σ_c η`, a Gaussian linear model,
//!   where cost before burn = `1 + overrun − burn·max(slip, 0)` (MODEL.md §5);
//! - schedule impacts: `ln(1 + slip) = μ_d + Σ d_i s_i + σ_d η'`, likewise;
//! - benefit impacts: `ln R = α + Σ ln(1 − b_i s_i) + σ_b ε`, observed capped at 1 (a Tobit
//!   model), with a failed project's realisation divided by the failed share first;
//! - the outcome class on the ratings, by proportional-odds logistic regression, with its
//!   fit scores, calibration table and k-fold cross-validated scores.
//!
//! Each model uses the rows where its outcome and every regressor are present (complete
//! cases); the report counts the rows each model left out. Pure: no files.

use super::regression::{
    self, CalibrationBin, CensoredFit, Coefficient, LinearFit, OrdinalFit, Z95,
};
use crate::engine::projects::ProjectRecord;
use crate::error::Error;
use crate::model::Catalogue;
use crate::model::catalogue::MAX_LOG_IMPACT;
use nalgebra::DMatrix;
use serde::Serialize;

/// Project records, already checked: every present value is valid.
#[derive(Debug, Clone, Default)]
pub struct ProjectData {
    /// Where the data came from, for messages.
    pub origin: String,
    /// The rated factors' catalogue indices, in column order.
    pub factors: Vec<usize>,
    /// A rating column that only says present / absent (1 / 0) rather than a severity.
    pub presence_only: Vec<bool>,
    /// `ratings[row][k]` for factor `factors[k]`.
    pub ratings: Vec<Vec<Option<f64>>>,
    pub covariate_names: Vec<String>,
    /// `covariates[row][j]`, already one-hot coded for text columns.
    pub covariates: Vec<Vec<Option<f64>>>,
    /// 0 success, 1 challenged, 2 failed.
    pub class: Vec<Option<usize>>,
    pub overrun: Vec<Option<f64>>,
    pub slip: Vec<Option<f64>>,
    pub benefit_realisation: Vec<Option<f64>>,
}

impl ProjectData {
    /// Records simulated by [`crate::engine::projects::simulate_projects`], every factor
    /// rated by its severity, no covariates.
    pub fn from_records(records: &[ProjectRecord], factors: usize, origin: &str) -> ProjectData {
        ProjectData {
            origin: origin.into(),
            factors: (0..factors).collect(),
            presence_only: vec![false; factors],
            ratings: records.iter().map(|r| r.ratings.clone()).collect(),
            covariate_names: Vec::new(),
            covariates: vec![Vec::new(); records.len()],
            class: records.iter().map(|r| Some(r.class as usize)).collect(),
            overrun: records.iter().map(|r| Some(r.outcome.overrun)).collect(),
            slip: records.iter().map(|r| Some(r.outcome.slip)).collect(),
            benefit_realisation: records
                .iter()
                .map(|r| Some(r.outcome.benefit_realisation))
                .collect(),
        }
    }
}

/// What the fit needs from the model besides the data.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// The project's team burn share (MODEL.md §5), to take the slip's cost out of overruns.
    pub burn: f64,
    /// The share of benefits a failed project keeps (MODEL.md §5).
    pub failed_share: f64,
    pub folds: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbabilityEstimate {
    pub factor: String,
    pub estimate: f64,
    pub standard_error: f64,
    pub low: f64,
    pub high: f64,
    pub rated_rows: usize,
}

/// A fitted model with the rows it used and its cross-validated score.
#[derive(Debug, Clone, Serialize)]
pub struct Fitted<F> {
    pub fit: F,
    pub rows_used: usize,
    pub rows_left_out: usize,
    /// k-fold cross-validated root mean squared error of the prediction (linear models), or
    /// the scores of [`OutcomeScores`] (outcome model).
    pub cross_validated_rmse: Option<f64>,
}

/// Scores of the predicted probability of missing the objectives (class ≥ challenged).
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeScores {
    pub brier: f64,
    pub auc: f64,
    pub log_loss: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutcomeModel {
    pub fit: OrdinalFit,
    pub rows_used: usize,
    pub rows_left_out: usize,
    pub in_sample: OutcomeScores,
    pub cross_validated: OutcomeScores,
    pub folds: usize,
    /// Deciles of the predicted probability of missing the objectives, with the observed share.
    pub calibration: Vec<CalibrationBin>,
}

/// Every fit of one data set.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectFit {
    pub origin: String,
    pub rows: usize,
    pub probabilities: Vec<ProbabilityEstimate>,
    pub cost: Option<Fitted<LinearFit>>,
    pub schedule: Option<Fitted<LinearFit>>,
    pub benefit: Option<Fitted<CensoredFit>>,
    pub outcome: Option<OutcomeModel>,
    /// Correlation of the cost and schedule residuals (the catalogue's
    /// `cost_schedule_correlation`), over the rows both models used.
    pub cost_schedule_correlation: Option<f64>,
    /// The catalogue's impacts per rated factor, as written (a presence-only column's
    /// coefficient divided by the factor's mean severity).
    pub impacts: Vec<WrittenImpact>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WrittenImpact {
    pub factor: String,
    pub benefit: Option<f64>,
    pub cost: Option<f64>,
    pub schedule: Option<f64>,
    /// The rating unit's scale: 1 for severities, the mean severity for presence-only columns.
    pub scale: f64,
}

fn data_error(data: &ProjectData, message: String, fix: &str) -> Error {
    Error::Data {
        path: data.origin.clone(),
        message,
        fix: fix.into(),
    }
}

/// The design of the rows where every regressor and the outcome are present.
struct Design {
    rows: Vec<usize>,
    x: DMatrix<f64>,
    names: Vec<String>,
}

fn design(
    data: &ProjectData,
    catalogue: &Catalogue,
    outcome_present: impl Fn(usize) -> bool,
) -> Design {
    let rows: Vec<usize> = (0..data.ratings.len())
        .filter(|&r| {
            outcome_present(r)
                && data.ratings[r].iter().all(Option::is_some)
                && data.covariates[r].iter().all(Option::is_some)
        })
        .collect();
    let columns = data.factors.len() + data.covariate_names.len();
    let x = DMatrix::from_fn(rows.len(), columns, |i, j| {
        let r = rows[i];
        let value = if j < data.factors.len() {
            data.ratings[r][j]
        } else {
            data.covariates[r][j - data.factors.len()]
        };
        value.unwrap_or(0.0)
    });
    let mut names: Vec<String> = data
        .factors
        .iter()
        .map(|&i| catalogue.factors[i].id.clone())
        .collect();
    names.extend(data.covariate_names.iter().cloned());
    Design { rows, x, names }
}

fn rows_of(x: &DMatrix<f64>, rows: &[usize]) -> DMatrix<f64> {
    DMatrix::from_fn(rows.len(), x.ncols(), |i, j| x[(rows[i], j)])
}

/// Fit everything the data allows.
pub fn fit(
    data: &ProjectData,
    catalogue: &Catalogue,
    options: &FitOptions,
) -> Result<ProjectFit, Error> {
    let fit_error = |model: &str, e: regression::FitError| {
        data_error(
            data,
            format!("the {model} model cannot be fitted: {e}"),
            "drop or fix the column named (a factor rated the same in every project carries no information), or add projects",
        )
    };
    let probabilities = data
        .factors
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let rated: Vec<f64> = data.ratings.iter().filter_map(|r| r[k]).collect();
            let n = rated.len();
            let struck = rated.iter().filter(|&&s| s > 0.0).count();
            let p = if n == 0 {
                f64::NAN
            } else {
                struck as f64 / n as f64
            };
            let se = (p * (1.0 - p) / n as f64).sqrt();
            ProbabilityEstimate {
                factor: catalogue.factors[i].id.clone(),
                estimate: p,
                standard_error: se,
                low: (p - Z95 * se).max(0.0),
                high: (p + Z95 * se).min(1.0),
                rated_rows: n,
            }
        })
        .collect();

    let cost_outcome = |r: usize| -> Option<f64> {
        let overrun = data.overrun[r]?;
        let slip = data.slip[r].unwrap_or(0.0);
        let before_burn = 1.0 + overrun - options.burn * slip.max(0.0);
        (before_burn > 0.0).then(|| before_burn.ln())
    };
    let schedule_outcome = |r: usize| data.slip[r].filter(|s| *s > -1.0).map(f64::ln_1p);
    let cost = linear_model(data, catalogue, options, &cost_outcome)
        .map(|m| m.map_err(|e| fit_error("cost", e)))
        .transpose()?;
    let schedule = linear_model(data, catalogue, options, &schedule_outcome)
        .map(|m| m.map_err(|e| fit_error("schedule", e)))
        .transpose()?;
    let cost_schedule_correlation = residual_correlation(
        data,
        catalogue,
        &cost_outcome,
        &schedule_outcome,
        &cost,
        &schedule,
    );

    let realisation = |r: usize| -> Option<f64> {
        let observed = data.benefit_realisation[r]?;
        let failed = data.class[r]? == 2;
        let latent = if failed {
            observed / options.failed_share
        } else {
            observed
        };
        (latent > 0.0).then_some(latent.min(1.0))
    };
    let benefit = {
        let d = design(data, catalogue, |r| realisation(r).is_some());
        if d.rows.len() <= d.x.ncols() + 2 || data.benefit_realisation.iter().all(Option::is_none) {
            None
        } else {
            let y: Vec<f64> = d.rows.iter().filter_map(|&r| realisation(r)).collect();
            // The benefit model takes levels in [0, 1]: the factor columns only.
            let factors = data.factors.len();
            let x = d.x.columns(0, factors).into_owned();
            let fit = regression::censored_benefit(&x, &y, &d.names[..factors])
                .map_err(|e| fit_error("benefit", e))?;
            Some(Fitted {
                fit,
                rows_used: d.rows.len(),
                rows_left_out: data.ratings.len() - d.rows.len(),
                cross_validated_rmse: None,
            })
        }
    };
    let outcome = outcome_model(data, catalogue, options)
        .map(|m| m.map_err(|e| fit_error("outcome", e)))
        .transpose()?;

    let impacts = data
        .factors
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let factor = &catalogue.factors[i];
            let scale = if data.presence_only[k] {
                factor.severity.mean()
            } else {
                1.0
            };
            let coefficient = |m: &Option<Fitted<LinearFit>>| {
                m.as_ref().map(|m| {
                    (m.fit.coefficients[k + 1].estimate / scale).clamp(0.0, MAX_LOG_IMPACT)
                })
            };
            WrittenImpact {
                factor: factor.id.clone(),
                benefit: benefit
                    .as_ref()
                    .map(|m| (m.fit.impacts[k].estimate / scale).clamp(0.0, 0.95)),
                cost: coefficient(&cost),
                schedule: coefficient(&schedule),
                scale,
            }
        })
        .collect();
    Ok(ProjectFit {
        origin: data.origin.clone(),
        rows: data.ratings.len(),
        probabilities,
        cost,
        schedule,
        benefit,
        outcome,
        cost_schedule_correlation,
        impacts,
    })
}

/// A linear model of `outcome` on the ratings and covariates, with its k-fold RMSE; `None`
/// when the data have no such outcome.
fn linear_model(
    data: &ProjectData,
    catalogue: &Catalogue,
    options: &FitOptions,
    outcome: &dyn Fn(usize) -> Option<f64>,
) -> Option<Result<Fitted<LinearFit>, regression::FitError>> {
    let d = design(data, catalogue, |r| outcome(r).is_some());
    if d.rows.is_empty() {
        return None;
    }
    let y: Vec<f64> = d.rows.iter().filter_map(|&r| outcome(r)).collect();
    let fit = match regression::linear(&d.x, &y, &d.names) {
        Ok(fit) => fit,
        Err(e) => return Some(Err(e)),
    };
    let mut squared = 0.0;
    for held_out in regression::folds(d.rows.len(), options.folds, options.seed) {
        let training: Vec<usize> = (0..d.rows.len())
            .filter(|i| !held_out.contains(i))
            .collect();
        let y_training: Vec<f64> = training.iter().map(|&i| y[i]).collect();
        let Ok(part) = regression::linear(&rows_of(&d.x, &training), &y_training, &d.names) else {
            continue;
        };
        for &i in &held_out {
            let row: Vec<f64> = d.x.row(i).iter().copied().collect();
            squared += (part.predict(&row) - y[i]).powi(2);
        }
    }
    Some(Ok(Fitted {
        rows_used: d.rows.len(),
        rows_left_out: data.ratings.len() - d.rows.len(),
        cross_validated_rmse: Some((squared / d.rows.len() as f64).sqrt()),
        fit,
    }))
}

fn residual_correlation(
    data: &ProjectData,
    catalogue: &Catalogue,
    cost_outcome: &dyn Fn(usize) -> Option<f64>,
    schedule_outcome: &dyn Fn(usize) -> Option<f64>,
    cost: &Option<Fitted<LinearFit>>,
    schedule: &Option<Fitted<LinearFit>>,
) -> Option<f64> {
    let (cost, schedule) = (cost.as_ref()?, schedule.as_ref()?);
    let d = design(data, catalogue, |r| {
        cost_outcome(r).is_some() && schedule_outcome(r).is_some()
    });
    let pairs: Vec<(f64, f64)> = d
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, &r)| {
            let row: Vec<f64> = d.x.row(i).iter().copied().collect();
            Some((
                cost_outcome(r)? - cost.fit.predict(&row),
                schedule_outcome(r)? - schedule.fit.predict(&row),
            ))
        })
        .collect();
    let n = pairs.len() as f64;
    if n < 3.0 {
        return None;
    }
    let (ma, mb) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p.0 / n, b + p.1 / n));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (a, b) in &pairs {
        sab += (a - ma) * (b - mb);
        saa += (a - ma).powi(2);
        sbb += (b - mb).powi(2);
    }
    Some(sab / (saa * sbb).sqrt())
}

fn outcome_model(
    data: &ProjectData,
    catalogue: &Catalogue,
    options: &FitOptions,
) -> Option<Result<OutcomeModel, regression::FitError>> {
    let d = design(data, catalogue, |r| data.class[r].is_some());
    if d.rows.is_empty() {
        return None;
    }
    let classes: Vec<usize> = d.rows.iter().filter_map(|&r| data.class[r]).collect();
    let fit = match regression::ordinal_logistic(&d.x, &classes, 3, &d.names) {
        Ok(fit) => fit,
        Err(e) => return Some(Err(e)),
    };
    let missed: Vec<bool> = classes.iter().map(|&c| c > 0).collect();
    let p_missed = |fit: &OrdinalFit, i: usize| {
        let row: Vec<f64> = d.x.row(i).iter().copied().collect();
        1.0 - fit.class_probabilities(&row)[0]
    };
    let in_sample: Vec<f64> = (0..d.rows.len()).map(|i| p_missed(&fit, i)).collect();
    let mut held_out_p = vec![f64::NAN; d.rows.len()];
    for held_out in regression::folds(d.rows.len(), options.folds, options.seed) {
        let training: Vec<usize> = (0..d.rows.len())
            .filter(|i| !held_out.contains(i))
            .collect();
        let training_classes: Vec<usize> = training.iter().map(|&i| classes[i]).collect();
        let Ok(part) =
            regression::ordinal_logistic(&rows_of(&d.x, &training), &training_classes, 3, &d.names)
        else {
            continue;
        };
        for &i in &held_out {
            held_out_p[i] = p_missed(&part, i);
        }
    }
    // Rows whose fold could not be fitted are scored by nothing rather than guessed.
    let scored: Vec<usize> = (0..d.rows.len())
        .filter(|&i| held_out_p[i].is_finite())
        .collect();
    let cv_p: Vec<f64> = scored.iter().map(|&i| held_out_p[i]).collect();
    let cv_y: Vec<bool> = scored.iter().map(|&i| missed[i]).collect();
    let scores = |p: &[f64], y: &[bool]| OutcomeScores {
        brier: regression::brier(p, y),
        auc: regression::auc(p, y),
        log_loss: regression::log_loss(p, y),
    };
    Some(Ok(OutcomeModel {
        rows_used: d.rows.len(),
        rows_left_out: data.ratings.len() - d.rows.len(),
        in_sample: scores(&in_sample, &missed),
        cross_validated: scores(&cv_p, &cv_y),
        folds: options.folds,
        calibration: regression::calibration_table(&in_sample, &missed, 10),
        fit,
    }))
}

/// The catalogue with the fitted numbers of the rated factors and the estimating error, and
/// the joint uncertainty of the written parameters (names as in the catalogue's
/// `[uncertainty]`, block-diagonal covariance).
pub fn fitted_catalogue(
    base: &Catalogue,
    data: &ProjectData,
    fit: &ProjectFit,
) -> (Catalogue, Vec<String>, DMatrix<f64>) {
    let mut catalogue = base.clone();
    for (k, &i) in data.factors.iter().enumerate() {
        let factor = &mut catalogue.factors[i];
        let p = fit.probabilities[k].estimate;
        if p.is_finite() {
            factor.probability = p.clamp(1e-4, 1.0);
        }
        let written = &fit.impacts[k];
        factor.impact.benefit = written.benefit.unwrap_or(factor.impact.benefit);
        factor.impact.cost = written.cost.unwrap_or(factor.impact.cost);
        factor.impact.schedule = written.schedule.unwrap_or(factor.impact.schedule);
    }
    let estimate = &mut catalogue.estimate;
    if let Some(cost) = &fit.cost {
        estimate.log_cost_mean = cost.fit.coefficients[0].estimate.clamp(-3.0, 3.0);
        estimate.log_cost_sd = cost.fit.residual_sd.clamp(0.0, 3.0);
    }
    if let Some(schedule) = &fit.schedule {
        estimate.log_schedule_mean = schedule.fit.coefficients[0].estimate.clamp(-3.0, 3.0);
        estimate.log_schedule_sd = schedule.fit.residual_sd.clamp(0.0, 3.0);
    }
    if let Some(rho) = fit.cost_schedule_correlation {
        estimate.cost_schedule_correlation = rho.clamp(-0.99, 0.99);
    }
    if let Some(benefit) = &fit.benefit {
        estimate.benefit_sd = benefit.fit.sigma.estimate.clamp(0.0, 2.0);
    }

    // Blocks: each linear model's intercept and factor coefficients, the benefit impacts, the
    // probabilities. A presence-only column's coefficient is divided by its scale.
    let mut names = Vec::new();
    let mut blocks: Vec<DMatrix<f64>> = Vec::new();
    let factors = data.factors.len();
    let scale = |k: usize| fit.impacts[k].scale;
    for (model, mean_name, channel) in [
        (&fit.cost, "log_cost_mean", "cost"),
        (&fit.schedule, "log_schedule_mean", "schedule"),
    ] {
        if let Some(m) = model {
            names.push(mean_name.to_string());
            names.extend(
                fit.impacts
                    .iter()
                    .map(|w| format!("{channel}:{}", w.factor)),
            );
            let size = factors + 1;
            blocks.push(DMatrix::from_fn(size, size, |a, b| {
                let unit = |j: usize| if j == 0 { 1.0 } else { scale(j - 1) };
                m.fit.covariance[(a, b)] / (unit(a) * unit(b))
            }));
        }
    }
    if let Some(m) = &fit.benefit {
        names.extend(fit.impacts.iter().map(|w| format!("benefit:{}", w.factor)));
        blocks.push(DMatrix::from_fn(factors, factors, |a, b| {
            m.fit.covariance[(a, b)] / (scale(a) * scale(b))
        }));
    }
    let rated: Vec<&ProbabilityEstimate> = fit
        .probabilities
        .iter()
        .filter(|p| p.standard_error.is_finite())
        .collect();
    names.extend(rated.iter().map(|p| format!("probability:{}", p.factor)));
    blocks.push(DMatrix::from_fn(rated.len(), rated.len(), |a, b| {
        if a == b {
            rated[a].standard_error.powi(2)
        } else {
            0.0
        }
    }));
    let size = names.len();
    let mut covariance = DMatrix::zeros(size, size);
    let mut at = 0;
    for block in blocks {
        let n = block.nrows();
        covariance.view_mut((at, at), (n, n)).copy_from(&block);
        at += n;
    }
    (catalogue, names, covariance)
}

/// Coefficient rows for a report: name, estimate, SE, low, high.
pub fn coefficient_rows(coefficients: &[Coefficient]) -> Vec<Vec<String>> {
    coefficients
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                format!("{:.4}", c.estimate),
                format!("{:.4}", c.standard_error),
                format!("{:.4}", c.low),
                format!("{:.4}", c.high),
            ]
        })
        .collect()
}
