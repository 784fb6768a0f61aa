//! Typed errors. Every error says where (file, line, column, field) and how to fix it;
//! `main` is the one place that turns them into a message and an exit code.

use std::path::PathBuf;

/// Whether an error is the user's input (exit code 2) or ours (exit code 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadInput,
    Internal,
    /// Stopped by the user (Ctrl-C).
    Interrupted,
}

/// A place in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}\n  fix: check that the file exists and is readable")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    /// Counted in bytes read, so the size is only known to pass the limit.
    #[error("{path} is over the limit of {limit} bytes for {what}\n  fix: {fix}")]
    TooLarge {
        path: String,
        limit: u64,
        what: &'static str,
        fix: &'static str,
    },

    /// A device, FIFO, socket or folder named as an input.
    #[error(
        "cannot read {path}: it is {what}, not a regular file\n  fix: name a regular file (crmcast reads no devices, pipes or folders)"
    )]
    NotAFile { path: String, what: &'static str },

    #[error("{path} is not valid UTF-8 (byte {offset})\n  fix: save the file as UTF-8")]
    NotUtf8 { path: String, offset: usize },

    #[error(
        "{location}: TOML syntax error: {message}\n{snippet}  fix: correct the TOML syntax at that place (https://toml.io)"
    )]
    Syntax {
        location: Location,
        message: String,
        snippet: String,
    },

    #[error("{location}: {}{message}\n{snippet}  fix: {fix}", field_prefix(.field))]
    Invalid {
        location: Location,
        field: String,
        message: String,
        fix: String,
        snippet: String,
    },

    #[error("bad option {option}: {message}\n  fix: {fix}")]
    BadOption {
        option: String,
        message: String,
        fix: String,
    },

    #[error("{path}: {message}\n  fix: {fix}")]
    Shard {
        path: String,
        message: String,
        fix: String,
    },

    /// A scenario whose trials give values beyond what the accumulators represent exactly
    /// (refused rather than clamped).
    #[error("{origin}: {message}\n  fix: {fix}")]
    OutOfRange {
        origin: String,
        message: String,
        fix: String,
    },

    /// A data file (project records) with a problem at a row and column, or one a fit
    /// cannot use.
    #[error("{path}: {message}\n  fix: {fix}")]
    Data {
        path: String,
        message: String,
        fix: String,
    },

    /// `validate --strict` on a valid scenario with likely mistakes (`listed`, one per line).
    #[error(
        "{origin}: {count} warning(s), refused under --strict\n{listed}  fix: correct the values named, or run validate without --strict to accept them"
    )]
    Implausible {
        origin: String,
        count: usize,
        listed: String,
    },

    /// `done` says how far the work got ("100,000 trials", "3.2 million candidate-trials of
    /// the optimiser"); `fix` what to change besides running again.
    #[error(
        "interrupted after {done}; nothing was written\n  fix: run again (the same seed gives the same result){fix}"
    )]
    Interrupted { done: String, fix: &'static str },

    #[error("cannot write {}: {source}\n  fix: {}", .path.display(), write_fix(.source))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "internal error: {0}\n  this is a bug in crmcast; please report it with the command you ran"
    )]
    Internal(String),
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Write { .. } | Error::Internal(_) => ErrorKind::Internal,
            Error::Interrupted { .. } => ErrorKind::Interrupted,
            _ => ErrorKind::BadInput,
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self.kind() {
            ErrorKind::BadInput => 2,
            ErrorKind::Internal => 1,
            // The shell's convention for a process ended by SIGINT.
            ErrorKind::Interrupted => 130,
        }
    }
}

/// The fix for a failed write, by what failed: a full disk needs space, not a folder.
fn write_fix(source: &std::io::Error) -> &'static str {
    use std::io::ErrorKind;
    match source.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
            "free some space on that disk (or write to another disk), then run again"
        }
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
            "write to a folder you may write to"
        }
        _ => "check that the folder exists and is writable",
    }
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("`{field}`: ")
    }
}

pub type Result<T> = std::result::Result<T, Error>;
