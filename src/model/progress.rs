//! The progress model: how a running project's status (time elapsed, cost to date, percent
//! complete, factors seen, early benefit signals) relates to the final outcome of a trial.
//! `crmcast update` weights the engine's trials by this likelihood (docs/UPDATE.md). Every
//! parameter is an assumption, with its default in `data/defaults.toml` (`[progress]`); a
//! scenario may override them in its own `[progress]` table.

use serde::Serialize;

/// Parameters of the likelihood of a status given a trial (docs/UPDATE.md).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProgressModel {
    /// Standard deviation of reported percent complete around the trial's true fraction of
    /// work done (elapsed time over the trial's final duration): a normal reporting error.
    pub progress_sd: f64,
    /// Concentration `k` of the Beta law of cost to date as a share of the trial's final project
    /// cost: `share ~ Beta(φ·k, (1 − φ)·k)` at true fraction done `φ` (mean φ, variance
    /// φ(1 − φ)/(k + 1), a Brownian-bridge-like spread that vanishes at the start and the end).
    pub cost_concentration: f64,
    /// Standard deviation of an early benefit signal (a reading of the benefit realisation)
    /// around the trial's realisation.
    pub benefit_signal_sd: f64,
}

impl Default for ProgressModel {
    /// The shipped defaults (assumptions; `data/defaults.toml` restates them and a test keeps
    /// the two equal).
    fn default() -> Self {
        ProgressModel {
            progress_sd: 0.10,
            cost_concentration: 30.0,
            benefit_signal_sd: 0.15,
        }
    }
}
