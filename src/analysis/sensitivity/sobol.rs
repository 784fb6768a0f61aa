//! First-order and total Sobol indices of independent inputs on the unit hypercube, from a
//! Saltelli design, with bootstrap intervals. Owns the design (scrambled Sobol or pseudo-random
//! points), the estimators and the bootstrap; the caller owns the map from the hypercube to the
//! model's inputs.
//!
//! # Design
//!
//! `N` base rows `j = 0, …, N−1` and `d` coordinates. Row `j` is one point `p_j` of a
//! `2d`-dimensional sequence: its first `d` coordinates are row `j` of matrix **A**, its last `d`
//! are row `j` of matrix **B**, so A and B are independent samples of the uniform distribution
//! on `(0, 1)^d`.
//!
//! - **Scrambled Sobol** ([`SamplingDesign::ScrambledSobol`]) when `2d ≤ 256` and `N ≤ 2^16`
//!   (the limits of `sobol_burley`): coordinate `c` of row `j` is
//!   `sobol_burley::sample(j, c, s) + 2^-24`, the Owen-scrambled Sobol sequence of Burley (2020),
//!   scramble `s` = 32 bits derived from the seed. `sample` returns multiples of `2^-23`; adding
//!   half a step puts every coordinate at the centre of its cell, strictly inside `(0, 1)`, so a
//!   model may apply an inverse CDF without meeting ±∞. Powers of two for `N` balance the
//!   sequence best.
//! - **Pseudo-random** ([`SamplingDesign::PseudoRandom`]) otherwise: row `j` draws its `2d`
//!   coordinates from its own Xoshiro256++ stream (seeded from the seed and `j`) as
//!   `(k + ½)·2^-53` with `k` uniform on `0 … 2^53 − 1`.
//!
//! For input (group) `g` with coordinate set `u_g`, **AB_g** is A with the columns `u_g` taken
//! from B. The model is evaluated at every row of A, B and each AB_g: `N·(G + 2)` evaluations for
//! `G` groups. Coordinates that belong to no group keep A's values in every AB_g: they vary like
//! any input, but their share of the variance is not reported (`Σ_g S_g` then falls short of 1).
//!
//! # Estimators
//!
//! With `y^A_j = f(A_j)`, `y^B_j = f(B_j)`, `y^g_j = f(AB_g,j)`:
//!
//! - mean `ȳ = (1/2N) Σ_j (y^A_j + y^B_j)` and variance
//!   `V = 1/(2N−1) Σ_j [(y^A_j − ȳ)² + (y^B_j − ȳ)²]`, over the pooled A and B outputs;
//! - first order (Saltelli et al. 2010, table 2 (b)):
//!   `S_g = (1/N) Σ_j (y^B_j − ȳ)(y^g_j − y^A_j) / V`. Centring `y^B` at `ȳ` is our addition:
//!   it leaves the expectation unchanged (`E y^g = E y^A`, so a constant times
//!   `y^g − y^A` averages to zero) and removes the noise a large output mean would add;
//! - total (Jansen 1999): `ST_g = (1/2N) Σ_j (y^A_j − y^g_j)² / V`.
//!
//! Estimates are not clamped: in finite samples an index may fall slightly below 0 or above 1,
//! and `S_g` above `ST_g`.
//!
//! # Bootstrap
//!
//! `R` replicates; replicate `r` draws `N` row indices uniformly with replacement (its own
//! Xoshiro256++ stream, seeded from the seed and `r`) and recomputes `ȳ`, `V`, every `S_g` and
//! `ST_g` on those rows. A row carries all its `G + 2` outputs, so the estimators keep their
//! correlations. The reported estimate is the full-sample value; its standard error is the
//! standard deviation (denominator `R − 1`) of the replicates, and its 95 % interval the 2.5 %
//! and 97.5 % quantiles of the replicates (linear interpolation between order statistics,
//! Hyndman & Fan type 7). Replicates in which the output does not vary are dropped. The
//! bootstrap treats rows as independent, which scrambled Sobol rows are not: for smooth models
//! the true error of the Sobol design is smaller, so its intervals are conservative.
//!
//! References: A. Saltelli et al. (2010), *Variance based sensitivity analysis of model output.
//! Design and estimator for the total sensitivity index*, Comput. Phys. Commun. 181, 259–270;
//! M. J. W. Jansen (1999), *Analysis of variance designs for model output*, Comput. Phys. Commun.
//! 117, 35–43; B. Burley (2020), *Practical hash-based Owen scrambling*, JCGT 9(4).

use super::{
    Index, SensitivityError, mean_and_sd, quantile_of_sorted, stream_seed, validate_groups,
    variance_is_negligible,
};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::Serialize;

/// Fewest base rows accepted: below this the variance and the bootstrap mean nothing.
const MIN_SAMPLES: usize = 8;
/// Fewest bootstrap replicates accepted: a standard deviation needs two.
const MIN_REPLICATES: usize = 2;
/// The most rows `sobol_burley` can index.
const SOBOL_MAX_ROWS: usize = 1 << 16;
/// Random-stream tags, so the scramble, the pseudo-random rows and the bootstrap never share.
const SCRAMBLE_STREAM: u64 = 0x50B0_0001;
const ROWS_STREAM: u64 = 0x50B0_0002;
const BOOTSTRAP_STREAM: u64 = 0x50B0_0003;

/// Which points made A and B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplingDesign {
    /// Owen-scrambled Sobol sequence (`sobol_burley`): used when `2·dimensions ≤ 256` and
    /// `samples ≤ 65 536`.
    ScrambledSobol,
    /// Xoshiro256++ pseudo-random points: used beyond the Sobol limits.
    PseudoRandom,
}

impl SamplingDesign {
    fn for_problem(dimensions: usize, samples: usize) -> Self {
        let sobol_dimensions = sobol_burley::NUM_DIMENSIONS as usize;
        if dimensions.saturating_mul(2) <= sobol_dimensions && samples <= SOBOL_MAX_ROWS {
            SamplingDesign::ScrambledSobol
        } else {
            SamplingDesign::PseudoRandom
        }
    }
}

/// First-order and total Sobol indices, one per group, in the order of the groups given.
#[derive(Debug, Clone, Serialize)]
pub struct SobolIndices {
    /// `S_g`: the share of the output variance explained by group `g` alone.
    pub first_order: Vec<Index>,
    /// `ST_g`: the share involving group `g` at all, alone or in interaction.
    pub total: Vec<Index>,
    /// Output variance `V` (pooled A and B outputs).
    pub variance: f64,
    /// Output mean (pooled A and B outputs).
    pub mean: f64,
    /// Model evaluations spent: `samples · (groups + 2)`.
    pub evaluations: usize,
    /// Base rows `N`.
    pub samples: usize,
    /// The points used for A and B.
    pub design: SamplingDesign,
}

/// Sobol indices of `model` by the Saltelli design and estimators described in the module docs.
///
/// `model` maps a point of the unit hypercube `(0, 1)^dimensions` to the output (every
/// coordinate lies strictly inside the interval). `groups[g]` lists the coordinates of input
/// `g` (an input may span several coordinates, e.g. a risk factor = its normal and its severity);
/// the indices are per group. `samples` = N base rows; the cost is `N·(groups + 2)` evaluations.
/// `bootstrap` replicates give each index its standard error and 95 % percentile interval.
pub fn sobol_indices<F: Fn(&[f64]) -> f64 + Sync>(
    model: F,
    dimensions: usize,
    groups: &[(String, Vec<usize>)],
    samples: usize,
    seed: u64,
    bootstrap: usize,
) -> Result<SobolIndices, SensitivityError> {
    let width = dimensions.max(1);
    let model = |_: &mut (), points: &[f64], outputs: &mut [f64]| {
        for (point, output) in points.chunks(width).zip(outputs) {
            *output = model(point);
        }
    };
    let design = Design {
        dimensions,
        groups,
        samples,
        seed,
        bootstrap,
    };
    sobol_indices_with(|| (), model, &design, &crate::engine::NoObserver)
}

/// The problem of [`sobol_indices_with`].
pub struct Design<'a> {
    pub dimensions: usize,
    pub groups: &'a [(String, Vec<usize>)],
    /// Base rows `N`.
    pub samples: usize,
    pub seed: u64,
    pub bootstrap: usize,
}

/// [`sobol_indices`] for a model that needs scratch space (`init` makes one per task, reused for
/// every row of the task: the results do not depend on it) and evaluates points together:
/// `model(state, points, outputs)` writes the output of each point of `points` (one after
/// another, `dimensions` coordinates each) to `outputs`, a row's `groups + 2` points at a time.
/// Told to `observer` one row at a time, which may stop the work
/// ([`SensitivityError::Interrupted`]).
pub fn sobol_indices_with<S, I, F>(
    init: I,
    model: F,
    design: &Design,
    observer: &dyn crate::engine::Observer,
) -> Result<SobolIndices, SensitivityError>
where
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &[f64], &mut [f64]) + Sync,
{
    let Design {
        dimensions,
        groups,
        samples,
        seed,
        bootstrap,
    } = *design;
    validate_groups(dimensions, groups)?;
    if samples < MIN_SAMPLES {
        return Err(SensitivityError::TooFew {
            what: "samples (base rows)",
            given: samples,
            minimum: MIN_SAMPLES,
        });
    }
    if bootstrap < MIN_REPLICATES {
        return Err(SensitivityError::TooFew {
            what: "bootstrap replicates",
            given: bootstrap,
            minimum: MIN_REPLICATES,
        });
    }
    let evaluations =
        samples
            .checked_mul(groups.len() + 2)
            .ok_or_else(|| SensitivityError::TooLarge {
                what: format!("{samples} samples × ({} groups + 2)", groups.len()),
            })?;
    let design = SamplingDesign::for_problem(dimensions, samples);
    let outputs = evaluate_design(
        &init, &model, dimensions, groups, samples, seed, design, observer,
    )?;

    let all_rows: Vec<usize> = (0..samples).collect();
    let full = outputs.estimate(&all_rows);
    if variance_is_negligible(full.variance, full.mean) {
        return Err(SensitivityError::ZeroVariance {
            variance: full.variance,
            mean: full.mean,
        });
    }

    let bootstrap_seed = stream_seed(seed, BOOTSTRAP_STREAM);
    let replicates: Vec<Estimates> = (0..bootstrap)
        .into_par_iter()
        .map(|replicate| {
            let mut rng =
                Xoshiro256PlusPlus::seed_from_u64(stream_seed(bootstrap_seed, replicate as u64));
            let rows: Vec<usize> = (0..samples).map(|_| rng.random_range(0..samples)).collect();
            outputs.estimate(&rows)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .filter(|replicate| !variance_is_negligible(replicate.variance, replicate.mean))
        .collect();
    if replicates.len() < MIN_REPLICATES {
        return Err(SensitivityError::TooFew {
            what: "bootstrap replicates in which the output varies",
            given: replicates.len(),
            minimum: MIN_REPLICATES,
        });
    }

    let summarise = |pick: &dyn Fn(&Estimates) -> f64, name: &str| -> Index {
        let mut values: Vec<f64> = replicates.iter().map(pick).collect();
        let (_, standard_error) = mean_and_sd(&values);
        values.sort_by(f64::total_cmp);
        Index {
            name: name.to_string(),
            estimate: pick(&full),
            low: quantile_of_sorted(&values, 0.025),
            high: quantile_of_sorted(&values, 0.975),
            standard_error,
        }
    };
    let first_order = groups
        .iter()
        .enumerate()
        .map(|(g, (name, _))| summarise(&|e: &Estimates| e.first_order[g], name))
        .collect();
    let total = groups
        .iter()
        .enumerate()
        .map(|(g, (name, _))| summarise(&|e: &Estimates| e.total[g], name))
        .collect();
    Ok(SobolIndices {
        first_order,
        total,
        variance: full.variance,
        mean: full.mean,
        evaluations,
        samples,
        design,
    })
}

/// The model outputs of the design, row-major: row `j` holds `f(A_j), f(B_j), f(AB_0,j), …`.
struct DesignOutputs {
    groups: usize,
    values: Vec<f64>,
}

/// The estimators on one set of rows (all rows, or a bootstrap resample).
struct Estimates {
    mean: f64,
    variance: f64,
    first_order: Vec<f64>,
    total: Vec<f64>,
}

impl DesignOutputs {
    fn width(&self) -> usize {
        self.groups + 2
    }

    /// `ȳ`, `V`, `S_g` and `ST_g` over `rows` (repeats allowed). The ratios are meaningless when
    /// `V` is negligible; the caller checks that.
    fn estimate(&self, rows: &[usize]) -> Estimates {
        let width = self.width();
        let row = |j: usize| &self.values[j * width..(j + 1) * width];
        let count = rows.len() as f64;

        let mean = rows.iter().map(|&j| row(j)[0] + row(j)[1]).sum::<f64>() / (2.0 * count);
        let squares: f64 = rows
            .iter()
            .map(|&j| {
                let (a, b) = (row(j)[0] - mean, row(j)[1] - mean);
                a * a + b * b
            })
            .sum();
        let variance = squares / (2.0 * count - 1.0);

        let mut first_sums = vec![0.0; self.groups];
        let mut total_sums = vec![0.0; self.groups];
        for &j in rows {
            let values = row(j);
            let (y_a, centred_b) = (values[0], values[1] - mean);
            for (g, &y_mixed) in values[2..].iter().enumerate() {
                first_sums[g] += centred_b * (y_mixed - y_a);
                total_sums[g] += (y_a - y_mixed) * (y_a - y_mixed);
            }
        }
        Estimates {
            mean,
            variance,
            first_order: first_sums.iter().map(|s| s / count / variance).collect(),
            total: total_sums
                .iter()
                .map(|s| s / (2.0 * count) / variance)
                .collect(),
        }
    }
}

/// Evaluates the model at every row of A, B and each AB_g, rows in parallel. Each row's points
/// depend only on the seed and the row number, so the outputs do not depend on the threads.
#[allow(clippy::too_many_arguments)]
fn evaluate_design<S, I, F>(
    init: &I,
    model: &F,
    dimensions: usize,
    groups: &[(String, Vec<usize>)],
    samples: usize,
    seed: u64,
    design: SamplingDesign,
    observer: &dyn crate::engine::Observer,
) -> Result<DesignOutputs, SensitivityError>
where
    I: Fn() -> S + Sync,
    F: Fn(&mut S, &[f64], &mut [f64]) + Sync,
{
    let width = groups.len() + 2;
    let mut values = vec![0.0; samples * width];
    let scramble = (stream_seed(seed, SCRAMBLE_STREAM) >> 32) as u32;
    let rows_seed = stream_seed(seed, ROWS_STREAM);
    let failures: Vec<Result<(), SensitivityError>> = values
        .par_chunks_mut(width)
        .enumerate()
        .map_init(init, |state, (row, out)| {
            if observer.should_stop() {
                return Err(SensitivityError::Interrupted);
            }
            let mut a = vec![0.0; dimensions];
            let mut b = vec![0.0; dimensions];
            match design {
                SamplingDesign::ScrambledSobol => sobol_row(row, scramble, &mut a, &mut b),
                SamplingDesign::PseudoRandom => {
                    pseudo_random_row(stream_seed(rows_seed, row as u64), &mut a, &mut b)
                }
            }
            // The row's points, A, B and A with each group's coordinates from B, evaluated
            // together.
            let mut points = Vec::with_capacity(width * dimensions);
            points.extend_from_slice(&a);
            points.extend_from_slice(&b);
            let mut mixed = a.clone();
            for (_, coordinates) in groups {
                for &c in coordinates {
                    mixed[c] = b[c];
                }
                points.extend_from_slice(&mixed);
                for &c in coordinates {
                    mixed[c] = a[c];
                }
            }
            model(state, &points, out);
            if let Some(bad) = out.iter().position(|y| !y.is_finite()) {
                return Err(SensitivityError::NonFiniteOutput {
                    value: out[bad],
                    point: points[bad * dimensions..(bad + 1) * dimensions].to_vec(),
                });
            }
            observer.advance(width as u64);
            Ok(())
        })
        .collect();
    // The first failing row in row order, whichever thread met it first.
    failures.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(DesignOutputs {
        groups: groups.len(),
        values,
    })
}

/// Row `row` of A and B from one `2d`-dimensional scrambled Sobol point.
fn sobol_row(row: usize, scramble: u32, a: &mut [f64], b: &mut [f64]) {
    // Half of sobol_burley's step 2^-23: moves each value to the centre of its cell, inside (0, 1).
    const HALF_STEP: f64 = 1.0 / (1u64 << 24) as f64;
    let dimensions = a.len();
    let index = row as u32; // row < 2^16: checked by SamplingDesign::for_problem
    for c in 0..dimensions {
        a[c] = f64::from(sobol_burley::sample(index, c as u32, scramble)) + HALF_STEP;
        b[c] = f64::from(sobol_burley::sample(
            index,
            (dimensions + c) as u32,
            scramble,
        )) + HALF_STEP;
    }
}

/// Row of A and B from the row's own pseudo-random stream, every value inside (0, 1).
fn pseudo_random_row(row_seed: u64, a: &mut [f64], b: &mut [f64]) {
    const STEP: f64 = 1.0 / (1u64 << 53) as f64;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(row_seed);
    for value in a.iter_mut().chain(b.iter_mut()) {
        *value = ((rng.random::<u64>() >> 11) as f64 + 0.5) * STEP;
    }
}
