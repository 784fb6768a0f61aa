//! The Gaussian copula's correlation matrix: built from the catalogue's category structure
//! and the scenario's pairwise overrides, checked positive-definite, and factored once.

use nalgebra::{DMatrix, SymmetricEigen};

/// A validated correlation matrix with its lower Cholesky factor, packed row by row
/// (row `i` holds `L[i][0..=i]`) for a cache-friendly, allocation-free product in the trial loop.
#[derive(Debug, Clone)]
pub struct CorrelationModel {
    pub matrix: DMatrix<f64>,
    packed_lower: Vec<f64>,
    dimension: usize,
}

/// Why a matrix is not a valid correlation matrix.
#[derive(Debug, Clone, PartialEq)]
pub enum CorrelationError {
    /// Not positive-definite; carries the smallest eigenvalue.
    NotPositiveDefinite { smallest_eigenvalue: f64 },
}

impl CorrelationModel {
    /// Factor a symmetric matrix with unit diagonal (nalgebra's Cholesky).
    pub fn new(matrix: DMatrix<f64>) -> Result<Self, CorrelationError> {
        let dimension = matrix.nrows();
        let Some(cholesky) = matrix.clone().cholesky() else {
            let smallest_eigenvalue = SymmetricEigen::new(matrix)
                .eigenvalues
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            return Err(CorrelationError::NotPositiveDefinite {
                smallest_eigenvalue,
            });
        };
        let lower = cholesky.l();
        let mut packed_lower = Vec::with_capacity(dimension * (dimension + 1) / 2);
        for row in 0..dimension {
            for col in 0..=row {
                packed_lower.push(lower[(row, col)]);
            }
        }
        Ok(CorrelationModel {
            matrix,
            packed_lower,
            dimension,
        })
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Row `row` of the lower Cholesky factor, `L[row][0..=row]`.
    #[inline]
    pub fn lower_row(&self, row: usize) -> &[f64] {
        let offset = row * (row + 1) / 2;
        &self.packed_lower[offset..offset + row + 1]
    }

    /// `z = L·e`: correlated standard normals from independent ones.
    #[inline]
    pub fn correlate(&self, independent: &[f64], correlated: &mut [f64]) {
        let mut offset = 0;
        for (row, out) in correlated.iter_mut().enumerate().take(self.dimension) {
            let coefficients = &self.packed_lower[offset..offset + row + 1];
            *out = coefficients
                .iter()
                .zip(&independent[..row + 1])
                .map(|(l, e)| l * e)
                .sum();
            offset += row + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_product_reproduces_the_matrix() {
        let m = DMatrix::from_row_slice(3, 3, &[1.0, 0.5, 0.2, 0.5, 1.0, 0.3, 0.2, 0.3, 1.0]);
        let model = CorrelationModel::new(m.clone()).unwrap();
        // Columns of L are L·e_k; L·Lᵀ must give back the matrix.
        let mut l = DMatrix::zeros(3, 3);
        for k in 0..3 {
            let mut e = [0.0; 3];
            e[k] = 1.0;
            let mut z = [0.0; 3];
            model.correlate(&e, &mut z);
            for r in 0..3 {
                l[(r, k)] = z[r];
            }
        }
        assert!((&l * l.transpose() - m).abs().max() < 1e-12);
    }

    #[test]
    fn rejects_a_matrix_that_is_not_positive_definite() {
        let m = DMatrix::from_row_slice(3, 3, &[1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0]);
        match CorrelationModel::new(m) {
            Err(CorrelationError::NotPositiveDefinite {
                smallest_eigenvalue,
            }) => {
                assert!(smallest_eigenvalue < 0.0)
            }
            Ok(_) => panic!("accepted a matrix with a negative eigenvalue"),
        }
    }
}
