//! SVG charts of a [`Presentation`]: NPV and ROI histograms, S-curves of cost overrun and
//! schedule slip, the tornado, the failure causes beside the CRM Forum survey, the efficient
//! frontier and the cost-versus-schedule scatter; and the "then and now" S-curves of
//! `crmcast update` ([`then_and_now`]: the plan before and after the evidence).
//!
//! Each chart is a standalone SVG document (its own heading and legend, so it can be saved as
//! a file or rasterised with [`png::png`]) that the HTML report also inlines. The contract
//! with the page:
//! - the root is `<svg class="chart" data-chart="{id}" role="img" aria-labelledby="{id}-title">`
//!   with a `<title>`, and the visible heading is `text.chart-heading` (a page that prints its
//!   own heading can hide it);
//! - everything drawn for strategy K (0-based, scenario order), legend entries included, sits
//!   in a `<g class="strategy" data-strategy="K">` (there may be several per strategy, none
//!   nested), so the page shows or hides a strategy with CSS alone;
//! - strategy K is drawn in [`colour`]`(K)`, which the page uses for its own legend.
//!
//! The functions take only the parts of the presentation they draw, so tests build small
//! fixtures; [`all`] draws every chart the presentation has data for.

mod distributions;
mod frame;
mod outcomes;
pub mod png;
mod ranking;
mod reliability;
mod scale;
mod then_and_now;

use crate::analysis::presentation::Presentation;

pub use distributions::{npv_histogram, overrun_s_curve, roi_histogram, role_name, slip_s_curve};
pub use outcomes::{cost_schedule_scatter, frontier};
pub use png::png;
pub use ranking::{causes_vs_survey, tornado};
pub use reliability::reliability;
pub use then_and_now::{then_and_now, then_and_now_charts, then_and_now_reading};

/// One chart: `id` is stable (`data-chart` and the file name for `--charts DIR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub svg: String,
}

/// A strategy as the charts that show only some strategies need it: its position in the
/// scenario (for its colour and `data-strategy`) and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named<'a> {
    pub index: usize,
    pub name: &'a str,
}

/// The Okabe–Ito palette (Okabe & Ito 2008), distinguishable with the common colour-vision
/// deficiencies. Yellow and black come last: yellow is faint on white and black reads as an
/// axis.
const PALETTE: [&str; 8] = [
    "#0072B2", // blue
    "#D55E00", // vermillion
    "#009E73", // bluish green
    "#CC79A7", // reddish purple
    "#E69F00", // orange
    "#56B4E9", // sky blue
    "#F0E442", // yellow
    "#000000", // black
];

/// Strategy `k`'s colour; after eight strategies the palette repeats.
pub fn colour(k: usize) -> &'static str {
    PALETTE[k % PALETTE.len()]
}

/// The ids of every chart, in the report's order (`tests/charts.rs` pins them: they are file
/// names users script against).
pub const IDS: [&str; 8] = [
    "npv_histogram",
    "roi_histogram",
    "overrun_s_curve",
    "slip_s_curve",
    "tornado",
    "causes_vs_survey",
    "efficient_frontier",
    "cost_schedule_scatter",
];

/// Every chart the presentation has data for, in the report's order (the tornado and the
/// frontier only when present).
pub fn all(p: &Presentation) -> Vec<Chart> {
    let currency = p.report.run.currency.as_str();
    let d = &p.distributions;
    let baseline_index = d.iter().position(|s| s.baseline).unwrap_or(0);
    let recommended_index = d
        .iter()
        .position(|s| s.recommended)
        .unwrap_or(baseline_index);
    let named = |index: usize| Named {
        index,
        name: d.get(index).map_or("", |s| s.name.as_str()),
    };
    let names: Vec<&str> = d.iter().map(|s| s.name.as_str()).collect();
    let mut charts = vec![
        npv_histogram(d, currency),
        roi_histogram(d),
        overrun_s_curve(d),
        slip_s_curve(d),
    ];
    if let Some(t) = &p.tornado {
        charts.push(tornado(t, currency));
    }
    if !p.survey.is_empty() {
        charts.push(causes_vs_survey(
            &p.survey,
            named(baseline_index),
            named(recommended_index),
        ));
    }
    if let Some(f) = &p.frontier {
        charts.push(frontier(f, currency));
    }
    charts.push(cost_schedule_scatter(&p.scatter, &names));
    charts
}
