//! GitHub-flavoured Markdown tables, for reports and slides.

use super::sections::{self, Section};
use super::{Exporter, FactorList, View};
use crate::analysis::Report;
use std::io::Write;

pub struct MarkdownExporter;

/// Escape what would break a Markdown table cell or inject markup, and control characters:
/// Markdown's own backslash escapes (CommonMark §2.4), no HTML entities, so "P(NPV < 0)" reads
/// the same in the source as rendered.
fn cell(text: &str) -> String {
    let line = crate::terminal::escape_line(&text.replace('\n', " ")).into_owned();
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    for (i, &c) in chars.iter().enumerate() {
        // An `_` inside a word (`p_success`) is no emphasis in GitHub's Markdown: left as is,
        // so ids read the same in the source.
        let inside_word = |k: Option<&char>| k.is_some_and(|k| k.is_alphanumeric());
        let underscore_in_word = c == '_'
            && inside_word(i.checked_sub(1).and_then(|j| chars.get(j)))
            && inside_word(chars.get(i + 1));
        // `<` opens HTML or an autolink; `|` ends a cell; `*`, `_`, `` ` ``, `[`, `]` are
        // emphasis, code and links; `&` would start an entity.
        if matches!(
            c,
            '\\' | '|' | '<' | '>' | '*' | '_' | '`' | '[' | ']' | '&'
        ) && !underscore_in_word
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
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
        assert!(text.contains("u{1b}\\[31mred"), "{text}");
    }

    #[test]
    fn markup_is_escaped_with_backslashes_not_entities() {
        assert_eq!(super::cell("P(NPV < 0)"), "P(NPV \\< 0)");
        assert_eq!(super::cell("a|b"), "a\\|b");
        assert_eq!(super::cell("<script>"), "\\<script\\>");
        assert_eq!(super::cell("p_success"), "p_success");
        assert_eq!(super::cell("_x_"), "\\_x\\_");
        assert!(!super::cell("P(NPV < 0) & more").contains("&lt;"));
    }
}
