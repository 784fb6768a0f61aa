//! Shared by the integration tests: scenarios with no randomness but the factors a test turns
//! on (no estimating noise and no runaway), so that outcomes have closed forms.

// Each test file compiles this module on its own and uses only some of it.
#![allow(dead_code)]

use crmcast::model::Catalogue;
use crmcast::scenario::Scenario;
use crmcast::scenario::source::Source;

/// A scenario with no estimating noise, no runaway (`[project.runaway] base_probability = 0`:
/// with a zero base hazard no factor load can trigger one), no burn, a fixed annual benefit of
/// 500 on a budget of 1000 over 12 months, 5 years at 10 %; every catalogue factor off except
/// `active` (`(id, TOML body)`); `extra` is appended (mitigations, strategies). Without
/// strategies in `extra`, one baseline strategy "base".
pub fn controlled_text(active: &[(&str, &str)], extra: &str) -> String {
    let catalogue = Catalogue::builtin().expect("catalogue");
    let mut text = String::from(
        "[scenario]\nname = \"controlled\"\n[project]\nbudget = 1000.0\nduration_months = 12.0\nhorizon_years = 5.0\ndiscount_rate = 0.1\nteam_burn_share = 0.0\n[project.estimate]\nlog_cost_mean = 0.0\nlog_cost_sd = 0.0\nlog_schedule_mean = 0.0\nlog_schedule_sd = 0.0\nbenefit_sd = 0.0\n[project.runaway]\nbase_probability = 0.0\n[benefits]\nmodel = \"direct\"\nannual = { value = 500.0 }\n",
    );
    for factor in &catalogue.factors {
        match active.iter().find(|(id, _)| *id == factor.id) {
            Some((id, body)) => text.push_str(&format!("[factors.{id}]\n{body}\n")),
            None => text.push_str(&format!("[factors.{}]\nprobability = 0.0\n", factor.id)),
        }
    }
    text.push_str(extra);
    if !extra.contains("[[strategies]]") {
        text.push_str("[[strategies]]\nid = \"base\"\nbaseline = true\n");
    }
    text
}

pub fn controlled(active: &[(&str, &str)], extra: &str) -> Scenario {
    Scenario::from_source(&Source::new(
        "controlled.toml",
        controlled_text(active, extra),
    ))
    .expect("valid controlled scenario")
}

/// The block of `file` between the line `begin` and `end` is `expected`; with
/// `CRMCAST_WRITE_DOCS` set, it is made so.
pub fn check_block(file: &str, begin: &str, end: &str, expected: &str) {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(&path).expect("the page");
    let start = page.find(begin).expect("the begin marker") + begin.len();
    let stop = start + page[start..].find(end).expect("the end marker");
    if page[start..stop] != *expected {
        if std::env::var_os("CRMCAST_WRITE_DOCS").is_some() {
            std::fs::write(
                &path,
                format!("{}{expected}{}", &page[..start], &page[stop..]),
            )
            .expect("write the page");
            return;
        }
        panic!(
            "{file}: the block after {begin:?} is not what crmcast prints; run `CRMCAST_WRITE_DOCS=1 cargo test` (or the test named above). Expected:\n{expected}"
        );
    }
}
