//! The catalogue a data fit writes: the rated factors' fitted numbers and the estimating
//! error, with the joint uncertainty of what was written (the `[uncertainty]` table).

use super::{ProbabilityEstimate, ProjectData, ProjectFit};
use crate::model::Catalogue;
use crate::model::uncertainty::Parameter;
use nalgebra::DMatrix;

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
        factor.impact.runaway = written.runaway.unwrap_or(factor.impact.runaway);
    }
    let runaway = fit
        .runaway
        .as_ref()
        .filter(|m| m.written)
        .and_then(|m| Some((m.fit.as_ref()?, m.base_probability.as_ref()?)));
    if let Some((_, base_probability)) = runaway {
        let (low, high) = Parameter::RunawayBase.clamp_range();
        catalogue.runaway.base_probability = base_probability.estimate.clamp(low, high);
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
    // runaway hazard, the probabilities. A presence-only column's coefficient is divided by its
    // scale.
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
    if let Some((m, _)) = runaway {
        // (base_probability, r_i): the base probability 1 − exp(−e^{β₀}) by the delta method,
        // d/dβ₀ = λ₀·exp(−λ₀).
        names.push("runaway_base_probability".to_string());
        names.extend(fit.impacts.iter().map(|w| format!("runaway:{}", w.factor)));
        let lambda = m.coefficients[0].estimate.exp();
        let base_slope = lambda * (-lambda).exp();
        let size = factors + 1;
        blocks.push(DMatrix::from_fn(size, size, |a, b| {
            let unit = |j: usize| {
                if j == 0 {
                    1.0 / base_slope
                } else {
                    scale(j - 1)
                }
            };
            m.covariance[(a, b)] / (unit(a) * unit(b))
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
