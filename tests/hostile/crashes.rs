//! Hostile cases: crashes from the streams. A full disk, a closed stream or a reader that went
//! away (`| head`) must never make crmcast panic (exit 101): a broken pipe ends it quietly, a
//! full disk with exit 1 and a fix about free space.

#![cfg(unix)]

use super::support::*;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `script` run by `sh` in `dir`, with `$0` the crmcast binary.
fn shell(dir: &Path, script: &str) -> Output {
    Command::new("sh")
        .current_dir(dir)
        .args(["-c", script])
        .arg(binary())
        .stdin(Stdio::null())
        .output()
        .expect("sh")
}

/// The exit code a script saved in `dir/rc`.
fn saved_code(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("rc"))
        .expect("rc file")
        .trim()
        .to_string()
}

fn dev_full() -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
}

#[test]
fn stdout_on_a_full_disk_exits_1_with_a_fix_about_space() {
    let out = Command::new(binary())
        .args(["run", "--trials", "2000", "-q"])
        .stdin(Stdio::null())
        .stdout(dev_full())
        .output()
        .expect("run");
    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{message}");
    assert!(message.contains("<stdout>"), "{message}");
    assert!(message.contains("free some space"), "{message}");
    assert!(!message.contains("folder exists"), "{message}");
}

#[test]
fn output_to_dev_full_exits_1_with_a_fix_about_space() {
    let out = crmcast()
        .args(["run", "--trials", "2000", "-q", "-o", "/dev/full"])
        .output()
        .expect("run");
    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{message}");
    assert!(message.contains("/dev/full"), "{message}");
    assert!(message.contains("free some space"), "{message}");
    assert!(Path::new("/dev/full").exists(), "/dev/full was replaced");
}

#[test]
fn trials_output_to_dev_full_exits_1() {
    let dir = scratch();
    let out = crmcast()
        .current_dir(dir.path())
        .args([
            "run",
            "--trials",
            "20000",
            "-q",
            "--trials-output",
            "/dev/full",
            "-o",
            "out.txt",
        ])
        .output()
        .expect("run");
    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{message}");
    assert!(message.contains("free some space"), "{message}");
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
}

#[test]
fn stderr_on_a_full_disk_does_not_panic() {
    let out = Command::new(binary())
        .args(["validate", "missing.toml"])
        .stdin(Stdio::null())
        .stderr(dev_full())
        .output()
        .expect("validate");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn closed_stderr_does_not_panic() {
    let dir = scratch();
    let out = shell(dir.path(), "\"$0\" validate missing.toml 2>&-");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn stderr_into_a_closed_pipe_does_not_panic() {
    // The example: `crmcast validate bad.toml 2>&1 | head -1` (exit 101 before). The
    // reader is gone before crmcast writes.
    let dir = scratch();
    std::fs::write(dir.path().join("bad.toml"), "[scenario\nname = 1\n").expect("bad");
    let script = "{ sleep 0.3; \"$0\" validate bad.toml; echo $? > rc; } 2>&1 | true; sleep 0.5";
    let out = shell(dir.path(), script);
    assert!(out.status.success());
    assert_eq!(saved_code(dir.path()), "2");
}

#[test]
fn stderr_into_head_does_not_panic() {
    let dir = scratch();
    std::fs::write(dir.path().join("bad.toml"), "[scenario\nname = 1\n").expect("bad");
    let script =
        "{ \"$0\" validate bad.toml; echo $? > rc; } 2>&1 | head -c 1 >/dev/null; sleep 0.3";
    let out = shell(dir.path(), script);
    assert!(out.status.success());
    assert_eq!(saved_code(dir.path()), "2");
}

#[test]
fn large_stdout_into_a_closed_pipe_ends_quietly() {
    let dir = scratch();
    let script = "{ \"$0\" run --trials 50000 -q -o /dev/null --trials-output - 2>err.txt; echo $? > rc; } | head -c 100 >/dev/null; sleep 0.3";
    let out = shell(dir.path(), script);
    assert!(out.status.success());
    assert_eq!(saved_code(dir.path()), "0");
    let message = std::fs::read_to_string(dir.path().join("err.txt")).expect("stderr");
    assert!(!message.contains("panicked"), "{message}");
    assert!(!message.contains("error"), "{message}");
}

#[test]
fn table_into_a_closed_pipe_ends_quietly() {
    let dir = scratch();
    let script =
        "{ sleep 0.3; \"$0\" compare --trials 2000 -q 2>err.txt; echo $? > rc; } | true; sleep 0.5";
    let out = shell(dir.path(), script);
    assert!(out.status.success());
    assert_eq!(saved_code(dir.path()), "0");
    let message = std::fs::read_to_string(dir.path().join("err.txt")).expect("stderr");
    assert!(message.is_empty(), "{message}");
}

#[test]
fn closed_stdout_does_not_panic() {
    let dir = scratch();
    let out = shell(dir.path(), "\"$0\" run --trials 2000 -q >&-");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn closed_stderr_never_leaks_into_an_output_file() {
    // With fd 2 closed, the next file opened would get it: messages must not land there.
    let dir = scratch();
    small_scenario(dir.path(), "s.toml");
    let script = "\"$0\" run s.toml --trials 20000 --format json -o out.json --trials-output t.csv 2>&- && \"$0\" init --template default new.toml 2>&-";
    let out = shell(dir.path(), script);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json = std::fs::read_to_string(dir.path().join("out.json")).expect("out.json");
    serde_json::from_str::<serde_json::Value>(&json).expect("clean JSON");
    let csv = std::fs::read_to_string(dir.path().join("t.csv")).expect("t.csv");
    assert!(csv.starts_with("trial,"), "{}", &csv[..80.min(csv.len())]);
    let check = crmcast()
        .current_dir(dir.path())
        .args(["validate", "new.toml"])
        .output()
        .expect("validate");
    assert!(check.status.success(), "{}", stderr(&check));
}
