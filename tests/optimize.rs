//! `crmcast optimize`: known answers on a controlled scenario, the budget-0 and frontier
//! contracts, thread invariance, the heuristic's gap to the exhaustive optimum, and the CLI's
//! formats and exit codes.

use assert_cmd::Command;
use crmcast::analysis::optimize::{
    self, Objective, OptimizeSettings, SearchChoice, SearchMethod, Silent,
};
use crmcast::model::Catalogue;
use crmcast::scenario::Scenario;
use crmcast::scenario::source::Source;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn crmcast() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("crmcast");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Fast settings for the CLI: few trials, quiet.
const FAST: [&str; 5] = ["--trials", "512", "--confirm-trials", "4000", "-q"];

fn stdout_of(args: &[&str]) -> String {
    let output = crmcast().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "crmcast {args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let text = stdout_of(args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"))
}

/// The controlled scenario's text: no noise, no runaway (a zero base hazard), a fixed benefit
/// of 500 a year on a budget of 1000, every factor off but `poor_data_quality` (strikes with
/// probability `p` at severity 1, halves the benefit, doubles the cost). Mitigations: `fix`
/// removes it (costs 100), `weaken` scales its severity by 0.6 (costs 50), `useless` acts on a
/// factor that never strikes (costs 30).
fn controlled_text(p: f64) -> String {
    let catalogue = Catalogue::builtin().expect("catalogue");
    let mut text = String::from(
        "[scenario]\nname = \"controlled\"\n[project]\nbudget = 1000.0\nduration_months = 12.0\nhorizon_years = 5.0\ndiscount_rate = 0.1\nteam_burn_share = 0.0\n[project.estimate]\nlog_cost_mean = 0.0\nlog_cost_sd = 0.0\nlog_schedule_mean = 0.0\nlog_schedule_sd = 0.0\nbenefit_sd = 0.0\n[project.runaway]\nbase_probability = 0.0\n[benefits]\nmodel = \"direct\"\nannual = { value = 500.0 }\n",
    );
    for factor in &catalogue.factors {
        if factor.id == "poor_data_quality" {
            text.push_str(&format!(
                "[factors.poor_data_quality]\nprobability = {p}\nseverity = {{ kind = \"fixed\", value = 1.0 }}\nimpact = {{ benefit = 0.5, cost = {}, schedule = 0.0, runaway = 0.0 }}\n",
                std::f64::consts::LN_2
            ));
        } else {
            text.push_str(&format!("[factors.{}]\nprobability = 0.0\n", factor.id));
        }
    }
    text.push_str(
        "[[mitigations]]\nid = \"fix\"\ncost = { value = 100.0 }\n[[mitigations.effects]]\nfactor = \"poor_data_quality\"\nprobability = 0.0\n\
         [[mitigations]]\nid = \"weaken\"\ncost = { value = 50.0 }\n[[mitigations.effects]]\nfactor = \"poor_data_quality\"\nseverity = 0.6\n\
         [[mitigations]]\nid = \"useless\"\ncost = { value = 30.0 }\n[[mitigations.effects]]\nfactor = \"erp_integration\"\nprobability = 0.5\n\
         [[strategies]]\nid = \"base\"\nbaseline = true\n",
    );
    text
}

/// NPV of the controlled scenario: 500 × realisation a year from year 1 to 5 at 10 %
/// (continuous discounting at ln 1.1), minus budget × cost ratio and the mitigation spend.
fn controlled_npv(realisation: f64, cost_ratio: f64, mitigation: f64) -> f64 {
    let delta = 1.1f64.ln();
    let annuity = ((-delta).exp() - (-5.0 * delta).exp()) / delta;
    500.0 * realisation * annuity - 1000.0 * cost_ratio - mitigation
}

/// Write `text` to a file in a fresh temporary folder.
fn file_with(text: &str, name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn retail_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/retail_chain.toml")
}

const FACTORS: [&str; 18] = [
    "unclear_strategy",
    "no_executive_sponsor",
    "technology_is_solution",
    "change_resistance",
    "insufficient_training",
    "culture_not_customer_centric",
    "poor_communication",
    "processes_not_redesigned",
    "poor_project_management",
    "no_kpis_measurement",
    "poor_data_quality",
    "little_analytical_crm",
    "ignoring_customer_voice",
    "unclear_roi_budget",
    "erp_integration",
    "wrong_or_complex_system",
    "software_defects",
    "immature_vendors",
];

/// `scenarios/retail_chain.toml` (8 mitigations) with `extra` more, deterministic: costs of
/// 20k to 120k, one to three effects each on the catalogue's factors.
fn retail_with_extra(extra: usize) -> String {
    let mut text = std::fs::read_to_string(retail_path()).unwrap();
    let modes = [20_000.0, 40_000.0, 60_000.0, 90_000.0, 120_000.0];
    let probability = [0.4, 0.6, 0.8];
    let severity = [0.7, 0.9, 1.0];
    for i in 0..extra {
        let mode = modes[(i * 3) % 5];
        text.push_str(&format!(
            "\n[[mitigations]]\nid = \"extra_{}\"\ncost = {{ min = {}, mode = {mode}, max = {} }}\n",
            i + 1,
            0.7 * mode,
            1.5 * mode
        ));
        for j in 0..1 + i % 3 {
            text.push_str(&format!(
                "[[mitigations.effects]]\nfactor = \"{}\"\nprobability = {}\nseverity = {}\n",
                FACTORS[(5 * i + 7 * j + 1) % 18],
                probability[(i + j) % 3],
                severity[(2 * i + j) % 3]
            ));
        }
    }
    text
}

fn scenario_from(text: &str) -> Scenario {
    Scenario::from_source(&Source::new("test.toml", text.to_string())).expect("valid scenario")
}

// ---------------------------------------------------------------------------------------------
// Known answers through the command line
// ---------------------------------------------------------------------------------------------

#[test]
fn known_optimum_of_the_controlled_scenario() {
    let (_dir, path) = file_with(&controlled_text(1.0), "controlled.toml");
    let path = path.to_str().unwrap();
    let weakened = 2f64.powf(0.6);
    for (budget, best, npv) in [
        ("0", vec![], controlled_npv(0.5, 2.0, 0.0)),
        ("75", vec!["weaken"], controlled_npv(0.7, weakened, 50.0)),
        ("100", vec!["fix"], controlled_npv(1.0, 1.0, 100.0)),
        ("1000000", vec!["fix"], controlled_npv(1.0, 1.0, 100.0)),
    ] {
        let mut args = vec!["optimize", path, "--budget", budget, "--format", "json"];
        args.extend(FAST);
        let json = json_of(&args);
        let got: Vec<&str> = json["best"]["mitigations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        assert_eq!(got, best, "budget {budget}");
        let value = json["best"]["objective"]["value"].as_f64().unwrap();
        assert!(
            (value - npv).abs() < 1e-6,
            "budget {budget}: {value} vs {npv}"
        );
        assert_eq!(json["never_pay"], serde_json::json!(["useless"]));
        assert_eq!(json["mitigations"][2]["verdict"], "never_on_frontier");
    }
}

#[test]
fn budget_zero_buys_nothing_on_a_real_scenario() {
    for objective in ["npv_mean", "p_success", "overrun_p80", "npv_cvar10"] {
        let mut args = vec![
            "optimize",
            "scenarios/retail_chain.toml",
            "--budget",
            "0",
            "--objective",
            objective,
            "--format",
            "json",
        ];
        args.extend(FAST);
        let json = json_of(&args);
        assert_eq!(
            json["best"]["mitigations"],
            serde_json::json!([]),
            "{objective}"
        );
        assert_eq!(json["best"]["spend"].as_f64(), Some(0.0));
        assert!(json["best_versus_nothing"].is_null());
    }
}

/// The frontier of every objective: spend strictly increasing, the objective strictly better
/// at each step (on the confirmation trials), the first point buys nothing, and the best within
/// the budget is the last frontier point within the budget.
#[test]
fn frontier_is_monotone() {
    for objective in Objective::ALL {
        let settings = OptimizeSettings {
            screening_trials: 1024,
            confirm_trials: 8_000,
            threads: 0,
            seed: 3,
            ..OptimizeSettings::new(objective, 300_000.0)
        };
        let scenario = Scenario::load(&retail_path()).unwrap();
        let result = optimize::optimize(&scenario, &settings, &Silent).unwrap();
        let frontier = &result.frontier;
        assert_eq!(frontier[0].candidate.mask, 0, "{objective:?}");
        for pair in frontier.windows(2) {
            let (a, b) = (&pair[0].candidate, &pair[1].candidate);
            assert!(b.spend > a.spend, "{objective:?}: spend not increasing");
            assert!(
                objective.score(b.objective.value) > objective.score(a.objective.value),
                "{objective:?}: objective not improving along the frontier"
            );
        }
        let last_within = frontier
            .iter()
            .rfind(|p| p.candidate.within_budget)
            .unwrap();
        assert_eq!(
            last_within.candidate.mask, result.best.mask,
            "{objective:?}"
        );
        assert!(result.best.spend <= 300_000.0);
        // Every interval contains its value.
        for p in frontier {
            let e = p.candidate.objective;
            assert!(
                e.low <= e.value && e.value <= e.high,
                "{objective:?}: {e:?}"
            );
        }
    }
}

#[test]
fn noisy_known_answer_within_standard_errors() {
    // The factor strikes in half the trials. Nothing: P(success) = 1/2 and mean NPV the average
    // of the struck and clean NPVs; `fix` (100): P(success) = 1.
    let (_dir, path) = file_with(&controlled_text(0.5), "noisy.toml");
    let json = json_of(&[
        "optimize",
        path.to_str().unwrap(),
        "--budget",
        "100",
        "--objective",
        "p_success",
        "--confirm-trials",
        "20000",
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(json["best"]["mitigations"], serde_json::json!(["fix"]));
    assert_eq!(json["best"]["objective"]["value"].as_f64(), Some(1.0));
    let nothing = &json["frontier"][0]["candidate"];
    let p = nothing["metrics"]["p_success"]["value"].as_f64().unwrap();
    let se = nothing["metrics"]["p_success"]["se"].as_f64().unwrap();
    assert!((p - 0.5).abs() < 4.0 * se, "P(success) {p} ± {se}");
    let npv = &nothing["metrics"]["npv_mean"];
    let truth = 0.5 * (controlled_npv(1.0, 1.0, 0.0) + controlled_npv(0.5, 2.0, 0.0));
    let (value, se) = (npv["value"].as_f64().unwrap(), npv["se"].as_f64().unwrap());
    assert!(
        (value - truth).abs() < 4.0 * se,
        "NPV {value} ± {se} vs {truth}"
    );
    // The gain over nothing is 1/2 exactly in expectation, and significant.
    let gain = &json["best_versus_nothing"];
    assert_eq!(gain["significant"], true);
    let (g, gse) = (
        gain["gain"]["value"].as_f64().unwrap(),
        gain["gain"]["se"].as_f64().unwrap(),
    );
    assert!((g - 0.5).abs() < 4.0 * gse, "gain {g} ± {gse}");
}

// ---------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------

#[test]
fn results_are_bit_identical_at_any_thread_count() {
    let run = |threads: &str| {
        let mut args = vec![
            "optimize",
            "scenarios/retail_chain.toml",
            "--budget",
            "250000",
            "--objective",
            "npv_cvar10",
            "--format",
            "json",
            "--threads",
            threads,
        ];
        args.extend(FAST);
        stdout_of(&args)
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("3"));
}

// ---------------------------------------------------------------------------------------------
// The heuristic against the exhaustive answer
// ---------------------------------------------------------------------------------------------

/// Bound on the heuristic's relative gap asserted below: the exhaustive optimum's improvement
/// over buying nothing, minus the heuristic's, as a share of the former (on the same screening
/// trials, so the gap is exact for that sample).
const GAP_BOUND: f64 = 0.02;

/// On 16 mitigations (retail_chain's 8 and 8 more), for every objective and three budgets:
/// the exhaustive search's optimum is at least as good as the heuristic's (it is exact on the
/// screening trials), and the heuristic's relative gap is within [`GAP_BOUND`].
#[test]
fn heuristic_gap_to_the_exhaustive_optimum() {
    let scenario = scenario_from(&retail_with_extra(8));
    assert_eq!(scenario.mitigations.len(), 16);
    let mut worst: f64 = 0.0;
    let mut report = Vec::new();
    for objective in Objective::ALL {
        let base = OptimizeSettings {
            screening_trials: 512,
            threads: 0,
            seed: 11,
            ..OptimizeSettings::new(objective, 0.0)
        };
        let exhaustive = optimize::screen(
            &scenario,
            &OptimizeSettings {
                search: SearchChoice::Exhaustive,
                budget: f64::MAX / 4.0,
                ..base.clone()
            },
            &Silent,
        )
        .unwrap();
        assert_eq!(exhaustive.method, SearchMethod::Exhaustive);
        assert_eq!(exhaustive.candidates.len(), 1 << 16);
        let score = |s: &optimize::Screened| objective.score(s.estimate.value);
        let nothing = score(&exhaustive.candidates[0]);
        for budget in [150_000.0, 400_000.0, 800_000.0] {
            let optimum = exhaustive
                .candidates
                .iter()
                .filter(|s| s.spend <= budget)
                .map(score)
                .fold(f64::NEG_INFINITY, f64::max);
            let heuristic = optimize::screen(
                &scenario,
                &OptimizeSettings {
                    search: SearchChoice::Heuristic,
                    budget,
                    ..base.clone()
                },
                &Silent,
            )
            .unwrap();
            assert_eq!(heuristic.method, SearchMethod::Heuristic);
            let found = score(&heuristic.best);
            assert!(heuristic.best.spend <= budget);
            assert!(
                found <= optimum,
                "the exhaustive optimum is exact on the screening trials"
            );
            let gap = if optimum > nothing {
                (optimum - found) / (optimum - nothing)
            } else {
                0.0
            };
            report.push(format!(
                "{} budget {budget}: gap {:.4} ({} of 65,536 subsets evaluated)",
                objective.id(),
                gap,
                heuristic.candidates.len()
            ));
            worst = worst.max(gap);
        }
    }
    eprintln!("{}", report.join("\n"));
    assert!(
        worst <= GAP_BOUND,
        "worst gap {worst}:\n{}",
        report.join("\n")
    );
}

#[test]
fn many_mitigations_use_the_heuristic() {
    let (_dir, path) = file_with(&retail_with_extra(12), "many.toml");
    let mut args = vec![
        "optimize",
        path.to_str().unwrap(),
        "--budget",
        "300000",
        "--format",
        "json",
    ];
    args.extend(FAST);
    let json = json_of(&args);
    assert_eq!(json["method"], "heuristic");
    assert_eq!(json["mitigation_count"], 20);
    assert!(json["heuristic"]["evaluated"].as_u64().unwrap() < 1 << 20);
    assert!(json["best"]["spend"].as_f64().unwrap() <= 300_000.0);
}

// ---------------------------------------------------------------------------------------------
// Formats and errors
// ---------------------------------------------------------------------------------------------

#[test]
fn table_markdown_csv_and_json() {
    let base = [
        "optimize",
        "scenarios/retail_chain.toml",
        "--budget",
        "200000",
    ];
    let with = |format: &str| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(["--format", format]);
        args.extend(FAST);
        stdout_of(&args)
    };
    let table = with("table");
    for wanted in [
        "Best set of mitigations within the budget",
        "Efficient frontier",
        "Ranking within the budget",
        "Mitigations",
        "95 % interval",
    ] {
        assert!(table.contains(wanted), "{wanted} missing:\n{table}");
    }
    let markdown = with("markdown");
    assert!(markdown.contains("| point |"), "{markdown}");
    assert!(markdown.contains("| :---"), "{markdown}");
    let json: serde_json::Value = serde_json::from_str(&with("json")).unwrap();
    for key in [
        "best",
        "frontier",
        "ranking",
        "mitigations",
        "never_pay",
        "settings",
        "method",
        "best_versus_runner_up",
    ] {
        assert!(!json[key].is_null(), "{key} missing");
    }
    assert_eq!(json["settings"]["budget"].as_f64(), Some(200_000.0));
    assert_eq!(json["objective"], "npv_mean");
    let csv = with("csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "section",
            "item",
            "mitigations",
            "spend",
            "within_budget",
            "metric",
            "value",
            "se",
            "low",
            "high",
            "objective",
            "note"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let frontier_rows = rows.iter().filter(|r| &r[0] == "frontier").count();
    assert_eq!(
        frontier_rows,
        4 * json["frontier"].as_array().unwrap().len()
    );
    assert_eq!(rows.iter().filter(|r| &r[0] == "mitigation").count(), 8);
    assert!(rows.iter().any(|r| &r[0] == "difference"));
}

#[test]
fn output_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("frontier.csv");
    let mut args = vec![
        "optimize",
        "scenarios/retail_chain.toml",
        "--budget",
        "200_000",
        "--format",
        "csv",
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend(FAST);
    crmcast().args(&args).assert().success().stdout("");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("section,item,mitigations"), "{text}");
}

#[test]
fn bad_input_exits_with_2_and_a_fix() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["optimize", "scenarios/retail_chain.toml", "--budget", "-5"],
            "--budget",
        ),
        (
            &[
                "optimize",
                "scenarios/retail_chain.toml",
                "--budget",
                "lots",
            ],
            "--budget",
        ),
        (
            &[
                "optimize",
                "scenarios/retail_chain.toml",
                "--budget",
                "1000",
                "--objective",
                "p_sucess",
            ],
            "did you mean p_success",
        ),
        (
            &[
                "optimize",
                "scenarios/retail_chain.toml",
                "--budget",
                "1000",
                "--trials",
                "5",
            ],
            "--trials",
        ),
        (
            &[
                "optimize",
                "scenarios/retail_chain.toml",
                "--budget",
                "1000",
                "--confirm-trials",
                "5",
            ],
            "--confirm-trials",
        ),
    ];
    for (args, wanted) in cases {
        crmcast()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(wanted).and(predicate::str::contains("fix:")));
    }
    // A scenario without mitigations.
    let text = controlled_text(1.0);
    let bare = &text[..text.find("[[mitigations]]").unwrap()];
    let (_dir, path) = file_with(
        &format!("{bare}[[strategies]]\nid = \"base\"\nbaseline = true\n"),
        "bare.toml",
    );
    crmcast()
        .args(["optimize", path.to_str().unwrap(), "--budget", "100"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no [[mitigations]]").and(predicate::str::contains("fix:")),
        );
    // --budget is required.
    crmcast()
        .args(["optimize", "scenarios/retail_chain.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--budget"));
    // Exhaustive search of more than 20 mitigations.
    let (_dir, many) = file_with(&retail_with_extra(13), "many.toml");
    crmcast()
        .args([
            "optimize",
            many.to_str().unwrap(),
            "--budget",
            "100",
            "--search",
            "exhaustive",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("2^21"));
}

#[test]
fn help_has_examples() {
    crmcast()
        .args(["optimize", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:").and(predicate::str::contains("--objective")));
}

/// Ctrl-C stops the search, says so, exits with 130 and leaves no output file.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_and_writes_nothing() {
    let (dir, scenario) = file_with(&retail_with_extra(8), "sixteen.toml");
    let output = dir.path().join("out.json");
    let binary = assert_cmd::cargo::cargo_bin!("crmcast");
    let child = std::process::Command::new(binary)
        .args(["optimize", scenario.to_str().unwrap(), "--budget", "300000"])
        .args(["--trials", "200000", "--format", "json", "--output"])
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
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!output.exists());
}

/// `--parameter-uncertainty` draws the catalogue's uncertain parameters per trial (the result
/// changes and records the flag); a catalogue without `[uncertainty]` is refused.
#[test]
fn parameter_uncertainty_is_drawn_or_refused() {
    let run = |catalogue: &str, flag: bool| {
        let mut args = vec![
            "optimize",
            "tests/catalogues/scenario.toml",
            "--catalogue",
            catalogue,
            "--budget",
            "100000",
            "--format",
            "json",
        ];
        if flag {
            args.push("--parameter-uncertainty");
        }
        args.extend(FAST);
        crmcast().args(&args).output().unwrap()
    };
    let parse = |out: std::process::Output| -> serde_json::Value {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let on = parse(run("tests/catalogues/uncertain.toml", true));
    let off = parse(run("tests/catalogues/uncertain.toml", false));
    assert_eq!(on["settings"]["parameter_uncertainty"], true);
    assert_eq!(off["settings"]["parameter_uncertainty"], false);
    assert_ne!(
        on["frontier"][0]["candidate"]["objective"],
        off["frontier"][0]["candidate"]["objective"]
    );
    let refused = run("tests/catalogues/no_uncertainty.toml", true);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("fix:"));
}
