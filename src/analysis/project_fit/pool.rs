//! Rubin's rules over the fits of multiply imputed data sets, model by model (the rules and
//! their approximations are listed in [`super::missing`]).

use super::{
    Coefficient, Fitted, LinearFit, Models, OutcomeModel, OutcomeScores, ProbabilityEstimate,
    ProjectData, ProjectFit, RunawayModel, assemble,
};
use crate::analysis::regression::bounded_linear::{bounded_profile, nearest_feasible};
use crate::analysis::regression::censored::MAX_IMPACT;
use crate::analysis::regression::rubin;
use crate::analysis::regression::{CensoredFit, CloglogFit, IntervalMethod, OrdinalFit};
use crate::model::Catalogue;
use nalgebra::{DMatrix, DVector};

/// One fit from the fits of M ≥ 2 completed data sets (one fit is returned as it is).
pub(super) fn pool(data: &ProjectData, catalogue: &Catalogue, fits: &[ProjectFit]) -> ProjectFit {
    if fits.len() < 2 {
        return fits[0].clone();
    }
    let factors = data.factors.len();
    let cost = all(fits, |f| f.cost.as_ref()).map(|list| fitted_linear(&list, factors));
    let schedule = all(fits, |f| f.schedule.as_ref()).map(|list| fitted_linear(&list, factors));
    let benefit = all(fits, |f| f.benefit.as_ref()).map(|list| fitted_benefit(&list));
    let outcome = all(fits, |f| f.outcome.as_ref()).map(|list| outcome(&list));
    let runaway = all(fits, |f| f.runaway.as_ref()).map(|list| runaway(&list, factors));
    // Correlations average on Fisher's z scale.
    let cost_schedule_correlation = all(fits, |f| f.cost_schedule_correlation)
        .map(|rhos| mean(rhos.iter().map(|r| r.clamp(-0.999_999, 0.999_999).atanh())).tanh());
    assemble(
        data,
        catalogue,
        Models {
            probabilities: probabilities(fits),
            cost,
            schedule,
            benefit,
            outcome,
            runaway,
            cost_schedule_correlation,
        },
    )
}

/// `Some` of every fit's part when every fit has it.
fn all<'a, T>(
    fits: &'a [ProjectFit],
    part: impl Fn(&'a ProjectFit) -> Option<T>,
) -> Option<Vec<T>> {
    fits.iter().map(part).collect()
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    sum / count.max(1) as f64
}

fn mean_rounded(values: impl Iterator<Item = usize>) -> usize {
    mean(values.map(|v| v as f64)).round() as usize
}

/// Rubin's rules over coefficient lists (the same names in the same order), with their
/// covariances when given (else the SEs alone), intervals cut at `bounds(j)`.
fn pool_list(
    lists: &[&[Coefficient]],
    covariances: Option<Vec<DMatrix<f64>>>,
    complete_df: f64,
    bounds: impl Fn(usize) -> (f64, f64),
) -> (Vec<Coefficient>, DMatrix<f64>) {
    let size = lists[0].len();
    let estimates: Vec<DVector<f64>> = lists
        .iter()
        .map(|l| DVector::from_iterator(size, l.iter().map(|c| c.estimate)))
        .collect();
    let covariances = covariances.unwrap_or_else(|| {
        lists
            .iter()
            .map(|l| {
                DMatrix::from_diagonal(&DVector::from_iterator(
                    size,
                    l.iter().map(|c| c.standard_error.powi(2)),
                ))
            })
            .collect()
    });
    let pooled = rubin::pool(&estimates, &covariances, complete_df);
    let coefficients = (0..size)
        .map(|j| {
            let estimate = pooled.estimate[j];
            let se = pooled.covariance[(j, j)].max(0.0).sqrt();
            let half = pooled.t_quantile(j) * se;
            let (low, high) = bounds(j);
            Coefficient {
                name: lists[0][j].name.clone(),
                estimate,
                standard_error: se,
                low: (estimate - half).max(low),
                high: (estimate + half).min(high),
                interval: IntervalMethod::Rubin,
                held_at_bound: lists.iter().all(|l| l[j].held_at_bound),
                fraction_missing_information: Some(pooled.fraction_missing_information[j]),
            }
        })
        .collect();
    (coefficients, pooled.covariance)
}

const FREE: (f64, f64) = (f64::NEG_INFINITY, f64::INFINITY);

fn probabilities(fits: &[ProjectFit]) -> Vec<ProbabilityEstimate> {
    let lists: Vec<Vec<Coefficient>> = fits
        .iter()
        .map(|f| {
            f.probabilities
                .iter()
                .map(|p| Coefficient {
                    name: p.factor.clone(),
                    estimate: p.estimate,
                    standard_error: p.standard_error,
                    low: p.low,
                    high: p.high,
                    interval: IntervalMethod::Wald,
                    held_at_bound: false,
                    fraction_missing_information: None,
                })
                .collect()
        })
        .collect();
    let refs: Vec<&[Coefficient]> = lists.iter().map(Vec::as_slice).collect();
    let (pooled, _) = pool_list(&refs, None, f64::INFINITY, |_| (0.0, 1.0));
    pooled
        .into_iter()
        .zip(&fits[0].probabilities)
        .map(|(c, first)| ProbabilityEstimate {
            factor: c.name,
            estimate: c.estimate,
            standard_error: c.standard_error,
            low: c.low,
            high: c.high,
            rated_rows: first.rated_rows,
            fraction_missing_information: c.fraction_missing_information,
        })
        .collect()
}

/// A cost or schedule model: the unconstrained estimates pooled, then c_i ≥ 0 applied to the
/// pooled normal approximation N(Q̄, T), with profile intervals (cutoff t²_ν) near 0.
fn fitted_linear(models: &[&Fitted<LinearFit>], factors: usize) -> Fitted<LinearFit> {
    let fits: Vec<&LinearFit> = models.iter().map(|m| &m.fit).collect();
    let first = fits[0];
    let size = first.coefficients.len();
    let (estimates, covariances): (Vec<DVector<f64>>, Vec<DMatrix<f64>>) = fits
        .iter()
        .map(|f| match &f.unconstrained {
            Some((estimate, covariance)) => (estimate.clone(), covariance.clone()),
            None => (
                DVector::from_iterator(size, f.coefficients.iter().map(|c| c.estimate)),
                f.covariance.clone(),
            ),
        })
        .unzip();
    let complete_df = first.rows.saturating_sub(size).max(1) as f64;
    let pooled = rubin::pool(&estimates, &covariances, complete_df);
    let bounded: Vec<bool> = (0..size).map(|j| (1..=factors).contains(&j)).collect();
    let precision = pooled
        .covariance
        .clone()
        .cholesky()
        .map(|c| c.inverse())
        .or_else(|| pooled.covariance.clone().try_inverse());
    let beta = precision
        .as_ref()
        .and_then(|p| nearest_feasible(p, &pooled.estimate, &bounded, None))
        .unwrap_or_else(|| {
            DVector::from_fn(size, |j, _| {
                if bounded[j] {
                    pooled.estimate[j].max(0.0)
                } else {
                    pooled.estimate[j]
                }
            })
        });
    let coefficients = (0..size)
        .map(|j| {
            let se = pooled.covariance[(j, j)].max(0.0).sqrt();
            let t = pooled.t_quantile(j);
            let held = bounded[j] && beta[j] <= 0.0;
            let (mut low, mut high) = (beta[j] - t * se, beta[j] + t * se);
            let mut interval = IntervalMethod::Rubin;
            if bounded[j] && (held || low < 0.0) {
                if let Some(p) = &precision {
                    (low, high) =
                        bounded_profile(p, &pooled.estimate, &bounded, &beta, j, se, t * t);
                    interval = IntervalMethod::ProfileLikelihood;
                }
                low = low.max(0.0);
            }
            Coefficient {
                name: first.coefficients[j].name.clone(),
                estimate: beta[j],
                standard_error: se,
                low,
                high,
                interval,
                held_at_bound: held,
                fraction_missing_information: Some(pooled.fraction_missing_information[j]),
            }
        })
        .collect();
    let fit = LinearFit {
        coefficients,
        residual_sd: mean(fits.iter().map(|f| f.residual_sd.powi(2))).sqrt(),
        log_likelihood: mean(fits.iter().map(|f| f.log_likelihood)),
        aic: mean(fits.iter().map(|f| f.aic)),
        r_squared: mean(fits.iter().map(|f| f.r_squared)),
        rows: first.rows,
        covariance: pooled.covariance,
        residuals: first.residuals.clone(),
        unconstrained: None,
    };
    let rows_used = mean_rounded(models.iter().map(|m| m.rows_used));
    let rows_left_out = mean_rounded(models.iter().map(|m| m.rows_left_out));
    let rows = models[0].rows_used + models[0].rows_left_out + models[0].runaways_excluded;
    Fitted {
        fit,
        rows_used,
        rows_left_out,
        runaways_excluded: rows.saturating_sub(rows_used + rows_left_out),
        cross_validated_rmse: all_of(models.iter().map(|m| m.cross_validated_rmse)),
    }
}

/// The mean when every value is there.
fn all_of(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let values: Option<Vec<f64>> = values.collect();
    values.map(|v| mean(v.into_iter()))
}

fn fitted_benefit(models: &[&Fitted<CensoredFit>]) -> Fitted<CensoredFit> {
    let fits: Vec<&CensoredFit> = models.iter().map(|m| &m.fit).collect();
    let lists: Vec<&[Coefficient]> = fits.iter().map(|f| f.impacts.as_slice()).collect();
    let (impacts, covariance) = pool_list(
        &lists,
        Some(fits.iter().map(|f| f.covariance.clone()).collect()),
        f64::INFINITY,
        |_| (0.0, MAX_IMPACT),
    );
    let scalars: Vec<Vec<Coefficient>> = fits
        .iter()
        .map(|f| vec![f.intercept.clone(), f.sigma.clone()])
        .collect();
    let refs: Vec<&[Coefficient]> = scalars.iter().map(Vec::as_slice).collect();
    let (mut pair, _) = pool_list(&refs, None, f64::INFINITY, |j| {
        if j == 1 { (0.0, f64::INFINITY) } else { FREE }
    });
    let sigma = pair.remove(1);
    let intercept = pair.remove(0);
    let first = models[0];
    Fitted {
        fit: CensoredFit {
            impacts,
            intercept,
            sigma,
            log_likelihood: mean(fits.iter().map(|f| f.log_likelihood)),
            aic: mean(fits.iter().map(|f| f.aic)),
            iterations: fits.iter().map(|f| f.iterations).max().unwrap_or(0),
            rows: first.fit.rows,
            censored_rows: mean_rounded(fits.iter().map(|f| f.censored_rows)),
            covariance,
        },
        rows_used: mean_rounded(models.iter().map(|m| m.rows_used)),
        rows_left_out: mean_rounded(models.iter().map(|m| m.rows_left_out)),
        runaways_excluded: 0,
        cross_validated_rmse: None,
    }
}

fn mean_scores(scores: &[&OutcomeScores]) -> OutcomeScores {
    OutcomeScores {
        brier: mean(scores.iter().map(|s| s.brier)),
        auc: mean(scores.iter().map(|s| s.auc)),
        log_loss: mean(scores.iter().map(|s| s.log_loss)),
    }
}

fn outcome(models: &[&OutcomeModel]) -> OutcomeModel {
    let fits: Vec<&OrdinalFit> = models.iter().map(|m| &m.fit).collect();
    let cuts = fits[0].thresholds.len();
    let joined: Vec<Vec<Coefficient>> = fits
        .iter()
        .map(|f| {
            f.thresholds
                .iter()
                .chain(&f.coefficients)
                .cloned()
                .collect()
        })
        .collect();
    let refs: Vec<&[Coefficient]> = joined.iter().map(Vec::as_slice).collect();
    let (mut pooled, covariance) = pool_list(
        &refs,
        Some(fits.iter().map(|f| f.covariance.clone()).collect()),
        f64::INFINITY,
        |_| FREE,
    );
    let coefficients = pooled.split_off(cuts);
    let first = models[0];
    OutcomeModel {
        fit: OrdinalFit {
            thresholds: pooled,
            coefficients,
            log_likelihood: mean(fits.iter().map(|f| f.log_likelihood)),
            null_log_likelihood: mean(fits.iter().map(|f| f.null_log_likelihood)),
            aic: mean(fits.iter().map(|f| f.aic)),
            iterations: fits.iter().map(|f| f.iterations).max().unwrap_or(0),
            rows: first.fit.rows,
            class_counts: first.fit.class_counts.clone(),
            covariance,
        },
        rows_used: first.rows_used,
        rows_left_out: first.rows_left_out,
        in_sample: mean_scores(&models.iter().map(|m| &m.in_sample).collect::<Vec<_>>()),
        cross_validated: mean_scores(
            &models
                .iter()
                .map(|m| &m.cross_validated)
                .collect::<Vec<_>>(),
        ),
        folds: first.folds,
        calibration: first.calibration.clone(),
    }
}

fn runaway(models: &[&RunawayModel], factors: usize) -> RunawayModel {
    let first = models[0];
    let fitted: Option<Vec<&CloglogFit>> = models.iter().map(|m| m.fit.as_ref()).collect();
    let Some(fits) = fitted else {
        let mut kept = (*models.iter().find(|m| m.fit.is_none()).unwrap_or(&first)).clone();
        kept.fit = None;
        kept.written = false;
        kept.note = Some(format!(
            "the hazard could not be fitted on every imputed data set: {}",
            kept.note.as_deref().unwrap_or("not fitted")
        ));
        return kept;
    };
    let lists: Vec<&[Coefficient]> = fits.iter().map(|f| f.coefficients.as_slice()).collect();
    let (coefficients, covariance) = pool_list(
        &lists,
        Some(fits.iter().map(|f| f.covariance.clone()).collect()),
        f64::INFINITY,
        |j| {
            if (1..=factors).contains(&j) {
                (0.0, f64::INFINITY)
            } else {
                FREE
            }
        },
    );
    let base_probability = all_models(models, |m| m.base_probability.clone()).map(|list| {
        let refs: Vec<Vec<Coefficient>> = list.into_iter().map(|c| vec![c]).collect();
        let refs: Vec<&[Coefficient]> = refs.iter().map(Vec::as_slice).collect();
        pool_list(&refs, None, f64::INFINITY, |_| (0.0, 1.0))
            .0
            .remove(0)
    });
    let negative = coefficients[1..=factors]
        .iter()
        .filter(|c| c.held_at_bound)
        .map(|c| c.name.clone())
        .collect();
    let written = models.iter().all(|m| m.written);
    let note = (!written)
        .then(|| models.iter().find_map(|m| m.note.clone()))
        .flatten();
    RunawayModel {
        fit: Some(CloglogFit {
            coefficients,
            log_likelihood: mean(fits.iter().map(|f| f.log_likelihood)),
            null_log_likelihood: mean(fits.iter().map(|f| f.null_log_likelihood)),
            aic: mean(fits.iter().map(|f| f.aic)),
            iterations: fits.iter().map(|f| f.iterations).max().unwrap_or(0),
            rows: fits[0].rows,
            events: mean_rounded(fits.iter().map(|f| f.events)),
            covariance,
        }),
        rows_used: first.rows_used,
        rows_left_out: first.rows_left_out,
        runaways: mean_rounded(models.iter().map(|m| m.runaways)),
        base_probability,
        in_sample: all_models(models, |m| m.in_sample.clone())
            .map(|s| mean_scores(&s.iter().collect::<Vec<_>>())),
        cross_validated: all_models(models, |m| m.cross_validated.clone())
            .map(|s| mean_scores(&s.iter().collect::<Vec<_>>())),
        folds: first.folds,
        written,
        note,
        negative,
    }
}

fn all_models<T>(
    models: &[&RunawayModel],
    part: impl Fn(&RunawayModel) -> Option<T>,
) -> Option<Vec<T>> {
    models.iter().map(|m| part(m)).collect()
}
