use super::*;
use proptest::prelude::*;

fn symmetric(n: usize, upper: &[((usize, usize), f64)]) -> DMatrix<f64> {
    let mut m = DMatrix::identity(n, n);
    for &((i, j), v) in upper {
        m[(i, j)] = v;
        m[(j, i)] = v;
    }
    m
}

fn all_pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n).flat_map(|j| (0..j).map(move |i| (i, j))).collect()
}

/// Written to four decimals: 1e4·x is an integer up to the error of one division.
fn is_written_value(x: f64) -> bool {
    ((x * 1e4).round() - x * 1e4).abs() < 1e-6
}

/// Higham (2002), §4: A = [[1, 1, 0], [1, 1, 1], [0, 1, 1]], whose nearest correlation matrix
/// the paper gives as off-diagonals 0.7607, 0.1573, 0.7607. Derived exactly: the problem is
/// invariant under reversing the order, so the answer is [[1, a, b], [a, 1, a], [b, a, 1]];
/// it lies on the boundary of the cone, det of the symmetric block 1 + b − 2a² = 0, and
/// minimising 4(1 − a)² + 2b² along it gives 4a³ − a − 1 = 0, b = 2a² − 1.
#[test]
fn higham_three_by_three_example() {
    let a_matrix = DMatrix::from_row_slice(3, 3, &[1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
    let (x, iterations) = nearest(&a_matrix, &all_pairs(3), 0.0, 1.0).unwrap();
    // The real root of 4a³ − a − 1 by Newton's method from 1 (the cubic is convex there).
    let mut a = 1.0_f64;
    for _ in 0..50 {
        a -= (4.0 * a.powi(3) - a - 1.0) / (12.0 * a * a - 1.0);
    }
    let b = 2.0 * a * a - 1.0;
    // The paper's four decimals.
    assert_eq!((rounded(a), rounded(b)), (0.7607, 0.1573));
    // The iteration stops on a relative change of 1e-11; linear convergence leaves the iterate
    // within a few orders of that of the solution, far inside 1e-7.
    for (value, expected) in [(x[(0, 1)], a), (x[(1, 2)], a), (x[(0, 2)], b)] {
        assert!(
            (value - expected).abs() < 1e-7,
            "{value} vs {expected} after {iterations} iterations"
        );
    }
    assert!((0..3).all(|i| x[(i, i)] == 1.0));
}

#[test]
fn a_valid_matrix_is_returned_unchanged() {
    let valid = symmetric(3, &[((0, 1), 0.5), ((0, 2), 0.2), ((1, 2), 0.3)]);
    let repaired = repair(&valid, &valid, &all_pairs(3)).unwrap();
    assert!(repaired.changes.is_empty());
    assert_eq!(repaired.matrix, valid);
    assert_eq!(repaired.distance, 0.0);
    // The projections themselves leave a matrix inside both sets where it is.
    let (x, _) = nearest(&valid, &all_pairs(3), FLOORS[0], BOUND).unwrap();
    assert!((&x - &valid).norm() < 1e-10);
}

/// A catalogue-like block structure (two categories of three, ρ 0.3 within, 0.1 between) with
/// the three contradictory overrides a~b 0.9, b~c 0.9, a~c −0.9 inside the first category.
fn conflicting() -> (DMatrix<f64>, DMatrix<f64>, Vec<(usize, usize)>) {
    let n = 6;
    let reference = DMatrix::from_fn(n, n, |i, j| match (i == j, i / 3 == j / 3) {
        (true, _) => 1.0,
        (false, true) => 0.3,
        (false, false) => 0.1,
    });
    let mut target = reference.clone();
    let overrides = [((0, 1), 0.9), ((1, 2), 0.9), ((0, 2), -0.9)];
    for &((i, j), v) in &overrides {
        target[(i, j)] = v;
        target[(j, i)] = v;
    }
    (
        target,
        reference,
        overrides.iter().map(|&(p, _)| p).collect(),
    )
}

#[test]
fn only_the_free_entries_move() {
    let (target, reference, free) = conflicting();
    assert!(CorrelationModel::new(target.clone()).is_err());
    let repaired = repair(&target, &reference, &free).unwrap();
    assert!(!repaired.freed_all);
    assert_eq!(repaired.floor, FLOORS[0]);
    for i in 0..6 {
        for j in 0..6 {
            let is_free = free.contains(&(i.min(j), i.max(j)));
            if !is_free {
                // Bit for bit: the catalogue's structure is held, not approximated.
                assert_eq!(repaired.matrix[(i, j)], target[(i, j)], "({i}, {j})");
            }
        }
    }
    assert_eq!(repaired.changes.len(), 3);
    for c in &repaired.changes {
        assert!(free.contains(&(c.i, c.j)));
        assert_eq!(c.old, target[(c.i, c.j)]);
        assert_eq!(repaired.matrix[(c.i, c.j)], c.new);
        assert!(is_written_value(c.new), "{}", c.new);
        assert!(c.new.abs() <= BOUND);
    }
    // The sign conflict is resolved by weakening: a~c cannot stay strongly negative while a~b
    // and b~c stay strongly positive.
    assert!(repaired.changes.iter().all(|c| c.new.abs() < c.old.abs()));
    assert!(CorrelationModel::new(repaired.matrix.clone()).is_ok());
    assert!(repaired.smallest_before < 0.0 && repaired.smallest_after > 0.0);
    assert!((repaired.distance - (&repaired.matrix - &target).norm()).abs() < 1e-15);
}

#[test]
fn a_reference_without_room_for_the_floor_frees_every_entry() {
    // Valid, but its smallest eigenvalue 1 + 2·(−0.4999) = 2e-4 is below the first floor: no
    // matrix that keeps these entries has all eigenvalues above 1e-3.
    let r = -0.4999;
    let reference = symmetric(3, &[((0, 1), r), ((0, 2), r), ((1, 2), r)]);
    assert!(CorrelationModel::new(reference.clone()).is_ok());
    // With x = (1, 1, 1): xᵀAx = 3 + 2(−0.9 − 2·0.4999) < 0.
    let target = symmetric(3, &[((0, 1), -0.9), ((0, 2), r), ((1, 2), r)]);
    assert!(CorrelationModel::new(target.clone()).is_err());
    let repaired = repair(&target, &reference, &[(0, 1)]).unwrap();
    assert!(repaired.freed_all);
    assert!(repaired.smallest_after > 0.0);
    assert!(repaired.changes.iter().any(|c| (c.i, c.j) != (0, 1)));
}

#[test]
fn an_empty_intersection_is_reported_not_looped_on() {
    // Nothing free and the target not positive-definite: the two sets do not meet.
    let target = symmetric(3, &[((0, 1), 0.9), ((0, 2), -0.9), ((1, 2), 0.9)]);
    assert_eq!(
        nearest(&target, &[], FLOORS[0], BOUND),
        Err(RepairError::NotConverged {
            floor: FLOORS[0],
            iterations: MAX_ITERATIONS
        })
    );
}

#[test]
fn malformed_matrices_are_refused() {
    let ok = DMatrix::<f64>::identity(2, 2);
    let mut asymmetric = ok.clone();
    asymmetric[(0, 1)] = 0.5;
    let mut diagonal = ok.clone();
    diagonal[(1, 1)] = 2.0;
    let mut nan = ok.clone();
    nan[(0, 1)] = f64::NAN;
    nan[(1, 0)] = f64::NAN;
    for bad in [asymmetric, diagonal, nan, DMatrix::identity(2, 3)] {
        assert!(matches!(
            repair(&bad, &ok, &[(0, 1)]),
            Err(RepairError::Malformed(_))
        ));
    }
    assert!(matches!(
        repair(&ok, &ok, &[(0, 0)]),
        Err(RepairError::Malformed(_))
    ));
}

/// A symmetric matrix with unit diagonal and off-diagonal entries in [−0.99, 0.99].
fn unit_diagonal() -> impl Strategy<Value = DMatrix<f64>> {
    (2usize..7).prop_flat_map(|n| {
        proptest::collection::vec(-0.99f64..=0.99, n * (n - 1) / 2).prop_map(move |values| {
            let pairs = all_pairs(n);
            let upper: Vec<_> = pairs.into_iter().zip(values).collect();
            symmetric(n, &upper)
        })
    })
}

/// Rounding moves each of the m written entries by at most 5e-5, so the written matrix is at
/// most 5e-5·√(2m) farther than the exact nearest point; 1e-9 covers the iteration's stop.
fn rounding_slack(changes: usize) -> f64 {
    5e-5 * (2.0 * changes as f64).sqrt() + 1e-9
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every entry free: the result is valid, and no farther from the input than shrinking
    /// toward the identity, (1 − t)·A + t·I with the smallest t that lifts the smallest
    /// eigenvalue to the floor (a point of the same feasible set, so the nearest is no farther).
    #[test]
    fn all_free_beats_shrinking_toward_the_identity(target in unit_diagonal()) {
        let n = target.nrows();
        let identity = DMatrix::identity(n, n);
        let repaired = repair(&target, &identity, &all_pairs(n)).unwrap();
        prop_assert!(CorrelationModel::new(repaired.matrix.clone()).is_ok());
        prop_assert!(repaired.changes.iter().all(|c| is_written_value(c.new) && c.new.abs() <= BOUND));
        if repaired.changes.is_empty() {
            prop_assert!(CorrelationModel::new(target.clone()).is_ok());
        } else {
            let lowest = smallest_eigenvalue(&target);
            let t = ((repaired.floor - lowest) / (1.0 - lowest)).max(0.0);
            let shrunk = &target * (1.0 - t) + &identity * t;
            let baseline = (&shrunk - &target).norm();
            prop_assert!(
                repaired.distance <= baseline + rounding_slack(repaired.changes.len()),
                "{} > {}", repaired.distance, baseline
            );
        }
    }

    /// Only overrides free: the catalogue's entries stay bit for bit, and the result is no
    /// farther than moving the overrides toward the catalogue, (1 − t)·A + t·C, with t from the
    /// concavity of the smallest eigenvalue: λ((1 − t)A + tC) ≥ (1 − t)λ(A) + tλ(C).
    #[test]
    fn overrides_only_beat_shrinking_toward_the_catalogue(
        within in 0.0f64..0.7,
        between in -0.2f64..0.3,
        categories in proptest::collection::vec(0usize..3, 3..7),
        overrides in proptest::collection::vec((0usize..7, 0usize..7, -0.99f64..=0.99), 1..6),
    ) {
        let n = categories.len();
        let reference = DMatrix::from_fn(n, n, |i, j| {
            if i == j { 1.0 } else if categories[i] == categories[j] { within } else { between }
        });
        let reference_lowest = smallest_eigenvalue(&reference);
        prop_assume!(reference_lowest >= 0.05);
        let mut target = reference.clone();
        let mut free = Vec::new();
        for (a, b, rho) in overrides {
            let (i, j) = (a % n, b % n);
            if i != j {
                target[(i, j)] = rho;
                target[(j, i)] = rho;
                free.push((i.min(j), i.max(j)));
            }
        }
        let repaired = repair(&target, &reference, &free).unwrap();
        prop_assert!(!repaired.freed_all);
        prop_assert!(CorrelationModel::new(repaired.matrix.clone()).is_ok());
        for i in 0..n {
            for j in 0..n {
                if !free.contains(&(i.min(j), i.max(j))) {
                    prop_assert_eq!(repaired.matrix[(i, j)], target[(i, j)]);
                }
            }
        }
        if !repaired.changes.is_empty() {
            let lowest = smallest_eigenvalue(&target);
            let t = ((repaired.floor - lowest) / (reference_lowest - lowest)).clamp(0.0, 1.0);
            let shrunk = &target * (1.0 - t) + &reference * t;
            let baseline = (&shrunk - &target).norm();
            prop_assert!(
                repaired.distance <= baseline + rounding_slack(repaired.changes.len()),
                "{} > {}", repaired.distance, baseline
            );
        }
    }
}
