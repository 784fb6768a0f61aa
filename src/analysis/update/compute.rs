//! The update's trial loop (docs/UPDATE.md): the options from now as a derived scenario, each
//! trial drawn as `crmcast run` draws it, conditioned on the status (engine::condition),
//! evaluated under every option on common random numbers, weighted by the progress model's
//! likelihood, and recorded per trial for the weighted statistics.
//!
//! Batches run in parallel like `engine::simulate`; each fills its own slice of the records and
//! its own evidence partials, so the result does not depend on the thread count.

use super::money::Money;
use super::weights::{Likelihood, Partial, PlanTrial};
use super::{OptionKind, UpdateSettings};
use crate::engine::condition::{self, Conditioning, FactorState, RawDraw};
use crate::engine::lane_rng::TrialStream;
use crate::engine::trial::{CompiledScenario, Outcome, TrialScratch};
use crate::engine::{BATCH_TRIALS, Observer, batch_seed, worker_pool};
use crate::error::Error;
use crate::model::Strategy;
use crate::model::distribution::Continuous;
use crate::scenario::Scenario;
use crate::scenario::status::{FactorObservation, Status};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// Values recorded per option and trial: overrun, slip, whole-life NPV, forward NPV, success.
pub const VALUES: usize = 5;
pub const OVERRUN: usize = 0;
pub const SLIP: usize = 1;
pub const NPV_TOTAL: usize = 2;
pub const NPV_FORWARD: usize = 3;
pub const SUCCESS: usize = 4;

/// One option from now as the derived scenario holds it.
#[derive(Debug, Clone)]
pub struct OptionSpec {
    pub id: String,
    pub kind: OptionKind,
    pub added: Vec<usize>,
}

/// The scenario with its strategies replaced by the options from now: continue (the baseline
/// plus the bought mitigations, whose cost is their actual cost), then each strategy still
/// possible (continue's mitigations plus the strategy's), then stop (not a strategy: its
/// figures need no trial evaluation).
pub fn options_scenario(scenario: &Scenario, status: &Status) -> (Scenario, Vec<OptionSpec>) {
    let mut derived = scenario.clone();
    for bought in &status.bought {
        derived.mitigations[bought.mitigation].cost = Continuous::Fixed { value: bought.cost };
    }
    let baseline = &scenario.strategies[scenario.baseline];
    let mut plan = baseline.mitigations.clone();
    for bought in &status.bought {
        if !plan.contains(&bought.mitigation) {
            plan.push(bought.mitigation);
        }
    }
    let mut strategies = vec![Strategy {
        id: "continue".into(),
        name: "Continue as planned".into(),
        description: "The plan as it stands: the baseline and the mitigations bought.".into(),
        mitigations: plan.clone(),
    }];
    let mut specs = vec![OptionSpec {
        id: "continue".into(),
        kind: OptionKind::Continue,
        added: Vec::new(),
    }];
    for (s, strategy) in scenario.strategies.iter().enumerate() {
        if s == scenario.baseline {
            continue;
        }
        let added: Vec<usize> = strategy
            .mitigations
            .iter()
            .copied()
            .filter(|m| !plan.contains(m))
            .collect();
        if added.is_empty() {
            continue;
        }
        let mut mitigations = plan.clone();
        mitigations.extend_from_slice(&added);
        strategies.push(Strategy {
            mitigations,
            ..strategy.clone()
        });
        specs.push(OptionSpec {
            id: strategy.id.clone(),
            kind: OptionKind::Strategy { strategy: s },
            added,
        });
    }
    derived.strategies = strategies;
    derived.baseline = 0;
    specs.push(OptionSpec {
        id: "stop".into(),
        kind: OptionKind::Stop,
        added: Vec::new(),
    });
    (derived, specs)
}

/// Everything a batch needs, shared read-only by the workers.
pub struct Setup {
    pub compiled: CompiledScenario,
    pub conditioning: Conditioning,
    pub likelihood: Likelihood,
    pub money: Money,
    pub options: Vec<OptionSpec>,
    /// Observations: the factors observed, then the likelihood's terms.
    pub observations: usize,
}

impl Setup {
    /// Values per trial: the log weight, every option's values (stop last), then the plan's
    /// values on the unconditioned trial (the prior).
    pub fn stride(&self) -> usize {
        1 + VALUES * (self.options.len() + 1)
    }

    pub fn new(scenario: &Scenario, status: &Status) -> Result<Setup, Error> {
        let (derived, options) = options_scenario(scenario, status);
        let compiled = CompiledScenario::new(&derived);
        let states = factor_states(scenario, status, &compiled)?;
        let p = &scenario.project;
        let fraction = (status.elapsed_months / p.duration_months).min(1.0);
        let conditioning = Conditioning::new(0, fraction, states);
        let likelihood = Likelihood::new(
            status.elapsed_months,
            p.duration_months,
            p.budget,
            status.progress,
            status.cost_to_date,
            status.benefit_signal,
            scenario.progress,
        );
        let observations = conditioning.observed_factors().count() + likelihood.len();
        let money = Money::new(scenario, status);
        Ok(Setup {
            compiled,
            conditioning,
            likelihood,
            money,
            options,
            observations,
        })
    }
}

/// The factor states the conditioning needs, checked against the plan's severity laws.
pub fn factor_states(
    scenario: &Scenario,
    status: &Status,
    compiled_plan: &CompiledScenario,
) -> Result<Vec<FactorState>, Error> {
    let mut states = Vec::with_capacity(status.factors.len());
    for (i, observation) in status.factors.iter().enumerate() {
        let state = match *observation {
            FactorObservation::Unknown => FactorState::Unknown,
            FactorObservation::AbsentSoFar => FactorState::AbsentSoFar,
            FactorObservation::Present { severity } => {
                if status.elapsed_months <= 0.0 {
                    return Err(Error::Data {
                        path: status.origin.clone(),
                        message: format!(
                            "factor \"{}\" is reported present at 0 months elapsed: nothing can have struck yet",
                            scenario.factors[i].id
                        ),
                        fix: "give the months elapsed (elapsed_months), or mark the factor unknown"
                            .into(),
                    });
                }
                let severity_uniform = match severity {
                    None => None,
                    Some(s) => {
                        let scale = compiled_plan.severity_scale(0, i);
                        let law = compiled_plan.severity_law(i);
                        let v = (scale > 0.0)
                            .then(|| condition::severity_uniform(law, s / scale))
                            .flatten();
                        match v {
                            Some(v) => Some(v),
                            None => {
                                return Err(Error::Data {
                                    path: status.origin.clone(),
                                    message: format!(
                                        "factor \"{}\": an observed severity of {s} is outside what the model allows ({law:?}, times {scale} for the mitigations bought)",
                                        scenario.factors[i].id
                                    ),
                                    fix: "check the severity (a fraction in [0, 1] of the factor's worst case), or leave it out".into(),
                                });
                            }
                        }
                    }
                };
                FactorState::Present { severity_uniform }
            }
        };
        states.push(state);
    }
    Ok(states)
}

/// One worker's scratch, reused for every batch it takes.
pub struct Worker {
    scratch: TrialScratch,
    presence: Vec<u64>,
    raw: RawDraw,
    locked: Vec<usize>,
    terms: Vec<f64>,
}

impl Worker {
    pub fn new(setup: &Setup) -> Worker {
        Worker {
            scratch: setup.compiled.scratch(),
            presence: vec![0; setup.compiled.strategies * setup.compiled.factors],
            raw: RawDraw::default(),
            locked: Vec::new(),
            terms: vec![0.0; setup.observations],
        }
    }

    /// Run batch `batch` into `records` (one stride per trial) and `partials` (one per
    /// observation).
    pub fn run_batch(
        &mut self,
        setup: &Setup,
        seed: u64,
        batch: u64,
        records: &mut [f64],
        partials: &mut [Partial],
    ) {
        let compiled = &setup.compiled;
        let conditioning = &setup.conditioning;
        let stride = setup.stride();
        let strategies = compiled.strategies;
        let observed = self.terms.len() - setup.likelihood.len();
        let mut stream = TrialStream::new(batch_seed(seed, batch), compiled.dimensions());
        let mut side = Xoshiro256PlusPlus::seed_from_u64(condition::side_seed(seed, batch));
        let separate_prior = !conditioning.leaves_plan_alone();
        for record in records.chunks_exact_mut(stride) {
            compiled.draw_raw(stream.next_trial(), &mut self.scratch);
            conditioning.locks(&mut side, &mut self.locked);
            let (head, rest) = record.split_at_mut(1);
            let (values, prior) = rest.split_at_mut(VALUES * (strategies + 1));
            if separate_prior {
                // The plan on the trial as drawn: the prior before the evidence.
                self.raw.save(&self.scratch);
                compiled.finish_draw(&mut self.scratch);
                compiled.evaluate_all(&mut self.scratch, &mut self.presence);
                let plan = self.plan_trial(compiled);
                setup
                    .money
                    .option(&self.scratch, compiled, 0, &[], &plan, &plan, false, prior);
                self.raw.restore(&mut self.scratch);
            }
            let mut log_weight =
                conditioning.condition(compiled, &mut self.scratch, &mut self.terms[..observed]);
            conditioning.lock(compiled, &mut self.scratch, &self.locked);
            compiled.finish_draw(&mut self.scratch);
            compiled.evaluate_all(&mut self.scratch, &mut self.presence);
            conditioning.unlock(compiled, &mut self.scratch, &self.locked);
            let plan = self.plan_trial(compiled);
            log_weight += setup.likelihood.terms(&plan, &mut self.terms[observed..]);
            head[0] = log_weight;
            for (o, option) in setup.options.iter().enumerate().take(strategies) {
                let trial = PlanTrial {
                    cost_ratio: 1.0 + self.scratch.outcomes[o].overrun,
                    duration_ratio: 1.0 + self.scratch.outcomes[o].slip,
                    realisation: compiled.realisation_before_cut(&self.scratch, o),
                };
                setup.money.option(
                    &self.scratch,
                    compiled,
                    o,
                    &option.added,
                    &trial,
                    &plan,
                    true,
                    &mut values[o * VALUES..(o + 1) * VALUES],
                );
            }
            setup.money.stop(
                &plan,
                &mut values[strategies * VALUES..(strategies + 1) * VALUES],
            );
            if !separate_prior {
                // Conditioning moved nothing the plan reads (locks act on the other options
                // only): this evaluation is the unconditioned trial's for the plan.
                setup
                    .money
                    .option(&self.scratch, compiled, 0, &[], &plan, &plan, false, prior);
            }
            for (partial, &term) in partials.iter_mut().zip(self.terms.iter()) {
                partial.add(term);
            }
        }
    }

    fn plan_trial(&self, compiled: &CompiledScenario) -> PlanTrial {
        let o: &Outcome = &self.scratch.outcomes[0];
        PlanTrial {
            cost_ratio: 1.0 + o.overrun,
            duration_ratio: 1.0 + o.slip,
            realisation: compiled.realisation_before_cut(&self.scratch, 0),
        }
    }
}

/// What the trial loop produced.
pub struct Records {
    pub trials: usize,
    pub stride: usize,
    pub values: Vec<f64>,
    /// Per observation, merged over batches in order.
    pub partials: Vec<Partial>,
}

/// Run every trial (in parallel over batches); `Err(done)` when the observer interrupted after
/// `done` trials.
pub fn run(
    setup: &Setup,
    settings: &UpdateSettings,
    observer: &dyn Observer,
) -> Result<Records, Result<u64, Error>> {
    let trials = settings.run.trials as usize;
    let stride = setup.stride();
    let batches = trials.div_ceil(BATCH_TRIALS as usize);
    let mut values = vec![0.0; trials * stride];
    let mut partials = vec![vec![Partial::default(); setup.observations]; batches];
    let pool = worker_pool(settings.run.threads).map_err(Err)?;
    let interrupted = AtomicBool::new(false);
    let done = std::sync::atomic::AtomicU64::new(0);
    let seed = settings.run.seed;
    pool.install(|| {
        values
            .par_chunks_mut(BATCH_TRIALS as usize * stride)
            .zip(partials.par_iter_mut())
            .enumerate()
            .for_each_init(
                || Worker::new(setup),
                |worker, (batch, (records, partial))| {
                    if interrupted.load(Ordering::Relaxed) || observer.should_stop() {
                        interrupted.store(true, Ordering::Relaxed);
                        return;
                    }
                    worker.run_batch(setup, seed, batch as u64, records, partial);
                    let size = (records.len() / stride) as u64;
                    done.fetch_add(size, Ordering::Relaxed);
                    observer.advance(size);
                },
            )
    });
    if interrupted.load(Ordering::Relaxed) {
        return Err(Ok(done.load(Ordering::Relaxed)));
    }
    let mut merged = vec![Partial::default(); setup.observations];
    for batch in &partials {
        for (total, part) in merged.iter_mut().zip(batch) {
            total.merge(part);
        }
    }
    Ok(Records {
        trials,
        stride,
        values,
        partials: merged,
    })
}

impl Records {
    /// Column `value` of option `option` (stop is `options − 1`; the prior is `options`).
    pub fn column(&self, option: usize, value: usize) -> Vec<f64> {
        let offset = 1 + option * VALUES + value;
        self.values
            .chunks_exact(self.stride)
            .map(|r| r[offset])
            .collect()
    }

    pub fn log_weights(&self) -> impl Iterator<Item = f64> + Clone + '_ {
        self.values.chunks_exact(self.stride).map(|r| r[0])
    }
}

/// Every trial on this thread, batch after batch: the same records as [`run`] (which only
/// spreads the batches over threads), for callers that parallelise over many small updates.
pub fn run_serial(setup: &Setup, seed: u64, trials: usize) -> Records {
    let stride = setup.stride();
    let mut values = vec![0.0; trials * stride];
    let mut merged = vec![Partial::default(); setup.observations];
    let mut worker = Worker::new(setup);
    let mut partial = vec![Partial::default(); setup.observations];
    for (batch, records) in values
        .chunks_mut(BATCH_TRIALS as usize * stride)
        .enumerate()
    {
        partial.fill(Partial::default());
        worker.run_batch(setup, seed, batch as u64, records, &mut partial);
        for (total, part) in merged.iter_mut().zip(&partial) {
            total.merge(part);
        }
    }
    Records {
        trials,
        stride,
        values,
        partials: merged,
    }
}
