//! Levenberg–Marquardt for a box-bounded least-squares problem whose residuals are expensive
//! (each a simulation) and whose Jacobian comes from finite differences: minimise
//! S(x) = Σ rᵢ(x)² with `low ≤ x ≤ high`.
//!
//! Marquardt's scaled damping, (JᵀJ + λ·diag(JᵀJ)) δ = −Jᵀr, with Nielsen's update of λ from
//! the gain ratio (Madsen, Nielsen and Tingleff, *Methods for non-linear least squares
//! problems*, 2004, §3.2); a step is projected onto the box. A sum of squares is what the
//! calibration's objective is, and the Gauss–Newton model uses that: in a dozen dimensions it
//! needs a few hundred evaluations where a simplex search needs thousands.
//!
//! Why not the `levenberg-marquardt` crate: its latest release (0.15) is built on nalgebra
//! 0.34 while crmcast uses 0.35, it has no bounds, and its stopping rules are MINPACK's
//! (machine-precision tolerances), which a simulated objective never meets.
//!
//! Pure: the residuals and the Jacobian are closures; nothing here simulates.

use crate::error::Error;
use nalgebra::{DMatrix, DVector};

/// The residuals at a point.
pub type Residuals<'a> = dyn Fn(&[f64]) -> Result<Vec<f64>, Error> + 'a;
/// The Jacobian at a point, given the residuals there.
pub type Jacobian<'a> = dyn Fn(&[f64], &[f64]) -> Result<DMatrix<f64>, Error> + 'a;
/// Residuals that may be evaluated from several threads at once.
pub type SharedResiduals<'a> = dyn Fn(&[f64]) -> Result<Vec<f64>, Error> + Sync + 'a;

/// When to stop.
#[derive(Debug, Clone, Copy)]
pub struct Stopping {
    /// Most iterations (Jacobians).
    pub max_iterations: u64,
    /// Stop after [`STALLED_STEPS`] accepted steps in a row that each lower S by less than this
    /// fraction of S.
    pub relative_improvement: f64,
    /// Stop when the step's largest coordinate change is below this.
    pub smallest_step: f64,
}

/// The best point found, S there and its residuals, and how many iterations it took.
#[derive(Debug, Clone)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub residuals: Vec<f64>,
    pub iterations: u64,
}

/// Accepted steps in a row that improve S by less than the relative tolerance before a stop:
/// one small step may only mean the damping is high, a run of them that S has levelled off.
const STALLED_STEPS: u32 = 3;

/// λ beyond this (relative to the scaling) means no step lowers S: the point is a minimum to
/// the resolution of the residuals.
const MAX_DAMPING: f64 = 1e8;

/// Minimise Σ r(x)² from `start` (moved into the box first) inside `bounds`; `at_start`, when
/// known, are the residuals there. `jacobian(x, r)` gets the residuals at `x` for one-sided
/// differences.
///
/// A step is projected onto the box. Where a bound binds, projecting steps taken as if the
/// coordinate were free converges slowly (the others keep moving to where they would be best
/// with it moved), so a run that ends with coordinates on a bound is continued with those held
/// there, and the better end is kept.
pub fn minimise(
    residuals: &Residuals,
    jacobian: &Jacobian,
    start: &[f64],
    at_start: Option<Vec<f64>>,
    bounds: &[(f64, f64)],
    stopping: Stopping,
) -> Result<Minimum, Error> {
    let free = vec![false; start.len()];
    let first = run(
        residuals, jacobian, start, at_start, bounds, &free, stopping,
    )?;
    let on_bound: Vec<bool> = first
        .x
        .iter()
        .zip(bounds)
        .map(|(&v, &(low, high))| v <= low || v >= high)
        .collect();
    let left = stopping.max_iterations.saturating_sub(first.iterations);
    if !on_bound.contains(&true) || left == 0 {
        return Ok(first);
    }
    let more = Stopping {
        max_iterations: left,
        ..stopping
    };
    let second = run(
        residuals,
        jacobian,
        &first.x,
        Some(first.residuals.clone()),
        bounds,
        &on_bound,
        more,
    )?;
    let iterations = first.iterations + second.iterations;
    let best = if second.value < first.value {
        second
    } else {
        first
    };
    Ok(Minimum { iterations, ..best })
}

/// One Levenberg–Marquardt run with the `fixed` coordinates held where they start.
fn run(
    residuals: &Residuals,
    jacobian: &Jacobian,
    start: &[f64],
    at_start: Option<Vec<f64>>,
    bounds: &[(f64, f64)],
    fixed: &[bool],
    stopping: Stopping,
) -> Result<Minimum, Error> {
    let project = |x: &[f64]| -> Vec<f64> {
        x.iter()
            .zip(bounds)
            .map(|(&v, &(low, high))| v.clamp(low.min(high), high.max(low)))
            .collect()
    };
    let mut x = project(start);
    let mut r = match at_start {
        Some(r) if x == start => r,
        _ => residuals(&x)?,
    };
    let mut value = sum_of_squares(&r);
    let mut damping: Option<f64> = None;
    let mut growth = 2.0;
    let mut iterations = 0;
    let mut stalled = 0;
    'outer: while iterations < stopping.max_iterations && value > 0.0 {
        iterations += 1;
        let j = jacobian(&x, &r)?;
        let a = j.transpose() * &j;
        let g = j.transpose() * DVector::from_column_slice(&r);
        // Marquardt's scaling: each coordinate damped in proportion to its own curvature
        // (floored, so that a coordinate no residual moves is held still, not thrown).
        let floor = a.diagonal().max() * 1e-9;
        let scale = a.diagonal().map(|d| d.max(floor).max(f64::MIN_POSITIVE));
        if (0..x.len()).all(|k| fixed[k] || g[k] == 0.0) {
            break;
        }
        let lambda = damping.get_or_insert(1e-3);
        loop {
            let mut damped = a.clone();
            let mut g = g.clone();
            for k in 0..x.len() {
                damped[(k, k)] += *lambda * scale[k];
                if fixed[k] {
                    damped.row_mut(k).fill(0.0);
                    damped.column_mut(k).fill(0.0);
                    damped[(k, k)] = 1.0;
                    g[k] = 0.0;
                }
            }
            let Some(step) = damped.cholesky().map(|c| c.solve(&(-&g))) else {
                *lambda *= growth;
                growth *= 2.0;
                if *lambda > MAX_DAMPING {
                    break 'outer;
                }
                continue;
            };
            let proposed: Vec<f64> = project(
                &x.iter()
                    .zip(step.iter())
                    .map(|(a, d)| a + d)
                    .collect::<Vec<_>>(),
            );
            let moved =
                DVector::from_iterator(x.len(), proposed.iter().zip(&x).map(|(p, a)| p - a));
            if moved.amax() < stopping.smallest_step {
                break 'outer;
            }
            let r_new = residuals(&proposed)?;
            let value_new = sum_of_squares(&r_new);
            // What the linear model promised for the (projected) step.
            let predicted = value - (DVector::from_column_slice(&r) + &j * &moved).norm_squared();
            if value_new < value && predicted > 0.0 {
                let gain = (value - value_new) / predicted;
                *lambda *= (1.0 - (2.0 * gain - 1.0).powi(3)).max(1.0 / 3.0);
                growth = 2.0;
                let improvement = value - value_new;
                x = proposed;
                r = r_new;
                value = value_new;
                if improvement < stopping.relative_improvement * (value + improvement) {
                    stalled += 1;
                    if stalled >= STALLED_STEPS {
                        break 'outer;
                    }
                } else {
                    stalled = 0;
                }
                break;
            }
            *lambda *= growth;
            growth *= 2.0;
            if *lambda > MAX_DAMPING {
                break 'outer;
            }
        }
    }
    Ok(Minimum {
        x,
        value,
        residuals: r,
        iterations,
    })
}

/// Σ rᵢ²: the objective at residuals `r`.
pub fn sum_of_squares(r: &[f64]) -> f64 {
    r.iter().map(|v| v * v).sum()
}

/// One-sided differences of `residuals` at `x` (residuals `r` there), in parallel over
/// coordinates, each step `step` towards the inside of the box (shortened where the box is
/// narrower). Columns of coordinates with no room to move are zero.
pub fn forward_differences(
    residuals: &SharedResiduals,
    x: &[f64],
    r: &[f64],
    bounds: &[(f64, f64)],
    step: f64,
    threads: usize,
) -> Result<DMatrix<f64>, Error> {
    let steps: Vec<f64> = x
        .iter()
        .zip(bounds)
        .map(|(&v, &(low, high))| {
            if high - v >= step {
                step
            } else if v - low >= step {
                -step
            } else if high - v >= v - low {
                high - v
            } else {
                low - v
            }
        })
        .collect();
    let points: Vec<Vec<f64>> = steps
        .iter()
        .enumerate()
        .map(|(k, &h)| {
            let mut p = x.to_vec();
            p[k] += h;
            p
        })
        .collect();
    let moved = in_parallel(residuals, &points, threads)?;
    let mut j = DMatrix::zeros(r.len(), x.len());
    for (k, (h, r_k)) in steps.iter().zip(&moved).enumerate() {
        if *h == 0.0 {
            continue;
        }
        for i in 0..r.len() {
            j[(i, k)] = (r_k[i] - r[i]) / h;
        }
    }
    Ok(j)
}

/// `residuals` at every point, on up to `threads` threads (0: one per core), in the order of
/// `points`. The values do not depend on the threads: each point is evaluated alone.
pub fn in_parallel(
    residuals: &SharedResiduals,
    points: &[Vec<f64>],
    threads: usize,
) -> Result<Vec<Vec<f64>>, Error> {
    use rayon::prelude::*;
    let pool = crate::engine::worker_pool(threads)?;
    pool.install(|| points.par_iter().map(|p| residuals(p)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stopping() -> Stopping {
        Stopping {
            max_iterations: 200,
            relative_improvement: 1e-12,
            smallest_step: 1e-12,
        }
    }

    fn solve(f: &SharedResiduals, start: &[f64], bounds: &[(f64, f64)]) -> Minimum {
        let jacobian = |x: &[f64], r: &[f64]| forward_differences(f, x, r, bounds, 1e-7, 2);
        minimise(f, &jacobian, start, None, bounds, stopping()).expect("a minimum")
    }

    /// Rosenbrock's valley as least squares, r = (10(y − x²), 1 − x): the minimum is (1, 1)
    /// with S = 0, from the classic start (−1.2, 1).
    #[test]
    fn finds_the_bottom_of_rosenbrocks_valley() {
        let f = |x: &[f64]| Ok(vec![10.0 * (x[1] - x[0] * x[0]), 1.0 - x[0]]);
        let wide = [(-5.0, 5.0), (-5.0, 5.0)];
        let m = solve(&f, &[-1.2, 1.0], &wide);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-5 && (m.x[1] - 1.0).abs() < 1e-5,
            "{m:?}"
        );
        assert!(m.value < 1e-10, "{m:?}");
        assert!(m.iterations < 100, "{m:?}");
    }

    /// A linear problem r = A x − b has the closed-form minimum x = (AᵀA)⁻¹Aᵀb; with a bound
    /// that cuts it off, the minimum on the box lies on the bound, and the free coordinate is
    /// the one-dimensional least-squares solution given it.
    #[test]
    fn linear_least_squares_inside_and_on_a_bound() {
        let a = DMatrix::from_row_slice(3, 2, &[1.0, 0.5, 0.2, 1.0, 1.0, 1.0]);
        let b = DVector::from_column_slice(&[1.0, 2.0, 3.5]);
        let f = |x: &[f64]| {
            let r = &a * DVector::from_column_slice(x) - &b;
            Ok(r.iter().copied().collect())
        };
        let exact = (a.transpose() * &a).try_inverse().expect("invertible") * a.transpose() * &b;
        let m = solve(&f, &[0.0, 0.0], &[(-10.0, 10.0), (-10.0, 10.0)]);
        for k in 0..2 {
            assert!((m.x[k] - exact[k]).abs() < 1e-6, "{m:?} against {exact}");
        }
        // x₁ ≤ 1 binds (the free minimum has x₁ ≈ 1.6): x₁ = 1 and x₀ solves the rest.
        assert!(exact[1] > 1.0);
        // With the calibration's stopping rule: the free run crawls along the bound until it
        // stalls, and the run with the bound held finds the rest.
        let bounds = [(-10.0, 10.0), (-10.0, 1.0)];
        let jacobian = |x: &[f64], r: &[f64]| forward_differences(&f, x, r, &bounds, 1e-7, 2);
        let stopping = Stopping {
            relative_improvement: 1e-3,
            ..stopping()
        };
        let m = minimise(&f, &jacobian, &[0.0, 0.0], None, &bounds, stopping).expect("a minimum");
        let column = a.column(0);
        let rest = &b - a.column(1) * 1.0;
        let x0 = column.dot(&rest) / column.dot(&column);
        assert!((m.x[1] - 1.0).abs() < 1e-12, "{m:?}");
        assert!((m.x[0] - x0).abs() < 1e-6, "{m:?} against {x0}");
    }

    /// The parallel evaluation returns the points' values in their order, at any thread count.
    #[test]
    fn parallel_evaluation_keeps_the_order() {
        let f = |x: &[f64]| Ok(vec![x[0] * 2.0, x[0].sin()]);
        let points: Vec<Vec<f64>> = (0..37).map(|k| vec![k as f64]).collect();
        let one = in_parallel(&f, &points, 1).expect("values");
        for threads in [2, 3, 8] {
            assert_eq!(in_parallel(&f, &points, threads).expect("values"), one);
        }
        assert_eq!(one[5], vec![10.0, 5f64.sin()]);
    }
}
