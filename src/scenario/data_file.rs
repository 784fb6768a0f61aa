//! Data files (CSV) that users bring: past projects for `calibrate --data`, a reference class for
//! `reference-class --data` and a scenario's `[outside_view] data`. One place opens them (size
//! limit, header) and reports bad cells: every problem with its row and column, none dropped.

use crate::error::Error;
use crate::input;
use std::path::Path;

/// Data files are refused beyond this size (counted in bytes read).
pub const MAX_DATA_BYTES: u64 = input::MAX_CSV_BYTES;
/// Problems listed before "… and N more".
pub const LISTED_PROBLEMS: usize = 20;

pub fn data_error(path: &Path, message: String, fix: &str) -> Error {
    Error::Data {
        path: path.display().to_string(),
        message,
        fix: fix.into(),
    }
}

/// A cell that stands for a missing value.
pub fn missing(cell: &str) -> bool {
    matches!(cell, "" | "NA" | "na" | "N/A" | "n/a" | "?" | "-")
}

/// A CSV reader over a data file, streaming through [`input::reader`]'s bounded reader.
pub type CsvReader = csv::Reader<input::Bounded>;

/// Open a CSV file of at most [`MAX_DATA_BYTES`] and read its header row. `flexible` lets rows
/// have fewer fields than the header (each caller reports the missing cell itself).
pub fn open_csv(path: &Path, flexible: bool) -> Result<(CsvReader, csv::StringRecord), Error> {
    open_csv_at(path, path, flexible)
}

/// [`open_csv`] reading the file at `open` and naming it `name` in messages (a file a scenario
/// names is opened at its resolved path and named as the scenario names it).
pub fn open_csv_at(
    open: &Path,
    name: &Path,
    flexible: bool,
) -> Result<(CsvReader, csv::StringRecord), Error> {
    let source = input::reader(open, input::Kind::Csv).map_err(|e| input::renamed(e, name))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(flexible)
        .from_reader(source);
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(e) => {
            record_problem(name, e)?;
            return Err(data_error(
                name,
                "the header row is not valid UTF-8".into(),
                "save the file as UTF-8 CSV with a header row",
            ));
        }
    };
    if let Some(delimiter) = other_delimiter(&header) {
        return Err(data_error(
            name,
            format!(
                "the header row is one column, `{}`: the file seems separated by {delimiter}, and crmcast reads commas",
                crate::terminal::escape_line(header.get(0).unwrap_or_default())
            ),
            "save the file as comma-separated CSV (in a spreadsheet: CSV UTF-8, comma-delimited)",
        ));
    }
    let header = header.iter().map(unneutralised).collect();
    Ok((reader, header))
}

/// A header cell as crmcast's own CSV writers neutralise it (`export::safe_text`: `'-id` for
/// an id beginning with `-`), read back as the id, so that `simulate-projects` round-trips.
fn unneutralised(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// The delimiter a one-column header seems to use instead of commas (semicolons, as
/// spreadsheets write CSV where the comma is the decimal mark, or tabs).
fn other_delimiter(header: &csv::StringRecord) -> Option<&'static str> {
    let [only] = header.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    if only.contains(';') {
        Some("semicolons (;)")
    } else if only.contains('\t') {
        Some("tabs")
    } else {
        None
    }
}

/// A bad record's description, to list with the bad cells; an I/O failure (the size limit
/// passed, a read error) ends the reading instead, since the reader would fail again forever.
pub fn record_problem(path: &Path, error: csv::Error) -> Result<String, Error> {
    if !error.is_io_error() {
        return Ok(crate::terminal::escape_line(&error.to_string()).into_owned());
    }
    match error.into_kind() {
        csv::ErrorKind::Io(io) => Err(input::stream_error(path, input::Kind::Csv, io)),
        _ => Err(Error::Internal("a CSV I/O error without its cause".into())),
    }
}

/// `Err` listing the bad cells (the first [`LISTED_PROBLEMS`]) when there are any: a file with a
/// bad cell is used not at all, so that no row is dropped silently.
pub fn refuse_bad_cells(
    path: &Path,
    problems: Vec<String>,
    outcome: &str,
    fix: &str,
) -> Result<(), Error> {
    if problems.is_empty() {
        return Ok(());
    }
    let count = problems.len();
    let mut listed: Vec<String> = problems.into_iter().take(LISTED_PROBLEMS).collect();
    if count > LISTED_PROBLEMS {
        listed.push(format!("… and {} more", count - LISTED_PROBLEMS));
    }
    Err(data_error(
        path,
        format!(
            "{count} bad cell(s); no row is dropped silently, so nothing was {outcome}:\n  {}",
            listed.join("\n  ")
        ),
        fix,
    ))
}
