//! Keep the README true: its quick-start commands and its annotated scenario example.

use crmcast::scenario::Scenario;
use crmcast::scenario::source::Source;

fn readme() -> String {
    std::fs::read_to_string("README.md").expect("README.md")
}

#[test]
fn first_lines_give_the_two_commands() {
    let text = readme();
    let head: Vec<&str> = text.lines().take(6).collect();
    assert!(
        head.iter()
            .any(|l| l.starts_with("cargo run --release -- run")),
        "{head:?}"
    );
    assert!(head.iter().any(|l| l.starts_with("cargo test")), "{head:?}");
    // CI runs the README's test command.
    let ci = std::fs::read_to_string(".ci/run").expect(".ci/run");
    assert!(ci.contains("cargo test"));
}

#[test]
fn annotated_example_is_a_valid_scenario() {
    let text = readme();
    let start = text.find("```toml\n").expect("a toml example") + "```toml\n".len();
    let end = start + text[start..].find("```").expect("closing fence");
    let scenario = Scenario::from_source(&Source::new("README example", &text[start..end]))
        .expect("README example validates");
    assert_eq!(scenario.strategies.len(), 2);
    assert_eq!(scenario.baseline_strategy().id, "do_nothing");
}
