//! `crmcast completions SHELL` and `crmcast man` (owned by the init/schema work).

use crate::error::Error;
use clap::Args;

pub const COMPLETIONS_EXAMPLES: &str = "Examples:\n  crmcast completions bash";
pub const MAN_EXAMPLES: &str = "Examples:\n  crmcast man > crmcast.1";

#[derive(Debug, Args)]
pub struct CompletionsArgs {}

#[derive(Debug, Args)]
pub struct ManArgs {}

pub fn run_completions(_args: CompletionsArgs) -> Result<(), Error> {
    Err(Error::Internal("completions are not built yet".into()))
}

pub fn run_man(_args: ManArgs) -> Result<(), Error> {
    Err(Error::Internal("man is not built yet".into()))
}
