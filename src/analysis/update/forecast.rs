//! From the weighted trials to the update's result (docs/UPDATE.md): the checks of what the
//! update supports, the refusals (too few effective trials, too many trials), every option's
//! forecast, the evidence checks, the decision and the then-and-now curves.

use super::compute::{self, NPV_FORWARD, NPV_TOTAL, OVERRUN, Records, SLIP, SUCCESS, Setup};
use super::stats::Weights;
use super::{
    EvidenceCheck, OptionForecast, OptionKind, ThenAndNow, UpdateDecision, UpdateResult,
    UpdateSettings,
};
use crate::analysis::report::Estimate;
use crate::analysis::significance::significantly_better;
use crate::engine::{Ending, Observer, Sampling, Shard};
use crate::error::Error;
use crate::scenario::Scenario;
use crate::scenario::status::{FactorObservation, Status};

/// The most trials an update keeps in memory: `8·(1 + 5·(options + 1))` bytes each.
pub const MAX_UPDATE_TRIALS: u64 = 2_000_000;

/// The probabilities of the then-and-now curves: 0.01, 0.02, …, 0.99.
pub fn levels() -> Vec<f64> {
    (1..100).map(|k| k as f64 / 100.0).collect()
}

fn refuse(option: &str, message: String, fix: &str) -> Error {
    Error::BadOption {
        option: option.into(),
        message,
        fix: fix.into(),
    }
}

/// What the update does not support, refused before any work.
fn check(scenario: &Scenario, status: &Status, settings: &UpdateSettings) -> Result<(), Error> {
    let run = &settings.run;
    if status.factors.len() != scenario.factors.len() {
        return Err(Error::Internal(format!(
            "the status lists {} factors, the scenario has {}",
            status.factors.len(),
            scenario.factors.len()
        )));
    }
    if status
        .bought
        .iter()
        .any(|b| b.mitigation >= scenario.mitigations.len())
    {
        return Err(Error::Internal(
            "the status names a mitigation the scenario does not have".into(),
        ));
    }
    if run.parameter_uncertainty {
        return Err(refuse(
            "--parameter-uncertainty",
            "crmcast update does not draw the parameters per trial (the conditioning assumes fixed thresholds)".into(),
            "drop --parameter-uncertainty",
        ));
    }
    if run.sampling != Sampling::Random {
        return Err(refuse(
            "--sampling",
            format!(
                "crmcast update supports only random sampling, not {} (the conditioning moves each trial's draws, which breaks a structured design's balance)",
                run.sampling.name()
            ),
            "drop --sampling (or use --sampling random)",
        ));
    }
    if run.shard != Shard::WHOLE {
        return Err(refuse(
            "--shard",
            "crmcast update runs whole, not in shards".into(),
            "drop --shard",
        ));
    }
    if run.trials == 0 || run.trials > MAX_UPDATE_TRIALS {
        return Err(refuse(
            "--trials",
            format!(
                "crmcast update keeps every trial in memory and takes 1 to {MAX_UPDATE_TRIALS} trials, not {}",
                run.trials
            ),
            "give --trials between 10,000 and 2,000,000",
        ));
    }
    if status.elapsed_months > 0.0 && status.cost_to_date.is_some_and(|ac| ac <= 0.0) {
        return Err(Error::Data {
            path: status.origin.clone(),
            message: format!(
                "the cost to date is {} after {} months: a running project has spent something",
                status.cost_to_date.unwrap_or(0.0),
                status.elapsed_months
            ),
            fix: "give the actual cost to date, or leave it out".into(),
        });
    }
    Ok(())
}

/// Re-forecast `scenario` conditioned on `status` (the body of [`super::update`]).
pub fn update(
    scenario: &Scenario,
    status: &Status,
    settings: &UpdateSettings,
    observer: &dyn Observer,
) -> Result<UpdateResult, Error> {
    check(scenario, status, settings)?;
    let setup = Setup::new(scenario, status)?;
    let records = match compute::run(&setup, settings, observer) {
        Ok(records) => records,
        Err(Ok(done)) => {
            return Err(Error::Interrupted {
                done: format!("{done} trials"),
                fix: "",
            });
        }
        Err(Err(error)) => return Err(error),
    };
    summarise(scenario, status, settings, &setup, &records)
}

/// The observations in words, in the order of the setup's terms.
fn observation_names(scenario: &Scenario, status: &Status, setup: &Setup) -> Vec<String> {
    let mut names: Vec<String> = status
        .factors
        .iter()
        .zip(&scenario.factors)
        .filter_map(|(observation, factor)| match observation {
            FactorObservation::Unknown => None,
            FactorObservation::AbsentSoFar => Some(format!("{} absent so far", factor.id)),
            FactorObservation::Present { severity: None } => Some(format!("{} present", factor.id)),
            FactorObservation::Present { severity: Some(s) } => {
                Some(format!("{} present (severity {s})", factor.id))
            }
        })
        .collect();
    names.extend(setup.likelihood.names());
    names
}

/// Assemble the result from the weighted records.
pub fn summarise(
    scenario: &Scenario,
    status: &Status,
    settings: &UpdateSettings,
    setup: &Setup,
    records: &Records,
) -> Result<UpdateResult, Error> {
    let weights = Weights::from_logs(records.log_weights());
    let effective = weights.effective();
    let evidence: Vec<EvidenceCheck> = observation_names(scenario, status, setup)
        .into_iter()
        .zip(&records.partials)
        .map(|(observation, partial)| EvidenceCheck {
            observation,
            effective_trials: partial.effective(),
        })
        .collect();
    // NaN (no weight at all) is refused too.
    if effective.is_nan() || effective < settings.min_effective_trials {
        return Err(too_few(
            status,
            settings,
            records.trials,
            effective,
            &evidence,
        ));
    }
    let options = setup.options.len();
    let base_forward = records.column(0, NPV_FORWARD);
    let forecasts: Vec<OptionForecast> = setup
        .options
        .iter()
        .enumerate()
        .map(|(o, spec)| {
            forecast(
                &weights,
                records,
                o,
                spec.id.clone(),
                spec.kind.clone(),
                spec.added.clone(),
                &base_forward,
            )
        })
        .collect();
    let unit = Weights::unit(records.trials);
    let prior_forward = records.column(options, NPV_FORWARD);
    let prior = forecast(
        &unit,
        records,
        options,
        "continue".into(),
        OptionKind::Continue,
        Vec::new(),
        &prior_forward,
    );
    let decision = decide(&weights, records, options);
    let then_and_now = [
        ("overrun", OVERRUN),
        ("slip", SLIP),
        ("npv_total", NPV_TOTAL),
    ]
    .into_iter()
    .map(|(quantity, value)| {
        let levels = levels();
        let (then, now) = (records.column(options, value), records.column(0, value));
        let (then, now) = (unit.sorted(&then), weights.sorted(&now));
        ThenAndNow {
            quantity: quantity.into(),
            then: levels.iter().map(|&q| then.quantile(q)).collect(),
            now: levels.iter().map(|&q| now.quantile(q)).collect(),
            levels,
        }
    })
    .collect();
    Ok(UpdateResult {
        trials: records.trials as u64,
        seed: settings.run.seed,
        ending: Ending::Completed,
        effective_trials: effective,
        largest_weight_share: weights.largest_share(),
        evidence,
        prior,
        options: forecasts,
        decision,
        then_and_now,
    })
}

/// One option's forecast under `weights`; `base_forward` is continue's forward NPV per trial.
fn forecast(
    weights: &Weights,
    records: &Records,
    index: usize,
    id: String,
    kind: OptionKind,
    added_mitigations: Vec<usize>,
    base_forward: &[f64],
) -> OptionForecast {
    let column = |value| records.column(index, value);
    let forward = column(NPV_FORWARD);
    let loss: Vec<f64> = forward
        .iter()
        .map(|&x| f64::from(u8::from(x < 0.0)))
        .collect();
    let gain: Vec<f64> = forward
        .iter()
        .zip(base_forward)
        .map(|(a, b)| a - b)
        .collect();
    OptionForecast {
        id,
        kind,
        added_mitigations,
        p_success: weights.mean(&column(SUCCESS)),
        overrun: weights.distribution(&column(OVERRUN)),
        slip: weights.distribution(&column(SLIP)),
        npv_total: weights.distribution(&column(NPV_TOTAL)),
        npv_forward: weights.distribution(&forward),
        p_forward_loss: weights.mean(&loss),
        gain_over_continue: if index == 0 {
            Estimate::normal(0.0, 0.0)
        } else {
            weights.mean(&gain)
        },
    }
}

/// The best option by expected forward NPV, and its paired gain over the runner-up.
fn decide(weights: &Weights, records: &Records, options: usize) -> UpdateDecision {
    let forward: Vec<Vec<f64>> = (0..options)
        .map(|o| records.column(o, NPV_FORWARD))
        .collect();
    let means: Vec<f64> = forward.iter().map(|f| weights.mean(f).value).collect();
    let mut ranked: Vec<usize> = (0..options).collect();
    // Highest mean first; ties go to the option listed first (continue before the others).
    ranked.sort_by(|&a, &b| means[b].total_cmp(&means[a]).then(a.cmp(&b)));
    let best = ranked[0];
    let runner_up = ranked.get(1).copied();
    let gain = runner_up.map(|r| {
        let differences: Vec<f64> = forward[best]
            .iter()
            .zip(&forward[r])
            .map(|(a, b)| a - b)
            .collect();
        weights.mean(&differences)
    });
    UpdateDecision {
        best,
        runner_up,
        gain_over_runner_up: gain,
        significant: gain.is_some_and(|g| significantly_better(&g)),
    }
}

/// The refusal when the evidence leaves too few effective trials, with the fix.
fn too_few(
    status: &Status,
    settings: &UpdateSettings,
    trials: usize,
    effective: f64,
    evidence: &[EvidenceCheck],
) -> Error {
    let least = evidence
        .iter()
        .min_by(|a, b| a.effective_trials.total_cmp(&b.effective_trials));
    let listed: String = evidence
        .iter()
        .map(|e| {
            format!(
                "\n    {}: {:.0} effective trials alone",
                e.observation, e.effective_trials
            )
        })
        .collect();
    let needed = if effective > 0.0 {
        format!(
            "about {:.0}",
            (trials as f64 * settings.min_effective_trials / effective).ceil()
        )
    } else {
        "far more (no trial agrees with the status)".into()
    };
    let check = least.map_or(String::new(), |e| {
        format!(
            "; check \"{}\", the observation the model finds least believable",
            e.observation
        )
    });
    Error::OutOfRange {
        origin: status.origin.clone(),
        message: format!(
            "the status leaves {effective:.0} effective trials of {trials} (at least {:.0} are needed): the model finds this status hard to believe, and a forecast on so few trials would be noise. Per observation:{listed}",
            settings.min_effective_trials
        ),
        fix: format!(
            "raise --trials to {needed} (at most {MAX_UPDATE_TRIALS}){check}; or widen the progress model ([progress] progress_sd, cost_concentration in the scenario), or blend the outside view"
        ),
    }
}
