//! Starting a scenario and editor support: `crmcast init` (each template writes a file that
//! validates and runs; nothing is overwritten without --force), `crmcast schema` (a JSON Schema
//! that accepts every shipped scenario and refuses the mistakes the parser refuses),
//! `crmcast completions` and `crmcast man`.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const TEMPLATES: [&str; 4] = ["default", "retail_chain", "small_business", "multinational"];

/// The binary, run from the crate root so that `scenarios/...` paths resolve.
fn crmcast() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("crmcast");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn shipped(name: &str) -> String {
    std::fs::read_to_string(root().join("scenarios").join(format!("{name}.toml"))).unwrap()
}

fn stdout_of(args: &[&str]) -> String {
    let output = crmcast().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "crmcast {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn schema() -> Value {
    serde_json::from_str(&stdout_of(&["schema"])).expect("the schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&schema()).expect("the schema compiles")
}

/// A TOML scenario as the JSON document editors check against the schema.
fn as_json(toml_text: &str) -> Value {
    let value: toml::Value = toml::from_str(toml_text).expect("valid TOML");
    serde_json::to_value(value).unwrap()
}

fn schema_errors(validator: &jsonschema::Validator, toml_text: &str) -> Vec<String> {
    let instance = as_json(toml_text);
    validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn init_writes_each_template_and_the_result_validates_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    for template in TEMPLATES {
        let file = dir.path().join(format!("{template}.toml"));
        let file_arg = file.to_str().unwrap();
        let output = crmcast()
            .args(["init", "--template", template, file_arg])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains(&format!("crmcast validate {file_arg}")),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("crmcast run {file_arg}")),
            "{stderr}"
        );

        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with(&format!(
                "# Written by `crmcast init --template {template}`"
            )),
            "{template}: {}",
            &text[..200]
        );
        assert!(
            text.contains(&format!("crmcast validate {file_arg}")),
            "the header names the next commands"
        );
        assert!(
            text.ends_with(&shipped(template)),
            "{template}: the shipped scenario follows the header unchanged"
        );
        assert!(
            !text.lines().any(|l| l.starts_with("#:schema")),
            "no #:schema directive unless asked for"
        );

        crmcast().args(["validate", file_arg]).assert().success();
        crmcast()
            .args(["run", file_arg, "--trials", "2000", "-q"])
            .assert()
            .success();
    }
}

#[test]
fn init_defaults_to_the_default_template() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    crmcast()
        .args(["init", file.to_str().unwrap()])
        .assert()
        .success();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# Written by `crmcast init --template default`"));
    assert!(text.ends_with(&shipped("default")));
}

#[test]
fn init_refuses_to_overwrite_and_force_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("existing.toml");
    std::fs::write(&file, "keep me\n").unwrap();
    let output = crmcast()
        .args(["init", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert!(
        stderr.contains("fix:") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me\n");

    crmcast()
        .args(["init", "--force", "--template", "small_business"])
        .arg(&file)
        .assert()
        .success();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.ends_with(&shipped("small_business")));
    // No temporary file is left next to it.
    let names: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(names, vec![file]);
}

#[test]
fn init_refuses_a_folder_and_a_missing_folder() {
    let dir = tempfile::tempdir().unwrap();
    let output = crmcast()
        .args(["init", "--force"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("is a folder"));

    let nested = dir.path().join("no_such_folder").join("x.toml");
    let output = crmcast().arg("init").arg(&nested).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("does not exist"));
    assert!(!nested.exists());
}

#[test]
fn init_to_standard_output_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = crmcast()
        .current_dir(dir.path())
        .args(["init", "--template", "multinational", "-"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("crmcast validate FILE"));
    assert!(text.ends_with(&shipped("multinational")));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn init_with_unknown_template_lists_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.toml");
    let output = crmcast()
        .args(["init", "--template", "retail"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    for template in TEMPLATES {
        assert!(stderr.contains(template), "{stderr}");
    }
    assert!(!file.exists());
}

#[test]
fn init_with_schema_puts_the_directive_first_and_the_file_checks_against_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("project.toml");
    let output = crmcast()
        .args([
            "init",
            "--template",
            "retail_chain",
            "--schema",
            "./crmcast.schema.json",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success());
    let schema_path = dir.path().join("crmcast.schema.json");
    assert!(
        stderr_of(&output).contains(&format!(
            "crmcast schema --output {}",
            schema_path.display()
        )),
        "{}",
        stderr_of(&output)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().next(), Some("#:schema ./crmcast.schema.json"));
    crmcast().arg("validate").arg(&file).assert().success();

    crmcast()
        .args(["schema", "--output"])
        .arg(&schema_path)
        .assert()
        .success();
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    assert_eq!(written, schema(), "--output writes what stdout shows");
    let validator = jsonschema::validator_for(&written).unwrap();
    assert_eq!(schema_errors(&validator, &text), Vec::<String>::new());

    // A path that would break the line is refused.
    let output = crmcast()
        .args(["init", "--schema", "a\nb = 1", "-"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--schema"));
}

#[test]
fn schema_is_a_closed_draft_2020_12_schema() {
    let schema = schema();
    jsonschema::meta::validate(&schema).expect("a valid JSON Schema");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(schema["$id"].as_str().unwrap().starts_with("urn:crmcast:"));
    assert_eq!(schema["title"], "crmcast scenario");
    assert_eq!(schema["additionalProperties"], Value::Bool(false));
    for key in ["scenario", "project", "benefits", "strategies"] {
        assert!(
            schema["required"]
                .as_array()
                .unwrap()
                .contains(&Value::from(key)),
            "{key} is required"
        );
    }
    // Every table of the format refuses unknown keys, as the parser does, and is described.
    let defs = schema["$defs"].as_object().unwrap();
    assert!(defs.len() >= 15, "{:?}", defs.keys().collect::<Vec<_>>());
    for (name, def) in defs {
        assert_eq!(
            def["additionalProperties"],
            Value::Bool(false),
            "{name} must refuse unknown keys"
        );
        assert!(def["description"].is_string(), "{name} has a description");
        for (key, property) in def["properties"].as_object().unwrap() {
            assert!(
                property["description"].is_string(),
                "{name}.{key} has a description"
            );
        }
    }
    // TOML has no null: no optional key may offer it.
    assert!(!serde_json::to_string(&schema).unwrap().contains("\"null\""));
    // Editors complete the built-in factor ids under [factors].
    let factors = schema["properties"]["factors"]["properties"]
        .as_object()
        .unwrap();
    assert_eq!(factors.len(), 18);
    assert!(factors["poor_data_quality"]["description"].is_string());
}

#[test]
fn every_shipped_scenario_checks_against_the_schema() {
    let validator = validator();
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let errors = schema_errors(&validator, &text);
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        checked += 1;
    }
    assert!(checked >= 4, "found {checked} scenarios");
}

/// Mistakes the parser or validator refuses are refused by the schema too, so an editor shows
/// them before `crmcast validate` does.
#[test]
fn the_schema_refuses_what_the_validator_refuses() {
    let validator = validator();
    let base = shipped("default");
    let cases: [(&str, &str, &str); 8] = [
        (
            "misspelled key",
            "budget = 1_000_000.0",
            "budjet = 1_000_000.0",
        ),
        (
            "misspelled key in an array of tables",
            "probability = 0.5    # multiplier",
            "probabilty = 0.5    # multiplier",
        ),
        (
            "misspelled distribution key",
            "cost = { min = 10_000.0, mode = 15_000.0, max = 25_000.0 }",
            "cost = { min = 10_000.0, mdoe = 15_000.0, max = 25_000.0 }",
        ),
        (
            "incomplete distribution",
            "cost = { min = 10_000.0, mode = 15_000.0, max = 25_000.0 }",
            "cost = { mode = 15_000.0, max = 25_000.0 }",
        ),
        (
            "unknown benefit model",
            "\nmodel = \"levers\"",
            "\nmodel = \"lever\"",
        ),
        (
            "key of the other benefit model",
            "\nmodel = \"levers\"",
            "\nmodel = \"levers\"\nannual = { value = 1.0 }",
        ),
        (
            "probability above 1",
            "probability = 0.5    #",
            "probability = 1.5    #",
        ),
        ("zero trials", "trials = 100_000", "trials = 0"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (what, from, to) in cases {
        assert!(
            base.contains(from),
            "{what}: `{from}` is not in default.toml"
        );
        let text = base.replacen(from, to, 1);
        assert!(
            !schema_errors(&validator, &text).is_empty(),
            "{what}: the schema accepts it"
        );
        let file = dir.path().join("case.toml");
        std::fs::write(&file, &text).unwrap();
        let output = crmcast().arg("validate").arg(&file).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{what}: crmcast validate accepts it"
        );
    }

    // A severity of an unknown kind, or with the keys of another kind.
    let retail = shipped("retail_chain");
    let from = "severity = { kind = \"kumaraswamy\", a = 3.0, b = 2.0 }";
    assert!(retail.contains(from));
    for to in [
        "severity = { kind = \"kumaraswami\", a = 3.0, b = 2.0 }",
        "severity = { kind = \"triangular\", a = 3.0, b = 2.0 }",
    ] {
        let text = retail.replacen(from, to, 1);
        assert!(!schema_errors(&validator, &text).is_empty(), "{to}");
    }
}

#[test]
fn completions_name_the_binary_and_its_commands() {
    let bash = stdout_of(&["completions", "bash"]);
    assert!(bash.contains("crmcast"));
    for command in [
        "run",
        "compare",
        "validate",
        "init",
        "schema",
        "completions",
        "man",
        "--template",
        "retail_chain",
    ] {
        assert!(bash.contains(command), "bash completion lacks {command}");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(
            script.contains("crmcast") && script.contains("validate"),
            "{shell}"
        );
    }
    let output = crmcast().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("bash"));
}

/// The lines before `.TH` may only be roff requests (clap_mangen's apostrophe preamble).
fn assert_roff_page(page: &str, title: &str) {
    let th = page
        .lines()
        .position(|l| l.starts_with(".TH "))
        .expect("a .TH header");
    assert!(th <= 2, "{}", &page[..200.min(page.len())]);
    assert!(page.lines().take(th).all(|l| l.starts_with('.')));
    assert!(
        page.lines()
            .nth(th)
            .unwrap()
            .starts_with(&format!(".TH {title} 1")),
        "{}",
        page.lines().nth(th).unwrap()
    );
    assert!(page.contains(".SH NAME"));
}

#[test]
fn man_renders_roff_and_one_page_per_command() {
    let page = stdout_of(&["man"]);
    assert_roff_page(&page, "crmcast");
    assert!(page.contains("validate"));

    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("man1");
    crmcast()
        .args(["man", "--dir"])
        .arg(&folder)
        .assert()
        .success();
    for name in ["crmcast", "crmcast-run", "crmcast-init", "crmcast-schema"] {
        let page = std::fs::read_to_string(folder.join(format!("{name}.1"))).unwrap();
        assert_roff_page(&page, name);
    }

    let file = dir.path().join("crmcast.1");
    crmcast()
        .args(["man", "--output"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), page);
}
