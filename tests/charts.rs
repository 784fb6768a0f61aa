//! The SVG charts of the HTML report: snapshots of every chart for a small hand-built fixture
//! (three strategies, one named `<script>alert(1)</script>`, labels with `&` and `"`), and
//! the contract with the page — escaping, valid XML, each strategy's marks inside its
//! `g.strategy[data-strategy=K]` — plus the PNG rasteriser and the charts of a real run.
//!
//! Set `CRMCAST_CHARTS_DIR` to a folder to have the tests write every chart there as SVG and
//! PNG, to look at them.

use crmcast::analysis::Report;
use crmcast::analysis::presentation::{
    self, Extras, FrontierChart, FrontierPoint, Histogram, SCurve, Scatter, StrategyDistributions,
    StrategyPoint, SurveyComparison, TornadoBar, TornadoChart,
};
use crmcast::analysis::report::{Estimate, Unit};
use crmcast::engine::{NoObserver, RunSettings, records, simulate};
use crmcast::export::charts::{self, Chart, Named, colour};
use crmcast::scenario::Scenario;
use resvg::tiny_skia::Pixmap;
use resvg::usvg::{self, roxmltree};
use std::collections::HashSet;
use std::path::Path;

const SCRIPT: &str = "<script>alert(1)</script>";
const SCRIPT_ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";
const AMPERSAND_LABEL: &str = "Organisation & \"people\" issues";
const STRATEGIES: usize = 3;

/// (name, baseline, recommended, overrun median, overrun spread, NPV mean, NPV sd)
const FIXTURE: [(&str, bool, bool, f64, f64, f64, f64); STRATEGIES] = [
    ("Big bang", true, false, 0.30, 0.12, 0.4e6, 0.9e6),
    (SCRIPT, false, true, 0.12, 0.08, 1.1e6, 0.7e6),
    (
        "Phased rollout & training",
        false,
        false,
        0.18,
        0.10,
        0.8e6,
        1.0e6,
    ),
];

/// Shares of a normal distribution in the bins between `edges`.
fn histogram(edges: Vec<f64>, mean: f64, sd: f64) -> Histogram {
    let density = |x: f64| (-0.5 * ((x - mean) / sd).powi(2)).exp();
    let raw: Vec<f64> = edges
        .windows(2)
        .map(|w| density((w[0] + w[1]) / 2.0))
        .collect();
    let total: f64 = raw.iter().sum();
    Histogram {
        edges,
        shares: raw.iter().map(|r| r / total).collect(),
    }
}

/// A logistic S-curve: median `m`, scale `s`.
fn s_curve(m: f64, s: f64) -> SCurve {
    let x = |p: f64| m + s * (p / (1.0 - p)).ln();
    SCurve {
        points: (1..20)
            .map(|i| i as f64 / 20.0)
            .map(|p| (x(p), p))
            .collect(),
        p50: x(0.5),
        p80: x(0.8),
    }
}

fn steps(from: f64, step: f64, count: usize) -> Vec<f64> {
    (0..count).map(|i| from + step * i as f64).collect()
}

fn distributions() -> Vec<StrategyDistributions> {
    FIXTURE
        .iter()
        .enumerate()
        .map(
            |(k, &(name, baseline, recommended, m, s, npv, sd))| StrategyDistributions {
                id: format!("s{k}"),
                name: name.into(),
                baseline,
                recommended,
                npv: histogram(steps(-2e6, 0.5e6, 13), npv, sd),
                roi: histogram(steps(-0.6, 0.2, 13), npv / 2e6, sd / 2e6),
                overrun: s_curve(m, s),
                slip: s_curve(m * 1.2, s * 1.3),
            },
        )
        .collect()
}

/// A deterministic cloud of `n` trials per strategy around each strategy's medians.
fn scatter(n: usize) -> Scatter {
    let mut state: u64 = 42;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let recommended = s_curve(FIXTURE[1].3, FIXTURE[1].4);
    let (cost_line, schedule_line) = (recommended.p80, recommended.p80 * 1.2);
    let points: Vec<Vec<(f64, f64)>> = FIXTURE
        .iter()
        .map(|&(_, _, _, m, s, _, _)| {
            (0..n)
                .map(|_| {
                    let (u, v) = (uniform(), uniform());
                    let common = (u / (1.0 - u)).ln();
                    (
                        m + s * common,
                        1.2 * m + s * (0.7 * common + (v / (1.0 - v)).ln()),
                    )
                })
                .collect()
        })
        .collect();
    let joint_confidence = points
        .iter()
        .map(|p| {
            let within = p
                .iter()
                .filter(|(o, s)| *o <= cost_line && *s <= schedule_line)
                .count() as f64;
            let share = within / n.max(1) as f64;
            Estimate::normal(share, (share * (1.0 - share) / n.max(1) as f64).sqrt())
        })
        .collect();
    Scatter {
        trials: n as u64,
        points,
        cost_line,
        schedule_line,
        joint_confidence,
    }
}

fn tornado_chart() -> TornadoChart {
    let bar = |input: &str, low: f64, high: f64| TornadoBar {
        input: input.into(),
        low,
        high,
    };
    TornadoChart {
        strategy: SCRIPT.into(),
        metric_label: "NPV".into(),
        unit: Unit::Money,
        base: 1.1e6,
        bars: vec![
            bar("Poor data quality", 1.6e6, 0.4e6),
            bar("Lack of top-management support & \"buy-in\"", 1.45e6, 0.6e6),
            bar("Annual benefit <P10/P90>", 0.7e6, 1.5e6),
            bar(
                "A very long input name that will certainly need to be cut short",
                1.25e6,
                0.95e6,
            ),
            bar("Scope creep", 1.2e6, 1.15e6),
        ],
    }
}

fn survey() -> Vec<SurveyComparison> {
    let row = |group: &str, label: &str, survey: Option<f64>, b: f64, r: f64| SurveyComparison {
        group: group.into(),
        label: label.into(),
        survey,
        source: survey.map(|_| "CRM Forum (2001), as cited in 003".to_string()),
        baseline: Estimate::normal(b, 0.02),
        recommended: Estimate::normal(r, 0.025),
    };
    vec![
        row("organisational", AMPERSAND_LABEL, Some(0.41), 0.38, 0.31),
        row(
            "software_problems",
            "Software problems",
            Some(0.04),
            0.06,
            0.05,
        ),
        row("data", "Data quality", Some(0.2), 0.24, 0.27),
        row("other", "Other causes", None, 0.12, 0.15),
    ]
}

fn frontier_chart() -> FrontierChart {
    let estimate = |v: f64| Estimate::normal(v, 30e3);
    let point = |spend: f64, v: f64, m: &[&str]| FrontierPoint {
        spend,
        value: estimate(v),
        mitigations: m.iter().map(|s| s.to_string()).collect(),
    };
    FrontierChart {
        objective_label: "expected NPV".into(),
        points: vec![
            point(0.0, 0.4e6, &[]),
            point(50e3, 0.9e6, &["Data cleansing"]),
            point(120e3, 1.1e6, &["Data cleansing", "Executive <sponsor>"]),
            point(
                260e3,
                1.15e6,
                &["Data cleansing", "Executive <sponsor>", "Training"],
            ),
        ],
        strategies: FIXTURE
            .iter()
            .zip([(0.0, 0.4e6), (120e3, 1.1e6), (80e3, 0.8e6)])
            .map(|(f, (spend, v))| StrategyPoint {
                name: f.0.into(),
                spend,
                value: estimate(v),
            })
            .collect(),
    }
}

fn named(index: usize) -> Named<'static> {
    Named {
        index,
        name: FIXTURE[index].0,
    }
}

/// Every chart of the fixture, in the report's order.
fn fixture_charts() -> Vec<Chart> {
    let d = distributions();
    let names: Vec<&str> = FIXTURE.iter().map(|f| f.0).collect();
    vec![
        charts::npv_histogram(&d, "EUR"),
        charts::roi_histogram(&d),
        charts::overrun_s_curve(&d),
        charts::slip_s_curve(&d),
        charts::tornado(&tornado_chart(), "EUR"),
        charts::causes_vs_survey(&survey(), named(0), named(1)),
        charts::frontier(&frontier_chart(), "EUR"),
        charts::cost_schedule_scatter(&scatter(60), &names),
    ]
}

/// One element a line, so that a snapshot diff shows what changed.
fn pretty(svg: &str) -> String {
    svg.replace("><", ">\n<")
}

/// With `CRMCAST_CHARTS_DIR` set: the chart as SVG and PNG in that folder, to look at.
fn dump(prefix: &str, chart: &Chart) {
    let Some(folder) = std::env::var_os("CRMCAST_CHARTS_DIR") else {
        return;
    };
    let base = Path::new(&folder).join(format!("{prefix}{}", chart.id));
    std::fs::write(base.with_extension("svg"), &chart.svg).expect("write the SVG");
    let png = charts::png(&chart.svg, 2.0).expect("rasterise");
    std::fs::write(base.with_extension("png"), png).expect("write the PNG");
}

#[test]
fn snapshots_pin_every_chart() {
    for chart in fixture_charts() {
        dump("fixture_", &chart);
        insta::assert_snapshot!(chart.id, pretty(&chart.svg));
    }
}

#[test]
fn the_ids_are_the_documented_file_names() {
    let ids: Vec<&str> = fixture_charts().iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        [
            "npv_histogram",
            "roi_histogram",
            "overrun_s_curve",
            "slip_s_curve",
            "tornado",
            "causes_vs_survey",
            "efficient_frontier",
            "cost_schedule_scatter",
        ]
    );
    assert_eq!(ids, charts::IDS);
}

#[test]
fn text_from_the_scenario_is_escaped() {
    for chart in fixture_charts() {
        assert!(!chart.svg.contains("<script"), "{}: raw <script>", chart.id);
        assert!(
            chart.svg.contains(SCRIPT_ESCAPED),
            "{}: the strategy's name is missing",
            chart.id
        );
        // No raw `&` (every ampersand starts an entity) and no stray quote inside text.
        for (i, _) in chart.svg.match_indices('&') {
            let entity = &chart.svg[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "{}: a raw & at {i}",
                chart.id
            );
        }
    }
    let causes = charts::causes_vs_survey(&survey(), named(0), named(1));
    assert!(
        causes
            .svg
            .contains("Organisation &amp; &quot;people&quot; issues")
    );
    let tornado = charts::tornado(&tornado_chart(), "EUR");
    assert!(tornado.svg.contains("Annual benefit &lt;P10/P90&gt;"));
}

/// The root element and `<title>` the HTML page relies on.
#[test]
fn the_root_element_follows_the_contract() {
    for chart in fixture_charts() {
        let document = roxmltree::Document::parse(&chart.svg).expect("well-formed XML");
        let root = document.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        assert_eq!(root.attribute("class"), Some("chart"));
        assert_eq!(root.attribute("data-chart"), Some(chart.id));
        assert_eq!(root.attribute("role"), Some("img"));
        let (width, height) = (root.attribute("width"), root.attribute("height"));
        let view_box = format!("0 0 {} {}", width.unwrap_or("?"), height.unwrap_or("?"));
        assert_eq!(root.attribute("viewBox"), Some(view_box.as_str()));
        let label = root.attribute("aria-labelledby").expect("aria-labelledby");
        let title = root
            .children()
            .find(|n| n.has_tag_name("title"))
            .expect("a <title>");
        assert_eq!(title.attribute("id"), Some(label));
        assert_eq!(title.text(), Some(chart.title.as_str()));
        assert!(
            root.attribute("font-family")
                .is_some_and(|f| f.starts_with("DejaVu Sans"))
        );
    }
}

#[test]
fn every_chart_parses_as_svg() {
    for chart in fixture_charts() {
        usvg::Tree::from_str(&chart.svg, &usvg::Options::default())
            .unwrap_or_else(|e| panic!("{}: {e}", chart.id));
    }
}

/// Whatever is drawn in strategy K's colour sits inside a `g.strategy[data-strategy=K]`, none of
/// those groups nest, and every strategy has one (so the page can hide it with CSS alone).
fn check_strategy_groups(chart: &Chart, strategies: &[usize]) {
    let document = roxmltree::Document::parse(&chart.svg).expect("well-formed XML");
    let group_of = |node: roxmltree::Node| -> Option<usize> {
        node.ancestors()
            .find(|a| a.has_tag_name("g") && a.attribute("class") == Some("strategy"))
            .and_then(|g| g.attribute("data-strategy"))
            .and_then(|k| k.parse().ok())
    };
    let mut seen = HashSet::new();
    for node in document.descendants().filter(|n| n.is_element()) {
        if node.has_tag_name("g") && node.attribute("class") == Some("strategy") {
            let k = node.attribute("data-strategy").and_then(|k| k.parse().ok());
            let outer = node.parent().and_then(group_of);
            assert_eq!(outer, None, "{}: nested strategy groups", chart.id);
            seen.insert(k.expect("data-strategy is a number"));
        }
        for attribute in ["fill", "stroke"] {
            if let Some(value) = node.attribute(attribute)
                && let Some(k) = (0..STRATEGIES).find(|&k| colour(k) == value)
            {
                assert_eq!(
                    group_of(node),
                    Some(k),
                    "{}: a <{}> in strategy {k}'s colour outside its group",
                    chart.id,
                    node.tag_name().name()
                );
            }
        }
    }
    let expected: HashSet<usize> = strategies.iter().copied().collect();
    assert_eq!(seen, expected, "{}: strategy groups", chart.id);
}

#[test]
fn each_strategy_sits_in_its_own_group() {
    for chart in fixture_charts() {
        let strategies: &[usize] = match chart.id {
            "tornado" => &[],
            "causes_vs_survey" => &[0, 1],
            _ => &[0, 1, 2],
        };
        check_strategy_groups(&chart, strategies);
    }
    // The series themselves, not only the legend, are grouped.
    let d = distributions();
    let svg = charts::npv_histogram(&d, "EUR").svg;
    for k in 0..STRATEGIES {
        let group = format!("<g class=\"strategy\" data-strategy=\"{k}\"><path class=\"series\"");
        assert!(svg.contains(&group), "strategy {k}'s outline");
    }
}

#[test]
fn the_s_curves_mark_p50_and_p80_and_label_the_recommended_strategy() {
    let chart = charts::overrun_s_curve(&distributions());
    assert_eq!(
        chart.svg.matches("class=\"marker\"").count(),
        2 * STRATEGIES
    );
    assert!(chart.svg.contains("P50 +12 %"));
    assert!(chart.svg.contains("P80 +23 %"));
    assert!(
        !chart.svg.contains("P50 +30 %"),
        "only the recommended is labelled"
    );
}

/// The dots of each strategy in a scatter.
fn dots(chart: &Chart, strategies: usize) -> Vec<usize> {
    let document = roxmltree::Document::parse(&chart.svg).expect("well-formed XML");
    (0..strategies)
        .map(|k| {
            document
                .descendants()
                .filter(|n| n.has_tag_name("circle") && n.attribute("r") == Some("2"))
                .filter(|n| {
                    n.parent()
                        .and_then(|p| p.attribute("data-strategy"))
                        .is_some_and(|s| s == k.to_string())
                })
                .count()
        })
        .collect()
}

#[test]
fn the_scatter_thins_large_samples_and_says_so() {
    let names: Vec<&str> = FIXTURE.iter().map(|f| f.0).collect();
    let chart = charts::cost_schedule_scatter(&scatter(2000), &names);
    // 800 per strategy, less the far-off ones beyond the 99th percentile.
    let drawn = dots(&chart, STRATEGIES);
    assert!(drawn.iter().all(|n| (700..=800).contains(n)), "{drawn:?}");
    assert!(drawn.iter().sum::<usize>() >= 2340, "{drawn:?}");
    assert!(
        chart
            .svg
            .contains("800 of 2,000 per strategy; JCL from all 2,000")
    );
    assert!(chart.svg.contains("far-off trials lie beyond the axes"));
    assert!(chart.svg.contains("of trials within both"));
    assert!(chart.svg.len() < 150_000, "{} bytes", chart.svg.len());

    // Six strategies share 2400 dots.
    let mut six = scatter(2000);
    six.points = [&six.points[..], &six.points[..]].concat();
    six.joint_confidence = [&six.joint_confidence[..], &six.joint_confidence[..]].concat();
    let chart = charts::cost_schedule_scatter(&six, &names);
    assert!(chart.svg.contains("400 of 2,000 per strategy"));
    let total: usize = dots(&chart, 6).iter().sum();
    assert!((2300..=2400).contains(&total), "{total} dots");
    assert!(
        chart.svg.contains("strategy 6: JCL"),
        "a missing name falls back"
    );
}

#[test]
fn the_baseline_drawn_once_when_it_is_recommended() {
    let chart = charts::causes_vs_survey(&survey(), named(0), named(0));
    check_strategy_groups(&chart, &[0]);
    assert!(chart.svg.contains("Big bang (baseline, recommended)"));
    assert_eq!(chart.svg.matches("not in survey").count(), 1);
}

#[test]
fn empty_inputs_still_give_valid_charts() {
    let empty_tornado = TornadoChart {
        bars: Vec::new(),
        ..tornado_chart()
    };
    let empty_frontier = FrontierChart {
        objective_label: "expected NPV".into(),
        points: Vec::new(),
        strategies: Vec::new(),
    };
    let empty_scatter = Scatter {
        trials: 0,
        points: Vec::new(),
        cost_line: 0.0,
        schedule_line: 0.0,
        joint_confidence: Vec::new(),
    };
    let charts = [
        charts::npv_histogram(&[], "EUR"),
        charts::roi_histogram(&[]),
        charts::overrun_s_curve(&[]),
        charts::slip_s_curve(&[]),
        charts::tornado(&empty_tornado, "EUR"),
        charts::causes_vs_survey(&[], named(0), named(1)),
        charts::frontier(&empty_frontier, "EUR"),
        charts::cost_schedule_scatter(&empty_scatter, &[]),
    ];
    for chart in charts {
        usvg::Tree::from_str(&chart.svg, &usvg::Options::default())
            .unwrap_or_else(|e| panic!("{}: {e}", chart.id));
        assert!(
            !chart.svg.contains("NaN") && !chart.svg.contains("inf"),
            "{}",
            chart.id
        );
    }
}

/// A PNG: the signature, the chart's size at the scale, and a real picture (many colours, not
/// one).
#[test]
fn charts_rasterise_to_png() {
    for chart in fixture_charts() {
        let bytes = charts::png(&chart.svg, 1.5).unwrap_or_else(|e| panic!("{}: {e}", chart.id));
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", chart.id);
        let pixmap = Pixmap::decode_png(&bytes).expect("the PNG decodes");
        assert_eq!(pixmap.width(), 1140, "{}", chart.id);
        let colours: HashSet<[u8; 4]> = pixmap
            .pixels()
            .iter()
            .map(|p| [p.red(), p.green(), p.blue(), p.alpha()])
            .collect();
        assert!(
            colours.len() > 20,
            "{}: {} colours",
            chart.id,
            colours.len()
        );
        assert!(
            pixmap.pixels().iter().all(|p| p.alpha() == 255),
            "{}: a white, opaque background",
            chart.id
        );
    }
}

/// The charts of a short real run (no tornado, no frontier): `all` draws the other six, and
/// they are valid SVG.
#[test]
fn a_real_run_gives_six_valid_charts() {
    let scenario = Scenario::load(Path::new("scenarios/default.toml")).expect("scenario");
    let settings = RunSettings {
        trials: 4_000,
        seed: 7,
        threads: 2,
        ..RunSettings::default()
    };
    let result = simulate(&scenario, &settings, &NoObserver).expect("run");
    let report = Report::build(&scenario, &result);
    let sample = records::first_outcomes(&scenario, &settings, 1_000);
    let extras = Extras {
        sample: &sample,
        tornado: None,
        optimization: None,
    };
    let p = presentation::build(&scenario, &result, report, extras);
    let all = charts::all(&p);
    let ids: Vec<&str> = all.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        [
            "npv_histogram",
            "roi_histogram",
            "overrun_s_curve",
            "slip_s_curve",
            "causes_vs_survey",
            "cost_schedule_scatter",
        ]
    );
    for chart in &all {
        dump("run_", chart);
        usvg::Tree::from_str(&chart.svg, &usvg::Options::default())
            .unwrap_or_else(|e| panic!("{}: {e}", chart.id));
        assert!(
            chart.svg.len() < 200_000,
            "{}: {} bytes",
            chart.id,
            chart.svg.len()
        );
    }
}
