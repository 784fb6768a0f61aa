//! "What drives the outcome": one ranking of a study's inputs, and where the study's measures
//! disagree with it. The measures answer different questions — the tornado asks what the output
//! would be if a factor were ruled out or certain (event level), the Shapley effects, Sobol indices
//! and rank correlations how much of the variation across trials an input accounts for
//! (contribution), the tail table how much more often a factor strikes in the worst 10 % than
//! overall (tail, not mean) — so their ranks differ by design. This module owns the ranking and
//! the list of the largest disagreements as numbers; the sentences are the presentation's.

use super::study::SensitivityStudy;
use serde::Serialize;

/// A measure of the study, by which its inputs can be ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Shapley effect (share of the variance of the output's rank).
    Shapley,
    /// Total Sobol index.
    SobolTotal,
    /// The tornado's |swing|.
    Tornado,
    /// |Spearman's ρ|.
    RankCorrelation,
    /// Lift in the worst 10 % (factors only).
    Tail,
}

/// An input's place in the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Driver {
    pub input: String,
    pub kind: &'static str,
    /// The ranking measure's estimate, its 95 % interval and standard error.
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    pub standard_error: f64,
    /// Its rank (1 = first) by each measure the study computed; `None` where the measure does
    /// not rank it (the tail ranks factors only).
    pub ranks: Vec<(Measure, Option<usize>)>,
    /// Share of trials in which it struck (factors only).
    pub strike_share: Option<f64>,
    /// The measures whose estimate for this input is distinguishable from 0 (95 % interval, or
    /// z > 1.96 for the tail's excess): only these ranks count as disagreements, since ranks
    /// among estimates that cannot be told from 0 are noise.
    pub distinct: Vec<Measure>,
}

/// An input whose rank by one measure is far from its rank in the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    pub input: String,
    pub summary_rank: usize,
    pub measure: Measure,
    pub rank: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The measure the ranking is built on: the Shapley effect when computed, else the total
    /// Sobol index, else the tornado's swing.
    pub measure: Measure,
    /// Inputs in rank order.
    pub drivers: Vec<Driver>,
    /// The largest disagreements among the inputs that some measure ranks in its top
    /// [`TOP`], largest first; at most [`MAX_DISAGREEMENTS`], each at least [`MIN_GAP`] places.
    pub disagreements: Vec<Disagreement>,
}

/// Only inputs some measure puts in its top `TOP` are compared: below, every measure is near 0
/// and its order is noise.
pub const TOP: usize = 5;
/// Ranks closer than this are not called a disagreement.
pub const MIN_GAP: usize = 3;
pub const MAX_DISAGREEMENTS: usize = 2;

/// The rank (1-based) of each name under `score`, highest first; ties keep the given order.
fn ranking<'a>(scores: impl Iterator<Item = (&'a str, f64)>) -> Vec<(&'a str, usize)> {
    let mut scored: Vec<(&str, f64)> = scores.collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored
        .into_iter()
        .enumerate()
        .map(|(place, (name, _))| (name, place + 1))
        .collect()
}

fn rank_of(ranking: &[(&str, usize)], name: &str) -> Option<usize> {
    ranking.iter().find(|(n, _)| *n == name).map(|r| r.1)
}

/// The summary of `study`. Inputs are ordered by the ranking measure's estimate as printed (to
/// three decimals for a share, so that equal printed shares are ties), ties broken by the
/// tornado's swing, then by |ρ|.
pub fn summarise(study: &SensitivityStudy) -> Summary {
    let names: Vec<&str> = study.inputs.iter().map(|i| i.name.as_str()).collect();
    let is_input = |name: &str| names.contains(&name);
    let mut rankings: Vec<(Measure, Vec<(&str, usize)>)> = Vec::new();
    if let Some(shapley) = &study.shapley {
        let scores = shapley.effects.iter().filter(|e| is_input(&e.name));
        rankings.push((
            Measure::Shapley,
            ranking(scores.map(|e| (e.name.as_str(), e.estimate))),
        ));
    }
    if let Some(sobol) = &study.sobol {
        rankings.push((
            Measure::SobolTotal,
            ranking(sobol.total.iter().map(|e| (e.name.as_str(), e.estimate))),
        ));
    }
    rankings.push((
        Measure::Tornado,
        ranking(
            study
                .tornado
                .iter()
                .map(|b| (b.input.as_str(), b.swing.abs())),
        ),
    ));
    rankings.push((
        Measure::RankCorrelation,
        ranking(
            study
                .correlations
                .iter()
                .map(|c| (c.input.as_str(), c.spearman.abs())),
        ),
    ));
    rankings.push((
        Measure::Tail,
        ranking(study.tail.iter().filter(|t| t.share_all > 0.0).map(|t| {
            let lift = if t.lift.is_nan() { 0.0 } else { t.lift };
            (t.factor.as_str(), lift)
        })),
    ));
    let measure = rankings[0].0;

    // The ranking measure's estimate and interval per input.
    let effect = |name: &str| -> (f64, f64, f64, f64) {
        let index = match measure {
            Measure::Shapley => study
                .shapley
                .as_ref()
                .and_then(|s| s.effects.iter().find(|e| e.name == name)),
            _ => study
                .sobol
                .as_ref()
                .and_then(|s| s.total.iter().find(|e| e.name == name)),
        };
        if let Some(i) = index {
            return (i.estimate, i.low, i.high, i.standard_error);
        }
        let bar = study.tornado.iter().find(|b| b.input == name);
        bar.map_or((0.0, 0.0, 0.0, 0.0), |b| {
            let half = super::NORMAL_95 * b.standard_error;
            (
                b.swing.abs(),
                b.swing.abs() - half,
                b.swing.abs() + half,
                b.standard_error,
            )
        })
    };
    let mut drivers: Vec<Driver> = study
        .inputs
        .iter()
        .map(|input| {
            let (estimate, low, high, standard_error) = effect(&input.name);
            Driver {
                input: input.name.clone(),
                kind: input.kind,
                estimate,
                low,
                high,
                standard_error,
                ranks: rankings
                    .iter()
                    .map(|(m, r)| (*m, rank_of(r, &input.name)))
                    .collect(),
                strike_share: study
                    .tail
                    .iter()
                    .find(|t| t.factor == input.name)
                    .map(|t| t.share_all),
                distinct: distinct(study, &input.name),
            }
        })
        .collect();
    let printed = |x: f64| match measure {
        Measure::Tornado => x,
        _ => (x * 1000.0).round(),
    };
    let rank_by = |d: &Driver, m: Measure| {
        d.ranks
            .iter()
            .find(|r| r.0 == m)
            .and_then(|r| r.1)
            .unwrap_or(usize::MAX)
    };
    drivers.sort_by(|a, b| {
        printed(b.estimate)
            .total_cmp(&printed(a.estimate))
            .then(rank_by(a, Measure::Tornado).cmp(&rank_by(b, Measure::Tornado)))
            .then(rank_by(a, Measure::RankCorrelation).cmp(&rank_by(b, Measure::RankCorrelation)))
    });

    let mut disagreements: Vec<Disagreement> = Vec::new();
    for (place, driver) in drivers.iter().enumerate() {
        let summary_rank = place + 1;
        let ranked = driver
            .ranks
            .iter()
            .filter(|(m, _)| driver.distinct.contains(m))
            .filter_map(|(m, r)| r.map(|r| (*m, r)));
        let prominent = (summary_rank <= TOP && driver.distinct.contains(&measure))
            || ranked.clone().any(|(_, r)| r <= TOP);
        if !prominent {
            continue;
        }
        let widest = ranked
            .filter(|(m, _)| *m != measure)
            .max_by_key(|(_, r)| r.abs_diff(summary_rank));
        if let Some((m, rank)) = widest
            && rank.abs_diff(summary_rank) >= MIN_GAP
        {
            disagreements.push(Disagreement {
                input: driver.input.clone(),
                summary_rank,
                measure: m,
                rank,
            });
        }
    }
    // Largest gap first; equal gaps in summary order (the sort is stable).
    disagreements.sort_by_key(|d| std::cmp::Reverse(d.rank.abs_diff(d.summary_rank)));
    disagreements.truncate(MAX_DISAGREEMENTS);
    Summary {
        measure,
        drivers,
        disagreements,
    }
}

/// The measures by which `name`'s estimate is distinguishable from 0.
fn distinct(study: &SensitivityStudy, name: &str) -> Vec<Measure> {
    let clear = |low: f64, high: f64| low > 0.0 || high < 0.0;
    let mut measures = Vec::new();
    if let Some(e) = study
        .shapley
        .as_ref()
        .and_then(|s| s.effects.iter().find(|e| e.name == name))
        && clear(e.low, e.high)
    {
        measures.push(Measure::Shapley);
    }
    if let Some(e) = study
        .sobol
        .as_ref()
        .and_then(|s| s.total.iter().find(|e| e.name == name))
        && clear(e.low, e.high)
    {
        measures.push(Measure::SobolTotal);
    }
    if let Some(b) = study.tornado.iter().find(|b| b.input == name)
        && b.swing.abs() > super::NORMAL_95 * b.standard_error
    {
        measures.push(Measure::Tornado);
    }
    if let Some(c) = study.correlations.iter().find(|c| c.input == name)
        && clear(c.low, c.high)
    {
        measures.push(Measure::RankCorrelation);
    }
    if let Some(t) = study.tail.iter().find(|t| t.factor == name)
        && t.share_worst - t.share_all > super::NORMAL_95 * t.standard_error
    {
        measures.push(Measure::Tail);
    }
    measures
}
