//! Number formatting shared by every command's document: values in their unit, standard
//! errors, money with thousands separators, signed differences and intervals.

use crate::analysis::report::{Estimate, Unit};

/// A value in its unit: percentages with one decimal, money with thousands separators.
pub fn value(unit: Unit, x: f64) -> String {
    match unit {
        Unit::Probability | Unit::Fraction => format!("{:.1} %", 100.0 * x),
        Unit::Money => money(x),
        Unit::Years if x >= 1e3 => "never".into(),
        Unit::Years => format!("{x:.2} y"),
        Unit::Ratio => format!("{x:.2}"),
    }
}

/// A standard error in the value's unit (percentage points for shares).
pub fn error(unit: Unit, se: f64) -> String {
    match unit {
        Unit::Probability | Unit::Fraction => format!("{:.1}", 100.0 * se),
        Unit::Money => money(se),
        Unit::Years | Unit::Ratio => format!("{se:.2}"),
    }
}

pub use crate::analysis::amount::money;

pub fn with_error(unit: Unit, e: &Estimate) -> String {
    format!("{} ± {}", value(unit, e.value), error(unit, e.se))
}

pub fn signed(unit: Unit, x: f64) -> String {
    let text = match unit {
        Unit::Probability | Unit::Fraction => format!("{:.1} pt", 100.0 * x),
        _ => value(unit, x),
    };
    if x > 0.0 { format!("+{text}") } else { text }
}

pub fn interval(unit: Unit, e: &Estimate) -> String {
    format!(
        "{} [{}, {}]",
        signed(unit, e.value),
        signed(unit, e.low),
        signed(unit, e.high)
    )
}
