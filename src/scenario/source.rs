//! One input text (a scenario or catalogue file) and the machinery that turns a problem found
//! in it into an error that names the file, line and column, shows the line, and says the fix.

use crate::error::{Error, Location};
use serde::de::DeserializeOwned;
use std::fmt;

/// A step in a path to a value: `mitigations[2].effects[0].probability`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path to a value in a TOML document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }
    pub fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_string()));
        next
    }
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A validation problem before it is located in the text.
#[derive(Debug, Clone)]
pub struct Problem {
    pub path: FieldPath,
    pub message: String,
    pub fix: String,
}

impl Problem {
    pub fn new(path: &FieldPath, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Problem {
            path: path.clone(),
            message: message.into(),
            fix: fix.into(),
        }
    }
}

/// The text of one input file.
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }

    /// Deserialize the whole text; syntax and type errors carry their place. Every string is
    /// checked for control characters first ([`super::strings`]), so that no message quotes one.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let table =
            toml::from_str::<toml::Table>(&self.text).map_err(|error| self.toml_error(&error))?;
        super::strings::check(&table).map_err(|problem| self.problem(problem))?;
        toml::from_str::<T>(&self.text).map_err(|error| self.toml_error(&error))
    }

    fn toml_error(&self, error: &toml::de::Error) -> Error {
        let offset = error.span().map(|span| span.start).unwrap_or(0);
        let location = self.location_of(offset);
        let snippet = self.snippet(location.line, location.column);
        let message = error.message().trim().to_string();
        let is_field_error = [
            "unknown field",
            "missing field",
            "invalid type",
            "invalid value",
            "invalid length",
            "unknown variant",
        ]
        .iter()
        .any(|kind| message.contains(kind));
        if is_field_error {
            // Name the field by its full path where the error points inside a value.
            let path = self.path_at(offset);
            let field = if message.contains("unknown field") || message.contains("missing field") {
                let name = field_name(&message);
                match path {
                    Some(p) if !p.0.is_empty() && !message.contains("unknown field") => {
                        format!("{p}.{name}")
                    }
                    _ => name,
                }
            } else {
                path.map(|p| p.to_string()).unwrap_or_default()
            };
            return Error::Invalid {
                location,
                field,
                fix: field_fix(&message),
                message,
                snippet,
            };
        }
        let message = match error.span() {
            Some(span) if message == "duplicate key" => match self.first_definition(span) {
                Some(first) => format!(
                    "duplicate key: already defined at line {}, column {}",
                    first.line, first.column
                ),
                None => message,
            },
            _ => message,
        };
        Error::Syntax {
            location,
            message,
            snippet,
        }
    }

    /// Where the key that `span` defines a second time was defined first: the same table
    /// header earlier, else the same key earlier in the same table, else the key (or a header
    /// ending in it) anywhere earlier.
    fn first_definition(&self, span: std::ops::Range<usize>) -> Option<Location> {
        let key = self.text.get(span.clone())?.trim().trim_matches('"');
        let before = &self.text[..span.start.min(self.text.len())];
        let dup_line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let dup_line = self.text[dup_line_start..].lines().next().unwrap_or("");
        let squeeze = |line: &str| {
            let code = line.split('#').next().unwrap_or("");
            code.replace([' ', '\t', '\r', '\n'], "")
        };
        let header = squeeze(dup_line);
        let lines: Vec<(usize, &str)> = before[..dup_line_start]
            .split_inclusive('\n')
            .scan(0, |offset, line| {
                let start = *offset;
                *offset += line.len();
                Some((start, line))
            })
            .collect();
        let is_header = |line: &str| line.trim_start().starts_with('[');
        let defines = |line: &str, key: &str| {
            let trimmed = line.trim_start();
            trimmed
                .strip_prefix(key)
                .or_else(|| trimmed.strip_prefix(&format!("\"{key}\"")))
                .is_some_and(|rest| {
                    let rest = rest.trim_start();
                    rest.starts_with('=') || rest.starts_with('.')
                })
        };
        let defines_key = |line: &str| defines(line, key);
        // A dotted key (`a.b = 1`) is matched whole, up to the duplicate part.
        let dotted = self.text[dup_line_start..span.end.min(self.text.len())]
            .trim()
            .replace(' ', "");
        let place = |(start, line): &(usize, &str), needle: &str| {
            let column = line.find(needle).unwrap_or(0);
            self.location_of(start + column)
        };
        if header.starts_with('[') {
            if let Some(found) = lines.iter().find(|(_, l)| squeeze(l) == header) {
                return Some(place(found, key));
            }
        } else {
            let table_start = lines
                .iter()
                .rposition(|(_, l)| is_header(l))
                .map_or(0, |i| i + 1);
            let in_table = &lines[table_start..];
            if let Some(found) = in_table.iter().find(|(_, l)| defines(&squeeze(l), &dotted)) {
                return Some(place(found, key));
            }
            if let Some(found) = in_table.iter().find(|(_, l)| defines_key(l)) {
                return Some(place(found, key));
            }
        }
        let ends_in_key = |line: &str| {
            let line = squeeze(line);
            line.starts_with('[')
                && (line.ends_with(&format!(".{key}]")) || line.ends_with(&format!("[{key}]")))
        };
        lines
            .iter()
            .find(|(_, l)| ends_in_key(l) || defines_key(l))
            .map(|found| place(found, key))
    }

    /// The path of the deepest key or value whose text contains `offset`.
    pub fn path_at(&self, offset: usize) -> Option<FieldPath> {
        let document = toml_edit::Document::parse(self.text.clone()).ok()?;
        find_path(
            Node::of_item(document.as_item()),
            &FieldPath::root(),
            offset,
        )
    }

    /// Turn a located problem into an error.
    pub fn problem(&self, problem: Problem) -> Error {
        let offset = self.offset_of(&problem.path);
        let location = self.location_of(offset);
        Error::Invalid {
            snippet: self.snippet(location.line, location.column),
            location,
            field: problem.path.to_string(),
            message: problem.message,
            fix: problem.fix,
        }
    }

    /// Where the value at `path` is written, or the deepest part of the path the text has (a
    /// key left at its default is placed at its table).
    pub fn locate(&self, path: &FieldPath) -> Location {
        self.location_of(self.offset_of(path))
    }

    /// Byte offset of the deepest part of `path` that exists in the text (for the root: the
    /// first line that is not blank or a comment).
    fn offset_of(&self, path: &FieldPath) -> usize {
        let Ok(document) = toml_edit::Document::parse(self.text.clone()) else {
            return 0;
        };
        let mut best = first_content_line(&self.text);
        let mut node = Node::of_item(document.as_item());
        for segment in &path.0 {
            let (next, span) = match (segment, node) {
                // A plain value is pointed at itself; a table at its key.
                (Segment::Key(key), Node::Table(table)) => (
                    table.get(key).map(Node::of_item),
                    match table.get(key) {
                        Some(toml_edit::Item::Value(value)) if is_scalar(value) => value.span(),
                        _ => table.key(key).and_then(|k| k.span()),
                    },
                ),
                (Segment::Key(key), Node::Inline(table)) => (
                    table.get(key).map(Node::of_value),
                    match table.get(key) {
                        Some(value) if is_scalar(value) => value.span(),
                        _ => table.key(key).and_then(|k| k.span()),
                    },
                ),
                (Segment::Index(index), Node::ArrayOfTables(array)) => {
                    let child = array.get(*index);
                    (child.map(Node::Table), child.and_then(|t| t.span()))
                }
                (Segment::Index(index), Node::Array(array)) => {
                    let child = array.get(*index);
                    (child.map(Node::of_value), child.and_then(|v| v.span()))
                }
                _ => break,
            };
            if let Some(span) = span {
                best = span.start;
            }
            match next {
                Some(next) => node = next,
                None => break,
            }
        }
        best
    }

    pub fn location_of(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before[line_start..].chars().count() + 1;
        Location {
            file: self.name.clone(),
            line,
            column,
        }
    }

    /// The offending line with a caret under the column; control characters in it (a file
    /// with a syntax error may hold any) are shown escaped.
    fn snippet(&self, line: usize, column: usize) -> String {
        use crate::terminal::escape_line;
        match self.text.lines().nth(line.saturating_sub(1)) {
            Some(text) => {
                let before: String = text.chars().take(column.saturating_sub(1)).collect();
                let caret = escape_line(&before).chars().count();
                let text: String = escape_line(text).chars().take(160).collect();
                let gutter = format!("{line}");
                format!(
                    "  {gutter} | {text}\n  {} | {}^\n",
                    " ".repeat(gutter.len()),
                    " ".repeat(caret.min(160))
                )
            }
            None => String::new(),
        }
    }
}

/// A node of the parsed document, for walking a [`FieldPath`].
#[derive(Clone, Copy)]
enum Node<'a> {
    Table(&'a toml_edit::Table),
    Inline(&'a toml_edit::InlineTable),
    ArrayOfTables(&'a toml_edit::ArrayOfTables),
    Array(&'a toml_edit::Array),
    Leaf,
}

impl<'a> Node<'a> {
    fn of_item(item: &'a toml_edit::Item) -> Self {
        match item {
            toml_edit::Item::Table(table) => Node::Table(table),
            toml_edit::Item::ArrayOfTables(array) => Node::ArrayOfTables(array),
            toml_edit::Item::Value(value) => Node::of_value(value),
            toml_edit::Item::None => Node::Leaf,
        }
    }
    fn of_value(value: &'a toml_edit::Value) -> Self {
        match value {
            toml_edit::Value::InlineTable(table) => Node::Inline(table),
            toml_edit::Value::Array(array) => Node::Array(array),
            _ => Node::Leaf,
        }
    }
}

fn is_scalar(value: &toml_edit::Value) -> bool {
    !matches!(
        value,
        toml_edit::Value::Array(_) | toml_edit::Value::InlineTable(_)
    )
}

fn first_content_line(text: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            return offset;
        }
        offset += line.len();
    }
    0
}

fn contains(span: Option<std::ops::Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.start <= offset && offset < s.end.max(s.start + 1))
}

/// Depth-first search for the deepest path whose key or value text contains `offset`.
fn find_path(node: Node, path: &FieldPath, offset: usize) -> Option<FieldPath> {
    match node {
        Node::Table(table) => table.iter().find_map(|(key, item)| {
            let child_path = path.key(key);
            let here = contains(table.key(key).and_then(|k| k.span()), offset)
                || contains(item.span(), offset);
            let deeper = find_path(Node::of_item(item), &child_path, offset);
            deeper.or(here.then_some(child_path))
        }),
        Node::Inline(table) => table.iter().find_map(|(key, value)| {
            let child_path = path.key(key);
            let here = contains(table.key(key).and_then(|k| k.span()), offset)
                || contains(value.span(), offset);
            let deeper = find_path(Node::of_value(value), &child_path, offset);
            deeper.or(here.then_some(child_path))
        }),
        Node::ArrayOfTables(array) => array
            .iter()
            .enumerate()
            .find_map(|(i, table)| find_path(Node::Table(table), &path.index(i), offset)),
        Node::Array(array) => array.iter().enumerate().find_map(|(i, value)| {
            let child_path = path.index(i);
            let deeper = find_path(Node::of_value(value), &child_path, offset);
            deeper.or(contains(value.span(), offset).then_some(child_path))
        }),
        Node::Leaf => None,
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The field a serde message is about (`unknown field `x``), or an empty string.
fn field_name(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .map(str::to_string)
        .unwrap_or_default()
}

/// A fix for serde's messages, with "did you mean" for unknown fields.
fn field_fix(message: &str) -> String {
    if message.contains("unknown field") || message.contains("unknown variant") {
        let parts: Vec<&str> = message.split('`').collect();
        let unknown = parts.get(1).copied().unwrap_or("");
        let expected: Vec<&str> = parts.iter().skip(3).step_by(2).copied().collect();
        if let Some(best) = crate::scenario::suggest::closest(unknown, expected.iter().copied()) {
            return format!("did you mean \"{best}\"? (valid: {})", expected.join(", "));
        }
        return format!("remove it or use one of: {}", expected.join(", "));
    }
    if message.contains("missing field") {
        return "add the field (see scenarios/retail_chain.toml for an annotated example)".into();
    }
    if message.contains("a percentage in quotes") {
        return "write a fraction (0.2) or a percentage in quotes (\"20%\" or \"20 %\")".into();
    }
    if message.contains("u64") {
        return "give a whole number of at least 0 (trials: at least 1)".into();
    }
    "give a value of the type named above (a number without quotes, a \"string\", a [list] or a { table })".into()
}
