//! The optimiser's results, as the JSON record serialises them (`docs/OPTIMIZE.md` §7).

use super::evaluate::Values;
use super::{Objective, OptimizeSettings, SearchMethod};
use crate::analysis::report::Estimate;
use serde::Serialize;

/// A candidate on the screening trials.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Screened {
    /// Bit m set = the scenario's m-th mitigation (file order) is bought.
    pub mask: u64,
    /// Σ expected cost of its mitigations.
    pub spend: f64,
    pub estimate: Estimate,
}

/// What the heuristic did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeuristicTrace {
    /// Mitigations in the core searched exhaustively (within the budget).
    pub core: usize,
    /// Steps of the unconstrained greedy path (improvement per unit cost).
    pub spanning_path: usize,
    /// Steps of the greedy path within the budget by improvement per unit cost.
    pub greedy_ratio_path: usize,
    /// Steps of the greedy path within the budget by improvement.
    pub greedy_gain_path: usize,
    /// Distinct starting subsets of the local search.
    pub local_search_starts: usize,
    /// Improving moves made by the local search (all starts).
    pub local_search_moves: usize,
    /// Distinct subsets evaluated.
    pub evaluated: usize,
}

/// The screening stage's result.
#[derive(Debug, Clone, Serialize)]
pub struct Screening {
    pub method: SearchMethod,
    /// Every subset evaluated, by mask.
    pub candidates: Vec<Screened>,
    /// The best within the budget on the screening trials.
    pub best: Screened,
    /// The efficient frontier of the evaluated subsets, by spend.
    pub frontier: Vec<Screened>,
    pub heuristic: Option<HeuristicTrace>,
}

/// Every objective of one subset, on the confirmation trials, with 95 % intervals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    // Keyed by the objective ids, which are the metric ids of `run`'s records.
    #[serde(rename = "npv_mean")]
    pub expected_npv: Estimate,
    pub p_success: Estimate,
    #[serde(rename = "overrun_p80")]
    pub p80_overrun: Estimate,
    #[serde(rename = "npv_cvar10")]
    pub cvar10_npv: Estimate,
}

impl Metrics {
    pub(super) fn from_values(values: &mut Values) -> Metrics {
        Metrics {
            expected_npv: Objective::ExpectedNpv.estimate(values),
            p_success: Objective::PSuccess.estimate(values),
            p80_overrun: Objective::P80Overrun.estimate(values),
            cvar10_npv: Objective::Cvar10Npv.estimate(values),
        }
    }

    pub fn get(&self, objective: Objective) -> Estimate {
        match objective {
            Objective::ExpectedNpv => self.expected_npv,
            Objective::PSuccess => self.p_success,
            Objective::P80Overrun => self.p80_overrun,
            Objective::Cvar10Npv => self.cvar10_npv,
        }
    }
}

/// A subset of mitigations as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Mitigation ids, in file order (empty: buy nothing).
    pub mitigations: Vec<String>,
    /// Bit m set = the m-th mitigation of the file.
    pub mask: u64,
    /// Σ of the mitigations' expected costs.
    pub spend: f64,
    pub within_budget: bool,
    /// The objective on the confirmation trials (= `metrics[objective]`).
    pub objective: Estimate,
    /// The objective on the screening trials (what the search compared).
    pub screening: Estimate,
    /// All four objectives on the confirmation trials.
    pub metrics: Metrics,
}

/// One mitigation's contribution to a frontier subset: the subset against itself without it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marginal {
    pub mitigation: String,
    /// How much better the subset is with the mitigation (positive = better), paired.
    pub gain: Estimate,
    /// The 95 % interval lies above 0.
    pub significant: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierPoint {
    pub candidate: Candidate,
    /// Per member mitigation, in file order.
    pub marginal: Vec<Marginal>,
}

/// Whether a mitigation pays anywhere on the frontier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// At some frontier point, removing it makes the objective significantly worse.
    Pays,
    /// On the frontier, but at every frontier point that contains it the loss from removing it
    /// is within noise (the 95 % interval of the paired gain reaches 0).
    WithinNoise,
    /// On no point of the frontier: at every spend a subset without it does at least as well.
    NeverOnFrontier,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MitigationVerdict {
    pub id: String,
    pub name: String,
    pub expected_cost: f64,
    pub verdict: Verdict,
    /// Frontier points (1-based, by spend) that contain it.
    pub frontier_points: Vec<usize>,
    /// The evidence: for `pays`, its gain at the cheapest frontier point where the gain is
    /// significant; for `within_noise`, its largest gain; absent for `never_on_frontier`.
    pub gain: Option<Estimate>,
    /// The frontier point (1-based) the gain belongs to.
    pub at_point: Option<usize>,
    /// In the best subset within the budget.
    pub in_best: bool,
}

/// A paired comparison of two subsets on the confirmation trials.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub against: Vec<String>,
    /// How much better the best is (positive = better), with its paired 95 % interval.
    pub gain: Estimate,
    pub significant: bool,
}

/// The result of `crmcast optimize` (documented in `docs/OPTIMIZE.md` §7).
#[derive(Debug, Clone, Serialize)]
pub struct Optimization {
    pub scenario: String,
    pub currency: String,
    pub objective: Objective,
    pub objective_label: String,
    /// "maximise" or "minimise".
    pub direction: String,
    pub settings: OptimizeSettings,
    pub method: SearchMethod,
    pub mitigation_count: usize,
    /// 2^M (as a float: up to 1.8·10¹⁹).
    pub subsets: f64,
    /// Subsets evaluated on the screening trials, and how many of them were within the budget.
    pub screened: usize,
    pub screened_within_budget: usize,
    /// Subsets re-evaluated on the confirmation trials.
    pub confirmed: usize,
    pub heuristic: Option<HeuristicTrace>,
    /// Candidate-trials evaluated in all stages.
    pub candidate_trials: u64,
    /// The best subset within the budget (on the confirmation trials, among the confirmed).
    pub best: Candidate,
    /// The best on the screening trials, when the confirmation trials preferred another.
    pub screening_best: Option<Candidate>,
    pub runner_up: Option<Candidate>,
    pub best_versus_runner_up: Option<Comparison>,
    pub best_versus_nothing: Option<Comparison>,
    /// The best subset's mitigations, each against the best without it.
    pub best_marginal: Vec<Marginal>,
    /// The confirmed subsets within the budget, best first.
    pub ranking: Vec<Candidate>,
    /// The efficient frontier of the confirmed subsets (any spend), by spend.
    pub frontier: Vec<FrontierPoint>,
    pub mitigations: Vec<MitigationVerdict>,
    /// Ids of the mitigations that never pay (`within_noise` or `never_on_frontier`).
    pub never_pay: Vec<String>,
}
