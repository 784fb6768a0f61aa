//! Parameter uncertainty: the joint normal uncertainty of some catalogue parameters (e.g. the
//! fitted covariance of calibrated weights), read from a catalogue's optional `[uncertainty]`
//! table and drawn once per trial under `--parameter-uncertainty` (`docs/MODEL.md` §4b).
//!
//! Validation happens here, once: names resolved to factor indices, the matrix checked square,
//! symmetric, finite and positive semi-definite, and factored into a square root `R` with
//! `R·Rᵀ = covariance`, so the trial loop only multiplies.

use super::Factor;
use super::catalogue::{MAX_LOG_IMPACT, MAX_RUNAWAY_IMPACT, RUNAWAY_TAIL_RANGE};
use crate::scenario::checks::Check;
use crate::scenario::source::{FieldPath, Problem};
use nalgebra::{DMatrix, SymmetricEigen};
use serde::{Deserialize, Serialize};

/// Most parameters an `[uncertainty]` table may list.
pub const MAX_PARAMETERS: usize = 256;
/// Drawn probabilities are kept inside `[PROBABILITY_FLOOR, 1 − PROBABILITY_FLOOR]`.
pub const PROBABILITY_FLOOR: f64 = 1e-6;
/// Drawn benefit impacts are kept at or below this (a drawn factor never wipes out all benefit).
pub const MAX_BENEFIT_IMPACT: f64 = 0.95;
/// Eigenvalues down to `−EIGENVALUE_TOLERANCE · trace` count as rounding error, not as a
/// covariance that cannot exist.
pub const EIGENVALUE_TOLERANCE: f64 = 1e-10;
/// The range `[estimate]` log means are validated in: its width bounds their standard deviation.
const LOG_MEAN_RANGE: (f64, f64) = (-3.0, 3.0);

/// One uncertain parameter, by factor index where it belongs to a factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "factor", rename_all = "snake_case")]
pub enum Parameter {
    /// `benefit:<factor>`: the factor's benefit impact.
    Benefit(usize),
    /// `cost:<factor>`: the factor's log-cost impact.
    Cost(usize),
    /// `schedule:<factor>`: the factor's log-duration impact.
    Schedule(usize),
    /// `probability:<factor>`: the factor's probability of striking.
    Probability(usize),
    /// `runaway:<factor>`: the factor's runaway impact (log hazard).
    Runaway(usize),
    /// `log_cost_mean` of the estimating error.
    LogCostMean,
    /// `log_schedule_mean` of the estimating error.
    LogScheduleMean,
    /// `log_cost_sd` of the estimating error.
    LogCostSd,
    /// `log_schedule_sd` of the estimating error.
    LogScheduleSd,
    /// `runaway_base_probability`: the chance that a project without trouble runs away.
    RunawayBase,
    /// `runaway_size_min`: the runaway's smallest cost multiplier.
    RunawaySize,
    /// `runaway_tail`: the tail index of the runaway's cost multiplier.
    RunawayTail,
    /// `runaway_schedule`: the runaway's duration elasticity.
    RunawaySchedule,
}

/// The prefixes of the factor parameters, in the order of [`Parameter`].
const FACTOR_KINDS: [&str; 5] = ["benefit", "cost", "schedule", "probability", "runaway"];
/// The parameters that belong to no factor, by name.
const GLOBAL: [(&str, Parameter); 8] = [
    ("log_cost_mean", Parameter::LogCostMean),
    ("log_schedule_mean", Parameter::LogScheduleMean),
    ("log_cost_sd", Parameter::LogCostSd),
    ("log_schedule_sd", Parameter::LogScheduleSd),
    ("runaway_base_probability", Parameter::RunawayBase),
    ("runaway_size_min", Parameter::RunawaySize),
    ("runaway_tail", Parameter::RunawayTail),
    ("runaway_schedule", Parameter::RunawaySchedule),
];
const NAME_FORMS: &str = "benefit:<factor id>, cost:<factor id>, schedule:<factor id>, probability:<factor id>, runaway:<factor id>, log_cost_mean, log_schedule_mean, log_cost_sd, log_schedule_sd, runaway_base_probability, runaway_size_min, runaway_tail, runaway_schedule";

impl Parameter {
    /// The range a drawn value is clamped to: inside (0, 1) for probabilities, [0, 0.95] for
    /// benefit impacts (the cap calibration keeps them under), the validation ranges for the
    /// other impacts, standard deviations and runaway parameters; the log means are not
    /// clamped.
    pub fn clamp_range(self) -> (f64, f64) {
        match self {
            Parameter::Probability(_) => (PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR),
            Parameter::Benefit(_) => (0.0, MAX_BENEFIT_IMPACT),
            Parameter::Cost(_) | Parameter::Schedule(_) => (0.0, MAX_LOG_IMPACT),
            Parameter::Runaway(_) => (0.0, MAX_RUNAWAY_IMPACT),
            Parameter::LogCostMean | Parameter::LogScheduleMean => {
                (f64::NEG_INFINITY, f64::INFINITY)
            }
            Parameter::LogCostSd | Parameter::LogScheduleSd => (0.0, 3.0),
            Parameter::RunawayBase => (0.0, 0.5),
            Parameter::RunawaySize => (1.0, 100.0),
            Parameter::RunawayTail => RUNAWAY_TAIL_RANGE,
            Parameter::RunawaySchedule => (0.0, 2.0),
        }
    }

    /// The largest standard deviation accepted: the width of the parameter's valid range.
    pub fn max_sd(self) -> f64 {
        match self {
            Parameter::LogCostMean | Parameter::LogScheduleMean => {
                LOG_MEAN_RANGE.1 - LOG_MEAN_RANGE.0
            }
            Parameter::Probability(_) | Parameter::Benefit(_) => 1.0,
            other => {
                let (low, high) = other.clamp_range();
                high - low
            }
        }
    }

    /// The factor the parameter belongs to, if any.
    pub fn factor(self) -> Option<usize> {
        match self {
            Parameter::Benefit(i)
            | Parameter::Cost(i)
            | Parameter::Schedule(i)
            | Parameter::Probability(i)
            | Parameter::Runaway(i) => Some(i),
            _ => None,
        }
    }

    /// The parameter's name as an `[uncertainty]` table writes it.
    pub fn name(self, factors: &[Factor]) -> String {
        let factor = |kind: &str, i: usize| format!("{kind}:{}", factors[i].id);
        match self {
            Parameter::Benefit(i) => factor("benefit", i),
            Parameter::Cost(i) => factor("cost", i),
            Parameter::Schedule(i) => factor("schedule", i),
            Parameter::Probability(i) => factor("probability", i),
            Parameter::Runaway(i) => factor("runaway", i),
            global => GLOBAL
                .iter()
                .find(|(_, p)| *p == global)
                .map(|(name, _)| (*name).to_string())
                .unwrap_or_default(),
        }
    }
}

/// A validated `[uncertainty]` table. It serialises as the table is written (`source`,
/// `parameters` by name, `covariance`).
#[derive(Debug, Clone, Serialize)]
pub struct ParameterUncertainty {
    /// Where the covariance came from (free text).
    pub source: String,
    /// The names as written, in the order of the matrix.
    #[serde(rename = "parameters")]
    pub names: Vec<String>,
    /// The names resolved, in the same order.
    #[serde(skip)]
    pub parameters: Vec<Parameter>,
    /// The covariance as given (symmetrised), `covariance[i][j]`.
    pub covariance: Vec<Vec<f64>>,
    /// A square root `R` of the covariance, `R·Rᵀ = covariance`, row-major `k × k`: the lower
    /// Cholesky factor when the covariance is positive-definite, else the symmetric positive
    /// semi-definite square root `Q·√Λ⁺·Qᵀ` of its eigen-decomposition.
    #[serde(skip)]
    pub root: Vec<f64>,
}

impl ParameterUncertainty {
    /// `δ = R·ε` for standard normals `ε`, row by row: `δ_j = Σ_k R_jk ε_k`, summed in `k`
    /// order (`docs/MODEL.md` §4b). The trial loop and the nested gain interval share it.
    #[inline]
    pub fn delta(&self, normals: &[f64], delta: &mut [f64]) {
        correlate(&self.root, normals, delta);
    }

    pub fn len(&self) -> usize {
        self.parameters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parameters.is_empty()
    }
}

/// `δ = R·ε` with `R` row-major `k × k` (`k = δ.len()`), summed in column order.
#[inline]
pub fn correlate(root: &[f64], normals: &[f64], delta: &mut [f64]) {
    let k = delta.len();
    for (row, d) in delta.iter_mut().enumerate() {
        *d = root[row * k..(row + 1) * k]
            .iter()
            .zip(normals)
            .map(|(r, e)| r * e)
            .sum();
    }
}

impl Parameter {
    /// The value a draw gives the parameter: `clamp(value + δ)` to [`Self::clamp_range`].
    #[inline]
    pub fn drawn(self, value: f64, delta: f64) -> f64 {
        let (low, high) = self.clamp_range();
        (value + delta).clamp(low, high)
    }
}

/// The `[uncertainty]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUncertainty {
    #[serde(default)]
    pub source: String,
    pub parameters: Vec<String>,
    pub covariance: Vec<Vec<f64>>,
}

/// A parameter name: `benefit|cost|schedule|probability:<factor id>`, `log_cost_mean` or
/// `log_schedule_mean`, with "did you mean" for a misspelt one.
fn parameter(path: &FieldPath, name: &str, factors: &[Factor]) -> Check<Parameter> {
    let found = match name.split_once(':') {
        None => GLOBAL.iter().find(|(n, _)| *n == name).map(|(_, p)| *p),
        Some((kind, id)) => factors.iter().position(|f| f.id == id).and_then(|i| {
            let make = [
                Parameter::Benefit,
                Parameter::Cost,
                Parameter::Schedule,
                Parameter::Probability,
                Parameter::Runaway,
            ];
            FACTOR_KINDS
                .iter()
                .position(|k| *k == kind)
                .map(|k| make[k](i))
        }),
    };
    if let Some(found) = found {
        return Ok(found);
    }
    let mut known: Vec<String> = GLOBAL.iter().map(|(n, _)| (*n).to_string()).collect();
    for kind in FACTOR_KINDS {
        known.extend(factors.iter().map(|f| format!("{kind}:{}", f.id)));
    }
    let hint = crate::scenario::suggest::closest(name, known.iter().map(String::as_str))
        .map(|best| format!("did you mean \"{best}\"? "))
        .unwrap_or_default();
    let message = match name.split_once(':') {
        Some((kind, id)) if FACTOR_KINDS.contains(&kind) => {
            format!("unknown parameter \"{name}\": the catalogue has no factor \"{id}\"")
        }
        Some((kind, _)) => format!(
            "unknown parameter \"{name}\": \"{kind}\" is not one of {}",
            FACTOR_KINDS.join(", ")
        ),
        None => format!("unknown parameter \"{name}\""),
    };
    let ids: Vec<&str> = factors.iter().map(|f| f.id.as_str()).collect();
    Err(Problem::new(
        path,
        message,
        format!(
            "{hint}parameters are {NAME_FORMS}; the factor ids are {}",
            ids.join(", ")
        ),
    ))
}

/// Validate an `[uncertainty]` table against the catalogue's factors (at `path`).
pub fn validate(
    path: &FieldPath,
    raw: &RawUncertainty,
    factors: &[Factor],
) -> Check<ParameterUncertainty> {
    let names_path = path.key("parameters");
    let matrix_path = path.key("covariance");
    let k = raw.parameters.len();
    if k == 0 {
        return Err(Problem::new(
            &names_path,
            "no parameters are listed",
            format!(
                "list the uncertain parameters ({NAME_FORMS}), or remove the [uncertainty] table"
            ),
        ));
    }
    if k > MAX_PARAMETERS {
        return Err(Problem::new(
            &names_path,
            format!("{k} parameters exceed the limit of {MAX_PARAMETERS}"),
            "keep the parameters whose uncertainty matters most",
        ));
    }
    let mut parameters: Vec<Parameter> = Vec::with_capacity(k);
    for (i, name) in raw.parameters.iter().enumerate() {
        let p = parameter(&names_path.index(i), name, factors)?;
        if let Some(first) = parameters.iter().position(|q| *q == p) {
            return Err(Problem::new(
                &names_path.index(i),
                format!("\"{name}\" is listed twice (entries {first} and {i}, counting from 0)"),
                "list each parameter once, with one row and one column of the covariance",
            ));
        }
        parameters.push(p);
    }
    if raw.covariance.len() != k {
        return Err(Problem::new(
            &matrix_path,
            format!(
                "{} rows for {k} parameters: the covariance must be {k} × {k}",
                raw.covariance.len()
            ),
            format!(
                "give one row per parameter, each of {k} numbers, in the order of `parameters`"
            ),
        ));
    }
    for (i, row) in raw.covariance.iter().enumerate() {
        if row.len() != k {
            return Err(Problem::new(
                &matrix_path.index(i),
                format!(
                    "row {i} has {} number{}: the covariance must be {k} × {k}",
                    row.len(),
                    if row.len() == 1 { "" } else { "s" }
                ),
                format!(
                    "give {k} numbers in every row, one per parameter, in the order of `parameters`"
                ),
            ));
        }
        for (j, &c) in row.iter().enumerate() {
            if !c.is_finite() {
                return Err(Problem::new(
                    &matrix_path.index(i).index(j),
                    format!("{c} is not a finite number"),
                    "give a finite covariance (0 for parameters that do not co-vary)",
                ));
            }
        }
    }
    let c = &raw.covariance;
    for (i, &p) in parameters.iter().enumerate() {
        let variance = c[i][i];
        let max = p.max_sd() * p.max_sd();
        if !(0.0..=max).contains(&variance) {
            return Err(Problem::new(
                &matrix_path.index(i).index(i),
                format!(
                    "the variance of \"{}\" is {variance}, outside [0, {max}]",
                    raw.parameters[i]
                ),
                format!(
                    "give a variance between 0 and {max} (a standard deviation no wider than the parameter's valid range)"
                ),
            ));
        }
    }
    for (i, row) in c.iter().enumerate() {
        for (j, &a) in row.iter().enumerate().take(i) {
            let b = c[j][i];
            if (a - b).abs() > 1e-12 * a.abs().max(b.abs()) {
                return Err(Problem::new(
                    &matrix_path.index(i).index(j),
                    format!(
                        "covariance[{i}][{j}] = {a} but covariance[{j}][{i}] = {b}: a covariance matrix is symmetric"
                    ),
                    format!("give the same number at [{i}][{j}] and [{j}][{i}]"),
                ));
            }
        }
    }
    let matrix = DMatrix::from_fn(k, k, |i, j| 0.5 * (c[i][j] + c[j][i]));
    let root = square_root(&matrix).map_err(|smallest| {
        // Point at the first entry that breaks |c_ij| ≤ √(c_ii·c_jj), when there is one.
        let pair = (0..k)
            .flat_map(|i| (0..i).map(move |j| (i, j)))
            .find(|&(i, j)| matrix[(i, j)].powi(2) > matrix[(i, i)] * matrix[(j, j)]);
        let at = match pair {
            Some((i, j)) => matrix_path.index(i).index(j),
            None => matrix_path.clone(),
        };
        let detail = match pair {
            Some((i, j)) => format!(
                "; |covariance[{i}][{j}]| = {} exceeds √(covariance[{i}][{i}]·covariance[{j}][{j}]) = {}",
                matrix[(i, j)].abs(),
                (matrix[(i, i)] * matrix[(j, j)]).sqrt()
            ),
            None => String::new(),
        };
        Problem::new(
            &at,
            format!("the covariance is not positive semi-definite (smallest eigenvalue {smallest:.4e}){detail}: no joint distribution has it"),
            "give a covariance matrix that can hold together (a fitted covariance is one): |covariance[i][j]| ≤ √(covariance[i][i]·covariance[j][j]), and correlations with consistent signs",
        )
    })?;
    Ok(ParameterUncertainty {
        source: raw.source.clone(),
        names: raw.parameters.clone(),
        parameters,
        covariance: (0..k)
            .map(|i| (0..k).map(|j| matrix[(i, j)]).collect())
            .collect(),
        root,
    })
}

/// A square root `R` (row-major) of a symmetric matrix with `R·Rᵀ` equal to it: its lower
/// Cholesky factor, or, when Cholesky fails, `Q·√max(Λ, 0)·Qᵀ` from the eigen-decomposition,
/// provided no eigenvalue is below `−EIGENVALUE_TOLERANCE · trace`. Else the smallest eigenvalue.
fn square_root(matrix: &DMatrix<f64>) -> Result<Vec<f64>, f64> {
    let k = matrix.nrows();
    let root = match matrix.clone().cholesky() {
        Some(cholesky) => cholesky.l(),
        None => {
            let eigen = SymmetricEigen::new(matrix.clone());
            let smallest = eigen
                .eigenvalues
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            if smallest < -EIGENVALUE_TOLERANCE * matrix.trace() {
                return Err(smallest);
            }
            let roots = eigen.eigenvalues.map(|lambda| lambda.max(0.0).sqrt());
            &eigen.eigenvectors * DMatrix::from_diagonal(&roots) * eigen.eigenvectors.transpose()
        }
    };
    Ok((0..k)
        .flat_map(|i| (0..k).map(move |j| (i, j)))
        .map(|(i, j)| root[(i, j)])
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(root: &[f64], k: usize) -> DMatrix<f64> {
        let r = DMatrix::from_row_slice(k, k, root);
        &r * r.transpose()
    }

    #[test]
    fn square_roots_reproduce_the_covariance() {
        // Positive-definite: Cholesky.
        let pd = DMatrix::from_row_slice(2, 2, &[0.04, 0.01, 0.01, 0.09]);
        let root = square_root(&pd).unwrap();
        assert!((product(&root, 2) - &pd).abs().max() < 1e-15);
        assert_eq!(root[1], 0.0, "the Cholesky factor is lower-triangular");
        // Singular (perfectly correlated) and zero: the eigen route.
        for psd in [
            DMatrix::from_row_slice(2, 2, &[0.04, 0.06, 0.06, 0.09]),
            DMatrix::zeros(3, 3),
        ] {
            let root = square_root(&psd).unwrap();
            assert!((product(&root, psd.nrows()) - &psd).abs().max() < 1e-12);
        }
        // Indefinite: refused with its negative eigenvalue.
        let bad = DMatrix::from_row_slice(2, 2, &[0.04, 0.1, 0.1, 0.09]);
        assert!(square_root(&bad).unwrap_err() < 0.0);
    }
}
