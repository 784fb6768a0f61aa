//! The command-line layer: arguments (clap), the progress bar (indicatif), and the pipeline
//! load → validate → simulate → export. Nothing here is needed to use the engine as a library.

/// `eprintln!` that never panics: a closed or full stderr (`2>&-`, `2>&1 | head -1`) loses the
/// message, as it would for any Unix tool, instead of ending crmcast with a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        // Escaped: a message may quote a name or a cell from an input file.
        let message = format!($($arg)*);
        let _ = writeln!(std::io::stderr().lock(), "{}", $crate::terminal::escape(&message));
    }};
}

mod calibrate;
mod completions;
mod elicit;
mod init;
mod limits;
mod optimize;
mod progress;
mod project_fit;
mod projects;
mod record;
mod reference_class;
mod repair;
mod report;
mod schema;
mod score;
mod sensitivity;
mod sources;
mod trials_output;
mod trials_parquet;
mod update;
mod value_of_information;

mod interrupt;

use crate::analysis::Report;
use crate::analysis::gain_uncertainty::{self, GainSettings};
use crate::analysis::precision::{self, PrecisionTarget};
use crate::analysis::report::metric_ids;
use crate::engine::{self, BATCH_TRIALS, Ending, RunSettings, Sampling, Shard, SimulationResult};
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
  crmcast run --precision 0.002                 run until P(success) etc. are known to ±0.2 points
  crmcast run --sampling sobol                  randomised quasi-Monte Carlo
  crmcast run --trials 10000000 --shard 1/4 --output part-1.json   (then: crmcast merge part-*.json)
  crmcast report scenarios/retail_chain.toml -o report.html --charts slides/   HTML report + charts
  crmcast report scenarios/retail_chain.toml -o retail.xlsx                   Excel workbook
  crmcast run --trials-output trials.csv        every trial as CSV, for analysts
  crmcast run --trials-output trials.parquet    every trial as Parquet (pandas, polars)
  crmcast init --template retail_chain my_project.toml    start a scenario from a template
  crmcast validate my_project.toml              check a scenario file without running it
  crmcast sensitivity scenarios/retail_chain.toml         what drives the NPV (tornado, Sobol, Shapley)
  crmcast voi                                   what information is worth before deciding
  crmcast update --status scenarios/status/default-month-08.toml   re-forecast a running project
  crmcast optimize scenarios/retail_chain.toml --budget 200000   best mitigations within a budget
  crmcast reference-class --data past.csv       the outside view from past projects
  crmcast calibrate --output calibrated.toml    fit the catalogue to published figures
  crmcast elicit scenarios/elicitation/three_experts.toml --pool cooke   pool experts' judgements
  crmcast factors --format json                 the factor catalogue with its sources
  crmcast sources \"CRM Forum 2001\"             a source in full (title, author, year, what it says)
  crmcast schema --output crmcast.schema.json   JSON Schema for editors (see docs/EDITORS.md)
  crmcast completions bash > ~/.local/share/bash-completion/completions/crmcast

Inputs: regular files only (no devices, pipes or folders); scenario, catalogue and targets files
at most 1 MiB, CSV data files at most 256 MiB, shard files at most 256 MiB (bytes read); the
catalogue and data files a scenario names must stay inside its folder after symbolic links.

Exit codes: 0 success, 1 internal error, 2 bad input, 130 interrupted (Ctrl-C).";

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
    /// Tables at their full width. Without it, a table on a terminal is fitted to its width
    /// (or to $COLUMNS when set, also in a pipe): columns wrap, and a table too wide even then
    /// shows each row as a small table of its own. Tables saved with --output, and piped
    /// without $COLUMNS, are full width.
    #[arg(long, global = true)]
    pub wide: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate every strategy of a scenario and show outcomes and failure causes.
    #[command(
        after_help = "Examples:\n  crmcast run\n  crmcast run scenarios/retail_chain.toml --trials 1000000 --threads 2\n  crmcast run scenarios/default.toml --format json --output run.json\n  crmcast run --precision p_success=0.002,npv_mean=1% --sampling sobol\n  crmcast run --trials 100000000 --shard 1/4 --output part-1.json    (then crmcast merge part-*.json)"
    )]
    Run(RunArgs),
    /// Compare every strategy with the baseline on common random numbers.
    #[command(
        after_help = "Examples:\n  crmcast compare scenarios/retail_chain.toml\n  crmcast compare scenarios/multinational.toml --format markdown --output comparison.md"
    )]
    Compare(RunArgs),
    /// Re-forecast a running project from its status (time, cost, progress, factors seen):
    /// the plan then and now, and continue, add a strategy or stop, from now on.
    #[command(after_help = update::EXAMPLES)]
    Update(update::UpdateArgs),
    /// List the factor catalogue (with a scenario: after its overrides).
    #[command(
        after_help = "Examples:\n  crmcast factors\n  crmcast factors scenarios/retail_chain.toml --format csv"
    )]
    Factors(FactorsArgs),
    /// List the sources crmcast cites (title, author, year, what each says), or one in full.
    #[command(after_help = sources::EXAMPLES)]
    Sources(sources::SourcesArgs),
    /// Check a scenario file and report the first problem, with its place and the fix.
    #[command(after_help = VALIDATE_EXAMPLES)]
    Validate(ValidateArgs),
    /// Merge the shard files of one run into its result: the same, bit for bit, as one run.
    #[command(
        after_help = "Examples:\n  crmcast run scenarios/retail_chain.toml --trials 100000000 --shard 1/2 --output part-1.json\n  crmcast run scenarios/retail_chain.toml --trials 100000000 --shard 2/2 --output part-2.json\n  crmcast merge part-*.json --format json --output run.json"
    )]
    Merge(MergeArgs),
    /// Fit the catalogue to published figures (--targets) or to past projects (--data) and
    /// write a calibrated catalogue that scenarios can name.
    #[command(
        after_help = "Examples:\n  crmcast calibrate --output calibrated.toml                      fit to scenarios/calibration/published.toml\n  crmcast calibrate --targets my_targets.toml --free cost_scale,log_cost_mean --output mine.toml\n  crmcast calibrate --data scenarios/calibration/projects.csv --output fitted.toml\n  then, in a scenario: [scenario] catalogue = \"calibrated.toml\"  (or --catalogue calibrated.toml)"
    )]
    Calibrate(calibrate::CalibrateArgs),
    /// Write project records drawn from a scenario (a known truth) as CSV, for trying and
    /// testing `calibrate --data`.
    #[command(
        after_help = "Examples:\n  crmcast simulate-projects --n 500 --output projects.csv\n  crmcast simulate-projects scenarios/retail_chain.toml --n 2000 --missing 0.05 --seed 7 --output retail.csv"
    )]
    SimulateProjects(projects::SimulateProjectsArgs),
    /// What drives an output: tornado, rank correlations, Sobol indices, Shapley effects and
    /// the factors behind the worst 10 % of trials.
    #[command(
        after_help = "Examples:\n  crmcast sensitivity                                        NPV of the default scenario's baseline\n  crmcast sensitivity scenarios/retail_chain.toml --output-metric p_success --strategy people_first\n  crmcast sensitivity --output-metric overrun_mean --format csv --output drivers.csv"
    )]
    Sensitivity(sensitivity::SensitivityArgs),
    /// What information is worth before the go / no-go decision: EVPI, and EVPPI per factor.
    #[command(
        visible_alias = "voi",
        after_help = "Examples:\n  crmcast value-of-information\n  crmcast voi scenarios/small_business.toml --trials 200000 --format markdown"
    )]
    ValueOfInformation(value_of_information::ValueOfInformationArgs),
    /// The best set of mitigations within a mitigation budget (on common random numbers), the
    /// efficient frontier of spend against the objective, and the mitigations that never pay.
    #[command(
        after_help = "Examples:\n  crmcast optimize scenarios/retail_chain.toml --budget 200000\n  crmcast optimize scenarios/retail_chain.toml --budget 500000 --objective p_success --format markdown\n  crmcast optimize scenarios/multinational.toml --budget 2000000 --objective npv_cvar10 --format csv --output frontier.csv\n  crmcast optimize scenarios/small_business.toml --budget 15000 --objective overrun_p80 --confirm-trials 200000"
    )]
    Optimize(optimize::OptimizeArgs),
    /// The outside view: the cost-overrun distribution of a reference class of past projects
    /// (a CSV, or the built-in class of IT projects reconstructed from Flyvbjerg & Budzier
    /// 2011) and the budget uplift needed at P50/P80/P90 (Flyvbjerg's method).
    #[command(
        name = "reference-class",
        after_help = "Examples:\n  crmcast reference-class                                       the built-in class of IT projects\n  crmcast reference-class --data scenarios/calibration/overruns.csv --budget 1000000\n  crmcast reference-class --data past.csv --column cost_overrun --levels 50,70,80,90,95\n  crmcast reference-class --data past.csv --format json --output outside_view.json\n\nThe uplift at level q is the q-quantile of the overruns: a budget B·(1 + uplift) is exceeded with probability 1 − q.\nThe CSV needs a header and an `overrun` column (0.27 or 27% = 27 % over budget); empty cells are missing; see docs/REFERENCE_CLASS.md."
    )]
    ReferenceClass(reference_class::ReferenceClassArgs),
    /// A self-contained HTML report (executive summary, comparison, charts, assumptions) or
    /// an Excel workbook, for reading and presenting.
    #[command(after_help = report::EXAMPLES)]
    Report(report::ReportArgs),
    /// Write a commented starter scenario to edit (from a shipped template).
    #[command(after_help = init::EXAMPLES)]
    Init(init::InitArgs),
    /// Print the JSON Schema of the scenario format, for editors that validate and complete
    /// TOML (see README: editor support).
    #[command(after_help = schema::EXAMPLES)]
    Schema(schema::SchemaArgs),
    /// Print a shell completion script.
    #[command(after_help = completions::COMPLETIONS_EXAMPLES)]
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff).
    #[command(after_help = completions::MAN_EXAMPLES)]
    Man(completions::ManArgs),
    /// Keep score of past forecasts: the Brier and log scores of P(success), the coverage of
    /// the P50s and P80s and a reliability diagram, from a ledger kept with `run --record`.
    #[command(after_help = score::EXAMPLES)]
    Score(score::ScoreArgs),
    /// Expert judgement: fit each expert's quantiles (SHELF), weight experts by seed questions
    /// (Cooke's classical model), pool them, and write the result as scenario TOML.
    #[command(after_help = elicit::EXAMPLES)]
    Elicit(elicit::ElicitArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SamplingArg {
    /// Independent pseudo-random draws.
    Random,
    /// Latin hypercube, one design per batch of 16,384 trials.
    Lhs,
    /// Owen-scrambled Sobol points, one net per batch.
    Sobol,
}

impl From<SamplingArg> for Sampling {
    fn from(arg: SamplingArg) -> Sampling {
        match arg {
            SamplingArg::Random => Sampling::Random,
            SamplingArg::Lhs => Sampling::Lhs,
            SamplingArg::Sobol => Sampling::Sobol,
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML); without it, the built-in default scenario.
    pub scenario: Option<PathBuf>,
    /// Number of trials (default: the scenario's [simulation] trials, else 100000).
    #[arg(long, conflicts_with = "precision")]
    pub trials: Option<u64>,
    /// Run until the 95 % half-width of each named metric is at most the target, in every
    /// strategy: `0.005` (P(success), P(failed), P(NPV<0) to ±0.5 points) or
    /// `p_success=0.002,npv_p50=5000,npv_mean=1%` (a % is relative to the value).
    #[arg(long, value_name = "TARGETS")]
    pub precision: Option<String>,
    /// With --precision: the most trials to use [default: 100000000].
    #[arg(long, requires = "precision", value_name = "TRIALS")]
    pub max_trials: Option<u64>,
    /// Sampling design; every design uses common random numbers across strategies.
    #[arg(long, value_enum, default_value_t = SamplingArg::Random)]
    pub sampling: SamplingArg,
    /// Run only the K-th of N slices of the trials and write a shard file for `crmcast merge`.
    #[arg(long, value_name = "K/N", conflicts_with = "precision")]
    pub shard: Option<String>,
    /// Random seed (default: the scenario's [simulation] seed). Same seed, same results.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads; 0 = one per core, at most 256. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = limits::usize_in::<{ 0 }, { limits::MAX_THREADS }>)]
    pub threads: usize,
    /// Catalogue file to use instead of the one the scenario names (else the built-in one),
    /// e.g. the output of `crmcast calibrate`.
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// Also draw the uncertain inputs once per trial, so the forecast shows that uncertainty
    /// too: the catalogue's uncertain parameters ([uncertainty]: e.g. the fitted covariance of
    /// calibrated weights) and the mitigation effects' `probability_range`/`severity_range`.
    /// Adds the interval of each strategy's gain over the baseline from that uncertainty alone,
    /// apart from Monte Carlo error (a nested simulation, docs/MODEL.md §8a).
    #[arg(long)]
    pub parameter_uncertainty: bool,
    /// With --parameter-uncertainty: outer draws of the uncertain inputs behind the gain
    /// interval, 40 to 100000 [default: 200].
    #[arg(long, requires = "parameter_uncertainty", value_name = "R")]
    pub uncertainty_draws: Option<usize>,
    /// With --parameter-uncertainty: trials per outer draw (the same trials for every draw),
    /// 100 to 10000000 [default: 4000].
    #[arg(long, requires = "parameter_uncertainty", value_name = "M")]
    pub uncertainty_trials: Option<u64>,
    /// Also write every trial of the run as CSV, or as Parquet when FILE ends in .parquet: one
    /// row per trial and strategy (factor severities, cost, schedule, benefits, NPV, outcome;
    /// see docs/OUTPUT.md). At the default 100000 trials of the default scenario: 175 MB of
    /// CSV, 46 MB of Parquet.
    #[arg(long, value_name = "FILE")]
    pub trials_output: Option<PathBuf>,
    #[command(flatten)]
    pub record: record::RecordArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format [default: table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to this file (atomically) instead of standard output; `-` is standard output.
    /// Never one of the command's inputs (refused); a symlink is written through (at most 40
    /// links followed); a device or /dev/stdout is written in place.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// No progress bar, and no "wrote FILE (SIZE)" line.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct FactorsArgs {
    /// Show the factors as this scenario overrides them.
    pub scenario: Option<PathBuf>,
    /// Catalogue file to use instead of the one the scenario names (else the built-in one),
    /// e.g. the output of `crmcast calibrate`.
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

const VALIDATE_EXAMPLES: &str = "\
Examples:
  crmcast validate scenarios/retail_chain.toml
  crmcast validate my.toml --repair-correlations my_repaired.toml

--repair-correlations writes nothing when the correlation matrix is valid. When it is not, it
writes the whole scenario, comments kept, with the nearest valid correlation matrix (Higham,
\"Computing the nearest correlation matrix\", 2002): only the [[correlations]] entries move, and
every changed entry is listed with its old and new value.";

#[derive(Debug, Args)]
pub struct ValidateArgs {
    pub scenario: PathBuf,
    /// Refuse the scenario (exit code 2) when it has warnings: likely mistakes such as a
    /// horizon shorter than the build or benefits entered in thousands.
    #[arg(long)]
    pub strict: bool,
    /// Catalogue file to use instead of the one the scenario names (else the built-in one),
    /// e.g. the output of `crmcast calibrate`.
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// When the factor correlation matrix is not positive-definite, write the scenario with the
    /// nearest valid correlations to this file (not the scenario itself) and list each change.
    #[arg(long, value_name = "OUT.toml")]
    pub repair_correlations: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard files of one run (written by `--shard K/N --output FILE`).
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The scenario at `path` (else the built-in default), with `catalogue` replacing the one it
/// names; its likely mistakes ([`crate::scenario::plausibility`]) are printed on stderr. Every
/// command that reads a scenario loads it here.
pub fn load(path: Option<&PathBuf>, catalogue: Option<&PathBuf>) -> Result<Scenario, Error> {
    let scenario = load_quietly(path, catalogue)?;
    for warning in crate::scenario::plausibility::warnings(&scenario) {
        say!("warning: {warning}");
    }
    Ok(scenario)
}

/// [`load`] without printing the warnings (`validate` reports them itself).
fn load_quietly(path: Option<&PathBuf>, catalogue: Option<&PathBuf>) -> Result<Scenario, Error> {
    match (path, catalogue) {
        (Some(path), catalogue) => Scenario::load_with(path, catalogue.map(|c| c.as_path())),
        (None, None) => Scenario::builtin_default(),
        (None, Some(file)) => Scenario::from_source_with(
            &crate::scenario::source::Source::new(
                "built-in default scenario",
                crate::scenario::BUILTIN_DEFAULT,
            ),
            Some(crate::scenario::CatalogueText::read(file)?),
        ),
    }
}

/// Run the parsed command line. Messages for the user go to stderr; results to stdout or a file.
pub fn execute(cli: Cli) -> Result<(), Error> {
    // Ctrl-C stops every command within about a second, with no partial output.
    interrupt::install();
    // Before any work: a workbook is refused on a terminal (`report` checks its own output).
    if let Some((format, output)) = destination(&cli.command) {
        export::xlsx::check_destination(format, output)?;
    }
    export::set_table_width(table_width(cli.wide, &cli.command));
    // Commands that already say what they wrote (init, schema, man pages) keep their own line.
    let own_message = matches!(
        cli.command,
        Command::Init(_) | Command::Schema(_) | Command::Completions(_) | Command::Man(_)
    );
    export::announce_writes(!own_message && !quiet(&cli.command));
    match cli.command {
        Command::Run(args) => simulate(args, View::Run),
        Command::Compare(args) => simulate(args, View::Compare),
        Command::Factors(args) => {
            let scenario = load(args.scenario.as_ref(), args.catalogue.as_ref())?;
            let list = FactorList {
                scenario: &scenario,
                factors: &scenario.factors,
            };
            let exporter = export::exporter(args.output.format.unwrap_or(Format::Table));
            export::write_output(args.output.output.as_deref(), "--output", |out| {
                exporter.factors(&list, out)
            })
        }
        Command::Sources(args) => sources::run(args),
        Command::Validate(args) => validate(&args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::SimulateProjects(args) => projects::run(args),
        Command::Sensitivity(args) => sensitivity::run(args),
        Command::ValueOfInformation(args) => value_of_information::run(args),
        Command::Optimize(args) => optimize::run(args),
        Command::ReferenceClass(args) => reference_class::run(args),
        Command::Report(args) => report::run(args),
        Command::Update(args) => update::run(args),
        Command::Init(args) => init::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Completions(args) => completions::run_completions(args),
        Command::Man(args) => completions::run_man(args),
        Command::Score(args) => score::run(args),
        Command::Elicit(args) => elicit::run(args),
        Command::Merge(args) => {
            let parts: Vec<&std::path::Path> = args.parts.iter().map(|p| p.as_path()).collect();
            let (scenario, view, result) = export::shard::merge(&parts)?;
            let report = Report::build(&scenario, &result);
            let exporter = export::exporter(args.output.format.unwrap_or(Format::Table));
            export::write_output(args.output.output.as_deref(), "--output", |out| {
                exporter.report(&report, view, out)
            })
        }
    }
}

/// `validate`: the verdict and the warnings on stdout (errors go to stderr, as for every
/// command); under `--strict` warnings are errors.
fn validate(args: &ValidateArgs) -> Result<(), Error> {
    let scenario = match load_quietly(Some(&args.scenario), args.catalogue.as_ref()) {
        Ok(scenario) => scenario,
        Err(error) => match &args.repair_correlations {
            Some(out) => return repair::run(args, out, error),
            None => return Err(error),
        },
    };
    let warnings = crate::scenario::plausibility::warnings(&scenario);
    let origin = args.scenario.display().to_string();
    if args.strict && !warnings.is_empty() {
        return Err(Error::Implausible {
            origin,
            count: warnings.len(),
            // Each warning indented under the verdict, its own fix one step further.
            listed: warnings
                .iter()
                .map(|w| format!("  warning: {}\n", w.to_string().replace('\n', "\n    ")))
                .collect(),
        });
    }
    let count = match warnings.len() {
        0 => "no warning".to_string(),
        1 => "1 warning".to_string(),
        n => format!("{n} warnings"),
    };
    let mut text = format!(
        "{origin}: valid — \"{}\", {} factors, {} mitigations, {} strategies (baseline \"{}\"); {count}\n",
        scenario.name,
        scenario.factors.len(),
        scenario.mitigations.len(),
        scenario.strategies.len(),
        scenario.baseline_strategy().id
    );
    for warning in &warnings {
        text.push_str(&format!("warning: {warning}\n"));
    }
    if args.repair_correlations.is_some() {
        text.push_str("the factor correlation matrix is positive-definite: nothing to repair, nothing written\n");
    }
    // Escaped: names and paths come from the file.
    let text = crate::terminal::escape(&text);
    export::write_output(None, "--output", |out| {
        std::io::Write::write_all(out, text.as_bytes())
    })
}

/// The format and output file of a command that renders through an exporter, when a format
/// was given.
fn destination(command: &Command) -> Option<(Format, Option<&std::path::Path>)> {
    fn chosen(o: &OutputArgs) -> Option<(Format, Option<&std::path::Path>)> {
        o.format.map(|f| (f, o.output.as_deref()))
    }
    match command {
        Command::Run(a) | Command::Compare(a) => chosen(&a.output),
        Command::Factors(a) => chosen(&a.output),
        Command::Sources(a) => chosen(&a.output),
        Command::Merge(a) => chosen(&a.output),
        Command::Sensitivity(a) => chosen(&a.output),
        Command::ValueOfInformation(a) => chosen(&a.output),
        Command::Optimize(a) => chosen(&a.output),
        Command::ReferenceClass(a) => chosen(&a.output),
        Command::Calibrate(a) => a.format.map(|f| (f, a.report.as_deref())),
        Command::Elicit(a) => a.format.map(|f| (f, None)),
        _ => None,
    }
}

/// Whether the command was asked to be quiet (no progress, no "wrote" line).
fn quiet(command: &Command) -> bool {
    match command {
        Command::Run(a) | Command::Compare(a) => a.output.quiet,
        Command::Factors(a) => a.output.quiet,
        Command::Merge(a) => a.output.quiet,
        Command::Sensitivity(a) => a.output.quiet,
        Command::ValueOfInformation(a) => a.output.quiet,
        Command::Optimize(a) => a.output.quiet,
        Command::ReferenceClass(a) => a.output.quiet,
        Command::Calibrate(a) => a.quiet,
        Command::Report(a) => a.quiet,
        Command::Update(a) => a.quiet,
        Command::Score(a) => a.quiet,
        Command::Elicit(a) => a.quiet,
        _ => false,
    }
}

/// The width tables are fitted to: none with `--wide` or when the table goes to a file or a
/// pipe without $COLUMNS (where a reader wants every column: `less -S`, grep, a saved
/// report); else $COLUMNS when set (scripts and tests fix the width with it), else the
/// terminal's width.
fn table_width(wide: bool, command: &Command) -> Option<usize> {
    use std::io::IsTerminal;
    let output = match command {
        Command::Run(a) | Command::Compare(a) => a.output.output.as_deref(),
        Command::Factors(a) => a.output.output.as_deref(),
        Command::Merge(a) => a.output.output.as_deref(),
        Command::Sensitivity(a) => a.output.output.as_deref(),
        Command::ValueOfInformation(a) => a.output.output.as_deref(),
        Command::Optimize(a) => a.output.output.as_deref(),
        Command::ReferenceClass(a) => a.output.output.as_deref(),
        Command::Calibrate(a) => a.report.as_deref(),
        Command::Update(a) => a.output.as_deref(),
        Command::Score(a) => a.output.as_deref(),
        _ => None,
    };
    if wide || output.is_some_and(|p| p != std::path::Path::new("-")) {
        return None;
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0);
    if columns.is_some() {
        return columns;
    }
    if std::io::stdout().is_terminal() {
        // comfy-table reads the terminal's size (crossterm) when stdout is one.
        return comfy_table::Table::new().width().map(usize::from);
    }
    None
}

/// The index of the strategy `--strategy ID` names, or the baseline without one.
fn strategy_index(scenario: &Scenario, id: Option<&str>) -> Result<usize, Error> {
    let Some(id) = id else {
        return Ok(scenario.baseline);
    };
    scenario
        .strategies
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| {
            let known: Vec<&str> = scenario.strategies.iter().map(|s| s.id.as_str()).collect();
            bad_option(
                "--strategy",
                format!("the scenario has no strategy \"{id}\""),
                &format!("use one of: {}", known.join(", ")),
            )
        })
}

use crate::engine::worker_pool;

pub(crate) fn bad_option(option: &str, message: String, fix: &str) -> Error {
    Error::BadOption {
        option: option.into(),
        message,
        fix: fix.into(),
    }
}

/// `K/N` with 1 ≤ K ≤ N, as the engine's 0-based shard.
fn parse_shard(text: &str, batches: u64) -> Result<Shard, Error> {
    let fix = "write --shard K/N with 1 ≤ K ≤ N, e.g. --shard 1/4";
    let (k, n) = text
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?)))
        .ok_or_else(|| bad_option("--shard", format!("`{text}` is not K/N"), fix))?;
    if n == 0 || k == 0 || k > n {
        return Err(bad_option(
            "--shard",
            format!("`{text}` needs 1 ≤ K ≤ N"),
            fix,
        ));
    }
    if n > batches {
        return Err(bad_option(
            "--shard",
            format!("{batches} batches of {BATCH_TRIALS} trials cannot be split into {n} shards"),
            "use at most one shard per batch: fewer shards or more --trials",
        ));
    }
    Ok(Shard {
        index: k - 1,
        count: n,
    })
}

/// A trial count in [1, MAX_TRIALS], else a bad `option`.
fn check_trials(trials: u64, option: &str) -> Result<(), Error> {
    use crate::scenario::limits::MAX_TRIALS;
    if trials == 0 || trials > MAX_TRIALS {
        return Err(bad_option(
            option,
            format!("{trials} is outside the valid range [1, {MAX_TRIALS}]"),
            "give a trial count such as 100000",
        ));
    }
    Ok(())
}

/// Validated run settings, the precision targets and the shard flag from the command line.
fn settings(
    args: &RunArgs,
    scenario: &Scenario,
) -> Result<(RunSettings, Option<Vec<PrecisionTarget>>), Error> {
    let targets = match &args.precision {
        Some(text) => Some(precision::parse_targets(text, &metric_ids())?),
        None => None,
    };
    let (trials, option) = match (&targets, args.max_trials) {
        (Some(_), max) => (max.unwrap_or(DEFAULT_MAX_TRIALS), "--max-trials"),
        (None, _) => (
            args.trials.unwrap_or(scenario.simulation.trials),
            "--trials",
        ),
    };
    check_trials(trials, option)?;
    if args.threads > 1024 {
        return Err(bad_option(
            "--threads",
            format!("{} threads is more than any machine here has", args.threads),
            "give 0 (one per core) or a small number",
        ));
    }
    let sampling = Sampling::from(args.sampling);
    if sampling != Sampling::Random && trials < MIN_STRUCTURED_TRIALS {
        return Err(bad_option(
            "--sampling",
            format!(
                "{} sampling needs at least {MIN_STRUCTURED_TRIALS} trials (two full batches) to estimate its standard errors; {trials} were asked for",
                sampling.name()
            ),
            "give --trials 100000 or more",
        ));
    }
    let batches = trials.div_ceil(BATCH_TRIALS);
    let shard = match &args.shard {
        Some(text) => parse_shard(text, batches)?,
        None => Shard::WHOLE,
    };
    let settings = RunSettings {
        trials,
        seed: args.seed.unwrap_or(scenario.simulation.seed),
        threads: args.threads,
        sampling,
        shard,
        parameter_uncertainty: args.parameter_uncertainty,
    };
    Ok((settings, targets))
}

/// The nested simulation's settings from the command line: `Some` with
/// `--parameter-uncertainty` on a whole run (a shard writes accumulators only).
fn gain_settings(args: &RunArgs, settings: &RunSettings) -> Result<Option<GainSettings>, Error> {
    if !settings.parameter_uncertainty || args.shard.is_some() {
        return Ok(None);
    }
    let gain = GainSettings {
        draws: args
            .uncertainty_draws
            .unwrap_or(gain_uncertainty::DEFAULT_DRAWS),
        trials: args
            .uncertainty_trials
            .unwrap_or(gain_uncertainty::DEFAULT_TRIALS),
        seed: settings.seed,
        threads: settings.threads,
    };
    gain_uncertainty::check(&gain)?;
    Ok(Some(gain))
}

/// The interval of each strategy's gain from parameter and effect uncertainty, with its own
/// progress bar.
fn gain_interval(
    scenario: &Scenario,
    gain: &GainSettings,
    quiet: bool,
) -> Result<gain_uncertainty::GainUncertainty, Error> {
    struct GainObserver(progress::Progress);
    impl engine::Observer for GainObserver {
        fn advance(&self, trials: u64) {
            self.0.advance(trials);
        }
        fn should_stop(&self) -> bool {
            interrupt::requested()
        }
    }
    let observer = GainObserver(progress::Progress::with_template(
        gain.draws as u64 * gain.trials,
        quiet,
        "{spinner} {bar:40} {human_pos}/{human_len} trials of the parameter-uncertainty draws  {per_sec}  eta {eta}",
    ));
    let result = gain_uncertainty::gain_uncertainty(scenario, gain, &observer);
    observer.0.finish();
    result
}

fn simulate(args: RunArgs, view: View) -> Result<(), Error> {
    let scenario = load(args.scenario.as_ref(), args.catalogue.as_ref())?;
    let (settings, targets) = settings(&args, &scenario)?;
    if settings.parameter_uncertainty && !scenario.has_uncertainty() {
        return Err(engine::nothing_uncertain(&scenario));
    }
    let gain = gain_settings(&args, &settings)?;
    let sharded = args.shard.is_some();
    if sharded && args.output.output.is_none() {
        return Err(bad_option(
            "--shard",
            "a shard writes a partial-result file, and no --output was given".into(),
            "add --output part-K.json (or --output - for standard output)",
        ));
    }
    if sharded && args.output.format.is_some_and(|f| f != Format::Json) {
        return Err(bad_option(
            "--format",
            "a shard always writes its JSON shard file".into(),
            "drop --format; choose the format when you run `crmcast merge`",
        ));
    }
    if let Some(path) = &args.trials_output {
        trials_output::check_paths(path, args.output.output.as_deref())?;
    }
    if sharded && args.record.record.is_some() {
        return Err(bad_option(
            "--record",
            "a shard is part of a forecast, not a forecast".into(),
            "record a whole run: drop --shard",
        ));
    }
    record::check(&args.record, args.output.output.as_deref())?;
    // Before the run: no output may replace an input (the scenario, its catalogue).
    crate::input::opened::check_outputs([
        (args.output.output.as_deref(), "--output"),
        (args.trials_output.as_deref(), "--trials-output"),
    ])?;
    let expected = settings
        .shard
        .batches(settings.trials.div_ceil(BATCH_TRIALS));
    let planned = (expected.end * BATCH_TRIALS).min(settings.trials)
        - (expected.start * BATCH_TRIALS).min(settings.trials);
    interrupt::install();
    let observer = RunObserver {
        progress: progress::Progress::new(planned, args.output.quiet, targets.is_some()),
        scenario: &scenario,
        targets: targets.as_deref(),
    };
    let result = engine::simulate(&scenario, &settings, &observer)?;
    observer.progress.finish();
    if result.ending == Ending::Interrupted {
        return Err(Error::Interrupted {
            done: format!("{} trials", result.trials),
            fix: ", or use fewer trials or --precision",
        });
    }
    if let Some(path) = &args.trials_output {
        trials_output::write(&scenario, &settings, &result, path, args.output.quiet)?;
    }
    if sharded {
        let file = export::shard::ShardFile::new(&scenario, view, result);
        return export::write_output(args.output.output.as_deref(), "--output", |out| {
            file.write(out)
        });
    }
    let mut report = Report::build(&scenario, &result);
    if let Some(gain) = &gain {
        report.gain_uncertainty = Some(gain_interval(&scenario, gain, args.output.quiet)?);
    }
    if let Some(targets) = &targets {
        let checks = precision::check(&report, targets);
        let unmet: Vec<String> = checks
            .iter()
            .filter(|c| !c.met)
            .map(|c| {
                format!(
                    "{} ±{:.4} > ±{:.4} ({})",
                    c.metric, c.achieved, c.target, c.worst_strategy
                )
            })
            .collect();
        if unmet.is_empty() {
            if !args.output.quiet {
                say!("precision reached after {} trials", result.trials);
            }
        } else {
            say!(
                "warning: precision not reached within --max-trials {}: {}",
                settings.trials,
                unmet.join("; ")
            );
        }
        report.run.precision = Some(checks);
    }
    let exporter = export::exporter(args.output.format.unwrap_or(Format::Table));
    export::write_output(args.output.output.as_deref(), "--output", |out| {
        exporter.report(&report, view, out)
    })?;
    record::record(
        &args.record,
        &scenario,
        args.scenario.as_deref(),
        (report.run.trials, report.run.seed),
        &export::ledger::forecasts(&report),
    )
}

/// With --precision and no --max-trials.
pub const DEFAULT_MAX_TRIALS: u64 = 100_000_000;
/// The structured designs need two full batches for batch-means standard errors.
pub const MIN_STRUCTURED_TRIALS: u64 = 2 * BATCH_TRIALS;

/// The CLI's observer: the progress bar, Ctrl-C, and the precision stopping rule.
struct RunObserver<'a> {
    progress: progress::Progress,
    scenario: &'a Scenario,
    targets: Option<&'a [PrecisionTarget]>,
}

impl engine::Observer for RunObserver<'_> {
    fn advance(&self, trials: u64) {
        self.progress.advance(trials);
    }
    fn should_stop(&self) -> bool {
        interrupt::requested()
    }
    fn wants_checkpoints(&self) -> bool {
        self.targets.is_some()
    }
    fn checkpoint(&self, partial: &SimulationResult) -> bool {
        let Some(targets) = self.targets else {
            return false;
        };
        let report = Report::build(self.scenario, partial);
        precision::check(&report, targets).iter().all(|c| c.met)
    }
}
