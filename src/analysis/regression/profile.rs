//! Profile-likelihood intervals for coefficients held within bounds (an impact that must be
//! non-negative): the set of values `b` within the bounds whose profile deviance `D(b)` — twice
//! the log-likelihood lost when the coefficient is held at `b` and every other parameter is
//! re-maximised under its own bounds — stays at or below a cutoff (χ²₁'s 0.95 quantile, or the
//! squared t quantile for the Gaussian linear model, where the same rule gives the exact t
//! interval away from the bound).
//!
//! Near a bound a Wald interval `estimate ± 1.96·SE` is wrong twice over: centred on a clamped
//! point, and cut at the bound. The profile interval is neither, and when the true value is the
//! bound itself its coverage is known: the estimate is held at the bound half of the time
//! (then `D(bound) = 0` and the interval covers it), and otherwise `D(bound)` is the usual
//! statistic, so the coverage is ½ + ½·0.95 = 97.5 % (Self and Liang, "Asymptotic properties of
//! maximum likelihood estimators and likelihood ratio tests under nonstandard conditions",
//! 1987): conservative, never short.

/// The deviance of a value held fixed, as a function of that value.
pub(super) trait Deviance {
    /// `D(b) ≥ 0`, twice the log-likelihood lost by holding the coefficient at `b` (NaN or +∞
    /// where the re-fit fails: counted as outside the interval).
    fn at(&mut self, value: f64) -> f64;
}

impl<F: FnMut(f64) -> f64> Deviance for F {
    fn at(&mut self, value: f64) -> f64 {
        self(value)
    }
}

/// Relative precision of an interval's end (of the standard error).
const END_TOLERANCE: f64 = 1e-7;
/// Deviance evaluations per end at most (a bracket doubles at most 40 times, then Illinois).
const MAX_EVALUATIONS: usize = 120;

/// `{b ∈ [lower, upper] : D(b) ≤ cutoff}` for a deviance that is 0 at `estimate` and grows
/// (convexly, for the concave likelihoods fitted here) away from it; `scale` (the standard
/// error, or any positive step of its order) sets the first bracket and the tolerance.
pub(super) fn interval(
    deviance: &mut impl Deviance,
    estimate: f64,
    scale: f64,
    (lower, upper): (f64, f64),
    cutoff: f64,
) -> (f64, f64) {
    let step = if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1e-3 * (1.0 + estimate.abs())
    };
    (
        end(deviance, estimate, -step, lower, cutoff),
        end(deviance, estimate, step, upper, cutoff),
    )
}

/// One end: from `estimate` in the direction of `step`, the point where `D = cutoff`, or the
/// bound when `D(bound) ≤ cutoff`.
fn end(deviance: &mut impl Deviance, estimate: f64, step: f64, bound: f64, cutoff: f64) -> f64 {
    let excess = |d: &mut dyn FnMut(f64) -> f64, b: f64| {
        let value = d(b);
        if value.is_nan() {
            f64::INFINITY
        } else {
            value - cutoff
        }
    };
    let mut d = |b: f64| deviance.at(b);
    // Bracket: `inside` has D ≤ cutoff, `outside` D > cutoff.
    let (mut inside, mut inside_excess) = (estimate, -cutoff);
    let mut width = step;
    let mut evaluations = 0;
    let (mut outside, mut outside_excess) = loop {
        let candidate = estimate + width;
        let past_bound = if step > 0.0 {
            candidate >= bound
        } else {
            candidate <= bound
        };
        let point = if past_bound { bound } else { candidate };
        let e = excess(&mut d, point);
        evaluations += 1;
        if e > 0.0 {
            break (point, e);
        }
        if past_bound || evaluations >= 40 || !point.is_finite() {
            return point;
        }
        (inside, inside_excess) = (point, e);
        width *= 2.0;
    };
    // Illinois (a safeguarded false position): √D is nearly linear in b, D nearly quadratic,
    // so a plain false position would stall on one side; halving the stale end's weight fixes it.
    let tolerance = END_TOLERANCE * step.abs();
    let mut stale_side = 0i8;
    while (outside - inside).abs() > tolerance && evaluations < MAX_EVALUATIONS {
        let finite = outside_excess.is_finite();
        let mut point = if finite {
            inside - inside_excess * (outside - inside) / (outside_excess - inside_excess)
        } else {
            0.5 * (inside + outside)
        };
        if !(point.is_finite() && (point - inside) * (point - outside) < 0.0) {
            point = 0.5 * (inside + outside);
        }
        let e = excess(&mut d, point);
        evaluations += 1;
        if e > 0.0 {
            (outside, outside_excess) = (point, e);
            if stale_side == -1 {
                inside_excess *= 0.5;
            }
            stale_side = -1;
        } else {
            (inside, inside_excess) = (point, e);
            if stale_side == 1 {
                outside_excess *= 0.5;
            }
            stale_side = 1;
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quadratic_deviance_gives_the_symmetric_interval() {
        // D(b) = ((b − 2) / 0.5)²: the interval is 2 ± √3.84·0.5.
        let mut d = |b: f64| ((b - 2.0) / 0.5).powi(2);
        let cutoff = 3.841_458_820_694_124;
        let (low, high) = interval(&mut d, 2.0, 0.5, (f64::NEG_INFINITY, f64::INFINITY), cutoff);
        let half = cutoff.sqrt() * 0.5;
        assert!((low - (2.0 - half)).abs() < 1e-7, "{low}");
        assert!((high - (2.0 + half)).abs() < 1e-7, "{high}");
    }

    #[test]
    fn the_interval_stops_at_a_bound_the_deviance_allows() {
        // Estimate on the bound 0: the lower end is the bound, the upper the root of D.
        let mut d = |b: f64| (b / 0.1).powi(2);
        let (low, high) = interval(&mut d, 0.0, 0.1, (0.0, f64::INFINITY), 4.0);
        assert_eq!(low, 0.0);
        assert!((high - 0.2).abs() < 1e-8, "{high}");
        // A bound inside the interval's reach is its end.
        let mut d = |b: f64| ((b - 0.5) / 0.1).powi(2);
        let (low, high) = interval(&mut d, 0.5, 0.1, (0.0, 0.55), 4.0);
        assert!((low - 0.3).abs() < 1e-8, "{low}");
        assert_eq!(high, 0.55);
    }

    #[test]
    fn an_asymmetric_deviance_gives_an_asymmetric_interval() {
        // D(b) = (ln b − ln 2)² / 0.25 (a log-normal-shaped profile): ends 2·exp(±√c·0.5).
        let mut d = |b: f64| {
            if b <= 0.0 {
                f64::INFINITY
            } else {
                (b.ln() - 2f64.ln()).powi(2) / 0.25
            }
        };
        let cutoff = 3.841_458_820_694_124;
        let (low, high) = interval(&mut d, 2.0, 1.0, (0.0, f64::INFINITY), cutoff);
        let half = cutoff.sqrt() * 0.5;
        assert!((low - 2.0 * (-half).exp()).abs() < 1e-6, "{low}");
        assert!((high - 2.0 * half.exp()).abs() < 1e-6, "{high}");
    }
}
