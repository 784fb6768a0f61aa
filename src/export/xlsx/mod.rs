//! Excel workbooks (`--format xlsx`, written with rust_xlsxwriter): one sheet per table, every
//! figure a numeric cell with a number format (shares `0.0%`, money `#,##0` with the currency
//! in the header, years `0.0`), the header row bold and frozen, an autofilter on each table,
//! and columns sized to their contents.
//!
//! The same input gives the same bytes: the zip entries carry a fixed time (rust_xlsxwriter's
//! default) and the document's creation date is `SOURCE_DATE_EPOCH`'s day when set, else
//! today's (so reruns of a seed on one day are identical; set `SOURCE_DATE_EPOCH` to pin it).
//!
//! A workbook is binary, so it is refused on a terminal ([`check_destination`]); a pipe or a
//! file is fine. Every text cell goes through [`safe_text`](super::csv::safe_text): a name from
//! a client's file stays text if the sheet is ever saved as CSV.

mod charts;
mod document;
mod grid;
mod inputs;
mod presentation;
mod report;

use super::{Document, Exporter, FactorList, Format, View};
use crate::analysis::Report;
use crate::analysis::report::Unit;
use crate::error::Error;
use rust_xlsxwriter as xl;
use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

pub use presentation::{MAX_TRIAL_ROWS, presentation_workbook};

pub struct XlsxExporter;

impl Exporter for XlsxExporter {
    fn report(&self, report: &Report, view: View, out: &mut dyn Write) -> std::io::Result<()> {
        let mut book = Book::new("crmcast report")?;
        report::report_sheets(&mut book, report, view)?;
        out.write_all(&book.finish()?)
    }
    fn factors(&self, list: &FactorList, out: &mut dyn Write) -> std::io::Result<()> {
        let mut book = Book::new("crmcast factors")?;
        report::factor_sheet(&mut book, list)?;
        out.write_all(&book.finish()?)
    }
    fn document(&self, document: &Document, out: &mut dyn Write) -> std::io::Result<()> {
        let mut book = Book::new(&document.title)?;
        document::document_sheets(&mut book, document)?;
        out.write_all(&book.finish()?)
    }
}

/// rust_xlsxwriter's errors (a row past Excel's limit, a string over 32,767 characters) as the
/// exporters' I/O error, saying what failed.
fn io_error(e: xl::XlsxError) -> std::io::Error {
    std::io::Error::other(format!("cannot build the Excel workbook: {e}"))
}

/// Refuse a workbook on a terminal: its bytes would garble the screen. Call before any work.
pub fn check_destination(format: Format, output: Option<&Path>) -> Result<(), Error> {
    use std::io::IsTerminal;
    refuse_terminal(format, output, std::io::stdout().is_terminal())
}

/// The decision behind [`check_destination`], with the terminal test passed in (testable).
pub fn refuse_terminal(
    format: Format,
    output: Option<&Path>,
    stdout_is_terminal: bool,
) -> Result<(), Error> {
    let to_stdout = output.is_none_or(|p| p == Path::new("-"));
    if format == Format::Xlsx && to_stdout && stdout_is_terminal {
        return Err(Error::BadOption {
            option: "--format".into(),
            message: "an Excel workbook is binary and standard output is a terminal".into(),
            fix: "add --output file.xlsx (or pipe it: … --output - > file.xlsx)".into(),
        });
    }
    Ok(())
}

/// How a number reads in its cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// A probability or a fraction: `0.0%`.
    Percent,
    /// A difference of shares: `+0.0%`.
    SignedPercent,
    /// An amount: `#,##0` (the currency is in the header).
    Money,
    /// A difference of amounts: `+#,##0`.
    SignedMoney,
    Years,
    /// A count (trials, projects): `#,##0`.
    Count,
    /// A fixed number of decimals (0 to 6), for model parameters and parsed text.
    Fixed(u8),
    /// Excel's General (whatever precision the number has).
    General,
}

impl Style {
    pub(crate) fn of(unit: Unit) -> Style {
        match unit {
            Unit::Probability | Unit::Fraction => Style::Percent,
            Unit::Money => Style::Money,
            Unit::Years => Style::Years,
            Unit::Ratio => Style::Fixed(2),
        }
    }

    /// The style of a difference in `unit` (signed).
    pub(crate) fn signed(unit: Unit) -> Style {
        match unit {
            Unit::Probability | Unit::Fraction => Style::SignedPercent,
            Unit::Money => Style::SignedMoney,
            Unit::Years => Style::Years,
            Unit::Ratio => Style::Fixed(2),
        }
    }

    const ALL: [Style; 14] = [
        Style::Percent,
        Style::SignedPercent,
        Style::Money,
        Style::SignedMoney,
        Style::Years,
        Style::Count,
        Style::Fixed(0),
        Style::Fixed(1),
        Style::Fixed(2),
        Style::Fixed(3),
        Style::Fixed(4),
        Style::Fixed(5),
        Style::Fixed(6),
        Style::General,
    ];

    fn code(self) -> &'static str {
        match self {
            Style::Percent => "0.0%",
            Style::SignedPercent => "+0.0%;-0.0%;0.0%",
            Style::Money | Style::Count => "#,##0",
            Style::SignedMoney => "+#,##0;-#,##0;0",
            Style::Years => "0.0",
            Style::Fixed(0) => "0",
            Style::Fixed(1) => "0.0",
            Style::Fixed(2) => "0.00",
            Style::Fixed(3) => "0.000",
            Style::Fixed(4) => "0.0000",
            Style::Fixed(5) => "0.00000",
            Style::Fixed(_) => "0.000000",
            Style::General => "General",
        }
    }
}

/// One cell of a table row.
pub(crate) enum Cell<'a> {
    Text(Cow<'a, str>),
    Number(f64, Style),
    Blank,
}

impl<'a> Cell<'a> {
    pub(crate) fn text(text: impl Into<Cow<'a, str>>) -> Cell<'a> {
        Cell::Text(text.into())
    }
    pub(crate) fn number(x: f64, style: Style) -> Cell<'a> {
        Cell::Number(x, style)
    }
}

/// The header of a money column: the label with the currency.
pub(crate) fn money_header(label: &str, currency: &str) -> String {
    format!("{label} ({currency})")
}

/// The header for a figure in `unit`: money carries the currency, the rest their label.
pub(crate) fn unit_header(label: &str, unit: Unit, currency: &str) -> String {
    match unit {
        Unit::Money => money_header(label, currency),
        _ => label.to_string(),
    }
}

/// A workbook being built: the formats (made once, since rust_xlsxwriter hashes a format per
/// cell written) and the sheet names taken so far.
pub(crate) struct Book {
    workbook: xl::Workbook,
    header: xl::Format,
    title: xl::Format,
    numbers: Vec<(Style, xl::Format)>,
    names: Vec<String>,
}

/// Excel's limits: rows per sheet, characters per cell, characters per sheet name.
pub(crate) const EXCEL_ROWS: u32 = 1_048_576;
const EXCEL_CELL_CHARS: usize = 32_767;
const EXCEL_NAME_CHARS: usize = 31;
/// Autofit reads this many rows (enough for what is on screen; the trials sheet is long) …
const AUTOFIT_ROWS: u32 = 500;
/// … and widens a column to at most this many pixels (a long sentence wraps the screen else).
const AUTOFIT_PIXELS: u32 = 420;

impl Book {
    pub(crate) fn new(title: &str) -> std::io::Result<Book> {
        let mut workbook = xl::Workbook::new();
        let properties = xl::DocProperties::new()
            .set_title(title)
            .set_author(format!("crmcast {}", env!("CARGO_PKG_VERSION")))
            .set_creation_datetime(&creation_date().map_err(io_error)?);
        workbook.set_properties(&properties);
        Ok(Book {
            workbook,
            header: xl::Format::new()
                .set_bold()
                .set_border_bottom(xl::FormatBorder::Thin),
            title: xl::Format::new().set_bold().set_font_size(12),
            numbers: Style::ALL
                .iter()
                .map(|&s| match s {
                    // Excel's default: no custom number format to register.
                    Style::General => (s, xl::Format::new()),
                    _ => (s, xl::Format::new().set_num_format(s.code())),
                })
                .collect(),
            names: Vec::new(),
        })
    }

    /// A new sheet named `name` (made valid and unique), with an optional title line above the
    /// header row.
    pub(crate) fn sheet(
        &mut self,
        name: &str,
        title: Option<&str>,
        header: &[String],
    ) -> std::io::Result<Sheet<'_>> {
        let name = unique_name(name, &self.names);
        self.names.push(name.clone());
        let worksheet = self.workbook.add_worksheet();
        worksheet.set_name(&name).map_err(io_error)?;
        let mut row = 0;
        if let Some(title) = title {
            worksheet
                .write_string_with_format(0, 0, clip(title), &self.title)
                .map_err(io_error)?;
            row = 1;
        }
        for (col, text) in header.iter().enumerate() {
            worksheet
                .write_string_with_format(row, column(col)?, clip(text), &self.header)
                .map_err(io_error)?;
        }
        Ok(Sheet {
            worksheet,
            numbers: &self.numbers,
            header_row: row,
            next_row: row + 1,
            columns: header.len(),
        })
    }

    /// A new, empty sheet named `name` (made valid and unique), for a layout other than one
    /// table below a header (the metrics grid, the chart data, the charts).
    pub(crate) fn worksheet(&mut self, name: &str) -> std::io::Result<&mut xl::Worksheet> {
        let name = self.reserve(name);
        let worksheet = self.workbook.add_worksheet();
        worksheet.set_name(&name).map_err(io_error)?;
        Ok(worksheet)
    }

    /// Take a sheet name (made valid and unique) for a sheet built apart and added later with
    /// [`Book::push`]: charts must name the sheet of their data before it is in the workbook.
    pub(crate) fn reserve(&mut self, name: &str) -> String {
        let name = unique_name(name, &self.names);
        self.names.push(name.clone());
        name
    }

    /// Add a sheet built apart (named with a [`Book::reserve`]d name) as the next tab.
    pub(crate) fn push(&mut self, worksheet: xl::Worksheet) {
        self.workbook.push_worksheet(worksheet);
    }

    /// The number format of `style` (made once in [`Book::new`]).
    pub(crate) fn number_format(&self, style: Style) -> xl::Format {
        self.numbers
            .iter()
            .find(|(s, _)| *s == style)
            .map_or_else(xl::Format::new, |(_, f)| f.clone())
    }

    pub(crate) fn finish(mut self) -> std::io::Result<Vec<u8>> {
        self.workbook.save_to_buffer().map_err(io_error)
    }
}

/// The document's creation date: `SOURCE_DATE_EPOCH`'s day, else today (UTC).
fn creation_date() -> Result<xl::ExcelDateTime, xl::XlsxError> {
    let today = super::catalogue::today();
    let mut parts = today.split('-').map(|p| p.parse::<u16>().unwrap_or(1));
    let (year, month, day) = (
        parts.next().unwrap_or(1970),
        parts.next().unwrap_or(1),
        parts.next().unwrap_or(1),
    );
    // Excel's dates start in 1900; far-off epochs fall back to a fixed day.
    let year = if (1900..=9999).contains(&year) {
        year
    } else {
        1970
    };
    xl::ExcelDateTime::from_ymd(year, month as u8, day as u8)
}

fn column(index: usize) -> std::io::Result<u16> {
    u16::try_from(index)
        .map_err(|_| std::io::Error::other(format!("{index} columns do not fit a worksheet")))
}

/// Text cut to what a cell holds (a longer string is an error in rust_xlsxwriter).
fn clip(text: &str) -> &str {
    if text.len() <= EXCEL_CELL_CHARS {
        return text;
    }
    // Excel counts UTF-16 units; stop early enough for any text.
    let mut units = 0;
    for (i, c) in text.char_indices() {
        units += c.len_utf16();
        if units > EXCEL_CELL_CHARS {
            return &text[..i];
        }
    }
    text
}

/// A text cell as written: neutralised against formula injection (a lone `-`, a placeholder
/// for "no value", stays as it is).
pub(crate) fn safe(text: &str) -> Cow<'_, str> {
    if text.trim() == "-" {
        Cow::Borrowed(text)
    } else {
        super::csv::safe_text(text)
    }
}

/// Write `text` (made safe and clipped) at `(row, col)`, with `format` when given.
pub(crate) fn write_text(
    worksheet: &mut xl::Worksheet,
    (row, col): (u32, u16),
    text: &str,
    format: Option<&xl::Format>,
) -> std::io::Result<()> {
    let text = safe(text);
    match format {
        Some(format) => worksheet.write_string_with_format(row, col, clip(&text), format),
        None => worksheet.write_string(row, col, clip(&text)),
    }
    .map_err(io_error)?;
    Ok(())
}

/// Write a finite `x` at `(row, col)` in `format` (Excel has no NaN: such a cell stays empty;
/// -0 would read "-0").
pub(crate) fn write_number(
    worksheet: &mut xl::Worksheet,
    (row, col): (u32, u16),
    x: f64,
    format: &xl::Format,
) -> std::io::Result<()> {
    if !x.is_finite() {
        return Ok(());
    }
    let x = if x == 0.0 { 0.0 } else { x };
    worksheet
        .write_number_with_format(row, col, x, format)
        .map_err(io_error)?;
    Ok(())
}

/// A valid sheet name: no `[]:*?/\`, no apostrophe at either end, at most 31 characters, not
/// blank, and unique (case-insensitively, as Excel compares) among `taken`.
fn unique_name(wanted: &str, taken: &[String]) -> String {
    let cleaned: String = wanted
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let cleaned = cleaned.trim_matches('\'').trim();
    let base = if cleaned.is_empty() { "sheet" } else { cleaned };
    let is_taken = |name: &str| {
        taken
            .iter()
            .any(|t| t.to_lowercase() == name.to_lowercase())
    };
    // Cut at a word boundary when one is not too far back: "Rank correlation with the", not
    // "Rank correlation with the outpu".
    let cut = |text: &str, limit: usize| -> String {
        let mut out = String::new();
        let mut chars = text.chars().peekable();
        while let Some(&c) = chars.peek() {
            if out.encode_utf16().count() + c.len_utf16() > limit {
                break;
            }
            out.push(c);
            chars.next();
        }
        let mid_word = chars.peek().is_some_and(|c| !c.is_whitespace());
        if mid_word && let Some(space) = out.rfind(' ').filter(|&i| i >= limit / 2) {
            out.truncate(space);
        }
        out.trim_end().trim_end_matches('\'').to_string()
    };
    let first = cut(base, EXCEL_NAME_CHARS);
    if !is_taken(&first) {
        return first;
    }
    (2..)
        .map(|k| {
            let suffix = format!(" ({k})");
            format!("{}{suffix}", cut(base, EXCEL_NAME_CHARS - suffix.len()))
        })
        .find(|name| !is_taken(name))
        .unwrap_or_else(|| "sheet".into())
}

/// A sheet being filled row by row below its header.
pub(crate) struct Sheet<'b> {
    worksheet: &'b mut xl::Worksheet,
    numbers: &'b [(Style, xl::Format)],
    header_row: u32,
    next_row: u32,
    columns: usize,
}

impl Sheet<'_> {
    pub(crate) fn row(&mut self, cells: &[Cell]) -> std::io::Result<()> {
        let row = self.next_row;
        for (col, cell) in cells.iter().enumerate() {
            let col = column(col)?;
            match cell {
                Cell::Text(text) => {
                    self.worksheet
                        .write_string(row, col, clip(&safe(text)))
                        .map_err(io_error)?;
                }
                // Excel has no NaN or infinity: such a figure (no data) stays empty.
                Cell::Number(x, _) if !x.is_finite() => {}
                Cell::Number(x, style) => {
                    // -0 (an empty sum, say) would read "-0".
                    let x = if *x == 0.0 { 0.0 } else { *x };
                    let format = self
                        .numbers
                        .iter()
                        .find(|(s, _)| s == style)
                        .map(|(_, f)| f);
                    match format {
                        Some(format) => {
                            self.worksheet.write_number_with_format(row, col, x, format)
                        }
                        None => self.worksheet.write_number(row, col, x),
                    }
                    .map_err(io_error)?;
                }
                Cell::Blank => {}
            }
        }
        self.columns = self.columns.max(cells.len());
        self.next_row += 1;
        Ok(())
    }

    /// A note in the header row, right of the table (outside its autofilter).
    pub(crate) fn note(&mut self, text: &str) -> std::io::Result<()> {
        let col = column(self.columns + 1)?;
        self.worksheet
            .write_string(self.header_row, col, clip(text))
            .map_err(io_error)?;
        Ok(())
    }

    /// Freeze the header, filter the table (`filter`), and size the columns.
    pub(crate) fn finish(self, filter: bool) -> std::io::Result<()> {
        let first_body = self.header_row + 1;
        self.worksheet
            .set_freeze_panes(first_body, 0)
            .map_err(io_error)?;
        if filter && self.next_row > first_body && self.columns > 0 {
            self.worksheet
                .autofilter(
                    self.header_row,
                    0,
                    self.next_row - 1,
                    column(self.columns - 1)?,
                )
                .map_err(io_error)?;
        }
        self.worksheet
            .set_autofit_max_row(self.header_row + AUTOFIT_ROWS)
            .set_autofit_max_width(AUTOFIT_PIXELS)
            .autofit();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut taken = Vec::new();
        for wanted in [
            "Cost overrun: of the class [95 %]",
            "Cost overrun: of the class [95 %]",
            "'quoted'",
            "",
            "a/b\\c*d?e",
        ] {
            let name = unique_name(wanted, &taken);
            assert!(name.encode_utf16().count() <= EXCEL_NAME_CHARS, "{name}");
            assert!(
                !name.contains(['[', ']', ':', '*', '?', '/', '\\']),
                "{name}"
            );
            assert!(!name.starts_with('\'') && !name.ends_with('\''), "{name}");
            assert!(!name.is_empty());
            assert!(!taken.contains(&name), "{name} twice");
            taken.push(name);
        }
        assert_eq!(taken[0], "Cost overrun of the class 95 %");
        assert_eq!(taken[1], "Cost overrun of the class (2)");
        assert_eq!(
            unique_name("Rank correlation with the output", &[]),
            "Rank correlation with the"
        );
        assert_eq!(taken[2], "quoted");
        assert_eq!(taken[3], "sheet");
        assert_eq!(unique_name("SUMMARY", &["summary".into()]), "SUMMARY (2)");
    }

    #[test]
    fn a_workbook_goes_to_a_file_or_a_pipe_never_a_terminal() {
        let file = Some(Path::new("out.xlsx"));
        let dash = Some(Path::new("-"));
        assert!(refuse_terminal(Format::Xlsx, None, true).is_err());
        assert!(refuse_terminal(Format::Xlsx, dash, true).is_err());
        assert!(refuse_terminal(Format::Xlsx, file, true).is_ok());
        assert!(refuse_terminal(Format::Xlsx, None, false).is_ok());
        assert!(refuse_terminal(Format::Xlsx, dash, false).is_ok());
        assert!(refuse_terminal(Format::Table, None, true).is_ok());
        let message = refuse_terminal(Format::Xlsx, None, true)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.contains("--output file.xlsx"), "{message}");
    }

    #[test]
    fn overlong_text_is_clipped_to_a_cell() {
        let long = "é".repeat(EXCEL_CELL_CHARS + 10);
        assert_eq!(clip(&long).chars().count(), EXCEL_CELL_CHARS);
        assert_eq!(clip("short"), "short");
    }
}
