use super::*;
use crate::analysis::regression::{self, rubin};

/// How x₁ goes missing (10 % overall).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mechanism {
    /// Completely at random.
    Mcar,
    /// At random given the observed outcome: the rows with the top 20 % of y lose x₁ half the
    /// time. Complete cases are biased.
    GivenOutcome,
    /// At random given the observed covariate x₂: the rows with the top 20 % of x₂ lose x₁
    /// half the time. Complete cases stay unbiased (the selection is on a regressor).
    GivenCovariate,
}

/// y = 1 + 0.5·x₁ + 0.3·x₂ + ε with x₁, x₂ correlated (ρ ≈ 0.5) and sd(ε) = 1; x₁ missing by
/// `mechanism`.
fn data(rows: usize, seed: u64, mechanism: Mechanism) -> Vec<Vec<Option<f64>>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut columns: Vec<Vec<Option<f64>>> = vec![Vec::new(); 3];
    for _ in 0..rows {
        let x1: f64 = rng.sample(StandardNormal);
        let x2 = 0.5 * x1 + 0.75f64.sqrt() * rng.sample::<f64, _>(StandardNormal);
        let y = 1.0 + 0.5 * x1 + 0.3 * x2 + rng.sample::<f64, _>(StandardNormal);
        columns[0].push(Some(y));
        columns[1].push(Some(x1));
        columns[2].push(Some(x2));
    }
    let driver: Vec<f64> = match mechanism {
        Mechanism::GivenCovariate => columns[2].iter().flatten().copied().collect(),
        _ => columns[0].iter().flatten().copied().collect(),
    };
    let mut sorted = driver.clone();
    sorted.sort_by(f64::total_cmp);
    let cut = sorted[rows * 4 / 5];
    for (r, value) in driver.iter().enumerate() {
        let drop = match mechanism {
            Mechanism::Mcar => rng.random_bool(0.1),
            _ => *value >= cut && rng.random_bool(0.5),
        };
        if drop {
            columns[1][r] = None;
        }
    }
    columns
}

/// The regression of y on (x₁, x₂) over each completed data set, pooled by Rubin's rules.
fn pooled_fit(columns: &[Vec<Option<f64>>], seed: u64) -> rubin::Pooled {
    let settings = ImputationSettings {
        imputations: 10,
        iterations: 5,
        donors: 5,
        seed,
    };
    let names = vec!["x1".to_string(), "x2".to_string()];
    let (estimates, covariances): (Vec<_>, Vec<_>) = impute(columns, &settings)
        .into_iter()
        .map(|completed| {
            let rows = completed[0].len();
            let x = DMatrix::from_fn(rows, 2, |r, c| completed[c + 1][r]);
            let fit = regression::linear(&x, &completed[0], &names).unwrap();
            let estimate = DVector::from_iterator(3, fit.coefficients.iter().map(|c| c.estimate));
            (estimate, fit.covariance)
        })
        .unzip();
    rubin::pool(&estimates, &covariances, (columns[0].len() - 3) as f64)
}

/// Over repeated data sets, the pooled 95 % intervals of the two slopes cover the truth at 0.95
/// within 3.5 binomial SEs, with x₁ missing completely at random, at random given the outcome y,
/// and at random given the covariate x₂; under missingness given the outcome the complete-case
/// slope of x₁ is biased, which is what imputation is for; given the covariate it is not.
#[test]
fn pooled_intervals_cover_at_the_nominal_rate_under_mcar_and_mar() {
    let repetitions = 300;
    for mechanism in [
        Mechanism::Mcar,
        Mechanism::GivenOutcome,
        Mechanism::GivenCovariate,
    ] {
        let mut covered = [0usize; 2];
        let mut complete_case_error = 0.0;
        for seed in 0..repetitions {
            let columns = data(300, 100 + seed, mechanism);
            let pooled = pooled_fit(&columns, seed);
            for (j, truth) in [(1, 0.5), (2, 0.3)] {
                let half = pooled.t_quantile(j) * pooled.covariance[(j, j)].sqrt();
                covered[j - 1] += usize::from((pooled.estimate[j] - truth).abs() <= half);
            }
            // Complete cases, for comparison.
            let rows: Vec<usize> = (0..300).filter(|&r| columns[1][r].is_some()).collect();
            let x = DMatrix::from_fn(rows.len(), 2, |i, c| columns[c + 1][rows[i]].unwrap());
            let y: Vec<f64> = rows.iter().map(|&r| columns[0][r].unwrap()).collect();
            let names = vec!["x1".to_string(), "x2".to_string()];
            let fit = regression::linear(&x, &y, &names).unwrap();
            complete_case_error += (fit.coefficients[1].estimate - 0.5) / repetitions as f64;
        }
        let se = (0.95 * 0.05 / repetitions as f64).sqrt();
        for count in covered {
            let rate = count as f64 / repetitions as f64;
            assert!(
                (rate - 0.95).abs() <= 3.5 * se,
                "{mechanism:?}: coverage {rate}"
            );
        }
        // The complete-case slope's SE is about 0.07 here; its mean error over the data sets
        // is measured to about 0.07/√300 = 0.004.
        if mechanism == Mechanism::GivenOutcome {
            assert!(complete_case_error < -0.02, "{complete_case_error}");
        } else {
            assert!(complete_case_error.abs() < 0.02, "{complete_case_error}");
        }
    }
}

#[test]
fn imputed_values_are_observed_values_and_observed_ones_stay() {
    let columns = vec![
        vec![
            Some(0.0),
            Some(0.5),
            None,
            Some(1.0),
            Some(0.0),
            None,
            Some(0.25),
            Some(0.0),
        ],
        vec![
            Some(1.0),
            None,
            Some(2.0),
            Some(0.0),
            Some(1.0),
            Some(2.0),
            None,
            Some(1.0),
        ],
        vec![
            Some(0.3),
            Some(0.1),
            Some(0.7),
            Some(0.9),
            Some(0.2),
            Some(0.4),
            Some(0.6),
            Some(0.8),
        ],
    ];
    let settings = ImputationSettings {
        imputations: 4,
        iterations: 3,
        donors: 2,
        seed: 7,
    };
    let completed = impute(&columns, &settings);
    assert_eq!(completed.len(), 4);
    for data in &completed {
        for (column, values) in columns.iter().zip(data) {
            let seen: Vec<f64> = column.iter().flatten().copied().collect();
            for (original, value) in column.iter().zip(values) {
                match original {
                    Some(v) => assert_eq!(v, value),
                    None => assert!(seen.contains(value), "{value} not observed"),
                }
            }
        }
    }
    // The same seed, the same imputations, whatever the threads did.
    assert_eq!(completed, impute(&columns, &settings));
}
