//! Opening input files: scenarios, catalogues, targets, data CSVs and shard files. This is the
//! one place that opens them, so that every input is a regular file (no device, FIFO, socket or
//! folder, and a FIFO is refused without waiting for a writer), is read only up to its kind's
//! limit counted in bytes actually read (the size a file system reports is never trusted:
//! `/dev/zero` and `/proc` files report 0), and a file that a scenario names stays inside the
//! scenario's folder after symbolic links are resolved (docs/SECURITY.md).

pub mod opened;

use crate::error::Error;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Component, Path, PathBuf};

/// A scenario, catalogue, calibration-targets or judgements file (TOML) is refused beyond
/// 1 MiB: the largest shipped one, the built-in catalogue with its `[uncertainty]` table, is
/// well under it (a test checks that it stays under a quarter).
pub const MAX_TOML_BYTES: u64 = 1024 * 1024;
/// A data file (CSV) is refused beyond 256 MiB: a million projects rated on 20 factors take
/// about 100 MiB.
pub const MAX_CSV_BYTES: u64 = 256 * 1024 * 1024;
/// A shard file is refused beyond 256 MiB (a shard of the largest scenario is a few MiB).
pub const MAX_SHARD_BYTES: u64 = 256 * 1024 * 1024;

/// The UTF-8 byte-order mark that spreadsheets and Windows editors put at a file's start.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// What kind of input a file is: it decides the byte limit and the advice in a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Toml,
    Csv,
    Shard,
}

impl Kind {
    pub const fn limit(self) -> u64 {
        match self {
            Kind::Toml => MAX_TOML_BYTES,
            Kind::Csv => MAX_CSV_BYTES,
            Kind::Shard => MAX_SHARD_BYTES,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::Toml => "a TOML input (scenario, catalogue, targets or judgements file)",
            Kind::Csv => "a data file",
            Kind::Shard => "a shard file",
        }
    }

    fn fix(self) -> &'static str {
        match self {
            Kind::Toml => {
                "these files are kilobytes, not megabytes (the built-in catalogue, the largest, is well under the limit); check that you passed the right file"
            }
            Kind::Csv => "split the data, or keep only the columns the command reads",
            Kind::Shard => "pass the files written by `crmcast run|compare --shard K/N --output …`",
        }
    }

    fn too_large(self, path: &Path) -> Error {
        Error::TooLarge {
            path: path.display().to_string(),
            limit: self.limit(),
            what: self.what(),
            fix: self.fix(),
        }
    }
}

fn read_error(path: &Path, source: std::io::Error) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        source,
    }
}

/// Open `path` for reading if it is a regular file. On Unix the file is opened non-blocking,
/// so that a FIFO is refused at once instead of waiting for a writer (a regular file ignores
/// the flag), and without adopting a terminal as the controlling terminal.
pub fn open(path: &Path) -> Result<File, Error> {
    let file = open_unnoted(path)?;
    // No output of this command may replace it ([`opened::check_output`]).
    opened::note(path);
    Ok(file)
}

/// [`open`] without noting the file as an input: only for a file the command reads in order
/// to rewrite it (the forecast ledger `--record` appends to).
fn open_unnoted(path: &Path) -> Result<File, Error> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(|e| read_error(path, e))?;
    // The type of what was opened, not of what the path named a moment before.
    let file_type = file
        .metadata()
        .map_err(|e| read_error(path, e))?
        .file_type();
    if !file_type.is_file() {
        return Err(Error::NotAFile {
            path: path.display().to_string(),
            what: describe(file_type),
        });
    }
    Ok(file)
}

fn describe(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// The whole file, refused once more than its kind's limit has been read.
pub fn read_bytes(path: &Path, kind: Kind) -> Result<Vec<u8>, Error> {
    read_bounded(open(path)?, path, kind)
}

/// All of an opened file, refused once more than its kind's limit has been read.
fn read_bounded(file: File, path: &Path, kind: Kind) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    file.take(kind.limit() + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(path, e))?;
    if bytes.len() as u64 > kind.limit() {
        return Err(kind.too_large(path));
    }
    Ok(bytes)
}

/// A file this command reads and then rewrites as a whole (the forecast ledger that `--record`
/// appends to), as UTF-8 text without a byte-order mark: checked and bounded like every input,
/// but not noted as one, so that [`opened::check_output`] lets the rewrite through.
pub fn read_text_to_rewrite(path: &Path, kind: Kind) -> Result<String, Error> {
    let bytes = read_bounded(open_unnoted(path)?, path, kind)?;
    text(path, bytes)
}

fn text(path: &Path, mut bytes: Vec<u8>) -> Result<String, Error> {
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
    }
    String::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        path: path.display().to_string(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// The file as UTF-8 text, without a leading byte-order mark (so that columns on line 1 count
/// from the first real character).
pub fn read_text(path: &Path, kind: Kind) -> Result<String, Error> {
    text(path, read_bytes(path, kind)?)
}

/// An error about a file opened at another path, naming it `name` instead (a file a scenario names
/// is opened at its resolved path and named as the scenario names it).
pub fn renamed(error: Error, name: &Path) -> Error {
    let shown = name.display().to_string();
    match error {
        Error::Read { source, .. } => Error::Read {
            path: name.to_path_buf(),
            source,
        },
        Error::NotUtf8 { offset, .. } => Error::NotUtf8 {
            path: shown,
            offset,
        },
        Error::TooLarge {
            limit, what, fix, ..
        } => Error::TooLarge {
            path: shown,
            limit,
            what,
            fix,
        },
        Error::NotAFile { what, .. } => Error::NotAFile { path: shown, what },
        other => other,
    }
}

/// The error a [`Bounded`] reader gives once its limit is passed.
#[derive(Debug)]
struct LimitPassed;

impl std::fmt::Display for LimitPassed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the file is over its size limit")
    }
}

impl std::error::Error for LimitPassed {}

/// A reader over an input file that fails (every time, once it has) when more than its kind's
/// limit would be read, so a streaming parser never sees more.
pub struct Bounded {
    inner: BufReader<std::io::Take<File>>,
    left: u64,
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Bounded {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.left == 0 && !self.inner.fill_buf()?.is_empty() {
            return Err(std::io::Error::other(LimitPassed));
        }
        let available = self.inner.fill_buf()?;
        let n = available.len().min(self.left as usize);
        Ok(&available[..n])
    }

    fn consume(&mut self, amount: usize) {
        self.left -= amount as u64;
        self.inner.consume(amount);
    }
}

/// A bounded reader over the file, after a leading byte-order mark.
pub fn reader(path: &Path, kind: Kind) -> Result<Bounded, Error> {
    let file = open(path)?;
    let mut inner = BufReader::with_capacity(64 * 1024, file.take(kind.limit() + 1));
    let start = inner.fill_buf().map_err(|e| read_error(path, e))?;
    let skip = if start.starts_with(BOM) { BOM.len() } else { 0 };
    inner.consume(skip);
    Ok(Bounded {
        inner,
        left: kind.limit() - skip as u64,
    })
}

/// The error for an I/O failure met while streaming `path` through a [`reader`]: the size
/// refusal when the limit was passed.
pub fn stream_error(path: &Path, kind: Kind, error: std::io::Error) -> Error {
    if error.get_ref().is_some_and(|e| e.is::<LimitPassed>()) {
        kind.too_large(path)
    } else {
        read_error(path, error)
    }
}

/// Why a file a scenario names cannot be used.
#[derive(Debug)]
pub enum Refusal {
    /// Empty, absolute, or with `..`.
    NotRelative,
    /// It does not exist (or a link in it leads nowhere), or cannot be resolved.
    Unreadable(std::io::Error),
    /// After symbolic links are resolved it lies outside the scenario's folder.
    Outside { resolved: PathBuf },
}

/// A file a scenario names: where the user sees it (the scenario's folder joined with
/// `named`) and where it really is (resolved), checked to be inside the scenario's folder
/// once every symbolic link, of the folder or of the file, is resolved.
pub struct Named {
    pub shown: PathBuf,
    pub resolved: PathBuf,
}

pub fn named_by(scenario: &Path, named: &str) -> Result<Named, Refusal> {
    let relative = Path::new(named);
    let plain = !named.is_empty()
        && relative
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !plain {
        return Err(Refusal::NotRelative);
    }
    let folder = match scenario.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let shown = scenario.parent().unwrap_or(Path::new("")).join(relative);
    let home = folder.canonicalize().map_err(Refusal::Unreadable)?;
    let resolved = home
        .join(relative)
        .canonicalize()
        .map_err(Refusal::Unreadable)?;
    if !resolved.starts_with(&home) {
        return Err(Refusal::Outside { resolved });
    }
    Ok(Named { shown, resolved })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_toml_files_stay_well_under_the_limit() {
        for text in [
            crate::model::catalogue::BUILTIN_CATALOGUE,
            include_str!("../../data/catalogue-prior.toml"),
            include_str!("../../data/defaults.toml"),
            include_str!("../../data/sources.toml"),
            include_str!("../../data/reference_class.toml"),
        ] {
            assert!(
                (text.len() as u64) < MAX_TOML_BYTES / 4,
                "{} bytes",
                text.len()
            );
        }
    }

    #[test]
    fn bounded_reader_stops_at_the_limit_and_keeps_failing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, vec![b'x'; 100]).unwrap();
        let mut reader = reader(&path, Kind::Csv).unwrap();
        reader.left = 10;
        let mut out = Vec::new();
        let error = reader.read_to_end(&mut out).unwrap_err();
        assert!(matches!(
            stream_error(&path, Kind::Csv, error),
            Error::TooLarge { .. }
        ));
        assert_eq!(out.len(), 10);
        assert!(reader.read(&mut [0; 4]).is_err());
    }

    #[test]
    fn a_file_at_the_limit_is_read_whole_and_the_bom_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, b"\xef\xbb\xbfa,b\n1,2\n").unwrap();
        let mut text = String::new();
        reader(&path, Kind::Csv)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "a,b\n1,2\n");
        assert_eq!(read_text(&path, Kind::Toml).unwrap(), "a,b\n1,2\n");
    }

    #[test]
    fn a_folder_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_bytes(dir.path(), Kind::Toml),
            Err(Error::NotAFile { .. })
        ));
    }
}
