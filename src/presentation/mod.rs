//! What each command shows: the documents of every command, display names and number
//! formatting, shared by the table, Markdown, HTML and XLSX exporters (issue #14, point 9).
//! Pure: no I/O.

pub mod sources;
