//! The `Metrics` sheet: metrics as rows, strategies as columns, as a risk analyst reads a
//! results table. Each figure has its 95 % interval in the two rows below it (grouped, so that
//! Excel's outline buttons fold them away), which keeps one column per strategy: six strategies
//! fit a laptop screen without scrolling sideways. In the compare view the differences to the
//! baseline (common random numbers) and P(NPV beats baseline) follow the metrics in the same
//! layout, empty under the baseline.
//!
//! Every figure is a number in its unit's format; the header (strategy names, their role, their
//! mitigations) and the metric column are frozen.

use super::report::NEVER_YEARS;
use super::{Book, Style, column, io_error, unit_header, write_number, write_text};
use crate::analysis::report::{Estimate, Report, StrategyReport, Unit};
use crate::export::View;
use rust_xlsxwriter as xl;
use std::io::Result;

/// The rows above the figures: title, strategy names, role, mitigations.
pub(super) const HEADER_ROWS: u32 = 4;
/// Column widths in characters: the metric labels, and each strategy.
const LABEL_WIDTH: f64 = 46.0;
const STRATEGY_WIDTH: f64 = 17.0;

/// One row of the grid: a label and, per strategy, the estimate (if any) in `style`.
struct GridRow<'a> {
    label: String,
    style: Style,
    unit: Unit,
    estimates: Vec<Option<&'a Estimate>>,
}

pub(super) fn metrics_sheet(book: &mut Book, report: &Report, view: View) -> Result<()> {
    let currency = report.run.currency.as_str();
    let base = report.baseline();
    let mut rows: Vec<GridRow> = base
        .metrics
        .iter()
        .map(|m| GridRow {
            label: unit_header(m.label, m.unit, currency),
            style: Style::of(m.unit),
            unit: m.unit,
            estimates: report.strategies.iter().map(|s| s.metric(m.id)).collect(),
        })
        .collect();
    let differences = report
        .strategies
        .iter()
        .find(|s| !s.baseline)
        .map(|s| s.versus_baseline.as_slice())
        .unwrap_or_default();
    let compare = view == View::Compare && !differences.is_empty();
    let first_difference = rows.len();
    if compare {
        for d in differences {
            rows.push(GridRow {
                label: format!("Δ {} vs baseline", unit_header(d.label, d.unit, currency)),
                style: Style::signed(d.unit),
                unit: d.unit,
                estimates: report
                    .strategies
                    .iter()
                    .map(|s| s.difference(d.id))
                    .collect(),
            });
        }
        rows.push(GridRow {
            label: "P(NPV beats baseline)".into(),
            style: Style::Percent,
            unit: Unit::Probability,
            estimates: report
                .strategies
                .iter()
                .map(|s| s.p_beats_baseline.as_ref())
                .collect(),
        });
    }

    let formats = Formats::new(book);
    let sheet = book.worksheet("Metrics")?;
    header(sheet, report, &formats)?;
    let mut r = HEADER_ROWS;
    for (k, row) in rows.iter().enumerate() {
        if compare && k == first_difference {
            write_text(
                sheet,
                (r, 0),
                "Differences to the baseline, on the same trials",
                Some(&formats.bold),
            )?;
            r += 1;
        }
        write_text(sheet, (r, 0), &row.label, Some(&formats.label))?;
        write_text(sheet, (r + 1, 0), "95 % low", Some(&formats.interval_label))?;
        write_text(
            sheet,
            (r + 2, 0),
            "95 % high",
            Some(&formats.interval_label),
        )?;
        let value = formats.value(row.style);
        let interval = formats.interval(row.style);
        for (s, estimate) in row.estimates.iter().enumerate() {
            let Some(e) = estimate else { continue };
            let col = column(s + 1)?;
            figure(sheet, (r, col), row.unit, e.value, &value, &formats)?;
            figure(sheet, (r + 1, col), row.unit, e.low, &interval, &formats)?;
            figure(sheet, (r + 2, col), row.unit, e.high, &interval, &formats)?;
        }
        sheet.group_rows(r + 1, r + 2).map_err(io_error)?;
        r += 3;
    }
    sheet.set_freeze_panes(HEADER_ROWS, 1).map_err(io_error)?;
    sheet.set_column_width(0, LABEL_WIDTH).map_err(io_error)?;
    let last = column(report.strategies.len())?;
    sheet
        .set_column_range_width(1, last.max(1), STRATEGY_WIDTH)
        .map_err(io_error)?;
    // Print on one page wide, the header repeated on each page.
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet
        .set_repeat_rows(0, HEADER_ROWS - 1)
        .map_err(io_error)?;
    Ok(())
}

/// A figure in its cell: a number, or `never` for a payback that does not happen.
fn figure(
    sheet: &mut xl::Worksheet,
    at: (u32, u16),
    unit: Unit,
    x: f64,
    format: &xl::Format,
    formats: &Formats,
) -> Result<()> {
    if unit == Unit::Years && x >= NEVER_YEARS {
        write_text(sheet, at, "never", Some(&formats.text_right))
    } else {
        write_number(sheet, at, x, format)
    }
}

/// Title; strategy names; their role (baseline, recommended); their mitigations.
fn header(sheet: &mut xl::Worksheet, report: &Report, formats: &Formats) -> Result<()> {
    write_text(
        sheet,
        (0, 0),
        &format!(
            "Metrics by strategy — {} trials; each figure with its 95 % interval below it",
            thousands(report.run.trials)
        ),
        Some(&formats.title),
    )?;
    write_text(sheet, (1, 0), "metric", Some(&formats.header))?;
    write_text(sheet, (2, 0), "role", Some(&formats.label))?;
    write_text(sheet, (3, 0), "mitigations", Some(&formats.label_rule))?;
    for (s, strategy) in report.strategies.iter().enumerate() {
        let col = column(s + 1)?;
        write_text(sheet, (1, col), &strategy.name, Some(&formats.header))?;
        write_text(
            sheet,
            (2, col),
            &role(report, strategy),
            Some(&formats.wrap),
        )?;
        let mitigations = if strategy.mitigations.is_empty() {
            "none".to_string()
        } else {
            strategy.mitigations.join(", ")
        };
        write_text(sheet, (3, col), &mitigations, Some(&formats.wrap_rule))?;
    }
    Ok(())
}

fn role(report: &Report, s: &StrategyReport) -> String {
    let recommended = s.id == report.decision.recommended;
    match (s.baseline, recommended) {
        (true, true) => "baseline, recommended",
        (true, false) => "baseline",
        (false, true) => "recommended",
        (false, false) => "",
    }
    .to_string()
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The grid's formats: the figures in their number formats, the interval rows in grey italics.
struct Formats {
    title: xl::Format,
    header: xl::Format,
    bold: xl::Format,
    label: xl::Format,
    label_rule: xl::Format,
    interval_label: xl::Format,
    wrap: xl::Format,
    wrap_rule: xl::Format,
    text_right: xl::Format,
    numbers: Vec<(Style, xl::Format)>,
}

const GREY: u32 = 0x59_59_59;

impl Formats {
    fn new(book: &Book) -> Formats {
        let rule = |f: xl::Format| f.set_border_bottom(xl::FormatBorder::Thin);
        Formats {
            title: xl::Format::new().set_bold().set_font_size(12),
            header: rule(
                xl::Format::new()
                    .set_bold()
                    .set_text_wrap()
                    .set_align(xl::FormatAlign::Top),
            ),
            bold: xl::Format::new().set_bold(),
            label: xl::Format::new(),
            label_rule: rule(xl::Format::new()),
            interval_label: xl::Format::new()
                .set_italic()
                .set_font_color(GREY)
                .set_indent(2),
            wrap: xl::Format::new()
                .set_text_wrap()
                .set_align(xl::FormatAlign::Top),
            wrap_rule: rule(
                xl::Format::new()
                    .set_text_wrap()
                    .set_align(xl::FormatAlign::Top)
                    .set_font_size(9),
            ),
            text_right: xl::Format::new().set_align(xl::FormatAlign::Right),
            numbers: Style::ALL
                .iter()
                .map(|&s| (s, book.number_format(s)))
                .collect(),
        }
    }

    fn value(&self, style: Style) -> xl::Format {
        self.numbers
            .iter()
            .find(|(s, _)| *s == style)
            .map_or_else(xl::Format::new, |(_, f)| f.clone())
    }

    fn interval(&self, style: Style) -> xl::Format {
        self.value(style).set_italic().set_font_color(GREY)
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn counts_read_with_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(20_000), "20,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
