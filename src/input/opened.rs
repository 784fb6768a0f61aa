//! The files this process has read (scenario, catalogue, data, targets, status, shards), so
//! that no output ever replaces one of them (issue #13). [`super::open`], which opens every
//! input, calls [`note`] for each; [`check_output`] refuses an output path that resolves to any
//! of them, by canonical path and, on unix, by device and inode, so hard links and symlinks count.

use crate::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One input as it was read: the path as given (re-examined at each check, so that a file
/// deleted since and its inode reused by a new file is not mistaken for the input).
struct Input {
    path: PathBuf,
    canonical: Option<PathBuf>,
    identity: Option<Identity>,
}

static INPUTS: Mutex<Vec<Input>> = Mutex::new(Vec::new());

/// A file's identity: (device, inode) on unix; nothing elsewhere (the canonical path decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity(u64, u64);

#[cfg(unix)]
fn identity(metadata: &std::fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    Some(Identity(metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn identity(_metadata: &std::fs::Metadata) -> Option<Identity> {
    None
}

/// Record that `path` was read as an input of this command. Only regular files are recorded:
/// a device or pipe is not destroyed by writing to it.
pub fn note(path: &Path) {
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    if !metadata.is_file() {
        return;
    }
    let input = Input {
        path: path.to_path_buf(),
        canonical: std::fs::canonicalize(path).ok(),
        identity: identity(&metadata),
    };
    // A poisoned lock only means another thread panicked while pushing: the list is intact.
    let mut inputs = INPUTS.lock().unwrap_or_else(|e| e.into_inner());
    inputs.push(input);
}

/// The input that `metadata`/`canonical` (an output's) is the same file as, if any.
fn same_as_input(metadata: &std::fs::Metadata, canonical: Option<&Path>) -> Option<PathBuf> {
    let inputs = INPUTS.lock().unwrap_or_else(|e| e.into_inner());
    let output = identity(metadata);
    inputs.iter().find_map(|input| {
        // The input as it is now: still the file that was read?
        let now = identity(&std::fs::metadata(&input.path).ok()?);
        let same = match (input.identity, output) {
            (Some(read), Some(out)) => now == Some(read) && out == read,
            _ => canonical.is_some() && canonical == input.canonical.as_deref(),
        };
        same.then(|| input.path.clone())
    })
}

fn refusal(option: &str, output: &Path, input: &Path) -> Error {
    Error::BadOption {
        option: option.into(),
        message: if output == input {
            format!(
                "{} is an input of this command; writing it would destroy it",
                output.display()
            )
        } else {
            format!(
                "{} is the same file as {}, an input of this command; writing it would destroy that input",
                output.display(),
                input.display()
            )
        },
        fix: "write the output to another file".into(),
    }
}

/// Refuse (exit 2) an output path that resolves to one of this command's inputs. `-` and a
/// path that does not exist yet are fine. `option` names the option in the message.
pub fn check_output(path: &Path, option: &str) -> Result<(), Error> {
    if path == Path::new("-") {
        return Ok(());
    }
    // Follows symlinks (and /dev/stdout, /proc/self/fd/N): the file that would be written.
    let Ok(metadata) = std::fs::metadata(path) else {
        return Ok(());
    };
    let canonical = std::fs::canonicalize(path).ok();
    match same_as_input(&metadata, canonical.as_deref()) {
        Some(input) => Err(refusal(option, path, &input)),
        None => Ok(()),
    }
}

/// Refuse writing to standard output when it is redirected onto an input
/// (`crmcast run s.toml >> s.toml`).
pub fn check_stdout() -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
            return Ok(());
        };
        let Ok(metadata) = std::fs::File::from(fd).metadata() else {
            return Ok(());
        };
        if metadata.is_file()
            && let Some(input) = same_as_input(&metadata, None)
        {
            return Err(refusal("standard output", Path::new("<stdout>"), &input));
        }
    }
    Ok(())
}

/// Every output path of a command at once, before its long work starts (the writers check
/// again when they write).
pub fn check_outputs<'a>(
    outputs: impl IntoIterator<Item = (Option<&'a Path>, &'a str)>,
) -> Result<(), Error> {
    for (path, option) in outputs {
        if let Some(path) = path {
            check_output(path, option)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_output, note};

    #[test]
    fn an_output_resolving_to_an_input_is_refused() {
        let dir = tempfile::tempdir().expect("folder");
        let input = dir.path().join("in.toml");
        std::fs::write(&input, "x").expect("input");
        note(&input);
        assert!(check_output(&input, "--output").is_err());
        let other = dir.path().join("other.txt");
        assert!(check_output(&other, "--output").is_ok(), "a new file");
        std::fs::write(&other, "y").expect("other");
        assert!(check_output(&other, "--output").is_ok(), "another file");
        assert!(check_output(std::path::Path::new("-"), "--output").is_ok());
        #[cfg(unix)]
        {
            let hard = dir.path().join("hard.txt");
            std::fs::hard_link(&input, &hard).expect("hard link");
            let error = check_output(&hard, "--report").expect_err("hard link");
            let message = error.to_string();
            assert!(
                message.contains("--report") && message.contains("in.toml"),
                "{message}"
            );
            let soft = dir.path().join("soft.txt");
            std::os::unix::fs::symlink(&input, &soft).expect("symlink");
            assert!(check_output(&soft, "--output").is_err(), "symlink");
        }
    }
}
