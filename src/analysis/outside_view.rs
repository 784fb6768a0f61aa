//! The outside view blended with the inside view (MODEL.md §10b): the factor model's cost
//! overrun distribution of each strategy (inside) and a reference class's (outside) mixed with
//! the scenario's weight w — a trial's overrun comes from the outside view with probability w —
//! so the blended CDF is G(x) = (1 − w)·F_inside(x) + w·F_outside(x), and a blended quantile
//! solves G(x) = q. The blend applies to the budget figures (P50 / P80 / P90 overruns and the
//! P80 budget of the decision summary); every other output stays the factor model's.

use super::reference_class::{BuiltinClass, quantile_type7, smoothed_cdf};
use super::report::StrategyReport;
use crate::engine::SimulationResult;
use crate::engine::sketch::Sketch;
use crate::scenario::{OutsideSource, Scenario};
use serde::Serialize;

pub const LEVELS: [f64; 3] = [0.5, 0.8, 0.9];

#[derive(Debug, Clone, Serialize)]
pub struct OutsideViewRow {
    pub strategy: String,
    pub level: f64,
    /// Overrun quantiles: the factor model's, the reference class's, and the blend's.
    pub inside: f64,
    pub outside: f64,
    pub blended: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutsideViewReport {
    pub weight: f64,
    pub class: String,
    pub rows: Vec<OutsideViewRow>,
}

/// A reference class as a distribution of overruns.
enum Class {
    Spliced(super::reference_class::SplicedClass),
    Sample(Vec<f64>),
}

impl Class {
    fn cdf(&self, x: f64) -> f64 {
        match self {
            Class::Spliced(c) => c.cdf(x),
            Class::Sample(sorted) => smoothed_cdf(sorted, x),
        }
    }
    fn quantile(&self, q: f64) -> f64 {
        match self {
            Class::Spliced(c) => c.quantile(q),
            Class::Sample(sorted) => quantile_type7(sorted, q),
        }
    }
}

/// P(overrun < x) under the factor model, from the cost-ratio sketch (bucket precision).
fn inside_cdf(sketch: &Sketch, x: f64) -> f64 {
    1.0 - sketch.share_at_least(1.0 + x)
}

/// The smallest x with (1 − w)·F_in(x) + w·F_out(x) ≥ q, by bisection to 10⁻⁹.
fn blended_quantile(sketch: &Sketch, class: &Class, weight: f64, q: f64) -> f64 {
    let g = |x: f64| (1.0 - weight) * inside_cdf(sketch, x) + weight * class.cdf(x);
    let (mut low, mut high) = (-1.0, 1.0);
    while g(high) < q && high < 1e6 {
        high *= 2.0;
    }
    for _ in 0..200 {
        let middle = 0.5 * (low + high);
        if g(middle) >= q {
            high = middle;
        } else {
            low = middle;
        }
        if high - low < 1e-9 {
            break;
        }
    }
    high
}

pub fn outside_view(
    scenario: &Scenario,
    result: &SimulationResult,
    strategies: &[StrategyReport],
) -> Option<OutsideViewReport> {
    let view = scenario.outside_view.as_ref()?;
    let (class, label) = match (&view.source, &view.overruns) {
        (OutsideSource::Builtin, _) => (
            Class::Spliced(BuiltinClass::builtin().refit().ok()?),
            "built-in class of IT projects (Flyvbjerg & Budzier 2011; data/reference_class.toml)"
                .to_string(),
        ),
        (OutsideSource::Data(file), Some(overruns)) if overruns.len() >= 2 => (
            Class::Sample(overruns.clone()),
            format!("{file} ({} projects)", overruns.len()),
        ),
        // A data class whose file was not read (a scenario parsed from text alone).
        (OutsideSource::Data(_), _) => return None,
    };
    let mut rows = Vec::new();
    for (s, report) in strategies.iter().enumerate() {
        let sketch = &result.strategies[s].cost_ratio.sketch;
        for level in LEVELS {
            rows.push(OutsideViewRow {
                strategy: report.id.clone(),
                level,
                inside: sketch.quantile(level).value - 1.0,
                outside: class.quantile(level),
                blended: blended_quantile(sketch, &class, view.weight, level),
            });
        }
    }
    Some(OutsideViewReport {
        weight: view.weight,
        class: label,
        rows,
    })
}
