//! The workbook of an analysis command's [`Document`] (calibrate, sensitivity, optimize,
//! value-of-information, reference-class): one sheet per section, with its title above the
//! table and every cell that reads as a number (`27.5 %`, `1,471`, `0.0501`, `-3.2 %`,
//! `1.5 y`) written as a number in the matching format; then a `data` sheet with the command's
//! tidy CSV table, its numbers as numbers.
//!
//! The sections hold text already formatted for the terminal, so the numbers are read back from
//! it: that keeps one source of rows for every format. Anything else (intervals `[a, b]`, `±`
//! half-widths, words) stays text.

use super::{Book, Cell, Style};
use crate::export::Document;
use std::io::Result;

pub(super) fn document_sheets(book: &mut Book, document: &Document) -> Result<()> {
    for (k, section) in document.sections.iter().enumerate() {
        let name = short_name(&section.title).unwrap_or_else(|| format!("section {}", k + 1));
        let mut sheet = book.sheet(&name, Some(&section.title), &section.header)?;
        for row in &section.rows {
            let cells: Vec<Cell> = row.iter().map(|text| parse(text)).collect();
            sheet.row(&cells)?;
        }
        sheet.finish(section.header.len() > 1)?;
    }
    if !document.csv_header.is_empty() {
        let mut sheet = book.sheet("data", None, &document.csv_header)?;
        for row in &document.csv_rows {
            let cells: Vec<Cell> = row.iter().map(|text| parse_plain(text)).collect();
            sheet.row(&cells)?;
        }
        sheet.finish(true)?;
    }
    Ok(())
}

/// A sheet name from a section title: the words before its first `:`, `(` or ` — `.
fn short_name(title: &str) -> Option<String> {
    let end = [": ", " (", " — ", " ["]
        .iter()
        .filter_map(|p| title.find(p))
        .min()
        .unwrap_or(title.len());
    let name = title[..end].trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// A cell of formatted text: a number in its format when it reads as one, else the text.
fn parse(text: &str) -> Cell<'_> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed == "–" || trimmed == "-" {
        return if trimmed.is_empty() {
            Cell::Blank
        } else {
            Cell::text(text)
        };
    }
    let signed = trimmed.starts_with('+');
    if let Some(rest) = trimmed.strip_suffix('%') {
        if let Some((x, _)) = number(rest.trim_end()) {
            let style = if signed {
                Style::SignedPercent
            } else {
                Style::Percent
            };
            return Cell::number(x / 100.0, style);
        }
    } else if let Some(rest) = trimmed.strip_suffix(" y") {
        if let Some((x, _)) = number(rest) {
            return Cell::number(x, Style::Years);
        }
    } else if let Some((x, style)) = number(trimmed) {
        return Cell::number(x, style);
    }
    Cell::text(text)
}

/// A number as the text tables write it: optional sign (`+`, `-` or `−`), digits grouped by
/// commas in threes or not at all, an optional decimal part; with the format that shows it the
/// same way. Scientific notation, `inf` and `NaN` are not numbers here.
fn number(text: &str) -> Option<(f64, Style)> {
    let unsigned = text
        .strip_prefix('+')
        .or_else(|| text.strip_prefix('-'))
        .or_else(|| text.strip_prefix('−'))
        .unwrap_or(text);
    let negative = unsigned.len() != text.len() && !text.starts_with('+');
    let (whole, decimals) = match unsigned.split_once('.') {
        Some((w, d)) => (w, Some(d)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let groups: Vec<&str> = whole.split(',').collect();
    let grouped = groups.len() > 1;
    let well_grouped = groups
        .iter()
        .enumerate()
        .all(|(i, g)| digits(g) && (i == 0 && g.len() <= 3 || i > 0 && g.len() == 3));
    if !(if grouped { well_grouped } else { digits(whole) }) {
        return None;
    }
    if decimals.is_some_and(|d| !digits(d)) {
        return None;
    }
    let plain = format!("{}.{}", groups.concat(), decimals.unwrap_or("0"));
    let magnitude: f64 = plain.parse().ok()?;
    let x = if negative { -magnitude } else { magnitude };
    let places = decimals.map_or(0, |d| d.len().min(6) as u8);
    let style = match (grouped, places) {
        (true, 0) => Style::Count,
        (_, places) => Style::Fixed(places),
    };
    Some((x, style))
}

/// A CSV value: a number (as written, full precision) when it parses as a finite one.
fn parse_plain(text: &str) -> Cell<'_> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Cell::Blank;
    }
    let numeric = trimmed
        .bytes()
        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        && trimmed.bytes().any(|b| b.is_ascii_digit());
    match trimmed.parse::<f64>() {
        Ok(x) if numeric && x.is_finite() => Cell::number(x, Style::General),
        _ => Cell::text(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(cell: Cell) -> Option<(f64, Style)> {
        match cell {
            Cell::Number(x, style) => Some((x, style)),
            _ => None,
        }
    }

    #[test]
    fn formatted_numbers_are_read_back_with_their_format() {
        let close = |text: &str, want: f64, style: Style| {
            let (x, s) = value(parse(text)).unwrap_or((f64::NAN, Style::General));
            assert!((x - want).abs() < 1e-12, "{text}: {x} ≠ {want}");
            assert_eq!(s, style, "{text}");
        };
        close("27.5 %", 0.275, Style::Percent);
        close("-2.5 %", -0.025, Style::Percent);
        close("+12.0 %", 0.12, Style::SignedPercent);
        close("1,471", 1471.0, Style::Count);
        close("-1,234,567", -1_234_567.0, Style::Count);
        close("−3.25", -3.25, Style::Fixed(2));
        close("0.0501", 0.0501, Style::Fixed(4));
        close("1471", 1471.0, Style::Fixed(0));
        close("1.50 y", 1.5, Style::Years);
    }

    #[test]
    fn other_text_stays_text() {
        for text in [
            "[-2.5 %, 2.6 %]",
            "± 0.01",
            "P80",
            "698–774 (95.3 %)",
            "1,2",
            "12,34",
            "1.2.3",
            "NaN",
            "inf",
            "1e5",
            "–",
            "yes",
        ] {
            assert!(value(parse(text)).is_none(), "{text} read as a number");
        }
        assert!(matches!(parse("  "), Cell::Blank));
    }

    #[test]
    fn csv_values_keep_full_precision() {
        assert_eq!(
            value(parse_plain("0.27456014888800917")).map(|v| v.0),
            Some(0.27456014888800917)
        );
        assert_eq!(value(parse_plain("-1e-3")).map(|v| v.0), Some(-0.001));
        assert!(value(parse_plain("NaN")).is_none());
        assert!(value(parse_plain("inf")).is_none());
        assert!(value(parse_plain("reconstructed")).is_none());
        assert!(matches!(parse_plain(""), Cell::Blank));
    }

    #[test]
    fn sheet_names_come_from_the_words_before_the_details() {
        assert_eq!(
            short_name("Required uplift (Flyvbjerg): the budget increase").as_deref(),
            Some("Required uplift")
        );
        assert_eq!(
            short_name("Reference class").as_deref(),
            Some("Reference class")
        );
        assert_eq!(short_name(": nothing first"), None);
    }
}
