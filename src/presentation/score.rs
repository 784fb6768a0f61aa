//! What `crmcast score` shows: the ledger read, the scores of P(success) with the Brier
//! decomposition, the coverage of the P50s and P80s, and the reliability diagram's bins, every
//! figure with its 95 % interval. The JSON record is [`ScoreRecord`] (docs/SCORE.md).

use super::{Document, Section};
use crate::analysis::report::Estimate;
use crate::analysis::score::{self, Coverage, Score, Share};
use serde::Serialize;

/// The JSON record of `crmcast score`.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreRecord<'a> {
    /// The ledger's file name.
    pub ledger: String,
    /// Rows read, rows scored (an outcome filled in), rows skipped (no outcome yet).
    pub rows: usize,
    pub scored: usize,
    pub skipped: usize,
    /// How the intervals were made, in words.
    pub intervals: &'static str,
    pub bins: usize,
    pub probability_clamp: f64,
    #[serde(flatten)]
    pub score: &'a Score,
}

pub const INTERVALS: &str = "95 %: Brier and log score normal from the standard error of the mean over independent forecasts; skill score and decomposition terms from a percentile bootstrap (1000 resamples, fixed seed); coverages and bin frequencies exact (Clopper-Pearson); calibration slope Wald";

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1} %", 100.0 * x)
    } else {
        "–".into()
    }
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.4}")
    } else {
        "–".into()
    }
}

fn interval(low: f64, high: f64, show: fn(f64) -> String) -> String {
    if low.is_finite() && high.is_finite() {
        format!("[{}, {}]", show(low), show(high))
    } else {
        "–".into()
    }
}

fn estimate_row(name: &str, e: &Estimate, reading: &str) -> Vec<String> {
    vec![
        name.into(),
        num(e.value),
        interval(e.low, e.high, num),
        reading.into(),
    ]
}

fn share_cells(s: &Share) -> [String; 3] {
    [
        format!("{} of {}", s.count, s.n),
        pct(s.value),
        interval(s.low, s.high, pct),
    ]
}

fn coverage_name(c: &Coverage) -> String {
    format!("{} P{:.0}", c.quantity, 100.0 * c.nominal)
}

/// The tidy CSV row: section, id, value, low, high, n, verdict.
fn csv(
    section: &str,
    id: &str,
    value: f64,
    low: f64,
    high: f64,
    n: u64,
    verdict: &str,
) -> Vec<String> {
    let f = |x: f64| {
        if x.is_finite() {
            x.to_string()
        } else {
            String::new()
        }
    };
    vec![
        section.into(),
        id.into(),
        f(value),
        f(low),
        f(high),
        n.to_string(),
        verdict.into(),
    ]
}

pub fn document(ledger_name: &str, total: usize, skipped: usize, s: &Score) -> Document {
    let scored = total - skipped;
    let mut sections = vec![Section {
        title: "Ledger".into(),
        header: vec!["".into(), "".into()],
        rows: vec![
            vec!["file".into(), ledger_name.into()],
            vec!["rows".into(), total.to_string()],
            vec!["scored (an outcome filled in)".into(), scored.to_string()],
            vec!["skipped (no outcome yet)".into(), skipped.to_string()],
            vec![
                "intervals".into(),
                "95 % (how each is made: docs/SCORE.md, and `intervals` in the JSON)".into(),
            ],
        ],
    }];
    let mut csv_rows = Vec::new();
    match &s.probability {
        None => sections.push(Section {
            title: "P(success)".into(),
            header: vec!["".into()],
            rows: vec![vec![
                "no row has actual_success filled in: nothing to score".into(),
            ]],
        }),
        Some(p) => {
            let d = &p.decomposition;
            let mut rows = vec![
                vec![
                    "forecasts scored".into(),
                    p.n.to_string(),
                    String::new(),
                    String::new(),
                ],
                vec![
                    "mean forecast".into(),
                    pct(p.mean_forecast),
                    String::new(),
                    "beside the observed rate: calibration in the large".into(),
                ],
                vec![
                    "observed success rate".into(),
                    pct(p.base_rate.value),
                    interval(p.base_rate.low, p.base_rate.high, pct),
                    format!("{} of {}", p.base_rate.count, p.base_rate.n),
                ],
                estimate_row("Brier score", &p.brier, "0 perfect; 0.25 = always 50 %"),
                estimate_row(
                    "  reliability",
                    &d.reliability,
                    "lower is better (0 = calibrated)",
                ),
                estimate_row("  resolution", &d.resolution, "higher is better"),
                estimate_row(
                    "  uncertainty",
                    &d.uncertainty,
                    "the outcomes' own variance",
                ),
                vec![
                    "  within-bin variance − covariance".into(),
                    num(d.within_bin_variance - d.within_bin_covariance),
                    String::new(),
                    "0 when forecasts in a bin are equal".into(),
                ],
                estimate_row(
                    "Brier skill score",
                    &p.brier_skill,
                    "vs always forecasting the observed rate; > 0 beats it",
                ),
                estimate_row("log score", &p.log_score, "0 perfect; 0.693 = always 50 %"),
            ];
            match &p.calibration_slope {
                Some(c) => rows.push(estimate_row(
                    "calibration slope",
                    &c.slope,
                    "1 calibrated; < 1 too extreme, > 1 too timid",
                )),
                None => rows.push(vec![
                    "calibration slope".into(),
                    "–".into(),
                    String::new(),
                    "cannot be fitted (all outcomes alike or all forecasts equal)".into(),
                ]),
            }
            rows.push(vec![
                "verdict".into(),
                p.verdict.into(),
                String::new(),
                "from the slope's interval, then the mean forecast against the observed rate's"
                    .into(),
            ]);
            sections.push(Section {
                title: "P(success): scores".into(),
                header: vec![
                    "figure".into(),
                    "value".into(),
                    "95 % interval".into(),
                    "reading".into(),
                ],
                rows,
            });
            let n = p.n;
            for (id, e) in [
                ("brier", &p.brier),
                ("reliability", &d.reliability),
                ("resolution", &d.resolution),
                ("uncertainty", &d.uncertainty),
                ("brier_skill", &p.brier_skill),
                ("log_score", &p.log_score),
            ] {
                csv_rows.push(csv("probability", id, e.value, e.low, e.high, n, ""));
            }
            for (id, v) in [
                ("within_bin_variance", d.within_bin_variance),
                ("within_bin_covariance", d.within_bin_covariance),
                ("mean_forecast", p.mean_forecast),
            ] {
                csv_rows.push(csv("probability", id, v, f64::NAN, f64::NAN, n, ""));
            }
            let b = &p.base_rate;
            csv_rows.push(csv(
                "probability",
                "base_rate",
                b.value,
                b.low,
                b.high,
                n,
                "",
            ));
            let slope = p.calibration_slope.map(|c| c.slope);
            csv_rows.push(csv(
                "probability",
                "calibration_slope",
                slope.map_or(f64::NAN, |e| e.value),
                slope.map_or(f64::NAN, |e| e.low),
                slope.map_or(f64::NAN, |e| e.high),
                n,
                p.verdict,
            ));
            sections.push(Section {
                title: format!(
                    "Reliability diagram ({} equal bins of forecast probability)",
                    score::BINS
                ),
                header: vec![
                    "forecast bin".into(),
                    "mean forecast".into(),
                    "succeeded".into(),
                    "observed".into(),
                    "95 % interval".into(),
                ],
                rows: p
                    .bins
                    .iter()
                    .map(|b| {
                        let [count, share, range] = share_cells(&b.observed);
                        vec![
                            format!("{}–{}", pct(b.from), pct(b.to)),
                            pct(b.forecast),
                            count,
                            share,
                            range,
                        ]
                    })
                    .collect(),
            });
            for b in &p.bins {
                let o = &b.observed;
                csv_rows.push(csv(
                    "reliability_bin",
                    &format!("{:.1}-{:.1} forecast {:.4}", b.from, b.to, b.forecast),
                    o.value,
                    o.low,
                    o.high,
                    o.n,
                    "",
                ));
            }
        }
    }
    sections.push(Section {
        title: "Coverage of the P50 and P80 (share of actuals at or below the forecast)".into(),
        header: vec![
            "quantile".into(),
            "at or below".into(),
            "share".into(),
            "95 % interval".into(),
            "nominal inside".into(),
            "verdict".into(),
        ],
        rows: s
            .coverage
            .iter()
            .map(|c| {
                let [count, share, range] = share_cells(&c.share);
                vec![
                    coverage_name(c),
                    count,
                    share,
                    range,
                    if c.nominal_inside { "yes" } else { "no" }.into(),
                    c.verdict.into(),
                ]
            })
            .collect(),
    });
    for c in &s.coverage {
        let id = format!("{}_p{:.0}", c.quantity, 100.0 * c.nominal);
        let sh = &c.share;
        csv_rows.push(csv(
            "coverage", &id, sh.value, sh.low, sh.high, sh.n, c.verdict,
        ));
    }
    let record = ScoreRecord {
        ledger: ledger_name.into(),
        rows: total,
        scored,
        skipped,
        intervals: INTERVALS,
        bins: score::BINS,
        probability_clamp: score::CLAMP,
        score: s,
    };
    Document {
        title: format!("Forecast score — {ledger_name}"),
        sections,
        record: serde_json::to_value(&record).unwrap_or(serde_json::Value::Null),
        csv_header: ["section", "id", "value", "low", "high", "n", "verdict"]
            .map(String::from)
            .to_vec(),
        csv_rows,
    }
}
