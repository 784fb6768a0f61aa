//! The reliability diagram of `crmcast score`: per bin of forecast P(success), the share of
//! projects that succeeded against the bin's mean forecast, with its exact 95 % interval as a
//! whisker; the diagonal is perfect calibration. Points below the diagonal on the right and
//! above it on the left mark forecasts more extreme than the outcomes bore out.

use super::Chart;
use super::frame::{Axis, Entry, Guide, MUTED, Plot, SMALL, Swatch, WIDTH, document, guide};
use super::frame::{header, x_axis, y_axis};
use super::scale::{Linear, nice_ticks, num, percent_ticks};
use crate::analysis::score::ReliabilityBin;
use maud::html;

const HEIGHT: f64 = 560.0;
const COLOUR: &str = "#0072B2";

/// The diagram for `bins` (from `analysis::score`); `n` is the forecasts scored.
pub fn reliability(bins: &[ReliabilityBin], n: u64) -> Chart {
    let title = "Reliability: forecast P(success) against what happened";
    let note = format!(
        "{n} forecasts in bins of 10 points; whiskers: exact 95 % intervals; labels: forecasts per bin"
    );
    let entries = [
        Entry::new(None, Swatch::Dot(COLOUR), "observed share of successes"),
        Entry::new(
            None,
            Swatch::Line {
                colour: MUTED,
                dashed: true,
            },
            "perfect calibration",
        ),
    ];
    let (head, top) = header(title, &note, &entries);
    // A square plot, beside the y axis's title.
    let side = (HEIGHT - 60.0 - top).min(WIDTH - 140.0);
    let left = 84.0;
    let plot = Plot {
        left,
        top,
        right: left + side,
        bottom: top + side,
    };
    let ticks = nice_ticks(0.0, 1.0, 5);
    let x = Linear::new((0.0, 1.0), (plot.left, plot.right));
    let y = Linear::new((0.0, 1.0), (plot.bottom, plot.top));
    let x_axis_spec = Axis {
        scale: x,
        ticks: percent_ticks(&ticks),
        title: "Forecast P(success)".into(),
    };
    let y_axis_spec = Axis {
        scale: y,
        ticks: percent_ticks(&ticks),
        title: "Observed share that succeeded".into(),
    };
    let diagonal = Guide {
        from: (x.map(0.0), y.map(0.0)),
        to: (x.map(1.0), y.map(1.0)),
        label: "",
        label_at: (0.0, 0.0, "start"),
    };
    let body = html! {
        (head)
        (x_axis(&plot, &x_axis_spec, true))
        (y_axis(&plot, &y_axis_spec, true))
        (guide(&diagonal))
        g class="bins" {
            @for b in bins.iter().filter(|b| b.observed.n > 0) {
                @let cx = x.map(b.forecast);
                g class="bin" {
                    line x1=(num(cx)) y1=(num(y.map(b.observed.low))) x2=(num(cx))
                        y2=(num(y.map(b.observed.high))) stroke=(COLOUR) stroke-width="1.5" {}
                    circle cx=(num(cx)) cy=(num(y.map(b.observed.value))) r="5" fill=(COLOUR) {}
                    text x=(num(cx + 8.0)) y=(num(y.map(b.observed.value) - 6.0))
                        font-size=(num(SMALL)) fill=(MUTED) { (b.observed.n) }
                }
            }
        }
    };
    Chart {
        id: "reliability",
        title: title.into(),
        svg: document("reliability", title, HEIGHT, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::score::clopper_pearson;

    #[test]
    fn one_dot_and_whisker_per_filled_bin() {
        let bins = [
            ReliabilityBin {
                from: 0.1,
                to: 0.2,
                forecast: 0.15,
                observed: clopper_pearson(1, 8),
            },
            ReliabilityBin {
                from: 0.7,
                to: 0.8,
                forecast: 0.74,
                observed: clopper_pearson(6, 8),
            },
        ];
        let chart = reliability(&bins, 16);
        assert_eq!(chart.svg.matches("<circle").count(), 2 + 1); // + the legend's dot
        assert!(chart.svg.contains("data-chart=\"reliability\""));
        assert!(chart.svg.contains("16 forecasts"));
    }
}
