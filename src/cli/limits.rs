//! The limits of every command-line option that sizes memory or work. Clap checks each one
//! while parsing — before anything is allocated or started — and refuses a value outside it
//! with exit 2, naming the option and the range; each option's --help text states its limit.
//! docs/SECURITY.md lists them.

/// `--threads` everywhere (0 = one per core).
pub const MAX_THREADS: u64 = 256;
/// `sensitivity --sobol-samples`: base rows of the Sobol design (cost rows × (inputs + 2)).
pub const MAX_SOBOL_SAMPLES: u64 = 65_536;
/// `--bootstrap` of `sensitivity` and `voi`: replicates, each a pass over the samples.
pub const MAX_BOOTSTRAP: u64 = 2_000;
/// `sensitivity --shapley-permutations` (cost permutations × factors × 3 evaluations).
pub const MAX_SHAPLEY_PERMUTATIONS: u64 = 100_000;
/// `sensitivity --trials`, `report --sensitivity-trials`: trials kept in memory, one row of
/// inputs each.
pub const MAX_STUDY_TRIALS: u64 = 1_000_000;
/// `voi --trials`: trials kept in memory, one outcome per strategy each.
pub const MAX_VOI_TRIALS: u64 = 2_000_000;
/// `update --trials`, `--min-effective-trials`: every trial's weight and outcomes are kept in
/// memory (8·(1 + 5·options) bytes each).
pub const MAX_UPDATE_TRIALS: u64 = crate::analysis::update::MAX_UPDATE_TRIALS;
/// `report --xlsx-trials`: rows of the trials sheet (trials × strategies) are built in
/// memory by the workbook writer, about 5.6 KiB each at peak; 100 000 rows stay under 1 GiB.
pub const MAX_XLSX_ROWS: u64 = 100_000;
/// `calibrate --trials`: trials per objective evaluation.
pub const MAX_CALIBRATION_TRIALS: u64 = 10_000_000;
/// `calibrate --max-iterations`.
pub const MAX_ITERATIONS: u64 = 100_000;
/// `calibrate --data --imputations`: completed data sets, each fitted in full (the time grows
/// in proportion; a few are held in memory at a time).
pub const MAX_IMPUTATIONS: u64 = 200;
/// `optimize --shortlist`: subsets confirmed on fresh trials.
pub const MAX_SHORTLIST: u64 = 1_000;

/// An integer option in `LOW..=HIGH` (a clap value parser): the refusal states the range
/// and the fix, and comes before anything is allocated.
fn ranged<const LOW: u64, const HIGH: u64>(text: &str) -> Result<u64, String> {
    let fix = format!("fix: give a whole number from {LOW} to {HIGH}");
    let value: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("not a whole number from {LOW}..={HIGH}\n  {fix}"))?;
    if (LOW..=HIGH).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value} is outside {LOW}..={HIGH}, the limit that keeps memory and time bounded\n  {fix}"
        ))
    }
}

/// A `usize` option in `LOW..=HIGH`.
pub fn usize_in<const LOW: u64, const HIGH: u64>(text: &str) -> Result<usize, String> {
    let value = ranged::<LOW, HIGH>(text)?;
    usize::try_from(value).map_err(|_| format!("{value} is too large for this machine"))
}

/// A `u64` option in `LOW..=HIGH`.
pub fn u64_in<const LOW: u64, const HIGH: u64>(text: &str) -> Result<u64, String> {
    ranged::<LOW, HIGH>(text)
}
