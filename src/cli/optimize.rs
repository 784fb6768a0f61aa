//! `crmcast optimize`: the best set of mitigations within a budget, the efficient frontier and
//! the mitigations that never pay, as table, Markdown, JSON or CSV. The search itself is in
//! `analysis::optimize` (`docs/OPTIMIZE.md`).

use super::progress::Progress;
use super::{bad_option, interrupt, load};
use crate::analysis::optimize::{
    self, Candidate, Comparison, DEFAULT_CONFIRM_TRIALS, DEFAULT_SCREENING_TRIALS,
    DEFAULT_SHORTLIST, Objective, Optimization, OptimizeObserver, OptimizeSettings, SearchChoice,
    SearchMethod, Verdict,
};
use crate::analysis::report::Estimate;
use crate::error::Error;
use crate::export::sections::{Section, money};
use crate::export::{self, Document, Format};
use clap::Args;
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Debug, Args)]
pub struct OptimizeArgs {
    /// Scenario file (TOML) with the [[mitigations]] to choose from; without it, the built-in
    /// default scenario.
    pub scenario: Option<PathBuf>,
    /// The most expected mitigation spend (Σ of the mean costs of the chosen mitigations), in
    /// the scenario's currency, e.g. 200000.
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub budget: String,
    /// What to optimise: expected_npv (mean NPV, maximised), p_success (maximised),
    /// p80_overrun (80th percentile of the budget overrun, minimised) or cvar10_npv (mean NPV
    /// of the worst 10 % of trials, maximised).
    #[arg(long, default_value = "expected_npv", value_name = "OBJECTIVE")]
    pub objective: String,
    /// Screening trials per subset (the search compares subsets on these), 256 to 1000000.
    #[arg(long, default_value_t = DEFAULT_SCREENING_TRIALS)]
    pub trials: u64,
    /// Fresh trials on which the shortlisted subsets are re-evaluated; every reported figure
    /// and interval comes from them; 1000 to 1000000.
    #[arg(long, default_value_t = DEFAULT_CONFIRM_TRIALS)]
    pub confirm_trials: u64,
    /// Best subsets within the budget (by screening) confirmed besides the frontier, at most
    /// 1000.
    #[arg(long, default_value_t = DEFAULT_SHORTLIST, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_SHORTLIST }>)]
    pub shortlist: usize,
    /// auto: every subset up to 16 mitigations, the heuristic beyond.
    #[arg(long, value_enum, default_value_t = SearchChoice::Auto)]
    pub search: SearchChoice,
    /// Random seed (default: the scenario's [simulation] seed). Same seed, same results.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads; 0 = one per core, at most 256. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = super::limits::usize_in::<{ 0 }, { super::limits::MAX_THREADS }>)]
    pub threads: usize,
    /// Catalogue file to use instead of the one the scenario names (else the built-in one).
    #[arg(long, value_name = "FILE")]
    pub catalogue: Option<PathBuf>,
    /// Also draw the catalogue's uncertain parameters and the effects' ranged multipliers once
    /// per trial.
    #[arg(long)]
    pub parameter_uncertainty: bool,
    #[command(flatten)]
    pub output: super::OutputArgs,
}

/// An amount such as `200000`, `200_000` or `200,000`.
fn parse_budget(text: &str) -> Result<f64, Error> {
    let cleaned: String = text.chars().filter(|c| !matches!(c, '_' | ',')).collect();
    let budget: f64 = cleaned.trim().parse().map_err(|_| {
        bad_option(
            "--budget",
            format!("`{text}` is not an amount"),
            "give the most you would spend on mitigations as a number, e.g. --budget 200000",
        )
    })?;
    if !budget.is_finite() || budget < 0.0 {
        return Err(bad_option(
            "--budget",
            format!("{text} is not an amount of money ≥ 0"),
            "give the most you would spend on mitigations, 0 or more, e.g. --budget 200000",
        ));
    }
    Ok(budget)
}

/// The progress bar of the current stage, and Ctrl-C.
/// The optimiser's progress bars (one per stage) and Ctrl-C; also used by `crmcast report`.
pub(super) struct CliObserver {
    quiet: bool,
    bar: Mutex<Option<Progress>>,
}

impl OptimizeObserver for CliObserver {
    fn stage(&self, name: &str, work: Option<u64>) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(previous) = bar.take() {
            previous.finish();
        }
        let template = if work.is_some() {
            "{spinner} {msg} {bar:30} {percent:>3} %  eta {eta}"
        } else {
            "{spinner} {msg}: {human_pos} candidate-trials  {elapsed}"
        };
        let progress = Progress::with_template(work.unwrap_or(0), self.quiet, template);
        progress.set_message(name.to_string());
        *bar = Some(progress);
    }

    fn advance(&self, work: u64) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            bar.advance(work);
        }
    }

    fn should_stop(&self) -> bool {
        interrupt::requested()
    }
}

impl CliObserver {
    pub(super) fn new(quiet: bool) -> Self {
        CliObserver {
            quiet,
            bar: Mutex::new(None),
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish();
        }
    }
}

pub fn run(args: OptimizeArgs) -> Result<(), Error> {
    let budget = parse_budget(&args.budget)?;
    let objective = Objective::parse(&args.objective)?;
    let scenario = load(args.scenario.as_ref(), args.catalogue.as_ref())?;
    let settings = OptimizeSettings {
        objective,
        budget,
        screening_trials: args.trials,
        confirm_trials: args.confirm_trials,
        shortlist: args.shortlist,
        seed: args.seed.unwrap_or(scenario.simulation.seed),
        threads: args.threads,
        search: args.search,
        parameter_uncertainty: args.parameter_uncertainty,
        ..OptimizeSettings::new(objective, budget)
    };
    optimize::check(&scenario, &settings)?;
    crate::input::opened::check_outputs([(args.output.output.as_deref(), "--output")])?;
    interrupt::install();
    let observer = CliObserver {
        quiet: args.output.quiet,
        bar: Mutex::new(None),
    };
    let result = optimize::optimize(&scenario, &settings, &observer);
    observer.finish();
    let result = result?;
    let document = document(&result);
    let exporter = export::exporter(args.output.format.unwrap_or(Format::Table));
    export::write_output(args.output.output.as_deref(), "--output", |out| {
        exporter.document(&document, out)
    })
}

/// A value of `objective`'s kind: money, or a percentage.
fn shown(objective: Objective, x: f64) -> String {
    if objective.is_money() {
        money(x)
    } else {
        format!("{:.1} %", 100.0 * x)
    }
}

fn with_interval(objective: Objective, e: &Estimate) -> String {
    format!(
        "{} [{}, {}]",
        shown(objective, e.value),
        shown(objective, e.low),
        shown(objective, e.high)
    )
}

/// A gain: signed money, or signed percentage points.
fn signed(objective: Objective, x: f64) -> String {
    let text = if objective.is_money() {
        money(x)
    } else {
        format!("{:.2} pt", 100.0 * x)
    };
    if x > 0.0 && !text.starts_with('-') {
        format!("+{text}")
    } else {
        text
    }
}

fn gain_interval(objective: Objective, e: &Estimate) -> String {
    format!(
        "{} [{}, {}]",
        signed(objective, e.value),
        signed(objective, e.low),
        signed(objective, e.high)
    )
}

fn subset(ids: &[String]) -> String {
    if ids.is_empty() {
        "none (buy nothing)".into()
    } else {
        ids.join(", ")
    }
}

fn comparison_text(objective: Objective, c: &Comparison) -> String {
    format!(
        "{} — {}",
        gain_interval(objective, &c.gain),
        if c.significant {
            "significantly better"
        } else {
            "not significantly better (within noise)"
        }
    )
}

fn document(r: &Optimization) -> Document {
    let o = r.objective;
    let best = &r.best;
    let mut rows = vec![
        vec!["mitigations".into(), subset(&best.mitigations)],
        vec![
            "expected spend".into(),
            format!(
                "{} of {} {}",
                money(best.spend),
                money(r.settings.budget),
                r.currency
            ),
        ],
        vec![
            format!("{} (objective)", o.label()),
            with_interval(o, &best.objective),
        ],
    ];
    if let (Some(runner), Some(c)) = (&r.runner_up, &r.best_versus_runner_up) {
        rows.push(vec![
            format!("gain over the runner-up ({})", subset(&runner.mitigations)),
            comparison_text(o, c),
        ]);
    }
    if let Some(c) = &r.best_versus_nothing {
        rows.push(vec![
            "gain over buying nothing".into(),
            comparison_text(o, c),
        ]);
    }
    for marginal in &r.best_marginal {
        rows.push(vec![
            format!("gain from {}", marginal.mitigation),
            format!(
                "{}{}",
                gain_interval(o, &marginal.gain),
                if marginal.significant {
                    ""
                } else {
                    " (within noise)"
                }
            ),
        ]);
    }
    for other in Objective::ALL.into_iter().filter(|&x| x != o) {
        rows.push(vec![
            other.label().into(),
            with_interval(other, &best.metrics.get(other)),
        ]);
    }
    let method = match r.method {
        SearchMethod::Exhaustive => format!("exhaustive: all {} subsets", money(r.subsets)),
        SearchMethod::Heuristic => format!(
            "heuristic (greedy paths and local search): {} of {} subsets",
            money(r.screened as f64),
            if r.subsets < 1e15 {
                money(r.subsets)
            } else {
                format!("{:.2e}", r.subsets)
            }
        ),
    };
    rows.push(vec![
        "search".into(),
        format!(
            "{method} ({} within the budget) on {} screening trials; {} confirmed on {} fresh trials",
            money(r.screened_within_budget as f64),
            money(r.settings.screening_trials as f64),
            r.confirmed,
            money(r.settings.confirm_trials as f64),
        ),
    ]);
    if let Some(s) = &r.screening_best {
        rows.push(vec![
            "best on the screening trials".into(),
            format!(
                "{} ({} on screening, {} confirmed)",
                subset(&s.mitigations),
                shown(o, s.screening.value),
                with_interval(o, &s.objective)
            ),
        ]);
    }
    let summary = Section {
        title: "Best set of mitigations within the budget".into(),
        header: ["item", "value"].map(String::from).to_vec(),
        rows,
    };
    let others: Vec<Objective> = Objective::ALL.into_iter().filter(|&x| x != o).collect();
    let mut header = vec![
        "point".to_string(),
        "spend".into(),
        format!("{} [95 % interval]", o.label()),
    ];
    header.extend(others.iter().map(|x| x.label().to_string()));
    header.extend(["in budget".to_string(), "mitigations".into()]);
    let frontier = Section {
        title: format!(
            "Efficient frontier: the best {} at or below each expected spend",
            o.label()
        ),
        header,
        rows: r
            .frontier
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let c = &p.candidate;
                let mut row = vec![
                    (k + 1).to_string(),
                    money(c.spend),
                    with_interval(o, &c.objective),
                ];
                row.extend(others.iter().map(|&x| shown(x, c.metrics.get(x).value)));
                row.push(if c.within_budget { "yes" } else { "no" }.into());
                row.push(subset(&c.mitigations));
                row
            })
            .collect(),
    };
    let ranking = Section {
        title: format!(
            "Ranking within the budget ({} best confirmed subsets)",
            r.ranking.len()
        ),
        header: vec![
            "rank".into(),
            format!("{} [95 % interval]", o.label()),
            "spend".into(),
            "mitigations".into(),
        ],
        rows: r
            .ranking
            .iter()
            .enumerate()
            .map(|(k, c)| {
                vec![
                    (k + 1).to_string(),
                    with_interval(o, &c.objective),
                    money(c.spend),
                    subset(&c.mitigations),
                ]
            })
            .collect(),
    };
    let never = if r.never_pay.is_empty() {
        "every mitigation pays somewhere on the frontier".to_string()
    } else {
        format!("never pay: {}", r.never_pay.join(", "))
    };
    let mitigations = Section {
        title: format!("Mitigations — {never}"),
        header: [
            "mitigation",
            "expected cost",
            "verdict",
            "evidence",
            "in best",
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .mitigations
            .iter()
            .map(|v| {
                let evidence = match (&v.gain, v.at_point) {
                    (Some(g), Some(k)) => {
                        format!("gain {} at frontier point {k}", gain_interval(o, g))
                    }
                    _ => "on no frontier point".into(),
                };
                vec![
                    v.id.clone(),
                    money(v.expected_cost),
                    match v.verdict {
                        Verdict::Pays => "pays",
                        Verdict::WithinNoise => "never pays (within noise)",
                        Verdict::NeverOnFrontier => "never pays (not on the frontier)",
                    }
                    .into(),
                    evidence,
                    if v.in_best { "yes" } else { "" }.into(),
                ]
            })
            .collect(),
    };
    let mut record = serde_json::to_value(r).unwrap_or(serde_json::Value::Null);
    if let Some(map) = record.as_object_mut() {
        map.insert("crmcast_version".into(), env!("CARGO_PKG_VERSION").into());
    }
    Document {
        title: format!(
            "crmcast optimize — {}: the best mitigations for at most {} {} of expected spend; objective {} ({}d); seed {}; [ ] are 95 % intervals on {} fresh trials",
            r.scenario,
            money(r.settings.budget),
            r.currency,
            o.label(),
            r.direction,
            r.settings.seed,
            money(r.settings.confirm_trials as f64),
        ),
        sections: vec![summary, frontier, ranking, mitigations],
        record,
        csv_header: [
            "section",
            "item",
            "mitigations",
            "spend",
            "within_budget",
            "metric",
            "value",
            "se",
            "low",
            "high",
            "objective",
            "note",
        ]
        .map(String::from)
        .to_vec(),
        csv_rows: csv_rows(r),
    }
}

/// One CSV row: `head` is section, item, mitigations, spend and within_budget.
fn estimate_row(
    head: [String; 5],
    metric: &str,
    e: &Estimate,
    objective: bool,
    note: String,
) -> Vec<String> {
    let mut row = head.to_vec();
    row.extend([
        metric.into(),
        e.value.to_string(),
        e.se.to_string(),
        e.low.to_string(),
        e.high.to_string(),
        objective.to_string(),
        note,
    ]);
    row
}

/// The tidy CSV: one row per (section, item, metric); documented in docs/OPTIMIZE.md §7.
fn csv_rows(r: &Optimization) -> Vec<Vec<String>> {
    let o = r.objective;
    let mut rows = Vec::new();
    let mut candidate = |section: &str, item: String, c: &Candidate| {
        for metric in Objective::ALL {
            rows.push(estimate_row(
                [
                    section.into(),
                    item.clone(),
                    c.mitigations.join("+"),
                    c.spend.to_string(),
                    c.within_budget.to_string(),
                ],
                metric.id(),
                &c.metrics.get(metric),
                metric == o,
                String::new(),
            ));
        }
    };
    candidate("best", "1".into(), &r.best);
    if let Some(c) = &r.runner_up {
        candidate("runner_up", "2".into(), c);
    }
    for (k, p) in r.frontier.iter().enumerate() {
        candidate("frontier", (k + 1).to_string(), &p.candidate);
    }
    for (k, c) in r.ranking.iter().enumerate() {
        candidate("ranking", (k + 1).to_string(), c);
    }
    let significance = |s: bool| if s { "significant" } else { "within_noise" }.to_string();
    for (item, c) in [
        ("best_vs_runner_up", &r.best_versus_runner_up),
        ("best_vs_nothing", &r.best_versus_nothing),
    ] {
        if let Some(c) = c {
            rows.push(estimate_row(
                [
                    "difference".into(),
                    item.into(),
                    c.against.join("+"),
                    String::new(),
                    String::new(),
                ],
                o.id(),
                &c.gain,
                true,
                significance(c.significant),
            ));
        }
    }
    for (k, p) in r.frontier.iter().enumerate() {
        for m in &p.marginal {
            rows.push(estimate_row(
                [
                    "marginal".into(),
                    (k + 1).to_string(),
                    m.mitigation.clone(),
                    p.candidate.spend.to_string(),
                    p.candidate.within_budget.to_string(),
                ],
                o.id(),
                &m.gain,
                true,
                significance(m.significant),
            ));
        }
    }
    for v in &r.mitigations {
        let empty = Estimate {
            value: f64::NAN,
            se: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
        };
        let mut row = estimate_row(
            [
                "mitigation".into(),
                v.at_point.map(|k| k.to_string()).unwrap_or_default(),
                v.id.clone(),
                v.expected_cost.to_string(),
                String::new(),
            ],
            o.id(),
            v.gain.as_ref().unwrap_or(&empty),
            true,
            format!(
                "{}{}",
                match v.verdict {
                    Verdict::Pays => "pays",
                    Verdict::WithinNoise => "within_noise",
                    Verdict::NeverOnFrontier => "never_on_frontier",
                },
                if v.in_best { ";in_best" } else { "" },
            ),
        );
        if v.gain.is_none() {
            for cell in &mut row[6..10] {
                cell.clear();
            }
        }
        rows.push(row);
    }
    rows
}
