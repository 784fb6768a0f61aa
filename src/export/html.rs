//! The HTML report: one self-contained page (inline CSS and SVG, no script, no network) with
//! the executive summary, the strategy comparison, the charts, the failure causes beside the
//! survey and the assumptions. Written with maud, which escapes every interpolated text, so a
//! scenario's names and descriptions always show as text. A strict Content-Security-Policy
//! forbids scripts and remote resources besides.
//!
//! Strategies are shown or hidden with checkboxes and CSS alone (`:has()`); print hides the
//! controls and keeps each chart on one page. The inputs are tables
//! ([`crate::presentation::inputs`]); the scenario file itself is an appendix that print leaves
//! out unless its box is ticked (`report --appendix` ticks it). A strategy has one display name
//! everywhere ([`charts::role_name`]), and the page shows file names, never a folder.

use super::charts::{self, Chart};
use super::sections::{money, value};
use crate::analysis::presentation::Presentation;
use crate::analysis::report::{Estimate, Report, Unit};
use crate::presentation::inputs::{Cell, Inputs, Table};
use crate::presentation::names::strategy_name;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// What the page prints beyond the report itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageOptions {
    /// Print the scenario file as an appendix (the reader can still tick it on screen).
    pub appendix: bool,
}

/// The `<head>` every page crmcast writes shares: UTF-8, the viewport, a Content-Security-Policy
/// that allows no script and no request (inline styles and data images only), the generator,
/// the tab's `title`, and the shared [`STYLE`] followed by `extra_style`.
pub(crate) fn page_head(title: &str, version: &str, extra_style: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta http-equiv="Content-Security-Policy"
                content="default-src 'none'; style-src 'unsafe-inline'; img-src data:";
            meta name="generator" content=(format!("crmcast {version}"));
            title { (title) }
            style { (PreEscaped(STYLE)) (PreEscaped(extra_style)) }
        }
    }
}

/// The page for `presentation` with its `charts` (from [`charts::all`]) and the scenario's
/// `inputs`.
pub fn page(
    presentation: &Presentation,
    charts: &[Chart],
    inputs: &Inputs,
    options: PageOptions,
) -> String {
    let report = &presentation.report;
    let title = format!("{} — crmcast report", report.run.scenario);
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (page_head(&title, report.run.crmcast_version, &toggle_rules(presentation.distributions.len())))
            body {
                header {
                    h1 { (report.run.scenario) }
                    p.subtitle {
                        "crmcast forecast · " (money(report.run.trials as f64)) " trials · seed "
                        (report.run.seed) " · amounts in " (report.run.currency)
                    }
                }
                nav.contents aria-label="Contents" {
                    a href="#summary" { "Summary" } " · "
                    a href="#comparison" { "Comparison" } " · "
                    a href="#charts" { "Charts" } " · "
                    a href="#causes" { "Failure causes" } " · "
                    a href="#inputs" { "Inputs" } " · "
                    a href="#assumptions" { "Assumptions" }
                }
                (summary(report))
                (comparison(presentation))
                (charts_section(presentation, charts))
                (causes(presentation))
                (inputs_section(inputs))
                (assumptions(presentation, options))
                footer {
                    "Made by crmcast " (report.run.crmcast_version)
                    ". Every figure is a Monte Carlo estimate; intervals are 95 % intervals of that estimate. docs/MODEL.md states the model."
                }
            }
        }
    };
    markup.into_string()
}

/// One CSS rule per strategy: unchecking its box hides its series in every chart.
fn toggle_rules(strategies: usize) -> String {
    (0..strategies)
        .map(|k| {
            format!(
                "body:has(#show-{k}:not(:checked)) .strategy[data-strategy=\"{k}\"]{{display:none}}\n"
            )
        })
        .collect()
}

fn verdict_class(verdict: &str) -> &'static str {
    match verdict {
        "invest" => "verdict invest",
        "do not invest" => "verdict no-invest",
        _ => "verdict close",
    }
}

fn interval(unit: Unit, e: &Estimate) -> String {
    format!("{} – {}", value(unit, e.low), value(unit, e.high))
}

fn summary(report: &Report) -> Markup {
    let d = &report.decision;
    html! {
        section #summary {
            h2 { "Executive summary" }
            p { span class=(verdict_class(d.verdict)) { (d.verdict) } " at a hurdle rate of "
                (format!("{:.1} %", 100.0 * d.hurdle_rate)) "; recommended strategy: "
                strong { (d.recommended_name) } }
            div.cards {
                (card("Expected NPV", &value(Unit::Money, d.expected_npv.value),
                      &format!("95 %: {}", interval(Unit::Money, &d.expected_npv))))
                (card("Chance of a loss", &value(Unit::Probability, d.p_npv_negative.value),
                      "P(NPV < 0)"))
                (card("Worst 10 % average", &value(Unit::Money, d.cvar10_npv.value),
                      "CVaR 10 % of the NPV"))
                (card("P80 budget", &value(Unit::Money, d.p80_budget.value),
                      &format!("contingency {}", value(Unit::Money, d.contingency))))
            }
            ul.sentences { @for sentence in &d.sentences { li { (sentence) } } }
            @if !d.drivers.is_empty() {
                p { "Main causes when the recommended strategy misses its objectives: "
                    @for (i, driver) in d.drivers.iter().enumerate() {
                        @if i > 0 { ", " }
                        (driver.name) " (" (value(Unit::Probability, driver.share_of_missed)) ")"
                    }
                    "." }
            }
        }
    }
}

fn card(label: &str, figure: &str, note: &str) -> Markup {
    html! {
        div.card { div.label { (label) } div.figure { (figure) } div.note { (note) } }
    }
}

fn comparison(presentation: &Presentation) -> Markup {
    let report = &presentation.report;
    let strategies = &report.strategies;
    let base = report.baseline();
    let others: Vec<_> = strategies.iter().filter(|s| !s.baseline).collect();
    html! {
        section #comparison {
            div.keep {
            h2 { "Strategies compared" }
            p.note { "Each cell gives the estimate and, below it, its 95 % interval. All strategies ran on the same random numbers, so their differences are precise." }
            div.table-wrap { table.compare {
                thead { tr {
                    th { "metric" }
                    @for (k, s) in strategies.iter().enumerate() {
                        th { span.swatch style=(format!("background:{}", charts::colour(k))) {}
                             (strategy_name(&s.name, s.baseline, false)) }
                    }
                } }
                tbody {
                    @for m in &base.metrics {
                        tr {
                            th scope="row" { (m.label) }
                            @for s in strategies {
                                @match s.metric(m.id) {
                                    Some(e) => td { (value(m.unit, e.value)) br; small { (interval(m.unit, e)) } },
                                    None => td {},
                                }
                            }
                        }
                    }
                }
            } }
            }
            @if let Some(first) = others.first() {
                div.keep {
                h3 { "Difference to the baseline, “" (base.name) "”" }
                div.table-wrap { table.compare {
                    thead { tr { th { "metric" } @for s in &others { th { (s.name) } } } }
                    tbody {
                        @for d in &first.versus_baseline {
                            tr {
                                th scope="row" { (d.label) }
                                @for s in &others {
                                    @match s.difference(d.id) {
                                        Some(e) => td class=(significance(d.id, e)) {
                                            (signed(d.unit, e.value)) br; small { (signed(d.unit, e.low)) " – " (signed(d.unit, e.high)) } },
                                        None => td {},
                                    }
                                }
                            }
                        }
                        tr {
                            th scope="row" { "P(NPV beats the baseline's)" }
                            @for s in &others {
                                td { @if let Some(e) = s.p_beats_baseline { (value(Unit::Probability, e.value)) } }
                            }
                        }
                    }
                } }
                }
            }
            @if let Some(view) = &report.outside_view {
                div.keep {
                h3 { "Outside view: cost overrun blended with the reference class (weight " (format!("{:.2}", view.weight)) ", " (view.class) ")" }
                div.table-wrap { table.compare {
                    thead { tr { th { "strategy" } th { "level" } th { "inside view" } th { "reference class" } th { "blended" } } }
                    tbody { @for r in &view.rows { tr {
                        td { (r.strategy) } td { (format!("P{:.0}", 100.0 * r.level)) }
                        td { (format!("{:+.1} %", 100.0 * r.inside)) }
                        td { (format!("{:+.1} %", 100.0 * r.outside)) }
                        td { (format!("{:+.1} %", 100.0 * r.blended)) }
                    } } }
                } }
                }
            }
        }
    }
}

/// `better` / `worse` when the 95 % interval of a difference excludes zero, by the metric's
/// direction (less overrun, slip, failure, loss or spend is better).
fn significance(id: &str, e: &Estimate) -> &'static str {
    let lower_is_better = [
        "overrun",
        "slip",
        "p_failed",
        "p_npv_negative",
        "investment",
    ]
    .iter()
    .any(|prefix| id.starts_with(prefix));
    let up = e.low > 0.0;
    let down = e.high < 0.0;
    match (up || down, up != lower_is_better) {
        (false, _) => "flat",
        (true, true) => "better",
        (true, false) => "worse",
    }
}

fn signed(unit: Unit, x: f64) -> String {
    let text = match unit {
        Unit::Probability | Unit::Fraction => format!("{:.1} pt", 100.0 * x),
        _ => value(unit, x),
    };
    if x > 0.0 { format!("+{text}") } else { text }
}

fn charts_section(presentation: &Presentation, charts: &[Chart]) -> Markup {
    html! {
        section #charts {
            h2 { "Charts" }
            fieldset.toggles {
                legend { "Show in the charts" }
                @for (k, d) in presentation.distributions.iter().enumerate() {
                    label {
                        input type="checkbox" class="strategy-toggle" id=(format!("show-{k}"))
                            data-strategy=(k) checked;
                        span.swatch style=(format!("background:{}", charts::colour(k))) {}
                        (strategy_name(&d.name, d.baseline, d.recommended))
                    }
                }
            }
            @for chart in charts {
                // The chart carries its own heading (for the standalone SVG and PNG files), so
                // the caption only says how to read it.
                figure.chart-figure id=(format!("figure-{}", chart.id)) {
                    (PreEscaped(&chart.svg))
                    figcaption.note { (reading(chart.id)) }
                }
            }
        }
    }
}

/// How to read each chart, in one sentence.
fn reading(id: &str) -> &'static str {
    match id {
        "npv_histogram" => {
            "How often each NPV occurs: mass left of zero is the chance of losing money."
        }
        "roi_histogram" => {
            "Return on the whole investment (project and mitigations), share of trials per bin."
        }
        "overrun_s_curve" => {
            "Read across from a confidence level to the budget overrun it needs; dots mark each strategy's P50 and P80."
        }
        "slip_s_curve" => {
            "Read across from a confidence level to the schedule slip it needs; dots mark each strategy's P50 and P80."
        }
        "tornado" => {
            "How far the recommended strategy's expected NPV moves when a factor is ruled out or certain (an input at its P10 or P90); the longest bars matter most."
        }
        "causes_vs_survey" => {
            "Why projects miss their objectives: the model's primary causes beside the CRM Forum 2001 survey."
        }
        "efficient_frontier" => {
            "The best expected NPV for each level of mitigation spend; strategies below the line leave value on the table."
        }
        "cost_schedule_scatter" => {
            "Each dot is one simulated project; the dashed lines are the recommended strategy's P80 project cost (mitigations aside) and P80 schedule, and the joint confidence level is the share within both."
        }
        _ => "",
    }
}

fn share(e: &Estimate) -> Markup {
    html! { (value(Unit::Probability, e.value)) br; small { (interval(Unit::Probability, e)) } }
}

fn causes(presentation: &Presentation) -> Markup {
    let report = &presentation.report;
    let base = report.baseline();
    let decision = &report.decision;
    let baseline = strategy_name(&base.name, true, false);
    let recommended = strategy_name(
        &decision.recommended_name,
        decision.recommended == base.id,
        true,
    );
    let breakdown = &presentation.causes;
    html! {
        section #causes {
            div.keep {
            h2 { "Why projects miss their objectives" }
            p.note { "Share of the trials that missed their objectives whose primary cause lies in each cause group of the CRM Forum survey (2001, N ≈ 700). “Other”, and any group the survey gives no figure for, is broken down into its factors (indented), so that a cause particular to this case shows by name." }
            div.table-wrap { table.compare.causes {
                thead { tr { th { "cause group" } th { "survey" } th { (baseline) } th { (recommended) } } }
                tbody { @for row in &presentation.survey {
                    tr {
                        th scope="row" { (row.label) }
                        td { @match row.survey { Some(s) => (value(Unit::Probability, s)), None => "–" } }
                        td { (share(&row.baseline)) }
                        td { (share(&row.recommended)) }
                    }
                    @for part in breakdown.unsurveyed.iter().filter(|c| c.group == row.group
                        && (c.baseline.value > 0.0 || c.recommended.value > 0.0)) {
                        tr.part {
                            th scope="row" { "↳ " (part.label) }
                            td { "–" }
                            td { (share(&part.baseline)) }
                            td { (share(&part.recommended)) }
                        }
                    }
                } }
            } }
            }
            div.keep {
            h3 { "By factor category" }
            p.note { "The same trials by the catalogue category of their primary cause; trials that no factor explains (estimating error alone) are left out, so the shares sum to less than 100 %." }
            div.table-wrap { table.compare.causes {
                thead { tr { th { "factor category" } th { (baseline) } th { (recommended) } } }
                tbody { @for row in &breakdown.by_category { tr {
                    th scope="row" { (row.label) }
                    td { (share(&row.baseline)) }
                    td { (share(&row.recommended)) }
                } } }
            } }
            }
        }
    }
}

fn inputs_section(inputs: &Inputs) -> Markup {
    html! {
        section #inputs {
            div.keep {
                h2 { "Inputs" }
                p.note { "What the forecast rests on, as the scenario states it; amounts in " (inputs.currency) "." }
                @if !inputs.warnings.is_empty() {
                    div.warnings {
                        h3 { "Warnings on the inputs" }
                        ul { @for warning in &inputs.warnings { li { (warning) } } }
                    }
                }
                (input_table(&inputs.project))
            }
            // The effects table gives the mitigations' multipliers as numbers for the workbook;
            // the page says the same in words in the mitigations table.
            @for table in inputs.tables().into_iter().skip(1).filter(|t| t.id != "effects") {
                (input_table(table))
            }
        }
    }
}

/// A table kept on one page in print when it is short enough to fit one (a longer one breaks
/// between rows, its heading kept with the rows by `break-after: avoid`).
const KEEP_LINES: usize = 36;

fn input_table(table: &Table) -> Markup {
    let lines: usize = table
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| c.display().lines().count())
                .max()
                .unwrap_or(1)
        })
        .sum();
    let class = if lines <= KEEP_LINES {
        "inputs keep"
    } else {
        "inputs"
    };
    html! {
        div class=(class) id=(format!("inputs-{}", table.id)) {
            h3 { (table.title) }
            p.note { (table.note) }
            @if !table.rows.is_empty() {
                div.table-wrap { table.compare.inputs data-inputs=(table.id) {
                    thead { tr { @for column in &table.columns { th { (column) } } } }
                    tbody { @for row in &table.rows { tr {
                        @for (i, cell) in row.iter().enumerate() {
                            @if i == 0 { th scope="row" { (cell_markup(cell)) } }
                            @else { td class=(cell_class(cell)) { (cell_markup(cell)) } }
                        }
                    } } }
                } }
            }
        }
    }
}

/// A cell's text, its lines (a mitigation's effects, a strategy's mitigations) kept apart.
fn cell_markup(cell: &Cell) -> Markup {
    let text = cell.display();
    html! {
        @for (i, line) in text.lines().enumerate() {
            @if i > 0 { br; }
            (line)
        }
    }
}

fn cell_class(cell: &Cell) -> &'static str {
    match cell {
        Cell::Number { .. } => "number",
        _ => "text",
    }
}

/// A file's name without its folder: the page shows no path of the machine that made it.
fn file_name(origin: &str) -> String {
    std::path::Path::new(origin).file_name().map_or_else(
        || origin.to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

fn assumptions(presentation: &Presentation, options: PageOptions) -> Markup {
    let a = &presentation.assumptions;
    let run = &presentation.report.run;
    html! {
        section #assumptions {
            h2 { "How the figures were made" }
            dl {
                dt { "Scenario" } dd { (a.scenario) " (" (file_name(&a.origin)) ")" }
                dt { "Catalogue" } dd { (file_name(&a.catalogue)) ", version " (a.catalogue_version) }
                dt { "Trials" } dd { (money(a.trials as f64)) " (" (a.sampling) " sampling, standard errors: " (run.standard_errors) ")" }
                dt { "Seed" } dd { (a.seed) " — the same seed gives the same figures on any machine and thread count" }
                dt { "Parameter uncertainty" } dd { @if run.parameter_uncertainty { "drawn per trial" } @else { "fixed parameters" } }
                dt { "Scatter sample" } dd { "the run's first " (money(presentation.scatter.trials as f64)) " trials" }
                dt { "crmcast" } dd { "version " (a.crmcast_version) }
            }
            label.appendix-toggle {
                input type="checkbox" id="show-appendix" checked[options.appendix];
                " Show and print the scenario file as an appendix"
            }
        }
        section #appendix {
            h2 { "Appendix: the scenario file" }
            pre { (a.scenario_text) }
        }
    }
}

/// The page style every page crmcast writes shares (through [`page_head`]).
const STYLE: &str = r#"
:root { --ink:#1b1f24; --muted:#5b6570; --line:#d9dee3; --paper:#fff; --accent:#0072B2; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; font: 15px/1.5 "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: var(--ink); background: var(--paper); }
header h1 { margin: 0 0 4px; font-size: 28px; }
.subtitle, .note, footer { color: var(--muted); }
.note { font-size: 13px; }
nav.contents { margin: 12px 0 24px; font-size: 14px; }
nav.contents a { color: var(--accent); text-decoration: none; }
h2 { border-bottom: 2px solid var(--line); padding-bottom: 4px; margin-top: 36px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: bold; text-transform: uppercase; font-size: 13px; }
.verdict.invest { background: #d8f0e3; color: #0b6b3a; }
.verdict.no-invest { background: #f9dcdc; color: #a11d1d; }
.verdict.close { background: #fdf0cf; color: #7a5600; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
.card .label { color: var(--muted); font-size: 13px; }
.card .figure { font-size: 22px; font-weight: bold; }
.card .note { font-size: 12px; }
.table-wrap { overflow-x: auto; }
table.compare { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 16px; }
table.compare th, table.compare td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: right; vertical-align: top; }
table.compare th[scope=row], table.compare thead th:first-child { text-align: left; font-weight: normal; }
table.compare thead th { font-weight: bold; border-bottom: 2px solid var(--ink); }
table.compare small { color: var(--muted); }
td.better { background: #eef8f1; } td.worse { background: #fbeeee; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
fieldset.toggles { border: 1px solid var(--line); border-radius: 8px; margin: 8px 0 16px; }
fieldset.toggles label { display: inline-block; margin-right: 18px; cursor: pointer; }
label.appendix-toggle { display: block; margin: 16px 0; cursor: pointer; }
body:has(#show-appendix:not(:checked)) #appendix { display: none; }
table.inputs td.text { text-align: left; }
table.inputs td.number { white-space: nowrap; }
table.causes tr.part th { padding-left: 24px; color: var(--muted); }
.warnings { border: 1px solid #e0b252; background: #fdf6e3; border-radius: 8px; padding: 4px 12px; }
figure.chart-figure { margin: 24px 0; }
figure.chart-figure figcaption { margin-top: 4px; }
figure.chart-figure svg { width: 100%; height: auto; max-width: 900px; display: block; }
@media (max-width: 600px) { body { padding: 12px; } .cards { grid-template-columns: 1fr 1fr; } dl { grid-template-columns: 1fr; } }
pre { background: #f6f8fa; border: 1px solid var(--line); padding: 12px; overflow-x: auto; font-size: 12px; white-space: pre-wrap; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dt { color: var(--muted); }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
h1, .subtitle, .sentences, .card { overflow-wrap: anywhere; }
footer { margin-top: 40px; font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 11px; }
  nav.contents, fieldset.toggles { display: none; }
  /* A heading stays with what it introduces: no heading (or its note) at a page foot. Long
     tables may break between rows; their header row repeats. */
  h1, h2, h3, h2 + p.note, h3 + p.note { break-after: avoid; }
  h2, h3 { break-inside: avoid; }
  figure.chart-figure, .cards, tr, dl, .keep { break-inside: avoid; }
  thead { display: table-header-group; }
  /* A scroll box does not break across pages as its content does; on paper nothing scrolls. */
  .table-wrap { overflow: visible; }
  label.appendix-toggle { display: none; }
  figure.chart-figure svg { max-width: 100%; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;
