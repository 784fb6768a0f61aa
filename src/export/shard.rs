//! Shard files: the partial result of `run|compare --shard K/N`, read back by `crmcast merge`.
//! A shard file holds the exact integer state of its slice of the run plus the scenario text
//! it ran, so that merging needs nothing else and gives, bit for bit, the result of one run of
//! all trials. Shards of different scenarios, seeds, trial counts, sampling designs or crmcast
//! versions are refused.

use super::View;
use crate::engine::{Ending, Shard, SimulationResult};
use crate::error::Error;
use crate::scenario::source::Source;
use crate::scenario::{CatalogueText, Scenario};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const SHARD_FORMAT: &str = "crmcast-shard";
pub const SHARD_FORMAT_VERSION: u32 = 1;
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
        serde_json::to_writer(&mut *out, self)?;
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
        let file: ShardFile = serde_json::from_slice(&bytes)
            .map_err(|e| refuse(format!("damaged shard file: {e}"), "run the shard again"))?;
        if scenario_digest(&file.scenario_text, &file.catalogue) != file.scenario_digest {
            return Err(refuse(
                "the scenario text does not match its digest".into(),
                "run the shard again",
            ));
        }
        if file.result.ending != Ending::Completed {
            return Err(refuse(
                "this shard was not completed".into(),
                "run the shard again",
            ));
        }
        Ok(file)
    }
}

/// Merge shard files into the scenario, the view and the result of the whole run.
pub fn merge(paths: &[&Path]) -> Result<(Scenario, View, SimulationResult), Error> {
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        files.push((path.display().to_string(), ShardFile::read(path)?));
    }
    let Some((first_name, first)) = files.first() else {
        return Err(Error::BadOption {
            option: "merge".into(),
            message: "no shard files given".into(),
            fix: "crmcast merge part-*.json".into(),
        });
    };
    let count = first.result.shard.count;
    let mut seen: Vec<Option<&str>> = vec![None; count as usize];
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
        let index = r.shard.index as usize;
        match seen.get_mut(index) {
            Some(Some(other)) => {
                return Err(Error::Shard {
                    path: name.clone(),
                    message: format!("shard {}/{count} is also in {other}", index + 1),
                    fix: "give each shard once".into(),
                });
            }
            Some(slot) => *slot = Some(name.as_str()),
            None => {
                return Err(Error::Shard {
                    path: name.clone(),
                    message: format!("shard index {} is outside 1..={count}", index + 1),
                    fix: "run the shard again".into(),
                });
            }
        }
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(k, _)| format!("{}/{count}", k + 1))
        .collect();
    if !missing.is_empty() {
        return Err(Error::BadOption {
            option: "merge".into(),
            message: format!("shards missing: {}", missing.join(", ")),
            fix: "pass every shard of the run (e.g. crmcast merge part-*.json)".into(),
        });
    }
    let mut scenario = Scenario::from_source_with(
        &Source::new(first.scenario_origin.clone(), first.scenario_text.clone()),
        first.catalogue.clone(),
    )?;
    if let Some(view) = scenario.outside_view.as_mut() {
        view.overruns = first.outside_overruns.clone();
    }
    let view = if first.view == "compare" {
        View::Compare
    } else {
        View::Run
    };
    // Sum in shard order (integer sums: the order does not change the result).
    files.sort_by_key(|(_, f)| f.result.shard.index);
    let mut result = files[0].1.result.clone();
    for (_, file) in &files[1..] {
        result.absorb(&file.result);
    }
    result.shard = Shard::WHOLE;
    Ok((scenario, view, result))
}
