//! The four objectives: what they read from a candidate's per-trial values, their estimates
//! and intervals, and the paired gain of one candidate over another (`docs/OPTIMIZE.md` §1, §4).

use super::evaluate::{Series, Values};
use super::stats;
use super::{OVERRUN_QUANTILE, TAIL_SHARE};
use crate::analysis::report::Estimate;
use crate::error::Error;
use serde::Serialize;

/// What "best" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Objective {
    /// Mean NPV (mitigation costs included in the investment); maximised.
    #[serde(rename = "npv_mean")]
    ExpectedNpv,
    /// Probability that the project meets all its objectives; maximised.
    #[serde(rename = "p_success")]
    PSuccess,
    /// 80th percentile of the project's budget overrun; minimised.
    #[serde(rename = "overrun_p80")]
    P80Overrun,
    /// Mean NPV of the worst 10 % of trials; maximised.
    #[serde(rename = "npv_cvar10")]
    Cvar10Npv,
}

impl Objective {
    pub const ALL: [Objective; 4] = [
        Objective::ExpectedNpv,
        Objective::PSuccess,
        Objective::P80Overrun,
        Objective::Cvar10Npv,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Objective::ExpectedNpv => "npv_mean",
            Objective::PSuccess => "p_success",
            Objective::P80Overrun => "overrun_p80",
            Objective::Cvar10Npv => "npv_cvar10",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Objective::ExpectedNpv => "NPV, mean",
            Objective::PSuccess => "P(success)",
            Objective::P80Overrun => "Budget overrun, P80",
            Objective::Cvar10Npv => "NPV, mean of the worst 10 %",
        }
    }

    pub fn maximise(self) -> bool {
        self != Objective::P80Overrun
    }

    /// Money objectives are in the scenario's currency; the others are fractions.
    pub fn is_money(self) -> bool {
        matches!(self, Objective::ExpectedNpv | Objective::Cvar10Npv)
    }

    /// Parse an objective id, refusing anything else with the list (and a "did you mean").
    pub fn parse(text: &str) -> Result<Objective, Error> {
        let ids = Objective::ALL.map(Objective::id);
        if let Some(found) = Objective::ALL.iter().find(|o| o.id() == text.trim()) {
            return Ok(*found);
        }
        // The spellings before metric ids were one across commands (`npv_mean` as in `run`'s
        // records), still accepted so that old scripts keep working.
        let old = match text.trim() {
            "expected_npv" => Some(Objective::ExpectedNpv),
            "p80_overrun" => Some(Objective::P80Overrun),
            "cvar10_npv" => Some(Objective::Cvar10Npv),
            _ => None,
        };
        if let Some(found) = old {
            return Ok(found);
        }
        let hint = crate::scenario::suggest::closest(text, ids)
            .map(|id| format!("did you mean {id}? "))
            .unwrap_or_default();
        Err(Error::BadOption {
            option: "--objective".into(),
            message: format!("`{text}` is not an objective"),
            fix: format!("{hint}use one of: {}", ids.join(", ")),
        })
    }

    /// Higher is better: the value, or minus the value for a minimised objective.
    pub fn score(self, value: f64) -> f64 {
        if self.maximise() { value } else { -value }
    }

    /// The per-trial series the objective reads.
    pub fn series(self) -> Series {
        match self {
            Objective::ExpectedNpv | Objective::Cvar10Npv => Series {
                npv: true,
                ..Series::default()
            },
            Objective::PSuccess => Series {
                success: true,
                ..Series::default()
            },
            Objective::P80Overrun => Series {
                overrun: true,
                ..Series::default()
            },
        }
    }

    /// The objective's estimate from one candidate's values (reorders them in place when it
    /// needs order statistics).
    pub fn estimate(self, values: &mut Values) -> Estimate {
        match self {
            Objective::ExpectedNpv => stats::mean(&values.npv),
            Objective::PSuccess => success_share(&values.success),
            Objective::P80Overrun => stats::quantile_of(&mut values.overrun, OVERRUN_QUANTILE),
            Objective::Cvar10Npv => stats::lower_tail_mean_of(&mut values.npv, TAIL_SHARE),
        }
    }

    /// How much better `a` is than `b` on the same trials (positive = better; for
    /// `p80_overrun`, the reduction of the P80 overrun), with its paired 95 % interval.
    pub fn gain(self, a: &Values, b: &Values) -> Estimate {
        match self {
            Objective::ExpectedNpv => stats::paired_mean(&a.npv, &b.npv),
            Objective::PSuccess => stats::paired_mean(&a.success, &b.success),
            Objective::P80Overrun => stats::paired_batch_means(&b.overrun, &a.overrun, |s| {
                stats::quantile(s, OVERRUN_QUANTILE).value
            }),
            Objective::Cvar10Npv => stats::paired_batch_means(&a.npv, &b.npv, |s| {
                stats::lower_tail_mean(s, TAIL_SHARE).value
            }),
        }
    }
}

fn success_share(success: &[f64]) -> Estimate {
    let count = success.iter().filter(|&&x| x > 0.5).count() as u64;
    stats::proportion(count, success.len() as u64)
}
