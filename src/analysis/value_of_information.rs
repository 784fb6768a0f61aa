//! The value of information for the go / no-go decision: what it is worth to know, before
//! investing, how the project will turn out (EVPI), or only whether one failure factor will
//! strike (EVPPI per factor).
//!
//! The decisions are "do not invest" (net benefit 0) and each strategy of the scenario (net
//! benefit = its NPV). With NB_d(t) decision d's net benefit on trial t of N:
//!
//! - EVPI = (1/N) Σ_t max_d NB_d(t) − max_d (1/N) Σ_t NB_d(t): deciding after seeing the trial,
//!   against deciding now.
//! - EVPPI of a binary θ (here: factor i strikes under the baseline) = Σ_θ P̂(θ) max_d mean(NB_d | θ)
//!   − max_d mean(NB_d). Because θ is binary the conditional expectations are the group means:
//!   no regression or nested simulation is needed, and the estimator is exact up to Monte Carlo
//!   error. (The maximum of estimated means is biased upwards by O(1/√N) where two decisions are
//!   close; the bootstrap SE shows the size of the noise.)
//!
//! Standard errors come from a seeded bootstrap over trials: each resample is a count of how often
//! each trial was drawn, and EVPI and every EVPPI are read from one weighted pass over it.

use crate::engine::block::{BLOCK_TRIALS, OutcomeBlock};
use crate::engine::trial::CompiledScenario;
use crate::engine::{BATCH_TRIALS, Observer, batch_seed};
use crate::error::Error;
use crate::model::vmath::LANES;
use crate::scenario::Scenario;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::Serialize;

/// A value with its bootstrap standard error.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Valued {
    pub value: f64,
    pub standard_error: f64,
}

/// Decisions' net benefits `net_benefit[d][t]` as trials, with factor 0 striking where `theta`.
fn as_trials(net_benefit: &[Vec<f64>], theta: &[bool]) -> Trials {
    let count = net_benefit.first().map_or(0, Vec::len);
    let mut trials = Trials {
        decisions: net_benefit.len(),
        nb: Vec::with_capacity(count * net_benefit.len()),
        struck: Vec::new(),
        offsets: vec![0],
    };
    for t in 0..count {
        trials.nb.extend(net_benefit.iter().map(|nb| nb[t]));
        if theta.get(t).copied().unwrap_or(false) {
            trials.struck.push(0);
        }
        trials.offsets.push(trials.struck.len());
    }
    trials
}

/// Statistic `k` of [`Trials::statistics`] (0 = EVPI, 1 + i = EVPPI of factor i) with its SE.
fn valued(trials: &Trials, factors: usize, replicates: usize, seed: u64, k: usize) -> Valued {
    let full = trials.sums(factors, &|_| 1).statistics(factors);
    let resampled = trials
        .bootstrap(factors, replicates, seed, &crate::engine::NoObserver)
        .unwrap_or_default();
    Valued {
        value: full[k],
        standard_error: standard_error(&resampled, k),
    }
}

/// EVPI of decisions whose net benefits are `net_benefit[d][t]`, with its bootstrap SE.
pub fn evpi(net_benefit: &[Vec<f64>], replicates: usize, seed: u64) -> Valued {
    valued(&as_trials(net_benefit, &[]), 0, replicates, seed, 0)
}

/// EVPPI of a binary parameter `theta[t]`, with its bootstrap SE.
pub fn evppi(net_benefit: &[Vec<f64>], theta: &[bool], replicates: usize, seed: u64) -> Valued {
    valued(&as_trials(net_benefit, theta), 1, replicates, seed, 1)
}

/// The sd (denominator R − 1) of statistic `k` over the bootstrap replicates.
fn standard_error(resampled: &[Vec<f64>], k: usize) -> f64 {
    let values: Vec<f64> = resampled.iter().map(|r| r[k]).collect();
    let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
    let variance =
        values.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (values.len().max(2) - 1) as f64;
    variance.sqrt()
}

#[derive(Debug, Clone, Serialize)]
pub struct FactorValue {
    pub factor: String,
    pub name: String,
    /// Share of trials where it strikes under the baseline.
    pub probability: f64,
    /// The best decision once it is known to strike / not to strike.
    pub decision_if_present: String,
    pub decision_if_absent: String,
    pub evppi: Valued,
}

#[derive(Debug, Clone, Serialize)]
pub struct ValueOfInformation {
    pub trials: usize,
    pub seed: u64,
    pub currency: String,
    /// The best decision now and its expected net benefit.
    pub decision_now: String,
    pub expected_net_benefit: f64,
    pub evpi: Valued,
    /// Per factor, largest first.
    pub factors: Vec<FactorValue>,
}

/// The net benefits of every decision on every trial, row-major (`nb[t * decisions + d]`,
/// decision 0 "do not invest"), and the factors that struck under the baseline on each trial
/// (`struck[offsets[t]..offsets[t + 1]]`).
struct Trials {
    decisions: usize,
    nb: Vec<f64>,
    struck: Vec<u32>,
    offsets: Vec<usize>,
}

/// Weighted sums over trials, the shared work of every statistic: per decision its total net
/// benefit, the total of the per-trial best, and per factor the total net benefit of each decision
/// over the trials where it struck.
struct Sums {
    weight: f64,
    total: Vec<f64>,
    best_per_trial: f64,
    struck: Vec<f64>,
}

impl Trials {
    /// The sums with trial `t` counted `weight(t)` times (1 for the full sample, the number of
    /// times a bootstrap resample drew it otherwise).
    fn sums(&self, factors: usize, weight: &dyn Fn(usize) -> u32) -> Sums {
        let d = self.decisions;
        let mut sums = Sums {
            weight: 0.0,
            total: vec![0.0; d],
            best_per_trial: 0.0,
            struck: vec![0.0; factors * d],
        };
        for t in 0..self.offsets.len() - 1 {
            let w = weight(t);
            if w == 0 {
                continue;
            }
            let w = f64::from(w);
            let row = &self.nb[t * d..(t + 1) * d];
            sums.weight += w;
            let mut best = f64::NEG_INFINITY;
            for (total, &x) in sums.total.iter_mut().zip(row) {
                *total += w * x;
                best = best.max(x);
            }
            sums.best_per_trial += w * best;
            for &i in &self.struck[self.offsets[t]..self.offsets[t + 1]] {
                let slot = &mut sums.struck[i as usize * d..(i as usize + 1) * d];
                for (s, &x) in slot.iter_mut().zip(row) {
                    *s += w * x;
                }
            }
        }
        sums
    }
}

fn max_of(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(f64::NEG_INFINITY, f64::max)
}

impl Sums {
    fn best_now(&self) -> f64 {
        max_of(self.total.iter().copied()) / self.weight
    }

    fn evpi(&self) -> f64 {
        self.best_per_trial / self.weight - self.best_now()
    }

    /// EVPPI of factor `i`: Σ_θ P̂(θ) max_d mean(NB_d | θ) − max_d mean(NB_d), which is
    /// (max_d S_yes,d + max_d S_no,d − max_d S_d) / n with S the group sums.
    fn evppi(&self, i: usize) -> f64 {
        let d = self.total.len();
        let yes = &self.struck[i * d..(i + 1) * d];
        let present = max_of(yes.iter().copied());
        let absent = max_of(self.total.iter().zip(yes).map(|(t, y)| t - y));
        (present + absent) / self.weight - self.best_now()
    }
}

impl Sums {
    /// EVPI first, then each factor's EVPPI.
    fn statistics(&self, factors: usize) -> Vec<f64> {
        std::iter::once(self.evpi())
            .chain((0..factors).map(|i| self.evppi(i)))
            .collect()
    }
}

impl Trials {
    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// [`Sums::statistics`] of `replicates` bootstrap resamples of the trials (replicate `r`
    /// drawn from its own stream, so the result does not depend on the threads). `None` when the
    /// observer asks to stop.
    fn bootstrap(
        &self,
        factors: usize,
        replicates: usize,
        seed: u64,
        observer: &dyn Observer,
    ) -> Option<Vec<Vec<f64>>> {
        let trials = self.len();
        (0..replicates)
            .into_par_iter()
            .map(|r| {
                if observer.should_stop() {
                    return None;
                }
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(batch_seed(seed, r as u64));
                let mut counts = vec![0u32; trials];
                for _ in 0..trials {
                    counts[rng.random_range(0..trials)] += 1;
                }
                let statistics = self.sums(factors, &|t| counts[t]).statistics(factors);
                observer.advance(trials as u64);
                Some(statistics)
            })
            .collect()
    }
}

/// The decision with the largest of `sums` (the last of equal ones).
fn best_decision(sums: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (d, x) in sums.enumerate() {
        if x >= best.1 {
            best = (d, x);
        }
    }
    best.0
}

/// Model evaluations (trials) a run with these settings makes, the simulation and one pass over
/// the trials per bootstrap replicate: what its progress bar counts to.
pub fn planned_work(trials: usize, replicates: usize) -> u64 {
    trials as u64 * (1 + replicates as u64)
}

/// Simulate `trials` trials (the engine's batches and seeds: the same trials as `run` with this
/// seed) and compute EVPI and per-factor EVPPI, with bootstrap standard errors from `replicates`
/// resamples of the trials; every statistic of a resample is read from one pass over it. The
/// `observer` is told of the work done and may stop it.
pub fn value_of_information(
    scenario: &Scenario,
    trials: usize,
    seed: u64,
    replicates: usize,
    observer: &dyn Observer,
) -> Result<ValueOfInformation, Error> {
    let interrupted = || Error::Interrupted {
        done: "part of the value-of-information trials".into(),
        fix: ", or use fewer --trials or --bootstrap replicates",
    };
    let simulated = simulate(scenario, trials, seed, observer).ok_or_else(interrupted)?;
    let factors = scenario.factors.len();
    let full = simulated.sums(factors, &|_| 1);
    let resampled = simulated
        .bootstrap(factors, replicates, seed, observer)
        .ok_or_else(interrupted)?;
    let standard_error = |k: usize| standard_error(&resampled, k);
    let decision_name = |d: usize| {
        if d == 0 {
            "do not invest".to_string()
        } else {
            scenario.strategies[d - 1].id.clone()
        }
    };
    let d = simulated.decisions;
    let mut values: Vec<FactorValue> = scenario
        .factors
        .iter()
        .enumerate()
        .map(|(i, factor)| {
            let yes = &full.struck[i * d..(i + 1) * d];
            let struck = (0..trials)
                .filter(|&t| {
                    simulated.struck[simulated.offsets[t]..simulated.offsets[t + 1]]
                        .contains(&(i as u32))
                })
                .count();
            FactorValue {
                factor: factor.id.clone(),
                name: factor.name.clone(),
                probability: struck as f64 / trials as f64,
                decision_if_present: if struck == 0 {
                    "-".into()
                } else {
                    decision_name(best_decision(yes.iter().copied()))
                },
                decision_if_absent: if struck == trials {
                    "-".into()
                } else {
                    decision_name(best_decision(
                        full.total.iter().zip(yes).map(|(t, y)| t - y),
                    ))
                },
                evppi: Valued {
                    value: full.evppi(i),
                    standard_error: standard_error(1 + i),
                },
            }
        })
        .collect();
    values.sort_by(|a, b| b.evppi.value.total_cmp(&a.evppi.value));
    Ok(ValueOfInformation {
        trials,
        seed,
        currency: scenario.project.currency.clone(),
        decision_now: decision_name(best_decision(full.total.iter().copied())),
        expected_net_benefit: full.best_now(),
        evpi: Valued {
            value: full.evpi(),
            standard_error: standard_error(0),
        },
        factors: values,
    })
}

/// The trials of the engine's batches: each strategy's NPV, and the factors that struck under
/// the baseline. `None` when the observer asks to stop.
fn simulate(
    scenario: &Scenario,
    trials: usize,
    seed: u64,
    observer: &dyn Observer,
) -> Option<Trials> {
    let compiled = CompiledScenario::new(scenario);
    let strategies = compiled.strategies;
    let factors = compiled.factors;
    let decisions = strategies + 1;
    let batches = trials.div_ceil(BATCH_TRIALS as usize);
    type Batch = (Vec<f64>, Vec<u32>, Vec<usize>);
    let per_batch: Vec<Option<Batch>> = (0..batches)
        .into_par_iter()
        .map(|batch| {
            if observer.should_stop() {
                return None;
            }
            let size = (BATCH_TRIALS as usize).min(trials - batch * BATCH_TRIALS as usize);
            let mut lanes = compiled.lane_scratch();
            let mut block = OutcomeBlock::new(strategies);
            let mut severity = vec![[0.0; LANES]; factors];
            let mut nb = Vec::with_capacity(size * decisions);
            let mut struck = Vec::new();
            let mut counts = Vec::with_capacity(size);
            let seed = batch_seed(seed, batch as u64);
            compiled.batch_in_chunks(seed, size, &mut lanes, &mut block, |_, lanes, block| {
                for (i, slot) in severity.iter_mut().enumerate() {
                    *slot = compiled.struck_lanes(lanes, scenario.baseline, i).1;
                }
                for k in 0..block.len {
                    nb.push(0.0);
                    nb.extend((0..strategies).map(|s| block.npv[s * BLOCK_TRIALS + k]));
                    let before = struck.len();
                    let hit = severity
                        .iter()
                        .enumerate()
                        .filter(|(_, lanes)| lanes[k] > 0.0);
                    struck.extend(hit.map(|(i, _)| i as u32));
                    counts.push(struck.len() - before);
                }
            });
            observer.advance(size as u64);
            Some((nb, struck, counts))
        })
        .collect();
    let mut all = Trials {
        decisions,
        nb: Vec::with_capacity(trials * decisions),
        struck: Vec::new(),
        offsets: vec![0],
    };
    for batch in per_batch {
        let (nb, struck, counts) = batch?;
        all.nb.extend(nb);
        all.struck.extend(struck);
        for count in counts {
            let last = all.offsets[all.offsets.len() - 1];
            all.offsets.push(last + count);
        }
    }
    Some(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, StandardNormal};
    use statrs::distribution::{Continuous, ContinuousCDF, Normal};

    fn normals(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
    }

    /// One risky decision NB ~ N(μ, σ²) against 0: EVPI = μΦ(μ/σ) + σφ(μ/σ) − max(μ, 0).
    #[test]
    fn evpi_of_a_normal_net_benefit() {
        let (mu, sigma) = (30.0, 100.0);
        let nb: Vec<f64> = normals(200_000, 1).iter().map(|z| mu + sigma * z).collect();
        let result = evpi(&[vec![0.0; nb.len()], nb], 100, 2);
        let standard = Normal::standard();
        let exact = mu * standard.cdf(mu / sigma) + sigma * standard.pdf(mu / sigma) - mu;
        assert!(
            (result.value - exact).abs() < 4.0 * result.standard_error,
            "{result:?} vs {exact}"
        );
    }

    /// NB_go = a + bθ + ε with θ ~ Bernoulli(p): EVPPI(θ) = p·max(a + b, 0) + (1 − p)·max(a, 0)
    /// − max(a + bp, 0); an unrelated θ is worth nothing; EVPPI ≤ EVPI.
    #[test]
    fn evppi_of_a_binary_parameter() {
        let (a, b, p) = (40.0, -100.0, 0.3);
        let n = 200_000;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let theta: Vec<bool> = (0..n).map(|_| rng.random::<f64>() < p).collect();
        let unrelated: Vec<bool> = (0..n).map(|_| rng.random::<f64>() < 0.5).collect();
        let noise = normals(n, 4);
        let nb: Vec<f64> = (0..n)
            .map(|t| a + if theta[t] { b } else { 0.0 } + 50.0 * noise[t])
            .collect();
        let decisions = [vec![0.0; n], nb];
        let result = evppi(&decisions, &theta, 100, 5);
        let exact =
            p * f64::max(a + b, 0.0) + (1.0 - p) * f64::max(a, 0.0) - f64::max(a + b * p, 0.0);
        assert!(
            (result.value - exact).abs() < 4.0 * result.standard_error,
            "{result:?} vs {exact}"
        );
        let nothing = evppi(&decisions, &unrelated, 100, 6);
        assert!(
            nothing.value.abs() < 4.0 * nothing.standard_error + 1e-9,
            "{nothing:?}"
        );
        assert!(result.value <= evpi(&decisions, 10, 7).value);
    }
}
