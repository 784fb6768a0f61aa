//! Exporters, one file per format behind one small trait (after hyperfine's `export/`).
//! Each renders into any `io::Write`; [`write_output`] is the one owner of output files
//! (`write.rs`): it refuses an output that is one of the command's inputs ([`inputs`]),
//! writes atomically (temporary file in the target's folder, then rename; a symlink is
//! written through), and `-` or no path means standard output. Devices and pipes
//! (`/dev/null`, `/dev/stdout`, a FIFO) are written in place.

pub mod catalogue;
pub mod charts;
mod csv;
pub mod html;
pub mod html_document;
mod json;
pub mod ledger;
mod markdown;
pub mod sections;
pub mod shard;
pub mod shard_check;
mod table;
mod write;
pub mod xlsx;

use crate::analysis::Report;
use crate::model::Factor;
use crate::scenario::Scenario;
use std::io::Write;

pub use csv::safe_text;
pub use table::{MIN_WIDTH as MIN_TABLE_WIDTH, set_width as set_table_width};
pub use write::{
    announce_writes, cancel_writes, size_text, write_output, write_output_streaming,
    write_outputs_together, writing,
};

pub use crate::presentation::View;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
    Xlsx,
}

/// The factor catalogue as the scenario sees it (for `crmcast factors`).
pub struct FactorList<'a> {
    pub scenario: &'a Scenario,
    pub factors: &'a [Factor],
}

/// Moved to [`crate::presentation`]; re-exported here for older paths.
pub use crate::presentation::Document;

pub trait Exporter {
    fn report(&self, report: &Report, view: View, out: &mut dyn Write) -> std::io::Result<()>;
    fn factors(&self, list: &FactorList, out: &mut dyn Write) -> std::io::Result<()>;
    fn document(&self, document: &Document, out: &mut dyn Write) -> std::io::Result<()>;
}

pub fn exporter(format: Format) -> Box<dyn Exporter> {
    match format {
        Format::Table => Box::new(table::TableExporter),
        Format::Json => Box::new(json::JsonExporter),
        Format::Csv => Box::new(csv::CsvExporter),
        Format::Markdown => Box::new(markdown::MarkdownExporter),
        Format::Xlsx => Box::new(xlsx::XlsxExporter),
    }
}
