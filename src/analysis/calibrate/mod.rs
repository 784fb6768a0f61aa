//! Aggregate calibration: move chosen catalogue parameters (the "free" ones) until a scenario's
//! baseline reproduces published figures (targets) while respecting plausibility conditions
//! (constraints, e.g. a project without trouble lands near its plan). Every evaluation
//! simulates on the same seed (common random numbers), so the objective is a deterministic
//! function of the parameters, free of Monte Carlo noise between evaluations. The objective is
//! a sum of squares, so Levenberg–Marquardt ([`least_squares`]) minimises it inside each
//! parameter's documented range, its Jacobian from one-sided differences evaluated in parallel.
//!
//! After the fit, finite differences on the same random numbers give each target's
//! sensitivity to each free parameter: which unmet targets pull against which others, which
//! combinations of parameters no target identifies, and (reading each tolerance as the
//! published figure's standard deviation) the Laplace covariance of the parameters
//! ([`evidence`]), reported apart from their Monte Carlo error.
//!
//! Pure: no files, no terminal. The CLI reads the inputs and writes the catalogue.

pub mod evidence;
pub mod free;
pub mod least_squares;

use least_squares::sum_of_squares;

pub use free::{DEFAULT_FREE, FREE_NAMES, FreeParameter, Range, apply, clamp, parse_free};

use super::Report;
use super::targets::{self, ConstraintCheck, Subject, TargetCheck, TargetSet};
use crate::engine::{NoObserver, RunSettings, SimulationResult, simulate};
use crate::error::Error;
use crate::model::Catalogue;
use crate::scenario::Scenario;
use crate::scenario::source::Source;
use nalgebra::{DMatrix, DVector};
use serde::Serialize;

/// Settings of one calibration.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationSettings {
    pub trials: u64,
    pub seed: u64,
    #[serde(skip)]
    pub threads: usize,
    /// Most Levenberg–Marquardt iterations of the search (each one Jacobian: one evaluation
    /// per free parameter, and its trial steps); the polish gets a quarter.
    pub max_iterations: u64,
    /// Fit even when there are more free parameters than independent targets.
    pub allow_underdetermined: bool,
}

/// One target after the fit.
#[derive(Debug, Clone, Serialize)]
pub struct FittedTarget {
    #[serde(flatten)]
    pub check: TargetCheck,
    /// `(fitted − target) / tolerance`: within tolerance when its size is at most 1.
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
    /// The optimiser's coordinate (log multiplier, logit shift or additive shift).
    pub coordinate: f64,
    /// What the coordinate means: the parameter's value, or a multiplier.
    pub value: f64,
    pub unit: &'static str,
    /// The documented plausible range of `value`, which the fit respects.
    pub range: Range,
    /// The fit stopped at an end of the range: the coordinate is then held fixed in the
    /// covariance.
    pub at_bound: bool,
    /// Standard deviation of `value` from the evidence: the Laplace covariance with each
    /// tolerance read as the published figure's standard deviation. NaN when not identified,
    /// 0 at a bound.
    pub evidence_sd: f64,
    /// Monte Carlo standard error of `value`: how far it would move with other random numbers
    /// at the same trial count. NaN when not identified, 0 at a bound.
    pub monte_carlo_se: f64,
}

/// The result of a calibration, the catalogue aside.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub settings: CalibrationSettings,
    pub parameters: Vec<FittedParameter>,
    pub targets: Vec<FittedTarget>,
    pub constraints: Vec<ConstraintCheck>,
    /// Free parameters against independent targets (docs/CALIBRATION.md §1).
    pub free_parameters: usize,
    pub independent_targets: usize,
    /// Σ of squared standardised residuals and constraint violations, at the start and at the
    /// fit.
    pub initial_objective: f64,
    pub objective: f64,
    pub evaluations: u64,
    pub all_within_tolerance: bool,
    pub constraints_satisfied: bool,
    /// Combinations of free parameters that no target moves.
    pub unidentified: Vec<evidence::Unidentified>,
    /// Unmet targets that no free parameter moves.
    pub unmovable: Vec<String>,
    pub conflicts: Vec<Conflict>,
    #[serde(skip)]
    pub coordinates: Vec<f64>,
    /// The evidence's covariance of the coordinates (zero rows at a bound; NaN when not
    /// identified).
    #[serde(skip)]
    pub coordinate_covariance: DMatrix<f64>,
}

impl Calibration {
    /// A plain verdict: "Not identified" never stands beside "every target met".
    pub fn verdict(&self) -> String {
        let mut parts = Vec::new();
        if self.all_within_tolerance {
            parts.push("every target is met within its tolerance".to_string());
        } else {
            parts.push(
                "the targets cannot all be met together with these free parameters".to_string(),
            );
        }
        if !self.constraints_satisfied {
            parts.push("some constraints are violated".to_string());
        }
        if !self.unidentified.is_empty() {
            parts.push(format!(
                "but {} combination(s) of the free parameters are not identified by the targets, so the fitted values are one choice among many",
                self.unidentified.len()
            ));
        }
        parts.join("; ")
    }

    /// Whether the fit is clean: every target met, every constraint satisfied, every
    /// parameter identified.
    pub fn clean(&self) -> bool {
        self.all_within_tolerance && self.constraints_satisfied && self.unidentified.is_empty()
    }
}

/// Observes the calibration's progress (one call per objective evaluation).
pub trait CalibrationObserver: Sync {
    fn evaluated(&self, _evaluations: u64, _objective: f64) {}
}

/// A calibration's figures at one catalogue.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub targets: Vec<TargetCheck>,
    pub constraints: Vec<ConstraintCheck>,
}

impl Evaluation {
    fn residuals(&self) -> Vec<f64> {
        self.targets
            .iter()
            .map(standardised)
            .chain(
                self.constraints
                    .iter()
                    .map(|c| c.violation / c.constraint.scale),
            )
            .collect()
    }
}

/// The problem the optimiser sees.
struct Objective<'a> {
    scenario: &'a Source,
    base: &'a Catalogue,
    free: &'a [FreeParameter],
    set: &'a TargetSet,
    settings: &'a CalibrationSettings,
    observer: &'a dyn CalibrationObserver,
    evaluations: std::sync::atomic::AtomicU64,
}

impl Objective<'_> {
    /// The figures at coordinates `x` (moved into their bounds first), simulated on `threads`
    /// threads (the values do not depend on them).
    fn evaluation(&self, x: &[f64], threads: usize) -> Result<Evaluation, Error> {
        let catalogue = apply(self.base, self.free, x);
        evaluate(
            self.scenario,
            &catalogue,
            self.set,
            self.settings.trials,
            self.settings.seed,
            threads,
        )
    }

    /// The residuals S sums the squares of: standardised target residuals, then constraint
    /// violations over their scales. Counted, and reported to the observer.
    fn residuals(&self, x: &[f64], threads: usize) -> Result<Vec<f64>, Error> {
        let residuals = self.evaluation(x, threads)?.residuals();
        let count = 1 + self
            .evaluations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.observer.evaluated(count, sum_of_squares(&residuals));
        Ok(residuals)
    }

    fn target_residuals(&self, x: &[f64], threads: usize) -> Result<Vec<f64>, Error> {
        Ok(self
            .evaluation(x, threads)?
            .targets
            .iter()
            .map(standardised)
            .collect())
    }

    /// Each coordinate's bounds, low first.
    fn bounds(&self) -> Vec<(f64, f64)> {
        self.free
            .iter()
            .map(|p| {
                let (low, high) = p.coordinate_bounds(self.base);
                (low.min(high), high.max(low))
            })
            .collect()
    }
}

fn standardised(check: &TargetCheck) -> f64 {
    (check.fitted.value - check.target.value) / check.target.tolerance
}

/// The scenario's baseline alone, under `catalogue`; with `no_trouble`, every factor's
/// probability set to 0.
fn baseline_run(
    scenario: &Source,
    catalogue: &Catalogue,
    no_trouble: bool,
    trials: u64,
    seed: u64,
    threads: usize,
) -> Result<(Scenario, SimulationResult), Error> {
    let mut scenario = Scenario::with_catalogue(scenario, catalogue)?;
    // Only the baseline is compared with the targets: the other strategies would cost time.
    let baseline = scenario.strategies.swap_remove(scenario.baseline);
    scenario.strategies = vec![baseline];
    scenario.baseline = 0;
    if no_trouble {
        for factor in scenario.factors.iter_mut() {
            factor.probability = 0.0;
        }
    }
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
    Ok((scenario, result))
}

fn unnamed(id: &str) -> Error {
    Error::BadOption {
        option: "--targets".into(),
        message: format!("\"{id}\" names no figure of the report"),
        fix: "use a metric id of docs/OUTPUT.md, a cause group id of the catalogue, or a statistic of docs/CALIBRATION.md §1".into(),
    }
}

/// Simulate the scenario's baseline under `catalogue` (and, for constraints on a project
/// without trouble, the same baseline with no factor able to strike) and compare it with the
/// targets and constraints.
pub fn evaluate(
    scenario: &Source,
    catalogue: &Catalogue,
    set: &TargetSet,
    trials: u64,
    seed: u64,
    threads: usize,
) -> Result<Evaluation, Error> {
    // With constraints on a project without trouble, the two runs go side by side, one
    // thread each: a calibration's runs are a few batches, which two threads would share
    // unevenly. Results do not depend on threads.
    let (main, no_trouble) = if set.needs_no_trouble() && threads != 1 {
        let (a, b) = std::thread::scope(|scope| {
            let other = scope.spawn(|| baseline_run(scenario, catalogue, true, trials, seed, 1));
            let main = baseline_run(scenario, catalogue, false, trials, seed, 1);
            (main, other.join())
        });
        let b = b.map_err(|_| Error::Internal("a calibration run panicked".into()))?;
        (a?, Some(b?))
    } else {
        let main = baseline_run(scenario, catalogue, false, trials, seed, threads)?;
        let other = if set.needs_no_trouble() {
            Some(baseline_run(
                scenario, catalogue, true, trials, seed, threads,
            )?)
        } else {
            None
        };
        (main, other)
    };
    let (scenario_b, result) = main;
    let report = Report::build(&scenario_b, &result);
    let acc = &result.strategies[0];
    let checks = targets::check(&report, acc, &set.targets)
        .into_iter()
        .zip(&set.targets)
        .map(|(check, target)| check.ok_or_else(|| unnamed(&target.id)))
        .collect::<Result<Vec<_>, _>>()?;
    let no_trouble = no_trouble.map(|(s, r)| (Report::build(&s, &r), r));
    let constraints = set
        .constraints
        .iter()
        .map(|c| {
            let (report, acc) = match (c.on, &no_trouble) {
                (Subject::NoTrouble, Some((report, result))) => (report, &result.strategies[0]),
                _ => (&report, acc),
            };
            targets::check_constraint(c, report, acc).ok_or_else(|| unnamed(&c.id))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Evaluation {
        targets: checks,
        constraints,
    })
}

/// Refuse a fit with more free parameters than independent targets, unless allowed.
pub fn check_degrees_of_freedom(
    free: &[FreeParameter],
    set: &TargetSet,
    base: &Catalogue,
    allow: bool,
) -> Result<usize, Error> {
    let groups: Vec<String> = base.groups.iter().map(|g| g.id.clone()).collect();
    let independent = targets::independent_count(&set.targets, &groups);
    if free.len() > independent && !allow {
        return Err(Error::BadOption {
            option: "--free".into(),
            message: format!(
                "{} free parameters against {} independent targets: the targets cannot identify them all, so the fit would be one choice among many",
                free.len(),
                independent
            ),
            fix: "free fewer parameters (--free), add targets, or pass --allow-underdetermined to fit anyway (the report then names what is not identified)".into(),
        });
    }
    Ok(independent)
}

/// Fit the free parameters of `base` to the targets on the baseline of `scenario`, inside
/// each parameter's range and the constraints.
pub fn calibrate(
    scenario: &Source,
    base: &Catalogue,
    free: &[FreeParameter],
    set: &TargetSet,
    settings: &CalibrationSettings,
    observer: &dyn CalibrationObserver,
) -> Result<Calibration, Error> {
    let independent = check_degrees_of_freedom(free, set, base, settings.allow_underdetermined)?;
    let objective = Objective {
        scenario,
        base,
        free,
        set,
        settings,
        observer,
        evaluations: 0.into(),
    };
    let start = clamp(base, free, &vec![0.0; free.len()]);
    let threads = settings.threads;
    let at_start = objective.residuals(&start, threads)?;
    let initial_objective = sum_of_squares(&at_start);
    // Two stages: the search on a quarter of the trials (the same seed, so the same first
    // random numbers), then a polish from its best point on all of them. The objective is
    // smooth in the parameters at either trial count, so the search finds the basin cheaply
    // and the polish moves the point by the difference in Monte Carlo noise.
    let search_settings = CalibrationSettings {
        trials: (settings.trials / 4).max(1_000),
        ..settings.clone()
    };
    let search = Objective {
        settings: &search_settings,
        evaluations: 0.into(),
        ..objective
    };
    let found = minimise(&search, &start, None, settings.max_iterations)?;
    let objective = Objective {
        settings,
        evaluations: search
            .evaluations
            .load(std::sync::atomic::Ordering::Relaxed)
            .into(),
        ..search
    };
    // The search's point is better on its quarter of the trials; on all of them it may not be
    // (the Monte Carlo noise differs): the polish starts from the better of it and the start,
    // so a fit never ends worse than where it began.
    let (polish_from, residuals_there) = if found.x == start {
        (&start, at_start)
    } else {
        let at_found = objective.residuals(&found.x, threads)?;
        if sum_of_squares(&at_found) < initial_objective {
            (&found.x, at_found)
        } else {
            (&start, at_start)
        }
    };
    let polish_iterations = (settings.max_iterations / 4).max(10);
    let polished = minimise(
        &objective,
        polish_from,
        Some(residuals_there),
        polish_iterations,
    )?;
    let coordinates = polished.x;
    let evaluations = objective
        .evaluations
        .load(std::sync::atomic::Ordering::Relaxed);
    let evaluation = objective.evaluation(&coordinates, threads)?;
    finish(
        &objective,
        coordinates,
        evaluation,
        initial_objective,
        evaluations,
        independent,
    )
}

/// Step of the finite differences, in the optimiser's coordinates (5 % of a multiplier):
/// wide enough to span many trials' changes of outcome on common random numbers, where a
/// share or a quantile moves in steps of one trial.
const DIFFERENCE_STEP: f64 = 0.05;

/// The search and the polish stop when a step lowers S by less than this fraction of S: a
/// thousandth of the objective is far below the Monte Carlo noise of any target.
const RELATIVE_IMPROVEMENT: f64 = 1e-3;

/// ... or when a step moves no coordinate by more than this.
const SMALLEST_STEP: f64 = 1e-4;

/// Levenberg–Marquardt from `start` inside the coordinates' bounds: trial steps simulated on
/// all threads, the Jacobian's columns (one-sided differences) one per thread.
fn minimise(
    objective: &Objective,
    start: &[f64],
    at_start: Option<Vec<f64>>,
    max_iterations: u64,
) -> Result<least_squares::Minimum, Error> {
    let threads = objective.settings.threads;
    let bounds = objective.bounds();
    let residuals = |x: &[f64]| objective.residuals(x, threads);
    let alone = |x: &[f64]| objective.residuals(x, 1);
    let jacobian = |x: &[f64], r: &[f64]| {
        least_squares::forward_differences(&alone, x, r, &bounds, DIFFERENCE_STEP, threads)
    };
    least_squares::minimise(
        &residuals,
        &jacobian,
        start,
        at_start,
        &bounds,
        least_squares::Stopping {
            max_iterations,
            relative_improvement: RELATIVE_IMPROVEMENT,
            smallest_step: SMALLEST_STEP,
        },
    )
}

/// Coordinates closer than this to an end of their range count as at the bound.
const AT_BOUND: f64 = 1e-4;

/// Report the fit at `coordinates`: residuals, the evidence's and the Monte Carlo covariance,
/// what is not identified, and which unmet targets pull against which.
fn finish(
    objective: &Objective,
    coordinates: Vec<f64>,
    evaluation: Evaluation,
    initial_objective: f64,
    evaluations: u64,
    independent: usize,
) -> Result<Calibration, Error> {
    let free = objective.free;
    let base = objective.base;
    let objective_value = sum_of_squares(&evaluation.residuals());
    let residuals: Vec<f64> = evaluation.targets.iter().map(standardised).collect();
    let targets: Vec<FittedTarget> = evaluation
        .targets
        .into_iter()
        .zip(&residuals)
        .map(|(check, &standardised_residual)| FittedTarget {
            check,
            standardised_residual,
        })
        .collect();
    let all_within_tolerance = targets.iter().all(|t| t.check.within_tolerance);
    let constraints_satisfied = evaluation.constraints.iter().all(|c| c.satisfied);
    let bounds: Vec<(f64, f64)> = free.iter().map(|p| p.coordinate_bounds(base)).collect();
    let at_bound: Vec<bool> = coordinates
        .iter()
        .zip(&bounds)
        .map(|(&x, &(low, high))| x - low < AT_BOUND || high - x < AT_BOUND)
        .collect();
    let jacobian = jacobian(objective, &coordinates, &bounds, &at_bound)?;
    let noise: Vec<f64> = targets
        .iter()
        .map(|t| t.check.fitted.se / t.check.target.tolerance)
        .collect();
    let names: Vec<String> = free.iter().map(|p| p.name()).collect();
    let active: Vec<bool> = at_bound.iter().map(|b| !b).collect();
    let prior_sd: Vec<f64> = bounds
        .iter()
        .map(|(low, high)| (high - low) / 4.0)
        .collect();
    let covariance = evidence::coordinate_covariance(&jacobian, &noise, &active, &prior_sd, &names);
    let (unmovable, conflicts) = if all_within_tolerance {
        (Vec::new(), Vec::new())
    } else {
        tensions(&jacobian, &residuals, &targets)
    };
    let parameters = free
        .iter()
        .enumerate()
        .map(|(j, parameter)| {
            let x = coordinates[j];
            let value = parameter.reported(x, base);
            // d value / d coordinate: the value itself for a multiplier, 1 for a shift.
            let slope =
                (parameter.reported(x + 1e-6, base) - parameter.reported(x - 1e-6, base)) / 2e-6;
            let sd = |m: &DMatrix<f64>| slope.abs() * m[(j, j)].max(0.0).sqrt();
            FittedParameter {
                name: parameter.name(),
                parameter: parameter.clone(),
                coordinate: x,
                value,
                unit: parameter.unit(),
                range: parameter.range(),
                at_bound: at_bound[j],
                evidence_sd: if covariance.covariance[(j, j)].is_nan() {
                    f64::NAN
                } else {
                    sd(&covariance.covariance)
                },
                monte_carlo_se: if covariance.monte_carlo[(j, j)].is_nan() {
                    f64::NAN
                } else {
                    sd(&covariance.monte_carlo)
                },
            }
        })
        .collect();
    Ok(Calibration {
        settings: objective.settings.clone(),
        parameters,
        objective: objective_value,
        targets,
        constraints: evaluation.constraints,
        free_parameters: free.len(),
        independent_targets: independent,
        initial_objective,
        evaluations,
        all_within_tolerance,
        constraints_satisfied,
        unidentified: covariance.unidentified,
        unmovable,
        conflicts,
        coordinates,
        coordinate_covariance: covariance.covariance,
    })
}

/// `∂r_i/∂x_j` of the target residuals by differences on the same random numbers over an
/// interval of width 2 × [`DIFFERENCE_STEP`] around `x_j`: centred where the range allows, slid
/// inside it near a bound (shortening the step there instead would divide the Monte Carlo steps
/// of shares and quantiles by a tiny width). Zero columns for coordinates at a bound. The points
/// are evaluated in parallel, one per thread.
fn jacobian(
    objective: &Objective,
    x: &[f64],
    bounds: &[(f64, f64)],
    at_bound: &[bool],
) -> Result<DMatrix<f64>, Error> {
    let k = x.len();
    let m = objective.set.targets.len();
    let moved: Vec<usize> = (0..k).filter(|&j| !at_bound[j]).collect();
    // Per moved coordinate: how far up and how far down.
    let spans: Vec<(f64, f64)> = moved
        .iter()
        .map(|&j| {
            let (low, high) = bounds[j];
            let (room_up, room_down) = (high - x[j], x[j] - low);
            let up = (2.0 * DIFFERENCE_STEP - room_down.min(DIFFERENCE_STEP)).min(room_up);
            let down = (2.0 * DIFFERENCE_STEP - up).min(room_down);
            (up, down)
        })
        .collect();
    let points: Vec<Vec<f64>> = moved
        .iter()
        .zip(&spans)
        .flat_map(|(&j, &(up, down))| {
            let (mut above, mut below) = (x.to_vec(), x.to_vec());
            above[j] += up;
            below[j] -= down;
            [above, below]
        })
        .collect();
    let alone = |x: &[f64]| objective.target_residuals(x, 1);
    let values = least_squares::in_parallel(&alone, &points, objective.settings.threads)?;
    let mut jacobian = DMatrix::zeros(m, k);
    for ((&j, &(up, down)), pair) in moved.iter().zip(&spans).zip(values.chunks(2)) {
        for i in 0..m {
            jacobian[(i, j)] = (pair[0][i] - pair[1][i]) / (up + down);
        }
    }
    Ok(jacobian)
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
