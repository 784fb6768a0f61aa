//! `crmcast schema`: the JSON Schema of the scenario format (owned by the init/schema work).

use crate::error::Error;
use clap::Args;

pub const EXAMPLES: &str = "Examples:\n  crmcast schema --output crmcast.schema.json";

#[derive(Debug, Args)]
pub struct SchemaArgs {}

pub fn run(_args: SchemaArgs) -> Result<(), Error> {
    Err(Error::Internal("schema is not built yet".into()))
}
