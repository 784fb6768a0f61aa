//! GitHub-flavoured Markdown tables, for reports and slides.

use super::sections::{self, Section};
use super::{Exporter, FactorList, View};
use crate::analysis::Report;
use std::io::Write;

pub struct MarkdownExporter;

/// Escape what would break a Markdown table cell or inject markup, and control characters.
fn cell(text: &str) -> String {
    crate::terminal::escape_line(&text.replace('\n', " "))
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn render(title: &str, sections: &[Section], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "# {}\n", cell(title))?;
    for section in sections {
        writeln!(out, "## {}\n", cell(&section.title))?;
        let header: Vec<String> = section.header.iter().map(|h| cell(h)).collect();
        writeln!(out, "| {} |", header.join(" | "))?;
        let align: Vec<&str> = (0..header.len())
            .map(|i| if i == 0 { ":---" } else { "---:" })
            .collect();
        writeln!(out, "| {} |", align.join(" | "))?;
        for row in &section.rows {
            let row: Vec<String> = row.iter().map(|c| cell(c)).collect();
            writeln!(out, "| {} |", row.join(" | "))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

impl Exporter for MarkdownExporter {
    fn report(&self, report: &Report, view: View, out: &mut dyn Write) -> std::io::Result<()> {
        render(
            &sections::title(report),
            &sections::sections(report, view),
            out,
        )
    }
    fn factors(&self, list: &FactorList, out: &mut dyn Write) -> std::io::Result<()> {
        render("crmcast factors", &sections::factor_sections(list), out)
    }
    fn document(&self, document: &super::Document, out: &mut dyn Write) -> std::io::Result<()> {
        render(&document.title, &document.sections, out)
    }
}
