//! `crmcast optimize`: the best set of mitigations within a budget, the efficient frontier and
//! the mitigations that never pay, as table, Markdown, JSON or CSV. The search itself is in
//! `analysis::optimize` (`docs/OPTIMIZE.md`).

use super::progress::Progress;
use super::{bad_option, interrupt, load};
use crate::analysis::optimize::{
    self, DEFAULT_CONFIRM_TRIALS, DEFAULT_SCREENING_TRIALS, DEFAULT_SHORTLIST, Objective,
    OptimizeObserver, OptimizeSettings, SearchChoice,
};
use crate::error::Error;
use crate::export::{self, Format};
use clap::Args;
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Debug, Args)]
pub struct OptimizeArgs {
    /// Scenario file (TOML) with the [[mitigations]] to choose from; without it, the built-in
    /// default scenario.
    pub scenario: Option<PathBuf>,
    /// The most expected mitigation spend (Σ of the mean costs of the chosen mitigations), in
    /// the scenario's currency, e.g. 200000.
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub budget: String,
    /// What to optimise: npv_mean (mean NPV, maximised), p_success (maximised), overrun_p80
    /// (80th percentile of the budget overrun, minimised) or npv_cvar10 (mean NPV of the worst
    /// 10 % of trials, maximised); the metric ids of `run`'s records.
    #[arg(long, default_value = "npv_mean", value_name = "OBJECTIVE")]
    pub objective: String,
    /// Screening trials per subset (the search compares subsets on these), 256 to 1000000.
    #[arg(long, default_value_t = DEFAULT_SCREENING_TRIALS)]
    pub trials: u64,
    /// Fresh trials on which the shortlisted subsets are re-evaluated; every reported figure
    /// and interval comes from them; 1000 to 1000000.
    #[arg(long, default_value_t = DEFAULT_CONFIRM_TRIALS)]
    pub confirm_trials: u64,
    /// Best subsets within the budget (by screening) confirmed besides the frontier, at most
    /// 1000.
    #[arg(long, default_value_t = DEFAULT_SHORTLIST, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_SHORTLIST }>)]
    pub shortlist: usize,
    /// auto: every subset up to 16 mitigations, the heuristic beyond.
    #[arg(long, value_enum, default_value_t = SearchChoice::Auto)]
    pub search: SearchChoice,
    /// Random seed (default: the scenario's [simulation] seed). Same seed, same results.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads; 0 = one per core, at most 256. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_THREADS }>)]
    pub threads: usize,
    /// Catalogue file to use instead of the one the scenario names (else the built-in one).
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// Also draw the catalogue's uncertain parameters and the effects' ranged multipliers once
    /// per trial.
    #[arg(long)]
    pub parameter_uncertainty: bool,
    #[command(flatten)]
    pub output: super::OutputArgs,
}

/// An amount such as `200000`, `200_000` or `200,000`.
fn parse_budget(text: &str) -> Result<f64, Error> {
    let cleaned: String = text.chars().filter(|c| !matches!(c, '_' | ',')).collect();
    let budget: f64 = cleaned.trim().parse().map_err(|_| {
        bad_option(
            "--budget",
            format!("`{text}` is not an amount"),
            "give the most you would spend on mitigations as a number, e.g. --budget 200000",
        )
    })?;
    if !budget.is_finite() || budget < 0.0 {
        return Err(bad_option(
            "--budget",
            format!("{text} is not an amount of money ≥ 0"),
            "give the most you would spend on mitigations, 0 or more, e.g. --budget 200000",
        ));
    }
    Ok(budget)
}

/// The progress bar of the current stage, and Ctrl-C.
/// The optimiser's progress bars (one per stage) and Ctrl-C; also used by `crmcast report`.
pub(super) struct CliObserver {
    quiet: bool,
    bar: Mutex<Option<Progress>>,
}

impl OptimizeObserver for CliObserver {
    fn stage(&self, name: &str, work: Option<u64>) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(previous) = bar.take() {
            previous.finish();
        }
        let template = if work.is_some() {
            "{spinner} {msg} {bar:30} {percent:>3} %  eta {eta}"
        } else {
            "{spinner} {msg}: {human_pos} candidate-trials  {elapsed}"
        };
        let progress = Progress::with_template(work.unwrap_or(0), self.quiet, template);
        progress.set_message(name.to_string());
        *bar = Some(progress);
    }

    fn advance(&self, work: u64) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            bar.advance(work);
        }
    }

    fn should_stop(&self) -> bool {
        interrupt::requested()
    }
}

impl CliObserver {
    pub(super) fn new(quiet: bool) -> Self {
        CliObserver {
            quiet,
            bar: Mutex::new(None),
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish();
        }
    }
}

pub fn run(args: OptimizeArgs) -> Result<(), Error> {
    let budget = parse_budget(&args.budget)?;
    let objective = Objective::parse(&args.objective)?;
    let scenario = load(args.scenario.as_ref(), args.catalogue.as_ref())?;
    let settings = OptimizeSettings {
        objective,
        budget,
        screening_trials: args.trials,
        confirm_trials: args.confirm_trials,
        shortlist: args.shortlist,
        seed: args.seed.unwrap_or(scenario.simulation.seed),
        threads: args.threads,
        search: args.search,
        parameter_uncertainty: args.parameter_uncertainty,
        ..OptimizeSettings::new(objective, budget)
    };
    optimize::check(&scenario, &settings)?;
    crate::input::opened::check_outputs([(args.output.output.as_deref(), "--output")])?;
    interrupt::install();
    let observer = CliObserver {
        quiet: args.output.quiet,
        bar: Mutex::new(None),
    };
    let result = optimize::optimize(&scenario, &settings, &observer);
    observer.finish();
    let result = result?;
    let document = crate::presentation::optimize::document(&result);
    let exporter = export::exporter(args.output.format.unwrap_or(Format::Table));
    export::write_output(args.output.output.as_deref(), "--output", |out| {
        exporter.document(&document, out)
    })
}
