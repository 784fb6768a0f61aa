//! `crmcast calibrate`: read targets (or project data), fit, write the calibrated catalogue
//! and print the fit report. The fitting itself is in `analysis::calibrate` and
//! `analysis::project_fit`.

use super::bad_option;
use super::progress::Progress;
use crate::analysis::calibrate::{
    self, Calibration, CalibrationObserver, CalibrationSettings, DEFAULT_FREE, FREE_NAMES,
};
use crate::analysis::targets;
use crate::error::Error;
use crate::export::catalogue::{Provenance, Uncertainty, calibrated_text, today};
use crate::export::{self, Format};
use crate::model::Catalogue;
use crate::model::catalogue::BUILTIN_CATALOGUE;
use crate::scenario::source::Source;
use crate::scenario::{BUILTIN_DEFAULT, read_text};
use clap::Args;
use std::path::PathBuf;

/// The default targets file, `scenarios/calibration/published.toml`, embedded.
pub const BUILTIN_TARGETS: &str = include_str!("../../scenarios/calibration/published.toml");

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Published figures to fit (TOML, see scenarios/calibration/published.toml, the default).
    #[arg(long, value_name = "FILE", conflicts_with = "data")]
    pub targets: Option<PathBuf>,
    /// Project records to fit by maximum likelihood (CSV, one row per past project; see
    /// docs/CALIBRATION.md and `crmcast simulate-projects`).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// With --data: columns that are covariates (numeric, or text coded as one 0/1 column per
    /// level), comma-separated, e.g. --covariates size,industry.
    #[arg(long, value_name = "COLUMNS", requires = "data")]
    pub covariates: Vec<String>,
    /// With --data: what to do with missing values. `impute`: multiple imputation by chained
    /// equations (predictive mean matching), every model fitted on each completed data set and
    /// pooled by Rubin's rules; `complete-cases`: each model on the rows where its values are
    /// all present (docs/CALIBRATION.md, "Missing values").
    #[arg(long, value_enum, default_value = "impute", requires = "data")]
    pub missing: MissingValues,
    /// With --data --missing impute: completed data sets, 2 to 200 (more give pooled estimates
    /// with less Monte Carlo error; the time grows in proportion).
    #[arg(long, default_value_t = 20, value_parser = super::limits::usize_in::<{ 2 }, { super::limits::MAX_IMPUTATIONS }>, requires = "data")]
    pub imputations: usize,
    /// The catalogue to start from [default: the built-in one].
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// The scenario whose baseline is compared with the targets [default: the built-in
    /// default scenario].
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Parameters to fit, comma-separated: group_weights, group_weight:<group>, benefit_scale,
    /// cost_scale, schedule_scale, runaway_scale, probability_scale, probability:<factor>,
    /// impact:<factor>, log_cost_mean, log_cost_sd, log_schedule_mean, log_schedule_sd,
    /// runaway_base, runaway_size, runaway_tail, runaway_schedule. Each moves only inside its
    /// documented range (docs/CALIBRATION.md §1).
    #[arg(long, value_name = "PARAMS", default_value = DEFAULT_FREE)]
    pub free: String,
    /// Fit even with more free parameters than independent targets (refused otherwise): the
    /// report then names the combinations the targets do not identify.
    #[arg(long)]
    pub allow_underdetermined: bool,
    /// Trials per objective evaluation (the same random numbers every time), 1000 to 10000000.
    #[arg(long, default_value_t = 40_000, value_parser = super::limits::u64_in::<{ 1_000 }, { super::limits::MAX_CALIBRATION_TRIALS }>)]
    pub trials: u64,
    /// Random seed of every evaluation (common random numbers).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Most Levenberg–Marquardt iterations of the search, 10 to 100000 (each one Jacobian, one
    /// evaluation per free parameter, and its trial steps); the polish gets a quarter, at least 10.
    #[arg(long, default_value_t = 100, value_parser = super::limits::u64_in::<{ 10 }, { super::limits::MAX_ITERATIONS }>)]
    pub max_iterations: u64,
    /// Worker threads; 0 = one per core, at most 256. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_THREADS }>)]
    pub threads: usize,
    /// Where to write the calibrated catalogue (a scenario names it with `catalogue = "…"`).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Write the fit report here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Report format [default: table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// No progress bar, and no "wrote FILE (SIZE)" line.
    #[arg(long, short)]
    pub quiet: bool,
}

impl CalibrationObserver for Progress {
    fn evaluated(&self, _evaluations: u64, objective: f64) {
        self.set_message(format!("objective {objective:.3}"));
        self.advance(1);
    }
}

/// The command line as run (without the program's path), for the provenance header.
pub fn command_line() -> String {
    std::iter::once("crmcast".to_string())
        .chain(std::env::args().skip(1))
        .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `--missing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MissingValues {
    Impute,
    CompleteCases,
}

pub fn run(args: CalibrateArgs) -> Result<(), Error> {
    if args.data.is_some() {
        return super::project_fit::run(args);
    }
    let (catalogue_origin, catalogue_text) = match &args.catalogue {
        Some(path) => (path.display().to_string(), read_text(path)?),
        None => (
            "data/catalogue.toml (built in)".to_string(),
            BUILTIN_CATALOGUE.to_string(),
        ),
    };
    let base = Catalogue::parse(&Source::new(
        catalogue_origin.clone(),
        catalogue_text.clone(),
    ))?;
    let scenario = match &args.scenario {
        Some(path) => Source::new(path.display().to_string(), read_text(path)?),
        None => Source::new("built-in default scenario", BUILTIN_DEFAULT),
    };
    let targets_source = match &args.targets {
        Some(path) => Source::new(path.display().to_string(), read_text(path)?),
        None => Source::new(
            "scenarios/calibration/published.toml (built in)",
            BUILTIN_TARGETS,
        ),
    };
    let set = targets::load_set(&targets_source)?;
    let free = calibrate::parse_free(&args.free, &base).map_err(|message| {
        bad_option(
            "--free",
            message,
            &format!("name parameters from: {FREE_NAMES}; e.g. --free runaway_scale,log_cost_sd"),
        )
    })?;
    if args.trials < 1000 || args.max_iterations < 10 {
        return Err(bad_option(
            "--trials / --max-iterations",
            format!(
                "{} trials and {} iterations are too few",
                args.trials, args.max_iterations
            ),
            "use at least 1000 trials and 10 iterations",
        ));
    }
    let settings = CalibrationSettings {
        trials: args.trials,
        seed: args.seed,
        threads: args.threads,
        max_iterations: args.max_iterations,
        allow_underdetermined: args.allow_underdetermined,
    };
    // Refused before any simulation: more free parameters than the targets identify.
    calibrate::check_degrees_of_freedom(&free, &set, &base, args.allow_underdetermined)?;
    // Before the fit: no output may replace an input (the catalogue, targets, scenario).
    crate::input::opened::check_outputs([
        (Some(args.output.as_path()), "--output"),
        (args.report.as_deref(), "--report"),
    ])?;
    super::interrupt::install();
    let progress = Progress::with_template(
        0,
        args.quiet,
        "{spinner} {pos} evaluations  {msg}  {elapsed}",
    );
    let fit = calibrate::calibrate(&scenario, &base, &free, &set, &settings, &progress)?;
    progress.finish();
    let fitted = calibrate::apply(&base, &free, &fit.coordinates);
    let free_names = free.iter().map(|f| f.name()).collect::<Vec<_>>().join(",");
    let provenance = Provenance {
        command: command_line(),
        date: today(),
        crmcast_version: env!("CARGO_PKG_VERSION").into(),
        lines: vec![
            ("targets".into(), targets_source.name.clone()),
            ("base catalogue".into(), catalogue_origin),
            ("scenario".into(), scenario.name.clone()),
            ("free parameters".into(), free_names),
            (
                "degrees of freedom".into(),
                format!(
                    "{} free parameters against {} independent targets, {} constraints",
                    fit.free_parameters,
                    fit.independent_targets,
                    fit.constraints.len()
                ),
            ),
            (
                "seed".into(),
                format!(
                    "{}, {} trials per evaluation (common random numbers)",
                    args.seed, args.trials
                ),
            ),
            (
                "objective (sum of squared standardised residuals and violations)".into(),
                format!("{:.4}; {}", fit.objective, fit.verdict()),
            ),
        ],
    };
    let covariance = calibrate::evidence::catalogue_covariance(
        &base,
        &free,
        &fit.coordinates,
        &fit.coordinate_covariance,
    );
    let uncertainty = covariance.as_ref().map(|(names, matrix)| Uncertainty {
        comment: "Joint normal uncertainty of the fitted parameters from the evidence: the Laplace\n(delta-method) covariance of the fit, each target's tolerance read as the\npublished figure's standard deviation (docs/CALIBRATION.md §1). Drawn per trial\nwith --parameter-uncertainty. Written by crmcast calibrate.",
        source: format!(
            "crmcast calibrate: Laplace covariance on {}",
            targets_source.name
        ),
        parameters: names,
        covariance: matrix,
    });
    let text = calibrated_text(&catalogue_text, &fitted, &provenance, uncertainty)?;
    // The report describes the file as written (four decimals), not the unrounded optimum.
    let written = Catalogue::parse(&Source::new(
        args.output.display().to_string(),
        text.clone(),
    ))?;
    let evaluation = calibrate::evaluate(
        &scenario,
        &written,
        &set,
        args.trials,
        args.seed,
        args.threads,
    )?;
    let fit = with_checks(fit, evaluation);
    export::write_output(Some(&args.output), "--output", |out| {
        out.write_all(text.as_bytes())
    })?;
    let document =
        crate::presentation::calibrate::document(&fit, &provenance, &targets_source.name);
    let exporter = export::exporter(args.format.unwrap_or(Format::Table));
    export::write_output(args.report.as_deref(), "--report", |out| {
        exporter.document(&document, out)
    })?;
    say!("{}: {}", args.output.display(), fit.verdict());
    Ok(())
}

/// Replace the fit's target and constraint checks by those of the written catalogue.
fn with_checks(mut fit: Calibration, evaluation: calibrate::Evaluation) -> Calibration {
    for (target, check) in fit.targets.iter_mut().zip(evaluation.targets) {
        target.standardised_residual =
            (check.fitted.value - check.target.value) / check.target.tolerance;
        target.check = check;
    }
    fit.constraints = evaluation.constraints;
    fit.objective = fit
        .targets
        .iter()
        .map(|t| t.standardised_residual.powi(2))
        .chain(
            fit.constraints
                .iter()
                .map(|c| (c.violation / c.constraint.scale).powi(2)),
        )
        .sum();
    fit.all_within_tolerance = fit.targets.iter().all(|t| t.check.within_tolerance);
    fit.constraints_satisfied = fit.constraints.iter().all(|c| c.satisfied);
    fit
}
