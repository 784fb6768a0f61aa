//! `crmcast elicit`: read a judgements file, fit each expert (SHELF), score them on seed
//! questions (Cooke), pool them, print the report and write the pooled value as scenario TOML
//! with its provenance. The statistics are in `analysis::elicit`; docs/CALIBRATION.md
//! ("Expert judgement") is the contract.

use super::bad_option;
use crate::analysis::elicit::{self, Alpha, PoolMethod, judgements};
use crate::error::Error;
use crate::export::{self, Format};
use crate::presentation::elicit::{Provenance, document, toml_text};
use crate::scenario::read_text;
use crate::scenario::source::Source;
use clap::Args;
use std::path::{Path, PathBuf};

pub const EXAMPLES: &str = "\
Examples:
  crmcast elicit scenarios/elicitation/three_experts.toml
  crmcast elicit scenarios/elicitation/three_experts.toml --pool cooke --output change_resistance.toml
  crmcast elicit judgements.toml --pool cooke --alpha optimised --format json
  crmcast elicit judgements.toml --output -        the TOML on standard output, no report

The file names the quantity and holds each expert's judgement (quantiles such as
{ p10 = 0.2, p50 = 0.35, p90 = 0.55 }, { min, mode, max, confidence } or
{ probability, low, high, level }) and, for Cooke's weights, seed questions with known
answers and each expert's 5/50/95 % quantiles on them (docs/CALIBRATION.md, Expert judgement).
--output writes the pooled mean where a scenario reads it ([factors.ID] probability, or a
mitigation's [[mitigations.effects]] entry), with experts, date, method and weights as comments.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PoolArg {
    /// The linear pool with the file's weights, else equal weights.
    Linear,
    /// The linear pool with Cooke's classical-model weights (needs seed questions).
    Cooke,
}

#[derive(Debug, Args)]
pub struct ElicitArgs {
    /// The judgements file (TOML, at most 1 MiB; see scenarios/elicitation/three_experts.toml).
    pub judgements: PathBuf,
    /// How the experts are pooled.
    #[arg(long, value_enum, default_value_t = PoolArg::Linear)]
    pub pool: PoolArg,
    /// Cooke's cut-off: experts with a calibration score below α get no weight. A number in
    /// [0, 1), or `optimised` (the α whose pool scores best on the seed questions).
    #[arg(long, default_value = "0", value_name = "ALPHA")]
    pub alpha: String,
    /// Write the pooled value as scenario TOML (with the provenance as comments) to this file;
    /// `-` writes it to standard output instead of the report. Never the judgements file.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Report format [default: table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// No "wrote FILE (SIZE)" line.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_alpha(text: &str) -> Result<Alpha, Error> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("optimised") || trimmed.eq_ignore_ascii_case("optimized") {
        return Ok(Alpha::Optimised);
    }
    match trimmed.parse::<f64>() {
        Ok(a) if (0.0..1.0).contains(&a) => Ok(Alpha::Given(a)),
        _ => Err(bad_option(
            "--alpha",
            format!(
                "`{}` is not a number in [0, 1) nor `optimised`",
                crate::terminal::escape_line(text)
            ),
            "give e.g. --alpha 0.05, --alpha 0 (every expert keeps a weight) or --alpha optimised",
        )),
    }
}

pub fn run(args: ElicitArgs) -> Result<(), Error> {
    let alpha = parse_alpha(&args.alpha)?;
    let name = args.judgements.display().to_string();
    let source = Source::new(name.clone(), read_text(&args.judgements)?);
    let judgements = judgements::load(&source)?;
    // Before any work: the output may not replace the judgements file.
    crate::input::opened::check_outputs([(args.output.as_deref(), "--output")])?;
    let method = match args.pool {
        PoolArg::Linear => PoolMethod::Linear,
        PoolArg::Cooke => PoolMethod::Cooke,
    };
    let result = elicit::elicit(&judgements, method, alpha)?;
    let provenance = Provenance {
        file: name,
        date: export::catalogue::today(),
        command: super::calibrate::command_line(),
    };
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    if let Some(path) = &args.output {
        let text = toml_text(&result, &provenance);
        export::write_output(Some(path), "--output", |out| out.write_all(text.as_bytes()))?;
    }
    if to_stdout {
        return Ok(());
    }
    let report = document(&result, &provenance);
    let exporter = export::exporter(args.format.unwrap_or(Format::Table));
    export::write_output(None, "--output", |out| exporter.document(&report, out))
}
