//! A command's [`Document`] as one self-contained HTML page in the report's shell (its style and
//! Content-Security-Policy; inline CSS and SVG, no script, no network): each section as a table,
//! a one-column section (a recommendation) as sentences, rows headed "warning" as a warning box,
//! and SVG charts inlined after a chosen section. Used by `crmcast update` and `crmcast score`.
//! Written with maud, which escapes every interpolated text, so words from a scenario, a status
//! file or a ledger always show as text; documents name files, never folders.

use super::charts::Chart;
use super::html::page_head;
use crate::presentation::{Document, Section};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// What a page says besides its document.
pub struct PageText<'a> {
    /// The page's heading and, under it, its subtitle.
    pub heading: &'a str,
    pub subtitle: &'a str,
    /// The browser tab's title.
    pub tab_title: &'a str,
    /// The footer's sentence after "Made by crmcast VERSION.".
    pub footer: &'a str,
    /// The charts follow the first section whose title starts with this (else the last).
    pub charts_after: Option<&'a str>,
    /// How to read a chart, by its id (the chart's title when it gives nothing).
    pub caption: fn(&str) -> &'static str,
}

/// The page for `document` with its `charts`.
pub fn page(document: &Document, charts: &[Chart], text: &PageText) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let charts_after = text
        .charts_after
        .and_then(|prefix| {
            document
                .sections
                .iter()
                .position(|s| s.title.starts_with(prefix))
        })
        .unwrap_or(document.sections.len().saturating_sub(1));
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (page_head(text.tab_title, version, ""))
            body {
                header {
                    h1 { (text.heading) }
                    @if !text.subtitle.is_empty() { p.subtitle { (text.subtitle) } }
                }
                @for (i, section) in document.sections.iter().enumerate() {
                    (section_markup(i, section))
                    @if i == charts_after && !charts.is_empty() {
                        section #charts {
                            @for chart in charts {
                                figure.chart-figure id=(format!("figure-{}", chart.id)) {
                                    // The chart's SVG is built with maud too: its texts are escaped.
                                    (PreEscaped(&chart.svg))
                                    figcaption.note {
                                        @match (text.caption)(chart.id) {
                                            "" => (chart.title),
                                            reading => (reading),
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                footer { "Made by crmcast " (version) ". " (text.footer) }
            }
        }
    };
    markup.into_string()
}

/// A section as a table; a one-column section as sentences; a row headed "warning" as a
/// warning box.
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
                        @if section.header.iter().any(|h| !h.is_empty()) {
                            thead { tr { @for h in &section.header { th { (h) } } } }
                        }
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
        let text = PageText {
            heading: "Shop <b>CRM</b>",
            subtitle: "re-forecast",
            tab_title: "Shop — crmcast update",
            footer: "Intervals are 95 % intervals.",
            charts_after: Some("Then and now"),
            caption: |_| "",
        };
        let page = page(&document(), &[chart], &text);
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
