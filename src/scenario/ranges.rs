//! The scenario-wide range check that makes the documented input limits agree with the
//! engine's representation: money is accumulated per unit of budget in fixed point, exact to
//! ±2²⁰ budgets per trial (`engine::accumulate::FIXED_POINT_LIMIT`). Each field alone may be
//! within its limit while their combination — a large annual benefit on a small budget,
//! compounded over a long horizon at a negative discount rate — is not; such a scenario is
//! refused here, up front, rather than clamped silently in every trial.

use super::checks::Check;
use super::limits::MAX_BENEFIT_PER_BUDGET;
use super::source::{FieldPath, Problem};
use crate::model::economics::Discounting;
use crate::model::{BenefitModel, Continuous, Project};

/// The largest value a distribution can draw: its inverse CDF at the largest uniform any
/// sampler draws (1 − 2⁻⁵³); every distribution here is monotone.
fn largest(d: &Continuous) -> f64 {
    d.inverse_cdf(1.0 - f64::EPSILON / 2.0)
}

/// The largest annual benefit, in magnitude, the model can give at full realisation.
fn largest_annual_benefit(benefits: &BenefitModel) -> f64 {
    match benefits {
        BenefitModel::Direct { annual } => largest(annual),
        BenefitModel::Levers {
            baseline_revenue,
            margin,
            churn_rate,
            uplifts,
        } => {
            let top = |i: usize| largest(&uplifts[i]).max(0.0);
            let multiplier = (1.0 + top(0))
                * (1.0 + churn_rate * top(1))
                * (1.0 + top(2))
                * (1.0 + top(3))
                * (1.0 + top(4));
            // Uplifts of −99 % take at most the whole baseline margin away.
            baseline_revenue * margin * (multiplier - 1.0).max(1.0)
        }
    }
}

/// Refuse a scenario whose benefit, per unit of budget and over the horizon, could pass
/// [`MAX_BENEFIT_PER_BUDGET`]: `max |annual benefit| × max(1, annuity factor) / budget`, the
/// annuity factor being the present value of one per year from now to the horizon.
pub fn benefit_within_range(project: &Project, benefits: &BenefitModel) -> Check<()> {
    let annual = largest_annual_benefit(benefits);
    let annuity = Discounting::new(project.discount_rate, project.horizon_years)
        .present_value(1.0, 0.0)
        .max(1.0);
    let ratio = annual * annuity / project.budget;
    if ratio.is_finite() && ratio <= MAX_BENEFIT_PER_BUDGET {
        return Ok(());
    }
    let path = FieldPath::root().key("benefits");
    Err(Problem::new(
        &path,
        format!(
            "the largest possible annual benefit ({annual:.4e}) times the horizon's annuity factor ({annuity:.4e}, {} years at a discount rate of {}) is {ratio:.4e} times the budget of {}; crmcast represents at most {MAX_BENEFIT_PER_BUDGET} times the budget (docs/MODEL.md §12)",
            project.horizon_years, project.discount_rate, project.budget
        ),
        "check the units (benefit and budget in the same currency unit), raise [project] budget, lower the benefit, or shorten horizon_years / raise discount_rate",
    ))
}
