//! Docs that restate data are checked against it: `docs/MODEL.md` §2 holds the shipped
//! catalogue's numbers exactly as `export::catalogue::model_tables` renders them, so a
//! re-calibration cannot leave the page stale. `CRMCAST_WRITE_DOCS=1 cargo test --test docs`
//! rewrites the block.

use crmcast::export::catalogue::model_tables;
use crmcast::model::Catalogue;

const BEGIN: &str =
    "<!-- catalogue tables: generated from data/catalogue.toml by tests/docs.rs -->\n";
const END: &str = "<!-- end of catalogue tables -->";

#[test]
fn model_md_shows_the_shipped_catalogue() {
    let page = std::fs::read_to_string("docs/MODEL.md").expect("docs/MODEL.md");
    let expected = model_tables(&Catalogue::builtin().expect("catalogue"));
    let start = page.find(BEGIN).expect("the begin marker in docs/MODEL.md") + BEGIN.len();
    let end = page[start..].find(END).expect("the end marker") + start;
    if page[start..end] != expected {
        if std::env::var_os("CRMCAST_WRITE_DOCS").is_some() {
            let updated = format!("{}{}{}", &page[..start], expected, &page[end..]);
            std::fs::write("docs/MODEL.md", updated).expect("write docs/MODEL.md");
            return;
        }
        panic!(
            "docs/MODEL.md §2 does not show data/catalogue.toml; run `CRMCAST_WRITE_DOCS=1 cargo test --test docs`. Expected:\n{expected}"
        );
    }
}

#[test]
fn output_md_lists_every_metric_id() {
    let page = std::fs::read_to_string("docs/OUTPUT.md").expect("docs/OUTPUT.md");
    let missing: Vec<&str> = crmcast::analysis::report::metric_ids()
        .into_iter()
        .filter(|id| !page.contains(&format!("`{id}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/OUTPUT.md does not document the metrics {missing:?}"
    );
}
