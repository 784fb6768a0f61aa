//! Numbers for the charts: linear scales, "nice" tick values (steps of 1, 2 or 5 times a power
//! of ten) and the text of values — SVG coordinates, percentages and compact money.
//!
//! Coordinates are rounded to two decimals so that the SVG bytes do not change with the last
//! bits of a floating-point sum (the snapshot tests pin them). Labels use the typographic minus
//! sign (U+2212) because it is as wide as the plus sign and lines up in tick columns.

/// Maps a data interval onto a pixel interval (either may be reversed, as for a y axis).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linear {
    pub domain: (f64, f64),
    pub range: (f64, f64),
}

impl Linear {
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Self {
        Linear { domain, range }
    }

    /// The pixel position of `v`; a degenerate domain maps everything to the range's start.
    pub fn map(&self, v: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        if d1 == d0 || !v.is_finite() {
            return r0;
        }
        r0 + (v - d0) / (d1 - d0) * (r1 - r0)
    }

    /// `map`, kept inside the range: a value beyond the axis is drawn at its edge instead of
    /// over the labels.
    pub fn clamped(&self, v: f64) -> f64 {
        let (r0, r1) = self.range;
        self.map(v).clamp(r0.min(r1), r0.max(r1))
    }
}

/// Tick values from `lo` to `hi` (both multiples of `step`).
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    pub lo: f64,
    pub hi: f64,
    pub step: f64,
    pub values: Vec<f64>,
}

/// Ticks covering `[min, max]` with about `target` intervals, each 1, 2 or 5 × 10ⁿ wide.
/// The returned `lo`/`hi` widen the interval to whole steps, which makes a tidy axis.
pub fn nice_ticks(min: f64, max: f64, target: usize) -> Ticks {
    let (mut min, mut max) = if min.is_finite() && max.is_finite() {
        (min.min(max), min.max(max))
    } else {
        (0.0, 1.0)
    };
    if max - min <= f64::EPSILON * max.abs().max(1.0) {
        // A single value: give it some room so the axis still means something.
        let pad = if min == 0.0 { 1.0 } else { 0.1 * min.abs() };
        min -= pad;
        max += pad;
    }
    let raw = (max - min) / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = magnitude
        * match raw / magnitude {
            n if n <= 1.0 => 1.0,
            n if n <= 2.0 => 2.0,
            n if n <= 5.0 => 5.0,
            _ => 10.0,
        };
    // The tiny slack (towards the inside) keeps a bound that is already a multiple of the step
    // from adding a step.
    let first = (min / step + 1e-9).floor() as i64;
    let last = (max / step - 1e-9).ceil() as i64;
    let values = (first..=last)
        .map(|i| tidy(i as f64 * step, step))
        .collect();
    Ticks {
        lo: tidy(first as f64 * step, step),
        hi: tidy(last as f64 * step, step),
        step,
        values,
    }
}

/// Removes floating-point noise from a multiple of `step` (`3 × 0.1` → `0.3`, `−0` → `0`).
fn tidy(v: f64, step: f64) -> f64 {
    let decimals = decimals_for(step) + 2;
    let factor = 10f64.powi(decimals as i32);
    let rounded = (v * factor).round() / factor;
    if rounded == 0.0 { 0.0 } else { rounded }
}

/// How many decimals show a multiple of `step` exactly (0.25 → 2, 5 → 0).
fn decimals_for(step: f64) -> usize {
    if !step.is_finite() || step <= 0.0 {
        return 0;
    }
    let mut decimals = 0;
    while decimals < 6 {
        let scaled = step * 10f64.powi(decimals as i32);
        if (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0) {
            break;
        }
        decimals += 1;
    }
    decimals
}

/// An SVG coordinate or length: at most two decimals, no trailing zeros.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let text = format!("{:.2}", v);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" | "" => "0".into(),
        t => t.into(),
    }
}

/// Points of a polyline (`x,y x,y …`).
pub fn points(xy: impl IntoIterator<Item = (f64, f64)>) -> String {
    xy.into_iter()
        .map(|(x, y)| format!("{},{}", num(x), num(y)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `-` replaced by the typographic minus sign.
fn minus(text: String) -> String {
    match text.strip_prefix('-') {
        Some(rest) => format!("\u{2212}{rest}"),
        None => text,
    }
}

/// A fraction as a percentage with `decimals` decimals (0.273 → "27.3 %").
pub fn percent(fraction: f64, decimals: usize) -> String {
    let value = 100.0 * fraction;
    let text = format!("{value:.decimals$}");
    // "−0 %" reads as a sign error.
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        return format!("{} %", text.trim_start_matches('-'));
    }
    format!("{} %", minus(text))
}

/// A change as a signed percentage (0.27 → "+27 %").
pub fn signed_percent(fraction: f64, decimals: usize) -> String {
    let text = percent(fraction, decimals);
    if fraction > 0.0 && !text.starts_with('0') {
        format!("+{text}")
    } else {
        text
    }
}

/// Tick labels for fractions shown as percentages, with as many decimals as the step needs.
pub fn percent_ticks(ticks: &Ticks) -> Vec<(f64, String)> {
    let decimals = decimals_for(ticks.step * 100.0);
    ticks
        .values
        .iter()
        .map(|&v| (v, percent(v, decimals)))
        .collect()
}

/// The unit an amount is shown in: (divisor, suffix).
fn money_unit(magnitude: f64) -> (f64, &'static str) {
    match magnitude.abs() {
        m if m >= 1e9 => (1e9, " bn"),
        m if m >= 1e6 => (1e6, " M"),
        m if m >= 1e3 => (1e3, " k"),
        _ => (1.0, ""),
    }
}

/// An amount with three significant digits and a unit, e.g. "EUR 1.25 M", "EUR −830 k".
pub fn money(amount: f64, currency: &str) -> String {
    if !amount.is_finite() {
        return format!("{currency} n/a");
    }
    let (divisor, suffix) = money_unit(amount);
    let scaled = amount / divisor;
    let decimals = match scaled.abs() {
        a if a >= 99.95 => 0,
        a if a >= 9.995 => 1,
        _ => 2,
    };
    let mut text = format!("{scaled:.decimals$}");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if text == "-0" {
        text = "0".into();
    }
    format!("{currency} {}{suffix}", minus(text))
}

/// Tick labels for amounts, all in the same unit (chosen by the largest tick): "−2 M", "0",
/// "2 M". The currency goes in the axis title.
pub fn money_ticks(ticks: &Ticks) -> Vec<(f64, String)> {
    let (divisor, suffix) = money_unit(ticks.lo.abs().max(ticks.hi.abs()));
    let decimals = decimals_for(ticks.step / divisor).min(3);
    ticks
        .values
        .iter()
        .map(|&v| {
            let text = format!("{:.decimals$}", v / divisor);
            let label = if v == 0.0 {
                "0".to_string()
            } else {
                format!("{}{suffix}", minus(text))
            };
            (v, label)
        })
        .collect()
}

/// A rough width of `text` in pixels at `size` (DejaVu Sans averages about 0.6 em a
/// character); used to lay out legends and margins without measuring fonts.
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.6
}

/// `text` with its first letter in upper case (for an axis title made from a label).
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `text` cut to at most `max` characters, with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_use_steps_of_one_two_or_five() {
        let t = nice_ticks(0.0, 1.0, 5);
        assert_eq!(t.step, 0.2);
        assert_eq!(t.values, vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let t = nice_ticks(-1_234_567.0, 3_456_789.0, 5);
        assert_eq!(t.step, 1_000_000.0);
        assert_eq!((t.lo, t.hi), (-2_000_000.0, 4_000_000.0));
        let t = nice_ticks(0.013, 0.087, 4);
        assert_eq!(t.step, 0.02);
        assert_eq!(t.values, vec![0.0, 0.02, 0.04, 0.06, 0.08, 0.1]);
        let t = nice_ticks(-2e6, 4e6, 8);
        assert_eq!((t.lo, t.hi, t.step), (-2e6, 4e6, 1e6));
        let t = nice_ticks(3.0, 97.0, 10);
        assert_eq!(t.step, 10.0);
        assert_eq!((t.lo, t.hi), (0.0, 100.0));
    }

    #[test]
    fn ticks_survive_degenerate_input() {
        let t = nice_ticks(5.0, 5.0, 5);
        assert!(t.lo < 5.0 && t.hi > 5.0);
        let t = nice_ticks(0.0, 0.0, 5);
        assert!(t.lo < 0.0 && t.hi > 0.0);
        let t = nice_ticks(f64::NAN, 1.0, 5);
        assert_eq!((t.lo, t.hi), (0.0, 1.0));
        let t = nice_ticks(1.0, 0.0, 5);
        assert_eq!((t.lo, t.hi), (0.0, 1.0));
        assert!(
            t.values
                .iter()
                .all(|v| !(v.is_sign_negative() && *v == 0.0))
        );
    }

    #[test]
    fn coordinates_have_at_most_two_decimals() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.234_567), "1.23");
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(points([(1.0, 2.005), (3.333, 4.0)]), "1,2 3.33,4");
    }

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(percent(0.273, 1), "27.3 %");
        assert_eq!(percent(-0.05, 0), "\u{2212}5 %");
        assert_eq!(percent(-0.0001, 1), "0.0 %");
        assert_eq!(signed_percent(0.27, 0), "+27 %");
        assert_eq!(signed_percent(0.0, 0), "0 %");
        let labels = percent_ticks(&nice_ticks(0.0, 0.01, 5));
        assert_eq!(labels[1].1, "0.2 %");
        let labels = percent_ticks(&nice_ticks(-0.2, 0.6, 4));
        let texts: Vec<_> = labels.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["\u{2212}20 %", "0 %", "20 %", "40 %", "60 %"]);
    }

    #[test]
    fn money_is_compact_with_three_significant_digits() {
        assert_eq!(money(1_250_000.0, "EUR"), "EUR 1.25 M");
        assert_eq!(money(1_200_000.0, "EUR"), "EUR 1.2 M");
        assert_eq!(money(-830_400.0, "EUR"), "EUR \u{2212}830 k");
        assert_eq!(money(12_345_678.0, "USD"), "USD 12.3 M");
        assert_eq!(money(2.5e9, "EUR"), "EUR 2.5 bn");
        assert_eq!(money(512.0, "EUR"), "EUR 512");
        assert_eq!(money(0.0, "EUR"), "EUR 0");
        assert_eq!(money(f64::NAN, "EUR"), "EUR n/a");
    }

    #[test]
    fn money_ticks_share_one_unit() {
        let labels = money_ticks(&nice_ticks(-1_000_000.0, 2_500_000.0, 5));
        let texts: Vec<_> = labels.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["\u{2212}1 M", "0", "1 M", "2 M", "3 M"]);
        let labels = money_ticks(&nice_ticks(0.0, 1_500_000.0, 6));
        let texts: Vec<_> = labels.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["0", "0.5 M", "1.0 M", "1.5 M"]);
    }

    #[test]
    fn scales_map_and_clamp() {
        let s = Linear::new((0.0, 10.0), (100.0, 0.0));
        assert_eq!(s.map(2.5), 75.0);
        assert_eq!(s.clamped(20.0), 0.0);
        assert_eq!(Linear::new((1.0, 1.0), (5.0, 9.0)).map(3.0), 5.0);
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("a rather long input name", 10), "a rather …");
        assert_eq!(capitalised("expected NPV"), "Expected NPV");
        assert_eq!(capitalised(""), "");
    }
}
