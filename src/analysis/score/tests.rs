//! The scores against closed forms and against simulated ledgers whose truth is known.

use super::*;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn rows_of(pairs: &[(f64, bool)]) -> Vec<Scored> {
    pairs
        .iter()
        .map(|&(p, s)| Scored {
            p_success: p,
            success: Some(s),
            ..Scored::default()
        })
        .collect()
}

#[test]
fn murphy_decomposition_by_hand() {
    // Equal forecasts within each bin: the classical decomposition is exact.
    // Bin 0: 0.05 ×2, outcomes 0,0; bin 1: 0.15 ×2, outcomes 1,0; bin 7: 0.75 ×3, outcomes
    // 1,1,0; bin 9: 0.95, outcome 1. Base rate 4/8.
    let ledger = rows_of(&[
        (0.05, false),
        (0.05, false),
        (0.15, true),
        (0.15, false),
        (0.75, true),
        (0.75, true),
        (0.75, false),
        (0.95, true),
    ]);
    let s = score(&ledger).probability.unwrap();
    // BS = (2·0.05² + 0.85² + 0.15² + 2·0.25² + 0.75² + 0.05²)/8 = 1.44/8.
    assert!(close(s.brier.value, 0.18, 1e-12));
    // REL = (2·0.05² + 2·0.35² + 3·(0.75 − 2/3)² + 0.05²)/8.
    let rel = (2.0 * 0.0025 + 2.0 * 0.1225 + 3.0 / 144.0 + 0.0025) / 8.0;
    // RES = (2·0.5² + 2·0² + 3·(2/3 − 1/2)² + 0.5²)/8.
    let res = (0.5 + 3.0 / 36.0 + 0.25) / 8.0;
    let d = s.decomposition;
    assert!(close(d.reliability.value, rel, 1e-12));
    assert!(close(d.resolution.value, res, 1e-12));
    assert!(close(d.uncertainty.value, 0.25, 1e-12));
    assert!(close(d.within_bin_variance, 0.0, 1e-15));
    assert!(close(d.within_bin_covariance, 0.0, 1e-15));
    assert!(close(s.brier_skill.value, 1.0 - 0.18 / 0.25, 1e-12));
    // Log score: −ln of the probability given to what happened, averaged.
    let log = -(2.0 * 0.95f64.ln()
        + 0.15f64.ln()
        + 0.85f64.ln()
        + 2.0 * 0.75f64.ln()
        + 0.25f64.ln()
        + 0.95f64.ln())
        / 8.0;
    assert!(close(s.log_score.value, log, 1e-12));
    assert_eq!(s.bins.len(), 4);
    assert!(close(s.bins[2].observed.value, 2.0 / 3.0, 1e-12));
    // Every interval holds its value.
    for e in [
        s.brier,
        s.brier_skill,
        d.reliability,
        d.resolution,
        s.log_score,
    ] {
        assert!(e.low <= e.value && e.value <= e.high, "{e:?}");
    }
}

#[test]
fn generalised_decomposition_by_hand() {
    // One bin holding 0.02 (miss: outcome 0) and 0.08 (outcome 1): mean forecast 0.05,
    // frequency 0.5. WBV = (0.03² + 0.03²)/2; WBC = 2·((−0.5)(−0.03) + (0.5)(0.03))/2.
    let s = score(&rows_of(&[(0.02, false), (0.08, true)]))
        .probability
        .unwrap();
    let d = s.decomposition;
    assert!(close(d.reliability.value, 0.45 * 0.45, 1e-12));
    assert!(close(d.resolution.value, 0.0, 1e-12));
    assert!(close(d.within_bin_variance, 0.0009, 1e-12));
    assert!(close(d.within_bin_covariance, 0.03, 1e-12));
    let bs = (0.02f64.powi(2) + 0.92f64.powi(2)) / 2.0;
    assert!(close(s.brier.value, bs, 1e-12));
    let sum =
        d.reliability.value - d.resolution.value + d.uncertainty.value + d.within_bin_variance
            - d.within_bin_covariance;
    assert!(close(sum, bs, 1e-12));
}

#[test]
fn clopper_pearson_known_values() {
    // 0 of 10: upper bound 1 − 0.025^(1/10); 5 of 10: the textbook (0.1871, 0.8129).
    let none = clopper_pearson(0, 10);
    assert_eq!(none.low, 0.0);
    assert!(close(none.high, 1.0 - 0.025f64.powf(0.1), 1e-6));
    let half = clopper_pearson(5, 10);
    assert!(close(half.low, 0.187_086, 1e-5), "{half:?}");
    assert!(close(half.high, 0.812_914, 1e-5), "{half:?}");
    let all = clopper_pearson(10, 10);
    assert!(close(all.low, 0.025f64.powf(0.1), 1e-6));
    assert_eq!(all.high, 1.0);
}

/// A ledger of `n` forecasts: the true P(success) is uniform on [0.05, 0.95] and the
/// forecaster states `stated(q)`; actual overrun and slip are normal around the forecast
/// median with spread σ, and the forecaster's P80 uses `spread_factor · σ`.
fn simulated(n: usize, seed: u64, stated: impl Fn(f64) -> f64, spread_factor: f64) -> Vec<Scored> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let z80 = 0.841_621_233_572_914_2;
    (0..n)
        .map(|_| {
            let q: f64 = 0.05 + 0.9 * rng.random::<f64>();
            let success = rng.random::<f64>() < q;
            let (mu_o, sd_o) = (
                0.1 + 0.4 * rng.random::<f64>(),
                0.05 + 0.3 * rng.random::<f64>(),
            );
            let (mu_s, sd_s) = (
                0.1 + 0.3 * rng.random::<f64>(),
                0.05 + 0.2 * rng.random::<f64>(),
            );
            let zo: f64 = StandardNormal.sample(&mut rng);
            let zs: f64 = StandardNormal.sample(&mut rng);
            Scored {
                p_success: stated(q),
                overrun_p50: mu_o,
                overrun_p80: mu_o + z80 * spread_factor * sd_o,
                slip_p50: mu_s,
                slip_p80: mu_s + z80 * spread_factor * sd_s,
                success: Some(success),
                overrun: Some(mu_o + sd_o * zo),
                slip: Some(mu_s + sd_s * zs),
            }
        })
        .collect()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Independent simulated ledgers per study: each verdict rests on 95 % intervals, so a
/// calibrated forecaster is wrongly flagged in about 5 % of ledgers for a coverage, and in up to
/// about 10 % for P(success) (two checks: slope and level). Over 20 ledgers, 5 or more false
/// flags has binomial probability 0.003 at p = 0.05 and 0.04 at p = 0.1: the tests allow 4.
const LEDGERS: u64 = 20;
const FALSE_FLAGS_ALLOWED: usize = 4;

#[test]
fn a_calibrated_forecaster_scores_as_calibrated() {
    let n = 400;
    let scores: Vec<Score> = (0..LEDGERS)
        .map(|seed| score(&simulated(n, 100 + seed, |q| q, 1.0)))
        .collect();
    for figure in 0..4 {
        let flagged = scores
            .iter()
            .filter(|s| s.coverage[figure].verdict != "consistent")
            .count();
        assert!(
            flagged <= FALSE_FLAGS_ALLOWED,
            "coverage {figure}: {flagged} flagged"
        );
    }
    let flagged = scores
        .iter()
        .filter(|s| s.probability.as_ref().unwrap().verdict != "consistent")
        .count();
    assert!(
        flagged <= FALSE_FLAGS_ALLOWED,
        "P(success): {flagged} flagged"
    );
    // The typical ledger in detail.
    let p = scores[0].probability.clone().unwrap();
    // Under calibration the reliability term is only sampling noise: its expectation is
    // Σ_k p̄_k(1 − p̄_k)/N ≤ BINS/(4N); allow three times that.
    for s in &scores {
        let rel = s
            .probability
            .as_ref()
            .unwrap()
            .decomposition
            .reliability
            .value;
        assert!(rel < 3.0 * BINS as f64 / (4.0 * n as f64), "{rel}");
    }
    // Brier of a calibrated forecaster with q ~ U(0.05, 0.95): E[q(1 − q)] = 0.5 − E[q²]
    // = 0.5 − (0.95³ − 0.05³)/(3·0.9) ≈ 0.1775; the mean over the ledgers within 3 SE of it.
    let expected = 0.5 - (0.95f64.powi(3) - 0.05f64.powi(3)) / (3.0 * 0.9);
    let briers: Vec<f64> = scores
        .iter()
        .map(|s| s.probability.as_ref().unwrap().brier.value)
        .collect();
    let mean = briers.iter().sum::<f64>() / LEDGERS as f64;
    let se = p.brier.se / (LEDGERS as f64).sqrt();
    assert!(
        (mean - expected).abs() < 3.0 * se,
        "{mean} vs {expected} ± {se}"
    );
    assert!(p.brier_skill.low > 0.0, "{:?}", p.brier_skill);
}

#[test]
fn an_overconfident_forecaster_is_flagged() {
    // Probabilities pushed to the extremes (logit × 2.5) and a P80 from half the real spread
    // (true coverage Φ(0.42) ≈ 0.66); the medians are right.
    let scores: Vec<Score> = (0..LEDGERS)
        .map(|seed| {
            score(&simulated(
                400,
                200 + seed,
                |q| sigmoid(2.5 * logit(q)),
                0.5,
            ))
        })
        .collect();
    let flagged = |pick: &dyn Fn(&Score) -> bool| scores.iter().filter(|s| pick(s)).count();
    let all = LEDGERS as usize;
    // Power: each of these is flagged in (nearly) every ledger.
    let p_flags = flagged(&|s| s.probability.as_ref().unwrap().verdict == "overconfident");
    assert!(
        p_flags >= all - 1,
        "P(success) overconfident in {p_flags} of {all}"
    );
    for figure in [1, 3] {
        let n = flagged(&|s| s.coverage[figure].verdict == "overconfident");
        assert!(
            n >= all - 1,
            "coverage {figure} overconfident in {n} of {all}"
        );
    }
    for figure in [0, 2] {
        let n = flagged(&|s| s.coverage[figure].verdict != "consistent");
        assert!(n <= FALSE_FLAGS_ALLOWED, "coverage {figure}: {n} flagged");
    }
    // The slope recovers the truth 1/2.5 within its error.
    let slope = scores[0]
        .probability
        .as_ref()
        .unwrap()
        .calibration_slope
        .unwrap()
        .slope;
    assert!((slope.value - 0.4).abs() < 3.0 * slope.se, "{slope:?}");
}

#[test]
fn an_underconfident_and_an_optimistic_forecaster() {
    // Probabilities shrunk to 50 % (logit × 0.4); medians set 0.8 σ too low.
    let mut rows = simulated(600, 13, |q| sigmoid(0.4 * logit(q)), 2.0);
    for r in &mut rows {
        let shift = 0.1;
        r.overrun_p50 -= shift;
    }
    let s = score(&rows);
    assert_eq!(s.probability.unwrap().verdict, "underconfident");
    // Right in spread (slope 1) but too high throughout (logit + 0.7): optimistic.
    let optimistic = simulated(400, 14, |q| sigmoid(logit(q) + 0.7), 1.0);
    assert_eq!(
        score(&optimistic).probability.unwrap().verdict,
        "optimistic"
    );
    assert_eq!(s.coverage[0].verdict, "optimistic", "{:?}", s.coverage[0]);
    assert_eq!(
        s.coverage[1].verdict, "underconfident",
        "{:?}",
        s.coverage[1]
    );
}

#[test]
fn rows_without_outcomes_and_degenerate_ledgers() {
    let mut rows = rows_of(&[(0.3, true), (0.3, true)]);
    rows.push(Scored {
        p_success: 0.9,
        ..Scored::default()
    });
    let s = score(&rows);
    let p = s.probability.unwrap();
    assert_eq!(p.n, 2);
    // All outcomes alike: no slope and no skill score, no panic.
    assert_eq!(p.verdict, "undetermined");
    assert!(p.brier_skill.value.is_nan());
    assert_eq!(s.coverage[0].verdict, "no data");
    assert!(score(&[]).probability.is_none());
}

#[test]
fn the_bootstrap_is_deterministic() {
    let rows = simulated(100, 3, |q| q, 1.0);
    assert_eq!(score(&rows), score(&rows));
}
