//! Rubin's rules: one set of estimates from the analyses of M multiply imputed data sets
//! (Rubin, "Multiple Imputation for Nonresponse in Surveys", 1987), with the small-sample
//! degrees of freedom of Barnard and Rubin ("Small-sample degrees of freedom with multiple
//! imputation", Biometrika, 1999) and the fraction of missing information as `mice` reports it
//! (van Buuren, "Flexible Imputation of Missing Data", 2nd ed., 2018, §2.3).
//!
//! Per coefficient: Q̄ = mean of the M estimates, W = mean of their variances, B = variance of
//! the estimates across imputations, T = W + (1 + 1/M)·B; λ = (1 + 1/M)·B / T;
//! ν_old = (M − 1)/λ²; ν_obs = (ν_com + 1)/(ν_com + 3)·ν_com·(1 − λ); ν = ν_old·ν_obs/(ν_old +
//! ν_obs) (ν_old alone when the complete-data degrees of freedom ν_com are unbounded); the
//! fraction of missing information γ = (ν + 1)/(ν + 3)·λ + 2/(ν + 3); the interval Q̄ ± t_ν·√T.

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The pooled result.
#[derive(Debug, Clone)]
pub struct Pooled {
    /// Q̄.
    pub estimate: DVector<f64>,
    /// T = W̄ + (1 + 1/M)·B, the whole matrix (W̄ the mean covariance, B the covariance of the
    /// estimates across imputations).
    pub covariance: DMatrix<f64>,
    /// ν per coefficient (+∞ when nothing varies across imputations and ν_com is unbounded).
    pub degrees_of_freedom: Vec<f64>,
    /// γ per coefficient.
    pub fraction_missing_information: Vec<f64>,
}

impl Pooled {
    /// The 97.5 % quantile of Student's t with coefficient `j`'s degrees of freedom.
    pub fn t_quantile(&self, j: usize) -> f64 {
        t_975(self.degrees_of_freedom[j])
    }
}

/// Student's t 0.975 quantile, the normal one beyond 10⁶ degrees of freedom.
pub fn t_975(degrees_of_freedom: f64) -> f64 {
    if degrees_of_freedom.is_nan() || degrees_of_freedom >= 1e6 {
        return super::Z95;
    }
    StudentsT::new(0.0, 1.0, degrees_of_freedom.max(1e-3))
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(f64::NAN)
}

/// Pools `estimates[m]` with covariances `covariances[m]` (all the same size, M ≥ 2);
/// `complete_df` is the complete-data degrees of freedom (`f64::INFINITY` for large-sample
/// likelihood fits).
///
/// Panics if the lists are empty or their sizes differ (a programming error).
pub fn pool(estimates: &[DVector<f64>], covariances: &[DMatrix<f64>], complete_df: f64) -> Pooled {
    let m = estimates.len();
    assert!(
        m >= 2 && covariances.len() == m,
        "M ≥ 2 analyses, one covariance each"
    );
    let size = estimates[0].len();
    let mf = m as f64;
    let mean = estimates
        .iter()
        .fold(DVector::zeros(size), |sum, e| sum + e)
        / mf;
    let within = covariances
        .iter()
        .fold(DMatrix::zeros(size, size), |sum, c| sum + c)
        / mf;
    let between = estimates.iter().fold(DMatrix::zeros(size, size), |sum, e| {
        let d = e - &mean;
        sum + &d * d.transpose()
    }) / (mf - 1.0);
    let inflation = 1.0 + 1.0 / mf;
    let covariance = &within + &between * inflation;
    let mut degrees_of_freedom = Vec::with_capacity(size);
    let mut fraction = Vec::with_capacity(size);
    for j in 0..size {
        let total = covariance[(j, j)];
        let lambda = if total > 0.0 {
            (inflation * between[(j, j)] / total).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let old = if lambda > 0.0 {
            (mf - 1.0) / (lambda * lambda)
        } else {
            f64::INFINITY
        };
        let nu = if complete_df.is_finite() {
            let observed = (complete_df + 1.0) / (complete_df + 3.0) * complete_df * (1.0 - lambda);
            if old.is_finite() {
                old * observed / (old + observed)
            } else {
                observed
            }
        } else {
            old
        };
        degrees_of_freedom.push(nu);
        fraction.push(if nu.is_finite() {
            (nu + 1.0) / (nu + 3.0) * lambda + 2.0 / (nu + 3.0)
        } else {
            lambda
        });
    }
    Pooled {
        estimate: mean,
        covariance,
        degrees_of_freedom,
        fraction_missing_information: fraction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand computation: three analyses of one coefficient, estimates 1, 2, 3 with variances
    /// 0.5, 0.6, 0.7: Q̄ = 2, W = 0.6, B = 1, T = 0.6 + 4/3 = 1.9333…, λ = (4/3)/T = 0.68966,
    /// ν_old = 2/λ² = 4.2050, with ν_com = 20: ν_obs = 21/23·20·(1 − λ) = 5.6657, ν = 2.4137;
    /// γ = (ν + 1)/(ν + 3)·λ + 2/(ν + 3) = 0.80437.
    #[test]
    fn one_coefficient_matches_the_hand_computation() {
        let estimates: Vec<DVector<f64>> = [1.0, 2.0, 3.0]
            .iter()
            .map(|&e| DVector::from_element(1, e))
            .collect();
        let covariances: Vec<DMatrix<f64>> = [0.5, 0.6, 0.7]
            .iter()
            .map(|&v| DMatrix::from_element(1, 1, v))
            .collect();
        let pooled = pool(&estimates, &covariances, 20.0);
        let total = 0.6 + 4.0 / 3.0;
        assert!((pooled.estimate[0] - 2.0).abs() < 1e-15);
        assert!((pooled.covariance[(0, 0)] - total).abs() < 1e-15);
        let lambda: f64 = (4.0 / 3.0) / total;
        let old = 2.0 / lambda.powi(2);
        let observed = 21.0 / 23.0 * 20.0 * (1.0 - lambda);
        let nu = old * observed / (old + observed);
        assert!((pooled.degrees_of_freedom[0] - nu).abs() < 1e-12);
        assert!((nu - 2.4137).abs() < 1e-3, "{nu}");
        let gamma = (nu + 1.0) / (nu + 3.0) * lambda + 2.0 / (nu + 3.0);
        assert!((pooled.fraction_missing_information[0] - gamma).abs() < 1e-12);
        assert!((gamma - 0.80437).abs() < 1e-4, "{gamma}");
        // Unbounded complete-data df: ν = ν_old.
        let large = pool(&estimates, &covariances, f64::INFINITY);
        assert!((large.degrees_of_freedom[0] - old).abs() < 1e-12);
    }

    /// Identical analyses (nothing missing): T = W, no missing information, and the interval's
    /// t quantile is the complete-data one.
    #[test]
    fn identical_analyses_give_the_complete_data_answer() {
        let estimate = DVector::from_vec(vec![0.3, -1.0]);
        let covariance = DMatrix::from_row_slice(2, 2, &[0.04, 0.01, 0.01, 0.09]);
        let pooled = pool(
            &vec![estimate.clone(); 5],
            &vec![covariance.clone(); 5],
            30.0,
        );
        assert_eq!(pooled.estimate, estimate);
        assert!((&pooled.covariance - &covariance).amax() < 1e-15);
        for j in 0..2 {
            assert!((pooled.degrees_of_freedom[j] - 31.0 / 33.0 * 30.0).abs() < 1e-12);
            assert!(pooled.fraction_missing_information[j] < 0.07);
        }
        assert_eq!(t_975(f64::INFINITY), super::super::Z95);
        assert!((t_975(10.0) - 2.228_138_851_986_5).abs() < 1e-9);
    }
}
