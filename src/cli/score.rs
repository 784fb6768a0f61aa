//! `crmcast score LEDGER`: read a forecast ledger kept with `run --record` (every cell checked,
//! rows without outcomes skipped and counted), score it (`analysis::score`) and show the
//! result in any format, with the reliability diagram as SVG (`--svg`) and in the HTML page.

use crate::error::Error;
use crate::export::{self, Format, charts, ledger};
use clap::Args;
use std::path::PathBuf;

pub const EXAMPLES: &str = "Examples:
  crmcast run scenarios/retail_chain.toml --record ledger.csv       record a forecast
  (fill in actual_success, actual_overrun, actual_slip when the project ends)
  crmcast score ledger.csv
  crmcast score ledger.csv --format html --output score.html
  crmcast score ledger.csv --format json --svg reliability.svg

The ledger's columns and the scores are described in docs/SCORE.md.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScoreFormat {
    Table,
    Markdown,
    Json,
    Csv,
    /// A self-contained page with the reliability diagram.
    Html,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The forecast ledger (CSV written by `--record`, outcomes filled in).
    pub ledger: PathBuf,
    /// Output format [default: table].
    #[arg(long, value_enum)]
    pub format: Option<ScoreFormat>,
    /// Write to this file (atomically) instead of standard output; `-` is standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Also write the reliability diagram as an SVG file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// No "wrote FILE (SIZE)" line, and no notes.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: ScoreArgs) -> Result<(), Error> {
    let read = ledger::read(&args.ledger)?;
    crate::input::opened::check_outputs([
        (args.output.as_deref(), "--output"),
        (args.svg.as_deref(), "--svg"),
    ])?;
    if read.total > 0 && read.rows.is_empty() {
        // Nothing to score yet is an answer, not an error; say why on stderr.
        say!(
            "note: none of the {} rows has an outcome filled in yet: fill in actual_success, actual_overrun or actual_slip",
            read.total
        );
    } else if !args.quiet && read.skipped > 0 {
        say!(
            "note: {} row(s) without any outcome are skipped (not known yet)",
            read.skipped
        );
    }
    let score = crate::analysis::score::score(&read.rows);
    let name = crate::cli::record::file_name(Some(&args.ledger));
    let document = crate::presentation::score::document(&name, read.total, read.skipped, &score);
    let chart = score
        .probability
        .as_ref()
        .map(|p| charts::reliability(&p.bins, p.n));
    if let Some(path) = &args.svg {
        let Some(chart) = &chart else {
            return Err(super::bad_option(
                "--svg",
                "no row has actual_success filled in: there is no reliability diagram to draw"
                    .into(),
                "fill in actual_success (yes/no) for the projects that have ended, or drop --svg",
            ));
        };
        export::write_output(Some(path), "--svg", |out| {
            out.write_all(chart.svg.as_bytes())
        })?;
    }
    let format = match args.format.unwrap_or(ScoreFormat::Table) {
        ScoreFormat::Html => {
            let charts: Vec<charts::Chart> = chart.into_iter().collect();
            let text = export::html_document::PageText {
                heading: &document.title,
                subtitle: "How past forecasts fared against what happened",
                tab_title: &document.title,
                footer: "Intervals are 95 % intervals; docs/SCORE.md says how each is made.",
                charts_after: None,
                caption: |_| "",
            };
            let page = export::html_document::page(&document, &charts, &text);
            return export::write_output(args.output.as_deref(), "--output", |out| {
                out.write_all(page.as_bytes())
            });
        }
        ScoreFormat::Table => Format::Table,
        ScoreFormat::Markdown => Format::Markdown,
        ScoreFormat::Json => Format::Json,
        ScoreFormat::Csv => Format::Csv,
    };
    let exporter = export::exporter(format);
    export::write_output(args.output.as_deref(), "--output", |out| {
        exporter.document(&document, out)
    })
}
