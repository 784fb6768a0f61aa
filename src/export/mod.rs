//! Exporters, one file per format behind one small trait (after hyperfine's `export/`).
//! Each renders into any `io::Write`; [`write_output`] is the one owner of output files:
//! it writes atomically (temporary file in the same folder, then rename), and `-` or no path
//! means standard output. Devices and pipes (`/dev/null`, a FIFO) are written in place.

pub mod catalogue;
pub mod charts;
mod csv;
mod json;
mod markdown;
pub mod sections;
pub mod shard;
mod table;

use crate::analysis::Report;
use crate::error::Error;
use crate::model::Factor;
use crate::scenario::Scenario;
use std::io::Write;
use std::path::Path;

/// Which view of a report to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Every strategy's outcomes and failure causes.
    Run,
    /// Outcomes plus each strategy's difference to the baseline.
    Compare,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

/// The factor catalogue as the scenario sees it (for `crmcast factors`).
pub struct FactorList<'a> {
    pub scenario: &'a Scenario,
    pub factors: &'a [Factor],
}

/// The result of a command other than `run`/`compare` (calibrate, …): sections for the text
/// formats, its serde record for JSON, one tidy table for CSV.
pub struct Document {
    pub title: String,
    pub sections: Vec<sections::Section>,
    pub record: serde_json::Value,
    pub csv_header: Vec<String>,
    pub csv_rows: Vec<Vec<String>>,
}

pub trait Exporter {
    fn report(&self, report: &Report, view: View, out: &mut dyn Write) -> std::io::Result<()>;
    fn factors(&self, list: &FactorList, out: &mut dyn Write) -> std::io::Result<()>;
    fn document(&self, document: &Document, out: &mut dyn Write) -> std::io::Result<()>;
}

pub fn exporter(format: Format) -> Box<dyn Exporter> {
    match format {
        Format::Table => Box::new(table::TableExporter),
        Format::Json => Box::new(json::JsonExporter),
        Format::Csv => Box::new(csv::CsvExporter),
        Format::Markdown => Box::new(markdown::MarkdownExporter),
    }
}

/// Render with `render`, then write the bytes to `path` atomically, or to stdout for `-`/none.
pub fn write_output(
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let mut bytes = Vec::new();
    render(&mut bytes).map_err(|e| Error::Internal(format!("rendering the output failed: {e}")))?;
    match path {
        None => write_stdout(&bytes),
        Some(p) if p == Path::new("-") => write_stdout(&bytes),
        Some(p) => write_atomically(p, &bytes),
    }
}

fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|_| stdout.flush()) {
        // A closed pipe (`crmcast run | head`) is not an error worth reporting.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|source| Error::Write {
            path: "<stdout>".into(),
            source,
        }),
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let bad_path = |source: std::io::Error| Error::BadOption {
        option: "--output".into(),
        message: format!("cannot write {}: {source}", path.display()),
        fix: "give a path in an existing, writable folder (or - for standard output)".into(),
    };
    if path.is_dir() {
        return Err(bad_path(std::io::Error::other("it is a folder")));
    }
    // A device, pipe or socket (`--output /dev/null`, a named pipe) cannot be replaced by a
    // rename — that would put a regular file in its place — so it is written in place.
    if let Ok(metadata) = std::fs::metadata(path)
        && !metadata.is_file()
    {
        let mut special = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(bad_path)?;
        return special.write_all(bytes).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        });
    }
    if !folder.is_dir() {
        let message = format!("the folder {} does not exist", folder.display());
        return Err(bad_path(std::io::Error::other(message)));
    }
    // Report the error's kind only: the temporary file's name means nothing to the user.
    let plain = |e: std::io::Error| bad_path(std::io::Error::from(e.kind()));
    let mut temporary = tempfile::NamedTempFile::new_in(folder).map_err(plain)?;
    // The temporary file is private (0600); give the result the permissions of the file it
    // replaces, or the usual 0644 for a new file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = std::fs::metadata(path)
            .map(|m| m.permissions())
            .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
        temporary
            .as_file()
            .set_permissions(permissions)
            .map_err(plain)?;
    }
    temporary
        .write_all(bytes)
        .and_then(|_| temporary.as_file().sync_all())
        .map_err(plain)?;
    temporary.persist(path).map_err(|e| plain(e.error))?;
    Ok(())
}
