//! Past projects' cost overruns read from a CSV file (a reference class: `crmcast
//! reference-class --data`, or a scenario's `[outside_view] data = "…"`). Every cell is checked
//! and every problem reported with its row (file line) and column; nothing is dropped silently.

use super::data_file::{data_error, missing, open_csv_at, record_problem, refuse_bad_cells};
use super::suggest::closest;
use crate::error::Error;
use std::path::Path;

/// Fewer projects with an overrun are refused.
pub const MIN_PROJECTS: usize = 10;

/// An overrun cell: a fraction (0.27) or a percentage (27%, 27 %); finite and > −1.
pub fn parse_overrun(cell: &str) -> Option<f64> {
    let (number, divisor) = match cell.strip_suffix('%') {
        Some(n) => (n.trim_end(), 100.0),
        None => (cell, 1.0),
    };
    number
        .parse::<f64>()
        .ok()
        .map(|v| v / divisor)
        .filter(|v| v.is_finite() && *v > -1.0 && *v <= 1e6)
}

/// The overruns of a file, and the file lines of rows without one.
pub struct Overruns {
    pub values: Vec<f64>,
    pub missing_rows: Vec<u64>,
}

/// Read and check the file: every bad cell is collected with its row (file line) and column.
pub fn read(path: &Path, column: &str) -> Result<Overruns, Error> {
    read_at(path, path, column)
}

/// [`read`] the file at `open`, naming it `path` in messages.
pub fn read_at(open: &Path, path: &Path, column: &str) -> Result<Overruns, Error> {
    let (mut reader, header) = open_csv_at(open, path, true)?;
    if header.iter().all(str::is_empty) {
        return Err(data_error(
            path,
            "the file is empty or its header row is blank".into(),
            "start the file with a header row naming its columns, e.g. project,overrun",
        ));
    }
    // A byte-order mark (as spreadsheets write UTF-8 CSV) is not part of the first name.
    let matches: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, name)| name.trim_start_matches('\u{feff}') == column)
        .map(|(i, _)| i)
        .collect();
    let index = match matches.as_slice() {
        [i] => *i,
        [] => {
            let hint = closest(column, header.iter())
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            let columns = header
                .iter()
                .map(|h| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(data_error(
                path,
                format!("no column `{column}` (the columns are {columns})"),
                &format!("{hint}name the overrun column `overrun`, or pick it with --column NAME"),
            ));
        }
        _ => {
            return Err(data_error(
                path,
                format!("column `{column}` appears {} times", matches.len()),
                "keep one of them, or rename the others",
            ));
        }
    };
    let mut values = Vec::new();
    let mut missing_rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(record_problem(path, e)?);
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let Some(cell) = record.get(index) else {
            problems.push(format!(
                "row {line}: {} field(s), so no column `{column}` (field {} of the header)",
                record.len(),
                index + 1
            ));
            continue;
        };
        if missing(cell) {
            missing_rows.push(line);
            continue;
        }
        match parse_overrun(cell) {
            Some(v) => values.push(v),
            None => problems.push(format!(
                "row {line}, column `{column}`: \"{}\" — expected an overrun above -1 as a fraction (0.27 = 27 % over budget) or a percentage (27%), or empty (missing)",
                crate::terminal::escape_line(cell)
            )),
        }
    }
    refuse_bad_cells(
        path,
        problems,
        "computed",
        "correct the cells listed (an overrun is actual/budget − 1, e.g. 0.27 or 27%; leave a cell empty for a missing value)",
    )?;
    if values.len() < MIN_PROJECTS {
        return Err(data_error(
            path,
            format!(
                "{} project(s) with an overrun ({} missing): a reference class needs at least {MIN_PROJECTS}",
                values.len(),
                missing_rows.len()
            ),
            "add past projects, or leave out --data to use the built-in class",
        ));
    }
    Ok(Overruns {
        values,
        missing_rows,
    })
}
