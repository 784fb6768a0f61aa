//! The HTML page of `crmcast update --format html`: one self-contained page (inline CSS and
//! SVG, no script, no network) with the update's sections as tables, the recommendation as
//! sentences, a warning box when the evidence leaves few trials, and the "then and now"
//! charts. It reuses the report's styles and Content-Security-Policy ([`super::html`]); maud
//! escapes every text, so a scenario's or a status file's words always show as text. The
//! document names files, never folders.

use super::charts::Chart;
use crate::presentation::{Document, Section};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The page for the update's `document` (from `presentation::update::document`) with its
/// then-and-now `charts`, placed after the section whose title starts with "Then and now".
pub fn page(document: &Document, charts: &[Chart]) -> String {
    let heading = document
        .title
        .split(" — ")
        .next()
        .unwrap_or(&document.title);
    let subtitle = document.title[heading.len()..].trim_start_matches(" — ");
    let charts_after = document
        .sections
        .iter()
        .position(|s| s.title.starts_with("Then and now"))
        .unwrap_or(document.sections.len().saturating_sub(1));
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy"
                    content="default-src 'none'; style-src 'unsafe-inline'; img-src data:";
                meta name="generator" content=(format!("crmcast {}", env!("CARGO_PKG_VERSION")));
                title { (heading) " — crmcast update" }
                style { (PreEscaped(super::html::STYLE)) }
            }
            body {
                header {
                    h1 { (heading) }
                    p.subtitle { (subtitle) }
                }
                @for (i, section) in document.sections.iter().enumerate() {
                    (section_markup(i, section))
                    @if i == charts_after && !charts.is_empty() {
                        section #charts {
                            @for chart in charts {
                                figure.chart-figure id=(format!("figure-{}", chart.id)) {
                                    (PreEscaped(&chart.svg))
                                    figcaption.note { (reading(chart.id)) }
                                }
                            }
                        }
                    }
                }
                footer {
                    "Made by crmcast " (env!("CARGO_PKG_VERSION"))
                    ". The trials of the forecast, weighted by how well each agrees with the status (docs/UPDATE.md); intervals are 95 % intervals of the weighted Monte Carlo estimates."
                }
            }
        }
    };
    markup.into_string()
}

/// How to read each chart, in one sentence.
fn reading(id: &str) -> &'static str {
    match id {
        "then_and_now_overrun" => {
            "Read across from a confidence level to the cost overrun it needs, before the evidence (dashed) and after it (solid): a curve moved right means the project now looks dearer."
        }
        "then_and_now_slip" => {
            "Read across from a confidence level to the schedule slip it needs, before the evidence (dashed) and after it (solid)."
        }
        "then_and_now_npv_total" => {
            "The whole-life NPV (sunk cost included, comparable with the forecast at the start), before the evidence (dashed) and after it (solid): mass left of zero is the chance the project as a whole loses money."
        }
        _ => "",
    }
}

/// A section as a table; a one-column section (the recommendation) as sentences; a row
/// headed "warning" as a warning box.
fn section_markup(index: usize, section: &Section) -> Markup {
    let (warnings, rows): (Vec<&Vec<String>>, Vec<&Vec<String>>) = section
        .rows
        .iter()
        .partition(|r| r.first().is_some_and(|c| c == "warning") && r.len() == 2);
    html! {
        section id=(format!("section-{index}")) {
            div.keep {
                h2 { (section.title) }
                @if !warnings.is_empty() {
                    div.warnings {
                        ul { @for w in &warnings { li { (w[1]) } } }
                    }
                }
                @if section.header.len() == 1 {
                    ul.sentences { @for row in &rows { li { (row.join(" ")) } } }
                } @else {
                    div.table-wrap { table.compare {
                        thead { tr { @for h in &section.header { th { (h) } } } }
                        tbody { @for row in &rows { tr {
                            @for (i, cell) in row.iter().enumerate() {
                                @if i == 0 { th scope="row" { (cell) } } @else { td { (cell) } }
                            }
                        } } }
                    } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Document {
        Document {
            title: "Shop <b>CRM</b> — re-forecast from the status (s.toml) — 1,000 trials".into(),
            sections: vec![
                Section {
                    title: "Status and evidence".into(),
                    header: vec!["item".into(), "value".into()],
                    rows: vec![
                        vec!["elapsed".into(), "8.0 of 12.0 planned months".into()],
                        vec!["warning".into(), "few effective trials".into()],
                    ],
                },
                Section {
                    title: "Recommendation".into(),
                    header: vec!["in plain words".into()],
                    rows: vec![vec!["Best option from now: \"Stop now\".".into()]],
                },
                Section {
                    title: "Then and now: the plan".into(),
                    header: vec!["figure".into(), "then".into(), "now".into()],
                    rows: vec![vec!["P(success)".into(), "50 %".into(), "40 %".into()]],
                },
            ],
            record: serde_json::Value::Null,
            csv_header: vec![],
            csv_rows: vec![],
        }
    }

    #[test]
    fn the_page_is_self_contained_escaped_and_holds_the_charts() {
        let chart = Chart {
            id: "then_and_now_overrun",
            title: "t".into(),
            svg: "<svg class=\"chart\"></svg>".into(),
        };
        let page = page(&document(), &[chart]);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("Content-Security-Policy"));
        assert!(!page.contains("<script"));
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert!(
            page.contains("<h1>Shop &lt;b&gt;CRM&lt;/b&gt;</h1>"),
            "{page}"
        );
        assert!(page.contains("<div class=\"warnings\"><ul><li>few effective trials"));
        assert!(page.contains("<ul class=\"sentences\"><li>Best option from now"));
        // The chart follows the then-and-now table.
        let table = page.find("Then and now: the plan").expect("the section");
        let figure = page.find("figure-then_and_now_overrun").expect("the chart");
        assert!(figure > table);
    }
}
