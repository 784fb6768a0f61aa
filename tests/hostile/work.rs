//! Hostile cases: options that size memory or work (src/cli/limits.rs). One past each limit
//! is refused while the arguments are parsed — exit 2, naming the option and its range —
//! under a 4 GB address-space limit, so a refusal that came after a huge allocation would
//! abort instead; and fast, since nothing was started.

use super::support::*;
use std::time::{Duration, Instant};

/// Run crmcast with `args` under `ulimit -v 4000000` (KiB) and return (exit code, stderr).
fn limited(args: &[&str]) -> (Option<i32>, String) {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "ulimit -v 4000000; exec '{}' {} </dev/null",
        binary().display(),
        quoted.join(" ")
    );
    let started = Instant::now();
    let output = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{args:?} took {:?}",
        started.elapsed()
    );
    assert!(output.stdout.is_empty(), "{args:?} printed a result");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `args` is refused with exit 2 and a message naming `option` and `range`.
fn refused(args: &[&str], option: &str, range: &str) {
    let (code, stderr) = limited(args);
    assert_eq!(code, Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(option), "{args:?} names {option}: {stderr}");
    assert!(stderr.contains(range), "{args:?} states {range}: {stderr}");
}

macro_rules! past_the_limit {
    ($($name:ident: [$($arg:expr),*] => $option:expr, $range:expr;)*) => {$(
        #[test]
        fn $name() {
            refused(&[$($arg),*], $option, $range);
        }
    )*};
}

past_the_limit! {
    sobol_samples_past_the_limit: ["sensitivity", "--sobol-samples", "65537"] => "--sobol-samples", "0..=65536";
    sobol_samples_of_a_billion: ["sensitivity", "--sobol-samples", "1000000000"] => "--sobol-samples", "0..=65536";
    sensitivity_bootstrap_past_the_limit: ["sensitivity", "--bootstrap", "2001"] => "--bootstrap", "0..=2000";
    sensitivity_bootstrap_of_a_billion: ["sensitivity", "--bootstrap", "1000000000"] => "--bootstrap", "0..=2000";
    shapley_permutations_past_the_limit: ["sensitivity", "--shapley-permutations", "100001"] => "--shapley-permutations", "0..=100000";
    sensitivity_trials_past_the_limit: ["sensitivity", "--trials", "1000001"] => "--trials", "100..=1000000";
    voi_bootstrap_past_the_limit: ["voi", "--bootstrap", "2001"] => "--bootstrap", "0..=2000";
    voi_trials_past_the_limit: ["voi", "--trials", "2000001"] => "--trials", "1..=2000000";
    threads_past_the_limit_in_run: ["run", "--threads", "257"] => "--threads", "0..=256";
    threads_of_a_billion_in_sensitivity: ["sensitivity", "--threads", "1000000000"] => "--threads", "0..=256";
    threads_past_the_limit_in_report: ["report", "--threads", "257"] => "--threads", "0..=256";
    calibrate_trials_past_the_limit: ["calibrate", "--trials", "10000001", "-o", "x.toml"] => "--trials", "1000..=10000000";
    calibrate_iterations_past_the_limit: ["calibrate", "--max-iterations", "100001", "-o", "x.toml"] => "--max-iterations", "10..=100000";
    projects_past_the_limit: ["simulate-projects", "--n", "10000001"] => "--n", "1 to 10,000,000 projects";
    optimize_shortlist_past_the_limit: ["optimize", "--budget", "100000", "--shortlist", "1001"] => "--shortlist", "0..=1000";
    report_sensitivity_trials_past_the_limit: ["report", "--sensitivity-trials", "1000001"] => "--sensitivity-trials", "100..=1000000";
    run_trials_past_the_limit: ["run", "--trials", "10000000001"] => "--trials", "10000000000";
    max_trials_past_the_limit: ["run", "--precision", "0.01", "--max-trials", "10000000001"] => "--max-trials", "10000000000";
    optimize_trials_past_the_limit: ["optimize", "--budget", "100000", "--trials", "1000001"] => "--trials", "1000000";
    optimize_confirm_trials_past_the_limit: ["optimize", "--budget", "100000", "--confirm-trials", "1000001"] => "--confirm-trials", "1000000";
}

#[test]
fn xlsx_trials_past_the_memory_limit_are_refused_before_the_run() {
    // 20 001 trials × 5 strategies = 100 005 rows: past the 100 000-row limit.
    let dir = scratch();
    let out = dir.path().join("r.xlsx");
    let (code, stderr) = limited(&[
        "report",
        "--format",
        "xlsx",
        "--xlsx-trials",
        "20001",
        "--trials",
        "40000",
        "--quiet",
        "-o",
        out.to_str().expect("path"),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--xlsx-trials"), "{stderr}");
    assert!(stderr.contains("100000 rows"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn the_limits_are_in_the_help_text() {
    let output = crmcast()
        .args(["sensitivity", "--help"])
        .output()
        .expect("help");
    let help = String::from_utf8_lossy(&output.stdout);
    for stated in [
        "at most 65536",
        "at most 2000",
        "at most 100000",
        "100 to 1000000",
        "at most 256",
    ] {
        assert!(help.contains(stated), "{stated}: {help}");
    }
}
