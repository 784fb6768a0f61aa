//! What `crmcast merge` checks inside a shard file once its digest matches: a digest only
//! proves the file is as written, and whoever edits a file can recompute it. So every count,
//! sum and sketch must also be one a run of this scenario could produce — class counts adding
//! up to the trials, every strategy present once, sums within their possible bounds, the
//! shard's batches those its index names — or the file is refused, naming what is wrong.

use crate::engine::accumulate::{MOMENT_METRICS, Moments, PAIRED_METRICS, StrategyAccumulator};
use crate::engine::{BATCH_TRIALS, Sampling, SimulationResult};
use crate::scenario::limits;

/// What a result must look like for its scenario.
pub struct Shape<'a> {
    /// Strategy names, in the scenario's order.
    pub strategies: Vec<&'a str>,
    pub factors: usize,
    pub baseline: usize,
}

/// Fixed-point units of one (an indicator's value).
const ONE: i128 = 1 << crate::engine::accumulate::FIXED_POINT_BITS;

/// Check one shard's result (or a merged one, with `whole` set) against its scenario's shape.
pub fn check_result(r: &SimulationResult, shape: &Shape, whole: bool) -> Result<(), String> {
    if r.requested_trials == 0 || r.requested_trials > limits::MAX_TRIALS {
        return Err(format!(
            "the run's trial count {} is outside 1..={}",
            r.requested_trials,
            limits::MAX_TRIALS
        ));
    }
    let total_batches = r.requested_trials.div_ceil(BATCH_TRIALS);
    if r.shard.count == 0 || r.shard.index >= r.shard.count || r.shard.count > total_batches {
        return Err(format!(
            "shard {}/{} is not a shard of a run of {} batches",
            r.shard.index.saturating_add(1),
            r.shard.count,
            total_batches
        ));
    }
    let batches = r.shard.batches(total_batches);
    if !whole && r.batches != (batches.start, batches.end) {
        return Err(format!(
            "it holds batches {}..{}, but shard {}/{} is batches {}..{}",
            r.batches.0,
            r.batches.1,
            r.shard.index + 1,
            r.shard.count,
            batches.start,
            batches.end
        ));
    }
    // Trials of batches [start, end): the last batch of the run may be short.
    let trials_to = |batch: u64| (batch.saturating_mul(BATCH_TRIALS)).min(r.requested_trials);
    let expected = trials_to(batches.end) - trials_to(batches.start);
    if r.trials != expected {
        return Err(format!(
            "it says {} trials, but its batches hold {expected}",
            r.trials
        ));
    }
    if r.strategies.len() != shape.strategies.len() {
        return Err(format!(
            "it holds {} strategies, but the scenario has {} ({})",
            r.strategies.len(),
            shape.strategies.len(),
            shape.strategies.join(", ")
        ));
    }
    for (index, (acc, name)) in r.strategies.iter().zip(&shape.strategies).enumerate() {
        check_strategy(acc, r.trials, index == shape.baseline, shape.factors)
            .map_err(|e| format!("strategy \"{name}\": {e}"))?;
        if !acc.npv_versus.is_empty() && acc.npv_versus.len() != shape.strategies.len() {
            return Err(format!(
                "strategy \"{name}\": it holds NPV differences to {} strategies, but the scenario has {}",
                acc.npv_versus.len(),
                shape.strategies.len()
            ));
        }
    }
    match (&r.batch_moments, r.sampling) {
        (None, Sampling::Random) => {}
        (Some(m), sampling) if sampling != Sampling::Random => {
            let full = r.trials / BATCH_TRIALS;
            if m.batches > full {
                return Err(format!(
                    "it records {} full batches, but holds only {full}",
                    m.batches
                ));
            }
            for (k, figure) in m.figures.iter().enumerate() {
                if figure.count != m.batches {
                    return Err(format!(
                        "batch figure {k} counts {} batches, not {}",
                        figure.count, m.batches
                    ));
                }
                figure
                    .check_bounds()
                    .map_err(|e| format!("batch figure {k}: {e}"))?;
            }
        }
        _ => {
            return Err(format!(
                "its batch replicates do not match its sampling ({})",
                r.sampling.name()
            ));
        }
    }
    Ok(())
}

fn at_most(what: &str, count: u64, trials: u64) -> Result<(), String> {
    if count > trials {
        return Err(format!("{what} counts {count} trials of {trials}"));
    }
    Ok(())
}

fn check_moments(kind: &str, name: &str, m: &Moments, trials: u64) -> Result<(), String> {
    if m.count != trials {
        return Err(format!(
            "the {kind} of {name} count {} values, not the {trials} trials",
            m.count
        ));
    }
    m.check_bounds()
        .map_err(|e| format!("the {kind} of {name}: {e}"))
}

fn check_strategy(
    acc: &StrategyAccumulator,
    trials: u64,
    baseline: bool,
    factors: usize,
) -> Result<(), String> {
    if acc.trials != trials {
        return Err(format!("{} trials, not {trials}", acc.trials));
    }
    let classes = acc
        .class_counts
        .iter()
        .try_fold(0u64, |sum, &c| sum.checked_add(c));
    if classes != Some(trials) {
        let [s, c, f] = acc.class_counts;
        return Err(format!(
            "success {s} + challenged {c} + failed {f} is not the {trials} trials"
        ));
    }
    // The success indicator is 0 or 1 per trial: its sums are the success count exactly.
    let successes = acc.class_counts[0] as i128 * ONE;
    let success = &acc.moments[7];
    if success.sum != successes || success.square_sum != successes * ONE {
        return Err(format!(
            "the success moments say {} successes, the class counts {}",
            success.sum as f64 / ONE as f64,
            acc.class_counts[0]
        ));
    }
    at_most(
        "`overrun at least double`",
        acc.overrun_at_least_double,
        trials,
    )?;
    at_most("`NPV negative`", acc.npv_negative, trials)?;
    at_most(
        "`payback within horizon`",
        acc.payback_within_horizon,
        trials,
    )?;
    at_most("`runaways`", acc.runaways, trials)?;
    at_most("`beats baseline`", acc.beats_baseline, trials)?;
    if acc.primary_cause.len() != factors + 1 || acc.presence.len() != factors {
        return Err(format!(
            "it has causes for {} and presences for {} factors; the scenario has {factors}",
            acc.primary_cause.len().saturating_sub(1),
            acc.presence.len()
        ));
    }
    for &p in &acc.presence {
        at_most("a factor's presence", p, trials)?;
    }
    let missed = trials - acc.class_counts[0];
    let causes = acc
        .primary_cause
        .iter()
        .try_fold(0u64, |sum, &c| sum.checked_add(c));
    if causes != Some(missed) {
        return Err(format!(
            "its primary causes do not add up to the {missed} trials that missed the objectives"
        ));
    }
    for (m, name) in acc.moments.iter().zip(MOMENT_METRICS) {
        check_moments("moments", name, m, trials)?;
    }
    for (m, name) in acc.paired.iter().zip(PAIRED_METRICS) {
        if baseline {
            if *m != Moments::default() {
                return Err(format!("the baseline has differences to itself ({name})"));
            }
        } else {
            check_moments("differences to the baseline", name, m, trials)?;
        }
    }
    if baseline && acc.beats_baseline != 0 {
        return Err("the baseline beats itself".into());
    }
    // NPV differences to every strategy (absent from files of older versions: then the
    // summary simply cannot name a cheaper strategy within noise).
    for m in &acc.npv_versus {
        check_moments("NPV differences between strategies", "npv", m, trials)?;
    }
    let sketches = [
        ("cost", acc.cost_ratio.sketch.total()),
        ("duration", acc.duration_ratio.total()),
        ("outlay", acc.outlay_ratio.total()),
        ("NPV", acc.npv_per_budget.total()),
        ("ROI", acc.roi.total()),
        ("benefit realisation", acc.benefit_realisation.total()),
        ("payback", acc.payback_years.total()),
    ];
    for (name, total) in sketches {
        if total != trials {
            return Err(format!(
                "the {name} distribution counts {total} values, not the {trials} trials"
            ));
        }
    }
    acc.cost_ratio
        .check_sums()
        .map_err(|e| format!("the cost distribution: {e}"))
}
