//! Hostile cases: files written. No output option may destroy one of the command's inputs
//! (scenario, catalogue, data, targets, shards) — by the same name, a hard link or a symlink —
//! and an output that is a symlink or a special file is written through, never replaced.

use super::support::*;
use std::path::Path;
use std::process::Output;

/// Run crmcast in `dir` with `args`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    crmcast()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run crmcast")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Exit 2, a message naming `option` and `input`, and `input` byte-identical to `before`.
fn assert_refused(output: &Output, option: &str, dir: &Path, input: &str, before: &[u8]) {
    let message = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(message.contains(option), "option not named: {message}");
    assert!(message.contains("an input of this command"), "{message}");
    assert!(message.contains(input), "input not named: {message}");
    let after = std::fs::read(dir.join(input)).expect("input still there");
    assert!(after == before, "{input} was changed");
}

fn scenario_in(dir: &Path) -> Vec<u8> {
    small_scenario(dir, "s.toml");
    std::fs::read(dir.join("s.toml")).expect("scenario")
}

#[test]
fn run_output_naming_the_scenario_is_refused() {
    let dir = scratch();
    let before = scenario_in(dir.path());
    let out = run_in(
        dir.path(),
        &["run", "s.toml", "--trials", "2000", "-o", "s.toml"],
    );
    assert_refused(&out, "--output", dir.path(), "s.toml", &before);
    assert_eq!(listing(dir.path()), ["s.toml"]);
}

#[test]
fn compare_output_through_a_hard_link_to_the_scenario_is_refused() {
    let dir = scratch();
    let before = scenario_in(dir.path());
    std::fs::hard_link(dir.path().join("s.toml"), dir.path().join("copy.md")).expect("link");
    let out = run_in(
        dir.path(),
        &["compare", "s.toml", "--trials", "2000", "-o", "copy.md"],
    );
    assert_refused(&out, "--output", dir.path(), "s.toml", &before);
}

#[cfg(unix)]
#[test]
fn report_output_through_a_symlink_to_the_scenario_is_refused() {
    let dir = scratch();
    let before = scenario_in(dir.path());
    std::os::unix::fs::symlink("s.toml", dir.path().join("report.html")).expect("symlink");
    let out = run_in(
        dir.path(),
        &["report", "s.toml", "--trials", "2000", "-o", "report.html"],
    );
    assert_refused(&out, "--output", dir.path(), "s.toml", &before);
    assert!(dir.path().join("report.html").is_symlink());
}

#[test]
fn optimize_output_naming_the_scenario_is_refused() {
    let dir = scratch();
    let before = scenario_in(dir.path());
    let out = run_in(
        dir.path(),
        &["optimize", "s.toml", "--budget", "200000", "-o", "s.toml"],
    );
    assert_refused(&out, "--output", dir.path(), "s.toml", &before);
}

#[test]
fn trials_output_naming_the_scenario_is_refused() {
    let dir = scratch();
    let before = scenario_in(dir.path());
    let out = run_in(
        dir.path(),
        &[
            "run",
            "s.toml",
            "--trials",
            "2000",
            "--trials-output",
            "s.toml",
        ],
    );
    assert_refused(&out, "--trials-output", dir.path(), "s.toml", &before);
}

#[test]
fn report_trials_output_naming_the_catalogue_option_is_refused() {
    let dir = scratch();
    scenario_in(dir.path());
    std::fs::copy(repo("data/catalogue.toml"), dir.path().join("cat.toml")).expect("copy");
    let before = std::fs::read(dir.path().join("cat.toml")).expect("catalogue");
    let out = run_in(
        dir.path(),
        &[
            "report",
            "s.toml",
            "--catalogue",
            "cat.toml",
            "--trials",
            "2000",
            "-o",
            "r.html",
            "--trials-output",
            "cat.toml",
        ],
    );
    assert_refused(&out, "--trials-output", dir.path(), "cat.toml", &before);
    assert!(!dir.path().join("r.html").exists());
}

#[test]
fn run_output_naming_the_catalogue_the_scenario_names_is_refused() {
    let dir = scratch();
    let text = std::fs::read_to_string(repo("scenarios/default.toml")).expect("scenario");
    let text = text.replacen("[scenario]\n", "[scenario]\ncatalogue = \"cat.toml\"\n", 1);
    std::fs::write(dir.path().join("s.toml"), text).expect("write scenario");
    std::fs::copy(repo("data/catalogue.toml"), dir.path().join("cat.toml")).expect("copy");
    let before = std::fs::read(dir.path().join("cat.toml")).expect("catalogue");
    let out = run_in(
        dir.path(),
        &["run", "s.toml", "--trials", "2000", "-o", "cat.toml"],
    );
    assert_refused(&out, "--output", dir.path(), "cat.toml", &before);
}

#[test]
fn factors_output_naming_the_scenario_is_refused() {
    let dir = scratch();
    let before = scenario_in(dir.path());
    let out = run_in(dir.path(), &["factors", "s.toml", "-o", "s.toml"]);
    assert_refused(&out, "--output", dir.path(), "s.toml", &before);
}

#[test]
fn sensitivity_and_voi_outputs_naming_the_scenario_are_refused() {
    let dir = scratch();
    let before = scenario_in(dir.path());
    let out = run_in(
        dir.path(),
        &["sensitivity", "s.toml", "--trials", "1000", "-o", "s.toml"],
    );
    assert_refused(&out, "--output", dir.path(), "s.toml", &before);
    let out = run_in(
        dir.path(),
        &["voi", "s.toml", "--trials", "2000", "-o", "s.toml"],
    );
    assert_refused(&out, "--output", dir.path(), "s.toml", &before);
}

#[test]
fn simulate_projects_output_naming_the_scenario_is_refused() {
    let dir = scratch();
    let before = scenario_in(dir.path());
    let out = run_in(
        dir.path(),
        &["simulate-projects", "s.toml", "--n", "50", "-o", "s.toml"],
    );
    assert_refused(&out, "--output", dir.path(), "s.toml", &before);
}

#[test]
fn calibrate_data_and_output_the_same_file_is_refused() {
    let dir = scratch();
    let data = dir.path().join("p.csv");
    std::fs::copy(repo("scenarios/calibration/projects.csv"), &data).expect("copy");
    let before = std::fs::read(&data).expect("data");
    let out = run_in(dir.path(), &["calibrate", "--data", "p.csv", "-o", "p.csv"]);
    assert_refused(&out, "--output", dir.path(), "p.csv", &before);
    assert_eq!(listing(dir.path()), ["p.csv"]);
}

#[test]
fn calibrate_report_naming_the_targets_is_refused() {
    let dir = scratch();
    let targets = dir.path().join("t.toml");
    std::fs::copy(repo("scenarios/calibration/published.toml"), &targets).expect("copy");
    let before = std::fs::read(&targets).expect("targets");
    let out = run_in(
        dir.path(),
        &[
            "calibrate",
            "--targets",
            "t.toml",
            "--report",
            "t.toml",
            "-o",
            "fitted.toml",
        ],
    );
    assert_refused(&out, "--report", dir.path(), "t.toml", &before);
    assert_eq!(listing(dir.path()), ["t.toml"]);
}

#[test]
fn reference_class_output_naming_its_data_is_refused() {
    let dir = scratch();
    let data = dir.path().join("o.csv");
    std::fs::copy(repo("scenarios/calibration/overruns.csv"), &data).expect("copy");
    let before = std::fs::read(&data).expect("data");
    let out = run_in(
        dir.path(),
        &["reference-class", "--data", "o.csv", "-o", "o.csv"],
    );
    assert_refused(&out, "--output", dir.path(), "o.csv", &before);
}

#[test]
fn merge_output_naming_a_shard_is_refused() {
    let dir = scratch();
    scenario_in(dir.path());
    for k in ["1", "2"] {
        let shard = format!("{k}/2");
        let file = format!("part-{k}.json");
        let out = run_in(
            dir.path(),
            &[
                "run", "s.toml", "--trials", "40000", "--shard", &shard, "-q", "-o", &file,
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let before = std::fs::read(dir.path().join("part-2.json")).expect("shard");
    let out = run_in(
        dir.path(),
        &["merge", "part-1.json", "part-2.json", "-o", "part-2.json"],
    );
    assert_refused(&out, "--output", dir.path(), "part-2.json", &before);
}

#[cfg(unix)]
#[test]
fn stdout_appended_to_the_scenario_is_refused() {
    let dir = scratch();
    let before = scenario_in(dir.path());
    let out = std::process::Command::new("sh")
        .current_dir(dir.path())
        .args(["-c", "exec \"$0\" run s.toml --trials 2000 -q >> s.toml"])
        .arg(binary())
        .output()
        .expect("sh");
    assert_refused(&out, "standard output", dir.path(), "s.toml", &before);
}

#[cfg(unix)]
#[test]
fn charts_naming_the_scenario_are_refused_and_nothing_is_written() {
    let dir = scratch();
    let charts = dir.path().join("charts");
    std::fs::create_dir(&charts).expect("charts folder");
    // The scenario sits where a chart would be written.
    std::fs::copy(
        repo("scenarios/default.toml"),
        charts.join("npv_histogram.svg"),
    )
    .expect("copy");
    let before = std::fs::read(charts.join("npv_histogram.svg")).expect("scenario");
    let out = run_in(
        dir.path(),
        &[
            "report",
            "charts/npv_histogram.svg",
            "--trials",
            "2000",
            "--sensitivity-trials",
            "100",
            "--no-frontier",
            "-q",
            "-o",
            "r.html",
            "--charts",
            "charts",
        ],
    );
    assert_refused(&out, "--charts", &charts, "npv_histogram.svg", &before);
    assert_eq!(listing(&charts), ["npv_histogram.svg"], "a chart was left");
    assert_eq!(listing(dir.path()), ["charts"]);
}

#[test]
fn charts_failure_leaves_no_chart_file() {
    let dir = scratch();
    let charts = dir.path().join("charts");
    // One chart's place is taken by a folder: that chart cannot be written, so none is.
    std::fs::create_dir_all(charts.join("npv_histogram.png")).expect("blocker");
    let out = run_in(
        dir.path(),
        &[
            "report",
            "--trials",
            "2000",
            "--sensitivity-trials",
            "100",
            "--no-frontier",
            "-q",
            "-o",
            "r.html",
            "--charts",
            "charts",
        ],
    );
    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{message}");
    assert!(
        message.contains("--charts") && message.contains("folder"),
        "{message}"
    );
    assert_eq!(listing(&charts), ["npv_histogram.png"], "a chart was left");
    assert_eq!(listing(dir.path()), ["charts"], "the report was written");
}

#[test]
fn charts_written_whole_with_no_temporary_file() {
    let dir = scratch();
    let out = run_in(
        dir.path(),
        &[
            "report",
            "--trials",
            "2000",
            "--sensitivity-trials",
            "100",
            "--no-frontier",
            "-q",
            "-o",
            "r.html",
            "--charts",
            "new/charts",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let names = listing(&dir.path().join("new/charts"));
    assert!(names.iter().any(|n| n == "npv_histogram.svg"), "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    let svgs = names.iter().filter(|n| n.ends_with(".svg")).count();
    let pngs = names.iter().filter(|n| n.ends_with(".png")).count();
    assert_eq!(svgs, pngs, "{names:?}");
}

#[cfg(unix)]
#[test]
fn a_symlinked_output_is_written_through_and_stays_a_link() {
    let dir = scratch();
    std::fs::create_dir(dir.path().join("sub")).expect("sub");
    std::fs::write(dir.path().join("sub/real.json"), "old").expect("old");
    std::os::unix::fs::symlink("sub/real.json", dir.path().join("out.json")).expect("link");
    let out = run_in(
        dir.path(),
        &[
            "run", "--trials", "2000", "-q", "--format", "json", "-o", "out.json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        dir.path().join("out.json").is_symlink(),
        "the link was replaced"
    );
    let text = std::fs::read_to_string(dir.path().join("sub/real.json")).expect("target");
    serde_json::from_str::<serde_json::Value>(&text).expect("the target holds the JSON");
    assert_eq!(listing(dir.path()), ["out.json", "sub"]);
    assert_eq!(listing(&dir.path().join("sub")), ["real.json"]);
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_output_creates_its_target() {
    let dir = scratch();
    std::os::unix::fs::symlink("made.txt", dir.path().join("out.txt")).expect("link");
    let out = run_in(
        dir.path(),
        &["run", "--trials", "2000", "-q", "-o", "out.txt"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("out.txt").is_symlink());
    let text = std::fs::read_to_string(dir.path().join("made.txt")).expect("target");
    assert!(text.contains("Decision summary"), "{text}");
}

#[cfg(target_os = "linux")]
#[test]
fn dev_stdout_redirected_to_a_file_is_written_in_place() {
    let dir = scratch();
    for special in ["/dev/stdout", "/proc/self/fd/1"] {
        let file = dir.path().join("captured.txt");
        let stdout = std::fs::File::create(&file).expect("capture file");
        let out = std::process::Command::new(binary())
            .current_dir(dir.path())
            .args(["run", "--trials", "2000", "-q", "-o", special])
            .stdin(std::process::Stdio::null())
            .stdout(stdout)
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", stderr(&out));
        let text = std::fs::read_to_string(&file).expect("captured");
        assert!(text.contains("Decision summary"), "{special}: {text}");
        assert!(
            Path::new("/dev/stdout").is_symlink(),
            "/dev/stdout was replaced"
        );
        assert_eq!(listing(dir.path()), ["captured.txt"], "{special}");
    }
}

#[test]
fn an_output_that_is_a_folder_is_refused() {
    let dir = scratch();
    std::fs::create_dir(dir.path().join("out")).expect("folder");
    let out = run_in(dir.path(), &["run", "--trials", "2000", "-q", "-o", "out"]);
    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{message}");
    assert!(
        message.contains("--output") && message.contains("folder"),
        "{message}"
    );
    assert_eq!(listing(&dir.path().join("out")), Vec::<String>::new());
}

#[test]
fn an_output_in_a_missing_folder_is_refused() {
    let dir = scratch();
    let out = run_in(
        dir.path(),
        &["run", "--trials", "2000", "-q", "-o", "missing/out.txt"],
    );
    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{message}");
    assert!(message.contains("does not exist"), "{message}");
    assert!(listing(dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_as_output_is_refused() {
    let dir = scratch();
    std::os::unix::fs::symlink("b.txt", dir.path().join("a.txt")).expect("a");
    std::os::unix::fs::symlink("a.txt", dir.path().join("b.txt")).expect("b");
    let out = run_in(
        dir.path(),
        &["run", "--trials", "2000", "-q", "-o", "a.txt"],
    );
    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{message}");
    assert!(message.contains("symbolic links"), "{message}");
    assert!(dir.path().join("a.txt").is_symlink() && dir.path().join("b.txt").is_symlink());
    assert_eq!(listing(dir.path()), ["a.txt", "b.txt"]);
}

#[cfg(target_os = "linux")]
#[test]
fn dev_stdout_appended_onto_the_scenario_is_refused() {
    let dir = scratch();
    let before = scenario_in(dir.path());
    let out = std::process::Command::new("sh")
        .current_dir(dir.path())
        .args([
            "-c",
            "exec \"$0\" run s.toml --trials 2000 -q -o /dev/stdout >> s.toml",
        ])
        .arg(binary())
        .output()
        .expect("sh");
    assert_refused(&out, "--output", dir.path(), "s.toml", &before);
}

#[cfg(unix)]
#[test]
fn trials_output_through_a_symlink_is_written_through() {
    let dir = scratch();
    std::os::unix::fs::symlink("real.csv", dir.path().join("trials.csv")).expect("link");
    let out = run_in(
        dir.path(),
        &[
            "run",
            "--trials",
            "2000",
            "-q",
            "-o",
            "out.txt",
            "--trials-output",
            "trials.csv",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("trials.csv").is_symlink());
    let text = std::fs::read_to_string(dir.path().join("real.csv")).expect("target");
    assert!(
        text.starts_with("trial,"),
        "{}",
        &text[..60.min(text.len())]
    );
    assert_eq!(listing(dir.path()), ["out.txt", "real.csv", "trials.csv"]);
}
