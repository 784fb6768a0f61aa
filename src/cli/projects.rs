//! `crmcast simulate-projects`: project records drawn from a known truth (a scenario and its
//! catalogue), as CSV in the format `crmcast calibrate --data` reads (docs/CALIBRATION.md).

use super::{bad_option, load};
use crate::engine::projects::simulate_projects;
use crate::engine::trial::OutcomeClass;
use crate::error::Error;
use crate::export;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SimulateProjectsArgs {
    /// Scenario file (TOML); without it, the built-in default scenario.
    pub scenario: Option<PathBuf>,
    /// Catalogue file to use instead of the one the scenario names (else the built-in one).
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// Number of projects, 1 to 10000000.
    #[arg(long, default_value_t = 500)]
    pub n: usize,
    /// The strategy the projects followed [default: the scenario's baseline].
    #[arg(long, value_name = "ID")]
    pub strategy: Option<String>,
    /// Share of factor ratings to leave empty (missing completely at random), 0 to 0.9.
    #[arg(long, default_value_t = 0.0)]
    pub missing: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where to write the CSV (atomically); `-` or none is standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn class_name(class: OutcomeClass) -> &'static str {
    match class {
        OutcomeClass::Success => "success",
        OutcomeClass::Challenged => "challenged",
        OutcomeClass::Failed => "failed",
    }
}

pub fn run(args: SimulateProjectsArgs) -> Result<(), Error> {
    if !(1..=10_000_000).contains(&args.n) {
        return Err(bad_option(
            "--n",
            format!("{} projects is outside 1..=10000000", args.n),
            "ask for 1 to 10,000,000 projects",
        ));
    }
    let scenario = load(args.scenario.as_ref(), args.catalogue.as_ref())?;
    if !(0.0..=0.9).contains(&args.missing) {
        return Err(bad_option(
            "--missing",
            format!("{} is not a share between 0 and 0.9", args.missing),
            "give e.g. --missing 0.05",
        ));
    }
    let strategy = super::strategy_index(&scenario, args.strategy.as_deref())?;
    let records = simulate_projects(&scenario, strategy, args.n, args.seed, args.missing);
    export::write_output(args.output.as_deref(), "--output", |out| {
        let mut writer = csv::Writer::from_writer(out);
        let mut header = vec!["project".to_string()];
        // Ids from the catalogue are CSV text cells (OWASP rule, docs/OUTPUT.md).
        header.extend(
            scenario
                .factors
                .iter()
                .map(|f| export::safe_text(&f.id).into_owned()),
        );
        header.extend(
            [
                "outcome",
                "overrun",
                "slip",
                "benefit_realisation",
                "runaway",
            ]
            .map(String::from),
        );
        writer.write_record(&header)?;
        for (k, record) in records.iter().enumerate() {
            let mut row = vec![format!("P{:05}", k + 1)];
            row.extend(
                record
                    .ratings
                    .iter()
                    .map(|r| r.map_or(String::new(), |s| s.to_string())),
            );
            row.push(class_name(record.class).into());
            row.push(record.outcome.overrun.to_string());
            row.push(record.outcome.slip.to_string());
            row.push(record.outcome.benefit_realisation.to_string());
            row.push(if record.outcome.runaway { "yes" } else { "no" }.into());
            writer.write_record(&row)?;
        }
        writer.flush()
    })
}
