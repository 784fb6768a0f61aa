//! Exporters, one file per format behind one small trait (after hyperfine's `export/`).
//! Each renders into any `io::Write`; [`write_output`] is the one owner of output files:
//! it writes atomically (temporary file in the same folder, then rename), and `-` or no path
//! means standard output. Devices and pipes (`/dev/null`, a FIFO) are written in place.

pub mod catalogue;
pub mod charts;
mod csv;
pub mod html;
mod json;
mod markdown;
pub mod sections;
pub mod shard;
pub mod shard_check;
mod table;
pub mod xlsx;

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
    Xlsx,
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
        Format::Xlsx => Box::new(xlsx::XlsxExporter),
    }
}

/// Render with `render`, then write the bytes to `path` atomically, or to stdout for `-`/none.
pub fn write_output(
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let mut bytes = Vec::new();
    render(&mut bytes).map_err(|e| Error::Internal(format!("rendering the output failed: {e}")))?;
    // Rendered whole before the destination is touched. A failed write of the bytes is the
    // destination's error, which the destination reports itself (see `Destination`).
    write_output_streaming(path, "--output", |out| {
        out.write_all(&bytes)
            .map_err(|e| Error::Internal(e.to_string()))
    })
}

/// Like [`write_output`], but `render` writes straight into the destination as it goes, so an
/// output too large to hold in memory (`--trials-output`) never is. Still atomic: a file is
/// written to a temporary file in the same folder and renamed at the end; if `render` or the
/// write fails, the temporary file is deleted and `path` is left as it was. `option` names the
/// command-line option in errors about the path.
pub fn write_output_streaming(
    path: Option<&Path>,
    option: &str,
    render: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
) -> Result<(), Error> {
    match path {
        Some(p) if p != Path::new("-") => write_atomically(p, option, render),
        _ => write_stdout(render),
    }
}

/// A destination that remembers its first error, so that a failure of the destination (disk
/// full, closed pipe) is reported as that, with its path, whatever `render` made of it.
struct Destination<W: Write> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W: Write> Destination<W> {
    fn new(inner: W) -> Self {
        Destination { inner, error: None }
    }

    fn remember<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result
            // `write_all` retries an interrupted write: not a failure.
            && e.kind() != std::io::ErrorKind::Interrupted
            && self.error.is_none()
        {
            self.error = Some(std::io::Error::new(e.kind(), e.to_string()));
        }
        result
    }

    /// Flush after a successful render. `Err`: the destination failed; `Ok`: what `render`
    /// returned.
    fn finish(mut self, rendered: Result<(), Error>) -> std::io::Result<Result<(), Error>> {
        if rendered.is_ok() {
            let flushed = self.inner.flush();
            let _ = self.remember(flushed);
        }
        match self.error {
            Some(e) => Err(e),
            None => Ok(rendered),
        }
    }
}

impl<W: Write> Write for Destination<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf);
        self.remember(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let flushed = self.inner.flush();
        self.remember(flushed)
    }
}

fn write_stdout(render: impl FnOnce(&mut dyn Write) -> Result<(), Error>) -> Result<(), Error> {
    let mut stdout = Destination::new(std::io::stdout().lock());
    let rendered = render(&mut stdout);
    match stdout.finish(rendered) {
        // A closed pipe (`crmcast run | head`) is not an error worth reporting.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(Error::Write {
            path: "<stdout>".into(),
            source,
        }),
        Ok(rendered) => rendered,
    }
}

fn write_atomically(
    path: &Path,
    option: &str,
    render: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
) -> Result<(), Error> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let bad_path = |source: std::io::Error| Error::BadOption {
        option: option.into(),
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
        let special = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(bad_path)?;
        let mut special = Destination::new(special);
        let rendered = render(&mut special);
        return special.finish(rendered).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
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
    // On an error the `?`s drop the temporary file, which deletes it.
    let mut out = Destination::new(std::io::BufWriter::new(temporary.as_file_mut()));
    let rendered = render(&mut out);
    out.finish(rendered).map_err(plain)??;
    temporary.as_file().sync_all().map_err(plain)?;
    temporary.persist(path).map_err(|e| plain(e.error))?;
    Ok(())
}
