//! The larger simulation-based calibration study of `crmcast update` (docs/UPDATE.md,
//! "Validation"): truths drawn from the model, revealed at 25, 50 and 75 % of plan, updated,
//! and the coverage of the 50/80/95 % intervals of final overrun, slip and whole-life NPV
//! printed as a Markdown table with Wilson intervals.
//!
//! Run: `cargo run --example update_sbc -- [SCENARIO] [REPLICATIONS] [TRIALS]`
//! (defaults: the built-in default scenario, 1,000 truths, 10,000 trials per update).

use crmcast::analysis::update::sbc::{SbcSettings, calibrate, markdown};
use crmcast::scenario::Scenario;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path =
        PathBuf::from(args.first().cloned().unwrap_or_else(|| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/default.toml").into()
        }));
    let replications = args.get(1).map_or(Ok(1_000), |s| s.parse())?;
    let trials = args.get(2).map_or(Ok(10_000), |s| s.parse())?;
    let scenario = Scenario::load(&path)?;
    let settings = SbcSettings {
        replications,
        trials,
        seed: 15,
        threads: 0,
        points: vec![0.25, 0.5, 0.75],
    };
    let started = std::time::Instant::now();
    let table = calibrate(&scenario, &settings)?;
    println!(
        "Scenario {} ({}), {replications} truths per reveal point, {trials} trials per update, seed {}:\n",
        scenario.name,
        path.file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
        settings.seed
    );
    print!("{}", markdown(&table));
    eprintln!("({:.0} s)", started.elapsed().as_secs_f64());
    Ok(())
}
