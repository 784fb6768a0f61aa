//! The "then and now" charts of `crmcast update`: one quantity (cost overrun, schedule slip or
//! whole-life NPV) of the plan as it stands, as two S-curves — before the evidence (dashed)
//! and after it (solid) — with P50 and P80 guides. Built on the shared frame and scales, in the
//! style of the report's S-curves.

use super::Chart;
use super::frame::{
    Axis, Entry, Guide, LABEL, Plot, Swatch, WIDTH, document, guide, halo_text, header, x_axis,
    y_axis,
};
use super::scale::{Linear, money_ticks, nice_ticks, num, percent_ticks, points, signed_percent};
use crate::analysis::update::ThenAndNow;
use maud::html;

const HEIGHT: f64 = 420.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 28.0;
const BOTTOM: f64 = 52.0;
/// Before the evidence: the palette's sky blue, dashed; after it: vermillion, solid.
const THEN: &str = "#56B4E9";
const NOW: &str = "#D55E00";
/// The curves are drawn between these levels: the far tail of an overrun (a runaway) would
/// squeeze the body of both curves into a corner.
const LOWEST: f64 = 0.05;
const HIGHEST: f64 = 0.95;

/// What each quantity is called on the chart: (chart id, title, axis title, zero label).
fn spec(quantity: &str, currency: &str) -> Option<(&'static str, String, String, &'static str)> {
    match quantity {
        "overrun" => Some((
            "then_and_now_overrun",
            "Cost overrun of the plan: then and now".into(),
            "Cost overrun (share of the budget)".into(),
            "on budget",
        )),
        "slip" => Some((
            "then_and_now_slip",
            "Schedule slip of the plan: then and now".into(),
            "Schedule slip (share of the planned duration)".into(),
            "on time",
        )),
        "npv_total" => Some((
            "then_and_now_npv_total",
            "Whole-life NPV of the plan: then and now".into(),
            format!("Whole-life NPV ({currency})"),
            "break-even",
        )),
        _ => None,
    }
}

/// The chart of one quantity; `None` for a quantity it does not know or curves that do not
/// match their levels.
pub fn then_and_now(curve: &ThenAndNow, currency: &str, status: &str) -> Option<Chart> {
    let (id, title, axis_title, zero_label) = spec(&curve.quantity, currency)?;
    let n = curve.levels.len();
    if n < 2 || curve.then.len() != n || curve.now.len() != n {
        return None;
    }
    let shown = |values: &[f64]| -> Vec<(f64, f64)> {
        curve
            .levels
            .iter()
            .zip(values)
            .filter(|(p, v)| (LOWEST..=HIGHEST).contains(*p) && v.is_finite())
            .map(|(&p, &v)| (v, p))
            .collect()
    };
    let (then, now) = (shown(&curve.then), shown(&curve.now));
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &(v, _) in then.iter().chain(&now) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let note = format!(
        "Share of trials at or below each value (P5 to P95), before the evidence and after the status {status}"
    );
    let entries = [
        Entry::new(
            None,
            Swatch::Line {
                colour: THEN,
                dashed: true,
            },
            "Then: the plan before the evidence",
        ),
        Entry::new(
            None,
            Swatch::Line {
                colour: NOW,
                dashed: false,
            },
            "Now: after the evidence",
        ),
    ];
    let (head, top) = header(&title, &note, &entries);
    let plot = Plot {
        left: LEFT,
        top,
        right: WIDTH - RIGHT,
        bottom: HEIGHT - BOTTOM,
    };
    let x_ticks = nice_ticks(lo, hi, 8);
    let domain = if lo.is_finite() && hi > lo {
        (lo, hi)
    } else {
        (x_ticks.lo, x_ticks.hi)
    };
    let x = Linear::new(domain, (plot.left, plot.right));
    let y = Linear::new((0.0, 1.0), (plot.bottom, plot.top));
    let money = curve.quantity == "npv_total";
    let x_axis_spec = Axis {
        scale: x,
        ticks: if money {
            money_ticks(&x_ticks)
        } else {
            percent_ticks(&x_ticks)
        },
        title: axis_title,
    };
    let y_axis_spec = Axis {
        scale: y,
        ticks: percent_ticks(&nice_ticks(0.0, 1.0, 5)),
        title: "Share of trials at or below".into(),
    };
    let level = |p: f64, label: &'static str| Guide {
        from: (plot.left, y.map(p)),
        to: (plot.right, y.map(p)),
        label,
        label_at: (plot.right - 4.0, y.map(p) - 5.0, "end"),
    };
    let zero = (x.domain.0 < 0.0 && x.domain.1 > 0.0).then(|| x.map(0.0));
    // The now-curve's P80, labelled beside its dot (overrun and slip in percent).
    let p80 = curve
        .levels
        .iter()
        .position(|&p| (p - 0.8).abs() < 1e-9)
        .map(|i| curve.now[i])
        .filter(|v| v.is_finite());
    let p80_text = p80.map(|v| {
        if money {
            format!("P80 now {}", super::scale::money(v, currency))
        } else {
            format!("P80 now {}", signed_percent(v, 0))
        }
    });
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
                label: zero_label,
                label_at: (zx + 4.0, plot.bottom - 6.0, "start"),
            }))
        }
        g class="series then" {
            polyline points=(points(then.iter().map(|&(v, p)| (x.map(v), y.map(p)))))
                fill="none" stroke=(THEN) stroke-width="2.2" stroke-dasharray="6 4"
                stroke-linejoin="round" {}
        }
        g class="series now" {
            polyline points=(points(now.iter().map(|&(v, p)| (x.map(v), y.map(p)))))
                fill="none" stroke=(NOW) stroke-width="2.4" stroke-linejoin="round" {}
            @if let (Some(v), Some(text)) = (p80, &p80_text) {
                circle class="marker" cx=(num(x.clamped(v))) cy=(num(y.map(0.8))) r="4.5"
                    fill=(NOW) stroke="#ffffff" stroke-width="1.5" {}
                g font-weight="bold" font-size=(num(LABEL)) {
                    (halo_text(x.clamped(v) - 8.0, y.map(0.8) - 7.0, "end", NOW, text))
                }
            }
        }
    };
    Some(Chart {
        id,
        title: title.clone(),
        svg: document(id, &title, HEIGHT, body),
    })
}

/// Every then-and-now chart of a result, in its order.
pub fn then_and_now_charts(curves: &[ThenAndNow], currency: &str, status: &str) -> Vec<Chart> {
    curves
        .iter()
        .filter_map(|c| then_and_now(c, currency, status))
        .collect()
}

/// How to read each then-and-now chart (by id), in one sentence; "" for another chart.
pub fn then_and_now_reading(id: &str) -> &'static str {
    match id {
        "then_and_now_overrun" => {
            "Read across from a confidence level to the cost overrun it needs, before the evidence (dashed) and after it (solid): a curve moved right means the project now looks dearer."
        }
        "then_and_now_slip" => {
            "Read across from a confidence level to the schedule slip it needs, before the evidence (dashed) and after it (solid)."
        }
        "then_and_now_npv_total" => {
            "The whole-life NPV (sunk cost included, comparable with the forecast at the start), before the evidence (dashed) and after it (solid): mass left of zero is the chance the project as a whole loses money."
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(quantity: &str) -> ThenAndNow {
        let levels: Vec<f64> = (1..100).map(|i| i as f64 / 100.0).collect();
        ThenAndNow {
            quantity: quantity.into(),
            then: levels.iter().map(|p| p - 0.5).collect(),
            now: levels.iter().map(|p| 2.0 * p - 0.6).collect(),
            levels,
        }
    }

    #[test]
    fn both_curves_are_drawn_with_the_p80_of_now_labelled() {
        let chart = then_and_now(&curve("overrun"), "EUR", "of 2026-08-31").expect("a chart");
        assert_eq!(chart.id, "then_and_now_overrun");
        let svg = &chart.svg;
        assert!(svg.contains("class=\"series then\""), "{svg}");
        assert!(svg.contains("class=\"series now\""));
        assert_eq!(svg.matches("<polyline").count(), 2);
        // now at 0.8 is 2·0.8 − 0.6 = +100 %.
        assert!(svg.contains("P80 now +100 %"), "{svg}");
        assert!(svg.contains("on budget"));
        // Valid XML with one root (the frame's contract).
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn npv_is_in_money_and_unknown_or_broken_curves_give_no_chart() {
        let mut npv = curve("npv_total");
        npv.then = npv.then.iter().map(|v| v * 1e6).collect();
        npv.now = npv.now.iter().map(|v| v * 1e6).collect();
        let chart = then_and_now(&npv, "EUR", "").expect("a chart");
        assert!(chart.svg.contains("Whole-life NPV (EUR)"));
        assert!(chart.svg.contains("P80 now EUR 1 M"), "{}", chart.svg);
        assert!(then_and_now(&curve("roi"), "EUR", "").is_none());
        let mut broken = curve("slip");
        broken.now.pop();
        assert!(then_and_now(&broken, "EUR", "").is_none());
        assert_eq!(
            then_and_now_charts(&[curve("overrun"), curve("roi"), curve("slip")], "EUR", "").len(),
            2
        );
    }

    #[test]
    fn names_in_the_status_are_escaped() {
        let chart = then_and_now(&curve("slip"), "EUR", "of <script>").expect("a chart");
        assert!(!chart.svg.contains("<script>"));
        assert!(chart.svg.contains("&lt;script&gt;"));
    }
}
