//! Numbers that look like percentages where the file takes fractions: `max_overrun = 20`
//! meant as 20 %, `probability = 30` meant as 30 %. Checked on the TOML table before
//! validation, so that the message names the key the user wrote, at its place, with the fix
//! ("max_overrun = 20: write 0.20 for 20 %"), instead of a range error on that key or, worse,
//! a consistency error on another key (`failure.overrun_at_least` below `max_overrun`).
//!
//! Values that are only odd, not impossible (`max_overrun = 2`, 200 % over) are warnings of
//! [`super::plausibility`], not errors.

use super::source::{FieldPath, Problem};

/// Any key of a table (`factors.<id>`) or any element of an array of tables.
const ANY: &str = "*";

/// A fraction-valued key: where it is, and the bound above which a number reads as a
/// percentage. A number above `from` and at most 100 is refused with the percentage fix.
struct Rule {
    path: &'static [&'static str],
    from: f64,
}

const fn rule(path: &'static [&'static str], from: f64) -> Rule {
    Rule { path, from }
}

/// Shares, probabilities and multipliers in [0, 1]: 2 or more (1.5 is more likely a slip of
/// the finger than 1.5 %, and gets the range error).
const UNIT: f64 = 2.0 - 1e-9;
/// Overrun and slip limits may exceed 1 (1.5 = 150 % over), but a success or failure limit of
/// 500 % or more is a percentage written as a number.
const LIMIT: f64 = 5.0 - 1e-9;
/// Lever uplifts may reach +1000 % (10); past that, a percentage.
const UPLIFT: f64 = 10.0;

/// Every fraction-valued key of a scenario file (docs: README "Scenario files").
const RULES: &[Rule] = &[
    rule(&["project", "discount_rate"], UNIT),
    rule(&["project", "failed_benefit_share"], UNIT),
    rule(&["project", "team_burn_share"], 10.0),
    rule(&["project", "objectives", "min_benefit_realisation"], UNIT),
    rule(&["project", "objectives", "max_overrun"], LIMIT),
    rule(&["project", "objectives", "max_slip"], LIMIT),
    rule(&["project", "failure", "benefit_realisation_below"], UNIT),
    rule(&["project", "failure", "overrun_at_least"], LIMIT),
    rule(&["project", "runaway", "base_probability"], UNIT),
    rule(&["benefits", "margin"], UNIT),
    rule(&["benefits", "churn_rate"], UNIT),
    rule(&["benefits", "levers", ANY, ANY], UPLIFT),
    rule(&["factors", ANY, "probability"], UNIT),
    rule(&["factors", ANY, "impact", "benefit"], UNIT),
    rule(&["factors", ANY, "severity", "value"], UNIT),
    rule(&["factors", ANY, "severity", "min"], UNIT),
    rule(&["factors", ANY, "severity", "mode"], UNIT),
    rule(&["factors", ANY, "severity", "max"], UNIT),
    rule(&["mitigations", ANY, "effects", ANY, "probability"], UNIT),
    rule(&["mitigations", ANY, "effects", ANY, "severity"], UNIT),
    rule(
        &["mitigations", ANY, "effects", ANY, "probability_range", ANY],
        UNIT,
    ),
    rule(
        &["mitigations", ANY, "effects", ANY, "severity_range", ANY],
        UNIT,
    ),
    rule(&["outside_view", "weight"], UNIT),
    rule(&["progress", "progress_sd"], UNIT),
    rule(&["progress", "benefit_signal_sd"], UNIT),
];

/// The first number at a fraction-valued key that reads as a percentage, as a problem at its
/// place. Only numbers are looked at: a percentage string ("20%") says what it means.
pub fn check(table: &toml::Table) -> Result<(), Problem> {
    let root = toml::Value::Table(table.clone());
    for rule in RULES {
        let mut found = Vec::new();
        walk(&root, rule.path, &FieldPath::root(), &mut found);
        for (path, shown, value) in found {
            if value > rule.from && value <= 100.0 {
                return Err(percentage(&path, &shown, value));
            }
        }
    }
    Ok(())
}

/// Every number at `pattern` below `value`, with its path and its name as the user wrote it.
fn walk(
    value: &toml::Value,
    pattern: &[&str],
    path: &FieldPath,
    found: &mut Vec<(FieldPath, String, f64)>,
) {
    let Some((head, rest)) = pattern.split_first() else {
        let number = match value {
            toml::Value::Float(x) => Some(*x),
            toml::Value::Integer(i) => Some(*i as f64),
            _ => None,
        };
        if let Some(x) = number.filter(|x| x.is_finite()) {
            found.push((path.clone(), shown_name(path), x));
        }
        return;
    };
    match value {
        toml::Value::Table(table) if *head == ANY => {
            for (key, child) in table {
                walk(child, rest, &path.key(key), found);
            }
        }
        toml::Value::Table(table) => {
            if let Some(child) = table.get(*head) {
                walk(child, rest, &path.key(head), found);
            }
        }
        toml::Value::Array(items) if *head == ANY => {
            for (i, child) in items.iter().enumerate() {
                walk(child, rest, &path.index(i), found);
            }
        }
        _ => {}
    }
}

/// The key as the user sees it on the line: `max_overrun`, `probability_range[1]`.
fn shown_name(path: &FieldPath) -> String {
    use super::source::Segment;
    let mut name = String::new();
    for segment in path.0.iter().rev() {
        match segment {
            Segment::Index(i) => name = format!("[{i}]{name}"),
            Segment::Key(key) => {
                name = format!("{key}{name}");
                break;
            }
        }
    }
    name
}

/// A number without float noise (`0.45 × 100` is 45, not 45.00000000000001): at most six
/// decimals, trailing zeros dropped.
pub fn trimmed(x: f64) -> String {
    let text = format!("{x:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.to_string()
    }
}

/// `20` as `0.20`: the fraction with at least two decimals, without float noise.
pub fn as_fraction(percent: f64) -> String {
    let mut text = format!("{:.6}", percent / 100.0);
    while text.ends_with('0') && text.len() > text.find('.').map_or(0, |i| i + 3) {
        text.pop();
    }
    text
}

pub(super) fn percentage(path: &FieldPath, shown: &str, value: f64) -> Problem {
    Problem::new(
        path,
        format!(
            "{shown} = {value}: write {} for {value} %",
            as_fraction(value)
        ),
        format!(
            "this key takes a fraction (1 = 100 %), so {value} would mean {} %; write {} or \"{value}%\"",
            trimmed(value * 100.0),
            as_fraction(value)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> Option<String> {
        let table: toml::Table = toml::from_str(text).unwrap();
        check(&table)
            .err()
            .map(|p| format!("{}: {} | {}", p.path, p.message, p.fix))
    }

    #[test]
    fn percentages_written_as_numbers_are_named_with_the_fix() {
        let got = problem("[project.objectives]\nmax_overrun = 20").unwrap();
        assert!(
            got.starts_with(
                "project.objectives.max_overrun: max_overrun = 20: write 0.20 for 20 %"
            ),
            "{got}"
        );
        let got =
            problem("[[mitigations]]\n[[mitigations.effects]]\nprobability_range = [0.2, 60]")
                .unwrap();
        assert!(
            got.starts_with("mitigations[0].effects[0].probability_range[1]: probability_range[1] = 60: write 0.60 for 60 %"),
            "{got}"
        );
        let got = problem("[factors.x]\nprobability = 12.5").unwrap();
        assert!(got.contains("write 0.125 for 12.5 %"), "{got}");
        let got = problem("[benefits.levers]\nnew_customers = { value = 15 }").unwrap();
        assert!(got.contains("value = 15: write 0.15 for 15 %"), "{got}");
        assert!(
            problem("[project]\ndiscount_rate = 8")
                .unwrap()
                .contains("write 0.08 for 8 %")
        );
    }

    #[test]
    fn fractions_limits_and_strings_pass() {
        assert_eq!(
            problem("[project.objectives]\nmax_overrun = 0.25\nmax_slip = 2"),
            None
        );
        assert_eq!(problem("[project.failure]\noverrun_at_least = 1.5"), None);
        assert_eq!(problem("[project]\ndiscount_rate = \"8%\""), None);
        assert_eq!(problem("[factors.x]\nprobability = 1"), None);
        assert_eq!(problem("[factors.x]\nprobability = 1.5"), None);
        // Beyond 100 it is no percentage either: the range check answers.
        assert_eq!(problem("[factors.x]\nprobability = 150"), None);
        assert_eq!(problem("[project]\nbudget = 20"), None);
        assert_eq!(
            problem("[benefits.levers]\nnew_customers = { value = 0.5 }"),
            None
        );
    }

    #[test]
    fn fractions_print_without_noise() {
        assert_eq!(as_fraction(20.0), "0.20");
        assert_eq!(as_fraction(7.0), "0.07");
        assert_eq!(as_fraction(12.5), "0.125");
        assert_eq!(as_fraction(100.0), "1.00");
        assert_eq!(as_fraction(33.3), "0.333");
        assert_eq!(trimmed(0.45 * 100.0), "45");
        assert_eq!(trimmed(0.7 * 12.0), "8.4");
        assert_eq!(trimmed(2.0), "2");
    }
}
