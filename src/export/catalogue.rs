//! Catalogue files written by `crmcast calibrate`: the input catalogue's text with the fitted
//! numbers put in place (toml_edit keeps its comments, sources and layout), under a header
//! that records the provenance. A scenario names the file with `catalogue = "…"`.

use crate::error::Error;
use crate::model::Catalogue;

/// First and last line of the provenance header; a re-calibration replaces the old block.
const HEADER_START: &str = "# --- crmcast calibrate: provenance ---";
const HEADER_END: &str = "# --- end of provenance ---";

/// Where a calibrated catalogue came from, written as its header.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Provenance {
    pub command: String,
    pub date: String,
    pub crmcast_version: String,
    /// `(label, value)` lines: inputs, settings, the fit's verdict.
    pub lines: Vec<(String, String)>,
}

/// Parameter uncertainty to write as the catalogue's `[uncertainty]` table.
pub struct Uncertainty<'a> {
    /// The comment above the table (lines without `#`).
    pub comment: &'a str,
    pub source: String,
    pub parameters: &'a [String],
    pub covariance: &'a nalgebra::DMatrix<f64>,
}

/// Values are written to four decimals (what the catalogue format shows by convention).
fn rounded(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The text of `base_text` with `fitted`'s probabilities, impacts and estimating error, under a
/// provenance header. `fitted` must have the same factors, in the same order, as the text.
pub fn calibrated_text(
    base_text: &str,
    fitted: &Catalogue,
    provenance: &Provenance,
    uncertainty: Option<Uncertainty>,
) -> Result<String, Error> {
    let body = strip_header(base_text);
    let mut document: toml_edit::DocumentMut = body
        .parse()
        .map_err(|e| Error::Internal(format!("re-reading the catalogue text: {e}")))?;
    let estimate = &fitted.estimate;
    for (key, value) in [
        ("log_cost_mean", estimate.log_cost_mean),
        ("log_cost_sd", estimate.log_cost_sd),
        ("log_schedule_mean", estimate.log_schedule_mean),
        ("log_schedule_sd", estimate.log_schedule_sd),
        (
            "cost_schedule_correlation",
            estimate.cost_schedule_correlation,
        ),
        ("benefit_sd", estimate.benefit_sd),
    ] {
        set(&mut document["estimate"][key], rounded(value));
    }
    let runaway = &fitted.runaway;
    for (key, value) in [
        ("base_probability", runaway.base_probability),
        ("size_min", runaway.size_min),
        ("tail", runaway.tail),
        ("schedule", runaway.schedule),
    ] {
        set(&mut document["runaway"][key], rounded(value));
    }
    let factors = document["factors"]
        .as_array_of_tables_mut()
        .ok_or_else(|| Error::Internal("the catalogue text has no [[factors]]".into()))?;
    for (table, factor) in factors.iter_mut().zip(&fitted.factors) {
        if table.get("id").and_then(|v| v.as_str()) != Some(factor.id.as_str()) {
            return Err(Error::Internal(format!(
                "catalogue text and fitted catalogue disagree at factor {}",
                factor.id
            )));
        }
        set(&mut table["probability"], rounded(factor.probability));
        let impact = &mut table["impact"];
        for (key, value) in [
            ("benefit", factor.impact.benefit),
            ("cost", factor.impact.cost),
            ("schedule", factor.impact.schedule),
            ("runaway", factor.impact.runaway),
        ] {
            set(&mut impact[key], rounded(value));
        }
    }
    document.remove("uncertainty");
    if let Some(u) = uncertainty {
        let mut table = toml_edit::Table::new();
        let comment: String = u.comment.lines().map(|l| format!("# {l}\n")).collect();
        table.decor_mut().set_prefix(format!("\n{comment}"));
        table["source"] = toml_edit::value(u.source);
        let mut parameters = toml_edit::Array::new();
        for p in u.parameters {
            parameters.push(p.as_str());
        }
        table["parameters"] = toml_edit::value(parameters);
        let mut rows = toml_edit::Array::new();
        for r in 0..u.covariance.nrows() {
            let mut row = toml_edit::Array::new();
            for c in 0..u.covariance.ncols() {
                // Full precision: rounding could make a nearly singular covariance indefinite.
                row.push(u.covariance[(r, c)]);
            }
            row.decor_mut().set_prefix("\n  ");
            rows.push_formatted(toml_edit::Value::Array(row));
        }
        rows.set_trailing("\n");
        table["covariance"] = toml_edit::value(rows);
        document.insert("uncertainty", toml_edit::Item::Table(table));
    }
    Ok(format!("{}{}", header(provenance), document))
}

/// Replace a value, keeping the spacing and comment around the old one.
fn set(item: &mut toml_edit::Item, value: f64) {
    let decor = item.as_value().map(|v| v.decor().clone());
    *item = toml_edit::value(value);
    if let (Some(decor), Some(new)) = (decor, item.as_value_mut()) {
        *new.decor_mut() = decor;
    }
}

fn header(p: &Provenance) -> String {
    let mut text = format!(
        "{HEADER_START}\n# Written by crmcast {} on {}:\n#   {}\n",
        p.crmcast_version, p.date, p.command
    );
    for (label, value) in &p.lines {
        text.push_str(&format!("# {label}: {value}\n"));
    }
    text.push_str(
        "# The numbers below are the fit; the comments and sources are the base catalogue's.\n",
    );
    text.push_str(HEADER_END);
    text.push('\n');
    text
}

/// The text without a previous provenance header.
fn strip_header(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix(HEADER_START)
        && let Some(end) = rest.find(HEADER_END)
    {
        return rest[end + HEADER_END.len()..].trim_start_matches('\n');
    }
    text
}

/// The catalogue's numbers as `docs/MODEL.md` §2 shows them (Markdown): every factor with
/// its probability and impacts, then the estimating error and the runaway. `tests/docs.rs`
/// checks that the page holds exactly this text between its markers, so the page cannot go
/// stale when the catalogue is re-calibrated.
pub fn model_tables(catalogue: &Catalogue) -> String {
    let mut text = format!(
        "Catalogue version `{}`: {} factors. p is the probability, b, c, d and r the benefit, cost, \
         schedule and runaway impacts; sources are the short labels of the source registry \
         ([SOURCES.md](SOURCES.md), `crmcast sources`).\n\n\
         | id | category | cause group | p | b | c | d | r | sources |\n\
         |---|---|---|---|---|---|---|---|---|\n",
        catalogue.version,
        catalogue.factors.len()
    );
    for f in &catalogue.factors {
        text.push_str(&format!(
            "| `{}` | {} | {} | {:.2} | {:.4} | {:.4} | {:.4} | {:.4} | {} |\n",
            f.id,
            catalogue.categories[f.category].id,
            catalogue.groups[f.cause_group].id,
            f.probability,
            f.impact.benefit,
            f.impact.cost,
            f.impact.schedule,
            f.impact.runaway,
            crate::model::sources::citation_list(&f.sources)
        ));
    }
    let e = &catalogue.estimate;
    let r = &catalogue.runaway;
    text.push_str("\n| `[estimate]` | value | `[runaway]` | value |\n|---|---|---|---|\n");
    for ((a, x), (b, y)) in [
        ("log_cost_mean", e.log_cost_mean),
        ("log_cost_sd", e.log_cost_sd),
        ("log_schedule_mean", e.log_schedule_mean),
        ("log_schedule_sd", e.log_schedule_sd),
        ("cost_schedule_correlation", e.cost_schedule_correlation),
        ("benefit_sd", e.benefit_sd),
    ]
    .into_iter()
    .zip([
        ("base_probability", format!("{:.4}", r.base_probability)),
        ("size_min", format!("{:.4}", r.size_min)),
        ("tail", format!("{:.4}", r.tail)),
        ("schedule", format!("{:.4}", r.schedule)),
        ("(base hazard λ₀)", format!("{:.6}", r.base_hazard())),
        ("", String::new()),
    ]) {
        text.push_str(&format!("| {a} | {x:.4} | {b} | {y} |\n"));
    }
    text
}

/// Today's date (UTC) as YYYY-MM-DD, or the date of `SOURCE_DATE_EPOCH` when it is set, so that
/// a calibration can be reproduced byte for byte.
pub fn today() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    civil_date(seconds.div_euclid(86_400))
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `civil_from_days`).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_780), "2026-11-23");
    }

    #[test]
    fn round_trip_keeps_comments_and_replaces_the_header() {
        let base = Catalogue::builtin().expect("built-in catalogue");
        let mut fitted = base.clone();
        fitted.factors[0].impact.cost = 0.123456;
        fitted.estimate.log_cost_mean = -0.5;
        let provenance = Provenance {
            command: "crmcast calibrate".into(),
            date: "2026-11-23".into(),
            crmcast_version: "0".into(),
            lines: vec![("targets".into(), "t.toml".into())],
        };
        let text = calibrated_text(
            crate::model::catalogue::BUILTIN_CATALOGUE,
            &fitted,
            &provenance,
            None,
        )
        .expect("written");
        assert!(text.starts_with(HEADER_START));
        assert!(text.contains("# crmcast factor catalogue"), "comments kept");
        let again = calibrated_text(&text, &fitted, &provenance, None).expect("written twice");
        assert_eq!(again, text, "a second calibration replaces the header");
        let parsed = Catalogue::parse(&crate::scenario::source::Source::new("t", text))
            .expect("a valid catalogue");
        assert_eq!(parsed.factors[0].impact.cost, 0.1235);
        assert_eq!(parsed.estimate.log_cost_mean, -0.5);
        assert_eq!(parsed.factors[1].impact, base.factors[1].impact);
    }
}
