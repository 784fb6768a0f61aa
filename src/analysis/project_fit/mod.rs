//! Calibration to project-level data: the model's own structure, fitted by maximum likelihood
//! to records of past projects (docs/CALIBRATION.md, "Project data").
//!
//! - probability of each factor: the share of projects where it struck (binomial);
//! - cost impacts: `ln(cost before burn) = μ_c + Σ c_i s_i + σ_c η`, a Gaussian linear model,
//!   where cost before burn = `1 + overrun − burn·max(slip, 0)` (MODEL.md §5), on the projects
//!   that did not run away when the data say which did (a runaway multiplies cost by its size);
//! - schedule impacts: `ln(1 + slip) = μ_d + Σ d_i s_i + σ_d η'`, likewise;
//! - runaway impacts (outcome model v2): `P(runaway | s) = 1 − exp(−exp(ln λ₀ + Σ r_i s_i))`, a
//!   binary regression with the complementary log-log link, when the data record runaways;
//! - benefit impacts: `ln R = α + Σ ln(1 − b_i s_i) + σ_b ε`, observed capped at 1 (a Tobit
//!   model), with a failed project's realisation divided by the failed share first;
//! - the outcome class on the ratings, by proportional-odds logistic regression, with its
//!   fit scores, calibration table and k-fold cross-validated scores.
//!
//! Every impact is fitted under its sign constraint (a factor only adds cost, time and hazard,
//! and only takes benefits), not clamped afterwards; an impact on or near its bound gets a
//! profile-likelihood interval, and one the constraint holds is named in a warning
//! (docs/CALIBRATION.md, "Constraints").
//!
//! Each model uses the rows where its outcome and every regressor are present (complete
//! cases); the report counts the rows each model left out. Pure: no files.

mod missing;
mod models;
mod pool;
mod written;

pub use missing::{MissingData, MissingDataSummary};
pub use written::fitted_catalogue;

use crate::analysis::imputation::ImputationSettings;

use models::{linear_model, outcome_model, residual_correlation, runaway_model};

use super::regression::{
    self, CalibrationBin, CensoredFit, CloglogFit, Coefficient, IntervalMethod, LinearFit,
    OrdinalFit, Z95,
};
use crate::engine::projects::ProjectRecord;
use crate::error::Error;
use crate::model::Catalogue;
use crate::model::catalogue::{MAX_LOG_IMPACT, MAX_RUNAWAY_IMPACT};
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
    /// Whether the data have a `runaway` column at all (then `runaway` has one entry per row).
    pub runaway_recorded: bool,
    /// Whether each project ran away (outcome model v2); `None` = not recorded.
    pub runaway: Vec<Option<bool>>,
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
            runaway_recorded: true,
            runaway: records.iter().map(|r| Some(r.outcome.runaway)).collect(),
        }
    }

    /// The same data without the `runaway` column (as past records that do not say).
    pub fn without_runaways(mut self) -> ProjectData {
        self.runaway_recorded = false;
        self.runaway = vec![None; self.ratings.len()];
        self
    }

    /// Whether row `r` is known not to have run away, or runaways are not recorded at all: the
    /// rows the cost and schedule models use.
    fn in_body(&self, r: usize) -> bool {
        !self.runaway_recorded || self.runaway[r] == Some(false)
    }

    /// The rows known to have run away.
    fn runaway_rows(&self) -> usize {
        self.runaway.iter().filter(|r| **r == Some(true)).count()
    }
}

/// Fewer runaways than this among the rows the runaway model can use, and the hazard is not
/// fitted: the catalogue keeps the input's runaway values.
pub const MIN_RUNAWAYS: usize = 10;

/// What the fit needs from the model besides the data.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// The project's team burn share (MODEL.md §5), to take the slip's cost out of overruns.
    pub burn: f64,
    /// The share of benefits a failed project keeps (MODEL.md §5).
    pub failed_share: f64,
    pub folds: usize,
    pub seed: u64,
    /// What to do with missing values.
    pub missing: MissingData,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbabilityEstimate {
    pub factor: String,
    pub estimate: f64,
    pub standard_error: f64,
    pub low: f64,
    pub high: f64,
    pub rated_rows: usize,
    /// With multiply imputed data, Rubin's fraction of missing information; `None` otherwise.
    pub fraction_missing_information: Option<f64>,
}

/// A fitted model with the rows it used and its cross-validated score.
#[derive(Debug, Clone, Serialize)]
pub struct Fitted<F> {
    pub fit: F,
    pub rows_used: usize,
    /// Rows not used for a missing value (an outcome, a rating, a covariate, or, for the cost
    /// and schedule models, whether the project ran away).
    pub rows_left_out: usize,
    /// Rows not used because the project ran away (cost and schedule models, when the data
    /// record runaways; 0 otherwise). `rows_used + rows_left_out + runaways_excluded = rows`.
    pub runaways_excluded: usize,
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

impl OutcomeScores {
    /// The scores of predicted probabilities `p` of the events `y`.
    fn of(p: &[f64], y: &[bool]) -> OutcomeScores {
        OutcomeScores {
            brier: regression::brier(p, y),
            auc: regression::auc(p, y),
            log_loss: regression::log_loss(p, y),
        }
    }
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

/// The runaway hazard, `P(runaway | s) = 1 − exp(−exp(ln λ₀ + Σ r_i s_i))`, fitted when the data
/// record runaways.
#[derive(Debug, Clone, Serialize)]
pub struct RunawayModel {
    /// The complementary log-log fit (intercept = ln λ₀, then r_i per rating column and the
    /// covariates); `None` when it was not fitted (`note` says why).
    pub fit: Option<CloglogFit>,
    /// Rows with the runaway status and every regressor present.
    pub rows_used: usize,
    pub rows_left_out: usize,
    /// Runaways among the rows used.
    pub runaways: usize,
    /// `1 − exp(−λ₀)`: the chance that a project no factor strikes runs away (covariates at 0);
    /// SE by the delta method, interval mapped from ln λ₀'s.
    pub base_probability: Option<Coefficient>,
    /// Scores of the predicted probability of a runaway, in sample and by k-fold refits.
    pub in_sample: Option<OutcomeScores>,
    pub cross_validated: Option<OutcomeScores>,
    pub folds: usize,
    /// Whether the hazard was written to the catalogue (`impact.runaway`, `[runaway]
    /// base_probability`); when not, the input catalogue's values are kept and `note` says why.
    pub written: bool,
    pub note: Option<String>,
    /// Rated factors whose estimate is held at 0 by the constraint r_i ≥ 0 (the unconstrained
    /// maximum would be negative).
    pub negative: Vec<String>,
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
    /// `None` without a `runaway` column.
    pub runaway: Option<RunawayModel>,
    /// Correlation of the cost and schedule residuals (the catalogue's
    /// `cost_schedule_correlation`), over the rows both models used.
    pub cost_schedule_correlation: Option<f64>,
    /// The catalogue's impacts per rated factor, as written (a presence-only column's
    /// coefficient divided by the factor's mean severity).
    pub impacts: Vec<WrittenImpact>,
    /// What the reader should know before using the fit (also printed on standard error).
    pub warnings: Vec<String>,
    /// How missing values were handled, and how many there were.
    pub missing_data: MissingDataSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct WrittenImpact {
    pub factor: String,
    pub benefit: Option<f64>,
    pub cost: Option<f64>,
    pub schedule: Option<f64>,
    /// The runaway impact (log hazard per unit of severity); `None` = kept.
    pub runaway: Option<f64>,
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

/// Fit everything the data allows: with missing values and [`MissingData::Impute`], on
/// multiply imputed data pooled by Rubin's rules ([`missing`]); otherwise each model on its
/// complete cases.
pub fn fit(
    data: &ProjectData,
    catalogue: &Catalogue,
    options: &FitOptions,
) -> Result<ProjectFit, Error> {
    fit_observed(data, catalogue, options, &|| {})
}

/// [`fit`], calling `fitted` once per imputed data set fitted (for a progress bar; not called
/// without imputation).
pub fn fit_observed(
    data: &ProjectData,
    catalogue: &Catalogue,
    options: &FitOptions,
    fitted: &(dyn Fn() + Sync),
) -> Result<ProjectFit, Error> {
    let summary = missing::summary(data, catalogue, &options.missing);
    match options.missing {
        MissingData::Impute(settings) if summary.rows_with_missing > 0 => {
            // Rubin's rules need two analyses at least (the CLI refuses fewer).
            let settings = ImputationSettings {
                imputations: settings.imputations.max(2),
                ..settings
            };
            missing::fit_imputed(data, catalogue, options, &settings, summary, fitted)
        }
        _ => {
            let mut fit = fit_complete_cases(data, catalogue, options)?;
            fit.missing_data = summary;
            Ok(fit)
        }
    }
}

/// Every model on the rows where its outcome and regressors are present.
fn fit_complete_cases(
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
                fraction_missing_information: None,
            }
        })
        .collect();

    // A runaway multiplies cost by its size Y and duration by Y^φ: the cost and schedule models
    // are the body of the distribution, fitted on the projects known not to have run away.
    let runaways_excluded = if data.runaway_recorded {
        data.runaway_rows()
    } else {
        0
    };
    let cost_outcome = |r: usize| -> Option<f64> {
        if !data.in_body(r) {
            return None;
        }
        let overrun = data.overrun[r]?;
        let slip = data.slip[r].unwrap_or(0.0);
        let before_burn = 1.0 + overrun - options.burn * slip.max(0.0);
        (before_burn > 0.0).then(|| before_burn.ln())
    };
    let schedule_outcome = |r: usize| {
        data.slip[r]
            .filter(|s| data.in_body(r) && *s > -1.0)
            .map(f64::ln_1p)
    };
    let cost = linear_model(data, catalogue, options, &cost_outcome, runaways_excluded)
        .map(|m| m.map_err(|e| fit_error("cost", e)))
        .transpose()?;
    let schedule = linear_model(
        data,
        catalogue,
        options,
        &schedule_outcome,
        runaways_excluded,
    )
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
                runaways_excluded: 0,
                cross_validated_rmse: None,
            })
        }
    };
    let outcome = outcome_model(data, catalogue, options)
        .map(|m| m.map_err(|e| fit_error("outcome", e)))
        .transpose()?;
    let runaway = data
        .runaway_recorded
        .then(|| runaway_model(data, catalogue, options, &scales(data, catalogue)));
    Ok(assemble(
        data,
        catalogue,
        Models {
            probabilities,
            cost,
            schedule,
            benefit,
            outcome,
            runaway,
            cost_schedule_correlation,
        },
    ))
}

/// Every fitted model of one data set, before the written impacts and the warnings.
struct Models {
    probabilities: Vec<ProbabilityEstimate>,
    cost: Option<Fitted<LinearFit>>,
    schedule: Option<Fitted<LinearFit>>,
    benefit: Option<Fitted<CensoredFit>>,
    outcome: Option<OutcomeModel>,
    runaway: Option<RunawayModel>,
    cost_schedule_correlation: Option<f64>,
}

/// The rating unit's scale per rated factor: 1 for severities, the mean severity for a
/// presence-only column.
fn scales(data: &ProjectData, catalogue: &Catalogue) -> Vec<f64> {
    data.factors
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            if data.presence_only[k] {
                catalogue.factors[i].severity.mean()
            } else {
                1.0
            }
        })
        .collect()
}

/// The impacts written to the catalogue and the warnings, from the fitted models.
fn assemble(data: &ProjectData, catalogue: &Catalogue, models: Models) -> ProjectFit {
    let Models {
        probabilities,
        cost,
        schedule,
        benefit,
        outcome,
        runaway,
        cost_schedule_correlation,
    } = models;
    let scales = scales(data, catalogue);
    let impacts: Vec<WrittenImpact> = data
        .factors
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let factor = &catalogue.factors[i];
            let scale = scales[k];
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
                runaway: runaway
                    .as_ref()
                    .filter(|m| m.written)
                    .and_then(|m| m.fit.as_ref())
                    .map(|fit| {
                        (fit.coefficients[k + 1].estimate / scale).clamp(0.0, MAX_RUNAWAY_IMPACT)
                    }),
                scale,
            }
        })
        .collect();
    let mut warnings = Vec::new();
    if !data.runaway_recorded && (cost.is_some() || schedule.is_some()) {
        warnings.push(format!(
            "no `{RUNAWAY_COLUMN}` column: projects that ran away, if any, are fitted as ordinary ones, so the cost and schedule impacts and residual sds come out biased upward (and the log means with them), and the runaway hazard is not fitted; add a `{RUNAWAY_COLUMN}` column (yes/no) to fit the two apart"
        ));
    }
    if let Some(m) = runaway.as_ref().filter(|m| !m.written) {
        warnings.push(format!(
            "the runaway hazard was not written: {}",
            m.note.as_deref().unwrap_or("not fitted")
        ));
    }
    let factor_count = data.factors.len();
    let held = [
        (
            "cost",
            cost.as_ref().map(|m| &m.fit.coefficients[1..=factor_count]),
        ),
        (
            "schedule",
            schedule
                .as_ref()
                .map(|m| &m.fit.coefficients[1..=factor_count]),
        ),
        ("benefit", benefit.as_ref().map(|m| &m.fit.impacts[..])),
        (
            "runaway",
            runaway
                .as_ref()
                .and_then(|m| m.fit.as_ref())
                .map(|f| &f.coefficients[1..=factor_count]),
        ),
    ];
    warnings.extend(
        held.iter()
            .filter_map(|(model, coefficients)| bound_warning(model, (*coefficients)?)),
    );
    warnings.extend(capped_warnings(
        &impacts, &cost, &schedule, &benefit, &runaway,
    ));
    ProjectFit {
        origin: data.origin.clone(),
        rows: data.ratings.len(),
        probabilities,
        cost,
        schedule,
        benefit,
        outcome,
        runaway,
        cost_schedule_correlation,
        impacts,
        warnings,
        missing_data: MissingDataSummary::default(),
    }
}

/// The warning for the impacts a model's constraint holds on a bound (0, or the benefit
/// impact's 0.99); `None` when none is held.
fn bound_warning(model: &str, coefficients: &[Coefficient]) -> Option<String> {
    let held: Vec<&str> = coefficients
        .iter()
        .filter(|c| c.held_at_bound)
        .map(|c| c.name.as_str())
        .collect();
    let pooled = coefficients
        .iter()
        .any(|c| c.held_at_bound && c.interval == IntervalMethod::Rubin);
    (!held.is_empty()).then(|| {
        let one = held.len() == 1;
        let interval = if pooled {
            "Rubin's interval over the imputations, cut at the bound"
        } else {
            "the profile-likelihood one, not a Wald interval around a clamped point"
        };
        format!(
            "the {model} model's bounds bind for {} ({}): the data alone would put {} below 0 (or above the ceiling), so {} held on the bound, and {} 95 % interval is {interval} (docs/CALIBRATION.md, \"Constraints\")",
            if one { "1 impact".to_string() } else { format!("{} impacts", held.len()) },
            held.join(", "),
            if one { "it" } else { "each" },
            if one { "it is" } else { "each is" },
            if one { "its" } else { "each one's" },
        )
    })
}

/// Warnings for written impacts cut to the catalogue's ceiling (the fit's own bound is wider).
fn capped_warnings(
    impacts: &[WrittenImpact],
    cost: &Option<Fitted<LinearFit>>,
    schedule: &Option<Fitted<LinearFit>>,
    benefit: &Option<Fitted<CensoredFit>>,
    runaway: &Option<RunawayModel>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    for (k, w) in impacts.iter().enumerate() {
        let fitted = [
            (
                "cost",
                w.cost,
                cost.as_ref().map(|m| m.fit.coefficients[k + 1].estimate),
            ),
            (
                "schedule",
                w.schedule,
                schedule
                    .as_ref()
                    .map(|m| m.fit.coefficients[k + 1].estimate),
            ),
            (
                "benefit",
                w.benefit,
                benefit.as_ref().map(|m| m.fit.impacts[k].estimate),
            ),
            (
                "runaway",
                w.runaway,
                runaway
                    .as_ref()
                    .and_then(|m| m.fit.as_ref())
                    .map(|f| f.coefficients[k + 1].estimate),
            ),
        ];
        for (channel, written, estimate) in fitted {
            if let (Some(written), Some(estimate)) = (written, estimate) {
                let unscaled = estimate / w.scale;
                if (unscaled - written).abs() > 1e-12 * (1.0 + unscaled.abs()) {
                    warnings.push(format!(
                        "the {channel} impact of {} is written as {written:.4}, the catalogue's ceiling, not the fitted {unscaled:.4}",
                        w.factor
                    ));
                }
            }
        }
    }
    warnings
}

/// The name of the column that says whether a project ran away.
pub const RUNAWAY_COLUMN: &str = "runaway";

/// Coefficient rows for a report: name, estimate, SE, low, high, how the interval was found
/// (with "held at bound" where a constraint holds the estimate), and with `imputed` the fraction
/// of missing information.
pub fn coefficient_rows(coefficients: &[Coefficient], imputed: bool) -> Vec<Vec<String>> {
    coefficients
        .iter()
        .map(|c| {
            let mut row = vec![
                c.name.clone(),
                format!("{:.4}", c.estimate),
                format!("{:.4}", c.standard_error),
                format!("{:.4}", c.low),
                format!("{:.4}", c.high),
                if c.held_at_bound {
                    format!("{}; held at bound", c.interval.label())
                } else {
                    c.interval.label().to_string()
                },
            ];
            if imputed {
                row.push(
                    c.fraction_missing_information
                        .map_or(String::new(), |f| format!("{f:.3}")),
                );
            }
            row
        })
        .collect()
}
