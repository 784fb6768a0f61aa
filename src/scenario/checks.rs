//! Field checks shared by scenario and catalogue validation. Each returns a [`Problem`] that
//! names the field, what was wrong, and the valid range; NaN and infinities (which TOML allows)
//! are refused everywhere.

use super::file::{RawDistribution, RawSeverity};
use super::source::{FieldPath, Problem};
use crate::model::{Continuous, Severity};

pub type Check<T> = Result<T, Problem>;

/// A finite number in `[low, high]`.
pub fn in_range(path: &FieldPath, value: f64, low: f64, high: f64) -> Check<f64> {
    if !value.is_finite() {
        return Err(Problem::new(
            path,
            format!("{value} is not a finite number"),
            format!("give a number between {low} and {high}"),
        ));
    }
    if value < low || value > high {
        return Err(Problem::new(
            path,
            format!("{value} is outside the valid range [{low}, {high}]"),
            format!("give a number between {low} and {high}"),
        ));
    }
    Ok(value)
}

/// A probability or share in [0, 1].
pub fn probability(path: &FieldPath, value: f64) -> Check<f64> {
    in_range(path, value, 0.0, 1.0)
}

/// A finite number strictly above `low` and at most `high`.
pub fn positive(path: &FieldPath, value: f64, high: f64) -> Check<f64> {
    if value.is_finite() && value <= 0.0 {
        return Err(Problem::new(
            path,
            format!("{value} is not positive"),
            format!("give a number above 0 and at most {high}"),
        ));
    }
    in_range(path, value, 0.0, high)
}

/// A required key of a partially given table.
pub fn required<T: Copy>(path: &FieldPath, value: Option<T>, example: &str) -> Check<T> {
    value.ok_or_else(|| {
        Problem::new(
            path,
            "this value is missing",
            format!("add it, e.g. `{example}`"),
        )
    })
}

/// A number as written in a message: plain for everyday sizes, scientific otherwise.
fn short(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-4 || x.abs() >= 1e15) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// How far past a field's limit a lognormal's largest possible draw may reach.
const TAIL_ALLOWANCE: f64 = 1000.0;

/// A continuous input distribution; `low..=high` bounds every parameter.
pub fn distribution(
    path: &FieldPath,
    raw: &RawDistribution,
    low: f64,
    high: f64,
) -> Check<Continuous> {
    let given = |v: Option<f64>, key: &str| -> Check<Option<f64>> {
        v.map(|v| in_range(&path.key(key), v, low, high))
            .transpose()
    };
    let value = given(raw.value, "value")?;
    let min = given(raw.min, "min")?;
    let mode = given(raw.mode, "mode")?;
    let max = given(raw.max, "max")?;
    let low_q = given(raw.low, "low")?;
    let high_q = given(raw.high, "high")?;
    let shapes = "write one of { value = V }, { min = A, max = B }, { min = A, mode = M, max = B } or { low = L, high = H, confidence = 0.9 }";
    match (value, min, mode, max, low_q, high_q) {
        (Some(value), None, None, None, None, None) if raw.confidence.is_none() => {
            Ok(Continuous::Fixed { value })
        }
        (None, Some(min), None, Some(max), None, None) if raw.confidence.is_none() => {
            ordered(path, &[("min", min), ("max", max)])?;
            Ok(Continuous::Uniform { min, max })
        }
        (None, Some(min), Some(mode), Some(max), None, None) if raw.confidence.is_none() => {
            ordered(path, &[("min", min), ("mode", mode), ("max", max)])?;
            Ok(Continuous::Triangular { min, mode, max })
        }
        (None, None, None, None, Some(l), Some(h)) => {
            let confidence = match raw.confidence {
                Some(c) => in_range(&path.key("confidence"), c, 0.5, 0.999)?,
                None => 0.9,
            };
            if l <= 0.0 || h <= l {
                return Err(Problem::new(
                    path,
                    format!("a lognormal needs 0 < low < high (got low = {l}, high = {h})"),
                    "give a positive low below high, or use { min, mode, max } for values that can be zero or negative",
                ));
            }
            let lognormal = Continuous::lognormal_from_interval(l, h, confidence);
            // A lognormal is unbounded: a very wide interval overflows to infinity in a trial's
            // far tail. The largest uniform any sampler draws is 1 − 2⁻⁵³ (about 8.2 standard
            // deviations); there the value must stay within 1000 × the field's limit — far
            // enough that ordinary intervals (a 5–30 % uplift, 90 % sure) pass, near enough that
            // every sum of such values stays finite.
            let largest = lognormal.inverse_cdf(1.0 - f64::EPSILON / 2.0);
            if !matches!(lognormal, Continuous::LogNormal { sigma, .. } if sigma > 0.0) {
                return Err(Problem::new(
                    path,
                    format!("low = {l} and high = {h} are too close together for a lognormal"),
                    "widen the interval, or use { value = V } for a fixed amount",
                ));
            }
            if largest.is_nan() || largest > TAIL_ALLOWANCE * high {
                return Err(Problem::new(
                    path,
                    format!(
                        "a lognormal from low = {} to high = {} ({confidence} sure) reaches {largest:.3e} in its far tail, beyond {TAIL_ALLOWANCE} × the limit of {high}",
                        short(l),
                        short(h)
                    ),
                    "narrow the interval (raise low or lower high), or raise confidence; or use { min, mode, max }, which stays between min and max",
                ));
            }
            Ok(lognormal)
        }
        _ => Err(Problem::new(
            path,
            "this combination of keys is not a distribution",
            shapes,
        )),
    }
}

fn ordered(path: &FieldPath, values: &[(&str, f64)]) -> Check<()> {
    for pair in values.windows(2) {
        if pair[0].1 > pair[1].1 {
            return Err(Problem::new(
                &path.key(pair[1].0),
                format!(
                    "{} = {} is below {} = {}",
                    pair[1].0, pair[1].1, pair[0].0, pair[0].1
                ),
                format!(
                    "keep {} in increasing order",
                    values.iter().map(|v| v.0).collect::<Vec<_>>().join(" ≤ ")
                ),
            ));
        }
    }
    Ok(())
}

/// A severity distribution on [0, 1].
pub fn severity(path: &FieldPath, raw: &RawSeverity) -> Check<Severity> {
    let unit = |v: Option<f64>, key: &str, example: &str| -> Check<f64> {
        let v = required(&path.key(key), v, example)?;
        probability(&path.key(key), v)
    };
    let shape = |v: Option<f64>, key: &str| -> Check<f64> {
        let v = required(&path.key(key), v, &format!("{key} = 2.0"))?;
        in_range(&path.key(key), v, 0.05, 100.0)
    };
    let severity = match raw.kind.as_str() {
        "fixed" => Severity::Fixed {
            value: unit(raw.value, "value", "value = 0.5")?,
        },
        "uniform" => {
            let (min, max) = (
                unit(raw.min, "min", "min = 0.2")?,
                unit(raw.max, "max", "max = 0.8")?,
            );
            ordered(path, &[("min", min), ("max", max)])?;
            Severity::Uniform { min, max }
        }
        "triangular" => {
            let min = unit(raw.min, "min", "min = 0.1")?;
            let mode = unit(raw.mode, "mode", "mode = 0.4")?;
            let max = unit(raw.max, "max", "max = 0.9")?;
            ordered(path, &[("min", min), ("mode", mode), ("max", max)])?;
            Severity::Triangular { min, mode, max }
        }
        "kumaraswamy" => Severity::Kumaraswamy {
            a: shape(raw.a, "a")?,
            b: shape(raw.b, "b")?,
        },
        other => {
            let kinds = ["fixed", "uniform", "triangular", "kumaraswamy"];
            let hint = super::suggest::closest(other, kinds)
                .map(|k| format!("did you mean \"{k}\"? "))
                .unwrap_or_default();
            return Err(Problem::new(
                &path.key("kind"),
                format!("unknown severity kind \"{other}\""),
                format!("{hint}valid kinds: {}", kinds.join(", ")),
            ));
        }
    };
    // Keys that belong to another kind are a sign of a mistake.
    let stray = match severity {
        Severity::Fixed { .. } => raw.min.or(raw.mode).or(raw.max).or(raw.a).or(raw.b),
        Severity::Uniform { .. } => raw.value.or(raw.mode).or(raw.a).or(raw.b),
        Severity::Triangular { .. } => raw.value.or(raw.a).or(raw.b),
        Severity::Kumaraswamy { .. } => raw.value.or(raw.min).or(raw.mode).or(raw.max),
    };
    if stray.is_some() {
        return Err(Problem::new(
            path,
            format!("a \"{}\" severity has keys of another kind", raw.kind),
            "fixed takes value; uniform min, max; triangular min, mode, max; kumaraswamy a, b",
        ));
    }
    Ok(severity)
}
