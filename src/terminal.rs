//! Text from input files on its way to a terminal. Which characters are hidden controls (C0 and
//! C1 control characters, DEL, bidirectional overrides and line separators) is decided here,
//! both for validation, which refuses them in names, and for output, which shows any that get
//! through (a CSV cell, a file name, a snippet of a file with a syntax error) as `\u{1b}`, so
//! that no file can move the cursor, recolour or rewrite the user's terminal.

use std::borrow::Cow;

/// A character that a terminal acts on or that reorders text instead of showing it.
pub fn is_hidden_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every hidden control except line feed and tab written as `\u{…}`: safe to
/// print, and still readable.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_keeping(text, &['\n', '\t'])
}

/// `text` on one line: like [`escape`], and line feeds and tabs are escaped as well.
pub fn escape_line(text: &str) -> Cow<'_, str> {
    escape_keeping(text, &[])
}

fn escape_keeping<'a>(text: &'a str, kept: &[char]) -> Cow<'a, str> {
    let hidden = |c: char| is_hidden_control(c) && !kept.contains(&c);
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert_eq!(escape("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape("x\u{9b}y\u{202e}z\r"), "x\\u{9b}y\\u{202e}z\\u{d}");
        assert_eq!(escape("two\nlines\tand tab"), "two\nlines\tand tab");
        assert_eq!(escape_line("two\nlines"), "two\\u{a}lines");
        assert!(matches!(escape("plain ünïcode"), Cow::Borrowed(_)));
    }
}
