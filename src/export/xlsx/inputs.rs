//! The `Inputs` sheet: the scenario as a client reads it, in words and numbers, not TOML — the
//! tables of [`crate::presentation::inputs`] (the project, the benefits, the factors the
//! scenario changes beside the catalogue, the mitigations with their cost distributions and
//! effects in words, the effects as numbers, the strategies as their mitigations), one below
//! the other, each with its title and a sentence on how to read it. The plausibility warnings,
//! when there are any, come first.
//!
//! Every number is a numeric cell whose format carries its unit (`9 months`, `12.5%`, `× 0.80`),
//! so it computes and still reads as the page prints it.

use super::{Book, column, io_error, write_number, write_text};
use crate::analysis::presentation::Presentation;
use crate::presentation::inputs::{Cell, Inputs, Table, Unit};
use rust_xlsxwriter as xl;
use std::io::Result;

/// Column widths in characters: the first (labels), the others (figures and words; longer
/// words wrap).
const FIRST_WIDTH: f64 = 40.0;
const OTHER_WIDTH: f64 = 24.0;
/// The widest table has this many columns (the sheet sizes one more, to be safe).
const MAX_COLUMNS: u16 = 8;

/// The number format of a unit: the unit in the format, the value a plain number.
fn code(unit: Unit) -> &'static str {
    match unit {
        Unit::Money => "#,##0",
        Unit::Share => "0.0%",
        Unit::Months => "0.0 \"months\"",
        Unit::Years => "0.0 \"years\"",
        Unit::Multiplier => "\"×\" 0.00",
        Unit::Number => "0.000",
    }
}

const UNITS: [Unit; 6] = [
    Unit::Money,
    Unit::Share,
    Unit::Months,
    Unit::Years,
    Unit::Multiplier,
    Unit::Number,
];

pub(super) fn inputs_sheet(book: &mut Book, p: &Presentation, inputs: &Inputs) -> Result<()> {
    let sheet = book.worksheet("Inputs")?;
    let title = xl::Format::new().set_bold().set_font_size(12);
    let table_title = xl::Format::new().set_bold();
    let note = xl::Format::new().set_italic().set_font_color(0x59_59_59);
    let header = xl::Format::new()
        .set_bold()
        .set_border_bottom(xl::FormatBorder::Thin);
    let text = xl::Format::new()
        .set_text_wrap()
        .set_align(xl::FormatAlign::Top);
    let numbers: Vec<(Unit, xl::Format)> = UNITS
        .iter()
        .map(|&u| {
            (
                u,
                xl::Format::new()
                    .set_num_format(code(u))
                    .set_align(xl::FormatAlign::Top),
            )
        })
        .collect();

    let a = &p.assumptions;
    write_text(
        sheet,
        (0, 0),
        &format!("Inputs of the scenario \"{}\"", a.scenario),
        Some(&title),
    )?;
    write_text(
        sheet,
        (1, 0),
        &format!(
            "Factor catalogue: {} (version {}). Amounts in {}. The scenario file as given is the last sheet.",
            a.catalogue, a.catalogue_version, inputs.currency
        ),
        Some(&note),
    )?;
    let mut r = 3;
    if !inputs.warnings.is_empty() {
        write_text(
            sheet,
            (r, 0),
            "Warnings on these inputs",
            Some(&table_title),
        )?;
        r += 1;
        for warning in &inputs.warnings {
            write_text(sheet, (r, 0), warning, None)?;
            r += 1;
        }
        r += 1;
    }
    for table in inputs.tables() {
        r = write_table(
            sheet,
            r,
            table,
            [&table_title, &note, &header, &text],
            &numbers,
        )?;
        r += 1;
    }
    sheet.set_column_width(0, FIRST_WIDTH).map_err(io_error)?;
    sheet
        .set_column_range_width(1, MAX_COLUMNS, OTHER_WIDTH)
        .map_err(io_error)?;
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    Ok(())
}

/// A table at row `r`: title, note, header, rows; returns the row below it.
fn write_table(
    sheet: &mut xl::Worksheet,
    mut r: u32,
    table: &Table,
    [title, note, header, text]: [&xl::Format; 4],
    numbers: &[(Unit, xl::Format)],
) -> Result<u32> {
    write_text(sheet, (r, 0), &table.title, Some(title))?;
    if !table.note.is_empty() {
        r += 1;
        write_text(sheet, (r, 0), &table.note, Some(note))?;
    }
    r += 1;
    for (c, name) in table.columns.iter().enumerate() {
        write_text(sheet, (r, column(c)?), name, Some(header))?;
    }
    r += 1;
    if table.rows.is_empty() {
        write_text(sheet, (r, 0), "none", Some(text))?;
        return Ok(r + 1);
    }
    for row in &table.rows {
        for (c, cell) in row.iter().enumerate() {
            let at = (r, column(c)?);
            match cell {
                Cell::Empty => {}
                Cell::Text { text: t } => write_text(sheet, at, t, Some(text))?,
                Cell::Number { value, unit } => {
                    let format = numbers
                        .iter()
                        .find(|(u, _)| u == unit)
                        .map_or_else(xl::Format::new, |(_, f)| f.clone());
                    write_number(sheet, at, *value, &format)?;
                }
            }
        }
        r += 1;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_has_a_format_that_reads_its_unit() {
        for unit in UNITS {
            assert!(!code(unit).is_empty());
        }
        assert!(code(Unit::Months).contains("months"));
        assert!(code(Unit::Share).ends_with('%'));
    }
}
