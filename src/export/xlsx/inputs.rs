//! The `Inputs` sheet: the scenario as a client reads it, in words and numbers (not TOML).

use super::{Book, Cell, Style};
use crate::analysis::presentation::Presentation;
use std::io::Result;

pub(super) fn inputs_sheet(book: &mut Book, p: &Presentation) -> Result<()> {
    let a = &p.assumptions;
    let header = ["item", "value"].map(String::from);
    let mut sheet = book.sheet("Inputs", None, &header)?;
    let rows = [
        ("scenario", Cell::text(a.scenario.as_str())),
        ("catalogue", Cell::text(a.catalogue.as_str())),
        (
            "catalogue version",
            Cell::text(a.catalogue_version.as_str()),
        ),
        ("trials", Cell::number(a.trials as f64, Style::Count)),
        ("sampling", Cell::text(a.sampling.as_str())),
    ];
    for (item, value) in rows {
        sheet.row(&[Cell::text(item), value])?;
    }
    sheet.finish(false)
}
