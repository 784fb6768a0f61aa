//! The maximiser behind the likelihood fits: Newton–Raphson on an analytic gradient and
//! Hessian, with step halving, an absolute-eigenvalue step where the Hessian is not negative
//! definite, and optional box bounds handled by an active set and projection.

use nalgebra::{DMatrix, DVector};

/// Stop once no parameter moves by more than this, relative to `1 + |parameter|`. Newton converges
/// quadratically, so the error left is of the order of this squared.
const STEP_TOLERANCE: f64 = 1e-10;
/// Step halving gives up below this fraction of the Newton step.
const SMALLEST_STEP_FRACTION: f64 = 1e-10;
/// The relative resolution of a log-likelihood summed over many rows (a few hundred ulps):
/// a predicted gain below it cannot be confirmed by comparing values.
const VALUE_RESOLUTION: f64 = 1e-12;
/// Newton steps that stop shrinking below this size are rounding noise in the gradient.
const ROUNDING_FLOOR_STEP: f64 = 1e-6;

/// A log-likelihood with its first and second derivatives at one point.
pub(super) struct Derivatives {
    pub value: f64,
    pub gradient: DVector<f64>,
    pub hessian: DMatrix<f64>,
}

pub(super) trait LogLikelihood {
    /// The log-likelihood; `−∞` (or NaN) where the parameters are infeasible.
    fn value(&self, parameters: &DVector<f64>) -> f64;
    fn derivatives(&self, parameters: &DVector<f64>) -> Derivatives;
}

/// Lower and upper bounds per parameter (infinite where a parameter is free).
pub(super) struct Bounds {
    pub lower: DVector<f64>,
    pub upper: DVector<f64>,
}

impl Bounds {
    fn project(&self, parameters: &mut DVector<f64>) {
        for ((p, &low), &high) in parameters.iter_mut().zip(&self.lower).zip(&self.upper) {
            *p = p.clamp(low, high);
        }
    }

    /// Whether a parameter sits on a bound with the gradient pushing it outwards.
    fn holds(&self, i: usize, parameter: f64, slope: f64) -> bool {
        (parameter <= self.lower[i] && slope <= 0.0) || (parameter >= self.upper[i] && slope >= 0.0)
    }
}

pub(super) struct Maximum {
    pub parameters: DVector<f64>,
    /// The derivatives at `parameters`.
    pub at: Derivatives,
    pub iterations: usize,
    pub converged: bool,
    /// The last Newton step's largest relative component.
    pub last_step: f64,
}

/// Maximises `objective` from `start` (projected onto `bounds`).
pub(super) fn maximise(
    objective: &impl LogLikelihood,
    start: DVector<f64>,
    bounds: Option<&Bounds>,
    max_iterations: usize,
) -> Maximum {
    let mut parameters = start;
    if let Some(bounds) = bounds {
        bounds.project(&mut parameters);
    }
    let mut at = objective.derivatives(&parameters);
    let (mut iterations, mut converged, mut last_step) = (0, false, f64::INFINITY);
    while iterations < max_iterations && at.value.is_finite() {
        iterations += 1;
        let free: Vec<usize> = (0..parameters.len())
            .filter(|&i| !bounds.is_some_and(|b| b.holds(i, parameters[i], at.gradient[i])))
            .collect();
        let Some(step) = newton_step(&at, &free) else {
            break;
        };
        let previous_step = last_step;
        last_step = step
            .iter()
            .zip(&parameters)
            .map(|(s, p)| s.abs() / (1.0 + p.abs()))
            .fold(0.0, f64::max);
        let predicted_gain = at.gradient.dot(&step);

        // Within rounding of the optimum the log-likelihood can no longer rank two points, but
        // the gradient still points the way: take the full step.
        if predicted_gain <= VALUE_RESOLUTION * (1.0 + at.value.abs()) {
            let mut candidate = &parameters + &step;
            if let Some(bounds) = bounds {
                bounds.project(&mut candidate);
            }
            parameters = candidate;
            at = objective.derivatives(&parameters);
            // Done once the steps are negligible or have stopped shrinking at the rounding
            // floor. Steps that stay large while the gain vanishes are a coefficient running
            // off to infinity (separation): keep going, so that it shows.
            let at_floor = last_step >= 0.5 * previous_step && last_step <= ROUNDING_FLOOR_STEP;
            if last_step <= STEP_TOLERANCE || at_floor {
                converged = true;
                break;
            }
            continue;
        }

        let mut fraction = 1.0;
        let mut accepted = None;
        while fraction >= SMALLEST_STEP_FRACTION {
            let mut candidate = &parameters + fraction * &step;
            if let Some(bounds) = bounds {
                bounds.project(&mut candidate);
            }
            // A full step may tie (the optimum, to rounding); a shortened one must gain, or
            // halving could "accept" a step too small to move the parameters at all.
            let value = objective.value(&candidate);
            if value > at.value || (fraction == 1.0 && value >= at.value) {
                accepted = Some(candidate);
                break;
            }
            fraction *= 0.5;
        }
        let Some(candidate) = accepted else {
            break;
        };
        parameters = candidate;
        at = objective.derivatives(&parameters);
        if last_step <= STEP_TOLERANCE {
            converged = true;
            break;
        }
    }
    Maximum {
        parameters,
        at,
        iterations,
        converged,
        last_step,
    }
}

/// The Newton step on the free parameters (zero on the others): solves `−H d = g` by Cholesky.
/// Where `−H` is not positive definite (away from the optimum of a non-concave likelihood), it
/// uses `|−H|` instead, the eigenvalues replaced by their absolute values (floored at a small
/// fraction of the largest): an ascent direction that is still Newton's along curved-down
/// directions and climbs out along curved-up ones.
fn newton_step(at: &Derivatives, free: &[usize]) -> Option<DVector<f64>> {
    let size = free.len();
    let mut step = DVector::zeros(at.gradient.len());
    if size == 0 {
        return Some(step);
    }
    let information = DMatrix::from_fn(size, size, |r, c| -at.hessian[(free[r], free[c])]);
    let gradient = DVector::from_fn(size, |r, _| at.gradient[free[r]]);
    let solved = match information.clone().cholesky() {
        Some(cholesky) => cholesky.solve(&gradient),
        None => {
            let eigen = information.symmetric_eigen();
            let floor = 1e-6 * eigen.eigenvalues.amax().max(f64::MIN_POSITIVE);
            let scaled = eigen
                .eigenvectors
                .tr_mul(&gradient)
                .component_div(&eigen.eigenvalues.map(|lambda| lambda.abs().max(floor)));
            &eigen.eigenvectors * scaled
        }
    };
    if !solved.iter().all(|v| v.is_finite()) {
        return None;
    }
    for (r, &i) in free.iter().enumerate() {
        step[i] = solved[r];
    }
    Some(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// −(p₀ − 3)² − 2(p₁ + 1)⁴: concave, with its maximum at (3, −1), where the Hessian is
    /// singular.
    struct Bowl;

    impl LogLikelihood for Bowl {
        fn value(&self, p: &DVector<f64>) -> f64 {
            let (a, b) = (p[0] - 3.0, p[1] + 1.0);
            -a * a - 2.0 * b.powi(4)
        }
        fn derivatives(&self, p: &DVector<f64>) -> Derivatives {
            let (a, b) = (p[0] - 3.0, p[1] + 1.0);
            Derivatives {
                value: self.value(p),
                gradient: DVector::from_vec(vec![-2.0 * a, -8.0 * b.powi(3)]),
                hessian: DMatrix::from_row_slice(2, 2, &[-2.0, 0.0, 0.0, -24.0 * b * b]),
            }
        }
    }

    #[test]
    fn finds_an_interior_maximum_from_a_singular_start() {
        // At p₁ = −1 the Hessian's second diagonal entry is 0: Cholesky fails there.
        let result = maximise(&Bowl, DVector::from_vec(vec![0.0, -1.0]), None, 200);
        assert!(result.converged);
        assert!(
            (result.parameters[0] - 3.0).abs() < 1e-12,
            "{}",
            result.parameters
        );
        assert_eq!(result.parameters[1], -1.0);
    }

    #[test]
    fn converges_where_the_curvature_vanishes() {
        // Towards p₁ = −1 Newton only gains a third per step; the rounding-floor rule stops it.
        let result = maximise(&Bowl, DVector::from_vec(vec![0.0, 0.0]), None, 200);
        assert!(result.converged, "{} iterations", result.iterations);
        assert!(
            (result.parameters[1] + 1.0).abs() < 1e-4,
            "{}",
            result.parameters
        );
    }

    /// −(p² − 1)²: maxima at ±1, a minimum at 0 where the Hessian is positive.
    struct DoubleHump;

    impl LogLikelihood for DoubleHump {
        fn value(&self, p: &DVector<f64>) -> f64 {
            -(p[0] * p[0] - 1.0).powi(2)
        }
        fn derivatives(&self, p: &DVector<f64>) -> Derivatives {
            let x = p[0];
            Derivatives {
                value: self.value(p),
                gradient: DVector::from_element(1, -4.0 * x * (x * x - 1.0)),
                hessian: DMatrix::from_element(1, 1, 4.0 - 12.0 * x * x),
            }
        }
    }

    #[test]
    fn climbs_out_of_a_convex_region() {
        // A plain Newton step at 0.1 would head for the minimum at 0; |H| turns it uphill.
        let result = maximise(&DoubleHump, DVector::from_element(1, 0.1), None, 200);
        assert!(result.converged);
        assert!(
            (result.parameters[0] - 1.0).abs() < 1e-12,
            "{}",
            result.parameters
        );
    }

    #[test]
    fn stops_on_an_active_bound() {
        let bounds = Bounds {
            lower: DVector::from_vec(vec![f64::NEG_INFINITY, 0.0]),
            upper: DVector::from_vec(vec![2.0, f64::INFINITY]),
        };
        let result = maximise(&Bowl, DVector::from_vec(vec![0.0, 1.0]), Some(&bounds), 200);
        assert!(result.converged);
        // p₀ is held at its upper bound 2; p₁ ends on its lower bound 0, where the
        // gradient −8 points outwards.
        assert_eq!(result.parameters[0], 2.0);
        assert_eq!(result.parameters[1], 0.0);
    }
}
