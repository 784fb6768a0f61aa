//! Hostile cases: shard files edited, damaged, mixed or repeated before `crmcast merge`. A
//! digest proves only that a file is as written — whoever edits one can recompute it — so the
//! edits below reseal the file (as a tamperer would) and merge must still refuse, with exit 2,
//! naming the file and what is wrong, and print no result.

use super::support::*;
use crmcast::export::shard::ShardFile;
use std::path::{Path, PathBuf};

/// Shards 1/2 and 2/2 of a small run of the default scenario, in `dir`.
fn two_shards(dir: &Path, extra: &[&str]) -> [PathBuf; 2] {
    [1, 2].map(|k| {
        let path = dir.join(format!("part-{k}{}.json", extra.len()));
        let shard = format!("{k}/2");
        let mut args = vec!["run", "--trials", "40000", "--quiet", "--shard", &shard];
        args.extend(extra);
        args.extend(["--output", path.to_str().expect("path")]);
        crmcast().args(&args).assert().success();
        path
    })
}

/// Edit a shard file's content and write it back with a freshly computed digest.
fn tamper(path: &Path, edit: impl FnOnce(&mut ShardFile)) {
    let bytes = std::fs::read(path).expect("read shard");
    let mut file = ShardFile::parse(&bytes).expect("a valid shard to start from");
    edit(&mut file);
    let mut out = Vec::new();
    file.write(&mut out).expect("serialise");
    std::fs::write(path, out).expect("write shard");
}

/// `crmcast merge` on `paths`: asserts exit 2, no result on stdout, and returns stderr.
fn merge_refused(paths: &[&Path]) -> String {
    let output = crmcast()
        .arg("merge")
        .args(paths)
        .output()
        .expect("run merge");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty(), "a result was printed: {stderr}");
    stderr
}

/// Tamper with shard 2/2 of a fresh pair, merge, and check the refusal names that file and
/// says `what`.
fn refused_after(edit: impl FnOnce(&mut ShardFile), what: &str) {
    let dir = scratch();
    let [one, two] = two_shards(dir.path(), &[]);
    tamper(&two, edit);
    let stderr = merge_refused(&[&one, &two]);
    assert!(stderr.contains("part-20.json"), "names the file: {stderr}");
    assert!(stderr.contains(what), "says {what:?}: {stderr}");
}

#[test]
fn an_intact_pair_still_merges_to_the_single_run() {
    let dir = scratch();
    let [one, two] = two_shards(dir.path(), &[]);
    let merged = crmcast()
        .args(["merge", "--format", "json"])
        .args([&one, &two])
        .output()
        .expect("merge");
    assert!(merged.status.success());
    let single = crmcast()
        .args(["run", "--trials", "40000", "--quiet", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(merged.stdout, single.stdout);
}

#[test]
fn a_success_count_raised_to_2500_percent_is_refused() {
    refused_after(|f| f.result.strategies[0].class_counts[0] *= 25, "+ failed");
}

#[test]
fn class_counts_shifted_but_adding_up_are_refused() {
    refused_after(
        |f| {
            let counts = &mut f.result.strategies[0].class_counts;
            counts[0] += counts[1];
            counts[1] = 0;
        },
        "the success moments say",
    );
}

#[test]
fn a_sum_edited_to_wrap_is_refused() {
    refused_after(
        |f| f.result.strategies[1].moments[3].sum = i128::MAX,
        "outside",
    );
}

#[test]
fn a_counter_edited_past_the_trials_is_refused() {
    refused_after(
        |f| f.result.strategies[0].runaways = u64::MAX,
        "`runaways` counts",
    );
}

#[test]
fn a_sum_of_squares_below_its_bound_is_refused() {
    refused_after(
        |f| f.result.strategies[0].moments[0].square_sum = 1,
        "below (sum)²/count",
    );
}

#[test]
fn a_negative_sum_of_squares_is_refused() {
    refused_after(
        |f| f.result.strategies[1].paired[0].square_sum = -5,
        "differences to the baseline",
    );
}

#[test]
fn a_shard_missing_a_strategy_is_refused() {
    refused_after(
        |f| {
            f.result.strategies.pop();
        },
        "strategies, but the scenario has",
    );
}

#[test]
fn a_duplicated_strategy_is_refused() {
    refused_after(
        |f| {
            let copy = f.result.strategies[1].clone();
            f.result.strategies.push(copy);
        },
        "strategies, but the scenario has",
    );
}

#[test]
fn primary_causes_that_do_not_add_up_are_refused() {
    refused_after(
        |f| f.result.strategies[0].primary_cause[0] += 7,
        "primary causes do not add up",
    );
}

#[test]
fn a_factor_count_that_does_not_match_the_scenario_is_refused() {
    refused_after(
        |f| {
            f.result.strategies[0].presence.push(0);
        },
        "presences for",
    );
}

#[test]
fn trials_doubled_everywhere_are_refused() {
    refused_after(
        |f| {
            f.result.trials *= 2;
            for s in &mut f.result.strategies {
                s.trials *= 2;
            }
        },
        "but its batches hold",
    );
}

#[test]
fn overlapping_batch_ranges_are_refused() {
    refused_after(|f| f.result.batches.0 = 0, "holds batches 0..");
}

#[test]
fn an_edit_without_a_new_digest_is_refused() {
    let dir = scratch();
    let [one, two] = two_shards(dir.path(), &[]);
    let text = std::fs::read_to_string(&two).expect("read");
    let edited = text.replacen("\"class_counts\":[", "\"class_counts\":[9", 1);
    assert_ne!(text, edited);
    std::fs::write(&two, edited).expect("write");
    let stderr = merge_refused(&[&one, &two]);
    assert!(stderr.contains("part-20.json"), "{stderr}");
    assert!(stderr.contains("does not match its digest"), "{stderr}");
}

#[test]
fn a_truncated_shard_is_refused() {
    let dir = scratch();
    let [one, two] = two_shards(dir.path(), &[]);
    let bytes = std::fs::read(&two).expect("read");
    std::fs::write(&two, &bytes[..bytes.len() - 40]).expect("write");
    let stderr = merge_refused(&[&one, &two]);
    assert!(stderr.contains("part-20.json"), "{stderr}");
    assert!(stderr.contains("EOF while parsing"), "{stderr}");
}

#[test]
fn a_shard_of_another_scenario_is_refused() {
    let dir = scratch();
    let [one, _] = two_shards(dir.path(), &[]);
    let retail = repo("scenarios/retail_chain.toml");
    let [_, other] = two_shards(dir.path(), &[retail.to_str().expect("path")]);
    let stderr = merge_refused(&[&one, &other]);
    assert!(stderr.contains("the scenario is"), "{stderr}");
}

#[test]
fn the_same_shard_twice_is_refused() {
    let dir = scratch();
    let [one, _] = two_shards(dir.path(), &[]);
    let copy = dir.path().join("copy.json");
    std::fs::copy(&one, &copy).expect("copy");
    let stderr = merge_refused(&[&one, &copy]);
    assert!(stderr.contains("is also in"), "{stderr}");
}

#[test]
fn a_huge_shard_count_allocates_nothing() {
    let dir = scratch();
    let [one, _] = two_shards(dir.path(), &[]);
    tamper(&one, |f| f.result.shard.count = u64::MAX);
    // Under a 4 GB address-space limit: a vector sized by the count would abort.
    let script = format!(
        "ulimit -v 4000000; exec '{}' merge '{}'",
        binary().display(),
        one.display()
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("shards missing: 2/"), "{stderr}");
}

#[test]
fn a_shard_of_the_old_format_is_refused_with_the_version() {
    let dir = scratch();
    let [one, two] = two_shards(dir.path(), &[]);
    let text = std::fs::read_to_string(&two).expect("read");
    std::fs::write(
        &two,
        text.replacen("\"format_version\":2", "\"format_version\":1", 1),
    )
    .expect("write");
    let stderr = merge_refused(&[&one, &two]);
    assert!(stderr.contains("shard format 1"), "{stderr}");
}

#[test]
fn a_baseline_with_differences_to_itself_is_refused() {
    refused_after(
        |f| f.result.strategies[0].paired[2].count = 20_000,
        "differences to itself",
    );
}
