//! Hostile cases: files_read. What a scenario, option or file may not make crmcast read: a file
//! outside the scenario's folder through a symbolic link, a device, a FIFO (which must not
//! hang), a folder, or more bytes than an input's limit; and a refused file's content is never
//! echoed (docs/SECURITY.md).

#![cfg(unix)]

use super::support::*;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Longer than any refusal takes; a blocked read of a FIFO would hit it.
const HANG: Duration = Duration::from_secs(10);

/// The default scenario with `line` added to its `[scenario]` table, written as `dir/name`.
fn scenario_with(dir: &Path, name: &str, line: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo("scenarios/default.toml")).expect("default scenario");
    let text = text.replacen("[scenario]\n", &format!("[scenario]\n{line}\n"), 1);
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path
}

/// The default scenario with an `[outside_view]` reading `data`, written as `dir/name`.
fn scenario_with_data(dir: &Path, name: &str, data: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo("scenarios/default.toml")).expect("default scenario");
    let text = text.replacen(
        "\n[simulation]\n",
        &format!("\n[outside_view]\nweight = 0.3\ndata = \"{data}\"\n\n[simulation]\n"),
        1,
    );
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path
}

fn catalogue_copy(path: &Path) {
    std::fs::copy(repo("data/catalogue.toml"), path).expect("copy catalogue");
}

fn make_fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success(), "mkfifo failed");
}

/// Run crmcast with `args`; it must exit 2 within [`HANG`] and its stderr is returned.
fn refused(args: &[&std::ffi::OsStr]) -> String {
    let output = crmcast()
        .args(args)
        .timeout(HANG)
        .output()
        .expect("run crmcast");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("fix:"), "{stderr}");
    assert!(
        !output.stderr.contains(&0x1b),
        "raw ESC on stderr: {stderr}"
    );
    stderr
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[test]
fn a_catalogue_symlinked_from_outside_the_folder_is_refused_and_no_shard_is_written() {
    let outside = scratch();
    let dir = scratch();
    catalogue_copy(&outside.path().join("cat.toml"));
    symlink(outside.path().join("cat.toml"), dir.path().join("cat.toml")).unwrap();
    let scenario = scenario_with(dir.path(), "s.toml", "catalogue = \"cat.toml\"");
    let part = dir.path().join("part-1.json");
    let stderr = refused(&[
        os("run"),
        scenario.as_os_str(),
        os("--trials"),
        os("20000"),
        os("--shard"),
        os("1/2"),
        os("-q"),
        os("-o"),
        part.as_os_str(),
    ]);
    assert!(stderr.contains("scenario.catalogue"), "{stderr}");
    assert!(stderr.contains("outside the scenario's folder"), "{stderr}");
    assert!(!part.exists(), "a shard was written");
}

#[test]
fn a_catalogue_symlinked_to_the_password_file_is_refused_and_no_line_of_it_is_echoed() {
    let dir = scratch();
    symlink("/etc/passwd", dir.path().join("cat.toml")).unwrap();
    let scenario = scenario_with(dir.path(), "s.toml", "catalogue = \"cat.toml\"");
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    assert!(stderr.contains("it was not read"), "{stderr}");
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for line in passwd.lines().filter(|l| !l.trim().is_empty()) {
        assert!(!stderr.contains(line), "echoed {line:?}: {stderr}");
    }
    assert!(!stderr.contains("root:"), "{stderr}");
}

#[test]
fn outside_view_data_symlinked_from_outside_the_folder_is_refused() {
    let outside = scratch();
    let dir = scratch();
    std::fs::copy(
        repo("scenarios/calibration/overruns.csv"),
        outside.path().join("past.csv"),
    )
    .unwrap();
    symlink(outside.path().join("past.csv"), dir.path().join("past.csv")).unwrap();
    let scenario = scenario_with_data(dir.path(), "s.toml", "past.csv");
    let stderr = refused(&[
        os("run"),
        scenario.as_os_str(),
        os("--trials"),
        os("2000"),
        os("-q"),
    ]);
    assert!(stderr.contains("outside_view.data"), "{stderr}");
    assert!(stderr.contains("outside the scenario's folder"), "{stderr}");
    assert!(!stderr.contains("P01"), "the data was read: {stderr}");
}

#[test]
fn a_subfolder_that_is_a_symlink_out_of_the_folder_is_refused() {
    let outside = scratch();
    let dir = scratch();
    catalogue_copy(&outside.path().join("cat.toml"));
    symlink(outside.path(), dir.path().join("sub")).unwrap();
    let scenario = scenario_with(dir.path(), "s.toml", "catalogue = \"sub/cat.toml\"");
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    assert!(stderr.contains("outside the scenario's folder"), "{stderr}");
}

#[test]
fn dot_dot_through_a_symlink_is_refused() {
    // `up` points at the folder's parent: "up/other/cat.toml" has no `..` in its text.
    let root = scratch();
    let dir = root.path().join("project");
    let other = root.path().join("other");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&other).unwrap();
    catalogue_copy(&other.join("cat.toml"));
    symlink("..", dir.join("up")).unwrap();
    let scenario = scenario_with(&dir, "s.toml", "catalogue = \"up/other/cat.toml\"");
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    assert!(stderr.contains("outside the scenario's folder"), "{stderr}");
}

#[test]
fn a_symlink_that_stays_inside_the_folder_is_followed() {
    let dir = scratch();
    std::fs::create_dir(dir.path().join("catalogues")).unwrap();
    catalogue_copy(&dir.path().join("catalogues/v2.toml"));
    symlink("catalogues/v2.toml", dir.path().join("cat.toml")).unwrap();
    let scenario = scenario_with(dir.path(), "s.toml", "catalogue = \"cat.toml\"");
    crmcast()
        .arg("validate")
        .arg(&scenario)
        .timeout(HANG)
        .assert()
        .success();
}

#[test]
fn a_scenario_folder_reached_through_a_symlink_keeps_its_files() {
    // The folder itself is a link (as a synced or mounted project folder often is).
    let root = scratch();
    let real = root.path().join("real");
    std::fs::create_dir(&real).unwrap();
    catalogue_copy(&real.join("cat.toml"));
    scenario_with(&real, "s.toml", "catalogue = \"cat.toml\"");
    symlink(&real, root.path().join("linked")).unwrap();
    crmcast()
        .arg("validate")
        .arg(root.path().join("linked/s.toml"))
        .timeout(HANG)
        .assert()
        .success();
}

#[test]
fn a_dangling_symlink_as_catalogue_is_refused_at_the_scenario_key() {
    let dir = scratch();
    symlink("/nonexistent/cat.toml", dir.path().join("cat.toml")).unwrap();
    let scenario = scenario_with(dir.path(), "s.toml", "catalogue = \"cat.toml\"");
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    assert!(stderr.contains("scenario.catalogue"), "{stderr}");
}

#[test]
fn dev_zero_as_scenario_is_refused_at_once() {
    let stderr = refused(&[os("validate"), os("/dev/zero")]);
    assert!(stderr.contains("a device, not a regular file"), "{stderr}");
}

#[test]
fn dev_zero_as_catalogue_option_is_refused() {
    let stderr = refused(&[os("factors"), os("--catalogue"), os("/dev/zero")]);
    assert!(stderr.contains("a device"), "{stderr}");
}

#[test]
fn dev_urandom_as_reference_class_data_is_refused() {
    let stderr = refused(&[os("reference-class"), os("--data"), os("/dev/urandom")]);
    assert!(stderr.contains("a device"), "{stderr}");
}

#[test]
fn dev_zero_as_calibrate_data_is_refused_and_nothing_is_written() {
    let dir = scratch();
    let out = dir.path().join("fitted.toml");
    let stderr = refused(&[
        os("calibrate"),
        os("--data"),
        os("/dev/zero"),
        os("-q"),
        os("--output"),
        out.as_os_str(),
    ]);
    assert!(stderr.contains("a device"), "{stderr}");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn dev_zero_as_shard_is_refused_by_merge() {
    let stderr = refused(&[os("merge"), os("/dev/zero")]);
    assert!(stderr.contains("a device"), "{stderr}");
}

#[test]
fn a_fifo_as_scenario_does_not_hang() {
    let dir = scratch();
    let fifo = dir.path().join("s.toml");
    make_fifo(&fifo);
    let stderr = refused(&[os("validate"), fifo.as_os_str()]);
    assert!(stderr.contains("FIFO"), "{stderr}");
}

#[test]
fn a_fifo_named_as_outside_view_data_does_not_hang() {
    let dir = scratch();
    make_fifo(&dir.path().join("past.csv"));
    let scenario = scenario_with_data(dir.path(), "s.toml", "past.csv");
    let stderr = refused(&[
        os("run"),
        scenario.as_os_str(),
        os("--trials"),
        os("2000"),
        os("-q"),
    ]);
    assert!(stderr.contains("FIFO"), "{stderr}");
}

#[test]
fn a_fifo_as_calibration_targets_does_not_hang() {
    let dir = scratch();
    let fifo = dir.path().join("targets.toml");
    make_fifo(&fifo);
    let out = dir.path().join("out.toml");
    let stderr = refused(&[
        os("calibrate"),
        os("--targets"),
        fifo.as_os_str(),
        os("-q"),
        os("--output"),
        out.as_os_str(),
    ]);
    assert!(stderr.contains("FIFO"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn a_fifo_as_shard_does_not_hang() {
    let dir = scratch();
    let fifo = dir.path().join("part-1.json");
    make_fifo(&fifo);
    let stderr = refused(&[os("merge"), fifo.as_os_str()]);
    assert!(stderr.contains("FIFO"), "{stderr}");
}

#[test]
fn a_folder_as_scenario_is_refused() {
    let dir = scratch();
    let stderr = refused(&[os("validate"), dir.path().as_os_str()]);
    assert!(stderr.contains("a folder, not a regular file"), "{stderr}");
}

#[test]
fn a_folder_named_as_catalogue_is_refused() {
    let dir = scratch();
    std::fs::create_dir(dir.path().join("cat.toml")).unwrap();
    let scenario = scenario_with(dir.path(), "s.toml", "catalogue = \"cat.toml\"");
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    assert!(stderr.contains("a folder"), "{stderr}");
}

#[test]
fn a_folder_as_reference_class_data_is_refused() {
    let dir = scratch();
    let stderr = refused(&[os("reference-class"), os("--data"), dir.path().as_os_str()]);
    assert!(stderr.contains("a folder"), "{stderr}");
}

#[test]
fn a_scenario_over_the_limit_in_real_bytes_is_refused() {
    // One byte over 1 MiB of comments: valid TOML, refused by what is read.
    let dir = scratch();
    let path = small_scenario(dir.path(), "s.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    while text.len() <= 1024 * 1024 {
        text.push_str(&format!("#{}\n", "x".repeat(1000)));
    }
    std::fs::write(&path, text).unwrap();
    let stderr = refused(&[os("validate"), path.as_os_str()]);
    assert!(
        stderr.contains("over the limit of 1048576 bytes"),
        "{stderr}"
    );
}

#[test]
fn a_catalogue_over_the_limit_is_refused() {
    let dir = scratch();
    let mut text = std::fs::read_to_string(repo("data/catalogue.toml")).unwrap();
    while text.len() <= 1024 * 1024 {
        text.push_str(&format!("#{}\n", "x".repeat(1000)));
    }
    std::fs::write(dir.path().join("cat.toml"), text).unwrap();
    let scenario = scenario_with(dir.path(), "s.toml", "catalogue = \"cat.toml\"");
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    assert!(stderr.contains("over the limit"), "{stderr}");
}

#[test]
fn a_file_at_exactly_the_limit_is_read() {
    let dir = scratch();
    let path = small_scenario(dir.path(), "s.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    while text.len() + 1001 <= 1024 * 1024 {
        text.push_str(&format!("#{}\n", "x".repeat(999)));
    }
    let pad = 1024 * 1024 - text.len() - 1;
    text.push_str(&"#".repeat(pad));
    text.push('\n');
    assert_eq!(text.len(), 1024 * 1024);
    std::fs::write(&path, text).unwrap();
    crmcast()
        .arg("validate")
        .arg(&path)
        .timeout(HANG)
        .assert()
        .success();
}
