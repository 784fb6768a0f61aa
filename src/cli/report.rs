//! `crmcast report`: run a scenario, add the short analyses a reader needs (the tornado, the
//! efficient frontier, a sample of trials for the scatter), and write one self-contained HTML
//! page or an Excel workbook; `--charts DIR` also writes every chart as SVG and PNG.

use super::optimize::CliObserver;
use super::{RunObserver, bad_option, interrupt, load, progress, trials_output, worker_pool};
use crate::analysis::Report;
use crate::analysis::optimize;
use crate::analysis::presentation::{self, Extras};
use crate::analysis::sensitivity::study::{self, OutputMetric, StudySettings};
use crate::engine::{self, Ending, RunSettings, Sampling, Shard, records};
use crate::error::Error;
use crate::export::{self, charts};
use crate::presentation::inputs;
use clap::{Args, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub const EXAMPLES: &str = "\
Examples:
  crmcast report --output report.html                         the built-in default scenario
  crmcast report scenarios/retail_chain.toml -o retail.html --charts slides/
  crmcast report scenarios/multinational.toml --format xlsx -o multinational.xlsx
  crmcast report scenarios/small_business.toml -o sb.xlsx --xlsx-trials 10000

The HTML file needs no network: open it from a USB stick, or print it to PDF.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML page with SVG charts.
    Html,
    /// An Excel workbook: summary, comparison, causes, sensitivity, frontier, survey.
    Xlsx,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Scenario file (TOML); without it, the built-in default scenario.
    pub scenario: Option<PathBuf>,
    /// Write the report here (atomically); `-` is standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// html or xlsx [default: xlsx for an --output ending in .xlsx, else html].
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Also write each chart as its own SVG and PNG into this folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
    /// Number of trials (default: the scenario's [simulation] trials, else 100000).
    #[arg(long)]
    pub trials: Option<u64>,
    /// Random seed (default: the scenario's [simulation] seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads; 0 = one per core, at most 256. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_THREADS }>)]
    pub threads: usize,
    /// Catalogue file to use instead of the one the scenario names.
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// Draw the catalogue's uncertain parameters and the effects' ranged multipliers once per
    /// trial.
    #[arg(long)]
    pub parameter_uncertainty: bool,
    /// Trials of the tornado (the recommended strategy's NPV): 100 to 1000000.
    #[arg(long, default_value_t = 20_000, value_name = "TRIALS", value_parser = super::limits::usize_in::<{ 100 }, { super::limits::MAX_STUDY_TRIALS }>)]
    pub sensitivity_trials: usize,
    /// The run's first trials shown in the cost-versus-schedule scatter (and its joint
    /// confidence level).
    #[arg(long, default_value_t = 20_000, value_name = "TRIALS")]
    pub scatter_trials: u64,
    /// With the HTML report: show and print the scenario file as an appendix (without it, a
    /// box on the page adds it).
    #[arg(long)]
    pub appendix: bool,
    /// Leave out the efficient frontier (it evaluates every subset of mitigations).
    #[arg(long)]
    pub no_frontier: bool,
    /// With --format xlsx: add a `trials` sheet with the run's first N trials; N × strategies
    /// (the sheet's rows) at most 100000, which keeps the workbook under 1 GiB of memory.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub xlsx_trials: u64,
    /// Also write every trial of the run as CSV, or as Parquet when FILE ends in .parquet (see
    /// docs/OUTPUT.md).
    #[arg(long, value_name = "FILE")]
    pub trials_output: Option<PathBuf>,
    /// No progress bar, and no "wrote FILE (SIZE)" line.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The scatter replays its trials; more than this adds time and no visible precision.
const MAX_SCATTER_TRIALS: u64 = 1_000_000;

/// Rows of the trials sheet: far below Excel's 1 048 575, so the workbook (built in memory)
/// stays under 1 GiB at peak.
const XLSX_MAX_ROWS: u64 = super::limits::MAX_XLSX_ROWS;

pub fn run(args: ReportArgs) -> Result<(), Error> {
    let format = format(&args)?;
    let scenario = load(args.scenario.as_ref(), args.catalogue.as_ref())?;
    let settings = settings(&args, &scenario)?;
    if format == ReportFormat::Xlsx {
        let rows = args.xlsx_trials.min(settings.trials) * scenario.strategies.len() as u64;
        if rows > XLSX_MAX_ROWS {
            return Err(bad_option(
                "--xlsx-trials",
                format!(
                    "{rows} rows (trials × strategies) exceed the limit of {XLSX_MAX_ROWS} rows (the workbook is built in memory, about 5.6 KiB a row)"
                ),
                "ask for fewer trials, or use --trials-output trials.csv for every trial",
            ));
        }
    }
    if let Some(path) = &args.trials_output {
        trials_output::check_paths(path, args.output.as_deref())?;
    }
    // Before the run: no output may replace an input (the scenario, its catalogue).
    crate::input::opened::check_outputs([
        (args.output.as_deref(), "--output"),
        (args.trials_output.as_deref(), "--trials-output"),
    ])?;
    interrupt::install();
    let observer = RunObserver {
        progress: progress::Progress::new(settings.trials, args.quiet, false),
        scenario: &scenario,
        targets: None,
    };
    let result = engine::simulate(&scenario, &settings, &observer)?;
    observer.progress.finish();
    if result.ending == Ending::Interrupted {
        return Err(Error::Interrupted {
            done: format!("{} trials", result.trials),
            fix: ", or use fewer --trials",
        });
    }
    if let Some(path) = &args.trials_output {
        trials_output::write(&scenario, &settings, &result, path, args.quiet)?;
    }
    let report = Report::build(&scenario, &result);
    let recommended = scenario
        .strategies
        .iter()
        .position(|s| s.id == report.decision.recommended)
        .unwrap_or(scenario.baseline);
    let pool = worker_pool(settings.threads)?;
    let tornado = pool.install(|| {
        study::study(
            &scenario,
            &StudySettings {
                metric: OutputMetric::Npv,
                strategy: recommended,
                trials: args.sensitivity_trials,
                sobol_samples: 0,
                bootstrap: 0,
                shapley_permutations: 0,
                seed: settings.seed,
            },
        )
    })?;
    let optimization = if args.no_frontier || scenario.mitigations.is_empty() {
        None
    } else {
        // On the run's own trials, so the frontier and the strategy table agree.
        let optimize_settings = optimize::frontier_settings(&scenario, &settings, &result);
        let observer = CliObserver::new(args.quiet);
        let optimization = optimize::optimize(&scenario, &optimize_settings, &observer);
        observer.finish();
        Some(optimization?)
    };
    let sample_trials = args.scatter_trials.min(result.trials);
    let sample = records::first_outcomes(&scenario, &settings, sample_trials);
    let presentation = presentation::build(
        &scenario,
        &result,
        report,
        Extras {
            sample: &sample,
            tornado: Some(&tornado),
            optimization: optimization.as_ref(),
        },
    );
    let charts = charts::all(&presentation);
    if let Some(folder) = &args.charts {
        write_charts(folder, &charts)?;
    }
    match format {
        ReportFormat::Html => {
            let reference = inputs::Reference::of(&scenario)?;
            let inputs = inputs::inputs(&scenario, &reference);
            let options = export::html::PageOptions {
                appendix: args.appendix,
            };
            let page = export::html::page(&presentation, &charts, &inputs, options);
            export::write_output(args.output.as_deref(), "--output", |out| {
                out.write_all(page.as_bytes())
            })
        }
        ReportFormat::Xlsx => {
            let trials = (args.xlsx_trials > 0).then(|| {
                (
                    records::factor_columns(&scenario),
                    records::records(&scenario, &settings, args.xlsx_trials.min(result.trials)),
                )
            });
            let reference = crate::presentation::inputs::Reference::of(&scenario)?;
            let inputs = crate::presentation::inputs::inputs(&scenario, &reference);
            let bytes = export::xlsx::presentation_workbook(
                &presentation,
                &inputs,
                trials.as_ref().map(|(c, r)| (c.as_slice(), r.as_slice())),
            )?;
            export::write_output(args.output.as_deref(), "--output", |out| {
                out.write_all(&bytes)
            })
        }
    }
}

/// The format asked for, else the output's extension; a page or a workbook is not written to
/// a terminal.
fn format(args: &ReportArgs) -> Result<ReportFormat, Error> {
    let by_extension = args
        .output
        .as_deref()
        .and_then(Path::extension)
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let format = args.format.unwrap_or(if by_extension {
        ReportFormat::Xlsx
    } else {
        ReportFormat::Html
    });
    let to_stdout = args.output.as_deref().is_none_or(|p| p == Path::new("-"));
    if to_stdout && std::io::stdout().is_terminal() {
        let file = match format {
            ReportFormat::Html => "report.html",
            ReportFormat::Xlsx => "report.xlsx",
        };
        return Err(bad_option(
            "--output",
            "a report is a file to open in a browser or a spreadsheet, not text for the terminal"
                .into(),
            &format!("add --output {file} (or pipe the output: crmcast report > {file})"),
        ));
    }
    Ok(format)
}

fn settings(args: &ReportArgs, scenario: &crate::scenario::Scenario) -> Result<RunSettings, Error> {
    let trials = args.trials.unwrap_or(scenario.simulation.trials);
    super::check_trials(trials, "--trials")?;
    if !(100..=10_000_000).contains(&args.sensitivity_trials) {
        return Err(bad_option(
            "--sensitivity-trials",
            format!("{} trials", args.sensitivity_trials),
            "use 100 to 10,000,000 trials",
        ));
    }
    if args.scatter_trials == 0 || args.scatter_trials > MAX_SCATTER_TRIALS {
        return Err(bad_option(
            "--scatter-trials",
            format!("{} trials", args.scatter_trials),
            "use 1 to 1,000,000 trials (the chart draws at most a few hundred points per strategy)",
        ));
    }
    Ok(RunSettings {
        trials,
        seed: args.seed.unwrap_or(scenario.simulation.seed),
        threads: args.threads,
        sampling: Sampling::Random,
        shard: Shard::WHOLE,
        parameter_uncertainty: args.parameter_uncertainty,
    })
}

/// Each chart as `ID.svg` and `ID.png` in `folder`, all or nothing: every PNG is rasterised in
/// memory first, then every file is staged next to its place and only then renamed into it
/// (`export::write_outputs_together`). On any failure no chart file is left, and a folder this
/// call created is removed again.
fn write_charts(folder: &Path, charts: &[charts::Chart]) -> Result<(), Error> {
    let mut files = Vec::with_capacity(2 * charts.len());
    for chart in charts {
        let png = charts::png::png(&chart.svg, 2.0).map_err(|message| {
            Error::Internal(format!(
                "rasterising the chart {} failed: {message}",
                chart.id
            ))
        })?;
        files.push((
            folder.join(format!("{}.svg", chart.id)),
            chart.svg.clone().into_bytes(),
        ));
        files.push((folder.join(format!("{}.png", chart.id)), png));
    }
    let created = !folder.exists();
    if created {
        std::fs::create_dir_all(folder).map_err(|e| {
            bad_option(
                "--charts",
                format!("cannot create the folder {}: {e}", folder.display()),
                "give a folder that exists or can be created",
            )
        })?;
    }
    let written = export::write_outputs_together(&files, "--charts");
    if written.is_err() && created {
        // Empty again (nothing was renamed into it): leave no trace of the attempt.
        let _ = std::fs::remove_dir(folder);
    }
    written
}
