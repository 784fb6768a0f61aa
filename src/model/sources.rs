//! The source registry: `data/sources.toml`, embedded at build time and validated like any
//! input file. It gives every source crmcast cites (the source articles, the published figures
//! they report, and the literature behind the model) a proper citation under a short label;
//! the catalogue and scenarios cite by that label, and validation refuses any other
//! ([`Registry::check_citation`]). `crmcast sources` lists it.

use crate::error::Error;
use crate::scenario::checks::Check;
use crate::scenario::source::{FieldPath, Problem, Source};
use serde::{Deserialize, Serialize};

pub const BUILTIN_SOURCES: &str = include_str!("../../data/sources.toml");

/// What kind of source an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One of the articles crmcast was founded on.
    Article,
    /// A published figure known through the source that cites it.
    Figure,
    /// Literature behind the model's method, tail or estimating error.
    Publication,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Article => "article",
            Kind::Figure => "figure",
            Kind::Publication => "publication",
        }
    }
}

/// One citation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    pub label: String,
    pub kind: Kind,
    /// In English: a translation where the original is not English.
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_title: Option<String>,
    pub language: String,
    pub author: String,
    pub publisher: String,
    /// Four digits, or "n.d." where the source gives no date.
    pub year: String,
    /// What crmcast takes from it.
    pub says: String,
    /// For a figure: the label of the source that reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cited_in: Option<String>,
}

impl Citation {
    /// "Author (year). Title [original title]. Publisher." — the reference-list form.
    pub fn reference(&self) -> String {
        let original = self
            .original_title
            .as_ref()
            .map(|t| format!(" [{t}]"))
            .unwrap_or_default();
        let cited = self
            .cited_in
            .as_ref()
            // A label may end in a full stop ("… n.d."): no second one after it.
            .map(|c| format!(" Cited in {}.", c.trim_end_matches('.')))
            .unwrap_or_default();
        let publisher = self.publisher.trim_end_matches('.');
        format!(
            "{} ({}). {}{original}. {publisher}.{cited}",
            self.author, self.year, self.title
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    sources: Vec<Citation>,
}

/// Every source crmcast may cite, in the file's order.
#[derive(Debug, Clone, Serialize)]
pub struct Registry {
    pub sources: Vec<Citation>,
}

impl Registry {
    pub fn builtin() -> Result<Registry, Error> {
        Registry::parse(&Source::new(
            "data/sources.toml (built in)",
            BUILTIN_SOURCES,
        ))
    }

    pub fn parse(source: &Source) -> Result<Registry, Error> {
        let raw: RegistryFile = source.parse()?;
        Registry::validate(raw).map_err(|problem| source.problem(problem))
    }

    fn validate(raw: RegistryFile) -> Check<Registry> {
        let root = FieldPath::root().key("sources");
        if raw.sources.is_empty() {
            return Err(Problem::new(
                &root,
                "the registry lists no sources",
                "add a [[sources]] entry for every source the data cite",
            ));
        }
        let mut seen = std::collections::BTreeMap::new();
        for (i, c) in raw.sources.iter().enumerate() {
            let path = root.index(i);
            let texts = [
                ("label", &c.label),
                ("title", &c.title),
                ("language", &c.language),
                ("author", &c.author),
                ("publisher", &c.publisher),
                ("says", &c.says),
            ];
            for (key, text) in texts {
                if text.trim().is_empty() {
                    return Err(Problem::new(
                        &path.key(key),
                        format!("`{key}` is empty"),
                        "write it; for an unknown author or publisher write \"unknown author\" or \"unknown publisher\"",
                    ));
                }
            }
            if c.label.trim() != c.label {
                return Err(Problem::new(
                    &path.key("label"),
                    format!("the label \"{}\" begins or ends with a space", c.label),
                    "remove the spaces: citations must match the label exactly",
                ));
            }
            if let Some(first) = seen.insert(c.label.as_str(), i) {
                return Err(Problem::new(
                    &path.key("label"),
                    format!(
                        "the label \"{}\" is used twice (entries {first} and {i}, counting from 0)",
                        c.label
                    ),
                    "give every source its own label",
                ));
            }
            let four_digits = c.year.len() == 4 && c.year.bytes().all(|b| b.is_ascii_digit());
            if !four_digits && c.year != "n.d." {
                return Err(Problem::new(
                    &path.key("year"),
                    format!("\"{}\" is not a year", c.year),
                    "write four digits, e.g. \"2009\", or \"n.d.\" where the source gives no date",
                ));
            }
            if !c.language.eq_ignore_ascii_case("english") && c.original_title.is_none() {
                return Err(Problem::new(
                    &path.key("original_title"),
                    format!(
                        "\"{}\" is in {} but has no original title",
                        c.label, c.language
                    ),
                    "add original_title = \"…\" in the original language (title holds the English translation)",
                ));
            }
            match (c.kind, &c.cited_in) {
                (Kind::Figure, None) => {
                    return Err(Problem::new(
                        &path.key("cited_in"),
                        format!(
                            "the figure \"{}\" does not say which source reports it",
                            c.label
                        ),
                        "add cited_in = \"<label of the source that reports the figure>\"",
                    ));
                }
                (Kind::Article | Kind::Publication, Some(_)) => {
                    return Err(Problem::new(
                        &path.key("cited_in"),
                        format!("\"{}\" is a {}, not a figure", c.label, c.kind.name()),
                        "remove cited_in, or make the entry kind = \"figure\"",
                    ));
                }
                _ => {}
            }
        }
        let registry = Registry {
            sources: raw.sources,
        };
        for (i, c) in registry.sources.iter().enumerate() {
            if let Some(cited_in) = &c.cited_in {
                registry.check_citation(&root.index(i).key("cited_in"), cited_in)?;
            }
        }
        Ok(registry)
    }

    pub fn get(&self, label: &str) -> Option<&Citation> {
        self.sources.iter().find(|c| c.label == label)
    }

    pub fn labels(&self) -> impl Iterator<Item = &str> + Clone {
        self.sources.iter().map(|c| c.label.as_str())
    }

    /// `label` if the registry has it; else a problem with the closest label or the list.
    pub fn check_citation(&self, path: &FieldPath, label: &str) -> Check<()> {
        if self.get(label).is_some() {
            return Ok(());
        }
        let hint = crate::scenario::suggest::closest(label, self.labels())
            .map(|best| format!("did you mean \"{best}\"? "))
            .unwrap_or_default();
        let all: Vec<String> = self.labels().map(|l| format!("\"{l}\"")).collect();
        Err(Problem::new(
            path,
            format!("\"{label}\" is not a source crmcast knows"),
            format!(
                "{hint}cite a source by its label (`crmcast sources` lists them): {}; describe any other source in the text of `evidence` or `description`",
                all.join(", ")
            ),
        ))
    }

    /// Every citation in `labels`, checked.
    pub fn check_citations(&self, path: &FieldPath, labels: &[String]) -> Check<()> {
        labels
            .iter()
            .enumerate()
            .try_for_each(|(i, label)| self.check_citation(&path.index(i), label))
    }
}

/// Citation labels as one text: labels may hold commas ("Meta Group, n.d."), so they are
/// separated by semicolons.
pub fn citation_list(labels: &[String]) -> String {
    labels.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Registry, String> {
        Registry::parse(&Source::new("test.toml", text)).map_err(|e| e.to_string())
    }

    const ENTRY: &str = "[[sources]]\nlabel = \"A 2001\"\nkind = \"publication\"\ntitle = \"T\"\nlanguage = \"English\"\nauthor = \"A\"\npublisher = \"P\"\nyear = \"2001\"\nsays = \"S\"\n";

    #[test]
    fn the_builtin_registry_is_valid_and_cites_the_articles_and_figures() {
        let registry = Registry::builtin().expect("data/sources.toml is valid");
        for label in [
            "CRM Forum 2001",
            "Meta Group, n.d.",
            "Gartner, n.d.",
            "Wanfang Data 2009",
            "Budzier & Flyvbjerg 2011",
        ] {
            assert!(registry.get(label).is_some(), "{label} missing");
        }
        let articles = registry
            .sources
            .iter()
            .filter(|c| c.kind == Kind::Article)
            .count();
        assert_eq!(articles, 5, "the five source articles");
        // Every figure names the article that reports it, and that article is in the registry.
        for c in registry.sources.iter().filter(|c| c.kind == Kind::Figure) {
            let by = c.cited_in.as_deref().expect("cited_in");
            assert_eq!(registry.get(by).map(|s| s.kind), Some(Kind::Article));
        }
    }

    #[test]
    fn a_valid_entry_parses_and_formats_as_a_reference() {
        let registry = parse(ENTRY).expect("valid");
        assert_eq!(registry.sources[0].reference(), "A (2001). T. P.");
    }

    #[test]
    fn bad_entries_are_refused_with_the_place_and_the_fix() {
        let cases = [
            (ENTRY.replace("2001\"\nsays", "01\"\nsays"), "n.d."),
            (ENTRY.replace("English", "Hebrew"), "original_title"),
            (
                ENTRY.replace("says = \"S\"", "says = \" \""),
                "`says` is empty",
            ),
            (format!("{ENTRY}{ENTRY}"), "used twice"),
            (ENTRY.replace("\"publication\"", "\"figure\""), "cited_in"),
            (format!("{ENTRY}cited_in = \"A 2001\"\n"), "not a figure"),
            (
                ENTRY.replace("label = \"A 2001\"", "label = \"A 2001 \""),
                "spaces",
            ),
            (
                ENTRY.replace("kind = \"publication\"", "kind = \"blog\""),
                "blog",
            ),
            ("sources = []".to_string(), "no sources"),
        ];
        for (text, expected) in cases {
            let message = parse(&text).expect_err(&text);
            assert!(message.contains(expected), "{expected}: {message}");
        }
    }

    #[test]
    fn an_unknown_citation_names_the_closest_label() {
        let registry = Registry::builtin().expect("valid");
        let problem = registry
            .check_citation(&FieldPath::root().key("sources").index(0), "CRM Forum 2010")
            .expect_err("unknown");
        assert!(
            problem.fix.contains("did you mean \"CRM Forum 2001\""),
            "{}",
            problem.fix
        );
        assert!(problem.message.contains("CRM Forum 2010"));
        assert!(
            registry
                .check_citations(&FieldPath::root(), &["CRM Forum 2001".into()])
                .is_ok()
        );
    }
}
