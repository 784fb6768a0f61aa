//! Checks shared by the `shard` and `catalogue` fuzz targets and by tests/fuzz_regressions.rs:
//! bytes from an untrusted shard or catalogue file are refused with a message that renders,
//! or they give finite, consistent numbers. Needs `common.rs` as the sibling module `common`.

use crmcast::analysis::Report;
use crmcast::export::shard::verify_bytes;
use crmcast::scenario::source::Source;
use crmcast::scenario::{BUILTIN_DEFAULT, CatalogueText, Scenario};

/// Shard bytes → merge's parser and verifier. Accepted, the result has one accumulator per
/// strategy, class counts that add up, and a report whose every figure is finite with
/// probabilities in [0, 1].
pub fn check_shard_bytes(data: &[u8]) {
    let (scenario, result) = match verify_bytes(data) {
        Ok(accepted) => accepted,
        Err(message) => {
            assert!(!message.is_empty());
            return;
        }
    };
    assert_eq!(result.strategies.len(), scenario.strategies.len());
    for acc in &result.strategies {
        assert_eq!(acc.class_counts.iter().sum::<u64>(), result.trials);
    }
    if result.trials == 0 {
        return;
    }
    let report = Report::build(&scenario, &result);
    for strategy in &report.strategies {
        for metric in &strategy.metrics {
            let value = metric.estimate.value;
            assert!(
                value.is_finite() || metric.id.contains("tail") || metric.id.contains("payback"),
                "{}.{} = {value}",
                strategy.id,
                metric.id
            );
            if metric.id.starts_with("p_") {
                assert!(
                    (0.0..=1.0).contains(&value),
                    "{}.{} = {value}",
                    strategy.id,
                    metric.id
                );
            }
        }
    }
}

/// Catalogue text → parse and validation with the built-in default scenario; accepted, the
/// scenario goes through the scenario target's checks (trials and a short run).
pub fn check_catalogue_text(text: &str) {
    let catalogue = CatalogueText {
        origin: "fuzz-catalogue.toml".into(),
        text: text.into(),
    };
    if let Err(error) = catalogue.parse() {
        assert!(!error.to_string().is_empty());
        return;
    }
    let source = Source::new("built-in default scenario", BUILTIN_DEFAULT);
    match Scenario::from_source_with(&source, Some(catalogue)) {
        Ok(scenario) => crate::common::check_scenario(&scenario),
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}
