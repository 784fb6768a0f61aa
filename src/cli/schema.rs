//! `crmcast schema`: the JSON Schema (draft 2020-12) of the scenario format, for editors that
//! validate and complete TOML against a JSON Schema (Taplo / "Even Better TOML"; see
//! docs/EDITORS.md).
//!
//! The schema is generated from the serde structs of `scenario::file` (schemars), so it follows
//! the parser: unknown keys are refused (`additionalProperties: false`), and doc comments become
//! descriptions. The factor ids of the built-in catalogue are added as known keys of
//! `[factors]`, for completion; other keys stay allowed there, for custom catalogues. The
//! validator (`crmcast validate`) remains the authority.

use crate::error::Error;
use crate::export;
use crate::model::Catalogue;
use crate::scenario::file::ScenarioFile;
use clap::Args;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use serde_json::{Map, Value, json};
use std::path::PathBuf;

pub const EXAMPLES: &str = "\
Examples:
  crmcast schema --output crmcast.schema.json
  crmcast schema > scenarios/crmcast.schema.json
  crmcast init --schema ./crmcast.schema.json my_project.toml    a scenario that points at it

In VS Code (Even Better TOML), put `#:schema ./crmcast.schema.json` as the first line of a
scenario, or associate the schema with scenarios/*.toml in .taplo.toml: see docs/EDITORS.md.";

/// The `$id` of the schema: names the format and the crmcast version that wrote it.
pub const SCHEMA_ID: &str = concat!("urn:crmcast:scenario:", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write the schema to this file (atomically) instead of standard output; `-` is standard
    /// output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: SchemaArgs) -> Result<(), Error> {
    let schema = scenario_schema()?;
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|e| Error::Internal(format!("cannot render the schema: {e}")))?;
    export::write_output(args.output.as_deref(), "--output", |out| {
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")
    })?;
    if let Some(path) = args
        .output
        .as_deref()
        .filter(|p| *p != std::path::Path::new("-"))
    {
        say!(
            "wrote {}; point a scenario at it with a first line `#:schema {}` (see docs/EDITORS.md)",
            path.display(),
            path.file_name()
                .map(|name| format!("./{}", name.to_string_lossy()))
                .unwrap_or_else(|| path.display().to_string())
        );
    }
    Ok(())
}

/// The JSON Schema of a scenario file.
pub fn scenario_schema() -> Result<Value, Error> {
    let generator = SchemaSettings::draft2020_12()
        .with_transform(RecursiveTransform(for_toml as fn(&mut schemars::Schema)))
        .into_generator();
    let mut schema = generator.into_root_schema_for::<ScenarioFile>().to_value();
    let catalogue = Catalogue::builtin()?;
    object(&mut schema)?.insert("$id".into(), Value::from(SCHEMA_ID));

    // Known factor ids as properties of [factors], each described by the catalogue.
    let factors = object(pointer(&mut schema, "/properties/factors")?)?;
    let known: Map<String, Value> = catalogue
        .factors
        .iter()
        .map(|f| {
            let description = format!(
                "{} (catalogue probability {}). {}",
                f.name, f.probability, f.description
            );
            (
                f.id.clone(),
                json!({ "$ref": "#/$defs/RawFactorOverride", "description": description }),
            )
        })
        .collect();
    factors.insert("properties".into(), Value::Object(known));
    let ids: Vec<&str> = catalogue.factors.iter().map(|f| f.id.as_str()).collect();
    object(pointer(&mut schema, "/$defs/RawEffect/properties/factor")?)?
        .insert("examples".into(), json!(ids));
    object(pointer(
        &mut schema,
        "/$defs/RawCorrelation/properties/factors/items",
    )?)?
    .insert("examples".into(), json!(ids));
    Ok(schema)
}

fn pointer<'a>(schema: &'a mut Value, at: &str) -> Result<&'a mut Value, Error> {
    schema
        .pointer_mut(at)
        .ok_or_else(|| Error::Internal(format!("the generated schema has no {at}")))
}

fn object(value: &mut Value) -> Result<&mut Map<String, Value>, Error> {
    value
        .as_object_mut()
        .ok_or_else(|| Error::Internal("a generated schema is not an object".into()))
}

/// TOML has no null: an optional key is one that is left out, so drop the `null` that
/// schemars adds to `Option` fields (editors would otherwise offer `null` as a value). And
/// unwrap the doc comments' lines: a description is one paragraph.
fn for_toml(schema: &mut schemars::Schema) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::String(description)) = obj.get_mut("description") {
        *description = description
            .split("\n\n")
            .map(|paragraph| {
                paragraph
                    .split('\n')
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            obj.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(values)) = obj.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    if let Some(Value::Array(choices)) = obj.get_mut("anyOf") {
        choices.retain(|c| c.get("type").and_then(Value::as_str) != Some("null"));
        if choices.len() == 1
            && let Some(Value::Object(only)) = choices.pop()
        {
            obj.remove("anyOf");
            for (key, value) in only {
                obj.entry(key).or_insert(value);
            }
        }
    }
}
