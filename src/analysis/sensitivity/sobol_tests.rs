//! Tests of the Sobol estimators against closed-form indices: the Ishigami function, a
//! two-coordinate group with an interaction, an additive linear model, the pseudo-random
//! fallback design, determinism across thread counts, and every user error.

use super::sobol::{SamplingDesign, sobol_indices};
use super::{Index, SensitivityError};
use std::f64::consts::PI;

fn group(name: &str, coordinates: &[usize]) -> (String, Vec<usize>) {
    (name.to_string(), coordinates.to_vec())
}

fn singletons(dimensions: usize) -> Vec<(String, Vec<usize>)> {
    (0..dimensions)
        .map(|c| group(&format!("x{c}"), &[c]))
        .collect()
}

/// The estimate lies within 4 bootstrap SEs of the truth.
fn assert_within_4_se(index: &Index, truth: f64) {
    let error = (index.estimate - truth).abs();
    assert!(
        error <= 4.0 * index.standard_error,
        "{}: estimate {:.4} vs truth {truth:.4}: error {error:.4} exceeds 4 SE (SE {:.4})",
        index.name,
        index.estimate,
        index.standard_error
    );
    assert!(index.standard_error > 0.0 && index.standard_error < 0.05);
}

/// Within 4 SEs, and the 95 % interval covers the truth. Only for the scrambled Sobol design:
/// the row bootstrap overstates its error, so the intervals are conservative; a pseudo-random
/// design's intervals miss 1 time in 20, as they should.
fn assert_matches(index: &Index, truth: f64) {
    assert_within_4_se(index, truth);
    assert!(
        index.low <= truth && truth <= index.high,
        "{}: 95 % interval [{:.4}, {:.4}] misses the truth {truth:.4}",
        index.name,
        index.low,
        index.high
    );
}

const ISHIGAMI_A: f64 = 7.0;
const ISHIGAMI_B: f64 = 0.1;

fn ishigami(u: &[f64]) -> f64 {
    let x: Vec<f64> = u.iter().map(|u| -PI + 2.0 * PI * u).collect();
    x[0].sin() + ISHIGAMI_A * x[1].sin().powi(2) + ISHIGAMI_B * x[2].powi(4) * x[0].sin()
}

/// Analytic (first-order, total) indices of the Ishigami function with inputs on [−π, π].
fn ishigami_truth() -> ([f64; 3], [f64; 3]) {
    let (a, b) = (ISHIGAMI_A, ISHIGAMI_B);
    let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let v13 = 8.0 * b * b * PI.powi(8) / 225.0;
    let variance = v1 + v2 + v13;
    (
        [v1 / variance, v2 / variance, 0.0],
        [(v1 + v13) / variance, v2 / variance, v13 / variance],
    )
}

#[test]
fn ishigami_matches_its_analytic_indices() {
    let (first, total) = ishigami_truth();
    // The closed form reproduces the published values.
    for (computed, published) in first
        .iter()
        .chain(&total)
        .zip([0.3139, 0.4424, 0.0, 0.5576, 0.4424, 0.2437])
    {
        assert!((computed - published).abs() < 1e-4);
    }
    let result = sobol_indices(ishigami, 3, &singletons(3), 8192, 2024, 400).unwrap();
    assert_eq!(result.design, SamplingDesign::ScrambledSobol);
    assert_eq!(result.evaluations, 8192 * 5);
    assert_eq!(result.samples, 8192);
    for g in 0..3 {
        assert_matches(&result.first_order[g], first[g]);
        assert_matches(&result.total[g], total[g]);
    }
    // Var = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2, mean = a/2.
    let (a, b) = (ISHIGAMI_A, ISHIGAMI_B);
    let variance = a * a / 8.0 + b * PI.powi(4) / 5.0 + b * b * PI.powi(8) / 18.0 + 0.5;
    assert!((result.variance / variance - 1.0).abs() < 0.02);
    assert!((result.mean - a / 2.0).abs() < 0.05);
}

/// y = x0·x1 + x2, uniform on (0, 1): Var(x0 x1) = 1/9 − 1/16 = 7/144, Var(x2) = 12/144.
fn product_plus(u: &[f64]) -> f64 {
    u[0] * u[1] + u[2]
}

#[test]
fn a_two_coordinate_group_carries_its_interaction() {
    let groups = [group("pair", &[0, 1]), group("third", &[2])];
    let result = sobol_indices(product_plus, 3, &groups, 8192, 7, 400).unwrap();
    // The pair explains its whole 7/19 alone: first order = total.
    for (index, truth) in result.first_order.iter().zip([7.0 / 19.0, 12.0 / 19.0]) {
        assert_matches(index, truth);
    }
    for (index, truth) in result.total.iter().zip([7.0 / 19.0, 12.0 / 19.0]) {
        assert_matches(index, truth);
    }
    // Apart, each coordinate explains Var(x/2) = 3/144 alone and shares the interaction
    // 1/144: S = 3/19, ST = 4/19, so the group is more than its parts' first orders.
    let apart = sobol_indices(product_plus, 3, &singletons(3), 8192, 7, 400).unwrap();
    for c in 0..2 {
        assert_matches(&apart.first_order[c], 3.0 / 19.0);
        assert_matches(&apart.total[c], 4.0 / 19.0);
    }
    let parts = apart.first_order[0].estimate + apart.first_order[1].estimate;
    let gap = result.first_order[0].estimate - parts;
    let gap_se = (result.first_order[0].standard_error.powi(2)
        + apart.first_order[0].standard_error.powi(2)
        + apart.first_order[1].standard_error.powi(2))
    .sqrt();
    assert!(
        gap > 2.0 * gap_se,
        "group S {:.4} vs parts {parts:.4}",
        result.first_order[0].estimate
    );
}

#[test]
fn an_additive_linear_model_has_equal_first_and_total_indices() {
    let beta = [1.0, -2.0, 3.0, 0.5];
    let linear = |u: &[f64]| beta.iter().zip(u).map(|(b, u)| b * u).sum::<f64>();
    let result = sobol_indices(linear, 4, &singletons(4), 4096, 99, 400).unwrap();
    // Var(β_i u_i) = β_i²/12 for u uniform, so S_i = ST_i = β_i² / Σ β_j².
    let sum: f64 = beta.iter().map(|b| b * b).sum();
    for (i, b) in beta.iter().enumerate() {
        assert_matches(&result.first_order[i], b * b / sum);
        assert_matches(&result.total[i], b * b / sum);
    }
    assert!((result.variance / (sum / 12.0) - 1.0).abs() < 0.02);
}

#[test]
fn beyond_the_sobol_dimensions_the_design_is_pseudo_random() {
    // 130 coordinates need 260 Sobol dimensions (> 256): the Xoshiro design takes over.
    let dimensions = 130;
    let model = |u: &[f64]| u[0] + 2.0 * u[1] + 0.01 * u[129];
    let groups = [group("a", &[0]), group("b", &[1])];
    let result = sobol_indices(model, dimensions, &groups, 4096, 5, 300).unwrap();
    assert_eq!(result.design, SamplingDesign::PseudoRandom);
    // u[129] belongs to no group: its share 0.0001/5.0001 goes unreported.
    let sum = 1.0 + 4.0 + 1e-4;
    for (g, truth) in [1.0 / sum, 4.0 / sum].into_iter().enumerate() {
        assert_within_4_se(&result.first_order[g], truth);
        assert_within_4_se(&result.total[g], truth);
    }
}

#[test]
fn the_same_seed_gives_the_same_numbers_at_any_thread_count() {
    let run = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| sobol_indices(ishigami, 3, &singletons(3), 1024, seed, 50).unwrap())
    };
    let bits = |r: &super::SobolIndices| -> Vec<u64> {
        r.first_order
            .iter()
            .chain(&r.total)
            .flat_map(|i| [i.estimate, i.low, i.high, i.standard_error])
            .chain([r.variance, r.mean])
            .map(f64::to_bits)
            .collect()
    };
    let one = bits(&run(1, 3));
    assert_eq!(one, bits(&run(4, 3)));
    assert_ne!(
        one,
        bits(&run(4, 4)),
        "another seed must give other numbers"
    );
}

#[test]
fn user_errors_are_reported_not_panicked() {
    let linear = |u: &[f64]| u[0] + u[1];
    let two = singletons(2);
    let error = |r: Result<super::SobolIndices, SensitivityError>| r.unwrap_err();
    assert!(matches!(
        error(sobol_indices(|_: &[f64]| 3.5, 2, &two, 64, 1, 10)),
        SensitivityError::ZeroVariance { .. }
    ));
    assert!(matches!(
        error(sobol_indices(linear, 2, &two, 4, 1, 10)),
        SensitivityError::TooFew { minimum: 8, .. }
    ));
    assert!(matches!(
        error(sobol_indices(linear, 2, &two, 64, 1, 1)),
        SensitivityError::TooFew { minimum: 2, .. }
    ));
    assert!(matches!(
        error(sobol_indices(linear, 0, &two, 64, 1, 10)),
        SensitivityError::NoDimensions
    ));
    assert!(matches!(
        error(sobol_indices(linear, 2, &[], 64, 1, 10)),
        SensitivityError::NoGroups
    ));
    assert!(matches!(
        error(sobol_indices(linear, 2, &[group("none", &[])], 64, 1, 10)),
        SensitivityError::EmptyGroup { .. }
    ));
    let out_of_range = [group("a", &[0]), group("b", &[2])];
    let message = error(sobol_indices(linear, 2, &out_of_range, 64, 1, 10)).to_string();
    assert!(message.contains("`b` names coordinate 2"), "{message}");
    let shared = [group("a", &[0, 1]), group("b", &[1])];
    let message = error(sobol_indices(linear, 2, &shared, 64, 1, 10)).to_string();
    assert!(message.contains("both `a` and `b`"), "{message}");
    let repeated = [group("a", &[0, 0])];
    let message = error(sobol_indices(linear, 2, &repeated, 64, 1, 10)).to_string();
    assert_eq!(message, "input `a` lists coordinate 0 twice");
    let infinite = |u: &[f64]| if u[0] > 0.5 { f64::NAN } else { u[1] };
    assert!(matches!(
        error(sobol_indices(infinite, 2, &two, 64, 1, 10)),
        SensitivityError::NonFiniteOutput { .. }
    ));
}

#[test]
fn design_points_lie_strictly_inside_the_unit_cube() {
    // An inverse CDF at a coordinate of 0 would give −∞: no coordinate may be 0 or 1.
    for dimensions in [3, 200] {
        let model = |u: &[f64]| {
            assert!(u.iter().all(|&v| v > 0.0 && v < 1.0));
            u[0]
        };
        sobol_indices(model, dimensions, &singletons(1), 256, 11, 2).unwrap();
    }
}
