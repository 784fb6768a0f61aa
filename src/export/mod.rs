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
mod json;
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
pub use write::{
    cancel_writes, write_output, write_output_streaming, write_outputs_together, writing,
};

/// Which view of a report to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Every strategy's outcomes and failure causes.
    Run,
    /// Outcomes plus each strategy's difference to the baseline.
    Compare,
}

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

/// The result of a command other than `run`/`compare` (calibrate, …): sections for the text
/// formats, its serde record for JSON, one tidy table for CSV.
pub struct Document {
    pub title: String,
    pub sections: Vec<sections::Section>,
    pub record: serde_json::Value,
    pub csv_header: Vec<String>,
    pub csv_rows: Vec<Vec<String>>,
}

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
