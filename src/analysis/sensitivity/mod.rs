//! Variance-based global sensitivity analysis of a model output: which inputs, alone and with
//! their interactions, account for how much of the output's variance. This module owns the
//! estimators only — pure functions of a model closure, a design and a seed, with no I/O.
//!
//! - [`sobol`]: first-order and total Sobol indices of *independent* inputs on the unit
//!   hypercube (Saltelli design; Saltelli 2010 and Jansen 1999 estimators; bootstrap intervals).
//! - [`shapley`]: Shapley effects of *dependent* Gaussian inputs (Song, Nelson & Staum 2016,
//!   random-permutation algorithm), which share the whole variance out among the inputs even
//!   when they are correlated.
//!
//! Both take the inputs as named groups of coordinates (`groups[g] = (name, coordinates)`): an
//! input of the forecaster may span several coordinates (a risk factor is its normal draw and its
//! severity), and every index here is the index of a group. Both are deterministic: the same
//! seed gives bit-identical results at any rayon thread count, because random streams are tied to
//! fixed chunks of work, never to threads, and partial results are combined in a fixed order.

pub mod screening;
pub mod shapley;
pub mod sobol;
pub mod study;
pub mod summary;

#[cfg(test)]
mod shapley_tests;
#[cfg(test)]
mod sobol_tests;

pub use shapley::{Permutations, ShapleyEffects, shapley_effects, shapley_effects_with};
pub use sobol::{Design, SamplingDesign, SobolIndices, sobol_indices, sobol_indices_with};

use serde::Serialize;

/// One sensitivity index of one input, with its uncertainty.
#[derive(Debug, Clone, Serialize)]
pub struct Index {
    /// The input (group) name, as given.
    pub name: String,
    pub estimate: f64,
    /// Lower end of the 95 % interval (bootstrap percentile for Sobol, normal for Shapley).
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
    pub standard_error: f64,
}

/// Why an index could not be estimated.
#[derive(Debug, thiserror::Error)]
pub enum SensitivityError {
    #[error(
        "the output does not vary (variance {variance:e} around mean {mean}): no sensitivity index is defined"
    )]
    ZeroVariance { variance: f64, mean: f64 },
    #[error("too few {what}: {given} given, at least {minimum} needed")]
    TooFew {
        what: &'static str,
        given: usize,
        minimum: usize,
    },
    #[error("too much work requested: {what} overflows the count of model evaluations")]
    TooLarge { what: String },
    #[error("the inputs have no coordinates: give at least one dimension")]
    NoDimensions,
    #[error("no inputs were named: give at least one group of coordinates")]
    NoGroups,
    #[error("input `{group}` lists no coordinates")]
    EmptyGroup { group: String },
    #[error(
        "input `{group}` names coordinate {coordinate}, but the inputs have only {dimensions} coordinates (0 to {last})",
        last = .dimensions.saturating_sub(1)
    )]
    CoordinateOutOfRange {
        group: String,
        coordinate: usize,
        dimensions: usize,
    },
    #[error("input `{group}` lists coordinate {coordinate} twice")]
    RepeatedCoordinate { group: String, coordinate: usize },
    #[error(
        "coordinate {coordinate} is listed by both `{first}` and `{second}`: each coordinate may belong to one input only"
    )]
    SharedCoordinate {
        coordinate: usize,
        first: String,
        second: String,
    },
    #[error(
        "coordinate {coordinate} belongs to no input: Shapley effects share out the whole output variance, so every coordinate must belong to exactly one input"
    )]
    UngroupedCoordinate { coordinate: usize },
    #[error("the model returned {value} at the point {point:?}: every output must be finite")]
    NonFiniteOutput { value: f64, point: Vec<f64> },
    #[error("the study was interrupted")]
    Interrupted,
    #[error("the covariance matrix is {rows}×{columns}: it must be square")]
    NotSquare { rows: usize, columns: usize },
    #[error("the covariance matrix has the non-finite entry {value} at ({row}, {column})")]
    NonFiniteCovariance {
        row: usize,
        column: usize,
        value: f64,
    },
    #[error(
        "the covariance matrix is not symmetric: entry ({row}, {column}) is {upper} but ({column}, {row}) is {lower}"
    )]
    NotSymmetric {
        row: usize,
        column: usize,
        upper: f64,
        lower: f64,
    },
    #[error("the covariance matrix is not positive definite: {detail}")]
    NotPositiveDefinite { detail: String },
}

/// Checks `groups` against `dimensions` coordinates: at least one group, none empty, every
/// coordinate in range and listed at most once over all groups. Returns, per coordinate, the
/// group that owns it (`None` for a coordinate no group names).
fn validate_groups(
    dimensions: usize,
    groups: &[(String, Vec<usize>)],
) -> Result<Vec<Option<usize>>, SensitivityError> {
    if dimensions == 0 {
        return Err(SensitivityError::NoDimensions);
    }
    if groups.is_empty() {
        return Err(SensitivityError::NoGroups);
    }
    let mut owner: Vec<Option<usize>> = vec![None; dimensions];
    for (group, (name, coordinates)) in groups.iter().enumerate() {
        if coordinates.is_empty() {
            return Err(SensitivityError::EmptyGroup {
                group: name.clone(),
            });
        }
        for &coordinate in coordinates {
            let Some(slot) = owner.get_mut(coordinate) else {
                return Err(SensitivityError::CoordinateOutOfRange {
                    group: name.clone(),
                    coordinate,
                    dimensions,
                });
            };
            if *slot == Some(group) {
                return Err(SensitivityError::RepeatedCoordinate {
                    group: name.clone(),
                    coordinate,
                });
            }
            if let Some(previous) = *slot {
                return Err(SensitivityError::SharedCoordinate {
                    coordinate,
                    first: groups[previous].0.clone(),
                    second: name.clone(),
                });
            }
            *slot = Some(group);
        }
    }
    Ok(owner)
}

/// The seed of an independent random stream `stream` derived from the user's `seed`
/// (a SplitMix64 finaliser, so neighbouring streams are decorrelated).
fn stream_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed.wrapping_add(stream.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// True when a sample variance is zero up to rounding: a standard deviation below 10⁻¹² of the
/// mean's magnitude cannot be told apart from the rounding error of a constant output.
fn variance_is_negligible(variance: f64, mean: f64) -> bool {
    // NaN counts as negligible too: no index can be built on it.
    variance.is_nan() || variance <= 0.0 || variance.sqrt() <= 1e-12 * mean.abs()
}

/// Mean and sample standard deviation (denominator n − 1) of `values`; at least two values.
fn mean_and_sd(values: &[f64]) -> (f64, f64) {
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (squares / (count - 1.0)).sqrt())
}

/// The `probability` quantile of ascending `sorted` values, interpolating linearly between order
/// statistics (Hyndman & Fan type 7, the default of R and NumPy).
fn quantile_of_sorted(sorted: &[f64], probability: f64) -> f64 {
    let position = probability * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    sorted[below] + fraction * (sorted[above] - sorted[below])
}

/// The 0.975 quantile of the standard normal: the half-width of a 95 % normal interval in SEs.
pub const NORMAL_95: f64 = 1.959_963_984_540_054;
