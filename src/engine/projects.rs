//! Project records drawn from a known truth: each record is one trial of a scenario under one
//! strategy, as a past project would be documented — which factors struck and how hard (the
//! severity, 0 when absent), and the outcome. `crmcast simulate-projects` writes them as CSV;
//! parameter-recovery tests fit them back. Pure: the caller supplies the seed.

use super::lane_rng::TrialStream;
use super::trial::{CompiledScenario, Outcome, OutcomeClass};
use crate::scenario::Scenario;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One simulated project.
#[derive(Debug, Clone)]
pub struct ProjectRecord {
    /// Per factor, in catalogue order: the severity in (0, 1] when it struck, 0 when not, and
    /// `None` when the rating is missing (see [`simulate_projects`]'s `missing_share`).
    pub ratings: Vec<Option<f64>>,
    pub class: OutcomeClass,
    pub outcome: Outcome,
}

/// Draw `count` projects of `scenario` under strategy `strategy`, from the RNG seeded with
/// `seed`. Each rating is then hidden with probability `missing_share` (missing completely at
/// random) by a second RNG stream, so the projects themselves do not depend on it.
pub fn simulate_projects(
    scenario: &Scenario,
    strategy: usize,
    count: usize,
    seed: u64,
    missing_share: f64,
) -> Vec<ProjectRecord> {
    let compiled = CompiledScenario::new(scenario);
    let mut scratch = compiled.scratch();
    let mut presence = vec![0u64; compiled.strategies * compiled.factors];
    let mut stream = TrialStream::new(seed, compiled.dimensions());
    let mut hide = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5EED_0F4D_1551_11AA);
    let mut severities = vec![0.0; compiled.factors];
    (0..count)
        .map(|_| {
            compiled.draw(&mut stream, &mut scratch);
            compiled.evaluate_all(&mut scratch, &mut presence);
            compiled.severities(&scratch, strategy, &mut severities);
            let outcome = scratch.outcomes[strategy];
            let ratings = severities
                .iter()
                .map(|&s| (hide.random::<f64>() >= missing_share).then_some(s))
                .collect();
            ProjectRecord {
                ratings,
                class: outcome.class,
                outcome,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_rates_match_the_catalogue_and_missing_share_hides_ratings() {
        let scenario = Scenario::builtin_default().expect("default");
        let n = 20_000;
        let records = simulate_projects(&scenario, scenario.baseline, n, 9, 0.1);
        for (i, factor) in scenario.factors.iter().enumerate() {
            let rated: Vec<f64> = records.iter().filter_map(|r| r.ratings[i]).collect();
            let present = rated.iter().filter(|&&s| s > 0.0).count() as f64 / rated.len() as f64;
            let p = factor.probability;
            let se = (p * (1.0 - p) / rated.len() as f64).sqrt();
            assert!(
                (present - p).abs() < 4.0 * se,
                "{}: {present} vs {p}",
                factor.id
            );
        }
        let hidden = records
            .iter()
            .flat_map(|r| &r.ratings)
            .filter(|r| r.is_none())
            .count() as f64;
        let cells = (n * scenario.factors.len()) as f64;
        let se = (0.1 * 0.9 / cells).sqrt();
        assert!((hidden / cells - 0.1).abs() < 4.0 * se);
        // The projects do not depend on the missing share.
        let complete = simulate_projects(&scenario, scenario.baseline, 50, 9, 0.0);
        for (a, b) in complete.iter().zip(&records) {
            assert_eq!(a.outcome, b.outcome);
        }
    }
}
