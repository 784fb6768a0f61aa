//! Structured expert judgement (`crmcast elicit`, issue #17 point 4): fit each expert's
//! judgements about one quantity (a factor's probability, a mitigation's multiplier, …) by
//! SHELF's least squares ([`fit`]), score the experts on seed questions by Cooke's classical
//! model ([`cooke`]) and pool them linearly with equal, given or Cooke's weights ([`pool`]).
//! The file format is read in [`judgements`]; docs/CALIBRATION.md ("Expert judgement") is the
//! contract. Pure: nothing here reads the clock or writes files.

pub mod cooke;
pub mod fit;
pub mod judgements;
pub mod pool;

use crate::error::Error;
use serde::Serialize;

/// What values the quantity takes, which decides the families fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// In [0, 1]: a beta.
    Probability,
    /// Above 0: gamma and lognormal.
    Positive,
    /// Any real number: normal and Student's t.
    Real,
}

/// Where the pooled value goes in a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// `[factors.ID] probability = …`.
    FactorProbability { factor: String },
    /// `[[mitigations.effects]] factor = …, probability|severity = …, …_range = […]`.
    MitigationEffect {
        mitigation: String,
        factor: String,
        /// "probability" or "severity".
        field: String,
    },
}

/// The quantity elicited.
#[derive(Debug, Clone, Serialize)]
pub struct Quantity {
    pub id: String,
    pub kind: Kind,
    pub description: Option<String>,
    pub target: Option<Target>,
}

/// One expert's judgement, in one of three forms.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// (cumulative probability, value) pairs, increasing in both.
    Quantiles(Vec<(f64, f64)>),
    /// A plausible range [min, max] holding the value with probability `confidence`, and the
    /// most likely value.
    MinModeMax {
        min: f64,
        mode: f64,
        max: f64,
        confidence: f64,
    },
    /// A probability (read as the median) and a central interval holding it with
    /// probability `level`.
    ProbabilityInterval {
        probability: f64,
        low: f64,
        high: f64,
        level: f64,
    },
}

impl Judgement {
    /// As written in the file, compactly: "P10 0.2, P50 0.35, P90 0.55".
    pub fn describe(&self) -> String {
        match self {
            Judgement::Quantiles(points) => points
                .iter()
                .map(|(p, v)| format!("P{} {v}", (p * 100.0).round()))
                .collect::<Vec<_>>()
                .join(", "),
            Judgement::MinModeMax {
                min,
                mode,
                max,
                confidence,
            } => format!(
                "min {min}, mode {mode}, max {max} ({}% sure)",
                (confidence * 100.0).round()
            ),
            Judgement::ProbabilityInterval {
                probability,
                low,
                high,
                level,
            } => format!(
                "{probability} in [{low}, {high}] ({}% interval)",
                (level * 100.0).round()
            ),
        }
    }
}

/// One expert.
#[derive(Debug, Clone, Serialize)]
pub struct Expert {
    pub name: String,
    /// The weight given in the file (all or none have one).
    pub weight: Option<f64>,
    pub judgement: Judgement,
    /// 5/50/95 % quantiles on each seed question, in the questions' order.
    pub calibration: Vec<[f64; 3]>,
}

/// A seed (calibration) question with its known answer.
#[derive(Debug, Clone, Serialize)]
pub struct SeedQuestion {
    pub id: String,
    pub answer: f64,
    pub description: Option<String>,
}

/// A checked judgements file.
#[derive(Debug, Clone, Serialize)]
pub struct Judgements {
    pub quantity: Quantity,
    pub experts: Vec<Expert>,
    pub seeds: Vec<SeedQuestion>,
}

/// How the experts are pooled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolMethod {
    /// The linear pool with the file's weights, else equal weights.
    Linear,
    /// The linear pool with Cooke's classical-model weights.
    Cooke,
}

/// The cut-off of Cooke's weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Alpha {
    Given(f64),
    Optimised,
}

/// One expert's fits and weight in the pool.
#[derive(Debug, Clone, Serialize)]
pub struct ExpertResult {
    pub name: String,
    pub judgement: Judgement,
    pub fit: fit::ExpertFit,
    /// Normalised weight in the pool.
    pub weight: f64,
}

/// Everything `crmcast elicit` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Elicitation {
    pub quantity: Quantity,
    pub method: PoolMethod,
    /// Whether the linear pool's weights were given in the file (else equal); for Cooke's
    /// pool, false.
    pub weights_given: bool,
    pub experts: Vec<ExpertResult>,
    /// Cooke's scores, whenever seed questions are given (also for the linear pool).
    pub cooke: Option<cooke::Scores>,
    pub seed_questions: usize,
    pub pooled: pool::Summary,
}

/// Fit, score and pool.
pub fn elicit(
    judgements: &Judgements,
    method: PoolMethod,
    alpha: Alpha,
) -> Result<Elicitation, Error> {
    let fits = judgements
        .experts
        .iter()
        .map(|e| fit::fit_expert(judgements.quantity.kind, &e.judgement))
        .collect::<Result<Vec<_>, _>>()?;
    let cooke = if judgements.seeds.is_empty() {
        None
    } else {
        let quantiles: Vec<Vec<[f64; 3]>> = judgements
            .experts
            .iter()
            .map(|e| e.calibration.clone())
            .collect();
        let answers: Vec<f64> = judgements.seeds.iter().map(|s| s.answer).collect();
        let given = match alpha {
            Alpha::Given(a) => Some(a),
            Alpha::Optimised => None,
        };
        let scores = cooke::score(&quantiles, &answers, given);
        if scores.is_none() && method == PoolMethod::Cooke {
            return Err(Error::BadOption {
                option: "--alpha".into(),
                message: format!(
                    "no expert's calibration score reaches α = {}, so every Cooke weight is 0",
                    given.unwrap_or(0.0)
                ),
                fix: "give a smaller --alpha (0 keeps every expert)".into(),
            });
        }
        scores
    };
    let weights_given =
        method == PoolMethod::Linear && judgements.experts.iter().all(|e| e.weight.is_some());
    let raw: Vec<f64> = match method {
        PoolMethod::Linear if weights_given => judgements
            .experts
            .iter()
            .map(|e| e.weight.unwrap_or(0.0))
            .collect(),
        PoolMethod::Linear => vec![1.0; judgements.experts.len()],
        PoolMethod::Cooke => match &cooke {
            Some(scores) => scores.experts.iter().map(|s| s.weight).collect(),
            None => {
                return Err(Error::BadOption {
                    option: "--pool".into(),
                    message: "Cooke's classical model weights experts by their answers to seed questions, and the file has no [[seed_questions]]".into(),
                    fix: "add [[seed_questions]] with known answers and each expert's [[experts.calibration]], or use --pool linear".into(),
                });
            }
        },
    };
    let weights = pool::normalised(&raw).ok_or_else(|| {
        Error::Internal("the pool's weights do not sum to a positive number".into())
    })?;
    let mixture = pool::Mixture::new(
        fits.iter().map(|f| f.best_fit().distribution).collect(),
        weights.clone(),
    );
    let pooled = pool::Summary::of(&mixture);
    if !pooled.mean.is_finite() || pooled.quantiles.iter().any(|(_, v)| !v.is_finite()) {
        return Err(Error::Internal(
            "the pooled distribution has a non-finite summary".into(),
        ));
    }
    Ok(Elicitation {
        quantity: judgements.quantity.clone(),
        method,
        weights_given,
        experts: judgements
            .experts
            .iter()
            .zip(fits)
            .zip(&weights)
            .map(|((e, fit), &weight)| ExpertResult {
                name: e.name.clone(),
                judgement: e.judgement.clone(),
                fit,
                weight,
            })
            .collect(),
        cooke,
        seed_questions: judgements.seeds.len(),
        pooled,
    })
}

#[cfg(test)]
mod tests;
