//! Data files (CSV) that users bring: past projects for `calibrate --data`, a reference class for
//! `reference-class --data` and a scenario's `[outside_view] data`. One place opens them (size
//! limit, header) and reports bad cells: every problem with its row and column, none dropped.

use crate::error::Error;
use std::path::Path;

/// Data files are refused beyond this size.
pub const MAX_DATA_BYTES: u64 = 256 * 1024 * 1024;
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

/// Open a CSV file of at most [`MAX_DATA_BYTES`] and read its header row. `flexible` lets rows
/// have fewer fields than the header (each caller reports the missing cell itself).
pub fn open_csv(
    path: &Path,
    flexible: bool,
) -> Result<(csv::Reader<std::fs::File>, csv::StringRecord), Error> {
    let size = std::fs::metadata(path)
        .map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if size > MAX_DATA_BYTES {
        return Err(Error::TooLarge {
            path: path.display().to_string(),
            size,
            limit: MAX_DATA_BYTES,
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(flexible)
        .from_path(path)
        .map_err(|e| data_error(path, format!("cannot read: {e}"), "give a CSV file"))?;
    // No output of this command may replace it (export::inputs).
    crate::export::inputs::note(path);
    let header = reader
        .headers()
        .map_err(|e| {
            data_error(
                path,
                format!("bad header: {e}"),
                "save the file as UTF-8 CSV with a header row",
            )
        })?
        .iter()
        .map(unneutralised)
        .collect();
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
