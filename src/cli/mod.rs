//! The command-line layer: arguments (clap), the progress bar (indicatif), and the pipeline
//! load → validate → simulate → export. Nothing here is needed to use the engine as a library.

mod progress;

use crate::analysis::Report;
use crate::engine::{self, RunSettings};
use crate::error::Error;
use crate::export::{self, FactorList, Format, View};
use crate::scenario::Scenario;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  crmcast run                                   run the built-in default scenario
  crmcast run scenarios/retail_chain.toml       every strategy of a scenario, side by side
  crmcast compare scenarios/multinational.toml --trials 500000 --format markdown
  crmcast compare scenarios/small_business.toml --format csv --output comparison.csv
  crmcast factors --format json                 the factor catalogue with its sources
  crmcast validate my_project.toml              check a scenario file without running it

Exit codes: 0 success, 1 internal error, 2 bad input.";

#[derive(Debug, Parser)]
#[command(
    name = "crmcast",
    version,
    about = "Forecast how a CRM implementation will turn out: Monte Carlo over the failure factors of the CRM literature",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate every strategy of a scenario and show outcomes and failure causes.
    #[command(
        after_help = "Examples:\n  crmcast run\n  crmcast run scenarios/retail_chain.toml --trials 1000000 --threads 2\n  crmcast run scenarios/default.toml --format json --output run.json"
    )]
    Run(RunArgs),
    /// Compare every strategy with the baseline on common random numbers.
    #[command(
        after_help = "Examples:\n  crmcast compare scenarios/retail_chain.toml\n  crmcast compare scenarios/multinational.toml --format markdown --output comparison.md"
    )]
    Compare(RunArgs),
    /// List the factor catalogue (with a scenario: after its overrides).
    #[command(
        after_help = "Examples:\n  crmcast factors\n  crmcast factors scenarios/retail_chain.toml --format csv"
    )]
    Factors(FactorsArgs),
    /// Check a scenario file and report the first problem, with its place and the fix.
    #[command(after_help = "Examples:\n  crmcast validate scenarios/retail_chain.toml")]
    Validate(ValidateArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML); without it, the built-in default scenario.
    pub scenario: Option<PathBuf>,
    /// Number of trials (default: the scenario's [simulation] trials, else 100000).
    #[arg(long)]
    pub trials: Option<u64>,
    /// Random seed (default: the scenario's [simulation] seed). Same seed, same results.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads; 0 = one per core. Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file (atomically) instead of standard output; `-` is standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct FactorsArgs {
    /// Show the factors as this scenario overrides them.
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    pub scenario: PathBuf,
}

fn load(path: Option<&PathBuf>) -> Result<Scenario, Error> {
    match path {
        Some(path) => Scenario::load(path),
        None => Scenario::builtin_default(),
    }
}

/// Run the parsed command line. Messages for the user go to stderr; results to stdout or a file.
pub fn execute(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Run(args) => simulate(args, View::Run),
        Command::Compare(args) => simulate(args, View::Compare),
        Command::Factors(args) => {
            let scenario = load(args.scenario.as_ref())?;
            let list = FactorList {
                scenario: &scenario,
                factors: &scenario.factors,
            };
            let exporter = export::exporter(args.output.format);
            export::write_output(args.output.output.as_deref(), |out| {
                exporter.factors(&list, out)
            })
        }
        Command::Validate(args) => {
            let scenario = Scenario::load(&args.scenario)?;
            eprintln!(
                "{}: valid — \"{}\", {} factors, {} mitigations, {} strategies (baseline \"{}\")",
                args.scenario.display(),
                scenario.name,
                scenario.factors.len(),
                scenario.mitigations.len(),
                scenario.strategies.len(),
                scenario.baseline_strategy().id
            );
            Ok(())
        }
    }
}

fn simulate(args: RunArgs, view: View) -> Result<(), Error> {
    let scenario = load(args.scenario.as_ref())?;
    let settings = RunSettings {
        trials: args.trials.unwrap_or(scenario.simulation.trials),
        seed: args.seed.unwrap_or(scenario.simulation.seed),
        threads: args.threads,
    };
    if settings.trials == 0 || settings.trials > crate::scenario::limits::MAX_TRIALS {
        return Err(Error::BadOption {
            option: "--trials".into(),
            message: format!(
                "{} is outside the valid range [1, {}]",
                settings.trials,
                crate::scenario::limits::MAX_TRIALS
            ),
            fix: "give a trial count such as 100000".into(),
        });
    }
    if settings.threads > 1024 {
        return Err(Error::BadOption {
            option: "--threads".into(),
            message: format!(
                "{} threads is more than any machine here has",
                settings.threads
            ),
            fix: "give 0 (one per core) or a small number".into(),
        });
    }
    let progress = progress::Progress::new(settings.trials, args.output.quiet);
    let result = engine::simulate(&scenario, &settings, &progress)?;
    progress.finish();
    let report = Report::build(&scenario, &result);
    let exporter = export::exporter(args.output.format);
    export::write_output(args.output.output.as_deref(), |out| {
        exporter.report(&report, view, out)
    })
}
