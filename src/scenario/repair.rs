//! `validate --repair-correlations`: a scenario whose factor correlations cannot hold together,
//! rewritten with the nearest valid ones ([`crate::model::correlation_repair`]). Only the
//! scenario's `[[correlations]]` entries move; the catalogue's category structure is held (unless
//! the catalogue's own matrix leaves no room, see there). The text is edited with toml_edit, so
//! comments and layout survive: a changed entry gets its new `rho` (the old value in a comment),
//! and a catalogue pair that had to move is appended as a new `[[correlations]]` entry.

use super::source::{FieldPath, Problem};
use super::{Scenario, Source, catalogue_for, parse, read_text};
use crate::error::Error;
use crate::model::Catalogue;
use crate::model::correlation_repair::{self, RepairError};
use std::path::Path;
use toml_edit::{Item, Value};

/// One correlation the repair changed.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedEntry {
    /// The two factor ids, in catalogue order.
    pub factors: [String; 2],
    pub old: f64,
    pub new: f64,
    /// The `[[correlations]]` entry (counting from 0) that now holds `new`; `None` for a
    /// catalogue value, written as a new entry at the end.
    pub entry: Option<usize>,
}

/// A repaired scenario text and what changed.
#[derive(Debug, Clone)]
pub struct CorrelationRepair {
    pub text: String,
    pub changes: Vec<ChangedEntry>,
    pub smallest_before: f64,
    pub smallest_after: f64,
    /// Frobenius distance between the matrices before and after (both triangles).
    pub distance: f64,
    /// The eigenvalue floor the repair needed.
    pub floor: f64,
    /// Whether the catalogue's own correlations had to move too.
    pub freed_catalogue: bool,
    /// The files the scenario names (`[scenario] catalogue`, `[outside_view] data`), relative
    /// to its folder: the repaired file finds them only in the same folder.
    pub named_files: Vec<String>,
}

/// The scenario at `path` (validated against `catalogue`, else the one it names) with the
/// nearest valid factor correlations, the result validated whole. `None` when the correlation
/// matrix is not what is wrong with the scenario: it is positive-definite, or an entry of
/// `[[correlations]]` is malformed (the ordinary validation reports that).
pub fn repair_correlations(
    path: &Path,
    catalogue: Option<&Path>,
) -> Result<Option<CorrelationRepair>, Error> {
    let source = Source::new(path.display().to_string(), read_text(path)?);
    let catalogue_text = catalogue_for(&source, path, catalogue)?;
    let raw = parse(&source)?;
    let parsed = match &catalogue_text {
        Some(text) => text.parse()?,
        None => Catalogue::builtin()?,
    };
    let Ok(parts) = super::validate::correlation_parts(&raw, &parsed, &parsed.factors) else {
        return Ok(None);
    };
    let target = parts.matrix();
    let free: Vec<(usize, usize)> = parts.overrides.iter().map(|&(_, i, j, _)| (i, j)).collect();
    let repaired = correlation_repair::repair(&target, &parts.catalogue, &free)
        .map_err(|error| failure(&source, error))?;
    if repaired.changes.is_empty() {
        return Ok(None);
    }
    let id = |i: usize| parsed.factors[i].id.clone();
    let changes: Vec<ChangedEntry> = repaired
        .changes
        .iter()
        .map(|c| ChangedEntry {
            factors: [id(c.i), id(c.j)],
            old: c.old,
            new: c.new,
            entry: parts
                .overrides
                .iter()
                .find(|&&(_, i, j, _)| (i.min(j), i.max(j)) == (c.i, c.j))
                .map(|&(k, ..)| k),
        })
        .collect();
    let text = rewrite(&source.text, &changes)?;
    // The written file must pass validation as it stands: any other problem of the scenario
    // is reported now, and nothing is written.
    Scenario::from_source_with(
        &Source::new(source.name.clone(), text.clone()),
        catalogue_text,
    )?;
    Ok(Some(CorrelationRepair {
        text,
        changes,
        smallest_before: repaired.smallest_before,
        smallest_after: repaired.smallest_after,
        distance: repaired.distance,
        floor: repaired.floor,
        freed_catalogue: repaired.freed_all,
        named_files: raw
            .scenario
            .catalogue
            .iter()
            .chain(raw.outside_view.iter().flat_map(|v| v.data.iter()))
            .cloned()
            .collect(),
    }))
}

fn failure(source: &Source, error: RepairError) -> Error {
    match error {
        RepairError::Malformed(what) => Error::Internal(format!(
            "the correlation matrix built from the scenario is malformed: {what}"
        )),
        other => source.problem(Problem::new(
            &FieldPath::root().key("correlations"),
            format!("no valid correlation matrix was found near these correlations: {other}"),
            "weaken the strongest [[correlations]] entries by hand, or make their signs consistent",
        )),
    }
}

/// A number as the repair writes it: four decimals at most, no trailing zeros.
pub fn shown(x: f64) -> String {
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// `text` with every change in place.
fn rewrite(text: &str, changes: &[ChangedEntry]) -> Result<String, Error> {
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| Error::Internal(format!("re-reading the scenario text: {e}")))?;
    let mut appended = Vec::new();
    for change in changes {
        match change.entry {
            Some(k) => set_rho(&mut document, k, change)?,
            None => appended.push(change),
        }
    }
    if !appended.is_empty() {
        append(&mut document, &appended)?;
    }
    Ok(document.to_string())
}

fn missing(k: usize) -> Error {
    Error::Internal(format!(
        "the scenario text has no `rho` in [[correlations]] entry {k}, which it was read with"
    ))
}

/// Replace `rho` of entry `k`, keeping the spacing and any comment around the old value; an
/// entry of an array of tables without a comment gets one with the old value (an inline table
/// cannot hold a comment).
fn set_rho(
    document: &mut toml_edit::DocumentMut,
    k: usize,
    change: &ChangedEntry,
) -> Result<(), Error> {
    let (value, may_comment) = match document.get_mut("correlations") {
        Some(Item::ArrayOfTables(tables)) => (
            tables
                .get_mut(k)
                .and_then(|t| t.get_mut("rho"))
                .and_then(Item::as_value_mut),
            true,
        ),
        Some(Item::Value(Value::Array(array))) => (
            array
                .get_mut(k)
                .and_then(Value::as_inline_table_mut)
                .and_then(|t| t.get_mut("rho")),
            false,
        ),
        _ => (None, false),
    };
    let value = value.ok_or_else(|| missing(k))?;
    let decor = value.decor().clone();
    *value = Value::from(change.new);
    *value.decor_mut() = decor;
    let has_comment = value
        .decor()
        .suffix()
        .and_then(|s| s.as_str())
        .is_some_and(|s| s.contains('#'));
    if may_comment && !has_comment {
        value.decor_mut().set_suffix(format!(
            "  # was {} (crmcast validate --repair-correlations)",
            shown(change.old)
        ));
    }
    Ok(())
}

/// Append the catalogue pairs that moved as new `[[correlations]]` entries (or inline tables,
/// when the scenario writes `correlations = [...]`).
fn append(document: &mut toml_edit::DocumentMut, changes: &[&ChangedEntry]) -> Result<(), Error> {
    let entry = |change: &ChangedEntry| {
        let mut table = toml_edit::InlineTable::new();
        let factors: toml_edit::Array = change.factors.iter().map(String::as_str).collect();
        table.insert("factors", Value::Array(factors));
        table.insert("rho", Value::from(change.new));
        table
    };
    if document.get("correlations").is_none() {
        document.insert(
            "correlations",
            Item::ArrayOfTables(toml_edit::ArrayOfTables::new()),
        );
    }
    match document.get_mut("correlations") {
        Some(Item::ArrayOfTables(tables)) => {
            for (n, change) in changes.iter().enumerate() {
                let mut table = entry(change).into_table();
                if n == 0 {
                    table.decor_mut().set_prefix(
                        "\n# Added by crmcast validate --repair-correlations: correlations from the\n\
                         # catalogue's categories that had to move for the matrix to be valid.\n",
                    );
                }
                if let Some(rho) = table.get_mut("rho").and_then(Item::as_value_mut) {
                    rho.decor_mut()
                        .set_suffix(format!("  # the catalogue's {}", shown(change.old)));
                }
                tables.push(table);
            }
            Ok(())
        }
        Some(Item::Value(Value::Array(array))) => {
            for change in changes {
                array.push(entry(change));
            }
            Ok(())
        }
        _ => Err(Error::Internal(
            "the scenario's `correlations` is neither [[correlations]] tables nor an array".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(entry: Option<usize>, old: f64, new: f64) -> ChangedEntry {
        ChangedEntry {
            factors: ["a".into(), "b".into()],
            old,
            new,
            entry,
        }
    }

    #[test]
    fn rewrites_rho_keeping_comments_and_layout() {
        let text = "# top comment\n[scenario]\nname = \"x\"\n\n# about the pair\n[[correlations]]\nfactors = [\"a\", \"b\"]\nrho = 0.9   # strong\n\n[[correlations]]\nfactors = [\"b\", \"c\"]\nrho = -0.9\n";
        let out = rewrite(
            text,
            &[change(Some(0), 0.9, 0.45), change(Some(1), -0.9, -0.5)],
        )
        .unwrap();
        assert_eq!(
            out,
            "# top comment\n[scenario]\nname = \"x\"\n\n# about the pair\n[[correlations]]\nfactors = [\"a\", \"b\"]\nrho = 0.45   # strong\n\n[[correlations]]\nfactors = [\"b\", \"c\"]\nrho = -0.5  # was -0.9 (crmcast validate --repair-correlations)\n"
        );
    }

    #[test]
    fn appends_catalogue_pairs_as_new_entries() {
        let text = "[scenario]\nname = \"x\"\n";
        let out = rewrite(text, &[change(None, 0.3, 0.1234)]).unwrap();
        let parsed: toml::Table = out.parse().unwrap();
        let entries = parsed["correlations"].as_array().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["factors"].as_array().unwrap().len(), 2);
        assert_eq!(entries[0]["rho"].as_float(), Some(0.1234));
        assert!(out.starts_with(text), "{out}");
        assert!(out.contains("# the catalogue's 0.3"), "{out}");
    }

    #[test]
    fn inline_correlations_are_edited_without_comments() {
        let text = "correlations = [{ factors = [\"a\", \"b\"], rho = 0.9 }]\n";
        let out = rewrite(text, &[change(Some(0), 0.9, 0.4), change(None, 0.3, 0.2)]).unwrap();
        let parsed: toml::Table = out.parse().unwrap();
        let entries = parsed["correlations"].as_array().unwrap();
        assert_eq!(entries[0]["rho"].as_float(), Some(0.4));
        assert_eq!(entries[1]["rho"].as_float(), Some(0.2));
        assert!(!out.contains('#'), "{out}");
    }

    #[test]
    fn numbers_are_shown_as_written() {
        assert_eq!(shown(0.45), "0.45");
        assert_eq!(shown(-0.9), "-0.9");
        assert_eq!(shown(0.0), "0");
        assert_eq!(shown(-0.00001), "0");
        assert_eq!(shown(0.12345), "0.1235");
    }
}
