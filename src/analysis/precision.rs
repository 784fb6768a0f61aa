//! Precision on demand: targets for the 95 % half-width of named metrics (`--precision`), and
//! the check of a report against them. The engine consults the check at its fixed checkpoints
//! and stops once every target is met in every strategy.

use super::Report;
use crate::error::Error;
use serde::Serialize;

/// The metrics a bare `--precision X` applies to.
pub const HEADLINE_METRICS: [&str; 3] = ["p_success", "p_failed", "p_npv_negative"];

/// One target: the metric's 95 % half-width must be at most `half_width` (or, when `relative`,
/// at most `half_width · |value|`) in every strategy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrecisionTarget {
    pub metric: String,
    pub half_width: f64,
    pub relative: bool,
}

/// A target checked against a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetCheck {
    pub metric: String,
    /// The largest half-width allowed (absolute, in the metric's unit, for the worst strategy).
    pub target: f64,
    pub relative: bool,
    /// The strategy with the widest interval relative to its target.
    pub worst_strategy: String,
    /// That strategy's 95 % half-width.
    pub achieved: f64,
    pub met: bool,
}

fn bad(message: String, fix: &str) -> Error {
    Error::BadOption {
        option: "--precision".into(),
        message,
        fix: fix.into(),
    }
}

/// Parse `0.005` or `p_success=0.002,npv_p50=5000,npv_mean=1%`. `known` lists the metric ids.
pub fn parse_targets(text: &str, known: &[&str]) -> Result<Vec<PrecisionTarget>, Error> {
    let fix = "write `--precision 0.005` or `--precision p_success=0.002,npv_p50=5000,npv_mean=1%`";
    let value = |raw: &str| -> Result<(f64, bool), Error> {
        let raw = raw.trim();
        let (number, relative) = match raw.strip_suffix('%') {
            Some(number) => (number.trim(), true),
            None => (raw, false),
        };
        let parsed: f64 = number
            .parse()
            .map_err(|_| bad(format!("`{raw}` is not a number"), fix))?;
        if !(parsed.is_finite() && parsed > 0.0) {
            return Err(bad(
                format!("`{raw}` must be a positive, finite half-width"),
                fix,
            ));
        }
        Ok(if relative {
            (parsed / 100.0, true)
        } else {
            (parsed, false)
        })
    };
    if !text.contains('=') {
        let (half_width, relative) = value(text)?;
        return Ok(HEADLINE_METRICS
            .iter()
            .map(|m| PrecisionTarget {
                metric: (*m).into(),
                half_width,
                relative,
            })
            .collect());
    }
    let mut targets: Vec<PrecisionTarget> = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let Some((metric, raw)) = part.split_once('=') else {
            return Err(bad(format!("`{part}` has no `=`"), fix));
        };
        let metric = metric.trim();
        if !known.contains(&metric) {
            let hint = crate::scenario::suggest::closest(metric, known.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(bad(
                format!("`{metric}` is not a metric{hint}"),
                "use a metric id from `crmcast run --format json` (e.g. p_success, npv_mean, overrun_p80)",
            ));
        }
        if targets.iter().any(|t| t.metric == metric) {
            return Err(bad(
                format!("`{metric}` is given twice"),
                "give each metric once",
            ));
        }
        let (half_width, relative) = value(raw)?;
        targets.push(PrecisionTarget {
            metric: metric.into(),
            half_width,
            relative,
        });
    }
    if targets.is_empty() {
        return Err(bad("no targets given".into(), fix));
    }
    Ok(targets)
}

/// Check every target in every strategy of a report.
pub fn check(report: &Report, targets: &[PrecisionTarget]) -> Vec<TargetCheck> {
    targets
        .iter()
        .map(|target| {
            let mut worst: Option<(f64, f64, f64, &str)> = None; // (ratio, half, allowed, id)
            for strategy in &report.strategies {
                let Some(estimate) = strategy.metric(&target.metric) else {
                    continue;
                };
                let half = 0.5 * (estimate.high - estimate.low);
                let allowed = if target.relative {
                    target.half_width * estimate.value.abs()
                } else {
                    target.half_width
                };
                // A NaN half-width (too few batches) never meets a target.
                let ratio = if half.is_nan() {
                    f64::INFINITY
                } else {
                    half / allowed
                };
                if worst.is_none_or(|(r, ..)| ratio > r) {
                    worst = Some((ratio, half, allowed, &strategy.id));
                }
            }
            let (ratio, achieved, allowed, id) =
                worst.unwrap_or((f64::INFINITY, f64::NAN, f64::NAN, ""));
            TargetCheck {
                metric: target.metric.clone(),
                target: allowed,
                relative: target.relative,
                worst_strategy: id.to_string(),
                achieved,
                met: ratio <= 1.0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [&str; 4] = ["p_success", "p_failed", "p_npv_negative", "npv_mean"];

    #[test]
    fn parses_bare_and_named_targets() {
        let bare = parse_targets("0.005", &KNOWN).expect("bare");
        assert_eq!(bare.len(), 3);
        assert!(bare.iter().all(|t| t.half_width == 0.005 && !t.relative));
        let named = parse_targets("p_success=0.002, npv_mean=1%", &KNOWN).expect("named");
        assert_eq!(named[0].half_width, 0.002);
        assert!(named[1].relative && (named[1].half_width - 0.01).abs() < 1e-15);
    }

    #[test]
    fn refuses_bad_targets() {
        for text in [
            "",
            "abc",
            "-1",
            "0",
            "inf",
            "NaN",
            "p_sucess=0.1",
            "p_success=0.1,p_success=0.2",
            "npv_mean",
        ] {
            assert!(parse_targets(text, &KNOWN).is_err(), "{text}");
        }
    }
}
