//! What each command shows: the documents of every command (titled sections of rows of text,
//! with the JSON record and the CSV table beside them), display names and number formatting.
//! The exporters in [`crate::export`] only render these documents (table, Markdown, HTML,
//! XLSX, JSON, CSV); `cli/` parses arguments and glues the pieces together. Dependencies point
//! one way: cli → presentation → analysis → engine → model.

pub mod calibrate;
pub mod elicit;
pub mod format;
pub mod inputs;
pub mod names;
pub mod optimize;
pub mod project_fit;
pub mod reference_class;
pub mod run;
pub mod score;
pub mod sensitivity;
pub mod sources;
pub mod update;
pub mod value_of_information;

/// Which view of a report to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Every strategy's outcomes and failure causes.
    Run,
    /// Outcomes plus each strategy's difference to the baseline.
    Compare,
}

/// One titled table: a header and rows of cells, already formatted.
pub struct Section {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The result of a command other than `run`/`compare` (calibrate, …): sections for the text
/// formats, its serde record for JSON, one tidy table for CSV.
pub struct Document {
    pub title: String,
    pub sections: Vec<Section>,
    pub record: serde_json::Value,
    pub csv_header: Vec<String>,
    pub csv_rows: Vec<Vec<String>>,
}
