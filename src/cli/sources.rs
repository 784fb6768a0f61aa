//! `crmcast sources`: the source registry (`data/sources.toml`) as a reader's reference list,
//! or one source in full with the catalogue factors that cite it. The documents are built in
//! `presentation::sources`; this is the glue.

use super::bad_option;
use crate::error::Error;
use crate::export::{self, Format};
use crate::model::Catalogue;
use crate::model::sources::Registry;
use crate::presentation::sources::{list, one};
use clap::Args;

pub const EXAMPLES: &str = "\
Examples:
  crmcast sources                               every source crmcast cites, by its short label
  crmcast sources \"CRM Forum 2001\"             one source in full, and the factors that cite it
  crmcast sources --format markdown --output SOURCES.md
  crmcast sources --format csv                  one row per source, for a spreadsheet

The catalogue, the defaults and the scenarios cite a source by its label; `crmcast validate`
refuses a label that is not in this list. Figures such as \"Gartner, n.d.\" are known only as
an article cites them: `cited in` names that article.";

#[derive(Debug, Args)]
pub struct SourcesArgs {
    /// Show only this source, in full (its label as the list shows it, e.g. "CRM Forum 2001").
    pub label: Option<String>,
    #[command(flatten)]
    pub output: super::OutputArgs,
}

pub fn run(args: SourcesArgs) -> Result<(), Error> {
    crate::input::opened::check_outputs([(args.output.output.as_deref(), "--output")])?;
    let registry = Registry::builtin()?;
    let catalogue = Catalogue::builtin()?;
    let document = match &args.label {
        None => list(&registry),
        Some(label) => {
            let Some(citation) = registry.get(label) else {
                let hint = crate::scenario::suggest::closest(label, registry.labels())
                    .map(|best| format!("did you mean \"{best}\"? "))
                    .unwrap_or_default();
                return Err(bad_option(
                    "SOURCE",
                    format!("no source has the label \"{label}\""),
                    &format!("{hint}run `crmcast sources` for the list of labels"),
                ));
            };
            one(citation, &catalogue)
        }
    };
    let exporter = export::exporter(args.output.format.unwrap_or(Format::Table));
    export::write_output(args.output.output.as_deref(), "--output", |out| {
        exporter.document(&document, out)
    })
}
