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

#[cfg(test)]
mod tests {
    /// Names are validated, but a cell may still come from elsewhere (a CSV column name): no
    /// control character reaches the terminal raw.
    #[test]
    fn control_characters_in_cells_are_escaped() {
        let section = super::Section {
            title: "t\u{1b}]0;x\u{7}".into(),
            header: vec!["a".into(), "b\u{9b}".into()],
            rows: vec![vec!["\u{1b}[31mred".into(), "1".into()]],
        };
        let mut out = Vec::new();
        super::render("title\u{1b}[2J", &[section], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text
                .chars()
                .any(|c| c == '\u{1b}' || c == '\u{9b}' || c == '\u{7}')
        );
        assert!(text.contains("u{1b}[31mred"), "{text}");
    }
}
