//! Print the default scenario's calibration figures (a maintainer's tool for tuning
//! `data/catalogue.toml`): `cargo run --release --example calibration_probe [TRIALS]`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let trials = std::env::args()
        .nth(1)
        .and_then(|t| t.parse().ok())
        .unwrap_or(200_000);
    let scenario = match std::env::args().nth(2) {
        Some(path) => crmcast::scenario::Scenario::load(std::path::Path::new(&path))?,
        None => crmcast::scenario::Scenario::builtin_default()?,
    };
    let settings = crmcast::engine::RunSettings {
        trials,
        seed: 1,
        threads: 0,
        ..crmcast::engine::RunSettings::default()
    };
    let result = crmcast::engine::simulate(&scenario, &settings, &crmcast::engine::NoObserver)?;
    let report = crmcast::analysis::Report::build(&scenario, &result);
    let base = report.baseline();
    for id in [
        "p_missed_objectives",
        "p_failed",
        "overrun_mean",
        "overrun_p50",
        "black_swan_overrun",
        "black_swan_slip",
        "slip_mean",
        "benefit_realisation_mean",
        "npv_mean",
        "p_npv_negative",
        "roi_mean",
    ] {
        let e = base.metric(id).ok_or("metric")?;
        println!("{id:28} {:10.4} ± {:.4}", e.value, e.se);
    }
    for g in &base.causes.by_group {
        println!("group {:24} {:6.3}", g.id, g.share.value);
    }
    for f in &base.causes.by_factor {
        println!(
            "factor {:30} presence {:5.3} primary {:6.3}",
            f.id, f.presence, f.share.value
        );
    }
    Ok(())
}
