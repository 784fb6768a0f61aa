//! `crmcast init`: a commented starter scenario (owned by the init/schema work).

use crate::error::Error;
use clap::Args;

pub const EXAMPLES: &str = "Examples:\n  crmcast init my_project.toml";

#[derive(Debug, Args)]
pub struct InitArgs {}

pub fn run(_args: InitArgs) -> Result<(), Error> {
    Err(Error::Internal("init is not built yet".into()))
}
