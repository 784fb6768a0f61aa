//! Hostile cases: messages. A problem is reported in the right file at the right place (a
//! catalogue's own line, a deep table header, a file with a byte-order mark, the first
//! definition of a duplicate key, a CSV with the wrong delimiter), and names or cells with
//! control characters are refused or shown escaped: no raw ESC or C1 byte reaches the terminal
//! (docs/SECURITY.md).

use super::support::*;
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write file");
    path
}

fn default_text() -> String {
    std::fs::read_to_string(repo("scenarios/default.toml")).expect("default scenario")
}

/// The default scenario with `line` added to its `[scenario]` table.
fn scenario_with(dir: &Path, line: &str) -> PathBuf {
    let text = default_text().replacen("[scenario]\n", &format!("[scenario]\n{line}\n"), 1);
    write(dir, "s.toml", text)
}

/// The built-in catalogue with `from` replaced by `to` (once).
fn catalogue_with(dir: &Path, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo("data/catalogue.toml")).expect("catalogue");
    assert!(text.contains(from), "the catalogue has no {from:?}");
    write(dir, "cat.toml", text.replacen(from, to, 1))
}

/// The 1-based line of the first line that starts with `needle` in `path`.
fn line_of(path: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).expect("read");
    text.lines()
        .position(|line| line.starts_with(needle))
        .expect("needle in file")
        + 1
}

/// Run `args`: exit 2, a fix, and no raw ESC or C1 control on stderr; stderr returned.
fn refused(args: &[&std::ffi::OsStr]) -> String {
    let output = crmcast().args(args).output().expect("run crmcast");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("fix:"), "{stderr}");
    assert_no_raw_controls(&output.stderr);
    assert_no_raw_controls(&output.stdout);
    stderr
}

fn assert_no_raw_controls(bytes: &[u8]) {
    assert!(!bytes.contains(&0x1b), "raw ESC in output");
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !text
            .chars()
            .any(|c| ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{202e}' || c == '\r'),
        "raw C1, bidi or carriage-return control in output: {text:?}"
    );
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

// --- the right file and place ----------------------------------------------------------------

#[test]
fn a_bad_value_in_a_named_catalogue_is_blamed_on_the_catalogue_at_its_line() {
    let dir = scratch();
    let catalogue = catalogue_with(dir.path(), "probability = 0.35", "probability = 3.5");
    let scenario = scenario_with(dir.path(), "catalogue = \"cat.toml\"");
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    let line = line_of(&catalogue, "probability = 3.5");
    assert!(
        stderr.contains(&format!("cat.toml:{line}:15: `factors[0].probability`")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s.toml:"),
        "blamed on the scenario: {stderr}"
    );
}

#[test]
fn a_syntax_error_in_a_catalogue_option_is_blamed_on_the_catalogue() {
    let dir = scratch();
    let catalogue = catalogue_with(dir.path(), "[runaway]", "[runaway");
    let scenario = small_scenario(dir.path(), "s.toml");
    let stderr = refused(&[
        os("validate"),
        scenario.as_os_str(),
        os("--catalogue"),
        catalogue.as_os_str(),
    ]);
    let line = line_of(&catalogue, "[runaway");
    assert!(stderr.contains(&format!("cat.toml:{line}:")), "{stderr}");
}

#[test]
fn category_correlations_that_cannot_hold_are_blamed_on_the_catalogue() {
    let dir = scratch();
    let text = std::fs::read_to_string(repo("data/catalogue.toml")).unwrap();
    let text = text
        .replacen(
            "a = \"organisational\"\nb = \"leadership_strategy\"\nrho = 0.30",
            "a = \"organisational\"\nb = \"leadership_strategy\"\nrho = 0.95",
            1,
        )
        .replacen(
            "a = \"organisational\"\nb = \"process_project\"\nrho = 0.20",
            "a = \"organisational\"\nb = \"process_project\"\nrho = 0.95",
            1,
        )
        .replacen(
            "a = \"leadership_strategy\"\nb = \"process_project\"\nrho = 0.20",
            "a = \"leadership_strategy\"\nb = \"process_project\"\nrho = -0.95",
            1,
        );
    let catalogue = write(dir.path(), "cat.toml", text);
    let scenario = scenario_with(dir.path(), "catalogue = \"cat.toml\"");
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    let line = line_of(&catalogue, "[[category_correlations]]");
    assert!(
        stderr.contains(&format!("cat.toml:{line}:")) && stderr.contains("category_correlations"),
        "{stderr}"
    );
}

#[test]
fn a_problem_under_a_deep_table_header_is_reported_at_that_header() {
    let dir = scratch();
    let scenario = write(
        dir.path(),
        "s.toml",
        default_text().replacen(
            "\n[simulation]\n",
            "\n[factors.change_resistance.severity]\nkind = \"fixed\"\n\n[simulation]\n",
            1,
        ),
    );
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    let line = line_of(&scenario, "[factors.change_resistance.severity]");
    assert!(
        stderr.contains(&format!("s.toml:{line}:"))
            && stderr.contains("factors.change_resistance.severity"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_key_under_a_deep_header_is_reported_at_its_own_line() {
    let dir = scratch();
    let scenario = write(
        dir.path(),
        "s.toml",
        default_text().replacen(
            "\n[simulation]\n",
            "\n[factors.change_resistance.impact]\ncots = 0.1\n\n[simulation]\n",
            1,
        ),
    );
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    let line = line_of(&scenario, "cots = 0.1");
    assert!(stderr.contains(&format!("s.toml:{line}:1:")), "{stderr}");
    assert!(stderr.contains("did you mean \"cost\""), "{stderr}");
}

#[test]
fn a_missing_named_catalogue_is_reported_at_the_scenario_key() {
    let dir = scratch();
    let scenario = scenario_with(dir.path(), "catalogue = \"missing.toml\"");
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    let line = line_of(&scenario, "catalogue = ");
    assert!(
        stderr.contains(&format!("s.toml:{line}:13: `scenario.catalogue`")),
        "{stderr}"
    );
    assert!(stderr.contains("missing.toml"), "{stderr}");
}

#[test]
fn a_byte_order_mark_does_not_shift_line_one() {
    let dir = scratch();
    let scenario = write(dir.path(), "s.toml", "\u{feff}name = 5\n");
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    assert!(stderr.contains("s.toml:1:1:"), "{stderr}");
    let scenario = write(dir.path(), "s.toml", "\u{feff}[scenario] x = 5\n");
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    assert!(stderr.contains("s.toml:1:12:"), "{stderr}");
}

#[test]
fn a_scenario_and_a_catalogue_with_a_byte_order_mark_are_read() {
    let dir = scratch();
    let catalogue = std::fs::read_to_string(repo("data/catalogue.toml")).unwrap();
    write(dir.path(), "cat.toml", format!("\u{feff}{catalogue}"));
    let text = default_text().replacen("[scenario]\n", "[scenario]\ncatalogue = \"cat.toml\"\n", 1);
    let scenario = write(dir.path(), "s.toml", format!("\u{feff}{text}"));
    crmcast().arg("validate").arg(&scenario).assert().success();
}

#[test]
fn a_csv_with_a_byte_order_mark_is_read() {
    let dir = scratch();
    let csv = std::fs::read_to_string(repo("scenarios/calibration/overruns.csv")).unwrap();
    let data = write(dir.path(), "past.csv", format!("\u{feff}{csv}"));
    crmcast()
        .args(["reference-class", "--data"])
        .arg(&data)
        .assert()
        .success();
}

#[test]
fn a_semicolon_separated_csv_gets_a_delimiter_hint() {
    let dir = scratch();
    let csv = std::fs::read_to_string(repo("scenarios/calibration/overruns.csv")).unwrap();
    let data = write(dir.path(), "past.csv", csv.replace(',', ";"));
    let stderr = refused(&[os("reference-class"), os("--data"), data.as_os_str()]);
    assert!(stderr.contains("semicolons"), "{stderr}");
    assert!(stderr.contains("comma-separated"), "{stderr}");
}

#[test]
fn a_tab_separated_csv_gets_a_delimiter_hint() {
    let dir = scratch();
    let csv = std::fs::read_to_string(repo("scenarios/calibration/projects.csv")).unwrap();
    let data = write(dir.path(), "projects.csv", csv.replace(',', "\t"));
    let out = dir.path().join("fitted.toml");
    let stderr = refused(&[
        os("calibrate"),
        os("--data"),
        data.as_os_str(),
        os("-q"),
        os("--output"),
        out.as_os_str(),
    ]);
    assert!(stderr.contains("tabs"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn a_duplicate_key_names_its_first_definition() {
    let dir = scratch();
    let scenario = write(
        dir.path(),
        "s.toml",
        "[scenario]\nname = \"a\"\ndescription = \"b\"\nname = \"c\"\n",
    );
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    assert!(stderr.contains("s.toml:4:1:"), "{stderr}");
    assert!(
        stderr.contains("already defined at line 2, column 1"),
        "{stderr}"
    );
}

#[test]
fn a_duplicate_table_names_its_first_definition() {
    let dir = scratch();
    let text = default_text();
    let text = text.replacen(
        "\n[simulation]\n",
        "\n[project]\nbudget = 1.0\n\n[simulation]\n",
        1,
    );
    let scenario = write(dir.path(), "s.toml", &text);
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    let first = line_of(&scenario, "[project]");
    assert!(
        stderr.contains(&format!("already defined at line {first}, column 2")),
        "{stderr}"
    );
}

// --- control characters ----------------------------------------------------------------------

#[test]
fn an_ansi_escape_in_a_strategy_name_is_refused_at_its_place() {
    let dir = scratch();
    let text = default_text().replacen(
        "name = \"No mitigation (baseline)\"",
        "name = \"\\u001b[2J\\u001b[31mpwned\"",
        1,
    );
    let scenario = write(dir.path(), "s.toml", &text);
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    let line = line_of(&scenario, "name = \"\\u001b[2J");
    assert!(
        stderr.contains(&format!("s.toml:{line}:8: `strategies[0].name`")),
        "{stderr}"
    );
    assert!(stderr.contains("control character \\u{1b}"), "{stderr}");
}

#[test]
fn a_raw_c1_control_in_a_mitigation_name_is_refused() {
    // U+009B (CSI on 8-bit terminals) is legal raw in a TOML string: validation refuses it.
    let dir = scratch();
    let text = default_text().replacen(
        "name = \"SMART CRM goals aligned with company strategy\"",
        "name = \"x\u{9b}31m\"",
        1,
    );
    let scenario = write(dir.path(), "s.toml", &text);
    let stderr = refused(&[
        os("run"),
        scenario.as_os_str(),
        os("--trials"),
        os("2000"),
        os("-q"),
    ]);
    assert!(stderr.contains("mitigations[0].name"), "{stderr}");
    assert!(stderr.contains("\\u{9b}"), "{stderr}");
}

#[test]
fn a_control_character_in_a_catalogue_factor_name_is_refused_in_the_catalogue() {
    let dir = scratch();
    let catalogue = catalogue_with(
        dir.path(),
        "name = \"No clear CRM strategy, vision or goals\"",
        "name = \"No clear\\u0007\\u001b]0;title\\u0007 strategy\"",
    );
    let stderr = refused(&[os("factors"), os("--catalogue"), catalogue.as_os_str()]);
    let line = line_of(&catalogue, "name = \"No clear\\u0007");
    assert!(
        stderr.contains(&format!("cat.toml:{line}:8: `factors[0].name`")),
        "{stderr}"
    );
}

#[test]
fn a_bidi_override_in_a_group_label_is_refused() {
    let dir = scratch();
    let text = std::fs::read_to_string(repo("data/catalogue.toml")).unwrap();
    let at = text.find("label = \"").expect("a label") + "label = \"".len();
    let text = format!("{}\u{202e}{}", &text[..at], &text[at..]);
    let catalogue = write(dir.path(), "cat.toml", text);
    let stderr = refused(&[os("factors"), os("--catalogue"), catalogue.as_os_str()]);
    assert!(stderr.contains("\\u{202e}"), "{stderr}");
    assert!(stderr.contains("groups[0].label"), "{stderr}");
}

#[test]
fn a_control_character_in_a_factor_override_key_is_refused() {
    let dir = scratch();
    let scenario = write(
        dir.path(),
        "s.toml",
        default_text().replacen(
            "\n[simulation]\n",
            "\n[factors.\"change\\u001b[8m_resistance\"]\nprobability = 0.2\n\n[simulation]\n",
            1,
        ),
    );
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    assert!(
        stderr.contains("the key holds the control character"),
        "{stderr}"
    );
}

#[test]
fn a_description_may_hold_line_breaks_and_tabs() {
    let dir = scratch();
    let scenario = write(
        dir.path(),
        "s.toml",
        default_text().replacen(
            "description = \"",
            "description = \"Line one\\r\\nline two\\tand a tab. ",
            1,
        ),
    );
    crmcast().arg("validate").arg(&scenario).assert().success();
}

#[test]
fn a_raw_escape_byte_in_a_scenario_is_shown_escaped_in_the_snippet() {
    let dir = scratch();
    let scenario = write(
        dir.path(),
        "s.toml",
        b"[scenario]\nname = \"a\x1b[31mred\x1b[0m\"\n".as_slice(),
    );
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    assert!(stderr.contains("s.toml:2:"), "{stderr}");
    assert!(stderr.contains("\\u{1b}[31mred"), "{stderr}");
}

#[test]
fn a_control_character_in_a_csv_cell_is_shown_escaped() {
    let dir = scratch();
    let mut csv = std::fs::read_to_string(repo("scenarios/calibration/overruns.csv")).unwrap();
    csv.push_str("P99,\"\u{1b}[2J\r\u{9b}1m\"\n");
    let data = write(dir.path(), "past.csv", csv);
    let stderr = refused(&[os("reference-class"), os("--data"), data.as_os_str()]);
    assert!(stderr.contains("\\u{1b}[2J\\u{d}\\u{9b}1m"), "{stderr}");
}

#[test]
fn a_control_character_in_a_file_name_is_shown_escaped() {
    let dir = scratch();
    let path = write(dir.path(), "a\u{1b}[31mred.toml", "[scenario\n");
    let stderr = refused(&[os("validate"), path.as_os_str()]);
    assert!(stderr.contains("a\\u{1b}[31mred.toml"), "{stderr}");
}

#[test]
fn a_control_character_in_a_csv_column_name_is_shown_escaped() {
    let dir = scratch();
    let data = write(
        dir.path(),
        "past.csv",
        "project,\u{1b}]0;pwned\u{7}over\nP1,0.1\n",
    );
    let stderr = refused(&[os("reference-class"), os("--data"), data.as_os_str()]);
    assert!(stderr.contains("\\u{1b}]0;pwned\\u{7}over"), "{stderr}");
}

#[test]
fn a_catalogue_over_the_factor_limit_is_blamed_on_the_catalogue() {
    // Refused before its n × n correlation matrix is built.
    let dir = scratch();
    let text = std::fs::read_to_string(repo("data/catalogue.toml")).unwrap();
    let start = text.find("[[factors]]").expect("a factor");
    let end = start
        + 1
        + text[start + 1..]
            .find("[[factors]]")
            .expect("a second factor");
    let block = &text[start..end];
    let mut big = text.clone();
    for k in 0..300 {
        big.push_str(&block.replacen("id = \"unclear_strategy\"", &format!("id = \"f{k}\""), 1));
    }
    let catalogue = write(dir.path(), "cat.toml", big);
    let stderr = refused(&[os("factors"), os("--catalogue"), catalogue.as_os_str()]);
    assert!(stderr.contains("cat.toml:"), "{stderr}");
    assert!(
        stderr.contains("factors exceed the limit of 256"),
        "{stderr}"
    );
}

#[test]
fn calibrate_data_with_a_byte_order_mark_is_read() {
    let dir = scratch();
    let csv = std::fs::read_to_string(repo("scenarios/calibration/projects.csv")).unwrap();
    let data = write(dir.path(), "projects.csv", format!("\u{feff}{csv}"));
    let out = dir.path().join("fitted.toml");
    crmcast()
        .args(["calibrate", "-q", "--data"])
        .arg(&data)
        .arg("--output")
        .arg(&out)
        .assert()
        .success();
    assert!(out.exists());
}

#[test]
fn a_duplicate_dotted_key_names_its_first_definition() {
    let dir = scratch();
    let text = default_text().replacen(
        "\n[simulation]\n",
        "\n[factors]\nchange_resistance.probability = 0.2\npoor_communication.probability = 0.3\nchange_resistance.probability = 0.4\n\n[simulation]\n",
        1,
    );
    let scenario = write(dir.path(), "s.toml", &text);
    let stderr = refused(&[os("validate"), scenario.as_os_str()]);
    let first = line_of(&scenario, "change_resistance.probability = 0.2");
    assert!(
        stderr.contains(&format!("already defined at line {first}, column 19")),
        "{stderr}"
    );
}
