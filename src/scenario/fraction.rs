//! Fraction-valued keys (probabilities, shares, rates, overruns, effect multipliers) read
//! either as a number (`0.2`) or as a percentage string (`"20%"`, `"20 %"`), so that a value
//! copied from a slide or a spreadsheet is taken as meant instead of refused as "expected f64".
//! The fields keep the type `f64`: only their deserializer changes (`deserialize_with`), and
//! their schema (`#[schemars(with = "Fraction")]`) says "a number, or a string like 20%".

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserialize, Deserializer, Unexpected, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A percentage string: digits with an optional sign and decimal part, then `%`, with at most
/// one space before it (the JSON Schema pattern mirrors [`parse_percentage`]).
const PATTERN: &str = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+) ?%$";

/// `"20%"` or `"20 %"` as 0.2; `None` for anything else (no `%`, no number, not finite).
pub fn parse_percentage(text: &str) -> Option<f64> {
    let number = text.strip_suffix('%')?;
    let number = number.strip_suffix(' ').unwrap_or(number);
    // Rust's float grammar also takes "inf", "NaN" and exponents: keep to plain decimals.
    let plain = !number.is_empty()
        && number
            .trim_start_matches(['+', '-'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && number.chars().any(|c| c.is_ascii_digit());
    let value = number.parse::<f64>().ok().filter(|_| plain)? / 100.0;
    value.is_finite().then_some(value)
}

/// A fraction as written in a file: a number, or a percentage string.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fraction(pub f64);

struct FractionVisitor;

impl Visitor<'_> for FractionVisitor {
    type Value = Fraction;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number (0.2) or a percentage in quotes (\"20%\")")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Fraction, E> {
        Ok(Fraction(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Fraction, E> {
        Ok(Fraction(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Fraction, E> {
        Ok(Fraction(v as f64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Fraction, E> {
        parse_percentage(v)
            .map(Fraction)
            .ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
    }
}

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FractionVisitor)
    }
}

impl JsonSchema for Fraction {
    fn schema_name() -> Cow<'static, str> {
        "Fraction".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // `pattern` applies to strings only, a field's `minimum`/`maximum` to numbers only.
        json_schema!({ "type": ["number", "string"], "pattern": PATTERN })
    }
}

/// `deserialize_with` for a required fraction.
pub fn required<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Fraction::deserialize(deserializer).map(|f| f.0)
}

/// `deserialize_with` for an optional fraction (with `#[serde(default)]`).
pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Fraction::deserialize(deserializer).map(|f| Some(f.0))
}

/// `deserialize_with` for an optional list of fractions (with `#[serde(default)]`).
pub fn optional_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<f64>>, D::Error> {
    Vec::<Fraction>::deserialize(deserializer).map(|v| Some(v.into_iter().map(|f| f.0).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_read_as_fractions_and_nothing_else_is() {
        assert_eq!(parse_percentage("20%"), Some(0.2));
        assert_eq!(parse_percentage("20 %"), Some(0.2));
        assert_eq!(parse_percentage("12.5%"), Some(0.125));
        assert_eq!(parse_percentage("-5%"), Some(-0.05));
        assert_eq!(parse_percentage(".5%"), Some(0.005));
        for bad in [
            "20", "%", " %", "20  %", "inf%", "NaN%", "1e2%", "twenty%", "20%%",
        ] {
            assert_eq!(parse_percentage(bad), None, "{bad}");
        }
    }

    #[derive(serde::Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "optional")]
        share: Option<f64>,
        #[serde(default, deserialize_with = "optional_list")]
        range: Option<Vec<f64>>,
    }

    #[test]
    fn numbers_and_percentage_strings_deserialize_alike() {
        let read = |text: &str| toml::from_str::<Holder>(text);
        let holder = read("share = \"20%\"\nrange = [\"10 %\", 0.3]").unwrap();
        assert_eq!(holder.share, Some(0.2));
        assert_eq!(holder.range, Some(vec![0.1, 0.3]));
        assert_eq!(read("share = 1").unwrap().share, Some(1.0));
        assert_eq!(read("").unwrap().share, None);
        let message = read("share = \"20\"").err().unwrap().to_string();
        assert!(message.contains("a percentage in quotes"), "{message}");
    }
}
