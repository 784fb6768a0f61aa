//! `crmcast sensitivity`: what drives one output of one strategy — a ranked summary, the
//! tornado, rank correlations and contribution to variance, Sobol indices, Shapley effects and
//! the worst-10 % tail (documents in `presentation::sensitivity`) — with a progress bar and
//! Ctrl-C like `run`. Also the observer `value-of-information` shares.

use super::{interrupt, load, progress::Progress};
use crate::analysis::sensitivity::study::{self, OutputMetric, StudySettings};
use crate::engine::Observer;
use crate::error::Error;
use crate::export::{self, Format};
use crate::presentation::sensitivity::document;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML); without it, the built-in default scenario.
    pub scenario: Option<PathBuf>,
    /// Catalogue file to use instead of the one the scenario names.
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// The output to explain, by the metric ids of `run --format json` (npv_mean, p_success,
    /// overrun_mean, …).
    #[arg(long, value_enum, default_value_t = OutputMetric::Npv)]
    pub output_metric: OutputMetric,
    /// The strategy whose output is explained [default: the baseline].
    #[arg(long, value_name = "ID")]
    pub strategy: Option<String>,
    /// Trials for the tornado, the rank correlations and the tail analysis: 100 to 1000000.
    #[arg(long, default_value_t = 20_000, value_parser = super::limits::usize_in::<{ 100 }, { super::limits::MAX_STUDY_TRIALS }>)]
    pub trials: usize,
    /// Base rows of the Sobol design (cost: rows × (inputs + 2) trials), at most 65536; 0 skips
    /// the indices.
    #[arg(long, default_value_t = 4096, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_SOBOL_SAMPLES }>)]
    pub sobol_samples: usize,
    /// Bootstrap replicates for the Sobol indices' intervals, at most 2000.
    #[arg(long, default_value_t = 200, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_BOOTSTRAP }>)]
    pub bootstrap: usize,
    /// Random permutations of the Shapley estimator, at most 100000; 0 skips the Shapley
    /// effects.
    #[arg(long, default_value_t = 5_000, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_SHAPLEY_PERMUTATIONS }>)]
    pub shapley_permutations: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads; 0 = one per core, at most 256. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_THREADS }>)]
    pub threads: usize,
    #[command(flatten)]
    pub output: super::OutputArgs,
}

pub fn run(args: SensitivityArgs) -> Result<(), Error> {
    let scenario = load(args.scenario.as_ref(), args.catalogue.as_ref())?;
    crate::input::opened::check_outputs([(args.output.output.as_deref(), "--output")])?;
    let strategy = super::strategy_index(&scenario, args.strategy.as_deref())?;
    let settings = StudySettings {
        metric: args.output_metric,
        strategy,
        trials: args.trials,
        sobol_samples: args.sobol_samples,
        bootstrap: args.bootstrap.max(2),
        shapley_permutations: args.shapley_permutations,
        seed: args.seed,
    };
    let pool = super::worker_pool(args.threads)?;
    let observer = StudyObserver::new(
        study::planned_evaluations(&scenario, &settings),
        args.output.quiet,
        "{spinner} {bar:40} {percent:>3} %  {human_pos}/{human_len} model evaluations  eta {eta}",
    );
    let result = pool.install(|| study::study_observed(&scenario, &settings, &observer));
    observer.finish();
    let result = result?;
    let document = document(&result, &scenario.name);
    let exporter = export::exporter(args.output.format.unwrap_or(Format::Table));
    export::write_output(args.output.output.as_deref(), "--output", |out| {
        exporter.document(&document, out)
    })
}

/// The progress bar of an analysis (`run`'s bar, shown on a terminal unless `--quiet`) and its
/// Ctrl-C: the analysis polls [`Observer::should_stop`] and ends "interrupted" (exit 130).
pub(super) struct StudyObserver(Progress);

impl StudyObserver {
    pub(super) fn new(total: u64, quiet: bool, template: &str) -> Self {
        StudyObserver(Progress::with_template(total, quiet, template))
    }

    pub(super) fn finish(&self) {
        self.0.finish();
    }
}

impl Observer for StudyObserver {
    fn advance(&self, work: u64) {
        self.0.advance(work);
    }
    fn should_stop(&self) -> bool {
        interrupt::requested()
    }
}
