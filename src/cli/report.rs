//! `crmcast report`: the HTML report and the workbook.

use crate::error::Error;
use clap::Args;

pub const EXAMPLES: &str = "Examples:\n  crmcast report --output report.html";

#[derive(Debug, Args)]
pub struct ReportArgs {}

pub fn run(_args: ReportArgs) -> Result<(), Error> {
    Err(Error::Internal("report is not built yet".into()))
}
