//! `crmcast value-of-information`: what it is worth to know the outcome (EVPI), or whether each
//! factor strikes (EVPPI), before deciding whether to invest and with which strategy.

use super::{bad_option, load};
use crate::analysis::value_of_information::{ValueOfInformation, value_of_information};
use crate::error::Error;
use crate::export::sections::{Section, money};
use crate::export::{self, Document, Format};
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
    let result =
        pool.install(|| value_of_information(&scenario, args.trials, seed, args.bootstrap.max(2)));
    let document = document(&result, &scenario.name);
    let exporter = export::exporter(args.output.format.unwrap_or(Format::Table));
    export::write_output(args.output.output.as_deref(), "--output", |out| {
        exporter.document(&document, out)
    })
}

fn document(v: &ValueOfInformation, scenario_name: &str) -> Document {
    let amount = |x: f64| format!("{} {}", v.currency, money(x));
    let summary = Section {
        title: "The go / no-go decision".into(),
        header: ["item", "value"].map(String::from).to_vec(),
        rows: vec![
            vec!["best decision now".into(), v.decision_now.clone()],
            vec!["its expected NPV".into(), amount(v.expected_net_benefit)],
            vec![
                "EVPI: knowing the outcome before deciding is worth".into(),
                format!(
                    "{} ± {}",
                    amount(v.evpi.value),
                    money(v.evpi.standard_error)
                ),
            ],
        ],
    };
    let factors = Section {
        title:
            "EVPPI: what it is worth to learn, before investing, whether each factor will strike"
                .into(),
        header: [
            "factor",
            "P(strikes)",
            "best decision if it strikes",
            "if it does not",
            "EVPPI",
            "se",
        ]
        .map(String::from)
        .to_vec(),
        rows: v
            .factors
            .iter()
            .map(|f| {
                vec![
                    f.factor.clone(),
                    format!("{:.1} %", 100.0 * f.probability),
                    f.decision_if_present.clone(),
                    f.decision_if_absent.clone(),
                    amount(f.evppi.value),
                    money(f.evppi.standard_error),
                ]
            })
            .collect(),
    };
    let mut csv_rows = vec![vec![
        "evpi".to_string(),
        String::new(),
        v.evpi.value.to_string(),
        v.evpi.standard_error.to_string(),
        String::new(),
        String::new(),
        String::new(),
    ]];
    csv_rows.extend(v.factors.iter().map(|f| {
        vec![
            "evppi".into(),
            f.factor.clone(),
            f.evppi.value.to_string(),
            f.evppi.standard_error.to_string(),
            f.probability.to_string(),
            f.decision_if_present.clone(),
            f.decision_if_absent.clone(),
        ]
    }));
    Document {
        title: format!(
            "crmcast value-of-information — {scenario_name} — {} trials, seed {}; decisions: do not invest, or one of the strategies",
            v.trials, v.seed
        ),
        sections: vec![summary, factors],
        record: serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
        csv_header: [
            "measure",
            "factor",
            "value",
            "se",
            "probability",
            "decision_if_present",
            "decision_if_absent",
        ]
        .map(String::from)
        .to_vec(),
        csv_rows,
    }
}
