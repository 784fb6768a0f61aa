//! `crmcast update`: re-forecast a running project from its status file (docs/UPDATE.md). Loads
//! the scenario (plausibility warnings as for `run`) and the status, runs the conditioned
//! trials with the progress bar and Ctrl-C of `run`, and writes the update's document as a
//! table, Markdown, JSON, CSV or one self-contained HTML page through the one output writer.

use super::{RunObserver, bad_option, interrupt, load, progress};
use crate::analysis::update::{self, DEFAULT_MIN_EFFECTIVE_TRIALS, UpdateSettings};
use crate::engine::{Ending, RunSettings, Sampling, Shard};
use crate::error::Error;
use crate::export::{self, Format, charts};
use crate::presentation::update::{document, low_effective_warning};
use clap::{Args, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub const EXAMPLES: &str = "\
Examples:
  crmcast update --status scenarios/status/default-month-08.toml       the built-in default scenario
  crmcast update scenarios/default.toml --status month-08.toml --format markdown
  crmcast update scenarios/default.toml --status month-08.toml --format json --output update.json
  crmcast update scenarios/default.toml --status month-08.toml --format html --output update.html
  crmcast update scenarios/default.toml --status month-08.toml --trials 1000000 --min-effective-trials 5000

The status file says what has happened so far (docs/STATUS.md); the update weights the trials
of `crmcast run` by how well each agrees with it and compares continuing, adding a strategy and
stopping, from now on (docs/UPDATE.md).";

/// The formats of `update`: those of `run` without the workbook, and the HTML page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UpdateFormat {
    Table,
    Markdown,
    Json,
    Csv,
    /// One self-contained HTML page with the tables and the "then and now" charts.
    Html,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Scenario file (TOML); without it, the built-in default scenario.
    pub scenario: Option<PathBuf>,
    /// The project's status file (TOML, docs/STATUS.md): time elapsed, cost to date, progress,
    /// mitigations bought, factors seen.
    #[arg(long, value_name = "STATUS")]
    pub status: PathBuf,
    /// Number of trials, at most 2000000 (default: the scenario's [simulation] trials, else
    /// 100000): the same trials as `crmcast run`, weighted by the evidence.
    #[arg(long, value_parser = super::limits::u64_in::<{ 1 }, { super::limits::MAX_UPDATE_TRIALS }>)]
    pub trials: Option<u64>,
    /// Random seed (default: the scenario's [simulation] seed). Same seed, same results.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads; 0 = one per core, at most 256. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_THREADS }>)]
    pub threads: usize,
    /// The fewest effective trials (Kish) a forecast may rest on, at most 2000000; fewer is
    /// refused with the fix [default: 1000].
    #[arg(long, value_name = "N", value_parser = super::limits::u64_in::<{ 1 }, { super::limits::MAX_UPDATE_TRIALS }>)]
    pub min_effective_trials: Option<u64>,
    /// Catalogue file to use instead of the one the scenario names.
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// Output format [default: table].
    #[arg(long, value_enum)]
    pub format: Option<UpdateFormat>,
    /// Write to this file (atomically) instead of standard output; `-` is standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No progress bar, and no "wrote FILE (SIZE)" line.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub record: super::record::RecordArgs,
}

pub fn run(args: UpdateArgs) -> Result<(), Error> {
    let format = args.format.unwrap_or(UpdateFormat::Table);
    refuse_page_on_terminal(format, args.output.as_deref())?;
    let scenario = load(args.scenario.as_ref(), args.catalogue.as_ref())?;
    let status = crate::scenario::status::load(&args.status, &scenario)?;
    for warning in crate::scenario::status::warnings(&status, &scenario) {
        say!("warning: {warning}");
    }
    // Before the run: no output may replace an input (the scenario, its catalogue, the status).
    crate::input::opened::check_outputs([(args.output.as_deref(), "--output")])?;
    super::record::check(&args.record, args.output.as_deref())?;
    let trials = args.trials.unwrap_or(scenario.simulation.trials);
    super::check_trials(trials, "--trials")?;
    if trials > super::limits::MAX_UPDATE_TRIALS {
        return Err(bad_option(
            "--trials",
            format!(
                "the scenario asks for {trials} trials, and an update keeps every trial in memory: at most {}",
                super::limits::MAX_UPDATE_TRIALS
            ),
            &format!(
                "give --trials {} or fewer",
                super::limits::MAX_UPDATE_TRIALS
            ),
        ));
    }
    let min_effective_trials = args
        .min_effective_trials
        .map_or(DEFAULT_MIN_EFFECTIVE_TRIALS, |n| n as f64);
    let settings = UpdateSettings {
        run: RunSettings {
            trials,
            seed: args.seed.unwrap_or(scenario.simulation.seed),
            threads: args.threads,
            sampling: Sampling::Random,
            shard: Shard::WHOLE,
            parameter_uncertainty: false,
        },
        min_effective_trials,
    };
    interrupt::install();
    let observer = RunObserver {
        progress: progress::Progress::new(trials, args.quiet, false),
        scenario: &scenario,
        targets: None,
    };
    let result = update::update(&scenario, &status, &settings, &observer);
    observer.progress.finish();
    let result = result?;
    if result.ending == Ending::Interrupted || interrupt::requested() {
        return Err(Error::Interrupted {
            done: format!("{} trials", result.trials),
            fix: ", or use fewer --trials",
        });
    }
    if let Some(warning) = low_effective_warning(&result) {
        say!("warning: {warning}");
    }
    let document = document(&scenario, &status, &result, min_effective_trials);
    let output = args.output.as_deref();
    match format {
        UpdateFormat::Html => {
            let when = status
                .date
                .as_deref()
                .map_or_else(|| "of the status file".to_string(), |d| format!("of {d}"));
            let charts = charts::then_and_now_charts(
                &result.then_and_now,
                &scenario.project.currency,
                &when,
            );
            let heading = document
                .title
                .split(" — ")
                .next()
                .unwrap_or(&document.title);
            let tab_title = format!("{heading} — crmcast update");
            let text = export::html_document::PageText {
                heading,
                subtitle: document.title[heading.len()..].trim_start_matches(" — "),
                tab_title: &tab_title,
                footer: "The trials of the forecast, weighted by how well each agrees with the status (docs/UPDATE.md); intervals are 95 % intervals of the weighted Monte Carlo estimates.",
                charts_after: Some("Then and now"),
                caption: charts::then_and_now_reading,
            };
            let page = export::html_document::page(&document, &charts, &text);
            export::write_output(output, "--output", |out| out.write_all(page.as_bytes()))
        }
        other => {
            let format = match other {
                UpdateFormat::Markdown => Format::Markdown,
                UpdateFormat::Json => Format::Json,
                UpdateFormat::Csv => Format::Csv,
                _ => Format::Table,
            };
            let exporter = export::exporter(format);
            export::write_output(output, "--output", |out| exporter.document(&document, out))
        }
    }?;
    // The options' forecasts from now, one ledger row each (whole-life NPV, comparable with
    // `run`'s rows).
    super::record::record(
        &args.record,
        &scenario,
        args.scenario.as_deref(),
        (result.trials, result.seed),
        &export::ledger::update_forecasts(&result),
    )
}

/// A page is a file to open in a browser, not text for the terminal (as `crmcast report`).
fn refuse_page_on_terminal(format: UpdateFormat, output: Option<&Path>) -> Result<(), Error> {
    let to_stdout = output.is_none_or(|p| p == Path::new("-"));
    if format == UpdateFormat::Html && to_stdout && std::io::stdout().is_terminal() {
        return Err(bad_option(
            "--output",
            "an HTML page is a file to open in a browser, not text for the terminal".into(),
            "add --output update.html (or pipe the output: crmcast update … > update.html)",
        ));
    }
    Ok(())
}
