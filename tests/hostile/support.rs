//! Shared by the hostile cases: a scratch folder per case and the built binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The crmcast binary that cargo built for these tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_crmcast"))
}

/// `assert_cmd` command on the built binary, stdin closed.
pub fn crmcast() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::new(binary());
    command.write_stdin(Vec::<u8>::new());
    command
}

/// A fresh scratch folder (deleted when dropped).
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("scratch folder")
}

/// The repository's file at `relative` (e.g. "scenarios/default.toml").
pub fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A small valid scenario, copied into `dir` as `name`.
pub fn small_scenario(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(repo("scenarios/default.toml"), &path).expect("copy scenario");
    path
}

/// Every file name in `dir`, sorted (to check that nothing was left behind).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read scratch folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
