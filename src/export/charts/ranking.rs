//! The horizontal-bar charts: the tornado of the recommended strategy's output (what each
//! input moves it by) and the failure causes by cause group beside the CRM Forum survey.
//! Both put their labels — input names and cause groups, which come from the scenario and the
//! catalogue — on the left, cut to a readable length, with the full text as a tooltip.

use super::distributions::role_name;
use super::frame::{
    Axis, Entry, GRID, INK, MUTED, Plot, SMALL, Swatch, WIDTH, document, halo_text, header, x_axis,
};
use super::scale::{
    Linear, Ticks, money, money_ticks, nice_ticks, num, percent, percent_ticks, text_width,
    truncate,
};
use super::{Chart, Named, colour};
use crate::analysis::presentation::{SurveyComparison, TornadoChart};
use crate::analysis::report::{Estimate, Unit};
use maud::{Markup, html};

/// "Factor ruled out / input at P10" and "factor certain / input at P90" (Okabe–Ito sky blue
/// and orange: apart for every common colour-vision deficiency).
const LOW: &str = "#56B4E9";
const HIGH: &str = "#E69F00";
const SURVEY: &str = "#9a9a9a";
const LABEL_CHARS: usize = 36;
const BOTTOM: f64 = 56.0;

/// The left margin that fits the longest (cut) label.
fn label_margin<'a>(labels: impl Iterator<Item = &'a str>) -> f64 {
    let widest = labels
        .map(|l| text_width(&truncate(l, LABEL_CHARS), SMALL))
        .fold(0.0, f64::max);
    (widest + 24.0).clamp(110.0, 280.0)
}

/// A row label at the plot's left, with the full text as a tooltip when cut.
fn row_label(plot: &Plot, y: f64, text: &str) -> Markup {
    html! {
        text class="row-label" x=(num(plot.left - 10.0)) y=(num(y)) dy="0.35em" text-anchor="end" {
            title { (text) }
            (truncate(text, LABEL_CHARS))
        }
    }
}

/// A value of `unit` as a label.
fn value_text(unit: Unit, v: f64, currency: &str) -> String {
    match unit {
        Unit::Money => money(v, currency),
        Unit::Probability | Unit::Fraction => percent(v, 1),
        Unit::Years => format!("{v:.2} y"),
        Unit::Ratio => format!("{v:.2}"),
    }
}

fn unit_ticks(unit: Unit, ticks: &Ticks) -> Vec<(f64, String)> {
    match unit {
        Unit::Money => money_ticks(ticks),
        Unit::Probability | Unit::Fraction => percent_ticks(ticks),
        Unit::Years => ticks
            .values
            .iter()
            .map(|&v| (v, format!("{v} y")))
            .collect(),
        Unit::Ratio => ticks.values.iter().map(|&v| (v, format!("{v}"))).collect(),
    }
}

/// A bar between two values on `x`, centred on `cy`.
fn bar(x: &Linear, a: f64, b: f64, cy: f64, thickness: f64, fill: &str) -> Markup {
    let (left, right) = (x.clamped(a.min(b)), x.clamped(a.max(b)));
    html! {
        rect x=(num(left)) y=(num(cy - thickness / 2.0)) width=(num(right - left))
            height=(num(thickness)) fill=(fill) {}
    }
}

/// The tornado: for each input a bar from the base to the output with the factor ruled out
/// (or the input at its P10) and one to the output with it certain (or at its P90), largest
/// swing on top.
pub fn tornado(t: &TornadoChart, currency: &str) -> Chart {
    let id = "tornado";
    let title = format!("Tornado: what moves {}", t.metric_label);
    let note = format!("Strategy: {} — the largest swing on top", t.strategy);
    let entries = [
        Entry::new(None, Swatch::Block(LOW), "factor ruled out / input at P10"),
        Entry::new(None, Swatch::Block(HIGH), "factor certain / input at P90"),
        Entry::new(
            None,
            Swatch::Line {
                colour: INK,
                dashed: false,
            },
            format!("base {}", value_text(t.unit, t.base, currency)),
        ),
    ];
    let (head, top) = header(&title, &note, &entries);
    let row = 30.0;
    let rows = t.bars.len().max(1) as f64;
    let plot = Plot {
        left: label_margin(t.bars.iter().map(|b| b.input.as_str())),
        top: top + 6.0,
        right: WIDTH - 28.0,
        bottom: top + 6.0 + rows * row,
    };
    let height = plot.bottom + BOTTOM;
    let values = t.bars.iter().flat_map(|b| [b.low, b.high]);
    let (lo, hi) = values
        .chain([t.base])
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    // Room beyond the bars for their value labels.
    let pad = 0.18 * (hi - lo).max(f64::EPSILON);
    let ticks = nice_ticks(lo - pad, hi + pad, 6);
    let x = Linear::new((ticks.lo, ticks.hi), (plot.left, plot.right));
    let money_title = |label: &str| match t.unit {
        Unit::Money => format!("{label} ({currency})"),
        _ => label.to_string(),
    };
    let axis = Axis {
        scale: x,
        ticks: unit_ticks(t.unit, &ticks),
        title: money_title(&t.metric_label),
    };
    let base_x = x.map(t.base);
    let body = html! {
        (head)
        (x_axis(&plot, &axis, true))
        @for (i, b) in t.bars.iter().enumerate() {
            @let cy = plot.top + (i as f64 + 0.5) * row;
            g class="bar" {
                (row_label(&plot, cy, &b.input))
                // The longer bar first, so a shorter one on the same side stays visible.
                @if (b.low - t.base).abs() >= (b.high - t.base).abs() {
                    (bar(&x, t.base, b.low, cy, 18.0, LOW))
                    (bar(&x, t.base, b.high, cy, 18.0, HIGH))
                } @else {
                    (bar(&x, t.base, b.high, cy, 18.0, HIGH))
                    (bar(&x, t.base, b.low, cy, 18.0, LOW))
                }
                @let least = b.low.min(b.high);
                @let most = b.low.max(b.high);
                @if least < t.base {
                    (halo_text(x.clamped(least) - 4.0, cy + 4.0, "end", MUTED, &value_text(t.unit, least, currency)))
                }
                @if most > t.base {
                    (halo_text(x.clamped(most) + 4.0, cy + 4.0, "start", MUTED, &value_text(t.unit, most, currency)))
                }
            }
        }
        line class="base" x1=(num(base_x)) y1=(num(plot.top - 4.0)) x2=(num(base_x))
            y2=(num(plot.bottom)) stroke=(INK) stroke-width="1.5" {}
    };
    Chart {
        id,
        svg: document(id, &title, height, body),
        title,
    }
}

/// The model's failure causes by survey cause group — the baseline's and the recommended
/// strategy's share of the trials that missed their objectives, with 95 % intervals — beside
/// the CRM Forum survey's share. When the baseline is the recommended strategy it is drawn
/// once.
pub fn causes_vs_survey(s: &[SurveyComparison], baseline: Named, recommended: Named) -> Chart {
    let id = "causes_vs_survey";
    let title = "Failure causes: model beside the CRM Forum survey".to_string();
    let note = "Share of the trials that missed their objectives, by primary cause; \
                whiskers: 95 % intervals";
    let same = baseline.index == recommended.index;
    let mut entries = vec![Entry::new(
        None,
        Swatch::Block(SURVEY),
        "CRM Forum survey (2001, N ≈ 700)",
    )];
    entries.push(Entry::new(
        Some(baseline.index),
        Swatch::Block(colour(baseline.index)),
        role_name(baseline.name, true, same),
    ));
    if !same {
        entries.push(Entry::new(
            Some(recommended.index),
            Swatch::Block(colour(recommended.index)),
            role_name(recommended.name, false, true),
        ));
    }
    let (head, top) = header(&title, note, &entries);
    let bars = if same { 2.0 } else { 3.0 };
    let thickness = 10.0;
    let group = bars * (thickness + 3.0) + 16.0;
    let plot = Plot {
        left: label_margin(s.iter().map(|c| c.label.as_str())),
        top: top + 4.0,
        right: WIDTH - 60.0,
        bottom: top + 4.0 + s.len().max(1) as f64 * group,
    };
    // Each group's source is its bar's tooltip; the first (the survey as a whole) is printed.
    let footnote = s
        .iter()
        .find_map(|c| c.source.as_deref())
        .map(|source| truncate(&format!("Survey: {source}"), 110));
    let height = plot.bottom + BOTTOM + if footnote.is_some() { 14.0 } else { 0.0 };
    let peak = s
        .iter()
        .flat_map(|c| [c.survey.unwrap_or(0.0), c.baseline.high, c.recommended.high])
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let ticks = nice_ticks(0.0, if peak > 0.0 { peak } else { 0.1 }, 5);
    let x = Linear::new((0.0, ticks.hi), (plot.left, plot.right));
    let axis = Axis {
        scale: x,
        ticks: percent_ticks(&ticks),
        title: "Share of the trials that missed their objectives".into(),
    };
    let slot = |g: usize, b: usize| {
        plot.top + g as f64 * group + 8.0 + (b as f64 + 0.5) * (thickness + 3.0)
    };
    let body = html! {
        (head)
        (x_axis(&plot, &axis, true))
        @for (g, c) in s.iter().enumerate() {
            @let middle = plot.top + (g as f64 + 0.5) * group;
            g class="cause-group" {
                @if g > 0 {
                    line x1="16" y1=(num(plot.top + g as f64 * group)) x2=(num(plot.right))
                        y2=(num(plot.top + g as f64 * group)) stroke=(GRID) {}
                }
                (row_label(&plot, middle, &c.label))
                @match c.survey {
                    Some(v) => {
                        g class="survey" {
                            @if let Some(source) = &c.source { title { (source) } }
                            (bar(&x, 0.0, v, slot(g, 0), thickness, SURVEY))
                        }
                        (halo_text(x.clamped(v) + 4.0, slot(g, 0) + 4.0, "start", MUTED, &percent(v, 0)))
                    }
                    None => {
                        text x=(num(plot.left + 4.0)) y=(num(slot(g, 0))) dy="0.35em"
                            fill=(MUTED) font-style="italic" { "not in survey" }
                    }
                }
            }
            (estimate_bar(&x, baseline.index, &c.baseline, slot(g, 1), thickness))
            @if !same {
                (estimate_bar(&x, recommended.index, &c.recommended, slot(g, 2), thickness))
            }
        }
        @if let Some(text) = &footnote {
            text class="chart-footnote" x="16" y=(num(height - 10.0)) fill=(MUTED) { (text) }
        }
    };
    Chart {
        id,
        svg: document(id, &title, height, body),
        title,
    }
}

/// A strategy's share as a bar with its 95 % interval as a whisker and the value beyond it.
fn estimate_bar(x: &Linear, k: usize, e: &Estimate, cy: f64, thickness: f64) -> Markup {
    let (low, high) = (x.clamped(e.low.max(0.0)), x.clamped(e.high));
    let cap = thickness / 2.0 - 1.0;
    html! {
        g class="strategy" data-strategy=(k) {
            (bar(x, 0.0, e.value, cy, thickness, colour(k)))
            path class="whisker" d=(format!(
                "M{l},{t} V{b} M{l},{m} H{h} M{h},{t} V{b}",
                l = num(low), h = num(high), m = num(cy), t = num(cy - cap), b = num(cy + cap)
            )) stroke=(INK) stroke-width="1.2" fill="none" {}
            (halo_text(high.max(x.clamped(e.value)) + 4.0, cy + 4.0, "start", MUTED, &percent(e.value, 0)))
        }
    }
}
