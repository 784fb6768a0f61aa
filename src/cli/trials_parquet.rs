//! `--trials-output FILE.parquet`: every trial as Parquet (columnar, Snappy-compressed), with
//! the CSV's columns and values (docs/OUTPUT.md). Streamed like the CSV: a row group is replayed
//! in parallel into column buffers, encoded, and its bytes passed on to the output owner
//! (`export::write_output_streaming`, atomic) before the next is replayed, so memory is bounded
//! by one row group whatever the trial count.

use super::interrupt;
use super::progress::Progress;
use crate::engine::records::{Cursor, Replay, factor_columns, outcome_name};
use crate::error::Error;
use crate::scenario::Scenario;
use parquet::basic::{Compression, ConvertedType, LogicalType, Repetition, Type as Physical};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::schema::types::{ColumnPath, Type};
use rayon::prelude::*;
use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// Column values held per row group, at most (plus one unit): 128 MB makes row groups of about
/// 300,000–500,000 rows on the shipped scenarios, inside the 64k–1M rows readers work best
/// with (pyarrow reads a row group at a time), and keeps memory bounded at any trial count.
pub const ROW_GROUP_BYTES: f64 = 128e6;
/// The most values one unit of work (replayed by one thread) holds: a quarter of a row group,
/// so that a group is replayed in parallel. Fixed, not drawn from the thread count, so that the
/// row groups, and the file's bytes, are the same at any thread count; whole batches of the
/// shipped scenarios (16,384 trials, under 32 MB) stay whole.
pub const UNIT_BYTES: f64 = ROW_GROUP_BYTES / 4.0;
/// The doubles before the per-factor severities: cost … payback_years (`super::trials_output::COLUMNS`).
const FIXED_DOUBLES: usize = 8;

/// Whether `path` asks for Parquet: its name ends in `.parquet` (any case). Anything else,
/// standard output (`-`) included, is CSV.
pub fn wanted(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// The bytes of column values one trial (all strategies' rows) holds in memory.
pub fn bytes_per_trial(scenario: &Scenario) -> f64 {
    // The doubles, the trial number, and about 8 bytes for the indices and flags.
    let per_row = 8 * (FIXED_DOUBLES + scenario.factors.len() + 2);
    (per_row * scenario.strategies.len().max(1)) as f64
}

/// The values of one unit of trials, a buffer per column, rows trial-major like the CSV.
#[derive(Default)]
struct Columns {
    trial: Vec<i64>,
    strategy: Vec<u32>,
    outcome: Vec<&'static str>,
    /// The fixed doubles, then one per factor severity.
    doubles: Vec<Vec<f64>>,
    cause: Vec<Option<u32>>,
    runaway: Vec<bool>,
}

/// What writing needs besides the trials: the replay and the scenario's names as Parquet strings.
pub struct Writer<'a> {
    replay: &'a Replay,
    strategies: Vec<ByteArray>,
    factors: Vec<ByteArray>,
    schema: Arc<Type>,
}

impl<'a> Writer<'a> {
    pub fn new(scenario: &Scenario, replay: &'a Replay) -> Result<Self, Error> {
        let bytes = |s: &str| ByteArray::from(s);
        Ok(Writer {
            replay,
            strategies: scenario.strategies.iter().map(|s| bytes(&s.id)).collect(),
            factors: scenario.factors.iter().map(|f| bytes(&f.id)).collect(),
            schema: schema(scenario)?,
        })
    }

    /// Replay `trials` into column buffers.
    fn fill(&self, cursor: &mut Cursor, trials: Range<u64>) -> Columns {
        let rows = (trials.end - trials.start) as usize * self.strategies.len();
        let columns = FIXED_DOUBLES + self.factors.len();
        let mut c = Columns {
            trial: Vec::with_capacity(rows),
            strategy: Vec::with_capacity(rows),
            outcome: Vec::with_capacity(rows),
            doubles: (0..columns).map(|_| Vec::with_capacity(rows)).collect(),
            cause: Vec::with_capacity(rows),
            runaway: Vec::with_capacity(rows),
        };
        let mut severities = vec![0.0; self.factors.len()];
        self.replay.replay(cursor, trials, |view| {
            for s in 0..self.strategies.len() {
                let o = view.outcome(s);
                view.severities(s, &mut severities);
                // Trial numbers are below 2⁶³: a run holds at most u64 trials of memory's worth.
                c.trial.push(view.trial as i64);
                c.strategy.push(s as u32);
                c.outcome.push(outcome_name(o.class));
                let fixed = [
                    o.investment,
                    o.overrun,
                    o.slip,
                    o.benefit_realisation,
                    o.annual_benefit,
                    o.npv,
                    o.roi,
                    o.payback_years,
                ];
                for (column, value) in c
                    .doubles
                    .iter_mut()
                    .zip(fixed.into_iter().chain(severities.iter().copied()))
                {
                    column.push(value);
                }
                c.cause.push(o.primary_cause.map(|i| i as u32));
                c.runaway.push(o.runaway);
            }
        });
        c
    }

    /// Write the `groups` of units (each a row group), replaying each group's units in parallel
    /// on `pool`, to `out` as one Parquet file.
    pub fn stream(
        &self,
        pool: &rayon::ThreadPool,
        groups: &[Vec<Range<u64>>],
        out: &mut dyn Write,
        progress: &Progress,
    ) -> Result<(), Error> {
        let total: u64 = groups.iter().flatten().map(|u| u.end - u.start).sum();
        let mut file = SerializedFileWriter::new(Vec::new(), self.schema.clone(), properties())
            .map_err(encode_error)?;
        for group in groups {
            if interrupt::requested() {
                return Err(Error::Interrupted {
                    done: format!("the run, while writing its {total} trials to --trials-output"),
                    fix: ", or leave out --trials-output",
                });
            }
            let units: Vec<Columns> = pool.install(|| {
                group
                    .par_iter()
                    .map_init(
                        || self.replay.cursor(),
                        |cursor, unit| self.fill(cursor, unit.clone()),
                    )
                    .collect()
            });
            self.row_group(&mut file, &units)?;
            // The encoded row group goes on to the destination; the writer keeps counting offsets.
            file.flush().map_err(write_error)?;
            out.write_all(&std::mem::take(file.inner_mut()))
                .map_err(write_error)?;
            progress.advance(group.iter().map(|u| u.end - u.start).sum());
        }
        let footer = file.into_inner().map_err(encode_error)?;
        out.write_all(&footer).map_err(write_error)
    }

    /// One row group: the columns in schema order, each written unit by unit.
    fn row_group(
        &self,
        file: &mut SerializedFileWriter<Vec<u8>>,
        units: &[Columns],
    ) -> Result<(), Error> {
        let mut group = file.next_row_group().map_err(encode_error)?;
        let mut index = 0;
        while let Some(mut column) = group.next_column().map_err(encode_error)? {
            for unit in units {
                self.write_column(&mut column, index, unit)?;
            }
            column.close().map_err(encode_error)?;
            index += 1;
        }
        group.close().map_err(encode_error)?;
        Ok(())
    }

    /// Column `index` of the schema (trial, strategy, outcome, the fixed doubles, primary_cause,
    /// runaway, the severities) from one unit.
    fn write_column(
        &self,
        column: &mut SerializedColumnWriter<'_>,
        index: usize,
        unit: &Columns,
    ) -> Result<(), Error> {
        let written = match index {
            0 => column
                .typed::<Int64Type>()
                .write_batch(&unit.trial, None, None),
            1 => {
                let names: Vec<ByteArray> = unit
                    .strategy
                    .iter()
                    .map(|&s| self.strategies[s as usize].clone())
                    .collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&names, None, None)
            }
            2 => {
                let names: Vec<ByteArray> =
                    unit.outcome.iter().map(|&o| ByteArray::from(o)).collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&names, None, None)
            }
            i if i < 3 + FIXED_DOUBLES => {
                column
                    .typed::<DoubleType>()
                    .write_batch(&unit.doubles[i - 3], None, None)
            }
            i if i == 3 + FIXED_DOUBLES => {
                // No cause (a success) is null, as pandas reads the CSV's empty cell.
                let causes: Vec<ByteArray> = unit
                    .cause
                    .iter()
                    .flatten()
                    .map(|&f| self.factors[f as usize].clone())
                    .collect();
                let defined: Vec<i16> = unit.cause.iter().map(|c| i16::from(c.is_some())).collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&causes, Some(&defined), None)
            }
            i if i == 4 + FIXED_DOUBLES => {
                column
                    .typed::<BoolType>()
                    .write_batch(&unit.runaway, None, None)
            }
            // A severity: after trial, strategy, outcome, primary_cause and runaway.
            i => column
                .typed::<DoubleType>()
                .write_batch(&unit.doubles[i - 5], None, None),
        };
        written.map(|_| ()).map_err(encode_error)
    }
}

/// The schema: the CSV's columns, numbers as INT64/DOUBLE, ids as UTF8 strings, `runaway` as
/// BOOLEAN; every column required but `primary_cause` (null when the trial succeeded).
fn schema(scenario: &Scenario) -> Result<Arc<Type>, Error> {
    let column = |name: &str, physical, repetition| {
        let builder = Type::primitive_type_builder(name, physical).with_repetition(repetition);
        let builder = if physical == Physical::BYTE_ARRAY {
            builder
                .with_logical_type(Some(LogicalType::String))
                .with_converted_type(ConvertedType::UTF8)
        } else {
            builder
        };
        builder.build().map(Arc::new).map_err(encode_error)
    };
    let required = Repetition::REQUIRED;
    let mut fields =
        Vec::with_capacity(super::trials_output::COLUMNS.len() + scenario.factors.len());
    for name in super::trials_output::COLUMNS {
        let (physical, repetition) = match name {
            "trial" => (Physical::INT64, required),
            "strategy" | "outcome" => (Physical::BYTE_ARRAY, required),
            "primary_cause" => (Physical::BYTE_ARRAY, Repetition::OPTIONAL),
            "runaway" => (Physical::BOOLEAN, required),
            _ => (Physical::DOUBLE, required),
        };
        fields.push(column(name, physical, repetition)?);
    }
    for name in factor_columns(scenario) {
        fields.push(column(&name, Physical::DOUBLE, required)?);
    }
    Type::group_type_builder("trials")
        .with_fields(fields)
        .build()
        .map(Arc::new)
        .map_err(encode_error)
}

/// Snappy throughout; dictionaries only for the repeated strings (the numbers are nearly all
/// distinct, where a dictionary is built only to be dropped).
fn properties() -> Arc<WriterProperties> {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(false)
        .set_created_by(format!("crmcast {}", env!("CARGO_PKG_VERSION")));
    for name in ["strategy", "outcome", "primary_cause"] {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(name), true);
    }
    Arc::new(builder.build())
}

/// Group `units` (in order) into row groups of about [`ROW_GROUP_BYTES`] of values each.
pub fn row_groups(units: Vec<Range<u64>>, bytes_per_trial: f64) -> Vec<Vec<Range<u64>>> {
    let mut groups: Vec<Vec<Range<u64>>> = Vec::new();
    let mut held = f64::INFINITY;
    for unit in units {
        let bytes = (unit.end - unit.start) as f64 * bytes_per_trial;
        match groups.last_mut() {
            Some(group) if held + bytes <= ROW_GROUP_BYTES => {
                group.push(unit);
                held += bytes;
            }
            _ => {
                groups.push(vec![unit]);
                held = bytes;
            }
        }
    }
    groups
}

/// The Parquet encoder failed: only a bug (a schema or value it cannot represent) does that.
fn encode_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("encoding the trials as Parquet failed: {e}"))
}

/// An error writing to the destination: the destination reports the real one
/// (`export::write_output_streaming`).
fn write_error(e: std::io::Error) -> Error {
    Error::Internal(format!("writing the trials failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_parquet_name_asks_for_parquet() {
        for yes in ["t.parquet", "dir/T.PARQUET", "a.b.Parquet"] {
            assert!(wanted(Path::new(yes)), "{yes}");
        }
        for no in [
            "-",
            "t.csv",
            "parquet",
            "t.parquet.csv",
            "t.parq",
            ".parquet",
        ] {
            assert!(!wanted(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn row_groups_keep_units_in_order_within_the_bound() {
        let units: Vec<Range<u64>> = (0..10).map(|k| k * 100..(k + 1) * 100).collect();
        // 100 trials of 0.3 × ROW_GROUP_BYTES each: three units to a group.
        let groups = row_groups(units.clone(), 0.003 * ROW_GROUP_BYTES);
        assert_eq!(
            groups.iter().map(Vec::len).collect::<Vec<_>>(),
            [3, 3, 3, 1]
        );
        assert_eq!(groups.concat(), units);
        // A unit larger than the bound is a group of its own.
        assert_eq!(row_groups(units.clone(), ROW_GROUP_BYTES).len(), 10);
    }

    #[test]
    fn the_schema_has_the_csvs_columns() {
        let scenario = Scenario::builtin_default().expect("built-in scenario");
        let schema = schema(&scenario).expect("schema");
        let names: Vec<&str> = schema.get_fields().iter().map(|f| f.name()).collect();
        let expected: Vec<String> = super::super::trials_output::COLUMNS
            .iter()
            .map(|c| c.to_string())
            .chain(factor_columns(&scenario))
            .collect();
        assert_eq!(names, expected);
    }
}
