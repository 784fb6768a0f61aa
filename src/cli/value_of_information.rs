//! `crmcast value-of-information`: what it is worth to know the outcome (EVPI), or whether each
//! factor strikes (EVPPI), before deciding whether to invest and with which strategy.

use super::sensitivity::StudyObserver;
use super::{bad_option, load};
use crate::analysis::value_of_information::{planned_work, value_of_information};
use crate::error::Error;
use crate::export::{self, Format};
use crate::presentation::value_of_information::document;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ValueOfInformationArgs {
    /// Scenario file (TOML); without it, the built-in default scenario.
    pub scenario: Option<PathBuf>,
    /// Catalogue file to use instead of the one the scenario names.
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// Trials (the same trials as `crmcast run` with this seed), at most 2000000.
    #[arg(long, default_value_t = 100_000, value_parser = super::limits::usize_in::<{ 1 }, { super::limits::MAX_VOI_TRIALS }>)]
    pub trials: usize,
    /// Random seed (default: the scenario's [simulation] seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Bootstrap replicates for the standard errors, at most 2000.
    #[arg(long, default_value_t = 100, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_BOOTSTRAP }>)]
    pub bootstrap: usize,
    /// Worker threads; 0 = one per core, at most 256. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_THREADS }>)]
    pub threads: usize,
    #[command(flatten)]
    pub output: super::OutputArgs,
}

pub fn run(args: ValueOfInformationArgs) -> Result<(), Error> {
    let scenario = load(args.scenario.as_ref(), args.catalogue.as_ref())?;
    crate::input::opened::check_outputs([(args.output.output.as_deref(), "--output")])?;
    if !(1_000..=20_000_000).contains(&args.trials) {
        return Err(bad_option(
            "--trials",
            format!("{} trials", args.trials),
            "use 1,000 to 20,000,000 trials",
        ));
    }
    let seed = args.seed.unwrap_or(scenario.simulation.seed);
    let pool = super::worker_pool(args.threads)?;
    let replicates = args.bootstrap.max(2);
    let observer = StudyObserver::new(
        planned_work(args.trials, replicates),
        args.output.quiet,
        "{spinner} {bar:40} {percent:>3} %  trials simulated and resampled  eta {eta}",
    );
    let result =
        pool.install(|| value_of_information(&scenario, args.trials, seed, replicates, &observer));
    observer.finish();
    let result = result?;
    let document = document(&result, &scenario.name);
    let exporter = export::exporter(args.output.format.unwrap_or(Format::Table));
    export::write_output(args.output.output.as_deref(), "--output", |out| {
        exporter.document(&document, out)
    })
}
