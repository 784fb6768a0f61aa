//! `crmcast validate SCENARIO --repair-correlations OUT.toml`: when the factor correlations
//! cannot hold together, write the scenario with the nearest valid ones
//! ([`crate::scenario::repair`]) and list every entry that changed. This is the glue: the
//! repair itself is pure ([`crate::model::correlation_repair`]).

use super::ValidateArgs;
use crate::error::Error;
use crate::export;
use crate::scenario::repair::{CorrelationRepair, repair_correlations, shown};
use std::io::Write;
use std::path::Path;

/// The option's name in messages.
pub const OPTION: &str = "--repair-correlations";

/// The scenario failed validation with `error`: repair its correlations into `out` if they are
/// the problem, else report `error` as it is.
pub fn run(args: &ValidateArgs, out: &Path, error: Error) -> Result<(), Error> {
    // The scenario and its catalogue have been read (and noted as inputs): refuse an `out` that
    // is one of them before any work.
    crate::input::opened::check_outputs([(Some(out), OPTION)])?;
    let Some(repair) = repair_correlations(&args.scenario, args.catalogue.as_deref())? else {
        return Err(error);
    };
    export::write_output(Some(out), OPTION, |w| w.write_all(repair.text.as_bytes()))?;
    let listing = listing(&args.scenario.display().to_string(), out, &repair);
    // Escaped: factor ids and paths come from files and the command line.
    let listing = crate::terminal::escape(&listing);
    if out == Path::new("-") {
        // The scenario went to standard output; the listing must not mix with it.
        let _ = std::io::stderr().lock().write_all(listing.as_bytes());
        Ok(())
    } else {
        export::write_output(None, "--output", |w| w.write_all(listing.as_bytes()))
    }
}

/// What changed, as a table, and the matrix before and after.
fn listing(origin: &str, out: &Path, repair: &CorrelationRepair) -> String {
    let held = if repair.freed_catalogue {
        "the catalogue's own correlations leave no room, so they were free to move too"
    } else {
        "only [[correlations]] entries moved; the catalogue's category correlations were held"
    };
    let mut text = format!(
        "{origin}: the factor correlation matrix is not positive-definite; wrote the nearest valid one (Higham 2002) to {}\n{held}\n\n",
        out.display()
    );
    let header = ["factor a", "factor b", "old ρ", "new ρ", "change"];
    let rows: Vec<[String; 5]> = repair
        .changes
        .iter()
        .map(|c| {
            let [a, b] = c.factors.clone();
            let new = match c.entry {
                Some(_) => shown(c.new),
                None => format!("{} (new entry)", shown(c.new)),
            };
            [a, b, shown(c.old), new, format!("{:+.4}", c.new - c.old)]
        })
        .collect();
    let width = |k: usize| {
        rows.iter()
            .map(|r| r[k].chars().count())
            .chain([header[k].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    let line = |cells: [&str; 5]| {
        let mut line = String::new();
        for (k, cell) in cells.iter().enumerate() {
            let pad = widths[k].saturating_sub(cell.chars().count());
            // Names left-aligned, numbers right-aligned.
            if k < 2 {
                line.push_str(&format!("  {cell}{}", " ".repeat(pad)));
            } else {
                line.push_str(&format!("  {}{cell}", " ".repeat(pad)));
            }
        }
        format!("{}\n", line.trim_end())
    };
    text.push_str(&line(header));
    for row in &rows {
        text.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
    }
    let count = match repair.changes.len() {
        1 => "1 entry".to_string(),
        n => format!("{n} entries"),
    };
    text.push_str(&format!(
        "\n{count} changed; Frobenius distance {:.4}; smallest eigenvalue {:.4} → {:.4} (floor {})\n",
        repair.distance,
        repair.smallest_before,
        repair.smallest_after,
        repair.floor
    ));
    if !repair.named_files.is_empty() && !same_folder(origin, out) {
        text.push_str(&format!(
            "note: the scenario names {} relative to its own folder; move {} there, or copy {} next to it\n",
            repair.named_files.join(", "),
            out.display(),
            if repair.named_files.len() == 1 { "that file" } else { "those files" }
        ));
    }
    // Checked before it was written (`repair_correlations` validates the text whole).
    if out == Path::new("-") {
        text.push_str("the repaired scenario, on standard output, validates\n");
    } else {
        text.push_str(&format!(
            "the repaired scenario validates: crmcast validate {}\n",
            out.display()
        ));
    }
    text
}

/// Whether `out` is in the folder of the scenario at `origin` (`-` is not).
fn same_folder(origin: &str, out: &Path) -> bool {
    let folder = |path: &Path| {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::canonicalize(parent).ok()
    };
    out != Path::new("-") && folder(Path::new(origin)).is_some_and(|f| Some(f) == folder(out))
}
