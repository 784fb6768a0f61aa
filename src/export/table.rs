//! Plain-text tables for the terminal (comfy-table).

use super::sections::{self, Section};
use super::{Exporter, FactorList, View};
use crate::analysis::Report;
use std::io::Write;

pub struct TableExporter;

/// A cell as the terminal shows it: control characters from names escaped.
fn cell(text: &str) -> String {
    crate::terminal::escape(text).into_owned()
}

fn render(title: &str, sections: &[Section], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{}\n", cell(title))?;
    for section in sections {
        let mut table = comfy_table::Table::new();
        table
            .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
            .set_header(section.header.iter().map(|h| cell(h)));
        for row in &section.rows {
            table.add_row(row.iter().map(|c| cell(c)));
        }
        for index in 1..section.header.len() {
            if let Some(column) = table.column_mut(index) {
                column.set_cell_alignment(comfy_table::CellAlignment::Right);
            }
        }
        writeln!(out, "{}\n{table}\n", cell(&section.title))?;
    }
    Ok(())
}

impl Exporter for TableExporter {
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
