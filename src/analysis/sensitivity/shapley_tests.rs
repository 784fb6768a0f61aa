//! Tests of the Shapley estimator against exact effects of linear Gaussian models, computed here
//! by enumerating every subset of players; plus determinism and every user error.

use super::shapley::{ShapleyEffects, shapley_effects};
use super::{Index, SensitivityError};
use nalgebra::{DMatrix, DVector};

fn group(name: &str, coordinates: &[usize]) -> (String, Vec<usize>) {
    (name.to_string(), coordinates.to_vec())
}

fn singletons(dimensions: usize) -> Vec<(String, Vec<usize>)> {
    (0..dimensions)
        .map(|c| group(&format!("x{c}"), &[c]))
        .collect()
}

fn linear(beta: &[f64]) -> impl Fn(&[f64]) -> f64 + Sync + '_ {
    move |x: &[f64]| beta.iter().zip(x).map(|(b, x)| b * x).sum()
}

/// Exact normalised Shapley effects of `Y = βᵀX`, `X ~ N(0, Σ)`, with players `groups`:
/// `c(J) = Var(Y) − Var(E[Y | X_−J])`, `Var(E[Y | X_S]) = βᵀ Σ_·S Σ_SS⁻¹ Σ_S· β`, and the
/// Shapley weights `|S|!(k − |S| − 1)!/k!` over every set `S` without the player.
fn exact_shapley(beta: &[f64], sigma: &DMatrix<f64>, groups: &[(String, Vec<usize>)]) -> Vec<f64> {
    let players = groups.len();
    let beta = DVector::from_column_slice(beta);
    let variance = (beta.transpose() * sigma * &beta)[(0, 0)];
    let coordinates = |mask: usize| -> Vec<usize> {
        let mut coordinates: Vec<usize> = (0..players)
            .filter(|p| mask & (1 << p) != 0)
            .flat_map(|p| groups[p].1.clone())
            .collect();
        coordinates.sort_unstable();
        coordinates
    };
    let explained = |mask: usize| -> f64 {
        let s = coordinates(mask);
        if s.is_empty() {
            return 0.0;
        }
        let cross = DMatrix::from_fn(sigma.nrows(), s.len(), |i, j| sigma[(i, s[j])]);
        let inner = DMatrix::from_fn(s.len(), s.len(), |i, j| sigma[(s[i], s[j])]);
        let projected = cross.transpose() * &beta;
        let solved = inner.cholesky().unwrap().solve(&projected);
        projected.dot(&solved)
    };
    let full = (1 << players) - 1;
    let cost = |mask: usize| variance - explained(full & !mask);
    let factorial = |n: usize| (1..=n).product::<usize>() as f64;
    (0..players)
        .map(|player| {
            (0..=full)
                .filter(|mask| mask & (1 << player) == 0)
                .map(|mask: usize| {
                    let size = mask.count_ones() as usize;
                    let weight =
                        factorial(size) * factorial(players - size - 1) / factorial(players);
                    weight * (cost(mask | (1 << player)) - cost(mask))
                })
                .sum::<f64>()
                / variance
        })
        .collect()
}

/// The estimate lies within 4 SEs of the truth; the effects sum to 1.
fn assert_matches(result: &ShapleyEffects, truth: &[f64]) {
    for (index, &truth) in result.effects.iter().zip(truth) {
        let Index {
            name,
            estimate,
            standard_error,
            ..
        } = index;
        assert!(
            (estimate - truth).abs() <= 4.0 * standard_error,
            "{name}: estimate {estimate:.4} vs exact {truth:.4} (SE {standard_error:.4})"
        );
        assert!(*standard_error > 0.0 && *standard_error < 0.02);
        assert!((index.high - index.low - 2.0 * 1.959_964 * standard_error).abs() < 1e-6);
    }
    let sum: f64 = result.effects.iter().map(|e| e.estimate).sum();
    assert!((sum - 1.0).abs() < 1e-12, "effects sum to {sum}");
    assert!((truth.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}

fn correlated() -> DMatrix<f64> {
    DMatrix::from_row_slice(3, 3, &[1.0, 0.5, 0.2, 0.5, 2.0, -0.4, 0.2, -0.4, 1.5])
}

#[test]
fn correlated_linear_model_matches_the_exact_effects() {
    let beta = [1.0, 2.0, -0.5];
    let sigma = correlated();
    let groups = singletons(3);
    let truth = exact_shapley(&beta, &sigma, &groups);
    let result = shapley_effects(linear(&beta), &sigma, &groups, 20_000, 1, 3, 17).unwrap();
    assert_matches(&result, &truth);
    assert_eq!(result.permutations, 20_000);
    assert_eq!(result.evaluations, 20_000 * 3 * 3);
    // βᵀΣβ = Σ β_i²Σ_ii + 2 Σ_{i<j} β_iβ_jΣ_ij = 9.375 + 2·(1 − 0.1 + 0.4) = 11.975.
    let variance = 1.0 + 4.0 * 2.0 + 0.25 * 1.5 + 2.0 * (2.0 * 0.5 - 0.5 * 0.2 + 0.4);
    assert!((result.variance / variance - 1.0).abs() < 0.03);
    // The test can fail: the correlations move the effects far from the independent shares
    // β_i²σ_i²/V, by more than 4 SEs for at least one input.
    let naive: Vec<f64> = [1.0, 8.0, 0.375].iter().map(|v| v / variance).collect();
    assert!(
        result.effects.iter().zip(&naive).any(|(effect, naive)| {
            (effect.estimate - naive).abs() > 4.0 * effect.standard_error
        })
    );
}

#[test]
fn independent_inputs_share_by_their_own_variances() {
    let beta = [1.0, 1.0, 2.0];
    let sigma = DMatrix::from_diagonal(&DVector::from_column_slice(&[1.0, 4.0, 0.25]));
    // β_i²σ_i² = 1, 4, 1: effects 1/6, 4/6, 1/6.
    let truth = [1.0 / 6.0, 4.0 / 6.0, 1.0 / 6.0];
    let exact = exact_shapley(&beta, &sigma, &singletons(3));
    for (exact, truth) in exact.iter().zip(truth) {
        assert!((exact - truth).abs() < 1e-12);
    }
    let result = shapley_effects(linear(&beta), &sigma, &singletons(3), 20_000, 1, 3, 23).unwrap();
    assert_matches(&result, &truth);
}

#[test]
fn a_group_of_two_correlated_coordinates_plays_as_one() {
    let beta = [1.0, -1.5, 2.0];
    let sigma = DMatrix::from_row_slice(3, 3, &[1.0, 0.8, 0.3, 0.8, 1.0, 0.1, 0.3, 0.1, 1.0]);
    let groups = [group("pair", &[0, 1]), group("third", &[2])];
    let truth = exact_shapley(&beta, &sigma, &groups);
    let result = shapley_effects(linear(&beta), &sigma, &groups, 10_000, 2, 3, 31).unwrap();
    assert_eq!(result.evaluations, 10_000 * 2 * 2 * 3);
    assert_matches(&result, &truth);
    // Two players: each effect is the average of the player's increment over the two orders,
    // Sh_pair = ½[(V − Var E[Y|X2]) + Var E[Y|X0,X1]], worked out here by hand.
    let b = DVector::from_column_slice(&beta);
    let variance = (b.transpose() * &sigma * &b)[(0, 0)];
    let with_third = (sigma.column(2).dot(&b)).powi(2) / sigma[(2, 2)];
    let cross = DVector::from_fn(2, |i, _| sigma.column(i).dot(&b));
    let pair_block = sigma.view((0, 0), (2, 2)).into_owned();
    let with_pair = cross.dot(&pair_block.cholesky().unwrap().solve(&cross));
    let pair = 0.5 * ((variance - with_third) + with_pair) / variance;
    assert!((truth[0] - pair).abs() < 1e-12 && (truth[1] - (1.0 - pair)).abs() < 1e-12);
    assert!((result.variance / variance - 1.0).abs() < 0.03);
}

#[test]
fn a_nonlinear_model_with_independent_inputs_matches_its_variance_decomposition() {
    // Y = X0 + X1·X2 with independent standard normals: Var = 1 + 1; the product's variance is
    // pure interaction of X1 and X2, which Shapley splits evenly: effects 1/2, 1/4, 1/4.
    let model = |x: &[f64]| x[0] + x[1] * x[2];
    let sigma = DMatrix::identity(3, 3);
    let result = shapley_effects(model, &sigma, &singletons(3), 20_000, 1, 3, 41).unwrap();
    assert_matches(&result, &[0.5, 0.25, 0.25]);
}

#[test]
fn the_same_seed_gives_the_same_numbers_at_any_thread_count() {
    let beta = [1.0, 2.0, -0.5];
    let sigma = correlated();
    let run = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let result = pool.install(|| {
            shapley_effects(linear(&beta), &sigma, &singletons(3), 500, 1, 3, seed).unwrap()
        });
        result
            .effects
            .iter()
            .flat_map(|e| [e.estimate, e.standard_error])
            .chain([result.variance])
            .map(f64::to_bits)
            .collect::<Vec<u64>>()
    };
    let one = run(1, 5);
    assert_eq!(one, run(4, 5));
    assert_ne!(one, run(4, 6), "another seed must give other numbers");
}

#[test]
fn user_errors_are_reported_not_panicked() {
    let beta = [1.0, 2.0, -0.5];
    let model = linear(&beta);
    let sigma = correlated();
    let three = singletons(3);
    let error = |r: Result<ShapleyEffects, SensitivityError>| r.unwrap_err();

    let not_square = DMatrix::zeros(3, 2);
    assert!(matches!(
        error(shapley_effects(&model, &not_square, &three, 10, 1, 3, 1)),
        SensitivityError::NotSquare {
            rows: 3,
            columns: 2
        }
    ));
    let mut asymmetric = sigma.clone();
    asymmetric[(0, 1)] = 0.6;
    assert!(matches!(
        error(shapley_effects(&model, &asymmetric, &three, 10, 1, 3, 1)),
        SensitivityError::NotSymmetric {
            row: 0,
            column: 1,
            ..
        }
    ));
    // Correlations 0.9, 0.9, −0.9 cannot hold together.
    let inconsistent =
        DMatrix::from_row_slice(3, 3, &[1.0, 0.9, 0.9, 0.9, 1.0, -0.9, 0.9, -0.9, 1.0]);
    assert!(matches!(
        error(shapley_effects(&model, &inconsistent, &three, 10, 1, 3, 1)),
        SensitivityError::NotPositiveDefinite { .. }
    ));
    let mut infinite = sigma.clone();
    infinite[(2, 2)] = f64::INFINITY;
    assert!(matches!(
        error(shapley_effects(&model, &infinite, &three, 10, 1, 3, 1)),
        SensitivityError::NonFiniteCovariance {
            row: 2,
            column: 2,
            ..
        }
    ));
    // Groups that do not fit the covariance's dimension.
    let beyond = [group("a", &[0, 1]), group("b", &[3])];
    assert!(matches!(
        error(shapley_effects(&model, &sigma, &beyond, 10, 1, 3, 1)),
        SensitivityError::CoordinateOutOfRange {
            coordinate: 3,
            dimensions: 3,
            ..
        }
    ));
    let partial = [group("a", &[0, 1])];
    let message = error(shapley_effects(&model, &sigma, &partial, 10, 1, 3, 1)).to_string();
    assert!(
        message.contains("coordinate 2 belongs to no input"),
        "{message}"
    );
    for (permutations, outer, inner) in [(1, 1, 3), (10, 0, 3), (10, 1, 1)] {
        assert!(matches!(
            error(shapley_effects(
                &model,
                &sigma,
                &three,
                permutations,
                outer,
                inner,
                1
            )),
            SensitivityError::TooFew { .. }
        ));
    }
    assert!(matches!(
        error(shapley_effects(
            |_: &[f64]| 2.0,
            &sigma,
            &three,
            10,
            1,
            3,
            1
        )),
        SensitivityError::ZeroVariance { .. }
    ));
    let blows_up = |x: &[f64]| if x[0] > 1.0 { f64::INFINITY } else { x[1] };
    assert!(matches!(
        error(shapley_effects(blows_up, &sigma, &three, 50, 1, 3, 1)),
        SensitivityError::NonFiniteOutput { .. }
    ));
}
