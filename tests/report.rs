//! `crmcast report`: the HTML page (self-contained, escaped, every chart present), the charts
//! as SVG and PNG files, determinism, the workbook by extension, and bad input.

use assert_cmd::Command;
use std::path::Path;

use crmcast::export::charts::IDS as CHARTS;

fn crmcast() -> Command {
    Command::cargo_bin("crmcast").expect("the crmcast binary is built")
}

/// `crmcast report ARGS… --output FILE` in `dir`, returning the file's text.
fn report(dir: &Path, file: &str, args: &[&str]) -> String {
    let path = dir.join(file);
    crmcast()
        .arg("report")
        .args(args)
        .args([
            "--trials",
            "20000",
            "--sensitivity-trials",
            "2000",
            "-q",
            "--output",
        ])
        .arg(&path)
        .assert()
        .success();
    std::fs::read_to_string(&path).expect("the report was written")
}

#[test]
fn html_report_is_self_contained_and_has_every_part() {
    let dir = tempfile::tempdir().unwrap();
    let page = report(dir.path(), "report.html", &["scenarios/retail_chain.toml"]);
    assert!(page.starts_with("<!DOCTYPE html>"));
    for id in CHARTS {
        assert!(
            page.contains(&format!("data-chart=\"{id}\"")),
            "chart {id} missing"
        );
    }
    for section in ["summary", "comparison", "charts", "causes", "assumptions"] {
        assert!(page.contains(&format!("id=\"{section}\"")), "{section}");
    }
    // No script, no remote resource: the page opens from a USB stick.
    assert!(!page.contains("<script"));
    for remote in ["http://", "https://", "src=\"//"] {
        let hits: Vec<_> = page.match_indices(remote).collect();
        // The SVG namespace is the only URL allowed.
        assert!(
            hits.iter()
                .all(|(i, _)| page[*i..].starts_with("http://www.w3.org/2000/svg")),
            "{remote} in the page"
        );
    }
    assert!(page.contains("Content-Security-Policy"));
    assert!(page.contains("@media print"));
    // One toggle per strategy, each hiding its series by CSS.
    let strategies = 5;
    for k in 0..strategies {
        assert!(page.contains(&format!("id=\"show-{k}\"")));
        assert!(page.contains(&format!("#show-{k}:not(:checked)")));
    }
    // The appendix names the seed and the trials; the scenario text is there, escaped.
    assert!(page.contains("Large retail chain"));
    assert!(page.contains("20,000"));
}

#[test]
fn text_from_the_scenario_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/small_business.toml")
        .unwrap()
        .replace(
            "name = \"Right fit and training\"",
            "name = \"<script>alert(1)</script> & \\\"quotes\\\"\"",
        );
    assert!(text.contains("<script>"));
    let scenario = dir.path().join("hostile.toml");
    std::fs::write(&scenario, text).unwrap();
    let page = report(dir.path(), "hostile.html", &[scenario.to_str().unwrap()]);
    assert!(!page.contains("<script"), "an unescaped script tag");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn charts_folder_holds_an_svg_and_a_png_per_chart() {
    let dir = tempfile::tempdir().unwrap();
    let charts = dir.path().join("slides").join("charts");
    report(
        dir.path(),
        "r.html",
        &[
            "scenarios/default.toml",
            "--charts",
            charts.to_str().unwrap(),
        ],
    );
    for id in CHARTS {
        let svg = std::fs::read_to_string(charts.join(format!("{id}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{id}.svg");
        let png = std::fs::read(charts.join(format!("{id}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{id}.png");
        assert!(png.len() > 5_000, "{id}.png is only {} bytes", png.len());
    }
}

#[test]
fn same_seed_same_bytes_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let one = report(dir.path(), "one.html", &["--threads", "1", "--seed", "9"]);
    let two = report(dir.path(), "two.html", &["--threads", "2", "--seed", "9"]);
    assert!(one == two, "the pages differ between 1 and 2 threads");
    let other = report(
        dir.path(),
        "other.html",
        &["--threads", "2", "--seed", "10"],
    );
    assert!(one != other, "another seed should give other figures");
}

#[test]
fn an_xlsx_output_gives_a_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    crmcast()
        .args([
            "report",
            "--trials",
            "20000",
            "--sensitivity-trials",
            "2000",
            "-q",
        ])
        .args(["--xlsx-trials", "100", "--output"])
        .arg(&path)
        .assert()
        .success();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx file is a zip archive");
}

#[test]
fn bad_input_is_refused_with_a_fix_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.html");
    for args in [
        vec!["--trials", "0"],
        vec!["--sensitivity-trials", "5"],
        vec!["--scatter-trials", "0"],
        vec![
            "--trials",
            "300000",
            "--xlsx-trials",
            "300000",
            "--format",
            "xlsx",
        ],
        vec!["no/such/scenario.toml"],
    ] {
        let assert = crmcast()
            .arg("report")
            .args(&args)
            .arg("--output")
            .arg(&path)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains("fix"), "{args:?}: {stderr}");
        assert!(!path.exists(), "{args:?} wrote a file");
    }
}

#[test]
fn a_scenario_without_mitigations_has_no_frontier_and_no_differences() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/small_business.toml").unwrap();
    let head = &text[..text
        .find("[[mitigations]]")
        .expect("the file has mitigations")];
    let scenario = dir.path().join("lone.toml");
    std::fs::write(
        &scenario,
        format!(
            "{head}\n[[strategies]]\nid = \"as_is\"\nname = \"As is\"\ndescription = \"No mitigation.\"\nbaseline = true\nmitigations = []\n"
        ),
    )
    .unwrap();
    let page = report(dir.path(), "lone.html", &[scenario.to_str().unwrap()]);
    assert!(!page.contains("data-chart=\"efficient_frontier\""));
    assert!(page.contains("data-chart=\"tornado\""));
    assert!(!page.contains("Difference to the baseline"));
    assert!(page.contains("id=\"show-0\"") && !page.contains("id=\"show-1\""));
}

#[test]
fn the_page_shows_the_inputs_and_prints_the_scenario_file_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    // An absolute path to the scenario: the page must show its name, not the folder.
    let scenario = dir.path().join("retail_chain.toml");
    std::fs::copy("scenarios/retail_chain.toml", &scenario).unwrap();
    let scenario = scenario.canonicalize().unwrap();
    let page = report(dir.path(), "plain.html", &[scenario.to_str().unwrap()]);
    let folder = scenario.parent().unwrap().to_str().unwrap();
    assert!(!page.contains(folder), "the page shows the folder {folder}");
    assert!(page.contains("Large retail chain (retail_chain.toml)"));
    for table in [
        "project",
        "benefits",
        "factors",
        "mitigations",
        "strategies",
    ] {
        assert!(
            page.contains(&format!("data-inputs=\"{table}\"")),
            "inputs table {table}"
        );
    }
    // A mitigation's cost distribution and effects in words; a changed factor beside the
    // catalogue's value (no executive sponsor: 35 % in the catalogue, 60 % here).
    assert!(page.contains("triangular: lowest 30,000, most likely 45,000, highest 75,000"));
    assert!(page.contains("50 % less likely (uncertain: 20 % to 70 %)"));
    assert!(page.contains(
        "<th scope=\"row\">Missing executive / CXO sponsorship</th><td class=\"text\">Leadership"
    ));
    assert!(page.contains("<td class=\"number\">35 %</td><td class=\"number\">60 %</td>"));
    // One display name per strategy.
    assert!(!page.contains("(baseline) (baseline)"));
    assert!(page.contains("No mitigation (baseline)"));
    // "Other" broken down: the case's data-quality cause shows by name.
    assert!(page.contains("↳ Poor data quality"));
    // The scenario file is in the page, hidden on screen and in print until its box is ticked.
    assert!(page.contains("<input type=\"checkbox\" id=\"show-appendix\">"));
    assert!(page.contains("body:has(#show-appendix:not(:checked)) #appendix { display: none; }"));
    assert!(page.contains("id=\"appendix\""));
    let asked = report(
        dir.path(),
        "appendix.html",
        &[scenario.to_str().unwrap(), "--appendix", "--no-frontier"],
    );
    assert!(asked.contains("<input type=\"checkbox\" id=\"show-appendix\" checked>"));
}
