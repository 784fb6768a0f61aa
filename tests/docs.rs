//! Docs that restate data are checked against it: `docs/MODEL.md` §2 holds the shipped
//! catalogue's numbers exactly as `export::catalogue::model_tables` renders them, so a
//! re-calibration cannot leave the page stale. `CRMCAST_WRITE_DOCS=1 cargo test --test docs`
//! rewrites the block. `docs/SOURCES.md` lists the source registry (`data/sources.toml`) the
//! same way, and no doc or built-in file names the source articles by a file or folder that a
//! clone does not have.

mod common;
use common::check_block;

use crmcast::export::catalogue::model_tables;
use crmcast::model::Catalogue;

const BEGIN: &str =
    "<!-- catalogue tables: generated from data/catalogue.toml by tests/docs.rs -->\n";
const END: &str = "<!-- end of catalogue tables -->";

#[test]
fn model_md_shows_the_shipped_catalogue() {
    let page = std::fs::read_to_string("docs/MODEL.md").expect("docs/MODEL.md");
    let expected = model_tables(&Catalogue::builtin().expect("catalogue"));
    let start = page.find(BEGIN).expect("the begin marker in docs/MODEL.md") + BEGIN.len();
    let end = page[start..].find(END).expect("the end marker") + start;
    if page[start..end] != expected {
        if std::env::var_os("CRMCAST_WRITE_DOCS").is_some() {
            let updated = format!("{}{}{}", &page[..start], expected, &page[end..]);
            std::fs::write("docs/MODEL.md", updated).expect("write docs/MODEL.md");
            return;
        }
        panic!(
            "docs/MODEL.md §2 does not show data/catalogue.toml; run `CRMCAST_WRITE_DOCS=1 cargo test --test docs`. Expected:\n{expected}"
        );
    }
}

const SOURCES_BEGIN: &str =
    "<!-- source list: generated from data/sources.toml by tests/docs.rs -->\n";
const SOURCES_END: &str = "<!-- end of source list -->";

#[test]
fn sources_md_lists_the_source_registry() {
    let page = std::fs::read_to_string("docs/SOURCES.md").expect("docs/SOURCES.md");
    let registry = crmcast::model::sources::Registry::builtin().expect("registry");
    let expected = crmcast::presentation::sources::reference_page(&registry);
    let start = page
        .find(SOURCES_BEGIN)
        .expect("the begin marker in docs/SOURCES.md")
        + SOURCES_BEGIN.len();
    let end = page[start..].find(SOURCES_END).expect("the end marker") + start;
    if page[start..end] != expected {
        if std::env::var_os("CRMCAST_WRITE_DOCS").is_some() {
            let updated = format!("{}{}{}", &page[..start], expected, &page[end..]);
            std::fs::write("docs/SOURCES.md", updated).expect("write docs/SOURCES.md");
            return;
        }
        panic!(
            "docs/SOURCES.md does not list data/sources.toml; run `CRMCAST_WRITE_DOCS=1 cargo test --test docs`. Expected:\n{expected}"
        );
    }
}

/// Every text a reader gets from the repository: the docs, the README and the built-in data.
fn reader_texts() -> Vec<(String, String)> {
    let mut paths: Vec<std::path::PathBuf> = vec!["README.md".into()];
    for dir in ["docs", "data", "scenarios", "scenarios/calibration"] {
        for entry in std::fs::read_dir(dir).expect(dir) {
            let path = entry.expect("entry").path();
            if path.is_file() {
                paths.push(path);
            }
        }
    }
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            (p.display().to_string(), text)
        })
        .collect()
}

#[test]
fn no_doc_or_data_file_cites_a_seed_file_or_folder() {
    for (path, text) in reader_texts() {
        assert_eq!(
            hashed_file_name(&text),
            None,
            "{path} names a source article by its file"
        );
        for word in ["shared/seeds", "SEEDS.md"] {
            assert!(!text.contains(word), "{path} mentions {word}");
        }
    }
}

/// The first `NNN_<16 hex digits>.txt` in `text` (the hashed file names the source articles
/// had before the registry), found without a regex crate.
fn hashed_file_name(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(24)).find_map(|i| {
        let w = &bytes[i..i + 24];
        let ok = w[..3].iter().all(u8::is_ascii_digit)
            && w[3] == b'_'
            && w[4..20]
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            && &w[20..24] == b".txt";
        ok.then(|| String::from_utf8_lossy(w).into_owned())
    })
}

#[test]
fn every_registered_source_is_cited_somewhere() {
    // A registry entry nothing cites is a stale citation; every label appears in the data or
    // the docs (besides the generated SOURCES.md).
    let registry = crmcast::model::sources::Registry::builtin().expect("registry");
    let texts: Vec<(String, String)> = reader_texts()
        .into_iter()
        .filter(|(p, _)| !p.ends_with("SOURCES.md") && !p.ends_with("sources.toml"))
        .collect();
    for c in &registry.sources {
        assert!(
            texts.iter().any(|(_, t)| t.contains(&c.label)),
            "no doc or data file cites \"{}\"",
            c.label
        );
    }
}

#[test]
fn output_md_lists_every_metric_id() {
    let page = std::fs::read_to_string("docs/OUTPUT.md").expect("docs/OUTPUT.md");
    let missing: Vec<&str> = crmcast::analysis::report::metric_ids()
        .into_iter()
        .filter(|id| !page.contains(&format!("`{id}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/OUTPUT.md does not document the metrics {missing:?}"
    );
}

/// Every row of docs/SECURITY.md's table of option limits holds: one past the upper limit is
/// refused with exit 2, before any work, and the message states the limit.
#[test]
fn security_md_option_limits_are_enforced() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/SECURITY.md"))
        .expect("docs/SECURITY.md");
    let rows: Vec<(String, String, u64)> = text
        .lines()
        .filter(|line| line.starts_with("| ") && line.contains("| `--"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let (command, option, range) = (cells[1], cells[2].trim_matches('`'), cells[3]);
            let high = range.split('–').nth(1).expect("range LOW–HIGH");
            (
                command.to_string(),
                option.to_string(),
                high.parse().expect("upper limit in digits"),
            )
        })
        .collect();
    assert!(rows.len() >= 20, "only {} limit rows found", rows.len());
    for (command, option, high) in rows {
        let mut args = vec![command.clone(), option.clone(), (high + 1).to_string()];
        // Options that need a companion to reach their own check.
        match command.as_str() {
            "optimize" => args.extend(["--budget".into(), "100000".into()]),
            "simulate-projects" => args.extend(["-o".into(), "unused.csv".into()]),
            _ => {}
        }
        if option == "--max-trials" {
            args.extend(["--precision".into(), "p_success=0.01".into()]);
        }
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_crmcast"))
            .args(&args)
            .current_dir(std::env::temp_dir())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run crmcast");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&high.to_string()),
            "{args:?} does not state the limit {high}: {stderr}"
        );
    }
}

/// What a reader sees of every command on the default scenario: no source article is named by
/// its old file name or by a folder that a clone does not have. Small trial counts keep it fast.
#[test]
fn no_command_output_names_a_seed_file_or_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let html = dir.path().join("report.html");
    let xlsx = dir.path().join("report.xlsx");
    let path = |p: &std::path::Path| p.to_str().expect("UTF-8 path").to_string();
    let mut runs: Vec<Vec<String>> = Vec::new();
    for format in ["table", "markdown", "json", "csv"] {
        for command in [
            vec!["run", "--trials", "2000", "-q"],
            vec!["compare", "--trials", "2000", "-q"],
            vec!["factors"],
            vec!["sources"],
            vec!["sources", "CRM Forum 2001"],
            vec![
                "update",
                "scenarios/default.toml",
                "--status",
                "scenarios/status/default-month-08.toml",
                "--trials",
                "20000",
                "-q",
            ],
        ] {
            let mut args: Vec<String> = command.into_iter().map(String::from).collect();
            args.extend(["--format".to_string(), format.to_string()]);
            runs.push(args);
        }
    }
    let fixed: [&[&str]; 9] = [
        &["validate", "scenarios/default.toml"],
        &[
            "sensitivity",
            "--trials",
            "2000",
            "--sobol-samples",
            "0",
            "--shapley-permutations",
            "0",
        ],
        &["voi", "--trials", "2000", "--bootstrap", "2"],
        &[
            "optimize",
            "--budget",
            "100000",
            "--trials",
            "256",
            "--confirm-trials",
            "1000",
            "-q",
        ],
        &["reference-class"],
        &["init", "-"],
        &["init", "--template", "retail_chain", "-"],
        &["schema"],
        &["--help"],
    ];
    runs.extend(
        fixed
            .iter()
            .map(|a| a.iter().map(|s| s.to_string()).collect()),
    );
    for (file, extra) in [(&html, vec![]), (&xlsx, vec!["--xlsx-trials", "10"])] {
        let mut args = vec!["report".to_string(), "-o".into(), path(file)];
        // The tornado and the frontier show no sources; small or left out, they keep this fast.
        args.extend(
            [
                "--trials",
                "2000",
                "-q",
                "--sensitivity-trials",
                "100",
                "--no-frontier",
            ]
            .map(String::from),
        );
        args.extend(extra.into_iter().map(String::from));
        runs.push(args);
    }
    let mut texts: Vec<(String, String)> = Vec::new();
    for args in &runs {
        let output = assert_cmd::cargo::cargo_bin_cmd!("crmcast")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .output()
            .expect("crmcast runs");
        assert!(output.status.success(), "crmcast {args:?}: {output:?}");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        texts.push((format!("crmcast {}", args.join(" ")), text));
    }
    texts.push((
        "the HTML report".into(),
        std::fs::read_to_string(&html).expect("the report"),
    ));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).expect("the workbook");
    use calamine::Reader as _;
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).expect("a sheet");
        let cells: Vec<String> = range.cells().map(|(_, _, c)| c.to_string()).collect();
        texts.push((format!("workbook sheet {name}"), cells.join("\n")));
    }
    for (what, text) in texts {
        assert_eq!(hashed_file_name(&text), None, "{what} names a source file");
        for word in ["shared/seeds", "SEEDS.md", "seed 00"] {
            assert!(!text.contains(word), "{what} mentions {word:?}");
        }
    }
}

const DECISION_BEGIN: &str = "<!-- decision summary: generated from `crmcast run` on the built-in default scenario by tests/docs.rs -->\n";
const DECISION_END: &str = "<!-- end of decision summary -->";

/// docs/DECISION.md §1 shows the decision summary `crmcast run` prints for the built-in default
/// scenario at its own trials and seed, line by line (the box's right edge and padding left
/// out), so that a model or catalogue change cannot leave the example stale.
/// `CRMCAST_WRITE_DOCS=1 cargo test --test docs` rewrites it.
#[test]
fn decision_md_shows_the_default_runs_decision_summary() {
    let text = crmcast_output(&["run", "--quiet"]);
    let mut lines = text
        .lines()
        .skip_while(|l| !l.starts_with("Decision summary:"))
        .take_while(|l| !l.starts_with('└'));
    let heading = lines.next().expect("a decision summary");
    let mut expected = format!("```text\n{heading}\n");
    for line in lines.filter(|l| l.starts_with("│ ") && !l.starts_with("│ in plain words")) {
        let inner = line.trim_end().trim_end_matches('│').trim_end();
        expected.push_str(inner);
        expected.push('\n');
    }
    expected.push_str("```\n");
    assert!(expected.lines().count() >= 6, "{expected}");
    check_block("docs/DECISION.md", DECISION_BEGIN, DECISION_END, &expected);
}

/// `crmcast` with `args`, run from the repository (for the shipped scenarios), its standard
/// output at full width.
fn crmcast_output(args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_crmcast"))
        .args(args)
        .env_remove("COLUMNS")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run crmcast");
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// The first cell of a table row (`│ label ┆ …` or `| label | …`), trimmed.
fn row_label(line: &str) -> &str {
    line.trim_start_matches(['│', '|'])
        .split(['┆', '|'])
        .next()
        .unwrap_or("")
        .trim()
}

/// The README's "What you see" shows rows of `crmcast run` on the built-in default scenario and
/// of `crmcast compare` on the retail chain exactly as they print (the rows chosen here), so
/// that the example cannot go stale.
#[test]
fn readme_examples_are_what_crmcast_prints() {
    const OUTCOME_ROWS: [&str; 18] = [
        "metric",
        "P(success)",
        "P(challenged)",
        "P(failed)",
        "Budget overrun, mean",
        "Budget overrun, P50",
        "Budget overrun, P80",
        "P(overrun ≥ 100 %)",
        "P(runaway)",
        "Overrun, worst sixth mean",
        "Schedule slip, mean",
        "Benefits realised, mean",
        "Total outlay vs plan, mean",
        "Total outlay vs plan, P80",
        "NPV, mean",
        "NPV, P10",
        "P(NPV < 0)",
        "ROI, P50",
    ];
    const CAUSE_ROWS: [&str; 6] = [
        "primary cause group",
        "Organisational change",
        "Company politics / inertia",
        "Lack of understanding of CRM",
        "Poor planning",
        "Software problems",
    ];
    let run = crmcast_output(&["run", "--quiet"]);
    let mut expected = format!("```text\n{}\n", run.lines().next().expect("a title"));
    let mut section = "";
    for line in run.lines() {
        if !line.starts_with(['│', '┌', '╞', '└', '├']) && !line.trim().is_empty() {
            section = line;
            if section == "Outcomes by strategy"
                || section.starts_with("Why projects miss their objectives")
            {
                expected.push('\n');
                expected.push_str(line);
                expected.push('\n');
            }
            continue;
        }
        let wanted: &[&str] = match section {
            "Outcomes by strategy" => &OUTCOME_ROWS,
            s if s.starts_with("Why projects miss their objectives") => &CAUSE_ROWS,
            _ => &[],
        };
        if line.starts_with("│ ") && wanted.contains(&row_label(line)) {
            expected.push_str(line.trim_end());
            expected.push('\n');
        }
    }
    expected.push_str("  …\n```\n");
    assert_eq!(
        expected.lines().filter(|l| l.starts_with("│ ")).count(),
        OUTCOME_ROWS.len() + CAUSE_ROWS.len(),
        "{expected}"
    );
    check_block(
        "README.md",
        "<!-- example run: generated from `crmcast run` by tests/docs.rs -->\n",
        "<!-- end of example run -->",
        &expected,
    );

    const DIFFERENCE_ROWS: [&str; 5] = [
        "metric",
        "P(success)",
        "Budget overrun, mean",
        "NPV, mean",
        "P(NPV beats baseline)",
    ];
    let compare = crmcast_output(&[
        "compare",
        "scenarios/retail_chain.toml",
        "--format",
        "markdown",
        "--quiet",
    ]);
    let table: Vec<&str> = compare
        .lines()
        .skip_while(|l| !l.starts_with("## Difference to the baseline"))
        .skip(1)
        .skip_while(|l| l.is_empty())
        .take_while(|l| l.starts_with('|'))
        .collect();
    let mut expected = String::new();
    for (k, line) in table.iter().enumerate() {
        if k == 1 || DIFFERENCE_ROWS.contains(&row_label(line)) {
            expected.push_str(line);
            expected.push('\n');
        }
    }
    assert_eq!(
        expected.lines().count(),
        DIFFERENCE_ROWS.len() + 1,
        "{expected}"
    );
    check_block(
        "README.md",
        "<!-- example compare: generated from `crmcast compare` by tests/docs.rs -->\n",
        "<!-- end of example compare -->",
        &expected,
    );
}
