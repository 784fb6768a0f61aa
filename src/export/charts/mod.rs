//! SVG charts of a [`crate::analysis::presentation::Presentation`] (owned by the charts work).
