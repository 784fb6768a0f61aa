//! A command's [`Document`] as one self-contained HTML page, in the report's shell (its style,
//! Content-Security-Policy and footer; no script, no network), with SVG charts inlined after
//! the sections. Written with maud, which escapes every interpolated text.

use super::Document;
use super::charts::Chart;
use super::html::STYLE;
use maud::{DOCTYPE, PreEscaped, html};

/// The page for `document`, with `charts` after its sections and `note` under the title.
pub fn page(document: &Document, charts: &[Chart], note: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy"
                    content="default-src 'none'; style-src 'unsafe-inline'; img-src data:";
                meta name="generator" content=(format!("crmcast {version}"));
                title { (document.title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { (document.title) }
                    @if !note.is_empty() { p.subtitle { (note) } }
                }
                @for section in &document.sections {
                    section {
                        h2 { (section.title) }
                        div.table-wrap {
                            table.compare.inputs {
                                @if section.header.iter().any(|h| !h.is_empty()) {
                                    thead { tr { @for h in &section.header { th { (h) } } } }
                                }
                                tbody {
                                    @for row in &section.rows {
                                        tr {
                                            @for (i, cell) in row.iter().enumerate() {
                                                @if i == 0 { th scope="row" { (cell) } }
                                                @else { td.text { (cell) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @for chart in charts {
                    figure.chart-figure {
                        // The chart's SVG is built with maud too: its texts are escaped.
                        (PreEscaped(&chart.svg))
                        figcaption.note { (chart.title) }
                    }
                }
                footer {
                    "Made by crmcast " (version) ". Intervals are 95 % intervals; docs/SCORE.md says how each is made."
                }
            }
        }
    }
    .into_string()
}
