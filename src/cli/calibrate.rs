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
use crate::export::sections::Section;
use crate::export::{self, Document, Format};
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
    /// Most Nelder–Mead iterations, 10 to 100000 (each costs one or two evaluations, a shrink one per free
    /// parameter).
    #[arg(long, default_value_t = 1500, value_parser = super::limits::u64_in::<{ 10 }, { super::limits::MAX_ITERATIONS }>)]
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
    /// No progress bar.
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
        initial_step: 0.2,
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
    let document = document(&fit, &provenance, &targets_source.name);
    let exporter = export::exporter(args.format.unwrap_or(Format::Table));
    export::write_output(args.report.as_deref(), "--report", |out| {
        exporter.document(&document, out)
    })?;
    say!("wrote {}: {}", args.output.display(), fit.verdict());
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

fn document(fit: &Calibration, provenance: &Provenance, targets_name: &str) -> Document {
    let number = |x: f64| format!("{x:.4}");
    let sd = |x: f64, at_bound: bool| {
        if at_bound {
            "at bound".to_string()
        } else if x.is_nan() {
            "not identified".to_string()
        } else {
            number(x)
        }
    };
    let targets = Section {
        title: "Targets: published figure ± tolerance (read as its standard deviation), fitted value ± Monte Carlo SE".into(),
        header: [
            "target",
            "figure",
            "value",
            "tolerance",
            "fitted",
            "MC se",
            "(fitted − value)/tolerance",
            "within",
            "source",
        ]
        .map(String::from)
        .to_vec(),
        rows: fit
            .targets
            .iter()
            .map(|t| {
                let c = &t.check;
                vec![
                    c.target.id.clone(),
                    c.target.figure.label(),
                    number(c.target.value),
                    number(c.target.tolerance),
                    number(c.fitted.value),
                    number(c.fitted.se),
                    format!("{:+.2}", t.standardised_residual),
                    if c.within_tolerance { "yes" } else { "NO" }.into(),
                    c.target.source.chars().take(60).collect(),
                ]
            })
            .collect(),
    };
    let constraints = Section {
        title: "Constraints: plausibility conditions the fit respects".into(),
        header: [
            "constraint",
            "on",
            "figure",
            "min",
            "max",
            "fitted",
            "MC se",
            "satisfied",
            "source",
        ]
        .map(String::from)
        .to_vec(),
        rows: fit
            .constraints
            .iter()
            .map(|c| {
                let bound = |b: Option<f64>| b.map_or("–".to_string(), number);
                vec![
                    c.constraint.id.clone(),
                    match c.constraint.on {
                        targets::Subject::Baseline => "baseline".into(),
                        targets::Subject::NoTrouble => "no trouble".into(),
                    },
                    c.constraint.figure.label(),
                    bound(c.constraint.min),
                    bound(c.constraint.max),
                    number(c.fitted.value),
                    number(c.fitted.se),
                    if c.satisfied { "yes" } else { "NO" }.into(),
                    c.constraint.source.chars().take(60).collect(),
                ]
            })
            .collect(),
    };
    let parameters = Section {
        title: "Free parameters at the fit: value, plausible range, sd from the evidence (tolerances as published sds), Monte Carlo SE (other random numbers)".into(),
        header: [
            "parameter",
            "value",
            "unit",
            "range",
            "sd from evidence",
            "MC se",
        ]
        .map(String::from)
        .to_vec(),
        rows: fit
            .parameters
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    number(p.value),
                    p.unit.into(),
                    format!("[{}, {}]", number(p.range.low), number(p.range.high)),
                    sd(p.evidence_sd, p.at_bound),
                    sd(p.monte_carlo_se, p.at_bound),
                ]
            })
            .collect(),
    };
    let mut verdict = vec![
        vec![
            "degrees of freedom".into(),
            format!(
                "{} free parameters against {} independent targets (and {} constraints)",
                fit.free_parameters,
                fit.independent_targets,
                fit.constraints.len()
            ),
        ],
        vec![
            "objective".into(),
            format!(
                "{:.3} at the start, {:.3} at the fit (sum of squared standardised residuals and constraint violations)",
                fit.initial_objective, fit.objective
            ),
        ],
        vec![
            "evaluations".into(),
            format!(
                "{} ({} trials each, seed {}; at most {} iterations)",
                fit.evaluations,
                fit.settings.trials,
                fit.settings.seed,
                fit.settings.max_iterations
            ),
        ],
        vec!["verdict".into(), fit.verdict()],
    ];
    for p in fit.parameters.iter().filter(|p| p.at_bound) {
        verdict.push(vec![
            "at its bound".into(),
            format!(
                "{} = {}: the targets push it to the end of its range ({}); it is held there, not fitted",
                p.name,
                number(p.value),
                p.range.why
            ),
        ]);
    }
    for u in &fit.unidentified {
        let list: Vec<String> = u
            .parameters
            .iter()
            .map(|(name, w)| format!("{w:+.2}·{name}"))
            .collect();
        verdict.push(vec![
            "not identified".into(),
            format!(
                "{}: no target moves this combination; fix one of them or add a target",
                list.join(" ")
            ),
        ]);
    }
    for id in &fit.unmovable {
        verdict.push(vec![
            "unmovable".into(),
            format!("{id}: no free parameter moves it; free one that does (see --free)"),
        ]);
    }
    for c in &fit.conflicts {
        verdict.push(vec![
            "pulls against".into(),
            format!(
                "improving {} worsens {} (gradient cosine {:.2})",
                c.target, c.against, c.cosine
            ),
        ]);
    }
    let summary = Section {
        title: "Fit".into(),
        header: ["item", "value"].map(String::from).to_vec(),
        rows: verdict,
    };
    let mut csv_rows: Vec<Vec<String>> = fit
        .targets
        .iter()
        .map(|t| {
            let c = &t.check;
            vec![
                "target".into(),
                c.target.id.clone(),
                c.target.value.to_string(),
                c.target.tolerance.to_string(),
                c.fitted.value.to_string(),
                c.fitted.se.to_string(),
                t.standardised_residual.to_string(),
                c.within_tolerance.to_string(),
                String::new(),
            ]
        })
        .collect();
    csv_rows.extend(fit.constraints.iter().map(|c| {
        vec![
            "constraint".into(),
            c.constraint.id.clone(),
            c.constraint.min.map_or(String::new(), |v| v.to_string()),
            c.constraint.max.map_or(String::new(), |v| v.to_string()),
            c.fitted.value.to_string(),
            c.fitted.se.to_string(),
            String::new(),
            c.satisfied.to_string(),
            String::new(),
        ]
    }));
    csv_rows.extend(fit.parameters.iter().map(|p| {
        vec![
            "parameter".into(),
            p.name.clone(),
            p.range.low.to_string(),
            p.range.high.to_string(),
            p.value.to_string(),
            p.monte_carlo_se.to_string(),
            String::new(),
            String::new(),
            p.evidence_sd.to_string(),
        ]
    }));
    Document {
        title: format!(
            "crmcast calibrate — {} targets, {} constraints, {} free parameters ({})",
            fit.targets.len(),
            fit.constraints.len(),
            fit.parameters.len(),
            targets_name
        ),
        sections: vec![targets, constraints, parameters, summary],
        record: serde_json::json!({ "provenance": provenance, "calibration": fit }),
        csv_header: [
            "kind",
            "id",
            "target_or_min_or_low",
            "tolerance_or_max_or_high",
            "fitted",
            "monte_carlo_se",
            "standardised_residual",
            "within_tolerance_or_satisfied",
            "evidence_sd",
        ]
        .map(String::from)
        .to_vec(),
        csv_rows,
    }
}
