//! How sure is a strategy's gain over the baseline, given that the model's parameters and the
//! mitigations' effect sizes are themselves uncertain? A nested (second-order) simulation
//! (`docs/MODEL.md` §8a): R outer draws of every uncertain quantity (the catalogue's
//! `[uncertainty]` parameters as §4b draws them, the ranged effect multipliers from their
//! triangular laws), each evaluated on m inner trials with those values held fixed. Every outer
//! draw uses the same inner trials (the same seed: common random numbers across draws), so the
//! spread of the draws' expected gains is parameter and effect uncertainty, not Monte Carlo
//! noise; the Monte Carlo part is reported beside it (the root-mean-square of the inner
//! estimates' standard errors).
//!
//! Pure: no files, no terminal. The caller passes the seed, the thread count and an
//! [`Observer`] for progress and interruption; the result is the same at any thread count.

use crate::engine::lane_rng::TrialStream;
use crate::engine::trial::CompiledScenario;
use crate::engine::{BATCH_TRIALS, Observer, batch_seed, worker_pool};
use crate::error::Error;
use crate::scenario::Scenario;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::Serialize;

use super::report::Unit;

/// Outer draws R by default.
pub const DEFAULT_DRAWS: usize = 200;
/// Inner trials m per outer draw by default.
pub const DEFAULT_TRIALS: u64 = 4_000;
/// Accepted outer draws: enough for 2.5 % and 97.5 % quantiles to mean something.
pub const DRAWS_RANGE: (usize, usize) = (40, 100_000);
/// Accepted inner trials per draw.
pub const TRIALS_RANGE: (u64, u64) = (100, 10_000_000);
/// Most outer draws × inner trials (the run's own trial limit).
pub const MAX_TOTAL_TRIALS: u64 = crate::scenario::limits::MAX_TRIALS;
/// Mixed into the run's seed for the outer draws' generators, so that they do not reuse the
/// inner trials' streams: outer draw r is seeded with `batch_seed(seed ^ OUTER_SALT, r)`.
pub const OUTER_SALT: u64 = 0xA076_1D64_78BD_642F;
/// The lower and upper quantile of the interval across draws.
pub const INTERVAL: (f64, f64) = (0.025, 0.975);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GainSettings {
    /// Outer draws R.
    pub draws: usize,
    /// Inner trials m per outer draw.
    pub trials: u64,
    /// The run's seed: the inner trials are the first m trials a run of the drawn scenario
    /// with this seed would draw.
    pub seed: u64,
    /// Worker threads; 0 = one per core. The result does not depend on it.
    pub threads: usize,
}

impl GainSettings {
    pub fn new(seed: u64) -> Self {
        GainSettings {
            draws: DEFAULT_DRAWS,
            trials: DEFAULT_TRIALS,
            seed,
            threads: 0,
        }
    }
}

/// One figure of a strategy's gain over the baseline across the outer draws.
#[derive(Debug, Clone, Serialize)]
pub struct GainFigure {
    /// The difference's id, as in `versus_baseline`: `npv_mean`, `p_success`, `overrun_mean`.
    pub id: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    /// Mean over the draws of the draw's expected difference.
    pub mean: f64,
    /// 2.5 % and 97.5 % quantiles of the draws' expected differences: the interval from
    /// parameter and effect uncertainty.
    pub low: f64,
    pub high: f64,
    /// Standard deviation of the draws' expected differences.
    pub sd: f64,
    /// The Monte Carlo part: root-mean-square over the draws of the standard error of each
    /// draw's expected difference (m inner trials).
    pub monte_carlo_se: f64,
}

/// A non-baseline strategy's gain over the baseline under parameter and effect uncertainty.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyGain {
    pub id: String,
    /// Expected ΔNPV, Δ P(success) and Δ mean overrun, in that order.
    pub figures: Vec<GainFigure>,
    /// Share of the outer draws in which the expected ΔNPV is above 0.
    pub p_npv_gain_positive: f64,
}

impl StrategyGain {
    pub fn figure(&self, id: &str) -> Option<&GainFigure> {
        self.figures.iter().find(|f| f.id == id)
    }
}

/// The nested simulation's result (`report.gain_uncertainty`, `docs/OUTPUT.md`).
#[derive(Debug, Clone, Serialize)]
pub struct GainUncertainty {
    /// Outer draws R and inner trials m per draw.
    pub draws: usize,
    pub trials_per_draw: u64,
    pub seed: u64,
    /// What each draw draws: the catalogue's uncertain parameters (by name) and the number of
    /// ranged effect multipliers.
    pub parameters: Vec<String>,
    pub effect_multipliers: usize,
    /// The non-baseline strategies, in the scenario's order.
    pub strategies: Vec<StrategyGain>,
}

/// The three figures: id, label, unit.
const FIGURES: [(&str, &str, Unit); 3] = [
    ("npv_mean", "NPV, mean", Unit::Money),
    ("p_success", "P(success)", Unit::Probability),
    ("overrun_mean", "Budget overrun, mean", Unit::Fraction),
];

/// One outer draw's expected differences and their standard errors, per non-baseline strategy
/// and figure: `[strategy][figure] = (mean, se)`.
type DrawGains = Vec<[(f64, f64); 3]>;

/// Check R and m (the option names for the messages: `--uncertainty-draws`,
/// `--uncertainty-trials`).
pub fn check(settings: &GainSettings) -> Result<(), Error> {
    let bad = |option: &str, message: String, fix: &str| Error::BadOption {
        option: option.into(),
        message,
        fix: fix.into(),
    };
    let (low, high) = DRAWS_RANGE;
    if !(low..=high).contains(&settings.draws) {
        return Err(bad(
            "--uncertainty-draws",
            format!("{} draws is outside [{low}, {high}]", settings.draws),
            "give e.g. --uncertainty-draws 200 (at least 40, so that 2.5 % and 97.5 % quantiles mean something)",
        ));
    }
    let (low, high) = TRIALS_RANGE;
    if !(low..=high).contains(&settings.trials) {
        return Err(bad(
            "--uncertainty-trials",
            format!(
                "{} trials per draw is outside [{low}, {high}]",
                settings.trials
            ),
            "give e.g. --uncertainty-trials 4000",
        ));
    }
    let total = settings.draws as u64 * settings.trials;
    if total > MAX_TOTAL_TRIALS {
        return Err(bad(
            "--uncertainty-trials",
            format!(
                "{} draws × {} trials is {total} trials, more than {MAX_TOTAL_TRIALS}",
                settings.draws, settings.trials
            ),
            "use fewer --uncertainty-draws or --uncertainty-trials",
        ));
    }
    Ok(())
}

/// The uncertain quantities of outer draw `r`: the `[uncertainty]` parameters (K standard
/// normals ε, δ = R·ε, each clamped as in §4b) and then the ranged effect multipliers (one
/// uniform each, triangular inverse CDF), from the generator seeded with
/// `batch_seed(seed ^ OUTER_SALT, r)`.
pub fn outer_draw(scenario: &Scenario, seed: u64, r: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(batch_seed(seed ^ OUTER_SALT, r));
    let parameters = match &scenario.uncertainty {
        Some(table) => {
            let normals: Vec<f64> = (0..table.len())
                .map(|_| rng.sample(StandardNormal))
                .collect();
            let mut delta = vec![0.0; table.len()];
            table.delta(&normals, &mut delta);
            table
                .parameters
                .iter()
                .zip(&delta)
                .map(|(&p, &d)| p.drawn(scenario.parameter(p), d))
                .collect()
        }
        None => Vec::new(),
    };
    let multipliers = scenario
        .ranged_multipliers()
        .iter()
        .map(|m| m.inverse_cdf(rng.random::<f64>()))
        .collect();
    (parameters, multipliers)
}

/// The expected differences to the baseline of `scenario` (nothing drawn per trial) on its first
/// `trials` trials with `seed`, drawn exactly as a run draws them, per non-baseline strategy.
fn inner(scenario: &Scenario, trials: u64, seed: u64) -> DrawGains {
    let compiled = CompiledScenario::new(scenario);
    let mut scratch = compiled.scratch();
    let mut presence = vec![0u64; compiled.strategies * compiled.factors];
    let baseline = compiled.baseline;
    let others: Vec<usize> = (0..compiled.strategies)
        .filter(|&s| s != baseline)
        .collect();
    // Welford's running mean and sum of squared deviations, per strategy and figure.
    let mut moments = vec![[(0.0f64, 0.0f64); 3]; others.len()];
    let mut count = 0.0;
    for batch in 0..trials.div_ceil(BATCH_TRIALS) {
        let mut stream = TrialStream::new(batch_seed(seed, batch), compiled.dimensions());
        for _ in 0..BATCH_TRIALS.min(trials - batch * BATCH_TRIALS) {
            compiled.draw(&mut stream, &mut scratch);
            compiled.evaluate_all(&mut scratch, &mut presence);
            count += 1.0;
            let base = &scratch.outcomes[baseline];
            let success = |o: &crate::engine::trial::Outcome| {
                f64::from(o.class == crate::engine::trial::OutcomeClass::Success)
            };
            for (m, &s) in moments.iter_mut().zip(&others) {
                let o = &scratch.outcomes[s];
                let x = [
                    o.npv - base.npv,
                    success(o) - success(base),
                    o.overrun - base.overrun,
                ];
                for ((mean, m2), x) in m.iter_mut().zip(x) {
                    let step = x - *mean;
                    *mean += step / count;
                    *m2 += step * (x - *mean);
                }
            }
        }
    }
    moments
        .iter()
        .map(|m| {
            m.map(|(mean, m2)| {
                let variance = if count > 1.0 { m2 / (count - 1.0) } else { 0.0 };
                (mean, (variance / count).sqrt())
            })
        })
        .collect()
}

/// The q-quantile of sorted values by linear interpolation between order statistics
/// (Hyndman & Fan type 7): h = (R − 1)·q, x₍⌊h⌋₎ + (h − ⌊h⌋)·(x₍⌊h⌋+1₎ − x₍⌊h⌋₎), 0-based.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        len => {
            let h = (len - 1) as f64 * q;
            let below = (h.floor() as usize).min(len - 1);
            let above = (below + 1).min(len - 1);
            sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
        }
    }
}

/// Run the nested simulation. Refused (exit code 2) when the scenario has nothing uncertain;
/// interrupted (exit code 130) when the observer asks to stop.
pub fn gain_uncertainty(
    scenario: &Scenario,
    settings: &GainSettings,
    observer: &dyn Observer,
) -> Result<GainUncertainty, Error> {
    check(settings)?;
    if !scenario.has_uncertainty() {
        return Err(crate::engine::nothing_uncertain(scenario));
    }
    // The copies each draw makes need neither the file texts nor their size.
    let mut base = scenario.clone();
    base.source_text.clear();
    base.catalogue_text = None;
    let pool = worker_pool(settings.threads)?;
    let draws: Vec<Option<DrawGains>> = pool.install(|| {
        (0..settings.draws as u64)
            .into_par_iter()
            .map(|r| {
                if observer.should_stop() {
                    return None;
                }
                let (parameters, multipliers) = outer_draw(&base, settings.seed, r);
                let fixed = base.with_draw(&parameters, &multipliers);
                let gains = inner(&fixed, settings.trials, settings.seed);
                observer.advance(settings.trials);
                Some(gains)
            })
            .collect()
    });
    let Some(draws) = draws.into_iter().collect::<Option<Vec<DrawGains>>>() else {
        return Err(Error::Interrupted {
            done: "part of the parameter-uncertainty draws".into(),
            fix: ", or use fewer --uncertainty-draws / --uncertainty-trials",
        });
    };
    Ok(summarise(scenario, settings, &draws))
}

/// Each strategy's figures across the draws.
fn summarise(scenario: &Scenario, settings: &GainSettings, draws: &[DrawGains]) -> GainUncertainty {
    let r = draws.len() as f64;
    let others = scenario
        .strategies
        .iter()
        .enumerate()
        .filter(|&(s, _)| s != scenario.baseline);
    let strategies = others
        .enumerate()
        .map(|(k, (_, strategy))| {
            let figures = FIGURES
                .iter()
                .enumerate()
                .map(|(f, &(id, label, unit))| {
                    let mut values: Vec<f64> = draws.iter().map(|d| d[k][f].0).collect();
                    let mean = values.iter().sum::<f64>() / r;
                    let sd = if draws.len() > 1 {
                        (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt()
                    } else {
                        0.0
                    };
                    let monte_carlo_se =
                        (draws.iter().map(|d| d[k][f].1.powi(2)).sum::<f64>() / r).sqrt();
                    values.sort_by(f64::total_cmp);
                    GainFigure {
                        id,
                        label,
                        unit,
                        mean,
                        low: quantile(&values, INTERVAL.0),
                        high: quantile(&values, INTERVAL.1),
                        sd,
                        monte_carlo_se,
                    }
                })
                .collect();
            let positive = draws.iter().filter(|d| d[k][0].0 > 0.0).count();
            StrategyGain {
                id: strategy.id.clone(),
                figures,
                p_npv_gain_positive: positive as f64 / r,
            }
        })
        .collect();
    GainUncertainty {
        draws: draws.len(),
        trials_per_draw: settings.trials,
        seed: settings.seed,
        parameters: scenario
            .uncertainty
            .as_ref()
            .map(|t| t.names.clone())
            .unwrap_or_default(),
        effect_multipliers: scenario.ranged_multipliers().len(),
        strategies,
    }
}
