//! The nearest valid correlation matrix to one that is not positive-definite (`validate
//! --repair-correlations`): Higham's alternating projections with Dykstra's correction
//! (N. J. Higham, "Computing the nearest correlation matrix — a problem from finance", IMA
//! Journal of Numerical Analysis 22, 2002), with some entries held fixed and the eigenvalues
//! floored, then rounded to the digits a scenario file shows and checked by Cholesky.
//!
//! Hand-written rather than taken from a crate: the Rust crates found that implement the method
//! (a young quantitative-finance library with its own eigen-solver, a large linear-algebra
//! suite built on ndarray) neither hold entries fixed nor floor the eigenvalues, and would add
//! a second linear-algebra stack beside nalgebra for some forty lines of iteration.
//!
//! Pure: matrices in, matrices out; no files, no terminal.

use super::correlation::CorrelationModel;
use nalgebra::{DMatrix, SymmetricEigen};

/// Largest |ρ| a scenario accepts (the validator's range).
pub const BOUND: f64 = 0.99;

/// Decimals of a repaired ρ as written to the scenario file.
pub const DECIMALS: i32 = 4;

/// Eigenvalue floors tried in turn. The first, 1e-3, keeps the matrix strictly positive-definite
/// through the rounding to [`DECIMALS`]: each written ρ moves by at most 5e-5, which moves an
/// eigenvalue by at most 5e-5·√(2m) for m changed pairs, under 1e-3 up to 200 pairs. A larger
/// floor is tried only if the rounded matrix still fails Cholesky.
pub const FLOORS: [f64; 3] = [1e-3, 1e-2, 5e-2];

/// Iterations of one projection run before it is reported as not converged. The method
/// converges linearly; the matrices of a scenario (tens of factors) need tens to hundreds.
pub const MAX_ITERATIONS: usize = 20_000;

/// Relative change between iterates (and distance between the two projections) below which the
/// iteration stops: far below the 5e-5 of the written rounding.
pub const TOLERANCE: f64 = 1e-11;

/// Why no repair was found.
#[derive(Debug, Clone, PartialEq)]
pub enum RepairError {
    /// The iteration did not settle within [`MAX_ITERATIONS`].
    NotConverged { floor: f64, iterations: usize },
    /// Even the largest floor's rounded result failed Cholesky.
    NotPositiveDefinite { smallest_eigenvalue: f64 },
    /// A matrix that is not square, symmetric with unit diagonal, or has a non-finite entry.
    Malformed(String),
}

impl std::fmt::Display for RepairError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RepairError::NotConverged { floor, iterations } => write!(
                f,
                "the nearest-correlation iteration did not converge in {iterations} iterations (eigenvalue floor {floor})"
            ),
            RepairError::NotPositiveDefinite {
                smallest_eigenvalue,
            } => write!(
                f,
                "the repaired matrix is still not positive-definite after rounding (smallest eigenvalue {smallest_eigenvalue:.2e})"
            ),
            RepairError::Malformed(what) => write!(f, "not a correlation matrix to repair: {what}"),
        }
    }
}

/// One entry the repair changed, upper triangle (`i < j`).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub i: usize,
    pub j: usize,
    pub old: f64,
    pub new: f64,
}

/// A repaired matrix and what it took.
#[derive(Debug, Clone)]
pub struct Repaired {
    /// The matrix a validator builds from the written values: the target with each changed
    /// entry replaced by its rounded new value. Passes Cholesky.
    pub matrix: DMatrix<f64>,
    pub changes: Vec<Change>,
    /// The eigenvalue floor used (0 when nothing needed repair).
    pub floor: f64,
    /// Whether every off-diagonal entry was free, because the fixed entries alone (the
    /// catalogue's) do not leave room for the floor.
    pub freed_all: bool,
    pub iterations: usize,
    pub smallest_before: f64,
    pub smallest_after: f64,
    /// ‖matrix − target‖_F over the whole matrix (both triangles).
    pub distance: f64,
}

/// The smallest eigenvalue of a symmetric matrix.
pub fn smallest_eigenvalue(matrix: &DMatrix<f64>) -> f64 {
    SymmetricEigen::new(matrix.clone())
        .eigenvalues
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
}

fn rounded(x: f64) -> f64 {
    let scale = 10f64.powi(DECIMALS);
    // `+ 0.0` turns −0 into 0, which a file would otherwise show as `-0.0`.
    (x * scale).round() / scale + 0.0
}

/// The nearest valid correlation matrix to `target` that keeps every entry not in `free`
/// (pairs `(i, j)`, either order) at `target`'s value, written to [`DECIMALS`] decimals.
/// `reference` is a valid matrix that agrees with `target` outside `free` (the catalogue's own
/// matrix): when its smallest eigenvalue is below a floor, no matrix with those fixed entries
/// has all eigenvalues above it, and every off-diagonal entry is freed instead.
///
/// A `target` that already passes Cholesky is returned unchanged.
pub fn repair(
    target: &DMatrix<f64>,
    reference: &DMatrix<f64>,
    free: &[(usize, usize)],
) -> Result<Repaired, RepairError> {
    check_shape(target)?;
    check_shape(reference)?;
    if reference.nrows() != target.nrows() {
        return Err(RepairError::Malformed(
            "the reference and the target differ in size".into(),
        ));
    }
    let n = target.nrows();
    if let Some(&(i, j)) = free.iter().find(|&&(i, j)| i >= n || j >= n || i == j) {
        return Err(RepairError::Malformed(format!(
            "({i}, {j}) is not an off-diagonal entry"
        )));
    }
    let smallest_before = smallest_eigenvalue(target);
    if CorrelationModel::new(target.clone()).is_ok() {
        return Ok(Repaired {
            matrix: target.clone(),
            changes: Vec::new(),
            floor: 0.0,
            freed_all: false,
            iterations: 0,
            smallest_before,
            smallest_after: smallest_before,
            distance: 0.0,
        });
    }
    let reference_smallest = smallest_eigenvalue(reference);
    let all_pairs: Vec<(usize, usize)> = (0..n).flat_map(|j| (0..j).map(move |i| (i, j))).collect();
    let mut last = RepairError::NotPositiveDefinite {
        smallest_eigenvalue: smallest_before,
    };
    for floor in FLOORS {
        let freed_all = reference_smallest < floor;
        let pairs = if freed_all { &all_pairs[..] } else { free };
        let (nearest, iterations) = nearest(target, pairs, floor, BOUND)?;
        let mut matrix = target.clone();
        let mut changes = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for &(a, b) in pairs {
            let (i, j) = (a.min(b), a.max(b));
            if !seen.insert((i, j)) {
                continue;
            }
            let (old, new) = (target[(i, j)], rounded(nearest[(i, j)]));
            // An entry whose written value would not change keeps the user's exact value.
            if new != rounded(old) {
                matrix[(i, j)] = new;
                matrix[(j, i)] = new;
                changes.push(Change { i, j, old, new });
            }
        }
        match CorrelationModel::new(matrix.clone()) {
            Ok(_) => {
                return Ok(Repaired {
                    smallest_after: smallest_eigenvalue(&matrix),
                    distance: (&matrix - target).norm(),
                    matrix,
                    changes,
                    floor,
                    freed_all,
                    iterations,
                    smallest_before,
                });
            }
            Err(crate::model::correlation::CorrelationError::NotPositiveDefinite {
                smallest_eigenvalue,
            }) => {
                last = RepairError::NotPositiveDefinite {
                    smallest_eigenvalue,
                }
            }
        }
    }
    Err(last)
}

fn check_shape(matrix: &DMatrix<f64>) -> Result<(), RepairError> {
    let n = matrix.nrows();
    if matrix.ncols() != n {
        return Err(RepairError::Malformed("not square".into()));
    }
    if matrix.iter().any(|x| !x.is_finite()) {
        return Err(RepairError::Malformed("a non-finite entry".into()));
    }
    for i in 0..n {
        if matrix[(i, i)] != 1.0 {
            return Err(RepairError::Malformed(format!(
                "diagonal entry {i} is not 1"
            )));
        }
        for j in 0..i {
            if matrix[(i, j)] != matrix[(j, i)] {
                return Err(RepairError::Malformed(format!(
                    "entries ({i}, {j}) and ({j}, {i}) differ"
                )));
            }
        }
    }
    Ok(())
}

/// Projection onto the symmetric matrices with every eigenvalue ≥ `floor` (Higham 2002, §3):
/// the eigenvalues below the floor raised to it, the eigenvectors kept.
fn project_eigenvalues(matrix: DMatrix<f64>, floor: f64) -> DMatrix<f64> {
    let eigen = SymmetricEigen::new(matrix);
    let raised = eigen.eigenvalues.map(|l| l.max(floor));
    let vectors = &eigen.eigenvectors;
    let projected = vectors * DMatrix::from_diagonal(&raised) * vectors.transpose();
    // Symmetric to the last bit, so that the next decomposition sees a symmetric matrix.
    (&projected + projected.transpose()) * 0.5
}

/// Projection onto the matrices with unit diagonal, `target`'s value outside `free`, and every
/// free entry in [−bound, bound]: entry by entry, as the set is a box in those coordinates.
fn project_entries(
    matrix: &DMatrix<f64>,
    target: &DMatrix<f64>,
    free: &[(usize, usize)],
    bound: f64,
) -> DMatrix<f64> {
    let mut out = target.clone();
    for &(i, j) in free {
        let value = (0.5 * (matrix[(i, j)] + matrix[(j, i)])).clamp(-bound, bound);
        out[(i, j)] = value;
        out[(j, i)] = value;
    }
    out
}

/// The matrix nearest `target` in the Frobenius norm with unit diagonal, `target`'s entries
/// outside `free`, free entries in [−bound, bound] and eigenvalues ≥ `floor` (up to
/// [`TOLERANCE`]), with the iterations it took. Dykstra's alternating projections (Higham 2002,
/// Algorithm 3.3), with the correction kept for both sets because the bound makes the second
/// set a box rather than an affine space. The result is in the second set exactly.
///
/// The intersection must not be empty (the caller passes a reference point in it); if it is,
/// the iteration does not settle and [`RepairError::NotConverged`] says so.
pub fn nearest(
    target: &DMatrix<f64>,
    free: &[(usize, usize)],
    floor: f64,
    bound: f64,
) -> Result<(DMatrix<f64>, usize), RepairError> {
    let n = target.nrows();
    let mut y = target.clone();
    let mut x = target.clone();
    let mut correction_s = DMatrix::<f64>::zeros(n, n);
    let mut correction_u = DMatrix::<f64>::zeros(n, n);
    for iteration in 1..=MAX_ITERATIONS {
        let shifted = &y + &correction_s;
        let x_next = project_eigenvalues(shifted.clone(), floor);
        correction_s = shifted - &x_next;
        let shifted = &x_next + &correction_u;
        let y_next = project_entries(&shifted, target, free, bound);
        correction_u = shifted - &y_next;
        let scale = y_next.norm().max(1.0);
        let settled = (&y_next - &y).norm() <= TOLERANCE * scale
            && (&x_next - &x).norm() <= TOLERANCE * scale
            && (&y_next - &x_next).norm() <= TOLERANCE * scale;
        x = x_next;
        y = y_next;
        if settled {
            return Ok((y, iteration));
        }
    }
    Err(RepairError::NotConverged {
        floor,
        iterations: MAX_ITERATIONS,
    })
}

#[cfg(test)]
#[path = "correlation_repair_tests.rs"]
mod tests;
