//! Regression tests for what the fuzz targets (fuzz/, see fuzz/run.sh) found. The inputs live
//! in tests/bad_inputs/fuzz/; each goes through the fuzz targets' own checks
//! (fuzz/fuzz_targets/common.rs): refused with an error that renders, or run with every trial
//! outcome and every report figure finite and mitigation never hurting on common random numbers.

#[path = "../fuzz/fuzz_targets/common.rs"]
mod common;
#[path = "../fuzz/fuzz_targets/files.rs"]
mod files;

use crmcast::scenario::Scenario;
use std::path::{Path, PathBuf};

fn fuzz_inputs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs/fuzz")
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Inputs that must be refused, and what the message must say.
const REFUSED: &[(&str, &[&str])] = &[
    // A lognormal annual benefit whose far tail overflowed to +∞ (annual benefit, NPV, ROI).
    (
        "lognormal_annual_tail_overflow.toml",
        &[
            "benefits.annual",
            "far tail",
            "× the limit of 10000000000000",
        ],
    ),
    // The same for a mitigation's cost: investment +∞, NPV −∞, ROI NaN.
    (
        "lognormal_cost_tail_overflow.toml",
        &["mitigations[0].cost", "far tail", "× the limit"],
    ),
    // A lever uplift whose tail goes past the +1000 % limit on uplifts.
    (
        "lognormal_lever_tail_beyond_limit.toml",
        &[
            "benefits.levers.new_customers",
            "far tail",
            "× the limit of 10",
        ],
    ),
    // σ = 0: a draw at u = 0 would give 0·(−∞) = NaN.
    (
        "lognormal_cost_no_spread.toml",
        &["mitigations[0].cost", "too close together"],
    ),
];

#[test]
fn fuzz_findings_are_refused_with_place_and_fix() {
    for (file, expect) in REFUSED {
        let path = fuzz_inputs().join(file);
        let error = match Scenario::load(&path) {
            Ok(_) => panic!("{file} was accepted"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("fix:"), "{file}: no fix in\n{error}");
        for wanted in *expect {
            assert!(
                error.contains(wanted),
                "{file}: {wanted:?} missing in\n{error}"
            );
        }
    }
}

#[test]
fn every_fuzz_finding_has_a_case() {
    let files: Vec<String> = toml_files(&fuzz_inputs())
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut listed: Vec<String> = REFUSED.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
}

/// Every fuzz finding, and every seed of the fuzz corpus (the scenarios and the bad inputs),
/// passes the fuzz targets' checks.
#[test]
fn fuzz_findings_and_seeds_pass_the_fuzz_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = toml_files(&fuzz_inputs());
    files.extend(toml_files(&root.join("scenarios")));
    files.extend(toml_files(&root.join("tests/bad_inputs")));
    assert!(files.len() > 40);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let outcome = std::panic::catch_unwind(|| common::check_text(&text));
        assert!(outcome.is_ok(), "{} fails the fuzz checks", file.display());
    }
}

/// The limit sits where the tail does: an interval just inside it is accepted, and a narrow
/// lognormal near the top of the range is still fine.
#[test]
fn lognormal_limit_accepts_ordinary_intervals() {
    let valid = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs/valid_minimal.toml"),
    )
    .unwrap();
    let accepted = [
        "cost = { low = 60_000.0, high = 120_000.0 }",
        "cost = { low = 1_000.0, high = 1e6, confidence = 0.9 }",
        "cost = { low = 1e12, high = 2e12, confidence = 0.999 }",
    ];
    for cost in accepted {
        let text = valid.replace(
            "cost = { min = 1_000.0, mode = 2_000.0, max = 3_000.0 }",
            cost,
        );
        assert_ne!(text, valid);
        let source = crmcast::scenario::source::Source::new("limit.toml", text);
        if let Err(e) = Scenario::from_source(&source) {
            panic!("{cost} refused: {e}");
        }
    }
}

/// The tail rule refuses only intervals wide enough to overflow: an ordinary uncertain lever
/// (a 5–30 % uplift, 90 % sure) is accepted, and its runs stay finite.
#[test]
fn ordinary_lognormal_intervals_are_accepted() {
    let path = fuzz_inputs().join("lognormal_lever_tail_beyond_limit.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    let text = text
        .replace(
            "{ low = 1e-300, high = 10.0, confidence = 0.999 }",
            "{ low = 0.05, high = 0.30, confidence = 0.9 }",
        )
        .replace("baseline_revenue = 1e13", "baseline_revenue = 1e6");
    let source = crmcast::scenario::source::Source::new("ordinary lever", text);
    let scenario = Scenario::from_source(&source).expect("an ordinary lognormal lever is valid");
    let settings = crmcast::engine::RunSettings {
        trials: 5_000,
        seed: 3,
        threads: 1,
        ..Default::default()
    };
    let result =
        crmcast::engine::simulate(&scenario, &settings, &crmcast::engine::NoObserver).expect("run");
    let report = crmcast::analysis::Report::build(&scenario, &result);
    let npv = report.baseline().metric("npv_mean").expect("npv");
    assert!(npv.value.is_finite() && npv.se.is_finite());
}

/// A shard file of the default scenario (shard 1/2 of 40 000 trials), as `run --shard` writes.
fn shard_bytes() -> (crmcast::export::shard::ShardFile, Vec<u8>) {
    use crmcast::engine::{NoObserver, RunSettings, Shard, simulate};
    use crmcast::export::{View, shard::ShardFile};
    let scenario = Scenario::builtin_default().expect("default scenario");
    let settings = RunSettings {
        trials: 40_000,
        seed: 7,
        threads: 1,
        shard: Shard { index: 0, count: 2 },
        ..RunSettings::default()
    };
    let result = simulate(&scenario, &settings, &NoObserver).expect("simulate");
    let file = ShardFile::new(&scenario, View::Run, result);
    let mut bytes = Vec::new();
    file.write(&mut bytes).expect("write");
    (file, bytes)
}

/// The `shard` fuzz target's check on a deterministic corpus (cargo-fuzz needs nightly; this
/// runs in CI): the intact file, byte flips and truncations (refused by the digest), and —
/// as a tamperer would — edits of single counts and sums to extreme values with the digest
/// recomputed, which the consistency checks must refuse or accept with consistent numbers.
#[test]
fn shard_corpus_passes_the_fuzz_checks() {
    use rand::{RngExt, SeedableRng};
    let (file, bytes) = shard_bytes();
    assert!(crmcast::export::shard::verify_bytes(&bytes).is_ok());
    files::check_shard_bytes(&bytes);
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(13);
    for _ in 0..40 {
        let mut flipped = bytes.clone();
        let at = rng.random_range(0..flipped.len());
        flipped[at] ^= 1 << rng.random_range(0..8);
        files::check_shard_bytes(&flipped);
        let cut = rng.random_range(0..bytes.len());
        files::check_shard_bytes(&bytes[..cut]);
    }
    let counts = [0u64, 1, 2, 20_000, 20_001, u64::MAX / 2, u64::MAX];
    let sums = [0i128, -1, 1, i128::MAX, i128::MIN, 1 << 100, -(1 << 100)];
    let mut accepted = 0;
    for round in 0..300 {
        let mut edited = file.clone();
        let s = rng.random_range(0..edited.result.strategies.len());
        let acc = &mut edited.result.strategies[s];
        let count = counts[rng.random_range(0..counts.len())];
        let sum = sums[rng.random_range(0..sums.len())];
        let k = rng.random_range(0..8);
        match round % 9 {
            0 => acc.class_counts[k % 3] = count,
            1 => acc.moments[k].sum = sum,
            2 => acc.moments[k].square_sum = sum,
            3 => acc.paired[k].sum = sum,
            4 => acc.moments[k].count = count,
            5 => acc.trials = count,
            6 => acc.presence[k] = count,
            7 => edited.result.trials = count,
            _ => acc.npv_negative = count,
        }
        let mut resealed = Vec::new();
        edited.write(&mut resealed).expect("write");
        accepted += crmcast::export::shard::verify_bytes(&resealed).is_ok() as usize;
        files::check_shard_bytes(&resealed);
    }
    // Only edits that keep the file possible (e.g. a presence count still within the trials)
    // pass; most are refused.
    assert!(accepted < 100, "{accepted} of 300 edits accepted");
}

/// The `catalogue` fuzz target's check on a deterministic corpus: the built-in catalogue with
/// lines dropped, numbers replaced by extreme values, and truncations.
#[test]
fn catalogue_corpus_passes_the_fuzz_checks() {
    use rand::{RngExt, SeedableRng};
    let text = crmcast::model::catalogue::BUILTIN_CATALOGUE;
    files::check_catalogue_text(text);
    let lines: Vec<&str> = text.lines().collect();
    let extremes = [
        "0", "-1", "1e308", "-1e308", "nan", "inf", "1e-320", "2", "0.5",
    ];
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(29);
    for round in 0..40 {
        let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let at = rng.random_range(0..edited.len());
        match round % 3 {
            0 => {
                edited.remove(at);
            }
            1 => {
                if let Some((key, _)) = edited[at].split_once('=') {
                    let value = extremes[rng.random_range(0..extremes.len())];
                    edited[at] = format!("{key}= {value}");
                }
            }
            _ => edited.truncate(at),
        }
        files::check_catalogue_text(&edited.join("\n"));
    }
}
