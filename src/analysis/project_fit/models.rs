//! The channels' models of one data set (complete cases): the runaway hazard, the cost and
//! schedule linear models with their residual correlation, and the outcome model, each with
//! its k-fold cross-validated scores.

use super::{
    Catalogue, Coefficient, FitOptions, Fitted, LinearFit, MIN_RUNAWAYS, OutcomeModel,
    OutcomeScores, ProjectData, RunawayModel, design, rows_of,
};
use crate::analysis::regression::{self, OrdinalFit};
use crate::model::uncertainty::Parameter;

/// The runaway hazard by complementary log-log regression on the ratings (and covariates), on
/// the rows whose runaway status and regressors are present. Never an error: too few runaways
/// or a fit that fails leave the input catalogue's runaway values in place, with a note.
pub(super) fn runaway_model(
    data: &ProjectData,
    catalogue: &Catalogue,
    options: &FitOptions,
    scales: &[f64],
) -> RunawayModel {
    let d = design(data, catalogue, |r| data.runaway[r].is_some());
    let outcome: Vec<bool> = d.rows.iter().filter_map(|&r| data.runaway[r]).collect();
    let runaways = outcome.iter().filter(|&&y| y).count();
    let mut model = RunawayModel {
        fit: None,
        rows_used: d.rows.len(),
        rows_left_out: data.ratings.len() - d.rows.len(),
        runaways,
        base_probability: None,
        in_sample: None,
        cross_validated: None,
        folds: options.folds,
        written: false,
        note: None,
        negative: Vec::new(),
    };
    let kept = "the catalogue keeps the input's runaway values";
    if runaways < MIN_RUNAWAYS {
        model.note = Some(format!(
            "{runaways} runaway(s) among {} usable rows, fewer than {MIN_RUNAWAYS}: too few to fit the hazard; {kept}",
            d.rows.len()
        ));
        return model;
    }
    // A factor can only raise the hazard (MODEL.md §5a): its r_i is fitted under r_i ≥ 0, so a
    // coefficient the data would make negative is held at 0 and the intercept refitted with it.
    let nonnegative: Vec<bool> = (0..d.names.len()).map(|j| j < data.factors.len()).collect();
    let fit = match regression::cloglog::cloglog_bounded(
        &d.x,
        &outcome,
        &d.names,
        &nonnegative,
        regression::Intervals::Profile,
    ) {
        Ok(fit) => fit,
        Err(e) => {
            model.note = Some(format!("the runaway model cannot be fitted: {e}; {kept}"));
            return model;
        }
    };
    let scores = OutcomeScores::of;
    let row = |i: usize| -> Vec<f64> { d.x.row(i).iter().copied().collect() };
    let in_sample: Vec<f64> = (0..d.rows.len())
        .map(|i| fit.probability(&row(i)))
        .collect();
    model.in_sample = Some(scores(&in_sample, &outcome));
    let folds = regression::folds(d.rows.len(), options.folds, options.seed);
    let predicted = per_fold(&folds, |held_out| {
        let training = regression::training_rows(d.rows.len(), held_out);
        let training_outcome: Vec<bool> = training.iter().map(|&i| outcome[i]).collect();
        let part = regression::cloglog::cloglog_bounded(
            &rows_of(&d.x, &training),
            &training_outcome,
            &d.names,
            &nonnegative,
            regression::Intervals::EstimatesOnly,
        )
        .ok()?;
        Some(
            held_out
                .iter()
                .map(|&i| part.probability(&row(i)))
                .collect(),
        )
    });
    let scored = held_out_scored(d.rows.len(), &folds, predicted);
    if !scored.is_empty() {
        let p: Vec<f64> = scored.iter().map(|&(_, p)| p).collect();
        let y: Vec<bool> = scored.iter().map(|&(i, _)| outcome[i]).collect();
        model.cross_validated = Some(scores(&p, &y));
    }

    // P(runaway | nothing struck) = 1 − exp(−λ₀), dP/d ln λ₀ = λ₀·exp(−λ₀).
    let intercept = &fit.coefficients[0];
    let base = |log_hazard: f64| -(-log_hazard.exp()).exp_m1();
    let lambda = intercept.estimate.exp();
    model.base_probability = Some(Coefficient {
        name: "base_probability".into(),
        estimate: base(intercept.estimate),
        standard_error: lambda * (-lambda).exp() * intercept.standard_error,
        low: base(intercept.low),
        high: base(intercept.high),
        interval: intercept.interval,
        held_at_bound: false,
        fraction_missing_information: None,
    });
    // Written only if the catalogue can hold it: an SE wider than a parameter's valid range
    // would be refused by the `[uncertainty]` table (and says the data do not pin it down).
    let too_wide = data
        .factors
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            (
                Parameter::Runaway(i).name(&catalogue.factors),
                fit.coefficients[k + 1].standard_error / scales[k],
                Parameter::Runaway(i).max_sd(),
            )
        })
        .chain(std::iter::once((
            "runaway_base_probability".to_string(),
            model
                .base_probability
                .as_ref()
                .map_or(0.0, |b| b.standard_error),
            Parameter::RunawayBase.max_sd(),
        )))
        .find(|(_, se, max)| se.is_nan() || se > max);
    match too_wide {
        Some((name, se, max)) => {
            model.note = Some(format!(
                "the SE of {name} is {se:.3}, wider than its valid range ({max}): the data do not pin the hazard down; {kept}"
            ));
        }
        None => {
            model.written = true;
            model.negative = data
                .factors
                .iter()
                .enumerate()
                .filter(|(k, _)| fit.coefficients[k + 1].estimate <= 0.0)
                .map(|(_, &i)| catalogue.factors[i].id.clone())
                .collect();
        }
    }
    model.fit = Some(fit);
    model
}

/// A linear model of `outcome` on the ratings and covariates, with its k-fold RMSE; `None`
/// when the data have no such outcome.
pub(super) fn linear_model(
    data: &ProjectData,
    catalogue: &Catalogue,
    options: &FitOptions,
    outcome: &dyn Fn(usize) -> Option<f64>,
    runaways_excluded: usize,
) -> Option<Result<Fitted<LinearFit>, regression::FitError>> {
    let d = design(data, catalogue, |r| outcome(r).is_some());
    if d.rows.is_empty() {
        return None;
    }
    let y: Vec<f64> = d.rows.iter().filter_map(|&r| outcome(r)).collect();
    // A factor can only add cost or time (MODEL.md §5): its impact is fitted under c_i ≥ 0,
    // never clamped afterwards; covariates are free.
    let nonnegative: Vec<bool> = (0..d.names.len()).map(|j| j < data.factors.len()).collect();
    let fit = match regression::linear_bounded(
        &d.x,
        &y,
        &d.names,
        &nonnegative,
        regression::Intervals::Profile,
    ) {
        Ok(fit) => fit,
        Err(e) => return Some(Err(e)),
    };
    let folds = regression::folds(d.rows.len(), options.folds, options.seed);
    let predicted = per_fold(&folds, |held_out| {
        let training = regression::training_rows(d.rows.len(), held_out);
        let y_training: Vec<f64> = training.iter().map(|&i| y[i]).collect();
        let part = regression::linear_bounded(
            &rows_of(&d.x, &training),
            &y_training,
            &d.names,
            &nonnegative,
            regression::Intervals::EstimatesOnly,
        )
        .ok()?;
        let row = |i: usize| -> Vec<f64> { d.x.row(i).iter().copied().collect() };
        Some(held_out.iter().map(|&i| part.predict(&row(i))).collect())
    });
    // Summed in the order of the folds and rows, whatever the threads did.
    let mut squared = 0.0;
    for (held_out, predictions) in folds.iter().zip(predicted) {
        for (&i, prediction) in held_out.iter().zip(predictions.into_iter().flatten()) {
            squared += (prediction - y[i]).powi(2);
        }
    }
    Some(Ok(Fitted {
        rows_used: d.rows.len(),
        rows_left_out: data.ratings.len() - d.rows.len() - runaways_excluded,
        runaways_excluded,
        cross_validated_rmse: Some((squared / d.rows.len() as f64).sqrt()),
        fit,
    }))
}

pub(super) fn residual_correlation(
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

pub(super) fn outcome_model(
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
    let folds = regression::folds(d.rows.len(), options.folds, options.seed);
    let predicted = per_fold(&folds, |held_out| {
        let training = regression::training_rows(d.rows.len(), held_out);
        let training_classes: Vec<usize> = training.iter().map(|&i| classes[i]).collect();
        let part =
            regression::ordinal_logistic(&rows_of(&d.x, &training), &training_classes, 3, &d.names)
                .ok()?;
        Some(held_out.iter().map(|&i| p_missed(&part, i)).collect())
    });
    let scored = held_out_scored(d.rows.len(), &folds, predicted);
    let cv_p: Vec<f64> = scored.iter().map(|&(_, p)| p).collect();
    let cv_y: Vec<bool> = scored.iter().map(|&(i, _)| missed[i]).collect();
    let scores = OutcomeScores::of;
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

/// `predict` on every cross-validation fold, the folds fitted in parallel (each is independent
/// of the others, and the results come back in the folds' order, so the outcome does not
/// depend on the threads): a fold whose fit fails gives `None`, and its rows are scored by
/// nothing.
fn per_fold(
    folds: &[Vec<usize>],
    predict: impl Fn(&[usize]) -> Option<Vec<f64>> + Sync,
) -> Vec<Option<Vec<f64>>> {
    use rayon::prelude::*;
    folds.par_iter().map(|held_out| predict(held_out)).collect()
}

/// [`per_fold`]'s held-out predictions as `(row, prediction)` in row order, for the rows with a
/// finite one: rows whose fold could not be fitted are scored by nothing rather than guessed.
fn held_out_scored(
    rows: usize,
    folds: &[Vec<usize>],
    predicted: Vec<Option<Vec<f64>>>,
) -> Vec<(usize, f64)> {
    let mut held_out = vec![f64::NAN; rows];
    for (fold, p) in folds.iter().zip(predicted) {
        for (&i, p) in fold.iter().zip(p.into_iter().flatten()) {
            held_out[i] = p;
        }
    }
    held_out
        .into_iter()
        .enumerate()
        .filter(|(_, p)| p.is_finite())
        .collect()
}
