//! `crmcast validate SCENARIO --repair-correlations OUT.toml` end to end: the refusal names the
//! option, the repair writes a scenario that validates with only the `[[correlations]]` values
//! changed and the comments kept, and nothing is written when there is nothing to repair or
//! when the output would replace the input.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn crmcast() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("crmcast");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env_remove("COLUMNS");
    cmd
}

/// tests/bad_inputs/valid_minimal.toml with `correlations` in place of its one entry and a
/// comment of the user's to be kept.
fn scenario_text(correlations: &str) -> String {
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs/valid_minimal.toml"),
    )
    .unwrap();
    let entry =
        "[[correlations]]\nfactors = [\"poor_data_quality\", \"erp_integration\"]\nrho = 0.3\n";
    assert!(base.contains(entry));
    base.replace(entry, correlations)
}

/// Three factors of one category (organisational, ρ 0.40 within) with a~b 0.9, b~c 0.9 and
/// a~c −0.9: no correlation matrix has them all.
const CONFLICTING: &str = "\
# The user's own note on these three.
[[correlations]]
factors = [\"change_resistance\", \"insufficient_training\"]
rho = 0.9

[[correlations]]
factors = [\"insufficient_training\", \"culture_not_customer_centric\"]
rho = 0.9  # from the workshop

[[correlations]]
factors = [\"change_resistance\", \"culture_not_customer_centric\"]
rho = -0.9
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn validate_refuses_conflicting_correlations_and_names_the_repair() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "s.toml", &scenario_text(CONFLICTING));
    crmcast()
        .arg("validate")
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not positive-definite"))
        .stderr(predicate::str::contains(
            "crmcast validate SCENARIO --repair-correlations OUT.toml",
        ));
}

#[test]
fn validate_repair_writes_a_scenario_that_validates() {
    let dir = tempfile::tempdir().unwrap();
    let text = scenario_text(CONFLICTING);
    let input = write(dir.path(), "s.toml", &text);
    let out = dir.path().join("repaired.toml");
    let assert = crmcast()
        .arg("validate")
        .arg(&input)
        .arg("--repair-correlations")
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote"));
    let listing = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for expected in [
        "change_resistance",
        "insufficient_training",
        "culture_not_customer_centric",
        "old ρ",
        "new ρ",
        "3 entries changed",
        "Frobenius distance",
        "smallest eigenvalue",
    ] {
        assert!(listing.contains(expected), "{expected} missing:\n{listing}");
    }
    // Every changed entry on its own line with its old value.
    let rows: Vec<&str> = listing
        .lines()
        .filter(|l| l.contains("0.9") && l.contains('_'))
        .collect();
    assert_eq!(rows.len(), 3, "{listing}");

    let repaired = std::fs::read_to_string(&out).unwrap();
    // The same text but for the three rho lines: comments, layout and every other value kept.
    let (before, after): (Vec<&str>, Vec<&str>) =
        (text.lines().collect(), repaired.lines().collect());
    assert_eq!(before.len(), after.len(), "{repaired}");
    let mut changed = Vec::new();
    for (old, new) in before.iter().zip(&after) {
        if old != new {
            assert!(
                old.starts_with("rho = ") && new.starts_with("rho = "),
                "{old} → {new}"
            );
            changed.push(*new);
        }
    }
    assert_eq!(changed.len(), 3);
    assert!(repaired.contains("# The user's own note on these three."));
    assert!(repaired.contains("# from the workshop"));
    // Weaker than asked, and written to four decimals at most.
    let table: toml::Table = repaired.parse().unwrap();
    for entry in table["correlations"].as_array().unwrap() {
        let rho = entry["rho"].as_float().unwrap();
        assert!(rho.abs() < 0.9, "{rho}");
        assert!(((rho * 1e4).round() - rho * 1e4).abs() < 1e-6, "{rho}");
    }
    crmcast()
        .arg("validate")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("valid"));
}

#[test]
fn validate_repair_refuses_to_overwrite_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let text = scenario_text(CONFLICTING);
    let input = write(dir.path(), "s.toml", &text);
    crmcast()
        .arg("validate")
        .arg(&input)
        .arg("--repair-correlations")
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--repair-correlations"))
        .stderr(predicate::str::contains("an input of this command"));
    assert_eq!(std::fs::read_to_string(&input).unwrap(), text);
}

#[test]
fn validate_repair_writes_nothing_when_the_matrix_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("repaired.toml");
    crmcast()
        .args(["validate", "tests/bad_inputs/valid_minimal.toml"])
        .arg("--repair-correlations")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to repair"))
        .stderr(predicate::str::is_empty());
    assert!(!out.exists());
}

#[test]
fn validate_repair_reports_another_problem_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("repaired.toml");
    // Correlations fine, budget not: the ordinary error.
    let input = write(
        dir.path(),
        "budget.toml",
        &scenario_text("").replace("budget = 100_000.0", "budget = -1.0"),
    );
    crmcast()
        .arg("validate")
        .arg(&input)
        .arg("--repair-correlations")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("project.budget"));
    // Correlations that conflict and a mitigation checked after them: the repaired text would
    // still be refused, so that is reported and nothing is written.
    let input = write(
        dir.path(),
        "mitigation.toml",
        &scenario_text(CONFLICTING).replace("probability = 0.5", "probability = 1.2"),
    );
    crmcast()
        .arg("validate")
        .arg(&input)
        .arg("--repair-correlations")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "mitigations[0].effects[0].probability",
        ))
        .stderr(predicate::str::contains("panicked").not());
    assert!(!out.exists());
}

/// A catalogue the scenario names, valid but with a smallest eigenvalue (about 1.5e-4, the
/// data–technology correlation raised from 0.25 to 0.5885) below the repair's floor of 1e-3: the
/// catalogue's own pairs must move too, and are written as new entries.
#[test]
fn validate_repair_frees_a_nearly_singular_catalogue_and_appends_its_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let builtin =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/catalogue.toml"))
            .unwrap();
    let pair = "a = \"data\"\nb = \"technology\"\nrho = 0.25";
    assert!(builtin.contains(pair));
    let catalogue = write(
        dir.path(),
        "cat.toml",
        &builtin.replace(pair, "a = \"data\"\nb = \"technology\"\nrho = 0.5885"),
    );
    let text = scenario_text(CONFLICTING).replace(
        "name = \"Minimal\"",
        "name = \"Minimal\"\ncatalogue = \"cat.toml\"",
    );
    let input = write(dir.path(), "s.toml", &text);
    let out = elsewhere.path().join("repaired.toml");
    let assert = crmcast()
        .arg("validate")
        .arg(&input)
        .arg("--repair-correlations")
        .arg(&out)
        .assert()
        .success();
    let listing = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        listing.contains("catalogue's own correlations"),
        "{listing}"
    );
    assert!(listing.contains("(new entry)"), "{listing}");
    // The output is in another folder than the catalogue it names.
    assert!(
        listing.contains("note: the scenario names cat.toml"),
        "{listing}"
    );
    let repaired = std::fs::read_to_string(&out).unwrap();
    assert!(repaired.starts_with(&text[..text.find("[[correlations]]").unwrap()]));
    assert!(repaired.contains("# Added by crmcast validate --repair-correlations"));
    let table: toml::Table = repaired.parse().unwrap();
    assert!(table["correlations"].as_array().unwrap().len() > 3);
    crmcast()
        .arg("validate")
        .arg(&out)
        .arg("--catalogue")
        .arg(&catalogue)
        .assert()
        .success();
}
