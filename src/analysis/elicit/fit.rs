//! Fitting one expert's judgements by SHELF's method (Oakley & O'Hagan, the SHELF R package,
//! `fitdist`): for each candidate family, the parameters that minimise the sum of squared
//! differences between the elicited cumulative probabilities and the family's CDF at the
//! elicited values, Σᵢ (F(xᵢ; θ) − pᵢ)². That sum is the fit's error; the family with the
//! smallest is the best fit (SHELF's `best.fitting`).
//!
//! The families follow the quantity's kind, as SHELF's limits do: a probability (bounded in
//! [0, 1]) gets the beta; a positive quantity the gamma and the lognormal; a real one the
//! normal and Student's t with 3 degrees of freedom (SHELF's default `tdf = 3`).
//!
//! A min/mode/max judgement with a confidence c is fitted to min as the (1 − c)/2 quantile and
//! max as the (1 + c)/2 quantile, plus the family's mode matched to the stated mode: its residual
//! is (mode(θ) − mode)/(max − min), so that a mode off by a tenth of the range weighs as a CDF
//! off by 0.1 (an assumption of crmcast's, not SHELF's: SHELF elicits no modes).
//!
//! The minimiser is the Levenberg–Marquardt of `analysis::calibrate::least_squares`, on
//! unconstrained coordinates (logarithms of the positive parameters), with central
//! differences for the Jacobian.

use super::{Judgement, Kind};
use crate::analysis::calibrate::least_squares::{self, Stopping};
use crate::error::Error;
use nalgebra::DMatrix;
use serde::Serialize;
use statrs::distribution::{Beta, ContinuousCDF, Gamma, LogNormal, Normal, StudentsT};

/// Student's t degrees of freedom, as SHELF's default.
pub const T_DEGREES_OF_FREEDOM: f64 = 3.0;

/// A candidate family of distributions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Beta,
    Gamma,
    Lognormal,
    Normal,
    StudentT,
}

impl Family {
    /// The families fitted to a quantity of this kind.
    pub fn candidates(kind: Kind) -> &'static [Family] {
        match kind {
            Kind::Probability => &[Family::Beta],
            Kind::Positive => &[Family::Gamma, Family::Lognormal],
            Kind::Real => &[Family::Normal, Family::StudentT],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Beta => "beta",
            Family::Gamma => "gamma",
            Family::Lognormal => "lognormal",
            Family::Normal => "normal",
            Family::StudentT => "Student t (3 df)",
        }
    }

    /// The names of the two parameters, in order.
    pub fn parameter_names(self) -> [&'static str; 2] {
        match self {
            Family::Beta => ["shape1", "shape2"],
            Family::Gamma => ["shape", "rate"],
            Family::Lognormal => ["meanlog", "sdlog"],
            Family::Normal => ["mean", "sd"],
            Family::StudentT => ["location", "scale"],
        }
    }

    /// Parameters from unconstrained coordinates: positive ones are exponentials.
    fn parameters(self, z: &[f64]) -> [f64; 2] {
        match self {
            Family::Beta | Family::Gamma => [z[0].exp(), z[1].exp()],
            Family::Lognormal | Family::Normal | Family::StudentT => [z[0], z[1].exp()],
        }
    }

    fn coordinates(self, p: [f64; 2]) -> [f64; 2] {
        match self {
            Family::Beta | Family::Gamma => [p[0].ln(), p[1].ln()],
            Family::Lognormal | Family::Normal | Family::StudentT => [p[0], p[1].ln()],
        }
    }
}

/// One fitted distribution: a family and its two parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Distribution {
    pub family: Family,
    pub parameters: [f64; 2],
}

impl Distribution {
    pub fn new(family: Family, parameters: [f64; 2]) -> Distribution {
        Distribution { family, parameters }
    }

    /// The CDF at `x`; NaN for parameters outside the family's domain.
    pub fn cdf(&self, x: f64) -> f64 {
        let [a, b] = self.parameters;
        let value = match self.family {
            Family::Beta => Beta::new(a, b)
                .map(|d| d.cdf(x.clamp(0.0, 1.0)))
                .map_err(|_| ()),
            Family::Gamma => Gamma::new(a, b).map(|d| d.cdf(x.max(0.0))).map_err(|_| ()),
            Family::Lognormal => LogNormal::new(a, b).map(|d| d.cdf(x)).map_err(|_| ()),
            Family::Normal => Normal::new(a, b).map(|d| d.cdf(x)).map_err(|_| ()),
            Family::StudentT => StudentsT::new(a, b, T_DEGREES_OF_FREEDOM)
                .map(|d| d.cdf(x))
                .map_err(|_| ()),
        };
        value.unwrap_or(f64::NAN)
    }

    /// The `p`-quantile, `p` strictly inside (0, 1); NaN otherwise. Normal and lognormal in
    /// closed form (statrs' inverse error function); the others by bisection on the CDF to the
    /// last bit, which bounds the work for any parameters (statrs' iterative inverses are not
    /// bounded in time at extreme shapes).
    pub fn quantile(&self, p: f64) -> f64 {
        if !(p > 0.0 && p < 1.0) {
            return f64::NAN;
        }
        let [a, b] = self.parameters;
        match self.family {
            Family::Normal => Normal::new(a, b).map_or(f64::NAN, |d| d.inverse_cdf(p)),
            Family::Lognormal => LogNormal::new(a, b).map_or(f64::NAN, |d| d.inverse_cdf(p)),
            Family::Beta | Family::Gamma | Family::StudentT => self.bisect(p),
        }
    }

    /// The `p`-quantile by bisection: a bracket grown by doubling, then halved until the
    /// midpoint is one of its ends (at most a few thousand CDFs).
    fn bisect(&self, p: f64) -> f64 {
        let below = |x: f64| self.cdf(x) < p;
        let (mut low, mut high) = match self.family {
            Family::Beta => (0.0, 1.0),
            Family::Gamma | Family::Lognormal => (0.0, 1.0),
            Family::Normal | Family::StudentT => (-1.0, 1.0),
        };
        if self.family != Family::Beta {
            while below(high) && high < 1e300 {
                high *= 2.0;
            }
        }
        if matches!(self.family, Family::Normal | Family::StudentT) {
            while !below(low) && low > -1e300 {
                low *= 2.0;
            }
        }
        for _ in 0..4096 {
            let middle = 0.5 * (low + high);
            if middle <= low || middle >= high {
                break;
            }
            if below(middle) {
                low = middle;
            } else {
                high = middle;
            }
        }
        0.5 * (low + high)
    }

    /// The mean, in closed form.
    pub fn mean(&self) -> f64 {
        let [a, b] = self.parameters;
        match self.family {
            Family::Beta => a / (a + b),
            Family::Gamma => a / b,
            Family::Lognormal => (a + b * b / 2.0).exp(),
            Family::Normal | Family::StudentT => a,
        }
    }

    /// The mode, in closed form (at a bound when the density is highest there).
    pub fn mode(&self) -> f64 {
        let [a, b] = self.parameters;
        match self.family {
            Family::Beta => match (a > 1.0, b > 1.0) {
                (true, true) => (a - 1.0) / (a + b - 2.0),
                (false, true) => 0.0,
                (true, false) => 1.0,
                // U-shaped or uniform: the mean stands in for a mode.
                (false, false) => a / (a + b),
            },
            Family::Gamma => ((a - 1.0) / b).max(0.0),
            Family::Lognormal => (a - b * b).exp(),
            Family::Normal | Family::StudentT => a,
        }
    }
}

/// One family fitted to one expert's judgements.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyFit {
    pub distribution: Distribution,
    /// Σ (F(xᵢ) − pᵢ)² at the fitted parameters (with a mode, its scaled residual squared).
    pub sum_of_squares: f64,
}

/// Every candidate family fitted to one expert, in candidate order, and the index of the best
/// (the smallest sum of squares).
#[derive(Debug, Clone, Serialize)]
pub struct ExpertFit {
    pub fits: Vec<FamilyFit>,
    pub best: usize,
}

impl ExpertFit {
    pub fn best_fit(&self) -> &FamilyFit {
        &self.fits[self.best]
    }
}

/// What a judgement asks of a distribution: points (cumulative probability, value) on its CDF
/// and, for min/mode/max, a mode to match with the range its residual is scaled by.
pub struct Elicited {
    pub points: Vec<(f64, f64)>,
    /// (mode, max − min).
    pub mode: Option<(f64, f64)>,
}

/// The points and mode of a judgement (module docs: how each form is read).
pub fn elicited(judgement: &Judgement) -> Elicited {
    match judgement {
        Judgement::Quantiles(points) => Elicited {
            points: points.clone(),
            mode: None,
        },
        Judgement::MinModeMax {
            min,
            mode,
            max,
            confidence,
        } => Elicited {
            points: vec![
                ((1.0 - confidence) / 2.0, *min),
                ((1.0 + confidence) / 2.0, *max),
            ],
            mode: Some((*mode, max - min)),
        },
        Judgement::ProbabilityInterval {
            probability,
            low,
            high,
            level,
        } => Elicited {
            points: vec![
                ((1.0 - level) / 2.0, *low),
                (0.5, *probability),
                ((1.0 + level) / 2.0, *high),
            ],
            mode: None,
        },
    }
}

/// Fit every candidate family of `kind` to `judgement`.
pub fn fit_expert(kind: Kind, judgement: &Judgement) -> Result<ExpertFit, Error> {
    let Elicited { points, mode } = elicited(judgement);
    let fits = Family::candidates(kind)
        .iter()
        .map(|&family| fit_family(family, &points, mode))
        .collect::<Result<Vec<_>, _>>()?;
    let best = fits
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.sum_of_squares.total_cmp(&b.1.sum_of_squares))
        .map_or(0, |(i, _)| i);
    Ok(ExpertFit { fits, best })
}

/// The residuals F(xᵢ) − pᵢ (and the scaled mode residual) of `distribution`.
fn residuals(
    distribution: &Distribution,
    points: &[(f64, f64)],
    mode: Option<(f64, f64)>,
) -> Vec<f64> {
    let mut r: Vec<f64> = points
        .iter()
        .map(|&(p, x)| distribution.cdf(x) - p)
        .collect();
    if let Some((m, range)) = mode {
        r.push((distribution.mode() - m) / range);
    }
    r
}

/// Least squares of one family to the points, from a start by moments of a normal read off
/// the points.
pub fn fit_family(
    family: Family,
    points: &[(f64, f64)],
    mode: Option<(f64, f64)>,
) -> Result<FamilyFit, Error> {
    let start = family.coordinates(start(family, points));
    // Wide boxes: shapes from e^-12 to e^12 (beyond, the CDFs' series take ever longer and a
    // judgement that needs them is a spike the report's fit error shows), rates and scales from
    // e^-30 to e^30, locations within what a judgement file can hold (bounded at validation).
    let bounds: Vec<(f64, f64)> = match family {
        Family::Beta => vec![(-12.0, 12.0), (-12.0, 12.0)],
        Family::Gamma => vec![(-12.0, 12.0), (-30.0, 30.0)],
        // sdlog at most e³ ≈ 20 (a factor e²⁰ per standard deviation): beyond, the mean
        // e^(μ + σ²/2) overflows.
        Family::Lognormal => vec![(-700.0, 28.0), (-30.0, 3.0)],
        Family::Normal | Family::StudentT => vec![(-1e12, 1e12), (-30.0, 30.0)],
    };
    let residuals_at = |z: &[f64]| -> Result<Vec<f64>, Error> {
        let d = Distribution::new(family, family.parameters(z));
        let r = residuals(&d, points, mode);
        // A non-finite CDF (parameters statrs refuses) is a very bad fit, not an error: the
        // minimiser steps back from it.
        Ok(r.into_iter()
            .map(|v| if v.is_finite() { v } else { 1e3 })
            .collect())
    };
    let jacobian = |z: &[f64], _r: &[f64]| -> Result<DMatrix<f64>, Error> {
        let mut j = DMatrix::zeros(points.len() + usize::from(mode.is_some()), z.len());
        for k in 0..z.len() {
            let h = 1e-6 * z[k].abs().max(1.0);
            let mut up = z.to_vec();
            let mut down = z.to_vec();
            up[k] += h;
            down[k] -= h;
            let (ru, rd) = (residuals_at(&up)?, residuals_at(&down)?);
            for (i, (u, d)) in ru.iter().zip(&rd).enumerate() {
                j[(i, k)] = (u - d) / (2.0 * h);
            }
        }
        Ok(j)
    };
    let stopping = Stopping {
        max_iterations: 500,
        relative_improvement: 1e-12,
        smallest_step: 1e-13,
    };
    let minimum =
        least_squares::minimise(&residuals_at, &jacobian, &start, None, &bounds, stopping)?;
    let distribution = Distribution::new(family, family.parameters(&minimum.x));
    if !minimum.value.is_finite() {
        return Err(Error::Internal(format!(
            "fitting a {} distribution gave a non-finite error",
            family.name()
        )));
    }
    Ok(FamilyFit {
        distribution,
        sum_of_squares: minimum.value,
    })
}

/// Starting parameters: a normal's median and standard deviation read off the outermost two
/// points, then the family's parameters with that median (or mean) and spread.
fn start(family: Family, points: &[(f64, f64)]) -> [f64; 2] {
    let standard = Normal::standard();
    let first = points.first().copied().unwrap_or((0.25, 0.0));
    let last = points.last().copied().unwrap_or((0.75, 1.0));
    let spread =
        (last.1 - first.1) / (standard.inverse_cdf(last.0) - standard.inverse_cdf(first.0));
    let sd = if spread.is_finite() && spread > 0.0 {
        spread
    } else {
        1.0
    };
    // The value nearest the median.
    let median = points
        .iter()
        .min_by(|a, b| (a.0 - 0.5).abs().total_cmp(&(b.0 - 0.5).abs()))
        .map_or(0.0, |p| {
            p.1 - sd * standard.inverse_cdf(p.0.clamp(0.001, 0.999))
        });
    match family {
        Family::Beta => {
            let m = median.clamp(0.01, 0.99);
            let variance = (sd * sd).min(0.5 * m * (1.0 - m));
            let total = m * (1.0 - m) / variance - 1.0;
            [m * total, (1.0 - m) * total]
        }
        Family::Gamma => {
            let m = median.max(1e-9 + sd * 0.1);
            [m * m / (sd * sd), m / (sd * sd)]
        }
        Family::Lognormal => {
            let m = median.max(1e-12);
            let s = (sd / m).clamp(0.01, 3.0);
            [m.ln(), s]
        }
        Family::Normal | Family::StudentT => [median, sd],
    }
}
