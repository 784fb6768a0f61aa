//! What `crmcast update` shows (docs/UPDATE.md): the status and how much the evidence leaves of
//! the trials, the recommendation from now in plain words, the plan before and after the
//! evidence ("then and now"), every option from now, and each observation's agreement with the
//! model. The JSON record ([`UpdateRecord`]: the [`UpdateResult`] with the run's facts) and the
//! CSV rows ([`UpdateCsvRecord`]) are the notebooks' contract, documented in docs/OUTPUT.md.

use super::format::money;
use super::names::strategy_name;
use super::{Document, Section};
use crate::analysis::report::{Estimate, Unit};
use crate::analysis::update::{Distribution, OptionForecast, OptionKind, UpdateResult};
use crate::scenario::Scenario;
use crate::scenario::status::Status;
use serde::Serialize;

mod records;
use records::csv_cells;
pub use records::{CSV_COLUMNS, UpdateCsvRecord, csv};

/// Below this share of the trials left effective, the header warns that the forecast rests on
/// few trials (the update itself refuses below `--min-effective-trials`).
pub const LOW_EFFECTIVE_SHARE: f64 = 0.10;

/// The facts of the run beside the result (JSON `run`): names and file names, never folders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateRun {
    pub crmcast_version: &'static str,
    pub scenario: String,
    /// The scenario's file name (no folder), or "built-in default scenario".
    pub scenario_file: String,
    /// The status file's name (no folder).
    pub status_file: String,
    /// The status date as written in the file, if any.
    pub status_date: Option<String>,
    pub elapsed_months: f64,
    pub planned_months: f64,
    pub cost_to_date: Option<f64>,
    pub progress: Option<f64>,
    pub benefit_signal: Option<f64>,
    pub bought: Vec<BoughtLabel>,
    pub currency: String,
    pub budget: f64,
    pub salvage_value: f64,
    pub seed: u64,
    pub trials: u64,
    pub min_effective_trials: f64,
    /// Per option of the result (same order): its id, display name and the mitigation ids it
    /// buys now.
    pub options: Vec<OptionLabel>,
}

/// A mitigation already bought, by id, with what it cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoughtLabel {
    pub mitigation: String,
    pub cost: f64,
}

/// An option's display name and the mitigations it adds, by id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionLabel {
    pub id: String,
    pub name: String,
    pub added_mitigations: Vec<String>,
}

/// The JSON record of `crmcast update --format json`: `run` and every field of the result.
#[derive(Debug, Serialize)]
pub struct UpdateRecord<'a> {
    pub run: UpdateRun,
    #[serde(flatten)]
    pub result: &'a UpdateResult,
}

/// The file name of `origin` without its folder ("built-in default scenario" stays as it is).
pub fn file_name(origin: &str) -> String {
    std::path::Path::new(origin).file_name().map_or_else(
        || origin.to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// An option's display name: "Continue as is", "Add <strategy name>", "Stop now".
pub fn option_name(scenario: &Scenario, option: &OptionForecast) -> String {
    match option.kind {
        OptionKind::Continue => "Continue as is".into(),
        OptionKind::Strategy { strategy } => scenario.strategies.get(strategy).map_or_else(
            || format!("Add {}", option.id),
            |s| format!("Add {}", s.name),
        ),
        OptionKind::Stop => "Stop now".into(),
    }
}

fn mitigation_ids(scenario: &Scenario, indices: &[usize]) -> Vec<String> {
    indices
        .iter()
        .map(|&m| {
            scenario
                .mitigations
                .get(m)
                .map_or_else(|| format!("#{m}"), |x| x.id.clone())
        })
        .collect()
}

/// The run's facts for the JSON record.
pub fn run_info(
    scenario: &Scenario,
    status: &Status,
    result: &UpdateResult,
    min_effective_trials: f64,
) -> UpdateRun {
    UpdateRun {
        crmcast_version: env!("CARGO_PKG_VERSION"),
        scenario: scenario.name.clone(),
        scenario_file: file_name(&scenario.origin),
        status_file: file_name(&status.origin),
        status_date: status.date.clone(),
        elapsed_months: status.elapsed_months,
        planned_months: scenario.project.duration_months,
        cost_to_date: status.cost_to_date,
        progress: status.progress,
        benefit_signal: status.benefit_signal,
        bought: status
            .bought
            .iter()
            .map(|b| BoughtLabel {
                mitigation: mitigation_ids(scenario, &[b.mitigation]).remove(0),
                cost: b.cost,
            })
            .collect(),
        currency: scenario.project.currency.clone(),
        budget: scenario.project.budget,
        salvage_value: scenario.project.salvage_value,
        seed: result.seed,
        trials: result.trials,
        min_effective_trials,
        options: result
            .options
            .iter()
            .map(|o| OptionLabel {
                id: o.id.clone(),
                name: option_name(scenario, o),
                added_mitigations: mitigation_ids(scenario, &o.added_mitigations),
            })
            .collect(),
    }
}

/// A value in its unit with its 95 % interval: "31.6 % [30.9 %, 32.4 %]".
fn ranged(unit: Unit, e: &Estimate) -> String {
    use super::format::value;
    format!(
        "{} [{}, {}]",
        value(unit, e.value),
        value(unit, e.low),
        value(unit, e.high)
    )
}

/// A percentage of plan: overrun and slip.
fn share(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

/// The title line of the document.
pub fn title(run: &UpdateRun) -> String {
    let date = run
        .status_date
        .as_deref()
        .map_or(String::new(), |d| format!(" of {d}"));
    format!(
        "{} — re-forecast from the status{date} ({}) — {} trials, seed {}; amounts in {}; [a, b] are 95 % intervals",
        run.scenario,
        run.status_file,
        money(run.trials as f64),
        run.seed,
        run.currency
    )
}

/// The practitioner's inside view beside the update's: earned value's estimate at completion,
/// EAC = BAC/CPI = cost to date / fraction complete (docs/UPDATE.md §9), and the update's P50 of
/// the final overrun, which also weighs the prior and reads progress reports as noisy.
fn earned_value_row(run: &UpdateRun, result: &UpdateResult) -> Option<Vec<String>> {
    let (cost, progress) = (run.cost_to_date?, run.progress?);
    if progress <= 0.0 {
        return None;
    }
    let at_completion = cost / progress;
    let continuing = result.options.first()?;
    Some(vec![
        "earned-value estimate at completion".into(),
        format!(
            "{} {} ({:+.1} % against the budget; cost to date / fraction complete); the update's P50: {:+.1} %",
            run.currency,
            money(at_completion),
            100.0 * (at_completion / run.budget - 1.0),
            100.0 * continuing.overrun.p50.value
        ),
    ])
}

/// The warning when the evidence leaves few effective trials, if it does (without the word
/// "warning", which the table's row and stderr's prefix say).
pub fn low_effective_warning(result: &UpdateResult) -> Option<String> {
    let n = result.trials.max(1) as f64;
    let share = result.effective_trials / n;
    (share < LOW_EFFECTIVE_SHARE).then(|| {
        let least = result
            .evidence
            .iter()
            .min_by(|a, b| a.effective_trials.total_cmp(&b.effective_trials))
            .map_or(String::new(), |e| {
                format!(
                    "; the observation the model finds least believable is \"{}\"",
                    e.observation
                )
            });
        format!(
            "the evidence leaves {} effective trials of {} ({:.1} %): the figures rest on few trials and their intervals are wide; more --trials steady them (--trials N gives about N × {:.1} % effective trials){least}",
            money(result.effective_trials),
            money(n),
            100.0 * share,
            100.0 * share
        )
    })
}

fn header_section(run: &UpdateRun, result: &UpdateResult) -> Section {
    let amount = |x: f64| format!("{} {}", run.currency, money(x));
    let mut rows = vec![
        vec![
            "status".into(),
            format!(
                "{} ({})",
                run.status_date.as_deref().unwrap_or("undated"),
                run.status_file
            ),
        ],
        vec![
            "elapsed".into(),
            format!(
                "{:.1} of {:.1} planned months ({:.0} %)",
                run.elapsed_months,
                run.planned_months,
                100.0 * run.elapsed_months / run.planned_months.max(f64::MIN_POSITIVE)
            ),
        ],
        vec![
            "cost to date".into(),
            run.cost_to_date.map_or("not reported".into(), |c| {
                format!(
                    "{} ({:.0} % of the budget of {})",
                    amount(c),
                    100.0 * c / run.budget,
                    amount(run.budget)
                )
            }),
        ],
        vec![
            "progress".into(),
            run.progress.map_or("not reported".into(), |p| {
                format!("{:.1} % complete", 100.0 * p)
            }),
        ],
        vec![
            "mitigations bought".into(),
            if run.bought.is_empty() {
                "none".into()
            } else {
                run.bought
                    .iter()
                    .map(|b| format!("{} ({})", b.mitigation, amount(b.cost)))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ],
    ];
    if let Some(row) = earned_value_row(run, result) {
        rows.push(row);
    }
    if let Some(signal) = run.benefit_signal {
        rows.push(vec![
            "benefit signal".into(),
            format!("{:.1} % realised so far", 100.0 * signal),
        ]);
    }
    rows.push(vec![
        "effective trials".into(),
        format!(
            "{} of {} ({:.1} %, Kish)",
            money(result.effective_trials),
            money(result.trials as f64),
            100.0 * result.effective_trials / result.trials.max(1) as f64
        ),
    ]);
    rows.push(vec![
        "largest weight share".into(),
        format!(
            "{:.2} % of the total weight in one trial",
            100.0 * result.largest_weight_share
        ),
    ]);
    if let Some(warning) = low_effective_warning(result) {
        rows.push(vec!["warning".into(), warning]);
    }
    Section {
        title: "Status and evidence".into(),
        header: ["item", "value"].map(String::from).to_vec(),
        rows,
    }
}

/// The recommendation in plain sentences, read like `run`'s decision summary.
pub fn sentences(scenario: &Scenario, run: &UpdateRun, result: &UpdateResult) -> Vec<String> {
    let amount = |x: f64| format!("{} {}", run.currency, money(x));
    let span = |e: &Estimate| format!("95 % interval {} to {}", amount(e.low), amount(e.high));
    let name = |i: usize| {
        result
            .options
            .get(i)
            .map_or_else(|| "?".into(), |o| option_name(scenario, o))
    };
    let decision = &result.decision;
    let Some(best) = result.options.get(decision.best) else {
        return vec!["No option could be evaluated.".into()];
    };
    let mut out = vec![format!(
        "Best option from now: \"{}\", with an expected NPV from now on of {} ({}); the chance that the money still to be spent is not earned back (forward NPV < 0) is {:.0} %.",
        name(decision.best),
        amount(best.npv_forward.mean.value),
        span(&best.npv_forward.mean),
        100.0 * best.p_forward_loss.value
    )];
    match (decision.runner_up, &decision.gain_over_runner_up) {
        (Some(r), Some(gain)) if decision.significant => out.push(format!(
            "It beats the runner-up, \"{}\", by {} in expected forward NPV ({}, on the same trials).",
            name(r),
            amount(gain.value),
            span(gain)
        )),
        (Some(r), Some(gain)) => out.push(format!(
            "The evidence does not separate it from the runner-up, \"{}\": the gain of {} has a 95 % interval from {} to {} that includes zero (on the same trials); decide on other grounds, or raise --trials to narrow the interval.",
            name(r),
            amount(gain.value),
            amount(gain.low),
            amount(gain.high)
        )),
        _ => {}
    }
    match best.kind {
        OptionKind::Continue => {}
        OptionKind::Stop => out.push(format!(
            "Stopping recovers the salvage value of {}: every way of going on is expected to return less than it still costs.",
            amount(run.salvage_value)
        )),
        OptionKind::Strategy { .. } => out.push(format!(
            "Against continuing as is, it gains {} in expected forward NPV ({}); what it adds acts only on the factors that have not struck yet.",
            amount(best.gain_over_continue.value),
            span(&best.gain_over_continue)
        )),
    }
    if let Some(now) = result
        .options
        .iter()
        .find(|o| o.kind == OptionKind::Continue)
    {
        let then = &result.prior;
        out.push(format!(
            "Since the start, the plan's chance of success moved from {:.0} % to {:.0} %, its P80 cost overrun from {} to {} and its P80 slip from {} to {}.",
            100.0 * then.p_success.value,
            100.0 * now.p_success.value,
            share(then.overrun.p80.value),
            share(now.overrun.p80.value),
            share(then.slip.p80.value),
            share(now.slip.p80.value)
        ));
    }
    let sunk = run.cost_to_date.unwrap_or(0.0) + run.bought.iter().map(|b| b.cost).sum::<f64>();
    if sunk > 0.0 {
        out.push(format!(
            "The {} already spent (project cost to date and mitigations bought) is sunk: it counts in the whole-life NPV, not in the decision from now.",
            amount(sunk)
        ));
    }
    out
}

fn then_and_now_section(result: &UpdateResult, currency: &str) -> Option<Section> {
    let now = result
        .options
        .iter()
        .find(|o| o.kind == OptionKind::Continue)?;
    let then = &result.prior;
    let row = |label: &str, unit: Unit, pick: &dyn Fn(&OptionForecast) -> Estimate| {
        vec![
            label.to_string(),
            ranged(unit, &pick(then)),
            ranged(unit, &pick(now)),
        ]
    };
    let quantile = |d: &Distribution, q: &str| match q {
        "p50" => d.p50,
        _ => d.p80,
    };
    Some(Section {
        title:
            "Then and now: the plan as it stands (continue as is), before and after the evidence"
                .into(),
        header: ["figure", "then: before the evidence", "now: after it"]
            .map(String::from)
            .to_vec(),
        rows: vec![
            row("P(success)", Unit::Probability, &|o| o.p_success),
            row("Cost overrun, P50", Unit::Fraction, &|o| {
                quantile(&o.overrun, "p50")
            }),
            row("Cost overrun, P80", Unit::Fraction, &|o| {
                quantile(&o.overrun, "p80")
            }),
            row("Schedule slip, P50", Unit::Fraction, &|o| {
                quantile(&o.slip, "p50")
            }),
            row("Schedule slip, P80", Unit::Fraction, &|o| {
                quantile(&o.slip, "p80")
            }),
            row(
                &format!("Whole-life NPV, mean ({currency})"),
                Unit::Money,
                &|o| o.npv_total.mean,
            ),
        ],
    })
}

fn options_section(scenario: &Scenario, run: &UpdateRun, result: &UpdateResult) -> Section {
    let rows = result
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let added = run
                .options
                .get(i)
                .map_or(&[][..], |l| l.added_mitigations.as_slice());
            vec![
                strategy_name(&option_name(scenario, o), false, i == result.decision.best),
                if added.is_empty() {
                    "–".into()
                } else {
                    added.join(", ")
                },
                ranged(Unit::Money, &o.npv_forward.mean),
                super::format::value(Unit::Probability, o.p_forward_loss.value),
                super::format::value(Unit::Probability, o.p_success.value),
                share(o.overrun.p80.value),
                share(o.slip.p80.value),
                if o.kind == OptionKind::Continue {
                    "–".into()
                } else {
                    super::format::interval(Unit::Money, &o.gain_over_continue)
                },
            ]
        })
        .collect();
    Section {
        title: format!(
            "Options from now (sunk cost excluded; amounts in {}; on the same trials)",
            run.currency
        ),
        header: [
            "option",
            "buys now",
            "forward NPV, mean",
            "P(forward NPV < 0)",
            "P(success)",
            "overrun P80",
            "slip P80",
            "gain over continuing",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}

fn evidence_section(result: &UpdateResult) -> Section {
    let mut evidence: Vec<_> = result.evidence.iter().collect();
    evidence.sort_by(|a, b| a.effective_trials.total_cmp(&b.effective_trials));
    let n = result.trials.max(1) as f64;
    Section {
        title: "Evidence, the least believable first: the effective trials each observation would leave on its own".into(),
        header: ["observation", "effective trials", "share of the trials"]
            .map(String::from)
            .to_vec(),
        rows: evidence
            .iter()
            .map(|e| {
                vec![
                    e.observation.clone(),
                    money(e.effective_trials),
                    format!("{:.1} %", 100.0 * e.effective_trials / n),
                ]
            })
            .collect(),
    }
}

/// The document of `crmcast update` for table, Markdown, JSON and CSV (and the HTML page).
pub fn document(
    scenario: &Scenario,
    status: &Status,
    result: &UpdateResult,
    min_effective_trials: f64,
) -> Document {
    let run = run_info(scenario, status, result, min_effective_trials);
    let mut sections = vec![
        header_section(&run, result),
        Section {
            title: "Recommendation".into(),
            header: vec!["in plain words".into()],
            rows: sentences(scenario, &run, result)
                .into_iter()
                .map(|s| vec![s])
                .collect(),
        },
    ];
    sections.extend(then_and_now_section(result, &run.currency));
    sections.push(options_section(scenario, &run, result));
    if !result.evidence.is_empty() {
        sections.push(evidence_section(result));
    }
    let record = serde_json::to_value(UpdateRecord {
        run: run.clone(),
        result,
    })
    .unwrap_or(serde_json::Value::Null);
    Document {
        title: title(&run),
        sections,
        record,
        csv_header: CSV_COLUMNS.map(String::from).to_vec(),
        csv_rows: csv(result).iter().map(csv_cells).collect(),
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
