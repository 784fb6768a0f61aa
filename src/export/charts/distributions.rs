//! The distribution charts: NPV and ROI histograms (one step outline per strategy over shared
//! bins, so they overlay) and the S-curves of cost overrun and schedule slip (cumulative
//! distributions with each strategy's P50 and P80 marked, labelled for the recommended one).

use super::frame::{
    Axis, Entry, Guide, INK, LABEL, Plot, Swatch, WIDTH, document, guide, halo_text, header,
    x_axis, y_axis,
};
use super::scale::{
    Linear, Ticks, money_ticks, nice_ticks, num, percent_ticks, points, signed_percent, text_width,
};
use super::{Chart, colour};
use crate::analysis::presentation::{Histogram, SCurve, StrategyDistributions};
use maud::{Markup, html};

const HEIGHT: f64 = 440.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 28.0;
const BOTTOM: f64 = 52.0;

/// The legend text of a strategy: its name and its role in the decision (one spelling for
/// every output: [`crate::presentation::names::strategy_name`]).
pub use crate::presentation::names::strategy_name as role_name;

fn legend(d: &[StrategyDistributions]) -> Vec<Entry> {
    d.iter()
        .enumerate()
        .map(|(k, s)| {
            let swatch = Swatch::Line {
                colour: colour(k),
                dashed: false,
            };
            Entry::new(
                Some(k),
                swatch,
                role_name(&s.name, s.baseline, s.recommended),
            )
        })
        .collect()
}

fn plot_below(top: f64) -> Plot {
    Plot {
        left: LEFT,
        top,
        right: WIDTH - RIGHT,
        bottom: HEIGHT - BOTTOM,
    }
}

/// NPV histogram, x in the scenario's currency.
pub fn npv_histogram(d: &[StrategyDistributions], currency: &str) -> Chart {
    histogram(
        HistogramSpec {
            id: "npv_histogram",
            title: "Net present value: distribution of outcomes".into(),
            axis_title: format!("NPV ({currency})"),
            labels: money_ticks,
        },
        d,
        |s| &s.npv,
    )
}

/// ROI histogram, x in percent.
pub fn roi_histogram(d: &[StrategyDistributions]) -> Chart {
    histogram(
        HistogramSpec {
            id: "roi_histogram",
            title: "Return on investment: distribution of outcomes".into(),
            axis_title: "ROI".into(),
            labels: percent_ticks,
        },
        d,
        |s| &s.roi,
    )
}

struct HistogramSpec {
    id: &'static str,
    title: String,
    axis_title: String,
    labels: fn(&Ticks) -> Vec<(f64, String)>,
}

fn histogram(
    spec: HistogramSpec,
    d: &[StrategyDistributions],
    pick: impl Fn(&StrategyDistributions) -> &Histogram,
) -> Chart {
    let note = "Share of trials in each bin (the outermost bins also hold the trials beyond them)";
    let (head, top) = header(&spec.title, note, &legend(d));
    let plot = plot_below(top);
    let usable = |h: &&Histogram| h.edges.len() >= 2 && h.shares.len() + 1 == h.edges.len();
    let (mut lo, mut hi, mut peak) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    for h in d.iter().map(&pick).filter(usable) {
        lo = lo.min(h.edges[0]);
        hi = hi.max(h.edges[h.edges.len() - 1]);
        peak = h.shares.iter().copied().fold(peak, f64::max);
    }
    let x_ticks = nice_ticks(lo, hi, 8);
    let y_ticks = nice_ticks(0.0, if peak > 0.0 { peak } else { 0.1 }, 5);
    let x = Linear::new(span(lo, hi, &x_ticks), (plot.left, plot.right));
    let y = Linear::new((0.0, y_ticks.hi), (plot.bottom, plot.top));
    let x_axis_spec = Axis {
        scale: x,
        ticks: (spec.labels)(&x_ticks),
        title: spec.axis_title,
    };
    let y_axis_spec = Axis {
        scale: y,
        ticks: percent_ticks(&Ticks {
            values: y_ticks
                .values
                .iter()
                .copied()
                .filter(|v| *v >= 0.0)
                .collect(),
            ..y_ticks
        }),
        title: "Share of trials".into(),
    };
    let zero = (x.domain.0 < 0.0 && x.domain.1 > 0.0).then(|| x.map(0.0));
    // Overlaid fills add up: the more strategies, the lighter each.
    let fill_opacity = num((0.3 / d.len().max(1) as f64).clamp(0.04, 0.1));
    let body = html! {
        (head)
        (y_axis(&plot, &y_axis_spec, true))
        (x_axis(&plot, &x_axis_spec, false))
        @if let Some(zx) = zero {
            (guide(&Guide {
                from: (zx, plot.top),
                to: (zx, plot.bottom),
                label: "break-even",
                label_at: (zx + 4.0, plot.top + 12.0, "start"),
            }))
        }
        @for (k, h) in d.iter().map(&pick).enumerate() {
            @if usable(&h) {
                g class="strategy" data-strategy=(k) {
                    path class="series" d=(step_path(h, &x, &y)) fill=(colour(k))
                        fill-opacity=(fill_opacity) stroke=(colour(k)) stroke-width="2"
                        stroke-linejoin="round" {}
                }
            }
        }
    };
    Chart {
        id: spec.id,
        title: spec.title.clone(),
        svg: document(spec.id, &spec.title, HEIGHT, body),
    }
}

/// The x domain: the data's own extent (the ticks fall inside it), so no width is spent on
/// empty margins; the ticks' extent when the data has none.
fn span(lo: f64, hi: f64, ticks: &Ticks) -> (f64, f64) {
    if lo.is_finite() && hi.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (ticks.lo, ticks.hi)
    }
}

/// The outline of a histogram: up and across each bin, closed along the x axis.
fn step_path(h: &Histogram, x: &Linear, y: &Linear) -> String {
    let base = y.map(0.0);
    let mut d = format!("M{},{}", num(x.map(h.edges[0])), num(base));
    for (i, share) in h.shares.iter().enumerate() {
        d.push_str(&format!(
            " V{} H{}",
            num(y.clamped(*share)),
            num(x.map(h.edges[i + 1]))
        ));
    }
    d.push_str(&format!(" V{} Z", num(base)));
    d
}

/// S-curve of cost overrun.
pub fn overrun_s_curve(d: &[StrategyDistributions]) -> Chart {
    s_curve(
        SCurveSpec {
            id: "overrun_s_curve",
            title: "Cost overrun: S-curves with P50 and P80",
            axis_title: "Cost overrun (share of the budget)",
            zero_label: "on budget",
        },
        d,
        |s| &s.overrun,
    )
}

/// S-curve of schedule slip.
pub fn slip_s_curve(d: &[StrategyDistributions]) -> Chart {
    s_curve(
        SCurveSpec {
            id: "slip_s_curve",
            title: "Schedule slip: S-curves with P50 and P80",
            axis_title: "Schedule slip (share of the planned duration)",
            zero_label: "on time",
        },
        d,
        |s| &s.slip,
    )
}

struct SCurveSpec {
    id: &'static str,
    title: &'static str,
    axis_title: &'static str,
    zero_label: &'static str,
}

fn s_curve(
    spec: SCurveSpec,
    d: &[StrategyDistributions],
    pick: impl Fn(&StrategyDistributions) -> &SCurve,
) -> Chart {
    let note = "Share of trials at or below each value; dots mark every strategy's P50 and P80";
    let (head, top) = header(spec.title, note, &legend(d));
    let plot = plot_below(top);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for c in d.iter().map(&pick) {
        let xs = c.points.iter().map(|p| p.0).chain([c.p50, c.p80]);
        for v in xs.filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    let labels = quantile_labels(d, &pick);
    // Widen the axis where a label needs room beside its dot (two passes: each widening
    // shrinks the room the other label had).
    let width = plot.right - plot.left;
    for _ in 0..2 {
        for l in &labels {
            let f = ((text_width(&l.text, LABEL) + 14.0) / width).min(0.45);
            if l.left {
                lo = lo.min((l.value - f * hi) / (1.0 - f));
            } else {
                hi = hi.max((l.value - f * lo) / (1.0 - f));
            }
        }
    }
    let x_ticks = nice_ticks(lo, hi, 8);
    let x = Linear::new(span(lo, hi, &x_ticks), (plot.left, plot.right));
    let y = Linear::new((0.0, 1.0), (plot.bottom, plot.top));
    let x_axis_spec = Axis {
        scale: x,
        ticks: percent_ticks(&x_ticks),
        title: spec.axis_title.into(),
    };
    let y_axis_spec = Axis {
        scale: y,
        ticks: percent_ticks(&nice_ticks(0.0, 1.0, 5)),
        title: "Share of trials at or below".into(),
    };
    let zero = (x.domain.0 < 0.0 && x.domain.1 > 0.0).then(|| x.map(0.0));
    let level = |p: f64, label: &'static str| Guide {
        from: (plot.left, y.map(p)),
        to: (plot.right, y.map(p)),
        label,
        label_at: (plot.right - 4.0, y.map(p) - 5.0, "end"),
    };
    let body = html! {
        (head)
        (y_axis(&plot, &y_axis_spec, true))
        (x_axis(&plot, &x_axis_spec, false))
        (guide(&level(0.5, "50 %: P50")))
        (guide(&level(0.8, "80 %: P80")))
        @if let Some(zx) = zero {
            (guide(&Guide {
                from: (zx, plot.top),
                to: (zx, plot.bottom),
                label: spec.zero_label,
                label_at: (zx + 4.0, plot.bottom - 6.0, "start"),
            }))
        }
        @for (k, s) in d.iter().enumerate() {
            @let c = pick(s);
            g class="strategy" data-strategy=(k) {
                polyline class="series" points=(points(c.points.iter().map(|&(v, p)| (x.map(v), y.map(p)))))
                    fill="none" stroke=(colour(k)) stroke-width="2.2" stroke-linejoin="round" {}
                (marker(k, x.map(c.p50), y.map(0.5)))
                (marker(k, x.map(c.p80), y.map(0.8)))
                @if s.recommended {
                    @for l in &labels {
                        (quantile_label(x.map(l.value), y.map(l.level), l))
                    }
                }
            }
        }
    };
    Chart {
        id: spec.id,
        title: spec.title.into(),
        svg: document(spec.id, spec.title, HEIGHT, body),
    }
}

/// A quantile's dot, ringed in white so overlapping dots stay apart.
pub fn marker(k: usize, cx: f64, cy: f64) -> Markup {
    html! {
        circle class="marker" cx=(num(cx)) cy=(num(cy)) r="4.5" fill=(colour(k))
            stroke="#ffffff" stroke-width="1.5" {}
    }
}

/// The recommended strategy's P50 or P80, labelled beside its dot.
struct QuantileLabel {
    level: f64,
    value: f64,
    text: String,
    /// Left of the dot (where the rising curve leaves room), unless every other strategy's
    /// dot at this level lies to the left: then the right is the free side.
    left: bool,
}

fn quantile_labels(
    d: &[StrategyDistributions],
    pick: impl Fn(&StrategyDistributions) -> &SCurve,
) -> Vec<QuantileLabel> {
    let Some(recommended) = d.iter().find(|s| s.recommended) else {
        return Vec::new();
    };
    let curve = pick(recommended);
    let others: Vec<&SCurve> = d.iter().filter(|s| !s.recommended).map(&pick).collect();
    [(0.5, curve.p50, "P50"), (0.8, curve.p80, "P80")]
        .into_iter()
        .filter(|(_, value, _)| value.is_finite())
        .map(|(level, value, name)| {
            let other = |c: &&SCurve| if level == 0.5 { c.p50 } else { c.p80 };
            let rightmost = !others.is_empty() && others.iter().all(|c| other(c) < value);
            QuantileLabel {
                level,
                value,
                text: format!("{name} {}", signed_percent(value, 0)),
                left: !rightmost,
            }
        })
        .collect()
}

fn quantile_label(cx: f64, cy: f64, label: &QuantileLabel) -> Markup {
    let (lx, anchor) = if label.left {
        (cx - 8.0, "end")
    } else {
        (cx + 8.0, "start")
    };
    html! {
        g font-weight="bold" font-size=(num(LABEL)) {
            (halo_text(lx, cy - 7.0, anchor, INK, &label.text))
        }
    }
}
