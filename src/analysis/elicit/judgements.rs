//! The judgements file of `crmcast elicit` (docs/CALIBRATION.md, "Expert judgement"): read
//! into raw serde structs, then checked into [`Judgements`] with an error that names the file,
//! line, field, what was expected and the fix ([`crate::scenario::source`]), as the targets
//! file is. Counts are bounded so that a hostile file cannot make the fit or the pool large.

use super::{Expert, Judgement, Judgements, Kind, Quantity, SeedQuestion, Target};
use crate::error::Error;
use crate::scenario::source::{FieldPath, Problem, Source};
use serde::Deserialize;

/// The most experts in a file.
pub const MAX_EXPERTS: usize = 100;
/// The most seed questions in a file.
pub const MAX_SEED_QUESTIONS: usize = 200;
/// The longest name or id, in characters.
pub const MAX_NAME: usize = 100;
/// The largest magnitude of a value (quantiles, answers): far beyond any quantity crmcast
/// models, and small enough that differences and squares stay finite.
pub const MAX_VALUE: f64 = 1e12;

/// The quantile keys of a judgement and their cumulative levels.
const QUANTILE_KEYS: [(&str, f64); 7] = [
    ("p5", 0.05),
    ("p10", 0.10),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
    ("p95", 0.95),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    quantity: RawQuantity,
    #[serde(default)]
    experts: Vec<RawExpert>,
    #[serde(default)]
    seed_questions: Vec<RawSeedQuestion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuantity {
    id: String,
    kind: String,
    description: Option<String>,
    factor: Option<String>,
    mitigation: Option<String>,
    field: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpert {
    name: String,
    weight: Option<f64>,
    judgement: RawJudgement,
    #[serde(default)]
    calibration: Vec<RawSeedAnswer>,
}

/// Every form's keys; which are given decides the form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJudgement {
    p5: Option<f64>,
    p10: Option<f64>,
    p25: Option<f64>,
    p50: Option<f64>,
    p75: Option<f64>,
    p90: Option<f64>,
    p95: Option<f64>,
    min: Option<f64>,
    mode: Option<f64>,
    max: Option<f64>,
    confidence: Option<f64>,
    probability: Option<f64>,
    low: Option<f64>,
    high: Option<f64>,
    level: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeedAnswer {
    question: String,
    p5: f64,
    p50: f64,
    p95: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeedQuestion {
    id: String,
    answer: f64,
    description: Option<String>,
}

fn problem(path: &FieldPath, message: impl Into<String>, fix: impl Into<String>) -> Problem {
    Problem::new(path, message, fix)
}

/// A name or id: one line (checked by the parser), 1 to [`MAX_NAME`] characters after trimming.
fn name(text: &str, path: &FieldPath) -> Result<String, Problem> {
    let trimmed = text.trim();
    let length = trimmed.chars().count();
    if length == 0 || length > MAX_NAME {
        return Err(problem(
            path,
            format!("a name or id must have 1 to {MAX_NAME} characters, this has {length}"),
            "give a short name, e.g. \"A\" or \"sales director\"",
        ));
    }
    Ok(trimmed.to_string())
}

fn value(x: f64, path: &FieldPath) -> Result<f64, Problem> {
    if x.is_finite() && x.abs() <= MAX_VALUE {
        Ok(x)
    } else {
        Err(problem(
            path,
            format!("{x} is not a finite number within ±10^12"),
            "give the value as a plain number",
        ))
    }
}

/// Values of a quantity of `kind`: a probability strictly inside (0, 1), a positive quantity
/// above 0.
fn in_support(x: f64, kind: Kind, path: &FieldPath) -> Result<f64, Problem> {
    let x = value(x, path)?;
    match kind {
        Kind::Probability if !(x > 0.0 && x < 1.0) => Err(problem(
            path,
            format!("{x} is not strictly between 0 and 1, as a probability's judgement must be"),
            "give values strictly inside (0, 1), e.g. 0.02 rather than 0 (a beta cannot put a quantile on 0 or 1)",
        )),
        Kind::Positive if x <= 0.0 => Err(problem(
            path,
            format!("{x} is not above 0, as a positive quantity's judgement must be"),
            "give values above 0, or declare kind = \"real\"",
        )),
        _ => Ok(x),
    }
}

/// A level (confidence, interval level) strictly inside (0, 1).
fn level(x: f64, path: &FieldPath) -> Result<f64, Problem> {
    if x > 0.0 && x < 1.0 {
        Ok(x)
    } else {
        Err(problem(
            path,
            format!("{x} is not strictly between 0 and 1"),
            "give the probability that the value lies inside, e.g. 0.9 for 90 %",
        ))
    }
}

fn judgement(raw: &RawJudgement, kind: Kind, path: &FieldPath) -> Result<Judgement, Problem> {
    let quantiles: Vec<(&str, f64, f64)> =
        [raw.p5, raw.p10, raw.p25, raw.p50, raw.p75, raw.p90, raw.p95]
            .iter()
            .zip(QUANTILE_KEYS)
            .filter_map(|(v, (key, p))| v.map(|v| (key, p, v)))
            .collect();
    let triple = [raw.min, raw.mode, raw.max, raw.confidence];
    let interval = [raw.probability, raw.low, raw.high, raw.level];
    let forms = usize::from(!quantiles.is_empty())
        + usize::from(triple.iter().any(Option::is_some))
        + usize::from(interval.iter().any(Option::is_some));
    let fix_forms = "give one form: quantiles { p10 = 0.2, p50 = 0.35, p90 = 0.55 }, or { min = 0.1, mode = 0.3, max = 0.6, confidence = 0.9 }, or { probability = 0.3, low = 0.2, high = 0.45, level = 0.8 }";
    if forms != 1 {
        return Err(problem(
            path,
            if forms == 0 {
                "the judgement is empty".to_string()
            } else {
                "the judgement mixes the keys of different forms".to_string()
            },
            fix_forms,
        ));
    }
    if !quantiles.is_empty() {
        if quantiles.len() < 2 {
            return Err(problem(
                path,
                "a judgement by quantiles needs at least two of p5, p10, p25, p50, p75, p90, p95 (two parameters are fitted)",
                "give e.g. p10, p50 and p90",
            ));
        }
        let mut points = Vec::with_capacity(quantiles.len());
        for (key, p, v) in &quantiles {
            let here = path.key(key);
            let v = in_support(*v, kind, &here)?;
            if let Some(&(_, previous)) = points.last()
                && v <= previous
            {
                return Err(problem(
                    &here,
                    format!("{key} = {v} is not above the quantile before it ({previous})"),
                    "quantiles must increase: p5 < p10 < p25 < p50 < p75 < p90 < p95",
                ));
            }
            points.push((*p, v));
        }
        return Ok(Judgement::Quantiles(points));
    }
    if let [Some(min), Some(mode), Some(max), Some(confidence)] = triple {
        let min = in_support(min, kind, &path.key("min"))?;
        let mode = in_support(mode, kind, &path.key("mode"))?;
        let max = in_support(max, kind, &path.key("max"))?;
        let confidence = level(confidence, &path.key("confidence"))?;
        if !(min < mode && mode < max) {
            return Err(problem(
                &path.key("mode"),
                format!("min {min}, mode {mode}, max {max} are not in increasing order"),
                "give min < mode < max",
            ));
        }
        return Ok(Judgement::MinModeMax {
            min,
            mode,
            max,
            confidence,
        });
    }
    if let [Some(probability), Some(low), Some(high), Some(level_value)] = interval {
        if kind != Kind::Probability {
            return Err(problem(
                &path.key("probability"),
                "a probability with an interval is a judgement about a probability",
                "declare kind = \"probability\" in [quantity], or give quantiles",
            ));
        }
        let probability = in_support(probability, kind, &path.key("probability"))?;
        let low = in_support(low, kind, &path.key("low"))?;
        let high = in_support(high, kind, &path.key("high"))?;
        let level_value = level(level_value, &path.key("level"))?;
        if !(low < probability && probability < high) {
            return Err(problem(
                &path.key("probability"),
                format!(
                    "low {low}, probability {probability}, high {high} are not in increasing order"
                ),
                "give low < probability < high",
            ));
        }
        return Ok(Judgement::ProbabilityInterval {
            probability,
            low,
            high,
            level: level_value,
        });
    }
    let missing = if triple.iter().any(Option::is_some) {
        "min, mode, max and confidence"
    } else {
        "probability, low, high and level"
    };
    Err(problem(
        path,
        format!("this form needs all of {missing}"),
        fix_forms,
    ))
}

fn quantity(raw: &RawQuantity) -> Result<Quantity, Problem> {
    let path = FieldPath::root().key("quantity");
    let kind = match raw.kind.as_str() {
        "probability" => Kind::Probability,
        "positive" => Kind::Positive,
        "real" => Kind::Real,
        other => {
            return Err(problem(
                &path.key("kind"),
                format!("unknown kind \"{}\"", crate::terminal::escape_line(other)),
                "give kind = \"probability\" (in [0, 1]), \"positive\" or \"real\"",
            ));
        }
    };
    let id = name(&raw.id, &path.key("id"))?;
    let field = match raw.field.as_deref() {
        None | Some("probability") => "probability",
        Some("severity") if raw.mitigation.is_some() => "severity",
        Some(_) => {
            return Err(problem(
                &path.key("field"),
                "field must be \"probability\" (a factor's probability or a mitigation's multiplier on it) or, with a mitigation, \"severity\"",
                "give field = \"probability\" or \"severity\"",
            ));
        }
    };
    let target = match (&raw.factor, &raw.mitigation) {
        (None, Some(_)) => {
            return Err(problem(
                &path.key("mitigation"),
                "a mitigation's effect is on a factor, and no factor is named",
                "add factor = \"<the factor's id>\" (crmcast factors lists them)",
            ));
        }
        (None, None) => None,
        (Some(factor), mitigation) => {
            if kind != Kind::Probability {
                return Err(problem(
                    &path.key("kind"),
                    "a factor's probability and a mitigation's multipliers lie in [0, 1]",
                    "give kind = \"probability\"",
                ));
            }
            let factor = name(factor, &path.key("factor"))?;
            match mitigation {
                None => Some(Target::FactorProbability { factor }),
                Some(m) => Some(Target::MitigationEffect {
                    mitigation: name(m, &path.key("mitigation"))?,
                    factor,
                    field: field.to_string(),
                }),
            }
        }
    };
    if raw.field.is_some() && target.is_none() {
        return Err(problem(
            &path.key("field"),
            "field names what is elicited of a factor or mitigation, and neither is named",
            "add factor = \"…\" (and mitigation = \"…\" for an effect), or drop field",
        ));
    }
    Ok(Quantity {
        id,
        kind,
        description: raw.description.clone(),
        target,
    })
}

fn check(file: &RawFile) -> Result<Judgements, Problem> {
    let quantity = quantity(&file.quantity)?;
    let root = FieldPath::root();
    if file.experts.is_empty() || file.experts.len() > MAX_EXPERTS {
        return Err(problem(
            &root.key("experts"),
            format!(
                "the file has {} [[experts]]; 1 to {MAX_EXPERTS} are needed",
                file.experts.len()
            ),
            "add one [[experts]] table per expert, with a name and a judgement",
        ));
    }
    if file.seed_questions.len() > MAX_SEED_QUESTIONS {
        return Err(problem(
            &root.key("seed_questions"),
            format!(
                "the file has {} seed questions; at most {MAX_SEED_QUESTIONS} are read",
                file.seed_questions.len()
            ),
            "keep the seed questions whose answers are best known",
        ));
    }
    let mut seeds: Vec<SeedQuestion> = Vec::with_capacity(file.seed_questions.len());
    for (i, q) in file.seed_questions.iter().enumerate() {
        let path = root.key("seed_questions").index(i);
        let id = name(&q.id, &path.key("id"))?;
        if seeds.iter().any(|s| s.id == id) {
            return Err(problem(
                &path.key("id"),
                format!("the seed question \"{id}\" is defined twice"),
                "give every seed question its own id",
            ));
        }
        seeds.push(SeedQuestion {
            id,
            answer: value(q.answer, &path.key("answer"))?,
            description: q.description.clone(),
        });
    }
    let mut experts: Vec<Expert> = Vec::with_capacity(file.experts.len());
    for (e, raw) in file.experts.iter().enumerate() {
        let path = root.key("experts").index(e);
        let name = name(&raw.name, &path.key("name"))?;
        if experts.iter().any(|x| x.name == name) {
            return Err(problem(
                &path.key("name"),
                format!("the expert \"{name}\" is named twice"),
                "give every expert their own name (initials or a role will do)",
            ));
        }
        if let Some(w) = raw.weight
            && !(w.is_finite() && (0.0..=1e6).contains(&w))
        {
            return Err(problem(
                &path.key("weight"),
                format!("{w} is not a weight in [0, 10^6]"),
                "give a weight ≥ 0 (weights are scaled to sum to 1), or leave it out for equal weights",
            ));
        }
        let judgement = judgement(&raw.judgement, quantity.kind, &path.key("judgement"))?;
        let calibration = seed_answers(raw, &seeds, &path)?;
        experts.push(Expert {
            name,
            weight: raw.weight,
            judgement,
            calibration,
        });
    }
    let given = experts.iter().filter(|x| x.weight.is_some()).count();
    if given != 0 && given != experts.len() {
        let first = experts.iter().position(|x| x.weight.is_none()).unwrap_or(0);
        return Err(problem(
            &root.key("experts").index(first).key("weight"),
            "some experts have a weight and this one has none",
            "give every expert a weight, or none (equal weights)",
        ));
    }
    if given != 0 && experts.iter().all(|x| x.weight == Some(0.0)) {
        return Err(problem(
            &root.key("experts").index(0).key("weight"),
            "every weight is 0",
            "give at least one expert a weight above 0",
        ));
    }
    Ok(Judgements {
        quantity,
        experts,
        seeds,
    })
}

/// An expert's 5/50/95 % quantiles on every seed question, in the questions' order.
fn seed_answers(
    raw: &RawExpert,
    seeds: &[SeedQuestion],
    path: &FieldPath,
) -> Result<Vec<[f64; 3]>, Problem> {
    let mut answers: Vec<Option<[f64; 3]>> = vec![None; seeds.len()];
    for (i, a) in raw.calibration.iter().enumerate() {
        let here = path.key("calibration").index(i);
        let Some(q) = seeds.iter().position(|s| s.id == a.question.trim()) else {
            return Err(problem(
                &here.key("question"),
                format!(
                    "no seed question \"{}\"",
                    crate::terminal::escape_line(&a.question)
                ),
                "name a question of [[seed_questions]] (by its id), or add it there with its known answer",
            ));
        };
        if answers[q].is_some() {
            return Err(problem(
                &here.key("question"),
                format!("the expert answers \"{}\" twice", seeds[q].id),
                "keep one answer per seed question",
            ));
        }
        let p5 = value(a.p5, &here.key("p5"))?;
        let p50 = value(a.p50, &here.key("p50"))?;
        let p95 = value(a.p95, &here.key("p95"))?;
        if !(p5 < p50 && p50 < p95) {
            return Err(problem(
                &here.key("p50"),
                format!("p5 {p5}, p50 {p50}, p95 {p95} are not increasing"),
                "give p5 < p50 < p95",
            ));
        }
        answers[q] = Some([p5, p50, p95]);
    }
    if let Some(missing) = answers.iter().position(Option::is_none) {
        return Err(problem(
            &path.key("calibration"),
            format!(
                "the expert does not answer the seed question \"{}\" (Cooke's model needs every expert's answer to every seed question)",
                seeds[missing].id
            ),
            format!(
                "add [[experts.calibration]] question = \"{}\", p5 = …, p50 = …, p95 = …",
                seeds[missing].id
            ),
        ));
    }
    Ok(answers.into_iter().flatten().collect())
}

/// Read and check a judgements file.
pub fn load(source: &Source) -> Result<Judgements, Error> {
    let file: RawFile = source.parse()?;
    check(&file).map_err(|p| source.problem(p))
}
