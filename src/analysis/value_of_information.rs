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
//! Standard errors come from a seeded bootstrap over trials.

use crate::engine::trial::CompiledScenario;
use crate::engine::{BATCH_TRIALS, batch_seed};
use crate::scenario::Scenario;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::Serialize;

/// EVPI of decisions whose net benefits are `net_benefit[d][t]`, over the trials in `rows`.
fn evpi_on(net_benefit: &[Vec<f64>], rows: &[usize]) -> f64 {
    let n = rows.len() as f64;
    let with_information = rows
        .iter()
        .map(|&t| {
            net_benefit
                .iter()
                .map(|nb| nb[t])
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .sum::<f64>()
        / n;
    with_information - best_mean(net_benefit, rows)
}

fn best_mean(net_benefit: &[Vec<f64>], rows: &[usize]) -> f64 {
    let n = rows.len() as f64;
    net_benefit
        .iter()
        .map(|nb| rows.iter().map(|&t| nb[t]).sum::<f64>() / n)
        .fold(f64::NEG_INFINITY, f64::max)
}

/// EVPPI of a binary parameter `theta[t]`, over the trials in `rows`.
fn evppi_on(net_benefit: &[Vec<f64>], theta: &[bool], rows: &[usize]) -> f64 {
    let (yes, no): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&t| theta[t]);
    let n = rows.len() as f64;
    let part = |group: &[usize]| {
        if group.is_empty() {
            0.0
        } else {
            group.len() as f64 / n * best_mean(net_benefit, group)
        }
    };
    part(&yes) + part(&no) - best_mean(net_benefit, rows)
}

/// A value with its bootstrap standard error.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Valued {
    pub value: f64,
    pub standard_error: f64,
}

/// `statistic` on all trials, with the sd of `replicates` bootstrap resamples as its SE.
fn bootstrapped(
    trials: usize,
    replicates: usize,
    seed: u64,
    statistic: &(dyn Fn(&[usize]) -> f64 + Sync),
) -> Valued {
    let all: Vec<usize> = (0..trials).collect();
    let value = statistic(&all);
    let samples: Vec<f64> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(batch_seed(seed, r as u64));
            let rows: Vec<usize> = (0..trials).map(|_| rng.random_range(0..trials)).collect();
            statistic(&rows)
        })
        .collect();
    let mean = samples.iter().sum::<f64>() / samples.len().max(1) as f64;
    let variance =
        samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (samples.len().max(2) - 1) as f64;
    Valued {
        value,
        standard_error: variance.sqrt(),
    }
}

/// EVPI with its bootstrap SE.
pub fn evpi(net_benefit: &[Vec<f64>], replicates: usize, seed: u64) -> Valued {
    let trials = net_benefit.first().map_or(0, Vec::len);
    bootstrapped(trials, replicates, seed, &|rows| evpi_on(net_benefit, rows))
}

/// EVPPI of a binary parameter with its bootstrap SE.
pub fn evppi(net_benefit: &[Vec<f64>], theta: &[bool], replicates: usize, seed: u64) -> Valued {
    let trials = theta.len();
    bootstrapped(trials, replicates, seed, &|rows| {
        evppi_on(net_benefit, theta, rows)
    })
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

/// Simulate `trials` trials (the engine's batches and seeds: the same trials as `run` with this
/// seed) and compute EVPI and per-factor EVPPI.
pub fn value_of_information(
    scenario: &Scenario,
    trials: usize,
    seed: u64,
    replicates: usize,
) -> ValueOfInformation {
    let compiled = CompiledScenario::new(scenario);
    let strategies = compiled.strategies;
    let factors = compiled.factors;
    let batches = trials.div_ceil(BATCH_TRIALS as usize);
    // Per batch: each strategy's NPVs, and each factor's strikes under the baseline.
    type Batch = (Vec<Vec<f64>>, Vec<Vec<bool>>);
    let per_batch: Vec<Batch> = (0..batches)
        .into_par_iter()
        .map(|batch| {
            let size = (BATCH_TRIALS as usize).min(trials - batch * BATCH_TRIALS as usize);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(batch_seed(seed, batch as u64));
            let mut scratch = compiled.scratch();
            let mut presence = vec![0u64; strategies * factors];
            let mut severities = vec![0.0; factors];
            let mut npv = vec![Vec::with_capacity(size); strategies];
            let mut present = vec![Vec::with_capacity(size); factors];
            for _ in 0..size {
                compiled.draw(&mut rng, &mut scratch);
                compiled.evaluate_all(&mut scratch, &mut presence);
                for (s, column) in npv.iter_mut().enumerate() {
                    column.push(scratch.outcomes[s].npv);
                }
                compiled.severities(&scratch, scenario.baseline, &mut severities);
                for (i, column) in present.iter_mut().enumerate() {
                    column.push(severities[i] > 0.0);
                }
            }
            (npv, present)
        })
        .collect();
    // Decision 0 is "do not invest"; decision 1 + s is strategy s.
    let mut net_benefit = vec![vec![0.0; trials]];
    net_benefit.extend((0..strategies).map(|s| {
        per_batch
            .iter()
            .flat_map(|(npv, _)| npv[s].iter().copied())
            .collect::<Vec<f64>>()
    }));
    let theta: Vec<Vec<bool>> = (0..factors)
        .map(|i| {
            per_batch
                .iter()
                .flat_map(|(_, present)| present[i].iter().copied())
                .collect()
        })
        .collect();
    let decision_name = |d: usize| {
        if d == 0 {
            "do not invest".to_string()
        } else {
            scenario.strategies[d - 1].id.clone()
        }
    };
    let best_decision = |rows: &[usize]| {
        (0..net_benefit.len())
            .max_by(|&a, &b| {
                let mean = |d: usize| rows.iter().map(|&t| net_benefit[d][t]).sum::<f64>();
                mean(a).total_cmp(&mean(b))
            })
            .unwrap_or(0)
    };
    let all: Vec<usize> = (0..trials).collect();
    let now = best_decision(&all);
    let mut values: Vec<FactorValue> = scenario
        .factors
        .iter()
        .zip(&theta)
        .map(|(factor, theta)| {
            let (yes, no): (Vec<usize>, Vec<usize>) = all.iter().partition(|&&t| theta[t]);
            FactorValue {
                factor: factor.id.clone(),
                name: factor.name.clone(),
                probability: yes.len() as f64 / trials as f64,
                decision_if_present: if yes.is_empty() {
                    "-".into()
                } else {
                    decision_name(best_decision(&yes))
                },
                decision_if_absent: if no.is_empty() {
                    "-".into()
                } else {
                    decision_name(best_decision(&no))
                },
                evppi: evppi(&net_benefit, theta, replicates, seed),
            }
        })
        .collect();
    values.sort_by(|a, b| b.evppi.value.total_cmp(&a.evppi.value));
    ValueOfInformation {
        trials,
        seed,
        currency: scenario.project.currency.clone(),
        decision_now: decision_name(now),
        expected_net_benefit: best_mean(&net_benefit, &all),
        evpi: evpi(&net_benefit, replicates, seed),
        factors: values,
    }
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
