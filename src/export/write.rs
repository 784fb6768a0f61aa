//! Writing output files: the one owner of every file crmcast writes. An output
//! - is refused (exit 2) when it resolves to one of the command's inputs ([`super::inputs`]);
//! - is written atomically: to a temporary file in the target's folder, then renamed, so a
//!   failure leaves the old file as it was; a symlink is written *through* (its target is
//!   replaced, the link stays a link);
//! - is written in place when it is a device, pipe or socket, or names a file descriptor
//!   (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`): a rename would put a regular file in
//!   place of the system's link or device;
//! - never starts, nor commits, after Ctrl-C ([`cancel_writes`]), and the Ctrl-C handler waits
//!   for a write in progress ([`writing`]), so no partial output and no temporary file remain;
//! - is announced on stderr once written ("wrote report.html (123 kB)"), when the CLI asks for
//!   it ([`announce_writes`]; off under `--quiet`).

use crate::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Symlinks followed before an output path is refused as a loop (Linux's own limit).
const MAX_LINKS: usize = 40;

static WRITING: Mutex<()> = Mutex::new(());
static CANCELLED: AtomicBool = AtomicBool::new(false);
static ANNOUNCE: AtomicBool = AtomicBool::new(false);

/// Say on stderr what each file written from now on is ("wrote FILE (SIZE)"): a command that
/// writes a file would otherwise end in silence.
pub fn announce_writes(on: bool) {
    ANNOUNCE.store(on, Ordering::SeqCst);
}

/// A size as people read it: bytes, kB or MB (SI, as file managers show them).
pub fn size_text(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} bytes"),
        1_000..1_000_000 => format!("{:.0} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

fn announce(what: &str, bytes: u64) {
    if ANNOUNCE.load(Ordering::SeqCst) {
        let message = format!("wrote {what} ({})", size_text(bytes));
        // Never a panic on a closed stderr; a path is escaped like every message.
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}",
            crate::terminal::escape(&message)
        );
    }
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Held while an output is written. Whoever ends the process early (the Ctrl-C handler, `main`
/// on an error) takes it first, so that no write is cut in half.
pub fn writing() -> MutexGuard<'static, ()> {
    // A poisoned lock guards nothing broken: the writer that panicked dropped its temporary.
    WRITING.lock().unwrap_or_else(|e| e.into_inner())
}

/// After Ctrl-C: no output may start or be committed any more.
pub fn cancel_writes() {
    CANCELLED.store(true, Ordering::SeqCst);
}

fn cancelled(path: &Path) -> Result<(), Error> {
    if CANCELLED.load(Ordering::SeqCst) {
        return Err(Error::Interrupted {
            done: format!("the work, before {} was written", path.display()),
            fix: "",
        });
    }
    Ok(())
}

/// Render with `render`, then write the bytes to `path` atomically, or to stdout for `-`/none.
/// `option` names the command-line option in errors about the path.
pub fn write_output(
    path: Option<&Path>,
    option: &str,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let mut bytes = Vec::new();
    render(&mut bytes).map_err(|e| Error::Internal(format!("rendering the output failed: {e}")))?;
    // Rendered whole before the destination is touched. A failed write of the bytes is the
    // destination's error, which the destination reports itself (see `Destination`).
    write_output_streaming(path, option, |out| {
        out.write_all(&bytes)
            .map_err(|e| Error::Internal(e.to_string()))
    })
}

/// Like [`write_output`], but `render` writes straight into the destination as it goes, so an
/// output too large to hold in memory (`--trials-output`) never is. Still atomic: a file is
/// written to a temporary file in the target's folder and renamed at the end; if `render` or
/// the write fails, the temporary file is deleted and `path` is left as it was.
pub fn write_output_streaming(
    path: Option<&Path>,
    option: &str,
    render: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
) -> Result<(), Error> {
    let _writing = writing();
    let shown = path.unwrap_or(Path::new("<stdout>"));
    cancelled(shown)?;
    let path = match path {
        Some(p) if p != Path::new("-") => p,
        _ => {
            crate::input::opened::check_stdout()?;
            return write_stream(std::io::stdout().lock(), "<stdout>", render);
        }
    };
    crate::input::opened::check_output(path, option)?;
    match target(path, option)? {
        Target::Stdout => write_stream(std::io::stdout().lock(), "<stdout>", render),
        Target::Stderr => write_stream(std::io::stderr().lock(), "<stderr>", render),
        Target::InPlace { truncate } => {
            let special = std::fs::OpenOptions::new()
                .write(true)
                .truncate(truncate)
                .open(path)
                .map_err(|e| bad_path(option, path, e))?;
            let mut special = Destination::new(special);
            let rendered = render(&mut special);
            special.finish(rendered).map_err(|source| Error::Write {
                path: path.to_path_buf(),
                source,
            })?
        }
        Target::File(real) => {
            let mut staged = stage(&real, path, option)?;
            let mut out = Destination::new(std::io::BufWriter::new(staged.temporary.as_file_mut()));
            let rendered = render(&mut out);
            // On an error the `?`s drop the temporary file, which deletes it.
            out.finish(rendered)
                .map_err(|source| write_error(path, source))??;
            staged.commit(path)?;
            announce(&path.display().to_string(), size(path));
            Ok(())
        }
    }
}

/// Write several files as one: every file is staged (written and synced to a temporary file
/// next to its target) before any is renamed into place, so a failure leaves none of them
/// (`report --charts`). A file that did not exist before is removed again if a later rename
/// fails.
pub fn write_outputs_together(files: &[(PathBuf, Vec<u8>)], option: &str) -> Result<(), Error> {
    let _writing = writing();
    let mut staged = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        cancelled(path)?;
        crate::input::opened::check_output(path, option)?;
        let Target::File(real) = target(path, option)? else {
            return Err(bad_path(
                option,
                path,
                std::io::Error::other("it is not a regular file"),
            ));
        };
        let mut file = stage(&real, path, option)?;
        file.temporary
            .write_all(bytes)
            .map_err(|source| write_error(path, source))?;
        staged.push((path, real.exists(), file));
    }
    let mut committed: Vec<&PathBuf> = Vec::new();
    for (path, existed, file) in staged {
        let done = cancelled(path).and_then(|()| file.commit(path));
        if let Err(error) = done {
            for new_file in committed {
                let _ = std::fs::remove_file(new_file);
            }
            return Err(error);
        }
        if !existed {
            committed.push(path);
        }
    }
    let total: u64 = files.iter().map(|(_, bytes)| bytes.len() as u64).sum();
    match files {
        [] => {}
        [(path, _)] => announce(&path.display().to_string(), total),
        [(first, _), ..] => {
            let folder = match first.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
                _ => ".".into(),
            };
            announce(&format!("{} files to {folder}", files.len()), total);
        }
    }
    Ok(())
}

/// Where an output path leads.
enum Target {
    Stdout,
    Stderr,
    /// A device, pipe, socket or file descriptor: opened and written as it is.
    InPlace {
        truncate: bool,
    },
    /// A regular file (existing or not) at this path, symlinks resolved.
    File(PathBuf),
}

fn bad_path(option: &str, path: &Path, source: std::io::Error) -> Error {
    Error::BadOption {
        option: option.into(),
        message: format!("cannot write {}: {source}", path.display()),
        fix: "give a path in an existing, writable folder (or - for standard output)".into(),
    }
}

/// A failure while writing the bytes: the disk's (full, quota), reported with its own fix.
fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// A file-descriptor name: `/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`, `/proc/PID/fd/N`.
fn descriptor(path: &Path) -> Option<Target> {
    let text = path.to_str()?;
    let number = match text {
        "/dev/stdin" => "0",
        "/dev/stdout" => "1",
        "/dev/stderr" => "2",
        _ => {
            let rest = text
                .strip_prefix("/dev/fd/")
                .or_else(|| text.strip_prefix("/proc/self/fd/"))
                .or_else(|| {
                    let (_, fd) = text.strip_prefix("/proc/")?.split_once("/fd/")?;
                    Some(fd)
                })?;
            rest.parse::<u32>().ok()?;
            rest
        }
    };
    Some(match number {
        "1" => Target::Stdout,
        "2" => Target::Stderr,
        _ => Target::InPlace {
            truncate: std::fs::metadata(path).is_ok_and(|m| m.is_file()),
        },
    })
}

/// Follow `path`'s symlinks to what would be written.
fn target(path: &Path, option: &str) -> Result<Target, Error> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        if let Some(fd) = descriptor(&current) {
            return Ok(fd);
        }
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&current).map_err(|e| bad_path(option, path, e))?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            Ok(m) if m.is_dir() => {
                return Err(bad_path(
                    option,
                    path,
                    std::io::Error::other("it is a folder"),
                ));
            }
            Ok(m) if !m.is_file() => return Ok(Target::InPlace { truncate: false }),
            Ok(_) => return Ok(Target::File(current)),
            // Not there yet (or a dangling link's target): created, as the shell would.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Target::File(current));
            }
            Err(e) => return Err(bad_path(option, path, e)),
        }
    }
    Err(bad_path(
        option,
        path,
        std::io::Error::other(format!("more than {MAX_LINKS} symbolic links")),
    ))
}

/// A temporary file next to the target, with the permissions the result should have.
struct Staged {
    temporary: tempfile::NamedTempFile,
    real: PathBuf,
}

fn stage(real: &Path, shown: &Path, option: &str) -> Result<Staged, Error> {
    let folder = match real.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        let message = format!("the folder {} does not exist", folder.display());
        return Err(bad_path(option, shown, std::io::Error::other(message)));
    }
    // Report the error's kind only: the temporary file's name means nothing to the user.
    let plain = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            write_error(shown, std::io::Error::from(e.kind()))
        }
        kind => bad_path(option, shown, std::io::Error::from(kind)),
    };
    let temporary = tempfile::Builder::new()
        .prefix(".crmcast-")
        .tempfile_in(folder)
        .map_err(plain)?;
    // The temporary file is private (0600); give the result the permissions of the file it
    // replaces, or the usual 0644 (less the umask's usual bits) for a new file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = std::fs::metadata(real)
            .map(|m| m.permissions())
            .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
        temporary
            .as_file()
            .set_permissions(permissions)
            .map_err(plain)?;
    }
    Ok(Staged {
        temporary,
        real: real.to_path_buf(),
    })
}

impl Staged {
    /// Sync and rename into place (the last moment an interruption is still honoured).
    fn commit(self, shown: &Path) -> Result<(), Error> {
        self.temporary
            .as_file()
            .sync_all()
            .map_err(|source| write_error(shown, source))?;
        cancelled(shown)?;
        self.temporary
            .persist(&self.real)
            .map_err(|e| write_error(shown, e.error))?;
        Ok(())
    }
}

/// Write a stream (stdout, stderr): a closed pipe (`crmcast run | head`) is not an error worth
/// reporting; any other failure is, with the stream's name.
fn write_stream(
    stream: impl Write,
    name: &str,
    render: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut out = Destination::new(stream);
    let rendered = render(&mut out);
    match out.finish(rendered) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(Error::Write {
            path: name.into(),
            source,
        }),
        Ok(rendered) => rendered,
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

#[cfg(test)]
mod tests {
    use super::{Target, descriptor};
    use std::path::Path;

    #[test]
    fn descriptor_names_are_recognised() {
        assert!(matches!(
            descriptor(Path::new("/dev/stdout")),
            Some(Target::Stdout)
        ));
        assert!(matches!(
            descriptor(Path::new("/proc/self/fd/1")),
            Some(Target::Stdout)
        ));
        assert!(matches!(
            descriptor(Path::new("/dev/fd/2")),
            Some(Target::Stderr)
        ));
        assert!(matches!(
            descriptor(Path::new("/proc/123/fd/2")),
            Some(Target::Stderr)
        ));
        assert!(matches!(
            descriptor(Path::new("/dev/fd/7")),
            Some(Target::InPlace { .. })
        ));
        for other in [
            "/dev/null",
            "/proc/self/fd/x",
            "/dev/fd/",
            "out.txt",
            "/dev/stdout2",
        ] {
            assert!(descriptor(Path::new(other)).is_none(), "{other}");
        }
    }
}
