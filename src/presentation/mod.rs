//! What each command shows: the documents (titled tables, JSON record, CSV rows) that the table,
//! Markdown, JSON, CSV and XLSX exporters render, with their display names and number formats.
//! Pure: no I/O; the commands in `cli/` only parse arguments and hand the result here.

pub mod sensitivity;
pub mod value_of_information;
