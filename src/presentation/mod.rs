//! What each command shows, apart from how a format writes it: the tables and documents the
//! table, Markdown, HTML and XLSX exporters share.

pub mod inputs;
