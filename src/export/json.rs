//! JSON: the whole [`Report`] (or the factor list) as documented serde structs; the contract the
//! notebooks read (`docs/OUTPUT.md`).

use super::{Exporter, FactorList, View};
use crate::analysis::Report;
use std::io::Write;

pub struct JsonExporter;

#[derive(serde::Serialize)]
struct FactorsDocument<'a> {
    catalogue_version: &'a str,
    /// The plain estimating error (after the scenario's overrides).
    estimate: &'a crate::model::Estimate,
    /// The runaway mechanism (after the scenario's overrides).
    runaway: &'a crate::model::Runaway,
    groups: &'a [crate::model::Group],
    categories: &'a [crate::model::Category],
    factors: &'a [crate::model::Factor],
}

impl Exporter for JsonExporter {
    fn report(&self, report: &Report, _view: View, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)
    }
    fn factors(&self, list: &FactorList, out: &mut dyn Write) -> std::io::Result<()> {
        let document = FactorsDocument {
            catalogue_version: &list.scenario.catalogue_version,
            estimate: &list.scenario.project.estimate,
            runaway: &list.scenario.project.runaway,
            groups: &list.scenario.groups,
            categories: &list.scenario.categories,
            factors: list.factors,
        };
        serde_json::to_writer_pretty(&mut *out, &document)?;
        writeln!(out)
    }
    fn document(&self, document: &super::Document, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &document.record)?;
        writeln!(out)
    }
}
