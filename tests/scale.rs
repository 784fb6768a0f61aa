//! The engine at scale: shards that merge bit for bit, precision on demand, the structured
//! sampling designs and their standard errors, invariance to threads and splits, Ctrl-C.

use assert_cmd::Command;
use crmcast::analysis::Report;
use crmcast::engine::{NoObserver, RunSettings, Sampling, Shard, SimulationResult, simulate};
use crmcast::scenario::Scenario;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn crmcast() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("crmcast");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}

fn load(name: &str) -> Scenario {
    Scenario::load(&scenario_path(name)).expect("shipped scenario")
}

fn run_ok(args: &[&str]) -> std::process::Output {
    let output = crmcast().args(args).output().expect("runs");
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn run_bad(args: &[&str]) -> String {
    let output = crmcast().args(args).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{args:?} should be refused");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(stderr.contains("fix:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Shards of a run, merged, print exactly what one run of all trials prints.
fn shards_merge_bit_for_bit(sampling: &str, command: &str, shards: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let retail = scenario_path("retail_chain");
    let retail = retail.to_str().expect("utf-8 path");
    let whole = dir.path().join("whole.json");
    let common = ["--trials", "70000", "--seed", "9", "--sampling", sampling];
    let mut args = vec![command, retail];
    args.extend(common);
    let mut whole_args = args.clone();
    whole_args.extend([
        "--format",
        "json",
        "--output",
        whole.to_str().expect("path"),
    ]);
    run_ok(&whole_args);
    let mut parts = Vec::new();
    for k in 1..=shards {
        let part = dir.path().join(format!("part-{k}.json"));
        let shard = format!("{k}/{shards}");
        let mut shard_args = args.clone();
        shard_args.extend(["--threads", "1", "--shard", &shard, "--output"]);
        shard_args.push(part.to_str().expect("path"));
        run_ok(&shard_args);
        parts.push(part);
    }
    // Merge in reverse order: the order of the files does not matter.
    let merged = dir.path().join("merged.json");
    let mut merge_args = vec!["merge".to_string()];
    merge_args.extend(parts.iter().rev().map(|p| p.display().to_string()));
    merge_args.extend(["--format", "json", "--output"].map(String::from));
    merge_args.push(merged.display().to_string());
    let refs: Vec<&str> = merge_args.iter().map(|s| s.as_str()).collect();
    run_ok(&refs);
    let (a, b) = (
        std::fs::read(&whole).expect("whole"),
        std::fs::read(&merged).expect("merged"),
    );
    assert!(
        a == b,
        "merged output differs from the single run ({sampling}, {command})"
    );
}

#[test]
fn shards_merge_to_the_single_run_bit_for_bit() {
    shards_merge_bit_for_bit("random", "compare", 3);
    shards_merge_bit_for_bit("sobol", "run", 2);
    shards_merge_bit_for_bit("lhs", "compare", 4);
}

/// Write shards 1/2 and 2/2 of a run with `extra` options into `dir`; return their paths.
fn two_shards(dir: &Path, extra: &[&str], name: &str) -> Vec<String> {
    (1..=2)
        .map(|k| {
            let path = dir.join(format!("{name}-{k}.json")).display().to_string();
            let shard = format!("{k}/2");
            let mut args = vec![
                "run", "--trials", "40000", "--shard", &shard, "--output", &path,
            ];
            args.extend(extra);
            run_ok(&args);
            path
        })
        .collect()
}

#[test]
fn merge_refuses_shards_that_do_not_belong_together() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = two_shards(dir.path(), &[], "good");
    let seed = two_shards(dir.path(), &["--seed", "5"], "seed");
    let retail = scenario_path("retail_chain").display().to_string();
    let other = two_shards(dir.path(), &[&retail], "other");
    let sobol = two_shards(dir.path(), &["--sampling", "sobol"], "sobol");
    let stderr = run_bad(&["merge", &good[0]]);
    assert!(stderr.contains("shards missing: 2/2"), "{stderr}");
    let stderr = run_bad(&["merge", &good[0], &good[0], &good[1]]);
    assert!(stderr.contains("also in"), "{stderr}");
    let stderr = run_bad(&["merge", &good[0], &seed[1]]);
    assert!(stderr.contains("the seed is 5"), "{stderr}");
    let stderr = run_bad(&["merge", &good[0], &other[1]]);
    assert!(stderr.contains("the scenario"), "{stderr}");
    let stderr = run_bad(&["merge", &good[0], &sobol[1]]);
    assert!(stderr.contains("the sampling is sobol"), "{stderr}");
    // Not a shard file, a damaged one, one from another version.
    let not_shard = dir.path().join("not.json");
    std::fs::write(&not_shard, "{\"strategies\": []}").expect("write");
    let stderr = run_bad(&["merge", not_shard.to_str().expect("path")]);
    assert!(stderr.contains("not a shard file"), "{stderr}");
    let text = std::fs::read_to_string(&good[1]).expect("read");
    let damaged = dir.path().join("damaged.json");
    std::fs::write(&damaged, &text[..text.len() / 2]).expect("write");
    let stderr = run_bad(&["merge", &good[0], damaged.to_str().expect("path")]);
    assert!(stderr.contains("line"), "{stderr}");
    let old = dir.path().join("old.json");
    std::fs::write(
        &old,
        text.replacen("\"crmcast_version\":\"", "\"crmcast_version\":\"0.0.0-", 1),
    )
    .expect("write");
    let stderr = run_bad(&["merge", &good[0], old.to_str().expect("path")]);
    assert!(stderr.contains("same crmcast version"), "{stderr}");
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, text.replacen("Generic", "Tampered", 1)).expect("write");
    let stderr = run_bad(&["merge", &good[0], tampered.to_str().expect("path")]);
    assert!(stderr.contains("digest"), "{stderr}");
}

#[test]
fn bad_shard_and_sampling_options_are_refused() {
    for shard in ["0/3", "4/3", "abc", "1/0", "2"] {
        let stderr = run_bad(&["run", "--shard", shard, "--output", "-"]);
        assert!(stderr.contains("--shard"), "{stderr}");
    }
    let stderr = run_bad(&[
        "run", "--trials", "20000", "--shard", "1/3", "--output", "-",
    ]);
    assert!(stderr.contains("cannot be split"), "{stderr}");
    let stderr = run_bad(&["run", "--shard", "1/2"]);
    assert!(stderr.contains("--output"), "{stderr}");
    let stderr = run_bad(&["run", "--shard", "1/2", "--format", "csv", "--output", "-"]);
    assert!(stderr.contains("merge"), "{stderr}");
    let stderr = run_bad(&["run", "--sampling", "sobol", "--trials", "1000"]);
    assert!(stderr.contains("two full batches"), "{stderr}");
    for precision in [
        "0",
        "-1",
        "abc",
        "p_sucess=0.01",
        "npv_mean=nan",
        "p_success=1e400",
    ] {
        let stderr = run_bad(&["run", &format!("--precision={precision}")]);
        assert!(stderr.contains("--precision"), "{stderr}");
    }
    let output = crmcast()
        .args(["run", "--precision", "0.01", "--trials", "1000"])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(2),
        "--trials and --precision conflict"
    );
}

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

#[test]
fn precision_runs_until_every_target_is_met() {
    let target = 0.004;
    let output = run_ok(&[
        "run",
        "--precision",
        &format!("p_success={target},npv_mean=5%"),
        "--format",
        "json",
    ]);
    let report = json(&output);
    let run = &report["run"];
    assert_eq!(run["ending"], "target_met");
    let trials = run["trials"].as_u64().expect("trials");
    assert!(
        trials < 100_000_000 && trials.is_multiple_of(16_384),
        "{trials}"
    );
    for check in run["precision"].as_array().expect("checks") {
        assert_eq!(check["met"], true, "{check}");
    }
    for strategy in report["strategies"].as_array().expect("strategies") {
        let metric = strategy["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .find(|m| m["id"] == "p_success")
            .expect("p_success");
        let half =
            0.5 * (metric["high"].as_f64().expect("high") - metric["low"].as_f64().expect("low"));
        assert!(half <= target, "half-width {half}");
    }
    // The run stops at a checkpoint (MODEL.md §11: after 8, 16, 32 and 64 batches, then every
    // 64), and the rule was checked at the previous one too and was not met there: the run did
    // not stop later than it had to.
    let batches = trials / 16_384;
    let previous = match batches {
        8 => 0,
        16 | 32 | 64 => batches / 2,
        b => {
            assert!(b % 64 == 0, "{trials} trials is not a checkpoint");
            b - 64
        }
    } * 16_384;
    if previous > 0 {
        let output = run_ok(&["run", "--trials", &previous.to_string(), "--format", "json"]);
        let earlier = json(&output);
        let widest = earlier["strategies"]
            .as_array()
            .expect("strategies")
            .iter()
            .map(|s| {
                let m = s["metrics"]
                    .as_array()
                    .expect("metrics")
                    .iter()
                    .find(|m| m["id"] == "p_success")
                    .expect("p");
                0.5 * (m["high"].as_f64().expect("h") - m["low"].as_f64().expect("l"))
            })
            .fold(0.0, f64::max);
        let npv_unmet = earlier["strategies"]
            .as_array()
            .expect("s")
            .iter()
            .any(|s| {
                let m = s["metrics"]
                    .as_array()
                    .expect("metrics")
                    .iter()
                    .find(|m| m["id"] == "npv_mean")
                    .expect("n");
                0.5 * (m["high"].as_f64().expect("h") - m["low"].as_f64().expect("l"))
                    > 0.05 * m["value"].as_f64().expect("v").abs()
            });
        assert!(
            widest > target || npv_unmet,
            "the targets were already met at {previous} trials"
        );
    }
}

#[test]
fn an_unreachable_precision_stops_at_max_trials_and_says_so() {
    let output = run_ok(&[
        "run",
        "--precision",
        "0.0001",
        "--max-trials",
        "50000",
        "--format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("precision not reached"), "{stderr}");
    let report = json(&output);
    assert_eq!(report["run"]["trials"], 50_000);
    assert_eq!(report["run"]["ending"], "completed");
    assert!(
        report["run"]["precision"]
            .as_array()
            .expect("checks")
            .iter()
            .any(|c| c["met"] == false)
    );
}

fn simulate_with(
    scenario: &Scenario,
    trials: u64,
    seed: u64,
    threads: usize,
    sampling: Sampling,
    shard: Shard,
) -> SimulationResult {
    let settings = RunSettings {
        trials,
        seed,
        threads,
        sampling,
        shard,
        ..RunSettings::default()
    };
    simulate(scenario, &settings, &NoObserver).expect("simulate")
}

fn estimate(report: &Report, strategy: usize, id: &str) -> (f64, f64) {
    let e = report.strategies[strategy].metric(id).expect("metric");
    (e.value, e.se)
}

/// The structured designs estimate the same quantities as pseudo-random sampling.
#[test]
fn lhs_and_sobol_agree_with_random_sampling() {
    let scenario = load("default");
    let trials = 200_000;
    let random = Report::build(
        &scenario,
        &simulate_with(&scenario, trials, 3, 0, Sampling::Random, Shard::WHOLE),
    );
    for sampling in [Sampling::Lhs, Sampling::Sobol] {
        let report = Report::build(
            &scenario,
            &simulate_with(&scenario, trials, 4, 0, sampling, Shard::WHOLE),
        );
        assert_eq!(report.run.standard_errors, "batch_means");
        for id in [
            "p_success",
            "p_failed",
            "overrun_mean",
            "npv_mean",
            "slip_mean",
        ] {
            for s in 0..report.strategies.len() {
                let (a, sa) = estimate(&random, s, id);
                let (b, sb) = estimate(&report, s, id);
                let z = (a - b) / sa.hypot(sb);
                assert!(
                    z.abs() < 4.5,
                    "{sampling:?} {id} strategy {s}: {a} vs {b} (z = {z:.2})"
                );
            }
        }
    }
}

/// Batch-means standard errors are honest: over independent replicates (different seeds) the
/// spread of the estimates matches the reported standard error. With R = 24 replicates the
/// ratio sd/SE has a relative standard error of about 1/√(2·23) ≈ 15 %; the bounds allow
/// about ±3.5 of those.
#[test]
fn batch_means_standard_errors_match_the_spread_over_replicates() {
    let scenario = load("small_business");
    let replicates = 24;
    for sampling in [Sampling::Lhs, Sampling::Sobol] {
        for id in ["npv_mean", "p_success"] {
            let mut values = Vec::new();
            let mut errors = Vec::new();
            for seed in 0..replicates {
                let result = simulate_with(
                    &scenario,
                    8 * 16_384,
                    1000 + seed,
                    0,
                    sampling,
                    Shard::WHOLE,
                );
                let report = Report::build(&scenario, &result);
                let (value, se) = estimate(&report, 0, id);
                values.push(value);
                errors.push(se);
            }
            let mean = values.iter().sum::<f64>() / replicates as f64;
            let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
                / (replicates - 1) as f64)
                .sqrt();
            let se = (errors.iter().map(|e| e * e).sum::<f64>() / replicates as f64).sqrt();
            let ratio = sd / se;
            assert!(
                (0.45..=1.6).contains(&ratio),
                "{sampling:?} {id}: sd {sd} vs SE {se} (ratio {ratio:.2})"
            );
        }
    }
}

/// Sobol sampling needs fewer trials than pseudo-random sampling for the same precision of a
/// mean (reported variance ratio above 2), on a shipped scenario.
///
/// A variance ratio exists only for a figure with a finite variance. The runaway's cost
/// multiplier is Pareto with the catalogue's tail index 2, whose variance is infinite, and so
/// are those of the cost and the NPV: their standard errors are ruled by the few largest draws
/// and no variance reduction can be claimed for them (retail_chain, seeds 8–13, gave NPV ratios
/// from 1.3 to 6.1). So the property is checked where it applies:
/// - as shipped, on the mean annual benefit (bounded; measured ratios 4.9–8.9);
/// - with the runaway's tail index set to 5 (finite variance and fourth moment, so that both
///   standard errors are consistent), on the mean NPV, the runaway's trigger and size included
///   (measured ratios 6.9–17.6 over seeds 8–19).
///
/// Each variance ratio, the square of a ratio of standard errors whose Sobol one comes from 16
/// batch means, has a relative spread of about 2/√(2·15) ≈ 37 %: 2 is well below the smallest
/// ratio measured.
#[test]
fn sobol_reduces_the_variance_of_a_mean() {
    let ratio = |scenario: &Scenario, id: &str| {
        let trials = 16 * 16_384;
        let random = Report::build(
            scenario,
            &simulate_with(scenario, trials, 8, 0, Sampling::Random, Shard::WHOLE),
        );
        let sobol = Report::build(
            scenario,
            &simulate_with(scenario, trials, 8, 0, Sampling::Sobol, Shard::WHOLE),
        );
        let (_, random_se) = estimate(&random, 0, id);
        let (_, sobol_se) = estimate(&sobol, 0, id);
        (random_se / sobol_se).powi(2)
    };
    let shipped = load("retail_chain");
    assert_eq!(shipped.project.runaway.tail, 2.0, "the premise above");
    let benefit = ratio(&shipped, "annual_benefit_mean");
    assert!(benefit > 2.0, "annual benefit: variance ratio {benefit:.2}");
    let mut finite = shipped.clone();
    finite.project.runaway.tail = 5.0;
    let npv = ratio(&finite, "npv_mean");
    assert!(npv > 2.0, "NPV, tail index 5: variance ratio {npv:.2}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// Results do not depend on the thread count or on how the run is split into shards.
    #[test]
    fn results_do_not_depend_on_threads_or_shards(
        shards in 1u64..6,
        threads in 1usize..4,
        seed in 0u64..1000,
        sampling in prop_oneof![Just(Sampling::Random), Just(Sampling::Lhs), Just(Sampling::Sobol)],
    ) {
        let scenario = load("small_business");
        let trials = 5 * 16_384 + 777;
        let whole = simulate_with(&scenario, trials, seed, 2, sampling, Shard::WHOLE);
        let mut merged: Option<SimulationResult> = None;
        for index in 0..shards {
            let part = simulate_with(&scenario, trials, seed, threads, sampling, Shard { index, count: shards });
            match merged.as_mut() {
                None => merged = Some(part),
                Some(m) => m.absorb(&part),
            }
        }
        let mut merged = merged.expect("at least one shard");
        merged.shard = Shard::WHOLE;
        prop_assert_eq!(merged, whole);
    }
}

/// Ctrl-C stops the run, says so, exits with 130 and leaves no output file.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("out.json");
    let binary = assert_cmd::cargo::cargo_bin!("crmcast");
    let child = std::process::Command::new(binary)
        .args([
            "run",
            "--trials",
            "5000000000",
            "--format",
            "json",
            "--output",
        ])
        .arg(&output)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let finished = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&finished.stderr);
    assert_eq!(finished.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted after"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!output.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}
