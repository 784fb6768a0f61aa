//! The two charts of outcomes in a plane: the efficient frontier (mitigation spend against
//! expected NPV, with the scenario's strategies placed on it) and the scatter of cost overrun
//! against schedule slip with the cost and schedule lines and each strategy's joint
//! confidence level.

use super::distributions::marker;
use super::frame::{
    Axis, Entry, Guide, INK, MUTED, Plot, Swatch, WIDTH, document, guide, halo_text, header,
    x_axis, y_axis,
};
use super::scale::{
    Linear, capitalised, money, money_ticks, nice_ticks, num, percent, percent_ticks, points,
    signed_percent,
};
use super::{Chart, colour};
use crate::analysis::presentation::{FrontierChart, Scatter};
use crate::analysis::report::Estimate;
use maud::{Markup, html};

const FRONTIER: &str = "#444444";
/// The most trials the scatter draws per strategy: enough to show the shape of the cloud,
/// few enough to keep the SVG small.
pub const SCATTER_POINTS: usize = 800;

/// The smallest and largest finite value, widened by `share` of the span on each side.
fn extent(values: impl Iterator<Item = f64>, share: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let pad = share * (hi - lo);
    (lo - pad, hi + pad)
}

/// A vertical 95 % interval.
fn whisker(x: f64, low: f64, high: f64, colour: &str) -> Markup {
    let path = format!(
        "M{a},{lo} H{b} M{x},{lo} V{hi} M{a},{hi} H{b}",
        a = num(x - 4.0),
        b = num(x + 4.0),
        x = num(x),
        lo = num(low),
        hi = num(high)
    );
    html! {
        path class="whisker" d=(path) stroke=(colour) stroke-width="1.2" fill="none" {}
    }
}

/// The efficient frontier: the best expected NPV for each level of mitigation spend (with 95 %
/// intervals), and where the scenario's strategies lie on the same axes.
pub fn frontier(f: &FrontierChart, currency: &str) -> Chart {
    let id = "efficient_frontier";
    let title = format!(
        "Efficient frontier: mitigation spend against {}",
        f.objective_label
    );
    let note = "Each point is the best subset of mitigations for its spend; \
                whiskers: 95 % intervals";
    let mut entries = vec![Entry::new(
        None,
        Swatch::Line {
            colour: FRONTIER,
            dashed: false,
        },
        "efficient frontier",
    )];
    for (k, s) in f.strategies.iter().enumerate() {
        entries.push(Entry::new(Some(k), Swatch::Dot(colour(k)), s.name.clone()));
    }
    let (head, top) = header(&title, note, &entries);
    let height = 460.0;
    let plot = Plot {
        left: 84.0,
        top: top + 6.0,
        right: WIDTH - 28.0,
        bottom: height - 52.0,
    };
    let spends = f.points.iter().map(|p| p.spend);
    let spends = spends.chain(f.strategies.iter().map(|s| s.spend));
    let (x_lo, x_hi) = extent(spends.chain([0.0]), 0.04);
    let values = |e: &Estimate| [e.low, e.high, e.value];
    let ys = f.points.iter().flat_map(|p| values(&p.value));
    let (y_lo, y_hi) = extent(
        ys.chain(f.strategies.iter().flat_map(|s| values(&s.value))),
        0.06,
    );
    let x_ticks = nice_ticks(x_lo.max(0.0), x_hi, 6);
    let y_ticks = nice_ticks(y_lo, y_hi, 6);
    let x = Linear::new((x_ticks.lo, x_ticks.hi), (plot.left, plot.right));
    let y = Linear::new((y_ticks.lo, y_ticks.hi), (plot.bottom, plot.top));
    let x_axis_spec = Axis {
        scale: x,
        ticks: money_ticks(&x_ticks),
        title: format!("Expected spend on mitigations ({currency})"),
    };
    let y_axis_spec = Axis {
        scale: y,
        ticks: money_ticks(&y_ticks),
        title: format!("{} ({currency})", capitalised(&f.objective_label)),
    };
    let line = points(
        f.points
            .iter()
            .map(|p| (x.map(p.spend), y.map(p.value.value))),
    );
    let anchors: Vec<(f64, f64)> = f
        .strategies
        .iter()
        .map(|s| (x.map(s.spend), y.map(s.value.value)))
        .collect();
    let names: Vec<&str> = f.strategies.iter().map(|s| s.name.as_str()).collect();
    let labels = place_labels(&anchors, &names, plot.right);
    let body = html! {
        (head)
        (y_axis(&plot, &y_axis_spec, true))
        (x_axis(&plot, &x_axis_spec, true))
        g class="frontier" {
            polyline points=(line) fill="none" stroke=(FRONTIER) stroke-width="2"
                stroke-linejoin="round" {}
            @for p in &f.points {
                @let cx = x.map(p.spend);
                (whisker(cx, y.map(p.value.low), y.map(p.value.high), FRONTIER))
                circle cx=(num(cx)) cy=(num(y.map(p.value.value))) r="3.5" fill="#ffffff"
                    stroke=(FRONTIER) stroke-width="1.5" {
                    title {
                        (money(p.spend, currency)) ": "
                        @if p.mitigations.is_empty() { "no mitigations" }
                        @else { (p.mitigations.join(", ")) }
                    }
                }
            }
        }
        @for (k, (s, (lx, ly, anchor))) in f.strategies.iter().zip(&labels).enumerate() {
            @let (cx, cy) = (x.map(s.spend), y.map(s.value.value));
            g class="strategy" data-strategy=(k) {
                (whisker(cx, y.map(s.value.low), y.map(s.value.high), colour(k)))
                // A label moved down to clear another gets a leader line to its point.
                @if *ly > cy + 16.5 {
                    line x1=(num(cx)) y1=(num(cy)) x2=(num(*lx)) y2=(num(*ly - 10.0))
                        stroke=(colour(k)) stroke-width="1" {}
                }
                (marker(k, cx, cy))
                (halo_text(*lx, *ly, anchor, INK, &s.name))
            }
        }
    };
    Chart {
        id,
        svg: document(id, &title, height, body),
        title,
    }
}

/// Every `n / limit`-th point, so at most `limit` remain, spread over the whole sample (the
/// sample is the run's first trials, in no particular order of outcome).
fn thin(points: &[(f64, f64)], limit: usize) -> Vec<(f64, f64)> {
    let n = points.len();
    let shown = n.min(limit);
    (0..shown)
        .filter_map(|i| points.get(i * n / shown.max(1)).copied())
        .collect()
}

/// The dots drawn per strategy: at most [`SCATTER_POINTS`], fewer when many strategies would
/// bury each other (and bloat the SVG).
fn dots_per_strategy(strategies: usize) -> usize {
    (SCATTER_TOTAL / strategies.max(1)).clamp(SCATTER_MIN, SCATTER_POINTS)
}
const SCATTER_TOTAL: usize = 2_400;
const SCATTER_MIN: usize = 200;

/// The value below which `share` of `values` lie (nearest rank); `fallback` without values.
fn quantile(mut values: Vec<f64>, share: f64, fallback: f64) -> f64 {
    values.retain(|v| v.is_finite());
    values.sort_by(f64::total_cmp);
    let rank = ((values.len() as f64 - 1.0) * share).round().max(0.0) as usize;
    values.get(rank).copied().unwrap_or(fallback)
}

/// Cost overrun against schedule slip, one dot per trial, with the cost line and the schedule
/// line (the recommended strategy's P80s) and each strategy's joint confidence level: the
/// share of the trials within both. Overruns and slips have long right tails, so the axes end
/// at the 99th percentile of the dots (or at the lines, if further); the note counts the
/// trials beyond.
pub fn cost_schedule_scatter(s: &Scatter, names: &[&str]) -> Chart {
    let id = "cost_schedule_scatter";
    let title = "Cost overrun against schedule slip: joint confidence level".to_string();
    let limit = dots_per_strategy(s.points.len());
    let dots: Vec<Vec<(f64, f64)>> = s.points.iter().map(|p| thin(p, limit)).collect();
    let pooled = || dots.iter().flatten();
    let x_end = quantile(pooled().map(|p| p.0).collect(), 0.99, 0.0).max(s.cost_line);
    let y_end = quantile(pooled().map(|p| p.1).collect(), 0.99, 0.0).max(s.schedule_line);
    let inside = |p: &&(f64, f64)| p.0 <= x_end && p.1 <= y_end;
    let beyond = pooled().filter(|p| !inside(p)).count();
    let largest = s.points.iter().map(Vec::len).max().unwrap_or(0);
    let shown = dots.iter().map(Vec::len).max().unwrap_or(0);
    let mut note = if shown < largest {
        format!(
            "Each dot is one trial ({shown} of {} per strategy; JCL from all {})",
            grouped(s.trials),
            grouped(s.trials)
        )
    } else {
        format!(
            "Each dot is one trial (the first {} trials)",
            grouped(s.trials)
        )
    };
    if beyond > 0 {
        note.push_str(&format!("; {beyond} far-off trials lie beyond the axes"));
    }
    let name = |k: usize| {
        names
            .get(k)
            .map_or_else(|| format!("strategy {}", k + 1), |n| n.to_string())
    };
    let entries: Vec<Entry> = (0..s.points.len())
        .map(|k| {
            let jcl = match s.joint_confidence.get(k) {
                Some(e) => format!("JCL {} of trials within both", percent(e.value, 0)),
                None => "JCL not available".into(),
            };
            Entry::new(
                Some(k),
                Swatch::Dot(colour(k)),
                format!("{}: {jcl}", name(k)),
            )
        })
        .collect();
    let (head, top) = header(&title, &note, &entries);
    let height = 500.0;
    let plot = Plot {
        left: 72.0,
        top: top + 6.0,
        right: WIDTH - 28.0,
        bottom: height - 52.0,
    };
    let drawn = || pooled().filter(inside);
    let (x_lo, x_hi) = extent(drawn().map(|p| p.0).chain([s.cost_line, 0.0]), 0.02);
    let (y_lo, y_hi) = extent(drawn().map(|p| p.1).chain([s.schedule_line, 0.0]), 0.02);
    let x_ticks = nice_ticks(x_lo, x_hi, 8);
    let y_ticks = nice_ticks(y_lo, y_hi, 6);
    let x = Linear::new((x_ticks.lo, x_ticks.hi), (plot.left, plot.right));
    let y = Linear::new((y_ticks.lo, y_ticks.hi), (plot.bottom, plot.top));
    let x_axis_spec = Axis {
        scale: x,
        ticks: percent_ticks(&x_ticks),
        title: "Cost overrun (share of the budget)".into(),
    };
    let y_axis_spec = Axis {
        scale: y,
        ticks: percent_ticks(&y_ticks),
        title: "Schedule slip (share of the plan)".into(),
    };
    let (cx, cy) = (x.clamped(s.cost_line), y.clamped(s.schedule_line));
    let cost_label = format!("cost line: P80 overrun {}", signed_percent(s.cost_line, 0));
    let schedule_label = format!(
        "schedule line: P80 slip {}",
        signed_percent(s.schedule_line, 0)
    );
    let body = html! {
        (head)
        (y_axis(&plot, &y_axis_spec, true))
        (x_axis(&plot, &x_axis_spec, true))
        rect class="within-both" x=(num(plot.left)) y=(num(cy)) width=(num(cx - plot.left))
            height=(num(plot.bottom - cy)) fill="#000000" fill-opacity="0.04" {}
        @for (k, p) in dots.iter().enumerate() {
            g class="strategy" data-strategy=(k) fill=(colour(k)) fill-opacity="0.5" {
                @for &(ox, sy) in p.iter().filter(inside) {
                    circle cx=(num(x.map(ox))) cy=(num(y.map(sy))) r="2" {}
                }
            }
        }
        (guide(&Guide {
            from: (cx, plot.top),
            to: (cx, plot.bottom),
            label: &cost_label,
            label_at: (cx + 4.0, plot.top + 12.0, "start"),
        }))
        (guide(&Guide {
            from: (plot.left, cy),
            to: (plot.right, cy),
            label: &schedule_label,
            label_at: (plot.right - 4.0, cy - 5.0, "end"),
        }))
        (halo_text(plot.left + 6.0, plot.bottom - 8.0, "start", MUTED, "within both lines"))
    };
    Chart {
        id,
        svg: document(id, &title, height, body),
        title,
    }
}

/// A count with thousands separators, as the page's tables write it.
fn grouped(n: u64) -> String {
    crate::export::sections::money(n as f64)
}

/// Label positions `(x, y, anchor)` for points at `anchors`: below and to the right of each
/// point (strategies lie on or under the rising frontier, so that is where the line is not),
/// to the left near the right edge, and moved down a line at a time while a label would
/// overlap one placed before it (points taken from the top down).
fn place_labels(
    anchors: &[(f64, f64)],
    names: &[&str],
    right_edge: f64,
) -> Vec<(f64, f64, &'static str)> {
    const LINE: f64 = 15.0;
    const SIZE: f64 = super::frame::SMALL;
    let mut order: Vec<usize> = (0..anchors.len()).collect();
    order.sort_by(|&a, &b| anchors[a].1.total_cmp(&anchors[b].1));
    let mut placed: Vec<(f64, f64, f64)> = Vec::new(); // (left, right, baseline)
    let mut labels = vec![(0.0, 0.0, "start"); anchors.len()];
    for i in order {
        let (cx, cy) = anchors[i];
        let width = super::scale::text_width(names[i], SIZE);
        let (lx, anchor, left) = if right_edge - cx < 140.0 {
            (cx - 9.0, "end", cx - 9.0 - width)
        } else {
            (cx + 9.0, "start", cx + 9.0)
        };
        let mut ly = cy + 16.0;
        while placed
            .iter()
            .any(|&(l, r, y)| left < r && left + width > l && (ly - y).abs() < LINE)
        {
            ly += LINE;
        }
        placed.push((left, left + width, ly));
        labels[i] = (lx, ly, anchor);
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::place_labels;

    #[test]
    fn labels_that_would_overlap_move_down_a_line() {
        let labels = place_labels(&[(100.0, 50.0), (104.0, 52.0)], &["first", "second"], 700.0);
        assert_eq!(labels[0], (109.0, 66.0, "start"));
        assert_eq!(labels[1], (113.0, 83.0, "start"), "a line below the first");
        // Far apart: each where it belongs.
        let apart = place_labels(&[(100.0, 50.0), (400.0, 52.0)], &["first", "second"], 700.0);
        assert_eq!(apart[1], (409.0, 68.0, "start"));
        // Near the right edge the label goes left of its point.
        let edge = place_labels(&[(650.0, 50.0)], &["last"], 700.0);
        assert_eq!(edge[0], (641.0, 66.0, "end"));
    }
}
