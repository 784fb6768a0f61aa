//! `crmcast optimize`: the best set of mitigations within a mitigation budget, on common random
//! numbers; the efficient frontier of spend against the objective; and the mitigations that
//! never pay. `docs/OPTIMIZE.md` is the contract this module implements.
//!
//! Three stages, each on its own trials of the same seed:
//! 1. **Screening** ([`screen`]): every subset (exhaustive, up to [`EXHAUSTIVE_UP_TO`]
//!    mitigations) or the subsets a heuristic visits, on `screening_trials` trials.
//! 2. **Confirmation**: the screening frontier, the `shortlist` best subsets within the budget
//!    and the empty set, re-evaluated on `confirm_trials` fresh trials (disjoint from the
//!    screening trials, so the reported values carry no selection optimism); every reported
//!    figure and interval comes from here.
//! 3. **Paired differences**: on the confirmation trials again, the best subset against the
//!    runner-up and against buying nothing, and every frontier subset against itself without
//!    each of its mitigations (which mitigations pay).

pub mod evaluate;
mod objective;
mod result;
pub mod search;
pub mod stats;
#[cfg(test)]
mod tests;

use crate::analysis::report::Estimate;
use crate::engine::BATCH_TRIALS;
use crate::error::Error;
use crate::scenario::Scenario;
use evaluate::{Evaluator, Series, Trials, members};
pub use objective::Objective;
pub use result::*;
use serde::Serialize;
use std::collections::BTreeSet;

/// Up to this many mitigations `--search auto` evaluates every subset (2^16 = 65,536).
pub const EXHAUSTIVE_UP_TO: usize = 16;
/// `--search exhaustive` is refused beyond this many mitigations (2^20 subsets).
pub const EXHAUSTIVE_LIMIT: usize = 20;
/// The share of trials in the lower tail of `npv_cvar10`.
pub const TAIL_SHARE: f64 = 0.1;
/// The quantile of `overrun_p80`.
pub const OVERRUN_QUANTILE: f64 = 0.8;

pub const DEFAULT_SCREENING_TRIALS: u64 = 4_096;
pub const DEFAULT_CONFIRM_TRIALS: u64 = 50_000;
pub const DEFAULT_SHORTLIST: usize = 20;
pub const SCREENING_TRIALS_RANGE: (u64, u64) = (256, 1_000_000);
pub const CONFIRM_TRIALS_RANGE: (u64, u64) = (1_000, 1_000_000);

/// How the subsets are searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum SearchChoice {
    /// Exhaustive up to 16 mitigations, the heuristic beyond.
    Auto,
    /// Every subset (at most 20 mitigations).
    Exhaustive,
    /// Greedy paths and local search (any number of mitigations).
    Heuristic,
}

/// How the subsets were searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMethod {
    Exhaustive,
    Heuristic,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptimizeSettings {
    pub objective: Objective,
    /// Most expected mitigation spend, in the scenario's currency.
    pub budget: f64,
    pub screening_trials: u64,
    pub confirm_trials: u64,
    /// Best subsets within the budget (by screening) that are confirmed besides the frontier.
    pub shortlist: usize,
    pub seed: u64,
    /// Worker threads; 0 = one per core. Results do not depend on it.
    #[serde(skip)]
    pub threads: usize,
    pub search: SearchChoice,
    pub parameter_uncertainty: bool,
    /// Confirm on the run's own trials (batches `0 ..`, as `run` draws them) and screen on the
    /// batches after them: `crmcast report` draws its frontier on the trials of its strategy
    /// table, so a subset that is one of the scenario's strategies gets the table's value.
    #[serde(skip)]
    pub confirm_on_run_trials: bool,
    /// Subsets confirmed besides the shortlist: the report's strategies, so that none of them
    /// can sit above a frontier that never saw it.
    #[serde(skip)]
    pub also_confirm: Vec<u64>,
}

impl OptimizeSettings {
    /// The defaults of the command line, for `objective` and `budget`.
    pub fn new(objective: Objective, budget: f64) -> Self {
        OptimizeSettings {
            objective,
            budget,
            screening_trials: DEFAULT_SCREENING_TRIALS,
            confirm_trials: DEFAULT_CONFIRM_TRIALS,
            shortlist: DEFAULT_SHORTLIST,
            seed: crate::scenario::limits::DEFAULT_SEED,
            threads: 0,
            search: SearchChoice::Auto,
            parameter_uncertainty: false,
            confirm_on_run_trials: false,
            also_confirm: Vec::new(),
        }
    }

    /// Screening trials: batches `0 ..` (after the confirmation's with `confirm_on_run_trials`).
    pub fn screening(&self) -> Trials {
        Trials {
            first_batch: if self.confirm_on_run_trials {
                self.confirm_trials.div_ceil(BATCH_TRIALS)
            } else {
                0
            },
            trials: self.screening_trials,
        }
    }

    /// Confirmation trials: the batches after the screening's, so disjoint from them (the
    /// run's, batches `0 ..`, with `confirm_on_run_trials`: disjoint all the same).
    pub fn confirmation(&self) -> Trials {
        Trials {
            first_batch: if self.confirm_on_run_trials {
                0
            } else {
                self.screening_trials.div_ceil(BATCH_TRIALS)
            },
            trials: self.confirm_trials,
        }
    }
}

/// Told about progress; asked whether to stop.
pub trait OptimizeObserver: Sync {
    /// A stage begins; `work` is its candidate-trials when known in advance.
    fn stage(&self, _name: &str, _work: Option<u64>) {}
    /// `work` more candidate-trials are done (called from worker threads).
    fn advance(&self, _work: u64) {}
    /// Ctrl-C: stop as soon as possible (the result is then an `Interrupted` error).
    fn should_stop(&self) -> bool {
        false
    }
}

/// An observer that ignores everything.
pub struct Silent;
impl OptimizeObserver for Silent {}

/// Refuse settings and scenarios the optimiser cannot work with, each with a fix.
pub fn check(scenario: &Scenario, settings: &OptimizeSettings) -> Result<(), Error> {
    let bad = |option: &str, message: String, fix: &str| Error::BadOption {
        option: option.into(),
        message,
        fix: fix.into(),
    };
    if !settings.budget.is_finite() || settings.budget < 0.0 {
        return Err(bad(
            "--budget",
            format!("{} is not an amount of money ≥ 0", settings.budget),
            "give the most you would spend on mitigations, in the scenario's currency, e.g. --budget 200000",
        ));
    }
    let m = scenario.mitigations.len();
    if m == 0 {
        return Err(bad(
            "SCENARIO",
            format!("{} has no [[mitigations]] to choose from", scenario.origin),
            "add [[mitigations]] with their cost and effects to the scenario (see scenarios/retail_chain.toml)",
        ));
    }
    if settings.search == SearchChoice::Exhaustive && m > EXHAUSTIVE_LIMIT {
        return Err(bad(
            "--search",
            format!("exhaustive search of {m} mitigations means 2^{m} subsets"),
            &format!(
                "use --search auto or heuristic (exhaustive is for at most {EXHAUSTIVE_LIMIT} mitigations)"
            ),
        ));
    }
    let (low, high) = SCREENING_TRIALS_RANGE;
    if !(low..=high).contains(&settings.screening_trials) {
        return Err(bad(
            "--trials",
            format!(
                "{} screening trials is outside [{low}, {high}]",
                settings.screening_trials
            ),
            "give e.g. --trials 4096",
        ));
    }
    let (low, high) = CONFIRM_TRIALS_RANGE;
    if !(low..=high).contains(&settings.confirm_trials) {
        return Err(bad(
            "--confirm-trials",
            format!(
                "{} confirmation trials is outside [{low}, {high}]",
                settings.confirm_trials
            ),
            "give e.g. --confirm-trials 50000",
        ));
    }
    if !(1..=1000).contains(&settings.shortlist) {
        return Err(bad(
            "--shortlist",
            format!("{} is outside [1, 1000]", settings.shortlist),
            "give e.g. --shortlist 20",
        ));
    }
    if settings.threads > 1024 {
        return Err(bad(
            "--threads",
            format!(
                "{} threads is more than any machine here has",
                settings.threads
            ),
            "give 0 (one per core) or a small number",
        ));
    }
    if settings.parameter_uncertainty && !scenario.has_uncertainty() {
        return Err(crate::engine::nothing_uncertain(scenario));
    }
    Ok(())
}

fn expected_costs(scenario: &Scenario) -> Vec<f64> {
    scenario.mitigations.iter().map(|m| m.cost.mean()).collect()
}

fn method(scenario: &Scenario, choice: SearchChoice) -> SearchMethod {
    match choice {
        SearchChoice::Exhaustive => SearchMethod::Exhaustive,
        SearchChoice::Heuristic => SearchMethod::Heuristic,
        SearchChoice::Auto if scenario.mitigations.len() <= EXHAUSTIVE_UP_TO => {
            SearchMethod::Exhaustive
        }
        SearchChoice::Auto => SearchMethod::Heuristic,
    }
}

/// Stage 1 alone: search the subsets on the screening trials.
pub fn screen(
    scenario: &Scenario,
    settings: &OptimizeSettings,
    observer: &dyn OptimizeObserver,
) -> Result<Screening, Error> {
    with_evaluator(scenario, settings, observer, |evaluator| {
        screen_with(evaluator, scenario, settings)
    })
}

/// The settings `crmcast report` draws its frontier with: the expected NPV over every subset
/// (no budget), the scenario's strategies confirmed with the shortlist, and the confirmation on
/// the run's own trials when the run drew them as the evaluator does (random sampling, from
/// batch 0, a trial count within [`CONFIRM_TRIALS_RANGE`]). Then a subset that is one of the
/// strategies gets the strategy table's value on the same trials.
pub fn frontier_settings(
    scenario: &Scenario,
    run: &crate::engine::RunSettings,
    result: &crate::engine::SimulationResult,
) -> OptimizeSettings {
    let spend_all: f64 = expected_costs(scenario).iter().sum();
    let mut settings = OptimizeSettings::new(Objective::ExpectedNpv, spend_all);
    settings.seed = run.seed;
    settings.threads = run.threads;
    settings.parameter_uncertainty = run.parameter_uncertainty;
    settings.also_confirm = scenario
        .strategies
        .iter()
        .map(|s| s.mitigations.iter().fold(0u64, |mask, &m| mask | 1 << m))
        .collect();
    let (low, high) = CONFIRM_TRIALS_RANGE;
    if run.sampling == crate::engine::Sampling::Random
        && result.batches.0 == 0
        && (low..=high).contains(&result.trials)
    {
        settings.confirm_on_run_trials = true;
        settings.confirm_trials = result.trials;
    }
    settings
}

/// Check the settings, start the worker pool and run `work` in it with an evaluator.
fn with_evaluator<T: Send>(
    scenario: &Scenario,
    settings: &OptimizeSettings,
    observer: &dyn OptimizeObserver,
    work: impl FnOnce(&Evaluator) -> Result<T, Error> + Send,
) -> Result<T, Error> {
    check(scenario, settings)?;
    crate::engine::worker_pool(settings.threads)?.install(|| {
        let evaluator = Evaluator::new(
            scenario,
            settings.parameter_uncertainty,
            settings.seed,
            rayon::current_num_threads(),
            observer,
        );
        work(&evaluator)
    })
}

fn screen_with(
    evaluator: &Evaluator,
    scenario: &Scenario,
    settings: &OptimizeSettings,
) -> Result<Screening, Error> {
    let costs = expected_costs(scenario);
    let problem = search::Problem {
        objective: settings.objective,
        costs: &costs,
        budget: settings.budget,
        trials: settings.screening(),
    };
    let method = method(scenario, settings.search);
    let (candidates, heuristic) = match method {
        SearchMethod::Exhaustive => {
            let work = (1u64 << scenario.mitigations.len()) * settings.screening_trials;
            evaluator
                .observer
                .stage("screening every subset", Some(work));
            (search::exhaustive(evaluator, &problem)?, None)
        }
        SearchMethod::Heuristic => {
            evaluator
                .observer
                .stage("screening (heuristic search)", None);
            let (candidates, trace) = search::heuristic(evaluator, &problem)?;
            (candidates, Some(trace))
        }
    };
    let objective = settings.objective;
    let key = |s: &Screened| (objective.score(s.estimate.value), s.spend, s.mask);
    let best = *candidates
        .iter()
        .filter(|s| problem.fits(s.spend))
        .min_by(|a, b| search::rank(key(a), key(b)))
        .ok_or_else(|| Error::Internal("no subset within the budget was screened".into()))?;
    let points: Vec<(u64, f64, f64)> = candidates
        .iter()
        .map(key)
        .map(|(a, b, c)| (c, b, a))
        .collect();
    let frontier = search::frontier(&points)
        .into_iter()
        .map(|i| candidates[i])
        .collect();
    Ok(Screening {
        method,
        candidates,
        best,
        frontier,
        heuristic,
    })
}

/// A confirmed subset before it is dressed for the report.
struct Confirmed {
    mask: u64,
    spend: f64,
    metrics: Metrics,
    screening: Estimate,
}

/// The whole optimisation: screening, confirmation, paired differences.
pub fn optimize(
    scenario: &Scenario,
    settings: &OptimizeSettings,
    observer: &dyn OptimizeObserver,
) -> Result<Optimization, Error> {
    with_evaluator(scenario, settings, observer, |evaluator| {
        let screening = screen_with(evaluator, scenario, settings)?;
        finish(evaluator, scenario, settings, screening)
    })
}

fn finish(
    evaluator: &Evaluator,
    scenario: &Scenario,
    settings: &OptimizeSettings,
    screening: Screening,
) -> Result<Optimization, Error> {
    let objective = settings.objective;
    let budget = settings.budget;
    let fits = |spend: f64| search::within_budget(spend, budget);
    let key = |score: f64, spend: f64, mask: u64| (score, spend, mask);

    // The shortlist: the screening frontier, the best within the budget, and buying nothing.
    let mut feasible: Vec<&Screened> = screening
        .candidates
        .iter()
        .filter(|s| fits(s.spend))
        .collect();
    feasible.sort_by(|a, b| {
        search::rank(
            key(objective.score(a.estimate.value), a.spend, a.mask),
            key(objective.score(b.estimate.value), b.spend, b.mask),
        )
    });
    let mut shortlist: BTreeSet<u64> = screening.frontier.iter().map(|s| s.mask).collect();
    shortlist.extend(feasible.iter().take(settings.shortlist).map(|s| s.mask));
    shortlist.insert(0);
    shortlist.extend(settings.also_confirm.iter().copied());
    let masks: Vec<u64> = shortlist.into_iter().collect();
    let screened_estimate = |mask: u64| {
        screening
            .candidates
            .binary_search_by_key(&mask, |s| s.mask)
            .map(|i| screening.candidates[i].estimate)
            .unwrap_or_else(|_| Estimate::normal(f64::NAN, f64::NAN))
    };

    // Stage 2: confirmation on fresh trials.
    let trials = settings.confirmation();
    evaluator.observer.stage(
        "confirming the shortlist",
        Some(masks.len() as u64 * trials.trials),
    );
    let costs = expected_costs(scenario);
    let spend = |mask: u64| -> f64 { members(mask).map(|m| costs[m]).sum() };
    let confirmed: Vec<Confirmed> =
        evaluator.each(&masks, trials, Series::ALL, |mask, values| Confirmed {
            mask,
            spend: spend(mask),
            metrics: Metrics::from_values(values),
            screening: screened_estimate(mask),
        })?;
    let score = |c: &Confirmed| objective.score(c.metrics.get(objective).value);
    let mut ranked: Vec<&Confirmed> = confirmed.iter().filter(|c| fits(c.spend)).collect();
    ranked.sort_by(|a, b| {
        search::rank(
            key(score(a), a.spend, a.mask),
            key(score(b), b.spend, b.mask),
        )
    });
    let points: Vec<(u64, f64, f64)> = confirmed
        .iter()
        .map(|c| (c.mask, c.spend, score(c)))
        .collect();
    let frontier: Vec<&Confirmed> = search::frontier(&points)
        .into_iter()
        .map(|i| &confirmed[i])
        .collect();
    let best = ranked[0];
    let runner_up = ranked.get(1).copied();

    // Stage 3: paired differences on the confirmation trials.
    let mut groups: Vec<(u64, Vec<u64>)> = Vec::new();
    let mut versus = Vec::new();
    if let Some(r) = runner_up {
        versus.push(r.mask);
    }
    if best.mask != 0 && runner_up.is_none_or(|r| r.mask != 0) {
        versus.push(0);
    }
    groups.push((best.mask, versus.clone()));
    for point in &frontier {
        groups.push((
            point.mask,
            members(point.mask)
                .map(|m| point.mask & !(1 << m))
                .collect(),
        ));
    }
    let work = evaluator.paired_work(&groups, trials, objective.series());
    evaluator.observer.stage("paired differences", Some(work));
    let gains = evaluator.paired(&groups, trials, objective.series(), |a, b| {
        objective.gain(a, b)
    })?;

    // Assemble the report.
    let ids = |mask: u64| -> Vec<String> {
        members(mask)
            .map(|m| scenario.mitigations[m].id.clone())
            .collect()
    };
    let candidate = |c: &Confirmed| Candidate {
        mitigations: ids(c.mask),
        mask: c.mask,
        spend: c.spend,
        within_budget: fits(c.spend),
        objective: c.metrics.get(objective),
        screening: c.screening,
        metrics: c.metrics,
    };
    let significant = crate::analysis::significance::significantly_better;
    let comparison = |mask: u64, gain: Estimate| Comparison {
        against: ids(mask),
        gain,
        significant: significant(&gain),
    };
    // gains[0] follows `versus`: the runner-up (if any), then the empty set (if separate).
    let best_versus_runner_up = runner_up.map(|r| comparison(r.mask, gains[0][0]));
    let best_versus_nothing = match (best.mask, runner_up) {
        (0, _) => None,
        (_, Some(r)) if r.mask == 0 => Some(comparison(0, gains[0][0])),
        _ => Some(comparison(
            0,
            *gains[0].last().expect("a gain against the empty set"),
        )),
    };
    let frontier_points: Vec<FrontierPoint> = frontier
        .iter()
        .zip(&gains[1..])
        .map(|(c, gains)| FrontierPoint {
            candidate: candidate(c),
            marginal: members(c.mask)
                .zip(gains)
                .map(|(m, gain)| Marginal {
                    mitigation: scenario.mitigations[m].id.clone(),
                    gain: *gain,
                    significant: significant(gain),
                })
                .collect(),
        })
        .collect();
    let best_marginal = frontier_points
        .iter()
        .find(|p| p.candidate.mask == best.mask)
        .map(|p| p.marginal.clone())
        .unwrap_or_default();
    let mitigations: Vec<MitigationVerdict> = scenario
        .mitigations
        .iter()
        .enumerate()
        .map(|(m, mitigation)| verdict(m, mitigation, costs[m], &frontier_points, best.mask))
        .collect();
    let never_pay = mitigations
        .iter()
        .filter(|v| v.verdict != Verdict::Pays)
        .map(|v| v.id.clone())
        .collect();
    let screening_best = (screening.best.mask != best.mask)
        .then(|| confirmed.iter().find(|c| c.mask == screening.best.mask))
        .flatten()
        .map(candidate);
    Ok(Optimization {
        scenario: scenario.name.clone(),
        currency: scenario.project.currency.clone(),
        objective,
        objective_label: objective.label().into(),
        direction: if objective.maximise() {
            "maximise"
        } else {
            "minimise"
        }
        .into(),
        settings: settings.clone(),
        method: screening.method,
        mitigation_count: scenario.mitigations.len(),
        subsets: 2f64.powi(scenario.mitigations.len() as i32),
        screened: screening.candidates.len(),
        screened_within_budget: feasible.len(),
        confirmed: confirmed.len(),
        heuristic: screening.heuristic.clone(),
        candidate_trials: evaluator
            .evaluated
            .load(std::sync::atomic::Ordering::Relaxed),
        best: candidate(best),
        screening_best,
        runner_up: runner_up.map(candidate),
        best_versus_runner_up,
        best_versus_nothing,
        best_marginal,
        ranking: ranked
            .iter()
            .take(settings.shortlist)
            .map(|c| candidate(c))
            .collect(),
        frontier: frontier_points,
        mitigations,
        never_pay,
    })
}

/// Whether mitigation `m` pays anywhere on the frontier (`docs/OPTIMIZE.md` §6).
fn verdict(
    m: usize,
    mitigation: &crate::model::Mitigation,
    expected_cost: f64,
    frontier: &[FrontierPoint],
    best: u64,
) -> MitigationVerdict {
    let mut points = Vec::new();
    let mut paying: Option<(usize, Estimate)> = None;
    let mut largest: Option<(usize, Estimate)> = None;
    for (k, point) in frontier.iter().enumerate() {
        let Some(marginal) = point
            .marginal
            .iter()
            .find(|x| x.mitigation == mitigation.id)
        else {
            continue;
        };
        points.push(k + 1);
        if marginal.significant && paying.is_none() {
            paying = Some((k + 1, marginal.gain));
        }
        if largest.is_none_or(|(_, g)| marginal.gain.value > g.value) {
            largest = Some((k + 1, marginal.gain));
        }
    }
    let (verdict, evidence) = match (paying, largest) {
        (Some(p), _) => (Verdict::Pays, Some(p)),
        (None, Some(l)) => (Verdict::WithinNoise, Some(l)),
        (None, None) => (Verdict::NeverOnFrontier, None),
    };
    MitigationVerdict {
        id: mitigation.id.clone(),
        name: mitigation.name.clone(),
        expected_cost,
        verdict,
        frontier_points: points,
        gain: evidence.map(|(_, g)| g),
        at_point: evidence.map(|(k, _)| k),
        in_best: best >> m & 1 == 1,
    }
}
