//! `crmcast elicit`: the shipped three-expert example runs, prints each expert's fit, Cooke's
//! scores and the pool, writes TOML a scenario can take, and bad judgement files are refused
//! with exit code 2 and the file and field named. The statistics' known answers are unit tests
//! in src/analysis/elicit/.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const EXAMPLE: &str = "scenarios/elicitation/three_experts.toml";

fn crmcast() -> Command {
    Command::cargo_bin("crmcast").expect("binary")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn json(args: &[&str]) -> Value {
    let output = crmcast()
        .arg("elicit")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// Runs and fails with exit code 2; the message on stderr.
fn refused(args: &[&str]) -> String {
    let output = crmcast().arg("elicit").args(args).output().expect("run");
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_example_prints_each_fit_the_cooke_scores_and_the_pool() {
    let output = crmcast()
        .args(["elicit", EXAMPLE])
        .env("COLUMNS", "400")
        .output()
        .expect("run");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "programme director",
        "vendor consultant",
        "change manager",
        "fit error",
        "beta",
        "Cooke's classical model on 8 seed questions",
        "Pooled distribution",
        "[factors.change_resistance] probability =",
    ] {
        assert!(text.contains(expected), "no {expected:?} in\n{text}");
    }
}

#[test]
fn cooke_weights_favour_the_calibrated_experts_and_sum_to_one() {
    let record = json(&[EXAMPLE, "--pool", "cooke"]);
    let experts = record["elicitation"]["experts"]
        .as_array()
        .expect("experts");
    let weight = |i: usize| experts[i]["weight"].as_f64().expect("weight");
    // The vendor consultant's 90 % intervals hold 2 of 8 answers: a calibration near 1e-6.
    let scores = record["elicitation"]["cooke"]["experts"]
        .as_array()
        .expect("scores");
    assert!(scores[1]["calibration"].as_f64().expect("c") < 1e-4);
    assert!(weight(0) > weight(2) && weight(2) > weight(1));
    assert!((weight(0) + weight(1) + weight(2) - 1.0).abs() < 1e-12);
    // With the linear pool the weights are equal, whatever the scores.
    let linear = json(&[EXAMPLE]);
    for e in linear["elicitation"]["experts"]
        .as_array()
        .expect("experts")
    {
        assert!((e["weight"].as_f64().expect("w") - 1.0 / 3.0).abs() < 1e-12);
    }
    // α above the vendor's calibration cuts the vendor out.
    let cut = json(&[EXAMPLE, "--pool", "cooke", "--alpha", "0.001"]);
    assert_eq!(
        cut["elicitation"]["experts"][1]["weight"].as_f64(),
        Some(0.0)
    );
}

#[test]
fn the_written_toml_is_a_scenario_override_with_its_provenance() {
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("change_resistance.toml");
    let out_text = out.to_str().expect("utf-8");
    let status = crmcast()
        .args([
            "elicit", EXAMPLE, "--pool", "cooke", "--output", out_text, "--quiet",
        ])
        .output()
        .expect("run");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = std::fs::read_to_string(&out).expect("written");
    let table: toml::Table = toml::from_str(&text).expect("valid TOML");
    let written = table["factors"]["change_resistance"]["probability"]
        .as_float()
        .expect("probability");
    let mean = json(&[EXAMPLE, "--pool", "cooke"])["elicitation"]["pooled"]["mean"]
        .as_f64()
        .expect("mean");
    assert!((written - mean).abs() <= 0.5e-4, "{written} against {mean}");
    for provenance in [
        "# experts: programme director, vendor consultant, change manager",
        "Cooke's classical-model weights",
        "# weights: ",
        EXAMPLE,
    ] {
        assert!(text.contains(provenance), "no {provenance:?} in\n{text}");
    }
    // Pasted into a scenario without an override of that factor, the scenario is valid.
    let scenario = std::fs::read_to_string("scenarios/small_business.toml").expect("scenario");
    let pasted = write(dir.path(), "pasted.toml", &format!("{scenario}\n{text}"));
    let factors = crmcast()
        .args([
            "factors",
            pasted.to_str().expect("utf-8"),
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    assert!(
        factors.status.success(),
        "{}",
        String::from_utf8_lossy(&factors.stderr)
    );
    let listed: Value = serde_json::from_slice(&factors.stdout).expect("JSON");
    let text = listed.to_string();
    assert!(text.contains("change_resistance"), "{text}");
    assert!(
        text.contains(&format!("{written}")),
        "the override {written} is not in {text}"
    );
}

#[test]
fn a_mitigation_effect_is_written_with_its_range_and_evidence() {
    let dir = tempfile::tempdir().expect("temp");
    let example = std::fs::read_to_string(EXAMPLE).expect("example");
    // The same experts' numbers read as the executive sponsor's multiplier on the factor.
    let text = example.replace(
        "factor = \"change_resistance\"    # written as [factors.change_resistance] probability = …",
        "factor = \"change_resistance\"\nmitigation = \"executive_sponsor\"",
    );
    assert_ne!(text, example);
    let input = write(dir.path(), "effect.toml", &text);
    let out = dir.path().join("effect_out.toml");
    let run = crmcast()
        .args(["elicit", input.to_str().expect("utf-8"), "--output"])
        .arg(&out)
        .output()
        .expect("run");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let written = std::fs::read_to_string(&out).expect("out");
    // On its own, `[[mitigations.effects]]` makes `mitigations` a table holding the array.
    let table: toml::Table = toml::from_str(&written).expect("valid TOML");
    let effect = &table["mitigations"]["effects"][0];
    assert_eq!(effect["factor"].as_str(), Some("change_resistance"));
    let value = effect["probability"].as_float().expect("multiplier");
    let range = effect["probability_range"].as_array().expect("range");
    let (low, high) = (
        range[0].as_float().expect("low"),
        range[1].as_float().expect("high"),
    );
    assert!(0.0 <= low && low <= value && value <= high && high <= 1.0);
    let evidence = effect["evidence"].as_str().expect("evidence");
    assert!(evidence.contains("vendor consultant") && evidence.len() <= 1000);
    // Pasted after a scenario's last table, it is an effect of its last mitigation, and the
    // scenario stays valid (that mitigation has no effect on change_resistance yet).
    let scenario = std::fs::read_to_string("scenarios/small_business.toml").expect("scenario");
    let pasted = write(dir.path(), "pasted.toml", &format!("{scenario}\n{written}"));
    let validate = crmcast()
        .args(["validate", pasted.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
}

#[test]
fn bad_judgements_are_refused_with_the_file_and_field() {
    let dir = tempfile::tempdir().expect("temp");
    let example = std::fs::read_to_string(EXAMPLE).expect("example");
    let unordered = write(
        dir.path(),
        "unordered.toml",
        &example.replace("p10 = 0.25, p50 = 0.40", "p10 = 0.45, p50 = 0.40"),
    );
    let message = refused(&[unordered.to_str().expect("utf-8")]);
    assert!(message.contains("unordered.toml:"), "{message}");
    assert!(message.contains("experts[0].judgement.p50"), "{message}");
    assert!(message.contains("fix:"), "{message}");

    let unanswered = write(
        dir.path(),
        "unanswered.toml",
        &example.replacen(
            "  { question = \"cause_politics_inertia\", p5 = 5.0, p50 = 15.0, p95 = 35.0 },\n",
            "",
            1,
        ),
    );
    let message = refused(&[unanswered.to_str().expect("utf-8")]);
    assert!(message.contains("unanswered.toml:"), "{message}");
    assert!(message.contains("experts[0].calibration"), "{message}");
    assert!(message.contains("cause_politics_inertia"), "{message}");

    let no_seeds = write(
        dir.path(),
        "no_seeds.toml",
        "[quantity]\nid = \"x\"\nkind = \"real\"\n[[experts]]\nname = \"A\"\njudgement = { p10 = -1.0, p90 = 2.0 }\n",
    );
    let message = refused(&[no_seeds.to_str().expect("utf-8"), "--pool", "cooke"]);
    assert!(message.contains("--pool"), "{message}");
    let message = refused(&[EXAMPLE, "--alpha", "1.5"]);
    assert!(message.contains("--alpha"), "{message}");
}

#[test]
fn the_output_may_not_be_the_judgements_file() {
    let dir = tempfile::tempdir().expect("temp");
    let example = std::fs::read_to_string(EXAMPLE).expect("example");
    let input = write(dir.path(), "judgements.toml", &example);
    let path = input.to_str().expect("utf-8");
    let message = refused(&[path, "--output", path]);
    assert!(message.contains("input"), "{message}");
    assert_eq!(std::fs::read_to_string(&input).expect("kept"), example);
}
