//! Aggregate calibration: move chosen catalogue parameters (the "free" ones) until a scenario's
//! baseline reproduces published figures. Every evaluation simulates on the same seed (common
//! random numbers), so the objective is a deterministic function of the parameters, free of
//! Monte Carlo noise between evaluations; argmin's Nelder–Mead minimises it. After the fit,
//! finite differences on the same random numbers give each target's sensitivity to each free
//! parameter, which tells which unmet targets pull against which others.
//!
//! Pure: no files, no terminal. The CLI reads the inputs and writes the catalogue
//! ([`super::catalogue_file`]).

use super::Report;
use super::targets::{self, Target, TargetCheck};
use crate::engine::{NoObserver, RunSettings, simulate};
use crate::error::Error;
use crate::model::Catalogue;
use crate::model::catalogue::MAX_LOG_IMPACT;
use crate::scenario::Scenario;
use crate::scenario::source::Source;
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;
use nalgebra::{DMatrix, DVector};
use serde::Serialize;

/// A parameter the calibration may move. Multipliers and scales move on the log scale
/// (they stay positive), probabilities on the logit scale, log means additively.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FreeParameter {
    /// Multiplies the benefit, cost and schedule impacts of every factor in a cause group.
    GroupWeight {
        group: usize,
        id: String,
    },
    /// Multiplies one impact channel of every factor.
    BenefitScale,
    CostScale,
    ScheduleScale,
    /// Multiplies every factor's probability (on the odds scale).
    ProbabilityScale,
    /// One factor's probability (logit scale) or all three of its impacts (log scale).
    Probability {
        factor: usize,
        id: String,
    },
    Impact {
        factor: usize,
        id: String,
    },
    LogCostMean,
    LogCostSd,
    LogScheduleMean,
    LogScheduleSd,
}

/// The `--free` set used when none is given: what the shipped catalogue is calibrated on.
pub const DEFAULT_FREE: &str =
    "group_weights,benefit_scale,cost_scale,schedule_scale,log_cost_mean";

impl FreeParameter {
    pub fn name(&self) -> String {
        match self {
            FreeParameter::GroupWeight { id, .. } => format!("group_weight:{id}"),
            FreeParameter::BenefitScale => "benefit_scale".into(),
            FreeParameter::CostScale => "cost_scale".into(),
            FreeParameter::ScheduleScale => "schedule_scale".into(),
            FreeParameter::ProbabilityScale => "probability_scale".into(),
            FreeParameter::Probability { id, .. } => format!("probability:{id}"),
            FreeParameter::Impact { id, .. } => format!("impact:{id}"),
            FreeParameter::LogCostMean => "log_cost_mean".into(),
            FreeParameter::LogCostSd => "log_cost_sd".into(),
            FreeParameter::LogScheduleMean => "log_schedule_mean".into(),
            FreeParameter::LogScheduleSd => "log_schedule_sd".into(),
        }
    }

    /// What the optimiser's coordinate means, for the report: a multiplier, or a shift.
    pub fn reported(&self, x: f64) -> f64 {
        match self {
            FreeParameter::LogCostMean | FreeParameter::LogScheduleMean => x,
            _ => x.exp(),
        }
    }
}

/// Parse a `--free` list against a catalogue. Errors say which token and what is known.
pub fn parse_free(spec: &str, catalogue: &Catalogue) -> Result<Vec<FreeParameter>, String> {
    let mut free = Vec::new();
    let factor = |id: &str| {
        catalogue
            .factors
            .iter()
            .position(|f| f.id == id)
            .ok_or_else(|| format!("unknown factor \"{id}\" (see `crmcast factors`)"))
    };
    for token in spec.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let parameter = match token {
            "group_weights" => {
                // The first group is the reference (weight 1): scaling every group up and the
                // channel scales down would otherwise leave every target unchanged.
                for (group, g) in catalogue.groups.iter().enumerate().skip(1) {
                    free.push(FreeParameter::GroupWeight {
                        group,
                        id: g.id.clone(),
                    });
                }
                continue;
            }
            "benefit_scale" => FreeParameter::BenefitScale,
            "cost_scale" => FreeParameter::CostScale,
            "schedule_scale" => FreeParameter::ScheduleScale,
            "probability_scale" => FreeParameter::ProbabilityScale,
            "log_cost_mean" => FreeParameter::LogCostMean,
            "log_cost_sd" => FreeParameter::LogCostSd,
            "log_schedule_mean" => FreeParameter::LogScheduleMean,
            "log_schedule_sd" => FreeParameter::LogScheduleSd,
            _ => match token.split_once(':') {
                Some(("probability", id)) => FreeParameter::Probability {
                    factor: factor(id)?,
                    id: id.into(),
                },
                Some(("impact", id)) => FreeParameter::Impact {
                    factor: factor(id)?,
                    id: id.into(),
                },
                Some(("group_weight", id)) => FreeParameter::GroupWeight {
                    group: catalogue
                        .groups
                        .iter()
                        .position(|g| g.id == id)
                        .ok_or_else(|| format!("unknown cause group \"{id}\""))?,
                    id: id.into(),
                },
                _ => {
                    return Err(format!(
                        "unknown free parameter \"{token}\"; known: group_weights, group_weight:<group>, benefit_scale, cost_scale, schedule_scale, probability_scale, probability:<factor>, impact:<factor>, log_cost_mean, log_cost_sd, log_schedule_mean, log_schedule_sd"
                    ));
                }
            },
        };
        if free.contains(&parameter) {
            return Err(format!("\"{token}\" is named twice"));
        }
        free.push(parameter);
    }
    if free.is_empty() {
        return Err("no free parameter named".into());
    }
    Ok(free)
}

/// The catalogue at optimiser coordinates `x` (one per free parameter; all zero = `base`).
/// Values are clamped to the ranges the catalogue format accepts.
pub fn apply(base: &Catalogue, free: &[FreeParameter], x: &[f64]) -> Catalogue {
    let mut catalogue = base.clone();
    let n = catalogue.factors.len();
    let (mut benefit, mut cost, mut schedule) = (vec![1.0; n], vec![1.0; n], vec![1.0; n]);
    let mut log_odds_shift = vec![0.0; n];
    let estimate = &mut catalogue.estimate;
    for (parameter, &value) in free.iter().zip(x) {
        let multiplier = value.exp();
        let all = |scale: &mut Vec<f64>, pick: &dyn Fn(usize) -> bool| {
            for (i, s) in scale.iter_mut().enumerate() {
                if pick(i) {
                    *s *= multiplier;
                }
            }
        };
        match parameter {
            FreeParameter::GroupWeight { group, .. } => {
                let in_group = |i: usize| base.factors[i].cause_group == *group;
                all(&mut benefit, &in_group);
                all(&mut cost, &in_group);
                all(&mut schedule, &in_group);
            }
            FreeParameter::Impact { factor, .. } => {
                let this = |i: usize| i == *factor;
                all(&mut benefit, &this);
                all(&mut cost, &this);
                all(&mut schedule, &this);
            }
            FreeParameter::BenefitScale => all(&mut benefit, &|_| true),
            FreeParameter::CostScale => all(&mut cost, &|_| true),
            FreeParameter::ScheduleScale => all(&mut schedule, &|_| true),
            FreeParameter::ProbabilityScale => log_odds_shift.iter_mut().for_each(|s| *s += value),
            FreeParameter::Probability { factor, .. } => log_odds_shift[*factor] += value,
            FreeParameter::LogCostMean => estimate.log_cost_mean += value,
            FreeParameter::LogScheduleMean => estimate.log_schedule_mean += value,
            FreeParameter::LogCostSd => estimate.log_cost_sd *= multiplier,
            FreeParameter::LogScheduleSd => estimate.log_schedule_sd *= multiplier,
        }
    }
    estimate.log_cost_mean = estimate.log_cost_mean.clamp(-3.0, 3.0);
    estimate.log_schedule_mean = estimate.log_schedule_mean.clamp(-3.0, 3.0);
    estimate.log_cost_sd = estimate.log_cost_sd.clamp(0.0, 3.0);
    estimate.log_schedule_sd = estimate.log_schedule_sd.clamp(0.0, 3.0);
    for (i, f) in catalogue.factors.iter_mut().enumerate() {
        f.impact.benefit = (f.impact.benefit * benefit[i]).clamp(0.0, 0.95);
        f.impact.cost = (f.impact.cost * cost[i]).clamp(0.0, MAX_LOG_IMPACT);
        f.impact.schedule = (f.impact.schedule * schedule[i]).clamp(0.0, MAX_LOG_IMPACT);
        if log_odds_shift[i] != 0.0 {
            let p = f.probability.clamp(1e-6, 1.0 - 1e-6);
            let logit = (p / (1.0 - p)).ln() + log_odds_shift[i];
            f.probability = (1.0 / (1.0 + (-logit).exp())).clamp(1e-6, 1.0 - 1e-6);
        }
    }
    catalogue
}

/// Settings of one calibration.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationSettings {
    pub trials: u64,
    pub seed: u64,
    #[serde(skip)]
    pub threads: usize,
    /// Most Nelder–Mead iterations.
    pub max_iterations: u64,
    /// Initial step of every coordinate (the simplex size).
    pub initial_step: f64,
}

/// One target after the fit.
#[derive(Debug, Clone, Serialize)]
pub struct FittedTarget {
    #[serde(flatten)]
    pub check: TargetCheck,
    /// `(fitted − target) / tolerance`: within tolerance when |z| ≤ 1.
    pub standardised_residual: f64,
}

/// Two targets whose residuals cannot both shrink: moving the free parameters to improve
/// `target` worsens `against` (cosine of their gradients of squared residual < −0.2).
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub target: String,
    pub against: String,
    pub cosine: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FittedParameter {
    pub name: String,
    pub parameter: FreeParameter,
    /// The optimiser's coordinate and what it means (a multiplier, or a shift of a log mean).
    pub coordinate: f64,
    /// Monte Carlo standard error of the coordinate: how far it would move with other random
    /// numbers (delta method through the targets' Jacobian; NaN when the free parameters are
    /// not all identified by the targets).
    pub coordinate_se: f64,
    pub value: f64,
    pub unit: &'static str,
}

/// The result of a calibration, the catalogue aside.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub settings: CalibrationSettings,
    pub parameters: Vec<FittedParameter>,
    pub targets: Vec<FittedTarget>,
    /// Σ standardised residual² at the start and at the fit.
    pub initial_objective: f64,
    pub objective: f64,
    pub evaluations: u64,
    pub all_within_tolerance: bool,
    /// Unmet targets that no free parameter moves.
    pub unmovable: Vec<String>,
    pub conflicts: Vec<Conflict>,
    #[serde(skip)]
    pub coordinates: Vec<f64>,
}

/// Observes the calibration's progress (one call per objective evaluation).
pub trait CalibrationObserver: Sync {
    fn evaluated(&self, _evaluations: u64, _objective: f64) {}
}

/// The problem the optimiser sees.
struct Objective<'a> {
    scenario: &'a Source,
    base: &'a Catalogue,
    free: &'a [FreeParameter],
    targets: &'a [Target],
    settings: &'a CalibrationSettings,
    observer: &'a dyn CalibrationObserver,
    evaluations: std::sync::atomic::AtomicU64,
}

impl Objective<'_> {
    fn checks(&self, x: &[f64]) -> Result<Vec<TargetCheck>, Error> {
        let catalogue = apply(self.base, self.free, x);
        evaluate(
            self.scenario,
            &catalogue,
            self.targets,
            self.settings.trials,
            self.settings.seed,
            self.settings.threads,
        )
    }

    fn residuals(&self, x: &[f64]) -> Result<Vec<f64>, Error> {
        Ok(self.checks(x)?.iter().map(standardised).collect())
    }
}

/// argmin takes its problem by value; this lends it the objective.
struct Lent<'a>(&'a Objective<'a>);

impl CostFunction for Lent<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Self::Param) -> Result<f64, argmin::core::Error> {
        let value: f64 = self
            .0
            .residuals(x)
            .map_err(argmin::core::Error::from)?
            .iter()
            .map(|r| r * r)
            .sum();
        let count = 1 + self
            .0
            .evaluations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.0.observer.evaluated(count, value);
        Ok(value)
    }
}

fn standardised(check: &TargetCheck) -> f64 {
    (check.fitted.value - check.target.value) / check.target.tolerance
}

/// Simulate the scenario's baseline under `catalogue` and compare it with the targets.
pub fn evaluate(
    scenario: &Source,
    catalogue: &Catalogue,
    targets: &[Target],
    trials: u64,
    seed: u64,
    threads: usize,
) -> Result<Vec<TargetCheck>, Error> {
    let mut scenario = Scenario::with_catalogue(scenario, catalogue)?;
    // Only the baseline is compared with the targets: the other strategies would cost time.
    let baseline = scenario.strategies.swap_remove(scenario.baseline);
    scenario.strategies = vec![baseline];
    scenario.baseline = 0;
    let result = simulate(
        &scenario,
        &RunSettings {
            trials,
            seed,
            threads,
            ..RunSettings::default()
        },
        &NoObserver,
    )?;
    let report = Report::build(&scenario, &result);
    targets::check(&report, targets)
        .into_iter()
        .zip(targets)
        .map(|(check, target)| {
            check.ok_or_else(|| Error::BadOption {
                option: "--targets".into(),
                message: format!("target \"{}\" names no figure of the report", target.id),
                fix: "use a metric id of docs/OUTPUT.md or a cause group id of the catalogue"
                    .into(),
            })
        })
        .collect()
}

/// Fit the free parameters of `base` to `targets` on the baseline of `scenario`.
pub fn calibrate(
    scenario: &Source,
    base: &Catalogue,
    free: &[FreeParameter],
    targets: &[Target],
    settings: &CalibrationSettings,
    observer: &dyn CalibrationObserver,
) -> Result<Calibration, Error> {
    let objective = Objective {
        scenario,
        base,
        free,
        targets,
        settings,
        observer,
        evaluations: 0.into(),
    };
    let start = vec![0.0; free.len()];
    let initial = objective.residuals(&start)?;
    let initial_objective: f64 = initial.iter().map(|r| r * r).sum();
    // The start and one vertex per coordinate, a step away: the simplex argmin expects.
    let mut simplex = vec![start.clone()];
    for k in 0..free.len() {
        let mut vertex = start.clone();
        vertex[k] = settings.initial_step;
        simplex.push(vertex);
    }
    let internal = |e: argmin::core::Error| Error::Internal(format!("optimiser: {e}"));
    let solver = NelderMead::new(simplex)
        .with_sd_tolerance(1e-4)
        .map_err(internal)?;
    let run = Executor::new(Lent(&objective), solver)
        .configure(|state| state.max_iters(settings.max_iterations))
        .run()
        .map_err(|e| match e.downcast::<Error>() {
            Ok(error) => error,
            Err(e) => internal(e),
        })?;
    let state = run.state();
    let coordinates = state.get_best_param().cloned().unwrap_or(start);
    let evaluations = objective
        .evaluations
        .load(std::sync::atomic::Ordering::Relaxed);
    let checks = objective.checks(&coordinates)?;
    finish(
        &objective,
        coordinates,
        checks,
        initial_objective,
        evaluations,
    )
}

/// Report the fit at `coordinates`, with the sensitivity analysis of unmet targets.
fn finish(
    objective: &Objective,
    coordinates: Vec<f64>,
    checks: Vec<TargetCheck>,
    initial_objective: f64,
    evaluations: u64,
) -> Result<Calibration, Error> {
    let residuals: Vec<f64> = checks.iter().map(standardised).collect();
    let targets: Vec<FittedTarget> = checks
        .into_iter()
        .zip(&residuals)
        .map(|(check, &standardised_residual)| FittedTarget {
            check,
            standardised_residual,
        })
        .collect();
    let all_within_tolerance = targets.iter().all(|t| t.check.within_tolerance);
    let jacobian = jacobian(objective, &coordinates)?;
    let noise: Vec<f64> = targets
        .iter()
        .map(|t| t.check.fitted.se / t.check.target.tolerance)
        .collect();
    let coordinate_se = parameter_errors(&jacobian, &noise);
    let (unmovable, conflicts) = if all_within_tolerance {
        (Vec::new(), Vec::new())
    } else {
        tensions(&jacobian, &residuals, &targets)
    };
    let parameters = objective
        .free
        .iter()
        .zip(&coordinates)
        .zip(&coordinate_se)
        .map(
            |((parameter, &coordinate), &coordinate_se)| FittedParameter {
                name: parameter.name(),
                parameter: parameter.clone(),
                coordinate,
                coordinate_se,
                value: parameter.reported(coordinate),
                unit: match parameter {
                    FreeParameter::LogCostMean | FreeParameter::LogScheduleMean => "shift",
                    FreeParameter::Probability { .. } | FreeParameter::ProbabilityScale => {
                        "odds multiplier"
                    }
                    _ => "multiplier",
                },
            },
        )
        .collect();
    Ok(Calibration {
        settings: objective.settings.clone(),
        parameters,
        objective: residuals.iter().map(|r| r * r).sum(),
        targets,
        initial_objective,
        evaluations,
        all_within_tolerance,
        unmovable,
        conflicts,
        coordinates,
    })
}

/// `∂r_i/∂x_j` by central differences on the same random numbers.
fn jacobian(objective: &Objective, x: &[f64]) -> Result<DMatrix<f64>, Error> {
    const STEP: f64 = 0.05;
    let k = x.len();
    let m = objective.targets.len();
    let mut jacobian = DMatrix::zeros(m, k);
    for j in 0..k {
        let (mut up, mut down) = (x.to_vec(), x.to_vec());
        up[j] += STEP;
        down[j] -= STEP;
        let (r_up, r_down) = (objective.residuals(&up)?, objective.residuals(&down)?);
        for i in 0..m {
            jacobian[(i, j)] = (r_up[i] - r_down[i]) / (2.0 * STEP);
        }
    }
    Ok(jacobian)
}

/// Standard errors of the fitted coordinates from the Monte Carlo noise of the residuals
/// (`noise[i]` = SE of residual i): the least-squares fit's sandwich
/// `(JᵀJ)⁻¹ Jᵀ D J (JᵀJ)⁻¹` with `D = diag(noise²)`. NaN when `JᵀJ` is singular (more free
/// parameters than the targets identify).
fn parameter_errors(jacobian: &DMatrix<f64>, noise: &[f64]) -> Vec<f64> {
    let k = jacobian.ncols();
    let information = jacobian.transpose() * jacobian;
    let Some(inverse) = information.clone().try_inverse() else {
        return vec![f64::NAN; k];
    };
    // A near-singular JᵀJ inverts to nonsense: require a sane condition number.
    let eigen = information.symmetric_eigenvalues();
    let (low, high) = eigen
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
    let well_conditioned = low > 1e-10 * high;
    if !well_conditioned {
        return vec![f64::NAN; k];
    }
    let d = DMatrix::from_diagonal(&DVector::from_iterator(
        noise.len(),
        noise.iter().map(|s| s * s),
    ));
    let covariance = &inverse * jacobian.transpose() * d * jacobian * &inverse;
    (0..k).map(|j| covariance[(j, j)].max(0.0).sqrt()).collect()
}

/// Unmet targets whose gradient is nil, and pairs whose gradients of squared residual point
/// against each other (cosine < −0.2): improving one worsens the other.
fn tensions(
    jacobian: &DMatrix<f64>,
    residuals: &[f64],
    targets: &[FittedTarget],
) -> (Vec<String>, Vec<Conflict>) {
    let m = residuals.len();
    let gradient: Vec<DVector<f64>> = (0..m)
        .map(|i| jacobian.row(i).transpose() * (2.0 * residuals[i]))
        .collect();
    let id = |i: usize| targets[i].check.target.id.clone();
    let mut unmovable = Vec::new();
    let mut conflicts = Vec::new();
    for i in (0..m).filter(|&i| !targets[i].check.within_tolerance) {
        if jacobian.row(i).iter().all(|d| d.abs() < 1e-9) {
            unmovable.push(id(i));
            continue;
        }
        let mut against: Vec<Conflict> = (0..m)
            .filter(|&j| j != i)
            .filter_map(|j| {
                let denominator = gradient[i].norm() * gradient[j].norm();
                if denominator == 0.0 {
                    return None;
                }
                let cosine = gradient[i].dot(&gradient[j]) / denominator;
                (cosine < -0.2).then(|| Conflict {
                    target: id(i),
                    against: id(j),
                    cosine,
                })
            })
            .collect();
        against.sort_by(|a, b| a.cosine.total_cmp(&b.cosine));
        conflicts.extend(against.into_iter().take(3));
    }
    (unmovable, conflicts)
}
