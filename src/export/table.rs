//! Plain-text tables for the terminal (comfy-table), fitted to a width: columns wrap, and a
//! table too wide even wrapped is stacked (one small two-column table per row, header beside
//! value). The width is set once per process by the CLI ([`set_width`]); without one, the full
//! table is written (piped or saved output, `--wide`).

use super::sections::{self, Section};
use super::{Exporter, FactorList, View};
use crate::analysis::Report;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use unicode_width::UnicodeWidthStr;

pub struct TableExporter;

/// The narrowest width honoured: below it, a table of two columns cannot show a word.
pub const MIN_WIDTH: usize = 40;

/// The width tables are fitted to; 0 is "no limit".
static WIDTH: AtomicUsize = AtomicUsize::new(0);

/// Fit every table rendered from now on to `width` columns (at least [`MIN_WIDTH`]), or to
/// none: the full table.
pub fn set_width(width: Option<usize>) {
    WIDTH.store(width.map_or(0, |w| w.max(MIN_WIDTH)), Ordering::Relaxed);
}

fn width() -> Option<usize> {
    match WIDTH.load(Ordering::Relaxed) {
        0 => None,
        w => Some(w),
    }
}

/// A cell as the terminal shows it: control characters from names escaped.
fn cell(text: &str) -> String {
    crate::terminal::escape(text).into_owned()
}

/// Word-wrap a line of prose to `width` display columns (a word longer than the width is
/// split).
fn wrap(text: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return text.to_string();
    };
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        while word.width() > width {
            let mut head = String::new();
            for c in word.chars() {
                if (head.clone() + &c.to_string()).width() > width {
                    break;
                }
                head.push(c);
            }
            let rest = word[head.len()..].to_string();
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(head);
            word = rest;
        }
        if line.is_empty() {
            line = word;
        } else if line.width() + 1 + word.width() <= width {
            line.push(' ');
            line.push_str(&word);
        } else {
            lines.push(std::mem::replace(&mut line, word));
        }
    }
    lines.push(line);
    lines.join("\n")
}

fn table(header: &[String], rows: &[Vec<String>], width: Option<usize>) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(header.iter().map(|h| cell(h)));
    for row in rows {
        table.add_row(row.iter().map(|c| cell(c)));
    }
    if let Some(width) = width {
        table
            .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
            .set_width(u16::try_from(width).unwrap_or(u16::MAX));
    }
    for index in 1..header.len() {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    table
}

fn fits(table: &comfy_table::Table, width: usize) -> bool {
    table.lines().all(|line| line.width() <= width)
}

/// A section as text: the table wrapped to the width, else stacked.
fn section_text(section: &Section, width: Option<usize>) -> String {
    let whole = table(&section.header, &section.rows, width);
    let Some(w) = width else {
        return whole.to_string();
    };
    if fits(&whole, w) || section.header.len() <= 2 {
        return whole.to_string();
    }
    // Stacked: one two-column table per row, its first cell as the heading.
    let first = section.header.first().cloned().unwrap_or_default();
    section
        .rows
        .iter()
        .map(|row| {
            let pairs: Vec<Vec<String>> = section
                .header
                .iter()
                .zip(row)
                .skip(1)
                .map(|(h, c)| vec![h.clone(), c.clone()])
                .collect();
            let heading = format!("{first}: {}", row.first().map_or("", String::as_str));
            let stacked = table(&["".into(), "".into()], &pairs, width);
            let body: Vec<String> = stacked
                .lines()
                .enumerate()
                // The empty header row of the two-column table is left out.
                .filter(|(i, _)| !(1..=2).contains(i))
                .map(|(_, l)| l)
                .collect();
            format!("{}\n{}", wrap(&cell(&heading), width), body.join("\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn render(title: &str, sections: &[Section], out: &mut dyn Write) -> std::io::Result<()> {
    let width = width();
    writeln!(out, "{}\n", wrap(&cell(title), width))?;
    for section in sections {
        writeln!(
            out,
            "{}\n{}\n",
            wrap(&cell(&section.title), width),
            section_text(section, width)
        )?;
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
    use super::{Section, section_text, wrap};
    use unicode_width::UnicodeWidthStr;

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

    fn wide_section(columns: usize) -> Section {
        Section {
            title: "t".into(),
            header: (0..columns)
                .map(|i| format!("strategy number {i}"))
                .collect(),
            rows: (0..3)
                .map(|r| {
                    (0..columns)
                        .map(|c| format!("r{r}c{c} 23,296,875 ± 94,264"))
                        .collect()
                })
                .collect(),
        }
    }

    #[test]
    fn wide_tables_fit_the_width_wrapped_or_stacked() {
        for columns in [2, 4, 8, 30] {
            let text = section_text(&wide_section(columns), Some(60));
            let widest = text.lines().map(|l| l.width()).max().unwrap_or(0);
            assert!(widest <= 60, "{columns} columns: {widest}\n{text}");
            // Every cell is still there.
            assert!(text.contains(&format!("r2c{}", columns - 1)), "{text}");
        }
        let full = section_text(&wide_section(8), None);
        assert!(full.lines().any(|l| l.width() > 60));
    }

    #[test]
    fn prose_wraps_at_spaces() {
        let text = wrap("one two three four five", Some(9));
        assert_eq!(text, "one two\nthree\nfour five");
        assert!(
            wrap("abcdefghijkl", Some(5))
                .lines()
                .all(|l| l.width() <= 5)
        );
        assert_eq!(wrap("a b", None), "a b");
    }
}
