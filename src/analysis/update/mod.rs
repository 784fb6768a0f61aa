//! Re-forecasting a running project (`crmcast update`, docs/UPDATE.md): the engine's trials,
//! conditioned on a [`Status`](crate::scenario::status::Status) — observed factors exactly
//! through the copula, cost and progress to date by the progress model's likelihood — and the
//! decision that remains from now (continue, add a strategy, stop) on common random numbers.
//!
//! This module owns the result types (the notebooks' and exporters' contract, documented in
//! docs/OUTPUT.md); the computation lives beside them.

mod compute;
mod forecast;
mod money;
pub mod sbc;
mod stats;
mod weights;

#[cfg(test)]
mod conditioning_tests;
#[cfg(test)]
mod tests;

pub use forecast::{MAX_UPDATE_TRIALS, levels};

use crate::analysis::report::Estimate;
use crate::engine::{Ending, RunSettings};
use serde::Serialize;

/// How an update runs.
#[derive(Debug, Clone, Copy)]
pub struct UpdateSettings {
    pub run: RunSettings,
    /// The fewest effective trials (Kish) a forecast may rest on; fewer is refused with the
    /// fix (default [`DEFAULT_MIN_EFFECTIVE_TRIALS`]).
    pub min_effective_trials: f64,
}

/// Below this many effective trials the update refuses to forecast.
pub const DEFAULT_MIN_EFFECTIVE_TRIALS: f64 = 1000.0;

/// What an option from now is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptionKind {
    /// Go on with the mitigations already bought, nothing added.
    Continue,
    /// Add the mitigations of one of the scenario's strategies (index into its strategies)
    /// that are not bought yet; they act only on what has not struck.
    Strategy { strategy: usize },
    /// Stop now: the salvage value, nothing more spent, no benefit.
    Stop,
}

/// A quantity's distribution as the update reads it: mean and quantiles, each with its 95 %
/// interval (weighted; intervals from the effective sample size).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Distribution {
    pub mean: Estimate,
    pub p10: Estimate,
    pub p50: Estimate,
    pub p80: Estimate,
    pub p90: Estimate,
}

/// One option's forecast from now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionForecast {
    /// `continue`, the strategy's id, or `stop`.
    pub id: String,
    pub kind: OptionKind,
    /// Mitigations this option buys now (indices into the scenario's mitigations): none for
    /// continue and stop.
    pub added_mitigations: Vec<usize>,
    /// P(the project meets all its objectives at the end).
    pub p_success: Estimate,
    /// Final cost over budget (project cost only, the cost to date included).
    pub overrun: Distribution,
    /// Final duration over plan.
    pub slip: Distribution,
    /// Whole-life NPV from the project's start, sunk cost included (comparable with the prior).
    pub npv_total: Distribution,
    /// The decision figure: NPV from now on, sunk cost excluded (remaining project cost,
    /// mitigations bought now, benefits from go-live, discounted to now).
    pub npv_forward: Distribution,
    /// P(forward NPV < 0).
    pub p_forward_loss: Estimate,
    /// Forward NPV against continuing, on common random numbers (0 for continue).
    pub gain_over_continue: Estimate,
}

/// One observation's agreement with the model: the effective trials if it were the only
/// evidence (a small share marks the observation the model finds hardest to believe).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceCheck {
    /// What was observed, in words ("cost to date 420,000", "no_executive_sponsor present").
    pub observation: String,
    pub effective_trials: f64,
}

/// A distribution before and after the evidence, for the "then and now" chart: the values at
/// the probabilities `levels` (shared by both curves).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThenAndNow {
    /// `overrun`, `slip` or `npv_total`.
    pub quantity: String,
    pub levels: Vec<f64>,
    pub then: Vec<f64>,
    pub now: Vec<f64>,
}

/// The remaining decision, read like `run`'s decision summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateDecision {
    /// Index into [`UpdateResult::options`] of the option with the highest expected forward NPV.
    pub best: usize,
    /// The runner-up and the best's forward-NPV gain over it (paired, common random numbers).
    pub runner_up: Option<usize>,
    pub gain_over_runner_up: Option<Estimate>,
    /// Whether the gain's interval excludes 0 (`analysis::significance`).
    pub significant: bool,
}

/// What `crmcast update` produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateResult {
    /// Trials simulated and the seed (the same trials as `crmcast run` with these settings).
    pub trials: u64,
    pub seed: u64,
    pub ending: Ending,
    /// Kish's effective sample size of the weights, (Σw)²/Σw².
    pub effective_trials: f64,
    /// The largest single trial's share of the total weight.
    pub largest_weight_share: f64,
    /// Per observation, how far the model believes it.
    pub evidence: Vec<EvidenceCheck>,
    /// The plan as it stands (continue), before the evidence: every trial weighted 1.
    pub prior: OptionForecast,
    /// Every option from now, after the evidence: continue first, then the strategies still
    /// possible (in the scenario's order), then stop.
    pub options: Vec<OptionForecast>,
    pub decision: UpdateDecision,
    /// Overrun, slip and whole-life NPV of continuing, before and after the evidence.
    pub then_and_now: Vec<ThenAndNow>,
}

/// Re-forecast the scenario conditioned on `status` (docs/UPDATE.md). Pure: no files, no
/// terminal; progress and Ctrl-C through `observer`, like [`crate::engine::simulate`].
pub fn update(
    scenario: &crate::scenario::Scenario,
    status: &crate::scenario::status::Status,
    settings: &UpdateSettings,
    observer: &dyn crate::engine::Observer,
) -> Result<UpdateResult, crate::error::Error> {
    forecast::update(scenario, status, settings, observer)
}
