//! The strings of an input TOML file (scenario, catalogue, targets), keys and values alike,
//! checked before the file is read into its types: no hidden control characters (C0 and C1
//! controls such as ESC, DEL, bidirectional overrides; [`crate::terminal::is_hidden_control`]).
//! Names, ids and labels reach terminals, charts and spreadsheets; a free-text field
//! (`description`, `evidence`) may also hold line breaks and tabs.

use super::source::{FieldPath, Problem};
use crate::terminal::is_hidden_control;

/// Keys whose strings are free text: line breaks (`\n`, `\r\n`) and tabs are allowed there.
const TEXT_KEYS: [&str; 2] = ["description", "evidence"];

/// The first string (or key) holding a hidden control character, as a problem at its place.
pub fn check(table: &toml::Table) -> Result<(), Problem> {
    check_table(table, &FieldPath::root())
}

fn check_table(table: &toml::Table, path: &FieldPath) -> Result<(), Problem> {
    for (key, value) in table {
        let here = path.key(key);
        if let Some((index, c)) = first_hidden(key, false) {
            return Err(refuse(&here, "the key", index, c, false));
        }
        check_value(value, &here, TEXT_KEYS.contains(&key.as_str()))?;
    }
    Ok(())
}

fn check_value(value: &toml::Value, path: &FieldPath, text: bool) -> Result<(), Problem> {
    match value {
        toml::Value::String(s) => match first_hidden(s, text) {
            Some((index, c)) => Err(refuse(path, "this string", index, c, text)),
            None => Ok(()),
        },
        toml::Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_value(item, &path.index(i), text)),
        toml::Value::Table(table) => check_table(table, path),
        _ => Ok(()),
    }
}

/// The first hidden control character and its position (counting characters from 1); in free
/// text, line feeds, tabs and the carriage return of a `\r\n` pass.
fn first_hidden(s: &str, text: bool) -> Option<(usize, char)> {
    let mut chars = s.chars().peekable();
    let mut index = 0;
    while let Some(c) = chars.next() {
        index += 1;
        let allowed =
            text && (c == '\n' || c == '\t' || (c == '\r' && chars.peek() == Some(&'\n')));
        if is_hidden_control(c) && !allowed {
            return Some((index, c));
        }
    }
    None
}

fn refuse(path: &FieldPath, what: &str, index: usize, c: char, text: bool) -> Problem {
    let allowed = if text {
        "free text may hold line breaks and tabs, but no other control characters"
    } else {
        "names, ids and labels are one line of plain text"
    };
    Problem::new(
        path,
        format!(
            "{what} holds the control character {} (character {index}): {allowed}",
            c.escape_unicode()
        ),
        "remove it (in TOML, escapes such as \\u001b or \\e write a control character too)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> Option<String> {
        let table: toml::Table = toml::from_str(text).unwrap();
        check(&table)
            .err()
            .map(|p| format!("{}: {}", p.path, p.message))
    }

    #[test]
    fn refuses_controls_in_names_and_keys_and_allows_line_breaks_in_text() {
        assert!(
            problem("[scenario]\nname = \"a\\u001b[31mb\"").is_some_and(|p| p.starts_with(
                "scenario.name: this string holds the control character \\u{1b} (character 2)"
            ))
        );
        assert!(
            problem("[[strategies]]\nname = \"x\\u009b\"")
                .is_some_and(|p| p.starts_with("strategies[0].name"))
        );
        assert!(
            problem("[factors.\"a\\u0007\"]\nprobability = 0.1")
                .is_some_and(|p| p.contains("the key"))
        );
        assert!(
            problem("sources = [\"ok\", \"bad\\u202e\"]")
                .is_some_and(|p| p.starts_with("sources[1]"))
        );
        assert!(problem("description = \"line\\r\\nnext\\tcol\"").is_none());
        assert!(problem("description = \"bare\\rreturn\"").is_some());
        assert!(problem("name = \"two\\nlines\"").is_some());
    }
}
