//! `crmcast init`: a commented starter scenario, written from one of the shipped scenarios
//! (embedded in the binary) with a short header that says how it was made and what to do next.

use crate::cli::bad_option;
use crate::error::Error;
use crate::export;
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

pub const EXAMPLES: &str = "\
Examples:
  crmcast init my_project.toml                              the default template: every key explained
  crmcast init --template retail_chain retail.toml          a shipped case to adapt
  crmcast init --schema ./crmcast.schema.json my_project.toml
                                                            with a `#:schema` first line for editors
  crmcast init --template small_business - | less           read a template without writing a file
then:
  crmcast validate my_project.toml
  crmcast run my_project.toml

An existing FILE is never replaced without --force. Editor support: see docs/EDITORS.md.";

/// The shipped scenarios `init` can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Template {
    /// A generic mid-size company, every key of the format explained (the built-in default).
    Default,
    /// A large retail chain: revenue levers and factor overrides.
    #[value(name = "retail_chain", alias = "retail-chain")]
    RetailChain,
    /// A small business on a limited budget: the "direct" benefit model.
    #[value(name = "small_business", alias = "small-business")]
    SmallBusiness,
    /// A multinational consolidating CRMs: factor correlations and a project's own
    /// estimating error.
    Multinational,
}

impl Template {
    /// The template's name as given on the command line.
    fn name(self) -> &'static str {
        match self {
            Template::Default => "default",
            Template::RetailChain => "retail_chain",
            Template::SmallBusiness => "small_business",
            Template::Multinational => "multinational",
        }
    }

    /// The shipped scenario text.
    pub fn text(self) -> &'static str {
        match self {
            Template::Default => crate::scenario::BUILTIN_DEFAULT,
            Template::RetailChain => include_str!("../../scenarios/retail_chain.toml"),
            Template::SmallBusiness => include_str!("../../scenarios/small_business.toml"),
            Template::Multinational => include_str!("../../scenarios/multinational.toml"),
        }
    }
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The scenario file to write; `-` writes it to standard output.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The shipped scenario to start from.
    #[arg(long, short, value_enum, default_value_t = Template::Default)]
    pub template: Template,
    /// Replace FILE if it already exists.
    #[arg(long)]
    pub force: bool,
    /// Make `#:schema PATH` the first line, so that editors using Taplo (VS Code: Even Better
    /// TOML) check and complete the file against the JSON Schema at PATH: a path relative to
    /// FILE's folder, or a URL. Write the schema there with `crmcast schema --output`.
    #[arg(long, value_name = "PATH")]
    pub schema: Option<String>,
}

pub fn run(args: InitArgs) -> Result<(), Error> {
    let to_stdout = args.file == Path::new("-");
    if let Some(schema) = &args.schema
        && (schema.trim().is_empty() || schema.chars().any(char::is_control))
    {
        return Err(bad_option(
            "--schema",
            format!("{schema:?} cannot be written on a `#:schema` line"),
            "give a path on one line, e.g. --schema ./crmcast.schema.json",
        ));
    }
    if !to_stdout {
        check_target(&args.file, args.force)?;
    }
    let shown = if to_stdout {
        "FILE".to_string()
    } else {
        printable(&args.file.display().to_string())
    };
    let text = scaffold(args.template, &shown, args.schema.as_deref());
    export::write_output(Some(&args.file), "FILE", |out| {
        out.write_all(text.as_bytes())
    })?;

    if to_stdout {
        say!(
            "wrote the {} template to standard output",
            args.template.name()
        );
        return Ok(());
    }
    say!(
        "wrote {shown} from the {} template. Next: edit it (its comments explain each block), then\n  crmcast validate {shown}\n  crmcast run {shown}",
        args.template.name()
    );
    if let Some(schema) = &args.schema
        && let Some(target) = local_schema(&args.file, schema)
        && !target.exists()
    {
        say!(
            "and write the schema its #:schema line names:\n  crmcast schema --output {}",
            printable(&target.display().to_string())
        );
    } else if args.schema.is_none() {
        say!("editor support (completion, checks as you type): see docs/EDITORS.md");
    }
    Ok(())
}

/// Refuse to replace an existing file (without --force) or a folder, and to write into a
/// folder that does not exist.
fn check_target(file: &Path, force: bool) -> Result<(), Error> {
    let shown = file.display();
    if file.is_dir() {
        return Err(bad_option(
            "FILE",
            format!("{shown} is a folder"),
            &format!(
                "give a file name, e.g. {}",
                file.join("my_project.toml").display()
            ),
        ));
    }
    if !force && std::fs::symlink_metadata(file).is_ok() {
        return Err(bad_option(
            "FILE",
            format!("{shown} already exists; it was left unchanged"),
            "choose another file name, or add --force to replace it",
        ));
    }
    if let Some(parent) = file.parent()
        && !parent.as_os_str().is_empty()
        && !parent.is_dir()
    {
        return Err(bad_option(
            "FILE",
            format!("the folder {} does not exist", parent.display()),
            &format!(
                "create it first (mkdir -p {}), or choose another place",
                parent.display()
            ),
        ));
    }
    Ok(())
}

/// The file `init` writes: the header, then the shipped scenario unchanged.
pub fn scaffold(template: Template, file: &str, schema: Option<&str>) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let name = template.name();
    let mut text = String::new();
    if let Some(schema) = schema {
        text.push_str(&format!("#:schema {}\n", schema.trim()));
    }
    let comments = match template {
        Template::Default => {
            "\
#   1. edit the values below: the comments explain every key, and a key that
#      crmcast does not know is refused, never ignored;
"
        }
        _ => {
            "\
#   1. edit the values below: the comments explain each block, and a key that
#      crmcast does not know is refused, never ignored (the default template
#      explains every key: crmcast init --template default FILE);
"
        }
    };
    text.push_str(&format!(
        "\
# Written by `crmcast init --template {name}` (crmcast {version}) from the shipped
# {name} scenario. To make it yours:
{comments}\
#   2. check it (any problem is shown with its line and the fix):
#        crmcast validate {file}
#   3. forecast every strategy (or: crmcast compare, crmcast report):
#        crmcast run {file}
"
    ));
    if schema.is_some() {
        text.push_str(
            "\
# The #:schema line above lets editors (Taplo, VS Code's Even Better TOML) check
# and complete this file; write the schema it names with
#   crmcast schema --output PATH      (PATH relative to this file's folder;
#                                      see docs/EDITORS.md)
",
        );
    } else {
        text.push_str(
            "\
# Editor support (completion, checks as you type): write the schema with
#   crmcast schema --output crmcast.schema.json
# and make this the first line of the file (see docs/EDITORS.md):
#   #:schema ./crmcast.schema.json
",
        );
    }
    text.push_str(
        "# ---------------------------------------------------------------------------\n\n",
    );
    text.push_str(template.text());
    text
}

/// The schema file a `#:schema` value names, relative to the scenario's folder (None for a
/// URL).
fn local_schema(file: &Path, schema: &str) -> Option<PathBuf> {
    let schema = schema.trim();
    if schema.contains("://") {
        return None;
    }
    let path = Path::new(schema);
    if path.is_absolute() {
        return Some(path.to_path_buf());
    }
    let folder = file.parent().unwrap_or(Path::new(""));
    Some(folder.join(path.strip_prefix("./").unwrap_or(path)))
}

/// A path as it can stand in a TOML comment or one line of a message.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
