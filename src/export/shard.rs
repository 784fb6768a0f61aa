//! Shard files: the partial result of `run|compare --shard K/N`, read back by `crmcast merge`.
//! A shard file holds the exact integer state of its slice of the run plus the scenario text
//! it ran, so that merging needs nothing else and gives, bit for bit, the result of one run of
//! all trials. Shards of different scenarios, seeds, trial counts, sampling designs or crmcast
//! versions are refused. The file is an envelope: a header, a SHA-256 digest, and the content
//! the digest covers, verbatim; `merge` recomputes the digest, then checks that every number
//! is one a run could produce ([`super::shard_check`]), and adds with checked arithmetic.

use super::View;
use super::shard_check::{Shape, check_result};
use crate::engine::{Ending, Shard, SimulationResult};
use crate::error::Error;
use crate::scenario::source::Source;
use crate::scenario::{CatalogueText, Scenario};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::path::Path;

pub const SHARD_FORMAT: &str = "crmcast-shard";
/// 2: the content in an envelope with its SHA-256 digest (version 1 had none).
pub const SHARD_FORMAT_VERSION: u32 = 2;
/// Shard files are refused beyond this size (a shard of the largest scenario is a few MiB).
pub const MAX_SHARD_BYTES: u64 = crate::input::MAX_SHARD_BYTES;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardFile {
    pub format: String,
    pub format_version: u32,
    pub crmcast_version: String,
    /// `run` or `compare`: what `merge` prints.
    pub view: String,
    pub scenario_origin: String,
    /// FNV-1a 64-bit digest of `scenario_text`, in hex.
    pub scenario_digest: String,
    pub scenario_text: String,
    /// The catalogue file the scenario used, when not the built-in one.
    #[serde(default)]
    pub catalogue: Option<CatalogueText>,
    /// The outside view's reference class, when read from a data file next to the scenario.
    #[serde(default)]
    pub outside_overruns: Option<Vec<f64>>,
    pub result: SimulationResult,
}

/// The fields read before the rest, to recognise a shard file and its version.
#[derive(Deserialize)]
struct ShardHeader {
    format: Option<String>,
    format_version: Option<u32>,
    crmcast_version: Option<String>,
}

/// The file as written: the header, the digest, and the [`ShardFile`] it covers.
#[derive(Serialize)]
struct EnvelopeOut<'a> {
    format: &'a str,
    format_version: u32,
    crmcast_version: &'a str,
    /// SHA-256 of `content`'s bytes exactly as they stand in the file, in hex.
    content_sha256: String,
    content: &'a RawValue,
}

/// The file as read: `content` borrowed verbatim, so the digest covers the bytes on disk.
#[derive(Deserialize)]
struct EnvelopeIn<'a> {
    content_sha256: Option<String>,
    #[serde(borrow)]
    content: Option<&'a RawValue>,
}

/// SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// FNV-1a, 64 bits: enough to tell scenario texts apart (not a security measure — the text
/// itself is compared too).
pub fn digest(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The digest of a scenario's text and, when it used one, its catalogue file's text.
fn scenario_digest(text: &str, catalogue: &Option<CatalogueText>) -> String {
    match catalogue {
        None => digest(text),
        Some(c) => digest(&format!("{text}\u{0}{}", c.text)),
    }
}

fn view_name(view: View) -> &'static str {
    match view {
        View::Run => "run",
        View::Compare => "compare",
    }
}

impl ShardFile {
    pub fn new(scenario: &Scenario, view: View, result: SimulationResult) -> ShardFile {
        ShardFile {
            format: SHARD_FORMAT.into(),
            format_version: SHARD_FORMAT_VERSION,
            crmcast_version: env!("CARGO_PKG_VERSION").into(),
            view: view_name(view).into(),
            scenario_origin: scenario.origin.clone(),
            scenario_digest: scenario_digest(&scenario.source_text, &scenario.catalogue_text),
            scenario_text: scenario.source_text.clone(),
            catalogue: scenario.catalogue_text.clone(),
            outside_overruns: scenario
                .outside_view
                .as_ref()
                .and_then(|v| v.overruns.clone()),
            result,
        }
    }

    pub fn write(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let content = serde_json::value::to_raw_value(self)?;
        let envelope = EnvelopeOut {
            format: SHARD_FORMAT,
            format_version: SHARD_FORMAT_VERSION,
            crmcast_version: env!("CARGO_PKG_VERSION"),
            content_sha256: sha256_hex(content.get().as_bytes()),
            content: &content,
        };
        serde_json::to_writer(&mut *out, &envelope)?;
        writeln!(out)
    }

    /// Read and check one shard file.
    pub fn read(path: &Path) -> Result<ShardFile, Error> {
        let name = path.display().to_string();
        let refuse = |message: String, fix: &str| Error::Shard {
            path: name.clone(),
            message,
            fix: fix.into(),
        };
        let bytes = crate::input::read_bytes(path, crate::input::Kind::Shard)?;
        let not_shard =
            "pass the files written by `crmcast run|compare --shard K/N --output part-K.json`";
        // The header first, so that a file of another kind or version gets a plain answer.
        let header: ShardHeader = serde_json::from_slice(&bytes).map_err(|e| {
            refuse(
                format!(
                    "not a shard file: line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ),
                not_shard,
            )
        })?;
        if header.format.as_deref() != Some(SHARD_FORMAT) {
            return Err(refuse(
                format!("not a shard file (no \"format\": \"{SHARD_FORMAT}\")"),
                not_shard,
            ));
        }
        let version = header.crmcast_version.as_deref().unwrap_or("?");
        if version != env!("CARGO_PKG_VERSION")
            || header.format_version != Some(SHARD_FORMAT_VERSION)
        {
            return Err(refuse(
                format!(
                    "written by crmcast {version} (shard format {}); this is crmcast {} (shard format {SHARD_FORMAT_VERSION})",
                    header.format_version.map_or("?".into(), |v| v.to_string()),
                    env!("CARGO_PKG_VERSION")
                ),
                "run every shard and the merge with the same crmcast version",
            ));
        }
        Self::parse(&bytes).map_err(|message| refuse(message, "run the shard again"))
    }

    /// Check the envelope's digest and parse the content: the part of [`Self::read`] after the
    /// header, on bytes from anywhere (the fuzz target calls it directly).
    pub fn parse(bytes: &[u8]) -> Result<ShardFile, String> {
        let envelope: EnvelopeIn =
            serde_json::from_slice(bytes).map_err(|e| format!("damaged shard file: {e}"))?;
        let (Some(expected), Some(content)) = (envelope.content_sha256, envelope.content) else {
            return Err("damaged shard file: no `content` with its `content_sha256`".into());
        };
        let actual = sha256_hex(content.get().as_bytes());
        if actual != expected {
            return Err(format!(
                "the content does not match its digest (content_sha256 {expected}, the content hashes to {actual}): the file was edited or damaged"
            ));
        }
        let file: ShardFile =
            serde_json::from_str(content.get()).map_err(|e| format!("damaged shard file: {e}"))?;
        if scenario_digest(&file.scenario_text, &file.catalogue) != file.scenario_digest {
            return Err("the scenario text does not match its digest".into());
        }
        if file.result.ending != Ending::Completed {
            return Err("this shard was not completed".into());
        }
        Ok(file)
    }
}

impl ShardFile {
    /// The scenario this shard ran, rebuilt from the text it carries.
    pub fn scenario(&self) -> Result<Scenario, Error> {
        let mut scenario = Scenario::from_source_with(
            &Source::new(self.scenario_origin.clone(), self.scenario_text.clone()),
            self.catalogue.clone(),
        )?;
        if let Some(view) = scenario.outside_view.as_mut() {
            view.overruns = self.outside_overruns.clone();
        }
        Ok(scenario)
    }
}

/// The shape a result of `scenario` has.
fn shape(scenario: &Scenario) -> Shape<'_> {
    Shape {
        strategies: scenario
            .strategies
            .iter()
            .map(|s| s.name.as_str())
            .collect(),
        factors: scenario.factors.len(),
        baseline: scenario.baseline,
    }
}

/// Everything `merge` checks in one file's bytes (after its header): the digest, the scenario
/// it carries, and the consistency of its numbers. For the fuzz target and the regression
/// tests: any bytes give a refusal or a result that a run could have produced.
pub fn verify_bytes(bytes: &[u8]) -> Result<(Scenario, SimulationResult), String> {
    let file = ShardFile::parse(bytes)?;
    let scenario = file.scenario().map_err(|e| e.to_string())?;
    check_result(&file.result, &shape(&scenario), false)?;
    Ok((scenario, file.result))
}

/// Merge shard files into the scenario, the view and the result of the whole run.
pub fn merge(paths: &[&Path]) -> Result<(Scenario, View, SimulationResult), Error> {
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        files.push((path.display().to_string(), ShardFile::read(path)?));
    }
    let Some((first_name, first)) = files.first().map(|(n, f)| (n.clone(), f.clone())) else {
        return Err(Error::BadOption {
            option: "merge".into(),
            message: "no shard files given".into(),
            fix: "crmcast merge part-*.json".into(),
        });
    };
    let (first_name, first) = (&first_name, &first);
    let count = first.result.shard.count;
    // The count comes from a file: it sizes nothing (a map of the shards given, not a vector
    // of `count` slots), so a tampered count of 2⁶⁴ − 1 costs no memory.
    let mut seen: std::collections::BTreeMap<u64, &str> = std::collections::BTreeMap::new();
    for (name, file) in &files {
        let mismatch = |what: &str, mine: String, theirs: String| {
            Error::Shard {
            path: name.clone(),
            message: format!("{what} is {mine}, but {first_name} has {theirs}"),
            fix: "merge only the shards of one run: same scenario file, seed, --trials, --sampling, --parameter-uncertainty and shard count".into(),
        }
        };
        let r = &file.result;
        let f = &first.result;
        if file.scenario_digest != first.scenario_digest
            || file.scenario_text != first.scenario_text
            || file.catalogue != first.catalogue
            || file.outside_overruns != first.outside_overruns
        {
            return Err(mismatch(
                "the scenario",
                file.scenario_origin.clone(),
                first.scenario_origin.clone(),
            ));
        }
        if r.seed != f.seed {
            return Err(mismatch("the seed", r.seed.to_string(), f.seed.to_string()));
        }
        if r.requested_trials != f.requested_trials {
            return Err(mismatch(
                "the trial count",
                r.requested_trials.to_string(),
                f.requested_trials.to_string(),
            ));
        }
        if r.sampling != f.sampling {
            return Err(mismatch(
                "the sampling",
                r.sampling.name().into(),
                f.sampling.name().into(),
            ));
        }
        if r.parameter_uncertainty != f.parameter_uncertainty {
            let flag = |on: bool| if on { "on" } else { "off" };
            return Err(mismatch(
                "--parameter-uncertainty",
                flag(r.parameter_uncertainty).into(),
                flag(f.parameter_uncertainty).into(),
            ));
        }
        if r.shard.count != count {
            return Err(mismatch(
                "the shard count",
                r.shard.count.to_string(),
                count.to_string(),
            ));
        }
        if file.view != first.view {
            return Err(mismatch(
                "the command",
                file.view.clone(),
                first.view.clone(),
            ));
        }
        let index = r.shard.index;
        if index >= count {
            return Err(Error::Shard {
                path: name.clone(),
                message: format!("shard index {} is outside 1..={count}", index + 1),
                fix: "run the shard again".into(),
            });
        }
        if let Some(other) = seen.insert(index, name.as_str()) {
            return Err(Error::Shard {
                path: name.clone(),
                message: format!("shard {}/{count} is also in {other}", index + 1),
                fix: "give each shard once".into(),
            });
        }
    }
    let absent = count - seen.len() as u64;
    if absent > 0 {
        // At most `seen.len() + 10` steps to find the first ten missing, whatever the count.
        let mut missing: Vec<String> = (0..count)
            .filter(|k| !seen.contains_key(k))
            .take(10)
            .map(|k| format!("{}/{count}", k + 1))
            .collect();
        if absent > 10 {
            missing.push(format!("and {} more", absent - 10));
        }
        return Err(Error::BadOption {
            option: "merge".into(),
            message: format!("shards missing: {}", missing.join(", ")),
            fix: "pass every shard of the run (e.g. crmcast merge part-*.json)".into(),
        });
    }
    let scenario = first.scenario()?;
    let shape = shape(&scenario);
    for (name, file) in &files {
        check_result(&file.result, &shape, false).map_err(|message| Error::Shard {
            path: name.clone(),
            message: format!("not a result crmcast could have written: {message}"),
            fix: "run the shard again; a shard file must not be edited".into(),
        })?;
    }
    let view = if first.view == "compare" {
        View::Compare
    } else {
        View::Run
    };
    // Sum in shard order (integer sums: the order does not change the result).
    files.sort_by_key(|(_, f)| f.result.shard.index);
    let mut result = files[0].1.result.clone();
    for (name, file) in &files[1..] {
        // Checked: counts and sums past their integer range are refused, never wrapped.
        result
            .checked_absorb(&file.result)
            .ok_or_else(|| Error::Shard {
                path: name.clone(),
                message: "its counts or sums overflow when added to the other shards'".into(),
                fix: "run the shard again; a shard file must not be edited".into(),
            })?;
    }
    result.shard = Shard::WHOLE;
    if result.trials != result.requested_trials {
        return Err(Error::Shard {
            path: first_name.clone(),
            message: format!(
                "the shards hold {} trials together, not the run's {}",
                result.trials, result.requested_trials
            ),
            fix: "run the shards again; shard files must not be edited".into(),
        });
    }
    check_result(&result, &shape, true).map_err(|message| Error::Shard {
        path: first_name.clone(),
        message: format!("the merged result is not consistent: {message}"),
        fix: "run the shards again; shard files must not be edited".into(),
    })?;
    Ok((scenario, view, result))
}
